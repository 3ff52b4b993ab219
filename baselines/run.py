"""Train and evaluate every baseline on every task under both protocols; write baselines/results/.

Protocols:
- `split`: fit on train, choose hyper-parameters on validation only, report test.
- `cv`: leave-one-article-out over the dataset's folds; hyper-parameters chosen inside each
  training part by leave-one-article-out (nested), so the held-out article is never seen.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import time
import warnings
from collections import Counter, OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.base import clone
from sklearn.model_selection import ParameterGrid
from tqdm import tqdm

from labeling.annotation import schema
from labeling.core.paths import DATA_DIR
from labeling.release import splits
from labeling.release import version as release
from labeling.release.splits import SPLITS
from labeling.release.tasks import REGISTRY, TASKS

from . import compare, counts, data, fewshot, metrics
from .registry import BASELINES, SEED, Baseline

PROTOCOLS = ("split", "cv")

# One-vs-rest warns for every frame that no training sentence has; such a frame is simply never predicted.
warnings.filterwarnings("ignore", message="Label not .* is present in all training examples", category=UserWarning)
RANKED_BY = {
    "split": "main score on the test split",
    "cv": "main score of the pooled leave-one-article-out predictions",
}
GROUPED_RANKED_BY = "main score of the pooled predictions of the article-disjoint folds"
"""How cv is ranked on a corpus large enough for grouped folds."""


_SPENT: Counter = Counter()
"""Seconds per stage of the work in this process; each job starts it afresh and returns it."""


@contextlib.contextmanager
def _stage(name: str):
    start = time.perf_counter()
    try:
        yield
    finally:
        _SPENT[name] += time.perf_counter() - start


def _kind(estimator) -> str:
    """The name a stage gives an estimator: its class, or its classifier's class and one-vs-rest."""
    if isinstance(estimator, Pipeline):
        estimator = estimator.steps[-1][1]
    if isinstance(estimator, OneVsRestClassifier):
        return f"{type(estimator.estimator).__name__} (one-vs-rest)"
    return type(estimator).__name__


def _round(obj, digits: int = 4):
    """Round every float so results.json does not depend on the last bits of a BLAS."""
    if isinstance(obj, float):
        return round(obj, digits)
    if isinstance(obj, dict):
        return {k: _round(v, digits) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round(v, digits) for v in obj]
    return obj


LEAVE_ONE_ARTICLE_OUT_MAX = splits.LOAO_MAX
"""Up to this many articles, cross-validation leaves one article out; above it, the dataset's
`fold` column holds GROUPED_FOLDS article-disjoint folds (stratified, `labeling/release/splits.py`)."""
GROUPED_FOLDS = splits.K_FOLDS
FEATURE_CACHE_VALUES = 20_000_000
"""Most stored matrix entries the feature cache keeps (least recently used ones go first)."""


@dataclass(frozen=True)
class TaskData:
    """One task's rows as a run reads them once: every benchmark row (split, then file order), each
    row's split, its cross-validation fold and tuning group, and the task's contrast items."""

    task: str
    rows: pd.DataFrame
    part: np.ndarray
    folds: np.ndarray
    groups: np.ndarray
    contrast: pd.DataFrame

    @property
    def leave_one_out(self) -> bool:
        return self.rows["article_id"].nunique() <= LEAVE_ONE_ARTICLE_OUT_MAX

    def frame(self, part: str) -> pd.DataFrame:
        return self.rows[self.part == part]


def cv_folds(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each row's outer fold (the dataset's `fold` column) and its tuning group (the unit the nested
    tuning leaves out): one article while folds leave one article out, else one of the other folds."""
    folds = rows["fold"].to_numpy()
    if rows["article_id"].nunique() <= LEAVE_ONE_ARTICLE_OUT_MAX:
        return folds, rows["article_id"].to_numpy()
    return folds, folds


def load_task(task: str, data_dir: Path = DATA_DIR) -> TaskData:
    """Read a task's frames and contrast items once."""
    frames = data.task_frames(task, data_dir)
    rows = pd.concat([frames[s] for s in SPLITS], ignore_index=True)
    part = np.repeat(np.array(SPLITS, dtype=object), [len(frames[s]) for s in SPLITS])
    folds, groups = cv_folds(rows)
    return TaskData(task, rows, part, folds, groups, data.contrast_rows(task, data_dir))


def _micro_f1(y_true, y_pred) -> float:
    """scikit-learn's micro-F1 of indicator rows with zero_division=0 (the tuning score of frames)."""
    t, p = np.asarray(y_true, dtype=bool), np.asarray(y_pred, dtype=bool)
    tp, denom = float((t & p).sum()), 1.0 * float(t.sum()) + float(p.sum())
    return 2.0 * tp / denom if denom else 0.0


def _tuning(task: str, gold, predicted) -> float:
    """What nested tuning maximises: the main score (0 where undefined), micro-F1 for multi-label."""
    if REGISTRY[task].multilabel:
        return _micro_f1(metrics.onehot(task, list(gold)), metrics.onehot(task, predicted))
    return metrics.tuning_score(task, gold, predicted)


def make_model(task: str, baseline: Baseline):
    """A fresh estimator for the task: for a multi-label task, the baseline's classifier one-vs-rest."""
    model = baseline.make(task)
    if REGISTRY[task].multilabel:
        steps = list(model.steps)
        name, last = steps[-1]
        steps[-1] = (name, OneVsRestClassifier(last))
        model = Pipeline(steps)
    return model


def grid(task: str, baseline: Baseline) -> dict:
    """The baseline's grid, its classifier's parameters renamed inside the one-vs-rest wrapper."""
    if not REGISTRY[task].multilabel:
        return baseline.grid
    return {key.replace("clf__", "clf__estimator__", 1): values for key, values in baseline.grid.items()}


def targets(task: str, labels):
    """What a model is fitted on: label names, or for a multi-label task a (n, K) indicator matrix."""
    if REGISTRY[task].multilabel:
        return MultiLabelBinarizer(classes=list(REGISTRY[task].labels)).fit_transform(list(labels))
    return labels


def _names(task: str, out) -> list:
    if REGISTRY[task].multilabel:
        names = REGISTRY[task].labels
        return [[names[j] for j in np.flatnonzero(np.asarray(row).astype(int))] for row in out]
    return list(out)


def predict(task: str, model, inputs) -> list:
    """Predicted labels: names, or for a multi-label task the list of names of each row."""
    return _names(task, model.predict(inputs))


def _signature(steps) -> str:
    return repr([(name, type(step).__qualname__, sorted(step.get_params(deep=True).items(), key=str))
                 for name, step in steps])


class Features:
    """The leading steps of pipelines (vectorisers, which never read labels) fitted once per training
    texts and reused: over a grid, across baselines with the same steps and across tasks with the same
    texts. Matrices are kept up to FEATURE_CACHE_VALUES stored entries, least recently used dropped.
    A lone TfidfVectorizer analyses each text once per process (`counts.TextCounts`, same matrices)."""

    def __init__(self, budget: int = FEATURE_CACHE_VALUES):
        self.budget = budget
        self._cache: OrderedDict = OrderedDict()
        self._size = 0
        self._texts: dict[str, counts.TextCounts] = {}

    def _get(self, key, make):
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key][0]
        value = make()
        size = sum(getattr(m, "nnz", getattr(m, "size", 0)) for m in (value if isinstance(value, tuple) else (value,)))
        if size <= self.budget:
            self._cache[key] = (value, size)
            self._size += size
            while self._size > self.budget:
                _, (_, dropped) = self._cache.popitem(last=False)
                self._size -= dropped
        return value

    def fit(self, steps, texts) -> tuple[object, object]:
        """The fitted steps (anything with `transform`) and the training matrix (the same matrix as the
        steps' fit_transform); a lone TfidfVectorizer through its texts' analyses."""
        signature = _signature(steps)

        def make():
            if counts.supported(steps):
                if signature not in self._texts:
                    self._texts[signature] = counts.TextCounts(clone(steps[0][1]))
                return self._texts[signature].fit_transform(texts)
            prefix = Pipeline([(name, clone(step)) for name, step in steps])
            return prefix, prefix.fit_transform(texts)

        return self._get(("fit", signature, tuple(texts)), make)

    def transform(self, steps, train_texts, texts):
        fitted, _ = self.fit(steps, train_texts)
        return self._get(("transform", _signature(steps), tuple(train_texts), tuple(texts)),
                         lambda: fitted.transform(texts))


class Trainer:
    """One baseline on one task's rows: each (training part, grid point) is fitted once and predicts
    every part asked of it, so nested folds that share a training part, and the split protocol's train
    part, reuse one fit; vectorisers come from `Features`, fitted once per training part."""

    def __init__(self, data_: TaskData, baseline: Baseline, features: Features | None = None):
        self.data, self.task, self.baseline = data_, data_.task, baseline
        self.features = features or Features()
        self.model = make_model(self.task, baseline)
        self.grid = grid(self.task, baseline)
        self.candidates = list(ParameterGrid(self.grid)) if self.grid else [{}]
        last = self.model.steps[-1][0]
        reusable = all(key.startswith(f"{last}__") for key in self.grid)
        self.prefix = self.model.steps[:-1] if reusable else []
        self.final = self.model.steps[-1] if reusable else ("model", self.model)
        self._predicted: dict | None = None
        # Plain arrays: indexing and iterating them is cheaper than a (pyarrow-backed) Series.
        self._x = data_.rows["input"].to_numpy(dtype=object)
        self._y = data_.rows["label"].to_numpy(dtype=object)

    def _inputs(self, mask: np.ndarray):
        return self._x[mask]

    def fit_predict(self, train: np.ndarray, params: list[dict], evals: list) -> list[list]:
        """Fit on the rows of mask `train` with each of `params`; predict each eval (a row mask or a
        Series of inputs): [params][eval] -> labels."""
        x, y = self._inputs(train), targets(self.task, self._y[train])
        eval_x = [self._inputs(e) if isinstance(e, np.ndarray) else e for e in evals]
        if self.prefix:
            with _stage("vectorise"):
                _, xt = self.features.fit(self.prefix, x)
                eval_x = [self.features.transform(self.prefix, x, e) for e in eval_x]
            x = xt
        name, final = self.final
        kind = _kind(final)
        out = []
        for p in params:
            estimator = clone(final).set_params(**{k[len(name) + 2:]: v for k, v in p.items()})
            with _stage(f"fit {kind}"):
                estimator.fit(x, y)
            with _stage("predict"):
                out.append([_names(self.task, estimator.predict(e)) for e in eval_x])
        return out

    def fitted(self, train: np.ndarray, params: dict) -> Pipeline:
        """A fitted Pipeline (for saving): the shared feature steps and a final step fitted on `train`."""
        model = clone(self.model).set_params(**params)
        return model.fit(self._inputs(train), targets(self.task, self._y[train]))

    def grid_predictions(self) -> dict:
        """Every grid point's predictions that tuning needs: (training mask, eval mask, point) -> labels,
        for the split protocol (train -> validation, test) and every nested fold (outer k, inner g)."""
        if self._predicted is not None:
            return self._predicted
        d = self.data
        requests: dict[bytes, tuple[np.ndarray, dict[bytes, np.ndarray]]] = {}

        def ask(train: np.ndarray, target: np.ndarray) -> None:
            requests.setdefault(train.tobytes(), (train, {}))[1][target.tobytes()] = target

        ask(d.part == "train", d.part == "validation")
        ask(d.part == "train", d.part == "test")
        if self.grid:
            for k in sorted(np.unique(d.folds)):
                outer = d.folds != k
                for g in np.unique(d.groups[outer]):
                    ask(outer & (d.groups != g), d.groups == g)
        self._predicted = {}
        for key, (train, targets_) in requests.items():
            masks = list(targets_.values())
            for i, per_eval in enumerate(self.fit_predict(train, self.candidates, masks)):
                for mask, labels in zip(masks, per_eval):
                    self._predicted[(key, mask.tobytes(), i)] = labels
        return self._predicted

    def score(self, train: np.ndarray, target: np.ndarray, i: int, tuning: bool) -> float:
        labels = self.grid_predictions()[(train.tobytes(), target.tobytes(), i)]
        gold = self._y[target]
        with _stage("tuning scores"):
            return _tuning(self.task, gold, labels) if tuning else metrics.tuning_score(self.task, list(gold), labels)

    def best_on_split(self) -> tuple[int, float]:
        """The grid point that scores best on validation (first best wins) and its score."""
        d, best = self.data, None
        for i in range(len(self.candidates)):
            score = self.score(d.part == "train", d.part == "validation", i, tuning=False)
            if best is None or score > best[1]:
                best = (i, score)
        return best

    def best_nested(self, k) -> int:
        """The grid point with the best mean score over the inner folds of outer fold k (first best
        wins, as GridSearchCV picks it)."""
        d = self.data
        outer = d.folds != k
        inner = np.unique(d.groups[outer])
        table = np.array([[self.score(outer & (d.groups != g), d.groups == g, i, tuning=True) for g in inner]
                          for i in range(len(self.candidates))], dtype=np.float64)
        return int(np.argmax(np.average(table, axis=1)))


def fit_on_split(task: str, baseline: Baseline, data_dir: Path = DATA_DIR):
    """Fit on train with the hyper-parameters that score best on validation (first best wins)."""
    trainer = Trainer(load_task(task, data_dir), baseline)
    i, score = trainer.best_on_split()
    params = trainer.candidates[i]
    return trainer.fitted(trainer.data.part == "train", params), params, score


def _evaluate(task: str, gold: list, predicted: list) -> dict:
    with _stage("scores and bootstrap intervals"):
        return metrics.evaluate(task, gold, predicted)


def run_split(task: str, baseline: Baseline, trainer: Trainer | None = None) -> dict:
    """Tune on validation, evaluate the train-fitted model on test."""
    trainer = trainer or Trainer(load_task(task), baseline)
    d = trainer.data
    i, best_val = trainer.best_on_split()
    test = d.frame("test")
    predicted = trainer.grid_predictions()[((d.part == "train").tobytes(), (d.part == "test").tobytes(), i)]
    return {
        "params": trainer.candidates[i],
        "validation_main": best_val,
        "evaluation": _evaluate(task, list(test["label"]), predicted),
        "predictions": dict(zip(test["id"], predicted)),
    }


def _nan_stat(fn, values: list) -> float | None:
    """A statistic over the folds where the score is defined (a fold's gold may lack every averaged label)."""
    defined = [v for v in values if v is not None]
    return float(fn(defined)) if defined else None


def _fold_summary(task: str, folds: list[dict]) -> dict:
    keys = ("main", "macro_f1", "accuracy")
    return {
        "mean": {k: _nan_stat(np.mean, [f[k] for f in folds]) for k in keys},
        "std": {k: _nan_stat(np.std, [f[k] for f in folds]) for k in keys},
    }


def run_cv(task: str, baseline: Baseline, trainer: Trainer | None = None) -> dict:
    """Leave one article out (grouped K-fold above LEAVE_ONE_ARTICLE_OUT_MAX articles); nested tuning
    on the other articles, leaving one article (or fold) out, so the held-out part is never seen."""
    trainer = trainer or Trainer(load_task(task), baseline)
    d = trainer.data
    rows, contrast = d.rows, d.contrast
    contrast_predicted: dict[str, str] = {}
    predicted = np.empty(len(rows), dtype=object)
    folds = []
    for fold in sorted(np.unique(d.folds)):
        held = d.folds == fold
        test = rows[held]
        params = trainer.candidates[trainer.best_nested(fold)] if trainer.grid else {}
        # Contrast items of the held-out articles, predicted by the model that never saw them.
        edits = contrast[contrast["article_id"].isin(set(test["article_id"]))]
        evals = [held] + ([edits["input"]] if len(edits) else [])
        out = trainer.fit_predict(~held, [params], evals)[0]
        for position, value in zip(np.flatnonzero(held), out[0]):
            predicted[position] = value
        if len(edits):
            contrast_predicted.update(zip(edits["id"], out[1]))
        point = metrics.scores(task, list(test["label"]), list(predicted[held]))
        where = ({"article_id": test["article_id"].iloc[0]} if d.leave_one_out
                 else {"articles": int(test["article_id"].nunique())})
        folds.append(
            {"fold": int(fold), **where, "n": int(held.sum()), "params": params,
             **{k: point[k] for k in ("main", "macro_f1", "accuracy")}}
        )
    out = {
        "folds": folds,
        **_fold_summary(task, folds),
        "evaluation": _evaluate(task, list(rows["label"]), list(predicted)),
        "predictions": dict(zip(rows["id"], predicted.tolist())),
    }
    if len(contrast):
        out["contrast"] = metrics.contrast_scores(contrast, contrast_predicted, dict(zip(rows["id"], rows["label"])),
                                                  out["predictions"])
    return out


def pass_labels(task: str, table: pd.DataFrame | None = None) -> dict[str, dict[str, str]]:
    """Each annotation pass's label for every row of a task (rows keyed by the task config's id);
    `table` is the annotations config's full split, read once per run."""
    if table is None:
        table = data.load_config("annotations")["full"]
    spec = REGISTRY[task]
    out: dict[str, dict[str, str]] = {}
    passes = table[table["annotator"] != "gold"]
    fields = {f"@{t}": schema.stance_field(t) for t in schema.TARGETS} if spec.field is None else {"": spec.field}
    for suffix, column in fields.items():
        for annotator, sid, label in zip(passes["annotator"], passes["id"], passes[column]):
            out.setdefault(annotator, {})[f"{sid}{suffix}"] = label
    return out


def annotator_ceiling(task: str, task_data: TaskData | None = None, table: pd.DataFrame | None = None) -> list[dict]:
    """Each pass scored against the labels the *other* passes agree on (not against a gold it
    helped make), on the rows it labelled; rows where the other passes disagree or that no other
    pass labelled are left out, and `n` says how many remain."""
    d = task_data or load_task(task)
    rows = d.rows
    passes = pass_labels(task, table)
    out = []
    for name in sorted(passes):
        mine = passes[name]
        others = [labels for other, labels in passes.items() if other != name]
        ref = {}
        for i in rows["id"]:
            given = [o[i] for o in others if i in o]
            if i in mine and given and all(g == given[0] for g in given[1:]):
                ref[i] = given[0]
        kept = np.array([i in ref for i in rows["id"]], dtype=bool)
        folds = []
        for fold in sorted(np.unique(d.folds[kept])):
            here = kept & (d.folds == fold)
            ids = list(rows["id"][here])
            point = metrics.scores(task, [ref[i] for i in ids], [mine[i] for i in ids])
            where = ({"article_id": rows["article_id"][here].iloc[0]} if d.leave_one_out
                     else {"articles": int(rows["article_id"][here].nunique())})
            folds.append({"fold": int(fold), **where, "n": len(ids), "params": {},
                          **{k: point[k] for k in ("main", "macro_f1", "accuracy")}})
        test = list(rows["id"][kept & (d.part == "test")])
        every = list(rows["id"][kept])
        out.append({
            "task": task, "baseline": name, "kind": "annotator",
            "split": {"params": {}, "validation_main": None,
                      "evaluation": metrics.evaluate(task, [ref[i] for i in test], [mine[i] for i in test])
                      if test else None},
            "cv": {"folds": folds, **_fold_summary(task, folds),
                   "evaluation": metrics.evaluate(task, [ref[i] for i in every], [mine[i] for i in every])},
        })
    return out


def provenance(data_dir: Path = DATA_DIR) -> dict:
    return {
        "dataset_version": release.VERSION,
        "data_sha256": data.data_hash(data_dir),
        "techsanctions": importlib.metadata.version("techsanctions"),
        "scikit-learn": sklearn.__version__,
        "seed": SEED,
        "bootstrap": {"resamples": metrics.BOOTSTRAP_RESAMPLES, "seed": metrics.BOOTSTRAP_SEED,
                      "confidence": metrics.CONFIDENCE},
    }


def run_job(task: str, name: str, task_data: TaskData | None = None,
            features: Features | None = None) -> tuple[dict, dict[str, float]]:
    """Both protocols for one baseline and task, and their wall times (kept out of results.json)."""
    baseline = BASELINES[name]
    entry = {"task": task, "baseline": name, "kind": "baseline"}
    timings = {}
    # Inputs are vectoriser output or label names: never NaN, so finiteness checks are skipped.
    with sklearn.config_context(skip_parameter_validation=True, assume_finite=True):
        trainer = Trainer(task_data or load_task(task), baseline, features)
        for protocol, fn in (("split", run_split), ("cv", run_cv)):
            start = time.perf_counter()
            entry[protocol] = fn(task, baseline, trainer)
            timings[f"{task}/{name}/{protocol}"] = time.perf_counter() - start
    return entry, timings


def significance(task: str, runs: list[dict], task_data: TaskData | None = None) -> dict:
    """Per protocol: each baseline against the best and against the majority floor (paired
    permutation tests, Holm-corrected within each family), and the minimum detectable difference."""
    d = task_data or load_task(task)
    out = {}
    for protocol in PROTOCOLS:
        frame = d.rows if protocol == "cv" else d.frame("test")
        frame = frame.sort_values("id")  # the row order of `baselines compare`, so both give the same p-values
        ids, gold = list(frame["id"]), list(frame["label"])
        models = {r["baseline"]: [r[protocol]["predictions"][i] for i in ids] for r in runs if r["kind"] == "baseline"}
        scored = {n: metrics.main_score(task, gold, p) for n, p in models.items()}
        ranked = sorted((n for n in scored if scored[n] is not None), key=lambda n: (-scored[n], n))
        if not ranked:
            out[protocol] = {"best": None}
            continue
        best = ranked[0]
        entry = {"best": best, "n": len(ids)}
        for family, reference in (("vs_best", best), ("vs_majority", "majority")):
            if reference not in models:
                continue
            tests = {n: compare.paired(task, gold, models[n], models[reference], n, reference)
                     for n in models if n != reference}
            adjusted = compare.holm({n: c.p_value for n, c in tests.items()})
            entry[family] = {n: {"difference": c.difference, "ci": c.ci, "p": c.p_value, "p_holm": adjusted[n]}
                             for n, c in sorted(tests.items())}
        entry["minimum_detectable_difference"] = compare.minimum_detectable_difference(
            task, gold, models[best], simulations=MDE_SIMULATIONS, permutations=MDE_PERMUTATIONS)
        out[protocol] = entry
    return out


MDE_SIMULATIONS = 25
MDE_PERMUTATIONS = 200


@dataclass(frozen=True)
class Results:
    """What a run produced: provenance, metric specs, every run's scores and predictions.

    `as_json()` is the shape of results.json (with the predictions, which the report moves to
    their own files)."""

    provenance: dict
    metrics: dict[str, dict]
    ranked_by: dict[str, str]
    not_run: dict[str, str]
    baselines: dict[str, str]
    roles: dict[str, str]
    runs: list[dict]
    significance: dict = field(default_factory=dict)
    evaluation_only: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Timings:
    """Where a run's time went (kept out of results.json): wall seconds of each task/baseline/protocol,
    seconds per stage summed over the processes, the run's wall time and its number of processes."""

    runs: dict[str, float]
    stages: dict[str, float]
    wall_s: float
    processes: int

    def as_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class _Job:
    """What every task's work reads: set before the pool forks, so workers inherit it unpickled."""

    names: list[str]
    optional: bool
    data_dir: Path
    loaded: dict[str, TaskData]
    annotations: pd.DataFrame


_JOB: _Job | None = None
_FEATURES: Features | None = None


def _worker_setup() -> None:
    global _FEATURES
    from threadpoolctl import threadpool_limits

    # One BLAS thread: on matrices this small threads cost more than they give.
    threadpool_limits(1)
    _FEATURES = _FEATURES or Features()
    _SPENT.clear()


def _stages_since(start: float) -> dict[str, float]:
    """This job's seconds per stage (the stages were cleared when it started), the rest as `other`."""
    _SPENT["other"] += time.perf_counter() - start - sum(_SPENT.values())
    return dict(_SPENT)


def _baseline_job(key: tuple[str, str]) -> dict:
    """One baseline on one task under both protocols (one feature cache per process, shared by the
    jobs it runs)."""
    _worker_setup()
    start, (task, name) = time.perf_counter(), key
    entry, spent = run_job(task, name, _JOB.loaded[task], _FEATURES)
    return {"entry": entry, "timings": spent, "stages": _stages_since(start)}


def _task_job(task: str, runs: list[dict]) -> dict:
    """What a task needs once all its baselines ran: the annotator ceilings, the significance tests
    and the evaluation-only protocol."""
    _worker_setup()
    job, d, out, start = _JOB, _JOB.loaded[task], {}, time.perf_counter()
    with _stage("annotator ceiling"):
        out["annotators"] = annotator_ceiling(task, d, job.annotations)
    with _stage("significance tests"):
        out["significance"] = significance(task, runs, d)
    if not REGISTRY[task].multilabel:
        with _stage("evaluation only (few-shot)"):
            out["evaluation_only"] = fewshot.run(task, optional=job.optional, rows=d.rows, data_dir=job.data_dir)
    out["stages"] = _stages_since(start)
    return out


def _cost(task: str, name: str) -> float:
    """A job's expected cost, to start the costliest first: rows, times labels for one-vs-rest, times
    the baseline's relative cost."""
    spec = REGISTRY[task]
    return len(_JOB.loaded[task].rows) * (len(spec.labels) if spec.multilabel else 1) * BASELINES[name].cost


def _run_jobs(pool, tasks, names: list[str], progress: bool) -> tuple[dict, dict]:
    """Every (task, baseline) job, costliest first, and each task's follow-up job as soon as its
    baselines are done; in this process when pool is None. Returns both sets of outputs by key."""
    keys = sorted(((t, n) for t in tasks for n in names), key=lambda k: (-_cost(*k), k))
    runs: dict[tuple[str, str], dict] = {}
    post: dict[str, object] = {}
    bar = tqdm(total=len(keys) + len(tasks), desc="baselines", unit="job", disable=not progress)

    def follow_up(task: str):
        entries = [runs[(task, n)]["entry"] for n in names]
        return pool.submit(_task_job, task, entries) if pool else _task_job(task, entries)

    if pool is None:
        for key in keys:
            runs[key] = _baseline_job(key)
            bar.update()
        for task in tasks:
            post[task] = follow_up(task)
            bar.update()
    else:
        from concurrent.futures import as_completed

        waiting = Counter(t for t, _ in keys)
        futures = {pool.submit(_baseline_job, key): key for key in keys}
        post.update({t: follow_up(t) for t in tasks if not waiting[t]})
        for future in as_completed(futures):
            key = futures[future]
            runs[key] = future.result()
            bar.update()
            waiting[key[0]] -= 1
            if not waiting[key[0]]:
                post[key[0]] = follow_up(key[0])
        for task in tasks:
            post[task] = post[task].result()
            bar.update()
    bar.close()
    return runs, post


def _die_with_parent() -> None:
    """Worker initialiser: the kernel ends this worker when the parent process dies (Linux)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before the setting took effect
            os._exit(1)
    except (OSError, AttributeError):
        pass


def _workers(n_jobs: int, n_tasks: int) -> int:
    """How many processes a run uses: one per core (-1) or n_jobs, at most one per job, one without fork."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(n_tasks, (os.cpu_count() or 1) if n_jobs == -1 else n_jobs))


@contextlib.contextmanager
def _pool(workers: int):
    """A pool of `workers` forked workers, or None for one: run in this process. Forked workers start
    in milliseconds and inherit the data already read."""
    import multiprocessing

    if workers <= 1:
        yield None
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                             initializer=_die_with_parent) as pool:
        yield pool


def run_all(names: list[str] | None = None, tasks=TASKS, progress: bool = True,
            n_jobs: int = -1, optional: bool = False, data_dir: Path = DATA_DIR) -> tuple[Results, Timings]:
    """Results of every baseline × task × protocol, and where the time went (kept apart).

    By default every core baseline runs; optional ones (extras) only with `optional` or by name.

    Each baseline on each task is one job, and each task has a follow-up job (ceilings, significance,
    few-shot) once its baselines are done (`n_jobs` forked processes, -1 = every core, 1 = this
    process); each job is deterministic on its own and results are collected in task and baseline
    order, so the output does not depend on the scheduling."""
    if names:
        chosen = [BASELINES[n] for n in names]
    else:
        chosen = [b for b in BASELINES.values() if not b.requires or (optional and b.available())]
    not_run = [b for b in BASELINES.values() if b not in chosen]
    chosen = [b for b in chosen if b.available()]
    global _JOB
    start = time.perf_counter()
    _JOB = _Job([b.name for b in chosen], optional, Path(data_dir),
                {task: load_task(task, data_dir) for task in tasks},
                data.load_config("annotations", data_dir)["full"])
    leave_one_out = all(d.leave_one_out for d in _JOB.loaded.values())
    workers = _workers(n_jobs, len(tasks) * max(1, len(chosen)))
    with _pool(workers) as pool:
        done, post = _run_jobs(pool, tasks, _JOB.names, progress)
    _JOB = None
    keys = [(t, b.name) for t in tasks for b in chosen]
    runs = [done[k]["entry"] for k in keys] + [r for t in tasks for r in post[t]["annotators"]]
    stages: Counter = Counter()
    for out in [*done.values(), *post.values()]:
        stages.update(out["stages"])
    timings = Timings({k: v for key in keys for k, v in done[key]["timings"].items()},
                      dict(sorted(stages.items(), key=lambda kv: (-kv[1], kv[0]))),
                      time.perf_counter() - start, workers)
    tests = {t: post[t]["significance"] for t in tasks}
    evaluation_only = {t: post[t]["evaluation_only"] for t in tasks if "evaluation_only" in post[t]}
    results = Results(
        provenance=provenance(data_dir),
        metrics={t: {"main": metrics.METRICS[t].main, "description": metrics.METRICS[t].description} for t in tasks},
        ranked_by=RANKED_BY if leave_one_out else {**RANKED_BY, "cv": GROUPED_RANKED_BY},
        not_run={
            # The same text whether or not the extra is installed, so results do not depend on it.
            b.name: "optional: needs the `embeddings` extra (pip install -e '.[embeddings]'); "
                    f"run with --optional or --baseline {b.name}"
            for b in not_run
        },
        baselines={b.name: b.description for b in chosen},
        roles={b.name: b.role for b in chosen},
        runs=_round(runs),
        significance=_round(tests),
        evaluation_only=_round(evaluation_only),
    )
    return results, timings
