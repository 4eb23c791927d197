"""The best classic method of notebook 07, measured like the networks: an RBF SVM on 20,000 images.

scikit-learn's ``SVC`` is deterministic, so the seed picks which 20,000 of the 60,000 training
images it learns from: the spread over seeds is the spread over training subsets.

    >>> row = measure_svm(helpers.load_mnist(), seed=42)  # doctest: +SKIP
"""

from __future__ import annotations

import time

import numpy as np

SVM_TRAIN_SIZE = 20_000  # as notebook 07: its fit time grows ~2.8x per doubling of the data
SVM_SETTINGS = {"C": 5, "kernel": "rbf", "gamma": "scale"}
CLASSIC_ML_MODELS = ("svm_rbf_20k",)


def to_rows(images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) uint8 images as (N, 784) float32 rows in [0, 1], as scikit-learn wants them.

    >>> to_rows(np.full((2, 28, 28), 255, dtype=np.uint8)).max()
    np.float32(1.0)
    """
    return images.reshape(len(images), -1).astype("float32") / 255


def measure_svm(data, seed: int, train_size: int = SVM_TRAIN_SIZE) -> dict:
    """Fit ``SVC`` on a seeded subset of the training images, predict the test set, make a result row."""
    from sklearn.svm import SVC

    (x_train, y_train), (x_test, y_test) = data
    subset = np.random.default_rng(seed).choice(
        len(x_train), min(train_size, len(x_train)), replace=False
    )
    x_fit, x_eval = to_rows(x_train[subset]), to_rows(x_test)
    model = SVC(**SVM_SETTINGS)
    started = time.perf_counter()
    model.fit(x_fit, y_train[subset])
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    predicted = model.predict(x_eval)
    predict_seconds = time.perf_counter() - started
    return {
        "model": "svm_rbf_20k",
        "seed": int(seed),
        "epochs": None,
        "params": int(model.support_vectors_.size + model.dual_coef_.size + model.intercept_.size),
        "fit_seconds": round(fit_seconds, 1),
        "predict_seconds": round(predict_seconds, 2),
        "test_accuracy": round(float(np.mean(predicted == y_test)), 4),
    }
