"""The dataset as the baselines and the scorer read it: the parquet files in data/, as pandas frames.

Files are read directly with pyarrow (no `load_dataset` cache, whose key does not follow the
files' content), and each read is keyed on the files' SHA-256, so the gold is always the gold on
disk. ClassLabel names come from the features stored in each file's schema.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import pandas as pd

from labeling.core.errors import InputError
from labeling.core.paths import DATA_DIR, shown
from labeling.release.splits import SPLITS

SPLIT_ORDER = (*SPLITS, "full")


def _files(config: str, data_dir: Path) -> list[Path]:
    folder = Path(data_dir) / config
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        raise InputError(f"{shown(folder)}: no parquet files; run `python -m labeling build` first")
    return files


def _fingerprint(files: list[Path]) -> tuple[tuple[str, str], ...]:
    try:
        return tuple((str(p), hashlib.sha256(p.read_bytes()).hexdigest()) for p in files)
    except OSError as exc:
        raise InputError(f"{exc.filename}: cannot read ({exc.strerror})") from None


@lru_cache(maxsize=64)
def _read(fingerprint: tuple[tuple[str, str], ...]) -> dict[str, pd.DataFrame]:
    import datasets
    import pyarrow.parquet as pq

    frames = {}
    for name, _ in fingerprint:
        path = Path(name)
        try:
            table = pq.read_table(path)
            feats = datasets.Features.from_arrow_schema(table.schema)
        except Exception as exc:  # pyarrow and datasets raise many types for a corrupt file
            raise InputError(f"{shown(path)}: not a readable dataset file ({str(exc).splitlines()[0][:160]})") from None
        df = table.to_pandas()
        for column, feature in feats.items():
            element = getattr(feature, "feature", None)
            try:
                if isinstance(feature, datasets.ClassLabel):
                    df[column] = [feature.int2str(int(v)) for v in df[column]]
                elif isinstance(element, datasets.ClassLabel):  # a list of labels (multi-label)
                    df[column] = [[element.int2str(int(x)) for x in v] for v in df[column]]
            except (ValueError, TypeError):
                raise InputError(f"{shown(path)}: column {column!r} holds ids outside its labels") from None
        if "text" in df:
            df["input"] = model_input(df)
        frames[path.stem] = df
    return {s: frames[s] for s in sorted(frames, key=lambda s: (SPLIT_ORDER.index(s) if s in SPLIT_ORDER else 99, s))}


def target_prefix(target: str) -> str:
    """What precedes a sentence for a stance target (`huawei: `), in every model input."""
    return target.replace("_", " ") + ": "


def model_input(df: pd.DataFrame) -> pd.Series:
    """What a model reads: the sentence, prefixed by its stance target where a row has one
    (`huawei: The phone sold out.`), so one text model can learn every target."""
    if "target" in df:
        return df["target"].map(target_prefix) + df["text"]
    return df["text"]


def load_config(config: str, data_dir: str | Path = DATA_DIR) -> dict[str, pd.DataFrame]:
    """split -> frame of one config, with every ClassLabel column as label names (copies)."""
    frames = _read(_fingerprint(_files(config, Path(data_dir))))
    return {split: df.copy() for split, df in frames.items()}


def task_frames(task: str, data_dir: Path = DATA_DIR) -> dict[str, pd.DataFrame]:
    """train / validation / test frames of a task config (columns id, article_id, text, label, fold)."""
    frames = load_config(task, data_dir)
    missing = [s for s in SPLITS if s not in frames]
    if missing:
        raise InputError(f"{shown(Path(data_dir) / task)}: missing split(s) {', '.join(missing)}")
    return frames


def all_rows(task: str, data_dir: Path = DATA_DIR) -> pd.DataFrame:
    """Every benchmark row of a task, in split then file order: what cross-validation uses."""
    frames = task_frames(task, data_dir)
    return pd.concat([frames[s] for s in SPLITS], ignore_index=True)


def data_hash(data_dir: Path = DATA_DIR) -> str:
    """SHA-256 over every parquet file of the dataset (names and bytes), to tie results to data."""
    digest = hashlib.sha256()
    for path in sorted(Path(data_dir).rglob("*.parquet")):
        digest.update(path.relative_to(data_dir).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


CONTRAST_STANCE_EDITS = ("stance_reverse", "stance_none", "stance_favor", "stance_against")


def contrast_rows(task: str, data_dir: Path = DATA_DIR) -> pd.DataFrame:
    """The contrast items as rows of one task, only where verification covered the task's field:
    stance edits for the stance of their target; frame changes and rewordings for topic, frame and
    every stance. Columns: id, source (the original row's id in the task config), article_id,
    edit_type, input, label. Empty when the dataset has no contrast config."""
    from labeling.annotation import schema
    from labeling.release.tasks import REGISTRY

    columns = ["id", "source", "article_id", "edit_type", "input", "label"]
    folder = Path(data_dir) / "contrast"
    if not folder.is_dir():
        return pd.DataFrame(columns=columns)
    items = load_config("contrast", data_dir)["test"]
    spec = REGISTRY[task]
    rows = []
    for item in items.to_dict("records"):
        stance_edit = item["edit_type"] in CONTRAST_STANCE_EDITS
        if spec.field is None or spec.field in schema.STANCE_FIELDS:
            targets = [spec.field[len("stance_"):]] if spec.field else list(schema.TARGETS)
            for target in targets:
                if stance_edit and item["target"] != target:
                    continue
                suffix = f"@{target}" if spec.field is None else ""
                rows.append({"id": item["id"] + suffix, "source": item["source_id"] + suffix,
                             "article_id": item["article_id"], "edit_type": item["edit_type"],
                             "input": target_prefix(target) + item["text"] if spec.field is None else item["text"],
                             "label": item[schema.stance_field(target)]})
        elif spec.field in ("frame", "topic") and not stance_edit:
            rows.append({"id": item["id"], "source": item["source_id"], "article_id": item["article_id"],
                         "edit_type": item["edit_type"], "input": item["text"], "label": item[spec.field]})
    return pd.DataFrame(rows, columns=columns)
