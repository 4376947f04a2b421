"""The churn figures draw the numbers they are given."""

from __future__ import annotations

import matplotlib as mpl

mpl.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import polars as pl

from crmanalytics.churn import churn_rate, cohort_retention, evaluate_churn
from crmanalytics.plotting.churn import plot_calibration, plot_churn_rate, plot_cohort_retention


def test_heatmap_cells_are_the_shares(make_transactions) -> None:
    t = make_transactions(3)
    table = cohort_retention(t)
    fig, ax = plt.subplots()
    assert plot_cohort_retention(table, ax=ax) is ax
    shown = ax.images[0].get_array()
    expected = table.drop(columns=["cohort", "cohort_size"]).to_numpy(dtype=float)
    np.testing.assert_allclose(shown.filled(np.nan), expected)
    assert np.array_equal(shown.mask, np.isnan(expected))
    plt.close(fig)


def test_heatmap_accepts_lazy_polars(make_transactions) -> None:
    table = cohort_retention(pl.from_pandas(make_transactions(3)).lazy(), period="Q")
    ax = plot_cohort_retention(table, annotate=False)
    assert ax.get_ylabel() == "cohort"
    plt.close(ax.figure)


def test_churn_rate_lines_per_segment(make_transactions) -> None:
    rates = churn_rate(make_transactions(3), inactivity=60, by="channel")
    ax = plot_churn_rate(rates, by="channel")
    assert [line.get_label() for line in ax.lines] == ["store", "web"]
    for line, (_, part) in zip(ax.lines, rates.groupby("channel"), strict=True):
        np.testing.assert_allclose(line.get_ydata(), part["churn_rate"].to_numpy(dtype=float))
    plt.close(ax.figure)


def test_calibration_points() -> None:
    result = evaluate_churn([0.05, 0.1, 0.9, 0.95, 0.5], [0, 0, 1, 1, 1], n_bins=5)
    ax = plot_calibration(result)
    x, y = ax.lines[1].get_data()
    used = result.calibration[result.calibration["n"] > 0]
    np.testing.assert_allclose(x, used["mean_score"])
    np.testing.assert_allclose(y, used["observed_rate"])
    plt.close(ax.figure)
