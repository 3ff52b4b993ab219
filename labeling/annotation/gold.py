"""Gold labels from the blind passes, by a stated rule, with a log of which rule made each label.

- A single-label field (and `source_name`, compared exactly) takes the label at least two passes
  give (`majority`); where every pass differs, the adjudicator's decision (`adjudicated`).
- `frames` holds every frame at least two passes list (`majority`); the gold primary frame is
  added when no majority listed it (`majority+primary`).
- A segment fewer than two passes have labelled, or with a case the adjudicator has not decided,
  is pending: it has no gold yet (`python -m labeling status` lists them).
- Where the field-wise result breaks a whose-view rule (e.g. speech `author` with a named
  source), the whose-view fields of that segment are decided by the adjudicator.
An adjudication is one line of `adjudication.jsonl`: id, field, label, rationale (keys starting
with `_`, as in the template `python -m labeling adjudicate --template` writes, are ignored). Decisions
that no case needs are refused, so the file never carries stale rulings.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import Problem, ValidationError
from ..core.io import dumps_jsonl, jsonl_objects
from ..core.paths import ANNOTATIONS_DIR
from ..corpus.seeds import load_segments
from . import schema
from .records import ADJUDICATION_FILE, GOLD_FILE, check_values, load_passes, whose_view_issues

WHOSE_VIEW = ("speech", "source_type", "source_name")
MIN_PASSES = 2
"""Passes a segment needs before it has gold."""
SCALAR_FIELDS = (*schema.FIELDS, "source_name")


@dataclass(frozen=True)
class Case:
    """One decision the passes leave open: a segment's field and what each pass said."""

    id: str
    field: str
    labels: dict[str, object]
    why: str


def _majority(values: list) -> object | None:
    counts = Counter(json.dumps(v, sort_keys=True) for v in values)
    key, n = counts.most_common(1)[0]
    return json.loads(key) if n >= 2 else None


def _frames_majority(lists: list[list[str]]) -> list[str]:
    counts = Counter(f for frames in lists for f in set(frames))
    return [f for f in schema.FRAME if counts[f] >= 2]


def open_cases(passes: dict[str, dict[str, dict]], segments: list[dict]) -> list[Case]:
    """Every (segment, field) that needs an adjudicator's decision, in segment then field order."""
    cases = []
    for s in segments:
        sid = s["id"]
        votes = {name: records[sid] for name, records in passes.items() if sid in records}
        if len(votes) < MIN_PASSES:
            continue
        provisional = {}
        for field in SCALAR_FIELDS:
            values = [v[field] for v in votes.values()]
            provisional[field] = _majority(values)
            if provisional[field] is None:
                cases.append(Case(sid, field, {n: v[field] for n, v in votes.items()}, "every pass differs"))
        whose = [provisional[f] for f in WHOSE_VIEW]
        if None not in whose and whose_view_issues(*whose):
            for field in WHOSE_VIEW:
                cases.append(Case(sid, field, {n: v[field] for n, v in votes.items()},
                                  "the majority labels break a whose-view rule"))
    return cases


def read_adjudications(path: Path) -> tuple[dict[tuple[str, str], dict], list[Problem]]:
    """(id, field) -> {label, rationale, line}, with every problem of the file."""
    out: dict = {}
    if not path.exists():
        return out, []
    objects, problems = jsonl_objects(path)
    for n, obj in objects:
        obj = {k: v for k, v in obj.items() if not k.startswith("_")}
        if set(obj) != {"id", "field", "label", "rationale"}:
            problems.append(Problem(path, n, "expected an object with exactly id, field, label, rationale "
                                             "(keys starting with _ are ignored)"))
            continue
        if obj["label"] is None:
            problems.append(Problem(path, n, f"fill in label (and rationale) for {obj['id']!r} {obj['field']}"))
            continue
        if not isinstance(obj["rationale"], str) or len(obj["rationale"].strip()) < 10:
            problems.append(Problem(path, n, "rationale must say, in a sentence, which codebook rule decides"))
            continue
        key = (obj["id"], obj["field"])
        if key in out:
            problems.append(Problem(path, n, f"second decision for {key[0]!r} {key[1]} (first on line {out[key]['line']})"))
            continue
        out[key] = {"label": obj["label"], "rationale": obj["rationale"], "line": n}
    return out, problems


def undecided(cases: list[Case], adjudications: dict[tuple[str, str], dict]) -> set[str]:
    """Segments with an open case the adjudicator has not decided yet (they have no gold)."""
    return {c.id for c in cases if (c.id, c.field) not in adjudications}


def derive(passes: dict[str, dict[str, dict]], segments: list[dict],
           adjudications: dict[tuple[str, str], dict], adjudication_path: Path) -> list[dict]:
    """Gold records (labels plus `rules`: field -> how it was decided) of every segment that has
    enough passes and no undecided case; raises on stale or invalid decisions."""
    cases = open_cases(passes, segments)
    needed = {(c.id, c.field) for c in cases}
    problems = [Problem(adjudication_path, d["line"], f"no open case for {key[0]!r} {key[1]}: the passes decide it")
                for key, d in adjudications.items() if key not in needed]
    waiting = undecided(cases, adjudications)
    gold = []
    for s in segments:
        sid = s["id"]
        votes = [records[sid] for records in passes.values() if sid in records]
        if len(votes) < MIN_PASSES or sid in waiting:
            continue
        values, rules = {}, {}
        for field in SCALAR_FIELDS:
            decision = adjudications.get((sid, field))
            if decision is not None:
                values[field], rules[field] = decision["label"], "adjudicated"
            else:
                values[field] = _majority([v[field] for v in votes])
                n = sum(v[field] == values[field] for v in votes)
                rules[field] = f"majority {n}/{len(votes)}"
        decision = adjudications.get((sid, "frames"))
        if decision is not None:
            frames, rules["frames"] = decision["label"], "adjudicated"
        else:
            frames = _frames_majority([v["frames"] for v in votes])
            rules["frames"] = "majority"
            if values["frame"] not in frames:
                frames = [f for f in schema.FRAME if f in {*frames, values["frame"]}]
                rules["frames"] = "majority+primary"
        values["frames"] = frames
        record = {"id": sid, **{f: values[f] for f in schema.ANNOTATION_FIELDS}, "rules": rules}
        if not problems:
            for issue in check_values(record):
                problems.append(Problem(adjudication_path, 0, f"gold for {sid}: {issue}"))
        gold.append(record)
    if problems:
        raise ValidationError(problems)
    return gold


def load_adjudications(directory: Path | None = None) -> dict[tuple[str, str], dict]:
    directory = ANNOTATIONS_DIR if directory is None else Path(directory)
    adjudications, problems = read_adjudications(directory / ADJUDICATION_FILE)
    if problems:
        raise ValidationError(problems)
    return adjudications


def compute(directory: Path | None = None) -> list[dict]:
    """Gold from the passes and adjudications on disk."""
    directory = ANNOTATIONS_DIR if directory is None else Path(directory)
    passes = load_passes(directory)
    return derive(passes, load_segments(), load_adjudications(directory), directory / ADJUDICATION_FILE)


def gold_text(gold: list[dict]) -> str:
    return dumps_jsonl(gold)


def load_committed(directory: Path | None = None) -> dict[str, dict]:
    """The committed gold.jsonl by segment id (as `labeling gold` wrote it)."""
    directory = ANNOTATIONS_DIR if directory is None else Path(directory)
    records, problems = jsonl_objects(directory / GOLD_FILE)
    if problems:
        raise ValidationError(problems)
    return {r["id"]: r for _, r in records}


def check_current(directory: Path | None = None) -> list[dict]:
    """The derived gold, raising ValidationError when the committed gold.jsonl differs from it."""
    directory = ANNOTATIONS_DIR if directory is None else Path(directory)
    gold = compute(directory)
    path = directory / GOLD_FILE
    committed = path.read_text(encoding="utf-8") if path.exists() else None
    if committed != gold_text(gold):
        raise ValidationError([Problem(path, 0, "stale or missing; run `python -m labeling gold` and commit it")])
    return gold


def template(cases: list[Case]) -> str:
    """An adjudication template: one line per open case, label and rationale to fill in."""
    return "".join(json.dumps({"id": c.id, "field": c.field, "label": None, "rationale": "",
                               "_passes": c.labels, "_why": c.why}, ensure_ascii=False) + "\n" for c in cases)
