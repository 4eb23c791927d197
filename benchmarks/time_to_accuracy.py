"""Time to accuracy: the course's models against the classic tutorials, in one run, on this machine.

    python benchmarks/time_to_accuracy.py            # a table
    python benchmarks/time_to_accuracy.py --json     # machine-readable results
    python benchmarks/time_to_accuracy.py --models cnn classic_cnn

The course models (``mlp``, ``cnn``, ``augmented_cnn``) are read from the notebooks' cells
tagged ``recipe`` (see ``recipes.py``), so this measures exactly what the notebooks teach, with
the full-mode training budget whatever ``COURSE_FAST`` says. Timings are wall-clock seconds of
``model.fit`` and vary with the machine's load: compare them as ratios within one run.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import helpers  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks.classic_recipes import CLASSIC_RECIPES  # noqa: E402
from benchmarks.recipes import COURSE_MODELS, load_recipe  # noqa: E402

SEED = 42
REFERENCE = "classic_cnn"
ALL_MODELS = list(COURSE_MODELS) + list(CLASSIC_RECIPES)


def measure_course_model(name: str, data) -> dict:
    """Train one course model exactly as its notebook does and measure it.

        >>> measure_course_model("mlp", helpers.load_mnist())  # doctest: +SKIP
    """
    import keras

    (x_train, y_train), (x_test, y_test) = data
    recipe = load_recipe(COURSE_MODELS[name], name)
    keras.utils.set_random_seed(SEED)
    model = recipe.build()
    recipe.compile(model, train_size=len(x_train), epochs=recipe.fit_settings["epochs"])
    started = time.perf_counter()
    model.fit(x_train, y_train, verbose=0, **recipe.fit_settings)
    seconds = time.perf_counter() - started
    predicted = np.argmax(recipe.predict(model, x_test), axis=1)
    return _result(name, recipe.fit_settings["epochs"], model.count_params(), seconds, predicted, y_test)


def measure_classic_model(name: str, data) -> dict:
    """Train one classic tutorial recipe the way its tutorial does and measure it.

        >>> measure_classic_model("classic_cnn", helpers.load_mnist())  # doctest: +SKIP
    """
    import keras

    (x_train, y_train), (x_test, y_test) = data
    keras.utils.set_random_seed(SEED)
    model, fit_settings = CLASSIC_RECIPES[name]()
    channels = model.input_shape[-1] == 1
    prepare = (lambda x: (x / 255.0).astype("float32")[..., None]) if channels else (lambda x: (x / 255.0).astype("float32"))
    x_fit, x_eval = prepare(x_train), prepare(x_test)
    started = time.perf_counter()
    model.fit(x_fit, y_train, verbose=0, **fit_settings)
    seconds = time.perf_counter() - started
    predicted = np.argmax(model.predict(x_eval, verbose=0), axis=1)
    return _result(name, fit_settings["epochs"], model.count_params(), seconds, predicted, y_test)


def _result(name, epochs, params, seconds, predicted, y_test) -> dict:
    return {
        "model": name,
        "epochs": int(epochs),
        "params": int(params),
        "fit_seconds": round(seconds, 1),
        "test_accuracy": round(float(np.mean(predicted == y_test)), 4),
    }


def add_time_ratios(results: list[dict]) -> None:
    """Give every result ``time_vs_classic_cnn``: its fit time over the classic CNN's (None if absent).

        >>> rows = [{"model": "classic_cnn", "fit_seconds": 80.0}, {"model": "cnn", "fit_seconds": 20.0}]
        >>> add_time_ratios(rows); rows[1]["time_vs_classic_cnn"]
        0.25
    """
    reference = next((r["fit_seconds"] for r in results if r["model"] == REFERENCE), None)
    for result in results:
        result["time_vs_classic_cnn"] = round(result["fit_seconds"] / reference, 2) if reference else None


def format_table(results: list[dict]) -> str:
    """The results as a Markdown table, ready for the README.

        >>> print(format_table([{"model": "cnn", "epochs": 5, "params": 10, "fit_seconds": 2.0,
        ...                      "test_accuracy": 0.99, "time_vs_classic_cnn": None}]))  # doctest: +NORMALIZE_WHITESPACE
        | model | epochs | parameters | fit seconds | test accuracy | time vs classic CNN |
        | --- | --- | --- | --- | --- | --- |
        | cnn | 5 | 10 | 2.0 | 99.00 % | – |
    """
    lines = [
        "| model | epochs | parameters | fit seconds | test accuracy | time vs classic CNN |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        ratio = "–" if r["time_vs_classic_cnn"] is None else f"{r['time_vs_classic_cnn']:.2f}×"
        lines.append(
            f"| {r['model']} | {r['epochs']} | {r['params']:,} | {r['fit_seconds']:.1f} | {100 * r['test_accuracy']:.2f} % | {ratio} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print a JSON list of results instead of a table")
    parser.add_argument("--models", nargs="+", choices=ALL_MODELS, default=ALL_MODELS, metavar="MODEL",
                        help=f"which models to train (default: all of {', '.join(ALL_MODELS)})")
    args = parser.parse_args(argv)
    os.environ["COURSE_FAST"] = "0"  # the benchmark always measures the full-mode recipes
    try:
        data = helpers.load_mnist()
    except helpers.MnistDataError as error:
        print(error, file=sys.stderr)
        return 2
    results = []
    for name in args.models:
        measure = measure_course_model if name in COURSE_MODELS else measure_classic_model
        result = measure(name, data)
        results.append(result)
        print(f"{name}: {result['fit_seconds']:.1f} s, {100 * result['test_accuracy']:.2f} %", file=sys.stderr, flush=True)
    add_time_ratios(results)
    print(json.dumps(results, indent=2) if args.json else format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
