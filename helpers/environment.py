"""One call at the top of every notebook: quiet TensorFlow's start-up chatter, seed
every random generator and report the versions in use.

    >>> import helpers
    >>> helpers.setup(seed=42)  # doctest: +SKIP
    Python 3.11.7 · TensorFlow 2.21.0 · Keras 3.12.0 · NumPy 2.2.6 · seed 42 · full mode
"""
from __future__ import annotations

import contextlib
import os
import platform
import sys

from .fast_mode import is_fast_mode


def quiet_tensorflow() -> None:
    """Hide TensorFlow's C++ info and warning lines (must run before TensorFlow loads).

        >>> quiet_tensorflow()
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@contextlib.contextmanager
def _stderr_silenced():
    """Mute file descriptor 2, where TensorFlow's C++ start-up lines go whatever the log level."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def setup(seed: int = 42) -> None:
    """Seed Python, NumPy and TensorFlow and print the versions in use.

        >>> setup(seed=0)  # doctest: +SKIP
        Python 3.11.7 · TensorFlow 2.21.0 · Keras 3.12.0 · NumPy 2.2.6 · seed 0 · full mode
    """
    quiet_tensorflow()
    with _stderr_silenced():  # a failed import still raises, and is shown once stderr is back
        import tensorflow as tf

        tf.config.list_physical_devices()  # probes for a GPU now, while the noise is muted
    import keras
    import numpy as np

    keras.utils.set_random_seed(seed)
    mode = "fast mode (COURSE_FAST=1)" if is_fast_mode() else "full mode"
    line = (
        f"Python {platform.python_version()} · TensorFlow {tf.__version__} · "
        f"Keras {keras.__version__} · NumPy {np.__version__} · seed {seed} · {mode}"
    )
    print(line)
