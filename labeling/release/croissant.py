"""Croissant (MLCommons) metadata for data/, built with mlcroissant: one file object per parquet
file, one record set per config and split."""

from __future__ import annotations

import datetime
import hashlib
from pathlib import Path

import mlcroissant as mlc

from . import version
from .configs import features
from .dataset import BuiltDataset

_DTYPES = {"string": mlc.DataType.TEXT, "int32": mlc.DataType.INTEGER, "float32": mlc.DataType.FLOAT,
           "bool": mlc.DataType.BOOL}


def _element(feature):
    """The element feature of a list column, or the feature itself."""
    return getattr(feature, "feature", feature)


def _dtype(feature) -> str:
    """ClassLabel columns hold integer ids (names in the field's description)."""
    feature = _element(feature)
    return mlc.DataType.INTEGER if hasattr(feature, "names") else _DTYPES[feature.dtype]


def _description(feature) -> str | None:
    element = _element(feature)
    if not hasattr(element, "names"):
        return None
    names = ", ".join(f"{i}={n}" for i, n in enumerate(element.names))
    return ("List of labels: " if element is not feature else "Label: ") + names


def metadata(out: Path, built: BuiltDataset, repo_id: str = version.DEFAULT_REPO_ID) -> dict:
    """The Croissant JSON-LD of the parquet files under `out`."""
    distribution, record_sets = [], []
    for config, by_split in built.tables.items():
        feats = features(config, built.text)
        for split in by_split:
            rel = f"{config}/{split}.parquet"
            file_id = f"{config}-{split}-parquet"
            distribution.append(
                mlc.FileObject(
                    id=file_id,
                    name=file_id,
                    content_url=rel,
                    encoding_formats=["application/x-parquet"],
                    sha256=hashlib.sha256((out / rel).read_bytes()).hexdigest(),
                )
            )
            rs_id = f"{config}-{split}"
            record_sets.append(
                mlc.RecordSet(
                    id=rs_id,
                    name=rs_id,
                    description=f"The {config} config, {split} split.",
                    fields=[
                        mlc.Field(
                            id=f"{rs_id}/{name}",
                            name=name,
                            data_types=[_dtype(feature)],
                            description=_description(feature),
                            repeated=_element(feature) is not feature,
                            source=mlc.Source(file_object=file_id, extract=mlc.Extract(column=name)),
                        )
                        for name, feature in feats.items()
                    ],
                )
            )
    meta = mlc.Metadata(
        name=version.PRETTY_NAME,
        description=(
            "Sentence-level stance (three targets), frame, topic and whose-view labels for news on US "
            "technology restrictions against China."
        ),
        license=version.CROISSANT_LICENSES,
        url=f"https://huggingface.co/datasets/{repo_id}",
        version=version.VERSION,
        date_published=datetime.datetime.fromisoformat(version.RELEASE_DATE),
        cite_as=version.citation(repo_id),
        in_language=["en"],
        distribution=distribution,
        record_sets=record_sets,
    )
    return meta.to_json()
