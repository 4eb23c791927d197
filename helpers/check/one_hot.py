"""Self-checks for exercise set 03, one-hot encoding (exercises 3.1 to 3.4).

Each check states the wrong answers students typically write ONCE, as a table of ``Mistake``s:
the check gives the hint of the entry that reproduces the student's answer, and otherwise says
what differs (first differing element, expected vs got) without guessing a cause.

>>> check.one_hot(lambda labels, num_classes=10: np.eye(num_classes)[labels])  # doctest: +SKIP
✅ Exercise 3.1: Correct: ...
"""

from __future__ import annotations

import numpy as np

from ..check_results import CheckResult
from . import loading
from .framework import Hint, as_array, call, expect_shape, run_check
from .mistakes import Mistake, matching_mistake, plural, same

EPSILON = 1e-7  # keras.config.epsilon(): how far Keras keeps probabilities from 0 and 1


def _numeric_array(answer, name: str) -> np.ndarray:
    """The answer as an array of numbers (bool counts as 0 and 1), or a hint."""
    array = as_array(answer, name)
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise Hint(f"{name} should hold numbers, but it holds {array.dtype} values.")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise Hint(f"{name} should hold real numbers, but it holds complex ones.")
    return array


# --- 3.1 ---------------------------------------------------------------------------------------

SETS_ONE_CELL_PER_ROW = "set one cell per row instead: rows[np.arange(len(labels)), labels] = 1."


def _one_hot_whole_rows(labels, num_classes=10):
    rows = np.zeros((len(labels), num_classes))
    rows[labels] = 1
    return rows


def _one_hot_whole_columns(labels, num_classes=10):
    rows = np.zeros((len(labels), num_classes))
    rows[:, labels] = 1
    return rows


ONE_HOT_MISTAKES: list[Mistake] = [
    Mistake(
        "labels-back",
        lambda labels, num_classes=10: np.asarray(labels),
        "you returned the labels themselves, one number per label. One-hot needs a whole row "
        "per label: shape (N, num_classes), all 0 except a 1 in the label's column.",
    ),
    Mistake(
        "fixed-ten",
        lambda labels, num_classes=10: np.eye(10)[labels],
        "your rows have 10 columns whatever num_classes is: use the num_classes argument "
        "instead of a fixed 10.",
    ),
    Mistake(
        "width-from-largest-label",
        lambda labels, num_classes=10: np.eye(np.max(labels) + 1)[labels],
        "your rows have one column per class up to the largest label present, not "
        "num_classes columns. A class absent from these labels still needs its column: use "
        "num_classes for the width.",
    ),
    Mistake(
        "width-from-unique",
        lambda labels, num_classes=10: (
            np.asarray(labels)[:, None] == np.unique(labels)[None, :]
        ).astype(float),
        "your rows have one column per label value that appears (np.unique), not num_classes "
        "columns, so a missing class shifts the columns after it. Every class needs its own "
        "column, present or not: use np.arange(num_classes).",
    ),
    Mistake(
        "transposed",
        lambda labels, num_classes=10: np.eye(num_classes)[labels].T,
        "your array is transposed: one COLUMN per label, shape (num_classes, N). One-hot needs "
        "one ROW per label, shape (N, num_classes), e.g. np.eye(num_classes)[labels].",
    ),
    Mistake(
        "one-column-left",
        lambda labels, num_classes=10: np.eye(num_classes)[np.asarray(labels, dtype=int) - 1],
        "each 1 sits one column to the left (label 0 wraps round to the last column): the row "
        "for label k needs its 1 in column k, counting from 0.",
    ),
    Mistake(
        "one-column-right",
        lambda labels, num_classes=10: np.eye(num_classes)[
            (np.asarray(labels, dtype=int) + 1) % num_classes
        ],
        "each 1 sits one column to the right: the row for label k needs its 1 in column k, "
        "counting from 0 (column 0 is label 0).",
    ),
    Mistake(
        "whole-rows",
        _one_hot_whole_rows,
        "`rows[labels] = 1` sets whole rows (the rows numbered by the label values) to 1; "
        + SETS_ONE_CELL_PER_ROW,
    ),
    Mistake(
        "whole-columns",
        _one_hot_whole_columns,
        "`rows[:, labels] = 1` sets whole columns, so every row gets a 1 in the column of every "
        "label present; " + SETS_ONE_CELL_PER_ROW,
    ),
    Mistake(
        "first-row-only",
        lambda labels, num_classes=10: np.eye(num_classes)[labels[0]],
        "you returned a single row, the one-hot row of the first label only (does a `return` "
        "sit inside your loop?): build the rows of all the labels, then return them together, "
        "shape (N, num_classes).",
    ),
    Mistake(
        "last-row-only",
        lambda labels, num_classes=10: np.eye(num_classes)[labels[-1]],
        "you returned a single row, the one-hot row of the last label only: keep every row "
        "(append each to a list, or fill row i of a zeros array), shape (N, num_classes).",
    ),
]


def one_hot_cases() -> list[tuple[np.ndarray, dict, int, str]]:
    """The cases 3.1 tries: (labels, keyword arguments, num_classes, what the case is).

    >>> [case for *_, case in one_hot_cases()][1]
    'with num_classes=3'
    """
    rng = np.random.default_rng(31)
    every_class = rng.permutation(np.arange(43) % 10)
    three = rng.permutation(np.arange(29) % 3)
    # MNIST's labels are uint8; here 4, 8 and 9 never appear, and there are more rows than 255.
    gappy = rng.choice(np.array([0, 1, 2, 3, 5, 6, 7]), 300).astype(np.uint8)
    many = rng.permutation(np.arange(52) % 13)
    return [
        (every_class, {}, 10, "with the default num_classes"),
        (three, {"num_classes": 3}, 3, "with num_classes=3"),
        (gappy, {"num_classes": 10}, 10, "for 300 uint8 labels without any 4, 8 or 9"),
        (many, {"num_classes": 13}, 13, "with num_classes=13"),
    ]


def one_hot(function) -> CheckResult:
    """Exercise 3.1: ``one_hot(labels, num_classes=10)`` returns an (N, num_classes) array of 0s and a 1 per row."""

    def test(function):
        for labels, keywords, num_classes, case in one_hot_cases():
            answer = call(function, labels.copy(), **keywords)
            _compare_one_hot(answer, labels, num_classes, case)
        return "Correct: one row per label, num_classes columns, a single 1 in column labels[i]."

    return run_check("3.1", function, test)


def _compare_one_hot(answer, labels: np.ndarray, num_classes: int, case: str) -> None:
    encoded = _numeric_array(answer, "the one-hot array")
    if same(encoded, np.eye(num_classes)[labels]):
        return
    mistake = matching_mistake(encoded, ONE_HOT_MISTAKES, (labels, num_classes))
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    _describe_one_hot_difference(encoded, labels.astype(np.int64), num_classes, case)


def _describe_one_hot_difference(
    encoded: np.ndarray, labels: np.ndarray, num_classes: int, case: str
) -> None:
    """Raise a hint saying what differs from the right one-hot array (no known mistake matched)."""
    count = len(labels)
    if encoded.shape == (count,):
        raise Hint(
            f"{case}, you returned shape {encoded.shape}, one number per label. One-hot needs a "
            "whole row per label: shape (N, num_classes), all 0 except a 1 in the label's column."
        )
    if encoded.ndim == 2 and len(encoded) == count and encoded.shape[1] != num_classes:
        raise Hint(
            f"{case}, your rows have {plural(encoded.shape[1], 'column')} instead of "
            f"num_classes={num_classes}."
        )
    expect_shape(encoded, (count, num_classes), f"{case}, the one-hot array")
    values = encoded.astype(np.float64)
    if not np.isin(values, (0, 1)).all():
        others = np.unique(values[~np.isin(values, (0, 1))])[:3]
        raise Hint(
            f"{case}, the one-hot array should hold only 0s and 1s, but it also holds "
            f"{', '.join(f'{value:g}' for value in others)}."
        )
    ones_per_row = values.sum(axis=1).astype(int)
    if np.any(ones_per_row != 1):
        row = int(np.flatnonzero(ones_per_row != 1)[0])
        raise Hint(
            f"{case}, row {row} (label {labels[row]}) holds "
            f"{plural(int(ones_per_row[row]), 'one')}: each row needs exactly one 1, in the "
            "label's column."
        )
    columns = values.argmax(axis=1)
    row = int(np.flatnonzero(columns != labels)[0])
    raise Hint(
        f"{case}, label {labels[row]} (row {row}) has its 1 in column {columns[row]} instead of "
        f"column {labels[row]}."
    )


# --- 3.2 ---------------------------------------------------------------------------------------

FROM_ONE_HOT_MISTAKES: list[Mistake] = [
    Mistake(
        "rows-back",
        lambda rows: rows,
        "you returned the one-hot rows themselves: return one label per row, the column that "
        "holds its 1.",
    ),
    Mistake(
        "axis-0",
        lambda rows: rows.argmax(axis=0),
        "you took argmax over axis 0, which looks down each column (one number per class). "
        "Use axis=1 to look along each row.",
    ),
    Mistake(
        "no-axis",
        lambda rows: rows.argmax(),
        "you returned one number, the label of the first row only: return one label per row, "
        "shape (N,). (argmax without an axis treats the whole array as one flat list: give it "
        "axis=1.)",
    ),
    Mistake(
        "value-not-position",
        lambda rows: rows.max(axis=1),
        "every label you returned is 1: that is the VALUE in each row (its max, or its sum), "
        "not where it sits. The label is the column of the 1: argmax(axis=1).",
    ),
    Mistake(
        "argmin",
        lambda rows: rows.argmin(axis=1),
        "you returned the column of each row's smallest value, a 0: use argmax, the column of "
        "the 1.",
    ),
    Mistake(
        "plus-one",
        lambda rows: rows.argmax(axis=1) + 1,
        "every label you returned is 1 too high: columns count from 0, and so do the labels "
        "(column 0 holds label 0).",
    ),
    Mistake(
        "nonzero-both",
        lambda rows: np.nonzero(rows),
        "you returned both arrays np.nonzero gives, the row numbers and the column numbers: "
        "the labels are the column numbers alone, np.nonzero(rows)[1].",
    ),
    Mistake(
        "nonzero-rows",
        lambda rows: np.nonzero(rows)[0],
        "you returned the row numbers 0, 1, 2, ... (np.nonzero(rows)[0]), not the columns that "
        "hold the 1s: those are np.nonzero(rows)[1].",
    ),
]


def from_one_hot_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """The cases 3.2 tries: (one-hot rows, their labels), in float32, int and uint8.

    One case is square, so answers that look along the wrong axis still have the right shape.

    >>> [rows.shape for rows, _ in from_one_hot_cases()]
    [(37, 10), (11, 4), (7, 7)]
    """
    rng = np.random.default_rng(32)
    cases = []
    for count, num_classes, dtype in ((37, 10, np.float32), (11, 4, np.int64), (7, 7, np.uint8)):
        labels = rng.permutation(np.arange(count) % num_classes)
        cases.append((np.eye(num_classes, dtype=dtype)[labels], labels))
    return cases


def from_one_hot(function) -> CheckResult:
    """Exercise 3.2: ``from_one_hot(rows)`` turns one-hot rows back into integer labels."""

    def test(function):
        for rows, labels in from_one_hot_cases():
            _compare_labels(call(function, rows.copy()), rows, labels)
        return (
            "Correct: labels back from one-hot rows. The same argmax(axis=1) turns a model's "
            "predicted probabilities into predicted digits."
        )

    return run_check("3.2", function, test)


def _compare_labels(answer, rows: np.ndarray, labels: np.ndarray) -> None:
    count, num_classes = rows.shape
    case = f"for {count} one-hot rows ({num_classes} classes, {rows.dtype})"
    decoded = _numeric_array(answer, "the labels")
    if same(decoded, labels):
        return
    mistake = matching_mistake(decoded, FROM_ONE_HOT_MISTAKES, (rows,))
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    if decoded.ndim == 0:
        raise Hint(f"{case}, you returned one number: return one label per row, shape ({count},).")
    expect_shape(decoded, (count,), f"{case}, the labels (one per row)")
    row = int(np.flatnonzero(~np.isclose(decoded.astype(np.float64), labels))[0])
    raise Hint(
        f"{case}, row {row} has its 1 in column {labels[row]}, but you returned "
        f"{decoded[row]:g} for it."
    )


# --- 3.3 ---------------------------------------------------------------------------------------

MIXES_IMAGES = (
    "reshape keeps the values in memory order, so after reordering the axes (.T, transpose, "
    "moveaxis) it mixes pixels of different images. Reshape x_train itself, as it is: "
    "x_train.reshape(-1, 28, 28, 1), or x_train[..., np.newaxis]."
)

# Each entry builds a wrong x_train_cnn from x_train (the answer is an array, not a function).
X_TRAIN_CNN_MISTAKES: list[Mistake] = [
    Mistake(
        "transposed-images",
        lambda x_train: x_train.transpose(0, 2, 1)[..., np.newaxis],
        "every image is transposed (its rows and columns swapped): np.transpose, .T or swapaxes "
        "move pixels. Only add an axis: x_train.reshape(-1, 28, 28, 1) or x_train[..., np.newaxis].",
    ),
    Mistake(
        "reshape-of-T",
        lambda x_train: x_train.T.reshape(-1, 28, 28, 1),
        "the shape is right but the pixels are scrambled: you reshaped x_train.T, shape "
        "(28, 28, N). " + MIXES_IMAGES,
    ),
    Mistake(
        "reshape-of-moveaxis",
        lambda x_train: np.moveaxis(x_train, 0, -1).reshape(-1, 28, 28, 1),
        "the shape is right but the pixels are scrambled: you reshaped x_train with the image "
        "axis moved last, shape (28, 28, N). " + MIXES_IMAGES,
    ),
    Mistake(
        "whole-number-division",
        lambda x_train: (x_train // 255)[..., np.newaxis],
        "the pixels hold only 0s and 1s: the division by 255 was rounded down to whole numbers "
        "(`//`, or turning the result into integers). Divide with `/` and keep the floats, or "
        "simply keep the raw pixels: both pass.",
    ),
]


def x_train_cnn(answer) -> CheckResult:
    """Exercise 3.3: the training images with a channel axis, shape (60000, 28, 28, 1).

    Raw pixels pass, and so do pixels scaled the same way everywhere (x / 255, standardized).
    """

    def test(answer):
        x_train = loading.mnist_training_images()
        x = _numeric_array(answer, "x_train_cnn")
        _expect_channels_last(x, x_train.shape)
        if np.array_equal(x[..., 0], x_train):
            return (
                f"Correct: shape {x.shape}, every pixel where it was, one grey channel per image."
            )
        if np.issubdtype(x.dtype, np.floating) and not np.isfinite(x).all():
            raise Hint("x_train_cnn holds nan or infinite values: keep the pixels as they were.")
        scale = _pixel_scale(x, x_train)
        if _same_pixels(x, x_train[..., np.newaxis], scale):
            slope, offset = scale
            if np.isclose(slope * 255, 1, rtol=1e-3) and abs(offset) < 1e-6:
                return f"Correct: shape {x.shape}, scaled to [0, 1] (fine too), one grey channel per image."
            return (
                f"Correct: shape {x.shape}, every pixel where it was (scaled, which is fine too), "
                "one grey channel per image."
            )

        def agree(answer, wrong):
            return _same_pixels(answer, wrong, scale) or _same_pixels(answer, wrong, (1.0, 0.0))

        mistake = matching_mistake(x, X_TRAIN_CNN_MISTAKES, (x_train,), agree)
        if mistake is not None:
            raise Hint(mistake.hint)
        raise Hint(_first_moved_pixel(x, x_train, scale))

    return run_check("3.3", answer, test)


def _expect_channels_last(x: np.ndarray, images_shape: tuple) -> None:
    """Raise a hint unless ``x`` has the shape of the images plus a last axis of length 1."""
    count, height, width = images_shape
    wanted = (count, height, width, 1)
    if x.shape == wanted:
        return
    if x.shape == (count, 1, height, width):
        raise Hint(
            f"x_train_cnn has shape {x.shape}: that is channels-first. Keras's Conv2D expects "
            f"channels LAST, shape {wanted}."
        )
    if x.shape == (count, height * width):
        raise Hint(
            f"x_train_cnn has shape {x.shape}: flat rows lose the 2-D layout a CNN needs. Use {wanted}."
        )
    if x.shape == images_shape:
        raise Hint(
            f"x_train_cnn still has shape {x.shape}: add a channel axis of size 1 at the end, {wanted}."
        )
    if x.ndim == 4 and x.shape[1:] == (height, width, 1):
        raise Hint(
            f"x_train_cnn holds {plural(len(x), 'image')}; keep all {count:,} training images."
        )
    if x.ndim == 4 and x.shape[:3] == images_shape:
        raise Hint(
            f"x_train_cnn has {plural(x.shape[3], 'channel')} per pixel: a grey image has one, "
            f"shape {wanted}."
        )
    if x.ndim == 4 and 1 in x.shape and tuple(n for n in x.shape if n != 1) == images_shape:
        position = x.shape.index(1)
        raise Hint(
            f"x_train_cnn has shape {x.shape}: the new axis of size 1 sits at position "
            f"{position}, but the channel axis goes last (axis=-1), shape {wanted}."
        )
    expect_shape(x, wanted, "x_train_cnn")


def _pixel_scale(x: np.ndarray, x_train: np.ndarray) -> tuple[float, float]:
    """(slope, offset) with ``x ≈ slope * x_train + offset``, guessed from the smallest and largest values.

    >>> _pixel_scale(np.array([0.0, 0.5, 1.0]), np.array([0, 100, 255]))
    (0.00392156862745098, 0.0)
    """
    low, high = float(x.min()), float(x.max())
    raw_low, raw_high = float(x_train.min()), float(x_train.max())
    if high <= low or raw_high <= raw_low:
        return 1.0, 0.0
    slope = (high - low) / (raw_high - raw_low)
    return slope, low - slope * raw_low


CHUNK = 4096  # images compared at a time, to keep temporaries small on 60,000 images


def _same_pixels(x: np.ndarray, images: np.ndarray, scale: tuple[float, float]) -> bool:
    """Whether ``x`` is ``images`` mapped by ``slope * pixel + offset``, within a third of a grey level."""
    images = np.asarray(images)
    if x.shape != images.shape or scale[0] <= 0:
        return False
    return _first_difference_index(x, images, scale) is None


def _first_difference_index(
    x: np.ndarray, images: np.ndarray, scale: tuple[float, float]
) -> tuple | None:
    slope, offset = scale
    tolerance = slope / 3
    for start in range(0, len(x), CHUNK):
        got = x[start : start + CHUNK].astype(np.float64)
        wanted = images[start : start + CHUNK].astype(np.float64) * slope + offset
        differs = ~(np.abs(got - wanted) <= tolerance)
        if differs.any():
            index = np.unravel_index(int(np.argmax(differs)), differs.shape)
            return (start + int(index[0]), *(int(i) for i in index[1:]))
    return None


def _first_moved_pixel(x: np.ndarray, x_train: np.ndarray, scale: tuple[float, float]) -> str:
    """Where ``x`` first differs from x_train (scaled the way the rest of ``x`` is), as a sentence."""
    image, row, column, _ = _first_difference_index(x, x_train[..., np.newaxis], scale)
    got, raw = float(x[image, row, column, 0]), int(x_train[image, row, column])
    slope, offset = scale
    scaled = ""
    if (slope, offset) != (1.0, 0.0):
        scaled = (
            f", which the scaling of the rest of your array (× {slope:.6g} + {offset:.6g}) "
            f"turns into {slope * raw + offset:.6g}"
        )
    return (
        f"the shape is right, but x_train_cnn[{image}, {row}, {column}, 0] is {got:.6g} while "
        f"x_train[{image}, {row}, {column}] is {raw}{scaled}. Every pixel should stay where it "
        "was, with its value: only add the axis (x_train.reshape(-1, 28, 28, 1) or "
        "x_train[..., np.newaxis])."
    )


# --- 3.4 ---------------------------------------------------------------------------------------


def _clipped(probabilities, epsilon=EPSILON):
    return np.clip(probabilities, epsilon, 1 - epsilon)


def _loss_per_example(targets, probabilities, log=np.log, epsilon=EPSILON):
    return -np.sum(targets * log(_clipped(probabilities, epsilon)), axis=1)


CLIPS_LIKE_KERAS = (
    "Keras clips every probability into [1e-7, 1 - 1e-7] first, "
    "np.clip(probabilities, 1e-7, 1 - 1e-7), so log(0) becomes log(1e-7) = -16.118"
)

CROSS_ENTROPY_MISTAKES: list[Mistake] = [
    Mistake(
        "no-minus",
        lambda t, p: -np.mean(_loss_per_example(t, p)),
        "your loss is negative: the log of a probability is <= 0, so cross-entropy has a minus "
        "sign in front, -sum(targets * log(p)).",
    ),
    Mistake(
        "sum-over-examples",
        lambda t, p: np.sum(_loss_per_example(t, p)),
        "your loss is the SUM over the examples: Keras reports their mean.",
    ),
    Mistake(
        "mean-over-classes-too",
        lambda t, p: -np.mean(t * np.log(_clipped(p))),
        "you averaged over every entry of the (N, K) array, classes too: sum over the classes "
        "(axis=1), then average over the examples.",
    ),
    Mistake(
        "axis-0",
        lambda t, p: np.mean(-np.sum(t * np.log(_clipped(p)), axis=0)),
        "you summed over the examples (axis=0) and averaged over the classes: sum over the "
        "classes (axis=1), then average over the examples.",
    ),
    Mistake(
        "log10",
        lambda t, p: np.mean(_loss_per_example(t, p, np.log10)),
        "you used log10: cross-entropy uses the natural logarithm, np.log.",
    ),
    Mistake(
        "log2",
        lambda t, p: np.mean(_loss_per_example(t, p, np.log2)),
        "you used log2 (bits): Keras's cross-entropy uses the natural logarithm, np.log.",
    ),
    Mistake(
        "no-targets",
        lambda t, p: -np.mean(np.sum(np.log(_clipped(p)), axis=1)),
        "your loss adds up the log of EVERY probability, not only the true class's: multiply "
        "by the one-hot targets before summing, -sum(targets * log(p)).",
    ),
    Mistake(
        "swapped-arguments",
        lambda t, p: np.mean(_loss_per_example(p, t)),
        "your loss takes the log of the targets and weighs it by the probabilities: the "
        "arguments come in the order (targets, probabilities), and the log goes on the "
        "probabilities.",
    ),
    Mistake(
        "binary-formula",
        lambda t, p: (
            -np.mean(np.sum(t * np.log(_clipped(p)) + (1 - t) * np.log(1 - _clipped(p)), axis=1))
        ),
        "you added the (1 - t) * log(1 - p) terms of BINARY cross-entropy: categorical "
        "cross-entropy keeps only -sum(targets * log(p)).",
    ),
    Mistake(
        "no-clipping",
        lambda t, p: -np.mean(np.sum(t * np.log(p), axis=1)),
        "your loss is not a finite number: log(0) is -infinity (and 0 * -infinity is nan). "
        + CLIPS_LIKE_KERAS
        + ". Do the same.",
    ),
    Mistake(
        "replaces-zeros-only",
        lambda t, p: -np.mean(np.sum(t * np.log(np.where(p == 0, EPSILON, p)), axis=1)),
        "you replaced exact zeros only: Keras also raises every probability below 1e-7 (such "
        "as 1e-9) to 1e-7. Use np.clip(probabilities, 1e-7, 1 - 1e-7).",
    ),
    Mistake(
        "adds-epsilon",
        lambda t, p: -np.mean(np.sum(t * np.log(p + EPSILON), axis=1)),
        "you added 1e-7 to the probabilities instead of clipping them: close, but for a "
        "probability of 1e-9 that gives log(1.01e-7), not Keras's log(1e-7). Use "
        "np.clip(probabilities, 1e-7, 1 - 1e-7).",
    ),
    Mistake(
        "other-epsilon",
        lambda t, p: np.mean(_loss_per_example(t, p, epsilon=1e-12)),
        "you clipped with an epsilon other than Keras's: " + CLIPS_LIKE_KERAS + ".",
    ),
]


def cross_entropy_cases() -> list[tuple[np.ndarray, np.ndarray, str]]:
    """The cases 3.4 tries, in this order: (one-hot targets, probabilities, what the case is).

    >>> [case for *_, case in cross_entropy_cases()][1:]
    ['when the true class gets probability 0', 'when the true class gets probability 1e-9']
    """
    rng = np.random.default_rng(34)
    targets = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 23)]
    probabilities = rng.dirichlet(np.full(10, 2.0), 23).astype(np.float32)
    zeros = np.array(  # rows 1 and 4 give the true class probability 0; row 2 another class
        [[0.7, 0.2, 0.1], [0.5, 0.0, 0.5], [0.0, 0.0, 1.0], [0.1, 0.8, 0.1], [0.0, 0.3, 0.7]],
        dtype=np.float32,
    )
    tiny = np.array(  # softmax outputs of a confidently wrong model: 1e-9 for the true class
        [[0.6, 0.3, 0.1, 0.0], [1e-9, 0.5, 0.5 - 1e-9, 0.0], [0.2, 0.2, 0.2, 0.4]],
        dtype=np.float32,
    )
    return [
        (targets, probabilities, "for 23 random predictions"),
        (
            np.eye(3, dtype=np.float32)[[0, 1, 2, 1, 0]],
            zeros,
            "when the true class gets probability 0",
        ),
        (np.eye(4, dtype=np.float32)[[0, 0, 3]], tiny, "when the true class gets probability 1e-9"),
    ]


def cross_entropy(function) -> CheckResult:
    """Exercise 3.4: ``cross_entropy(targets, probabilities)``, the mean categorical cross-entropy,
    equal to ``keras.losses.CategoricalCrossentropy()`` (probabilities clipped to [1e-7, 1 - 1e-7])."""

    def test(function):
        for index, (targets, probabilities, case) in enumerate(cross_entropy_cases()):
            _compare_loss(function, targets, probabilities, case, earlier_cases_passed=index > 0)
        return "Correct: your loss equals keras.losses.CategoricalCrossentropy(), even for a probability of 0."

    return run_check("3.4", function, test)


def reference_cross_entropy(
    targets: np.ndarray, probabilities: np.ndarray, epsilon: float = EPSILON
) -> float:
    """What Keras computes for probabilities that add up to 1 per row.

    >>> round(reference_cross_entropy(np.eye(2), np.array([[0.5, 0.5], [0.0, 1.0]])), 4)
    0.3466
    """
    clipped = np.clip(probabilities.astype(np.float64), epsilon, 1 - epsilon)
    return float(-(targets * np.log(clipped)).sum(axis=1).mean())


def _same_loss(answer, wrong) -> bool:
    """Whether two losses agree: both close, or both not finite (inf and nan alike)."""
    try:
        answer, wrong = float(np.asarray(answer).reshape(())), float(np.asarray(wrong).reshape(()))
    except (TypeError, ValueError):
        return False
    if not np.isfinite(wrong):
        return not np.isfinite(answer)
    return bool(np.isclose(answer, wrong, rtol=1e-5, atol=1e-5))


def _compare_loss(
    function,
    targets: np.ndarray,
    probabilities: np.ndarray,
    case: str,
    earlier_cases_passed: bool = False,
) -> None:
    with np.errstate(all="ignore"):
        answer = call(function, targets.copy(), probabilities.copy())
    loss = _single_number(_numeric_array(answer, "the loss"), targets.shape, case)
    expected = reference_cross_entropy(targets, probabilities)
    if np.isfinite(loss) and np.isclose(loss, expected, rtol=1e-5, atol=1e-5):
        return
    with np.errstate(all="ignore"):
        mistake = matching_mistake(
            loss, CROSS_ENTROPY_MISTAKES, (targets, probabilities), _same_loss
        )
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    if not np.isfinite(loss):
        raise Hint(f"{case}, your loss is {loss}, but Keras gives {expected:.7g}.")
    keras_clips = ""
    if earlier_cases_passed:  # the same function was right on the cases before this one
        keras_clips = (
            f" Your function agreed with Keras on the earlier cases; here {CLIPS_LIKE_KERAS}."
        )
    raise Hint(
        f"{case}, your loss is {loss:.7g}, but keras.losses.CategoricalCrossentropy() gives "
        f"{expected:.7g}.{keras_clips}"
    )


def _single_number(loss: np.ndarray, shape: tuple, case: str) -> float:
    """The loss as a float, or a hint when there is one number per example or per class."""
    count, num_classes = shape
    if loss.size == 1:
        return float(loss.reshape(()))
    if loss.shape == (count,):
        raise Hint(
            f"{case}, you returned {count} numbers, one loss per example: return their mean, "
            "a single number, as Keras does."
        )
    if loss.shape == (num_classes,):
        raise Hint(
            f"{case}, you returned {num_classes} numbers, one per class: sum over the classes "
            "(axis=1) to get one loss per example, then return their mean, a single number."
        )
    expect_shape(loss, (), f"{case}, the loss (a single number)")
    return float(loss)
