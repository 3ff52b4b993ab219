"""Import of a Label Studio export (full JSON or JSON-MIN) into an annotator file, merged with it.

Full JSON: one object per task with `data`, `annotations` (each with `completed_by`, `result`,
`parent_prediction`) and `predictions`. JSON-MIN: one flat object per annotation, the task's data
keys and one key per control tag (a single choice as a string, several as {"choices": [...]}, a
text area as a string), with `id` (the task), `annotator` (e-mail or id) and `annotation_id`; a task
without annotations appears once with `annotator` null. JSON-MIN carries no predictions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from . import records as passes
from . import schema
from ..core.errors import InputError, Problem, ValidationError
from ..core.io import dumps_jsonl
from ..core.paths import shown
from ..corpus.seeds import load_segments
from .labelstudio import field_value
from .records import check_pass_text, check_values

JSON, JSON_MIN = "JSON", "JSON-MIN"
MIN_META = ("id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time", "agreement",
            "history", "was_cancelled")
"""Keys JSON-MIN adds beside the task's data and the control tags."""


@dataclass(frozen=True)
class Annotation:
    """One annotation of a task: who made it, its regions, and the prediction it started from."""

    ids: tuple[str, ...]
    emails: tuple[str, ...]
    result: list
    parent_prediction: object = None
    prediction: dict | None = None
    """The prediction Label Studio stored with the annotation (its export nests it here)."""

    def by(self, who: str) -> bool:
        return who in self.ids or who.lower() in self.emails

    def name(self) -> str:
        return ", ".join((*self.emails, *self.ids)) or "unknown"


@dataclass(frozen=True)
class Task:
    """A task of the export, in either shape: its place, data, annotations and predictions."""

    line: int
    id: object
    data: dict | None
    annotations: list[Annotation]
    predictions: list = field(default_factory=list)


@dataclass(frozen=True)
class Imported:
    """What an export gave: the records (by segment id), the tasks left pending, and for each field
    how many records had a prediction for it and how many of those kept the predicted label."""

    shape: str
    records: list[dict]
    pending: int
    predicted: dict[str, int]
    accepted: dict[str, int]


def read_export(path: Path) -> tuple[str, list[Task]]:
    """The export's shape and its tasks; an unreadable file is one Problem at line 0."""
    def fail(message: str):
        return ValidationError([Problem(path, 0, message)])

    try:
        exported = json.loads(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise fail(f"not valid UTF-8 (byte offset {exc.start})") from None
    except ValueError as exc:
        raise fail(f"invalid JSON ({str(exc).splitlines()[0][:120]})") from None
    except RecursionError:
        raise fail("invalid JSON (nested too deeply)") from None
    except OSError as exc:
        raise fail(f"cannot read ({exc.strerror})") from None
    if not isinstance(exported, list):
        raise fail("expected a JSON list of tasks (Label Studio JSON or JSON-MIN export)")
    if _shape(exported) == JSON_MIN:
        return JSON_MIN, _min_tasks(exported)
    return JSON, [_json_task(n, item) for n, item in enumerate(exported, start=1)]


def _shape(exported: list) -> str:
    for item in exported:
        if isinstance(item, dict):
            if {"data", "annotations", "completions", "predictions"} & set(item):
                return JSON
            if {"annotator", "annotation_id", "segment_id"} & set(item):
                return JSON_MIN
    return JSON


def _json_task(n: int, item) -> Task:
    if not isinstance(item, dict):
        return Task(n, None, None, [])
    annotations = []
    for a in item.get("annotations") or []:
        if not isinstance(a, dict) or a.get("was_cancelled") or a.get("skipped"):
            continue
        who = a.get("completed_by")
        ids, emails = [], []
        if isinstance(who, dict):
            ids.append(who.get("id"))
            emails.append(who.get("email"))
        else:
            ids.append(who)
        username = a.get("created_username")  # "e-mail, id" in Label Studio's full export
        if isinstance(username, str) and "," in username:
            email, _, uid = username.rpartition(",")
            emails.append(email.strip())
            ids.append(uid.strip())
        result = a.get("result")
        annotations.append(Annotation(
            tuple(dict.fromkeys(str(i) for i in ids if isinstance(i, (int, str)) and not isinstance(i, bool))),
            tuple(dict.fromkeys(e.lower() for e in emails if isinstance(e, str) and e)),
            result if isinstance(result, list) else [], a.get("parent_prediction"),
            a["prediction"] if isinstance(a.get("prediction"), dict) and a["prediction"].get("result") else None))
    predictions = [p for p in item.get("predictions") or [] if isinstance(p, dict)]
    data = item.get("data")
    return Task(n, item.get("id", n), data if isinstance(data, dict) else None, annotations, predictions)


def _min_tasks(exported: list) -> list[Task]:
    """JSON-MIN records grouped into tasks (by task id), in the order tasks first appear."""
    tasks: dict[object, Task] = {}
    for n, item in enumerate(exported, start=1):
        if not isinstance(item, dict):
            tasks[("line", n)] = Task(n, None, None, [])
            continue
        key = item.get("id", ("line", n))
        key = key if isinstance(key, (int, str)) else ("line", n)
        data = {k: v for k, v in item.items() if k not in MIN_META and k not in schema.ANNOTATION_FIELDS}
        task = tasks.setdefault(key, Task(n, item.get("id", n), data, []))
        if item.get("annotation_id") is None and item.get("annotator") is None:
            continue
        who = item.get("annotator")
        email = isinstance(who, str) and "@" in who
        task.annotations.append(Annotation(
            () if email or who is None or isinstance(who, bool) else (str(who),),
            (who.lower(),) if email else (), _min_regions(item)))
    return list(tasks.values())


def _min_regions(item: dict) -> list:
    """A JSON-MIN record's control-tag values as the regions a full export would hold."""
    regions = []
    for name in schema.ANNOTATION_FIELDS:
        if name not in item:
            continue
        value = item[name]
        if name in schema.TEXT_FIELDS:
            kind = "textarea"
            value = {"text": [value]} if isinstance(value, str) else {"text": value} if isinstance(value, list) else value
        else:
            kind = "choices"
            value = {"choices": [value]} if isinstance(value, str) else value
        regions.append({"from_name": name, "to_name": "text", "type": kind, "value": value})
    return regions


def import_export(path: Path, annotator: str | int | None = None) -> Imported:
    """Annotator-file records from a Label Studio export, one annotation per task.

    With several annotations on a task, `annotator` (an e-mail or a numeric id) picks one; a task
    without a usable annotation (by that annotator) is pending and skipped. Every problem of the
    export is collected and raised at once."""
    path = Path(path)
    shape, tasks = read_export(path)
    who = None if annotator is None else str(annotator).strip()
    if who is not None:
        _check_annotator(path, tasks, who)
    segments = {s["id"]: s for s in load_segments()}
    problems: list[Problem] = []
    out, pending = [], 0
    predicted = {f: 0 for f in schema.ANNOTATION_FIELDS}
    accepted = dict(predicted)
    for task in tasks:
        where = f"task {task.id}" if task.id is not None else f"task #{task.line}"
        if task.data is None:
            problems.append(Problem(path, task.line, f"{where}: no data object"))
            continue
        usable = [a for a in task.annotations if who is None or a.by(who)]
        if not usable:
            pending += 1
            continue
        if len(usable) > 1:
            problems.append(Problem(path, task.line, f"{where}: {len(usable)} usable annotations, expected exactly 1"
                                    + (" (choose one with --annotator)" if who is None else "")))
            continue
        record, issues = _record(task, usable[0], segments)
        if isinstance(record["id"], str):
            where = f"{where} (segment {record['id']})"
        if issues:
            problems.append(Problem(path, task.line, f"{where}: {'; '.join(issues)}"))
            continue
        prediction = _prediction(task, usable[0])
        if prediction is not None:
            kept = []
            for name in schema.ANNOTATION_FIELDS:
                value, why = field_value(prediction, name) if _has_region(prediction, name) else (None, "none")
                if why is None:
                    predicted[name] += 1
                    if _same(name, value, record[name]):
                        accepted[name] += 1
                        kept.append(name)
            record["from_prediction"] = kept
        out.append(record)
    if problems:
        raise ValidationError(problems)
    if not out:
        raise InputError(f"{shown(path)}: no task has a usable annotation"
                         + (f" by {who}" if who else "") + f" ({pending} pending)")
    return Imported(shape, sorted(out, key=lambda r: r["id"]), pending,
                    {k: v for k, v in predicted.items() if v}, {k: accepted[k] for k, v in predicted.items() if v})


def _check_annotator(path: Path, tasks: list[Task], who: str) -> None:
    """Refuse an --annotator that made none of the export's annotations, naming those who did."""
    everyone = [a for t in tasks for a in t.annotations]
    if any(a.by(who) for a in everyone):
        return
    names = sorted({a.name() for a in everyone})
    hint = ""
    if "@" in who and everyone and not any(a.emails for a in everyone):
        hint = "; this export names annotators by numeric id only, pass the id (listed under Organization in Label Studio)"
    raise InputError(f"{shown(path)}: no annotation by --annotator {who} (annotators in the export: "
                     f"{'; '.join(names) or 'none'}){hint}")


def _record(task: Task, annotation: Annotation, segments: dict[str, dict]) -> tuple[dict, list[str]]:
    """The annotator-file record an annotation gives, and every problem of it."""
    data = task.data
    record = {"id": data.get("segment_id")}
    issues = [f"data.{k} missing or not a string" for k in ("segment_id", "sha256", "text")
              if not isinstance(data.get(k), str)]
    result = annotation.result
    issues += [f"result region {i} is not an object" for i, r in enumerate(result) if not isinstance(r, dict)]
    for name in schema.ANNOTATION_FIELDS:
        record[name], why = field_value(result, name)
        if why:
            issues.append(why)
    if not issues:
        issues += check_values(record)
    if not issues:
        segment = segments.get(record["id"])
        if segment is not None and (data["sha256"] != segment["sha256"] or data["text"] != segment["text"]):
            issues.append("text mismatch: the segment's text or hash changed since export, re-check this label")
    return record, issues


def _prediction(task: Task, annotation: Annotation) -> list | None:
    """The regions of the prediction the annotation is compared with: its `parent_prediction` (the
    one it started from), else the prediction stored with it, else the task's only prediction; None
    when there is none (or several and nothing says which)."""
    known = [*task.predictions, *([annotation.prediction] if annotation.prediction else [])]
    chosen = None
    if annotation.parent_prediction is not None:
        chosen = next((p for p in known if p.get("id") == annotation.parent_prediction), None)
    if chosen is None:
        chosen = annotation.prediction
    if chosen is None and len(task.predictions) == 1:
        chosen = task.predictions[0]
    result = chosen.get("result") if chosen else None
    return [r for r in result if isinstance(r, dict)] if isinstance(result, list) else None


def _has_region(result: list, name: str) -> bool:
    return any(r.get("from_name") == name for r in result)


def _same(name: str, predicted, given) -> bool:
    if name in schema.MULTI_FIELDS:
        return sorted(predicted) == sorted(given)
    return predicted == given


@dataclass(frozen=True)
class Merged:
    """The annotator file after a merge, and what changed."""

    text: str
    total: int
    added: int
    updated: int
    unchanged: int
    dropped: int


def merge(out: Path, imported: list[dict], export: Path, force: bool = False) -> Merged:
    """Merge imported records into the annotator file `out` (new segments added, re-annotated ones
    replaced), ordered by segment id and validated. Dropping any record of the file (a line that
    no longer validates), and so writing fewer records than it holds, needs `force`."""
    segments = {s["id"]: s for s in load_segments()}
    existing, lines, bad = {}, 0, []
    if out.exists():
        existing, bad = passes.read_pass(out, segments)
        lines = sum(1 for line in out.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip())
    merged = dict(existing)
    added = updated = unchanged = 0
    for record in imported:
        old = existing.get(record["id"])
        added += old is None
        updated += old is not None and old != record
        unchanged += old == record
        merged[record["id"]] = record
    dropped = lines - len(existing)
    if dropped and not force:
        raise InputError(f"{shown(out)}: has {lines} records, {dropped} of which do not validate (first: {bad[0] if bad else '?'}); "
                         f"the merge would drop them and write {len(merged)}: fix them, or pass --force to drop them")
    text = dumps_jsonl([merged[k] for k in sorted(merged)])
    _, problems = check_pass_text(export, text, segments)
    if problems:
        raise ValidationError([Problem(export, 0, p.message) for p in problems])
    return Merged(text, len(merged), added, updated, unchanged, dropped)
