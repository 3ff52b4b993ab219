"""Label Studio round trip: the labeling config, the tasks (with pre-annotations), the import of
JSON and JSON-MIN exports merged into annotator files, and the two CLI verbs."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from labeling.annotation import labelstudio, preannotation, schema
from labeling.annotation import labelstudio_import as lsi
from labeling.annotation import records as annotations
from labeling.corpus import seeds as corpus
from labeling.__main__ import main
from labeling.core.errors import InputError, ValidationError

LABEL_FIELDS = schema.ANNOTATION_FIELDS

ANNOTATOR_1 = annotations.ANNOTATIONS_DIR / "annotator_1.jsonl"
SEGMENTS = corpus.load_segments()


@pytest.fixture(autouse=True)
def annotations_dir(tmp_path, monkeypatch) -> Path:
    """Every test here writes annotator files into a temporary folder, never the committed one."""
    folder = tmp_path / "annotations"
    folder.mkdir()
    monkeypatch.setattr(annotations, "ANNOTATIONS_DIR", folder)
    return folder


def load_labels(path: Path = ANNOTATOR_1) -> dict[str, dict]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {r["id"]: r for r in map(json.loads, lines)}


def result(labels: dict) -> list[dict]:
    """The regions of one annotation, as Label Studio exports them for Choices and TextArea tags."""
    regions = []
    for i, field in enumerate(LABEL_FIELDS):
        if field in schema.TEXT_FIELDS:
            if not labels[field]:
                continue  # Label Studio exports no region for an empty text area
            kind, value = "textarea", {"text": [labels[field]]}
        else:
            value = labels[field] if isinstance(labels[field], list) else [labels[field]]
            kind, value = "choices", {"choices": value}
        regions.append({"id": f"r{i}{field[:3]}", "from_name": field, "to_name": "text", "type": kind,
                        "origin": "manual", "value": value})
    return regions


def annotation(ann_id: int, user, labels: dict[str, str], *, cancelled: bool = False) -> dict:
    return {
        "id": ann_id,
        "completed_by": user,
        "result": result(labels),
        "was_cancelled": cancelled,
        "ground_truth": False,
        "created_at": "2024-05-01T10:00:00.000000Z",
        "updated_at": "2024-05-01T10:00:04.000000Z",
        "lead_time": 4.2,
        "result_count": 0,
        "task": ann_id,
    }


def ls_export(labels_by_id: dict[str, dict], task_list: list[dict] | None = None, user=1) -> list[dict]:
    """A Label Studio JSON export of the exported tasks, one annotation by `user` per task."""
    task_list = labelstudio.tasks() if task_list is None else task_list
    return [
        {
            "id": n,
            "data": copy.deepcopy(task["data"]),
            "annotations": [annotation(n, user, labels_by_id[task["data"]["segment_id"]])],
            "predictions": [],
            "drafts": [],
            "meta": {},
            "created_at": "2024-05-01T09:00:00.000000Z",
            "updated_at": "2024-05-01T10:00:04.000000Z",
            "inner_id": n,
            "total_annotations": 1,
            "cancelled_annotations": 0,
            "project": 3,
        }
        for n, task in enumerate(task_list, start=1)
    ]


def write_export(tmp_path: Path, export) -> Path:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def import_error(path: Path, annotator=None) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        lsi.import_export(path, annotator)
    return info.value


LABELS = load_labels()
FIRST_THREE = labelstudio.tasks()[:3]


def labels_of(sid: str, **changes) -> dict[str, str]:
    return {**{f: LABELS[sid][f] for f in LABEL_FIELDS}, **changes}


def other_label(field: str, label: str) -> str:
    return next(x for x in schema.labels(field) if x != label)


SINGLE_FIELDS = list(schema.FIELDS)


# -- labeling config and tasks ----------------------------------------------------------------


def test_labeling_config_has_one_choice_set_per_field_in_schema_order():
    root = ET.fromstring(labelstudio.labeling_config())
    assert root.tag == "View"
    texts = {t.get("name"): t.get("value") for t in root.iter("Text")}
    assert texts == {"text": "$text", "context": "$context"}
    choices = root.findall("Choices")
    assert [c.get("name") for c in choices] == [f for f in LABEL_FIELDS if f not in schema.TEXT_FIELDS]
    for c in choices:
        field = c.get("name")
        assert c.get("toName") == "text"
        assert c.get("choice") == ("multiple" if field in schema.MULTI_FIELDS else "single")
        assert [x.get("value") for x in c.findall("Choice")] == list(schema.labels(field))
        definitions = schema.FIELDS.get(field) or schema.MULTI_FIELDS[field]
        assert [x.get("hint") for x in c.findall("Choice")] == list(definitions.values())
        assert list(c) == c.findall("Choice")
    assert [a.get("name") for a in root.findall("TextArea")] == list(schema.TEXT_FIELDS)


def test_tasks_are_one_per_segment_with_their_paragraph():
    tasks = labelstudio.tasks()
    assert len(tasks) == len(SEGMENTS)
    for task, segment in zip(tasks, SEGMENTS):
        data = task["data"]
        assert data["segment_id"] == segment["id"]
        assert data["text"] == segment["text"]
        assert data["sha256"] == segment["sha256"] == corpus.text_hash(data["text"])
        assert data["text"] in data["context"]
        same_paragraph = [
            s["text"] for s in SEGMENTS
            if (s["article_id"], s["paragraph"]) == (segment["article_id"], segment["paragraph"])
        ]
        assert data["context"] == " ".join(same_paragraph)
    assert any(t["data"]["context"] != t["data"]["text"] for t in tasks)  # some paragraphs have several
    json.dumps(tasks)


# -- round trip -------------------------------------------------------------------------------


def test_round_trip_reproduces_annotator_file_byte_for_byte(tmp_path):
    export = ls_export(LABELS)
    export.reverse()  # the export's order does not matter
    path = write_export(tmp_path, export)
    imported = lsi.import_export(path)
    assert (imported.shape, len(imported.records), imported.pending) == ("JSON", len(SEGMENTS), 0)
    merged = lsi.merge(tmp_path / "annotator_1.jsonl", imported.records, path)
    assert merged.text.encode("utf-8") == ANNOTATOR_1.read_bytes()
    assert (merged.total, merged.added, merged.updated, merged.unchanged) == (len(SEGMENTS), len(SEGMENTS), 0, 0)


def test_round_trip_through_the_cli(tmp_path, annotations_dir, capsys):
    path = write_export(tmp_path, ls_export(LABELS, user=12))
    assert main(["labelstudio-import", str(path), "--name", "annotator_3"]) == 0
    out = annotations_dir / "annotator_3.jsonl"
    assert out.read_bytes() == ANNOTATOR_1.read_bytes()
    assert capsys.readouterr().out == (
        f"read {len(SEGMENTS)} annotations from a JSON export (0 tasks pending, skipped)\n"
        f"wrote {len(SEGMENTS)} records to {out}: {len(SEGMENTS)} new, 0 updated, 0 unchanged\n")
    assert sorted(p.name for p in annotations_dir.iterdir()) == ["annotator_3.jsonl"]


# -- import problems --------------------------------------------------------------------------


def test_cancelled_annotation_is_ignored(tmp_path):
    export = ls_export(LABELS, FIRST_THREE)
    sid = export[1]["data"]["segment_id"]
    changed = labels_of(sid, stance_huawei=other_label("stance_huawei", LABELS[sid]["stance_huawei"]))
    export[1]["annotations"].insert(0, annotation(99, 2, changed, cancelled=True))
    records = lsi.import_export(write_export(tmp_path, export)).records
    assert [r["id"] for r in records] == [t["data"]["segment_id"] for t in FIRST_THREE]
    assert {f: records[1][f] for f in LABEL_FIELDS} == labels_of(sid)


def two_annotators(tmp_path: Path, first, second) -> tuple[Path, dict, dict]:
    """Three tasks annotated by two users, who disagree on the second task's topic."""
    export = ls_export(LABELS, FIRST_THREE, user=first)
    for task in export:
        task["annotations"].append(annotation(100 + task["id"], second, labels_of(task["data"]["segment_id"])))
    sid = export[1]["data"]["segment_id"]
    changed = labels_of(sid, topic=other_label("topic", LABELS[sid]["topic"]))
    export[1]["annotations"][1]["result"] = result(changed)
    export[1]["id"] = 4711
    return write_export(tmp_path, export), labels_of(sid), changed


def test_two_annotations_need_an_annotator_choice(tmp_path):
    path, _, _ = two_annotators(tmp_path, 1, 2)
    error = import_error(path)
    assert [(p.path, p.line) for p in error.problems] == [(path, 1), (path, 2), (path, 3)]
    for problem, task_id in zip(error.problems, (1, 4711, 3)):
        assert problem.message == (
            f"task {task_id}: 2 usable annotations, expected exactly 1 (choose one with --annotator)"
        )


@pytest.mark.parametrize(
    "first, second",
    [(1, 2), ({"id": 1, "email": "a@example.com"}, {"id": 2, "email": "b@example.com"})],
    ids=["completed_by id", "completed_by object"],
)
@pytest.mark.parametrize("pick", [1, "1", 2, "2"])
def test_annotator_picks_one_annotation(tmp_path, first, second, pick):
    path, labels_1, labels_2 = two_annotators(tmp_path, first, second)
    records = lsi.import_export(path, annotator=pick).records
    assert [r["id"] for r in records] == [t["data"]["segment_id"] for t in FIRST_THREE]
    assert {f: records[1][f] for f in LABEL_FIELDS} == (labels_1 if str(pick) == "1" else labels_2)
    for r in (records[0], records[2]):
        assert {f: r[f] for f in LABEL_FIELDS} == labels_of(r["id"])


def test_tasks_the_annotator_did_not_annotate_are_pending(tmp_path):
    export = ls_export(LABELS, FIRST_THREE, user=1)
    export[1]["annotations"].append(annotation(50, 3, labels_of(export[1]["data"]["segment_id"])))
    imported = lsi.import_export(write_export(tmp_path, export), annotator=3)
    assert [r["id"] for r in imported.records] == [export[1]["data"]["segment_id"]]
    assert imported.pending == 2


def test_missing_choice_for_a_field(tmp_path):
    export = ls_export(LABELS, FIRST_THREE)
    regions = export[2]["annotations"][0]["result"]
    regions[:] = [r for r in regions if r["from_name"] not in ("frame", "topic")]
    export[0]["annotations"][0]["result"][1]["value"]["choices"] = []
    error = import_error(write_export(tmp_path, export))
    first, third = (t["data"]["segment_id"] for t in (export[0], export[2]))
    assert [(p.line, p.message) for p in error.problems] == [
        (1, f"task 1 (segment {first}): no choice for topic"),
        (3, f"task 3 (segment {third}): missing topic; missing frame"),
    ]


def test_unknown_label_is_rejected_naming_task_and_segment(tmp_path):
    export = ls_export(LABELS)
    export[5]["annotations"][0]["result"][1]["value"]["choices"] = ["maybe"]
    error = import_error(write_export(tmp_path, export))
    sid = export[5]["data"]["segment_id"]
    assert [(p.line, p.message) for p in error.problems] == [
        (6, f"task {export[5]['id']} (segment {sid}): unknown topic label 'maybe' (allowed: "
            + ", ".join(schema.TOPIC) + ")")
    ]


def test_task_whose_text_changed_is_rejected(tmp_path):
    export = ls_export(LABELS)
    export[7]["data"]["text"] = export[7]["data"]["text"].replace(" ", "  ", 1)
    sid = export[7]["data"]["segment_id"]
    error = import_error(write_export(tmp_path, export))
    [problem] = error.problems
    assert problem.line == 8 and sid in problem.message  # the export's task, not a line of an unwritten file
    assert "text mismatch" in problem.message


@pytest.mark.parametrize(
    "content, message",
    [
        ('[{"id": 1, "data": ', "invalid JSON ("),
        ("", "invalid JSON ("),
        ('{"tasks": []}', "expected a JSON list of tasks (Label Studio JSON or JSON-MIN export)"),
        ('"tasks"', "expected a JSON list of tasks (Label Studio JSON or JSON-MIN export)"),
    ],
)
def test_unreadable_exports(tmp_path, content, message):
    path = tmp_path / "export.json"
    path.write_text(content, encoding="utf-8")
    error = import_error(path)
    [problem] = error.problems
    assert (problem.path, problem.line) == (path, 0)
    assert problem.message.startswith(message)
    assert str(error) == f"{path}:0: {problem.message}"


def test_export_in_invalid_utf8_and_missing_file(tmp_path):
    path = tmp_path / "export.json"
    path.write_bytes(b'[{"id": 1, "data": {"text": "caf\xe9"}}]')
    assert import_error(path).problems[0].message == "not valid UTF-8 (byte offset 32)"
    assert import_error(tmp_path / "absent.json").problems[0].message.startswith("cannot read (")


def test_every_task_problem_is_collected(tmp_path):
    export = ls_export(LABELS, labelstudio.tasks()[:6])
    export[0]["annotations"] = []
    export[2]["annotations"][0]["was_cancelled"] = True
    del export[3]["data"]
    export[5]["annotations"][0]["result"] = []
    error = import_error(write_export(tmp_path, export))
    assert [p.line for p in error.problems] == [4, 6]  # tasks 1 and 3 have no usable annotation: pending
    assert error.problems[0].message == "task 4: no data object"
    sid = export[5]["data"]["segment_id"]
    # An empty text area exports no region, so only the choice fields can be missing.
    assert error.problems[1].message == f"task 6 (segment {sid}): " + "; ".join(
        f"missing {f}" for f in LABEL_FIELDS if f not in schema.TEXT_FIELDS)


@pytest.mark.parametrize(
    "damage",
    [
        lambda regions: regions[0].update(value=None),
        lambda regions: regions.insert(0, "not a region"),
    ],
    ids=["value null", "region not an object"],
)
def test_malformed_region_is_a_validation_error(tmp_path, damage):
    export = ls_export(LABELS, FIRST_THREE)
    damage(export[0]["annotations"][0]["result"])
    error = import_error(write_export(tmp_path, export))
    assert [p.line for p in error.problems] == [1]


def test_non_string_segment_id_is_a_validation_error(tmp_path):
    export = ls_export(LABELS)
    export[0]["data"]["segment_id"] = 0
    error = import_error(write_export(tmp_path, export))
    assert [(p.line, p.message) for p in error.problems] == [
        (1, f"task {export[0]['id']}: data.segment_id missing or not a string")
    ]


# -- the CLI ----------------------------------------------------------------------------------


def test_cli_export_writes_tasks_and_config(tmp_path, capsys):
    out = tmp_path / "ls" / "project"
    assert main(["labelstudio-export", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["labeling_config.xml", "tasks.json"]
    assert json.loads((out / "tasks.json").read_text(encoding="utf-8")) == labelstudio.tasks()
    assert (out / "labeling_config.xml").read_text(encoding="utf-8") == labelstudio.labeling_config()
    assert f"wrote {len(SEGMENTS)} tasks" in capsys.readouterr().out


def test_cli_export_then_import(tmp_path, annotations_dir, capsys):
    """The exported tasks.json, annotated as Label Studio would, comes back as annotator_1."""
    assert main(["labelstudio-export", str(tmp_path / "ls")]) == 0
    exported = json.loads((tmp_path / "ls" / "tasks.json").read_text(encoding="utf-8"))
    path = write_export(tmp_path, ls_export(LABELS, exported))
    assert main(["labelstudio-import", str(path), "--name", "annotator_1"]) == 0
    assert (annotations_dir / "annotator_1.jsonl").read_bytes() == ANNOTATOR_1.read_bytes()


def one_line_error(capsys) -> str:
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err
    return err


def test_cli_import_refuses_to_overwrite_without_force(tmp_path, annotations_dir, capsys):
    path = write_export(tmp_path, ls_export(LABELS))
    existing = annotations_dir / "annotator_2.jsonl"
    existing.write_text("keep me\n", encoding="utf-8")
    assert main(["labelstudio-import", str(path), "--name", "annotator_2"]) == 2
    err = one_line_error(capsys)
    assert str(existing) in err and "--force" in err
    assert existing.read_text(encoding="utf-8") == "keep me\n"
    assert main(["labelstudio-import", str(path), "--name", "annotator_2", "--force"]) == 0
    assert existing.read_bytes() == ANNOTATOR_1.read_bytes()


@pytest.mark.parametrize("name", ["gold", "bob", "Annotator_2", "2"])
def test_cli_import_refuses_names_not_starting_with_annotator(tmp_path, annotations_dir, capsys, name):
    path = write_export(tmp_path, ls_export(LABELS))
    assert main(["labelstudio-import", str(path), "--name", name]) == 2
    err = one_line_error(capsys)
    assert repr(name) in err and "annotator_" in err
    assert list(annotations_dir.iterdir()) == []


def test_cli_import_refuses_a_name_that_leaves_the_folder(tmp_path, annotations_dir, capsys):
    path = write_export(tmp_path, ls_export(LABELS))
    code = main(["labelstudio-import", str(path), "--name", "annotator_x/../../escaped"])
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert code == 2
    assert written == ["export.json"]


def test_cli_import_reports_export_problems_without_writing(tmp_path, annotations_dir, capsys):
    export = ls_export(LABELS)
    export[3]["annotations"][0]["result"][0]["value"]["choices"] = ["paragraph"]
    path = write_export(tmp_path, export)
    assert main(["labelstudio-import", str(path), "--name", "annotator_5"]) == 1
    out, err = capsys.readouterr()
    lines = err.splitlines()
    sid = export[3]["data"]["segment_id"]
    assert lines == [
        f"{path}:4: task {export[3]['id']} (segment {sid}): unknown segment_type label 'paragraph' (allowed: "
        + ", ".join(schema.SEGMENT_TYPE) + ")",
        "error: 1 annotation problem(s)",
    ]
    assert list(annotations_dir.iterdir()) == []
