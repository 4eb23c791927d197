"""Run notebooks top to bottom, each in a fresh kernel of this Python; fail if any cell raises.

    COURSE_FAST=1 COURSE_DATA_DIR=../shared/data .venv-colab/bin/python .ci/run_notebooks.py --jobs 2 notebooks/*.ipynb solutions/*.ipynb

Each notebook runs from its own folder, like in Jupyter, in a kernel started from the
interpreter running this script (whatever kernel specs are installed), so the packages it sees
are this environment's. Outputs are not compared with the stored ones and the executed
notebooks are not written anywhere. ``--jobs N`` runs N notebooks at a time, each in a process
of its own (most of a quick-mode notebook's time is kernel start-up, imports and compiling, which
leave a second core idle). One line per notebook, in the order given, gives its seconds and OK or FAILED;
for a failure the cell's source and its error follow. The exit status is 1 if any notebook
failed. Needs nbclient, nbformat and ipykernel (the CI's Colab-shaped job installs them).
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


class ThisPythonKernel(AsyncKernelManager):
    """A kernel manager whose kernel is always ``sys.executable``, never an installed "python3" spec."""

    @property
    def kernel_spec(self) -> KernelSpec:
        return KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name=f"Python {sys.version.split()[0]} ({sys.prefix})",
            language="python",
        )


def run(path: Path, cell_timeout: int) -> str | None:
    """Execute one notebook in a fresh kernel from its folder; None if every cell ran, else a report.

    >>> run(Path("notebooks/01_loading_and_exploring.ipynb"), cell_timeout=900)  # doctest: +SKIP
    """
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=cell_timeout,
        kernel_name="python3",
        kernel_manager_class=ThisPythonKernel,
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    except Exception as error:  # a cell's error, a cell over its time limit, a dead kernel
        return failure_report(notebook, error)
    return None


def failure_report(notebook, error: Exception) -> str:
    """The failing cell's number, source and error; or the error alone if no cell recorded one."""
    why = (
        " ran over the time limit and was interrupted"
        if isinstance(error, CellTimeoutError)
        else ""
    )
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                traceback = ANSI_ESCAPE.sub("", "\n".join(output.traceback))
                return (
                    f"code cell {number}{why}:\n{indent(cell.source)}\n  ----\n{indent(traceback)}"
                )
    return f"{type(error).__name__}: {ANSI_ESCAPE.sub('', str(error))}"


def indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def timed_run(path: Path, cell_timeout: int) -> tuple[float, str | None]:
    """``run``, with the seconds it took: ``timed_run(Path("notebooks/01_loading_and_exploring.ipynb"), 900)``."""
    started = time.monotonic()
    report = run(path, cell_timeout)
    return time.monotonic() - started, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument(
        "--cell-timeout", type=int, default=900, help="seconds one cell may take (default 900)"
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="notebooks to run at the same time (default 1)"
    )
    args = parser.parse_args(argv)

    print(f"kernel: {sys.executable} (Python {sys.version.split()[0]})", flush=True)
    failed = []
    with ProcessPoolExecutor(
        max_workers=max(1, args.jobs), mp_context=multiprocessing.get_context("spawn")
    ) as pool:
        timeouts = [args.cell_timeout] * len(args.notebooks)
        for path, (seconds, report) in zip(
            args.notebooks, pool.map(timed_run, args.notebooks, timeouts)
        ):
            print(f"{seconds:7.1f} s  {'OK' if report is None else 'FAILED':6}  {path}", flush=True)
            if report is not None:
                failed.append(path)
                print(report, flush=True)
    print(f"notebooks: {len(args.notebooks) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
