"""What every self-check test asserts: a pass, "not done yet", or a fail with a specific hint."""

from __future__ import annotations


def stub(*args, **kwargs):
    """A student's function that has not been written yet, as the generated exercise has it."""
    raise NotImplementedError("Not done yet: write your code here, then run the check below.")


def assert_pass(result):
    assert result.status == "pass", result.message


def assert_not_done(result):
    assert result.status == "not_done", result.message


def assert_fail(result, phrase):
    assert result.status == "fail", f"expected a fail, got {result}"
    assert phrase in result.message, f"{phrase!r} not in: {result.message}"
