"""Self-checks for exercise set 08, the harder siblings: Fashion-MNIST (exercises 8.1 to 8.4).

Each check states the wrong answers students typically write ONCE, as a table of ``Mistake``s:
the check gives the hint of the entry that reproduces the student's answer, and otherwise says
what differs without guessing a cause. 8.1, 8.2 and 8.4 run the student's function on fresh
seeded data of other sizes than Fashion-MNIST's (7 classes, 13×11 pictures, ...), so an answer
hard-coded for 10 classes or 28×28 pictures fails; 8.3 inspects the augmentation block's layers
and runs it, with exercise 6.1's machinery (``helpers.check.augmentation``), on made-up pictures.

>>> check.top_k_accuracy(top_k_accuracy)  # doctest: +SKIP
✅ Exercise 8.4: Correct: ...
"""

from __future__ import annotations

import warnings
from functools import lru_cache, wraps

import numpy as np

from ..check_results import CheckResult
from .augmentation import (
    SIZE,
    _apply,
    _build,
    _expect_identity_at_inference,
    _expect_random_changes,
    _of_kind,
    _rotation_range,
    _translation_range,
    _zoom_range,
    stroke_images,
)
from .classic import _number, _numeric
from .framework import Hint, call, run_check
from .mistakes import Mistake, matching_mistake
from .mlp import reference_confusion_matrix
from .models import leaf_layers


def _quietly(implementation):
    """``implementation`` run without NumPy's warnings: the check replays mistakes that divide by 0."""

    @wraps(implementation)
    def run(*args):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            return implementation(*args)

    return run


# --- 8.1 ---------------------------------------------------------------------------------------


def _right_per_class(labels, predicted, class_count) -> np.ndarray:
    """How many examples of each class were predicted as that class."""
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    return np.bincount(labels[labels == predicted], minlength=class_count)


def _examples_per_class(labels, class_count) -> np.ndarray:
    return np.bincount(np.asarray(labels), minlength=class_count)


@_quietly
def reference_per_class_accuracy(labels, predicted, class_count) -> np.ndarray:
    """The right answer: for each class, the share of its examples predicted as it; nan if none.

    >>> reference_per_class_accuracy(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), 3).tolist()
    [0.5, 1.0, nan]
    """
    right = _right_per_class(labels, predicted, class_count)
    return right / _examples_per_class(labels, class_count)


PRECISION_HINT = (
    "you divided by how often each class was PREDICTED: that is the precision (of the pictures "
    "called c, the share that are c). Per-class accuracy divides by how many examples each class "
    "HAS, np.bincount(labels, minlength=class_count): of the pictures that are c, the share called c."
)
MINLENGTH_HINT = (
    "np.bincount returns one count per value up to the LARGEST value it sees, so a class above "
    "every label (or every right prediction) gets no entry: pass minlength=class_count, and loop "
    "over range(class_count), not over np.unique(labels)."
)
EMPTY_CLASS_HINT = (
    "a class with no examples has no accuracy (0 of 0 is undefined): give it np.nan, not 0. "
    "Dividing the counts, np.bincount(...) / np.bincount(labels, minlength=class_count), gives nan "
    "there by itself (with a warning)."
)

PER_CLASS_MISTAKES: list[Mistake] = [
    Mistake(
        "precision",
        lambda labels, predicted, c: (
            _right_per_class(labels, predicted, c) / np.bincount(predicted, minlength=c)
        ),
        PRECISION_HINT,
    ),
    Mistake(
        "labels and predicted swapped",
        lambda labels, predicted, c: reference_per_class_accuracy(predicted, labels, c),
        PRECISION_HINT,
    ),
    Mistake(
        "counts",
        _right_per_class,
        "you returned how MANY examples of each class were recognised: divide by how many examples "
        "each class has, np.bincount(labels, minlength=class_count), to get shares between 0 and 1.",
    ),
    Mistake(
        "percentages",
        lambda labels, predicted, c: 100 * reference_per_class_accuracy(labels, predicted, c),
        "you returned percentages: return shares between 0 and 1 instead (don't multiply by 100).",
    ),
    Mistake(
        "overall accuracy",
        lambda labels, predicted, c: np.full(c, np.mean(labels == predicted)),
        "every class got the same number, the overall accuracy: compute it for each class "
        "separately, over the examples whose true label is that class only, labels == c.",
    ),
    Mistake(
        "share of all examples",
        lambda labels, predicted, c: _right_per_class(labels, predicted, c) / len(labels),
        "you divided each class's right predictions by the number of ALL examples: divide by the "
        "number of examples of that class, np.bincount(labels, minlength=class_count).",
    ),
    Mistake(
        "error rate",
        lambda labels, predicted, c: 1 - reference_per_class_accuracy(labels, predicted, c),
        "you returned the share of WRONG predictions in each class (the error rate): count the "
        "examples predicted as their own class.",
    ),
    Mistake(
        "integer division",
        lambda labels, predicted, c: (
            _right_per_class(labels, predicted, c) // _examples_per_class(labels, c)
        ),
        "your shares are all whole numbers (0, or 1 for a class without a mistake): `//` is integer "
        "(floor) division, which throws the fractions away. Divide with `/`.",
    ),
    Mistake(
        "confusion matrix",
        lambda labels, predicted, c: reference_confusion_matrix(labels, predicted, c),
        "you returned the whole confusion matrix (a row per true class, a column per predicted "
        "class): per-class accuracy is its diagonal divided by its row sums, "
        "matrix.diagonal() / matrix.sum(axis=1), one number per class.",
    ),
    Mistake(
        "no minlength",
        lambda labels, predicted, c: np.bincount(labels[labels == predicted]) / np.bincount(labels),
        MINLENGTH_HINT,
    ),
    Mistake(
        "classes present only",
        lambda labels, predicted, c: np.array(
            [np.mean(predicted[labels == label] == label) for label in np.unique(labels)]
        ),
        MINLENGTH_HINT,
    ),
    Mistake(
        "0 for a class without examples",
        lambda labels, predicted, c: np.nan_to_num(
            reference_per_class_accuracy(labels, predicted, c)
        ),
        EMPTY_CLASS_HINT,
    ),
]
PER_CLASS_MISTAKES = [
    Mistake(m.name, _quietly(m.implementation), m.hint) for m in PER_CLASS_MISTAKES
]

PER_CLASS_PRAISE = (
    "Correct: for each class, the share of its examples the model recognised, and nan for a "
    "class without examples. On Fashion-MNIST this shows what the overall accuracy hides: shirts "
    "are recognised far less often than trousers or bags."
)


def _predictions_for(rng, labels: np.ndarray, class_count: int, shares, never=()) -> np.ndarray:
    """Predictions right for about ``shares[c]`` of class c's examples; the wrong ones favour the
    low classes, so each class is predicted more or less often than it occurs. Classes in
    ``never`` are never predicted."""
    allowed = np.setdiff1d(np.arange(class_count), never)
    weights = 1.0 / (1 + np.arange(len(allowed)))
    predicted = np.empty(len(labels), dtype=np.int64)
    for index, label in enumerate(labels):
        if label not in never and rng.random() < shares[label]:
            predicted[index] = label
            continue
        others = allowed[allowed != label]
        odds = weights[np.isin(allowed, others)]
        predicted[index] = rng.choice(others, p=odds / odds.sum())
    return predicted


def per_class_cases() -> list[tuple[np.ndarray, np.ndarray, int, str]]:
    """The (labels, predicted, class_count, case) 8.1 tries, in this order (read-only).

    uint8 labels and int64 predictions, as Fashion-MNIST and argmax give them. In the second case
    the last class is never predicted; only in the last case has a class (the last) no examples.

    >>> [(len(labels), class_count) for labels, _, class_count, _ in per_class_cases()]
    [(90, 7), (40, 5), (50, 6)]
    """
    rng = np.random.default_rng(81)
    cases = []
    for count, class_count, never, missing, case in (
        (90, 7, (), None, "for 90 examples of 7 classes"),
        (40, 5, (4,), None, "for 5 classes, the last of which is never predicted"),
        (50, 6, (), 5, "for 6 classes, the last of which (class 5) has no examples"),
    ):
        present = [c for c in range(class_count) if c != missing]
        labels = rng.permutation(np.resize(present, count)).astype(np.uint8)
        shares = rng.uniform(0.3, 0.95, class_count)
        shares[0] = 1.0  # a class without a mistake
        predicted = _predictions_for(rng, labels, class_count, shares, never)
        if missing is not None:
            wrong = np.flatnonzero(predicted != labels)[:3]
            predicted[wrong] = missing  # the model may still predict a class without examples
        for array in (labels, predicted):
            array.setflags(write=False)
        cases.append((labels, predicted, class_count, case))
    return cases


def per_class_accuracy(function) -> CheckResult:
    """Exercise 8.1: ``per_class_accuracy(labels, predicted, class_count)`` returns, for each class, the share of its examples predicted as it (nan for a class without examples).

    >>> per_class_accuracy(lambda labels, predicted, class_count: np.array(
    ...     [np.mean(predicted[labels == c] == c) for c in range(class_count)])).status
    'pass'
    """

    def test(function):
        for labels, predicted, class_count, case in per_class_cases():
            answer = _per_class_from(function, labels, predicted, class_count, case)
            _compare_per_class(answer, labels, predicted, class_count, case)
        return PER_CLASS_PRAISE

    return run_check("8.1", function, test)


def _per_class_from(function, labels, predicted, class_count: int, case: str):
    """Call the student's function (its 0 / 0 warnings silenced: nan is right there); the errors of
    a too short bincount or of 0 / 0 get their hint."""
    try:
        return _quietly(call)(function, labels.copy(), predicted.copy(), class_count)
    except Hint as hint:
        message = str(hint)
        if "could not be broadcast" in message:
            raise Hint(
                f"{case}, {message.rstrip('.')}: two counts of different lengths? {MINLENGTH_HINT}"
            ) from None
        if "ZeroDivisionError" in message and (_examples_per_class(labels, class_count) == 0).any():
            raise Hint(f"{case}, {message.rstrip('.')}: {EMPTY_CLASS_HINT}") from None
        raise Hint(f"{case}, {message}") from None


def _same_shares(answer, expected) -> bool:
    """Same shape and values, nan where the other has nan."""
    try:
        answer, expected = np.asarray(answer, dtype=np.float64), np.asarray(expected, np.float64)
    except (TypeError, ValueError):
        return False
    return answer.shape == expected.shape and bool(
        np.allclose(answer, expected, rtol=1e-5, atol=1e-6, equal_nan=True)
    )


def _compare_per_class(answer, labels, predicted, class_count: int, case: str) -> None:
    shares = _numeric(answer, "the accuracies")
    expected = reference_per_class_accuracy(labels, predicted, class_count)
    if _same_shares(shares, expected):
        return
    if shares.ndim == 1 and len(shares) < class_count:
        raise Hint(
            f"{case}, your answer has {len(shares)} values, but there are {class_count} classes: "
            f"{MINLENGTH_HINT}"
        )
    mistake = matching_mistake(
        shares, PER_CLASS_MISTAKES, (labels, predicted, class_count), _same_shares
    )
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    if shares.ndim == 0:
        raise Hint(
            f"{case}, you returned one number, {_number(shares)}: return one share per class, "
            f"an array of length class_count = {class_count}."
        )
    if shares.shape != (class_count,):
        raise Hint(
            f"{case}, the answer should have shape ({class_count},), one share per class, but "
            f"yours has shape {shares.shape}."
        )
    values = shares.astype(np.float64)
    differs = ~np.isclose(values, expected, rtol=1e-5, atol=1e-6, equal_nan=True)
    c = int(np.flatnonzero(differs)[0])
    sizes = _examples_per_class(labels, class_count)
    if sizes[c] == 0:
        raise Hint(
            f"{case}, class {c} has no examples, but your answer gives it "
            f"{_number(shares[c])}: {EMPTY_CLASS_HINT}"
        )
    right = int(_right_per_class(labels, predicted, class_count)[c])
    raise Hint(
        f"{case}, {right} of the {sizes[c]} examples of class {c} were predicted {c}, so its "
        f"accuracy is {right}/{sizes[c]} = {expected[c]:.6g}, but yours is {_number(shares[c])}."
    )


# --- 8.2 ---------------------------------------------------------------------------------------

LAST_AXIS = "flip the last axis, images[..., ::-1] or np.flip(images, axis=-1)"
UPSIDE_DOWN_HINT = (
    "your pictures came out upside down: you flipped the rows (axis -2), not the columns. A "
    f"mirror swaps left and right, so {LAST_AXIS}."
)
FLIPLR_HINT = (
    "np.fliplr (like np.flip(images, axis=1)) flips axis 1: the columns of a single picture "
    "(H, W), but the ROWS of a batch (N, H, W), which it turns upside down. The width is always "
    f"the last axis: {LAST_AXIS}."
)
BATCH_ORDER_HINT = (
    "you reversed the ORDER of the pictures in the batch (axis 0, what images[::-1] and "
    f"np.flipud do), not each picture: {LAST_AXIS}."
)
TRANSPOSE_HINT = (
    "you transposed the pictures: rows became columns, a mirror along the diagonal, and a "
    f"picture that is not square changes its shape. A left-right mirror keeps the rows: {LAST_AXIS}."
)
HALF_TURN_HINT = (
    "you turned the pictures by 180° (both axes flipped): that is upside down AND mirrored. Flip "
    f"one axis only: {LAST_AXIS}."
)
QUARTER_TURN_HINT = (
    f"you turned the pictures by 90° (np.rot90): a turn is no mirror. {LAST_AXIS[0].upper()}"
    f"{LAST_AXIS[1:]}."
)
IN_PLACE_HINT = (
    "your function changed the array it was given: the caller's pictures are now mirrored too, "
    "and whoever still needs the originals (to show them side by side, to train on them) has lost "
    "them. Return a new array, or a view such as images[..., ::-1], without assigning into `images`."
)
BATCH_ONLY_HINT = (
    "your function mirrors a batch (N, H, W), but fails on a single picture (H, W): "
    f"{LAST_AXIS}, which is the width whatever the number of axes."
)


def _in_place(images):
    images[...] = images[..., ::-1].copy()
    return images


MIRROR_MISTAKES: list[Mistake] = [
    Mistake("upside down", lambda images: np.flip(images, axis=-2), UPSIDE_DOWN_HINT),
    Mistake("fliplr", lambda images: np.fliplr(images), FLIPLR_HINT),
    Mistake("batch order", lambda images: images[::-1], BATCH_ORDER_HINT),
    Mistake("transpose", lambda images: images.T, TRANSPOSE_HINT),
    Mistake("swapped axes", lambda images: np.swapaxes(images, -1, -2), TRANSPOSE_HINT),
    Mistake("half turn", lambda images: np.rot90(images, 2, axes=(-2, -1)), HALF_TURN_HINT),
    Mistake("quarter turn", lambda images: np.rot90(images, axes=(-2, -1)), QUARTER_TURN_HINT),
    Mistake("in place", _in_place, IN_PLACE_HINT),
    Mistake("batches only", lambda images: images[:, :, ::-1], BATCH_ONLY_HINT),
]

MIRROR_PRAISE = (
    "Correct: every picture mirrored left to right, for a batch and for a single picture, in its "
    "own shape and dtype, the originals untouched. A mirrored sneaker is still a sneaker, so on "
    "Fashion-MNIST a mirror gives the model new pictures that are just as true."
)


def mirror_cases() -> list[tuple[np.ndarray, str]]:
    """The (images, case) 8.2 tries, in this order: two batches, then a single picture (read-only).

    >>> [(images.shape, images.dtype.name) for images, _ in mirror_cases()]
    [((4, 13, 11), 'uint8'), ((3, 9, 9), 'float32'), ((13, 11), 'float32')]
    """
    rng = np.random.default_rng(82)
    cases = [
        (
            rng.integers(0, 256, (4, 13, 11)).astype(np.uint8),
            "for a uint8 batch of shape (4, 13, 11)",
        ),
        (
            rng.random((3, 9, 9)).astype(np.float32),
            "for a float32 batch of square pictures, (3, 9, 9)",
        ),
        (rng.random((13, 11)).astype(np.float32), "for a single float32 picture of shape (13, 11)"),
    ]
    for images, _ in cases:
        images.setflags(write=False)
    return cases


def mirror(function) -> CheckResult:
    """Exercise 8.2: ``mirror(images)`` returns the pictures flipped left to right (the last axis), for a batch (N, H, W) or a single picture (H, W), without changing the input.

    >>> mirror(lambda images: images[..., ::-1]).status
    'pass'
    """

    def test(function):
        cases = mirror_cases()
        answers = [_mirrored_by(function, images, case) for images, case in cases]
        for index, answer in enumerate(answers):
            if isinstance(answer, Hint):
                _explain_mirror_error(answer, cases, answers, index)
            _compare_mirror(_numeric(answer, "the pictures"), cases, answers, index)
        return MIRROR_PRAISE

    return run_check("8.2", function, test)


def _mirrored_by(function, images: np.ndarray, case: str):
    """The student's answer for ``images``, or the Hint its error became; a hint if it changed them."""
    given = images.copy()
    try:
        answer = call(function, given)
    except NotImplementedError:
        raise
    except Hint as hint:
        return hint
    if not np.array_equal(given, images):
        raise Hint(f"{case}, {IN_PLACE_HINT}")
    return answer


def _explain_mirror_error(error: Hint, cases, answers, index: int) -> None:
    images, case = cases[index]
    batches_right = all(
        not isinstance(answer, Hint) and _is_mirror(answer, cases[i][0])
        for i, answer in enumerate(answers[:index])
        if cases[i][0].ndim == 3
    )
    if images.ndim == 2 and batches_right:
        raise Hint(
            f"{case}, {BATCH_ONLY_HINT} Your function raised: {str(error).split(' raised ', 1)[-1]}"
        )
    raise Hint(f"{case}, {error}")


def _is_mirror(answer, images: np.ndarray) -> bool:
    answer = np.asarray(answer)
    return answer.dtype == images.dtype and np.array_equal(answer, images[..., ::-1])


def _same_pixels(answer, wrong) -> bool:
    answer, wrong = np.asarray(answer), np.asarray(wrong)
    return answer.shape == wrong.shape and bool(np.array_equal(answer, wrong))


def _consistent_mistake(cases, answers) -> Mistake | None:
    """The first mistake that gives the student's answer in every case (raising where it raised)."""
    for mistake in MIRROR_MISTAKES:
        agrees = True
        for (images, _), answer in zip(cases, answers):
            try:
                wrong = mistake.implementation(images.copy())
            except Exception:
                agrees = isinstance(answer, Hint)
            else:
                agrees = not isinstance(answer, Hint) and _same_pixels(answer, wrong)
            if not agrees:
                break
        if agrees:
            return mistake
    return None


def _compare_mirror(answer: np.ndarray, cases, answers, index: int) -> None:
    images, case = cases[index]
    expected = images[..., ::-1]
    if _is_mirror(answer, images):
        return
    if answer.shape == expected.shape and np.array_equal(answer, expected):
        raise Hint(
            f"{case}, the pixels are right, but their dtype is {answer.dtype}, not the pictures' "
            f"own {images.dtype}: a mirror only moves the pixels, so return them as they are, "
            "images[..., ::-1]."
        )
    mistake = _consistent_mistake(cases, answers)
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    if answer.shape != expected.shape:
        raise Hint(
            f"{case}, the mirrored pictures should have the shape of the pictures, {images.shape}, "
            f"but yours have shape {answer.shape}."
        )
    where = tuple(int(i) for i in np.argwhere(answer != expected)[0])
    source = (*where[:-1], images.shape[-1] - 1 - where[-1])
    shown = ", ".join(map(str, where))
    raise Hint(
        f"{case}, mirrored[{shown}] should be images[{', '.join(map(str, source))}] = "
        f"{_number(images[source])}, the pixel at the same height on the other side, but it is "
        f"{_number(answer[where])}."
    )


# --- 8.3 ---------------------------------------------------------------------------------------

MAX_FASHION_SHIFT = 0.10
MAX_FASHION_DEGREES = 10
MAX_FASHION_ZOOM = 0.10
ALLOWED_LAYERS = ("RandomFlip", "RandomTranslation", "RandomRotation", "RandomZoom")

UPSIDE_DOWN_FLIP_HINT = (
    "no picture in Fashion-MNIST is upside down (no shoe stands on its laces), so the model would "
    "learn from pictures it will never see. Use RandomFlip('horizontal'): a mirrored shirt is "
    "still a shirt."
)
BOTH_FLIPS_HINT = (
    "RandomFlip('horizontal_and_vertical'), which is also what RandomFlip() does without a mode, "
    f"turns pictures upside down too: {UPSIDE_DOWN_FLIP_HINT}"
)
VERTICAL_FLIP_HINT = f"RandomFlip('vertical') turns pictures upside down: {UPSIDE_DOWN_FLIP_HINT}"
UNKNOWN_MODE_HINT = (
    "which Keras does not know, so it never flips anything: write RandomFlip('horizontal')."
)
NO_FLIP_HINT = (
    "your block never mirrors the pictures: add RandomFlip('horizontal'). Clothes, unlike digits, "
    "mean the same in a mirror, so this is the one flip that helps here."
)
NO_SHIFT_HINT = (
    "your block has no RandomTranslation: add small shifts too, e.g. RandomTranslation(0.1, 0.1), "
    "so the model does not rely on a garment sitting at exactly the same pixels."
)
ZERO_SHIFT_HINT = (
    "all its factors are 0, so it never shifts anything: give it a range, e.g. "
    "RandomTranslation(0.1, 0.1), up to 10 % of the picture (2.8 pixels) either way."
)
PIXEL_CHANGE_HINT = (
    "changes the value of every pixel, the background's too, and the background is black (0) in "
    "every Fashion-MNIST picture: the model would learn from grey backgrounds it will never see. "
    "Keep to changes of where the garment lies: RandomFlip('horizontal') and small shifts "
    "(optionally small rotations or zooms)."
)
OTHER_LAYER_HINT = (
    "keep to RandomFlip('horizontal') and RandomTranslation, optionally with a small RandomRotation "
    "(at most 10°) or RandomZoom (at most 10 %): changes that a picture of the same garment could "
    "really show."
)
FIXED_HINT = (
    "the block receives pictures already scaled to [0, 1], and a fixed change like this one acts at "
    "inference too: keep only the random layers."
)
FIXED_RANGE_HINT = (
    "a single value: it makes the same change to every picture, on every call. Give a range "
    "around 0, e.g. RandomTranslation(0.1, 0.1) shifts by a random amount between −10 % and +10 %."
)
SAME_BLOCK_HINT = (
    "your function returned the same block on both calls: build the block (and its layers) inside "
    "the function, so that every model you make gets its own and no two models share layers."
)


def _fashion_block(flip="horizontal", shift=0.1, rotation=None, zoom=None, extra=None):
    """The 8.3 solution with one thing changed: the flip's mode or a factor (None leaves the layer
    out), or ``extra``, a function of ``keras.layers`` giving layers to put last."""
    import keras

    layers = keras.layers
    stack = [] if flip is None else [layers.RandomFlip(flip)]
    if shift is not None:
        stack.append(layers.RandomTranslation(shift, shift, fill_mode="constant"))
    if rotation is not None:
        stack.append(layers.RandomRotation(rotation, fill_mode="constant"))
    if zoom is not None:
        stack.append(layers.RandomZoom(zoom, fill_mode="constant"))
    stack += list(extra(layers)) if extra is not None else []
    return keras.Sequential(stack)


@lru_cache(maxsize=1)
def _one_block_for_all():
    """A block made once: the answer of a student who builds it outside the function."""
    return _fashion_block()


def _flip_by_default():
    import keras

    return keras.Sequential(
        [keras.layers.RandomFlip(), keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant")]
    )


# Each entry builds the block a student returns; its hint is (part of) what the check answers.
# The check finds these by looking at the layers and running the block.
FASHION_AUGMENTATION_MISTAKES: list[Mistake] = [
    Mistake("default flip", _flip_by_default, BOTH_FLIPS_HINT),
    Mistake("both flips", lambda: _fashion_block(flip="horizontal_and_vertical"), BOTH_FLIPS_HINT),
    Mistake("vertical flip", lambda: _fashion_block(flip="vertical"), VERTICAL_FLIP_HINT),
    Mistake("misspelt mode", lambda: _fashion_block(flip="horizontally"), UNKNOWN_MODE_HINT),
    Mistake("no flip", lambda: _fashion_block(flip=None), NO_FLIP_HINT),
    Mistake(
        "rescaling inside",
        lambda: _fashion_block(extra=lambda layers: [layers.Rescaling(1 / 255)]),
        FIXED_HINT,
    ),
    Mistake(
        "contrast",
        lambda: _fashion_block(extra=lambda layers: [layers.RandomContrast(0.2)]),
        PIXEL_CHANGE_HINT,
    ),
    Mistake(
        "brightness",
        lambda: _fashion_block(
            extra=lambda layers: [layers.RandomBrightness(0.2, value_range=(0, 1))]
        ),
        PIXEL_CHANGE_HINT,
    ),
    Mistake(
        "noise",
        lambda: _fashion_block(extra=lambda layers: [layers.GaussianNoise(0.1)]),
        OTHER_LAYER_HINT,
    ),
    Mistake("no shift", lambda: _fashion_block(shift=None), NO_SHIFT_HINT),
    Mistake("zero shift", lambda: _fashion_block(shift=0.0), ZERO_SHIFT_HINT),
    Mistake(
        "strong shift",
        lambda: _fashion_block(shift=0.2),
        "your RandomTranslation shifts by up to 20% of the picture",
    ),
    Mistake(
        "strong rotation",
        lambda: _fashion_block(rotation=0.1),
        "your RandomRotation turns pictures by up to 36°",
    ),
    Mistake(
        "degrees / 180",
        lambda: _fashion_block(rotation=10 / 180),
        "a full turn is 360°, so divide the degrees by 360, not by 180",
    ),
    Mistake(
        "rotation in degrees",
        lambda: _fashion_block(rotation=10),
        "RandomRotation's factor is a fraction of a FULL TURN, not degrees",
    ),
    Mistake("strong zoom", lambda: _fashion_block(zoom=0.3), "your RandomZoom zooms by up to 30%"),
    Mistake("fixed shift", lambda: _fashion_block(shift=(0.1, 0.1)), FIXED_RANGE_HINT),
    Mistake("same block every call", _one_block_for_all, SAME_BLOCK_HINT),
]

FASHION_AUGMENTATION_PRAISE = (
    "Correct: pictures mirrored left to right at random and shifted a little, never upside down, "
    "untouched at inference, a new block on every call. A mirrored shirt is still a shirt, so on "
    "Fashion-MNIST the flip shows the model new pictures that are just as true, where on MNIST a "
    "mirror turns a 2 into no digit."
)
FILL_MODE_TIP = (
    ' Tip: fill_mode="constant" fills the new border with the black background; the default '
    '"reflect" mirrors the garment\'s edge into it.'
)


def fashion_augmentation(function) -> CheckResult:
    """Exercise 8.3: ``fashion_augmentation()`` returns a new block of random layers for clothes: a horizontal flip, shifts of at most 10 %, optionally rotations of at most 10° or zooms of at most 10 %, and nothing upside down.

    >>> check.fashion_augmentation(fashion_augmentation)  # doctest: +SKIP
    ✅ Exercise 8.3: Correct: pictures mirrored left to right at random ...
    """

    def test(function):
        block = _build(function, "augmentation block", seed=83)
        if not callable(block):
            raise Hint(
                f"your function returned a {type(block).__name__}; return a keras.Sequential of "
                "random layers."
            )
        layers = leaf_layers(block)
        _expect_flip_left_right_only(layers)
        fixed = _of_kind(layers, "Rescaling") + _of_kind(layers, "Normalization")
        if fixed:
            raise Hint(
                f"your block contains a {type(fixed[0]).__name__} layer, {fixed[0].name!r}: "
                f"{FIXED_HINT}"
            )
        images = stroke_images(np.random.default_rng(83), 32)
        _expect_identity_at_inference(block, layers, images)
        _expect_allowed_layers(layers)
        _expect_small_factors(layers)
        first, second = _apply(block, images, True), _apply(block, images, True)
        _expect_random_changes(layers, images, first, second)
        _expect_a_new_block(block, _build(function, "augmentation block", seed=84))
        if any(getattr(layer, "fill_mode", "constant") != "constant" for layer in layers):
            return FASHION_AUGMENTATION_PRAISE + FILL_MODE_TIP
        return FASHION_AUGMENTATION_PRAISE

    return run_check("8.3", function, test)


def _expect_flip_left_right_only(layers: list) -> None:
    flips = _of_kind(layers, "RandomFlip")
    if not flips:
        raise Hint(NO_FLIP_HINT)
    for flip in flips:
        if flip.mode == "horizontal_and_vertical":
            raise Hint(f"your block flips with {flip.name!r}: {BOTH_FLIPS_HINT}")
        if flip.mode == "vertical":
            raise Hint(f"your block flips with {flip.name!r}: {VERTICAL_FLIP_HINT}")
        if flip.mode != "horizontal":
            raise Hint(
                f"your RandomFlip, {flip.name!r}, has the mode {flip.mode!r}, {UNKNOWN_MODE_HINT}"
            )


def _expect_allowed_layers(layers: list) -> None:
    for layer in layers:
        name = type(layer).__name__
        if name in ALLOWED_LAYERS:
            continue
        if name in ("RandomContrast", "RandomBrightness"):
            raise Hint(f"your block contains a {name}, {layer.name!r}: it {PIXEL_CHANGE_HINT}")
        raise Hint(f"your block contains a {name}, {layer.name!r}: {OTHER_LAYER_HINT}")


def _expect_small_factors(layers: list) -> None:
    """Raise a hint for a missing or zero shift, or a shift, turn or zoom too large or fixed."""
    shifts = _of_kind(layers, "RandomTranslation")
    if not shifts:
        raise Hint(NO_SHIFT_HINT)
    if all(bound == 0 for layer in shifts for bound in _translation_range(layer)):
        raise Hint(f"your RandomTranslation, {shifts[0].name!r}: {ZERO_SHIFT_HINT}")
    for layer in shifts:
        largest = max(abs(bound) for bound in _translation_range(layer))
        if largest > MAX_FASHION_SHIFT + 1e-6:
            raise Hint(
                f"your RandomTranslation shifts by up to {largest:.0%} of the picture "
                f"({largest * SIZE:.1f} pixels); stay within {MAX_FASHION_SHIFT:.0%} "
                f"({MAX_FASHION_SHIFT * SIZE:.1f} pixels): every garment fills the middle of its "
                "picture, and a larger shift pushes sleeves and soles out of it."
            )
    for layer in _of_kind(layers, "RandomRotation"):
        factor = max(abs(bound) for bound in _rotation_range(layer))
        if factor * 360 > MAX_FASHION_DEGREES + 1e-6:
            start = (
                f"your RandomRotation turns pictures by up to {factor * 360:.0f}°; stay within "
                f"{MAX_FASHION_DEGREES}°, as every garment stands upright"
            )
            if factor * 180 <= MAX_FASHION_DEGREES + 1e-6:
                raise Hint(
                    f"{start}: a full turn is 360°, so divide the degrees by 360, not by 180: "
                    "10° is 10 / 360 ≈ 0.028."
                )
            raise Hint(
                f"{start}. Its factor is a fraction of a full turn: 10° is 10 / 360 ≈ 0.028."
            )
    for layer in _of_kind(layers, "RandomZoom"):
        largest = max(abs(bound) for bound in _zoom_range(layer))
        if largest > MAX_FASHION_ZOOM + 1e-6:
            raise Hint(
                f"your RandomZoom zooms by up to {largest:.0%}; stay within {MAX_FASHION_ZOOM:.0%}."
            )
    _expect_ranges(layers)


def _expect_ranges(layers: list) -> None:
    """Raise a hint for a random layer with a range of one value other than 0, e.g. (0.1, 0.1)."""
    kinds = (
        ("RandomTranslation", _translation_range),
        ("RandomRotation", _rotation_range),
        ("RandomZoom", _zoom_range),
    )
    for name, bounds_of in kinds:
        for layer in _of_kind(layers, name):
            bounds = bounds_of(layer)
            for low, high in zip(bounds[::2], bounds[1::2]):
                if low == high != 0:
                    raise Hint(
                        f"your {name}, {layer.name!r}, has the range ({low:g}, {high:g}), "
                        f"{FIXED_RANGE_HINT}"
                    )


def _expect_a_new_block(block, again) -> None:
    shared = {id(layer) for layer in leaf_layers(block)} & {
        id(layer) for layer in leaf_layers(again)
    }
    if again is block or shared:
        raise Hint(SAME_BLOCK_HINT)


# --- 8.4 ---------------------------------------------------------------------------------------


def reference_top_k_accuracy(probabilities, labels, k: int) -> float:
    """The right answer: the share of rows whose label is among their k most probable classes.

    >>> reference_top_k_accuracy(np.array([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7]]), np.array([1, 0]), 2)
    0.5
    """
    top = np.argsort(-np.asarray(probabilities), axis=1, kind="stable")[:, :k]
    return float(np.mean((top == np.asarray(labels)[:, None]).any(axis=1)))


def _ranked(probabilities) -> np.ndarray:
    """Each row's classes from the least to the most probable (np.argsort's order)."""
    return np.argsort(probabilities, axis=1)


def _hits(columns, labels) -> np.ndarray:
    """Whether each row's label is among its ``columns`` (class indices)."""
    return (columns == np.asarray(labels)[:, None]).any(axis=1)


TOP_K = "np.argsort(probabilities, axis=1)[:, -k:]"

TOP_K_MISTAKES: list[Mistake] = [
    Mistake(
        "lowest k",
        lambda p, labels, k: np.mean(_hits(_ranked(p)[:, :k], labels)),
        "you took the k LEAST probable classes: np.argsort sorts from the smallest up, so the k "
        f"most probable are its LAST k columns, {TOP_K}.",
    ),
    Mistake(
        "argmax only",
        lambda p, labels, k: np.mean(p.argmax(axis=1) == labels),
        "your answer is the top-1 accuracy, whatever k is (the argmax only): look at the k most "
        f"probable classes of each row, {TOP_K}.",
    ),
    Mistake(
        "k-th class only",
        lambda p, labels, k: np.mean(_ranked(p)[:, -k] == labels),
        "you compared each label with the k-th most probable class only: the label counts if it is "
        f"ANY of the k most probable, np.any({TOP_K} == labels[:, None], axis=1).",
    ),
    Mistake(
        "mean over every pair",
        lambda p, labels, k: np.mean(_ranked(p)[:, -k:] == labels[:, None]),
        "you averaged the comparisons of every (row, top class) pair, which divides the accuracy "
        "by k: first ask per row whether ANY of its k classes is the label, np.any(..., axis=1), "
        "then take the mean of that.",
    ),
    Mistake(
        "count",
        lambda p, labels, k: np.sum(_hits(_ranked(p)[:, -k:], labels)),
        "you returned how MANY rows have their label among the top k: divide by the number of rows, "
        "len(labels) (or take the mean), to get a share between 0 and 1.",
    ),
    Mistake(
        "percentage",
        lambda p, labels, k: 100 * np.mean(_hits(_ranked(p)[:, -k:], labels)),
        "you returned a percentage: return a share between 0 and 1 instead.",
    ),
    Mistake(
        "per-row booleans",
        lambda p, labels, k: _hits(_ranked(p)[:, -k:], labels),
        "you returned one True/False per row: that says which rows have their label among the top "
        "k. The top-k accuracy is their share, one number: take the mean.",
    ),
    Mistake(
        "first k columns",
        lambda p, labels, k: np.mean(labels < k),
        "you checked whether the label is one of the first k classes (columns 0 to k - 1), "
        f"whatever the probabilities: take each row's k MOST PROBABLE classes, {TOP_K}.",
    ),
    Mistake(
        "k + 1 columns",
        lambda p, labels, k: np.mean(_hits(_ranked(p)[:, -k - 1 :], labels)),
        f"you took k + 1 classes per row, one too many: the last k columns are {TOP_K} "
        "(a slice from -k on).",
    ),
    Mistake(
        "k - 1 columns",
        lambda p, labels, k: np.mean(_hits(_ranked(p)[:, -k + 1 :], labels)),
        f"you took k - 1 classes per row, one too few: the last k columns are {TOP_K} "
        "(a slice from -k on).",
    ),
]

TOP_K_PRAISE = (
    "Correct: the share of rows whose true label is among their k most probable classes, for "
    "k = 3, 2, 1 and k equal to the number of classes (always 1). On Fashion-MNIST most mistakes "
    "are a second guess: top-2 accuracy is far higher than top-1."
)


def _distinct_probabilities(rng, count: int, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Softmax rows whose probabilities all differ clearly, and each row's classes from the most
    probable down."""
    logits = -np.cumsum(rng.uniform(0.3, 1.5, (count, classes)), axis=1)
    logits *= rng.uniform(0.8, 3.0, (count, 1))
    sorted_rows = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    order = np.argsort(rng.random((count, classes)), axis=1)  # the class at each rank
    probabilities = np.empty((count, classes))
    np.put_along_axis(probabilities, order, sorted_rows, axis=1)
    return probabilities.astype(np.float32), order


def top_k_cases() -> list[tuple[np.ndarray, np.ndarray, int, str]]:
    """The (probabilities, labels, k, case) 8.4 tries, in this order (read-only).

    Within a row no two probabilities are nearly equal, so the k most probable classes are
    unambiguous; most labels are the first or second guess, as on Fashion-MNIST.

    >>> [(probabilities.shape, k) for probabilities, _, k, _ in top_k_cases()]
    [((40, 7), 3), ((36, 5), 2), ((30, 6), 1), ((15, 4), 4)]
    """
    rng = np.random.default_rng(86)  # a seed where every mistake of the table gives its own number
    cases = []
    for count, classes, k in ((40, 7, 3), (36, 5, 2), (30, 6, 1), (15, 4, 4)):
        probabilities, order = _distinct_probabilities(rng, count, classes)
        odds = np.array([0.45, 0.25, 0.12, *np.full(classes - 3, 0.18 / (classes - 3))])
        ranks = rng.choice(classes, count, p=odds)
        labels = order[np.arange(count), ranks].astype(np.uint8)
        for array in (probabilities, labels):
            array.setflags(write=False)
        case = f"for {count} rows of {classes} classes and k={k}"
        cases.append((probabilities, labels, k, case))
    return cases


def top_k_accuracy(function) -> CheckResult:
    """Exercise 8.4: ``top_k_accuracy(probabilities, labels, k)`` returns the share of rows whose true label is among their k most probable classes.

    >>> top_k_accuracy(lambda probabilities, labels, k: np.mean(
    ...     (np.argsort(probabilities, axis=1)[:, -k:] == labels[:, None]).any(axis=1))).status
    'pass'
    """

    def test(function):
        for probabilities, labels, k, case in top_k_cases():
            answer = call(function, probabilities.copy(), labels.copy(), k)
            _compare_top_k(answer, probabilities, labels, k, case)
        return TOP_K_PRAISE

    return run_check("8.4", function, test)


def _same_value(answer, wrong) -> bool:
    answer, wrong = np.asarray(answer), np.asarray(wrong)
    if answer.shape != wrong.shape:
        return False
    return bool(np.allclose(answer.astype(np.float64), wrong.astype(np.float64), rtol=1e-6))


def _compare_top_k(answer, probabilities, labels, k: int, case: str) -> None:
    value = _numeric(answer, "the top-k accuracy")
    inputs = (probabilities, labels, k)
    count = len(labels)
    if value.size != 1:
        mistake = matching_mistake(value, TOP_K_MISTAKES, inputs, _same_value)
        if mistake is not None:
            raise Hint(f"{case}, {mistake.hint}")
        raise Hint(
            f"{case}, you returned an array of shape {value.shape}; the top-k accuracy is a single "
            "number, the share of rows whose label is among their k most probable classes."
        )
    value = value.reshape(()).astype(np.float64)
    expected = reference_top_k_accuracy(probabilities, labels, k)
    if np.isclose(value, expected, rtol=1e-6, atol=1e-9):
        return
    mistake = matching_mistake(value, TOP_K_MISTAKES, inputs, _same_value)
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    hits = round(expected * count)
    raise Hint(
        f"{case}, the label is among the {k} most probable classes in {hits} of the {count} rows, "
        f"so the top-{k} accuracy is {hits}/{count} = {expected:.6g}, but yours is {_number(value)}."
    )
