"""The dataset card (data/README.md), rendered from the schema, counts, agreement and results."""

from __future__ import annotations

import json

from . import release, schema, splits
from .agreement import AGREEMENT_FILE
from .agreement import markdown as agreement_markdown
from .annotations import GOLD

TASK_IDS = ["multi-class-classification", "topic-classification"]


def _yaml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _feature_yaml(name: str, feature) -> list[str]:
    if hasattr(feature, "names"):
        lines = [f"    - name: {name}", "      dtype:", "        class_label:", "          names:"]
        lines += [f"            '{i}': {label}" for i, label in enumerate(feature.names)]
        return lines
    return [f"    - name: {name}", f"      dtype: {feature.dtype}"]


def yaml_header(built: dict, sizes: dict, text: bool) -> str:
    from .build import features

    n = sum(len(rows) for rows in built["sentences"].values())
    lines = [
        "---",
        f"pretty_name: {release.PRETTY_NAME}",
        f"license: {release.DATASET_LICENSE}",
        "language:",
        "- en",
        "task_categories:",
        "- text-classification",
        "task_ids:",
        *[f"- {t}" for t in TASK_IDS],
        "size_categories:",
        f"- {'n<1K' if n < 1000 else '1K<n<10K'}",
        "tags:",
        "- stance-detection",
        "- framing",
        "- export-controls",
        "- news",
        "configs:",
    ]
    for config, by_split in built.items():
        lines.append(f"- config_name: {config}")
        if config == "sentences":
            lines.append("  default: true")
        lines.append("  data_files:")
        for split in by_split:
            lines += [f"  - split: {split}", f"    path: {config}/{split}.parquet"]
    lines.append("dataset_info:")
    for config, by_split in built.items():
        lines += [f"- config_name: {config}", "  features:"]
        for name, feature in features(config, text).items():
            lines += _feature_yaml(name, feature)
        lines.append("  splits:")
        for split, rows in by_split.items():
            lines += [f"  - name: {split}", f"    num_bytes: {sizes[config][split]}", f"    num_examples: {len(rows)}"]
        lines.append(f"  dataset_size: {sum(sizes[config].values())}")
    lines.append("---")
    return "\n".join(lines)


def _table(header: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def label_count_tables(stats: dict) -> str:
    parts = []
    for task in schema.TASKS:
        by_split = stats[task]
        names = [label for label in schema.labels(task)]
        rows = [
            [label, *[by_split[sp]["labels"]["label"].get(label, 0) for sp in splits.SPLITS]]
            for label in names
        ]
        rows.append(["**total**", *[by_split[sp]["rows"] for sp in splits.SPLITS]])
        parts.append(f"**{task}**\n\n" + _table(["label", *splits.SPLITS], rows))
    return "\n\n".join(parts)


def missing_labels(stats: dict) -> str:
    """A limitation line per task and evaluation split naming the labels that split lacks."""
    lines = []
    for task in schema.TASKS:
        overall = {label for sp in splits.SPLITS for label in stats[task][sp]["labels"]["label"]}
        for split in ("validation", "test"):
            absent = [label for label in schema.labels(task) if label in overall
                      and label not in stats[task][split]["labels"]["label"]]
            if absent:
                lines.append(f"- **{task}, {split}:** no gold {', '.join(f'`{a}`' for a in absent)} sentence"
                             + (". F_avg on this split cannot exceed 0.5; use the cross-validation scores."
                                if task == "stance" and {"favor", "against"} & set(absent) else "."))
    return "\n".join(lines)


def leaderboard(results: dict | None) -> str:
    if not results:
        return "No baseline results yet: run `python -m baselines run`."
    from baselines.report import leaderboard_markdown

    return leaderboard_markdown(results)


def render(built: dict, sizes: dict, stats: dict, inputs: dict, results: dict | None, text: bool = True) -> str:
    agreement = json.loads(AGREEMENT_FILE.read_text(encoding="utf-8"))
    split_of = inputs["split_of"]
    annotators = [n for n in inputs["annotations"] if n != GOLD]
    total = sum(len(v) for v in built["sentences"].values())
    bench = sum(len(v) for v in built["stance"].values())
    left_out = [t for t in schema.SEGMENT_TYPE if t not in schema.BENCHMARK_SEGMENT_TYPES]
    type_counts = {}
    for rows in built["sentences"].values():
        for r in rows:
            type_counts[r["segment_type"]] = type_counts.get(r["segment_type"], 0) + 1
    example = next(r for r in built["sentences"]["train"] if r["segment_type"] == "body")
    split_rows = [
        [sp, ", ".join(f"`{a}`" for a in sorted(a for a in split_of if split_of[a] == sp)),
         stats["sentences"][sp]["rows"], stats["stance"][sp]["rows"]]
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
        ["`fold`", "int32", "leave-one-article-out fold (the article's index in sorted id order)"],
    ]
    definitions = "\n".join(
        f"- **{field}**: " + "; ".join(f"`{label}`: {definition}" for label, definition in labels.items())
        for field, labels in schema.FIELDS.items()
    )
    changelog = "\n".join(f"- **{v}**: {note}" for v, note in release.CHANGELOG.items())
    text_note = "<!-- release-note:start -->\n" + ("" if text else (
        "> **This is the text-free release.** Every text column is removed; run "
        "`python -m labeling rehydrate` with your own copies of the articles to fill them in.\n"
    )) + "<!-- release-note:end -->"
    return f"""{yaml_header(built, sizes, text)}

# Dataset Card for {release.PRETTY_NAME}
{text_note}
**Version {release.VERSION}.** A sentence-level benchmark of **stance**, **framing** and **topic** in English-language
news about US technology restrictions against China (Huawei, SMIC, export controls, 5G). Every sentence of
{len(inputs["articles"])} news articles is labelled for its segment type, its stance toward US restrictions on
Chinese technology, its primary frame (the 15 dimensions of the Policy Frames Codebook) and its topic.

## Dataset Summary

- {len(inputs["articles"])} articles, {total} segments, {bench} benchmark sentences (segment types
  {", ".join(schema.BENCHMARK_SEGMENT_TYPES)}).
- Two independent annotation passes over every segment and an adjudicated gold label per field.
- Article-disjoint `train` / `validation` / `test` splits and a `fold` column for leave-one-article-out
  cross-validation.

```python
from datasets import load_dataset

sentences = load_dataset("{release.HUB_REPO_ID}")            # default config: sentences
stance = load_dataset("{release.HUB_REPO_ID}", "stance")     # text + label
# from a clone of the repository, with no network: load_dataset("data", "stance")
```

## Supported Tasks and Leaderboards

| task | labels | main score |
|---|---|---|
| `stance` | {", ".join(schema.labels("stance"))} | F_avg: mean F1 of favor and against (SemEval-2016 Task 6) |
| `frame` | {len(schema.labels("frame"))} Policy Frames Codebook dimensions | macro-F1 over the labels present in the gold data |
| `topic` | {", ".join(schema.labels("topic"))} | macro-F1 over the labels present in the gold data |

Leaderboard (95% bootstrap confidence intervals over sentences). Under the split protocol hyper-parameters
are chosen on validation only and scores describe one test article; under leave-one-article-out
cross-validation every article is held out once, hyper-parameters are chosen inside each training part,
and the ranking uses the pooled out-of-fold predictions. The `keywords` baseline uses cue words from the
codebook, which was written with these articles at hand: read it as an informed reference, not as a
learned model. The annotator rows score each annotation pass against the adjudicated gold labels.

{leaderboard(results)}

## Languages

English (`en`). Two of the four articles read as machine translations into English (see Limitations).

## Dataset Structure

### Configurations

| config | rows | content |
|---|---|---|
| `sentences` (default) | {total} | every segment with all labels, offsets and fold |
| `stance`, `frame`, `topic` | {bench} each | `id`, `article_id`, `text`, `label`, `fold`: the benchmark sentences |
| `articles` | {len(inputs["articles"])} | each article whole, its metadata, SHA-256, split and fold |
| `annotations` | {sum(len(v) for v in built["annotations"].values())} | every annotator's labels and the gold labels, one row per segment and annotator |

The task configs hold the segment types {", ".join(f"`{t}`" for t in schema.BENCHMARK_SEGMENT_TYPES)}; the
types {", ".join(f"`{t}`" for t in left_out)} (reporting credits and website furniture such as comment forms)
carry no content about the issue, so they are left out of the tasks but kept, with their labels, in
`sentences` and `annotations`. Segment types in this release: {", ".join(f"{k} {v}" for k, v in sorted(type_counts.items()))}.

### Data Instances

An example from `sentences` (train):

```json
{json.dumps(example, ensure_ascii=False, indent=2)}
```

### Data Fields

{_table(["field", "type", "description"], field_rows)}

Label definitions (the codebook, `labeling/GUIDELINES.md`, gives the decision rules):

{definitions}

### Data Splits

{_table(["split", "articles", "sentences (all types)", "benchmark sentences"], split_rows)}

No article is in two splits: sentences of one article share context and style, so a sentence-level split
would leak. The split is chosen by an exhaustive
search over every assignment of articles (one article each for validation and test, the rest for train) for the
one whose per-split label distributions are closest to the whole corpus's (total variation distance, summed
over the three tasks and weighted by split size; ties broken by sorted assignment). Texts shared between
splits: {sum(stats["stance"][sp]["texts_shared_with_other_splits"] for sp in splits.SPLITS)}.

Label counts per split (benchmark sentences):

{label_count_tables(stats)}

Per-split statistics (lengths, counts, overlap) are in `stats.json`.

## Dataset Creation

### Curation Rationale

US restrictions on Chinese technology are reported very differently by outlets in different places. The
dataset gives sentence-level labels for what a sentence says about the restrictions (stance), how it frames
the issue (frame) and what it is about (topic), so that models of stance and framing can be trained and
compared on this issue.

### Source Data

Four English-language news articles about Huawei, SMIC and US export controls, kept byte for byte in the
repository's `seeds/` folder (the file stem is the article id). The articles carry no reliable date lines or
outlet names; `articles` records only what the text itself shows (title, outlet, date) and a note of the
evidence, and leaves the rest empty. Each non-blank line is a paragraph; paragraphs are segmented into
orthographic sentences by syntok with a small post-processing layer for the corpus conventions (see the
repository README).

### Annotations

#### Annotation process

Every segment was labelled for all four fields in {len(annotators)} independent passes
({", ".join(f"`{a}`" for a in annotators)}), each made from the codebook (`labeling/GUIDELINES.md`) alone,
without seeing the other pass. An adjudicator then compared the passes and wrote the gold label of every
field; every gold line where the passes disagree carries a one-line rationale (`rationale` in
`annotations`).

#### Who are the annotators?

The project's annotators. No demographic information about them is recorded.

#### Agreement

{agreement_markdown(agreement)}

Raw agreement is the share of segments with the same label; Cohen's κ is computed with scikit-learn and
Krippendorff's α (nominal) with the `krippendorff` package. κ and α are low where one label dominates
(e.g. stance `none`), even when raw agreement is high.

### Personal and Sensitive Information

The articles name public figures (company executives, government officials, analysts) in their public roles.
They contain no personal information about private individuals.

## Considerations for Using the Data

### Discussion of Biases

The outlets' perspectives shape the data: some articles are close to Chinese state or business viewpoints
and one to a US newspaper's, and the quoted sources are mostly officials, executives and analysts. Stance
labels follow the codebook's definition of the target (US restrictions on Chinese technology) and record the
stance a sentence expresses, including quoted stances; they are not a judgement of the outlets.

### Other Known Limitations

- **Four articles.** {bench} benchmark sentences from four articles are far too few to support claims
  about stance or framing in the news in general; with one article per evaluation split, scores vary a lot
  with the article. Prefer the leave-one-article-out protocol and report intervals.
- **A few outlets.** The articles come from a handful of unnamed outlets; their style and viewpoints are
  not representative.
- **Translated, garbled text.** Two articles read as machine translations into English, with garbled
  sentences and quotations; some segments are fragments. Models may learn translation artefacts.
- **Rare labels.** Several frames and topics occur a few times or not at all; macro averages run over the
  labels present in the gold data of the evaluated part.
{missing_labels(stats)}

## Additional Information

### Licensing Information

The annotations (labels, rationales, offsets and metadata) are released under CC BY 4.0. **The article texts
are not**: they are copyrighted by their publishers and are included only for research use; redistributing
them may not be permitted where you are. The text-free release (`python -m labeling build --text-free OUT`)
ships ids, offsets, labels and a SHA-256 of each article and no text; `python -m labeling rehydrate` fills
the text back in from your own copies of the articles, refusing any article whose hash differs.

### Citation Information

```bibtex
{release.CITATION}
```

### Changelog

{changelog}
"""
