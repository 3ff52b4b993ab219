"""Our segmenter beside other sentence-segmentation libraries: differing spans, hard cases and
throughput.

Every segmenter gets the same paragraphs (the non-blank lines of the seeds, and the constructed
hard cases), so the comparison is about sentence boundaries, not line handling. Libraries that are
not installed are skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..core.tables import markdown_table
from ..corpus.segment import paragraphs, split_paragraph
from . import hard_cases

Spans = list[tuple[int, int]]


def _locate(line: str, pieces) -> Spans:
    """Spans of segment strings found in order in the line (for libraries that return strings)."""
    spans, pos = [], 0
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        start = line.find(piece, pos)
        if start < 0:
            continue
        spans.append((start, start + len(piece)))
        pos = start + len(piece)
    return spans


def _pysbd() -> Callable[[str], Spans]:
    import pysbd

    seg = pysbd.Segmenter(language="en", clean=False)
    return lambda line: _locate(line, seg.segment(line))


def _syntok() -> Callable[[str], Spans]:
    import syntok.segmenter
    import syntok.tokenizer

    tok = syntok.tokenizer.Tokenizer()

    def run(line: str) -> Spans:
        starts = [s[0].offset for s in syntok.segmenter.split(tok.tokenize(line))]
        ends = [*starts[1:], len(line)]
        return [(a, a + len(line[a:b].rstrip())) for a, b in zip(starts, ends)]

    return run


def _sentencex() -> Callable[[str], Spans]:
    from sentencex import segment

    return lambda line: _locate(line, segment("en", line))


def _spacy() -> Callable[[str], Spans]:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return lambda line: [
        (s.start_char, s.start_char + len(s.text.rstrip())) for s in nlp(line).sents if s.text.strip()
    ]


SEGMENTERS: dict[str, Callable[[], Callable[[str], Spans]]] = {
    "techsanctions": lambda: split_paragraph,
    "syntok": _syntok,
    "pysbd": _pysbd,
    "sentencex": _sentencex,
    "spacy-sentencizer": _spacy,
}
"""Name -> factory of a function from one paragraph to its sentence spans."""


def available() -> dict[str, Callable[[str], Spans]]:
    """The segmenters whose libraries import here."""
    out = {}
    for name, factory in SEGMENTERS.items():
        try:
            out[name] = factory()
        except ImportError:
            continue
    return out


def corpus_lines(articles: dict[str, str]) -> list[tuple[str, int, str]]:
    """(article id, paragraph index, paragraph text) for every paragraph of every article."""
    return [
        (aid, p, text[a:b])
        for aid, text in sorted(articles.items())
        for p, (a, b) in enumerate(paragraphs(text))
    ]


def differences(articles: dict[str, str], name: str, fn: Callable[[str], Spans]) -> list[dict]:
    """Paragraphs where a segmenter's spans differ from ours, with both segmentations."""
    out = []
    for aid, p, line in corpus_lines(articles):
        ours, theirs = split_paragraph(line), fn(line)
        if ours != theirs:
            out.append(
                {
                    "article_id": aid,
                    "paragraph": p,
                    "ours": [line[a:b] for a, b in ours if (a, b) not in theirs],
                    name: [line[a:b] for a, b in theirs if (a, b) not in ours],
                }
            )
    return out


def throughput(lines: list[str], fn: Callable[[str], Spans], min_seconds: float = 0.5) -> dict:
    """MB/s and sentences/s of a segmenter over the lines, repeated for at least min_seconds."""
    size = sum(len(line.encode("utf-8")) for line in lines)
    rounds, sentences, start = 0, 0, time.perf_counter()
    while True:
        for line in lines:
            sentences += len(fn(line))
        rounds += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            break
    return {
        "mb_per_s": size * rounds / elapsed / 1e6,
        "sentences_per_s": sentences / elapsed,
        "rounds": rounds,
    }


def speeds(lines: list[str], segmenters: dict[str, Callable[[str], Spans]], min_seconds: float) -> dict[str, dict]:
    """Throughput of every segmenter on the same lines, in one run, with its ratio to ours."""
    out = {name: throughput(lines, fn, min_seconds) for name, fn in segmenters.items()}
    ours = out["techsanctions"]["mb_per_s"]
    for entry in out.values():
        entry["ratio_to_ours"] = entry["mb_per_s"] / ours
    return out


def hard_case_results(segmenters: dict[str, Callable[[str], Spans]]) -> dict[str, dict]:
    """Per segmenter: how many hard cases it gets exactly right, and its sentences for each."""
    out = {}
    for name, fn in segmenters.items():
        cases = hard_cases.score(fn)
        out[name] = {"right": sum(c["right"] for c in cases.values()), "total": len(cases), "cases": cases}
    return out


def hard_case_table(results: dict[str, dict]) -> str:
    """Case, expected sentence count, right or wrong for each segmenter; then the count right."""
    names = list(results)
    rows = [
        [case.name, len(case.expected), *("right" if results[n]["cases"][case.name]["right"] else "wrong" for n in names)]
        for case in hard_cases.CASES
    ]
    rows.append(["**right**", "", *(f"{results[n]['right']}/{results[n]['total']}" for n in names)])
    return markdown_table(["case", "expected", *names], rows)
