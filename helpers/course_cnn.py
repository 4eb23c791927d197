"""The course CNN of notebook 05 and its learning-rate schedule, for code that runs outside a notebook.

Notebook 05 teaches the model in cells tagged ``recipe``; this module holds the same layers
(a test compares them) so that programs started from a notebook, such as the worker processes
of notebook 11 (``python -m helpers.multiworker``), can build it too:

    >>> model = build_cnn()  # doctest: +SKIP
    >>> model.count_params()  # doctest: +SKIP
    212778
    >>> schedule = warmup_cosine(peak_learning_rate=8e-3, total_steps=1000)  # doctest: +SKIP
"""

from __future__ import annotations

WARMUP_SHARE = 0.2  # of all training steps, as in notebook 05


def build_cnn():
    """The course CNN: raw uint8 images (N, 28, 28) in, 10 class probabilities out (uncompiled).

    >>> build_cnn().output_shape  # doctest: +SKIP
    (None, 10)
    """
    import keras

    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28), name="pixels"),
            layers.Rescaling(1 / 255, name="scale"),
            layers.Reshape((28, 28, 1), name="add_channel"),
            layers.Conv2D(16, 5, activation="relu", name="conv1"),
            layers.MaxPooling2D(name="pool1"),
            layers.Conv2D(32, 3, use_bias=False, name="conv2"),
            layers.MaxPooling2D(name="pool2"),
            layers.BatchNormalization(name="norm2"),
            layers.ReLU(name="relu2"),
            layers.Flatten(name="flatten"),
            layers.Dropout(0.25, name="dropout"),
            layers.Dense(256, activation="relu", name="dense"),
            layers.Dense(10, activation="softmax", name="probabilities"),
        ],
        name="course_cnn",
    )


def warmup_cosine(peak_learning_rate: float, total_steps: int, warmup_share: float = WARMUP_SHARE):
    """Notebook 05's schedule: warm up from peak / 20 to the peak, then cosine decay to 0.

    The warm-up takes ``warmup_share`` of the ``total_steps`` (at least one step).

    >>> schedule = warmup_cosine(8e-3, total_steps=100)  # doctest: +SKIP
    >>> float(schedule(20))  # doctest: +SKIP
    0.008
    """
    import keras

    warmup_steps = max(1, int(warmup_share * total_steps))
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=peak_learning_rate / 20,
        decay_steps=max(1, total_steps - warmup_steps),
        warmup_target=peak_learning_rate,
        warmup_steps=warmup_steps,
    )
