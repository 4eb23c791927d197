"""Tests for course_tools.publishing (`python -m course_tools publish`)."""

import json
import shutil
from pathlib import Path

import pytest

from course_tools.publishing import install_spec, main, published_text, read_settings

ROOT = Path(__file__).resolve().parents[1]
OLD, NEW = "https://github.com/mnist-course/mnist-course", "https://github.com/teacher/fork"


def test_the_course_address_changes_and_other_projects_links_stay():
    text = (
        "[badge](https://colab.research.google.com/github/mnist-course/mnist-course/blob/main/x.ipynb) "
        "[keras](https://github.com/keras-team/keras-io/blob/master/mnist.py) "
        '"mnist-course-helpers @ git+https://github.com/mnist-course/mnist-course@v0.0.9\\"'
    )
    out = published_text(text, OLD, NEW, "0.2.0")
    assert "colab.research.google.com/github/teacher/fork/blob/main/x.ipynb" in out
    assert "github.com/keras-team/keras-io/blob/master/mnist.py" in out
    assert 'git+https://github.com/teacher/fork@v0.2.0\\"' in out
    assert published_text(out, NEW, NEW, "0.2.0") == out


def test_a_non_github_address_is_refused():
    with pytest.raises(ValueError, match="not a GitHub address"):
        published_text("", OLD, "https://gitlab.com/only-one-part", "1.0")


def test_committed_notebooks_install_the_package_at_this_version():
    repository, version = read_settings(ROOT / "pyproject.toml")
    spec = install_spec(repository, version)
    for folder in ("notebooks", "solutions", "exercises"):
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            assert spec in path.read_text(encoding="utf-8"), f"{folder}/{path.name}: run publish"


def test_a_fork_publishes_in_one_step(tmp_path, capsys):
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("notebooks", "solutions", "exercises"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    assert main(["--check", "--root", str(tmp_path)]) == 0
    assert main(["--root", str(tmp_path), "--repository", NEW + "/"]) == 0
    assert read_settings(tmp_path / "pyproject.toml")[0] == NEW
    assert main(["--check", "--root", str(tmp_path)]) == 0
    everything = "".join(
        p.read_text(encoding="utf-8") for p in tmp_path.rglob("*") if p.suffix in {".md", ".ipynb"}
    )
    assert "mnist-course/mnist-course" not in everything
    lesson = json.loads((tmp_path / "exercises" / "01_loading_and_exploring.ipynb").read_text())
    assert "teacher/fork" in "".join(lesson["cells"][0]["source"])
