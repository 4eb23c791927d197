"""The IDX reader: header checks, truncation, and agreement with the real files."""

from __future__ import annotations

import os

import numpy as np
import pytest

from helpers import IdxFormatError, load_mnist, mnist_idx_file, parse_idx_header, read_idx
from helpers.data import MnistNotFoundError
from tests.conftest import write_idx

HEADER_2x2x3 = bytes([0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3])


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_reads_shape_and_values(tmp_path, suffix):
    path = write_idx(tmp_path / f"images-idx3-ubyte{suffix}", HEADER_2x2x3, bytes(range(12)))
    array = read_idx(path)
    assert array.shape == (2, 2, 3) and array.dtype == np.uint8
    assert array[1, 1, 2] == 11


def test_big_endian_int32_is_decoded(tmp_path):
    header = bytes([0, 0, 0x0C, 1, 0, 0, 0, 2])
    path = write_idx(
        tmp_path / "x-idx1-int", header, (258).to_bytes(4, "big") + (1).to_bytes(4, "big")
    )
    assert read_idx(path).tolist() == [258, 1]


def test_wrong_magic_number_is_rejected(tmp_path):
    path = write_idx(tmp_path / "bad", bytes([0x1F, 0x8B, 8, 3]) + HEADER_2x2x3[4:], bytes(12))
    with pytest.raises(IdxFormatError, match="magic number 1f 8b 08 03 is not IDX"):
        read_idx(path)


def test_unknown_type_code_is_rejected():
    with pytest.raises(IdxFormatError, match="not IDX"):
        parse_idx_header(bytes([0, 0, 0x07, 1, 0, 0, 0, 1]))


def test_truncated_payload_is_rejected(tmp_path):
    path = write_idx(tmp_path / "short.gz", HEADER_2x2x3, bytes(11))
    with pytest.raises(IdxFormatError, match="12 bytes.*holds 11.*truncated"):
        read_idx(path)


def test_extra_bytes_are_rejected(tmp_path):
    path = write_idx(tmp_path / "long", HEADER_2x2x3, bytes(13))
    with pytest.raises(IdxFormatError, match="extra bytes"):
        read_idx(path)


def test_header_cut_short_is_rejected():
    with pytest.raises(IdxFormatError, match="3 dimensions"):
        parse_idx_header(HEADER_2x2x3[:10])


def test_broken_gzip_is_rejected(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00 definitely not gzip")
    with pytest.raises(IdxFormatError, match="not a readable gzip"):
        read_idx(path)


def test_missing_file_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_idx(tmp_path / "nothing.gz")


def test_unknown_mnist_name_is_rejected():
    with pytest.raises(ValueError, match="not an MNIST file"):
        mnist_idx_file("train-images")


def test_finding_idx_offline_without_data_explains(no_data_env, monkeypatch):
    monkeypatch.setattr(
        "urllib.request.urlopen", lambda *a, **k: (_ for _ in ()).throw(OSError("offline"))
    )
    with pytest.raises(MnistNotFoundError, match="COURSE_DATA_DIR"):
        mnist_idx_file("t10k-labels-idx1-ubyte")


@pytest.mark.skipif(
    not os.environ.get("COURSE_DATA_DIR"),
    reason="needs the real MNIST via COURSE_DATA_DIR (CI sets it)",
)
def test_real_idx_files_equal_the_npz():
    (x_train, y_train), (x_test, y_test) = load_mnist()
    assert np.array_equal(read_idx(mnist_idx_file("t10k-images-idx3-ubyte")), x_test)
    assert np.array_equal(read_idx(mnist_idx_file("t10k-labels-idx1-ubyte")), y_test)
    assert np.array_equal(read_idx(mnist_idx_file("train-labels-idx1-ubyte")), y_train)
