"""A keyword-rule classifier whose cues are taken from the codebook's definitions and examples.

It predicts the label whose cues occur most often in a sentence (ties go to the label listed
first in the schema) and the training data's most frequent label when no cue occurs.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from labeling.annotation import schema
from labeling.release.tasks import TASKS

CUES: dict[str, dict[str, tuple[str, ...]]] = {
    # Stance: the wording of the favor and against rows of the codebook's stance table (section 4).
    "stance": {
        "favor": (
            "defend", "justified", "refuse to remove", "not willing to remove", "keep", "tighten", "enforce",
            "too lax", "leaky", "gaps", "permissive", "not fail",
        ),
        "against": (
            "unfair", "hegemon", "abus", "improper", "suppression", "roll back", "water down", "lift",
            "resume", "buy", "pride", "defian", "defy", "rising up", "overcom", "cannot hold", "could not hold",
            "backfire", "self-reliance", "harm", "mock", "concern", "antipathy", "oppos",
        ),
    },
    # Topic: the "What belongs here" column of the codebook's topic table (section 3).
    "topic": {
        "export_controls": (
            "sanction", "entity list", "licen", "restriction", "rule", "enforcement", "evasion", "loophole",
        ),
        "semiconductors": (
            "chip", "processor", "kirin", "process node", "smic", "foundr", "fabrication", "equipment",
            "stockpile", "yield", "production capacity",
        ),
        "telecom_5g": ("5g network", "network equipment", "base station", "switch", "roll-out", "patent"),
        "smartphones": ("handset", "phone", "launch", "model", "retail", "consumer", "demand", "queue", "sell-out", "sold out"),
        "corporate_strategy": (
            "strategy", "finances", "recover", "restructur", "honor", "diversif", "supply-chain", "sourcing",
            "supplier",
        ),
        "us_china_relations": ("visit", "talks", "dialogue", "cooperation", "accus"),
    },
    # Frame: the "Typical cues" column of the codebook's frame table (section 5).
    "frame": {
        "economic": ("sell", "sales", "units", "revenue", "market", "boost sales", "make money"),
        "capacity_and_resources": ("advanced", "in-house", "cannot acquire", "equipment", "production", "at scale", "without us parts"),
        "morality": ("friends", "feelings", "should not", "shameful", "obligation"),
        "fairness_and_equality": ("improper suppression", "unfair", "discriminatory", "double standard"),
        "legality_constitutionality_jurisprudence": ("prohibiting", "unless permission", "required to license", "legitimate rights", "lawful"),
        "policy_prescription_and_evaluation": ("rules", "restrictions", "issue", "roll back", "close the gaps", "blockade broken"),
        "crime_and_punishment": ("enforce", "compliance", "violation", "fined", "charged"),
        "security_and_defense": ("national security", "military", "threat", "atomic bomb"),
        "health_and_safety": ("unsafe", "health risk", "endanger"),
        "quality_of_life": ("daily life", "hassle", "livelihoods"),
        "cultural_identity": ("national pride", "patriotic", "homegrown champion", "symbolic"),
        "public_opinion": ("excitement", "netizens", "online", "social media", "consumers view"),
        "political": ("timing", "good will", "aggressive stance", "visit"),
        "external_regulation_and_reputation": ("hegemony", "cooperation", "rivalry", "globalization", "the west"),
    },
}
"""Task -> label -> lower-case cue stems, copied from the codebook's definition tables
(`labeling/GUIDELINES.md`). The codebook was written with the corpus at hand, so some cues echo
its wording: read this baseline as a codebook-informed reference, not as a model that learned."""


MAX_CUE = 64


class KeywordClassifier(ClassifierMixin, BaseEstimator):
    """Count codebook cues per label; predict the best-scoring label or the majority label.

    Only labels seen in training are predicted, like any other classifier."""

    def __init__(self, task: str = "stance"):
        self.task = task

    def fit(self, X, y):
        self.classes_ = np.array(sorted(set(y)))
        self.majority_ = Counter(y).most_common(1)[0][0] if len(y) else schema.labels(self.task)[-1]
        order = schema.labels(self.task)
        # Plain cue words, never regular-expression sources: a saved model holds only words, and the
        # patterns are rebuilt (each cue escaped) when predicting, so a crafted file cannot hang it.
        self.cues_ = {
            label: list(CUES[self.task][label])
            for label in order
            if label in CUES[self.task] and label in set(y)
        }
        return self

    def _patterns(self) -> dict:
        patterns = {}
        for label, cues in self.cues_.items():
            if not isinstance(cues, list) or not all(isinstance(c, str) and 0 < len(c) <= MAX_CUE for c in cues):
                raise ValueError(f"cues of {label!r} must be a list of words of 1-{MAX_CUE} characters")
            patterns[label] = re.compile("|".join(r"\b" + re.escape(cue) for cue in cues))
        return patterns

    def _predict_one(self, text: str, patterns: dict):
        text = text.lower()
        best, best_hits = self.majority_, 0
        for label, pattern in patterns.items():
            hits = len(pattern.findall(text))
            if hits > best_hits:
                best, best_hits = label, hits
        return best

    def predict(self, X):
        check_is_fitted(self, "cues_")
        patterns = self._patterns()
        return np.array([self._predict_one(str(x), patterns) for x in X], dtype=object)
