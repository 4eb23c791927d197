"""Instructor tools for the MNIST course, kept apart from ``helpers`` (what students install).

Run them from a clone of the course, in its top folder::

    python -m course_tools exercises   # write exercises/ (student copies) from solutions/
    python -m course_tools clean       # strip volatile metadata, give cells readable ids
    python -m course_tools check       # what CI checks: exercises, notebooks, lint, format
    python -m course_tools grade SUBMISSIONS_DIR --out grades.csv

``python -m course_tools --help`` says more; every command takes its folders as arguments, and
its defaults are the course's folders below the current directory.
"""
