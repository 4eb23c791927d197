"""Time to accuracy: the course's models against the classic tutorials, in one run, on this machine.

    python benchmarks/time_to_accuracy.py                 # one seed, a table
    python benchmarks/time_to_accuracy.py --seeds 5       # five seeds: mean ± spread per model
    python benchmarks/time_to_accuracy.py --json          # one JSON row per model and seed
    python benchmarks/time_to_accuracy.py --seeds 5 --save  # also store the results for the notebooks
    python benchmarks/time_to_accuracy.py --models cnn classic_cnn

The course models (``mlp``, ``cnn``, ``augmented_cnn``) are read from the notebooks' cells
tagged ``recipe`` (see ``recipes.py``), so this measures exactly what the notebooks teach, with
the full-mode training budget whatever ``COURSE_FAST`` says. ``cnn_fashion`` is the course CNN's
recipe trained and tested on Fashion-MNIST instead (notebook 08), and ``svm_rbf_20k`` notebook 07's
best classic method (see ``classic_ml.py``). Seeds run in the outer loop, so
every model sees the machine in the same state, on average. Timings are wall-clock seconds and
vary with the machine and its load: compare them as ratios within one run.

Which CPU kernels TensorFlow runs changes the ratios (see ``helpers.prefer_onednn_kernels``). On a
machine with AVX-512, two variables show what a laptop with AVX2 alone would do:

    ONEDNN_MAX_CPU_ISA=AVX2 python benchmarks/time_to_accuracy.py   # the course there (oneDNN, AVX2)
    TF_ENABLE_ONEDNN_OPTS=0 python benchmarks/time_to_accuracy.py   # TensorFlow's own default there (Eigen)
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

import helpers  # noqa: E402
from benchmarks.classic_ml import CLASSIC_ML_MODELS, measure_svm  # noqa: E402
from benchmarks.classic_recipes import CLASSIC_RECIPES  # noqa: E402
from benchmarks.recipes import COURSE_MODELS, load_recipe  # noqa: E402

FIRST_SEED = 42  # the notebooks' own seed, so seed 42's row is the run a notebook stores
REFERENCE = "classic_cnn"
RESULTS_FILE = (
    Path(__file__).resolve().parents[1] / "helpers" / "benchmark_results.json"
)  # read by helpers.measured
OTHER_DATA_MODELS = {"cnn_fashion": ("cnn", "fashion_mnist")}  # name: (course model, data set)
ALL_MODELS = (
    list(COURSE_MODELS) + list(OTHER_DATA_MODELS) + list(CLASSIC_RECIPES) + list(CLASSIC_ML_MODELS)
)


def measure_course_model(name: str, data, seed: int = FIRST_SEED, recipe_name: str = "") -> dict:
    """Train one course model exactly as its notebook does and measure it; ``recipe_name``
    trains the recipe of another course model under ``name`` (for the same recipe on other data).

    >>> measure_course_model("mlp", helpers.load_mnist(), seed=42)  # doctest: +SKIP
    """
    import keras

    (x_train, y_train), (x_test, y_test) = data
    recipe_name = recipe_name or name
    recipe = load_recipe(COURSE_MODELS[recipe_name], recipe_name)
    keras.utils.set_random_seed(seed)
    model = recipe.build()
    recipe.compile(model, train_size=len(x_train), epochs=recipe.fit_settings["epochs"])
    return _fit_and_test(
        name,
        seed,
        model,
        recipe.fit_settings,
        (x_train, y_train),
        (x_test, y_test),
        predict=lambda: recipe.predict(model, x_test),
    )


def measure_classic_model(name: str, data, seed: int = FIRST_SEED) -> dict:
    """Train one classic tutorial recipe the way its tutorial does and measure it.

    >>> measure_classic_model("classic_cnn", helpers.load_mnist(), seed=42)  # doctest: +SKIP
    """
    import keras

    (x_train, y_train), (x_test, y_test) = data
    keras.utils.set_random_seed(seed)
    model, fit_settings = CLASSIC_RECIPES[name]()
    channels = model.input_shape[-1] == 1
    prepare = (
        (lambda x: (x / 255.0).astype("float32")[..., None])
        if channels
        else (lambda x: (x / 255.0).astype("float32"))
    )
    x_fit, x_eval = prepare(x_train), prepare(x_test)
    return _fit_and_test(
        name,
        seed,
        model,
        fit_settings,
        (x_fit, y_train),
        (x_eval, y_test),
        predict=lambda: model.predict(x_eval, verbose=0),
    )


def _fit_and_test(name, seed, model, fit_settings, train, test, predict) -> dict:
    """Time ``model.fit`` on ``train`` and ``predict()`` (probabilities for ``test``), and make the result row."""
    (x_fit, y_fit), (_, y_test) = train, test
    started = time.perf_counter()
    model.fit(x_fit, y_fit, verbose=0, **fit_settings)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    predicted = np.argmax(predict(), axis=1)
    predict_seconds = time.perf_counter() - started
    return {
        "model": name,
        "seed": int(seed),
        "epochs": int(fit_settings["epochs"]),
        "params": int(model.count_params()),
        "fit_seconds": round(fit_seconds, 1),
        "predict_seconds": round(predict_seconds, 2),
        "test_accuracy": round(float(np.mean(predicted == y_test)), 4),
    }


def seconds_to_result(row: dict) -> float:
    """Fit plus prediction seconds: what a test result costs, test-time augmentation included.

    >>> seconds_to_result({"fit_seconds": 20.0, "predict_seconds": 1.5})
    21.5
    """
    return row["fit_seconds"] + row.get("predict_seconds", 0.0)


def add_time_ratios(results: list[dict]) -> None:
    """Give every row ``time_vs_classic_cnn``: its fit-plus-predict time over the classic CNN's, of the
    same seed, that is of the same pass over the models (None when that pass has no classic CNN).

        >>> rows = [{"model": "classic_cnn", "seed": 1, "fit_seconds": 79.0, "predict_seconds": 1.0},
        ...         {"model": "cnn", "seed": 1, "fit_seconds": 19.0, "predict_seconds": 1.0}]
        >>> add_time_ratios(rows); rows[1]["time_vs_classic_cnn"]
        0.25
    """
    reference = {r.get("seed"): seconds_to_result(r) for r in results if r["model"] == REFERENCE}
    for result in results:
        seconds = reference.get(result.get("seed"))
        result["time_vs_classic_cnn"] = (
            round(seconds_to_result(result) / seconds, 2) if seconds else None
        )


def summarize(results: list[dict]) -> list[dict]:
    """One row per model, in first-seen order: accuracy mean, standard deviation, minimum and
    maximum over its seeds, mean fit and predict seconds, and the ratio of its mean fit-plus-predict
    time to the classic CNN's in the same run (None without a classic CNN).

        >>> rows = [{"model": "cnn", "seed": s, "epochs": 5, "params": 10, "fit_seconds": f,
        ...          "predict_seconds": 0.5, "test_accuracy": a} for s, f, a in [(1, 20.0, 0.994), (2, 22.0, 0.996)]]
        >>> summary = summarize(rows)[0]
        >>> summary["seeds"], summary["accuracy_mean"], summary["accuracy_min"], summary["fit_seconds_mean"]
        (2, 0.995, 0.994, 21.0)
    """
    by_model: dict[str, list[dict]] = {}
    for result in results:
        by_model.setdefault(result["model"], []).append(result)

    def mean_fit(rows):
        return statistics.fmean(r["fit_seconds"] for r in rows)

    def mean_time(rows):
        return statistics.fmean(seconds_to_result(r) for r in rows)

    reference = mean_time(by_model[REFERENCE]) if REFERENCE in by_model else None
    summary = []
    for model, rows in by_model.items():
        accuracies = [r["test_accuracy"] for r in rows]
        summary.append(
            {
                "model": model,
                "epochs": rows[0]["epochs"],
                "params": rows[0]["params"],
                "seeds": len(rows),
                "accuracy_mean": round(statistics.fmean(accuracies), 5),
                "accuracy_std": round(statistics.stdev(accuracies), 5) if len(rows) > 1 else 0.0,
                "accuracy_min": min(accuracies),
                "accuracy_max": max(accuracies),
                "fit_seconds_mean": round(mean_fit(rows), 1),
                "predict_seconds_mean": round(
                    statistics.fmean(r.get("predict_seconds", 0.0) for r in rows), 2
                ),
                "time_vs_classic_cnn": round(mean_time(rows) / reference, 2) if reference else None,
            }
        )
    return summary


def format_table(summary: list[dict]) -> str:
    """The per-model summary as a Markdown table, ready for the README.

    >>> print(format_table([{"model": "cnn", "epochs": 5, "params": 10, "seeds": 5, "accuracy_mean": 0.99512,
    ...     "accuracy_std": 0.0004, "accuracy_min": 0.9946, "accuracy_max": 0.9956, "fit_seconds_mean": 2.0,
    ...     "predict_seconds_mean": 0.4, "time_vs_classic_cnn": None}]))  # doctest: +NORMALIZE_WHITESPACE
    | model | epochs | parameters | seeds | test accuracy, mean ± std | min | max | fit seconds | predict seconds | time vs classic CNN |
    | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
    | cnn | 5 | 10 | 5 | 99.51 ± 0.04 % | 99.46 % | 99.56 % | 2.0 | 0.4 | – |
    """
    lines = [
        "| model | epochs | parameters | seeds | test accuracy, mean ± std | min | max | fit seconds | predict seconds "
        "| time vs classic CNN |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in summary:
        ratio = "–" if r["time_vs_classic_cnn"] is None else f"{r['time_vs_classic_cnn']:.2f}×"
        lines.append(
            f"| {r['model']} | {r['epochs'] or '–'} | {r['params']:,} | {r['seeds']} "
            f"| {100 * r['accuracy_mean']:.2f} ± {100 * r['accuracy_std']:.2f} % | {100 * r['accuracy_min']:.2f} % "
            f"| {100 * r['accuracy_max']:.2f} % | {r['fit_seconds_mean']:.1f} | {r['predict_seconds_mean']:.1f} | {ratio} |"
        )
    return "\n".join(lines)


def run(models: list[str], seeds: list[int], data) -> list[dict]:
    """Train every model once per seed, seeds in the outer loop, and return one row per run.

    >>> rows = run(["cnn", "classic_cnn"], [42, 43], helpers.load_mnist())  # doctest: +SKIP
    """
    results = []
    other_data: dict[str, object] = {}
    for seed in seeds:
        for name in models:
            if name in OTHER_DATA_MODELS:
                recipe_name, dataset = OTHER_DATA_MODELS[name]
                if dataset not in other_data:
                    other_data[dataset] = helpers.load_dataset(dataset)
                result = measure_course_model(name, other_data[dataset], seed, recipe_name)
            elif name in CLASSIC_ML_MODELS:
                result = measure_svm(data, seed)
            else:
                measure = measure_course_model if name in COURSE_MODELS else measure_classic_model
                result = measure(name, data, seed=seed)
            results.append(result)
            print(
                f"seed {seed} · {name}: {result['fit_seconds']:.1f} s, {100 * result['test_accuracy']:.2f} %",
                file=sys.stderr,
                flush=True,
            )
    add_time_ratios(results)
    return results


def where_measured(seeds: list[int]) -> dict:
    """The date, machine and versions of this run, stored beside its results.

    >>> where_measured([42])["seeds"]
    1
    """
    import keras
    import tensorflow as tf

    return {
        "date": datetime.date.today().isoformat(),
        "seeds": len(seeds),
        "first_seed": seeds[0],
        "cpu": _cpu_name(),
        "cpu_count": os.cpu_count(),
        "onednn": _onednn_enabled(),
        "onednn_max_cpu_isa": os.environ.get("ONEDNN_MAX_CPU_ISA", "default"),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
    }


def _onednn_enabled() -> bool | None:
    """Whether TensorFlow runs its oneDNN kernels in this process (None where it cannot tell)."""
    try:
        from tensorflow.python.util import _pywrap_util_port  # private, so it may move
    except ImportError:
        return None
    is_enabled = getattr(_pywrap_util_port, "IsMklEnabled", None)
    return bool(is_enabled()) if is_enabled else None


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def save_results(results: list[dict], measured: dict, path: Path = RESULTS_FILE) -> None:
    """Write the run (where it was measured, one summary row per model, every row) for ``helpers.measured``.

    >>> save_results(rows, where_measured([42]))  # doctest: +SKIP
    """
    document = {"measured": measured, "summary": summarize(results), "runs": results}
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON row per model and seed instead of a table",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=1,
        metavar="N",
        help=f"train every model with N seeds, {FIRST_SEED}, {FIRST_SEED + 1}, ... (default: 1)",
    )
    parser.add_argument(
        "--models",
        nargs="+",
        choices=ALL_MODELS,
        default=ALL_MODELS,
        metavar="MODEL",
        help=f"which models to train (default: all of {', '.join(ALL_MODELS)})",
    )
    parser.add_argument(
        "--save",
        action="store_true",
        help=f"also write the results to {RESULTS_FILE.relative_to(RESULTS_FILE.parents[1])}, "
        "where the notebooks and the README table read them",
    )
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    os.environ["COURSE_FAST"] = "0"  # the benchmark always measures the full-mode recipes
    seeds = [FIRST_SEED + i for i in range(args.seeds)]
    try:
        results = run(args.models, seeds, helpers.load_mnist())
    except helpers.DatasetError as error:  # MNIST, or Fashion-MNIST for cnn_fashion, is missing
        print(error, file=sys.stderr)
        return 2
    if args.save:
        save_results(results, where_measured(seeds))
    print(json.dumps(results, indent=2) if args.json else format_table(summarize(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
