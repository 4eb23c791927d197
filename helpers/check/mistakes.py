"""Typical mistakes, stated once: a wrong implementation and the hint it deserves.

Each check keeps a table of the wrong answers real students write. The check's diagnosis runs
them on the same inputs as the student's function and gives the hint of the one that matches; the
tests submit every entry as a student's answer and expect its hint. When no known mistake matches,
the check says what differs instead of guessing a cause:

    >>> MISTAKES = [Mistake("argmax", lambda d: d.argmax(axis=1), "use argmin, not argmax.")]
    >>> distances = np.array([[1.0, 2.0], [4.0, 3.0]])
    >>> diagnose(np.array([1, 0]), distances.argmin(axis=1), MISTAKES, (distances,), "the predictions")
    Traceback (most recent call last):
    ...
    helpers.check.framework.Hint: use argmin, not argmax.
    >>> diagnose(np.array([0, 0]), distances.argmin(axis=1), MISTAKES, (distances,), "the predictions")
    Traceback (most recent call last):
    ...
    helpers.check.framework.Hint: the predictions differ from the right answer first at index 1: expected 1, got 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .framework import Hint


@dataclass(frozen=True)
class Mistake:
    """A wrong answer students write: ``implementation`` has the student function's signature."""

    name: str
    implementation: Callable[..., Any]
    hint: str


def same(answer: Any, expected: Any, rtol: float = 1e-5, atol: float = 1e-6) -> bool:
    """Whether two answers agree: same shape, equal values (close, for floats).

    >>> same([1, 2], np.array([1, 2])), same(np.array([0.1]), np.array([0.1 + 1e-9])), same([1], [1, 2])
    (True, True, False)
    """
    try:
        answer, expected = np.asarray(answer), np.asarray(expected)
    except Exception:
        return False
    if answer.shape != expected.shape or answer.dtype == object or expected.dtype == object:
        return False
    if np.issubdtype(answer.dtype, np.floating) or np.issubdtype(expected.dtype, np.floating):
        return bool(np.allclose(answer, expected, rtol=rtol, atol=atol, equal_nan=False))
    return bool(np.array_equal(answer, expected))


def matching_mistake(
    answer: Any,
    mistakes: Sequence[Mistake],
    inputs: tuple,
    agree: Callable[[Any, Any], bool] = same,
) -> Mistake | None:
    """The first mistake whose output on ``inputs`` is the student's ``answer``, or None.

    A mistake that fails on these inputs simply does not match.

        >>> matching_mistake(3, [Mistake("plus one", lambda x: x + 1, "...")], (2,)).name
        'plus one'
    """
    for mistake in mistakes:
        try:
            wrong = mistake.implementation(*[_copy(value) for value in inputs])
        except Exception:
            continue
        if agree(answer, wrong):
            return mistake
    return None


def _copy(value: Any) -> Any:
    return value.copy() if isinstance(value, np.ndarray) else value


def first_difference(expected: Any, got: Any, name: str) -> str:
    """Where ``got`` first differs from ``expected``, as a sentence, without guessing why.

    >>> first_difference(np.array([[1, 2], [3, 4]]), np.array([[1, 2], [3, 5]]), "the counts")
    'the counts differ from the right answer first at index (1, 1): expected 4, got 5.'
    """
    expected, got = np.asarray(expected), np.asarray(got)
    if expected.shape != got.shape:
        return f"{name} should have shape {expected.shape}, but it has shape {got.shape}."
    if np.issubdtype(expected.dtype, np.floating) or np.issubdtype(got.dtype, np.floating):
        differs = ~np.isclose(got.astype(float), expected.astype(float), rtol=1e-5, atol=1e-6)
    else:
        differs = got != expected
    where = np.argwhere(differs)
    if where.size == 0:
        return f"{name} are close to the right answer, but not equal to it (dtype {got.dtype})."
    index = tuple(int(i) for i in where[0])
    shown = index[0] if len(index) == 1 else index
    return (
        f"{name} differ from the right answer first at index {shown}: "
        f"expected {_number(expected[index])}, got {_number(got[index])}."
    )


def _number(value: Any) -> str:
    value = np.asarray(value).item()
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def diagnose(
    answer: Any,
    expected: Any,
    mistakes: Sequence[Mistake],
    inputs: tuple,
    name: str,
    case: str = "",
    agree: Callable[[Any, Any], bool] = same,
) -> None:
    """Raise the hint of the known mistake that gives ``answer``, else say where it differs.

    Call it once the answer is known to be wrong; ``case`` (e.g. "with 4 classes") starts the hint.
    """
    mistake = matching_mistake(answer, mistakes, inputs, agree)
    prefix = f"{case}, " if case else ""
    if mistake is not None:
        raise Hint(prefix + mistake.hint)
    raise Hint(prefix + first_difference(expected, answer, name))


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 bias``, ``2 biases``, ``1,000 examples``: a count with its noun, in the right number.

    >>> plural(1, "bias", "biases"), plural(2, "bias", "biases"), plural(1000, "example")
    ('1 bias', '2 biases', '1,000 examples')
    """
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {word}"
