"""Figures the notebooks use again and again. Every function returns the figure it drew.

>>> fig = plot_digits(x_train, y_train, count=20)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator


def plot_digits(
    images: np.ndarray,
    labels: Sequence[int] | np.ndarray | None = None,
    predictions: Sequence[int] | np.ndarray | None = None,
    count: int = 20,
    columns: int = 10,
    title: str | None = None,
) -> Figure:
    """A grid of the first ``count`` images, each titled with its label.

    With ``predictions``, titles read "label→prediction", in red where they differ.

        >>> fig = plot_digits(x_test[:10], y_test[:10], predictions=predicted)  # doctest: +SKIP
    """
    images = _as_images(images)[:count]
    count = len(images)
    columns = max(1, min(columns, count))
    rows = int(np.ceil(count / columns))
    fig, axes = plt.subplots(
        rows, columns, figsize=(1.1 * columns, 1.25 * rows + (0.4 if title else 0)), squeeze=False
    )
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= count:
            continue
        ax.imshow(images[i], cmap="gray_r", vmin=images.min(), vmax=max(images.max(), 1e-9))
        if labels is None:
            continue
        if predictions is None:
            ax.set_title(str(int(labels[i])), fontsize=10)
        else:
            wrong = int(labels[i]) != int(predictions[i])
            ax.set_title(
                f"{int(labels[i])}→{int(predictions[i])}",
                fontsize=10,
                color="crimson" if wrong else "black",
            )
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_class_counts(labels_by_split: Mapping[str, np.ndarray]) -> Figure:
    """Side-by-side bars: how many examples of each digit every split holds.

    >>> fig = plot_class_counts({"train": y_train, "test": y_test})  # doctest: +SKIP
    """
    fig, ax = plt.subplots(figsize=(8, 3.2))
    width = 0.8 / max(len(labels_by_split), 1)
    for k, (split, labels) in enumerate(labels_by_split.items()):
        counts = np.bincount(np.asarray(labels).astype(int), minlength=10)
        ax.bar(
            np.arange(10) + (k - (len(labels_by_split) - 1) / 2) * width,
            counts,
            width,
            label=f"{split} ({len(labels):,})",
        )
    ax.set_xticks(range(10))
    ax.set_xlabel("digit")
    ax.set_ylabel("number of images")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_pixel_histograms(arrays: Mapping[str, np.ndarray], bins: int = 50) -> Figure:
    """One histogram of pixel values per array, on a log scale (most pixels are background).

    >>> fig = plot_pixel_histograms({"raw": x_train, "divided by 255": x_train / 255})  # doctest: +SKIP
    """
    fig, axes = plt.subplots(1, len(arrays), figsize=(4.2 * len(arrays), 3), squeeze=False)
    for ax, (name, values) in zip(axes.flat, arrays.items()):
        values = np.asarray(values, dtype=np.float64).ravel()
        ax.hist(values, bins=bins, color="steelblue", log=True)
        ax.set_title(
            f"{name}\nmin {values.min():.3g} · max {values.max():.3g} · mean {values.mean():.3g}",
            fontsize=10,
        )
        ax.set_xlabel("pixel value")
    axes.flat[0].set_ylabel("number of pixels (log)")
    fig.tight_layout()
    return fig


def plot_mean_digits(images: np.ndarray, labels: np.ndarray) -> Figure:
    """The average image of each digit 0-9: what a "typical" 3 looks like.

    >>> fig = plot_mean_digits(x_train, y_train)  # doctest: +SKIP
    """
    images = _as_images(images)
    labels = np.asarray(labels).astype(int)
    fig, axes = plt.subplots(1, 10, figsize=(11, 1.6))
    for digit, ax in enumerate(axes):
        members = images[labels == digit]
        if len(members):
            ax.imshow(members.mean(axis=0), cmap="magma")
        ax.set_title(f"{digit} (n={len(members):,})", fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    return fig


def plot_history(
    histories: Mapping[str, Mapping[str, Sequence[float]]],
    metrics: Sequence[str] = ("loss", "accuracy"),
    log_scale: Sequence[str] = (),
) -> Figure:
    """Training curves of one or more runs: training solid, validation dashed.

    ``histories`` maps a run's name to a Keras ``History.history`` dict; metrics named in
    ``log_scale`` get a logarithmic y axis (useful when one run's loss explodes).

        >>> fig = plot_history({"raw pixels": raw.history, "normalized": norm.history}, log_scale=["loss"])  # doctest: +SKIP
    """
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.2 * len(metrics), 3.4), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, metric in zip(axes.flat, metrics):
        for k, (name, history) in enumerate(histories.items()):
            colour = colours[k % len(colours)]
            for key, style, suffix in (
                (metric, "-", "train"),
                (f"val_{metric}", "--", "validation"),
            ):
                if key in history:
                    values = history[key]
                    ax.plot(
                        range(1, len(values) + 1),
                        values,
                        style,
                        color=colour,
                        marker=".",
                        label=f"{name} ({suffix})",
                    )
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if metric in log_scale:
            ax.set_yscale("log")
        ax.set_title(metric + (" (log scale)" if metric in log_scale else ""))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _as_images(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim == 2 and images.shape[-1] == 784:
        images = images.reshape(-1, 28, 28)
    if images.ndim != 3:
        raise ValueError(
            f"expected images of shape (N, 28, 28), (N, 28, 28, 1) or (N, 784); got {images.shape}."
        )
    return images


def plot_confusion_matrix(
    matrix: np.ndarray, title: str = "confusion matrix", class_names: Sequence[str] | None = None
) -> Figure:
    """A confusion matrix: rows are true classes, columns predicted ones, counts written in.

    The diagonal (correct answers) dwarfs the rest, so cells are coloured on a log scale. Without
    ``class_names`` the classes are digits, numbered from 0.

        >>> fig = plot_confusion_matrix(matrix)  # doctest: +SKIP
        >>> fig = plot_confusion_matrix(matrix, class_names=fashion.class_names)  # doctest: +SKIP
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"a confusion matrix is square; got shape {matrix.shape}.")
    fig, ax = plt.subplots(figsize=(6.2, 5.4))
    ax.imshow(np.log1p(matrix), cmap="Blues")
    for (row, column), count in np.ndenumerate(matrix):
        if count:
            dark = np.log1p(count) > 0.6 * np.log1p(matrix.max())
            ax.text(
                column,
                row,
                str(int(count)),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if dark else "black",
            )
    if class_names is not None and len(class_names) != matrix.shape[0]:
        raise ValueError(
            f"{len(class_names)} class names for a {matrix.shape[0]} x {matrix.shape[0]} matrix."
        )
    ax.set_xticks(range(matrix.shape[1]))
    ax.set_yticks(range(matrix.shape[0]))
    if class_names is None:
        ax.set_xlabel("predicted digit")
        ax.set_ylabel("true digit")
    else:
        ax.set_xticklabels(class_names, rotation=45, ha="right")
        ax.set_yticklabels(class_names)
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_image_grid(
    images: np.ndarray,
    titles: Sequence[str] | None = None,
    columns: int = 8,
    cmap: str = "viridis",
    title: str | None = None,
    centred: bool = False,
) -> Figure:
    """Any stack of small 2-D images (filters, feature maps) in a grid, each scaled on its own.

    With ``centred=True`` each image's colour scale is symmetric around 0, so that a diverging map
    such as ``"RdBu"`` shows 0 as white, positive values in blue and negative ones in red:

    >>> fig = plot_image_grid(kernels.transpose(3, 0, 1, 2)[..., 0], cmap="RdBu", centred=True)  # doctest: +SKIP
    """
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(
            f"expected a stack of 2-D images, shape (N, height, width); got {images.shape}."
        )
    columns = max(1, min(columns, len(images)))
    rows = int(np.ceil(len(images) / columns))
    fig, axes = plt.subplots(
        rows, columns, figsize=(1.25 * columns, 1.35 * rows + (0.4 if title else 0)), squeeze=False
    )
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
            limit = float(np.abs(images[i]).max()) or 1.0
            scale = {"vmin": -limit, "vmax": limit} if centred else {}
            ax.imshow(images[i], cmap=cmap, **scale)
            if titles is not None:
                ax.set_title(titles[i], fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
