"""Article-disjoint train/validation/test splits and cross-validation folds, for any number of articles.

An assignment of articles to groups is scored by how far each group's label distribution is from
the whole corpus's (total variation distance, weighted by the group's share of labels), summed over
the tasks. Splits hold about 60/20/20 of the articles (validation and test one article each when
there are four or five).

- Up to EXHAUSTIVE_MAX articles, every assignment is tried and the lowest score wins (ties broken by
  the sorted assignment): exact, deterministic, no seed.
- Beyond, a stratified group assignment: each group is given its share of every label's corpus
  count as a target; articles in order of size (most labels first, then id) each go to the group,
  among those with room, whose counts move closest to that target (L1, each task weighted by its
  size). Deterministic, linear in the number of articles, scored and reported the same way.

Folds: one per article (leave one article out) up to LOAO_MAX articles; beyond, K_FOLDS
article-disjoint folds of near-equal article counts, assigned by the same stratified procedure.
"""

from __future__ import annotations

import itertools
from collections import Counter

SPLITS = ("train", "validation", "test")
EXHAUSTIVE_MAX = 10
LOAO_MAX = 12
K_FOLDS = 5

Labels = dict[str, dict[str, list[str]]]
"""task -> article id -> the labels of that article's benchmark sentences"""


def _sizes(n: int) -> tuple[int, int, int]:
    held = max(1, round(n * 0.2))
    return n - 2 * held, held, held


def _distance(counts: Counter, total: int, reference: Counter, ref_total: int) -> float:
    keys = set(counts) | set(reference)
    return 0.5 * sum(abs(counts[k] / total - reference[k] / ref_total) for k in keys)


def score(assignment: dict[str, str], labels: Labels) -> float:
    """Sum over tasks and groups of the group-size-weighted distance from the corpus distribution."""
    total = 0.0
    for by_article in labels.values():
        reference = Counter(x for values in by_article.values() for x in values)
        n = sum(reference.values())
        groups = set(assignment.values())
        for group in [*(g for g in SPLITS if g in groups), *sorted(groups - set(SPLITS), key=str)]:
            pooled = Counter(x for a, values in by_article.items() if assignment[a] == group for x in values)
            size = sum(pooled.values())
            if size:
                total += size / n * _distance(pooled, size, reference, n)
    return total


def _exhaustive(articles: list[str], labels: Labels) -> dict[str, str]:
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


def stratified(labels: Labels, capacity: dict, articles: list[str] | None = None) -> dict:
    """Article id -> group, each group holding `capacity[group]` articles, greedily keeping every
    group's label counts close to its share of the corpus's (see the module docstring)."""
    articles = sorted(next(iter(labels.values()))) if articles is None else articles
    tasks = list(labels)
    n = len(articles)
    reference = {t: Counter(x for a in articles for x in labels[t].get(a, ())) for t in tasks}
    weight = {t: 1 / max(1, sum(reference[t].values())) for t in tasks}
    # Remaining demand: each group's share of every label's corpus count, minus what it holds.
    demand = {g: {t: {lab: c * capacity[g] / n for lab, c in reference[t].items()} for t in tasks} for g in capacity}
    room = dict(capacity)
    own = {a: {t: Counter(labels[t].get(a, ())) for t in tasks} for a in articles}
    order = sorted(articles, key=lambda a: (-sum(sum(c.values()) for c in own[a].values()), a))
    assignment = {}
    for a in order:
        best = None
        for g in capacity:
            if room[g] <= 0:
                continue
            # Change in the L1 distance between the group's counts and its target counts.
            change = sum(weight[t] * (abs(demand[g][t][lab] - c) - abs(demand[g][t][lab]))
                         for t in tasks for lab, c in own[a][t].items())
            key = (round(change, 12), -room[g] / capacity[g])
            if best is None or key < best[0]:
                best = (key, g)
        group = best[1]
        for t in tasks:
            for lab, c in own[a][t].items():
                demand[group][t][lab] -= c
        room[group] -= 1
        assignment[a] = group
    return {a: assignment[a] for a in articles}


def choose(labels: Labels) -> dict[str, str]:
    """Article id -> split, for labels given as task -> article id -> that article's labels."""
    articles = sorted(next(iter(labels.values())))
    if len(articles) < 3:
        raise ValueError(f"need at least 3 articles for three article-disjoint splits, got {len(articles)}")
    if len(articles) <= EXHAUSTIVE_MAX:
        return _exhaustive(articles, labels)
    return stratified(labels, dict(zip(SPLITS, _sizes(len(articles)))), articles)


def method(n_articles: int) -> str:
    """How the splits of a corpus of this size are chosen, for the card."""
    return "exhaustive search" if n_articles <= EXHAUSTIVE_MAX else "stratified group assignment"


def folds(labels: Labels) -> dict[str, int]:
    """Article id -> fold: leave-one-article-out (fold k holds the k-th article in sorted order) up to
    LOAO_MAX articles, else K_FOLDS stratified article-disjoint folds."""
    articles = sorted(next(iter(labels.values())))
    if len(articles) <= LOAO_MAX:
        return {a: k for k, a in enumerate(articles)}
    return grouped_folds(labels, K_FOLDS)


def grouped_folds(labels: Labels, k: int) -> dict[str, int]:
    """Article id -> one of k article-disjoint folds of near-equal article counts, stratified."""
    articles = sorted(next(iter(labels.values())))
    base, extra = divmod(len(articles), k)
    return stratified(labels, {i: base + (i < extra) for i in range(k)}, articles)
