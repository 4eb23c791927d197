"""The course's public address, set in one place and written into the notebooks by one command.

``pyproject.toml`` holds it: ``[project.urls] Repository`` (where the course lives) and
``version`` (the tag ``v<version>`` that the Colab setup cells install ``helpers`` from, so a
notebook saved today still gets the checks it was written for next term)::

    python -m course_tools publish                                   # write them everywhere
    python -m course_tools publish --repository https://github.com/me/my-fork
    python -m course_tools publish --check                           # CI: exit 1 if anything differs

A fork publishes in one step: ``publish --repository <its address>``, then commit, then tag
``v<version>`` and push the tag (the setup cells install from it).

    >>> install_spec("https://github.com/me/fork", "0.2.0")
    'mnist-course-helpers @ git+https://github.com/me/fork@v0.2.0'
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from course_tools import exercises

PUBLISH_COMMAND = "python -m course_tools publish"
PACKAGE = "mnist-course-helpers"
_GITHUB = re.compile(r"https://github\.com/(?P<path>[\w.-]+/[\w.-]+?)(?:\.git)?/?$")
_INSTALL_SPEC = re.compile(
    re.escape(PACKAGE) + r" @ git\+https://github\.com/[\w.-]+/[\w.-]+?(?:@[\w./-]+)?(?=\\?\")"
)


def install_spec(repository: str, version: str) -> str:
    """What the Colab setup cell pip-installs: the student package at this version's tag."""
    return f"{PACKAGE} @ git+{repository}@v{version}"


def read_settings(pyproject: Path) -> tuple[str, str]:
    """``(repository, version)`` from ``pyproject.toml``, e.g. ``("https://github.com/o/n", "0.1.0")``."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    return project["urls"]["Repository"].rstrip("/"), project["version"]


def _github_path(repository: str) -> str:
    match = _GITHUB.match(repository)
    if not match:
        raise ValueError(
            f"{repository!r} is not a GitHub address like https://github.com/OWNER/NAME"
        )
    return match.group("path")


def published_text(text: str, old_repository: str, repository: str, version: str) -> str:
    """``text`` with the old address replaced and every setup cell's install spec up to date.

    >>> published_text('x "mnist-course-helpers @ git+https://github.com/a/b"', "https://github.com/a/b",
    ...                "https://github.com/c/d", "1.0")
    'x "mnist-course-helpers @ git+https://github.com/c/d@v1.0"'
    """
    old_path, new_path = _github_path(old_repository), _github_path(repository)
    for prefix in ("https://colab.research.google.com/github/", "https://github.com/"):
        text = text.replace(prefix + old_path + "/", prefix + new_path + "/")
    return _INSTALL_SPEC.sub(install_spec(repository, version), text)


def published_files(root: Path) -> list[Path]:
    """The files that carry the address: the README and the lesson and solution notebooks."""
    return [
        root / "README.md",
        *sorted((root / "notebooks").glob("*.ipynb")),
        *sorted((root / "solutions").glob("*.ipynb")),
    ]


def _format(paths: list[Path]) -> None:
    """Let ruff re-wrap the lines a longer address made too long, so ``check`` stays green."""
    notebooks = [str(path) for path in paths if path.suffix == ".ipynb"]
    if notebooks:
        command = [sys.executable, "-m", "ruff", "format", "--quiet", *notebooks]
        if subprocess.run(command, check=False).returncode != 0:
            print("note: could not run `ruff format` on them; run it before committing.")


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns 0 (published / up to date), 1 (--check: out of date), 2 (error)."""
    parser = argparse.ArgumentParser(prog=PUBLISH_COMMAND, description=__doc__.split("\n")[0])
    parser.add_argument("--repository", help="the course's GitHub address, saved in pyproject.toml")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if out of date")
    parser.add_argument(
        "--root", type=Path, default=Path("."), help="the course's folder (default: here)"
    )
    args = parser.parse_args(argv)
    pyproject = args.root / "pyproject.toml"
    try:
        old_repository, version = read_settings(pyproject)
        repository = (args.repository or old_repository).rstrip("/")
        _github_path(repository)
    except (OSError, KeyError, ValueError, tomllib.TOMLDecodeError) as error:
        print(f"error: cannot read the address from {pyproject}: {error}", file=sys.stderr)
        return 2
    changed = []
    for path in published_files(args.root):
        text = path.read_text(encoding="utf-8")
        new_text = published_text(text, old_repository, repository, version)
        if new_text != text:
            changed.append(path)
            if not args.check:
                path.write_text(new_text, encoding="utf-8")
    if args.check:
        for path in changed:
            print(f"out of date: {path}")
        if changed:
            print(f"Hint: run {PUBLISH_COMMAND}")
        return 1 if changed else 0
    if repository != old_repository:
        settings = pyproject.read_text(encoding="utf-8")
        pyproject.write_text(settings.replace(old_repository, repository), encoding="utf-8")
    for path in changed:
        print(f"wrote {path}")
    _format(changed)
    status = exercises.main(
        ["--solutions", str(args.root / "solutions"), "--exercises", str(args.root / "exercises")]
    )
    print(f"published {repository}, setup cells install {install_spec(repository, version)}")
    return status
