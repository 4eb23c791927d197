"""load_mnist: where it looks, what it accepts, and what it says when something is wrong."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from helpers import MnistDataError, MnistNotFoundError, load_mnist
from tests.conftest import fake_mnist_arrays

# The fake files have MNIST's shapes but not its contents; tests/test_loader_errors.py checks the warning.
pytestmark = pytest.mark.filterwarnings("ignore::helpers.data.NotMnistWarning")


def test_explicit_path_returns_keras_layout(fake_npz):
    (x_train, y_train), (x_test, y_test) = load_mnist(fake_npz)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert x_test[257, 0, 0] == 1 and y_test[13] == 3


def test_explicit_folder_is_searched_for_mnist_npz(fake_npz):
    (x_train, _), _ = load_mnist(fake_npz.parent)
    assert x_train.shape == (60000, 28, 28)


def test_missing_explicit_path_says_where_it_looked(tmp_path):
    with pytest.raises(MnistNotFoundError, match="no MNIST file there"):
        load_mnist(tmp_path / "nope.npz")


def test_course_data_dir_is_used(no_data_env, fake_npz, monkeypatch):
    (no_data_env / "data" / "mnist").mkdir(parents=True)
    shutil.copy(fake_npz, no_data_env / "data" / "mnist" / "mnist.npz")
    monkeypatch.setenv("COURSE_DATA_DIR", str(no_data_env / "data"))
    (_, y_train), _ = load_mnist()
    assert y_train[:3].tolist() == [0, 1, 2]


def test_keras_cache_is_used_when_no_data_dir(no_data_env, fake_npz):
    cache = no_data_env / "keras-home" / "datasets"
    cache.mkdir(parents=True)
    shutil.copy(fake_npz, cache / "mnist.npz")
    (x_train, _), _ = load_mnist()
    assert x_train.shape == (60000, 28, 28)


def test_download_is_tried_last_and_its_file_checked(no_data_env, fake_npz, monkeypatch):
    monkeypatch.setattr("helpers.data._download_with_keras", lambda: fake_npz)
    (x_train, _), _ = load_mnist()
    assert x_train[5, 0, 0] == 5


def test_nothing_works_gives_one_clear_message(no_data_env):
    with pytest.raises(MnistNotFoundError) as caught:
        load_mnist()
    message = str(caught.value)
    assert "COURSE_DATA_DIR" in message and "connect to the internet" in message
    assert str(no_data_env / "keras-home" / "datasets" / "mnist.npz") in message
    assert "download from" in message


def test_a_wrong_course_data_dir_is_an_error_not_a_fallback(no_data_env, fake_npz, monkeypatch):
    cache = no_data_env / "keras-home" / "datasets"
    cache.mkdir(parents=True)
    shutil.copy(fake_npz, cache / "mnist.npz")  # a good cache must not hide the mistake
    monkeypatch.setenv("COURSE_DATA_DIR", str(no_data_env / "missing"))
    with pytest.raises(MnistNotFoundError) as caught:
        load_mnist()
    message = str(caught.value)
    assert f"COURSE_DATA_DIR is set to '{no_data_env / 'missing'}'" in message
    assert "does not exist" in message and "/mnist/mnist.npz" in message
    assert "download from" not in message


def test_truncated_npz_is_rejected(fake_npz, tmp_path):
    truncated = tmp_path / "mnist.npz"
    truncated.write_bytes(fake_npz.read_bytes()[:1_000_000])
    with pytest.raises(MnistDataError, match="truncated"):
        load_mnist(truncated)


def test_a_text_file_is_rejected(tmp_path):
    not_npz = tmp_path / "mnist.npz"
    not_npz.write_text("x_train,y_train\n0,5\n")
    with pytest.raises(
        MnistDataError, match=r"is not an \.npz archive: it starts with b'x_train,'"
    ):
        load_mnist(not_npz)


def test_a_web_page_is_named_as_one(tmp_path):
    not_npz = tmp_path / "mnist.npz"
    not_npz.write_text("<html>404 Not Found</html>")
    with pytest.raises(MnistDataError, match="is an HTML page, not MNIST data"):
        load_mnist(not_npz)


def test_wrong_keys_are_rejected(tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez(path, images=np.zeros((3, 28, 28), np.uint8))
    with pytest.raises(MnistDataError, match="lacks the arrays"):
        load_mnist(path)


@pytest.mark.parametrize(
    "name, bad_value, message",
    [
        ("x_train", np.zeros((60000, 784), np.uint8), r"x_train has shape \(60000, 784\)"),
        ("y_test", np.zeros((9999,), np.uint8), r"y_test has shape \(9999,\)"),
        ("x_test", np.zeros((10000, 28, 28), np.float32), "dtype float32, expected uint8"),
        ("y_train", np.full((60000,), 10, np.uint8), "labels above 9"),
    ],
)
def test_wrong_shapes_dtypes_and_labels_are_rejected(tmp_path, name, bad_value, message):
    arrays = fake_mnist_arrays()
    arrays[name] = bad_value
    path = tmp_path / "mnist.npz"
    np.savez(path, **arrays)
    with pytest.raises(MnistDataError, match=message):
        load_mnist(path)


def test_pickled_objects_are_refused(tmp_path):
    arrays = fake_mnist_arrays()
    arrays["y_test"] = np.array([{"not": "an array"}], dtype=object)
    path = tmp_path / "mnist.npz"
    np.savez(path, **arrays)
    with pytest.raises(MnistDataError, match="y_test holds Python objects") as caught:
        load_mnist(path)
    assert "allow_pickle" not in str(caught.value)


@pytest.mark.skipif(
    not os.environ.get("COURSE_DATA_DIR"),
    reason="needs the real MNIST via COURSE_DATA_DIR (CI sets it)",
)
def test_real_mnist_matches_the_published_facts():
    (x_train, y_train), (x_test, y_test) = load_mnist()
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]
    assert y_test[:5].tolist() == [7, 2, 1, 0, 4]
    assert np.bincount(y_train).tolist() == [
        5923,
        6742,
        5958,
        6131,
        5842,
        5421,
        5918,
        6265,
        5851,
        5949,
    ]
    assert x_train.max() == 255 and x_test.min() == 0


def test_jupyter_shows_the_message_not_a_traceback(tmp_path):
    error = MnistNotFoundError("Could not find MNIST. Set COURSE_DATA_DIR.")
    assert error._render_traceback_() == [
        "MnistNotFoundError: Could not find MNIST. Set COURSE_DATA_DIR."
    ]
