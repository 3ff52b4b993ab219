"""A lexicon classifier whose cue words are chosen from its training data alone (χ² per class).

For each class, the words most associated with it in the training sentences (largest χ² among
words seen more often in that class than expected) become its cues; a sentence gets the class
whose cues it contains most often, and the training majority when it contains none. The cues
are plain words, so a saved model holds no regular expressions and no code.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.feature_selection import chi2
from sklearn.utils.validation import check_is_fitted

MAX_CUE = 64
WORD = re.compile(r"[a-z0-9][a-z0-9'-]*")


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


@lru_cache(maxsize=2)
def _word_counts(texts: tuple[str, ...]):
    """Binary word counts of the texts and their vocabulary (sorted). The last two are kept, so the
    labels of a one-vs-rest fit, which see the same texts, count them once."""
    vectorizer = CountVectorizer(tokenizer=words, token_pattern=None, lowercase=False, binary=True)
    counts = vectorizer.fit_transform(texts)
    return counts, np.array(vectorizer.get_feature_names_out(), dtype=object)


@lru_cache(maxsize=32)
def _ranked_cues(texts: tuple[str, ...], y: tuple, min_count: int) -> dict[str, list[str]]:
    """Every class's candidate cues, best first: words seen more often in the class than expected,
    by χ² (largest first), ties in alphabetical order. Kept for the last 32 fits, so the points of
    a grid, which differ only in how many cues they take, rank them once (also for each one-vs-rest label)."""
    counts, vocab = _word_counts(texts)
    y = np.asarray(y, dtype=object)
    totals = np.asarray(counts.sum(axis=0)).ravel()
    out = {}
    for label in sorted(set(y)):
        member = (y == label).astype(int)
        if member.sum() in (0, len(member)):
            continue
        scores, _ = chi2(counts, member)
        inside = np.asarray(counts[member == 1].sum(axis=0)).ravel()
        expected = totals * member.mean()
        keep = np.flatnonzero((inside > expected) & (totals >= min_count) & np.isfinite(scores))
        # The vocabulary is sorted, so its index orders ties alphabetically.
        order = keep[np.lexsort((keep, -scores[keep]))]
        out[str(label)] = [str(w) for w in vocab[order]]
    return out


class LexiconClassifier(ClassifierMixin, BaseEstimator):
    """Cue words per class by χ² on the training data; predict the class with most cue hits."""

    def __init__(self, cues_per_class: int = 20, min_count: int = 2):
        self.cues_per_class = cues_per_class
        self.min_count = min_count

    def fit(self, X, y):
        texts, y = [str(x) for x in X], np.asarray(y, dtype=object)
        self.classes_ = np.array(sorted(set(y)), dtype=object)
        self.majority_ = Counter(y).most_common(1)[0][0]
        ranked = _ranked_cues(tuple(texts), tuple(y), self.min_count)
        self.cues_ = {label: [c for c in cues[: self.cues_per_class] if len(c) <= MAX_CUE]
                      for label, cues in ranked.items()}
        return self

    def check_cues(self) -> None:
        """Refuse state a fit would not produce (used when loading a saved model)."""
        if not isinstance(getattr(self, "cues_", None), dict):
            raise ValueError("no cue lists")
        for label, cues in self.cues_.items():
            if not isinstance(cues, list) or not all(isinstance(c, str) and 0 < len(c) <= MAX_CUE
                                                     and WORD.fullmatch(c) for c in cues):
                raise ValueError(f"cues of {str(label)[:40]!r} must be a list of words of 1-{MAX_CUE} characters")

    def predict(self, X):
        check_is_fitted(self, "cues_")
        labels = [label for label in self.classes_ if self.cues_.get(str(label))]
        if not labels:
            return np.array([self.majority_] * len(X), dtype=object)
        vocabulary = sorted({c for label in labels for c in self.cues_[str(label)]})
        index = {c: j for j, c in enumerate(vocabulary)}
        tokens = CountVectorizer(tokenizer=words, token_pattern=None, lowercase=False,
                                 vocabulary=vocabulary).transform([str(x) for x in X])
        cue_matrix = np.zeros((len(vocabulary), len(labels)), dtype=np.int64)
        for k, label in enumerate(labels):
            for c in set(self.cues_[str(label)]):
                cue_matrix[index[c], k] = 1
        hits = np.asarray(tokens @ cue_matrix)
        # The first class (in class order) with the most hits; the training majority when none hit.
        best = np.array(labels, dtype=object)[hits.argmax(axis=1)]
        return np.where(hits.max(axis=1) > 0, best, np.array([self.majority_] * len(X), dtype=object))

    def predict_proba(self, X):
        """Probability 1 for the predicted class (the rule is not probabilistic); lets the classifier
        serve inside one-vs-rest for multi-label tasks."""
        predicted = self.predict(X)
        return np.array([[float(p == c) for c in self.classes_] for p in predicted])
