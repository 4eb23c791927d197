"""The one switch that makes the course quick for CI: ``COURSE_FAST=1``.

Notebooks never branch on it themselves; they ask for the training budget:

    >>> epochs = pick(full=10, fast=1)          # 10 normally, 1 when COURSE_FAST=1
    >>> x_small, y_small = training_subset(x_train, y_train)  # doctest: +SKIP

Everything else (data, model, plots, checks) runs the same in fast mode.
"""

from __future__ import annotations

import os
from typing import TypeVar

import numpy as np

T = TypeVar("T")

FAST_TRAIN_SIZE = 6000
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def is_fast_mode() -> bool:
    """True when the environment variable ``COURSE_FAST`` asks for fast mode.

    >>> os.environ["COURSE_FAST"] = "1"; is_fast_mode()
    True
    """
    value = os.environ.get("COURSE_FAST", "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        f"COURSE_FAST={os.environ['COURSE_FAST']!r} is not understood: "
        "set it to 1 for the quick CI mode, or unset it (or 0) for the full course."
    )


def pick(full: T, fast: T) -> T:
    """Return ``fast`` in fast mode and ``full`` otherwise.

    >>> pick(full=30, fast=2)  # doctest: +SKIP
    30
    """
    return fast if is_fast_mode() else full


def training_subset(
    x: np.ndarray, y: np.ndarray, fast_size: int = FAST_TRAIN_SIZE
) -> tuple[np.ndarray, np.ndarray]:
    """All of ``x, y`` normally; the first ``fast_size`` examples in fast mode.

    >>> x_fit, y_fit = training_subset(x_train, y_train)  # doctest: +SKIP
    """
    if len(x) != len(y):
        raise ValueError(f"x and y differ in length: {len(x)} images but {len(y)} labels.")
    if not is_fast_mode():
        return x, y
    return x[:fast_size], y[:fast_size]
