"""Turn a photo or a drawing of one digit into a 28 × 28 picture made the way MNIST's were.

    >>> digit = to_mnist(photo)  # doctest: +SKIP
    >>> model.predict(digit[None])  # doctest: +SKIP

MNIST's digits are light ink on black, scaled so the digit's longer side is 20 pixels, and
placed in a 28 × 28 frame so that the centre of mass of the ink sits in the middle. A photo of
a digit on paper is none of that: dark ink on light paper, uneven light, the digit anywhere.
`to_mnist` applies the steps one by one; `preprocessing_steps` returns every stage, so a
notebook can show (and feed the network) each of them.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

MNIST_SIZE = 28
DIGIT_BOX = 20  # MNIST fitted each digit into 20 × 20 and centred it in 28 × 28
STEP_NAMES = ("greyscale", "inverted", "contrast", "cropped", "fitted", "centred")
BLANK_INK = 0.12  # the strongest ink must stand out this much (0-1 scale) from the paper


class BlankImageError(ValueError):
    """The picture holds no ink: nothing stands out from the paper."""


def to_greyscale(image: np.ndarray) -> np.ndarray:
    """Brightness from 0 (black) to 1 (white) of a greyscale, RGB or RGBA picture, 8-bit or 0-1.

    >>> to_greyscale(np.array([[[255, 255, 255], [0, 0, 0]], [[255, 0, 0], [0, 0, 0]]], dtype=np.uint8))
    array([[1.   , 0.   ],
           [0.299, 0.   ]])
    """
    pixels = np.asarray(image, dtype=np.float64)
    if pixels.ndim == 3 and pixels.shape[-1] in (3, 4):
        if pixels.shape[-1] == 4:  # transparent parts show white paper
            alpha = pixels[..., 3:] / (255.0 if pixels.max() > 1 else 1.0)
            white = 255.0 if pixels.max() > 1 else 1.0
            pixels = pixels[..., :3] * alpha + white * (1 - alpha)
        pixels = pixels[..., :3] @ np.array([0.299, 0.587, 0.114])  # ITU-R 601, as Pillow's "L"
    elif pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    if pixels.ndim != 2 or min(pixels.shape) < 2:
        raise ValueError(
            f"expected one picture (height × width, optionally × 3 or 4 colour channels), got shape "
            f"{np.shape(image)}: pass a single image, not a batch"
        )
    if not np.isfinite(pixels).all():
        raise ValueError("the picture holds NaN or infinite values: pass pixel values 0-255 or 0-1")
    return pixels / 255.0 if pixels.max() > 1.0 else pixels


def border(image: np.ndarray, width: int | None = None) -> np.ndarray:
    """A mask of the pixels within ``width`` of the picture's edge (5 % of its size by default).

    >>> border(np.zeros((4, 4)), width=1).sum()
    np.int64(12)
    """
    height, wide = image.shape
    width = width or max(1, round(0.05 * min(height, wide)))
    mask = np.ones(image.shape, dtype=bool)
    mask[width : height - width, width : wide - width] = False
    return mask


def ink_is_light(grey: np.ndarray) -> np.ndarray:
    """Light ink on a dark background, as in MNIST: inverts the picture if its edges are light.

    The edges of a photo of a digit are paper, so they tell the paper's colour.

    >>> ink_is_light(np.array([[1.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 1.0]]))[1, 1]
    np.float64(1.0)
    """
    return 1.0 - grey if np.median(grey[border(grey)]) > 0.5 else grey


def paper_level(ink: np.ndarray) -> np.ndarray:
    """The paper's brightness at every pixel: a plane fitted to the picture's edges.

    Light falling from one side makes the paper darker on the other; a plane through the edge
    pixels (fitted twice, the second time without the edge pixels that are ink) follows it.

    >>> slope = np.tile(np.linspace(0.0, 0.3, 8), (8, 1))
    >>> bool(np.allclose(paper_level(slope), slope))
    True
    """
    rows, cols = np.indices(ink.shape)
    edge = border(ink)
    design = np.column_stack([rows[edge], cols[edge], np.ones(edge.sum())]).astype(np.float64)
    values = ink[edge]
    keep = np.ones(len(values), dtype=bool)
    for _ in range(3):
        coefficients, *_ = np.linalg.lstsq(design[keep], values[keep], rcond=None)
        residuals = values - design @ coefficients
        keep = residuals < max(0.05, 4 * noise_level(residuals))
    return coefficients[0] * rows + coefficients[1] * cols + coefficients[2]


def noise_level(values: np.ndarray) -> float:
    """A standard deviation that ignores outliers (1.4826 × the median absolute deviation).

    >>> round(noise_level(np.array([0.0, 1.0, -1.0, 0.5, -0.5, 100.0])), 2)
    1.11
    """
    return float(1.4826 * np.median(np.abs(values - np.median(values))))


def otsu_threshold(values: np.ndarray, bins: int = 64) -> float:
    """The level that best splits ``values`` into two groups (Otsu's method), e.g. paper and ink.

    >>> otsu_threshold(np.array([0.0] * 90 + [1.0] * 10)) < 0.9
    True
    """
    counts, edges = np.histogram(values, bins=bins, range=(0.0, 1.0))
    centres = (edges[:-1] + edges[1:]) / 2
    weight_low = np.cumsum(counts)
    weight_high = weight_low[-1] - weight_low
    sum_low = np.cumsum(counts * centres)
    mean_low = sum_low / np.maximum(weight_low, 1)
    mean_high = (sum_low[-1] - sum_low) / np.maximum(weight_high, 1)
    between = weight_low * weight_high * (mean_low - mean_high) ** 2
    return float(edges[1:][np.argmax(between)])


def stretch_contrast(ink: np.ndarray) -> np.ndarray:
    """Paper at 0, the ink's strongest strokes at 1: removes uneven light, paper grain and specks.

    >>> stretch_contrast(np.array([[0.2, 0.2, 0.2], [0.2, 0.9, 0.2], [0.2, 0.2, 0.2]]))[1, 1]
    np.float64(1.0)
    """
    lifted = ink - paper_level(ink)
    strongest = np.percentile(lifted, 99.9)
    if strongest < BLANK_INK:
        raise BlankImageError(
            "no digit found: nothing in the picture stands out from the paper. Draw or photograph "
            "one digit in dark ink on light paper (or light on dark), large enough to fill most "
            "of the picture, and try again."
        )
    scaled = np.clip(lifted / strongest, 0.0, 1.0)
    # Below the floor is paper grain; above it ink, with its soft edges kept.
    floor = max(otsu_threshold(scaled) / 2, 4 * noise_level(lifted) / strongest)
    return remove_specks(np.clip((scaled - floor) / (1.0 - floor), 0.0, 1.0))


def remove_specks(ink: np.ndarray, smallest: float = 0.02) -> np.ndarray:
    """Keep only the pieces of ink (touching pixels, diagonals included) that hold at least
    ``smallest`` of all the ink: dust and grain go, every stroke of the digit stays.

    >>> ink = np.zeros((8, 8)); ink[1:7, 3] = 1; ink[7, 7] = 0.1
    >>> remove_specks(ink)[7, 7], remove_specks(ink)[3, 3]
    (np.float64(0.0), np.float64(1.0))
    """
    labels = connected_pieces(ink > 0)
    mass = np.bincount(labels.ravel(), weights=ink.ravel())
    mass[0] = 0.0
    keep = mass >= smallest * mass.sum()
    keep[0] = False
    return np.where(keep[labels], ink, 0.0)


def connected_pieces(mask: np.ndarray) -> np.ndarray:
    """Number the 8-connected pieces of a boolean picture 1, 2, …; the background stays 0.

    >>> connected_pieces(np.array([[1, 0, 0], [0, 1, 0], [0, 0, 0], [1, 1, 0]], dtype=bool))
    array([[1, 0, 0],
           [0, 1, 0],
           [0, 0, 0],
           [2, 2, 0]])
    """
    height, width = mask.shape
    inked = mask.ravel().tolist()
    labels = [0] * (height * width)
    count = 0
    for start in np.flatnonzero(mask).tolist():
        if labels[start]:
            continue
        count += 1
        labels[start] = count
        stack = [start]
        while stack:
            here = stack.pop()
            row, col = divmod(here, width)
            for r in (row - 1, row, row + 1):
                if 0 <= r < height:
                    for c in (col - 1, col, col + 1):
                        there = r * width + c
                        if 0 <= c < width and inked[there] and not labels[there]:
                            labels[there] = count
                            stack.append(there)
    return np.array(labels, dtype=np.int64).reshape(height, width)


def ink_box(ink: np.ndarray) -> tuple[slice, slice]:
    """Rows and columns of the ink's bounding box.

    >>> ink = np.zeros((6, 6)); ink[2:4, 1:3] = 1
    >>> ink_box(ink)
    (slice(2, 4, None), slice(1, 3, None))
    """
    if not (ink > 0).any():
        raise BlankImageError("no ink left to crop: the picture is blank after the contrast step")

    rows, cols = np.nonzero(ink > 0)
    return slice(int(rows.min()), int(rows.max()) + 1), slice(int(cols.min()), int(cols.max()) + 1)


def crop_to_ink(ink: np.ndarray) -> np.ndarray:
    """The smallest rectangle that holds the digit's ink.

    >>> ink = np.zeros((6, 6)); ink[2:4, 1:3] = 1
    >>> crop_to_ink(ink).shape
    (2, 2)
    """
    rows, cols = ink_box(ink)
    return ink[rows, cols]


def resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """``image`` resampled to ``height`` × ``width``, each new pixel the average of what it covers.

    >>> resize(np.ones((40, 40)), 20, 20).shape
    (20, 20)
    """
    picture = Image.fromarray(np.asarray(image, dtype=np.float32), mode="F")
    return np.asarray(picture.resize((width, height), Image.Resampling.BOX), dtype=np.float64)


def fit_into_box(ink: np.ndarray, size: int = DIGIT_BOX) -> np.ndarray:
    """Scale the cropped digit so its longer side is ``size`` pixels, keeping its proportions;
    the strongest ink is 1 again afterwards (a thin stroke, shrunk, would otherwise fade).

    >>> fit_into_box(np.ones((100, 50))).shape
    (20, 10)
    """
    height, width = ink.shape
    scale = size / max(height, width)
    shrunk = resize(ink, max(1, round(height * scale)), max(1, round(width * scale)))
    return np.clip(shrunk / shrunk.max(), 0.0, 1.0)


def centre_by_mass(digit: np.ndarray, size: int = MNIST_SIZE) -> np.ndarray:
    """Place ``digit`` in a ``size`` × ``size`` frame with its centre of mass in the middle,
    as MNIST was made (shifted by whole pixels, never pushed out of the frame).

    >>> frame = centre_by_mass(np.ones((4, 4)))
    >>> frame.shape, frame[12:16, 12:16].sum()
    ((28, 28), np.float64(16.0))
    """
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


def preprocessing_steps(image: np.ndarray) -> dict[str, np.ndarray]:
    """Every stage of :func:`to_mnist`, in order, keyed by ``STEP_NAMES`` (values from 0 to 1).

    >>> photo = np.full((60, 40), 200, dtype=np.uint8); photo[10:50, 18:22] = 30
    >>> {name: stage.shape for name, stage in preprocessing_steps(photo).items()}["centred"]
    (28, 28)
    """
    stages = {"greyscale": to_greyscale(image)}
    stages["inverted"] = ink_is_light(stages["greyscale"])
    stages["contrast"] = stretch_contrast(stages["inverted"])
    stages["cropped"] = crop_to_ink(stages["contrast"])
    stages["fitted"] = fit_into_box(stages["cropped"])
    stages["centred"] = centre_by_mass(stages["fitted"])
    return stages


def to_mnist(image: np.ndarray) -> np.ndarray:
    """A photo or drawing of one digit as an MNIST picture: 28 × 28, float32, ink 255 on black 0.

    Raises BlankImageError, with what to do, when the picture holds no ink.

    >>> photo = np.full((60, 40), 200, dtype=np.uint8); photo[10:50, 18:22] = 30
    >>> digit = to_mnist(photo)
    >>> digit.shape, digit.dtype, float(digit.max())
    ((28, 28), dtype('float32'), 255.0)
    """
    return (255.0 * preprocessing_steps(image)["centred"]).astype(np.float32)


def squeeze_to_mnist_size(image: np.ndarray) -> np.ndarray:
    """Any picture squeezed to 28 × 28 with values 0-255, the way a hurried programmer would:
    no inverting, no cropping, no centring. For comparing what each real step adds.

    >>> squeeze_to_mnist_size(np.ones((280, 200))).shape
    (28, 28)
    """
    grey = to_greyscale(image) if np.ndim(image) == 3 else np.asarray(image, dtype=np.float64)
    if grey.max() > 1.0:
        grey = grey / 255.0
    return (255.0 * resize(grey, MNIST_SIZE, MNIST_SIZE)).astype(np.float32)


def sample_photo(digit: np.ndarray, seed: int, size: tuple[int, int] = (240, 200)) -> np.ndarray:
    """A fake phone photo of an MNIST digit: dark ink on grey paper, large, off-centre, lit from
    one side, with paper grain; an RGB uint8 array. Stands in for your photo where there is none.

    >>> sample_photo(np.eye(28) * 255, seed=0).shape
    (240, 200, 3)
    """
    rng = np.random.default_rng(seed)
    height, width = size
    side = int(rng.uniform(0.45, 0.6) * min(height, width))
    stroke = resize(np.asarray(digit, dtype=np.float64) / 255.0, side, side)
    top = int(rng.integers(0, height - side))
    left = int(rng.integers(0, width - side))
    ink = np.zeros(size)
    ink[top : top + side, left : left + side] = np.clip(stroke, 0.0, 1.0)

    rows, cols = np.indices(size)
    angle = rng.uniform(0, 2 * np.pi)
    light = 0.5 + 0.5 * (np.cos(angle) * cols / width + np.sin(angle) * rows / height)
    paper = rng.uniform(0.62, 0.78) + 0.18 * (light - light.mean())
    paper = paper + rng.normal(0.0, 0.02, size)
    ink_colour = rng.uniform(0.08, 0.2)
    grey = paper * (1 - ink) + ink_colour * ink
    tint = np.array([1.0, 0.98, 0.93])  # warm indoor light
    return (np.clip(grey[..., None] * tint, 0.0, 1.0) * 255).round().astype(np.uint8)
