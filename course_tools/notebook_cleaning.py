"""Keep committed notebooks reviewable: no volatile metadata, readable cell ids, readable progress.

    python -m course_tools clean                  # notebooks/ and solutions/, in place
    python -m course_tools clean --check          # CI: exit 1 and list what is not clean
    python -m course_tools clean notebooks/04_mlp.ipynb

What "clean" means, and why each part:

* No volatile metadata: execution timestamps, view state (``collapsed``, ``scrolled``), widget
  state with per-run model ids and the Python patch version change on every run and bury the real
  change in a diff.
* One cell-id scheme: every cell id is a few lowercase words joined by hyphens (``check-2-1``,
  ``def-build-cnn``), so a diff, a test or the grader can name a cell. Jupyter gives new cells a
  random hex id; cleaning renames exactly those, from the cell's content, and never touches an id
  that already reads as words, so ids stay stable. ``exercises/`` is not cleaned here: the
  exercise generator copies the ids of ``solutions/``.
* Readable progress bars: Keras draws its bar with carriage returns, backspaces and colour codes,
  stored as hundreds of fragments. Cleaning keeps what a terminal would finally show: one line
  per epoch.

    >>> render_terminal("\\r 1/3 \\x1b[1m━\\x1b[0m\\r 3/3 ━━━ done\\n")
    ' 3/3 ━━━ done\\n'
    >>> slug_for({"cell_type": "code", "source": "def build_cnn():\\n    ..."})
    'def-build-cnn'
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import nbformat

from course_tools.exercises import notebook_text

CLEAN_COMMAND = "python -m course_tools clean"
DEFAULT_FOLDERS = ("notebooks", "solutions")
VOLATILE_CELL_METADATA = ("execution", "ExecuteTime", "collapsed", "scrolled", "heading_collapsed")
VOLATILE_NOTEBOOK_METADATA = ("widgets", "signature")
READABLE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
RANDOM_ID = re.compile(r"[0-9a-f]{8}(?:-[0-9a-f]{4}){0,3}(?:-[0-9a-f]{12})?")
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_TERMINAL_CONTROL = re.compile(r"[\r\b\x1b]")
_MAX_WORDS, _MAX_ID_LENGTH = 5, 40


# --- progress bars ---------------------------------------------------------------------------


def render_terminal(text: str) -> str:
    """What a terminal shows for ``text``: colour codes dropped, ``\\r`` and ``\\b`` applied.

    >>> render_terminal("10%\\b\\b\\b50%\\n")
    '50%\\n'
    """
    text = _ANSI_ESCAPE.sub("", text)
    lines = []
    for raw_line in text.split("\n"):
        shown: list[str] = []
        cursor = 0
        for char in raw_line:
            if char == "\r":
                cursor = 0
            elif char == "\b":
                cursor = max(0, cursor - 1)
            else:
                if cursor < len(shown):
                    shown[cursor] = char
                else:
                    shown.append(char)
                cursor += 1
        lines.append("".join(shown).rstrip())
    return "\n".join(lines)


def merged_streams(outputs: list) -> list:
    """``outputs`` with each run of consecutive same-stream texts joined and rendered."""
    merged: list = []
    for output in outputs:
        is_stream = output.get("output_type") == "stream"
        previous = merged[-1] if merged else None
        if (
            is_stream
            and previous is not None
            and previous.get("output_type") == "stream"
            and previous.get("name") == output.get("name")
        ):
            previous["text"] = _text(previous) + _text(output)
        else:
            merged.append(dict(output, text=_text(output)) if is_stream else output)
    for output in merged:
        if output.get("output_type") == "stream" and _TERMINAL_CONTROL.search(output["text"]):
            output["text"] = render_terminal(output["text"])
    return merged


def _text(output) -> str:
    text = output.get("text", "")
    return text if isinstance(text, str) else "".join(text)


# --- cell ids --------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def slug_for(cell) -> str:
    """A readable id from a cell's content: its heading, the function it defines, the check it runs.

    >>> slug_for({"cell_type": "markdown", "source": "## 3. A first model\\nText"})
    '3-a-first-model'
    >>> slug_for({"cell_type": "code", "source": "helpers.check.one_hot(one_hot)"})
    'check-one-hot'
    """
    source = cell.get("source", "")
    source = source if isinstance(source, str) else "".join(source)
    lines = [line.strip() for line in source.splitlines() if line.strip()]
    if cell.get("cell_type") == "markdown":
        headings = [line.lstrip("#") for line in lines if line.startswith("#")]
        words = _words(headings[0] if headings else (lines[0] if lines else "text"))
        return _join(words or ["text"])
    code_lines = [line for line in lines if not line.startswith("#")]
    code = "\n".join(code_lines)
    for pattern, prefix in (
        (r"helpers\.(setup)\(", "run"),
        (r"check\.(\w+)\(", "check"),
        (r"^def (\w+)", "def"),
        (r"^class (\w+)", "class"),
        (r"^([A-Za-z_]\w*)\s*(?:,\s*\w+\s*)*=[^=]", ""),
        (r"(\w+)\(", ""),
    ):
        match = re.search(pattern, code, flags=re.MULTILINE)
        if match:
            return _join(([prefix] if prefix else []) + _words(match.group(1).replace("_", " ")))
    return _join(_words(code_lines[0]) if code_lines else ["code"])


def _join(words: list[str]) -> str:
    return "-".join(words[:_MAX_WORDS])[:_MAX_ID_LENGTH].strip("-") or "cell"


def needs_new_id(cell_id: str | None) -> bool:
    """True for a missing, random (Jupyter's hex) or unreadable id; False for ``"check-2-1"``."""
    return not cell_id or bool(RANDOM_ID.fullmatch(cell_id)) or not READABLE_ID.fullmatch(cell_id)


def readable_ids(cells: list) -> list[str]:
    """New ids for ``cells``: kept where readable, made from the content elsewhere, all unique."""
    taken = {cell.get("id") for cell in cells if not needs_new_id(cell.get("id"))}
    ids = []
    for cell in cells:
        if not needs_new_id(cell.get("id")):
            ids.append(cell["id"])
            continue
        base = slug_for(cell)
        candidate, number = base, 2
        while candidate in taken:
            candidate, number = f"{base}-{number}", number + 1
        taken.add(candidate)
        ids.append(candidate)
    return ids


# --- notebooks -------------------------------------------------------------------------------


def clean_notebook(notebook: dict) -> dict:
    """A copy of ``notebook`` (as JSON data) that is clean; cleaning twice changes nothing."""
    notebook = json.loads(json.dumps(notebook))
    for key in VOLATILE_NOTEBOOK_METADATA:
        notebook.get("metadata", {}).pop(key, None)
    notebook.get("metadata", {}).get("language_info", {}).pop("version", None)
    cells = notebook.get("cells", [])
    for cell, cell_id in zip(cells, readable_ids(cells)):
        cell["id"] = cell_id
        for key in VOLATILE_CELL_METADATA:
            cell.get("metadata", {}).pop(key, None)
        if cell.get("cell_type") == "code":
            cell["outputs"] = merged_streams(cell.get("outputs", []))
    if notebook.get("nbformat") == 4 and notebook.get("nbformat_minor", 0) < 5:
        notebook["nbformat_minor"] = 5  # cell ids need nbformat 4.5
    return notebook


def notebook_paths(paths: list[Path]) -> list[Path]:
    """The ``.ipynb`` files among ``paths``, folders searched one level deep."""
    found = []
    for path in paths:
        found.extend(sorted(path.glob("*.ipynb")) if path.is_dir() else [path])
    return found


def unclean(paths: list[Path]) -> dict[Path, str]:
    """The clean text of every notebook among ``paths`` whose file text differs from it."""
    changes = {}
    for path in notebook_paths(paths):
        text = path.read_text(encoding="utf-8")
        cleaned = notebook_text(nbformat.from_dict(clean_notebook(json.loads(text))))
        if cleaned != text:
            changes[path] = cleaned
    return changes


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status (0 clean, 1 not clean with --check, 2 error)."""
    parser = argparse.ArgumentParser(prog=CLEAN_COMMAND, description=__doc__.split("\n")[0])
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help=f"notebooks or folders (default: {' and '.join(DEFAULT_FOLDERS)} here)",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a notebook is not clean"
    )
    args = parser.parse_args(argv)
    paths = args.paths or [Path(folder) for folder in DEFAULT_FOLDERS]
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        print(
            f"error: no such notebook or folder: {', '.join(missing)}; run this in the course's "
            "folder or name the notebooks.",
            file=sys.stderr,
        )
        return 2
    try:
        changes = unclean(paths)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        print(
            f"error: a notebook is not valid JSON ({error}); nothing was written.", file=sys.stderr
        )
        return 2
    for path, text in changes.items():
        if args.check:
            print(f"not clean: {path}")
        else:
            path.write_text(text, encoding="utf-8")
            print(f"cleaned {path}")
    if args.check and changes:
        print(f"Hint: run {CLEAN_COMMAND}, then `{CLEAN_COMMAND.replace('clean', 'exercises')}`.")
        return 1
    print(f"{len(notebook_paths(paths))} notebooks are clean")
    return 0
