"""Deterministic, atomic file writing shared by every command that writes."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def dumps_jsonl(records: list[dict]) -> str:
    """JSON Lines: one object per line, keys in the order given, non-ASCII kept as is."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def dumps_json(obj) -> str:
    """Pretty JSON with sorted keys, so the same data always gives the same bytes."""
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, text: str) -> None:
    """Write a file through a temporary sibling and a rename, so it is never half-written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
