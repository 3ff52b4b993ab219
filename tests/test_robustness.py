"""Fuzzed bad input, interrupted builds, unsafe ids and the corpus-scale path."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labeling.core.paths import ROOT
from labeling.corpus import seeds as corpus
from labeling.annotation.records import read_pass
from labeling.corpus.seeds import check_article_id, load_segments
from labeling.core.errors import InputError
from labeling.corpus.segment import segment_text

ROOT = Path(__file__).resolve().parent.parent
SEGMENTS = {s["id"]: s for s in load_segments()}
GOLD_LINES = (ROOT / "labeling" / "annotations" / "annotator_1.jsonl").read_text(encoding="utf-8").splitlines()


# -- segmenter on hostile unicode ------------------------------------------------------------------

HOSTILE = st.lists(
    st.one_of(
        st.sampled_from(list("“”‘’\"'.?!…,;:()[]—–-\r\n\t \u00a0\u200b\u200f\u202e\u2028\u2029\ufeff")),
        st.sampled_from(["Mr.", "U.S.", "Jan.", "p.m.", "JD.com", "😀", "👩‍💻", "مرحبا", "שלום", "中文", "e\u0301",
                         "\r\n", "Huawei", "said"]),
        st.characters(),
    ),
    max_size=120,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(HOSTILE, st.integers(min_value=0, max_value=3))
def test_segmenter_invariants_on_hostile_text(text, repeat):
    text = text * (1 + repeat)
    segs = segment_text(text)
    covered = 0
    end = 0
    for s in segs:
        assert text[s.start : s.end] == s.text and s.start >= end
        assert "\n" not in s.text and "\r" not in s.text
        end = s.end
        covered += sum(not c.isspace() for c in s.text)
    assert covered == sum(not c.isspace() for c in text)


@settings(max_examples=5, deadline=None)
@given(st.integers(min_value=20_000, max_value=60_000))
def test_segmenter_handles_very_long_lines(n):
    text = ("Huawei said so. " * (n // 16)) + "x" * 100
    segs = segment_text(text)
    assert segs[-1].end == len(text)


# -- annotation validator on corrupted files -----------------------------------------------------


def corrupt(lines: list[str], data) -> bytes:
    kind = data.draw(st.sampled_from(["truncate", "types", "bytes", "huge", "shuffle", "drop", "garbage"]))
    i = data.draw(st.integers(min_value=0, max_value=len(lines) - 1))
    out = list(lines)
    if kind == "truncate":
        out[i] = out[i][: data.draw(st.integers(min_value=0, max_value=len(out[i]) - 1))]
    elif kind == "types" and out[i].startswith("{"):
        record = json.loads(out[i])
        key = data.draw(st.sampled_from(sorted(record)))
        record[key] = data.draw(st.one_of(st.integers(), st.none(), st.lists(st.integers()), st.floats()))
        out[i] = json.dumps(record)
    elif kind == "huge":
        out[i] = out[i][:-1] + ', "x": "' + "y" * 2_000_000 + '"}'
    elif kind == "shuffle":
        out[i], out[0] = out[0], out[i]
        out.insert(i, out[0])
    elif kind == "drop":
        del out[i]
    elif kind in ("garbage", "types"):
        out[i] = data.draw(st.text(max_size=50))
    raw = ("\n".join(out) + "\n").encode("utf-8")
    if kind == "bytes":
        pos = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
        raw = raw[:pos] + data.draw(st.binary(min_size=1, max_size=8)) + raw[pos:]
    return raw


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_validator_reports_corruption_without_crashing(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("ann") / "annotator_9.jsonl"
    raw = corrupt(GOLD_LINES, data)
    path.write_bytes(raw)
    records, problems = read_pass(path, SEGMENTS)
    if raw != ("\n".join(GOLD_LINES) + "\n").encode():
        for p in problems:
            assert str(p).startswith(f"{path}:") and "\n" not in p.message
    assert all(r["id"] in SEGMENTS for r in records.values())
    if not problems:  # a dropped line leaves its segment pending; nothing else may pass silently
        original = {json.loads(line)["id"]: json.loads(line) for line in GOLD_LINES}
        assert all(r == {k: original[sid][k] for k in r} for sid, r in records.items())
        assert len(records) >= len(SEGMENTS) - 1


# -- scorer on corrupted prediction files ----------------------------------------------------------


@pytest.mark.dataset
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_scorer_rejects_or_scores_never_crashes(tmp_path_factory, data):
    from baselines import evaluate

    rows = [json.loads(l) for l in (ROOT / "baselines/results/predictions/stance/majority.test.jsonl").read_text().splitlines()]
    lines = [json.dumps(r) for r in rows]
    suffix = data.draw(st.sampled_from([".jsonl", ".csv", ".txt"]))
    if suffix == ".csv":
        lines = ["id,label"] + [f"{r['id']},{r['label']}" for r in rows]
    raw = corrupt(lines, data)
    path = tmp_path_factory.mktemp("pred") / f"p{suffix}"
    path.write_bytes(raw)
    try:
        result = evaluate.score_file("stance", path, "test")
    except InputError as exc:
        assert "\n" not in str(exc)
    else:
        assert 0.0 <= result["main"] <= 1.0


# -- interrupted build ---------------------------------------------------------------------------


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.mark.slow
def test_build_killed_half_way_leaves_previous_data_whole(tmp_path):
    target = tmp_path / "data"
    cmd = [sys.executable, "-m", "labeling", "build", "--out", str(target), "--force"]
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT, timeout=300)
    before = tree_digest(target)
    annotations_before = tree_digest(ROOT / "labeling" / "annotations")
    killed_while_writing = False
    for delay in (0.5, 1.0, 1.5, 2.0, 3.0):
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not list(tmp_path.glob("data.tmp-*")) and proc.poll() is None:
            time.sleep(0.01)
        time.sleep(delay / 20)
        if proc.poll() is None and list(tmp_path.glob("data.tmp-*")):
            os.kill(proc.pid, signal.SIGKILL)
            killed_while_writing = True
        proc.wait()
        assert tree_digest(target) == before
        if killed_while_writing:
            break
    assert killed_while_writing, "the build finished before it could be interrupted"
    assert tree_digest(ROOT / "labeling" / "annotations") == annotations_before
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT, timeout=300)
    assert tree_digest(target) == before
    assert not list(tmp_path.glob("data.tmp-*")) and not list(tmp_path.glob("data.old-*"))


def test_recover_restores_a_set_aside_target(tmp_path):
    from labeling.core.io import recover_folder as recover

    old = tmp_path / "data.old-123"
    old.mkdir()
    (old / "x.txt").write_text("kept")
    (tmp_path / "data.tmp-abc").mkdir()
    recover(tmp_path / "data")
    assert (tmp_path / "data" / "x.txt").read_text() == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


# -- ids that become paths -----------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["../etc", "a/b", "a\\b", "", ".hidden", "x" * 101, "a b", "ok..", "é"])
def test_unsafe_article_ids_are_refused(bad):
    with pytest.raises(InputError, match="unsafe article id"):
        check_article_id(bad, "where")


def test_seed_named_unsafely_is_refused(tmp_path):
    (tmp_path / "bad id.txt").write_text("Text.", encoding="utf-8")
    with pytest.raises(InputError, match="bad id"):
        corpus.article_paths(tmp_path)


# -- corpus-scale path ---------------------------------------------------------------------------


def test_segment_dataset_with_two_processes_matches_the_serial_segmenter():
    import datasets

    from labeling.corpus.scale import segment_dataset

    articles = corpus.load_articles()
    table = datasets.Dataset.from_dict(
        {"article_id": [f"{a}-{k}" for k in range(3) for a in sorted(articles)],
         "text": [articles[a] for _ in range(3) for a in sorted(articles)]}
    )
    parallel = segment_dataset(table, num_proc=2, batch_size=2)
    serial = corpus.segment_corpus({f"{a}-{k}": articles[a] for k in range(3) for a in articles})
    by_id = {r["id"]: r for r in serial}
    assert len(parallel) == len(serial)
    for row in parallel:
        ref = by_id[row["id"]]
        assert (row["start"], row["end"], row["text"]) == (ref["start"], ref["end"], ref["text"])
        assert (row["paragraph_index"], row["sentence_index"]) == (ref["paragraph"], ref["sentence"])


def test_segment_corpus_cli_writes_parquet(tmp_path):
    import pandas as pd

    src = tmp_path / "articles.jsonl"
    src.write_text(json.dumps({"article_id": "a1", "text": "Mr. Li left. He came back.\nNew."}) + "\n")
    out = tmp_path / "sentences.parquet"
    proc = subprocess.run([sys.executable, "-m", "labeling", "segment-corpus", str(src), str(out), "--num-proc", "2"],
                          capture_output=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert list(pd.read_parquet(out)["text"]) == ["Mr. Li left.", "He came back.", "New."]


def test_segment_corpus_cli_refuses_bad_input(tmp_path):
    src = tmp_path / "articles.csv"
    src.write_text("article_id,text\n")
    proc = subprocess.run([sys.executable, "-m", "labeling", "segment-corpus", str(src), str(tmp_path / "o.parquet")],
                          capture_output=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr and b"expected .parquet or .jsonl" in proc.stderr


# -- crash- and concurrency-safe outputs ---------------------------------------------------------


def test_folder_swap_never_leaves_the_target_missing(tmp_path):
    """Readers polling the target during 40 swaps always find it (atomic exchange on Linux)."""
    import threading

    from labeling.core import io

    target = tmp_path / "data"
    target.mkdir()
    (target / "v").write_text("0", encoding="utf-8")
    missing = []
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            if not target.is_dir():
                missing.append(time.monotonic())

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for k in range(1, 41):
            io.write_folder(target, lambda tmp: (tmp / "v").write_text(str(k), encoding="utf-8"), replace=True)
    finally:
        stop.set()
        watcher.join()
    assert (target / "v").read_text(encoding="utf-8") == "40"
    assert missing == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_a_swap_killed_between_renames_is_recovered(tmp_path, monkeypatch):
    """Where no atomic exchange exists, the old folder is set aside first and restored after a kill."""
    from labeling.core import io

    target = tmp_path / "data"
    target.mkdir()
    (target / "v").write_text("old", encoding="utf-8")
    tmp = io.new_temp_folder(target)
    (tmp / "v").write_text("new", encoding="utf-8")
    monkeypatch.setattr(io, "_exchange", lambda a, b: False)
    real_replace = os.replace
    calls = []

    def dying_replace(src, dst):
        calls.append(src)
        if len(calls) == 2:
            raise SystemExit("killed")  # the process dies between the two renames
        real_replace(src, dst)

    monkeypatch.setattr(io.os, "replace", dying_replace)
    with pytest.raises(SystemExit):
        io.swap_folder(tmp, target)
    monkeypatch.setattr(io.os, "replace", real_replace)
    assert not target.exists()
    with io.locked(target):
        io.recover_folder(target)
    assert (target / "v").read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


@pytest.mark.slow
def test_concurrent_builds_queue_and_both_succeed(tmp_path):
    target = tmp_path / "data"
    cmd = [sys.executable, "-m", "labeling", "build", "--out", str(target), "--force"]
    procs = [subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [r[1] for r in results]
    from labeling.release import build

    assert build.check(target) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


@pytest.mark.slow
def test_killed_run_leaves_old_results_and_no_workers(tmp_path):
    out = tmp_path / "results"
    first = subprocess.run([sys.executable, "-m", "baselines", "run", "--quiet", "--baseline", "majority", "--out", str(out)],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    before = tree_digest(out)
    proc = subprocess.Popen([sys.executable, "-m", "baselines", "run", "--quiet", "--out", str(out), "--force"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children: set[int] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(children) < 2:
        children = _children(proc.pid)
        time.sleep(0.05)
    assert children, "the run started no worker processes"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{c}").exists() and _alive(c) for c in children):
        time.sleep(0.1)
    assert not any(_alive(c) for c in children), "workers outlived their parent"
    assert tree_digest(out) == before


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_killed_writes_leave_ignored_temp_files_that_the_next_write_removes(tmp_path):
    from labeling.core import io

    target = tmp_path / "README.md"
    stale = tmp_path / f".README.md{io.TMP_MARK}abc123"
    stale.write_text("half", encoding="utf-8")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    fresh = tmp_path / f".README.md{io.TMP_MARK}live"
    fresh.write_text("a write in progress", encoding="utf-8")
    io.write_atomic(target, "done\n")
    assert not stale.exists() and fresh.exists()
    ignored = subprocess.run(["git", "check-ignore", "-q", ".README.md.tmp-abc123"], cwd=ROOT)
    assert ignored.returncode == 0


def test_atomic_write_keeps_the_file_mode(tmp_path):
    from labeling.core import io

    target = tmp_path / "f.txt"
    target.write_text("a", encoding="utf-8")
    os.chmod(target, 0o640)
    io.write_atomic(target, "b")
    assert os.stat(target).st_mode & 0o777 == 0o640
