"""Annotation v2: pass files and their validation, the gold rule, agreement, manifests, and the
leak checks of the codebook."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from labeling.__main__ import main
from labeling.annotation import agreement, gold, leaks, passes, records, schema
from labeling.core.errors import ValidationError
from labeling.core.paths import ANNOTATIONS_DIR, CODEBOOK_DIR
from labeling.corpus.seeds import load_segments

SEGMENTS = load_segments()
IDS = [s["id"] for s in SEGMENTS]


def record(sid: str, **changes) -> dict:
    base = {"id": sid, "segment_type": "body", "topic": "semiconductors", "frame": "economic",
            "frames": ["economic"], "stance_us_restrictions": "none", "stance_huawei": "none",
            "stance_china_self_reliance": "none", "speech": "author", "source_type": "author", "source_name": ""}
    return {**base, **changes}


def write_pass(folder: Path, name: str, recs: list[dict]) -> Path:
    path = folder / f"{name}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    return path


@pytest.fixture
def three(tmp_path) -> Path:
    """Three passes that agree everywhere."""
    for n in (1, 2, 3):
        write_pass(tmp_path, f"annotator_{n}", [record(sid) for sid in IDS])
    return tmp_path


# -- the committed passes ----------------------------------------------------------------------


def test_committed_passes_validate_and_gold_is_current():
    passes_ = records.load_passes()
    assert len(passes_) >= 3 and all(len(p) == len(IDS) for p in passes_.values())
    derived = gold.check_current()
    assert [g["id"] for g in derived] == IDS


def test_committed_passes_have_manifests_matching_what_they_saw():
    """Each pass's manifest names the packet it was given; the packet holds the committed
    instructions, codebook and articles, and the pass file is the one handed in."""
    for name in records.pass_files():
        manifest = json.loads(passes.manifest_path(name).read_text(encoding="utf-8"))
        packet = passes.packet_path(name).read_text(encoding="utf-8")
        assert passes.sha256(packet) == manifest["packet_sha256"]
        assert (CODEBOOK_DIR / "instructions.md").read_text(encoding="utf-8") in packet
        assert passes.sha256((CODEBOOK_DIR / "instructions.md").read_bytes()) == manifest["instructions_sha256"]
        assert passes.sha256((CODEBOOK_DIR / "codebook.md").read_bytes()) == manifest["codebook_sha256"]
        assert passes.articles_text() in packet
        assert manifest["started_utc"] < manifest["finished_utc"]
        assert passes.sha256((ANNOTATIONS_DIR / f"{name}.jsonl").read_bytes()) == manifest["output_sha256"]
        for other in records.pass_files():  # no pass was shown another pass
            if other != name:
                assert (ANNOTATIONS_DIR / f"{other}.jsonl").read_text(encoding="utf-8")[:200] not in packet


def test_packet_shows_no_labels():
    packet = passes.packet("annotator_x", Path("/out.jsonl"))
    for gold_line in (ANNOTATIONS_DIR / records.GOLD_FILE).read_text(encoding="utf-8").splitlines()[:20]:
        assert gold_line not in packet


# -- validation of pass files ------------------------------------------------------------------

BAD_RECORDS = [
    ("unknown label", {"topic": "chips"}, "unknown topic label 'chips'"),
    ("frames without the primary", {"frames": ["political"]}, "misses the primary frame 'economic'"),
    ("frames not a list", {"frames": "economic"}, "frames must be a list"),
    ("frames with an unknown label", {"frames": ["economic", "vibes"]}, "unknown frames label"),
    ("frames twice", {"frames": ["economic", "economic"]}, "frames lists a label twice"),
    ("quoted source without a name", {"speech": "direct_quote", "source_type": "huawei", "source_name": ""},
     "source_name is empty"),
    ("author speech with a source", {"speech": "author", "source_type": "huawei", "source_name": ""},
     "speech author needs source_type author"),
    ("reported speech by the author", {"speech": "reported", "source_type": "author", "source_name": "unnamed"},
     "needs a source_type other than author"),
    ("author speech with a name", {"source_name": "Jane Doe"}, "empty source_name"),
    ("stance not a string", {"stance_huawei": 1}, "stance_huawei must be a string"),
    ("padded name", {"speech": "reported", "source_type": "media", "source_name": " Reuters"}, "leading or trailing"),
]


@pytest.mark.parametrize("change,message", [(c, m) for _, c, m in BAD_RECORDS], ids=[n for n, _, _ in BAD_RECORDS])
def test_each_bad_record_is_reported_on_its_line(three, change, message):
    recs = [record(sid) for sid in IDS]
    recs[6] = record(IDS[6], **change)
    path = write_pass(three, "annotator_2", recs)
    with pytest.raises(ValidationError) as info:
        records.load_passes(three)
    [problem] = info.value.problems
    assert problem.path == path and problem.line == 7 and message in problem.message


@pytest.mark.parametrize("text,message", [
    ("{nope\n", "invalid JSON"),
    ("[" * 50_000 + "]" * 50_000 + "\n", "nested too deeply"),
    ("[]\n", "expected a JSON object"),
    ('{"id": "x"}\n', "missing field(s)"),
])
def test_malformed_lines(three, text, message):
    path = three / "annotator_1.jsonl"
    path.write_text(text + path.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        records.load_passes(three)
    assert any(p.line == 1 and message in p.message for p in info.value.problems)


def test_duplicate_and_unknown_ids(three):
    recs = [record(sid) for sid in IDS[1:]] + [record(IDS[2]), record("nope-000")]
    write_pass(three, "annotator_3", recs)
    with pytest.raises(ValidationError) as info:
        records.load_passes(three)
    messages = [p.message for p in info.value.problems]
    assert not any("missing segment" in m for m in messages)
    assert any("duplicate id" in m for m in messages)
    assert any("unknown id 'nope-000'" in m for m in messages)


def test_invalid_utf8_names_line_and_offset(three):
    path = three / "annotator_1.jsonl"
    path.write_bytes(path.read_bytes().replace(b"semiconductors", b"semiconduct\xffrs", 1))
    with pytest.raises(ValidationError) as info:
        records.load_passes(three)
    assert any(p.line == 1 and "not valid UTF-8" in p.message for p in info.value.problems)


def test_cli_check_pass_lists_problems_one_per_line(three, capsys):
    recs = [record(sid) for sid in IDS]
    recs[0]["topic"] = "chips"
    recs[1]["frames"] = []
    path = write_pass(three, "annotator_1", recs)
    assert main(["check-pass", str(path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].endswith(":1: unknown topic label 'chips' (allowed: " + ", ".join(schema.TOPIC) + ")")
    assert ":2: frames [] misses the primary frame" in err[1]
    assert err[-1] == "error: 2 annotation problem(s)"


# -- the gold rule ------------------------------------------------------------------------------


def derive(folder: Path, adjudications: list[dict] | None = None) -> dict[str, dict]:
    if adjudications is not None:
        (folder / records.ADJUDICATION_FILE).write_text("".join(json.dumps(a) + "\n" for a in adjudications),
                                                       encoding="utf-8")
    return {g["id"]: g for g in gold.compute(folder)}


def test_majority_of_two_wins_and_is_logged(three):
    write_pass(three, "annotator_3", [record(IDS[0], topic="smartphones"), *[record(s) for s in IDS[1:]]])
    g = derive(three)
    assert g[IDS[0]]["topic"] == "semiconductors" and g[IDS[0]]["rules"]["topic"] == "majority 2/3"
    assert g[IDS[1]]["rules"]["topic"] == "majority 3/3"


def test_all_different_needs_an_adjudication_with_rationale(three):
    write_pass(three, "annotator_2", [record(IDS[0], topic="smartphones"), *[record(s) for s in IDS[1:]]])
    write_pass(three, "annotator_3", [record(IDS[0], topic="telecom_5g"), *[record(s) for s in IDS[1:]]])
    assert IDS[0] not in derive(three) and IDS[1] in derive(three)
    with pytest.raises(ValidationError, match="rationale"):
        derive(three, [{"id": IDS[0], "field": "topic", "label": "smartphones", "rationale": ""}])
    g = derive(three, [{"id": IDS[0], "field": "topic", "label": "smartphones",
                        "rationale": "Rule 3.2: the main claim is about a handset launch."}])
    assert g[IDS[0]]["topic"] == "smartphones" and g[IDS[0]]["rules"]["topic"] == "adjudicated"


def test_a_decision_no_case_needs_is_refused(three):
    with pytest.raises(ValidationError, match="no open case"):
        derive(three, [{"id": IDS[0], "field": "topic", "label": "other", "rationale": "A ruling nobody asked for."}])


def test_frames_by_majority_plus_the_primary(three):
    write_pass(three, "annotator_1", [record(IDS[0], frame="political", frames=["economic", "political"]),
                                      *[record(s) for s in IDS[1:]]])
    write_pass(three, "annotator_2", [record(IDS[0], frames=["economic", "political"]), *[record(s) for s in IDS[1:]]])
    write_pass(three, "annotator_3", [record(IDS[0], frames=["economic", "morality"]), *[record(s) for s in IDS[1:]]])
    g = derive(three)[IDS[0]]
    assert g["frame"] == "economic" and g["frames"] == ["economic", "political"]
    assert g["rules"]["frames"] == "majority"


def test_whose_view_rules_broken_by_majorities_go_to_the_adjudicator(three):
    write_pass(three, "annotator_1", [record(IDS[0], speech="reported", source_type="media", source_name="unnamed"),
                                      *[record(s) for s in IDS[1:]]])
    write_pass(three, "annotator_2", [record(IDS[0], speech="reported", source_type="huawei", source_name="Huawei"),
                                      *[record(s) for s in IDS[1:]]])
    # majorities: speech reported (2/3), source_type none (all differ), source_name none (all differ)
    cases = {(c.id, c.field) for c in gold.open_cases(records.load_passes(three), SEGMENTS)}
    assert (IDS[0], "source_type") in cases and (IDS[0], "source_name") in cases


def test_segments_with_fewer_than_two_passes_are_pending(three):
    write_pass(three, "annotator_2", [record(s) for s in IDS[:5]])
    write_pass(three, "annotator_3", [record(s) for s in IDS[:3]])
    write_pass(three, "annotator_1", [record(s) for s in IDS[:4]])
    g = derive(three)
    assert sorted(g) == sorted(IDS[:4])
    assert g[IDS[3]]["rules"]["topic"] == "majority 2/2" and g[IDS[0]]["rules"]["topic"] == "majority 3/3"


def test_two_passes_that_differ_need_a_decision(three):
    (three / "annotator_3.jsonl").unlink()
    write_pass(three, "annotator_2", [record(IDS[0], topic="smartphones"), *[record(s) for s in IDS[1:]]])
    cases = gold.open_cases(records.load_passes(three), SEGMENTS)
    assert [(c.id, c.field) for c in cases] == [(IDS[0], "topic")]


def test_from_prediction_is_kept_and_checked(three):
    write_pass(three, "annotator_1", [record(IDS[0], from_prediction=["topic", "frame"]),
                                      *[record(s) for s in IDS[1:]]])
    assert records.load_passes(three)["annotator_1"][IDS[0]]["from_prediction"] == ["topic", "frame"]
    write_pass(three, "annotator_1", [record(IDS[0], from_prediction=["colour"]), *[record(s) for s in IDS[1:]]])
    with pytest.raises(ValidationError, match="unknown field"):
        records.load_passes(three)


def test_a_filled_template_is_accepted_as_is(three, tmp_path, monkeypatch):
    write_pass(three, "annotator_2", [record(IDS[0], topic="smartphones"), *[record(s) for s in IDS[1:]]])
    write_pass(three, "annotator_3", [record(IDS[0], topic="telecom_5g"), *[record(s) for s in IDS[1:]]])
    monkeypatch.setattr(records, "ANNOTATIONS_DIR", three)
    monkeypatch.setattr(gold, "ANNOTATIONS_DIR", three)
    out = tmp_path / "template.jsonl"
    assert main(["adjudicate", "--template", str(out)]) == 0
    unfilled = out.read_text(encoding="utf-8")
    (three / records.ADJUDICATION_FILE).write_text(unfilled, encoding="utf-8")
    with pytest.raises(ValidationError, match="fill in label"):
        derive(three)
    line = json.loads(unfilled)
    line.update(label="smartphones", rationale="Rule 3.2: the main claim is about a handset launch.")
    g = derive(three, [line])
    assert g[IDS[0]]["topic"] == "smartphones" and g[IDS[0]]["rules"]["topic"] == "adjudicated"


def test_cli_adjudicate_writes_a_template(three, tmp_path, monkeypatch, capsys):
    write_pass(three, "annotator_2", [record(IDS[0], topic="smartphones"), *[record(s) for s in IDS[1:]]])
    write_pass(three, "annotator_3", [record(IDS[0], topic="telecom_5g"), *[record(s) for s in IDS[1:]]])
    monkeypatch.setattr(records, "ANNOTATIONS_DIR", three)
    monkeypatch.setattr(gold, "ANNOTATIONS_DIR", three)
    out = tmp_path / "template.jsonl"
    assert main(["adjudicate", "--template", str(out)]) == 0
    assert "1 case(s) need a decision" in capsys.readouterr().out
    [line] = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert line["id"] == IDS[0] and line["field"] == "topic" and line["_passes"]["annotator_3"] == "telecom_5g"


# -- agreement ----------------------------------------------------------------------------------


def test_agreement_is_reported_per_group_of_passes(three):
    write_pass(three, "annotator_4", [record(s) for s in IDS[:6]])
    write_pass(three, "annotator_5", [record(s, topic="smartphones") for s in IDS[:6]])
    (three / "annotator_3.jsonl").write_text("", encoding="utf-8")
    report = agreement.compute(records.load_passes(three))
    assert report["annotators"] == ["annotator_1", "annotator_2"] and report["segments"] == len(IDS) - 6
    [other] = report["other_groups"]
    assert other["annotators"] == ["annotator_1", "annotator_2", "annotator_4", "annotator_5"]
    assert other["segments"] == 6 and other["fields"]["topic"]["all_agree"] == 0.0
    assert "annotator_5" in agreement.markdown(report)


def test_agreement_matches_committed_report_and_readme():
    report = agreement.compute()
    committed = json.loads(agreement.AGREEMENT_FILE.read_text(encoding="utf-8"))
    assert json.loads(json.dumps(report)) == committed
    readme = agreement.DOCUMENTS[0].read_text(encoding="utf-8")
    assert agreement.markdown(report) in readme


def _fleiss(rows: list[tuple[str, ...]], labels: list[str]) -> float:
    """Fleiss' kappa from its textbook formula."""
    n = len(rows[0])
    counts = np.array([[row.count(label) for label in labels] for row in rows], dtype=float)
    p_j = counts.sum(axis=0) / counts.sum()
    p_i = ((counts ** 2).sum(axis=1) - n) / (n * (n - 1))
    pe = (p_j ** 2).sum()
    return (p_i.mean() - pe) / (1 - pe)


@pytest.mark.parametrize("seed", range(5))
def test_nominal_agreement_matches_textbook_and_libraries(seed):
    rng = random.Random(seed)
    labels = list(schema.TOPIC)
    truth = [rng.choice(labels) for _ in range(60)]
    passes_ = {f"a{k}": [t if rng.random() < 0.7 else rng.choice(labels) for t in truth] for k in range(3)}
    got = agreement.nominal("topic", passes_)
    rows = list(zip(*passes_.values()))
    assert got["fleiss_kappa"] == pytest.approx(_fleiss(rows, labels), abs=1e-4)
    codes = np.array([[labels.index(x) for x in v] for v in passes_.values()], dtype=float)
    assert got["krippendorff_alpha"] == pytest.approx(krippendorff.alpha(reliability_data=codes, level_of_measurement="nominal"), abs=1e-4)
    assert got["pairwise"]["a0~a1"]["cohen_kappa"] == pytest.approx(cohen_kappa_score(passes_["a0"], passes_["a1"]), abs=1e-4)


def test_identical_sets_give_masi_alpha_one_and_disjoint_sets_less():
    same = {"a": [["economic"], ["political", "morality"]] * 5, "b": [["economic"], ["political", "morality"]] * 5}
    assert agreement.label_sets(same)["krippendorff_alpha_masi"] == 1.0
    partial = {"a": [["economic"], ["political", "morality"]] * 5, "b": [["economic"], ["political"]] * 5}
    assert agreement.label_sets(partial)["krippendorff_alpha_masi"] < 1.0


def test_one_label_everywhere_has_no_chance_corrected_score():
    got = agreement.nominal("topic", {"a": ["other"] * 5, "b": ["other"] * 5})
    assert got["fleiss_kappa"] is None and got["krippendorff_alpha"] is None and got["all_agree"] == 1.0


# -- the codebook leaks nothing -----------------------------------------------------------------

CODEBOOK = CODEBOOK_DIR / "codebook.md"
EXAMPLES = CODEBOOK_DIR / "examples.jsonl"


def codebook_lines() -> list[tuple[str, str]]:
    return [(f"codebook.md:{n}", line) for n, line in enumerate(CODEBOOK.read_text(encoding="utf-8").splitlines(), start=1)]


def example_texts() -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines()]
    quoted = [(where, line[2:].strip()) for where, line in codebook_lines() if line.startswith("> ")]
    return [(f"examples.jsonl:{r['id']}", r["text"]) for r in rows] + quoted


def test_no_codebook_line_shares_eight_words_with_a_segment():
    assert leaks.shared_runs(codebook_lines(), SEGMENTS) == []
    assert leaks.shared_runs(example_texts(), SEGMENTS) == []


def test_no_example_is_a_close_paraphrase_of_a_segment():
    assert leaks.close_paraphrases(example_texts(), SEGMENTS) == []


def test_the_leak_checks_catch_quotes_and_paraphrases():
    """The checks are not vacuous: a quoted segment and a light paraphrase of one are caught."""
    long_segment = max(SEGMENTS, key=lambda s: len(s["text"]))
    quoted = [("fake:1", f"For example, {long_segment['text'].lower()} is labelled against.")]
    assert [leak.segment_id for leak in leaks.shared_runs(quoted, SEGMENTS)] == [long_segment["id"]]
    words = long_segment["text"].split()
    paraphrase = " ".join(w if i % 4 else w.upper() + "ly" for i, w in enumerate(words))
    assert leaks.close_paraphrases([("fake:2", paraphrase)], SEGMENTS)


def test_examples_follow_the_schema():
    rows = [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines()]
    assert len({r["id"] for r in rows}) == len(rows) == len({r["text"] for r in rows}) >= 240
    for r in rows:
        assert records.check_values(r) == [], r["id"]
    quoted = {t for _, t in example_texts() if not _.startswith("examples.jsonl")}
    assert quoted <= {r["text"] for r in rows}
    for field in ("topic", "frame", *schema.STANCE_FIELDS, "speech", "source_type"):
        counts = {label: sum(r[field] == label for r in rows) for label in schema.labels(field)}
        assert min(counts.values()) >= 16, (field, counts)


def test_codebook_names_no_corpus_article_or_ruling():
    text = CODEBOOK.read_text(encoding="utf-8")
    assert not re.search(r"\b00[0-3]_[0-9a-f]{16}\b", text)
    assert not re.search(r"\[00[0-3]\]", text)
