"""Stand-off annotation files (schema v2) and their validation against the schema and the segments.

`labeling/annotations/` holds one file per blind pass (`annotator_N.jsonl`, exactly as the pass
wrote it, beside `annotator_N.manifest.json`: what the pass saw and when), the adjudicator's
decisions (`adjudication.jsonl`, only where all passes differ) and the derived `gold.jsonl`.
Every problem is reported as `file:line: message`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..core.errors import Problem, ValidationError
from ..core.paths import ANNOTATIONS_DIR, SEGMENTS_FILE
from ..corpus.seeds import load_segments
from . import schema

PASS_NAME = re.compile(r"annotator_[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
GOLD_FILE = "gold.jsonl"
ADJUDICATION_FILE = "adjudication.jsonl"
PASS_KEYS = ("id", *schema.ANNOTATION_FIELDS)
OPTIONAL_KEYS = ("from_prediction",)
"""`from_prediction`: the fields whose label the annotator accepted unchanged from a model's
pre-annotation (recorded by the Label Studio import; absent when no prediction was shown)."""
_JSON_TYPES = {type(None): "null", list: "an array", str: "a string", int: "a number", float: "a number",
               bool: "a boolean", dict: "an object"}


def _natural(name: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def pass_files(directory: Path | None = None) -> dict[str, Path]:
    """Annotator name (file stem) -> pass file, in natural order (2 before 10)."""
    directory = ANNOTATIONS_DIR if directory is None else Path(directory)
    paths = {p.stem: p for p in directory.glob("annotator_*.jsonl") if PASS_NAME.fullmatch(p.stem)}
    return dict(sorted(paths.items(), key=lambda kv: _natural(kv[0])))


def _type_name(value) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def whose_view_issues(speech: str, source: str, name: str) -> list[str]:
    """Breaches of the whose-view rules: the author's voice has no named source, and a quoted or
    reported view has a source other than the author and a name (or "unnamed")."""
    issues = []
    if speech == "author" and (source != "author" or name != ""):
        issues.append(f"speech author needs source_type author and an empty source_name, got {source!r} and {name[:60]!r}")
    if speech != "author" and source == "author":
        issues.append(f"speech {speech} needs a source_type other than author")
    if speech != "author" and not name.strip():
        issues.append(f"speech {speech}: source_name is empty (give the name, or {schema.UNNAMED!r})")
    if name != name.strip():
        issues.append("source_name has leading or trailing spaces")
    return issues


def check_values(values: dict) -> list[str]:
    """Problems of one record's label values (unknown labels, frames, whose-view consistency)."""
    issues = []
    for field in schema.FIELDS:
        value = values.get(field)
        if not isinstance(value, str):
            issues.append(f"{field} must be a string, got {_type_name(value)}")
        elif value not in schema.FIELDS[field]:
            issues.append(f"unknown {field} label {value[:60]!r} (allowed: {', '.join(schema.labels(field))})")
    frames = values.get("frames")
    if not isinstance(frames, list) or not all(isinstance(f, str) for f in frames):
        issues.append(f"frames must be a list of frame labels, got {_type_name(frames)}")
    else:
        unknown = [f for f in frames if f not in schema.FRAME]
        if unknown:
            issues.append(f"unknown frames label(s) {', '.join(repr(f[:60]) for f in unknown)}")
        if len(set(frames)) != len(frames):
            issues.append("frames lists a label twice")
        if isinstance(values.get("frame"), str) and values["frame"] not in frames:
            issues.append(f"frames {frames} misses the primary frame {values['frame']!r}")
    name = values.get("source_name")
    if not isinstance(name, str):
        issues.append(f"source_name must be a string, got {_type_name(name)}")
    elif isinstance(values.get("speech"), str) and isinstance(values.get("source_type"), str) \
            and values["speech"] in schema.SPEECH and values["source_type"] in schema.SOURCE_TYPE:
        issues += whose_view_issues(values["speech"], values["source_type"], name)
    return issues


def check_pass_text(path: Path, content: str, segments: dict[str, dict]) -> tuple[dict[str, dict], list[Problem]]:
    """Check the decoded content of one pass file; return its valid records by id and every problem.

    A pass may cover any subset of the segments: a segment it has no line for is pending, not an
    error (`python -m labeling status` lists what is pending)."""
    problems: list[Problem] = []
    records: dict[str, dict] = {}
    first_line: dict[str, int] = {}

    def bad(line: int, message: str) -> None:
        problems.append(Problem(path, line, message))

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
            bad(n, f"expected a JSON object, got {_type_name(record)}")
            continue
        missing = [k for k in PASS_KEYS if k not in record]
        extra = sorted(set(record) - set(PASS_KEYS) - set(OPTIONAL_KEYS))
        if missing:
            bad(n, f"missing field(s): {', '.join(missing)}")
        if extra:
            bad(n, f"unexpected field(s): {', '.join(e[:40] for e in extra[:5])}")
        if missing or extra:
            continue
        sid = record["id"]
        if not isinstance(sid, str):
            bad(n, f"id must be a string, got {_type_name(sid)}")
            continue
        ok = True
        if sid in first_line:
            bad(n, f"duplicate id {sid[:80]!r} (first on line {first_line[sid]})")
            ok = False
        elif sid not in segments:
            bad(n, f"unknown id {sid[:80]!r}: not in {SEGMENTS_FILE.name}")
            ok = False
        else:
            first_line[sid] = n
        issues = check_values(record) + from_prediction_issues(record)
        for issue in issues:
            bad(n, issue)
            ok = False
        if ok:
            records[sid] = {k: record[k] for k in (*PASS_KEYS, *OPTIONAL_KEYS) if k in record}
    return records, problems


def from_prediction_issues(record: dict) -> list[str]:
    """Problems of the optional `from_prediction` list: annotation field names, each once."""
    if "from_prediction" not in record:
        return []
    value = record["from_prediction"]
    if not isinstance(value, list) or not all(isinstance(f, str) for f in value):
        return [f"from_prediction must be a list of field names, got {_type_name(value)}"]
    unknown = [f for f in value if f not in schema.ANNOTATION_FIELDS]
    if unknown:
        return [f"from_prediction names unknown field(s) {', '.join(repr(f[:40]) for f in unknown)}"]
    if len(set(value)) != len(value):
        return ["from_prediction lists a field twice"]
    return []


def read_pass(path: Path, segments: dict[str, dict]) -> tuple[dict[str, dict], list[Problem]]:
    """Parse and check one pass file (bytes to records), collecting every problem."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return {}, [Problem(path, 0, f"cannot read ({exc.strerror or exc})")]
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = Problem(path, raw.count(b"\n", 0, exc.start) + 1, f"not valid UTF-8 (byte offset {exc.start})")
        records, more = check_pass_text(path, raw.decode("utf-8", errors="replace"), segments)
        return records, [problem, *more]
    return check_pass_text(path, content, segments)


def load_passes(directory: Path | None = None, segments_file: Path = SEGMENTS_FILE,
                minimum: int = 2) -> dict[str, dict[str, dict]]:
    """Every pass, validated: annotator -> segment id -> record (the segments it has labelled).
    Raises ValidationError listing all problems, among them fewer than `minimum` pass files."""
    directory = ANNOTATIONS_DIR if directory is None else Path(directory)
    segments = {s["id"]: s for s in load_segments(segments_file)}
    files = pass_files(directory)
    problems: list[Problem] = []
    if len(files) < minimum:
        problems.append(Problem(directory, 0, f"at least {minimum} annotation passes are needed, found {len(files)}"))
    loaded = {}
    for name, path in files.items():
        records, found = read_pass(path, segments)
        problems += found
        loaded[name] = records
    if problems:
        raise ValidationError(problems)
    return loaded
