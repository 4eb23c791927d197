"""The benchmark's saved results: complete, shipped with the package, and the README shows them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import helpers.measured as measured
from benchmarks.recipes import COURSE_MODELS
from benchmarks.time_to_accuracy import REFERENCE, format_table, summarize

ROOT = Path(__file__).resolve().parents[1]


def test_saved_results_cover_every_course_model_and_the_reference():
    models = {row["model"] for row in measured.benchmark_results()["summary"]}
    assert set(COURSE_MODELS) | {REFERENCE} <= models


def test_summary_is_what_the_saved_runs_give():
    results = measured.benchmark_results()
    assert results["summary"] == summarize(results["runs"]), (
        "helpers/benchmark_results.json was edited by hand: rerun benchmarks/time_to_accuracy.py --save"
    )


def test_every_model_was_measured_over_several_seeds():
    results = measured.benchmark_results()
    assert results["measured"]["seeds"] >= 5
    assert all(row["seeds"] == results["measured"]["seeds"] for row in results["summary"])


def test_readme_table_is_the_saved_benchmark():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = format_table(measured.benchmark_results()["summary"])
    assert table in readme, (
        "the README's benchmark table differs from helpers/benchmark_results.json: paste format_table's output"
    )


def test_package_data_ships_the_results():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'helpers = \[[^\]]*"benchmark_results\.json"', pyproject)


def test_description_reads_mean_spread_extremes_and_ratio():
    text = measured.describe_benchmark("cnn")
    assert re.fullmatch(
        r"\d\d\.\d\d ± \d\.\d\d % over \d+ seeds \(lowest \d\d\.\d\d %, highest \d\d\.\d\d %\), "
        r"trained and tested in \d+\.\d\d× the classic CNN's time",
        text,
    ), text


def test_unknown_model_says_which_exist():
    with pytest.raises(KeyError, match="has no model 'resnet'.*cnn"):
        measured.benchmark_summary("resnet")


def test_missing_file_says_how_to_make_it(tmp_path, monkeypatch):
    monkeypatch.setattr(measured, "RESULTS_FILE", tmp_path / "absent.json")
    measured.benchmark_results.cache_clear()
    try:
        with pytest.raises(FileNotFoundError, match="--seeds 5 --save"):
            measured.benchmark_results()
    finally:
        measured.benchmark_results.cache_clear()


def test_results_table_shows_every_course_model_in_order():
    table = measured.results_table().splitlines()
    titles = [title for _, title in measured.COURSE_PROGRESSION]
    assert [line[:34].strip() for line in table[1:5]] == titles
    assert "measured over 5 seeds" in table[-1]
