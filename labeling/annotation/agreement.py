"""Agreement of the blind passes, before any adjudication, per field.

Single-label fields: share of segments on which all passes agree, pairwise Cohen's κ
(scikit-learn), Fleiss' κ (nltk's multi-π, which is Fleiss' 1971 statistic, K in Siegel and
Castellan) and Krippendorff's α, nominal (the `krippendorff` package). `frames` (label sets):
Krippendorff's α with MASI distance (nltk) and the share of identical sets. `source_name`:
exact-match rates. Chance-corrected figures are null where a field has one label throughout.
"""

from __future__ import annotations

import itertools
import math

import krippendorff
import numpy as np
from nltk.metrics.agreement import AnnotationTask
from nltk.metrics.distance import masi_distance
from sklearn.metrics import cohen_kappa_score

from ..core.paths import ANNOTATIONS_DIR, README
from ..core.tables import markdown_table
from . import schema
from .records import load_passes

AGREEMENT_FILE = ANNOTATIONS_DIR / "agreement.json"
DOCUMENTS = (README,)
"""Documents with a generated `agreement` block."""


def _round(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else round(value, 4)


def _pair_key(a: str, b: str) -> str:
    return f"{a}~{b}"


def nominal(field: str, labels: dict[str, list[str]]) -> dict:
    """Agreement of several passes' labels (same segments, same order) for one single-label field."""
    names = list(labels)
    rows = list(zip(*labels.values()))
    single = len({x for row in rows for x in row}) <= 1
    pairs = {}
    for a, b in itertools.combinations(names, 2):
        kappa = None if single else cohen_kappa_score(labels[a], labels[b], labels=list(schema.labels(field)))
        pairs[_pair_key(a, b)] = {
            "raw": _round(np.mean([x == y for x, y in zip(labels[a], labels[b])])),
            "cohen_kappa": _round(kappa),
        }
    task = AnnotationTask([(c, i, lab) for c in names for i, lab in enumerate(labels[c])])
    codes = np.array([[schema.labels(field).index(x) for x in labels[c]] for c in names], dtype=float)
    kappas = [p["cohen_kappa"] for p in pairs.values() if p["cohen_kappa"] is not None]
    return {
        "n": len(rows),
        "all_agree": _round(np.mean([len(set(row)) == 1 for row in rows])),
        "pairwise": pairs,
        "mean_cohen_kappa": _round(np.mean(kappas)) if kappas else None,
        "fleiss_kappa": None if single else _round(task.pi()),
        "krippendorff_alpha": None if single else _round(
            krippendorff.alpha(reliability_data=codes, level_of_measurement="nominal")),
        "disagreements": int(sum(len(set(row)) > 1 for row in rows)),
    }


def label_sets(sets: dict[str, list[list[str]]]) -> dict:
    """Agreement on multi-label `frames`: Krippendorff's α with MASI distance and exact set matches."""
    names = list(sets)
    rows = list(zip(*sets.values()))
    task = AnnotationTask([(c, i, frozenset(s)) for c in names for i, s in enumerate(sets[c])], distance=masi_distance)
    pairs = {_pair_key(a, b): {"exact": _round(np.mean([set(x) == set(y) for x, y in zip(sets[a], sets[b])]))}
             for a, b in itertools.combinations(names, 2)}
    return {
        "n": len(rows),
        "all_agree": _round(np.mean([len({frozenset(s) for s in row}) == 1 for row in rows])),
        "pairwise": pairs,
        "krippendorff_alpha_masi": _round(task.alpha()),
        "mean_set_size": _round(np.mean([len(s) for c in names for s in sets[c]])),
    }


def exact_match(values: dict[str, list[str]]) -> dict:
    """Agreement on free text (`source_name`): exact-match rates, overall and where a source is named."""
    names = list(values)
    rows = list(zip(*values.values()))
    named = [row for row in rows if any(v for v in row)]
    return {
        "n": len(rows),
        "all_agree": _round(np.mean([len(set(row)) == 1 for row in rows])),
        "pairwise": {_pair_key(a, b): {"exact": _round(np.mean([x == y for x, y in zip(values[a], values[b])]))}
                     for a, b in itertools.combinations(names, 2)},
        "n_with_a_named_source": len(named),
        "all_agree_with_a_named_source": _round(np.mean([len(set(row)) == 1 for row in named])) if named else None,
    }


def groups(passes: dict[str, dict[str, dict]]) -> list[tuple[list[str], list[str]]]:
    """(pass names, segment ids) for each set of two or more passes that labelled the same
    segments; the largest group first (then more passes, then names)."""
    by_set: dict[tuple[str, ...], list[str]] = {}
    for sid in sorted({i for records in passes.values() for i in records}):
        names = tuple(n for n in passes if sid in passes[n])
        if len(names) >= 2:
            by_set.setdefault(names, []).append(sid)
    ordered = sorted(by_set.items(), key=lambda kv: (-len(kv[1]), -len(kv[0]), kv[0]))
    return [(list(names), ids) for names, ids in ordered]


def _report(passes: dict[str, dict[str, dict]], names: list[str], ids: list[str]) -> dict:
    column = lambda field: {n: [passes[n][i][field] for i in ids] for n in names}  # noqa: E731
    return {
        "annotators": names,
        "segments": len(ids),
        "before_adjudication": True,
        "fields": {field: nominal(field, column(field)) for field in schema.FIELDS},
        "frames": label_sets(column("frames")),
        "source_name": exact_match(column("source_name")),
    }


def compute(passes: dict[str, dict[str, dict]] | None = None) -> dict:
    """Agreement of the passes on every field, per group of passes that labelled the same segments:
    the largest group at the top level, any others under `other_groups`."""
    passes = load_passes() if passes is None else passes
    found = groups(passes)
    if not found:
        return {"annotators": list(passes), "segments": 0, "before_adjudication": True}
    report = _report(passes, *found[0])
    if len(found) > 1:
        report["other_groups"] = [_report(passes, names, ids) for names, ids in found[1:]]
    return report


def markdown(report: dict) -> str:
    """The agreement figures as Markdown, for the README and the dataset card."""
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    if not report["segments"]:
        return "No segment has been labelled by two passes yet."
    pairs = list(next(iter(report["fields"].values()))["pairwise"])
    short = [p.replace("annotator_", "") .replace("~", "–") for p in pairs]
    header = ["field", "all passes agree", *[f"Cohen's κ {s}" for s in short], "Fleiss' κ", "Krippendorff's α"]
    rows = [[f"`{field}`", fmt(s["all_agree"]), *[fmt(s["pairwise"][p]["cohen_kappa"]) for p in pairs],
             fmt(s["fleiss_kappa"]), fmt(s["krippendorff_alpha"])] for field, s in report["fields"].items()]
    fr, sn = report["frames"], report["source_name"]
    return (
        f"Agreement of the {len(report['annotators'])} blind passes ({', '.join(f'`{a}`' for a in report['annotators'])}) "
        f"on {report['segments']} segments, before adjudication:\n\n"
        + markdown_table(header, rows)
        + f"\n\n`frames` (every frame that applies): Krippendorff's α with MASI distance {fmt(fr['krippendorff_alpha_masi'])}; "
        f"identical sets in all passes {fmt(fr['all_agree'])} (mean set size {fmt(fr['mean_set_size'])}). "
        f"`source_name`: identical in all passes {fmt(sn['all_agree'])}, and {fmt(sn['all_agree_with_a_named_source'])} "
        f"on the {sn['n_with_a_named_source']} segments where some pass names a source."
        + "".join(f"\n\n{markdown(group)}" for group in report.get("other_groups", []))
    )


def format_report(report: dict) -> str:
    return markdown(report)
