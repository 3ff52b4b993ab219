"""Generated blocks inside hand-written Markdown (README, codebook): `<!-- NAME:start -->` …
`<!-- NAME:end -->`. Commands fill them; tests and `build --check` fail when one is stale."""

from __future__ import annotations

import re
from pathlib import Path

from .io import write_atomic


def _pattern(name: str) -> re.Pattern:
    return re.compile(rf"(<!-- {name}:start -->\n)(.*?)(<!-- {name}:end -->)", re.S)


def strip(text: str, name: str) -> str:
    """The text without the block's content (markers kept)."""
    return _pattern(name).sub(r"\1\3", text)


def replace(text: str, name: str, content: str, where: str) -> str:
    pattern = _pattern(name)
    if not pattern.search(text):
        raise KeyError(f"{where}: no <!-- {name}:start --> … <!-- {name}:end --> block")
    body = content.rstrip("\n") + "\n"
    return pattern.sub(lambda m: m.group(1) + body + m.group(3), text, count=1)


def sync(path: Path, name: str, content: str) -> bool:
    """Fill the block in the file; return whether the file changed."""
    text = path.read_text(encoding="utf-8")
    new = replace(text, name, content, str(path))
    if new != text:
        write_atomic(path, new)
    return new != text


def is_current(path: Path, name: str, content: str) -> bool:
    text = path.read_text(encoding="utf-8")
    return replace(text, name, content, str(path)) == text


def content(text: str, name: str) -> str | None:
    """The block's content, or None when the text has no such block."""
    match = _pattern(name).search(text)
    return match.group(2) if match else None
