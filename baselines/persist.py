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
    "baselines.embeddings.SentenceEmbedder",
)


def save(model, path: Path) -> None:
    """Write a fitted model as a .skops file (atomically: through a temporary sibling)."""
    write_atomic(path, sio.dumps(model))


def load(path: Path):
    """Load a .skops model, refusing any type outside skops' defaults and TRUSTED."""
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
    return model


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
