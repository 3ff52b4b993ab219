"""Annotation files: the committed ones validate, every kind of problem is reported as
file:line: message, the validate CLI, and inter-annotator agreement."""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import krippendorff
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from labeling.annotation import agreement, schema
from labeling.annotation import records as annotations
from labeling.core import docblocks
from labeling.core.paths import ROOT
from labeling.corpus import seeds as corpus
from labeling.__main__ import main
from labeling.annotation.records import LABEL_FIELDS, check_text, read_records
from labeling.core.errors import ValidationError
from labeling.corpus.seeds import load_segments

COMMITTED = annotations.ANNOTATIONS_DIR
SEGMENT_LIST = load_segments()
SEGMENTS = {s["id"]: s for s in SEGMENT_LIST}
PROBLEM_LINE = re.compile(r"^(?P<path>\S+\.jsonl):(?P<line>\d+): (?P<message>\S.*)$")


# -- helpers ----------------------------------------------------------------------------------


def copy_committed(directory: Path) -> Path:
    for path in COMMITTED.glob("*.jsonl"):
        shutil.copyfile(path, directory / path.name)
    return directory


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def change(lines: list[str], n: int, edit) -> None:
    """Apply `edit` (which mutates a dict) to the JSON record on 1-based line n."""
    record = json.loads(lines[n - 1])
    edit(record)
    lines[n - 1] = json.dumps(record, ensure_ascii=False)


def problems_of(directory: Path) -> list:
    with pytest.raises(ValidationError) as info:
        annotations.validate(directory=directory)
    return info.value.problems


def assert_problems(problems: list, path: Path, expected: list[tuple[int, str]]) -> None:
    """Exactly one problem per expected (line, message fragment) pair, all naming `path`."""
    shown = [str(p) for p in problems]
    assert all(p.path == path for p in problems), shown
    remaining = list(problems)
    for line, fragment in expected:
        match = [p for p in remaining if p.line == line and fragment in p.message]
        assert match, f"no problem at line {line} containing {fragment!r}; got {shown}"
        remaining.remove(match[0])
    assert not remaining, f"unexpected problems: {[str(p) for p in remaining]}"


def missing(sid: str) -> tuple[int, str]:
    return (0, f"missing segment {sid!r}: every segment needs one line")


def allowed(field: str) -> str:
    return f"(allowed: {', '.join(schema.labels(field))})"


# -- the committed files --------------------------------------------------------------------


def test_committed_annotations_validate():
    records = annotations.validate()
    assert list(records) == ["annotator_1", "annotator_2", "gold"]
    for name, by_id in records.items():
        assert sorted(by_id) == sorted(SEGMENTS), name
        for sid, record in by_id.items():
            assert record["id"] == sid
            assert (record["sha256"], record["text"]) == (SEGMENTS[sid]["sha256"], SEGMENTS[sid]["text"])
            assert set(record) == set(annotations.expected_fields(name))
            for field in LABEL_FIELDS:
                assert record[field] in schema.labels(field)


# -- each kind of problem, twice in one file, all reported ------------------------------------


def unknown_label(lines, ids):
    change(lines, 4, lambda r: r.update(stance="maybe"))
    change(lines, 60, lambda r: r.update(frame="Economic"))
    return [
        (4, f"unknown stance label 'maybe' {allowed('stance')}"),
        (60, f"unknown frame label 'Economic' {allowed('frame')}"),
    ]


def missing_field(lines, ids):
    change(lines, 4, lambda r: r.pop("topic"))
    change(lines, 60, lambda r: (r.pop("stance"), r.pop("sha256")))
    return [(4, "missing field(s): topic"), (60, "missing field(s): sha256, stance")]


def unexpected_field(lines, ids):
    change(lines, 4, lambda r: r.update(comment="unsure"))
    change(lines, 60, lambda r: r.update(rationale="", notes="x"))  # rationale belongs to gold only
    return [(4, "unexpected field(s): comment"), (60, "unexpected field(s): notes, rationale")]


def non_string_field(lines, ids):
    change(lines, 4, lambda r: r.update(stance=None))
    change(lines, 60, lambda r: r.update(sha256=123, topic=["other"]))
    change(lines, 70, lambda r: r.update(id=70))
    return [
        (4, "field(s) must be strings: stance"),
        (60, "field(s) must be strings: sha256, topic"),
        (70, "field(s) must be strings: id"),
        missing(ids[69]),
    ]


def duplicate_id(lines, ids):
    lines[59] = lines[3]
    lines[60] = lines[3]
    return [
        (60, f"duplicate id {ids[3]!r} (first on line 4)"),
        (61, f"duplicate id {ids[3]!r} (first on line 4)"),
        missing(ids[59]),
        missing(ids[60]),
    ]


def unknown_id(lines, ids):
    change(lines, 4, lambda r: r.update(id="999_notanarticle-000"))
    change(lines, 60, lambda r: r.update(id=ids[59] + "x"))
    return [
        (4, "unknown id '999_notanarticle-000': not in segments.jsonl"),
        (60, f"unknown id {ids[59] + 'x'!r}: not in segments.jsonl"),
        missing(ids[3]),
        missing(ids[59]),
    ]


def missing_segment(lines, ids):
    del lines[59]
    del lines[3]
    return [missing(ids[3]), missing(ids[59])]


def text_mismatch(lines, ids):
    change(lines, 24, lambda r: r.update(text=r["text"] + " "))  # text changed, hash kept
    change(lines, 60, lambda r: r.update(sha256="0" * 16))  # hash changed, text kept
    return [
        (24, f"text mismatch for {ids[23]!r}: the segment's text or hash changed"),
        (60, f"text mismatch for {ids[59]!r}: the segment's text or hash changed"),
    ]


def invalid_json(lines, ids):
    lines[3] = lines[3][:-1]  # closing brace lost
    lines[59] = lines[59].replace('"', "'")
    return [(4, "invalid JSON ("), (60, "invalid JSON ("), missing(ids[3]), missing(ids[59])]


def not_an_object(lines, ids):
    lines[3] = json.dumps(list(json.loads(lines[3]).values()), ensure_ascii=False)
    lines[59] = json.dumps(ids[59])
    return [
        (4, "expected a JSON object, got an array"),
        (60, "expected a JSON object, got a string"),
        missing(ids[3]),
        missing(ids[59]),
    ]


@pytest.mark.parametrize(
    "corrupt",
    [unknown_label, missing_field, unexpected_field, non_string_field, duplicate_id, unknown_id,
     missing_segment, text_mismatch, invalid_json, not_an_object],
)
def test_each_kind_of_problem_is_reported_on_its_line(tmp_path, corrupt):
    copy_committed(tmp_path)
    path = tmp_path / "annotator_1.jsonl"
    lines = read_lines(path)
    ids = [json.loads(line)["id"] for line in lines]
    expected = corrupt(lines, ids)
    write_lines(path, lines)
    problems = problems_of(tmp_path)
    assert_problems(problems, path, expected)
    # the same through the one-file reader, which is what validate() runs per file
    _, direct = read_records(path, "annotator_1", SEGMENTS)
    assert direct == problems


def test_invalid_json_message_gives_the_column(tmp_path):
    path = tmp_path / "annotator_1.jsonl"
    lines = read_lines(COMMITTED / "annotator_1.jsonl")
    lines[1] = '{"id": }'
    write_lines(path, lines)
    _, problems = read_records(path, "annotator_1", SEGMENTS)
    [problem] = [p for p in problems if p.line == 2]
    assert problem.message == "invalid JSON (Expecting value at column 8)"


QUOTE = "’".encode()  # three bytes in UTF-8


@pytest.mark.parametrize(
    "damage",
    [
        # a byte never valid in UTF-8, inserted at the start of the text value
        lambda line: (line.replace(b'"text": "', b'"text": "\xff', 1), line.index(b'"text": "') + 9),
        # a multi-byte sequence cut short
        lambda line: (line[: line.index(QUOTE)] + QUOTE[:2] + b"x" + line[line.index(QUOTE) + 3 :],
                      line.index(QUOTE)),
    ],
    ids=["stray byte", "truncated sequence"],
)
def test_invalid_utf8_is_reported_with_line_and_byte_offset(tmp_path, damage):
    raw = (COMMITTED / "annotator_1.jsonl").read_bytes().split(b"\n")
    n = [i for i, line in enumerate(raw) if QUOTE in line][1]  # the second line with a curly quote
    assert not all(line.isascii() for line in raw[:n]), "want non-ASCII before, so bytes != characters"
    raw[n], at = damage(raw[n])
    offset = sum(len(line) + 1 for line in raw[:n]) + at
    raw[n + 20] = raw[n + 20].replace(b'"text": "', b'"text": "\xfe', 1)
    path = tmp_path / "annotator_1.jsonl"
    path.write_bytes(b"\n".join(raw))
    records, problems = read_records(path, "annotator_1", SEGMENTS)
    # The first bad byte is reported with its offset; the rest of the file is still checked, so the
    # two damaged lines also fail as text mismatches and every other line validates.
    assert (problems[0].path, problems[0].line, problems[0].message) == (
        path, n + 1, f"not valid UTF-8 (byte offset {offset})"
    )
    assert str(problems[0]) == f"{path}:{n + 1}: not valid UTF-8 (byte offset {offset})"
    assert sorted(p.line for p in problems[1:]) == [n + 1, n + 21]
    assert all("text mismatch" in p.message for p in problems[1:])
    assert len(records) == len(SEGMENTS) - 2


def test_gold_disagreement_without_rationale(tmp_path):
    copy_committed(tmp_path)
    first = read_lines(tmp_path / "annotator_1.jsonl")
    second = read_lines(tmp_path / "annotator_2.jsonl")
    gold = read_lines(tmp_path / "gold.jsonl")
    pairs = [(json.loads(a), json.loads(b)) for a, b in zip(first, second)]
    assert [a["id"] for a, _ in pairs] == [json.loads(g)["id"] for g in gold]
    split = [i for i, (a, b) in enumerate(pairs) if any(a[f] != b[f] for f in LABEL_FIELDS)]
    agreed = [i for i, (a, b) in enumerate(pairs) if not any(a[f] != b[f] for f in LABEL_FIELDS)]
    assert len(split) >= 2 and all(json.loads(gold[i])["rationale"].strip() for i in split)
    # two existing disagreements lose their rationale (empty, whitespace only) ...
    change(gold, split[0] + 1, lambda r: r.update(rationale=""))
    change(gold, split[1] + 1, lambda r: r.update(rationale=" \t "))
    # ... and a new one appears where gold has no rationale
    k = next(i for i in agreed if json.loads(gold[i])["rationale"] == "")
    old = pairs[k][1]["stance"]
    new = next(label for label in schema.labels("stance") if label != old)
    change(second, k + 1, lambda r: r.update(stance=new))
    write_lines(tmp_path / "gold.jsonl", gold)
    write_lines(tmp_path / "annotator_2.jsonl", second)

    def detail(i: int) -> str:
        a, b = pairs[i]
        f = next(f for f in LABEL_FIELDS if a[f] != b[f])
        return f"{f}: annotator_1={a[f]} vs annotator_2={b[f]}"

    assert_problems(
        problems_of(tmp_path),
        tmp_path / "gold.jsonl",
        [
            (split[0] + 1, f"disagreement without rationale ({detail(split[0])}"),
            (split[1] + 1, f"disagreement without rationale ({detail(split[1])}"),
            (k + 1, f"disagreement without rationale (stance: annotator_1={old} vs annotator_2={new})"),
        ],
    )


def test_a_file_with_many_problems_reports_all_of_them_at_once(tmp_path):
    path = tmp_path / "annotator_2.jsonl"
    lines = read_lines(COMMITTED / "annotator_2.jsonl")
    ids = [json.loads(line)["id"] for line in lines]
    change(lines, 3, lambda r: r.update(topic="chips"))
    change(lines, 10, lambda r: r.pop("frame"))
    change(lines, 20, lambda r: r.update(confidence="high"))
    change(lines, 30, lambda r: r.update(segment_type=1))
    lines[39] = lines[0]
    change(lines, 50, lambda r: r.update(id="nope-000"))
    change(lines, 60, lambda r: r.update(text=r["text"][:-1]))
    lines[69] = lines[69][: len(lines[69]) // 2]
    lines[79] = "[1, 2]"
    lines[89] = "   "
    change(lines, 100, lambda r: (r.pop("stance"), r.update(extra="x", topic=7)))
    write_lines(path, lines)
    expected = [
        (3, f"unknown topic label 'chips' {allowed('topic')}"),
        (10, "missing field(s): frame"),
        (20, "unexpected field(s): confidence"),
        (30, "field(s) must be strings: segment_type"),
        (40, f"duplicate id {ids[0]!r} (first on line 1)"),
        (50, "unknown id 'nope-000'"),
        (60, f"text mismatch for {ids[59]!r}"),
        (70, "invalid JSON ("),
        (80, "expected a JSON object, got an array"),
        (90, "blank line"),
        (100, "missing field(s): stance"),
        (100, "unexpected field(s): extra"),
        (100, "field(s) must be strings: topic"),
        *(missing(ids[i]) for i in (39, 49, 69, 79, 89)),
    ]
    records, problems = read_records(path, "annotator_2", SEGMENTS)
    assert_problems(problems, path, expected)
    bad_lines = {line for line, _ in expected}
    assert sorted(r["_line"] for r in records.values()) == [n for n in range(1, 111) if n not in bad_lines]
    # check_text gives the same from the decoded content, under whatever name it is given
    _, same = check_text(path, path.read_text(encoding="utf-8"), "annotator_2", SEGMENTS)
    assert same == problems
    # and validate() of the whole folder reports exactly these (the other files are clean)
    copy_committed(tmp_path)
    write_lines(path, lines)
    assert problems_of(tmp_path) == problems


def test_folder_without_gold_or_second_annotator(tmp_path):
    shutil.copyfile(COMMITTED / "annotator_1.jsonl", tmp_path / "annotator_1.jsonl")
    assert [(p.path, p.line, p.message) for p in problems_of(tmp_path)] == [
        (tmp_path / "gold.jsonl", 0, "gold file is missing"),
        (tmp_path, 0, "at least two annotator files are needed"),
    ]


# -- the CLI ------------------------------------------------------------------------------------


def test_cli_validate_passes_on_committed_files():
    out = subprocess.run(
        [sys.executable, "-m", "labeling", "validate"],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    assert out.stdout.splitlines() == [
        f"labeling/annotations/{name}.jsonl: {len(SEGMENTS)} records OK"
        for name in ("annotator_1", "annotator_2", "gold")
    ]


def test_cli_validate_prints_every_problem_one_per_line(tmp_path, monkeypatch, capsys):
    copy_committed(tmp_path)
    for name, n, edit in [
        ("annotator_1", 4, lambda r: r.update(stance="maybe")),
        ("annotator_2", 9, lambda r: r.pop("topic")),
        ("gold", 7, lambda r: r.update(id="nope-001")),
    ]:
        lines = read_lines(tmp_path / f"{name}.jsonl")
        change(lines, n, edit)
        write_lines(tmp_path / f"{name}.jsonl", lines)
    expected = problems_of(tmp_path)
    assert len(expected) == 4  # three bad lines and gold's now missing segment
    # The command reads the fixed folder; point its validate() at the copy.
    monkeypatch.setattr(annotations, "validate", functools.partial(annotations.validate, directory=tmp_path))
    assert main(["validate"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    *lines, last = err.splitlines()
    assert lines == [str(p) for p in expected]
    assert last == "error: 4 annotation problem(s)"
    for line, problem in zip(lines, expected):
        m = PROBLEM_LINE.match(line)
        assert m, line
        assert (Path(m["path"]), int(m["line"]), m["message"]) == (problem.path, problem.line, problem.message)
        assert Path(m["path"]).parent == tmp_path


# -- agreement ----------------------------------------------------------------------------------


def test_agreement_matches_committed_report():
    committed = json.loads(agreement.AGREEMENT_FILE.read_text(encoding="utf-8"))
    assert agreement.compute() == committed


def test_readme_and_codebook_agreement_blocks_are_current():
    block = agreement.markdown(agreement.compute())
    assert len(agreement.DOCUMENTS) == 2
    for doc in agreement.DOCUMENTS:
        assert docblocks.is_current(doc, "agreement", block), f"{doc}: run python -m labeling agreement"


def reference(a: list[str], b: list[str]) -> dict:
    """The same statistics computed directly with the libraries, with our own coding."""
    values = sorted(set(a) | set(b))
    data = [[values.index(x) for x in a], [values.index(x) for x in b]]
    return {
        "n": len(a),
        "raw_agreement": sum(x == y for x, y in zip(a, b)) / len(a),
        "cohen_kappa": cohen_kappa_score(a, b),
        "krippendorff_alpha": krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"),
        "disagreements": sum(x != y for x, y in zip(a, b)),
    }


def assert_matches_reference(field: str, a: list[str], b: list[str]) -> None:
    got = agreement.field_agreement(field, a, b)
    want = reference(a, b)
    assert set(got) == set(want)
    assert (got["n"], got["disagreements"]) == (want["n"], want["disagreements"])
    for key in ("raw_agreement", "cohen_kappa", "krippendorff_alpha"):
        assert got[key] == pytest.approx(want[key], abs=5.1e-5), key  # rounded to 4 decimals


@pytest.mark.parametrize(
    "field, a, b",
    [
        ("stance", ["favor", "against", "none", "none", "favor", "none", "none", "against"],
                   ["favor", "none", "none", "none", "against", "none", "favor", "against"]),
        ("topic", ["smartphones", "other", "semiconductors", "other", "telecom_5g", "other"],
                  ["smartphones", "semiconductors", "semiconductors", "other", "other", "other"]),
        ("segment_type", ["body"] * 9 + ["headline"], ["body"] * 10),
        ("frame", ["economic", "political"], ["political", "economic"]),
    ],
)
def test_field_agreement_matches_sklearn_and_krippendorff(field, a, b):
    assert_matches_reference(field, a, b)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(schema.labels("stance")), st.sampled_from(schema.labels("stance"))),
                min_size=1, max_size=40))
def test_field_agreement_matches_libraries_on_generated_labels(pairs):
    a, b = [x for x, _ in pairs], [y for _, y in pairs]
    if len(set(a) | set(b)) > 1:
        assert_matches_reference("stance", a, b)
    else:
        got = agreement.field_agreement("stance", a, b)
        assert (got["raw_agreement"], got["cohen_kappa"], got["krippendorff_alpha"]) == (1.0, None, None)


def test_perfect_agreement_is_one():
    a = ["economic", "political", "other", "economic", "morality"]
    got = agreement.field_agreement("frame", a, list(a))
    assert got == {"n": 5, "raw_agreement": 1.0, "cohen_kappa": 1.0, "krippendorff_alpha": 1.0, "disagreements": 0}


def test_single_label_everywhere_has_no_chance_corrected_score():
    got = agreement.field_agreement("stance", ["none"] * 7, ["none"] * 7)
    assert got == {"n": 7, "raw_agreement": 1.0, "cohen_kappa": None, "krippendorff_alpha": None, "disagreements": 0}


def test_field_agreement_rejects_labels_outside_the_schema():
    with pytest.raises(ValueError):
        agreement.field_agreement("stance", ["favor", "maybe"], ["favor", "none"])
