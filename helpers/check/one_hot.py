"""Self-checks for exercise set 03, one-hot encoding (exercises 3.1 to 3.4).

>>> check.one_hot(lambda labels, num_classes=10: np.eye(num_classes)[labels])  # doctest: +SKIP
✅ Exercise 3.1: Correct: ...
"""

from __future__ import annotations

import numpy as np

from ..check_results import CheckResult
from . import loading
from .framework import Hint, as_array, call, expect_shape, run_check

EPSILON = 1e-7  # keras.config.epsilon(): how far Keras keeps probabilities from 0 and 1

# --- 3.1 ---------------------------------------------------------------------------------------


def one_hot(function) -> CheckResult:
    """Exercise 3.1: ``one_hot(labels, num_classes=10)`` returns an (N, num_classes) array of 0s and a 1 per row."""

    def test(function):
        rng = np.random.default_rng(31)
        labels = rng.permutation(np.arange(43) % 10)
        _compare_one_hot(call(function, labels.copy()), labels, 10, "with the default num_classes")

        labels = rng.integers(0, 3, 29)
        _compare_one_hot(
            call(function, labels.copy(), num_classes=3), labels, 3, "with num_classes=3"
        )

        labels = rng.integers(0, 8, 19)  # classes 8 and 9 never appear
        _compare_one_hot(
            call(function, labels.copy(), 10), labels, 10, "when the labels only go up to 7"
        )
        return "Correct: one row per label, num_classes columns, a single 1 in column labels[i]."

    return run_check("3.1", function, test)


def _compare_one_hot(answer, labels: np.ndarray, num_classes: int, case: str) -> None:
    encoded = as_array(answer, "the one-hot array")
    count = len(labels)
    if encoded.shape == (count,):
        raise Hint(
            f"{case}, you returned shape {encoded.shape}, one number per label. One-hot needs a "
            f"whole row per label: shape ({count}, num_classes), all 0 except a 1 in the label's column."
        )
    if encoded.ndim == 2 and len(encoded) == count and encoded.shape[1] != num_classes:
        width = encoded.shape[1]
        if width == labels.max() + 1:
            raise Hint(
                f"{case}, your rows have {width} columns, one more than the largest label "
                f"present, instead of num_classes={num_classes}. A class absent from these labels "
                "still needs its column: use num_classes for the width."
            )
        if width == 10:
            raise Hint(
                f"{case}, your rows have 10 columns: use the num_classes argument instead of a fixed 10."
            )
        raise Hint(f"{case}, your rows have {width} columns instead of num_classes={num_classes}.")
    expect_shape(encoded, (count, num_classes), "the one-hot array")
    if not np.isin(encoded, (0, 1)).all():
        raise Hint(
            f"{case}, the one-hot array should hold only 0s and 1s, but it holds {np.unique(encoded)[:5].tolist()}."
        )
    ones_per_row = encoded.sum(axis=1)
    if not np.all(ones_per_row == 1):
        row = int(np.flatnonzero(ones_per_row != 1)[0])
        extra = (
            " Did you write `rows[labels] = 1`? That sets whole rows; use "
            "`rows[np.arange(len(labels)), labels] = 1`."
            if ones_per_row[row] == num_classes
            else ""
        )
        raise Hint(
            f"{case}, row {row} holds {int(ones_per_row[row])} ones: each row needs exactly one 1.{extra}"
        )
    columns = encoded.argmax(axis=1)
    if np.array_equal(columns, labels):
        return
    if np.array_equal(columns, (labels - 1) % num_classes) or np.array_equal(
        columns, (labels + 1) % num_classes
    ):
        raise Hint(
            f"{case}, each 1 sits one column off: the row for label k needs its 1 in column k (counting from 0)."
        )
    row = int(np.flatnonzero(columns != labels)[0])
    raise Hint(
        f"{case}, label {labels[row]} (row {row}) has its 1 in column {columns[row]} instead of column {labels[row]}."
    )


# --- 3.2 ---------------------------------------------------------------------------------------


def from_one_hot(function) -> CheckResult:
    """Exercise 3.2: ``from_one_hot(rows)`` turns one-hot rows back into integer labels."""

    def test(function):
        rng = np.random.default_rng(32)
        for count, num_classes in ((37, 10), (11, 4)):
            labels = rng.integers(0, num_classes, count)
            rows = np.eye(num_classes, dtype=np.float32)[labels]
            decoded = as_array(call(function, rows.copy()), "the labels")
            if decoded.shape == rows.shape:
                raise Hint(
                    f"you returned an array of shape {decoded.shape}, the same as the one-hot rows: "
                    "return one label per row, the column that holds the 1."
                )
            if decoded.shape == (num_classes,):
                raise Hint(
                    f"you returned {num_classes} numbers for {count} rows: argmax over axis 0 looks "
                    "down each column. Use axis=1 to look along each row."
                )
            if decoded.ndim == 0:
                raise Hint(
                    "you returned one number: argmax without an axis looks at the whole array as "
                    "if it were flat. Use axis=1, along each row."
                )
            expect_shape(decoded, (count,), "the labels (one per row)")
            if not np.array_equal(decoded, labels):
                row = int(np.flatnonzero(decoded != labels)[0])
                raise Hint(
                    f"row {row} has its 1 in column {labels[row]}, but you returned {decoded[row]}."
                )
        return (
            "Correct: labels back from one-hot rows. The same argmax(axis=1) turns a model's "
            "predicted probabilities into predicted digits."
        )

    return run_check("3.2", function, test)


# --- 3.3 ---------------------------------------------------------------------------------------


def x_train_cnn(answer) -> CheckResult:
    """Exercise 3.3: the training images with a channel axis, shape (60000, 28, 28, 1)."""

    def test(answer):
        x_train = loading.mnist_training_images()
        count, height, width = x_train.shape
        x = as_array(answer, "x_train_cnn")
        wanted = (count, height, width, 1)
        if x.shape == (count, 1, height, width):
            raise Hint(
                f"x_train_cnn has shape {x.shape}: that is channels-first. Keras's Conv2D expects "
                f"channels LAST, shape {wanted}."
            )
        if x.shape == (count, height * width):
            raise Hint(
                f"x_train_cnn has shape {x.shape}: flat rows lose the 2-D layout a CNN needs. Use {wanted}."
            )
        if x.shape == x_train.shape:
            raise Hint(
                f"x_train_cnn still has shape {x.shape}: add a channel axis of size 1 at the end, {wanted}."
            )
        if x.ndim == 4 and x.shape[1:] == (height, width, 1) and len(x) != count:
            raise Hint(f"x_train_cnn holds {len(x)} images; keep all {count} training images.")
        expect_shape(x, wanted, "x_train_cnn")
        images = x[..., 0]
        if np.array_equal(images, x_train):
            return f"Correct: shape {wanted}, every pixel where it was, one grey channel per image."
        if np.allclose(images, x_train / np.float32(255), atol=1e-6):
            return (
                f"Correct: shape {wanted}, scaled to [0, 1] (fine too), one grey channel per image."
            )
        if np.array_equal(images, x_train.transpose(0, 2, 1)) or np.allclose(
            images, x_train.transpose(0, 2, 1) / 255, atol=1e-6
        ):
            raise Hint(
                "the images are transposed (rows and columns swapped): np.transpose, .T or swapaxes "
                "move pixels. Only add an axis: x_train.reshape(-1, 28, 28, 1) or x_train[..., np.newaxis]."
            )
        raise Hint(
            "the shape is right but the pixels moved: only add an axis, don't reorder anything "
            "(x_train.reshape(-1, 28, 28, 1) or x_train[..., np.newaxis])."
        )

    return run_check("3.3", answer, test)


# --- 3.4 ---------------------------------------------------------------------------------------


def cross_entropy(function) -> CheckResult:
    """Exercise 3.4: ``cross_entropy(targets, probabilities)``, the mean categorical cross-entropy,
    equal to ``keras.losses.CategoricalCrossentropy()`` (probabilities clipped to [1e-7, 1 - 1e-7])."""

    def test(function):
        rng = np.random.default_rng(34)
        labels = rng.integers(0, 10, 23)
        targets = np.eye(10, dtype=np.float32)[labels]
        probabilities = rng.dirichlet(np.ones(10), 23).astype(np.float32)
        _compare_loss(function, targets, probabilities, "for 23 random predictions")

        targets = np.eye(3, dtype=np.float32)[[0, 1, 2, 1, 0]]
        probabilities = np.array(
            [[0.7, 0.2, 0.1], [0.5, 0.0, 0.5], [0.0, 0.0, 1.0], [0.1, 0.8, 0.1], [0.0, 0.3, 0.7]],
            dtype=np.float32,
        )  # row 1 gives the true class probability 0; row 4 too
        _compare_loss(
            function,
            targets,
            probabilities,
            "when the true class gets probability 0",
            zeros_only=True,
        )
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


def _compare_loss(
    function, targets: np.ndarray, probabilities: np.ndarray, case: str, zeros_only: bool = False
) -> None:
    with np.errstate(divide="ignore", invalid="ignore"):
        answer = call(function, targets.copy(), probabilities.copy())
    loss = as_array(answer, "the loss")
    count = len(targets)
    if loss.shape == (count,):
        raise Hint(
            f"{case}, you returned {count} numbers, one loss per example: return their mean, "
            "a single number, as Keras does."
        )
    expect_shape(loss, (), "the loss (a single number)")
    loss = float(loss)
    expected = reference_cross_entropy(targets, probabilities)

    def near(value):
        return np.isclose(loss, value, rtol=1e-5, atol=1e-5)

    if not np.isfinite(loss):
        raise Hint(
            f"{case}, your loss is {loss}: log(0) is -infinity (and 0 * -infinity is nan). Clip the probabilities to "
            f"[1e-7, 1 - 1e-7] first, np.clip(probabilities, 1e-7, 1 - 1e-7), as Keras does."
        )
    if near(expected):
        return
    if near(-expected):
        raise Hint(
            f"{case}, your loss is {loss:.4f}, negative: the log of a probability is <= 0, so "
            "cross-entropy has a minus sign in front, -sum(targets * log(p))."
        )
    if near(expected * count):
        raise Hint(
            f"{case}, your loss is the SUM over the {count} examples: Keras reports their mean."
        )
    if near(expected / targets.shape[1]):
        raise Hint(
            f"{case}, you averaged over every entry of the ({count}, {targets.shape[1]}) array: "
            "sum over the classes first (axis=1), then average over the examples."
        )
    if near(expected / np.log(10)):
        raise Hint(f"{case}, you used log10: cross-entropy uses the natural logarithm, np.log.")
    if zeros_only:  # the same function was right when no probability was 0
        raise Hint(
            f"{case}, your loss is {loss:.4f} but Keras gives {expected:.4f}: clip the probabilities "
            "to [1e-7, 1 - 1e-7] with np.clip, exactly Keras's epsilon (1e-7)."
        )
    raise Hint(
        f"{case}, your loss is {loss:.6f}, but keras.losses.CategoricalCrossentropy() gives {expected:.6f}."
    )
