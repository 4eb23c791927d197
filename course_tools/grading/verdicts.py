"""Reading the self-checks' verdicts out of an executed notebook, trusting only what is genuine.

A verdict is a check's output under ``RESULT_MIMETYPE``. It counts only when the cell that shows
it is a check cell of the reference notebook with its source unchanged, and only for the exercise
ids that cell produced in the solution notebook's stored outputs: a student's ``display()`` of a
verdict for another exercise, from any cell, never scores. An exercise whose only verdicts come
from changed or added cells fails with "the check cell was changed".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from helpers.check_results import RESULT_MIMETYPE, STATUSES

CHECK_CELL_CHANGED = "the check cell was changed"
CHECK_DID_NOT_RUN = "the check did not run"
CELL_TIMED_OUT = "a cell was stopped at the time limit (an endless loop?)"
NOT_READABLE = "the notebook could not be read"


@dataclass(frozen=True)
class Verdict:
    """One exercise's grade: ``Verdict("fail", "the check did not run")``."""

    status: str  # "pass", "fail" or "not_done"
    message: str


def check_results_in(cell: Mapping) -> list[tuple[str, Verdict]]:
    """The ``(exercise, Verdict)`` pairs a code cell's outputs carry under RESULT_MIMETYPE.

    >>> check_results_in({"outputs": []})
    []
    """
    found = []
    for output in cell.get("outputs", []):
        data = output.get("data", {}).get(RESULT_MIMETYPE) if isinstance(output, Mapping) else None
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except json.JSONDecodeError:
                continue
        if not isinstance(data, dict) or "exercise" not in data:
            continue
        status = data.get("status")
        if status not in STATUSES:
            verdict = Verdict("fail", f"invalid check status {status!r}")
        else:
            verdict = Verdict(status, str(data.get("message", "")))
        found.append((str(data["exercise"]), verdict))
    return found


def code_cells(notebook: Mapping) -> list[Mapping]:
    """The code cells of a notebook (as a dict or NotebookNode): ``code_cells(nb)[0]["source"]``."""
    return [cell for cell in notebook.get("cells", []) if cell.get("cell_type") == "code"]


def error_name(cell: Mapping) -> str | None:
    """The exception name of a cell that raised, else None: ``error_name(cell) == "NameError"``."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return output.get("ename") or "an error"
    return None


class ReferenceCells:
    """Looks up a submission's cells in the reference, by cell id (or by source for old
    notebook files without cell ids, such as nbformat 4.0 downloads).

    >>> ReferenceCells({"cells": []}).reference_id_of({"id": "x", "source": ""}) is None
    True
    """

    def __init__(self, reference_nb: Mapping) -> None:
        cells = code_cells(reference_nb)
        self.by_id = {cell["id"]: cell for cell in cells if "id" in cell}
        self.id_by_source = {cell.get("source", ""): cell.get("id") for cell in cells}

    def reference_id_of(self, cell: Mapping) -> str | None:
        """The reference id of ``cell`` if it is a reference cell with its source untouched."""
        if "id" in cell and self.by_id:
            reference = self.by_id.get(cell["id"])
            unchanged = reference is not None and reference.get("source") == cell.get("source")
            return cell["id"] if unchanged else None
        return self.id_by_source.get(cell.get("source"))

    def find_in(self, notebook: Mapping, cell_id: str) -> Mapping | None:
        """The submission's version of reference cell ``cell_id``, if it is still there."""
        reference = self.by_id.get(cell_id)
        for cell in code_cells(notebook):
            if cell.get("id") == cell_id:
                return cell
            if (
                "id" not in cell
                and reference is not None
                and cell.get("source") == reference.get("source")
            ):
                return cell
        return None


def results_from_outputs(
    executed_nb: Mapping,
    reference_nb: Mapping,
    expected_checks: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Verdict]:
    """Verdicts per exercise from an executed submission, trusting only unchanged check cells.

    ``expected_checks`` (check cell id -> exercise ids) limits each check cell to its own
    exercises and adds a failing verdict for every expected exercise that produced none.
    Without it (a reference with no stored solution outputs) any unchanged cell may report.
    Call: ``results_from_outputs(executed, reference, {"c3": ["1.1"]})`` -> ``{"1.1": Verdict(...)}``
    """
    reference = ReferenceCells(reference_nb)
    expected_checks = expected_checks or {}
    expected = {exercise for exercises in expected_checks.values() for exercise in exercises}
    verdicts: dict[str, Verdict] = {}
    changed: set[str] = set()
    for cell in code_cells(executed_nb):
        cell_id = reference.reference_id_of(cell)
        allowed = expected_checks.get(cell_id, ()) if expected_checks else None
        for exercise, verdict in check_results_in(cell):
            if cell_id is None:
                changed.add(exercise)
            elif allowed is None or exercise in allowed:
                verdicts[exercise] = verdict
    for exercise in changed - verdicts.keys():  # only genuine verdicts ever score
        if exercise in expected or not expected:  # not made-up ids
            verdicts[exercise] = Verdict("fail", CHECK_CELL_CHANGED)
    for cell_id, exercises in expected_checks.items():
        missing = [exercise for exercise in exercises if exercise not in verdicts]
        if missing:
            reason = _why_no_result(reference.find_in(executed_nb, cell_id), reference, cell_id)
            verdicts.update({exercise: Verdict("fail", reason) for exercise in missing})
    if expected:
        verdicts = {
            exercise: verdict for exercise, verdict in verdicts.items() if exercise in expected
        }
    return verdicts


def _why_no_result(submitted: Mapping | None, reference: ReferenceCells, cell_id: str) -> str:
    """Why an expected check cell produced no verdict, in the student's terms."""
    if submitted is None:
        return CHECK_DID_NOT_RUN
    original = reference.by_id.get(cell_id)
    if original is not None and submitted.get("source") != original.get("source"):
        return CHECK_CELL_CHANGED
    error = error_name(submitted)
    if error == "KeyboardInterrupt":
        return CELL_TIMED_OUT
    return f"cell raised {error}" if error else CHECK_DID_NOT_RUN
