"""The label inventories (schema v2): the one place that names every label and defines it in a line.

Validation, dataset features, the dataset card, the Label Studio config, the scorer and the
baselines all read these; the order is the integer id order of the ClassLabel features. The
codebook (`labeling/codebook/codebook.md`) gives the decision rules and constructed examples.
"""

from __future__ import annotations

SCHEMA_VERSION = 2

SEGMENT_TYPE = {
    "headline": "A title or subtitle line of the article.",
    "caption": "A photo caption or image description line.",
    "body": "A sentence of the article's running text.",
    "credit": "A byline, reporting credit or source credit line.",
    "boilerplate": "Website furniture: comment prompts, form notices, navigation, share buttons.",
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

STANCE = {
    "favor": "The sentence expresses support for, or a positive evaluation of, the target.",
    "against": "The sentence expresses opposition to, or a negative evaluation of, the target.",
    "none": "No stance toward the target can be inferred: neutral facts, or text about something else.",
}

TARGETS = {
    "us_restrictions": (
        "US restrictions on Chinese technology: export controls, sanctions, entity-list designations, "
        "licence requirements, equipment bans, and the cut-off of US supply they cause."
    ),
    "huawei": "Huawei the company: its products, conduct and prospects.",
    "china_self_reliance": (
        "China's drive to make its own technology instead of depending on foreign supply."
    ),
}

SPEECH = {
    "author": "The text's own voice: no quoted or attributed speaker carries the view.",
    "direct_quote": "A quotation in quotation marks carries the view.",
    "reported": "Indirect speech or an attributed view without quotation marks ('X said that ...').",
}

SOURCE_TYPE = {
    "author": "The author or outlet itself (speech is author).",
    "us_government": "US officials, agencies, Congress members and government bodies.",
    "chinese_government": "Chinese officials, ministries, spokespeople and state bodies.",
    "huawei": "Huawei, its executives and spokespeople.",
    "other_industry": "Other companies, their executives, industry groups and suppliers.",
    "analyst_or_expert": "Analysts, researchers, consultants and other named or unnamed experts.",
    "media": "Other news outlets and journalists cited as a source.",
    "public": "Consumers, netizens and members of the public.",
    "other": "Any other source.",
}


def stance_field(target: str) -> str:
    return f"stance_{target}"


STANCE_FIELDS = tuple(stance_field(t) for t in TARGETS)

FIELDS: dict[str, dict[str, str]] = {
    "segment_type": SEGMENT_TYPE,
    "topic": TOPIC,
    "frame": FRAME,
    **{stance_field(t): STANCE for t in TARGETS},
    "speech": SPEECH,
    "source_type": SOURCE_TYPE,
}
"""Every single-label field, in column order, mapped to its labels and their definitions."""

MULTI_FIELDS: dict[str, dict[str, str]] = {"frames": FRAME}
"""Multi-label fields: a list of labels (for `frames`, every frame that applies, the primary included)."""

TEXT_FIELDS = ("source_name",)
"""Free-text fields: `source_name` is "" for the author's voice and "unnamed" when no name is given."""

ANNOTATION_FIELDS = ("segment_type", "topic", "frame", "frames", *STANCE_FIELDS, "speech", "source_type",
                     "source_name")
"""Every field an annotation pass writes, in the order of its file's keys."""

AUTHOR_SOURCE = ("author", "author", "")
"""(speech, source_type, source_name) of a sentence in the author's own voice."""
UNNAMED = "unnamed"

NON_CONTENT_SEGMENT_TYPES = ("credit", "boilerplate")
"""Segment types with fixed labels (no stance, frame other, topic other, author's voice)."""

BENCHMARK_SEGMENT_TYPES = ("headline", "caption", "body")
"""Segment types that enter the task configs; the rest are published in the sentences config."""


def labels(field: str) -> tuple[str, ...]:
    """The ordered label names of a field (single- or multi-label)."""
    if field in FIELDS:
        return tuple(FIELDS[field])
    return tuple(MULTI_FIELDS[field])
