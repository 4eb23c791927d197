"""Self-checks for exercise set 06, augmentation and regularization (exercises 6.1 to 6.4).

The checks run the student's layers and callbacks on made-up data: stroke images drawn here
(never MNIST), a simulated training run, a tiny model with fixed weights. Nothing is trained, and
every check seeds its randomness, so the same answer always gets the same verdict. Each check
states the typical wrong answers once, in a table of :class:`~helpers.check.mistakes.Mistake`
(``MILD_AUGMENTATION_MISTAKES``, ``HARMFUL_AUGMENTATION_MISTAKES``, ``EARLY_STOPPING_MISTAKES``,
``TTA_MISTAKES``); the tests submit every entry and expect its hint:

    >>> check.build_augmentation(build_augmentation)  # doctest: +SKIP
    ✅ Exercise 6.1: Correct: ...
"""

from __future__ import annotations

import zlib
from collections import Counter
from functools import lru_cache

import numpy as np

from ..check_results import CheckResult
from .framework import Hint, describe_error, probabilities_array, run_check
from .mistakes import Mistake, first_difference, matching_mistake, plural
from .models import leaf_layers

SIZE = 28
MAX_ROTATION_DEGREES = 15
MAX_SHIFT = 0.15
MAX_ZOOM = 0.20


# --- made-up digits -----------------------------------------------------------------------------


def _segment_ink(start: np.ndarray, end: np.ndarray, width: float = 1.0) -> np.ndarray:
    """A soft stroke from ``start`` to ``end`` (row, column) on a SIZE x SIZE canvas, values in [0, 1]."""
    rows, cols = np.indices((SIZE, SIZE), dtype=np.float64)
    points = np.stack([rows, cols], axis=-1)
    direction = end - start
    t = np.clip(((points - start) @ direction) / max(direction @ direction, 1e-9), 0, 1)
    distance = np.linalg.norm(points - (start + t[..., None] * direction), axis=-1)
    return np.clip(width + 0.5 - distance, 0, 1)


def stroke_images(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` digit-like float32 images, shape (count, 28, 28, 1), values in [0, 1].

    Each is an "F" of three strokes, randomly sized, tilted, moved and sometimes mirrored: like a
    digit, it looks different after a mirror or a large turn, which exercise 6.2's check relies on.

        >>> stroke_images(np.random.default_rng(0), 2).shape
        (2, 28, 28, 1)
    """
    images = []
    for _ in range(count):
        height, width = rng.uniform(12, 16), rng.uniform(5, 8)
        middle = rng.uniform(0.4, 0.55) * height
        top, left = -height / 2, -width / 2
        strokes = [
            ((top, left), (top + height, left)),
            ((top, left), (top, left + width)),
            ((top + middle, left), (top + middle, left + width * rng.uniform(0.5, 0.8))),
        ]
        angle = np.deg2rad(rng.uniform(-25, 25))
        turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        offset = np.full(2, (SIZE - 1) / 2) + rng.uniform(-1.5, 1.5, 2)
        image = np.zeros((SIZE, SIZE))
        for start, end in strokes:
            image = np.maximum(
                image, _segment_ink(turn @ np.array(start) + offset, turn @ np.array(end) + offset)
            )
        images.append(np.fliplr(image) if rng.random() < 0.5 else image)
    return np.stack(images)[..., None].astype(np.float32)


@lru_cache(maxsize=512)
def _rotation_sampler(shape: tuple[int, int], degrees: float) -> tuple[np.ndarray, np.ndarray]:
    """Where each output pixel of a turn by ``degrees`` reads from: indices into the image padded
    by one pixel of black and flattened, and their bilinear weights, both of shape (pixels, 4)."""
    height, width = shape
    rows, cols = np.indices(shape, dtype=np.float64)
    angle = np.deg2rad(degrees)
    r, c = rows - (height - 1) / 2, cols - (width - 1) / 2
    source_r = np.cos(angle) * r - np.sin(angle) * c + (height - 1) / 2
    source_c = np.sin(angle) * r + np.cos(angle) * c + (width - 1) / 2
    r0, c0 = np.floor(source_r).astype(int), np.floor(source_c).astype(int)
    fr, fc = source_r - r0, source_c - c0
    indices, weights = [], []
    for dr, dc, weight in (
        (0, 0, (1 - fr) * (1 - fc)),
        (1, 0, fr * (1 - fc)),
        (0, 1, (1 - fr) * fc),
        (1, 1, fr * fc),
    ):
        inside = (r0 + dr >= 0) & (r0 + dr < height) & (c0 + dc >= 0) & (c0 + dc < width)
        rr, cc = np.clip(r0 + dr + 1, 0, height + 1), np.clip(c0 + dc + 1, 0, width + 1)
        indices.append((rr * (width + 2) + cc).ravel())
        weights.append(np.where(inside, weight, 0).ravel())
    return np.stack(indices, axis=1), np.stack(weights, axis=1)


def rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    """``image`` (2-D) turned by ``degrees`` about its centre, bilinear, black outside.

    >>> rotate(np.eye(3), 90).round(3).tolist()[1]
    [0.0, 1.0, 0.0]
    """
    indices, weights = _rotation_sampler(image.shape, float(degrees))
    padded = np.pad(np.asarray(image, dtype=np.float64), 1).ravel()
    return (padded[indices] * weights).sum(axis=1).reshape(image.shape)


def _centred_unit(image: np.ndarray) -> np.ndarray:
    """``image`` rolled so its centre of mass sits at the centre (whole pixels), flattened to length 1."""
    mass = image.sum()
    if mass > 0:
        rows, cols = np.indices(image.shape)
        shift_r = int(round((image.shape[0] - 1) / 2 - (rows * image).sum() / mass))
        shift_c = int(round((image.shape[1] - 1) / 2 - (cols * image).sum() / mass))
        image = np.roll(image, (shift_r, shift_c), axis=(0, 1))
    vector = image.ravel().astype(np.float64)
    return vector / max(np.linalg.norm(vector), 1e-12)


ANGLES = np.arange(-180, 180, 5)
ORIENTATIONS = [(mirrored, int(angle)) for mirrored in (False, True) for angle in ANGLES]
UNTOUCHED = ORIENTATIONS.index((False, 0))


def _is_label_changing(mirrored: bool, degrees: int) -> bool:
    """Mirrors and turns of 80° or more: what can make a digit another digit, or none."""
    return mirrored or abs(degrees) >= 80


def _orientation_matrix(original: np.ndarray) -> np.ndarray:
    """One row per entry of ORIENTATIONS: ``original`` mirrored and turned that way, centred, length 1."""
    return np.stack(
        [
            _centred_unit(rotate(np.fliplr(original) if mirrored else original, angle))
            for mirrored, angle in ORIENTATIONS
        ]
    )


def orientation(
    output: np.ndarray, original: np.ndarray, matrix: np.ndarray | None = None
) -> tuple[bool, int]:
    """(mirrored, degrees): the mirror and turn of ``original`` (2-D) that ``output`` looks most like.

    >>> image = stroke_images(np.random.default_rng(1), 1)[0, ..., 0]
    >>> orientation(np.rot90(image, 2), image)
    (False, -180)
    """
    matrix = _orientation_matrix(original) if matrix is None else matrix
    return ORIENTATIONS[int(np.argmax(matrix @ _centred_unit(output)))]


# --- running the student's objects ----------------------------------------------------------------

# What Keras's refusal of a factor outside [-1, 1] says, and what the student meant instead.
_REFUSED_FACTOR_HINTS = (
    (
        "Received: factor=",
        "RandomRotation's factor is a fraction of a FULL TURN, not degrees: 15° is 15 / 360 ≈ 0.042.",
    ),
    (
        "height_factor` and `width_factor",
        "RandomZoom's factor is a fraction of the image's size, not a percentage: 20 % is 0.2.",
    ),
    (
        "Received: input_number=",
        "RandomTranslation's factors are fractions of the image's height and width, not pixels: "
        "3 pixels is 3 / 28 ≈ 0.11.",
    ),
)
FACTOR_RANGE_HINT = (
    "Keras accepts factors between -1 and 1 only. RandomRotation's factor is a fraction of a FULL TURN "
    "(15° is 15 / 360 ≈ 0.042), and RandomTranslation's and RandomZoom's factors are fractions of the "
    "image's size (3 pixels is 3 / 28 ≈ 0.11), not degrees or pixels."
)


def _refused_factor_hint(message: str) -> str:
    """The units to use, for Keras's refusal ``message`` of a factor outside [-1, 1].

    >>> _refused_factor_hint("The `factor` argument should be ... Received: factor=10")[:30]
    "RandomRotation's factor is a f"
    """
    for pattern, hint in _REFUSED_FACTOR_HINTS:
        if pattern in message:
            return hint
    return FACTOR_RANGE_HINT


def _is_small_number(text: str) -> bool:
    """Whether ``text`` is a number between -1 and 1: ``_is_small_number("0.03")`` is True."""
    try:
        return abs(float(text)) <= 1
    except ValueError:
        return False


def _build(function, what: str, seed: int):
    """Call the student's builder with Keras's random seed set; Keras's refusal of a factor gets
    an explanation, not a traceback: ``_build(build_augmentation, "augmentation block", 61)``."""
    import keras

    if not callable(function):
        raise Hint(
            f"expected a function, got {type(function).__name__}. Did you overwrite its name?"
        )
    keras.utils.set_random_seed(seed)
    try:
        built = function()
    except (NotImplementedError, Hint):
        raise
    except ValueError as error:
        if "[-1" in str(error):
            received = str(error).rsplit("Received: ", 1)[-1].rstrip(".")
            if _is_small_number(received.rpartition("=")[2]):
                raise Hint(
                    f"Keras refused one of your factors ({received}) although it lies between -1 "
                    "and 1: it accepts only plain Python numbers (or a pair of them), not NumPy "
                    "numbers such as np.float32(0.03). Wrap the value in float(...)."
                ) from None
            raise Hint(
                f"Keras refused one of your factors ({received}): it accepts factors between -1 and "
                f"1 only. {_refused_factor_hint(str(error))}"
            ) from None
        raise Hint(f"calling your function raised {describe_error(error)}") from None
    except Exception as error:
        raise Hint(f"calling your function raised {describe_error(error)}") from None
    _expect_an_object(built, what)
    _reseed(built, seed)
    return built


def _expect_an_object(built, what: str) -> None:
    if built is None:
        raise Hint(f"your function returned None: did it forget to `return` the {what}?")
    if isinstance(built, type):
        raise Hint(
            f"your function returned the class {built.__name__} itself: create one, with its arguments, "
            f"e.g. `{built.__name__}(...)`."
        )
    if isinstance(built, (list, tuple)):
        raise Hint(
            f"your function returned a {type(built).__name__}: wrap the layers in one block, "
            "`keras.Sequential([...])`, and return that."
        )


def _reseed(block, seed: int) -> None:
    """Set every random layer's seed generator in ``block`` to a fixed state, so a block made
    before the check (and used since) draws the same changes in every run of the check."""
    for index, layer in enumerate(leaf_layers(block) if hasattr(block, "layers") else [block]):
        for number, generator in enumerate(getattr(layer, "_seed_generators", None) or []):
            state = getattr(generator, "state", None)
            if state is not None:
                state.assign(np.array([seed + 1000 * index + number, 0], dtype=state.dtype))


def _apply(block, images: np.ndarray, training: bool) -> np.ndarray:
    import keras

    try:
        output = block(images, training=training)
    except Exception as error:
        raise Hint(
            f"your block failed on a batch of shape {images.shape} (values in [0, 1], as inside the model) "
            f"with training={training}: {describe_error(error)}"
        ) from None
    output = np.asarray(keras.ops.convert_to_numpy(output))
    if output.shape != images.shape:
        raise Hint(
            f"your block turned a batch of shape {images.shape} into shape {output.shape}: augmentation "
            "must keep the shape (no cropping, resizing or reshaping)."
        )
    return output


def _centre_of_mass(images: np.ndarray) -> np.ndarray:
    """(N, 2) row and column of each image's centre of mass."""
    images = images[..., 0]
    mass = np.maximum(images.sum(axis=(1, 2)), 1e-9)
    rows, cols = np.indices(images.shape[1:])
    return np.stack(
        [(images * rows).sum(axis=(1, 2)) / mass, (images * cols).sum(axis=(1, 2)) / mass], axis=1
    )


# --- 6.1 ------------------------------------------------------------------------------------------

FLIP_HINT = (
    "A mirrored digit is no digit (a mirrored 2 is not a 2), and a flip upside down turns a 6 into a 9: "
    "flips change the label. Leave them out."
)
FIXED_LAYER_HINT = (
    "The block receives images already scaled to [0, 1] (the model's own Rescaling comes before it), "
    "and a fixed change like this one acts at inference too: keep only the three random layers."
)
INFERENCE_HINT = (
    "At inference augmentation must do nothing: use only Keras's random preprocessing layers, which "
    "pass the images through unchanged when training=False."
)
HALF_TURN_HINT = (
    "a full turn is 360°, so divide the degrees by 360, not by 180: 15° is 15 / 360 ≈ 0.042."
)
RADIANS_HINT = "RandomRotation's factor is a fraction of a full turn, not an angle in radians: 15° is 15 / 360 ≈ 0.042."
ROTATION_LIMIT_HINT = "Its factor is a fraction of a full turn: 15° is 15 / 360 ≈ 0.042."
SINGLE_VALUE_HINT = (
    "makes the same change to every image, on every call: an augmentation must draw a new random "
    "change each time. Give a range around 0, e.g. RandomRotation(0.03) turns by a random angle "
    "between −10.8° and +10.8°."
)
ZERO_FACTORS_HINT = (
    "all its factors are 0, so no layer changes anything. Give each layer its range."
)


def _mild_block(rotation=10 / 360, shift=0.1, zoom=0.15, extra=None, fill_mode="constant"):
    """The 6.1 solution with one thing changed: a factor (None leaves the layer out), or ``extra``,
    a function of ``keras.layers`` giving layers to put first."""
    import keras

    layers = keras.layers
    stack = list(extra(layers)) if extra is not None else []
    if rotation is not None:
        stack.append(layers.RandomRotation(rotation, fill_mode=fill_mode))
    if shift is not None:
        stack.append(layers.RandomTranslation(shift, shift, fill_mode=fill_mode))
    if zoom is not None:
        stack.append(layers.RandomZoom(zoom, fill_mode=fill_mode))
    return keras.Sequential(stack)


def _noise_at_inference(layers):
    import keras

    return [
        layers.Lambda(lambda x: x + keras.random.normal(keras.ops.shape(x), stddev=0.05, seed=1))
    ]


# Structural mistakes: each entry builds the block a student returns; its hint is (part of) what the
# check answers. The check finds these by looking at the layers and running the block.
MILD_AUGMENTATION_MISTAKES: list[Mistake] = [
    Mistake("rotation in degrees", lambda: _mild_block(rotation=15), _REFUSED_FACTOR_HINTS[0][1]),
    Mistake("shift in pixels", lambda: _mild_block(shift=3), _REFUSED_FACTOR_HINTS[2][1]),
    Mistake("zoom in percent", lambda: _mild_block(zoom=20), _REFUSED_FACTOR_HINTS[1][1]),
    Mistake("degrees / 180", lambda: _mild_block(rotation=15 / 180), HALF_TURN_HINT),
    Mistake("radians", lambda: _mild_block(rotation=float(np.deg2rad(15))), RADIANS_HINT),
    Mistake(
        "half a turn",
        lambda: _mild_block(rotation=0.5),
        "your RandomRotation turns digits by up to 180°; stay within 15°.",
    ),
    Mistake(
        "strong shift",
        lambda: _mild_block(shift=0.3),
        "your RandomTranslation shifts by up to 30% of the image",
    ),
    Mistake("strong zoom", lambda: _mild_block(zoom=0.5), "your RandomZoom zooms by up to 50%"),
    Mistake(
        "flip",
        lambda: _mild_block(extra=lambda layers: [layers.RandomFlip("horizontal")]),
        FLIP_HINT,
    ),
    Mistake("zoom missing", lambda: _mild_block(zoom=None), "your block has no RandomZoom layer"),
    Mistake(
        "rescaling inside",
        lambda: _mild_block(extra=lambda layers: [layers.Rescaling(1 / 255)]),
        FIXED_LAYER_HINT,
    ),
    Mistake("noise at inference", lambda: _mild_block(extra=_noise_at_inference), INFERENCE_HINT),
    Mistake("all factors 0", lambda: _mild_block(0.0, 0.0, 0.0), ZERO_FACTORS_HINT),
    Mistake(
        "fixed transform",
        lambda: _mild_block(rotation=(0.02, 0.02), shift=(0.1, 0.1), zoom=(0.1, 0.1)),
        SINGLE_VALUE_HINT,
    ),
]


def build_augmentation(function) -> CheckResult:
    """Exercise 6.1: ``build_augmentation()`` returns a block of random layers: rotations of at most 15°,
    shifts of at most 15 % and zooms of at most 20 %, that leaves images alone at inference.

        >>> check.build_augmentation(build_augmentation)  # doctest: +SKIP
        ✅ Exercise 6.1: Correct: small random rotations, ...
    """

    def test(function):
        block = _build(function, "augmentation block", seed=61)
        if not callable(block):
            raise Hint(
                f"your function returned a {type(block).__name__}; return a keras.Sequential of random layers."
            )
        layers = leaf_layers(block)
        _inspect_mild_layers(layers)
        images = stroke_images(np.random.default_rng(61), 32)
        _expect_identity_at_inference(block, layers, images)
        first, second = _apply(block, images, True), _apply(block, images, True)
        _expect_random_changes(layers, images, first, second)
        _expect_recognisable(np.concatenate([first, second]), np.concatenate([images, images]))
        praise = (
            "Correct: small random rotations, shifts and zooms in training, the images untouched at "
            "inference, every digit still the same digit."
        )
        if any(getattr(layer, "fill_mode", "constant") != "constant" for layer in layers):
            praise += (
                ' Tip: for MNIST, fill_mode="constant" fills the new border with black background; the '
                'default "reflect" mirrors the image into it and can copy bits of a stroke there.'
            )
        return praise

    return run_check("6.1", function, test)


def _of_kind(layers: list, name: str) -> list:
    import keras

    kind = getattr(keras.layers, name)
    return [layer for layer in layers if isinstance(layer, kind)]


def _inspect_mild_layers(layers: list) -> None:
    """Raise a hint for a flip, a fixed preprocessing layer, a missing kind or a factor too large."""
    flips = _of_kind(layers, "RandomFlip")
    if flips:
        raise Hint(f"your block contains a RandomFlip, {flips[0].name!r}. {FLIP_HINT}")
    fixed = _of_kind(layers, "Rescaling") + _of_kind(layers, "Normalization")
    if fixed:
        raise Hint(
            f"your block contains a {type(fixed[0]).__name__} layer, {fixed[0].name!r}. {FIXED_LAYER_HINT}"
        )
    for name in ("RandomRotation", "RandomTranslation", "RandomZoom"):
        if not _of_kind(layers, name):
            raise Hint(
                f"your block has no {name} layer: use all three, RandomRotation, RandomTranslation and RandomZoom."
            )
    for layer in _of_kind(layers, "RandomRotation"):
        _expect_mild_rotation(_rotation_range(layer))
    for layer in _of_kind(layers, "RandomTranslation"):
        largest = max(abs(float(v)) for v in _translation_range(layer))
        if largest > MAX_SHIFT + 1e-6:
            raise Hint(
                f"your RandomTranslation shifts by up to {largest:.0%} of the image ({largest * SIZE:.1f} pixels); "
                f"stay within {MAX_SHIFT:.0%} (about {MAX_SHIFT * SIZE:.0f} pixels)."
            )
    for layer in _of_kind(layers, "RandomZoom"):
        largest = max(abs(float(v)) for v in _zoom_range(layer))
        if largest > MAX_ZOOM + 1e-6:
            raise Hint(f"your RandomZoom zooms by up to {largest:.0%}; stay within {MAX_ZOOM:.0%}.")
    _expect_ranges_not_single_values(layers)


def _rotation_range(layer) -> tuple[float, float]:
    factor = layer.factor
    if isinstance(factor, (tuple, list)):
        return float(factor[0]), float(factor[1])
    return -abs(float(factor)), abs(float(factor))


def _translation_range(layer) -> tuple[float, ...]:
    return tuple(
        float(v)
        for v in (layer.height_lower, layer.height_upper, layer.width_lower, layer.width_upper)
    )


def _zoom_range(layer) -> tuple[float, ...]:
    values = [layer.height_lower, layer.height_upper]
    if getattr(layer, "width_factor", None) is not None:
        values += [layer.width_lower, layer.width_upper]
    return tuple(float(v) for v in values)


def _expect_mild_rotation(bounds: tuple[float, float]) -> None:
    """Raise a hint when a RandomRotation with these factor bounds turns by more than 15°.

    >>> _expect_mild_rotation((-15 / 180, 15 / 180))
    Traceback (most recent call last):
    ...
    helpers.check.framework.Hint: your RandomRotation turns digits by up to 30°; stay within 15°: a full turn is 360°, so divide the degrees by 360, not by 180: 15° is 15 / 360 ≈ 0.042.
    """
    factor = max(abs(bound) for bound in bounds)
    degrees = factor * 360
    if degrees <= MAX_ROTATION_DEGREES + 1e-6:
        return
    start = f"your RandomRotation turns digits by up to {degrees:.0f}°; stay within {MAX_ROTATION_DEGREES}°"
    half_turns, radians = factor * 180, np.rad2deg(factor)
    if half_turns <= MAX_ROTATION_DEGREES + 1e-6 and abs(half_turns - round(half_turns)) < 1e-6:
        raise Hint(f"{start}: {HALF_TURN_HINT}")
    if radians <= MAX_ROTATION_DEGREES + 1e-4 and abs(radians - round(radians)) < 1e-4:
        raise Hint(
            f"{start}. Your factor, {factor:.4g}, is {round(radians)}° in radians, but {RADIANS_HINT}"
        )
    raise Hint(f"{start}. {ROTATION_LIMIT_HINT}")


def _expect_ranges_not_single_values(layers: list) -> None:
    """Raise a hint for a random layer whose range is a single value other than 0, e.g. (0.02, 0.02)."""
    ranges = {"RandomRotation": _rotation_range, "RandomZoom": _zoom_range}
    ranges["RandomTranslation"] = _translation_range
    for name, bounds_of in ranges.items():
        for layer in _of_kind(layers, name):
            bounds = bounds_of(layer)
            pairs = list(zip(bounds[::2], bounds[1::2]))
            single = [pair for pair in pairs if pair[0] == pair[1] and pair[0] != 0]
            if single:
                shown = ", ".join(f"({low:g}, {high:g})" for low, high in single)
                raise Hint(
                    f"your {name}, {layer.name!r}, has the range {shown}, a single value: it "
                    f"{SINGLE_VALUE_HINT}"
                )


def _expect_identity_at_inference(block, layers: list, images: np.ndarray) -> None:
    at_inference = _apply(block, images, training=False)
    if np.allclose(at_inference, images, atol=1e-5):
        return
    culprit = _first_layer_changing(layers, images)
    which = f" (the first layer that does is {culprit.name!r})" if culprit is not None else ""
    raise Hint(f"with training=False your block changed the images{which}. {INFERENCE_HINT}")


def _first_layer_changing(layers: list, images: np.ndarray):
    """The first of ``layers`` that changes its input with training=False, running them in turn."""
    import keras

    current = images
    for layer in layers:
        try:
            output = np.asarray(keras.ops.convert_to_numpy(layer(current, training=False)))
        except Exception:
            return None
        if output.shape == current.shape and not np.allclose(output, current, atol=1e-5):
            return layer
        current = output
    return None


def _all_factors_zero(layers: list) -> bool:
    bounds = [b for layer in _of_kind(layers, "RandomRotation") for b in _rotation_range(layer)]
    bounds += [
        b for layer in _of_kind(layers, "RandomTranslation") for b in _translation_range(layer)
    ]
    bounds += [b for layer in _of_kind(layers, "RandomZoom") for b in _zoom_range(layer)]
    return all(bound == 0 for bound in bounds)


def _expect_random_changes(layers, images, first: np.ndarray, second: np.ndarray) -> None:
    changed = np.abs(first - images).max(axis=(1, 2, 3)) > 1e-3
    if changed.mean() < 0.5:
        start = f"with training=True your block changed only {changed.sum()} of {plural(len(images), 'image')}"
        if _all_factors_zero(layers):
            raise Hint(f"{start}: {ZERO_FACTORS_HINT}")
        raise Hint(f"{start}; an augmentation should change most of them, every time.")
    if np.allclose(first, second, atol=1e-5):
        raise Hint(
            "two calls with training=True gave exactly the same images: an augmentation should draw new random "
            "changes on every call. Give each layer a range, e.g. RandomRotation(0.03), not a fixed value."
        )


def _expect_recognisable(outputs: np.ndarray, originals: np.ndarray) -> None:
    moved = np.linalg.norm(_centre_of_mass(outputs) - _centre_of_mass(originals), axis=1).max()
    if moved > MAX_SHIFT * SIZE * np.sqrt(2) + 1.5:
        raise Hint(
            f"some digits moved by {moved:.1f} pixels: too far for a mild augmentation. "
            "Shift by at most 15 % of the image."
        )
    ink_ratio = outputs.sum(axis=(1, 2, 3)) / originals.sum(axis=(1, 2, 3))
    if ink_ratio.min() < 0.5 or ink_ratio.max() > 2.0:
        raise Hint(
            f"the amount of ink changed by a factor between {ink_ratio.min():.2f} and {ink_ratio.max():.2f}: "
            "parts of the digits are lost or new strokes appear. Keep the changes small."
        )


# --- 6.2 ------------------------------------------------------------------------------------------

KEEPS_DIGITS_HINT = (
    "a good, mild augmentation, not a harmful one. Find one that can turn a digit into another: "
    "think of a 6 upside down, or a 2 in a mirror."
)
MODERATE_TURN_HINT = (
    "strong, but a digit still reads as itself. Go further: turned by 180°, a 6 becomes a 9; or "
    "mirror the images."
)
PIXEL_VALUES_HINT = (
    "changes only the brightness or contrast of the pixels (some images may come out saturated or "
    "flat), so every stroke stays where it was. Such changes don't count here: find one that changes "
    "how the digit lies, so that it can read as another, like a 6 upside down or a 2 in a mirror."
)
BLANK_HINT = (
    "are blank or flat (every pixel about the same value): they show no digit at all, so they can't "
    "be mistaken for another one, and they teach the network nothing. Keep the strokes and change how "
    "they lie: think of a 6 upside down, or a 2 in a mirror."
)
DESTROYED_HINT = (
    "no longer look like their digit in any orientation: the digit is lost (zoomed, shifted or "
    "scrambled beyond recognition) rather than turned into another one. Keep the whole digit in the "
    "picture and change how it lies: think of a 6 upside down, or a 2 in a mirror."
)
UNCHANGED_HINT = "it can't hurt, but it can't teach anything either. Make one that changes what a digit looks like."
HARMFUL_SHARE = 4  # label-changing outputs, of the 96 the check looks at, needed to pass
RECOGNISABLE = (
    0.8  # similarity to the digit's best-matching mirror or turn: below it, the digit is lost
)


def _single_layer(name: str, *args, **kwargs):
    """``keras.layers.<name>(*args, **kwargs)``, made only when the table's entry is used."""
    import keras

    return getattr(keras.layers, name)(*args, **kwargs)


def _flat_output(value: float):
    import keras

    return keras.layers.Lambda(lambda x: x * 0 + value)


HARMFUL_AUGMENTATION_MISTAKES: list[Mistake] = [
    Mistake("mild augmentation", lambda: _mild_block(), KEEPS_DIGITS_HINT),
    Mistake(
        "moderate rotation",
        lambda: _single_layer("RandomRotation", 0.1, fill_mode="constant"),
        MODERATE_TURN_HINT,
    ),
    Mistake("contrast", lambda: _single_layer("RandomContrast", 0.5), PIXEL_VALUES_HINT),
    Mistake(
        "contrast to saturation", lambda: _single_layer("RandomContrast", 1.0), PIXEL_VALUES_HINT
    ),
    Mistake(
        "brightness to saturation",
        lambda: _single_layer("RandomBrightness", 1.0, value_range=(0, 1)),
        PIXEL_VALUES_HINT,
    ),
    Mistake("zeros", lambda: _flat_output(0.0), BLANK_HINT),
    Mistake("constant", lambda: _flat_output(0.5), BLANK_HINT),
    Mistake(
        "huge zoom in",
        lambda: _single_layer("RandomZoom", (-0.9, -0.9), fill_mode="constant"),
        DESTROYED_HINT,
    ),
    Mistake(
        "huge zoom out",
        lambda: _single_layer("RandomZoom", (0.9, 0.9), fill_mode="constant"),
        DESTROYED_HINT,
    ),
    Mistake(
        "huge shift",
        lambda: _single_layer("RandomTranslation", 0.9, 0.9, fill_mode="constant"),
        DESTROYED_HINT,
    ),
    Mistake("heavy noise", lambda: _single_layer("GaussianNoise", 1.0), DESTROYED_HINT),
    Mistake("identity", lambda: _single_layer("Identity"), UNCHANGED_HINT),
]


def harmful_augmentation(function) -> CheckResult:
    """Exercise 6.2: ``harmful_augmentation()`` returns a random layer whose changes can turn a digit into
    another one (or into no digit): flips, or rotations of 90° and more. Blank, flat or unrecognisable
    outputs, and changes of brightness or contrast, don't count.

        >>> check.harmful_augmentation(lambda: keras.layers.RandomFlip("horizontal"))  # doctest: +SKIP
        ✅ Exercise 6.2: Correct: your layer mirrors digits or turns them ...
    """

    def test(function):
        block = _build(function, "layer", seed=62)
        if not callable(block):
            raise Hint(
                f"your function returned a {type(block).__name__}; return a Keras layer (or a keras.Sequential)."
            )
        images = stroke_images(np.random.default_rng(62), 24)
        outputs = np.concatenate([_apply(block, images, training=True) for _ in range(4)])
        inputs = np.concatenate([images] * 4)
        matrices = [_orientation_matrix(image[..., 0]) for image in images]
        verdicts = [
            _what_became_of(output[..., 0], original[..., 0], matrices[index % len(images)])
            for index, (original, output) in enumerate(zip(inputs, outputs))
        ]
        _explain_harmless(verdicts)
        return (
            "Correct: your layer mirrors digits or turns them by about 90° or more, often enough to matter. Trained on "
            "such images with their original labels, a network learns that a 9-shape may be a 6: the augmentation "
            "destroys exactly the differences it must learn."
        )

    return run_check("6.2", function, test)


def _what_became_of(
    output: np.ndarray, original: np.ndarray, matrix: np.ndarray
) -> tuple[str, int]:
    """("unchanged" | "flat" | "pixel values" | "lost" | "label changed" | "same digit", degrees turned).

    >>> image = stroke_images(np.random.default_rng(1), 1)[0, ..., 0]
    >>> matrix = _orientation_matrix(image)
    >>> [_what_became_of(change, image, matrix)[0] for change in (image, np.fliplr(image), image * 0, image / 2)]
    ['unchanged', 'label changed', 'flat', 'pixel values']
    """
    if np.abs(output - original).max() <= 1e-3:
        return "unchanged", 0
    if output.max() - output.min() < 0.1:
        return "flat", 0
    if _is_pixelwise(output, original):
        return "pixel values", 0
    similarities = matrix @ _centred_unit(output)
    best = int(np.argmax(similarities))
    mirrored, degrees = ORIENTATIONS[best]
    if similarities[best] < RECOGNISABLE:
        return "lost", 0
    turned = 0 if mirrored else abs(degrees)
    clearly = similarities[best] > similarities[UNTOUCHED] + 0.05
    if _is_label_changing(mirrored, degrees) and clearly:
        return "label changed", turned
    return "same digit", turned


def _is_pixelwise(output: np.ndarray, original: np.ndarray, tolerance: float = 1e-3) -> bool:
    """Whether ``output`` is a monotonic function of each pixel's value in ``original``, the same for
    every pixel: a change of brightness or contrast (clipped or not), not of where the ink is.

    >>> image = np.array([[0.0, 0.5], [1.0, 0.0]])
    >>> _is_pixelwise(np.clip(image * 3 - 1, 0, 1), image), _is_pixelwise(image.T, image)
    (True, False)
    """
    order = np.argsort(original.ravel(), kind="stable")
    steps = np.diff(output.ravel()[order])
    ties = np.diff(original.ravel()[order]) == 0
    if np.abs(steps[ties]).max(initial=0) > tolerance:
        return False
    return bool(steps.min(initial=0) >= -tolerance or steps.max(initial=0) <= tolerance)


def _explain_harmless(verdicts: list[tuple[str, int]]) -> None:
    """Raise the hint that fits what the layer did to the images, unless enough became another digit."""
    kinds = Counter(kind for kind, _ in verdicts)
    if kinds["label changed"] >= HARMFUL_SHARE:
        return
    total = len(verdicts)
    changed = total - kinds["unchanged"]
    if changed == 0:
        raise Hint(
            f"in training mode (training=True) your layer never changed an image: {UNCHANGED_HINT}"
        )
    if kinds["pixel values"] and kinds["pixel values"] + kinds["flat"] == changed:
        raise Hint(f"your layer {PIXEL_VALUES_HINT}")
    share = f"{kinds['flat']} of the {plural(total, 'image')} your layer returned"
    if kinds["flat"] > changed / 2:
        raise Hint(f"{share} {BLANK_HINT}")
    if kinds["lost"] + kinds["flat"] > changed / 2:
        lost = kinds["lost"] + kinds["flat"]
        raise Hint(f"{lost} of the {plural(total, 'image')} your layer returned {DESTROYED_HINT}")
    largest_turn = max(turned for _, turned in verdicts)
    if largest_turn >= 30:
        raise Hint(f"your layer turns digits by up to about {largest_turn}°: {MODERATE_TURN_HINT}")
    raise Hint(f"your layer's changes keep every digit what it is: that is {KEEPS_DIGITS_HINT}")


# --- 6.3 ------------------------------------------------------------------------------------------

LOG_NAMES = ("loss", "accuracy", "val_loss", "val_accuracy")
BEST_EPOCH = 6  # the simulated run's validation metrics are best after epoch BEST_EPOCH + 1
TRAINING_METRIC_HINT = (
    "measured on the TRAINING images. It keeps improving while the model overfits, so it would hardly "
    'ever stop training. Monitor the validation loss, monitor="val_loss" (or "val_accuracy").'
)
OLD_NAME_HINT = "('val_acc' and 'acc' were the names in old Keras versions)"
LOSS_MODE_HINT = (
    'a loss gets better as it goes DOWN, so mode="max" takes every rise of the loss for progress. '
    'Use mode="min", or leave the default mode="auto".'
)
ACCURACY_MODE_HINT = (
    'an accuracy gets better as it goes UP, so mode="min" takes every fall for progress. Use '
    'mode="max", or leave the default mode="auto".'
)
PATIENCE_TOO_SHORT_HINT = (
    "stops training at the first epoch without a new best, and validation metrics wobble from epoch "
    "to epoch. Give it a few epochs: patience between 2 and 10."
)
PATIENCE_TOO_LONG_HINT = "before it stops: most of them wasted. Use a patience between 2 and 10."
RESTORE_HINT = "with restore_best_weights=False (the default), training stops with the weights of the LAST epoch"
# What a setting other than its default does in the simulated run, by setting.
SETTING_EFFECTS = {
    "start_from_epoch": "start_from_epoch={} makes the callback ignore the epochs before it, the best one among them",
    "min_delta": "min_delta={} counts only improvements larger than that as a new best",
    "baseline": "baseline={} makes the callback stop unless the metric beats that value within `patience` epochs",
}


def _stopping(**settings):
    """A keras.callbacks.EarlyStopping, made only when the table's entry is used."""
    import keras

    return keras.callbacks.EarlyStopping(**settings)


_GOOD = {"monitor": "val_loss", "patience": 4, "restore_best_weights": True}

EARLY_STOPPING_MISTAKES: list[Mistake] = [
    Mistake(
        "default patience",
        lambda: _stopping(monitor="val_loss", restore_best_weights=True),
        PATIENCE_TOO_SHORT_HINT,
    ),
    Mistake("patience 1", lambda: _stopping(**{**_GOOD, "patience": 1}), PATIENCE_TOO_SHORT_HINT),
    Mistake("patience 25", lambda: _stopping(**{**_GOOD, "patience": 25}), PATIENCE_TOO_LONG_HINT),
    Mistake(
        "training loss", lambda: _stopping(**{**_GOOD, "monitor": "loss"}), TRAINING_METRIC_HINT
    ),
    Mistake(
        "training accuracy",
        lambda: _stopping(**{**_GOOD, "monitor": "accuracy"}),
        TRAINING_METRIC_HINT,
    ),
    Mistake("loss maximized", lambda: _stopping(**_GOOD, mode="max"), LOSS_MODE_HINT),
    Mistake(
        "accuracy minimized",
        lambda: _stopping(**{**_GOOD, "monitor": "val_accuracy"}, mode="min"),
        ACCURACY_MODE_HINT,
    ),
    Mistake(
        "no restore",
        lambda: _stopping(monitor="val_loss", patience=4),
        RESTORE_HINT,
    ),
    Mistake("old metric name", lambda: _stopping(**{**_GOOD, "monitor": "val_acc"}), OLD_NAME_HINT),
    Mistake(
        "invented metric name",
        lambda: _stopping(**{**_GOOD, "monitor": "validation_loss"}),
        "Keras logs no metric called 'validation_loss'",
    ),
    Mistake(
        "late start",
        lambda: _stopping(**_GOOD, start_from_epoch=12),
        SETTING_EFFECTS["start_from_epoch"].format(12),
    ),
    Mistake(
        "huge min_delta",
        lambda: _stopping(**_GOOD, min_delta=0.5),
        SETTING_EFFECTS["min_delta"].format(0.5),
    ),
    Mistake(
        "baseline",
        lambda: _stopping(**_GOOD, baseline=0.05),
        SETTING_EFFECTS["baseline"].format(0.05),
    ),
]


def simulated_logs(epochs: int = 30, best: int = BEST_EPOCH) -> list[dict]:
    """Per-epoch logs of an overfitting run: training metrics keep improving, validation ones peak at ``best``.

    >>> min(range(30), key=lambda e: simulated_logs()[e]["val_loss"])
    6
    """
    rng = np.random.default_rng(63)
    logs = []
    for epoch in range(epochs):
        loss = 0.9 * np.exp(-epoch / 5) + 0.01
        if epoch <= best:
            val_loss = 0.12 + 0.5 * (best - epoch) / best
        else:  # worse again, with small ups and downs that never beat the best
            val_loss = 0.12 + 0.004 * (epoch - best) + rng.uniform(0.001, 0.006)
        logs.append(
            {
                "loss": loss,
                "accuracy": 1 - loss / 2,
                "val_loss": val_loss,
                "val_accuracy": 1 - val_loss / 4,
            }
        )
    return logs


def _marker_model():
    """A compiled two-weight model whose weights can mark the epoch they belong to."""
    import keras

    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.evaluate(
        np.zeros((2, 2), np.float32), np.zeros(2), verbose=0
    )  # builds the metrics the callback looks up
    return model


def _simulate(callback, logs: list[dict]) -> tuple[int, int | None]:
    """Drive ``callback`` through ``logs`` like fit would; return (epochs run, epoch whose weights remain)."""
    model = _marker_model()
    callback.set_model(model)
    callback.on_train_begin()
    epochs_run = 0
    for epoch, epoch_logs in enumerate(logs):
        model.set_weights([np.full((2, 2), float(epoch), np.float32), np.zeros(2, np.float32)])
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, dict(epoch_logs))
        epochs_run = epoch + 1
        if model.stop_training:
            break
    callback.on_train_end()
    return epochs_run, int(round(float(model.get_weights()[0][0, 0])))


def early_stopping(function) -> CheckResult:
    """Exercise 6.3: ``early_stopping()`` returns ``keras.callbacks.EarlyStopping`` watching a validation
    metric in the right direction, with a patience of 2 to 10 epochs and ``restore_best_weights=True``.

        >>> check.early_stopping(lambda: keras.callbacks.EarlyStopping(patience=3))  # doctest: +SKIP
        ❌ Exercise 6.3: with restore_best_weights=False (the default), ...
    """

    def test(function):
        import keras

        callback = _build(function, "callback", seed=63)
        if not isinstance(callback, keras.callbacks.EarlyStopping):
            raise Hint(
                f"your function returned a {type(callback).__name__}; return a keras.callbacks.EarlyStopping(...)."
            )
        _expect_validation_metric(callback.monitor)
        _expect_direction(callback.monitor, callback.mode)
        _expect_patience(callback.patience)
        if not callback.restore_best_weights:
            raise Hint(
                f"{RESTORE_HINT}, {plural(callback.patience, 'epoch')} after the best one and worse than "
                "it. Set restore_best_weights=True."
            )
        epochs_run, kept = _simulate(callback, simulated_logs())
        _explain_simulated_run(callback, epochs_run, kept)
        return (
            f"Correct: it watches {callback.monitor}, waits {callback.patience} epochs for a new best, then stops and puts "
            f"back the best weights. In a simulated overfitting run it stopped after epoch {epochs_run} and "
            f"restored epoch {kept + 1}."
        )

    return run_check("6.3", function, test)


def _expect_validation_metric(monitor) -> None:
    if monitor not in LOG_NAMES:
        older = f" {OLD_NAME_HINT}" if monitor in ("val_acc", "acc") else ""
        raise Hint(
            f'Keras logs no metric called {monitor!r}{older}. With metrics=["accuracy"], fit logs '
            f"{', '.join(LOG_NAMES)}: monitor one of the val_ ones."
        )
    if not monitor.startswith("val_"):
        raise Hint(f"your callback monitors {monitor!r}, {TRAINING_METRIC_HINT}")


def _expect_direction(monitor: str, mode: str) -> None:
    if monitor == "val_loss" and mode == "max":
        raise Hint(f'your callback maximizes val_loss (mode="max"), but {LOSS_MODE_HINT}')
    if monitor == "val_accuracy" and mode == "min":
        raise Hint(f'your callback minimizes val_accuracy (mode="min"), but {ACCURACY_MODE_HINT}')


def _expect_patience(patience) -> None:
    if patience < 2:
        raise Hint(f"patience={patience} {PATIENCE_TOO_SHORT_HINT}")
    if patience > 10:
        raise Hint(
            f"patience={patience} waits {plural(patience, 'epoch')} after the best one "
            f"{PATIENCE_TOO_LONG_HINT}"
        )


def _changed_settings(callback) -> list[str]:
    """What each setting of ``callback`` that is not at its default does, as sentences."""
    defaults = {"start_from_epoch": 0, "min_delta": 0, "baseline": None}
    effects = []
    for name, default in defaults.items():
        value = getattr(callback, name, default)
        if name == "min_delta":
            value = abs(value)
        if value != default:
            effects.append(SETTING_EFFECTS[name].format(f"{value:g}"))
    return effects


def _explain_simulated_run(callback, epochs_run: int, kept: int) -> None:
    expected_stop = BEST_EPOCH + 1 + callback.patience
    if kept == BEST_EPOCH and epochs_run == expected_stop:
        return
    start = f"in a simulated run whose {callback.monitor} was best after epoch {BEST_EPOCH + 1}"
    what = f"your callback stopped after epoch {epochs_run} (best + patience is {expected_stop})"
    if kept != BEST_EPOCH:
        what += f" and left the model with the weights of epoch {kept + 1}"
    effects = _changed_settings(callback)
    if effects:
        leave = "Leave it at its default" if len(effects) == 1 else "Leave them at their defaults"
        raise Hint(f"{start}, {what}: {'; '.join(effects)}. {leave}.")
    raise Hint(
        f"{start}, {what}, instead of stopping after epoch {expected_stop} with the weights of epoch "
        f"{BEST_EPOCH + 1}."
    )


# --- 6.4 ------------------------------------------------------------------------------------------

TTA_CASES = ((7, 5, 4), (3, 3, 1))  # (images, classes, rounds)
IMAGE_SHAPE = (8, 8)

TRAINING_MODEL_HINT = (
    "you called the model with training=True. Its Dropout layer then drops units at random and its "
    "BatchNormalization uses each batch's own statistics, so its predictions change from call to call. "
    "Predict with model.predict(x, verbose=0) (or model(x, training=False)): only the augmentation "
    "runs in training mode."
)
NEVER_AUGMENTED_HINT = (
    "your function never called `augmentation`: call it on the images to make each copy, "
    "augmentation(images, training=True)."
)
INFERENCE_AUGMENTATION_HINT = (
    "you called `augmentation` without training=True. Outside training its random layers pass the "
    'images through unchanged, so every "copy" is the original and no augmentation happened. Call '
    "augmentation(images, training=True)."
)
CHAINED_HINT = (
    "you augmented an augmented copy again: the copies drift further and further from the image. "
    "Make every copy from the originals: augmentation(images, training=True)."
)
NOT_ORIGINALS_HINT = (
    "`augmentation` was given images that are not the ones your function received (changed or "
    "rescaled?). Make every copy from the original images: augmentation(images, training=True)."
)
COPY_COUNT_HINT = (
    "make exactly `rounds` of them, each a fresh augmentation(images, training=True) of the "
    "originals, and add the prediction on the original images as one more."
)
NO_ORIGINAL_HINT = (
    "you averaged the augmented copies only: include the model's prediction on the original images "
    "too (rounds + 1 predictions per image)."
)
SUM_HINT = (
    "you added the predictions up: divide by the number of predictions, rounds + 1, so that each row "
    "stays a set of probabilities that adds up to 1."
)
DIVIDE_BY_ROUNDS_HINT = (
    "you divided the sum of the predictions by rounds, but there are rounds + 1 of them (the original "
    "and the copies): divide by rounds + 1, or use np.mean."
)
RETURNS_CLASSES_HINT = (
    "you returned the argmax of the averaged probabilities, one class per image. Return the averaged "
    "probabilities themselves, one row per image: whoever calls your function can still take the argmax."
)
LABELS_AVERAGED_HINT = (
    "you averaged class labels (the argmax of each prediction): the average of a 3 and a 5 is 4, "
    "another digit entirely. Average the probabilities, and return them."
)
VOTES_HINT = (
    "you averaged votes (one-hot labels from an argmax per copy). Average the probabilities "
    "themselves: they keep how sure the model is about each copy."
)
WRONG_AXIS_HINT = (
    "you averaged over the wrong axis: stacked, the predictions have shape (rounds + 1, images, "
    "classes), and the average must run over the copies, axis=0, to leave one row of probabilities "
    "per image."
)
ALL_PREDICTIONS_HINT = (
    "you returned all rounds + 1 predictions instead of their average: average them over the copies, "
    "np.mean(predictions, axis=0), to get one row of probabilities per image."
)
COPIES_UNUSED_HINT = (
    "your result equals the model's prediction on the original images alone, although you made the "
    "copies: predict on each augmented copy, not on `images` again."
)
GEOMETRIC_HINT = (
    "you took the geometric mean of the predictions (the exponential of the average log-probability). "
    "It is a reasonable way to combine predictions, but this exercise asks for their plain average, "
    "np.mean(predictions, axis=0): the numbers differ, even where the argmax agrees."
)
SOFTMAX_AGAIN_HINT = (
    "you applied softmax to the averaged probabilities, which flattens them towards equal values. The "
    "model's outputs are probabilities already: just average them."
)


class FakeAugmentation:
    """Stands in for an augmentation block: in training mode it adds noise, otherwise it passes the
    images through. The noise of an image's k-th augmented copy depends only on that image and k, so
    the check makes the same copies again however the calls are batched; it remembers every call.

        >>> augmentation = FakeAugmentation(seed=0)
        >>> images = np.ones((2, 8, 8), np.float32)
        >>> bool((augmentation(images) == images).all()), bool((augmentation(images, training=True) == images).all())
        (True, False)
    """

    def __init__(self, seed: int, image_shape: tuple = IMAGE_SHAPE):
        self.seed = seed
        self.pixels = int(np.prod(image_shape))
        self.copies_made: Counter = Counter()  # image bytes -> augmented copies made of it
        self.made: set[bytes] = set()  # every augmented copy made, as bytes
        self.calls: list[tuple[bool, list[bytes]]] = []  # (training, the images it was given)

    def __call__(self, images, training=False):
        x = np.array(images, dtype=np.float32)
        rows = x.reshape(-1, self.pixels) if x.size % self.pixels == 0 else x.reshape(1, -1)
        keys = [row.tobytes() for row in rows]
        self.calls.append((bool(training), keys))
        if not training:
            return x.copy()
        out = np.stack([self._copy(row, key) for row, key in zip(rows, keys)])
        return out.reshape(x.shape)

    def _copy(self, row: np.ndarray, key: bytes) -> np.ndarray:
        number = self.copies_made[key]
        self.copies_made[key] += 1
        rng = np.random.default_rng([self.seed, zlib.crc32(key), number])
        copy = (row + rng.normal(0, 0.6, row.shape)).astype(np.float32)
        self.made.add(copy.tobytes())
        return copy


class _Flags:
    """The ``training`` flags a model's calls received (a plain holder Keras does not track)."""

    def __init__(self):
        self.seen: list = []


@lru_cache(maxsize=1)
def _mode_recorder_class():
    import keras

    class ModeRecorder(keras.layers.Layer):
        """Passes its input through and remembers the ``training`` flag of every call."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.flags = _Flags()

        def call(self, inputs, training=False):
            self.flags.seen.append(training)
            return inputs

    return ModeRecorder


def tiny_model(num_classes: int, seed: int):
    """A fixed, untrained classifier of 8 x 8 "images", with Dropout and BatchNormalization, so that
    its predictions in training mode differ from ``model.predict``'s: ``tiny_model(5, seed=0)``."""
    import keras

    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input(shape=IMAGE_SHAPE),
            layers.Flatten(),
            layers.Dense(16),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Dropout(0.5),
            _mode_recorder_class()(name="mode_recorder"),
            layers.Dense(num_classes, activation="softmax"),
        ]
    )
    rng = np.random.default_rng(seed)
    pixels = int(np.prod(IMAGE_SHAPE))
    model.set_weights(
        [
            rng.normal(0, 0.4, (pixels, 16)),
            rng.normal(0, 0.2, 16),
            rng.uniform(0.5, 1.5, 16),  # gamma
            rng.normal(0, 0.3, 16),  # beta
            rng.normal(0, 0.5, 16),  # moving mean
            rng.uniform(0.5, 2.0, 16),  # moving variance
            rng.normal(0, 0.6, (16, num_classes)),
            rng.normal(0, 0.2, num_classes),
        ]
    )
    return model


def _training_flags(model) -> list:
    return model.get_layer("mode_recorder").flags.seen


def _probabilities(model, images) -> np.ndarray:
    import keras

    return np.asarray(keras.ops.convert_to_numpy(model(images, training=False)), dtype=np.float64)


def reference_tta(model, images: np.ndarray, augmentation, rounds: int) -> np.ndarray:
    """The right answer: the model's probabilities averaged over the images and ``rounds`` copies."""
    predictions = [_probabilities(model, images)]
    predictions += [
        _probabilities(model, augmentation(images, training=True)) for _ in range(rounds)
    ]
    return np.mean(predictions, axis=0)


def _tta_predictions(
    model, images, augmentation, rounds, original=True, copies=None, training=True
):
    """The predictions a TTA answer averages; ``copies`` (default ``rounds``) augmented ones."""
    predictions = [model.predict(images, verbose=0)] if original else []
    for _ in range(rounds if copies is None else copies):
        predictions.append(model.predict(augmentation(images, training=training), verbose=0))
    return predictions


def _in_training_mode(model, images, augmentation, rounds):
    import keras

    predictions = [model(images, training=True)]
    for _ in range(rounds):
        predictions.append(model(augmentation(images, training=True), training=True))
    return np.mean([keras.ops.convert_to_numpy(p) for p in predictions], axis=0)


def _chained(model, images, augmentation, rounds):
    predictions, current = [model.predict(images, verbose=0)], images
    for _ in range(rounds):
        current = augmentation(current, training=True)
        predictions.append(model.predict(current, verbose=0))
    return np.mean(predictions, axis=0)


def _one_copy_reused(model, images, augmentation, rounds):
    copies = augmentation(images, training=True)
    predictions = [model.predict(images, verbose=0)]
    predictions += [model.predict(copies, verbose=0) for _ in range(rounds)]
    return np.mean(predictions, axis=0)


def _copies_unused(model, images, augmentation, rounds):
    predictions = [model.predict(images, verbose=0)]
    for _ in range(rounds):
        augmentation(images, training=True)
        predictions.append(model.predict(images, verbose=0))
    return np.mean(predictions, axis=0)


def _geometric_mean(model, images, augmentation, rounds):
    logs = np.log(np.maximum(_tta_predictions(model, images, augmentation, rounds), 1e-12))
    mean = np.exp(logs.mean(axis=0))
    return mean / mean.sum(axis=1, keepdims=True)


def _softmax_again(model, images, augmentation, rounds):
    mean = np.mean(_tta_predictions(model, images, augmentation, rounds), axis=0)
    return np.exp(mean) / np.exp(mean).sum(axis=1, keepdims=True)


def _one_hot_votes(model, images, augmentation, rounds):
    predictions = _tta_predictions(model, images, augmentation, rounds)
    return np.mean([np.eye(p.shape[1])[p.argmax(axis=1)] for p in predictions], axis=0)


# Every entry is a student's predict_with_tta. The check sees the first seven by watching how the
# model and the augmentation were called; it recognises the others by their result.
TTA_MISTAKES: list[Mistake] = [
    Mistake("model in training mode", _in_training_mode, TRAINING_MODEL_HINT),
    Mistake("no augmentation", lambda m, x, a, r: m.predict(x, verbose=0), NEVER_AUGMENTED_HINT),
    Mistake(
        "augmentation in inference mode",
        lambda m, x, a, r: np.mean(_tta_predictions(m, x, a, r, training=False), axis=0),
        INFERENCE_AUGMENTATION_HINT,
    ),
    Mistake("chained copies", _chained, CHAINED_HINT),
    Mistake(
        "one copy too many",
        lambda m, x, a, r: np.mean(_tta_predictions(m, x, a, r, copies=r + 1), axis=0),
        COPY_COUNT_HINT,
    ),
    Mistake(
        "one copy too few",
        lambda m, x, a, r: np.mean(_tta_predictions(m, x, a, r, copies=r - 1), axis=0),
        COPY_COUNT_HINT,
    ),
    Mistake("one copy reused", _one_copy_reused, COPY_COUNT_HINT),
    Mistake(
        "no original",
        lambda m, x, a, r: np.mean(_tta_predictions(m, x, a, r, original=False), axis=0),
        NO_ORIGINAL_HINT,
    ),
    Mistake("sum", lambda m, x, a, r: np.sum(_tta_predictions(m, x, a, r), axis=0), SUM_HINT),
    Mistake(
        "divided by rounds",
        lambda m, x, a, r: np.sum(_tta_predictions(m, x, a, r), axis=0) / r,
        DIVIDE_BY_ROUNDS_HINT,
    ),
    Mistake(
        "argmax returned",
        lambda m, x, a, r: np.mean(_tta_predictions(m, x, a, r), axis=0).argmax(axis=1),
        RETURNS_CLASSES_HINT,
    ),
    Mistake(
        "labels averaged",
        lambda m, x, a, r: np.mean(
            [p.argmax(axis=1) for p in _tta_predictions(m, x, a, r)], axis=0
        ),
        LABELS_AVERAGED_HINT,
    ),
    Mistake("one-hot votes", _one_hot_votes, VOTES_HINT),
    Mistake(
        "wrong axis",
        lambda m, x, a, r: np.mean(_tta_predictions(m, x, a, r), axis=1),
        WRONG_AXIS_HINT,
    ),
    Mistake(
        "all predictions",
        lambda m, x, a, r: np.array(_tta_predictions(m, x, a, r)),
        ALL_PREDICTIONS_HINT,
    ),
    Mistake("copies unused", _copies_unused, COPIES_UNUSED_HINT),
    Mistake("geometric mean", _geometric_mean, GEOMETRIC_HINT),
    Mistake("softmax again", _softmax_again, SOFTMAX_AGAIN_HINT),
]
_OBSERVED_TTA_MISTAKES = (
    7  # the first entries, recognised by how the function calls the model and augmentation
)


def predict_with_tta(function) -> CheckResult:
    """Exercise 6.4: ``predict_with_tta(model, images, augmentation, rounds)`` averages the model's
    probabilities (in inference mode) over the original images and ``rounds`` augmented copies.

        >>> check.predict_with_tta(predict_with_tta)  # doctest: +SKIP
        ✅ Exercise 6.4: Correct: the average of the model's probabilities ...
    """

    def test(function):
        if not callable(function):
            raise Hint(
                f"expected a function, got {type(function).__name__}. Did you overwrite its name?"
            )
        for number, (count, num_classes, rounds) in enumerate(TTA_CASES):
            _compare_tta(function, count, num_classes, rounds, seed=640 + number)
        return (
            "Correct: the average of the model's probabilities over each original image and its augmented "
            "copies, still one row of probabilities per image."
        )

    return run_check("6.4", function, test)


def _close(answer, expected) -> bool:
    try:
        answer, expected = (
            np.asarray(answer, dtype=np.float64),
            np.asarray(expected, dtype=np.float64),
        )
    except (TypeError, ValueError):
        return False
    return answer.shape == expected.shape and bool(
        np.allclose(answer, expected, rtol=1e-4, atol=1e-5)
    )


class _EagerModel:
    """``model`` for replaying known mistakes quickly: ``predict`` runs it eagerly, in inference mode."""

    def __init__(self, model):
        self.model = model

    def predict(self, images, verbose=0):
        return _probabilities(self.model, np.asarray(images, dtype=np.float32)).astype(np.float32)


def _compare_tta(function, count: int, num_classes: int, rounds: int, seed: int) -> None:
    import keras

    images = np.random.default_rng(seed).uniform(0, 1, (count, *IMAGE_SHAPE)).astype(np.float32)
    model, augmentation = tiny_model(num_classes, seed), FakeAugmentation(seed)
    case = f"for {plural(count, 'image')}, {plural(num_classes, 'class', 'classes')} and rounds={rounds}"
    keras.utils.set_random_seed(seed)
    try:
        answer = function(model, images.copy(), augmentation, rounds)
    except (NotImplementedError, Hint):
        raise
    except Exception as error:
        raise Hint(f"{case}, calling your function raised {describe_error(error)}") from None
    if answer is None:
        raise Hint(
            "your function returned None: did it forget to `return` the averaged probabilities?"
        )
    result = probabilities_array(answer, case)
    reference = tiny_model(num_classes, seed)
    expected = reference_tta(reference, images, FakeAugmentation(seed), rounds)
    if _close(result, expected):
        return
    _explain_calls(model, augmentation, images, rounds, case)
    mistakes = [
        Mistake(
            m.name,
            lambda x, r, m=m: m.implementation(
                _EagerModel(reference), x, FakeAugmentation(seed), r
            ),
            m.hint,
        )
        for m in TTA_MISTAKES[_OBSERVED_TTA_MISTAKES:]
    ]
    mistake = matching_mistake(result, mistakes, (images, rounds), _close)
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    _explain_result(result, expected, case)


def _explain_calls(
    model, augmentation: FakeAugmentation, images: np.ndarray, rounds: int, case: str
) -> None:
    """Raise a hint about how the function used the model and the augmentation, if it used them wrongly."""
    if any(flag is True or (flag is not None and bool(flag)) for flag in _training_flags(model)):
        raise Hint(f"{case}, {TRAINING_MODEL_HINT}")
    if not augmentation.calls:
        raise Hint(f"{case}, {NEVER_AUGMENTED_HINT}")
    trained = [keys for training, keys in augmentation.calls if training]
    if not trained:
        raise Hint(f"{case}, {INFERENCE_AUGMENTATION_HINT}")
    originals = {image.tobytes() for image in images.reshape(len(images), -1)}
    given = {key for keys in trained for key in keys}
    if given - originals:
        chained = (given - originals) & augmentation.made
        raise Hint(f"{case}, {CHAINED_HINT if chained else NOT_ORIGINALS_HINT}")
    made = sorted({augmentation.copies_made[key] for key in originals})
    if made != [rounds]:
        if len(made) == 1:
            shown = plural(made[0], "augmented copy", "augmented copies")
        else:
            shown = f"{' or '.join(map(str, made))} augmented copies"
        raise Hint(f"{case}, your function made {shown} of each image; {COPY_COUNT_HINT}")


def _explain_result(result: np.ndarray, expected: np.ndarray, case: str) -> None:
    """Say how a result no known mistake explains differs from the right one."""
    count, num_classes = expected.shape
    if result.shape == (count,) and np.allclose(result, np.round(result)):
        raise Hint(
            f"{case}, you returned {plural(count, 'whole number')}, one class per image: return the averaged "
            f"probabilities themselves, shape ({count}, {num_classes}); whoever calls your function can still "
            "take the argmax."
        )
    if result.shape != expected.shape:
        raise Hint(
            f"{case}, the result should have shape ({count}, {num_classes}), one row of probabilities per image, "
            f"but it has shape {result.shape}. Average over the copies, not over the images or classes."
        )
    sums = result.sum(axis=1)
    off = np.flatnonzero(~np.isclose(sums, 1, atol=1e-4))
    if off.size:
        raise Hint(
            f"{case}, row {off[0]} of your result adds up to {sums[off[0]]:.4g}, not 1: average the "
            "probability rows of the copies, don't add or rescale them."
        )
    raise Hint(f"{case}, {first_difference(expected, result, 'your averaged probabilities')}")
