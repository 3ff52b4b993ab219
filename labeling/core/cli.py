"""What both command lines share: run a parsed verb, turning every expected failure into one line.

Exit codes: 0 success, 1 a check that found problems (stale files, invalid annotations), 2 bad
input or an output that cannot be written. Messages start with `error:` and name the file.
"""

from __future__ import annotations

import argparse
import os
import sys

from .errors import CheckFailed, InputError, ValidationError

MAX_MESSAGE = 500
"""Longest message printed: a pathological input (a 50 MB id) must not become a 50 MB line."""


def _short(message: str) -> str:
    message = str(message).split("\n", 1)[0]
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + f"… ({len(message)} characters)"


def fail(message: str, code: int) -> int:
    print(f"error: {_short(message)}", file=sys.stderr)
    return code


def run(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> int:
    """Parse, run the verb; bad input exits 2 with `error: ...`, failed checks exit 1."""
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CheckFailed as exc:
        return fail(str(exc), 1)
    except ValidationError as exc:
        for problem in exc.problems:
            print(_short(str(problem)), file=sys.stderr)
        return fail(f"{len(exc.problems)} annotation problem(s)", 1)
    except InputError as exc:
        return fail(str(exc), 2)
    except BrokenPipeError:
        # Standard output closed early (e.g. `| head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except RecursionError:
        return fail("input nested too deeply to process", 2)
    except UnicodeError as exc:
        return fail(f"text is not valid UTF-8 ({exc.__class__.__name__}: {exc.reason})", 2)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        return fail(f"{where}{exc.strerror or exc}", 2)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
