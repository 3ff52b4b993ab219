"""What this release of the dataset is: version, licences, citation and the counts the build asserts."""

from __future__ import annotations

VERSION = "2.0.0"
RELEASE_DATE = "2026-11-23"

RELEASE_ARTICLES = ("000_83086ac57a175e6f", "001_f901f940ad6bb502", "002_09088e8b4606204a", "003_0b3a7ce4d2690ff8")
"""The articles of this release: the build fails unless each is published with complete gold."""
EXPECTED_SEGMENTS = 110
"""The release articles must have exactly this many segments; change it on purpose. Articles added
with `python -m labeling add` are published beside them once their gold is complete."""

PRETTY_NAME = "TechSanctions"
DEFAULT_REPO_ID = "techsanctions/techsanctions"
"""The Hub name the card, Croissant file and citation show unless `publish --repo-id` names another."""

LICENSE_NAME = "techsanctions-mixed"
LICENSE_FILE = "LICENSE.md"
LICENSE_TEXT = """# Licences of the TechSanctions dataset

The dataset has three parts under different terms.

| part | terms |
|---|---|
| Annotations: labels, rationales, segment offsets, ids, article metadata written by the project | Creative Commons Attribution 4.0 International (CC BY 4.0), https://creativecommons.org/licenses/by/4.0/ |
| Article text: the `text` columns and the `articles` config's `text` | Copyright of the original publishers. Included for non-commercial research use only; it is not licensed by this project and may not be redistributable where you are. Use the text-free release and rehydrate it from your own copies if in doubt. |
| Code that builds, scores and trains on the dataset (the project's repository) | MIT |
"""

CROISSANT_LICENSES = ["https://creativecommons.org/licenses/by/4.0/"]
"""Croissant's licence field covers the annotations; the card and LICENSE.md explain the text's terms."""


def citation(repo_id: str = DEFAULT_REPO_ID) -> str:
    """BibTeX entry of this version, pointing at `repo_id` on the Hub."""
    return f"""@misc{{techsanctions2026,
  title        = {{TechSanctions: a sentence-level benchmark of stance, framing and topic in news on
                  US technology restrictions against China}},
  author       = {{{{TechSanctions annotators and developers}}}},
  year         = {{2026}},
  howpublished = {{\\url{{https://huggingface.co/datasets/{repo_id}}}}},
  note         = {{Dataset version {VERSION}}}
}}"""
