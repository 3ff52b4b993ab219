"""What this release of the dataset is: its version, changelog and the counts the build asserts."""

from __future__ import annotations

VERSION = "1.0.0"
RELEASE_DATE = "2026-11-22"

CHANGELOG = {
    "1.0.0": "First release: four articles, 110 segments, double-annotated for segment type, "
    "stance, frame and topic, with adjudicated gold labels.",
}

EXPECTED = {"articles": 4, "segments": 110}
"""The build fails when the corpus does not have exactly these counts; change them on purpose."""

PRETTY_NAME = "TechSanctions"
DATASET_LICENSE = "cc-by-4.0"
HUB_REPO_ID = "techsanctions/techsanctions"
"""The Hub name the README and card show for after publishing."""

CITATION = """@misc{techsanctions2026,
  title  = {TechSanctions: a sentence-level benchmark of stance, framing and topic in news on
            US technology restrictions against China},
  author = {{TechSanctions annotators and developers}},
  year   = {2026},
  note   = {Dataset version 1.0.0}
}"""
