"""The self-checks of exercise set 01 (loading and exploring MNIST): a right answer passes, a stub is
"not done", and each typical wrong answer fails with the hint for its own mistake."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import check
from helpers.check import loading
from tests.check_assertions import assert_fail, assert_not_done, assert_pass, stub

# --- 1.1 count_per_digit -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        lambda labels: np.bincount(labels, minlength=10),
        lambda labels: [int(np.sum(labels == digit)) for digit in range(10)],
    ],
    ids=["bincount", "list-comprehension"],
)
def test_count_per_digit_passes_right_answers(answer):
    assert_pass(check.count_per_digit(answer))


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_count_per_digit_not_done(answer):
    assert_not_done(check.count_per_digit(answer))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (
            lambda labels: np.unique(labels, return_counts=True)[1],
            "a digit that never appears still needs a count of 0",
        ),
        (lambda labels: np.bincount(labels), "a digit that never appears still needs a count of 0"),
        (lambda labels: np.unique(labels, return_counts=True), "return only the counts"),
        (lambda labels: np.unique(labels), "not how often each one appears"),
        (
            lambda labels: np.bincount(labels, minlength=10)[::-1],
            "the right counts in the wrong order",
        ),
        (
            lambda labels: np.array([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]),
            "add up to 60000",
        ),
        (lambda labels: np.bincount(labels[1:], minlength=10), "add up to 996"),
    ],
    ids=[
        "unique-counts",
        "bincount-no-minlength",
        "unique-tuple",
        "unique-values",
        "reversed",
        "hard-coded-mnist",
        "off-by-one-slice",
    ],
)
def test_count_per_digit_explains_wrong_answers(answer, phrase):
    assert_fail(check.count_per_digit(answer), phrase)


# --- 1.2 ink_per_image -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        lambda images: (images > 0).sum(axis=(1, 2)),
        lambda images: np.count_nonzero(images.reshape(len(images), -1), axis=1),
    ],
    ids=["greater-than-0", "count-nonzero"],
)
def test_ink_per_image_passes_right_answers(answer):
    assert_pass(check.ink_per_image(answer))


def test_ink_per_image_not_done():
    assert_not_done(check.ink_per_image(stub))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda images: images.sum(), "one count per image"),
        (lambda images: (images > 0).sum(axis=0), "you counted over axis 0"),
        (lambda images: images.sum(axis=(1, 2)), "sums of the pixel values"),
        (lambda images: (images >= 0).sum(axis=(1, 2)), "every pixel"),
        (lambda images: (images > 1).sum(axis=(1, 2)), "very faint ink"),
    ],
    ids=["total-sum", "axis-0", "pixel-values", "greater-equal-0", "threshold-1"],
)
def test_ink_per_image_explains_wrong_answers(answer, phrase):
    assert_fail(check.ink_per_image(answer), phrase)


# --- 1.3 mean_image_per_digit ------------------------------------------------------------------


def means_in_uint8_array(images, labels):
    means = np.zeros_like(images[:10])
    for digit in range(10):
        means[digit] = images[labels == digit].mean(axis=0)
    return means


@pytest.mark.parametrize(
    "answer",
    [
        lambda images, labels: np.stack([images[labels == d].mean(axis=0) for d in range(10)]),
        lambda images, labels: np.array(
            [images[labels == d].astype(np.float32).mean(axis=0) for d in range(10)]
        ),
    ],
    ids=["stack", "float32"],
)
def test_mean_image_per_digit_passes_right_answers(answer):
    assert_pass(check.mean_image_per_digit(answer))


def test_mean_image_per_digit_not_done():
    assert_not_done(check.mean_image_per_digit(stub))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda images, labels: np.stack([images.mean(axis=0)] * 10), "the mean of ALL the images"),
        (
            lambda images, labels: np.stack(
                [images[labels == d].mean(axis=0) for d in range(10)], axis=-1
            ),
            "FIRST axis",
        ),
        (means_in_uint8_array, "rounded down to whole numbers"),
        (
            lambda images, labels: np.stack(
                [images[labels == (d + 1) % 10].mean(axis=0) for d in range(10)]
            ),
            "is the mean image of digit 1",
        ),
    ],
    ids=["mean-of-all", "digit-last", "uint8-truncated", "shifted-digits"],
)
def test_mean_image_per_digit_explains_wrong_answers(answer, phrase):
    assert_fail(check.mean_image_per_digit(answer), phrase)


# --- 1.4 nearest_mean_predict ------------------------------------------------------------------


def nearest_by_loop(class_means, images):
    distances = np.stack(
        [np.sqrt(((images - mean) ** 2).sum(axis=(1, 2))) for mean in class_means], axis=1
    )
    return distances.argmin(axis=1)


def nearest_by_broadcasting(class_means, images):
    differences = images[:, None].astype(np.float32) - class_means[None].astype(np.float32)
    return np.linalg.norm(differences.reshape(len(images), len(class_means), -1), axis=2).argmin(
        axis=1
    )


def nearest_for_ten_classes_only(class_means, images):
    return np.stack(
        [((images - class_means[k]) ** 2).sum(axis=(1, 2)) for k in range(10)], axis=1
    ).argmin(axis=1)


@pytest.mark.parametrize(
    "answer", [nearest_by_loop, nearest_by_broadcasting], ids=["loop", "broadcasting"]
)
def test_nearest_mean_predict_passes_right_answers(answer):
    assert_pass(check.nearest_mean_predict(answer))


def test_nearest_mean_predict_not_done():
    assert_not_done(check.nearest_mean_predict(stub))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (
            lambda m, x: np.stack(
                [((x - mean) ** 2).sum(axis=(1, 2)) for mean in m], axis=1
            ).argmax(axis=1),
            "FARTHEST",
        ),
        (lambda m, x: ((x[:, None] - m[None]) ** 2).sum(axis=(1, 2)).argmin(axis=1), "wrong axes"),
        (
            lambda m, x: np.stack([((x - mean) ** 2).sum(axis=(1, 2)) for mean in m], axis=1),
            "distances themselves",
        ),
        (
            lambda m, x: np.stack(
                [((x - mean) ** 2).sum(axis=(1, 2)) for mean in m], axis=1
            ).argmin(axis=0),
            "axis=1",
        ),
        (nearest_for_ten_classes_only, "works for 10 classes but not for 4"),
        (
            lambda m, x: np.stack([(x - mean).sum(axis=(1, 2)) for mean in m], axis=1).argmin(
                axis=1
            ),
            "squared pixel differences",
        ),
    ],
    ids=["argmax", "wrong-axes", "distances", "argmin-axis-0", "fixed-ten", "unsquared"],
)
def test_nearest_mean_predict_explains_wrong_answers(answer, phrase):
    assert_fail(check.nearest_mean_predict(answer), phrase)


@pytest.mark.parametrize("num_classes, num_images, seed", [(10, 41, 14), (4, 23, 15)])
def test_nearest_mean_cases_have_no_near_ties(num_classes, num_images, seed):
    _, _, distances = loading.nearest_mean_case(num_classes, num_images, seed)
    two_nearest = np.sort(distances, axis=1)[:, :2]
    assert (two_nearest[:, 1] - two_nearest[:, 0]).min() > 1.0  # float32 answers must agree
    assert not np.array_equal(distances.argmin(axis=1), distances.argmax(axis=1))
