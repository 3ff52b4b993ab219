"""Paired comparison of two systems on the same rows, multiple-comparison correction, and the
smallest difference the benchmark can detect.

- Paired bootstrap: the same resampled rows score both systems; the interval is the percentile
  interval of the difference of main scores.
- Paired permutation test (two-sided): each row's two predictions are swapped with probability
  1/2; p = (1 + #|permuted difference| >= |observed|) / (1 + permutations).
- Holm's step-down correction over the comparisons of one leaderboard table.
- Minimum detectable difference: starting from a reference system's predictions, a simulated
  better system corrects k of the reference's errors at random (k = 1, 2, ...); the smallest
  resulting true difference in main score that the permutation test detects at alpha = 0.05 in
  at least 80% of simulations is reported (Card et al. 2020 style power analysis).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from . import metrics

RESAMPLES = 1000
PERMUTATIONS = 1000
SEED = 20261123
ALPHA = 0.05
POWER = 0.80
MEMORY_CELLS = 1 << 24
"""Array cells (permutations × rows × labels) scored at once: bounds memory on large corpora."""


@dataclass(frozen=True)
class Comparison:
    """A − B on one task and part: the difference of main scores, its paired interval and p-value."""

    task: str
    a: str
    b: str
    n: int
    main_a: float | None
    main_b: float | None
    difference: float | None
    ci: list[float] | None
    p_value: float | None

    def as_json(self) -> dict:
        return asdict(self)


def _main(task: str, t: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Main scores of many resamples: (B, n) label indices, or (B, n, K) indicators for a
    multi-label task (micro-F1)."""
    if metrics.is_multilabel(task):
        tp = (t & p).sum(axis=(1, 2))
        wrong = (t ^ p).sum(axis=(1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(2 * tp + wrong > 0, 2 * tp / np.maximum(2 * tp + wrong, 1), 1.0)
    return metrics.sample_scores(task, t, p)["main"]


def encode(task: str, labels) -> np.ndarray:
    """Rows as label indices, or as indicator rows for a multi-label task."""
    return metrics.onehot(task, labels) if metrics.is_multilabel(task) else metrics.indices(task, labels)


def _swapped_mains(task: str, t: np.ndarray, a: np.ndarray, b: np.ndarray, swap: np.ndarray) -> np.ndarray:
    """main(A') - main(B') for every permutation row of `swap` (A' takes b where swap is set): only
    rows where a and b differ change under a swap, so the others are counted once (same counts,
    so the same floats, as scoring every row of every permutation)."""
    same = (a == b).reshape(len(t), -1).all(axis=1)
    d = ~same
    if metrics.is_multilabel(task):
        tp0, wrong0 = int((t[same] & a[same]).sum()), int((t[same] ^ a[same]).sum())
        sw = swap[:, d][:, :, None]
        pa, pb = np.where(sw, b[d], a[d]), np.where(sw, a[d], b[d])
        td = t[d][None]

        def main(p: np.ndarray) -> np.ndarray:
            tp, wrong = tp0 + (td & p).sum(axis=(1, 2)), wrong0 + (td ^ p).sum(axis=(1, 2))
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(2 * tp + wrong > 0, 2 * tp / np.maximum(2 * tp + wrong, 1), 1.0)

        return main(pa) - main(pb)
    k = len(metrics.task_labels(task))
    count = lambda x: np.bincount(x, minlength=k)  # noqa: E731
    ts, as_ = t[same], a[same]
    tp0, pred0, true = count(ts[ts == as_]), count(as_), count(t)
    sw = swap[:, d]
    pa, pb = np.where(sw, b[d], a[d]), np.where(sw, a[d], b[d])
    td = np.broadcast_to(t[d], pa.shape)

    def main(p: np.ndarray) -> np.ndarray:
        tp, _, pred = metrics.label_counts(td, p, k)
        rows = len(p)
        return metrics.scores_from_counts(task, tp + tp0, np.broadcast_to(true, (rows, k)), pred + pred0)["main"]

    return main(pa) - main(pb)


def permutation_ps(task: str, t: np.ndarray, systems: list[np.ndarray], b: np.ndarray, seeds: list[int],
                   permutations: int = PERMUTATIONS) -> list[float | None]:
    """permutation_p of each system against b, the i-th with seeds[i] (the same draws as one call
    per system)."""
    observed = _main(task, np.broadcast_to(t, (len(systems), *t.shape)), np.stack(systems)) - _main(task, t[None], b[None])[0]
    out = []
    for o, a, seed in zip(observed, systems, seeds):
        if np.isnan(o):
            out.append(None)
            continue
        rng = np.random.default_rng(seed)
        step = max(1, MEMORY_CELLS // max(1, len(t)))
        hits = 0
        for first in range(0, permutations, step):  # the same stream of draws, in bounded slices
            swap = rng.random((min(step, permutations - first), len(t))) < 0.5
            hits += int(np.sum(np.abs(_swapped_mains(task, t, a, b, swap)) >= abs(o) - 1e-12))
        out.append(float((1 + hits) / (1 + permutations)))
    return out


def permutation_p(task: str, t: np.ndarray, a: np.ndarray, b: np.ndarray, permutations: int = PERMUTATIONS,
                  seed: int = SEED) -> float | None:
    """Two-sided paired permutation test of main(a) - main(b): each row's predictions swapped with
    probability 1/2."""
    return permutation_ps(task, t, [a], b, [seed], permutations)[0]


def paired(task: str, gold, pred_a, pred_b, a: str = "A", b: str = "B", resamples: int = RESAMPLES,
           permutations: int = PERMUTATIONS, seed: int = SEED) -> Comparison:
    """Paired bootstrap interval and permutation p-value of main(A) − main(B)."""
    t, pa, pb = encode(task, gold), encode(task, pred_a), encode(task, pred_b)
    main_a, main_b = metrics.main_score(task, gold, pred_a), metrics.main_score(task, gold, pred_b)
    if main_a is None or main_b is None:
        return Comparison(task, a, b, len(t), main_a, main_b, None, None, None)
    width = t.shape[1] if t.ndim == 2 else 1
    diffs = np.concatenate([_main(task, t[d], pa[d]) - _main(task, t[d], pb[d])
                            for d in metrics.resample_draws(len(t), resamples, seed, width)])
    diffs = diffs[~np.isnan(diffs)]
    alpha = (1 - metrics.CONFIDENCE) / 2
    ci = [float(np.quantile(diffs, alpha)), float(np.quantile(diffs, 1 - alpha))] if len(diffs) else None
    return Comparison(task, a, b, len(t), main_a, main_b, main_a - main_b, ci,
                      permutation_p(task, t, pa, pb, permutations, seed))


def holm(p_values: dict[str, float | None]) -> dict[str, float | None]:
    """Holm-adjusted p-values (step-down, monotone), None kept as None."""
    known = sorted((p, k) for k, p in p_values.items() if p is not None)
    m, running, out = len(known), 0.0, {k: None for k in p_values}
    for i, (p, k) in enumerate(known):
        running = max(running, min(1.0, (m - i) * p))
        out[k] = running
    return out


def minimum_detectable_difference(task: str, gold, reference, simulations: int = 60, permutations: int = 300,
                                  seed: int = SEED) -> dict:
    """The smallest true gain over `reference` that a paired permutation test at ALPHA detects with
    POWER, found by simulating systems that fix k of the reference's errors (k grows until power is met)."""
    t, r = encode(task, gold), encode(task, reference)
    base = metrics.main_score(task, gold, reference)
    wrong = np.flatnonzero((t != r).reshape(len(t), -1).any(axis=1))
    if base is None or len(wrong) == 0:
        return {"difference": None, "power": None, "fixed_errors": None, "method": "simulated corrections"}
    rng = np.random.default_rng(seed)

    def power(k: int) -> tuple[float, float]:
        betters = []
        for _ in range(simulations):
            better = r.copy()
            fixed = rng.choice(wrong, size=k, replace=False)
            better[fixed] = t[fixed]
            betters.append(better)
        gains = [float(g) - base for g in _main(task, np.broadcast_to(t, (simulations, *t.shape)), np.stack(betters))]
        ps = permutation_ps(task, t, betters, r, [seed + s for s in range(simulations)], permutations)
        hits = sum(p is not None and p < ALPHA for p in ps)
        return hits / simulations, float(np.mean(gains))

    lo, hi = 1, len(wrong)
    found = None
    while lo <= hi:  # power grows with k: binary search for the smallest k with enough power
        k = (lo + hi) // 2
        pw, gain = power(k)
        if pw >= POWER:
            found, hi = (k, pw, gain), k - 1
        else:
            lo = k + 1
    if found is None:
        return {"difference": None, "power": None, "fixed_errors": None, "method": "simulated corrections"}
    k, pw, gain = found
    return {"difference": round(gain, 4), "power": round(pw, 4), "fixed_errors": int(k),
            "method": "simulated corrections of the reference's errors; paired permutation test"}
