"""The generated exercise notebooks a class's submissions are graded against.

A reference is an ``exercises/`` notebook; the exercises it expects, and which check cell reports
each, come from the matching ``solutions/`` notebook's stored outputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .verdicts import check_results_in, code_cells


@dataclass(frozen=True)
class Reference:
    """A generated exercise notebook and the check cells it should produce verdicts from.

    ``expected_checks`` maps a check cell id to the exercise ids it produced in the solution
    notebook's stored outputs, e.g. ``{"3f2a": ["2.1"]}``.
    """

    file_name: str
    exercise_set: str
    notebook: nbformat.NotebookNode
    expected_checks: dict[str, list[str]]

    @property
    def expected_exercises(self) -> list[str]:
        return [exercise for ids in self.expected_checks.values() for exercise in ids]


def expected_checks_from_solution(
    solution_nb: Mapping, reference_nb: Mapping
) -> dict[str, list[str]]:
    """Check cell id -> exercise ids, from the solution's stored outputs, for cells the
    reference also has. Call: ``expected_checks_from_solution(solution, exercise)``."""
    reference_ids = {cell.get("id") for cell in code_cells(reference_nb)}
    expected: dict[str, list[str]] = {}
    for cell in code_cells(solution_nb):
        exercises = list(dict.fromkeys(exercise for exercise, _ in check_results_in(cell)))
        if exercises and "id" in cell and cell["id"] in reference_ids:
            expected[cell["id"]] = exercises
    return expected


def exercise_set_of(notebook: Mapping) -> str | None:
    """``metadata["course"]["exercise_set"]`` if the notebook has one."""
    course = notebook.get("metadata", {}).get("course")
    value = course.get("exercise_set") if isinstance(course, Mapping) else None
    return str(value) if value not in (None, "") else None


def load_references(reference_dir: Path, solutions_dir: Path) -> tuple[list[Reference], list[str]]:
    """The exercise notebooks to grade against, and warnings for the instructor."""
    references, warnings = [], []
    for path in sorted(Path(reference_dir).glob("*.ipynb")):
        try:
            notebook = nbformat.read(path, as_version=4)
        except Exception as error:  # nbformat raises many unrelated types for bad files
            warnings.append(f"skipped reference {path}: not a readable notebook ({error})")
            continue
        expected: dict[str, list[str]] = {}
        solution_path = Path(solutions_dir) / path.name
        if solution_path.is_file():
            try:
                solution = nbformat.read(solution_path, as_version=4)
                expected = expected_checks_from_solution(solution, notebook)
            except Exception as error:
                warnings.append(f"cannot read {solution_path} ({error})")
        if not expected:
            warnings.append(
                f"no stored check outputs for {path.name} in {solutions_dir}: exercises that never "
                "report will not be counted (run the solution notebook and save its outputs)"
            )
        exercise_set = exercise_set_of(notebook) or path.stem
        references.append(Reference(path.name, exercise_set, notebook, expected))
    return references, warnings


def match_reference(
    notebook: Mapping | None, file_name: str, references: Sequence[Reference]
) -> Reference | None:
    """The reference a submission belongs to: by its exercise_set metadata, else by file name.

    ``match_reference(nb, "alice_01_data.ipynb", refs)`` finds the reference ``01_data.ipynb``.
    """
    claimed = exercise_set_of(notebook) if notebook is not None else None
    if claimed:
        for reference in references:
            if claimed in (reference.exercise_set, Path(reference.file_name).stem):
                return reference
    by_name = [ref for ref in references if Path(ref.file_name).stem in Path(file_name).stem]
    return max(by_name, key=lambda ref: len(ref.file_name), default=None)
