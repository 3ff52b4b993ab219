"""Build data/: the Hugging Face dataset (parquet per config and split, card, Croissant, stats).

Inputs are the frozen segments, the validated annotations and the seed articles with their
metadata; nothing downstream (baselines, results) is read. The build fills a temporary folder
and swaps it in under a lock, so data/ is whole at every instant and concurrent builds queue.
"""

from __future__ import annotations

import dataclasses
import filecmp
import tempfile
from pathlib import Path

from ..core import docblocks
from ..core.io import check_output_folder, dumps_json, write_folder
from ..core.paths import DATA_DIR
from . import card, croissant, version
from .configs import features, write_parquet
from .dataset import BuildInputs, BuiltDataset, gather, make

LEADERBOARD_BLOCK = "leaderboard"
"""The card's block that the baselines' report step fills; the build keeps what is there."""


def current_leaderboard(target: Path) -> str | None:
    """The leaderboard block of the card already in `target`, if any."""
    readme = Path(target) / "README.md"
    try:
        return docblocks.content(readme.read_text(encoding="utf-8"), LEADERBOARD_BLOCK)
    except (OSError, UnicodeDecodeError):
        return None


def write_dataset(out: Path, inputs: BuildInputs, text: bool = True, repo_id: str = version.DEFAULT_REPO_ID,
                  leaderboard: str | None = None) -> BuiltDataset:
    """Write every config, the statistics, the licence, the card and the Croissant file into `out`."""
    built = make(inputs, text)
    sizes: dict[str, dict[str, int]] = {}
    for config, by_split in built.tables.items():
        feats = features(config, text)
        for split, rows in by_split.items():
            if not text:
                rows = [{k: v for k, v in r.items() if k in feats} for r in rows]
            sizes.setdefault(config, {})[split] = write_parquet(rows, feats, out / config / f"{split}.parquet")
    built = dataclasses.replace(built, sizes=sizes)
    (out / "stats.json").write_text(dumps_json(built.stats), encoding="utf-8")
    (out / version.LICENSE_FILE).write_text(version.LICENSE_TEXT, encoding="utf-8")
    (out / "README.md").write_text(card.render(built, inputs, repo_id, leaderboard), encoding="utf-8")
    (out / "croissant.json").write_text(dumps_json(croissant.metadata(out, built, repo_id)), encoding="utf-8")
    return built


def build(target: Path = DATA_DIR, text: bool = True, force: bool = False,
          repo_id: str = version.DEFAULT_REPO_ID, leaderboard_from: Path | None = None) -> BuiltDataset:
    """Build the dataset into `target` atomically.

    data/ belongs to the build and is replaced whole; any other folder must be new or empty
    unless `force`, and then only the files the build writes are replaced. The card keeps the
    leaderboard block of the card in `leaderboard_from` (default: `target`)."""
    target = Path(target)
    owned = target.resolve() == DATA_DIR.resolve()
    if not owned:
        check_output_folder(target, force)
    inputs = gather()
    leaderboard = current_leaderboard(leaderboard_from or target)
    return write_folder(target, lambda tmp: write_dataset(tmp, inputs, text, repo_id, leaderboard), replace=owned)


def _comparable(path: Path) -> str | bytes:
    if path.name == "README.md":
        return docblocks.strip(path.read_text(encoding="utf-8"), LEADERBOARD_BLOCK)
    return path.read_bytes()


def check(target: Path = DATA_DIR) -> list[str]:
    """What differs between `target` and a fresh build (empty when up to date).

    The card's leaderboard block is the report step's, so its content is not compared."""
    target = Path(target)
    inputs = gather()
    with tempfile.TemporaryDirectory() as fresh:
        fresh = Path(fresh)
        write_dataset(fresh, inputs)
        have = {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()} if target.is_dir() else set()
        want = {p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file()}
        name = target.name
        problems = [f"missing: {name}/{p}" for p in sorted(want - have)]
        problems += [f"not produced by the build: {name}/{p}" for p in sorted(have - want)]
        for p in sorted(want & have):
            if p == "README.md":
                same = _comparable(fresh / p) == _comparable(target / p)
            else:
                same = filecmp.cmp(fresh / p, target / p, shallow=False)
            if not same:
                problems.append(f"differs: {name}/{p}")
    return problems
