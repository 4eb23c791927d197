"""The course's models, read from the notebooks that teach them: one definition, no copy.

Notebooks 04-06 mark the cells that define a model and how it is trained with the cell tag
``recipe``. Those cells define, for a model called ``name`` (``mlp``, ``cnn``, ``augmented_cnn``):

* ``build_<name>()``: the uncompiled Keras model, taking raw ``uint8`` images (N, 28, 28);
* ``compile_<name>(model, train_size, epochs)``: optimizer, schedule, loss and metrics;
* ``<NAME>_FIT``: the keyword arguments of ``model.fit`` (``epochs``, ``batch_size``, ...);
* optionally ``predict_<name>(model, images)``: class probabilities (default ``model.predict``).

Recipe cells may use ``keras``, ``np`` and ``helpers`` (the notebook's setup cell imports them)
and anything an earlier recipe cell of the same notebook defined.

    >>> recipe = load_recipe("notebooks/05_cnn.ipynb", "cnn")  # doctest: +SKIP
    >>> model = recipe.build()  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
COURSE_MODELS = {
    "mlp": ROOT / "notebooks" / "04_mlp.ipynb",
    "cnn": ROOT / "notebooks" / "05_cnn.ipynb",
    "augmented_cnn": ROOT / "notebooks" / "06_augmentation.ipynb",
}
RECIPE_TAG = "recipe"


@dataclass(frozen=True)
class Recipe:
    """A course model's builder, compile step, fit settings and predictor, as the notebook defines them."""

    name: str
    build: Callable[[], Any]
    compile: Callable[..., None]
    fit_settings: dict
    predict: Callable[[Any, Any], Any]
    source: str


def recipe_cells(notebook_path: str | Path) -> list[str]:
    """The sources of the cells tagged ``recipe``, in notebook order.

    >>> len(recipe_cells(COURSE_MODELS["mlp"])) > 0  # doctest: +SKIP
    True
    """
    notebook = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
    return [
        "".join(cell["source"])
        for cell in notebook["cells"]
        if cell["cell_type"] == "code" and RECIPE_TAG in cell.get("metadata", {}).get("tags", [])
    ]


def load_recipe(notebook_path: str | Path, name: str) -> Recipe:
    """Run a notebook's recipe cells and return the model ``name`` they define.

    >>> load_recipe(COURSE_MODELS["cnn"], "cnn").fit_settings["epochs"]  # doctest: +SKIP
    8
    """
    import keras
    import numpy as np

    import helpers

    sources = recipe_cells(notebook_path)
    if not sources:
        raise ValueError(f"{notebook_path} has no cells tagged {RECIPE_TAG!r}.")
    namespace: dict[str, Any] = {"keras": keras, "np": np, "helpers": helpers}
    for source in sources:
        exec(compile(source, f"{Path(notebook_path).name}[recipe]", "exec"), namespace)
    wanted = [f"build_{name}", f"compile_{name}", f"{name.upper()}_FIT"]
    missing = [key for key in wanted if key not in namespace]
    if missing:
        raise ValueError(f"{notebook_path}: the recipe cells do not define {missing}.")
    predict = namespace.get(f"predict_{name}") or (
        lambda model, images: model.predict(images, verbose=0)
    )
    return Recipe(
        name=name,
        build=namespace[f"build_{name}"],
        compile=namespace[f"compile_{name}"],
        fit_settings=dict(namespace[f"{name.upper()}_FIT"]),
        predict=predict,
        source="\n\n".join(sources),
    )
