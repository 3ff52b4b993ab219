"""The benchmark's building blocks: convention check, synthetic corpora, scaling rows, report."""

from labeling.devtools import bench, compare


def test_only_our_segmenter_meets_the_conventions_among_installed_ones():
    verdicts = {name: bench.meets_conventions(fn) for name, fn in compare.available().items()}
    assert verdicts["techsanctions"] is True
    assert verdicts["syntok"] is False  # misses a.m./p.m. and addresses


def test_perturbed_copies_differ_but_keep_their_lines():
    text = "It cost 5 dollars.\n\nIt rose 12%."
    variant = bench.perturb(text, 3)
    assert variant != text and "8 dollars" in variant and "15%" in variant
    assert variant.count("\n") == text.count("\n")


def test_scaling_rows_grow_with_the_corpus():
    rows = bench.scaling((4, 8))
    assert [r["articles"] for r in rows] == [4, 8]
    assert rows[1]["segments"] >= 2 * rows[0]["segments"] - 8
    assert all(r["segment_s"] > 0 and r["build_s"] > 0 for r in rows)


def test_report_flags_unmet_targets():
    seg = {"techsanctions": {"mb_per_s": 1.0, "sentences_per_s": 10.0, "ratio_to_ours": 1.0, "meets_conventions": True},
           "other": {"mb_per_s": 2.0, "sentences_per_s": 20.0, "ratio_to_ours": 2.0, "meets_conventions": True}}
    rows = [{"articles": n, "segments": n, "mb": n / 10, "segment_s": n / 10, "build_s": 1.0,
             "segment_per_article_ratio": 1.0, "build_per_article_ratio": 1.0} for n in (4, 40)]
    report = {"machine": bench.machine(), "segmentation": seg, "scaling": rows, "build_s": 1.0,
              "baselines_run_s": 2.0, "main_job": {"total_s": 20.0, "steps_s": {"x": 20.0}, "import_floor_s": 3.0}}
    report["targets"] = bench.targets(report)
    assert report["targets"]["segmenter_vs_fastest_conforming"] == {"fastest_conforming_other": "other", "met": False}
    assert report["targets"]["main_job_under_15s"]["met"] is False
    table = bench.format_report(report)
    assert "| other | 2.00 |" in table and "| no |" in table


def test_hard_case_table_counts_right_per_segmenter():
    from labeling.devtools import hard_cases

    whole = lambda line: [(0, len(line))]  # noqa: E731 - never splits
    results = compare.hard_case_results({"whole": whole, "ours": compare.split_paragraph})
    single = sum(len(c.expected) == 1 for c in hard_cases.CASES)
    assert results["whole"]["right"] == single < results["whole"]["total"] == len(hard_cases.CASES)
    assert results["ours"]["right"] == len(hard_cases.CASES)
    table = compare.hard_case_table(results).splitlines()
    assert table[0] == "| case | expected | whole | ours |" and len(table) == len(hard_cases.CASES) + 3
    assert "| GR15 U.S. at sentence end | 2 | wrong | right |" in table
    assert table[-1] == f"| **right** |  | {single}/{len(hard_cases.CASES)} | {len(hard_cases.CASES)}/{len(hard_cases.CASES)} |"


def test_compare_command_reports_hard_cases(tmp_path):
    import json
    import subprocess
    import sys

    out = tmp_path / "c.json"
    run = subprocess.run([sys.executable, "-m", "labeling", "compare", "--seconds", "0.01", "--output", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    ours = report["techsanctions"]
    assert ours["hard_cases"]["right"] == ours["hard_cases"]["total"] and ours["differences"] == []
    assert f"| **right** |  | {ours['hard_cases']['right']}/" in run.stdout
    assert all({"mb_per_s", "hard_cases", "differences"} <= set(e) for e in report.values())


def test_report_gives_the_baselines_ratio_to_the_import_floor_and_their_scaling():
    seg = {"techsanctions": {"mb_per_s": 1.0, "sentences_per_s": 10.0, "ratio_to_ours": 1.0, "meets_conventions": True}}
    rows = [{"articles": n, "segments": n, "mb": n / 10, "segment_s": n / 10, "build_s": 1.0,
             "segment_per_article_ratio": 1.0, "build_per_article_ratio": 1.0} for n in (4, 40)]
    scaled = [{"articles": n, "sentences": 27 * n, "baselines_run_s": n / 4, "ms_per_sentence": 1000 / 108,
               "peak_rss_mib": 300.0} for n in (40, 400)]
    profile = {"stages": {"fit LogisticRegression": 3.0, "fit LogisticRegression (one-vs-rest)": 1.0, "vectorise": 4.0},
               "processes": 2, "wall_s": 4.5, "report_s": 1.0, "runs": {}}
    report = {"machine": bench.machine(), "segmentation": seg, "scaling": rows, "build_s": 1.0,
              "baselines_run_s": 6.0, "import_floor_s": 2.0, "baselines_floor_ratio": 3.0, "baseline_scaling": scaled,
              "baselines_profile": profile, "baselines_fixed_s": 4.0, "baselines_floor_ratio_bound": 2.0}
    report["targets"] = bench.targets(report)
    assert report["targets"]["baselines_run_within_2.5x_floor"] == {"ratio": 3.0, "bound_with_the_same_scores": 2.0,
                                                                     "met": False}
    assert report["targets"]["segmenter_at_least_3_mb_s"] == {"mb_per_s": 1.0, "met": False}
    table = bench.format_report(report)
    assert "3.00×" in table and "| 400 articles | 10800 | 100.0 | 9.26 | 300 |" in table
    assert "| vectorise | 4.00 | 50 % |" in table and "| fit LogisticRegression | 3.00 | 38 % |" in table
    assert "take 4.00 s" in table and "below 2.00× the import floor" in table
    report["baselines_floor_ratio"] = 2.4
    assert bench.targets(report)["baselines_run_within_2.5x_floor"]["met"] is True


def test_baseline_scaling_runs_the_baselines_on_a_synthetic_data_folder(monkeypatch):
    calls = []
    monkeypatch.setattr(bench, "_wall_and_peak", lambda args, **kw: calls.append(args) or (1.5, 99.0))
    [row] = bench.baseline_scaling((4,))
    assert row["articles"] == 4 and row["sentences"] > 0 and row["baselines_run_s"] == 1.5
    assert row["peak_rss_mib"] == 99.0
    assert row["ms_per_sentence"] == 1000 * 1.5 / row["sentences"]
    assert calls[0][:3] == ["-m", "baselines", "run"] and "--data" in calls[0]


def test_peak_memory_counts_the_largest_process_of_a_command_its_forked_workers_included():
    worker = ("import os\nif os.fork() == 0:\n    x = b\"x\" * (120 * 2**20)\n    os._exit(0)\nos.wait()\n")
    _, small = bench._wall_and_peak(["-c", "pass"])
    _, forked = bench._wall_and_peak(["-c", worker])
    assert small < 100 and forked >= 120 + small / 2


def test_synthetic_corpora_get_split_and_folds_by_the_method_for_their_size():
    agreement = bench.gather().agreement
    small, _, small_split = bench.synthetic_inputs(4, agreement)
    large, _, large_split = bench.synthetic_inputs(13, agreement)
    assert small_split["split_method"] == "exhaustive search" and len(set(small.fold_of.values())) == 4
    assert large_split["split_method"] == "stratified group assignment"
    assert sorted(set(large.fold_of.values())) == list(range(5)) and set(large.split_of.values()) == set(bench.splits.SPLITS)
    assert large_split["split_s"] >= 0 and large_split["split_score"] >= 0
