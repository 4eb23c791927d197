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
import os
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .data import FriendlyError, MnistNotFoundError, course_data_file, keras_cache_file

IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

# SHA-256 of each file's uncompressed bytes; the same for every faithful copy of MNIST.
MNIST_IDX_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
IDX_MIRROR = "https://storage.googleapis.com/cvdf-datasets/mnist/"


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
    item_size = np.dtype(header.dtype).itemsize
    expected = int(np.prod(header.shape, dtype=np.int64)) * item_size
    payload = len(raw) - header.size
    if payload != expected:
        shape = " x ".join(map(str, header.shape))
        problem = "is truncated" if payload < expected else "has extra bytes at the end"
        raise IdxFormatError(
            f"the header says {shape} values ({expected} bytes) but the file holds {payload}: "
            f"it {problem}. Download it again."
        )
    values = np.frombuffer(raw, dtype=header.dtype, offset=header.size).reshape(header.shape)
    return values.astype(values.dtype.newbyteorder("="))


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, gzip-compressed (``.gz``) or not, into a NumPy array.

    >>> labels = read_idx("t10k-labels-idx1-ubyte.gz")  # doctest: +SKIP
    """
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path} does not exist. Check the name, or use mnist_idx_file()."
        ) from None
    except (OSError, EOFError, zlib.error) as error:
        raise IdxFormatError(
            f"{path} is not a readable gzip file ({error}). Download it again."
        ) from None
    try:
        return decode_idx(raw)
    except IdxFormatError as error:
        raise IdxFormatError(f"{path}: {error}") from None


def mnist_idx_file(name: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Find one of MNIST's four original ``.gz`` files, downloading it (checked) if needed.

    Looks in ``data_dir``, then ``$COURSE_DATA_DIR/mnist/``, then the Keras cache folder.

        >>> mnist_idx_file("t10k-labels-idx1-ubyte").name  # doctest: +SKIP
        't10k-labels-idx1-ubyte.gz'
    """
    if name not in MNIST_IDX_SHA256:
        raise ValueError(
            f"{name!r} is not an MNIST file; choose one of {sorted(MNIST_IDX_SHA256)}."
        )
    file_name = f"{name}.gz"
    folders = [Path(data_dir).expanduser()] if data_dir is not None else []
    configured = course_data_file()
    if configured is not None:
        folders.append(configured.parent)
    cache = keras_cache_file().parent / "mnist-idx"
    folders.append(cache)
    for folder in folders:
        if (folder / file_name).is_file():
            return folder / file_name
    return _download_idx(name, cache, tried=folders)


def _download_idx(name: str, cache: Path, tried: list[Path]) -> Path:
    target = cache / f"{name}.gz"
    url = IDX_MIRROR + target.name
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            compressed = response.read()
    except OSError as error:
        raise MnistNotFoundError(
            f"{target.name} is not in {', '.join(map(str, tried))} and downloading {url} failed "
            f"({error}). Connect to the internet and run again, or set COURSE_DATA_DIR to a folder "
            f"whose mnist/ subfolder holds the original .gz files."
        ) from None
    digest = hashlib.sha256(gzip.decompress(compressed)).hexdigest()
    if digest != MNIST_IDX_SHA256[name]:
        raise MnistNotFoundError(
            f"{url} sent a file with the wrong checksum ({digest}); nothing was saved. Try again later."
        )
    cache.mkdir(parents=True, exist_ok=True)
    target.write_bytes(compressed)
    return target
