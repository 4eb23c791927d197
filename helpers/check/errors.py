"""An error from the student's code as one clean line, with the course's hint when Keras's error has one.

Keras's messages carry ANSI colour codes and several lines of internals ("Arguments received by
Sequential.call(): ..."). A beginner needs the one line that matters, and, for the errors every
beginner meets, what to change:

    >>> error = ValueError("Input 0 of layer \\"conv2d\\" is incompatible with the layer: "
    ...                    "expected min_ndim=4, found ndim=3. Full shape received: (None, 28, 28)")
    >>> print(describe_error(error))  # doctest: +ELLIPSIS
    ValueError: Input 0 of layer "conv2d" is incompatible ... (None, 28, 28). Conv2D needs a channel axis...
"""

from __future__ import annotations

import re
import traceback

ANSI_CODES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MAX_MESSAGE = 300

# (pattern in Keras's message, the course's hint). The first pattern that matches wins.
KERAS_ERROR_HINTS: list[tuple[re.Pattern, str]] = [
    (
        re.compile(r"expected min_ndim=4, found ndim=3"),
        "Conv2D needs a channel axis: images of shape (28, 28) must become (28, 28, 1), e.g. with "
        "keras.layers.Reshape((28, 28, 1)) as the model's first layer.",
    ),
    (
        # The batch axis is None when the model is built, the batch size (e.g. 32) during fit.
        re.compile(r"must have rank \(ndim\) `target.ndim - 1`.*output.shape=\(\w+, \d+, \d+"),
        "the model's output still has image axes: put a keras.layers.Flatten() between the last "
        "convolution (or pooling) and the first Dense layer.",
    ),
    (
        re.compile(r"[Nn]egative (output|dimension) size|output size would be negative"),
        "a layer received an image smaller than its kernel: too many poolings or 'valid' convolutions "
        "shrank the 28 x 28 digits to nothing. Use fewer of them, padding='same', or smaller kernels.",
    ),
    (
        re.compile(r"`target` and `output` must have the same (rank|shape)"),
        "the labels and the model's outputs do not fit the loss: with whole-number labels 0-9 use "
        'loss="sparse_categorical_crossentropy"; with one-hot labels, "categorical_crossentropy".',
    ),
    (
        re.compile(
            r"Invalid input shape for input.*Expected shape (\(.*?\)), but input has "
            r"incompatible shape (\(.*?\))"
        ),
        "the data you passed does not have the shape the model's keras.Input declares.",
    ),
]


def one_line(text: str) -> str:
    """``text`` without ANSI codes or Keras's "Arguments received" tail, on one line, not too long.

    >>> one_line("Exception encountered when calling Sequential.call().\\n\\n\\x1b[1mBad shape\\x1b[0m\\n\\nArguments received by ...")
    'Bad shape'
    """
    text = ANSI_CODES.sub("", text)
    text = text.split("Arguments received by", 1)[0]
    lines = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.startswith("Exception encountered when calling")
    ]
    joined = " ".join(lines) or text.strip()
    return joined if len(joined) <= MAX_MESSAGE else joined[: MAX_MESSAGE - 1] + "…"


def course_hint(message: str) -> str:
    """The course's advice for a Keras error message, or "" when it has none.

    >>> course_hint("Computed output size would be negative. Received ...")[:40]
    'a layer received an image smaller than i'
    """
    for pattern, hint in KERAS_ERROR_HINTS:
        if pattern.search(message):
            return hint
    return ""


def describe_error(error: BaseException) -> str:
    """``NameError: name 'x' is not defined (line 3 of your code)``: the error in one clean line.

    >>> describe_error(ZeroDivisionError("division by zero"))
    'ZeroDivisionError: division by zero'
    """
    frames = traceback.extract_tb(error.__traceback__)
    student_frames = [
        f for f in frames if f.filename.startswith("<ipython-input") or "/ipykernel_" in f.filename
    ]
    where = f" (line {student_frames[-1].lineno} of your code)" if student_frames else ""
    message = one_line(str(error))
    advice = course_hint(ANSI_CODES.sub("", str(error)))
    described = f"{type(error).__name__}: {message}" if message else type(error).__name__
    if not advice:
        return f"{described}{where}"
    return f"{described.rstrip('.')}{where}. {advice[0].upper()}{advice[1:]}"
