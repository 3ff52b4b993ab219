"""The dataset in memory: every input read and checked (BuildInputs) and the tables made from it."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from ..annotation import agreement, contrast, gold, schema
from ..annotation.records import load_passes
from ..core import docblocks
from ..core.errors import InputError, ValidationError
from ..core.io import dumps_json, parse_json, read_jsonl, read_text
from ..core.paths import ANNOTATIONS_DIR, CODEBOOK_DIR, shown
from ..corpus.seeds import METADATA_FIELDS, article_hash, load_articles, load_metadata, load_segments
from . import splits, version
from .configs import CONFIGS, POOL_SPLIT, SINGLE_SPLIT, TEXT_ONLY_CONFIGS, features
from .tasks import REGISTRY, TASKS

Rows = list[dict]


@dataclass(frozen=True)
class BuildInputs:
    """Everything the dataset is made from, read and checked."""

    articles: dict[str, str]
    metadata: dict[str, dict]
    segments: list[dict]
    passes: dict[str, dict[str, dict]]
    gold: dict[str, dict]
    adjudications: dict[tuple[str, str], dict]
    split_of: dict[str, str]
    fold_of: dict[str, int]
    agreement: dict
    manifests: dict[str, dict] = field(default_factory=dict)
    contrast: list[dict] = field(default_factory=list)
    contrast_summary: dict = field(default_factory=dict)
    left_out: dict[str, str] = field(default_factory=dict)
    """Articles not published because their gold is incomplete, with why."""

    @property
    def annotators(self) -> list[str]:
        return list(self.passes)


@dataclass(frozen=True)
class BuiltDataset:
    """The tables of every config and split, their sizes and statistics, ready to write."""

    tables: dict[str, dict[str, Rows]]
    stats: dict
    text: bool = True
    sizes: dict[str, dict[str, int]] = field(default_factory=dict)
    left_out: dict[str, str] = field(default_factory=dict)
    """Articles not published (gold incomplete), with why."""


def check_agreement(passes: dict) -> dict:
    """The committed agreement figures, and the documents quoting them, must match the passes."""
    report = agreement.compute(passes)
    stale = "run `python -m labeling agreement` and commit the result"
    try:
        committed = parse_json(read_text(agreement.AGREEMENT_FILE), shown(agreement.AGREEMENT_FILE))
    except InputError:
        committed = None
    if committed != parse_json(dumps_json(report), "agreement report"):
        raise InputError(f"{shown(agreement.AGREEMENT_FILE)}: stale or missing; {stale}")
    for doc in agreement.DOCUMENTS:
        if not docblocks.is_current(doc, "agreement", agreement.markdown(report)):
            raise InputError(f"{shown(doc)}: agreement block is stale; {stale}")
    return report


def published_articles(segments: list[dict], gold_records: dict[str, dict]) -> tuple[list[str], dict[str, str]]:
    """Articles whose every segment has gold (published), and the others with why they wait."""
    total: Counter = Counter(s["article_id"] for s in segments)
    done: Counter = Counter(s["article_id"] for s in segments if s["id"] in gold_records)
    published = sorted(a for a in total if done[a] == total[a])
    left_out = {a: f"{total[a] - done[a]} of {total[a]} segments without gold" for a in sorted(total) if done[a] < total[a]}
    return published, left_out


def check_release(published: list[str], segments: list[dict]) -> None:
    """The release's own articles must all be published, with the segment count it states."""
    missing = [a for a in version.RELEASE_ARTICLES if a not in published]
    if missing:
        raise InputError(f"labeling/annotations/gold.jsonl: release article(s) {', '.join(missing)} lack complete gold; "
                         "run `python -m labeling status`")
    count = sum(s["article_id"] in version.RELEASE_ARTICLES for s in segments)
    if count != version.EXPECTED_SEGMENTS:
        raise InputError(f"labeling/release/version.py: expected {version.EXPECTED_SEGMENTS} segments in the release "
                         f"articles, found {count}; update EXPECTED_SEGMENTS when the corpus changes on purpose")


def gather() -> BuildInputs:
    """Read and check every input; return what the tables are made from (published articles only)."""
    all_articles = load_articles()
    metadata = load_metadata()
    all_segments = load_segments()
    passes = load_passes()
    gold_records = {g["id"]: g for g in gold.check_current()}
    if sorted(metadata) != sorted(all_articles):
        raise InputError("seeds/metadata.json: ids differ from the seed files' names")
    for s in all_segments:
        if s["article_id"] not in all_articles or all_articles[s["article_id"]][s["start"]:s["end"]] != s["text"]:
            raise InputError(f"labeling/segments.jsonl: {s['id']}: span does not match the seed text")
    published, left_out = published_articles(all_segments, gold_records)
    check_release(published, all_segments)
    articles = {a: all_articles[a] for a in published}
    segments = [s for s in all_segments if s["article_id"] in articles]
    report = check_agreement(passes)
    labels = split_labels(articles, segments, gold_records)
    return BuildInputs(
        articles=articles, metadata={a: metadata[a] for a in articles}, segments=segments, passes=passes,
        gold={s["id"]: gold_records[s["id"]] for s in segments}, adjudications=gold.load_adjudications(), split_of=splits.choose(labels),
        fold_of=splits.folds(labels), agreement=report, manifests=load_manifests(passes),
        left_out=left_out, **load_contrast(),
    )


def load_contrast() -> dict:
    """The verified contrast items and their summary, checked; empty when there are none yet."""
    if not contrast.ITEMS_FILE.exists():
        return {}
    problems = contrast.validate_items()
    if problems:
        raise ValidationError(problems)
    items = read_jsonl(contrast.ITEMS_FILE, "contrast items")
    summary_path = contrast.CONTRAST_DIR / "summary.json"
    summary = parse_json(read_text(summary_path), shown(summary_path)) if summary_path.exists() else {}
    return {"contrast": items, "contrast_summary": summary}


FEWSHOT_FILE = CODEBOOK_DIR / "examples.jsonl"

SPLIT_TASKS = ("stance", "frame", "topic")
"""The tasks whose label distributions the split search balances."""


def split_labels(articles, segments: list[dict], gold_records: dict[str, dict]) -> splits.Labels:
    """task -> article -> the gold labels of its benchmark sentences: what the splits balance."""
    out: splits.Labels = {task: {a: [] for a in sorted(articles)} for task in SPLIT_TASKS}
    for s in segments:
        record = gold_records[s["id"]]
        if record["segment_type"] in schema.BENCHMARK_SEGMENT_TYPES:
            for task in SPLIT_TASKS:
                out[task][s["article_id"]] += task_values(task, record)
    return out


def task_values(task: str, record: dict) -> list[str]:
    """The label(s) a gold record gives a task: one per target for pooled stance, else one."""
    spec = REGISTRY[task]
    if spec.field is None:
        return [record[schema.stance_field(t)] for t in schema.TARGETS]
    return [record[spec.field]]


def load_manifests(passes: dict) -> dict[str, dict]:
    """Each pass's manifest (what it saw and when); a pass without one has an empty entry."""
    out = {}
    for name in passes:
        path = ANNOTATIONS_DIR / f"{name}.manifest.json"
        out[name] = parse_json(read_text(path), shown(path)) if path.exists() else {}
    return out


def _rationale(inputs: BuildInputs, sid: str) -> str:
    return " | ".join(f"{field}: {d['rationale']}" for (i, field), d in sorted(inputs.adjudications.items()) if i == sid)


def tables(inputs: BuildInputs) -> dict[str, dict[str, Rows]]:
    """config -> split -> rows, every list in a fixed order."""
    golds, split_of, fold_of = inputs.gold, inputs.split_of, inputs.fold_of
    out: dict[str, dict[str, Rows]] = {c: {} for c in CONFIGS}
    labels_of = lambda record: {f: record[f] for f in schema.ANNOTATION_FIELDS}  # noqa: E731
    for s in inputs.segments:
        g = golds[s["id"]]
        split = split_of[s["article_id"]]
        fold = fold_of[s["article_id"]]
        base = {"id": s["id"], "article_id": s["article_id"], "text": s["text"]}
        row = {
            "id": s["id"], "article_id": s["article_id"], "paragraph_index": s["paragraph"],
            "sentence_index": s["sentence"], "start": s["start"], "end": s["end"], "text": s["text"],
            **labels_of(g), "fold": fold,
        }
        out["sentences"].setdefault(split, []).append(row)
        if g["segment_type"] in schema.BENCHMARK_SEGMENT_TYPES:
            for target in schema.TARGETS:
                out["stance"].setdefault(split, []).append(
                    {"id": f"{s['id']}@{target}", "segment_id": s["id"], "article_id": s["article_id"],
                     "target": target, "text": s["text"], "label": g[schema.stance_field(target)], "fold": fold})
            for task, spec in REGISTRY.items():
                if spec.field is None:
                    continue
                extra = {"speech": g["speech"], "source_name": g["source_name"]} if task == "source" else {}
                out[task].setdefault(split, []).append({**base, "label": g[spec.field], **extra, "fold": fold})
        position = {"id": s["id"], "article_id": s["article_id"], "start": s["start"], "end": s["end"], "text": s["text"]}
        for name, records in inputs.passes.items():
            if s["id"] not in records:
                continue
            out["annotations"].setdefault(SINGLE_SPLIT, []).append(
                {**position, "annotator": name, **labels_of(records[s["id"]]), "rules": "", "rationale": ""})
        out["annotations"].setdefault(SINGLE_SPLIT, []).append(
            {**position, "annotator": "gold", **labels_of(g), "rules": json.dumps(g["rules"], sort_keys=True),
             "rationale": _rationale(inputs, s["id"])})
    for example in read_jsonl(FEWSHOT_FILE, "few-shot pool"):
        out["fewshot"].setdefault(POOL_SPLIT, []).append({k: example[k] for k in features("fewshot")})
    keys = list(features("contrast"))
    for item in inputs.contrast:
        out["contrast"].setdefault("test", []).append({k: item[k] for k in keys})
    seg_counts = Counter(s["article_id"] for s in inputs.segments)
    for aid, text in sorted(inputs.articles.items()):
        meta = inputs.metadata[aid]
        out["articles"].setdefault(SINGLE_SPLIT, []).append(
            {"article_id": aid, **{k: meta[k] for k in METADATA_FIELDS if k != "id"},
             "text": text, "sha256": article_hash(text), "num_segments": seg_counts[aid],
             "split": split_of[aid], "fold": fold_of[aid]}
        )
    for config in out:
        out[config] = {sp: out[config][sp] for sp in (*splits.SPLITS, SINGLE_SPLIT, POOL_SPLIT) if sp in out[config]}
    return {config: by_split for config, by_split in out.items() if by_split}


def statistics(built: dict[str, dict[str, Rows]]) -> dict:
    """Per config and split: row count, label counts, text lengths, texts shared across splits."""
    stats: dict = {}
    for config in ("sentences", *TASKS):
        entry = {}
        texts = {sp: {r["text"] for r in rows} for sp, rows in built[config].items()}
        for split, rows in built[config].items():
            lengths = sorted(len(r["text"]) for r in rows)
            label_cols = ["label"] if config in TASKS else [*schema.FIELDS, "frames"]
            counted = {c: Counter(x for r in rows for x in (r[c] if isinstance(r[c], list) else [r[c]])) for c in label_cols}
            if config == "stance":
                counted.update({f"label@{t}": Counter(r["label"] for r in rows if r["target"] == t) for t in schema.TARGETS})
            entry[split] = {
                "rows": len(rows),
                "articles": len({r["article_id"] for r in rows}),
                "labels": {c: dict(sorted(n.items())) for c, n in counted.items()},
                "text_length": {"min": lengths[0], "median": lengths[len(lengths) // 2], "max": lengths[-1]},
                "texts_shared_with_other_splits": sum(
                    1 for t in texts[split] if any(t in texts[o] for o in texts if o != split)
                ),
            }
        stats[config] = entry
    return stats


def make(inputs: BuildInputs, text: bool = True) -> BuiltDataset:
    built = tables(inputs)
    if not text:
        built = {c: v for c, v in built.items() if c not in TEXT_ONLY_CONFIGS}
    return BuiltDataset(tables=built, stats=statistics(built), text=text, left_out=inputs.left_out)
