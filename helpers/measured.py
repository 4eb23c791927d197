"""What the course benchmark measured, so notebooks print measured numbers instead of typing them.

``benchmarks/time_to_accuracy.py --seeds 5 --save`` writes ``benchmark_results.json`` beside this
module: one summary row per model (accuracy mean, standard deviation, minimum and maximum over
the seeds, mean fit seconds, time ratio against the classic CNN) and where it was measured. The
file ships with the package, so the same numbers print in Colab.

    >>> print(describe_benchmark("cnn"))  # doctest: +SKIP
    99.45 ± 0.04 % over 5 seeds (lowest 99.41 %, highest 99.51 %), trained and tested in 0.30× the classic CNN's time
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

RESULTS_FILE = Path(__file__).with_name("benchmark_results.json")


@lru_cache(maxsize=1)
def benchmark_results() -> dict:
    """The saved benchmark run: ``{"measured": {...}, "summary": [...], "runs": [...]}``.

    >>> benchmark_results()["measured"]["seeds"]  # doctest: +SKIP
    5
    """
    try:
        return json.loads(RESULTS_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{RESULTS_FILE} is missing: reinstall the course helpers, or run "
            "`python benchmarks/time_to_accuracy.py --seeds 5 --save` from the course folder."
        ) from None


def benchmark_summary(model: str) -> dict:
    """The benchmark's summary row for one model (``mlp``, ``cnn``, ``augmented_cnn``, ``classic_cnn``, ...).

    >>> benchmark_summary("cnn")["accuracy_min"]  # doctest: +SKIP
    0.9941
    """
    rows = {row["model"]: row for row in benchmark_results()["summary"]}
    if model not in rows:
        raise KeyError(f"the saved benchmark has no model {model!r}; it has {', '.join(rows)}.")
    return rows[model]


def describe_benchmark(model: str) -> str:
    """One sentence with a model's measured accuracy (mean ± standard deviation, extremes) and time ratio.

    >>> describe_benchmark("augmented_cnn")  # doctest: +SKIP
    '99.62 ± 0.01 % over 5 seeds (lowest 99.60 %, highest 99.64 %), trained and tested in 3.88× the classic CNN's time'
    """
    row = benchmark_summary(model)
    text = (
        f"{100 * row['accuracy_mean']:.2f} ± {100 * row['accuracy_std']:.2f} % over {row['seeds']} seeds "
        f"(lowest {100 * row['accuracy_min']:.2f} %, highest {100 * row['accuracy_max']:.2f} %)"
    )
    if row.get("time_vs_classic_cnn") is not None:
        text += f", trained and tested in {row['time_vs_classic_cnn']:.2f}× the classic CNN's time"
    return text


COURSE_PROGRESSION = [
    ("mlp", "MLP (notebook 04)"),
    ("cnn", "CNN (notebook 05)"),
    ("augmented_cnn", "augmented CNN + TTA (notebook 06)"),
    ("classic_cnn", "classic tutorial CNN (reference)"),
]


def results_table() -> str:
    """The course's models side by side, as the benchmark measured them: one line per model.

    >>> print(results_table())  # doctest: +ELLIPSIS
    model                              parameters  epochs  test accuracy (mean ± std, lowest)  time vs classic CNN
    MLP (notebook 04)                  ...
    """
    rows = {row["model"]: row for row in benchmark_results()["summary"]}
    lines = [
        f"{'model':34} {'parameters':>10}  {'epochs':>6}  {'test accuracy (mean ± std, lowest)':34}  time vs classic CNN"
    ]
    for model, title in COURSE_PROGRESSION:
        row = rows.get(model)
        if row is None:
            continue
        accuracy = (
            f"{100 * row['accuracy_mean']:.2f} ± {100 * row['accuracy_std']:.2f} %, "
            f"{100 * row['accuracy_min']:.2f} %"
        )
        lines.append(
            f"{title:34} {row['params']:>10,}  {row['epochs']:>6}  {accuracy:34}  "
            f"{row['time_vs_classic_cnn']:.2f}×"
        )
    measured = benchmark_results()["measured"]
    lines.append(
        f"measured over {measured['seeds']} seeds on {measured['date']}, {measured['cpu_count']} CPU cores "
        f"({measured['cpu']}), TensorFlow {measured['tensorflow']}"
    )
    return "\n".join(lines)
