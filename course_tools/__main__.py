"""``python -m course_tools COMMAND ...``: one entry point for the instructor tools.

>>> main(["--help"])  # doctest: +ELLIPSIS
usage: python -m course_tools ...
0
"""

from __future__ import annotations

import sys

HOW_TO = """\
usage: python -m course_tools COMMAND [options]

Instructor tools for the MNIST course. Run them in the course's top folder.

Commands (each has --help):
  exercises   Write the student copies exercises/*.ipynb from solutions/*.ipynb.
              After editing a solution:   python -m course_tools exercises
  clean       Strip volatile metadata (execution timestamps, kernel ids) from notebooks,
              give every cell a readable, stable id and keep progress bars readable.
              Before committing:          python -m course_tools clean
  publish     Write the course's address and version (pyproject.toml) into the README's
              badges and every notebook's Colab setup cell; a fork passes its own:
                                          python -m course_tools publish --repository URL
  check       Exit 1 if anything CI checks is off: exercises out of date, an unclean
              notebook, an address not published, a lint or format error.
                                          python -m course_tools check
  grade       Run a class's returned notebooks and write their self-check results to a CSV:
              python -m course_tools grade submissions/ --out grades.csv

The authoring loop (CONTRIBUTING.md): edit a solution -> run it -> exercises -> clean -> test.
"""


def _commands():
    from course_tools import checks, exercises, grading, notebook_cleaning, publishing

    return {
        "exercises": exercises.main,
        "clean": notebook_cleaning.main,
        "publish": publishing.main,
        "check": checks.main,
        "grade": grading.main,
    }


def main(argv: list[str] | None = None) -> int:
    """Dispatch ``argv`` (default: the command line) to one tool; returns its exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(HOW_TO, end="")
        return 0 if argv else 2
    commands = _commands()
    command, rest = argv[0], argv[1:]
    if command not in commands:
        print(
            f"error: no command {command!r}; choose one of {', '.join(commands)}.\n",
            file=sys.stderr,
        )
        print(HOW_TO, end="", file=sys.stderr)
        return 2
    return commands[command](rest)


if __name__ == "__main__":
    sys.exit(main())
