"""The one-way architecture: labeling never imports baselines, no import cycles, and the build
reads nothing under baselines/."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from labeling.core.paths import ROOT

PACKAGES = ("labeling", "baselines")


def modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Project modules imported anywhere in the file, function-local imports included."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: {t for t in imports(name, path, known) if not name.startswith(t + ".")} for name, path in mods.items()}


def test_labeling_never_imports_baselines():
    upward = sorted((a, b) for a, targets in graph().items() if a.startswith("labeling")
                    for b in targets if b.startswith("baselines"))
    assert upward == []


def test_no_import_cycles():
    g = graph()
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(g.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in sorted(g):
        if node not in state:
            visit(node, [node])
    assert cycles == []


_OPENED: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if _OPENED is not None and event == "open" and isinstance(args[0], (str, bytes, Path)):
        _OPENED.append(str(Path(args[0] if not isinstance(args[0], bytes) else args[0].decode()).resolve()))


sys.addaudithook(_audit)


def test_build_check_reads_nothing_under_baselines():
    """`build --check` renders the whole dataset; every file it opens is recorded."""
    global _OPENED
    from labeling.release import build

    _OPENED = []
    try:
        build.check()
        opened = list(_OPENED)
    finally:
        _OPENED = None
    assert any(p.endswith("segments.jsonl") for p in opened), "the audit hook saw no reads"
    under = str((ROOT / "baselines").resolve())
    assert [p for p in opened if p.startswith(under)] == []


def test_the_analysis_sees_imports():
    """The graph is not vacuous: it finds known edges, function-local ones included."""
    g = graph()
    assert "labeling.core.errors" in g["labeling.release.build"] or "labeling.core.io" in g["labeling.release.build"]
    assert "labeling.annotation.agreement" in g["labeling.__main__"]  # imported inside a verb
    assert "labeling.release.tasks" in g["baselines.metrics"]
