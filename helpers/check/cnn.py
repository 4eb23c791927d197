"""Self-checks for exercise set 05, convolutional networks (exercises 5.1 to 5.4).

5.1 to 5.3 run the student's function on many cases they did not see; 5.4 trains the student's
small CNN on MNIST with a fixed budget and scores it on the test set:

    >>> check.conv_output_size(lambda size, kernel, stride=1, padding="valid": ...)  # doctest: +SKIP
    ✅ Exercise 5.1: Correct: ...
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..check_results import CheckResult
from ..fast_mode import pick
from .framework import (
    Hint,
    call,
    expect_epochs_within,
    expect_image_classifier,
    run_check,
    train_within_budget,
)

SMALL_CNN_LIMIT = 20_000  # exercise 5.4: the small CNN must have fewer parameters than this


def _whole_number(value, what: str, case: str) -> int:
    """``value`` as an int, or a hint when it is not a whole number (floats such as 26.0 included)."""
    if isinstance(value, (bool, np.bool_)):
        raise Hint(f"{case}, you returned {value!r}, a True/False: return {what}, a whole number.")
    if isinstance(value, (numbers.Integral, np.integer)):
        return int(value)
    if isinstance(value, (numbers.Real, np.floating)):
        number = float(value)
        shown = f"{number:g}" if math.isfinite(number) else str(number)
        raise Hint(
            f"{case}, you returned {shown}, a float. {what[0].upper() + what[1:]} is a whole number: use integer "
            "division `//` instead of `/`, and int(...) around math.ceil or np.ceil results."
        )
    if value is None:
        raise Hint(f"{case}, your function returned None: did you forget `return`?")
    raise Hint(
        f"{case}, you returned a {type(value).__name__}; return {what}, a single whole number."
    )


# --- 5.1 ---------------------------------------------------------------------------------------


def reference_conv_output_size(
    size: int, kernel: int, stride: int = 1, padding: str = "valid"
) -> int:
    """Keras's output length along one axis: ``reference_conv_output_size(28, 5) == 24``."""
    if padding == "same":
        return -(-size // stride)
    return (size - kernel) // stride + 1


def conv_size_cases() -> list[tuple[int, int, int, str]]:
    """(size, kernel, stride, padding) for the 5.1 check: stride 1 first, then strides that do not divide evenly."""
    cases = [
        (28, 3, 1, "valid"),
        (28, 5, 1, "valid"),
        (12, 3, 1, "valid"),
        (28, 3, 1, "same"),
        (28, 5, 1, "same"),
    ]
    rng = np.random.default_rng(51)
    for _ in range(40):
        size = int(rng.integers(7, 41))
        kernel = int(rng.choice([1, 2, 3, 5, 7]))
        stride = int(rng.integers(1, 4))
        cases.append((size, kernel, stride, str(rng.choice(["valid", "same"]))))
    cases += [
        (28, 3, 2, "valid"),
        (27, 3, 2, "valid"),
        (28, 4, 3, "valid"),
        (28, 3, 2, "same"),
        (29, 3, 2, "same"),
        (28, 5, 3, "same"),
        (13, 3, 2, "valid"),
    ]
    return cases


def conv_output_size(function) -> CheckResult:
    """Exercise 5.1: ``conv_output_size(size, kernel, stride=1, padding="valid")``, one axis of a conv's output."""

    def test(function):
        for size, kernel, stride, padding in conv_size_cases():
            if stride == 1 and padding == "valid":
                answer = call(function, size, kernel)
            else:
                answer = call(function, size, kernel, stride=stride, padding=padding)
            _compare_size(answer, size, kernel, stride, padding)
        return (
            "Correct: 'valid' gives (size − kernel) // stride + 1, 'same' gives ⌈size / stride⌉, for every "
            "combination the check tried. Keras's model.summary() shapes follow exactly these rules."
        )

    return run_check("5.1", function, test)


def _compare_size(answer, size: int, kernel: int, stride: int, padding: str) -> None:
    case = f"for size={size}, kernel={kernel}, stride={stride}, padding={padding!r}"
    value = _whole_number(answer, "the output size", case)
    expected = reference_conv_output_size(size, kernel, stride, padding)
    if value == expected:
        return
    if padding == "same":
        if value == reference_conv_output_size(size, kernel, stride, "valid"):
            raise Hint(
                f"{case}, you returned {value}, the 'valid' size. 'same' pads the border with zeros so "
                "that every input position gets an output: the kernel size no longer matters, and the "
                f"output is ⌈size / stride⌉ = {expected}."
            )
        if value == size and stride > 1:
            raise Hint(
                f"{case}, you returned the input size {size}. That is right for stride 1 only: with "
                f"stride={stride} the filter visits every {stride}th position, so the output is "
                f"⌈size / stride⌉ = {expected}."
            )
        if value == size // stride:
            raise Hint(
                f"{case}, you returned {value}: 'same' rounds UP, ⌈size / stride⌉ = {expected}, because a last, "
                "partial step still gets an output (the padding fills in). Use -(-size // stride) or math.ceil."
            )
        raise Hint(
            f"{case}, the output has {expected} positions, but your function returned {value}."
        )
    if value == size - kernel and stride == 1:
        raise Hint(
            f"{case}, you returned {value}, one too few: a {kernel}-wide filter fits at positions 0 to "
            f"{size - kernel}, that is size − kernel + 1 = {expected} positions. Count the first one too."
        )
    if value == size - kernel + 1 and stride > 1:
        raise Hint(
            f"{case}, you returned {value}, the size for stride 1: with stride={stride} the filter jumps "
            f"{stride} pixels at a time. Divide the distance it travels by the stride: (size − kernel) // stride + 1 = {expected}."
        )
    if value == math.ceil((size - kernel) / stride) + 1:
        raise Hint(
            f"{case}, you returned {value}, rounding up: a position counts only if the whole filter fits "
            f"inside the image, so round down with //, giving {expected}."
        )
    if value == (size - kernel + 1) // stride:
        raise Hint(
            f"{case}, you returned {value}: divide only the distance the filter travels, (size − kernel), by "
            f"the stride, then add the first position: (size − kernel) // stride + 1 = {expected}."
        )
    if value == size:
        raise Hint(
            f"{case}, you returned the input size {size}: that is what 'same' padding keeps (at stride 1). "
            f"With 'valid' padding nothing is added around the image, so the output shrinks to {expected}."
        )
    raise Hint(f"{case}, the output has {expected} positions, but your function returned {value}.")


# --- 5.2 ---------------------------------------------------------------------------------------


def reference_conv_params(
    kernel_size: int, in_channels: int, filters: int, bias: bool = True
) -> int:
    """Parameters of ``Conv2D(filters, kernel_size, use_bias=bias)`` on ``in_channels`` channels."""
    return kernel_size * kernel_size * in_channels * filters + (filters if bias else 0)


def conv_params_cases() -> list[tuple[int, int, int, bool]]:
    """(kernel_size, in_channels, filters, bias): the course CNN's layers, then random ones."""
    cases = [
        (3, 1, 32, True),
        (5, 1, 24, False),
        (3, 24, 32, False),
        (3, 32, 64, True),
        (1, 16, 8, True),
    ]
    rng = np.random.default_rng(52)
    for _ in range(12):
        cases.append(
            (
                int(rng.choice([2, 3, 5, 7])),
                int(rng.integers(2, 65)),
                int(rng.integers(2, 129)),
                bool(rng.random() < 0.5),
            )
        )
    return cases


def conv_params(function) -> CheckResult:
    """Exercise 5.2: ``conv_params(kernel_size, in_channels, filters, bias=True)``, a Conv2D layer's parameter count."""

    def test(function):
        for kernel_size, in_channels, filters, bias in conv_params_cases():
            if bias:
                answer = call(function, kernel_size, in_channels, filters)
            else:
                answer = call(function, kernel_size, in_channels, filters, bias=False)
            _compare_params(answer, kernel_size, in_channels, filters, bias)
        return (
            "Correct: kernel height × width × input channels weights per filter, plus one bias per filter "
            "when there is a bias. It matches Keras's count_params() for every layer the check tried."
        )

    return run_check("5.2", function, test)


def _compare_params(answer, k: int, c: int, f: int, bias: bool) -> None:
    case = f"for Conv2D({f}, {k}, use_bias={bias}) on {c} input channel{'s' if c > 1 else ''}"
    value = _whole_number(answer, "the number of parameters", case)
    expected = reference_conv_params(k, c, f, bias)
    if value == expected:
        return
    weights = k * k * c * f
    if c > 1 and value in (k * k * f + (f if bias else 0), k * k * f):
        raise Hint(
            f"{case}, you returned {value:,}: each filter is {k}×{k} on EVERY one of the {c} input "
            f"channels, so it holds {k}×{k}×{c} = {k * k * c} weights. Multiply by in_channels too."
        )
    if bias and value == 2 * weights:
        raise Hint(
            f"{case}, you returned {value:,}, as if every weight had its own bias. A filter has ONE bias, "
            f"added to its whole sum: {f} biases for {f} filters, {expected:,} parameters in all."
        )
    if bias and value == weights:
        raise Hint(
            f"{case}, you returned {value:,}, the weights alone: with bias=True add one bias per filter, "
            f"+{f}, for {expected:,}."
        )
    if not bias and value == weights + f:
        raise Hint(
            f"{case}, you returned {value:,}, which counts {f} biases. With bias=False (use_bias=False, as "
            f"in the course CNN before batch normalization) there are none: {expected:,}."
        )
    if bias and value == weights + c:
        raise Hint(
            f"{case}, you added {c} biases, one per INPUT channel: there is one per filter (output channel), {f}."
        )
    if value in (k * c * f + (f if bias else 0), 2 * k * c * f + (f if bias else 0)):
        raise Hint(
            f"{case}, you returned {value:,}: a kernel_size of {k} means a {k}×{k} square, {k * k} positions, "
            f"not {k} (or 2 × {k})."
        )
    raise Hint(
        f"{case}, Keras counts {expected:,} parameters, but your function returned {value:,}."
    )


# --- 5.3 ---------------------------------------------------------------------------------------


def confused_pairs_cases() -> list[tuple[np.ndarray, int, str]]:
    """(confusion, count, description): matrices with a big diagonal and distinct off-diagonal counts."""
    rng = np.random.default_rng(53)
    cases = []
    for size, count, description in (
        (10, 3, "for a 10 × 10 matrix"),
        (10, 5, "with count=5"),
        (4, 2, "for a 4 × 4 matrix"),
    ):
        off_diagonal = size * size - size
        values = (
            rng.permutation(np.arange(1, off_diagonal + 1)) * 2
        )  # distinct, so the order is unambiguous
        matrix = np.zeros((size, size), dtype=np.int64)
        matrix[~np.eye(size, dtype=bool)] = values
        matrix[np.eye(size, dtype=bool)] = rng.integers(500, 1000, size)
        if size == 10:  # not symmetric on purpose: (true, predicted) and (predicted, true) differ
            assert not np.array_equal(matrix, matrix.T)
        cases.append((matrix, count, description))
    return cases


def reference_most_confused_pairs(confusion: np.ndarray, count: int = 3) -> list[tuple[int, int]]:
    """The ``count`` largest off-diagonal cells as (true, predicted) pairs, largest first."""
    confusion = np.asarray(confusion)
    off = confusion * (1 - np.eye(len(confusion), dtype=confusion.dtype))
    order = np.argsort(-off, axis=None, kind="stable")[:count]
    return [
        (int(row), int(column)) for row, column in zip(*np.unravel_index(order, confusion.shape))
    ]


def most_confused_pairs(function) -> CheckResult:
    """Exercise 5.3: ``most_confused_pairs(confusion, count=3)``, the (true, predicted) pairs most often confused."""

    def test(function):
        for confusion, count, case in confused_pairs_cases():
            try:
                if count == 3:
                    answer = call(function, confusion.copy())
                else:
                    answer = call(function, confusion.copy(), count=count)
                _compare_pairs(answer, confusion, count, case)
            except Hint as hint:
                if len(confusion) == 10:
                    raise
                raise Hint(
                    f"your function works for 10 × 10 matrices but not {case}: {str(hint).rstrip('.')}. Don't assume "
                    "10 classes: take the size from the matrix (confusion.shape, len(confusion))."
                ) from None
        return (
            "Correct: the (true, predicted) pairs with the largest off-diagonal counts, most frequent first, "
            "for any matrix size and count. Try it on the confusion matrix of the lesson's CNN."
        )

    return run_check("5.3", function, test)


def _top_cells(confusion: np.ndarray, count: int) -> list[tuple[int, int]]:
    """The ``count`` largest cells of the whole matrix, diagonal included, largest first."""
    order = np.argsort(-np.asarray(confusion), axis=None, kind="stable")[:count]
    return [
        (int(row), int(column))
        for row, column in zip(*np.unravel_index(order, np.shape(confusion)))
    ]


def _as_pairs(answer, case: str) -> list[tuple[int, int]]:
    if answer is None:
        raise Hint(f"{case}, your function returned None: did you forget `return`?")
    try:
        array = np.asarray(answer)
    except Exception:
        raise Hint(
            f"{case}, return a list of (true, predicted) pairs, not a {type(answer).__name__}."
        ) from None
    if array.ndim == 1 and array.size and np.issubdtype(array.dtype, np.integer):
        raise Hint(
            f"{case}, you returned single numbers {array.tolist()} instead of (true, predicted) pairs. If they "
            "are positions in the flattened matrix (from np.argsort), turn each into a (row, column) pair with "
            "np.unravel_index(position, confusion.shape) or divmod(position, number_of_columns)."
        )
    if array.ndim != 2 or array.shape[1] != 2:
        raise Hint(
            f"{case}, return a list of (true, predicted) pairs such as [(4, 9), (7, 2)]; got shape {array.shape}."
        )
    if not (
        np.issubdtype(array.dtype, np.integer)
        or (np.issubdtype(array.dtype, np.floating) and np.all(array == np.round(array)))
    ):
        raise Hint(
            f"{case}, the pairs should hold class numbers (whole numbers), but they hold {array.dtype} values."
        )
    return [(int(a), int(b)) for a, b in array]


def _compare_pairs(answer, confusion: np.ndarray, count: int, case: str) -> None:
    size = len(confusion)
    expected = reference_most_confused_pairs(confusion, count)
    pairs = _as_pairs(answer, case)
    if len(pairs) != count:
        raise Hint(f"{case}, return exactly count={count} pairs, not {len(pairs)}.")
    if pairs == expected:
        return
    if any(not (0 <= a < size and 0 <= b < size) for a, b in pairs):
        raise Hint(
            f"{case}, a pair holds a class that does not exist: classes go from 0 to {size - 1}."
        )
    diagonal = [a for a, b in pairs if a == b]
    if diagonal and len(diagonal) == len(pairs) and set(pairs) != set(_top_cells(confusion, count)):
        raise Hint(
            f"{case}, you returned only cells on the diagonal, {pairs}, and not its largest ones: did you set the "
            "diagonal to 0 and then sort in ASCENDING order? Those zeros are the smallest counts of all. Sort in "
            "descending order (np.argsort(-counts)), so the largest mistakes come first."
        )
    if diagonal:
        raise Hint(
            f"{case}, your answer contains ({diagonal[0]}, {diagonal[0]}), a cell on the diagonal. The diagonal counts "
            "the CORRECT predictions, so it is always the largest: leave it out (set it to 0 in a copy of the "
            "matrix, or skip the cells where true == predicted)."
        )
    if pairs == [(b, a) for a, b in expected]:
        raise Hint(
            f"{case}, the right cells, but each pair is (predicted, true). Rows are true digits and columns "
            "predicted ones: confusion[true, predicted], so return (row, column)."
        )
    everything = reference_most_confused_pairs(confusion, size * size)
    off_diagonal = [pair for pair in everything if pair[0] != pair[1]]
    if pairs == expected[::-1]:
        raise Hint(
            f"{case}, the right pairs in reverse order: put the MOST frequent confusion first."
        )
    if pairs == off_diagonal[::-1][:count]:
        raise Hint(
            f"{case}, you returned the LEAST frequent confusions: sort the counts in descending order "
            "(np.argsort(-counts), or sorted(..., reverse=True))."
        )
    if sorted(pairs) == sorted(expected):
        raise Hint(
            f"{case}, the right pairs in the wrong order: from the largest count to the smallest."
        )
    for a, b in pairs:
        if (a, b) not in expected:
            raise Hint(
                f"{case}, ({a}, {b}) was confused {int(confusion[a, b])} times, but {count} other pairs were "
                f"confused more often: {expected}."
            )
    raise Hint(f"{case}, the most confused pairs are {expected}, but you returned {pairs}.")


# --- 5.4 ---------------------------------------------------------------------------------------


def training_budget() -> int:
    """Epochs the 5.4 check gives ``train_small_cnn``: 5, on 6,000 images in fast mode too."""
    return pick(full=5, fast=5)


def accuracy_bar() -> float:
    """Test accuracy the small CNN must reach with that budget."""
    return pick(full=0.99, fast=0.95)


def inspect_small_cnn(model, whose: str = "the model you returned") -> None:
    """Raise a hint unless ``model`` is a CNN for raw (28, 28) images, 10 probabilities out, few enough parameters."""
    import keras

    if isinstance(model, keras.callbacks.History):
        raise Hint(
            "you returned what model.fit returns, a History (the training curves): return the model itself."
        )
    if isinstance(model, (tuple, list)) and any(isinstance(part, keras.Model) for part in model):
        raise Hint("you returned a tuple or list: return only the trained model.")
    if model is None:
        raise Hint("your function returned None: did you forget `return model`?")
    if not isinstance(model, keras.Model):
        raise Hint(f"expected a trained keras.Model, but got a {type(model).__name__}.")
    channel_tip = (
        " Take the raw images as loaded and let a keras.layers.Reshape((28, 28, 1)) layer inside "
        "the model add the channel axis, like the course CNN."
    )
    expect_image_classifier(
        model,
        whose,
        {(None, 28, 28, 1): channel_tip},
        output_ending='Dense(10, activation="softmax")',
    )
    layers = model.layers
    if not any(isinstance(layer, keras.layers.Conv2D) for layer in layers):
        raise Hint(
            f"{whose} has no Conv2D layer. This exercise asks for a convolutional network: start with a convolution block."
        )
    params = model.count_params()
    if params >= SMALL_CNN_LIMIT:
        biggest = max(layers, key=lambda layer: layer.count_params())
        detail = ""
        if isinstance(biggest, keras.layers.Dense):
            detail = (
                f" It is the Dense layer {biggest.name!r}: its input has {int(biggest.kernel.shape[0]):,} values, each "
                f"connected to {biggest.units} units. Shrink what reaches it (more pooling, fewer filters in the "
                "last convolution) or the number of units; a Dense(10) straight after Flatten is enough."
            )
        raise Hint(
            f"{whose} has {params:,} parameters; it must stay below {SMALL_CNN_LIMIT:,}. The largest layer, "
            f"{biggest.name!r}, holds {biggest.count_params():,} of them.{detail}"
        )


def _accuracy(model, images: np.ndarray, labels: np.ndarray, training: bool = False) -> float:
    import keras

    if not training:
        probabilities = np.asarray(model.predict(images, verbose=0, batch_size=1000))
    else:  # batch statistics instead of batch normalization's running averages
        probabilities = np.concatenate(
            [
                keras.ops.convert_to_numpy(model(images[start : start + 500], training=True))
                for start in range(0, len(images), 500)
            ]
        )
    return float(np.mean(probabilities.argmax(axis=1) == labels))


def train_small_cnn(function) -> CheckResult:
    """Exercise 5.4: ``train_small_cnn(x, y, epochs)`` returns a CNN with < SMALL_CNN_LIMIT parameters, trained on
    x, y for at most ``epochs`` epochs, that reaches :func:`accuracy_bar` on the MNIST test set."""

    def test(function):
        import keras

        epochs = training_budget()
        model, seconds, train_size, (x_test, y_test), record = train_within_budget(function, epochs)
        inspect_small_cnn(model)
        expect_epochs_within(record, epochs)
        optimizer = getattr(model, "optimizer", None)
        if optimizer is None or int(keras.ops.convert_to_numpy(optimizer.iterations)) == 0:
            raise Hint(
                "the model you returned has not been trained (its optimizer has not taken a single step): compile it, "
                "then call model.fit(x, y, epochs=epochs) before returning it."
            )
        bar = accuracy_bar()
        score = _accuracy(model, x_test, y_test)
        if score < bar:
            _explain_low_accuracy(model, score, bar, epochs, x_test, y_test)
        params = model.count_params()
        return (
            f"Correct: {score:.2%} test accuracy (the bar: {bar:.1%}) with only {params:,} parameters, "
            f"after {seconds:.0f} s of training on {train_size:,} images. Compare where your parameters sit with the "
            "course CNN's table in the lesson."
        )

    return run_check("5.4", function, test)


def _explain_low_accuracy(
    model, score: float, bar: float, epochs: int, x_test: np.ndarray, y_test: np.ndarray
) -> None:
    import keras

    if _accuracy(model, x_test.astype(np.float32) / 255, y_test) > max(score + 0.2, 0.5):
        raise Hint(
            "the model does well on pixels divided by 255 but not on raw pixels: it was trained on x / 255, or it has "
            "no Rescaling layer. Give it a keras.layers.Rescaling(1 / 255) layer and pass x to fit as it is."
        )
    has_batch_norm = any(
        isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers
    )
    if (
        has_batch_norm
        and _accuracy(model, x_test[:2000], y_test[:2000], training=True) > score + 0.05
    ):
        raise Hint(
            f"the model reaches {score:.2%} on the test set, but much more when batch normalization uses each batch's "
            "own statistics: its running averages, which predictions use, have not caught up after this short "
            "training. Use BatchNormalization(momentum=0.9) so they follow faster, or start the convolutions "
            'from kernel_initializer="he_normal" (closer to the variances the averages start from).'
        )
    if score < 0.2:
        raise Hint(
            f"the model gets only {score:.1%} of the test digits right, about chance: was it compiled and trained "
            "(model.fit(x, y, epochs=epochs)) before you returned it?"
        )
    raise Hint(
        f"the model reached {score:.2%} test accuracy in {epochs} epochs; the bar is {bar:.1%}. Ideas: batch "
        "normalization after each convolution, Adam with the warm-up + cosine schedule of the lesson, a batch size "
        "of 128 to 256, and the parameters spent on convolution filters rather than on a big Dense layer."
    )
