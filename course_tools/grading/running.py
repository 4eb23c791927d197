"""Run one submission in its sandbox (or, when the instructor accepts the risk, without one).

The grader starts the runner (:mod:`course_tools.grading.runner`), hands it the notebook on
standard input and reads its report from a pipe only the runner holds. The whole run has a
wall-clock limit; when it ends, for any reason, every process of the submission is killed.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .sandbox import Limits, SandboxPaths, apply_limits, sandbox_command, sandbox_environment


@dataclass(frozen=True)
class RunSettings:
    """How to run every submission: ``RunSettings(300, 120, Limits(), paths)``.

    ``sandbox`` None means no sandbox (``--unsafe-no-sandbox``): the runner then works in a
    temporary folder with the instructor's rights, importing the checks from ``course_copy``.
    """

    timeout: float
    cell_timeout: float
    limits: Limits
    sandbox: SandboxPaths | None
    course_copy: Path | None = None
    data_dir: Path | None = None


@dataclass
class RunOutcome:
    """What running a notebook produced: the executed copy (None if nothing ran)."""

    executed: nbformat.NotebookNode | None
    timed_out: bool = False
    problem: str = ""  # e.g. "the kernel died"


class LiveRuns:
    """The runs in progress, so that Ctrl-C can end them all: ``LIVE_RUNS.stop_all()``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: set[int] = set()
        self.stopping = threading.Event()

    def add(self, group: int) -> None:
        with self._lock:
            self._groups.add(group)

    def discard(self, group: int) -> None:
        with self._lock:
            self._groups.discard(group)

    def stop_all(self) -> None:
        """Kill every run in progress (their rows are not written: ``--resume`` redoes them)."""
        self.stopping.set()
        with self._lock:
            groups = list(self._groups)
        for group in groups:
            kill_process_group(group)


LIVE_RUNS = LiveRuns()


def kill_process_group(pid: int) -> None:
    """SIGKILL the process group led by ``pid``, if it still exists."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def runner_command(report_fd: int, settings: RunSettings) -> list[str]:
    """The runner's command line, wrapped in its sandbox unless the sandbox is off."""
    command = [
        sys.executable,
        "-m",
        "course_tools.grading.runner",
        "--report-fd",
        str(report_fd),
        "--cell-timeout",
        str(settings.cell_timeout),
        "--output-limit",
        str(settings.limits.output_bytes),
    ]
    if settings.sandbox is None:
        return command
    return sandbox_command(command, settings.sandbox, settings.limits)


def unsandboxed_environment(settings: RunSettings, home: Path) -> dict[str, str]:
    """Without a sandbox: the same short list of variables, paths on the real disk."""
    env = sandbox_environment(SandboxPaths((), Path("."), settings.data_dir))
    env.update(HOME=str(home), TMPDIR=str(home), PYTHONPATH=str(settings.course_copy))
    if settings.data_dir is not None:
        env["COURSE_DATA_DIR"] = str(settings.data_dir)
    return env


class _ReportReader(threading.Thread):
    """Reads the runner's report lines, up to a byte budget."""

    def __init__(self, descriptor: int, budget: int) -> None:
        super().__init__(daemon=True)
        self.stream = os.fdopen(descriptor, "rb")
        self.budget = budget
        self.messages: list[dict] = []
        self.over_budget = False

    def run(self) -> None:
        received = 0
        with self.stream:
            for line in self.stream:
                received += len(line)
                if received > self.budget:
                    self.over_budget = True
                    return
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                if isinstance(message, dict):
                    self.messages.append(message)


def run_notebook(notebook: nbformat.NotebookNode, settings: RunSettings) -> RunOutcome:
    """Execute a copy of ``notebook`` as one submission, within the settings' limits.

    Call: ``run_notebook(read_submission(path), RunSettings(300, 120, Limits(), paths))``
    """
    read_end, write_end = os.pipe()
    reader = _ReportReader(read_end, budget=settings.limits.output_bytes + 2**20)
    with (
        tempfile.TemporaryFile() as log,
        tempfile.TemporaryDirectory(prefix="grader-home-", ignore_cleanup_errors=True) as home,
    ):
        environment = (
            {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
            if settings.sandbox is not None
            else unsandboxed_environment(settings, Path(home))
        )
        try:
            process = subprocess.Popen(
                runner_command(write_end, settings),
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
                cwd=environment.get("HOME", "/"),
                pass_fds=(write_end,),
                start_new_session=True,
                preexec_fn=apply_limits(settings.limits),
            )
        finally:
            os.close(write_end)
        LIVE_RUNS.add(process.pid)
        reader.start()
        timed_out = _feed_and_wait(process, notebook, settings.timeout, reader)
        reader.join(timeout=10)
        LIVE_RUNS.discard(process.pid)
        _kill_kernel_outside_sandbox(reader.messages, settings)
        log.seek(0)
        last_log_line = (log.read().decode(errors="replace").strip().splitlines() or [""])[-1]
    return _outcome(notebook, reader, timed_out, process.returncode, last_log_line)


def _feed_and_wait(process, notebook, timeout: float, reader: _ReportReader) -> bool:
    """Hand over the notebook, wait up to ``timeout``; kill the run when it is over. Timed out?"""
    timed_out = False
    try:
        try:
            process.stdin.write(json.dumps(notebook).encode("utf-8"))
            process.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        deadline_hit = _wait_or_budget(process, timeout, reader)
        timed_out = deadline_hit
    finally:  # also when the grader itself is interrupted
        kill_process_group(process.pid)
        process.wait()
    return timed_out


def _wait_or_budget(process, timeout: float, reader: _ReportReader) -> bool:
    """Wait for the runner; stop early when its report outgrows the budget. Timed out?"""
    waited, step = 0.0, 0.5
    while waited < timeout:
        try:
            process.wait(timeout=min(step, timeout - waited))
            return False
        except subprocess.TimeoutExpired:
            waited += step
        if reader.over_budget or LIVE_RUNS.stopping.is_set():
            return False
    return True


def _kill_kernel_outside_sandbox(messages: list[dict], settings: RunSettings) -> None:
    """Without a sandbox the kernel has its own session: kill it by the pid the runner sent."""
    if settings.sandbox is not None:
        return  # the sandbox's process namespace died with the runner, kernel included
    for message in messages:
        pid = message.get("kernel_pid")
        if isinstance(pid, int) and pid > 1:
            kill_process_group(pid)


def _outcome(notebook, reader: _ReportReader, timed_out: bool, returncode, last_log_line: str):
    executed = copy.deepcopy(notebook)
    cells = executed.get("cells", [])
    for cell in cells:
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    reported = {}
    for message in reader.messages:
        index = message.get("cell")
        if isinstance(index, int) and 0 <= index < len(cells) and "outputs" in message:
            outputs = message["outputs"]
            if cells[index].get("cell_type") == "code" and isinstance(outputs, list):
                cells[index]["outputs"] = [out for out in outputs if isinstance(out, dict)]
                cells[index]["execution_count"] = message.get("execution_count")
        elif message.get("done"):
            reported = message
    problem = str(reported.get("problem", ""))
    if reader.over_budget:
        problem = "the notebook printed more output than the grader reads; stopped"
    elif timed_out:
        problem = "the notebook ran out of time"
    elif not reported:
        problem = f"the runner stopped with exit code {returncode}: {last_log_line[:200]}"
    ran_anything = any(message.get("cell") is not None for message in reader.messages)
    return RunOutcome(
        nbformat.from_dict(executed) if ran_anything or reported else None,
        timed_out or bool(reported.get("timed_out", False)),
        problem,
    )
