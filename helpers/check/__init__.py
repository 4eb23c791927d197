"""Self-checks for the exercises: call one after an exercise cell for an instant verdict.

    >>> from helpers import check
    >>> check.count_per_digit(count_per_digit)  # doctest: +SKIP
    ✅ Exercise 1.1: Correct. Well done!

Each check tests behaviour (often on fresh data you did not see), so a hard-coded answer
fails; a stub you have not filled in yet answers "not done yet".
"""

from .augmentation import build_augmentation, early_stopping, harmful_augmentation, predict_with_tta
from .classic import growth_exponent, knn_predict, squared_distances, to_rows
from .cnn import (
    build_small_cnn,
    conv_output_size,
    conv_params,
    most_confused_pairs,
    train_small_cnn,
)
from .distributed import distributed_model, make_dataset, scaled_settings, tf_config
from .ensembles import (
    accuracy_by_members,
    ensemble_probabilities,
    ensemble_with_tta,
    majority_vote,
    mistake_overlap,
)
from .framework import Hint, run_check
from .loading import count_per_digit, ink_per_image, mean_image_per_digit, nearest_mean_predict
from .mlp import (
    accuracy,
    build_small_mlp,
    confusion_matrix,
    most_confident_mistakes,
    small_mlp_task,
    train_small_mlp,
)
from .normalization import build_standardizing_model, scale_to_range, standardize, x_train_norm
from .one_hot import cross_entropy, from_one_hot, one_hot, x_train_cnn
from .own_digit import (
    centre_by_mass,
    crop_to_ink,
    expected_calibration_error,
    fit_temperature,
    occlusion_map,
)
from .siblings import fashion_augmentation, mirror, per_class_accuracy, top_k_accuracy
from .transfer import labelled_subset, select_digits, unfreeze_top, with_new_head

__all__ = [
    "Hint",
    "run_check",
    "count_per_digit",
    "ink_per_image",
    "mean_image_per_digit",
    "nearest_mean_predict",
    "build_standardizing_model",
    "scale_to_range",
    "standardize",
    "x_train_norm",
    "cross_entropy",
    "from_one_hot",
    "one_hot",
    "x_train_cnn",
    "build_augmentation",
    "early_stopping",
    "harmful_augmentation",
    "predict_with_tta",
    "accuracy",
    "build_small_mlp",
    "confusion_matrix",
    "most_confident_mistakes",
    "small_mlp_task",
    "train_small_mlp",
    "conv_output_size",
    "conv_params",
    "most_confused_pairs",
    "build_small_cnn",
    "train_small_cnn",
    "to_rows",
    "squared_distances",
    "knn_predict",
    "growth_exponent",
    "per_class_accuracy",
    "mirror",
    "fashion_augmentation",
    "top_k_accuracy",
    "select_digits",
    "labelled_subset",
    "with_new_head",
    "unfreeze_top",
    "ensemble_probabilities",
    "mistake_overlap",
    "majority_vote",
    "accuracy_by_members",
    "ensemble_with_tta",
    "crop_to_ink",
    "centre_by_mass",
    "occlusion_map",
    "expected_calibration_error",
    "fit_temperature",
    "scaled_settings",
    "make_dataset",
    "tf_config",
    "distributed_model",
]
