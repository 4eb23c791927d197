"""The self-checks of exercise set 01 (loading and exploring MNIST): a right answer passes, a stub
is "not done", and each typical wrong answer fails with the hint for its own mistake.

The typical mistakes are stated once, in the check module's tables; the tests submit each entry
as a student's answer. Wrong answers no table entry describes are written out here, with the
"what differs" message they should get.
"""

from __future__ import annotations

import time
from collections import Counter

import numpy as np
import pytest

from helpers import check
from helpers.check.loading import (
    COUNT_MISTAKES,
    COUNT_PRAISE,
    INK_MISTAKES,
    INK_PRAISE,
    MEAN_IMAGE_MISTAKES,
    MEAN_IMAGE_PRAISE,
    NEAREST_MEAN_MISTAKES,
    NEAREST_MEAN_PRAISE,
    SAFE_GAP,
    count_cases,
    euclidean_distances,
    ink_cases,
    mean_image_cases,
    nearest_mean_cases,
)
from tests.check_assertions import assert_fail, assert_not_done, assert_pass, stub


def names(table):
    return [mistake.name for mistake in table]


@pytest.mark.parametrize(
    "table", [COUNT_MISTAKES, INK_MISTAKES, MEAN_IMAGE_MISTAKES, NEAREST_MEAN_MISTAKES]
)
def test_each_table_has_six_or_more_mistakes_with_distinct_names_and_hints(table):
    assert len(table) >= 6
    assert len(set(names(table))) == len(table)
    assert len({mistake.hint for mistake in table}) == len(table)


# --- 1.1 count_per_digit -----------------------------------------------------------------------


def count_per_digit_solution(labels):
    return np.bincount(labels, minlength=10)  # as in solutions/01_loading_and_exploring.ipynb


def count_with_loop(labels):
    counts = [0] * 10
    for label in labels:
        counts[label] += 1
    return counts


def count_with_unique(labels):
    digits, counts = np.unique(labels, return_counts=True)
    result = np.zeros(10, dtype=np.int32)
    result[digits] = counts
    return result


def count_in_float64(labels):
    counts = np.zeros(10)
    np.add.at(counts, np.asarray(labels), 1)
    return counts


@pytest.mark.parametrize(
    "answer",
    [
        count_per_digit_solution,
        lambda labels: [int(np.sum(np.asarray(labels) == digit)) for digit in range(10)],
        lambda labels: [Counter(labels)[digit] for digit in range(10)],
        count_with_loop,
        count_with_unique,
        count_in_float64,
        lambda labels: (np.asarray(labels)[:, None] == np.arange(10)).sum(axis=0),
        lambda labels: np.histogram(labels, bins=10, range=(0, 10))[0],
    ],
    ids=[
        "solution",
        "comparisons-as-array",
        "counter-in-digit-order",
        "python-loop",
        "unique-into-int32",
        "float64-add-at",
        "broadcasting",
        "histogram",
    ],
)
def test_count_per_digit_passes_right_answers(answer):
    result = check.count_per_digit(answer)
    assert_pass(result)
    assert result.message == COUNT_PRAISE


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_count_per_digit_not_done(answer):
    assert_not_done(check.count_per_digit(answer))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("mistake", COUNT_MISTAKES, ids=names(COUNT_MISTAKES))
def test_count_per_digit_names_each_known_mistake(mistake):
    assert_fail(check.count_per_digit(mistake.implementation), mistake.hint)


MNIST_TRAINING_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda labels: None, "your answer is None: did your function forget to `return` it?"),
        (
            lambda labels: [str(count) for count in np.bincount(labels, minlength=10)],
            "the counts should be numbers, but your function returned text (strings).",
        ),
        (
            lambda labels: np.bincount(labels, minlength=11),
            "for 47 labels with every digit, you returned 11 counts instead of 10",
        ),
        (
            lambda labels: np.bincount(labels, minlength=10)[:, None],
            "a flat array of 10 numbers, but yours has shape (10, 1).",
        ),
        (
            lambda labels: np.array(MNIST_TRAINING_COUNTS),
            "digit 0 appears 5 times, but your count says 5923. Your counts add up to 60,000, "
            "but there are 47 labels.",
        ),
        (
            lambda labels: np.bincount(labels[1:], minlength=10),
            "for 47 labels with every digit, digit 4 appears 5 times, but your count says 4. "
            "Your counts add up to 46, but there are 47 labels.",
        ),
        (
            lambda labels: np.bincount(labels, minlength=10)[::-1],
            "digit 0 appears 5 times, but your count says 4.",
        ),
        (
            lambda labels: {str(digit): count for digit, count in Counter(labels).items()},
            "you returned a dict: return the 10 counts in digit order",
        ),
        (
            lambda labels: np.bincount(labels, minlength=10) + (len(labels) == 1),
            "for a single label, 7, digit 0 appears 0 times, but your count says 1.",
        ),
        (
            lambda labels: (count for count in np.bincount(labels, minlength=10)),
            "the counts should be numbers, but your function returned a generator.",
        ),
        (
            lambda labels: len(labels),
            "for 47 labels with every digit, you returned a single number, 47: return 10 "
            "counts, one per digit 0 to 9.",
        ),
    ],
    ids=[
        "no-return",
        "strings",
        "eleven-counts",
        "column",
        "hard-coded-mnist",
        "skips-first-label",
        "reversed",
        "dict-with-text-keys",
        "wrong-for-one-label",
        "generator",
        "number-of-labels",
    ],
)
def test_count_per_digit_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.count_per_digit(answer), phrase)


def test_count_cases_expose_uint8_overflow_missing_digits_and_lists():
    cases = count_cases()
    counts = [np.bincount(np.asarray(labels), minlength=10) for labels, _ in cases]
    assert counts[1][[3, 9]].tolist() == [0, 0]
    assert counts[1][counts[1] > 0].min() > 255  # every count present wraps in uint8
    assert cases[1][0].dtype == np.uint8 and cases[3][0].dtype == np.uint8
    assert len(cases[3][0]) == 60000
    assert isinstance(cases[-1][0], list) and all(type(label) is int for label in cases[-1][0])


def test_count_per_digit_error_is_one_line():
    message = check.count_per_digit(lambda labels: labels.count(3)).message
    assert message == (
        "calling your function raised AttributeError: 'numpy.ndarray' object has no attribute "
        "'count'"
    )


# --- 1.2 ink_per_image -------------------------------------------------------------------------


def ink_per_image_solution(images):
    return (images > 0).sum(axis=(1, 2))  # as in solutions/01_loading_and_exploring.ipynb


def ink_in_float64(images):
    ink = np.zeros(len(images))
    for i, image in enumerate(images):
        ink[i] = np.count_nonzero(image)
    return ink


@pytest.mark.parametrize(
    "answer",
    [
        ink_per_image_solution,
        lambda images: (images != 0).sum(axis=(1, 2)),
        lambda images: np.count_nonzero(images, axis=(1, 2)),
        lambda images: images.astype(bool).reshape(len(images), -1).sum(axis=1),
        lambda images: [int(np.count_nonzero(image)) for image in images],
        lambda images: np.sum(images > 0, axis=(1, 2), dtype=np.uint16),
        ink_in_float64,
        lambda images: (images > 0).mean(axis=(1, 2)) * 784,
    ],
    ids=[
        "solution",
        "not-equal-0",
        "count-nonzero",
        "bool-flattened",
        "list-of-ints",
        "uint16-is-wide-enough",
        "float64-loop",
        "mean-times-784",
    ],
)
def test_ink_per_image_passes_right_answers(answer):
    result = check.ink_per_image(answer)
    assert_pass(result)
    assert result.message == INK_PRAISE


def test_ink_per_image_not_done():
    assert_not_done(check.ink_per_image(stub))


@pytest.mark.parametrize("mistake", INK_MISTAKES, ids=names(INK_MISTAKES))
def test_ink_per_image_names_each_known_mistake(mistake):
    assert_fail(check.ink_per_image(mistake.implementation), mistake.hint)


def test_ink_per_image_uint8_overflow_is_caught_on_the_dense_images():
    uint8_counts = next(m for m in INK_MISTAKES if m.name == "uint8-counts")
    message = check.ink_per_image(uint8_counts.implementation).message
    assert message.startswith("for 28 images, some with more than 255 inked pixels, ")


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda images: None, "your answer is None: did your function forget to `return` it?"),
        (
            lambda images: [str(n) for n in ink_per_image_solution(images)],
            "the ink counts should be numbers, but your function returned text (strings).",
        ),
        (
            lambda images: ink_per_image_solution(images)[:-1],
            "for 37 images, the ink counts should have shape (37,), one count per image, but "
            "yours has shape (36,).",
        ),
        (
            lambda images: ink_per_image_solution(images)[:, None],
            "should have shape (37,), one count per image, but yours has shape (37, 1).",
        ),
        (
            lambda images: ink_per_image_solution(images)[::-1],
            "for 37 images, image 0 has 144 inked pixels, but your answer says 128.",
        ),
        (
            lambda images: ink_per_image_solution(images[:, 1:-1, 1:-1]),
            "for 37 images, image 0 has 144 inked pixels, but your answer says 126.",
        ),
    ],
    ids=["no-return", "strings", "one-short", "column", "reversed", "border-left-out"],
)
def test_ink_per_image_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.ink_per_image(answer), phrase)


def test_ink_cases_expose_blank_faint_dense_and_shape_assumptions():
    cases = ink_cases()
    first, dense = cases[0][0], cases[1][0]
    assert not first[5].any() and set(np.unique(first[6])) == {0, 1}
    ink = (dense > 0).sum(axis=(1, 2))
    assert len(dense) == 28 and ink.max() > 511 and (ink > 255).sum() >= 10
    assert all(images.dtype == np.uint8 for images, _ in cases)
    assert [len(images) for images, _ in cases] == [37, 28, 1, 5000]


# --- 1.3 mean_image_per_digit ------------------------------------------------------------------


def mean_image_solution(images, labels):
    return np.stack([images[labels == digit].mean(axis=0) for digit in range(10)])


def means_by_sums_and_counts(images, labels):
    sums = np.zeros((10, 28, 28))
    np.add.at(sums, labels, images)
    return sums / np.bincount(labels, minlength=10)[:, None, None]


def means_with_zeros_for_missing_digits(images, labels):
    means = np.zeros((10, 28, 28), dtype=np.float32)
    for digit in np.unique(labels):
        means[digit] = images[labels == digit].mean(axis=0)
    return means


def means_by_one_hot_matmul(images, labels):
    one_hot = np.eye(10)[labels]
    sums = one_hot.T @ images.reshape(len(images), -1)
    return (sums / one_hot.sum(axis=0)[:, None]).reshape(10, 28, 28)


def means_as_nested_lists(images, labels):
    return [images[labels == digit].astype(np.float64).mean(axis=0).tolist() for digit in range(10)]


@pytest.mark.parametrize(
    "answer",
    [
        mean_image_solution,
        lambda images, labels: np.array(
            [images[labels == d].astype(np.float32).mean(axis=0) for d in range(10)]
        ),
        means_by_sums_and_counts,
        means_with_zeros_for_missing_digits,
        means_by_one_hot_matmul,
        means_as_nested_lists,
    ],
    ids=["solution", "float32", "sums-over-counts", "zeros-for-missing", "matmul", "nested-lists"],
)
def test_mean_image_per_digit_passes_right_answers(answer):
    result = check.mean_image_per_digit(answer)
    assert_pass(result)
    assert result.message == MEAN_IMAGE_PRAISE


def test_mean_image_per_digit_shows_no_numpy_warnings_for_a_missing_digit(recwarn):
    assert_pass(check.mean_image_per_digit(mean_image_solution))
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_mean_image_per_digit_not_done():
    assert_not_done(check.mean_image_per_digit(stub))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("mistake", MEAN_IMAGE_MISTAKES, ids=names(MEAN_IMAGE_MISTAKES))
def test_mean_image_per_digit_names_each_known_mistake(mistake):
    assert_fail(check.mean_image_per_digit(mistake.implementation), mistake.hint)


def means_with_garbage_for_missing_digit(images, labels):
    means = np.full((10, 28, 28), 7.0)
    for digit in np.unique(labels):
        means[digit] = images[labels == digit].mean(axis=0)
    return means


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (
            lambda images, labels: None,
            "your answer is None: did your function forget to `return` it?",
        ),
        (
            lambda images, labels: mean_image_solution(images, labels).astype(str),
            "the mean images should be numbers, but your function returned text (strings).",
        ),
        (
            lambda images, labels: mean_image_solution(images, labels)[:9],
            "for 50 images, the mean images should have shape (10, 28, 28), one 28×28 image "
            "per digit, but yours has shape (9, 28, 28).",
        ),
        (
            lambda images, labels: mean_image_solution(images, labels).reshape(10, -1),
            "but yours has shape (10, 784).",
        ),
        (
            lambda images, labels: mean_image_solution(images, labels) + 0.5,
            "for 50 images, means[0, 0, 0] should be 0, the mean of that pixel over the 5 images "
            "labelled 0, but it is 0.5.",
        ),
        (
            lambda images, labels: mean_image_solution(images, labels)[::-1],
            "for 50 images, means[0, 0, 0] should be 0, the mean of that pixel over the 5 images "
            "labelled 0, but it is 61.6.",
        ),
        (
            means_with_garbage_for_missing_digit,
            "for 200 images without any 5, no image is labelled 5, so means[5] has nothing to "
            "average: it should be all NaN (what .mean() of no images gives) or all 0",
        ),
    ],
    ids=[
        "no-return",
        "strings",
        "nine-rows",
        "flattened",
        "off-by-half",
        "reversed",
        "garbage-for-missing",
    ],
)
def test_mean_image_per_digit_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.mean_image_per_digit(answer), phrase)


def test_mean_image_cases_expose_overflow_and_a_missing_digit():
    cases = mean_image_cases()
    images, labels, _ = cases[1]
    assert labels.dtype == np.uint8 and np.bincount(labels).min() == 300
    sums = np.stack([images[labels == d].sum(axis=0) for d in range(10)])
    assert sums.max() > 20000  # far past uint8's 255
    assert 5 not in cases[2][1] and len(np.unique(cases[2][1])) == 9
    assert len(cases[3][1]) == 6000


# --- 1.4 nearest_mean_predict ------------------------------------------------------------------


def nearest_mean_solution(class_means, images):
    distances = np.stack(  # as in solutions/01_loading_and_exploring.ipynb
        [np.sqrt(((images - mean) ** 2).sum(axis=(1, 2))) for mean in class_means], axis=1
    )
    return distances.argmin(axis=1)


def nearest_by_broadcasting_float32(class_means, images):
    differences = images[:, None].astype(np.float32) - class_means[None].astype(np.float32)
    flat = differences.reshape(len(images), len(class_means), -1)
    return np.linalg.norm(flat, axis=2).argmin(axis=1)


def nearest_by_squared_distances(class_means, images):
    return ((images[:, None] - class_means[None]) ** 2).sum(axis=(2, 3)).argmin(axis=1)


def nearest_by_matmul_expansion(class_means, images):
    x = images.reshape(len(images), -1).astype(np.float64)
    m = class_means.reshape(len(class_means), -1).astype(np.float64)
    squared = (x**2).sum(axis=1)[:, None] - 2 * x @ m.T + (m**2).sum(axis=1)[None]
    return np.argmin(squared, axis=1)


def nearest_by_python_loop(class_means, images):
    predictions = []
    for image in images:
        distances = [np.linalg.norm(image - mean) for mean in class_means]
        predictions.append(min(range(len(class_means)), key=distances.__getitem__))
    return predictions


def nearest_by_root_mean_square(class_means, images):
    distances = [np.sqrt(((images - mean) ** 2).mean(axis=(1, 2))) for mean in class_means]
    return np.argmin(np.array(distances), axis=0)


@pytest.mark.parametrize(
    "answer",
    [
        nearest_mean_solution,
        nearest_by_broadcasting_float32,
        nearest_by_squared_distances,
        nearest_by_matmul_expansion,
        nearest_by_python_loop,
        nearest_by_root_mean_square,
        lambda m, x: np.stack([np.linalg.norm(x - mean, axis=(1, 2)) for mean in m], 1).argmin(1),
    ],
    ids=[
        "solution",
        "broadcasting-float32",
        "squared-no-sqrt",
        "matmul-expansion",
        "python-loop-list",
        "root-mean-square",
        "frobenius-norm",
    ],
)
def test_nearest_mean_predict_passes_right_answers(answer):
    result = check.nearest_mean_predict(answer)
    assert_pass(result)
    assert result.message == NEAREST_MEAN_PRAISE


def test_nearest_mean_predict_not_done():
    assert_not_done(check.nearest_mean_predict(stub))


@pytest.mark.parametrize("mistake", NEAREST_MEAN_MISTAKES, ids=names(NEAREST_MEAN_MISTAKES))
def test_nearest_mean_predict_names_each_known_mistake(mistake):
    assert_fail(check.nearest_mean_predict(mistake.implementation), mistake.hint)


@pytest.mark.parametrize(
    "name, case",
    [
        ("manhattan", "for 60 images nearly halfway between two class means, "),
        ("cosine", "for 60 images nearly halfway between two class means, "),
        ("first-ten-classes", "with 13 classes, "),
    ],
)
def test_nearest_mean_predict_catches_metric_and_class_count_mistakes_where_they_show(name, case):
    mistake = next(m for m in NEAREST_MEAN_MISTAKES if m.name == name)
    assert check.nearest_mean_predict(mistake.implementation).message == case + mistake.hint


def squared_distances(class_means, images):
    return np.stack([((images - mean) ** 2).sum(axis=(1, 2)) for mean in class_means], axis=1)


def nearest_squeezed(class_means, images):
    return np.squeeze(nearest_mean_solution(class_means, images))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda m, x: None, "your answer is None: did your function forget to `return` it?"),
        (
            lambda m, x: [str(k) for k in nearest_mean_solution(m, x)],
            "the predictions should be numbers, but your function returned text (strings).",
        ),
        (
            squared_distances,
            "the predictions should have shape (41,), one class per image, but yours has shape "
            "(41, 10): one number per (image, class) pair; return one class number per image.",
        ),
        (
            nearest_squeezed,
            "for a single image, the predictions should have shape (1,), one class per image, "
            "but yours has shape ():",
        ),
        (
            lambda m, x: nearest_mean_solution(m, x) / 2,
            "whole numbers from 0 to 9, but they include 1.5.",
        ),
        (
            lambda m, x: nearest_mean_solution(m, x) - 1,
            "should be class numbers from 0 to 9, but yours go from -1 to 8.",
        ),
        (
            lambda m, x: nearest_mean_solution(m, x)[::-1],
            "for 41 images and 10 class means, image 0 is nearest to the mean of class 6 (distance "
            "980.806), but you predicted class 9 (distance 2195.54).",
        ),
        (
            lambda m, x: [0] * len(x),
            "for 41 images and 10 class means, image 0 is nearest to the mean of class 6 "
            "(distance 980.806), but you predicted class 0 (distance 1884.37).",
        ),
    ],
    ids=[
        "no-return",
        "strings",
        "squared-distances",
        "squeezed-single-image",
        "halved",
        "minus-one",
        "reversed",
        "always-class-0",
    ],
)
def test_nearest_mean_predict_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.nearest_mean_predict(answer), phrase)


def test_nearest_mean_predict_error_names_the_student_error():
    def fixed_ten_with_indexing(class_means, images):
        return np.stack(
            [((images - class_means[k]) ** 2).sum(axis=(1, 2)) for k in range(11)], axis=1
        ).argmin(axis=1)

    message = check.nearest_mean_predict(fixed_ten_with_indexing).message
    assert "IndexError: index 10 is out of bounds" in message and "\n" not in message


def test_nearest_mean_cases_have_no_near_ties_but_metric_disagreements():
    cases = nearest_mean_cases()
    for class_means, images, _ in cases:
        distances = euclidean_distances(class_means, images)
        two_nearest = np.sort(distances, axis=1)[:, :2]
        assert (two_nearest[:, 1] - two_nearest[:, 0] > SAFE_GAP * two_nearest[:, 0]).all()
    for class_means, images, case in cases[1:3] + cases[4:]:
        x = images.reshape(len(images), -1).astype(np.float64)
        m = class_means.reshape(len(class_means), -1).astype(np.float64)
        nearest = euclidean_distances(class_means, images).argmin(axis=1)
        manhattan = np.abs(x[:, None] - m[None]).sum(axis=2).argmin(axis=1)
        cosine = (x @ m.T / np.linalg.norm(m, axis=1)).argmax(axis=1)
        assert (manhattan != nearest).any() and (cosine != nearest).any(), case
    assert {len(class_means) for class_means, _, _ in cases} == {4, 10, 13}
    assert cases[6][1].dtype == np.float32 and cases[6][1].max() <= 1


def test_every_check_is_fast():
    started = time.perf_counter()
    assert_pass(check.count_per_digit(count_per_digit_solution))
    assert_pass(check.ink_per_image(ink_per_image_solution))
    assert_pass(check.mean_image_per_digit(mean_image_solution))
    assert_pass(check.nearest_mean_predict(nearest_mean_solution))
    assert time.perf_counter() - started < 8
