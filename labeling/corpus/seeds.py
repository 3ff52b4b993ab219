"""The seed corpus and its frozen segmentation: article ids, metadata, and segments.jsonl."""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from pathlib import Path

from ..core.errors import InputError
from ..core.io import dumps_jsonl, parse_json, read_jsonl, read_text
from ..core.paths import METADATA_FILE, ROOT, SEEDS_DIR, SEGMENTS_FILE, shown
from .segment import read_article, segment_text


ARTICLE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
"""Safe characters for an article id, which becomes part of file names."""

METADATA_FIELDS = ("id", "title", "outlet", "published", "url", "license", "evidence", "language", "notes")
"""`published` is an ISO date (or empty), `url` the source address, `license` the terms of the text; empty
where the article does not show them."""
SEGMENT_FIELDS = ("id", "article_id", "index", "paragraph", "sentence", "start", "end", "sha256", "text")


def shown(path: Path) -> str:
    """A path as messages show it: relative to the repository when inside it."""
    path = Path(path)
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def check_article_id(article_id: str, where: str) -> str:
    """Return the id if it is safe to use in a path, else raise an InputError naming the place."""
    if not ARTICLE_ID.fullmatch(article_id) or ".." in article_id:
        raise InputError(f"{where}: unsafe article id {article_id!r} (allowed: letters, digits, _ . -)")
    return article_id


def article_paths(seeds_dir: Path = SEEDS_DIR) -> list[Path]:
    """The seed article files, sorted by id."""
    paths = sorted(seeds_dir.glob("*.txt"))
    for path in paths:
        check_article_id(path.stem, str(path))
    return paths


def load_articles(seeds_dir: Path = SEEDS_DIR) -> dict[str, str]:
    """Article id -> decoded text, for every seed."""
    return {path.stem: read_article(path) for path in article_paths(seeds_dir)}


def load_metadata(path: Path = METADATA_FILE) -> dict[str, dict]:
    """Article id -> metadata record, checked for its fields."""
    records = parse_json(read_text(path, "metadata file"), shown(path))
    if not isinstance(records, list):
        raise InputError(f"{shown(path)}: expected a JSON list of article records")
    out = {}
    for i, record in enumerate(records):
        if not isinstance(record, dict) or set(record) != set(METADATA_FIELDS):
            raise InputError(f"{path}: record {i}: fields must be exactly {', '.join(METADATA_FIELDS)}")
        out[check_article_id(record["id"], f"{path}: record {i}")] = record
    return out


def text_hash(text: str) -> str:
    """Short SHA-256 of a segment text, stored beside each id so a shifted segment is caught."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def article_hash(text: str) -> str:
    """Full SHA-256 of an article's decoded text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def segment_corpus(articles: dict[str, str]) -> list[dict]:
    """One record per segment of every article, with its stable id."""
    records = []
    for article_id, text in sorted(articles.items()):
        for index, seg in enumerate(segment_text(text)):
            records.append(
                {
                    "id": f"{article_id}-{index:03d}",
                    "article_id": article_id,
                    "index": index,
                    "paragraph": seg.paragraph,
                    "sentence": seg.sentence,
                    "start": seg.start,
                    "end": seg.end,
                    "sha256": text_hash(seg.text),
                    "text": seg.text,
                }
            )
    return records


def load_segments(path: Path = SEGMENTS_FILE) -> list[dict]:
    """The committed segmentation; a missing, undecodable or malformed file is a one-line InputError."""
    records = read_jsonl(path, "segments file")
    for n, record in enumerate(records, start=1):
        missing = [k for k in SEGMENT_FIELDS if k not in record]
        if missing:
            raise InputError(f"{shown(path)}: record {n}: missing field(s) {', '.join(missing)}; "
                             "run `python -m labeling segments` to refreeze")
    return records


def segments_diff(path: Path = SEGMENTS_FILE, seeds_dir: Path = SEEDS_DIR) -> str:
    """A unified diff from the committed segmentation to a fresh one; empty when they agree."""
    fresh = dumps_jsonl(segment_corpus(load_articles(seeds_dir)))
    committed = read_text(path, "segments file") if path.exists() else ""
    return "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            fresh.splitlines(keepends=True),
            fromfile=f"{path.name} (committed)",
            tofile=f"{path.name} (re-segmented seeds)",
            n=0,
        )
    )
