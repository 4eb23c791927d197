"""The benchmark reads the course's models from the notebooks' recipe cells: they must build and train."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.recipes import COURSE_MODELS, load_recipe, recipe_cells
from benchmarks.time_to_accuracy import add_time_ratios, format_table, main, summarize

PRESENT = {name: path for name, path in COURSE_MODELS.items() if path.exists()}


def test_at_least_the_mlp_notebook_has_a_recipe():
    assert "mlp" in PRESENT and recipe_cells(PRESENT["mlp"])


@pytest.mark.parametrize("name", sorted(PRESENT))
def test_recipe_builds_a_model_for_raw_images(name):
    recipe = load_recipe(PRESENT[name], name)
    model = recipe.build()
    assert tuple(model.input_shape) == (None, 28, 28), (
        "recipes take raw images as helpers.load_mnist() returns them"
    )
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


def _row(model, seed, fit_seconds, accuracy):
    return {
        "model": model,
        "seed": seed,
        "epochs": 5,
        "params": 100_000,
        "fit_seconds": fit_seconds,
        "predict_seconds": 1.0,
        "test_accuracy": accuracy,
    }


def test_time_ratios_compare_with_the_classic_cnn_of_the_same_seed():
    rows = [
        _row("classic_cnn", 1, 79.0, 0.99),
        _row("cnn", 1, 23.0, 0.994),
        _row("classic_cnn", 2, 99.0, 0.99),
        _row("cnn", 2, 24.0, 0.995),
    ]
    add_time_ratios(rows)
    assert [r["time_vs_classic_cnn"] for r in rows] == [1.0, 0.3, 1.0, 0.25]


def test_time_ratio_is_none_without_the_classic_cnn():
    rows = [_row("cnn", 1, 24.0, 0.994)]
    add_time_ratios(rows)
    assert rows[0]["time_vs_classic_cnn"] is None
    assert summarize(rows)[0]["time_vs_classic_cnn"] is None


def test_summary_gives_mean_spread_and_extremes_per_model():
    rows = [
        _row("cnn", s, f, a)
        for s, f, a in [(1, 20.0, 0.9940), (2, 22.0, 0.9950), (3, 24.0, 0.9960)]
    ]
    rows += [
        _row("classic_cnn", s, 91.0, 0.99) for s in (1, 2, 3)
    ]  # 92 s with its 1-second prediction
    cnn, classic = summarize(rows)
    assert (
        cnn["model"],
        cnn["seeds"],
        cnn["accuracy_mean"],
        cnn["accuracy_min"],
        cnn["accuracy_max"],
    ) == ("cnn", 3, 0.995, 0.994, 0.996)
    assert cnn["accuracy_std"] == pytest.approx(0.001, abs=1e-6)
    assert cnn["fit_seconds_mean"] == 22.0 and cnn["time_vs_classic_cnn"] == 0.25  # (22 + 1) / 92
    assert classic["time_vs_classic_cnn"] == 1.0


def test_one_seed_has_no_spread_and_the_table_shows_it():
    summary = summarize([_row("cnn", 42, 24.0, 0.9942)])
    assert summary[0]["accuracy_std"] == 0.0
    assert (
        "| cnn | 5 | 100,000 | 1 | 99.42 ± 0.00 % | 99.42 % | 99.42 % | 24.0 | 1.0 | – |"
        in format_table(summary)
    )


def test_seeds_must_be_positive(capsys):
    with pytest.raises(SystemExit):
        main(["--seeds", "0"])
    assert "--seeds must be at least 1" in capsys.readouterr().err


def test_svm_row_learns_a_seeded_subset_and_has_no_epochs():
    from benchmarks.classic_ml import measure_svm

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, size=240)
    images = (rng.random((240, 28, 28)) * 60 + labels[:, None, None] * 60).astype(np.uint8)
    data = ((images[:200], labels[:200]), (images[200:], labels[200:]))
    first, again = (
        measure_svm(data, seed=1, train_size=100),
        measure_svm(data, seed=1, train_size=100),
    )
    assert first["model"] == "svm_rbf_20k" and first["epochs"] is None
    assert first["test_accuracy"] == again["test_accuracy"] > 0.9
    row = summarize([first])[0]
    assert "| svm_rbf_20k | – |" in format_table([row])
