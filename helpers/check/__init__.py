"""Self-checks for the exercises: call one after an exercise cell for an instant verdict.

    >>> from helpers import check
    >>> check.count_per_digit(count_per_digit)  # doctest: +SKIP
    ✅ Exercise 1.1: Correct. Well done!

Each check tests behaviour (often on fresh data you did not see), so a hard-coded answer
fails; a stub you have not filled in yet answers "not done yet".
"""
from .framework import Hint, run_check
from .loading import count_per_digit, ink_per_image, mean_image_per_digit, nearest_mean_predict
from .normalization import build_rescaling_model, scale_to_range, standardize, x_train_norm
from .one_hot import cross_entropy, from_one_hot, one_hot, x_train_cnn

__all__ = [
    "Hint", "run_check",
    # 01 loading and exploring
    "count_per_digit", "ink_per_image", "mean_image_per_digit", "nearest_mean_predict",
    # 02 normalization
    "x_train_norm", "standardize", "scale_to_range", "build_rescaling_model",
    # 03 one-hot encoding
    "one_hot", "from_one_hot", "x_train_cnn", "cross_entropy",
]
