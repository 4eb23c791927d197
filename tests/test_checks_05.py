"""The self-checks of exercise set 05: a right answer passes, a stub is "not done", and each
typical wrong answer fails with its own hint. 5.4 runs on small fake digits with tiny models,
never on real MNIST."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import check
from helpers.check import cnn
from tests.check_assertions import assert_fail, assert_not_done, assert_pass, stub

# --- 5.1 conv_output_size ----------------------------------------------------------------------


def size_right(size, kernel, stride=1, padding="valid"):
    if padding == "same":
        return -(-size // stride)
    return (size - kernel) // stride + 1


def size_with_math_ceil(size, kernel, stride=1, padding="valid"):
    if padding == "same":
        return math.ceil(size / stride)
    return math.floor((size - kernel) / stride) + 1


def test_reference_conv_output_size_matches_keras():
    import keras

    for size, kernel, stride, padding in cnn.conv_size_cases():
        layer = keras.layers.Conv2D(1, kernel, strides=stride, padding=padding)
        keras_size = layer.compute_output_shape((None, size, size, 1))[1]
        assert cnn.reference_conv_output_size(size, kernel, stride, padding) == keras_size, (
            size,
            kernel,
            stride,
            padding,
        )


@pytest.mark.parametrize(
    "answer", [size_right, size_with_math_ceil], ids=["floor-division", "math-ceil"]
)
def test_conv_output_size_passes_right_answers(answer):
    assert_pass(check.conv_output_size(answer))


def test_conv_output_size_not_done():
    assert_not_done(check.conv_output_size(stub))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda size, kernel, stride=1, padding="valid": size - kernel, "one too few"),
        (
            lambda size, kernel, stride=1, padding="valid": (size - kernel) // stride + 1,
            "the 'valid' size",
        ),
        (
            lambda size, kernel, stride=1, padding="valid": (
                size - kernel + 1 if padding == "valid" else size
            ),
            "the size for stride 1",
        ),
        (lambda size, kernel, stride=1, padding="valid": (size - kernel) / stride + 1, "a float"),
        (
            lambda size, kernel, stride=1, padding="valid": (
                math.ceil((size - kernel) / stride) + 1
                if padding == "valid"
                else -(-size // stride)
            ),
            "rounding up",
        ),
        (
            lambda size, kernel, stride=1, padding="valid": (
                (size - kernel) // stride + 1 if padding == "valid" else size // stride
            ),
            "'same' rounds UP",
        ),
        (
            lambda size, kernel, stride=1, padding="valid": (
                (size - kernel) // stride + 1 if padding == "valid" else size
            ),
            "right for stride 1 only",
        ),
        (
            lambda size, kernel, stride=1, padding="valid": (
                np.ceil(size / stride) if padding == "same" else (size - kernel) // stride + 1
            ),
            "int(...) around math.ceil or np.ceil",
        ),
        (lambda size, kernel, stride=1, padding="valid": None, "forget `return`"),
    ],
    ids=[
        "no-plus-one",
        "same-as-valid",
        "stride-ignored",
        "float",
        "valid-rounds-up",
        "same-rounds-down",
        "same-ignores-stride",
        "np-ceil-float",
        "no-return",
    ],
)
def test_conv_output_size_explains_wrong_answers(answer, phrase):
    assert_fail(check.conv_output_size(answer), phrase)


# --- 5.2 conv_params ---------------------------------------------------------------------------


def test_reference_conv_params_matches_keras():
    import keras

    for kernel_size, in_channels, filters, bias in cnn.conv_params_cases():
        layer = keras.layers.Conv2D(filters, kernel_size, use_bias=bias)
        layer.build((None, 16, 16, in_channels))
        assert (
            cnn.reference_conv_params(kernel_size, in_channels, filters, bias)
            == layer.count_params()
        )


@pytest.mark.parametrize(
    "answer",
    [
        lambda kernel_size, in_channels, filters, bias=True: (
            kernel_size**2 * in_channels * filters + bias * filters
        ),
        lambda kernel_size, in_channels, filters, bias=True: (
            filters * (kernel_size * kernel_size * in_channels + int(bias))
        ),
        lambda kernel_size, in_channels, filters, bias=True: np.int64(
            kernel_size**2 * in_channels * filters + bias * filters
        ),
    ],
    ids=["formula", "per-filter", "numpy-int"],
)
def test_conv_params_passes_right_answers(answer):
    assert_pass(check.conv_params(answer))


def test_conv_params_not_done():
    assert_not_done(check.conv_params(stub))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda k, c, f, bias=True: k * k * f + (f if bias else 0), "Multiply by in_channels too"),
        (
            lambda k, c, f, bias=True: 2 * k * k * c * f if bias else k * k * c * f,
            "as if every weight had its own bias",
        ),
        (lambda k, c, f, bias=True: k * k * c * f, "the weights alone"),
        (lambda k, c, f, bias=True: k * k * c * f + f, "there are none"),
        (lambda k, c, f, bias=True: k * k * c * f + (c if bias else 0), "one per INPUT channel"),
        (lambda k, c, f, bias=True: k * c * f + (f if bias else 0), "a 3×3 square"),
        (lambda k, c, f, bias=True: float(k * k * c * f + (f if bias else 0)), "a float"),
    ],
    ids=[
        "no-in-channels",
        "bias-per-weight",
        "no-bias",
        "bias-always",
        "bias-per-input-channel",
        "kernel-not-squared",
        "float",
    ],
)
def test_conv_params_explains_wrong_answers(answer, phrase):
    assert_fail(check.conv_params(answer), phrase)


# --- 5.3 most_confused_pairs -------------------------------------------------------------------


def pairs_right(confusion, count=3):
    mistakes = np.array(confusion, copy=True)
    np.fill_diagonal(mistakes, 0)
    order = np.argsort(-mistakes, axis=None)[:count]
    rows, columns = np.unravel_index(order, mistakes.shape)
    return [(int(row), int(column)) for row, column in zip(rows, columns)]


def pairs_by_loop(confusion, count=3):
    cells = [
        (confusion[t, p], t, p)
        for t in range(len(confusion))
        for p in range(len(confusion))
        if t != p
    ]
    return [(t, p) for _, t, p in sorted(cells, reverse=True)[:count]]


def pairs_with_diagonal(confusion, count=3):
    order = np.argsort(-np.asarray(confusion), axis=None)[:count]
    return list(zip(*np.unravel_index(order, np.shape(confusion))))


def pairs_ascending(confusion, count=3):
    mistakes = np.array(confusion, copy=True)
    np.fill_diagonal(mistakes, 0)
    order = np.argsort(mistakes, axis=None)[:count]
    return list(zip(*np.unravel_index(order, mistakes.shape)))


def pairs_for_ten_classes(confusion, count=3):
    mistakes = np.array(confusion, copy=True)
    mistakes[range(10), range(10)] = 0
    order = np.argsort(-mistakes, axis=None)[:count]
    return list(zip(*np.unravel_index(order, mistakes.shape)))


def test_confused_pairs_cases_have_no_ties_and_are_not_symmetric():
    for confusion, _count, _ in cnn.confused_pairs_cases():
        off = confusion[~np.eye(len(confusion), dtype=bool)]
        assert len(np.unique(off)) == len(off)
        assert np.diag(confusion).min() > off.max()
        assert not np.array_equal(confusion, confusion.T)


@pytest.mark.parametrize(
    "answer",
    [
        pairs_right,
        pairs_by_loop,
        lambda confusion, count=3: np.array(pairs_right(confusion, count)),
    ],
    ids=["argsort", "loop", "array"],
)
def test_most_confused_pairs_passes_right_answers(answer):
    assert_pass(check.most_confused_pairs(answer))


def test_most_confused_pairs_not_done():
    assert_not_done(check.most_confused_pairs(stub))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (pairs_with_diagonal, "a cell on the diagonal"),
        (pairs_ascending, "sort in ASCENDING order"),
        (
            lambda confusion, count=3: pairs_right(confusion, len(confusion) ** 2)[::-1][
                len(confusion) :
            ][:count],
            "the LEAST frequent confusions",
        ),
        (
            lambda confusion, count=3: [(p, t) for t, p in pairs_right(confusion, count)],
            "each pair is (predicted, true)",
        ),
        (lambda confusion, count=3: pairs_right(confusion, count)[::-1], "reverse order"),
        (lambda confusion, count=3: pairs_right(confusion, 3), "return exactly count=5 pairs"),
        (
            lambda confusion, count=3: np.argsort(
                -(confusion * (1 - np.eye(len(confusion), dtype=int))), axis=None
            )[:count],
            "np.unravel_index",
        ),
        (pairs_for_ten_classes, "works for 10 × 10 matrices but not for a 4 × 4 matrix"),
        (
            lambda confusion, count=3: [confusion[t, p] for t, p in pairs_right(confusion, count)],
            "instead of (true, predicted) pairs",
        ),
    ],
    ids=[
        "diagonal",
        "ascending-zeroed-diagonal",
        "least-frequent",
        "swapped",
        "reversed",
        "ignores-count",
        "flat-indices",
        "fixed-ten",
        "counts",
    ],
)
def test_most_confused_pairs_explains_wrong_answers(answer, phrase):
    assert_fail(check.most_confused_pairs(answer), phrase)


# --- 5.4 train_small_cnn -----------------------------------------------------------------------


def fake_digits(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Easy uint8 "digits" on faint noise: a bar whose position gives label % 5 and whose brightness (dim or
    full) gives label // 5. Telling dim from full takes a threshold, so a model fed pixels on the wrong
    scale fails half the labels, as on real digits."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count).astype(np.uint8)
    images = rng.integers(0, 30, (count, 28, 28)).astype(np.uint8)
    for image, label in zip(images, labels):
        column = 2 + 5 * (label % 5)
        image[6:22, column : column + 3] = 110 if label < 5 else 255
    return images, labels


@pytest.fixture
def fake_mnist(monkeypatch):
    """Small easy data in place of MNIST, a budget of 3 epochs and a bar of 90 %."""
    train, test = fake_digits(600, seed=0), fake_digits(200, seed=1)
    monkeypatch.setattr("helpers.check.framework.mnist_data", lambda: (train, test))
    monkeypatch.setattr(cnn, "training_budget", lambda: 3)
    monkeypatch.setattr(cnn, "accuracy_bar", lambda: 0.9)
    return train, test


def small_cnn(
    rescale=True, channel_input=False, dense_units=0, conv=True, batch_norm=False, momentum=0.99
):
    import keras

    layers = keras.layers
    stack = [keras.Input(shape=(28, 28, 1) if channel_input else (28, 28))]
    if rescale:
        stack.append(layers.Rescaling(1 / 255))
    if not channel_input:
        stack.append(layers.Reshape((28, 28, 1)))
    if conv:
        stack += [layers.Conv2D(8, 3, use_bias=not batch_norm), layers.MaxPooling2D(4)]
        if batch_norm:
            stack.append(layers.BatchNormalization(momentum=momentum))
        stack.append(layers.ReLU())
    stack.append(layers.Flatten())
    if dense_units:
        stack.append(layers.Dense(dense_units, activation="relu"))
    stack.append(layers.Dense(10, activation="softmax"))
    return keras.Sequential(stack)


def trained(model, x, y, epochs, batch_size=32, learning_rate=1e-2):
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0)
    return model


def test_train_small_cnn_passes_a_right_answer(fake_mnist):
    assert_pass(check.train_small_cnn(lambda x, y, epochs: trained(small_cnn(), x, y, epochs)))


def test_train_small_cnn_not_done(fake_mnist):
    assert_not_done(check.train_small_cnn(stub))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda x, y, epochs: trained(small_cnn(), x, y, epochs).history, "a History"),
        (lambda x, y, epochs: None, "forget `return model`"),
        (lambda x, y, epochs: (small_cnn(), 0.9), "return only the trained model"),
        (
            lambda x, y, epochs: small_cnn(channel_input=True),
            "let a keras.layers.Reshape((28, 28, 1)) layer",
        ),
        (lambda x, y, epochs: small_cnn(conv=False), "no Conv2D layer"),
        (lambda x, y, epochs: small_cnn(dense_units=128), "must stay below 20,000"),
        (lambda x, y, epochs: small_cnn(), "has not been trained"),
        (lambda x, y, epochs: trained(small_cnn(), x, y, epochs + 2), "the budget is epochs=3"),
        (
            lambda x, y, epochs: trained(
                small_cnn(rescale=False), x.astype("float32") / 255, y, epochs
            ),
            "does well on pixels divided by 255",
        ),
        (
            lambda x, y, epochs: trained(small_cnn(), x, y, 1, learning_rate=3e-4),
            "the bar is 90.0%",
        ),
    ],
    ids=[
        "history",
        "none",
        "tuple",
        "channel-input",
        "no-conv",
        "too-many-params",
        "untrained",
        "over-budget",
        "no-rescaling",
        "undertrained",
    ],
)
def test_train_small_cnn_explains_wrong_answers(fake_mnist, answer, phrase):
    assert_fail(check.train_small_cnn(answer), phrase)


def test_train_small_cnn_explains_lagging_batch_norm_averages(fake_mnist):
    """Running averages far from the batch statistics, as after a short training with momentum 0.99:
    predictions are poor while the same model in training mode does well."""
    import keras

    def lagging(x, y, epochs):
        keras.utils.set_random_seed(0)
        model = trained(small_cnn(batch_norm=True, momentum=0.9), x, y, epochs)
        norm = next(
            layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)
        )
        norm.moving_variance.assign(norm.moving_variance * 400)
        norm.moving_mean.assign(norm.moving_mean + 3 * keras.ops.sqrt(norm.moving_variance))
        return model

    assert_fail(check.train_small_cnn(lagging), "momentum=0.9")
