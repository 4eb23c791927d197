"""Every notebook looks the same and is committed the way the course promises.

Lesson notebooks and solutions carry the outputs of one top-to-bottom run; student
exercise notebooks are clean; all have the badge row and the Colab-guarded setup cell,
and none contains a machine path or a pre-Keras-3 idiom.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN_NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
    (ROOT / "solutions").glob("*.ipynb")
)
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
ALL = RUN_NOTEBOOKS + EXERCISES
FORBIDDEN_IN_CODE = {
    r"tensorflow\.keras|from tensorflow import keras": "use `import keras` (Keras 3)",
    r"input_shape\s*=": "use keras.Input(shape=...)",
    r"\bImageDataGenerator\s*\(": "use Keras preprocessing layers",
    r"\.save\([^)]*\.h5['\"]": "save models as .keras",
    r"/work/|\.\./shared|['\"]/(home|root|tmp|Users|mnt)/": "no machine paths: data comes via helpers.load_mnist()",
}


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(notebook: dict) -> list[dict]:
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def ids(paths):
    return [f"{p.parent.name}/{p.name}" for p in paths]


def test_there_are_notebooks():
    assert len(list((ROOT / "notebooks").glob("*.ipynb"))) >= 3


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_header_badges_point_at_this_notebook(path):
    first = load(path)["cells"][0]
    text = source(first)
    assert first["cell_type"] == "markdown" and text.startswith("# "), "the first cell is the title"
    own = f"blob/main/{path.parent.name}/{path.name}"
    assert "colab.research.google.com/github/" in text and own in text, f"badge row must link {own}"


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_setup_cell_guards_colab_and_seeds(path):
    setup = [
        cell for cell in code_cells(load(path)) if '"google.colab" in sys.modules' in source(cell)
    ]
    assert len(setup) == 1, "exactly one Colab-guarded setup cell"
    assert "helpers.setup(" in source(setup[0])
    assert "nbval-ignore-output" in setup[0]["metadata"].get("tags", []), (
        "its version line differs between machines"
    )


@pytest.mark.parametrize("path", RUN_NOTEBOOKS, ids=ids(RUN_NOTEBOOKS))
def test_setup_cell_stores_no_stderr(path):
    setup = code_cells(load(path))[0]
    stderr = [
        line
        for out in setup["outputs"]
        if out["output_type"] == "stream" and out["name"] == "stderr"
        for line in "".join(out["text"]).splitlines()
    ]
    assert not stderr, (
        f"the setup cell stored stderr ({stderr[0]!r}): rerun the notebook with the current helpers"
    )


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_no_machine_paths_or_old_idioms(path):
    code = "\n".join(source(cell) for cell in code_cells(load(path)))
    for pattern, advice in FORBIDDEN_IN_CODE.items():
        assert not re.search(pattern, code), f"{pattern!r} found: {advice}"


@pytest.mark.parametrize("path", RUN_NOTEBOOKS, ids=ids(RUN_NOTEBOOKS))
def test_outputs_come_from_one_top_to_bottom_run(path):
    cells = code_cells(load(path))
    counts = [cell["execution_count"] for cell in cells]
    assert counts == list(range(1, len(cells) + 1)), (
        f"execution counts {counts}: rerun in a fresh kernel"
    )
    errors = [c for c in cells if any(o["output_type"] == "error" for o in c["outputs"])]
    assert not errors, "a stored output is an error"


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "notebooks").glob("*.ipynb")),
    ids=ids(sorted((ROOT / "notebooks").glob("*.ipynb"))),
)
def test_lessons_follow_the_anatomy(path):
    markdown = "\n".join(source(c) for c in load(path)["cells"] if c["cell_type"] == "markdown")
    for heading in ("## You will learn", "## Setup", "## Key takeaways"):
        assert heading in markdown, f"missing section {heading!r}"
    assert "**Checkpoint" in markdown, "lessons have checkpoints"


@pytest.mark.parametrize("path", EXERCISES, ids=ids(EXERCISES))
def test_exercise_notebooks_are_clean(path):
    for cell in code_cells(load(path)):
        assert cell["outputs"] == [] and cell["execution_count"] is None, (
            "students get exercises without outputs"
        )


def test_readme_lists_every_lesson_with_a_colab_badge():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"blob/main/notebooks/{path.name}" in readme, f"README's table lacks {path.name}"


def test_exercises_are_exactly_what_the_generator_makes_from_solutions():
    from course_tools.exercises import UPDATE_COMMAND, generate

    differences = generate(ROOT / "solutions", ROOT / "exercises", check=True)
    assert not differences, (
        f"exercises/ is out of date ({', '.join(differences)}): run {UPDATE_COMMAND}"
    )


def test_every_lesson_has_an_exercise_set():
    lessons = {path.name for path in (ROOT / "notebooks").glob("*.ipynb")}
    solutions = {path.name for path in (ROOT / "solutions").glob("*.ipynb")}
    assert lessons <= solutions, f"lessons without exercises: {sorted(lessons - solutions)}"


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "solutions").glob("*.ipynb")),
    ids=ids(sorted((ROOT / "solutions").glob("*.ipynb"))),
)
def test_every_check_in_a_solution_passes(path):
    from helpers.check_results import RESULT_MIMETYPE

    verdicts = [
        output["data"][RESULT_MIMETYPE]
        for cell in code_cells(load(path))
        for output in cell["outputs"]
        if RESULT_MIMETYPE in output.get("data", {})
    ]
    assert len(verdicts) >= 3, "an exercise set has three to five checked exercises"
    failing = [v["exercise"] for v in verdicts if v["status"] != "pass"]
    assert not failing, f"the stored solution run does not pass exercises {failing}"


TENSORFLOW_START_UP = re.compile(
    r"absl::InitializeLog|oneDNN custom operations|cuda drivers|cuInit|cudart_stub|TF-TRT|"
    r"This TensorFlow binary is optimized|computation placer already registered"
)


@pytest.mark.parametrize("path", RUN_NOTEBOOKS, ids=ids(RUN_NOTEBOOKS))
def test_no_stored_output_holds_tensorflow_start_up_lines(path):
    for number, cell in enumerate(code_cells(load(path))):
        for output in cell["outputs"]:
            text = "".join(output.get("text", "")) + "".join(
                output.get("data", {}).get("text/plain", "")
            )
            found = TENSORFLOW_START_UP.search(text)
            assert not found, (
                f"code cell {number} stored TensorFlow's start-up line {found.group(0)!r}: "
                "rerun the notebook with the current helpers (import helpers before keras)"
            )


LESSONS_AND_SOLUTIONS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
    (ROOT / "solutions").glob("*.ipynb")
)


@pytest.mark.parametrize("path", LESSONS_AND_SOLUTIONS, ids=ids(LESSONS_AND_SOLUTIONS))
def test_committed_notebook_is_clean(path):
    from course_tools.notebook_cleaning import CLEAN_COMMAND, unclean

    assert not unclean([path]), (
        f"{path.name} carries volatile metadata, a random cell id or a raw progress bar: "
        f"run {CLEAN_COMMAND} (see CONTRIBUTING.md)"
    )
