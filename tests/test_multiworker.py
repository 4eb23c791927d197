"""The course CNN outside the notebooks, and the worker processes of notebook 11.

``helpers.course_cnn`` must build exactly notebook 05's recipe (the workers of notebook 11 train
"the same model"), and a cluster of local workers must never hang the notebook: a failing worker
or a run past its time limit ends in a ClusterError that says what happened. A successful run is
covered by notebook 11 itself, which CI runs.
"""

from __future__ import annotations

import json

import pytest

from benchmarks.recipes import COURSE_MODELS, load_recipe
from helpers import multiworker
from helpers.course_cnn import build_cnn, warmup_cosine


def layer_configs(model):
    return [(type(layer).__name__, layer.get_config()) for layer in model.layers]


def test_build_cnn_is_notebook_05s_recipe():
    recipe = load_recipe(COURSE_MODELS["cnn"], "cnn")
    ours, theirs = build_cnn(), recipe.build()
    assert layer_configs(ours) == layer_configs(theirs)
    assert ours.count_params() == theirs.count_params() == 212_778


def test_warmup_cosine_is_notebook_05s_schedule():
    recipe = load_recipe(COURSE_MODELS["cnn"], "cnn")
    model = recipe.build()
    recipe.compile(model, train_size=10_000, epochs=3)
    theirs = model.optimizer.get_config()["learning_rate"]["config"]
    ours = warmup_cosine(
        theirs["warmup_target"], theirs["warmup_steps"] + theirs["decay_steps"]
    ).get_config()
    assert ours == theirs


def test_tf_config_lists_every_worker_and_this_task():
    addresses = ["localhost:1", "localhost:2", "localhost:3"]
    configs = [multiworker.tf_config(addresses, index) for index in range(3)]
    assert all(config["cluster"] == {"worker": addresses} for config in configs)
    assert [config["task"]["index"] for config in configs] == [0, 1, 2]
    assert json.loads(json.dumps(configs[0])) == configs[0]


def test_free_ports_can_be_listened_on():
    import socket

    for port in multiworker.free_ports(3):
        with socket.socket() as sock:
            sock.bind(("localhost", port))


def test_a_worker_without_tf_config_says_what_is_missing(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(SystemExit):
        multiworker.main(["--out", str(tmp_path / "result.json")])
    assert "TF_CONFIG is not set" in capsys.readouterr().err


def test_a_failing_worker_stops_the_cluster_with_its_error():
    with pytest.raises(multiworker.ClusterError) as raised:
        multiworker.run_local_cluster(
            workers=2, epochs=1, train_size=512, per_replica_batch=0, timeout=300
        )
    message = str(raised.value)
    assert "stopped with exit code 1 before writing its result" in message
    assert "ZeroDivisionError" in message  # the end of the worker's own log


def test_a_cluster_past_its_time_limit_is_stopped():
    with pytest.raises(multiworker.ClusterError, match=r"did not finish within 0\.5 s"):
        multiworker.run_local_cluster(workers=2, epochs=1, train_size=512, timeout=0.5)
