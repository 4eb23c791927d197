"""Finding and reading a class's returned notebooks, whatever their names and whatever they are.

Every entry that looks like a notebook gets a row: ``.ipynb`` in any letter case, names that are
not valid UTF-8, symbolic links (refused: a link can point at a solution or any file on the
machine), special files and unreadable files (refused, with the reason).
"""

from __future__ import annotations

import json
import os
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import nbformat

MAX_NOTEBOOK_BYTES = 64 * 2**20  # far above any honest exercise notebook (a few MB with images)
CHECKPOINTS = ".ipynb_checkpoints"


@dataclass(frozen=True)
class Submission:
    """One entry of the submissions folder: ``Submission(path, "alice/01_data.ipynb")``.

    ``refused`` says why it is not run (a symbolic link, not a regular file), else it is empty.
    """

    path: Path
    name: str  # relative to the submissions folder, printable, one line
    refused: str = ""


def printable(text: str) -> str:
    """``text`` as one printable line: undecodable bytes and control characters become escapes.

    >>> printable("a\\x1b[2Jb\\nc")
    'a\\\\x1b[2Jb\\\\nc'
    >>> printable(os.fsdecode(b"caf\\xe9.ipynb"))
    'caf\\\\xe9.ipynb'
    """
    raw = os.fsencode(text) if any("\udc80" <= ch <= "\udcff" for ch in text) else None
    if raw is not None:
        text = raw.decode("utf-8", errors="backslashreplace")
    return "".join(_escape(ch) for ch in text)


def _escape(ch: str) -> str:
    if unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"}:
        escaped = ch.encode("unicode_escape").decode("ascii")
        return escaped if escaped != ch else f"\\u{ord(ch):04x}"
    return ch


def looks_like_notebook(name: str) -> bool:
    """True for ``*.ipynb`` in any letter case: ``looks_like_notebook("HW1.IPYNB")`` is True."""
    return name.lower().endswith(".ipynb")


def find_submissions(folder: Path) -> list[Submission]:
    """Every notebook-like entry below ``folder`` (not following links), sorted by name.

    Checkpoint folders are skipped; a linked folder is listed, refused, and not entered.
    Call: ``[s.name for s in find_submissions(Path("submissions"))]``.
    """
    folder = Path(folder)
    found: list[Submission] = []
    for directory, subfolders, files in os.walk(folder, followlinks=False):
        here = Path(directory)
        subfolders[:] = sorted(name for name in subfolders if name != CHECKPOINTS)
        for name in list(subfolders):
            if (here / name).is_symlink():
                subfolders.remove(name)
                found.append(_entry(folder, here / name, "a symbolic link to a folder"))
        for name in files:
            if looks_like_notebook(name):
                found.append(_entry(folder, here / name, _why_refused(here / name)))
    return sorted(found, key=lambda submission: submission.name)


def _entry(root: Path, path: Path, refused: str) -> Submission:
    return Submission(path, printable(path.relative_to(root).as_posix()), refused)


def _why_refused(path: Path) -> str:
    try:
        mode = os.lstat(path).st_mode
    except OSError as error:
        return f"cannot be inspected ({error.__class__.__name__})"
    if stat.S_ISLNK(mode):
        return "a symbolic link, not a notebook: submit the notebook file itself"
    if not stat.S_ISREG(mode):
        return "not a regular file"
    return ""


def read_submission(path: Path) -> nbformat.NotebookNode:
    """Read a notebook without following links, raising ValueError with a short reason.

    Call: ``read_submission(Path("alice/01_data.ipynb")).cells``.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        reason = "permission denied" if isinstance(error, PermissionError) else error.strerror
        raise ValueError(f"unreadable file ({reason})") from None
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ValueError("not a regular file")
        raw = handle.read(MAX_NOTEBOOK_BYTES + 1)
    if len(raw) > MAX_NOTEBOOK_BYTES:
        raise ValueError(f"larger than {MAX_NOTEBOOK_BYTES // 2**20} MB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text, so not a notebook") from None
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"invalid JSON ({error})") from None
    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as error:  # nbformat raises many unrelated types for non-notebooks
        raise ValueError(f"not a Jupyter notebook ({first_line(error)})") from None
    if not isinstance(notebook.get("cells"), list):
        raise ValueError("not a Jupyter notebook (no list of cells)")
    return notebook


def first_line(error: BaseException, limit: int = 200) -> str:
    """The first line of an error message, shortened: ``first_line(ValueError("a\\nb"))`` is ``'a'``."""
    lines = str(error).strip().splitlines()
    return lines[0][:limit] if lines else error.__class__.__name__
