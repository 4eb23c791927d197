"""The machinery every self-check shares: Keras errors as one clean line with the course's hint,
nested models seen as one list of layers, epochs counted over every fit, mistakes diagnosed from
their table or by their first difference."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from helpers.check.errors import ANSI_CODES, describe_error
from helpers.check.framework import Hint, expect_epochs_within, run_check
from helpers.check.mistakes import Mistake, diagnose, first_difference, plural, same
from helpers.check.models import activation_name, leaf_layers, position_of, recording_fits

layers = keras.layers


def keras_error(action) -> BaseException:
    try:
        action()
    except Exception as error:  # the real error Keras raises, traceback included
        return error
    raise AssertionError("Keras raised nothing")


def model_without_channel_axis():
    return keras.Sequential([keras.Input((28, 28)), layers.Conv2D(4, 3)])


def model_pooled_to_nothing():
    blocks = [
        layers.Conv2D(4, 3, activation="relu") if i % 2 == 0 else layers.MaxPooling2D()
        for i in range(8)
    ]
    return keras.Sequential([keras.Input((28, 28, 1)), *blocks])


def fit_without_flatten():
    model = keras.Sequential(
        [keras.Input((8, 8, 1)), layers.Conv2D(2, 3), layers.Dense(10, activation="softmax")]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(np.zeros((4, 8, 8, 1)), np.zeros(4), verbose=0)


def fit_sparse_labels_with_categorical_loss():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(10, activation="softmax")])
    model.compile("adam", "categorical_crossentropy")
    model.fit(np.zeros((4, 4)), np.zeros(4), verbose=0)


def predict_on_flat_pixels():
    model = keras.Sequential([keras.Input((28, 28, 1)), layers.Flatten(), layers.Dense(10)])
    model.predict(np.zeros((2, 784)), verbose=0)


@pytest.mark.parametrize(
    "action, advice",
    [
        (model_without_channel_axis, "Reshape((28, 28, 1))"),
        (model_pooled_to_nothing, "too many poolings"),
        (fit_without_flatten, "Flatten()"),
        (fit_sparse_labels_with_categorical_loss, "sparse_categorical_crossentropy"),
        (predict_on_flat_pixels, "does not have the shape the model's keras.Input declares"),
    ],
    ids=["no-channel-axis", "pooled-to-nothing", "no-flatten", "loss-vs-labels", "input-shape"],
)
def test_common_keras_errors_get_one_clean_line_and_the_course_hint(action, advice):
    described = describe_error(keras_error(action))
    assert advice in described
    assert "\n" not in described and not ANSI_CODES.search(described)
    assert "Arguments received" not in described and ".." not in described


def test_missing_flatten_is_recognised_with_the_batch_size_fit_reports():
    message = (
        "Arguments `target` and `output` must have rank (ndim) `target.ndim - 1`. "
        "Received: target.shape=(32,), output.shape=(32, 13, 13, 10)"
    )
    assert "Flatten()" in describe_error(ValueError(message))


def test_an_unknown_error_is_relayed_as_it_is():
    assert describe_error(KeyError("x")) == "KeyError: 'x'"


def test_a_failing_student_function_fails_the_check_in_one_line():
    result = run_check("5.4", None, lambda answer: None)
    assert result.status == "not_done"
    result = run_check("5.4", 1, lambda answer: model_without_channel_axis())
    assert result.status == "fail" and "channel axis" in result.message
    assert "\n" not in result.message


def nested_mlp():
    preprocessing = keras.Sequential([layers.Rescaling(1 / 255), layers.Flatten()])
    hidden = keras.Sequential([layers.Dense(16), layers.Dropout(0.1), layers.Activation("relu")])
    return keras.Sequential(
        [keras.Input((28, 28)), preprocessing, hidden, layers.Dense(10), layers.Softmax()]
    )


def test_nested_models_are_seen_as_one_list_in_data_order():
    names = [type(layer).__name__ for layer in leaf_layers(nested_mlp())]
    assert names == ["Rescaling", "Flatten", "Dense", "Dropout", "Activation", "Dense", "Softmax"]


def test_functional_models_are_walked_too():
    inputs = keras.Input((28, 28))
    x = layers.Rescaling(1 / 255)(inputs)
    x = layers.Flatten()(x)
    outputs = layers.Dense(10, activation="softmax")(layers.ReLU()(layers.Dense(8)(x)))
    model = keras.Model(inputs, outputs)
    found = leaf_layers(model)
    assert [type(layer).__name__ for layer in found] == [
        "Rescaling",
        "Flatten",
        "Dense",
        "ReLU",
        "Dense",
    ]
    assert position_of(found, layers.Rescaling) == 0


def test_activation_layers_count_as_the_dense_layers_activation():
    found = leaf_layers(nested_mlp())
    assert activation_name(found, 2) == "relu"  # through the Dropout
    assert activation_name(found, 5) == "softmax"
    plain = leaf_layers(keras.Sequential([layers.Dense(4), layers.Dense(2)]))
    assert activation_name(plain, 0) == "linear"


def tiny_compiled_model():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    return model


def test_every_fit_counts_towards_the_budget():
    x, y = np.zeros((8, 3)), np.zeros(8)
    with recording_fits() as record:
        model = tiny_compiled_model()
        model.fit(x, y, epochs=2, verbose=0)
        model.fit(x, y, epochs=2, verbose=0)
        tiny_compiled_model().fit(x, y, epochs=1, verbose=0)
    assert record.epochs_per_fit == [2, 2, 1]
    with pytest.raises(Hint, match=r"5 epochs in all \(fit was called 3 times: 2 \+ 2 \+ 1"):
        expect_epochs_within(record, epochs=4)
    expect_epochs_within(record, epochs=5)


def test_a_loop_of_one_epoch_fits_within_the_budget_passes():
    x, y = np.zeros((8, 3)), np.zeros(8)
    model = tiny_compiled_model()
    with recording_fits() as record:
        for _ in range(3):
            model.fit(x, y, epochs=1, verbose=0)
    expect_epochs_within(record, epochs=3)


def test_fit_is_restored_even_when_the_student_code_fails():
    original = keras.Model.fit
    with pytest.raises(ZeroDivisionError), recording_fits():
        raise ZeroDivisionError("the student's code failed")
    assert keras.Model.fit is original


def test_diagnose_names_the_matching_mistake_or_the_first_difference():
    labels = np.array([0, 1, 1, 2])
    mistakes = [Mistake("no minlength", lambda labels: np.bincount(labels), "needs minlength.")]
    expected = np.bincount(labels, minlength=4)
    with pytest.raises(Hint, match="with four classes, needs minlength"):
        diagnose(
            np.bincount(labels), expected, mistakes, (labels,), "the counts", "with four classes"
        )
    with pytest.raises(Hint, match=r"first at index 1: expected 2, got 1"):
        diagnose(np.array([1, 1, 2, 0]), expected, mistakes, (labels,), "the counts")


def test_a_mistake_that_crashes_on_the_inputs_does_not_match():
    crashing = Mistake("crash", lambda x: 1 / 0, "never shown")
    with pytest.raises(Hint, match="first at index"):
        diagnose(np.array([1]), np.array([2]), [crashing], (np.array([0]),), "the values")


def test_first_difference_reports_shapes_and_floats_without_guessing():
    assert "shape (2,)" in first_difference(np.zeros(3), np.zeros(2), "the means")
    message = first_difference(np.array([0.5, 0.25]), np.array([0.5, 0.2501]), "the means")
    assert (
        message
        == "the means differ from the right answer first at index 1: expected 0.25, got 0.2501."
    )


def test_same_tells_close_floats_from_different_shapes_and_objects():
    assert same(np.array([1.0, 2.0]), [1.0, 2.0 + 1e-9])
    assert not same(np.array([1, 2]), np.array([[1, 2]]))
    assert not same(np.array([None]), np.array([None]))


@pytest.mark.parametrize(
    "count, expected", [(0, "0 biases"), (1, "1 bias"), (2, "2 biases"), (12345, "12,345 biases")]
)
def test_plural(count, expected):
    assert plural(count, "bias", "biases") == expected
