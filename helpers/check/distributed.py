"""Self-checks for exercise set 11, training past one CPU (exercises 11.1 to 11.4).

Each check states the wrong answers students typically write ONCE, as a table of ``Mistake``s
and hints. 11.1 and 11.3 give the hint of the entry that reproduces the student's answer on the
same inputs, and otherwise say what differs without guessing a cause. 11.2 runs the student's
pipeline on fresh data (numbered pictures of odd sizes, data sets of 50 to 1,030 examples) and
reads what comes out, epoch after epoch; where the output cannot say why (a missing ``cache``,
a shuffle in the wrong place) it reads the pipeline's steps. 11.4 gives the student's function
real ``MirroredStrategy`` objects of one and two replicas and a small model builder, and looks at
where the variables of the model and of its optimizer were made; it never trains, since a model
half inside a strategy can hang in ``fit``.

>>> check.scaled_settings(scaled_settings)  # doctest: +SKIP
✅ Exercise 11.1: Correct: ...
"""

from __future__ import annotations

import json
import math
import re

import numpy as np

from ..check_results import CheckResult
from .errors import describe_error
from .framework import Hint, call, run_check
from .mistakes import Mistake, matching_mistake
from .models import expect_a_model
from .transfer import _expect_sparse_loss

# --- 11.1 --------------------------------------------------------------------------------------


def reference_scaled_settings(per_replica_batch: int, base_learning_rate: float, replicas: int):
    """The right answer: the global batch and the learning rate, both times ``replicas``.

    >>> reference_scaled_settings(128, 4e-3, 2)
    (256, 0.008)
    """
    return per_replica_batch * replicas, base_learning_rate * replicas


SCALED_CASES = ((128, 4e-3, 2), (64, 1e-3, 8), (100, 3e-4, 3), (32, 0.1, 1), (256, 2e-3, 4))

LINEAR_RULE = (
    "the linear scaling rule multiplies the learning rate by the number of replicas, "
    "learning_rate = base_learning_rate * replicas"
)
SCALED_MISTAKES: list[Mistake] = [
    Mistake(
        "learning rate not scaled",
        lambda b, rate, n: (b * n, rate),
        "your learning rate stays at base_learning_rate. Each step now averages over `replicas` "
        f"times as many images, and an epoch has that many times fewer steps: {LINEAR_RULE}.",
    ),
    Mistake(
        "batch not scaled",
        lambda b, rate, n: (b, rate * n),
        "your global batch is the per-replica batch. Every replica takes its own per_replica_batch "
        "images each step, so the global batch is per_replica_batch * replicas.",
    ),
    Mistake(
        "batch divided",
        lambda b, rate, n: (b // n, rate * n),
        "you divided the batch by the replicas: per_replica_batch is what ONE replica gets, and "
        "the global batch is all of them together, per_replica_batch * replicas.",
    ),
    Mistake(
        "learning rate divided",
        lambda b, rate, n: (b * n, rate / n),
        "you divided the learning rate by the replicas: a larger global batch gives more reliable "
        f"steps, which may go further, not less far: {LINEAR_RULE}.",
    ),
    Mistake(
        "square root",
        lambda b, rate, n: (b * n, rate * math.sqrt(n)),
        "you scaled the learning rate by the square root of the replicas. Some people use that "
        f"rule for Adam, but this exercise asks for the linear one: {LINEAR_RULE}.",
    ),
    Mistake(
        "two replicas",
        lambda b, rate, n: (b * 2, rate * 2),
        "you multiplied by 2 whatever `replicas` is: use the argument, so that the same code works "
        "for 1, 2 or 8 replicas.",
    ),
    Mistake(
        "swapped",
        lambda b, rate, n: (rate * n, b * n),
        "the two numbers are right but in the wrong order: return (global_batch, learning_rate).",
    ),
]
SCALED_PRAISE = (
    "Correct: the global batch is the per-replica batch times the replicas, and the learning rate "
    "grows with it (the linear scaling rule). Add a warm-up, and check the accuracy whenever you "
    "scale."
)


def scaled_settings(function) -> CheckResult:
    """Exercise 11.1: ``scaled_settings(per_replica_batch, base_learning_rate, replicas)`` returns ``(global_batch, learning_rate)``, both times ``replicas``.

    >>> scaled_settings(lambda b, rate, n: (b * n, rate * n)).status
    'pass'
    """

    def test(function):
        for per_replica_batch, base_learning_rate, replicas in SCALED_CASES:
            case = (
                f"for per_replica_batch={per_replica_batch}, base_learning_rate="
                f"{base_learning_rate:g} and replicas={replicas}"
            )
            answer = call(function, per_replica_batch, base_learning_rate, replicas)
            _compare_settings(answer, per_replica_batch, base_learning_rate, replicas, case)
        return SCALED_PRAISE

    return run_check("11.1", function, test)


def _same_settings(answer, wrong) -> bool:
    try:
        return (
            len(answer) == 2
            and math.isclose(float(answer[0]), float(wrong[0]), rel_tol=1e-6)
            and math.isclose(float(answer[1]), float(wrong[1]), rel_tol=1e-6)
        )
    except (TypeError, ValueError):
        return False


def _compare_settings(answer, per_replica_batch, base_learning_rate, replicas, case) -> None:
    if answer is None:
        raise Hint(f"{case}, your function returned None: `return global_batch, learning_rate`.")
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise Hint(
            f"{case}, your function returned {type(answer).__name__} {answer!r}; return two "
            "numbers, `return global_batch, learning_rate`."
        )
    expected = reference_scaled_settings(per_replica_batch, base_learning_rate, replicas)
    numbers = []
    for value, name in zip(answer, ("the global batch", "the learning rate")):
        if isinstance(value, (str, bytes)) or not isinstance(value, (int, float, np.number)):
            raise Hint(
                f"{case}, {name} is {value!r}, a {type(value).__name__}: it should be a number."
            )
        numbers.append(float(value))
    if _same_settings(numbers, expected):
        if not isinstance(answer[0], (int, np.integer)):
            raise Hint(
                f"{case}, the global batch is {answer[0]!r}, a {type(answer[0]).__name__}: a batch "
                "is a count of images, so make it a whole number (per_replica_batch * replicas "
                "is one already; `/` would make a float)."
            )
        return
    inputs = (per_replica_batch, base_learning_rate, replicas)
    mistake = matching_mistake(numbers, SCALED_MISTAKES, inputs, _same_settings)
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    wrong = [
        f"{name} should be {right:g}, but yours is {got:g}"
        for name, right, got in zip(("the global batch", "the learning rate"), expected, numbers)
        if not math.isclose(right, got, rel_tol=1e-6)
    ]
    raise Hint(f"{case}, {' and '.join(wrong)}.")


# --- 11.2 --------------------------------------------------------------------------------------

DATASET_PRAISE = (
    "Correct: every example once per epoch with its own label, in a new order every epoch that "
    "the seed repeats, in full batches and one smaller last batch, cached before the shuffle and "
    "prefetched after the batch."
)
NOT_A_DATASET_HINT = (
    "return the tf.data.Dataset itself, the result of the chain tf.data.Dataset."
    "from_tensor_slices((images, labels)).cache().shuffle(...).batch(...).prefetch(...)."
)
REPEAT_HINT = (
    "your dataset never ends (did you add .repeat()?): Keras's fit takes one pass over a finite "
    "dataset as an epoch. Leave repeat() out."
)
CHANGED_HINT = (
    "the pipeline changed the pictures: it should hand them over as they are (the model's "
    "Rescaling layer scales them), so no map() that divides or converts them."
)
PAIRS_HINT = (
    "some pictures arrive with another picture's label: build ONE dataset from the pair, "
    "tf.data.Dataset.from_tensor_slices((images, labels)), so that they are shuffled together."
)
DROP_REMAINDER_HINT = (
    "the last, smaller batch is missing, so some examples never come: leave out "
    "drop_remainder=True, batch(batch_size)."
)
NOT_SHUFFLED_HINT = (
    "the examples come in their original order: add .shuffle(len(images), seed=seed) between "
    "cache() and batch()."
)
SHUFFLE_AFTER_BATCH_HINT = (
    "you shuffled after batching, which reorders whole batches: the same examples always travel "
    "together in one batch. Shuffle the examples first, .shuffle(...) before .batch(batch_size)."
)
SMALL_BUFFER_HINT = (
    "shuffle's buffer holds {buffer:,} examples for a data set of {size:,}: only examples among "
    "the first {buffer:,} can come first, so the order is not fully random. Use "
    "shuffle(len(images), seed=seed)."
)
SHUFFLE_BEFORE_CACHE_HINT = (
    "every epoch comes in the same order: the cache comes after the shuffle, so it keeps the "
    "first epoch's order for all the others. Cache first, then shuffle: .cache().shuffle(...)."
)
NO_RESHUFFLE_HINT = (
    "every epoch comes in the same order: you turned reshuffle_each_iteration off. Leave it at "
    "its default (True), so that each epoch gets a new order."
)
SAME_ORDER_HINT = (
    "every epoch comes in the same order; the shuffle must come after the cache, "
    "with its default reshuffle_each_iteration=True."
)
NO_SEED_HINT = (
    "two datasets made with the same seed come in different orders: pass the seed to the "
    "shuffle, .shuffle(len(images), seed=seed), so that a run can be repeated."
)
FIXED_SEED_HINT = (
    "datasets made with different seeds come in the same order: use the `seed` argument, "
    ".shuffle(len(images), seed=seed), not a number of your own."
)
NO_CACHE_HINT = (
    "your pipeline has no cache(): put .cache() right after from_tensor_slices, so that whatever "
    "comes before it runs in the first epoch only."
)
BATCHED_TWICE_HINT = (
    " Batches of different sizes cannot be batched again: did you call batch() twice? "
    "Batch once, .batch(batch_size)."
)
NO_PREFETCH_HINT = (
    "your pipeline does not prefetch: end it with .prefetch(tf.data.AUTOTUNE), so that the next "
    "batch is prepared while the model trains on this one."
)
PREFETCH_LAST_HINT = (
    "prefetch(tf.data.AUTOTUNE) should be the LAST step, after batch(): then it prepares whole "
    "batches ahead, which is what the model waits for."
)

DatasetCase = tuple  # (images, labels, batch_size, seed, case)


def make_dataset_cases() -> list[DatasetCase]:
    """The (images, labels, batch_size, seed, case) 11.2 tries: numbered pictures of odd sizes.

    Picture i holds the number i in its first pixel (so the check can tell which example came);
    its label is i % 7.

    >>> [(images.shape, batch) for images, _, batch, _, _ in make_dataset_cases()]
    [((50, 5, 4), 8), ((37, 3, 3, 1), 10), ((1030, 2, 3), 64)]
    """
    cases = []
    for size, shape, batch_size, dtype, seed in (
        (50, (5, 4), 8, np.uint16, 11),
        (37, (3, 3, 1), 10, np.float32, 3),
        (1030, (2, 3), 64, np.int32, 7),
    ):
        images = np.zeros((size, *shape), dtype)
        images.reshape(size, -1)[:, 0] = np.arange(size)
        images.reshape(size, -1)[:, -1] = 1
        labels = (np.arange(size) % 7).astype(np.int64)
        for array in (images, labels):
            array.setflags(write=False)
        shown = "×".join(map(str, shape))
        case = f"for {size} pictures of {shown} in batches of {batch_size} (seed={seed})"
        cases.append((images, labels, batch_size, seed, case))
    return cases


def _steps(dataset) -> list[str]:
    """The pipeline's steps from its source to its end: ['tensorslice', 'cache', 'shuffle', ...]."""
    steps = []
    while dataset is not None:
        name = type(dataset).__name__.strip("_")
        steps.append(re.sub(r"dataset$", "", name.lower()) or name.lower())
        dataset = getattr(dataset, "_input_dataset", None)
    return steps[::-1]


def _step(dataset, kind: str):
    """The first step of ``kind`` (e.g. 'shuffle') from the end of the pipeline, or None."""
    while dataset is not None:
        if kind in type(dataset).__name__.lower():
            return dataset
        dataset = getattr(dataset, "_input_dataset", None)
    return None


def _value(tensor) -> int | None:
    try:
        return int(np.asarray(tensor))
    except (TypeError, ValueError):
        return None


def _one_epoch(dataset, size: int, case: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """The batches of one pass over ``dataset`` as NumPy arrays (a hint if it looks endless)."""
    batches = []
    try:
        for element in dataset.take(size + 2):
            if not isinstance(element, (tuple, list)) or len(element) != 2:
                raise Hint(
                    f"{case}, each element of your dataset is {type(element).__name__}, not a pair "
                    "(pictures, labels): build it from the pair, "
                    "from_tensor_slices((images, labels))."
                )
            batches.append(tuple(np.asarray(part) for part in element))
    except Hint:
        raise
    except Exception as error:  # the pipeline failed while tf.data ran it
        advice = BATCHED_TWICE_HINT if "Cannot batch tensors" in str(error) else ""
        raise Hint(
            f"{case}, reading one epoch of your dataset raised {describe_error(error)}{advice}"
        ) from None
    if len(batches) > size:
        raise Hint(f"{case}, {REPEAT_HINT}")
    return batches


def _numbers(pictures: np.ndarray) -> np.ndarray:
    """Which examples a batch of numbered pictures holds."""
    return pictures.reshape(len(pictures), -1)[:, 0].astype(np.int64)


def make_dataset(function) -> CheckResult:
    """Exercise 11.2: ``make_dataset(images, labels, batch_size, seed)`` returns the pipeline from_tensor_slices → cache → shuffle(len(images), seed) → batch → prefetch(AUTOTUNE).

    >>> check.make_dataset(make_dataset)  # doctest: +SKIP
    ✅ Exercise 11.2: Correct: ...
    """

    def test(function):
        for images, labels, batch_size, seed, case in make_dataset_cases():
            dataset = _dataset_from(function, images, labels, batch_size, seed, case)
            epochs = [_one_epoch(dataset, len(images), case) for _ in range(2)]
            for batches in epochs:
                _expect_every_example(batches, images, labels, batch_size, case)
            orders = [np.concatenate([_numbers(p) for p, _ in batches]) for batches in epochs]
            _expect_shuffled(dataset, epochs[0], orders, images, batch_size, case)
            _expect_seeded(function, images, labels, batch_size, seed, orders[0], case)
            _expect_steps(dataset, case)
        return DATASET_PRAISE

    return run_check("11.2", function, test)


def _dataset_from(function, images, labels, batch_size, seed, case):
    import tensorflow as tf

    dataset = call(function, images.copy(), labels.copy(), batch_size, seed)
    if not isinstance(dataset, tf.data.Dataset):
        got = "None" if dataset is None else f"a {type(dataset).__name__}"
        raise Hint(f"{case}, your function returned {got}: {NOT_A_DATASET_HINT}")
    if _value(dataset.cardinality()) == -1:  # tf.data.INFINITE_CARDINALITY
        raise Hint(f"{case}, {REPEAT_HINT}")
    return dataset


def _expect_every_example(batches, images, labels, batch_size: int, case: str) -> None:
    sizes = [len(pictures) for pictures, _ in batches]
    for pictures, batch_labels in batches:
        if pictures.shape[1:] != images.shape[1:]:
            raise Hint(
                f"{case}, a batch of pictures has shape {pictures.shape}; it should be "
                f"(batch, {', '.join(map(str, images.shape[1:]))}): batch the examples, "
                ".batch(batch_size), once."
            )
        if batch_labels.shape != (len(pictures),):
            raise Hint(
                f"{case}, a batch of {len(pictures)} pictures comes with labels of shape "
                f"{batch_labels.shape}: one label per picture, from_tensor_slices((images, labels))."
            )
    numbers = np.concatenate([_numbers(pictures) for pictures, _ in batches])
    everything = np.concatenate([pictures for pictures, _ in batches])
    known = (numbers >= 0) & (numbers < len(images))
    if not known.all() or not np.array_equal(everything, images[np.where(known, numbers, 0)]):
        raise Hint(f"{case}, {CHANGED_HINT}")
    full, remainder = divmod(len(images), batch_size)
    if sorted(numbers.tolist()) != list(range(len(images))):
        if len(numbers) == full * batch_size and len(set(numbers.tolist())) == len(numbers):
            raise Hint(f"{case}, {DROP_REMAINDER_HINT}")
        raise Hint(
            f"{case}, one epoch brought {len(numbers)} examples ({len(set(numbers.tolist()))} "
            f"different ones), but it should bring each of the {len(images)} exactly once."
        )
    expected_sizes = [batch_size] * full + ([remainder] if remainder else [])
    if sizes != expected_sizes and sorted(sizes) == sorted(expected_sizes):
        raise Hint(f"{case}, {SHUFFLE_AFTER_BATCH_HINT}")  # the smaller last batch moved
    if sizes != expected_sizes:
        raise Hint(
            f"{case}, your batches hold {_sizes(sizes)} examples; with batch_size={batch_size} "
            f"they should hold {_sizes(expected_sizes)}: .batch(batch_size), once, after the shuffle."
        )
    paired = np.concatenate([batch_labels for _, batch_labels in batches])
    if not np.array_equal(paired, labels[numbers]):
        raise Hint(f"{case}, {PAIRS_HINT}")


def _sizes(sizes: list[int]) -> str:
    shown = sorted(set(sizes), key=sizes.index)
    return " then ".join(
        f"{size}" if sizes.count(size) == 1 else f"{size} (x{sizes.count(size)})" for size in shown
    )


def _expect_shuffled(dataset, batches, orders, images, batch_size: int, case: str) -> None:
    if np.array_equal(orders[0], np.arange(len(images))):
        raise Hint(f"{case}, {NOT_SHUFFLED_HINT}")
    if all(
        np.array_equal(np.sort(_numbers(p)), np.arange(_numbers(p).min(), _numbers(p).max() + 1))
        and _numbers(p).min() % batch_size == 0
        for p, _ in batches
    ):
        raise Hint(f"{case}, {SHUFFLE_AFTER_BATCH_HINT}")
    shuffle = _step(dataset, "shuffle")
    buffer = _value(getattr(shuffle, "_buffer_size", None)) if shuffle is not None else None
    if buffer is not None and 0 < buffer < len(images):
        raise Hint(f"{case}, {SMALL_BUFFER_HINT.format(buffer=buffer, size=len(images))}")
    if np.array_equal(orders[0], orders[1]):
        steps = _steps(dataset)
        if (
            "cache" in steps
            and "shuffle" in steps
            and steps.index("cache") > steps.index("shuffle")
        ):
            raise Hint(f"{case}, {SHUFFLE_BEFORE_CACHE_HINT}")
        if shuffle is not None and getattr(shuffle, "_reshuffle_each_iteration", True) is False:
            raise Hint(f"{case}, {NO_RESHUFFLE_HINT}")
        raise Hint(f"{case}, {SAME_ORDER_HINT}")


def _first_order(function, images, labels, batch_size: int, seed: int, case: str) -> np.ndarray:
    dataset = _dataset_from(function, images, labels, batch_size, seed, case)
    return np.concatenate([_numbers(p) for p, _ in _one_epoch(dataset, len(images), case)])


def _expect_seeded(function, images, labels, batch_size, seed, order, case) -> None:
    if not np.array_equal(_first_order(function, images, labels, batch_size, seed, case), order):
        raise Hint(f"{case}, {NO_SEED_HINT}")
    others = [
        _first_order(function, images, labels, batch_size, other, case)
        for other in (seed + 1, seed + 2)
    ]
    if all(np.array_equal(other, order) for other in others):
        raise Hint(f"{case}, {FIXED_SEED_HINT}")


def _expect_steps(dataset, case: str) -> None:
    steps = _steps(dataset)
    if "cache" not in steps:
        raise Hint(f"{case}, {NO_CACHE_HINT}")
    batch = max(i for i, step in enumerate(steps) if "batch" in step)
    if "prefetch" not in steps:
        raise Hint(f"{case}, {NO_PREFETCH_HINT}")
    if max(i for i, step in enumerate(steps) if step == "prefetch") < batch:
        raise Hint(f"{case}, {PREFETCH_LAST_HINT}")


# --- 11.3 --------------------------------------------------------------------------------------


def reference_tf_config(ports: list[int], index: int) -> dict:
    """The right answer: every worker's address in the cluster, and this worker's task.

    >>> reference_tf_config([12345, 12346], 1)["task"]
    {'type': 'worker', 'index': 1}
    """
    return {
        "cluster": {"worker": [f"localhost:{port}" for port in ports]},
        "task": {"type": "worker", "index": index},
    }


TF_CONFIG_CASES = (
    ([12345, 12346], 0),
    ([12345, 12346], 1),
    ([20001, 20002, 20003], 2),
    ([4000], 0),
)
HOSTS = ("localhost", "127.0.0.1")
ADDRESS_HINT = (
    "each address in the cluster is text 'host:port', here f\"localhost:{port}\" for every port"
)
TF_CONFIG_MISTAKES: list[Mistake] = [
    Mistake(
        "json text",
        lambda ports, i: json.dumps(reference_tf_config(ports, i)),
        "you returned the JSON text: return the dict itself. The text is for the environment "
        "variable, os.environ['TF_CONFIG'] = json.dumps(tf_config(ports, index)).",
    ),
    Mistake(
        "bare ports",
        lambda ports, i: {
            "cluster": {"worker": list(ports)},
            "task": {"type": "worker", "index": i},
        },
        f"your cluster lists bare port numbers: {ADDRESS_HINT}.",
    ),
    Mistake(
        "own address only",
        lambda ports, i: {
            "cluster": {"worker": [f"localhost:{ports[i]}"]},
            "task": {"type": "worker", "index": i},
        },
        "your cluster lists only this worker's own address: the cluster lists EVERY worker, in "
        "the same order on all of them; only the task differs from worker to worker.",
    ),
    Mistake(
        "counted from 1",
        lambda ports, i: _with_task(ports, "worker", i + 1),
        "your task index counts from 1: worker indices count from 0, like Python lists, so "
        "worker `index` is at position `index` of the cluster's list (and worker 0 is the chief).",
    ),
    Mistake(
        "index as text",
        lambda ports, i: _with_task(ports, "worker", str(i)),
        "your task index is text: make it the number itself, 'index': index.",
    ),
    Mistake(
        "chief type",
        lambda ports, i: _with_task(ports, "chief" if i == 0 else "worker", i),
        "your task type for worker 0 is 'chief', but the cluster has no 'chief' job: every task "
        "here is a 'worker', and worker 0 is the chief because of its index.",
    ),
    Mistake(
        "plural job",
        lambda ports, i: {
            "cluster": {"workers": [f"localhost:{port}" for port in ports]},
            "task": {"type": "worker", "index": i},
        },
        "the job's name in the cluster is 'worker', singular, the same word as the task's "
        "'type': {'worker': [...]}.",
    ),
    Mistake(
        "task as a list",
        lambda ports, i: {
            "cluster": {"worker": [f"localhost:{port}" for port in ports]},
            "task": ["worker", i],
        },
        "the task is a dict with two keys, {'type': 'worker', 'index': index}.",
    ),
]
TF_CONFIG_PRAISE = (
    "Correct: the same cluster for every worker, with every address as 'localhost:port', and "
    "this worker's own task. json.dumps it into os.environ['TF_CONFIG'] before the strategy is "
    "made, and TensorFlow knows where every worker is and which one it is."
)


def _with_task(ports, task_type, index) -> dict:
    return {
        "cluster": {"worker": [f"localhost:{port}" for port in ports]},
        "task": {"type": task_type, "index": index},
    }


def tf_config(function) -> CheckResult:
    """Exercise 11.3: ``tf_config(ports, index)`` returns the TF_CONFIG dict of worker ``index`` in a localhost cluster with these ports.

    >>> tf_config(reference_tf_config).status
    'pass'
    """

    def test(function):
        for ports, index in TF_CONFIG_CASES:
            case = f"for ports={ports} and index={index}"
            answer = call(function, list(ports), index)
            _compare_tf_config(answer, ports, index, case)
        return TF_CONFIG_PRAISE

    return run_check("11.3", function, test)


def _normalized(config):
    """The config with 127.0.0.1 written as localhost (both are this machine), or None."""
    try:
        config = json.loads(json.dumps(config))
    except (TypeError, ValueError):
        return None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    if isinstance(cluster, dict) and isinstance(cluster.get("worker"), list):
        cluster["worker"] = [
            re.sub(r"^127\.0\.0\.1:", "localhost:", address)
            if isinstance(address, str)
            else address
            for address in cluster["worker"]
        ]
    return config


def _same_config(answer, wrong) -> bool:
    if isinstance(answer, str) or isinstance(wrong, str):
        return answer == wrong
    normalized = _normalized(answer)
    return normalized is not None and normalized == _normalized(wrong)


def _compare_tf_config(answer, ports, index: int, case: str) -> None:
    expected = reference_tf_config(ports, index)
    if _same_config(answer, expected):
        return
    mistake = matching_mistake(answer, TF_CONFIG_MISTAKES, (list(ports), index), _same_config)
    if mistake is not None:
        raise Hint(f"{case}, {mistake.hint}")
    if not isinstance(answer, dict):
        raise Hint(
            f"{case}, your function returned {type(answer).__name__} {answer!r}; return a dict "
            "with two keys, 'cluster' and 'task'."
        )
    try:
        json.dumps(answer)
    except (TypeError, ValueError) as error:
        raise Hint(
            f"{case}, your dict cannot be written as JSON ({describe_error(error)}): use only "
            "dicts, lists, text and plain numbers."
        ) from None
    missing = [key for key in ("cluster", "task") if key not in answer]
    if missing:
        raise Hint(
            f"{case}, your dict has no {' and no '.join(repr(key) for key in missing)}: TF_CONFIG "
            "has two parts, 'cluster' (every worker's address) and 'task' (this worker's place)."
        )
    cluster = answer["cluster"]
    if not isinstance(cluster, dict) or list(cluster) != ["worker"]:
        raise Hint(
            f"{case}, 'cluster' is {cluster!r}; it should be a dict with one job, "
            f"{{'worker': [...]}}, listing every worker's address."
        )
    addresses = cluster["worker"]
    if not isinstance(addresses, list) or len(addresses) != len(ports):
        raise Hint(
            f"{case}, the cluster's 'worker' list is {addresses!r}; it should be a list of "
            f"{len(ports)} addresses, one per port, in the order of `ports`."
        )
    for position, (address, port) in enumerate(zip(addresses, ports)):
        if not isinstance(address, str) or address not in {f"{host}:{port}" for host in HOSTS}:
            raise Hint(
                f"{case}, address {position} is {address!r}, but it should be "
                f"'localhost:{port}': {ADDRESS_HINT}."
            )
    task = answer["task"]
    if not isinstance(task, dict) or set(task) != {"type", "index"}:
        raise Hint(
            f"{case}, 'task' is {task!r}; it should be {{'type': 'worker', 'index': {index}}}."
        )
    if task["type"] != "worker":
        raise Hint(f"{case}, the task's type is {task['type']!r}: every task here is a 'worker'.")
    raise Hint(
        f"{case}, the task's index is {task['index']!r}, but this is worker {index}: "
        "'index': index, the argument."
    )


# --- 11.4 --------------------------------------------------------------------------------------

SCOPE_HINT = (
    "build the model INSIDE the strategy's scope, `with strategy.scope(): model = build_model()`: "
    "variables made outside it live on one device only, and fit then fails or hangs."
)
OPTIMIZER_SCOPE_HINT = (
    "make the optimizer and compile inside the scope too: `with strategy.scope():` around "
    "build_model(), keras.optimizers.Adam(...) and model.compile(...). A Keras optimizer "
    "belongs to the strategy it was made in, and has variables of its own."
)
OTHER_STRATEGY_HINT = (
    "the model's variables belong to another strategy than the one you were given: use "
    "`strategy`, the argument, `with strategy.scope():`, rather than making a new one."
)
REPLICAS_HINT = "strategy.num_replicas_in_sync"
NOT_COMPILED_HINT = (
    "the model is not compiled: model.compile(optimizer=keras.optimizers.Adam(learning_rate), "
    'loss="sparse_categorical_crossentropy", metrics=["accuracy"]), inside the scope.'
)
DISTRIBUTED_PRAISE = (
    "Correct: the model and its optimizer are made inside the strategy's scope, so every variable "
    "is mirrored on every replica; the global batch and Adam's learning rate grow with "
    "strategy.num_replicas_in_sync. fit now splits each batch between the replicas."
)


def _strategies():
    """A strategy of one replica and one of two, on the logical CPUs (or GPUs) when there are two.

    Without two logical devices the second strategy names a second CPU that TensorFlow places on
    the first; its variables are still mirrored, which is all the check looks at (it never fits).
    """
    import tensorflow as tf

    gpus = [device.name for device in tf.config.list_logical_devices("GPU")]
    cpus = [device.name for device in tf.config.list_logical_devices("CPU")]
    two = gpus[:2] if len(gpus) >= 2 else cpus[:2] if len(cpus) >= 2 else ["/cpu:0", "/cpu:1"]
    return [tf.distribute.MirroredStrategy(two[:1]), tf.distribute.MirroredStrategy(two)]


def small_model_builder(seed: int):
    """The ``build_model`` 11.4 passes: a model of 6×5 pictures and 4 classes, counting its calls."""

    def build_model():
        import keras

        build_model.calls += 1
        keras.utils.set_random_seed(seed)
        return keras.Sequential(
            [
                keras.Input((6, 5)),
                keras.layers.Flatten(),
                keras.layers.Dense(8, activation="relu"),
                keras.layers.Dense(4, activation="softmax"),
            ]
        )

    build_model.calls = 0
    return build_model


DISTRIBUTED_CASES = ((0, 64, 1e-3), (1, 128, 4e-3), (1, 32, 3e-4))  # (strategy, batch, rate)


def distributed_model(function) -> CheckResult:
    """Exercise 11.4: ``distributed_model(strategy, build_model, per_replica_batch, base_learning_rate)`` builds and compiles the model in ``strategy.scope()`` with Adam at the scaled rate, and returns ``(model, global_batch)``.

    >>> check.distributed_model(distributed_model)  # doctest: +SKIP
    ✅ Exercise 11.4: Correct: ...
    """

    def test(function):
        strategies = _strategies()
        for number, (which, per_replica_batch, base_learning_rate) in enumerate(DISTRIBUTED_CASES):
            strategy = strategies[which]
            replicas = strategy.num_replicas_in_sync
            case = (
                f"with a strategy of {replicas} replica{'s' if replicas > 1 else ''}, "
                f"per_replica_batch={per_replica_batch} and base_learning_rate={base_learning_rate:g}"
            )
            build_model = small_model_builder(seed=1100 + number)
            answer = call(function, strategy, build_model, per_replica_batch, base_learning_rate)
            model, global_batch = _model_and_batch(answer, case)
            _expect_built_once(model, build_model, case)
            _expect_in_scope(model, strategy, case)
            _expect_compiled(model, strategy, base_learning_rate * replicas, replicas, case)
            _expect_global_batch(global_batch, per_replica_batch, replicas, case)
        return DISTRIBUTED_PRAISE

    return run_check("11.4", function, test)


def _model_and_batch(answer, case: str):
    import keras

    if isinstance(answer, keras.Model):
        raise Hint(f"{case}, you returned only the model: `return model, global_batch`.")
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        got = "None" if answer is None else f"a {type(answer).__name__}"
        raise Hint(
            f"{case}, your function returned {got}; return two things, `return model, global_batch`."
        )
    model, global_batch = answer
    if isinstance(global_batch, keras.Model) and not isinstance(model, keras.Model):
        raise Hint(
            f"{case}, return the model first, then the global batch: `return model, global_batch`."
        )
    try:
        expect_a_model(model)
    except Hint as hint:
        raise Hint(f"{case}, {hint}") from None
    return model, global_batch


def _expect_built_once(model, build_model, case: str) -> None:
    if build_model.calls == 0 or tuple(model.input_shape) != (None, 6, 5):
        raise Hint(
            f"{case}, your model takes input of shape {tuple(model.input_shape)}: build it with "
            "build_model(), the function you were given (the check's model takes 6×5 pictures), "
            "not with a model of your own."
        )
    if build_model.calls > 1:
        raise Hint(
            f"{case}, your function called build_model() {build_model.calls} times: call it once, "
            "inside `with strategy.scope():`, and compile that model."
        )


def _expect_in_scope(model, strategy, case: str) -> None:
    made_here = [
        strategy.extended.variable_created_in_scope(weight.value) for weight in model.weights
    ]
    if all(made_here):
        return
    mirrored = [hasattr(weight.value, "values") for weight in model.weights]
    raise Hint(f"{case}, {OTHER_STRATEGY_HINT if all(mirrored) else SCOPE_HINT}")


def _expect_compiled(model, strategy, learning_rate: float, replicas: int, case: str) -> None:
    import keras

    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(model, "compiled", True):
        raise Hint(f"{case}, {NOT_COMPILED_HINT}")
    made_in = getattr(optimizer, "_distribution_strategy", strategy)
    if made_in is not strategy:
        raise Hint(f"{case}, {OPTIMIZER_SCOPE_HINT}")
    if not isinstance(optimizer, keras.optimizers.Adam):
        raise Hint(
            f"{case}, your model is compiled with {type(optimizer).__name__}, not Adam: "
            "keras.optimizers.Adam(learning_rate)."
        )
    rate = float(np.asarray(optimizer.learning_rate.numpy()))
    if not math.isclose(rate, learning_rate, rel_tol=1e-5):
        base = learning_rate / replicas
        if math.isclose(rate, 1e-3, rel_tol=1e-5) and not math.isclose(base, 1e-3, rel_tol=1e-5):
            advice = 'the default of "adam" and Adam(): pass the scaled rate, keras.optimizers.Adam(learning_rate)'
        elif math.isclose(rate, base, rel_tol=1e-5) and replicas > 1:
            advice = f"base_learning_rate unscaled: multiply it by {REPLICAS_HINT}"
        elif math.isclose(rate, base * 2, rel_tol=1e-5):
            advice = f"twice the base whatever the strategy: multiply by {REPLICAS_HINT}, not by 2"
        else:
            advice = f"it should be base_learning_rate * {REPLICAS_HINT} = {learning_rate:g}"
        raise Hint(f"{case}, Adam's learning rate is {rate:g}: {advice}.")
    _expect_sparse_loss(model.loss, case)
    metrics = (model.get_compile_config() or {}).get("metrics") or []
    if not any("acc" in str(metric).lower() for metric in metrics):
        raise Hint(f'{case}, your model reports no accuracy: compile it with metrics=["accuracy"].')


def _expect_global_batch(global_batch, per_replica_batch: int, replicas: int, case: str) -> None:
    expected = per_replica_batch * replicas
    if isinstance(global_batch, bool) or not isinstance(global_batch, (int, np.integer)):
        if isinstance(global_batch, (float, np.floating)) and global_batch == expected:
            raise Hint(
                f"{case}, the global batch is {global_batch!r}, a float: make it a whole number, "
                f"per_replica_batch * {REPLICAS_HINT}."
            )
        raise Hint(f"{case}, the global batch is {global_batch!r}: it should be a whole number.")
    if global_batch == expected:
        return
    if global_batch == per_replica_batch and replicas > 1:
        advice = f"the per-replica batch: multiply it by {REPLICAS_HINT}"
    elif global_batch == per_replica_batch * 2:
        advice = f"twice the batch whatever the strategy: multiply by {REPLICAS_HINT}, not by 2"
    else:
        advice = f"it should be per_replica_batch * {REPLICAS_HINT} = {expected}"
    raise Hint(f"{case}, your global batch is {global_batch}: {advice}.")
