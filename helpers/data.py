"""Load MNIST from wherever it is: a local copy first, Keras's checked download last.

    >>> (x_train, y_train), (x_test, y_test) = load_mnist()
    >>> x_train.shape, x_train.dtype
    ((60000, 28, 28), dtype('uint8'))

Where it looks, in order:

1. the ``path`` you pass (an ``.npz`` file, or a folder holding ``mnist.npz``);
2. ``$COURSE_DATA_DIR/mnist/mnist.npz`` when the variable is set: then it must be there,
   and a wrong folder is an error, never a quiet fall back to the cache or the internet;
3. the Keras cache, ``~/.keras/datasets/mnist.npz`` (or under ``$KERAS_HOME``);
4. Keras's own download into that cache, which verifies a SHA-256 checksum.

Every file is loaded with pickles refused and checked: the four arrays, their shapes and
dtypes, and labels 0-9. A wrong or damaged file gets an error that says which file and
what to do, never a silent fallback; arrays with MNIST's shapes but other contents (say,
Fashion-MNIST saved as ``mnist.npz``) get a warning.
"""

from __future__ import annotations

import hashlib
import os
import stat
import warnings
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

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

# content_fingerprint() of the real MNIST and of Fashion-MNIST (the same for every faithful copy,
# whatever the file format), computed once from the original files.
MNIST_FINGERPRINT = "e2e4a5f26e6073e07b583c5c4005d63754f965c6c7727c54f16a00d5ca729e64"
FASHION_MNIST_FINGERPRINT = "ae1e314d3f6b98eab258b028e9041077492c35d6ae9ddafa0d7536d561e913d6"

HOW_TO_GET_DATA = (
    "To fix it, either\n"
    "  * connect to the internet and run this cell again (Keras downloads MNIST once, about 11 MB), or\n"
    "  * put a copy of mnist.npz at <folder>/mnist/mnist.npz and set COURSE_DATA_DIR=<folder>\n"
    "    before starting Jupyter (or pass the file directly: load_mnist(path='.../mnist.npz'))."
)
NPZ_IN_FOLDER = ("mnist.npz", "mnist/mnist.npz")  # where a folder may hold the .npz


class FriendlyError(Exception):
    """An error whose message says what to do; Jupyter shows just the message, no traceback."""

    def _render_traceback_(self) -> list[str]:  # IPython's hook for custom error display
        return [f"{type(self).__name__}: {self}"]


class DatasetError(FriendlyError, RuntimeError):
    """A data set that cannot be loaded: an unknown name, a damaged file, or the wrong contents."""


class DatasetNotFoundError(DatasetError):
    """A data set that is neither on this computer nor downloadable right now."""


class MnistDataError(DatasetError):
    """A file that should hold MNIST does not: damaged, truncated, or a different data set."""


class MnistNotFoundError(MnistDataError, DatasetNotFoundError):
    """No copy of MNIST could be found or downloaded."""


class MnistFileNotFoundError(MnistNotFoundError, FileNotFoundError):
    """A file named explicitly does not exist (also a ``FileNotFoundError``)."""


class MnistFileAccessError(MnistDataError):
    """A file is there but cannot be read: permission denied, or a folder where a file belongs."""


class NotMnistWarning(UserWarning):
    """Arrays with MNIST's shapes and dtype but other contents: a different data set."""


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


def course_data_folder() -> Path | None:
    """``$COURSE_DATA_DIR/mnist/``, checked; None when the variable is unset or empty.

    Raises :class:`MnistNotFoundError`, naming the variable, when it is set but the folder
    does not exist or has no ``mnist/`` subfolder.

    >>> os.environ["COURSE_DATA_DIR"] = ""; print(course_data_folder())
    None
    """
    configured = course_data_file()
    if configured is None:
        return None
    root, folder = configured.parent.parent, configured.parent
    root_kind = path_kind(root)
    if root_kind == "missing":
        raise course_data_dir_error("that folder does not exist")
    if root_kind == "file":
        raise course_data_dir_error("that is a file, not a folder")
    if path_kind(folder) != "folder":
        raise course_data_dir_error(_missing_mnist_subfolder(root))
    return folder


def course_data_dir_error(problem: str) -> MnistNotFoundError:
    """The error for a ``COURSE_DATA_DIR`` that is set but wrong: its value, the layout, the fix.

    >>> os.environ["COURSE_DATA_DIR"] = "/data"
    >>> print(course_data_dir_error("that folder does not exist"))  # doctest: +ELLIPSIS
    COURSE_DATA_DIR is set to '/data', but that folder does not exist...
    """
    value = os.environ.get("COURSE_DATA_DIR", "").strip()
    layout = value.rstrip("/\\") or value
    return MnistNotFoundError(
        f"COURSE_DATA_DIR is set to {value!r}, but {problem}.\n"
        "It must name a folder laid out like this:\n"
        f"  {layout}/mnist/mnist.npz                 (for load_mnist)\n"
        f"  {layout}/mnist/train-images-idx3-ubyte.gz and the three other *-ubyte.gz files "
        "(for mnist_idx_file)\n"
        "Fix the variable (in the shell that starts Jupyter, then restart it, or with "
        "os.environ['COURSE_DATA_DIR'] = '<folder>' before loading), or unset it to use the "
        "Keras cache and the download."
    )


def _missing_mnist_subfolder(root: Path) -> str:
    if any(path_kind(root / name) == "file" for name in ("mnist.npz", "t10k-labels-idx1-ubyte.gz")):
        return (
            f"it holds the MNIST files itself, not in a mnist/ subfolder: name the folder above "
            f"it (COURSE_DATA_DIR={root.parent}, if this folder is called mnist) or move the files "
            f"into {root / 'mnist'}"
        )
    return f"it has no mnist/ subfolder ({root / 'mnist'} does not exist)"


def path_kind(path: Path) -> str:
    """``'file'``, ``'folder'`` or ``'missing'``; an error that says so when it cannot be looked at.

    >>> path_kind(Path("/no/such/file.npz"))
    'missing'
    """
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return "missing"
    except PermissionError:
        raise MnistFileAccessError(
            f"cannot look at {path}: permission denied (a folder on the way there is not open "
            "to you). Copy the data to a folder of yours and point to the copy, or ask the "
            "owner to give you read access."
        ) from None
    except OSError as error:
        raise MnistFileAccessError(
            f"cannot look at {path} ({error.strerror or error}). Check the disk or network drive, "
            "or copy the data to a local folder and point to the copy."
        ) from None
    return "folder" if stat.S_ISDIR(mode) else "file"


def open_for_reading(
    path: Path, look_for: Sequence[str] = (), missing_hint: str = "Check the name and the folder."
) -> BinaryIO:
    """Open a data file to read its bytes, or raise an error that says what is wrong and what to do.

    ``look_for`` are glob patterns: when ``path`` is a folder, the error names what matches inside.

    >>> open_for_reading(Path("/no/such/mnist.npz"))
    Traceback (most recent call last):
    helpers.data.MnistFileNotFoundError: /no/such/mnist.npz does not exist. Check the name and the folder.
    """
    kind = path_kind(path)
    if kind == "missing":
        raise MnistFileNotFoundError(f"{path} does not exist. {missing_hint}")
    if kind == "folder":
        raise MnistFileAccessError(folder_not_file_message(path, look_for))
    try:
        return open(path, "rb")  # the caller closes it
    except PermissionError:
        raise MnistFileAccessError(
            f"cannot read {path}: permission denied. Make it readable (in a terminal: "
            f"chmod u+r '{path}'), or copy it to a folder of yours and use the copy."
        ) from None
    except OSError as error:
        raise MnistFileAccessError(
            f"cannot read {path} ({error.strerror or error}). Copy it to a local folder and use "
            "the copy, or delete it and get it again."
        ) from None


def folder_not_file_message(path: Path, look_for: Sequence[str] = ()) -> str:
    """What to say when ``path`` is a folder where a file belongs, pointing at files inside it.

    >>> folder_not_file_message(Path("/tmp"), look_for=["no-such-*.npz"])
    '/tmp is a folder, not a file. Point to the file itself.'
    """
    found = [str(match) for pattern in look_for for match in _matches(path, pattern)]
    if found:
        return f"{path} is a folder, not a file. It holds {', '.join(found[:4])}: point to that instead."
    return f"{path} is a folder, not a file. Point to the file itself."


def _matches(folder: Path, pattern: str) -> list[Path]:
    try:
        return sorted(match for match in folder.glob(pattern) if match.is_file())
    except OSError:  # a folder we may not list: then there is nothing to point at
        return []


def looks_like_html(head: bytes) -> bool:
    """Whether the first bytes of a file are a web page (a login or error page saved as data).

    >>> looks_like_html(b"  <!DOCTYPE html><html><body>Please log in"), looks_like_html(b"PK\\x03\\x04")
    (True, False)
    """
    start = head[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or (
        start.startswith(b"<") and b"<html" in start
    )


def html_page_message(path: Path, expected_name: str) -> str:
    """The message for a web page saved under a data file's name.

    >>> print(html_page_message(Path("mnist.npz"), "mnist.npz"))  # doctest: +ELLIPSIS
    mnist.npz is an HTML page, not MNIST data: the download was probably intercepted...
    """
    return (
        f"{path} is an HTML page, not MNIST data: the download was probably intercepted (a Wi-Fi "
        "login page, a proxy or a server's error page was saved under this name). Delete "
        f"{path} and run again once a web page opens normally in your browser, or put a copy of "
        f"the original file at <folder>/mnist/{expected_name} and set COURSE_DATA_DIR=<folder>."
    )


def safe_reason(error: BaseException) -> str:
    """An error's text fit for a student: NumPy's advice to load pickles is never passed on.

    >>> safe_reason(ValueError("Object arrays cannot be loaded when allow_pickle=False"))
    'it holds pickled Python objects, which the course never loads'
    """
    text = str(error) or type(error).__name__
    if "pickle" in text.lower():
        return "it holds pickled Python objects, which the course never loads"
    return text


def read_mnist_npz(path: str | os.PathLike) -> MnistSplits:
    """Load and check one ``mnist.npz`` in the layout of ``keras.datasets.mnist``.

    >>> (x_train, y_train), (x_test, y_test) = read_mnist_npz("mnist.npz")  # doctest: +SKIP
    """
    path = Path(path)
    with open_for_reading(path, look_for=NPZ_IN_FOLDER) as handle:
        _check_npz_signature(path, handle.read(1024))
        handle.seek(0)
        arrays = _read_npz_arrays(path, handle)
    check_mnist_arrays(arrays, source=str(path))
    warn_if_not_mnist(arrays, source=str(path))
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _check_npz_signature(path: Path, head: bytes) -> None:
    """Name what the file is when its first bytes are not those of a zip archive (an .npz)."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return
    if not head:
        problem = "is empty (0 bytes): a download or copy that never got going"
    elif head.startswith(b"\x93NUMPY"):
        raise MnistDataError(
            f"{path} is a single NumPy array saved with np.save (a .npy file) and renamed to .npz. "
            "MNIST's .npz holds four arrays, x_train, y_train, x_test and y_test: save them with "
            "np.savez(path, x_train=..., y_train=..., x_test=..., y_test=...), or use the original "
            "mnist.npz."
        )
    elif looks_like_html(head):
        raise MnistDataError(html_page_message(path, "mnist.npz"))
    elif head.startswith(b"\x80"):
        problem = (
            "is a Python pickle, not an .npz archive; the course never loads pickles, because "
            "opening one can run any code it contains"
        )
    elif head.startswith(b"\x1f\x8b"):
        problem = (
            "is gzip-compressed, not an .npz archive (perhaps one of the *-ubyte.gz IDX files, "
            "which helpers.read_idx reads)"
        )
    else:
        problem = (
            f"is not an .npz archive: it starts with {head[:8]!r}, where an .npz starts with b'PK'"
        )
    raise MnistDataError(
        f"{path} {problem}. Point to the original mnist.npz, or delete this file and run again."
    )


def _read_npz_arrays(path: Path, handle: BinaryIO) -> dict[str, np.ndarray]:
    """The four arrays of an archive whose signature is fine; damage and pickles get clear errors."""
    try:
        with np.load(handle, allow_pickle=False) as archive:
            missing = sorted(set(EXPECTED_ARRAYS) - set(archive.files))
            if missing:
                raise MnistDataError(
                    f"{path} is not MNIST: it lacks the arrays {missing} (expected "
                    f"{sorted(EXPECTED_ARRAYS)}). Point to the right file or delete this one."
                )
            return {name: _read_member(path, archive, name) for name in EXPECTED_ARRAYS}
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError, ValueError) as error:
        raise MnistDataError(
            f"{path} is not a readable .npz archive ({safe_reason(error)}): it is damaged or was "
            "truncated by an interrupted download or copy. Delete it and run again (or copy it "
            "again)."
        ) from None


def _read_member(path: Path, archive, name: str) -> np.ndarray:
    try:
        value = archive[name]
    except ValueError as error:
        if "pickle" not in str(error).lower():
            raise
        raise MnistDataError(
            f"{path}: {name} holds Python objects (an array of dtype object, stored as a pickle), "
            "not plain numbers. The course never loads pickled data, because opening it can run "
            "any code it contains. Use the original mnist.npz, or save the arrays as uint8 "
            "numbers with np.savez."
        ) from None
    if not isinstance(value, np.ndarray):
        raise MnistDataError(
            f"{path}: {name} is not a NumPy array (the archive holds a file of another kind under "
            "that name). Use the original mnist.npz."
        )
    return value


def check_mnist_arrays(arrays: dict[str, np.ndarray], source: str = "the data") -> None:
    """Raise :class:`MnistDataError` unless the arrays have MNIST's shapes, dtype and labels.

    >>> check_mnist_arrays({"x_train": np.zeros((2, 28, 28))})  # doctest: +SKIP
    Traceback (most recent call last):
    MnistDataError: ...
    """
    missing = sorted(set(EXPECTED_ARRAYS) - set(arrays))
    if missing:
        raise MnistDataError(
            f"{source} is not MNIST: it lacks the arrays {missing} (expected "
            f"{sorted(EXPECTED_ARRAYS)}). Point to the right file or delete this one."
        )
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


def content_fingerprint(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 of the labels and the first 100 images of each split: cheap, and format-blind.

    >>> (x_train, y_train), (x_test, y_test) = load_mnist()  # doctest: +SKIP
    >>> splits = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}  # doctest: +SKIP
    >>> content_fingerprint(splits) == MNIST_FINGERPRINT  # doctest: +SKIP
    True
    """
    digest = hashlib.sha256()
    for name in ("x_train", "y_train", "x_test", "y_test"):
        array = arrays[name][:100] if name.startswith("x") else arrays[name]
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def warn_if_not_mnist(arrays: dict[str, np.ndarray], source: str = "the data") -> None:
    """Warn (:class:`NotMnistWarning`) when arrays shaped like MNIST hold another data set.

    >>> warn_if_not_mnist(fake_arrays, source="fake.npz")  # doctest: +SKIP
    NotMnistWarning: fake.npz has MNIST's shapes and dtype but not its contents...
    """
    fingerprint = content_fingerprint(arrays)
    if fingerprint == MNIST_FINGERPRINT:
        return
    if fingerprint == FASHION_MNIST_FINGERPRINT:
        what = "it is Fashion-MNIST (pictures of clothes), not MNIST's handwritten digits"
    else:
        what = "its images or labels differ from MNIST's: a different data set, or a modified copy"
    warnings.warn(
        f"{source} has MNIST's shapes and dtype but not its contents: {what}. Training works, "
        "but the results will not match the course's numbers; use the original mnist.npz.",
        NotMnistWarning,
        stacklevel=3,
    )


def load_mnist(path: str | os.PathLike | None = None) -> MnistSplits:
    """Return ``(x_train, y_train), (x_test, y_test)`` exactly like ``keras.datasets.mnist.load_data()``.

    >>> (x_train, y_train), (x_test, y_test) = load_mnist()
    >>> (x_train, y_train), _ = load_mnist("~/data/mnist.npz")  # doctest: +SKIP
    """
    if path is not None:
        return read_mnist_npz(_explicit_file(Path(path).expanduser()))

    folder = course_data_folder()  # an error when set but wrong: never a silent fallback
    if folder is not None:
        if path_kind(folder / "mnist.npz") == "missing":
            raise course_data_dir_error(f"{folder / 'mnist.npz'} does not exist")
        return read_mnist_npz(folder / "mnist.npz")

    tried = ["COURSE_DATA_DIR: not set"]
    cached = keras_cache_file()
    if path_kind(cached) != "missing":
        return read_mnist_npz(cached)  # a folder there gets its own clear error
    tried.append(f"Keras cache: {cached} does not exist")

    try:
        downloaded = _download_with_keras()
    except Exception as error:  # Keras raises bare Exception for network failures
        tried.append(f"download from {KERAS_ORIGIN} failed: {safe_reason(error)}")
        raise MnistNotFoundError(
            "Could not find or download MNIST.\nTried:\n  - "
            + "\n  - ".join(tried)
            + "\n"
            + HOW_TO_GET_DATA
        ) from None
    return read_mnist_npz(downloaded)


def _explicit_file(path: Path) -> Path:
    kind = path_kind(path)
    if kind == "file":
        return path
    if kind == "folder" and path.suffix == ".npz":
        raise MnistFileAccessError(folder_not_file_message(path, NPZ_IN_FOLDER))
    candidates = [path] if kind == "missing" else [path / name for name in NPZ_IN_FOLDER]
    for candidate in candidates:
        if path_kind(candidate) != "missing":
            return candidate
    raise MnistFileNotFoundError(
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
