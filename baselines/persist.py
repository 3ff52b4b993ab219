"""Saving and loading fitted baselines with skops (never pickle or joblib files).

Loading trusts only the types a baseline of this project is made of: scikit-learn and numpy
types that skops already trusts, plus the project's own estimators listed in TRUSTED. Anything
else in a file is refused with the list of untrusted types.
"""

from __future__ import annotations

from pathlib import Path

import skops.io as sio

from labeling.core.errors import InputError
from labeling.core.io import write_atomic

TRUSTED = (
    "baselines.lexicon.LexiconClassifier",
    "sklearn.multiclass._ConstantPredictor",
    "baselines.embeddings.SentenceEmbedder",
)


TASK_ATTRIBUTE = "techsanctions_task_"
"""Set on every saved model: the task it was trained for, checked when it is loaded."""


BASELINE_ATTRIBUTE = "techsanctions_baseline_"
"""Set by `train`: the baseline's name, which pre-annotations cite as their model version."""


def save(model, path: Path, task: str, baseline: str | None = None) -> None:
    """Write a fitted model, marked with its task (and baseline), as a .skops file (atomically)."""
    setattr(model, TASK_ATTRIBUTE, task)
    if baseline is not None:
        setattr(model, BASELINE_ATTRIBUTE, baseline)
    write_atomic(path, sio.dumps(model))


def load(path: Path, task: str | None = None):
    """Load a .skops model, refusing any type outside skops' defaults and TRUSTED, and (with `task`)
    a model trained for another task or predicting labels the task does not have."""
    path = Path(path)
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a model file") from None
    except Exception as exc:  # skops raises several types for files that are not skops archives
        raise InputError(f"{path}: not a skops model file ({exc.__class__.__name__})") from None
    refused = sorted(set(untrusted) - set(TRUSTED))
    if refused:
        raise InputError(f"{path}: refusing to load untrusted types: {', '.join(refused)}")
    try:
        model = sio.load(path, trusted=[t for t in untrusted])
    except Exception as exc:  # a damaged archive fails in many ways inside skops
        raise InputError(f"{path}: cannot load the model ({exc.__class__.__name__})") from None
    check_model(path, model)
    if task is not None:
        check_task(path, model, task)
    return model


def load_for_its_task(path: Path) -> tuple[object, str]:
    """A model saved by `train` and the task it was trained for, checked against that task."""
    from labeling.release.tasks import REGISTRY

    model = load(path)
    task = getattr(model, TASK_ATTRIBUTE, None)
    if task not in REGISTRY:
        raise InputError(f"{path}: not marked with a task of this benchmark; save it with `python -m baselines train`")
    check_task(path, model, task)
    return model, task


def check_task(path: Path, model, task: str) -> None:
    from labeling.release.tasks import REGISTRY, labels

    trained = getattr(model, TASK_ATTRIBUTE, None)
    if trained != task:
        raise InputError(f"{path}: trained for task {trained!r}, not {task!r}; train a model for --task {task}")
    if REGISTRY[task].multilabel:
        return
    classes = [str(c) for c in getattr(model, "classes_", [])]
    foreign = [c for c in classes if c not in labels(task)]
    if foreign:
        raise InputError(f"{path}: predicts label(s) {', '.join(foreign)} that task {task!r} does not have")


def check_model(path: Path, model) -> None:
    """Refuse a loaded model whose state the project's estimators would not have written."""
    from sklearn.pipeline import Pipeline

    from .lexicon import LexiconClassifier

    steps = [s for _, s in model.steps] if isinstance(model, Pipeline) else [model]
    for step in steps:
        if isinstance(step, LexiconClassifier):
            try:
                step.check_cues()
            except ValueError as exc:
                raise InputError(f"{path}: refusing a lexicon model with invalid state ({exc})") from None
