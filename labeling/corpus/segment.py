"""Sentence segmentation with exact character spans into the decoded article text.

sentencex (Wikimedia's rule-based segmenter, compiled) finds the sentence boundaries; a small rule
layer of compiled regular expressions applies the corpus conventions: one paragraph per line,
sentences split inside quotations, titles that never end a sentence, numbered and lettered lists,
fragments and stray quotation marks joined to the sentence before.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from itertools import accumulate
from pathlib import Path

from sentencex import get_sentence_boundaries
from sentencex import segment as sentencex_segment

from ..core.errors import InputError

OPENING_QUOTES = "“‘«\"'"
CLOSING_QUOTES = "”’»\"'"

# A segment starting with one of these continues the sentence before it (a spaced ellipsis
# followed by a word opens a sentence instead; a hyphen joined to a word is a range, "Mon.-Fri.").
_CONTINUATION_START = re.compile(r"(?![.](?:[ \t][.]){2}[ \t]+\w)[,;:.!?)\]}%…”’»]|[\"'](?:\s|$)|[-–—]\s|[-–]\w")
_CONTINUATION_CHARS = frozenset(",;:.!?)]}%…”’»\"'-–—")
# Titles after which a sentence never ends; a month or a counting abbreviation before a number.
_NON_TERMINAL_END = re.compile(
    r"(?:^|[\s(“‘\"'])(?:Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gov|Gen|Lt|Col|Sgt|Capt|Rev|Hon|No|Nos|vs)\.$"
)
_BEFORE_NUMBER_END = re.compile(
    r"(?:^|[\s(])(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
    r"|(?i:approx|est|vols?|chap|ch|secs?|figs?|para|pp|p|art|nos?|ca|cf|ed|eds|ext|tel|ref))\.$"
)
# a.m./p.m. followed by a time zone, a day or a month stays in its sentence.
_TIME_END = re.compile(r"(?:^|\s)[aApP]\.[mM]\.$")
_TIME_FOLLOWERS = frozenset(
    "ET EST EDT CT CST CDT PT PST PDT GMT UTC BST CET HKT "
    "Eastern Pacific Central Mountain Beijing Washington London Hong Tokyo "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday "
    "January February March April May June July August September October November December "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec".split()
)
_LOCAL_TIME = re.compile(r"(?:[A-Z][\w.-]*\s+){1,3}time\b")
_FIRST_WORD = re.compile(r"[“‘\"(]?(\w+)")
# Quotations whose inside sentencex leaves unsplit, and whether an inside holds a sentence end.
_QUOTATION = re.compile(r"“([^“”]*)”|«([^«»]*)»|\"([^\"]*)\"|‘([^‘’]*)’(?!\w)")
_INNER_END = re.compile(r"[.!?…][\"'”’»)\]]*\s")
# A sentence closed inside brackets, followed by a capitalised word.
_BRACKET_END = re.compile(r"[.!?][\"'”’»]?[)\]](?=\s+[“‘\"(]?[A-Z])")
# A stray closing quote set apart from its sentence, before a capitalised word.
_QUOTE_BOUNDARY = re.compile(r"(?<=[.!?])\s*[”»](?=\s+[“‘\"(]?[A-Z])")
# A word-final period before a spaced ellipsis that opens the next sentence (". . . The").
_PERIOD_BEFORE_ELLIPSIS = re.compile(r"(?<=\w)(\.)(?:[ \t]\.){3}[ \t]+(?=[“‘\"(]?[A-Z])")
# A sentence-final "…" before a capitalised word other than "I" (as sentencex treats "...").
_ELLIPSIS_END = re.compile(r"…[\"'”’»)\]]*(?=\s+[“‘\"(]?(?!I\b)[A-Z])")
# Whitespace beyond ASCII (every such str.isspace() character), handed to sentencex as a space.
WIDE_SPACES = (
    "\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_WIDE_SPACE = re.compile(f"[{WIDE_SPACES}]")
_TO_ASCII_SPACE = str.maketrans(WIDE_SPACES, " " * len(WIDE_SPACES))
# Where a sentence ends if sentencex cannot read a text at all.
_FALLBACK_END = re.compile(r"[.!?…]+[\"'”’»)\]]*\s+(?=[“‘\"(]?[A-Z])")
# A list marker: an optional bullet, then 1. 1) 1.) (1) a. a) (a) i. (a roman numeral), then a space.
_BULLETS = "•◦▪‣⁃*–-"
_BULLET = "[" + re.escape(_BULLETS) + "]"
_LIST_MARKER = re.compile("(" + _BULLET + r"[ \t]*)?(\(?)(\d{1,3}|[ivx]{1,4}|[a-zA-Z])(\.\)|[.)])(?=[ \t]+\S)")
_MAY_OPEN_LIST = re.compile("[" + re.escape(_BULLETS) + r"(\w]")
_ENUMERATION_GLUE = re.compile(r"(?:[,;]|\b(?:and|or))\s*$")
_ROMAN = dict(zip("i ii iii iv v vi vii viii ix x".split(), "ii iii iv v vi vii viii ix x xi".split()))


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


def _library_starts(text: str, offset: int = 0) -> list[int]:
    """Where sentencex starts each sentence after the first, shifted by offset.

    Other whitespace than ASCII is handed over as a plain space (same length, so offsets hold):
    sentencex 1.0.32 panics on a capital, such a space and a period ("A\u00a0.")."""
    if not text.isascii() and _WIDE_SPACE.search(text):
        text = text.translate(_TO_ASCII_SPACE)
    try:
        pieces = sentencex_segment("en", text)
    except BaseException as exc:  # a Rust panic surfaces as pyo3's PanicException
        if type(exc).__name__ != "PanicException":
            raise
        return [m.end() + offset for m in _FALLBACK_END.finditer(text)]
    if len(pieces) < 2:
        return []
    starts = list(accumulate(map(len, pieces), initial=offset))
    if starts[-1] - offset != len(text):  # the pieces are consecutive slices of the text
        return [b["start_index"] + offset for b in get_sentence_boundaries("en", text)[1:]]
    return starts[1:-1]


def _quotation_starts(line: str) -> list[int]:
    """Sentence starts inside quotations, which sentencex keeps whole."""
    starts = []
    for match in _QUOTATION.finditer(line):
        group = match.lastindex
        inside = match.group(group)
        if _INNER_END.search(inside):
            starts += _library_starts(inside, match.start(group))
    return starts


def _successor(value: str) -> str | None:
    """The marker value after value in a list (9 -> 10, a -> b, i -> ii); None if there is none."""
    if value.isdigit():
        return str(int(value) + 1)
    nxt = _ROMAN.get(value.lower())
    if nxt is not None:
        return nxt.upper() if value.isupper() else nxt
    return chr(ord(value) + 1) if len(value) == 1 and value not in "zZ" else None


def _list_items(line: str) -> tuple[list[int], list[int]]:
    """(item starts, marker ends) of a list that opens the line or follows a colon.

    Items count in sequence (1. 2. 3., a) b) c), 9. 10., i. ii.), each after a space and not after
    a comma, a semicolon, "and" or "or" (an enumeration inside a sentence). A lone marker counts
    only at the start of the line and not as a capital letter ("A." is an initial)."""
    match = _LIST_MARKER.match(line)
    colon = line.find(": ")
    while match is None and colon >= 0:
        match = _LIST_MARKER.match(line, colon + 2)
        colon = line.find(": ", colon + 2)
    if match is None:
        return [], []
    lone_ok = match.start() == 0 and not match.group(3).isupper()
    starts, ends = [], []
    while match:
        bullet, paren, value, close = match.groups()
        starts.append(match.start(1) if bullet else match.start(2) if paren else match.start(3))
        ends.append(match.end())
        nxt = _successor(value)
        if nxt is None:
            break
        match = _next_marker(line, match.end(), paren, nxt, close)
        if match is None and len(value) == 1 and value.lower() in _ROMAN:  # i, v, x as letters
            match = _next_marker(line, ends[-1], paren, chr(ord(value) + 1), close)
        if match is not None and _ENUMERATION_GLUE.search(line, 0, match.start()):
            break  # "(1) ...; (2) ... and (3) ..." enumerates inside one sentence
    if len(starts) == 1 and not lone_ok:
        return [], []
    return starts, ends


def _next_marker(line: str, pos: int, paren: str, value: str, close: str) -> re.Match | None:
    """The next list marker of the same shape with the given value, after a space."""
    pattern = (
        r"(?<=\s)(" + _BULLET + r"[ \t]*)?(" + re.escape(paren) + r")(" + value + r")("
        + re.escape(close) + r")(?=[ \t]+\S)"
    )
    return re.compile(pattern).search(line, pos)


def _split_points(line: str) -> list[int]:
    """Sentence starts inside one paragraph: sentencex's, with the corpus conventions applied."""
    starts = _library_starts(line)
    extra = False
    if "“" in line or '"' in line or "«" in line or "‘" in line:
        found = _quotation_starts(line)
        if found:
            starts += found
            extra = True
    if ")" in line or "]" in line:
        found = [match.end() for match in _BRACKET_END.finditer(line)]
        if found:
            starts += found
            extra = True
    if "”" in line or "»" in line:
        found = [match.end() for match in _QUOTE_BOUNDARY.finditer(line)]
        if found:
            starts += found
            extra = True
    if "…" in line:
        found = [match.end() for match in _ELLIPSIS_END.finditer(line)]
        if found:
            starts += found
            extra = True
    if ". . ." in line:
        for match in _PERIOD_BEFORE_ELLIPSIS.finditer(line):
            starts = [s for s in starts if not match.end(1) < s <= match.end()] + [match.end(1)]
            extra = True
    if _MAY_OPEN_LIST.match(line) or ": " in line:
        items, marker_ends = _list_items(line)
        if items:
            for end in marker_ends:
                following = end + len(line[end:]) - len(line[end:].lstrip())
                starts = [s for s in starts if not end <= s <= following]
            starts += items[1:]  # the first item stays with any lead-in ("The rules: 1. ...")
            extra = True
    return sorted(set(starts)) if extra else starts


def _joins_previous(previous: str, current: str) -> bool:
    """Whether a piece continues the sentence before it under the corpus conventions."""
    if current[0] in _CONTINUATION_CHARS and _CONTINUATION_START.match(current):
        return True
    if previous[-1] != ".":
        return False
    tail = previous[-8:]
    if _NON_TERMINAL_END.search(tail):
        return True
    if current[0].isdigit() and _BEFORE_NUMBER_END.search(tail):
        return True
    if _TIME_END.search(tail):
        word = _FIRST_WORD.match(current)
        return word is not None and (word.group(1) in _TIME_FOLLOWERS or _LOCAL_TIME.match(current) is not None)
    return False


def split_paragraph(line: str) -> list[tuple[int, int]]:
    """Sentence spans of one paragraph (a string without line breaks), relative to it.

    The line is cut at the sentence starts; each piece is trimmed of whitespace, joined to the
    sentence before when it continues it, and a quotation mark left after a space at the end of
    a finished sentence moves to the next one. Every non-space character lands in one span."""
    spans: list[tuple[int, int]] = []
    previous = ""
    cut = 0
    for end in (*_split_points(line), len(line)):
        piece = line[cut:end]
        stripped = piece.strip()
        if stripped:
            start = cut + piece.index(stripped[0])
            if spans and _joins_previous(previous, stripped):
                spans[-1] = (spans[-1][0], start + len(stripped))
                previous = line[spans[-1][0] : spans[-1][1]]
            else:
                stop = start + len(stripped)
                if spans and previous[-1] in OPENING_QUOTES and len(previous) >= 2 and previous[-2].isspace():
                    first, start = spans[-1][0], spans[-1][1] - 1
                    spans[-1] = (first, first + len(previous[:-1].rstrip()))
                spans.append((start, stop))
                previous = line[start:stop]
        cut = end
    return spans


def segment_text(text: str) -> list[Segment]:
    """Segment a whole article: paragraphs are lines, sentences never cross a line break."""
    segments = []
    for p, (pstart, pend) in enumerate(paragraphs(text)):
        line = text[pstart:pend]
        for s, (a, b) in enumerate(split_paragraph(line)):
            segments.append(Segment(pstart + a, pstart + b, p, s, line[a:b]))
    return segments
