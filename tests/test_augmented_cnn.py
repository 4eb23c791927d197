"""helpers.augmented_cnn is notebook 06's recipe, not a drifting copy of it."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.recipes import COURSE_MODELS, load_recipe
from helpers import augmented_cnn


@pytest.fixture(scope="module")
def taught():
    return load_recipe(COURSE_MODELS["augmented_cnn"], "augmented_cnn")


def layer_configs(model):
    """Each layer's class and configuration, nested models flattened, without Keras' seeds."""
    configs = []
    for layer in model.layers:
        if hasattr(layer, "layers"):
            configs.extend(layer_configs(layer))
        config = {k: v for k, v in layer.get_config().items() if k != "seed"}
        configs.append((type(layer).__name__, str(config) if not hasattr(layer, "layers") else ""))
    return configs


def test_the_model_is_notebook_06s(taught):
    copy, original = augmented_cnn.build_augmented_cnn(), taught.build()
    assert layer_configs(copy) == layer_configs(original)
    assert copy.count_params() == original.count_params()


def test_the_fit_settings_are_notebook_06s(taught):
    assert augmented_cnn.AUGMENTED_CNN_FIT == taught.fit_settings


def test_the_learning_rate_schedule_is_notebook_06s(taught):
    copy, original = augmented_cnn.build_augmented_cnn(), taught.build()
    augmented_cnn.compile_augmented_cnn(copy, train_size=60_000, epochs=28)
    taught.compile(original, 60_000, 28)
    copy_config, original_config = copy.optimizer.get_config(), original.optimizer.get_config()
    assert copy_config["learning_rate"]["class_name"] == "CosineDecay"
    assert copy_config == original_config


def test_test_time_augmentation_averages_probabilities():
    model = augmented_cnn.build_augmented_cnn()
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28)).astype(np.uint8)
    probabilities = augmented_cnn.predict_with_tta(model, images, copies=2)
    assert probabilities.shape == (5, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
