"""Where the annotation of each article stands: labelled per pass, gold, adjudicated, pending."""

from __future__ import annotations

from dataclasses import dataclass

from ..corpus.seeds import load_segments
from . import gold, records


@dataclass(frozen=True)
class ArticleStatus:
    """One article's annotation progress."""

    article_id: str
    segments: int
    labelled: dict[str, int]
    """pass name -> segments of the article it has labelled"""
    gold: int
    """segments with a gold record"""
    adjudicated: int
    """segments with at least one field decided by the adjudicator"""
    awaiting_decision: int
    """segments with a case no adjudication decides yet"""
    from_prediction: int
    """labels, over all passes, accepted unchanged from a model's pre-annotation"""

    @property
    def state(self) -> str:
        if self.gold == self.segments:
            return "complete"
        if self.awaiting_decision:
            return "awaiting adjudication"
        return "pending"


def compute(passes: dict[str, dict[str, dict]] | None = None, segments: list[dict] | None = None,
            adjudications: dict[tuple[str, str], dict] | None = None) -> list[ArticleStatus]:
    """Status of every article of the segments, in article order."""
    passes = records.load_passes() if passes is None else passes
    segments = load_segments() if segments is None else segments
    adjudications = gold.load_adjudications() if adjudications is None else adjudications
    waiting = gold.undecided(gold.open_cases(passes, segments), adjudications)
    adjudication_file = records.ANNOTATIONS_DIR / records.ADJUDICATION_FILE
    with_gold = {g["id"] for g in gold.derive(passes, segments, adjudications, adjudication_file)}
    decided = {sid for sid, _ in adjudications}
    by_article: dict[str, list[str]] = {}
    for s in segments:
        by_article.setdefault(s["article_id"], []).append(s["id"])
    out = []
    for article, ids in sorted(by_article.items()):
        out.append(ArticleStatus(
            article_id=article,
            segments=len(ids),
            labelled={name: sum(sid in records for sid in ids) for name, records in passes.items()},
            gold=sum(sid in with_gold for sid in ids),
            adjudicated=sum(sid in decided for sid in ids),
            awaiting_decision=sum(sid in waiting for sid in ids),
            from_prediction=sum(len(records[sid].get("from_prediction", ())) for records in passes.values()
                                for sid in ids if sid in records),
        ))
    return out


def table(statuses: list[ArticleStatus]) -> tuple[list[str], list[list]]:
    """Header and rows for printing: one row per article."""
    names = list(statuses[0].labelled) if statuses else []
    header = ["article", "segments", *names, "gold", "adjudicated", "awaiting decision", "from predictions", "state"]
    rows = [[s.article_id, s.segments, *(f"{s.labelled[n]}/{s.segments}" for n in names), f"{s.gold}/{s.segments}",
             s.adjudicated, s.awaiting_decision, s.from_prediction, s.state] for s in statuses]
    return header, rows
