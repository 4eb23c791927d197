"""The self-checks of exercise set 04: right answers written in several ways pass, a stub is "not
done", and each typical wrong answer fails with its own hint. The wrong answers of 4.1 to 4.3 are
the tables in helpers/check/mlp.py; those the tables cannot hold are written out here. No real
MNIST is needed: exercise 4.5 trains tiny models on small synthetic images."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from helpers import check
from helpers.check import mlp
from tests.check_assertions import assert_fail, assert_not_done, assert_pass, stub

# --- 4.1 accuracy ------------------------------------------------------------------------------


def accuracy_solution(probabilities, labels):
    """The course's solution (solutions/04_mlp.ipynb)."""
    predicted = np.argmax(probabilities, axis=1)
    return float(np.mean(predicted == labels))


def accuracy_by_loop(probabilities, labels):
    right = 0
    for row, label in zip(probabilities, labels):
        right += int(np.argmax(row) == label)
    return right / len(labels)


def accuracy_with_lists(probabilities, labels):
    rows = probabilities.tolist()
    predicted = [row.index(max(row)) for row in rows]
    return sum(p == t for p, t in zip(predicted, labels.tolist())) / len(rows)


def accuracy_with_keras_ops(probabilities, labels):
    predicted = keras.ops.argmax(probabilities, axis=1)
    right = keras.ops.equal(predicted, keras.ops.cast(labels, predicted.dtype))
    return keras.ops.mean(keras.ops.cast(right, "float32"))


@pytest.mark.parametrize(
    "answer",
    [
        accuracy_solution,
        lambda probabilities, labels: np.mean(probabilities.argmax(axis=1) == labels),
        lambda probabilities, labels: float(
            (np.argmax(probabilities, axis=-1) == labels).sum() / len(labels)
        ),
        accuracy_by_loop,
        accuracy_with_lists,
        accuracy_with_keras_ops,
        lambda probabilities, labels: np.float32(np.mean(probabilities.argmax(1) == labels)),
    ],
    ids=["solution", "mean", "sum-over-len", "loop", "lists", "keras-ops", "float32"],
)
def test_accuracy_passes_right_answers(answer):
    assert_pass(check.accuracy(answer))


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_accuracy_not_done(answer):
    assert_not_done(check.accuracy(answer))


@pytest.mark.parametrize(
    "mistake", mlp.ACCURACY_MISTAKES, ids=[m.name for m in mlp.ACCURACY_MISTAKES]
)
def test_accuracy_gives_each_known_mistake_its_hint(mistake):
    assert_fail(check.accuracy(mistake.implementation), mistake.hint)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (
            lambda p, labels: np.mean(p.argmax(axis=1)[1:] == labels[1:]),
            "the accuracy is 8/10 = 0.8, but your function returned 0.7778.",
        ),
        (
            lambda p, labels: round(float(np.mean(p.argmax(axis=1) == labels)), 2),
            "the accuracy is 42/57 = 0.7368, but your function returned 0.74.",
        ),
        (lambda p, labels: 0.6, "the accuracy is 8/10 = 0.8, but your function returned 0.6."),
        (lambda p, labels: f"{np.mean(p.argmax(axis=1) == labels):.0%}", "but it is a str"),
        (lambda p, labels: None, "did your function forget to `return` it?"),
        (
            lambda p, labels: np.array([np.mean(p.argmax(axis=1) == labels)] * 2),
            "you returned an array of shape (2,); the accuracy is a single number.",
        ),
    ],
    ids=["skips-first-row", "rounded", "hard-coded", "string", "returns-none", "two-numbers"],
)
def test_accuracy_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.accuracy(answer), phrase)


def test_accuracy_fallback_says_what_differs_without_guessing():
    result = check.accuracy(lambda p, labels: np.mean(p.argmax(axis=1)[1:] == labels[1:]))
    assert "division" not in result.message and "argmax" not in result.message


def test_accuracy_cases_tell_the_table_apart():
    """On the first (square) case, every known mistake gives its own number, none the right one."""
    probabilities, labels = mlp.accuracy_cases()[0]
    outputs = [m.implementation(probabilities, labels) for m in mlp.ACCURACY_MISTAKES]
    scalars = [float(output) for output in outputs if np.ndim(output) == 0]
    values = [np.mean(probabilities.argmax(axis=1) == labels), *scalars]
    assert len(scalars) >= 9
    assert len(np.unique(np.round(values, 4))) == len(values), values


# --- 4.2 confusion_matrix ----------------------------------------------------------------------


def confusion_solution(labels, predictions, num_classes=10):
    """The course's solution (solutions/04_mlp.ipynb)."""
    matrix = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(matrix, (labels, predictions), 1)
    return matrix


def confusion_by_loop(labels, predictions, num_classes=10, dtype=np.int32):
    matrix = np.zeros((num_classes, num_classes), dtype=dtype)
    for true, predicted in zip(labels, predictions):
        matrix[true, predicted] += 1
    return matrix


def confusion_with_lists(labels, predictions, num_classes=10):
    matrix = [[0] * num_classes for _ in range(num_classes)]
    for true, predicted in zip(labels.tolist(), predictions.tolist()):
        matrix[true][predicted] += 1
    return matrix


def confusion_with_tensorflow(labels, predictions, num_classes=10):
    import tensorflow as tf

    return tf.math.confusion_matrix(labels, predictions, num_classes=num_classes).numpy()


@pytest.mark.parametrize(
    "answer",
    [
        confusion_solution,
        confusion_by_loop,
        lambda labels, predictions, num_classes=10: np.bincount(
            labels.astype(int) * num_classes + predictions, minlength=num_classes**2
        ).reshape(num_classes, num_classes),
        confusion_with_lists,
        confusion_with_tensorflow,
        lambda labels, predictions, num_classes=10: confusion_by_loop(
            labels, predictions, num_classes, dtype=np.uint16
        ),
    ],
    ids=["solution", "loop", "bincount", "lists", "tensorflow", "uint16"],
)
def test_confusion_matrix_passes_right_answers(answer):
    assert_pass(check.confusion_matrix(answer))


def test_confusion_matrix_not_done():
    assert_not_done(check.confusion_matrix(stub))


@pytest.mark.parametrize(
    "mistake", mlp.CONFUSION_MISTAKES, ids=[m.name for m in mlp.CONFUSION_MISTAKES]
)
def test_confusion_matrix_gives_each_known_mistake_its_hint(mistake):
    assert_fail(check.confusion_matrix(mistake.implementation), mistake.hint)


def sized_by_data(labels, predictions, num_classes=10):
    size = int(max(labels.max(), predictions.max())) + 1
    return confusion_by_loop(labels, predictions, size)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (
            lambda labels, predictions, num_classes=10: confusion_by_loop(
                labels, predictions, num_classes, dtype=np.uint8
            ),
            "your counts wrapped around to 0 at 256",
        ),
        (
            lambda labels, predictions, num_classes=10: confusion_by_loop(
                labels, predictions, num_classes, dtype=labels.dtype
            ),
            "the matrix is uint8",
        ),
        (
            lambda labels, predictions, num_classes=10: confusion_by_loop(
                predictions, labels, num_classes
            ),
            "transposed",
        ),
        (sized_by_data, "the largest class that occurs"),
        (
            lambda labels, predictions, num_classes=10: confusion_by_loop(labels, predictions, 10),
            "instead of a fixed 10",
        ),
        (
            lambda labels, predictions, num_classes=10: confusion_by_loop(
                labels, predictions, num_classes
            ).astype(float),
            "stored as float64",
        ),
        (
            lambda labels, predictions, num_classes=10: confusion_by_loop(
                labels[1:], predictions[1:], num_classes
            ),
            "your counts add up to 11999, but there are 12,000",
        ),
        (
            lambda labels, predictions, num_classes=10: confusion_by_loop(
                labels, np.where(predictions == 9, 8, predictions), num_classes
            ),
            "matrix[0, 8] should count",
        ),
        (lambda labels, predictions, num_classes=10: None, "did your function forget"),
    ],
    ids=[
        "uint8-loop",
        "labels-dtype",
        "transposed-loop",
        "sized-by-data",
        "fixed-10",
        "float-counts",
        "skips-first-pair",
        "wrong-cell",
        "returns-none",
    ],
)
def test_confusion_matrix_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.confusion_matrix(answer), phrase)


def test_confusion_cases_overflow_uint8_repeat_pairs_and_miss_classes():
    cases = mlp.confusion_cases()
    matrices = [mlp.reference_confusion_matrix(*case[:3]) for case in cases]
    assert matrices[0].max() > 255, "a uint8 counter must wrap"
    assert all((matrix > 1).any() for matrix in matrices), "repeated pairs"
    labels, predictions, num_classes, _ = cases[2]
    assert max(labels.max(), predictions.max()) + 1 < num_classes, "a class must be absent"


# --- 4.3 most_confident_mistakes ---------------------------------------------------------------


def mistakes_solution(probabilities, labels, count):
    """The course's solution (solutions/04_mlp.ipynb)."""
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    confidence = probabilities[wrong, predicted[wrong]]
    return wrong[np.argsort(-confidence)][:count]


def mistakes_by_sorting_everything(probabilities, labels, count):
    predicted = probabilities.argmax(axis=1)
    confidence = np.where(predicted != labels, probabilities.max(axis=1), -1.0)
    order = np.argsort(confidence)[::-1]
    return [int(i) for i in order if predicted[i] != labels[i]][:count]


def mistakes_with_sorted(probabilities, labels, count):
    wrong = [i for i, row in enumerate(probabilities) if np.argmax(row) != labels[i]]
    return sorted(wrong, key=lambda i: probabilities[i].max(), reverse=True)[:count]


def mistakes_by_masking(probabilities, labels, count):
    confidence = probabilities.max(axis=1)
    confidence[probabilities.argmax(axis=1) == labels] = -np.inf
    order = np.argsort(confidence)[::-1]
    return order[: min(count, int(np.isfinite(confidence).sum()))]


@pytest.mark.parametrize(
    "answer",
    [
        mistakes_solution,
        mlp.reference_most_confident_mistakes,
        mistakes_by_sorting_everything,
        mistakes_with_sorted,
        mistakes_by_masking,
    ],
    ids=["solution", "reference", "sort-everything", "sorted-key", "masking"],
)
def test_most_confident_mistakes_passes_right_answers(answer):
    assert_pass(check.most_confident_mistakes(answer))


def test_most_confident_mistakes_not_done():
    assert_not_done(check.most_confident_mistakes(stub))


@pytest.mark.parametrize(
    "mistake", mlp.MOST_CONFIDENT_MISTAKES, ids=[m.name for m in mlp.MOST_CONFIDENT_MISTAKES]
)
def test_most_confident_mistakes_gives_each_known_mistake_its_hint(mistake):
    assert_fail(check.most_confident_mistakes(mistake.implementation), mistake.hint)


def mistakes_confidences(probabilities, labels, count):
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    return np.sort(probabilities[wrong, predicted[wrong]])[::-1][:count]


def mistakes_padded(probabilities, labels, count):
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1) + (predicted != labels)  # mistakes first, then others
    return np.argsort(-confidence)[:count]


def mistakes_second_and_first_swapped(probabilities, labels, count):
    indices = mlp.reference_most_confident_mistakes(probabilities, labels, count)
    indices[[0, 1]] = indices[[1, 0]]
    return indices


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (mistakes_confidences, "you returned probabilities such as"),
        (
            lambda p, labels, count: np.flatnonzero(p.argmax(axis=1) != labels),
            "return exactly count=6 indices, not 24",
        ),
        (mistakes_padded, "return all 6 of them, not 8"),
        (lambda p, labels, count: p.argmax(axis=1) != labels, "one True/False per prediction"),
        (
            lambda p, labels, count: mlp.reference_most_confident_mistakes(p, labels, count)[None],
            "return a flat list of indices",
        ),
        (lambda p, labels, count: None, "did your function forget to `return` it?"),
    ],
    ids=["confidences", "all-mistakes", "padded", "mask", "2-d", "returns-none"],
)
def test_most_confident_mistakes_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.most_confident_mistakes(answer), phrase)


def test_most_confident_mistakes_without_a_known_cause_says_what_differs():
    result = check.most_confident_mistakes(mistakes_second_and_first_swapped)
    assert_fail(result, "the right images in the wrong order")
    shifted = check.most_confident_mistakes(
        lambda p, labels, count: mlp.reference_most_confident_mistakes(p, labels, count + 1)[1:]
    )
    assert_fail(shifted, "the most confident mistakes are [")


def _rankings(probabilities, labels, count):
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    confidence = probabilities[wrong, predicted[wrong]]
    true_probability = probabilities[wrong, labels[wrong]]
    return {
        "most confident": wrong[np.argsort(-confidence)][:count].tolist(),
        "largest margin": wrong[np.argsort(true_probability - confidence)][:count].tolist(),
        "least probable true class": wrong[np.argsort(true_probability)][:count].tolist(),
    }


@pytest.mark.parametrize("index", range(4), ids=lambda i: f"case-{i}")
def test_mistakes_cases_tell_the_rankings_apart(index):
    probabilities, labels, count, _ = mlp.mistakes_cases()[index]
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    confidence = probabilities[wrong, predicted[wrong]]
    assert len(np.unique(confidence)) == len(confidence), "ties would make the order ambiguous"
    rankings = _rankings(probabilities, labels, count)
    assert len({tuple(order[:2]) for order in rankings.values()}) == 3, rankings


def test_mistakes_fewest_case_has_fewer_mistakes_than_count():
    probabilities, labels, count, _ = mlp.mistakes_cases()[-1]
    assert 0 < np.sum(probabilities.argmax(axis=1) != labels) < count


# --- 4.4 build_small_mlp -----------------------------------------------------------------------


def mlp_model(
    *hidden, rescale=True, activation="relu", output="softmax", input_shape=(28, 28), flatten=True
):
    layers = [keras.Input(shape=input_shape)]
    if rescale:
        layers.append(keras.layers.Rescaling(1 / 255))
    if flatten:
        layers.append(keras.layers.Flatten())
    layers += [keras.layers.Dense(units, activation=activation) for units in hidden]
    layers.append(keras.layers.Dense(10, activation=output))
    return keras.Sequential(layers)


def small_mlp_solution():
    """The course's solution (solutions/04_mlp.ipynb)."""
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Flatten(),
            keras.layers.Dense(100, activation="relu"),
            keras.layers.Dropout(0.1),
            keras.layers.Dense(10, activation="softmax"),
        ],
        name="small_mlp",
    )


def with_activation_layers():
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Flatten(),
            keras.layers.Dense(96),
            keras.layers.ReLU(),
            keras.layers.Dense(32),
            keras.layers.BatchNormalization(),
            keras.layers.Activation("relu"),
            keras.layers.Dense(10),
            keras.layers.Softmax(),
        ]
    )


def with_nested_preprocessing():
    preprocessing = keras.Sequential(
        [keras.layers.Rescaling(1 / 255), keras.layers.Flatten()], name="preprocessing"
    )
    hidden = keras.Sequential(
        [keras.layers.Dense(100), keras.layers.Activation("relu"), keras.layers.Dropout(0.2)],
        name="hidden",
    )
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            preprocessing,
            hidden,
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def with_input_inside_a_block():
    block = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Rescaling(1 / 255)])
    return keras.Sequential(
        [
            block,
            keras.layers.Flatten(),
            keras.layers.Dense(80, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def functional_mlp():
    images = keras.Input(shape=(28, 28))
    x = keras.layers.Rescaling(1.0 / 255.0)(images)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(120, activation=keras.activations.relu)(x)
    return keras.Model(images, keras.layers.Dense(10, activation="softmax")(x))


@pytest.mark.parametrize(
    "answer",
    [
        small_mlp_solution,
        lambda: mlp_model(100),
        lambda: mlp_model(64, 64),
        with_activation_layers,
        with_nested_preprocessing,
        with_input_inside_a_block,
        functional_mlp,
        lambda: mlp_model(100, activation="tanh"),
    ],
    ids=[
        "solution",
        "100",
        "64-64",
        "activation-layers",
        "nested-blocks",
        "input-inside-a-block",
        "functional",
        "tanh",
    ],
)
def test_build_small_mlp_passes_right_answers(answer):
    assert_pass(check.build_small_mlp(answer))


def test_build_small_mlp_not_done():
    assert_not_done(check.build_small_mlp(stub))


def rescaling_after_first_dense():
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(100, activation="relu"),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def linear_hidden_then_dropout():
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            keras.Sequential([keras.layers.Rescaling(1 / 255), keras.layers.Flatten()]),
            keras.layers.Dense(100),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def flatten_after_first_dense():
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Dense(100, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def twice_rescaled():
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Flatten(),
            keras.layers.Dense(100, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def small_cnn():
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Reshape((28, 28, 1)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda: mlp_model(128), "has 101,770 parameters"),
        (lambda: mlp_model(256), "784 x 256 weights + 256 biases = 200,960"),
        (lambda: mlp_model(100, rescale=False), "make its first layer keras.layers.Rescaling"),
        (rescaling_after_first_dense, "so that layer still sees pixels 0-255"),
        (twice_rescaled, "your 2 Rescaling layers together multiply the pixels by 1.54e-05"),
        (
            lambda: keras.Sequential(
                [keras.Input((28, 28)), keras.layers.Rescaling(255), *mlp_model(100).layers[1:]]
            ),
            "so 255 becomes 6.5e+04",
        ),
        (
            lambda: mlp_model(100, input_shape=(784,), flatten=False),
            "let a Flatten layer inside the model",
        ),
        (lambda: mlp_model(100, flatten=False), "put keras.layers.Flatten() before it"),
        (flatten_after_first_dense, "receives one row of 28 pixels at a time"),
        (lambda: mlp_model(100, output=None), "not probabilities"),
        (lambda: mlp_model(), "a single Dense layer"),
        (lambda: mlp_model(100, activation=None), "has no activation"),
        (linear_hidden_then_dropout, "has no activation"),
        (small_cnn, "convolution"),
        (lambda: [keras.layers.Flatten(), keras.layers.Dense(10)], "wrap it in a model"),
        (lambda: None, "did you forget to `return` the model"),
        (lambda: keras.Sequential, "itself, not a model"),
    ],
    ids=[
        "128-units",
        "course-size",
        "no-rescaling",
        "rescaling-after-dense",
        "rescaled-twice",
        "rescaling-by-255",
        "flat-input",
        "no-flatten",
        "flatten-after-dense",
        "no-softmax",
        "no-hidden-layer",
        "linear-hidden",
        "linear-hidden-then-dropout",
        "convolution",
        "list-of-layers",
        "returns-none",
        "returns-the-class",
    ],
)
def test_build_small_mlp_explains_wrong_answers(answer, phrase):
    assert_fail(check.build_small_mlp(answer), phrase)


def test_build_small_mlp_too_big_names_the_largest_layer():
    def wide_second_layer():
        return keras.Sequential(
            [
                keras.Input(shape=(28, 28)),
                keras.layers.Rescaling(1 / 255),
                keras.layers.Flatten(),
                keras.layers.Dense(16, activation="relu"),
                keras.layers.Dense(60_000, activation="relu", name="wide"),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )

    assert_fail(
        check.build_small_mlp(wide_second_layer),
        "The largest layer is 'wide': 16 x 60,000 weights + 60,000 biases = 1,020,000.",
    )


def test_course_mlp_size_matches_the_notebook_recipe():
    from benchmarks.recipes import COURSE_MODELS, load_recipe

    model = load_recipe(COURSE_MODELS["mlp"], "mlp").build()
    assert model.count_params() == mlp.COURSE_MLP_PARAMS, (
        "update COURSE_MLP_PARAMS in helpers/check/mlp.py"
    )
    assert mlp.PARAMETER_LIMIT == mlp.COURSE_MLP_PARAMS // 2


# --- 4.5 train_small_mlp -----------------------------------------------------------------------


def synthetic_digits(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """uint8 "digits": class k is a bright 6 x 6 block at its own place, on sparse noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count).astype(np.uint8)
    images = np.where(
        rng.random((count, 28, 28)) < 0.05, rng.integers(0, 256, (count, 28, 28)), 0
    ).astype(np.uint8)
    for image, label in zip(images, labels):
        row, column = divmod(int(label), 4)
        image[2 + 8 * row : 8 + 8 * row, 1 + 7 * column : 7 + 7 * column] = 255
    return images, labels


@pytest.fixture
def small_budget(monkeypatch):
    """Synthetic data in place of MNIST and a 2-epoch budget, so the 4.5 check runs in seconds."""
    data = synthetic_digits(600, seed=1), synthetic_digits(200, seed=2)
    monkeypatch.setattr("helpers.check.framework.mnist_data", lambda: data)
    monkeypatch.setattr(mlp, "training_budget", lambda: 2)
    monkeypatch.setattr(mlp, "accuracy_bar", lambda: 0.9)


def compiled(model, learning_rate=0.01, loss="sparse_categorical_crossentropy"):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss, metrics=["accuracy"])
    return model


def trainer(epochs_used=None, scale=1, give_back="model", build=lambda: mlp_model(16)):
    def train_small_mlp(x, y, epochs):
        model = compiled(build())
        history = model.fit(x / scale, y, epochs=epochs_used or epochs, batch_size=32, verbose=0)
        return {"model": model, "history": history, "both": (model, history)}[give_back]

    return train_small_mlp


def train_solution(x, y, epochs):
    """The course's solution (solutions/04_mlp.ipynb), with its build_small_mlp()."""
    model = small_mlp_solution()
    batch_size = 128
    total_steps = int(np.ceil(len(x) / batch_size)) * epochs
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.002, decay_steps=total_steps
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0)
    return model


def train_one_epoch_at_a_time(x, y, epochs):
    model = compiled(with_nested_preprocessing())
    for _ in range(epochs):
        model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    return model


def train_twice(x, y, epochs):
    model = compiled(mlp_model(16))
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)  # "to make sure"
    return model


def train_then_return_a_fresh_model(x, y, epochs):
    model = compiled(mlp_model(16))
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    return mlp_model(16)


def train_with_one_hot_loss(x, y, epochs):
    model = compiled(mlp_model(16), loss="categorical_crossentropy")
    model.fit(x, y, epochs=epochs, verbose=0)
    return model


def test_train_small_mlp_passes_a_right_answer(small_budget):
    result = check.train_small_mlp(trainer())
    assert_pass(result)
    assert "test accuracy" in result.message and "parameters" in result.message


def test_train_small_mlp_passes_the_solution(small_budget, monkeypatch):
    # Ten steps of the solution's gentle schedule on 600 synthetic images: judge the structure.
    monkeypatch.setattr(mlp, "accuracy_bar", lambda: 0.5)
    assert_pass(check.train_small_mlp(train_solution))


def test_train_small_mlp_passes_one_fit_per_epoch(small_budget):
    assert_pass(check.train_small_mlp(train_one_epoch_at_a_time))


def train_one_hot_with_validation(x, y, epochs):
    """One-hot labels with categorical cross-entropy, a validation split and fewer epochs than allowed."""
    model = compiled(mlp_model(16), loss="categorical_crossentropy")
    labels = keras.utils.to_categorical(y, num_classes=10)
    model.fit(x, labels, epochs=max(1, epochs - 1), validation_split=0.1, verbose=0)
    return model


def test_train_small_mlp_passes_one_hot_labels_and_a_validation_split(small_budget):
    assert_pass(check.train_small_mlp(train_one_hot_with_validation))


def test_train_small_mlp_not_done(small_budget):
    assert_not_done(check.train_small_mlp(stub))


def test_train_small_mlp_not_done_while_the_builder_is_a_stub(small_budget):
    assert_not_done(check.train_small_mlp(trainer(build=stub)))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (trainer(give_back="history"), "a History"),
        (trainer(give_back="both"), "return only the trained model"),
        (lambda x, y, epochs: compiled(mlp_model(16)), "your function never called fit"),
        (lambda x, y, epochs: None, "did you forget to `return` the model"),
        (lambda x, y, epochs: mlp_model(256), "203,530 parameters"),
        (trainer(epochs_used=3), "trained for 3 epochs in all, but the budget is epochs=2"),
        (train_twice, "fit was called 2 times: 2 + 2 epochs"),
        (
            trainer(scale=255),
            "it divided x by 255, and the model's Rescaling layer divides by 255 again",
        ),
        (train_then_return_a_fresh_model, "it is not the model your function trained"),
        (train_with_one_hot_loss, 'use loss="sparse_categorical_crossentropy"'),
    ],
    ids=[
        "returns-history",
        "returns-tuple",
        "untrained",
        "returns-none",
        "too-big",
        "over-budget",
        "fit-twice",
        "divides-by-255-too",
        "returns-a-fresh-model",
        "one-hot-loss",
    ],
)
def test_train_small_mlp_explains_wrong_answers(small_budget, answer, phrase):
    assert_fail(check.train_small_mlp(answer), phrase)


def test_train_small_mlp_below_the_bar_gives_ideas(small_budget, monkeypatch):
    monkeypatch.setattr(mlp, "accuracy_bar", lambda: 1.01)
    assert_fail(check.train_small_mlp(trainer()), "Pass x to fit as it is")


def test_train_small_mlp_budget_and_bar_follow_the_mode(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    assert (mlp.training_budget(), mlp.accuracy_bar()) == (5, 0.90)
    monkeypatch.setenv("COURSE_FAST", "0")
    assert (mlp.training_budget(), mlp.accuracy_bar()) == (10, 0.975)
