"""The benchmark reads the course's models from the notebooks' recipe cells: they must build and train."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks.recipes import COURSE_MODELS, load_recipe, recipe_cells
from benchmarks.time_to_accuracy import add_time_ratios, format_table

PRESENT = {name: path for name, path in COURSE_MODELS.items() if path.exists()}


def test_at_least_the_mlp_notebook_has_a_recipe():
    assert "mlp" in PRESENT and recipe_cells(PRESENT["mlp"])


@pytest.mark.parametrize("name", sorted(PRESENT))
def test_recipe_builds_a_model_for_raw_images(name):
    recipe = load_recipe(PRESENT[name], name)
    model = recipe.build()
    assert tuple(model.input_shape) == (None, 28, 28), "recipes take raw images as helpers.load_mnist() returns them"
    assert tuple(model.output_shape) == (None, 10)
    assert {"epochs", "batch_size", "validation_split"} <= set(recipe.fit_settings)


@pytest.mark.parametrize("name", sorted(PRESENT))
def test_recipe_compiles_fits_and_predicts_on_raw_uint8(name):
    import keras

    recipe = load_recipe(PRESENT[name], name)
    keras.utils.set_random_seed(0)
    model = recipe.build()
    recipe.compile(model, train_size=64, epochs=1)
    images = np.random.default_rng(0).integers(0, 256, size=(64, 28, 28), dtype=np.uint8)
    labels = np.arange(64) % 10
    settings = {**recipe.fit_settings, "epochs": 1, "batch_size": 32}
    model.fit(images, labels, verbose=0, **settings)
    probabilities = np.asarray(recipe.predict(model, images[:5]))
    assert probabilities.shape == (5, 10) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-3)


def test_missing_recipe_names_are_reported(tmp_path):
    import nbformat

    cell = nbformat.v4.new_code_cell("def build_cnn():\n    return None")
    cell.metadata["tags"] = ["recipe"]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    with pytest.raises(ValueError, match=r"do not define \['compile_cnn', 'CNN_FIT'\]"):
        load_recipe(path, "cnn")


def test_time_ratios_and_table():
    rows = [
        {"model": "classic_cnn", "epochs": 5, "params": 225034, "fit_seconds": 80.0, "test_accuracy": 0.9896},
        {"model": "cnn", "epochs": 6, "params": 100000, "fit_seconds": 24.0, "test_accuracy": 0.9942},
    ]
    add_time_ratios(rows)
    assert [r["time_vs_classic_cnn"] for r in rows] == [1.0, 0.3]
    table = format_table(rows)
    assert "| cnn | 6 | 100,000 | 24.0 | 99.42 % | 0.30× |" in table
