"""Tests for course_tools.exercises (`python -m course_tools exercises`): solutions -> exercises."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_tools.exercises import (
    NOT_DONE_RAISE,
    MarkerError,
    generate,
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
    assert written == notebook_text(make_exercise(solution, "01_data.ipynb"))
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


def test_exercise_without_solution_is_deleted(course: tuple[Path, Path]) -> None:
    solutions, exercises = course
    exercises.mkdir()
    nbformat.write(new_notebook(), exercises / "00_old.ipynb")
    (exercises / "README.md").write_text("kept")
    assert generate(solutions, exercises) == ["01_data.ipynb (missing)", "00_old.ipynb (extra)"]
    assert sorted(path.name for path in exercises.iterdir()) == ["01_data.ipynb", "README.md"]


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
