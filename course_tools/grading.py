"""Grade a folder of submitted exercise notebooks into one CSV (for instructors).

    python -m course_tools grade SUBMISSIONS_DIR --out grades.csv [--timeout 300] [--cell-timeout 120]
                                 [--reference exercises/] [--solutions solutions/] [--jobs 1]

Every ``*.ipynb`` under SUBMISSIONS_DIR (``.ipynb_checkpoints`` ignored) runs as a copy in a
fresh kernel, in its own process with a wall-clock limit of ``--timeout`` seconds for the
whole notebook and ``--cell-timeout`` for one cell; the submission file is never modified. A
cell that raises does not stop the cells after it.

Verdicts are the self-checks' outputs (``RESULT_MIMETYPE``). A verdict counts only when it comes
from a cell of the matching exercise notebook in ``--reference`` (same cell id, identical
source); otherwise that exercise fails with "the check cell was changed". The exercises to
expect are those the same check cells produced in the stored outputs of ``--solutions``.
A submission matches a reference by ``metadata["course"]["exercise_set"]`` or else by the
reference's name appearing in the submission's file name.

CSV columns: ``file, exercise_set, status`` (ok / errors / timeout / invalid / unknown), then
``ex<ID>`` and ``ex<ID> message`` per exercise, then ``total`` (passed) and ``out_of``.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from helpers.check_results import RESULT_MIMETYPE, STATUSES

GRADE_COMMAND = "python -m course_tools grade"

CHECK_CELL_CHANGED = "the check cell was changed"
CHECK_DID_NOT_RUN = "the check did not run"
CELL_TIMED_OUT = "a cell was stopped at the time limit (an endless loop?)"
NOT_READABLE = "the notebook could not be read"


@dataclass(frozen=True)
class Verdict:
    """One exercise's grade: ``Verdict("fail", "the check did not run")``."""

    status: str  # "pass", "fail" or "not_done"
    message: str


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


@dataclass
class GradeRow:
    """One CSV row: ``GradeRow("alice/01_data.ipynb", "01_data", "ok", {...}, out_of=3)``."""

    file: str
    exercise_set: str = ""
    status: str = "ok"  # ok, errors, timeout, invalid or unknown
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    out_of: int | None = None
    detail: str = ""  # shown in the progress line, not in the CSV
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(verdict.status == "pass" for verdict in self.verdicts.values())


class GraderError(Exception):
    """Bad command-line input; the message tells the user what to do."""


# --- reading check results -------------------------------------------------------------------


def check_results_in(cell: Mapping) -> list[tuple[str, Verdict]]:
    """The ``(exercise, Verdict)`` pairs a code cell's outputs carry under RESULT_MIMETYPE."""
    found = []
    for output in cell.get("outputs", []):
        data = output.get("data", {}).get(RESULT_MIMETYPE)
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


def _code_cells(notebook: Mapping) -> list[Mapping]:
    return [cell for cell in notebook.get("cells", []) if cell.get("cell_type") == "code"]


def _error_name(cell: Mapping) -> str | None:
    """The exception name of a cell that raised, else None."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return output.get("ename") or "an error"
    return None


class _ReferenceCells:
    """Looks up a submission's cells in the reference, by cell id (or by source for old
    notebook files without cell ids, such as nbformat 4.0 downloads)."""

    def __init__(self, reference_nb: Mapping) -> None:
        cells = _code_cells(reference_nb)
        self.by_id = {cell["id"]: cell for cell in cells if "id" in cell}
        self.sources = {cell.get("source", "") for cell in cells}

    def is_unchanged(self, cell: Mapping) -> bool:
        """True if ``cell`` is a reference cell with its source untouched."""
        if "id" in cell and self.by_id:
            reference = self.by_id.get(cell["id"])
            return reference is not None and reference.get("source") == cell.get("source")
        return cell.get("source") in self.sources

    def find_in(self, notebook: Mapping, cell_id: str) -> Mapping | None:
        """The submission's version of reference cell ``cell_id``, if it is still there."""
        reference = self.by_id.get(cell_id)
        for cell in _code_cells(notebook):
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

    ``expected_checks`` (check cell id -> exercise ids) adds a failing verdict for every
    expected exercise that produced none. Call:
    ``results_from_outputs(executed, reference, {"c3": ["1.1"]})`` -> ``{"1.1": Verdict(...)}``
    """
    reference = _ReferenceCells(reference_nb)
    verdicts: dict[str, Verdict] = {}
    changed: set[str] = set()
    for cell in _code_cells(executed_nb):
        trusted = reference.is_unchanged(cell)
        for exercise, verdict in check_results_in(cell):
            if trusted:
                verdicts[exercise] = verdict
            else:
                changed.add(exercise)
    expected = {
        exercise for exercises in (expected_checks or {}).values() for exercise in exercises
    }
    for exercise in changed:  # a forged verdict wins over a genuine one: it is still tampering
        if exercise in expected or exercise in verdicts or not expected:  # not made-up ids
            verdicts[exercise] = Verdict("fail", CHECK_CELL_CHANGED)
    for cell_id, exercises in (expected_checks or {}).items():
        missing = [exercise for exercise in exercises if exercise not in verdicts]
        if missing:
            reason = _why_no_result(reference.find_in(executed_nb, cell_id), reference, cell_id)
            verdicts.update({exercise: Verdict("fail", reason) for exercise in missing})
    return verdicts


def _why_no_result(submitted: Mapping | None, reference: _ReferenceCells, cell_id: str) -> str:
    """Why an expected check cell produced no verdict, in the student's terms."""
    if submitted is None:
        return CHECK_DID_NOT_RUN
    original = reference.by_id.get(cell_id)
    if original is not None and submitted.get("source") != original.get("source"):
        return CHECK_CELL_CHANGED
    error = _error_name(submitted)
    if error == "KeyboardInterrupt":
        return CELL_TIMED_OUT
    return f"cell raised {error}" if error else CHECK_DID_NOT_RUN


# --- references ------------------------------------------------------------------------------


def expected_checks_from_solution(
    solution_nb: Mapping, reference_nb: Mapping
) -> dict[str, list[str]]:
    """Check cell id -> exercise ids, from the solution's stored outputs, for cells the
    reference also has. Call: ``expected_checks_from_solution(solution, exercise)``."""
    reference_ids = {cell.get("id") for cell in _code_cells(reference_nb)}
    expected: dict[str, list[str]] = {}
    for cell in _code_cells(solution_nb):
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


# --- running one notebook --------------------------------------------------------------------


def read_submission(path: Path) -> nbformat.NotebookNode:
    """Read a notebook, raising ValueError with a short reason when it is not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"unreadable file ({error.__class__.__name__})") from None
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"invalid JSON ({error})") from None
    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as error:  # nbformat raises many unrelated types for non-notebooks
        raise ValueError(f"not a Jupyter notebook ({_first_line(error)})") from None
    if not isinstance(notebook.get("cells"), list):
        raise ValueError("not a Jupyter notebook (no list of cells)")
    return notebook


@dataclass
class RunOutcome:
    """What running a notebook produced: the executed copy (None if nothing ran)."""

    executed: nbformat.NotebookNode | None
    timed_out: bool = False
    problem: str = ""  # e.g. "the kernel died"


def _child_environment() -> dict[str, str]:
    """The environment for the runner and its kernel: ``course_tools`` and ``helpers`` importable."""
    env = dict(os.environ)
    homes = [_package_home("course_tools"), _package_home("helpers")]
    paths = homes + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def _package_home(package: str) -> str:
    """The folder a package is imported from: ``_package_home("helpers")`` -> ``"/home/me/course"``."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise GraderError(
            f"cannot find the {package!r} package; install the course "
            "(pip install -e .) or run the grader in the course's folder."
        )
    return str(Path(next(iter(spec.submodule_search_locations))).resolve().parent)


def _kill_process_group(pid: int) -> None:
    """SIGKILL the process group led by ``pid``, if it still exists."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_notebook(path: Path, timeout: float, cell_timeout: float) -> RunOutcome:
    """Execute a copy of ``path`` in a separate process limited to ``timeout`` seconds.

    Call: ``run_notebook(Path("alice/01_data.ipynb"), timeout=300, cell_timeout=120)``
    """
    with tempfile.TemporaryDirectory(prefix="grader-") as scratch:
        scratch_dir = Path(scratch)
        executed_path, outcome_path = scratch_dir / "executed.ipynb", scratch_dir / "outcome.json"
        kernel_pid_path, log_path = scratch_dir / "kernel.pid", scratch_dir / "runner.log"
        command = [
            sys.executable,
            "-m",
            "course_tools.grading",
            "--run-one",
            str(path.resolve()),
            "--executed",
            str(executed_path),
            "--outcome",
            str(outcome_path),
            "--kernel-pid",
            str(kernel_pid_path),
            "--cell-timeout",
            str(cell_timeout),
        ]
        timed_out = False
        with open(log_path, "wb") as log:
            runner = subprocess.Popen(
                command,
                cwd=scratch_dir,
                env=_child_environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                runner.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:  # also when the grader itself is interrupted
                if runner.poll() is None:
                    _kill_process_group(runner.pid)
                    runner.wait()
                if runner.returncode != 0:
                    _kill_kernel(kernel_pid_path)  # the kernel runs in a session of its own
        return _collect_outcome(executed_path, outcome_path, log_path, timed_out, runner.returncode)


def _kill_kernel(kernel_pid_path: Path) -> None:
    """Kill the kernel whose pid the runner recorded (its own session, so not in the runner's group)."""
    try:
        _kill_process_group(int(kernel_pid_path.read_text()))
    except (OSError, ValueError):
        pass


def _collect_outcome(
    executed_path: Path, outcome_path: Path, log_path: Path, timed_out: bool, returncode: int
) -> RunOutcome:
    try:
        executed = nbformat.from_dict(json.loads(executed_path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        executed = None  # nothing ran, or the runner was killed before saving
    try:
        reported = json.loads(outcome_path.read_text())
    except (OSError, json.JSONDecodeError):
        reported = {}
    problem = reported.get("problem", "")
    if timed_out:
        problem = "the notebook ran out of time"
    elif not reported:
        last_line = (log_path.read_text(errors="replace").strip().splitlines() or [""])[-1]
        problem = f"the runner stopped with exit code {returncode}: {last_line[:200]}"
    return RunOutcome(executed, timed_out or reported.get("timed_out", False), problem)


def run_one(
    submission: Path,
    executed_path: Path,
    outcome_path: Path,
    kernel_pid_path: Path,
    cell_timeout: float,
) -> None:
    """Inside the runner process: execute a clean copy of ``submission``, saving the executed
    notebook after every cell so the parent keeps earlier results if this process is killed."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    notebook = nbformat.read(submission, as_version=4)
    for cell in _code_cells(notebook):  # stored outputs could carry forged verdicts
        cell["outputs"], cell["execution_count"] = [], None
    outcome: dict = {"timed_out": False, "problem": ""}
    with tempfile.TemporaryDirectory(prefix="submission-", ignore_cleanup_errors=True) as workdir:
        client = NotebookClient(
            notebook,
            timeout=math.ceil(cell_timeout),
            kernel_name="python3",
            allow_errors=True,
            interrupt_on_timeout=True,  # a stuck cell fails alone; the later exercises still run
            resources={"metadata": {"path": workdir}},
            shutdown_kernel="immediate",
        )
        client.on_notebook_start = lambda **_: _record_kernel_pid(client, kernel_pid_path)
        client.on_cell_executed = lambda **_: _save_notebook(notebook, executed_path)
        try:
            client.execute()
        except CellTimeoutError:
            outcome.update(timed_out=True, problem=f"a cell ran longer than {cell_timeout:g} s")
        except DeadKernelError:
            outcome["problem"] = "the kernel died"
        except Exception as error:  # the run must always report back
            outcome["problem"] = f"{error.__class__.__name__}: {_first_line(error)}"
    _save_notebook(notebook, executed_path)
    outcome_path.write_text(json.dumps(outcome))


def _record_kernel_pid(client, path: Path) -> None:
    """Tell the parent which process to kill if this runner has to be killed."""
    pid = getattr(getattr(client.km, "provisioner", None), "pid", None)
    if pid:
        path.write_text(str(pid))


def _first_line(error: BaseException, limit: int = 200) -> str:
    """The first line of an error message, shortened: fits a progress line."""
    lines = str(error).strip().splitlines()
    return lines[0][:limit] if lines else error.__class__.__name__


def _save_notebook(notebook: nbformat.NotebookNode, path: Path) -> None:
    """Write atomically so the parent never reads half a file; plain JSON because nbformat's
    writer refuses notebooks that break its schema, and a student's notebook may."""
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(notebook), encoding="utf-8")
    os.replace(partial, path)


# --- grading a folder ------------------------------------------------------------------------


def find_submissions(folder: Path) -> list[Path]:
    """All ``*.ipynb`` below ``folder``, sorted, skipping ``.ipynb_checkpoints``."""
    return sorted(
        path
        for path in Path(folder).rglob("*.ipynb")
        if path.is_file() and ".ipynb_checkpoints" not in path.relative_to(folder).parts
    )


def grade_submission(
    path: Path, root: Path, references: Sequence[Reference], timeout: float, cell_timeout: float
) -> GradeRow:
    """Run and grade one submission; never raises for a bad notebook."""
    row = GradeRow(file=path.relative_to(root).as_posix())
    try:
        notebook = read_submission(path)
    except ValueError as error:
        notebook, row.status, row.detail = None, "invalid", str(error)
    reference = match_reference(notebook, path.name, references)
    if reference is None:
        if notebook is not None:
            row.status, row.detail = "unknown", "no reference notebook matches its name or metadata"
        return row
    row.exercise_set = reference.exercise_set
    expected = reference.expected_exercises
    if notebook is None:
        row.verdicts = {exercise: Verdict("fail", NOT_READABLE) for exercise in expected}
        row.out_of = len(expected)
        return row
    outcome = run_notebook(path, timeout, cell_timeout)
    row.verdicts = results_from_outputs(
        outcome.executed or {}, reference.notebook, reference.expected_checks
    )
    row.out_of = len(expected) if expected else len(row.verdicts)
    row.status, row.detail = _run_status(outcome)
    return row


def _grade_safely(
    path: Path, root: Path, references: Sequence[Reference], timeout: float, cell_timeout: float
) -> GradeRow:
    """:func:`grade_submission`, turning a grader bug into an "errors" row instead of losing
    the other results."""
    started = time.monotonic()
    try:
        row = grade_submission(path, root, references, timeout, cell_timeout)
    except Exception as error:
        row = GradeRow(
            path.relative_to(root).as_posix(),
            status="errors",
            detail=f"grader failed: {error.__class__.__name__}: {error}",
        )
    row.seconds = time.monotonic() - started
    return row


def _progress_line(row: GradeRow) -> str:
    """``alice/01_data.ipynb: ok, 3/3 passed [4.2 s]``"""
    score = f", {row.total}/{row.out_of} passed" if row.out_of is not None else ""
    detail = f" ({row.detail})" if row.detail else ""
    return f"{row.file}: {row.status}{score}{detail} [{row.seconds:.1f} s]"


def _run_status(outcome: RunOutcome) -> tuple[str, str]:
    """Row status and explanation: timeout beats errors beats ok."""
    if outcome.timed_out:
        return "timeout", outcome.problem
    raised = sorted(
        {name for cell in _code_cells(outcome.executed or {}) if (name := _error_name(cell))}
    )
    if "KeyboardInterrupt" in raised:
        return "timeout", CELL_TIMED_OUT
    if outcome.problem or raised:
        details = [outcome.problem] if outcome.problem else []
        details += [f"a cell raised {name}" for name in raised]
        return "errors", "; ".join(details)
    return "ok", ""


def natural_key(exercise: str) -> list:
    """Sort key so that "1.2" < "1.10": ``sorted(ids, key=natural_key)``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", exercise)]


def write_csv(rows: Iterable[GradeRow], path: Path | str) -> None:
    """Write one line per submission, with a column pair for every exercise seen in ``rows``."""
    rows = list(rows)
    exercises = sorted({exercise for row in rows for exercise in row.verdicts}, key=natural_key)
    header = ["file", "exercise_set", "status"]
    for exercise in exercises:
        header += [f"ex{exercise}", f"ex{exercise} message"]
    header += ["total", "out_of"]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            line = [row.file, row.exercise_set, row.status]
            for exercise in exercises:
                verdict = row.verdicts.get(exercise)
                line += [verdict.status, verdict.message] if verdict else ["", ""]
            line += [row.total, "" if row.out_of is None else row.out_of]
            writer.writerow(line)


def grade_folder(
    submissions_dir: Path,
    out: Path,
    reference_dir: Path,
    solutions_dir: Path,
    timeout: float,
    cell_timeout: float,
    jobs: int = 1,
) -> list[GradeRow]:
    """Grade every submission (``jobs`` at a time), print progress, write the CSV; return the rows.

    Call: ``grade_folder(Path("submissions"), Path("grades.csv"), Path("exercises"),
    Path("solutions"), timeout=300, cell_timeout=120)``
    """
    references, warnings = load_references(reference_dir, solutions_dir)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not references:
        raise GraderError(f"no exercise notebooks in {reference_dir}; pass --reference DIR.")
    submissions = find_submissions(submissions_dir)
    if not submissions:
        raise GraderError(f"no .ipynb files found in {submissions_dir}.")
    rows, started = [], time.monotonic()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [
            pool.submit(_grade_safely, path, submissions_dir, references, timeout, cell_timeout)
            for path in submissions
        ]
        try:
            for number, future in enumerate(as_completed(futures), start=1):
                row = future.result()
                rows.append(row)
                print(f"[{number}/{len(submissions)}] {_progress_line(row)}", flush=True)
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    rows.sort(key=lambda row: row.file)
    write_csv(rows, out)
    counts = Counter(row.status for row in rows)
    summary = ", ".join(
        f"{counts[status]} {status}"
        for status in ("ok", "errors", "timeout", "invalid", "unknown")
        if counts[status]
    )
    print(
        f"Graded {len(rows)} notebooks in {time.monotonic() - started:.0f} s ({summary}); wrote {out}"
    )
    return rows


# --- command line ----------------------------------------------------------------------------


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=GRADE_COMMAND,
        description="Run submitted exercise notebooks and write their self-check results to a CSV.",
    )
    parser.add_argument(
        "submissions",
        type=Path,
        metavar="SUBMISSIONS_DIR",
        help="folder of submitted notebooks (searched recursively)",
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="CSV file to write, e.g. grades.csv"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=300,
        help="seconds allowed for a whole notebook (default 300)",
    )
    parser.add_argument(
        "--cell-timeout", type=float, default=120, help="seconds allowed for one cell (default 120)"
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="notebooks to run at the same time (default 1)"
    )
    parser.add_argument(
        "--reference",
        type=Path,
        default=Path("exercises"),
        help="folder of generated exercise notebooks (default: exercises/ here)",
    )
    parser.add_argument(
        "--solutions",
        type=Path,
        default=None,
        help="folder of solution notebooks with stored outputs "
        "(default: solutions/ next to the reference folder)",
    )
    return parser.parse_args(argv)


def _parse_run_one_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m course_tools.grading --run-one",
        description="Internal: execute one notebook (used by the grader).",
    )
    parser.add_argument("--run-one", type=Path, required=True)
    parser.add_argument("--executed", type=Path, required=True)
    parser.add_argument("--outcome", type=Path, required=True)
    parser.add_argument("--kernel-pid", type=Path, required=True)
    parser.add_argument("--cell-timeout", type=float, required=True)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status (0 CSV written, 2 bad input)."""
    argv = sys.argv[1:] if argv is None else argv
    if "--run-one" in argv:
        args = _parse_run_one_args(argv)
        run_one(args.run_one, args.executed, args.outcome, args.kernel_pid, args.cell_timeout)
        return 0
    args = _parse_args(argv)
    solutions_dir = args.solutions or args.reference.resolve().parent / "solutions"
    try:
        if not args.submissions.is_dir():
            raise GraderError(
                f"no submissions folder at {args.submissions}; pass the folder "
                "that holds the submitted notebooks."
            )
        if not args.reference.is_dir():
            raise GraderError(
                f"no reference folder at {args.reference}; run this in the course's "
                "folder or pass --reference DIR (the generated exercises/ folder)."
            )
        if not args.out.resolve().parent.is_dir():
            raise GraderError(f"cannot write {args.out}: its folder does not exist.")
        if args.timeout <= 0 or args.cell_timeout <= 0:
            raise GraderError("--timeout and --cell-timeout must be positive numbers of seconds.")
        if args.jobs < 1:
            raise GraderError("--jobs must be at least 1.")
        grade_folder(
            args.submissions,
            args.out,
            args.reference,
            solutions_dir,
            args.timeout,
            args.cell_timeout,
            args.jobs,
        )
    except GraderError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
