"""Shared fixtures: small fake MNIST files, and an environment with no data configured."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from helpers.data import EXPECTED_ARRAYS


def fake_mnist_arrays() -> dict[str, np.ndarray]:
    """Arrays with MNIST's exact shapes and dtype; pixel (0, 0) of image i holds i % 256."""
    arrays = {name: np.zeros(shape, dtype=np.uint8) for name, shape in EXPECTED_ARRAYS.items()}
    for name in ("x_train", "x_test"):
        arrays[name][:, 0, 0] = np.arange(len(arrays[name])) % 256
    for name in ("y_train", "y_test"):
        arrays[name][:] = np.arange(len(arrays[name])) % 10
    return arrays


@pytest.fixture(scope="session")
def fake_npz(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fake") / "mnist.npz"
    np.savez(path, **fake_mnist_arrays())
    return path


@pytest.fixture
def no_data_env(monkeypatch, tmp_path):
    """No COURSE_DATA_DIR, an empty Keras cache, and a download that fails like an offline machine."""
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))

    def offline_download():
        raise Exception(
            "URL fetch failure on https://storage.googleapis.com/...: [Errno -2] Name or service not known"
        )

    monkeypatch.setattr("helpers.data._download_with_keras", offline_download)
    return tmp_path


def write_idx(path: Path, header: bytes, payload: bytes) -> Path:
    """Write an IDX file, gzip-compressed when the name ends in .gz."""
    raw = header + payload
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    return path


@pytest.fixture
def fake_x_train(monkeypatch):
    """120 MNIST-like images in place of the real training set; some peak at 254, like MNIST."""
    from helpers.check import loading

    rng = np.random.default_rng(0)
    images = np.where(
        rng.random((120, 28, 28)) < 0.2, rng.integers(1, 255, (120, 28, 28)), 0
    ).astype(np.uint8)
    images[::2, 14, 14] = 255
    images[1::2, 14, 14] = 254
    monkeypatch.setattr(loading, "mnist_training_images", lambda: images)
    return images
