"""The self-checks of exercise set 06: right answers written in several ways pass, a stub is "not
done", every mistake of each check's table gets its own hint, other slips get theirs, and the same
answer always gets the same verdict. No MNIST is needed and nothing is trained."""

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


def verdicts(check_function, answer, times=3) -> set:
    return {(r.status, r.message) for r in (check_function(answer) for _ in range(times))}


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


def augmentation_solution():
    """The course solution."""
    return keras.Sequential(
        [
            layers.RandomRotation(10 / 360, fill_mode="constant"),
            layers.RandomTranslation(0.1, 0.1, fill_mode="constant"),
            layers.RandomZoom(0.15, fill_mode="constant"),
        ]
    )


def augmentation_at_the_limits():
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.RandomRotation(15 / 360, fill_mode="constant"),
            layers.RandomTranslation(0.15, 0.15, fill_mode="constant"),
            layers.RandomZoom(0.2, fill_mode="constant"),
        ]
    )


def augmentation_nested_and_asymmetric():
    return keras.Sequential(
        [
            layers.RandomZoom((-0.2, 0.1), fill_mode="constant"),
            keras.Sequential([layers.RandomRotation((-0.02, 0.04), fill_mode="constant")]),
            layers.RandomTranslation(0.05, 0.12, fill_mode="constant"),
        ]
    )


def augmentation_other_order_separate_factors():
    return keras.Sequential(
        [
            layers.RandomTranslation((-0.1, 0.15), 0.08, fill_mode="constant"),
            layers.RandomZoom(height_factor=0.2, width_factor=0.1, fill_mode="constant"),
            layers.RandomRotation(12 / 360, fill_mode="constant"),
        ]
    )


def augmentation_pipeline():
    return layers.Pipeline(
        [
            layers.RandomRotation(0.03, fill_mode="constant"),
            layers.RandomZoom(0.1, fill_mode="constant"),
            layers.RandomTranslation(0.1, 0.1, fill_mode="constant"),
        ]
    )


def augmentation_functional():
    inputs = keras.Input((28, 28, 1))
    x = layers.RandomRotation(0.02, fill_mode="constant")(inputs)
    x = layers.RandomTranslation(0.1, 0.1, fill_mode="constant")(x)
    return keras.Model(inputs, layers.RandomZoom(0.1, fill_mode="constant")(x))


@pytest.mark.parametrize(
    "answer",
    [
        augmentation_solution,
        augmentation_at_the_limits,
        augmentation_nested_and_asymmetric,
        augmentation_other_order_separate_factors,
        augmentation_pipeline,
        augmentation_functional,
    ],
    ids=[
        "solution",
        "limits-with-input",
        "nested-asymmetric",
        "other-order",
        "pipeline",
        "functional",
    ],
)
def test_build_augmentation_passes_right_answers(answer):
    result = check.build_augmentation(answer)
    assert_pass(result)
    assert "Tip" not in result.message


def test_build_augmentation_tips_on_reflect_fill():
    result = check.build_augmentation(lambda: mild())
    assert_pass(result)
    assert 'fill_mode="constant"' in result.message


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_build_augmentation_not_done(answer):
    assert_not_done(check.build_augmentation(answer))


@pytest.mark.parametrize(
    "mistake",
    checks06.MILD_AUGMENTATION_MISTAKES,
    ids=[m.name for m in checks06.MILD_AUGMENTATION_MISTAKES],
)
def test_build_augmentation_explains_each_known_mistake(mistake):
    assert_fail(check.build_augmentation(mistake.implementation), mistake.hint)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda: mild().layers, "wrap the layers in one block"),
        (lambda: layers.RandomRotation, "returned the class RandomRotation itself"),
        (lambda: None, "forget to `return`"),
        (lambda: 0.03, "return a keras.Sequential of random layers"),
        (
            lambda: mild(rotation=np.float32(0.03)),
            "it accepts only plain Python numbers (or a pair of them)",
        ),
        (
            lambda: keras.Sequential([*mild().layers, layers.Resizing(32, 32)]),
            "must keep the shape",
        ),
        (
            lambda: keras.Sequential([mild(rotation=0.0), layers.RandomRotation(0.1)]),
            "your RandomRotation turns digits by up to 36°",
        ),
        (
            lambda: keras.Sequential([keras.Sequential([layers.RandomFlip()]), mild()]),
            "your block contains a RandomFlip",
        ),
    ],
    ids=[
        "list",
        "class",
        "no-return",
        "number",
        "numpy-factor",
        "resizing",
        "nested-rotation",
        "nested-flip",
    ],
)
def test_build_augmentation_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.build_augmentation(answer), phrase)


# --- 6.2 harmful_augmentation -------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        lambda: layers.RandomRotation(0.5, fill_mode="constant"),
        lambda: layers.RandomRotation(0.5),
        lambda: layers.RandomRotation((0.5, 0.5), fill_mode="constant"),
        lambda: layers.RandomRotation(0.25, fill_mode="constant"),
        lambda: layers.RandomFlip("horizontal"),
        lambda: layers.RandomFlip("vertical"),
        lambda: keras.Sequential(
            [layers.RandomFlip("horizontal_and_vertical"), layers.RandomZoom(0.1)]
        ),
        lambda: keras.Sequential([keras.Sequential([layers.RandomFlip()]), mild()]),
        lambda: layers.Pipeline([layers.RandomFlip("horizontal")]),
    ],
    ids=[
        "solution-half-turns",
        "half-turns-reflect",
        "always-upside-down",
        "quarter-turns",
        "horizontal-flip",
        "vertical-flip",
        "flips-and-zoom",
        "nested-flip-and-mild",
        "pipeline-flip",
    ],
)
def test_harmful_augmentation_passes_label_changing_layers(answer):
    assert_pass(check.harmful_augmentation(answer))


def test_harmful_augmentation_not_done():
    assert_not_done(check.harmful_augmentation(stub))


@pytest.mark.parametrize(
    "mistake",
    checks06.HARMFUL_AUGMENTATION_MISTAKES,
    ids=[m.name for m in checks06.HARMFUL_AUGMENTATION_MISTAKES],
)
def test_harmful_augmentation_explains_each_known_mistake(mistake):
    assert_fail(check.harmful_augmentation(mistake.implementation), mistake.hint)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda: layers.RandomFlip, "returned the class RandomFlip itself"),
        (lambda: [layers.RandomFlip()], "returned a list"),
        (lambda: layers.Resizing(14, 14), "must keep the shape"),
    ],
    ids=["class", "list", "resizing"],
)
def test_harmful_augmentation_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.harmful_augmentation(answer), phrase)


@pytest.mark.parametrize(
    "answer",
    [
        lambda: layers.RandomRotation(0.5),
        lambda: layers.RandomRotation(0.23, fill_mode="constant"),
        lambda: layers.RandomZoom(0.9, fill_mode="constant"),
        lambda: layers.RandomBrightness(1.0),
    ],
    ids=["half-turns", "borderline-turns", "huge-zoom", "brightness"],
)
def test_harmful_augmentation_verdict_never_varies(answer):
    assert len(verdicts(check.harmful_augmentation, answer)) == 1


def test_harmful_augmentation_verdict_does_not_depend_on_the_layers_history():
    """A layer made once and used before (its seed generator moved on) is judged the same."""
    layer = layers.RandomRotation(0.23, fill_mode="constant")
    first = check.harmful_augmentation(lambda: layer)
    layer(np.zeros((4, 28, 28, 1), np.float32), training=True)
    assert (check.harmful_augmentation(lambda: layer).message) == first.message


# --- 6.3 early_stopping -------------------------------------------------------------------------

EarlyStopping = keras.callbacks.EarlyStopping


@pytest.mark.parametrize(
    "answer",
    [
        lambda: EarlyStopping(monitor="val_loss", patience=4, restore_best_weights=True),
        lambda: EarlyStopping(patience=3, restore_best_weights=True),
        lambda: EarlyStopping(
            monitor="val_loss", mode="min", patience=2, restore_best_weights=True
        ),
        lambda: EarlyStopping(monitor="val_accuracy", patience=10, restore_best_weights=True),
        lambda: EarlyStopping(
            monitor="val_accuracy", mode="max", patience=5, restore_best_weights=True, verbose=1
        ),
        lambda: EarlyStopping(
            monitor="val_loss", patience=6, restore_best_weights=True, min_delta=1e-4
        ),
    ],
    ids=[
        "solution",
        "defaults-monitor",
        "explicit-min",
        "val-accuracy",
        "explicit-max",
        "tiny-delta",
    ],
)
def test_early_stopping_passes_right_answers(answer):
    assert_pass(check.early_stopping(answer))


def test_early_stopping_solution_praise_is_unchanged():
    result = check.early_stopping(
        lambda: EarlyStopping(monitor="val_loss", patience=4, restore_best_weights=True)
    )
    assert result.message == (
        "Correct: it watches val_loss, waits 4 epochs for a new best, then stops and puts back the "
        "best weights. In a simulated overfitting run it stopped after epoch 11 and restored epoch 7."
    )


def test_early_stopping_not_done():
    assert_not_done(check.early_stopping(stub))


@pytest.mark.parametrize(
    "mistake",
    checks06.EARLY_STOPPING_MISTAKES,
    ids=[m.name for m in checks06.EARLY_STOPPING_MISTAKES],
)
def test_early_stopping_explains_each_known_mistake(mistake):
    assert_fail(check.early_stopping(mistake.implementation), mistake.hint)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda: EarlyStopping, "returned the class EarlyStopping itself"),
        (lambda: [EarlyStopping(patience=3, restore_best_weights=True)], "returned a list"),
        (lambda: keras.callbacks.ReduceLROnPlateau(), "return a keras.callbacks.EarlyStopping"),
        (lambda: None, "forget to `return` the callback"),
        (
            lambda: EarlyStopping(
                patience=3, restore_best_weights=True, start_from_epoch=9, baseline=0.01
            ),
            "Leave them at their defaults",
        ),
    ],
    ids=["class", "list", "other-callback", "no-return", "two-settings"],
)
def test_early_stopping_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.early_stopping(answer), phrase)


def test_simulated_run_overfits_after_the_best_epoch():
    logs = checks06.simulated_logs(best=6)
    val_losses = [log["val_loss"] for log in logs]
    assert int(np.argmin(val_losses)) == 6
    assert all(
        a > b for a, b in zip([log["loss"] for log in logs], [log["loss"] for log in logs[1:]])
    )


# --- 6.4 predict_with_tta -----------------------------------------------------------------------


def tta_solution(model, images, augmentation, rounds):
    """The course solution."""
    predictions = [model.predict(images, verbose=0)]
    for _ in range(rounds):
        copies = augmentation(images, training=True)
        predictions.append(model.predict(copies, verbose=0))
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


def tta_repeat_each_image(model, images, augmentation, rounds):
    """np.repeat keeps each image's copies together; predictions called without training (= inference)."""
    copies = augmentation(np.repeat(images, rounds, axis=0), training=True)
    per_copy = np.asarray(model(copies)).reshape(len(images), rounds, -1)
    return (np.asarray(model(images)) + per_copy.sum(axis=1)) / (rounds + 1)


def tta_image_by_image(model, images, augmentation, rounds):
    rows = []
    for image in images:
        looks = [image] + [augmentation(image, training=True) for _ in range(rounds)]
        rows.append(model.predict(np.stack(looks), verbose=0).mean(axis=0))
    return np.array(rows)


@pytest.mark.parametrize(
    "answer",
    [tta_solution, tta_one_batch, tta_running_sum, tta_repeat_each_image, tta_image_by_image],
    ids=["solution", "one-batch-tensor", "running-sum", "repeat-no-training-arg", "image-by-image"],
)
def test_predict_with_tta_passes_right_answers(answer):
    assert_pass(check.predict_with_tta(answer))


def test_predict_with_tta_not_done():
    assert_not_done(check.predict_with_tta(stub))


def test_tiny_model_differs_in_training_mode():
    model = checks06.tiny_model(5, seed=1)
    images = np.random.default_rng(1).uniform(0, 1, (6, 8, 8)).astype(np.float32)
    inference = model.predict(images, verbose=0)
    assert np.allclose(inference, np.asarray(model(images, training=False)), atol=1e-6)
    assert not np.allclose(inference, np.asarray(model(images, training=True)), atol=1e-3)


@pytest.mark.parametrize(
    "mistake", checks06.TTA_MISTAKES, ids=[m.name for m in checks06.TTA_MISTAKES]
)
def test_predict_with_tta_explains_each_known_mistake(mistake):
    assert_fail(check.predict_with_tta(mistake.implementation), mistake.hint)


def tta_rescaled_first(model, images, augmentation, rounds):
    return tta_solution(model, images / 2, augmentation, rounds)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda *args: None, "forget to `return`"),
        (tta_rescaled_first, "not the ones your function received"),
        (
            lambda *args: np.mean(tta_solution(*args), axis=0),
            "the result should have shape (7, 5)",
        ),
        (
            lambda *args: tta_solution(*args) * 0.9,
            "row 0 of your result adds up to 0.9, not 1",
        ),
        (
            lambda *args: tta_solution(*args)[::-1],
            "your averaged probabilities differ from the right answer first at index",
        ),
        (lambda *args: 1 / 0, "ZeroDivisionError"),
    ],
    ids=["no-return", "rescaled-first", "one-row", "rescaled-rows", "rows-swapped", "error"],
)
def test_predict_with_tta_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.predict_with_tta(answer), phrase)


def test_predict_with_tta_training_mode_verdict_never_varies():
    assert len(verdicts(check.predict_with_tta, checks06.TTA_MISTAKES[0].implementation)) == 1
