"""Self-checks for exercise set 02, normalization (exercises 2.1 to 2.4).

>>> check.x_train_norm(x_train.astype("float32") / 255)  # doctest: +SKIP
✅ Exercise 2.1: Correct: ...
"""

from __future__ import annotations

import numpy as np

from ..check_results import CheckResult
from . import loading
from .framework import Hint, as_array, call, expect_image_classifier, expect_shape, run_check

# --- 2.1 ---------------------------------------------------------------------------------------


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
        if not np.issubdtype(x.dtype, np.number):
            raise Hint(f"x_train_norm should hold numbers, but it holds {x.dtype} values.")
        if x.min() < 0:
            raise Hint(
                f"x_train_norm goes down to {x.min():.3f}: scaling to [0, 1] only divides by 255, it "
                "does not subtract a mean (that is standardizing, exercise 2.2)."
            )
        top = x.max()
        if top > 1:
            if np.array_equal(x, x_train):
                raise Hint(
                    "x_train_norm still holds the raw pixels 0 to 255: divide x_train by 255."
                )
            raise Hint(
                f"x_train_norm goes up to {top:.4g}; after scaling every value should be in [0, 1]."
            )
        if np.issubdtype(x.dtype, np.integer) or np.isin(x[:100], (0, 1)).all():
            raise Hint(
                "x_train_norm holds only 0s and 1s: integer division `//` throws away the fractions. "
                "Use `/` (true division)."
            )
        scaled = x_train.astype(np.float32)
        scaled /= np.float32(255)
        if np.all(x.max(axis=(1, 2)) == 1) and not np.all(x_train.max(axis=(1, 2)) == 255):
            raise Hint(
                "every image reaches exactly 1.0: you divided each image by its own maximum. Divide "
                "all images by the same number, 255, so a pixel value means the same in every image."
            )
        if not np.allclose(x, scaled, atol=1e-6):
            index = tuple(
                int(i) for i in np.unravel_index(int(np.argmax(np.abs(x - scaled))), x.shape)
            )
            where = ", ".join(map(str, index))
            raise Hint(
                f"x_train_norm[{where}] is {x[index]:.4f}, but x_train[{where}] / 255 is "
                f"{scaled[index]:.4f}. Scale x_train itself, in its original order."
            )
        if x.dtype != np.float32:
            raise Hint(
                f"the values are right, but their dtype is {x.dtype}. Make it float32 "
                "(e.g. x_train.astype('float32') / 255): float32 halves the memory of float64 and "
                "is what Keras computes in."
            )
        return "Correct: float32 values from 0.0 to 1.0, same shape as x_train."

    return run_check("2.1", answer, test)


# --- 2.2 ---------------------------------------------------------------------------------------


def standardize(function) -> CheckResult:
    """Exercise 2.2: ``standardize(train, test)`` shifts and scales both with the TRAINING mean and std."""

    def test(function):
        rng = np.random.default_rng(22)
        train = rng.normal(90, 25, (50, 6, 7))
        test = rng.normal(140, 40, (17, 6, 7))  # different statistics from the training set
        _compare_standardized(function, train, test)

        train = fake_pixels(rng, (31, 9, 9), high=200)
        test = fake_pixels(rng, (13, 9, 9), high=255)
        _compare_standardized(function, train, test)
        return (
            "Correct: both sets are shifted by the training mean and divided by the training std, "
            "so the model sees new data through the same lens as the training data."
        )

    return run_check("2.2", function, test)


def fake_pixels(rng: np.random.Generator, shape: tuple, high: int) -> np.ndarray:
    """uint8 pixels, mostly 0, the rest up to ``high``: ``fake_pixels(rng, (2, 3, 3), 255)``."""
    return np.where(rng.random(shape) < 0.3, rng.integers(1, high + 1, shape), 0).astype(np.uint8)


def _compare_standardized(function, train: np.ndarray, test: np.ndarray) -> None:
    case = f"for a {train.dtype} training set of shape {train.shape}"
    originals = train.copy(), test.copy()
    result = call(function, train, test)
    if not (np.array_equal(train, originals[0]) and np.array_equal(test, originals[1])):
        raise Hint(
            "your function changed the arrays passed to it (an in-place `-=` or `/=`?). Compute "
            "new arrays instead: `(train - mean) / std`."
        )
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        if isinstance(result, np.ndarray):
            raise Hint(
                f"you returned one array (shape {result.shape}): return both, "
                "`return train_std, test_std`."
            )
        raise Hint("return two arrays, `return train_std, test_std`.")
    train_std, test_std = (
        as_array(part, name) for part, name in zip(result, ("train_std", "test_std"))
    )
    if train_std.shape == test.shape and test_std.shape == train.shape:
        raise Hint(
            "the two arrays come back swapped: return the training set first, `return train_std, test_std`."
        )
    expect_shape(train_std, train.shape, "train_std (the same as train)")
    expect_shape(test_std, test.shape, "test_std (the same as test)")

    mean, std = train.mean(), train.std()

    def close(answer, expected):
        return np.allclose(answer, expected, rtol=1e-3, atol=1e-4)  # ddof=1 is fine too

    if close(train_std, (train - mean) / std**2):
        raise Hint(
            "you divided by the variance (std squared): divide by the standard deviation, train.std()."
        )
    if close(train_std, train / std):
        raise Hint(
            "you divided by the std but forgot to subtract the mean first: (train - mean) / std."
        )
    if close(train_std, (train - train.mean(axis=0)) / np.maximum(train.std(axis=0), 1e-12)):
        raise Hint(
            "you used a mean and std per pixel position (axis=0). This exercise wants ONE mean and "
            "ONE std over all the training pixels: train.mean(), train.std()."
        )
    if not close(train_std, (train - mean) / std):
        raise Hint(
            f"{case}, train_std should have mean 0 and std 1, but it has mean "
            f"{train_std.mean():.3f} and std {train_std.std():.3f}. Use (train - train.mean()) / train.std()."
        )
    if close(test_std, (test - test.mean()) / test.std()):
        raise Hint(
            "you standardized the test set with its OWN mean and std. That is peeking: at training "
            "time you cannot know the statistics of future data, and the model must see every input "
            "shifted and scaled by the same numbers. Use the training mean and std for both."
        )
    if not close(test_std, (test - mean) / std):
        raise Hint(
            f"{case}, test_std should be (test - train.mean()) / train.std(), with the training statistics."
        )


# --- 2.3 ---------------------------------------------------------------------------------------


def scale_to_range(function) -> CheckResult:
    """Exercise 2.3: ``scale_to_range(x, low, high)`` maps x linearly so its min is low and its max is high."""

    def test(function):
        rng = np.random.default_rng(23)
        cases = (
            (rng.uniform(-3.7, 12.2, (13, 5)), -1.0, 1.0),
            (rng.integers(17, 144, (9, 4, 4)).astype(np.uint8), 0.0, 1.0),
            (rng.normal(50, 10, 29), 2.0, 5.0),
        )
        for x, low, high in cases:
            _compare_scaled(function, x, low, high)
        return "Correct: the smallest value lands on low, the largest on high, and the rest in proportion."

    return run_check("2.3", function, test)


def _compare_scaled(function, x: np.ndarray, low: float, high: float) -> None:
    case = f"with low={low:g}, high={high:g} and x from {x.min():.4g} to {x.max():.4g}"
    original = x.copy()
    scaled = as_array(call(function, x, low, high), "the scaled array")
    if not np.array_equal(x, original):
        raise Hint(
            "your function changed the array passed to it (an in-place `-=`?): compute a new array instead."
        )
    expect_shape(scaled, x.shape, "the scaled array (the same as x)")
    values = x.astype(np.float64)
    expected = (values - values.min()) / (values.max() - values.min()) * (high - low) + low

    def close(answer):
        return np.allclose(scaled, answer, rtol=1e-5, atol=1e-6)

    if close(expected):
        return
    if close(values / 255 * (high - low) + low) or close(
        (values - values.min()) / 255 * (high - low) + low
    ):
        raise Hint(
            f"{case}, your function assumes the maximum is 255. Use this x's own smallest and "
            "largest values, x.min() and x.max()."
        )
    if close(expected - low):
        raise Hint(
            f"{case}, your values run from 0 to {high - low:g} instead of from {low:g} to {high:g}: "
            "you forgot to add the offset `low` at the end."
        )
    if close(values / values.max() * (high - low) + low) or close(
        values / (values.max() - values.min()) * (high - low) + low
    ):
        raise Hint(f"{case}, the smallest value does not land on {low:g}: subtract x.min() first.")
    if close((values - values.min()) / (values.max() - values.min())):
        raise Hint(
            f"{case}, your values run from 0 to 1: stretch them to the width high - low and add low."
        )
    raise Hint(
        f"{case}, your values run from {scaled.min():.4g} to {scaled.max():.4g}. Map x.min() to "
        "low and x.max() to high: (x - x.min()) / (x.max() - x.min()) * (high - low) + low."
    )


# --- 2.4 ---------------------------------------------------------------------------------------


def build_rescaling_model(function) -> CheckResult:
    """Exercise 2.4: a model that takes raw (28, 28) pixels, rescales them with a Rescaling layer,
    then Flatten -> Dense(10, softmax)."""

    def test(function):
        import keras

        model = call(function)
        if not isinstance(model, keras.Model):
            raise Hint(
                f"build_rescaling_model() should return a keras.Model, but it returned a {type(model).__name__}."
            )
        flat_tip = (
            " The model should take raw images; its Flatten layer turns each one into 784 numbers."
        )
        expect_image_classifier(model, "the model", {(None, 784): flat_tip})
        layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
        rescaling = [layer for layer in layers if isinstance(layer, keras.layers.Rescaling)]
        if not rescaling:
            raise Hint(
                "the model has no Rescaling layer: add keras.layers.Rescaling(1 / 255) right after "
                "the input, so the model itself turns raw 0-255 pixels into 0-1."
            )
        if len(rescaling) > 1:
            raise Hint(f"the model has {len(rescaling)} Rescaling layers: one is enough.")
        layer = rescaling[0]
        scale, offset = float(np.asarray(layer.scale)), float(np.asarray(layer.offset))
        if np.isclose(scale, 255):
            raise Hint(
                "Rescaling(255) MULTIPLIES every pixel by 255. The scale is the factor each value "
                "is multiplied by: use Rescaling(1 / 255)."
            )
        if offset != 0:
            raise Hint(
                f"Rescaling(scale={scale:.6g}, offset={offset:g}) maps the pixels 0 to 255 onto "
                f"{offset:.4g} to {255 * scale + offset:.4g}; this exercise asks for [0, 1]: use "
                "Rescaling(1 / 255), without an offset."
            )
        if not np.isclose(scale, 1 / 255, rtol=1e-3, atol=0):
            raise Hint(
                f"Rescaling({scale:.6g}) turns the brightest pixel, 255, into {255 * scale:.4f}, "
                "not 1.0: use Rescaling(1 / 255)."
            )
        position = layers.index(layer)
        if any(earlier.weights for earlier in layers[:position]):
            raise Hint(
                "the Rescaling layer comes after a layer with weights: put it first, right after "
                "the input, so every layer that learns sees values in [0, 1]."
            )

        rng = np.random.default_rng(24)
        raw = rng.integers(0, 256, (5, 28, 28)).astype(np.float32)
        probabilities = keras.ops.convert_to_numpy(model(raw, training=False))
        if probabilities.min() < 0 or not np.allclose(probabilities.sum(axis=1), 1, atol=1e-5):
            raise Hint(
                "the outputs are not probabilities (they should be >= 0 and add up to 1 per image): "
                'give the last Dense layer activation="softmax".'
            )
        hidden = raw
        try:
            for each in layers:
                hidden = hidden * np.float32(scale) if each is layer else each(hidden)
        except Exception:
            raise Hint(
                "keep the model a simple stack of layers: Input, Rescaling, Flatten, Dense."
            ) from None
        if not np.allclose(probabilities, keras.ops.convert_to_numpy(hidden), atol=1e-5):
            raise Hint(
                "the model's output for raw pixels differs from what its layers give one after the other: "
                "keep it a simple stack of layers, Input, Rescaling, Flatten, Dense."
            )
        return (
            "Correct: the model takes raw pixels, scales them by 1/255 itself and outputs 10 "
            "probabilities. Saved with the model, the scaling can't be forgotten at prediction time."
        )

    return run_check("2.4", function, test)
