"""The benchmark's task registry: each task config, the field it labels and how it is scored.

The scorer, the leaderboard and the dataset card all read these specs; adding a task is one entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..annotation import schema


@dataclass(frozen=True)
class MetricSpec:
    """How a task is scored: the main score's name and the labels it averages (None: present)."""

    main: str
    main_labels: tuple[str, ...] | None
    description: str


METRICS: dict[str, MetricSpec] = {
    "stance": MetricSpec("f_avg", ("favor", "against"), "F_avg: mean F1 of favor and against (SemEval-2016 Task 6)"),
    "frame": MetricSpec("macro_f1", None, "macro-F1 over the frames present in the gold data"),
    "topic": MetricSpec("macro_f1", None, "macro-F1 over the topics present in the gold data"),
}
"""Task -> metric spec."""

MAIN_SCORE_NAMES = {"f_avg": "F_avg", "macro_f1": "macro-F1"}

TASKS = tuple(METRICS)
assert set(TASKS) <= set(schema.FIELDS), "every task labels a schema field"
