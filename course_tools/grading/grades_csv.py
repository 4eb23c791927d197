"""The grades CSV, written one row at a time so an interrupted run keeps every finished row.

Columns: ``file, exercise_set, status, reason``, then ``ex<ID>`` and ``ex<ID> message`` for every
exercise of the references (natural order), then ``total`` and ``out_of``. Every cell is
written so that no spreadsheet runs it as a formula (a leading ``= + - @`` gets a ``'``).
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .submissions import printable
from .verdicts import Verdict

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


class GraderError(Exception):
    """Bad command-line input; the message tells the user what to do."""


@dataclass
class GradeRow:
    """One CSV row: ``GradeRow("alice/01_data.ipynb", "01_data", "ok", {...}, out_of=3)``."""

    file: str
    exercise_set: str = ""
    status: str = "ok"  # ok, errors, timeout, invalid or unknown
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    out_of: int | None = None
    detail: str = ""  # why the status is not ok
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(verdict.status == "pass" for verdict in self.verdicts.values())


def natural_key(exercise: str) -> list:
    """Sort key so that "1.2" < "1.10": ``sorted(ids, key=natural_key)``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", exercise)]


def spreadsheet_safe(value: object) -> str:
    """A cell no spreadsheet evaluates, on one printable line.

    >>> spreadsheet_safe("=cmd|' /C calc'!A0.ipynb")
    "'=cmd|' /C calc'!A0.ipynb"
    >>> spreadsheet_safe(3)
    '3'
    """
    text = printable(str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def header_for(exercises: Iterable[str]) -> list[str]:
    """The CSV header: ``header_for(["1.1"])`` -> ``[..., "ex1.1", "ex1.1 message", ...]``."""
    header = ["file", "exercise_set", "status", "reason"]
    for exercise in sorted(set(exercises), key=natural_key):
        header += [f"ex{exercise}", f"ex{exercise} message"]
    return header + ["total", "out_of"]


def row_cells(row: GradeRow, header: list[str]) -> list[str]:
    """One row's cells in the order of ``header``."""
    exercises = [name[2:] for name in header[4:-2:2]]
    line = [row.file, row.exercise_set, row.status, row.detail]
    for exercise in exercises:
        verdict = row.verdicts.get(exercise)
        line += [verdict.status, verdict.message] if verdict else ["", ""]
    line += [row.total, "" if row.out_of is None else row.out_of]
    return [spreadsheet_safe(cell) for cell in line]


def check_out_path(out: Path, submissions_dir: Path) -> None:
    """Refuse, before any grading, an ``--out`` that cannot hold the grades safely."""
    resolved = out.resolve()
    if out.is_dir():
        raise GraderError(f"--out {out} is a folder; give a file name, e.g. {out / 'grades.csv'}.")
    if out.suffix.lower() == ".ipynb":
        raise GraderError(f"--out {out} is a notebook name; the grades go to a .csv file.")
    if resolved.is_relative_to(submissions_dir.resolve()):
        raise GraderError(
            f"--out {out} is inside the submissions folder; write the grades somewhere else."
        )
    if not resolved.parent.is_dir():
        raise GraderError(f"cannot write {out}: its folder {resolved.parent} does not exist.")
    if not os.access(resolved.parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise GraderError(f"cannot write {out}: permission denied; choose another --out.")


class GradesCsv:
    """Append-only grades file. ``with GradesCsv(path, header, resume) as grades: grades.add(row)``.

    A new file gets the header at once. An existing file is continued only with ``resume``
    (its header must match) and its rows name the submissions already graded; without
    ``resume`` an existing, non-empty file is refused, never overwritten.
    """

    def __init__(self, path: Path, header: list[str], resume: bool) -> None:
        self.path, self.header = Path(path), header
        self.done: set[str] = set()
        existing = self.path.exists() and self.path.stat().st_size > 0
        if existing and not resume:
            raise GraderError(
                f"{path} already holds grades. Pass --resume to grade only the notebooks it "
                "lacks, or choose another --out (nothing was changed)."
            )
        if existing:
            self.done = self._rows_already_written()
        try:
            self.handle = open(self.path, "a", newline="", encoding="utf-8")
        except OSError as error:
            raise GraderError(f"cannot write {path}: {error.strerror}.") from None
        self.writer = csv.writer(self.handle)
        if not existing:
            self._write(header)

    def _rows_already_written(self) -> set[str]:
        with open(self.path, newline="", encoding="utf-8", errors="replace") as handle:
            reader = csv.reader(handle)
            if next(reader, None) != self.header:
                raise GraderError(
                    f"{self.path} was written for other exercises (its columns differ); "
                    "choose another --out to grade against these references."
                )
            return {line[0] for line in reader if line}

    def already_graded(self, name: str) -> bool:
        """True when ``--resume`` finds the submission ``name`` in the file already."""
        return spreadsheet_safe(name) in self.done

    def add(self, row: GradeRow) -> None:
        """Write one row and push it to the disk before returning."""
        self._write(row_cells(row, self.header))

    def _write(self, cells: list) -> None:
        self.writer.writerow(cells)
        self.handle.flush()
        os.fsync(self.handle.fileno())

    def __enter__(self) -> GradesCsv:
        return self

    def __exit__(self, *exc) -> None:
        self.handle.close()


def write_csv(rows: Iterable[GradeRow], path: Path | str) -> None:
    """Write all ``rows`` at once (tests and scripts), columns from the exercises they hold."""
    rows = list(rows)
    header = header_for(exercise for row in rows for exercise in row.verdicts)
    with GradesCsv(Path(path), header, resume=False) as grades:
        for row in rows:
            grades.add(row)
