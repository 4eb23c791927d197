"""The self-checks of exercise set 07 (classic machine learning): a right answer passes, a stub is
"not done", and each typical wrong answer fails with the hint for its own mistake.

The typical mistakes are stated once, in the check module's tables; the tests submit each entry
as a student's answer. Mistakes caught before any comparison (shapes, returns) are written out here.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from helpers import check
from helpers.check.classic import (
    FLOAT64_HINT,
    GROWTH_MISTAKES,
    GROWTH_PRAISE,
    KNN_MISTAKES,
    KNN_PRAISE,
    SQUARED_DISTANCES_MISTAKES,
    SQUARED_DISTANCES_PRAISE,
    TO_ROWS_MISTAKES,
    TO_ROWS_PRAISE,
    growth_cases,
    knn_cases,
    knn_reference,
    reference_growth_exponent,
    squared_distances_cases,
    to_rows_cases,
)
from tests.check_assertions import assert_fail, assert_not_done, assert_pass, stub


def names(table):
    return [mistake.name for mistake in table]


# --- 7.1 to_rows -------------------------------------------------------------------------------


def to_rows_solution(images):
    return images.reshape(len(images), -1).astype("float32") / 255


@pytest.mark.parametrize(
    "answer",
    [
        to_rows_solution,
        lambda images: np.divide(images.reshape(len(images), -1), 255, dtype=np.float32),
        lambda images: images.reshape(images.shape[0], -1).astype(np.float32) * (1 / 255),
        lambda images: (images / 255).astype("float32").reshape(len(images), -1),
        lambda images: np.array([image.flatten() / 255 for image in images], dtype=np.float32),
        lambda images: (
            images.reshape(len(images), images.shape[1] * images.shape[2]) / np.float32(255)
        ),
    ],
    ids=["solution", "np-divide", "times-reciprocal", "divide-first", "per-image", "float32-255"],
)
def test_to_rows_passes_right_answers(answer):
    result = check.to_rows(answer)
    assert_pass(result)
    assert result.message == TO_ROWS_PRAISE


def test_to_rows_not_done():
    assert_not_done(check.to_rows(stub))


@pytest.mark.parametrize("mistake", TO_ROWS_MISTAKES, ids=names(TO_ROWS_MISTAKES))
def test_to_rows_names_each_known_mistake(mistake):
    assert_fail(check.to_rows(mistake.implementation), mistake.hint)


def raises(images):
    return images.reshape(len(images), -1) + undefined_name  # noqa: F821


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda images: images.astype("float32") / 255, "still has the shape of the images"),
        (lambda images: to_rows_solution(images).T, "one column per image"),
        (lambda images: to_rows_solution(images).ravel(), "one long vector of 3,920 values"),
        (
            lambda images: images.reshape(len(images), 784).astype("float32") / 255,
            "for uint8 images of shape (3, 8, 6), your function assumes 28×28 images, 784 "
            "pixels, but these are 8×6",
        ),
        (lambda images: images.reshape(-1, 28 * 28).astype("float32") / 255, "assumes 28×28"),
        (lambda images: to_rows_solution(images)[:, :100], "should have shape (5, 784)"),
        (raises, "calling your function raised NameError"),
        (lambda images: None, "your answer is None: did your function forget to `return` it?"),
        (lambda images: to_rows_solution(images).astype(str), "returned text (strings)"),
        (lambda images: to_rows_solution(images).astype("float16"), "precision of float16"),
        (lambda images: images.reshape(len(images), -1) / 255, FLOAT64_HINT),
        (lambda images: images.reshape(len(images), -1).astype(float), "raw pixels 0 to 255"),
        (lambda images: images.reshape(len(images), -1) // 255, "integer dtype"),
        (
            lambda images: to_rows_solution(images)[::-1],
            "rows[0, 0] should be images[0, 0, 0] / 255",
        ),
    ],
    ids=[
        "unflattened",
        "transposed",
        "one-vector",
        "hard-coded-784",
        "hard-coded-28-times-28",
        "cut-short",
        "raises",
        "no-return",
        "strings",
        "float16",
        "float64",
        "raw-float64",
        "uint8-floor-division",
        "images-reversed",
    ],
)
def test_to_rows_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.to_rows(answer), phrase)


def test_to_rows_fallback_says_what_differs_without_guessing():
    message = check.to_rows(lambda images: to_rows_solution(images)[::-1]).message
    assert message.endswith("/ 255 = 0.74902, but it is 0.368627.") and "divide" not in message
    message = check.to_rows(lambda images: to_rows_solution(images) * 0.9).message
    assert "Your values run from 0 to 0.882353; they should run from 0 to 0.980392." in message


def test_to_rows_cases_are_not_all_mnist_sized_and_rarely_reach_255():
    cases = to_rows_cases()
    assert [images.shape[1:] for images in cases] == [(28, 28), (8, 6), (4, 4)]
    assert all(images.dtype == np.uint8 for images in cases)
    assert (cases[0].max(axis=(1, 2)) < 255).any()


# --- 7.2 squared_distances ---------------------------------------------------------------------


def squared_distances_solution(a, b):
    return ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)


def by_dot_products(a, b):
    return (a**2).sum(axis=1)[:, None] - 2 * a @ b.T + (b**2).sum(axis=1)[None, :]


def by_python_loops(a, b):
    return [[sum((x - y) ** 2) for y in b] for x in a]


@pytest.mark.parametrize(
    "answer",
    [
        squared_distances_solution,
        by_dot_products,
        lambda a, b: by_dot_products(a.astype(np.float32), b.astype(np.float32)),
        lambda a, b: np.maximum(by_dot_products(a, b), 0),
        lambda a, b: np.einsum("ijk,ijk->ij", a[:, None] - b[None], a[:, None] - b[None]),
        lambda a, b: np.linalg.norm(a[:, None] - b[None], axis=-1) ** 2,
        by_python_loops,
    ],
    ids=[
        "solution",
        "dot-products",
        "dot-products-float32",
        "clipped-at-0",
        "einsum",
        "norm-squared",
        "python-loops",
    ],
)
def test_squared_distances_passes_right_answers(answer):
    result = check.squared_distances(answer)
    assert_pass(result)
    assert result.message == SQUARED_DISTANCES_PRAISE


def test_squared_distances_not_done():
    assert_not_done(check.squared_distances(stub))


@pytest.mark.parametrize(
    "mistake", SQUARED_DISTANCES_MISTAKES, ids=names(SQUARED_DISTANCES_MISTAKES)
)
def test_squared_distances_names_each_known_mistake(mistake):
    assert_fail(check.squared_distances(mistake.implementation), mistake.hint)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda a, b: squared_distances_solution(b, a), "put rows for a, columns for b"),
        (lambda a, b: ((a[:, None] - b[None]) ** 2).sum(axis=1), "you summed over the rows of b"),
        (lambda a, b: squared_distances_solution(a, b).ravel(), "your answer is 1-D"),
        (lambda a, b: (a[:, None] - b[None]) ** 2, "the squared differences of each feature"),
        (lambda a, b: squared_distances_solution(a, b)[:, :2], "but yours have shape (6, 2)"),
        (lambda a, b: None, "your answer is None"),
        (lambda a, b: a @ b, "calling your function raised ValueError"),
        (
            lambda a, b: squared_distances_solution(a, b)[::-1],
            "for a of shape (6, 4) and b of shape (9, 4), distances[0, 0] should be",
        ),
    ],
    ids=[
        "transposed",
        "summed-over-b",
        "flattened",
        "not-summed",
        "cut-short",
        "no-return",
        "raises",
        "rows-reversed",
    ],
)
def test_squared_distances_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.squared_distances(answer), phrase)


def test_squared_distances_cases_vary_the_shapes_and_share_an_array():
    cases = squared_distances_cases()
    shapes = [(len(a), len(b), a.shape[1]) for a, b, _ in cases]
    assert any(n == 1 for n, _, _ in shapes)
    assert all(d != n for n, _, d in shapes) and sum(n != m for n, m, _ in shapes) >= 3
    a, b, _ = cases[-1]
    assert a is b


# --- 7.3 knn_predict ---------------------------------------------------------------------------


def knn_solution(train_rows, train_labels, query_rows, k):
    distances = ((query_rows[:, None] - train_rows[None]) ** 2).sum(axis=2)
    nearest = np.argsort(distances, axis=1)[:, :k]
    return np.array([np.bincount(train_labels[row]).argmax() for row in nearest])


def knn_with_counter(train_rows, train_labels, query_rows, k):
    predictions = []
    for query in query_rows:
        distances = np.sqrt(((train_rows - query) ** 2).sum(axis=1))
        nearest = np.argsort(distances)[:k]
        predictions.append(Counter(train_labels[nearest].tolist()).most_common(1)[0][0])
    return predictions


def knn_with_unique(train_rows, train_labels, query_rows, k):
    distances = (
        (query_rows**2).sum(axis=1)[:, None]
        - 2 * query_rows @ train_rows.T
        + (train_rows**2).sum(axis=1)[None]
    )
    nearest = np.argpartition(distances, k - 1, axis=1)[:, :k]
    predictions = []
    for row in nearest:
        values, counts = np.unique(train_labels[row], return_counts=True)
        predictions.append(values[counts.argmax()])
    return np.array(predictions)


def knn_with_norm_and_float_labels(train_rows, train_labels, query_rows, k):
    distances = np.linalg.norm(query_rows[:, None] - train_rows[None], axis=2)
    nearest = np.argsort(distances, axis=1)[:, :k]
    votes = [np.bincount(train_labels[row]).argmax() for row in nearest]
    return np.array(votes, dtype=float)


def knn_counting_range_10(train_rows, train_labels, query_rows, k):
    distances = ((query_rows[:, None] - train_rows[None]) ** 2).sum(axis=2)
    nearest = np.argsort(distances, axis=1)[:, :k]
    return np.array(
        [[np.sum(train_labels[row] == c) for c in range(10)] for row in nearest]
    ).argmax(1)


@pytest.mark.parametrize(
    "answer",
    [
        knn_solution,
        knn_with_counter,
        knn_with_unique,
        knn_with_norm_and_float_labels,
        knn_counting_range_10,
        knn_reference,
    ],
    ids=[
        "solution",
        "counter",
        "unique-argpartition",
        "norm-float-labels",
        "range-10",
        "reference",
    ],
)
def test_knn_predict_passes_right_answers(answer):
    result = check.knn_predict(answer)
    assert_pass(result)
    assert result.message == KNN_PRAISE


def test_knn_predict_not_done():
    assert_not_done(check.knn_predict(stub))


@pytest.mark.parametrize("mistake", KNN_MISTAKES, ids=names(KNN_MISTAKES))
def test_knn_predict_names_each_known_mistake(mistake):
    assert_fail(check.knn_predict(mistake.implementation), mistake.hint)


def k_plus_one_with_counter(train_rows, train_labels, query_rows, k):
    return knn_with_counter(train_rows, train_labels, query_rows, k + 1)


def test_knn_predict_names_k_plus_one_however_its_tied_votes_are_counted():
    k_plus_one = next(m for m in KNN_MISTAKES if m.name == "k-plus-one")
    assert_fail(check.knn_predict(k_plus_one_with_counter), k_plus_one.hint)


def neighbour_labels(train_rows, train_labels, query_rows, k):
    distances = ((query_rows[:, None] - train_rows[None]) ** 2).sum(axis=2)
    return train_labels[np.argsort(distances, axis=1)[:, :k]]


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (neighbour_labels, "shape (20, 3), the labels of the 3 nearest training rows"),
        (lambda *args: knn_solution(*args)[:-1], "should have shape (20,), one label per query"),
        (lambda *args: knn_solution(*args) + 10, "which is not one of the training labels"),
        (lambda *args: None, "your answer is None"),
        (
            lambda *args: knn_solution(*args)[::-1],
            "for 20 queries and k=3, the 3 nearest training rows of query_rows[0] have labels [",
        ),
    ],
    ids=["neighbour-labels", "one-short", "outside-the-labels", "no-return", "reversed"],
)
def test_knn_predict_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.knn_predict(answer), phrase)


def test_knn_cases_have_clear_votes_and_expose_the_mistakes():
    cases = knn_cases()
    assert [k for *_, k, _ in cases] == [3, 1, 5]
    assert set(cases[-1][1].tolist()) == {2, 5, 7}
    for train_rows, train_labels, query_rows, k, case in cases:
        distances = ((query_rows[:, None] - train_rows[None]) ** 2).sum(axis=2)
        nearest = np.argsort(distances, axis=1)
        for row in nearest[:, :k]:
            counts = sorted(Counter(train_labels[row].tolist()).values())
            assert len(counts) == 1 or counts[-1] > counts[-2], case
        if k > 1:
            votes = knn_reference(train_rows, train_labels, query_rows, k)
            assert (train_labels[nearest[:, 0]] != votes).any(), case


# --- 7.4 growth_exponent -----------------------------------------------------------------------


def growth_solution(sizes, seconds):
    return np.polyfit(np.log(sizes), np.log(seconds), 1)[0]


def growth_by_lstsq(sizes, seconds):
    x = np.log2(np.asarray(sizes, dtype=float))
    design = np.stack([x, np.ones_like(x)], axis=1)
    (slope, _), *_ = np.linalg.lstsq(design, np.log2(seconds), rcond=None)
    return slope


def growth_by_hand(sizes, seconds):
    x = [math.log(size) for size in sizes]
    y = [math.log(time) for time in seconds]
    mean_x, mean_y = sum(x) / len(x), sum(y) / len(y)
    covariance = sum((a - mean_x) * (b - mean_y) for a, b in zip(x, y))
    return covariance / sum((a - mean_x) ** 2 for a in x)


@pytest.mark.parametrize(
    "answer",
    [
        growth_solution,
        lambda sizes, seconds: np.polyfit(np.log10(sizes), np.log10(seconds), 1)[0],
        lambda sizes, seconds: float(np.polyfit(np.log2(sizes), np.log2(seconds), deg=1)[0]),
        growth_by_lstsq,
        growth_by_hand,
        lambda sizes, seconds: np.array(growth_solution(sizes, seconds)),
        lambda sizes, seconds: (
            np.polynomial.Polynomial.fit(np.log(sizes), np.log(seconds), 1).convert().coef[1]
        ),
    ],
    ids=["solution", "log10", "log2-float", "lstsq", "by-hand", "0-d-array", "polynomial-fit"],
)
def test_growth_exponent_passes_right_answers(answer):
    result = check.growth_exponent(answer)
    assert_pass(result)
    assert result.message == GROWTH_PRAISE


def test_growth_exponent_not_done():
    assert_not_done(check.growth_exponent(stub))


@pytest.mark.parametrize("mistake", GROWTH_MISTAKES, ids=names(GROWTH_MISTAKES))
def test_growth_exponent_names_each_known_mistake(mistake):
    assert_fail(check.growth_exponent(mistake.implementation), mistake.hint)


@pytest.mark.parametrize("log", [np.log10, np.log2], ids=["log10", "log2"])
@pytest.mark.parametrize(
    "name", ["log-seconds-only", "log-sizes-only", "intercept"], ids=lambda name: name
)
def test_growth_exponent_names_mistakes_whatever_the_log_base(name, log):
    mistake = next(m for m in GROWTH_MISTAKES if m.name == name)
    assert_fail(
        check.growth_exponent(lambda sizes, seconds: mistake.implementation(sizes, seconds, log)),
        mistake.hint,
    )


def test_growth_exponent_endpoints_mistake_shows_only_on_noisy_timings():
    endpoints = next(m for m in GROWTH_MISTAKES if m.name == "endpoints")
    message = check.growth_exponent(endpoints.implementation).message
    assert message == "for 5 noisy timings, " + endpoints.hint


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (
            lambda sizes, seconds: np.polyfit(np.log(sizes), np.log(seconds), 1),
            "you returned both coefficients of np.polyfit, [slope, intercept]: the slope is the first",
        ),
        (lambda sizes, seconds: np.log(seconds) / np.log(sizes), "return one number"),
        (lambda sizes, seconds: None, "your answer is None"),
        (lambda sizes, seconds: str(growth_solution(sizes, seconds)), "returned text"),
        (
            lambda sizes, seconds: round(growth_solution(sizes, seconds), 1),
            "the exponent should be",
        ),
        (
            lambda sizes, seconds: growth_solution(sizes, seconds) + 0 * sizes.size,
            "calling your function raised AttributeError: 'list' object has no attribute",
        ),
    ],
    ids=["both-coefficients", "per-point", "no-return", "string", "rounded", "list-input"],
)
def test_growth_exponent_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.growth_exponent(answer), phrase)


def test_growth_cases_are_exact_power_laws_then_noise_the_endpoints_misjudge():
    cases = growth_cases()
    assert [len(sizes) for sizes, _, _ in cases] == [4, 3, 2, 5]
    for (sizes, seconds, _), exponent in zip(cases[:3], (2, 1.5, 1)):
        assert reference_growth_exponent(sizes, seconds) == pytest.approx(exponent, rel=1e-9)
    sizes, seconds, _ = cases[3]
    endpoints = np.log(seconds[-1] / seconds[0]) / np.log(sizes[-1] / sizes[0])
    assert abs(endpoints - reference_growth_exponent(sizes, seconds)) > 0.05
