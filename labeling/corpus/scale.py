"""Segmenting a corpus of any size with `datasets.Dataset.map(batched=True, num_proc=N)`.

The input is a table of articles (`article_id`, `text`), in parquet or JSON Lines, read as an
Arrow-backed dataset that is memory-mapped, not loaded; the output is one row per sentence, in
parquet, which Spark, Dask, DuckDB or pandas read directly.
"""

from __future__ import annotations

from pathlib import Path

import datasets

from ..core.errors import InputError
from ..core.io import atomic_path
from .seeds import check_article_id
from .segment import segment_text

SEGMENT_FEATURES = datasets.Features(
    {
        "id": datasets.Value("string"),
        "article_id": datasets.Value("string"),
        "paragraph_index": datasets.Value("int32"),
        "sentence_index": datasets.Value("int32"),
        "start": datasets.Value("int32"),
        "end": datasets.Value("int32"),
        "text": datasets.Value("string"),
    }
)


def segment_batch(batch: dict[str, list]) -> dict[str, list]:
    """Segment a batch of articles into a batch of sentences (a batched `map` function)."""
    out: dict[str, list] = {name: [] for name in SEGMENT_FEATURES}
    for article_id, text in zip(batch["article_id"], batch["text"]):
        check_article_id(str(article_id), "input")
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"input: article {article_id!r} has no text")
        for index, seg in enumerate(segment_text(text)):
            out["id"].append(f"{article_id}-{index:03d}")
            out["article_id"].append(article_id)
            out["paragraph_index"].append(seg.paragraph)
            out["sentence_index"].append(seg.sentence)
            out["start"].append(seg.start)
            out["end"].append(seg.end)
            out["text"].append(seg.text)
    return out


def segment_dataset(articles: datasets.Dataset, num_proc: int | None = None, batch_size: int = 64) -> datasets.Dataset:
    """One row per sentence of every article, computed in `num_proc` processes."""
    missing = {"article_id", "text"} - set(articles.column_names)
    if missing:
        raise InputError(f"input: missing column(s) {', '.join(sorted(missing))}")
    return articles.map(
        segment_batch,
        batched=True,
        batch_size=batch_size,
        num_proc=num_proc,
        remove_columns=articles.column_names,
        features=SEGMENT_FEATURES,
        desc="segmenting",
    )


def load_articles_table(path: Path) -> datasets.Dataset:
    """An Arrow-backed dataset of articles from parquet or JSON Lines."""
    path = Path(path)
    builders = {".parquet": "parquet", ".jsonl": "json", ".json": "json"}
    if path.suffix not in builders:
        raise InputError(f"{path}: expected .parquet or .jsonl with columns article_id and text")
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected a file")
    try:
        table = datasets.load_dataset(builders[path.suffix], data_files=str(path), split="train")
    except Exception as exc:  # the parquet and json builders raise many types for bad files
        reason = str(exc).splitlines()[0][:160] if str(exc) else exc.__class__.__name__
        raise InputError(f"{path}: cannot read articles ({reason})") from None
    if "article_id" in table.column_names:
        ids = table["article_id"]
        seen: set = set()
        for row, article_id in enumerate(ids):
            if article_id in seen:
                raise InputError(f"{path}: row {row}: duplicate article_id {str(article_id)[:80]!r}")
            seen.add(article_id)
    return table


def segment_corpus_file(src: Path, out: Path, num_proc: int | None = None) -> int:
    """Segment every article of `src` into `out` (parquet); return the number of sentences."""
    sentences = segment_dataset(load_articles_table(src), num_proc=num_proc)
    with atomic_path(out) as tmp:
        sentences.to_parquet(str(tmp))
    return len(sentences)
