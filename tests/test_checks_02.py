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
    SCALE_TO_RANGE_MISTAKES,
    STANDARDIZE_MISTAKES,
    STANDARDIZING_MODEL_MISTAKES,
    X_TRAIN_NORM_MISTAKES,
    build_standardizing_model,
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


# --- 2.4 build_standardizing_model -------------------------------------------------------------

# helpers.check exports the check under this name once __init__.py is updated; until then, import
# it from its module.
check_standardizing_model = build_standardizing_model


def standardizing_model_solution(train_images):
    mean = float(np.mean(train_images))  # as in solutions/02_normalization.ipynb
    std = float(np.std(train_images))
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            layers.Rescaling(scale=1 / std, offset=-mean / std),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )


SOLUTION_PRAISE = (
    "Correct: raw pixels in, standardized inside the model with the training mean and standard "
    "deviation of the arrays the check gave you (mean 60.61, std 38.88; mean 150.00, std 20.00; "
    "mean 100.05, std 57.32: one pair per call, none of them MNIST's), 10 probabilities out."
)


def classifier(*middle, head=None):
    head = head or [layers.Dense(10, activation="softmax")]
    return keras.Sequential([keras.Input(shape=(28, 28)), *middle, *head])


def standardizer(train_images, ddof=0):
    mean, std = train_images.mean(), train_images.std(ddof=ddof)
    return layers.Rescaling(scale=1 / std, offset=-mean / std)


def adapted_normalization(train_images):
    normalization = layers.Normalization(axis=None)
    normalization.adapt(train_images)
    return classifier(normalization, layers.Flatten())


def normalization_given_statistics(train_images):
    normalization = layers.Normalization(
        mean=np.mean(train_images), variance=np.var(train_images), axis=None
    )
    return classifier(normalization, layers.Flatten())


def functional_with_operations(train_images):
    mean, std = train_images.mean(), train_images.std()
    inputs = keras.Input(shape=(28, 28))
    standardized = (inputs - mean) / std  # operations, not layers
    outputs = layers.Dense(10, activation="softmax")(layers.Flatten()(standardized))
    return keras.Model(inputs, outputs)


def functional_with_rescaling(train_images):
    inputs = keras.Input(shape=(28, 28))
    hidden = layers.Flatten()(standardizer(train_images)(inputs))
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(hidden))


def nested_preprocessing_block(train_images):
    preprocessing = keras.Sequential([standardizer(train_images)], name="preprocessing")
    return classifier(preprocessing, layers.Flatten())


def two_rescalings(train_images):
    scaled = train_images.astype("float32") / 255
    mean, std = scaled.mean(), scaled.std()
    return classifier(
        layers.Rescaling(1 / 255), layers.Rescaling(1 / std, offset=-mean / std), layers.Flatten()
    )


def keras_ops_statistics(train_images):
    values = keras.ops.cast(train_images, "float32")
    mean, std = keras.ops.mean(values), keras.ops.std(values)
    return classifier(layers.Rescaling(scale=1 / std, offset=-mean / std), layers.Flatten())


def float32_statistics(train_images):
    values = train_images.astype(np.float32)
    mean, std = values.mean(), values.std()
    return classifier(layers.Rescaling(1 / std, -mean / std), layers.Flatten())


def lambda_layer(train_images):
    mean, std = train_images.mean(), train_images.std()
    return classifier(layers.Lambda(lambda x: (x - mean) / std), layers.Flatten())


@pytest.mark.parametrize(
    "answer",
    [
        standardizing_model_solution,
        adapted_normalization,
        normalization_given_statistics,
        functional_with_operations,
        functional_with_rescaling,
        nested_preprocessing_block,
        two_rescalings,
        lambda train_images: classifier(standardizer(train_images, ddof=1), layers.Flatten()),
        keras_ops_statistics,
        float32_statistics,
        lambda train_images: classifier(layers.Flatten(), standardizer(train_images)),
        lambda train_images: classifier(
            standardizer(train_images),
            layers.Flatten(),
            layers.Dense(32, activation="relu"),
            head=[layers.Dense(10), layers.Softmax()],
        ),
        lambda_layer,
    ],
    ids=[
        "solution",
        "normalization-adapted",
        "normalization-mean-variance",
        "functional-operations",
        "functional-rescaling",
        "nested-preprocessing-block",
        "two-rescalings",
        "ddof-1",
        "keras-ops-statistics",
        "float32-statistics",
        "standardize-after-flatten",
        "hidden-layer-softmax-layer",
        "lambda-layer",
    ],
)
def test_build_standardizing_model_passes_right_answers(answer):
    assert_pass(check_standardizing_model(answer))


def test_build_standardizing_model_praise_is_the_one_the_solution_notebook_stores():
    assert check_standardizing_model(standardizing_model_solution).message == SOLUTION_PRAISE


def test_build_standardizing_model_not_done():
    assert_not_done(check_standardizing_model(stub))


@pytest.mark.parametrize(
    "mistake", STANDARDIZING_MODEL_MISTAKES, ids=names(STANDARDIZING_MODEL_MISTAKES)
)
def test_build_standardizing_model_names_each_known_mistake(mistake):
    assert_fail(check_standardizing_model(mistake.implementation), mistake.hint)


def hint_of(name):
    return next(m.hint for m in STANDARDIZING_MODEL_MISTAKES if m.name == name)


def shuffles_in_place(train_images):
    np.random.default_rng(0).shuffle(train_images)  # "a random sample to adapt on"
    return standardizing_model_solution(train_images)


def normalization_default_axis(train_images):
    normalization = layers.Normalization()
    normalization.adapt(train_images)
    return classifier(normalization, layers.Flatten())


def normalization_adapted_on_scaled(train_images):
    normalization = layers.Normalization(axis=None)
    normalization.adapt(train_images / 255)
    return classifier(normalization, layers.Flatten())


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda train_images: None, "forget to `return` the model"),
        (lambda train_images: keras.Sequential, "returned the class Sequential itself"),
        (lambda train_images: standardizing_model_solution, "returned a function"),
        (
            lambda train_images: standardizer(train_images),
            "returned a Rescaling layer, not a model",
        ),
        (lambda train_images: train_images.std(axis=3), "calling your function raised"),
        (shuffles_in_place, "changed the train_images passed to it"),
        (
            lambda train_images: keras.Sequential(
                [
                    standardizer(train_images),
                    layers.Flatten(),
                    layers.Dense(10, activation="softmax"),
                ]
            ),
            "does not know its input shape",
        ),
        (
            lambda train_images: keras.Sequential(
                [keras.Input(shape=(784,)), standardizer(train_images), layers.Dense(10)]
            ),
            "its Flatten layer turns each one into 784",
        ),
        (
            lambda train_images: classifier(
                standardizer(train_images), layers.Flatten(), head=[layers.Dense(10)]
            ),
            "the last Dense layer has no activation",
        ),
        (
            lambda train_images: classifier(
                standardizer(train_images),
                layers.Flatten(),
                head=[layers.Dense(10, activation="sigmoid")],
            ),
            'uses activation "sigmoid"',
        ),
        (
            lambda train_images: classifier(
                layers.Flatten(), layers.Dense(64, activation="relu"), standardizer(train_images)
            ),
            "your Rescaling layer comes after Dense, a layer that learns",
        ),
        (
            lambda train_images: classifier(
                layers.Rescaling(1 / 78.57, offset=-33.32 / 78.57), layers.Flatten()
            ),
            hint_of("mnist-training-statistics"),
        ),
        (normalization_default_axis, hint_of("normalization-default-axis")),
        (normalization_adapted_on_scaled, hint_of("statistics-of-scaled")),
        (
            lambda train_images: classifier(layers.Normalization(axis=None), layers.Flatten()),
            hint_of("normalization-not-adapted"),
        ),
    ],
    ids=[
        "no-return",
        "returns-the-class",
        "returns-the-function",
        "returns-a-layer",
        "raises",
        "shuffles-in-place",
        "no-input",
        "flat-input",
        "no-softmax",
        "sigmoid",
        "rescaling-after-dense",
        "typed-mnist-constants",
        "normalization-default-axis-adapted",
        "normalization-adapted-on-scaled",
        "normalization-not-adapted",
    ],
)
def test_build_standardizing_model_explains_other_wrong_answers(answer, phrase):
    assert_fail(check_standardizing_model(answer), phrase)


def test_build_standardizing_model_raw_pixels_hint_is_not_the_normalization_one():
    """A model with no Normalization layer passes raw pixels on too: it gets its own hint."""
    message = check_standardizing_model(lambda train_images: classifier(layers.Flatten())).message
    assert message.endswith(hint_of("raw-pixels"))
    assert "adapt" not in message


def test_build_standardizing_model_fallback_names_the_first_wrong_value_and_the_wrong_mean():
    def shifted(train_images):
        mean, std = train_images.mean(), train_images.std()
        return classifier(layers.Rescaling(1 / std, offset=-mean / std + 0.5), layers.Flatten())

    message = check_standardizing_model(shifted).message
    assert "for training images with mean 60.61 and std 38.88" in message
    assert (
        "In the check's test image 0, the raw pixel [0, 0] is 49: it should become -0.2987, but "
        "your model makes it 0.2013."
    ) in message
    assert message.endswith(
        "what it receives has mean 0.50 and std 1.00; (x - 60.61) / 38.88 gives mean 0.00 and std 1.00."
    )


def test_build_standardizing_model_fallback_speaks_of_mean_and_std_only_when_they_differ():
    """Transposed images have the right mean and std: only the first wrong value is named."""

    def transposed(train_images):
        return classifier(layers.Permute((2, 1)), standardizer(train_images), layers.Flatten())

    message = check_standardizing_model(transposed).message
    assert "but your model makes it" in message
    assert "mean 0" not in message and "what it receives has" not in message
