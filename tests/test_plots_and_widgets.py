"""Plots return their figure; the digit browser works with and without a widget front end."""

from __future__ import annotations

import base64
import builtins

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import helpers  # noqa: E402
from helpers.widgets import WIDGET_MIMETYPE, DigitBrowser  # noqa: E402

rng = np.random.default_rng(0)
IMAGES = rng.integers(0, 256, size=(30, 28, 28), dtype=np.uint8)
LABELS = np.arange(30) % 10


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_digit_grid_has_one_titled_axis_per_image():
    fig = helpers.plot_digits(IMAGES, LABELS, count=12, columns=6)
    titled = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert len(fig.axes) == 12 and titled[:3] == ["0", "1", "2"]


def test_digit_grid_marks_wrong_predictions():
    predictions = LABELS.copy()
    predictions[1] = 7
    fig = helpers.plot_digits(IMAGES, LABELS, predictions=predictions, count=3)
    assert fig.axes[1].get_title() == "1→7"
    assert fig.axes[1].title.get_color() == "crimson" and fig.axes[0].title.get_color() == "black"


def test_digit_grid_accepts_channels_and_flat_images():
    assert len(helpers.plot_digits(IMAGES[..., None], count=4).axes) == 4
    assert len(helpers.plot_digits(IMAGES.reshape(30, 784), count=4).axes) == 4
    with pytest.raises(ValueError, match="expected images of shape"):
        helpers.plot_digits(np.zeros((5, 27)))


def test_class_counts_bars_match_the_labels():
    fig = helpers.plot_class_counts({"train": LABELS, "test": LABELS[:10]})
    heights = [patch.get_height() for patch in fig.axes[0].patches]
    assert heights[:10] == [3] * 10 and heights[10:] == [1] * 10


def test_pixel_histograms_one_panel_each_with_range_in_title():
    fig = helpers.plot_pixel_histograms({"raw": IMAGES, "scaled": IMAGES / 255})
    assert len(fig.axes) == 2 and "max 255" in fig.axes[0].get_title()


def test_mean_digits_shows_each_class_mean():
    fig = helpers.plot_mean_digits(IMAGES, LABELS)
    assert len(fig.axes) == 10
    assert np.allclose(fig.axes[3].images[0].get_array(), IMAGES[LABELS == 3].mean(axis=0))


def test_history_plots_train_and_validation_per_run():
    history = {
        "loss": [1.0, 0.5],
        "val_loss": [1.1, 0.7],
        "accuracy": [0.6, 0.8],
        "val_accuracy": [0.5, 0.7],
    }
    fig = helpers.plot_history({"a": history, "b": history})
    assert [len(ax.lines) for ax in fig.axes] == [4, 4]


def test_browser_filters_by_label_and_redraws():
    browser = DigitBrowser(IMAGES, LABELS, name="x")
    browser.show(label=3, position=2)
    assert browser._count.value == "3 of 30 x"
    assert browser.caption(23) == "x[23] · label 3"
    assert browser._image.value[:4] == b"\x89PNG"


def test_browser_filter_names_all_digits_when_unfiltered():
    browser = DigitBrowser(IMAGES, LABELS)
    assert browser._filter.label == "all digits"  # a value of None would show an empty box
    browser.show(label=3)
    browser.show(label=None)
    assert browser._filter.label == "all digits" and browser._count.value == "30 of 30 images"


def test_browser_bundle_carries_widget_and_static_fallback():
    bundle = DigitBrowser(IMAGES, LABELS)._repr_mimebundle_()
    assert WIDGET_MIMETYPE in bundle
    assert base64.b64decode(bundle["image/png"])[:4] == b"\x89PNG"
    assert "30 images" in bundle["text/plain"]


def test_browser_without_ipywidgets_still_shows_a_picture(monkeypatch):
    real_import = builtins.__import__

    def no_ipywidgets(name, *args, **kwargs):
        if name.startswith("ipywidgets"):
            raise ImportError("no ipywidgets")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ipywidgets)
    bundle = helpers.browse_digits(IMAGES, LABELS)._repr_mimebundle_()
    assert WIDGET_MIMETYPE not in bundle and "image/png" in bundle


def test_browser_rejects_mismatched_input():
    with pytest.raises(ValueError, match="N labels"):
        DigitBrowser(IMAGES, LABELS[:5])


def test_history_log_scale_and_whole_epochs():
    history = {"loss": [900.0, 2.3, 2.3], "accuracy": [0.1, 0.1, 0.1]}
    fig = helpers.plot_history({"raw": history}, log_scale=["loss"])
    assert fig.axes[0].get_yscale() == "log" and fig.axes[1].get_yscale() == "linear"
    assert all(float(tick).is_integer() for tick in fig.axes[0].get_xticks())


def test_confusion_matrix_writes_every_nonzero_count():
    matrix = np.diag(np.arange(1, 11))
    matrix[4, 9] = 7
    fig = helpers.plot_confusion_matrix(matrix)
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert len(texts) == 11 and "7" in texts
    with pytest.raises(ValueError, match="square"):
        helpers.plot_confusion_matrix(np.zeros((10, 9)))


def test_confusion_matrix_labels_classes_by_name():
    names = ["T-shirt/top", "Trouser", "Pullover"]
    fig = helpers.plot_confusion_matrix(np.eye(3, dtype=int), class_names=names)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == names
    assert ax.get_ylabel() == "true class"
    with pytest.raises(ValueError, match="2 class names"):
        helpers.plot_confusion_matrix(np.eye(3, dtype=int), class_names=names[:2])


def test_image_grid_shows_each_image_with_its_title():
    fig = helpers.plot_image_grid(rng.normal(size=(5, 3, 3)), titles=list("abcde"), columns=4)
    assert len(fig.axes) == 8 and [ax.get_title() for ax in fig.axes[:5]] == list("abcde")
    with pytest.raises(ValueError, match="stack of 2-D images"):
        helpers.plot_image_grid(np.zeros((3, 3)))


def test_image_grid_centres_diverging_colour_maps_on_zero():
    images = np.stack([np.array([[-1.0, 3.0]]), np.zeros((1, 2))])
    fig = helpers.plot_image_grid(images, cmap="RdBu", centred=True)
    first, blank = (ax.images[0] for ax in fig.axes[:2])
    assert first.get_clim() == (-3.0, 3.0)
    assert blank.get_clim() == (-1.0, 1.0)  # an all-zero image is still drawn, in white
    plain = helpers.plot_image_grid(images[:1], cmap="RdBu").axes[0].images[0]
    assert plain.get_clim() == (-1.0, 3.0)
