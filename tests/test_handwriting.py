"""MNIST-style preprocessing of a student's photo or drawing (helpers.handwriting), on pictures
whose right answer is known: where the ink must end up, how large, how bright."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.handwriting import (
    BlankImageError,
    centre_by_mass,
    ink_is_light,
    preprocessing_steps,
    sample_photo,
    stretch_contrast,
    to_mnist,
)


def paper_with_bar(
    height=200, width=160, top=40, left=30, bar_height=90, bar_width=14, paper=220, ink=30
):
    """Light paper with one dark upright bar (a '1'), as a uint8 greyscale photo."""
    photo = np.full((height, width), paper, dtype=np.uint8)
    photo[top : top + bar_height, left : left + bar_width] = ink
    return photo


def difference_up_to_one_pixel(image, other):
    """Mean absolute difference per pixel, after the best shift by at most one pixel: rounding
    the centre of mass to whole pixels may place the same digit one pixel apart."""
    return min(
        np.abs(np.roll(image, (dr, dc), axis=(0, 1)) - other).mean()
        for dr in (-1, 0, 1)
        for dc in (-1, 0, 1)
    )


def centre_of_mass(image):
    rows, cols = np.indices(image.shape)
    return (rows * image).sum() / image.sum(), (cols * image).sum() / image.sum()


def ink_rows_and_cols(image):
    rows, cols = np.nonzero(image > 0)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


def test_result_is_an_mnist_picture():
    digit = to_mnist(paper_with_bar())
    assert digit.shape == (28, 28) and digit.dtype == np.float32
    assert digit.min() == 0.0 and digit.max() == 255.0


@pytest.mark.parametrize("top, left", [(5, 5), (100, 130), (5, 140), (105, 2)])
def test_an_off_centre_digit_ends_up_centred_by_its_mass(top, left):
    digit = to_mnist(paper_with_bar(height=200, width=160, top=top, left=left))
    row, col = centre_of_mass(digit)
    assert abs(row - 13.5) <= 0.5 and abs(col - 13.5) <= 0.5, (row, col)


def test_position_on_the_paper_does_not_change_the_result():
    one = to_mnist(paper_with_bar(top=10, left=10))
    other = to_mnist(paper_with_bar(top=95, left=120))
    np.testing.assert_allclose(one, other, atol=1.0)


def test_dark_ink_on_light_paper_and_light_ink_on_dark_give_the_same_digit():
    dark_on_light = paper_with_bar(paper=230, ink=20)
    light_on_dark = 255 - dark_on_light
    np.testing.assert_allclose(to_mnist(dark_on_light), to_mnist(light_on_dark), atol=1.0)


def test_mnist_digits_are_already_light_on_dark_and_stay_so(mnist_digit):
    assert ink_is_light(mnist_digit / 255.0)[14, 14] == pytest.approx(mnist_digit[14, 14] / 255.0)


def test_the_longer_side_becomes_twenty_pixels_and_proportions_are_kept():
    tall = to_mnist(paper_with_bar(bar_height=120, bar_width=30))
    rows, cols = ink_rows_and_cols(tall)
    assert rows == 20
    assert 4 <= cols <= 6  # 30/120 of 20 pixels, give or take the soft edges


def test_a_wide_digit_is_fitted_by_its_width():
    wide = np.full((200, 200), 240, dtype=np.uint8)
    wide[90:110, 20:180] = 10  # a dash
    rows, cols = ink_rows_and_cols(to_mnist(wide))
    assert cols == 20 and rows <= 4


@pytest.mark.parametrize("bar_width", [1, 3, 40])
def test_thin_and_thick_strokes_come_out_at_full_strength(bar_width):
    digit = to_mnist(paper_with_bar(bar_height=150, bar_width=bar_width))
    assert digit.max() == 255.0
    rows, _ = ink_rows_and_cols(digit)
    assert rows == 20


def test_uneven_light_leaves_no_ink_on_the_paper():
    photo = paper_with_bar().astype(np.float64)
    photo *= np.linspace(1.0, 0.55, photo.shape[1])  # lit from the left, darker to the right
    digit = to_mnist(photo.astype(np.uint8))
    assert ink_rows_and_cols(digit) == ink_rows_and_cols(to_mnist(paper_with_bar()))


def test_paper_grain_and_a_speck_of_dust_do_not_count_as_ink():
    rng = np.random.default_rng(0)
    photo = paper_with_bar().astype(np.float64) + rng.normal(0, 6, (200, 160))
    photo[190:192, 150:152] = 30  # a speck near the corner
    digit = to_mnist(np.clip(photo, 0, 255).astype(np.uint8))
    rows, cols = ink_rows_and_cols(digit)
    assert rows == 20 and cols <= 5


@pytest.mark.parametrize(
    "blank",
    [
        np.full((100, 100), 255, dtype=np.uint8),
        np.zeros((50, 80), dtype=np.uint8),
        np.full((120, 90), 200, dtype=np.uint8)
        + np.random.default_rng(1).integers(0, 6, (120, 90)).astype(np.uint8),
    ],
    ids=["white", "black", "grey paper with grain"],
)
def test_a_blank_picture_gets_a_clear_message(blank):
    with pytest.raises(BlankImageError, match="no digit found.*dark ink on light paper"):
        to_mnist(blank)


def test_colour_and_transparent_pictures_are_read_as_brightness():
    grey = paper_with_bar()
    rgb = np.repeat(grey[..., None], 3, axis=-1)
    rgba = np.concatenate([rgb, np.full(grey.shape + (1,), 255, dtype=np.uint8)], axis=-1)
    expected = to_mnist(grey)
    np.testing.assert_allclose(to_mnist(rgb), expected, atol=1.0)
    np.testing.assert_allclose(to_mnist(rgba), expected, atol=1.0)


def test_transparent_background_counts_as_white_paper():
    rgba = np.zeros((100, 100, 4), dtype=np.uint8)  # fully transparent "black"
    rgba[20:80, 45:55] = [0, 0, 0, 255]  # an opaque black bar
    digit = to_mnist(rgba)
    assert ink_rows_and_cols(digit)[0] == 20


def test_values_from_zero_to_one_work_like_bytes():
    photo = paper_with_bar()
    np.testing.assert_allclose(to_mnist(photo / 255.0), to_mnist(photo), atol=1.0)


def test_a_batch_instead_of_one_picture_says_so():
    with pytest.raises(ValueError, match="single image, not a batch"):
        to_mnist(np.zeros((5, 28, 28, 3, 1)))


def test_every_stage_is_returned_in_order():
    stages = preprocessing_steps(paper_with_bar())
    assert list(stages) == ["greyscale", "inverted", "contrast", "cropped", "fitted", "centred"]
    assert stages["inverted"][100, 35] > 0.8 and stages["inverted"][0, 0] < 0.2
    assert stages["contrast"][0, 0] == 0.0


def test_contrast_puts_paper_at_zero_and_the_strongest_ink_at_one():
    faint = np.full((60, 60), 0.3)
    faint[20:40, 28:32] = 0.5  # faint ink, brightened paper
    stretched = stretch_contrast(faint)
    assert stretched.max() == 1.0 and stretched[5, 5] == 0.0


def test_centring_never_pushes_ink_out_of_the_frame():
    lopsided = np.zeros((20, 20))
    lopsided[:, 19] = 1.0  # all the mass on the right edge
    frame = centre_by_mass(lopsided)
    assert frame.sum() == lopsided.sum()


def test_fake_photos_of_mnist_digits_come_back_close_to_the_digit(mnist_digits):
    from_photos = [to_mnist(sample_photo(digit, seed=i)) for i, digit in enumerate(mnist_digits)]
    own = [difference_up_to_one_pixel(a, to_mnist(b)) for a, b in zip(from_photos, mnist_digits)]
    others = mnist_digits[1:] + mnist_digits[:1]
    other = [difference_up_to_one_pixel(a, to_mnist(b)) for a, b in zip(from_photos, others)]
    # out of 255 per pixel: about 7 to its own digit, about 31 to another (measured)
    assert np.mean(own) < 10 and np.mean(own) < np.mean(other) / 3, (own, other)


def test_fake_photos_are_dark_ink_on_uneven_grey_paper(mnist_digit):
    photo = sample_photo(mnist_digit, seed=3)
    assert photo.shape == (240, 200, 3) and photo.dtype == np.uint8
    grey = photo.mean(axis=-1)
    corners = [grey[:10, :10].mean(), grey[:10, -10:].mean(), grey[-10:, :10].mean()]
    assert 100 < min(corners) and max(corners) < 230 and max(corners) - min(corners) > 3
    assert grey.min() < 80  # the ink


@pytest.fixture
def mnist_digits():
    """Thirty MNIST-like digits: soft strokes along random arcs, light on black, in 28 × 28
    (drawn here, since these tests must not need the data set)."""
    rng = np.random.default_rng(7)
    rows, cols = np.indices((28, 28))
    digits = []
    for _ in range(30):
        angles = np.linspace(rng.uniform(0, 3), rng.uniform(4, 7), 60)
        centre_row, centre_col = rng.uniform(11, 17, size=2)
        curve_rows = centre_row + rng.uniform(5, 9) * np.sin(angles)
        curve_cols = centre_col + rng.uniform(3, 6) * np.cos(angles)
        distance = np.min(
            np.hypot(rows[..., None] - curve_rows, cols[..., None] - curve_cols), axis=-1
        )
        digits.append(255 * np.clip(2.0 - distance, 0.0, 1.0))
    return digits


@pytest.fixture
def mnist_digit(mnist_digits):
    return mnist_digits[0]
