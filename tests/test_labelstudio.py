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


# -- JSON-MIN, partial exports, annotators by e-mail -------------------------------------------


def json_min(export: list[dict]) -> list[dict]:
    """The JSON-MIN form of a full export, as Label Studio's converter writes it: one flat record per
    annotation (newest first), a single choice or text as a string, several choices as {"choices": [...]},
    the annotator's e-mail (or id), and one record with `annotator` null for a task without annotations."""
    out = []
    for task in export:
        kept = [a for a in task["annotations"] if not a.get("was_cancelled")]
        if not task["annotations"]:
            out.append({**task["data"], "id": task["id"], "annotator": None, "annotation_id": None,
                        "created_at": None, "updated_at": None, "lead_time": None})
        for a in sorted(kept, key=lambda a: a["created_at"], reverse=True):
            record = {**task["data"], "id": task["id"]}
            for region in a["result"]:
                value = region["value"]
                listed = value.get("choices", value.get("text"))
                record[region["from_name"]] = listed[0] if len(listed) == 1 else value
            who = a["completed_by"]
            record.update(annotator=who["email"] if isinstance(who, dict) else who, annotation_id=a["id"],
                          created_at=a["created_at"], updated_at=a["updated_at"], lead_time=a["lead_time"])
            out.append(record)
    return out


def test_json_min_round_trip_reproduces_the_annotator_file(tmp_path, annotations_dir, capsys):
    export = json_min(ls_export(LABELS, user={"id": 7, "email": "second@example.com"}))
    assert any(isinstance(r["frames"], dict) for r in export) and any(isinstance(r["frames"], str) for r in export)
    assert any("source_name" not in r for r in export) and all(isinstance(r["topic"], str) for r in export)
    path = write_export(tmp_path, export)
    assert main(["labelstudio-import", str(path), "--name", "annotator_3", "--annotator", "Second@Example.com"]) == 0
    assert (annotations_dir / "annotator_3.jsonl").read_bytes() == ANNOTATOR_1.read_bytes()
    out = capsys.readouterr().out
    assert f"read {len(SEGMENTS)} annotations from a JSON-MIN export (0 tasks pending, skipped)" in out
    assert "JSON-MIN carries no predictions: from_prediction left out" in out


def test_json_min_with_two_annotators_and_a_pending_task(tmp_path):
    first, second = {"id": 1, "email": "a@example.com"}, {"id": 2, "email": "b@example.com"}
    path, labels_1, labels_2 = two_annotators(tmp_path, first, second)
    export = json.loads(path.read_text(encoding="utf-8"))
    export.append({**ls_export(LABELS, labelstudio.tasks()[3:4])[0], "annotations": [], "id": 99})
    path = write_export(tmp_path, json_min(export))
    error = import_error(path)
    assert [p.message for p in error.problems] == [
        f"task {t}: 2 usable annotations, expected exactly 1 (choose one with --annotator)" for t in (1, 4711, 3)]
    imported = lsi.import_export(path, "b@example.com")
    assert imported.shape == "JSON-MIN" and imported.pending == 1
    assert {f: imported.records[1][f] for f in LABEL_FIELDS} == labels_2
    assert all("from_prediction" not in r for r in imported.records)
    with pytest.raises(InputError) as info:
        lsi.import_export(path, "2")  # JSON-MIN names annotators by e-mail only
    assert str(info.value) == f"{path}: no annotation by --annotator 2 (annotators in the export: a@example.com; b@example.com)"


@pytest.mark.parametrize("who, pick", [(5, "5"), ({"id": 5, "email": "c@example.com"}, "c@example.com"),
                                       ({"id": 5, "email": "c@example.com"}, "5")])
def test_full_export_annotator_by_id_or_email(tmp_path, who, pick):
    export = ls_export(LABELS, FIRST_THREE, user=who)
    for task in export:
        task["annotations"].append(annotation(200 + task["id"], 6, labels_of(task["data"]["segment_id"])))
    imported = lsi.import_export(write_export(tmp_path, export), pick)
    assert len(imported.records) == 3 and imported.pending == 0


def test_email_found_in_created_username_of_a_full_export(tmp_path):
    export = ls_export(LABELS, FIRST_THREE, user=5)
    export[0]["annotations"][0]["created_username"] = "second@example.com, 5"
    imported = lsi.import_export(write_export(tmp_path, export), "second@example.com")
    assert [r["id"] for r in imported.records] == [export[0]["data"]["segment_id"]] and imported.pending == 2


def test_email_against_an_export_with_ids_only_says_so(tmp_path):
    path = write_export(tmp_path, ls_export(LABELS, FIRST_THREE, user=5))
    with pytest.raises(InputError) as info:
        lsi.import_export(path, "second@example.com")
    assert str(info.value) == (f"{path}: no annotation by --annotator second@example.com (annotators in the export: 5); "
                               "this export names annotators by numeric id only, pass the id (listed under Organization in Label Studio)")


def test_partial_export_imports_the_done_tasks_and_counts_the_rest(tmp_path, annotations_dir, capsys):
    export = ls_export(LABELS)
    for task in export[20:]:
        task["annotations"] = []
    export[3]["annotations"][0]["was_cancelled"] = True
    path = write_export(tmp_path, export)
    assert main(["labelstudio-import", str(path), "--name", "annotator_4"]) == 0
    written = load_labels(annotations_dir / "annotator_4.jsonl")
    assert sorted(written) == sorted(t["data"]["segment_id"] for i, t in enumerate(export[:20]) if i != 3)
    assert f"read 19 annotations from a JSON export ({len(SEGMENTS) - 19} tasks pending, skipped)" in capsys.readouterr().out


def test_export_with_nothing_annotated_is_an_error(tmp_path, annotations_dir, capsys):
    export = ls_export(LABELS, FIRST_THREE)
    for task in export:
        task["annotations"] = []
    path = write_export(tmp_path, export)
    assert main(["labelstudio-import", str(path), "--name", "annotator_4"]) == 2
    assert one_line_error(capsys) == f"error: {path}: no task has a usable annotation (3 pending)\n"
    assert list(annotations_dir.iterdir()) == []


# -- incremental merge ------------------------------------------------------------------------


def test_import_merges_into_the_annotator_file(tmp_path, annotations_dir, capsys):
    ids = sorted(LABELS)
    target = annotations_dir / "annotator_4.jsonl"
    target.write_text("".join(json.dumps(LABELS[i], ensure_ascii=False) + "\n" for i in ids[:5]), encoding="utf-8")
    tasks = [t for t in labelstudio.tasks() if t["data"]["segment_id"] in (ids[2], ids[3], ids[7])]
    changed = labels_of(ids[3], topic=other_label("topic", LABELS[ids[3]]["topic"]))
    export = ls_export({**LABELS, ids[3]: changed}, tasks)
    assert main(["labelstudio-import", str(write_export(tmp_path, export)), "--name", "annotator_4"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == f"wrote 6 records to {target}: 1 new, 1 updated, 1 unchanged"
    written = target.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in written] == sorted([*ids[:5], ids[7]])
    assert json.loads(written[3]) == {"id": ids[3], **changed}
    assert json.loads(written[0]) == LABELS[ids[0]]


def test_merge_that_would_drop_records_needs_force(tmp_path, annotations_dir, capsys):
    ids = sorted(LABELS)
    target = annotations_dir / "annotator_4.jsonl"
    stale = {**LABELS[ids[1]], "id": "gone-segment"}
    before = json.dumps(LABELS[ids[0]]) + "\n" + json.dumps(stale) + "\n"
    target.write_text(before, encoding="utf-8")
    path = write_export(tmp_path, ls_export(LABELS, labelstudio.tasks()[5:6]))
    assert main(["labelstudio-import", str(path), "--name", "annotator_4"]) == 2
    err = one_line_error(capsys)
    assert f"{target}: has 2 records, 1 of which do not validate (first: {target}:2: unknown id 'gone-segment'" in err
    assert "--force" in err and "write 2" in err
    assert target.read_text(encoding="utf-8") == before
    assert main(["labelstudio-import", str(path), "--name", "annotator_4", "--force"]) == 0
    assert "1 invalid dropped" in capsys.readouterr().out
    assert sorted(load_labels(target)) == sorted([ids[0], labelstudio.tasks()[5]["data"]["segment_id"]])


# -- predictions: export, from_prediction -------------------------------------------------------


def prediction(sid: str, field: str, label, confidence: float, version: str = "m/topic@abc") -> preannotation.Prediction:
    return preannotation.Prediction(sid, field, label, confidence, version)


def predicted_tasks(ids: list[str], predictions: list) -> list[dict]:
    return labelstudio.tasks([s for s in SEGMENTS if s["id"] in ids], predictions)


def with_predictions(export: list[dict], tasks: list[dict], ids_from: int = 1) -> list[dict]:
    """The export's tasks carrying the predictions they were imported with, as Label Studio exports them."""
    for n, (task, made) in enumerate(zip(export, tasks)):
        task["predictions"] = [{**p, "id": ids_from + n, "task": task["id"]} for p in made.get("predictions", [])]
    return export


def test_kept_predictions_go_into_from_prediction(tmp_path, annotations_dir, capsys):
    a, b, c = sorted(LABELS)[:3]
    preds = [prediction(a, "topic", LABELS[a]["topic"], 0.9), prediction(a, "frame", other_label("frame", LABELS[a]["frame"]), 0.4),
             prediction(a, "frames", list(LABELS[a]["frames"]), 0.5),
             prediction(b, "topic", other_label("topic", LABELS[b]["topic"]), 0.3)]
    tasks = predicted_tasks([a, b, c], preds)
    export = with_predictions(ls_export(LABELS, tasks), tasks)
    path = write_export(tmp_path, export)
    assert main(["labelstudio-import", str(path), "--name", "annotator_4"]) == 0
    written = load_labels(annotations_dir / "annotator_4.jsonl")
    assert written[a]["from_prediction"] == ["topic", "frames"]
    assert written[b]["from_prediction"] == []
    assert "from_prediction" not in written[c]  # no prediction was shown
    assert {k: v for k, v in written[a].items() if k != "from_prediction"} == LABELS[a]
    assert capsys.readouterr().out.splitlines()[-1] == "labels kept from predictions: topic 1/2, frame 0/1, frames 1/1"


def test_parent_prediction_picks_the_prediction_compared(tmp_path):
    a = sorted(LABELS)[0]
    right, wrong = LABELS[a]["topic"], other_label("topic", LABELS[a]["topic"])
    tasks = predicted_tasks([a], [prediction(a, "topic", right, 0.9)])
    export = with_predictions(ls_export(LABELS, tasks), tasks)
    other = {**export[0]["predictions"][0], "id": 77, "result": [{**export[0]["predictions"][0]["result"][0],
                                                                    "value": {"choices": [wrong]}}]}
    export[0]["predictions"].insert(0, other)
    assert "from_prediction" not in lsi.import_export(write_export(tmp_path, export)).records[0]  # two, no parent
    for parent, kept in ((1, ["topic"]), (77, [])):
        export[0]["annotations"][0]["parent_prediction"] = parent
        assert lsi.import_export(write_export(tmp_path, export)).records[0]["from_prediction"] == kept


def test_export_orders_tasks_least_confident_first(tmp_path, capsys):
    ids = sorted(LABELS)[:6]
    preds = [prediction(ids[0], "topic", "other", 0.8), prediction(ids[0], "frame", "economic", 0.2, "m/frame@def"),
             prediction(ids[1], "topic", "other", 0.5), prediction(ids[2], "topic", "other", 0.2),
             prediction(ids[4], "topic", "other", 0.9)]
    pred_file = tmp_path / "pred.jsonl"
    preannotation.write(pred_file, preds)
    out = tmp_path / "ls"
    assert main(["labelstudio-export", str(out), "--articles", ids[0].rsplit("-", 1)[0], "--predictions", str(pred_file)]) == 0
    tasks = json.loads((out / "tasks.json").read_text(encoding="utf-8"))
    order = [t["data"]["segment_id"] for t in tasks]
    assert order[:4] == [ids[0], ids[2], ids[1], ids[4]]  # 0.2 (tie broken by id), 0.2, 0.5, 0.9
    article = [s["id"] for s in SEGMENTS if s["article_id"] == ids[0].rsplit("-", 1)[0]]
    assert order[4:] == [i for i in article if i not in ids[:5] or i == ids[3]]
    first = tasks[0]["predictions"]
    assert first == [{"model_version": "m/topic@abc + m/frame@def", "score": 0.2, "result": [
        {"id": "pred-topic", "from_name": "topic", "to_name": "text", "type": "choices", "value": {"choices": ["other"]}, "score": 0.8},
        {"id": "pred-frame", "from_name": "frame", "to_name": "text", "type": "choices", "value": {"choices": ["economic"]}, "score": 0.2}]}]
    assert "predictions" not in tasks[-1]
    again = tmp_path / "ls2"
    assert main(["labelstudio-export", str(again), "--articles", ids[0].rsplit("-", 1)[0], "--predictions", str(pred_file)]) == 0
    assert (again / "tasks.json").read_bytes() == (out / "tasks.json").read_bytes()
    assert f"wrote {len(article)} tasks (articles {ids[0].rsplit('-', 1)[0]})" in capsys.readouterr().out


# -- which segments are exported ------------------------------------------------------------------


def write_pass(folder: Path, name: str, ids) -> None:
    (folder / f"{name}.jsonl").write_text("".join(json.dumps(LABELS[i]) + "\n" for i in sorted(ids)), encoding="utf-8")


def test_export_selects_segments_that_still_need_labels(tmp_path, annotations_dir):
    ids = [s["id"] for s in SEGMENTS]
    write_pass(annotations_dir, "annotator_1", ids)
    write_pass(annotations_dir, "annotator_2", ids[:40])
    write_pass(annotations_dir, "annotator_3", ids[30:50])
    selected = lambda **kw: [s["id"] for s in labelstudio.select_segments(**kw)]  # noqa: E731
    assert selected() == ids[50:]
    assert selected(annotator="annotator_3") == ids[:30] + ids[50:]
    assert selected(annotator="annotator_9") == ids
    article = SEGMENTS[45]["article_id"]
    assert selected(articles=[article]) == [s["id"] for s in SEGMENTS if s["article_id"] == article]
    assert selected(articles=[article], annotator="annotator_3") == [
        s["id"] for s in SEGMENTS if s["article_id"] == article and not 30 <= ids.index(s["id"]) < 50]
    with pytest.raises(InputError, match="--articles nope: no such article"):
        labelstudio.select_segments(articles=["nope"])


def test_cli_export_default_writes_only_pending_segments(tmp_path, annotations_dir, capsys):
    ids = [s["id"] for s in SEGMENTS]
    write_pass(annotations_dir, "annotator_1", ids)
    write_pass(annotations_dir, "annotator_2", ids[:100])
    assert main(["labelstudio-export", str(tmp_path / "ls")]) == 0
    tasks = json.loads((tmp_path / "ls" / "tasks.json").read_text(encoding="utf-8"))
    assert [t["data"]["segment_id"] for t in tasks] == ids[100:]
    assert "wrote 10 tasks (segments fewer than two passes have labelled)" in capsys.readouterr().out


# -- bad prediction files ------------------------------------------------------------------------


GOOD = {"segment_id": SEGMENTS[0]["id"], "field": "topic", "label": "other", "confidence": 0.5, "model_version": "m"}


@pytest.mark.parametrize("line, message", [
    ({**GOOD, "segment_id": "nope-001"}, "unknown segment 'nope-001': not in labeling/segments.jsonl"),
    ({**GOOD, "label": "maybe"}, "topic: 'maybe' is not a label (allowed: " + ", ".join(schema.TOPIC) + ")"),
    ({**GOOD, "field": "frames", "label": ["economic", "nope"]}, "frames: unknown label(s) 'nope'"),
    ({**GOOD, "field": "frames", "label": "economic"}, "frames: label must be a non-empty list of labels"),
    ({**GOOD, "field": "source_name", "label": "x"}, "unknown field 'source_name' (allowed: "),
    ({**GOOD, "confidence": 1.5}, "confidence must be a number from 0 to 1, got 1.5"),
    ({**GOOD, "confidence": True}, "confidence must be a number from 0 to 1, got True"),
    ({k: v for k, v in GOOD.items() if k != "model_version"}, "missing key(s) model_version"),
    ([1], "expected a JSON object"),
    ("{", "invalid JSON ("),
    (GOOD, f"second prediction for topic of segment {GOOD['segment_id']} (first on line 1)"),
])
def test_bad_prediction_file_is_one_line_naming_file_and_line(tmp_path, capsys, line, message):
    path = tmp_path / "pred.jsonl"
    path.write_text(json.dumps(GOOD) + "\n\n" + (line if isinstance(line, str) else json.dumps(line)) + "\n", encoding="utf-8")
    assert main(["labelstudio-export", str(tmp_path / "ls"), "--annotator", "annotator_1", "--predictions", str(path)]) == 2
    err = one_line_error(capsys)
    assert err.startswith(f"error: {path}:3: {message}")
    assert not (tmp_path / "ls").exists()


# -- baselines pre-annotate ----------------------------------------------------------------------


def tiny_model(task: str, path: Path, texts: list[str], labels: list) -> None:
    """A small probabilistic model fitted on a few segments, saved as `train` saves one."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MultiLabelBinarizer

    from baselines import persist

    clf = LogisticRegression(max_iter=200)
    if task == "frames":
        clf, labels = OneVsRestClassifier(clf), MultiLabelBinarizer(classes=list(schema.FRAME)).fit_transform(labels)
    model = Pipeline([("tfidf", TfidfVectorizer()), ("clf", clf)]).fit(texts, labels)
    persist.save(model, path, task=task, baseline="tiny_logreg")


@pytest.mark.filterwarnings("ignore:Label not .* is present in all training examples")
def test_pre_annotate_writes_each_models_fields_with_probabilities(tmp_path, capsys):
    import hashlib

    from baselines import persist
    from baselines.__main__ import main as baselines_main

    texts = [s["text"] for s in SEGMENTS]
    tiny_model("topic", tmp_path / "topic.skops", texts, [LABELS[s["id"]]["topic"] for s in SEGMENTS])
    pooled = [f"{t.replace('_', ' ')}: {x}" for t in schema.TARGETS for x in texts]
    tiny_model("stance", tmp_path / "stance.skops", pooled,
               [LABELS[s["id"]][schema.stance_field(t)] for t in schema.TARGETS for s in SEGMENTS])
    tiny_model("frames", tmp_path / "frames.skops", texts, [LABELS[s["id"]]["frames"] for s in SEGMENTS])
    article = SEGMENTS[0]["article_id"]
    out = tmp_path / "pred.jsonl"
    args = ["pre-annotate", "--model", str(tmp_path / "topic.skops"), "--model", str(tmp_path / "stance.skops"),
            "--model", str(tmp_path / "frames.skops"), "--articles", article, "--out", str(out)]
    assert baselines_main(args) == 0
    segments = [s for s in SEGMENTS if s["article_id"] == article]
    predictions = preannotation.read(out, [s["id"] for s in SEGMENTS])
    by_key = {(p.segment_id, p.field): p for p in predictions}
    assert {f for _, f in by_key} == {"topic", "frames", *schema.STANCE_FIELDS}
    assert {s for s, _ in by_key} == {s["id"] for s in segments}
    topic = persist.load(tmp_path / "topic.skops", task="topic")
    proba = topic.predict_proba([s["text"] for s in segments])
    digest = hashlib.sha256((tmp_path / "topic.skops").read_bytes()).hexdigest()[:12]
    for s, row in zip(segments, proba):
        p = by_key[(s["id"], "topic")]
        assert p.label == topic.predict([s["text"]])[0]
        assert p.confidence == round(float(row[list(topic.classes_).index(p.label)]), 4)
        assert p.model_version == f"tiny_logreg/topic@{digest}"
    stance = persist.load(tmp_path / "stance.skops", task="stance")
    s = segments[1]
    for t in schema.TARGETS:
        assert by_key[(s["id"], schema.stance_field(t))].label == stance.predict([f"{t.replace('_', ' ')}: {s['text']}"])[0]
    assert all(isinstance(p.label, list) and p.label for p in predictions if p.field == "frames")
    first = out.read_bytes()
    assert baselines_main([*args[:-1], str(tmp_path / "again.jsonl")]) == 0
    assert (tmp_path / "again.jsonl").read_bytes() == first
    assert f"for {len(segments)} segments to {out}" in capsys.readouterr().out


def test_pre_annotate_refuses_two_models_for_one_field(tmp_path, capsys):
    from baselines.__main__ import main as baselines_main

    texts = [s["text"] for s in SEGMENTS]
    tiny_model("stance_huawei", tmp_path / "huawei.skops", texts, [LABELS[s["id"]]["stance_huawei"] for s in SEGMENTS])
    pooled = [f"{t.replace('_', ' ')}: {x}" for t in schema.TARGETS for x in texts]
    tiny_model("stance", tmp_path / "stance.skops", pooled,
               [LABELS[s["id"]][schema.stance_field(t)] for t in schema.TARGETS for s in SEGMENTS])
    assert baselines_main(["pre-annotate", "--model", str(tmp_path / "huawei.skops"), "--model",
                           str(tmp_path / "stance.skops"), "--out", str(tmp_path / "p.jsonl")]) == 2
    err = one_line_error(capsys)
    assert "predicts stance_huawei, which" in err and str(tmp_path / "huawei.skops") in err
    assert not (tmp_path / "p.jsonl").exists()


def test_prediction_nested_in_the_annotation_as_the_export_api_gives_it(tmp_path):
    """Label Studio's export API lists a task's predictions by id and nests the prediction in each annotation."""
    a, b = sorted(LABELS)[:2]
    preds = [prediction(a, "topic", LABELS[a]["topic"], 0.9), prediction(a, "speech", other_label("speech", LABELS[a]["speech"]), 0.6),
             prediction(b, "topic", LABELS[b]["topic"], 0.7)]
    tasks = predicted_tasks([a, b], preds)
    export = with_predictions(ls_export(LABELS, tasks), tasks)
    for task in export:
        nested = task["predictions"][0]
        task["predictions"] = [nested["id"]]
        task["annotations"][0]["prediction"] = nested
    export[1]["annotations"][0]["parent_prediction"] = export[1]["predictions"][0]
    imported = lsi.import_export(write_export(tmp_path, export))
    assert [r["from_prediction"] for r in imported.records] == [["topic"], ["topic"]]
    assert (imported.predicted, imported.accepted) == ({"topic": 2, "speech": 1}, {"topic": 2, "speech": 0})
