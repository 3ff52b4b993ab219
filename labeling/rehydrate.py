"""Fill the text columns of a text-free release back in from the user's own copies of the articles."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

from .build import features, swap_in, write_parquet
from .corpus import article_hash, check_article_id
from .segment import InputError, read_article

NOT_COPIED = ("croissant.json",)
"""Its checksums describe the text-free files, so it would be wrong for the rehydrated ones."""
REHYDRATED_NOTE = (
    "> **Rehydrated** from the text-free release with the user's own copies of the articles (each checked "
    "against its SHA-256). Features are read from the parquet files.\n"
)


def rehydrated_card(card: str) -> str:
    """The text-free card without its `dataset_info` (which lacks the text columns) and its note."""
    from .docblocks import replace

    head, sep, body = card.partition("\n---\n")
    lines, keep = head.split("\n"), []
    skipping = False
    for line in lines:
        if line.startswith("dataset_info:"):
            skipping = True
        elif skipping and line and not line.startswith((" ", "-")):
            skipping = False
        if not skipping:
            keep.append(line)
    return replace("\n".join(keep) + sep + body, "release-note", REHYDRATED_NOTE, "README.md")


def load_texts(release_dir: Path, articles_dir: Path) -> dict[str, str]:
    """Article id -> text read from `articles_dir/{id}.txt`, each checked against the release's hash."""
    index = release_dir / "articles" / "full.parquet"
    texts, problems = {}, []
    for row in pq.read_table(index, columns=["article_id", "sha256"]).to_pylist():
        aid = check_article_id(row["article_id"], str(index))
        path = articles_dir / f"{aid}.txt"
        try:
            text = read_article(path)
        except InputError as exc:
            problems.append(str(exc))
            continue
        if article_hash(text) != row["sha256"]:
            problems.append(f"{path}: SHA-256 differs from the release's, so it is not the same text; refused")
            continue
        texts[aid] = text
    if problems:
        raise InputError("; ".join(problems))
    return texts


def sentence_spans(release_dir: Path) -> dict[str, tuple[int, int]]:
    """Segment id -> (start, end), from the sentences config."""
    spans = {}
    for path in sorted((release_dir / "sentences").glob("*.parquet")):
        for row in pq.read_table(path, columns=["id", "start", "end"]).to_pylist():
            spans[row["id"]] = (row["start"], row["end"])
    return spans


def rehydrate(release_dir: Path, articles_dir: Path, out: Path) -> int:
    """Write a copy of the text-free release with every text column filled in; return rows filled."""
    release_dir, articles_dir, out = Path(release_dir), Path(articles_dir), Path(out)
    if not (release_dir / "articles" / "full.parquet").exists():
        raise InputError(f"{release_dir}: not a text-free release (no articles/full.parquet)")
    texts = load_texts(release_dir, articles_dir)
    spans = sentence_spans(release_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{out.name}.tmp-", dir=out.parent))
    filled = 0
    try:
        for path in sorted(p for p in release_dir.rglob("*") if p.is_file()):
            rel = path.relative_to(release_dir)
            if rel.as_posix() in NOT_COPIED:
                continue
            if path.suffix != ".parquet":
                (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
                if rel.as_posix() == "README.md":
                    (tmp / rel).write_text(rehydrated_card(path.read_text(encoding="utf-8")), encoding="utf-8")
                else:
                    shutil.copyfile(path, tmp / rel)
                continue
            config = rel.parts[0]
            rows = pq.read_table(path).to_pylist()
            for row in rows:
                text = texts[row["article_id"]]
                if config == "articles":
                    row["text"] = text
                else:
                    start, end = spans[row["id"]]
                    row["text"] = text[start:end]
            feats = features(config, text=True)
            write_parquet([{k: row[k] for k in feats} for row in rows], feats, tmp / rel)
            filled += len(rows)
        swap_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return filled
