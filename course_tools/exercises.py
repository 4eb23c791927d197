"""Generate the student notebooks in ``exercises/`` from the full notebooks in ``solutions/``.

``solutions/*.ipynb`` are the single source of truth; never edit ``exercises/`` by hand.

    python -m course_tools exercises            # (re)write exercises/ from solutions/
    python -m course_tools exercises --dry-run  # say what a run would change, write nothing
    python -m course_tools exercises --check    # CI: exit 1 if exercises/ is out of date
    python -m course_tools exercises --force    # also overwrite hand-edited copies (backed up)

Run from the course's folder, or pass ``--solutions DIR --exercises DIR``.

Markers in a solution notebook and what the student copy gets instead:

* Code, block: the lines from ``### BEGIN SOLUTION`` to ``### END SOLUTION`` (markers included,
  may be indented, BEGIN may carry ``hint: ...``) become ``# YOUR CODE HERE`` (or
  ``# YOUR CODE HERE (hint: ...)``) at the BEGIN marker's indentation. Inside a function
  (indented) a ``raise NotImplementedError(...)`` follows; at top level nothing follows, so
  the exercise notebook still runs to the end. ``### BEGIN SOLUTION NO PROMPT`` removes the
  block and puts nothing in its place (otter-grader's meaning; what is left must still run).
* Code, one line: ``name = <expr>  ### SOLUTION`` becomes ``name = ...  # YOUR CODE HERE``.
* Code markers may also be spelled with one ``#``, as otter-grader writes them:
  ``# BEGIN SOLUTION``, ``# END SOLUTION``, ``# BEGIN SOLUTION NO PROMPT``, ``x = 1  # SOLUTION``
  (``### ...`` is nbgrader's spelling and ours). They mean the same.
* Markdown: ``<!-- BEGIN SOLUTION -->...<!-- END SOLUTION -->`` becomes ``*Your answer here.*``.
* Markdown links ``blob/main/solutions/<this file>`` point to ``blob/main/exercises/<this file>``.
* Code cells lose their outputs and execution counts, all cells their ``execution`` timing
  metadata; everything else is copied unchanged.

Anything else that looks like a marker is an error, so that no answer reaches students by a
typo: ``##`` or ``####``, ``###BEGIN SOLUTION``, lower case, ``BEGIN SOLUTIONS``, ``_``, a comment
that starts with "solution", a markdown ``BEGIN SOLUTION`` or ``# Solution`` heading outside the
HTML comment, an HTML comment that mentions a solution, and any marker in a raw cell (raw cells
are copied unchanged). So are a BEGIN without END, an END without BEGIN and a nested BEGIN.
After generating, every cell of the student copy is scanned once more for marker-like text. An
error names the notebook, the cell (number and id) and the line; exit status 2, nothing written.

Writing twice changes nothing: files are only written when their text differs. No file the
generator did not make is ever overwritten without ``--force`` or deleted:

* Each generated notebook records ``metadata.course.generated_from`` (its solution) and
  ``generated_text_sha256``: the SHA-256 of the file's text with that hash written as ``""``.
  A file whose text still hashes to its record is an untouched generated copy and is updated
  freely. So is a file without a record whose text is exactly what this generator writes minus
  the record (a copy made before records existed).
* Any other file that differs (edited by hand, or unreadable) is left alone and reported with
  the cells that would change. ``--force`` overwrites it after renaming it to
  ``<name>.ipynb.bak-YYYYmmdd-HHMMSS`` next to it (not a ``*.ipynb``, so no glob picks it up).
* A notebook in ``exercises/`` without a solution is never deleted: it is reported, and
  ``--check`` fails until someone deletes it by hand (or adds its solution).

In Python::

    >>> import nbformat
    >>> cell = nbformat.v4.new_code_cell("x = 255  ### SOLUTION")
    >>> make_exercise(nbformat.v4.new_notebook(cells=[cell]), "01.ipynb").cells[0].source
    'x = ...  # YOUR CODE HERE'
"""

from __future__ import annotations

import argparse
import copy
import datetime
import difflib
import hashlib
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

ACCEPTED_MARKERS = (
    "in code '### BEGIN SOLUTION' (optionally followed by 'hint: ...' or 'NO PROMPT') and "
    "'### END SOLUTION' on lines of their own, or 'name = value  ### SOLUTION' at the end of an "
    "assignment, each also with one '#' instead of three; in markdown '<!-- BEGIN SOLUTION -->' "
    "and '<!-- END SOLUTION -->'; none in raw cells"
)

_BEGIN_LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<hashes>###|#) BEGIN SOLUTION\b(?P<rest>.*)$")
_END_LINE = re.compile(r"^[ \t]*(?:###|#) END SOLUTION\b")
_HINT = re.compile(r"^\s*hint:\s*(?P<hint>.*?)\s*$")
_NO_PROMPT = re.compile(r"^\s+NO PROMPT\s*$")
_SOLUTION_LINE = re.compile(r"^(?P<code>.*?[^\s#])[ \t]*(?P<marker>###|#) SOLUTION[ \t]*\r?$")
_MARKDOWN_MARKER = re.compile(r"<!--\s*(?P<kind>BEGIN|END) SOLUTION\s*-->")

# Text that looks like a marker but is not one of the above (checked after those are taken out).
_WORD = r"SOLUTIONS?\b"
_CODE_LOOKALIKE = re.compile(r"(?<!\S)#+[ \t]*(?:(?:BEGIN|END)[ \t_-]*)?" + _WORD, re.IGNORECASE)
_CODE_BLOCK_LOOKALIKE = re.compile(r"(?<!\S)#+[ \t]*(?:BEGIN|END)[ \t_-]*" + _WORD, re.IGNORECASE)
_MARKDOWN_LOOKALIKES = (
    re.compile(r"^[ \t]*#+[ \t]*(?:(?:BEGIN|END)[ \t_-]*)?" + _WORD, re.IGNORECASE | re.MULTILINE),
    re.compile(r"\b(?:BEGIN|END)[ \t_-]*" + _WORD),
    re.compile(r"<!--(?:(?!-->).)*?SOLUTION(?:(?!-->).)*?-->", re.IGNORECASE | re.DOTALL),
)

_HASH_KEY = "generated_text_sha256"
_HASH_RECORD = re.compile(r'"' + _HASH_KEY + r'": "(?P<digest>[0-9a-f]{64})"')
_UNSIGNED_RECORD = f'"{_HASH_KEY}": ""'


class MarkerError(ValueError):
    """A solution notebook that cannot be turned into an exercise (broken markers, bad file)."""


class BackupError(OSError):
    """An edited exercise could not be backed up, so it was not overwritten (files before it were)."""


@dataclass(frozen=True)
class Place:
    """Where a marker is, for error messages: ``str(Place("01.ipynb", 3, 5))``."""

    file_name: str
    cell_number: int  # 1-based, as a person counts cells
    line: int = 0  # 1-based; 0 when unknown
    cell_id: str = ""

    def __str__(self) -> str:
        where = f"{self.file_name}, cell {self.cell_number}"
        return f"{where}, line {self.line}" if self.line else where

    def at_line(self, line: int) -> Place:
        return Place(self.file_name, self.cell_number, line, self.cell_id)

    def error(self, message: str) -> MarkerError:
        """``raise place.error("what is wrong. What to do.")``: the message with where it is."""
        cell_id = f" (cell id {self.cell_id!r})" if self.cell_id else ""
        return MarkerError(f"{self}: {message}{cell_id}")


def _lookalike_error(place: Place, text: str) -> MarkerError:
    return place.error(
        f"{text.strip()!r} looks like a solution marker but is not one, so it would reach "
        f"students as it is. Accepted: {ACCEPTED_MARKERS}. Fix the spelling, or reword the text "
        "so it does not read as a marker."
    )


# --- code cells ------------------------------------------------------------------------------


def _placeholder_lines(indent: str, hint: str | None) -> list[str]:
    """The lines that replace a solution block: ``_placeholder_lines("    ", None)``."""
    comment = f"{YOUR_CODE_HERE} (hint: {hint})" if hint else YOUR_CODE_HERE
    lines = [indent + comment]
    if indent:  # inside a function body: calling it must say "not done", not return None
        lines.append(indent + NOT_DONE_RAISE)
    return lines


@dataclass(frozen=True)
class _OpenBlock:
    line: int
    indent: str
    hint: str | None
    prompt: bool  # False for "NO PROMPT": the block is replaced with nothing


def _open_block(begin: re.Match, line: int, place: Place) -> _OpenBlock:
    """The block a ``### BEGIN SOLUTION`` line opens, with its hint or ``NO PROMPT``."""
    rest = begin["rest"]
    if _NO_PROMPT.match(rest):
        return _OpenBlock(line, begin["indent"], None, prompt=False)
    return _OpenBlock(line, begin["indent"], _hint_of(rest, place, begin["hashes"]), prompt=True)


def _hint_of(rest: str, place: Place, hashes: str = "###") -> str | None:
    """The hint after ``### BEGIN SOLUTION``: ``_hint_of(" hint: scale", place) == "scale"``."""
    if not rest.strip():
        return None
    match = _HINT.match(rest)
    if not match:
        marker = f"{hashes} BEGIN SOLUTION"
        raise place.error(
            f"unexpected text after '{marker}': {rest.strip()!r}. Write '{marker}' alone, "
            f"'{marker} hint: <your hint>' or '{marker} NO PROMPT'."
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
        if _CODE_LOOKALIKE.search(line):
            raise _lookalike_error(place, line)
        return line
    code = match["code"]
    indent = code[: len(code) - len(code.lstrip())]
    target = _assignment_target(code.strip())
    if target is None:
        marker = f"{match['marker']} SOLUTION"
        raise place.error(
            f"'{marker}' must end a one-line assignment such as "
            f"'x = 42  {marker}', found {line.strip()!r}. Use a "
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
    block: _OpenBlock | None = None
    for number, line in enumerate(source.split("\n"), start=1):
        here = place.at_line(number)
        begin = _BEGIN_LINE.match(line)
        if begin:
            if block:
                raise here.error(
                    f"'### BEGIN SOLUTION' inside the block opened on line {block.line}. "
                    "Close that block with '### END SOLUTION' first."
                )
            block = _open_block(begin, number, here)
        elif _END_LINE.match(line):
            if not block:
                raise here.error("'### END SOLUTION' without a '### BEGIN SOLUTION' before it.")
            if block.prompt:
                result.extend(_placeholder_lines(block.indent, block.hint))
            block = None
        elif block:  # the answer itself is dropped, but a misspelt END must not hide in it
            if _CODE_BLOCK_LOOKALIKE.search(line):
                raise _lookalike_error(here, line)
        else:
            result.append(_replace_solution_line(line, here))
    if block:
        raise place.at_line(block.line).error(
            "'### BEGIN SOLUTION' has no '### END SOLUTION' after it in the same cell."
        )
    return "\n".join(result)


# --- markdown and raw cells ------------------------------------------------------------------


def _first_markdown_lookalike(text: str) -> re.Match | None:
    """The first marker-like piece of markdown ``text``, e.g. ``## BEGIN SOLUTION``, or None."""
    found = [match for pattern in _MARKDOWN_LOOKALIKES if (match := pattern.search(text))]
    return min(found, key=lambda match: match.start(), default=None)


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _refuse_markdown_lookalikes(source: str, place: Place) -> None:
    """Raise :class:`MarkerError` for marker-like text other than the accepted HTML comments."""
    blanked = _MARKDOWN_MARKER.sub(lambda marker: re.sub(r"[^\n]", " ", marker[0]), source)
    match = _first_markdown_lookalike(blanked)
    if match:
        raise _lookalike_error(place.at_line(_line_of(source, match.start())), match[0])


def exercise_markdown(source: str, file_name: str, place: Place) -> str:
    """Hide written answers and point this notebook's badges at the student copy.

    >>> exercise_markdown("A: <!-- BEGIN SOLUTION -->42<!-- END SOLUTION -->", "x.ipynb",
    ...                   Place("x.ipynb", 1))
    'A: *Your answer here.*'
    """
    _refuse_markdown_lookalikes(source, place)
    pieces: list[str] = []
    position = 0
    open_at: int | None = None
    for marker in _MARKDOWN_MARKER.finditer(source):
        here = place.at_line(_line_of(source, marker.start()))
        if marker["kind"] == "BEGIN":
            if open_at is not None:
                raise here.error(
                    "'<!-- BEGIN SOLUTION -->' inside an answer that is still open. "
                    "Close it with '<!-- END SOLUTION -->' first."
                )
            pieces.append(source[position : marker.start()])
            open_at = marker.start()
        else:
            if open_at is None:
                raise here.error(
                    "'<!-- END SOLUTION -->' without a '<!-- BEGIN SOLUTION -->' before it."
                )
            pieces.append(YOUR_ANSWER_HERE)
            open_at = None
        position = marker.end()
    if open_at is not None:
        raise place.at_line(_line_of(source, open_at)).error(
            "'<!-- BEGIN SOLUTION -->' has no '<!-- END SOLUTION -->' after it in the same cell."
        )
    pieces.append(source[position:])
    return _point_badges_at_exercises("".join(pieces), file_name)


def _point_badges_at_exercises(text: str, file_name: str) -> str:
    """``.../blob/main/solutions/01.ipynb`` -> ``.../blob/main/exercises/01.ipynb`` (this file only)."""
    own_link = re.compile(r"blob/main/solutions/" + re.escape(file_name) + r"(?![\w.-])")
    return own_link.sub(lambda _: f"blob/main/exercises/{file_name}", text)


def find_lookalike(cell_type: str, source: str) -> tuple[int, str] | None:
    """``(line, text)`` of the first solution-marker-like text in a cell, else None.

    Code cells are searched for marker-like comments, markdown cells for marker-like headings,
    words and HTML comments, raw cells for both. Accepted markers count too: this is for
    checking a finished student copy.

    >>> find_lookalike("markdown", "Stuck? See [the solutions](../solutions/01.ipynb).")
    >>> find_lookalike("raw", "a\\n# BEGIN SOLUTION")
    (2, '# BEGIN SOLUTION')
    """
    candidates = []
    if cell_type in {"code", "raw"}:
        for number, line in enumerate(source.split("\n"), start=1):
            if _CODE_LOOKALIKE.search(line):
                candidates.append((number, line.strip()))
                break
    if cell_type in {"markdown", "raw"}:
        match = _first_markdown_lookalike(source)
        if match:
            candidates.append((_line_of(source, match.start()), match[0].strip()))
    return min(candidates, default=None)


def _refuse_markers_in_raw_cell(source: str, place: Place) -> None:
    found = find_lookalike("raw", source)
    if found:
        raise place.at_line(found[0]).error(
            f"{found[1]!r} is a solution marker in a raw cell. Raw cells are copied to students "
            "unchanged: put the answer in a code cell (### BEGIN SOLUTION) or a markdown cell "
            "(<!-- BEGIN SOLUTION -->)."
        )


# --- whole notebooks -------------------------------------------------------------------------


def _cell_place(file_name: str, number: int, cell: nbformat.NotebookNode) -> Place:
    return Place(file_name, number, cell_id=str(cell.get("id") or ""))


def refuse_leftover_markers(exercise: nbformat.NotebookNode, file_name: str) -> None:
    """The safety net: raise :class:`MarkerError` if any cell of a student copy has marker-like text.

    Call: ``refuse_leftover_markers(make_exercise(solution, "01.ipynb"), "01.ipynb")``
    """
    for number, cell in enumerate(exercise.cells, start=1):
        found = find_lookalike(cell.cell_type, cell.source)
        if found:
            raise (
                _cell_place(file_name, number, cell)
                .at_line(found[0])
                .error(
                    f"the student copy would still contain {found[1]!r}, which looks like a "
                    "solution marker: an answer may be leaking. Check the markers around it in the "
                    f"solution notebook (accepted: {ACCEPTED_MARKERS})."
                )
            )


def make_exercise(notebook: nbformat.NotebookNode, file_name: str) -> nbformat.NotebookNode:
    """The student version of a solution notebook (the input is not modified).

    Raises :class:`MarkerError` for broken or misspelt markers, and if anything marker-like
    is left in the result.
    Call: ``make_exercise(nbformat.read("solutions/01_data.ipynb", as_version=4), "01_data.ipynb")``
    """
    exercise = copy.deepcopy(notebook)
    for number, cell in enumerate(exercise.cells, start=1):
        place = _cell_place(file_name, number, cell)
        cell.get("metadata", {}).pop("execution", None)
        if cell.cell_type == "code":
            cell.source = exercise_code(cell.source, place)
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown":
            cell.source = exercise_markdown(cell.source, file_name, place)
        else:
            _refuse_markers_in_raw_cell(cell.source, place)
    refuse_leftover_markers(exercise, file_name)
    return exercise


def notebook_text(notebook: nbformat.NotebookNode) -> str:
    """Exactly what ``nbformat.write(notebook, path, version=4)`` puts in the file."""
    text = nbformat.writes(notebook, version=4)
    return text if text.endswith("\n") else text + "\n"


# --- the record of what was generated --------------------------------------------------------


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def exercise_text(exercise: nbformat.NotebookNode, solution_name: str) -> str:
    """The file text for a student copy, recording its solution and the hash of this text.

    The hash is over the text with the hash itself written as ``""``, so it is the same on
    every run and :func:`is_untouched_copy` can check it without knowing the solution.
    Call: ``exercise_text(make_exercise(solution, "01.ipynb"), "solutions/01.ipynb")``
    """
    stamped = copy.deepcopy(exercise)
    course = stamped.metadata.setdefault("course", {})
    course["generated_from"] = solution_name
    course[_HASH_KEY] = ""
    unsigned = notebook_text(stamped)
    if unsigned.count(_UNSIGNED_RECORD) != 1:
        raise MarkerError(
            f"{solution_name}: the metadata key {_HASH_KEY!r} is the generator's own; "
            "remove it from the solution notebook's metadata and cells, then run again."
        )
    return unsigned.replace(_UNSIGNED_RECORD, f'"{_HASH_KEY}": "{_digest(unsigned)}"')


def is_untouched_copy(text: str) -> bool:
    """Whether ``text`` is a generated exercise nobody changed since: its hash matches its record.

    >>> is_untouched_copy('{"metadata": {}}')
    False
    """
    records = _HASH_RECORD.findall(text)
    if len(records) != 1:
        return False
    unsigned = _HASH_RECORD.sub(lambda _: _UNSIGNED_RECORD, text)
    return _digest(unsigned) == records[0]


# --- reading ---------------------------------------------------------------------------------


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


def _read_text_or_none(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


# --- what would change -----------------------------------------------------------------------

_DIFF_LINES = 12  # of the first changed cell, in a refusal


def _cells_by_key(notebook: object) -> dict[str, tuple[int, dict]]:
    """``{cell id (or "#<number>"): (number, cell)}`` of a notebook's JSON, for comparing."""
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    by_key: dict[str, tuple[int, dict]] = {}
    for number, cell in enumerate(cells if isinstance(cells, list) else [], start=1):
        cell = cell if isinstance(cell, dict) else {}
        by_key[str(cell.get("id") or f"#{number}")] = (number, cell)
    return by_key


def _source_of(cell: dict) -> str:
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    return "".join(source) if isinstance(source, list) else str(source)


def describe_difference(current: str | None, new: str, label: str = "exercise") -> list[str]:
    """Lines saying how the file's ``current`` text differs from the ``new`` one, for people.

    >>> describe_difference(None, "{}")
    ['it cannot be read as UTF-8 text']
    """
    if current is None:
        return ["it cannot be read as UTF-8 text"]
    try:
        now = json.loads(current)
    except json.JSONDecodeError as error:
        return [f"it is not valid JSON any more ({error})"]
    now_cells, new_cells = _cells_by_key(now), _cells_by_key(json.loads(new))
    changed = [
        key for key in new_cells if key in now_cells and now_cells[key][1] != new_cells[key][1]
    ]
    lines = []
    for key in changed[:5]:
        lines.append(f"cell {new_cells[key][0]} (id {key!r}) differs")
    if len(changed) > 5:
        lines.append(f"... and {len(changed) - 5} more changed cells")
    added = [key for key in new_cells if key not in now_cells]
    removed = [key for key in now_cells if key not in new_cells]
    if added:
        lines.append(f"{len(added)} cell(s) would be added: {', '.join(added[:5])}")
    if removed:
        lines.append(f"{len(removed)} cell(s) would be removed: {', '.join(removed[:5])}")
    if not lines:
        lines.append("the cells are the same; the notebook's metadata or formatting differs")
    if changed:
        lines.extend(_first_source_diff(now_cells[changed[0]][1], new_cells[changed[0]][1], label))
    return lines


def _shortened(line: str, width: int = 100) -> str:
    return line if len(line) <= width else line[: width - 3] + "..."


def _first_source_diff(now: dict, new: dict, label: str) -> list[str]:
    diff = list(
        difflib.unified_diff(
            _source_of(now).splitlines(),
            _source_of(new).splitlines(),
            f"{label} now",
            f"{label} as generated",
            lineterm="",
        )
    )
    if not diff:
        return ["  (its source is the same; its outputs or metadata differ)"]
    shown = ["  " + _shortened(line) for line in diff[:_DIFF_LINES]]
    if len(diff) > _DIFF_LINES:
        shown.append(f"  ... {len(diff) - _DIFF_LINES} more diff lines")
    return shown


@dataclass(frozen=True)
class Change:
    """One exercise file that differs from what the generator makes.

    ``kind`` is "missing" or "stale" (safe to write), "edited" (differs and was not left as
    generated: written only with force, after a backup) or "extra" (no solution: never
    written or deleted, only reported). ``text`` is what would be written (None for extras).
    Call: ``str(Change(Path("exercises/01.ipynb"), "stale", "{}"))`` -> ``'01.ipynb (stale)'``.
    """

    path: Path
    kind: str
    text: str | None
    difference: tuple[str, ...] = ()  # for "edited": what would change

    def __str__(self) -> str:
        return f"{self.path.name} ({self.kind})"


def _classify(target: Path, text: str, legacy_text: str) -> Change | None:
    """How ``target`` relates to the ``text`` it should have (None: it has it already)."""
    if not target.exists():
        return Change(target, "missing", text)
    current = _read_text_or_none(target)
    if current == text:
        return None
    if current is not None and (current == legacy_text or is_untouched_copy(current)):
        return Change(target, "stale", text)
    label = f"{target.parent.name}/{target.name}"
    return Change(target, "edited", text, tuple(describe_difference(current, text, label)))


def plan_changes(solutions_dir: Path, exercises_dir: Path) -> list[Change]:
    """What ``exercises_dir`` needs to match ``solutions_dir``; reads everything, writes nothing.

    Call: ``[str(change) for change in plan_changes(Path("solutions"), Path("exercises"))]``
    """
    changes: list[Change] = []
    expected_names = set()
    for source_path in solution_paths(solutions_dir):
        expected_names.add(source_path.name)
        exercise = make_exercise(read_solution(source_path), source_path.name)
        text = exercise_text(exercise, f"{source_path.parent.name}/{source_path.name}")
        target = Path(exercises_dir) / source_path.name
        change = _classify(target, text, legacy_text=notebook_text(exercise))
        if change:
            changes.append(change)
    for existing in sorted(Path(exercises_dir).glob("*.ipynb")):
        if existing.name not in expected_names:
            changes.append(Change(existing, "extra", None))
    return changes


# --- writing ---------------------------------------------------------------------------------


def backup_path(path: Path, now: datetime.datetime | None = None) -> Path:
    """A free name next to ``path`` for its backup; it does not end in ``.ipynb``.

    >>> backup_path(Path("ex/01.ipynb"), datetime.datetime(2024, 5, 1, 9, 30)).name
    '01.ipynb.bak-20240501-093000'
    """
    stamp = (now or datetime.datetime.now()).strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.name}.bak-{stamp}")
    number = 1
    while candidate.exists() or candidate.is_symlink():
        number += 1
        candidate = path.with_name(f"{path.name}.bak-{stamp}-{number}")
    return candidate


def _write(change: Change, force: bool) -> str | None:
    """Write one change if allowed; return what was written (``wrote exercises/01.ipynb``) or None."""
    shown = f"{change.path.parent.name}/{change.path.name}"
    if change.kind == "extra" or (change.kind == "edited" and not force):
        return None
    backup = None
    if change.kind == "edited":
        backup = backup_path(change.path)
        try:
            change.path.rename(backup)
        except OSError as error:
            raise BackupError(
                f"cannot back up {shown} to {backup.name} ({error}); it was not overwritten, "
                "nor anything after it. Move it away by hand, then run again."
            ) from None
    change.path.parent.mkdir(parents=True, exist_ok=True)
    change.path.write_text(change.text or "", encoding="utf-8")
    if backup:
        return f"wrote {shown} (your edited copy is kept as {backup.parent.name}/{backup.name})"
    return f"wrote {shown}"


def apply_changes(changes: list[Change], force: bool = False) -> list[str]:
    """Write the safe changes of :func:`plan_changes` (and with ``force`` the edited ones too).

    Never deletes anything; an edited file is renamed to :func:`backup_path` before it is
    overwritten. Returns one line per file written, saying where any backup went.
    Call: ``apply_changes(plan_changes(Path("solutions"), Path("exercises")), force=False)``
    """
    return [done for change in changes if (done := _write(change, force))]


def _after_run(change: Change, force: bool) -> str:
    if change.kind == "extra":
        return f"{change} left alone"
    if change.kind == "edited":
        return f"{change} backed up and overwritten" if force else f"{change} kept: force=True"
    return str(change)


def generate(
    solutions_dir: Path | str,
    exercises_dir: Path | str,
    check: bool = False,
    force: bool = False,
) -> list[str]:
    """Bring ``exercises_dir`` up to date; return the files changed, e.g. ``["01.ipynb (stale)"]``.

    With ``check=True`` nothing is written and the list says what differs, e.g.
    ``"02.ipynb (edited)"`` or ``"00_old.ipynb (extra)"``; an empty list means up to date.
    Without it, missing and stale files are written; an edited file is kept and listed as
    ``"02.ipynb (edited) kept: force=True"`` unless ``force=True`` (then it is renamed to a
    ``.bak-<time>`` backup first); a notebook without a solution is listed as
    ``"00_old.ipynb (extra) left alone"``, never deleted. Raises :class:`MarkerError` (and
    writes nothing) when a solution notebook has broken markers.
    Call: ``generate("solutions", "exercises", check=True)``.
    """
    solutions_dir, exercises_dir = Path(solutions_dir), Path(exercises_dir)
    if not solutions_dir.is_dir():
        raise MarkerError(f"no solutions folder at {solutions_dir}; pass --solutions DIR.")
    changes = plan_changes(solutions_dir, exercises_dir)
    if check:
        return [str(change) for change in changes]
    apply_changes(changes, force=force)
    return [_after_run(change, force) for change in changes]


# --- command line ----------------------------------------------------------------------------


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=UPDATE_COMMAND,
        description="Generate exercises/*.ipynb (student versions) from solutions/*.ipynb. "
        "Never deletes a file, and overwrites one that was edited by hand only with --force "
        "(after renaming it to <name>.ipynb.bak-<time>).",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if exercises/ is out of date"
    )
    mode.add_argument(
        "--dry-run", action="store_true", help="say what a run would do, and write nothing"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="also overwrite exercise notebooks edited by hand (each is backed up first)",
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


def _print_check(changes: list[Change], folder: str, solutions: str) -> None:
    print(f"{folder} is out of date:")
    for change in changes:
        print(f"  {change.kind:7}  {folder}{change.path.name}")
    _print_advice(changes, folder, solutions, force=False)
    print(f"Hint: run {UPDATE_COMMAND}")


def _print_advice(changes: list[Change], folder: str, solutions: str, force: bool) -> None:
    """Why edited and extra files are not simply written, and what to do about them."""
    for change in changes:
        if change.kind == "edited" and not force:
            print(f"{folder}{change.path.name} was edited since it was generated:")
            for line in change.difference:
                print(f"    {line}")
        elif change.kind == "extra":
            print(
                f"{folder}{change.path.name} has no solution in {solutions}; left alone. "
                f"Delete it by hand if it is obsolete, or add {solutions}{change.path.name}."
            )
    if any(change.kind == "edited" for change in changes) and not force:
        print(
            f"{folder} is generated: move the edits you want to keep into {solutions}, then run "
            f"{UPDATE_COMMAND} --force (each edited copy is kept as <name>.ipynb.bak-<time>)."
        )


def _print_plan(changes: list[Change], folder: str, force: bool) -> None:
    for change in changes:
        shown = f"{folder}{change.path.name}"
        if change.kind in {"missing", "stale"}:
            print(f"would write {shown} ({change.kind})")
        elif change.kind == "edited":
            action = "back up and overwrite" if force else "keep (edited; --force overwrites)"
            print(f"would {action} {shown}")
        else:
            print(f"would leave alone {shown} (no solution)")


def _exit_status(changes: list[Change], force: bool) -> int:
    """0 when the run leaves exercises/ up to date, 1 when edited or extra files remain."""
    left = [c for c in changes if c.kind == "extra" or (c.kind == "edited" and not force)]
    return 1 if left else 0


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status (0 ok, 1 out of date, 2 error).

    Call: ``main(["--dry-run"])``
    """
    args = _parse_args(argv)
    folder, solutions = f"{args.exercises.name}/", f"{args.solutions.name}/"
    try:
        if not args.solutions.is_dir():
            raise MarkerError(
                f"no solutions folder at {args.solutions}; run this in the course's "
                "folder or pass --solutions DIR."
            )
        changes = plan_changes(args.solutions, args.exercises)
        if args.check:
            if changes:
                _print_check(changes, folder, solutions)
                return 1
        elif args.dry_run:
            _print_plan(changes, folder, args.force)
            _print_advice(changes, folder, solutions, args.force)
            print(f"Nothing was written (--dry-run). {len(changes)} file(s) differ.")
            return _exit_status(changes, args.force)
    except MarkerError as error:
        print(f"error: {error}\nNothing was written.", file=sys.stderr)
        return 2
    if not args.check and not args.dry_run:
        try:
            for line in apply_changes(changes, force=args.force):
                print(line)
        except BackupError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        _print_advice(changes, folder, solutions, args.force)
    status = 0 if args.check else _exit_status(changes, args.force)
    if status == 0:
        print(f"{folder} is up to date ({len(solution_paths(args.solutions))} notebooks)")
    else:
        print(f"{folder} is not up to date: see above.")
    return status


if __name__ == "__main__":
    sys.exit(main())
