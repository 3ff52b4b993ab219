"""Pre-annotations for Label Studio: saved models' labels and probabilities for the segments.

Each model labels the annotation field(s) of its task (the pooled stance task: the three stance
fields, one input per target); the file is the `labeling.annotation.preannotation` format, which
`python -m labeling labelstudio-export --predictions` reads.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from labeling.annotation import schema
from labeling.annotation.preannotation import Prediction
from labeling.core.errors import InputError
from labeling.core.paths import shown
from labeling.release.tasks import REGISTRY

from . import persist, run
from .data import target_prefix

DIGITS = 4
"""Confidences are rounded so the file does not depend on the last bits of a BLAS."""


def model_version(path: Path, model) -> str:
    """`baseline/task@sha256-prefix`: which baseline, trained for which task, in which file."""
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
    baseline = getattr(model, persist.BASELINE_ATTRIBUTE, None) or Path(path).stem
    return f"{baseline}/{getattr(model, persist.TASK_ATTRIBUTE)}@{digest}"


def field_inputs(task: str, segments: list[dict]) -> list[tuple[str, list[str]]]:
    """(annotation field, model input per segment) for every field the task's model labels."""
    field = REGISTRY[task].field
    if field is not None:
        return [(field, [s["text"] for s in segments])]
    return [(schema.stance_field(t), [target_prefix(t) + s["text"] for s in segments])
            for t in schema.TARGETS]


def predict_field(task: str, model, inputs: list[str]) -> list[tuple[object, float]]:
    """(label, confidence) per input: the predicted label and its probability; for a multi-label
    task the predicted labels and the lowest probability among its yes/no decisions."""
    labels = run.predict(task, model, inputs)
    proba = np.asarray(model.predict_proba(inputs), dtype=float)
    if REGISTRY[task].multilabel:
        names = REGISTRY[task].labels
        out = []
        for chosen, row in zip(labels, proba):
            sure = [p if names[j] in chosen else 1.0 - p for j, p in enumerate(row)]
            out.append((list(chosen), round(float(min(sure)), DIGITS)))
        return out
    classes = [str(c) for c in model.classes_]
    return [(str(label), round(float(row[classes.index(str(label))]), DIGITS)) for label, row in zip(labels, proba)]


def pre_annotate(models: list[Path], segments: list[dict]) -> list[Prediction]:
    """Every model's predictions for the segments; two models for one field are refused."""
    out: list[Prediction] = []
    owner: dict[str, Path] = {}
    for path in models:
        model, task = persist.load_for_its_task(path)
        if not hasattr(model, "predict_proba"):
            raise InputError(f"{shown(path)}: this model gives no probabilities (predict_proba); "
                             "pre-annotate with a probabilistic baseline such as tfidf_logreg")
        version = model_version(path, model)
        for field, inputs in field_inputs(task, segments):
            if field in owner:
                raise InputError(f"{shown(path)}: predicts {field}, which {shown(owner[field])} already predicts; "
                                 "give one model per field")
            owner[field] = path
            for segment, (label, confidence) in zip(segments, predict_field(task, model, inputs)):
                if label == []:
                    continue  # no frame predicted: leave the field to the annotator
                out.append(Prediction(segment["id"], field, label, confidence, version))
    return out
