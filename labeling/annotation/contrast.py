"""The contrast set: minimal edits of benchmark sentences that change (or keep) their labels,
kept only when a blind verification pass gives the intended labels.

Files in `labeling/contrast/`:
- `candidates/*.jsonl`: every edit as written, with its intended labels (never trained on);
- `verification_<name>.jsonl`: blind passes, each over a disjoint share of the edited texts alone
  (no originals, no intended labels, no edit types), with its packet and manifest beside it;
- `items.jsonl` (derived by `python -m labeling contrast`): the verified items, and
  `rejected.jsonl`: the rest, with the fields on which verification disagreed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import Problem, ValidationError
from ..core.io import dumps_json, jsonl_objects, write_atomic
from ..core.paths import LABELING_DIR, ROOT
from ..corpus.seeds import load_segments
from . import leaks, schema
from .passes import CODEBOOK_FILE, sha256, utc_now
from .records import check_values

CONTRAST_DIR = LABELING_DIR / "contrast"
CANDIDATES_DIR = CONTRAST_DIR / "candidates"
ITEMS_FILE = CONTRAST_DIR / "items.jsonl"
REJECTED_FILE = CONTRAST_DIR / "rejected.jsonl"

MAX_EDIT_RATIO = 0.30
"""At most this share of the original's tokens may change (token edit distance / original length)."""

STANCE_EDITS = ("stance_reverse", "stance_none", "stance_favor", "stance_against")
EDIT_TYPES = (*STANCE_EDITS, "frame_change", "invariance")
TOKEN = re.compile(r"\w+|[^\w\s]")
CANDIDATE_KEYS = ("source_id", "edit_type", "target", "text", *schema.ANNOTATION_FIELDS)


def tokens(text: str) -> list[str]:
    """Word and punctuation tokens, case kept: the unit of the edit ratio."""
    return TOKEN.findall(text)


def token_edit_distance(a: list[str], b: list[str]) -> int:
    """Levenshtein distance over tokens (insertions, deletions, substitutions)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def edit_ratio(original: str, edited: str) -> float:
    """Token edit distance over the original's token count, rounded to 4 places."""
    a = tokens(original)
    return round(token_edit_distance(a, tokens(edited)) / max(len(a), 1), 4)


def targeted_fields(edit_type: str, target: str | None) -> tuple[str, ...]:
    """The fields verification must confirm for an item of this edit type."""
    if edit_type in STANCE_EDITS:
        return (schema.stance_field(target),)
    if edit_type == "frame_change":
        return ("frame", "topic", *schema.STANCE_FIELDS)
    return ("topic", "frame", *schema.STANCE_FIELDS)


def item_id(source_id: str, edit_type: str, target: str | None, text: str) -> str:
    digest = hashlib.sha256(f"{source_id}|{edit_type}|{target}|{text}".encode()).hexdigest()[:8]
    return f"{source_id}~{edit_type}{'~' + target if target else ''}~{digest}"


@dataclass(frozen=True)
class Candidate:
    """One edit as written, with where it came from."""

    path: Path
    line: int
    record: dict


def text_issues(original: str, text: str, corpus_texts: set[str]) -> list[str]:
    """What makes an edited text unusable: no change, too large a change, or a corpus sentence."""
    issues = []
    ratio = edit_ratio(original, text)
    if text == original:
        issues.append("text equals the original")
    elif ratio > MAX_EDIT_RATIO:
        issues.append(f"edit ratio {ratio:.3f} exceeds {MAX_EDIT_RATIO} (token edit distance over the original's length)")
    if text in corpus_texts:
        issues.append("text equals a corpus sentence")
    return issues


def check_candidates(rows: list[Candidate], gold: dict[str, dict]) -> list[Problem]:
    """Every problem of the candidate edits: source, type, target, labels, ratio, copies, duplicates."""
    segments = load_segments()
    by_id = {s["id"]: s for s in segments}
    corpus_texts = {s["text"] for s in segments}
    grams = {}
    for s in segments:
        for gram in leaks.ngrams(s["text"]):
            grams.setdefault(gram, set()).add(s["id"])
    problems, seen_text = [], {}
    for c in rows:
        r = c.record

        def bad(message: str) -> None:
            problems.append(Problem(c.path, c.line, message))

        if set(r) != set(CANDIDATE_KEYS):
            bad(f"keys must be exactly {', '.join(CANDIDATE_KEYS)}")
            continue
        source = by_id.get(r["source_id"])
        if source is None:
            bad(f"unknown source_id {str(r['source_id'])[:80]!r}")
            continue
        if gold.get(source["id"], {}).get("segment_type") not in schema.BENCHMARK_SEGMENT_TYPES:
            bad(f"source {source['id']} is not a benchmark sentence")
        if r["edit_type"] not in EDIT_TYPES:
            bad(f"unknown edit_type {str(r['edit_type'])[:40]!r} (allowed: {', '.join(EDIT_TYPES)})")
            continue
        if (r["edit_type"] in STANCE_EDITS) != (r["target"] in schema.TARGETS):
            bad("stance edits name a target (us_restrictions, huawei, china_self_reliance); other edits have target null")
            continue
        issues = check_values(r)
        for issue in issues:
            bad(issue)
        if not isinstance(r["text"], str) or not r["text"].strip():
            bad("text is empty")
            continue
        for issue in text_issues(source["text"], r["text"], corpus_texts):
            bad(issue)
        copied = {sid for gram in leaks.ngrams(r["text"]) for sid in grams.get(gram, ()) if sid != source["id"]}
        if copied:
            bad(f"text shares 8 consecutive words with another corpus sentence ({sorted(copied)[0]})")
        if r["text"] in seen_text:
            bad(f"duplicate text (first on line {seen_text[r['text']]})")
        seen_text.setdefault(r["text"], c.line)
        g = gold.get(source["id"])
        if g and not issues:
            problems += [Problem(c.path, c.line, m) for m in intent_issues(r, g)]
    return problems


def intent_issues(r: dict, g: dict) -> list[str]:
    """An edit's intended labels must make the change its type promises."""
    kind, target = r["edit_type"], r["target"]
    out = []
    if kind in STANCE_EDITS:
        field = schema.stance_field(target)
        want = {"stance_reverse": {"favor": "against", "against": "favor"}.get(g[field]),
                "stance_none": "none" if g[field] != "none" else None,
                "stance_favor": "favor" if g[field] == "none" else None,
                "stance_against": "against" if g[field] == "none" else None}[kind]
        if want is None:
            out.append(f"{kind} does not apply to an original whose {field} is {g[field]}")
        elif r[field] != want:
            out.append(f"{kind} must make {field} {want}, intended {r[field]}")
    elif kind == "frame_change":
        if r["frame"] == g["frame"]:
            out.append("frame_change must change the primary frame")
        changed = [f for f in ("topic", *schema.STANCE_FIELDS) if r[f] != g[f]]
        if changed:
            out.append(f"frame_change must keep topic and stances, changes {', '.join(changed)}")
    else:
        changed = [f for f in ("topic", "frame", *schema.STANCE_FIELDS) if r[f] != g[f]]
        if changed:
            out.append(f"invariance must keep every label, changes {', '.join(changed)}")
    return out


def read_jsonl_rows(path: Path) -> tuple[list[Candidate], list[Problem]]:
    objects, problems = jsonl_objects(path)
    return [Candidate(Path(path), n, obj) for n, obj in objects], problems


def load_candidates(directory: Path = CANDIDATES_DIR) -> tuple[list[Candidate], list[Problem]]:
    rows, problems = [], []
    for path in sorted(Path(directory).glob("*.jsonl")):
        more, found = read_jsonl_rows(path)
        rows += more
        problems += found
    return rows, problems


def candidate_id(c: dict) -> str:
    return item_id(c["source_id"], c["edit_type"], c["target"], c["text"])


def verification_id(cid: str) -> str:
    """An opaque id that says nothing about the source, the edit type or the intended labels."""
    return "v" + hashlib.sha256(cid.encode()).hexdigest()[:10]


def verification_items(candidates: list[dict]) -> list[dict]:
    """What the blind verification sees: an opaque id and the edited text, in an order that mixes
    sources and edit types (sorted by the opaque id)."""
    items = [{"vid": verification_id(candidate_id(c)), "text": c["text"]} for c in candidates]
    return sorted(items, key=lambda x: x["vid"])


def derive(candidates: list[dict], verification: dict[str, dict], gold: dict[str, dict]) -> tuple[list[dict], list[dict]]:
    """(kept items, rejected items): kept when the blind labels equal the intended ones on every
    targeted field."""
    segments = {s["id"]: s for s in load_segments()}
    kept, rejected = [], []
    for c in sorted(candidates, key=lambda r: candidate_id(r)):
        cid = candidate_id(c)
        vid = verification_id(cid)
        blind = verification.get(vid)
        source = segments[c["source_id"]]
        fields = targeted_fields(c["edit_type"], c["target"])
        item = {
            "id": cid, "source_id": c["source_id"], "article_id": source["article_id"],
            "edit_type": c["edit_type"], "target": c["target"] or "", "original_text": source["text"],
            "text": c["text"], **{f: c[f] for f in schema.ANNOTATION_FIELDS},
            "edit_ratio": edit_ratio(source["text"], c["text"]), "synthetic": True,
        }
        if blind is None:
            rejected.append({**item, "disagreed": ["not verified"]})
            continue
        disagreed = [f for f in fields if blind[f] != c[f]]
        (rejected.append({**item, "disagreed": disagreed, "verified_as": {f: blind[f] for f in fields}})
         if disagreed else kept.append(item))
    return kept, rejected


def summary(kept: list[dict], rejected: list[dict]) -> dict:
    """Counts by edit type and target, rejection rate per edit type, edit-ratio distribution."""
    by_type = Counter(r["edit_type"] for r in kept)
    rejected_by_type = Counter(r["edit_type"] for r in rejected)
    ratios = sorted(r["edit_ratio"] for r in kept)
    quantile = lambda q: ratios[min(len(ratios) - 1, int(q * (len(ratios) - 1) + 0.5))] if ratios else None  # noqa: E731
    return {
        "kept": len(kept),
        "rejected": len(rejected),
        "by_edit_type": {t: {"kept": by_type[t], "rejected": rejected_by_type[t],
                             "rejection_rate": round(rejected_by_type[t] / (by_type[t] + rejected_by_type[t]), 4)
                             if by_type[t] + rejected_by_type[t] else None} for t in EDIT_TYPES},
        "by_target": dict(sorted(Counter(r["target"] or "-" for r in kept).items())),
        "favor_us_restrictions": sum(r["stance_us_restrictions"] == "favor" for r in kept),
        "edit_ratio": {"min": ratios[0] if ratios else None, "median": quantile(0.5), "p90": quantile(0.9),
                       "max": ratios[-1] if ratios else None},
    }


def validate_items(path: Path | None = None) -> list[Problem]:
    """Checks of the committed contrast items: source exists, ratio recomputed and in bound, labels
    valid, no duplicate text, no text equal to a corpus sentence, synthetic set."""
    rows, problems = read_jsonl_rows(ITEMS_FILE if path is None else path)
    segments = {s["id"]: s for s in load_segments()}
    corpus_texts = {s["text"] for s in segments.values()}
    seen = {}
    for c in rows:
        r = c.record

        def bad(message: str) -> None:
            problems.append(Problem(c.path, c.line, message))

        source = segments.get(r.get("source_id"))
        if source is None:
            bad(f"unknown source_id {str(r.get('source_id'))[:80]!r}")
            continue
        for issue in check_values(r):
            bad(issue)
        if r.get("original_text") != source["text"]:
            bad("original_text differs from the source segment")
        ratio = edit_ratio(source["text"], str(r.get("text")))
        if r.get("edit_ratio") != ratio:
            bad(f"edit_ratio {r.get('edit_ratio')} differs from the recomputed {ratio}")
        for issue in text_issues(source["text"], str(r.get("text")), corpus_texts):
            bad(issue)
        if r.get("text") in seen:
            bad(f"duplicate text (first on line {seen[r.get('text')]})")
        seen.setdefault(r.get("text"), c.line)
        if r.get("synthetic") is not True:
            bad("synthetic must be true")
        if r.get("edit_type") not in EDIT_TYPES:
            bad(f"unknown edit_type {str(r.get('edit_type'))[:40]!r}")
    return problems


def raise_if(problems: list[Problem]) -> None:
    if problems:
        raise ValidationError(problems)


EDIT_INSTRUCTIONS = CONTRAST_DIR / "edit_instructions.md"
VERIFY_INSTRUCTIONS = CONTRAST_DIR / "verify_instructions.md"


def edit_packet(article_ids: list[str], gold: dict[str, dict], output: Path) -> str:
    """What an editor is given: instructions, codebook, and the articles' benchmark sentences with gold labels."""
    lines = []
    for aid in article_ids:
        segs = [s for s in load_segments() if s["article_id"] == aid]
        lines.append(f"\n### Article {aid}\n\nContext (every segment):\n")
        lines += [f"[{s['id']}] {s['text']}" for s in segs]
        lines.append("\nBenchmark sentences with their gold labels:\n")
        for s in segs:
            g = gold[s["id"]]
            if g["segment_type"] in schema.BENCHMARK_SEGMENT_TYPES:
                labels = {f: g[f] for f in schema.ANNOTATION_FIELDS}
                lines.append(f"[{s['id']}] {s['text']}\n    {json.dumps(labels, ensure_ascii=False)}")
    return (EDIT_INSTRUCTIONS.read_text(encoding="utf-8") + "\n---\n\n# The codebook\n\n"
            + CODEBOOK_FILE.read_text(encoding="utf-8") + "\n---\n\n# Your articles\n" + "\n".join(lines)
            + f"\n\n---\n\nWrite your edits to: {output}\n"
            + f"Check them with: cd {ROOT} && .venv/bin/python -m labeling contrast-check {output}\n")


SUPPLEMENT_INSTRUCTIONS = CONTRAST_DIR / "supplement_instructions.md"


def supplement_packet(article_ids: list[str], gold: dict[str, dict], existing: list[dict], output: Path) -> str:
    """A supplementary editor's packet: the supplement's aim, the general edit packet, and the edits
    already written (so none is repeated)."""
    listed = "\n".join(f"- [{c['source_id']}] {c['edit_type']}: {c['text']}" for c in existing
                       if c["edit_type"] in STANCE_EDITS and c["target"] == "us_restrictions")
    return (SUPPLEMENT_INSTRUCTIONS.read_text(encoding="utf-8") + "\n---\n\n"
            + edit_packet(article_ids, gold, output) + "\n---\n\n# Edits already written (do not repeat)\n\n" + listed + "\n")


def verify_packet(items: list[dict], output: Path) -> str:
    """What the blind verifier is given: instructions, codebook, and the edited sentences alone."""
    body = "\n".join(f"[{x['vid']}] {x['text']}" for x in items)
    return (VERIFY_INSTRUCTIONS.read_text(encoding="utf-8") + "\n---\n\n# The codebook\n\n"
            + CODEBOOK_FILE.read_text(encoding="utf-8") + "\n---\n\n# The sentences\n\n" + body
            + f"\n\n---\n\nWrite your labels to: {output}\n")


def vids_in_packets() -> set[str]:
    """The items already given to a verification pass (read from the kept packets)."""
    vids: set[str] = set()
    for packet in CONTRAST_DIR.glob("verification_*.packet.md"):
        vids |= set(re.findall(r"^\[(v[0-9a-f]{10})\]", packet.read_text(encoding="utf-8"), re.M))
    return vids


def verification_files() -> list[Path]:
    """Every verification pass file (`verification_<name>.jsonl`), each over a disjoint set of items."""
    return sorted(CONTRAST_DIR.glob("verification_*.jsonl"))


def verification_manifest(name: str) -> Path:
    return CONTRAST_DIR / f"verification_{name}.manifest.json"


def begin_verification(name: str, candidates: list[dict], part: tuple[int, int] | None = None) -> int:
    """Write the packet of a new blind verification pass over the items no earlier pass was given
    (with `part` = (k, n), the k-th of n disjoint shares) and its manifest; return the item count."""
    given = vids_in_packets()
    items = [x for x in verification_items(candidates) if x["vid"] not in given]
    if part:
        items = items[part[0] - 1::part[1]]
    text = verify_packet(items, CONTRAST_DIR / f"verification_{name}.jsonl")
    write_atomic(CONTRAST_DIR / f"verification_{name}.packet.md", text)
    manifest = {"instructions_sha256": sha256(VERIFY_INSTRUCTIONS.read_bytes()),
                "codebook_sha256": sha256(CODEBOOK_FILE.read_bytes()), "packet_sha256": sha256(text),
                "items": len(items), "started_utc": utc_now(), "finished_utc": None, "output_sha256": None}
    write_atomic(verification_manifest(name), dumps_json(manifest))
    return len(items)


def finish_verification(name: str) -> dict:
    """Stamp a verification pass's finish time and the SHA-256 of its file as handed in."""
    path = verification_manifest(name)
    manifest = json.loads(path.read_text(encoding="utf-8"))
    output = CONTRAST_DIR / f"verification_{name}.jsonl"
    manifest.update(finished_utc=utc_now(), output_sha256=sha256(output.read_bytes()))
    write_atomic(path, dumps_json(manifest))
    return manifest


def load_verification(paths: list[Path] | None = None, strict: bool = True) -> dict[str, dict]:
    """vid -> the blind labels, checked against the schema; an item verified twice is an error.
    Without `strict`, a row whose labels break the schema is left out (its item then counts as not
    verified) instead of failing the whole load."""
    rows, problems = [], []
    for path in verification_files() if paths is None else paths:
        more, found = read_jsonl_rows(path)
        rows += more
        problems += found
    out = {}
    for c in rows:
        r = c.record
        if set(r) != {"vid", *schema.ANNOTATION_FIELDS}:
            problems.append(Problem(c.path, c.line, f"keys must be vid and {', '.join(schema.ANNOTATION_FIELDS)}"))
            continue
        issues = check_values(r)
        if issues and not strict:
            continue
        problems += [Problem(c.path, c.line, issue) for issue in issues]
        if r["vid"] in out:
            problems.append(Problem(c.path, c.line, f"{r['vid']} verified twice"))
        out[r["vid"]] = r
    raise_if(problems)
    return out
