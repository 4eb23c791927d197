"""The self-checks of exercise set 03 (one-hot encoding and the loss): a right answer passes, a stub
is "not done", and each typical wrong answer fails with the hint for its own mistake."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import check
from helpers.check.one_hot import (
    reference_cross_entropy,  # the module, not check.one_hot (the 3.1 check)
)
from tests.check_assertions import assert_fail, assert_not_done, assert_pass, stub

# --- 3.1 one_hot -------------------------------------------------------------------------------


def one_hot_by_indexing(labels, num_classes=10):
    rows = np.zeros((len(labels), num_classes), dtype=np.float32)
    rows[np.arange(len(labels)), labels] = 1
    return rows


def one_hot_whole_rows(labels, num_classes=10):
    rows = np.zeros((len(labels), num_classes))
    rows[labels] = 1
    return rows


@pytest.mark.parametrize(
    "answer",
    [
        lambda labels, num_classes=10: np.eye(num_classes)[labels],
        one_hot_by_indexing,
        lambda labels, num_classes=10: (labels[:, None] == np.arange(num_classes)).astype(int),
    ],
    ids=["eye", "indexing", "comparison"],
)
def test_one_hot_passes_right_answers(answer):
    assert_pass(check.one_hot(answer))


def test_one_hot_not_done():
    assert_not_done(check.one_hot(stub))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (
            lambda labels, num_classes=10: np.eye(labels.max() + 1)[labels],
            "A class absent from these labels still needs its column",
        ),
        (lambda labels, num_classes=10: np.eye(num_classes)[labels - 1], "one column off"),
        (lambda labels, num_classes=10: np.eye(num_classes + 1)[labels], "11 columns"),
        (lambda labels, num_classes=10: labels, "one number per label"),
        (one_hot_whole_rows, "sets whole rows"),
        (lambda labels, num_classes=10: np.eye(10)[labels], "instead of a fixed 10"),
        (lambda labels, num_classes=10: np.eye(num_classes)[labels] * 2, "only 0s and 1s"),
    ],
    ids=[
        "eye-max-plus-one",
        "off-by-one",
        "too-wide",
        "labels-back",
        "whole-rows",
        "fixed-ten",
        "twos",
    ],
)
def test_one_hot_explains_wrong_answers(answer, phrase):
    assert_fail(check.one_hot(answer), phrase)


# --- 3.2 from_one_hot --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        lambda rows: rows.argmax(axis=1),
        lambda rows: np.nonzero(rows)[1],
    ],
    ids=["argmax", "nonzero"],
)
def test_from_one_hot_passes_right_answers(answer):
    assert_pass(check.from_one_hot(answer))


def test_from_one_hot_not_done():
    assert_not_done(check.from_one_hot(stub))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda rows: rows.argmax(axis=0), "Use axis=1"),
        (lambda rows: rows, "the same as the one-hot rows"),
        (lambda rows: rows.argmax(), "argmax without an axis"),
        (lambda rows: rows.argmax(axis=1) + 1, "row 0 has its 1 in column"),
    ],
    ids=["axis-0", "rows-back", "no-axis", "off-by-one"],
)
def test_from_one_hot_explains_wrong_answers(answer, phrase):
    assert_fail(check.from_one_hot(answer), phrase)


# --- 3.3 x_train_cnn ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda x: x.reshape(-1, 28, 28, 1),
        lambda x: x[..., np.newaxis],
        lambda x: np.expand_dims(x.astype("float32") / 255, -1),
    ],
    ids=["reshape", "newaxis", "normalized"],
)
def test_x_train_cnn_passes_right_answers(fake_x_train, make):
    assert_pass(check.x_train_cnn(make(fake_x_train)))


def test_x_train_cnn_not_done(fake_x_train):
    assert_not_done(check.x_train_cnn(...))


@pytest.mark.parametrize(
    "make, phrase",
    [
        (lambda x: x.reshape(-1, 1, 28, 28), "channels-first"),
        (lambda x: x.reshape(-1, 784), "flat rows"),
        (lambda x: x.transpose(0, 2, 1)[..., None], "transposed"),
        (lambda x: x, "add a channel axis"),
        (lambda x: x[:60].reshape(-1, 28, 28, 1), "keep all 120 training images"),
        (lambda x: x.T.reshape(-1, 28, 28, 1), "the pixels moved"),
    ],
    ids=["channels-first", "flat", "transposed", "no-channel", "subset", "scrambled"],
)
def test_x_train_cnn_explains_wrong_answers(fake_x_train, make, phrase):
    assert_fail(check.x_train_cnn(make(fake_x_train)), phrase)


# --- 3.4 cross_entropy -------------------------------------------------------------------------


def cross_entropy_right(targets, probabilities):
    return -np.mean(np.sum(targets * np.log(np.clip(probabilities, 1e-7, 1 - 1e-7)), axis=1))


def test_reference_cross_entropy_matches_keras():
    import keras

    rng = np.random.default_rng(0)
    targets = np.eye(4, dtype=np.float32)[[0, 3, 1, 1, 2]]
    probabilities = rng.dirichlet(np.ones(4), 5).astype(np.float32)
    probabilities[1] = [0.5, 0.5, 0.0, 0.0]  # true class 3 gets probability 0
    expected = float(keras.losses.CategoricalCrossentropy()(targets, probabilities))
    assert reference_cross_entropy(targets, probabilities) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize(
    "answer",
    [
        cross_entropy_right,
        lambda t, p: float(
            -np.log(np.clip(p, 1e-7, 1 - 1e-7))[np.arange(len(t)), t.argmax(axis=1)].mean()
        ),
    ],
    ids=["formula", "pick-true-class"],
)
def test_cross_entropy_passes_right_answers(answer):
    assert_pass(check.cross_entropy(answer))


def test_cross_entropy_not_done():
    assert_not_done(check.cross_entropy(stub))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda t, p: -cross_entropy_right(t, p), "minus sign"),
        (lambda t, p: cross_entropy_right(t, p) * len(t), "SUM over the"),
        (lambda t, p: -np.mean(np.sum(t * np.log10(np.clip(p, 1e-7, 1 - 1e-7)), axis=1)), "log10"),
        (lambda t, p: -np.mean(np.sum(t * np.log(p), axis=1)), "log(0) is -infinity"),
        (
            lambda t, p: -np.sum(t * np.log(np.clip(p, 1e-7, 1 - 1e-7)), axis=1),
            "one loss per example",
        ),
        (
            lambda t, p: -np.mean(t * np.log(np.clip(p, 1e-7, 1 - 1e-7))),
            "sum over the classes first",
        ),
        (
            lambda t, p: -np.mean(np.sum(t * np.log(np.clip(p, 1e-12, 1)), axis=1)),
            "exactly Keras's epsilon",
        ),
    ],
    ids=["no-minus", "sum", "log10", "no-clip", "per-example", "mean-of-all", "other-epsilon"],
)
def test_cross_entropy_explains_wrong_answers(answer, phrase):
    assert_fail(check.cross_entropy(answer), phrase)
