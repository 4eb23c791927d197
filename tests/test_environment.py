"""A notebook's setup cell prints the version line and none of TensorFlow's start-up lines.

TensorFlow writes those lines to file descriptor 2 from C++ while it loads, so after ``import
helpers`` its import runs with that descriptor held back; a failed import must still show why it
failed. The fake ``tensorflow`` packages here make those cases quick and certain; the last test
loads the real one.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.environment import _stderr_held_back

ROOT = Path(__file__).resolve().parents[1]
START_UP_LINES = ("absl::InitializeLog", "oneDNN custom operations", "cuda drivers", "cuInit")


def run_python(code: str, *path: Path, **environment: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter that finds ``path`` (then this checkout) first on sys.path.

    ``TF_ENABLE_ONEDNN_OPTS`` is unset unless ``environment`` sets it, like any other variable given there.
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, [*path, ROOT]))}
    env.pop("TF_ENABLE_ONEDNN_OPTS", None)
    env.update(environment)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )


def fake_tensorflow(folder: Path, body: str) -> Path:
    """A package named ``tensorflow`` whose import runs ``body``; returns the folder to put on sys.path."""
    package = folder / "tensorflow"
    package.mkdir()
    (package / "__init__.py").write_text("import os\n" + body, encoding="utf-8")
    return folder


def test_what_reaches_file_descriptor_2_is_held_back(capfd):
    with _stderr_held_back():
        os.write(2, b"I0000 port.cc:153] oneDNN custom operations are on.\n")
    assert capfd.readouterr().err == ""


def test_when_the_block_fails_what_it_wrote_is_shown(capfd):
    with pytest.raises(ImportError, match="no such symbol"):
        with _stderr_held_back():
            os.write(2, b"libtensorflow_cc.so: cannot open shared object file\n")
            raise ImportError("no such symbol")
    assert "cannot open shared object file" in capfd.readouterr().err


def test_without_a_file_descriptor_2_the_block_simply_runs(monkeypatch):
    def no_descriptor(fd):
        raise OSError(9, "Bad file descriptor")

    monkeypatch.setattr(os, "dup", no_descriptor)
    ran = []
    with _stderr_held_back():
        ran.append(True)
    assert ran == [True]


def test_import_helpers_leaves_tensorflow_unloaded(tmp_path):
    noisy = fake_tensorflow(
        tmp_path, "os.write(2, b'WARNING: All log messages before absl::InitializeLog()\\n')\n"
    )
    result = run_python("import sys, helpers; print('tensorflow' in sys.modules)", noisy)
    assert (result.returncode, result.stdout, result.stderr) == (0, "False\n", "")


def test_tensorflow_loads_without_its_start_up_lines_after_import_helpers(tmp_path):
    noisy = fake_tensorflow(
        tmp_path, "os.write(2, b'WARNING: All log messages before absl::InitializeLog()\\n')\n"
    )
    result = run_python("import helpers, tensorflow; print(tensorflow.__name__)", noisy)
    assert (result.returncode, result.stdout, result.stderr) == (0, "tensorflow\n", "")


def test_a_failed_tensorflow_import_shows_its_error(tmp_path):
    broken = fake_tensorflow(
        tmp_path,
        "os.write(2, b'loading _pywrap_tensorflow_internal\\n')\nraise ImportError('DLL load failed')\n",
    )
    result = run_python("import helpers, tensorflow", broken)
    assert result.returncode != 0
    assert (
        "loading _pywrap_tensorflow_internal" in result.stderr
        and "ImportError: DLL load failed" in result.stderr
    )


def test_the_setup_cell_prints_only_the_version_line():
    result = run_python("import helpers\nimport keras\nhelpers.setup(seed=42)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Python ") and "seed 42" in result.stdout
    assert not [
        line for line in result.stderr.splitlines() if any(s in line for s in START_UP_LINES)
    ], result.stderr


@pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64"),
    reason="oneDNN is asked for on x86-64 only",
)
def test_import_helpers_asks_tensorflow_for_onednn_kernels():
    result = run_python("import os, helpers; print(os.environ['TF_ENABLE_ONEDNN_OPTS'])")
    assert (result.returncode, result.stdout) == (0, "1\n"), result.stderr


def test_a_student_who_turned_onednn_off_keeps_it_off():
    code = (
        "import helpers, tensorflow\n"
        "from tensorflow.python.util import _pywrap_util_port\n"
        "print(_pywrap_util_port.IsMklEnabled())"
    )
    result = run_python(code, TF_ENABLE_ONEDNN_OPTS="0")
    assert (result.returncode, result.stdout) == (0, "False\n"), result.stderr
