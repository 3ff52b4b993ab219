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

from labeling import schema

CUES: dict[str, dict[str, tuple[str, ...]]] = {
    "stance": {
        "favor": (
            "hard line", "not willing to remove", "close the gaps", "gaps exist", "enforce", "enforcing",
            "is incorrect", "national security", "compliance", "not an invitation", "allowed smic",
            "longstanding u.s. policy", "too lax", "loophole",
        ),
        "against": (
            "hegemony", "suppression", "abuse of state power", "opposes", "roll back", "water down",
            "resume the supply", "want to buy", "national pride", "overcome", "defy", "celebrated",
            "could not hold", "rising up", "antipathy", "unfair", "crippled", "backfire",
            "incentives", "new normal", "survive without",
        ),
    },
    "topic": {
        "export_controls": (
            "sanction", "restriction", "entity list", "export control", "licens", "ban", "crackdown",
            "curb", "blockade", "controls",
        ),
        "semiconductors": (
            "chip", "semiconductor", "processor", "smic", "kirin", "integrated circuit", "machinery",
            "equipment", "manufactur",
        ),
        "telecom_5g": ("base station", "5g technology", "switch", "network"),
        "smartphones": ("phone", "mate 60", "handset", "smartphone", "sold out", "customers", "consumer", "store"),
        "corporate_strategy": ("business", "honor", "employees", "company", "recover", "sales", "supply", "parts"),
        "us_china_relations": ("visit", "officials", "cooperation", "dialogue", "beijing", "washington", "trip"),
    },
    "frame": {
        "economic": ("sales", "sell", "market", "money", "price", "revenue", "billion", "units", "business"),
        "capacity_and_resources": (
            "capab", "capacity", "production", "equipment", "stockpil", "supply", "parts", "produce",
            "manufactur", "technology",
        ),
        "morality": ("moral", "honest", "right thing", "friendship", "feelings"),
        "fairness_and_equality": ("unfair", "improper", "legitimate rights", "discriminat", "abuse"),
        "legality_constitutionality_jurisprudence": ("licens", "entity list", "rules", "permission", "violation", "legal"),
        "policy_prescription_and_evaluation": (
            "restriction", "controls", "policy", "ban", "roll back", "water down", "close the gaps", "crackdown",
        ),
        "crime_and_punishment": ("enforc", "hacker", "crime", "penalt", "punish"),
        "security_and_defense": ("national security", "military", "army", "security", "defense"),
        "health_and_safety": ("health", "safety"),
        "quality_of_life": ("daily life", "quality of life"),
        "cultural_identity": ("pride", "patriotic", "homegrown", "symbol", "heroic"),
        "public_opinion": ("consumers", "netizens", "social media", "online", "customers", "sentiment"),
        "political": ("administration", "secretary", "officials", "president biden", "trump", "politic"),
        "external_regulation_and_reputation": (
            "hegemony", "global", "western", "world", "reputation", "independence", "leading player",
        ),
    },
}
"""Task -> label -> lower-case cue stems from the codebook (`labeling/GUIDELINES.md`)."""


class KeywordClassifier(ClassifierMixin, BaseEstimator):
    """Count codebook cues per label; predict the best-scoring label or the majority label."""

    def __init__(self, task: str = "stance"):
        self.task = task

    def fit(self, X, y):
        self.classes_ = np.array(sorted(set(y)))
        self.majority_ = Counter(y).most_common(1)[0][0] if len(y) else schema.labels(self.task)[-1]
        order = schema.labels(self.task)
        self.patterns_ = {
            label: re.compile("|".join(r"\b" + re.escape(cue) for cue in CUES[self.task][label]))
            for label in order
            if label in CUES[self.task]
        }
        return self

    def _predict_one(self, text: str):
        text = text.lower()
        best, best_hits = self.majority_, 0
        for label, pattern in self.patterns_.items():
            hits = len(pattern.findall(text))
            if hits > best_hits:
                best, best_hits = label, hits
        return best

    def predict(self, X):
        check_is_fitted(self, "patterns_")
        return np.array([self._predict_one(str(x)) for x in X], dtype=object)
