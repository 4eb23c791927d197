"""Notebook 06's augmented CNN, its training recipe and its test-time augmentation, in one import.

Notebook 06 teaches this model in cells tagged ``recipe``; this module holds the same code (a test
compares the two), so that later notebooks, such as notebook 12's ensemble, build it in one line:

    >>> model = build_augmented_cnn()  # doctest: +SKIP
    >>> compile_augmented_cnn(model, train_size=60_000, epochs=AUGMENTED_CNN_FIT["epochs"])  # doctest: +SKIP
    >>> model.fit(x_train, y_train, **AUGMENTED_CNN_FIT)  # doctest: +SKIP
    >>> probabilities = predict_with_tta(model, x_test)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

AUGMENTED_CNN_FIT = {"epochs": 28, "batch_size": 256, "validation_split": 0.1}
TTA_COPIES = 8  # augmented copies of each test image that predict_with_tta looks at
PEAK_LEARNING_RATE = 3e-3


def build_augmentation():
    """Mild random rotations, shifts and zooms of (28, 28, 1) images with a black background.

    >>> build_augmentation().name  # doctest: +SKIP
    'augmentation'
    """
    import keras

    return keras.Sequential(
        [
            keras.layers.RandomRotation(0.03, fill_mode="constant", name="rotate"),
            keras.layers.RandomTranslation(
                0.1, 0.1, fill_mode="constant", interpolation="nearest", name="shift"
            ),
            keras.layers.RandomZoom(
                0.1, fill_mode="constant", interpolation="nearest", name="zoom"
            ),
        ],
        name="augmentation",
    )


def build_augmented_cnn():
    """The course's best model, uncompiled: raw 28 × 28 uint8 images in, 10 digit probabilities out.

    >>> build_augmented_cnn().count_params()  # doctest: +SKIP
    225834
    """
    import keras

    def conv_block(filters, kernel_size, name):
        return [
            keras.layers.Conv2D(filters, kernel_size, use_bias=False, name=f"{name}_conv"),
            keras.layers.MaxPooling2D(name=f"{name}_pool"),
            keras.layers.BatchNormalization(momentum=0.9, name=f"{name}_bn"),
            keras.layers.ReLU(name=f"{name}_relu"),
        ]

    return keras.Sequential(
        [
            keras.Input(shape=(28, 28), name="pixels"),
            keras.layers.Rescaling(1 / 255, name="rescale"),
            keras.layers.Reshape((28, 28, 1), name="add_channel"),
            build_augmentation(),
            *conv_block(32, 5, "block1"),
            *conv_block(64, 3, "block2"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dropout(0.3, name="dropout1"),
            keras.layers.Dense(128, activation="relu", name="hidden"),
            keras.layers.Dropout(0.3, name="dropout2"),
            keras.layers.Dense(10, activation="softmax", name="digits"),
        ],
        name="augmented_cnn",
    )


def augmented_cnn_schedule(total_steps: int):
    """Warm up linearly from 0 to 0.003 over 10 % of the steps, then decay to 0 along a cosine.

    >>> float(augmented_cnn_schedule(1000)(100))  # doctest: +SKIP
    0.003
    """
    import keras

    warmup_steps = max(1, total_steps // 10)
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0,
        warmup_target=PEAK_LEARNING_RATE,
        warmup_steps=warmup_steps,
        decay_steps=max(1, total_steps - warmup_steps),
    )


def compile_augmented_cnn(model, train_size: int, epochs: int) -> None:
    """Adam with the warm-up + cosine schedule over the whole run, sparse cross-entropy, accuracy.

    >>> compile_augmented_cnn(build_augmented_cnn(), train_size=60_000, epochs=28)  # doctest: +SKIP
    """
    import keras

    images_trained_on = train_size * (1 - AUGMENTED_CNN_FIT["validation_split"])
    steps_per_epoch = int(np.ceil(images_trained_on / AUGMENTED_CNN_FIT["batch_size"]))
    model.compile(
        optimizer=keras.optimizers.Adam(
            learning_rate=augmented_cnn_schedule(steps_per_epoch * epochs)
        ),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )


def predict_with_tta(model, images: np.ndarray, copies: int = TTA_COPIES) -> np.ndarray:
    """Test-time augmentation: the class probabilities for raw images, averaged over the images
    themselves and ``copies`` randomly augmented versions of them, made by the model's own block.

    >>> probabilities = predict_with_tta(model, x_test)  # doctest: +SKIP
    """
    import keras

    augmentation = model.get_layer("augmentation")
    channel_images = keras.ops.expand_dims(keras.ops.cast(images, "float32"), -1)
    looks = [model.predict(images, batch_size=1024, verbose=0)]
    for _ in range(copies):
        augmented = keras.ops.convert_to_numpy(augmentation(channel_images, training=True))[..., 0]
        looks.append(model.predict(augmented, batch_size=1024, verbose=0))
    return np.mean(looks, axis=0)
