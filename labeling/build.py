"""Build data/: the Hugging Face dataset (parquet per config and split, card, Croissant, stats).

Inputs: the frozen segments, the validated annotations, the seed articles and their metadata,
and, when present, the baseline results. The build writes into a temporary folder next to the
target and swaps it in, so a failed or interrupted build leaves the previous data/ whole.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import datasets
import pyarrow.parquet as pq

from . import release, schema, splits
from .annotations import GOLD, validate
from .corpus import ROOT, article_hash, load_articles, load_metadata, load_segments
from .files import dumps_json, write_atomic
from .segment import InputError

DATA_DIR = ROOT / "data"
RESULTS_FILE = ROOT / "baselines" / "results" / "results.json"
CONFIGS = ("sentences", *schema.TASKS, "articles", "annotations")
SINGLE_SPLIT = "full"
"""Split name of the configs that are not benchmark splits (articles, annotations)."""


def class_label(field: str) -> datasets.ClassLabel:
    return datasets.ClassLabel(names=list(schema.labels(field)))


def features(config: str, text: bool = True) -> datasets.Features:
    """The features of one config; text columns left out for the text-free release."""
    string, int32 = datasets.Value("string"), datasets.Value("int32")
    if config == "sentences":
        cols = {
            "id": string, "article_id": string, "paragraph_index": int32, "sentence_index": int32,
            "start": int32, "end": int32, "text": string,
            **{field: class_label(field) for field in schema.FIELDS}, "fold": int32,
        }
    elif config in schema.TASKS:
        cols = {"id": string, "article_id": string, "text": string, "label": class_label(config), "fold": int32}
    elif config == "articles":
        cols = {
            "article_id": string, "title": string, "outlet": string, "published": string,
            "evidence": string, "language": string, "notes": string, "text": string,
            "sha256": string, "num_segments": int32, "split": string, "fold": int32,
        }
    elif config == "annotations":
        cols = {
            "id": string, "article_id": string, "start": int32, "end": int32, "text": string,
            "annotator": string, **{field: class_label(field) for field in schema.FIELDS},
            "rationale": string,
        }
    else:
        raise KeyError(config)
    if not text:
        cols.pop("text")
    return datasets.Features(cols)


def check_agreement(annotations: dict) -> None:
    """The committed agreement figures, and the documents quoting them, must match the annotations."""
    import json

    from . import agreement, docblocks

    report = agreement.compute(annotations)
    stale = "run `python -m labeling agreement` and commit the result"
    try:
        committed = json.loads(agreement.AGREEMENT_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        committed = None
    if committed != json.loads(dumps_json(report)):
        raise InputError(f"{agreement.AGREEMENT_FILE.relative_to(ROOT)}: stale or missing; {stale}")
    for doc in agreement.DOCUMENTS:
        if not docblocks.is_current(doc, "agreement", agreement.markdown(report)):
            raise InputError(f"{doc.relative_to(ROOT)}: agreement block is stale; {stale}")


def gather() -> dict:
    """Read and check every input; return what the tables are made from."""
    articles = load_articles()
    metadata = load_metadata()
    segments = load_segments()
    annotations = validate()
    counts = {"articles": len(articles), "segments": len(segments)}
    for key, expected in release.EXPECTED.items():
        if counts[key] != expected:
            raise InputError(
                f"labeling/release.py: expected {expected} {key}, found {counts[key]}; "
                "update EXPECTED when the corpus changes on purpose"
            )
    if sorted(metadata) != sorted(articles):
        raise InputError("seeds/metadata.json: ids differ from the seed files' names")
    for s in segments:
        if articles[s["article_id"]][s["start"] : s["end"]] != s["text"]:
            raise InputError(f"labeling/segments.jsonl: {s['id']}: span does not match the seed text")
    check_agreement(annotations)
    gold = annotations[GOLD]
    benchmark = [s for s in segments if gold[s["id"]]["segment_type"] in schema.BENCHMARK_SEGMENT_TYPES]
    task_labels = {
        task: {a: [gold[s["id"]][task] for s in benchmark if s["article_id"] == a] for a in sorted(articles)}
        for task in schema.TASKS
    }
    return {
        "articles": articles,
        "metadata": metadata,
        "segments": segments,
        "annotations": annotations,
        "split_of": splits.choose(task_labels),
        "fold_of": splits.folds(list(articles)),
    }


def tables(inputs: dict) -> dict[str, dict[str, list[dict]]]:
    """config -> split -> rows, every list in a fixed order."""
    gold = inputs["annotations"][GOLD]
    split_of, fold_of = inputs["split_of"], inputs["fold_of"]
    out: dict[str, dict[str, list[dict]]] = {c: {} for c in CONFIGS}
    for s in inputs["segments"]:
        g = gold[s["id"]]
        split = split_of[s["article_id"]]
        row = {
            "id": s["id"], "article_id": s["article_id"], "paragraph_index": s["paragraph"],
            "sentence_index": s["sentence"], "start": s["start"], "end": s["end"], "text": s["text"],
            **{field: g[field] for field in schema.FIELDS}, "fold": fold_of[s["article_id"]],
        }
        out["sentences"].setdefault(split, []).append(row)
        if g["segment_type"] in schema.BENCHMARK_SEGMENT_TYPES:
            for task in schema.TASKS:
                out[task].setdefault(split, []).append(
                    {"id": s["id"], "article_id": s["article_id"], "text": s["text"], "label": g[task],
                     "fold": row["fold"]}
                )
        for name, records in inputs["annotations"].items():
            r = records[s["id"]]
            out["annotations"].setdefault(SINGLE_SPLIT, []).append(
                {"id": s["id"], "article_id": s["article_id"], "start": s["start"], "end": s["end"],
                 "text": s["text"], "annotator": name, **{f: r[f] for f in schema.FIELDS},
                 "rationale": r.get("rationale", "")}
            )
    seg_counts = Counter(s["article_id"] for s in inputs["segments"])
    for aid, text in sorted(inputs["articles"].items()):
        meta = inputs["metadata"][aid]
        out["articles"].setdefault(SINGLE_SPLIT, []).append(
            {"article_id": aid, **{k: meta[k] for k in ("title", "outlet", "published", "evidence",
                                                      "language", "notes")},
             "text": text, "sha256": article_hash(text), "num_segments": seg_counts[aid],
             "split": split_of[aid], "fold": fold_of[aid]}
        )
    for config in out:
        out[config] = {sp: out[config][sp] for sp in (*splits.SPLITS, SINGLE_SPLIT) if sp in out[config]}
    return out


def write_parquet(rows: list[dict], feats: datasets.Features, path: Path) -> int:
    """One parquet file with the features in its schema metadata; same rows, same bytes.

    Returns the table's size in memory, the `num_bytes` of the card's split info."""
    table = datasets.Dataset.from_list(rows, features=feats).data.table
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", write_statistics=False)
    return table.nbytes


def statistics(built: dict[str, dict[str, list[dict]]]) -> dict:
    """Per config and split: row count, label counts, text lengths, texts shared across splits."""
    stats: dict = {}
    for config in ("sentences", *schema.TASKS):
        entry = {}
        texts = {sp: {r["text"] for r in rows} for sp, rows in built[config].items()}
        for split, rows in built[config].items():
            lengths = sorted(len(r["text"]) for r in rows)
            label_cols = ["label"] if config in schema.TASKS else list(schema.FIELDS)
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


def render_card(built: dict, sizes: dict, stats: dict, inputs: dict, text: bool = True) -> str:
    """The dataset card, with the committed baseline results when there are any."""
    from . import card

    results = None
    if RESULTS_FILE.exists():
        import json

        results = json.loads(RESULTS_FILE.read_text(encoding="utf-8"))
    return card.render(built, sizes, stats, inputs, results, text)


def write_dataset(out: Path, inputs: dict, text: bool = True) -> dict:
    """Write every config, the statistics, the card and the Croissant file into `out`.

    Returns what the card was rendered from, so `refresh_card` can render it again."""
    from . import croissant

    built = tables(inputs)
    sizes: dict[str, dict[str, int]] = {}
    for config, by_split in built.items():
        feats = features(config, text)
        for split, rows in by_split.items():
            if not text:
                rows = [{k: v for k, v in r.items() if k != "text"} for r in rows]
            sizes.setdefault(config, {})[split] = write_parquet(rows, feats, out / config / f"{split}.parquet")
    stats = statistics(built)
    (out / "stats.json").write_text(dumps_json(stats), encoding="utf-8")
    (out / "README.md").write_text(render_card(built, sizes, stats, inputs, text), encoding="utf-8")
    (out / "croissant.json").write_text(dumps_json(croissant.metadata(out, built, text)), encoding="utf-8")
    return {"built": built, "sizes": sizes, "stats": stats, "inputs": inputs, "text": text}


def swap_in(tmp: Path, target: Path) -> None:
    old = target.with_name(f"{target.name}.old-{os.getpid()}")
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


def recover(target: Path) -> None:
    """Undo what a build killed half-way left behind: restore a set-aside target, drop temp folders."""
    target = Path(target)
    olds = sorted(target.parent.glob(f"{target.name}.old-*"))
    if olds and not target.exists():
        os.replace(olds[-1], target)
    for leftover in [*target.parent.glob(f"{target.name}.tmp-*"), *target.parent.glob(f"{target.name}.old-*")]:
        shutil.rmtree(leftover, ignore_errors=True)


def build(target: Path = DATA_DIR, text: bool = True) -> dict:
    """Build the dataset into `target` atomically; return what its card was rendered from."""
    target = Path(target)
    recover(target)
    inputs = gather()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{target.name}.tmp-", dir=target.parent))
    try:
        state = write_dataset(tmp, inputs, text)
        swap_in(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return state


def refresh_card(state: dict, target: Path = DATA_DIR) -> None:
    """Render the card of a build again (after new baseline results); nothing else changes."""
    card = render_card(state["built"], state["sizes"], state["stats"], state["inputs"], state["text"])
    write_atomic(Path(target) / "README.md", card)


def check(target: Path = DATA_DIR) -> list[str]:
    """What differs between the committed data/ and a fresh build (empty when up to date)."""
    target = Path(target)
    inputs = gather()
    with tempfile.TemporaryDirectory() as fresh:
        fresh = Path(fresh)
        write_dataset(fresh, inputs)
        have = {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()} if target.exists() else set()
        want = {p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file()}
        name = Path(target).name
        problems = [f"missing: {name}/{p}" for p in sorted(want - have)]
        problems += [f"not produced by the build: {name}/{p}" for p in sorted(have - want)]
        problems += [
            f"differs: {name}/{p}"
            for p in sorted(want & have)
            if not filecmp.cmp(fresh / p, target / p, shallow=False)
        ]
    return problems
