"""The contrast set: edit ratio, candidate checks, blind verification, derived items, validation,
and the contrast scores."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from baselines import metrics
from labeling.annotation import contrast, schema
from labeling.core.paths import ANNOTATIONS_DIR
from labeling.corpus.seeds import load_segments

SEGMENTS = {s["id"]: s for s in load_segments()}
GOLD = {r["id"]: r for r in map(json.loads, (ANNOTATIONS_DIR / "gold.jsonl").read_text(encoding="utf-8").splitlines())}


def a_source(**want) -> dict:
    """A benchmark sentence whose gold has the given labels."""
    return next(g for g in GOLD.values() if g["segment_type"] in schema.BENCHMARK_SEGMENT_TYPES
                and all(g[k] == v for k, v in want.items()) and len(SEGMENTS[g["id"]]["text"].split()) >= 12)


def candidate(source: dict, edit_type: str, target, text: str, **labels) -> dict:
    values = {f: source[f] for f in schema.ANNOTATION_FIELDS}
    values.update(labels)
    return {"source_id": source["id"], "edit_type": edit_type, "target": target, "text": text, **values}


def reword(text: str) -> str:
    """A small change of the original: its last word replaced."""
    words = text.split(" ")
    return " ".join(words[:-1] + ["meanwhile."])


def problems_of(*cands) -> list[str]:
    rows = [contrast.Candidate(contrast.CANDIDATES_DIR / "x.jsonl", n, c) for n, c in enumerate(cands, start=1)]
    return [p.message for p in contrast.check_candidates(rows, GOLD)]


def test_token_edit_distance_and_ratio():
    assert contrast.token_edit_distance(["a", "b", "c"], ["a", "x", "c", "d"]) == 2
    assert contrast.edit_ratio("The ban is unfair.", "The ban is fair.") == 0.2
    assert contrast.edit_ratio("Same.", "Same.") == 0.0


def test_a_valid_invariance_edit_passes():
    source = a_source()
    assert problems_of(candidate(source, "invariance", None, reword(SEGMENTS[source["id"]]["text"]))) == []


def test_checks_catch_each_kind_of_bad_edit():
    source = a_source()
    text = SEGMENTS[source["id"]]["text"]
    other = next(s for s in SEGMENTS.values() if s["id"] != source["id"] and len(s["text"].split()) > 12)
    msgs = problems_of(
        candidate(source, "invariance", None, "Entirely new words that replace the whole sentence here."),
        candidate(source, "invariance", None, text),
        candidate(source, "invariance", None, other["text"]),
        candidate(source, "flip_everything", None, reword(text)),
        candidate(source, "invariance", "huawei", reword(text)),
        candidate(source, "invariance", None, reword(text), topic="other" if source["topic"] != "other" else "smartphones"),
        candidate({**source, "id": "nope-000"}, "invariance", None, reword(text)),
    )
    joined = "\n".join(msgs)
    for needle in ("exceeds 0.3", "equals the original", "equals a corpus sentence", "unknown edit_type",
                   "target", "invariance must keep every label", "unknown source_id"):
        assert needle in joined, needle


def test_stance_edit_must_make_the_promised_change():
    source = a_source(stance_us_restrictions="none", topic="export_controls")
    text = reword(SEGMENTS[source["id"]]["text"])
    assert any("must make stance_us_restrictions favor" in m for m in
               problems_of(candidate(source, "stance_favor", "us_restrictions", text)))
    assert any("does not apply" in m for m in
               problems_of(candidate(source, "stance_reverse", "us_restrictions", text, stance_us_restrictions="favor")))


def test_derive_keeps_only_what_blind_verification_confirms():
    source = a_source(stance_us_restrictions="none", topic="export_controls")
    text = SEGMENTS[source["id"]]["text"]
    kept_edit = candidate(source, "stance_favor", "us_restrictions", reword(text), stance_us_restrictions="favor")
    lost_edit = candidate(source, "invariance", None, text.replace(" ", "  ", 1).rstrip(".") + ", officials said.")
    blind = {}
    for c, stance in ((kept_edit, "favor"), (lost_edit, "against")):
        vid = contrast.verification_id(contrast.candidate_id(c))
        blind[vid] = {**{f: c[f] for f in schema.ANNOTATION_FIELDS}, "vid": vid, "stance_us_restrictions": stance}
    kept, rejected = contrast.derive([kept_edit, lost_edit], blind, GOLD)
    assert [k["text"] for k in kept] == [kept_edit["text"]] and kept[0]["synthetic"] is True
    assert rejected[0]["disagreed"] == ["stance_us_restrictions"]
    assert kept[0]["edit_ratio"] == contrast.edit_ratio(text, kept_edit["text"])
    summary = contrast.summary(kept, rejected)
    assert summary["by_edit_type"]["invariance"]["rejection_rate"] == 1.0 and summary["favor_us_restrictions"] == 1


def test_verification_sees_neither_source_nor_type_nor_labels():
    source = a_source()
    c = candidate(source, "invariance", None, reword(SEGMENTS[source["id"]]["text"]))
    [item] = contrast.verification_items([c])
    assert set(item) == {"vid", "text"} and source["id"] not in item["vid"] and "invariance" not in item["vid"]


def test_validate_items_recomputes_the_ratio(tmp_path):
    source = a_source()
    item = {"id": "x", "source_id": source["id"], "article_id": source["id"].rsplit("-", 1)[0], "edit_type": "invariance",
            "target": "", "original_text": SEGMENTS[source["id"]]["text"], "text": reword(SEGMENTS[source["id"]]["text"]),
            **{f: source[f] for f in schema.ANNOTATION_FIELDS}, "edit_ratio": 0.0, "synthetic": True}
    path = tmp_path / "items.jsonl"
    path.write_text(json.dumps(item) + "\n" + json.dumps({**item, "synthetic": False}) + "\n", encoding="utf-8")
    msgs = [p.message for p in contrast.validate_items(path)]
    assert any("differs from the recomputed" in m for m in msgs)
    assert any("duplicate text" in m for m in msgs) and any("synthetic must be true" in m for m in msgs)


def test_contrast_consistency_counts_groups_right_throughout():
    items = pd.DataFrame([
        {"id": "e1", "source": "s1", "edit_type": "stance_reverse", "label": "favor"},
        {"id": "e2", "source": "s1", "edit_type": "stance_none", "label": "none"},
        {"id": "e3", "source": "s2", "edit_type": "stance_none", "label": "none"},
    ])
    got = metrics.contrast_scores(items, {"e1": "favor", "e2": "none", "e3": "against"},
                                  {"s1": "against", "s2": "against"}, {"s1": "against", "s2": "against"})
    assert got["consistency"] == 0.5 and got["accuracy"] == pytest.approx(2 / 3) and got["original_accuracy"] == 1.0
    assert got["accuracy_by_edit_type"]["stance_none"] == {"n": 2, "accuracy": 0.5}


@pytest.mark.skipif(not contrast.ITEMS_FILE.exists(), reason="no contrast items derived yet")
def test_committed_contrast_items_validate_and_meet_the_size_targets():
    assert contrast.validate_items() == []
    items = [json.loads(x) for x in contrast.ITEMS_FILE.read_text(encoding="utf-8").splitlines()]
    assert len(items) >= 300
    assert sum(i["stance_us_restrictions"] == "favor" for i in items) >= 60
    assert all(i["synthetic"] is True and i["edit_ratio"] <= contrast.MAX_EDIT_RATIO for i in items)


def test_cli_validate_checks_the_contrast_items(tmp_path, monkeypatch, capsys):
    from labeling.__main__ import main

    source = a_source()
    bad = {"id": "x", "source_id": source["id"], "article_id": "a", "edit_type": "invariance", "target": "",
           "original_text": SEGMENTS[source["id"]]["text"], "text": SEGMENTS[source["id"]]["text"],
           **{f: source[f] for f in schema.ANNOTATION_FIELDS}, "edit_ratio": 0.0, "synthetic": True}
    path = tmp_path / "items.jsonl"
    path.write_text(json.dumps(bad) + "\n", encoding="utf-8")
    monkeypatch.setattr(contrast, "ITEMS_FILE", path)
    assert main(["validate"]) == 1
    err = capsys.readouterr().err
    assert f"{path}:1: text equals a corpus sentence" in err
