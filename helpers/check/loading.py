"""Self-checks for exercise set 01, loading and exploring MNIST (exercises 1.1 to 1.4).

Each check calls the student's function on fresh random data, so a hard-coded answer fails:

    >>> check.count_per_digit(lambda labels: np.bincount(labels, minlength=10))  # doctest: +SKIP
    ✅ Exercise 1.1: Correct: ...
"""

from __future__ import annotations

import numpy as np

from ..check_results import CheckResult
from .framework import Hint, as_array, call, expect_shape, mnist_data, run_check


def mnist_training_images() -> np.ndarray:
    """MNIST's 60,000 training images (uint8, read-only), for the checks that compare with them.

    >>> mnist_training_images().shape  # doctest: +SKIP
    (60000, 28, 28)
    """
    (x_train, _), _ = mnist_data()
    return x_train


def fake_digits(rng: np.random.Generator, labels: np.ndarray, size: int = 28) -> np.ndarray:
    """Random uint8 "images" with mostly black pixels and a brightness that depends on the label.

    >>> fake_digits(np.random.default_rng(0), np.array([3, 1])).shape
    (2, 28, 28)
    """
    shape = (len(labels), size, size)
    ink = rng.random(shape) < 0.2
    brightness = rng.integers(1, 256, shape)
    images = np.where(ink, np.minimum(brightness + 10 * labels[:, None, None], 255), 0)
    return images.astype(np.uint8)


def integer_labels(answer, name: str) -> np.ndarray:
    """The answer as a NumPy array of whole numbers, or a hint."""
    array = as_array(answer, name)
    if array.dtype == object or not np.issubdtype(array.dtype, np.number) and array.dtype != bool:
        raise Hint(f"{name} should hold numbers, but it holds {array.dtype} values.")
    if np.issubdtype(array.dtype, np.floating):
        fractions = array[array != np.round(array)]
        if fractions.size:
            raise Hint(
                f"{name} should hold whole numbers, but it holds fractions such as {fractions[0]:g}."
            )
    return array


# --- 1.1 ---------------------------------------------------------------------------------------


def count_per_digit(function) -> CheckResult:
    """Exercise 1.1: ``count_per_digit(labels)`` returns 10 counts, one per digit 0-9."""

    def test(function):
        rng = np.random.default_rng(11)
        labels = rng.integers(0, 10, 997).astype(np.uint8)
        _compare_counts(call(function, labels.copy()), labels, "with all ten digits present")

        missing = labels[(labels != 3) & (labels != 9)]
        _compare_counts(call(function, missing.copy()), missing, "with the digits 3 and 9 missing")
        return "Correct: ten counts in digit order, and a digit that never appears (3 and 9 here) counts 0."

    return run_check("1.1", function, test)


def _compare_counts(answer, labels: np.ndarray, case: str) -> np.ndarray:
    expected = np.bincount(labels, minlength=10)
    if isinstance(answer, tuple) and len(answer) == 2:
        raise Hint(
            "your function returns two things (a tuple). If they come from np.unique(labels, "
            "return_counts=True), that gives (values, counts): return only the counts, and make "
            "sure every digit gets one."
        )
    counts = integer_labels(answer, "the counts")
    if counts.ndim == 1 and len(counts) < 10:
        present = np.unique(labels)
        if np.array_equal(counts, present):
            raise Hint(
                f"{case}, you returned the digits that appear, {counts.tolist()}, not how often "
                "each appears."
            )
        raise Hint(
            f"{case}, you returned {len(counts)} counts instead of 10: a digit that never "
            "appears still needs a count of 0 (np.unique only lists the values it finds; "
            "np.bincount has a `minlength` argument)."
        )
    expect_shape(counts, (10,), "the counts")
    if np.array_equal(counts, np.arange(10)):
        raise Hint("you returned the digits 0 to 9 themselves, not how often each one appears.")
    if np.array_equal(counts, expected):
        return counts
    if counts.sum() != len(labels):
        raise Hint(
            f"{case}, your counts add up to {counts.sum()}, but there are {len(labels)} labels: "
            "every label should be counted exactly once."
        )
    if np.array_equal(np.sort(counts), np.sort(expected)):
        raise Hint(
            f"{case}, these are the right counts in the wrong order: position d must hold "
            f"the count of digit d (expected {expected.tolist()}, got {counts.tolist()})."
        )
    digit = int(np.flatnonzero(counts != expected)[0])
    raise Hint(
        f"{case}, digit {digit} appears {expected[digit]} times, but your count says {counts[digit]}."
    )


# --- 1.2 ---------------------------------------------------------------------------------------


def ink_per_image(function) -> CheckResult:
    """Exercise 1.2: ``ink_per_image(images)`` returns, per image, how many pixels are not 0."""

    def test(function):
        rng = np.random.default_rng(12)
        images = fake_digits(rng, rng.integers(0, 10, 37))
        images[5] = 0  # a blank image has no ink at all
        images[6] = 1  # the faintest ink still counts
        expected = (images != 0).sum(axis=(1, 2))

        ink = as_array(call(function, images.copy()), "the ink counts")
        if ink.ndim == 0:
            raise Hint(
                f"you returned one number ({ink}) for all 37 images together: the answer needs "
                "one count per image, so count over the pixel axes only (axis=(1, 2))."
            )
        if ink.shape == (28, 28):
            raise Hint(
                "your answer has shape (28, 28): you counted over axis 0, the images. Count over "
                "the pixel axes, axis=(1, 2), to get one number per image."
            )
        expect_shape(ink, (37,), "the ink counts (one per image)")
        if np.array_equal(ink, images.sum(axis=(1, 2), dtype=np.int64)):
            raise Hint(
                "these are the sums of the pixel values (how bright each image is), not the number "
                "of inked pixels: count the pixels where `images > 0`."
            )
        if np.all(ink == 784):
            raise Hint(
                "every image gets 784, every pixel: a comparison like `images >= 0` is true for all "
                "pixels. Count only the pixels that are not 0."
            )
        if not np.array_equal(ink, expected):
            i = int(np.flatnonzero(ink != expected)[0])
            blank = (
                " (it is completely black)"
                if i == 5
                else " (all its pixels are 1, very faint ink)"
                if i == 6
                else ""
            )
            raise Hint(
                f"image {i}{blank} has {expected[i]} non-zero pixels, but your answer says {ink[i]}."
            )
        return (
            "Correct: one count per image, a blank image counts 0 and even the faintest ink counts."
        )

    return run_check("1.2", function, test)


# --- 1.3 ---------------------------------------------------------------------------------------


def mean_image_per_digit(function) -> CheckResult:
    """Exercise 1.3: ``mean_image_per_digit(images, labels)`` returns the 10 mean images, shape (10, 28, 28)."""

    def test(function):
        rng = np.random.default_rng(13)
        labels = rng.permutation(np.arange(503) % 10).astype(np.uint8)
        images = fake_digits(rng, labels)
        expected = np.stack([images[labels == d].mean(axis=0) for d in range(10)])

        means = as_array(call(function, images.copy(), labels.copy()), "the mean images")
        if means.shape == (28, 28, 10):
            raise Hint(
                "your answer has shape (28, 28, 10): the digit should be the FIRST axis, so that "
                "means[d] is digit d's mean image (np.stack stacks along axis 0 by default)."
            )
        expect_shape(means, (10, 28, 28), "the mean images")
        if np.allclose(means, images.mean(axis=0), atol=1e-3):
            raise Hint(
                "all ten images equal the mean of ALL the images: average only the images of digit d, "
                "e.g. images[labels == d].mean(axis=0)."
            )
        if np.allclose(means, expected, rtol=1e-5, atol=1e-4):
            return "Correct: ten mean images, one per digit, with fractional pixel values kept."
        if np.allclose(means, np.floor(expected)) or np.issubdtype(means.dtype, np.integer):
            raise Hint(
                "the means were rounded down to whole numbers. Did you fill an array made with "
                "np.zeros_like(images...)? That copies uint8; give it dtype float instead "
                "(or stack the means, which keeps their float dtype)."
            )
        for d in range(10):
            if not np.allclose(means[d], expected[d], rtol=1e-5, atol=1e-4):
                matches = [
                    k for k in range(10) if np.allclose(means[d], expected[k], rtol=1e-5, atol=1e-4)
                ]
                if matches:
                    raise Hint(
                        f"means[{d}] is the mean image of digit {matches[0]}: row d must be digit d's mean."
                    )
                raise Hint(
                    f"means[{d}] is not the mean of the images labelled {d} (compare with images[labels == {d}].mean(axis=0))."
                )
        raise Hint("the mean images are not right.")  # unreachable: some row differs

    return run_check("1.3", function, test)


# --- 1.4 ---------------------------------------------------------------------------------------


def nearest_mean_predict(function) -> CheckResult:
    """Exercise 1.4: ``nearest_mean_predict(class_means, images)`` returns the class of the nearest mean."""

    def test(function):
        class_means, images, distances = nearest_mean_case(10, 41, seed=14)
        _compare_predictions(call(function, class_means.copy(), images.copy()), distances)

        class_means, images, distances = nearest_mean_case(4, 23, seed=15)
        try:
            _compare_predictions(call(function, class_means.copy(), images.copy()), distances)
        except Hint as hint:
            raise Hint(
                f"your function works for 10 classes but not for 4: {str(hint).rstrip('.')}. "
                "Don't assume there are exactly 10 classes; use len(class_means)."
            ) from None
        return "Correct: every image gets the class whose mean image is nearest, for 10 classes and for 4."

    return run_check("1.4", function, test)


def nearest_mean_case(
    num_classes: int, num_images: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float class means, uint8 images near them, and the exact (images, classes) distances."""
    rng = np.random.default_rng(seed)
    class_means = rng.uniform(0, 255, (num_classes, 28, 28))
    true_classes = rng.integers(0, num_classes, num_images)
    noise = rng.normal(0, 110, (num_images, 28, 28))
    images = np.clip(class_means[true_classes] + noise, 0, 255).astype(np.uint8)
    differences = images[:, None].astype(np.float64) - class_means[None]
    distances = np.sqrt((differences**2).sum(axis=(2, 3)))
    return class_means, images, distances


def _compare_predictions(answer, distances: np.ndarray) -> None:
    num_images, num_classes = distances.shape
    predictions = as_array(answer, "the predictions")
    if predictions.shape == distances.shape:
        raise Hint(
            f"you returned an array of shape {predictions.shape}, one number per (image, class): "
            "these look like the distances themselves. Return, per image, the index of the "
            "smallest one (argmin over the class axis)."
        )
    if predictions.shape == (num_classes,):
        raise Hint(
            f"you returned {num_classes} predictions for {num_images} images: take the argmin over "
            "the class axis (axis=1), not over the images (axis=0)."
        )
    expect_shape(predictions, (num_images,), "the predictions (one per image)")
    predictions = integer_labels(predictions, "the predictions")
    if predictions.min() < 0 or predictions.max() >= num_classes:
        raise Hint(
            f"predictions should be class numbers 0 to {num_classes - 1}, but yours go up to "
            f"{predictions.max()}. Did you sum the squared differences over the wrong axes? Sum "
            "over the two pixel axes, so that one distance is left per (image, class) pair."
        )
    nearest = distances.argmin(axis=1)
    if np.array_equal(predictions, nearest):
        return
    if np.array_equal(predictions, distances.argmax(axis=1)):
        raise Hint("you picked the class whose mean is FARTHEST away: use argmin, not argmax.")
    wrong = int(np.flatnonzero(predictions != nearest)[0])
    raise Hint(
        f"with {num_classes} classes, image {wrong} is nearest to the mean of class {nearest[wrong]} "
        f"(distance {distances[wrong, nearest[wrong]]:.1f}), but you predicted {predictions[wrong]} "
        f"(distance {distances[wrong, predictions[wrong]]:.1f}). Is your distance the square root "
        "of the sum of squared pixel differences?"
    )
