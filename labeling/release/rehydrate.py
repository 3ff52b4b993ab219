"""Fill the text columns of a text-free release back in from the user's own copies of the articles."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq
from huggingface_hub import DatasetCard

from ..core import docblocks
from ..core.errors import InputError
from ..core.io import check_output_folder, write_folder
from ..core.paths import shown
from ..corpus.seeds import article_hash, check_article_id
from ..corpus.segment import read_article
from .configs import OWN_TEXT_CONFIGS, features, write_parquet

NOT_COPIED = ("croissant.json",)
"""Its checksums describe the text-free files, so it would be wrong for the rehydrated ones."""
REHYDRATED_NOTE = (
    "> **Rehydrated** from the text-free release with the user's own copies of the articles (each checked "
    "against its SHA-256). Features are read from the parquet files.\n"
)


def rehydrated_card(text: str) -> str:
    """The text-free card without its `dataset_info` (which lacks the text columns), with a new note."""
    card = DatasetCard(text)
    card.data.pop("dataset_info", None)
    card.text = docblocks.replace(card.text, "release-note", REHYDRATED_NOTE, "README.md")
    return str(card)


def _read_table(path: Path, columns: list[str] | None = None) -> list[dict]:
    try:
        return pq.read_table(path, columns=columns).to_pylist()
    except Exception as exc:  # pyarrow raises several types for missing columns and corrupt files
        raise InputError(f"{shown(path)}: not a readable release table ({str(exc).splitlines()[0][:160]})") from None


def load_texts(release_dir: Path, articles_dir: Path) -> dict[str, str]:
    """Article id -> text read from `articles_dir/{id}.txt`, each checked against the release's hash."""
    index = release_dir / "articles" / "full.parquet"
    texts, problems = {}, []
    for row in _read_table(index, ["article_id", "sha256"]):
        aid = check_article_id(row["article_id"], shown(index))
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
        for row in _read_table(path, ["id", "start", "end"]):
            spans[row["id"]] = (row["start"], row["end"])
    return spans


def _fill(release_dir: Path, texts: dict[str, str], spans: dict, tmp: Path) -> int:
    filled = 0
    for path in sorted(p for p in release_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(release_dir)
        if rel.as_posix() in NOT_COPIED:
            continue
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        if path.suffix != ".parquet":
            if rel.as_posix() == "README.md":
                (tmp / rel).write_text(rehydrated_card(path.read_text(encoding="utf-8")), encoding="utf-8")
            else:
                shutil.copyfile(path, tmp / rel)
            continue
        config = rel.parts[0]
        if config in OWN_TEXT_CONFIGS:  # the project's own text, already in the release
            shutil.copyfile(path, tmp / rel)
            continue
        rows = _read_table(path)
        for n, row in enumerate(rows):
            if row.get("article_id") not in texts:
                raise InputError(f"{shown(path)}: row {n}: article {row.get('article_id')!r} is not in articles/full.parquet")
            text = texts[row["article_id"]]
            if config == "articles":
                row["text"] = text
            elif row.get("segment_id", row.get("id")) in spans:
                start, end = spans[row.get("segment_id", row.get("id"))]
                row["text"] = text[start:end]
            else:
                raise InputError(f"{shown(path)}: row {n}: id {str(row.get('id'))[:80]!r} has no row in sentences/")
        try:
            feats = features(config, text=True)
        except KeyError:
            raise InputError(f"{shown(path)}: unknown config {config!r}") from None
        missing = [k for k in feats if any(k not in row for row in rows)]
        if missing:
            raise InputError(f"{shown(path)}: missing column(s) {', '.join(missing)}")
        write_parquet([{k: row[k] for k in feats} for row in rows], feats, tmp / rel)
        filled += len(rows)
    return filled


def rehydrate(release_dir: Path, articles_dir: Path, out: Path, force: bool = False) -> int:
    """Write a copy of the text-free release with every text column filled in; return rows filled."""
    release_dir, articles_dir, out = Path(release_dir), Path(articles_dir), Path(out)
    if not (release_dir / "articles" / "full.parquet").exists():
        raise InputError(f"{shown(release_dir)}: not a text-free release (no articles/full.parquet)")
    check_output_folder(out, force, inputs=(release_dir, articles_dir))
    texts = load_texts(release_dir, articles_dir)
    spans = sentence_spans(release_dir)
    return write_folder(out, lambda tmp: _fill(release_dir, texts, spans, tmp), replace=False)
