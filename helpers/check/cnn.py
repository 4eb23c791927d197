"""Self-checks for exercise set 05, convolutional networks (exercises 5.1 to 5.5).

5.1 to 5.3 run the student's function on many cases they did not see (several sizes, strides,
matrices, a large case). Each keeps a table of the wrong answers students write, with the hint
each deserves; when no known mistake explains an answer, the hint says what differs. 5.4 inspects
the student's small CNN layer by layer (through nested blocks) and runs it on a few raw images;
5.5 trains it on MNIST with a fixed budget (every epoch of every ``fit`` counts) and scores it on
the test set:

    >>> check.conv_output_size(lambda size, kernel, stride=1, padding="valid": ...)  # doctest: +SKIP
    ✅ Exercise 5.1: Correct: ...
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

import numpy as np

from ..check_results import CheckResult
from ..fast_mode import pick
from ..measured import benchmark_summary
from .errors import describe_error
from .framework import (
    Hint,
    call,
    expect_epochs_within,
    expect_image_classifier,
    run_check,
    train_within_budget,
)
from .mistakes import Mistake, matching_mistake, plural
from .models import activation_name, expect_a_model, expect_raw_pixels_to_fit, leaf_layers

SMALL_CNN_LIMIT = 20_000  # exercises 5.4 and 5.5: the small CNN has fewer parameters
# Notebook 05's course CNN, as the benchmark counted it (a test rebuilds the recipe to compare).
COURSE_CNN_PARAMS = benchmark_summary("cnn")["params"]


def _whole_number(value, what: str, case: str) -> int:
    """``value`` as an int, or a hint when it is not a whole number (floats such as 26.0 included)."""
    if isinstance(value, (bool, np.bool_)):
        raise Hint(f"{case}, you returned {value!r}, a True/False: return {what}, a whole number.")
    if isinstance(value, (numbers.Integral, np.integer)):
        return int(value)
    if isinstance(value, (numbers.Real, np.floating)):
        number = float(value)
        shown = f"{number:g}" if math.isfinite(number) else str(number)
        raise Hint(
            f"{case}, you returned {shown}, a float. {what[0].upper() + what[1:]} is a whole "
            "number: `/` always gives a float in Python (28 / 2 is 14.0), so use integer division "
            "`//`, and int(...) around math.ceil or np.ceil results."
        )
    if value is None:
        raise Hint(f"{case}, your function returned None: did you forget `return`?")
    raise Hint(
        f"{case}, you returned a {type(value).__name__}; return {what}, a single whole number."
    )


def _mistake_over(
    cases: Sequence[tuple], answers: list, mistakes: Sequence[Mistake]
) -> Mistake | None:
    """The first mistake that gives exactly ``answers`` on every one of ``cases``, or None.

    >>> _mistake_over([(1,), (2,)], [2, 3], [Mistake("plus one", lambda x: x + 1, "...")]).name
    'plus one'
    """
    over_cases = [
        Mistake(m.name, lambda cases, m=m: [m.implementation(*case) for case in cases], m.hint)
        for m in mistakes
    ]
    return matching_mistake(answers, over_cases, (list(cases),))


# --- 5.1 ---------------------------------------------------------------------------------------


def reference_conv_output_size(
    size: int, kernel: int, stride: int = 1, padding: str = "valid"
) -> int:
    """Keras's output length along one axis: ``reference_conv_output_size(28, 5) == 24``."""
    if padding == "same":
        return -(-size // stride)
    return (size - kernel) // stride + 1


SizeRule = Callable[[int, int, int], int]


def _with_valid(valid: SizeRule) -> Callable:
    """A conv_output_size whose 'valid' branch is ``valid(size, kernel, stride)``; 'same' is right."""

    def conv_output_size(size, kernel, stride=1, padding="valid"):
        if padding == "same":
            return reference_conv_output_size(size, kernel, stride, "same")
        return valid(size, kernel, stride)

    return conv_output_size


def _with_same(same: SizeRule) -> Callable:
    """A conv_output_size whose 'same' branch is ``same(size, kernel, stride)``; 'valid' is right."""

    def conv_output_size(size, kernel, stride=1, padding="valid"):
        if padding == "same":
            return same(size, kernel, stride)
        return reference_conv_output_size(size, kernel, stride, "valid")

    return conv_output_size


# Each mistake changes one branch: the check compares the student's answers on all the cases of
# one padding with each mistake, so a student with one slip in each branch gets both hints in turn.
CONV_SIZE_MISTAKES: list[Mistake] = [
    Mistake(
        "no plus one",
        _with_valid(lambda size, kernel, stride: (size - kernel) // stride),
        "one too few. The filter fits at positions 0, stride, 2 × stride, ... up to size − "
        "kernel: that is (size − kernel) // stride + 1 positions. Count the first one too.",
    ),
    Mistake(
        "stride ignored",
        _with_valid(lambda size, kernel, stride: size - kernel + 1),
        "that is the size for stride 1. With a larger stride the filter jumps `stride` pixels at "
        "a time: divide the distance it travels by the stride, (size − kernel) // stride + 1.",
    ),
    Mistake(
        "valid rounds up",
        _with_valid(lambda size, kernel, stride: math.ceil((size - kernel) / stride) + 1),
        "your 'valid' size rounds the division up. A position counts only if the whole filter "
        "fits inside the image, so round down, with //: (size − kernel) // stride + 1.",
    ),
    Mistake(
        "divides the count",
        _with_valid(lambda size, kernel, stride: (size - kernel + 1) // stride),
        "divide only the distance the filter travels, (size − kernel), by the stride, then add "
        "the first position: (size − kernel) // stride + 1.",
    ),
    Mistake(
        "valid gives the 'same' size",
        _with_valid(lambda size, kernel, stride: -(-size // stride)),
        "for padding='valid' your function gives ⌈size / stride⌉, what 'same' gives. 'valid' "
        "adds no padding, so the filter must fit inside the image: (size − kernel) // stride + 1.",
    ),
    Mistake(
        "same as valid",
        _with_same(lambda size, kernel, stride: (size - kernel) // stride + 1),
        "for padding='same' your function gives the 'valid' size (check that it recognises "
        "padding == \"same\", in lower case as Keras writes it). 'same' pads the border with zeros "
        "so that the filter visits every stride-th position: the kernel size no longer matters, "
        "and the output is ⌈size / stride⌉.",
    ),
    Mistake(
        "same ignores stride",
        _with_same(lambda size, kernel, stride: size),
        "for padding='same' your function gives the input size: that is right for stride 1 only. "
        "With a larger stride the filter visits every stride-th position, so the output is "
        "⌈size / stride⌉.",
    ),
    Mistake(
        "same rounds down",
        _with_same(lambda size, kernel, stride: size // stride),
        "'same' rounds UP, ⌈size / stride⌉, because a last, partial step still gets an output "
        "(the padding fills it in). Use -(-size // stride) or math.ceil(size / stride).",
    ),
    Mistake(
        "same rounds to nearest",
        _with_same(lambda size, kernel, stride: round(size / stride)),
        "round() goes to the NEAREST whole number (and halves to the even one), but 'same' always "
        "rounds UP: ⌈size / stride⌉. Use -(-size // stride) or math.ceil(size / stride).",
    ),
    Mistake(
        "same adds one",
        _with_same(lambda size, kernel, stride: size // stride + 1),
        "size // stride + 1 rounds up only when the stride does not divide the size; when it "
        "does (28 and 2), it gives one too many. Use -(-size // stride) or math.ceil(size / stride).",
    ),
    Mistake(
        "same pads kernel // 2",
        _with_same(lambda size, kernel, stride: (size + 2 * (kernel // 2) - kernel) // stride + 1),
        "padding kernel // 2 zeros on each side is right for odd kernels only: for an even kernel "
        "Keras pads kernel − 1 zeros in all (one more on one side). Whatever the kernel, 'same' "
        "gives ⌈size / stride⌉.",
    ),
]


def conv_size_cases() -> list[tuple[int, int, int, str]]:
    """(size, kernel, stride, padding) for the 5.1 check: stride 1 first, then strides that do not
    divide evenly, kernels as large as the image, even kernels and large images.

    >>> conv_size_cases()[:2]
    [(28, 3, 1, 'valid'), (28, 5, 1, 'valid')]
    """
    cases = [
        (28, 3, 1, "valid"),
        (28, 5, 1, "valid"),
        (12, 3, 1, "valid"),
        (28, 3, 1, "same"),
        (28, 5, 1, "same"),
        (28, 4, 1, "same"),
        (24, 2, 2, "valid"),  # MaxPooling2D() in the exercise's example
    ]
    rng = np.random.default_rng(51)
    for _ in range(40):
        size = int(rng.integers(7, 41))
        kernel = int(rng.choice([1, 2, 3, 4, 5, 7]))
        stride = int(rng.integers(1, 4))
        cases.append((size, kernel, stride, str(rng.choice(["valid", "same"]))))
    cases += [
        (28, 3, 2, "valid"),
        (27, 3, 2, "valid"),
        (28, 4, 3, "valid"),
        (13, 3, 2, "valid"),
        (5, 5, 1, "valid"),  # the kernel covers the whole image: one position
        (7, 7, 3, "valid"),
        (28, 3, 2, "same"),
        (29, 3, 2, "same"),
        (28, 5, 3, "same"),
        (28, 2, 2, "same"),
        (3, 5, 1, "same"),  # 'same' works even with a kernel larger than the image
        (2, 7, 2, "same"),
        (224, 7, 2, "same"),
        (227, 11, 4, "valid"),
        (1000, 9, 5, "valid"),
        (1001, 6, 4, "same"),
    ]
    return cases


def conv_output_size(function) -> CheckResult:
    """Exercise 5.1: ``conv_output_size(size, kernel, stride=1, padding="valid")``, one axis of a conv's output."""

    def test(function):
        cases = conv_size_cases()
        answers = [_size_answer(function, case) for case in cases]
        _explain_sizes(cases, answers)
        return (
            "Correct: 'valid' gives (size − kernel) // stride + 1, 'same' gives ⌈size / stride⌉, for every "
            "combination the check tried. Keras's model.summary() shapes follow exactly these rules."
        )

    return run_check("5.1", function, test)


def _size_case(size: int, kernel: int, stride: int, padding: str) -> str:
    return f"for size={size}, kernel={kernel}, stride={stride}, padding={padding!r}"


def _size_answer(function, case: tuple[int, int, int, str]) -> int:
    """The student's output size for ``case`` (defaults left out where they apply), as an int."""
    size, kernel, stride, padding = case
    if stride == 1 and padding == "valid":
        answer = call(function, size, kernel)
    else:
        answer = call(function, size, kernel, stride=stride, padding=padding)
    return _whole_number(answer, "the output size", _size_case(*case))


def _explain_sizes(cases: list[tuple], answers: list[int]) -> None:
    """Raise the hint for the first wrong answer: the mistake that explains every answer of that
    padding, else what differs."""
    expected = [reference_conv_output_size(*case) for case in cases]
    wrong = [i for i, (got, right) in enumerate(zip(answers, expected)) if got != right]
    if not wrong:
        return
    first = wrong[0]
    padding = cases[first][3]
    group = [i for i, case in enumerate(cases) if case[3] == padding]
    mistake = _mistake_over(
        [cases[i] for i in group], [answers[i] for i in group], CONV_SIZE_MISTAKES
    )
    start = f"{_size_case(*cases[first])}, you returned {answers[first]}"
    if mistake is not None:
        raise Hint(f"{start} instead of {expected[first]}: {mistake.hint}")
    raise Hint(f"{start}, but Keras's output has {expected[first]} positions there.")


# --- 5.2 ---------------------------------------------------------------------------------------


def reference_conv_params(
    kernel_size: int, in_channels: int, filters: int, bias: bool = True
) -> int:
    """Parameters of ``Conv2D(filters, kernel_size, use_bias=bias)`` on ``in_channels`` channels."""
    return kernel_size * kernel_size * in_channels * filters + (filters if bias else 0)


def _biases(filters: int, bias: bool) -> int:
    return filters if bias else 0


CONV_PARAMS_MISTAKES: list[Mistake] = [
    Mistake(
        "no in_channels",
        lambda k, c, f, bias=True: k * k * f + _biases(f, bias),
        "each filter covers a kernel_size × kernel_size patch of EVERY input channel, so it holds "
        "kernel_size × kernel_size × in_channels weights: multiply by in_channels too.",
    ),
    Mistake(
        "one filter only",
        lambda k, c, f, bias=True: k * k * c + (1 if bias else 0),
        "that is the parameter count of ONE filter. The layer has `filters` of them, each with its "
        "own weights and bias: multiply by filters.",
    ),
    Mistake(
        "bias per weight",
        lambda k, c, f, bias=True: 2 * k * k * c * f if bias else k * k * c * f,
        "that counts one bias per weight. A filter has ONE bias, added to its whole sum: one bias "
        "per filter, `filters` in all.",
    ),
    Mistake(
        "bias per filter and channel",
        lambda k, c, f, bias=True: (k * k + int(bias)) * c * f,
        "that counts one bias per filter AND input channel. A filter sums over all its input "
        "channels and then adds ONE bias: `filters` biases in all.",
    ),
    Mistake(
        "bias per input channel",
        lambda k, c, f, bias=True: k * k * c * f + (c if bias else 0),
        "that counts one bias per INPUT channel; there is one per filter (output channel): "
        "+ filters.",
    ),
    Mistake(
        "one bias in all",
        lambda k, c, f, bias=True: k * k * c * f + int(bias),
        "that adds a single bias for the whole layer (True counts as 1). Every filter has its own "
        "bias: add `filters` when bias is true.",
    ),
    Mistake(
        "bias forgotten",
        lambda k, c, f, bias=True: k * k * c * f,
        "those are the weights alone: with bias=True add one bias per filter, + filters.",
    ),
    Mistake(
        "use_bias=False ignored",
        lambda k, c, f, bias=True: k * k * c * f + f,
        "that counts the biases even with bias=False. With use_bias=False (as in the course CNN "
        "before batch normalization) the layer has no biases at all: weights only.",
    ),
    Mistake(
        "kernel not squared",
        lambda k, c, f, bias=True: k * c * f + _biases(f, bias),
        "a kernel_size of k means a k × k square, k² positions, not k: use "
        "kernel_size * kernel_size (or kernel_size ** 2).",
    ),
    Mistake(
        "kernel doubled",
        lambda k, c, f, bias=True: 2 * k * c * f + _biases(f, bias),
        "a kernel_size of k means a k × k square, k² positions, not 2 × k: use "
        "kernel_size * kernel_size (or kernel_size ** 2).",
    ),
]


def conv_params_cases() -> list[tuple[int, int, int, bool]]:
    """(kernel_size, in_channels, filters, bias): the course CNN's layers, a single filter, RGB
    input, a large layer, then random ones.

    >>> conv_params_cases()[0]
    (3, 1, 32, True)
    """
    cases = [
        (3, 1, 32, True),
        (5, 1, 24, False),
        (3, 24, 32, False),
        (3, 32, 64, True),
        (1, 16, 8, True),
        (3, 1, 1, True),
        (5, 3, 1, False),
        (7, 3, 64, True),
        (3, 512, 1024, True),
    ]
    rng = np.random.default_rng(52)
    for _ in range(12):
        cases.append(
            (
                int(rng.choice([2, 3, 5, 7])),
                int(rng.integers(2, 65)),
                int(rng.integers(2, 129)),
                bool(rng.random() < 0.5),
            )
        )
    return cases


def conv_params(function) -> CheckResult:
    """Exercise 5.2: ``conv_params(kernel_size, in_channels, filters, bias=True)``, a Conv2D layer's parameter count."""

    def test(function):
        cases = conv_params_cases()
        answers = [_params_answer(function, case) for case in cases]
        _explain_params(cases, answers)
        return (
            "Correct: kernel height × width × input channels weights per filter, plus one bias per filter "
            "when there is a bias. It matches Keras's count_params() for every layer the check tried."
        )

    return run_check("5.2", function, test)


def _params_case(k: int, c: int, f: int, bias: bool) -> str:
    return f"for Conv2D({f}, {k}, use_bias={bias}) on {plural(c, 'input channel')}"


def _params_answer(function, case: tuple[int, int, int, bool]) -> int:
    kernel_size, in_channels, filters, bias = case
    if bias:
        answer = call(function, kernel_size, in_channels, filters)
    else:
        answer = call(function, kernel_size, in_channels, filters, bias=False)
    return _whole_number(answer, "the number of parameters", _params_case(*case))


def _explain_params(cases: list[tuple], answers: list[int]) -> None:
    """Raise the hint for the first wrong answer: the mistake that explains every answer, else what differs."""
    expected = [reference_conv_params(*case) for case in cases]
    wrong = [i for i, (got, right) in enumerate(zip(answers, expected)) if got != right]
    if not wrong:
        return
    first = wrong[0]
    k, c, f, bias = cases[first]
    weights = k * k * c * f
    counted = plural(weights, "weight") + (
        f" + {plural(f, 'bias', 'biases')}" if bias else ", no bias"
    )
    start = f"{_params_case(*cases[first])}, you returned {answers[first]:,}"
    mistake = _mistake_over(cases, answers, CONV_PARAMS_MISTAKES)
    if mistake is not None:
        raise Hint(f"{start} instead of {expected[first]:,} ({counted}): {mistake.hint}")
    raise Hint(f"{start}, but Keras counts {expected[first]:,} parameters there: {counted}.")


# --- 5.3 ---------------------------------------------------------------------------------------


def reference_most_confused_pairs(confusion: np.ndarray, count: int = 3) -> list[tuple[int, int]]:
    """The ``count`` largest off-diagonal cells as (true, predicted) pairs, largest first."""
    confusion = np.asarray(confusion)
    off = confusion * (1 - np.eye(len(confusion), dtype=confusion.dtype))
    order = np.argsort(-off, axis=None, kind="stable")[:count]
    return [
        (int(row), int(column)) for row, column in zip(*np.unravel_index(order, confusion.shape))
    ]


def _off_diagonal(confusion) -> np.ndarray:
    mistakes = np.array(confusion, copy=True)
    np.fill_diagonal(mistakes, 0)
    return mistakes


def _cells(flat_positions, shape) -> list[tuple[int, int]]:
    rows, columns = np.unravel_index(flat_positions, shape)
    return [(int(row), int(column)) for row, column in zip(rows, columns)]


def _largest_per_row(confusion, count=3):
    mistakes = _off_diagonal(confusion)
    best = mistakes.argmax(axis=1)
    rows = np.argsort(-mistakes[np.arange(len(mistakes)), best])[:count]
    return [(int(row), int(best[row])) for row in rows]


def _both_directions_added(confusion, count=3):
    both = np.triu(_off_diagonal(confusion) + _off_diagonal(confusion).T)
    return _cells(np.argsort(-both, axis=None)[:count], both.shape)


def _argmax_without_removing(confusion, count=3):
    mistakes = _off_diagonal(confusion)
    return [divmod(int(mistakes.argmax()), len(mistakes)) for _ in range(count)]


PAIRS_MISTAKES: list[Mistake] = [
    Mistake(
        "diagonal included",
        lambda confusion, count=3: _cells(
            np.argsort(-confusion, axis=None)[:count], confusion.shape
        ),
        "your answer contains cells on the diagonal, where true == predicted. The diagonal counts the CORRECT "
        "predictions, so it is always the largest: leave it out (set it to 0 in a copy of the "
        "matrix, or skip the cells where true == predicted).",
    ),
    Mistake(
        "ascending after zeroing the diagonal",
        lambda confusion, count=3: _cells(
            np.argsort(_off_diagonal(confusion), axis=None)[:count], confusion.shape
        ),
        "you returned cells on the diagonal, which you had set to 0: sorting in ASCENDING order "
        "puts those zeros first. Sort in descending order (np.argsort(-counts)), so the largest "
        "mistakes come first.",
    ),
    Mistake(
        "least frequent",
        lambda confusion, count=3: [
            (t, p)
            for t, p in reference_most_confused_pairs(confusion, confusion.size)[::-1]
            if t != p
        ][:count],
        "you returned the LEAST frequent confusions: sort the counts in descending order "
        "(np.argsort(-counts), or sorted(..., reverse=True)).",
    ),
    Mistake(
        "largest last",
        lambda confusion, count=3: reference_most_confused_pairs(confusion, count)[::-1],
        "the right pairs, in reverse order: put the MOST frequent confusion first (np.argsort "
        "sorts in ascending order, so [-count:] gives the largest ones smallest first; sort "
        "-counts instead).",
    ),
    Mistake(
        "(predicted, true)",
        lambda confusion, count=3: [
            (p, t) for t, p in reference_most_confused_pairs(confusion, count)
        ],
        "the right cells, but each pair is (predicted, true). Rows are true digits and columns "
        "predicted ones, confusion[true, predicted]: return (row, column).",
    ),
    Mistake(
        "both directions added",
        _both_directions_added,
        "you added the two directions of each pair, confusion[a, b] + confusion[b, a]. Here each "
        "direction counts on its own: (4, 9) are 4s taken for 9s, (9, 4) 9s taken for 4s, and "
        "either may be among the largest.",
    ),
    Mistake(
        "largest per row",
        _largest_per_row,
        "you kept at most one pair per true digit (each row's largest mistake). The largest cells "
        "can share a row: rank all the off-diagonal cells together (np.argsort on the whole "
        "matrix, axis=None).",
    ),
    Mistake(
        "argmax without removing",
        _argmax_without_removing,
        "you returned the same pair several times: after taking the largest cell, set it to 0 "
        "(or sort all the cells once with np.argsort) so that the next pick finds the next one.",
    ),
    Mistake(
        "count ignored",
        lambda confusion, count=3: reference_most_confused_pairs(confusion, 3),
        "you returned 3 pairs whatever count asks for: return `count` pairs (e.g. [:count]).",
    ),
    Mistake(
        "ten classes assumed",
        lambda confusion, count=3: [
            divmod(int(i), 10) for i in np.argsort(-_off_diagonal(confusion), axis=None)[:count]
        ],
        "you turned positions in the flattened matrix into (row, column) with 10 columns. Don't "
        "assume 10 classes: take the size from the matrix, np.unravel_index(position, "
        "confusion.shape) or divmod(position, len(confusion)).",
    ),
    Mistake(
        "flat positions",
        lambda confusion, count=3: np.argsort(-_off_diagonal(confusion), axis=None)[:count],
        "you returned positions in the flattened matrix (from np.argsort) instead of (true, "
        "predicted) pairs: turn each into a (row, column) pair with np.unravel_index(position, "
        "confusion.shape) or divmod(position, len(confusion)).",
    ),
    Mistake(
        "the counts",
        lambda confusion, count=3: [
            confusion[t, p] for t, p in reference_most_confused_pairs(confusion, count)
        ],
        "you returned the counts of the right cells instead of the cells themselves: return "
        "each cell's (true, predicted) pair, its (row, column).",
    ),
]


def _confusion_like(rng: np.random.Generator, size: int, scale: int) -> np.ndarray:
    """A confusion matrix whose off-diagonal counts are all different (no ties, as the exercise
    promises) and whose diagonal is larger than any of them."""
    off_diagonal = size * size - size
    matrix = np.zeros((size, size), dtype=np.int64)
    matrix[~np.eye(size, dtype=bool)] = rng.permutation(np.arange(1, off_diagonal + 1)) * scale
    matrix[np.eye(size, dtype=bool)] = off_diagonal * scale + rng.integers(1, 1000, size)
    return matrix


def confused_pairs_cases() -> list[tuple[np.ndarray, int, str]]:
    """(confusion, count, description): 10 × 10 matrices first (one with MNIST-sized counts), then
    other sizes, a count that asks for every mistake, and a 100 × 100 matrix of int32 counts.

    In the first matrix the largest cells share a row and are not symmetric, so ranking rows or
    adding both directions of a pair gives other answers.

    >>> [(len(confusion), count) for confusion, count, _ in confused_pairs_cases()]
    [(10, 3), (10, 5), (4, 2), (3, 6), (100, 4)]
    """
    rng = np.random.default_rng(53)
    first = _confusion_like(rng, 10, 2)
    top = first[~np.eye(10, dtype=bool)].max()
    first[4, 9], first[4, 7], first[7, 2] = top + 6, top + 4, top + 2  # row 4 holds two of them
    first[9, 4], first[7, 4], first[2, 7] = 1, 5, 11  # the other directions stay small
    np.fill_diagonal(first, top + 500 + np.arange(10))
    large = _confusion_like(rng, 10, 37)  # counts in the thousands, as on MNIST's training set
    return [
        (first, 3, "for a 10 × 10 matrix"),
        (large, 5, "with count=5"),
        (_confusion_like(rng, 4, 3), 2, "for a 4 × 4 matrix"),
        (_confusion_like(rng, 3, 1), 6, "for a 3 × 3 matrix with count=6 (all its mistakes)"),
        (_confusion_like(rng, 100, 1).astype(np.int32), 4, "for a 100 × 100 matrix"),
    ]


def most_confused_pairs(function) -> CheckResult:
    """Exercise 5.3: ``most_confused_pairs(confusion, count=3)``, the (true, predicted) pairs most often confused."""

    def test(function):
        for confusion, count, case in confused_pairs_cases():
            answer = _pairs_answer(function, confusion, count, case)
            _compare_pairs(answer, confusion, count, case)
        return (
            "Correct: the (true, predicted) pairs with the largest off-diagonal counts, most frequent first, "
            "for any matrix size and count. Try it on the confusion matrix of the lesson's CNN."
        )

    return run_check("5.3", function, test)


def _pairs_answer(function, confusion: np.ndarray, count: int, case: str):
    """The student's answer on a copy of ``confusion``; a hint if it fails or changes the matrix."""
    given = confusion.copy()
    try:
        answer = call(function, given) if count == 3 else call(function, given, count=count)
    except Hint as hint:
        if len(confusion) == 10 or "raised" not in str(hint):
            raise
        raise Hint(
            f"your function works for 10 × 10 matrices but not {case}: {str(hint).rstrip('.')}. "
            "If it assumes 10 classes, take the size from the matrix instead (len(confusion), "
            "confusion.shape)."
        ) from None
    if not np.array_equal(given, confusion):
        changed = tuple(int(i) for i in np.argwhere(given != confusion)[0])
        raise Hint(
            f"{case}, your function changed the matrix it was given (cell {changed} went from "
            f"{confusion[changed]} to {given[changed]}): the caller still needs it. Work on a "
            "copy, mistakes = np.array(confusion, copy=True), before zeroing its diagonal."
        )
    return answer


def _same_pairs(answer, wrong) -> bool:
    try:
        return np.asarray(answer).tolist() == np.asarray(wrong).tolist()
    except Exception:
        return False


def _as_pairs(answer, case: str) -> list[tuple[int, int]]:
    """The answer as a list of (int, int) pairs, or a hint about its shape or type."""
    if answer is None:
        raise Hint(f"{case}, your function returned None: did you forget `return`?")
    try:
        array = np.asarray(answer)
    except Exception:
        array = None
    if array is None or array.dtype == object:
        raise Hint(
            f"{case}, return a list of (true, predicted) pairs such as [(4, 9), (7, 2)], "
            f"not a {type(answer).__name__} of mixed items."
        )
    if array.ndim == 1 and array.size and np.issubdtype(array.dtype, np.number):
        raise Hint(
            f"{case}, you returned single numbers {array.tolist()} instead of (true, predicted) "
            "pairs such as [(4, 9), (7, 2)]."
        )
    if array.ndim == 2 and array.shape[1] == 3:
        raise Hint(
            f"{case}, each item of your answer holds 3 numbers: return just the (true, predicted) "
            "pair, without its count."
        )
    if array.ndim != 2 or array.shape[1] != 2:
        raise Hint(
            f"{case}, return a list of (true, predicted) pairs such as [(4, 9), (7, 2)]; got shape {array.shape}."
        )
    if not (
        np.issubdtype(array.dtype, np.integer)
        or (np.issubdtype(array.dtype, np.floating) and np.all(array == np.round(array)))
    ):
        raise Hint(
            f"{case}, the pairs should hold class numbers (whole numbers), but they hold {array.dtype} values."
        )
    return [(int(a), int(b)) for a, b in array]


def _compare_pairs(answer, confusion: np.ndarray, count: int, case: str) -> None:
    expected = reference_most_confused_pairs(confusion, count)
    if answer is not None and _same_pairs(answer, expected):
        return
    mistake = matching_mistake(answer, PAIRS_MISTAKES, (confusion, count), _same_pairs)
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    pairs = _as_pairs(answer, case)
    if pairs == expected:
        return
    size = len(confusion)
    if len(pairs) != count:
        raise Hint(f"{case}, return exactly count={count} pairs, not {len(pairs)}.")
    if any(not (0 <= a < size and 0 <= b < size) for a, b in pairs):
        raise Hint(
            f"{case}, a pair holds a class that does not exist: classes go from 0 to {size - 1}."
        )
    repeated = next((pair for pair in pairs if pairs.count(pair) > 1), None)
    if repeated is not None:
        raise Hint(f"{case}, your answer lists {repeated} more than once: each pair comes once.")
    diagonal = next(((a, b) for a, b in pairs if a == b), None)
    if diagonal is not None:
        raise Hint(
            f"{case}, your answer contains {diagonal}, a cell on the diagonal. The diagonal counts "
            "the CORRECT predictions: leave it out (set it to 0 in a copy of the matrix, or skip "
            "the cells where true == predicted)."
        )
    position = next(i for i, (got, right) in enumerate(zip(pairs, expected)) if got != right)
    got, right = pairs[position], expected[position]
    raise Hint(
        f"{case}, pair number {position + 1} should be {right} (confused {confusion[right]:,} "
        f"times), but you returned {got} (confused {confusion[got]:,} times). The right answer "
        f"is {expected}."
    )


# --- 5.4 ---------------------------------------------------------------------------------------


def build_small_cnn(function) -> CheckResult:
    """Exercise 5.4: ``build_small_cnn()`` returns a new CNN for raw (28, 28) pixels, 10 softmax
    outputs, fewer than SMALL_CNN_LIMIT parameters; compiled or not, untrained."""

    def test(function):
        model = call(function)
        expect_a_model(model)
        _expect_flattened_maps(model, "your model")
        inspect_small_cnn(model, "your model")
        layers = leaf_layers(model)
        first_convolution = next(i for i, layer in enumerate(layers) if _is_convolution(layer))
        _expect_pixels_rescaled(layers, first_convolution, "your model")
        _expect_maps_left(layers, "your model")
        _expect_probabilities(model, "your model")
        _expect_a_new_model_each_call(function, model)
        params = model.count_params()
        return (
            f"Correct: {params:,} parameters, {params / COURSE_CNN_PARAMS:.0%} of the course CNN's "
            f"{COURSE_CNN_PARAMS:,}; raw pixels in, 10 probabilities out. Now train it (exercise 5.5)."
        )

    return run_check("5.4", function, test)


def _expect_flattened_maps(model, whose: str) -> None:
    """A model for raw images whose output keeps image axes lacks a Flatten before its Dense layer."""
    try:
        input_shape, output_shape = tuple(model.input_shape), tuple(model.output_shape)
    except (AttributeError, ValueError):
        return  # expect_image_classifier explains it
    if input_shape == (None, 28, 28) and len(output_shape) > 2:
        raise Hint(
            f"{whose} outputs shape {output_shape}: one prediction per position of the feature maps, "
            "not one per image, because its Dense layer is applied to every position. Put a "
            "keras.layers.Flatten() (or GlobalAveragePooling2D()) between the last convolution (or "
            "pooling) and the Dense layer."
        )


def _expect_pixels_rescaled(layers: list, first_convolution: int, whose: str) -> None:
    """Rescaling before the first convolution brings the pixels 0-255 to about 0-1 (or -1 to 1)."""
    import keras

    before = [
        layer for layer in layers[:first_convolution] if isinstance(layer, keras.layers.Rescaling)
    ]
    if not before:
        raise Hint(
            f"{whose} should take raw pixels 0-255 and rescale them itself, like the course CNN: "
            "start it with keras.layers.Rescaling(1 / 255) (before or after the Reshape)."
        )
    scale = float(np.prod([np.mean(np.asarray(layer.scale, dtype=float)) for layer in before]))
    if 0.5 <= 255 * scale <= 2.5:
        return
    layers_text = (
        "your Rescaling layer multiplies"
        if len(before) == 1
        else f"your {len(before)} Rescaling layers together multiply"
    )
    raise Hint(
        f"{layers_text} the pixels by {scale:.3g}, so 255 becomes {255 * scale:.3g}: use a single "
        "keras.layers.Rescaling(1 / 255), so that the pixels run from 0 to 1."
    )


def _expect_maps_left(layers: list, whose: str) -> None:
    """No layer may shrink the feature maps to nothing (Keras builds such a model; fit then fails)."""
    previous = (None, 28, 28)
    for layer in layers:
        try:
            shape = tuple(layer.output.shape)
        except Exception:
            continue  # a layer used twice, or never called, has no single output
        if any(size == 0 for size in shape[1:]):
            raise Hint(
                f"the layer {layer.name!r} of {whose} turns maps of shape {previous} into {shape}, "
                "nothing left: too many poolings or 'valid' convolutions shrank the 28 x 28 digits. "
                "Use fewer of them, padding='same', or smaller kernels."
            )
        previous = shape


def _expect_probabilities(model, whose: str) -> None:
    """On a few raw images the model gives one row of 10 probabilities per image."""
    import keras

    raw = np.random.default_rng(54).integers(0, 256, (5, 28, 28)).astype(np.uint8)
    try:
        outputs = keras.ops.convert_to_numpy(model(raw, training=False))
    except Exception as error:
        raise Hint(f"running {whose} on 5 raw images raised {describe_error(error)}") from None
    if outputs.shape != (5, 10):
        raise Hint(
            f"on 5 raw images {whose} gave an output of shape {outputs.shape}; it should give one "
            'row of 10 probabilities per image, (5, 10): end with Dense(10, activation="softmax").'
        )
    if not np.all(np.isfinite(outputs)):
        raise Hint(
            f"on 5 raw images {whose} gave NaN or infinite outputs: check its Rescaling layer and "
            "any custom layer."
        )
    if outputs.min() < 0 or not np.allclose(outputs.sum(axis=1), 1, atol=1e-4):
        raise Hint(
            f"the outputs of {whose} are not probabilities (>= 0, adding up to 1 per image): give "
            'the last Dense layer activation="softmax".'
        )


def _expect_a_new_model_each_call(function, model) -> None:
    """Exercise 5.5 calls the builder to get a fresh model: it must not hand out one shared object."""
    if call(function) is model:
        raise Hint(
            "your function returns the same model object every time it is called: it was built "
            "once, outside the function. Build it inside build_small_cnn(), so that each call gives "
            "a fresh, untrained model."
        )


_CONVOLUTIONS = ("Conv2D", "SeparableConv2D", "DepthwiseConv2D")


def _is_convolution(layer) -> bool:
    return any(cls.__name__ in _CONVOLUTIONS for cls in type(layer).__mro__)


def inspect_small_cnn(model, whose: str = "the model you returned") -> None:
    """Raise a hint unless ``model`` is a CNN for raw (28, 28) images, 10 probabilities out, few
    enough parameters. Nested blocks, the functional API and activation layers (``Conv2D(8, 3),
    ReLU()``) are all fine; ``inspect_small_cnn(model)``."""
    import keras

    if isinstance(model, keras.callbacks.History):
        raise Hint(
            "you returned what model.fit returns, a History (the training curves): return the model itself."
        )
    if isinstance(model, (tuple, list)) and any(isinstance(part, keras.Model) for part in model):
        raise Hint("you returned a tuple or list: return only the trained model.")
    if model is None:
        raise Hint("your function returned None: did you forget `return model`?")
    if not isinstance(model, keras.Model):
        raise Hint(f"expected a trained keras.Model, but got a {type(model).__name__}.")
    channel_tip = (
        " Take the raw images as loaded and let a keras.layers.Reshape((28, 28, 1)) layer inside "
        "the model add the channel axis, like the course CNN."
    )
    expect_image_classifier(
        model,
        whose,
        {(None, 28, 28, 1): channel_tip},
        output_ending='Dense(10, activation="softmax")',
    )
    layers = leaf_layers(model)
    convolutions = [index for index, layer in enumerate(layers) if _is_convolution(layer)]
    if not convolutions:
        raise Hint(
            f"{whose} has no Conv2D layer. This exercise asks for a convolutional network: start with a convolution block."
        )
    _expect_rescaling_before(layers, convolutions[0], whose)
    _expect_softmax_output(layers, whose)
    _expect_few_parameters(model, layers, whose)


def _expect_rescaling_before(layers: list, first_convolution: int, whose: str) -> None:
    """A Rescaling layer, if any, must act on the pixels, before the first convolution."""
    import keras

    rescalings = [i for i, layer in enumerate(layers) if isinstance(layer, keras.layers.Rescaling)]
    after = [i for i in rescalings if i > first_convolution]
    if not after:
        return
    sees_raw = ", which therefore sees raw pixels 0-255" if after == rescalings else ""
    raise Hint(
        f"the Rescaling layer {layers[after[0]].name!r} of {whose} comes after its first "
        f"convolution, {layers[first_convolution].name!r}{sees_raw}. Rescale the pixels once, "
        "before any layer that learns: keras.layers.Rescaling(1 / 255) right after keras.Input "
        "(inside a preprocessing block of its own is fine)."
    )


def _expect_softmax_output(layers: list, whose: str) -> None:
    import keras

    dense = [i for i, layer in enumerate(layers) if isinstance(layer, keras.layers.Dense)]
    if not dense:
        return
    activation = activation_name(layers, dense[-1])
    if activation == "softmax":
        return
    which = "has no activation" if activation == "linear" else f'uses activation "{activation}"'
    raise Hint(
        f"the last Dense layer of {whose}, {layers[dense[-1]].name!r}, {which}, so the model does "
        'not output probabilities: end with Dense(10, activation="softmax") and train with '
        'loss="sparse_categorical_crossentropy" (without from_logits).'
    )


def _expect_few_parameters(model, layers: list, whose: str) -> None:
    import keras

    params = model.count_params()
    if params < SMALL_CNN_LIMIT:
        return
    biggest = max(layers, key=lambda layer: layer.count_params())
    detail = ""
    if isinstance(biggest, keras.layers.Dense):
        detail = (
            f" It is the Dense layer {biggest.name!r}: its input has {int(biggest.kernel.shape[0]):,} values, each "
            f"connected to {plural(biggest.units, 'unit')}. Shrink what reaches it (more pooling, fewer filters in the "
            "last convolution) or the number of units; a Dense(10) straight after Flatten is enough."
        )
    raise Hint(
        f"{whose} has {params:,} parameters; it must stay below {SMALL_CNN_LIMIT:,}. The largest layer, "
        f"{biggest.name!r}, holds {biggest.count_params():,} of them.{detail}"
    )


# --- 5.5 ---------------------------------------------------------------------------------------


def training_budget() -> int:
    """Epochs the 5.5 check gives ``train_small_cnn``: 5, on 6,000 images in fast mode too."""
    return pick(full=5, fast=5)


def accuracy_bar() -> float:
    """Test accuracy the small CNN must reach with that budget."""
    return pick(full=0.99, fast=0.95)


def _accuracy(model, images: np.ndarray, labels: np.ndarray, training: bool = False) -> float:
    import keras

    if not training:
        probabilities = np.asarray(model.predict(images, verbose=0, batch_size=1000))
    else:  # batch statistics instead of batch normalization's running averages
        probabilities = np.concatenate(
            [
                keras.ops.convert_to_numpy(model(images[start : start + 500], training=True))
                for start in range(0, len(images), 500)
            ]
        )
    return float(np.mean(probabilities.argmax(axis=1) == labels))


def train_small_cnn(function) -> CheckResult:
    """Exercise 5.5: ``train_small_cnn(x, y, epochs)`` returns a CNN with < SMALL_CNN_LIMIT parameters, trained on
    x, y for at most ``epochs`` epochs, that reaches :func:`accuracy_bar` on the MNIST test set."""

    def test(function):
        epochs = training_budget()
        model, seconds, train_size, (x_test, y_test), record = train_within_budget(function, epochs)
        inspect_small_cnn(model)
        expect_epochs_within(record, epochs)
        _expect_trained(model, record)
        expect_raw_pixels_to_fit(model, record)
        bar = accuracy_bar()
        score = _accuracy(model, x_test, y_test)
        if score < bar:
            _explain_low_accuracy(model, score, bar, epochs, x_test, y_test)
        params = model.count_params()
        return (
            f"Correct: {score:.2%} test accuracy (the bar: {bar:.1%}) with only {params:,} parameters, "
            f"after {seconds:.0f} s of training on {train_size:,} images. Compare where your parameters sit with the "
            "course CNN's table in the lesson."
        )

    return run_check("5.5", function, test)


def _expect_trained(model, record) -> None:
    import keras

    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and int(keras.ops.convert_to_numpy(optimizer.iterations)) > 0:
        return
    if record.epochs == 0:
        raise Hint(
            "the model you returned has not been trained: your function never called fit. Compile "
            "the model, then call model.fit(x, y, epochs=epochs) before returning it."
        )
    raise Hint(
        f"your function called fit ({plural(record.epochs, 'epoch')} in all), but the model you "
        "returned has not been trained (its optimizer has not taken a single step): it is not the "
        "model that fit trained. Return the same model object you passed to fit (calling "
        "build_small_cnn() again gives a fresh, untrained one)."
    )


def _explain_low_accuracy(
    model, score: float, bar: float, epochs: int, x_test: np.ndarray, y_test: np.ndarray
) -> None:
    import keras

    layers = leaf_layers(model)
    if _accuracy(model, x_test.astype(np.float32) / 255, y_test) > max(score + 0.2, 0.5):
        if any(isinstance(layer, keras.layers.Rescaling) for layer in layers):
            raise Hint(
                "the model does well on pixels divided by 255 but not on raw pixels, although it "
                "has a Rescaling layer: check that it was trained on x as it is, and that the "
                "Rescaling layer is Rescaling(1 / 255)."
            )
        raise Hint(
            "the model does well on pixels divided by 255 but not on raw pixels, and it has no "
            "Rescaling layer. Give it a keras.layers.Rescaling(1 / 255) layer and pass x to fit as it is."
        )
    has_batch_norm = any(isinstance(layer, keras.layers.BatchNormalization) for layer in layers)
    if (
        has_batch_norm
        and _accuracy(model, x_test[:2000], y_test[:2000], training=True) > score + 0.05
    ):
        raise Hint(
            f"the model reaches {score:.2%} on the test set, but much more when batch normalization uses each batch's "
            "own statistics: its running averages, which predictions use, have not caught up after this short "
            "training. Use BatchNormalization(momentum=0.9) so they follow faster, or start the convolutions "
            'from kernel_initializer="he_normal" (closer to the variances the averages start from).'
        )
    if score < 0.2:
        raise Hint(
            f"the model gets only {score:.1%} of the test digits right, about chance, although fit trained "
            "it: watch the loss as it trains (verbose=1); if it does not go down, try Adam with its default "
            "learning rate."
        )
    raise Hint(
        f"the model reached {score:.2%} test accuracy in {plural(epochs, 'epoch')}; the bar is {bar:.1%}. Ideas: batch "
        "normalization after each convolution, Adam with the warm-up + cosine schedule of the lesson, a batch size "
        "of 128 to 256, and the parameters spent on convolution filters rather than on a big Dense layer."
    )
