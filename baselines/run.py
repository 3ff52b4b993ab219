"""Train and evaluate every baseline on every task under both protocols; write baselines/results/.

Protocols:
- `split`: fit on train, choose hyper-parameters on validation only, report test.
- `cv`: leave-one-article-out over the dataset's folds; hyper-parameters chosen inside each
  training part by leave-one-article-out (nested), so the held-out article is never seen.
"""

from __future__ import annotations

import contextlib
import json
import importlib.metadata
import multiprocessing
import os
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import partial

import numpy as np
import sklearn
from sklearn.metrics import f1_score, make_scorer
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.model_selection import GridSearchCV, LeaveOneGroupOut, ParameterGrid
from tqdm import tqdm

from labeling.annotation import schema
from labeling.release import version as release
from labeling.release.tasks import REGISTRY, TASKS

from . import compare, data, fewshot, metrics
from .registry import BASELINES, SEED, Baseline

PROTOCOLS = ("split", "cv")

# One-vs-rest warns for every frame that no training sentence has; such a frame is simply never predicted.
warnings.filterwarnings("ignore", message="Label not .* is present in all training examples", category=UserWarning)
RANKED_BY = {
    "split": "main score on the test split",
    "cv": "main score of the pooled leave-one-article-out predictions",
}


def _round(obj, digits: int = 4):
    """Round every float so results.json does not depend on the last bits of a BLAS."""
    if isinstance(obj, float):
        return round(obj, digits)
    if isinstance(obj, dict):
        return {k: _round(v, digits) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round(v, digits) for v in obj]
    return obj


def _micro_f1(y_true, y_pred) -> float:
    return float(f1_score(y_true, y_pred, average="micro", zero_division=0))


def _scorer(task: str):
    if REGISTRY[task].multilabel:
        return make_scorer(_micro_f1)
    return make_scorer(partial(metrics.tuning_score, task))


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


def predict(task: str, model, inputs) -> list:
    """Predicted labels: names, or for a multi-label task the list of names of each row."""
    out = model.predict(inputs)
    if REGISTRY[task].multilabel:
        names = REGISTRY[task].labels
        return [[names[j] for j in np.flatnonzero(np.asarray(row).astype(int))] for row in out]
    return list(out)


def fit_on_split(task: str, baseline: Baseline):
    """Fit on train with the hyper-parameters that score best on validation (first best wins)."""
    frames = data.task_frames(task)
    train, val = frames["train"], frames["validation"]
    best = None
    search = grid(task, baseline)
    for params in ParameterGrid(search) if search else [{}]:
        model = make_model(task, baseline).set_params(**params).fit(train["input"], targets(task, train["label"]))
        score = metrics.tuning_score(task, list(val["label"]), predict(task, model, val["input"]))
        if best is None or score > best[2]:
            best = (model, params, score)
    return best


def run_split(task: str, baseline: Baseline) -> dict:
    """Tune on validation, evaluate the train-fitted model on test."""
    model, best_params, best_val = fit_on_split(task, baseline)
    test = data.task_frames(task)["test"]
    predicted = predict(task, model, test["input"])
    return {
        "params": best_params,
        "validation_main": best_val,
        "evaluation": metrics.evaluate(task, list(test["label"]), predicted),
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


def run_cv(task: str, baseline: Baseline) -> dict:
    """Leave one article out; nested leave-one-article-out tuning on the other articles."""
    rows = data.all_rows(task)
    contrast = data.contrast_rows(task)
    contrast_predicted: dict[str, str] = {}
    predicted = np.empty(len(rows), dtype=object)
    folds = []
    for fold in sorted(rows["fold"].unique()):
        held = (rows["fold"] == fold).to_numpy()
        train, test = rows[~held], rows[held]
        if baseline.grid:
            search = GridSearchCV(
                make_model(task, baseline), grid(task, baseline), scoring=_scorer(task), cv=LeaveOneGroupOut(),
                error_score="raise",
            )
            search.fit(train["input"], targets(task, train["label"]), groups=train["article_id"])
            model, params = search.best_estimator_, search.best_params_
        else:
            model, params = make_model(task, baseline).fit(train["input"], targets(task, train["label"])), {}
        for position, value in zip(np.flatnonzero(held), predict(task, model, test["input"])):
            predicted[position] = value
        # Contrast items of the held-out article, predicted by the model that never saw that article.
        edits = contrast[contrast["article_id"] == test["article_id"].iloc[0]]
        if len(edits):
            contrast_predicted.update(zip(edits["id"], predict(task, model, edits["input"])))
        point = metrics.scores(task, list(test["label"]), list(predicted[held]))
        folds.append(
            {"fold": int(fold), "article_id": test["article_id"].iloc[0], "n": int(held.sum()), "params": params,
             **{k: point[k] for k in ("main", "macro_f1", "accuracy")}}
        )
    out = {
        "folds": folds,
        **_fold_summary(task, folds),
        "evaluation": metrics.evaluate(task, list(rows["label"]), list(predicted)),
        "predictions": dict(zip(rows["id"], predicted.tolist())),
    }
    if len(contrast):
        out["contrast"] = metrics.contrast_scores(contrast, contrast_predicted, dict(zip(rows["id"], rows["label"])),
                                                  out["predictions"])
    return out


def pass_labels(task: str) -> dict[str, dict[str, str]]:
    """Each annotation pass's label for every row of a task (rows keyed by the task config's id)."""
    table = data.load_config("annotations")["full"]
    spec = REGISTRY[task]
    out: dict[str, dict[str, str]] = {}
    for record in table[table["annotator"] != "gold"].to_dict("records"):
        labels = out.setdefault(record["annotator"], {})
        if spec.field is None:
            for target in schema.TARGETS:
                labels[f"{record['id']}@{target}"] = record[schema.stance_field(target)]
        else:
            labels[record["id"]] = record[spec.field]
    return out


def annotator_ceiling(task: str) -> list[dict]:
    """Each pass scored against the labels the *other* passes agree on (not against a gold it
    helped make), on the rows it labelled; rows where the other passes disagree or that no other
    pass labelled are left out, and `n` says how many remain."""
    rows = data.all_rows(task)
    test_ids = set(data.task_frames(task)["test"]["id"])
    passes = pass_labels(task)
    out = []
    for name in sorted(passes):
        mine = passes[name]
        others = [labels for other, labels in passes.items() if other != name]
        ref = {}
        for i in rows["id"]:
            given = [o[i] for o in others if i in o]
            if i in mine and given and len({json.dumps(g) for g in given}) == 1:
                ref[i] = given[0]
        kept = rows[rows["id"].isin(ref)]
        folds = []
        for fold in sorted(kept["fold"].unique()):
            ids = list(kept[kept["fold"] == fold]["id"])
            point = metrics.scores(task, [ref[i] for i in ids], [mine[i] for i in ids])
            folds.append({"fold": int(fold), "article_id": kept[kept["fold"] == fold]["article_id"].iloc[0],
                          "n": len(ids), "params": {}, **{k: point[k] for k in ("main", "macro_f1", "accuracy")}})
        test = [i for i in kept["id"] if i in test_ids]
        out.append({
            "task": task, "baseline": name, "kind": "annotator",
            "split": {"params": {}, "validation_main": None,
                      "evaluation": metrics.evaluate(task, [ref[i] for i in test], [mine[i] for i in test])
                      if test else None},
            "cv": {"folds": folds, **_fold_summary(task, folds),
                   "evaluation": metrics.evaluate(task, [ref[i] for i in kept["id"]], [mine[i] for i in kept["id"]])},
        })
    return out


def provenance() -> dict:
    return {
        "dataset_version": release.VERSION,
        "data_sha256": data.data_hash(),
        "techsanctions": importlib.metadata.version("techsanctions"),
        "scikit-learn": sklearn.__version__,
        "seed": SEED,
        "bootstrap": {"resamples": metrics.BOOTSTRAP_RESAMPLES, "seed": metrics.BOOTSTRAP_SEED,
                      "confidence": metrics.CONFIDENCE},
    }


def run_job(task: str, name: str) -> tuple[dict, dict[str, float]]:
    """Both protocols for one baseline and task, and their wall times (kept out of results.json)."""
    baseline = BASELINES[name]
    entry = {"task": task, "baseline": name, "kind": "baseline"}
    timings = {}
    with sklearn.config_context(skip_parameter_validation=True):
        for protocol, fn in (("split", run_split), ("cv", run_cv)):
            start = time.perf_counter()
            entry[protocol] = fn(task, baseline)
            timings[f"{task}/{name}/{protocol}"] = time.perf_counter() - start
    return entry, timings


def significance(task: str, runs: list[dict]) -> dict:
    """Per protocol: each baseline against the best and against the majority floor (paired
    permutation tests, Holm-corrected within each family), and the minimum detectable difference."""
    out = {}
    for protocol in PROTOCOLS:
        frame = data.all_rows(task) if protocol == "cv" else data.task_frames(task)["test"]
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


def _run_job_star(job: tuple[str, str]):
    return run_job(*job)


def _die_with_parent() -> None:
    """Worker initialiser: one BLAS thread per worker (the pool already fills every core), and the
    kernel ends this worker when the parent process dies (Linux)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before the setting took effect
            os._exit(1)
    except (OSError, AttributeError):
        pass


@contextlib.contextmanager
def worker_pool(n_jobs: int):
    """One process pool for the whole run (None: run in this process); workers die with the parent."""
    workers = (os.cpu_count() or 1) if n_jobs == -1 else n_jobs
    if workers <= 1:
        yield None
        return
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_die_with_parent) as pool:
        yield pool


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


def run_all(names: list[str] | None = None, tasks=TASKS, progress: bool = True,
            n_jobs: int = -1, optional: bool = False) -> tuple[Results, dict[str, float]]:
    """Results of every baseline × task × protocol, and the wall time of each run (kept apart).

    By default every core baseline runs; optional ones (extras) only with `optional` or by name.

    Jobs run in parallel processes (`n_jobs`, -1 = every core); each is deterministic on its own,
    and results are collected in job order, so the output does not depend on the scheduling."""
    if names:
        chosen = [BASELINES[n] for n in names]
    else:
        chosen = [b for b in BASELINES.values() if not b.requires or (optional and b.available())]
    not_run = [b for b in BASELINES.values() if b not in chosen]
    chosen = [b for b in chosen if b.available()]
    jobs = [(t, b.name) for t in tasks for b in chosen]
    runs, timings = [], {}
    with worker_pool(n_jobs) as pool:
        outputs = pool.map(_run_job_star, jobs) if pool else map(_run_job_star, jobs)
        for entry, spent in tqdm(outputs, total=len(jobs), desc="baselines", unit="run", disable=not progress):
            runs.append(entry)
            timings.update(spent)
    for task in tasks:
        runs += annotator_ceiling(task)
    single = [task for task in tasks if not REGISTRY[task].multilabel]
    tests = {task: significance(task, [r for r in runs if r["task"] == task]) for task in tasks}
    evaluation_only = {task: fewshot.run(task, optional=optional) for task in single}
    results = Results(
        provenance=provenance(),
        metrics={t: {"main": metrics.METRICS[t].main, "description": metrics.METRICS[t].description} for t in tasks},
        ranked_by=RANKED_BY,
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
