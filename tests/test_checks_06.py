"""The self-checks of exercise set 06: a right answer passes, a stub is "not done", and each typical
wrong answer fails with its own hint. No MNIST is needed and nothing is trained."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from helpers import check
from helpers.check import (
    augmentation as checks06,  # the module, not check.build_augmentation (the 6.1 check)
)
from tests.check_assertions import assert_fail, assert_not_done, assert_pass, stub

layers = keras.layers


def mild(rotation=0.03, shift=0.1, zoom=0.1, **fill):
    return keras.Sequential(
        [
            layers.RandomRotation(rotation, **fill),
            layers.RandomTranslation(shift, shift, **fill),
            layers.RandomZoom(zoom, **fill),
        ]
    )


# --- helpers of the checks ----------------------------------------------------------------------


def test_stroke_images_are_digit_like_and_reproducible():
    first = checks06.stroke_images(np.random.default_rng(5), 4)
    again = checks06.stroke_images(np.random.default_rng(5), 4)
    assert first.shape == (4, 28, 28, 1) and first.dtype == np.float32
    assert 0 <= first.min() and first.max() <= 1 and np.array_equal(first, again)
    assert (first[:, :3].max() == 0) and (first[:, -3:].max() == 0), (
        "a margin of background, as in MNIST"
    )


@pytest.mark.parametrize(
    "transform, expected",
    [
        (lambda image: image, (False, 0)),
        (lambda image: np.rot90(image, 2), (False, -180)),
        (np.fliplr, (True, 0)),
        (lambda image: checks06.rotate(image, 10), (False, 10)),
    ],
    ids=["identity", "half-turn", "mirror", "small-turn"],
)
def test_orientation_recognizes_turns_and_mirrors(transform, expected):
    image = checks06.stroke_images(np.random.default_rng(9), 1)[0, ..., 0]
    assert checks06.orientation(transform(image), image) == expected


# --- 6.1 build_augmentation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        lambda: mild(fill_mode="constant"),
        lambda: keras.Sequential(
            [
                keras.Input(shape=(28, 28, 1)),
                layers.RandomRotation(15 / 360),
                layers.RandomTranslation(0.15, 0.15),
                layers.RandomZoom(0.2),
            ]
        ),
        lambda: keras.Sequential(
            [
                layers.RandomZoom((-0.2, 0.1), fill_mode="constant"),
                keras.Sequential([layers.RandomRotation((-0.02, 0.04), fill_mode="constant")]),
                layers.RandomTranslation(0.05, 0.12, fill_mode="constant"),
            ]
        ),
    ],
    ids=["lesson-like", "limits-with-input", "nested-and-asymmetric"],
)
def test_build_augmentation_passes_right_answers(answer):
    assert_pass(check.build_augmentation(answer))


def test_build_augmentation_tips_on_reflect_fill():
    result = check.build_augmentation(lambda: mild())
    assert_pass(result)
    assert 'fill_mode="constant"' in result.message


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_build_augmentation_not_done(answer):
    assert_not_done(check.build_augmentation(answer))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda: mild(rotation=15), "fraction of a FULL TURN"),
        (lambda: mild(shift=3), "not degrees or pixels"),
        (lambda: mild(rotation=0.2), "turns digits by up to 72°"),
        (lambda: mild(shift=0.3), "shifts by up to 30%"),
        (lambda: mild(zoom=0.5), "zooms by up to 50%"),
        (
            lambda: keras.Sequential([layers.RandomFlip("horizontal"), *mild().layers]),
            "flips change the label",
        ),
        (
            lambda: keras.Sequential(
                [layers.RandomRotation(0.03), layers.RandomTranslation(0.1, 0.1)]
            ),
            "no RandomZoom",
        ),
        (
            lambda: keras.Sequential([layers.Rescaling(1 / 255), *mild().layers]),
            "with training=False your block changed",
        ),
        (lambda: mild(rotation=0.0, shift=0.0, zoom=0.0), "changed only 0 of 32 images"),
        (
            lambda: mild(rotation=(0.02, 0.02), shift=(0.1, 0.1), zoom=(0.1, 0.1)),
            "exactly the same images",
        ),
        (lambda: mild().layers, "wrap the layers in one block"),
        (lambda: layers.RandomRotation, "returned the class RandomRotation itself"),
        (lambda: None, "forget to `return`"),
        (
            lambda: keras.Sequential([*mild().layers, layers.Resizing(32, 32)]),
            "must keep the shape",
        ),
    ],
    ids=[
        "degrees",
        "pixels",
        "strong-rotation",
        "strong-shift",
        "strong-zoom",
        "flip",
        "missing-zoom",
        "rescaling-inside",
        "all-zero",
        "fixed-transform",
        "list",
        "class",
        "no-return",
        "resizing",
    ],
)
def test_build_augmentation_explains_wrong_answers(answer, phrase):
    assert_fail(check.build_augmentation(answer), phrase)


# --- 6.2 harmful_augmentation -------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        lambda: layers.RandomRotation(0.5, fill_mode="constant"),
        lambda: layers.RandomFlip("horizontal"),
        lambda: layers.RandomFlip("vertical"),
        lambda: keras.Sequential(
            [layers.RandomFlip("horizontal_and_vertical"), layers.RandomZoom(0.1)]
        ),
    ],
    ids=["half-turns", "horizontal-flip", "vertical-flip", "flips-and-zoom"],
)
def test_harmful_augmentation_passes_label_changing_layers(answer):
    assert_pass(check.harmful_augmentation(answer))


def test_harmful_augmentation_not_done():
    assert_not_done(check.harmful_augmentation(stub))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda: mild(fill_mode="constant"), "a good, mild augmentation"),
        (lambda: layers.RandomContrast(0.5), "keep every digit what it is"),
        (lambda: layers.RandomRotation(0.1), "still reads as itself"),
        (lambda: layers.Identity(), "never changed an image"),
        (lambda: layers.RandomFlip, "returned the class RandomFlip itself"),
    ],
    ids=["mild", "contrast", "moderate-rotation", "identity", "class"],
)
def test_harmful_augmentation_explains_wrong_answers(answer, phrase):
    assert_fail(check.harmful_augmentation(answer), phrase)


# --- 6.3 early_stopping -------------------------------------------------------------------------

EarlyStopping = keras.callbacks.EarlyStopping


@pytest.mark.parametrize(
    "answer",
    [
        lambda: EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True),
        lambda: EarlyStopping(monitor="val_accuracy", patience=10, restore_best_weights=True),
        lambda: EarlyStopping(
            monitor="val_accuracy", mode="max", patience=2, restore_best_weights=True, verbose=1
        ),
    ],
    ids=["val-loss", "val-accuracy", "explicit-max"],
)
def test_early_stopping_passes_right_answers(answer):
    assert_pass(check.early_stopping(answer))


def test_early_stopping_not_done():
    assert_not_done(check.early_stopping(stub))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (
            lambda: EarlyStopping(monitor="loss", patience=3, restore_best_weights=True),
            "measured on the TRAINING images",
        ),
        (lambda: EarlyStopping(monitor="val_loss", patience=3), "restore_best_weights=False"),
        (lambda: EarlyStopping(monitor="val_loss", restore_best_weights=True), "patience=0 stops"),
        (
            lambda: EarlyStopping(monitor="val_loss", patience=25, restore_best_weights=True),
            "most of them wasted",
        ),
        (
            lambda: EarlyStopping(
                monitor="val_accuracy", mode="min", patience=3, restore_best_weights=True
            ),
            "Check `mode`",
        ),
        (
            lambda: EarlyStopping(monitor="val_acc", patience=3, restore_best_weights=True),
            "old Keras versions",
        ),
        (
            lambda: EarlyStopping(
                monitor="val_loss", patience=3, restore_best_weights=True, start_from_epoch=12
            ),
            "start_from_epoch",
        ),
        (lambda: EarlyStopping, "returned the class EarlyStopping itself"),
        (lambda: [EarlyStopping(patience=3, restore_best_weights=True)], "returned a list"),
        (lambda: keras.callbacks.ReduceLROnPlateau(), "return a keras.callbacks.EarlyStopping"),
    ],
    ids=[
        "training-loss",
        "no-restore",
        "patience-0",
        "patience-25",
        "accuracy-minimized",
        "old-name",
        "start-late",
        "class",
        "list",
        "other-callback",
    ],
)
def test_early_stopping_explains_wrong_answers(answer, phrase):
    assert_fail(check.early_stopping(answer), phrase)


def test_simulated_run_overfits_after_the_best_epoch():
    logs = checks06.simulated_logs(best=6)
    val_losses = [log["val_loss"] for log in logs]
    assert int(np.argmin(val_losses)) == 6
    assert all(
        a > b for a, b in zip([log["loss"] for log in logs], [log["loss"] for log in logs[1:]])
    )


# --- 6.4 predict_with_tta -----------------------------------------------------------------------


def tta_loop(model, images, augmentation, rounds):
    predictions = [model.predict(images, verbose=0)]
    for _ in range(rounds):
        predictions.append(model.predict(augmentation(images, training=True), verbose=0))
    return np.mean(predictions, axis=0)


def tta_one_batch(model, images, augmentation, rounds):
    copies = augmentation(np.concatenate([images] * rounds), training=True)
    probabilities = model(np.concatenate([images, copies]), training=False)
    return keras.ops.mean(keras.ops.reshape(probabilities, (rounds + 1, len(images), -1)), axis=0)


def tta_running_sum(model, images, augmentation, rounds):
    total = model.predict(images, verbose=0)
    for _ in range(rounds):
        total = total + model.predict(augmentation(images, training=True), verbose=0)
    return total / (rounds + 1)


@pytest.mark.parametrize(
    "answer", [tta_loop, tta_one_batch, tta_running_sum], ids=["loop", "one-batch", "running-sum"]
)
def test_predict_with_tta_passes_right_answers(answer):
    assert_pass(check.predict_with_tta(answer))


def test_predict_with_tta_not_done():
    assert_not_done(check.predict_with_tta(stub))


def predictions_of(model, images, augmentation, rounds, training=True, original=True, extra=0):
    copies = [augmentation(images, training=training) for _ in range(rounds + extra)]
    return ([model.predict(images, verbose=0)] if original else []) + [
        model.predict(c, verbose=0) for c in copies
    ]


def chained_copies(model, images, augmentation, rounds):
    predictions, current = [model.predict(images, verbose=0)], images
    for _ in range(rounds):
        current = augmentation(current, training=True)
        predictions.append(model.predict(current, verbose=0))
    return np.mean(predictions, axis=0)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (
            lambda *args: np.mean(predictions_of(*args, training=False), axis=0),
            "without training=True",
        ),
        (
            lambda *args: np.mean(predictions_of(*args), axis=0).argmax(axis=1),
            "one class per image",
        ),
        (
            lambda *args: np.mean([p.argmax(axis=1) for p in predictions_of(*args)], axis=0),
            "an average of class labels",
        ),
        (
            lambda *args: np.mean(
                [np.eye(p.shape[1])[p.argmax(axis=1)] for p in predictions_of(*args)], axis=0
            ),
            "you averaged votes",
        ),
        (
            lambda *args: np.mean(predictions_of(*args, original=False), axis=0),
            "include the model's prediction on the original",
        ),
        (lambda *args: np.sum(predictions_of(*args), axis=0), "you added the predictions up"),
        (lambda *args: np.mean(predictions_of(*args, extra=1), axis=0), "make exactly `rounds`"),
        (lambda *args: np.mean(predictions_of(*args), axis=1), "Average over the copies"),
        (chained_copies, "an augmented copy again"),
        (
            lambda model, images, augmentation, rounds: model.predict(images, verbose=0),
            "never called `augmentation`",
        ),
        (lambda *args: None, "forget to `return`"),
    ],
    ids=[
        "no-training-flag",
        "argmax",
        "averaged-labels",
        "one-hot-votes",
        "no-original",
        "sum",
        "extra-copy",
        "wrong-axis",
        "chained",
        "no-augmentation",
        "no-return",
    ],
)
def test_predict_with_tta_explains_wrong_answers(answer, phrase):
    assert_fail(check.predict_with_tta(answer), phrase)
