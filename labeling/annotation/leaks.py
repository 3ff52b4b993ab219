"""Leak checks: the codebook may quote no corpus sentence, nor paraphrase one closely.

A codebook line leaks when it shares a run of 8 consecutive word tokens (case-insensitive) with
any segment; an example sentence leaks when its TF-IDF cosine similarity to any segment exceeds
0.5 (scikit-learn's default TfidfVectorizer, fitted on segments and examples together).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RUN = 8
MAX_COSINE = 0.5
TOKEN = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text.lower())


def ngrams(text: str, n: int = RUN) -> set[tuple[str, ...]]:
    toks = tokens(text)
    return {tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)}


@dataclass(frozen=True)
class Leak:
    where: str
    segment_id: str
    detail: str


def shared_runs(lines: list[tuple[str, str]], segments: list[dict], n: int = RUN) -> list[Leak]:
    """(place, text) lines that share an n-token run with a segment."""
    index: dict[tuple[str, ...], str] = {}
    for s in segments:
        for gram in ngrams(s["text"], n):
            index.setdefault(gram, s["id"])
    leaks = []
    for where, text in lines:
        for gram in sorted(ngrams(text, n)):
            if gram in index:
                leaks.append(Leak(where, index[gram], " ".join(gram)))
                break
    return leaks


def close_paraphrases(examples: list[tuple[str, str]], segments: list[dict], limit: float = MAX_COSINE) -> list[Leak]:
    """(place, sentence) examples whose TF-IDF cosine to some segment exceeds `limit`."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    if not examples:
        return []
    seg_texts = [s["text"] for s in segments]
    matrix = TfidfVectorizer().fit_transform(seg_texts + [text for _, text in examples])
    sims = cosine_similarity(matrix[len(seg_texts):], matrix[:len(seg_texts)])
    leaks = []
    for (where, _), row in zip(examples, sims):
        j = int(row.argmax())
        if row[j] > limit:
            leaks.append(Leak(where, segments[j]["id"], f"cosine {row[j]:.3f}"))
    return leaks


def max_cosine(examples: list[str], segments: list[dict]) -> float:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    seg_texts = [s["text"] for s in segments]
    matrix = TfidfVectorizer().fit_transform(seg_texts + examples)
    return float(cosine_similarity(matrix[len(seg_texts):], matrix[:len(seg_texts)]).max())
