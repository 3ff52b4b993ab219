"""The worked scoring example in docs/evaluation.md runs and gives the numbers it shows."""

import doctest
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "evaluation.md"


def test_worked_example_matches_the_scorer():
    result = doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 8
    assert result.failed == 0


# -- the README's commands work as written ------------------------------------------------------

import re  # noqa: E402
import shlex  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import yaml  # noqa: E402

ROOT = DOC.parent.parent
README = ROOT / "README.md"
COMMAND = re.compile(r"([^\s`(]*python3?) -m (labeling|baselines)\s+([a-z][a-z-]*)")


def readme_commands() -> list[tuple[str, str, str]]:
    return COMMAND.findall(README.read_text(encoding="utf-8"))


def test_readme_uses_the_virtual_environment_throughout():
    """Bare `python -m` fails after the two set-up commands, so the README never writes it."""
    found = readme_commands()
    assert len(found) >= 15
    assert sorted({python for python, _, _ in found}) == [".venv/bin/python"]


def test_every_readme_verb_exists():
    from baselines.__main__ import build_parser as baselines_parser
    from labeling.__main__ import build_parser as labeling_parser

    verbs = {
        name: set(next(a for a in parser._actions if a.dest == "command").choices)
        for name, parser in (("labeling", labeling_parser()), ("baselines", baselines_parser()))
    }
    unknown = sorted({(pkg, verb) for _, pkg, verb in readme_commands() if verb not in verbs[pkg]})
    assert unknown == []


def test_readme_read_only_commands_run_as_written():
    """The README's scoring and validation commands, run exactly as printed, succeed."""
    text = README.read_text(encoding="utf-8")
    lines = [line.split("#")[0].strip() for line in text.splitlines()
             if line.startswith(".venv/bin/python -m baselines evaluate --task stance")
             or line.strip() == ".venv/bin/python -m labeling validate"]
    assert lines, "the README shows no scoring command"
    python = Path(sys.executable)
    for line in lines:
        args = shlex.split(line)
        proc = subprocess.run([str(python), *args[1:]], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, (line, proc.stderr)


def test_citation_file_is_valid_cff_with_the_release_version():
    from labeling.release import version

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0" and cff["version"] == version.VERSION
    assert cff["title"] and cff["authors"]
    assert f"## {version.VERSION} " in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
