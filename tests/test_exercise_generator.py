"""Tests for course_tools.exercises (`python -m course_tools exercises`): solutions -> exercises."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

from course_tools import exercises as generator
from course_tools.exercises import (
    NOT_DONE_RAISE,
    MarkerError,
    backup_path,
    exercise_text,
    generate,
    is_untouched_copy,
    main,
    make_exercise,
    notebook_text,
)

BADGE = (
    "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
    "(https://colab.research.google.com/github/org/course/blob/main/solutions/01_data.ipynb)"
)


def exercise_source(source: str, file_name: str = "01_data.ipynb") -> str:
    """The exercise version of a single code cell's source."""
    notebook = new_notebook(cells=[new_code_cell(source)])
    return make_exercise(notebook, file_name).cells[0].source


def solution_notebook() -> nbformat.NotebookNode:
    """A small solution notebook using every kind of marker."""
    ran = new_code_cell(
        "x_train = load()\nx_train = x_train / 255.0  ### SOLUTION",
        execution_count=3,
        outputs=[new_output("stream", name="stdout", text="done\n")],
        metadata={"execution": {"iopub.execute_input": "2024-01-01T00:00:00Z"}, "tags": ["ex"]},
    )
    return new_notebook(
        cells=[
            new_markdown_cell(f"{BADGE}\nSee [the model](../solutions/02_model.ipynb)."),
            ran,
            new_code_cell(
                "def scale(x):\n"
                "    ### BEGIN SOLUTION hint: divide by the largest pixel value\n"
                "    return x / 255\n"
                "    ### END SOLUTION\n"
            ),
            new_markdown_cell(
                "Why?\n<!-- BEGIN SOLUTION -->\nBecause.\n<!-- END SOLUTION -->\nDone."
            ),
        ],
        metadata={
            "course": {"exercise_set": "01_data"},
            "kernelspec": {"name": "python3", "display_name": "Python 3"},
        },
    )


def without_record(text: str) -> str:
    """``text`` minus the two lines the generator adds to ``metadata.course``."""
    text = re.sub(r',\n   "generated_from": "[^"]*"', "", text)
    return re.sub(r',\n   "generated_text_sha256": "[0-9a-f]*"', "", text)


def write_solution(folder: Path, name: str, notebook: nbformat.NotebookNode) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    nbformat.write(notebook, path)
    return path


@pytest.fixture
def course(tmp_path: Path) -> tuple[Path, Path]:
    """(solutions_dir, exercises_dir) with one solution notebook and no exercises yet."""
    write_solution(tmp_path / "solutions", "01_data.ipynb", solution_notebook())
    return tmp_path / "solutions", tmp_path / "exercises"


# --- code markers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("solution", "exercise"),
    [
        ("x = x / 255  ### SOLUTION", "x = ...  # YOUR CODE HERE"),
        ("    scale = 255.0 ### SOLUTION  ", "    scale = ...  # YOUR CODE HERE"),
        ("a, b = f(x=1), {'k': 2}  ### SOLUTION", "a, b = ...  # YOUR CODE HERE"),
        ("self.units: int = 64  ### SOLUTION", "self.units: int = ...  # YOUR CODE HERE"),
        ("y = x == 2  # not a marker", "y = x == 2  # not a marker"),
    ],
)
def test_line_marker_keeps_target_and_indentation(solution: str, exercise: str) -> None:
    assert exercise_source(solution) == exercise


def test_block_in_function_raises_with_hint_at_marker_indentation() -> None:
    source = (
        "def scale(x):\n"
        "    '''Scale pixels.'''\n"
        "    ### BEGIN SOLUTION hint: divide by the largest pixel value\n"
        "    x = x / 255\n"
        "      ### SOLUTION-looking text inside is dropped too\n"
        "    return x\n"
        "        ### END SOLUTION\n"
        "print('after')\n"
    )
    assert exercise_source(source) == (
        "def scale(x):\n"
        "    '''Scale pixels.'''\n"
        "    # YOUR CODE HERE (hint: divide by the largest pixel value)\n"
        f"    {NOT_DONE_RAISE}\n"
        "print('after')\n"
    )


def test_indented_block_without_hint_calls_raise_not_implemented() -> None:
    namespace: dict = {}
    exec(
        exercise_source("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"),
        namespace,
    )
    with pytest.raises(NotImplementedError, match="Not done yet"):
        namespace["f"]()


def test_top_level_block_is_only_a_comment_so_the_cell_runs() -> None:
    source = "total = ...\n### BEGIN SOLUTION\ntotal = sum(range(5))\n### END SOLUTION"
    exercise = exercise_source(source)
    assert exercise == "total = ...\n# YOUR CODE HERE"
    namespace: dict = {}
    exec(exercise, namespace)
    assert namespace["total"] is Ellipsis


def test_top_level_block_with_hint() -> None:
    source = "### BEGIN SOLUTION hint: use sum()\ntotal = 10\n### END SOLUTION\n"
    assert exercise_source(source) == "# YOUR CODE HERE (hint: use sum())\n"


def test_two_blocks_in_one_cell() -> None:
    source = (
        "### BEGIN SOLUTION\na = 1\n### END SOLUTION\n"
        "b = 2\n"
        "### BEGIN SOLUTION\nc = 3\n### END SOLUTION"
    )
    assert exercise_source(source) == "# YOUR CODE HERE\nb = 2\n# YOUR CODE HERE"


# --- markdown --------------------------------------------------------------------------------


def test_markdown_answer_is_hidden() -> None:
    notebook = new_notebook(
        cells=[
            new_markdown_cell(
                "Why?\n<!-- BEGIN SOLUTION -->\nBecause **of** it.\n<!-- END SOLUTION -->\nInline: "
                "<!--BEGIN SOLUTION-->42<!-- END SOLUTION -->."
            )
        ]
    )
    exercise = make_exercise(notebook, "01_data.ipynb")
    assert exercise.cells[0].source == "Why?\n*Your answer here.*\nInline: *Your answer here.*."


def test_badge_of_this_notebook_points_at_exercise_copy_relative_links_stay() -> None:
    text = (
        f"{BADGE}\n[model](../solutions/02_model.ipynb) "
        "https://github.com/org/course/blob/main/solutions/02_model.ipynb "
        "https://github.com/org/course/blob/main/solutions/01_data.ipynb.bak"
    )
    exercise = make_exercise(new_notebook(cells=[new_markdown_cell(text)]), "01_data.ipynb")
    assert exercise.cells[0].source == text.replace(
        "blob/main/solutions/01_data.ipynb)", "blob/main/exercises/01_data.ipynb)"
    )


def test_markers_in_code_cells_of_markdown_kind_only() -> None:
    code = "html = '<!-- BEGIN SOLUTION -->'"
    assert exercise_source(code) == code


# --- whole notebook --------------------------------------------------------------------------


def test_outputs_cleared_timing_metadata_dropped_everything_else_kept() -> None:
    solution = solution_notebook()
    exercise = make_exercise(solution, "01_data.ipynb")
    ran = exercise.cells[1]
    assert ran.outputs == [] and ran.execution_count is None
    assert ran.metadata == {"tags": ["ex"]}
    assert [cell.id for cell in exercise.cells] == [cell.id for cell in solution.cells]
    assert [cell.cell_type for cell in exercise.cells] == [
        cell.cell_type for cell in solution.cells
    ]
    assert exercise.metadata == solution.metadata
    assert solution.cells[1].outputs, "the solution notebook itself must not be modified"
    assert solution.cells[1].metadata["execution"]


def test_generate_writes_nbformat_text_with_trailing_newline(course: tuple[Path, Path]) -> None:
    solutions, exercises = course
    assert generate(solutions, exercises) == ["01_data.ipynb (missing)"]
    written = (exercises / "01_data.ipynb").read_text(encoding="utf-8")
    assert written.endswith("}\n")
    solution = nbformat.read(solutions / "01_data.ipynb", as_version=4)
    exercise = make_exercise(solution, "01_data.ipynb")
    assert written == exercise_text(exercise, "solutions/01_data.ipynb")
    assert without_record(written) == notebook_text(exercise)
    assert nbformat.reads(written, as_version=4).cells[2].source.count("YOUR CODE HERE") == 1


def test_second_run_writes_nothing(
    course: tuple[Path, Path], capsys: pytest.CaptureFixture
) -> None:
    solutions, exercises = course
    assert main(["--solutions", str(solutions), "--exercises", str(exercises)]) == 0
    target = exercises / "01_data.ipynb"
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))  # an old mtime: any rewrite would show
    before = target.read_bytes()
    capsys.readouterr()
    assert main(["--solutions", str(solutions), "--exercises", str(exercises)]) == 0
    assert target.stat().st_mtime_ns == 1_000_000_000
    assert target.read_bytes() == before
    assert capsys.readouterr().out == "exercises/ is up to date (1 notebooks)\n"
    assert generate(solutions, exercises) == []


def test_only_notebooks_directly_in_solutions_are_sources(course: tuple[Path, Path]) -> None:
    solutions, exercises = course
    write_solution(solutions / "drafts", "99_draft.ipynb", solution_notebook())
    (solutions / "notes.md").write_text("not a notebook")
    generate(solutions, exercises)
    assert sorted(path.name for path in exercises.iterdir()) == ["01_data.ipynb"]


def test_exercise_without_solution_is_left_alone(course: tuple[Path, Path]) -> None:
    solutions, exercises = course
    exercises.mkdir()
    nbformat.write(new_notebook(), exercises / "00_old.ipynb")
    before = (exercises / "00_old.ipynb").read_bytes()
    (exercises / "README.md").write_text("kept")
    assert generate(solutions, exercises) == [
        "01_data.ipynb (missing)",
        "00_old.ipynb (extra) left alone",
    ]
    assert sorted(path.name for path in exercises.iterdir()) == [
        "00_old.ipynb",
        "01_data.ipynb",
        "README.md",
    ]
    assert (exercises / "00_old.ipynb").read_bytes() == before


def test_check_lists_missing_stale_and_extra_and_writes_nothing(
    course: tuple[Path, Path], capsys: pytest.CaptureFixture
) -> None:
    solutions, exercises = course
    generate(solutions, exercises)
    write_solution(solutions, "02_model.ipynb", solution_notebook())
    changed = solution_notebook()
    changed.cells[0].source += "\nNew sentence."
    write_solution(solutions, "01_data.ipynb", changed)
    nbformat.write(new_notebook(), exercises / "00_old.ipynb")
    before = {path.name: path.read_bytes() for path in exercises.iterdir()}

    status = main(["--check", "--solutions", str(solutions), "--exercises", str(exercises)])

    out = capsys.readouterr().out
    assert status == 1
    assert "stale    exercises/01_data.ipynb" in out
    assert "missing  exercises/02_model.ipynb" in out
    assert "extra    exercises/00_old.ipynb" in out
    assert "run python -m course_tools exercises" in out
    assert {path.name: path.read_bytes() for path in exercises.iterdir()} == before


def test_check_passes_when_up_to_date(
    course: tuple[Path, Path], capsys: pytest.CaptureFixture
) -> None:
    solutions, exercises = course
    generate(solutions, exercises)
    assert main(["--check", "--solutions", str(solutions), "--exercises", str(exercises)]) == 0
    assert "exercises/ is up to date (1 notebooks)" in capsys.readouterr().out


def test_check_returns_the_changes_without_writing(course: tuple[Path, Path]) -> None:
    solutions, exercises = course
    assert generate(solutions, exercises, check=True) == ["01_data.ipynb (missing)"]
    assert not exercises.exists()


# --- broken markers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (
            new_code_cell("a = 1\n### BEGIN SOLUTION\nb = 2"),
            "cell 2, line 2: '### BEGIN SOLUTION' has no",
        ),
        (
            new_code_cell("a = 1\n    ### END SOLUTION"),
            "cell 2, line 2: '### END SOLUTION' without",
        ),
        (
            new_code_cell(
                "### BEGIN SOLUTION\n  ### BEGIN SOLUTION\n### END SOLUTION\n### END SOLUTION"
            ),
            "cell 2, line 2: '### BEGIN SOLUTION' inside the block opened on line 1",
        ),
        (
            new_markdown_cell("x\n<!-- BEGIN SOLUTION -->\nanswer"),
            "cell 2, line 2: '<!-- BEGIN SOLUTION -->' has no",
        ),
        (
            new_markdown_cell("x\n\n<!-- END SOLUTION -->"),
            "cell 2, line 3: '<!-- END SOLUTION -->' without",
        ),
        (
            new_markdown_cell(
                "<!-- BEGIN SOLUTION --><!-- BEGIN SOLUTION --><!-- END SOLUTION -->"
            ),
            "cell 2, line 1: '<!-- BEGIN SOLUTION -->' inside",
        ),
        (
            new_code_cell("print(x)  ### SOLUTION"),
            "cell 2, line 1: '### SOLUTION' must end a one-line assignment",
        ),
        (
            new_code_cell("### BEGIN SOLUTION divide\n### END SOLUTION"),
            "cell 2, line 1: unexpected text after '### BEGIN SOLUTION'",
        ),
    ],
)
def test_broken_markers_are_reported_and_nothing_is_written(
    course: tuple[Path, Path],
    capsys: pytest.CaptureFixture,
    cell: nbformat.NotebookNode,
    expected: str,
) -> None:
    solutions, exercises = course
    write_solution(
        solutions, "02_broken.ipynb", new_notebook(cells=[new_markdown_cell("# Title"), cell])
    )

    status = main(["--solutions", str(solutions), "--exercises", str(exercises)])

    assert status == 2
    error = capsys.readouterr().err
    assert f"02_broken.ipynb, {expected}" in error
    assert "Nothing was written" in error
    assert not exercises.exists(), "the valid 01_data.ipynb must not be written either"
    with pytest.raises(MarkerError):
        generate(solutions, exercises)


def test_missing_solutions_folder_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    status = main(
        ["--solutions", str(tmp_path / "nope"), "--exercises", str(tmp_path / "exercises")]
    )
    assert status == 2
    assert "no solutions folder" in capsys.readouterr().err


def test_solution_cell_without_id_is_refused(
    course: tuple[Path, Path], capsys: pytest.CaptureFixture
) -> None:
    solutions, exercises = course
    path = solutions / "01_data.ipynb"
    path.write_text(path.read_text().replace('"id": ', '"not_id": ', 1))
    assert main(["--solutions", str(solutions), "--exercises", str(exercises)]) == 2
    assert "01_data.ipynb, cell 1: the cell has no id" in capsys.readouterr().err


# --- the record of what was generated ---------------------------------------------------------


def run(solutions: Path, exercises: Path, *options: str) -> int:
    return main([*options, "--solutions", str(solutions), "--exercises", str(exercises)])


def edit_like_jupyter(path: Path, new_first_cell: str) -> bytes:
    """Change a cell the way a person saving in Jupyter does; return the file's new bytes."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[0].source = new_first_cell
    nbformat.write(notebook, path)
    return path.read_bytes()


def change_solution(solutions: Path) -> None:
    """Edit the solution's first cell, keeping every cell id (as Jupyter does)."""
    path = solutions / "01_data.ipynb"
    changed = nbformat.read(path, as_version=4)
    changed.cells[0].source += "\nNew sentence."
    nbformat.write(changed, path)


def backups(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.bak-*"))


def test_record_is_the_hash_of_the_text_with_the_hash_written_empty() -> None:
    exercise = make_exercise(solution_notebook(), "01_data.ipynb")
    text = exercise_text(exercise, "solutions/x.ipynb")
    course = json.loads(text)["metadata"]["course"]
    assert course["generated_from"] == "solutions/x.ipynb"
    digest = course["generated_text_sha256"]
    unsigned = text.replace(digest, "")
    assert hashlib.sha256(unsigned.encode()).hexdigest() == digest
    assert is_untouched_copy(text)
    assert exercise_text(exercise, "solutions/x.ipynb") == text, "the same input, the same bytes"


@pytest.mark.parametrize(
    "edit",
    [
        lambda text: text.replace("Done.", "Done!"),  # a cell edited by hand
        lambda text: text.replace('"generated_text_sha256": "', '"generated_text_sha256": "0'),
        lambda text: without_record(text),  # the record removed and the text then differs
        lambda text: text.replace("}\n", "} \n"),  # even formatting counts
    ],
    ids=["cell", "record", "no-record", "whitespace"],
)
def test_any_change_to_a_generated_text_makes_it_not_untouched(edit) -> None:
    text = exercise_text(make_exercise(solution_notebook(), "01_data.ipynb"), "solutions/x.ipynb")
    assert not is_untouched_copy(edit(text))


def test_older_generated_copy_is_updated_without_force(course: tuple[Path, Path]) -> None:
    solutions, exercises = course
    generate(solutions, exercises)
    change_solution(solutions)
    assert generate(solutions, exercises) == ["01_data.ipynb (stale)"]
    assert "New sentence." in (exercises / "01_data.ipynb").read_text()
    assert backups(exercises) == []
    assert generate(solutions, exercises, check=True) == []


def test_copy_from_before_records_is_updated_without_force_gaining_only_the_record(
    course: tuple[Path, Path],
) -> None:
    solutions, exercises = course
    exercises.mkdir()
    exercise = make_exercise(
        nbformat.read(solutions / "01_data.ipynb", as_version=4), "01_data.ipynb"
    )
    old_generator_text = notebook_text(exercise)
    (exercises / "01_data.ipynb").write_text(old_generator_text, encoding="utf-8")

    assert run(solutions, exercises) == 0

    written = (exercises / "01_data.ipynb").read_text(encoding="utf-8")
    assert written != old_generator_text
    assert without_record(written) == old_generator_text
    assert backups(exercises) == []


def test_edited_exercise_survives_a_run_without_force_byte_for_byte(
    course: tuple[Path, Path], capsys: pytest.CaptureFixture
) -> None:
    solutions, exercises = course
    generate(solutions, exercises)
    edited = edit_like_jupyter(exercises / "01_data.ipynb", "My own notes, keep them.")
    change_solution(solutions)
    capsys.readouterr()

    status = run(solutions, exercises)

    out = capsys.readouterr().out
    assert status == 1
    assert (exercises / "01_data.ipynb").read_bytes() == edited
    assert backups(exercises) == []
    assert "exercises/01_data.ipynb was edited since it was generated" in out
    assert "cell 1 (id " in out and "-My own notes, keep them." in out
    assert "--force" in out and "is not up to date" in out
    assert generate(solutions, exercises) == ["01_data.ipynb (edited) kept: force=True"]
    assert (exercises / "01_data.ipynb").read_bytes() == edited


def test_copy_without_record_that_differs_is_edited(course: tuple[Path, Path]) -> None:
    solutions, exercises = course
    exercises.mkdir()
    nbformat.write(
        new_notebook(cells=[new_markdown_cell("hand made")]), exercises / "01_data.ipynb"
    )
    before = (exercises / "01_data.ipynb").read_bytes()
    assert generate(solutions, exercises, check=True) == ["01_data.ipynb (edited)"]
    generate(solutions, exercises)
    assert (exercises / "01_data.ipynb").read_bytes() == before


def test_unreadable_exercise_is_kept_then_backed_up_with_force(course: tuple[Path, Path]) -> None:
    solutions, exercises = course
    exercises.mkdir()
    (exercises / "01_data.ipynb").write_bytes(b"\xff\xfe not text")
    assert generate(solutions, exercises) == ["01_data.ipynb (edited) kept: force=True"]
    assert (exercises / "01_data.ipynb").read_bytes() == b"\xff\xfe not text"
    generate(solutions, exercises, force=True)
    [backup] = backups(exercises)
    assert backup.read_bytes() == b"\xff\xfe not text"


def test_force_keeps_the_edited_copy_as_a_backup_no_glob_picks_up(
    course: tuple[Path, Path], capsys: pytest.CaptureFixture
) -> None:
    solutions, exercises = course
    generate(solutions, exercises)
    edited = edit_like_jupyter(exercises / "01_data.ipynb", "My own notes, keep them.")
    capsys.readouterr()

    assert run(solutions, exercises, "--force") == 0

    [backup] = backups(exercises)
    assert re.fullmatch(r"01_data\.ipynb\.bak-\d{8}-\d{6}", backup.name)
    assert backup.read_bytes() == edited
    assert sorted(path.name for path in exercises.glob("*.ipynb")) == ["01_data.ipynb"]
    assert f"kept as exercises/{backup.name}" in capsys.readouterr().out
    assert generate(solutions, exercises, check=True) == []


def test_backup_names_never_collide(tmp_path: Path) -> None:
    target = tmp_path / "01.ipynb"
    first = backup_path(target)
    first.write_text("one")
    second = backup_path(target)
    assert second != first and not second.exists()
    assert second.name.startswith(first.name)


def test_dry_run_writes_nothing_and_says_what_would_change(
    course: tuple[Path, Path], capsys: pytest.CaptureFixture
) -> None:
    solutions, exercises = course
    generate(solutions, exercises)
    write_solution(solutions, "02_model.ipynb", solution_notebook())
    edit_like_jupyter(exercises / "01_data.ipynb", "notes")
    nbformat.write(new_notebook(), exercises / "00_old.ipynb")
    before = {path.name: path.read_bytes() for path in exercises.iterdir()}
    capsys.readouterr()

    status = run(solutions, exercises, "--dry-run")

    out = capsys.readouterr().out
    assert status == 1, "the run would leave the edited and the extra notebook"
    assert "would write exercises/02_model.ipynb (missing)" in out
    assert "would keep (edited; --force overwrites) exercises/01_data.ipynb" in out
    assert "would leave alone exercises/00_old.ipynb" in out
    assert "Nothing was written (--dry-run)" in out
    assert {path.name: path.read_bytes() for path in exercises.iterdir()} == before
    assert run(solutions, exercises, "--dry-run", "--force") == 1  # the extra stays either way


def test_extra_notebook_fails_check_until_deleted_by_hand(
    course: tuple[Path, Path], capsys: pytest.CaptureFixture
) -> None:
    solutions, exercises = course
    generate(solutions, exercises)
    nbformat.write(new_notebook(), exercises / "00_old.ipynb")
    capsys.readouterr()

    assert run(solutions, exercises) == 1
    assert (
        "exercises/00_old.ipynb has no solution in solutions/; left alone"
        in capsys.readouterr().out
    )
    assert (exercises / "00_old.ipynb").exists()
    assert run(solutions, exercises, "--force") == 1
    assert (exercises / "00_old.ipynb").exists()

    assert run(solutions, exercises, "--check") == 1
    assert "Delete it by hand if it is obsolete" in capsys.readouterr().out
    (exercises / "00_old.ipynb").unlink()
    assert run(solutions, exercises, "--check") == 0


def test_check_reports_edited_files_with_their_difference(
    course: tuple[Path, Path], capsys: pytest.CaptureFixture
) -> None:
    solutions, exercises = course
    generate(solutions, exercises)
    edited = edit_like_jupyter(exercises / "01_data.ipynb", "notes")
    capsys.readouterr()
    assert run(solutions, exercises, "--check") == 1
    out = capsys.readouterr().out
    assert "edited   exercises/01_data.ipynb" in out and "-notes" in out
    assert (exercises / "01_data.ipynb").read_bytes() == edited


# --- marker spellings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("solution", "exercise"),
    [
        ("# BEGIN SOLUTION\na = 1\n# END SOLUTION\nb = 2", "# YOUR CODE HERE\nb = 2"),
        (
            "def f():\n    # BEGIN SOLUTION hint: one\n    return 1\n    # END SOLUTION",
            f"def f():\n    # YOUR CODE HERE (hint: one)\n    {NOT_DONE_RAISE}",
        ),
        ("x = x / 255  # SOLUTION", "x = ...  # YOUR CODE HERE"),
        ("a = 1\n# BEGIN SOLUTION NO PROMPT\nhidden = 2\n# END SOLUTION\nb = 3", "a = 1\nb = 3"),
        ("### BEGIN SOLUTION NO PROMPT\nhidden = 2\n### END SOLUTION", ""),
        ("x = 1  # the solution: see below", "x = 1  # the solution: see below"),
        ("url = '../solutions/01.ipynb'", "url = '../solutions/01.ipynb'"),
    ],
    ids=[
        "otter-block",
        "otter-hint",
        "otter-line",
        "no-prompt",
        "nbgrader-no-prompt",
        "prose",
        "url",
    ],
)
def test_otter_spellings_are_accepted(solution: str, exercise: str) -> None:
    assert exercise_source(solution) == exercise


def test_prose_about_solutions_is_not_a_marker() -> None:
    text = (
        "Try first; when you are stuck, every exercise is solved in "
        "[../solutions/01_data.ipynb](../solutions/01_data.ipynb). The solution is short."
    )
    exercise = make_exercise(new_notebook(cells=[new_markdown_cell(text)]), "01_data.ipynb")
    assert exercise.cells[0].source == text


@pytest.mark.parametrize(
    ("cell", "line"),
    [
        (new_code_cell("a = 1\n###BEGIN SOLUTION\nb = 2\n### END SOLUTION"), 2),
        (new_code_cell("### begin solution\nb = 2\n### end solution"), 1),
        (new_code_cell("a = 1\n## BEGIN SOLUTION\nb = 2\n## END SOLUTION"), 2),
        (new_code_cell("#### BEGIN SOLUTION\nb = 2\n#### END SOLUTION"), 1),
        (new_code_cell("### BEGIN SOLUTIONS\nb = 2\n### END SOLUTIONS"), 1),
        (new_code_cell("# BEGIN_SOLUTION\nb = 2"), 1),
        (new_code_cell("### BEGIN SOLUTION\nb = 2\n###END SOLUTION\n### END SOLUTION"), 3),
        (new_code_cell("a = 1\n### SOLUTION\nb = 2"), 2),
        (new_code_cell("x = 1  ## SOLUTION"), 1),
        (new_code_cell("x = 1  # Solution"), 1),
        (new_code_cell("x = 1  # SOLUTION NO PROMPT"), 1),
        (new_markdown_cell("Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"), 2),
        (new_markdown_cell("Why?\n\nBEGIN SOLUTION Because. END SOLUTION"), 3),
        (new_markdown_cell("Why?\n<!-- begin solution -->Because.<!-- end solution -->"), 2),
        (new_markdown_cell("<!-- BEGIN SOLUTIONS -->Because.<!-- END SOLUTIONS -->"), 1),
        (new_markdown_cell("<!--BEGIN_SOLUTION-->Because.<!--END_SOLUTION-->"), 1),
        (new_markdown_cell("Why?\n## Solution\nBecause."), 2),
        (new_markdown_cell("<!-- BEGIN SOLUTION -->a<!-- END SOLUTION -->\n<!--solution: b-->"), 2),
    ],
)
def test_near_miss_markers_are_errors_naming_cell_id_line_and_spellings(
    cell: nbformat.NotebookNode, line: int
) -> None:
    cell.id = "the-cell"
    notebook = new_notebook(cells=[new_markdown_cell("# Title"), cell])
    with pytest.raises(MarkerError) as raised:
        make_exercise(notebook, "02_typo.ipynb")
    message = str(raised.value)
    assert message.startswith(f"02_typo.ipynb, cell 2, line {line}: ")
    assert "looks like a solution marker" in message
    assert "'### BEGIN SOLUTION'" in message and "'<!-- BEGIN SOLUTION -->'" in message
    assert message.endswith("(cell id 'the-cell')")


@pytest.mark.parametrize(
    "source",
    [
        "### BEGIN SOLUTION\n42\n### END SOLUTION",
        "a\n<!-- BEGIN SOLUTION -->42",
        "x = 4  # SOLUTION",
    ],
)
def test_markers_in_raw_cells_are_errors(source: str) -> None:
    cell = new_raw_cell(source)
    cell.id = "raw-one"
    with pytest.raises(MarkerError, match=r"02\.ipynb, cell 1, line \d: .* raw cell.*'raw-one'"):
        make_exercise(new_notebook(cells=[cell]), "02.ipynb")


def test_near_miss_is_reported_by_the_command_and_nothing_is_written(
    course: tuple[Path, Path], capsys: pytest.CaptureFixture
) -> None:
    solutions, exercises = course
    write_solution(
        solutions, "02_typo.ipynb", new_notebook(cells=[new_code_cell("x = 1  ## SOLUTION")])
    )
    assert run(solutions, exercises) == 2
    error = capsys.readouterr().err
    assert (
        "02_typo.ipynb, cell 1, line 1: 'x = 1  ## SOLUTION' looks like a solution marker" in error
    )
    assert not exercises.exists()


@pytest.mark.parametrize("broken_step", ["exercise_code", "exercise_markdown"])
def test_safety_net_stops_a_marker_the_replacement_missed(
    monkeypatch: pytest.MonkeyPatch, broken_step: str
) -> None:
    monkeypatch.setattr(generator, broken_step, lambda source, *places: source)
    with pytest.raises(MarkerError, match="student copy would still contain .*SOLUTION"):
        make_exercise(solution_notebook(), "01_data.ipynb")
