"""What `baselines run` writes: results.json, leaderboard.md, predictions and plots."""

from __future__ import annotations

import copy
from pathlib import Path

from labeling.annotation import schema
from labeling.release.tasks import labels as task_labels
from labeling.release.tasks import TASKS
from labeling.core import docblocks
from labeling.core.io import dumps_json, dumps_jsonl, write_folder
from labeling.core.paths import DATA_DIR, README, ROOT
from labeling.core.tables import markdown_table
from labeling.release.tasks import MAIN_SCORE_NAMES as MAIN_NAMES
from labeling.release.tasks import REGISTRY

from .metrics import METRICS

RESULTS_DIR = ROOT / "baselines" / "results"
LEADERBOARD_DOCS = (README, DATA_DIR / "README.md")
"""Documents whose `leaderboard` block the report step fills."""
PROTOCOL_TITLES = {
    "split": "test split (hyper-parameters chosen on validation)",
    "cv": "leave-one-article-out cross-validation (pooled predictions; per-fold mean ± std)",
}


GROUPED_CV_TITLE = "cross-validation over article-disjoint folds (pooled predictions; per-fold mean ± std)"
"""The cv protocol's title when the corpus is large enough for grouped folds instead of one article each."""


def grouped(results: dict) -> bool:
    """Whether the results' cross-validation folds hold several articles each (grouped K-fold)."""
    return any("articles" in f for r in results["runs"] for f in r["cv"]["folds"])


def protocol_title(results: dict, protocol: str) -> str:
    return GROUPED_CV_TITLE if protocol == "cv" and grouped(results) else PROTOCOL_TITLES[protocol]


def _ci(value: float | None, interval: list[float] | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" + (f" [{interval[0]:.3f}, {interval[1]:.3f}]" if interval else "")


def _main(run: dict, protocol: str) -> float:
    """A run's main score for ranking; an undefined score ranks last."""
    evaluation = run[protocol]["evaluation"]
    value = None if evaluation is None else evaluation["main"]
    return -1.0 if value is None else value


def _versus(sig: dict, family: str, run: dict) -> str:
    """`+0.123 (p 0.004)*` for a baseline compared with the best or the majority; * where the
    Holm-corrected p is below 0.05."""
    if run["kind"] != "baseline":
        return ""
    entry = sig.get(family, {}).get(run["baseline"])
    if entry is None:
        return "–"
    if entry["p_holm"] is None:
        return "n/a"
    star = "*" if entry["p_holm"] < 0.05 else ""
    return f"{entry['difference']:+.3f} (p {entry['p_holm']:.3f}){star}"


def contrast_markdown(results: dict) -> str:
    """Per task: each baseline's accuracy on the contrast items (out of fold), on their originals, by
    edit type, and its contrast consistency."""
    parts = []
    for task in [t for t in TASKS if t in results["metrics"]]:
        runs = [r for r in ranked(results, task, "cv") if r["kind"] == "baseline" and r["cv"].get("contrast")]
        if not runs:
            continue
        types = sorted({k for r in runs for k in r["cv"]["contrast"]["accuracy_by_edit_type"]})
        rows = []
        for r in runs:
            c = r["cv"]["contrast"]
            rows.append([f"`{r['baseline']}`", c["n_items"], f"{c['accuracy']:.3f}", f"{c['original_accuracy']:.3f}",
                         f"{c['consistency']:.3f}",
                         *[f"{c['accuracy_by_edit_type'][k]['accuracy']:.3f}" if k in c["accuracy_by_edit_type"] else "–"
                           for k in types]])
        header = ["baseline", "items", "accuracy on edits", "accuracy on originals", "consistency", *types]
        parts.append(f"**{task}**, contrast set (each item predicted by the model that never saw its article)\n\n"
                     + markdown_table(header, rows))
    return "\n\n".join(parts)


def evaluation_only_markdown(results: dict) -> str:
    """Evaluation-only protocol: every benchmark row is test data; main score, mean ± std over seeds."""
    ev = results.get("evaluation_only") or {}
    tasks = [t for t in TASKS if t in ev]
    if not tasks:
        return ""
    keys = sorted(((system, k) for system, by_k in ev[tasks[0]].items() for k in by_k),
                  key=lambda sk: (int(sk[1].split("=")[1]), sk[0]))
    rows = []
    for system, k in keys:
        cells = []
        for task in tasks:
            entry = ev[task][system][k]
            cells.append("n/a" if entry["main_mean"] is None else
                         f"{entry['main_mean']:.3f}" + (f" ± {entry['main_std']:.3f}" if len(entry["seeds"]) > 1 else ""))
        rows.append([f"`{system}`", k.replace("k=", ""), *cells])
    header = ["system", "examples per class", *[f"{t} ({MAIN_NAMES[METRICS[t].main]})" for t in tasks]]
    return markdown_table(header, rows)


def detectable_markdown(results: dict) -> str:
    """The minimum detectable difference per task and protocol (alpha 0.05, power 0.8)."""
    rows = []
    for task in [t for t in TASKS if t in results.get("significance", {})]:
        cells = []
        for protocol in ("cv", "split"):
            mdd = results["significance"][task].get(protocol, {}).get("minimum_detectable_difference") or {}
            cells.append("not reachable" if mdd.get("difference") is None else f"{mdd['difference']:.3f}")
        rows.append([f"`{task}`", *cells])
    cv = "article-disjoint folds" if grouped(results) else "leave-one-article-out"
    return markdown_table(["task", cv, "test split"], rows)


def ranked(results: dict, task: str, protocol: str) -> list[dict]:
    """Runs of one task, baselines by main score (best first), then the annotators (an annotator
    pass with no rows in the protocol's evaluation, e.g. one that labelled only added articles, is left out)."""
    runs = [r for r in results["runs"] if r["task"] == task and r[protocol]["evaluation"] is not None]
    key = lambda r: (-_main(r, protocol), r["baseline"])  # noqa: E731
    return sorted((r for r in runs if r["kind"] == "baseline"), key=key) + sorted(
        (r for r in runs if r["kind"] == "annotator"), key=key
    )


def leaderboard_markdown(results: dict, protocol: str | None = None) -> str:
    """One table per task and protocol: main score and macro-F1 with 95% intervals, accuracy."""
    parts = []
    for protocol_name in [protocol] if protocol else list(PROTOCOL_TITLES):
        for task in [t for t in TASKS if t in results["metrics"]]:
            main_name = MAIN_NAMES[METRICS[task].main]
            extra_macro = METRICS[task].main != "macro_f1"
            header = ["rank", "baseline", f"{main_name} [95% CI]", *(["macro-F1 [95% CI]"] if extra_macro else []),
                      "accuracy"]
            if protocol_name == "cv":
                header.append(f"{main_name} per fold, mean ± std")
            header += ["Δ vs best, Holm p", "Δ vs majority, Holm p"]
            sig = results.get("significance", {}).get(task, {}).get(protocol_name, {})
            rows = []
            rank = 0
            for run in ranked(results, task, protocol_name):
                ev = run[protocol_name]["evaluation"]
                if run["kind"] == "baseline":
                    rank += 1
                    shown_rank, name = str(rank), f"`{run['baseline']}`"
                else:
                    shown_rank, name = "–", f"{run['baseline']} vs the other passes (annotator)"
                row = [shown_rank, name, _ci(ev["main"], ev["ci"]["main"]),
                       *([_ci(ev["macro_f1"], ev["ci"]["macro_f1"])] if extra_macro else []), f"{ev['accuracy']:.3f}"]
                if protocol_name == "cv":
                    cv = run["cv"]
                    row.append("n/a" if cv["mean"]["main"] is None else f"{cv['mean']['main']:.3f} ± {cv['std']['main']:.3f}")
                row += [_versus(sig, "vs_best", run), _versus(sig, "vs_majority", run)]
                rows.append(row)
            title = f"**{task}**, {protocol_title(results, protocol_name)}; main score: {METRICS[task].description}"
            parts.append(title + "\n\n" + markdown_table(header, rows))
    return "\n\n".join(parts)


def clears_floor(results: dict, task: str, protocol: str,
                 roles: tuple[str, ...] = ("floor", "reference", "model")) -> dict | None:
    """Whether the best baseline's (of the given roles) main-score interval lies above the majority's;
    None when the run has no such baseline or no majority floor to compare with."""
    runs = [r for r in ranked(results, task, protocol) if r["kind"] == "baseline"]
    best = next((r for r in runs if results["roles"].get(r["baseline"], "model") in roles), None)
    majority = next((r for r in runs if r["baseline"] == "majority"), None)
    if best is None or majority is None:
        return None
    if not best[protocol]["evaluation"]["ci"]["main"] or not majority[protocol]["evaluation"]["ci"]["main"]:
        return None
    lo = best[protocol]["evaluation"]["ci"]["main"][0]
    hi = majority[protocol]["evaluation"]["ci"]["main"][1]
    return {"best": best["baseline"], "best_lower": lo, "majority_upper": hi, "clears": lo > hi}


def split_predictions(results: dict) -> tuple[dict, dict[str, list[dict]]]:
    """Results without the per-sentence predictions, and the predictions as files' rows."""
    results = copy.deepcopy(results)
    files = {}
    for run in results["runs"]:
        for protocol in ("split", "cv"):
            predictions = run[protocol].pop("predictions", None)
            if predictions is not None:
                name = f"{run['task']}/{run['baseline']}.{'test' if protocol == 'split' else 'cv'}.jsonl"
                files[name] = [{"id": i, "label": label} for i, label in sorted(predictions.items())]
    return results, files


def plot_confusion(results: dict, task: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    best = next(r for r in ranked(results, task, "cv") if r["kind"] == "baseline")
    conf = best["cv"]["evaluation"]["confusion"]
    keep = [i for i, row in enumerate(conf["matrix"]) if sum(row) or sum(r[i] for r in conf["matrix"])]
    labels = [conf["labels"][i] for i in keep]
    matrix = [[conf["matrix"][i][j] for j in keep] for i in keep]
    fig, ax = plt.subplots(figsize=(max(4.5, 1.6 + 0.6 * len(labels)), max(4.0, 1.4 + 0.55 * len(labels))))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for i, row in enumerate(matrix):
        for j, v in enumerate(row):
            ax.text(j, i, str(v), ha="center", va="center", fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    pooled = (f"pooled predictions of {len(best['cv']['folds'])} article-disjoint folds" if grouped(results)
              else "pooled leave-one-article-out predictions")
    ax.set_title(f"{task}: {best['baseline']}\n({pooled})", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def plot_labels(stats: dict, task: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(task_labels(task))
    fig, ax = plt.subplots(figsize=(max(4.5, 0.5 * len(labels) + 2), 4.5))
    width = 0.27
    for k, split in enumerate(("train", "validation", "test")):
        counts = [stats[task][split]["labels"]["label"].get(label, 0) for label in labels]
        ax.bar([i + (k - 1) * width for i in range(len(labels))], counts, width, label=split)
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("sentences")
    ax.set_title(f"{task}: gold labels per split", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def write(results, out: Path = RESULTS_DIR, stats: dict | None = None, data_dir: Path = DATA_DIR) -> list[Path]:
    """Write results.json, leaderboard.md, predictions/ and the plots as one unit; return their paths.

    Everything is staged in a temporary folder that then replaces `out` whole, so a reader never
    sees new results beside old predictions, and a killed run leaves the old folder intact."""
    import json

    results = results.as_json() if hasattr(results, "as_json") else results
    out = Path(out)
    if stats is None:
        stats = json.loads((Path(data_dir) / "stats.json").read_text(encoding="utf-8"))

    def fill(tmp: Path) -> list[Path]:
        _write_all(results, tmp, stats)
        return [out / p.relative_to(tmp) for p in sorted(tmp.rglob("*")) if p.is_file()]

    return write_folder(out, fill, replace=True)


def _write_all(results: dict, out: Path, stats: dict) -> None:
    summary, predictions = split_predictions(results)

    def put(rel: str, text: str) -> None:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text, encoding="utf-8")

    put("results.json", dumps_json(summary))
    floors = "\n".join(
        f"- {task}, {protocol}, best {which}: `{c['best']}` lower bound {c['best_lower']:.3f} "
        f"{'>' if c['clears'] else '<='} majority upper bound {c['majority_upper']:.3f}: "
        f"{'clears' if c['clears'] else 'does not clear'} the floor"
        for task in TASKS if task in summary["metrics"] for protocol in PROTOCOL_TITLES
        for which, roles in (("overall", ("floor", "reference", "model")), ("learned model", ("model",)))
        for c in [clears_floor(summary, task, protocol, roles)] if c is not None
    ) or "- not judged: this run lacks the majority floor or a learned model"
    prov = summary["provenance"]
    from .run import GROUPED_FOLDS, LEAVE_ONE_ARTICLE_OUT_MAX

    protocol_note = (f"This corpus has more than {LEAVE_ONE_ARTICLE_OUT_MAX} articles, so cross-validation is "
                     f"grouped {GROUPED_FOLDS}-fold instead of leave-one-article-out: the dataset's `fold` column "
                     f"(article-disjoint, stratified), and tuning leaves one of the other folds out.\n\n"
                     if grouped(summary) else "")
    put(
        "leaderboard.md",
        f"# TechSanctions leaderboard\n\nDataset {prov['dataset_version']} (data sha256 "
        f"`{prov['data_sha256'][:16]}…`), techsanctions {prov['techsanctions']}, scikit-learn "
        f"{prov['scikit-learn']}; 95% percentile bootstrap intervals over sentences "
        f"({prov['bootstrap']['resamples']} resamples, seed {prov['bootstrap']['seed']}). Ranked by "
        f"{summary['ranked_by']['split']} (split) and {summary['ranked_by']['cv']} (cv).\n\n"
        f"{protocol_note}{leaderboard_markdown(summary)}\n\n## Does the best baseline clear the majority floor?\n\n{floors}\n"
        + (f"\n## Contrast set\n\nAccuracy on the verified contrast items and contrast consistency (the share of "
           f"groups, an original and all its edits, predicted right throughout; Gardner et al. 2020).\n\n"
           f"{contrast_markdown(summary)}\n" if contrast_markdown(summary) else "")
        + (f"\n## Evaluation only\n\n{evaluation_only_markdown(summary)}\n" if evaluation_only_markdown(summary) else "")
        + f"\n## Smallest detectable difference\n\n{detectable_markdown(summary)}\n"
        + "".join(f"\nNot run: `{name}`, {why}.\n" for name, why in summary["not_run"].items()),
    )
    for name, rows in predictions.items():
        put(f"predictions/{name}", dumps_jsonl(rows))
    plots = [(kind, task, out / f"{kind}_{task}.png") for task in TASKS
             if task in summary["metrics"] and not REGISTRY[task].multilabel for kind in ("confusion", "labels")]
    draw_plots(summary, stats, plots)


def _draw(summary: dict, stats: dict, kind: str, task: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "confusion":
        plot_confusion(summary, task, path)
    else:
        plot_labels(stats, task, path)


def draw_plots(summary: dict, stats: dict, plots: list[tuple[str, str, Path]]) -> None:
    """Draw the plots, on every core through forked workers (each plot is drawn by the same code
    either way, so the files are the same)."""
    import multiprocessing
    import os

    workers = min(len(plots), os.cpu_count() or 1)
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for kind, task, path in plots:
            _draw(summary, stats, kind, task, path)
        return
    from concurrent.futures import ProcessPoolExecutor
    from functools import partial

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401  (imported once, before the workers fork)

    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        list(pool.map(partial(_draw, summary, stats), *zip(*plots)))


def summary_markdown(results: dict) -> str:
    """One compact table per protocol: a row per baseline, the main score [95% CI] per task."""
    tasks = [t for t in TASKS if t in results["metrics"]]
    parts = []
    for protocol in ("cv", "split"):
        rows = []
        names = {r["baseline"]: r["kind"] for r in results["runs"]}
        order = sorted(names, key=lambda n: (names[n] != "baseline", -next(
            (_main(r, protocol) for r in results["runs"] if r["baseline"] == n and r["task"] == tasks[0]), 0), n))
        for name in order:
            cells = []
            for task in tasks:
                run = next((r for r in results["runs"] if r["baseline"] == name and r["task"] == task), None)
                ev = run[protocol]["evaluation"] if run else None
                cells.append(_ci(ev["main"], ev["ci"]["main"]) if ev else "–")
            label = f"`{name}`" if names[name] == "baseline" else f"{name} (annotator, vs the other passes)"
            rows.append([label, *cells])
        header = ["baseline", *[f"{t} ({MAIN_NAMES[METRICS[t].main]})" for t in tasks]]
        parts.append(f"**{protocol_title(results, protocol)}**\n\n" + markdown_table(header, rows))
    return "\n\n".join(parts)


def readme_block(results: dict) -> str:
    """The leaderboard block of the README and the dataset card: main scores, both protocols, and
    the smallest difference each can detect."""
    summary = split_predictions(results)[0]
    evaluation_only = evaluation_only_markdown(summary)
    if evaluation_only:
        evaluation_only = ("\n\n**Evaluation only (zero- and few-shot; every benchmark row is test data, examples "
                           "only from the `fewshot` pool; mean ± std over seeds 0, 1, 2)**\n\n" + evaluation_only)
    return (summary_markdown(summary) + evaluation_only + "\n\n**Smallest difference in main score a paired permutation test detects "
            "(α = 0.05, power 0.8)**, simulated from the best baseline's predictions by correcting its errors at "
            "random (`baselines/compare.py`); differences below it cannot be told apart on this data:\n\n"
            + detectable_markdown(summary))


def sync_leaderboards(results, documents=LEADERBOARD_DOCS) -> list[Path]:
    """Fill the leaderboard block of the README and the dataset card; return those that changed."""
    results = results.as_json() if hasattr(results, "as_json") else results
    block = readme_block(results)
    return [doc for doc in documents if doc.exists() and docblocks.sync(doc, "leaderboard", block)]
