"""Generate the student notebooks in ``exercises/`` from the full notebooks in ``solutions/``.

``solutions/*.ipynb`` are the single source of truth; never edit ``exercises/`` by hand.

    python -m course_tools exercises            # (re)write exercises/ from solutions/
    python -m course_tools exercises --check    # CI: exit 1 if exercises/ is out of date

Run from the course's folder, or pass ``--solutions DIR --exercises DIR``.

Markers in a solution notebook and what the student copy gets instead:

* Code, block: the lines from ``### BEGIN SOLUTION`` to ``### END SOLUTION`` (markers included,
  may be indented, BEGIN may carry ``hint: ...``) become ``# YOUR CODE HERE`` (or
  ``# YOUR CODE HERE (hint: ...)``) at the BEGIN marker's indentation. Inside a function
  (indented) a ``raise NotImplementedError(...)`` follows; at top level nothing follows, so
  the exercise notebook still runs to the end.
* Code, one line: ``name = <expr>  ### SOLUTION`` becomes ``name = ...  # YOUR CODE HERE``.
* Markdown: ``<!-- BEGIN SOLUTION -->...<!-- END SOLUTION -->`` becomes ``*Your answer here.*``.
* Markdown links ``blob/main/solutions/<this file>`` point to ``blob/main/exercises/<this file>``.
* Code cells lose their outputs and execution counts, all cells their ``execution`` timing
  metadata; everything else is copied unchanged.

A BEGIN without END, an END without BEGIN or a nested BEGIN is an error (exit status 2) and
nothing is written. Writing twice changes nothing: files are only written when their text
differs. In Python::

    >>> import nbformat
    >>> cell = nbformat.v4.new_code_cell("x = 255  ### SOLUTION")
    >>> make_exercise(nbformat.v4.new_notebook(cells=[cell]), "01.ipynb").cells[0].source
    'x = ...  # YOUR CODE HERE'
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import re
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

import nbformat

UPDATE_COMMAND = "python -m course_tools exercises"

YOUR_CODE_HERE = "# YOUR CODE HERE"
NOT_DONE_RAISE = (
    'raise NotImplementedError("Not done yet: write your code here, then run the check below.")'
)
YOUR_ANSWER_HERE = "*Your answer here.*"

_BEGIN_LINE = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION\b(?P<rest>.*)$")
_END_LINE = re.compile(r"^[ \t]*### END SOLUTION\b")
_HINT = re.compile(r"^\s*hint:\s*(?P<hint>.*?)\s*$")
_SOLUTION_LINE = re.compile(r"^(?P<code>.*?\S)[ \t]*### SOLUTION[ \t]*\r?$")
_MARKDOWN_MARKER = re.compile(r"<!--\s*(?P<kind>BEGIN|END) SOLUTION\s*-->")


class MarkerError(ValueError):
    """A solution notebook that cannot be turned into an exercise (broken markers, bad file)."""


@dataclass(frozen=True)
class Place:
    """Where a marker is, for error messages: ``str(Place("01.ipynb", 3, 5))``."""

    file_name: str
    cell_number: int  # 1-based, as a person counts cells
    line: int = 0  # 1-based; 0 when unknown

    def __str__(self) -> str:
        where = f"{self.file_name}, cell {self.cell_number}"
        return f"{where}, line {self.line}" if self.line else where

    def at_line(self, line: int) -> Place:
        return Place(self.file_name, self.cell_number, line)


# --- code cells ------------------------------------------------------------------------------


def _placeholder_lines(indent: str, hint: str | None) -> list[str]:
    """The lines that replace a solution block: ``_placeholder_lines("    ", None)``."""
    comment = f"{YOUR_CODE_HERE} (hint: {hint})" if hint else YOUR_CODE_HERE
    lines = [indent + comment]
    if indent:  # inside a function body: calling it must say "not done", not return None
        lines.append(indent + NOT_DONE_RAISE)
    return lines


def _hint_of(rest: str, place: Place) -> str | None:
    """The hint after ``### BEGIN SOLUTION``: ``_hint_of(" hint: scale", place) == "scale"``."""
    if not rest.strip():
        return None
    match = _HINT.match(rest)
    if not match:
        raise MarkerError(
            f"{place}: unexpected text after '### BEGIN SOLUTION': {rest.strip()!r}. "
            "Write '### BEGIN SOLUTION' alone or '### BEGIN SOLUTION hint: <your hint>'."
        )
    return match["hint"] or None


def _assignment_target(code: str) -> str | None:
    """Text before the first top-level ``=`` of a one-line assignment, else None.

    >>> _assignment_target("x_train = x_train / 255")
    'x_train'
    """
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code + "\n").readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    depth = 0
    for token in tokens:
        if token.type != tokenize.OP:
            continue
        if token.string in {"(", "[", "{"}:
            depth += 1
        elif token.string in {")", "]", "}"}:
            depth -= 1
        elif token.string == "=" and depth == 0:
            target = code[: token.start[1]].rstrip()
            return target or None
    return None


def _replace_solution_line(line: str, place: Place) -> str:
    """``x = 1  ### SOLUTION`` -> ``x = ...  # YOUR CODE HERE``; other lines are returned as is."""
    match = _SOLUTION_LINE.match(line)
    if not match:
        return line
    code = match["code"]
    indent = code[: len(code) - len(code.lstrip())]
    target = _assignment_target(code.strip())
    if target is None:
        raise MarkerError(
            f"{place}: '### SOLUTION' must end a one-line assignment such as "
            f"'x = 42  ### SOLUTION', found {line.strip()!r}. Use a "
            "'### BEGIN SOLUTION' / '### END SOLUTION' block for anything else."
        )
    return f"{indent}{target} = ...  {YOUR_CODE_HERE}"


def exercise_code(source: str, place: Place) -> str:
    """Replace the solution markers of one code cell's source.

    >>> exercise_code("def f():\\n    ### BEGIN SOLUTION\\n    return 1\\n    ### END SOLUTION",
    ...               Place("01.ipynb", 1)).splitlines()[1]
    '    # YOUR CODE HERE'
    """
    result: list[str] = []
    open_block: tuple[int, str, str | None] | None = None  # (line number, indent, hint)
    for number, line in enumerate(source.split("\n"), start=1):
        here = place.at_line(number)
        begin = _BEGIN_LINE.match(line)
        if begin:
            if open_block:
                raise MarkerError(
                    f"{here}: '### BEGIN SOLUTION' inside the block opened on line "
                    f"{open_block[0]}. Close that block with '### END SOLUTION' first."
                )
            open_block = (number, begin["indent"], _hint_of(begin["rest"], here))
        elif _END_LINE.match(line):
            if not open_block:
                raise MarkerError(
                    f"{here}: '### END SOLUTION' without a '### BEGIN SOLUTION' before it."
                )
            _, indent, hint = open_block
            result.extend(_placeholder_lines(indent, hint))
            open_block = None
        elif not open_block:
            result.append(_replace_solution_line(line, here))
    if open_block:
        raise MarkerError(
            f"{place.at_line(open_block[0])}: '### BEGIN SOLUTION' has no '### END SOLUTION' "
            "after it in the same cell."
        )
    return "\n".join(result)


# --- markdown cells --------------------------------------------------------------------------


def exercise_markdown(source: str, file_name: str, place: Place) -> str:
    """Hide written answers and point this notebook's badges at the student copy.

    >>> exercise_markdown("A: <!-- BEGIN SOLUTION -->42<!-- END SOLUTION -->", "x.ipynb",
    ...                   Place("x.ipynb", 1))
    'A: *Your answer here.*'
    """
    pieces: list[str] = []
    position = 0
    open_at: int | None = None
    for marker in _MARKDOWN_MARKER.finditer(source):
        here = place.at_line(source.count("\n", 0, marker.start()) + 1)
        if marker["kind"] == "BEGIN":
            if open_at is not None:
                raise MarkerError(
                    f"{here}: '<!-- BEGIN SOLUTION -->' inside an answer that is still open. "
                    "Close it with '<!-- END SOLUTION -->' first."
                )
            pieces.append(source[position : marker.start()])
            open_at = marker.start()
        else:
            if open_at is None:
                raise MarkerError(
                    f"{here}: '<!-- END SOLUTION -->' without a '<!-- BEGIN SOLUTION -->' "
                    "before it."
                )
            pieces.append(YOUR_ANSWER_HERE)
            open_at = None
        position = marker.end()
    if open_at is not None:
        line = source.count("\n", 0, open_at) + 1
        raise MarkerError(
            f"{place.at_line(line)}: '<!-- BEGIN SOLUTION -->' has no '<!-- END SOLUTION -->' "
            "after it in the same cell."
        )
    pieces.append(source[position:])
    return _point_badges_at_exercises("".join(pieces), file_name)


def _point_badges_at_exercises(text: str, file_name: str) -> str:
    """``.../blob/main/solutions/01.ipynb`` -> ``.../blob/main/exercises/01.ipynb`` (this file only)."""
    own_link = re.compile(r"blob/main/solutions/" + re.escape(file_name) + r"(?![\w.-])")
    return own_link.sub(lambda _: f"blob/main/exercises/{file_name}", text)


# --- whole notebooks -------------------------------------------------------------------------


def make_exercise(notebook: nbformat.NotebookNode, file_name: str) -> nbformat.NotebookNode:
    """The student version of a solution notebook (the input is not modified).

    Call: ``make_exercise(nbformat.read("solutions/01_data.ipynb", as_version=4), "01_data.ipynb")``
    """
    exercise = copy.deepcopy(notebook)
    for number, cell in enumerate(exercise.cells, start=1):
        place = Place(file_name, number)
        cell.get("metadata", {}).pop("execution", None)
        if cell.cell_type == "code":
            cell.source = exercise_code(cell.source, place)
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown":
            cell.source = exercise_markdown(cell.source, file_name, place)
    return exercise


def notebook_text(notebook: nbformat.NotebookNode) -> str:
    """Exactly what ``nbformat.write(notebook, path, version=4)`` puts in the file."""
    text = nbformat.writes(notebook, version=4)
    return text if text.endswith("\n") else text + "\n"


def read_solution(path: Path) -> nbformat.NotebookNode:
    """Read a solution notebook, refusing what would make the output change on every run."""
    try:
        text = path.read_text(encoding="utf-8")
        raw = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MarkerError(f"{path.name}: cannot read the notebook ({error}).") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise MarkerError(f"{path.name}: not a Jupyter notebook (no list of cells).")
    minor = raw.get("nbformat_minor", 0)
    if raw.get("nbformat") == 4 and isinstance(minor, int) and minor >= 5:
        for number, cell in enumerate(raw["cells"], start=1):
            if "id" not in cell:  # nbformat would invent a random one on every read
                raise MarkerError(
                    f"{Place(path.name, number)}: the cell has no id. Open and save the "
                    "notebook in Jupyter so every cell gets a stable id, then run again."
                )
    try:
        notebook = nbformat.reads(text, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # nbformat raises several unrelated types for bad notebooks
        first_line = (str(error).strip().splitlines() or [error.__class__.__name__])[0]
        raise MarkerError(
            f"{path.name}: not a valid notebook ({first_line}). Open it in Jupyter and save it, "
            "or fix the JSON by hand."
        ) from None
    return notebook


def solution_paths(solutions_dir: Path) -> list[Path]:
    """The source notebooks: ``*.ipynb`` directly in ``solutions_dir``, sorted by name."""
    return sorted(path for path in Path(solutions_dir).glob("*.ipynb") if path.is_file())


@dataclass(frozen=True)
class Change:
    """One exercise file to write (``text``) or delete (``text is None``)."""

    path: Path
    kind: str  # "missing", "stale" or "extra"
    text: str | None

    def __str__(self) -> str:
        return f"{self.path.name} ({self.kind})"


def plan_changes(solutions_dir: Path, exercises_dir: Path) -> list[Change]:
    """What ``exercises_dir`` needs to match ``solutions_dir``; reads everything, writes nothing."""
    changes: list[Change] = []
    expected_names = set()
    for source_path in solution_paths(solutions_dir):
        expected_names.add(source_path.name)
        exercise = make_exercise(read_solution(source_path), source_path.name)
        text = notebook_text(exercise)
        target = Path(exercises_dir) / source_path.name
        if not target.exists():
            changes.append(Change(target, "missing", text))
        elif _read_text_or_none(target) != text:
            changes.append(Change(target, "stale", text))
    for existing in sorted(Path(exercises_dir).glob("*.ipynb")):
        if existing.name not in expected_names:
            changes.append(Change(existing, "extra", None))
    return changes


def _read_text_or_none(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def apply_changes(changes: list[Change]) -> None:
    """Write or delete the files of :func:`plan_changes`."""
    for change in changes:
        if change.text is None:
            change.path.unlink()
        else:
            change.path.parent.mkdir(parents=True, exist_ok=True)
            change.path.write_text(change.text, encoding="utf-8")


def generate(
    solutions_dir: Path | str, exercises_dir: Path | str, check: bool = False
) -> list[str]:
    """Bring ``exercises_dir`` up to date; return the files changed, e.g. ``["01.ipynb (stale)"]``.

    With ``check=True`` nothing is written and the list says what would change; an empty
    list means up to date. Raises :class:`MarkerError` (and writes nothing) when a solution
    notebook has broken markers. Call: ``generate("solutions", "exercises", check=True)``.
    """
    solutions_dir, exercises_dir = Path(solutions_dir), Path(exercises_dir)
    if not solutions_dir.is_dir():
        raise MarkerError(f"no solutions folder at {solutions_dir}; pass --solutions DIR.")
    changes = plan_changes(solutions_dir, exercises_dir)
    if not check:
        apply_changes(changes)
    return [str(change) for change in changes]


# --- command line ----------------------------------------------------------------------------


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=UPDATE_COMMAND,
        description="Generate exercises/*.ipynb (student versions) from solutions/*.ipynb.",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if exercises/ is out of date"
    )
    parser.add_argument(
        "--solutions",
        type=Path,
        default=Path("solutions"),
        help="folder of solution notebooks (default: solutions/ here)",
    )
    parser.add_argument(
        "--exercises",
        type=Path,
        default=Path("exercises"),
        help="folder to write exercise notebooks to (default: exercises/ here)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status (0 ok, 1 out of date, 2 error)."""
    args = _parse_args(argv)
    folder = f"{args.exercises.name}/"
    try:
        if not args.solutions.is_dir():
            raise MarkerError(
                f"no solutions folder at {args.solutions}; run this in the course's "
                "folder or pass --solutions DIR."
            )
        changes = plan_changes(args.solutions, args.exercises)
    except MarkerError as error:
        print(f"error: {error}\nNothing was written.", file=sys.stderr)
        return 2
    if args.check and changes:
        print(f"{folder} is out of date:")
        for change in changes:
            print(f"  {change.kind:7}  {folder}{change.path.name}")
        print(f"Hint: run {UPDATE_COMMAND}")
        return 1
    if not args.check:
        apply_changes(changes)
        for change in changes:
            verb = "deleted" if change.text is None else "wrote"
            print(f"{verb} {folder}{change.path.name}")
    print(f"{folder} is up to date ({len(solution_paths(args.solutions))} notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
