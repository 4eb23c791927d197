"""Train the course CNN on a cluster of worker processes with ``tf.distribute.MultiWorkerMirroredStrategy``.

A worker is this module run as a program. It reads its place in the cluster from the
environment variable ``TF_CONFIG``, trains its share of the data in step with the others, and
writes what it measured to a JSON file:

    TF_CONFIG='{"cluster": {"worker": ["localhost:12345", "localhost:12346"]},
                "task": {"type": "worker", "index": 0}}' \\
        python -m helpers.multiworker --epochs 2 --out worker-0.json

On a real cluster each machine runs one worker, and a cluster manager (Kubernetes, Slurm, ...)
sets each machine's ``TF_CONFIG``. Notebook 11 starts them on this machine instead, one process
each, and reads their results:

    >>> results = run_local_cluster(workers=2, epochs=2, train_size=6000)  # doctest: +SKIP
    >>> [(result["task_index"], result["role"]) for result in results]  # doctest: +SKIP
    [(0, 'chief'), (1, 'worker')]

Keras 3's ``fit`` does not run under this strategy (in Keras 3.12 and 3.13 it fails while it
builds the model, keras-team/keras#20585), so each worker trains with a short custom training
loop, the pattern of TensorFlow's own multi-worker tutorials. A worker that fails or hangs never hangs the notebook:
the launcher stops the others and raises :class:`ClusterError` with the end of its log.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

COLLECTIVE_TIMEOUT_SECONDS = 120  # a worker whose partner is gone stops with an error
EXIT_GRACE_SECONDS = 5  # a worker's gRPC server can take ~10 s to shut down after its result
LOG_LINES_SHOWN = 12
TENSORFLOW_LOG_LINE = re.compile(r"[IW]\d{4} ")  # absl's info and warning lines


class ClusterError(RuntimeError):
    """A worker process failed, or the cluster did not finish within its time limit."""


def free_ports(count: int) -> list[int]:
    """``count`` different TCP ports on localhost that nothing listens on right now.

    >>> ports = free_ports(2)
    >>> len(set(ports)) == 2 and all(1024 <= port <= 65535 for port in ports)
    True
    """
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:  # all open at once: the system never hands out one port twice
            sock.bind(("localhost", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def tf_config(addresses: list[str], index: int) -> dict:
    """The ``TF_CONFIG`` of worker ``index`` in a cluster of workers at ``addresses``.

    Every worker gets the same cluster and its own task; worker 0 is the chief.

    >>> tf_config(["localhost:12345", "localhost:12346"], 1)
    {'cluster': {'worker': ['localhost:12345', 'localhost:12346']}, 'task': {'type': 'worker', 'index': 1}}
    """
    return {"cluster": {"worker": list(addresses)}, "task": {"type": "worker", "index": index}}


# --- the worker --------------------------------------------------------------------------------


def _fingerprint(variables) -> str:
    """A short hash of the variables' values: equal on two workers only if every value is."""
    digest = hashlib.sha256()
    for variable in variables:
        digest.update(variable.numpy().tobytes())
    return digest.hexdigest()[:16]


def train_worker(
    epochs: int,
    train_size: int,
    per_replica_batch: int,
    base_learning_rate: float,
    seed: int = 42,
    threads: int | None = None,
) -> dict:
    """Join the cluster in ``TF_CONFIG``, train the course CNN on this worker's share, report.

    Run in a process of its own (``python -m helpers.multiworker``), one per worker: the
    strategy must be created before TensorFlow runs anything else in the process.
    Returns the measurements that the worker writes to its JSON file.
    """
    started = time.perf_counter()
    import tensorflow as tf

    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    strategy = tf.distribute.MultiWorkerMirroredStrategy(
        communication_options=tf.distribute.experimental.CommunicationOptions(
            timeout_seconds=COLLECTIVE_TIMEOUT_SECONDS
        )
    )
    import keras
    import numpy as np

    from .course_cnn import build_cnn, warmup_cosine
    from .data import load_mnist

    resolver = strategy.cluster_resolver
    workers = len(resolver.cluster_spec().as_dict().get("worker", []))
    is_chief = resolver.task_type == "chief" or (
        resolver.task_type == "worker" and resolver.task_id == 0
    )
    ready = time.perf_counter() - started

    (x_train, y_train), (x_test, y_test) = load_mnist()
    x_train, y_train = x_train[:train_size], y_train[:train_size]
    replicas = strategy.num_replicas_in_sync
    global_batch = per_replica_batch * replicas
    learning_rate = base_learning_rate * replicas  # the linear scaling rule
    steps_per_epoch = len(x_train) // global_batch

    keras.utils.set_random_seed(seed)
    with strategy.scope():  # variables made here are mirrored on every worker
        model = build_cnn()
        optimizer = keras.optimizers.Adam(warmup_cosine(learning_rate, steps_per_epoch * epochs))
        optimizer.build(model.trainable_variables)

    def dataset_fn(context):
        """This worker's half of the data: its shard, cached, shuffled, batched, prefetched."""
        shard = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shard(
            context.num_input_pipelines, context.input_pipeline_id
        )
        batch = context.get_per_replica_batch_size(global_batch)
        return (
            shard.cache()
            .shuffle(len(x_train) // context.num_input_pipelines, seed=seed)
            .repeat()
            .batch(batch)
            .prefetch(tf.data.AUTOTUNE)
        )

    batches = iter(strategy.distribute_datasets_from_function(dataset_fn))

    @tf.function
    def train_step(batches):
        def step(images, labels):
            with tf.GradientTape() as tape:
                probabilities = model(images, training=True)
                losses = keras.losses.sparse_categorical_crossentropy(labels, probabilities)
                loss = tf.nn.compute_average_loss(losses, global_batch_size=global_batch)
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables))  # all-reduced
            return loss

        return strategy.reduce("SUM", strategy.run(step, args=next(batches)), axis=None)

    epoch_seconds, epoch_cpu_seconds, losses = [], [], []
    for _ in range(epochs):
        epoch_started, cpu_started = time.perf_counter(), time.process_time()
        total = tf.constant(0.0)
        for _ in range(steps_per_epoch):
            total += train_step(batches)
        losses.append(float(total) / steps_per_epoch)
        epoch_seconds.append(time.perf_counter() - epoch_started)
        epoch_cpu_seconds.append(time.process_time() - cpu_started)  # all of its threads

    probabilities = np.concatenate(
        [model(x_test[i : i + 2000], training=False).numpy() for i in range(0, len(x_test), 2000)]
    )
    return {
        "task_index": resolver.task_id,
        "role": "chief" if is_chief else "worker",
        "workers": workers,
        "replicas": replicas,
        "train_examples": len(x_train) // workers,
        "per_replica_batch": per_replica_batch,
        "global_batch": global_batch,
        "learning_rate": learning_rate,
        "steps_per_epoch": steps_per_epoch,
        "epoch_seconds": epoch_seconds,
        "epoch_cpu_seconds": epoch_cpu_seconds,
        "epoch_losses": losses,
        "seconds_to_join": ready,
        "test_accuracy": float(np.mean(probabilities.argmax(axis=1) == y_test)),
        "trained_weights": _fingerprint(model.trainable_variables),
        "running_averages": _fingerprint(model.non_trainable_variables),
    }


def _write_json(data: dict, path: Path) -> None:
    """Write all of ``data`` or nothing: a reader never sees half a file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(partial, path)


def main(argv: list[str] | None = None) -> int:
    """The worker program: ``python -m helpers.multiworker --out FILE [options]``."""
    parser = argparse.ArgumentParser(
        prog="python -m helpers.multiworker",
        description="One worker of a MultiWorkerMirroredStrategy cluster (its place in TF_CONFIG).",
    )
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the results")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--train-size", type=int, default=60_000)
    parser.add_argument("--per-replica-batch", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=4e-3, help="for one replica")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0: TensorFlow's)")
    args = parser.parse_args(argv)
    if "TF_CONFIG" not in os.environ:
        parser.error("TF_CONFIG is not set: it tells this worker the cluster and its place in it")
    result = train_worker(
        args.epochs,
        args.train_size,
        args.per_replica_batch,
        args.learning_rate,
        seed=args.seed,
        threads=args.threads or None,
    )
    _write_json(result, args.out)
    return 0


# --- the launcher ------------------------------------------------------------------------------


def _log_tail(path: Path, lines: int = LOG_LINES_SHOWN) -> str:
    """The last lines of a worker's log, without TensorFlow's own info and warning lines."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    kept = [
        line
        for line in text.splitlines()
        if line.strip() and not TENSORFLOW_LOG_LINE.match(line) and "cuInit" not in line
    ]
    return "\n".join(kept[-lines:]) or "(the log holds only TensorFlow's start-up lines)"


def _stop(processes: list[subprocess.Popen]) -> None:
    """Ask every process still running to stop; kill the ones that do not within seconds."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
        if process.poll() is None:
            process.kill()
            process.wait()


def _worker_environment(config: dict) -> dict:
    """This environment plus the worker's TF_CONFIG, with no GPU, and this `helpers` importable.

    The workers train on the CPU: processes that share one GPU would each try to take all of its
    memory. A `helpers` that is not installed (a checkout on the path) is put on the workers' path.
    """
    environment = dict(os.environ, TF_CONFIG=json.dumps(config), CUDA_VISIBLE_DEVICES="-1")
    package_parent = Path(__file__).resolve().parents[1]
    if package_parent.name not in ("site-packages", "dist-packages"):
        environment["PYTHONPATH"] = os.pathsep.join(
            [str(package_parent), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
    return environment


def run_local_cluster(
    workers: int = 2,
    epochs: int = 2,
    train_size: int = 60_000,
    per_replica_batch: int = 128,
    base_learning_rate: float = 4e-3,
    threads_per_worker: int | None = None,
    seed: int = 42,
    timeout: float = 600,
) -> list[dict]:
    """Start ``workers`` worker processes on this machine, wait for their results, return them.

    Each gets a free port on localhost and its own ``TF_CONFIG``, and trains on the CPU (see
    ``_worker_environment``) with at most ``threads_per_worker`` threads (None: TensorFlow's
    default). The results come back in the order of the workers' indices, each with the
    launcher's ``wall_seconds`` (from the start of the processes until every result was written). Raises :class:`ClusterError` when a
    worker fails or the whole run takes longer than ``timeout`` seconds; either way every
    worker process is stopped.

        >>> results = run_local_cluster(workers=2, epochs=1, train_size=2048)  # doctest: +SKIP
        >>> len(results), results[0]["replicas"]  # doctest: +SKIP
        (2, 2)
    """
    addresses = [f"localhost:{port}" for port in free_ports(workers)]
    with tempfile.TemporaryDirectory(prefix="multiworker-") as folder:
        folder = Path(folder)
        outputs = [folder / f"worker-{index}.json" for index in range(workers)]
        logs = [folder / f"worker-{index}.log" for index in range(workers)]
        processes: list[subprocess.Popen] = []
        started = time.perf_counter()
        try:
            for index in range(workers):
                command = [
                    sys.executable,
                    "-m",
                    "helpers.multiworker",
                    f"--out={outputs[index]}",
                    f"--epochs={epochs}",
                    f"--train-size={train_size}",
                    f"--per-replica-batch={per_replica_batch}",
                    f"--learning-rate={base_learning_rate}",
                    f"--seed={seed}",
                    f"--threads={threads_per_worker or 0}",
                ]
                with open(logs[index], "wb") as log:
                    processes.append(
                        subprocess.Popen(
                            command,
                            env=_worker_environment(tf_config(addresses, index)),
                            stdin=subprocess.DEVNULL,
                            stdout=log,
                            stderr=subprocess.STDOUT,
                        )
                    )
            _wait_for_results(processes, outputs, logs, started + timeout, timeout)
            wall_seconds = time.perf_counter() - started
            results = [json.loads(path.read_text(encoding="utf-8")) for path in outputs]
            deadline = time.perf_counter() + EXIT_GRACE_SECONDS
            while time.perf_counter() < deadline and any(p.poll() is None for p in processes):
                time.sleep(0.1)
        finally:
            _stop(processes)
    for result in results:
        result["wall_seconds"] = wall_seconds
    return results


def _wait_for_results(processes, outputs, logs, deadline: float, timeout: float) -> None:
    """Return once every worker has written its result; raise ClusterError on a failure or timeout."""
    while not all(path.exists() for path in outputs):
        for index, process in enumerate(processes):
            code = process.poll()
            if code is not None and not outputs[index].exists():
                raise ClusterError(
                    f"worker {index} stopped with exit code {code} before writing its result, "
                    f"so the other workers were stopped too. The end of its log:\n"
                    f"{_log_tail(logs[index])}"
                )
        if time.perf_counter() > deadline:
            waiting = [i for i, path in enumerate(outputs) if not path.exists()]
            raise ClusterError(
                f"the cluster did not finish within {timeout:g} s (still waiting for worker "
                f"{', '.join(map(str, waiting))}); every worker was stopped. The end of worker "
                f"{waiting[0]}'s log:\n{_log_tail(logs[waiting[0]])}"
            )
        time.sleep(0.2)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:  # the launcher shows this log's end: make the error its last lines
        traceback.print_exc()
        sys.exit(1)
