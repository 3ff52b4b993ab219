"""How the corpus command scales: wall time on synthetic corpora for each number of Dask workers.

A synthetic corpus repeats the seed articles under new ids, each copy perturbed (numbers shifted, a
marker word opening one paragraph), so no two articles are equal. Times are end to end (reading,
cluster start, segmenting, scoring, writing) and measured in one run, so compare them as ratios.
"""

from __future__ import annotations

import platform
import os
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from labeling.core.tables import markdown_table
from labeling.corpus import seeds
from labeling.devtools.bench import perturb

from . import corpus

BLOCK = "corpus-scaling"
BENCH_TASK = "topic"
BENCH_BASELINE = "tfidf_logreg"


def write_synthetic_corpus(path: Path, n_articles: int) -> int:
    """A parquet corpus of n perturbed seed copies with new ids; return its size in bytes of text."""
    articles = seeds.load_articles()
    ids = sorted(articles)
    rows = [(f"synthetic-{k:06d}", perturb(articles[ids[k % len(ids)]], k)) for k in range(n_articles)]
    table = pa.table({"article_id": [a for a, _ in rows], "text": [t for _, t in rows]})
    pq.write_table(table, path)
    return sum(len(t.encode("utf-8")) for _, t in rows)


def bench_scorer() -> corpus.Scorer:
    """The model timed: word TF-IDF + logistic regression on the topic task's train split (C = 1)."""
    from . import data, run
    from .registry import BASELINES

    train = data.task_frames(BENCH_TASK)["train"]
    model = run.make_model(BENCH_TASK, BASELINES[BENCH_BASELINE]).set_params(clf__C=1.0)
    return corpus.Scorer(model.fit(train["input"], train["label"]), BENCH_TASK)


def cluster_start(workers: int) -> float:
    """Seconds to start and stop a local cluster of `workers` processes (0 for the single process)."""
    if workers == 0:
        return 0.0
    start = time.perf_counter()
    with corpus.dask_client(None, workers):
        pass
    return time.perf_counter() - start


def run(sizes=(400, 4000), workers=(0, 1, 2)) -> dict:
    """Time the corpus path for every size and number of workers; speed-ups relative to 1 worker."""
    scorer = bench_scorer()
    rows = []
    with tempfile.TemporaryDirectory(prefix="corpus-bench-") as tmp:
        for n in sizes:
            src = Path(tmp) / f"corpus-{n}.parquet"
            mb = write_synthetic_corpus(src, n) / 1e6
            for w in workers:
                out = Path(tmp) / f"out-{n}-{w}"
                start = time.perf_counter()
                summary = corpus.run(src, out, scorer, workers=w, quiet=True)
                seconds = time.perf_counter() - start
                rows.append({"articles": n, "mb": round(mb, 3), "sentences": summary.sentences,
                             "partitions": summary.partitions, "workers": w, "seconds": round(seconds, 2),
                             "sentences_per_s": round(summary.sentences / seconds, 1)})
    for row in rows:
        base = next((r for r in rows if r["articles"] == row["articles"] and r["workers"] == 1), None)
        row["speedup_vs_1_worker"] = round(base["seconds"] / row["seconds"], 2) if base else None
    return {
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "model": f"{BENCH_BASELINE} on {BENCH_TASK}",
        "cluster_start_s": {str(w): round(cluster_start(w), 2) for w in workers},
        "runs": rows,
    }


def format_report(report: dict) -> str:
    """The figures as a Markdown table with the conditions they were measured under."""
    m = report["machine"]
    table = markdown_table(
        ["articles", "sentences", "partitions", "workers", "wall s", "sentences/s", "speed-up vs 1 worker"],
        [[r["articles"], r["sentences"], r["partitions"], r["workers"] or "0 (single process)", f"{r['seconds']:.2f}",
          f"{r['sentences_per_s']:.0f}", "" if r["speedup_vs_1_worker"] is None else f"{r['speedup_vs_1_worker']:.2f}"]
         for r in report["runs"]],
    )
    starts = ", ".join(f"{w} worker(s) {s:.1f} s" for w, s in report["cluster_start_s"].items() if w != "0")
    return "\n".join([
        table, "",
        f"Measured on {m['platform']}, {m['cpus']} CPUs shared with other work, so the figures are noisy: "
        f"read them as ratios within one run. Wall time is end to end (reading, cluster start, segmenting, "
        f"scoring with {report['model']}, writing); starting and stopping the local cluster alone takes {starts}.",
    ])
