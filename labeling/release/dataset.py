"""The dataset in memory: every input read and checked (BuildInputs) and the tables made from it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..annotation import agreement, schema
from ..annotation.records import GOLD, validate
from ..core import docblocks
from ..core.errors import InputError
from ..core.io import dumps_json, parse_json, read_text
from ..core.paths import shown
from ..corpus.seeds import article_hash, load_articles, load_metadata, load_segments
from . import splits, version
from .configs import CONFIGS, SINGLE_SPLIT
from .tasks import TASKS

Rows = list[dict]


@dataclass(frozen=True)
class BuildInputs:
    """Everything the dataset is made from, read and checked."""

    articles: dict[str, str]
    metadata: dict[str, dict]
    segments: list[dict]
    annotations: dict[str, dict[str, dict]]
    split_of: dict[str, str]
    fold_of: dict[str, int]
    agreement: dict

    @property
    def gold(self) -> dict[str, dict]:
        return self.annotations[GOLD]

    @property
    def annotators(self) -> list[str]:
        return [name for name in self.annotations if name != GOLD]


@dataclass(frozen=True)
class BuiltDataset:
    """The tables of every config and split, their sizes and statistics, ready to write."""

    tables: dict[str, dict[str, Rows]]
    stats: dict
    text: bool = True
    sizes: dict[str, dict[str, int]] = field(default_factory=dict)


def check_agreement(annotations: dict) -> dict:
    """The committed agreement figures, and the documents quoting them, must match the annotations."""
    report = agreement.compute(annotations)
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


def gather() -> BuildInputs:
    """Read and check every input; return what the tables are made from."""
    articles = load_articles()
    metadata = load_metadata()
    segments = load_segments()
    annotations = validate()
    counts = {"articles": len(articles), "segments": len(segments)}
    for key, expected in version.EXPECTED.items():
        if counts[key] != expected:
            raise InputError(
                f"labeling/release/version.py: expected {expected} {key}, found {counts[key]}; "
                "update EXPECTED when the corpus changes on purpose"
            )
    if sorted(metadata) != sorted(articles):
        raise InputError("seeds/metadata.json: ids differ from the seed files' names")
    for s in segments:
        if s["article_id"] not in articles or articles[s["article_id"]][s["start"]:s["end"]] != s["text"]:
            raise InputError(f"labeling/segments.jsonl: {s['id']}: span does not match the seed text")
    report = check_agreement(annotations)
    gold = annotations[GOLD]
    benchmark = [s for s in segments if gold[s["id"]]["segment_type"] in schema.BENCHMARK_SEGMENT_TYPES]
    task_labels = {
        task: {a: [gold[s["id"]][task] for s in benchmark if s["article_id"] == a] for a in sorted(articles)}
        for task in TASKS
    }
    return BuildInputs(
        articles=articles, metadata=metadata, segments=segments, annotations=annotations,
        split_of=splits.choose(task_labels), fold_of=splits.folds(list(articles)), agreement=report,
    )


def tables(inputs: BuildInputs) -> dict[str, dict[str, Rows]]:
    """config -> split -> rows, every list in a fixed order."""
    gold, split_of, fold_of = inputs.gold, inputs.split_of, inputs.fold_of
    out: dict[str, dict[str, Rows]] = {c: {} for c in CONFIGS}
    for s in inputs.segments:
        g = gold[s["id"]]
        split = split_of[s["article_id"]]
        row = {
            "id": s["id"], "article_id": s["article_id"], "paragraph_index": s["paragraph"],
            "sentence_index": s["sentence"], "start": s["start"], "end": s["end"], "text": s["text"],
            **{f: g[f] for f in schema.FIELDS}, "fold": fold_of[s["article_id"]],
        }
        out["sentences"].setdefault(split, []).append(row)
        if g["segment_type"] in schema.BENCHMARK_SEGMENT_TYPES:
            for task in TASKS:
                out[task].setdefault(split, []).append(
                    {"id": s["id"], "article_id": s["article_id"], "text": s["text"], "label": g[task],
                     "fold": row["fold"]}
                )
        for name, records in inputs.annotations.items():
            r = records[s["id"]]
            out["annotations"].setdefault(SINGLE_SPLIT, []).append(
                {"id": s["id"], "article_id": s["article_id"], "start": s["start"], "end": s["end"],
                 "text": s["text"], "annotator": name, **{f: r[f] for f in schema.FIELDS},
                 "rationale": r.get("rationale", "")}
            )
    seg_counts = Counter(s["article_id"] for s in inputs.segments)
    for aid, text in sorted(inputs.articles.items()):
        meta = inputs.metadata[aid]
        out["articles"].setdefault(SINGLE_SPLIT, []).append(
            {"article_id": aid, **{k: meta[k] for k in ("title", "outlet", "published", "evidence",
                                                      "language", "notes")},
             "text": text, "sha256": article_hash(text), "num_segments": seg_counts[aid],
             "split": split_of[aid], "fold": fold_of[aid]}
        )
    for config in out:
        out[config] = {sp: out[config][sp] for sp in (*splits.SPLITS, SINGLE_SPLIT) if sp in out[config]}
    return out


def statistics(built: dict[str, dict[str, Rows]]) -> dict:
    """Per config and split: row count, label counts, text lengths, texts shared across splits."""
    stats: dict = {}
    for config in ("sentences", *TASKS):
        entry = {}
        texts = {sp: {r["text"] for r in rows} for sp, rows in built[config].items()}
        for split, rows in built[config].items():
            lengths = sorted(len(r["text"]) for r in rows)
            label_cols = ["label"] if config in TASKS else list(schema.FIELDS)
            entry[split] = {
                "rows": len(rows),
                "articles": len({r["article_id"] for r in rows}),
                "labels": {c: dict(sorted(Counter(r[c] for r in rows).items())) for c in label_cols},
                "text_length": {"min": lengths[0], "median": lengths[len(lengths) // 2], "max": lengths[-1]},
                "texts_shared_with_other_splits": sum(
                    1 for t in texts[split] if any(t in texts[o] for o in texts if o != split)
                ),
            }
        stats[config] = entry
    return stats


def make(inputs: BuildInputs, text: bool = True) -> BuiltDataset:
    built = tables(inputs)
    return BuiltDataset(tables=built, stats=statistics(built), text=text)
