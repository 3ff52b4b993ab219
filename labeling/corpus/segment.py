"""Sentence segmentation with exact character spans into the decoded article text.

syntok finds the sentence boundaries; a small post-processing layer applies the corpus
conventions (one paragraph per line, abbreviations that never end a sentence, fragments and stray
quotation marks joined to the sentence before, and a few boundaries syntok misses).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import syntok.segmenter
import syntok.tokenizer

from ..core.errors import InputError

_TOKENIZER = syntok.tokenizer.Tokenizer()

OPENING_QUOTES = "“‘«\"'"
CLOSING_QUOTES = "”’»\"'"

# A segment starting with one of these continues the sentence before it.
_CONTINUATION_START = re.compile(r"[,;:.!?)\]}%…”’»]|[\"'](?:\s|$)|[-–—]\s")
# Abbreviations after which a sentence never ends: titles, initials, company suffixes, U.S.
_NON_TERMINAL_END = re.compile(
    r"(?:^|[\s(“‘\"'])(?:Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gov|Gen|Lt|Col|Sgt|Capt|St|Sr|Jr|Rev|Hon"
    r"|Corp|Inc|Co|Ltd|Bros|No|Nos|vs|U\.S|U\.K|U\.N|E\.U|[A-Z])\.$"
)
_MONTH_END = re.compile(r"(?:^|\s)(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.$")
# Boundaries syntok misses: a sentence-final period after a.m./p.m. or after a web or e-mail
# address, found among the periods followed by a capitalised word; and a stray closing quote.
_FINAL_PERIOD = re.compile(r"(\S+)\.(?=\s+[“‘\"(]?([A-Z]\w*))")
_ADDRESS = re.compile(r"(?:https?://\S*|(?:www\.)?[\w.+-]*@?[\w-]*[A-Za-z][\w-]*(?:\.[\w-]+)*\.[a-z]{2,}(?:/\S*)?)")
_TIME = re.compile(r"[ap]\.m")
_TIME_ZONE_WORDS = frozenset(
    "ET EST EDT CT CST CDT PT PST PDT GMT UTC BST CET HKT "
    "Eastern Pacific Central Mountain Beijing Washington London Hong Tokyo".split()
)
_QUOTE_BOUNDARY = re.compile(r"(?<=[.!?])\s*[”»](?=\s+[“‘\"(]?[A-Z])")




@dataclass(frozen=True)
class Segment:
    """One sentence: its span in the article text, its paragraph and its place in the paragraph."""

    start: int
    end: int
    paragraph: int
    sentence: int
    text: str

    def to_dict(self) -> dict:
        return asdict(self)


def decode(data: bytes, name: str = "<input>") -> str:
    """Decode article bytes as UTF-8, dropping a leading BOM; reject binary, invalid or empty input."""
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputError(f"{name}: binary file (NUL byte at byte offset {nul})")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name}: not valid UTF-8 (byte offset {exc.start}: {exc.reason})"
        ) from None
    if not text.strip():
        raise InputError(f"{name}: empty or whitespace-only article")
    return text


def read_article(path: str | Path) -> str:
    """Read and decode one article file; every failure is an InputError naming the file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    return decode(data, str(path))


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of every non-blank line, without its surrounding whitespace."""
    spans = []
    offset = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped:
            start = offset + line.index(stripped[0])
            spans.append((start, start + len(stripped)))
        offset += len(line)
    return spans


def _syntok_starts(line: str) -> list[int]:
    return [sentence[0].offset for sentence in syntok.segmenter.split(_TOKENIZER.tokenize(line))]


def _split_points(line: str) -> list[int]:
    """Sentence starts inside one paragraph: syntok's, plus the boundaries it misses."""
    starts = set(_syntok_starts(line))
    for match in _FINAL_PERIOD.finditer(line):
        word, following = match.groups()
        if _TIME.fullmatch(word):
            if following not in _TIME_ZONE_WORDS:
                starts.add(match.end())
        elif _ADDRESS.fullmatch(word):
            starts.add(match.end())
    if "”" in line or "»" in line:
        starts.update(match.end() for match in _QUOTE_BOUNDARY.finditer(line))
    return sorted(starts)


def _spans_between(line: str, starts: list[int]) -> list[tuple[int, int]]:
    """Cut the line at the starts; every character lands in one span, whitespace trimmed."""
    cuts = sorted({0, *(s for s in starts if 0 < s < len(line)), len(line)})
    spans = []
    for a, b in zip(cuts, cuts[1:]):
        piece = line[a:b]
        stripped = piece.strip()
        if stripped:
            lead = len(piece) - len(piece.lstrip())
            spans.append((a + lead, a + lead + len(stripped)))
    return spans


def _joins_previous(previous: str, current: str) -> bool:
    """Whether a piece continues the sentence before it under the corpus conventions."""
    if _CONTINUATION_START.match(current):
        return True
    tail = previous[-8:]
    if _NON_TERMINAL_END.search(tail):
        return True
    if _MONTH_END.search(tail) and current[:1].isdigit():
        return True
    return False


def _move_opening_quote(line: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A quotation mark left at the end of a sentence, after a space, opens the next one."""
    out = list(spans)
    for i in range(len(out) - 1):
        start, end = out[i]
        text = line[start:end]
        if len(text) >= 2 and text[-1] in OPENING_QUOTES and text[-2].isspace():
            new_end = start + len(text[:-1].rstrip())
            out[i] = (start, new_end)
            out[i + 1] = (end - 1, out[i + 1][1])
    return out


def split_paragraph(line: str) -> list[tuple[int, int]]:
    """Sentence spans of one paragraph (a string without line breaks), relative to it."""
    spans = _spans_between(line, _split_points(line))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and _joins_previous(line[merged[-1][0] : merged[-1][1]], line[start:end]):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return _move_opening_quote(line, merged)


def segment_text(text: str) -> list[Segment]:
    """Segment a whole article: paragraphs are lines, sentences never cross a line break."""
    segments = []
    for p, (pstart, pend) in enumerate(paragraphs(text)):
        line = text[pstart:pend]
        for s, (a, b) in enumerate(split_paragraph(line)):
            segments.append(Segment(pstart + a, pstart + b, p, s, line[a:b]))
    return segments
