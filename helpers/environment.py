"""One call at the top of every notebook: quiet TensorFlow's start-up chatter, seed
every random generator and report the versions in use.

    >>> import helpers
    >>> helpers.setup(seed=42)  # doctest: +SKIP
    Python 3.11.7 · TensorFlow 2.21.0 · Keras 3.12.0 · NumPy 2.2.6 · seed 42 · full mode
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import platform
import sys
import tempfile

from .fast_mode import is_fast_mode


def prefer_onednn_kernels() -> None:
    """Ask TensorFlow for its oneDNN CPU kernels on every x86-64 CPU, unless the user has chosen.

        >>> prefer_onednn_kernels()  # before anything imports TensorFlow

    On Linux, TensorFlow turns on its oneDNN kernels by default only on CPUs with AVX-512 VNNI,
    AVX-VNNI or AMX; on most laptops (AVX2, no AVX-512) it falls back to Eigen's kernels. The
    course CNN then took 1.7 times as long in the benchmark, while the classic tutorial CNN, whose
    batches of 32 leave it waiting on Python rather than on arithmetic, hardly slowed down (see the
    README's benchmark section). oneDNN runs on any x86-64 CPU with AVX2, so the course asks for it. It
    works only before TensorFlow is loaded (``import helpers`` calls it first thing); a value
    already in the environment, such as ``TF_ENABLE_ONEDNN_OPTS=0``, is kept.
    """
    if platform.machine().lower() in ("x86_64", "amd64"):
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")


def quiet_tensorflow() -> None:
    """Make TensorFlow load without its start-up lines, whoever imports it first (``import keras`` does).

        >>> quiet_tensorflow()
        >>> import keras  # doctest: +SKIP

    ``import helpers`` calls it. TF_CPP_MIN_LOG_LEVEL=2 hides TensorFlow's C++ info and warning
    lines, but TensorFlow 2.21 writes its absl, oneDNN and CUDA lines to file descriptor 2 while it
    loads, before any log level applies; so its import runs with that descriptor held back. Nothing
    is loaded now: ``import helpers`` stays quick for the tools that never need TensorFlow.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" not in sys.modules and not any(
        isinstance(f, _QuietTensorFlowFinder) for f in sys.meta_path
    ):
        sys.meta_path.insert(0, _QuietTensorFlowFinder())


class _QuietTensorFlowFinder(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` with the other finders, and gives it a loader that holds back stderr."""

    searching = False  # while it asks the others, which ask it again

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow" or self.searching:
            return None
        self.searching = True
        try:
            spec = importlib.util.find_spec(name)
        finally:
            self.searching = False
        if spec is not None and spec.loader is not None:
            spec.loader = _HeldBackLoader(spec.loader, finder=self)
        return spec


class _HeldBackLoader(importlib.abc.Loader):
    """Another loader, whose ``exec_module`` runs with file descriptor 2 held back."""

    def __init__(self, loader, finder: _QuietTensorFlowFinder) -> None:
        self._loader, self._finder = loader, finder

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        with _stderr_held_back():
            self._loader.exec_module(module)
        if self._finder in sys.meta_path:  # loaded: the finder's work is done
            sys.meta_path.remove(self._finder)

    def __getattr__(self, name):  # is_package, get_source, get_resource_reader, ...
        return getattr(self._loader, name)


@contextlib.contextmanager
def _stderr_held_back():
    """Send file descriptor 2 to a scratch file; if the block raises, write what it caught to stderr.

        >>> with _stderr_held_back():  # doctest: +SKIP
        ...     import tensorflow

    File descriptor 2 is where C++ code writes, whatever ``sys.stderr`` is (in Jupyter, the kernel
    forwards it to the notebook). What a failed import wrote there often says why it failed, so
    it is shown then, followed by the error itself.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no file descriptor 2 at all (pythonw on Windows): nothing to hold back
        yield
        return
    sys.stderr.flush()
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        except BaseException:
            _restore_stderr(saved)
            held.seek(0)
            sys.stderr.write(held.read().decode(errors="replace"))
            sys.stderr.flush()
            raise
        else:
            _restore_stderr(saved)


def _restore_stderr(saved: int) -> None:
    """Point file descriptor 2 back at the stream saved by ``os.dup(2)``, and close the copy."""
    sys.stderr.flush()  # in a plain process, what Python wrote meanwhile belongs to the held-back part
    os.dup2(saved, 2)
    os.close(saved)


def setup(seed: int = 42) -> None:
    """Seed Python, NumPy and TensorFlow and print the versions in use.

    >>> setup(seed=0)  # doctest: +SKIP
    Python 3.11.7 · TensorFlow 2.21.0 · Keras 3.12.0 · NumPy 2.2.6 · seed 0 · full mode
    """
    quiet_tensorflow()
    with _stderr_held_back():  # the GPU probe logs "failed call to cuInit" on a machine without one
        import tensorflow as tf

        tf.config.list_physical_devices()
    # a loop that trains many models (notebooks 07-09) triggers tf.function retracing warnings:
    # noise a student cannot act on; errors still show
    tf.get_logger().setLevel("ERROR")
    import keras
    import numpy as np

    keras.utils.set_random_seed(seed)
    mode = "fast mode (COURSE_FAST=1)" if is_fast_mode() else "full mode"
    line = (
        f"Python {platform.python_version()} · TensorFlow {tf.__version__} · "
        f"Keras {keras.__version__} · NumPy {np.__version__} · seed {seed} · {mode}"
    )
    print(line)
