"""``python -m course_tools check``: everything CI checks about form, in one command.

Exercises generated from the current solutions, every committed notebook clean, and ``ruff``
(lint and format, configured in ``pyproject.toml``) content with the code and the notebooks.
The tests themselves run with ``pytest`` (README, "Test").

    >>> STEPS[0][0]
    'exercises are up to date'
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

from course_tools import exercises, notebook_cleaning, publishing

RUFF_TARGETS = ["."]


def _ruff(*arguments: str) -> int:
    """Run the ruff pinned in requirements.txt (this Python's), not whichever is on PATH."""
    if importlib.util.find_spec("ruff") is None:
        print("ruff is not installed here: pip install -r requirements.txt", file=sys.stderr)
        return 2
    command = [sys.executable, "-m", "ruff", *arguments, *RUFF_TARGETS]
    return subprocess.run(command, check=False).returncode


STEPS = [
    ("exercises are up to date", lambda: exercises.main(["--check"])),
    ("notebooks are clean", lambda: notebook_cleaning.main(["--check"])),
    ("the address is published", lambda: publishing.main(["--check"])),
    ("ruff check", lambda: _ruff("check")),
    ("ruff format --check", lambda: _ruff("format", "--check")),
]


def main(argv: list[str] | None = None) -> int:
    """Run every step, report each, and return 0 only if all passed."""
    if argv:
        print("usage: python -m course_tools check   (no options: it checks the folder you are in)")
        return 0 if argv[0] in {"-h", "--help"} else 2
    failed = []
    for name, step in STEPS:
        print(f"--- {name}", flush=True)
        if step() != 0:
            failed.append(name)
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    print("all checks passed")
    return 0
