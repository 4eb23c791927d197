"""The self-checks of exercise sets 01-03: a right answer passes, a stub is "not done", and each
typical wrong answer fails with its own hint. No real MNIST is needed and no model is trained."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import check
from helpers.check import loading
from helpers.check.one_hot import (
    reference_cross_entropy,  # the module, not check.one_hot (the 3.1 check)
)
from tests.check_assertions import assert_fail, assert_not_done, assert_pass, stub


@pytest.fixture
def fake_x_train(monkeypatch):
    """120 MNIST-like images in place of the real training set; some peak at 254, like MNIST."""
    rng = np.random.default_rng(0)
    images = np.where(
        rng.random((120, 28, 28)) < 0.2, rng.integers(1, 255, (120, 28, 28)), 0
    ).astype(np.uint8)
    images[::2, 14, 14] = 255
    images[1::2, 14, 14] = 254
    monkeypatch.setattr(loading, "mnist_training_images", lambda: images)
    return images


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
