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


# -- the README's walk-through, end to end -------------------------------------------------------

WALK_HEADING = "## Extend the benchmark with your own articles"
FIRST = 1
SECOND = 2
"""Label Studio user ids, as its export API names annotators."""


def walkthrough() -> list[str]:
    """The commands of the README's walk-through, in order, as printed."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.index(WALK_HEADING):].split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.startswith(".venv/bin/python -m ")]


def practice_labels(segment: dict) -> dict:
    """What a careful annotator gives each sentence of the practice article (constructed, not news)."""
    text = segment["text"]
    base = {"segment_type": "body", "topic": "other", "frame": "other", "frames": ["other"],
            "stance_us_restrictions": "none", "stance_huawei": "none", "stance_china_self_reliance": "none",
            "speech": "author", "source_type": "author", "source_name": ""}
    if segment["index"] == 0:
        return {**base, "segment_type": "headline"}
    if "licence rule slows" in text:
        return {**base, "topic": "export_controls", "frame": "economic", "frames": ["economic"],
                "speech": "reported", "source_type": "other_industry", "source_name": "Example Widgets Ltd."}
    if "We would like the rule to end" in text:
        return {**base, "topic": "export_controls", "frame": "policy_prescription_and_evaluation",
                "frames": ["policy_prescription_and_evaluation"], "stance_us_restrictions": "against",
                "speech": "direct_quote", "source_type": "other_industry", "source_name": "unnamed"}
    if "ministry replied" in text:
        return {**base, "topic": "export_controls", "frame": "economic", "frames": ["economic"],
                "speech": "reported", "source_type": "other", "source_name": "unnamed"}
    return {**base, "segment_type": "boilerplate"}


def regions(labels: dict) -> list[dict]:
    """An annotation's result as Label Studio exports it (no region for an empty text area)."""
    out = []
    for field, value in labels.items():
        if field == "source_name":
            if value:
                out.append({"id": f"r-{field}", "from_name": field, "to_name": "text", "type": "textarea",
                            "origin": "manual", "value": {"text": [value]}})
            continue
        out.append({"id": f"r-{field}", "from_name": field, "to_name": "text", "type": "choices",
                    "origin": "manual", "value": {"choices": value if isinstance(value, list) else [value]}})
    return out


def make_exports(repo: Path) -> dict[str, str]:
    """first.json (full JSON; the first annotator keeps the model's topic where it is right) and
    second.json (JSON-MIN; the second annotator differs from the first on one topic). Returns the
    topic the model predicted per segment."""
    tasks = json.loads((repo / "ls_tasks" / "tasks.json").read_text(encoding="utf-8"))
    segments = {s["id"]: s for s in map(json.loads, (repo / "labeling" / "segments.jsonl").read_text(
        encoding="utf-8").splitlines())}
    full, minimal, predicted = [], [], {}
    for n, task in enumerate(tasks, start=1):
        sid = task["data"]["segment_id"]
        labels = practice_labels(segments[sid])
        prediction = {**task["predictions"][0], "id": 500 + n}
        [topic] = [r["value"]["choices"][0] for r in prediction["result"] if r["from_name"] == "topic"]
        predicted[sid] = topic
        full.append({"id": n, "data": task["data"], "predictions": [prediction], "annotations": [{
            "id": 100 + n, "completed_by": FIRST, "result": regions(labels), "was_cancelled": False,
            "parent_prediction": prediction["id"], "created_at": "2026-11-23T10:00:00Z", "lead_time": 3.0}]})
        second = dict(labels)
        if "licence rule slows" in segments[sid]["text"]:
            second["topic"] = "semiconductors"
        flat = {k: (v if not isinstance(v, list) or len(v) == 1 else {"choices": v}) for k, v in second.items()
                if k != "source_name" or v}
        flat = {k: (v[0] if isinstance(v, list) else v) for k, v in flat.items()}
        minimal.append({**task["data"], "id": n, **flat, "annotator": SECOND, "annotation_id": 200 + n,
                        "created_at": "2026-11-23T11:00:00Z", "updated_at": "2026-11-23T11:00:00Z", "lead_time": 2.0})
    (repo / "first.json").write_text(json.dumps(full, indent=1), encoding="utf-8")
    (repo / "second.json").write_text(json.dumps(minimal, indent=1), encoding="utf-8")
    return predicted


def fill_decisions(repo: Path) -> int:
    """The adjudicator fills in the template and appends it, as the README says."""
    lines = [json.loads(x) for x in (repo / "decisions.jsonl").read_text(encoding="utf-8").splitlines()]
    for line in lines:
        line.update(label=line["_passes"]["annotator_4"],
                    rationale="Topic rule: the sentence is about a licence rule on shipments, an export control.")
    with (repo / "labeling" / "annotations" / "adjudication.jsonl").open("a", encoding="utf-8") as out:
        out.writelines(json.dumps(line) + "\n" for line in lines)
    return len(lines)


@pytest.mark.slow
def test_the_readme_walkthrough_adds_a_fifth_article_end_to_end(tmp_path):
    repo = copy_repo(tmp_path / "techsanctions")
    shutil.copy(ARTICLE, repo / "my_article.txt")
    shutil.copy(METADATA, repo / "my_article.json")
    commands = walkthrough()
    assert len(commands) >= 14
    outputs: list[str] = []
    golds = 0
    predicted: dict[str, str] = {}
    for line in commands:
        args = line.split()[1:]
        if "labelstudio-import" in args and "first.json" in args:
            predicted = make_exports(repo)
        if args[-1] == "gold":
            golds += 1
            if golds == 2:
                assert fill_decisions(repo) == 1
        done = cli(repo, *args)
        assert done.returncode == 0, (line, done.stdout, done.stderr)
        outputs.append(done.stdout)
    by_verb = dict(zip((c.split()[3] + (" " + c.split()[4] if c.split()[3] == "labelstudio-import" else "")
                        for c in commands), outputs))
    assert "wrote 6 tasks" in by_verb["labelstudio-export"]
    tasks = json.loads((repo / "ls_tasks" / "tasks.json").read_text(encoding="utf-8"))
    scores = [t["predictions"][0]["score"] for t in tasks]
    assert scores == sorted(scores) and all(t["data"]["article_id"] == "005_mine" for t in tasks)
    assert "JSON-MIN" in by_verb["labelstudio-import second.json"]

    mine = {r["id"]: r for r in map(json.loads, (repo / "labeling" / "annotations" / "annotator_4.jsonl")
                                   .read_text(encoding="utf-8").splitlines())}
    segments = [s for s in map(json.loads, (repo / "labeling" / "segments.jsonl").read_text(encoding="utf-8")
                               .splitlines()) if s["article_id"] == "005_mine"]
    for s in segments:
        kept = practice_labels(s)["topic"] == predicted[s["id"]]
        assert ("topic" in mine[s["id"]].get("from_prediction", [])) == kept

    assert "5 of 5 articles have complete gold" in outputs[-3]
    assert "built data: 5 articles" in outputs[-2]
    import pyarrow.parquet as pq

    articles = pq.read_table(repo / "data" / "articles" / "full.parquet").to_pylist()
    assert sorted(a["article_id"] for a in articles)[-1] == "005_mine" and len(articles) == 5
    assert len({a["fold"] for a in articles}) == 5 and {a["split"] for a in articles} == {"train", "validation", "test"}
    split_of = {a["article_id"]: a["split"] for a in articles}
    for split in ("train", "validation", "test"):
        rows = pq.read_table(repo / "data" / "sentences" / f"{split}.parquet").to_pylist()
        assert {r["article_id"] for r in rows} == {a for a, sp in split_of.items() if sp == split}
    gold_rules = {r["id"]: r["rules"] for r in map(json.loads, (repo / "labeling" / "annotations" / "gold.jsonl")
                                                   .read_text(encoding="utf-8").splitlines())}
    assert sum(rule == "adjudicated" for s in segments for rule in gold_rules[s["id"]].values()) == 1
    report = json.loads((repo / "labeling" / "annotations" / "agreement.json").read_text(encoding="utf-8"))
    assert report["segments"] == 110 and report["other_groups"][0]["annotators"] == ["annotator_4", "annotator_5"]
    results = json.loads((repo / "baselines" / "results" / "results.json").read_text(encoding="utf-8"))
    assert results
    for check in (("labeling", "validate"), ("labeling", "build", "--check"), ("labeling", "segments", "--check")):
        assert cli(repo, "-m", *check).returncode == 0, check
