"""The dataset's configs: their features (ClassLabel names from the schema) and parquet writing."""

from __future__ import annotations

from pathlib import Path

import datasets
import pyarrow.parquet as pq

from ..annotation import schema
from .tasks import TASKS
from .tasks import labels as task_labels

CONFIGS = ("sentences", *TASKS, "contrast", "fewshot", "articles", "annotations")
DEFAULT_CONFIG = "sentences"
MULTI_LABEL_CONFIGS = ("frames",)
OWN_TEXT_CONFIGS = ("fewshot",)
"""Configs whose text the project wrote (constructed examples): kept in the text-free release."""
TEXT_ONLY_CONFIGS = ("contrast",)
"""Configs left out of the text-free release: their texts derive from the articles and cannot be rehydrated."""
SINGLE_SPLIT = "full"
POOL_SPLIT = "pool"
"""The one split of the `fewshot` config: the codebook's constructed examples, the only data
evaluation-only systems may take examples from."""
"""Split name of the configs that are not benchmark splits (articles, annotations)."""


def class_label(names) -> datasets.ClassLabel:
    return datasets.ClassLabel(names=list(names))


def label_columns() -> dict:
    """Every annotation field as a dataset column: ClassLabel, a sequence of ClassLabel, or string."""
    cols = {}
    for field in schema.ANNOTATION_FIELDS:
        if field in schema.FIELDS:
            cols[field] = class_label(schema.labels(field))
        elif field in schema.MULTI_FIELDS:
            cols[field] = datasets.Sequence(class_label(schema.labels(field)))
        else:
            cols[field] = datasets.Value("string")
    return cols


def features(config: str, text: bool = True) -> datasets.Features:
    """The features of one config; text columns left out for the text-free release."""
    string, int32 = datasets.Value("string"), datasets.Value("int32")
    if config == "sentences":
        cols = {
            "id": string, "article_id": string, "paragraph_index": int32, "sentence_index": int32,
            "start": int32, "end": int32, "text": string, **label_columns(), "fold": int32,
        }
    elif config == "stance":
        cols = {"id": string, "segment_id": string, "article_id": string, "target": class_label(schema.TARGETS),
                "text": string, "label": class_label(task_labels(config)), "fold": int32}
    elif config == "source":
        cols = {"id": string, "article_id": string, "text": string, "label": class_label(task_labels(config)),
                "speech": class_label(schema.SPEECH), "source_name": string, "fold": int32}
    elif config == "frames":
        cols = {"id": string, "article_id": string, "text": string,
                "label": datasets.Sequence(class_label(schema.FRAME)), "fold": int32}
    elif config in TASKS:
        cols = {"id": string, "article_id": string, "text": string, "label": class_label(task_labels(config)),
                "fold": int32}
    elif config == "contrast":
        cols = {"id": string, "source_id": string, "article_id": string, "edit_type": string, "target": string,
                "original_text": string, "text": string, **label_columns(),
                "edit_ratio": datasets.Value("float32"), "synthetic": datasets.Value("bool")}
    elif config == "fewshot":
        cols = {"id": string, "text": string, **label_columns()}
    elif config == "articles":
        cols = {
            "article_id": string, "title": string, "outlet": string, "published": string,
            "url": string, "license": string, "evidence": string, "language": string, "notes": string, "text": string,
            "sha256": string, "num_segments": int32, "split": string, "fold": int32,
        }
    elif config == "annotations":
        cols = {
            "id": string, "article_id": string, "start": int32, "end": int32, "text": string,
            "annotator": string, **label_columns(), "rules": string, "rationale": string,
        }
    else:
        raise KeyError(config)
    if not text and config not in OWN_TEXT_CONFIGS:
        cols.pop("text")
    return datasets.Features(cols)


def write_parquet(rows: list[dict], feats: datasets.Features, path: Path) -> int:
    """One parquet file with the features in its schema metadata; same rows, same bytes.

    Returns the table's size in memory, the `num_bytes` of the card's split info."""
    table = datasets.Dataset.from_list(rows, features=feats).data.table
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", write_statistics=False)
    return table.nbytes
