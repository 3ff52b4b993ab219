"""Inter-annotator agreement per field: raw agreement, Cohen's kappa, Krippendorff's alpha."""

from __future__ import annotations

import math

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score, confusion_matrix

from ..core import docblocks
from ..core.tables import markdown_table
from ..core.paths import ANNOTATIONS_DIR, CODEBOOK_DIR, README
from . import schema
from .records import GOLD, validate

AGREEMENT_FILE = ANNOTATIONS_DIR / "agreement.json"
GUIDELINES_FILE = CODEBOOK_DIR / "GUIDELINES_v1.md"


def codebook_examples(records: dict[str, dict]) -> set[str]:
    """Ids of segments whose full text the codebook quotes (its examples show their labels).

    The adjudication rulings (added after both passes were made) are left out of the search."""
    guidelines = docblocks.strip(GUIDELINES_FILE.read_text(encoding="utf-8"), "rulings")
    return {sid for sid, r in records.items() if r["text"] in guidelines}


def _finite(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 4)


def field_agreement(field: str, a: list[str], b: list[str]) -> dict:
    """Agreement statistics of two annotators' labels for one field."""
    names = schema.labels(field)
    if not a:
        return {"n": 0, "raw_agreement": None, "cohen_kappa": None, "krippendorff_alpha": None, "disagreements": 0}
    codes = np.array([[names.index(x) for x in a], [names.index(x) for x in b]], dtype=float)
    raw = float(np.mean(codes[0] == codes[1]))
    if len(set(a) | set(b)) > 1:
        kappa = cohen_kappa_score(a, b, labels=list(names))
        alpha = krippendorff.alpha(reliability_data=codes, level_of_measurement="nominal")
    else:
        kappa = alpha = float("nan")  # a single label everywhere: chance-corrected scores undefined
    return {
        "n": len(a),
        "raw_agreement": round(raw, 4),
        "cohen_kappa": _finite(kappa),
        "krippendorff_alpha": _finite(alpha),
        "disagreements": int(sum(x != y for x, y in zip(a, b))),
    }


def compute(records: dict[str, dict[str, dict]] | None = None) -> dict:
    """Agreement of the first two annotators on every field, plus the confusion of the worst field."""
    records = validate() if records is None else records
    names = [n for n in records if n != GOLD][:2]
    first, second = records[names[0]], records[names[1]]
    ids = sorted(first)
    def per_field(subset: list[str]) -> dict:
        return {
            field: field_agreement(field, [first[i][field] for i in subset], [second[i][field] for i in subset])
            for field in schema.FIELDS
        }

    fields = per_field(ids)
    quoted = codebook_examples(first)
    unquoted = [i for i in ids if i not in quoted]
    worst = min(schema.FIELDS, key=lambda f: (fields[f]["raw_agreement"], f))
    labels = schema.labels(worst)
    matrix = confusion_matrix(
        [first[i][worst] for i in ids], [second[i][worst] for i in ids], labels=list(labels)
    )
    return {
        "annotators": names,
        "segments": len(ids),
        "fields": fields,
        "codebook_examples": len(quoted),
        "fields_excluding_codebook_examples": per_field(unquoted),
        "confusion": {
            "field": worst,
            "labels": list(labels),
            "rows": names[0],
            "columns": names[1],
            "matrix": matrix.tolist(),
        },
    }


def format_report(report: dict) -> str:
    """The agreement table and the confusion matrix as plain text."""
    a, b = report["annotators"]
    lines = [
        f"Agreement between {a} and {b} on {report['segments']} segments",
        f"{'field':<14}{'raw':>8}{'kappa':>8}{'alpha':>8}{'disagree':>10}",
    ]
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731

    def rows(fields: dict) -> list[str]:
        return [
            f"{field:<14}{fmt(s['raw_agreement']):>8}{fmt(s['cohen_kappa']):>8}"
            f"{fmt(s['krippendorff_alpha']):>8}{s['disagreements']:>10}"
            for field, s in fields.items()
        ]

    rest = report["fields_excluding_codebook_examples"]
    lines += rows(report["fields"])
    lines += ["", f"The same on the {next(iter(rest.values()))['n']} segments the codebook does not quote as examples"]
    lines += rows(rest)
    conf = report["confusion"]
    present = [i for i, row in enumerate(conf["matrix"]) if sum(row) or sum(r[i] for r in conf["matrix"])]
    width = max(len(conf["labels"][i]) for i in present) + 1
    lines += ["", f"Confusion on {conf['field']} (rows: {conf['rows']}, columns: {conf['columns']}; "
              "labels neither annotator used are left out)"]
    short = {i: conf["labels"][i][:6] for i in present}
    lines.append(" " * width + "".join(f"{short[i]:>7}" for i in present))
    for i in present:
        lines.append(f"{conf['labels'][i]:<{width}}" + "".join(f"{conf['matrix'][i][j]:>7}" for j in present))
    return "\n".join(lines)


def markdown(report: dict) -> str:
    """The agreement figures as a Markdown table, for the README, the codebook and the card."""
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    rest = report["fields_excluding_codebook_examples"]
    n_rest = next(iter(rest.values()))["n"]
    header = ["field", "raw agreement", "Cohen's κ", "Krippendorff's α", "disagreements",
              f"raw / κ on the {n_rest} segments not quoted in the codebook"]
    rows = [
        [field, fmt(s["raw_agreement"]), fmt(s["cohen_kappa"]), fmt(s["krippendorff_alpha"]),
         f"{s['disagreements']} of {s['n']}", f"{fmt(rest[field]['raw_agreement'])} / {fmt(rest[field]['cohen_kappa'])}"]
        for field, s in report["fields"].items()
    ]
    return (
        f"Agreement between `{report['annotators'][0]}` and `{report['annotators'][1]}` on "
        f"{report['segments']} segments ({report['codebook_examples']} of them quoted as examples in the codebook):\n\n"
        + markdown_table(header, rows)
    )


DOCUMENTS = (GUIDELINES_FILE, README)
"""Files with an `agreement` block that `python -m labeling agreement` fills."""
