"""Helpers for the MNIST deep-learning course: data, plots, widgets, switches and self-checks.

Each module holds one concern; the names students use are re-exported here:

    >>> import helpers
    >>> helpers.setup()  # doctest: +SKIP
    >>> (x_train, y_train), (x_test, y_test) = helpers.load_mnist()  # doctest: +SKIP
    >>> helpers.check.one_hot(one_hot)  # doctest: +SKIP
"""

from .environment import prefer_onednn_kernels, quiet_tensorflow, setup

prefer_onednn_kernels()  # both before anything loads TensorFlow (`import keras` does)
quiet_tensorflow()  # from here on, TensorFlow loads without its start-up lines

from . import check  # noqa: E402
from .data import (  # noqa: E402
    DatasetError,
    DatasetNotFoundError,
    MnistDataError,
    MnistNotFoundError,
    load_mnist,
    read_mnist_npz,
)
from .datasets import DATASETS, Dataset, load_dataset  # noqa: E402
from .drawing import (  # noqa: E402
    DrawingPad,
    ImageReadError,
    photo_upload,
    read_image,
    uploaded_images,
)
from .fast_mode import is_fast_mode, pick, training_subset  # noqa: E402
from .idx import IdxFormatError, mnist_idx_file, parse_idx_header, read_idx  # noqa: E402
from .measured import benchmark_summary, describe_benchmark, results_table  # noqa: E402
from .plots import (  # noqa: E402
    plot_class_counts,
    plot_confusion_matrix,
    plot_digits,
    plot_history,
    plot_image_grid,
    plot_mean_digits,
    plot_pixel_histograms,
)
from .widgets import DigitBrowser, browse_digits  # noqa: E402

__all__ = [
    "DATASETS",
    "Dataset",
    "DatasetError",
    "DatasetNotFoundError",
    "DigitBrowser",
    "DrawingPad",
    "IdxFormatError",
    "ImageReadError",
    "MnistDataError",
    "MnistNotFoundError",
    "benchmark_summary",
    "browse_digits",
    "check",
    "describe_benchmark",
    "is_fast_mode",
    "load_dataset",
    "load_mnist",
    "mnist_idx_file",
    "parse_idx_header",
    "photo_upload",
    "pick",
    "plot_class_counts",
    "plot_confusion_matrix",
    "plot_image_grid",
    "plot_digits",
    "plot_history",
    "plot_mean_digits",
    "plot_pixel_histograms",
    "prefer_onednn_kernels",
    "quiet_tensorflow",
    "read_idx",
    "read_image",
    "read_mnist_npz",
    "results_table",
    "setup",
    "training_subset",
    "uploaded_images",
]
