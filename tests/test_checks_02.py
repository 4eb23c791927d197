"""The self-checks of exercise set 02 (normalization): a right answer passes, a stub is "not done",
and each typical wrong answer fails with the hint for its own mistake.

The typical mistakes are stated once, in the check module's tables; the tests submit each entry
as a student's answer. Mistakes caught before any comparison (shapes, returns, layer kinds) are
written out here.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from helpers import check
from helpers.check.normalization import (
    PEEKING_HINT,
    RESCALING_MISTAKES,
    SCALE_TO_RANGE_MISTAKES,
    STANDARDIZE_MISTAKES,
    X_TRAIN_NORM_MISTAKES,
)
from tests.check_assertions import assert_fail, assert_not_done, assert_pass, stub

layers = keras.layers


def names(table):
    return [mistake.name for mistake in table]


# --- 2.1 x_train_norm --------------------------------------------------------------------------


def x_train_norm_solution(x_train):
    return x_train.astype("float32") / 255  # as in solutions/02_normalization.ipynb


@pytest.mark.parametrize(
    "make",
    [
        x_train_norm_solution,
        lambda x: (x / 255).astype(np.float32),
        lambda x: np.divide(x, 255, dtype=np.float32),
        lambda x: x.astype(np.float32) * (1 / 255),
        lambda x: x.astype("float32") / x.max(),
        lambda x: [image.astype("float32") / 255 for image in x],
        lambda x: keras.ops.cast(x, "float32") / 255.0,
    ],
    ids=[
        "solution",
        "divide-then-astype",
        "np-divide",
        "times-reciprocal",
        "over-dataset-max",
        "list-of-images",
        "keras-tensor",
    ],
)
def test_x_train_norm_passes_right_answers(fake_x_train, make):
    assert_pass(check.x_train_norm(make(fake_x_train)))


def test_x_train_norm_not_done(fake_x_train):
    assert_not_done(check.x_train_norm(...))


@pytest.mark.parametrize("mistake", X_TRAIN_NORM_MISTAKES, ids=names(X_TRAIN_NORM_MISTAKES))
def test_x_train_norm_names_each_known_mistake(fake_x_train, mistake):
    assert_fail(check.x_train_norm(mistake.implementation(fake_x_train)), mistake.hint)


@pytest.mark.parametrize(
    "make, phrase",
    [
        (lambda x: x.astype("float32") // 255, "integer division `//`"),
        (lambda x: (x / 255).astype("uint8"), "only 0s and 1s"),
        (lambda x: x / 255, "float32 halves the memory"),
        (lambda x: x.astype("float16") / 255, "the values are right to the precision of float16"),
        (lambda x: x.reshape(len(x), -1).astype("float32") / 255, "flattened"),
        (lambda x: x[:100].astype("float32") / 255, "should have shape (120, 28, 28)"),
        (lambda x: x.astype(str), "should hold numbers"),
        (
            lambda x: x[::-1].astype("float32") / 255,
            "x_train_norm[0, 0, 2] is 0, but x_train[0, 0, 2] / 255 is 76 / 255",
        ),
        (
            lambda x: x.astype("float32") / 200,
            "is 0.38, but x_train[0, 0, 2] / 255 is 76 / 255 = 0.298039. Your values run from 0 to 1.275",
        ),
    ],
    ids=[
        "floor-division-float",
        "cast-to-uint8",
        "float64",
        "float16",
        "flattened",
        "subset",
        "strings",
        "reversed-order",
        "over-200",
    ],
)
def test_x_train_norm_explains_other_wrong_answers(fake_x_train, make, phrase):
    assert_fail(check.x_train_norm(make(fake_x_train)), phrase)


def test_x_train_norm_fallback_says_what_differs_without_guessing(fake_x_train):
    message = check.x_train_norm(fake_x_train[::-1].astype("float32") / 255).message
    assert message.endswith("but x_train[0, 0, 2] / 255 is 76 / 255 = 0.298039.")
    assert "order" not in message and "division" not in message


# --- 2.2 standardize ---------------------------------------------------------------------------


def standardize_solution(train, test):
    mean, std = train.mean(), train.std()
    return (train - mean) / std, (test - mean) / std


def standardize_in_place(train, test):
    mean, std = train.mean(), train.std()
    train -= mean
    train /= std
    test -= mean
    test /= std
    return train, test


def standardize_by_hand(train, test):
    values = [float(v) for v in train.ravel()]
    mean = sum(values) / len(values)
    std = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
    return [(np.asarray(a, dtype=float) - mean) / std for a in (train, test)]


@pytest.mark.parametrize(
    "answer",
    [
        standardize_solution,
        lambda train, test: (
            (train - train.mean()) / train.std(ddof=1),
            (test - train.mean()) / train.std(ddof=1),
        ),
        lambda train, test: [
            (train - train.mean()) / train.std(),
            (test - train.mean()) / train.std(),
        ],
        lambda train, test: tuple(
            ((a.astype("float32") - train.mean()) / train.std()).astype("float32")
            for a in (train, test)
        ),
        lambda train, test: tuple(
            (a - np.mean(train, axis=(0, 1, 2))) / np.std(train, axis=(0, 1, 2))
            for a in (train, test)
        ),
        standardize_by_hand,
    ],
    ids=["solution", "ddof-1", "list", "float32", "all-axes", "by-hand-loops"],
)
def test_standardize_passes_right_answers(answer):
    assert_pass(check.standardize(answer))


def test_standardize_not_done():
    assert_not_done(check.standardize(stub))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the uint8 overflow takes sqrt(< 0)
@pytest.mark.parametrize("mistake", STANDARDIZE_MISTAKES, ids=names(STANDARDIZE_MISTAKES))
def test_standardize_names_each_known_mistake(mistake):
    assert_fail(check.standardize(mistake.implementation), mistake.hint)


def forgets_return(train, test):
    mean, std = train.mean(), train.std()
    (train - mean) / std, (test - mean) / std  # noqa: B018


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda train, test: (train - train.mean()) / train.std(), "you returned one array"),
        (lambda train, test: standardize_solution(train, test)[::-1], "swapped"),
        (standardize_in_place, "changed the arrays passed to it"),
        (forgets_return, "forget `return train_std, test_std`"),
        (lambda train, test: (train.mean(), train.std()), "two single numbers"),
        (
            lambda train, test: ((train - train.mean()) / train.std(), test / train.std()),
            "test_std[0, 0, 0] should be",
        ),
    ],
    ids=["one-array", "swapped", "in-place", "no-return", "mean-and-std", "test-not-shifted"],
)
def test_standardize_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.standardize(answer), phrase)


def test_standardize_peeking_hint_is_given_for_ddof_1_too():
    def peeking_ddof_1(train, test):
        return tuple((a - a.mean()) / a.std(ddof=1) for a in (train, test))

    assert_fail(check.standardize(peeking_ddof_1), PEEKING_HINT)


def test_standardize_fallback_says_what_differs_not_mean_and_std():
    """A wrong answer whose mean and std round to 0 and 1 gets the first differing element."""

    def shuffled(train, test):
        right = standardize_solution(train, test)
        return right[0][::-1], right[1]

    message = check.standardize(shuffled).message
    assert "train_std[0, 0, 0] should be" in message and "but it is" in message
    assert "mean 0.000" not in message


# --- 2.3 scale_to_range ------------------------------------------------------------------------


def scale_to_range_solution(x, low, high):
    unit = (x - x.min()) / (x.max() - x.min())  # as in solutions/02_normalization.ipynb
    return low + unit * (high - low)


def scale_with_loop(x, low, high):
    smallest, largest = float(x.min()), float(x.max())
    flat = [low + (float(v) - smallest) * (high - low) / (largest - smallest) for v in x.ravel()]
    return np.array(flat).reshape(x.shape)


@pytest.mark.parametrize(
    "answer",
    [
        scale_to_range_solution,
        lambda x, low, high: (x - x.min()) / (x.max() - x.min()) * (high - low) + low,
        lambda x, low, high: np.interp(x, (x.min(), x.max()), (low, high)),
        lambda x, low, high: (x.astype("float32") - x.min()) / np.ptp(x) * (high - low) + low,
        lambda x, low, high: (x.astype(float) - x.min()) * (high - low) / (x.max() - x.min()) + low,
        scale_with_loop,
    ],
    ids=["solution", "formula", "interp", "float32-ptp", "multiply-first-as-float", "loop"],
)
def test_scale_to_range_passes_right_answers(answer):
    assert_pass(check.scale_to_range(answer))


def test_scale_to_range_not_done():
    assert_not_done(check.scale_to_range(stub))


@pytest.mark.parametrize("mistake", SCALE_TO_RANGE_MISTAKES, ids=names(SCALE_TO_RANGE_MISTAKES))
def test_scale_to_range_names_each_known_mistake(mistake):
    assert_fail(check.scale_to_range(mistake.implementation), mistake.hint)


def scale_in_place(x, low, high):
    x -= x.min()
    x /= x.max()
    return x * (high - low) + low


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (scale_in_place, "changed the array passed to it"),
        (lambda x, low, high: None, "forget to `return` it"),
        (lambda x, low, high: scale_to_range_solution(x, low, high).ravel(), "should have shape"),
        (lambda x, low, high: (x - x.mean()) / x.std(), "the result at [0, 0] should be"),
    ],
    ids=["in-place", "no-return", "flattened", "standardized"],
)
def test_scale_to_range_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.scale_to_range(answer), phrase)


def test_scale_to_range_overflow_shows_on_the_exercises_own_example():
    """Right for floats, wrong for uint8 pixels with whole-number low and high, as in the
    exercise's example scale_to_range(x_train[:2], -1, 1)."""
    multiply_first = next(m for m in SCALE_TO_RANGE_MISTAKES if m.name == "uint8-overflow")
    message = check.scale_to_range(multiply_first.implementation).message
    assert "for uint8 x from 0 to 255, with low=-1 and high=1" in message


# --- 2.4 build_rescaling_model -----------------------------------------------------------------


def rescaling_model_solution():
    return keras.Sequential(  # as in solutions/02_normalization.ipynb
        [
            keras.Input(shape=(28, 28)),
            layers.Rescaling(1 / 255),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )


def classifier(*middle, head=None):
    head = head or [layers.Dense(10, activation="softmax")]
    return keras.Sequential([keras.Input(shape=(28, 28)), *middle, *head])


def functional_model():
    inputs = keras.Input(shape=(28, 28))
    hidden = layers.Rescaling(1 / 255)(inputs)
    hidden = layers.Flatten()(hidden)
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(hidden))


def functional_with_nested_preprocessing():
    preprocessing = keras.Sequential([layers.Rescaling(1.0 / 255.0)], name="preprocessing")
    inputs = keras.Input(shape=(28, 28))
    hidden = layers.Flatten()(preprocessing(inputs))
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(hidden))


def functional_with_unused_rescaling():
    inputs = keras.Input(shape=(28, 28))
    layers.Rescaling(1 / 255)(inputs)
    hidden = layers.Flatten()(inputs)
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(hidden))


def adapted_normalization():
    normalization = layers.Normalization(axis=None)
    normalization.adapt(np.random.default_rng(0).integers(0, 256, (20, 28, 28)).astype("float32"))
    return classifier(normalization, layers.Flatten())


@pytest.mark.parametrize(
    "answer",
    [
        rescaling_model_solution,
        functional_model,
        lambda: classifier(layers.Rescaling(0.00392), layers.Flatten()),
        lambda: classifier(keras.Sequential([layers.Rescaling(1 / 255)]), layers.Flatten()),
        functional_with_nested_preprocessing,
        lambda: classifier(layers.Flatten(), layers.Rescaling(scale=1.0 / 255)),
        lambda: classifier(
            layers.Rescaling(1 / 255),
            layers.Flatten(),
            layers.Dense(32),
            layers.ReLU(),
            layers.Dropout(0.2),
            head=[layers.Dense(10), layers.Activation("softmax")],
        ),
        lambda: classifier(
            layers.Rescaling(1 / 255), layers.Flatten(), head=[layers.Dense(10), layers.Softmax()]
        ),
    ],
    ids=[
        "solution",
        "functional",
        "rounded-scale",
        "nested-preprocessing-block",
        "functional-nested-preprocessing",
        "rescaling-after-flatten",
        "hidden-layer-activation-layers",
        "softmax-layer",
    ],
)
def test_build_rescaling_model_passes_right_answers(answer):
    assert_pass(check.build_rescaling_model(answer))


def test_build_rescaling_model_not_done():
    assert_not_done(check.build_rescaling_model(stub))


@pytest.mark.parametrize("mistake", RESCALING_MISTAKES, ids=names(RESCALING_MISTAKES))
def test_build_rescaling_model_names_each_known_mistake(mistake):
    assert_fail(check.build_rescaling_model(mistake.implementation), mistake.hint)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda: classifier(layers.Flatten()), "no Rescaling layer: add"),
        (functional_with_unused_rescaling, "a layer whose output is not used"),
        (
            lambda: classifier(
                layers.Flatten(),
                layers.Dense(64, activation="relu"),
                layers.Rescaling(1 / 255),
            ),
            "comes after Dense, a layer that learns: it must come first",
        ),
        (
            lambda: classifier(
                keras.Sequential([layers.Flatten(), layers.Dense(64), layers.Rescaling(1 / 255)])
            ),
            "it must come first",
        ),
        (
            lambda: classifier(
                layers.Flatten(),
                layers.Dense(10),
                layers.Rescaling(1 / 255),
                head=[layers.Softmax()],
            ),
            "it must come first",
        ),
        (
            lambda: classifier(
                layers.Flatten(), layers.BatchNormalization(), layers.Rescaling(1 / 255)
            ),
            "comes after BatchNormalization",
        ),
        (
            lambda: classifier(layers.Normalization(), layers.Flatten()),
            "Normalization layer was never adapted",
        ),
        (adapted_normalization, "Normalization layer standardizes"),
        (
            lambda: classifier(layers.Lambda(lambda x: x / 255), layers.Flatten()),
            "Lambda layer does divide by 255",
        ),
        (
            lambda: classifier(
                layers.Rescaling(1 / 255), layers.Rescaling(1 / 255), layers.Flatten()
            ),
            "2 Rescaling layers",
        ),
        (
            lambda: classifier(layers.Rescaling(1 / 255, offset=0.5), layers.Flatten()),
            "into 0.5 and 1.5; they should become 0 and 1",
        ),
        (
            lambda: classifier(
                layers.Rescaling(1 / 255), layers.Flatten(), head=[layers.Dense(10)]
            ),
            "the last Dense layer has no activation",
        ),
        (
            lambda: classifier(
                layers.Rescaling(1 / 255),
                layers.Flatten(),
                head=[layers.Dense(10, activation="sigmoid")],
            ),
            'uses activation "sigmoid"',
        ),
        (
            lambda: keras.Sequential(
                [keras.Input(shape=(784,)), layers.Rescaling(1 / 255), layers.Dense(10)]
            ),
            "its Flatten layer turns each one into 784",
        ),
        (lambda: None, "forget to `return` the model"),
        (lambda: rescaling_model_solution, "returned a function"),
    ],
    ids=[
        "no-rescaling",
        "functional-unused-rescaling",
        "after-hidden-dense",
        "after-dense-in-nested-block",
        "after-output-dense",
        "after-batch-normalization",
        "normalization-not-adapted",
        "normalization-adapted",
        "lambda-divides",
        "two-rescalings",
        "offset-half",
        "no-softmax",
        "sigmoid",
        "flat-input",
        "no-return",
        "returns-the-function",
    ],
)
def test_build_rescaling_model_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.build_rescaling_model(answer), phrase)
