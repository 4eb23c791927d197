"""The self-checks of exercise set 11 (training past one CPU): a right answer passes, a stub is
"not done", and each typical wrong answer fails with the hint for its own mistake.

The typical mistakes of 11.1 and 11.3 are stated once, in the check module's tables; the tests
submit each entry as a student's answer. The wrong pipelines of 11.2 and the wrong builders of
11.4 are written out here, one per mistake. No MNIST is needed, and nothing is trained.
"""

from __future__ import annotations

import json
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import check
from helpers.check.distributed import (
    CHANGED_HINT,
    DATASET_PRAISE,
    DISTRIBUTED_PRAISE,
    DROP_REMAINDER_HINT,
    FIXED_SEED_HINT,
    NO_CACHE_HINT,
    NO_PREFETCH_HINT,
    NO_RESHUFFLE_HINT,
    NO_SEED_HINT,
    NOT_A_DATASET_HINT,
    NOT_COMPILED_HINT,
    NOT_SHUFFLED_HINT,
    OPTIMIZER_SCOPE_HINT,
    OTHER_STRATEGY_HINT,
    PAIRS_HINT,
    PREFETCH_LAST_HINT,
    REPEAT_HINT,
    SCALED_CASES,
    SCALED_MISTAKES,
    SCALED_PRAISE,
    SCOPE_HINT,
    SHUFFLE_AFTER_BATCH_HINT,
    SHUFFLE_BEFORE_CACHE_HINT,
    TF_CONFIG_MISTAKES,
    TF_CONFIG_PRAISE,
    make_dataset_cases,
    reference_scaled_settings,
    reference_tf_config,
    small_model_builder,
)
from tests.check_assertions import assert_fail, assert_not_done, assert_pass, stub

AUTOTUNE = tf.data.AUTOTUNE


def names(table):
    return [mistake.name for mistake in table]


# --- 11.1 scaled_settings ----------------------------------------------------------------------


def settings_solution(per_replica_batch, base_learning_rate, replicas):
    return per_replica_batch * replicas, base_learning_rate * replicas


def settings_as_list(per_replica_batch, base_learning_rate, replicas):
    return [int(np.int64(per_replica_batch) * replicas), np.float32(base_learning_rate) * replicas]


def settings_via_factor(per_replica_batch, base_learning_rate, replicas):
    factor = replicas
    global_batch = per_replica_batch * factor
    return global_batch, base_learning_rate * global_batch / per_replica_batch


@pytest.mark.parametrize(
    "answer",
    [settings_solution, settings_as_list, settings_via_factor, reference_scaled_settings],
    ids=["solution", "list-and-numpy", "via-batch-ratio", "reference"],
)
def test_scaled_settings_passes_right_answers(answer):
    result = check.scaled_settings(answer)
    assert_pass(result)
    assert result.message == SCALED_PRAISE
    assert str(result).startswith("✅ Exercise 11.1: Correct: ")


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_scaled_settings_not_done(answer):
    assert_not_done(check.scaled_settings(answer))


@pytest.mark.parametrize("mistake", SCALED_MISTAKES, ids=names(SCALED_MISTAKES))
def test_scaled_settings_names_each_known_mistake(mistake):
    assert_fail(check.scaled_settings(mistake.implementation), mistake.hint)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda b, rate, n: None, "returned None: `return global_batch, learning_rate`"),
        (lambda b, rate, n: b * n, "your function returned int 256; return two numbers"),
        (lambda b, rate, n: {"batch": b * n, "rate": rate * n}, "returned dict"),
        (lambda b, rate, n: (b * n / 1, rate * n), "the global batch is 256.0, a float"),
        (lambda b, rate, n: (b * n, f"{rate * n}"), "the learning rate is '0.008', a str"),
        (
            lambda b, rate, n: (b * n + 1, rate * n),
            "the global batch should be 256, but yours is 257.",
        ),
        (lambda b, rate, n: (b * n, rate * n * 10), "the learning rate should be 0.008"),
        (lambda b, rate, n: 1 / 0, "calling your function raised ZeroDivisionError"),
    ],
    ids=["none", "one-number", "dict", "float-batch", "text", "off-by-one", "ten-times", "raises"],
)
def test_scaled_settings_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.scaled_settings(answer), phrase)


def test_scaled_settings_cases_tell_the_mistakes_apart():
    cases = SCALED_CASES
    assert any(replicas == 1 for *_, replicas in cases)
    assert any(replicas not in (1, 2) for *_, replicas in cases)
    for mistake in SCALED_MISTAKES:
        outcomes = [
            mistake.implementation(*case) != reference_scaled_settings(*case) for case in cases
        ]
        assert any(outcomes), f"{mistake.name} passes every case"


# --- 11.2 make_dataset -------------------------------------------------------------------------


def dataset_solution(images, labels, batch_size, seed):
    return (
        tf.data.Dataset.from_tensor_slices((images, labels))
        .cache()
        .shuffle(len(images), seed=seed)
        .batch(batch_size)
        .prefetch(AUTOTUNE)
    )


def dataset_zipped(images, labels, batch_size, seed):
    pairs = tf.data.Dataset.zip(
        tf.data.Dataset.from_tensor_slices(images), tf.data.Dataset.from_tensor_slices(labels)
    )
    return pairs.cache().shuffle(buffer_size=len(labels), seed=seed).batch(batch_size).prefetch(2)


def dataset_with_big_buffer(images, labels, batch_size, seed):
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).cache()
    dataset = dataset.shuffle(100_000, seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size, drop_remainder=False).prefetch(buffer_size=AUTOTUNE)


def dataset_cast_to_float(images, labels, batch_size, seed):
    dataset = tf.data.Dataset.from_tensor_slices((images.astype("float32"), labels))
    return dataset.cache().shuffle(len(images), seed).batch(batch_size).prefetch(AUTOTUNE)


@pytest.mark.parametrize(
    "answer",
    [dataset_solution, dataset_zipped, dataset_with_big_buffer, dataset_cast_to_float],
    ids=["solution", "zipped", "big-buffer", "float-pictures"],
)
def test_make_dataset_passes_right_answers(answer):
    result = check.make_dataset(answer)
    assert_pass(result)
    assert result.message == DATASET_PRAISE
    assert str(result).startswith("✅ Exercise 11.2: Correct: ")


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_make_dataset_not_done(answer):
    assert_not_done(check.make_dataset(answer))


def pipeline(*steps):
    """A make_dataset that applies ``steps`` (functions of dataset, images, batch_size, seed) in turn."""

    def make_dataset(images, labels, batch_size, seed):
        dataset = tf.data.Dataset.from_tensor_slices((images, labels))
        for step in steps:
            dataset = step(dataset, images, batch_size, seed)
        return dataset

    return make_dataset


cache = lambda d, images, b, seed: d.cache()
shuffle = lambda d, images, b, seed: d.shuffle(len(images), seed=seed)
batch = lambda d, images, b, seed: d.batch(b)
prefetch = lambda d, images, b, seed: d.prefetch(AUTOTUNE)


def dataset_shuffled_apart(images, labels, batch_size, seed):
    pictures = tf.data.Dataset.from_tensor_slices(images).shuffle(len(images), seed=seed)
    answers = tf.data.Dataset.from_tensor_slices(labels).shuffle(len(images), seed=seed + 1)
    return tf.data.Dataset.zip(pictures, answers).cache().batch(batch_size).prefetch(AUTOTUNE)


@pytest.mark.parametrize(
    "answer, hint",
    [
        (pipeline(cache, batch, prefetch), NOT_SHUFFLED_HINT),
        (pipeline(shuffle, cache, batch, prefetch), SHUFFLE_BEFORE_CACHE_HINT),
        (pipeline(shuffle, batch, cache, prefetch), SHUFFLE_BEFORE_CACHE_HINT),
        (
            pipeline(
                cache,
                lambda d, images, b, seed: d.shuffle(
                    len(images), seed=seed, reshuffle_each_iteration=False
                ),
                batch,
                prefetch,
            ),
            NO_RESHUFFLE_HINT,
        ),
        (pipeline(cache, batch, shuffle, prefetch), SHUFFLE_AFTER_BATCH_HINT),
        (pipeline(cache, lambda d, images, b, seed: d.shuffle(len(images)), batch), NO_SEED_HINT),
        (
            pipeline(cache, lambda d, images, b, seed: d.shuffle(len(images), seed=42), batch),
            FIXED_SEED_HINT,
        ),
        (
            pipeline(cache, shuffle, lambda d, images, b, seed: d.batch(b, drop_remainder=True)),
            DROP_REMAINDER_HINT,
        ),
        (pipeline(shuffle, batch, prefetch), NO_CACHE_HINT),
        (pipeline(shuffle, batch, prefetch, cache), SHUFFLE_BEFORE_CACHE_HINT),
        (pipeline(cache, shuffle, batch), NO_PREFETCH_HINT),
        (pipeline(cache, shuffle, prefetch, batch), PREFETCH_LAST_HINT),
        (
            pipeline(
                cache,
                shuffle,
                lambda d, images, b, seed: d.map(lambda x, y: (tf.cast(x, "float32") / 255, y)),
                batch,
                prefetch,
            ),
            CHANGED_HINT,
        ),
        (pipeline(cache, shuffle, batch, prefetch, lambda d, *_: d.repeat()), REPEAT_HINT),
        (dataset_shuffled_apart, PAIRS_HINT),
        (
            lambda images, labels, b, seed: list(dataset_solution(images, labels, b, seed)),
            NOT_A_DATASET_HINT,
        ),
    ],
    ids=[
        "not-shuffled",
        "shuffle-before-cache",
        "cache-after-batch",
        "no-reshuffle",
        "shuffle-after-batch",
        "no-seed",
        "fixed-seed",
        "drop-remainder",
        "no-cache",
        "cache-last",
        "no-prefetch",
        "prefetch-before-batch",
        "scaled-pictures",
        "repeat",
        "shuffled-apart",
        "list-of-batches",
    ],
)
def test_make_dataset_names_each_mistake(answer, hint):
    assert_fail(check.make_dataset(answer), hint)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda images, labels, b, seed: None, "your function returned None"),
        (
            pipeline(cache, lambda d, images, b, seed: d.shuffle(1000, seed=seed), batch, prefetch),
            "shuffle's buffer holds 1,000 examples for a data set of 1,030",
        ),
        (
            pipeline(cache, lambda d, images, b, seed: d.shuffle(10, seed=seed), batch, prefetch),
            "for 50 pictures of 5×4 in batches of 8 (seed=11), shuffle's buffer holds 10",
        ),
        (pipeline(cache, shuffle, lambda d, images, b, seed: d.batch(4)), "with batch_size=8"),
        (pipeline(cache, shuffle, batch, batch), "did you call batch() twice?"),
        (
            lambda images, labels, b, seed: tf.data.Dataset.from_tensor_slices(images).batch(b),
            "not a pair (pictures, labels)",
        ),
        (
            pipeline(cache, shuffle, lambda d, images, b, seed: d.take(len(images) - 3).batch(b)),
            "one epoch brought 47 examples",
        ),
        (lambda images, labels, b, seed: 1 / 0, "calling your function raised ZeroDivisionError"),
    ],
    ids=[
        "none",
        "buffer-1000",
        "small-buffer",
        "fixed-batch",
        "batched-twice",
        "pictures-only",
        "some-missing",
        "raises",
    ],
)
def test_make_dataset_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.make_dataset(answer), phrase)


def test_make_dataset_cases_are_numbered_and_read_only():
    for images, labels, batch_size, _, _ in make_dataset_cases():
        assert images.shape[1:] != (28, 28) and len(images) % batch_size  # a smaller last batch
        numbers = images.reshape(len(images), -1)[:, 0]
        assert np.array_equal(numbers, np.arange(len(images)))
        assert not images.flags.writeable and not labels.flags.writeable
    assert any(len(images) > 1000 for images, *_ in make_dataset_cases())  # beats shuffle(1000)


# --- 11.3 tf_config ----------------------------------------------------------------------------


def config_solution(ports, index):
    return {
        "cluster": {"worker": [f"localhost:{port}" for port in ports]},
        "task": {"type": "worker", "index": index},
    }


def config_with_loopback_address(ports, index):
    workers = ["127.0.0.1:" + str(port) for port in ports]
    return dict(cluster=dict(worker=workers), task=dict(type="worker", index=int(index)))


def config_via_json(ports, index):
    text = json.dumps(config_solution(ports, index))
    return json.loads(text)


@pytest.mark.parametrize(
    "answer",
    [config_solution, config_with_loopback_address, config_via_json, reference_tf_config],
    ids=["solution", "loopback", "via-json", "reference"],
)
def test_tf_config_passes_right_answers(answer):
    result = check.tf_config(answer)
    assert_pass(result)
    assert result.message == TF_CONFIG_PRAISE
    assert str(result).startswith("✅ Exercise 11.3: Correct: ")


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_tf_config_not_done(answer):
    assert_not_done(check.tf_config(answer))


@pytest.mark.parametrize("mistake", TF_CONFIG_MISTAKES, ids=names(TF_CONFIG_MISTAKES))
def test_tf_config_names_each_known_mistake(mistake):
    assert_fail(check.tf_config(mistake.implementation), mistake.hint)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (lambda ports, i: None, "your function returned NoneType None"),
        (lambda ports, i: {"cluster": {}}, "your dict has no 'task'"),
        (
            lambda ports, i: {**config_solution(ports, i), "task": {"type": "worker"}},
            "'task' is {'type': 'worker'}",
        ),
        (
            lambda ports, i: {**config_solution(ports, i), "extra": np.int64(1)},
            "cannot be written as JSON",
        ),
        (
            lambda ports, i: config_solution(ports[::-1], i),
            "address 0 is 'localhost:12346', but it should be 'localhost:12345'",
        ),
        (lambda ports, i: config_solution(ports, 0), "the task's index is 0, but this is worker 1"),
        (
            lambda ports, i: config_solution([*ports, 9999], i),
            "it should be a list of 2 addresses",
        ),
        (
            lambda ports, i: {
                **config_solution(ports, i),
                "task": {"type": "ps", "index": i},
            },
            "the task's type is 'ps'",
        ),
        (lambda ports, i: 1 / 0, "calling your function raised ZeroDivisionError"),
    ],
    ids=[
        "none",
        "no-task",
        "no-index",
        "numpy-int",
        "reversed",
        "always-zero",
        "extra-worker",
        "parameter-server",
        "raises",
    ],
)
def test_tf_config_explains_other_wrong_answers(answer, phrase):
    assert_fail(check.tf_config(answer), phrase)


def test_tf_config_answer_is_what_tensorflow_reads(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", json.dumps(config_solution([12345, 12346], 1)))
    resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
    assert (resolver.task_type, resolver.task_id) == ("worker", 1)
    assert resolver.cluster_spec().as_dict() == {"worker": ["localhost:12345", "localhost:12346"]}


# --- 11.4 distributed_model --------------------------------------------------------------------


def compiled(model, learning_rate, **settings):
    optimizer = settings.pop("optimizer", None) or keras.optimizers.Adam(learning_rate)
    model.compile(
        optimizer=optimizer() if callable(optimizer) else optimizer,
        loss=settings.pop("loss", "sparse_categorical_crossentropy"),
        metrics=settings.pop("metrics", ["accuracy"]),
    )
    return model


def distributed_solution(strategy, build_model, per_replica_batch, base_learning_rate):
    replicas = strategy.num_replicas_in_sync
    with strategy.scope():
        model = compiled(build_model(), base_learning_rate * replicas)
    return model, per_replica_batch * replicas


def distributed_with_keywords(strategy, build_model, per_replica_batch, base_learning_rate):
    with strategy.scope():
        model = build_model()
        optimizer = keras.optimizers.Adam(
            learning_rate=base_learning_rate * strategy.num_replicas_in_sync
        )
        model.compile(
            optimizer=optimizer,
            loss=keras.losses.SparseCategoricalCrossentropy(),
            metrics=[keras.metrics.SparseCategoricalAccuracy()],
        )
    global_batch = per_replica_batch * strategy.num_replicas_in_sync
    return [model, global_batch]


@pytest.mark.parametrize(
    "answer",
    [distributed_solution, distributed_with_keywords],
    ids=["solution", "keywords-and-objects"],
)
def test_distributed_model_passes_right_answers(answer):
    result = check.distributed_model(answer)
    assert_pass(result)
    assert result.message == DISTRIBUTED_PRAISE
    assert str(result).startswith("✅ Exercise 11.4: Correct: ")


@pytest.mark.parametrize("answer", [stub, ...], ids=["stub", "ellipsis"])
def test_distributed_model_not_done(answer):
    assert_not_done(check.distributed_model(answer))


def built_outside(strategy, build_model, per_replica_batch, base_learning_rate):
    model = build_model()
    with strategy.scope():
        compiled(model, base_learning_rate * strategy.num_replicas_in_sync)
    return model, per_replica_batch * strategy.num_replicas_in_sync


def compiled_outside(strategy, build_model, per_replica_batch, base_learning_rate):
    with strategy.scope():
        model = build_model()
    compiled(model, base_learning_rate * strategy.num_replicas_in_sync)
    return model, per_replica_batch * strategy.num_replicas_in_sync


def optimizer_made_outside(strategy, build_model, per_replica_batch, base_learning_rate):
    optimizer = keras.optimizers.Adam(base_learning_rate * strategy.num_replicas_in_sync)
    with strategy.scope():
        model = compiled(build_model(), None, optimizer=optimizer)
    return model, per_replica_batch * strategy.num_replicas_in_sync


def without_any_scope(strategy, build_model, per_replica_batch, base_learning_rate):
    model = compiled(build_model(), base_learning_rate * strategy.num_replicas_in_sync)
    return model, per_replica_batch * strategy.num_replicas_in_sync


def in_a_new_strategy(strategy, build_model, per_replica_batch, base_learning_rate):
    return distributed_solution(
        tf.distribute.MirroredStrategy(["/cpu:0"]),
        build_model,
        per_replica_batch,
        base_learning_rate,
    )


def scaled_by(rate_factor, batch_factor):
    def distributed_model(strategy, build_model, per_replica_batch, base_learning_rate):
        with strategy.scope():
            model = compiled(build_model(), base_learning_rate * rate_factor(strategy))
        return model, per_replica_batch * batch_factor(strategy)

    return distributed_model


replicas_of = lambda strategy: strategy.num_replicas_in_sync


def with_settings(**settings):
    def distributed_model(strategy, build_model, per_replica_batch, base_learning_rate):
        with strategy.scope():
            rate = base_learning_rate * strategy.num_replicas_in_sync
            model = compiled(build_model(), rate, **settings)
        return model, per_replica_batch * strategy.num_replicas_in_sync

    return distributed_model


def own_model(strategy, build_model, per_replica_batch, base_learning_rate):
    with strategy.scope():
        model = keras.Sequential(
            [keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10)]
        )
        compiled(model, base_learning_rate * strategy.num_replicas_in_sync)
    return model, per_replica_batch * strategy.num_replicas_in_sync


def built_twice(strategy, build_model, per_replica_batch, base_learning_rate):
    build_model()
    return distributed_solution(strategy, build_model, per_replica_batch, base_learning_rate)


def not_compiled(strategy, build_model, per_replica_batch, base_learning_rate):
    with strategy.scope():
        model = build_model()
    return model, per_replica_batch * strategy.num_replicas_in_sync


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (built_outside, SCOPE_HINT),
        (without_any_scope, SCOPE_HINT),
        (compiled_outside, OPTIMIZER_SCOPE_HINT),
        (optimizer_made_outside, OPTIMIZER_SCOPE_HINT),
        (in_a_new_strategy, OTHER_STRATEGY_HINT),
        (not_compiled, NOT_COMPILED_HINT),
        (scaled_by(lambda s: 1, replicas_of), "base_learning_rate unscaled"),
        (scaled_by(lambda s: 2, replicas_of), "twice the base whatever the strategy"),
        (scaled_by(replicas_of, lambda s: 1), "the per-replica batch: multiply it by"),
        (scaled_by(replicas_of, lambda s: 2), "twice the batch whatever the strategy"),
        (
            scaled_by(replicas_of, lambda s: 1 / s.num_replicas_in_sync),
            "the global batch is 64.0, a float",
        ),
        (with_settings(optimizer="adam"), 'the default of "adam" and Adam()'),
        (
            with_settings(optimizer=lambda: keras.optimizers.SGD(1e-3)),
            "compiled with SGD, not Adam",
        ),
        (with_settings(loss="mse"), "compiled with the loss mean_squared_error"),
        (with_settings(metrics=[]), 'metrics=["accuracy"]'),
        (own_model, "build it with build_model(), the function you were given"),
        (built_twice, "called build_model() 2 times"),
        (lambda s, build, b, rate: distributed_solution(s, build, b, rate)[0], "only the model"),
        (lambda s, build, b, rate: distributed_solution(s, build, b, rate)[::-1], "model first"),
        (lambda s, build, b, rate: None, "returned None"),
        (lambda s, build, b, rate: 1 / 0, "calling your function raised ZeroDivisionError"),
    ],
    ids=[
        "built-outside",
        "no-scope",
        "compiled-outside",
        "optimizer-outside",
        "new-strategy",
        "not-compiled",
        "rate-unscaled",
        "rate-times-two",
        "batch-unscaled",
        "batch-times-two",
        "batch-divided",
        "adam-string",
        "sgd",
        "mse",
        "no-metrics",
        "own-model",
        "built-twice",
        "model-only",
        "swapped",
        "none",
        "raises",
    ],
)
def test_distributed_model_names_each_mistake(answer, phrase):
    assert_fail(check.distributed_model(answer), phrase)


def test_distributed_model_uses_one_and_two_replicas():
    from helpers.check.distributed import DISTRIBUTED_CASES, _strategies

    strategies = _strategies()
    assert [s.num_replicas_in_sync for s in strategies] == [1, 2]
    assert {which for which, *_ in DISTRIBUTED_CASES} == {0, 1}
    build_model = small_model_builder(seed=0)
    assert build_model().input_shape == (None, 6, 5) and build_model.calls == 1
    on_two = [rate for which, _, rate in DISTRIBUTED_CASES if which == 1]
    assert not any(math.isclose(rate * 2, 1e-3) or math.isclose(rate, 1e-3) for rate in on_two)
