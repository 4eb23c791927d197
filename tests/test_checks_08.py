"""The self-checks of exercise set 08 (the harder siblings, Fashion-MNIST): a right answer passes,
a stub is "not done", and each typical wrong answer fails with the hint for its own mistake.

The typical mistakes are stated once, in the check module's tables; the tests submit each entry
as a student's answer. Mistakes caught before any comparison (shapes, returns) are written out here.
No Fashion-MNIST is needed and nothing is trained.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from helpers import check
from helpers.check.siblings import (
    BATCH_ONLY_HINT,
    EMPTY_CLASS_HINT,
    FASHION_AUGMENTATION_MISTAKES,
    FASHION_AUGMENTATION_PRAISE,
    FILL_MODE_TIP,
    FLIPLR_HINT,
    IN_PLACE_HINT,
    MINLENGTH_HINT,
    MIRROR_MISTAKES,
    MIRROR_PRAISE,
    PER_CLASS_MISTAKES,
    PER_CLASS_PRAISE,
    TOP_K_MISTAKES,
    TOP_K_PRAISE,
    UPSIDE_DOWN_HINT,
    mirror_cases,
    per_class_cases,
    reference_per_class_accuracy,
    reference_top_k_accuracy,
    top_k_cases,
)
from tests.check_assertions import assert_fail, assert_not_done, assert_pass, stub

layers = keras.layers


def names(table):
    return [mistake.name for mistake in table]


# --- 8.1 per_class_accuracy --------------------------------------------------------------------


def per_class_solution(labels, predicted, class_count):
    right = np.bincount(labels[labels == predicted], minlength=class_count)
    return right / np.bincount(labels, minlength=class_count)


def per_class_loop(labels, predicted, class_count):
    shares = []
    for c in range(class_count):
        mask = labels == c
        shares.append(np.mean(predicted[mask] == c) if mask.any() else np.nan)
    return shares


def per_class_python(labels, predicted, class_count):
    right, total = [0] * class_count, [0] * class_count
    for label, guess in zip(labels.tolist(), predicted.tolist()):
        total[label] += 1
        right[label] += label == guess
    return [r / t if t else float("nan") for r, t in zip(right, total)]


def per_class_from_confusion(labels, predicted, class_count):
    matrix = np.zeros((class_count, class_count))
    np.add.at(matrix, (labels, predicted), 1)
    return (matrix.diagonal() / matrix.sum(axis=1)).astype(np.float32)


@pytest.mark.parametrize(
    "answer",
    [
        per_class_solution,
        per_class_loop,
        per_class_python,
        per_class_from_confusion,
        lambda labels, predicted, c: [np.mean(predicted[labels == k] == k) for k in range(c)],
        reference_per_class_accuracy,
    ],
    ids=["solution", "loop", "python-lists", "confusion-float32", "list-of-means", "reference"],
)
def test_per_class_accuracy_passes_right_answers(answer):
    result = check.per_class_accuracy(answer)
    assert_pass(result)
    assert result.message == PER_CLASS_PRAISE
    assert str(result).startswith("✅ Exercise 8.1: Correct: ")


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_per_class_accuracy_not_done(answer):
    assert_not_done(check.per_class_accuracy(answer))


@pytest.mark.parametrize("mistake", PER_CLASS_MISTAKES, ids=names(PER_CLASS_MISTAKES))
def test_per_class_accuracy_names_each_known_mistake(mistake):
    assert_fail(check.per_class_accuracy(mistake.implementation), mistake.hint)


def shorter_bincount_numerator(labels, predicted, class_count):
    return np.bincount(labels[labels == predicted]) / np.bincount(labels, minlength=class_count)


def python_division_by_zero(labels, predicted, class_count):
    return [
        sum(1 for y, p in zip(labels, predicted) if y == p == c) / sum(1 for y in labels if y == c)
        for c in range(class_count)
    ]


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (
            shorter_bincount_numerator,
            "for 5 classes, the last of which is never predicted, calling your function raised "
            "ValueError: operands could not be broadcast",
        ),
        (shorter_bincount_numerator, MINLENGTH_HINT),
        (python_division_by_zero, "ZeroDivisionError"),
        (python_division_by_zero, EMPTY_CLASS_HINT),
        (
            lambda labels, predicted, c: per_class_solution(labels, predicted, c)[:-1],
            "your answer has 6 values, but there are 7 classes",
        ),
        (lambda labels, predicted, c: np.mean(labels == predicted), "you returned one number"),
        (
            lambda labels, predicted, c: per_class_solution(labels, predicted, c)[:, None],
            "should have shape (7,), one share per class, but yours has shape (7, 1)",
        ),
        (lambda labels, predicted, c: None, "your answer is None"),
        (lambda labels, predicted, c: "0.5", "returned text (strings)"),
        (
            lambda labels, predicted, c: np.where(
                np.isnan(per_class_solution(labels, predicted, c)),
                0.5,
                per_class_solution(labels, predicted, c),
            ),
            "class 5 has no examples, but your answer gives it 0.5",
        ),
        (
            lambda labels, predicted, c: per_class_solution(labels, predicted, c)[::-1],
            "for 90 examples of 7 classes, ",
        ),
        (lambda labels, predicted, c: labels.foo, "calling your function raised AttributeError"),
    ],
    ids=[
        "broadcast-error",
        "broadcast-error-hint",
        "zero-division",
        "zero-division-hint",
        "one-short",
        "one-number",
        "column",
        "no-return",
        "string",
        "empty-class-guessed",
        "reversed",
        "raises",
    ],
)
def test_per_class_accuracy_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.per_class_accuracy(answer), phrase)


def test_per_class_accuracy_fallback_says_what_differs_without_guessing():
    message = check.per_class_accuracy(
        lambda labels, predicted, c: per_class_solution(labels, predicted, c)[::-1]
    ).message
    assert (
        "13 of the 13 examples of class 0 were predicted 0, so its accuracy is 13/13 = 1, but yours is"
        in message
    )
    assert "precision" not in message


def test_per_class_cases_vary_and_only_the_last_has_an_empty_class():
    cases = per_class_cases()
    assert [c for _, _, c, _ in cases] == [7, 5, 6]
    for index, (labels, predicted, class_count, _) in enumerate(cases):
        assert labels.dtype == np.uint8 and predicted.dtype == np.int64
        sizes = np.bincount(labels, minlength=class_count)
        assert (sizes == 0).sum() == (1 if index == len(cases) - 1 else 0)
        recall = reference_per_class_accuracy(labels, predicted, class_count)
        assert np.nanmin(recall) < 1 and np.nanmax(recall) == 1
    labels, predicted, class_count, _ = cases[1]
    assert class_count - 1 not in predicted and class_count - 1 in labels
    labels, predicted, class_count, _ = cases[2]
    assert np.isnan(reference_per_class_accuracy(labels, predicted, class_count)[-1])
    assert class_count - 1 in predicted  # the class without examples is still predicted


# --- 8.2 mirror --------------------------------------------------------------------------------


def mirror_by_loop(images):
    mirrored = np.empty_like(images)
    width = images.shape[-1]
    for x in range(width):
        mirrored[..., x] = images[..., width - 1 - x]
    return mirrored


def mirror_fliplr_both_ways(images):
    if images.ndim == 2:
        return np.fliplr(images)
    return np.array([np.fliplr(image) for image in images])


@pytest.mark.parametrize(
    "answer",
    [
        lambda images: images[..., ::-1],
        lambda images: np.flip(images, axis=-1),
        lambda images: np.flip(images, -1).copy(),
        lambda images: np.flip(images, axis=images.ndim - 1),
        mirror_fliplr_both_ways,
        mirror_by_loop,
        lambda images: images[..., ::-1].tolist() and np.ascontiguousarray(images[..., ::-1]),
    ],
    ids=["slice", "np-flip", "copy", "ndim-axis", "fliplr-per-picture", "loop", "contiguous"],
)
def test_mirror_passes_right_answers(answer):
    result = check.mirror(answer)
    assert_pass(result)
    assert result.message == MIRROR_PRAISE
    assert str(result).startswith("✅ Exercise 8.2: Correct: ")


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_mirror_not_done(answer):
    assert_not_done(check.mirror(answer))


@pytest.mark.parametrize("mistake", MIRROR_MISTAKES, ids=names(MIRROR_MISTAKES))
def test_mirror_names_each_known_mistake(mistake):
    assert_fail(check.mirror(mistake.implementation), mistake.hint)


def mirror_in_place_by_loop(images):
    for image in images.reshape(-1, *images.shape[-2:]):
        image[:] = image[:, ::-1].copy()
    return images


def mirror_axis_2(images):
    return np.flip(images, axis=2)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (
            lambda images: np.fliplr(images),
            "for a uint8 batch of shape (4, 13, 11), " + FLIPLR_HINT,
        ),
        (lambda images: np.flip(images, axis=1), FLIPLR_HINT),
        (lambda images: images[..., ::-1, :], UPSIDE_DOWN_HINT),
        (mirror_in_place_by_loop, IN_PLACE_HINT),
        (mirror_axis_2, "for a single float32 picture of shape (13, 11), " + BATCH_ONLY_HINT),
        (mirror_axis_2, "Your function raised: AxisError"),
        (lambda images: images[..., ::-1].astype(np.float64), "their dtype is float64"),
        (lambda images: images, "mirrored[0, 0, 0] should be images[0, 0, 10] = "),
        (lambda images: images[..., ::-1].reshape(len(images), -1), "should have the shape"),
        (lambda images: None, "your answer is None"),
        (lambda images: "mirrored", "returned text (strings)"),
        (lambda images: 1 / 0, "calling your function raised ZeroDivisionError"),
    ],
    ids=[
        "fliplr",
        "flip-axis-1",
        "rows-sliced",
        "in-place-loop",
        "axis-2",
        "axis-2-error",
        "float64",
        "unchanged",
        "flattened",
        "no-return",
        "string",
        "raises",
    ],
)
def test_mirror_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.mirror(answer), phrase)


def test_mirror_cases_are_batches_then_a_single_picture_not_28_by_28():
    cases = mirror_cases()
    assert [images.ndim for images, _ in cases] == [3, 3, 2]
    assert all(images.shape[-2:] != (28, 28) for images, _ in cases)
    assert any(
        images.shape[-1] == images.shape[-2] for images, _ in cases
    )  # square: transpose keeps the shape
    assert all(not images.flags.writeable for images, _ in cases)


# --- 8.3 fashion_augmentation ------------------------------------------------------------------


def augmentation_solution():
    """The course solution."""
    return keras.Sequential(
        [
            layers.RandomFlip("horizontal"),
            layers.RandomTranslation(0.1, 0.1, fill_mode="constant"),
        ]
    )


def augmentation_with_turns_and_zoom():
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.RandomFlip(mode="horizontal", seed=1),
            layers.RandomRotation(10 / 360, fill_mode="constant"),
            layers.RandomTranslation(0.1, 0.1, fill_mode="constant"),
            layers.RandomZoom(0.1, fill_mode="constant"),
        ]
    )


def augmentation_nested_and_asymmetric():
    return keras.Sequential(
        [
            keras.Sequential([layers.RandomTranslation((-0.05, 0.1), 0.0, fill_mode="constant")]),
            layers.RandomFlip("horizontal"),
            layers.RandomZoom((-0.1, 0.05), fill_mode="constant"),
        ]
    )


def augmentation_pipeline():
    return layers.Pipeline(
        [
            layers.RandomFlip("horizontal"),
            layers.RandomTranslation(0.0, 0.08, fill_mode="constant"),
            layers.RandomRotation(0.02, fill_mode="constant"),
        ]
    )


def augmentation_functional():
    inputs = keras.Input((28, 28, 1))
    x = layers.RandomFlip("horizontal")(inputs)
    return keras.Model(inputs, layers.RandomTranslation(0.1, 0.1, fill_mode="constant")(x))


@pytest.mark.parametrize(
    "answer",
    [
        augmentation_solution,
        augmentation_with_turns_and_zoom,
        augmentation_nested_and_asymmetric,
        augmentation_pipeline,
        augmentation_functional,
    ],
    ids=["solution", "turns-and-zoom", "nested-asymmetric", "pipeline", "functional"],
)
def test_fashion_augmentation_passes_right_answers(answer):
    result = check.fashion_augmentation(answer)
    assert_pass(result)
    assert result.message == FASHION_AUGMENTATION_PRAISE
    assert str(result).startswith("✅ Exercise 8.3: Correct: ")


def test_fashion_augmentation_tips_on_reflect_fill():
    answer = lambda: keras.Sequential(
        [layers.RandomFlip("horizontal"), layers.RandomTranslation(0.1, 0.1)]
    )
    result = check.fashion_augmentation(answer)
    assert_pass(result)
    assert result.message == FASHION_AUGMENTATION_PRAISE + FILL_MODE_TIP


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_fashion_augmentation_not_done(answer):
    assert_not_done(check.fashion_augmentation(answer))


@pytest.mark.parametrize(
    "mistake", FASHION_AUGMENTATION_MISTAKES, ids=names(FASHION_AUGMENTATION_MISTAKES)
)
def test_fashion_augmentation_explains_each_known_mistake(mistake):
    assert_fail(check.fashion_augmentation(mistake.implementation), mistake.hint)


def flip_and_shift(*extra, flip="horizontal"):
    return lambda: keras.Sequential(
        [layers.RandomFlip(flip), layers.RandomTranslation(0.1, 0.1, fill_mode="constant"), *extra]
    )


def noise_at_inference():
    noise = layers.Lambda(lambda x: x + 0.1)
    return flip_and_shift(noise)()


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (
            flip_and_shift(flip="horizontal_and_vertical"),
            "RandomFlip('horizontal_and_vertical'), which is also what RandomFlip() does without a "
            "mode, turns pictures upside down too",
        ),
        (
            lambda: keras.Sequential([flip_and_shift()(), layers.RandomFlip("vertical")]),
            "RandomFlip('vertical') turns pictures upside down",
        ),
        (lambda: flip_and_shift()().layers, "wrap the layers in one block"),
        (lambda: layers.RandomFlip, "returned the class RandomFlip itself"),
        (lambda: None, "forget to `return`"),
        (lambda: "horizontal", "return a keras.Sequential of random layers"),
        (flip_and_shift(layers.Resizing(32, 32)), "must keep the shape"),
        (noise_at_inference, "with training=False your block changed the images"),
        (
            lambda: keras.Sequential(
                [layers.RandomFlip("horizontal"), layers.RandomTranslation(3, 3)]
            ),
            "not pixels",
        ),
        (
            lambda: keras.Sequential(
                [
                    layers.RandomFlip("horizontal"),
                    layers.RandomTranslation(np.float32(0.1), 0.1),
                ]
            ),
            "it accepts only plain Python numbers",
        ),
        (
            flip_and_shift(layers.RandomRotation(0.5)),
            "turns pictures by up to 180°; stay within 10°",
        ),
        (flip_and_shift(layers.RandomCrop(20, 20)), "your block contains a RandomCrop"),
        (lambda: 1 / 0, "calling your function raised ZeroDivisionError"),
    ],
    ids=[
        "both-flips-explicit",
        "nested-vertical",
        "list",
        "class",
        "no-return",
        "string",
        "resizing",
        "lambda-at-inference",
        "shift-in-pixels",
        "numpy-factor",
        "half-turns",
        "crop",
        "raises",
    ],
)
def test_fashion_augmentation_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.fashion_augmentation(answer), phrase)


def test_fashion_augmentation_verdict_never_varies():
    verdicts = {
        (result.status, result.message)
        for result in (check.fashion_augmentation(augmentation_solution) for _ in range(2))
    }
    assert len(verdicts) == 1


# --- 8.4 top_k_accuracy ------------------------------------------------------------------------


def top_k_solution(probabilities, labels, k):
    top = np.argsort(probabilities, axis=1)[:, -k:]
    return np.mean(np.any(top == labels[:, None], axis=1))


def top_k_by_partition(probabilities, labels, k):
    top = np.argpartition(-probabilities, k - 1, axis=1)[:, :k]
    return float((top == labels[:, None]).any(axis=1).mean())


def top_k_by_loop(probabilities, labels, k):
    hits = 0
    for row, label in zip(probabilities, labels):
        ranked = sorted(range(len(row)), key=lambda c: row[c], reverse=True)
        hits += int(label) in ranked[:k]
    return hits / len(labels)


def top_k_by_rank(probabilities, labels, k):
    """A label is in the top k when fewer than k classes are more probable than it."""
    own = probabilities[np.arange(len(labels)), labels]
    return np.mean((probabilities > own[:, None]).sum(axis=1) < k)


def top_k_keras_top_k(probabilities, labels, k):
    _, indices = keras.ops.top_k(probabilities, k)
    top = keras.ops.convert_to_numpy(indices)
    return np.mean((top == labels[:, None]).any(axis=1))


def top_k_keras_in_top_k(probabilities, labels, k):
    hits = keras.ops.in_top_k(labels.astype("int32"), probabilities, k)
    return float(np.mean(keras.ops.convert_to_numpy(hits)))


@pytest.mark.parametrize(
    "answer",
    [
        top_k_solution,
        lambda probabilities, labels, k: (
            (np.argsort(-probabilities, axis=1)[:, :k] == labels[:, None]).any(axis=1).mean()
        ),
        lambda probabilities, labels, k: np.mean(
            [label in row for row, label in zip(np.argsort(probabilities)[:, ::-1][:, :k], labels)]
        ),
        top_k_by_partition,
        top_k_by_loop,
        top_k_by_rank,
        top_k_keras_top_k,
        top_k_keras_in_top_k,
        reference_top_k_accuracy,
    ],
    ids=[
        "solution",
        "descending",
        "reversed-rows",
        "argpartition",
        "python-loop",
        "by-rank",
        "keras-top-k",
        "keras-in-top-k",
        "reference",
    ],
)
def test_top_k_accuracy_passes_right_answers(answer):
    result = check.top_k_accuracy(answer)
    assert_pass(result)
    assert result.message == TOP_K_PRAISE
    assert str(result).startswith("✅ Exercise 8.4: Correct: ")


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_top_k_accuracy_not_done(answer):
    assert_not_done(check.top_k_accuracy(answer))


@pytest.mark.parametrize("mistake", TOP_K_MISTAKES, ids=names(TOP_K_MISTAKES))
def test_top_k_accuracy_names_each_known_mistake(mistake):
    assert_fail(check.top_k_accuracy(mistake.implementation), mistake.hint)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (
            lambda p, labels, k: np.argsort(p, axis=1)[:, -k:],
            "you returned an array of shape (40, 3); the top-k accuracy is a single number",
        ),
        (lambda p, labels, k: None, "your answer is None"),
        (lambda p, labels, k: str(top_k_solution(p, labels, k)), "returned text (strings)"),
        (
            lambda p, labels, k: top_k_solution(p, labels, k) + 0.01,
            "for 40 rows of 7 classes and k=3, the label is among the 3 most probable classes in ",
        ),
        (lambda p, labels, k: np.argsort(p, axis=2), "calling your function raised AxisError"),
    ],
    ids=["top-classes", "no-return", "string", "off-a-little", "raises"],
)
def test_top_k_accuracy_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.top_k_accuracy(answer), phrase)


def test_top_k_cases_have_no_ties_and_mostly_first_or_second_guesses():
    cases = top_k_cases()
    assert [k for _, _, k, _ in cases] == [3, 2, 1, 4]
    for probabilities, labels, *_ in cases:
        ranked = np.sort(probabilities, axis=1)
        assert (np.diff(ranked, axis=1) > 1e-4 * ranked[:, 1:]).all()
        assert probabilities.shape[1] != 10 and labels.dtype == np.uint8
    probabilities, labels, k, _ = cases[-1]
    assert k == probabilities.shape[1] and reference_top_k_accuracy(probabilities, labels, k) == 1
    first, *_ = cases
    assert reference_top_k_accuracy(*first[:2], 2) > reference_top_k_accuracy(*first[:2], 1) + 0.1


def test_top_k_first_case_gives_every_mistake_its_own_number():
    probabilities, labels, k, _ = top_k_cases()[0]
    values = [reference_top_k_accuracy(probabilities, labels, k)]
    values += [
        float(np.mean(mistake.implementation(probabilities, labels, k)))
        for mistake in TOP_K_MISTAKES
        if mistake.name != "per-row booleans"  # an array: told apart by its shape
    ]
    assert len(set(np.round(values, 9))) == len(values)
