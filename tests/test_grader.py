"""Tests for course_tools.grading (`python -m course_tools grade`): run and grade submissions."""

from __future__ import annotations

import copy
import csv
import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_tools.exercises import make_exercise
from course_tools.grading import (
    CHECK_CELL_CHANGED,
    CHECK_DID_NOT_RUN,
    GradeRow,
    Limits,
    RunSettings,
    Verdict,
    expected_checks_from_solution,
    find_submissions,
    load_references,
    main,
    match_reference,
    natural_key,
    results_from_outputs,
    run_notebook,
    write_csv,
)
from course_tools.grading.sandbox import copy_course, sandbox_problem
from helpers.check_results import CheckResult

SANDBOX_PROBLEM = sandbox_problem()
SANDBOX_FLAGS = ["--unsafe-no-sandbox"] if SANDBOX_PROBLEM else []

SETUP = """from helpers.check_results import CheckResult

def check(exercise, value, expected):
    if value is ...:
        return CheckResult(exercise, "not_done", "Replace the ... with your code.")
    if value == expected:
        return CheckResult(exercise, "pass", "Correct.")
    return CheckResult(exercise, "fail", f"Expected {expected!r}, got {value!r}.")"""

CHECK_1_2 = """try:
    result = check("1.2", double(21), 42)
except NotImplementedError:
    result = CheckResult("1.2", "not_done", "Write the body of double().")
result"""

GOOD_ANSWERS = {
    "ex-1-1": "answer = 42",
    "ex-1-2": "def double(x):\n    return x + x",
    "ex-1-10": "total = ...\ntotal = 10",
}


def result_output(exercise: str, status: str, message: str = "") -> nbformat.NotebookNode:
    """An execute_result output as a check cell stores it."""
    bundle = CheckResult(exercise, status, message)._repr_mimebundle_()
    return new_output("execute_result", data=bundle, execution_count=1)


def cell(cell_id: str, source: str, check: str | None = None) -> nbformat.NotebookNode:
    """A code cell with a fixed id; ``check`` adds the stored "pass" output of that exercise."""
    code = new_code_cell(
        source, outputs=[result_output(check, "pass", "Correct.")] if check else []
    )
    code.id = cell_id
    return code


def solution_notebook() -> nbformat.NotebookNode:
    """A solution notebook, with check outputs stored as after a full run."""
    title = new_markdown_cell("# Basics")
    title.id = "title"
    return new_notebook(
        cells=[
            title,
            cell("setup", SETUP),
            cell("ex-1-1", "answer = 6 * 7  ### SOLUTION"),
            cell("check-1-1", 'check("1.1", answer, 42)', check="1.1"),
            cell(
                "ex-1-2",
                "def double(x):\n    ### BEGIN SOLUTION hint: add x to itself\n"
                "    return 2 * x\n    ### END SOLUTION",
            ),
            cell("check-1-2", CHECK_1_2, check="1.2"),
            cell(
                "ex-1-10",
                "total = ...\n### BEGIN SOLUTION\ntotal = sum(range(5))\n### END SOLUTION",
            ),
            cell("check-1-10", 'check("1.10", total, 10)', check="1.10"),
        ],
        metadata={"course": {"exercise_set": "01_basics"}},
    )


def submission(exercise: nbformat.NotebookNode, sources: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of the exercise notebook with some cells' sources replaced, by cell id."""
    notebook = copy.deepcopy(exercise)
    by_id = {code.id: code for code in notebook.cells}
    for cell_id, source in sources.items():
        by_id[cell_id].source = source
    return notebook


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A course folder with solutions/ (with outputs) and the generated exercises/."""
    root = tmp_path_factory.mktemp("course")
    solution = solution_notebook()
    (root / "solutions").mkdir()
    (root / "exercises").mkdir()
    nbformat.write(solution, root / "solutions" / "01_basics.ipynb")
    nbformat.write(
        make_exercise(solution, "01_basics.ipynb"), root / "exercises" / "01_basics.ipynb"
    )
    return root


@pytest.fixture(scope="module")
def exercise(course: Path) -> nbformat.NotebookNode:
    return nbformat.read(course / "exercises" / "01_basics.ipynb", as_version=4)


# --- pure pieces -----------------------------------------------------------------------------


def executed(exercise: nbformat.NotebookNode, outputs: dict[str, list]) -> nbformat.NotebookNode:
    """The exercise notebook as if run, with the given outputs per cell id."""
    notebook = copy.deepcopy(exercise)
    for code in notebook.cells:
        if code.cell_type == "code":
            code.outputs = outputs.get(code.id, [])
    return notebook


def test_expected_checks_come_from_the_solution_outputs(exercise: nbformat.NotebookNode) -> None:
    expected = expected_checks_from_solution(solution_notebook(), exercise)
    assert expected == {"check-1-1": ["1.1"], "check-1-2": ["1.2"], "check-1-10": ["1.10"]}


def test_results_from_unchanged_check_cells_count(exercise: nbformat.NotebookNode) -> None:
    run = executed(
        exercise,
        {
            "check-1-1": [result_output("1.1", "pass", "Correct.")],
            "check-1-2": [result_output("1.2", "not_done", "Write it.")],
            "check-1-10": [result_output("1.10", "fail", "Expected 10.")],
        },
    )
    assert results_from_outputs(run, exercise) == {
        "1.1": Verdict("pass", "Correct."),
        "1.2": Verdict("not_done", "Write it."),
        "1.10": Verdict("fail", "Expected 10."),
    }


def test_forged_results_fail_as_changed_check_cells(exercise: nbformat.NotebookNode) -> None:
    run = executed(
        exercise,
        {
            "check-1-1": [result_output("1.1", "pass")],
            "ex-1-2": [
                result_output("1.2", "pass"),
                result_output("9.9", "pass"),
            ],  # 9.9: made up, ignored
        },
    )
    run.cells[3].source += "  # harmless?"  # check-1-1 edited: its pass no longer counts
    run.cells[4].source = 'CheckResult("1.2", "pass", "")'  # a verdict made up in an answer cell
    verdicts = results_from_outputs(run, exercise, {"check-1-1": ["1.1"], "check-1-2": ["1.2"]})
    changed = Verdict("fail", CHECK_CELL_CHANGED)
    assert verdicts == {"1.1": changed, "1.2": changed}


def test_missing_results_explain_why(exercise: nbformat.NotebookNode) -> None:
    error = new_output(
        "error", ename="NameError", evalue="name 'answer' is not defined", traceback=[]
    )
    run = executed(exercise, {"check-1-1": [error]})
    run.cells = [code for code in run.cells if code.get("id") != "check-1-2"]  # deleted
    expected = {"check-1-1": ["1.1"], "check-1-2": ["1.2"], "check-1-10": ["1.10"]}
    verdicts = results_from_outputs(run, exercise, expected)
    assert verdicts == {
        "1.1": Verdict("fail", "cell raised NameError"),
        "1.2": Verdict("fail", CHECK_DID_NOT_RUN),
        "1.10": Verdict("fail", CHECK_DID_NOT_RUN),
    }


def test_notebooks_saved_without_cell_ids_are_matched_by_source(
    exercise: nbformat.NotebookNode,
) -> None:
    run = executed(
        exercise,
        {
            "check-1-1": [result_output("1.1", "pass")],
            "ex-1-1": [result_output("1.2", "pass")],
        },
    )
    run.cells[2].source = 'answer = 42\nCheckResult("1.2", "pass", "")'
    for code in run.cells:
        del code["id"]
    run.nbformat_minor = 4
    expected = {"check-1-1": ["1.1"], "check-1-2": ["1.2"], "check-1-10": ["1.10"]}
    assert results_from_outputs(run, exercise, expected) == {
        "1.1": Verdict("pass", ""),
        "1.2": Verdict("fail", CHECK_CELL_CHANGED),
        "1.10": Verdict("fail", CHECK_DID_NOT_RUN),
    }


def test_natural_order_of_exercise_ids() -> None:
    ids = ["1.10", "2.1", "1.2", "1.1", "10.1"]
    assert sorted(ids, key=natural_key) == ["1.1", "1.2", "1.10", "2.1", "10.1"]


def test_match_reference_by_metadata_then_by_file_name(course: Path) -> None:
    references, warnings = load_references(course / "exercises", course / "solutions")
    assert warnings == []
    tagged = new_notebook(metadata={"course": {"exercise_set": "01_basics"}})
    assert match_reference(tagged, "homework.ipynb", references).file_name == "01_basics.ipynb"
    assert match_reference(new_notebook(), "alice_01_basics (1).ipynb", references) is not None
    assert match_reference(new_notebook(), "notes.ipynb", references) is None


def test_find_submissions_is_recursive_and_skips_checkpoints(tmp_path: Path) -> None:
    for name in [
        "a.ipynb",
        "bob/b.ipynb",
        ".ipynb_checkpoints/a-checkpoint.ipynb",
        "bob/.ipynb_checkpoints/b-checkpoint.ipynb",
        "notes.txt",
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    found = [submission.name for submission in find_submissions(tmp_path)]
    assert found == ["a.ipynb", "bob/b.ipynb"]


def test_write_csv_columns(tmp_path: Path) -> None:
    rows = [
        GradeRow(
            "a.ipynb",
            "01",
            "ok",
            {"1.10": Verdict("pass", "ok"), "1.2": Verdict("fail", "no")},
            out_of=2,
        ),
        GradeRow("b.ipynb", status="unknown"),
    ]
    write_csv(rows, tmp_path / "grades.csv")
    with open(tmp_path / "grades.csv", newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines == [
        [
            "file",
            "exercise_set",
            "status",
            "reason",
            "ex1.2",
            "ex1.2 message",
            "ex1.10",
            "ex1.10 message",
            "total",
            "out_of",
        ],
        ["a.ipynb", "01", "ok", "", "fail", "no", "pass", "ok", "1", "2"],
        ["b.ipynb", "", "unknown", "", "", "", "", "", "0", ""],
    ]


def test_missing_submissions_folder_is_a_clear_error(
    course: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "g.csv"
    status = main(
        [str(tmp_path / "nope"), "--out", str(out), "--reference", str(course / "exercises")]
    )
    assert status == 2
    assert "no submissions folder" in capsys.readouterr().err
    assert not out.exists()


# --- running real kernels --------------------------------------------------------------------


@pytest.fixture(scope="module")
def graded(course: Path, exercise: nbformat.NotebookNode, tmp_path_factory: pytest.TempPathFactory):
    """Grade one folder of good, broken and hostile submissions; return (csv rows by file, files)."""
    folder = tmp_path_factory.mktemp("submissions")
    good = GOOD_ANSWERS
    loop = submission(exercise, {**good, "ex-1-2": "while True:\n    pass"})
    loop.cells[5].outputs = [result_output("1.2", "pass", "stored output, forged")]
    tampered = submission(
        exercise,
        {
            **good,
            "ex-1-1": "answer = 41",
            "ex-1-10": "total = 9",
            "check-1-1": 'CheckResult("1.1", "pass", "trust me")',
        },
    )
    tampered.cells.insert(6, new_code_cell('CheckResult("1.10", "pass", "me too")'))
    anonymous = copy.deepcopy(exercise)  # matched by file name, in a subfolder
    anonymous.metadata = {}
    notebooks = {
        "good.ipynb": submission(exercise, good),
        "wrong.ipynb": submission(exercise, {**good, "ex-1-1": "answer = 41"}),
        "raising.ipynb": submission(
            exercise,
            {
                **good,
                "ex-1-1": "import sys\nsys.exit('bye')",
                "ex-1-10": "import os\nos._exit(1)  # kills the kernel",
            },
        ),
        "loop.ipynb": loop,
        "tampered.ipynb": tampered,
        "notes.ipynb": new_notebook(cells=[new_code_cell("1 + 1")]),
        "bob/homework_01_basics.ipynb": anonymous,  # not done
        "bob/.ipynb_checkpoints/homework_01_basics-checkpoint.ipynb": anonymous,
    }
    for name, notebook in notebooks.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, folder / name)
    (folder / "invalid.ipynb").write_text('{"cells": [ this is not JSON')
    before = {path: path.read_bytes() for path in folder.rglob("*.ipynb")}
    out = folder.parent / "grades.csv"

    status = main(
        [
            str(folder),
            "--out",
            str(out),
            "--timeout",
            "60",
            "--cell-timeout",
            "5",
            "--jobs",
            "2",
            "--reference",
            str(course / "exercises"),
            *SANDBOX_FLAGS,
        ]
    )

    assert status == 0
    with open(out, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = {row["file"]: row for row in reader}
        header = reader.fieldnames
    return rows, header, before


def summary(row: dict) -> list[str]:
    return [row[key] for key in ("exercise_set", "status", "total", "out_of")]


def verdicts(row: dict) -> dict[str, tuple[str, str]]:
    return {ex: (row[f"ex{ex}"], row[f"ex{ex} message"]) for ex in ["1.1", "1.2", "1.10"]}


def test_csv_has_one_row_per_submission_and_natural_columns(graded) -> None:
    rows, header, _ = graded
    assert sorted(rows) == sorted(
        [
            "good.ipynb",
            "wrong.ipynb",
            "raising.ipynb",
            "loop.ipynb",
            "tampered.ipynb",
            "notes.ipynb",
            "invalid.ipynb",
            "bob/homework_01_basics.ipynb",
        ]
    )
    assert header == [
        "file",
        "exercise_set",
        "status",
        "reason",
        "ex1.1",
        "ex1.1 message",
        "ex1.2",
        "ex1.2 message",
        "ex1.10",
        "ex1.10 message",
        "total",
        "out_of",
    ]


def test_good_submission_passes(graded) -> None:
    row = graded[0]["good.ipynb"]
    assert summary(row) == ["01_basics", "ok", "3", "3"]
    assert verdicts(row) == {ex: ("pass", "Correct.") for ex in ["1.1", "1.2", "1.10"]}


def test_wrong_answer_fails_its_check(graded) -> None:
    row = graded[0]["wrong.ipynb"]
    assert (row["status"], row["total"]) == ("ok", "2")
    assert verdicts(row)["1.1"] == ("fail", "Expected 42, got 41.")


def test_untouched_exercise_matched_by_file_name_is_not_done_and_runs_to_the_end(graded) -> None:
    row = graded[0]["bob/homework_01_basics.ipynb"]
    assert summary(row) == ["01_basics", "ok", "0", "3"]
    assert {status for status, _ in verdicts(row).values()} == {"not_done"}


def test_raising_cells_and_killed_kernel_are_recorded_and_earlier_results_kept(graded) -> None:
    row = graded[0]["raising.ipynb"]  # sys.exit() in 1.1, os._exit() in 1.10
    assert (row["status"], row["total"]) == ("errors", "1")
    assert verdicts(row) == {
        "1.1": ("fail", "cell raised NameError"),
        "1.2": ("pass", "Correct."),
        "1.10": ("fail", CHECK_DID_NOT_RUN),
    }


def test_infinite_loop_is_stopped_and_the_other_exercises_still_graded(graded) -> None:
    row = graded[0]["loop.ipynb"]  # the forged stored "pass" for 1.2 is ignored
    assert (row["status"], row["total"], row["out_of"]) == ("timeout", "2", "3")
    found = verdicts(row)
    assert found["1.1"] == ("pass", "Correct.") and found["1.10"] == ("pass", "Correct.")
    assert found["1.2"][0] == "fail"


def test_changed_check_cell_and_forged_result_fail(graded) -> None:
    row = graded[0]["tampered.ipynb"]
    assert verdicts(row) == {
        "1.1": ("fail", CHECK_CELL_CHANGED),
        "1.2": ("pass", "Correct."),
        "1.10": ("fail", "Expected 10, got 9."),  # the forged "pass" beside it never scores
    }
    assert row["total"] == "1"


def test_invalid_and_unknown_notebooks_are_recorded(graded) -> None:
    rows = graded[0]
    assert (rows["invalid.ipynb"]["status"], rows["invalid.ipynb"]["exercise_set"]) == (
        "invalid",
        "",
    )
    notes = rows["notes.ipynb"]
    assert [notes[key] for key in ("status", "exercise_set", "ex1.1", "out_of")] == [
        "unknown",
        "",
        "",
        "",
    ]


def test_submissions_are_not_modified(graded) -> None:
    before = graded[2]
    assert {path: path.read_bytes() for path in before} == before


def test_whole_notebook_timeout_kills_the_kernel_too(tmp_path: Path) -> None:
    pid_file = tmp_path / "kernel.pid"
    notebook = new_notebook(
        cells=[
            new_code_cell(f"import os\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))"),
            new_code_cell("import time\nwhile True:\n    time.sleep(0.1)"),
        ]
    )
    settings = RunSettings(8, 600, Limits(), None, copy_course(tmp_path / "course"))
    for timeout in (8, 20, 45):  # a loaded machine may need longer to start the kernel
        outcome = run_notebook(notebook, dataclasses.replace(settings, timeout=timeout))
        if pid_file.exists():
            break

    assert outcome.timed_out
    kernel_pid = int(pid_file.read_text())
    assert _gone_within(kernel_pid, seconds=5), f"kernel {kernel_pid} still running"


def _gone_within(pid: int, seconds: float) -> bool:
    """True once process ``pid`` no longer exists or is a zombie (Linux /proc)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state in {"Z", "X"}:
            return True
        time.sleep(0.1)
    return False


# --- hostile submissions, the sandbox and the CSV --------------------------------------------

HOSTILE = """import os, pathlib, subprocess, sys
targets = {targets!r}
for target in targets:
    try:
        pathlib.Path(target).write_text("owned")
    except OSError:
        pass
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "{marker}"],
                 start_new_session=True)
print(sorted(os.environ))
answer = 42"""


def _grade(folder: Path, out: Path, course: Path, *extra: str) -> int:
    return main(
        [str(folder), "--out", str(out), "--timeout", "90", "--cell-timeout", "20",
         "--reference", str(course / "exercises"), *SANDBOX_FLAGS, *extra]
    )  # fmt: skip


def _rows(out: Path) -> dict[str, dict]:
    with open(out, newline="", encoding="utf-8") as handle:
        return {row["file"]: row for row in csv.DictReader(handle)}


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker in (entry / "cmdline").read_bytes().decode(
                errors="replace"
            ):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(bool(SANDBOX_PROBLEM), reason=f"no sandbox here: {SANDBOX_PROBLEM}")
def test_hostile_submission_touches_nothing_and_leaves_no_process(
    course: Path, exercise: nbformat.NotebookNode, tmp_path: Path, monkeypatch
) -> None:
    folder, out = tmp_path / "submissions", tmp_path / "grades.csv"
    folder.mkdir()
    honest = folder / "honest_01_basics.ipynb"
    nbformat.write(submission(exercise, GOOD_ANSWERS), honest)
    course_file = Path(__file__).resolve().parents[1] / "helpers" / "check_results.py"
    targets = [
        str(honest),
        str(out),
        str(course_file),
        str(course / "exercises" / "01_basics.ipynb"),
    ]
    marker = f"hostile-marker-{time.time_ns()}"
    hostile = submission(
        exercise, {**GOOD_ANSWERS, "ex-1-1": HOSTILE.format(targets=targets, marker=marker)}
    )
    nbformat.write(hostile, folder / "hostile_01_basics.ipynb")
    before = {
        path: path.read_bytes()
        for path in [honest, course_file, course / "exercises" / "01_basics.ipynb"]
    }
    monkeypatch.setenv("INSTRUCTOR_SECRET", "s3cret")

    assert _grade(folder, out, course) == 0

    rows = _rows(out)
    assert {path: path.read_bytes() for path in before} == before
    assert rows["honest_01_basics.ipynb"]["total"] == "3"
    assert rows["hostile_01_basics.ipynb"]["total"] == "3"  # its answers are right; nothing else
    assert "owned" not in out.read_text()
    assert _processes_with(marker) == []


def test_a_verdict_for_another_exercise_from_an_unchanged_check_cell_never_scores(
    exercise: nbformat.NotebookNode,
) -> None:
    solution = expected_checks_from_solution(solution_notebook(), exercise)
    outputs = {
        "check-1-1": [
            result_output("1.1", "pass", "Correct."),
            result_output("1.2", "pass", "forged"),
        ],
        "check-1-2": [result_output("1.2", "fail", "Expected 42, got 40.")],
    }
    found = results_from_outputs(executed(exercise, outputs), exercise, solution)
    assert found["1.1"].status == "pass"
    assert found["1.2"] == Verdict("fail", "Expected 42, got 40.")
    assert found["1.10"].status == "fail"


def test_odd_files_each_get_a_row_and_names_cannot_be_formulas(
    course: Path, exercise: nbformat.NotebookNode, tmp_path: Path
) -> None:
    folder, out = tmp_path / "submissions", tmp_path / "grades.csv"
    folder.mkdir()
    nbformat.write(submission(exercise, GOOD_ANSWERS), folder / "LOUD_01_BASICS.IPYNB")
    (folder / "=cmd|' -C calc'!A0.ipynb").write_text("{}")
    (folder / "+1_01_basics.ipynb").write_text("not json")
    (folder / os.fsdecode(b"caf\xe9_01_basics.ipynb")).write_text("{}")
    (folder / "link_01_basics.ipynb").symlink_to(course / "solutions" / "01_basics.ipynb")

    assert _grade(folder, out, course) == 0

    rows = _rows(out)
    assert sorted(rows) == sorted(
        ["'+1_01_basics.ipynb", "'=cmd|' -C calc'!A0.ipynb", "LOUD_01_BASICS.IPYNB",
         "caf\\xe9_01_basics.ipynb", "link_01_basics.ipynb"]
    )  # fmt: skip
    assert rows["link_01_basics.ipynb"]["status"] == "invalid"
    assert "symbolic link" in rows["link_01_basics.ipynb"]["reason"]
    assert rows["'+1_01_basics.ipynb"]["reason"].startswith("invalid JSON")
    assert rows["LOUD_01_BASICS.IPYNB"]["status"] == "ok"


def test_out_is_checked_before_grading_and_never_overwritten(
    course: Path, exercise: nbformat.NotebookNode, tmp_path: Path, capsys
) -> None:
    folder = tmp_path / "submissions"
    folder.mkdir()
    nbformat.write(submission(exercise, GOOD_ANSWERS), folder / "a_01_basics.ipynb")
    (tmp_path / "a folder").mkdir()
    old_grades = tmp_path / "old.csv"
    old_grades.write_text("file,total\nsomeone,3\n")
    for out, says in [
        (tmp_path / "a folder", "is a folder"),
        (folder / "grades.csv", "inside the submissions folder"),
        (tmp_path / "missing" / "grades.csv", "does not exist"),
        (old_grades, "already holds grades"),
    ]:
        assert _grade(folder, out, course) == 2
        assert says in capsys.readouterr().err
    assert old_grades.read_text() == "file,total\nsomeone,3\n"


def test_resume_grades_only_what_the_csv_lacks(
    course: Path, exercise: nbformat.NotebookNode, tmp_path: Path, capsys
) -> None:
    folder, out = tmp_path / "submissions", tmp_path / "grades.csv"
    folder.mkdir()
    nbformat.write(submission(exercise, GOOD_ANSWERS), folder / "a_01_basics.ipynb")
    assert _grade(folder, out, course) == 0
    first = out.read_text()
    nbformat.write(
        submission(exercise, {**GOOD_ANSWERS, "ex-1-1": "answer = 1"}), folder / "b_01_basics.ipynb"
    )

    assert _grade(folder, out, course, "--resume") == 0

    assert out.read_text().startswith(first)
    rows = _rows(out)
    assert (rows["a_01_basics.ipynb"]["total"], rows["b_01_basics.ipynb"]["total"]) == ("3", "2")
    assert "1 already in" in capsys.readouterr().out


def test_without_a_sandbox_the_grader_refuses_unless_told(
    course: Path, exercise: nbformat.NotebookNode, tmp_path: Path, monkeypatch, capsys
) -> None:
    import course_tools.grading as grading

    folder = tmp_path / "submissions"
    folder.mkdir()
    nbformat.write(submission(exercise, GOOD_ANSWERS), folder / "a_01_basics.ipynb")
    monkeypatch.setattr(grading, "sandbox_problem", lambda: "bubblewrap (bwrap) is not installed")
    args = [str(folder), "--reference", str(course / "exercises"), "--out"]

    assert main([*args, str(tmp_path / "refused.csv")]) == 2
    error = capsys.readouterr().err
    assert "cannot grade safely" in error and "apt-get install bubblewrap" in error
    assert "--unsafe-no-sandbox" in error
    assert not (tmp_path / "refused.csv").exists() or _rows(tmp_path / "refused.csv") == {}
    assert main([*args, str(tmp_path / "unsafe.csv"), "--unsafe-no-sandbox"]) == 0
    assert _rows(tmp_path / "unsafe.csv")["a_01_basics.ipynb"]["total"] == "3"


def test_ctrl_c_keeps_the_finished_rows_and_leaves_no_process(
    course: Path, exercise: nbformat.NotebookNode, tmp_path: Path
) -> None:
    folder, out = tmp_path / "submissions", tmp_path / "grades.csv"
    folder.mkdir()
    marker = f"ctrl-c-marker-{time.time_ns()}"
    nbformat.write(submission(exercise, GOOD_ANSWERS), folder / "a_01_basics.ipynb")
    slow = f"import subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', {marker!r}])\ntime.sleep(600)"
    nbformat.write(
        submission(exercise, {**GOOD_ANSWERS, "ex-1-1": slow}), folder / "b_01_basics.ipynb"
    )
    command = [sys.executable, "-m", "course_tools", "grade", str(folder), "--out", str(out),
               "--reference", str(course / "exercises"), *SANDBOX_FLAGS]  # fmt: skip
    grader = subprocess.Popen(
        command, cwd=Path(__file__).resolve().parents[1], stdout=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not _processes_with(marker):
        time.sleep(0.2)
    assert _processes_with(marker), "the slow submission never started"

    grader.send_signal(signal.SIGINT)

    assert grader.wait(timeout=30) == 130
    rows = _rows(out)
    assert list(rows) == ["a_01_basics.ipynb"] and rows["a_01_basics.ipynb"]["total"] == "3"
    time.sleep(1)
    assert _processes_with(marker) == []
