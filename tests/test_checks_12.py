"""The self-checks of exercise set 12 (ensembles and test-time augmentation): a right answer passes,
a stub is "not done", and each typical wrong answer fails with the hint for its own mistake.

The typical mistakes are stated once, in the check module's tables; the tests submit each entry
as a student's answer. Mistakes caught before any comparison (returns, shapes, changed inputs) are
written out here. Nothing is trained and no MNIST is needed: the checks make up their members.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from helpers import check
from helpers.check.ensembles import (
    BY_MEMBERS_MISTAKES,
    BY_MEMBERS_PRAISE,
    CRAFTED_TIES,
    ENSEMBLE_MISTAKES,
    ENSEMBLE_PRAISE,
    ENSEMBLE_TTA_MISTAKES,
    ENSEMBLE_TTA_PRAISE,
    FROM_ZERO_HINT,
    IN_PLACE_HINT,
    LIST_CHANGED_HINT,
    NEVER_USED_HINT,
    OVERLAP_MISTAKES,
    OVERLAP_PRAISE,
    TTA_CASES,
    TTA_UNKNOWN_PICTURES_HINT,
    VOTE_MISTAKES,
    VOTE_PRAISE,
    FakeMember,
    RecordingAugmentation,
    ensemble_cases,
    overlap_cases,
    reference_accuracy_by_members,
    reference_ensemble_probabilities,
    reference_ensemble_with_tta,
    reference_majority_vote,
    reference_mistake_overlap,
    tta_case_inputs,
    vote_cases,
)
from tests.check_assertions import assert_fail, assert_not_done, assert_pass, stub


def names(table):
    return [mistake.name for mistake in table]


# --- 12.1 ensemble_probabilities ---------------------------------------------------------------


def ensemble_by_loop(member_probabilities):
    total = np.zeros_like(member_probabilities[0], dtype=float)
    for probabilities in member_probabilities:
        total = total + probabilities
    return total / len(member_probabilities)


def ensemble_by_copy_then_add(member_probabilities):
    total = member_probabilities[0].copy()
    for probabilities in member_probabilities[1:]:
        total += probabilities
    return total / len(member_probabilities)


def ensemble_by_running_mean(member_probabilities):
    mean = np.zeros(np.shape(member_probabilities[0]))
    for count, probabilities in enumerate(member_probabilities, start=1):
        mean += (probabilities - mean) / count
    return mean


def ensemble_in_python(member_probabilities):
    images, classes = np.shape(member_probabilities[0])
    return [
        [
            sum(float(p[i][c]) for p in member_probabilities) / len(member_probabilities)
            for c in range(classes)
        ]
        for i in range(images)
    ]


@pytest.mark.parametrize(
    "answer",
    [
        lambda member_probabilities: np.mean(member_probabilities, axis=0),
        lambda member_probabilities: sum(member_probabilities) / len(member_probabilities),
        lambda member_probabilities: np.stack(member_probabilities).mean(axis=0),
        lambda member_probabilities: np.average(np.array(member_probabilities), axis=0),
        ensemble_by_loop,
        ensemble_by_copy_then_add,
        ensemble_by_running_mean,
        ensemble_in_python,
        reference_ensemble_probabilities,
    ],
    ids=[
        "mean",
        "sum-divided",
        "stack",
        "average",
        "loop",
        "copy-then-add",
        "running-mean",
        "python",
        "reference",
    ],
)
def test_ensemble_probabilities_passes_right_answers(answer):
    result = check.ensemble_probabilities(answer)
    assert_pass(result)
    assert result.message == ENSEMBLE_PRAISE
    assert str(result).startswith("✅ Exercise 12.1: Correct: ")


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_ensemble_probabilities_not_done(answer):
    assert_not_done(check.ensemble_probabilities(answer))


@pytest.mark.parametrize("mistake", ENSEMBLE_MISTAKES, ids=names(ENSEMBLE_MISTAKES))
def test_ensemble_probabilities_names_each_known_mistake(mistake):
    assert_fail(check.ensemble_probabilities(mistake.implementation), mistake.hint)


def ensemble_popping_the_last(member_probabilities):
    last = member_probabilities.pop()
    return (sum(member_probabilities) + last) / (len(member_probabilities) + 1)


def ensemble_weighted_to_the_first(member_probabilities):
    weights = np.arange(len(member_probabilities), 0, -1)
    return np.average(np.array(member_probabilities), axis=0, weights=weights)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda p: None, "forget to `return` the averaged probabilities"),
        (lambda p: "average", "returned text (strings)"),
        (ensemble_popping_the_last, LIST_CHANGED_HINT),
        (
            lambda p: np.mean(p, axis=0)[:-1],
            "should have shape (8, 5), one row per image and one column per class, but they have "
            "shape (7, 5)",
        ),
        (lambda p: np.mean(p, axis=0) * 0.5, "row 0 of your result adds up to 0.5, not 1"),
        (ensemble_weighted_to_the_first, "your probabilities differ from the right answer first"),
        (lambda p: 1 / 0, "calling your function raised ZeroDivisionError"),
    ],
    ids=["no-return", "string", "pops", "shape", "halved", "weighted", "raises"],
)
def test_ensemble_probabilities_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.ensemble_probabilities(answer), phrase)


def test_ensemble_probabilities_in_place_hint_names_the_trap():
    result = check.ensemble_probabilities(ENSEMBLE_MISTAKES[-1].implementation)
    assert result.message == f"for 3 members, 8 images and 5 classes, {IN_PLACE_HINT}"


def test_ensemble_cases_are_float32_probabilities_of_odd_shapes():
    cases = ensemble_cases()
    assert [len(members) for members, _ in cases][-1] == 1  # one member: its own probabilities
    for members, _ in cases:
        for probabilities in members:
            assert probabilities.dtype == np.float32
            assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
        members_count, (images, classes) = len(members), members[0].shape
        assert len({members_count, images, classes}) == 3, "the axes can be told apart"


# --- 12.2 mistake_overlap ----------------------------------------------------------------------


def overlap_with_sets(member_probabilities, labels):
    mistakes = [set(np.flatnonzero(p.argmax(axis=1) != labels)) for p in member_probabilities]
    return len(set.union(*mistakes)), len(set.intersection(*mistakes))


def overlap_by_counting(member_probabilities, labels):
    wrong_count = sum((p.argmax(axis=1) != labels).astype(int) for p in member_probabilities)
    return np.sum(wrong_count > 0), np.sum(wrong_count == len(member_probabilities))


def overlap_in_python(member_probabilities, labels):
    some = every = 0
    for i, label in enumerate(labels):
        wrong = [int(np.argmax(p[i])) != label for p in member_probabilities]
        some += any(wrong)
        every += all(wrong)
    return [some, every]


def overlap_by_argmax_of_a_stack(member_probabilities, labels):
    wrong = np.argmax(np.stack(member_probabilities), axis=2) != labels[None, :]
    return float(np.count_nonzero(wrong.any(axis=0))), float(np.count_nonzero(wrong.all(axis=0)))


@pytest.mark.parametrize(
    "answer",
    [
        overlap_with_sets,
        overlap_by_counting,
        overlap_in_python,
        overlap_by_argmax_of_a_stack,
        reference_mistake_overlap,
    ],
    ids=["sets", "counting", "python", "stack", "reference"],
)
def test_mistake_overlap_passes_right_answers(answer):
    result = check.mistake_overlap(answer)
    assert_pass(result)
    assert result.message == OVERLAP_PRAISE
    assert str(result).startswith("✅ Exercise 12.2: Correct: ")


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_mistake_overlap_not_done(answer):
    assert_not_done(check.mistake_overlap(answer))


@pytest.mark.parametrize("mistake", OVERLAP_MISTAKES, ids=names(OVERLAP_MISTAKES))
def test_mistake_overlap_names_each_known_mistake(mistake):
    assert_fail(check.mistake_overlap(mistake.implementation), mistake.hint)


def overlap_of_the_first_two(member_probabilities, labels):
    return reference_mistake_overlap(member_probabilities[:2], labels)


def overlap_as_sets(member_probabilities, labels):
    mistakes = [set(np.flatnonzero(p.argmax(axis=1) != labels)) for p in member_probabilities]
    return set.union(*mistakes), set.intersection(*mistakes)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda p, y: None, "forget to `return some, every`"),
        (lambda p, y: 7, "return two numbers, `return some, every`"),
        (
            lambda p, y: (*reference_mistake_overlap(p, y), 0),
            "your function returned 3 things (tuple)",
        ),
        (overlap_as_sets, "`some` is a collection of"),
        (lambda p, y: ("many", "few"), "`some` is a str, not a number"),
        (
            overlap_of_the_first_two,
            "for 3 members, 40 images and 5 classes, some member gets 27 images wrong and every "
            "member gets 4 wrong, but your function says 22 and 9",
        ),
        (lambda p, y: p.shape, "calling your function raised AttributeError"),
    ],
    ids=["no-return", "one-number", "three", "sets", "strings", "first-two", "raises"],
)
def test_mistake_overlap_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.mistake_overlap(answer), phrase)


def test_overlap_cases_separate_the_union_from_the_intersection():
    for members, labels, _ in overlap_cases():
        some, every = reference_mistake_overlap(members, labels)
        assert 0 < every < some < len(labels)
        assert set(labels.tolist()) == set(range(members[0].shape[1]))


# --- 12.3 majority_vote ------------------------------------------------------------------------


def vote_with_counter(member_probabilities):
    averaged = np.mean(member_probabilities, axis=0)
    winners = []
    for i in range(len(averaged)):
        votes = Counter(int(np.argmax(p[i])) for p in member_probabilities)
        most = max(votes.values())
        tied = [c for c, n in votes.items() if n == most]
        winners.append(max(tied, key=lambda c: averaged[i][c]))
    return np.array(winners)


def vote_by_score(member_probabilities):
    """Votes first, the averaged probability (below 1) only to break ties: one score."""
    stacked = np.array(member_probabilities)
    votes = stacked.argmax(axis=2)
    counts = (votes[:, :, None] == np.arange(stacked.shape[2])).sum(axis=0)
    return np.argmax(2 * counts + stacked.mean(axis=0), axis=1)


def vote_with_summed_tie_break(member_probabilities):
    stacked = np.asarray(member_probabilities)
    votes = stacked.argmax(axis=2)
    winners = []
    for i in range(stacked.shape[1]):
        counts = np.bincount(votes[:, i], minlength=stacked.shape[2])
        candidates = np.flatnonzero(counts == counts.max())
        summed = stacked[:, i, candidates].sum(axis=0)
        winners.append(candidates[np.argmax(summed)])
    return winners


def vote_by_lexsort(member_probabilities):
    stacked = np.asarray(member_probabilities, dtype=np.float64)
    votes = stacked.argmax(axis=2)
    winners = []
    for i in range(stacked.shape[1]):
        counts = np.bincount(votes[:, i], minlength=stacked.shape[2])
        order = np.lexsort((stacked[:, i].sum(axis=0), counts))  # by counts, then by sums
        winners.append(int(order[-1]))
    return np.array(winners, dtype=np.int32)


@pytest.mark.parametrize(
    "answer",
    [
        vote_with_counter,
        vote_by_score,
        vote_with_summed_tie_break,
        vote_by_lexsort,
        reference_majority_vote,
    ],
    ids=["counter", "score", "summed", "lexsort", "reference"],
)
def test_majority_vote_passes_right_answers(answer):
    result = check.majority_vote(answer)
    assert_pass(result)
    assert result.message == VOTE_PRAISE
    assert str(result).startswith("✅ Exercise 12.3: Correct: ")


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_majority_vote_not_done(answer):
    assert_not_done(check.majority_vote(answer))


@pytest.mark.parametrize("mistake", VOTE_MISTAKES, ids=names(VOTE_MISTAKES))
def test_majority_vote_names_each_known_mistake(mistake):
    assert_fail(check.majority_vote(mistake.implementation), mistake.hint)


def vote_ties_to_the_highest_class(member_probabilities):
    stacked = np.asarray(member_probabilities)
    votes = stacked.argmax(axis=2)
    counts = (votes[:, :, None] == np.arange(stacked.shape[2])).sum(axis=0)
    return counts.shape[1] - 1 - counts[:, ::-1].argmax(axis=1)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda p: None, "forget to `return` the winners"),
        (lambda p: reference_majority_vote(p)[1:], "should have shape (30,), one winning class"),
        (
            vote_ties_to_the_highest_class,
            "image 1: the members vote [4, 0, 3, 1], so 0, 1, 3 and 4 tie with 1 vote each, and 1 "
            "has the highest averaged probability (0: 0.250, 1: 0.310, 3: 0.194, 4: 0.214); your "
            "function says 4.",
        ),
        (lambda p: np.zeros(len(p[0]), int), "wins with"),
        (lambda p: ["three"] * len(p[0]), "returned text (strings)"),
        (lambda p: p[0].argmax(axis=3), "calling your function raised AxisError"),
    ],
    ids=["no-return", "short", "highest-class", "zeros", "strings", "raises"],
)
def test_majority_vote_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.majority_vote(answer), phrase)


def test_vote_cases_have_ties_and_votes_that_averaging_overturns():
    overturned = []
    for members, _ in vote_cases():
        stacked = np.asarray(members, dtype=np.float64)
        votes = stacked.argmax(axis=2)
        counts = (votes[..., None] == np.arange(stacked.shape[2])).sum(axis=0)
        ties = (counts == counts.max(axis=1, keepdims=True)).sum(axis=1) > 1
        assert ties.any() and not ties.all()
        averaged = stacked.mean(axis=0)
        overturned.append(np.sum(averaged.argmax(axis=1) != reference_majority_vote(members)))
        top_two = np.sort(averaged, axis=1)[:, -2:]
        assert np.all(top_two[:, 1] - top_two[:, 0] > 1e-4), "no near-ties a float32 sum flips"
    assert overturned[0] > 0 and sum(count > 0 for count in overturned) >= 3


def test_crafted_ties_are_what_the_comment_says():
    first, _ = vote_cases()[0]
    for image, rows in zip((3, 11), CRAFTED_TIES):
        assert np.allclose(rows.sum(axis=1), 1)
        assert rows.argmax(axis=1).tolist() == [0, 0, 1, 1]
        assert np.array_equal(np.array([member[image] for member in first]), rows)
        assert reference_majority_vote(first)[image] == 1
    assert CRAFTED_TIES[0].mean(axis=0).argmax() == 3  # a class without a vote is most probable
    assert CRAFTED_TIES[1].max() == CRAFTED_TIES[1][0, 0]  # the surest voter votes for 0


# --- 12.4 accuracy_by_members ------------------------------------------------------------------


def by_members_with_a_running_sum(member_probabilities, labels):
    total, accuracies = 0, []
    for probabilities in member_probabilities:
        total = total + probabilities  # summed, not averaged: the argmax is the same
        accuracies.append(np.mean(np.argmax(total, axis=1) == labels))
    return accuracies


def by_members_with_cumsum(member_probabilities, labels):
    running = np.cumsum(np.array(member_probabilities), axis=0)
    return (running.argmax(axis=2) == labels).mean(axis=1)


def by_members_with_the_ensemble_function(member_probabilities, labels):
    def ensemble_probabilities(members):
        return np.mean(members, axis=0)

    return np.array(
        [
            (ensemble_probabilities(member_probabilities[:k]).argmax(axis=1) == labels).mean()
            for k in range(1, len(member_probabilities) + 1)
        ]
    )


def by_members_counting_right_answers(member_probabilities, labels):
    accuracies = []
    for k in range(len(member_probabilities)):
        ensemble = sum(member_probabilities[: k + 1]) / (k + 1)
        right = sum(int(np.argmax(row) == label) for row, label in zip(ensemble, labels))
        accuracies.append(right / len(labels))
    return tuple(accuracies)


@pytest.mark.parametrize(
    "answer",
    [
        by_members_with_a_running_sum,
        by_members_with_cumsum,
        by_members_with_the_ensemble_function,
        by_members_counting_right_answers,
        reference_accuracy_by_members,
    ],
    ids=["running-sum", "cumsum", "ensemble-function", "counting", "reference"],
)
def test_accuracy_by_members_passes_right_answers(answer):
    result = check.accuracy_by_members(answer)
    assert_pass(result)
    assert result.message == BY_MEMBERS_PRAISE
    assert str(result).startswith("✅ Exercise 12.4: Correct: ")


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_accuracy_by_members_not_done(answer):
    assert_not_done(check.accuracy_by_members(answer))


@pytest.mark.parametrize("mistake", BY_MEMBERS_MISTAKES, ids=names(BY_MEMBERS_MISTAKES))
def test_accuracy_by_members_names_each_known_mistake(mistake):
    assert_fail(check.accuracy_by_members(mistake.implementation), mistake.hint)


def by_members_from_zero(member_probabilities, labels):
    """range(M) with member_probabilities[:k]: the first ensemble has no members, and fails."""
    return [
        np.mean(np.mean(member_probabilities[:k], axis=0).argmax(axis=1) == labels)
        for k in range(len(member_probabilities))
    ]


def by_members_from_zero_with_nan(member_probabilities, labels):
    """range(M + 1), an empty first ensemble whose accuracy comes out as nan."""
    accuracies = []
    for k in range(len(member_probabilities) + 1):
        ensemble = np.mean(np.array(member_probabilities[:k]), axis=0)
        accuracies.append(
            np.mean(ensemble.argmax(axis=1) == labels) if np.ndim(ensemble) == 2 else np.nan
        )
    return accuracies


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (by_members_from_zero, FROM_ZERO_HINT),
        (by_members_from_zero_with_nan, FROM_ZERO_HINT),
        (lambda p, y: None, "forget to `return` the accuracies"),
        (
            lambda p, y: np.tile(reference_accuracy_by_members(p, y), 2),
            "should hold 3 accuracies, one per number of members (k = 1 to 3), but it has shape (6,)",
        ),
        (
            lambda p, y: np.round(reference_accuracy_by_members(p, y), 1),
            "your accuracies differ from the right answer first at index 0",
        ),
        (lambda p, y: y.mean(axis=1), "calling your function raised AxisError"),
    ],
    ids=["from-zero", "from-zero-nan", "no-return", "doubled", "rounded", "raises"],
)
def test_accuracy_by_members_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.accuracy_by_members(answer), phrase)


def test_accuracy_by_members_cases_tell_the_mistakes_apart():
    """Averaging probabilities, averaging accuracies and voting give other curves."""
    for members, labels, _ in overlap_cases():
        curve = reference_accuracy_by_members(members, labels)
        singles = [np.mean(p.argmax(axis=1) == labels) for p in members]
        assert not np.allclose(curve, np.cumsum(singles) / np.arange(1, len(singles) + 1))
        stacked = np.asarray(members, dtype=np.float64)
        for k in range(1, len(members) + 1):
            averaged = np.sort(stacked[:k].mean(axis=0), axis=1)
            assert np.all(averaged[:, -1] - averaged[:, -2] > 1e-4), "no near-ties"


# --- 12.5 ensemble_with_tta --------------------------------------------------------------------


def tta_with_fresh_copies_per_model(models, images, augmentation, copies):
    """Exercise 6.4's predict_with_tta for each model, then the average over the models."""
    per_model = []
    for model in models:
        predictions = [model.predict(images, verbose=0)]
        for _ in range(copies):
            predictions.append(model.predict(augmentation(images, training=True), verbose=0))
        per_model.append(np.mean(predictions, axis=0))
    return np.mean(per_model, axis=0)


def tta_in_one_batch(models, images, augmentation, copies):
    batch = np.concatenate([images] + [augmentation(images, training=True) for _ in range(copies)])
    answers = [
        model.predict(batch, verbose=0).reshape(copies + 1, len(images), -1) for model in models
    ]
    return np.mean(answers, axis=(0, 1))


def tta_calling_the_models(models, images, augmentation, copies):
    looks = [images] + [augmentation(images, training=True) for _ in range(copies)]
    total = 0
    for look in looks:  # copies outer, models inner: the same looks
        for model in models:
            total = total + model(look, training=False).numpy()
    return total / (len(looks) * len(models))


def tta_one_image_at_a_time(models, images, augmentation, copies):
    rows = []
    for image in images:
        looks = [image[None]] + [augmentation(image[None], training=True) for _ in range(copies)]
        rows.append(np.mean([m.predict(x, verbose=0)[0] for m in models for x in looks], axis=0))
    return np.array(rows)


@pytest.mark.parametrize(
    "answer",
    [
        tta_with_fresh_copies_per_model,
        tta_in_one_batch,
        tta_calling_the_models,
        tta_one_image_at_a_time,
        reference_ensemble_with_tta,
    ],
    ids=["fresh-copies-per-model", "one-batch", "model-call", "image-by-image", "reference"],
)
def test_ensemble_with_tta_passes_right_answers(answer):
    result = check.ensemble_with_tta(answer)
    assert_pass(result)
    assert result.message == ENSEMBLE_TTA_PRAISE
    assert str(result).startswith("✅ Exercise 12.5: Correct: ")


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_ensemble_with_tta_not_done(answer):
    assert_not_done(check.ensemble_with_tta(answer))


@pytest.mark.parametrize("mistake", ENSEMBLE_TTA_MISTAKES, ids=names(ENSEMBLE_TTA_MISTAKES))
def test_ensemble_with_tta_names_each_known_mistake(mistake):
    assert_fail(check.ensemble_with_tta(mistake.implementation), mistake.hint)


def tta_on_rescaled_images(models, images, augmentation, copies):
    images = images / 255
    return reference_ensemble_with_tta(models, images, augmentation, copies)


def tta_on_doubled_originals(models, images, augmentation, copies):
    looks = [2 * images] + [augmentation(images, training=True) for _ in range(copies)]
    return np.mean([model.predict(look, verbose=0) for model in models for look in looks], axis=0)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda m, x, a, c: None, "forget to `return` the averaged probabilities"),
        (lambda m, x, a, c: "probabilities", "return an array of probabilities, not a str"),
        (tta_on_rescaled_images, "`augmentation` was given pictures that are not the images"),
        (tta_on_doubled_originals, f"member 0 (models[0]) {TTA_UNKNOWN_PICTURES_HINT}"),
        (
            lambda m, x, a, c: reference_ensemble_with_tta(m[:1], x, a, c),
            f"member 1 (models[1]): {NEVER_USED_HINT}",
        ),
        (
            lambda m, x, a, c: reference_ensemble_with_tta(m, x, a, c)[:, :-1],
            "the result should have shape (6, 4), one row of probabilities per image, but it has "
            "shape (6, 3)",
        ),
        (
            lambda m, x, a, c: np.sqrt(reference_ensemble_with_tta(m, x, a, c)),
            "row 0 of your result adds up to",
        ),
        (
            lambda m, x, a, c: 1 / 0,
            "for 3 members, 6 images of 5×6 pixels, 4 classes and copies=2, calling your "
            "function raised ZeroDivisionError",
        ),
        (3, "expected a function, got int"),
    ],
    ids=[
        "no-return",
        "string",
        "rescaled",
        "unknown-pictures",
        "first-model-only",
        "shape",
        "square-root",
        "raises",
        "not-a-function",
    ],
)
def test_ensemble_with_tta_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.ensemble_with_tta(answer), phrase)


def test_ensemble_with_tta_counts_each_members_looks():
    one_copy_too_many = next(m for m in ENSEMBLE_TTA_MISTAKES if m.name == "one copy too many")
    message = check.ensemble_with_tta(one_copy_too_many.implementation).message
    assert message.startswith(
        "for 3 members, 6 images of 5×6 pixels, 4 classes and copies=2, member 0 (models[0]) "
        "looked at 3 augmented copies of each image, but copies=2"
    )
    first_only = next(m for m in ENSEMBLE_TTA_MISTAKES if m.name == "TTA for the first member only")
    message = check.ensemble_with_tta(first_only.implementation).message
    assert "member 1 (models[1]) never looked at an augmented copy, but copies=2" in message


def test_fake_members_answer_like_keras_models():
    models, images, augmentation = tta_case_inputs(2, 5, 3, (4, 4), seed=1)
    member = models[0]
    by_predict = member.predict(images, verbose=0)
    by_call = member(images, training=False)
    assert by_predict.shape == (5, 3) and by_predict.dtype == np.float32
    assert np.allclose(by_predict.sum(axis=1), 1, atol=1e-6)
    assert np.array_equal(by_call.numpy(), by_predict)
    assert member.training_flags == [False] and len(member.seen) == 10
    assert np.array_equal(augmentation(images), images)  # untouched outside training
    copy = augmentation(images, training=True)
    assert not np.array_equal(copy, images) and len(augmentation.origin) == 5
    assert isinstance(FakeMember(0, (2, 2), 3).predict(np.zeros((1, 2, 2))), np.ndarray)
    assert isinstance(RecordingAugmentation(0, (2, 2)), RecordingAugmentation)


def test_tta_cases_end_with_a_single_member_and_vary_everything():
    assert TTA_CASES[-1][0] == 1
    for field in range(5):
        assert len({case[field] for case in TTA_CASES}) > 1
