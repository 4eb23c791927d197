"""COURSE_FAST: the one switch between the full course and the quick CI run."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import is_fast_mode, pick, training_subset


@pytest.mark.parametrize("value, fast", [("1", True), ("true", True), ("0", False), ("", False)])
def test_values_are_understood(monkeypatch, value, fast):
    monkeypatch.setenv("COURSE_FAST", value)
    assert is_fast_mode() is fast


def test_unset_means_full_course(monkeypatch):
    monkeypatch.delenv("COURSE_FAST", raising=False)
    assert pick(full=30, fast=2) == 30


def test_nonsense_value_explains_itself(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "maybe")
    with pytest.raises(ValueError, match="set it to 1"):
        is_fast_mode()


def test_fast_mode_shrinks_the_training_set_only_then(monkeypatch):
    x, y = np.zeros((10000, 28, 28)), np.arange(10000)
    monkeypatch.setenv("COURSE_FAST", "1")
    x_fit, y_fit = training_subset(x, y, fast_size=500)
    assert x_fit.shape == (500, 28, 28) and y_fit.tolist() == list(range(500))
    assert pick(full=30, fast=2) == 2
    monkeypatch.setenv("COURSE_FAST", "0")
    assert training_subset(x, y, fast_size=500)[0].shape == (10000, 28, 28)


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        training_subset(np.zeros((3, 28, 28)), np.zeros(2))
