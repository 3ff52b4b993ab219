"""One metric spec per task, the scores computed from it, and vectorised bootstrap intervals.

Macro averages run over the labels present in the gold data of the evaluated part (a label
that no gold row there carries cannot be scored); the stance tasks' main score, SemEval-2016's
F_avg, averages the F1 of favor and against as far as the evaluated gold has them, so a perfect
predictor always scores 1.0. F1 of a label with no gold and no predicted instance is 0
(`zero_division=0`). Bootstrap resamples follow the same rule on their own gold.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from labeling.annotation import schema
from labeling.release.tasks import labels as task_labels
from labeling.release.tasks import METRICS

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
    labels = main_labels(task, y_true)
    if not labels:
        return None
    return float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=ZERO_DIVISION))


def tuning_score(task: str, y_true, y_pred) -> float:
    """The main score for choosing hyper-parameters: 0 where the main score is undefined."""
    score = main_score(task, y_true, y_pred)
    return 0.0 if score is None else score


def scores(task: str, y_true, y_pred) -> dict:
    """Every point estimate for one task: main, macro-F1, accuracy, weighted F1, per class, confusion."""
    labels = present_labels(task, y_true)
    all_labels = list(task_labels(task))
    p, r, f, s = precision_recall_fscore_support(
        y_true, y_pred, labels=all_labels, zero_division=ZERO_DIVISION
    )
    return {
        "main": main_score(task, y_true, y_pred),
        "main_labels": main_labels(task, y_true),
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=ZERO_DIVISION)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "weighted_f1": float(f1_score(y_true, y_pred, labels=labels, average="weighted", zero_division=ZERO_DIVISION)),
        "per_class": {
            label: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
            for i, label in enumerate(all_labels)
        },
        "confusion": {
            "labels": all_labels,
            "matrix": confusion_matrix(y_true, y_pred, labels=all_labels).tolist(),
        },
        "n": len(y_true),
    }


def _f1_per_label(true_onehot: np.ndarray, pred_onehot: np.ndarray) -> np.ndarray:
    """F1 of every label in every resample: arrays (B, n, K) of booleans -> (B, K)."""
    tp = (true_onehot & pred_onehot).sum(axis=1)
    denom = true_onehot.sum(axis=1) + pred_onehot.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), ZERO_DIVISION)
    return f1


def sample_scores(task: str, tt: np.ndarray, pp: np.ndarray) -> dict[str, np.ndarray]:
    """Main score, macro-F1 and accuracy of many resamples at once: (B, n) label indices each.

    Every resample averages over the labels its *own* gold contains (for F_avg: favor and against
    as far as present), as the point estimate does on the full part; NaN where it has none."""
    all_labels = list(task_labels(task))
    eye = np.eye(len(all_labels), dtype=bool)
    true_onehot, pred_onehot = eye[tt], eye[pp]
    f1 = _f1_per_label(true_onehot, pred_onehot)
    present = true_onehot.any(axis=1)
    spec = METRICS[task]
    if spec.main_labels:
        main_mask = present & np.isin(np.arange(len(all_labels)), [all_labels.index(x) for x in spec.main_labels])
    else:
        main_mask = present

    def masked_mean(mask: np.ndarray) -> np.ndarray:
        counts = mask.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(counts > 0, (f1 * mask).sum(axis=1) / np.maximum(counts, 1), np.nan)

    return {"main": masked_mean(main_mask), "macro_f1": masked_mean(present), "accuracy": (tt == pp).mean(axis=1)}


def indices(task: str, labels) -> np.ndarray:
    index = {label: i for i, label in enumerate(task_labels(task))}
    return np.array([index[y] for y in labels])


def bootstrap(task: str, y_true, y_pred, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> dict:
    """Percentile intervals of main score, macro-F1 and accuracy over resampled rows.

    Each resample follows the point estimate's rule on its own gold (see `sample_scores`), so gold
    scored as predictions gives 1.0 in every resample; a resample whose gold has none of the
    averaged labels has no score and is left out of the percentiles."""
    t, p = indices(task, y_true), indices(task, y_pred)
    draws = np.random.default_rng(seed).integers(0, len(t), size=(resamples, len(t)))
    samples = sample_scores(task, t[draws], p[draws])
    alpha = (1 - CONFIDENCE) / 2
    out = {}
    for name, values in samples.items():
        values = values[~np.isnan(values)]
        out[name] = [float(np.quantile(values, alpha)), float(np.quantile(values, 1 - alpha))] if len(values) else None
    return out


def evaluate(task: str, y_true, y_pred) -> dict:
    """Point estimates and their bootstrap intervals (`ci`)."""
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
