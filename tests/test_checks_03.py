"""The self-checks of exercise set 03 (one-hot encoding and the loss): right answers written in
several ways pass, a stub is "not done", and each typical wrong answer fails with the hint for
its own mistake. The wrong answers come from the checks' own tables of mistakes, plus variants
written differently and answers no table foresees (which get "what differs", not a guess)."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from helpers import check
from helpers.check.one_hot import (  # the module, not check.one_hot (the 3.1 check)
    CROSS_ENTROPY_MISTAKES,
    FROM_ONE_HOT_MISTAKES,
    ONE_HOT_MISTAKES,
    X_TRAIN_CNN_MISTAKES,
    reference_cross_entropy,
)
from tests.check_assertions import assert_fail, assert_not_done, assert_pass, stub


def names(mistakes):
    return [mistake.name for mistake in mistakes]


# --- 3.1 one_hot -------------------------------------------------------------------------------


def one_hot_solution(labels, num_classes=10):
    return np.eye(num_classes, dtype="float32")[labels]


def one_hot_by_indexing(labels, num_classes=10):
    rows = np.zeros((len(labels), num_classes), dtype=np.float32)
    rows[np.arange(len(labels)), labels] = 1
    return rows


def one_hot_loop_of_lists(labels, num_classes=10):
    encoded = []
    for label in list(labels):
        row = [0] * num_classes
        row[label] = 1
        encoded.append(row)
    return encoded


def one_hot_flat_index(labels, num_classes=10):
    flat = np.zeros(len(labels) * num_classes, dtype=np.uint8)
    flat[np.arange(len(labels)) * num_classes + labels] = 1  # uint8 labels + int64 offsets
    return flat.reshape(len(labels), num_classes)


def one_hot_uint8_like_labels(labels, num_classes=10):
    rows = np.zeros((len(labels), num_classes), dtype=labels.dtype)
    for i, label in enumerate(labels):
        rows[i, label] = 1
    return rows


@pytest.mark.parametrize(
    "answer",
    [
        one_hot_solution,
        lambda labels, num_classes=10: np.eye(num_classes)[labels],
        one_hot_by_indexing,
        lambda labels, num_classes=10: labels[:, None] == np.arange(num_classes),
        lambda labels, num_classes=10: (labels[:, None] == np.arange(num_classes)).astype(int),
        one_hot_loop_of_lists,
        one_hot_flat_index,
        one_hot_uint8_like_labels,
    ],
    ids=[
        "solution",
        "eye-float64",
        "indexing",
        "comparison-bool",
        "comparison-int",
        "loop-of-lists",
        "flat-index-uint8",
        "loop-labels-dtype",
    ],
)
def test_one_hot_passes_right_answers(answer):
    assert_pass(check.one_hot(answer))


def test_one_hot_not_done():
    assert_not_done(check.one_hot(stub))


@pytest.mark.parametrize("mistake", ONE_HOT_MISTAKES, ids=names(ONE_HOT_MISTAKES))
def test_one_hot_names_each_known_mistake(mistake):
    assert_fail(check.one_hot(mistake.implementation), mistake.hint)


def one_hot_sized_by_largest_label(labels, num_classes=10):
    rows = np.zeros((len(labels), max(labels) + 1))
    for i, label in enumerate(labels):
        rows[i][label] = 1
    return rows


def one_hot_returns_inside_loop(labels, num_classes=10):
    for label in labels:
        row = np.zeros(num_classes)
        row[label] = 1
        return row


def one_hot_no_return(labels, num_classes=10):
    rows = np.zeros((len(labels), num_classes))
    rows[np.arange(len(labels)), labels] = 1


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (one_hot_sized_by_largest_label, "up to the largest label present"),
        (lambda labels, num_classes=10: np.eye(num_classes)[:, labels], "transposed"),
        (one_hot_returns_inside_loop, "the first label only"),
        (lambda labels, num_classes=10: labels.astype(float), "the labels themselves"),
        (lambda labels, num_classes=10: np.eye(num_classes + 1)[labels], "11 columns instead"),
        (lambda labels, num_classes=10: np.eye(num_classes)[labels] * 2, "also holds 2"),
        (
            lambda labels, num_classes=10: np.eye(num_classes)[::-1][labels],
            "label 8 (row 0) has its 1 in column 1",
        ),
        (lambda labels, num_classes=10: 1 - np.eye(num_classes)[labels], "holds 9 ones"),
        (one_hot_no_return, "forget to `return`"),
    ],
    ids=[
        "largest-label-loop",
        "eye-columns",
        "return-in-loop",
        "float-labels",
        "too-wide",
        "twos",
        "reversed-columns",
        "inverted",
        "no-return",
    ],
)
def test_one_hot_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.one_hot(answer), phrase)


# --- 3.2 from_one_hot --------------------------------------------------------------------------


def from_one_hot_loop(one_hot_rows):
    return [list(row).index(1) for row in one_hot_rows]


@pytest.mark.parametrize(
    "answer",
    [
        lambda rows: rows.argmax(axis=1),
        lambda rows: np.argmax(rows, axis=-1),
        lambda rows: np.nonzero(rows)[1],
        lambda rows: np.where(rows == 1)[1],
        from_one_hot_loop,
        lambda rows: rows @ np.arange(rows.shape[1]),
        lambda rows: (rows * np.arange(rows.shape[1])).sum(axis=1).astype(int),
    ],
    ids=["solution", "axis-minus-1", "nonzero", "where", "loop-index", "matmul", "weighted-sum"],
)
def test_from_one_hot_passes_right_answers(answer):
    assert_pass(check.from_one_hot(answer))


def test_from_one_hot_not_done():
    assert_not_done(check.from_one_hot(stub))


@pytest.mark.parametrize("mistake", FROM_ONE_HOT_MISTAKES, ids=names(FROM_ONE_HOT_MISTAKES))
def test_from_one_hot_names_each_known_mistake(mistake):
    assert_fail(check.from_one_hot(mistake.implementation), mistake.hint)


def from_one_hot_returns_inside_loop(one_hot_rows):
    for row in one_hot_rows:
        return row.argmax()


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda rows: rows.sum(axis=1), "every label you returned is 1"),
        (lambda rows: np.where(rows == 1), "both arrays np.nonzero gives"),
        (from_one_hot_returns_inside_loop, "the label of the first row only"),
        (
            lambda rows: np.sort(rows.argmax(axis=1)),
            "row 1 has its 1 in column 5, but you returned 0",
        ),
        (lambda rows: rows.argmax(axis=1).reshape(-1, 1), "should have shape (37,)"),
        (lambda rows: rows.argmax(axis=1) / 2, "but you returned 2.5 for it"),
    ],
    ids=["sum", "where-tuple", "return-in-loop", "sorted", "column-vector", "halved"],
)
def test_from_one_hot_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.from_one_hot(answer), phrase)


# --- 3.3 x_train_cnn ---------------------------------------------------------------------------


def keras_expand_dims(x):
    import keras

    return keras.ops.expand_dims(x, -1)


@pytest.mark.parametrize(
    "make",
    [
        lambda x: x[..., np.newaxis],
        lambda x: x.reshape(-1, 28, 28, 1),
        lambda x: x.reshape(len(x), 28, 28, 1),
        lambda x: np.expand_dims(x, axis=-1),
        lambda x: np.stack([x], axis=-1),
        keras_expand_dims,
    ],
    ids=["solution", "reshape", "reshape-len", "expand-dims", "stack", "keras-ops"],
)
def test_x_train_cnn_passes_raw_pixels(fake_x_train, make):
    result = check.x_train_cnn(make(fake_x_train))
    assert_pass(result)
    assert "every pixel where it was, one grey channel" in result.message


@pytest.mark.parametrize(
    "make",
    [
        lambda x: np.expand_dims(x.astype("float32") / 255, -1),
        lambda x: (x / 255.0)[..., None],
        lambda x: x.astype("float16")[..., None] / 255,
    ],
    ids=["float32", "float64", "float16"],
)
def test_x_train_cnn_passes_pixels_scaled_to_0_1(fake_x_train, make):
    result = check.x_train_cnn(make(fake_x_train))
    assert_pass(result)
    assert "scaled to [0, 1]" in result.message


@pytest.mark.parametrize(
    "make",
    [
        lambda x: ((x - x.mean()) / x.std())[..., None],
        lambda x: (x.astype("float32") / 127.5 - 1).reshape(-1, 28, 28, 1),
    ],
    ids=["standardized", "minus-one-to-one"],
)
def test_x_train_cnn_passes_other_scalings(fake_x_train, make):
    result = check.x_train_cnn(make(fake_x_train))
    assert_pass(result)
    assert "scaled, which is fine too" in result.message


def test_x_train_cnn_not_done(fake_x_train):
    assert_not_done(check.x_train_cnn(...))


@pytest.mark.parametrize("mistake", X_TRAIN_CNN_MISTAKES, ids=names(X_TRAIN_CNN_MISTAKES))
def test_x_train_cnn_names_each_known_mistake(fake_x_train, mistake):
    assert_fail(check.x_train_cnn(mistake.implementation(fake_x_train)), mistake.hint)


@pytest.mark.parametrize(
    "make, phrase",
    [
        (lambda x: x.reshape(-1, 1, 28, 28), "channels-first"),
        (lambda x: x[:, None], "channels-first"),
        (lambda x: x.reshape(-1, 784), "flat rows"),
        (lambda x: x, "add a channel axis"),
        (lambda x: x[:60].reshape(-1, 28, 28, 1), "holds 60 images; keep all 120"),
        (lambda x: x[:1, ..., None], "holds 1 image; keep all 120"),
        (lambda x: np.expand_dims(x, 0), "sits at position 0"),
        (lambda x: np.expand_dims(x, 2), "sits at position 2"),
        (lambda x: np.repeat(x[..., None], 3, axis=-1), "3 channels per pixel"),
        (lambda x: (x.T / 255).reshape(-1, 28, 28, 1), "you reshaped x_train.T"),
        (lambda x: (x / 255).astype("uint8")[..., None], "only 0s and 1s"),
        (lambda x: x.swapaxes(1, 2)[..., None], "every image is transposed"),
        (lambda x: (255 - x)[..., None], "x_train_cnn[0, 0, 0, 0] is 255 while x_train[0, 0, 0]"),
        (
            lambda x: (x / x.max(axis=(1, 2), keepdims=True))[..., None],
            "the scaling of the rest of your array",
        ),
        (lambda x: x.astype(str)[..., None], "should hold numbers"),
        (lambda x: np.where(x > 0, np.nan, 0.0)[..., None], "nan or infinite"),
    ],
    ids=[
        "channels-first",
        "newaxis-first",
        "flat",
        "no-channel",
        "subset",
        "one-image",
        "axis-0",
        "axis-2",
        "three-channels",
        "scaled-reshape-of-T",
        "uint8-after-division",
        "swapaxes",
        "inverted",
        "per-image-max",
        "strings",
        "nan",
    ],
)
def test_x_train_cnn_explains_other_wrong_answers(fake_x_train, make, phrase):
    assert_fail(check.x_train_cnn(make(fake_x_train)), phrase)


def test_x_train_cnn_is_fast_on_60000_images(monkeypatch):
    from helpers.check import loading

    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (60000, 28, 28), dtype=np.uint8)
    monkeypatch.setattr(loading, "mnist_training_images", lambda: images)
    started = time.perf_counter()
    assert_pass(check.x_train_cnn(images[..., None].astype("float32") / 255))
    assert_fail(check.x_train_cnn(np.moveaxis(images, 0, -1).reshape(-1, 28, 28, 1)), "moved last")
    assert time.perf_counter() - started < 10


# --- 3.4 cross_entropy -------------------------------------------------------------------------


def cross_entropy_solution(targets, probabilities):
    clipped = np.clip(probabilities, 1e-7, 1 - 1e-7)
    return -np.mean(np.sum(targets * np.log(clipped), axis=1))


def cross_entropy_loop(targets, probabilities):
    total = 0.0
    for target_row, probability_row in zip(targets.tolist(), probabilities.tolist()):
        true_class = target_row.index(1)
        total -= math.log(min(max(probability_row[true_class], 1e-7), 1 - 1e-7))
    return total / len(targets)


def test_reference_cross_entropy_matches_keras():
    import keras

    rng = np.random.default_rng(0)
    targets = np.eye(4, dtype=np.float32)[[0, 3, 1, 1, 2]]
    probabilities = rng.dirichlet(np.ones(4), 5).astype(np.float32)
    probabilities[1] = [0.5, 0.5, 0.0, 0.0]  # true class 3 gets probability 0
    probabilities[2] = [0.5, 1e-9, 0.5, 0.0]  # true class 1 gets probability 1e-9
    expected = float(keras.losses.CategoricalCrossentropy()(targets, probabilities))
    assert reference_cross_entropy(targets, probabilities) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize(
    "answer",
    [
        cross_entropy_solution,
        lambda t, p: float(
            -np.log(np.clip(p, 1e-7, 1 - 1e-7))[np.arange(len(t)), t.argmax(axis=1)].mean()
        ),
        cross_entropy_loop,
        lambda t, p: -np.mean(np.sum(t * np.log(np.maximum(p, 1e-7)), axis=1)),
        lambda t, p: -np.einsum("nk,nk->", t, np.log(np.clip(p, 1e-7, 1 - 1e-7))) / len(t),
        lambda t, p: -np.mean(np.sum(t * np.log(np.clip(p, 1e-7, 1 - 1e-7)), 1), keepdims=True),
    ],
    ids=["solution", "pick-true-class", "loop", "maximum-only", "einsum", "keepdims"],
)
def test_cross_entropy_passes_right_answers(answer):
    assert_pass(check.cross_entropy(answer))


def test_cross_entropy_not_done():
    assert_not_done(check.cross_entropy(stub))


@pytest.mark.parametrize("mistake", CROSS_ENTROPY_MISTAKES, ids=names(CROSS_ENTROPY_MISTAKES))
def test_cross_entropy_names_each_known_mistake(mistake):
    assert_fail(check.cross_entropy(mistake.implementation), mistake.hint)


def clipped(p):
    return np.clip(p, 1e-7, 1 - 1e-7)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda t, p: -np.log(p[np.arange(len(t)), t.argmax(axis=1)]).mean(), "log(0) is -inf"),
        (lambda t, p: -np.sum(t * np.log(clipped(p)), axis=1), "one loss per example"),
        (lambda t, p: -np.sum(t * np.log(clipped(p)), axis=0), "one per class"),
        (lambda t, p: -np.mean(np.mean(t * np.log(clipped(p)), axis=1)), "classes too"),
        (lambda t, p: -np.sum(t * np.log(clipped(p))), "SUM over the examples"),
        (
            lambda t, p: -np.mean(np.sum(t * np.log(np.clip(p, 1e-8, 1)), axis=1)),
            "Your function agreed with Keras on the earlier cases",
        ),
        (
            lambda t, p: -np.mean(np.nan_to_num(np.sum(t * np.log(p), axis=1), neginf=-100.0)),
            "but keras.losses.CategoricalCrossentropy() gives",
        ),
        (lambda t, p: -np.mean(np.sum(t * np.log(clipped(p)), axis=1)) + 0.1, "gives 2.512006"),
        (lambda t, p: "loss", "should hold numbers"),
    ],
    ids=[
        "true-class-unclipped",
        "per-example",
        "per-class",
        "mean-of-means",
        "total",
        "epsilon-1e-8",
        "nan-to-num",
        "off-by-0.1",
        "string",
    ],
)
def test_cross_entropy_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.cross_entropy(answer), phrase)
