"""The loaders' rough edges: every bad file, folder or variable gets a message that says what to do."""

from __future__ import annotations

import builtins
import errno
import gzip
import hashlib
import http.client
import io
import os
import pickle
import shutil
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from helpers import IdxFormatError, MnistDataError, MnistNotFoundError, load_mnist, read_idx
from helpers import data as data_module
from helpers import idx as idx_module
from helpers.data import FriendlyError, MnistFileAccessError, NotMnistWarning, read_mnist_npz
from helpers.idx import mnist_idx_file
from tests.conftest import fake_mnist_arrays, write_idx

IDX_LABELS = "t10k-labels-idx1-ubyte"
LABELS_HEADER = bytes([0, 0, 0x08, 1, 0, 0, 0, 5])
LABELS_RAW = LABELS_HEADER + bytes([7, 2, 1, 0, 4])
HTML_PAGE = b"<!DOCTYPE html>\n<html><head><title>Log in to CafeWiFi</title></head></html>"

quiet_about_fake_contents = pytest.mark.filterwarnings("ignore::helpers.data.NotMnistWarning")


# Helpers: bad files, written small, in tmp_path ---------------------------------------------------


def npz_with_object_array(path: Path) -> Path:
    arrays = fake_mnist_arrays()
    arrays["y_test"] = np.array([{"not": "an array"}], dtype=object)
    np.savez(path, **arrays)
    return path


def npz_with_truncated_member(path: Path) -> Path:
    """A well-formed zip whose x_train.npy stops inside its header."""
    with zipfile.ZipFile(path, "w") as archive:
        for name in ("x_train", "y_train", "x_test", "y_test"):
            archive.writestr(f"{name}.npy", b"\x93NUMPY\x01\x00\x76\x00{'descr': '|u1'")
    return path


def npy_renamed_to_npz(path: Path) -> Path:
    np.save(path.with_suffix(".npy"), np.zeros((3, 28, 28), np.uint8))
    return path.with_suffix(".npy").rename(path)


BAD_NPZ_FILES = {
    "npy renamed to npz": npy_renamed_to_npz,
    "object array inside": npz_with_object_array,
    "whole pickle": lambda path: path.write_bytes(pickle.dumps({"x_train": [1, 2]})),
    "html page": lambda path: path.write_bytes(HTML_PAGE),
    "gzip file": lambda path: path.write_bytes(gzip.compress(LABELS_RAW)),
    "empty": lambda path: path.write_bytes(b""),
    "truncated member": npz_with_truncated_member,
    "zip cut short": lambda path: path.write_bytes(b"PK\x03\x04" + bytes(100)),
}


@pytest.fixture
def make_unreadable(monkeypatch):
    """Make files unreadable: chmod 0, and (since root may read anything) open() refuses them too."""
    blocked: set[str] = set()
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):
        if isinstance(file, str | os.PathLike) and os.fspath(file) in blocked:
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)

    def block(path: Path) -> Path:
        path.chmod(0)
        blocked.add(str(path))
        return path

    yield block
    for name in blocked:
        Path(name).chmod(0o644)


@pytest.fixture
def no_downloads(monkeypatch):
    """Fail the test if anything tries the internet."""

    def refuse(*args, **kwargs):
        raise AssertionError("nothing should be downloaded here")

    monkeypatch.setattr("helpers.data._download_with_keras", refuse)
    monkeypatch.setattr("urllib.request.urlopen", refuse)


class FakeResponse(io.BytesIO):
    """What urllib.request.urlopen returns, serving given bytes (or breaking off)."""

    def __init__(self, body: bytes, broken: bool = False):
        super().__init__(body)
        self.broken = broken

    def read(self, *args):
        if self.broken:
            raise http.client.IncompleteRead(b"\x1f\x8b" + bytes(10), 1000)
        return super().read(*args)


def serve(monkeypatch, body: bytes, broken: bool = False) -> None:
    monkeypatch.setattr("urllib.request.urlopen", lambda *a, **k: FakeResponse(body, broken))


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


# 1. Not an .npz, or an .npz with pickles ----------------------------------------------------------


def test_an_npy_file_renamed_to_npz_is_named_as_such(tmp_path):
    path = tmp_path / "mnist.npz"
    BAD_NPZ_FILES["npy renamed to npz"](path)
    with pytest.raises(MnistDataError, match=r"single NumPy array saved with np\.save") as caught:
        load_mnist(path)
    assert "np.savez(path, x_train=" in str(caught.value)


@pytest.mark.parametrize(
    "kind, message",
    [
        ("whole pickle", "is a Python pickle, not an .npz archive"),
        ("gzip file", "is gzip-compressed, not an .npz archive"),
        ("empty", r"is empty \(0 bytes\)"),
        ("truncated member", "not a readable .npz archive"),
        ("zip cut short", "truncated by an interrupted download"),
    ],
)
def test_other_files_that_are_not_mnist_npz_say_what_they_are(tmp_path, kind, message):
    path = tmp_path / "mnist.npz"
    BAD_NPZ_FILES[kind](path)
    with pytest.raises(MnistDataError, match=message):
        read_mnist_npz(path)


@pytest.mark.parametrize("kind", sorted(BAD_NPZ_FILES))
def test_no_message_ever_advises_loading_pickles(tmp_path, kind):
    path = tmp_path / "mnist.npz"
    BAD_NPZ_FILES[kind](path)
    with pytest.raises(FriendlyError) as caught:
        load_mnist(path)
    assert "allow_pickle" not in str(caught.value)
    assert str(path) in str(caught.value)


def test_numpys_own_pickle_advice_is_never_passed_through(tmp_path):
    with pytest.raises(ValueError) as numpy_error:  # what NumPy itself says about such a file
        with np.load(
            npz_with_object_array(tmp_path / "objects.npz"), allow_pickle=False
        ) as archive:
            archive["y_test"]
    assert "allow_pickle" in str(numpy_error.value)
    assert "allow_pickle" not in data_module.safe_reason(numpy_error.value)
    assert data_module.safe_reason(OSError("disk on fire")) == "disk on fire"


# 2. IDX files that are web pages, cut short, or have impossible headers ----------------------------


@pytest.mark.parametrize("name", ["t10k-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte"])
def test_an_idx_file_that_is_a_web_page_says_so(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(HTML_PAGE)
    with pytest.raises(IdxFormatError) as caught:
        read_idx(path)
    message = str(caught.value)
    assert f"{path} is an HTML page, not MNIST data" in message
    assert "intercepted" in message and f"Delete {path}" in message
    assert f"<folder>/mnist/{name}" in message


def test_a_gzip_cut_short_says_the_download_was_interrupted(tmp_path):
    path = tmp_path / f"{IDX_LABELS}.gz"
    path.write_bytes(gzip.compress(LABELS_RAW + bytes(5000))[:40])
    with pytest.raises(IdxFormatError, match=f"{path} is cut short.*interrupted.*Delete {path}"):
        read_idx(path)


def test_a_gz_file_that_does_not_start_like_gzip_is_named(tmp_path):
    path = tmp_path / f"{IDX_LABELS}.gz"
    path.write_bytes(b"PK\x03\x04 a zip, say")
    with pytest.raises(
        IdxFormatError, match="not a readable gzip file: it starts with 50 4b 03 04"
    ):
        read_idx(path)


def test_a_gz_file_a_browser_already_decompressed_is_read(tmp_path):
    path = tmp_path / f"{IDX_LABELS}.gz"
    path.write_bytes(LABELS_RAW)
    assert read_idx(path).tolist() == [7, 2, 1, 0, 4]


@pytest.mark.parametrize(
    "dims", [[2**16] * 4, [2**32 - 1] * 3], ids=["product overflows int64", "product huge"]
)
def test_a_header_with_impossible_sizes_is_called_damaged(tmp_path, dims):
    header = bytes([0, 0, 0x08, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)
    path = write_idx(tmp_path / "images-idx3-ubyte.gz", header, bytes(10))
    with pytest.raises(IdxFormatError, match=f"{path}: the header says .* header is damaged"):
        read_idx(path)


def test_missing_idx_file_is_friendly_and_still_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError) as caught:
        read_idx(tmp_path / "nothing.gz")
    assert isinstance(caught.value, FriendlyError)
    assert "mnist_idx_file()" in str(caught.value)


# 2b. Downloads: checked before saving, saved under a temporary name ---------------------------------


@pytest.fixture
def fake_labels_checksum(monkeypatch):
    """Make the tiny LABELS_RAW the file the checksum expects."""
    monkeypatch.setitem(
        idx_module.MNIST_IDX_SHA256, IDX_LABELS, hashlib.sha256(LABELS_RAW).hexdigest()
    )


@pytest.mark.parametrize(
    "body, broken, message",
    [
        (HTML_PAGE, False, "sent an HTML page, not MNIST: the download was probably intercepted"),
        (gzip.compress(LABELS_RAW)[:15], False, "sent a file that stops halfway"),
        (b"", True, "the connection broke off after 12 bytes"),
        (gzip.compress(LABELS_RAW + b"\x00"), False, "sent a file with the wrong checksum"),
    ],
    ids=["html page", "truncated gzip", "connection broken", "wrong checksum"],
)
def test_a_bad_download_is_explained_and_leaves_nothing_behind(
    no_data_env, monkeypatch, fake_labels_checksum, body, broken, message
):
    serve(monkeypatch, body, broken)
    with pytest.raises(MnistNotFoundError, match=message) as caught:
        mnist_idx_file(IDX_LABELS)
    assert "nothing was saved" in str(caught.value)
    assert files_in(no_data_env / "keras-home") == []
    serve(monkeypatch, gzip.compress(LABELS_RAW))  # the next run is not blocked by the failure
    assert read_idx(mnist_idx_file(IDX_LABELS)).tolist() == [7, 2, 1, 0, 4]


def test_a_save_that_fails_halfway_leaves_no_half_file(
    no_data_env, monkeypatch, fake_labels_checksum
):
    serve(monkeypatch, gzip.compress(LABELS_RAW))
    real_temporary_file = tempfile.NamedTemporaryFile

    class DiskFullHalfway:
        def __init__(self, **kwargs):
            self.file = real_temporary_file(**kwargs)
            self.name = self.file.name

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.file.close()

        def write(self, data):
            self.file.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", DiskFullHalfway)
    with pytest.raises(
        MnistFileAccessError, match=r"could not save it in .*No space left on device"
    ):
        mnist_idx_file(IDX_LABELS)
    assert files_in(no_data_env / "keras-home") == ["datasets", "mnist-idx"]  # no file in it
    monkeypatch.setattr(tempfile, "NamedTemporaryFile", real_temporary_file)
    saved = mnist_idx_file(IDX_LABELS)
    assert gzip.decompress(saved.read_bytes()) == LABELS_RAW
    assert files_in(saved.parent) == [f"{IDX_LABELS}.gz"]


# 3. Permission denied, and folders where files belong -----------------------------------------------


def test_an_unreadable_npz_says_permission_denied(tmp_path, fake_npz, make_unreadable):
    path = make_unreadable(Path(shutil.copy(fake_npz, tmp_path / "mnist.npz")))
    with pytest.raises(MnistFileAccessError, match=f"cannot read {path}: permission denied"):
        load_mnist(path)


def test_an_unreadable_idx_file_says_permission_denied(tmp_path, make_unreadable):
    path = make_unreadable(write_idx(tmp_path / f"{IDX_LABELS}.gz", LABELS_HEADER, bytes(5)))
    with pytest.raises(MnistFileAccessError, match=f"cannot read {path}: permission denied"):
        read_idx(path)


def test_a_folder_that_cannot_be_looked_into_says_permission_denied(tmp_path, monkeypatch):
    locked = tmp_path / "locked" / "mnist.npz"
    real_stat = Path.stat

    def stat(self, *args, **kwargs):
        if self == locked:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_stat(self, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", stat)
    with pytest.raises(MnistFileAccessError, match=f"cannot look at {locked}: permission denied"):
        load_mnist(locked)


def test_an_npz_name_that_is_a_folder_points_at_the_file_inside(tmp_path, fake_npz):
    folder = tmp_path / "downloads.npz"
    folder.mkdir()
    shutil.copy(fake_npz, folder / "mnist.npz")
    with pytest.raises(MnistFileAccessError) as caught:
        load_mnist(folder)
    message = str(caught.value)
    assert f"{folder} is a folder, not a file" in message
    assert f"It holds {folder / 'mnist.npz'}: point to that instead" in message


def test_read_mnist_npz_on_a_folder_says_it_is_a_folder(tmp_path):
    with pytest.raises(MnistFileAccessError, match=f"{tmp_path} is a folder, not a file"):
        read_mnist_npz(tmp_path)


def test_read_idx_on_a_folder_points_at_the_idx_files_inside(tmp_path):
    write_idx(tmp_path / f"{IDX_LABELS}.gz", LABELS_HEADER, bytes(5))
    with pytest.raises(MnistFileAccessError) as caught:
        read_idx(tmp_path)
    assert f"{tmp_path} is a folder, not a file" in str(caught.value)
    assert str(tmp_path / f"{IDX_LABELS}.gz") in str(caught.value)


def test_a_folder_in_the_keras_cache_is_reported_not_downloaded_over(no_data_env, no_downloads):
    cached = no_data_env / "keras-home" / "datasets" / "mnist.npz"
    cached.mkdir(parents=True)
    with pytest.raises(MnistFileAccessError, match=f"{cached} is a folder, not a file"):
        load_mnist()


def test_a_folder_named_like_an_idx_file_in_the_data_dir_is_reported(
    no_data_env, no_downloads, monkeypatch
):
    (no_data_env / "data" / "mnist" / f"{IDX_LABELS}.gz").mkdir(parents=True)
    monkeypatch.setenv("COURSE_DATA_DIR", str(no_data_env / "data"))
    with pytest.raises(MnistFileAccessError, match="is a folder, not a file"):
        mnist_idx_file(IDX_LABELS)


# 4. COURSE_DATA_DIR set but wrong: an error naming it, never a fallback --------------------------


def layout_wrong(root: Path, case: str) -> Path:
    """Make a COURSE_DATA_DIR value that is wrong in the way ``case`` says."""
    if case == "does not exist":
        return root / "no-such-folder"
    if case == "is a file":
        (root / "a-file").write_text("")
        return root / "a-file"
    if case == "no mnist subfolder":
        (root / "data").mkdir()
        return root / "data"
    if case == "points at mnist/ itself":
        (root / "mnist").mkdir()
        write_idx(root / "mnist" / f"{IDX_LABELS}.gz", LABELS_HEADER, bytes(5))
        return root / "mnist"
    (root / "data" / "mnist").mkdir(parents=True)  # "mnist/ is empty"
    return root / "data"


WRONG_LAYOUTS = {
    "does not exist": "that folder does not exist",
    "is a file": "that is a file, not a folder",
    "no mnist subfolder": "it has no mnist/ subfolder",
    "points at mnist/ itself": "it holds the MNIST files itself, not in a mnist/ subfolder",
    "mnist/ is empty": "{missing} does not exist",
}


@pytest.mark.parametrize("case", sorted(WRONG_LAYOUTS))
@pytest.mark.parametrize("loader", ["load_mnist", "mnist_idx_file"])
def test_a_wrong_course_data_dir_names_the_variable_and_the_layout(
    no_data_env, no_downloads, monkeypatch, case, loader
):
    value = layout_wrong(no_data_env, case)
    monkeypatch.setenv("COURSE_DATA_DIR", str(value))
    with pytest.raises(MnistNotFoundError) as caught:
        load_mnist() if loader == "load_mnist" else mnist_idx_file(IDX_LABELS)
    message = str(caught.value)
    wanted = "mnist.npz" if loader == "load_mnist" else f"{IDX_LABELS}.gz"
    problem = WRONG_LAYOUTS[case].format(missing=value / "mnist" / wanted)
    assert f"COURSE_DATA_DIR is set to '{value}', but {problem}" in message
    assert f"{value}/mnist/mnist.npz" in message and "unset it" in message


def test_the_hint_for_a_data_dir_that_is_mnist_itself_names_its_parent(no_data_env, monkeypatch):
    value = layout_wrong(no_data_env, "points at mnist/ itself")
    monkeypatch.setenv("COURSE_DATA_DIR", str(value))
    with pytest.raises(MnistNotFoundError, match=f"COURSE_DATA_DIR={no_data_env}, if this folder"):
        load_mnist()


@quiet_about_fake_contents
@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_course_data_dir_counts_as_unset(no_data_env, fake_npz, monkeypatch, value):
    monkeypatch.setenv("COURSE_DATA_DIR", value)
    cache = no_data_env / "keras-home" / "datasets"
    cache.mkdir(parents=True)
    shutil.copy(fake_npz, cache / "mnist.npz")
    (x_train, _), _ = load_mnist()
    assert x_train.shape == (60000, 28, 28)


def test_a_good_course_data_dir_serves_the_idx_files(no_data_env, no_downloads, monkeypatch):
    (no_data_env / "data" / "mnist").mkdir(parents=True)
    write_idx(no_data_env / "data" / "mnist" / f"{IDX_LABELS}.gz", LABELS_HEADER, bytes(5))
    monkeypatch.setenv("COURSE_DATA_DIR", str(no_data_env / "data"))
    assert mnist_idx_file(IDX_LABELS) == no_data_env / "data" / "mnist" / f"{IDX_LABELS}.gz"


# 5. Right shapes, wrong data set: a warning ---------------------------------------------------------


def test_arrays_shaped_like_mnist_but_different_get_a_warning(fake_npz):
    with pytest.warns(NotMnistWarning, match="MNIST's shapes and dtype but not its contents"):
        load_mnist(fake_npz)


def test_fashion_mnist_is_recognised_by_name(fake_npz, monkeypatch):
    fingerprint = data_module.content_fingerprint(fake_mnist_arrays())
    monkeypatch.setattr(data_module, "FASHION_MNIST_FINGERPRINT", fingerprint)
    with pytest.warns(NotMnistWarning, match="it is Fashion-MNIST"):
        load_mnist(fake_npz)


def test_the_real_contents_pass_and_one_changed_label_does_not(monkeypatch):
    arrays = fake_mnist_arrays()
    monkeypatch.setattr(data_module, "MNIST_FINGERPRINT", data_module.content_fingerprint(arrays))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data_module.warn_if_not_mnist(arrays)
    arrays["y_test"][9999] = (arrays["y_test"][9999] + 1) % 10
    with pytest.warns(NotMnistWarning, match="differ from MNIST's"):
        data_module.warn_if_not_mnist(arrays)


@pytest.mark.skipif(
    not os.environ.get("COURSE_DATA_DIR"),
    reason="needs the real MNIST via COURSE_DATA_DIR (CI sets it)",
)
def test_the_fingerprints_are_those_of_the_real_files():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the real MNIST loads without a warning
        (x_train, y_train), (x_test, y_test) = load_mnist()
    real = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    assert data_module.content_fingerprint(real) == data_module.MNIST_FINGERPRINT
    fashion = Path(os.environ["COURSE_DATA_DIR"]) / "fashion_mnist"
    if not fashion.is_dir():
        pytest.skip("no fashion_mnist/ beside mnist/")
    names = {
        "x_train": "train-images-idx3-ubyte",
        "y_train": "train-labels-idx1-ubyte",
        "x_test": "t10k-images-idx3-ubyte",
        "y_test": "t10k-labels-idx1-ubyte",
    }
    clothes = {key: read_idx(fashion / f"{name}.gz") for key, name in names.items()}
    assert data_module.content_fingerprint(clothes) == data_module.FASHION_MNIST_FINGERPRINT
