"""Grade a folder of submitted exercise notebooks into one CSV (for instructors).

    python -m course_tools grade SUBMISSIONS_DIR --out grades.csv [--resume] [--timeout 300]
        [--cell-timeout 120] [--memory-gb 8] [--jobs 1] [--reference exercises/]
        [--solutions solutions/] [--unsafe-no-sandbox]

Every notebook under SUBMISSIONS_DIR runs as a copy, in a bubblewrap sandbox of its own
(:mod:`.sandbox`): the course and data read-only, no network, no access to the other
submissions or the CSV, its processes killed when it ends, limits on time, memory and output.
Without bubblewrap the grader refuses, unless ``--unsafe-no-sandbox`` accepts the risk.

Verdicts are the self-checks' outputs; they count only from unchanged check cells of the
matching ``--reference`` notebook, and only for the exercises that cell reports in
``--solutions``' stored outputs (:mod:`.verdicts`). The checks run from a pristine copy of
the course's packages taken when grading starts.

Rows are written as each notebook finishes (:mod:`.grades_csv`); Ctrl-C stops cleanly and
``--resume`` grades only what the CSV lacks. CSV columns: ``file, exercise_set, status``
(ok / errors / timeout / invalid / unknown), ``reason``, then ``ex<ID>`` and ``ex<ID> message``
per exercise, then ``total`` (passed) and ``out_of``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from .grades_csv import GraderError, GradeRow, GradesCsv, check_out_path, header_for, natural_key
from .grades_csv import write_csv as write_csv
from .references import Reference, expected_checks_from_solution, load_references, match_reference
from .running import LIVE_RUNS, RunOutcome, RunSettings, run_notebook
from .sandbox import INSTALL_BUBBLEWRAP, Limits, SandboxPaths, copy_course, sandbox_problem
from .submissions import Submission, find_submissions, printable, read_submission
from .verdicts import (
    CELL_TIMED_OUT,
    CHECK_CELL_CHANGED,
    CHECK_DID_NOT_RUN,
    NOT_READABLE,
    Verdict,
    code_cells,
    error_name,
    results_from_outputs,
)

GRADE_COMMAND = "python -m course_tools grade"
STATUSES = ("ok", "errors", "timeout", "invalid", "unknown")

__all__ = [
    "CHECK_CELL_CHANGED",
    "CHECK_DID_NOT_RUN",
    "GradeRow",
    "GraderError",
    "Limits",
    "Reference",
    "RunSettings",
    "Verdict",
    "expected_checks_from_solution",
    "find_submissions",
    "grade_folder",
    "load_references",
    "main",
    "match_reference",
    "natural_key",
    "results_from_outputs",
    "run_notebook",
    "write_csv",
]


def grade_submission(
    submission: Submission, references: Sequence[Reference], settings: RunSettings
) -> GradeRow:
    """Run and grade one submission; never raises for a bad notebook.

    Call: ``grade_submission(find_submissions(folder)[0], references, settings).status``.
    """
    row = GradeRow(file=submission.name)
    if submission.refused:
        row.status, row.detail = "invalid", f"refused: {submission.refused}"
        return row
    try:
        notebook = read_submission(submission.path)
    except ValueError as error:
        notebook, row.status, row.detail = None, "invalid", str(error)
    reference = match_reference(notebook, submission.path.name, references)
    if reference is None:
        if notebook is not None:
            row.status, row.detail = "unknown", "no reference notebook matches its name or metadata"
        return row
    row.exercise_set = reference.exercise_set
    expected = reference.expected_exercises
    row.out_of = len(expected) if expected else None
    if notebook is None:
        row.verdicts = {exercise: Verdict("fail", NOT_READABLE) for exercise in expected}
        return row
    outcome = run_notebook(notebook, settings)
    row.verdicts = results_from_outputs(
        outcome.executed or {}, reference.notebook, reference.expected_checks
    )
    row.out_of = len(expected) if expected else len(row.verdicts)
    row.status, row.detail = _run_status(outcome)
    return row


def _run_status(outcome: RunOutcome) -> tuple[str, str]:
    """Row status and explanation: timeout beats errors beats ok."""
    if outcome.timed_out:
        return "timeout", outcome.problem
    raised = sorted(
        {name for cell in code_cells(outcome.executed or {}) if (name := error_name(cell))}
    )
    if "KeyboardInterrupt" in raised:
        return "timeout", CELL_TIMED_OUT
    if outcome.problem or raised:
        details = [outcome.problem] if outcome.problem else []
        details += [f"a cell raised {name}" for name in raised]
        return "errors", "; ".join(details)
    return "ok", ""


def _grade_safely(submission, references, settings) -> GradeRow:
    """:func:`grade_submission`, turning a grader bug into an "errors" row."""
    started = time.monotonic()
    try:
        row = grade_submission(submission, references, settings)
    except Exception as error:
        row = GradeRow(submission.name, status="errors", detail=f"grader failed: {error!r}")
    row.seconds = time.monotonic() - started
    return row


def _progress_line(row: GradeRow) -> str:
    """``alice/01_data.ipynb: ok, 3/3 passed [4.2 s]``, control characters escaped."""
    score = f", {row.total}/{row.out_of} passed" if row.out_of is not None else ""
    detail = f" ({row.detail})" if row.detail else ""
    return printable(f"{row.file}: {row.status}{score}{detail}") + f" [{row.seconds:.1f} s]"


def grade_folder(
    submissions_dir: Path,
    out: Path,
    reference_dir: Path,
    solutions_dir: Path,
    settings: RunSettings,
    jobs: int = 1,
    resume: bool = False,
) -> list[GradeRow]:
    """Grade every submission (``jobs`` at a time), writing each row as it is done.

    Call: ``grade_folder(Path("submissions"), Path("grades.csv"), Path("exercises"),
    Path("solutions"), RunSettings(300, 120, Limits(), paths))``
    """
    references, warnings = load_references(reference_dir, solutions_dir)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not references:
        raise GraderError(f"no exercise notebooks in {reference_dir}; pass --reference DIR.")
    submissions = find_submissions(submissions_dir)
    if not submissions:
        raise GraderError(f"no .ipynb files found in {submissions_dir}.")
    header = header_for(ex for reference in references for ex in reference.expected_exercises)
    rows: list[GradeRow] = []
    started = time.monotonic()
    with GradesCsv(out, header, resume) as grades:
        todo = [s for s in submissions if not grades.already_graded(s.name)]
        if resume:
            print(
                f"resuming: {len(submissions) - len(todo)} already in {out}, {len(todo)} to grade"
            )
        try:
            _grade_all(todo, references, settings, jobs, grades, rows)
        except KeyboardInterrupt:
            print(
                f"\ninterrupted: {len(rows)} rows are in {out}; run the same command with "
                "--resume to grade the rest.",
                file=sys.stderr,
            )
            raise
    counts = Counter(row.status for row in rows)
    summary = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s]) or "nothing new"
    print(
        f"Graded {len(rows)} notebooks in {time.monotonic() - started:.0f} s ({summary}); wrote {out}"
    )
    return rows


def _grade_all(todo, references, settings, jobs, grades: GradesCsv, rows: list) -> None:
    LIVE_RUNS.stopping.clear()
    pool = ThreadPoolExecutor(max_workers=jobs)
    futures = [pool.submit(_grade_safely, s, references, settings) for s in todo]
    try:
        for number, future in enumerate(as_completed(futures), start=1):
            row = future.result()
            if LIVE_RUNS.stopping.is_set():
                break  # a run we killed ourselves: not a grade
            grades.add(row)
            rows.append(row)
            print(f"[{number}/{len(todo)}] {_progress_line(row)}", flush=True)
    except BaseException:
        LIVE_RUNS.stop_all()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


# --- command line ----------------------------------------------------------------------------


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=GRADE_COMMAND,
        description="Run submitted exercise notebooks, each in a sandbox, and write their "
        "self-check results to a CSV, one row per notebook as soon as it is graded.",
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
        "--resume",
        action="store_true",
        help="continue an existing --out file: grade only the notebooks it lacks",
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
        "--memory-gb",
        type=float,
        default=8,
        help="address space per process of a submission, in GiB (default 8)",
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
    parser.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="run students' code WITHOUT a sandbox, with your rights: only for "
        "machines where bubblewrap cannot run, and only for code you trust",
    )
    return parser.parse_args(argv)


def _check_arguments(args: argparse.Namespace) -> None:
    if not args.submissions.is_dir():
        raise GraderError(
            f"no submissions folder at {args.submissions}; pass the folder that holds the "
            "submitted notebooks."
        )
    if not args.reference.is_dir():
        raise GraderError(
            f"no reference folder at {args.reference}; run this in the course's folder or "
            "pass --reference DIR (the generated exercises/ folder)."
        )
    check_out_path(args.out, args.submissions)
    if args.timeout <= 0 or args.cell_timeout <= 0 or args.memory_gb <= 0:
        raise GraderError("--timeout, --cell-timeout and --memory-gb must be positive numbers.")
    if args.jobs < 1:
        raise GraderError("--jobs must be at least 1.")


def _data_dir() -> Path | None:
    value = os.environ.get("COURSE_DATA_DIR", "").strip()
    return Path(value).expanduser().resolve() if value else None


def _settings(args: argparse.Namespace, course_copy: Path) -> RunSettings:
    limits = Limits(memory_bytes=int(args.memory_gb * 2**30))
    data_dir = _data_dir()
    if args.unsafe_no_sandbox:
        print(
            "warning: --unsafe-no-sandbox: students' code runs with your rights.", file=sys.stderr
        )
        return RunSettings(args.timeout, args.cell_timeout, limits, None, course_copy, data_dir)
    problem = sandbox_problem()
    if problem:
        raise GraderError(f"cannot grade safely: {problem}. {INSTALL_BUBBLEWRAP}")
    paths = SandboxPaths.for_this_python(course_copy, data_dir)
    return RunSettings(args.timeout, args.cell_timeout, limits, paths, course_copy, data_dir)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status (0 CSV written, 2 bad input, 130 Ctrl-C)."""
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    solutions_dir = args.solutions or args.reference.resolve().parent / "solutions"
    previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    # Ctrl-C must stop grading even when the grader was started with SIGINT ignored (a background
    # job of a non-interactive shell inherits that, and Python then never raises KeyboardInterrupt).
    previous_interrupt = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _check_arguments(args)
        with tempfile.TemporaryDirectory(prefix="grader-course-") as scratch:
            settings = _settings(args, copy_course(Path(scratch) / "course"))
            grade_folder(
                args.submissions,
                args.out,
                args.reference,
                solutions_dir,
                settings,
                args.jobs,
                args.resume,
            )
    except GraderError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_interrupt)
    return 0


def _raise_keyboard_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
