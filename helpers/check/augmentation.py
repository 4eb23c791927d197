"""Self-checks for exercise set 06, augmentation and regularization (exercises 6.1 to 6.4).

The checks run the student's layers and callbacks on made-up data: stroke images drawn here
(never MNIST), a simulated training run, a tiny model with fixed weights. Nothing is trained.

    >>> check.build_augmentation(build_augmentation)  # doctest: +SKIP
    ✅ Exercise 6.1: Correct: ...
"""

from __future__ import annotations

import numpy as np

from ..check_results import CheckResult
from .framework import Hint, describe_error, run_check

SIZE = 28
MAX_ROTATION_DEGREES = 15
MAX_SHIFT = 0.15
MAX_ZOOM = 0.20
FACTOR_RANGE_HINT = (
    "Keras accepts factors between -1 and 1 only. RandomRotation's factor is a fraction of a FULL TURN "
    "(15° is 15 / 360 ≈ 0.042), and RandomTranslation's and RandomZoom's factors are fractions of the "
    "image's size (3 pixels is 3 / 28 ≈ 0.11), not degrees or pixels."
)


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


def rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    """``image`` (2-D) turned by ``degrees`` about its centre, bilinear, black outside.

    >>> rotate(np.eye(3), 90).round(3).tolist()[1]
    [0.0, 1.0, 0.0]
    """
    height, width = image.shape
    centre_r, centre_c = (height - 1) / 2, (width - 1) / 2
    rows, cols = np.indices(image.shape, dtype=np.float64)
    angle = np.deg2rad(degrees)
    r, c = rows - centre_r, cols - centre_c
    source_r = np.cos(angle) * r - np.sin(angle) * c + centre_r
    source_c = np.sin(angle) * r + np.cos(angle) * c + centre_c
    r0, c0 = np.floor(source_r).astype(int), np.floor(source_c).astype(int)
    fr, fc = source_r - r0, source_c - c0
    padded = np.pad(image, 1)
    result = np.zeros_like(image, dtype=np.float64)
    for dr, dc, weight in (
        (0, 0, (1 - fr) * (1 - fc)),
        (1, 0, fr * (1 - fc)),
        (0, 1, (1 - fr) * fc),
        (1, 1, fr * fc),
    ):
        inside = (r0 + dr >= 0) & (r0 + dr < height) & (c0 + dc >= 0) & (c0 + dc < width)
        rr, cc = np.clip(r0 + dr + 1, 0, height + 1), np.clip(c0 + dc + 1, 0, width + 1)
        result += np.where(inside, weight * padded[rr, cc], 0)
    return result


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


def _is_label_changing(mirrored: bool, degrees: int) -> bool:
    """Mirrors and turns of 80° or more: what can make a digit another digit, or none."""
    return mirrored or abs(degrees) >= 80


ORIENTATIONS = [(mirrored, int(angle)) for mirrored in (False, True) for angle in ANGLES]


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


def _build(function, what: str):
    """Call the student's builder; Keras's refusal of a factor gets an explanation, not a traceback."""
    if not callable(function):
        raise Hint(
            f"expected a function, got {type(function).__name__}. Did you overwrite its name?"
        )
    try:
        built = function()
    except (NotImplementedError, Hint):
        raise
    except ValueError as error:
        if "[-1" in str(error):
            raise Hint(
                f"Keras refused one of your factors ({error}). {FACTOR_RANGE_HINT}"
            ) from None
        raise Hint(f"calling your function raised {describe_error(error)}") from None
    except Exception as error:
        raise Hint(f"calling your function raised {describe_error(error)}") from None
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
    return built


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


def _leaf_layers(block) -> list:
    """Every layer inside ``block``, looking into nested Sequential and functional models."""
    inner = getattr(block, "layers", None)
    if inner is None:
        return [block]
    return [leaf for layer in inner for leaf in _leaf_layers(layer)]


def _centre_of_mass(images: np.ndarray) -> np.ndarray:
    """(N, 2) row and column of each image's centre of mass."""
    images = images[..., 0]
    mass = np.maximum(images.sum(axis=(1, 2)), 1e-9)
    rows, cols = np.indices(images.shape[1:])
    return np.stack(
        [(images * rows).sum(axis=(1, 2)) / mass, (images * cols).sum(axis=(1, 2)) / mass], axis=1
    )


# --- 6.1 ------------------------------------------------------------------------------------------


def build_augmentation(function) -> CheckResult:
    """Exercise 6.1: ``build_augmentation()`` returns a block of random layers: rotations of at most 15°,
    shifts of at most 15 % and zooms of at most 20 %, that leaves images alone at inference."""

    def test(function):
        import keras

        block = _build(function, "augmentation block")
        if not callable(block):
            raise Hint(
                f"your function returned a {type(block).__name__}; return a keras.Sequential of random layers."
            )
        layers = _leaf_layers(block)
        _inspect_mild_layers(keras, layers)

        rng = np.random.default_rng(61)
        images = stroke_images(rng, 32)
        at_inference = _apply(block, images, training=False)
        if not np.allclose(at_inference, images, atol=1e-5):
            raise Hint(
                "with training=False your block changed the images. At inference augmentation must do nothing: "
                "use only random preprocessing layers (no Rescaling, Normalization or other fixed changes)."
            )
        first = _apply(block, images, training=True)
        changed = np.abs(first - images).max(axis=(1, 2, 3)) > 1e-3
        if changed.mean() < 0.5:
            raise Hint(
                f"with training=True your block changed only {changed.sum()} of {len(images)} images: are all "
                "the factors 0?"
            )
        second = _apply(block, images, training=True)
        if np.allclose(first, second, atol=1e-5):
            raise Hint(
                "two calls with training=True gave exactly the same images: an augmentation should draw new random "
                "changes on every call. Give each layer a range, e.g. RandomRotation(0.03), not a fixed value."
            )
        both = np.concatenate([first, second])
        originals = np.concatenate([images, images])
        moved = np.linalg.norm(_centre_of_mass(both) - _centre_of_mass(originals), axis=1).max()
        if moved > MAX_SHIFT * SIZE * np.sqrt(2) + 1.5:
            raise Hint(
                f"some digits moved by {moved:.1f} pixels: too far for a mild augmentation. "
                "Shift by at most 15 % of the image."
            )
        ink_ratio = both.sum(axis=(1, 2, 3)) / originals.sum(axis=(1, 2, 3))
        if ink_ratio.min() < 0.5 or ink_ratio.max() > 2.0:
            raise Hint(
                f"the amount of ink changed by a factor between {ink_ratio.min():.2f} and {ink_ratio.max():.2f}: "
                "parts of the digits are lost or new strokes appear. Keep the changes small."
            )
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


def _inspect_mild_layers(keras, layers: list) -> None:
    kinds = keras.layers
    if any(isinstance(layer, kinds.RandomFlip) for layer in layers):
        raise Hint(
            "your block contains a RandomFlip. A mirrored digit is no digit (a mirrored 2 is not a 2), and a flip "
            "upside down turns a 6 into a 9: flips change the label. Leave them out."
        )
    rotations = [layer for layer in layers if isinstance(layer, kinds.RandomRotation)]
    shifts = [layer for layer in layers if isinstance(layer, kinds.RandomTranslation)]
    zooms = [layer for layer in layers if isinstance(layer, kinds.RandomZoom)]
    for found, name in (
        (rotations, "RandomRotation"),
        (shifts, "RandomTranslation"),
        (zooms, "RandomZoom"),
    ):
        if not found:
            raise Hint(
                f"your block has no {name} layer: use all three, RandomRotation, RandomTranslation and RandomZoom."
            )
    for layer in rotations:
        factor = (
            layer.factor
            if isinstance(layer.factor, (tuple, list))
            else (-layer.factor, layer.factor)
        )
        degrees = max(abs(float(f)) for f in factor) * 360
        if degrees > MAX_ROTATION_DEGREES + 1e-6:
            raise Hint(
                f"your RandomRotation turns digits by up to {degrees:.0f}°; stay within {MAX_ROTATION_DEGREES}°. "
                "Its factor is a fraction of a full turn: 15° is 15 / 360 ≈ 0.042."
            )
    for layer in shifts:
        largest = max(
            abs(float(v))
            for v in (layer.height_lower, layer.height_upper, layer.width_lower, layer.width_upper)
        )
        if largest > MAX_SHIFT + 1e-6:
            raise Hint(
                f"your RandomTranslation shifts by up to {largest:.0%} of the image ({largest * SIZE:.1f} pixels); "
                f"stay within {MAX_SHIFT:.0%} (about {MAX_SHIFT * SIZE:.0f} pixels)."
            )
    for layer in zooms:
        values = [layer.height_lower, layer.height_upper]
        if getattr(layer, "width_factor", None) is not None:
            values += [layer.width_lower, layer.width_upper]
        largest = max(abs(float(v)) for v in values)
        if largest > MAX_ZOOM + 1e-6:
            raise Hint(f"your RandomZoom zooms by up to {largest:.0%}; stay within {MAX_ZOOM:.0%}.")


# --- 6.2 ------------------------------------------------------------------------------------------


def harmful_augmentation(function) -> CheckResult:
    """Exercise 6.2: ``harmful_augmentation()`` returns a random layer whose changes can turn a digit into
    another one (or into no digit): flips, or rotations of 90° and more."""

    def test(function):
        block = _build(function, "layer")
        if not callable(block):
            raise Hint(
                f"your function returned a {type(block).__name__}; return a Keras layer (or a keras.Sequential)."
            )
        rng = np.random.default_rng(62)
        images = stroke_images(rng, 24)
        outputs = np.concatenate([_apply(block, images, training=True) for _ in range(4)])
        inputs = np.concatenate([images] * 4)
        changed = np.abs(outputs - inputs).max(axis=(1, 2, 3)) > 1e-3
        if not changed.any():
            raise Hint(
                "in training mode (training=True) your layer never changed an image: it can't hurt, but it "
                "can't teach anything either. Make one that changes what a digit looks like."
            )
        matrices = [_orientation_matrix(image[..., 0]) for image in images]
        harmful, largest_turn = 0, 0
        for index, (original, output) in enumerate(zip(inputs, outputs)):
            mirrored, degrees = orientation(
                output[..., 0], original[..., 0], matrices[index % len(images)]
            )
            harmful += _is_label_changing(mirrored, degrees)
            if not mirrored:
                largest_turn = max(largest_turn, abs(degrees))
        if harmful < 4:
            if largest_turn >= 30:
                raise Hint(
                    f"your layer turns digits by up to about {largest_turn}°: strong, but a digit still reads as "
                    "itself. Go further: turned by 180°, a 6 becomes a 9; or mirror the images."
                )
            raise Hint(
                "your layer's changes keep every digit what it is: that is a good, mild augmentation, not a harmful "
                "one. Find one that can turn a digit into another: think of a 6 upside down, or a 2 in a mirror."
            )
        return (
            "Correct: your layer mirrors digits or turns them by about 90° or more, often enough to matter. Trained on "
            "such images with their original labels, a network learns that a 9-shape may be a 6: the augmentation "
            "destroys exactly the differences it must learn."
        )

    return run_check("6.2", function, test)


# --- 6.3 ------------------------------------------------------------------------------------------

LOG_NAMES = ("loss", "accuracy", "val_loss", "val_accuracy")


def simulated_logs(epochs: int = 30, best: int = 6) -> list[dict]:
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
    metric, with a patience of 2 to 10 epochs and ``restore_best_weights=True``."""

    def test(function):
        import keras

        callback = _build(function, "callback")
        if not isinstance(callback, keras.callbacks.EarlyStopping):
            raise Hint(
                f"your function returned a {type(callback).__name__}; return a keras.callbacks.EarlyStopping(...)."
            )
        monitor = callback.monitor
        if monitor not in LOG_NAMES:
            older = (
                " ('val_acc' and 'acc' were the names in old Keras versions)"
                if "acc" in monitor
                else ""
            )
            raise Hint(
                f'Keras logs no metric called {monitor!r}{older}. With metrics=["accuracy"], fit logs '
                f"{', '.join(LOG_NAMES)}: monitor one of the val_ ones."
            )
        if not monitor.startswith("val_"):
            raise Hint(
                f"your callback monitors {monitor!r}, measured on the TRAINING images. It keeps improving while "
                "the model overfits, so it would hardly ever stop training. Monitor the validation loss, "
                'monitor="val_loss" (or "val_accuracy").'
            )
        if callback.patience < 2:
            raise Hint(
                f"patience={callback.patience} stops training at the first epoch without a new best, and "
                "validation metrics wobble from epoch to epoch. Give it a few epochs: patience between 2 and 10."
            )
        if callback.patience > 10:
            raise Hint(
                f"patience={callback.patience} waits {callback.patience} epochs after the best one before it "
                "stops: most of them wasted. Use a patience between 2 and 10."
            )
        if not callback.restore_best_weights:
            raise Hint(
                "with restore_best_weights=False (the default), training stops with the weights of the LAST epoch, "
                f"{callback.patience} epochs after the best one and worse than it. Set restore_best_weights=True."
            )
        best = 6
        epochs_run, kept = _simulate(callback, simulated_logs(best=best))
        if kept != best:
            raise Hint(
                f"in a simulated run whose {monitor} was best after epoch {best + 1}, your callback left the model "
                f'with the weights of epoch {kept + 1}. Check `mode`: an accuracy must be maximized (mode="max", '
                'or the default "auto"), a loss minimized; and leave min_delta, baseline and start_from_epoch at their defaults.'
            )
        if epochs_run != best + 1 + callback.patience:
            raise Hint(
                f"in a simulated run whose {monitor} was best after epoch {best + 1}, your callback stopped after "
                f"epoch {epochs_run} instead of {best + 1 + callback.patience} (best + patience). Leave "
                "start_from_epoch, min_delta and baseline at their defaults."
            )
        return (
            f"Correct: it watches {monitor}, waits {callback.patience} epochs for a new best, then stops and puts "
            f"back the best weights. In a simulated overfitting run it stopped after epoch {epochs_run} and "
            f"restored epoch {kept + 1}."
        )

    return run_check("6.3", function, test)


# --- 6.4 ------------------------------------------------------------------------------------------


class FakeAugmentation:
    """Stands in for an augmentation block: in training mode it adds fresh noise on every call, otherwise
    it passes the images through. It remembers every call, so the check can recompute the right answer."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.calls: list[tuple[bool, np.ndarray, np.ndarray]] = []

    def __call__(self, images, training=False):
        x = np.array(images, dtype=np.float32)
        out = x + self.rng.normal(0, 0.6, x.shape).astype(np.float32) if training else x.copy()
        self.calls.append((bool(training), x, out.copy()))
        return out


def tiny_model(num_classes: int, seed: int):
    """A fixed, untrained classifier of 8 x 8 "images" into ``num_classes`` classes."""
    import keras

    model = keras.Sequential(
        [
            keras.Input(shape=(8, 8)),
            keras.layers.Flatten(),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )
    rng = np.random.default_rng(seed)
    model.set_weights(
        [
            rng.normal(0, 0.4, (64, num_classes)).astype(np.float32),
            rng.normal(0, 0.2, num_classes).astype(np.float32),
        ]
    )
    return model


def _probabilities(model, images: np.ndarray) -> np.ndarray:
    import keras

    return np.asarray(keras.ops.convert_to_numpy(model(images, training=False)), dtype=np.float64)


def predict_with_tta(function) -> CheckResult:
    """Exercise 6.4: ``predict_with_tta(model, images, augmentation, rounds)`` averages the model's
    probabilities over the original images and ``rounds`` augmented copies."""

    def test(function):
        if not callable(function):
            raise Hint(
                f"expected a function, got {type(function).__name__}. Did you overwrite its name?"
            )
        for case, (count, num_classes, rounds) in enumerate(((7, 5, 4), (3, 3, 1))):
            _compare_tta(function, count, num_classes, rounds, seed=640 + case)
        return (
            "Correct: the average of the model's probabilities over each original image and its augmented "
            "copies, still one row of probabilities per image."
        )

    return run_check("6.4", function, test)


def _compare_tta(function, count: int, num_classes: int, rounds: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 1, (count, 8, 8)).astype(np.float32)
    model = tiny_model(num_classes, seed)
    augmentation = FakeAugmentation(seed)
    case = f"for {count} images, {num_classes} classes and rounds={rounds}"
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
    import keras

    result = np.asarray(keras.ops.convert_to_numpy(answer), dtype=np.float64)
    original = _probabilities(model, images)

    if result.shape == (count,) and not np.allclose(result, np.round(result)):
        raise Hint(
            f"{case}, you returned one number per image, and not a whole one: an average of class labels? The "
            "average of a 3 and a 5 is 4, another digit entirely. Average the probabilities, shape "
            f"({count}, {num_classes}), and leave the argmax to whoever calls your function."
        )
    if result.shape == (count,):
        raise Hint(
            f"{case}, you returned {count} numbers, one class per image (an argmax?). Return the averaged "
            f"probabilities themselves, shape ({count}, {num_classes}): whoever calls it can still take the argmax."
        )
    if result.shape != (count, num_classes):
        raise Hint(
            f"{case}, the result should have shape ({count}, {num_classes}), one row of probabilities per image, "
            f"but it has shape {result.shape}. Average over the copies, not over the images or classes."
        )

    trained_calls = [call for call in augmentation.calls if call[0]]
    if not augmentation.calls:
        raise Hint(
            f"{case}, your function never called `augmentation`: call it on the images to make each copy."
        )
    if not trained_calls:
        raise Hint(
            f"{case}, you called `augmentation` without training=True. Outside training the random layers pass the "
            'images through unchanged, so every "copy" is the original. Call augmentation(images, training=True).'
        )
    keys = {images[i].tobytes(): i for i in range(count)}
    copies = [[] for _ in range(count)]
    for _, inputs, outputs in trained_calls:
        for row_in, row_out in zip(inputs.reshape(-1, 8, 8), outputs.reshape(-1, 8, 8)):
            index = keys.get(row_in.tobytes())
            if index is None:
                raise Hint(
                    f"{case}, `augmentation` was given something other than the original images (an augmented "
                    "copy again?). Make every copy from the originals: augmentation(images, training=True)."
                )
            copies[index].append(row_out)
    made = sorted({len(c) for c in copies})
    if made != [rounds]:
        raise Hint(
            f"{case}, your function made {' or '.join(map(str, made))} augmented copies per image; make exactly "
            f"`rounds` = {rounds} copies, and add the original image as one more."
        )
    augmented = np.stack(
        [_probabilities(model, np.stack(c)) for c in copies]
    )  # (count, rounds, classes)
    expected = (original + augmented.sum(axis=1)) / (rounds + 1)

    def close(candidate):
        return np.allclose(result, candidate, atol=1e-5)

    if close(expected):
        return
    if close(original):
        raise Hint(
            f"{case}, your result equals the model's prediction on the originals alone: average the "
            "predictions on the augmented copies in as well."
        )
    if close(augmented.mean(axis=1)):
        raise Hint(
            f"{case}, you averaged the {rounds} augmented copies only: include the model's prediction on the "
            f"original images too ({rounds} + 1 predictions per image)."
        )
    if close(expected * (rounds + 1)):
        raise Hint(
            f"{case}, you added the predictions up: divide by the number of predictions, rounds + 1, so each "
            "row stays a set of probabilities that adds up to 1."
        )
    votes = np.eye(num_classes)[
        np.concatenate([original[:, None], augmented], axis=1).argmax(axis=2)
    ].mean(axis=1)
    if close(votes):
        raise Hint(
            f"{case}, you averaged votes (one-hot labels from an argmax per copy). Average the probabilities "
            "themselves: they keep how sure the model is about each copy."
        )
    if not np.allclose(result.sum(axis=1), 1, atol=1e-4):
        raise Hint(
            f"{case}, your rows add up to {result.sum(axis=1)[0]:.4f}, not 1: average the probability rows of "
            "the copies, don't add or rescale them."
        )
    raise Hint(
        f"{case}, your probabilities differ from the average of the model's probabilities on the originals and "
        f"on the {rounds} augmented copies of each image."
    )
