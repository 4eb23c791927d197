"""Self-checks for exercise set 10, your own digit: prepare a picture the way MNIST's were made,
then ask why the network answers as it does and how far to trust it (exercises 10.1 to 10.5).

Each check states the wrong answers students typically write ONCE, as a table of ``Mistake``s.
10.1, 10.3 and 10.4 give the hint of the entry that reproduces the student's answer, and otherwise
say what differs without guessing a cause; 10.2 finds where the student's frame put the digit and
names the rule that puts it there; 10.5 finds its entries by the answer's properties (the same T
for every data set, 1/T, log T, an answer that changes when every row of logits is shifted).
Every case is fresh seeded data of other sizes than MNIST's, so an answer hard-coded for 28 × 28
pictures, 10 classes or 10 bins fails. 10.3 explains a tiny NumPy "network" (a softmax over
weighted pixels) instead of a Keras model, so the check takes milliseconds.

>>> check.crop_to_ink(crop_to_ink)  # doctest: +SKIP
✅ Exercise 10.1: Correct: ...
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np

from ..check_results import CheckResult
from .classic import _number, _numeric
from .framework import Hint, as_array, call, run_check
from .mistakes import Mistake, first_difference, matching_mistake, same


def _shape(shape) -> str:
    """``12×9``: a picture's size as the hints write it."""
    return "×".join(str(side) for side in shape)


def _quietly(function, *args, **kwargs):
    """Call the student's function with NumPy's overflow and empty-mean warnings silenced: the
    check explains what went wrong, the warnings would only repeat it in red."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return call(function, *args, **kwargs)


# --- 10.1 --------------------------------------------------------------------------------------


def reference_crop_to_ink(image: np.ndarray) -> np.ndarray:
    """The right answer: the smallest rectangle of ``image`` that holds every pixel > 0.

    >>> ink = np.zeros((5, 6)); ink[1, 2] = ink[3, 4] = 1
    >>> reference_crop_to_ink(ink).shape
    (3, 3)
    """
    rows, cols = np.nonzero(np.asarray(image) > 0)
    return image[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]


def _box_without_plus_one(image):
    rows, cols = np.nonzero(image > 0)
    return image[rows.min() : rows.max(), cols.min() : cols.max()]


def _rows_and_columns_swapped(image):
    rows, cols = np.nonzero(image > 0)
    return image[cols.min() : cols.max() + 1, rows.min() : rows.max() + 1]


def _heaviest_lines(image):
    rows, cols = image.sum(axis=1), image.sum(axis=0)
    top, left = int(np.argmax(rows)), int(np.argmax(cols))
    bottom, right = len(rows) - int(np.argmax(rows[::-1])), len(cols) - int(np.argmax(cols[::-1]))
    return image[top:bottom, left:right]


def _ends_as_negative_indices(image):
    rows, cols = image.sum(axis=1) > 0, image.sum(axis=0) > 0
    top, left = int(np.argmax(rows)), int(np.argmax(cols))
    bottom, right = -int(np.argmax(rows[::-1])), -int(np.argmax(cols[::-1]))
    return image[top:bottom, left:right]


def _until_first_gap(image):
    rows, cols = image.sum(axis=1) > 0, image.sum(axis=0) > 0
    top, left = int(np.argmax(rows)), int(np.argmax(cols))
    bottom = top + int(np.argmax(~rows[top:]))
    right = left + int(np.argmax(~cols[left:]))
    return image[top:bottom, left:right]


def _above_half(image):
    rows, cols = np.nonzero(image > 0.5)
    return image[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]


def _cropped_mask(image):
    rows, cols = np.nonzero(image > 0)
    return (image > 0)[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]


NO_PLUS_ONE_HINT = (
    "your crop loses the last row and the last column of ink: a slice stops BEFORE its end, so "
    "image[rows.min():rows.max()] leaves out row rows.max(). Crop with "
    "image[rows.min():rows.max() + 1, cols.min():cols.max() + 1]."
)
SWAPPED_HINT = (
    "your crop takes its rows from the columns' range and its columns from the rows' range: "
    "np.nonzero(image > 0) returns the row indices FIRST, then the column indices (and "
    "image.sum(axis=1) gives one number per ROW, axis=0 one per column)."
)
HEAVIEST_HINT = (
    "np.argmax(sums) finds the row (or column) with the MOST ink, not the first one with any: "
    "look for the first nonzero sum, np.argmax(sums > 0), or take "
    "rows, cols = np.nonzero(image > 0) and crop from rows.min() to rows.max() + 1."
)
NEGATIVE_END_HINT = (
    "when the ink touches the bottom (or right) edge, your end index is -0, which is just 0, so "
    "image[top:-0] is EMPTY. Count the end from the start instead: "
    "len(rows) - np.argmax(rows[::-1] > 0), or rows.max() + 1 from np.nonzero(image > 0)."
)
FIRST_GAP_HINT = (
    "your crop stops at the first empty row (or column) after the ink starts: a digit can come "
    "in pieces (a 5's separate bar, a 4 drawn in two strokes), and when its ink reaches the edge "
    "of the picture there is no empty row at all. Crop to the LAST inked row and column: "
    "rows, cols = np.nonzero(image > 0), then rows.max() + 1 and cols.max() + 1."
)
FAINT_HINT = (
    "your crop cuts off faint ink: every pixel above 0 is ink here (the contrast step has already "
    "set the paper to exactly 0), so find the ink with image > 0, not a higher threshold."
)
MASK_HINT = (
    "you returned True/False (the mask, cropped): return the picture's own pixels inside the "
    "box, image[top:bottom, left:right], so that the grey edges of the strokes survive."
)
BOX_NOT_PICTURE_HINT = (
    "you returned where the box is; return the cropped PICTURE, "
    "image[top:bottom, left:right]: the next step scales it to 20 × 20."
)
FLAT_PIXELS_HINT = (
    "you returned a flat list of pixels (image[image > 0] picks the ink pixels one by one): crop "
    "a rectangle instead, image[top:bottom, left:right], which keeps the picture's shape and the "
    "black pixels between the strokes."
)

CROP_MISTAKES: list[Mistake] = [
    Mistake("no + 1", _box_without_plus_one, NO_PLUS_ONE_HINT),
    Mistake("rows and columns swapped", _rows_and_columns_swapped, SWAPPED_HINT),
    Mistake("argmax of the sums", _heaviest_lines, HEAVIEST_HINT),
    Mistake("negative end at the edge", _ends_as_negative_indices, NEGATIVE_END_HINT),
    Mistake("until the first gap", _until_first_gap, FIRST_GAP_HINT),
    Mistake("threshold above 0", _above_half, FAINT_HINT),
    Mistake("mask", _cropped_mask, MASK_HINT),
]

CROP_PRAISE = (
    "Correct: the smallest rectangle that holds every pixel of ink, faint pixels, pieces apart "
    "and ink on the picture's edge included. helpers.handwriting crops a photographed digit "
    "just so before it scales it to 20 × 20."
)


def crop_to_ink_cases() -> list[tuple[np.ndarray, str]]:
    """The (image, case) pairs 10.1 tries, in this order (read-only arrays).

    >>> [image.shape for image, _ in crop_to_ink_cases()]
    [(12, 9), (14, 11), (15, 20), (10, 16), (8, 13)]
    """
    rng = np.random.default_rng(101)
    faint = np.zeros((12, 9))
    faint[3:9, 2:7] = rng.uniform(0.55, 1.0, (6, 5))
    faint[4, 4] = 1.0
    faint[2, 4], faint[9, 3], faint[5, 1], faint[6, 7] = 0.02, 0.05, 0.01, 0.04

    pieces = np.zeros((14, 11))
    pieces[2:6, 3:9] = rng.uniform(0.6, 1.0, (4, 6))
    pieces[8:12, 1:4] = rng.uniform(0.6, 1.0, (4, 3))  # a second piece, below and to the left

    edge = np.zeros((15, 20), dtype=np.uint8)
    edge[9:, 9:] = rng.integers(40, 256, (6, 11)) * (rng.random((6, 11)) < 0.6)
    edge[9, 12], edge[14, 10], edge[11, 9], edge[12, 19] = 200, 90, 30, 255

    corner = np.zeros((10, 16))
    corner[:5, :7] = rng.uniform(0.6, 1.0, (5, 7)) * (rng.random((5, 7)) < 0.7)
    corner[0, 3], corner[2, 0], corner[4, 6] = 0.8, 0.7, 0.9

    single = np.zeros((8, 13), dtype=np.float32)
    single[5, 9] = 0.6

    cases = [
        (faint, "for a 12×9 picture (values 0 to 1) with faint ink at the edges of the digit"),
        (pieces, "for a 14×11 picture whose digit comes in two pieces"),
        (
            edge,
            "for a 15×20 uint8 picture (values 0 to 255) whose ink touches the bottom and right edges",
        ),
        (corner, "for a 10×16 picture whose ink touches the top and left edges"),
        (single, "for an 8×13 picture with a single pixel of ink"),
    ]
    for image, _ in cases:
        image.setflags(write=False)
    return cases


def crop_to_ink(function) -> CheckResult:
    """Exercise 10.1: ``crop_to_ink(image)`` returns the smallest rectangle of ``image`` that holds all its pixels > 0.

    >>> def answer(image):
    ...     rows, cols = np.nonzero(image > 0)
    ...     return image[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    >>> crop_to_ink(answer).status
    'pass'
    """

    def test(function):
        for image, case in crop_to_ink_cases():
            given = image.copy()
            try:
                answer = call(function, given)
            except Hint as hint:
                raise Hint(f"{case}, {hint}") from None
            _compare_crop(answer, image, case)
            if not np.array_equal(given, image):
                raise Hint(
                    f"{case}, your function changed the picture it was given: crop it, and "
                    "leave its pixels as they are."
                )
        return CROP_PRAISE

    return run_check("10.1", function, test)


def _compare_crop(answer, image: np.ndarray, case: str) -> None:
    if (
        isinstance(answer, (tuple, list))
        and answer
        and all(isinstance(part, slice) or np.ndim(part) == 0 for part in answer)
    ):
        raise Hint(f"{case}, {BOX_NOT_PICTURE_HINT}")
    crop = _numeric(as_array(answer, "your crop"), "the crop")
    expected = reference_crop_to_ink(image)
    if crop.ndim == 1:
        raise Hint(f"{case}, {FLAT_PIXELS_HINT}")
    if crop.dtype == bool and crop.shape == expected.shape:
        raise Hint(f"{case}, {MASK_HINT}")
    if same(crop, expected):
        return
    mistake = matching_mistake(crop, CROP_MISTAKES, (image,))
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    rows, cols = np.nonzero(image > 0)
    if crop.shape != expected.shape:
        raise Hint(
            f"{case}, the ink fills rows {rows.min()} to {rows.max()} and columns {cols.min()} to "
            f"{cols.max()}, a crop of shape {expected.shape}; yours has shape {crop.shape}."
        )
    raise Hint(f"{case}, {first_difference(expected, crop, 'the pixels of your crop')}")


# --- 10.2 --------------------------------------------------------------------------------------


def _centre_of_mass(digit: np.ndarray, weights: np.ndarray | None = None) -> tuple[float, float]:
    """(row, column) of the centre of mass, each pixel weighted by ``weights`` (its ink by default)."""
    weights = np.asarray(digit if weights is None else weights, dtype=np.float64)
    rows, cols = np.indices(weights.shape)
    return float((rows * weights).sum() / weights.sum()), float(
        (cols * weights).sum() / weights.sum()
    )


def _clipped(value: float, low: int, high: int) -> int:
    return int(min(max(value, low), high))


def _corner(digit, size: int, middle: float, centre=None, rounding=round) -> tuple[int, int]:
    """Where a rule puts the digit's top-left corner: ``rounding(middle - centre)``, kept inside."""
    height, width = np.shape(digit)
    centre_row, centre_col = centre or _centre_of_mass(digit)
    return (
        _clipped(rounding(middle - centre_row), 0, size - height),
        _clipped(rounding(middle - centre_col), 0, size - width),
    )


def _needs_clipping(digit, size: int) -> bool:
    """Whether centring the mass exactly would push part of the digit out of the frame."""
    height, width = np.shape(digit)
    centre_row, centre_col = _centre_of_mass(digit)
    top, left = round((size - 1) / 2 - centre_row), round((size - 1) / 2 - centre_col)
    return not (0 <= top <= size - height and 0 <= left <= size - width)


def reference_corner(digit, size: int = 28) -> tuple[int, int]:
    """Where the digit's top-left corner goes: its centre of mass as close to (size - 1) / 2 as
    whole-pixel shifts bring it, without pushing ink out of the frame.

    >>> digit = np.zeros((3, 4)); digit[0, 0] = 1
    >>> reference_corner(digit, size=9)
    (4, 4)
    """
    return _corner(digit, size, (size - 1) / 2)


def _framed(digit, size: int, corner: tuple[int, int]) -> np.ndarray:
    height, width = np.shape(digit)
    top, left = corner
    frame = np.zeros((size, size))
    frame[top : top + height, left : left + width] = digit
    return frame


def reference_centre_by_mass(digit: np.ndarray, size: int = 28) -> np.ndarray:
    """The right answer: ``digit`` in a ``size`` × ``size`` frame, centred by mass.

    >>> reference_centre_by_mass(np.ones((2, 2)), size=6)[2:4, 2:4].sum()
    np.float64(4.0)
    """
    return _framed(digit, size, reference_corner(digit, size))


def _box_corner(digit, size):
    height, width = np.shape(digit)
    return (size - height) // 2, (size - width) // 2


def _swapped_corner(digit, size):
    centre_row, centre_col = _centre_of_mass(digit)
    return _corner(digit, size, (size - 1) / 2, centre=(centre_col, centre_row))


def _mask_corner(digit, size):
    return _corner(digit, size, (size - 1) / 2, centre=_centre_of_mass(digit, digit > 0))


def _half_size_corner(digit, size):
    return _corner(digit, size, size / 2)


def _truncated_corner(digit, size):
    return _corner(digit, size, (size - 1) / 2, rounding=int)


def _rolled(digit, size):
    """The digit shifted with np.roll, which wraps ink that leaves one side around to the other."""
    height, width = np.shape(digit)
    centre_row, centre_col = _centre_of_mass(digit)
    middle = (size - 1) / 2
    frame = np.zeros((size, size))
    frame[:height, :width] = digit
    return np.roll(frame, (round(middle - centre_row), round(middle - centre_col)), axis=(0, 1))


BOX_HINT = (
    "you centred the digit's BOX: MNIST centres its centre of MASS, the ink-weighted mean "
    "position, (rows * digit).sum() / digit.sum() with rows, cols = np.indices(digit.shape). A 7 "
    "has most of its ink at the top, so it sits lower than its box's centre would put it."
)
SWAPPED_CENTRE_HINT = (
    "your digit is shifted down by the centre's COLUMN and right by its ROW: np.indices(shape) "
    "gives the row numbers first, then the column numbers; the top is decided by the rows, the "
    "left by the columns."
)
MASK_CENTRE_HINT = (
    "you weighed every inked pixel the same: the centre of mass weighs each pixel by its ink, "
    "(rows * digit).sum() / digit.sum(), so a faint edge pulls the centre less than a bold stroke."
)
HALF_PIXEL_HINT = (
    "your digit sits one pixel too far down or right. The middle of a frame of `size` pixels is "
    "(size - 1) / 2, 13.5 for 28, not size / 2: pixel centres run from 0 to size - 1. With "
    "size / 2 every digit lands half a pixel off, which rounding turns into a whole pixel for "
    "about half of them."
)
TRUNCATED_HINT = (
    "your digit sits one pixel too far up or left: int() cuts the fraction off (int(4.9) is 4). "
    "Round the shift to the NEAREST whole pixel, round(middle - centre)."
)
ROLL_HINT = (
    "np.roll wraps the ink that leaves one side of the frame around to the other side. Here the "
    "centre of mass is so far off that the digit cannot be centred without leaving the frame: "
    "keep it inside instead, clipping its top-left corner to 0 ... size - height (and "
    "0 ... size - width), then copy it in with frame[top:top + height, left:left + width] = digit."
)
CLIP_HINT = (
    "Here the centre of mass is so far off that centring it exactly would push ink out of the "
    "frame: clip the top-left corner to 0 ... size - height (and 0 ... size - width), e.g. "
    "top = min(max(top, 0), size - height)."
)
WHOLE_PIXELS_HINT = (
    "your frame holds the digit's ink, but not as the digit's own pixels moved by whole rows and "
    "columns: copy it in unchanged, frame[top:top + height, left:left + width] = digit (no "
    "interpolation, no wrapping)."
)
INTEGER_FRAME_HINT = (
    "your frame holds whole numbers only, so the digit's grey values were cut off when you copied "
    "it in: make the frame float, np.zeros((size, size))."
)
HARD_CODED_SIZE_HINT = (
    "your frame is 28 × 28, but size={size}: make it np.zeros((size, size)), and use size "
    "(not 28) for its middle too."
)

# The check finds these by where the student's frame puts the digit (np.roll: by its output).
CENTRE_MISTAKES: list[Mistake] = [
    Mistake("box centred", lambda d, size=28: _framed(d, size, _box_corner(d, size)), BOX_HINT),
    Mistake(
        "rows and columns swapped",
        lambda d, size=28: _framed(d, size, _swapped_corner(d, size)),
        SWAPPED_CENTRE_HINT,
    ),
    Mistake(
        "unweighted centre",
        lambda d, size=28: _framed(d, size, _mask_corner(d, size)),
        MASK_CENTRE_HINT,
    ),
    Mistake(
        "size / 2", lambda d, size=28: _framed(d, size, _half_size_corner(d, size)), HALF_PIXEL_HINT
    ),
    Mistake(
        "int instead of round",
        lambda d, size=28: _framed(d, size, _truncated_corner(d, size)),
        TRUNCATED_HINT,
    ),
    Mistake("np.roll", _rolled, ROLL_HINT),
]

# (rule, hint) in the order the check tries them on a misplaced digit.
_PLACEMENT_RULES = [
    (_swapped_corner, SWAPPED_CENTRE_HINT),
    (_box_corner, BOX_HINT),
    (_mask_corner, MASK_CENTRE_HINT),
    (_half_size_corner, HALF_PIXEL_HINT),
    (_truncated_corner, TRUNCATED_HINT),
]

CENTRE_PRAISE = (
    "Correct: the digit, unchanged, shifted by whole pixels so that its centre of mass lies as "
    "close to the middle of the frame, (size - 1) / 2, as it can without ink leaving the frame. "
    "That is how MNIST placed its digits, and what helpers.handwriting does to yours."
)


def _blobs(rng, shape, count: int, heavy: tuple[float, float]) -> np.ndarray:
    """Soft strokes of ink, heavier near ``heavy`` (a fraction of the height and the width)."""
    height, width = shape
    rows, cols = np.indices(shape)
    digit = np.zeros(shape)
    for _ in range(count):
        centre = rng.uniform(0, 1, 2) * [height - 1, width - 1]
        spread = rng.uniform(0.8, 2.0)
        digit += rng.uniform(0.3, 1.0) * np.exp(
            -((rows - centre[0]) ** 2 + (cols - centre[1]) ** 2) / (2 * spread**2)
        )
    pull = np.exp(
        -(
            ((rows / max(height - 1, 1)) - heavy[0]) ** 2
            + ((cols / max(width - 1, 1)) - heavy[1]) ** 2
        )
    )
    digit = digit * pull**3
    digit = np.where(digit > 0.08 * digit.max(), digit / digit.max(), 0.0)
    return digit


def _bold_seven() -> np.ndarray:
    """A 20 × 20 seven with a heavy top bar and a faint stem: its mass sits high up."""
    digit = np.zeros((20, 20))
    digit[0:4, 3:20] = 1.0
    digit[4:9, 16:20] = 0.9
    for row in range(4, 20):
        col = int(round(17 - (row - 4) * 0.55))
        digit[row, col - 1 : col + 1] = 0.35
    return digit


def centre_by_mass_cases() -> list[tuple[np.ndarray, int, str]]:
    """The (digit, size, case) triples 10.2 tries, in this order (read-only arrays).

    In the first, every wrong rule the check knows puts the digit somewhere else; in the third,
    centring the mass exactly would push the seven's bar out of the frame. No shift is a tie
    between two whole pixels, so round(), np.round() and floor(x + 0.5) all agree.

        >>> [(digit.shape, size) for digit, size, _ in centre_by_mass_cases()]
        [((20, 14), 28), ((9, 16), 20), ((20, 20), 28), ((7, 5), 15)]
    """
    blobs = lambda seed, shape, heavy: _blobs(np.random.default_rng(seed), shape, 6, heavy)
    digits = [
        (blobs(7, (20, 14), (0.8, 0.2)), 28),
        (blobs(3, (9, 16), (0.3, 0.7)), 20),
        (_bold_seven(), 28),
        (np.round(255 * blobs(4, (7, 5), (0.6, 0.4))).astype(np.uint8), 15),
    ]
    cases = []
    for digit, size in digits:
        digit.setflags(write=False)
        values = "0 to 255" if digit.dtype == np.uint8 else "0 to 1"
        case = f"for a {_shape(digit.shape)} digit (values {values}) in a {size}×{size} frame"
        if _needs_clipping(digit, size):
            case += ", whose centre of mass is too far off to centre exactly"
        cases.append((digit, size, case))
    return cases


def centre_by_mass(function) -> CheckResult:
    """Exercise 10.2: ``centre_by_mass(digit, size=28)`` places ``digit`` in a ``size`` × ``size`` frame with its centre of mass in the middle, (size - 1) / 2, by whole-pixel shifts, never pushing ink out of the frame.

    >>> centre_by_mass(reference_centre_by_mass).status
    'pass'
    """

    def test(function):
        for digit, size, case in centre_by_mass_cases():
            given = digit.copy()
            try:
                answer = call(function, given, size=size)
            except Hint as hint:
                clipped = "too far off" in case
                raise Hint(f"{case}, {hint}{' ' + CLIP_HINT if clipped else ''}") from None
            if not np.array_equal(given, digit):
                raise Hint(
                    f"{case}, your function changed the digit it was given: copy it into a new "
                    "frame, and leave its pixels as they are."
                )
            _compare_frame(answer, digit, size, case)
        return CENTRE_PRAISE

    return run_check("10.2", function, test)


def _compare_frame(answer, digit: np.ndarray, size: int, case: str) -> None:
    frame = _numeric(as_array(answer, "your frame"), "the frame")
    if frame.shape != (size, size):
        if frame.shape == (28, 28):
            raise Hint(f"{case}, {HARD_CODED_SIZE_HINT.format(size=size)}")
        raise Hint(
            f"{case}, the frame should have shape {(size, size)}, but yours has shape {frame.shape}."
        )
    expected = reference_centre_by_mass(digit, size)
    if same(frame, expected):
        return
    if same(frame, _rolled(digit, size)):
        raise Hint(f"{case}, {ROLL_HINT}")
    corner = _placement(frame, digit)
    if corner is None:
        if np.issubdtype(frame.dtype, np.integer) and not np.issubdtype(digit.dtype, np.integer):
            raise Hint(f"{case}, {INTEGER_FRAME_HINT}")
        if np.isclose(frame.sum(), float(digit.sum())):
            raise Hint(f"{case}, {WHOLE_PIXELS_HINT}")
        raise Hint(
            f"{case}, your frame does not hold the digit as it was (its ink adds up to "
            f"{_number(frame.sum())}, the digit's to {_number(digit.sum())}): copy the digit in "
            "unchanged, frame[top:top + height, left:left + width] = digit."
        )
    for rule, hint in _PLACEMENT_RULES:
        if corner == rule(digit, size):
            raise Hint(f"{case}, {hint}")
    centre_row, centre_col = _centre_of_mass(digit)
    right = reference_corner(digit, size)
    raise Hint(
        f"{case}, your frame puts the digit's top-left corner at row {corner[0]}, column "
        f"{corner[1]}. Its centre of mass is at row {centre_row:.2f}, column {centre_col:.2f} of "
        f"the digit, so the corner belongs at row {right[0]}, column {right[1]}: "
        f"round((size - 1) / 2 - centre), kept within 0 ... size - height (and size - width)."
    )


def _placement(frame: np.ndarray, digit: np.ndarray) -> tuple[int, int] | None:
    """The top-left corner at which ``frame`` holds ``digit`` unchanged on black, or None."""
    size = frame.shape[0]
    height, width = digit.shape
    for top in range(size - height + 1):
        for left in range(size - width + 1):
            if same(frame, _framed(digit, size, (top, left))):
                return top, left
    return None


# --- 10.3 --------------------------------------------------------------------------------------


class TinyNetwork:
    """A stand-in for ``model.predict``: a softmax over weighted pixels, for pictures of one shape.

    It takes a batch of pictures, shape (N, height, width) with values 0-255, and returns (N,
    classes) probabilities as float32, the way a Keras model's predict does. It counts its calls.

        >>> network = TinyNetwork((4, 5), classes=3, seed=0)
        >>> network(np.zeros((2, 4, 5))).shape, network.calls
        ((2, 3), 1)
    """

    def __init__(self, shape: tuple[int, int], classes: int, seed: int):
        rng = np.random.default_rng(seed)
        self.shape = tuple(shape)
        self.weights = rng.normal(0.0, 0.35, (shape[0] * shape[1], classes))
        self.bias = rng.normal(0.0, 0.5, classes)
        self.calls = 0

    def __call__(self, batch) -> np.ndarray:
        batch = np.asarray(batch, dtype=np.float64)
        if batch.ndim != 3 or batch.shape[1:] != self.shape:
            height, width = self.shape
            raise ValueError(
                f"predict takes a batch of pictures, shape (N, {height}, {width}), but it got "
                f"shape {batch.shape}. For one picture, pass picture[None] (a batch of one)."
            )
        self.calls += 1
        scores = (batch / 255.0).reshape(len(batch), -1) @ self.weights + self.bias
        exps = np.exp(scores - scores.max(axis=1, keepdims=True))
        return (exps / exps.sum(axis=1, keepdims=True)).astype(np.float32)


def _covered(image: np.ndarray, patch: int, fill: float, stride: int = 1, grow: int = 0):
    """Every copy of ``image`` with one square covered, row by row, and the map's shape."""
    height, width = image.shape
    rows, cols = range(0, height - patch + 1, stride), range(0, width - patch + 1, stride)
    copies = []
    for row in rows:
        for col in cols:
            copy = np.array(image, dtype=np.float64)
            copy[row : row + patch + grow, col : col + patch + grow] = fill
            copies.append(copy)
    return np.array(copies), (len(rows), len(cols))


def reference_occlusion_map(predict, image, label: int, patch: int = 6, fill: float = 128.0):
    """The right answer: ``map[r, c]`` is P(label) minus P(label) with the ``patch`` × ``patch``
    square whose top-left corner is (r, c) covered with ``fill``.

    >>> network = TinyNetwork((5, 5), classes=2, seed=0)
    >>> reference_occlusion_map(network, np.full((5, 5), 200.0), 1, patch=2).shape
    (4, 4)
    """
    copies, shape = _covered(image, patch, fill)
    before = predict(np.asarray(image, dtype=np.float64)[None])[0, label]
    return before - predict(copies)[:, label].reshape(shape)


def _accumulated(predict, image, label, patch=6, fill=128.0, in_place=False):
    covered = image if in_place else np.array(image, dtype=np.float64)
    before = predict(np.array(image, dtype=np.float64)[None])[0, label]
    size = image.shape[0] - patch + 1, image.shape[1] - patch + 1
    drops = np.zeros(size)
    for row in range(size[0]):
        for col in range(size[1]):
            covered[row : row + patch, col : col + patch] = fill
            drops[row, col] = before - predict(np.array(covered)[None])[0, label]
    return drops


def _probability_left(predict, image, label, patch=6, fill=128.0):
    copies, shape = _covered(image, patch, fill)
    return predict(copies)[:, label].reshape(shape)


def _other_class(predict, image, label, patch=6, fill=128.0):
    top = int(np.argmax(predict(np.asarray(image, dtype=np.float64)[None])[0]))
    return reference_occlusion_map(predict, image, top, patch, fill)


def _variant(predict, image, label, patch=6, fill=128.0, stride=1, grow=0):
    copies, shape = _covered(image, patch, fill, stride, grow)
    before = predict(np.asarray(image, dtype=np.float64)[None])[0, label]
    return before - predict(copies)[:, label].reshape(shape)


def _one_position_short(predict, image, label, patch=6, fill=128.0):
    return reference_occlusion_map(predict, image, label, patch, fill)[:-1, :-1]


IN_PLACE_HINT = (
    "your function painted the patches into the picture it was given: the caller's image is "
    "changed, and every position after the first is measured with the earlier patches still on. "
    "Cover a fresh copy for every position, covered = image.copy()."
)
ACCUMULATED_HINT = (
    "your covered picture keeps every earlier patch: each position should cover ONE square. "
    "Start from a fresh copy of the original for every position (covered = image.copy() INSIDE "
    "the loop)."
)
PROBABILITY_HINT = (
    "you returned the probability of label with the patch on; the map is how much it DROPS: "
    "the probability of the uncovered picture minus that of the covered one."
)
SIGN_HINT = (
    "your map has the opposite sign: the drop is the probability WITHOUT the patch minus the "
    "probability with it, so squares the network needs come out positive."
)
TOP_CLASS_HINT = (
    "you measured the probability of the network's own answer (its most probable class), but the "
    "map is for the class `label` you are given, whatever the network answers: use "
    "predict(...)[:, label]."
)
TRANSPOSED_HINT = (
    "your map is transposed: map[r, c] belongs to the patch whose top-left corner is at ROW r and "
    "COLUMN c. Loop over the rows outside and the columns inside, or reshape to "
    "(height - patch + 1, width - patch + 1)."
)
STRIDE_HINT = (
    "you moved the patch by its own size, in tiles: slide it one pixel at a time (stride 1), so "
    "the map has (height - patch + 1) × (width - patch + 1) positions."
)
ONE_SHORT_HINT = (
    "your map misses the last row and column of positions: a patch fits at height - patch + 1 "
    "rows (0 to height - patch), so loop over range(height - patch + 1), and the same for the "
    "columns."
)
FILL_HINT = (
    "you covered the square with 0, whatever `fill` says: paint it with fill, "
    "covered[r:r + patch, c:c + patch] = fill (the lesson uses grey, 128, because on MNIST black "
    "is the background)."
)
PATCH_SIZE_HINT = (
    "your patch covers a square of another size than patch × patch: "
    "covered[r:r + patch, c:c + patch] = fill."
)
PER_CLASS_HINT = (
    "return one number per position, the drop of the probability of `label` only: your map "
    "has a number for every class."
)

OCCLUSION_MISTAKES: list[Mistake] = [
    Mistake(
        "in place",
        lambda predict, image, label, patch=6, fill=128.0: _accumulated(
            predict, image, label, patch, fill, in_place=True
        ),
        IN_PLACE_HINT,  # found before any comparison: the picture it was given changed
    ),
    Mistake("accumulated on one copy", _accumulated, ACCUMULATED_HINT),
    Mistake("probability, not drop", _probability_left, PROBABILITY_HINT),
    Mistake(
        "sign",
        lambda *args, **kwargs: -reference_occlusion_map(*args, **kwargs),
        SIGN_HINT,
    ),
    Mistake("top class", _other_class, TOP_CLASS_HINT),
    Mistake(
        "transposed",
        lambda *args, **kwargs: reference_occlusion_map(*args, **kwargs).T,
        TRANSPOSED_HINT,
    ),
    Mistake(
        "tiles",
        lambda predict, image, label, patch=6, fill=128.0: _variant(
            predict, image, label, patch, fill, stride=patch
        ),
        STRIDE_HINT,
    ),
    Mistake("one position short", _one_position_short, ONE_SHORT_HINT),
    Mistake(
        "fill ignored",
        lambda predict, image, label, patch=6, fill=128.0: reference_occlusion_map(
            predict, image, label, patch, 0.0
        ),
        FILL_HINT,
    ),
    Mistake(
        "patch one smaller",
        lambda predict, image, label, patch=6, fill=128.0: _variant(
            predict, image, label, patch, fill, grow=-1
        ),
        PATCH_SIZE_HINT,
    ),
]

OCCLUSION_PRAISE = (
    "Correct: for every position of the patch, how much the probability of `label` drops when "
    "that square is covered, each patch on a fresh copy of the picture. Large drops mark what "
    "the network needed to give that class."
)
MANY_CALLS_TIP = (
    " (Your function called predict {calls} times for {positions} positions: fine here, but on "
    "a real network one call with all the covered copies stacked into one batch is many times "
    "faster.)"
)


# (height, width, patch, fill or None for the defaults, label's rank: 0 is the top class, seed)
OCCLUSION_CASES = (
    (10, 10, 3, 0.0, 0, 31),
    (9, 12, 4, 200.0, 1, 32),
    (7, 7, 1, 0.0, 2, 33),
    (16, 16, None, None, 0, 34),
)


def occlusion_map_cases() -> list[tuple[TinyNetwork, np.ndarray, int, dict, str]]:
    """The (predict, image, label, keyword arguments, case) 10.3 tries, in this order.

    >>> [(image.shape, kwargs) for _, image, _, kwargs, _ in occlusion_map_cases()]
    [((10, 10), {'patch': 3, 'fill': 0.0}), ((9, 12), {'patch': 4, 'fill': 200.0}), ((7, 7), {'patch': 1, 'fill': 0.0}), ((16, 16), {})]
    """
    cases = []
    for height, width, patch, fill, rank, seed in OCCLUSION_CASES:
        rng = np.random.default_rng(seed)
        image = np.where(
            rng.random((height, width)) < 0.4, rng.uniform(60, 255, (height, width)), 0.0
        ).astype(np.float32)
        image.setflags(write=False)
        network = TinyNetwork((height, width), classes=4, seed=seed)
        label = int(np.argsort(-network(image[None])[0])[rank])
        network.calls = 0
        kwargs = {} if patch is None else {"patch": patch, "fill": fill}
        which = ("the top class", "the second most probable class", "the third most probable class")
        settings = (
            "the default patch=6 and fill=128" if patch is None else f"patch={patch}, fill={fill:g}"
        )
        case = (
            f"for a {_shape(image.shape)} picture, {settings} and label={label} "
            f"({which[rank]} of a small network with 4 classes)"
        )
        cases.append((network, image, label, kwargs, case))
    return cases


def occlusion_map(function) -> CheckResult:
    """Exercise 10.3: ``occlusion_map(predict, image, label, patch=6, fill=128.0)`` returns, for every position of a ``patch`` × ``patch`` square (stride 1), how much ``predict``'s probability of ``label`` drops when that square of ``image`` is painted with ``fill``.

    >>> occlusion_map(reference_occlusion_map).status
    'pass'
    """

    def test(function):
        calls = positions = 0
        for network, image, label, kwargs, case in occlusion_map_cases():
            given = image.copy()
            try:
                answer = call(function, network, given, label, **kwargs)
            except Hint as hint:
                message = str(hint)
                if "predict takes a batch" not in message:
                    message += (
                        " (The check passes a small predict function of its own, for pictures of "
                        f"shape {image.shape}: call predict(batch), not your model.)"
                    )
                raise Hint(f"{case}, {message}") from None
            calls += network.calls
            if not np.array_equal(given, image):
                raise Hint(f"{case}, {IN_PLACE_HINT}")
            _compare_map(answer, network, image, label, kwargs, case)
            positions += int(np.prod(np.asarray(answer).shape))
        tip = MANY_CALLS_TIP.format(calls=calls, positions=positions) if calls > 8 else ""
        return OCCLUSION_PRAISE + tip

    return run_check("10.3", function, test)


def _compare_map(answer, network, image, label: int, kwargs: dict, case: str) -> None:
    drops = _numeric(as_array(answer, "your map"), "the map")
    patch = kwargs.get("patch", 6)
    expected = reference_occlusion_map(network, image, label, **kwargs)
    if same(drops, expected):
        return
    if drops.ndim == 3 and drops.shape[-1] == 4:
        raise Hint(f"{case}, {PER_CLASS_HINT}")
    mistake = matching_mistake(
        drops, OCCLUSION_MISTAKES[1:], (network, image, label, patch, kwargs.get("fill", 128.0))
    )
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    if drops.shape != expected.shape:
        height, width = image.shape
        raise Hint(
            f"{case}, the map should have shape {expected.shape}: a {patch}×{patch} patch fits at "
            f"{height} - {patch} + 1 = {expected.shape[0]} rows and {width} - {patch} + 1 = "
            f"{expected.shape[1]} columns. Yours has shape {drops.shape}."
        )
    raise Hint(f"{case}, {first_difference(expected, drops, 'the drops in your map')}")


# --- 10.4 --------------------------------------------------------------------------------------


def _bin_of(confidence: np.ndarray, bins: int) -> np.ndarray:
    """Equal-width bins on [0, 1]: [0, 1/bins), [1/bins, 2/bins), ... and the last one closed."""
    return np.minimum((confidence * bins).astype(int), bins - 1)


def _per_bin(probabilities, labels, bins, confidence=None, which=None):
    """(share of the examples, accuracy, mean confidence) of every non-empty bin."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    confidence = probabilities.max(axis=1) if confidence is None else confidence
    correct = probabilities.argmax(axis=1) == np.asarray(labels)
    which = _bin_of(confidence, bins) if which is None else which
    return [
        (np.mean(which == b), correct[which == b].mean(), confidence[which == b].mean())
        for b in np.unique(which)
    ]


def reference_expected_calibration_error(probabilities, labels, bins: int = 10) -> float:
    """The right answer: sum over the equal-width confidence bins on [0, 1] of
    (examples in the bin / all examples) × |accuracy in the bin - mean confidence in the bin|.

    >>> probabilities = np.array([[0.9, 0.1], [0.6, 0.4]])  # right at 0.9, wrong at 0.6
    >>> round(float(reference_expected_calibration_error(probabilities, np.array([0, 1]))), 4)
    0.35
    """
    return sum(
        share * abs(accuracy - mean)
        for share, accuracy, mean in _per_bin(probabilities, labels, bins)
    )


def _unweighted(probabilities, labels, bins=10):
    return np.mean([abs(a - c) for _, a, c in _per_bin(probabilities, labels, bins)])


def _every_bin_unweighted(probabilities, labels, bins=10):
    return sum(abs(a - c) for _, a, c in _per_bin(probabilities, labels, bins)) / bins


def _empty_bins_nan(probabilities, labels, bins=10):
    confidence = np.asarray(probabilities).max(axis=1)
    correct = np.asarray(probabilities).argmax(axis=1) == labels
    which = _bin_of(confidence, bins)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return sum(
            np.mean(which == b) * abs(correct[which == b].mean() - confidence[which == b].mean())
            for b in range(bins)
        )


def _true_class_confidence(probabilities, labels, bins=10):
    probabilities = np.asarray(probabilities, dtype=np.float64)
    confidence = probabilities[np.arange(len(labels)), np.asarray(labels, dtype=np.int64)]
    return sum(s * abs(a - c) for s, a, c in _per_bin(probabilities, labels, bins, confidence))


def _by_rank(probabilities, labels, bins=10):
    confidence = np.asarray(probabilities, dtype=np.float64).max(axis=1)
    which = np.zeros(len(confidence), dtype=int)
    for b, group in enumerate(np.array_split(np.argsort(confidence, kind="stable"), bins)):
        which[group] = b
    return sum(s * abs(a - c) for s, a, c in _per_bin(probabilities, labels, bins, which=which))


def _over_the_data_range(probabilities, labels, bins=10):
    confidence = np.asarray(probabilities, dtype=np.float64).max(axis=1)
    _, edges = np.histogram(confidence, bins=bins)
    which = np.digitize(confidence, edges[1:-1])
    return sum(s * abs(a - c) for s, a, c in _per_bin(probabilities, labels, bins, which=which))


def _ones_dropped(probabilities, labels, bins=10):
    confidence = np.asarray(probabilities, dtype=np.float64).max(axis=1)
    correct = np.asarray(probabilities).argmax(axis=1) == labels
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        inside = (confidence >= low) & (confidence < high)
        if inside.any():
            total += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return total


def _signed(probabilities, labels, bins=10):
    return sum(s * (a - c) for s, a, c in _per_bin(probabilities, labels, bins))


def _counts(probabilities, labels, bins=10):
    return len(labels) * reference_expected_calibration_error(probabilities, labels, bins)


def _largest_gap(probabilities, labels, bins=10):
    return max(abs(a - c) for _, a, c in _per_bin(probabilities, labels, bins))


BIN_EDGES = "np.linspace(0, 1, bins + 1)"
UNWEIGHTED_HINT = (
    "you averaged the bins' gaps as if every bin were equally important: weigh each gap by the "
    "bin's share of the examples, n_bin / N. A bin with 3 answers in it should count for little, "
    "the bin with most of them for a lot."
)
EMPTY_BINS_HINT = (
    "you averaged over ALL the bins, empty ones counting 0: weigh each bin's gap by its share of "
    "the examples, n_bin / N, and an empty bin then counts nothing, as it should."
)
NAN_HINT = (
    "your ECE is nan: the mean of an empty bin is nan (the mean of nothing), and one nan makes "
    "the whole sum nan. Skip the empty bins (their weight n_bin / N is 0 anyway)."
)
TRUE_CLASS_HINT = (
    "you took the probability of the TRUE class as the confidence: the confidence is how sure "
    "the model is of its OWN answer, the largest probability in the row, "
    "probabilities.max(axis=1), whether that answer is right or not."
)
RANK_HINT = (
    "your bins hold equal NUMBERS of examples (sorted by confidence, then split): the ECE's bins "
    f"have equal WIDTHS on [0, 1], with edges {BIN_EDGES}, however many answers fall in each."
)
DATA_RANGE_HINT = (
    "your bins span only the confidences that occur (np.histogram's default range is their "
    f"minimum to their maximum): the ECE's bins are fixed, equal-width on [0, 1], edges {BIN_EDGES} "
    "(or np.histogram(..., range=(0, 1)))."
)
ONES_HINT = (
    "the confidences of exactly 1.0 fell outside every bin: bins of the form [low, high) leave "
    "1.0 out of the last one. Let the last bin include 1.0, e.g. "
    "which = np.minimum((confidence * bins).astype(int), bins - 1). (A trained network gives "
    "1.0 more often than you would think: float32 rounds 0.99999999 up.)"
)
SIGNED_HINT = (
    "you added up signed differences, so over-confident and under-confident bins cancel out: "
    "take the absolute value of each bin's gap, |accuracy - confidence|."
)
COUNTS_HINT = (
    "you weighed each bin by its NUMBER of examples: weigh it by its share, n_bin / N, so the ECE "
    "stays between 0 and 1 however many examples there are."
)
PERCENT_HINT = "return the ECE as a fraction between 0 and 1, not as a percentage."
LARGEST_GAP_HINT = (
    "you returned the LARGEST gap of any bin (that is the maximum calibration error): the ECE is "
    "the weighted SUM of the gaps, each times its bin's share of the examples."
)
PER_BIN_HINT = (
    "you returned one number per bin: the ECE is their weighted sum, a single number, "
    "sum(n_bin / N * |accuracy_bin - confidence_bin|)."
)

ECE_MISTAKES: list[Mistake] = [
    Mistake("unweighted", _unweighted, UNWEIGHTED_HINT),
    Mistake("empty bins counted", _every_bin_unweighted, EMPTY_BINS_HINT),
    Mistake("nan from empty bins", _empty_bins_nan, NAN_HINT),
    Mistake("true class's probability", _true_class_confidence, TRUE_CLASS_HINT),
    Mistake("bins by rank", _by_rank, RANK_HINT),
    Mistake("bins over the data's range", _over_the_data_range, DATA_RANGE_HINT),
    Mistake("1.0 outside the bins", _ones_dropped, ONES_HINT),
    Mistake("signed", _signed, SIGNED_HINT),
    Mistake("counts, not shares", _counts, COUNTS_HINT),
    Mistake(
        "percent",
        lambda p, y, bins=10: 100 * reference_expected_calibration_error(p, y, bins),
        PERCENT_HINT,
    ),
    Mistake("largest gap", _largest_gap, LARGEST_GAP_HINT),
]

ECE_PRAISE = (
    "Correct: each bin's gap between how sure the model is and how often it is right, weighted "
    "by the bin's share of the answers, empty bins skipped and a confidence of 1.0 in the last "
    "bin. 0 would mean perfectly calibrated."
)


def _softmax(scores: np.ndarray) -> np.ndarray:
    exps = np.exp(scores - scores.max(axis=1, keepdims=True))
    return exps / exps.sum(axis=1, keepdims=True)


def _sampled_labels(rng, probabilities: np.ndarray) -> np.ndarray:
    """One label per row, drawn from that row's probabilities."""
    return (probabilities.cumsum(axis=1) > rng.random((len(probabilities), 1))).argmax(axis=1)


# (seed, examples, classes, bins, sharpness of the rows (one value each, drawn from these), rows
# that are certain, dtype, labels' dtype). Mixed sharpness makes some bins over- and others
# under-confident: only then does the way the examples are binned change the ECE.
ECE_CASES = (
    (41, 400, 10, 10, (0.5, 2.0), 0, np.float32, np.int64),
    (42, 300, 3, 5, (1.3,), 60, np.float32, np.uint8),
    (43, 250, 4, 15, (0.6,), 0, np.float64, np.int64),
)


def expected_calibration_error_cases() -> list[tuple[np.ndarray, np.ndarray, int, str]]:
    """The (probabilities, labels, bins, case) 10.4 tries, in this order (read-only arrays).

    No confidence lies on an edge between two bins, so either side's convention gives the same
    bins; in the second case some confidences are exactly 1.0, which belong in the last bin.

        >>> [(p.shape, bins) for p, _, bins, _ in expected_calibration_error_cases()]
        [((400, 10), 10), ((300, 3), 5), ((250, 4), 15)]
    """
    cases = []
    for seed, count, classes, bins, sharpnesses, certain, dtype, label_dtype in ECE_CASES:
        rng = np.random.default_rng(seed)
        scores = rng.normal(0.0, 1.0, (count, classes))
        scores[np.arange(count), rng.integers(0, classes, count)] += 2.0
        sharpness = rng.choice(sharpnesses, (count, 1))
        for _ in range(100):  # move every confidence away from the bins' inner edges
            probabilities = _softmax(sharpness * scores).astype(dtype)
            confidence = probabilities.max(axis=1).astype(np.float64) * bins
            near = np.abs(confidence - np.round(confidence)) < 2e-3
            near &= np.round(confidence) < bins
            if not near.any():
                break
            scores[near] += rng.normal(0.0, 0.3, (int(near.sum()), classes))
        labels = _sampled_labels(rng, _softmax(scores))
        if certain:
            rows = rng.choice(count, certain, replace=False)
            probabilities[rows] = np.eye(classes, dtype=dtype)[probabilities[rows].argmax(axis=1)]
            wrong = rows[: certain // 5]  # a fifth of the certain answers are wrong
            labels[wrong] = (probabilities[wrong].argmax(axis=1) + 1) % classes
        labels = labels.astype(label_dtype)
        for array in (probabilities, labels):
            array.setflags(write=False)
        how = (
            "a model over-confident on some answers and under-confident on others"
            if len(sharpnesses) > 1
            else ("an over-confident model" if sharpnesses[0] > 1 else "an under-confident model")
        )
        certainty = f" ({certain} of them with confidence exactly 1.0)" if certain else ""
        case = (
            f"for {count} {dtype.__name__} predictions of {classes} classes from {how}"
            f"{certainty} and bins={bins}"
        )
        cases.append((probabilities, labels, bins, case))
    return cases


def expected_calibration_error(function) -> CheckResult:
    """Exercise 10.4: ``expected_calibration_error(probabilities, labels, bins=10)``: confidence = the largest probability, equal-width bins on [0, 1], ECE = sum over bins of (n_bin / N) × |accuracy_bin - mean confidence_bin|.

    >>> expected_calibration_error(reference_expected_calibration_error).status
    'pass'
    """

    def test(function):
        for probabilities, labels, bins, case in expected_calibration_error_cases():
            try:
                answer = _quietly(function, probabilities.copy(), labels.copy(), bins=bins)
            except Hint as hint:
                extra = ""
                if (probabilities.max(axis=1) == 1).any():
                    extra = f" Some confidences here are exactly 1.0: {ONES_HINT}"
                raise Hint(f"{case}, {hint}{extra}") from None
            _compare_ece(answer, probabilities, labels, bins, case)
        return ECE_PRAISE

    return run_check("10.4", function, test)


def _same_number(answer, wrong) -> bool:
    """Whether two single numbers agree: close, or both not finite."""
    try:
        answer, wrong = float(np.asarray(answer).reshape(())), float(np.asarray(wrong).reshape(()))
    except (TypeError, ValueError):
        return False
    if not np.isfinite(wrong):
        return not np.isfinite(answer)
    return bool(np.isclose(answer, wrong, rtol=1e-5, atol=1e-7))


def _compare_ece(answer, probabilities, labels, bins: int, case: str) -> None:
    ece = _numeric(as_array(answer, "your ECE"), "the ECE")
    if ece.size == bins and ece.size > 1:
        raise Hint(f"{case}, {PER_BIN_HINT}")
    if ece.size != 1:
        raise Hint(f"{case}, return a single number, but your function returned shape {ece.shape}.")
    ece = float(ece.reshape(()))
    expected = reference_expected_calibration_error(probabilities, labels, bins)
    if np.isfinite(ece) and np.isclose(ece, expected, rtol=1e-5, atol=1e-7):
        return
    mistake = matching_mistake(ece, ECE_MISTAKES, (probabilities, labels, bins), _same_number)
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    raise Hint(
        f"{case}, your ECE is {_number(ece)}, but it should be {expected:.6g}: confidence = "
        f"probabilities.max(axis=1), correct = probabilities.argmax(axis=1) == labels, bins with "
        f"edges {BIN_EDGES}, then the sum of n_bin / N × |mean(correct) - mean(confidence)| "
        "over the non-empty bins."
    )


# --- 10.5 --------------------------------------------------------------------------------------

TOLERANCE = 0.02  # a temperature within 2 % of the best one passes


def negative_log_likelihood(logits, labels, temperature: float) -> float:
    """Mean -log softmax(logits / temperature)[label], computed so that nothing overflows.

    >>> round(negative_log_likelihood(np.array([[2.0, 0.0]]), np.array([0]), 1.0), 4)
    0.1269
    """
    scores = np.asarray(logits, dtype=np.float64) / temperature
    scores = scores - scores.max(axis=1, keepdims=True)
    log_sums = np.log(np.exp(scores).sum(axis=1))
    return float(
        np.mean(log_sums - scores[np.arange(len(scores)), np.asarray(labels, dtype=np.int64)])
    )


def reference_fit_temperature(logits, labels) -> float:
    """The right answer: the T > 0 that minimizes the negative log-likelihood of
    softmax(logits / T), found by a grid over log T and a golden-section search around its best.

    >>> rng = np.random.default_rng(0)
    >>> logits = rng.normal(0, 3, (500, 4)); labels = rng.integers(0, 4, 500)
    >>> reference_fit_temperature(logits, labels) > 3  # random labels: flatten a lot
    True
    """
    loss = lambda log_t: negative_log_likelihood(logits, labels, float(np.exp(log_t)))
    grid = np.linspace(np.log(0.01), np.log(100.0), 201)
    best = int(np.argmin([loss(log_t) for log_t in grid]))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    ratio = (np.sqrt(5) - 1) / 2
    while high - low > 1e-9:
        left, right = high - ratio * (high - low), low + ratio * (high - low)
        if loss(left) < loss(right):
            high = right
        else:
            low = left
    return float(np.exp((low + high) / 2))


def _grid_fit(loss, logits, labels, grid=None, answer=lambda t: t) -> float:
    """A student's fit: the T of a grid over [0.05, 20] with the smallest ``loss``; np.argmin
    picks the first nan, as a student's np.argmin would."""
    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 801)) if grid is None else grid
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        losses = [loss(logits, labels, t) for t in grid]
    return float(answer(grid[int(np.argmin(losses))]))


def _nll(probabilities, labels) -> float:
    return float(
        -np.mean(np.log(probabilities[np.arange(len(labels)), np.asarray(labels, dtype=np.int64)]))
    )


def _raw_softmax(scores):
    exps = np.exp(scores)
    return exps / exps.sum(axis=1, keepdims=True)


def _global_max_softmax(scores):
    exps = np.exp(scores - scores.max())
    return exps / exps.sum(axis=1, keepdims=True)


INVERSE_HINT = (
    "your T is the INVERSE of the best one (about 1 / T): divide the logits by T, "
    "softmax(logits / T), and return that T. (Multiplying the logits by T, or returning 1 / T, "
    "gives the inverse.) T > 1 softens an over-confident network."
)
LOG_HINT = (
    "your answer is log T, not T: if you searched over log T (a good idea), return "
    "np.exp(best_log_t)."
)
SAME_T_HINT = (
    "your function returned the same T for every data set, although their best temperatures "
    "differ: it does not respond to the data. Two usual causes: fitting on ACCURACY, which does "
    "not change with T at all (dividing every logit by the same T > 0 keeps the largest one the "
    "largest), or comparing with the network's own predictions instead of the labels. Minimize "
    "the negative log-likelihood of the true labels, "
    "-mean(log softmax(logits / T)[np.arange(N), labels])."
)
OVERFLOW_HINT = (
    "your softmax overflowed: exp of a large number is inf (above about 709 in float64, 88 in "
    "float32; logits / T get large when T is small or the logits are large), and inf / inf is "
    "nan. Subtract each row's OWN largest value first, "
    "scores - scores.max(axis=1, keepdims=True): the softmax stays the same, and the largest "
    "exponent is exp(0) = 1. Your function gave the right T once every row's largest logit was "
    "moved to 0."
)
POSITIVE_HINT = "a temperature must be positive: T > 0."
NAN_T_HINT = (
    "your T is not a finite number: look for a log(0) (a probability of exactly 0) or an "
    "overflowing exp in your negative log-likelihood."
)
SEARCH_HINT = (
    "make sure you search fine enough (steps of 1 % or less, e.g. 400 values of "
    "np.exp(np.linspace(np.log(0.1), np.log(10), 400))) and wide enough (0.1 to 10)"
)

TEMPERATURE_MISTAKES: list[Mistake] = [
    Mistake(
        "multiplied by T",
        lambda z, y: _grid_fit(lambda z, y, t: _nll(_softmax(z * t), y), z, y),
        INVERSE_HINT,
    ),
    Mistake(
        "returns 1 / T",
        lambda z, y: _grid_fit(
            lambda z, y, t: _nll(_softmax(z / t), y), z, y, answer=lambda t: 1 / t
        ),
        INVERSE_HINT,
    ),
    Mistake(
        "returns log T",
        lambda z, y: _grid_fit(lambda z, y, t: _nll(_softmax(z / t), y), z, y, answer=np.log),
        LOG_HINT,
    ),
    Mistake(
        "fitted on accuracy",
        lambda z, y: _grid_fit(lambda z, y, t: -np.mean(_softmax(z / t).argmax(axis=1) == y), z, y),
        SAME_T_HINT,
    ),
    Mistake(
        "fitted on the network's own answers",
        lambda z, y: _grid_fit(lambda z, y, t: _nll(_softmax(z / t), z.argmax(axis=1)), z, y),
        SAME_T_HINT,
    ),
    Mistake(
        "softmax without subtracting the max",
        lambda z, y: _grid_fit(lambda z, y, t: _nll(_raw_softmax(z / t), y), z, y),
        OVERFLOW_HINT,
    ),
    Mistake(
        "softmax minus the overall max",
        lambda z, y: _grid_fit(lambda z, y, t: _nll(_global_max_softmax(z / t), y), z, y),
        OVERFLOW_HINT,
    ),
    Mistake(
        "coarse grid",
        lambda z, y: _grid_fit(
            lambda z, y, t: _nll(_softmax(z / t), y), z, y, grid=np.linspace(0.1, 10, 12)
        ),
        SEARCH_HINT,
    ),
]

TEMPERATURE_PRAISE = (
    "Correct: the temperature that minimizes the negative log-likelihood, to within 2 %, for "
    "over- and under-confident networks alike, huge logits included. Dividing the logits by it "
    "changes no answer and makes the confidences honest."
)


# (seed, examples, classes, the network's temperature, dtype, labels' dtype, offsets of the rows)
TEMPERATURE_CASES = (
    (51, 1200, 10, 2.2, np.float32, np.int64, None),
    (52, 1000, 5, 0.55, np.float64, np.uint8, None),
    (53, 1000, 10, 1.4, np.float32, np.int64, (1000.0, 4000.0)),
    (54, 800, 3, 5.0, np.float64, np.int64, None),
)


@lru_cache(maxsize=1)
def fit_temperature_cases() -> tuple[tuple[np.ndarray, np.ndarray, float, str], ...]:
    """The (logits, labels, best T, case) 10.5 tries, in this order (read-only arrays).

    The labels are drawn from softmax(logits / T_network), so the best T is close to T_network;
    the check's reference computes it exactly on the data. In the third case every row of
    logits is shifted by a number between 1,000 and 4,000 (which changes no probability).

        >>> [round(best, 2) for *_, best, _ in fit_temperature_cases()]  # drawn with 2.2, 0.55, 1.4, 5
        [2.11, 0.57, 1.49, 4.79]
    """
    cases = []
    for seed, count, classes, temperature, dtype, label_dtype, offsets in TEMPERATURE_CASES:
        rng = np.random.default_rng(seed)
        scores = rng.normal(0.0, 1.0, (count, classes))
        scores[np.arange(count), rng.integers(0, classes, count)] += 2.5
        labels = _sampled_labels(rng, _softmax(scores)).astype(label_dtype)
        logits = temperature * scores
        if offsets is not None:
            logits = logits + rng.uniform(*offsets, (count, 1))
        logits = logits.astype(dtype)
        for array in (logits, labels):
            array.setflags(write=False)
        how = "an over-confident" if temperature > 1 else "an under-confident"
        case = (
            f"for {count:,} rows of {dtype.__name__} logits of {classes} classes from {how} network"
        )
        if offsets is not None:
            case += f" (logits between about {offsets[0]:,.0f} and {offsets[1]:,.0f})"
        cases.append((logits, labels, reference_fit_temperature(logits, labels), case))
    return tuple(cases)


def fit_temperature(function) -> CheckResult:
    """Exercise 10.5: ``fit_temperature(logits, labels)`` returns the T > 0 that minimizes the mean negative log-likelihood of softmax(logits / T) for the labels, to within 2 %.

    >>> fit_temperature(reference_fit_temperature).status
    'pass'
    """

    def test(function):
        cases = fit_temperature_cases()
        answers = [
            _temperature_from(function, logits, labels, case) for logits, labels, _, case in cases
        ]
        finite = [t for t in answers if np.isfinite(t)]
        if len(finite) == len(answers) and np.allclose(answers, answers[0], rtol=1e-9, atol=0):
            raise Hint(f"for all {len(cases)} data sets, T = {_number(answers[0])}: {SAME_T_HINT}")
        for (logits, labels, best, case), answer in zip(cases, answers):
            if np.isfinite(answer) and answer > 0 and abs(np.log(answer / best)) <= TOLERANCE:
                continue
            _explain_temperature(function, answer, logits, labels, best, case)
        return TEMPERATURE_PRAISE

    return run_check("10.5", function, test)


def _temperature_from(function, logits, labels, case: str) -> float:
    try:
        answer = _quietly(function, logits.copy(), labels.copy())
    except Hint as hint:
        raise Hint(f"{case}, {hint}") from None
    value = _numeric(as_array(answer, "your T"), "T")
    if value.size != 1:
        raise Hint(
            f"{case}, return one number, the temperature T; your function returned shape {value.shape}."
        )
    return float(value.reshape(()))


def _explain_temperature(function, answer: float, logits, labels, best: float, case: str) -> None:
    if np.isfinite(answer) and abs(np.log(best)) > 0.1 and abs(answer - np.log(best)) <= TOLERANCE:
        raise Hint(
            f"{case}, your function returned {answer:.4g}, and the best T is {best:.4g}: {LOG_HINT}"
        )
    if np.isfinite(answer) and answer <= 0:
        raise Hint(f"{case}, your function returned T = {_number(answer)}: {POSITIVE_HINT}")
    if (
        np.isfinite(answer)
        and abs(np.log(best)) > 0.1
        and abs(np.log(answer * best)) <= 1.5 * TOLERANCE
    ):
        raise Hint(f"{case}, your T is {answer:.4g}, and the best T is {best:.4g}: {INVERSE_HINT}")
    shifted = logits - logits.max(axis=1, keepdims=True)
    again = _temperature_from(function, shifted, labels, case)
    if np.isfinite(again) and again > 0 and abs(np.log(again / best)) <= TOLERANCE:
        raise Hint(f"{case}, {OVERFLOW_HINT}")
    if not np.isfinite(answer):
        raise Hint(f"{case}, your T is {answer}: {NAN_T_HINT}")
    yours = negative_log_likelihood(logits, labels, answer)
    lowest = negative_log_likelihood(logits, labels, best)
    raise Hint(
        f"{case}, your T is {answer:.4g}, but the negative log-likelihood is lower at "
        f"T = {best:.4g} ({lowest:.4f} against your {yours:.4f}): {SEARCH_HINT}, and that your "
        "loss is -mean(log softmax(logits / T)[np.arange(N), labels])."
    )
