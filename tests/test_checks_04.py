"""The self-checks of exercise set 04: a right answer passes, a stub is "not done", and each
typical wrong answer fails with its own hint. No real MNIST is needed: exercise 4.5 trains one
tiny model on small synthetic images."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from helpers import check
from helpers.check import mlp
from tests.check_assertions import assert_fail, assert_not_done, assert_pass, stub

# --- 4.1 accuracy ------------------------------------------------------------------------------


def accuracy_by_loop(probabilities, labels):
    right = 0
    for row, label in zip(probabilities, labels):
        right += int(np.argmax(row) == label)
    return right / len(labels)


@pytest.mark.parametrize(
    "answer",
    [
        lambda probabilities, labels: np.mean(probabilities.argmax(axis=1) == labels),
        lambda probabilities, labels: float(
            (np.argmax(probabilities, axis=-1) == labels).sum() / len(labels)
        ),
        accuracy_by_loop,
    ],
    ids=["mean", "sum-over-len", "loop"],
)
def test_accuracy_passes_right_answers(answer):
    assert_pass(check.accuracy(answer))


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_accuracy_not_done(answer):
    assert_not_done(check.accuracy(answer))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda p, labels: (p.argmax(axis=1) == labels).sum(), "the NUMBER of right predictions"),
        (lambda p, labels: 100 * np.mean(p.argmax(axis=1) == labels), "a percentage"),
        (lambda p, labels: np.mean(p.argmax(axis=1) != labels), "the share of WRONG predictions"),
        (
            lambda p, labels: int((p.argmax(axis=1) == labels).sum()) // len(labels),
            "Integer division",
        ),
        (lambda p, labels: np.mean(p.argmax(axis=0) == labels), "argmax over axis 0"),
        (lambda p, labels: np.mean(p.argmax() == labels), "argmax without an axis"),
        (lambda p, labels: p.argmax(axis=1) == labels, "one True/False per example"),
        (lambda p, labels: p.argmax(axis=1), "you returned the predicted classes"),
        (lambda p, labels: p.max(axis=1).mean(), "how SURE the model is"),
        (
            lambda p, labels: p[np.arange(len(labels)), labels].mean(),
            "average probability given to the true class",
        ),
        (lambda p, labels: np.mean(p.argmax(axis=1)[1:] == labels[1:]), "the accuracy is"),
    ],
    ids=[
        "count",
        "percentage",
        "error-rate",
        "integer-division",
        "axis-0",
        "no-axis",
        "booleans",
        "predicted-classes",
        "mean-confidence",
        "mean-true-probability",
        "off-by-one",
    ],
)
def test_accuracy_explains_wrong_answers(answer, phrase):
    assert_fail(check.accuracy(answer), phrase)


def test_accuracy_cases_tell_the_wrong_answers_apart():
    probabilities, labels = mlp.accuracy_cases()[0]
    right = probabilities.argmax(axis=1) == labels
    values = [
        right.mean(),
        right.sum(),
        100 * right.mean(),
        1 - right.mean(),
        0.0,
        np.mean(probabilities.argmax(axis=0) == labels),
        np.mean(probabilities.argmax() == labels),
        probabilities.max(axis=1).mean(),
        probabilities[np.arange(len(labels)), labels].mean(),
    ]
    assert len(np.unique(np.round(values, 4))) == len(values), values


# --- 4.2 confusion_matrix ----------------------------------------------------------------------


def confusion_by_loop(labels, predictions, num_classes=10):
    matrix = np.zeros((num_classes, num_classes), dtype=np.int32)
    for true, predicted in zip(labels, predictions):
        matrix[true, predicted] += 1
    return matrix


def confusion_with_fancy_index(labels, predictions, num_classes=10):
    matrix = np.zeros((num_classes, num_classes), dtype=int)
    matrix[labels, predictions] += 1
    return matrix


def confusion_sized_by_data(labels, predictions, num_classes=10):
    size = int(max(labels.max(), predictions.max())) + 1
    return confusion_by_loop(labels, predictions, size)


@pytest.mark.parametrize(
    "answer",
    [
        lambda labels, predictions, num_classes=10: mlp.reference_confusion_matrix(
            labels, predictions, num_classes
        ),
        confusion_by_loop,
        lambda labels, predictions, num_classes=10: np.bincount(
            labels.astype(int) * num_classes + predictions, minlength=num_classes**2
        ).reshape(num_classes, num_classes),
    ],
    ids=["add-at", "loop", "bincount"],
)
def test_confusion_matrix_passes_right_answers(answer):
    assert_pass(check.confusion_matrix(answer))


def test_confusion_matrix_not_done():
    assert_not_done(check.confusion_matrix(stub))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (
            lambda labels, predictions, num_classes=10: confusion_by_loop(
                predictions, labels, num_classes
            ),
            "transposed",
        ),
        (confusion_with_fancy_index, "counted only once"),
        (confusion_sized_by_data, "the largest class that occurs"),
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
            lambda labels, predictions, num_classes=10: (
                lambda m: m / np.maximum(m.sum(axis=1, keepdims=True), 1)
            )(confusion_by_loop(labels, predictions, num_classes)),
            "your rows add up to 1",
        ),
        (
            lambda labels, predictions, num_classes=10: confusion_by_loop(
                labels[1:], predictions[1:], num_classes
            ),
            "add up to",
        ),
    ],
    ids=[
        "transposed",
        "fancy-index-plus-equals",
        "sized-by-data",
        "fixed-10",
        "float-counts",
        "row-shares",
        "skips-first-pair",
    ],
)
def test_confusion_matrix_explains_wrong_answers(answer, phrase):
    assert_fail(check.confusion_matrix(answer), phrase)


def test_confusion_cases_repeat_pairs_and_miss_classes():
    cases = mlp.confusion_cases()
    for labels, predictions, num_classes, _ in cases:
        assert (mlp.reference_confusion_matrix(labels, predictions, num_classes) > 1).any(), (
            "repeated pairs"
        )
    labels, predictions, num_classes, _ = cases[2]
    assert max(labels.max(), predictions.max()) + 1 < num_classes, "a class must be absent"


# --- 4.3 most_confident_mistakes ---------------------------------------------------------------


def mistakes_by_sorting_everything(probabilities, labels, count):
    predicted = probabilities.argmax(axis=1)
    confidence = np.where(predicted != labels, probabilities.max(axis=1), -1.0)
    order = np.argsort(confidence)[::-1]
    return [int(i) for i in order if predicted[i] != labels[i]][:count]


def mistakes_positions(probabilities, labels, count):
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    return np.argsort(-probabilities[wrong, predicted[wrong]])[:count]


def mistakes_least_confident(probabilities, labels, count):
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    return wrong[np.argsort(probabilities[wrong, predicted[wrong]])][:count]


def mistakes_by_true_class(probabilities, labels, count):
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    return wrong[np.argsort(probabilities[wrong, labels[wrong]])][:count]


def mistakes_confidences(probabilities, labels, count):
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    return np.sort(probabilities[wrong, predicted[wrong]])[::-1][:count]


def mistakes_shuffled(probabilities, labels, count):
    return np.sort(mlp.reference_most_confident_mistakes(probabilities, labels, count))


@pytest.mark.parametrize(
    "answer",
    [
        mlp.reference_most_confident_mistakes,
        mistakes_by_sorting_everything,
    ],
    ids=["reference", "sort-everything"],
)
def test_most_confident_mistakes_passes_right_answers(answer):
    assert_pass(check.most_confident_mistakes(answer))


def test_most_confident_mistakes_not_done():
    assert_not_done(check.most_confident_mistakes(stub))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (mistakes_positions, "positions in the list of mistakes"),
        (mistakes_least_confident, "LEAST confident"),
        (
            lambda p, labels, count: mlp.reference_most_confident_mistakes(p, labels, count)[::-1],
            "reverse order",
        ),
        (lambda p, labels, count: np.argsort(-p.max(axis=1))[:count], "but the model got it right"),
        (mistakes_by_true_class, "probability of the TRUE class"),
        (mistakes_confidences, "you returned probabilities"),
        (
            lambda p, labels, count: np.flatnonzero(p.argmax(axis=1) != labels),
            "return exactly count=6 indices",
        ),
        (mistakes_shuffled, "the right images in the wrong order"),
    ],
    ids=[
        "positions-not-indices",
        "least-confident",
        "reversed",
        "includes-right-answers",
        "by-true-class",
        "confidences",
        "all-mistakes",
        "sorted-by-index",
    ],
)
def test_most_confident_mistakes_explains_wrong_answers(answer, phrase):
    assert_fail(check.most_confident_mistakes(answer), phrase)


def test_most_confident_mistakes_wants_all_when_there_are_few():
    def at_most_count_padded(
        probabilities, labels, count
    ):  # pads with right answers when mistakes run out
        predicted = probabilities.argmax(axis=1)
        confidence = probabilities.max(axis=1) + (predicted != labels)  # mistakes first
        return np.argsort(-confidence)[:count]

    assert_fail(check.most_confident_mistakes(at_most_count_padded), "return all 4 of them")


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
    "answer",
    [
        lambda: mlp_model(100),
        lambda: mlp_model(64, 64),
        lambda: keras.Sequential(
            [
                keras.Input(shape=(28, 28)),
                keras.layers.Rescaling(1 / 255),
                keras.layers.Flatten(),
                keras.layers.Dense(120, activation="relu"),
                keras.layers.Dropout(0.2),
                keras.layers.Dense(10, activation="softmax"),
            ]
        ),
    ],
    ids=["100", "64-64", "120-dropout"],
)
def test_build_small_mlp_passes_right_answers(answer):
    assert_pass(check.build_small_mlp(answer))


def test_build_small_mlp_not_done():
    assert_not_done(check.build_small_mlp(stub))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda: mlp_model(128), "101,770 parameters"),
        (lambda: mlp_model(256), "203,530 parameters"),
        (lambda: mlp_model(100, rescale=False), "Rescaling(1 / 255)"),
        (
            lambda: mlp_model(100, input_shape=(784,), flatten=False),
            "let a Flatten layer inside the model",
        ),
        (lambda: mlp_model(100, output=None), "not probabilities"),
        (lambda: mlp_model(), "a single Dense layer"),
        (lambda: mlp_model(100, activation=None), "has no activation"),
        (small_cnn, "convolution"),
        (lambda: [keras.layers.Flatten(), keras.layers.Dense(10)], "wrap it in a model"),
        (lambda: None, "did you forget to `return` the model"),
    ],
    ids=[
        "128-units",
        "course-size",
        "no-rescaling",
        "flat-input",
        "no-softmax",
        "no-hidden-layer",
        "linear-hidden",
        "convolution",
        "list-of-layers",
        "returns-none",
    ],
)
def test_build_small_mlp_explains_wrong_answers(answer, phrase):
    assert_fail(check.build_small_mlp(answer), phrase)


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


def trainer(epochs_used=None, scale=1, give_back="model", build=lambda: mlp_model(16)):
    def train_small_mlp(x, y, epochs):
        model = build()
        model.compile(
            optimizer=keras.optimizers.Adam(0.01),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        history = model.fit(x / scale, y, epochs=epochs_used or epochs, batch_size=32, verbose=0)
        return {"model": model, "history": history, "both": (model, history)}[give_back]

    return train_small_mlp


def test_train_small_mlp_passes_a_right_answer(small_budget):
    result = check.train_small_mlp(trainer())
    assert_pass(result)
    assert "test accuracy" in result.message and "parameters" in result.message


def test_train_small_mlp_not_done(small_budget):
    assert_not_done(check.train_small_mlp(stub))


def test_train_small_mlp_not_done_while_the_builder_is_a_stub(small_budget):
    assert_not_done(check.train_small_mlp(trainer(build=stub)))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (trainer(give_back="history"), "a History"),
        (trainer(give_back="both"), "return only the trained model"),
        (lambda x, y, epochs: mlp_model(16), "about chance"),
        (lambda x, y, epochs: None, "did you forget to `return` the model"),
        (lambda x, y, epochs: mlp_model(256), "203,530 parameters"),
        (trainer(epochs_used=3), "the budget is epochs=2"),
    ],
    ids=["returns-history", "returns-tuple", "untrained", "returns-none", "too-big", "over-budget"],
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
