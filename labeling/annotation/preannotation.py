"""Model pre-annotations: one predicted label per (segment, annotation field), with its confidence.

`python -m baselines pre-annotate` writes the file and `python -m labeling labelstudio-export
--predictions` reads it, so both sides share this one record format (JSON Lines, one object per
line with the keys of `Prediction`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ..core.errors import InputError
from ..core.io import dumps_jsonl, parse_json, read_text, write_atomic
from ..core.paths import shown
from . import schema

PREDICTION_FIELDS = tuple(f for f in schema.ANNOTATION_FIELDS if f not in schema.TEXT_FIELDS)
"""Fields a model may pre-annotate: every choice field (free text is left to the annotator)."""


@dataclass(frozen=True)
class Prediction:
    """A model's label for one field of one segment, its probability, and which model gave it."""

    segment_id: str
    field: str
    label: str | list[str]
    confidence: float
    model_version: str


KEYS = tuple(f.name for f in fields(Prediction))


def label_issue(field: str, label) -> str | None:
    """Why `label` is not a valid prediction for `field`, or None."""
    if field not in PREDICTION_FIELDS:
        return f"unknown field {str(field)[:40]!r} (allowed: {', '.join(PREDICTION_FIELDS)})"
    allowed = schema.labels(field)
    if field in schema.MULTI_FIELDS:
        if not isinstance(label, list) or not label or not all(isinstance(x, str) for x in label):
            return f"{field}: label must be a non-empty list of labels"
        unknown = [x for x in label if x not in allowed]
        if unknown:
            return f"{field}: unknown label(s) {', '.join(repr(x[:40]) for x in unknown)}"
        if len(set(label)) != len(label):
            return f"{field}: a label is listed twice"
        return None
    if not isinstance(label, str) or label not in allowed:
        return f"{field}: {str(label)[:40]!r} is not a label (allowed: {', '.join(allowed)})"
    return None


def _issue(obj: dict, segments: set[str]) -> str | None:
    missing = [k for k in KEYS if k not in obj]
    extra = sorted(set(obj) - set(KEYS))
    if missing or extra:
        return ", ".join(filter(None, [missing and f"missing key(s) {', '.join(missing)}",
                                       extra and f"unexpected key(s) {', '.join(e[:40] for e in extra[:5])}"]))
    if not isinstance(obj["segment_id"], str) or obj["segment_id"] not in segments:
        return f"unknown segment {str(obj['segment_id'])[:80]!r}: not in labeling/segments.jsonl"
    why = label_issue(obj["field"], obj["label"])
    if why:
        return why
    confidence = obj["confidence"]
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 <= confidence <= 1:
        return f"confidence must be a number from 0 to 1, got {str(confidence)[:40]}"
    if not isinstance(obj["model_version"], str) or not obj["model_version"].strip():
        return "model_version must be a non-empty string"
    return None


def read(path: Path, segment_ids) -> list[Prediction]:
    """Every prediction of a file, checked; the first bad line is an InputError naming file and line."""
    path = Path(path)
    known = set(segment_ids)
    seen: dict[tuple[str, str], int] = {}
    out = []
    for n, line in enumerate(read_text(path, "predictions file").split("\n"), start=1):
        if not line.strip():
            continue
        obj = parse_json(line, f"{shown(path)}:{n}")
        why = "expected a JSON object" if not isinstance(obj, dict) else _issue(obj, known)
        if why is None:
            key = (obj["segment_id"], obj["field"])
            if key in seen:
                why = f"second prediction for {key[1]} of segment {key[0]} (first on line {seen[key]})"
            seen.setdefault(key, n)
        if why:
            raise InputError(f"{shown(path)}:{n}: {why}")
        out.append(Prediction(**{**obj, "confidence": float(obj["confidence"])}))
    return out


def dumps(predictions: list[Prediction]) -> str:
    """The file's text: by segment id, then field in schema order; same predictions, same bytes."""
    order = {f: i for i, f in enumerate(PREDICTION_FIELDS)}
    rows = sorted(predictions, key=lambda p: (p.segment_id, order[p.field]))
    return dumps_jsonl([asdict(p) for p in rows])


def write(path: Path, predictions: list[Prediction]) -> None:
    """Check every prediction and write the file atomically."""
    for p in predictions:
        why = label_issue(p.field, p.label)
        if why:
            raise InputError(f"{shown(path)}: segment {p.segment_id}: {why}")
    write_atomic(path, dumps(predictions))
