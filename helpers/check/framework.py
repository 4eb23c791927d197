"""The machinery every self-check shares: "not done yet", a hint, or a pass; never a traceback.

A check is a function that receives the student's answer and raises :class:`Hint` with a
specific, kind message when something is wrong:

    >>> def _looks_normalized(x):
    ...     if x.max() > 1:
    ...         raise Hint(f"values go up to {x.max()}: did you divide by 255?")
    >>> run_check("2.1", np.array([0, 255]), _looks_normalized)
    ❌ Exercise 2.1: values go up to 255: did you divide by 255?
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

from ..check_results import CheckResult
from .errors import describe_error

NOT_DONE = "Not done yet: replace the `...` (or the `raise NotImplementedError`) with your code, then run this check again."


class Hint(Exception):
    """Raised by a check to tell the student what is wrong and where to look."""


def run_check(exercise: str, answer: Any, check: Callable[[Any], str | None]) -> CheckResult:
    """Run ``check(answer)`` and turn what happens into a :class:`CheckResult`.

    ``check`` returns an optional success message, or raises :class:`Hint`. An exception from
    the student's own code becomes a one-line message naming the error and the line.

        >>> run_check("1.1", ..., lambda answer: None).status
        'not_done'
    """
    if answer is Ellipsis or answer is None:
        return CheckResult(exercise, "not_done", NOT_DONE)
    try:
        praise = check(answer)
    except NotImplementedError:
        return CheckResult(exercise, "not_done", NOT_DONE)
    except Hint as hint:
        return CheckResult(exercise, "fail", str(hint))
    except Exception as error:  # the student's code failed: explain, don't crash the notebook
        return CheckResult(exercise, "fail", f"Your code raised {describe_error(error)}")
    return CheckResult(exercise, "pass", praise or "Correct. Well done!")


def call(function: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call the student's function; not-done stubs propagate, other errors become hints.

    >>> call(lambda x: x + 1, 1)
    2
    """
    if not callable(function):
        raise Hint(
            f"expected a function, got {type(function).__name__}. Did you overwrite its name?"
        )
    try:
        return function(*args, **kwargs)
    except (NotImplementedError, Hint):
        raise
    except Exception as error:
        raise Hint(f"calling your function raised {describe_error(error)}") from None


def as_array(answer: Any, name: str) -> np.ndarray:
    """The answer as a NumPy array, or a hint saying what came back instead.

    >>> as_array([1, 2], "counts")
    array([1, 2])
    """
    if answer is None:
        raise Hint(f"{name} is None: did your function forget to `return` it?")
    try:
        return np.asarray(answer)
    except Exception:
        raise Hint(f"{name} should be an array, but it is a {type(answer).__name__}.") from None


def probabilities_array(answer: Any, case: str) -> np.ndarray:
    """Class probabilities as a float array, whether NumPy, a list or a Keras/TensorFlow tensor.

    >>> probabilities_array([[0.25, 0.75]], "for two classes")
    array([[0.25, 0.75]])
    """
    try:
        return np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        pass
    try:
        import keras

        return np.asarray(keras.ops.convert_to_numpy(answer), dtype=np.float64)
    except Exception:
        raise Hint(
            f"{case}, return an array of probabilities, not a {type(answer).__name__}."
        ) from None


def expect_shape(array: np.ndarray, shape: tuple, name: str) -> None:
    """Raise a hint when ``array`` does not have ``shape``.

    >>> expect_shape(np.zeros((3, 10)), (3, 10), "one_hot")
    """
    if array.shape != shape:
        raise Hint(f"{name} should have shape {shape}, but it has shape {array.shape}.")


@lru_cache(maxsize=1)
def mnist_data():
    """MNIST as ``helpers.load_mnist()`` returns it, loaded once for every check that needs it.

    The arrays are read-only: the checks share them, and none may change them.

        >>> (x_train, y_train), (x_test, y_test) = mnist_data()  # doctest: +SKIP
    """
    from ..data import load_mnist

    splits = load_mnist()
    for array in (*splits[0], *splits[1]):
        array.setflags(write=False)
    return splits


def train_within_budget(function: Callable, epochs: int):
    """Call the student's ``function(x, y, epochs)`` on the (fast-mode aware) training set.

    Returns ``(model, seconds, train_size, (x_test, y_test), record)``, where ``record`` counts
    the epochs of every ``fit`` the function ran; the student gets copies, never the shared arrays.

        >>> model, seconds, train_size, (x_test, y_test), record = train_within_budget(train_small_mlp, epochs=10)  # doctest: +SKIP
    """
    import keras

    from ..fast_mode import training_subset
    from .models import recording_fits

    (x_train, y_train), test = mnist_data()
    x, y = training_subset(x_train, y_train)
    keras.utils.set_random_seed(42)
    started = time.perf_counter()
    with recording_fits() as record:
        model = call(function, x.copy(), y.copy(), epochs)
    return model, time.perf_counter() - started, len(x), test, record


def expect_epochs_within(record, epochs: int) -> None:
    """Raise a hint when the training function's calls of ``fit`` ran more epochs, in all, than the budget.

    >>> from helpers.check.models import TrainingRecord
    >>> expect_epochs_within(TrainingRecord([2, 3]), epochs=5)
    >>> expect_epochs_within(TrainingRecord([5, 5]), epochs=5)
    Traceback (most recent call last):
    ...
    helpers.check.framework.Hint: your function trained for 10 epochs in all (fit was called 2 times: 5 + 5 epochs), but the budget is epochs=5: call fit once, with epochs=epochs.
    """
    trained = record.epochs
    if trained <= epochs:
        return
    calls = record.epochs_per_fit
    if len(calls) > 1:
        detail = f" (fit was called {len(calls)} times: {' + '.join(map(str, calls))} epochs)"
        advice = "call fit once, with epochs=epochs"
    else:
        detail = ""
        advice = "pass `epochs=epochs` to fit"
    raise Hint(
        f"your function trained for {trained} epochs in all{detail}, but the budget is "
        f"epochs={epochs}: {advice}."
    )


def expect_image_classifier(
    model: Any, whose: str, input_tips: dict | None = None, output_ending: str = "Dense(10, ...)"
) -> None:
    """Raise a hint unless ``model`` takes raw (28, 28) images and gives 10 numbers per image.

    ``input_tips`` maps a wrong input shape (batch axis included) to a sentence that explains
    it; ``output_ending`` is the last layer to suggest. Call::

        expect_image_classifier(model, "your model", {(None, 784): " Let Flatten do it."})
    """
    try:
        input_shape, output_shape = tuple(model.input_shape), tuple(model.output_shape)
    except (AttributeError, ValueError):
        raise Hint(
            f"{whose} does not know its input shape: start it with keras.Input(shape=(28, 28))."
        ) from None
    if input_shape != (None, 28, 28):
        tip = (input_tips or {}).get(input_shape, "")
        raise Hint(
            f"{whose} takes input of shape {input_shape}; it should take raw images, "
            f"keras.Input(shape=(28, 28)).{tip}"
        )
    if output_shape != (None, 10):
        raise Hint(
            f"{whose} outputs shape {output_shape}; it should output 10 numbers per image: "
            f"end with {output_ending}."
        )
