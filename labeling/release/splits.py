"""Article-disjoint train/validation/test splits and leave-one-article-out folds.

Every assignment of articles to splits (validation and test one article each when there are
four; otherwise about 60/20/20 of the articles) is scored by how far each split's label
distribution is from the whole corpus's, summed over the tasks (total variation distance,
weighted by split size); the lowest score wins, ties broken by the sorted assignment. The
procedure is exhaustive, so it is deterministic and needs no seed. Above EXHAUSTIVE_MAX articles
the search would explode, so larger corpora are split by a hash of the article id instead.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter

SPLITS = ("train", "validation", "test")
EXHAUSTIVE_MAX = 10


def _sizes(n: int) -> tuple[int, int, int]:
    held = max(1, round(n * 0.2))
    return n - 2 * held, held, held


def _distance(labels: list[str], reference: Counter) -> float:
    counts = Counter(labels)
    total, ref_total = sum(counts.values()), sum(reference.values())
    keys = set(counts) | set(reference)
    return 0.5 * sum(abs(counts[k] / total - reference[k] / ref_total) for k in keys)


def score(assignment: dict[str, str], labels: dict[str, dict[str, list[str]]]) -> float:
    """Sum over tasks and splits of the split-size-weighted distance from the corpus distribution."""
    total = 0.0
    for task, by_article in labels.items():
        reference = Counter(x for values in by_article.values() for x in values)
        n = sum(reference.values())
        for split in SPLITS:
            pooled = [x for a, values in by_article.items() if assignment[a] == split for x in values]
            if pooled:
                total += len(pooled) / n * _distance(pooled, reference)
    return total


def choose(labels: dict[str, dict[str, list[str]]]) -> dict[str, str]:
    """Article id -> split, for labels given as task -> article id -> that article's labels."""
    articles = sorted(next(iter(labels.values())))
    if len(articles) < 3:
        raise ValueError(f"need at least 3 articles for three article-disjoint splits, got {len(articles)}")
    if len(articles) > EXHAUSTIVE_MAX:
        return {a: by_hash(a) for a in articles}
    n_train, n_val, n_test = _sizes(len(articles))
    best = None
    for val in itertools.combinations(articles, n_val):
        rest = [a for a in articles if a not in val]
        for test in itertools.combinations(rest, n_test):
            assignment = {a: "validation" if a in val else "test" if a in test else "train" for a in articles}
            key = (round(score(assignment, labels), 12), sorted(assignment.items()))
            if best is None or key < best[0]:
                best = (key, assignment)
    return best[1]


def by_hash(article_id: str) -> str:
    """60/20/20 split by the first byte of the id's SHA-256, for corpora too large to search."""
    bucket = hashlib.sha256(article_id.encode("utf-8")).digest()[0] % 10
    return "train" if bucket < 6 else "validation" if bucket < 8 else "test"


def folds(article_ids: list[str]) -> dict[str, int]:
    """Leave-one-article-out folds: fold k holds out the k-th article in sorted order."""
    return {a: k for k, a in enumerate(sorted(article_ids))}
