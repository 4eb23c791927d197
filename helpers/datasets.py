"""MNIST and its harder siblings, loaded by name with one function.

    >>> fashion = load_dataset("fashion_mnist")
    >>> (x_train, y_train), (x_test, y_test) = fashion        # unpacks like keras.datasets
    >>> fashion.class_names[y_train[0]]
    'Ankle boot'

| name | what | classes | images (train / test) | download |
| --- | --- | --- | --- | --- |
| ``mnist`` | handwritten digits | 10 | 60,000 / 10,000 | 11 MB (``load_mnist``) |
| ``fashion_mnist`` | Zalando's pictures of clothes | 10 | 60,000 / 10,000 | 30 MB |
| ``kmnist`` | Kuzushiji: cursive Japanese hiragana | 10 | 60,000 / 10,000 | 21 MB |
| ``emnist_digits`` | NIST digits, more writers | 10 | 240,000 / 40,000 | 562 MB, on request |
| ``emnist_letters`` | NIST letters, upper and lower case merged | 26 | 124,800 / 20,800 | 562 MB, on request |

Where it looks for a data set ``<name>``, in order (``mnist`` itself: see ``load_mnist``):

1. the ``path`` you pass: a folder holding its files (or a ``<name>/`` folder inside it);
2. ``$COURSE_DATA_DIR/<name>/`` when the variable is set. The folder set in the variable must
   exist; a data set that is not in it is looked for further on, since a course folder often
   holds MNIST alone;
3. the Keras cache, ``~/.keras/datasets/<folder>/`` (or under ``$KERAS_HOME``), where
   ``keras.datasets.fashion_mnist`` keeps its copy too;
4. a download into that cache, checked against the MD5 checksums the data sets publish
   (``keras.datasets.fashion_mnist`` checks none). EMNIST's one archive is 562 MB, so it is
   downloaded only when asked: ``load_dataset("emnist_letters", download=True)``.

Every file is checked (gzip, IDX header, size, shapes, labels) and every problem gets a message
that says what to do. EMNIST's images are stored transposed; they come back upright, like MNIST's.
EMNIST's letters are labelled 1-26 in the files and 0-25 here (0 = "A/a").
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.request
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .data import (
    DatasetError,
    DatasetNotFoundError,
    keras_cache_file,
    load_mnist,
    looks_like_html,
    open_for_reading,
    path_kind,
    safe_reason,
)
from .idx import IdxFormatError, decode_idx, idx_bytes

ROLES = ("x_train", "y_train", "x_test", "y_test")
IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
DOWNLOAD_CHUNK = 1 << 20


class DatasetWarning(UserWarning):
    """A local file that loads fine but is not byte-for-byte the published one."""


@dataclass(frozen=True)
class Archive:
    """One zip that holds several data sets' files (EMNIST's ``gzip.zip``)."""

    file_name: str
    url: str
    md5: str
    megabytes: int
    member_folder: str  # the folder inside the zip that holds the .gz files


@dataclass(frozen=True)
class DatasetSpec:
    """What a data set's files are called, where they come from and what they must hold.

    >>> DATASETS["kmnist"].sizes
    (60000, 10000)
    """

    name: str
    title: str
    class_names: tuple[str, ...]
    sizes: tuple[int, int]  # images in the training and the test split
    cache_folder: str  # under ~/.keras/datasets/
    file_names: dict[str, str] = field(default_factory=lambda: dict(IDX_NAMES))
    url: str = ""  # the folder the four files are downloaded from
    md5: dict[str, str] = field(default_factory=dict)  # of each .gz file, as published
    megabytes: int = 0
    archive: Archive | None = None
    label_offset: int = 0  # subtracted from the stored labels
    transposed: bool = False  # stored column by column: transpose back
    licence: str = ""

    @property
    def downloads_by_default(self) -> bool:
        return self.archive is None


@dataclass(frozen=True, repr=False)
class Dataset:
    """Images and labels of one data set, with its class names.

    Unpacks like ``keras.datasets.*.load_data()``:

        >>> (x_train, y_train), (x_test, y_test) = load_dataset("fashion_mnist")  # doctest: +SKIP
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: str

    def __iter__(self):
        yield self.x_train, self.y_train
        yield self.x_test, self.y_test

    def __repr__(self) -> str:
        return (
            f"<Dataset {self.name}: {len(self.x_train):,} training and {len(self.x_test):,} test "
            f"images of {self.x_train.shape[1]} x {self.x_train.shape[2]}, "
            f"{len(self.class_names)} classes, from {self.source}>"
        )


EMNIST_ARCHIVE = Archive(
    file_name="gzip.zip",
    url="https://www.itl.nist.gov/iaui/vip/cs_links/EMNIST/gzip.zip",
    md5="58c8d27c78d21e728a6bc7b3cc06412e",
    megabytes=562,
    member_folder="gzip",
)


def _emnist_names(split: str) -> dict[str, str]:
    return {role: f"emnist-{split}-{name}" for role, name in IDX_NAMES.items()}


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in [
        DatasetSpec(
            name="mnist",
            title="MNIST",
            class_names=tuple("0123456789"),
            sizes=(60000, 10000),
            cache_folder="",
            licence="CC BY-SA 3.0 (Yann LeCun and Corinna Cortes)",
        ),
        DatasetSpec(
            name="fashion_mnist",
            title="Fashion-MNIST",
            class_names=(
                "T-shirt/top",
                "Trouser",
                "Pullover",
                "Dress",
                "Coat",
                "Sandal",
                "Shirt",
                "Sneaker",
                "Bag",
                "Ankle boot",
            ),
            sizes=(60000, 10000),
            cache_folder="fashion-mnist",  # where keras.datasets.fashion_mnist keeps it too
            url="https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
            md5={
                "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
                "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
                "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
            },
            megabytes=30,
            licence="MIT (Zalando Research)",
        ),
        DatasetSpec(
            name="kmnist",
            title="KMNIST",
            # お き す つ な は ま や れ を, in romaji: plot fonts rarely have the kana
            class_names=("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"),
            sizes=(60000, 10000),
            cache_folder="kmnist",
            url="http://codh.rois.ac.jp/kmnist/dataset/kmnist/",
            md5={
                "train-images-idx3-ubyte.gz": "bdb82020997e1d708af4cf47b453dcf7",
                "train-labels-idx1-ubyte.gz": "e144d726b3acfaa3e44228e80efcd344",
                "t10k-images-idx3-ubyte.gz": "5c965bf0a639b31b8f53240b1b52f4d7",
                "t10k-labels-idx1-ubyte.gz": "7320c461ea6c1c855c0b718fb2a4b134",
            },
            megabytes=21,
            licence="CC BY-SA 4.0 (ROIS-DS CODH, 'KMNIST Dataset', doi:10.20676/00000341)",
        ),
        DatasetSpec(
            name="emnist_digits",
            title="EMNIST digits",
            class_names=tuple("0123456789"),
            sizes=(240000, 40000),
            cache_folder="emnist",
            file_names=_emnist_names("digits"),
            archive=EMNIST_ARCHIVE,
            transposed=True,
            licence="public domain (NIST); cite Cohen et al., 2017",
        ),
        DatasetSpec(
            name="emnist_letters",
            title="EMNIST letters",
            class_names=tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
            sizes=(124800, 20800),
            cache_folder="emnist",
            file_names=_emnist_names("letters"),
            archive=EMNIST_ARCHIVE,
            label_offset=1,
            transposed=True,
            licence="public domain (NIST); cite Cohen et al., 2017",
        ),
    ]
}


def load_dataset(
    name: str, path: str | os.PathLike | None = None, *, download: bool | None = None
) -> Dataset:
    """Load a data set by name: images (N, 28, 28) uint8, labels 0..classes-1, and class names.

    ``download=None`` downloads what is missing except EMNIST's 562 MB archive, which needs
    ``download=True``; ``download=False`` never downloads.

        >>> kmnist = load_dataset("kmnist")  # doctest: +SKIP
        >>> letters = load_dataset("emnist_letters", download=True)  # doctest: +SKIP
    """
    spec = dataset_spec(name)
    if spec.name == "mnist":
        (x_train, y_train), (x_test, y_test) = load_mnist(path)
        where = str(path) if path is not None else "load_mnist()"
        return Dataset(spec.name, x_train, y_train, x_test, y_test, spec.class_names, where)
    folder, tried = _find_folder(spec, path)
    if folder is None:
        folder = _download(spec, tried, download)
    return _read_folder(spec, folder)


def dataset_spec(name: str) -> DatasetSpec:
    """The registry entry for ``name``; an unknown name gets the list of known ones.

    >>> dataset_spec("fashion_mnist").class_names[0]
    'T-shirt/top'
    """
    if not isinstance(name, str) or name.strip().lower().replace("-", "_") not in DATASETS:
        known = ", ".join(repr(known) for known in DATASETS)
        hint = ""
        if isinstance(name, str) and name.strip().lower() in ("emnist", "emnist_balanced"):
            hint = " EMNIST comes as two of its splits here: 'emnist_digits' and 'emnist_letters'."
        raise DatasetError(f"There is no data set called {name!r}. Choose one of {known}.{hint}")
    return DATASETS[name.strip().lower().replace("-", "_")]


def cache_folder(spec: DatasetSpec) -> Path:
    """Where the Keras cache keeps a data set's files.

    >>> cache_folder(DATASETS["fashion_mnist"]).name
    'fashion-mnist'
    """
    return keras_cache_file().parent / spec.cache_folder


# --- finding the files -------------------------------------------------------------------------


def _find_folder(spec: DatasetSpec, path) -> tuple[Path | None, list[str]]:
    """The first folder of the lookup order that holds the data set, and what was looked at."""
    tried: list[str] = []
    if path is not None:
        explicit = Path(path).expanduser()
        for candidate in (explicit, explicit / spec.name):
            if _holds(spec, candidate):
                return candidate, tried
        raise DatasetNotFoundError(
            f"load_dataset({spec.name!r}, path={str(path)!r}): {_absent(spec, explicit)}. "
            f"Point path to the folder that holds {_file_list(spec)}, or leave path out to use "
            "COURSE_DATA_DIR, the Keras cache or the download."
        )
    root = _course_data_root()
    if root is not None:
        for candidate in dict.fromkeys([root / spec.name, root / spec.cache_folder]):
            if _holds(spec, candidate):
                return candidate, tried
        tried.append(f"COURSE_DATA_DIR: {_absent(spec, root / spec.name)}")
    else:
        tried.append("COURSE_DATA_DIR: not set")
    cache = cache_folder(spec)
    if _holds(spec, cache):
        return cache, tried
    tried.append(f"Keras cache: {_absent(spec, cache)}")
    return None, tried


def _course_data_root() -> Path | None:
    value = os.environ.get("COURSE_DATA_DIR", "").strip()
    if not value:
        return None
    root = Path(value).expanduser()
    kind = path_kind(root)
    if kind != "folder":
        problem = "that folder does not exist" if kind == "missing" else "that is a file"
        raise DatasetNotFoundError(
            f"COURSE_DATA_DIR is set to {value!r}, but {problem}. It must name a folder with one "
            "subfolder per data set (mnist/, fashion_mnist/, ...). Fix the variable, or unset it "
            "to use the Keras cache and the download."
        )
    return root


def _holds(spec: DatasetSpec, folder: Path) -> bool:
    """Whether ``folder`` holds the data set; a folder with only some of its files is an error."""
    if path_kind(folder) != "folder":
        return False
    present = [name for name in spec.file_names.values() if path_kind(folder / name) != "missing"]
    if len(present) == len(spec.file_names):
        return True
    if spec.archive is not None and path_kind(folder / spec.archive.file_name) != "missing":
        return True
    if present and folder != cache_folder(spec):  # the cache fills itself in; others must not
        missing = sorted(set(spec.file_names.values()) - set(present))
        raise DatasetNotFoundError(
            f"{folder} holds part of {spec.title}: {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing. Copy the missing files there "
            "(the original .gz files, unchanged), or remove the folder to download them."
        )
    return False


def _absent(spec: DatasetSpec, folder: Path) -> str:
    kind = path_kind(folder)
    if kind == "missing":
        return f"{folder} does not exist"
    if kind == "file":
        return f"{folder} is a file, not a folder"
    return f"{folder} does not hold {_file_list(spec)}"


def _file_list(spec: DatasetSpec) -> str:
    names = list(spec.file_names.values())
    if spec.archive is not None:
        return f"{spec.archive.file_name} (or {', '.join(names)})"
    return ", ".join(names)


# --- downloading -------------------------------------------------------------------------------


def _download(spec: DatasetSpec, tried: list[str], download: bool | None) -> Path:
    """Download what the cache lacks, checked, and return the cache folder."""
    if download is None:
        download = spec.downloads_by_default
    where = cache_folder(spec)
    if not download:
        if spec.archive is not None:
            advice = (
                f"{spec.title} comes in one {spec.archive.megabytes} MB archive with all of "
                f"EMNIST's splits, so it is downloaded only when you ask: "
                f"load_dataset({spec.name!r}, download=True) (minutes on a fast connection)."
            )
        else:
            advice = f"Call load_dataset({spec.name!r}) to download it ({spec.megabytes} MB)."
        raise DatasetNotFoundError(
            f"{spec.title} is not on this computer.\nTried:\n  - "
            + "\n  - ".join(tried)
            + f"\n{advice}\n{_local_copy_advice(spec)}"
        )
    if spec.archive is not None:
        _fetch_checked(spec.archive.url, where / spec.archive.file_name, spec.archive.md5, tried)
    else:
        for file_name in spec.file_names.values():
            if path_kind(where / file_name) == "missing":
                _fetch_checked(spec.url + file_name, where / file_name, spec.md5[file_name], tried)
    return where


def _local_copy_advice(spec: DatasetSpec) -> str:
    return (
        f"Or copy {_file_list(spec)} into <folder>/{spec.name}/ and set COURSE_DATA_DIR=<folder> "
        "before starting Jupyter."
    )


def _fetch_checked(url: str, target: Path, md5: str, tried: list[str]) -> None:
    """Stream ``url`` into a temporary file beside ``target`` and rename it only if its MD5 is
    ``md5``: an interrupted or wrong download never sits under the file's name."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(
            dir=target.parent, prefix=f".{target.name}.", suffix=".part", delete=False
        )
    except OSError as error:
        raise DatasetError(
            f"cannot save {target.name} in {target.parent} ({error.strerror or safe_reason(error)}). "
            "Set KERAS_HOME to a folder you can write to, or copy the files into "
            f"<folder>/{target.parent.name}/ and set COURSE_DATA_DIR=<folder>."
        ) from None
    part = Path(handle.name)
    try:
        with handle:
            size, digest, head = _stream(url, target, tried, handle)
        problem = _download_problem(head, digest, md5, size)
        if problem:
            raise DatasetNotFoundError(
                f"{url} {problem}; nothing was saved. Or put a copy of the original "
                f"{target.name} in <folder>/{target.parent.name}/ and set COURSE_DATA_DIR=<folder>."
            )
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)


def _stream(url: str, target: Path, tried: list[str], sink) -> tuple[int, str, bytes]:
    """Copy ``url`` into ``sink``; return the byte count, the MD5 and the first kilobyte."""
    digest = hashlib.md5(usedforsecurity=False)
    size, head = 0, b""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            expected = response.headers.get("Content-Length")
            while chunk := response.read(DOWNLOAD_CHUNK):
                head = head or chunk[:1024]
                digest.update(chunk)
                sink.write(chunk)
                size += len(chunk)
    except (OSError, http.client.HTTPException) as error:
        if isinstance(error, http.client.IncompleteRead):
            reason = f"the connection broke off after {size + len(error.partial):,} bytes"
        else:
            reason = safe_reason(error)
        raise DatasetNotFoundError(
            f"{target.name} is not on this computer and downloading {url} failed ({reason}); "
            "nothing was saved.\nTried:\n  - "
            + "\n  - ".join(tried)
            + "\nConnect to the internet and run the cell again, or copy the original files into "
            f"<folder>/{target.parent.name}/ and set COURSE_DATA_DIR=<folder>."
        ) from None
    if expected is not None and expected.isdigit() and size < int(expected):
        raise DatasetNotFoundError(
            f"{url} stopped after {size:,} of {int(expected):,} bytes (the download broke off); "
            "nothing was saved. Run the cell again."
        )
    return size, digest.hexdigest(), head


def _download_problem(head: bytes, digest: str, md5: str, size: int) -> str | None:
    if looks_like_html(head):
        return (
            "sent an HTML page, not the data: the download was probably intercepted (a Wi-Fi "
            "login page, a proxy or a firewall). Open any web page in a browser to log in to the "
            "network, then run again"
        )
    if digest != md5:
        return (
            f"sent {size:,} bytes with the wrong checksum (MD5 {digest}, expected {md5}): "
            "a damaged or cut-short download. Run again"
        )
    return None


# --- reading and checking ----------------------------------------------------------------------


def _read_folder(spec: DatasetSpec, folder: Path) -> Dataset:
    stored = _stored_files(spec, folder)
    arrays = {role: _decode(spec, role, name, data) for role, (name, data) in stored.items()}
    _check_arrays(spec, arrays, folder)
    for name, data in stored.values():  # only a file that loads gets this warning, not a broken one
        _warn_if_not_published(spec, folder / name, data)
    if spec.transposed:
        arrays["x_train"] = np.ascontiguousarray(arrays["x_train"].transpose(0, 2, 1))
        arrays["x_test"] = np.ascontiguousarray(arrays["x_test"].transpose(0, 2, 1))
    for role in ("y_train", "y_test"):
        arrays[role] = (arrays[role] - spec.label_offset).astype(np.uint8)
    return Dataset(spec.name, *(arrays[role] for role in ROLES), spec.class_names, str(folder))


def _stored_files(spec: DatasetSpec, folder: Path) -> dict[str, tuple[str, bytes]]:
    """Each role's file name and stored bytes, from the loose files or else the archive."""
    if all(path_kind(folder / name) == "file" for name in spec.file_names.values()):
        stored = {}
        for role, name in spec.file_names.items():
            with open_for_reading(folder / name) as handle:
                stored[role] = (name, handle.read())
        return stored
    return _archive_members(spec, folder / spec.archive.file_name)


def _warn_if_not_published(spec: DatasetSpec, path: Path, data: bytes) -> None:
    published = spec.md5.get(path.name)
    if published and hashlib.md5(data, usedforsecurity=False).hexdigest() != published:
        warnings.warn(
            f"{path} is not byte-for-byte the published file (its MD5 differs): a recompressed "
            "or modified copy. It loads, but results may not match the course's numbers; delete "
            "it to download the original.",
            DatasetWarning,
            stacklevel=3,
        )


def _archive_members(spec: DatasetSpec, archive_path: Path) -> dict[str, tuple[str, bytes]]:
    members = {
        role: f"{spec.archive.member_folder}/{name}" for role, name in spec.file_names.items()
    }
    try:
        with open_for_reading(archive_path) as handle, zipfile.ZipFile(handle) as archive:
            names = set(archive.namelist())
            missing = [member for member in members.values() if member not in names]
            if missing:
                raise DatasetError(
                    f"{archive_path} is not EMNIST's gzip.zip: it lacks {', '.join(missing)}. "
                    "Delete it and download it again with download=True."
                )
            return {role: (member, archive.read(member)) for role, member in members.items()}
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise DatasetError(
            f"{archive_path} is not a readable zip archive ({safe_reason(error)}): damaged or cut "
            "short. Delete it and download it again with download=True."
        ) from None


def _decode(spec: DatasetSpec, role: str, name: str, stored: bytes) -> np.ndarray:
    path = Path(name)
    try:
        return decode_idx(idx_bytes(path, stored))
    except IdxFormatError as error:
        raise DatasetError(
            f"{spec.title}, {name}: {error} Delete the file to download it again."
        ) from None


def _check_arrays(spec: DatasetSpec, arrays: dict[str, np.ndarray], folder: Path) -> None:
    """Raise unless images are (n, 28, 28) uint8 and labels (n,) in range, n as published."""
    train_size, test_size = spec.sizes
    classes = len(spec.class_names)
    for role, count in [("x_train", train_size), ("x_test", test_size)]:
        expected = (count, 28, 28)
        if arrays[role].shape != expected or arrays[role].dtype != np.uint8:
            raise DatasetError(
                f"{folder / spec.file_names[role]} holds {arrays[role].dtype} images of shape "
                f"{arrays[role].shape}, where {spec.title} has uint8 images of shape {expected}. "
                "It is another data set or a damaged copy: replace it with the original file."
            )
    low, high = spec.label_offset, spec.label_offset + classes - 1
    for role, count in [("y_train", train_size), ("y_test", test_size)]:
        labels = arrays[role]
        if labels.shape != (count,) or labels.dtype != np.uint8:
            raise DatasetError(
                f"{folder / spec.file_names[role]} holds {labels.dtype} labels of shape "
                f"{labels.shape}, where {spec.title} has {count:,} uint8 labels. Replace it with "
                "the original file."
            )
        if labels.size and (labels.min() < low or labels.max() > high):
            raise DatasetError(
                f"{folder / spec.file_names[role]} holds labels from {labels.min()} to "
                f"{labels.max()}, where {spec.title} has {low} to {high}. Replace it with the "
                "original file."
            )
