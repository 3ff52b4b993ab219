"""The strict scorer: anyone's predictions (CSV or JSONL with `id` and `label`) against gold."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from labeling.annotation import schema
from labeling.release.tasks import labels as task_labels
from labeling.release.tasks import REGISTRY, TASKS
from labeling.core.errors import InputError

from . import data, metrics

PARTS = ("test", "validation", "train", "cv")
MAX_LISTED = 10


class PredictionError(InputError):
    """Predictions that cannot be scored; the message lists the offending rows."""


def _listing(items: list) -> str:
    shown = ", ".join(map(str, items[:MAX_LISTED]))
    return shown + (f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")


def read_rows(path: Path) -> list[tuple[int, dict]]:
    """(line number, row) pairs of a CSV (header id,label) or JSONL predictions file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PredictionError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PredictionError(f"{path}: not valid UTF-8 (byte offset {exc.start}); save it as UTF-8") from None
    if "\x00" in text:
        raise PredictionError(f"{path}: binary content (NUL character); expected CSV or JSONL text")
    suffix = path.suffix.lower()
    rows: list[tuple[int, dict]] = []
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        try:
            if reader.fieldnames is None or not {"id", "label"} <= set(reader.fieldnames):
                raise PredictionError(f"{path}:1: CSV header must contain id and label, got {reader.fieldnames}")
            doubled = sorted({c for c in reader.fieldnames if reader.fieldnames.count(c) > 1})
            if doubled:
                raise PredictionError(f"{path}:1: CSV header repeats column(s) {', '.join(doubled)}")
            for row in reader:
                if row["id"] is None or row["label"] is None:
                    raise PredictionError(f"{path}:{reader.line_num}: row has fewer fields than the header")
                rows.append((reader.line_num, {"id": row["id"], "label": row["label"]}))
        except csv.Error as exc:
            raise PredictionError(f"{path}:{reader.line_num}: malformed CSV ({exc})") from None
    elif suffix in (".jsonl", ".json"):
        bad = []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                bad.append(f"line {n} ({exc.msg})")
                continue
            except RecursionError:
                bad.append(f"line {n} (nested too deeply)")
                continue
            except ValueError as exc:  # e.g. an integer with more digits than Python converts
                bad.append(f"line {n} ({str(exc).splitlines()[0][:80]})")
                continue
            if not isinstance(obj, dict) or "id" not in obj or "label" not in obj:
                bad.append(f"line {n} (need an object with id and label)")
                continue
            rows.append((n, obj))
        if bad:
            raise PredictionError(f"{path}: invalid JSONL rows: {_listing(bad)}")
    else:
        raise PredictionError(f"{path}: unknown format {suffix or '(no suffix)'}; use .csv or .jsonl")
    if not rows:
        raise PredictionError(f"{path}: no predictions")
    return rows


def label_name(task: str, value, integers: bool = False) -> str | None:
    """A label given by name, or (only with `integers`) by integer id in the dataset's order, as a
    number or digit string; None if unknown."""
    names = task_labels(task)
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value in names:
        return value
    if not integers:
        return None
    if isinstance(value, int):
        return names[value] if 0 <= value < len(names) else None
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,3}", value.strip()):  # ASCII digits only: "²" is not an id
        return label_name(task, int(value.strip()), integers)
    return None


def label_set(task: str, value, integers: bool = False) -> list[str] | None:
    """A multi-label prediction: a JSON list of labels, or in CSV labels joined by `|` (empty: none),
    returned in the task's label order; None if any label is unknown or repeated."""
    if isinstance(value, str):
        value = [v for v in value.split("|") if v.strip()] if value.strip() else []
    if not isinstance(value, list):
        return None
    names = [label_name(task, v, integers) for v in value]
    if any(n is None for n in names) or len(set(names)) != len(names):
        return None
    return [label for label in task_labels(task) if label in names]


def label_order(task: str) -> str:
    return ", ".join(f"{i}={n}" for i, n in enumerate(task_labels(task)))


def gold_for(task: str, part: str, data_dir: Path = data.DATA_DIR) -> dict[str, str]:
    """Segment id -> gold label for the evaluated part."""
    if part not in PARTS:
        raise PredictionError(f"--split {part!r}: choose one of {', '.join(PARTS)}")
    frame = data.all_rows(task, data_dir) if part == "cv" else data.task_frames(task, data_dir)[part]
    return dict(zip(frame["id"], frame["label"]))


def check(task: str, path: Path, gold: dict[str, str], integers: bool = False,
          other_parts=None) -> dict[str, str]:
    """Validated id -> label name; raise PredictionError listing every kind of problem.

    `other_parts`, called only when some ids are unknown, gives the ids of the other splits, so the
    error can say which split the predictions belong to."""
    rows = read_rows(path)
    seen: dict[str, int] = {}
    problems, duplicates, unknown_ids, unknown_labels = [], [], [], []
    predictions = {}
    for line, row in rows:
        sid = row["id"]
        if not isinstance(sid, str):
            problems.append(f"line {line}: id must be a string, got {type(sid).__name__}")
            continue
        if sid in seen:
            duplicates.append(f"{sid!r} (lines {seen[sid]} and {line})")
            continue
        seen[sid] = line
        if sid not in gold:
            unknown_ids.append(f"{sid!r} (line {line})")
            continue
        name = label_set(task, row["label"], integers) if REGISTRY[task].multilabel else label_name(task, row["label"], integers)
        if name is None:
            unknown_labels.append(f"{row['label']!r} (line {line})")
            continue
        predictions[sid] = name
    missing = sorted(set(gold) - set(seen))
    if duplicates:
        problems.append(f"duplicate ids: {_listing(duplicates)}")
    if unknown_ids:
        hint = ""
        for part, ids in (other_parts() if other_parts else {}).items():
            if any(sid in ids for sid in (r["id"] for _, r in rows if isinstance(r["id"], str) and r["id"] not in gold)):
                hint = f" (they belong to the {part} split: pass --split {part})"
                break
        problems.insert(0, f"ids not in the evaluated part{hint}: {_listing(unknown_ids)}")
    if unknown_labels:
        allowed = (f"label names {', '.join(task_labels(task))}, or integer ids {label_order(task)}" if integers else
                   f"label names {', '.join(task_labels(task))}; integer ids only with --integer-labels, in our order "
                   f"{label_order(task)}")
        problems.append(f"unknown {task} labels: {_listing(unknown_labels)} (allowed: {allowed})")
    if missing:
        problems.append(f"{len(missing)} missing ids: {_listing([repr(m) for m in missing])}")
    if problems:
        raise PredictionError(f"{path}: " + "; ".join(problems))
    return predictions


def score_file(task: str, path: Path, part: str = "test", data_dir: Path = data.DATA_DIR,
               integers: bool = False) -> dict:
    """Scores of a predictions file on one part (test, validation, train, or cv = every row)."""
    if task not in TASKS:
        raise PredictionError(f"--task {task!r}: choose one of {', '.join(TASKS)}")
    gold = gold_for(task, part, data_dir)
    others = None if part == "cv" else (
        lambda: {p: set(gold_for(task, p, data_dir)) for p in ("test", "validation", "train") if p != part})
    predictions = check(task, path, gold, integers, others)
    ids = sorted(gold)
    from labeling.release import version as release

    return {
        "dataset_version": release.VERSION,
        "data_sha256": data.data_hash(data_dir),
        "task": task,
        "split": part,
        "predictions": str(path),
        "metric": metrics.METRICS[task].description,
        **metrics.evaluate(task, [gold[i] for i in ids], [predictions[i] for i in ids]),
    }


def _with_ci(value, interval) -> str:
    if value is None:
        return "n/a"
    return f"{value:.4f}" + (f" [{interval[0]:.4f}, {interval[1]:.4f}]" if interval else "")


def format_scores(result: dict) -> str:
    """The scorer's table: one line of headline scores, then precision, recall, F1 and support of
    every class of the task (support 0 where the evaluated gold has none; * marks the classes the
    main score averages)."""
    ci = result["ci"]
    lines = [
        f"{result['task']} ({result['split']}, n={result['n']}): main {_with_ci(result['main'], ci['main'])}  "
        f"macro-F1 {_with_ci(result['macro_f1'], ci['macro_f1'])}  accuracy {result['accuracy']:.4f}  "
        f"weighted-F1 {result['weighted_f1']:.4f}",
        f"  main score: {result['metric']}",
        f"  {'label':<42}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}",
    ]
    averaged = set(result.get("main_labels", []))
    for label, s in result["per_class"].items():
        mark = "*" if label in averaged else " "
        lines.append(f" {mark}{label:<42}{s['precision']:>10.4f}{s['recall']:>8.4f}{s['f1']:>8.4f}{s['support']:>9}")
    return "\n".join(lines)
