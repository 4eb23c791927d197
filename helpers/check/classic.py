"""Self-checks for exercise set 07, classic machine learning (exercises 7.1 to 7.4).

Each check states the wrong answers students typically write ONCE, as a table of ``Mistake``s:
the check gives the hint of the entry that reproduces the student's answer, and otherwise says
what differs (first differing element, expected vs got) without guessing a cause. The cases are
fresh seeded data of other sizes than MNIST's, so an answer hard-coded for 28×28 images, or for
the labels 0 to 9, fails.

>>> check.knn_predict(knn_predict)  # doctest: +SKIP
✅ Exercise 7.3: Correct: ...
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..check_results import CheckResult
from .framework import Hint, as_array, call, run_check
from .mistakes import Mistake, matching_mistake, same


def _number(value) -> str:
    """A number as a student would write it: ``_number(np.float64(2.0))`` is ``'2'``."""
    value = np.asarray(value).item()
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _numeric(answer, name: str) -> np.ndarray:
    """The answer as an array of real numbers (bool counts as 0 and 1), or a hint."""
    array = as_array(answer, "your answer")
    if array.dtype.kind in "US":
        raise Hint(f"{name} should be numbers, but your function returned text (strings).")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise Hint(f"{name} should be numbers, but they are {array.dtype} values.")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise Hint(f"{name} should be real numbers, but they are complex.")
    return array


def _first_index(differs: np.ndarray) -> tuple[int, ...]:
    """The index of the first True element: ``_first_index(np.array([[False, True]]))`` is (0, 1)."""
    return tuple(int(i) for i in np.argwhere(differs)[0])


# --- 7.1 ---------------------------------------------------------------------------------------


def _rows(images: np.ndarray) -> np.ndarray:
    """The images as rows of pixels, read row by row, not yet scaled: shape (N, H * W)."""
    return images.reshape(len(images), -1)


RAW_PIXELS_HINT = (
    "your rows hold the raw pixels 0 to 255: divide them by 255, so they run from 0 to 1."
)

FLOAT64_HINT = (
    "the values are right, but their dtype is float64. Make it float32, e.g. "
    "images.reshape(len(images), -1).astype('float32') / 255: float32 is all the precision pixels "
    "need, and MNIST's 60,000 rows of 784 pixels then take 188 MB instead of 376 MB."
)

TO_ROWS_MISTAKES: list[Mistake] = [
    Mistake("raw", lambda images: _rows(images), RAW_PIXELS_HINT),
    Mistake("raw-as-float", lambda images: _rows(images).astype("float32"), RAW_PIXELS_HINT),
    Mistake(
        "floor-division",
        lambda images: _rows(images).astype("float32") // 255,
        "your rows hold only 0s and 1s: `//` is integer (floor) division, which throws the "
        "fractions away, even on floats. Divide with `/`.",
    ),
    Mistake(
        "integer-output",
        lambda images: (_rows(images) / 255).astype("uint8"),
        "your rows hold whole numbers, only 0s and 1s, in an integer dtype (the images' own "
        "uint8, or int), which cannot hold fractions: integer division `//`, or converting to an "
        "integer type, throws them away. Divide with `/` and keep the result float32: "
        "images.reshape(len(images), -1).astype('float32') / 255.",
    ),
    Mistake(
        "over-256",
        lambda images: _rows(images).astype("float32") / 256,
        "your rows are the pixels divided by 256: the brightest pixel, 255, comes out as 0.9961, "
        "not 1.0. Divide by 255, the largest pixel value.",
    ),
    Mistake(
        "per-image-max",
        lambda images: (_rows(images) / _rows(images).max(axis=1, keepdims=True)).astype("float32"),
        "every row reaches exactly 1.0: you divided each image by its own maximum. Divide all "
        "the images by the same number, 255, so a value means the same brightness in every row.",
    ),
    Mistake(
        "column-major",
        lambda images: images.reshape(len(images), -1, order="F").astype("float32") / 255,
        "each row reads its image column by column (order='F', or a transpose before reshaping): "
        "the second value of a row is the pixel BELOW the first, not the one to its right. Read "
        "each image row by row, NumPy's default order: images.reshape(len(images), -1).",
    ),
    Mistake("float64", lambda images: _rows(images) / 255, FLOAT64_HINT),
]

TO_ROWS_PRAISE = (
    "Correct: one float32 row per image, its pixels read row by row and divided by 255, "
    "whatever the size of the images."
)


def to_rows_cases() -> list[np.ndarray]:
    """The uint8 images 7.1 tries, in this order: 28×28 first, then other sizes (read-only).

    Each image has its own brightest value, most of them below 255.

    >>> [images.shape for images in to_rows_cases()]
    [(5, 28, 28), (3, 8, 6), (1, 4, 4)]
    """
    rng = np.random.default_rng(71)
    cases = []
    for shape in ((5, 28, 28), (3, 8, 6), (1, 4, 4)):
        brightest = rng.integers(150, 256, shape[0])[:, None, None]
        images = rng.integers(0, brightest + 1, shape).astype(np.uint8)
        images.setflags(write=False)
        cases.append(images)
    return cases


def to_rows(function) -> CheckResult:
    """Exercise 7.1: ``to_rows(images)`` turns (N, H, W) uint8 images into (N, H * W) float32 rows in [0, 1].

    >>> to_rows(lambda images: images.reshape(len(images), -1).astype("float32") / 255).status
    'pass'
    """

    def test(function):
        for images in to_rows_cases():
            _compare_rows(_rows_from(function, images), images)
        return TO_ROWS_PRAISE

    return run_check("7.1", function, test)


def _case_of(images: np.ndarray) -> str:
    return f"for uint8 images of shape {images.shape}"


def _hard_coded_784(images: np.ndarray) -> str:
    _, height, width = images.shape
    return (
        f"your function assumes 28×28 images, 784 pixels, but these are {height}×{width}: let "
        "NumPy work out the length of a row, images.reshape(len(images), -1)."
    )


def _rows_from(function, images: np.ndarray):
    """Call the student's ``to_rows``; an error that mentions 784, on smaller images, is a hard-coded size."""
    try:
        return call(function, images.copy())
    except Hint as hint:
        if images.shape[1:] != (28, 28) and "784" in str(hint):
            raise Hint(f"{_case_of(images)}, {_hard_coded_784(images)}") from None
        raise


def _is_whole(array: np.ndarray) -> bool:
    return array.dtype.kind in "biu"


def _same_rows(answer, wrong) -> bool:
    """``same``, and both in an integer dtype or both not: uint8 0s and 1s are not float ones."""
    wrong = np.asarray(wrong)
    return _is_whole(np.asarray(answer)) == _is_whole(wrong) and same(answer, wrong)


def _compare_rows(answer, images: np.ndarray) -> None:
    case = _case_of(images)
    count, height, width = images.shape
    pixels = height * width
    rows = _numeric(answer, "the rows")
    one_row_each = f"images.reshape(len(images), -1), shape ({count}, {pixels})"
    if rows.shape == images.shape:
        raise Hint(
            f"{case}, your answer still has the shape of the images: flatten each image into "
            f"one row, {one_row_each}."
        )
    if rows.shape == (pixels, count) and pixels != count:
        raise Hint(
            f"{case}, your answer has shape {rows.shape}, one column per image: scikit-learn "
            f"wants one ROW per image, {one_row_each}, so don't transpose."
        )
    if rows.ndim == 1 and rows.size == images.size:
        raise Hint(
            f"{case}, you flattened all the images into one long vector of {rows.size:,} values: "
            f"keep one row per image, {one_row_each}."
        )
    if pixels != 784 and 784 in rows.shape:
        raise Hint(f"{case}, {_hard_coded_784(images)}")
    if rows.shape != (count, pixels):
        raise Hint(
            f"{case}, the rows should have shape ({count}, {pixels}), one row of {pixels} pixels "
            f"per image, but yours have shape {rows.shape}."
        )
    expected = _rows(images).astype(np.float32) / np.float32(255)
    # float16 cannot hold x / 255 to 1e-6: judge its values at its own precision
    tolerance = max(1e-6, float(np.finfo(rows.dtype).eps)) if rows.dtype.kind == "f" else 1e-6
    if rows.dtype.kind == "f" and np.allclose(rows, expected, rtol=0, atol=tolerance):
        _expect_float32(rows.dtype, case)
        return
    with np.errstate(all="ignore"):
        mistake = matching_mistake(rows, TO_ROWS_MISTAKES, (images,), _same_rows)
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    raise Hint(f"{case}, {_first_wrong_pixel(rows, images, expected, tolerance)}")


def _expect_float32(dtype: np.dtype, case: str) -> None:
    if dtype == np.float32:
        return
    if dtype == np.float64:
        raise Hint(f"{case}, {FLOAT64_HINT}")
    raise Hint(
        f"{case}, the values are right to the precision of {dtype}, but the exercise asks for "
        "float32: images.reshape(len(images), -1).astype('float32') / 255."
    )


def _first_wrong_pixel(rows, images, expected, tolerance) -> str:
    """Where the rows first differ from the right ones, and from which pixel that value comes."""
    values = rows.astype(np.float64)
    row, column = _first_index(~np.isclose(values, expected, rtol=0, atol=tolerance))
    y, x = divmod(column, images.shape[2])
    message = (
        f"rows[{row}, {column}] should be images[{row}, {y}, {x}] / 255 = {images[row, y, x]} / "
        f"255 = {expected[row, column]:.6g}, but it is {_number(rows[row, column])}."
    )
    ranges = [values.min(), values.max()], [expected.min(), expected.max()]
    if np.isfinite(values).all() and not np.allclose(*ranges, rtol=0, atol=tolerance):
        message += (
            f" Your values run from {_number(rows.min())} to {_number(rows.max())}; they should "
            f"run from {expected.min():.6g} to {expected.max():.6g}."
        )
    return message


# --- 7.2 ---------------------------------------------------------------------------------------


def _squared(a, b) -> np.ndarray:
    """The exact squared distances, in float64: entry [i, j] is sum_k (a[i, k] - b[j, k]) ** 2."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)


def _expanded(a, b, cross: float) -> np.ndarray:
    """‖a‖² + cross · a·bᵀ + ‖b‖²: the dot-product way, with its cross term scaled by ``cross``."""
    return (a**2).sum(axis=1)[:, None] + cross * a @ b.T + (b**2).sum(axis=1)[None, :]


CROSS_TERM = "‖a[i] − b[j]‖² = ‖a[i]‖² − 2 a[i]·b[j] + ‖b[j]‖²"

SQUARED_DISTANCES_MISTAKES: list[Mistake] = [
    Mistake(
        "euclidean",
        lambda a, b: np.sqrt(_squared(a, b)),
        "these are the Euclidean distances themselves, but the exercise asks for their squares: "
        "skip the square root. It changes no ranking (the nearest row stays the nearest), and "
        "saves computing one for every pair.",
    ),
    Mistake(
        "manhattan",
        lambda a, b: np.abs(a[:, None] - b[None]).sum(axis=2),
        "you summed the absolute differences (the Manhattan, or L1, distance): square each "
        "difference instead, then sum them, ((a[:, None] - b[None]) ** 2).sum(axis=2).",
    ),
    Mistake(
        "unsquared",
        lambda a, b: (a[:, None] - b[None]).sum(axis=2),
        "you summed the differences without squaring them, so positive and negative ones cancel "
        "out: square each difference before summing.",
    ),
    Mistake(
        "plus-cross-term",
        lambda a, b: _expanded(a, b, 2),
        f"the cross term has the wrong sign: {CROSS_TERM}, so SUBTRACT 2 * a @ b.T.",
    ),
    Mistake(
        "no-cross-term",
        lambda a, b: _expanded(a, b, 0),
        f"the cross term is missing: {CROSS_TERM}, so subtract 2 * a @ b.T from the sum of the "
        "squared norms.",
    ),
    Mistake(
        "mean-over-features",
        lambda a, b: ((a[:, None] - b[None]) ** 2).mean(axis=2),
        "you took the mean of the squared differences over the features, which divides every "
        "distance by the number of features: take their sum.",
    ),
]

SQUARED_DISTANCES_PRAISE = (
    "Correct: one squared distance per (row of a, row of b) pair, shape (n, m), and 0 from a "
    "row to itself."
)


def squared_distances_cases() -> list[tuple[np.ndarray, np.ndarray, str]]:
    """The (a, b, case) 7.2 tries, in this order; in the last, a and b are the same array.

    >>> [(a.shape, b.shape) for a, b, _ in squared_distances_cases()][:2]
    [((6, 4), (9, 4)), ((1, 7), (5, 7))]
    """
    rng = np.random.default_rng(72)
    same_array = rng.random((7, 5))
    cases = [
        (rng.random((6, 4)), rng.random((9, 4)), "for a of shape (6, 4) and b of shape (9, 4)"),
        (rng.random((1, 7)), rng.random((5, 7)), "for a single row a, shape (1, 7), and b (5, 7)"),
        (
            rng.random((8, 20)).astype(np.float32),
            rng.random((3, 20)).astype(np.float32),
            "for float32 a of shape (8, 20) and b of shape (3, 20)",
        ),
        (same_array, same_array, "when a and b are the same array, of shape (7, 5)"),
    ]
    for a, b, _ in cases:
        a.setflags(write=False)
        b.setflags(write=False)
    return cases


def squared_distances(function) -> CheckResult:
    """Exercise 7.2: ``squared_distances(a, b)`` returns the (n, m) squared distances from the rows of a to those of b.

    >>> squared_distances(lambda a, b: ((a[:, None] - b[None]) ** 2).sum(axis=2)).status
    'pass'
    """

    def test(function):
        for a, b, case in squared_distances_cases():
            a_copy = a.copy()
            b_copy = a_copy if b is a else b.copy()
            _compare_distances(call(function, a_copy, b_copy), a, b, case)
        return SQUARED_DISTANCES_PRAISE

    return run_check("7.2", function, test)


def _close_distances(answer, wrong) -> bool:
    """Equal up to the round-off of the dot-product way (tiny negatives included)."""
    answer, wrong = np.asarray(answer), np.asarray(wrong)
    return answer.shape == wrong.shape and bool(np.allclose(answer, wrong, rtol=1e-4, atol=1e-4))


def _compare_distances(answer, a: np.ndarray, b: np.ndarray, case: str) -> None:
    (n, features), m = a.shape, len(b)
    distances = _numeric(answer, "the distances")
    entry = f"shape ({n}, {m}): entry [i, j] is the squared distance from a[i] to b[j]"
    if distances.ndim == 1:
        raise Hint(
            f"{case}, your answer is 1-D, shape {distances.shape}: return a table with a row for "
            f"each row of a and a column for each row of b, {entry}."
        )
    if distances.shape == (m, n) and m != n:
        raise Hint(
            f"{case}, your table has shape ({m}, {n}), a row for each row of b: put rows for a, "
            f"columns for b, {entry}."
        )
    if distances.shape == (n, features) and features != m:
        raise Hint(
            f"{case}, your answer has shape ({n}, {features}), one number per (row of a, feature): "
            "you summed over the rows of b. Sum the squared differences over the features, the "
            "last axis of a[:, None] - b[None] (axis=2, or axis=-1)."
        )
    if distances.shape == (n, m, features):
        raise Hint(
            f"{case}, your answer has shape ({n}, {m}, {features}), the squared differences of each "
            "feature: sum them over the last axis (axis=-1) to get one distance per pair."
        )
    if distances.shape != (n, m):
        raise Hint(
            f"{case}, the distances should have {entry}, but yours have shape {distances.shape}."
        )
    expected = _squared(a, b)
    if _close_distances(distances, expected):
        return
    with np.errstate(all="ignore"):
        mistake = matching_mistake(distances, SQUARED_DISTANCES_MISTAKES, (a, b), _close_distances)
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    i, j = _first_index(~np.isclose(distances, expected, rtol=1e-4, atol=1e-4))
    raise Hint(
        f"{case}, distances[{i}, {j}] should be {expected[i, j]:.6g}, the sum over the features "
        f"of (a[{i}] - b[{j}]) ** 2, but it is {_number(distances[i, j])}."
    )


# --- 7.3 ---------------------------------------------------------------------------------------


def _vote(labels: np.ndarray):
    """The label that occurs most often; a tie goes to the smallest (the cases have none)."""
    values, counts = np.unique(labels, return_counts=True)
    return values[counts.argmax()]


def _clear_winner(labels: np.ndarray) -> bool:
    """Whether one label occurs more often than every other: no tie in the vote."""
    counts = np.sort(np.unique(labels, return_counts=True)[1])
    return len(counts) == 1 or counts[-1] > counts[-2]


def _nearest_first(train_rows, query_rows) -> np.ndarray:
    """For each query, the indices of the training rows from nearest to farthest."""
    return np.argsort(_squared(query_rows, train_rows), axis=1, kind="stable")


def _votes(train_labels, neighbours: np.ndarray) -> np.ndarray:
    """The winning label of each row of ``neighbours``, indices of training rows."""
    train_labels = np.asarray(train_labels)
    return np.array([_vote(train_labels[row]) for row in neighbours])


def knn_reference(train_rows, train_labels, query_rows, k: int) -> np.ndarray:
    """The right predictions: the most common label among each query's k nearest training rows.

    >>> knn_reference(np.array([[0.0], [1.0], [5.0]]), np.array([3, 3, 8]), np.array([[4.0]]), 1)
    array([8])
    """
    return _votes(train_labels, _nearest_first(train_rows, query_rows)[:, :k])


KNN_MISTAKES: list[Mistake] = [
    Mistake(
        "ignores-k",
        lambda rows, labels, queries, k: _votes(labels, _nearest_first(rows, queries)[:, :1]),
        "each prediction is the label of the single nearest training row, whatever k is: take "
        "the k nearest, np.argsort(distances, axis=1)[:, :k], and let their labels vote.",
    ),
    Mistake(
        "farthest",
        lambda rows, labels, queries, k: _votes(
            labels, _nearest_first(rows, queries)[:, ::-1][:, :k]
        ),
        "you took the k FARTHEST training rows: np.argsort sorts from the smallest distance up, "
        "so the k nearest are its first k columns, [:, :k] (no [::-1], no minus sign).",
    ),
    Mistake(
        "nearest-index",
        lambda rows, labels, queries, k: _nearest_first(rows, queries)[:, 0],
        "your predictions are positions of training rows (what argmin and argsort give), not "
        "labels: look up the labels of the k nearest, train_labels[nearest], and let them vote.",
    ),
    Mistake(
        "kth-only",
        lambda rows, labels, queries, k: np.asarray(labels)[
            _nearest_first(rows, queries)[:, k - 1]
        ],
        "each prediction is the label of the k-th nearest training row only: let all k nearest "
        "vote, and return the label that most of them share.",
    ),
    Mistake(
        "most-common-overall",
        lambda rows, labels, queries, k: np.full(len(queries), _vote(labels)),
        "every query gets the same label, the most common one in the whole training set: count "
        "the labels of each query's own k nearest training rows.",
    ),
    Mistake(
        "k-plus-one",
        lambda rows, labels, queries, k: _votes(labels, _nearest_first(rows, queries)[:, : k + 1]),
        "your votes count k + 1 neighbours, one too many: the k nearest are "
        "np.argsort(distances, axis=1)[:, :k] (a slice stops before its end).",
    ),
]

KNN_PRAISE = (
    "Correct: each query gets the label most of its k nearest training rows share, for k = 3, 1 "
    "and 5, and for labels that are not simply 0, 1, 2, ..."
)
DISTANCE_GAP = 1e-3  # the distances that decide a vote are this much (relatively) apart


def _settled(labels: np.ndarray) -> bool:
    """Whether the usual ways of counting a vote pick the same label: there is no tie, or the
    smallest tied label (np.bincount's, np.unique's choice) is also the one met first, nearest
    first (Counter's choice)."""
    values, counts = np.unique(labels, return_counts=True)
    winners = values[counts == counts.max()]
    return next(label for label in labels if label in winners) == winners[0]


def _query_kind(distances: np.ndarray, train_labels: np.ndarray, k: int) -> str | None:
    """None for a query near a tie where a right answer or a known mistake looks; otherwise
    "telling" when k + 1 neighbours vote otherwise than k, else "plain".

    The votes of the k nearest and the k farthest have one winner, and no distance there is
    nearly tied with the next. The vote of k + 1 can only differ through a tie (for an odd k),
    so it may tie, as long as the usual ways of counting settle it alike.
    """
    order = np.argsort(distances)
    ranked = distances[order]
    for part in (ranked[: k + 2], ranked[-(k + 1) :]):
        if (np.diff(part) <= DISTANCE_GAP * part[:-1]).any():
            return None
    nearest, farthest = train_labels[order[: k + 1]], train_labels[order[::-1][:k]]
    if not (_clear_winner(nearest[:k]) and _clear_winner(farthest) and _settled(nearest)):
        return None
    return "telling" if _vote(nearest) != _vote(nearest[:k]) else "plain"


def _knn_case(seed: int, labels: list[int], features: int, train_size: int, queries: int, k: int):
    """Clusters of training rows, one per label, a fifth of them mislabelled; queries near them,
    a few of them (for k > 1) where k + 1 neighbours would vote otherwise."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    centres = rng.normal(0, 1.2, (len(labels), features))
    for _ in range(100):  # until one label is the most common in the training set
        cluster = rng.integers(0, len(labels), train_size)
        train_labels = np.where(
            rng.random(train_size) < 0.2, rng.choice(labels, train_size), labels[cluster]
        )
        if _clear_winner(train_labels):
            break
    train_rows = centres[cluster] + rng.normal(0, 1, (train_size, features))
    telling = 3 if k > 1 else 0
    quotas = {"telling": telling, "plain": queries - telling}
    picked: dict[str, list] = {kind: [] for kind in quotas}
    for _ in range(1000 * queries):  # a bound that only guards against a bad seed
        query = centres[rng.integers(len(labels))] + rng.normal(0, 1, features)
        kind = _query_kind(np.sqrt(_squared(query[None], train_rows)[0]), train_labels, k)
        if kind is not None and len(picked[kind]) < quotas[kind]:
            picked[kind].append(query)
        if all(len(picked[kind]) == quota for kind, quota in quotas.items()):
            query_rows = rng.permutation(np.stack(picked["telling"] + picked["plain"]))
            return train_rows, train_labels, query_rows
    raise RuntimeError("could not build the queries of a k-NN case")  # pragma: no cover


def knn_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray, int, str]]:
    """The (train_rows, train_labels, query_rows, k, case) 7.3 tries, in this order (read-only).

    No vote of the k nearest is tied, nor of the k farthest, and no distance is nearly tied with
    the next one there, so every right way of computing the distances and counting the votes
    gives the same labels.

    >>> [(len(rows), sorted(set(labels.tolist())), len(queries), k) for rows, labels, queries, k, _ in knn_cases()]
    [(60, [0, 1, 2, 3], 20, 3), (40, [0, 1, 2], 15, 1), (80, [2, 5, 7], 20, 5)]
    """
    return list(_knn_cases())


@lru_cache(maxsize=1)
def _knn_cases() -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray, int, str], ...]:
    cases = []
    for seed, labels, features, train_size, queries, k, case in (
        (73, [0, 1, 2, 3], 6, 60, 20, 3, "for 20 queries and k=3"),
        (74, [0, 1, 2], 5, 40, 15, 1, "for float32 rows, uint8 labels and k=1"),
        (75, [2, 5, 7], 10, 80, 20, 5, "for the labels 2, 5 and 7, and k=5"),
    ):
        train_rows, train_labels, query_rows = _knn_case(
            seed, labels, features, train_size, queries, k
        )
        if k == 1:
            train_rows, query_rows = train_rows.astype(np.float32), query_rows.astype(np.float32)
            train_labels = train_labels.astype(np.uint8)
        for array in (train_rows, train_labels, query_rows):
            array.setflags(write=False)
        cases.append((train_rows, train_labels, query_rows, k, case))
    return tuple(cases)


def knn_predict(function) -> CheckResult:
    """Exercise 7.3: ``knn_predict(train_rows, train_labels, query_rows, k)`` returns, per query row, the label most of its k nearest training rows share.

    >>> knn_predict(lambda train_rows, train_labels, query_rows, k: np.zeros(len(query_rows), dtype=int)).status
    'fail'
    """

    def test(function):
        for train_rows, train_labels, query_rows, k, case in knn_cases():
            answer = call(function, train_rows.copy(), train_labels.copy(), query_rows.copy(), k)
            _compare_knn(answer, train_rows, train_labels, query_rows, k, case)
        return KNN_PRAISE

    return run_check("7.3", function, test)


def _compare_knn(answer, train_rows, train_labels, query_rows, k: int, case: str) -> None:
    count = len(query_rows)
    predictions = _numeric(answer, "the predictions")
    if predictions.shape == (count, k) and k > 1:
        raise Hint(
            f"{case}, your answer has shape ({count}, {k}), the labels of the {k} nearest "
            f"training rows of each query: let them vote, and return one label per query, the "
            f"one that occurs most often among them, shape ({count},)."
        )
    if predictions.shape != (count,):
        raise Hint(
            f"{case}, the predictions should have shape ({count},), one label per query row, but "
            f"yours have shape {predictions.shape}."
        )
    expected = knn_reference(train_rows, train_labels, query_rows, k)
    if same(predictions, expected):
        return
    inputs = (train_rows, train_labels, query_rows, k)
    mistake = matching_mistake(predictions, KNN_MISTAKES, inputs)
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    strangers = predictions[~np.isin(predictions, train_labels)]
    if strangers.size:
        known = ", ".join(str(label) for label in np.unique(train_labels))
        raise Hint(
            f"{case}, your predictions include {_number(strangers[0])}, which is not one of the "
            f"training labels ({known}): each prediction should be the label that wins the vote "
            "among the query's k nearest training rows."
        )
    query = int(np.flatnonzero(~np.isclose(predictions.astype(np.float64), expected))[0])
    nearest = np.asarray(train_labels)[
        _nearest_first(train_rows, query_rows[query : query + 1])[0, :k]
    ]
    if k == 1:
        neighbours = f"the nearest training row of query_rows[{query}] has label {nearest[0]}"
    else:
        shown = ", ".join(str(label) for label in nearest)
        neighbours = (
            f"the {k} nearest training rows of query_rows[{query}] have labels [{shown}], so the "
            f"vote gives {expected[query]}"
        )
    raise Hint(f"{case}, {neighbours}, but you predicted {_number(predictions[query])}.")


# --- 7.4 ---------------------------------------------------------------------------------------


def _slope(x, y) -> float:
    """The slope of the least-squares straight line through the points (x, y)."""
    return float(np.polyfit(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), 1)[0])


def _endpoint_slope(sizes, seconds, log=np.log) -> float:
    return float((log(seconds[-1]) - log(seconds[0])) / (log(sizes[-1]) - log(sizes[0])))


def reference_growth_exponent(sizes, seconds) -> float:
    """The right answer: the slope p of the least-squares line through (log size, log seconds).

    >>> round(reference_growth_exponent([10, 100, 1000], [0.5, 50, 5000]), 6)
    2.0
    """
    return _slope(np.log(sizes), np.log(seconds))


WHOLE_FIT = "np.polyfit(np.log(sizes), np.log(seconds), 1)[0]"

# Each takes the logarithm as ``log``: the check tries natural, base-10 and base-2 logarithms.
GROWTH_MISTAKES: list[Mistake] = [
    Mistake(
        "no-logs",
        lambda sizes, seconds, log=np.log: _slope(sizes, seconds),
        "you fitted a line to the seconds against the sizes themselves: its slope is seconds per "
        f"example, not the exponent. Take the logarithm of both first: {WHOLE_FIT}.",
    ),
    Mistake(
        "log-seconds-only",
        lambda sizes, seconds, log=np.log: _slope(sizes, log(seconds)),
        "you took the logarithm of the seconds only: take it of the sizes too. On log-log axes "
        f"c · size ** p is a straight line of slope p: {WHOLE_FIT}.",
    ),
    Mistake(
        "log-sizes-only",
        lambda sizes, seconds, log=np.log: _slope(log(sizes), seconds),
        "you took the logarithm of the sizes only: take it of the seconds too. On log-log axes "
        f"c · size ** p is a straight line of slope p: {WHOLE_FIT}.",
    ),
    Mistake(
        "axes-swapped",
        lambda sizes, seconds, log=np.log: _slope(log(seconds), log(sizes)),
        "the axes are swapped: you fitted log(size) against log(seconds), which gives 1 / p. The "
        f"sizes go on the x axis, the first argument of np.polyfit: {WHOLE_FIT}.",
    ),
    Mistake(
        "intercept",
        lambda sizes, seconds, log=np.log: float(np.polyfit(log(sizes), log(seconds), 1)[1]),
        "you returned the intercept, log(c): np.polyfit returns the coefficients highest power "
        f"first, so the slope, the exponent p, is the first one: {WHOLE_FIT}.",
    ),
    Mistake(
        "endpoints",
        _endpoint_slope,
        "you computed the slope from the first and last points only: on noisy measurements that "
        "throws away the middle ones. Fit a straight line through all the points: "
        f"{WHOLE_FIT}.",
    ),
    Mistake(
        "time-ratio",
        lambda sizes, seconds, log=np.log: float(seconds[-1] / seconds[0]),
        "you returned how many times longer the largest size took, seconds[-1] / seconds[0]: the "
        "exponent p is the slope on log-log axes (doubling the size multiplies the time by "
        f"2 ** p): {WHOLE_FIT}.",
    ),
]

GROWTH_PRAISE = (
    "Correct: the slope of the least-squares line through all the points (log size, log "
    "seconds), so the time grows about as size ** p."
)


def growth_cases() -> list[tuple[object, object, str]]:
    """The (sizes, seconds, case) 7.4 tries, in this order: exact power laws, then noisy timings.

    In the noisy case the slope between the first and last points is more than 0.05 off.

    >>> [(len(sizes), case) for sizes, _, case in growth_cases()][1]
    (3, 'for 3 sizes, given as lists, whose times grow exactly as size ** 1.5')
    """
    rng = np.random.default_rng(76)
    sizes = np.array([1000, 2000, 4000, 8000])
    listed = [500, 1500, 4500]
    noisy_sizes = np.array([1000, 2000, 4000, 8000, 16000])
    constant = rng.uniform(1e-6, 1e-5)
    for _ in range(100):  # until the endpoints alone give another slope
        noisy = rng.uniform(1e-8, 1e-7) * noisy_sizes**1.8 * np.exp(rng.normal(0, 0.15, 5))
        if (
            abs(_endpoint_slope(noisy_sizes, noisy) - reference_growth_exponent(noisy_sizes, noisy))
            > 0.05
        ):
            break
    return [
        (
            sizes,
            rng.uniform(1e-7, 1e-6) * sizes**2.0,
            "for 4 sizes whose times grow exactly as size ** 2",
        ),
        (
            listed,
            [float(constant * size**1.5) for size in listed],
            "for 3 sizes, given as lists, whose times grow exactly as size ** 1.5",
        ),
        (
            np.array([10000, 60000]),
            np.array([0.12, 0.72]),
            "for 2 sizes whose times grow in proportion to the size",
        ),
        (noisy_sizes, noisy, "for 5 noisy timings"),
    ]


def growth_exponent(function) -> CheckResult:
    """Exercise 7.4: ``growth_exponent(sizes, seconds)`` returns the slope p of the least-squares line through (log size, log seconds).

    >>> growth_exponent(lambda sizes, seconds: np.polyfit(np.log(sizes), np.log(seconds), 1)[0]).status
    'pass'
    """

    def test(function):
        for sizes, seconds, case in growth_cases():
            fresh = [
                values.copy() if isinstance(values, np.ndarray) else list(values)
                for values in (sizes, seconds)
            ]
            _compare_exponent(call(function, *fresh), sizes, seconds, case)
        return GROWTH_PRAISE

    return run_check("7.4", function, test)


def _same_exponent(answer, wrong) -> bool:
    return bool(np.isclose(answer, wrong, rtol=1e-6, atol=0))


def _growth_mistake(exponent: float, sizes, seconds) -> Mistake | None:
    """The first known mistake that gives ``exponent``, its logarithms taken in any base."""
    for log in (np.log, np.log10, np.log2):
        mistake = matching_mistake(exponent, GROWTH_MISTAKES, (sizes, seconds, log), _same_exponent)
        if mistake is not None:
            return mistake
    return None


def _compare_exponent(answer, sizes, seconds, case: str) -> None:
    values = _numeric(answer, "the exponent")
    if values.shape == (2,):
        raise Hint(
            f"{case}, you returned both coefficients of np.polyfit, [slope, intercept]: the slope "
            f"is the first, {WHOLE_FIT}."
        )
    if values.size != 1:
        raise Hint(
            f"{case}, return one number, the exponent p, but your answer has shape {values.shape}."
        )
    exponent = float(values.reshape(()))
    expected = reference_growth_exponent(sizes, seconds)
    if _same_exponent(exponent, expected):
        return
    with np.errstate(all="ignore"):
        mistake = _growth_mistake(exponent, sizes, seconds)
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    raise Hint(
        f"{case}, the exponent should be {expected:.6g}, the slope of the straight line fitted "
        f"through the points (log size, log seconds), but yours is {_number(exponent)}."
    )
