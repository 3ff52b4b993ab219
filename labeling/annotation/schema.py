"""The label inventories: the one place that names every label and defines it in a line.

Validation, dataset features, the dataset card, the Label Studio config, the scorer and the
baselines all read these tuples; the order is the integer id order of the ClassLabel features.
"""

from __future__ import annotations

SEGMENT_TYPE = {
    "headline": "A title or subtitle line of the article.",
    "caption": "A photo caption or image description line.",
    "body": "A sentence of the article's running text.",
    "credit": "A byline, reporting credit or source credit line.",
    "boilerplate": "Website furniture: comment prompts, form notices, navigation, share buttons.",
}

STANCE = {
    "favor": (
        "Defends the US restrictions on Chinese technology, calls to keep, tighten or enforce them, "
        "calls them justified, or says they are too lax."
    ),
    "against": (
        "Condemns the restrictions as unfair or hegemonic, asks to roll them back or water them down, "
        "celebrates overcoming them, says they fail or harm, or hopes supply resumes."
    ),
    "none": (
        "No stance toward the restrictions can be inferred: neutral facts, the restrictions' own "
        "facts included, or unrelated text."
    ),
}

FRAME = {
    "economic": "Costs, benefits, sales, markets, prices, revenue, jobs and other financial effects.",
    "capacity_and_resources": (
        "Availability or lack of physical, technological, human or financial resources and capability."
    ),
    "morality": "Religious or ethical implications; what is right or wrong, honourable or shameful.",
    "fairness_and_equality": "Equal or unequal treatment, balance of rights and burdens between groups.",
    "legality_constitutionality_jurisprudence": (
        "Legal rules, rights, permissions and violations, and the authority of courts and regulators."
    ),
    "policy_prescription_and_evaluation": (
        "A specific policy: what it is, whether it works, and what should be done about it."
    ),
    "crime_and_punishment": "Violation of law, enforcement, penalties and the handling of offenders.",
    "security_and_defense": "Threats to national security, military use, defence of the nation.",
    "health_and_safety": "Health care, disease, safety of people and products.",
    "quality_of_life": "Effects on individuals' and communities' well-being, wealth and daily life.",
    "cultural_identity": "Traditions, customs, national pride and the values of a group.",
    "public_opinion": "Attitudes, sentiment and reactions of the general public, polls, social media.",
    "political": "Political actors, parties, governments' manoeuvres, diplomacy and political strategy.",
    "external_regulation_and_reputation": (
        "A country's standing, reputation and relations with other nations; international competition."
    ),
    "other": "Any frame not covered above, or text with no frame (boilerplate, credits).",
}

TOPIC = {
    "smartphones": "Handsets, phone launches, consumer sales and retail.",
    "semiconductors": "Chips, processors, chipmaking, SMIC, fabrication equipment and capacity.",
    "export_controls": "US sanctions, the entity list, licensing, restrictions and their enforcement.",
    "telecom_5g": "5G networks, base stations and licensing of 5G technology.",
    "us_china_relations": "Diplomacy, visits and government statements between the two countries.",
    "corporate_strategy": (
        "Huawei's business strategy, finances, restructuring, supply-chain choices and its "
        "leadership's views on the company."
    ),
    "other": "Anything else.",
}

FIELDS: dict[str, dict[str, str]] = {
    "segment_type": SEGMENT_TYPE,
    "stance": STANCE,
    "frame": FRAME,
    "topic": TOPIC,
}
"""Every annotated field, in column order, mapped to its labels and their definitions."""

BENCHMARK_SEGMENT_TYPES = ("headline", "caption", "body")
"""Segment types that enter the task configs; the rest are published in the sentences config."""


def labels(field: str) -> tuple[str, ...]:
    """The ordered label names of a field."""
    return tuple(FIELDS[field])
