"""TF-IDF matrices of many training parts of one corpus, each text analysed once.

`TfidfVectorizer.fit_transform` analyses every training text again for every training part (the
n-gram loop in Python is most of its cost). `TextCounts` analyses each distinct text once, keeps its
n-grams in the order the vectoriser first meets them, and assembles a training part's count matrix
from those with array operations, entry for entry as the vectoriser builds it: rows ordered by the
part's first-appearance ids, columns numbered in alphabetical order. The scikit-learn
`TfidfTransformer` then does the rest exactly as inside the vectoriser, so the matrices are the same
bytes (`tests/test_counts.py` checks data, indices and row pointers against the vectoriser).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

_MATRIX = None


def _matrix_type():
    """The sparse container the installed scikit-learn returns from its vectorisers."""
    global _MATRIX
    if _MATRIX is None:
        _MATRIX = type(TfidfVectorizer(analyzer="char").fit_transform(["ab"]))
    return _MATRIX


def _rows_of(lengths: np.ndarray) -> np.ndarray:
    """The row of every entry of rows with these lengths."""
    return np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)


def supported(steps) -> bool:
    """Whether a pipeline prefix is one TfidfVectorizer this module reproduces: no vocabulary given,
    no pruning (min_df=1, max_df=1.0, no max_features), counts not binarised, float64."""
    if len(steps) != 1 or type(steps[0][1]) is not TfidfVectorizer:
        return False
    v = steps[0][1]
    return (v.vocabulary is None and v.min_df == 1 and v.max_df == 1.0 and v.max_features is None
            and not v.binary and v.dtype is np.float64 and v.input == "content")


@dataclass(frozen=True)
class Fitted:
    """A training part's vocabulary (global feature id -> column, -1 outside) and fitted idf."""

    source: TextCounts
    column: np.ndarray
    tfidf: TfidfTransformer
    n_features: int

    def transform(self, texts):
        """As the fitted vectoriser's `transform(texts)`."""
        return self.source.transform(self, texts)


class TextCounts:
    """Every text met so far, analysed once by one vectoriser's analyser: its features (global ids, in
    the order of first occurrence in the text) and their counts."""

    def __init__(self, vectorizer: TfidfVectorizer):
        self.vectorizer = vectorizer
        self._analyse = vectorizer.build_analyzer()
        self._vocabulary: dict[str, int] = {}
        self._names: list[str] = []
        self._rank: np.ndarray | None = None
        self._row: dict[str, int] = {}
        self._features: list[np.ndarray] = []
        self._counts: list[np.ndarray] = []

    def _rows(self, texts) -> np.ndarray:
        out = np.empty(len(texts), dtype=np.int64)
        for i, text in enumerate(texts):
            row = self._row.get(text)
            if row is None:
                row = self._row[text] = len(self._features)
                counter: dict[int, int] = {}
                vocabulary = self._vocabulary
                for feature in self._analyse(text):
                    idx = vocabulary.get(feature)
                    if idx is None:
                        idx = vocabulary[feature] = len(self._names)
                        self._names.append(feature)
                        self._rank = None
                    counter[idx] = counter.get(idx, 0) + 1
                # 32-bit storage (8 bytes an entry) as the vectoriser's own indices and counts; float64 on assembly.
                self._features.append(np.fromiter(counter.keys(), dtype=np.int32, count=len(counter)))
                self._counts.append(np.fromiter(counter.values(), dtype=np.int32, count=len(counter)))
            out[i] = row
        return out

    def _alphabetical_rank(self) -> np.ndarray:
        """Each global feature's position in name order (Python's string order, as the vectoriser sorts)."""
        if self._rank is None:
            order = sorted(range(len(self._names)), key=self._names.__getitem__)
            self._rank = np.empty(len(order), dtype=np.int64)
            self._rank[order] = np.arange(len(order))
        return self._rank

    def _entries(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lengths = np.fromiter((len(self._features[r]) for r in rows), dtype=np.int64, count=len(rows))
        if not len(rows):
            return np.empty(0, np.int32), np.empty(0, np.int32), lengths
        return (np.concatenate([self._features[r] for r in rows]),
                np.concatenate([self._counts[r] for r in rows]), lengths)

    def _matrix(self, data, indices, lengths, n_features):
        index = np.int32 if lengths.sum() <= np.iinfo(np.int32).max else np.int64  # as the vectoriser chooses
        indptr = np.zeros(len(lengths) + 1, dtype=index)
        np.cumsum(lengths, out=indptr[1:])
        counts = sp.csr_array((data.astype(np.float64), indices.astype(index), indptr),
                              shape=(len(lengths), n_features))
        return _matrix_type()(counts) if _matrix_type() is not sp.csr_array else counts

    def fit_transform(self, texts) -> tuple[Fitted, object]:
        """What `TfidfVectorizer.fit_transform(texts)` returns, and the fitted part for `transform`."""
        features, data, lengths = self._entries(self._rows(texts))
        seen, first, where = np.unique(features, return_index=True, return_inverse=True)
        if not len(seen):
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        appearance = np.empty(len(seen), dtype=np.int64)
        appearance[np.argsort(first)] = np.arange(len(seen))
        # Within a row the vectoriser keeps entries in first-appearance order; columns are alphabetical.
        order = np.argsort(_rows_of(lengths) * len(seen) + appearance[where])
        column = np.empty(len(seen), dtype=np.int64)
        column[np.argsort(self._alphabetical_rank()[seen], kind="stable")] = np.arange(len(seen))
        counts = self._matrix(data[order], column[where][order], lengths, len(seen))
        v = self.vectorizer
        tfidf = TfidfTransformer(norm=v.norm, use_idf=v.use_idf, smooth_idf=v.smooth_idf, sublinear_tf=v.sublinear_tf)
        tfidf.fit(counts)
        lookup = np.full(len(self._names), -1, dtype=np.int64)
        lookup[seen] = column
        return Fitted(self, lookup, tfidf, len(seen)), tfidf.transform(counts, copy=False)

    def transform(self, fitted: Fitted, texts):
        """What the fitted vectoriser's `transform(texts)` returns: features outside the training
        vocabulary dropped, each row's entries in column order."""
        features, data, lengths = self._entries(self._rows(texts))
        column = np.full(len(features), -1, dtype=np.int64)
        known = features < len(fitted.column)
        column[known] = fitted.column[features[known]]
        keep = column >= 0
        row = _rows_of(lengths)[keep]
        column, data = column[keep], data[keep]
        order = np.argsort(row * fitted.n_features + column)
        kept = np.bincount(row, minlength=len(lengths))
        return fitted.tfidf.transform(self._matrix(data[order], column[order], kept, fitted.n_features), copy=False)
