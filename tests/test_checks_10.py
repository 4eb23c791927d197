"""The self-checks of exercise set 10 (your own digit): a right answer passes, a stub is "not
done", and each typical wrong answer fails with the hint for its own mistake.

The typical mistakes are stated once, in the check module's tables; the tests submit each entry
as a student's answer. Mistakes caught before any comparison (shapes, returns, errors) are written
out here. No MNIST and no Keras model are needed: 10.3 explains a tiny NumPy network.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from helpers import check, handwriting
from helpers.check.own_digit import (
    BOX_NOT_PICTURE_HINT,
    CENTRE_MISTAKES,
    CENTRE_PRAISE,
    CLIP_HINT,
    CROP_MISTAKES,
    CROP_PRAISE,
    ECE_MISTAKES,
    ECE_PRAISE,
    FLAT_PIXELS_HINT,
    HALF_PIXEL_HINT,
    HARD_CODED_SIZE_HINT,
    INTEGER_FRAME_HINT,
    NAN_T_HINT,
    OCCLUSION_MISTAKES,
    OCCLUSION_PRAISE,
    ONES_HINT,
    OVERFLOW_HINT,
    PER_BIN_HINT,
    PER_CLASS_HINT,
    POSITIVE_HINT,
    SAME_T_HINT,
    SEARCH_HINT,
    TEMPERATURE_MISTAKES,
    TEMPERATURE_PRAISE,
    TOLERANCE,
    WHOLE_PIXELS_HINT,
    TinyNetwork,
    centre_by_mass_cases,
    crop_to_ink_cases,
    expected_calibration_error_cases,
    fit_temperature_cases,
    negative_log_likelihood,
    occlusion_map_cases,
    reference_centre_by_mass,
    reference_corner,
    reference_crop_to_ink,
    reference_expected_calibration_error,
    reference_fit_temperature,
    reference_occlusion_map,
)
from tests.check_assertions import assert_fail, assert_not_done, assert_pass, stub


def names(table):
    return [mistake.name for mistake in table]


# --- 10.1 crop_to_ink --------------------------------------------------------------------------


def crop_solution(image):
    rows, cols = np.nonzero(image > 0)
    return image[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]


def crop_by_scanning(image):
    top, bottom = 0, image.shape[0] - 1
    while not (image[top] > 0).any():
        top += 1
    while not (image[bottom] > 0).any():
        bottom -= 1
    left, right = 0, image.shape[1] - 1
    while not (image[:, left] > 0).any():
        left += 1
    while not (image[:, right] > 0).any():
        right -= 1
    return image[top : bottom + 1, left : right + 1]


def crop_by_argmax_of_masks(image):
    rows, cols = (image > 0).any(axis=1), (image > 0).any(axis=0)
    top, left = np.argmax(rows), np.argmax(cols)
    bottom, right = len(rows) - np.argmax(rows[::-1]), len(cols) - np.argmax(cols[::-1])
    return image[top:bottom, left:right]


def crop_by_where(image):
    rows = np.where(image.sum(axis=1) > 0)[0]
    cols = np.where(image.sum(axis=0) > 0)[0]
    return image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].copy()


def crop_in_python(image):
    inked = [(r, c) for r in range(image.shape[0]) for c in range(image.shape[1]) if image[r, c]]
    rows, cols = [r for r, _ in inked], [c for _, c in inked]
    return [list(row[min(cols) : max(cols) + 1]) for row in image[min(rows) : max(rows) + 1]]


@pytest.mark.parametrize(
    "answer",
    [
        crop_solution,
        crop_by_scanning,
        crop_by_argmax_of_masks,
        crop_by_where,
        crop_in_python,
        handwriting.crop_to_ink,
        reference_crop_to_ink,
    ],
    ids=["solution", "scanning", "argmax-of-masks", "where-copy", "python", "helpers", "reference"],
)
def test_crop_to_ink_passes_right_answers(answer):
    result = check.crop_to_ink(answer)
    assert_pass(result)
    assert result.message == CROP_PRAISE
    assert str(result).startswith("✅ Exercise 10.1: Correct: ")


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_crop_to_ink_not_done(answer):
    assert_not_done(check.crop_to_ink(answer))


@pytest.mark.parametrize("mistake", CROP_MISTAKES, ids=names(CROP_MISTAKES))
def test_crop_to_ink_names_each_known_mistake(mistake):
    assert_fail(check.crop_to_ink(mistake.implementation), mistake.hint)


def crop_then_blank_the_original(image):
    crop = crop_solution(image).copy()
    image[:] = 0
    return crop


def crop_one_row_too_many(image):
    rows, cols = np.nonzero(image > 0)
    return image[rows.min() : rows.max() + 2, cols.min() : cols.max() + 1]


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda image: None, "your crop is None: did your function forget to `return` it?"),
        (
            lambda image: (slice(2, 10), slice(1, 8)),
            BOX_NOT_PICTURE_HINT,
        ),
        (lambda image: (2, 10, 1, 8), BOX_NOT_PICTURE_HINT),
        (lambda image: image[image > 0], FLAT_PIXELS_HINT),
        (
            crop_one_row_too_many,
            "the ink fills rows 2 to 9 and columns 1 to 7, a crop of shape (8, 7); yours has shape (9, 7)",
        ),
        (lambda image: 2 * crop_solution(image), "the pixels of your crop differ"),
        (crop_then_blank_the_original, "your function changed the picture it was given"),
        (lambda image: 1 / 0, "calling your function raised ZeroDivisionError"),
    ],
    ids=[
        "no-return",
        "slices",
        "coordinates",
        "flat",
        "one-row-too-many",
        "scaled",
        "changes-input",
        "raises",
    ],
)
def test_crop_to_ink_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.crop_to_ink(answer), phrase)


def test_crop_cases_cover_faint_ink_pieces_edges_and_a_single_pixel():
    cases = crop_to_ink_cases()
    assert all(not image.flags.writeable for image, _ in cases)
    assert all(image.shape != (28, 28) for image, _ in cases)
    faint, pieces, edge, corner, single = (image for image, _ in cases)
    assert 0 < faint[faint > 0].min() < 0.05 and faint.max() == 1.0
    rows_inked = (pieces > 0).any(axis=1)
    assert not rows_inked[
        np.argmax(rows_inked) : len(rows_inked) - np.argmax(rows_inked[::-1])
    ].all()
    assert edge.dtype == np.uint8 and (edge[-1] > 0).any() and (edge[:, -1] > 0).any()
    assert (corner[0] > 0).any() and (corner[:, 0] > 0).any()
    assert reference_crop_to_ink(single).shape == (1, 1)


# --- 10.2 centre_by_mass -----------------------------------------------------------------------


def centre_solution(digit, size=28):
    height, width = digit.shape
    rows, cols = np.indices(digit.shape)
    mass = digit.sum()
    centre_row, centre_col = (rows * digit).sum() / mass, (cols * digit).sum() / mass
    middle = (size - 1) / 2
    top = int(np.clip(round(middle - centre_row), 0, size - height))
    left = int(np.clip(round(middle - centre_col), 0, size - width))
    frame = np.zeros((size, size))
    frame[top : top + height, left : left + width] = digit
    return frame


def centre_from_line_sums(digit, size=28):
    digit = digit.astype(float)
    total = digit.sum()
    centre_row = (np.arange(digit.shape[0]) * digit.sum(axis=1)).sum() / total
    centre_col = (np.arange(digit.shape[1]) * digit.sum(axis=0)).sum() / total
    top = min(max(int(np.floor((size - 1) / 2 - centre_row + 0.5)), 0), size - digit.shape[0])
    left = min(max(int(np.floor((size - 1) / 2 - centre_col + 0.5)), 0), size - digit.shape[1])
    frame = np.zeros((size, size), dtype=digit.dtype)
    frame[top : top + digit.shape[0], left : left + digit.shape[1]] = digit
    return frame


def centre_with_halves_that_cancel(digit, size=28):
    """size / 2 with int() truncation: the two half pixels cancel, so this is right too."""
    height, width = digit.shape
    rows, cols = np.indices(digit.shape)
    centre_row = (rows * digit).sum() / digit.sum()
    centre_col = (cols * digit).sum() / digit.sum()
    top = int(np.clip(int(size / 2 - centre_row), 0, size - height))
    left = int(np.clip(int(size / 2 - centre_col), 0, size - width))
    frame = np.zeros((size, size))
    frame[top : top + height, left : left + width] = digit
    return frame


def centre_by_padding(digit, size=28):
    height, width = digit.shape
    rows, cols = np.indices(digit.shape)
    centre = np.array([(rows * digit).sum(), (cols * digit).sum()]) / digit.sum()
    top, left = np.clip(
        np.round((size - 1) / 2 - centre).astype(int), 0, [size - height, size - width]
    )
    return np.pad(digit, ((top, size - height - top), (left, size - width - left)))


def centre_with_scipy(digit, size=28):
    ndimage = pytest.importorskip("scipy.ndimage")
    centre_row, centre_col = ndimage.center_of_mass(digit.astype(float))
    frame = np.zeros((size, size))
    top = int(np.clip(np.round((size - 1) / 2 - centre_row), 0, size - digit.shape[0]))
    left = int(np.clip(np.round((size - 1) / 2 - centre_col), 0, size - digit.shape[1]))
    frame[top : top + digit.shape[0], left : left + digit.shape[1]] = digit
    return frame


@pytest.mark.parametrize(
    "answer",
    [
        centre_solution,
        centre_from_line_sums,
        centre_with_halves_that_cancel,
        centre_by_padding,
        centre_with_scipy,
        handwriting.centre_by_mass,
        reference_centre_by_mass,
    ],
    ids=["solution", "line-sums", "halves-cancel", "padding", "scipy", "helpers", "reference"],
)
def test_centre_by_mass_passes_right_answers(answer):
    result = check.centre_by_mass(answer)
    assert_pass(result)
    assert result.message == CENTRE_PRAISE
    assert str(result).startswith("✅ Exercise 10.2: Correct: ")


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_centre_by_mass_not_done(answer):
    assert_not_done(check.centre_by_mass(answer))


@pytest.mark.parametrize("mistake", CENTRE_MISTAKES, ids=names(CENTRE_MISTAKES))
def test_centre_by_mass_names_each_known_mistake(mistake):
    assert_fail(check.centre_by_mass(mistake.implementation), mistake.hint)


def centre_without_clipping(digit, size=28):
    rows, cols = np.indices(digit.shape)
    top = round((size - 1) / 2 - (rows * digit).sum() / digit.sum())
    left = round((size - 1) / 2 - (cols * digit).sum() / digit.sum())
    frame = np.zeros((size, size))
    frame[top : top + digit.shape[0], left : left + digit.shape[1]] = digit
    return frame


def centre_in_28(digit, size=28):
    return centre_solution(digit, 28)


def centre_in_an_integer_frame(digit, size=28):
    frame = np.zeros((size, size), dtype=int)
    frame[:] = centre_solution(digit, size)
    return frame


def centre_half_a_pixel_apart(digit, size=28):
    """A sub-pixel shift, as an interpolating shift function makes: half here, half one below."""
    frame = centre_solution(digit, size)
    return 0.5 * frame + 0.5 * np.roll(frame, 1, axis=0)


def centre_two_pixels_down(digit, size=28):
    top, left = reference_corner(digit, size)
    frame = np.zeros((size, size))
    frame[top + 2 : top + 2 + digit.shape[0], left : left + digit.shape[1]] = digit
    return frame


def centre_after_normalizing_the_digit(digit, size=28):
    digit *= 2
    return centre_solution(digit, size)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda digit, size=28: None, "your frame is None"),
        (centre_without_clipping, "could not broadcast"),
        (centre_without_clipping, CLIP_HINT),
        (centre_in_28, HARD_CODED_SIZE_HINT.format(size=20)),
        (centre_in_an_integer_frame, INTEGER_FRAME_HINT),
        (centre_half_a_pixel_apart, WHOLE_PIXELS_HINT),
        (
            lambda digit, size=28: np.zeros((size + 1, size + 1)),
            "the frame should have shape (28, 28), but yours has shape (29, 29)",
        ),
        (lambda digit, size=28: centre_solution(digit, size)[:, ::-1], WHOLE_PIXELS_HINT),
        (
            lambda digit, size=28: centre_solution(digit, size) / 2,
            "your frame does not hold the digit as it was",
        ),
        (
            centre_two_pixels_down,
            "your frame puts the digit's top-left corner at row 4, column 6",
        ),
        (centre_two_pixels_down, "so the corner belongs at row 2, column 6"),
        (centre_after_normalizing_the_digit, "your function changed the digit it was given"),
        (lambda digit, size=28: 1 / 0, "calling your function raised ZeroDivisionError"),
    ],
    ids=[
        "no-return",
        "unclipped",
        "unclipped-advice",
        "hard-coded-28",
        "integer-frame",
        "sub-pixel",
        "wrong-shape",
        "mirrored",
        "halved",
        "two-pixels-down",
        "two-pixels-down-advice",
        "changes-input",
        "raises",
    ],
)
def test_centre_by_mass_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.centre_by_mass(answer), phrase)


def test_centre_cases_have_no_ties_and_tell_every_rule_apart():
    cases = centre_by_mass_cases()
    assert all(not digit.flags.writeable for digit, _, _ in cases)
    assert {size for _, size, _ in cases} >= {28, 20, 15}
    for digit, size, _ in cases:
        rows, cols = np.indices(digit.shape)
        centre = np.array([(rows * digit).sum(), (cols * digit).sum()]) / digit.sum()
        for middle in ((size - 1) / 2, size / 2):
            fractions = (middle - centre) % 1
            assert (np.abs(fractions - 0.5) > 0.03).all()  # no tie: every rounding agrees
    first = cases[0][0]
    placements = {
        mistake.name: np.argwhere(mistake.implementation(first, 28) > 0).min(axis=0).tolist()
        for mistake in CENTRE_MISTAKES
        if mistake.name != "np.roll"
    }
    placements["right"] = np.argwhere(reference_centre_by_mass(first, 28) > 0).min(axis=0).tolist()
    assert len({tuple(p) for p in placements.values()}) == len(placements)
    assert "too far off" in cases[2][2] and "too far off" not in cases[0][2]


def test_the_half_pixel_hint_states_the_decision():
    assert "(size - 1) / 2, 13.5 for 28, not size / 2" in HALF_PIXEL_HINT


# --- 10.3 occlusion_map ------------------------------------------------------------------------


def occlusion_solution(predict, image, label, patch=6, fill=128.0):
    height, width = image.shape
    rows, cols = height - patch + 1, width - patch + 1
    covered = np.repeat(image[None].astype(np.float32), rows * cols, axis=0)
    for row in range(rows):
        for col in range(cols):
            covered[row * cols + col, row : row + patch, col : col + patch] = fill
    before = predict(image[None])[0, label]
    return before - predict(covered)[:, label].reshape(rows, cols)


def occlusion_one_at_a_time(predict, image, label, patch=6, fill=128.0):
    before = predict(image[None])[0, label]
    drops = np.zeros((image.shape[0] - patch + 1, image.shape[1] - patch + 1))
    for row in range(drops.shape[0]):
        for col in range(drops.shape[1]):
            covered = image.copy()
            covered[row : row + patch, col : col + patch] = fill
            drops[row, col] = before - predict(covered[None])[0, label]
    return drops


def occlusion_with_masks(predict, image, label, patch=6, fill=128.0):
    height, width = image.shape
    copies, positions = [], []
    for row in range(height - patch + 1):
        for col in range(width - patch + 1):
            mask = np.zeros(image.shape, dtype=bool)
            mask[row : row + patch, col : col + patch] = True
            copies.append(np.where(mask, fill, image))
            positions.append((row, col))
    probabilities = predict(np.stack([image, *copies]))[:, label]
    drops = np.zeros((height - patch + 1, width - patch + 1))
    for (row, col), probability in zip(positions, probabilities[1:]):
        drops[row, col] = probabilities[0] - probability
    return drops


def occlusion_restoring_the_patch(predict, image, label, patch=6, fill=128.0):
    """Paints into the caller's picture, but puts every patch back: the picture ends unchanged."""
    before = predict(image[None])[0, label]
    drops = []
    for row in range(image.shape[0] - patch + 1):
        line = []
        for col in range(image.shape[1] - patch + 1):
            saved = image[row : row + patch, col : col + patch].copy()
            image[row : row + patch, col : col + patch] = fill
            line.append(before - predict(image[None])[0, label])
            image[row : row + patch, col : col + patch] = saved
        drops.append(line)
    return drops


@pytest.mark.parametrize(
    "answer",
    [occlusion_solution, occlusion_with_masks, reference_occlusion_map],
    ids=["solution", "masks-one-batch", "reference"],
)
def test_occlusion_map_passes_right_answers(answer):
    result = check.occlusion_map(answer)
    assert_pass(result)
    assert result.message == OCCLUSION_PRAISE
    assert str(result).startswith("✅ Exercise 10.3: Correct: ")


@pytest.mark.parametrize(
    "answer",
    [occlusion_one_at_a_time, occlusion_restoring_the_patch],
    ids=["one-at-a-time", "restoring-the-patch"],
)
def test_occlusion_map_passes_one_picture_at_a_time_with_a_tip(answer):
    result = check.occlusion_map(answer)
    assert_pass(result)
    assert result.message.startswith(OCCLUSION_PRAISE)
    assert "times for" in result.message and "one batch is many times faster" in result.message


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_occlusion_map_not_done(answer):
    assert_not_done(check.occlusion_map(answer))


@pytest.mark.parametrize("mistake", OCCLUSION_MISTAKES, ids=names(OCCLUSION_MISTAKES))
def test_occlusion_map_names_each_known_mistake(mistake):
    assert_fail(check.occlusion_map(mistake.implementation), mistake.hint)


def occlusion_for_every_class(predict, image, label, patch=6, fill=128.0):
    return np.stack([occlusion_solution(predict, image, c, patch, fill) for c in range(4)], axis=-1)


def occlusion_with_a_channel_axis(predict, image, label, patch=6, fill=128.0):
    return occlusion_solution(lambda batch: predict(batch[..., None]), image, label, patch, fill)


def occlusion_with_the_notebooks_model(predict, image, label, patch=6, fill=128.0):
    raise ValueError("Invalid input shape for input Tensor: expected (None, 28, 28)")


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda predict, image, label, patch=6, fill=128.0: None, "your map is None"),
        (occlusion_for_every_class, PER_CLASS_HINT),
        (occlusion_with_a_channel_axis, "predict takes a batch of pictures, shape (N, 10, 10)"),
        (
            occlusion_with_the_notebooks_model,
            "The check passes a small predict function of its own",
        ),
        (
            lambda *args, **kwargs: 2 * occlusion_solution(*args, **kwargs),
            "the drops in your map differ from the right answer first at index (0, 0)",
        ),
        (
            lambda predict, image, label, patch, fill: occlusion_solution(
                predict, image, label, patch, fill
            ),
            "missing 2 required positional arguments: 'patch' and 'fill'",
        ),
    ],
    ids=["no-return", "every-class", "channel-axis", "own-model", "doubled", "no-defaults"],
)
def test_occlusion_map_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.occlusion_map(answer), phrase)


def test_occlusion_cases_use_the_defaults_once_and_labels_that_are_not_the_answer():
    cases = occlusion_map_cases()
    assert any(kwargs == {} for *_, kwargs, _ in cases)
    assert {kwargs.get("fill") for *_, kwargs, _ in cases} >= {0.0, 200.0}
    assert any(image.shape[0] != image.shape[1] for _, image, *_ in cases)
    ranks = [
        int(np.flatnonzero(np.argsort(-network(image[None])[0]) == label)[0])
        for network, image, label, *_ in cases
    ]
    assert 0 in ranks and max(ranks) >= 1
    assert all(not image.flags.writeable for _, image, *_ in cases)


def test_tiny_network_refuses_a_single_picture_and_counts_its_calls():
    network = TinyNetwork((5, 4), classes=3, seed=0)
    with pytest.raises(ValueError, match=r"For one picture, pass picture\[None\]"):
        network(np.zeros((5, 4)))
    probabilities = network(np.full((2, 5, 4), 100.0))
    assert probabilities.dtype == np.float32 and np.allclose(probabilities.sum(axis=1), 1)
    assert network.calls == 1


# --- 10.4 expected_calibration_error -----------------------------------------------------------


def ece_solution(probabilities, labels, bins=10):
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    ece = 0.0
    for b in range(bins):
        in_bin = which == b
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return ece


def ece_with_edges(probabilities, labels, bins=10):
    confidence = probabilities.max(axis=1).astype(np.float64)
    correct = (probabilities.argmax(axis=1) == labels).astype(np.float64)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for b, (low, high) in enumerate(zip(edges[:-1], edges[1:])):
        last = b == bins - 1
        in_bin = (confidence >= low) & ((confidence <= high) if last else (confidence < high))
        count = in_bin.sum()
        if count:
            total += count / len(labels) * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return total


def ece_by_histogram(probabilities, labels, bins=10):
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    confidence_sums, _ = np.histogram(confidence, bins, range=(0, 1), weights=confidence)
    correct_sums, _ = np.histogram(confidence, bins, range=(0, 1), weights=correct.astype(float))
    return np.abs(correct_sums - confidence_sums).sum() / len(labels)


def ece_by_digitize(probabilities, labels, bins=10):
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    which = np.digitize(confidence, np.linspace(0, 1, bins + 1)[1:-1], right=True)
    counts = np.bincount(which, minlength=bins)
    gaps = np.abs(
        np.bincount(which, correct, minlength=bins) - np.bincount(which, confidence, minlength=bins)
    )
    return float(gaps.sum() / counts.sum())


@pytest.mark.parametrize(
    "answer",
    [
        ece_solution,
        ece_with_edges,
        ece_by_histogram,
        ece_by_digitize,
        reference_expected_calibration_error,
    ],
    ids=["solution", "edges", "histogram", "digitize", "reference"],
)
def test_expected_calibration_error_passes_right_answers(answer):
    result = check.expected_calibration_error(answer)
    assert_pass(result)
    assert result.message == ECE_PRAISE
    assert str(result).startswith("✅ Exercise 10.4: Correct: ")


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_expected_calibration_error_not_done(answer):
    assert_not_done(check.expected_calibration_error(answer))


@pytest.mark.parametrize("mistake", ECE_MISTAKES, ids=names(ECE_MISTAKES))
def test_expected_calibration_error_names_each_known_mistake(mistake):
    assert_fail(check.expected_calibration_error(mistake.implementation), mistake.hint)


def ece_with_an_index_past_the_last_bin(probabilities, labels, bins=10):
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    counts, sums, hits = np.zeros(bins), np.zeros(bins), np.zeros(bins)
    for c, right in zip(confidence, correct):
        b = int(c * bins)
        counts[b] += 1
        sums[b] += c
        hits[b] += right
    return np.abs(hits - sums).sum() / len(labels)


def ece_per_bin(probabilities, labels, bins=10):
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    return np.array(
        [np.abs(correct[which == b].sum() - confidence[which == b].sum()) for b in range(bins)]
    )


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda probabilities, labels, bins=10: None, "your ECE is None"),
        (ece_with_an_index_past_the_last_bin, "calling your function raised IndexError"),
        (ece_with_an_index_past_the_last_bin, ONES_HINT),
        (ece_per_bin, PER_BIN_HINT),
        (
            lambda probabilities, labels, bins=10: np.zeros(3),
            "return a single number, but your function returned shape (3,)",
        ),
        (
            lambda probabilities, labels, bins=10: ece_solution(probabilities, labels, bins) + 0.01,
            "but it should be 0.2138",
        ),
    ],
    ids=["no-return", "index-error", "index-error-advice", "per-bin", "three-numbers", "off"],
)
def test_expected_calibration_error_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.expected_calibration_error(answer), phrase)


def test_calibration_cases_avoid_the_inner_bin_edges_and_include_certain_answers():
    cases = expected_calibration_error_cases()
    for probabilities, labels, bins, _ in cases:
        assert not probabilities.flags.writeable and not labels.flags.writeable
        scaled = probabilities.max(axis=1).astype(np.float64) * bins
        inner = np.round(scaled) < bins
        assert (np.abs(scaled - np.round(scaled))[inner] > 1e-3).all()
    certain = [case for probabilities, *_, case in cases if (probabilities.max(axis=1) == 1).any()]
    assert len(certain) == 1 and "exactly 1.0" in certain[0]
    assert {bins for _, _, bins, _ in cases} == {10, 5, 15}
    assert {labels.dtype for _, labels, _, _ in cases} == {np.dtype(np.int64), np.dtype(np.uint8)}


# --- 10.5 fit_temperature ----------------------------------------------------------------------


def softmax(scores):
    exps = np.exp(scores - scores.max(axis=1, keepdims=True))
    return exps / exps.sum(axis=1, keepdims=True)


def nll(logits, labels, temperature):
    probabilities = softmax(np.asarray(logits, dtype=np.float64) / temperature)
    return -np.mean(np.log(probabilities[np.arange(len(labels)), labels] + 1e-12))


def temperature_solution(logits, labels):
    temperatures = np.exp(np.linspace(np.log(0.05), np.log(20), 400))
    losses = [nll(logits, labels, t) for t in temperatures]
    return float(temperatures[np.argmin(losses)])


def temperature_coarse_then_fine(logits, labels):
    coarse = np.exp(np.linspace(np.log(0.1), np.log(10), 25))
    best = coarse[np.argmin([nll(logits, labels, t) for t in coarse])]
    fine = best * np.exp(np.linspace(-0.2, 0.2, 81))
    return fine[np.argmin([nll(logits, labels, t) for t in fine])]


def temperature_by_golden_section(logits, labels):
    low, high = np.log(0.1), np.log(10)
    ratio = (np.sqrt(5) - 1) / 2
    while high - low > 1e-4:
        a, b = high - ratio * (high - low), low + ratio * (high - low)
        if nll(logits, labels, np.exp(a)) < nll(logits, labels, np.exp(b)):
            high = b
        else:
            low = a
    return np.exp((low + high) / 2)


def temperature_by_newton(logits, labels):
    """Newton's method on beta = 1 / T: the loss is convex in beta."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    true = z[np.arange(len(labels)), labels]
    beta = 1.0
    for _ in range(50):
        p = softmax(beta * z)
        mean_z = (p * z).sum(axis=1)
        gradient = np.mean(mean_z - true)
        curvature = np.mean((p * z**2).sum(axis=1) - mean_z**2)
        beta = max(beta - gradient / curvature, beta / 4)
    return np.array([1 / beta])


def temperature_with_scipy(logits, labels):
    optimize = pytest.importorskip("scipy.optimize")
    found = optimize.minimize_scalar(
        lambda log_t: nll(logits, labels, np.exp(log_t)),
        bounds=(np.log(0.05), np.log(20)),
        method="bounded",
    )
    return float(np.exp(found.x))


@pytest.mark.parametrize(
    "answer",
    [
        temperature_solution,
        temperature_coarse_then_fine,
        temperature_by_golden_section,
        temperature_by_newton,
        temperature_with_scipy,
        reference_fit_temperature,
    ],
    ids=["solution", "coarse-then-fine", "golden-section", "newton", "scipy", "reference"],
)
def test_fit_temperature_passes_right_answers(answer):
    result = check.fit_temperature(answer)
    assert_pass(result)
    assert result.message == TEMPERATURE_PRAISE
    assert str(result).startswith("✅ Exercise 10.5: Correct: ")


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_fit_temperature_not_done(answer):
    assert_not_done(check.fit_temperature(answer))


@pytest.mark.parametrize("mistake", TEMPERATURE_MISTAKES, ids=names(TEMPERATURE_MISTAKES))
def test_fit_temperature_names_each_known_mistake(mistake):
    assert_fail(check.fit_temperature(mistake.implementation), mistake.hint)


def temperature_with_a_textbook_softmax(logits, labels):
    """exp, then divide: what a student writes first. Its overflow warnings must stay inside the check."""
    temperatures = np.exp(np.linspace(np.log(0.05), np.log(20), 400))
    losses = []
    for t in temperatures:
        exps = np.exp(logits / t)
        probabilities = exps / exps.sum(axis=1, keepdims=True)
        losses.append(-np.mean(np.log(probabilities[np.arange(len(labels)), labels])))
    return temperatures[np.argmin(losses)]


def test_fit_temperature_explains_overflow_without_letting_warnings_out():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = check.fit_temperature(temperature_with_a_textbook_softmax)
    assert_fail(result, OVERFLOW_HINT)
    assert "logits between about 1,000 and 4,000" in result.message


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda logits, labels: None, "your T is None"),
        (
            lambda logits, labels: np.exp(np.linspace(-3, 3, 50)),
            "return one number, the temperature T; your function returned shape (50,)",
        ),
        (lambda logits, labels: 1.0, f"for all 4 data sets, T = 1: {SAME_T_HINT}"),
        (lambda logits, labels: -reference_fit_temperature(logits, labels), POSITIVE_HINT),
        (lambda logits, labels: float("nan") if len(labels) == 1200 else 1.0, NAN_T_HINT),
        (
            lambda logits, labels: 1.1 * reference_fit_temperature(logits, labels),
            "the negative log-likelihood is lower at T = 2.113",
        ),
        (lambda logits, labels: 1.1 * reference_fit_temperature(logits, labels), SEARCH_HINT),
        (lambda logits, labels: 1 / 0, "calling your function raised ZeroDivisionError"),
    ],
    ids=[
        "no-return",
        "every-t",
        "always-one",
        "negative",
        "nan",
        "ten-percent-off",
        "advice",
        "raises",
    ],
)
def test_fit_temperature_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.fit_temperature(answer), phrase)


def test_fit_temperature_accepts_two_percent_and_no_more():
    def off_by(factor):
        return lambda logits, labels: factor * reference_fit_temperature(logits, labels)

    assert_pass(check.fit_temperature(off_by(np.exp(0.9 * TOLERANCE))))
    assert check.fit_temperature(off_by(np.exp(1.1 * TOLERANCE))).status == "fail"


def test_temperature_cases_have_known_best_temperatures_inside_the_search_range():
    cases = fit_temperature_cases()
    networks = [2.2, 0.55, 1.4, 5.0]  # the temperatures the labels were drawn with
    for (logits, labels, best, _), network in zip(cases, networks):
        assert not logits.flags.writeable and not labels.flags.writeable
        assert 0.1 < best < 10 and abs(np.log(best / network)) < 0.1
        for t in (best * 0.97, best / 0.97):
            assert negative_log_likelihood(logits, labels, t) > negative_log_likelihood(
                logits, labels, best
            )
    huge = cases[2][0]
    assert huge.dtype == np.float32 and huge.min() > 900
    assert {logits.dtype for logits, *_ in cases} == {np.dtype(np.float32), np.dtype(np.float64)}
