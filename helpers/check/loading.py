"""Self-checks for exercise set 01, loading and exploring MNIST (exercises 1.1 to 1.4).

Each check states the wrong answers students typically write ONCE, as a table of ``Mistake``s:
the check gives the hint of the entry that reproduces the student's answer, and otherwise says
what differs (first differing element, expected vs got) without guessing a cause. The cases are
seeded, and chosen to expose overflow (counts above 255 in uint8), missing digits, shapes that
hide a wrong axis, and images near a tie between two class means:

    >>> count_per_digit(lambda labels: np.bincount(labels, minlength=10))
    ✅ Exercise 1.1: Correct: ten counts in digit order, and a digit that never appears (3 and 9 here) counts 0.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, ItemsView, KeysView, Mapping, ValuesView
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import numpy as np

from ..check_results import CheckResult
from .framework import Hint, as_array, call, mnist_data, run_check
from .mistakes import Mistake, matching_mistake, plural, same


def mnist_training_images() -> np.ndarray:
    """MNIST's 60,000 training images (uint8, read-only), for the checks that compare with them.

    >>> mnist_training_images().shape  # doctest: +SKIP
    (60000, 28, 28)
    """
    (x_train, _), _ = mnist_data()
    return x_train


@contextmanager
def _quietly():
    """Silence NumPy's warnings (the mean of no images, 0 / 0): the hints say what matters."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _number(value) -> str:
    """A number as a student would write it: ``_number(np.float64(2.0))`` is ``'2'``."""
    value = np.asarray(value).item()
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _whole(value: float) -> str:
    """``60,000`` for 60000.0, as ``plural`` writes counts; a fraction as it is."""
    return f"{int(value):,}" if np.isfinite(value) and value == int(value) else _number(value)


def _agrees(answer, wrong) -> bool:
    """``same``, but False for answers it cannot compare (text, ragged lists) instead of raising."""
    try:
        return same(answer, wrong)
    except (TypeError, ValueError):
        return False


def _numbers(answer, name: str) -> np.ndarray:
    """The answer as an array of real numbers, or a hint saying what it holds instead."""
    array = as_array(answer, "your answer")
    if array.dtype.kind in "US":
        raise Hint(f"{name} should be numbers, but your function returned text (strings).")
    if array.dtype == object:
        if array.ndim == 0:
            raise Hint(f"{name} should be numbers, but your function returned a {_kind(answer)}.")
        odd = next(value for value in array.ravel() if not isinstance(value, (int, float)))
        raise Hint(f"{name} should be numbers, but they include {_kind(odd)}.")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise Hint(f"{name} should be numbers, but they are {array.dtype} values.")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise Hint(f"{name} should be real numbers, but they are complex.")
    return array


def _kind(value) -> str:
    """``None``, or the type of ``value`` by name: ``_kind(iter([]))`` is ``'list_iterator'``."""
    return "None" if value is None else type(value).__name__


def _fake_images(rng: np.random.Generator, count: int, ink_share) -> np.ndarray:
    """``count`` uint8 28×28 images: about ``ink_share`` of the pixels inked, the rest 0.

    ``ink_share`` is one share for all images, or one per image.

        >>> _fake_images(np.random.default_rng(0), 3, 0.2).shape
        (3, 28, 28)
    """
    shape = (count, 28, 28)
    share = np.broadcast_to(np.asarray(ink_share, dtype=float), (count,))[:, None, None]
    inked = rng.random(shape) < share
    return np.where(inked, rng.integers(1, 256, shape), 0).astype(np.uint8)


# --- 1.1 ---------------------------------------------------------------------------------------


def _counts_in_labels_dtype(labels):
    """Counts kept in the labels' own dtype: uint8 for MNIST, which wraps around past 255."""
    counts = np.zeros(10, dtype=labels.dtype)
    for digit in range(10):
        counts[digit] = np.sum(labels == digit)
    return counts


COUNT_MISTAKES: list[Mistake] = [
    Mistake(
        "unique-counts",
        lambda labels: np.unique(labels, return_counts=True)[1],
        "np.unique counts only the digits that appear, so a digit that never appears gets no "
        "count and the counts after it move one place left. Every digit 0 to 9 needs its "
        "count, 0 included: np.bincount(labels, minlength=10), or count each digit in range(10).",
    ),
    Mistake(
        "unique-both",
        lambda labels: np.unique(labels, return_counts=True),
        "you returned both arrays np.unique gives, (values, counts): return only the counts, 10 "
        "of them, with 0 for a digit that never appears, e.g. np.bincount(labels, minlength=10).",
    ),
    Mistake(
        "unique-values",
        lambda labels: np.unique(labels),
        "you returned the digits that appear (np.unique), not how often each one appears: "
        "return 10 counts, position d holding how many labels equal d.",
    ),
    Mistake(
        "bincount-no-minlength",
        lambda labels: np.bincount(labels),
        "np.bincount(labels) gives one count per value from 0 up to the largest label present, "
        "so when the highest digits never appear there are fewer than 10 counts: add "
        "minlength=10.",
    ),
    Mistake(
        "counter-itself",
        lambda labels: Counter(labels),
        "you returned the Counter itself, a dict from digit to count: return the 10 counts in "
        "digit order, [counter[d] for d in range(10)] (a Counter gives 0 for a digit it never saw).",
    ),
    Mistake(
        "counter-values",
        lambda labels: list(Counter(labels).values()),
        "Counter(labels).values() lists the counts in the order the digits first appear, and "
        "leaves out a digit that never appears: read them in digit order instead, "
        "[counter[d] for d in range(10)] (a Counter gives 0 for a digit it never saw).",
    ),
    Mistake(
        "most-common-order",
        lambda labels: [count for _, count in Counter(labels).most_common()],
        "your counts are sorted from the most common digit down, as Counter.most_common() "
        "gives them, not in digit order: position d must hold the count of digit d.",
    ),
    Mistake(
        "digits-1-to-10",
        lambda labels: np.array([np.sum(np.asarray(labels) == d) for d in range(1, 11)]),
        "your counts are one digit off: position 0 holds the number of 1s, and the last "
        "position counts 10s, which never occur. The digits run from 0 to 9: range(10).",
    ),
    Mistake(
        "range-9",
        lambda labels: np.array([np.sum(np.asarray(labels) == d) for d in range(9)]),
        "you returned 9 counts, for the digits 0 to 8: range(9) stops before 9, so the 9s are "
        "never counted. Use range(10).",
    ),
    Mistake(
        "uint8-counts",
        _counts_in_labels_dtype,
        "some counts are too small by a multiple of 256: they were kept in uint8, the dtype of "
        "MNIST's labels, which holds only 0 to 255 and wraps around past it (300 becomes 44). "
        "Count in a wider integer type, e.g. np.zeros(10, dtype=int), or use np.bincount, "
        "which does.",
    ),
    Mistake(
        "list-compared-whole",
        lambda labels: np.array([np.sum(labels == d) for d in range(10)]),
        "every count is 0: `labels == d` on a Python list compares the whole list with d, "
        "which is simply False. Turn the labels into an array first, "
        "labels = np.asarray(labels), then compare.",
    ),
    Mistake(
        "fractions",
        lambda labels: np.bincount(labels, minlength=10) / len(labels),
        "you returned the share of the labels that are each digit: the exercise asks for the "
        "counts themselves, so don't divide by len(labels).",
    ),
]

COUNT_PRAISE = (
    "Correct: ten counts in digit order, and a digit that never appears (3 and 9 here) counts 0."
)


def count_cases() -> list[tuple[Any, str]]:
    """The labels 1.1 tries, in this order, with what each case is.

    Counts go above 255 (uint8 wraps), 3 and 9 go missing, and the last labels are a list.

    >>> [case for _, case in count_cases()][1:3]
    ['for 3,000 uint8 labels without any 3 or 9', 'for a single label, 7']
    """
    every_digit = np.random.default_rng(11).permutation(np.arange(47) % 10)
    digits = np.array([0, 1, 2, 4, 5, 6, 7, 8])
    weights = np.array([10, 14, 11, 9, 12, 10, 13, 11]) / 90  # every count above 255
    without_3_and_9 = np.random.default_rng(12).choice(digits, 3000, p=weights).astype(np.uint8)
    mnist_sized = np.random.default_rng(13).integers(0, 10, 60000).astype(np.uint8)
    as_list = [int(label) for label in np.random.default_rng(14).integers(0, 10, 250)]
    return [
        (every_digit, "for 47 labels with every digit"),
        (without_3_and_9, "for 3,000 uint8 labels without any 3 or 9"),
        (np.array([7], dtype=np.uint8), "for a single label, 7"),
        (mnist_sized, "for 60,000 uint8 labels, as many as MNIST's training set"),
        (as_list, "for 250 labels given as a Python list"),
    ]


def count_per_digit(function) -> CheckResult:
    """Exercise 1.1: ``count_per_digit(labels)`` returns 10 counts, one per digit 0-9.

    >>> count_per_digit(lambda labels: np.unique(labels, return_counts=True)[1]).status
    'fail'
    """

    def test(function):
        for labels, case in count_cases():
            fresh = labels.copy() if isinstance(labels, np.ndarray) else list(labels)
            _compare_counts(call(function, fresh), labels, case)
        return COUNT_PRAISE

    return run_check("1.1", function, test)


def _plain(answer):
    """A Counter as a dict, its keys or values as a list; anything else as it is."""
    if isinstance(answer, Mapping):
        return dict(answer)
    if isinstance(answer, (KeysView, ValuesView, ItemsView)):
        return list(answer)
    return answer


def _same_counts(answer, wrong) -> bool:
    """Whether two answers to 1.1 agree; two dicts agree when they map digits to the same counts."""
    answer, wrong = _plain(answer), _plain(wrong)
    if isinstance(answer, dict) or isinstance(wrong, dict):
        return isinstance(answer, dict) and isinstance(wrong, dict) and answer == wrong
    return _agrees(answer, wrong)


def _compare_counts(answer, labels, case: str) -> None:
    expected = np.bincount(np.asarray(labels, dtype=np.int64), minlength=10)
    if _same_counts(answer, expected):
        return
    mistake = matching_mistake(answer, COUNT_MISTAKES, (labels,), _same_counts)
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    raise Hint(f"{case}, {_counts_difference(_plain(answer), expected, len(labels))}")


def _counts_difference(answer, expected: np.ndarray, num_labels: int) -> str:
    """What differs from the right counts, as a sentence (no known mistake matched)."""
    if isinstance(answer, dict):
        return (
            "you returned a dict: return the 10 counts in digit order, as an array or a list, "
            "e.g. [counts[d] for d in range(10)]."
        )
    counts = _numbers(answer, "the counts")
    if counts.ndim == 0:
        return (
            f"you returned a single number, {_number(counts)}: return 10 counts, one per digit "
            "0 to 9."
        )
    if counts.ndim != 1:
        return (
            f"the counts should be a flat array of 10 numbers, but yours has shape {counts.shape}."
        )
    if len(counts) != 10:
        return (
            f"you returned {plural(len(counts), 'count')} instead of 10: one per digit 0 to 9, "
            "with 0 for a digit that never appears."
        )
    digit = int(np.flatnonzero(~np.isclose(counts.astype(np.float64), expected))[0])
    message = (
        f"digit {digit} appears {plural(int(expected[digit]), 'time')}, but your count says "
        f"{_number(counts[digit])}."
    )
    total = counts.astype(np.float64).sum()
    if not np.isclose(total, num_labels):
        message += (
            f" Your counts add up to {_whole(total)}, but there are {plural(num_labels, 'label')}."
        )
    return message


# --- 1.2 ---------------------------------------------------------------------------------------


def _ink_counted_in_uint8(images):
    """One count per image, stored in uint8, which wraps around past 255."""
    ink = np.zeros(len(images), dtype=np.uint8)
    for i, image in enumerate(images):
        ink[i] = (image > 0).sum()
    return ink


COUNTS_EVERY_NON_ZERO = "every pixel that is not 0 counts, however faint: images > 0."

INK_MISTAKES: list[Mistake] = [
    Mistake(
        "pixel-sums",
        lambda images: images.sum(axis=(1, 2)),
        "these are the sums of the pixel values (how bright each image is), not the number of "
        "inked pixels: count the pixels where images > 0, so a faint pixel counts as much as a "
        "dark one.",
    ),
    Mistake(
        "pixel-sums-over-255",
        lambda images: (images / 255).sum(axis=(1, 2)),
        "these are the pixel values divided by 255 and added up (how bright each image is), not "
        "the number of inked pixels: count the pixels where images > 0, so a faint pixel counts "
        "as much as a dark one.",
    ),
    Mistake(
        "total",
        lambda images: (images > 0).sum(),
        "you returned one number for all the images together: count over the pixel axes only, "
        "axis=(1, 2), to get one count per image.",
    ),
    Mistake(
        "axis-0",
        lambda images: (images > 0).sum(axis=0),
        "you counted over axis 0, the images, which leaves one count per pixel position, shape "
        "(28, 28): count over the pixel axes, axis=(1, 2), to get one count per image.",
    ),
    Mistake(
        "axis-1-only",
        lambda images: (images > 0).sum(axis=1),
        "you counted over axis 1 only, the rows, which leaves one count per column of each "
        "image: count over both pixel axes, axis=(1, 2).",
    ),
    Mistake(
        "axes-0-and-1",
        lambda images: (images > 0).sum(axis=(0, 1)),
        "you counted over axes 0 and 1, the images and the rows, which leaves one count per "
        "pixel column: axis 0 runs over the images, so count over axes 1 and 2, axis=(1, 2).",
    ),
    Mistake(
        "every-pixel",
        lambda images: (images >= 0).sum(axis=(1, 2)),
        "every image gets 784, all its pixels: a comparison like images >= 0 is true "
        "everywhere. Count only the pixels that are not 0.",
    ),
    Mistake(
        "background",
        lambda images: (images == 0).sum(axis=(1, 2)),
        "you counted the pixels that are 0, the background: count those that are not, "
        "images > 0 (or images != 0).",
    ),
    Mistake(
        "above-1",
        lambda images: (images > 1).sum(axis=(1, 2)),
        "the faintest ink, pixels of value 1, was not counted: " + COUNTS_EVERY_NON_ZERO,
    ),
    Mistake(
        "dark-only",
        lambda images: (images > 127).sum(axis=(1, 2)),
        "you counted only the dark pixels, those above 127: " + COUNTS_EVERY_NON_ZERO,
    ),
    Mistake(
        "uint8-counts",
        _ink_counted_in_uint8,
        "some counts are too small by a multiple of 256: they were kept in uint8, which holds "
        "only 0 to 255 and wraps around past it (300 inked pixels become 44). Keep the counts in "
        "a wider integer type, e.g. np.zeros(len(images), dtype=int), or let "
        "(images > 0).sum(axis=(1, 2)) choose it.",
    ),
]

INK_PRAISE = (
    "Correct: one count per image, a blank image counts 0 and even the faintest ink counts."
)


def ink_cases() -> list[tuple[np.ndarray, str]]:
    """The images 1.2 tries, in this order, with what each case is.

    The first holds a blank image (5) and one drawn only in pixels of value 1 (6); the second
    has 28 images, as many as pixel rows, and counts up to 700 or so, past uint8's 255.

    >>> [(images.shape, case) for images, case in ink_cases()][1]
    ((28, 28, 28), 'for 28 images, some with more than 255 inked pixels')
    """
    first = _fake_images(np.random.default_rng(21), 37, 0.2)
    first[5] = 0
    first[6] = np.where(first[6] > 0, 1, 0)
    dense = _fake_images(np.random.default_rng(22), 28, np.linspace(0.05, 0.95, 28))
    single = _fake_images(np.random.default_rng(23), 1, 0.4)
    shares = np.random.default_rng(24).uniform(0.05, 0.7, 5000)
    many = _fake_images(np.random.default_rng(25), 5000, shares)
    return [
        (first, "for 37 images"),
        (dense, "for 28 images, some with more than 255 inked pixels"),
        (single, "for a single image"),
        (many, "for 5,000 images"),
    ]


def ink_per_image(function) -> CheckResult:
    """Exercise 1.2: ``ink_per_image(images)`` returns, per image, how many pixels are not 0.

    >>> ink_per_image(lambda images: np.count_nonzero(images, axis=(1, 2))).status
    'pass'
    """

    def test(function):
        for images, case in ink_cases():
            _compare_ink(call(function, images.copy()), images, case)
        return INK_PRAISE

    return run_check("1.2", function, test)


def _compare_ink(answer, images: np.ndarray, case: str) -> None:
    expected = (images != 0).sum(axis=(1, 2))
    if _agrees(answer, expected):
        return
    mistake = matching_mistake(answer, INK_MISTAKES, (images,), _agrees)
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    raise Hint(f"{case}, {_ink_difference(answer, expected)}")


def _ink_difference(answer, expected: np.ndarray) -> str:
    """What differs from the right ink counts, as a sentence (no known mistake matched)."""
    ink = _numbers(answer, "the ink counts")
    if ink.shape != expected.shape:
        return (
            f"the ink counts should have shape {expected.shape}, one count per image, but yours "
            f"has shape {ink.shape}."
        )
    image = int(np.flatnonzero(~np.isclose(ink.astype(np.float64), expected))[0])
    return (
        f"image {image} has {plural(int(expected[image]), 'inked pixel')}, but your answer says "
        f"{_number(ink[image])}."
    )


# --- 1.3 ---------------------------------------------------------------------------------------


def _means_in_images_dtype(images, labels):
    means = np.zeros_like(images[:10])  # uint8, like the images: the fractions are cut off
    for digit in range(10):
        means[digit] = images[labels == digit].mean(axis=0)
    return means


def _means_from_uint8_sums(images, labels):
    sums = np.zeros((10, *images.shape[1:]), dtype=images.dtype)
    for image, label in zip(images, labels):
        sums[label] += image  # uint8: wraps around past 255
    return sums / np.bincount(labels, minlength=10)[:, None, None]


def _means_by_digit(images, labels, digits, average=lambda chosen: chosen.mean(axis=0)):
    """``average`` of the images of each digit in ``digits``, stacked along axis 0."""
    return np.stack([average(images[labels == digit]) for digit in digits])


MEAN_IMAGE_MISTAKES: list[Mistake] = [
    Mistake(
        "mean-of-all",
        lambda images, labels: np.stack([images.mean(axis=0)] * 10),
        "all ten images are the mean of ALL the images: average only the images of digit d, "
        "images[labels == d].mean(axis=0).",
    ),
    Mistake(
        "digit-last",
        lambda images, labels: np.moveaxis(_means_by_digit(images, labels, range(10)), 0, -1),
        "your answer has shape (28, 28, 10): the digit should be the FIRST axis, so that "
        "means[d] is digit d's mean image (np.stack stacks along axis 0 unless told otherwise).",
    ),
    Mistake(
        "whole-number-means",
        _means_in_images_dtype,
        "the means lost their fractions (37.4 became 37): they ended up as whole numbers, for "
        "example in an array made with np.zeros_like(images[:10]), which copies the images' "
        "uint8 dtype, or through .astype(int). Keep them float: np.zeros((10, 28, 28)), or "
        "stack the means.",
    ),
    Mistake(
        "rounded-means",
        lambda images, labels: np.round(_means_by_digit(images, labels, range(10))),
        "the means were rounded to whole numbers (37.6 became 38): keep the fractions, without "
        "rounding.",
    ),
    Mistake(
        "uint8-sums",
        _means_from_uint8_sums,
        "the pixel sums wrapped around: they were added up in uint8, the images' dtype, which "
        "holds only 0 to 255 (two pixels of 200 add up to 144). Add them up in a float or wider "
        "integer dtype, e.g. np.zeros((10, 28, 28)), or use .mean(axis=0), which does.",
    ),
    Mistake(
        "present-digits-only",
        lambda images, labels: _means_by_digit(images, labels, np.unique(labels)),
        "you returned one mean image per digit that appears (np.unique), so a digit without "
        "images gets no row and the rows after it move up: return 10 rows, one for every digit "
        "0 to 9.",
    ),
    Mistake(
        "digits-1-to-10",
        lambda images, labels: _means_by_digit(images, labels, range(1, 11)),
        "your rows are one digit off: means[0] is the mean image of digit 1, and the last row "
        "averages the images of digit 10, of which there are none. The digits run from 0 to 9: "
        "range(10).",
    ),
    Mistake(
        "sums",
        lambda images, labels: _means_by_digit(images, labels, range(10), lambda x: x.sum(axis=0)),
        "these are the pixel SUMS of each digit's images, not their means: divide by the number "
        "of images of that digit, or use .mean(axis=0).",
    ),
    Mistake(
        "divided-by-all",
        lambda images, labels: _means_by_digit(
            images, labels, range(10), lambda x: x.sum(axis=0) / len(images)
        ),
        "each row is the pixel sum of digit d's images divided by the number of ALL the images: "
        "divide by the number of images of digit d only, or use images[labels == d].mean(axis=0).",
    ),
    Mistake(
        "one-number-per-digit",
        lambda images, labels: _means_by_digit(images, labels, range(10), lambda x: x.mean()),
        "you returned one number per digit: .mean() without an axis averages every pixel of "
        "every image. Average over the images only, .mean(axis=0), to keep a 28×28 mean image "
        "per digit.",
    ),
    Mistake(
        "first-image",
        lambda images, labels: _means_by_digit(images, labels, range(10), lambda x: x[0]),
        "each row is the first image of its digit, not the mean of all of them: average every "
        "image labelled d, images[labels == d].mean(axis=0).",
    ),
]

MEAN_IMAGE_PRAISE = "Correct: ten mean images, one per digit, with fractional pixel values kept."


def mean_image_cases() -> list[tuple[np.ndarray, np.ndarray, str]]:
    """The (images, labels) 1.3 tries, in this order, with what each case is; labels are uint8,
    as MNIST's, after the first case.

    A digit with no images has no mean: its row may be NaN, as ``.mean()`` of no images gives
    (the solution), or 0. Every other row must be the mean of its digit's images.

    >>> [case for *_, case in mean_image_cases()]
    ['for 50 images', 'for 3,000 images, 300 of each digit', 'for 200 images without any 5', 'for 6,000 images']
    """
    cases = []
    for count, seed, missing, dtype, case in (
        (50, 31, None, np.int64, "for 50 images"),
        (3000, 32, None, np.uint8, "for 3,000 images, 300 of each digit"),
        (200, 33, 5, np.uint8, "for 200 images without any 5"),
        (6000, 34, None, np.uint8, "for 6,000 images"),
    ):
        rng = np.random.default_rng(seed)
        digits = np.array([d for d in range(10) if d != missing])
        labels = rng.permutation(digits[np.arange(count) % len(digits)]).astype(dtype)
        images = _fake_images(rng, count, 0.1 + 0.05 * labels)
        cases.append((images, labels, case))
    return cases


def mean_image_per_digit(function) -> CheckResult:
    """Exercise 1.3: ``mean_image_per_digit(images, labels)`` returns the 10 mean images, shape (10, 28, 28).

    >>> mean_image_per_digit(lambda images, labels: images[:10]).status
    'fail'
    """

    def test(function):
        for images, labels, case in mean_image_cases():
            with _quietly():  # a digit without images: "Mean of empty slice"
                answer = call(function, images.copy(), labels.copy())
            _compare_means(answer, images, labels, case)
        return MEAN_IMAGE_PRAISE

    return run_check("1.3", function, test)


def _float_array(answer) -> np.ndarray | None:
    """A numeric answer as float64, or None for anything else (text included: no parsing)."""
    try:
        array = np.asarray(answer)
    except (TypeError, ValueError):
        return None
    return array.astype(np.float64) if array.dtype.kind in "biuf" else None


def _same_means(answer, wrong) -> bool:
    """Whether two answers to 1.3 agree: same shape, close values, NaN where the other has NaN."""
    answer, wrong = _float_array(answer), _float_array(wrong)
    if answer is None or wrong is None or answer.shape != wrong.shape:
        return False
    return bool(np.allclose(answer, wrong, rtol=1e-4, atol=1e-3, equal_nan=True))


def _compare_means(answer, images: np.ndarray, labels: np.ndarray, case: str) -> None:
    present = np.bincount(labels, minlength=10) > 0
    expected = np.stack(
        [
            images[labels == d].mean(axis=0) if present[d] else np.full((28, 28), np.nan)
            for d in range(10)
        ]
    )
    if _right_means(answer, expected, present):
        return
    with _quietly():
        mistake = matching_mistake(answer, MEAN_IMAGE_MISTAKES, (images, labels), _same_means)
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    raise Hint(f"{case}, {_means_difference(answer, expected, labels)}")


def _right_means(answer, expected: np.ndarray, present: np.ndarray) -> bool:
    """Right rows for the digits present; NaN or 0 for a digit without images."""
    means = _float_array(answer)
    if (
        means is None
        or means.shape != expected.shape
        or not _same_means(means[present], expected[present])
    ):
        return False
    missing = means[~present]
    return bool(np.all(np.isnan(missing)) or np.all(missing == 0))


def _means_difference(answer, expected: np.ndarray, labels: np.ndarray) -> str:
    """What differs from the right mean images, as a sentence (no known mistake matched)."""
    means = _numbers(answer, "the mean images")
    if means.shape != expected.shape:
        return (
            f"the mean images should have shape {expected.shape}, one 28×28 image per digit, "
            f"but yours has shape {means.shape}."
        )
    means = means.astype(np.float64)
    counts = np.bincount(labels, minlength=10)
    for digit in np.flatnonzero(counts == 0):
        row = means[digit]
        if not (np.all(np.isnan(row)) or np.all(row == 0)):
            r, c = (int(i) for i in np.argwhere(~np.isnan(row) & (row != 0))[0])
            return (
                f"no image is labelled {digit}, so means[{digit}] has nothing to average: it "
                "should be all NaN (what .mean() of no images gives) or all 0, but "
                f"means[{digit}, {r}, {c}] is {_number(row[r, c])}."
            )
    present = counts[:, None, None] > 0
    differs = present & ~np.isclose(means, expected, rtol=1e-4, atol=1e-3)
    digit, row, column = (int(i) for i in np.argwhere(differs)[0])
    return (
        f"means[{digit}, {row}, {column}] should be {expected[digit, row, column]:.6g}, the mean "
        f"of that pixel over the {plural(int(counts[digit]), 'image')} labelled {digit}, but it "
        f"is {_number(means[digit, row, column])}."
    )


# --- 1.4 ---------------------------------------------------------------------------------------


def _pixels(array: np.ndarray) -> np.ndarray:
    """Images (or means) as float64 rows of pixels: shape (count, height * width)."""
    return np.asarray(array, dtype=np.float64).reshape(len(array), -1)


def euclidean_distances(class_means: np.ndarray, images: np.ndarray) -> np.ndarray:
    """The exact Euclidean distance of every image to every class mean: shape (N, K).

    >>> euclidean_distances(np.zeros((2, 2, 2)), np.full((1, 2, 2), 3.0))
    array([[6., 6.]])
    """
    x = _pixels(images)
    return np.stack([np.sqrt(((x - mean) ** 2).sum(axis=1)) for mean in _pixels(class_means)], 1)


def _manhattan_distances(class_means, images):
    x = _pixels(images)
    return np.stack([np.abs(x - mean).sum(axis=1) for mean in _pixels(class_means)], axis=1)


def _cosine_similarities(class_means, images):
    x, means = _pixels(images), _pixels(class_means)
    norms = np.linalg.norm(x, axis=1)[:, None] * np.linalg.norm(means, axis=1)[None]
    return (x @ means.T) / norms


def _per_class(class_means, images, distance: Callable) -> np.ndarray:
    """``distance(images, mean)`` for every class mean, stacked: shape (N, K)."""
    return np.stack([distance(images, mean) for mean in class_means], axis=1)


def _first_ten_classes(class_means, images):
    distances = [((images - class_means[k]) ** 2).sum(axis=(1, 2)) for k in range(10)]
    return np.stack(distances, axis=1).argmin(axis=1)


NEAREST_MEAN_MISTAKES: list[Mistake] = [
    Mistake(
        "argmax",
        lambda m, x: euclidean_distances(m, x).argmax(axis=1),
        "you picked the class whose mean is FARTHEST away: use argmin, not argmax.",
    ),
    Mistake(
        "manhattan",
        lambda m, x: _manhattan_distances(m, x).argmin(axis=1),
        "you measured the distance as the sum of absolute differences (the Manhattan, or L1, "
        "distance). Near a tie it picks another class than the Euclidean distance the exercise "
        "asks for: the square root of the sum of SQUARED pixel differences.",
    ),
    Mistake(
        "cosine",
        lambda m, x: _cosine_similarities(m, x).argmax(axis=1),
        "you compared image and mean by cosine similarity, the angle between them, which "
        "ignores how bright they are. Near a tie it picks another class than the Euclidean "
        "distance the exercise asks for: the square root of the sum of squared pixel differences.",
    ),
    Mistake(
        "dot-product",
        lambda m, x: (_pixels(x) @ _pixels(m).T).argmax(axis=1),
        "you picked the class with the largest dot product of image and mean, which favours "
        "bright means over near ones: compute the Euclidean distance, the square root of the sum "
        "of squared pixel differences, and take the smallest.",
    ),
    Mistake(
        "unsquared-differences",
        lambda m, x: _per_class(m, x, lambda x, mean: (x - mean).sum(axis=(1, 2))).argmin(axis=1),
        "without squaring, the positive and negative differences cancel out: sum(images - mean) "
        "is smallest for the brightest mean, whatever the image. Square the differences before "
        "summing them.",
    ),
    Mistake(
        "abs-of-sum",
        lambda m, x: _per_class(m, x, lambda x, mean: np.abs((x - mean).sum(axis=(1, 2)))).argmin(
            axis=1
        ),
        "you compared the total brightness of image and mean (the absolute value of the summed "
        "differences), so differences in opposite directions cancel: square each pixel's "
        "difference first, then sum.",
    ),
    Mistake(
        "matrix-2-norm",
        lambda m, x: _per_class(
            m, x, lambda x, mean: np.linalg.norm(x - mean, ord=2, axis=(1, 2))
        ).argmin(axis=1),
        "np.linalg.norm with ord=2 over two axes is a matrix norm (the largest singular value), "
        "not the Euclidean distance over all the pixels: leave ord out (over two axes the default "
        "is the Euclidean one), or flatten the images first.",
    ),
    Mistake(
        "distances",
        lambda m, x: euclidean_distances(m, x),
        "you returned the distances themselves, one per (image, class) pair: return, for each "
        "image, the class of the smallest one, distances.argmin(axis=1).",
    ),
    Mistake(
        "argmin-axis-0",
        lambda m, x: euclidean_distances(m, x).argmin(axis=0),
        "you took the argmin over axis 0, the images, which gives for each class the image "
        "nearest to its mean: take it over axis 1, the classes, to get one class per image.",
    ),
    Mistake(
        "sum-over-wrong-axes",
        lambda m, x: ((x[:, None] - m[None]) ** 2).sum(axis=(1, 2)).argmin(axis=1),
        "you summed the squared differences of the (N, K, 28, 28) array over axes 1 and 2, the "
        "classes and the pixel rows: sum over the two pixel axes, axis=(2, 3), so that one "
        "distance is left per (image, class) pair.",
    ),
    Mistake(
        "plus-one",
        lambda m, x: euclidean_distances(m, x).argmin(axis=1) + 1,
        "every prediction is one too high: classes count from 0, like the rows of class_means "
        "(class_means[0] is the mean of class 0).",
    ),
    Mistake(
        "first-ten-classes",
        _first_ten_classes,
        "your function looks at the first 10 classes only, but this case has more: don't assume "
        "there are 10; loop over class_means itself, or use len(class_means).",
    ),
]

NEAREST_MEAN_PRAISE = (
    "Correct: every image gets the class whose mean image is nearest, for 10 classes and for 4."
)
SAFE_GAP = 0.002  # the second-nearest mean is this much (relatively) farther: float32 agrees


def _class_means(rng: np.random.Generator, num_classes: int) -> np.ndarray:
    """Float means in [0, 255], each class with its own brightness (so cosine differs).

    The brightest mean is class 2, not 0 or the last: an answer that always predicts the
    brightest class is then not mistaken for one that always predicts 0.
    """
    brightness = rng.uniform(0.4, 1.0, num_classes)[:, None, None]
    means = rng.uniform(0, 1, (num_classes, 28, 28)) ** 3 * 255 * brightness
    brightest = int(means.sum(axis=(1, 2)).argmax())
    means[[2, brightest]] = means[[brightest, 2]]
    return means


def _candidates(rng, class_means, count: int, halfway: bool) -> np.ndarray:
    """uint8 images near a class mean, or nearly halfway between two means (near a tie)."""
    num_classes = len(class_means)
    first = rng.integers(0, num_classes, count)
    second = (first + rng.integers(1, num_classes, count)) % num_classes
    share = rng.uniform(0.45, 0.5, count) if halfway else rng.uniform(0, 0.2, count)
    noise = rng.normal(0, 20, (count, 28, 28))
    noise += np.where(rng.random((count, 28, 28)) < 0.1, rng.normal(0, 120, noise.shape), 0)
    blend = class_means[first] + share[:, None, None] * (class_means[second] - class_means[first])
    return np.clip(blend + noise, 0, 255).round().astype(np.uint8)


def _pick_images(rng, class_means, count: int, share_of_ties: float) -> np.ndarray:
    """``count`` images without near ties: ``share_of_ties`` of them where the Manhattan
    distance, and as many where cosine similarity, picks another class than Euclid does."""
    wanted = int(count * share_of_ties)
    quotas = {"manhattan": wanted, "cosine": wanted, "other": count - 2 * wanted}
    picked: dict[str, list] = {kind: [] for kind in quotas}
    for _ in range(50):  # a few rounds are enough; the bound only guards against a bad seed
        images = _candidates(rng, class_means, 2 * count, halfway=wanted > 0)
        distances = euclidean_distances(class_means, images)
        two_nearest = np.sort(distances, axis=1)[:, :2]
        safe = two_nearest[:, 1] - two_nearest[:, 0] > SAFE_GAP * two_nearest[:, 0]
        nearest = distances.argmin(axis=1)
        manhattan = _manhattan_distances(class_means, images).argmin(axis=1) != nearest
        cosine = _cosine_similarities(class_means, images).argmax(axis=1) != nearest
        for i in np.flatnonzero(safe):
            kind = "manhattan" if manhattan[i] else "cosine" if cosine[i] else "other"
            if len(picked[kind]) < quotas[kind]:
                picked[kind].append(images[i])
        if all(len(picked[kind]) == quota for kind, quota in quotas.items()):
            return rng.permutation(np.stack([image for kind in quotas for image in picked[kind]]))
    raise RuntimeError("could not build the images of a nearest-mean case")  # pragma: no cover


def nearest_mean_cases() -> list[tuple[np.ndarray, np.ndarray, str]]:
    """The (class_means, images) 1.4 tries, in this order, with what each case is (read-only).

    No image is near an exact tie, so distances in float32 pick the same class; but except in
    the first case and the single image, some images lie nearly halfway between two means,
    where the Manhattan distance, or cosine similarity, picks another class than Euclid's.

    >>> [(len(means), len(images)) for means, images, _ in nearest_mean_cases()]
    [(10, 41), (10, 60), (10, 10), (10, 1), (13, 50), (4, 23), (10, 40), (10, 1000)]
    """
    return list(_nearest_mean_cases())


@lru_cache(maxsize=1)
def _nearest_mean_cases() -> tuple[tuple[np.ndarray, np.ndarray, str], ...]:
    """Built once (half a second): the checks only read them, and give the student copies."""
    cases = []
    for seed, num_classes, count, share_of_ties, case in (
        (41, 10, 41, 0, "for 41 images and 10 class means"),
        (42, 10, 60, 0.25, "for 60 images nearly halfway between two class means"),
        (43, 10, 10, 0.25, "for 10 images and 10 class means"),
        (44, 10, 1, 0, "for a single image"),
        (45, 13, 50, 0.25, "with 13 classes"),
        (46, 4, 23, 0.25, "with 4 classes"),
        (47, 10, 40, 0.25, "for float32 images and means scaled to [0, 1]"),
        (48, 10, 1000, 0.05, "for 1,000 images"),
    ):
        rng = np.random.default_rng(seed)
        class_means = _class_means(rng, num_classes)
        images = _pick_images(rng, class_means, count, share_of_ties)
        if case.startswith("for float32"):
            class_means, images = (class_means / 255).astype(np.float32), images / np.float32(255)
        class_means.setflags(write=False)
        images.setflags(write=False)
        cases.append((class_means, images, case))
    return tuple(cases)


def nearest_mean_predict(function) -> CheckResult:
    """Exercise 1.4: ``nearest_mean_predict(class_means, images)`` returns the class of the nearest mean.

    >>> nearest_mean_predict(lambda class_means, images: np.zeros(len(images), dtype=int)).status
    'fail'
    """

    def test(function):
        for class_means, images, case in nearest_mean_cases():
            answer = call(function, class_means.copy(), images.copy())
            _compare_predictions(answer, class_means, images, case)
        return NEAREST_MEAN_PRAISE

    return run_check("1.4", function, test)


def _compare_predictions(answer, class_means: np.ndarray, images: np.ndarray, case: str) -> None:
    distances = euclidean_distances(class_means, images)
    nearest = distances.argmin(axis=1)
    if _agrees(answer, nearest):
        return
    with _quietly():
        mistake = matching_mistake(answer, NEAREST_MEAN_MISTAKES, (class_means, images), _agrees)
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    raise Hint(f"{case}, {_predictions_difference(answer, distances)}")


def _predictions_difference(answer, distances: np.ndarray) -> str:
    """What differs from the right predictions, as a sentence (no known mistake matched)."""
    num_images, num_classes = distances.shape
    predictions = _numbers(answer, "the predictions")
    if predictions.shape != (num_images,):
        pairs = (
            " one number per (image, class) pair;" if predictions.shape == distances.shape else ""
        )
        return (
            f"the predictions should have shape ({num_images},), one class per image, but yours "
            f"has shape {predictions.shape}:{pairs} return one class number per image."
        )
    values = predictions.astype(np.float64)
    fractions = values[values != np.round(values)]
    if fractions.size:
        return (
            f"the predictions should be class numbers, whole numbers from 0 to {num_classes - 1}, "
            f"but they include {_number(fractions[0])}."
        )
    if values.min() < 0 or values.max() >= num_classes:
        return (
            f"the predictions should be class numbers from 0 to {num_classes - 1}, but yours go "
            f"from {_number(predictions.min())} to {_number(predictions.max())}."
        )
    nearest = distances.argmin(axis=1)
    image = int(np.flatnonzero(values != nearest)[0])
    predicted = int(values[image])
    return (
        f"image {image} is nearest to the mean of class {nearest[image]} (distance "
        f"{distances[image, nearest[image]]:.6g}), but you predicted class {predicted} "
        f"(distance {distances[image, predicted]:.6g})."
    )
