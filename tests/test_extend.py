"""Extending the corpus in a copy of the repository: `add`, pending articles, `status`, and a build
that publishes only articles whose gold is complete."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from labeling.core.paths import ROOT

FIXTURES = Path(__file__).parent / "fixtures"
ARTICLE = FIXTURES / "practice_article.txt"
METADATA = FIXTURES / "practice_article.meta.json"
COPIED = ("labeling", "seeds", "data", "baselines", "README.md", "CHANGELOG.md", "pyproject.toml")


def copy_repo(dest: Path) -> Path:
    """The parts of the repository the pipeline reads and writes, copied to `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__", ".*.lock", "results"))
        else:
            shutil.copy2(src, dest / name)
    if (ROOT / "baselines" / "results").exists():
        shutil.copytree(ROOT / "baselines" / "results", dest / "baselines" / "results")
    return dest


def cli(repo: Path, *args: str) -> subprocess.CompletedProcess:
    """Run a package's command line inside the copy (its own modules and paths)."""
    return subprocess.run([sys.executable, *args], cwd=repo, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
                               "PYTHONHASHSEED": "0"})


def digest(repo: Path) -> dict[str, str]:
    """SHA-256 of every file the add command may touch."""
    paths = [*sorted((repo / "seeds").iterdir()), repo / "labeling" / "segments.jsonl"]
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return copy_repo(tmp_path_factory.mktemp("repo") / "techsanctions")


@pytest.fixture(scope="module")
def added(repo) -> tuple[Path, subprocess.CompletedProcess]:
    before = (repo / "labeling" / "segments.jsonl").read_text(encoding="utf-8")
    done = cli(repo, "-m", "labeling", "add", str(ARTICLE), "--id", "005_practice", "--metadata", str(METADATA))
    assert done.returncode == 0, done.stderr
    return repo, done, before


def test_add_copies_bytes_records_metadata_and_appends_segments(added):
    repo, done, before = added
    assert "added 005_practice" in done.stdout and "6 segments" in done.stdout
    assert (repo / "seeds" / "005_practice.txt").read_bytes() == ARTICLE.read_bytes()
    meta = {r["id"]: r for r in json.loads((repo / "seeds" / "metadata.json").read_text(encoding="utf-8"))}
    assert meta["005_practice"]["url"] == "https://example.org/practice-article"
    assert meta["005_practice"]["license"] == "CC0-1.0" and meta["005_practice"]["language"] == "en"
    after = (repo / "labeling" / "segments.jsonl").read_text(encoding="utf-8")
    assert after.startswith(before)  # every existing segment keeps its line, id and offsets
    new = [json.loads(line) for line in after[len(before):].splitlines()]
    assert [s["id"] for s in new] == [f"005_practice-{i:03d}" for i in range(6)]
    assert cli(repo, "-m", "labeling", "segments", "--check").returncode == 0


def test_pending_article_passes_validation_and_is_left_out_of_the_build(added):
    repo, _, _ = added
    validate = cli(repo, "-m", "labeling", "validate")
    assert validate.returncode == 0, validate.stderr
    assert "6 segments pending" in validate.stdout
    status = cli(repo, "-m", "labeling", "status")
    assert status.returncode == 0
    row = next(line for line in status.stdout.splitlines() if line.startswith("| 005_practice"))
    assert row.split("|")[-2].strip() == "pending" and "0/6" in row
    assert "4 of 5 articles have complete gold" in status.stdout
    build = cli(repo, "-m", "labeling", "build", "--out", str(repo / "built"))
    assert build.returncode == 0, build.stderr
    assert "built" in build.stdout and "4 articles" in build.stdout
    assert "left out 005_practice: 6 of 6 segments without gold" in build.stdout


BAD = {
    "duplicate id": (["--id", "000_83086ac57a175e6f"], None, "exists already"),
    "same bytes under another id": ([], "copy", "already in the corpus as article"),
    "not UTF-8": ([], b"Caf\xe9 news\n", "not valid UTF-8"),
    "empty": ([], b"  \n\n", "empty or whitespace-only"),
    "binary": ([], b"abc\x00def\n", "binary file"),
    "unsafe id": (["--id", "../escape"], None, "unsafe article id"),
    "unknown metadata field": (["--metadata", "{\"colour\": \"red\"}"], None, "unknown field(s) 'colour'"),
    "bad date": (["--metadata", "{\"published\": \"23/11/2026\"}"], None, "not an ISO date"),
    "bad url": (["--metadata", "{\"url\": \"ftp://x\"}"], None, "not an http(s) address"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_and_changes_nothing(case, tmp_path):
    repo = copy_repo(tmp_path / "repo")
    options, content, message = BAD[case]
    source = tmp_path / "mine.txt"
    if content == "copy":
        shutil.copy(repo / "seeds" / "001_f901f940ad6bb502.txt", source)
    else:
        source.write_bytes(content if content is not None else ARTICLE.read_bytes())
    if "--metadata" in options:
        meta = tmp_path / "meta.json"
        meta.write_text(options[1], encoding="utf-8")
        options = ["--metadata", str(meta)]
    before = digest(repo)
    done = cli(repo, "-m", "labeling", "add", str(source), *options)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ") and message in done.stderr
    assert "Traceback" not in done.stderr
    assert digest(repo) == before
