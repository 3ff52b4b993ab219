"""Where everything lives, relative to the repository root; the one place that names a path."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEEDS_DIR = ROOT / "seeds"
METADATA_FILE = SEEDS_DIR / "metadata.json"
LABELING_DIR = ROOT / "labeling"
SEGMENTS_FILE = LABELING_DIR / "segments.jsonl"
ANNOTATIONS_DIR = LABELING_DIR / "annotations"
CODEBOOK_DIR = LABELING_DIR / "codebook"
DATA_DIR = ROOT / "data"
README = ROOT / "README.md"
DOCS_DIR = ROOT / "docs"


def shown(path: Path | str) -> str:
    """A path as messages show it: relative to the repository when inside it."""
    path = Path(path)
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except (ValueError, OSError, RuntimeError):
        return str(path)
