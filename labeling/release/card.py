"""The dataset card (data/README.md): YAML header through `huggingface_hub.DatasetCardData`, prose
from the Jinja template `card_template.md`, every figure computed from the dataset being written."""

from __future__ import annotations

import json
from pathlib import Path

from huggingface_hub import DatasetCard, DatasetCardData

from ..annotation import agreement, schema
from ..core.paths import ROOT
from ..core.tables import markdown_table
from . import splits, version
from .configs import DEFAULT_CONFIG, features
from .dataset import BuildInputs, BuiltDataset
from .tasks import MAIN_SCORE_NAMES, METRICS, REGISTRY, TASKS
from .tasks import labels as task_labels

TEMPLATE = Path(__file__).with_name("card_template.md")
CHANGELOG = ROOT / "CHANGELOG.md"
TASK_IDS = ["multi-class-classification", "topic-classification"]
SENTENCE_TASK = "frame"
"""A task config with one row per benchmark sentence, for counting sentences."""
NO_LEADERBOARD = "No baseline results yet: run `python -m baselines run`.\n"


def _size_category(n: int) -> str:
    return "n<1K" if n < 1000 else "1K<n<10K" if n < 10_000 else "10K<n<100K"


def card_data(built: BuiltDataset) -> DatasetCardData:
    """The card's YAML header: Hub metadata, configs and per-config dataset_info."""
    n = sum(len(rows) for rows in built.tables["sentences"].values())
    configs = [
        {"config_name": config, **({"default": True} if config == DEFAULT_CONFIG else {}),
         "data_files": [{"split": split, "path": f"{config}/{split}.parquet"} for split in by_split]}
        for config, by_split in built.tables.items()
    ]
    info = [
        {"config_name": config,
         # The same YAML `datasets` writes for features (ClassLabel names, lists of labels).
         "features": features(config, built.text)._to_yaml_list(),
         "splits": [{"name": split, "num_bytes": built.sizes[config][split], "num_examples": len(rows)}
                    for split, rows in by_split.items()],
         "dataset_size": sum(built.sizes[config].values())}
        for config, by_split in built.tables.items()
    ]
    return DatasetCardData(
        pretty_name=version.PRETTY_NAME,
        language=["en"],
        license="other",
        license_name=version.LICENSE_NAME,
        license_link=version.LICENSE_FILE,
        annotations_creators=["other"],
        language_creators=["found"],
        multilinguality=["monolingual"],
        source_datasets=["original"],
        task_categories=["text-classification"],
        task_ids=TASK_IDS,
        size_categories=[_size_category(n)],
        paperswithcode_id=None,
        tags=["stance-detection", "framing", "export-controls", "news"],
        configs=configs,
        dataset_info=info,
    )


def label_count_tables(stats: dict) -> str:
    parts = []
    for task in TASKS:
        by_split = stats[task]
        rows = [[label, *[by_split[sp]["labels"]["label"].get(label, 0) for sp in splits.SPLITS]]
                for label in task_labels(task)]
        rows.append(["**total**", *[by_split[sp]["rows"] for sp in splits.SPLITS]])
        parts.append(f"**{task}**\n\n" + markdown_table(["label", *splits.SPLITS], rows))
    return "\n\n".join(parts)


def missing_labels(stats: dict) -> list[str]:
    """A limitation line per task and evaluation split naming the labels that split lacks."""
    lines = []
    for task in TASKS:
        overall = {label for sp in splits.SPLITS for label in stats[task][sp]["labels"]["label"]}
        main = set(METRICS[task].main_labels or ())
        for split in ("validation", "test"):
            absent = [label for label in task_labels(task) if label in overall
                      and label not in stats[task][split]["labels"]["label"]]
            if absent:
                caveat = (f". {MAIN_SCORE_NAMES[METRICS[task].main]} on this split averages a label with no gold "
                          "instance; use the cross-validation scores." if main & set(absent) else ".")
                lines.append(f"**{task}, {split}:** no gold {', '.join(f'`{a}`' for a in absent)} sentence{caveat}")
    return lines


def changelog() -> str:
    """The changelog's entries (CHANGELOG.md without its title and preamble)."""
    text = CHANGELOG.read_text(encoding="utf-8")
    start = text.find("\n## ")
    entries = text[start + 1:].strip() if start >= 0 else ""
    return entries.replace("## ", "#### ")


def render(built: BuiltDataset, inputs: BuildInputs, repo_id: str = version.DEFAULT_REPO_ID,
           leaderboard: str | None = None) -> str:
    """The whole card as Markdown with its YAML header."""
    tables, stats = built.tables, built.stats
    total = sum(len(v) for v in tables["sentences"].values())
    bench = sum(len(v) for v in tables[SENTENCE_TASK].values())
    type_counts: dict[str, int] = {}
    for rows in tables["sentences"].values():
        for r in rows:
            type_counts[r["segment_type"]] = type_counts.get(r["segment_type"], 0) + 1
    example = next(r for r in tables["sentences"]["train"] if r["segment_type"] == "body")
    if not built.text:
        example = {k: v for k, v in example.items() if k != "text"}
    split_rows = [
        [sp, ", ".join(f"`{a}`" for a in sorted(a for a in inputs.split_of if inputs.split_of[a] == sp)),
         stats["sentences"][sp]["rows"], stats[SENTENCE_TASK][sp]["rows"]]
        for sp in splits.SPLITS
    ]
    field_rows = [
        ["`id`", "string", "`{article_id}-{index:03d}`, stable across releases of the same segmentation"],
        ["`article_id`", "string", "file stem of the source article"],
        ["`paragraph_index`", "int32", "index of the article's non-blank line the sentence is on"],
        ["`sentence_index`", "int32", "index of the sentence within its paragraph"],
        ["`start`, `end`", "int32", "character offsets of the sentence in the article text (`articles` config)"],
        ["`text`", "string", "the sentence, exactly `article_text[start:end]`"],
        *[[f"`{f}`", "ClassLabel", ", ".join(schema.labels(f))] for f in schema.FIELDS],
        ["`frames`", "Sequence(ClassLabel)", "every frame that applies (frame labels), the primary included"],
        ["`source_name`", "string", f"canonical name of the view's holder; empty for the author, `{schema.UNNAMED}` when none is given"],
        ["`fold`", "int32", "leave-one-article-out fold (the article's index in sorted id order)"],
    ]
    task_rows = [
        [f"`{t}`", REGISTRY[t].summary, ", ".join(task_labels(t)) if len(task_labels(t)) < 10
         else f"{len(task_labels(t))} labels", METRICS[t].description]
        for t in TASKS
    ]
    config_rows = [
        ["`sentences` (default)", total, "every segment with all labels, offsets and fold"],
        ["`stance`", sum(len(v) for v in tables["stance"].values()),
         "one row per (benchmark sentence, target): `id` (`{segment id}@{target}`), `segment_id`, `article_id`, `target`, `text`, `label`, `fold`"],
        [", ".join(f"`{t}`" for t in TASKS if t not in ("stance", "frames")), f"{bench} each",
         "`id`, `article_id`, `text`, `label`, `fold` (`source` also `speech`, `source_name`): the benchmark sentences"],
        ["`frames`", bench, "`id`, `article_id`, `text`, `label` (a list: every frame that applies), `fold`"],
        *([["`contrast` (test only)", len(inputs.contrast), "synthetic minimal edits of benchmark sentences, verified "
            "blind: `source_id`, `edit_type`, `target`, `original_text`, `text`, every label field, `edit_ratio`, "
            "`synthetic`; evaluation only"]] if inputs.contrast and built.text else []),
        ["`fewshot` (pool only)", sum(len(v) for v in tables.get("fewshot", {}).values()),
         "the codebook's constructed example sentences with every label: the only examples evaluation-only "
         "(zero- and few-shot) systems may use; not news"],
        ["`articles`", len(inputs.articles), "each article whole, its metadata, SHA-256, split and fold"],
        ["`annotations`", sum(len(v) for v in tables["annotations"].values()),
         "every annotator's labels and the gold labels, one row per segment and annotator"],
    ]
    manifest_rows = [
        [f"`{name}`", m.get("started_utc") or "not recorded", m.get("finished_utc") or "not recorded",
         f"`{(m.get('packet_sha256') or '')[:12]}`", f"`{(m.get('codebook_sha256') or '')[:12]}`",
         f"`{(m.get('segments_sha256') or '')[:12]}`"]
        for name, m in inputs.manifests.items()
    ]
    rule_counts: dict[str, dict[str, int]] = {}
    for record in inputs.gold.values():
        for f, rule in record["rules"].items():
            rule_counts.setdefault(f, {})[rule] = rule_counts.setdefault(f, {}).get(rule, 0) + 1
    rule_names = sorted({r for counts in rule_counts.values() for r in counts})
    rules_table = markdown_table(["field", *rule_names],
                                 [[f"`{f}`", *[rule_counts[f].get(r, 0) for r in rule_names]]
                                  for f in schema.ANNOTATION_FIELDS])
    content = DatasetCard.from_template(
        card_data(built),
        template_path=TEMPLATE,
        version=version.VERSION,
        pretty_name=version.PRETTY_NAME,
        repo_id=repo_id,
        text=built.text,
        n_articles=len(inputs.articles),
        total=total,
        bench=bench,
        benchmark_types=", ".join(f"`{t}`" for t in schema.BENCHMARK_SEGMENT_TYPES),
        left_out_types=", ".join(f"`{t}`" for t in schema.SEGMENT_TYPE if t not in schema.BENCHMARK_SEGMENT_TYPES),
        type_counts=", ".join(f"{k} {v}" for k, v in sorted(type_counts.items())),
        annotators=", ".join(f"`{a}`" for a in inputs.annotators),
        n_annotators=len(inputs.annotators),
        task_table=markdown_table(["config", "task", "labels", "main score"], task_rows),
        config_table=markdown_table(["config", "rows", "content"], config_rows),
        example=json.dumps(example, ensure_ascii=False, indent=2),
        field_table=markdown_table(["field", "type", "description"], field_rows),
        definitions=[
            f"**{f}**: " + "; ".join(f"`{label}`: {definition}" for label, definition in labels.items())
            for f, labels in {"segment_type": schema.SEGMENT_TYPE, "topic": schema.TOPIC, "frame, frames": schema.FRAME,
                              "stance targets": schema.TARGETS, "stance (each target)": schema.STANCE,
                              "speech": schema.SPEECH, "source_type": schema.SOURCE_TYPE}.items()
        ],
        manifest_table=markdown_table(["pass", "started (UTC)", "finished (UTC)", "packet SHA-256", "codebook SHA-256",
                                       "segments SHA-256"], manifest_rows),
        rules_table=rules_table,
        contrast=inputs.contrast_summary if built.text and inputs.contrast else None,
        contrast_table=markdown_table(
            ["edit type", "kept", "rejected by blind verification", "rejection rate"],
            [[f"`{k}`", v["kept"], v["rejected"], "n/a" if v["rejection_rate"] is None else f"{v['rejection_rate']:.1%}"]
             for k, v in inputs.contrast_summary.get("by_edit_type", {}).items()]) if inputs.contrast else "",
        split_table=markdown_table(["split", "articles", "sentences (all types)", "benchmark sentences"], split_rows),
        split_method=splits.method(len(inputs.articles)),
        fold_text=("The `fold` column holds one article per fold (leave-one-article-out)."
                   if len(inputs.articles) <= splits.LOAO_MAX else
                   f"The `fold` column assigns the articles to {splits.K_FOLDS} article-disjoint folds by the same "
                   "stratified procedure (leave-one-article-out is too costly at this size)."),
        shared=sum(stats[SENTENCE_TASK][sp]["texts_shared_with_other_splits"] for sp in splits.SPLITS),
        label_counts=label_count_tables(stats),
        agreement=agreement.markdown(inputs.agreement),
        missing_labels=missing_labels(stats),
        leaderboard=leaderboard or NO_LEADERBOARD,
        license_file=version.LICENSE_FILE,
        citation=version.citation(repo_id),
        changelog=changelog(),
    ).content
    return content.rstrip("\n") + "\n"
