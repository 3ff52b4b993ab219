"""Blind annotation passes: the exact packet each pass is given, and the manifest that records it.

A pass sees only its packet: the instruction text, the codebook and the articles with segment ids.
The manifest stores the SHA-256 of each of those parts and of the whole packet, and when the pass
started and finished (UTC), so anyone can check what a pass saw and that it saw nothing else.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

from ..core.io import dumps_json, write_atomic
from ..core.paths import ANNOTATIONS_DIR, CODEBOOK_DIR, ROOT, SEGMENTS_FILE, shown
from ..corpus.seeds import load_segments

INSTRUCTIONS_FILE = CODEBOOK_DIR / "instructions.md"
CODEBOOK_FILE = CODEBOOK_DIR / "codebook.md"


def sha256(data: str | bytes) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def articles_text(segments: list[dict] | None = None) -> str:
    """Every article as its segments, one `[ID] text` line each, under an article heading."""
    segments = load_segments() if segments is None else segments
    out, current = [], None
    for s in segments:
        if s["article_id"] != current:
            current = s["article_id"]
            out.append(f"\n### Article {current}\n")
        out.append(f"[{s['id']}] {s['text']}")
    return "\n".join(out).lstrip("\n") + "\n"


def packet(annotator: str, output: Path) -> str:
    """The whole text a pass is given: instructions, codebook, articles, and where to write."""
    return (
        INSTRUCTIONS_FILE.read_text(encoding="utf-8")
        + "\n---\n\n# The codebook\n\n" + CODEBOOK_FILE.read_text(encoding="utf-8")
        + "\n---\n\n# The articles\n\n" + articles_text()
        + f"\n---\n\nYou are `{annotator}`. Write your pass to: {output}\n"
        + f"Check it with: cd {ROOT} && .venv/bin/python -m labeling check-pass {output}\n"
    )


@dataclass(frozen=True)
class PassManifest:
    """What one pass saw and when."""

    annotator: str
    instructions_sha256: str
    codebook_sha256: str
    segments_sha256: str
    articles_text_sha256: str
    packet_sha256: str
    output: str
    started_utc: str
    finished_utc: str | None = None
    output_sha256: str | None = None


def utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def start(annotator: str, output: Path) -> tuple[str, PassManifest]:
    """The packet for a new pass and its manifest, stamped with the start time."""
    text = packet(annotator, output)
    manifest = PassManifest(
        annotator=annotator,
        instructions_sha256=sha256(INSTRUCTIONS_FILE.read_bytes()),
        codebook_sha256=sha256(CODEBOOK_FILE.read_bytes()),
        segments_sha256=sha256(SEGMENTS_FILE.read_bytes()),
        articles_text_sha256=sha256(articles_text()),
        packet_sha256=sha256(text),
        output=shown(output),
        started_utc=utc_now(),
    )
    return text, manifest


def manifest_path(annotator: str) -> Path:
    return ANNOTATIONS_DIR / f"{annotator}.manifest.json"


def packet_path(annotator: str) -> Path:
    return ANNOTATIONS_DIR / f"{annotator}.packet.md"


def save(manifest: PassManifest) -> None:
    write_atomic(manifest_path(manifest.annotator), dumps_json(asdict(manifest)))


def begin(annotator: str) -> PassManifest:
    """Write the packet a new pass is given (kept verbatim) and its manifest, stamped now."""
    output = ANNOTATIONS_DIR / f"{annotator}.jsonl"
    text, manifest = start(annotator, output)
    write_atomic(packet_path(annotator), text)
    save(manifest)
    return manifest


def finish(annotator: str) -> PassManifest:
    """Stamp the finish time and the SHA-256 of the pass file as handed in."""
    import json

    path = manifest_path(annotator)
    manifest = PassManifest(**json.loads(path.read_text(encoding="utf-8")))
    output = ANNOTATIONS_DIR / f"{annotator}.jsonl"
    done = PassManifest(**{**asdict(manifest), "finished_utc": utc_now(), "output_sha256": sha256(output.read_bytes())})
    save(done)
    return done
