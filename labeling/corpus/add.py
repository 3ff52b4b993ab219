"""Adding articles to the corpus: byte-for-byte seeds, their metadata, and the frozen segments
extended without changing any existing id.

Everything is read and checked before anything is written, so a bad input changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import InputError
from ..core.io import dumps_jsonl, locked, parse_json, read_text, write_atomic
from ..core.paths import METADATA_FILE, SEEDS_DIR, SEGMENTS_FILE, shown
from .seeds import METADATA_FIELDS, article_paths, check_article_id, load_metadata, load_segments, segment_corpus
from .segment import decode

DATE = re.compile(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?")
URL = re.compile(r"https?://[^\s]+")
DEFAULTS = {"language": "en"}


@dataclass(frozen=True)
class NewArticle:
    """One article to add: its id, its bytes exactly as given, and its metadata record."""

    article_id: str
    data: bytes
    text: str
    metadata: dict
    source: Path


@dataclass(frozen=True)
class Added:
    """What `add` did for one article."""

    article_id: str
    segments: int
    first_id: str
    last_id: str


def read_metadata(path: Path | None, article_id: str) -> dict:
    """A metadata record for `article_id` from a JSON object of any of the metadata fields but id;
    empty strings for what it does not give."""
    given: dict = {}
    if path is not None:
        given = parse_json(read_text(path, "metadata file"), shown(path))
        if not isinstance(given, dict):
            raise InputError(f"{shown(path)}: expected a JSON object with any of "
                             f"{', '.join(f for f in METADATA_FIELDS if f != 'id')}")
        unknown = sorted(set(given) - set(METADATA_FIELDS) - {"id"})
        if unknown:
            raise InputError(f"{shown(path)}: unknown field(s) {', '.join(map(repr, unknown))} "
                             f"(allowed: {', '.join(f for f in METADATA_FIELDS if f != 'id')})")
        if "id" in given and given["id"] != article_id:
            raise InputError(f"{shown(path)}: id {given['id']!r} differs from the article id {article_id!r}")
        for key, value in given.items():
            if not isinstance(value, str):
                raise InputError(f"{shown(path)}: {key} must be a string, got {type(value).__name__}")
        if given.get("published") and not DATE.fullmatch(given["published"]):
            raise InputError(f"{shown(path)}: published {given['published']!r} is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)")
        if given.get("url") and not URL.fullmatch(given["url"]):
            raise InputError(f"{shown(path)}: url {given['url'][:80]!r} is not an http(s) address")
    record = {field: given.get(field, DEFAULTS.get(field, "")) for field in METADATA_FIELDS}
    record["id"] = article_id
    return record


def prepare(files: list[Path], article_id: str | None = None, metadata: Path | None = None,
            seeds_dir: Path = SEEDS_DIR) -> list[NewArticle]:
    """Read and check the articles to add; raise an InputError naming the file at the first problem."""
    if len(files) > 1 and (article_id or metadata):
        raise InputError("--id and --metadata name one article; add several articles one command each, "
                         "or without them (ids from the file names)")
    existing = {p.stem: hashlib.sha256(p.read_bytes()).hexdigest() for p in article_paths(seeds_dir)}
    by_hash = {digest: aid for aid, digest in existing.items()}
    out: list[NewArticle] = []
    for path in files:
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
        text = decode(data, str(path))
        aid = article_id or path.stem
        check_article_id(aid, f"{path}: id" if article_id else f"{path}: file name (use --id)")
        if aid in existing:
            raise InputError(f"{path}: article id {aid!r} exists already ({shown(seeds_dir / (aid + '.txt'))})")
        digest = hashlib.sha256(data).hexdigest()
        if digest in by_hash:
            raise InputError(f"{path}: the same bytes (SHA-256 {digest[:16]}…) are already in the corpus "
                             f"as article {by_hash[digest]!r}")
        existing[aid] = digest
        by_hash[digest] = aid
        out.append(NewArticle(aid, data, text, read_metadata(metadata, aid), path))
    return out


def add(files: list[Path], article_id: str | None = None, metadata: Path | None = None,
        seeds_dir: Path = SEEDS_DIR, metadata_file: Path = METADATA_FILE,
        segments_file: Path = SEGMENTS_FILE) -> list[Added]:
    """Copy the articles into the seeds, record their metadata and append their segments."""
    with locked(seeds_dir):
        new = prepare(files, article_id, metadata, seeds_dir)
        records = load_metadata(metadata_file)
        segments = load_segments(segments_file)
        added_segments = segment_corpus({a.article_id: a.text for a in new})
        all_metadata = sorted([*records.values(), *(a.metadata for a in new)], key=lambda r: r["id"])
        all_segments = sorted([*segments, *added_segments], key=lambda s: (s["article_id"], s["index"]))
        for article in new:
            write_atomic(seeds_dir / f"{article.article_id}.txt", article.data)
        write_atomic(metadata_file, json.dumps(all_metadata, indent=2, ensure_ascii=False) + "\n")
        write_atomic(segments_file, dumps_jsonl(all_segments))
    report = []
    for article in new:
        ids = [s["id"] for s in added_segments if s["article_id"] == article.article_id]
        report.append(Added(article.article_id, len(ids), ids[0], ids[-1]))
    return report
