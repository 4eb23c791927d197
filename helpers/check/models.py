"""Looking inside a student's model, and counting how much a training function trains.

Students (and the course itself) nest blocks, ``keras.Sequential([augmentation, ...])``, and
write activations as layers of their own, ``Dense(64), ReLU()``. The checks look at the layers
as a flat list in the order data flows through them, and at each Dense layer's effective
activation:

    >>> import keras
    >>> model = keras.Sequential([keras.Input((28, 28)), keras.Sequential([keras.layers.Rescaling(1 / 255)]),
    ...                           keras.layers.Flatten(), keras.layers.Dense(8), keras.layers.ReLU(),
    ...                           keras.layers.Dense(10, activation="softmax")])
    >>> [type(layer).__name__ for layer in leaf_layers(model)]
    ['Rescaling', 'Flatten', 'Dense', 'ReLU', 'Dense']
    >>> [activation_name(layers, i) for layers in [leaf_layers(model)] for i in (2, 4)]
    ['relu', 'softmax']
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .framework import Hint

# Layers that pass values through without changing what the activation of a Dense layer is.
_TRANSPARENT = (
    "Dropout",
    "BatchNormalization",
    "LayerNormalization",
    "GaussianNoise",
    "ActivityRegularization",
)


def leaf_layers(model: Any) -> list:
    """Every layer of ``model`` in order, looking into nested models and blocks; no InputLayer.

    >>> import keras
    >>> leaf_layers(keras.Sequential([keras.layers.Dense(2)]))[0].__class__.__name__
    'Dense'
    """
    import keras

    inner = getattr(model, "layers", None)
    if inner is None:
        return [] if isinstance(model, keras.layers.InputLayer) else [model]
    return [leaf for layer in inner for leaf in leaf_layers(layer)]


def _activation_of_layer(layer: Any) -> str | None:
    """The activation an activation layer applies (``"relu"``), or None for another layer."""
    import keras

    name = type(layer).__name__
    if isinstance(layer, keras.layers.Activation):
        return getattr(layer.activation, "__name__", str(layer.activation))
    if name in ("ReLU", "LeakyReLU", "PReLU", "ELU"):
        return name.lower()
    if name == "Softmax":
        return "softmax"
    return None


def activation_name(layers: list, index: int) -> str:
    """The activation that follows ``layers[index]`` (a Dense or Conv layer): its own, or the
    activation layer after it (through Dropout or normalization layers); ``"linear"`` if none.
    """
    own = getattr(layers[index], "activation", None)
    own_name = getattr(own, "__name__", "linear") if own is not None else "linear"
    if own_name != "linear":
        return own_name
    for layer in layers[index + 1 :]:
        found = _activation_of_layer(layer)
        if found is not None:
            return found
        if type(layer).__name__ not in _TRANSPARENT:
            break
    return "linear"


def position_of(layers: list, layer_type: type) -> int | None:
    """Index of the first layer of ``layer_type`` in ``layers``, or None.

    >>> position_of([1, "a", 2.0], str)
    1
    """
    for index, layer in enumerate(layers):
        if isinstance(layer, layer_type):
            return index
    return None


@dataclass
class TrainingRecord:
    """What every ``fit`` in a block of code did, one entry per call: the epochs it ran, the model
    it trained and the largest value of the images it received (None when they were not an array)."""

    epochs_per_fit: list[int] = field(default_factory=list)
    models: list = field(default_factory=list)
    peaks: list = field(default_factory=list)

    @property
    def epochs(self) -> int:
        """Epochs over all calls of ``fit``."""
        return sum(self.epochs_per_fit)


@contextlib.contextmanager
def recording_fits() -> Iterator[TrainingRecord]:
    """Record every ``keras.Model.fit`` run inside the ``with`` block, any model.

    >>> with recording_fits() as record:  # doctest: +SKIP
    ...     model.fit(x / 255, y, epochs=2); model.fit(x / 255, y, epochs=3)
    >>> record.epochs, record.peaks  # doctest: +SKIP
    (5, [1.0, 1.0])
    """
    import keras

    record = TrainingRecord()
    original_fit = keras.Model.fit

    def recorded_fit(self, *args, **kwargs):
        record.models.append(self)
        record.peaks.append(largest_value(args[0] if args else kwargs.get("x")))
        history = original_fit(self, *args, **kwargs)
        record.epochs_per_fit.append(len(getattr(history, "epoch", []) or []))
        return history

    keras.Model.fit = recorded_fit
    try:
        yield record
    finally:
        keras.Model.fit = original_fit


def largest_value(x) -> float | None:
    """The largest value in ``x``, or None when it is not an array (a dataset, a generator).

    >>> largest_value(np.array([[0, 255], [3, 4]])), largest_value(iter([1]))
    (255.0, None)
    """
    if not (isinstance(x, np.ndarray) or hasattr(x, "numpy")):
        return None
    try:
        return float(np.max(np.asarray(x)))
    except Exception:
        return None


def expect_raw_pixels_to_fit(model, record: TrainingRecord) -> None:
    """A model with its own Rescaling layer must be trained on the pixels 0-255, as it is tested."""
    import keras

    if not any(isinstance(layer, keras.layers.Rescaling) for layer in leaf_layers(model)):
        return
    divided = [peak for peak in record.peaks if peak is not None and 0 < peak <= 1 + 1e-6]
    if divided:
        raise Hint(
            f"your function gave fit images whose pixels go up to {divided[0]:.3g}, not 255: it "
            "divided x by 255, and the model's Rescaling layer divides by 255 again, so the model "
            "learned from pixels between 0 and 0.004 (and the test images come in raw). Pass x to "
            "fit as it is."
        )


def expect_a_model(model) -> None:
    """Raise a hint unless ``model`` is a keras.Model (not None, a list of layers, or the class or
    function that would make one); ``expect_a_model(build_small_cnn())``."""
    import keras

    if model is None:
        raise Hint("your function returned None: did you forget to `return` the model?")
    if (
        isinstance(model, (list, tuple))
        and model
        and all(isinstance(part, keras.layers.Layer) for part in model)
    ):
        raise Hint("you returned a list of layers: wrap it in a model, keras.Sequential([...]).")
    if isinstance(model, type) or (callable(model) and not isinstance(model, keras.layers.Layer)):
        name = getattr(model, "__name__", type(model).__name__)
        raise Hint(
            f"you returned {name} itself, not a model: return the model it builds, e.g. "
            "keras.Sequential([...]) with its layers inside."
        )
    if not isinstance(model, keras.Model):
        raise Hint(f"expected a keras.Model, but got a {type(model).__name__}.")
