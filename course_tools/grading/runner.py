"""Inside the sandbox: run one submitted notebook and report each cell's outputs to the grader.

    python -m course_tools.grading.runner --report-fd 3 --cell-timeout 120 --output-limit 33554432

The notebook arrives on standard input; the report leaves on the descriptor given, one JSON object
per line: ``{"kernel_pid": 12}``, then ``{"cell": 4, "execution_count": 2, "outputs": [...]}``
after every code cell, then ``{"done": true, "timed_out": false, "problem": ""}``. The kernel
never inherits that descriptor, and this process makes itself undumpable so the student's code,
which runs as the same user, cannot open it through ``/proc``: only this runner speaks to the
grader. The kernel works in a private folder holding the submission's copy.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

OUTPUTS_DROPPED = "[the grader dropped further output: this notebook printed more than {limit} MB]"


def make_undumpable() -> None:
    """Stop processes of the same user from opening this one's files in /proc (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except (OSError, AttributeError):
        pass  # not Linux: the grader refuses to sandbox there anyway


class Reporter:
    """Writes the report lines; ``Reporter(open(3, "w")).send({"done": True})``."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def send(self, message: dict) -> None:
        self.stream.write(json.dumps(message) + "\n")
        self.stream.flush()


def capped_client_class(output_limit: int):
    """An nbclient NotebookClient that keeps at most ``output_limit`` bytes of outputs in all."""
    from nbclient import NotebookClient

    class CappedNotebookClient(NotebookClient):
        kept_bytes = 0
        dropped = False

        def output(self, outs, msg, display_id, cell_index):
            size = len(json.dumps(msg.get("content", {}), default=str))
            if self.kept_bytes + size > output_limit:
                if not self.dropped:
                    self.dropped = True
                    note = OUTPUTS_DROPPED.format(limit=output_limit // 2**20)
                    outs.append({"output_type": "stream", "name": "stderr", "text": note})
                return None
            self.kept_bytes += size
            return super().output(outs, msg, display_id, cell_index)

    return CappedNotebookClient


def run(notebook_text: str, reporter: Reporter, cell_timeout: float, output_limit: int) -> None:
    """Execute the notebook, reporting as it goes. Call: ``run(text, reporter, 120, 32 * 2**20)``."""
    import nbformat
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    notebook = nbformat.reads(notebook_text, as_version=4)
    for cell in notebook.cells:  # stored outputs could carry forged verdicts
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    outcome = {"done": True, "timed_out": False, "problem": ""}
    workdir = Path(tempfile.mkdtemp(prefix="submission-", dir=Path.home()))
    (workdir / "submission.ipynb").write_text(notebook_text, encoding="utf-8")
    client = capped_client_class(output_limit)(
        notebook,
        timeout=math.ceil(cell_timeout),
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,  # a stuck cell fails alone; the later exercises still run
        resources={"metadata": {"path": str(workdir)}},
        shutdown_kernel="immediate",
    )
    client.on_notebook_start = lambda **_: _report_kernel_pid(client, reporter)
    client.on_cell_executed = lambda cell, cell_index, **_: reporter.send(
        {
            "cell": cell_index,
            "execution_count": cell.get("execution_count"),
            "outputs": cell.outputs,
        }
    )
    try:
        client.execute(
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    except CellTimeoutError:
        outcome.update(timed_out=True, problem=f"a cell ran longer than {cell_timeout:g} s")
    except DeadKernelError:
        outcome["problem"] = "the kernel died"
    except Exception as error:  # the run must always report back
        first = (str(error).strip().splitlines() or [""])[0][:200]
        outcome["problem"] = f"{error.__class__.__name__}: {first}"
    if client.dropped:
        outcome["problem"] = "; ".join(
            filter(None, [outcome["problem"], f"output over {output_limit // 2**20} MB dropped"])
        )
    reporter.send(outcome)


def _report_kernel_pid(client, reporter: Reporter) -> None:
    pid = getattr(getattr(client.km, "provisioner", None), "pid", None)
    if pid:
        reporter.send({"kernel_pid": pid})


def main(argv: list[str] | None = None) -> int:
    """Entry point of the runner process (the grader starts it; not for people)."""
    parser = argparse.ArgumentParser(prog="python -m course_tools.grading.runner")
    parser.add_argument("--report-fd", type=int, required=True)
    parser.add_argument("--cell-timeout", type=float, required=True)
    parser.add_argument("--output-limit", type=int, required=True)
    args = parser.parse_args(argv)
    os.set_inheritable(args.report_fd, False)
    report = os.fdopen(args.report_fd, "w", encoding="utf-8")
    make_undumpable()
    text = sys.stdin.read()
    run(text, Reporter(report), args.cell_timeout, args.output_limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
