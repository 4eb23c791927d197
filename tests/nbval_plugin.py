"""pytest plugin for the notebook runs: stderr never decides whether a cell's output matches.

TensorFlow, oneDNN and Keras write log lines and warnings to stderr that vary between
machines and versions. nbval compares stream outputs by their text, whatever the stream,
so this plugin drops stderr streams from both sides before nbval compares them. An
exception still fails the cell: nbval reports errors before it compares outputs.

Loaded with ``-p tests.nbval_plugin`` (see ``[tool.pytest.ini_options]`` in pyproject.toml).
"""

from __future__ import annotations

import os

from nbval.plugin import IPyNbCell

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

_compare_outputs = IPyNbCell.compare_outputs


def _without_stderr(outputs: list) -> list:
    return [
        out
        for out in outputs
        if not (out.get("output_type") == "stream" and out.get("name") == "stderr")
    ]


def compare_outputs_ignoring_stderr(self, test, ref, skip_compare=None):
    """nbval's comparison, on the outputs minus their stderr streams."""
    return _compare_outputs(self, _without_stderr(test), _without_stderr(ref), skip_compare)


IPyNbCell.compare_outputs = compare_outputs_ignoring_stderr
