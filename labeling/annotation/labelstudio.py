"""Label Studio export: a labeling config generated from the schema and tasks for the segments that
still need labels, optionally with model pre-annotations (the import is `labelstudio_import`)."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from . import records, schema
from ..core.errors import InputError
from ..core.paths import SEGMENTS_FILE
from ..corpus.seeds import load_segments
from .gold import MIN_PASSES
from .preannotation import Prediction


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


def select_segments(annotator: str | None = None, articles: list[str] | None = None,
                    segments: list[dict] | None = None) -> list[dict]:
    """The segments that still need labels, in corpus order: those fewer than `gold.MIN_PASSES`
    passes have labelled (pending gold); with `annotator`, those that pass has not labelled; with
    `articles`, every segment of those articles (and with `annotator` too, those it has not labelled)."""
    segments = load_segments() if segments is None else segments
    if articles:
        known = {s["article_id"] for s in segments}
        unknown = [a for a in articles if a not in known]
        if unknown:
            raise InputError(f"--articles {', '.join(unknown)}: no such article in {SEGMENTS_FILE.name}")
        segments = [s for s in segments if s["article_id"] in set(articles)]
        if annotator is None:
            return segments
    passes = records.load_passes(minimum=0)  # a new project may have no pass yet
    if annotator is not None:
        done = passes.get(annotator, {})
        return [s for s in segments if s["id"] not in done]
    return [s for s in segments if sum(s["id"] in p for p in passes.values()) < MIN_PASSES]


def prediction_region(p: Prediction) -> dict:
    """A pre-annotation region, shaped as Label Studio exports a Choices region."""
    label = p.label if isinstance(p.label, list) else [p.label]
    return {"id": f"pred-{p.field}", "from_name": p.field, "to_name": "text", "type": "choices",
            "value": {"choices": list(label)}, "score": p.confidence}


def tasks(segments: list[dict] | None = None, predictions: list[Prediction] | None = None) -> list[dict]:
    """One Label Studio task per segment, with its paragraph as context, in corpus order.

    With predictions, a segment's predicted fields form one Label Studio prediction whose score is
    the lowest confidence over them; tasks are then ordered least confident first (ties by segment
    id), and tasks without any prediction follow in corpus order."""
    corpus = load_segments()
    segments = corpus if segments is None else segments
    paragraphs: dict[tuple[str, int], list[str]] = {}
    for s in corpus:
        paragraphs.setdefault((s["article_id"], s["paragraph"]), []).append(s["text"])
    by_segment: dict[str, list[Prediction]] = {}
    for p in predictions or []:
        by_segment.setdefault(p.segment_id, []).append(p)
    order = {f: i for i, f in enumerate(schema.ANNOTATION_FIELDS)}
    out = []
    for s in segments:
        task = {
            "data": {
                "segment_id": s["id"],
                "sha256": s["sha256"],
                "article_id": s["article_id"],
                "text": s["text"],
                "context": " ".join(paragraphs.get((s["article_id"], s["paragraph"]), [s["text"]])),
            }
        }
        mine = sorted(by_segment.get(s["id"], []), key=lambda p: order[p.field])
        if mine:
            task["predictions"] = [{
                "model_version": " + ".join(dict.fromkeys(p.model_version for p in mine)),
                "score": min(p.confidence for p in mine),
                "result": [prediction_region(p) for p in mine],
            }]
        out.append(task)
    if predictions is None:
        return out
    predicted = sorted((t for t in out if "predictions" in t),
                       key=lambda t: (t["predictions"][0]["score"], t["data"]["segment_id"]))
    return predicted + [t for t in out if "predictions" not in t]


def _region(result: list, field: str, kind: str) -> tuple[dict | None, str | None]:
    for region in result:
        if isinstance(region, dict) and region.get("from_name") == field and region.get("type") == kind:
            value = region.get("value")
            return (value, None) if isinstance(value, dict) else (None, f"{field} has no value")
    return None, f"missing {field}"


def field_value(result: list, field: str) -> tuple[object, str | None]:
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
