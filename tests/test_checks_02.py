"""The self-checks of exercise set 02 (normalization): a right answer passes, a stub is "not done",
and each typical wrong answer fails with the hint for its own mistake."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import check
from tests.check_assertions import assert_fail, assert_not_done, assert_pass, stub

# --- 2.1 x_train_norm --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda x: x.astype("float32") / 255,
        lambda x: (x / 255).astype(np.float32),
    ],
    ids=["astype-then-divide", "divide-then-astype"],
)
def test_x_train_norm_passes_right_answers(fake_x_train, make):
    assert_pass(check.x_train_norm(make(fake_x_train)))


def test_x_train_norm_not_done(fake_x_train):
    assert_not_done(check.x_train_norm(...))


@pytest.mark.parametrize(
    "make, phrase",
    [
        (lambda x: x, "divide x_train by 255"),
        (lambda x: x // 255, "integer division"),
        (lambda x: (x // 255).astype("float32"), "integer division"),
        (lambda x: (x / x.max(axis=(1, 2), keepdims=True)).astype("float32"), "its own maximum"),
        (lambda x: x / 255, "float32 halves the memory"),
        (lambda x: x.reshape(len(x), -1).astype("float32") / 255, "flattened"),
        (lambda x: ((x - x.mean()) / x.std()).astype("float32"), "does not subtract a mean"),
        (lambda x: x[::-1].astype("float32") / 255, "original order"),
    ],
    ids=[
        "raw",
        "floor-division",
        "floor-division-float",
        "per-image-max",
        "float64",
        "flattened",
        "standardized",
        "reversed",
    ],
)
def test_x_train_norm_explains_wrong_answers(fake_x_train, make, phrase):
    assert_fail(check.x_train_norm(make(fake_x_train)), phrase)


# --- 2.2 standardize ---------------------------------------------------------------------------


def standardize_right(train, test):
    mean, std = train.mean(), train.std()
    return (train - mean) / std, (test - mean) / std


def standardize_in_place(train, test):
    mean, std = train.mean(), train.std()
    train -= mean
    train /= std
    test -= mean
    test /= std
    return train, test


@pytest.mark.parametrize(
    "answer",
    [
        standardize_right,
        lambda train, test: (
            (train - train.mean()) / train.std(ddof=1),
            (test - train.mean()) / train.std(ddof=1),
        ),
        lambda train, test: [
            (train - train.mean()) / train.std(),
            (test - train.mean()) / train.std(),
        ],
    ],
    ids=["right", "ddof-1", "list"],
)
def test_standardize_passes_right_answers(answer):
    assert_pass(check.standardize(answer))


def test_standardize_not_done():
    assert_not_done(check.standardize(stub))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (
            lambda train, test: (
                (train - train.mean()) / train.std(),
                (test - test.mean()) / test.std(),
            ),
            "That is peeking",
        ),
        (
            lambda train, test: (
                (train - train.mean()) / train.var(),
                (test - train.mean()) / train.var(),
            ),
            "the variance",
        ),
        (
            lambda train, test: (train / train.std(), test / train.std()),
            "forgot to subtract the mean",
        ),
        (lambda train, test: (train - train.mean()) / train.std(), "you returned one array"),
        (lambda train, test: standardize_right(train, test)[::-1], "swapped"),
        (
            lambda train, test: (
                (train - train.mean(axis=0)) / train.std(axis=0),
                (test - train.mean(axis=0)) / train.std(axis=0),
            ),
            "per pixel position",
        ),
        (standardize_in_place, "changed the arrays passed to it"),
        (
            lambda train, test: ((train - train.mean()) / train.std(), test),
            "with the training statistics",
        ),
    ],
    ids=[
        "peeking",
        "variance",
        "no-mean",
        "one-array",
        "swapped",
        "per-pixel",
        "in-place",
        "test-untouched",
    ],
)
def test_standardize_explains_wrong_answers(answer, phrase):
    assert_fail(check.standardize(answer), phrase)


# --- 2.3 scale_to_range ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        lambda x, low, high: (x - x.min()) / (x.max() - x.min()) * (high - low) + low,
        lambda x, low, high: np.interp(x, (x.min(), x.max()), (low, high)),
    ],
    ids=["formula", "interp"],
)
def test_scale_to_range_passes_right_answers(answer):
    assert_pass(check.scale_to_range(answer))


def test_scale_to_range_not_done():
    assert_not_done(check.scale_to_range(stub))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda x, low, high: x / 255 * (high - low) + low, "assumes the maximum is 255"),
        (
            lambda x, low, high: (x - x.min()) / (x.max() - x.min()) * (high - low),
            "forgot to add the offset",
        ),
        (lambda x, low, high: x / x.max() * (high - low) + low, "subtract x.min() first"),
        (lambda x, low, high: (x - x.min()) / (x.max() - x.min()), "run from 0 to 1"),
        (lambda x, low, high: (x - x.mean()) / x.std(), "Map x.min() to low"),
    ],
    ids=["hard-coded-255", "no-offset", "no-min", "only-0-1", "standardized"],
)
def test_scale_to_range_explains_wrong_answers(answer, phrase):
    assert_fail(check.scale_to_range(answer), phrase)


# --- 2.4 build_rescaling_model -----------------------------------------------------------------


def rescaling_model(
    scale=1 / 255, activation="softmax", input_shape=(28, 28), rescale=True, offset=0.0
):
    import keras

    layers = [keras.layers.Rescaling(scale, offset=offset)] if rescale else []
    layers += [keras.layers.Flatten(), keras.layers.Dense(10, activation=activation)]
    return keras.Sequential([keras.Input(shape=input_shape), *layers])


def functional_rescaling_model():
    import keras

    inputs = keras.Input(shape=(28, 28))
    hidden = keras.layers.Rescaling(1 / 255)(inputs)
    hidden = keras.layers.Flatten()(hidden)
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(hidden))


@pytest.mark.parametrize(
    "answer",
    [rescaling_model, functional_rescaling_model, lambda: rescaling_model(scale=0.00392)],
    ids=["sequential", "functional", "rounded-scale"],
)
def test_build_rescaling_model_passes_right_answers(answer):
    assert_pass(check.build_rescaling_model(answer))


def test_build_rescaling_model_not_done():
    assert_not_done(check.build_rescaling_model(stub))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda: rescaling_model(rescale=False), "no Rescaling layer"),
        (lambda: rescaling_model(scale=255), "MULTIPLIES every pixel by 255"),
        (lambda: rescaling_model(scale=1 / 256), "into 0.9961, not 1.0"),
        (lambda: rescaling_model(scale=1 / 127.5, offset=-1), "without an offset"),
        (lambda: rescaling_model(activation=None), "not probabilities"),
        (lambda: rescaling_model(input_shape=(784,)), "its Flatten layer turns each one into 784"),
        (lambda: None, "returned a NoneType"),
    ],
    ids=[
        "no-rescaling",
        "times-255",
        "over-256",
        "minus-one-to-one",
        "no-softmax",
        "flat-input",
        "no-return",
    ],
)
def test_build_rescaling_model_explains_wrong_answers(answer, phrase):
    assert_fail(check.build_rescaling_model(answer), phrase)
