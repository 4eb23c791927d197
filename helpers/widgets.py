"""An interactive digit browser that still shows something useful without a widget front end.

    >>> browse_digits(x_train, y_train)  # doctest: +SKIP

In JupyterLab, Jupyter Notebook and Colab you get a slider and a label filter. Where widgets
cannot render (GitHub's notebook viewer, nbconvert, CI, ipywidgets not installed) the same
output falls back to a static picture of the first digits, because the displayed bundle
carries both the widget and a PNG, and every viewer picks the richest one it can show.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

WIDGET_MIMETYPE = "application/vnd.jupyter.widget-view+json"
ALL_DIGITS = "all"  # the filter's value for no filter: a Dropdown shows the value None as blank


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def digit_png(image: np.ndarray, caption: str) -> bytes:
    """One digit drawn large, with a caption, as PNG bytes.

    >>> digit_png(np.zeros((28, 28)), "label 0")[:4]
    b'\\x89PNG'
    """
    figure = Figure(figsize=(2.6, 2.8), dpi=80)
    ax = figure.add_subplot()
    ax.imshow(image, cmap="gray_r")
    ax.set_title(caption, fontsize=11)
    ax.axis("off")
    return _png(figure)


def digit_strip_png(images: np.ndarray, labels: np.ndarray, count: int = 10) -> bytes:
    """The first ``count`` digits in a row, titled with their labels, as PNG bytes.

    >>> digit_strip_png(np.zeros((3, 28, 28)), np.array([1, 2, 3]))[:4]
    b'\\x89PNG'
    """
    count = min(count, len(images))
    figure = Figure(figsize=(1.1 * count, 1.4), dpi=80)
    for i in range(count):
        ax = figure.add_subplot(1, count, i + 1)
        ax.imshow(images[i], cmap="gray_r")
        ax.set_title(str(int(labels[i])), fontsize=10)
        ax.axis("off")
    return _png(figure)


class DigitBrowser:
    """A slider over the images, a filter by label, and a static fallback.

    >>> browser = DigitBrowser(x_train, y_train)  # doctest: +SKIP
    >>> browser.show(label=3, position=10)  # doctest: +SKIP
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, name: str = "images") -> None:
        images = np.asarray(images)
        if images.ndim == 4 and images.shape[-1] == 1:
            images = images[..., 0]
        if images.ndim != 3 or len(images) != len(labels) or len(images) == 0:
            raise ValueError(
                f"DigitBrowser needs images of shape (N, 28, 28) and N labels; got images {images.shape} "
                f"and {len(labels)} labels."
            )
        self.images, self.labels, self.name = images, np.asarray(labels).astype(int), name
        self.widget = self._build_widget()

    def indices(self, label: int | None) -> np.ndarray:
        """Positions of the images with this label (all of them for None).

        >>> DigitBrowser(np.zeros((3, 28, 28)), [1, 0, 1]).indices(1)
        array([0, 2])
        """
        return (
            np.arange(len(self.labels)) if label is None else np.flatnonzero(self.labels == label)
        )

    def caption(self, index: int) -> str:
        """The text under the digit at ``index``.

        >>> DigitBrowser(np.zeros((3, 28, 28)), [1, 0, 1]).caption(2)
        'images[2] · label 1'
        """
        return f"{self.name}[{index}] · label {self.labels[index]}"

    def show(self, label: int | None = None, position: int = 0) -> None:
        """Point the browser at the ``position``-th image among those with ``label``."""
        if self.widget is None:
            return
        self._filter.value = ALL_DIGITS if label is None else label
        self._slider.value = min(position, self._slider.max)

    def _build_widget(self):
        try:
            import ipywidgets as widgets
        except ImportError:
            return None
        self._filter = widgets.Dropdown(
            options=[("all digits", ALL_DIGITS)] + [(f"only {d}s", d) for d in range(10)],
            value=ALL_DIGITS,
            description="show",
        )
        self._slider = widgets.IntSlider(
            value=0, min=0, max=len(self.labels) - 1, description="position", continuous_update=True
        )
        self._count = widgets.Label()
        self._image = widgets.Image(format="png")
        self._filter.observe(lambda change: self._refilter(), names="value")
        self._slider.observe(lambda change: self._redraw(), names="value")
        self._refilter()
        return widgets.VBox([widgets.HBox([self._filter, self._count]), self._slider, self._image])

    def _refilter(self) -> None:
        label = self._filter.value
        self._shown = self.indices(None if label == ALL_DIGITS else label)
        self._slider.value = 0
        self._slider.max = len(self._shown) - 1
        self._count.value = f"{len(self._shown):,} of {len(self.labels):,} {self.name}"
        self._redraw()

    def _redraw(self) -> None:
        index = int(self._shown[self._slider.value])
        self._image.value = digit_png(self.images[index], self.caption(index))

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        bundle = {
            "text/plain": f"Digit browser over {len(self.labels):,} {self.name} "
            "(interactive in Jupyter and Colab; a static preview elsewhere)",
            "image/png": base64.b64encode(digit_strip_png(self.images, self.labels)).decode(
                "ascii"
            ),
        }
        if self.widget is not None:
            bundle[WIDGET_MIMETYPE] = {
                "version_major": 2,
                "version_minor": 0,
                "model_id": self.widget.model_id,
            }
        return bundle


def browse_digits(images: np.ndarray, labels: np.ndarray, name: str = "images") -> DigitBrowser:
    """Make a :class:`DigitBrowser`; put it last in a cell to display it.

    >>> browse_digits(x_train, y_train, name="x_train")  # doctest: +SKIP
    """
    return DigitBrowser(images, labels, name)
