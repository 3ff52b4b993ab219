"""Set-up and entry points that need nothing but Python 3: `python3 tasks.py main|test`.

Both create `.venv/` when missing, install the project into it (again only when pyproject.toml
changed), then run the main job or the tests inside it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")

MAIN_JOB = [
    ["-m", "labeling", "segments", "--check"],
    ["-m", "labeling", "validate"],
    ["-m", "labeling", "build"],
    ["-m", "baselines", "run"],  # reads data/, writes baselines/results/ and the leaderboard blocks
]
TEST_JOB = [
    ["-m", "labeling", "build", "--check"],
    ["-m", "pytest", "-q"],
]


def run(args: list[str]) -> None:
    print("+ python " + " ".join(args), flush=True)
    code = subprocess.call([str(PYTHON), *args], cwd=ROOT)
    if code:
        sys.exit(code)


def install(extras: str) -> None:
    """Create the virtual environment and install the project, skipping both when up to date."""
    if not PYTHON.exists():
        print(f"creating {VENV.name}/", flush=True)
        venv.create(VENV, with_pip=True)
    stamp = VENV / f".installed-{extras or 'core'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    target = f".[{extras}]" if extras else "."
    cmd = [str(PYTHON), "-m", "pip", "install", "-qq", "--disable-pip-version-check"]
    subprocess.check_call([*cmd, "-e", target], cwd=ROOT)
    stamp.write_text(digest)


def main() -> None:
    jobs = {"main": ("", MAIN_JOB), "test": ("test", TEST_JOB)}
    if len(sys.argv) != 2 or sys.argv[1] not in jobs:
        sys.exit("usage: python3 tasks.py main|test")
    extras, steps = jobs[sys.argv[1]]
    install(extras)
    for step in steps:
        run(step)


if __name__ == "__main__":
    main()
