"""Command line of the baselines package: python -m baselines VERB [options]."""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial
from pathlib import Path

from labeling.core import cli
from labeling.core.io import check_output_file, check_output_folder, dumps_json, write_atomic
from labeling.core.paths import DATA_DIR, shown
from labeling.release.tasks import TASKS
from labeling.core.errors import InputError


def cmd_list(args: argparse.Namespace) -> int:
    from .registry import BASELINES

    for name, b in BASELINES.items():
        state = "" if b.available() else "  [needs extra: embeddings]"
        print(f"{name:<20} {b.description}{state}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from . import report, run
    from .registry import BASELINES

    unknown = [n for n in args.baseline or [] if n not in BASELINES]
    if unknown:
        raise InputError(f"--baseline {', '.join(map(repr, unknown))}: unknown; choose from {', '.join(BASELINES)}")
    out = args.out or report.RESULTS_DIR
    official = Path(out).resolve() == report.RESULTS_DIR.resolve()
    if (args.baseline or Path(args.data).resolve() != DATA_DIR.resolve()) and official:
        raise InputError("a run of some baselines, or on another dataset folder, must not replace the full results "
                         "in baselines/results/; pass --out DIR to write it elsewhere")
    if not official:
        check_output_folder(out, args.force)
    if args.profile:
        check_output_file(args.profile)
    results, timings = run.run_all(args.baseline, progress=not args.quiet, optional=args.optional,
                                   data_dir=args.data)
    start = time.perf_counter()
    written = report.write(results, Path(out), data_dir=args.data)
    changed = report.sync_leaderboards(results) if official else []
    report_s = time.perf_counter() - start
    for name, why in results.not_run.items():
        print(f"not run: {name} ({why})")
    print(f"wrote {len(written)} files to {shown(out)}/"
          + "".join(f"; updated the leaderboard of {shown(doc)}" for doc in changed))
    print(f"fit+predict time: {sum(timings.runs.values()):.1f}s over {len(timings.runs)} runs")
    if args.profile:
        profile = {**timings.as_json(), "report_s": report_s}
        write_atomic(args.profile, dumps_json(profile))
        print(f"wrote the stage profile to {shown(args.profile)}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from . import evaluate

    if args.output:
        check_output_file(args.output, inputs=(args.predictions,))
    result = evaluate.score_file(args.task, args.predictions, args.split, args.data, integers=args.integer_labels)
    print(evaluate.format_scores(result))
    if args.output:
        write_atomic(args.output, dumps_json(result))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from . import compare, evaluate
    from .report import RESULTS_DIR

    gold = evaluate.gold_for(args.task, args.split, args.data)
    ids = sorted(gold)
    systems = {}
    for system in (args.a, args.b):
        path = Path(system)
        if not path.exists():
            kind = "cv" if args.split == "cv" else "test"
            path = RESULTS_DIR / "predictions" / args.task / f"{system}.{kind}.jsonl"
            if not path.exists() or args.split not in ("test", "cv"):
                raise InputError(f"{system!r}: neither a predictions file nor a baseline with committed "
                                 f"{args.split} predictions for {args.task} ({shown(path)})")
        predictions = evaluate.check(args.task, path, gold, args.integer_labels)
        systems[system] = [predictions[i] for i in ids]
    result = compare.paired(args.task, [gold[i] for i in ids], systems[args.a], systems[args.b], args.a, args.b)
    fmt = lambda v: "n/a" if v is None else f"{v:.4f}"  # noqa: E731
    ci = result.ci or [None, None]
    print(f"{args.task} ({args.split}, n={result.n}): {args.a} {fmt(result.main_a)} vs {args.b} {fmt(result.main_b)}; "
          f"difference {fmt(result.difference)} [{fmt(ci[0])}, {fmt(ci[1])}] (paired bootstrap, 95%), "
          f"permutation p = {fmt(result.p_value)}")
    if args.output:
        write_atomic(args.output, dumps_json(result.as_json()))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from . import persist, run
    from .registry import BASELINES

    check_output_file(args.out)
    baseline = BASELINES[args.baseline]
    if not baseline.available():
        raise InputError(f"{args.baseline}: needs the optional extra; pip install -e '.[embeddings]'")
    model, params, score = run.fit_on_split(args.task, baseline)
    persist.save(model, args.out, task=args.task, baseline=args.baseline)
    print(f"{args.baseline} on {args.task}: params {params}, validation main score {score:.4f}; saved {args.out}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from labeling.core.io import dumps_jsonl

    from . import data, persist, run

    if args.output:
        check_output_file(args.output, inputs=(args.model,))
    if args.split in ("cv", "train"):
        raise InputError(
            f"--split {args.split}: a model saved by `train` was fitted on the train split, so its predictions on "
            f"{'the train split' if args.split == 'train' else 'every sentence'} would be scored in-sample; "
            "cross-validation predictions come only out of fold, from `python -m baselines run`"
            " (baselines/results/predictions/TASK/NAME.cv.jsonl)")
    model = persist.load(args.model, task=args.task)
    frame = data.task_frames(args.task)[args.split]
    predicted = run.predict(args.task, model, frame["input"])
    rows = [{"id": i, "label": p if isinstance(p, list) else str(p)} for i, p in zip(frame["id"], predicted)]
    if args.output:
        write_atomic(args.output, dumps_jsonl(rows))
    else:
        sys.stdout.write(dumps_jsonl(rows))
    return 0


def cmd_pre_annotate(args: argparse.Namespace) -> int:
    from labeling.annotation import preannotation
    from labeling.corpus.seeds import load_segments

    from .preannotate import pre_annotate

    check_output_file(args.out, inputs=tuple(args.model))
    segments = load_segments()
    if args.articles:
        unknown = sorted(set(args.articles) - {s["article_id"] for s in segments})
        if unknown:
            raise InputError(f"--articles {', '.join(unknown)}: no such article in labeling/segments.jsonl")
        segments = [s for s in segments if s["article_id"] in set(args.articles)]
    predictions = pre_annotate(args.model, segments)
    preannotation.write(args.out, predictions)
    fields = sorted({p.field for p in predictions}, key=preannotation.PREDICTION_FIELDS.index)
    print(f"wrote {len(predictions)} predictions ({', '.join(fields)}) for {len(segments)} segments to {shown(args.out)}")
    return 0


def _count(value: str, least: int = 0) -> int:
    """argparse type: a whole number of at least `least`."""
    if not value.strip().isdigit() or len(value.strip()) > 9 or int(value) < least:
        raise argparse.ArgumentTypeError(f"{value!r}: give a whole number of at least {least}")
    return int(value)


def _counts(value: str, least: int = 0) -> tuple[int, ...]:
    """argparse type: comma-separated whole numbers of at least `least`, e.g. 400,4000."""
    return tuple(_count(v, least) for v in value.split(","))


def cmd_corpus(args: argparse.Namespace) -> int:
    from . import corpus

    if args.scheduler and args.workers is not None:
        raise InputError("--workers sets the size of a local cluster; with --scheduler the cluster's own workers run")
    workers = corpus.default_workers() if args.workers is None else args.workers
    scorer = corpus.scorer_from_file(args.model, args.target)
    summary = corpus.run(args.src, args.out, scorer, sample=args.sample, partitions=args.partitions,
                         workers=workers, scheduler=args.scheduler, strict=args.strict, force=args.force,
                         quiet=args.quiet, inputs=(args.model,))
    print(f"scored {summary.sentences} sentences of {summary.articles} articles ({summary.mode}) into "
          f"{summary.partitions} partition(s) in {shown(args.out)}/; sample of {summary.sample} in sample.jsonl; "
          f"{summary.bad_rows} bad row(s) in bad_rows.jsonl")
    return 0


def cmd_corpus_bench(args: argparse.Namespace) -> int:
    from labeling.core import docblocks
    from labeling.core.paths import README

    from . import corpus_bench

    check_output_file(args.output)
    report = corpus_bench.run(args.sizes, args.workers)
    table = corpus_bench.format_report(report)
    print(table)
    write_atomic(args.output, dumps_json(report))
    print(f"\nwrote {shown(args.output)}")
    if args.update_readme:
        docblocks.sync(README, corpus_bench.BLOCK, table)
        print("updated the corpus scaling block of README.md")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m baselines", description="TechSanctions baselines and scorer.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="list the registered baselines")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser(
        "run",
        help="train and evaluate every baseline on every task, both protocols; write baselines/results/",
        description="Read data/ (build it first with `python -m labeling build`), fit every baseline on every task "
        f"({', '.join(TASKS)}) under the split protocol (tuned on validation, scored on test) and cross-validation "
        "over the dataset's `fold` column (leave-one-article-out on the release, grouped folds on a larger corpus); "
        "write results.json, leaderboard.md, predictions and plots to baselines/results/ as one unit, "
        "then fill the leaderboard block of the README and of the dataset card.",
    )
    p.add_argument("--baseline", action="append", help="run only this baseline (repeatable; needs --out)")
    p.add_argument("--out", type=Path, help="results folder (default: baselines/results/, only for a full run)")
    p.add_argument("--force", action="store_true", help="with --out: write into a non-empty folder")
    p.add_argument("--optional", action="store_true", help="also run optional baselines whose extras are installed")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--profile", type=Path, metavar="FILE",
                   help="also write where the time went (seconds per stage, summed over processes) as JSON")
    p.add_argument("--data", type=Path, default=DATA_DIR,
                   help="dataset folder to read (default: data/; another folder needs --out)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "evaluate",
        help="score a predictions file (CSV or JSONL with id and label)",
        description="Score predictions against the gold labels. The file must hold exactly one "
        "prediction for every row of the evaluated part: columns id and label (a label name; integer ids "
        "only with --integer-labels). Prints scores with 95%% bootstrap intervals; --output writes them as JSON.",
    )
    p.add_argument("--task", required=True, choices=TASKS)
    p.add_argument("--predictions", required=True, type=Path)
    p.add_argument("--split", default="test", choices=("test", "validation", "train", "cv"),
                   help="evaluated part; cv = every benchmark sentence (default: test)")
    p.add_argument("--output", type=Path, help="write the scores as JSON")
    p.add_argument("--data", type=Path, default=DATA_DIR, help="dataset folder with the gold labels (default: data/)")
    p.add_argument("--integer-labels", action="store_true",
                   help="labels are integer ids in the dataset's order (see the error message or the card); "
                   "by default only label names are accepted")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser(
        "compare",
        help="paired comparison of two systems: difference, paired bootstrap interval, permutation p-value",
        description="Compare systems A and B on the same rows: each is a predictions file (as for evaluate) or "
        "the name of a baseline with committed predictions. Prints main(A) - main(B) with a 95%% paired "
        "bootstrap interval and a two-sided paired permutation test's p-value.",
    )
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--task", required=True, choices=TASKS)
    p.add_argument("--split", default="cv", choices=("test", "validation", "train", "cv"),
                   help="evaluated part (default: cv, every benchmark row, out-of-fold predictions)")
    p.add_argument("--data", type=Path, default=DATA_DIR, help="dataset folder with the gold labels")
    p.add_argument("--integer-labels", action="store_true", help="labels are integer ids in the dataset's order")
    p.add_argument("--output", type=Path, help="write the comparison as JSON")
    p.set_defaults(func=cmd_compare)

    from .registry import BASELINES

    p = sub.add_parser(
        "train",
        help="fit one baseline (tuned on validation) and save it as a .skops file",
        description="Fit a baseline on the train split with the hyper-parameters that score best on "
        "validation, and save it with skops (no pickle).",
    )
    p.add_argument("--task", required=True, choices=TASKS)
    p.add_argument("--baseline", required=True, choices=sorted(BASELINES))
    p.add_argument("--out", required=True, type=Path, help="model file to write (.skops)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "predict",
        help="predict a split with a saved .skops model (JSONL id,label for the scorer)",
        description="Load a model saved by `train` (only trusted types are loaded) and write one "
        "prediction per sentence of the split as JSON Lines, ready for `evaluate`.",
    )
    p.add_argument("--model", required=True, type=Path)
    p.add_argument("--task", required=True, choices=TASKS)
    p.add_argument("--split", default="test", choices=("test", "validation", "train", "cv"),
                   help="test or validation (train and cv would be in-sample and are refused)")
    p.add_argument("--output", type=Path, help="file to write (default: standard output)")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser(
        "pre-annotate",
        help="label the segments with saved models, for Label Studio pre-annotation",
        description="For each segment of labeling/segments.jsonl (or of --articles), write each model's "
        "label for its task's annotation field(s) (the pooled stance task: all three stance fields) with "
        "the label's probability as confidence and a model_version naming baseline, task and the model "
        "file's SHA-256 prefix. Read by `python -m labeling labelstudio-export --predictions`.",
    )
    p.add_argument("--model", required=True, type=Path, action="append", help="a .skops model saved by train (repeatable)")
    p.add_argument("--articles", nargs="+", metavar="ID", help="only the segments of these articles")
    p.add_argument("--out", required=True, type=Path, help="predictions file to write (JSON Lines)")
    p.set_defaults(func=cmd_pre_annotate)

    from labeling.annotation import schema
    from labeling.core.paths import DOCS_DIR

    p = sub.add_parser(
        "corpus",
        help="segment, score and rank a corpus of articles for annotation (Dask or one process)",
        description="Read SRC (parquet or JSON Lines with columns article_id and text), segment every "
        "article, score every sentence with a model saved by `train`, and write OUT/: part-NNNNN.parquet "
        "(one row per sentence: id, article_id, paragraph_index, sentence_index, start, end, text, label, "
        "score, margin), sample.jsonl (the K least confident sentences, lowest score first, ties by id) and "
        "bad_rows.jsonl. score is the probability of the predicted label (softmax of the decision function "
        "for models without probabilities); margin is it minus the second highest. Runs on a local Dask "
        "cluster (127.0.0.1, no dashboard), an existing one with --scheduler, or in this process with "
        "--workers 0; all give the same files. Bad rows (no text, empty or whitespace-only text, text that "
        "is not a string, a missing, unsafe or duplicate article_id, a JSON Lines line that is not an "
        "object) are skipped, printed with their row number (1-based; the line number in JSON Lines) and "
        "article id, counted on standard error and listed in OUT/bad_rows.jsonl; with --strict the first "
        "one is an error and nothing is written.",
    )
    p.add_argument("src", type=Path, help="corpus file (.parquet or .jsonl)")
    p.add_argument("out", type=Path, help="output folder (new or empty, unless --force)")
    p.add_argument("--model", required=True, type=Path, help="model file saved by `python -m baselines train`")
    p.add_argument("--target", choices=tuple(schema.TARGETS),
                   help="for a model of the pooled stance task: the target each sentence is scored for")
    p.add_argument("--scheduler", metavar="ADDRESS", help="address of a running Dask scheduler (tcp://HOST:PORT)")
    p.add_argument("--workers", type=_count, metavar="N",
                   help="worker processes of the local cluster; 0 runs in this process without Dask "
                   "(default: the number of CPUs, at most 8)")
    p.add_argument("--single", dest="workers", action="store_const", const=0, help="same as --workers 0")
    p.add_argument("--sample", type=_count, default=100, metavar="K", help="sentences in sample.jsonl (default: 100)")
    p.add_argument("--partitions", type=partial(_count, least=1), metavar="P",
                   help="partitions of the corpus (default: one per 200 articles; never depends on --workers)")
    p.add_argument("--strict", action="store_true", help="refuse the corpus at its first bad row")
    p.add_argument("--force", action="store_true", help="write into a non-empty folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_corpus)

    p = sub.add_parser(
        "corpus-bench",
        help="time the corpus command on synthetic corpora, in one process and on 1 and 2 workers",
        description="Build synthetic corpora (the seed articles repeated with new ids and small "
        "perturbations) in a temporary folder, fit a small model on the train split of data/, and time "
        "`corpus` end to end (cluster start included) for every size and number of workers; write the "
        "figures as JSON and, with --update-readme, the table of the README's corpus-scaling block.",
    )
    p.add_argument("--sizes", type=partial(_counts, least=1), default=(400, 4000), help="corpus sizes in articles (default: 400,4000)")
    p.add_argument("--workers", type=_counts, default=(0, 1, 2),
                   help="local cluster sizes; 0 is the same work in one process, for reference (default: 0,1,2)")
    p.add_argument("--output", type=Path, default=DOCS_DIR / "corpus_benchmark.json",
                   help="JSON file to write (default: docs/corpus_benchmark.json)")
    p.add_argument("--update-readme", action="store_true", help="write the table into README.md")
    p.set_defaults(func=cmd_corpus_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    return cli.run(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
