"""Self-checks for exercise set 02, normalization (exercises 2.1 to 2.4).

Each check states the wrong answers students typically write ONCE, as a table of ``Mistake``s:
the check gives the hint of the entry that reproduces the student's answer, and otherwise says
what differs (first differing element, expected vs got) without guessing a cause.

>>> check.x_train_norm(x_train.astype("float32") / 255)  # doctest: +SKIP
✅ Exercise 2.1: Correct: ...
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..check_results import CheckResult
from . import loading
from .errors import describe_error
from .framework import Hint, as_array, call, expect_image_classifier, expect_shape, run_check
from .mistakes import Mistake, matching_mistake, same
from .models import activation_name, leaf_layers


def _where(index: tuple) -> str:
    """``(0, 3, 4)`` as ``"0, 3, 4"``, to write an element as ``x[0, 3, 4]``."""
    return ", ".join(str(int(i)) for i in index)


def _first_index(differs: np.ndarray) -> tuple:
    """The index of the first True element: ``_first_index(np.array([[False, True]]))`` is (0, 1)."""
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(differs)), differs.shape))


def _is_numeric(array: np.ndarray) -> bool:
    return np.issubdtype(array.dtype, np.number) or array.dtype == bool


# --- 2.1 ---------------------------------------------------------------------------------------

X_TRAIN_NORM_MISTAKES: list[Mistake] = [
    Mistake(
        "raw",
        lambda x: x,
        "x_train_norm still holds the raw pixels 0 to 255: divide x_train by 255.",
    ),
    Mistake(
        "floor-division",
        lambda x: x // 255,
        "x_train_norm holds only 0s and 1s, as integer division `//` (or turning the result "
        "into whole numbers) gives: the fractions are thrown away. Use `/` (true division) and "
        "keep the result float32.",
    ),
    Mistake(
        "over-256",
        lambda x: x.astype("float32") / 256,
        "x_train_norm is x_train / 256: the brightest pixel, 255, comes out as 0.9961, not 1.0. "
        "Divide by 255, the largest pixel value.",
    ),
    Mistake(
        "per-image-max",
        lambda x: (x / x.max(axis=(1, 2), keepdims=True)).astype("float32"),
        "every image reaches exactly 1.0: you divided each image by its own maximum. Divide "
        "all images by the same number, 255, so a pixel value means the same in every image.",
    ),
    Mistake(
        "inverted",
        lambda x: 1 - x.astype("float32") / 255,
        "x_train_norm is 1 - x_train / 255: ink comes out as 0 and the background as 1. Keep "
        "the pixels as they are, only smaller: x_train / 255.",
    ),
    Mistake(
        "minus-one-to-one",
        lambda x: x.astype("float32") / 127.5 - 1,
        "x_train_norm runs from -1 to 1 (x_train / 127.5 - 1): this exercise asks for [0, 1], "
        "x_train / 255.",
    ),
    Mistake(
        "standardized",
        lambda x: ((x - x.mean()) / x.std()).astype("float32"),
        "x_train_norm is standardized (mean subtracted, divided by the std), so it goes below "
        "0: here only divide by 255, so the values run from 0 to 1. Standardizing is exercise 2.2.",
    ),
]


def x_train_norm(answer) -> CheckResult:
    """Exercise 2.1: the training images as float32 in [0, 1], i.e. ``x_train / 255``."""

    def test(answer):
        x_train = loading.mnist_training_images()
        x = as_array(answer, "x_train_norm")
        count, height, width = x_train.shape
        if x.shape == (count, height * width):
            raise Hint(
                f"x_train_norm has shape {x.shape}: the images were flattened. Keep the shape of "
                f"x_train, {x_train.shape}; only the values should change (flattening comes later, "
                "inside the model)."
            )
        expect_shape(x, x_train.shape, "x_train_norm (the same as x_train)")
        if not _is_numeric(x):
            raise Hint(f"x_train_norm should hold numbers, but it holds {x.dtype} values.")
        scaled = x_train.astype(np.float32)
        scaled /= np.float32(255)
        # float16 cannot hold x / 255 to 1e-6: judge its values at its own precision
        tolerance = max(1e-6, float(np.finfo(x.dtype).eps)) if x.dtype.kind == "f" else 1e-6
        if np.allclose(x, scaled, rtol=0, atol=tolerance):
            _expect_float32(x.dtype)
            return "Correct: float32 values from 0.0 to 1.0, same shape as x_train."
        _diagnose_x_train_norm(x, x_train, scaled, tolerance)

    return run_check("2.1", answer, test)


def _expect_float32(dtype: np.dtype) -> None:
    if dtype == np.float32:
        return
    if dtype == np.float64:
        raise Hint(
            "the values are right, but their dtype is float64. Make it float32 "
            "(e.g. x_train.astype('float32') / 255): float32 halves the memory of float64 and "
            "is what Keras computes in."
        )
    raise Hint(
        f"the values are right to the precision of {dtype}, but the exercise asks for float32 "
        "(e.g. x_train.astype('float32') / 255): it is what Keras computes in."
    )


def _diagnose_x_train_norm(x, x_train, scaled, tolerance) -> None:
    """Raise the hint of the known mistake behind ``x``, else name its first wrong pixel."""
    sample = slice(None, None, max(1, len(x) // 500))  # enough images to tell the mistakes apart

    def agree(answer, wrong):
        wrong = np.asarray(wrong)
        return wrong.shape == answer.shape and same(answer[sample], wrong[sample])

    with np.errstate(all="ignore"):
        mistake = matching_mistake(x, X_TRAIN_NORM_MISTAKES, (x_train,), agree)
    if mistake is not None:
        raise Hint(mistake.hint)
    index = _first_index(~np.isclose(x, scaled, rtol=0, atol=tolerance))
    where = _where(index)
    message = (
        f"x_train_norm[{where}] is {_number(x[index])}, but x_train[{where}] / 255 is "
        f"{x_train[index]} / 255 = {scaled[index]:.6g}."
    )
    if not np.allclose([x.min(), x.max()], [scaled.min(), scaled.max()], rtol=0, atol=tolerance):
        message += (
            f" Your values run from {_number(x.min())} to {_number(x.max())}; x_train / 255 "
            f"runs from {scaled.min():g} to {scaled.max():g}."
        )
    raise Hint(message)


def _number(value) -> str:
    value = np.asarray(value).item()
    return f"{value:.6g}" if isinstance(value, float) else str(value)


# --- 2.2 ---------------------------------------------------------------------------------------

PEEKING_HINT = (
    "you standardized the test set with its OWN mean and std. That is peeking: at training "
    "time you cannot know the statistics of future data, and the model must see every input "
    "shifted and scaled by the same numbers. Use the training mean and std for both."
)


def _standardized_by(mean, std, *arrays) -> tuple:
    """Every array shifted by ``mean`` and divided by ``std``: ``_standardized_by(1, 2, np.ones(2))``."""
    return tuple((array - mean) / std for array in arrays)


def _variance_from_squares(values: np.ndarray) -> float:
    """A hand-made variance, E[x²] - E[x]², as students write it; x² wraps around for uint8."""
    return (values**2).mean() - values.mean() ** 2


STANDARDIZE_MISTAKES: list[Mistake] = [
    Mistake(
        "test-own-statistics",
        lambda train, test: (
            *_standardized_by(train.mean(), train.std(), train),
            *_standardized_by(test.mean(), test.std(), test),
        ),
        PEEKING_HINT,
    ),
    Mistake(
        "test-statistics-for-both",
        lambda train, test: _standardized_by(test.mean(), test.std(), train, test),
        "you used the TEST set's mean and std, for both arrays: use the training set's, "
        "train.mean() and train.std(). The test set stands for data that only arrives after "
        "training.",
    ),
    Mistake(
        "statistics-of-both-sets",
        lambda train, test: _standardized_by(
            np.concatenate([train.ravel(), test.ravel()]).mean(),
            np.concatenate([train.ravel(), test.ravel()]).std(),
            train,
            test,
        ),
        "you computed the mean and std over train and test together: that peeks at the test "
        "set too. Use the training set's alone, train.mean() and train.std().",
    ),
    Mistake(
        "variance",
        lambda train, test: _standardized_by(train.mean(), train.var(), train, test),
        "you divided by the variance (std squared): divide by the standard deviation, train.std().",
    ),
    Mistake(
        "no-mean",
        lambda train, test: _standardized_by(0, train.std(), train, test),
        "you divided by the std but forgot to subtract the mean first: (train - mean) / std.",
    ),
    Mistake(
        "no-std",
        lambda train, test: _standardized_by(train.mean(), 1, train, test),
        "you subtracted the mean but did not divide by the std: (train - mean) / std.",
    ),
    Mistake(
        "per-pixel",
        lambda train, test: _standardized_by(train.mean(axis=0), train.std(axis=0), train, test),
        "you used a mean and std per pixel position (axis=0). This exercise wants ONE mean and "
        "ONE std over all the training pixels: train.mean(), train.std().",
    ),
    Mistake(
        "per-image",
        lambda train, test: tuple(
            (array - array.mean(axis=(1, 2), keepdims=True)) / array.std(axis=(1, 2), keepdims=True)
            for array in (train, test)
        ),
        "you used a mean and std per image. This exercise wants ONE mean and ONE std, over all "
        "the training pixels, for every image of both sets: train.mean(), train.std().",
    ),
    Mistake(
        "floor-division",
        lambda train, test: tuple((array - train.mean()) // train.std() for array in (train, test)),
        "your values are whole numbers: `//` is integer (floor) division, which throws away the "
        "fractions. Divide with `/`.",
    ),
    Mistake(
        "divide-by-255",
        lambda train, test: (train / 255, test / 255),
        "you divided by 255, which scales to [0, 1] (exercise 2.1). Standardizing subtracts the "
        "training mean and divides by the training std: (train - train.mean()) / train.std().",
    ),
    Mistake(
        "uint8-squares-overflow",
        lambda train, test: _standardized_by(
            train.mean(), np.sqrt(_variance_from_squares(train)), train, test
        ),
        "your std comes out wrong for uint8 pixels: `train ** 2` is computed in uint8, which wraps around "
        "above 255 (200 ** 2 gives 64). Convert first, train.astype('float64'), or use train.std().",
    ),
    Mistake(
        "test-untouched",
        lambda train, test: (*_standardized_by(train.mean(), train.std(), train), test),
        "test_std is the test set unchanged: standardize it too, with the training mean and std.",
    ),
]


def standardize(function) -> CheckResult:
    """Exercise 2.2: ``standardize(train, test)`` shifts and scales both with the TRAINING mean and std."""

    def test(function):
        for train, test in _standardize_cases():
            _compare_standardized(function, train, test)
        return (
            "Correct: both sets are shifted by the training mean and divided by the training std, "
            "so the model sees new data through the same lens as the training data."
        )

    return run_check("2.2", function, test)


def _standardize_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) pairs whose statistics differ: floats, small uint8 images, MNIST-sized ones.

    Each training set has at least 1,000 values, so a std with ddof=1 is as right as ddof=0.
    """
    rng = np.random.default_rng(22)
    return [
        (rng.normal(90, 25, (50, 6, 7)), rng.normal(140, 40, (17, 6, 7))),
        (fake_pixels(rng, (31, 9, 9), high=200), fake_pixels(rng, (13, 9, 9), high=255)),
        (fake_pixels(rng, (120, 28, 28), high=255), fake_pixels(rng, (40, 28, 28), high=230)),
    ]


def fake_pixels(rng: np.random.Generator, shape: tuple, high: int) -> np.ndarray:
    """uint8 pixels, mostly 0, the rest up to ``high``: ``fake_pixels(rng, (2, 3, 3), 255)``."""
    return np.where(rng.random(shape) < 0.3, rng.integers(1, high + 1, shape), 0).astype(np.uint8)


def _close(answer, expected) -> bool:
    """Equal up to the difference between a std with ddof=0 and one with ddof=1."""
    return np.allclose(answer, expected, rtol=1e-3, atol=1e-4, equal_nan=True)


def _same_pair(answer: tuple, wrong) -> bool:
    if not isinstance(wrong, tuple) or len(wrong) != 2:
        return False
    return all(
        np.shape(part) == np.shape(other) and _close(part, other)
        for part, other in zip(answer, wrong)
    )


def _compare_standardized(function, train: np.ndarray, test: np.ndarray) -> None:
    case = f"for a {train.dtype} training set of shape {train.shape}"
    originals = train.copy(), test.copy()
    result = call(function, train, test)
    if not (np.array_equal(train, originals[0]) and np.array_equal(test, originals[1])):
        raise Hint(
            "your function changed the arrays passed to it (an in-place `-=` or `/=`?). Compute "
            "new arrays instead: `(train - mean) / std`."
        )
    train_std, test_std = _standardized_pair(result)
    if train_std.shape == () and test_std.shape == ():
        raise Hint(
            "you returned two single numbers (the mean and the std?): return the two "
            "standardized arrays, `return train_std, test_std`."
        )
    if train_std.shape == test.shape and test_std.shape == train.shape:
        raise Hint(
            "the two arrays come back swapped: return the training set first, `return train_std, test_std`."
        )
    expect_shape(train_std, train.shape, "train_std (the same as train)")
    expect_shape(test_std, test.shape, "test_std (the same as test)")
    mean, std = train.mean(), train.std()
    expected = (train - mean) / std, (test - mean) / std
    if _same_pair((train_std, test_std), expected):
        return
    with np.errstate(all="ignore"):  # a mistake may divide by a zero std
        mistake = matching_mistake(
            (train_std, test_std), STANDARDIZE_MISTAKES, (train, test), _same_pair
        )
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    raise Hint(f"{case}, {_first_wrong_standardized(train_std, test_std, expected)}")


def _standardized_pair(result) -> tuple[np.ndarray, np.ndarray]:
    """The two arrays the student's function returned, or a hint saying what came back instead."""
    if result is None:
        raise Hint("your function returned None: did it forget `return train_std, test_std`?")
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        if isinstance(result, np.ndarray):
            raise Hint(
                f"you returned one array (shape {result.shape}): return both, "
                "`return train_std, test_std`."
            )
        raise Hint("return two arrays, `return train_std, test_std`.")
    pair = tuple(as_array(part, name) for part, name in zip(result, ("train_std", "test_std")))
    for part, name in zip(pair, ("train_std", "test_std")):
        if not _is_numeric(part):
            raise Hint(f"{name} should hold numbers, but it holds {part.dtype} values.")
    return pair


def _first_wrong_standardized(train_std, test_std, expected) -> str:
    """Where the first wrong array first differs: what differs, not why."""
    names = ("train_std", "test_std")
    formulas = ("(train - train.mean()) / train.std()", "(test - train.mean()) / train.std()")
    for got, right, name, formula in zip((train_std, test_std), expected, names, formulas):
        differs = ~np.isclose(got, right, rtol=1e-3, atol=1e-4)
        if differs.any():
            index = _first_index(differs)
            return (
                f"{name}[{_where(index)}] should be {right[index]:.6g}, that is {formula}, "
                f"but it is {_number(got[index])}."
            )
    return "the two arrays are not what (x - train.mean()) / train.std() gives."


# --- 2.3 ---------------------------------------------------------------------------------------


def _unit(x: np.ndarray) -> np.ndarray:
    """``x`` mapped onto [0, 1] by its own min and max."""
    return (x - x.min()) / (x.max() - x.min())


ASSUMES_255_HINT = (
    "your function assumes the maximum is 255. Use this x's own smallest and largest values, "
    "x.min() and x.max()."
)
NO_MIN_HINT = "the smallest value does not land on low: subtract x.min() first."

SCALE_TO_RANGE_MISTAKES: list[Mistake] = [
    Mistake("hard-coded-255", lambda x, low, high: x / 255 * (high - low) + low, ASSUMES_255_HINT),
    Mistake(
        "hard-coded-255-after-min",
        lambda x, low, high: (x - x.min()) / 255 * (high - low) + low,
        ASSUMES_255_HINT,
    ),
    Mistake(
        "no-offset",
        lambda x, low, high: _unit(x) * (high - low),
        "your values run from 0 to high - low: you forgot to add the offset `low` at the end.",
    ),
    Mistake(
        "ignores-low",
        lambda x, low, high: _unit(x) * high,
        "your values run from 0 to high: `low` is not used. Stretch the [0, 1] values to the "
        "width high - low, then add low.",
    ),
    Mistake(
        "width-high",
        lambda x, low, high: _unit(x) * high + low,
        "x.max() lands on high + low: stretch the [0, 1] values by the width high - low, not by high.",
    ),
    Mistake(
        "adds-high",
        lambda x, low, high: _unit(x) * (high - low) + high,
        "x.min() lands on high: the offset to add at the end is low, not high.",
    ),
    Mistake(
        "swapped",
        lambda x, low, high: _unit(x) * (low - high) + high,
        "low and high are swapped: x.min() lands on high and x.max() on low. Map x.min() to low: "
        "... * (high - low) + low.",
    ),
    Mistake("no-min", lambda x, low, high: x / x.max() * (high - low) + low, NO_MIN_HINT),
    Mistake(
        "no-min-with-width",
        lambda x, low, high: x / (x.max() - x.min()) * (high - low) + low,
        NO_MIN_HINT,
    ),
    Mistake(
        "only-0-1",
        lambda x, low, high: _unit(x),
        "your values run from 0 to 1: stretch them to the width high - low and add low.",
    ),
    Mistake(
        "floor-division",
        lambda x, low, high: (x - x.min()) // (x.max() - x.min()) * (high - low) + low,
        "nearly every value lands on low: `//` is integer (floor) division, which turns every "
        "fraction below 1 into 0. Divide with `/`.",
    ),
    Mistake(
        "uint8-overflow",
        lambda x, low, high: (x - x.min()) * (high - low) / (x.max() - x.min()) + low,
        "with whole-number low and high, (x - x.min()) * (high - low) is computed in x's own "
        "dtype, uint8, which wraps around above 255. Divide by x.max() - x.min() first, or convert x "
        "with x.astype('float64').",
    ),
    Mistake(
        "per-row",
        lambda x, low, high: (
            (x - x.min(axis=-1, keepdims=True))
            / (x.max(axis=-1, keepdims=True) - x.min(axis=-1, keepdims=True))
            * (high - low)
            + low
        ),
        "you used a min and max per row (axis=-1): use the smallest and largest values of the "
        "whole array, x.min() and x.max().",
    ),
]


def scale_to_range(function) -> CheckResult:
    """Exercise 2.3: ``scale_to_range(x, low, high)`` maps x linearly so its min is low and its max is high."""

    def test(function):
        for x, low, high in _scale_cases():
            _compare_scaled(function, x, low, high)
        return "Correct: the smallest value lands on low, the largest on high, and the rest in proportion."

    return run_check("2.3", function, test)


def _scale_cases() -> list[tuple[np.ndarray, float, float]]:
    """(x, low, high): floats far from 0-255, uint8, 1-D, and MNIST-like pixels with whole-number
    low and high, as in the exercise's own example ``scale_to_range(x_train[:2], -1, 1)``."""
    rng = np.random.default_rng(23)
    pixels = fake_pixels(rng, (20, 28, 28), high=255)
    pixels[0, 0, 0], pixels[-1, -1, -1] = 0, 255
    return [
        (rng.uniform(-3.7, 12.2, (13, 5)), -2.0, 3.0),
        (rng.integers(17, 144, (9, 4, 4)).astype(np.uint8), 0.0, 1.0),
        (rng.normal(50, 10, 29), 2.0, 5.0),
        (pixels, -1, 1),
    ]


def _compare_scaled(function, x: np.ndarray, low: float, high: float) -> None:
    case = (
        f"for {x.dtype} x from {x.min():.6g} to {x.max():.6g}, with low={low:g} and high={high:g}"
    )
    original = x.copy()
    scaled = as_array(call(function, x, low, high), "the scaled array")
    if not np.array_equal(x, original):
        raise Hint(
            "your function changed the array passed to it (an in-place `-=`?): compute a new array instead."
        )
    expect_shape(scaled, x.shape, "the scaled array (the same as x)")
    if not _is_numeric(scaled):
        raise Hint(f"the scaled array should hold numbers, but it holds {scaled.dtype} values.")
    values = x.astype(np.float64)
    expected = _unit(values) * (high - low) + low
    if same(scaled, expected):
        return
    with np.errstate(all="ignore"):  # a mistake may divide by zero
        mistake = matching_mistake(scaled, SCALE_TO_RANGE_MISTAKES, (original, low, high))
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    index = _first_index(~np.isclose(scaled, expected, rtol=1e-5, atol=1e-6))
    where = _where(index)
    raise Hint(
        f"{case}, the result at [{where}] should be {expected[index]:.6g} (x[{where}] is "
        f"{_number(x[index])}), but it is {_number(scaled[index])}. Your values run from "
        f"{_number(scaled.min())} to {_number(scaled.max())}; x.min() should land on low and "
        "x.max() on high."
    )


# --- 2.4 ---------------------------------------------------------------------------------------

# MNIST's own statistics, which a model built from other training images must not use: the raw
# training and test sets', and the training set's after dividing by 255 (the well-known 0.1307, 0.3081).
MNIST_TRAIN_MEAN, MNIST_TRAIN_STD = 33.318421, 78.567490
MNIST_TEST_MEAN, MNIST_TEST_STD = 33.791224, 79.172463
MNIST_SCALED_MEAN, MNIST_SCALED_STD = 0.1307, 0.3081

# Layers whose numbers come from data (adapt, or training) rather than from the student's code: a
# mistake made with one of them only matches a model that has one too.
_STATISTICS_LAYERS = ("Normalization", "LayerNormalization", "BatchNormalization")


def _layer(name: str, *args, **kwargs) -> object:
    """``keras.layers.<name>(*args, **kwargs)``, importing Keras only when a model is built."""
    import keras

    return getattr(keras.layers, name)(*args, **kwargs)


def _classifier(*preprocessing) -> object:
    """The exercise's model with ``preprocessing`` layers between the input and Flatten."""
    import keras

    return keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            *preprocessing,
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def _rescaling_model(scale, offset=0.0) -> object:
    """The exercise's model with ``Rescaling(scale, offset)`` first: ``x * scale + offset``."""
    return _classifier(_layer("Rescaling", scale=scale, offset=offset))


def _standardized_with(statistics: Callable[[np.ndarray], tuple]) -> Callable[[np.ndarray], object]:
    """A wrong ``build_standardizing_model``: it standardizes the raw pixels, in one Rescaling
    layer, with the mean and std that ``statistics(train_images)`` returns."""

    def build(train_images):
        mean, std = statistics(train_images)
        return _rescaling_model(1 / std, -mean / std)

    return build


MNIST_STATISTICS_TIP = (
    "compute them inside your function from the train_images it receives, np.mean(train_images) "
    "and np.std(train_images): then the model fits whatever images it is built for."
)

STANDARDIZING_MODEL_MISTAKES: list[Mistake] = [
    Mistake(
        "divide-by-255-only",
        lambda train_images: _rescaling_model(1 / 255),
        "your model scales the pixels to [0, 1] (Rescaling(1 / 255)), but does not standardize "
        "them: the first Dense layer should receive (x - mean) / std, with the mean and std of "
        "train_images.",
    ),
    Mistake(
        "offset-not-divided",
        lambda train_images: _rescaling_model(1 / train_images.std(), -train_images.mean()),
        "your model computes x / std - mean, not (x - mean) / std: Rescaling multiplies first, "
        "then adds (x * scale + offset), so the mean must be divided by the std too: "
        "offset=-mean / std.",
    ),
    Mistake(
        "offset-sign",
        lambda train_images: _rescaling_model(
            1 / train_images.std(), train_images.mean() / train_images.std()
        ),
        "your model ADDS the mean, (x + mean) / std: the offset needs a minus sign, "
        "offset=-mean / std.",
    ),
    Mistake(
        "scale-std-offset-mean",
        lambda train_images: _rescaling_model(train_images.std(), train_images.mean()),
        "Rescaling(scale=std, offset=mean) computes x * std + mean: Rescaling multiplies by scale, "
        "then adds offset. Write (x - mean) / std as x * (1 / std) + (-mean / std): "
        "scale=1 / std, offset=-mean / std.",
    ),
    Mistake(
        "no-std",
        lambda train_images: _rescaling_model(1, -train_images.mean()),
        "your model subtracts the mean but does not divide by the std: (x - mean) / std, that is "
        "scale=1 / std and offset=-mean / std.",
    ),
    Mistake(
        "no-mean",
        lambda train_images: _rescaling_model(1 / train_images.std()),
        "your model divides by the std but does not subtract the mean: (x - mean) / std, that is "
        "scale=1 / std and offset=-mean / std.",
    ),
    Mistake(
        "variance",
        lambda train_images: _rescaling_model(
            1 / train_images.var(), -train_images.mean() / train_images.var()
        ),
        "your model divides by the variance (the std squared): divide by the standard deviation, "
        "np.std(train_images).",
    ),
    Mistake(
        "normalization-not-adapted",
        lambda train_images: _classifier(_layer("Normalization", axis=None)),
        "your Normalization layer was never adapted, so it passes the raw pixels on unchanged (its "
        "mean is 0 and its variance 1): call its adapt(train_images) before returning the model, "
        "or give it the numbers, Normalization(mean=..., variance=..., axis=None).",
    ),
    Mistake(
        "batch-normalization",
        lambda train_images: _classifier(_layer("BatchNormalization")),
        "BatchNormalization learns its statistics while the model trains (before that it passes "
        "the raw pixels on almost unchanged) and standardizes each batch by its own: this exercise "
        "asks for the fixed mean and std of train_images, e.g. "
        "Rescaling(scale=1 / std, offset=-mean / std).",
    ),
    Mistake(
        "raw-pixels",
        lambda train_images: _classifier(),
        "the first Dense layer receives the raw pixels 0 to 255: nothing in your model "
        "standardizes them. Put a layer right after the input that computes (x - mean) / std with "
        "the mean and std of train_images, e.g. Rescaling(scale=1 / std, offset=-mean / std).",
    ),
    Mistake(
        "normalization-default-axis",
        # What Normalization() adapted on train_images holds, given directly (adapt is slow)
        lambda train_images: _classifier(
            _layer(
                "Normalization",
                mean=train_images.mean(axis=(0, 1)),
                variance=train_images.var(axis=(0, 1)),
            )
        ),
        "your Normalization layer keeps a mean and std per value of the last axis (the default, "
        "axis=-1: here one pair per pixel column, 28 pairs). This exercise asks for ONE mean and "
        "ONE std over all the pixels: Normalization(axis=None).",
    ),
    Mistake(
        "per-pixel",
        lambda train_images: _rescaling_model(
            1 / train_images.std(axis=0), -train_images.mean(axis=0) / train_images.std(axis=0)
        ),
        "your model standardizes each pixel position with its own mean and std (784 pairs, as "
        "axis=0 gives). This exercise asks for ONE mean and ONE std over all the values of "
        "train_images: np.mean(train_images), np.std(train_images).",
    ),
    Mistake(
        "per-image",
        lambda train_images: _classifier(_layer("LayerNormalization", axis=(1, 2))),
        "LayerNormalization standardizes each image by its OWN mean and std (and learns a scale "
        "and shift while training). This exercise asks for the same numbers for every image: the "
        "mean and std of train_images, e.g. Rescaling(scale=1 / std, offset=-mean / std).",
    ),
    Mistake(
        "first-image",
        _standardized_with(lambda train_images: (train_images[0].mean(), train_images[0].std())),
        "your model uses the mean and std of the first training image only: compute them over all "
        "the values of train_images, np.mean(train_images) and np.std(train_images).",
    ),
    Mistake(
        "statistics-of-scaled",
        _standardized_with(
            lambda train_images: ((train_images / 255).mean(), (train_images / 255).std())
        ),
        "your model standardizes the raw pixels with the mean and std of train_images / 255. The "
        "model receives raw pixels, 0 to 255: use the statistics of the raw train_images (or put "
        "Rescaling(1 / 255) first, then standardize what it gives with those of train_images / 255).",
    ),
    Mistake(
        "scaled-then-raw-statistics",
        lambda train_images: _classifier(
            _layer("Rescaling", 1 / 255),
            _layer(
                "Rescaling",
                scale=1 / train_images.std(),
                offset=-train_images.mean() / train_images.std(),
            ),
        ),
        "your model divides by 255 first, then standardizes with the mean and std of the RAW "
        "train_images. The second layer receives values in [0, 1], so it needs the statistics of "
        "train_images / 255 (or drop Rescaling(1 / 255) and keep the raw statistics).",
    ),
    Mistake(
        "mnist-training-statistics",
        _standardized_with(lambda train_images: (MNIST_TRAIN_MEAN, MNIST_TRAIN_STD)),
        "your model uses MNIST's training mean and std (33.32 and 78.57, typed in or computed from "
        "x_train) instead of those of the train_images your function receives: "
        + MNIST_STATISTICS_TIP,
    ),
    Mistake(
        "mnist-test-statistics",
        _standardized_with(lambda train_images: (MNIST_TEST_MEAN, MNIST_TEST_STD)),
        "your model uses the mean and std of MNIST's TEST set (33.79 and 79.17): the statistics "
        "must come from the training images, here the train_images your function receives: "
        + MNIST_STATISTICS_TIP,
    ),
    Mistake(
        "mnist-scaled-statistics",
        _standardized_with(lambda train_images: (MNIST_SCALED_MEAN, MNIST_SCALED_STD)),
        "your model standardizes the raw pixels with 0.1307 and 0.3081: those are MNIST's mean and "
        "std after dividing by 255, while the model receives raw pixels, 0 to 255. And they are "
        "MNIST's, not those of train_images: " + MNIST_STATISTICS_TIP,
    ),
]


def build_standardizing_model(function) -> CheckResult:
    """Exercise 2.4: ``build_standardizing_model(train_images)`` returns an untrained model that takes
    raw (28, 28) pixels, standardizes them with the ONE mean and std of train_images, then
    Flatten -> Dense(10, softmax)."""

    def test(function):
        cases = _standardizing_cases()
        for train_images, raw in cases:
            _check_standardizing_model(function, train_images, raw)
        pairs = "; ".join(f"mean {train.mean():.2f}, std {train.std():.2f}" for train, _ in cases)
        return (
            "Correct: raw pixels in, standardized inside the model with the training mean and "
            f"standard deviation of the arrays the check gave you ({pairs}: one pair per call, "
            "none of them MNIST's), 10 probabilities out."
        )

    return run_check("2.4", function, test)


def _fake_images(rng: np.random.Generator, count: int, mean: float, std: float) -> np.ndarray:
    """uint8 images of a bright blob, brighter in some images than in others, with noise; their
    values have about ``mean`` and ``std``: ``_fake_images(rng, 5, mean=60, std=40)``."""
    rows, columns = np.mgrid[:28, :28]
    blob = np.exp(-((rows - 13.5) ** 2 + (columns - 13.5) ** 2) / 50)
    values = blob * rng.uniform(0.3, 1.7, (count, 1, 1)) + rng.normal(0, 0.3, (count, 28, 28))
    values = (values - values.mean()) / values.std() * std + mean
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _standardizing_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """(train_images, raw test images as float32): dark, bright and few training images, none with
    MNIST's statistics (mean 33.32, std 78.57), so numbers typed into the model fail.

    Each training set has 6,272 values or more, so a std with ddof=1 is as right as ddof=0; each
    image varies in brightness and space, so per-image and per-pixel statistics differ from the
    overall ones.
    """
    rng = np.random.default_rng(24)
    cases = []
    for count, mean, std in [(200, 60, 40), (100, 150, 20), (8, 100, 60)]:
        train = _fake_images(rng, count, mean, std)
        raw = _fake_images(rng, 6, mean, std).astype(np.float32)
        cases.append((train, raw))
    return cases


def _check_standardizing_model(function, train_images: np.ndarray, raw: np.ndarray) -> None:
    """Raise a hint unless ``function(train_images)`` builds the exercise's model for these images."""
    given = train_images.copy()
    model = call(function, given)
    if not np.array_equal(given, train_images):
        raise Hint(
            "your function changed the train_images passed to it (an in-place `-=`, shuffle or "
            "sort?): read the statistics from it, but leave the array itself as it is."
        )
    _expect_model(model)
    flat_tip = (
        " The model should take raw images; its Flatten layer turns each one into 784 numbers."
    )
    expect_image_classifier(model, "the model", {(None, 784): flat_tip})
    try:
        received = _received(model, raw)
    except Hint:
        raise
    except Exception as error:
        raise Hint(
            f"calling your model on a batch of raw images raised {describe_error(error)}"
        ) from None
    mean, std = float(train_images.mean()), float(train_images.std())
    expected = (raw.reshape(len(raw), -1).astype(np.float64) - mean) / std
    if not _seen_close(received.values, expected):
        _diagnose_standardizing(model, received, expected, train_images, raw)
    _expect_probabilities(received.outputs, leaf_layers(model))


def _expect_model(model) -> None:
    import keras

    if model is None:
        raise Hint(
            "build_standardizing_model(train_images) returned None: did it forget to `return` the model?"
        )
    if isinstance(model, type):
        raise Hint(
            f"your function returned the class {model.__name__} itself, not a model: call it, "
            "e.g. keras.Sequential([...]), and return the model it builds."
        )
    if isinstance(model, keras.Model):
        return
    if isinstance(model, keras.layers.Layer):
        raise Hint(
            f"your function returned a {type(model).__name__} layer, not a model: put the layers "
            "together, keras.Sequential([keras.Input(shape=(28, 28)), ...]), and return that."
        )
    raise Hint(
        "build_standardizing_model(train_images) should return a keras.Model, but it returned "
        f"a {type(model).__name__}."
    )


class _Received:
    """What the first Dense layer (``receiver``) of a model receives for some raw images, one
    row per image; the model's ``outputs``; and the ``kinds`` of data-fed layers before it."""

    def __init__(self, values: np.ndarray, receiver: str, kinds: frozenset, outputs: np.ndarray):
        self.values, self.receiver, self.kinds, self.outputs = values, receiver, kinds, outputs


def _learns(layer) -> bool:
    return bool(layer.trainable_weights)


def _receiving_layer(layers: list) -> int:
    """The index of the first Dense layer, else of the first layer that learns."""
    import keras

    for wanted in (lambda layer: isinstance(layer, keras.layers.Dense), _learns):
        for index, layer in enumerate(layers):
            if wanted(layer):
                return index
    raise Hint(
        'the model has no Dense layer: end it with Flatten, then Dense(10, activation="softmax").'
    )


def _received(model, raw: np.ndarray) -> _Received:
    """Run ``model`` on ``raw`` and record what its first Dense layer receives.

    The whole model runs, so every way of standardizing counts: layers, nested blocks, and the
    operations a functional model applies to its tensors (``(inputs - mean) / std``), which are
    not layers at all.
    """
    import keras

    layers = leaf_layers(model)
    index = _receiving_layer(layers)
    receiver = layers[index]
    recorded = []
    original = receiver.call

    def recording_call(inputs, *args, **kwargs):
        recorded.append(keras.ops.convert_to_numpy(inputs))
        return original(inputs, *args, **kwargs)

    object.__setattr__(receiver, "call", recording_call)
    try:
        outputs = keras.ops.convert_to_numpy(model(raw, training=False))
    finally:
        object.__delattr__(receiver, "call")
    if not recorded:
        raise Hint(
            f"the model's {type(receiver).__name__} layer is not used when the model runs: with the "
            "functional API, call each layer on the previous layer's output."
        )
    kinds = frozenset(
        type(layer).__name__
        for layer in layers[:index]
        if type(layer).__name__ in _STATISTICS_LAYERS
    )
    return _Received(recorded[0].reshape(len(raw), -1), type(receiver).__name__, kinds, outputs)


def _seen_close(seen: np.ndarray, other: np.ndarray | None) -> bool:
    """Equal up to float32 rounding and the difference between a std with ddof=0 and ddof=1."""
    return (
        other is not None
        and seen.shape == other.shape
        and bool(np.allclose(seen, other, rtol=1e-3, atol=1e-3))
    )


def _diagnose_standardizing(model, received: _Received, expected, train_images, raw) -> None:
    """Raise the hint of the known mistake behind ``received``, else say what differs."""
    import keras

    layers = leaf_layers(model)
    index = _receiving_layer(layers)
    later = [
        layer
        for layer in layers[index + 1 :]
        if isinstance(layer, (keras.layers.Rescaling, keras.layers.Normalization))
    ]
    if later:
        raise Hint(
            f"your {type(later[0]).__name__} layer comes after {received.receiver}, a layer that "
            "learns: standardize first, right after the input, so every layer that learns "
            "receives standardized pixels."
        )

    def agree(received, wrong_model):
        try:
            wrong = _received(wrong_model, raw)
        except Exception:
            return False
        return wrong.kinds <= received.kinds and _seen_close(received.values, wrong.values)

    with np.errstate(all="ignore"):
        mistake = matching_mistake(received, STANDARDIZING_MODEL_MISTAKES, (train_images,), agree)
    if mistake is not None:
        raise Hint(mistake.hint)
    raise Hint(_what_differs(received, expected, train_images, raw))


def _what_differs(received: _Received, expected: np.ndarray, train_images, raw) -> str:
    """The first value the model gets wrong, and its mean and std when those differ too."""
    mean, std = train_images.mean(), train_images.std()
    start = (
        f"for training images with mean {mean:.2f} and std {std:.2f}, the first {received.receiver} "
        f"layer should receive (x - {mean:.2f}) / {std:.2f} for every raw pixel x"
    )
    got = received.values
    if got.shape != expected.shape:
        return (
            f"{start}, {expected.shape[1]} values per image, but it receives {got.shape[1]}: "
            "standardize the (28, 28) pixels, then Flatten them."
        )
    image, position = _first_index(~np.isclose(got, expected, rtol=1e-3, atol=1e-3))
    row, column = divmod(position, 28)
    message = (
        f"{start}. In the check's test image {image}, the raw pixel [{row}, {column}] is "
        f"{raw[image, row, column]:g}: it should become {expected[image, position]:.4g}, but your "
        f"model makes it {got[image, position]:.4g}."
    )
    stats = [
        (_two_decimals(got.mean()), _two_decimals(expected.mean())),
        (_two_decimals(got.std()), _two_decimals(expected.std())),
    ]
    if any(yours != right for yours, right in stats):
        (got_mean, right_mean), (got_std, right_std) = stats
        message += (
            f" Over all these images, what it receives has mean {got_mean} and std {got_std}; "
            f"(x - {mean:.2f}) / {std:.2f} gives mean {right_mean} and std {right_std}."
        )
    return message


def _two_decimals(value: float) -> str:
    """``value`` with two decimals, and no minus sign on a zero: ``_two_decimals(-0.001)`` is "0.00"."""
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def _expect_probabilities(probabilities: np.ndarray, layers: list) -> None:
    import keras

    if probabilities.min() >= 0 and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5):
        return
    dense = [i for i, layer in enumerate(layers) if isinstance(layer, keras.layers.Dense)]
    last = activation_name(layers, dense[-1]) if dense else "linear"
    which = (
        "the last Dense layer has no activation"
        if last == "linear"
        else f'the last Dense layer uses activation "{last}"'
    )
    raise Hint(
        f"{which}, so the outputs are not probabilities (they should be >= 0 and add up to 1 "
        'per image): give the last Dense layer activation="softmax".'
    )
