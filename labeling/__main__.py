"""Command line of the labeling package: python -m labeling VERB [options].

Each verb imports its stage when it runs, so that quick verbs (segment, validate) do not pay for
the dataset and plotting libraries.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

from .core import cli, docblocks
from .core.errors import CheckFailed, InputError
from .core.io import check_output_file, dumps_json, dumps_jsonl, write_atomic
from .core.paths import ANNOTATIONS_DIR, DATA_DIR, DOCS_DIR, README, SEGMENTS_FILE, shown
from .corpus import seeds as corpus
from .corpus.segment import decode, read_article, segment_text


def positive_float(value: str) -> float:
    """argparse type: a finite number above zero."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not math.isfinite(number) or number <= 0:
        raise argparse.ArgumentTypeError(f"{value!r}: give a finite number above 0")
    return number


def positive_int(value: str) -> int:
    """argparse type: a whole number of at least 1."""
    if not re.fullmatch(r"[0-9]{1,9}", value.strip()) or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: give a whole number of at least 1")
    return int(value)


def size_list(value: str) -> tuple[int, ...]:
    """argparse type: comma-separated whole numbers of at least 1, e.g. 4,40,400."""
    parts = value.split(",")
    if not parts or not all(re.fullmatch(r"[0-9]{1,7}", p.strip()) and int(p) >= 1 for p in parts):
        raise argparse.ArgumentTypeError(f"{value!r}: give comma-separated whole numbers of at least 1, e.g. 4,40,400")
    return tuple(int(p) for p in parts)


def cmd_segment(args: argparse.Namespace) -> int:
    if args.file is None:
        text = decode(sys.stdin.buffer.read(), "<stdin>")
    else:
        text = read_article(args.file)
    out = sys.stdout
    for seg in segment_text(text):
        out.write(dumps_jsonl([seg.to_dict()]))
    return 0


def cmd_segments(args: argparse.Namespace) -> int:
    if args.check:
        diff = corpus.segments_diff()
        if diff:
            sys.stderr.write(diff)
            raise CheckFailed(
                f"{SEGMENTS_FILE.name} differs from a fresh segmentation of the seeds "
                "(diff above); review it, then run `python -m labeling segments` to refreeze"
            )
        print(f"{SEGMENTS_FILE.name}: matches a fresh segmentation of the seeds")
        return 0
    records = corpus.segment_corpus(corpus.load_articles())
    write_atomic(SEGMENTS_FILE, dumps_jsonl(records))
    print(f"wrote {len(records)} segments to {shown(SEGMENTS_FILE)}")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    from .corpus.add import add

    for added in add(args.files, args.id, args.metadata):
        print(f"added {added.article_id}: {shown(corpus.SEEDS_DIR / (added.article_id + '.txt'))}, "
              f"{added.segments} segments ({added.first_id} … {added.last_id}), pending annotation")
    print("next: `python -m labeling labelstudio-export` to annotate them; `python -m labeling status` shows progress")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from .annotation import status
    from .core.tables import markdown_table

    statuses = status.compute()
    print(markdown_table(*status.table(statuses)))
    complete = [s.article_id for s in statuses if s.state == "complete"]
    print(f"\n{len(complete)} of {len(statuses)} articles have complete gold and are published by `build`; "
          f"{sum(s.segments - s.gold for s in statuses)} segments are pending")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from .devtools import compare

    if args.output:
        check_output_file(args.output)
    articles = corpus.load_articles()
    lines = [line for _, _, line in compare.corpus_lines(articles)]
    segmenters = compare.available()
    speeds = compare.speeds(lines, segmenters, args.seconds)
    hard = compare.hard_case_results(segmenters)
    report = {}
    print(f"{'segmenter':<20} {'segments':>8} {'differing paragraphs':>20} {'hard cases':>10} {'MB/s':>8} {'sent/s':>9} {'x ours':>7}")
    for name, fn in segmenters.items():
        diffs = compare.differences(articles, name, fn)
        count = sum(len(fn(line)) for line in lines)
        speed = speeds[name]
        report[name] = {"segments": count, "differences": diffs, **speed, "hard_cases": hard[name]}
        right = f"{hard[name]['right']}/{hard[name]['total']}"
        print(
            f"{name:<20} {count:>8} {len(diffs):>20} {right:>10} {speed['mb_per_s']:>8.3f} "
            f"{speed['sentences_per_s']:>9.0f} {speed['ratio_to_ours']:>7.2f}"
        )
    print("\nHard cases (constructed; labeling/devtools/hard_cases.py):\n")
    print(compare.hard_case_table(hard))
    if args.verbose:
        for name, entry in report.items():
            for d in entry["differences"]:
                print(f"\n{name} @ {d['article_id']} paragraph {d['paragraph']}")
                for label in ("ours", name):
                    for text in d[label]:
                        print(f"  {label:>18}: {text}")
    if args.output:
        write_atomic(args.output, dumps_json(report))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .annotation import gold, records

    passes = records.load_passes()
    for name, path in records.pass_files().items():
        print(f"{shown(path)}: {len(passes[name])} records OK")
    derived = gold.check_current()
    pending = len(corpus.load_segments()) - len(derived)
    print(f"{shown(records.ANNOTATIONS_DIR / records.GOLD_FILE)}: {len(derived)} records, current"
          + (f"; {pending} segments pending (`python -m labeling status`)" if pending else ""))
    from .annotation import contrast

    if contrast.ITEMS_FILE.exists():
        from .core.errors import ValidationError

        problems = contrast.validate_items()
        if problems:
            raise ValidationError(problems)
        count = sum(1 for line in contrast.ITEMS_FILE.read_text(encoding="utf-8").splitlines() if line.strip())
        print(f"{shown(contrast.ITEMS_FILE)}: {count} contrast items OK")
    return 0


def cmd_check_pass(args: argparse.Namespace) -> int:
    from .annotation import records

    segments = {s["id"]: s for s in corpus.load_segments()}
    _, problems = records.read_pass(args.file, segments)
    if problems:
        from .core.errors import ValidationError

        raise ValidationError(problems)
    print(f"{shown(args.file)}: {len(segments)} segments, format OK")
    return 0


def cmd_pass(args: argparse.Namespace) -> int:
    from .annotation import passes, records

    if not records.PASS_NAME.fullmatch(args.name):
        raise InputError(f"{args.name!r}: pass names are annotator_<id> (letters, digits, _ -)")
    if args.step == "begin":
        if passes.manifest_path(args.name).exists() and not args.force:
            raise InputError(f"{shown(passes.manifest_path(args.name))}: exists; a pass is begun once (--force to restart)")
        manifest = passes.begin(args.name)
        print(f"wrote {shown(passes.packet_path(args.name))} (packet sha256 {manifest.packet_sha256[:16]}…) and "
              f"{shown(passes.manifest_path(args.name))}; give the pass the packet and nothing else")
    else:
        manifest = passes.finish(args.name)
        print(f"{shown(passes.manifest_path(args.name))}: finished {manifest.finished_utc}, "
              f"output sha256 {manifest.output_sha256[:16]}…")
    return 0


def cmd_contrast_check(args: argparse.Namespace) -> int:
    from .annotation import contrast

    from .annotation import gold

    rows, problems = contrast.read_jsonl_rows(args.file)
    problems += contrast.check_candidates(rows, gold.load_committed())
    contrast.raise_if(problems)
    texts = {s["id"]: s["text"] for s in corpus.load_segments()}
    ratios = [contrast.edit_ratio(texts[c.record["source_id"]], c.record["text"]) for c in rows]
    print(f"{shown(args.file)}: {len(rows)} edits OK (edit ratio max {max(ratios, default=0):.3f})")
    return 0


def cmd_contrast(args: argparse.Namespace) -> int:
    import json

    from .annotation import contrast, gold

    golds = gold.load_committed()
    if args.step in ("edit-packet", "supplement-packet"):
        out = contrast.CANDIDATES_DIR / f"{args.name}.jsonl"
        packet = contrast.CONTRAST_DIR / f"{args.name}.packet.md"
        if args.step == "edit-packet":
            text = contrast.edit_packet(args.articles, golds, out)
        else:
            existing = [c.record for c in contrast.load_candidates()[0]]
            text = contrast.supplement_packet(args.articles, golds, existing, out)
        write_atomic(packet, text)
        print(f"wrote {shown(packet)}")
        return 0
    if args.step == "verify-finish":
        manifest = contrast.finish_verification(args.name)
        print(f"verification_{args.name}: finished {manifest['finished_utc']}")
        return 0
    rows, problems = contrast.load_candidates()
    problems += contrast.check_candidates(rows, golds)
    contrast.raise_if(problems)
    candidates = [c.record for c in rows]
    if args.step == "verify-packet":
        part = tuple(int(x) for x in args.articles[0].split("/")) if args.articles else None
        count = contrast.begin_verification(args.name, candidates, part)
        print(f"wrote the packet of verification_{args.name} with {count} sentences; give the verifier "
              "the packet and nothing else")
        return 0
    kept, rejected = contrast.derive(candidates, contrast.load_verification(strict=False), golds)
    write_atomic(contrast.ITEMS_FILE, dumps_jsonl(kept))
    write_atomic(contrast.REJECTED_FILE, dumps_jsonl(rejected))
    report = contrast.summary(kept, rejected)
    write_atomic(contrast.CONTRAST_DIR / "summary.json", dumps_json(report))
    print(json.dumps(report, indent=1))
    return 0


def cmd_gold(args: argparse.Namespace) -> int:
    from .annotation import gold, records

    derived = gold.compute()
    path = records.ANNOTATIONS_DIR / records.GOLD_FILE
    write_atomic(path, gold.gold_text(derived))
    pending = len(corpus.load_segments()) - len(derived)
    rules: dict[str, int] = {}
    for record in derived:
        for rule in record["rules"].values():
            kind = "adjudicated" if rule == "adjudicated" else "majority"
            rules[kind] = rules.get(kind, 0) + 1
    print(f"wrote {len(derived)} gold records to {shown(path)} "
          f"({', '.join(f'{n} labels by {k}' for k, n in sorted(rules.items()))})"
          + (f"; {pending} segments pending (`python -m labeling status`)" if pending else ""))
    return 0


def cmd_adjudicate(args: argparse.Namespace) -> int:
    from .annotation import gold, records

    passes = records.load_passes()
    decided = gold.load_adjudications()
    cases = [c for c in gold.open_cases(passes, corpus.load_segments()) if (c.id, c.field) not in decided]
    for c in cases:
        votes = ", ".join(f"{n}={v!r}" for n, v in c.labels.items())
        print(f"{c.id} {c.field}: {votes} ({c.why})")
    print(f"{len(cases)} case(s) need a decision; {len(decided)} decided in "
          f"{shown(records.ANNOTATIONS_DIR / records.ADJUDICATION_FILE)}")
    if args.template:
        check_output_file(args.template)
        write_atomic(args.template, gold.template(cases))
        print(f"wrote a template to {shown(args.template)}: fill in label and rationale, append the lines to "
              f"{shown(records.ANNOTATIONS_DIR / records.ADJUDICATION_FILE)}, then run `python -m labeling gold`")
    return 0


def cmd_agreement(args: argparse.Namespace) -> int:
    from .annotation import agreement

    if args.output:
        check_output_file(args.output)
    report = agreement.compute()
    print(agreement.format_report(report))
    out = args.output or agreement.AGREEMENT_FILE
    write_atomic(out, dumps_json(report))
    print(f"\nwrote {out}")
    if args.output is None:
        for doc in agreement.DOCUMENTS:
            if docblocks.sync(doc, "agreement", agreement.markdown(report)):
                print(f"updated the agreement block of {shown(doc)}")
    return 0


def cmd_labelstudio_export(args: argparse.Namespace) -> int:
    from .annotation import labelstudio, preannotation, records

    from .core.io import check_output_folder

    if args.annotator is not None and not records.PASS_NAME.fullmatch(args.annotator):
        raise InputError(f"--annotator {args.annotator!r}: annotator files are named annotator_<id>")
    check_output_folder(args.out, args.force, inputs=tuple(p for p in [args.predictions] if p))
    segments = labelstudio.select_segments(args.annotator, args.articles)
    predictions = None
    if args.predictions:
        from .corpus.seeds import load_segments

        predictions = preannotation.read(args.predictions, (s["id"] for s in load_segments()))
    tasks = labelstudio.tasks(segments, predictions)
    write_atomic(args.out / "tasks.json", dumps_json(tasks))
    write_atomic(args.out / "labeling_config.xml", labelstudio.labeling_config())
    with_predictions = sum("predictions" in t for t in tasks)
    scope = f"articles {', '.join(args.articles)}" if args.articles else "segments"
    if args.annotator:
        scope += f" not yet labelled by {args.annotator}"
    elif not args.articles:
        scope += " fewer than two passes have labelled"
    print(f"wrote {len(tasks)} tasks ({scope}) and the labeling config to {args.out}/"
          + (f"; {with_predictions} with pre-annotations, least confident first" if predictions is not None else ""))
    return 0


def cmd_labelstudio_import(args: argparse.Namespace) -> int:
    from .annotation import labelstudio_import, records

    if not re.fullmatch(r"annotator_[A-Za-z0-9][A-Za-z0-9_-]{0,63}", args.name):
        raise InputError(f"--name {args.name!r}: annotator files are named annotator_<id> (letters, digits, _ -)")
    out = args.out or records.ANNOTATIONS_DIR / f"{args.name}.jsonl"
    check_output_file(out, inputs=(args.export,))
    imported = labelstudio_import.import_export(args.export, args.annotator)
    merged = labelstudio_import.merge(Path(out), imported.records, args.export, force=args.force)
    write_atomic(out, merged.text)
    print(f"read {len(imported.records)} annotations from a {imported.shape} export"
          f" ({imported.pending} tasks pending, skipped)")
    print(f"wrote {merged.total} records to {shown(out)}: {merged.added} new, {merged.updated} updated, "
          f"{merged.unchanged} unchanged" + (f", {merged.dropped} invalid dropped" if merged.dropped else ""))
    if imported.shape == labelstudio_import.JSON_MIN:
        print("JSON-MIN carries no predictions: from_prediction left out (export as JSON to record it)")
    elif imported.predicted:
        print("labels kept from predictions: " + ", ".join(
            f"{f} {imported.accepted[f]}/{n}" for f, n in imported.predicted.items()))
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from .release import build

    if args.check:
        problems = build.check(args.out)
        if problems:
            for problem in problems:
                print(problem, file=sys.stderr)
            raise CheckFailed(f"{shown(args.out)} is stale; run `python -m labeling build` and commit it")
        print(f"{shown(args.out)}/ is up to date")
        return 0
    target = args.text_free or args.out
    built = build.build(target, text=args.text_free is None, force=args.force)
    published = {r["article_id"] for rows in built.tables["sentences"].values() for r in rows}
    print(f"built {shown(target)}: {len(published)} articles")
    for article, why in built.left_out.items():
        print(f"left out {article}: {why} (pending; `python -m labeling status`)")
    return 0


def cmd_rehydrate(args: argparse.Namespace) -> int:
    from .release.rehydrate import rehydrate

    rows = rehydrate(args.release, args.articles, args.out, force=args.force)
    print(f"filled text into {rows} rows; wrote {args.out}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from .release.publish import publish

    print(publish(args.repo_id, private=args.private, text_free=args.text_free))
    return 0


def cmd_segment_corpus(args: argparse.Namespace) -> int:
    from .corpus.scale import segment_corpus_file

    check_output_file(args.out, inputs=(args.src,))
    n = segment_corpus_file(args.src, args.out, num_proc=args.num_proc)
    print(f"wrote {n} sentences to {args.out}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from .devtools import bench

    sizes = args.sizes
    check_output_file(args.output)
    report = bench.run_all(args.seconds, sizes, main_job=not args.no_main_job, baseline_sizes=args.baseline_sizes)
    table = bench.format_report(report)
    print(table)
    write_atomic(args.output, dumps_json(report))
    print(f"\nwrote {args.output}")
    if args.update_readme:
        docblocks.sync(README, "performance", table)
        print("updated the Performance section of README.md")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m labeling",
        description="TechSanctions labeling: segmentation, annotations and the dataset build.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "segment",
        help="segment any English text into sentences (JSON Lines)",
        description=(
            "Segment FILE (or standard input) into sentences and write one JSON object per line: "
            "start and end (character offsets into the decoded text, after a UTF-8 BOM is "
            "dropped; CRLF line endings are kept, so offsets count the CR), paragraph (index of "
            "the non-blank line), sentence (index within the paragraph) and text."
        ),
    )
    p.add_argument("file", nargs="?", help="UTF-8 text file; standard input when omitted")
    p.set_defaults(func=cmd_segment)

    p = sub.add_parser(
        "segment-corpus",
        help="segment a large corpus (parquet/JSONL of article_id, text) in parallel to parquet",
        description="Segment every article of SRC (parquet or JSON Lines with columns article_id and "
        "text) with datasets' batched map over NUM_PROC processes, and write one row per sentence to "
        "OUT (parquet: id, article_id, paragraph_index, sentence_index, start, end, text).",
    )
    p.add_argument("src", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--num-proc", type=positive_int, default=None, help="worker processes (default: one)")
    p.set_defaults(func=cmd_segment_corpus)

    p = sub.add_parser(
        "add",
        help="add articles to the corpus: copy them into seeds/, record metadata, extend the segments",
        description="Copy each FILE byte for byte into seeds/ID.txt (ID: --id, else the file name's stem), add "
        "its metadata to seeds/metadata.json and append its segments to labeling/segments.jsonl; no existing "
        "segment id changes. Refused, with nothing changed: an unsafe or existing id, a file that is not UTF-8 "
        "text or is empty, and bytes already in the corpus under another id (same SHA-256).",
    )
    p.add_argument("files", type=Path, nargs="+", metavar="FILE", help="UTF-8 text, one paragraph per line")
    p.add_argument("--id", help="article id (letters, digits, _ . -); one FILE only")
    p.add_argument("--metadata", type=Path, help="JSON object with any of title, outlet, published (YYYY-MM-DD), "
                   "url, license, evidence, language, notes; one FILE only")
    p.set_defaults(func=cmd_add)

    p = sub.add_parser(
        "status",
        help="per article and pass: what is labelled, adjudicated, in gold, and pending",
        description="Print one row per article: segments, segments each pass has labelled, segments with gold, "
        "adjudicated and awaiting a decision, labels accepted from model predictions, and the state "
        "(complete articles are published by `build`; the others are pending, not errors).",
    )
    p.set_defaults(func=cmd_status)

    p = sub.add_parser(
        "segments",
        help="re-segment the seeds into labeling/segments.jsonl, or --check it",
        description="Freeze the segmentation of seeds/ into labeling/segments.jsonl.",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff if the committed file differs from a fresh run",
    )
    p.set_defaults(func=cmd_segments)

    p = sub.add_parser(
        "compare",
        help="compare our segmentation of the seeds with other libraries (spans and speed)",
        description="Segment the seeds' paragraphs with every installed segmenter; print how many "
        "paragraphs differ from ours, how many constructed hard cases each gets right (and a table "
        "of them), and each one's throughput, measured in one run.",
    )
    p.add_argument("--seconds", type=positive_float, default=1.0, help="minimum timing per segmenter")
    p.add_argument("--verbose", "-v", action="store_true", help="print every differing span")
    p.add_argument("--output", type=Path, help="also write the report as JSON")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser(
        "bench",
        help="benchmark segmentation, build, baselines and scaling; print and write JSON",
        description="Measure segmentation throughput against the other installed segmenters, the "
        "build and baseline times, the main job's wall time, and segmentation and build time on "
        "synthetic corpora of growing size; check the performance targets.",
    )
    p.add_argument("--seconds", type=positive_float, default=1.0, help="minimum timing per segmenter")
    p.add_argument("--sizes", type=size_list, default=(4, 40, 400, 4000), help="synthetic corpus sizes (articles), e.g. 4,40,400")
    p.add_argument("--no-main-job", action="store_true", help="skip timing the main job")
    p.add_argument("--baseline-sizes", type=size_list, default=(4, 40, 400),
                   help="synthetic corpus sizes (articles) for `baselines run`, e.g. 4,40,400 (4000 takes hours)")
    p.add_argument("--output", type=Path, default=DOCS_DIR / "benchmark.json")
    p.add_argument("--update-readme", action="store_true", help="write the table into README.md")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser(
        "validate",
        help="check every annotation pass, the adjudications and the derived gold",
        description="Check labeling/annotations/: every pass file against the schema and the segments "
        "(unknown labels, frames without the primary, whose-view rules, missing, duplicate or unknown ids), "
        "the adjudications, and that gold.jsonl is what the gold rule derives. Prints every problem as "
        "file:line: message and exits 1 if there is any.",
    )
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "check-pass",
        help="check the format of one annotation pass file (for annotators, before handing it in)",
        description="Check FILE against the schema and the segments and list every problem as file:line.",
    )
    p.add_argument("file", type=Path)
    p.set_defaults(func=cmd_check_pass)

    p = sub.add_parser(
        "pass",
        help="begin a blind annotation pass (write its packet and manifest) or record its finish",
        description="`pass begin NAME` writes labeling/annotations/NAME.packet.md, the exact text the pass is "
        "given (instructions, codebook, articles with segment ids), and NAME.manifest.json with the SHA-256 of "
        "each part and the start time; `pass finish NAME` stamps the finish time and the pass file's SHA-256.",
    )
    p.add_argument("step", choices=("begin", "finish"))
    p.add_argument("name", help="annotator_<id>")
    p.add_argument("--force", action="store_true", help="begin again, replacing the packet and manifest")
    p.set_defaults(func=cmd_pass)

    p = sub.add_parser(
        "contrast-check",
        help="check a file of contrast edits (for editors, before handing it in)",
        description="Check FILE: source exists and is a benchmark sentence, edit type applies, labels valid and "
        "as the edit type promises, edit ratio at most 0.30, no copy of a corpus sentence, no duplicate.",
    )
    p.add_argument("file", type=Path)
    p.set_defaults(func=cmd_contrast_check)

    p = sub.add_parser(
        "contrast",
        help="the contrast set: editor packets, the blind verification packet, and the verified items",
        description="`contrast edit-packet NAME ARTICLE...` writes an editor's packet; `contrast verify-packet` "
        "writes the blind verifier's packet (edited sentences only) and its manifest; `contrast verify-finish` "
        "stamps it; `contrast derive` keeps the items whose blind labels equal the intended ones on every "
        "targeted field and writes items.jsonl, rejected.jsonl and summary.json.",
    )
    p.add_argument("step", choices=("edit-packet", "supplement-packet", "verify-packet", "verify-finish", "derive"))
    p.add_argument("name", nargs="?", help="the editor's or verifier's name")
    p.add_argument("articles", nargs="*", help="edit-packet: article ids; verify-packet: PART/PARTS")
    p.set_defaults(func=cmd_contrast)

    p = sub.add_parser(
        "gold",
        help="derive gold.jsonl from the passes and the adjudications",
        description="Majority label where at least two passes agree (for frames, every frame two passes list, "
        "plus the primary); the adjudicator's decision where all differ. Fails naming every undecided case.",
    )
    p.set_defaults(func=cmd_gold)

    p = sub.add_parser(
        "adjudicate",
        help="list the cases that need an adjudicator's decision",
        description="Print every (segment, field) where the passes leave the gold open, with each pass's label; "
        "--template writes a JSON Lines template to fill with label and rationale.",
    )
    p.add_argument("--template", type=Path, help="write a template for the open cases to this file")
    p.set_defaults(func=cmd_adjudicate)

    p = sub.add_parser(
        "agreement",
        help="agreement of the blind passes per field, before adjudication",
        description="Print agreement per field (all passes agree, pairwise Cohen's kappa, Fleiss' kappa, "
        "Krippendorff's alpha; MASI alpha for frames; exact match for source_name) and write it to "
        "labeling/annotations/agreement.json and the README's agreement block.",
    )
    p.add_argument("--output", type=Path, help="JSON file to write (default labeling/agreement.json)")
    p.set_defaults(func=cmd_agreement)

    p = sub.add_parser(
        "labelstudio-export",
        help="write Label Studio tasks (with optional pre-annotations) and the labeling config",
        description="Write OUT/tasks.json and OUT/labeling_config.xml (generated from the schema). Tasks "
        "are made only for segments that still lack labels: by default those fewer than two passes have "
        "labelled (no gold yet); with --annotator, those that pass has not labelled; with --articles, every "
        "segment of those articles (with --annotator too: those the pass has not labelled). Each task holds "
        "its sentence and paragraph. With --predictions (made by `python -m baselines pre-annotate`), tasks "
        "carry the model's labels as Label Studio predictions, scored by their lowest confidence, and are "
        "ordered least confident first (ties by segment id).",
    )
    p.add_argument("out", type=Path, help="output folder (new or empty)")
    p.add_argument("--articles", nargs="+", metavar="ID", help="export every segment of these articles")
    p.add_argument("--annotator", metavar="NAME", help="export the segments this pass (annotator_N) has not labelled")
    p.add_argument("--predictions", type=Path, metavar="FILE", help="pre-annotations (JSON Lines) to attach to the tasks")
    p.add_argument("--force", action="store_true", help="write into a non-empty folder (only our two files are replaced)")
    p.set_defaults(func=cmd_labelstudio_export)

    p = sub.add_parser(
        "labelstudio-import",
        help="merge a Label Studio export (JSON or JSON-MIN) into a validated annotator file",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""Read a Label Studio export of tasks made by labelstudio-export and merge its
annotations into labeling/annotations/NAME.jsonl (or --out), validated against the segments.

- Both export shapes are read: JSON (full) and JSON-MIN; the shape is detected.
- Partial exports are fine: a task without a usable annotation (none, only
  cancelled ones, or none by --annotator) is pending; it is counted and skipped.
- A task with several annotations needs --annotator: an e-mail or a numeric
  user id. Exports name users by id (completed_by; JSON-MIN's annotator), and
  by e-mail only where they carry user details (Label Studio's export API in
  version 1.23 gives ids only; its users are listed under Organization).
- The file is merged, not replaced: new segments are added, re-annotated ones
  updated (both counted), records kept in segment id order. A merge never
  writes fewer records than the file had (lines that no longer validate would
  be dropped) unless --force is given.
- Model assistance: for a full JSON export of tasks with predictions, each
  field whose label the annotator kept as predicted is listed in the record's
  from_prediction (the label is still the annotator's); the prediction is the
  annotation's parent_prediction, else the one the export nests in the
  annotation, else the task's only prediction. The command
  prints, per field, how many labels were kept from the predictions. JSON-MIN
  carries no predictions, so from_prediction is left out (and the output says so).""",
    )
    p.add_argument("export", type=Path, help="Label Studio export (JSON or JSON-MIN)")
    p.add_argument("--name", required=True, help="annotator file name, e.g. annotator_3")
    p.add_argument("--annotator", metavar="EMAIL_OR_ID",
                   help="keep only this Label Studio user's annotations (e-mail or numeric id)")
    p.add_argument("--out", type=Path, help="file to write (default: labeling/annotations/NAME.jsonl)")
    p.add_argument("--force", action="store_true",
                   help="write even when the merge drops records of the file that no longer validate")
    p.set_defaults(func=cmd_labelstudio_import)

    p = sub.add_parser(
        "build",
        help="build data/, the Hugging Face dataset",
        description="Join segments, gold annotations and metadata into data/ (parquet per config "
        "and split, dataset card, Croissant metadata, statistics), atomically.",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 naming every file of data/ that a fresh build would change")
    mode.add_argument("--text-free", type=Path, metavar="OUT", help="write a release without text columns to OUT")
    p.add_argument("--out", type=Path, default=DATA_DIR,
                   help="folder to build (default: data/, replaced whole; any other folder must be new or empty)")
    p.add_argument("--force", action="store_true",
                   help="build into a non-empty folder other than data/, replacing only the files the build writes")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser(
        "rehydrate",
        help="fill the text back into a text-free release from your own copies of the articles",
        description="Read RELEASE (made by build --text-free) and ARTICLES/{article_id}.txt, refuse any "
        "article whose SHA-256 differs from the release's, and write the full dataset to OUT.",
    )
    p.add_argument("release", type=Path, help="text-free release folder")
    p.add_argument("articles", type=Path, help="folder with {article_id}.txt files")
    p.add_argument("out", type=Path, help="output folder (new or empty)")
    p.add_argument("--force", action="store_true", help="write into a non-empty folder, replacing only the files written")
    p.set_defaults(func=cmd_rehydrate)

    p = sub.add_parser(
        "publish",
        help="build a release named for the Hub repository and upload it",
        description="Build the dataset fresh with REPO_ID in its card, Croissant file and citation, and "
        "upload it as a dataset repository with huggingface_hub; needs a token (hf auth login or HF_TOKEN).",
    )
    p.add_argument("--text-free", action="store_true", help="upload the text-free release (no article text)")
    p.add_argument("--repo-id", required=True, help="ORG/NAME on the Hub")
    p.add_argument("--private", action="store_true", help="create the repository as private")
    p.set_defaults(func=cmd_publish)
    return parser


def main(argv: list[str] | None = None) -> int:
    return cli.run(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
