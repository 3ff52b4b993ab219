"""Paired comparison: bootstrap interval, permutation test, Holm correction, minimum detectable
difference, and the `compare` command."""

from __future__ import annotations

import json

import numpy as np
import pytest

from baselines import compare, metrics
from baselines.__main__ import main as baselines_main


def systems(n: int = 80, seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = ["favor", "against", "none"]
    gold = list(rng.choice(labels, size=n, p=[0.2, 0.2, 0.6]))
    good = [g if rng.random() < 0.8 else rng.choice(labels) for g in gold]
    bad = [g if rng.random() < 0.4 else rng.choice(labels) for g in gold]
    return gold, good, bad


def test_a_system_against_itself_differs_by_nothing():
    gold, good, _ = systems()
    result = compare.paired("stance", gold, good, good)
    assert result.difference == 0 and result.ci == [0.0, 0.0] and result.p_value == 1.0


def test_a_much_better_system_is_detected_and_the_sign_follows_the_order():
    gold, good, bad = systems(200)
    ab = compare.paired("stance", gold, good, bad)
    ba = compare.paired("stance", gold, bad, good)
    assert ab.difference > 0.2 and ab.ci[0] > 0 and ab.p_value < 0.01
    assert ba.difference == pytest.approx(-ab.difference) and ba.ci[1] < 0


def test_permutation_test_matches_a_slow_loop():
    gold, good, bad = systems(30, seed=3)
    t, a, b = (metrics.indices("stance", x) for x in (gold, good, bad))
    observed = metrics.main_score("stance", gold, good) - metrics.main_score("stance", gold, bad)
    rng = np.random.default_rng(compare.SEED)
    swap = rng.random((200, len(t))) < 0.5
    count = 0
    for row in swap:
        pa = [y if s else x for x, y, s in zip(good, bad, row)]
        pb = [x if s else y for x, y, s in zip(good, bad, row)]
        diff = metrics.main_score("stance", gold, pa) - metrics.main_score("stance", gold, pb)
        count += abs(diff) >= abs(observed) - 1e-12
    assert compare.permutation_p("stance", t, a, b, permutations=200) == pytest.approx((1 + count) / 201)


def test_holm_step_down():
    got = compare.holm({"a": 0.01, "b": 0.04, "c": 0.03, "d": None})
    assert got == {"a": pytest.approx(0.03), "b": pytest.approx(0.06), "c": pytest.approx(0.06), "d": None}


def test_more_rows_detect_smaller_differences():
    small = compare.minimum_detectable_difference("stance", *systems(60, seed=1)[:2], simulations=20, permutations=150)
    large = compare.minimum_detectable_difference("stance", *systems(600, seed=1)[:2], simulations=20, permutations=150)
    assert 0 < large["difference"] < small["difference"]
    assert large["power"] >= compare.POWER


@pytest.mark.dataset
def test_compare_command_on_committed_predictions(tmp_path, capsys):
    out = tmp_path / "c.json"
    assert baselines_main(["compare", "char_tfidf_logreg", "majority", "--task", "stance", "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    result = json.loads(out.read_text(encoding="utf-8"))
    assert f"difference {result['difference']:.4f}" in printed and 0 < result["p_value"] <= 1
    assert result["ci"][0] <= result["difference"] <= result["ci"][1]


@pytest.mark.dataset
def test_leaderboard_marks_comparisons_with_the_best_and_the_floor():
    from baselines.report import RESULTS_DIR

    results = json.loads((RESULTS_DIR / "results.json").read_text(encoding="utf-8"))
    sig = results["significance"]["stance"]["cv"]
    assert sig["best"] and set(sig["vs_majority"]) and "majority" not in sig["vs_majority"]
    for entry in sig["vs_best"].values():
        assert entry["p_holm"] is None or entry["p_holm"] >= entry["p"]
    leaderboard = (RESULTS_DIR / "leaderboard.md").read_text(encoding="utf-8")
    assert "Δ vs best, Holm p" in leaderboard and "Δ vs majority, Holm p" in leaderboard


def test_multi_label_frames_are_compared_row_by_row():
    gold = [["economic"], ["economic", "political"], ["other"], ["political"]] * 10
    better = [["economic"], ["political"], ["other"], ["political"]] * 10
    worse = [["economic"], [], ["economic"], []] * 10
    result = compare.paired("frames", gold, better, worse)
    assert result.difference == pytest.approx(metrics.main_score("frames", gold, better) - metrics.main_score("frames", gold, worse))
    assert result.ci[0] > 0 and result.p_value < 0.01
    assert compare.paired("frames", gold, better, better).p_value == 1.0
