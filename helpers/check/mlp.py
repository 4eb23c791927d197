"""Self-checks for exercise set 04, the multi-layer perceptron (exercises 4.1 to 4.5).

4.1 to 4.4 run the student's function on fresh random data; 4.5 trains the student's model on
MNIST with a fixed budget and scores it on the test set:

    >>> check.accuracy(lambda probabilities, labels: np.mean(probabilities.argmax(axis=1) == labels))  # doctest: +SKIP
    ✅ Exercise 4.1: Correct: ...
"""

from __future__ import annotations

import numpy as np

from ..check_results import CheckResult
from ..fast_mode import pick
from ..measured import benchmark_summary
from .framework import (
    Hint,
    as_array,
    call,
    expect_epochs_within,
    expect_image_classifier,
    expect_shape,
    run_check,
    train_within_budget,
)
from .loading import integer_labels

# Notebook 04's build_mlp(), as the benchmark counted it (a test rebuilds the recipe to compare).
COURSE_MLP_PARAMS = benchmark_summary("mlp")["params"]
PARAMETER_LIMIT = COURSE_MLP_PARAMS // 2  # the small MLP must stay strictly below this
# Exercise 4.5: (epochs, test-accuracy bar) in the full course and in quick mode (6,000 images).
SMALL_MLP_BUDGET = {"full": (10, 0.975), "fast": (5, 0.90)}


def _close(a, b) -> bool:
    return bool(np.isclose(float(a), float(b), rtol=1e-6, atol=1e-9))


def random_probabilities(rng: np.random.Generator, count: int, num_classes: int) -> np.ndarray:
    """Softmax rows with confidences from hesitant to sure: ``random_probabilities(rng, 5, 10).sum(axis=1)``."""
    sharpness = rng.uniform(0.5, 4.0, (count, 1))
    logits = rng.normal(0, 1, (count, num_classes)) * sharpness
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)


def labels_for(
    rng: np.random.Generator, probabilities: np.ndarray, share_right: float
) -> np.ndarray:
    """Labels that agree with the argmax of about ``share_right`` of the rows, wrong (never equal) elsewhere."""
    count, num_classes = probabilities.shape
    predicted = probabilities.argmax(axis=1)
    wrong = (predicted + rng.integers(1, num_classes, count)) % num_classes
    return np.where(rng.random(count) < share_right, predicted, wrong).astype(np.uint8)


# --- 4.1 ---------------------------------------------------------------------------------------


def accuracy_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """(probabilities, labels) pairs the 4.1 check uses; the first is square so argmax(axis=0) is caught."""
    rng = np.random.default_rng(
        55
    )  # chosen so that every typical wrong answer gives a different number
    cases = []
    for count, num_classes, share in ((10, 10, 0.6), (57, 10, 0.75), (23, 4, 0.5)):
        probabilities = random_probabilities(rng, count, num_classes)
        cases.append((probabilities, labels_for(rng, probabilities, share)))
    probabilities, labels = cases[0]
    probabilities[0] = np.eye(10, dtype=np.float32)[
        labels[0]
    ]  # a flat argmax() lands on a real class
    return cases


def accuracy(function) -> CheckResult:
    """Exercise 4.1: ``accuracy(probabilities, labels)``, the share of rows whose largest probability is at the label."""

    def test(function):
        for probabilities, labels in accuracy_cases():
            _compare_accuracy(
                call(function, probabilities.copy(), labels.copy()), probabilities, labels
            )
        return (
            "Correct: the share of examples whose most probable class is the label, a number between "
            "0 and 1. It is what Keras reports as `accuracy`."
        )

    return run_check("4.1", function, test)


def _compare_accuracy(answer, probabilities: np.ndarray, labels: np.ndarray) -> None:
    count, num_classes = probabilities.shape
    case = f"for {count} examples of {num_classes} classes"
    predicted = probabilities.argmax(axis=1)
    right = predicted == labels
    expected = right.mean()
    value = as_array(answer, "the accuracy")
    if value.shape == (count,):
        if np.array_equal(value, right):
            raise Hint(
                f"{case}, you returned one True/False per example: that says which predictions are "
                "right. The accuracy is their share, one number: take the mean."
            )
        if np.array_equal(value, predicted):
            raise Hint(
                f"{case}, you returned the predicted classes. Compare them with the labels and "
                "return the share that agree."
            )
        raise Hint(f"{case}, you returned {count} numbers; the accuracy is a single number.")
    if value.size != 1:
        raise Hint(
            f"{case}, you returned an array of shape {value.shape}; the accuracy is a single number."
        )
    if not np.issubdtype(value.dtype, np.number) and value.dtype != bool:
        raise Hint(f"the accuracy should be a number, but it is a {type(answer).__name__}.")
    value = float(value.reshape(()))
    if _close(value, expected):
        return
    if _close(value, right.sum()):
        raise Hint(
            f"{case}, you returned {value:g}, the NUMBER of right predictions. The accuracy is "
            f"their share: divide by the number of examples, {count}."
        )
    if _close(value, 100 * expected):
        raise Hint(
            f"{case}, you returned {value:g}, a percentage: return a fraction between 0 and 1 instead."
        )
    if _close(value, 1 - expected):
        raise Hint(
            f"{case}, you returned {value:g}, the share of WRONG predictions (the error rate)."
        )
    flat = np.mean(probabilities.argmax() == labels)
    if flat > 0 and _close(value, flat):
        raise Hint(
            "argmax without an axis looks at the whole array as if it were flat and gives one "
            "number. Use axis=1, one predicted class per row."
        )
    if value == 0 and expected > 0:
        raise Hint(
            f"{case}, you returned 0, but {right.sum()} predictions are right. Integer division `//` "
            "rounds the share down to 0: use `/`, or np.mean."
        )
    if num_classes == count and _close(value, np.mean(probabilities.argmax(axis=0) == labels)):
        raise Hint(
            "argmax over axis 0 looks down each column (for each class, the example that "
            "likes it most). The prediction for an example is the argmax along its row: axis=1."
        )
    if _close(value, probabilities.max(axis=1).mean()):
        raise Hint(
            f"{case}, you returned the average of the largest probability per row: how SURE the "
            "model is on average, not how often it is right. Compare the argmax with the labels."
        )
    if _close(value, probabilities[np.arange(count), labels].mean()):
        raise Hint(
            f"{case}, you returned the average probability given to the true class. The accuracy "
            "only asks whether the most probable class IS the label: compare argmax(axis=1) with the labels."
        )
    raise Hint(f"{case}, the accuracy is {expected:.4f}, but your function returned {value:.4f}.")


# --- 4.2 ---------------------------------------------------------------------------------------


def confusion_cases() -> list[tuple[np.ndarray, np.ndarray, int, str]]:
    """(labels, predictions, num_classes, description) for the 4.2 check."""
    rng = np.random.default_rng(42)
    cases = []
    for count, num_classes, top, description in (
        (300, 10, 10, "with 10 classes"),
        (61, 4, 4, "with num_classes=4"),
        (90, 10, 8, "when the digits 8 and 9 never appear"),
    ):
        labels = rng.integers(0, top, count).astype(np.uint8)
        noise = rng.integers(0, top, count).astype(np.uint8)
        predictions = np.where(rng.random(count) < 0.7, labels, noise).astype(np.uint8)
        cases.append((labels, predictions, num_classes, description))
    return cases


def reference_confusion_matrix(
    labels: np.ndarray, predictions: np.ndarray, num_classes: int
) -> np.ndarray:
    """Row = true class, column = predicted class: ``reference_confusion_matrix([0, 1], [0, 0], 2)``."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels), np.asarray(predictions)), 1)
    return matrix


def confusion_matrix(function) -> CheckResult:
    """Exercise 4.2: ``confusion_matrix(labels, predictions, num_classes=10)``, true classes in rows."""

    def test(function):
        for labels, predictions, num_classes, case in confusion_cases():
            if num_classes == 10:
                answer = call(function, labels.copy(), predictions.copy())
            else:
                answer = call(function, labels.copy(), predictions.copy(), num_classes=num_classes)
            _compare_confusion(answer, labels, predictions, num_classes, case)
        return (
            "Correct: a num_classes x num_classes matrix of whole counts, row = true class, "
            "column = predicted class, and every pair counted as often as it occurs."
        )

    return run_check("4.2", function, test)


def _compare_confusion(answer, labels, predictions, num_classes: int, case: str) -> None:
    expected = reference_confusion_matrix(labels, predictions, num_classes)
    matrix = as_array(answer, "the confusion matrix")
    if matrix.ndim == 2 and matrix.shape[0] == matrix.shape[1] and matrix.shape[0] != num_classes:
        size = matrix.shape[0]
        if size == max(labels.max(), predictions.max()) + 1:
            raise Hint(
                f"{case}, your matrix is {size} x {size}: its size comes from the largest class that "
                f"occurs. Use num_classes={num_classes}: a class that never occurs still gets its row and column."
            )
        if size == 10:
            raise Hint(
                f"{case}, your matrix is 10 x 10: use the num_classes argument instead of a fixed 10."
            )
    expect_shape(matrix, (num_classes, num_classes), "the confusion matrix")
    if not (np.issubdtype(matrix.dtype, np.number) or matrix.dtype == bool):
        raise Hint(f"the confusion matrix should hold counts, but it holds {matrix.dtype} values.")
    if np.array_equal(matrix, expected):
        if not np.issubdtype(matrix.dtype, np.integer):
            raise Hint(
                f"the counts are right, but they are stored as {matrix.dtype}. Counts are whole "
                "numbers: create the matrix with an integer dtype, np.zeros((num_classes, num_classes), int)."
            )
        return
    if np.array_equal(matrix, expected.T):
        raise Hint(
            f"{case}, your matrix is transposed: rows must be the TRUE classes and columns the "
            "PREDICTED ones, so that matrix[3, 5] counts the 3s taken for 5s."
        )
    if np.array_equal(matrix, (expected > 0).astype(matrix.dtype)):
        raise Hint(
            f"{case}, every cell holds 0 or 1: each (true, predicted) pair was counted only once. "
            "`matrix[labels, predictions] += 1` adds 1 once per distinct pair, however often it "
            "repeats; use np.add.at(matrix, (labels, predictions), 1), or a loop."
        )
    row_sums = expected.sum(axis=1, keepdims=True)
    if np.allclose(matrix, expected / np.maximum(row_sums, 1), atol=1e-6):
        raise Hint(
            f"{case}, your rows add up to 1: return the counts themselves, not the shares per row."
        )
    if matrix.sum() != len(labels):
        raise Hint(
            f"{case}, your counts add up to {matrix.sum():g}, but there are {len(labels)} "
            "(label, prediction) pairs: each pair adds exactly 1 to one cell."
        )
    row, column = (int(i) for i in np.argwhere(matrix != expected)[0])
    raise Hint(
        f"{case}, {expected[row, column]} examples of class {row} were predicted as {column}, but "
        f"your matrix[{row}, {column}] says {matrix[row, column]:g}."
    )


# --- 4.3 ---------------------------------------------------------------------------------------


def mistakes_cases() -> list[tuple[np.ndarray, np.ndarray, int, str]]:
    """(probabilities, labels, count, description) for the 4.3 check."""
    rng = np.random.default_rng(43)
    cases = []
    for size, num_classes, share, count, description in (
        (80, 10, 0.6, 6, "for 80 predictions of 10 classes"),
        (40, 4, 0.5, 3, "for 40 predictions of 4 classes"),
        (20, 10, 0.75, 8, "when there are fewer mistakes than `count`"),
    ):
        probabilities = random_probabilities(rng, size, num_classes)
        labels = labels_for(rng, probabilities, share)
        cases.append((probabilities, labels, count, description))
    return cases


def reference_most_confident_mistakes(
    probabilities: np.ndarray, labels: np.ndarray, count: int
) -> np.ndarray:
    """Indices of the ``count`` wrong predictions with the highest predicted probability, most confident first."""
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    confidence = probabilities[wrong, predicted[wrong]]
    return wrong[np.argsort(-confidence, kind="stable")][:count]


def most_confident_mistakes(function) -> CheckResult:
    """Exercise 4.3: ``most_confident_mistakes(probabilities, labels, count)`` returns indices, most confident first."""

    def test(function):
        for probabilities, labels, count, case in mistakes_cases():
            answer = call(function, probabilities.copy(), labels.copy(), count)
            _compare_mistakes(answer, probabilities, labels, count, case)
        return (
            "Correct: the indices of the wrong predictions the model was surest of, most confident "
            "first, and all of them when there are fewer than `count`."
        )

    return run_check("4.3", function, test)


def _compare_mistakes(answer, probabilities, labels, count: int, case: str) -> None:
    expected = reference_most_confident_mistakes(probabilities, labels, count)
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    confidence = probabilities[wrong, predicted[wrong]]
    indices = as_array(answer, "the indices")
    if indices.ndim != 1:
        raise Hint(
            f"{case}, you returned an array of shape {indices.shape}: return a flat list of indices."
        )
    if (
        np.issubdtype(indices.dtype, np.floating)
        and len(indices)
        and np.all((indices > 0) & (indices <= 1))
        and np.any(indices != np.round(indices))
    ):
        raise Hint(
            f"{case}, you returned probabilities such as {indices[0]:.3f}: return the INDICES of "
            "the images (positions in `labels`), so they can be used as x_test[indices]."
        )
    indices = integer_labels(indices, "the indices")
    if len(indices) != len(expected):
        if len(expected) < count:
            raise Hint(
                f"{case} (only {len(expected)} of {len(labels)} predictions are wrong), return all "
                f"{len(expected)} of them, not {len(indices)}."
            )
        raise Hint(f"{case}, return exactly count={count} indices, not {len(indices)}.")
    if np.array_equal(indices, expected):
        return
    if indices.min() < 0 or indices.max() >= len(labels):
        raise Hint(
            f"{case}, index {indices.max()} does not exist: there are only {len(labels)} predictions."
        )
    if np.array_equal(indices, np.argsort(-confidence, kind="stable")[:count]):
        raise Hint(
            f"{case}, these are positions in the list of mistakes, not in the whole set: position 0 "
            "is the first mistake, not image 0. Map them back: wrong[order], where wrong holds the "
            "indices of the mistakes."
        )
    if np.array_equal(indices, expected[::-1]):
        raise Hint(
            f"{case}, the right images, but in reverse order: put the MOST confident mistake first."
        )
    if np.array_equal(indices, wrong[np.argsort(confidence, kind="stable")][:count]):
        raise Hint(
            f"{case}, you picked the LEAST confident mistakes: sort by confidence in descending order "
            "(np.argsort(-confidence), or np.argsort(confidence)[::-1])."
        )
    if not np.all(predicted[indices] != labels[indices]):
        right = int(indices[predicted[indices] == labels[indices]][0])
        raise Hint(
            f"{case}, image {right} is in your answer, but the model got it right (predicted "
            f"{predicted[right]}, label {labels[right]}). Keep only the wrong predictions before ranking."
        )
    true_probability = probabilities[wrong, labels[wrong]]
    if np.array_equal(indices, wrong[np.argsort(true_probability, kind="stable")][:count]):
        raise Hint(
            f"{case}, you ranked the mistakes by the probability of the TRUE class. This exercise "
            "ranks them by the confidence of the (wrong) prediction: the largest probability in each row."
        )
    if set(indices.tolist()) == set(expected.tolist()):
        raise Hint(
            f"{case}, the right images in the wrong order: sort them from most to least confident."
        )
    raise Hint(
        f"{case}, the most confident mistakes are {expected.tolist()}, but you returned {indices.tolist()}."
    )


# --- 4.4 ---------------------------------------------------------------------------------------


def build_small_mlp(function) -> CheckResult:
    """Exercise 4.4: ``build_small_mlp()`` returns an MLP for raw (28, 28) pixels with < PARAMETER_LIMIT parameters."""

    def test(function):
        model = call(function)
        inspect_small_mlp(model)
        params = model.count_params()
        return (
            f"Correct: {params:,} parameters, {params / COURSE_MLP_PARAMS:.0%} of the course MLP's "
            f"{COURSE_MLP_PARAMS:,}; raw pixels in, 10 probabilities out. Now train it (exercise 4.5)."
        )

    return run_check("4.4", function, test)


def inspect_small_mlp(model, whose: str = "your model") -> None:
    """Raise a hint unless ``model`` is an MLP for raw pixels with 10 softmax outputs and few enough parameters."""
    import keras

    if model is None:
        raise Hint("your function returned None: did you forget to `return` the model?")
    if (
        isinstance(model, (list, tuple))
        and model
        and all(isinstance(m, keras.layers.Layer) for m in model)
    ):
        raise Hint("you returned a list of layers: wrap it in a model, keras.Sequential([...]).")
    if not isinstance(model, keras.Model):
        raise Hint(f"expected a keras.Model, but got a {type(model).__name__}.")
    flat_tip = " Take the raw images and let a Flatten layer inside the model do the flattening."
    expect_image_classifier(model, whose, {(None, 784): flat_tip})
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if any("Conv" in type(layer).__name__ for layer in layers):
        raise Hint(
            f"{whose} has a convolution layer. This exercise is about MLPs: Dense layers only (convolutions come in notebook 05)."
        )
    rescaling = [layer for layer in layers if isinstance(layer, keras.layers.Rescaling)]
    if not rescaling or not np.isclose(float(np.asarray(rescaling[0].scale)), 1 / 255, rtol=1e-3):
        raise Hint(
            f"{whose} should take raw pixels 0-255, like the course MLP: make its first layer "
            "keras.layers.Rescaling(1 / 255)."
        )
    dense = [layer for layer in layers if isinstance(layer, keras.layers.Dense)]
    if len(dense) < 2:
        raise Hint(
            f"{whose} has a single Dense layer: that is the one-layer baseline of the lesson. Add a "
            'hidden layer, Dense(units, activation="relu"), before the output layer.'
        )
    linear = [layer.name for layer in dense[:-1] if layer.activation is keras.activations.linear]
    if linear:
        raise Hint(
            f"the hidden layer {linear[0]!r} has no activation. Without one, two Dense layers "
            'collapse into a single linear map: give it activation="relu".'
        )
    params = model.count_params()
    if params >= PARAMETER_LIMIT:
        first = dense[0]
        raise Hint(
            f"{whose} has {params:,} parameters; it must stay below {PARAMETER_LIMIT:,}, half of the "
            f"course MLP's {COURSE_MLP_PARAMS:,}. Most of them sit in the first hidden layer: "
            f"784 x {first.units} weights + {first.units} biases = {784 * first.units + first.units:,}. Use fewer units."
        )
    rng = np.random.default_rng(44)
    raw = rng.integers(0, 256, (4, 28, 28)).astype(np.float32)
    probabilities = keras.ops.convert_to_numpy(model(raw, training=False))
    if probabilities.min() < 0 or not np.allclose(probabilities.sum(axis=1), 1, atol=1e-4):
        raise Hint(
            f"the outputs of {whose} are not probabilities (>= 0, adding up to 1 per image): give "
            'the last Dense layer activation="softmax".'
        )


def small_mlp_task() -> str:
    """The numbers exercises 4.4 and 4.5 hold you to, derived from the recipe and the budget table.

    >>> print(small_mlp_task())  # doctest: +ELLIPSIS
    Exercise 4.4: the course MLP has ... parameters; yours must have fewer than ...
    Exercise 4.5, full course: 60,000 training images, 10 epochs, test accuracy at least 97.5 %.
    Exercise 4.5, quick mode (COURSE_FAST=1): 6,000 training images, 5 epochs, test accuracy at least 90 %.
    """
    from ..fast_mode import FAST_TRAIN_SIZE

    train_sizes = {"full": 60_000, "fast": FAST_TRAIN_SIZE}
    mode_names = {"full": "full course", "fast": "quick mode (COURSE_FAST=1)"}
    lines = [
        f"Exercise 4.4: the course MLP has {COURSE_MLP_PARAMS:,} parameters; "
        f"yours must have fewer than {PARAMETER_LIMIT:,}."
    ]
    for mode, (epochs, bar) in SMALL_MLP_BUDGET.items():
        lines.append(
            f"Exercise 4.5, {mode_names[mode]}: {train_sizes[mode]:,} training images, {epochs} epochs, "
            f"test accuracy at least {bar * 100:g} %."
        )
    return "\n".join(lines)


# --- 4.5 ---------------------------------------------------------------------------------------


def training_budget() -> int:
    """Epochs the 4.5 check gives ``train_small_mlp``: 10, or 5 in fast mode (on 6,000 images)."""
    return pick(full=SMALL_MLP_BUDGET["full"][0], fast=SMALL_MLP_BUDGET["fast"][0])


def accuracy_bar() -> float:
    """Test accuracy the small MLP must reach with that budget."""
    return pick(full=SMALL_MLP_BUDGET["full"][1], fast=SMALL_MLP_BUDGET["fast"][1])


def train_small_mlp(function) -> CheckResult:
    """Exercise 4.5: ``train_small_mlp(x, y, epochs)`` returns the small MLP trained on x, y; it must pass
    :func:`inspect_small_mlp` and reach :func:`accuracy_bar` on the MNIST test set."""

    def test(function):
        import keras

        epochs = training_budget()
        model, seconds, train_size, (x_test, y_test), record = train_within_budget(function, epochs)
        if isinstance(model, keras.callbacks.History):
            raise Hint(
                "you returned what model.fit returns, a History (the training curves): return the model itself."
            )
        if isinstance(model, tuple) and any(isinstance(part, keras.Model) for part in model):
            raise Hint("you returned a tuple: return only the trained model.")
        inspect_small_mlp(model, "the model you returned")
        expect_epochs_within(record, epochs)
        bar = accuracy_bar()
        score = _test_accuracy(model, x_test, y_test)
        if score < bar:
            if score < 0.2:
                raise Hint(
                    f"the model gets only {score:.1%} of the test digits right, about chance: was it "
                    "compiled and trained (model.fit(x, y, epochs=epochs)) before you returned it?"
                )
            raise Hint(
                f"the model reached {score:.2%} test accuracy in {epochs} epochs; the bar is {bar:.1%}. "
                "Pass x to fit as it is (the Rescaling layer already divides by 255). Then try: Adam, "
                "a batch size around 128, as many hidden units as the limit allows, a little dropout, "
                "the lesson's learning-rate schedule."
            )
        params = model.count_params()
        return (
            f"Correct: {score:.2%} test accuracy (the bar: {bar:.1%}) with {params:,} parameters, "
            f"{params / COURSE_MLP_PARAMS:.0%} of the course MLP's, after {seconds:.0f} s of training. "
            "Can you also match the course MLP's accuracy?"
        )

    return run_check("4.5", function, test)


def _test_accuracy(model, x_test: np.ndarray, y_test: np.ndarray) -> float:
    probabilities = np.asarray(model.predict(x_test, verbose=0, batch_size=1000))
    return float(np.mean(probabilities.argmax(axis=1) == y_test))
