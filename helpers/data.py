"""Load MNIST from wherever it is: a local copy first, Keras's checked download last.

    >>> (x_train, y_train), (x_test, y_test) = load_mnist()
    >>> x_train.shape, x_train.dtype
    ((60000, 28, 28), dtype('uint8'))

Where it looks, in order:

1. the ``path`` you pass (an ``.npz`` file, or a folder holding ``mnist.npz``);
2. ``$COURSE_DATA_DIR/mnist/mnist.npz``;
3. the Keras cache, ``~/.keras/datasets/mnist.npz`` (or under ``$KERAS_HOME``);
4. Keras's own download into that cache, which verifies a SHA-256 checksum.

Every file is loaded with ``allow_pickle=False`` and checked: the four arrays, their
shapes and dtypes, and labels 0-9. A wrong or damaged file gets an error that says
which file and what to do, never a silent fallback.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

MnistSplits = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

EXPECTED_ARRAYS = {
    "x_train": (60000, 28, 28),
    "y_train": (60000,),
    "x_test": (10000, 28, 28),
    "y_test": (10000,),
}
KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
KERAS_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

HOW_TO_GET_DATA = (
    "To fix it, either\n"
    "  * connect to the internet and run this cell again (Keras downloads MNIST once, about 11 MB), or\n"
    "  * put a copy of mnist.npz at <folder>/mnist/mnist.npz and set COURSE_DATA_DIR=<folder>\n"
    "    before starting Jupyter (or pass the file directly: load_mnist(path='.../mnist.npz'))."
)


class FriendlyError(Exception):
    """An error whose message says what to do; Jupyter shows just the message, no traceback."""

    def _render_traceback_(self) -> list[str]:  # IPython's hook for custom error display
        return [f"{type(self).__name__}: {self}"]


class MnistDataError(FriendlyError, RuntimeError):
    """A file that should hold MNIST does not: damaged, truncated, or a different data set."""


class MnistNotFoundError(MnistDataError):
    """No copy of MNIST could be found or downloaded."""


def keras_cache_file() -> Path:
    """Where Keras keeps its downloaded ``mnist.npz``.

    >>> keras_cache_file().name
    'mnist.npz'
    """
    keras_home = os.environ.get("KERAS_HOME") or os.path.join("~", ".keras")
    return Path(keras_home).expanduser() / "datasets" / "mnist.npz"


def course_data_file() -> Path | None:
    """``$COURSE_DATA_DIR/mnist/mnist.npz``, or None when the variable is not set.

    >>> os.environ["COURSE_DATA_DIR"] = "/data"; str(course_data_file())
    '/data/mnist/mnist.npz'
    """
    data_dir = os.environ.get("COURSE_DATA_DIR", "").strip()
    return Path(data_dir).expanduser() / "mnist" / "mnist.npz" if data_dir else None


def read_mnist_npz(path: str | os.PathLike) -> MnistSplits:
    """Load and check one ``mnist.npz`` in the layout of ``keras.datasets.mnist``.

    >>> (x_train, y_train), (x_test, y_test) = read_mnist_npz("mnist.npz")  # doctest: +SKIP
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files if name in EXPECTED_ARRAYS}
            missing = sorted(set(EXPECTED_ARRAYS) - set(archive.files))
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        raise MnistDataError(
            f"{path} is not a readable .npz archive ({error}). It may be truncated by an "
            "interrupted download: delete it and run again."
        ) from None
    if missing:
        raise MnistDataError(
            f"{path} is not MNIST: it lacks the arrays {missing} "
            f"(expected {sorted(EXPECTED_ARRAYS)}). Point to the right file or delete this one."
        )
    check_mnist_arrays(arrays, source=str(path))
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def check_mnist_arrays(arrays: dict[str, np.ndarray], source: str = "the data") -> None:
    """Raise :class:`MnistDataError` unless the arrays have MNIST's shapes, dtype and labels.

    >>> check_mnist_arrays({"x_train": np.zeros((2, 28, 28))})  # doctest: +SKIP
    Traceback (most recent call last):
    MnistDataError: ...
    """
    for name, shape in EXPECTED_ARRAYS.items():
        array = arrays[name]
        if array.shape != shape:
            raise MnistDataError(
                f"{source}: {name} has shape {array.shape}, expected {shape}. "
                "This is not the standard MNIST file; use the original mnist.npz."
            )
        if array.dtype != np.uint8:
            raise MnistDataError(
                f"{source}: {name} has dtype {array.dtype}, expected uint8 "
                "(raw pixels 0-255 and labels 0-9). Use the original mnist.npz, not a processed copy."
            )
    for name in ("y_train", "y_test"):
        if arrays[name].max() > 9:
            raise MnistDataError(f"{source}: {name} holds labels above 9; MNIST labels are 0-9.")


def load_mnist(path: str | os.PathLike | None = None) -> MnistSplits:
    """Return ``(x_train, y_train), (x_test, y_test)`` exactly like ``keras.datasets.mnist.load_data()``.

    >>> (x_train, y_train), (x_test, y_test) = load_mnist()
    >>> (x_train, y_train), _ = load_mnist("~/data/mnist.npz")  # doctest: +SKIP
    """
    if path is not None:
        return read_mnist_npz(_explicit_file(Path(path).expanduser()))

    tried = []
    configured = course_data_file()
    if configured is not None:
        if configured.is_file():
            return read_mnist_npz(configured)
        tried.append(f"COURSE_DATA_DIR: {configured} does not exist")
    cached = keras_cache_file()
    if cached.is_file():
        return read_mnist_npz(cached)
    tried.append(f"Keras cache: {cached} does not exist")

    try:
        downloaded = _download_with_keras()
    except Exception as error:  # Keras raises bare Exception for network failures
        tried.append(f"download from {KERAS_ORIGIN} failed: {error}")
        raise MnistNotFoundError(
            "Could not find or download MNIST.\nTried:\n  - "
            + "\n  - ".join(tried)
            + "\n"
            + HOW_TO_GET_DATA
        ) from None
    return read_mnist_npz(downloaded)


def _explicit_file(path: Path) -> Path:
    candidates = (
        [path] if path.suffix == ".npz" else [path / "mnist.npz", path / "mnist" / "mnist.npz"]
    )
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise MnistNotFoundError(
        f"load_mnist(path={str(path)!r}): no MNIST file there (looked for "
        + ", ".join(str(c) for c in candidates)
        + "). Check the path, or call load_mnist() with no argument to use COURSE_DATA_DIR "
        "or the download."
    )


def _download_with_keras() -> Path:
    import keras

    return Path(
        keras.utils.get_file(
            fname="mnist.npz", origin=KERAS_ORIGIN, file_hash=KERAS_SHA256, cache_subdir="datasets"
        )
    )
