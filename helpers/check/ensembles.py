"""Self-checks for exercise set 12, ensembles and test-time augmentation (exercises 12.1 to 12.5).

The checks make up their own members: probabilities drawn from a fixed seed (12.1 to 12.4), or
tiny NumPy "models" and a fake augmentation that remember how they were called (12.5), always with
other numbers of members, images and classes than the notebook's five members and ten digits. So
an answer hard-coded for the notebook fails, nothing is trained or loaded, and every check takes a
few milliseconds. Each check states the wrong answers students typically write ONCE, as a table of
``Mistake``s (``ENSEMBLE_MISTAKES``, ``OVERLAP_MISTAKES``, ``VOTE_MISTAKES``,
``BY_MEMBERS_MISTAKES``, ``ENSEMBLE_TTA_MISTAKES``); the tests submit every entry as a student's
answer and expect its hint. 12.1 to 12.4 give the hint of the entry that reproduces the student's
answer, and otherwise say what differs without guessing a cause; 12.5 first looks at what each
member was shown, then recomputes the known wrong averages from the looks each member really had.

>>> check.ensemble_probabilities(ensemble_probabilities)  # doctest: +SKIP
✅ Exercise 12.1: Correct: ...
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable

import numpy as np

from ..check_results import CheckResult
from .augmentation import FakeAugmentation
from .classic import _number, _numeric
from .errors import describe_error
from .framework import Hint, call, probabilities_array, run_check
from .mistakes import Mistake, first_difference, matching_mistake, plural, same


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _stacked(member_probabilities) -> np.ndarray:
    """The members' probabilities as one float64 array, shape (members, images, classes)."""
    return np.asarray([np.asarray(p, dtype=np.float64) for p in member_probabilities])


def _case(members: int, images: int, classes: int) -> str:
    """``for 3 members, 8 images and 5 classes``: the start of every hint about one case."""
    return (
        f"for {plural(members, 'member')}, {plural(images, 'image')} and "
        f"{plural(classes, 'class', 'classes')}"
    )


def _accuracy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(probabilities, axis=1) == labels))


IN_PLACE_HINT = (
    "your function changed the probabilities it was given: the notebook's member_probabilities "
    "would change too, and the next call would get another answer. `total = "
    "member_probabilities[0]` followed by `total += ...` adds into the first member's own array: "
    "start from a new one, total = np.zeros_like(member_probabilities[0]) (or .copy() it), or "
    "use np.mean(member_probabilities, axis=0)."
)
LIST_CHANGED_HINT = (
    "your function changed the list of members it was given (pop, append, del or sort): the "
    "notebook's list would lose or gain members. Read the list, don't change it."
)


def _call_on_copies(function, member_probabilities: list, *rest, case: str):
    """Call ``function`` on copies of the members; a hint if it changed them (the answer otherwise)."""
    given = [p.copy() for p in member_probabilities]
    answer = call(function, given, *(r.copy() if isinstance(r, np.ndarray) else r for r in rest))
    if len(given) != len(member_probabilities):
        raise Hint(f"{case}, {LIST_CHANGED_HINT}")
    if not all(np.array_equal(g, p) for g, p in zip(given, member_probabilities)):
        raise Hint(f"{case}, {IN_PLACE_HINT}")
    return answer


def _labelled_members(
    seed: int, members: int, images: int, classes: int, right: float = 0.6
) -> tuple[list[np.ndarray], np.ndarray]:
    """Members that each vote for the label with probability ``right`` (else for a random class),
    and the labels, in which every class occurs: ``_labelled_members(0, 3, 20, 4)``.

    About a quarter of the images are hard: on those a member votes for the label with
    probability 0.15 only, so, as with real networks, the members' mistakes overlap. A member's
    vote gets between 0.3 and 0.95 of its probability, the rest is shared at random among the
    other classes, always less than the vote's; float32, as Keras gives them.
    """
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.resize(np.arange(classes), images)).astype(np.int64)
    chance = np.where(rng.random(images) < 0.25, 0.15, right)
    probabilities = []
    for _ in range(members):
        votes = np.where(
            rng.random(images) < chance, labels, rng.integers(0, classes, images)
        ).astype(np.int64)
        rows = np.zeros((images, classes))
        for row, vote in zip(rows, votes):
            while True:
                top = rng.uniform(0.3, 0.95)
                rest = (1 - top) * rng.dirichlet(np.ones(classes - 1))
                if rest.max() < top - 0.02:
                    break
            row[np.arange(classes) != vote] = rest
            row[vote] = top
        probabilities.append(rows.astype(np.float32))
    return probabilities, labels


# --- 12.1 ----------------------------------------------------------------------------------------


def reference_ensemble_probabilities(member_probabilities) -> np.ndarray:
    """The right answer: the members' probabilities averaged image by image, shape (images, classes).

    >>> reference_ensemble_probabilities([np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]])])
    array([[0.75, 0.25]])
    """
    return _stacked(member_probabilities).mean(axis=0)


def _returned_in_the_loop(member_probabilities):
    total = np.zeros_like(_stacked(member_probabilities)[0])
    for probabilities in member_probabilities:
        total += probabilities
        return total / len(member_probabilities)


def _added_in_place(member_probabilities):
    total = member_probabilities[0]
    for probabilities in member_probabilities[1:]:
        total += probabilities
    return total / len(member_probabilities)


AVERAGE = "np.mean(member_probabilities, axis=0)"
SUMMED_HINT = (
    "you added the members' probabilities up without dividing by the number of members. The "
    "argmax is the same, but each row now adds up to the number of members, not 1: the rows are "
    f"no longer probabilities, and can't be read as one model's answer. Divide by "
    f"len(member_probabilities), or use {AVERAGE}."
)
OVER_IMAGES_HINT = (
    "you averaged over the IMAGES (axis=1): that gives each member's mean probability per class, "
    "one row per member. Stacked, the members' probabilities have shape (members, images, "
    f"classes): average over the members, axis 0, {AVERAGE}."
)
ONE_ROW_HINT = (
    "you averaged over the members AND the images, which leaves one row for the whole test set. "
    f"Average over the members only, {AVERAGE}: one row of probabilities per image."
)
OVER_CLASSES_HINT = (
    "you averaged over the CLASSES (axis=2), and every such mean is 1 / classes. Average over "
    f"the members, axis 0: {AVERAGE}."
)
ONE_NUMBER_HINT = (
    "np.mean without an axis averages every number into one. Average over the members only, "
    f"{AVERAGE}: one row of probabilities per image."
)
STACKED_HINT = (
    "you returned every member's probabilities, stacked, instead of their average: average them "
    f"over the members, {AVERAGE}."
)
LABELS_AVERAGED_HINT = (
    "you averaged the members' predicted CLASSES (their argmax): the average of a 3 and a 5 is "
    "4, another digit entirely, and how sure each member was is lost. Average the probabilities "
    f"themselves, {AVERAGE}, and return them."
)
CLASSES_RETURNED_HINT = (
    "you returned the argmax of the averaged probabilities, one class per image. Return the "
    "averaged probabilities themselves, one row per image: the argmax can be taken afterwards, "
    "but the probabilities can't be got back from it."
)
MAXIMUM_HINT = (
    "you took, for every class, the largest probability any member gives it (np.max): the rows "
    "no longer add up to 1, and one overconfident member decides. Average instead, "
    f"{AVERAGE}."
)
IN_THE_LOOP_HINT = (
    "your result is the first member's probabilities divided by the number of members: your "
    "function returned during the first pass of its loop. Is the `return` indented inside the "
    "`for`? Move it out of the loop."
)
BY_IMAGES_HINT = (
    "you divided the sum by the number of images (len(member_probabilities[0])): divide by the "
    f"number of members, len(member_probabilities), or use {AVERAGE}."
)

ENSEMBLE_MISTAKES: list[Mistake] = [
    Mistake("summed", lambda p: _stacked(p).sum(axis=0), SUMMED_HINT),
    Mistake("mean over images", lambda p: _stacked(p).mean(axis=1), OVER_IMAGES_HINT),
    Mistake("mean over members and images", lambda p: _stacked(p).mean(axis=(0, 1)), ONE_ROW_HINT),
    Mistake("mean over classes", lambda p: _stacked(p).mean(axis=2), OVER_CLASSES_HINT),
    Mistake("one number", lambda p: np.mean(p), ONE_NUMBER_HINT),
    Mistake("stacked", lambda p: _stacked(p), STACKED_HINT),
    Mistake(
        "labels averaged",
        lambda p: np.mean([np.argmax(m, axis=1) for m in p], axis=0),
        LABELS_AVERAGED_HINT,
    ),
    Mistake(
        "classes returned", lambda p: _stacked(p).mean(axis=0).argmax(axis=1), CLASSES_RETURNED_HINT
    ),
    Mistake("maximum", lambda p: _stacked(p).max(axis=0), MAXIMUM_HINT),
    Mistake("return in the loop", _returned_in_the_loop, IN_THE_LOOP_HINT),
    Mistake("divided by images", lambda p: _stacked(p).sum(axis=0) / len(p[0]), BY_IMAGES_HINT),
    Mistake("in place", _added_in_place, IN_PLACE_HINT),  # found before any comparison
]

ENSEMBLE_PRAISE = (
    "Correct: the members' probabilities averaged image by image, one row per image that still "
    "adds up to 1. Where the members disagree, the surer ones weigh more; where they agree, "
    "the ensemble is as sure as they are."
)


def ensemble_cases() -> list[tuple[list[np.ndarray], str]]:
    """The (member_probabilities, case) 12.1 tries, in this order: float32 rows that add up to 1.

    >>> [(len(members), members[0].shape) for members, _ in ensemble_cases()]
    [(3, (8, 5)), (4, (6, 10)), (2, (9, 3)), (1, (5, 4))]
    """
    rng = np.random.default_rng(121)
    cases = []
    for members, images, classes in ((3, 8, 5), (4, 6, 10), (2, 9, 3), (1, 5, 4)):
        probabilities = [
            rng.dirichlet(np.full(classes, 0.7), size=images).astype(np.float32)
            for _ in range(members)
        ]
        cases.append((probabilities, _case(members, images, classes)))
    return cases


def ensemble_probabilities(function) -> CheckResult:
    """Exercise 12.1: ``ensemble_probabilities(member_probabilities)`` averages a list of the
    members' probability arrays, each of shape (images, classes), into one such array.

    >>> ensemble_probabilities(lambda member_probabilities: sum(member_probabilities)
    ...                        / len(member_probabilities)).status
    'pass'
    """

    def test(function):
        for members, case in ensemble_cases():
            answer = _call_on_copies(function, members, case=case)
            if answer is None:
                raise Hint(
                    f"{case}, your function returned None: did it forget to `return` the averaged "
                    "probabilities?"
                )
            result = _numeric(answer, "the ensemble's probabilities")
            expected = reference_ensemble_probabilities(members)
            if same(result, expected, rtol=1e-4, atol=1e-6):
                continue
            mistake = matching_mistake(result, ENSEMBLE_MISTAKES[:-1], (members,), _close)
            if mistake is not None:
                raise Hint(f"{case}, {mistake.hint}")
            _explain_probabilities(result, expected, case)
        return ENSEMBLE_PRAISE

    return run_check("12.1", function, test)


def _close(answer, expected) -> bool:
    return same(answer, expected, rtol=1e-4, atol=1e-6)


def _explain_probabilities(result: np.ndarray, expected: np.ndarray, case: str) -> None:
    """Say how probabilities no known mistake explains differ from the right ones."""
    images, classes = expected.shape
    if result.shape != expected.shape:
        raise Hint(
            f"{case}, the ensemble's probabilities should have shape ({images}, {classes}), one "
            f"row per image and one column per class, but they have shape {result.shape}: "
            f"average the members, {AVERAGE}."
        )
    sums = result.sum(axis=1)
    off = np.flatnonzero(~np.isclose(sums, 1, atol=1e-4))
    if off.size:
        raise Hint(
            f"{case}, row {off[0]} of your result adds up to {sums[off[0]]:.4g}, not 1: average "
            "the members' rows, don't add, weigh or rescale them."
        )
    raise Hint(f"{case}, {first_difference(expected, result, 'your probabilities')}")


# --- 12.2 ----------------------------------------------------------------------------------------


def _wrong(member_probabilities, labels) -> np.ndarray:
    """True where a member gets an image wrong, shape (members, images)."""
    return np.array([np.argmax(p, axis=1) != labels for p in member_probabilities])


def reference_mistake_overlap(member_probabilities, labels) -> tuple[int, int]:
    """The right answer: (images some member gets wrong, images every member gets wrong).

    >>> right, wrong = np.eye(2)[[0, 1]], np.eye(2)[[1, 0]]
    >>> reference_mistake_overlap([right, wrong, np.eye(2)[[1, 1]]], np.array([0, 1]))
    (2, 0)
    """
    wrong = _wrong(member_probabilities, labels)
    return int(wrong.any(axis=0).sum()), int(wrong.all(axis=0).sum())


MISTAKES_AS_ROWS = (
    "wrong = np.array([p.argmax(axis=1) != labels for p in member_probabilities]) has one row "
    "per member and one column per image; an image some member gets wrong has a True somewhere "
    "in its column, wrong.any(axis=0), and one every member gets wrong only Trues, "
    "wrong.all(axis=0). Count those images with .sum()"
)
SWAPPED_HINT = (
    "you returned the two counts the other way round: first the images SOME member gets wrong "
    "(the larger count, the union of the members' mistakes), then those EVERY member gets wrong "
    "(the intersection): return some, every."
)
RIGHT_ANSWERS_HINT = (
    "you counted the images the members get RIGHT. Count their mistakes: a member gets an image "
    "wrong where p.argmax(axis=1) != labels."
)
OVER_MEMBERS_HINT = (
    "you counted MEMBERS (how many get some image wrong, how many get every image wrong), not "
    f"images: take any and all over the members, axis 0, so that one count per image is left. {MISTAKES_AS_ROWS}."
)
ADDED_HINT = (
    "you added up the members' mistakes, so an image that three members get wrong counts three "
    f"times. Count each image once: {MISTAKES_AS_ROWS}."
)
SHARES_HINT = (
    "you returned shares of the images (a mean), not counts: return how many images, .sum() "
    "instead of .mean()."
)

OVERLAP_MISTAKES: list[Mistake] = [
    Mistake("swapped", lambda p, y: reference_mistake_overlap(p, y)[::-1], SWAPPED_HINT),
    Mistake(
        "right answers",
        lambda p, y: (
            int((~_wrong(p, y)).any(axis=0).sum()),
            int((~_wrong(p, y)).all(axis=0).sum()),
        ),
        RIGHT_ANSWERS_HINT,
    ),
    Mistake(
        "over members",
        lambda p, y: (int(_wrong(p, y).any(axis=1).sum()), int(_wrong(p, y).all(axis=1).sum())),
        OVER_MEMBERS_HINT,
    ),
    Mistake(
        "mistakes added",
        lambda p, y: (int(_wrong(p, y).sum()), int(_wrong(p, y).all(axis=0).sum())),
        ADDED_HINT,
    ),
    Mistake(
        "shares",
        lambda p, y: (
            float(_wrong(p, y).any(axis=0).mean()),
            float(_wrong(p, y).all(axis=0).mean()),
        ),
        SHARES_HINT,
    ),
]

OVERLAP_PRAISE = (
    "Correct: the images some member gets wrong (the union of their mistakes) and those every "
    "member gets wrong (the intersection). The gap between the two is what an ensemble can fix; "
    "the intersection it can't."
)


def overlap_cases() -> list[tuple[list[np.ndarray], np.ndarray, str]]:
    """The (member_probabilities, labels, case) 12.2 and 12.4 try, in this order.

    >>> [(len(members), len(labels), members[0].shape[1]) for members, labels, _ in overlap_cases()]
    [(3, 40, 5), (4, 30, 10), (2, 25, 3)]
    """
    cases = []
    for seed, (members, images, classes) in enumerate(((3, 40, 5), (4, 30, 10), (2, 25, 3))):
        probabilities, labels = _labelled_members(122 + seed, members, images, classes)
        cases.append((probabilities, labels, _case(members, images, classes)))
    return cases


def mistake_overlap(function) -> CheckResult:
    """Exercise 12.2: ``mistake_overlap(member_probabilities, labels)`` returns ``(some, every)``:
    how many images some member gets wrong, and how many every member gets wrong.

    >>> def answer(member_probabilities, labels):
    ...     wrong = np.array([p.argmax(axis=1) != labels for p in member_probabilities])
    ...     return wrong.any(axis=0).sum(), wrong.all(axis=0).sum()
    >>> mistake_overlap(answer).status
    'pass'
    """

    def test(function):
        for members, labels, case in overlap_cases():
            answer = _call_on_copies(function, members, labels, case=case)
            counts = _two_counts(answer, case)
            expected = reference_mistake_overlap(members, labels)
            if np.allclose(counts, expected):
                continue
            mistake = matching_mistake(counts, OVERLAP_MISTAKES, (members, labels), _same_pair)
            if mistake is not None:
                raise Hint(f"{case}, {mistake.hint}")
            raise Hint(
                f"{case}, some member gets {expected[0]} images wrong and every member gets "
                f"{expected[1]} wrong, but your function says {_number(counts[0])} and "
                f"{_number(counts[1])}. {MISTAKES_AS_ROWS}."
            )
        return OVERLAP_PRAISE

    return run_check("12.2", function, test)


def _same_pair(answer, wrong) -> bool:
    return np.allclose(answer, np.asarray(wrong, dtype=np.float64))


def _two_counts(answer, case: str) -> np.ndarray:
    """The student's (some, every) as two numbers, or a hint saying what came back instead."""
    if answer is None:
        raise Hint(f"{case}, your function returned None: did it forget to `return some, every`?")
    if isinstance(answer, (str, dict, set)) or not hasattr(answer, "__len__") or len(answer) != 2:
        shown = f"{len(answer)} things" if hasattr(answer, "__len__") else "one thing"
        raise Hint(
            f"{case}, your function returned {shown} ({type(answer).__name__}); return two "
            "numbers, `return some, every`."
        )
    counts = []
    for name, value in zip(("some", "every"), answer):
        if isinstance(value, (set, frozenset, list, tuple, dict)) or np.ndim(value) > 0:
            raise Hint(
                f"{case}, `{name}` is a collection of {len(value)} things, not a number: return "
                "how many images, len(...) of a set or .sum() of a True/False array."
            )
        try:
            counts.append(float(value))
        except (TypeError, ValueError):
            raise Hint(
                f"{case}, `{name}` is a {type(value).__name__}, not a number: return two counts."
            ) from None
    return np.array(counts)


# --- 12.3 ----------------------------------------------------------------------------------------


def _votes_and_counts(member_probabilities) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(stacked probabilities, votes (members, images), vote counts (images, classes))."""
    stacked = _stacked(member_probabilities)
    votes = stacked.argmax(axis=2)
    counts = (votes[..., None] == np.arange(stacked.shape[2])).sum(axis=0)
    return stacked, votes, counts


def _tie_broken_by(member_probabilities, score: Callable) -> np.ndarray:
    """The most voted class, ties broken by the highest ``score(stacked, votes)`` of shape (images, classes)."""
    stacked, votes, counts = _votes_and_counts(member_probabilities)
    tied = counts == counts.max(axis=1, keepdims=True)
    return np.where(tied, score(stacked, votes), -np.inf).argmax(axis=1)


def reference_majority_vote(member_probabilities) -> np.ndarray:
    """The right answer: each member votes for its most probable class, the most voted class
    wins, and a tie goes to the tied class with the highest averaged probability.

    >>> reference_majority_vote([np.array([[0.6, 0.4, 0.0]]), np.array([[0.05, 0.15, 0.8]])])
    array([2])
    """
    return _tie_broken_by(member_probabilities, lambda stacked, votes: stacked.mean(axis=0))


def _first_member_breaks_ties(member_probabilities) -> np.ndarray:
    """What collections.Counter(votes).most_common(1) gives: of the tied classes, the one voted first."""
    _, votes, counts = _votes_and_counts(member_probabilities)
    winners = []
    for column, count in zip(votes.T, counts):
        winners.append(next(int(v) for v in column if count[v] == count.max()))
    return np.array(winners)


def _voters_probability(stacked, votes) -> np.ndarray:
    """Per image and class, the probability summed over the members that VOTED for the class."""
    voted = votes[..., None] == np.arange(stacked.shape[2])
    return np.where(voted, stacked, 0).sum(axis=0)


def _surest_voter(stacked, votes) -> np.ndarray:
    """Per image and class, the highest probability a member that voted for it gives it."""
    voted = votes[..., None] == np.arange(stacked.shape[2])
    return np.where(voted, stacked, 0).max(axis=0)


def _all_classes_break_ties(member_probabilities) -> np.ndarray:
    _, _, counts = _votes_and_counts(member_probabilities)
    tie = (counts == counts.max(axis=1, keepdims=True)).sum(axis=1) > 1
    averaged = _stacked(member_probabilities).mean(axis=0).argmax(axis=1)
    return np.where(tie, averaged, counts.argmax(axis=1))


def _vote_over_images(member_probabilities) -> np.ndarray:
    """The most frequent vote of each member over the images (the mode along the wrong axis)."""
    _, votes, _ = _votes_and_counts(member_probabilities)
    classes = len(member_probabilities[0][0])
    return np.array([np.bincount(row, minlength=classes).argmax() for row in votes])


TIE_RULE = (
    "among the tied classes only, the one with the highest averaged probability, "
    "np.mean(member_probabilities, axis=0)"
)
LOWEST_CLASS_HINT = (
    "every tie went to the LOWEST class number: np.argmax (of np.bincount, for instance), "
    "scipy.stats.mode and max(set(votes), key=votes.count) all pick the first of the tied "
    f"classes. Break a tie by the probabilities instead: {TIE_RULE}."
)
AVERAGED_HINT = (
    "you took the argmax of the averaged probabilities: that's the ensemble of 12.1, in which one "
    "very sure member can outvote two unsure ones. In a vote every member has one vote, for its "
    "own argmax; the probabilities only break ties."
)
FIRST_VOTE_HINT = (
    "every tie went to the class the EARLIEST member voted for (what "
    "collections.Counter(votes).most_common(1) gives, or a loop that keeps the first maximum). "
    f"Break a tie by the probabilities instead: {TIE_RULE}."
)
ALL_CLASSES_HINT = (
    "when there was a tie, you took the class with the highest averaged probability among ALL "
    "classes, and it can be a class with fewer votes, or none. Only the tied classes can win: "
    f"{TIE_RULE}."
)
VOTERS_ONLY_HINT = (
    "you broke ties by the probability summed over the members that VOTED for each class. Sum "
    "(or average) every member's probability for the tied classes, those of the members that "
    f"voted otherwise too: {TIE_RULE}."
)
SUREST_VOTER_HINT = (
    "you broke ties by the single surest vote. This exercise breaks them by every member's "
    f"probability: {TIE_RULE}."
)
OVER_IMAGES_VOTE_HINT = (
    "you counted the votes over the IMAGES, which gives each member's most frequent answer, one "
    "per member. Count them over the MEMBERS: votes = np.argmax(member_probabilities, axis=2) "
    "has shape (members, images); an image's votes are one column, votes[:, i]."
)
COUNTS_RETURNED_HINT = (
    "you returned how many votes each class got: return the winner, one class per image."
)
VOTES_RETURNED_HINT = (
    "you returned every member's votes: count them per image and return the winner, one class "
    "per image."
)

VOTE_MISTAKES: list[Mistake] = [
    Mistake(
        "lowest class wins ties",
        lambda p: _votes_and_counts(p)[2].argmax(axis=1),
        LOWEST_CLASS_HINT,
    ),
    Mistake("averaged", lambda p: _stacked(p).mean(axis=0).argmax(axis=1), AVERAGED_HINT),
    Mistake("first vote wins ties", _first_member_breaks_ties, FIRST_VOTE_HINT),
    Mistake("all classes break ties", _all_classes_break_ties, ALL_CLASSES_HINT),
    Mistake(
        "voters' probabilities break ties",
        lambda p: _tie_broken_by(p, _voters_probability),
        VOTERS_ONLY_HINT,
    ),
    Mistake(
        "surest voter breaks ties", lambda p: _tie_broken_by(p, _surest_voter), SUREST_VOTER_HINT
    ),
    Mistake("vote over images", _vote_over_images, OVER_IMAGES_VOTE_HINT),
    Mistake("counts returned", lambda p: _votes_and_counts(p)[2], COUNTS_RETURNED_HINT),
    Mistake("votes returned", lambda p: _votes_and_counts(p)[1], VOTES_RETURNED_HINT),
]

VOTE_PRAISE = (
    "Correct: one vote per member, the most voted class wins, and a tie goes to the tied class "
    "the members find most probable on average. A vote ignores how sure each member is; "
    "averaging (12.1) keeps it."
)


# Two 2-against-2 ties between classes 0 and 1 that the first case of 12.3 contains, one row per
# member. In the first, every member likes class 3 nearly as much as its vote, so class 3 has the
# highest averaged probability without a single vote; in the second, class 0 has the surest voter
# (0.90) but class 1 the highest averaged probability. Class 1 wins both.
CRAFTED_TIES = np.array(
    [
        [
            [0.42, 0.05, 0.03, 0.40, 0.10],
            [0.43, 0.04, 0.03, 0.39, 0.11],
            [0.05, 0.45, 0.03, 0.37, 0.10],
            [0.04, 0.46, 0.02, 0.38, 0.10],
        ],
        [
            [0.90, 0.05, 0.02, 0.02, 0.01],
            [0.31, 0.30, 0.13, 0.13, 0.13],
            [0.05, 0.65, 0.10, 0.10, 0.10],
            [0.05, 0.65, 0.10, 0.10, 0.10],
        ],
    ],
    dtype=np.float32,
)


def vote_cases() -> list[tuple[list[np.ndarray], str]]:
    """The (member_probabilities, case) 12.3 tries: many ties, two-against-one splits, and cases
    where averaging and voting disagree.

    >>> [(len(members), members[0].shape) for members, _ in vote_cases()]
    [(4, (30, 5)), (3, (24, 3)), (5, (20, 10)), (2, (16, 4))]
    """
    cases = []
    for seed, (members, images, classes) in enumerate(
        ((4, 30, 5), (3, 24, 3), (5, 20, 10), (2, 16, 4))
    ):
        probabilities, _ = _labelled_members(123 + seed, members, images, classes, right=0.45)
        cases.append((probabilities, _case(members, images, classes)))
    for image, rows in zip((3, 11), CRAFTED_TIES):
        for member, row in zip(cases[0][0], rows):
            member[image] = row
    return cases


def majority_vote(function) -> CheckResult:
    """Exercise 12.3: ``majority_vote(member_probabilities)`` returns, per image, the class most
    members vote for (their argmax); a tie goes to the tied class with the highest averaged
    probability.

    >>> majority_vote(reference_majority_vote).status
    'pass'
    """

    def test(function):
        for members, case in vote_cases():
            answer = _call_on_copies(function, members, case=case)
            if answer is None:
                raise Hint(
                    f"{case}, your function returned None: did it forget to `return` the winners?"
                )
            result = _numeric(answer, "the winning classes")
            expected = reference_majority_vote(members)
            if same(result, expected):
                continue
            mistake = matching_mistake(result, VOTE_MISTAKES, (members,))
            if mistake is not None:
                raise Hint(f"{case}, {mistake.hint}")
            _explain_vote(result, expected, members, case)
        return VOTE_PRAISE

    return run_check("12.3", function, test)


def _explain_vote(result: np.ndarray, expected: np.ndarray, members, case: str) -> None:
    """Say which image's vote came out wrong, with its votes and, for a tie, the averages."""
    images = len(expected)
    if result.shape != expected.shape:
        raise Hint(
            f"{case}, the result should have shape ({images},), one winning class per image, but "
            f"it has shape {result.shape}."
        )
    stacked, votes, counts = _votes_and_counts(members)
    index = int(np.flatnonzero(result != expected)[0])
    column = votes[:, index].tolist()
    tied = np.flatnonzero(counts[index] == counts[index].max())
    votes_each = plural(int(counts[index].max()), "vote")
    if len(tied) == 1:
        reason = f"{expected[index]} wins with {votes_each}"
    else:
        means = stacked.mean(axis=0)[index]
        shown = ", ".join(f"{c}: {means[c]:.3f}" for c in tied)
        listed = f"{', '.join(map(str, tied[:-1]))} and {tied[-1]}"
        reason = (
            f"{listed} tie with {votes_each} each, and {expected[index]} has the highest "
            f"averaged probability ({shown})"
        )
    raise Hint(
        f"{case}, image {index}: the members vote {column}, so {reason}; your function says "
        f"{_number(result[index])}."
    )


# --- 12.4 ----------------------------------------------------------------------------------------


def reference_accuracy_by_members(member_probabilities, labels) -> np.ndarray:
    """The right answer: the accuracy of the ensemble of the first k members, for k = 1, ..., M.

    >>> first, second = np.array([[1.0, 0.0], [0.6, 0.4]]), np.array([[0.2, 0.8], [0.1, 0.9]])
    >>> reference_accuracy_by_members([first, second], labels=np.array([0, 1])).tolist()
    [0.5, 1.0]
    """
    stacked = _stacked(member_probabilities)
    return np.array(
        [_accuracy(stacked[:k].mean(axis=0), labels) for k in range(1, len(stacked) + 1)]
    )


def _ensembles_of(member_probabilities, labels, first: Callable) -> list[float]:
    stacked = _stacked(member_probabilities)
    return [_accuracy(first(stacked, k).mean(axis=0), labels) for k in range(1, len(stacked) + 1)]


def _voted_accuracies(member_probabilities, labels) -> list[float]:
    stacked = _stacked(member_probabilities)
    return [
        float(np.mean(_votes_and_counts(stacked[:k])[2].argmax(axis=1) == labels))
        for k in range(1, len(stacked) + 1)
    ]


FIRST_K = (
    "for k in range(1, len(member_probabilities) + 1), average the probabilities of "
    "member_probabilities[:k] (12.1's ensemble_probabilities) and measure that ensemble's accuracy"
)
ONE_SHORT_HINT = (
    "your list stops one short: the last entry, the ensemble of ALL the members, is missing "
    f"(range(1, M) stops at M - 1). F{FIRST_K[1:]}."
)
ONE_AHEAD_HINT = (
    "your first entry is already an ensemble of two members: member_probabilities[:k + 1] with "
    f"k starting at 1 is one member too many. The first entry is the first member alone: {FIRST_K}."
)
ACCURACIES_AVERAGED_HINT = (
    "you averaged the members' ACCURACIES: that is the mean single model, not an ensemble, and "
    "it can't beat the best member. Average the members' PROBABILITIES, then measure the "
    f"accuracy of that ensemble: {FIRST_K}."
)
EACH_ALONE_HINT = (
    "you measured each member alone: entry k is the ensemble of the first k members together, "
    f"not member k: {FIRST_K}."
)
LAST_MEMBERS_HINT = (
    "you took the LAST k members (member_probabilities[-k:]): the curve adds the members in their "
    "order, so entry k is the ensemble of the FIRST k, member_probabilities[:k]."
)
PERCENT_HINT = (
    "your accuracies are percentages: return shares between 0 and 1, as Keras reports them "
    "(np.mean(predicted == labels), without * 100)."
)
CORRECT_COUNTS_HINT = (
    "you returned how many images each ensemble gets right: return the accuracy, the share of "
    "images it gets right, np.mean(predicted == labels)."
)
ERROR_RATES_HINT = (
    "you returned error rates (the share of images got WRONG): return the accuracy, "
    "np.mean(predicted == labels)."
)
VOTED_HINT = (
    "you let the first k members vote: this curve is for the averaged ensemble of 12.1. Average "
    f"their probabilities instead: {FIRST_K}."
)
FULL_ONLY_HINT = (
    "you returned one accuracy, the full ensemble's: return one accuracy per number of members, "
    "k = 1 to M, in a list or array of length M."
)
FROM_ZERO_HINT = (
    "your function averaged an EMPTY list of members: with k starting at 0, member_probabilities[:0] "
    "is empty and its mean is nan. Start at one member: range(1, len(member_probabilities) + 1)."
)

BY_MEMBERS_MISTAKES: list[Mistake] = [
    Mistake(
        "one short",
        lambda p, y: reference_accuracy_by_members(p, y)[:-1],
        ONE_SHORT_HINT,
    ),
    Mistake(
        "one ahead",
        lambda p, y: _ensembles_of(p, y, lambda s, k: s[: k + 1]),
        ONE_AHEAD_HINT,
    ),
    Mistake(
        "accuracies averaged",
        lambda p, y: np.cumsum([_accuracy(m, y) for m in p]) / np.arange(1, len(p) + 1),
        ACCURACIES_AVERAGED_HINT,
    ),
    Mistake("each alone", lambda p, y: [_accuracy(m, y) for m in p], EACH_ALONE_HINT),
    Mistake(
        "last members", lambda p, y: _ensembles_of(p, y, lambda s, k: s[-k:]), LAST_MEMBERS_HINT
    ),
    Mistake("percent", lambda p, y: 100 * reference_accuracy_by_members(p, y), PERCENT_HINT),
    Mistake(
        "counts", lambda p, y: len(y) * reference_accuracy_by_members(p, y), CORRECT_COUNTS_HINT
    ),
    Mistake("error rates", lambda p, y: 1 - reference_accuracy_by_members(p, y), ERROR_RATES_HINT),
    Mistake("voted", _voted_accuracies, VOTED_HINT),
    Mistake(
        "full ensemble only", lambda p, y: reference_accuracy_by_members(p, y)[-1], FULL_ONLY_HINT
    ),
]

BY_MEMBERS_PRAISE = (
    "Correct: entry k is the accuracy of the ensemble of the first k members, probabilities "
    "averaged. Plotted, it shows what each extra member buys, and where more members stop "
    "paying for their training."
)


def accuracy_by_members(function) -> CheckResult:
    """Exercise 12.4: ``accuracy_by_members(member_probabilities, labels)`` returns the accuracy of
    the averaged ensemble of the first k members, for k = 1 to the number of members.

    >>> def answer(member_probabilities, labels):
    ...     return [np.mean(np.mean(member_probabilities[:k], axis=0).argmax(axis=1) == labels)
    ...             for k in range(1, len(member_probabilities) + 1)]
    >>> accuracy_by_members(answer).status
    'pass'
    """

    def test(function):
        cases = overlap_cases()
        one, labels = _labelled_members(124, 1, 20, 4)
        cases.append((one, labels, _case(1, 20, 4)))
        for members, labels, case in cases:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    answer = _call_on_copies(function, members, labels, case=case)
                except Hint:
                    if _averaged_nothing(caught):
                        raise Hint(f"{case}, {FROM_ZERO_HINT}") from None
                    raise
            if answer is None:
                raise Hint(
                    f"{case}, your function returned None: did it forget to `return` the accuracies?"
                )
            result = _numeric(answer, "the accuracies")
            expected = reference_accuracy_by_members(members, labels)
            if same(result, expected):
                continue
            if result.ndim == 1 and len(result) == len(expected) + 1 and np.isnan(result[0]):
                raise Hint(f"{case}, {FROM_ZERO_HINT}")
            if _averaged_nothing(caught):
                raise Hint(f"{case}, {FROM_ZERO_HINT}")
            mistake = matching_mistake(result, BY_MEMBERS_MISTAKES, (members, labels))
            if mistake is not None:
                raise Hint(f"{case}, {mistake.hint}")
            if result.shape != expected.shape:
                raise Hint(
                    f"{case}, the result should hold {plural(len(expected), 'accuracy', 'accuracies')}, "
                    f"one per number of members (k = 1 to {len(expected)}), but it has shape "
                    f"{result.shape}."
                )
            raise Hint(f"{case}, {first_difference(expected, result, 'your accuracies')}")
        return BY_MEMBERS_PRAISE

    return run_check("12.4", function, test)


def _averaged_nothing(caught) -> bool:
    """Whether NumPy warned about the mean of an empty slice (an ensemble of no members)."""
    return any("empty slice" in str(warning.message) for warning in caught)


# --- 12.5 ----------------------------------------------------------------------------------------


class _Tensor(np.ndarray):
    """What a fake member's ``model(x)`` returns: an array with Keras tensors' ``.numpy()``."""

    def numpy(self) -> np.ndarray:
        return np.asarray(self)


class FakeMember:
    """Stands in for a trained Keras model: a fixed softmax layer on the flattened pixels, in NumPy.

    It answers ``predict(x, verbose=0)`` and ``model(x, training=False)`` alike, and remembers
    every picture it was shown and every ``training`` flag it got:

        >>> member = FakeMember(seed=0, image_shape=(2, 3), classes=4)
        >>> member.predict(np.zeros((5, 2, 3)), verbose=0).shape, len(member.seen)
        ((5, 4), 5)
    """

    def __init__(self, seed: int, image_shape: tuple, classes: int):
        rng = np.random.default_rng(seed)
        self.pixels = int(np.prod(image_shape))
        self.kernel = rng.normal(0, 1.2, (self.pixels, classes))
        self.bias = rng.normal(0, 0.3, classes)
        self.seen: list[bytes] = []
        self.training_flags: list = []

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        """The member's answer for pictures given as float32 rows of pixels (nothing recorded)."""
        return _softmax(rows.astype(np.float64) @ self.kernel + self.bias).astype(np.float32)

    def _answer(self, images) -> np.ndarray:
        rows = np.asarray(images, dtype=np.float32).reshape(-1, self.pixels)
        self.seen.extend(row.tobytes() for row in rows)
        return self.probabilities(rows)

    def predict(self, x, batch_size=None, verbose="auto", **kwargs) -> np.ndarray:
        return self._answer(x)

    def __call__(self, x, training=None, **kwargs):
        self.training_flags.append(training)
        return self._answer(x).view(_Tensor)


class RecordingAugmentation(FakeAugmentation):
    """Exercise 6.4's fake augmentation, which also remembers which original each copy was made of.

    >>> augmentation = RecordingAugmentation(seed=0, image_shape=(2, 2))
    >>> copies = augmentation(np.arange(12, dtype=np.float32).reshape(3, 2, 2), training=True)
    >>> len(augmentation.origin)
    3
    """

    def __init__(self, seed: int, image_shape: tuple):
        super().__init__(seed, image_shape)
        self.origin: dict[bytes, bytes] = {}  # copy -> the picture it was made of, as bytes

    def _copy(self, row: np.ndarray, key: bytes) -> np.ndarray:
        copy = super()._copy(row, key)
        self.origin[copy.tobytes()] = key
        return copy


def reference_ensemble_with_tta(models, images, augmentation, copies: int) -> np.ndarray:
    """The right answer: every model's probabilities averaged over ``images`` and ``copies``
    augmented copies of them, then over the models (the copies made once, shared by the models).

    >>> models = [FakeMember(seed, (2, 2), 3) for seed in range(2)]
    >>> images = np.random.default_rng(0).random((4, 2, 2)).astype(np.float32)
    >>> reference_ensemble_with_tta(models, images, RecordingAugmentation(0, (2, 2)), 2).shape
    (4, 3)
    """
    looks = [images] + [augmentation(images, training=True) for _ in range(copies)]
    return np.mean(
        [[model.predict(look, verbose=0) for look in looks] for model in models], axis=(0, 1)
    )


# (members, images, classes, copies, image shape); the last case has a single member.
TTA_CASES = ((3, 6, 4, 2, (5, 6)), (2, 5, 3, 3, (4, 4)), (1, 4, 5, 1, (3, 5)))

TTA_MEMBER_TRAINING_HINT = (
    "you called a member with training=True. Its Dropout layers then drop units at random and "
    "its BatchNormalization uses each batch's own statistics, so its answers change from call to "
    "call. Predict with model.predict(x, verbose=0) (or model(x, training=False)): only the "
    "augmentation runs in training mode."
)
TTA_NEVER_AUGMENTED_HINT = (
    "your function never called `augmentation`: make each copy with augmentation(images, "
    "training=True)."
)
TTA_INFERENCE_HINT = (
    "you called `augmentation` without training=True. Outside training its random layers pass "
    'the images through unchanged, so every "copy" is the original picture. Call '
    "augmentation(images, training=True)."
)
TTA_CHAINED_HINT = (
    "you augmented an augmented copy again: the copies drift further and further from the "
    "picture. Make every copy from the original images, augmentation(images, training=True)."
)
TTA_NOT_ORIGINALS_HINT = (
    "`augmentation` was given pictures that are not the images your function received (changed "
    "or rescaled?): make every copy from the original images, augmentation(images, training=True)."
)
TTA_UNKNOWN_PICTURES_HINT = (
    "was shown pictures that are neither the images nor copies made by `augmentation` (changed or "
    "rescaled?): show the members the images as they are, and the copies as augmentation makes them."
)
NEVER_USED_HINT = (
    "your function never asked this member for an answer. Does it `return` inside the loop over "
    "the models (indented one level too deep)? Every member looks at the images and the copies."
)
TTA_NO_ORIGINAL_HINT = (
    "never looked at the original images, only at augmented copies: include each member's answer "
    "for the images themselves, copies + 1 looks per member."
)
TTA_REUSED_HINT = (
    "looked at the same augmented copy again and again: you augmented once and reused that copy, "
    "so the looks are all alike and TTA adds nothing. Call augmentation(images, training=True) "
    "once per copy (the members may share the copies, but the copies must differ)."
)
TTA_COPY_COUNT_HINT = (
    "make exactly `copies` augmented copies, each a fresh augmentation(images, training=True) of "
    "the originals, and show every member the images and each copy once."
)
TTA_EQUAL_WEIGHT_HINT = (
    "you gave the original images as much weight as all the copies together (the mean of the "
    "original and of the copies' mean). Every look counts the same: average the copies + 1 looks "
    "of each member, then the members."
)
TTA_LAST_MEMBER_HINT = (
    "your result is the LAST member's alone: inside the loop over the models, each member's "
    "answer replaced the one before. Collect them in a list and average it after the loop."
)
TTA_SUMMED_HINT = (
    "you added the looks up: divide by their number, members × (copies + 1), or use np.mean, so "
    "that each row stays a set of probabilities that adds up to 1."
)
TTA_MEMBERS_ADDED_HINT = (
    "you added the members' averages up without dividing by the number of members: average them, "
    "np.mean(..., axis=0), so that each row adds up to 1."
)
TTA_BY_COPIES_HINT = (
    "you divided each member's sum of looks by copies, but there are copies + 1 looks (the "
    "original and the copies): divide by copies + 1, or use np.mean."
)
TTA_LABELS_HINT = (
    "you averaged class labels (the argmax of each look): the average of a 3 and a 5 is 4, "
    "another digit entirely. Average the probabilities, and return them."
)
TTA_CLASSES_HINT = (
    "you returned the argmax, one class per image: return the averaged probabilities themselves, "
    "one row per image; whoever calls your function can still take the argmax."
)
TTA_EVERY_MEMBER_HINT = (
    "you returned every member's averaged probabilities: average them over the members as well, "
    "np.mean(..., axis=0), for one row per image."
)
TTA_VOTES_HINT = (
    "you averaged votes (one-hot labels from an argmax per look). Average the probabilities "
    "themselves: they keep how sure each member is about each look."
)
TTA_COPIES_UNUSED_HINT = (
    "your result is the plain ensemble's, on the original images alone, although the members "
    "looked at the copies: include their answers for the copies in the average."
)
TTA_COPIES_ONLY_HINT = (
    "your result averages the copies only, although the members looked at the original images: "
    "include those answers too, copies + 1 looks per member."
)


def _member_looks(models, images, augmentation, copies):
    """Each member's probabilities for the images and for its own fresh copies: (originals, copies)."""
    looks = []
    for model in models:
        originals = model.predict(images, verbose=0)
        fresh = [
            model.predict(augmentation(images, training=True), verbose=0) for _ in range(copies)
        ]
        looks.append((originals, np.array(fresh)))
    return looks


def _in_training_mode(models, images, augmentation, copies):
    return np.mean(
        [
            model(look, training=True)
            for model in models
            for look in [images] + [augmentation(images, training=True) for _ in range(copies)]
        ],
        axis=0,
    )


def _plain_ensemble(models, images, augmentation, copies):
    return np.mean([model.predict(images, verbose=0) for model in models], axis=0)


def _inference_augmentation(models, images, augmentation, copies):
    looks = [images] + [augmentation(images) for _ in range(copies)]
    return np.mean([model.predict(look, verbose=0) for model in models for look in looks], axis=0)


def _chained(models, images, augmentation, copies):
    looks, current = [images], images
    for _ in range(copies):
        current = augmentation(current, training=True)
        looks.append(current)
    return np.mean([model.predict(look, verbose=0) for model in models for look in looks], axis=0)


def _returned_in_the_model_loop(models, images, augmentation, copies):
    answers = []
    for model in models:
        looks = [images] + [augmentation(images, training=True) for _ in range(copies)]
        answers.append(np.mean([model.predict(look, verbose=0) for look in looks], axis=0))
        return np.mean(answers, axis=0)


def _no_original(models, images, augmentation, copies):
    looks = [augmentation(images, training=True) for _ in range(copies)]
    return np.mean([model.predict(look, verbose=0) for model in models for look in looks], axis=0)


def _one_copy_reused(models, images, augmentation, copies):
    copy = augmentation(images, training=True)
    looks = [images] + [copy] * copies
    return np.mean([model.predict(look, verbose=0) for model in models for look in looks], axis=0)


def _copies_off_by(extra: int):
    def ensemble_with_tta(models, images, augmentation, copies):
        looks = [images] + [augmentation(images, training=True) for _ in range(copies + extra)]
        return np.mean(
            [model.predict(look, verbose=0) for model in models for look in looks], axis=0
        )

    return ensemble_with_tta


def _tta_for_the_first_member_only(models, images, augmentation, copies):
    first, *others = models
    looks = [images] + [augmentation(images, training=True) for _ in range(copies)]
    answers = [np.mean([first.predict(look, verbose=0) for look in looks], axis=0)]
    answers += [model.predict(images, verbose=0) for model in others]
    return np.mean(answers, axis=0)


def _from_looks(combine: Callable):
    """A wrong answer that makes each member's own copies, then ``combine(looks, copies)``."""

    def ensemble_with_tta(models, images, augmentation, copies):
        return combine(_member_looks(models, images, augmentation, copies), copies)

    return ensemble_with_tta


def _per_member(looks) -> np.ndarray:
    """Each member's TTA average, shape (members, images, classes)."""
    return np.array(
        [(original + copies.sum(axis=0)) / (1 + len(copies)) for original, copies in looks]
    )


def _every_look(looks) -> np.ndarray:
    """All looks of all members, shape (members × (copies + 1), images, classes)."""
    return np.concatenate([np.concatenate([original[None], copies]) for original, copies in looks])


# Result-based mistakes: (name, the wrong answer computed from the looks, hint). The check
# recomputes them from what each member was really shown; the tests submit ENSEMBLE_TTA_MISTAKES.
_TTA_RESULT_MISTAKES: list[tuple[str, Callable, str]] = [
    (
        "equal weight",
        lambda looks: np.mean([(o + c.mean(axis=0)) / 2 for o, c in looks], axis=0),
        TTA_EQUAL_WEIGHT_HINT,
    ),
    ("last member", lambda looks: _per_member(looks)[-1], TTA_LAST_MEMBER_HINT),
    ("summed", lambda looks: _every_look(looks).sum(axis=0), TTA_SUMMED_HINT),
    ("members added", lambda looks: _per_member(looks).sum(axis=0), TTA_MEMBERS_ADDED_HINT),
    (
        "divided by copies",
        lambda looks: np.mean([(o + c.sum(axis=0)) / len(c) for o, c in looks], axis=0),
        TTA_BY_COPIES_HINT,
    ),
    (
        "labels averaged",
        lambda looks: _every_look(looks).argmax(axis=2).mean(axis=0),
        TTA_LABELS_HINT,
    ),
    (
        "classes returned",
        lambda looks: _per_member(looks).mean(axis=0).argmax(axis=1),
        TTA_CLASSES_HINT,
    ),
    ("every member", _per_member, TTA_EVERY_MEMBER_HINT),
    (
        "votes",
        lambda looks: np.eye(looks[0][0].shape[1])[_every_look(looks).argmax(axis=2)].mean(axis=0),
        TTA_VOTES_HINT,
    ),
    ("copies unused", lambda looks: np.mean([o for o, _ in looks], axis=0), TTA_COPIES_UNUSED_HINT),
    (
        "copies only",
        lambda looks: np.mean([c.mean(axis=0) for _, c in looks], axis=0),
        TTA_COPIES_ONLY_HINT,
    ),
]

_RESULT_HINTS = {name: hint for name, _, hint in _TTA_RESULT_MISTAKES}

# Every entry is a student's ensemble_with_tta. The check sees the first ones by watching what the
# members and the augmentation were given; it recognises the others by their result.
ENSEMBLE_TTA_MISTAKES: list[Mistake] = [
    Mistake("members in training mode", _in_training_mode, TTA_MEMBER_TRAINING_HINT),
    Mistake("no augmentation", _plain_ensemble, TTA_NEVER_AUGMENTED_HINT),
    Mistake("augmentation in inference mode", _inference_augmentation, TTA_INFERENCE_HINT),
    Mistake("chained copies", _chained, TTA_CHAINED_HINT),
    Mistake("return in the loop", _returned_in_the_model_loop, NEVER_USED_HINT),
    Mistake("no original", _no_original, TTA_NO_ORIGINAL_HINT),
    Mistake("one copy reused", _one_copy_reused, TTA_REUSED_HINT),
    Mistake("one copy too many", _copies_off_by(1), TTA_COPY_COUNT_HINT),
    Mistake("one copy too few", _copies_off_by(-1), TTA_COPY_COUNT_HINT),
    Mistake("TTA for the first member only", _tta_for_the_first_member_only, TTA_COPY_COUNT_HINT),
    *[
        Mistake(name, _from_looks(lambda looks, copies, wrong=wrong: wrong(looks)), hint)
        for name, wrong, hint in _TTA_RESULT_MISTAKES
    ],
]

ENSEMBLE_TTA_PRAISE = (
    "Correct: every member looked at each image and at its augmented copies, and all those looks "
    "were averaged, over the copies and over the members. That is the lesson's best "
    "configuration: an ensemble of several models, each looking several times."
)


def ensemble_with_tta(function) -> CheckResult:
    """Exercise 12.5: ``ensemble_with_tta(models, images, augmentation, copies)`` averages every
    model's probabilities over the images and ``copies`` augmented copies of them (made with
    ``augmentation(images, training=True)``), and then over the models.

    >>> ensemble_with_tta(reference_ensemble_with_tta).status
    'pass'
    """

    def test(function):
        if not callable(function):
            raise Hint(
                f"expected a function, got {type(function).__name__}. Did you overwrite its name?"
            )
        for number, (members, count, classes, copies, shape) in enumerate(TTA_CASES):
            _compare_ensemble_tta(function, members, count, classes, copies, shape, 125 + number)
        return ENSEMBLE_TTA_PRAISE

    return run_check("12.5", function, test)


def tta_case_inputs(members: int, count: int, classes: int, shape: tuple, seed: int):
    """(models, images, augmentation) of one case of 12.5, all fresh.

    >>> models, images, augmentation = tta_case_inputs(2, 5, 3, (4, 4), seed=0)
    >>> len(models), images.shape, images.dtype
    (2, (5, 4, 4), dtype('float32'))
    """
    images = np.random.default_rng(seed).uniform(0, 1, (count, *shape)).astype(np.float32)
    models = [FakeMember(seed * 10 + member, shape, classes) for member in range(members)]
    return models, images, RecordingAugmentation(seed, shape)


def _compare_ensemble_tta(function, members, count, classes, copies, shape, seed) -> None:
    models, images, augmentation = tta_case_inputs(members, count, classes, shape, seed)
    case = (
        f"for {plural(members, 'member')}, {plural(count, 'image')} of "
        f"{'×'.join(map(str, shape))} pixels, {plural(classes, 'class', 'classes')} and "
        f"copies={copies}"
    )
    try:
        answer = function(list(models), images.copy(), augmentation, copies)
    except (NotImplementedError, Hint):
        raise
    except Exception as error:
        raise Hint(f"{case}, calling your function raised {describe_error(error)}") from None
    if answer is None:
        raise Hint(
            f"{case}, your function returned None: did it forget to `return` the averaged "
            "probabilities?"
        )
    result = probabilities_array(answer, case)
    looks = _looks_shown(models, images, augmentation, copies, case)
    expected = _per_member(looks).mean(axis=0)
    if _close(result, expected):
        return
    for _, wrong, hint in _TTA_RESULT_MISTAKES:
        try:
            if _close(result, wrong(looks)):
                raise Hint(f"{case}, {hint}")
        except (ValueError, IndexError, ZeroDivisionError, FloatingPointError):
            continue
    if result.shape != expected.shape:
        raise Hint(
            f"{case}, the result should have shape {expected.shape}, one row of probabilities "
            f"per image, but it has shape {result.shape}: average over the looks and the members."
        )
    _explain_probabilities(result, expected, case)


def _looks_shown(models, images, augmentation, copies: int, case: str) -> list:
    """Each member's (original answers, copies' answers): what it was really shown, or a hint
    about how the function used the members and the augmentation."""
    originals = {row.tobytes(): i for i, row in enumerate(images.reshape(len(images), -1))}
    for model in models:
        if any(flag is not None and bool(flag) for flag in model.training_flags):
            raise Hint(f"{case}, {TTA_MEMBER_TRAINING_HINT}")
    if not augmentation.calls:
        raise Hint(f"{case}, {TTA_NEVER_AUGMENTED_HINT}")
    given = {key for training, keys in augmentation.calls if training for key in keys}
    if not given:
        raise Hint(f"{case}, {TTA_INFERENCE_HINT}")
    if given - originals.keys():
        chained = (given - originals.keys()) & augmentation.made
        raise Hint(f"{case}, {TTA_CHAINED_HINT if chained else TTA_NOT_ORIGINALS_HINT}")
    looks = []
    for number, model in enumerate(models):
        member = f"{case}, member {number} (models[{number}])"
        if not model.seen:
            raise Hint(f"{member}: {NEVER_USED_HINT}")
        original_looks = Counter()
        copy_looks: dict[int, list[bytes]] = {i: [] for i in range(len(images))}
        for key in model.seen:
            if key in originals:
                original_looks[originals[key]] += 1
            elif key in augmentation.origin:
                copy_looks[originals[augmentation.origin[key]]].append(key)
            else:
                raise Hint(f"{member} {TTA_UNKNOWN_PICTURES_HINT}")
        _expect_looks(original_looks, copy_looks, len(images), copies, member)
        answers = model.probabilities(images.reshape(len(images), -1))
        copy_answers = np.array(
            [
                [
                    model.probabilities(np.frombuffer(copy_looks[i][j], np.float32)[None])[0]
                    for i in range(len(images))
                ]
                for j in range(copies)
            ]
        )
        looks.append((answers.astype(np.float64), copy_answers.astype(np.float64)))
    return looks


def _expect_looks(original_looks: Counter, copy_looks: dict, count: int, copies: int, member: str):
    """A hint unless the member saw every image once and ``copies`` different copies of each."""
    seen_originals = sorted({original_looks[i] for i in range(count)})
    if seen_originals == [0]:
        raise Hint(f"{member} {TTA_NO_ORIGINAL_HINT}")
    if seen_originals != [1]:
        times = " or ".join(plural(n, "time") for n in seen_originals)
        raise Hint(f"{member} looked at the original images {times}: {TTA_COPY_COUNT_HINT}")
    totals = sorted({len(copy_looks[i]) for i in range(count)})
    if totals != [copies]:
        if totals == [0]:
            shown = "never looked at an augmented copy"
        else:
            shown = (
                "looked at "
                + " or ".join(plural(n, "augmented copy", "augmented copies") for n in totals)
                + " of each image"
            )
        raise Hint(f"{member} {shown}, but copies={copies}: {TTA_COPY_COUNT_HINT}")
    if any(len(set(copy_looks[i])) < copies for i in range(count)):
        raise Hint(f"{member} {TTA_REUSED_HINT}")
