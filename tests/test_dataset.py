"""The published dataset (data/): loading, features, counts, splits, card, Croissant, and the build
that makes it: reproducible, checked, atomic, text-free with rehydration, and publishing."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path

import datasets
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from labeling.release.tasks import TASKS
from labeling.release.tasks import labels as task_labels
from labeling.annotation import records as annotations
from labeling.annotation import schema
from labeling.core.paths import ROOT
from labeling.corpus import seeds as corpus
from labeling.release import build, rehydrate, splits
from labeling.release import configs as release_configs
from labeling.release import dataset as release_dataset
from labeling.release import version as release
from labeling.__main__ import main as labeling_main
from labeling.core.errors import ValidationError
from labeling.core.errors import InputError

ROOT = ROOT
DATA = ROOT / "data"
SPLIT_CONFIGS = ("sentences", *TASKS, "frames")
CONTRAST_ITEMS = ROOT / "labeling" / "contrast" / "items.jsonl"
BUILT_CONFIGS = [c for c in ("sentences", *TASKS, "frames", "contrast", "fewshot", "articles", "annotations")
                 if c != "contrast" or CONTRAST_ITEMS.exists()]
"""The configs a build makes: the contrast config exists once contrast items are derived."""
"""Configs with train / validation / test splits; the others have one split."""

dataset = pytest.mark.dataset


# -- expectations derived from the inputs (segments, annotation files, schema) ----------------


@cache
def segments() -> tuple[dict, ...]:
    return tuple(corpus.load_segments())


@cache
def annotation_records() -> dict[str, dict[str, dict]]:
    """File stem -> segment id -> record, read straight from labeling/annotations/*.jsonl."""
    out = {}
    for path in [*sorted(annotations.ANNOTATIONS_DIR.glob("annotator_*.jsonl")), annotations.ANNOTATIONS_DIR / "gold.jsonl"]:
        with path.open(encoding="utf-8") as f:
            out[path.stem] = {r["id"]: r for r in map(json.loads, f)}
    return out


def task_label(task: str, record: dict, target: str | None = None) -> str:
    """The gold label of one task row, written out per task (not through the build's code)."""
    field = {"frame": "frame", "topic": "topic", "source": "source_type", "stance": f"stance_{target}"}.get(task, task)
    return record[field]


@cache
def seed_articles() -> dict[str, str]:
    return corpus.load_articles()


def gold() -> dict[str, dict]:
    return annotation_records()["gold"]


def is_benchmark(segment: dict) -> bool:
    return gold()[segment["id"]]["segment_type"] in schema.BENCHMARK_SEGMENT_TYPES


@cache
def expected_split_of() -> dict[str, str]:
    """Article -> split, chosen by splits.choose from the gold labels of the benchmark sentences."""
    task_labels = {
        "stance": {a: [gold()[s["id"]][f"stance_{t}"] for s in segments() if s["article_id"] == a and is_benchmark(s)
                       for t in schema.TARGETS] for a in sorted(seed_articles())},
        **{task: {a: [gold()[s["id"]][task] for s in segments() if s["article_id"] == a and is_benchmark(s)]
                  for a in sorted(seed_articles())} for task in ("frame", "topic")},
    }
    return splits.choose(task_labels)


@cache
def expected_ids() -> dict[str, dict[str, list[str]]]:
    """config -> split -> segment ids (article ids for `articles`) that the config must hold."""
    split_of = expected_split_of()
    out: dict[str, dict[str, list[str]]] = {}
    for split in splits.SPLITS:
        in_split = [s for s in segments() if split_of[s["article_id"]] == split]
        out.setdefault("sentences", {})[split] = [s["id"] for s in in_split]
        for task in (*TASKS, "frames"):
            out.setdefault(task, {})[split] = [
                f"{s['id']}@{t}" for s in in_split if is_benchmark(s) for t in schema.TARGETS
            ] if task == "stance" else [s["id"] for s in in_split if is_benchmark(s)]
    if CONTRAST_ITEMS.exists():
        out["contrast"] = {"test": [json.loads(x)["id"] for x in CONTRAST_ITEMS.read_text(encoding="utf-8").splitlines()]}
    examples = ROOT / "labeling" / "codebook" / "examples.jsonl"
    out["fewshot"] = {"pool": [json.loads(x)["id"] for x in examples.read_text(encoding="utf-8").splitlines()]}
    out["articles"] = {release_configs.SINGLE_SPLIT: sorted(seed_articles())}
    out["annotations"] = {release_configs.SINGLE_SPLIT: [s["id"] for s in segments() for _ in annotation_records()]}
    return out


@cache
def load(config: str | None = None) -> datasets.DatasetDict:
    datasets.disable_progress_bars()
    if config is None:
        return datasets.load_dataset(str(DATA))
    return datasets.load_dataset(str(DATA), config)


def named_rows(ds: datasets.Dataset) -> list[dict]:
    """Rows with every ClassLabel column as its label name."""
    labels = {k: f for k, f in ds.features.items() if isinstance(f, datasets.ClassLabel)}
    return [{k: labels[k].int2str(v) if k in labels else v for k, v in row.items()} for row in ds]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def parquet_rows(folder: Path) -> dict[str, list[dict]]:
    return {p.relative_to(folder).as_posix(): pq.read_table(p).to_pylist() for p in sorted(folder.rglob("*.parquet"))}


def card_parts(text: str) -> tuple[dict, str]:
    assert text.startswith("---\n")
    _, header, body = text.split("---\n", 2)
    return yaml.safe_load(header), body


# -- loading the committed dataset -----------------------------------------------------------


@dataset
def test_default_config_loads_offline_and_is_sentences():
    import huggingface_hub.constants

    assert datasets.config.HF_HUB_OFFLINE and huggingface_hub.constants.HF_HUB_OFFLINE
    default = load()
    assert list(default) == list(splits.SPLITS)
    sentences = load("sentences")
    for split in splits.SPLITS:
        assert default[split]["id"] == sentences[split]["id"]


@dataset
@pytest.mark.parametrize("config", BUILT_CONFIGS)
def test_config_loads_with_schema_class_labels(config):
    ds = load(config)
    label_fields = {"label": task_labels(config)} if config in TASKS and config != "frames" else (
        {f: schema.labels(f) for f in schema.FIELDS} if config in ("sentences", "annotations", "contrast", "fewshot") else {}
    )
    if config == "stance":
        label_fields["target"] = tuple(schema.TARGETS)
    if config == "source":
        label_fields["speech"] = tuple(schema.SPEECH)
    for split in ds:
        feats = ds[split].features
        class_labels = {k for k, f in feats.items() if isinstance(f, datasets.ClassLabel)}
        assert class_labels == set(label_fields)
        for column, names in label_fields.items():
            assert feats[column].names == list(names)
        lists = {k for k, f in feats.items() if isinstance(f, datasets.List)}
        assert lists == ({"frames"} if config in ("sentences", "annotations", "contrast", "fewshot")
                         else {"label"} if config == "frames" else set())
        for column in lists:
            assert feats[column].feature.names == list(schema.FRAME)
        assert list(feats) == list(release_configs.features(config))


@dataset
@pytest.mark.parametrize("config", BUILT_CONFIGS)
def test_row_counts_per_split_follow_segments_gold_and_benchmark_types(config):
    ds = load(config)
    want = expected_ids()[config]
    assert {split: ds[split].num_rows for split in ds} == {split: len(ids) for split, ids in want.items()}
    key = "article_id" if config == "articles" else "id"
    for split, ids in want.items():
        assert Counter(ds[split][key]) == Counter(ids)


@dataset
def test_task_configs_hold_only_benchmark_segment_types():
    types = {s["id"]: gold()[s["id"]]["segment_type"] for s in segments()}
    left_out = set(schema.SEGMENT_TYPE) - set(schema.BENCHMARK_SEGMENT_TYPES)
    assert any(t in left_out for t in types.values()), "no left-out segment type: the test would be vacuous"
    for task in TASKS:
        ds = load(task)
        ids = [i.split("@")[0] for split in ds for i in ds[split]["id"]]
        assert {types[i] for i in ids} <= set(schema.BENCHMARK_SEGMENT_TYPES)


@dataset
def test_articles_split_column_is_the_chosen_split():
    rows = load("articles")[release_configs.SINGLE_SPLIT]
    assert dict(zip(rows["article_id"], rows["split"])) == expected_split_of()
    assert set(expected_split_of().values()) == set(splits.SPLITS)


@dataset
@pytest.mark.parametrize("config", SPLIT_CONFIGS)
def test_no_article_in_two_splits(config):
    ds = load(config)
    by_split = {split: set(ds[split]["article_id"]) for split in splits.SPLITS}
    for a, b in itertools.combinations(splits.SPLITS, 2):
        assert not by_split[a] & by_split[b], (a, b)
    for split, articles in by_split.items():
        assert articles == {a for a, s in expected_split_of().items() if s == split}


@dataset
@pytest.mark.parametrize("config", [*SPLIT_CONFIGS, "annotations"])
def test_every_text_is_its_span_of_the_seed_article(config):
    seeds = seed_articles()
    spans = {s["id"]: (s["start"], s["end"]) for s in segments()}
    ds = load(config)
    checked = 0
    for split in ds:
        for row in ds[split]:
            sid = row.get("segment_id", row["id"])
            start, end = (row["start"], row["end"]) if "start" in row else spans[sid]
            assert (start, end) == spans[sid]
            assert row["text"] == seeds[row["article_id"]][start:end]
            checked += 1
    assert checked == sum(len(ids) for ids in expected_ids()[config].values())


@dataset
def test_articles_config_carries_the_seed_texts_and_their_hashes():
    rows = load("articles")[release_configs.SINGLE_SPLIT]
    seeds = seed_articles()
    metadata = json.loads(corpus.METADATA_FILE.read_text(encoding="utf-8"))
    meta = {m["id"]: m for m in metadata}
    counts = Counter(s["article_id"] for s in segments())
    for row in rows:
        aid = row["article_id"]
        assert row["text"] == seeds[aid]
        assert row["sha256"] == hashlib.sha256(seeds[aid].encode("utf-8")).hexdigest()
        assert row["num_segments"] == counts[aid]
        assert row["title"] == meta[aid]["title"]


@dataset
def test_fold_is_leave_one_article_out_and_the_same_in_every_config():
    mapping = None
    for config in (*SPLIT_CONFIGS, "articles"):
        ds = load(config)
        pairs = {(a, f) for split in ds for a, f in zip(ds[split]["article_id"], ds[split]["fold"])}
        fold_of = dict(pairs)
        assert len(fold_of) == len(pairs), f"{config}: an article is in two folds"
        assert len(set(fold_of.values())) == len(fold_of), f"{config}: a fold holds two articles"
        mapping = mapping or fold_of
        assert fold_of == mapping, config
    assert set(mapping) == set(seed_articles())
    assert sorted(mapping.values()) == list(range(len(seed_articles())))


@dataset
def test_every_segment_is_in_sentences_with_its_offsets_and_gold_labels():
    ds = load("sentences")
    rows = {r["id"]: r for split in ds for r in named_rows(ds[split])}
    assert len(rows) == sum(ds[split].num_rows for split in ds)
    assert set(rows) == {s["id"] for s in segments()}
    for s in segments():
        r = rows[s["id"]]
        assert (r["article_id"], r["paragraph_index"], r["sentence_index"], r["start"], r["end"], r["text"]) == (
            s["article_id"], s["paragraph"], s["sentence"], s["start"], s["end"], s["text"]
        )
        assert {f: r[f] for f in schema.FIELDS} == {f: gold()[s["id"]][f] for f in schema.FIELDS}


@dataset
def test_task_labels_are_the_gold_labels():
    for task in [t for t in TASKS if t != "frames"]:
        ds = load(task)
        for split in ds:
            for r in named_rows(ds[split]):
                if task == "stance":
                    assert r["id"] == f"{r['segment_id']}@{r['target']}"
                    assert r["label"] == task_label(task, gold()[r["segment_id"]], r["target"])
                else:
                    assert r["label"] == task_label(task, gold()[r["id"]])
    for split, ds in load("frames").items():
        for r in ds:
            assert [schema.labels("frames")[i] for i in r["label"]] == gold()[r["id"]]["frames"]


@dataset
def test_annotations_one_row_per_segment_per_annotation_file():
    ds = load("annotations")
    assert list(ds) == [release_configs.SINGLE_SPLIT]
    rows = named_rows(ds[release_configs.SINGLE_SPLIT])
    records = annotation_records()
    assert len(records) >= 3
    keys = Counter((r["id"], r["annotator"]) for r in rows)
    assert set(keys.values()) == {1}
    assert set(keys) == {(s["id"], name) for s in segments() for name in records}
    for r in rows:
        source = records[r["annotator"]][r["id"]]
        assert {f: r[f] for f in schema.FIELDS} == {f: source[f] for f in schema.FIELDS}
        assert [schema.labels("frames")[i] for i in r["frames"]] == source["frames"]
        assert r["source_name"] == source["source_name"]
        assert json.loads(r["rules"] or "{}") == source.get("rules", {})


PARQUET_FILES = sorted(p.relative_to(DATA).as_posix() for p in DATA.rglob("*.parquet"))


@dataset
def test_every_config_split_has_a_parquet_file():
    assert set(PARQUET_FILES) == {
        f"{config}/{split}.parquet" for config, by_split in expected_ids().items() for split in by_split
    }


@dataset
@pytest.mark.parametrize("rel", PARQUET_FILES)
def test_parquet_file_reads_directly_with_pandas_and_pyarrow(rel):
    config, split = rel.removesuffix(".parquet").split("/")
    frame = pd.read_parquet(DATA / rel)
    table = pq.read_table(DATA / rel)
    want = len(expected_ids()[config][split])
    assert len(frame) == table.num_rows == want
    assert list(frame.columns) == table.column_names == list(release_configs.features(config))
    key = "article_id" if config == "articles" else "id"
    assert Counter(frame[key]) == Counter(table.column(key).to_pylist()) == Counter(expected_ids()[config][split])


# -- the dataset card ------------------------------------------------------------------------


@dataset
def test_card_yaml_declares_every_config_with_existing_files():
    header, _ = card_parts((DATA / "README.md").read_text(encoding="utf-8"))
    configs = {c["config_name"]: c for c in header["configs"]}
    assert set(configs) == set(BUILT_CONFIGS)
    assert [name for name, c in configs.items() if c.get("default")] == ["sentences"]
    for name, c in configs.items():
        declared = {f["split"]: f["path"] for f in c["data_files"]}
        assert set(declared) == set(expected_ids()[name])
        for path in declared.values():
            assert (DATA / path).is_file(), path


@dataset
def test_card_dataset_info_matches_parquet_rows_and_schema_labels():
    header, _ = card_parts((DATA / "README.md").read_text(encoding="utf-8"))
    infos = {i["config_name"]: i for i in header["dataset_info"]}
    assert set(infos) == set(BUILT_CONFIGS)
    for config, info in infos.items():
        counts = {s["name"]: s["num_examples"] for s in info["splits"]}
        assert counts == {
            split: pq.read_metadata(DATA / config / f"{split}.parquet").num_rows for split in expected_ids()[config]
        }
        declared = [f["name"] for f in info["features"]]
        assert declared == list(release_configs.features(config))
        want = release_configs.features(config)
        for f in info["features"]:
            spec = f.get("dtype") if isinstance(f.get("dtype"), dict) else (f.get("list") or {})
            if "class_label" in spec:
                names = spec["class_label"]["names"]
                feature = want[f["name"]]
                feature = getattr(feature, "feature", feature)
                assert [names[str(i)] for i in range(len(names))] == list(feature.names), (config, f["name"])


CARD_SECTIONS = (
    "Dataset Summary",
    "Supported Tasks and Leaderboards",
    "Languages",
    "Dataset Structure",
    "Data Fields",
    "Data Splits",
    "Curation Rationale",
    "Source Data",
    "Annotation process",
    "Who are the annotators?",
    "Personal and Sensitive Information",
    "Discussion of Biases",
    "Other Known Limitations",
    "Licensing Information",
    "Citation Information",
)


@dataset
def test_card_has_the_required_sections_and_the_release_version():
    _, body = card_parts((DATA / "README.md").read_text(encoding="utf-8"))
    headings = {m.group(1).strip() for m in re.finditer(r"^#{1,4} (.+)$", body, re.M)}
    missing = [s for s in CARD_SECTIONS if s not in headings]
    assert not missing
    assert f"Version {release.VERSION}" in body
    assert release.citation() in body
    assert f"#### {release.VERSION}" in body.split("### Changelog", 1)[1]


# -- Croissant -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def croissant():
    import mlcroissant as mlc

    return mlc.Dataset(jsonld=str(DATA / "croissant.json"))


@dataset
def test_croissant_loads_without_validation_errors(croissant):
    assert not croissant.metadata.ctx.issues.errors
    assert croissant.metadata.version == release.VERSION
    ids = {rs.id for rs in croissant.metadata.record_sets}
    assert ids == {f"{c}-{s}" for c, by_split in expected_ids().items() for s in by_split}


@dataset
def test_croissant_checksums_match_the_parquet_files():
    meta = json.loads((DATA / "croissant.json").read_text(encoding="utf-8"))
    files = {d["contentUrl"]: d["sha256"] for d in meta["distribution"]}
    assert set(files) == set(PARQUET_FILES)
    for rel, digest in files.items():
        assert hashlib.sha256((DATA / rel).read_bytes()).hexdigest() == digest, rel


@dataset
@pytest.mark.parametrize("config,split", [("stance", "test"), ("sentences", "train"), ("articles", "full")])
def test_croissant_record_set_yields_the_parquet_rows(croissant, config, split):
    rs = f"{config}-{split}"
    records = list(croissant.records(rs))
    key = "article_id" if config == "articles" else "id"
    got = [r[f"{rs}/{key}"] for r in records]
    got = [v.decode("utf-8") if isinstance(v, bytes) else v for v in got]
    assert Counter(got) == Counter(expected_ids()[config][split])


# -- the build: reproducible and checked -----------------------------------------------------


@pytest.fixture(scope="module")
def inputs():
    return release_dataset.gather()


@pytest.fixture(scope="module")
def full_build(tmp_path_factory):
    target = tmp_path_factory.mktemp("full") / "data"
    build.build(target)
    return target


@pytest.fixture(scope="module")
def textfree_build(tmp_path_factory):
    target = tmp_path_factory.mktemp("textfree") / "release"
    build.build(target, text=False)
    return target


def test_two_builds_are_byte_identical(full_build, tmp_path):
    other = tmp_path / "b"
    build.build(other)
    first, second = snapshot(full_build), snapshot(other)
    assert set(first) == set(second)
    assert {"README.md", "croissant.json", "stats.json"} <= set(first)
    assert [name for name in first if first[name] != second[name]] == []


def test_build_leaves_only_the_target_behind(full_build):
    assert [p.name for p in full_build.parent.iterdir()] == [full_build.name]


def test_check_is_empty_for_a_fresh_build(full_build):
    assert build.check(full_build) == []


def test_check_names_every_altered_missing_and_extra_file(full_build, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(full_build, copy)
    table = pq.read_table(copy / "stance" / "test.parquet")
    rows = table.to_pylist()
    rows[0]["label"] = (rows[0]["label"] + 1) % len(task_labels("stance"))
    release_configs.write_parquet(rows, release_configs.features("stance"), copy / "stance" / "test.parquet")
    with (copy / "README.md").open("a", encoding="utf-8") as f:
        f.write("\nA hand edit.\n")
    (copy / "frame" / "validation.parquet").unlink()
    (copy / "notes.txt").write_text("not from the build\n", encoding="utf-8")

    problems = build.check(copy)

    assert len(problems) == 4, problems
    named = {
        "stance/test.parquet": "differs",
        "README.md": "differs",
        "frame/validation.parquet": "missing",
        "notes.txt": "not produced",
    }
    for rel, kind in named.items():
        hits = [p for p in problems if p.endswith("/" + rel)]
        assert len(hits) == 1 and kind in hits[0], (rel, problems)


def test_check_accepts_a_str_target_like_build(full_build, inputs, monkeypatch):
    monkeypatch.setattr(build, "gather", lambda: inputs)
    assert build.check(str(full_build)) == []


# -- the build: atomic -----------------------------------------------------------------------


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_failed_write_leaves_the_previous_target_whole(full_build, inputs, tmp_path, monkeypatch, error):
    target = tmp_path / "data"
    shutil.copytree(full_build, target)
    before = snapshot(target)
    wrote = []

    def half_then_fail(out, inputs, *args, **kwargs):
        rows = release_dataset.tables(inputs)["stance"]["train"]
        path = Path(out) / "stance" / "train.parquet"
        release_configs.write_parquet(rows, release_configs.features("stance"), path)
        wrote.append(path)
        raise error

    monkeypatch.setattr(build, "gather", lambda: inputs)
    monkeypatch.setattr(build, "write_dataset", half_then_fail)
    # An OSError becomes the one-line InputError the command line prints.
    with pytest.raises(InputError if isinstance(error, OSError) else type(error)):
        build.build(target, force=True)

    assert wrote and not wrote[0].exists()
    assert snapshot(target) == before
    assert [p.name for p in tmp_path.iterdir()] == ["data"]


def test_failed_first_build_creates_nothing(inputs, tmp_path, monkeypatch):
    def fail(out, inputs, *args, **kwargs):
        (Path(out) / "stats.json").write_text("{}", encoding="utf-8")
        raise OSError("disk full")

    monkeypatch.setattr(build, "gather", lambda: inputs)
    monkeypatch.setattr(build, "write_dataset", fail)
    with pytest.raises(InputError, match="disk full"):
        build.build(tmp_path / "data")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def corrupted_annotations(tmp_path, monkeypatch):
    """The real validator pointed at a copy of the annotations with one unknown label in a pass."""
    directory = tmp_path / "annotations"
    shutil.copytree(annotations.ANNOTATIONS_DIR, directory)
    lines = (directory / "annotator_1.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    record = json.loads(lines[0])
    record["stance_huawei"] = "neutral"
    lines[0] = json.dumps(record, ensure_ascii=False) + "\n"
    (directory / "annotator_1.jsonl").write_text("".join(lines), encoding="utf-8")
    monkeypatch.setattr(release_dataset, "load_passes", lambda: annotations.load_passes(directory))
    written = []
    monkeypatch.setattr(build, "write_dataset", lambda out, *a, **k: written.append(out))
    return written


def test_invalid_annotations_stop_the_build_before_touching_the_target(
    full_build, tmp_path, corrupted_annotations
):
    parent = tmp_path / "out"
    target = parent / "data"
    shutil.copytree(full_build, target)
    before = snapshot(target)
    with pytest.raises(ValidationError) as info:
        build.build(target, force=True)
    assert any(p.path.name == "annotator_1.jsonl" and p.line == 1 and "neutral" in p.message for p in info.value.problems)
    assert corrupted_annotations == []
    assert snapshot(target) == before
    assert [p.name for p in parent.iterdir()] == ["data"]


def test_cli_build_with_invalid_annotations_exits_1_and_writes_nothing(tmp_path, corrupted_annotations, capsys):
    out = tmp_path / "release"
    assert labeling_main(["build", "--text-free", str(out)]) == 1
    err = capsys.readouterr().err
    assert "annotator_1.jsonl:1:" in err and "neutral" in err
    assert err.strip().splitlines()[-1].startswith("error: ")
    assert not out.exists() and corrupted_annotations == []


# -- splits ----------------------------------------------------------------------------------


def random_labels(seed: int, n_articles: int, tasks=("stance", "frame", "topic")) -> dict[str, dict[str, list[str]]]:
    rng = np.random.default_rng(seed)
    out = {}
    for task in tasks:
        names = list(task_labels(task))[:4]
        out[task] = {
            f"art{a}": [str(x) for x in rng.choice(names, size=int(rng.integers(3, 30)), p=rng.dirichlet([1] * len(names)))]
            for a in range(n_articles)
        }
    return out


def brute_force(labels: dict) -> dict[str, str]:
    """Best assignment over all with one validation and one test article; ties by sorted assignment."""
    articles = sorted(next(iter(labels.values())))
    candidates = []
    for val, test in itertools.permutations(articles, 2):
        assignment = {a: "validation" if a == val else "test" if a == test else "train" for a in articles}
        candidates.append((splits.score(assignment, labels), sorted(assignment.items()), assignment))
    low = min(c[0] for c in candidates)
    return min((c for c in candidates if c[0] <= low + 1e-9), key=lambda c: c[1])[2]


@pytest.mark.parametrize("seed", range(6))
def test_choose_four_articles_is_the_brute_force_optimum(seed):
    labels = random_labels(seed, 4)
    chosen = splits.choose(labels)
    assert Counter(chosen.values()) == {"train": 2, "validation": 1, "test": 1}
    assert chosen == brute_force(labels)
    assert splits.score(chosen, labels) == pytest.approx(splits.score(brute_force(labels), labels), abs=1e-12)


def test_choose_breaks_ties_by_sorted_assignment():
    same = {task: {a: ["x", "y", "y"] for a in ("d", "b", "a", "c")} for task in TASKS}
    chosen = splits.choose(same)
    assert chosen == brute_force(same)
    every = [dict(zip("abcd", p)) for p in set(itertools.permutations(["train", "train", "validation", "test"]))]
    assert sorted(chosen.items()) == min(sorted(a.items()) for a in every)


def test_choose_is_deterministic_and_ignores_input_order():
    labels = random_labels(7, 4)
    shuffled = {task: dict(reversed(list(by_article.items()))) for task, by_article in reversed(list(labels.items()))}
    assert splits.choose(labels) == splits.choose(labels) == splits.choose(shuffled)


@pytest.mark.parametrize("n", [5, 6, 8])
def test_choose_is_article_disjoint_and_optimal_for_larger_corpora(n):
    labels = random_labels(n, n)
    chosen = splits.choose(labels)
    assert set(chosen) == set(labels["stance"])
    sizes = Counter(chosen.values())
    assert set(sizes) == set(splits.SPLITS) and sizes["validation"] == sizes["test"]
    # No assignment with the same split sizes scores lower.
    articles = sorted(chosen)
    pattern = sorted(chosen.values())
    best = min(
        splits.score(dict(zip(articles, p)), labels) for p in set(itertools.permutations(pattern))
    )
    assert splits.score(chosen, labels) <= best + 1e-12


@pytest.mark.parametrize("n", [0, 1, 2])
def test_choose_needs_three_articles(n):
    with pytest.raises(ValueError, match="at least 3"):
        splits.choose(random_labels(0, n))


@pytest.mark.parametrize("n", [splits.EXHAUSTIVE_MAX + 1, 40, 400])
def test_stratified_assignment_for_many_articles(n):
    labels = random_labels(1, n)
    chosen = splits.choose(labels)
    assert set(chosen) == set(labels["stance"])
    n_train, n_val, n_test = splits._sizes(n)
    assert Counter(chosen.values()) == {"train": n_train, "validation": n_val, "test": n_test}
    shuffled = {task: dict(reversed(list(by.items()))) for task, by in reversed(list(labels.items()))}
    assert splits.choose(shuffled) == chosen
    # Balance: better than the average of 20 random assignments with the same split sizes, and from 40
    # articles on (where the greedy choice has room to work) better than every one of them.
    rng = np.random.default_rng(0)
    pattern = list(chosen.values())
    articles = list(chosen)
    random_scores = [splits.score(dict(zip(articles, rng.permutation(pattern))), labels) for _ in range(20)]
    assert splits.score(chosen, labels) < (min(random_scores) if n >= 40 else float(np.mean(random_scores)))


def test_stratified_is_close_to_the_exhaustive_optimum_where_both_run():
    labels = random_labels(3, splits.EXHAUSTIVE_MAX)
    exact = splits.choose(labels)
    n_train, n_val, n_test = splits._sizes(splits.EXHAUSTIVE_MAX)
    greedy = splits.stratified(labels, {"train": n_train, "validation": n_val, "test": n_test})
    assert Counter(greedy.values()) == Counter(exact.values())
    assert splits.score(exact, labels) <= splits.score(greedy, labels) <= splits.score(exact, labels) + 0.3


def test_folds_hold_out_one_article_each():
    ids = ["c", "a", "b", "d"]
    folds = splits.folds({"stance": {a: ["x"] for a in ids}})
    assert sorted(folds.values()) == list(range(len(ids)))
    assert [a for a, _ in sorted(folds.items(), key=lambda kv: kv[1])] == sorted(ids)


def test_many_articles_get_k_stratified_folds():
    n = splits.LOAO_MAX + 33
    labels = random_labels(4, n)
    folds = splits.folds(labels)
    sizes = Counter(folds.values())
    assert sorted(sizes) == list(range(splits.K_FOLDS)) and max(sizes.values()) - min(sizes.values()) <= 1
    assert folds == splits.folds(labels)


# -- text-free release and rehydration -------------------------------------------------------


def test_text_free_build_has_no_text_but_article_hashes(textfree_build, full_build):
    free, full = parquet_rows(textfree_build), parquet_rows(full_build)
    # The contrast set's texts derive from the articles and cannot be rehydrated, so it is left out;
    # the few-shot pool's constructed examples are the project's own text and stay.
    assert set(free) == {rel for rel in full if not rel.startswith("contrast/")}
    for rel, rows in free.items():
        if rel.startswith("fewshot/"):
            assert rows == full[rel]
            continue
        assert "text" not in pq.read_schema(textfree_build / rel).names, rel
        assert rows == [{k: v for k, v in r.items() if k != "text"} for r in full[rel]], rel
    hashes = {r["article_id"]: r["sha256"] for r in free["articles/full.parquet"]}
    assert hashes == {a: corpus.article_hash(t) for a, t in seed_articles().items()}
    croissant_meta = json.loads((textfree_build / "croissant.json").read_text(encoding="utf-8"))
    for record_set in croissant_meta["recordSet"]:
        if not record_set["name"].startswith("fewshot"):
            assert "text" not in [f["name"] for f in record_set["field"]], record_set["name"]
    header, body = card_parts((textfree_build / "README.md").read_text(encoding="utf-8"))
    for info in header["dataset_info"]:
        if info["config_name"] != "fewshot":
            assert "text" not in [f["name"] for f in info["features"]]


def test_text_free_release_loads_with_datasets(textfree_build):
    ds = datasets.load_dataset(str(textfree_build), "stance")
    assert "text" not in ds["test"].column_names
    assert ds["test"].num_rows == pq.read_metadata(textfree_build / "stance" / "test.parquet").num_rows


@pytest.fixture
def seeds_copy(tmp_path):
    folder = tmp_path / "my_articles"
    folder.mkdir()
    for path in corpus.article_paths():
        shutil.copyfile(path, folder / path.name)
    return folder


def test_rehydrate_restores_the_full_rows(textfree_build, full_build, seeds_copy, tmp_path):
    out = tmp_path / "rehydrated"
    filled = rehydrate.rehydrate(textfree_build, seeds_copy, out)
    got = parquet_rows(out)
    want = {rel: rows for rel, rows in parquet_rows(full_build).items() if not rel.startswith("contrast/")}
    assert set(got) == set(want)
    for rel in want:
        assert got[rel] == want[rel], rel
    assert filled == sum(len(rows) for rel, rows in want.items() if not rel.startswith("fewshot/"))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("rehydrated")] == ["rehydrated"]


def test_rehydrated_release_loads_with_datasets(textfree_build, seeds_copy, tmp_path):
    out = tmp_path / "rehydrated"
    rehydrate.rehydrate(textfree_build, seeds_copy, out)
    ds = datasets.load_dataset(str(out), "stance")
    assert "text" in ds["test"].column_names


def test_rehydrate_refuses_an_article_with_one_changed_character(textfree_build, seeds_copy, tmp_path):
    victim = sorted(seeds_copy.glob("*.txt"))[1]
    data = bytearray(victim.read_bytes())
    i = next(k for k, b in enumerate(data) if chr(b).isalpha())
    data[i] = ord("q") if data[i] != ord("q") else ord("z")
    victim.write_bytes(bytes(data))
    out = tmp_path / "rehydrated"
    with pytest.raises(InputError) as info:
        rehydrate.rehydrate(textfree_build, seeds_copy, out)
    message = str(info.value)
    assert str(victim) in message and "SHA-256" in message
    others = [p for p in seeds_copy.glob("*.txt") if p != victim]
    assert not any(str(p) in message for p in others)
    assert not out.exists()


def test_rehydrate_refuses_a_missing_article(textfree_build, seeds_copy, tmp_path):
    gone = sorted(seeds_copy.glob("*.txt"))[-1]
    gone.unlink()
    out = tmp_path / "rehydrated"
    with pytest.raises(InputError) as info:
        rehydrate.rehydrate(textfree_build, seeds_copy, out)
    assert str(gone) in str(info.value)
    assert not out.exists()


def test_rehydrate_refuses_a_folder_that_is_not_a_release(seeds_copy, tmp_path):
    with pytest.raises(InputError, match="not a text-free release"):
        rehydrate.rehydrate(tmp_path / "nothing", seeds_copy, tmp_path / "out")


# -- publish ---------------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch):
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError(f"network call attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return calls


def test_publish_without_token_exits_2_with_one_line(monkeypatch, capsys, no_network):
    import huggingface_hub

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    checked = []
    monkeypatch.setattr("labeling.release.publish.build", lambda folder, **kw: checked.append(folder))

    assert labeling_main(["publish", "--repo-id", "a/b"]) == 2

    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "token" in lines[0]
    assert no_network == [] and checked == []


def test_publish_cli_without_token_exits_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")}
    env.update(HF_HOME=str(tmp_path / "hf_home"), HF_TOKEN_PATH=str(tmp_path / "no_token"))
    proc = subprocess.run(
        [sys.executable, "-m", "labeling", "publish", "--repo-id", "a/b"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "token" in lines[0]


@pytest.mark.parametrize(
    "repo_id",
    ["ab", "a/b/c", "a/", "a b/c"],
)
def test_publish_refuses_a_malformed_repo_id_even_with_a_token(repo_id, monkeypatch, capsys, no_network):
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "get_token", lambda: "hf_not_a_real_token")
    monkeypatch.setattr("labeling.release.publish.build", lambda folder, **kw: None)

    assert labeling_main(["publish", "--repo-id", repo_id]) == 2

    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and repo_id in lines[0]
    assert no_network == []


# -- the committed data is current ----------------------------------------------------------


@dataset
def test_cli_build_check_passes_on_the_committed_data():
    proc = subprocess.run(
        [sys.executable, "-m", "labeling", "build", "--check"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr


def test_publish_names_the_repository_in_card_croissant_and_citation(tmp_path, monkeypatch, no_network):
    """`publish --repo-id X` builds a release that says X everywhere, and `--text-free` uploads the
    release without article text (the upload itself is faked; the network is never touched)."""
    import huggingface_hub

    uploaded = {}

    class FakeApi:
        def __init__(self, token):
            pass

        def create_repo(self, repo_id, **kwargs):
            uploaded["repo"] = repo_id

        def upload_folder(self, folder_path, **kwargs):
            folder = Path(folder_path)
            uploaded["files"] = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
            return "https://huggingface.co/datasets/someone/their-copy/commit/0"

    monkeypatch.setattr(huggingface_hub, "get_token", lambda: "hf_not_a_real_token")
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    assert labeling_main(["publish", "--repo-id", "someone/their-copy", "--text-free"]) == 0
    files = uploaded["files"]
    card = files["README.md"].decode("utf-8")
    assert 'load_dataset("someone/their-copy"' in card and "techsanctions/techsanctions" not in card
    assert "huggingface.co/datasets/someone/their-copy" in files["croissant.json"].decode("utf-8")
    assert "someone/their-copy" in card.split("### Citation Information", 1)[1]
    assert "This is the text-free release" in card
    assert not any(p.startswith("contrast/") for p in files)
    assert "text" not in pq.read_schema(pa.BufferReader(files["sentences/train.parquet"])).names
