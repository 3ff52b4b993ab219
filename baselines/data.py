"""The dataset as users read it: `datasets.load_dataset("data", config)`, as pandas frames."""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

import pandas as pd

from labeling.corpus import ROOT

DATA_DIR = ROOT / "data"


@cache
def load_config(config: str, data_dir: str = str(DATA_DIR)) -> dict[str, pd.DataFrame]:
    """split -> frame of one config, with every ClassLabel column as label names."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import datasets

    datasets.disable_progress_bars()
    loaded = datasets.load_dataset(data_dir, config)
    frames = {}
    for split, ds in loaded.items():
        df = ds.to_pandas()
        for name, feature in ds.features.items():
            if isinstance(feature, datasets.ClassLabel):
                df[name] = [feature.int2str(int(v)) for v in df[name]]
        frames[split] = df
    return frames


def task_frames(task: str, data_dir: Path = DATA_DIR) -> dict[str, pd.DataFrame]:
    """train / validation / test frames of a task config (columns id, article_id, text, label, fold)."""
    return load_config(task, str(data_dir))


def all_rows(task: str, data_dir: Path = DATA_DIR) -> pd.DataFrame:
    """Every benchmark row of a task, in split then file order: what cross-validation uses."""
    frames = task_frames(task, data_dir)
    return pd.concat([frames[s] for s in ("train", "validation", "test")], ignore_index=True)


def data_hash(data_dir: Path = DATA_DIR) -> str:
    """SHA-256 over every parquet file of the dataset (names and bytes), to tie results to data."""
    digest = hashlib.sha256()
    for path in sorted(Path(data_dir).rglob("*.parquet")):
        digest.update(path.relative_to(data_dir).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
