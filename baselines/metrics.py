"""One metric spec per task, the scores computed from it, and vectorised bootstrap intervals.

Macro averages run over the labels present in the gold data of the evaluated part (a label
that no gold row there carries cannot be scored); the stance tasks' main score, SemEval-2016's
F_avg, averages the F1 of favor and against as far as the evaluated gold has them, so a perfect
predictor always scores 1.0. F1 of a label with no gold and no predicted instance is 0
(`zero_division=0`). Bootstrap resamples follow the same rule on their own gold.
"""

from __future__ import annotations

import numpy as np

from labeling.annotation import schema
from labeling.release.tasks import labels as task_labels
from labeling.release.tasks import METRICS, REGISTRY

ZERO_DIVISION = 0.0
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 20261122
CONFIDENCE = 0.95


def present_labels(task: str, y_true) -> list[str]:
    """Labels of the task that occur in the gold data, in schema order."""
    seen = set(y_true)
    return [label for label in task_labels(task) if label in seen]


def main_labels(task: str, y_true) -> list[str]:
    """The labels the main score averages: for F_avg, favor and against as far as the evaluated gold
    has them; for macro-F1, every label the gold has."""
    present = present_labels(task, y_true)
    spec = METRICS[task]
    return [label for label in spec.main_labels if label in present] if spec.main_labels else present


def main_score(task: str, y_true, y_pred) -> float | None:
    """The task's main score; None when the evaluated gold has none of the labels it averages."""
    if is_multilabel(task):
        return multilabel_scores(task, y_true, y_pred)["main"]
    labels = main_labels(task, y_true)
    if not labels:
        return None
    return macro_f1(task, y_true, y_pred, labels)


def tuning_score(task: str, y_true, y_pred) -> float:
    """The main score for choosing hyper-parameters: 0 where the main score is undefined."""
    score = main_score(task, y_true, y_pred)
    return 0.0 if score is None else score


def is_multilabel(task: str) -> bool:
    return REGISTRY[task].multilabel


def onehot(task: str, label_sets) -> np.ndarray:
    """(n, K) booleans: which of the task's labels each row has."""
    index = {label: i for i, label in enumerate(task_labels(task))}
    out = np.zeros((len(label_sets), len(index)), dtype=bool)
    for r, labels in enumerate(label_sets):
        for label in labels:
            out[r, index[label]] = True
    return out


def multilabel_scores(task: str, y_true, y_pred) -> dict:
    """Multi-label point estimates: micro-F1 (main, SemEval-2023 Task 3), macro-F1 over the labels
    the gold has, exact-match accuracy, weighted F1 and every class's precision, recall, F1, support."""
    t, p = onehot(task, y_true), onehot(task, y_pred)
    tp, fp, fn = (t & p).sum(axis=0), (~t & p).sum(axis=0), (t & ~p).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), ZERO_DIVISION)
        recall = np.where(tp + fn > 0, tp / np.maximum(tp + fn, 1), ZERO_DIVISION)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), ZERO_DIVISION)
    support = t.sum(axis=0)
    present = support > 0
    micro = 2 * tp.sum() / (2 * tp.sum() + fp.sum() + fn.sum()) if (2 * tp.sum() + fp.sum() + fn.sum()) else 1.0
    labels = list(task_labels(task))
    return {
        "main": float(micro),
        "main_labels": [label for label, here in zip(labels, present) if here],
        "macro_f1": float(f1[present].mean()) if present.any() else None,
        "accuracy": float(np.mean((t == p).all(axis=1))),
        "weighted_f1": float((f1 * support).sum() / support.sum()) if support.sum() else None,
        "per_class": {label: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                              "support": int(support[i])} for i, label in enumerate(labels)},
        "confusion": None,
        "n": len(y_true),
    }


def percentile_intervals(samples: dict[str, np.ndarray]) -> dict[str, list[float] | None]:
    """The CONFIDENCE percentile interval of each score's resamples (undefined resamples left out)."""
    alpha = (1 - CONFIDENCE) / 2
    out = {}
    for name, values in samples.items():
        values = values[~np.isnan(values)]
        out[name] = [float(np.quantile(values, alpha)), float(np.quantile(values, 1 - alpha))] if len(values) else None
    return out


MEMORY_CELLS = 1 << 24
"""Most array cells (resamples × rows × labels) a bootstrap holds at once, so memory stays bounded."""


def resample_draws(n: int, resamples: int, seed: int, width: int = 1):
    """Bootstrap row indices, (B, n), in slices of at most MEMORY_CELLS cells: a single slice, the
    same draws as one call, whenever the whole fits (always on the benchmark's own data)."""
    rng = np.random.default_rng(seed)
    step = max(1, MEMORY_CELLS // max(1, n * width))
    for first in range(0, resamples, step):
        yield rng.integers(0, n, size=(min(step, resamples - first), n))


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def multilabel_bootstrap(task: str, y_true, y_pred, resamples: int = BOOTSTRAP_RESAMPLES,
                         seed: int = BOOTSTRAP_SEED) -> dict:
    """Percentile intervals of micro-F1, macro-F1 (over each resample's present labels) and
    exact-match accuracy over resampled rows."""
    t, p = onehot(task, y_true), onehot(task, y_pred)
    return percentile_intervals(_concat([_multilabel_samples(t[d], p[d])
                                         for d in resample_draws(len(t), resamples, seed, t.shape[1])]))


def _multilabel_samples(tt: np.ndarray, pp: np.ndarray) -> dict[str, np.ndarray]:
    tp, fp, fn = (tt & pp).sum(axis=1), (~tt & pp).sum(axis=1), (tt & ~pp).sum(axis=1)
    denom_micro = 2 * tp.sum(axis=1) + fp.sum(axis=1) + fn.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        micro = np.where(denom_micro > 0, 2 * tp.sum(axis=1) / np.maximum(denom_micro, 1), 1.0)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), ZERO_DIVISION)
        present = tt.any(axis=1)
        macro = np.where(present.sum(axis=1) > 0, (f1 * present).sum(axis=1) / np.maximum(present.sum(axis=1), 1), np.nan)
    return {"main": micro, "macro_f1": macro, "accuracy": (tt == pp).all(axis=2).mean(axis=1)}


def confusion(task: str, y_true, y_pred) -> np.ndarray:
    """(K, K) counts of (gold, predicted) label pairs in the task's label order."""
    k = len(task_labels(task))
    t, p = indices(task, y_true), indices(task, y_pred)
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k)


def _per_label(matrix: np.ndarray) -> tuple[np.ndarray, ...]:
    """Precision, recall, F1 and support of every label from a confusion matrix, with scikit-learn's
    arithmetic (so the floats are the same): F1 = 2·tp / (support + predicted), 0 where undefined."""
    tp, true, pred = np.diag(matrix), matrix.sum(axis=1), matrix.sum(axis=0)

    def divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
        den = den.astype(np.float64)
        zero = den == 0
        den[zero] = 1
        out = num.astype(np.float64) / den
        out[zero] = ZERO_DIVISION
        return out

    f1 = divide(2.0 * tp.astype(np.float64), 1.0 * true.astype(np.float64) + pred.astype(np.float64))
    return divide(tp, pred), divide(tp, true), f1, true


def macro_f1(task: str, y_true, y_pred, labels: list[str]) -> float:
    """Mean F1 over `labels`, equal to scikit-learn's f1_score(average="macro", labels=labels)."""
    f1 = _per_label(confusion(task, y_true, y_pred))[2]
    order = list(task_labels(task))
    return float(np.nanmean(f1[[order.index(label) for label in labels]]))


def scores(task: str, y_true, y_pred) -> dict:
    """Every point estimate for one task: main, macro-F1, accuracy, weighted F1, per class, confusion.

    Computed from one confusion matrix with scikit-learn's arithmetic (the same floats as its
    precision_recall_fscore_support, f1_score and accuracy_score, at a fraction of the cost)."""
    if is_multilabel(task):
        return multilabel_scores(task, y_true, y_pred)
    all_labels = list(task_labels(task))
    matrix = confusion(task, y_true, y_pred)
    p, r, f, s = _per_label(matrix)
    present = [all_labels.index(label) for label in present_labels(task, y_true)]
    main = main_labels(task, y_true)
    return {
        "main": float(np.nanmean(f[[all_labels.index(label) for label in main]])) if main else None,
        "main_labels": main,
        "macro_f1": float(np.nanmean(f[present])) if present else float("nan"),
        "accuracy": float(np.average(np.asarray(y_true, dtype=object) == np.asarray(y_pred, dtype=object))),
        "weighted_f1": float(np.average(f[present], weights=s[present])) if present else float("nan"),
        "per_class": {
            label: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
            for i, label in enumerate(all_labels)
        },
        "confusion": {"labels": all_labels, "matrix": matrix.tolist()},
        "n": len(y_true),
    }


def _f1_per_label(tp: np.ndarray, true: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """F1 of every label in every resample from its counts, (B, K) each -> (B, K)."""
    denom = true + pred
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), ZERO_DIVISION)
    return f1


def label_counts(tt: np.ndarray, pp: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True positives, gold and predicted count of each of k labels in each resample: (B, n) label
    indices -> three (B, K) integer arrays (one bincount each, no (B, n, K) one-hot array)."""
    b = tt.shape[0]
    offset = (np.arange(b, dtype=np.int64) * k)[:, None]
    t, p = tt + offset, pp + offset

    def count(values: np.ndarray) -> np.ndarray:
        return np.bincount(values.ravel(), minlength=b * k).reshape(b, k)

    return count(t[tt == pp]), count(t), count(p)


def sample_scores(task: str, tt: np.ndarray, pp: np.ndarray) -> dict[str, np.ndarray]:
    """Main score, macro-F1 and accuracy of many resamples at once: (B, n) label indices each.

    Every resample averages over the labels its *own* gold contains (for F_avg: favor and against
    as far as present), as the point estimate does on the full part; NaN where it has none."""
    tp, true, pred = label_counts(tt, pp, len(task_labels(task)))
    return {**scores_from_counts(task, tp, true, pred), "accuracy": (tt == pp).mean(axis=1)}


def scores_from_counts(task: str, tp: np.ndarray, true: np.ndarray, pred: np.ndarray) -> dict[str, np.ndarray]:
    """Main score and macro-F1 of many resamples from their (B, K) label counts (see sample_scores)."""
    all_labels = list(task_labels(task))
    f1 = _f1_per_label(tp, true, pred)
    present = true > 0
    spec = METRICS[task]
    if spec.main_labels:
        main_mask = present & np.isin(np.arange(len(all_labels)), [all_labels.index(x) for x in spec.main_labels])
    else:
        main_mask = present

    def masked_mean(mask: np.ndarray) -> np.ndarray:
        counts = mask.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(counts > 0, (f1 * mask).sum(axis=1) / np.maximum(counts, 1), np.nan)

    return {"main": masked_mean(main_mask), "macro_f1": masked_mean(present)}


def indices(task: str, labels) -> np.ndarray:
    index = {label: i for i, label in enumerate(task_labels(task))}
    return np.array([index[y] for y in labels], dtype=np.int64)


def bootstrap(task: str, y_true, y_pred, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> dict:
    """Percentile intervals of main score, macro-F1 and accuracy over resampled rows.

    Each resample follows the point estimate's rule on its own gold (see `sample_scores`), so gold
    scored as predictions gives 1.0 in every resample; a resample whose gold has none of the
    averaged labels has no score and is left out of the percentiles."""
    t, p = indices(task, y_true), indices(task, y_pred)
    return percentile_intervals(_concat([sample_scores(task, t[d], p[d]) for d in resample_draws(len(t), resamples, seed)]))


def evaluate(task: str, y_true, y_pred) -> dict:
    """Point estimates and their bootstrap intervals (`ci`)."""
    if is_multilabel(task):
        return {**multilabel_scores(task, y_true, y_pred), "ci": multilabel_bootstrap(task, y_true, y_pred)}
    return {**scores(task, y_true, y_pred), "ci": bootstrap(task, y_true, y_pred)}


def contrast_scores(items, item_pred: dict, original_gold: dict, original_pred: dict) -> dict:
    """Accuracy on contrast items by edit type, accuracy on their originals, and contrast
    consistency (Gardner et al. 2020): the share of groups (an original and all its edits) in which
    every item, the original included, is predicted right."""
    by_type: dict[str, list[bool]] = {}
    groups: dict[str, list[bool]] = {}
    for row in items.to_dict("records"):
        right = item_pred[row["id"]] == row["label"]
        by_type.setdefault(row["edit_type"], []).append(right)
        groups.setdefault(row["source"], []).append(right)
    consistent = [all(rights) and original_pred[source] == original_gold[source] for source, rights in groups.items()]
    originals = [original_pred[s] == original_gold[s] for s in groups]
    everything = [x for rights in by_type.values() for x in rights]
    return {
        "n_items": len(everything),
        "n_groups": len(groups),
        "accuracy": float(np.mean(everything)) if everything else None,
        "accuracy_by_edit_type": {k: {"n": len(v), "accuracy": float(np.mean(v))} for k, v in sorted(by_type.items())},
        "original_accuracy": float(np.mean(originals)) if originals else None,
        "consistency": float(np.mean(consistent)) if consistent else None,
    }
