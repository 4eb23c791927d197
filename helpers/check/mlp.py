"""Self-checks for exercise set 04, the multi-layer perceptron (exercises 4.1 to 4.5).

4.1 to 4.3 run the student's function on seeded random data of several sizes and compare with a
reference; each keeps a table of the wrong answers students write, with the hint each deserves.
4.4 inspects the model layer by layer (through nested blocks); 4.5 trains the student's model on
MNIST with a fixed budget, counting every epoch of every ``fit``, and scores it on the test set:

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
from .mistakes import Mistake, matching_mistake, plural
from .models import activation_name, expect_a_model, expect_raw_pixels_to_fit, leaf_layers

# Notebook 04's build_mlp(), as the benchmark counted it (a test rebuilds the recipe to compare).
COURSE_MLP_PARAMS = benchmark_summary("mlp")["params"]
PARAMETER_LIMIT = COURSE_MLP_PARAMS // 2  # the small MLP must stay strictly below this
# Exercise 4.5: (epochs, test-accuracy bar) in the full course and in quick mode (6,000 images).
SMALL_MLP_BUDGET = {"full": (10, 0.975), "fast": (5, 0.90)}


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


def _shown(expected: float, got: float) -> tuple[str, str]:
    """Both numbers with just enough digits to tell them apart: ``_shown(0.25, 0.2500001)``."""
    for digits in range(4, 17):
        texts = f"{expected:.{digits}g}", f"{got:.{digits}g}"
        if texts[0] != texts[1]:
            return texts
    return f"{expected!r}", f"{got!r}"


# --- 4.1 ---------------------------------------------------------------------------------------


def _right(probabilities: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return probabilities.argmax(axis=1) == labels


ACCURACY_MISTAKES: list[Mistake] = [
    Mistake(
        "counts the right predictions",
        lambda p, labels: np.sum(_right(p, labels)),
        "you returned the NUMBER of right predictions. The accuracy is their share: divide by "
        "the number of examples, len(labels).",
    ),
    Mistake(
        "percentage",
        lambda p, labels: 100 * np.mean(_right(p, labels)),
        "you returned a percentage: return a fraction between 0 and 1 instead.",
    ),
    Mistake(
        "error rate",
        lambda p, labels: np.mean(p.argmax(axis=1) != labels),
        "you returned the share of WRONG predictions (the error rate): count the rows whose "
        "prediction equals the label.",
    ),
    Mistake(
        "integer division",
        lambda p, labels: int(np.sum(_right(p, labels))) // len(labels),
        "you returned 0, though some predictions are right: the share was rounded down to a whole "
        "number, as integer division `//` (or int()) does. Divide with `/`, or use np.mean.",
    ),
    Mistake(
        "divides by every probability",
        lambda p, labels: np.sum(_right(p, labels)) / p.size,
        "you divided by the number of probabilities (examples x classes): divide the number of "
        "right predictions by the number of examples, len(labels).",
    ),
    Mistake(
        "argmax over axis 0",
        lambda p, labels: np.mean(p.argmax(axis=0) == labels),
        "argmax over axis 0 looks down each column (for each class, the example that likes it "
        "most). The prediction for an example is the argmax along its row: axis=1.",
    ),
    Mistake(
        "argmax without an axis",
        lambda p, labels: np.mean(p.argmax() == labels),
        "argmax without an axis looks at the whole array as if it were flat and gives one "
        "number. Use axis=1, one predicted class per row.",
    ),
    Mistake(
        "mean confidence",
        lambda p, labels: p.max(axis=1).mean(),
        "you returned the average of the largest probability per row: how SURE the model is on "
        "average, not how often it is right. Compare the argmax with the labels.",
    ),
    Mistake(
        "mean probability of the true class",
        lambda p, labels: p[np.arange(len(labels)), labels].mean(),
        "you returned the average probability given to the true class. The accuracy only asks "
        "whether the most probable class IS the label: compare argmax(axis=1) with the labels.",
    ),
    Mistake(
        "one boolean per example",
        lambda p, labels: _right(p, labels),
        "you returned one True/False per example: that says which predictions are right. The "
        "accuracy is their share, one number: take the mean.",
    ),
    Mistake(
        "predicted classes",
        lambda p, labels: p.argmax(axis=1),
        "you returned the predicted classes. Compare them with the labels and return the share "
        "that agree.",
    ),
]


def accuracy_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """(probabilities, labels) pairs the 4.1 check uses; the first is square so argmax(axis=0) is caught.

    >>> [probabilities.shape for probabilities, _ in accuracy_cases()]
    [(10, 10), (57, 10), (23, 4), (400, 10)]
    """
    rng = np.random.default_rng(55)  # every wrong answer of the table gives its own number
    cases = []
    for count, num_classes, share in ((10, 10, 0.6), (57, 10, 0.75), (23, 4, 0.5), (400, 10, 0.9)):
        probabilities = random_probabilities(rng, count, num_classes)
        cases.append((probabilities, labels_for(rng, probabilities, share)))
    probabilities, labels = cases[0]
    probabilities[0] = np.eye(10, dtype=np.float32)[labels[0]]  # a flat argmax lands on a class
    cases[-1] = (cases[-1][0], cases[-1][1].astype(np.int64))  # labels of another dtype
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
    inputs = (probabilities, labels)
    expected = float(np.mean(_right(probabilities, labels)))
    value = as_array(answer, "the accuracy")
    if value.size != 1:
        mistake = matching_mistake(value, ACCURACY_MISTAKES, inputs)
        if mistake is not None:
            raise Hint(f"{case}, {mistake.hint}")
        raise Hint(
            f"{case}, you returned an array of shape {value.shape}; the accuracy is a single number."
        )
    if not np.issubdtype(value.dtype, np.number) and value.dtype != bool:
        raise Hint(f"the accuracy should be a number, but it is a {type(answer).__name__}.")
    value = float(value.reshape(()))
    if np.isclose(value, expected, rtol=1e-6, atol=1e-9):
        return
    mistake = matching_mistake(np.float64(value), ACCURACY_MISTAKES, inputs)
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    right_text, got_text = _shown(expected, value)
    right = int(np.sum(_right(probabilities, labels)))
    raise Hint(
        f"{case}, the accuracy is {right}/{count} = {right_text}, but your function returned "
        f"{got_text}."
    )


# --- 4.2 ---------------------------------------------------------------------------------------


def reference_confusion_matrix(
    labels: np.ndarray, predictions: np.ndarray, num_classes: int
) -> np.ndarray:
    """Row = true class, column = predicted class: ``reference_confusion_matrix([0, 1], [0, 0], 2)``."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels), np.asarray(predictions)), 1)
    return matrix


def _counted_in(dtype, labels, predictions, num_classes: int) -> np.ndarray:
    matrix = np.zeros((num_classes, num_classes), dtype=dtype)
    np.add.at(matrix, (labels, predictions), 1)
    return matrix


def _fancy_index_plus_one(labels, predictions, num_classes=10) -> np.ndarray:
    matrix = np.zeros((num_classes, num_classes), dtype=int)
    matrix[labels, predictions] += 1  # the trap: a repeated (row, column) pair is added once
    return matrix


CONFUSION_MISTAKES: list[Mistake] = [
    Mistake(
        "transposed",
        lambda labels, predictions, num_classes=10: reference_confusion_matrix(
            predictions, labels, num_classes
        ),
        "your matrix is transposed: rows must be the TRUE classes and columns the PREDICTED "
        "ones, so that matrix[3, 5] counts the 3s taken for 5s.",
    ),
    Mistake(
        "fancy index += 1",
        _fancy_index_plus_one,
        "every cell holds 0 or 1: each (true, predicted) pair was counted only once. "
        "`matrix[labels, predictions] += 1` adds 1 once per distinct pair, however often it "
        "repeats; use np.add.at(matrix, (labels, predictions), 1), or a loop.",
    ),
    Mistake(
        "uint8 counts",
        lambda labels, predictions, num_classes=10: _counted_in(
            np.uint8, labels, predictions, num_classes
        ),
        "some cells should count more than 255 examples, but your counts wrapped around to 0 at "
        "256: the matrix is uint8 (perhaps taken from the labels' dtype), which only holds 0 to "
        "255. Create it with dtype=int: np.zeros((num_classes, num_classes), int).",
    ),
    Mistake(
        "shares per row",
        lambda labels, predictions, num_classes=10: (
            lambda matrix: matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
        )(reference_confusion_matrix(labels, predictions, num_classes)),
        "your rows add up to 1: return the counts themselves, not the shares per row.",
    ),
    Mistake(
        "histogram2d without a range",
        lambda labels, predictions, num_classes=10: np.histogram2d(
            labels, predictions, bins=num_classes
        )[0].astype(int),
        "np.histogram2d chose its bins between the smallest and largest classes that occur, so "
        "the counts landed in the wrong cells. Count the pairs yourself, with np.add.at or a loop "
        "(or give histogram2d range=[[0, num_classes], [0, num_classes]]).",
    ),
]


def confusion_cases() -> list[tuple[np.ndarray, np.ndarray, int, str]]:
    """(labels, predictions, num_classes, description) for the 4.2 check: uint8 labels and int64
    predictions, as MNIST and argmax give them. The first case counts well over 255 in its cells.

    >>> [int(reference_confusion_matrix(*case[:3]).max()) > 255 for case in confusion_cases()]
    [True, False, False]
    """
    rng = np.random.default_rng(42)
    cases = []
    for count, num_classes, top, description in (
        (12_000, 10, 10, "for 12,000 (label, prediction) pairs of 10 classes"),
        (61, 4, 4, "with num_classes=4"),
        (90, 10, 8, "when the digits 8 and 9 never appear"),
    ):
        labels = rng.integers(0, top, count).astype(np.uint8)
        noise = rng.integers(0, top, count)
        predictions = np.where(rng.random(count) < 0.7, labels, noise).astype(np.int64)
        cases.append((labels, predictions, num_classes, description))
    return cases


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
    _expect_size_from_num_classes(matrix, labels, predictions, num_classes, case)
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
    inputs = (labels, predictions, num_classes)
    mistake = matching_mistake(matrix, CONFUSION_MISTAKES, inputs)
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    if matrix.sum() != len(labels):
        raise Hint(
            f"{case}, your counts add up to {matrix.sum():g}, but there are {len(labels):,} "
            "(label, prediction) pairs: each pair adds exactly 1 to one cell."
        )
    row, column = (int(i) for i in np.argwhere(matrix != expected)[0])
    raise Hint(
        f"{case}, matrix[{row}, {column}] should count "
        f"{plural(int(expected[row, column]), 'example')} of class {row} predicted as {column}, "
        f"but yours says {matrix[row, column]:g}."
    )


def _expect_size_from_num_classes(matrix, labels, predictions, num_classes: int, case: str):
    """A square matrix of the wrong size: sized by the data, or by a fixed 10."""
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] == num_classes:
        return
    size = matrix.shape[0]
    if size == max(labels.max(), predictions.max()) + 1:
        raise Hint(
            f"{case}, your matrix is {size} x {size}: its size comes from the largest class that "
            f"occurs. Use num_classes={num_classes}: a class that never occurs still gets its row "
            "and column."
        )
    if size == 10:
        raise Hint(
            f"{case}, your matrix is 10 x 10: use the num_classes argument instead of a fixed 10."
        )


# --- 4.3 ---------------------------------------------------------------------------------------


def _mistakes_and_confidence(probabilities, labels) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(predicted classes, indices of the wrong predictions, their confidence)."""
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    return predicted, wrong, probabilities[wrong, predicted[wrong]]


def reference_most_confident_mistakes(
    probabilities: np.ndarray, labels: np.ndarray, count: int
) -> np.ndarray:
    """Indices of the ``count`` wrong predictions with the highest predicted probability, most confident first."""
    _, wrong, confidence = _mistakes_and_confidence(probabilities, labels)
    return wrong[np.argsort(-confidence, kind="stable")][:count]


def _ranked_mistakes(probabilities, labels, count, score) -> np.ndarray:
    """The wrong predictions, highest ``score(probabilities, labels, wrong)`` first."""
    _, wrong, _ = _mistakes_and_confidence(probabilities, labels)
    return wrong[np.argsort(-score(probabilities, labels, wrong), kind="stable")][:count]


def _true_probability(probabilities, labels, rows) -> np.ndarray:
    return probabilities[rows, labels[rows]]


def _margin(probabilities, labels, rows) -> np.ndarray:
    return probabilities[rows].max(axis=1) - _true_probability(probabilities, labels, rows)


def _positions_in_mistakes(probabilities, labels, count) -> np.ndarray:
    _, _, confidence = _mistakes_and_confidence(probabilities, labels)
    return np.argsort(-confidence, kind="stable")[:count]


def _ascending(probabilities, labels, count) -> np.ndarray:
    _, wrong, confidence = _mistakes_and_confidence(probabilities, labels)
    return wrong[np.argsort(confidence, kind="stable")]


MOST_CONFIDENT_MISTAKES: list[Mistake] = [
    Mistake(
        "positions in the list of mistakes",
        _positions_in_mistakes,
        "these are positions in the list of mistakes, not in the whole set: position 0 is the "
        "first mistake, not image 0. Map them back: wrong[order], where wrong holds the indices "
        "of the mistakes.",
    ),
    Mistake(
        "least confident first",
        lambda p, labels, count: _ascending(p, labels, count)[:count],
        "you picked the LEAST confident mistakes: sort by confidence in descending order "
        "(np.argsort(-confidence), or np.argsort(confidence)[::-1]).",
    ),
    Mistake(
        "ascending order",
        lambda p, labels, count: _ascending(p, labels, count)[-count:],
        "the right images, but in ascending order of confidence: put the MOST confident mistake "
        "first (np.argsort(-confidence)).",
    ),
    Mistake(
        "ranks right predictions too",
        lambda p, labels, count: np.argsort(-p.max(axis=1), kind="stable")[:count],
        "your answer includes images the model got right: keep only the wrong predictions "
        "(predicted != labels) before ranking them.",
    ),
    Mistake(
        "lowest probability of the true class",
        lambda p, labels, count: _ranked_mistakes(
            p, labels, count, lambda *args: -_true_probability(*args)
        ),
        "you ranked the mistakes by the probability of the TRUE class (lowest first). This "
        "exercise ranks them by the confidence of the (wrong) prediction: the largest "
        "probability in each row.",
    ),
    Mistake(
        "largest margin",
        lambda p, labels, count: _ranked_mistakes(p, labels, count, _margin),
        "you ranked the mistakes by their margin, the predicted probability minus the true "
        "class's. This exercise ranks them by the predicted probability alone: the largest "
        "probability in each row.",
    ),
    Mistake(
        "sorted by index",
        lambda p, labels, count: np.sort(reference_most_confident_mistakes(p, labels, count)),
        "the right images, but sorted by index: keep them in order of confidence, most confident "
        "first (np.sort, or a set, loses that order).",
    ),
]


def mistakes_cases() -> list[tuple[np.ndarray, np.ndarray, int, str]]:
    """(probabilities, labels, count, description) for the 4.3 check, each from its own seed.

    The seeds are chosen so that in every case the most confident mistakes, those with the
    largest margin and those with the least probable true class differ within the first two
    (a test makes sure), and no two mistakes tie in confidence.

        >>> [count for _, _, count, _ in mistakes_cases()]
        [6, 3, 10, 8]
    """
    cases = []
    for seed, size, num_classes, share, count, description in (
        (45, 80, 10, 0.6, 6, "for 80 predictions of 10 classes"),
        (46, 40, 4, 0.5, 3, "for 40 predictions of 4 classes"),
        (48, 300, 10, 0.8, 10, "for 300 predictions of 10 classes"),
        (47, 20, 10, 0.75, 8, "when there are fewer mistakes than `count`"),
    ):
        rng = np.random.default_rng(seed)
        probabilities = random_probabilities(rng, size, num_classes)
        labels = labels_for(rng, probabilities, share)
        cases.append((probabilities, labels, count, description))
    return cases


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
    indices = _indices(answer, case)
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
        outside = indices[(indices < 0) | (indices >= len(labels))][0]
        raise Hint(
            f"{case}, index {outside} does not exist: there are only {len(labels)} predictions."
        )
    mistake = matching_mistake(indices, MOST_CONFIDENT_MISTAKES, (probabilities, labels, count))
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    predicted = probabilities.argmax(axis=1)
    right = indices[predicted[indices] == labels[indices]]
    if right.size:
        image = int(right[0])
        raise Hint(
            f"{case}, image {image} is in your answer, but the model got it right (predicted "
            f"{predicted[image]}, label {labels[image]}). Keep only the wrong predictions before ranking."
        )
    if sorted(indices.tolist()) == sorted(expected.tolist()):
        raise Hint(
            f"{case}, the right images in the wrong order: sort them from most to least confident."
        )
    raise Hint(
        f"{case}, the most confident mistakes are {expected.tolist()}, but you returned {indices.tolist()}."
    )


def _indices(answer, case: str) -> np.ndarray:
    """The answer as a flat array of whole numbers, or a hint saying what came back instead."""
    indices = as_array(answer, "the indices")
    if indices.ndim != 1:
        raise Hint(
            f"{case}, you returned an array of shape {indices.shape}: return a flat list of indices."
        )
    if indices.dtype == object or not (
        np.issubdtype(indices.dtype, np.number) or indices.dtype == bool
    ):
        raise Hint(f"the indices should be whole numbers, but they are {indices.dtype} values.")
    if indices.dtype == bool:
        raise Hint(
            f"{case}, you returned one True/False per prediction: return the INDICES of the "
            "mistakes (np.flatnonzero turns a mask into indices), most confident first."
        )
    fractions = indices[indices != np.round(indices)]
    if fractions.size:
        if np.all((indices >= 0) & (indices <= 1)):
            raise Hint(
                f"{case}, you returned probabilities such as {fractions[0]:.3f}: return the "
                "INDICES of the images (positions in `labels`), so they can be used as x_test[indices]."
            )
        raise Hint(
            f"{case}, the indices should be whole numbers, but you returned {fractions[0]:g}."
        )
    return indices.astype(np.int64)


# --- 4.4 ---------------------------------------------------------------------------------------

FLAT_INPUT_TIP = " Take the raw images and let a Flatten layer inside the model do the flattening."


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
    """Raise a hint unless ``model`` is an MLP for raw pixels with 10 softmax outputs and few enough
    parameters. Nested blocks, the functional API and activation layers (``Dense(64), ReLU()``)
    are all fine; ``inspect_small_mlp(build_small_mlp())``."""
    import keras

    expect_a_model(model)
    layers = leaf_layers(model)
    if any("Conv" in type(layer).__name__ for layer in layers):
        raise Hint(
            f"{whose} has a convolution layer. This exercise is about MLPs: Dense layers only "
            "(convolutions come in notebook 05)."
        )
    dense = [index for index, layer in enumerate(layers) if isinstance(layer, keras.layers.Dense)]
    _expect_flat_input_to_dense(model, layers, dense, whose)
    expect_image_classifier(model, whose, {(None, 784): FLAT_INPUT_TIP})
    _expect_rescaling_first(layers, dense[0] if dense else len(layers), whose)
    if len(dense) < 2:
        raise Hint(
            f"{whose} has a single Dense layer: that is the one-layer baseline of the lesson. Add a "
            'hidden layer, Dense(units, activation="relu"), before the output layer.'
        )
    for index in dense[:-1]:
        if activation_name(layers, index) == "linear":
            raise Hint(
                f"the hidden layer {layers[index].name!r} has no activation. Without one, two Dense "
                'layers collapse into a single linear map: give it activation="relu" (or follow '
                "it with a keras.layers.ReLU() layer)."
            )
    _expect_few_parameters(model, [layers[index] for index in dense], whose)
    _expect_probabilities(model, whose)


def _expect_flat_input_to_dense(model, layers: list, dense: list[int], whose: str) -> None:
    """The first Dense layer of a model for (28, 28) images must see all 784 pixels at once."""
    try:
        input_shape = tuple(model.input_shape)
    except (AttributeError, ValueError):
        return  # expect_image_classifier explains it
    if input_shape != (None, 28, 28) or not dense:
        return
    first = layers[dense[0]]
    kernel = getattr(first, "kernel", None)
    if kernel is not None and tuple(kernel.shape)[0] == 28:
        raise Hint(
            f"the first Dense layer of {whose}, {first.name!r}, receives one row of 28 pixels at a "
            "time, not whole images: put keras.layers.Flatten() before it, so that it sees all "
            "784 pixels."
        )


def _expect_rescaling_first(layers: list, first_dense: int, whose: str) -> None:
    """Rescaling(1 / 255) must act on the pixels, before the first Dense layer, and only there."""
    import keras

    rescalings = [
        (index, layer)
        for index, layer in enumerate(layers)
        if isinstance(layer, keras.layers.Rescaling)
    ]
    before = [layer for index, layer in rescalings if index < first_dense]
    after = [layer for index, layer in rescalings if index > first_dense]
    if after:
        where = "" if before else ", so that layer still sees pixels 0-255"
        raise Hint(
            f"the Rescaling layer {after[0].name!r} of {whose} comes after the first Dense "
            f"layer{where}. Rescale the pixels once, at the start: keras.layers.Rescaling(1 / 255) "
            "right after keras.Input."
        )
    if not before:
        raise Hint(
            f"{whose} should take raw pixels 0-255, like the course MLP: make its first layer "
            "keras.layers.Rescaling(1 / 255)."
        )
    scale = np.prod([np.asarray(layer.scale, dtype=float) for layer in before], axis=0)
    if np.allclose(scale, 1 / 255, rtol=1e-3):
        return
    factor = float(np.mean(scale))
    layers_text = (
        "your Rescaling layer multiplies"
        if len(before) == 1
        else (f"your {len(before)} Rescaling layers together multiply")
    )
    raise Hint(
        f"{layers_text} the pixels by {factor:.3g}, so 255 becomes {255 * factor:.3g}: use a single "
        "keras.layers.Rescaling(1 / 255), so that the pixels run from 0 to 1."
    )


def weights_and_biases(inputs: int, units: int, use_bias: bool = True) -> str:
    """A Dense layer's parameters, spelled out.

    >>> weights_and_biases(784, 128), weights_and_biases(784, 1), weights_and_biases(784, 64, False)
    ('784 x 128 weights + 128 biases = 100,480', '784 x 1 weights + 1 bias = 785', '784 x 64 weights = 50,176')
    """
    weights = f"{inputs:,} x {units:,} weights"
    if not use_bias:
        return f"{weights} = {inputs * units:,}"
    return f"{weights} + {plural(units, 'bias', 'biases')} = {inputs * units + units:,}"


def _expect_few_parameters(model, dense_layers: list, whose: str) -> None:
    params = model.count_params()
    if params < PARAMETER_LIMIT:
        return
    largest = max(dense_layers, key=lambda layer: layer.count_params())
    inputs, units = (int(size) for size in largest.kernel.shape)
    raise Hint(
        f"{whose} has {params:,} parameters; it must stay below {PARAMETER_LIMIT:,}, half of the "
        f"course MLP's {COURSE_MLP_PARAMS:,}. The largest layer is {largest.name!r}: "
        f"{weights_and_biases(inputs, units, largest.use_bias)}. Use fewer units."
    )


def _expect_probabilities(model, whose: str) -> None:
    import keras

    raw = np.random.default_rng(44).integers(0, 256, (4, 28, 28)).astype(np.float32)
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
        expect_raw_pixels_to_fit(model, record)
        bar = accuracy_bar()
        score = _test_accuracy(model, x_test, y_test)
        if score < bar:
            _explain_low_accuracy(model, record, score, bar, epochs)
        params = model.count_params()
        return (
            f"Correct: {score:.2%} test accuracy (the bar: {bar:.1%}) with {params:,} parameters, "
            f"{params / COURSE_MLP_PARAMS:.0%} of the course MLP's, after {seconds:.0f} s of training. "
            "Can you also match the course MLP's accuracy?"
        )

    return run_check("4.5", function, test)


def _explain_low_accuracy(model, record, score: float, bar: float, epochs: int):
    """Say what is known about a model below the bar: never trained, another model trained, or
    trained but not well enough (then: ideas)."""
    if record.epochs == 0:
        raise Hint(
            f"the model gets {score:.1%} of the test digits right: your function never called fit. "
            "Compile the model, train it with model.fit(x, y, epochs=epochs), then return it."
        )
    if not any(_shares_weights(model, trained) for trained in record.models):
        raise Hint(
            f"the model you returned gets {score:.1%} of the test digits right: it is not the model "
            "your function trained with fit. Return the same model object you trained (calling "
            "build_small_mlp() again gives a fresh, untrained one)."
        )
    if score < 0.2:
        raise Hint(
            f"the model gets only {score:.1%} of the test digits right, about chance, although fit "
            f"trained it for {plural(record.epochs, 'epoch')}. Watch the loss as it trains "
            "(verbose=1): if it does not go down, try Adam with its default learning rate."
        )
    raise Hint(
        f"the model reached {score:.2%} test accuracy in {plural(epochs, 'epoch')}; the bar is "
        f"{bar:.1%}. Pass x to fit as it is (the Rescaling layer already divides by 255). Then try: "
        "Adam, a batch size around 128, as many hidden units as the limit allows, a little dropout, "
        "the lesson's learning-rate schedule."
    )


def _shares_weights(model, trained) -> bool:
    """Whether training ``trained`` changed ``model``'s weights: the same model, or one inside the other."""
    ours = {id(weight) for weight in model.weights}
    return any(id(weight) in ours for weight in trained.weights)


def _test_accuracy(model, x_test: np.ndarray, y_test: np.ndarray) -> float:
    probabilities = np.asarray(model.predict(x_test, verbose=0, batch_size=1000))
    return float(np.mean(probabilities.argmax(axis=1) == y_test))
