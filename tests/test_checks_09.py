"""The self-checks of exercise set 09 (transfer learning): a right answer passes, a stub is "not
done", and each typical wrong answer fails with the hint for its own mistake.

The typical mistakes are stated once, in the check module's tables; the tests submit each entry
as a student's answer. Mistakes caught before any comparison (shapes, returns) are written out here.
No MNIST is needed; 9.3 and 9.4 train tiny models for two steps.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from helpers import check
from helpers.check.transfer import (
    CLASSES_HINT,
    FREEZE_HINT,
    INTEGER_LABELS_HINT,
    LABELLED_SUBSET_MISTAKES,
    LABELLED_SUBSET_PRAISE,
    NEW_HEAD_MISTAKES,
    NEW_HEAD_PRAISE,
    NO_ERROR_HINT,
    NORM_HINT,
    RENUMBER,
    RETURNED_BASE_HINT,
    SELECT_MISTAKES,
    SELECT_PRAISE,
    SOFTMAX_HINT,
    UNFREEZE_CASES,
    UNFREEZE_MISTAKES,
    UNFREEZE_PRAISE,
    WHICH_LAYERS,
    fine_tuning_model,
    labelled_subset_cases,
    pretrained_base,
    reference_labelled_subset,
    reference_select_digits,
    reference_top_layers,
    select_digits_cases,
)
from tests.check_assertions import assert_fail, assert_not_done, assert_pass, stub

layers = keras.layers


def names(table):
    return [mistake.name for mistake in table]


# --- 9.1 select_digits -------------------------------------------------------------------------


def select_solution(images, labels, digits):
    keep = np.isin(labels, digits)
    position = {digit: i for i, digit in enumerate(digits)}
    return images[keep], np.array([position[label] for label in labels[keep]])


def select_by_lookup_table(images, labels, digits):
    table = np.full(labels.max() + 1, -1)
    table[np.asarray(digits)] = np.arange(len(digits))
    keep = table[labels] >= 0
    return images[keep], table[labels[keep]]


def select_by_loop_over_positions(images, labels, digits):
    keep = np.isin(labels, digits)
    old = labels[keep]
    new = np.zeros(len(old), dtype=int)
    for position, digit in enumerate(digits):
        new[old == digit] = position
    return images[keep], new


def select_in_python(images, labels, digits):
    digits = list(digits)
    pictures, new = [], []
    for image, label in zip(images, labels):
        if label in digits:
            pictures.append(image)
            new.append(digits.index(label))
    return np.array(pictures), np.array(new)


def select_by_broadcast(images, labels, digits):
    matches = labels[:, None] == np.asarray(digits)[None, :]
    keep = matches.any(axis=1)
    return images[keep], matches[keep].argmax(axis=1)


@pytest.mark.parametrize(
    "answer",
    [
        select_solution,
        select_by_lookup_table,
        select_by_loop_over_positions,
        select_in_python,
        select_by_broadcast,
        lambda images, labels, digits: list(select_solution(images, labels, digits)),
        reference_select_digits,
    ],
    ids=["solution", "lookup-table", "loop", "python", "broadcast", "list-pair", "reference"],
)
def test_select_digits_passes_right_answers(answer):
    result = check.select_digits(answer)
    assert_pass(result)
    assert result.message == SELECT_PRAISE
    assert str(result).startswith("✅ Exercise 9.1: Correct: ")


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_select_digits_not_done(answer):
    assert_not_done(check.select_digits(answer))


@pytest.mark.parametrize("mistake", SELECT_MISTAKES, ids=names(SELECT_MISTAKES))
def test_select_digits_names_each_known_mistake(mistake):
    assert_fail(check.select_digits(mistake.implementation), mistake.hint)


def select_with_float_labels(images, labels, digits):
    subset, new = select_solution(images, labels, digits)
    return subset, new.astype(np.float32)


def select_one_position_too_high(images, labels, digits):
    subset, new = select_solution(images, labels, digits)
    return subset, new + (np.asarray(digits)[new] == 6)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda images, labels, digits: None, "forget to `return images_subset, new_labels`"),
        (lambda images, labels, digits: select_solution(images, labels, digits)[0], "return two"),
        (
            lambda images, labels, digits: (*select_solution(images, labels, digits), digits),
            "your function returned a tuple; return two things",
        ),
        (select_with_float_labels, INTEGER_LABELS_HINT.format(dtype="float32")),
        (
            lambda images, labels, digits: (
                select_solution(images, labels, digits)[0].reshape(-1, 30),
                select_solution(images, labels, digits)[1],
            ),
            "it should hold whole pictures of shape (6, 5)",
        ),
        (
            lambda images, labels, digits: (
                select_solution(images, labels, digits)[0] / 255,
                select_solution(images, labels, digits)[1],
            ),
            "are not pictures of `images` as they were",
        ),
        (
            lambda images, labels, digits: (
                select_solution(images, labels, digits)[0],
                select_solution(images, labels, digits)[1][:-1],
            ),
            "one label per picture",
        ),
        (
            lambda images, labels, digits: select_solution(images, labels, [*digits, 0]),
            "contains pictures of 0, which is not in digits",
        ),
        (
            lambda images, labels, digits: select_solution(images, labels, list(digits)[:-1]),
            "misses pictures of 7",
        ),
        (
            lambda images, labels, digits: tuple(
                a[::-1] for a in select_solution(images, labels, digits)
            ),
            "in another order",
        ),
        (
            select_one_position_too_high,
            "picture 0 of your subset is a 6, digits[1], so its new label is 1, but yours is 2",
        ),
        (select_one_position_too_high, RENUMBER),
        (lambda images, labels, digits: ("a", "b"), "returned text (strings)"),
        (
            lambda images, labels, digits: digits.index(99),
            "calling your function raised ValueError",
        ),
    ],
    ids=[
        "no-return",
        "one-array",
        "three-things",
        "float-labels",
        "flattened",
        "scaled",
        "label-short",
        "extra-digit",
        "missing-digit",
        "reversed",
        "off-by-one",
        "off-by-one-advice",
        "strings",
        "raises",
    ],
)
def test_select_digits_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.select_digits(answer), phrase)


def test_select_digits_cases_have_odd_sizes_and_digits_out_of_order():
    cases = select_digits_cases()
    assert all(images.shape[1:] != (28, 28) for images, *_ in cases)
    assert any(isinstance(digits, tuple) for *_, digits, _ in cases)
    assert any(isinstance(digits, np.ndarray) for *_, digits, _ in cases)
    assert any(list(digits) != sorted(digits) for *_, digits, _ in cases)
    assert all(
        not images.flags.writeable and not labels.flags.writeable for images, labels, *_ in cases
    )
    for images, labels, digits, _ in cases:
        assert len({image.tobytes() for image in images}) == len(images)  # pictures are told apart
        assert np.isin(digits, labels).all()


# --- 9.2 labelled_subset -----------------------------------------------------------------------


def subset_solution(labels, per_class, seed):
    rng = np.random.default_rng(seed)
    chosen = []
    for c in np.unique(labels):
        chosen.append(rng.choice(np.flatnonzero(labels == c), per_class, replace=False))
    return np.concatenate(chosen)


def subset_by_permutation(labels, per_class, seed):
    rng = np.random.default_rng(seed)
    chosen = []
    for c in np.unique(labels):
        where = np.flatnonzero(labels == c)
        if len(where) < per_class:
            raise ValueError(f"class {c} has only {len(where)} examples")
        chosen.extend(rng.permutation(where)[:per_class])
    return np.sort(np.array(chosen))


def subset_by_shuffling_once(labels, per_class, seed):
    order = np.random.default_rng(seed).permutation(len(labels))
    chosen = []
    for c in sorted(set(labels.tolist())):
        of_class = order[labels[order] == c][:per_class]
        if len(of_class) < per_class:
            raise ValueError("too few")
        chosen += of_class.tolist()
    return chosen


def subset_shuffled(labels, per_class, seed):
    rng = np.random.default_rng(seed)
    chosen = subset_solution(labels, per_class, seed)
    rng.shuffle(chosen)
    return chosen


def subset_in_python(labels, per_class, seed):
    rng = np.random.default_rng(seed)
    by_class = {}
    for index, label in enumerate(labels.tolist()):
        by_class.setdefault(label, []).append(index)
    chosen = []
    for label, indices in by_class.items():
        if len(indices) < per_class:
            raise ValueError(f"class {label}: not enough examples")
        chosen += [int(i) for i in rng.choice(indices, size=per_class, replace=False)]
    return np.array(chosen, dtype=np.int32)


@pytest.mark.parametrize(
    "answer",
    [
        subset_solution,
        subset_by_permutation,
        subset_by_shuffling_once,
        subset_shuffled,
        subset_in_python,
        reference_labelled_subset,
    ],
    ids=["solution", "permutation", "shuffle-once", "shuffled", "python", "reference"],
)
def test_labelled_subset_passes_right_answers(answer):
    result = check.labelled_subset(answer)
    assert_pass(result)
    assert result.message == LABELLED_SUBSET_PRAISE
    assert str(result).startswith("✅ Exercise 9.2: Correct: ")


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_labelled_subset_not_done(answer):
    assert_not_done(check.labelled_subset(answer))


@pytest.mark.parametrize("mistake", LABELLED_SUBSET_MISTAKES, ids=names(LABELLED_SUBSET_MISTAKES))
def test_labelled_subset_names_each_known_mistake(mistake):
    assert_fail(check.labelled_subset(mistake.implementation), mistake.hint)


def subset_over_ten_classes(labels, per_class, seed):
    rng = np.random.default_rng(seed)
    picks = [rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in range(10)]
    return np.concatenate(picks)


def subset_one_extra_for_the_last_class(labels, per_class, seed):
    chosen = subset_solution(labels, per_class, seed)
    last = np.flatnonzero(labels == labels.max())
    return np.append(chosen, np.setdiff1d(last, chosen)[0])


def subset_type_error_when_too_small(labels, per_class, seed):
    if np.unique(labels, return_counts=True)[1].min() < per_class:
        raise TypeError("too small")
    return subset_solution(labels, per_class, seed)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda labels, k, seed: None, "your answer is None"),
        (lambda labels, k, seed: "0, 1, 2", "returned text (strings)"),
        (
            lambda labels, k, seed: subset_solution(labels, k, seed).astype(float),
            "your indices are float64 numbers: indices must be integers",
        ),
        (
            lambda labels, k, seed: subset_solution(labels, k, seed) + 0.5,
            "indices must be whole numbers",
        ),
        (
            lambda labels, k, seed: subset_solution(labels, k, seed) - len(labels),
            "index -",
        ),
        (lambda labels, k, seed: np.int64(3), "return a flat array of indices"),
        (subset_over_ten_classes, "calling your function raised ValueError"),
        (subset_over_ten_classes, CLASSES_HINT),
        (subset_one_extra_for_the_last_class, "class 3 got 8 indices"),
        (subset_type_error_when_too_small, "raised TypeError: too small; raise ValueError instead"),
        (lambda labels, k, seed: 1 / 0, "calling your function raised ZeroDivisionError"),
    ],
    ids=[
        "no-return",
        "string",
        "float-indices",
        "fractions",
        "negative",
        "scalar",
        "ten-classes",
        "ten-classes-advice",
        "one-extra",
        "type-error",
        "raises",
    ],
)
def test_labelled_subset_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.labelled_subset(answer), phrase)


def test_labelled_subset_too_small_class_message():
    message = check.labelled_subset(LABELLED_SUBSET_MISTAKES[-1].implementation).message
    assert message.startswith("for per_class=8, when class 0 has only 7 examples, your function")
    assert NO_ERROR_HINT in message


def test_labelled_subset_leaves_the_notebooks_random_numbers_alone():
    np.random.seed(7)
    expected = np.random.random(3)
    np.random.seed(7)
    for mistake in LABELLED_SUBSET_MISTAKES:
        check.labelled_subset(mistake.implementation)
    assert np.array_equal(np.random.random(3), expected)


def test_labelled_subset_cases_include_a_full_class_and_labels_not_from_zero():
    cases = labelled_subset_cases()
    labels, per_class, *_ = cases[0]
    assert np.bincount(labels).min() == per_class  # a class taken whole
    labels, *_ = cases[1]
    assert set(labels.tolist()) == {2, 5, 9}
    for labels, per_class, *_ in cases[2:]:
        assert np.unique(labels, return_counts=True)[1].min() < per_class
    assert all(not labels.flags.writeable for labels, *_ in cases)


# --- 9.3 with_new_head -------------------------------------------------------------------------


def head_solution(base, class_count):
    base.trainable = False
    inputs = keras.Input(shape=base.input_shape[1:])
    features = base(inputs, training=False)
    outputs = layers.Dense(class_count, activation="softmax")(features)
    return keras.Model(inputs, outputs)


def head_sequential(base, class_count):
    base.trainable = False
    return keras.Sequential([base, layers.Dense(class_count, activation="softmax")])


def head_on_base_outputs(base, class_count):
    base.trainable = False
    return keras.Model(
        base.inputs, layers.Dense(class_count, activation="softmax")(base.outputs[0])
    )


def head_freezing_each_layer(base, class_count):
    for layer in base.layers:
        layer.trainable = False
    inputs = keras.Input(base.input_shape[1:])
    return keras.Model(inputs, layers.Dense(class_count, activation="softmax")(base(inputs)))


def head_frozen_after_building(base, class_count):
    model = keras.Sequential([base, layers.Dense(class_count), layers.Softmax()])
    base.trainable = False
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


@pytest.mark.parametrize(
    "answer",
    [
        head_solution,
        head_sequential,
        head_on_base_outputs,
        head_freezing_each_layer,
        head_frozen_after_building,
    ],
    ids=["solution", "sequential", "base-outputs", "each-layer", "frozen-after-building"],
)
def test_with_new_head_passes_right_answers(answer):
    result = check.with_new_head(answer)
    assert_pass(result)
    assert result.message == NEW_HEAD_PRAISE
    assert str(result).startswith("✅ Exercise 9.3: Correct: ")


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_with_new_head_not_done(answer):
    assert_not_done(check.with_new_head(answer))


@pytest.mark.parametrize("mistake", NEW_HEAD_MISTAKES, ids=names(NEW_HEAD_MISTAKES))
def test_with_new_head_names_each_known_mistake(mistake):
    assert_fail(check.with_new_head(mistake.implementation), mistake.hint)


def head_with(**dense_settings):
    def with_new_head(base, class_count):
        base.trainable = False
        return keras.Sequential([base, layers.Dense(class_count, **dense_settings)])

    return with_new_head


def head_for_mnist_pictures(base, class_count):
    base.trainable = False
    inputs = keras.Input(shape=(28, 28, 1))
    return keras.Model(inputs, layers.Dense(class_count, activation="softmax")(base(inputs)))


def head_added_into_base(base, class_count):
    base.trainable = False
    base.add(layers.Dense(class_count, activation="softmax"))
    return base


def head_all_but_last_frozen(base, class_count):
    for layer in base.layers[:-1]:
        layer.trainable = False
    return keras.Sequential([base, layers.Dense(class_count, activation="softmax")])


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda base, k: None, "did you forget to `return` the model?"),
        (lambda base, k: [base, layers.Dense(k)], "you returned a list of layers"),
        (lambda base, k: keras.Sequential, "you returned Sequential itself"),
        (head_for_mnist_pictures, "keras.Input(shape=base.input_shape[1:])"),
        (head_added_into_base, RETURNED_BASE_HINT),
        (
            head_all_but_last_frozen,
            "the weights of the base's layer 'features' are still trainable",
        ),
        (head_all_but_last_frozen, FREEZE_HINT),
        (head_with(activation="softmax", use_bias=False), "your head has no bias"),
        (head_with(activation="sigmoid"), SOFTMAX_HINT),
        (lambda base, k: base, "you returned the base itself"),
        (lambda base, k: keras.Sequential([base]), "outputs the base's 24 features, with no head"),
        (lambda base, k: 1 / 0, "calling your function raised ZeroDivisionError"),
    ],
    ids=[
        "no-return",
        "list",
        "class",
        "mnist-input",
        "added-into-base",
        "last-layer-trainable",
        "last-layer-trainable-advice",
        "no-bias",
        "sigmoid",
        "base-itself",
        "no-head",
        "raises",
    ],
)
def test_with_new_head_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.with_new_head(answer), phrase)


def test_pretrained_bases_are_small_and_not_mnist_shaped():
    for functional in (False, True):
        base = pretrained_base(functional, seed=0)
        assert base.output_shape == (None, 24)
        assert base.input_shape[1:3] == (12, 10)
        assert base.count_params() <= 2_000
        norm = next(layer for layer in base.layers if isinstance(layer, layers.BatchNormalization))
        assert np.abs(norm.moving_mean.numpy()).max() > 0.05  # statistics a change would show
    assert isinstance(pretrained_base(True, 0), keras.Model)
    assert not isinstance(pretrained_base(True, 0), keras.Sequential)


# --- 9.4 unfreeze_top --------------------------------------------------------------------------


def unfreeze_solution(model, base, layer_count, learning_rate):
    base.trainable = True
    weighted = [
        layer
        for layer in base.layers
        if layer.weights and not isinstance(layer, layers.BatchNormalization)
    ]
    top = weighted[len(weighted) - layer_count :]
    for layer in base.layers:
        layer.trainable = layer in top
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )


def unfreeze_counting_backwards(model, base, layer_count, learning_rate):
    base.trainable = True
    left = layer_count
    for layer in reversed(base.layers):
        counts = isinstance(layer, (layers.Conv2D, layers.Dense))
        layer.trainable = counts and left > 0
        left -= counts
    model.compile(
        keras.optimizers.Adam(learning_rate=learning_rate),
        keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    return model


def unfreeze_freeze_all_first(model, base, layer_count, learning_rate):
    base.trainable = True
    for layer in base.layers:
        layer.trainable = False
    weighted = [
        layer
        for layer in base.layers
        if layer.count_params() > 0 and "normalization" not in type(layer).__name__.lower()
    ]
    if layer_count > 0:
        for layer in weighted[-layer_count:]:
            layer.trainable = True
    model.compile(keras.optimizers.Adam(learning_rate), metrics=["accuracy"])  # the loss stays
    return model


def unfreeze_without_unfreezing_the_base(model, base, layer_count, learning_rate):
    """Keras 3 trains every variable whose own layer is trainable, whatever base.trainable says."""
    for layer in reference_top_layers(base, layer_count):
        layer.trainable = True
    model.compile(
        keras.optimizers.Adam(learning_rate),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )


def unfreeze_compiling_first(model, base, layer_count, learning_rate):
    """Keras reads the trainable flags when fit prepares training, so compiling first works too."""
    model.compile(
        keras.optimizers.Adam(learning_rate),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    base.trainable = True
    for layer in base.layers:
        layer.trainable = layer in reference_top_layers(base, layer_count)


@pytest.mark.parametrize(
    "answer",
    [
        unfreeze_solution,
        unfreeze_counting_backwards,
        unfreeze_freeze_all_first,
        unfreeze_without_unfreezing_the_base,
        unfreeze_compiling_first,
    ],
    ids=["solution", "backwards", "freeze-all-first", "base-left-frozen", "compile-first"],
)
def test_unfreeze_top_passes_right_answers(answer):
    result = check.unfreeze_top(answer)
    assert_pass(result)
    assert result.message == UNFREEZE_PRAISE
    assert str(result).startswith("✅ Exercise 9.4: Correct: ")


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_unfreeze_top_not_done(answer):
    assert_not_done(check.unfreeze_top(answer))


@pytest.mark.parametrize("mistake", UNFREEZE_MISTAKES, ids=names(UNFREEZE_MISTAKES))
def test_unfreeze_top_names_each_known_mistake(mistake):
    assert_fail(check.unfreeze_top(mistake.implementation), mistake.hint)


def unfreeze_with(loss):
    def unfreeze_top(model, base, layer_count, learning_rate):
        unfreeze_solution(model, base, layer_count, learning_rate)
        model.compile(keras.optimizers.Adam(learning_rate), loss, metrics=["accuracy"])

    return unfreeze_top


def unfreeze_one_too_many(model, base, layer_count, learning_rate):
    unfreeze_solution(model, base, layer_count + 1, learning_rate)


def unfreeze_everything_in_the_model(model, base, layer_count, learning_rate):
    unfreeze_solution(model, base, layer_count, learning_rate)
    model.layers[-1].trainable = False


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (
            unfreeze_with("categorical_crossentropy"),
            "compiled with the loss categorical_crossentropy",
        ),
        (
            unfreeze_with(keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
            "from_logits=True",
        ),
        (unfreeze_with("mse"), 'use loss="sparse_categorical_crossentropy"'),
        (
            unfreeze_one_too_many,
            "the trainable layers of the base should be 'dense_1' and 'dense_2', but they are "
            "'conv_2', 'dense_1' and 'dense_2'",
        ),
        (unfreeze_one_too_many, WHICH_LAYERS),
        (unfreeze_everything_in_the_model, "the new head became frozen"),
        (lambda model, base, n, rate: [], "no layer of the base became trainable"),
        (
            lambda model, base, n, rate: 1 / 0,
            "for layer_count=2 and learning_rate=0.0003, calling your function raised ZeroDivisionError",
        ),
    ],
    ids=[
        "categorical",
        "logits",
        "mse",
        "one-too-many",
        "one-too-many-advice",
        "head-frozen",
        "does-nothing",
        "raises",
    ],
)
def test_unfreeze_top_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.unfreeze_top(answer), phrase)


def test_unfreeze_top_bn_hint_names_the_layers():
    unfreezes_norms = next(m for m in UNFREEZE_MISTAKES if m.name == "norms unfrozen")
    message = check.unfreeze_top(unfreezes_norms.implementation).message
    assert "'norm_1' and 'norm_2' became trainable" in message and NORM_HINT in message


def test_unfreeze_cases_cover_none_some_all_and_more_than_all():
    model, base, head = fine_tuning_model(seed=0)
    weighted = [layer.name for layer in reference_top_layers(base, 99)]
    assert weighted == ["conv_1", "conv_2", "dense_1", "dense_2"]
    counts = {layer_count for layer_count, *_ in UNFREEZE_CASES}
    assert {0, 1, len(weighted)} <= counts and max(counts) > len(weighted)
    assert {rate for _, rate, _ in UNFREEZE_CASES} == {3e-4, 1e-5}
    assert [layer_count for layer_count, _, fit in UNFREEZE_CASES if fit] == [2, 0]
    assert not base.trainable_weights and model.trainable_weights == head.trainable_weights


def test_fine_tuning_model_trains_only_its_head_as_given():
    """The starting point: the base frozen (BatchNormalization statistics too), the head training."""
    model, base, head = fine_tuning_model(seed=1)
    before = [variable.numpy().copy() for variable in base.weights]
    kernel = head.kernel.numpy().copy()
    rng = np.random.default_rng(0)
    model.fit(rng.random((8, 10, 9, 1)), rng.integers(0, 4, 8), verbose=0)
    assert all(np.array_equal(b, v.numpy()) for b, v in zip(before, base.weights))
    assert not np.array_equal(kernel, head.kernel.numpy())
