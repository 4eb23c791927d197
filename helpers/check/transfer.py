"""Self-checks for exercise set 09, transfer learning: reuse what a network learned (exercises 9.1 to 9.4).

Each check states the wrong answers students typically write ONCE, as a table of ``Mistake``s:
9.1 gives the hint of the entry that reproduces the student's answer, and otherwise says what
differs without guessing a cause; 9.2, 9.3 and 9.4 find their entries by the answer's properties
(repeated indices, a seed that changes nothing, weights still trainable, an optimizer not re-made).
9.1 and 9.2 run the student's function on fresh seeded data of other sizes than MNIST's (6×5
pictures, labels 0-7, classes 2, 5 and 9), so an answer hard-coded for digits 5-9 or 10 classes
fails. 9.3 and 9.4 build their own small "pretrained" base (12×10 or 10×9 pictures, with
BatchNormalization inside), run the student's function on it, and train a few steps to see which
weights really change.

>>> check.with_new_head(with_new_head)  # doctest: +SKIP
✅ Exercise 9.3: Correct: ...
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from ..check_results import CheckResult
from .classic import _number, _numeric
from .errors import describe_error
from .framework import Hint, as_array, call, run_check
from .mistakes import Mistake, matching_mistake, same
from .models import expect_a_model


def _listed(values) -> str:
    """``2, 5 and 9``: numbers or names as a sentence lists them."""
    values = [str(value) for value in values]
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} and {values[-1]}"


# --- 9.1 ---------------------------------------------------------------------------------------


def _kept(labels, digits) -> np.ndarray:
    return np.isin(labels, np.asarray(digits))


def reference_select_digits(images, labels, digits) -> tuple[np.ndarray, np.ndarray]:
    """The right answer: the examples of ``digits`` in their order, labelled by position in ``digits``.

    >>> reference_select_digits(np.arange(5), np.array([3, 1, 2, 3, 0]), [3, 1])
    (array([0, 1, 3]), array([0, 1, 0]))
    """
    keep = _kept(labels, digits)
    position = {int(digit): index for index, digit in enumerate(np.asarray(digits))}
    return images[keep], np.array([position[int(label)] for label in labels[keep]], np.int64)


def _renumbered_in_turn(images, labels, digits):
    keep = _kept(labels, digits)
    new = labels[keep].copy()
    for position, digit in enumerate(digits):
        new[new == digit] = position
    return images[keep], new


def _renumbered_in_place(images, labels, digits):
    keep = _kept(labels, digits)
    for position, digit in enumerate(digits):
        labels[labels == digit] = position
    return images[keep], labels[keep]


def _grouped_by_digit(images, labels, digits):
    groups = [np.flatnonzero(labels == digit) for digit in digits]
    order = np.concatenate(groups)
    return images[order], np.concatenate([np.full(len(g), i) for i, g in enumerate(groups)])


def _first_digit_only(images, labels, digits):
    keep = labels == digits[0]
    return images[keep], np.zeros(int(keep.sum()), np.int64)


RENUMBER = (
    "a label's new number is its POSITION in digits: position = {digit: i for i, digit in "
    "enumerate(digits)}, then np.array([position[label] for label in labels[keep]])"
)
NOT_RENUMBERED_HINT = (
    "the right examples, but with their old labels: renumber them, so that digits[0] becomes 0, "
    "digits[1] becomes 1, and so on. A network with len(digits) outputs needs labels 0 to "
    f"len(digits) - 1: {RENUMBER}."
)
MINUS_MIN_HINT = (
    "you subtracted the smallest digit: that works for digits 5 to 9, but not when the digits are "
    f"not consecutive or not in increasing order, such as (3, 1) or (2, 7, 4). Instead, {RENUMBER}."
)
SORTED_HINT = (
    "you numbered the digits in SORTED order (np.unique or np.searchsorted sort them), but the "
    "new label is the position in digits AS GIVEN: for digits (3, 1), the 3s become 0 and the 1s "
    f"become 1. {RENUMBER[0].upper()}{RENUMBER[1:]}."
)
FIRST_ONLY_HINT = (
    "your subset holds only the examples of digits[0]: keep the examples of EVERY digit in digits, "
    "keep = np.isin(labels, digits) (labels == digits[0] picks the first digit only)."
)
IN_TURN_HINT = (
    "renumbering one digit after another relabels examples you already renumbered: with digits "
    "(4, 0, 1) the 4s become 0, then the step for digit 0 turns them (and the 0s) into 1, and so "
    "on. Compare with the ORIGINAL labels each time, new[labels[keep] == digit] = position, or "
    "look every label up once, position = {digit: i for i, digit in enumerate(digits)}."
)
IN_PLACE_HINT = (
    "your function changed the arrays it was given (labels[labels == digit] = ... writes into the "
    "caller's labels): the notebook's y_train would be renumbered too, and the next call would "
    "select the wrong examples. Work on the selected copy, labels[keep], or build a new array."
)
IMAGES_WHOLE_HINT = (
    "you returned every picture, but only the selected labels: the pictures and labels are out of "
    "step. Select both with the same mask, images[keep] and labels[keep]."
)
GROUPED_HINT = (
    "you grouped the examples digit by digit: keep them in their original order, one boolean mask "
    "for all digits, keep = np.isin(labels, digits), then images[keep] and labels[keep]."
)
INTEGER_LABELS_HINT = (
    "the new labels are right, but they are {dtype} numbers: make them whole numbers (an integer "
    "array, e.g. .astype(int)), as sparse_categorical_crossentropy expects."
)

SELECT_MISTAKES: list[Mistake] = [
    Mistake(
        "not renumbered",
        lambda images, labels, d: (images[_kept(labels, d)], labels[_kept(labels, d)]),
        NOT_RENUMBERED_HINT,
    ),
    Mistake(
        "minus the smallest digit",
        lambda images, labels, d: (
            images[_kept(labels, d)],
            labels[_kept(labels, d)].astype(np.int64) - min(d),
        ),
        MINUS_MIN_HINT,
    ),
    Mistake(
        "sorted order",
        lambda images, labels, d: (
            images[_kept(labels, d)],
            np.searchsorted(np.sort(d), labels[_kept(labels, d)]),
        ),
        SORTED_HINT,
    ),
    Mistake("first digit only", _first_digit_only, FIRST_ONLY_HINT),
    Mistake("renumbered in turn", _renumbered_in_turn, IN_TURN_HINT),
    Mistake(
        "images whole",
        lambda images, labels, d: (images, reference_select_digits(images, labels, d)[1]),
        IMAGES_WHOLE_HINT,
    ),
    Mistake("grouped by digit", _grouped_by_digit, GROUPED_HINT),
    Mistake("in place", _renumbered_in_place, IN_PLACE_HINT),  # found before any comparison
]

SELECT_PRAISE = (
    "Correct: the examples of the chosen digits, in their original order, labelled by their "
    "position in digits, and the originals untouched. Now a network can learn digits 5 to 9 "
    "as classes 0 to 4."
)


def select_digits_cases() -> list[tuple[np.ndarray, np.ndarray, object, str]]:
    """The (images, labels, digits, case) 9.1 tries, in this order (read-only arrays).

    >>> [(images.shape, digits) for images, _, digits, _ in select_digits_cases()][:2]
    [((40, 6, 5), [5, 6, 7]), ((40, 6, 5), (3, 1))]
    """
    rng = np.random.default_rng(91)
    small = (
        rng.integers(0, 256, (40, 6, 5)).astype(np.uint8),
        rng.permutation(np.resize(np.arange(8), 40)).astype(np.uint8),
    )
    other = (
        rng.random((33, 4, 7, 1)).astype(np.float32),
        rng.permutation(np.resize(np.arange(6), 33)).astype(np.int64),
    )
    for array in (*small, *other):
        array.setflags(write=False)
    cases = []
    for (images, labels), digits in (
        (small, [5, 6, 7]),
        (small, (3, 1)),
        (other, np.array([2, 5, 4])),
        (small, [4, 0, 1]),
    ):
        shown = f"np.array({digits.tolist()})" if isinstance(digits, np.ndarray) else repr(digits)
        size = "×".join(map(str, images.shape[1:]))
        case = f"for digits={shown} ({len(images)} pictures of {size}, labels 0 to {labels.max()})"
        cases.append((images, labels, digits, case))
    return cases


def select_digits(function) -> CheckResult:
    """Exercise 9.1: ``select_digits(images, labels, digits)`` returns the examples whose label is in ``digits``, in their original order, with labels renumbered to their position in ``digits``.

    >>> select_digits(lambda images, labels, digits: (images[np.isin(labels, digits)],
    ...     np.array([list(digits).index(y) for y in labels[np.isin(labels, digits)]]))).status
    'pass'
    """

    def test(function):
        for images, labels, digits, case in select_digits_cases():
            given = (images.copy(), labels.copy(), _copied(digits))
            answer = call(function, *given)
            if not (np.array_equal(given[0], images) and np.array_equal(given[1], labels)):
                raise Hint(f"{case}, {IN_PLACE_HINT}")
            _compare_selection(answer, images, labels, digits, case)
        return SELECT_PRAISE

    return run_check("9.1", function, test)


def _copied(digits):
    return digits.copy() if isinstance(digits, (list, np.ndarray)) else digits


def _selection_parts(answer, case: str) -> tuple[np.ndarray, np.ndarray]:
    if answer is None:
        raise Hint(
            f"{case}, your function returned None: did it forget to `return images_subset, new_labels`?"
        )
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise Hint(
            f"{case}, your function returned a {type(answer).__name__}; return two things, "
            "the pictures and their new labels: `return images[keep], new_labels`."
        )
    subset = as_array(answer[0], "images_subset")
    new = _numeric(answer[1], "new_labels")
    return subset, new


def _same_selection(answer, wrong) -> bool:
    return same(answer[0], wrong[0]) and same(answer[1], wrong[1])


def _compare_selection(answer, images, labels, digits, case: str) -> None:
    subset, new = _selection_parts(answer, case)
    expected_images, expected_labels = reference_select_digits(images, labels, digits)
    if same(subset, expected_images) and same(new, expected_labels):
        if not np.issubdtype(new.dtype, np.integer):
            raise Hint(f"{case}, {INTEGER_LABELS_HINT.format(dtype=new.dtype)}")
        return
    inputs = (images, labels, _copied(digits))
    mistake = matching_mistake((subset, new), SELECT_MISTAKES, inputs, _same_selection)
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    _explain_selection(subset, new, images, labels, digits, case)


def _explain_selection(subset, new, images, labels, digits, case: str) -> None:
    """Say what differs: the pictures' shape, their count, which pictures, their order, a label."""
    if subset.ndim != images.ndim or subset.shape[1:] != images.shape[1:]:
        raise Hint(
            f"{case}, your subset has shape {subset.shape}; it should hold whole pictures of shape "
            f"{images.shape[1:]}, one per selected example: images[keep]."
        )
    if new.ndim != 1 or len(new) != len(subset):
        raise Hint(
            f"{case}, you returned {len(subset)} pictures but new_labels of shape {new.shape}: "
            "one label per picture, both selected with the same mask, images[keep] and labels[keep]."
        )
    where = {images[i].tobytes(): i for i in range(len(images))}
    try:
        origins = [where[picture.astype(images.dtype).tobytes()] for picture in subset]
        unchanged = np.array_equal(subset, images[origins])
    except (KeyError, ValueError, TypeError):
        unchanged = False
    if not unchanged:
        raise Hint(
            f"{case}, some pictures in your subset are not pictures of `images` as they were: "
            "select them, images[keep], without changing them."
        )
    keep = np.flatnonzero(_kept(labels, digits))
    extra = sorted({int(labels[i]) for i in origins} - {int(d) for d in np.asarray(digits)})
    if extra:
        raise Hint(
            f"{case}, your subset contains pictures of {_listed(extra)}, which "
            f"{'is' if len(extra) == 1 else 'are'} not in digits: keep = np.isin(labels, digits)."
        )
    if len(set(origins)) < len(origins):
        raise Hint(f"{case}, your subset contains some pictures more than once.")
    if set(origins) != set(keep.tolist()):
        missing = sorted({int(labels[i]) for i in set(keep.tolist()) - set(origins)})
        raise Hint(
            f"{case}, your subset misses pictures of {_listed(missing)}: keep every example whose "
            "label is in digits, keep = np.isin(labels, digits)."
        )
    if origins != keep.tolist():
        raise Hint(
            f"{case}, the right pictures, but in another order: keep their original order, "
            "images[np.isin(labels, digits)]."
        )
    expected = reference_select_digits(images, labels, digits)[1]
    index = int(np.flatnonzero(new != expected)[0])
    digit = int(labels[origins[index]])
    raise Hint(
        f"{case}, picture {index} of your subset is a {digit}, digits[{expected[index]}], so its new "
        f"label is {expected[index]}, but yours is {_number(new[index])}: {RENUMBER}."
    )


# --- 9.2 ---------------------------------------------------------------------------------------


def reference_labelled_subset(labels, per_class: int, seed: int) -> np.ndarray:
    """The right answer: ``per_class`` random indices of every class, drawn from ``default_rng(seed)``.

    >>> reference_labelled_subset(np.array([7, 7, 3, 7, 3]), 2, seed=0).shape
    (4,)
    """
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        where = np.flatnonzero(labels == label)
        if len(where) < per_class:
            raise ValueError(f"class {label} has only {len(where)} examples")
        chosen.append(rng.choice(where, per_class, replace=False))
    return np.concatenate(chosen)


def _from_each_class(pick):
    """A 9.2 answer that calls ``pick(rng, where, per_class)`` for every class, then joins the picks."""

    def labelled_subset(labels, per_class, seed):
        rng = np.random.default_rng(seed)
        picks = [pick(rng, np.flatnonzero(labels == c), per_class) for c in np.unique(labels)]
        return np.concatenate(picks)

    return labelled_subset


def _global_generator(labels, per_class, seed):
    picks = [
        np.random.choice(np.flatnonzero(labels == c), per_class, replace=False)
        for c in np.unique(labels)
    ]
    return np.concatenate(picks)


def _global_seed(labels, per_class, seed):
    np.random.seed(seed)
    return _global_generator(labels, per_class, seed)


def _fixed_seed(labels, per_class, seed):
    return reference_labelled_subset(labels, per_class, 42)


def _up_to_largest_label(labels, per_class, seed):
    rng = np.random.default_rng(seed)
    picks = [
        rng.choice(np.flatnonzero(labels == c), per_class, replace=False)
        for c in range(labels.max())
    ]
    return np.concatenate(picks)


def _one_draw_for_all(labels, per_class, seed):
    rng = np.random.default_rng(seed)
    return rng.choice(len(labels), per_class * len(np.unique(labels)), replace=False)


NESTED_HINT = "you returned one group of indices per class: join them into one flat array, np.concatenate(...)."
MASK_HINT = (
    "you returned True/False for every label (a mask): return the INDICES of the chosen examples "
    "(the numbers rng.choice picks; np.flatnonzero(mask) turns a mask into indices)."
)
LABELS_HINT = (
    "you returned the LABELS of the chosen examples, not their indices: return the positions in "
    "`labels`, the numbers rng.choice(np.flatnonzero(labels == c), ...) picks, not labels[...]."
)
REPLACEMENT_HINT = (
    "you drew with replacement, so an example can come twice: rng.choice's default is "
    "replace=True; pass replace=False."
)
TOTAL_HINT = (
    "you returned per_class indices in all: choose per_class indices for EACH class, one "
    "rng.choice(np.flatnonzero(labels == c), per_class, replace=False) per class c."
)
CLASSES_HINT = (
    "take the classes that occur in labels, np.unique(labels), not range(labels.max()) or range(10)"
)
ONE_DRAW_HINT = (
    "draw per_class indices from each class separately (one rng.choice per class): a single draw "
    "over all labels gives some classes more examples than others."
)
FIRST_HINT = (
    "you took the FIRST per_class examples of each class, not a random choice: the first examples "
    "of a data set may all come from the same writers. Draw them with "
    "rng.choice(np.flatnonzero(labels == c), per_class, replace=False)."
)
IRREPRODUCIBLE_HINT = (
    "two calls with the same seed gave different indices: np.random.choice, permutation and "
    "shuffle draw from NumPy's global generator, which ignores your seed. Make your own, "
    "rng = np.random.default_rng(seed), and draw with rng.choice(...)."
)
GLOBAL_SEED_HINT = (
    "your function uses NumPy's GLOBAL generator (np.random.seed, np.random.choice, "
    "np.random.shuffle, ...): that also changes the random numbers of every other part of the "
    "notebook. Draw everything from a generator of your own, rng = np.random.default_rng(seed)."
)
SAME_FOR_EVERY_SEED_HINT = (
    "every seed gave the same indices: your function does not use its seed. Make the generator "
    "from it, rng = np.random.default_rng(seed), not from a fixed number."
)
NO_ERROR_HINT = (
    "raise ValueError when a class has fewer than per_class examples, rather than returning fewer "
    "for it: a too-small class would silently get fewer labelled examples than you asked for. "
    "(rng.choice(..., replace=False) raises it for you.)"
)

# The check finds these by the answer's properties: repeated indices, counts per class, seeds.
LABELLED_SUBSET_MISTAKES: list[Mistake] = [
    Mistake(
        "one group per class",
        lambda labels, k, seed: [
            np.random.default_rng(seed).choice(np.flatnonzero(labels == c), k, replace=False)
            for c in np.unique(labels)
        ],
        NESTED_HINT,
    ),
    Mistake(
        "mask",
        lambda labels, k, seed: np.isin(
            np.arange(len(labels)), reference_labelled_subset(labels, k, seed)
        ),
        MASK_HINT,
    ),
    Mistake(
        "labels",
        lambda labels, k, seed: labels[reference_labelled_subset(labels, k, seed)],
        LABELS_HINT,
    ),
    Mistake(
        "with replacement",
        _from_each_class(lambda rng, where, k: rng.choice(where, k)),
        REPLACEMENT_HINT,
    ),
    Mistake(
        "per_class in all",
        lambda labels, k, seed: np.random.default_rng(seed).choice(len(labels), k, replace=False),
        TOTAL_HINT,
    ),
    Mistake("classes up to the largest label", _up_to_largest_label, CLASSES_HINT),
    Mistake("one draw for all classes", _one_draw_for_all, ONE_DRAW_HINT),
    Mistake("first of each class", _from_each_class(lambda rng, where, k: where[:k]), FIRST_HINT),
    Mistake("global generator", _global_generator, IRREPRODUCIBLE_HINT),
    Mistake("global seed", _global_seed, GLOBAL_SEED_HINT),
    Mistake("fixed seed", _fixed_seed, SAME_FOR_EVERY_SEED_HINT),
    Mistake(
        "fewer without complaint",
        _from_each_class(lambda rng, where, k: rng.permutation(where)[:k]),
        NO_ERROR_HINT,
    ),
]

LABELLED_SUBSET_PRAISE = (
    "Correct: per_class random examples of every class, no example twice, the same ones for the "
    "same seed and others for another seed, and a ValueError for a class that is too small. A "
    "balanced, reproducible labelled subset: the experiment can be repeated exactly."
)


def labelled_subset_cases() -> list[tuple[np.ndarray, int, int, str]]:
    """The (labels, per_class, seed, case) 9.2 tries; in the last two a class is too small (read-only).

    >>> [(len(labels), sorted(set(labels.tolist())), k) for labels, k, _, _ in labelled_subset_cases()]
    [(40, [0, 1, 2, 3], 7), (57, [2, 5, 9], 6), (40, [0, 1, 2, 3], 8), (57, [2, 5, 9], 16)]
    """
    rng = np.random.default_rng(92)
    four = rng.permutation(np.repeat(np.arange(4), [7, 12, 9, 12])).astype(np.int64)
    three = rng.permutation(np.repeat([2, 5, 9], [22, 20, 15])).astype(np.uint8)
    for labels in (four, three):
        labels.setflags(write=False)
    return [
        (
            four,
            7,
            3,
            "for 40 labels of the classes 0 to 3 and per_class=7 (all 7 examples of class 0)",
        ),
        (three, 6, 11, "for 57 labels of the classes 2, 5 and 9 and per_class=6"),
        (four, 8, 5, "for per_class=8, when class 0 has only 7 examples"),
        (three, 16, 5, "for per_class=16, when class 9 has only 15 examples"),
    ]


def labelled_subset(function) -> CheckResult:
    """Exercise 9.2: ``labelled_subset(labels, per_class, seed)`` returns the indices of ``per_class`` random examples of every class, reproducibly drawn with ``np.random.default_rng(seed)``; a too-small class raises ValueError.

    >>> def answer(labels, per_class, seed):
    ...     rng = np.random.default_rng(seed)
    ...     return np.concatenate([rng.choice(np.flatnonzero(labels == c), per_class, replace=False)
    ...                            for c in np.unique(labels)])
    >>> labelled_subset(answer).status
    'pass'
    """

    def test(function):
        state = np.random.get_state()  # the notebook's own random numbers stay as they were
        try:
            for labels, per_class, seed, case in labelled_subset_cases():
                if np.unique(labels, return_counts=True)[1].min() < per_class:
                    _expect_value_error(function, labels, per_class, seed, case)
                    continue
                indices = _indices_from(function, labels, per_class, seed, case)
                _expect_per_class(indices, labels, per_class, case)
                _expect_random(function, indices, labels, per_class, seed, case)
        finally:
            np.random.set_state(state)
        return LABELLED_SUBSET_PRAISE

    return run_check("9.2", function, test)


_GLOBAL_STATES = itertools.count(920)


def _drawn(function, labels, per_class: int, seed: int, case: str):
    """The student's answer, and whether the call drew from (or seeded) NumPy's global generator.

    The global generator starts each call from another state: an unseeded np.random.choice then
    differs from call to call, and np.random.seed(seed) shows as a state it changed."""
    np.random.seed(next(_GLOBAL_STATES))
    state = np.random.get_state()
    try:
        answer = call(function, labels.copy(), per_class, seed)
    except Hint as hint:
        message = str(hint)
        if "ValueError" in message:
            message += f" Every class here has at least per_class examples: {CLASSES_HINT}."
        raise Hint(f"{case}, {message}") from None
    after = np.random.get_state()
    return answer, not (np.array_equal(after[1], state[1]) and after[2] == state[2])


def _indices_from(function, labels, per_class: int, seed: int, case: str) -> np.ndarray:
    answer, _ = _drawn(function, labels, per_class, seed, case)
    if isinstance(answer, (list, tuple)) and any(np.ndim(part) > 0 for part in answer):
        raise Hint(f"{case}, {NESTED_HINT}")
    indices = _numeric(answer, "the indices")
    if indices.ndim == 2:
        raise Hint(f"{case}, {NESTED_HINT}")
    if indices.ndim != 1:
        raise Hint(f"{case}, return a flat array of indices; yours has shape {indices.shape}.")
    if indices.dtype == bool:
        raise Hint(f"{case}, {MASK_HINT}")
    classes = np.unique(labels)
    if (
        np.isin(indices, classes).all()
        and (np.unique(indices, return_counts=True)[1] == per_class).all()
    ):
        raise Hint(f"{case}, {LABELS_HINT}")
    if not np.issubdtype(indices.dtype, np.integer):
        if np.all(np.mod(indices, 1) == 0):
            raise Hint(
                f"{case}, your indices are {indices.dtype} numbers: indices must be integers "
                "(an array of floats cannot index another array), e.g. .astype(int)."
            )
        raise Hint(
            f"{case}, indices must be whole numbers, but yours include {_number(indices[np.mod(indices, 1) != 0][0])}."
        )
    outside = indices[(indices < 0) | (indices >= len(labels))]
    if outside.size:
        raise Hint(
            f"{case}, index {outside[0]} does not exist: labels has {len(labels)} entries, so the "
            f"indices go from 0 to {len(labels) - 1}."
        )
    return indices.astype(np.int64)


def _expect_per_class(indices: np.ndarray, labels, per_class: int, case: str) -> None:
    values, counts = np.unique(indices, return_counts=True)
    if (counts > 1).any():
        raise Hint(f"{case}, index {values[counts > 1][0]} appears twice: {REPLACEMENT_HINT}")
    classes = np.unique(labels)
    if len(indices) == per_class:
        raise Hint(f"{case}, {TOTAL_HINT}")
    chosen = labels[indices]
    missing = [int(c) for c in classes if not (chosen == c).any()]
    if missing:
        raise Hint(
            f"{case}, your indices include no example of class {_listed(missing)}: "
            f"{CLASSES_HINT} (here {_listed(classes.tolist())})."
        )
    for c in classes:
        got = int((chosen == c).sum())
        if got != per_class:
            advice = ONE_DRAW_HINT if len(indices) == per_class * len(classes) else ""
            raise Hint(
                f"{case}, class {c} got {got} indices, but every class should get exactly "
                f"per_class={per_class}. {advice}".rstrip()
            )


def _expect_random(function, indices, labels, per_class: int, seed: int, case: str) -> None:
    first = np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in np.unique(labels)])
    if np.array_equal(np.sort(indices), np.sort(first)):
        raise Hint(f"{case}, {FIRST_HINT}")
    again, used_global = _drawn(function, labels, per_class, seed, case)
    if not same(np.sort(np.asarray(again)), np.sort(indices)):
        raise Hint(f"{case}, {IRREPRODUCIBLE_HINT}")
    if used_global:
        raise Hint(f"{case}, {GLOBAL_SEED_HINT}")
    others = [
        np.sort(np.asarray(_drawn(function, labels, per_class, s, case)[0])) for s in (0, 1, 2)
    ]
    if all(same(other, np.sort(indices)) for other in others):
        raise Hint(f"{case}, seeds 0, 1, 2 and {seed}: {SAME_FOR_EVERY_SEED_HINT}")


def _expect_value_error(function, labels, per_class: int, seed: int, case: str) -> None:
    if not callable(function):
        call(function)
    try:
        answer = function(labels.copy(), per_class, seed)
    except ValueError:
        return
    except (NotImplementedError, Hint):
        raise
    except Exception as error:
        raise Hint(
            f"{case}, your function raised {describe_error(error)}; raise ValueError instead, "
            "the error Python uses for an argument whose value cannot work."
        ) from None
    try:
        returned = f"returned {len(answer)} indices"
    except TypeError:
        returned = "returned"
    raise Hint(f"{case}, your function {returned} without complaint: {NO_ERROR_HINT}")


# --- 9.3 ---------------------------------------------------------------------------------------

FEATURES = 24  # the 9.3 base's feature vector: neither 5, 10 nor a class count the check asks for


def _nudge_batch_normalization(model, rng) -> None:
    """Give every BatchNormalization layer statistics a trained one could have, far from 0 and 1."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            size = layer.gamma.shape[0]
            layer.gamma.assign(rng.uniform(0.6, 1.4, size))
            layer.beta.assign(rng.normal(0, 0.2, size))
            layer.moving_mean.assign(rng.normal(0.3, 0.2, size))
            layer.moving_variance.assign(rng.uniform(0.5, 2.0, size))


def pretrained_base(functional: bool, seed: int):
    """The 9.3 base: 12×10 pictures to 24 features through Conv2D, BatchNormalization, MaxPooling,
    Flatten and Dense; a Sequential taking (12, 10, 1), or a functional model taking (12, 10)."""
    import keras

    layers = keras.layers
    keras.utils.set_random_seed(seed)
    body = [
        layers.Conv2D(4, 3, activation="relu", name="conv"),
        layers.BatchNormalization(name="norm"),
        layers.MaxPooling2D(name="pool"),
        layers.Flatten(name="flatten"),
        layers.Dense(FEATURES, activation="relu", name="features"),
    ]
    if functional:
        inputs = keras.Input((12, 10))
        x = layers.Reshape((12, 10, 1))(inputs)
        for layer in body:
            x = layer(x)
        base = keras.Model(inputs, x, name="base")
    else:
        base = keras.Sequential([keras.Input((12, 10, 1)), *body], name="base")
    _nudge_batch_normalization(base, np.random.default_rng(seed))
    return base


def _snapshot(variables) -> dict:
    return {id(v): np.array(v.numpy()) for v in variables}


def _changed(variable, before: dict) -> bool:
    return not np.array_equal(before[id(variable)], variable.numpy())


def _layer_names(layers) -> str:
    return _listed([repr(layer.name) for layer in layers])


def _the_layers(layers) -> str:
    """``layer 'conv'`` or ``layers 'conv' and 'dense'``."""
    return f"layer{'s' if len(layers) > 1 else ''} {_layer_names(layers)}"


FREEZE_HINT = (
    "freeze the base, base.trainable = False, so that training changes only the new head and "
    "keeps what the base learned."
)
SOFTMAX_HINT = (
    'give the new Dense layer activation="softmax", so that each row is a probability per class.'
)
CLASS_COUNT_HINT = (
    "the head must have class_count outputs: keras.layers.Dense(class_count, "
    'activation="softmax"), not a fixed number.'
)
NEW_BASE_HINT = (
    "your model does not contain the base it was given (its weights are other objects): a new or "
    "cloned base starts from other weights, so the model throws away what the base learned, and "
    "freezing `base` does not freeze it. Put the head on `base` itself."
)
TRUNCATED_HINT = (
    "put the new Dense layer on top of the base's OUTPUT, base(inputs) or base.outputs[0], "
    "and keep all of the base: transfer learning adds a head, it does not replace the base's "
    "last layer."
)
NOTHING_TO_TRAIN_HINT = (
    "your model has no trainable weights at all, so fit would change nothing: freeze the base "
    "only (base.trainable = False), not the whole model, and keep the new head trainable."
)
ONE_HEAD_HINT = (
    'the head should be ONE new layer, keras.layers.Dense(class_count, activation="softmax"), '
    "with a kernel of shape (features, class_count) and a bias."
)
RETURNED_BASE_HINT = (
    "you returned the base itself, with the head added into it: build a new model around it, "
    'e.g. keras.Sequential([base, keras.layers.Dense(class_count, activation="softmax")]), so that '
    "`base` stays the feature extractor you were given."
)

# The check finds these by running the model and looking at its weights.
NEW_HEAD_MISTAKES: list[Mistake] = [
    Mistake(
        "not frozen",
        lambda base, k: _head_on(base, k, freeze=False),
        FREEZE_HINT,
    ),
    Mistake("no softmax", lambda base, k: _head_on(base, k, activation=None), SOFTMAX_HINT),
    Mistake("five classes", lambda base, k: _head_on(base, 5), CLASS_COUNT_HINT),
    Mistake("new base", lambda base, k: _head_on(pretrained_base(False, 5), k), NEW_BASE_HINT),
    Mistake("cloned base", lambda base, k: _head_on(_cloned(base), k), NEW_BASE_HINT),
    Mistake("last layer replaced", lambda base, k: _head_on(base, k, cut=True), TRUNCATED_HINT),
    Mistake(
        "everything frozen",
        lambda base, k: _head_on(base, k, freeze_all=True),
        NOTHING_TO_TRAIN_HINT,
    ),
    Mistake("two head layers", lambda base, k: _head_on(base, k, hidden=16), ONE_HEAD_HINT),
]


def _cloned(base):
    import keras

    return keras.models.clone_model(base)


def _head_on(
    base, class_count, freeze=True, activation="softmax", cut=False, freeze_all=False, hidden=0
):
    """The 9.3 solution with one thing changed (a Mistake's implementation)."""
    import keras

    base.trainable = not freeze
    inputs = keras.Input(shape=base.input_shape[1:])
    if cut:
        truncated = keras.Model(base.inputs, base.layers[-2].output)
        features = truncated(inputs)
    else:
        features = base(inputs, training=False)
    if hidden:
        features = keras.layers.Dense(hidden, activation="relu")(features)
    outputs = keras.layers.Dense(class_count, activation=activation)(features)
    model = keras.Model(inputs, outputs)
    if freeze_all:
        model.trainable = False
    return model


NEW_HEAD_PRAISE = (
    "Correct: the base you were given, frozen, under one new softmax layer of class_count outputs. "
    "Training changes only the head's weights; the base's weights and its BatchNormalization "
    "statistics stay exactly as they were."
)


def with_new_head(function) -> CheckResult:
    """Exercise 9.3: ``with_new_head(base, class_count)`` freezes ``base`` and returns a new model: the base under a new ``Dense(class_count, activation="softmax")``.

    >>> check.with_new_head(lambda base, class_count: (setattr(base, "trainable", False), keras.Sequential(
    ...     [base, keras.layers.Dense(class_count, activation="softmax")]))[1])  # doctest: +SKIP
    ✅ Exercise 9.3: Correct: the base you were given, frozen, ...
    """

    def test(function):
        for functional, class_count, seed in ((False, 3, 93), (True, 7, 94)):
            kind = "a functional base taking (12, 10)" if functional else "a Sequential base"
            case = f"for {kind} and class_count={class_count}"
            base = pretrained_base(functional, seed)
            model = _model_from(function, base, class_count, case)
            pictures = np.random.default_rng(seed).random((6, *base.input_shape[1:]), np.float32)
            _expect_head_outputs(model, pictures, class_count, case)
            _expect_frozen_base_under_one_head(model, base, class_count, case)
            _expect_only_head_trains(model, base, pictures, class_count, seed, case)
        return NEW_HEAD_PRAISE

    return run_check("9.3", function, test)


def _model_from(function, base, class_count: int, case: str):
    try:
        model = call(function, base, class_count)
    except Hint as hint:
        message = str(hint)
        if "incompatible" in message and "shape" in message:
            message += (
                " Take the input shape from the base, keras.Input(shape=base.input_shape[1:]): "
                f"this base takes pictures of shape {base.input_shape[1:]}, not MNIST's."
            )
        raise Hint(f"{case}, {message}") from None
    if model is base:
        raise Hint(f"{case}, {RETURNED_BASE_HINT}")
    try:
        expect_a_model(model)
    except Hint as hint:
        raise Hint(f"{case}, {hint}") from None
    return model


def _expect_head_outputs(model, pictures, class_count: int, case: str) -> None:
    import keras

    try:
        with warnings.catch_warnings():  # keras.Model(base.inputs, ...) wants a list; a batch works
            warnings.simplefilter("ignore", UserWarning)
            outputs = np.asarray(keras.ops.convert_to_numpy(model(pictures, training=False)))
    except Exception as error:
        raise Hint(
            f"{case}, your model failed on {len(pictures)} pictures of shape {pictures.shape[1:]}: "
            f"{describe_error(error)}"
        ) from None
    if outputs.shape != (len(pictures), class_count):
        if outputs.ndim == 2 and outputs.shape[1] == FEATURES:
            raise Hint(
                f"{case}, your model outputs the base's {FEATURES} features, with no head on top: "
                'add keras.layers.Dense(class_count, activation="softmax").'
            )
        if outputs.ndim == 2 and outputs.shape[0] == len(pictures):
            raise Hint(
                f"{case}, your model gives {outputs.shape[1]} numbers per picture, but there are "
                f"{class_count} classes: {CLASS_COUNT_HINT}"
            )
        raise Hint(
            f"{case}, on {len(pictures)} pictures your model gave shape {outputs.shape}; it should "
            f"give one row of class_count = {class_count} probabilities per picture."
        )
    if not np.all(np.isfinite(outputs)):
        raise Hint(f"{case}, your model gave NaN or infinite outputs.")
    if outputs.min() < 0 or not np.allclose(outputs.sum(axis=1), 1, atol=1e-4):
        raise Hint(
            f"{case}, your model's outputs are not probabilities (>= 0, adding up to 1 per "
            f"picture): {SOFTMAX_HINT}"
        )


def _expect_frozen_base_under_one_head(model, base, class_count: int, case: str) -> None:
    base_ids = {id(v) for v in base.weights}
    model_ids = {id(v) for v in model.weights}
    if not base_ids & model_ids:
        raise Hint(f"{case}, {NEW_BASE_HINT}")
    left_out = [
        layer for layer in base.layers if any(id(v) not in model_ids for v in layer.weights)
    ]
    if left_out:
        raise Hint(
            f"{case}, your model leaves out the base's {_the_layers(left_out)}: {TRUNCATED_HINT}"
        )
    trainable = model.trainable_weights
    still = [
        layer
        for layer in base.layers
        if any(id(v) in {id(w) for w in trainable} for v in layer.weights)
    ]
    if still:
        raise Hint(
            f"{case}, the weights of the base's {_the_layers(still)} are still trainable: "
            f"{FREEZE_HINT}"
        )
    head = [v for v in trainable if id(v) not in base_ids]
    if not head:
        raise Hint(f"{case}, {NOTHING_TO_TRAIN_HINT}")
    shapes = sorted(tuple(v.shape) for v in head)
    if shapes != [(class_count,), (FEATURES, class_count)]:
        if len(head) > 2:
            found = _listed([str(shape) for shape in shapes])
            raise Hint(
                f"{case}, your head has {len(head)} trainable weights, of shapes {found}: {ONE_HEAD_HINT}"
            )
        if shapes == [(FEATURES, class_count)]:
            raise Hint(f"{case}, your head has no bias: keep Dense's default use_bias=True.")
        raise Hint(
            f"{case}, the trainable weights should be the new Dense layer's kernel, of shape "
            f"({FEATURES}, {class_count}), and its bias, ({class_count},), but they have shapes "
            f"{_listed([str(shape) for shape in shapes])}."
        )


def _expect_only_head_trains(model, base, pictures, class_count: int, seed: int, case: str) -> None:
    import keras

    rng = np.random.default_rng(seed)
    x = rng.random((16, *pictures.shape[1:]), np.float32)
    y = rng.integers(0, class_count, 16)
    before = _snapshot(model.weights)
    keras.utils.set_random_seed(seed)
    try:
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    except Exception as error:
        raise Hint(
            f"{case}, training your model for 2 steps raised {describe_error(error)}"
        ) from None
    moved = [v for v in base.weights if _changed(v, before)]
    if moved:
        raise Hint(f"{case}, training your model changed the base's {moved[0].path}: {FREEZE_HINT}")
    if not any(_changed(v, before) for v in model.trainable_weights):
        raise Hint(f"{case}, 2 steps of model.fit left the new head's weights unchanged.")


# --- 9.4 ---------------------------------------------------------------------------------------

UNFREEZE_INPUT = (10, 9, 1)
UNFREEZE_CLASSES = 4


def fine_tuning_model(seed: int):
    """A 9.4 start, as 9.3 leaves it: a frozen "pretrained" base of 4 layers with weights and 2
    BatchNormalization layers, under a softmax head, compiled with Adam(1e-3) and no metrics.

    Returns ``(model, base, head)``; ``[l.name for l in base.layers]`` is conv_1, norm_1, conv_2,
    pool, flatten, dense_1, norm_2, dense_2.
    """
    import keras

    layers = keras.layers
    keras.utils.set_random_seed(seed)
    base = keras.Sequential(
        [
            keras.Input(UNFREEZE_INPUT),
            layers.Conv2D(4, 3, activation="relu", name="conv_1"),
            layers.BatchNormalization(name="norm_1"),
            layers.Conv2D(6, 3, activation="relu", name="conv_2"),
            layers.MaxPooling2D(name="pool"),
            layers.Flatten(name="flatten"),
            layers.Dense(16, activation="tanh", name="dense_1"),
            layers.BatchNormalization(name="norm_2"),
            layers.Dense(12, activation="tanh", name="dense_2"),
        ],
        name="base",
    )
    _nudge_batch_normalization(base, np.random.default_rng(seed))
    base.trainable = False
    inputs = keras.Input(UNFREEZE_INPUT)
    head = layers.Dense(UNFREEZE_CLASSES, activation="softmax", name="head")
    model = keras.Model(inputs, head(base(inputs, training=False)))
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    return model, base, head


def _is_norm(layer) -> bool:
    import keras

    return isinstance(layer, keras.layers.BatchNormalization)


def _weighted(layers) -> list:
    """The layers with weights, BatchNormalization left out: the ones 9.4 counts."""
    return [layer for layer in layers if layer.weights and not _is_norm(layer)]


def reference_top_layers(base, layer_count: int) -> list:
    """The layers 9.4 makes trainable: the last ``layer_count`` layers with weights, not BN.

    >>> [layer.name for layer in reference_top_layers(fine_tuning_model(0)[1], 3)]  # doctest: +SKIP
    ['conv_2', 'dense_1', 'dense_2']
    """
    weighted = _weighted(base.layers)
    return weighted[max(len(weighted) - layer_count, 0) :]


def _unfreeze(
    model,
    base,
    layer_count,
    learning_rate,
    top=reference_top_layers,
    norms=False,
    recompile=True,
    optimizer=None,
    metrics=("accuracy",),
):
    """The 9.4 solution with one thing changed (a Mistake's implementation)."""
    import keras

    base.trainable = True
    chosen = top(base, layer_count)
    for layer in base.layers:
        layer.trainable = layer in chosen or (norms and _is_norm(layer) and bool(chosen))
    if recompile:
        model.compile(
            optimizer or keras.optimizers.Adam(learning_rate),
            "sparse_categorical_crossentropy",
            metrics=None if metrics is None else list(metrics),
        )
    return model


def _from_the_start(base, n):
    return _weighted(base.layers)[:n]


def _counting_every_layer(base, n):
    return [
        layer for layer in base.layers[len(base.layers) - n :] if layer in _weighted(base.layers)
    ]


def _counting_norms(base, n):
    counted = [layer for layer in base.layers if layer.weights]
    return [layer for layer in counted[len(counted) - n :] if not _is_norm(layer)]


def _minus_zero(base, n):
    return _weighted(base.layers)[-n:]


def _sgd(model, base, layer_count, learning_rate):
    import keras

    return _unfreeze(
        model, base, layer_count, learning_rate, optimizer=keras.optimizers.SGD(learning_rate)
    )


def _metrics_in_third_place(model, base, layer_count, learning_rate):
    _unfreeze(model, base, layer_count, learning_rate)
    model.compile(_adam(learning_rate), "sparse_categorical_crossentropy", ["accuracy"])


def _parent_last(model, base, layer_count, learning_rate):
    import keras

    chosen = reference_top_layers(base, layer_count)
    for layer in base.layers:
        layer.trainable = layer in chosen
    base.trainable = True
    model.compile(
        keras.optimizers.Adam(learning_rate),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )


WHICH_LAYERS = (
    "count from the END of base.layers, only the layers that have weights and are not "
    "BatchNormalization: weighted = [layer for layer in base.layers if layer.weights and not "
    "isinstance(layer, keras.layers.BatchNormalization)], then weighted[len(weighted) - layer_count:]"
)
FROM_START_HINT = (
    f"you unfroze the FIRST layers of the base; fine-tuning adapts its top: {WHICH_LAYERS}."
)
EVERY_LAYER_HINT = (
    "you counted layers without weights (Flatten, MaxPooling2D) or BatchNormalization layers too, "
    f"so fewer layers with weights became trainable: {WHICH_LAYERS}."
)
MINUS_ZERO_HINT = (
    "with layer_count=0 every layer with weights became trainable: weighted[-0:] is the WHOLE list (-0 is 0). "
    "Slice with weighted[len(weighted) - layer_count:], which is empty for 0."
)
NOTHING_UNFROZEN_HINT = (
    "no layer of the base became trainable: set layer.trainable = True on the layers to fine-tune, "
    "and don't set base.trainable = False after that: it sets every layer of the base back to "
    "frozen."
)
PARENT_LAST_HINT = (
    "every layer of the base became trainable, BatchNormalization too. Note that base.trainable = "
    "True sets trainable = True on all its layers, undoing what you set before it: set it FIRST, "
    "then freeze the layers that stay frozen (all but the last layer_count with weights, and every "
    "BatchNormalization)."
)
NORM_HINT = (
    "keep every BatchNormalization layer frozen (trainable = False), even when the layers around it "
    "train: a trainable BatchNormalization normalizes with each small batch's own statistics during "
    "fit and overwrites the moving averages it learned on the big data set, even when the model "
    "calls base(inputs, training=False)."
)
HEAD_FROZEN_HINT = "the new head became frozen: it must keep training, leave its trainable alone."
NOT_RECOMPILED_HINT = (
    "your model still has the optimizer it was compiled with before: compile it again, with a new "
    "optimizer, model.compile(keras.optimizers.Adam(learning_rate), ...). Keras fixes which "
    "weights fit trains when it prepares training after a compile: without a new compile, fit "
    "goes on training the head only."
)
OPTIMIZER_HINT = "re-compile with keras.optimizers.Adam(learning_rate)"
POSITIONAL_METRICS_HINT = (
    "you passed the metrics as compile's third argument, which is loss_weights: name them, "
    'model.compile(optimizer, loss, metrics=["accuracy"]).'
)
METRICS_HINT = 'pass metrics=["accuracy"] to compile, so that fit reports the accuracy.'

# The check finds these by looking at which layers are trainable and at the compiled model.
UNFREEZE_MISTAKES: list[Mistake] = [
    Mistake("from the start", lambda *a: _unfreeze(*a, top=_from_the_start), FROM_START_HINT),
    Mistake(
        "every layer counted", lambda *a: _unfreeze(*a, top=_counting_every_layer), EVERY_LAYER_HINT
    ),
    Mistake("norms counted", lambda *a: _unfreeze(*a, top=_counting_norms), EVERY_LAYER_HINT),
    Mistake("minus zero", lambda *a: _unfreeze(*a, top=_minus_zero), MINUS_ZERO_HINT),
    Mistake("norms unfrozen", lambda *a: _unfreeze(*a, norms=True), NORM_HINT),
    Mistake(
        "frozen again at the end",
        lambda model, base, n, rate: (
            _unfreeze(model, base, n, rate),
            setattr(base, "trainable", False),
        ),
        NOTHING_UNFROZEN_HINT,
    ),
    Mistake("parent unfrozen last", _parent_last, PARENT_LAST_HINT),
    Mistake(
        "everything unfrozen",
        lambda *a: _unfreeze(*a, top=lambda base, n: list(base.layers), norms=True),
        "every layer of the base became trainable",
    ),
    Mistake("not re-compiled", lambda *a: _unfreeze(*a, recompile=False), NOT_RECOMPILED_HINT),
    Mistake("SGD", _sgd, "not Adam"),
    Mistake("no metrics", lambda *a: _unfreeze(*a, metrics=None), METRICS_HINT),
    Mistake("metrics in third place", _metrics_in_third_place, POSITIONAL_METRICS_HINT),
    Mistake(
        "default learning rate",
        lambda *a: _unfreeze(*a, optimizer="adam"),
        'the default of Adam() and "adam"',
    ),
    Mistake(
        "fixed learning rate",
        lambda model, base, n, rate: _unfreeze(model, base, n, rate, optimizer=_adam(3e-4)),
        "but the learning_rate argument is 1e-05",
    ),
]


def _adam(rate):
    import keras

    return keras.optimizers.Adam(rate)


UNFREEZE_PRAISE = (
    "Correct: exactly the last layer_count layers with weights of the base train, every "
    "BatchNormalization layer stays frozen, and the model is re-compiled with Adam at the given "
    "learning rate, so fit really trains them (and leaves the rest, moving averages included, as it was)."
)

# (layer_count, learning_rate, train a few steps?): 4 is every layer with weights, 9 more than all.
UNFREEZE_CASES = (
    (2, 3e-4, True),
    (0, 1e-5, True),
    (1, 1e-5, False),
    (3, 3e-4, False),
    (4, 1e-5, False),
    (9, 3e-4, False),
)


def unfreeze_top(function) -> CheckResult:
    """Exercise 9.4: ``unfreeze_top(model, base, layer_count, learning_rate)`` makes the last ``layer_count`` layers with weights of ``base`` trainable (BatchNormalization stays frozen, and is not counted) and re-compiles ``model`` with ``Adam(learning_rate)``.

    >>> check.unfreeze_top(unfreeze_top)  # doctest: +SKIP
    ✅ Exercise 9.4: Correct: exactly the last layer_count layers with weights of the base train, ...
    """

    def test(function):
        for index, (layer_count, learning_rate, train) in enumerate(UNFREEZE_CASES):
            case = f"for layer_count={layer_count} and learning_rate={learning_rate:g}"
            model, base, head = fine_tuning_model(seed=940 + index)
            first_optimizer = model.optimizer
            try:
                call(function, model, base, layer_count, learning_rate)
            except Hint as hint:
                raise Hint(f"{case}, {hint}") from None
            expected = reference_top_layers(base, layer_count)
            _expect_trainable_layers(model, base, head, expected, layer_count, case)
            _expect_recompiled(model, first_optimizer, learning_rate, case)
            if train:
                _expect_fine_tuning(model, base, head, expected, 940 + index, case)
        return UNFREEZE_PRAISE

    return run_check("9.4", function, test)


def _expect_trainable_layers(
    model, base, head, expected: list, layer_count: int, case: str
) -> None:
    trainable = {id(v) for v in model.trainable_weights}
    trains = lambda layer: any(id(v) in trainable for v in layer.weights)
    weighted = _weighted(base.layers)
    got = [layer for layer in weighted if trains(layer)]
    if not trains(head):
        raise Hint(f"{case}, {HEAD_FROZEN_HINT}")
    if got != expected:
        names = lambda layers: _layer_names(layers) if layers else "none"
        if not got:
            raise Hint(f"{case}, {NOTHING_UNFROZEN_HINT}")
        if layer_count == 0 and got == weighted:
            raise Hint(f"{case}, {MINUS_ZERO_HINT}")
        if got == weighted and all(trains(layer) for layer in base.layers if _is_norm(layer)):
            raise Hint(f"{case}, {PARENT_LAST_HINT}")
        if got == _from_the_start(base, layer_count):
            raise Hint(f"{case}, {FROM_START_HINT}")
        if got in (_counting_every_layer(base, layer_count), _counting_norms(base, layer_count)):
            raise Hint(f"{case}, {EVERY_LAYER_HINT}")
        raise Hint(
            f"{case}, the trainable layers of the base should be {names(expected)}, but they are "
            f"{names(got)}: {WHICH_LAYERS}."
        )
    norms = [layer for layer in base.layers if _is_norm(layer) and trains(layer)]
    if norms:
        raise Hint(f"{case}, {_layer_names(norms)} became trainable: {NORM_HINT}")


def _expect_recompiled(model, first_optimizer, learning_rate: float, case: str) -> None:
    import keras

    optimizer = model.optimizer
    if optimizer is first_optimizer:
        raise Hint(f"{case}, {NOT_RECOMPILED_HINT}")
    if not isinstance(optimizer, keras.optimizers.Adam):
        raise Hint(
            f"{case}, your model is compiled with {type(optimizer).__name__}, not Adam: "
            f"{OPTIMIZER_HINT}."
        )
    rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    if not np.isclose(rate, learning_rate, rtol=1e-5):
        if np.isclose(rate, 1e-3, rtol=1e-5):
            raise Hint(
                f'{case}, Adam\'s learning rate is 0.001, the default of Adam() and "adam": '
                f"{OPTIMIZER_HINT}, so that fine-tuning takes the small steps it asks for."
            )
        raise Hint(
            f"{case}, Adam's learning rate is {rate:.3g}, but the learning_rate argument is "
            f"{learning_rate:g}: {OPTIMIZER_HINT}."
        )
    _expect_sparse_loss(model.loss, case)
    weights = (model.get_compile_config() or {}).get("loss_weights")
    if isinstance(weights, (list, tuple)) and any(isinstance(w, str) for w in weights):
        raise Hint(f"{case}, {POSITIONAL_METRICS_HINT}")


def _expect_sparse_loss(loss, case: str) -> None:
    import keras

    try:
        resolved = keras.losses.get(loss) if isinstance(loss, str) else loss
    except ValueError:
        resolved = loss
    name = getattr(resolved, "name", None) or getattr(resolved, "__name__", repr(resolved))
    config = getattr(resolved, "get_config", lambda: {})() if not isinstance(resolved, str) else {}
    if name == "sparse_categorical_crossentropy" and not (config or {}).get("from_logits"):
        return
    if name == "sparse_categorical_crossentropy":
        raise Hint(
            f"{case}, your loss has from_logits=True, but the head already gives probabilities "
            '(softmax): use loss="sparse_categorical_crossentropy".'
        )
    raise Hint(
        f"{case}, your model is compiled with the loss {name}; the labels are whole numbers "
        'and the head gives probabilities: use loss="sparse_categorical_crossentropy".'
    )


def _expect_fine_tuning(model, base, head, expected: list, seed: int, case: str) -> None:
    """A few steps of fit change exactly the weights of ``expected`` and the head, nothing else."""
    import keras

    rng = np.random.default_rng(seed)
    x = rng.random((16, *UNFREEZE_INPUT), np.float32)
    y = rng.integers(0, UNFREEZE_CLASSES, 16)
    before = _snapshot(model.weights)
    keras.utils.set_random_seed(seed)
    try:
        history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    except Exception as error:
        raise Hint(f"{case}, 2 steps of model.fit raised {describe_error(error)}") from None
    for layer in [*base.layers, head]:
        should = layer is head or layer in expected
        for variable in layer.weights:
            if _changed(variable, before) != should:
                state = "changed" if not should else "did not change"
                raise Hint(
                    f"{case}, 2 steps of model.fit {state} {variable.path}, although the layer "
                    f"{'should stay frozen' if not should else 'is trainable'}."
                )
    if not any("acc" in key for key in history.history):
        raise Hint(f"{case}, {METRICS_HINT}")
