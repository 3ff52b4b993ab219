"""Command line of the baselines package: python -m baselines VERB [options]."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from labeling import cli
from labeling.files import dumps_json, write_atomic
from labeling.schema import TASKS
from labeling.segment import InputError


def cmd_list(args: argparse.Namespace) -> int:
    from .registry import BASELINES

    for name, b in BASELINES.items():
        state = "" if b.available() else "  [needs extra: embeddings]"
        print(f"{name:<20} {b.description}{state}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from labeling.build import build, refresh_card

    from . import report, run

    state = build()  # data/ from the current seeds and annotations, before anything is trained on it
    results, timings = run.run_all(args.baseline, progress=not args.quiet, optional=args.optional)
    written = report.write(results)
    report.sync_readme(results)
    refresh_card(state)  # the dataset card carries the new leaderboard
    for name, why in results["not_run"].items():
        print(f"not run: {name} ({why})")
    print(f"built data/, wrote {len(written)} files to baselines/results/ and refreshed data/README.md")
    print(f"fit+predict time: {sum(timings.values()):.1f}s over {len(timings)} runs")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from . import evaluate

    result = evaluate.score_file(args.task, args.predictions, args.split)
    print(evaluate.format_scores(result))
    if args.output:
        write_atomic(args.output, dumps_json(result))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from . import persist, run
    from .registry import BASELINES

    baseline = BASELINES[args.baseline]
    if not baseline.available():
        raise InputError(f"{args.baseline}: needs the optional extra; pip install -e '.[embeddings]'")
    model, params, score = run.fit_on_split(args.task, baseline)
    persist.save(model, args.out)
    print(f"{args.baseline} on {args.task}: params {params}, validation main score {score:.4f}; saved {args.out}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from labeling.files import dumps_jsonl

    from . import data, persist

    model = persist.load(args.model)
    frame = data.all_rows(args.task) if args.split == "cv" else data.task_frames(args.task)[args.split]
    rows = [{"id": i, "label": str(p)} for i, p in zip(frame["id"], model.predict(frame["text"]))]
    if args.output:
        write_atomic(args.output, dumps_jsonl(rows))
    else:
        sys.stdout.write(dumps_jsonl(rows))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m baselines", description="TechSanctions baselines and scorer.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="list the registered baselines")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser(
        "run",
        help="train and evaluate every baseline on every task, both protocols; write baselines/results/",
        description="Build data/, then fit every baseline on stance, frame and topic under the split "
        "protocol (tuned on validation, scored on test) and leave-one-article-out cross-validation; "
        "write results.json, leaderboard.md, predictions and plots to baselines/results/, then "
        "refresh the dataset card and the README's leaderboard.",
    )
    p.add_argument("--baseline", action="append", help="run only this baseline (repeatable)")
    p.add_argument("--optional", action="store_true", help="also run optional baselines whose extras are installed")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "evaluate",
        help="score a predictions file (CSV or JSONL with id and label)",
        description="Score predictions against the gold labels. The file must hold exactly one "
        "prediction for every sentence of the evaluated part: columns id and label (label name "
        "or integer id). Prints scores with 95%% bootstrap intervals; --output writes them as JSON.",
    )
    p.add_argument("--task", required=True, choices=TASKS)
    p.add_argument("--predictions", required=True, type=Path)
    p.add_argument("--split", default="test", choices=("test", "validation", "train", "cv"),
                   help="evaluated part; cv = every benchmark sentence (default: test)")
    p.add_argument("--output", type=Path, help="write the scores as JSON")
    p.set_defaults(func=cmd_evaluate)

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
    p.add_argument("--split", default="test", choices=("test", "validation", "train", "cv"))
    p.add_argument("--output", type=Path, help="file to write (default: standard output)")
    p.set_defaults(func=cmd_predict)
    return parser


def main(argv: list[str] | None = None) -> int:
    return cli.run(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
