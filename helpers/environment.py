"""One call at the top of every notebook: quiet TensorFlow's start-up chatter, seed
every random generator and report the versions in use.

    >>> import helpers
    >>> helpers.setup(seed=42)  # doctest: +SKIP
    Python 3.11.7 · TensorFlow 2.21.0 · Keras 3.12.0 · NumPy 2.2.6 · seed 42 · full mode
"""
from __future__ import annotations

import os
import platform

from .fast_mode import is_fast_mode


def quiet_tensorflow() -> None:
    """Hide TensorFlow's C++ info and warning lines (must run before TensorFlow loads).

        >>> quiet_tensorflow()
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def setup(seed: int = 42) -> str:
    """Seed Python, NumPy and TensorFlow, print the versions, and return that line.

        >>> line = setup(seed=0)  # doctest: +SKIP
    """
    quiet_tensorflow()
    import keras
    import numpy as np
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    mode = "fast mode (COURSE_FAST=1)" if is_fast_mode() else "full mode"
    line = (
        f"Python {platform.python_version()} · TensorFlow {tf.__version__} · "
        f"Keras {keras.__version__} · NumPy {np.__version__} · seed {seed} · {mode}"
    )
    print(line)
    return line
