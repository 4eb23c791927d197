"""The recipes of the classic MNIST tutorials this course is measured against.

Each is written the way those tutorials write it: pixels divided by 255 before training,
Adam with its default learning rate, batch size 32 unless the tutorial says otherwise.

    >>> model, fit_settings = CLASSIC_RECIPES["classic_cnn"]()  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable

import keras
from keras import layers


def _compiled(model: keras.Model) -> keras.Model:
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def classic_mlp() -> tuple[keras.Model, dict]:
    """Flatten → Dense 128 → Dense 10, 5 epochs (TensorFlow's beginner quickstart)."""
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ],
        name="classic_mlp",
    )
    return _compiled(model), {"epochs": 5, "batch_size": 32}


def classic_mlp_128_64() -> tuple[keras.Model, dict]:
    """Flatten → Dense 128 → Dense 64 → Dense 10, 10 epochs."""
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ],
        name="classic_mlp_128_64",
    )
    return _compiled(model), {"epochs": 10, "batch_size": 32}


def classic_cnn() -> tuple[keras.Model, dict]:
    """Conv 32 → pool → Conv 64 → pool → Dense 128 → Dense 10, 5 epochs: the reference for time ratios."""
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ],
        name="classic_cnn",
    )
    return _compiled(model), {"epochs": 5, "batch_size": 32}


def classic_cnn_100() -> tuple[keras.Model, dict]:
    """Conv 32 → pool → Dense 100 → Dense 10 with he_uniform initialisation, 10 epochs."""
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu", kernel_initializer="he_uniform"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(100, activation="relu", kernel_initializer="he_uniform"),
            layers.Dense(10, activation="softmax"),
        ],
        name="classic_cnn_100",
    )
    return _compiled(model), {"epochs": 10, "batch_size": 32}


CLASSIC_RECIPES: dict[str, Callable[[], tuple[keras.Model, dict]]] = {
    "classic_mlp": classic_mlp,
    "classic_mlp_128_64": classic_mlp_128_64,
    "classic_cnn": classic_cnn,
    "classic_cnn_100": classic_cnn_100,
}
