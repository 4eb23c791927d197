"""load_dataset: every data set's lookup order, download checks and messages, offline.

The tests write small IDX files themselves and register them as a data set of a few images
("tiny"); downloads come from a file:// folder standing in for the web server.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import warnings
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from helpers import DATASETS, DatasetError, DatasetNotFoundError, load_dataset
from helpers.datasets import IDX_NAMES, Archive, DatasetSpec, DatasetWarning

TRAIN, TEST = 12, 4


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of a uint8 array: magic 00 00 08 <ndim>, big-endian sizes, the bytes."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def tiny_arrays() -> dict[str, np.ndarray]:
    """Images whose pixel (0, 1) holds the image's index; labels 0, 1, 2, 0, 1, 2, ..."""
    arrays = {}
    for split, count in [("train", TRAIN), ("test", TEST)]:
        images = np.zeros((count, 28, 28), np.uint8)
        images[:, 0, 1] = np.arange(count)
        arrays[f"x_{split}"] = images
        arrays[f"y_{split}"] = (np.arange(count) % 3).astype(np.uint8)
    return arrays


def write_files(folder: Path, arrays: dict[str, np.ndarray], names=IDX_NAMES) -> dict[str, str]:
    """Write the four .gz files; return the MD5 of each, by file name."""
    folder.mkdir(parents=True, exist_ok=True)
    md5 = {}
    for role, name in names.items():
        data = gzip.compress(idx_bytes(arrays[role]), mtime=0)
        (folder / name).write_bytes(data)
        md5[name] = hashlib.md5(data).hexdigest()
    return md5


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No COURSE_DATA_DIR and an empty Keras cache in tmp_path."""
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    return tmp_path


@pytest.fixture
def tiny(offline, monkeypatch):
    """A registered data set "tiny" of 12 + 4 images, 3 classes, served from a file:// folder."""
    server = offline / "server"
    md5 = write_files(server, tiny_arrays())
    spec = DatasetSpec(
        name="tiny",
        title="Tiny",
        class_names=("zero", "one", "two"),
        sizes=(TRAIN, TEST),
        cache_folder="tiny-cache",
        url=server.as_uri() + "/",
        md5=md5,
        megabytes=1,
    )
    monkeypatch.setitem(DATASETS, "tiny", spec)
    return spec


def cache(offline: Path) -> Path:
    return offline / "keras-home" / "datasets" / "tiny-cache"


def test_download_fills_the_cache_and_the_next_load_needs_no_network(tiny, offline):
    dataset = load_dataset("tiny")
    (x_train, y_train), (x_test, y_test) = dataset
    assert x_train.shape == (TRAIN, 28, 28) and x_test.shape == (TEST, 28, 28)
    assert x_test[:, 0, 1].tolist() == [0, 1, 2, 3] and y_train[:4].tolist() == [0, 1, 2, 0]
    assert dataset.class_names[y_train[1]] == "one"
    assert sorted(p.name for p in cache(offline).iterdir()) == sorted(IDX_NAMES.values())
    for served in (offline / "server").iterdir():
        served.unlink()
    assert load_dataset("tiny").source == str(cache(offline))


def test_explicit_folder_or_its_named_subfolder(tiny, tmp_path):
    write_files(tmp_path / "mine" / "tiny", tiny_arrays())
    assert load_dataset("tiny", path=tmp_path / "mine").source.endswith("tiny")
    assert load_dataset("tiny", path=tmp_path / "mine" / "tiny").x_train.shape[0] == TRAIN


def test_explicit_folder_without_the_files_is_an_error_not_a_download(tiny, tmp_path):
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        load_dataset("tiny", path=tmp_path / "nowhere")
    assert not cache(tmp_path).exists()


def test_course_data_dir_comes_before_the_cache(tiny, offline, monkeypatch):
    arrays = tiny_arrays()
    arrays["y_train"][:] = 2
    write_files(offline / "course" / "tiny", arrays)
    write_files(cache(offline), tiny_arrays())
    monkeypatch.setenv("COURSE_DATA_DIR", str(offline / "course"))
    with pytest.warns(DatasetWarning, match="not byte-for-byte"):
        (_, y_train), _ = load_dataset("tiny")
    assert set(y_train.tolist()) == {2}


def test_a_data_set_missing_from_course_data_dir_is_looked_for_further_on(
    tiny, offline, monkeypatch
):
    (offline / "course" / "mnist").mkdir(parents=True)
    monkeypatch.setenv("COURSE_DATA_DIR", str(offline / "course"))
    assert load_dataset("tiny").source == str(cache(offline))


def test_course_data_dir_that_does_not_exist_is_an_error(tiny, offline, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(offline / "typo"))
    with pytest.raises(DatasetNotFoundError, match="COURSE_DATA_DIR is set to .*does not exist"):
        load_dataset("tiny")


def test_a_folder_with_some_of_the_files_names_the_missing_ones(tiny, offline, monkeypatch):
    write_files(offline / "course" / "tiny", tiny_arrays())
    (offline / "course" / "tiny" / "t10k-labels-idx1-ubyte.gz").unlink()
    monkeypatch.setenv("COURSE_DATA_DIR", str(offline / "course"))
    with pytest.raises(DatasetNotFoundError, match="t10k-labels-idx1-ubyte.gz is missing"):
        load_dataset("tiny")


def test_download_false_says_what_was_tried_and_what_to_do(tiny, offline):
    with pytest.raises(DatasetNotFoundError) as caught:
        load_dataset("tiny", download=False)
    message = str(caught.value)
    assert "COURSE_DATA_DIR: not set" in message and "Keras cache" in message
    assert "load_dataset('tiny')" in message and "COURSE_DATA_DIR=<folder>" in message
    assert not cache(offline).exists()


def served(tiny, offline, name: str, data: bytes) -> None:
    (offline / "server" / name).write_bytes(data)


def assert_nothing_saved(offline: Path) -> None:
    folder = cache(offline)
    assert not folder.exists() or not [p for p in folder.iterdir() if "images" in p.name], list(
        folder.iterdir()
    )


def test_wrong_checksum_saves_nothing(tiny, offline):
    arrays = tiny_arrays()
    arrays["x_train"][0, 5, 5] = 255  # another file, as a changed mirror would send
    served(tiny, offline, "train-images-idx3-ubyte.gz", gzip.compress(idx_bytes(arrays["x_train"])))
    with pytest.raises(DatasetNotFoundError, match="wrong checksum.*nothing was saved"):
        load_dataset("tiny")
    assert_nothing_saved(offline)


def test_truncated_download_saves_nothing(tiny, offline):
    whole = (offline / "server" / "train-images-idx3-ubyte.gz").read_bytes()
    served(tiny, offline, "train-images-idx3-ubyte.gz", whole[: len(whole) // 2])
    with pytest.raises(DatasetNotFoundError, match="cut-short download"):
        load_dataset("tiny")
    assert_nothing_saved(offline)


def test_an_intercepted_download_is_named(tiny, offline):
    served(tiny, offline, "train-images-idx3-ubyte.gz", b"<!DOCTYPE html><html>Log in to Wi-Fi")
    with pytest.raises(DatasetNotFoundError, match="HTML page"):
        load_dataset("tiny")
    assert_nothing_saved(offline)


def test_a_failed_connection_says_nothing_was_saved(tiny, offline, monkeypatch):
    monkeypatch.setitem(DATASETS, "tiny", replace(tiny, url=(offline / "gone").as_uri() + "/"))
    with pytest.raises(DatasetNotFoundError, match="failed .*nothing was saved"):
        load_dataset("tiny")
    assert_nothing_saved(offline)


@pytest.mark.parametrize(
    ("role", "change", "message"),
    [
        (
            "x_train",
            lambda a: a[:-1],
            r"shape \(11, 28, 28\), where Tiny has uint8 images of shape \(12, 28, 28\)",
        ),
        ("x_test", lambda a: np.zeros((TEST, 32, 32), np.uint8), r"shape \(4, 32, 32\)"),
        ("y_test", lambda a: a[:3], r"shape \(3,\), where Tiny has 4 uint8 labels"),
        ("y_train", lambda a: np.full_like(a, 7), "labels from 7 to 7, where Tiny has 0 to 2"),
    ],
)
def test_wrong_sizes_and_labels_name_the_file(tiny, tmp_path, role, change, message):
    arrays = tiny_arrays()
    arrays[role] = change(arrays[role])
    write_files(tmp_path / "bad", arrays)
    with pytest.raises(DatasetError, match=message) as caught:
        load_dataset("tiny", path=tmp_path / "bad")
    assert IDX_NAMES[role] in str(caught.value)


def test_a_truncated_local_file_says_delete_it(tiny, tmp_path):
    write_files(tmp_path / "bad", tiny_arrays())
    path = tmp_path / "bad" / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-9])
    with pytest.raises(DatasetError, match="cut short"):
        load_dataset("tiny", path=tmp_path / "bad")


@pytest.mark.parametrize("name", ["fashion", "cifar10", "", None, 3])
def test_unknown_names_list_the_known_ones(name):
    with pytest.raises(DatasetError, match="Choose one of 'mnist', 'fashion_mnist', 'kmnist'"):
        load_dataset(name)


def test_names_are_forgiving_about_case_and_dashes(tiny, offline):
    assert load_dataset(" TINY ").name == "tiny"
    with pytest.raises(DatasetNotFoundError, match="Fashion-MNIST is not on this computer"):
        load_dataset("Fashion-MNIST", download=False)


def emnist_like(offline: Path, monkeypatch, arrays) -> DatasetSpec:
    """An archive-backed spec like EMNIST letters: stored transposed, labels from 1."""
    names = {role: f"emnist-tiny-{name}" for role, name in IDX_NAMES.items()}
    archive_path = offline / "server" / "gzip.zip"
    archive_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive_path, "w") as archive:
        for role, name in names.items():
            archive.writestr(f"gzip/{name}", gzip.compress(idx_bytes(arrays[role])))
    spec = DatasetSpec(
        name="tiny_letters",
        title="Tiny letters",
        class_names=("A", "B", "C"),
        sizes=(TRAIN, TEST),
        cache_folder="tiny-emnist",
        file_names=names,
        archive=Archive(
            file_name="gzip.zip",
            url=archive_path.as_uri(),
            md5=hashlib.md5(archive_path.read_bytes()).hexdigest(),
            megabytes=1,
            member_folder="gzip",
        ),
        label_offset=1,
        transposed=True,
    )
    monkeypatch.setitem(DATASETS, spec.name, spec)
    return spec


def stored_like_emnist(arrays):
    stored = {role: array.copy() for role, array in arrays.items()}
    for role in ("x_train", "x_test"):
        stored[role] = np.ascontiguousarray(stored[role].transpose(0, 2, 1))
    for role in ("y_train", "y_test"):
        stored[role] = stored[role] + 1
    return stored


def test_archive_sets_download_only_on_request_then_come_back_upright(offline, monkeypatch):
    upright = tiny_arrays()
    emnist_like(offline, monkeypatch, stored_like_emnist(upright))
    with pytest.raises(DatasetNotFoundError, match="download=True"):
        load_dataset("tiny_letters")
    dataset = load_dataset("tiny_letters", download=True)
    assert np.array_equal(dataset.x_train, upright["x_train"])
    assert dataset.x_train[:, 0, 1].tolist() == list(range(TRAIN))
    assert np.array_equal(dataset.y_test, upright["y_test"])  # 1-3 in the file, 0-2 here
    assert load_dataset("tiny_letters", download=False).source.endswith("tiny-emnist")


def test_a_damaged_archive_says_download_again(offline, monkeypatch):
    spec = emnist_like(offline, monkeypatch, stored_like_emnist(tiny_arrays()))
    target = offline / "keras-home" / "datasets" / spec.cache_folder
    target.mkdir(parents=True)
    (target / "gzip.zip").write_bytes(b"PK\x03\x04 cut")
    with pytest.raises(DatasetError, match="not a readable zip archive.*download=True"):
        load_dataset("tiny_letters")


def test_real_emnist_is_never_downloaded_unasked(offline):
    with pytest.raises(DatasetNotFoundError, match="562 MB archive") as caught:
        load_dataset("emnist_letters")
    assert "download=True" in str(caught.value)
    assert not (offline / "keras-home" / "datasets" / "emnist").exists()


def test_every_registered_data_set_is_complete():
    for name, spec in DATASETS.items():
        assert spec.name == name and len(spec.class_names) in (10, 26)
        if name == "mnist":
            continue
        assert len(spec.file_names) == 4 and spec.licence
        if spec.archive is None:
            assert set(spec.md5) == set(spec.file_names.values())
            assert all(len(value) == 32 for value in spec.md5.values())
            assert spec.url.endswith("/") and spec.megabytes > 0
        else:
            assert len(spec.archive.md5) == 32 and spec.archive.megabytes > 500


@pytest.mark.skipif(
    not os.environ.get("COURSE_DATA_DIR"),
    reason="needs the real Fashion-MNIST via COURSE_DATA_DIR (CI sets it)",
)
def test_real_fashion_mnist_loads_from_course_data_dir_unchanged():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DatasetWarning)  # the published files, byte for byte
        fashion = load_dataset("fashion_mnist")
    assert fashion.x_train.shape == (60000, 28, 28) and fashion.y_test.shape == (10000,)
    assert np.bincount(fashion.y_train).tolist() == [6000] * 10
    assert fashion.class_names[fashion.y_train[0]] == "Ankle boot"
    assert repr(fashion).startswith("<Dataset fashion_mnist: 60,000 training and 10,000 test")
