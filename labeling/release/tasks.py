"""The benchmark's task registry: each task config, the gold field it labels and how it is scored.

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


@dataclass(frozen=True)
class Task:
    """A single-label task config: its gold field (None for the pooled stance task) and metric."""

    name: str
    field: str | None
    labels: tuple[str, ...]
    metric: MetricSpec
    summary: str
    multilabel: bool = False


F_AVG = MetricSpec("f_avg", ("favor", "against"),
                   "F_avg: mean F1 of favor and against (SemEval-2016 Task 6)")


def _macro(what: str) -> MetricSpec:
    return MetricSpec("macro_f1", None, f"macro-F1 over the {what} present in the gold data")


REGISTRY: dict[str, Task] = {
    "stance": Task("stance", None, tuple(schema.STANCE), F_AVG,
                   "stance toward each of the three targets, one row per (sentence, target), pooled"),
    **{schema.stance_field(t): Task(schema.stance_field(t), schema.stance_field(t), tuple(schema.STANCE), F_AVG,
                                    f"stance toward {t.replace('_', ' ')}")
       for t in schema.TARGETS},
    "frame": Task("frame", "frame", tuple(schema.FRAME), _macro("frames"), "primary frame (15 labels)"),
    "topic": Task("topic", "topic", tuple(schema.TOPIC), _macro("topics"), "topic"),
    "source": Task("source", "source_type", tuple(schema.SOURCE_TYPE), _macro("source types"),
                   "whose view the sentence expresses (source type)"),
    "frames": Task("frames", "frames", tuple(schema.FRAME),
                   MetricSpec("micro_f1", None, "micro-F1 over every (sentence, frame) decision (SemEval-2023 Task 3)"),
                   "every frame that applies (multi-label)", multilabel=True),
}

TASKS = tuple(REGISTRY)
METRICS: dict[str, MetricSpec] = {name: task.metric for name, task in REGISTRY.items()}
MAIN_SCORE_NAMES = {"f_avg": "F_avg", "macro_f1": "macro-F1", "micro_f1": "micro-F1"}
SINGLE_LABEL_TASKS = tuple(name for name, task in REGISTRY.items() if not task.multilabel)


def labels(task: str) -> tuple[str, ...]:
    """The ordered label names of a task's `label` column."""
    return REGISTRY[task].labels
