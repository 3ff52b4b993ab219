"""The worked scoring example in docs/evaluation.md runs and gives the numbers it shows."""

import doctest
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "evaluation.md"


def test_worked_example_matches_the_scorer():
    result = doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 8
    assert result.failed == 0
