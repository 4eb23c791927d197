"""Tests for course_tools.notebook_cleaning (`python -m course_tools clean`)."""

import json

import nbformat

from course_tools.exercises import notebook_text
from course_tools.notebook_cleaning import (
    clean_notebook,
    main,
    needs_new_id,
    readable_ids,
    render_terminal,
    slug_for,
)

KERAS_PROGRESS = (
    "\r\x1b[1m  1/422\x1b[0m \x1b[37m━━━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m4:30\x1b[0m 643ms/step - loss: 2.3200"
    + "\b" * 78
    + "\r\x1b[1m422/422\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m2s\x1b[0m 4ms/step - loss: 0.3100      \n"
)


def notebook(*cells, **metadata):
    return json.loads(json.dumps(nbformat.v4.new_notebook(cells=list(cells), metadata=metadata)))


def test_a_keras_progress_bar_becomes_its_last_line():
    assert (
        render_terminal(KERAS_PROGRESS)
        == "422/422 ━━━━━━━━━━━━━━━━━━━━ 2s 4ms/step - loss: 0.3100\n"
    )


def test_backspaces_overwrite_and_plain_text_is_untouched():
    assert render_terminal("abc\b\bXY\n") == "aXY\n"
    cell = nbformat.v4.new_code_cell("print(1)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="kept   \n")]
    cleaned = clean_notebook(notebook(cell))
    assert cleaned["cells"][0]["outputs"][0]["text"] == "kept   \n"


def test_stream_fragments_merge_into_one_readable_output():
    cell = nbformat.v4.new_code_cell("model.fit(x, y)")
    halves = KERAS_PROGRESS[:40], KERAS_PROGRESS[40:]
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=half) for half in halves]
    outputs = clean_notebook(notebook(cell))["cells"][0]["outputs"]
    assert len(outputs) == 1 and outputs[0]["text"].startswith("422/422")


def test_volatile_metadata_goes_and_tags_stay():
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata = {
        "tags": ["recipe"],
        "execution": {"iopub.execute_input": "2026-12-01T10:00"},
        "ExecuteTime": {},
        "scrolled": True,
    }
    nb = notebook(
        cell, widgets={"state": {}}, language_info={"name": "python", "version": "3.11.7"}
    )
    cleaned = clean_notebook(nb)
    assert cleaned["cells"][0]["metadata"] == {"tags": ["recipe"]}
    assert "widgets" not in cleaned["metadata"]
    assert cleaned["metadata"]["language_info"] == {"name": "python"}


def test_random_ids_are_renamed_from_content_and_readable_ones_kept():
    cells = [
        nbformat.v4.new_markdown_cell("## Exercise 4.1 · Accuracy"),
        nbformat.v4.new_code_cell("def accuracy(y, p):\n    return 1"),
        nbformat.v4.new_code_cell("check.accuracy(accuracy)"),
        nbformat.v4.new_code_cell("check.accuracy(accuracy)"),
    ]
    cells[0]["id"], cells[1]["id"], cells[2]["id"], cells[3]["id"] = (
        "3afa5faa",
        "my-own-name",
        "a605a999",
        "x",
    )
    assert readable_ids(cells) == ["exercise-4-1-accuracy", "my-own-name", "check-accuracy", "x"]
    cells[3]["id"] = "c14d4be8"
    assert readable_ids(cells)[2:] == ["check-accuracy", "check-accuracy-2"]


def test_id_rules():
    assert (
        needs_new_id("c14d4be8")
        and needs_new_id("3f2504e0-4f89-11d3")
        and needs_new_id("Has Space")
    )
    assert not needs_new_id("check-2-1") and not needs_new_id("setup")
    assert (
        slug_for({"cell_type": "code", "source": "# a comment\nbaseline = build()"}) == "baseline"
    )
    assert slug_for({"cell_type": "markdown", "source": ""}) == "text"


def test_cleaning_twice_changes_nothing():
    cell = nbformat.v4.new_code_cell("fit()")
    cell["id"] = "deadbeef"
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=KERAS_PROGRESS)]
    once = clean_notebook(notebook(cell))
    assert clean_notebook(once) == once


def test_the_command_cleans_then_check_passes(tmp_path, capsys):
    path = tmp_path / "lesson.ipynb"
    cell = nbformat.v4.new_code_cell("x = 1")
    cell["id"], cell.metadata["execution"] = "deadbeef", {"shell.execute_reply": "now"}
    path.write_text(notebook_text(nbformat.from_dict(notebook(cell))), encoding="utf-8")
    assert main(["--check", str(path)]) == 1
    assert "not clean" in capsys.readouterr().out
    assert main([str(path)]) == 0
    assert main(["--check", str(path)]) == 0
    assert json.loads(path.read_text())["cells"][0]["id"] == "x"


def test_the_command_names_what_it_cannot_find(tmp_path, capsys):
    assert main([str(tmp_path / "missing.ipynb")]) == 2
    assert "no such notebook or folder" in capsys.readouterr().err
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json", encoding="utf-8")
    assert main([str(broken)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
