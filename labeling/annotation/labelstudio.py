"""Label Studio round trip: tasks and a labeling config generated from the schema, and the import
of a Label Studio JSON export back into an annotator file."""

from __future__ import annotations

import json
from pathlib import Path
from xml.sax.saxutils import quoteattr

from . import schema
from ..core.errors import Problem, ValidationError
from ..core.io import dumps_jsonl
from ..corpus.seeds import load_segments
from .records import check_pass_text, check_values


def labeling_config() -> str:
    """Label Studio XML config from the schema: the sentence with its paragraph as context, one
    single-choice set per single-label field, multiple choices for `frames`, text for `source_name`."""
    parts = [
        "<View>",
        '  <Header value="Paragraph (context)"/>',
        '  <Text name="context" value="$context"/>',
        '  <Header value="Sentence to label"/>',
        '  <Text name="text" value="$text"/>',
    ]
    for field in schema.ANNOTATION_FIELDS:
        parts.append(f'  <Header value="{field}"/>')
        if field in schema.TEXT_FIELDS:
            parts.append(f'  <TextArea name="{field}" toName="text" maxSubmissions="1" rows="1" '
                         f'placeholder="empty for the author\'s voice; {schema.UNNAMED} when no name is given"/>')
            continue
        labels = schema.FIELDS.get(field) or schema.MULTI_FIELDS[field]
        kind = "multiple" if field in schema.MULTI_FIELDS else "single"
        parts.append(f'  <Choices name="{field}" toName="text" choice="{kind}" required="true">')
        for label, definition in labels.items():
            parts.append(f"    <Choice value={quoteattr(label)} hint={quoteattr(definition)}/>")
        parts.append("  </Choices>")
    parts.append("</View>")
    return "\n".join(parts) + "\n"


def tasks(segments: list[dict] | None = None) -> list[dict]:
    """One Label Studio task per segment, with its paragraph as context."""
    segments = load_segments() if segments is None else segments
    paragraphs: dict[tuple[str, int], list[str]] = {}
    for s in segments:
        paragraphs.setdefault((s["article_id"], s["paragraph"]), []).append(s["text"])
    return [
        {
            "data": {
                "segment_id": s["id"],
                "sha256": s["sha256"],
                "article_id": s["article_id"],
                "text": s["text"],
                "context": " ".join(paragraphs[(s["article_id"], s["paragraph"])]),
            }
        }
        for s in segments
    ]


def _region(result: list, field: str, kind: str) -> tuple[dict | None, str | None]:
    for region in result:
        if isinstance(region, dict) and region.get("from_name") == field and region.get("type") == kind:
            value = region.get("value")
            return (value, None) if isinstance(value, dict) else (None, f"{field} has no value")
    return None, f"missing {field}"


def _value(result: list, field: str) -> tuple[object, str | None]:
    """The label(s) or text given for a field, or (None, why not)."""
    if field in schema.TEXT_FIELDS:
        value, why = _region(result, field, "textarea")
        if why:
            return ("", None) if why.startswith("missing") else (None, why)
        text = value.get("text")
        if isinstance(text, list) and len(text) <= 1 and all(isinstance(x, str) for x in text):
            return (text[0].strip() if text else ""), None
        return None, f"{field} must be one line of text"
    value, why = _region(result, field, "choices")
    if why:
        return None, why
    choices = value.get("choices")
    if not isinstance(choices, list) or not choices or not all(isinstance(c, str) for c in choices):
        return None, f"no choice for {field}"
    if field in schema.MULTI_FIELDS:
        return [label for label in schema.labels(field) if label in choices] + [c for c in choices if c not in schema.labels(field)], None
    if len(choices) > 1:
        return None, f"{len(choices)} choices for {field}, expected one"
    return choices[0], None


def import_export(path: Path, annotator: str | int | None = None) -> list[dict]:
    """Annotator-file records from a Label Studio JSON export (one annotation per task).

    With several annotations on a task, `annotator` (the export's `completed_by`) picks one;
    cancelled annotations are ignored. Every problem is collected and raised at once.
    """
    problems: list[Problem] = []
    segments = {s["id"]: s for s in load_segments()}
    try:
        exported = json.loads(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ValidationError([Problem(path, 0, f"not valid UTF-8 (byte offset {exc.start})")]) from None
    except ValueError as exc:
        raise ValidationError([Problem(path, 0, f"invalid JSON ({str(exc).splitlines()[0][:120]})")]) from None
    except RecursionError:
        raise ValidationError([Problem(path, 0, "invalid JSON (nested too deeply)")]) from None
    except OSError as exc:
        raise ValidationError([Problem(path, 0, f"cannot read ({exc.strerror})")]) from None
    if not isinstance(exported, list):
        raise ValidationError([Problem(path, 0, "expected a JSON list of tasks (Label Studio JSON export)")])
    records = []
    for n, task in enumerate(exported, start=1):
        where = f"task {task.get('id', n)}" if isinstance(task, dict) else f"task #{n}"
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            problems.append(Problem(path, n, f"{where}: no data object"))
            continue
        annotations = [
            a
            for a in task.get("annotations") or []
            if isinstance(a, dict) and not a.get("was_cancelled")
            and (annotator is None or str(_completed_by(a)) == str(annotator))
        ]
        if len(annotations) != 1:
            problems.append(
                Problem(path, n, f"{where}: {len(annotations)} usable annotations, expected exactly 1"
                        + ("" if annotator is not None else " (choose one with --annotator)"))
            )
            continue
        result = annotations[0].get("result")
        result = result if isinstance(result, list) else []
        data = task["data"]
        record = {"id": data.get("segment_id")}
        where = f"{where} (segment {record['id']})" if isinstance(record["id"], str) else where
        issues = [f"data.{k} missing or not a string" for k in ("segment_id", "sha256", "text")
                  if not isinstance(data.get(k), str)]
        issues += [f"result region {i} is not an object" for i, r in enumerate(result) if not isinstance(r, dict)]
        for field in schema.ANNOTATION_FIELDS:
            record[field], why = _value(result, field)
            if why:
                issues.append(why)
        if not issues:
            issues += check_values(record)
        if not issues:
            segment = segments.get(record["id"])
            if segment is not None and (data["sha256"] != segment["sha256"] or data["text"] != segment["text"]):
                issues.append("text mismatch: the segment's text or hash changed since export, re-check this label")
        if issues:
            problems.append(Problem(path, n, f"{where}: {'; '.join(issues)}"))
            continue
        records.append(record)
    if problems:
        raise ValidationError(problems)
    return records


def _completed_by(annotation: dict):
    who = annotation.get("completed_by")
    return who.get("id", who.get("email")) if isinstance(who, dict) else who


def to_annotator_file(records: list[dict], export: Path, name: str) -> str:
    """Validate imported records against the schema and segments; return the pass file's text.

    Problems are reported against the export (the file the user has), not the unwritten output."""
    text = dumps_jsonl(sorted(records, key=lambda r: r["id"]))
    _, problems = check_pass_text(export, text, {s["id"]: s for s in load_segments()})
    if problems:
        raise ValidationError([Problem(export, 0, p.message) for p in problems])
    return text
