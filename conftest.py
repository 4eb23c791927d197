"""Shared by every test pytest collects here, the docstring examples (``--doctest-modules``) included."""

import os

import pytest


@pytest.fixture(autouse=True)
def environment_restored():
    """Undo what a test or a docstring example did to ``os.environ`` (``COURSE_FAST``, ``COURSE_DATA_DIR``)."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
