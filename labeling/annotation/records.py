"""Stand-off annotation files and their validation against the schema and the frozen segments.

One JSONL file per annotator (`annotator_N.jsonl`) and the adjudicated `gold.jsonl`, one line per
segment: id, sha256 and text of the segment, then one string label per schema field. Gold lines
also carry a `rationale`, required wherever the annotators disagree.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..core.errors import Problem, ValidationError
from ..core.paths import ANNOTATIONS_DIR, SEGMENTS_FILE
from ..corpus.seeds import load_segments
from . import schema

GOLD = "gold"
KEY_FIELDS = ("id", "sha256", "text")
LABEL_FIELDS = tuple(schema.FIELDS)
_JSON_TYPES = {type(None): "null", list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}


def _natural(name: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def annotation_files(directory: Path | None = None) -> dict[str, Path]:
    """Annotator name (file stem) -> path, annotators in natural order (2 before 10), gold last."""
    directory = ANNOTATIONS_DIR if directory is None else Path(directory)
    paths = {p.stem: p for p in directory.glob("*.jsonl")}
    return dict(sorted(paths.items(), key=lambda kv: (kv[0] == GOLD, _natural(kv[0]))))


def expected_fields(name: str) -> tuple[str, ...]:
    return KEY_FIELDS + LABEL_FIELDS + (("rationale",) if name == GOLD else ())


def read_records(path: Path, name: str, segments: dict[str, dict]) -> tuple[dict[str, dict], list[Problem]]:
    """Parse and check one annotation file; return its valid records by id and every problem."""
    problems: list[Problem] = []

    def bad(line: int, message: str) -> None:
        problems.append(Problem(path, line, message))

    try:
        raw = path.read_bytes()
    except OSError as exc:
        bad(0, f"cannot read ({exc.strerror})")
        return {}, problems
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Report the first bad byte, then check the rest with the bad bytes replaced.
        bad(raw.count(b"\n", 0, exc.start) + 1, f"not valid UTF-8 (byte offset {exc.start})")
        content = raw.decode("utf-8", errors="replace")
    records, more = check_text(path, content, name, segments)
    return records, problems + more


def check_text(path: Path, content: str, name: str, segments: dict[str, dict]) -> tuple[dict[str, dict], list[Problem]]:
    """Check the decoded content of an annotation file (named `path` in messages)."""
    problems: list[Problem] = []

    def bad(line: int, message: str) -> None:
        problems.append(Problem(path, line, message))

    fields = expected_fields(name)
    records: dict[str, dict] = {}
    seen: set[str] = set()
    first_line: dict[str, int] = {}
    lines = content.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            bad(n, "blank line")
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            bad(n, f"invalid JSON ({exc.msg} at column {exc.colno})")
            continue
        except RecursionError:
            bad(n, "invalid JSON (nested too deeply)")
            continue
        except ValueError as exc:
            bad(n, f"invalid JSON ({str(exc).splitlines()[0][:80]})")
            continue
        if not isinstance(record, dict):
            bad(n, f"expected a JSON object, got {_JSON_TYPES.get(type(record), type(record).__name__)}")
            continue
        if isinstance(record.get("id"), str):
            seen.add(record["id"])
        missing = [f for f in fields if f not in record]
        extra = sorted(set(record) - set(fields))
        if missing:
            bad(n, f"missing field(s): {', '.join(missing)}")
        if extra:
            bad(n, f"unexpected field(s): {', '.join(extra)}")
        wrong_type = [f for f in fields if f in record and not isinstance(record[f], str)]
        if wrong_type:
            bad(n, f"field(s) must be strings: {', '.join(wrong_type)}")
        if missing or extra or wrong_type:
            continue
        sid = record["id"]
        ok = True
        if sid in first_line:
            bad(n, f"duplicate id {sid!r} (first on line {first_line[sid]})")
            ok = False
        elif sid not in segments:
            bad(n, f"unknown id {sid!r}: not in {SEGMENTS_FILE.name}")
            ok = False
        else:
            first_line[sid] = n
            segment = segments[sid]
            if record["sha256"] != segment["sha256"] or record["text"] != segment["text"]:
                bad(n, f"text mismatch for {sid!r}: the segment's text or hash changed, re-check this label")
                ok = False
        for field in LABEL_FIELDS:
            if record[field] not in schema.FIELDS[field]:
                allowed = ", ".join(schema.labels(field))
                bad(n, f"unknown {field} label {record[field]!r} (allowed: {allowed})")
                ok = False
        if ok:
            records[sid] = {**record, "_line": n}
    for sid in segments:
        if sid not in seen:
            bad(0, f"missing segment {sid!r}: every segment needs one line")
    return records, problems


def check_rationales(gold_path: Path, gold: dict[str, dict], annotators: dict[str, dict[str, dict]]) -> list[Problem]:
    """Every gold line where the annotators disagree on any field must give a rationale."""
    problems = []
    for sid, record in gold.items():
        labels = [ann[sid] for ann in annotators.values() if sid in ann]
        split = [f for f in LABEL_FIELDS if len({r[f] for r in labels}) > 1]
        if split and not record["rationale"].strip():
            detail = "; ".join(
                f"{f}: " + " vs ".join(f"{name}={ann[sid][f]}" for name, ann in annotators.items() if sid in ann)
                for f in split
            )
            problems.append(Problem(gold_path, record["_line"], f"disagreement without rationale ({detail})"))
    return problems


def validate(directory: Path | None = None, segments_file: Path = SEGMENTS_FILE) -> dict[str, dict[str, dict]]:
    """Load every annotation file; raise ValidationError listing every problem in all of them."""
    directory = ANNOTATIONS_DIR if directory is None else Path(directory)
    segments = {s["id"]: s for s in load_segments(segments_file)}
    files = annotation_files(directory)
    problems: list[Problem] = []
    if GOLD not in files:
        problems.append(Problem(directory / f"{GOLD}.jsonl", 0, "gold file is missing"))
    if sum(name != GOLD for name in files) < 2:
        problems.append(Problem(directory, 0, "at least two annotator files are needed"))
    loaded = {}
    for name, path in files.items():
        records, found = read_records(path, name, segments)
        loaded[name] = records
        problems += found
    if GOLD in loaded:
        annotators = {k: v for k, v in loaded.items() if k != GOLD}
        problems += check_rationales(files[GOLD], loaded[GOLD], annotators)
    if problems:
        raise ValidationError(problems)
    return {
        name: {sid: {k: v for k, v in r.items() if k != "_line"} for sid, r in records.items()}
        for name, records in loaded.items()
    }
