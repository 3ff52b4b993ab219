"""What both command lines share: run a parsed verb, turning known errors into one-line messages."""

from __future__ import annotations

import argparse
import sys

from .annotations import ValidationError
from .segment import InputError


def run(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> int:
    """Parse, run the verb; bad input exits 2 with `error: ...`, invalid annotations exit 1."""
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"error: {len(exc.problems)} annotation problem(s)", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
