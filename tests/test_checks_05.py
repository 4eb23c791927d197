"""The self-checks of exercise set 05: right answers written in several ways pass, a stub is "not
done", every mistake of each check's table gets its own hint, and structural slips get theirs.
5.4 only builds models; 5.5 trains on small fake digits with tiny models, never on real MNIST."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest

from helpers import check
from helpers.check import cnn
from tests.check_assertions import assert_fail, assert_not_done, assert_pass, stub

# --- 5.1 conv_output_size ----------------------------------------------------------------------


def size_solution(size, kernel, stride=1, padding="valid"):
    """The course solution."""
    if padding == "same":
        return -(-size // stride)  # rounds up, without floats
    return (size - kernel) // stride + 1


def size_with_math_ceil(size, kernel, stride=1, padding="valid"):
    if padding == "same":
        return math.ceil(size / stride)
    return math.floor((size - kernel) / stride) + 1


def size_by_walking(size, kernel, stride=1, padding="valid"):
    """Counts the filter's positions one by one; accepts the padding in any case."""
    if padding.lower() == "same":
        return len(range(0, size, stride))
    positions, start = 0, 0
    while start + kernel <= size:
        positions += 1
        start += stride
    return positions


def size_numpy_int(size, kernel, stride=1, padding="valid"):
    if padding == "valid":
        return np.int64((size - kernel) // stride + 1)
    return int(np.ceil(size / stride))


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
    "answer",
    [size_solution, size_with_math_ceil, size_by_walking, size_numpy_int],
    ids=["solution", "math-ceil", "walking-loop", "numpy-int"],
)
def test_conv_output_size_passes_right_answers(answer):
    assert_pass(check.conv_output_size(answer))


def test_conv_output_size_not_done():
    assert_not_done(check.conv_output_size(stub))


@pytest.mark.parametrize(
    "mistake", cnn.CONV_SIZE_MISTAKES, ids=[m.name for m in cnn.CONV_SIZE_MISTAKES]
)
def test_conv_output_size_explains_each_known_mistake(mistake):
    assert_fail(check.conv_output_size(mistake.implementation), mistake.hint)


def size_upper_case_padding(size, kernel, stride=1, padding="valid"):
    if padding == "SAME":
        return -(-size // stride)
    return (size - kernel) // stride + 1


def size_two_slips(size, kernel, stride=1, padding="valid"):
    """No + 1 in 'valid', rounding down in 'same': the 'valid' hint comes first."""
    return size // stride if padding == "same" else (size - kernel) // stride


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (
            lambda size, kernel, stride=1, padding="valid": (size - kernel) / stride + 1,
            "you returned 26, a float",
        ),
        (
            lambda size, kernel, stride=1, padding="valid": (
                np.ceil(size / stride) if padding == "same" else (size - kernel) // stride + 1
            ),
            "int(...) around math.ceil or np.ceil",
        ),
        (lambda size, kernel, stride=1, padding="valid": None, "forget `return`"),
        (
            lambda size, kernel, stride=1, padding="valid": (size, size),
            "you returned a tuple",
        ),
        (size_upper_case_padding, 'padding == "same", in lower case'),
        (size_two_slips, "one too few"),
        (
            lambda size, kernel, stride=1, padding="valid": (
                size_solution(size, kernel, stride, padding) + (size > 200)
            ),
            "for size=224, kernel=7, stride=2, padding='same', you returned 113, but Keras's "
            "output has 112 positions there.",
        ),
    ],
    ids=["float", "np-ceil-float", "no-return", "tuple", "upper-case-same", "two-slips", "unknown"],
)
def test_conv_output_size_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.conv_output_size(answer), phrase)


# --- 5.2 conv_params ---------------------------------------------------------------------------


def params_solution(kernel_size, in_channels, filters, bias=True):
    """The course solution."""
    weights = kernel_size * kernel_size * in_channels * filters
    return weights + (filters if bias else 0)


def params_filter_by_filter(kernel_size, in_channels, filters, bias=True):
    total = 0
    for _ in range(filters):
        total += kernel_size**2 * in_channels + int(bias)
    return total


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
        params_solution,
        params_filter_by_filter,
        lambda kernel_size, in_channels, filters, bias=True: (
            filters * (kernel_size * kernel_size * in_channels + int(bias))
        ),
        lambda kernel_size, in_channels, filters, bias=True: (
            np.prod([kernel_size, kernel_size, in_channels, filters]) + bias * filters
        ),
    ],
    ids=["solution", "loop", "per-filter", "numpy-prod"],
)
def test_conv_params_passes_right_answers(answer):
    assert_pass(check.conv_params(answer))


def test_conv_params_not_done():
    assert_not_done(check.conv_params(stub))


@pytest.mark.parametrize(
    "mistake", cnn.CONV_PARAMS_MISTAKES, ids=[m.name for m in cnn.CONV_PARAMS_MISTAKES]
)
def test_conv_params_explains_each_known_mistake(mistake):
    assert_fail(check.conv_params(mistake.implementation), mistake.hint)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda k, c, f, bias=True: float(params_solution(k, c, f, bias)), "a float"),
        (lambda k, c, f, bias=True: None, "forget `return`"),
        (lambda k, c, f, bias=True: str(params_solution(k, c, f, bias)), "you returned a str"),
        (
            lambda k, c, f, bias=True: params_solution(k, c, f, bias) if f > 1 else 0,
            "for Conv2D(1, 3, use_bias=True) on 1 input channel, you returned 0, but Keras "
            "counts 10 parameters there: 9 weights + 1 bias.",
        ),
        (
            lambda k, c, f, bias=True: params_solution(k, c, f, bias) % 2**16,
            "but Keras counts 4,719,616 parameters there: 4,718,592 weights + 1,024 biases.",
        ),
    ],
    ids=["float", "no-return", "string", "unknown-grammar", "int16-overflow"],
)
def test_conv_params_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.conv_params(answer), phrase)


# --- 5.3 most_confused_pairs -------------------------------------------------------------------


def pairs_solution(confusion, count=3):
    """The course solution."""
    mistakes = np.array(confusion, copy=True)
    np.fill_diagonal(mistakes, 0)
    largest_first = np.argsort(-mistakes, axis=None)[:count]
    rows, columns = np.unravel_index(largest_first, mistakes.shape)
    return [(int(row), int(column)) for row, column in zip(rows, columns)]


def pairs_by_loop(confusion, count=3):
    cells = [
        (confusion[t][p], t, p)
        for t in range(len(confusion))
        for p in range(len(confusion))
        if t != p
    ]
    return [(t, p) for _, t, p in sorted(cells, reverse=True)[:count]]


def pairs_with_heapq(confusion, count=3):
    size = len(confusion)
    cells = ((t, p) for t in range(size) for p in range(size) if t != p)
    return heapq.nlargest(count, cells, key=lambda cell: confusion[cell])


def pairs_numpy_ints(confusion, count=3):
    """Subtracts the diagonal, uses argpartition, returns NumPy integers."""
    mistakes = confusion - np.diag(np.diag(confusion))
    top = np.argpartition(-mistakes, count - 1, axis=None)[:count]
    top = top[np.argsort(-mistakes.ravel()[top])]
    return list(zip(*np.unravel_index(top, mistakes.shape)))


def test_confused_pairs_cases_have_no_ties_and_expose_the_mistakes():
    for confusion, _count, _ in cnn.confused_pairs_cases():
        off = confusion[~np.eye(len(confusion), dtype=bool)]
        assert len(np.unique(off)) == len(off)  # the exercise promises no ties
        assert np.diag(confusion).min() > off.max()
        assert not np.array_equal(confusion, confusion.T)
    counts = [confusion.max() for confusion, _, _ in cnn.confused_pairs_cases()]
    assert max(counts) > 255
    first = cnn.confused_pairs_cases()[0][0]
    rows = [t for t, _ in cnn.reference_most_confused_pairs(first, 3)]
    assert len(set(rows)) < len(rows)  # two of the largest cells share a row


@pytest.mark.parametrize(
    "answer",
    [
        pairs_solution,
        pairs_by_loop,
        pairs_with_heapq,
        pairs_numpy_ints,
        lambda confusion, count=3: np.array(pairs_solution(confusion, count)),
        lambda confusion, count=3: [list(pair) for pair in pairs_solution(confusion, count)],
    ],
    ids=["solution", "loop", "heapq", "argpartition-numpy-ints", "array", "lists"],
)
def test_most_confused_pairs_passes_right_answers(answer):
    assert_pass(check.most_confused_pairs(answer))


def test_most_confused_pairs_not_done():
    assert_not_done(check.most_confused_pairs(stub))


@pytest.mark.parametrize("mistake", cnn.PAIRS_MISTAKES, ids=[m.name for m in cnn.PAIRS_MISTAKES])
def test_most_confused_pairs_explains_each_known_mistake(mistake):
    assert_fail(check.most_confused_pairs(mistake.implementation), mistake.hint)


def pairs_in_place(confusion, count=3):
    np.fill_diagonal(confusion, 0)
    return pairs_solution(confusion, count)


def pairs_for_ten_classes(confusion, count=3):
    mistakes = np.array(confusion, copy=True)
    mistakes[range(10), range(10)] = 0
    return pairs_solution(mistakes, count)


def pairs_second_to_fourth(confusion, count=3):
    return pairs_solution(confusion, count + 1)[1:]


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (pairs_in_place, "changed the matrix it was given"),
        (pairs_for_ten_classes, "works for 10 × 10 matrices but not for a 4 × 4 matrix"),
        (
            lambda confusion, count=3: [
                (t, p, int(confusion[t, p])) for t, p in pairs_solution(confusion, count)
            ],
            "without its count",
        ),
        (lambda confusion, count=3: None, "forget `return`"),
        (lambda confusion, count=3: pairs_solution(confusion, count)[:-1], "exactly count=3"),
        (
            lambda confusion, count=3: [
                (t + 1, p + 1) for t, p in pairs_solution(confusion, count)
            ],
            "classes go from 0 to 9",
        ),
        (
            pairs_second_to_fourth,
            "for a 10 × 10 matrix, pair number 1 should be (4, 9) (confused 186 times), but you "
            "returned (4, 7) (confused 184 times).",
        ),
    ],
    ids=["in-place", "range-ten", "with-counts", "no-return", "too-few", "one-based", "unknown"],
)
def test_most_confused_pairs_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.most_confused_pairs(answer), phrase)


# --- 5.4 build_small_cnn -----------------------------------------------------------------------


def small_cnn(
    rescale=True,
    channel_input=False,
    dense_units=0,
    conv=True,
    batch_norm=False,
    momentum=0.99,
    softmax=True,
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
    stack.append(layers.Dense(10, activation="softmax" if softmax else None))
    return keras.Sequential(stack)


def compiled(model, learning_rate=1e-2, from_logits=False):
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits),
        metrics=["accuracy"],
    )
    return model


def small_cnn_solution():
    """The course solution (solutions/05_cnn.ipynb)."""
    import keras

    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            layers.Rescaling(1 / 255),
            layers.Reshape((28, 28, 1)),
            layers.Conv2D(24, 5, use_bias=False, kernel_initializer="he_normal"),
            layers.MaxPooling2D(),
            layers.BatchNormalization(momentum=0.9),
            layers.ReLU(),
            layers.Conv2D(32, 3, use_bias=False, kernel_initializer="he_normal"),
            layers.MaxPooling2D(),
            layers.BatchNormalization(momentum=0.9),
            layers.ReLU(),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ],
        name="small_cnn",
    )


def cnn_in_nested_blocks():
    """Preprocessing and convolution in nested Sequential blocks, activations as layers."""
    import keras

    layers = keras.layers
    preprocessing = keras.Sequential([layers.Rescaling(1 / 255), layers.Reshape((28, 28, 1))])
    block = keras.Sequential([layers.Conv2D(8, 3), layers.ReLU(), layers.MaxPooling2D(4)])
    return keras.Sequential(
        [
            keras.Input((28, 28)),
            preprocessing,
            block,
            layers.Flatten(),
            layers.Dense(10),
            layers.Activation("softmax"),
        ]
    )


def functional_cnn():
    """The functional API, with Activation and Softmax layers."""
    import keras

    layers = keras.layers
    inputs = keras.Input((28, 28))
    hidden = layers.Reshape((28, 28, 1))(layers.Rescaling(1 / 255)(inputs))
    hidden = layers.MaxPooling2D(4)(layers.Activation("relu")(layers.Conv2D(8, 3)(hidden)))
    outputs = layers.Softmax()(layers.Dense(10)(layers.Flatten()(hidden)))
    return keras.Model(inputs, outputs)


def same_padding_global_pooling_compiled():
    """'same' padding, two blocks, GlobalAveragePooling2D instead of Flatten, compiled already."""
    import keras

    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            layers.Rescaling(1.0 / 255.0),
            layers.Reshape((28, 28, 1)),
            layers.Conv2D(16, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.GlobalAveragePooling2D(),
            layers.Dropout(0.2),
            layers.Dense(10, activation="softmax"),
        ]
    )
    return compiled(model)


def reshape_first_symmetric_scale():
    """Reshape before Rescaling, pixels scaled to -1 to 1, BatchNormalization before the ReLU."""
    import keras

    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((28, 28)),
            layers.Reshape((28, 28, 1)),
            layers.Rescaling(1 / 127.5, offset=-1),
            layers.Conv2D(12, 5, strides=2),
            layers.BatchNormalization(),
            layers.Activation("relu"),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )


@pytest.mark.parametrize(
    "answer",
    [
        small_cnn_solution,
        small_cnn,
        cnn_in_nested_blocks,
        functional_cnn,
        same_padding_global_pooling_compiled,
        reshape_first_symmetric_scale,
    ],
    ids=[
        "solution",
        "one-block",
        "nested-blocks",
        "functional",
        "same-padding-global-pooling-compiled",
        "reshape-first-symmetric-scale",
    ],
)
def test_build_small_cnn_passes_right_answers(answer):
    result = check.build_small_cnn(answer)
    assert_pass(result)
    assert result.exercise == "5.4"


def test_build_small_cnn_praises_the_solution_with_its_size():
    result = check.build_small_cnn(small_cnn_solution)
    assert result.message == (
        f"Correct: 15,746 parameters, 7% of the course CNN's {cnn.COURSE_CNN_PARAMS:,}; raw pixels "
        "in, 10 probabilities out. Now train it (exercise 5.5)."
    )


def test_build_small_cnn_not_done():
    result = check.build_small_cnn(stub)
    assert_not_done(result)
    assert result.exercise == "5.4"


def rescaling_after_convolution():
    import keras

    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.Sequential([layers.Reshape((28, 28, 1)), layers.Conv2D(8, 3)]),
            layers.Rescaling(1 / 255),
            layers.ReLU(),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )


def nested_without_convolution():
    import keras

    layers = keras.layers
    inner = keras.Sequential([layers.Rescaling(1 / 255), layers.Flatten(), layers.Dense(16)])
    return keras.Sequential(
        [keras.Input((28, 28)), inner, layers.ReLU(), layers.Dense(10, activation="softmax")]
    )


def cnn_without(missing):
    """A CNN that lacks a layer it needs: Keras fails while building it (no Reshape), or later."""
    import keras

    layers = keras.layers
    stack = [keras.Input((28, 28)), layers.Rescaling(1 / 255)]
    if missing != "reshape":
        stack.append(layers.Reshape((28, 28, 1)))
    stack += [layers.Conv2D(4, 3), layers.MaxPooling2D()]
    if missing == "room":  # 26 → 13 → 6 → 3 → 1, then a window of 2 does not fit
        stack += [layers.MaxPooling2D() for _ in range(4)]
    if missing != "flatten":
        stack.append(layers.Flatten())
    stack.append(layers.Dense(10, activation="softmax"))
    return keras.Sequential(stack)


def rescaled_twice():
    import keras

    layers = keras.layers
    return keras.Sequential([keras.Input((28, 28)), layers.Rescaling(1 / 255), *small_cnn().layers])


SHARED_MODEL = []


def built_once_outside():
    """Returns one model made on the first call, as `model = ...` above the function would."""
    if not SHARED_MODEL:
        SHARED_MODEL.append(small_cnn())
    return SHARED_MODEL[0]


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (
            lambda: small_cnn(channel_input=True),
            "let a keras.layers.Reshape((28, 28, 1)) layer",
        ),
        (lambda: cnn_without("reshape"), "Conv2D needs a channel axis"),
        (nested_without_convolution, "your model has no Conv2D layer"),
        (lambda: small_cnn(dense_units=128), "must stay below 20,000"),
        (rescaling_after_convolution, "comes after its first convolution"),
        (lambda: small_cnn(rescale=False), "start it with keras.layers.Rescaling(1 / 255)"),
        (rescaled_twice, "your 2 Rescaling layers together multiply the pixels by 1.54e-05"),
        (
            lambda: small_cnn(softmax=False),
            "has no activation, so the model does not output probabilities",
        ),
        (
            lambda: cnn_without("flatten"),
            "Put a keras.layers.Flatten() (or GlobalAveragePooling2D())",
        ),
        (lambda: cnn_without("room"), "too many poolings or 'valid' convolutions"),
        (lambda: None, "did you forget to `return` the model"),
        (lambda: __import__("keras").Sequential, "you returned Sequential itself, not a model"),
        (lambda: small_cnn, "you returned small_cnn itself, not a model"),
        (
            lambda: small_cnn().layers,
            "you returned a list of layers: wrap it in a model, keras.Sequential([...])",
        ),
        (built_once_outside, "returns the same model object every time"),
    ],
    ids=[
        "channel-input",
        "no-channel-axis",
        "nested-no-conv",
        "too-many-params",
        "rescaling-after-conv",
        "no-rescaling",
        "rescaled-twice",
        "logits",
        "no-flatten",
        "pools-too-often",
        "returns-none",
        "returns-the-class",
        "returns-the-function",
        "list-of-layers",
        "built-once-outside",
    ],
)
def test_build_small_cnn_explains_wrong_answers(answer, phrase):
    result = check.build_small_cnn(answer)
    assert_fail(result, phrase)
    assert result.message.count(phrase) == 1, result.message  # a relayed error's hint comes once


def test_build_small_cnn_too_big_names_the_largest_layer():
    import keras

    layers = keras.layers

    def dense_after_flatten():
        return keras.Sequential(
            [
                keras.Input((28, 28)),
                layers.Rescaling(1 / 255),
                layers.Reshape((28, 28, 1)),
                layers.Conv2D(8, 3, activation="relu"),
                layers.MaxPooling2D(4),
                layers.Flatten(),
                layers.Dense(128, activation="relu", name="hidden"),
                layers.Dense(10, activation="softmax"),
            ]
        )

    assert_fail(
        check.build_small_cnn(dense_after_flatten),
        "your model has 38,362 parameters; it must stay below 20,000. The largest layer, 'hidden', "
        "holds 36,992 of them. It is the Dense layer 'hidden': its input has 288 values, each "
        "connected to 128 units.",
    )


def test_course_cnn_size_matches_the_notebook_recipe():
    from benchmarks.recipes import COURSE_MODELS, load_recipe

    model = load_recipe(COURSE_MODELS["cnn"], "cnn").build()
    assert model.count_params() == cnn.COURSE_CNN_PARAMS, (
        "update COURSE_CNN_PARAMS in helpers/check/cnn.py"
    )
    assert cnn.SMALL_CNN_LIMIT < cnn.COURSE_CNN_PARAMS


# --- 5.5 train_small_cnn -----------------------------------------------------------------------


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


def trained(model, x, y, epochs, batch_size=32, learning_rate=1e-2):
    compiled(model, learning_rate).fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0)
    return model


def train_with_builder(build_small_cnn):
    """The course solution of 5.5, which calls the student's build_small_cnn() of 5.4."""

    def train_small_cnn(x, y, epochs):
        import keras

        model = build_small_cnn()
        batch_size = 128
        total_steps = int(np.ceil(len(x) / batch_size)) * epochs
        warmup_steps = int(0.2 * total_steps)
        schedule = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=3e-3 / 20,
            decay_steps=total_steps - warmup_steps,
            warmup_target=3e-3,
            warmup_steps=warmup_steps,
        )
        model.compile(
            optimizer=keras.optimizers.Adam(schedule),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0)
        return model

    return train_small_cnn


train_solution = train_with_builder(small_cnn_solution)


def train_nested_blocks(x, y, epochs):
    """Preprocessing and convolution in nested Sequential blocks, activations as layers."""
    import keras

    layers = keras.layers
    preprocessing = keras.Sequential([layers.Rescaling(1 / 255), layers.Reshape((28, 28, 1))])
    block = keras.Sequential([layers.Conv2D(8, 3), layers.ReLU(), layers.MaxPooling2D(4)])
    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            preprocessing,
            block,
            layers.Flatten(),
            layers.Dense(10),
            layers.Activation("softmax"),
        ]
    )
    return trained(model, x, y, epochs)


def train_functional(x, y, epochs):
    """The functional API, and fit run twice within the budget."""
    import keras

    layers = keras.layers
    inputs = keras.Input((28, 28))
    hidden = layers.Reshape((28, 28, 1))(layers.Rescaling(1 / 255)(inputs))
    hidden = layers.MaxPooling2D(4)(layers.Activation("relu")(layers.Conv2D(8, 3)(hidden)))
    outputs = layers.Softmax()(layers.Dense(10)(layers.Flatten()(hidden)))
    model = compiled(keras.Model(inputs, outputs))
    model.fit(x, y, epochs=epochs - 1, verbose=0)
    model.fit(x, y, epochs=1, verbose=0)
    return model


def train_one_hot_same_padding(x, y, epochs):
    """One-hot labels with categorical cross-entropy, 'same' padding, x scaled with float arrays in
    the model, and batches of 64."""
    import keras

    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            layers.Rescaling(1.0 / 255.0),
            layers.Reshape((28, 28, 1)),
            layers.Conv2D(8, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(pool_size=(4, 4)),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2), loss="categorical_crossentropy", metrics=["accuracy"]
    )
    model.fit(x, keras.utils.to_categorical(y, 10), epochs=epochs, batch_size=64, verbose=0)
    return model


@pytest.mark.parametrize(
    "answer",
    [train_solution, train_nested_blocks, train_functional, train_one_hot_same_padding],
    ids=["solution", "nested-blocks", "functional-two-fits", "one-hot-same-padding"],
)
def test_train_small_cnn_passes_right_answers(fake_mnist, monkeypatch, answer):
    monkeypatch.setattr(cnn, "training_budget", lambda: 5)  # the solution's batches of 128 need it
    result = check.train_small_cnn(answer)
    assert_pass(result)
    assert result.exercise == "5.5"


def test_train_small_cnn_not_done(fake_mnist):
    result = check.train_small_cnn(stub)
    assert_not_done(result)
    assert result.exercise == "5.5"


def test_train_small_cnn_not_done_while_the_builder_is_a_stub(fake_mnist):
    assert_not_done(check.train_small_cnn(train_with_builder(stub)))


def model_without(x, y, epochs, missing):
    """A model that lacks a layer it needs: Keras fails while building or fitting it."""
    return trained(cnn_without(missing), x[:64], y[:64], 1)


def fit_twice(x, y, epochs):
    model = compiled(small_cnn())
    model.fit(x[:64], y[:64], epochs=epochs, verbose=0)
    model.fit(x[:64], y[:64], epochs=epochs, verbose=0)
    return model


def fit_in_a_loop(x, y, epochs):
    model = compiled(small_cnn())
    for _ in range(epochs):
        model.fit(x[:64], y[:64], epochs=1, verbose=0)
    model.fit(x[:64], y[:64], epochs=1, verbose=0)
    return model


def trains_one_returns_another(x, y, epochs):
    trained(small_cnn(), x[:64], y[:64], 1)
    return compiled(small_cnn())


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda x, y, epochs: trained(small_cnn(), x[:64], y[:64], 1).history, "a History"),
        (lambda x, y, epochs: None, "forget `return model`"),
        (lambda x, y, epochs: (small_cnn(), 0.9), "return only the trained model"),
        (
            lambda x, y, epochs: small_cnn(channel_input=True),
            "let a keras.layers.Reshape((28, 28, 1)) layer",
        ),
        (lambda x, y, epochs: nested_without_convolution(), "no Conv2D layer"),
        (lambda x, y, epochs: small_cnn(dense_units=128), "must stay below 20,000"),
        (lambda x, y, epochs: rescaling_after_convolution(), "comes after its first convolution"),
        (
            lambda x, y, epochs: compiled(small_cnn(softmax=False), from_logits=True),
            "has no activation, so the model does not output probabilities",
        ),
        (lambda x, y, epochs: small_cnn(), "your function never called fit"),
        (trains_one_returns_another, "it is not the model that fit trained"),
        (
            lambda x, y, epochs: trained(small_cnn(), x[:64], y[:64], epochs + 2),
            "trained for 5 epochs in all, but the budget is epochs=3",
        ),
        (fit_twice, "fit was called 2 times: 3 + 3 epochs"),
        (fit_in_a_loop, "fit was called 4 times: 1 + 1 + 1 + 1 epochs"),
        (
            lambda x, y, epochs: model_without(x, y, epochs, "reshape"),
            "Conv2D needs a channel axis",
        ),
        (
            lambda x, y, epochs: model_without(x, y, epochs, "flatten"),
            "put a keras.layers.Flatten() between the last convolution",
        ),
        (
            lambda x, y, epochs: model_without(x, y, epochs, "room"),
            "too many poolings or 'valid' convolutions",
        ),
    ],
    ids=[
        "history",
        "none",
        "tuple",
        "channel-input",
        "nested-no-conv",
        "too-many-params",
        "rescaling-after-conv",
        "logits",
        "untrained",
        "another-model",
        "over-budget",
        "fit-twice",
        "fit-in-a-loop",
        "no-channel-axis",
        "no-flatten",
        "pools-too-often",
    ],
)
def test_train_small_cnn_explains_wrong_answers(fake_mnist, answer, phrase):
    result = check.train_small_cnn(answer)
    assert_fail(result, phrase)
    assert result.message.count(phrase) == 1, result.message  # a relayed error's hint comes once


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (
            lambda x, y, epochs: trained(
                small_cnn(rescale=False), x.astype("float32") / 255, y, epochs
            ),
            "it has no Rescaling layer",
        ),
        (
            lambda x, y, epochs: trained(small_cnn(), x[:64] / 255, y[:64], epochs),
            "the model's Rescaling layer divides by 255 again",
        ),
        (
            lambda x, y, epochs: trained(small_cnn(), x, y, 1, learning_rate=3e-4),
            "in 3 epochs; the bar is 90.0%",
        ),
    ],
    ids=["no-rescaling", "divided-twice", "undertrained"],
)
def test_train_small_cnn_explains_pixel_scale_and_low_accuracy(fake_mnist, answer, phrase):
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
