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
    """Binary word counts of the texts and their vocabulary. The last two are kept, so the labels of
    a one-vs-rest fit and the points of a grid, which see the same texts, count them once."""
    vectorizer = CountVectorizer(tokenizer=words, token_pattern=None, lowercase=False, binary=True)
    counts = vectorizer.fit_transform(texts)
    return counts, np.array(vectorizer.get_feature_names_out(), dtype=object)


class LexiconClassifier(ClassifierMixin, BaseEstimator):
    """Cue words per class by χ² on the training data; predict the class with most cue hits."""

    def __init__(self, cues_per_class: int = 20, min_count: int = 2):
        self.cues_per_class = cues_per_class
        self.min_count = min_count

    def fit(self, X, y):
        texts, y = [str(x) for x in X], np.asarray(y, dtype=object)
        self.classes_ = np.array(sorted(set(y)), dtype=object)
        self.majority_ = Counter(y).most_common(1)[0][0]
        counts, vocab = _word_counts(tuple(texts))
        totals = np.asarray(counts.sum(axis=0)).ravel()
        self.cues_ = {}
        for label in self.classes_:
            member = (y == label).astype(int)
            if member.sum() in (0, len(member)):
                continue
            scores, _ = chi2(counts, member)
            inside = np.asarray(counts[member == 1].sum(axis=0)).ravel()
            expected = totals * member.mean()
            keep = (inside > expected) & (totals >= self.min_count) & np.isfinite(scores)
            order = sorted(np.flatnonzero(keep), key=lambda j: (-scores[j], vocab[j]))[: self.cues_per_class]
            self.cues_[str(label)] = [str(vocab[j]) for j in order if len(vocab[j]) <= MAX_CUE]
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
        cue_sets = {label: set(cues) for label, cues in self.cues_.items()}
        out = []
        for x in X:
            tokens = Counter(words(str(x)))
            best, best_hits = self.majority_, 0
            for label in self.classes_:
                hits = sum(tokens[c] for c in cue_sets.get(str(label), ()))
                if hits > best_hits:
                    best, best_hits = label, hits
            out.append(best)
        return np.array(out, dtype=object)

    def predict_proba(self, X):
        """Probability 1 for the predicted class (the rule is not probabilistic); lets the classifier
        serve inside one-vs-rest for multi-label tasks."""
        predicted = self.predict(X)
        return np.array([[float(p == c) for c in self.classes_] for p in predicted])
