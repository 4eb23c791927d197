"""Read MNIST's original IDX files, the format Yann LeCun published the data in.

An IDX file is a tiny header followed by raw bytes:

* 4 bytes of "magic number": two zero bytes, one byte for the data type
  (``0x08`` = unsigned byte) and one byte for the number of dimensions;
* one big-endian 4-byte size per dimension;
* the values, row after row.

    >>> images = read_idx(mnist_idx_file("t10k-images-idx3-ubyte"))
    >>> images.shape
    (10000, 28, 28)
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import math
import os
import tempfile
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .data import (
    FriendlyError,
    MnistFileAccessError,
    MnistNotFoundError,
    course_data_dir_error,
    course_data_folder,
    folder_not_file_message,
    html_page_message,
    keras_cache_file,
    looks_like_html,
    open_for_reading,
    path_kind,
    safe_reason,
)

IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

# SHA-256 of each file's uncompressed bytes; the same for every faithful copy of MNIST.
MNIST_IDX_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
IDX_MIRROR = "https://storage.googleapis.com/cvdf-datasets/mnist/"
IDX_IN_FOLDER = ("*-ubyte.gz", "*-ubyte", "mnist/*-ubyte.gz")  # what a folder may hold instead
MAX_IDX_BYTES = 2**32  # a header promising more is damaged: MNIST's biggest file is 47 MB


class IdxFormatError(FriendlyError, ValueError):
    """The bytes are not a well-formed IDX file."""


@dataclass(frozen=True)
class IdxHeader:
    """What the first bytes of an IDX file say about the rest.

    >>> parse_idx_header(bytes([0, 0, 8, 1, 0, 0, 0, 3]))
    IdxHeader(dtype='>u1', shape=(3,), size=8)
    """

    dtype: str
    shape: tuple[int, ...]
    size: int  # bytes taken by the header itself


def parse_idx_header(raw: bytes) -> IdxHeader:
    """Decode the magic number and dimension sizes at the start of ``raw``.

    >>> parse_idx_header(bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28])).shape
    (2, 28, 28)
    """
    if len(raw) < 4:
        raise IdxFormatError(
            f"only {len(raw)} bytes: an IDX file starts with a 4-byte magic number."
        )
    zero_a, zero_b, type_code, ndim = raw[:4]
    if zero_a or zero_b or type_code not in IDX_DTYPES:
        raise IdxFormatError(
            f"magic number {raw[:4].hex(' ')} is not IDX (expected 00 00 <type> <ndim>, "
            f"type one of {', '.join(hex(code) for code in IDX_DTYPES)}). Is this really an "
            "*-ubyte file, and was a .gz file decompressed?"
        )
    size = 4 + 4 * ndim
    if len(raw) < size:
        raise IdxFormatError(
            f"the header promises {ndim} dimensions but the file ends after {len(raw)} bytes."
        )
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return IdxHeader(dtype=IDX_DTYPES[type_code], shape=shape, size=size)


def decode_idx(raw: bytes) -> np.ndarray:
    """Turn the bytes of a whole IDX file into an array of the shape its header gives.

    >>> decode_idx(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]))
    array([7, 8, 9], dtype=uint8)
    """
    header = parse_idx_header(raw)
    expected = math.prod(header.shape) * np.dtype(header.dtype).itemsize  # exact: no overflow
    payload = len(raw) - header.size
    if payload != expected:
        shape = " x ".join(map(str, header.shape))
        if expected > MAX_IDX_BYTES:
            problem = "the header is damaged (no IDX file of MNIST is anywhere near that big)"
        else:
            problem = "it is truncated" if payload < expected else "it has extra bytes at the end"
        raise IdxFormatError(
            f"the header says {shape} values ({expected} bytes) but the file holds {payload}: "
            f"{problem}. Download it again."
        )
    values = np.frombuffer(raw, dtype=header.dtype, offset=header.size).reshape(header.shape)
    return values.astype(values.dtype.newbyteorder("="))


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, gzip-compressed (``.gz``) or not, into a NumPy array.

    >>> labels = read_idx("t10k-labels-idx1-ubyte.gz")  # doctest: +SKIP
    """
    path = Path(path)
    missing_hint = "Check the name, or use mnist_idx_file() to find (or download) MNIST's files."
    with open_for_reading(path, look_for=IDX_IN_FOLDER, missing_hint=missing_hint) as handle:
        stored = handle.read()
    raw = idx_bytes(path, stored)
    try:
        return decode_idx(raw)
    except IdxFormatError as error:
        raise IdxFormatError(f"{path}: {error}") from None


def idx_bytes(path: Path, stored: bytes) -> bytes:
    """The uncompressed IDX bytes of a file's contents, or an error that says what the file is.

    A ``.gz`` file that holds plain IDX bytes (some browsers decompress a download but keep its
    name) is read as it is.

    >>> idx_bytes(Path("labels.gz"), gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 0])))
    b'\\x00\\x00\\x08\\x01\\x00\\x00\\x00\\x00'
    """
    if looks_like_html(stored[:1024]):
        raise IdxFormatError(html_page_message(path, path.name))
    if path.suffix != ".gz" or stored.startswith(b"\x00\x00"):
        return stored
    again = (
        f"Delete {path} and get it again: mnist_idx_file() downloads and checks a fresh copy, "
        "or copy the original file there."
    )
    if not stored.startswith(b"\x1f\x8b"):
        what = "it is empty (0 bytes)" if not stored else f"it starts with {stored[:4].hex(' ')}"
        raise IdxFormatError(
            f"{path} is not a readable gzip file: {what}, where gzip starts with 1f 8b. {again}"
        )
    try:
        return gzip.decompress(stored)
    except EOFError:
        raise IdxFormatError(
            f"{path} is cut short: its gzip data stops before the end, so the download or copy "
            f"was interrupted. {again}"
        ) from None
    except (OSError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
        raise IdxFormatError(
            f"{path} is not a readable gzip file: it is damaged ({safe_reason(error)}). {again}"
        ) from None


def mnist_idx_file(name: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Find one of MNIST's four original ``.gz`` files, downloading it (checked) if needed.

    Looks in ``data_dir``, then ``$COURSE_DATA_DIR/mnist/`` (when the variable is set, the file
    must be there: a wrong folder is an error, as in ``load_mnist``), then the Keras cache folder.

        >>> mnist_idx_file("t10k-labels-idx1-ubyte").name  # doctest: +SKIP
        't10k-labels-idx1-ubyte.gz'
    """
    if name not in MNIST_IDX_SHA256:
        raise ValueError(
            f"{name!r} is not an MNIST file; choose one of {sorted(MNIST_IDX_SHA256)}."
        )
    file_name = f"{name}.gz"
    tried = []
    if data_dir is not None:
        tried.append(Path(data_dir).expanduser())
        if _is_present(tried[-1] / file_name):
            return tried[-1] / file_name
    configured = course_data_folder()  # an error when set but wrong
    if configured is not None:
        if not _is_present(configured / file_name):
            raise course_data_dir_error(f"{configured / file_name} does not exist")
        return configured / file_name
    cache = keras_cache_file().parent / "mnist-idx"
    tried.append(cache)
    if _is_present(cache / file_name):
        return cache / file_name
    return _download_idx(name, cache, tried=tried)


def _is_present(path: Path) -> bool:
    """Whether the file is there; a folder in its place is an error, not a reason to look on."""
    kind = path_kind(path)
    if kind == "folder":
        raise MnistFileAccessError(folder_not_file_message(path, IDX_IN_FOLDER))
    return kind == "file"


def _download_idx(name: str, cache: Path, tried: list[Path]) -> Path:
    url = IDX_MIRROR + f"{name}.gz"
    compressed = _fetch(url, tried)
    _verify_download(name, url, compressed)
    return _save_atomically(cache / f"{name}.gz", compressed)


def _fetch(url: str, tried: list[Path]) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.read()
    except (OSError, http.client.HTTPException) as error:
        if isinstance(error, http.client.IncompleteRead):
            reason = f"the connection broke off after {len(error.partial)} bytes"
        else:
            reason = safe_reason(error)
        raise MnistNotFoundError(
            f"{url.rsplit('/', 1)[-1]} is not in {', '.join(map(str, tried))} and downloading "
            f"{url} failed ({reason}); nothing was saved. Connect to the internet and run again, "
            "or set COURSE_DATA_DIR to a folder whose mnist/ subfolder holds the original .gz files."
        ) from None


def _verify_download(name: str, url: str, compressed: bytes) -> None:
    """Raise unless the bytes are the right file; nothing is saved before this passes."""
    problem = _download_problem(name, compressed)
    if problem:
        raise MnistNotFoundError(
            f"{url} {problem}; nothing was saved. Or put a copy of the original {name}.gz at "
            "<folder>/mnist/ and set COURSE_DATA_DIR=<folder>."
        )


def _download_problem(name: str, compressed: bytes) -> str | None:
    if looks_like_html(compressed[:1024]):
        return (
            "sent an HTML page, not MNIST: the download was probably intercepted (a Wi-Fi login "
            "page, a proxy or a firewall). Open any web page in a browser to log in to the "
            "network, then run again"
        )
    try:
        raw = gzip.decompress(compressed)
    except EOFError:
        return "sent a file that stops halfway (the download broke off). Run again"
    except (OSError, zlib.error) as error:
        return f"sent a damaged file ({safe_reason(error)}). Try again later"
    digest = hashlib.sha256(raw).hexdigest()
    if digest != MNIST_IDX_SHA256[name]:
        return f"sent a file with the wrong checksum ({digest}). Try again later"
    return None


def _save_atomically(target: Path, data: bytes) -> Path:
    """Write to a temporary name beside ``target``, then rename: never a half file under its name."""
    part = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            dir=target.parent, prefix=f".{target.name}.", suffix=".part", delete=False
        ) as handle:
            part = Path(handle.name)
            handle.write(data)
        os.replace(part, target)
        part = None
    except OSError as error:
        raise MnistFileAccessError(
            f"downloaded {target.name} but could not save it in {target.parent} "
            f"({error.strerror or safe_reason(error)}). Set KERAS_HOME to a folder you can write "
            "to, or set COURSE_DATA_DIR to a folder whose mnist/ subfolder holds the .gz files."
        ) from None
    finally:
        if part is not None:
            part.unlink(missing_ok=True)
    return target
