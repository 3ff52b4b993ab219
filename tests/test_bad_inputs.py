"""Every command line verb, driven with a table of bad inputs: one error line naming the problem,
exit code 2 (1 for failed checks), never a traceback, and nothing the user did not ask to replace
is deleted."""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from baselines.__main__ import main as baselines_main
from labeling.__main__ import main as labeling_main
from labeling.core.paths import DATA_DIR, ROOT
from labeling.release.tasks import TASKS

PRED = ROOT / "baselines" / "results" / "predictions" / "stance" / "majority.test.jsonl"


@dataclass(frozen=True)
class Case:
    """One bad invocation: the CLI, its arguments (with {tmp} for the test's folder), a fixture."""

    name: str
    cli: str
    argv: tuple[str, ...]
    make: dict[str, object] = field(default_factory=dict)
    code: int = 2
    needs: str = ""


def _stance_test_rows() -> list[dict]:
    return [json.loads(line) for line in PRED.read_text(encoding="utf-8").splitlines()]


def _preds(label) -> str:
    rows = _stance_test_rows()
    rows[0]["label"] = label
    return "".join(json.dumps(r) + "\n" for r in rows)


NESTED = "[" * 100_000 + "]" * 100_000
CASES = [
    # labeling segment / segment-corpus
    Case("add: missing file", "labeling", ("add", "{tmp}/nope.txt")),
    Case("add: Latin-1", "labeling", ("add", "{tmp}/a.txt"), {"a.txt": "caf\u00e9 cr\u00e8me.".encode("latin-1")}),
    Case("add: --id with two files", "labeling", ("add", "{tmp}/a.txt", "{tmp}/b.txt", "--id", "x"),
         {"a.txt": b"One.\n", "b.txt": b"Two.\n"}),
    Case("add: metadata not an object", "labeling", ("add", "{tmp}/a.txt", "--metadata", "{tmp}/m.json"),
         {"a.txt": b"A constructed line.\n", "m.json": b"[1, 2]"}),
    Case("segment: missing file", "labeling", ("segment", "{tmp}/nope.txt")),
    Case("segment: binary", "labeling", ("segment", "{tmp}/a.txt"), {"a.txt": b"abc\x00def"}),
    Case("segment: Latin-1", "labeling", ("segment", "{tmp}/a.txt"), {"a.txt": "caf\u00e9 cr\u00e8me.".encode("latin-1")}),
    Case("segment: a folder", "labeling", ("segment", "{tmp}")),
    Case("segment-corpus: corrupt parquet", "labeling", ("segment-corpus", "{tmp}/a.parquet", "{tmp}/o.parquet"),
         {"a.parquet": b"PAR1 not really"}),
    Case("segment-corpus: empty JSONL", "labeling", ("segment-corpus", "{tmp}/a.jsonl", "{tmp}/o.parquet"), {"a.jsonl": b""}),
    Case("segment-corpus: Latin-1 JSONL", "labeling", ("segment-corpus", "{tmp}/a.jsonl", "{tmp}/o.parquet"),
         {"a.jsonl": '{"article_id": "a", "text": "caf\u00e9"}\n'.encode("latin-1")}),
    Case("segment-corpus: negative --num-proc", "labeling", ("segment-corpus", "{tmp}/a.jsonl", "{tmp}/o.parquet", "--num-proc", "-3"),
         {"a.jsonl": b'{"article_id": "a", "text": "One. Two."}\n'}),
    Case("segment-corpus: duplicate article ids", "labeling", ("segment-corpus", "{tmp}/a.jsonl", "{tmp}/o.parquet"),
         {"a.jsonl": b'{"article_id": "a", "text": "One."}\n{"article_id": "a", "text": "Two."}\n'}),
    Case("segment-corpus: output is a folder", "labeling", ("segment-corpus", "{tmp}/a.jsonl", "{tmp}/d"),
         {"a.jsonl": b'{"article_id": "a", "text": "One."}\n', "d/x": b""}),
    Case("segment-corpus: output is the input", "labeling", ("segment-corpus", "{tmp}/a.jsonl", "{tmp}/a.jsonl"),
         {"a.jsonl": b'{"article_id": "a", "text": "One."}\n'}),
    Case("segment-corpus: missing column", "labeling", ("segment-corpus", "{tmp}/a.jsonl", "{tmp}/o.parquet"),
         {"a.jsonl": b'{"id": "a", "text": "One."}\n'}),
    # devtools
    Case("compare: --seconds nan", "labeling", ("compare", "--seconds", "nan")),
    Case("compare: --seconds -1", "labeling", ("compare", "--seconds", "-1")),
    Case("compare: --output is a folder", "labeling", ("compare", "--seconds", "0.01", "--output", "{tmp}")),
    Case("bench: --sizes x", "labeling", ("bench", "--sizes", "x")),
    Case("bench: --sizes 4,,40", "labeling", ("bench", "--sizes", "4,,40")),
    Case("bench: --sizes 0", "labeling", ("bench", "--sizes", "0")),
    Case("bench: --output is a folder", "labeling", ("bench", "--no-main-job", "--output", "{tmp}")),
    # annotation
    Case("agreement: --output is a folder", "labeling", ("agreement", "--output", "{tmp}")),
    Case("agreement: --output under a file", "labeling", ("agreement", "--output", "{tmp}/f/a.json"), {"f": b"x"}),
    Case("labelstudio-export: target is a file", "labeling", ("labelstudio-export", "{tmp}/f"), {"f": b"x"}),
    Case("labelstudio-export: non-empty folder", "labeling", ("labelstudio-export", "{tmp}/d"), {"d/mine.txt": b"keep"}),
    Case("labelstudio-export: unknown article", "labeling", ("labelstudio-export", "{tmp}/d", "--articles", "nope")),
    Case("labelstudio-export: bad predictions", "labeling", ("labelstudio-export", "{tmp}/d", "--predictions", "{tmp}/p.jsonl"),
         {"p.jsonl": b'{"segment_id": "x"}\n'}),
    Case("labelstudio-import: nested JSON", "labeling", ("labelstudio-import", "{tmp}/e.json", "--name", "annotator_9", "--out", "{tmp}/o.jsonl"),
         {"e.json": NESTED.encode()}, code=1),
    Case("labelstudio-import: not JSON", "labeling", ("labelstudio-import", "{tmp}/e.json", "--name", "annotator_9", "--out", "{tmp}/o.jsonl"),
         {"e.json": b"{nope"}, code=1),
    Case("labelstudio-import: bad name", "labeling", ("labelstudio-import", "{tmp}/e.json", "--name", "../x"), {"e.json": b"[]"}),
    Case("labelstudio-import: --out is a folder", "labeling", ("labelstudio-import", "{tmp}/e.json", "--name", "annotator_9", "--out", "{tmp}"),
         {"e.json": b"[]"}),
    Case("labelstudio-import: --out is the export", "labeling", ("labelstudio-import", "{tmp}/e.json", "--name", "annotator_9", "--out", "{tmp}/e.json"),
         {"e.json": b"[]"}),
    # release
    Case("build: --out . (non-empty)", "labeling", ("build", "--out", "{tmp}"), {"mine.txt": b"keep"}),
    Case("build: --out is a file", "labeling", ("build", "--out", "{tmp}/f"), {"f": b"x"}),
    Case("build: --text-free into a non-empty folder", "labeling", ("build", "--text-free", "{tmp}/d"), {"d/mine.txt": b"keep"}),
    Case("rehydrate: no release", "labeling", ("rehydrate", "{tmp}/nope", "{tmp}", "{tmp}/out")),
    Case("rehydrate: output is the release", "labeling", ("rehydrate", "{tmp}/rel", "{tmp}/arts", "{tmp}/rel"), needs="release"),
    Case("rehydrate: non-empty output", "labeling", ("rehydrate", "{tmp}/rel", "{tmp}/arts", "{tmp}/out"),
         {"out/mine.txt": b"keep"}, needs="release"),
    Case("rehydrate: a sentence row missing", "labeling", ("rehydrate", "{tmp}/rel", "{tmp}/arts", "{tmp}/out"), needs="release-missing-row"),
    Case("rehydrate: an article altered", "labeling", ("rehydrate", "{tmp}/rel", "{tmp}/arts", "{tmp}/out"), needs="release-altered"),
    Case("publish: malformed repo id", "labeling", ("publish", "--repo-id", "a b/c")),
    Case("check-pass: missing file", "labeling", ("check-pass", "{tmp}/nope.jsonl"), code=1),
    Case("check-pass: nested JSON", "labeling", ("check-pass", "{tmp}/p.jsonl"), {"p.jsonl": NESTED.encode()}, code=1),
    Case("check-pass: Latin-1", "labeling", ("check-pass", "{tmp}/p.jsonl"), {"p.jsonl": "caf\u00e9\n".encode("latin-1")}, code=1),
    Case("pass: bad name", "labeling", ("pass", "begin", "../x")),
    Case("pass: begun twice", "labeling", ("pass", "begin", "annotator_1")),
    Case("adjudicate: --template is a folder", "labeling", ("adjudicate", "--template", "{tmp}")),
    Case("contrast-check: missing file", "labeling", ("contrast-check", "{tmp}/nope.jsonl"), code=1),
    Case("contrast-check: an edit past the ratio", "labeling", ("contrast-check", "{tmp}/c.jsonl"),
         {"c.jsonl": json.dumps({"source_id": "000_83086ac57a175e6f-003", "edit_type": "invariance", "target": None,
                                 "text": "Completely different words here.", "segment_type": "body",
                                 "topic": "smartphones", "frame": "public_opinion", "frames": ["public_opinion"],
                                 "stance_us_restrictions": "none", "stance_huawei": "favor",
                                 "stance_china_self_reliance": "none", "speech": "author", "source_type": "author",
                                 "source_name": ""}) + "\n"}, code=1),
    Case("contrast: unknown step", "labeling", ("contrast", "shuffle")),
    # baselines: scorer
    Case("evaluate: label '²'", "baselines", ("evaluate", "--task", "stance", "--predictions", "{tmp}/p.jsonl"),
         {"p.jsonl": _preds("\u00b2")}),
    Case("evaluate: Arabic-Indic digit", "baselines", ("evaluate", "--task", "stance", "--predictions", "{tmp}/p.jsonl"),
         {"p.jsonl": _preds("\u0661")}),
    Case("evaluate: 5,000-digit number", "baselines", ("evaluate", "--task", "stance", "--predictions", "{tmp}/p.jsonl"),
         {"p.jsonl": _preds(0).replace('"label": 0', '"label": ' + "9" * 5000, 1)}),
    Case("evaluate: JSON nested 100,000 deep", "baselines", ("evaluate", "--task", "stance", "--predictions", "{tmp}/p.jsonl"),
         {"p.jsonl": NESTED + "\n"}),
    Case("evaluate: CSV with two label columns", "baselines", ("evaluate", "--task", "stance", "--predictions", "{tmp}/p.csv"),
         {"p.csv": "id,label,label\n" + "".join(f"{r['id']},none,favor\n" for r in _stance_test_rows())}),
    Case("evaluate: --output is the predictions", "baselines",
         ("evaluate", "--task", "stance", "--predictions", "{tmp}/p.jsonl", "--output", "{tmp}/p.jsonl"),
         {"p.jsonl": _preds("none")}),
    Case("evaluate: --output is a folder", "baselines", ("evaluate", "--task", "stance", "--predictions", str(PRED), "--output", "{tmp}")),
    Case("evaluate: garbage gold file", "baselines", ("evaluate", "--task", "stance", "--predictions", str(PRED), "--data", "{tmp}/data"),
         needs="garbage-gold"),
    Case("evaluate: no dataset", "baselines", ("evaluate", "--task", "stance", "--predictions", str(PRED), "--data", "{tmp}/none")),
    # baselines: models and runs
    Case("train: --out is a folder", "baselines", ("train", "--task", "stance", "--baseline", "majority", "--out", "{tmp}")),
    Case("predict: missing model", "baselines", ("predict", "--model", "{tmp}/m.skops", "--task", "stance")),
    Case("predict: not a model", "baselines", ("predict", "--model", "{tmp}/m.skops", "--task", "stance"), {"m.skops": b"PK\x03\x04junk"}),
    Case("predict: hostile lexicon model", "baselines", ("predict", "--model", "{tmp}/m.skops", "--task", "stance"), needs="hostile-model"),
    Case("pre-annotate: missing model", "baselines", ("pre-annotate", "--model", "{tmp}/m.skops", "--out", "{tmp}/p.jsonl")),
    Case("pre-annotate: --out is the model", "baselines", ("pre-annotate", "--model", "{tmp}/m.skops", "--out", "{tmp}/m.skops"),
         {"m.skops": b"PK\x03\x04junk"}),
    Case("pre-annotate: unknown article", "baselines", ("pre-annotate", "--model", "{tmp}/m.skops", "--articles", "nope", "--out", "{tmp}/p.jsonl"),
         needs="hostile-model"),
    Case("compare: unknown system", "baselines", ("compare", "majority", "nope", "--task", "stance")),
    Case("compare: predictions of another split", "baselines", ("compare", str(PRED), "majority", "--task", "stance",
                                                                "--split", "validation")),
    Case("run: unknown baseline", "baselines", ("run", "--baseline", "nope", "--out", "{tmp}/r")),
    Case("run: subset over the official results", "baselines", ("run", "--baseline", "majority")),
    Case("run: --out is a file", "baselines", ("run", "--out", "{tmp}/f"), {"f": b"x"}),
    Case("corpus: missing model", "baselines", ("corpus", "{tmp}/a.jsonl", "{tmp}/o", "--model", "{tmp}/m.skops"),
         {"a.jsonl": b'{"article_id": "a", "text": "One. Two."}\n'}),
    Case("corpus: hostile lexicon model", "baselines", ("corpus", "{tmp}/a.jsonl", "{tmp}/o", "--model", "{tmp}/m.skops"),
         {"a.jsonl": b'{"article_id": "a", "text": "One. Two."}\n'}, needs="hostile-model"),
    Case("corpus: negative --workers", "baselines", ("corpus", "{tmp}/a.jsonl", "{tmp}/o", "--model", "{tmp}/m.skops",
                                                     "--workers", "-1")),
    Case("corpus: --workers with --scheduler", "baselines", ("corpus", "{tmp}/a.jsonl", "{tmp}/o", "--model",
                                                            "{tmp}/m.skops", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1")),
    Case("corpus-bench: size zero", "baselines", ("corpus-bench", "--sizes", "0,400")),
    Case("corpus-bench: --output is a folder", "baselines", ("corpus-bench", "--output", "{tmp}")),
]


def _release(tmp: Path, variant: str) -> None:
    labeling_main(["build", "--text-free", str(tmp / "rel")])
    arts = tmp / "arts"
    arts.mkdir()
    for path in (ROOT / "seeds").glob("*.txt"):
        shutil.copyfile(path, arts / path.name)
    if variant == "release-missing-row":
        path = tmp / "rel" / "sentences" / "train.parquet"
        table = pq.read_table(path)
        pq.write_table(table.slice(1), path)
    if variant == "release-altered":
        victim = sorted(arts.glob("*.txt"))[0]
        victim.write_bytes(victim.read_bytes() + b" ")


def _hostile_model(path: Path) -> None:
    import skops.io as sio

    from baselines.lexicon import LexiconClassifier

    model = LexiconClassifier().fit(["a b", "b c", "c d"], ["none", "favor", "favor"])
    model.cues_ = {"favor": ["(a+)+$" * 2000]}  # a catastrophic pattern, far longer than any cue word
    sio.dump(model, path)


@pytest.fixture(params=CASES, ids=[c.name for c in CASES])
def case(request):
    return request.param


def test_bad_input_gets_one_clean_error(case, tmp_path, capsys):
    for rel, content in case.make.items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    if case.needs.startswith("release"):
        _release(tmp_path, case.needs)
    elif case.needs == "garbage-gold":
        shutil.copytree(DATA_DIR, tmp_path / "data")
        (tmp_path / "data" / "stance" / "test.parquet").write_bytes(b"garbage")
    elif case.needs == "hostile-model":
        _hostile_model(tmp_path / "m.skops")
    capsys.readouterr()
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    main = labeling_main if case.cli == "labeling" else baselines_main
    argv = [a.replace("{tmp}", str(tmp_path)) for a in case.argv]
    start = time.monotonic()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse rejects the value
        code = exc.code
    err = capsys.readouterr().err
    assert code == case.code, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error:") or "argument" in last, err
    assert all(len(line) < 1200 for line in err.splitlines())
    assert time.monotonic() - start < 120
    for path, content in before.items():  # nothing the user had is deleted or changed
        assert path.exists() and path.read_bytes() == content, path


def test_the_table_covers_every_verb():
    from baselines.__main__ import build_parser as bp
    from labeling.__main__ import build_parser as lp

    verbs = {(cli, verb) for cli, parser in (("labeling", lp()), ("baselines", bp()))
             for verb in next(a for a in parser._actions if a.dest == "command").choices}
    covered = {(c.cli, c.argv[0]) for c in CASES}
    assert verbs - covered <= {("labeling", "segments"), ("labeling", "validate"), ("labeling", "gold"),
                                ("labeling", "adjudicate"), ("labeling", "agreement"), ("labeling", "status"),
                                ("baselines", "list")}
    assert len(CASES) >= 50


def test_oversized_id_is_not_echoed_whole(tmp_path, capsys):
    rows = _stance_test_rows()
    rows[0]["id"] = "x" * 5_000_000
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert baselines_main(["evaluate", "--task", "stance", "--predictions", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err) < 2000 and err.startswith("error:")


def test_scorer_follows_the_gold_on_disk(tmp_path, capsys):
    """Change a gold label and rewrite the file: the next score, in the same process, follows."""
    from labeling.release import configs

    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    gold = tmp_path / "gold.jsonl"
    path = data / "stance" / "test.parquet"
    rows = pq.read_table(path).to_pylist()
    names = configs.features("stance")["label"].names
    gold.write_text("".join(json.dumps({"id": r["id"], "label": names[r["label"]]}) + "\n" for r in rows), encoding="utf-8")
    args = ["evaluate", "--task", "stance", "--predictions", str(gold), "--data", str(data)]
    assert baselines_main(args) == 0
    assert "accuracy 1.0000" in capsys.readouterr().out
    for row in rows[:5]:
        row["label"] = names.index("favor") if names[row["label"]] != "favor" else names.index("against")
    configs.write_parquet(rows, configs.features("stance"), path)
    assert baselines_main(args) == 0
    out = capsys.readouterr().out
    assert "accuracy 1.0000" not in out and f"accuracy {1 - 5 / len(rows):.4f}" in out


def test_subset_run_writes_elsewhere_and_leaves_official_results(tmp_path, capsys):
    official = ROOT / "baselines" / "results" / "results.json"
    before = official.read_bytes()
    out = tmp_path / "subset"
    assert baselines_main(["run", "--quiet", "--baseline", "majority", "--baseline", "stratified", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert sorted(results["baselines"]) == ["majority", "stratified"]
    assert official.read_bytes() == before


def test_run_profile_says_where_the_time_went_stage_by_stage(tmp_path, capsys):
    profile = tmp_path / "profile.json"
    assert baselines_main(["run", "--quiet", "--baseline", "majority", "--baseline", "chi2_lexicon",
                           "--out", str(tmp_path / "r"), "--profile", str(profile)]) == 0
    got = json.loads(profile.read_text(encoding="utf-8"))
    stages = got["stages"]
    assert {"fit DummyClassifier", "fit LexiconClassifier", "fit LexiconClassifier (one-vs-rest)",
            "significance tests", "evaluation only (few-shot)", "predict", "other"} <= set(stages)
    assert "fit LogisticRegression" not in stages and all(v >= 0 for v in stages.values())
    # Stages split the task jobs' time: together no more than every process busy for the whole run.
    assert sum(stages.values()) <= got["wall_s"] * got["processes"] + 0.5
    assert len(got["runs"]) == 2 * 2 * len(TASKS) and got["report_s"] > 0
    assert "wrote the stage profile" in capsys.readouterr().out


def test_build_into_a_user_folder_with_force_keeps_the_users_files(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    assert labeling_main(["build", "--out", str(folder), "--force"]) == 0
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (folder / "stance" / "test.parquet").exists()


def test_rebuilding_keeps_the_folder_mode(tmp_path):
    folder = tmp_path / "out"
    assert labeling_main(["build", "--out", str(folder)]) == 0
    os.chmod(folder, 0o751)
    from labeling.core import io

    io.write_folder(folder, lambda tmp: (tmp / "x").write_text("1", encoding="utf-8"), replace=True)
    assert os.stat(folder).st_mode & 0o777 == 0o751
