"""Segment, score and rank a corpus of articles for annotation, on one process or on a Dask cluster.

The corpus (parquet or JSON Lines with `article_id` and `text`) is checked row by row in the driver;
bad rows are listed, never silently dropped. The good articles are cut into contiguous partitions that
depend only on the corpus, and every partition goes through `score_partition`, the same function in
both modes: in this process one after another (`workers=0`), or as Dask tasks on a local cluster of
worker processes or on an existing scheduler. Partitions are written as `part-NNNNN.parquet`, so
both modes give the same files.

Confidence: `score` is the model's probability of its predicted label (the label of highest
probability); `margin` is that probability minus the second highest. Models without
`predict_proba` (linear SVM) get probabilities from a softmax of their decision function.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import math
import os
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from labeling.core.errors import InputError
from labeling.core.io import check_output_folder, dumps_jsonl, jsonl_objects, write_folder
from labeling.core.paths import shown
from labeling.corpus.seeds import ARTICLE_ID
from labeling.corpus.segment import segment_text

from .data import target_prefix

ARTICLES_PER_PARTITION = 200
"""Default partition size: partitions follow the corpus alone, never the number of workers."""
DECIMALS = 6
"""Scores are rounded, so the last bits of a float never decide an output byte or a rank."""
SHOWN_BAD_ROWS = 10
"""Bad rows printed one per line on standard error; all of them go to bad_rows.jsonl."""

SENTENCE_SCHEMA = pa.schema([
    ("id", pa.string()),
    ("article_id", pa.string()),
    ("paragraph_index", pa.int32()),
    ("sentence_index", pa.int32()),
    ("start", pa.int32()),
    ("end", pa.int32()),
    ("text", pa.string()),
    ("label", pa.string()),
    ("score", pa.float64()),
    ("margin", pa.float64()),
])
OUTPUT_FILES = ("sample.jsonl", "bad_rows.jsonl")


@dataclass(frozen=True)
class Article:
    """One usable article and its row in the input (1-based; the line number in JSON Lines)."""

    row: int
    article_id: str
    text: str


@dataclass(frozen=True)
class BadRow:
    """A row that cannot be segmented: its row number, its article id when it has one, and why."""

    row: int
    article_id: str | None
    problem: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Corpus:
    """The checked input: the usable articles in file order and the bad rows."""

    source: Path
    articles: list[Article]
    bad_rows: list[BadRow]


@dataclass(frozen=True)
class Scorer:
    """A fitted single-label model, its task, and for the pooled stance task the target it is asked about."""

    model: object
    task: str
    target: str | None = None

    def inputs(self, texts: list[str]) -> list[str]:
        """What the model reads: the sentence, prefixed by the target for the pooled stance task."""
        if self.target is None:
            return texts
        prefix = target_prefix(self.target)
        return [prefix + t for t in texts]

    def __call__(self, texts: list[str]) -> tuple[list[str], list[float], list[float]]:
        """(label, score, margin) of every text."""
        if not texts:
            return [], [], []
        classes, probs = probabilities(self.model, self.inputs(texts))
        order = np.argsort(-probs, axis=1, kind="stable")
        top = probs[np.arange(len(texts)), order[:, 0]]
        second = probs[np.arange(len(texts)), order[:, 1]] if probs.shape[1] > 1 else np.zeros(len(texts))
        labels = [str(classes[i]) for i in order[:, 0]]
        return labels, np.round(top, DECIMALS).tolist(), np.round(top - second, DECIMALS).tolist()


@dataclass(frozen=True)
class Summary:
    """What a run did: counts, the partitions written and how the work was run."""

    articles: int
    sentences: int
    bad_rows: int
    partitions: int
    sample: int
    mode: str


def probabilities(model, inputs: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The model's classes and an (n, classes) matrix of probabilities (softmax of the decision
    function where the model has no predict_proba)."""
    classes = np.asarray(model.classes_)
    if hasattr(model, "predict_proba"):
        probs = np.asarray(model.predict_proba(inputs), dtype=float)
    else:
        scores = np.asarray(model.decision_function(inputs), dtype=float)
        if scores.ndim == 1:  # binary: the decision function is the log-odds of classes_[1]
            scores = np.column_stack([np.zeros_like(scores), scores])
        scores = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    return classes, probs


# Reading and checking the corpus


def _problem(article_id, text, row: int, seen: dict[str, int]) -> tuple[str | None, str | None]:
    """(the article id as a string or None, what is wrong with the row or None)."""
    if isinstance(article_id, bool) or not isinstance(article_id, (str, int)):
        shown_id = None if article_id is None else str(article_id)[:100]
        return shown_id, "no article_id" if article_id is None else "article_id is not a string"
    article_id = str(article_id)
    if not ARTICLE_ID.fullmatch(article_id) or ".." in article_id:
        return article_id, "bad article_id (allowed: letters, digits, _ . -, at most 100 characters)"
    if article_id in seen:
        return article_id, f"duplicate article_id (first at row {seen[article_id]})"
    seen[article_id] = row
    if text is None:
        return article_id, "no text"
    if not isinstance(text, str):
        return article_id, f"text is not a string ({type(text).__name__})"
    if not text.strip():
        return article_id, "empty text"
    return article_id, None


def _rows(src: Path) -> Iterator[tuple[int, object, object, str | None]]:
    """(row number, article_id, text, a problem that stops the row being read) of every row."""
    if src.suffix == ".parquet":
        try:
            table = pq.read_table(src)
        except Exception as exc:  # pyarrow raises several types for files that are not parquet
            raise InputError(f"{shown(src)}: cannot read parquet ({str(exc).splitlines()[0][:160]})") from None
        missing = [c for c in ("article_id", "text") if c not in table.column_names]
        if missing:
            raise InputError(f"{shown(src)}: missing column(s) {', '.join(missing)}")
        ids, texts = table.column("article_id").to_pylist(), table.column("text").to_pylist()
        for n, (article_id, text) in enumerate(zip(ids, texts), start=1):
            yield n, article_id, text, None
        return
    objects, problems = jsonl_objects(src)
    if problems and problems[0].line == 0:
        raise InputError(str(problems[0]))
    rows = [(n, obj.get("article_id"), obj.get("text"), None) for n, obj in objects]
    rows += [(p.line, None, None, p.message) for p in problems]
    yield from sorted(rows, key=lambda r: r[0])


def read_corpus(src: Path, strict: bool = False) -> Corpus:
    """Check every row of a parquet or JSON Lines corpus; with `strict`, the first bad row is an error."""
    src = Path(src)
    if src.suffix not in (".parquet", ".jsonl"):
        raise InputError(f"{shown(src)}: expected a .parquet or .jsonl file with columns article_id and text")
    if not src.exists():
        raise InputError(f"{shown(src)}: no such file")
    if src.is_dir():
        raise InputError(f"{shown(src)}: is a folder, expected a file")
    articles, bad, seen = [], [], {}
    for n, article_id, text, unreadable in _rows(src):
        if unreadable:
            shown_id, problem = None, unreadable
        else:
            shown_id, problem = _problem(article_id, text, n, seen)
        if problem is None:
            articles.append(Article(n, shown_id, text))
            continue
        row = BadRow(n, shown_id, problem)
        if strict:
            raise InputError(f"{shown(src)}: {describe(row)} (--strict refuses bad rows)")
        bad.append(row)
    if not articles:
        raise InputError(f"{shown(src)}: no usable articles ({len(bad)} bad row(s))")
    return Corpus(src, articles, bad)


def describe(row: BadRow) -> str:
    """`row 7: article 'x': empty text`, the form bad rows take in messages."""
    who = f"article {row.article_id!r}: " if row.article_id is not None else ""
    return f"row {row.row}: {who}{row.problem}"


# The work of one partition


def partition(articles: list[Article], n_partitions: int | None = None) -> list[list[Article]]:
    """Contiguous, near-equal chunks in file order; the default count follows the corpus size only."""
    if n_partitions is None:
        n_partitions = math.ceil(len(articles) / ARTICLES_PER_PARTITION)
    n_partitions = max(1, min(n_partitions, len(articles)))
    size, extra = divmod(len(articles), n_partitions)
    out, start = [], 0
    for i in range(n_partitions):
        end = start + size + (1 if i < extra else 0)
        out.append(articles[start:end])
        start = end
    return out


def score_partition(articles: list[Article], scorer: Scorer) -> pa.Table:
    """Segment every article and score every sentence: one row per sentence, in article order."""
    columns: dict[str, list] = {name: [] for name in SENTENCE_SCHEMA.names}
    for article in articles:
        for index, seg in enumerate(segment_text(article.text)):
            columns["id"].append(f"{article.article_id}-{index:03d}")
            columns["article_id"].append(article.article_id)
            columns["paragraph_index"].append(seg.paragraph)
            columns["sentence_index"].append(seg.sentence)
            columns["start"].append(seg.start)
            columns["end"].append(seg.end)
            columns["text"].append(seg.text)
    columns["label"], columns["score"], columns["margin"] = scorer(columns["text"])
    return pa.Table.from_pydict(columns, schema=SENTENCE_SCHEMA)


def least_confident(table: pa.Table, k: int) -> list[dict]:
    """The k rows of lowest score, ties broken by id."""
    if k <= 0:
        return []
    return table.sort_by([("score", "ascending"), ("id", "ascending")]).slice(0, k).to_pylist()


def part_name(index: int) -> str:
    return f"part-{index:05d}.parquet"


# Running it


@contextlib.contextmanager
def dask_client(scheduler: str | None, workers: int) -> Iterator[object]:
    """A client of the scheduler at `scheduler`, or of a local cluster of `workers` processes on
    127.0.0.1 (no dashboard); both are closed on exit."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"--scheduler {scheduler}: cannot connect ({str(exc).splitlines()[0][:160]})") from None
        with client:
            yield client
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        yield client


def _scored(parts: list[list[Article]], scorer: Scorer, scheduler: str | None, workers: int) -> Iterator[tuple[int, pa.Table]]:
    """(partition index, scored table) of every partition, in completion order."""
    if scheduler is None and workers == 0:
        for i, part in enumerate(parts):
            yield i, score_partition(part, scorer)
        return
    from distributed import as_completed

    with dask_client(scheduler, workers) as client:
        remote_scorer = client.scatter(scorer, broadcast=True)
        remote_parts = client.scatter(parts)
        futures = client.map(score_partition, remote_parts, scorer=remote_scorer, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for future, table in as_completed(futures, with_results=True):
            yield index[future.key], table


def _progress(total: int, quiet: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc="scoring partitions", unit="partition", file=sys.stderr, disable=quiet)


def run(src: Path, out: Path, scorer: Scorer, *, sample: int = 100, partitions: int | None = None,
        workers: int = 0, scheduler: str | None = None, strict: bool = False, force: bool = False,
        quiet: bool = False, inputs: tuple[Path, ...] = ()) -> Summary:
    """Segment, score and rank the corpus `src` into the folder `out` (written whole, atomically)."""
    out = Path(out)
    check_output_folder(out, force, inputs=(Path(src), *inputs))
    corpus = read_corpus(src, strict=strict)
    for row in corpus.bad_rows[:SHOWN_BAD_ROWS]:
        print(f"{shown(corpus.source)}: {describe(row)}; skipped", file=sys.stderr)
    if corpus.bad_rows:
        more = len(corpus.bad_rows) - SHOWN_BAD_ROWS
        print(f"skipped {len(corpus.bad_rows)} bad row(s)" + (f" ({more} more not shown)" if more > 0 else "")
              + f"; listed in {shown(out / 'bad_rows.jsonl')}", file=sys.stderr)
    parts = partition(corpus.articles, partitions)
    if not quiet and scheduler is None and workers:
        print(f"starting a local Dask cluster of {workers} worker process(es) on 127.0.0.1", file=sys.stderr)
    owned = out.is_dir() and all(p.name in OUTPUT_FILES or (p.name.startswith("part-") and p.suffix == ".parquet")
                                 for p in out.iterdir())

    def fill(tmp: Path) -> Summary:
        best: list[dict] = []
        sentences = 0
        with _progress(len(parts), quiet) as bar:
            for i, table in _scored(parts, scorer, scheduler, workers):
                pq.write_table(table, tmp / part_name(i))
                sentences += table.num_rows
                best = heapq.nsmallest(sample, best + least_confident(table, sample),
                                       key=lambda r: (r["score"], r["id"]))
                bar.update(1)
        ranked = [{"rank": n, **row} for n, row in enumerate(best, start=1)]
        (tmp / "sample.jsonl").write_text(dumps_jsonl(ranked), encoding="utf-8")
        (tmp / "bad_rows.jsonl").write_text(dumps_jsonl([r.to_dict() for r in corpus.bad_rows]), encoding="utf-8")
        mode = f"dask ({scheduler})" if scheduler else (f"dask, local cluster of {workers}" if workers else "single process")
        return Summary(len(corpus.articles), sentences, len(corpus.bad_rows), len(parts), len(ranked), mode)

    # A folder that holds only an earlier run's output is swapped whole; in a folder shared with
    # other files, partitions of an earlier, larger run are removed so no stale rows remain.
    summary = write_folder(out, fill, replace=owned)
    for stale in sorted(out.glob("part-*.parquet")):
        if stale.name not in {part_name(i) for i in range(summary.partitions)}:
            stale.unlink()
    return summary


def scorer_from_file(path: Path, target: str | None = None) -> Scorer:
    """Load a model saved by `python -m baselines train` and check it can score single sentences."""
    from labeling.annotation import schema
    from labeling.release.tasks import REGISTRY

    from . import persist

    model, task = persist.load_for_its_task(path)
    if REGISTRY[task].multilabel:
        raise InputError(f"{shown(path)}: a model for the multi-label task {task!r}; "
                         "ranking by confidence needs a single-label task")
    if task == "stance":
        if target is None:
            raise InputError(f"{shown(path)}: a model for the pooled stance task; "
                             f"choose the target with --target ({', '.join(schema.TARGETS)})")
    elif target is not None:
        raise InputError(f"--target {target}: only for a model of the pooled stance task (this one is {task!r})")
    if not (hasattr(model, "predict_proba") or hasattr(model, "decision_function")):
        raise InputError(f"{shown(path)}: the model gives neither probabilities nor decision scores")
    return Scorer(model, task, target)


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))
