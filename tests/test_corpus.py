"""The corpus path: segment, score and rank a corpus, in one process and on a Dask cluster."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from baselines import corpus, corpus_bench, persist
from baselines.__main__ import main
from labeling.annotation import schema
from labeling.core.errors import InputError
from labeling.corpus.seeds import load_articles
from labeling.corpus.segment import segment_text
from labeling.devtools.bench import perturb

TRAIN = [
    ("The Commerce Department added Huawei to the entity list.", "export_controls"),
    ("New export rules restrict shipments of advanced chips.", "export_controls"),
    ("Licences are now required to sell equipment to SMIC.", "export_controls"),
    ("Huawei launched a phone with a domestic processor.", "corporate_strategy"),
    ("The company shifted suppliers and raised its research budget.", "corporate_strategy"),
    ("Its revenue fell as the firm reorganised its business units.", "corporate_strategy"),
]


def _pipeline(clf):
    return Pipeline([("tfidf", TfidfVectorizer()), ("clf", clf)])


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    """A tiny topic model fitted on constructed sentences and saved as `train` saves it."""
    assert {label for _, label in TRAIN} <= set(schema.TOPIC)
    model = _pipeline(LogisticRegression()).fit([t for t, _ in TRAIN], [y for _, y in TRAIN])
    path = tmp_path_factory.mktemp("model") / "topic.skops"
    persist.save(model, path, task="topic")
    return path


def _write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def seed_corpus(tmp_path_factory) -> Path:
    """Twelve articles: the seeds, each copied three times with small perturbations."""
    seeds = load_articles()
    rows = [{"article_id": f"{aid}-{k}", "text": perturb(text, k)} for k in range(3) for aid, text in sorted(seeds.items())]
    return _write_jsonl(tmp_path_factory.mktemp("corpus") / "articles.jsonl", rows)


def _sentences(out: Path) -> list[dict]:
    return pa.concat_tables([pq.read_table(p) for p in sorted(out.glob("part-*.parquet"))]).to_pylist()


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.slow
def test_dask_cluster_equals_single_process(tmp_path, model_file, seed_corpus, capsys):
    single, dask = tmp_path / "single", tmp_path / "dask"
    assert main(["corpus", str(seed_corpus), str(single), "--model", str(model_file), "--workers", "0",
                  "--partitions", "4", "--sample", "7"]) == 0
    assert main(["corpus", str(seed_corpus), str(dask), "--model", str(model_file), "--workers", "2",
                 "--partitions", "4", "--sample", "7"]) == 0
    out = capsys.readouterr()
    assert "local cluster of 2" in out.out and "scoring partitions" in out.err

    rows = _sentences(single)
    assert rows == _sentences(dask)
    for name in ["sample.jsonl", "bad_rows.jsonl", *(p.name for p in single.glob("part-*.parquet"))]:
        assert (single / name).read_bytes() == (dask / name).read_bytes(), name
    assert len(list(single.glob("part-*.parquet"))) == 4

    # Every sentence of every article, in file order, with the segmenter's spans and ids.
    articles = _jsonl(seed_corpus)
    expected = [(f"{a['article_id']}-{i:03d}", s.start, s.end, s.text)
                for a in articles for i, s in enumerate(segment_text(a["text"]))]
    assert [(r["id"], r["start"], r["end"], r["text"]) for r in rows] == expected
    assert {r["label"] for r in rows} <= {"export_controls", "corporate_strategy"}
    assert all(0.5 <= r["score"] <= 1 and 0 <= r["margin"] <= 1 for r in rows)

    sample = _jsonl(single / "sample.jsonl")
    ranked = sorted(rows, key=lambda r: (r["score"], r["id"]))[:7]
    assert [s["id"] for s in sample] == [r["id"] for r in ranked]
    assert [s["rank"] for s in sample] == list(range(1, 8))


def test_existing_scheduler_gives_the_same_rows(tmp_path, model_file, seed_corpus):
    from distributed import LocalCluster

    scorer = corpus.scorer_from_file(model_file)
    corpus.run(seed_corpus, tmp_path / "single", scorer, workers=0, quiet=True)
    with LocalCluster(n_workers=1, processes=False, dashboard_address=None, silence_logs=logging.ERROR) as cluster:
        summary = corpus.run(seed_corpus, tmp_path / "remote", scorer, scheduler=cluster.scheduler_address, quiet=True)
    assert summary.mode.startswith("dask (")
    assert _sentences(tmp_path / "single") == _sentences(tmp_path / "remote")


def test_scores_are_the_model_probabilities(model_file):
    scorer = corpus.scorer_from_file(model_file)
    texts = ["Export licences for chips.", "The phone sold out.", "Nothing to see."]
    labels, scores, margins = scorer(texts)
    probs = scorer.model.predict_proba(texts)
    assert labels == [str(x) for x in scorer.model.predict(texts)]
    assert np.allclose(scores, probs.max(axis=1), atol=1e-6)
    assert np.allclose(margins, np.abs(probs[:, 0] - probs[:, 1]), atol=1e-6)


def test_models_without_probabilities_use_a_softmax_of_their_decision(tmp_path):
    texts = [t for t, _ in TRAIN] + ["Something else entirely."]
    svm = _pipeline(LinearSVC()).fit([t for t, _ in TRAIN], [y for _, y in TRAIN])
    labels, scores, margins = corpus.Scorer(svm, "topic")(texts)
    assert labels == list(svm.predict(texts))
    decision = svm.decision_function(texts)
    assert np.allclose(scores, 1 / (1 + np.exp(-np.abs(decision))), atol=1e-6)
    assert all(0.5 <= s <= 1 for s in scores) and all(m >= 0 for m in margins)


def test_pooled_stance_needs_a_target_and_prefixes_it(tmp_path):
    model = _pipeline(LogisticRegression()).fit(
        ["huawei: We oppose this.", "huawei: We welcome this.", "us restrictions: Good rules.", "us restrictions: Bad."],
        ["against", "favor", "favor", "against"])
    path = tmp_path / "stance.skops"
    persist.save(model, path, task="stance")
    with pytest.raises(InputError, match="--target"):
        corpus.scorer_from_file(path)
    scorer = corpus.scorer_from_file(path, target="us_restrictions")
    assert scorer.inputs(["Good rules."]) == ["us restrictions: Good rules."]


def test_multilabel_model_is_refused(tmp_path, model_file):
    model = persist.load(model_file)
    with pytest.raises(InputError, match="--target"):
        corpus.scorer_from_file(model_file, target="huawei")
    path = tmp_path / "frames.skops"
    setattr(model, persist.TASK_ATTRIBUTE, "frames")
    persist.save(model, path, task="frames")
    with pytest.raises(InputError, match="multi-label"):
        corpus.scorer_from_file(path)


GOOD = {"article_id": "good-1", "text": "Huawei was added to the list. It objected."}
BAD_ROWS = {
    "no text": ({"article_id": "a1"}, "a1", "no text"),
    "null text": ({"article_id": "a2", "text": None}, "a2", "no text"),
    "empty text": ({"article_id": "a3", "text": ""}, "a3", "empty text"),
    "blank text": ({"article_id": "a4", "text": " \n\t"}, "a4", "empty text"),
    "number text": ({"article_id": "a5", "text": 5}, "a5", "text is not a string"),
    "list text": ({"article_id": "a6", "text": ["a"]}, "a6", "text is not a string"),
    "unsafe id": ({"article_id": "../etc", "text": "Fine."}, "../etc", "bad article_id"),
    "missing id": ({"text": "Fine."}, None, "no article_id"),
    "float id": ({"article_id": 1.5, "text": "Fine."}, "1.5", "article_id is not a string"),
    "duplicate id": ({"article_id": "good-1", "text": "Again."}, "good-1", "duplicate article_id (first at row 1)"),
    "not an object": ("[1, 2]", None, "expected a JSON object"),
    "invalid JSON": ("{oops", None, "invalid JSON"),
}


@pytest.mark.parametrize("kind", sorted(BAD_ROWS))
def test_bad_rows_are_listed_and_skipped(tmp_path, model_file, kind, capsys):
    row, article_id, problem = BAD_ROWS[kind]
    src = _write_jsonl(tmp_path / "in.jsonl", [GOOD, row, {"article_id": "good-2", "text": "Chips were banned."}])
    out = tmp_path / "out"
    assert main(["corpus", str(src), str(out), "--model", str(model_file), "--workers", "0"]) == 0
    bad = _jsonl(out / "bad_rows.jsonl")
    assert len(bad) == 1 and bad[0]["row"] == 2 and bad[0]["article_id"] == article_id
    assert bad[0]["problem"].startswith(problem)
    assert {r["article_id"] for r in _sentences(out)} == {"good-1", "good-2"}
    err = capsys.readouterr().err
    assert "row 2: " in err and "skipped 1 bad row(s)" in err

    strict = tmp_path / "strict"
    assert main(["corpus", str(src), str(strict), "--model", str(model_file), "--workers", "0", "--strict"]) == 2
    message = capsys.readouterr().err.strip().splitlines()
    assert len(message) == 1 and message[0].startswith("error: ") and "row 2: " in message[0] and problem in message[0]
    assert not strict.exists()


def test_bad_rows_in_parquet(tmp_path, model_file):
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"article_id": ["a", "b", "a", "c", None], "text": ["One. Two.", None, "Three.", "  ", "Four."]}), src)
    summary = corpus.run(src, tmp_path / "out", corpus.scorer_from_file(model_file), quiet=True)
    bad = _jsonl(tmp_path / "out" / "bad_rows.jsonl")
    assert [(b["row"], b["article_id"], b["problem"].split(" (")[0]) for b in bad] == [
        (2, "b", "no text"), (3, "a", "duplicate article_id"), (4, "c", "empty text"), (5, None, "no article_id")]
    assert summary.articles == 1 and summary.sentences == 2

    numbers = tmp_path / "numbers.parquet"
    pq.write_table(pa.table({"article_id": ["x", "y"], "text": [1, 2]}), numbers)
    with pytest.raises(InputError, match="no usable articles"):
        corpus.read_corpus(numbers)
    with pytest.raises(InputError, match=r"row 1: article 'x': text is not a string"):
        corpus.read_corpus(numbers, strict=True)


def test_unreadable_inputs_are_one_line_errors(tmp_path, model_file, capsys):
    cases = {
        "in.csv": "expected a .parquet or .jsonl",
        "missing.jsonl": "no such file",
        "cols.parquet": "missing column(s) text",
        "junk.parquet": "cannot read parquet",
    }
    pq.write_table(pa.table({"article_id": ["a"]}), tmp_path / "cols.parquet")
    (tmp_path / "junk.parquet").write_text("not parquet", encoding="utf-8")
    (tmp_path / "in.csv").write_text("article_id,text\n", encoding="utf-8")
    for name, message in cases.items():
        assert main(["corpus", str(tmp_path / name), str(tmp_path / "out"), "--model", str(model_file), "--single"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and name in err[0] and message in err[0]
    assert not (tmp_path / "out").exists()


def test_output_folder_rules(tmp_path, model_file, seed_corpus, capsys):
    out = tmp_path / "out"
    args = ["corpus", str(seed_corpus), str(out), "--model", str(model_file), "--single", "--partitions", "5"]
    assert main(args) == 0
    assert main(args) == 2 and "--force" in capsys.readouterr().err
    # A rerun with fewer partitions replaces the earlier output whole: no stale partition remains.
    assert main([*args[:-1], "2", "--force"]) == 0
    assert sorted(p.name for p in out.glob("part-*")) == ["part-00000.parquet", "part-00001.parquet"]
    # In a folder shared with other files only this command's files change, and stale partitions go.
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    assert main([*args[:-1], "1", "--force"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["bad_rows.jsonl", "notes.txt", "part-00000.parquet", "sample.jsonl"]
    assert main(["corpus", str(seed_corpus), str(seed_corpus.parent), "--model", str(model_file), "--single"]) == 2


def test_partitions_follow_the_corpus_not_the_workers():
    articles = [corpus.Article(i + 1, f"a{i}", "Text.") for i in range(450)]
    parts = corpus.partition(articles)
    assert len(parts) == 3 and [a for p in parts for a in p] == articles
    assert [len(p) for p in corpus.partition(articles[:5], 3)] == [2, 2, 1]
    assert len(corpus.partition(articles[:2], 9)) == 2


def test_synthetic_corpus_has_new_ids_and_perturbed_texts(tmp_path):
    path = tmp_path / "c.parquet"
    corpus_bench.write_synthetic_corpus(path, 9)
    table = pq.read_table(path).to_pylist()
    assert len({r["article_id"] for r in table}) == 9 and len({r["text"] for r in table}) == 9
    assert not corpus.read_corpus(path).bad_rows


def test_benchmark_report_table(tmp_path):
    report = {
        "machine": {"python": "3", "platform": "p", "cpus": 2}, "model": "m", "cluster_start_s": {"1": 1.0, "2": 2.0},
        "runs": [{"articles": 4, "mb": 0.1, "sentences": 40, "partitions": 1, "workers": w, "seconds": s,
                  "sentences_per_s": 40 / s, "speedup_vs_1_worker": 4.0 / s} for w, s in ((1, 4.0), (2, 2.0))],
    }
    table = corpus_bench.format_report(report)
    lines = [line for line in table.splitlines() if line.startswith("| 4 ")]
    assert len(lines) == 2 and lines[1].endswith("| 2.00 |")
    assert "shared with other work" in table


def test_readme_scaling_block_shows_the_committed_figures():
    from labeling.core import docblocks
    from labeling.core.paths import DOCS_DIR, README

    report = json.loads((DOCS_DIR / "corpus_benchmark.json").read_text(encoding="utf-8"))
    assert {(r["articles"], r["workers"]) for r in report["runs"]} >= {(400, 1), (400, 2), (4000, 1), (4000, 2)}
    assert docblocks.is_current(README, corpus_bench.BLOCK, corpus_bench.format_report(report))
