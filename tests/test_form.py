"""The code and the notebooks keep one form: ruff's lint and format (pyproject.toml) are content."""

import subprocess
import sys
from pathlib import Path

import pytest

from course_tools import __main__ as tools

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff_is_content(command):
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, (
        f"ruff {' '.join(command)} failed; fix with `ruff check --fix . && ruff format .`:\n"
        + result.stdout[-3000:]
    )


def test_the_tools_help_is_a_how_to(capsys):
    assert tools.main(["--help"]) == 0
    text = capsys.readouterr().out
    for command in ("exercises", "clean", "publish", "check", "grade"):
        assert f"python -m course_tools {command}" in text


def test_an_unknown_tool_says_which_exist(capsys):
    assert tools.main(["grades"]) == 2
    assert "choose one of exercises, clean, publish, check, grade" in capsys.readouterr().err
