"""The project's expected failures: bad input (exit 2) and invalid annotation files (exit 1)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .paths import shown


class InputError(ValueError):
    """Input the user can fix: the message names the file and place, and says what is wrong."""


@dataclass(frozen=True)
class Problem:
    """One validation problem, printed as `file:line: message` (line 0: the file as a whole)."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{shown(self.path)}:{self.line}: {self.message}"


class ValidationError(Exception):
    """Files that do not validate; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


class CheckFailed(Exception):
    """A check that found differences (exit 1); the message says what to do."""
