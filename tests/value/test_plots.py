"""The value figures draw what the model says."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmanalytics.value import BetaGeoModel, BetaGeoParams

pytest.importorskip("matplotlib")
import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt

from crmanalytics.plotting.value import (
    plot_calibration_holdout,
    plot_frequency_recency,
    plot_holdout,
    plot_probability_alive,
    plot_tracking,
)
from crmanalytics.value import evaluate_holdout, tracking

MODEL = BetaGeoModel.from_params(BetaGeoParams(0.243, 4.414, 0.793, 2.426))


def test_matrices_show_model_values() -> None:
    fig, (left, right) = plt.subplots(1, 2)
    ax = plot_frequency_recency(MODEL, T=39.0, t=10.0, max_frequency=5, ax=left)
    assert ax is left
    image = ax.get_images()[0].get_array()
    assert image.shape == (6, 60)
    cell = pd.DataFrame({"frequency": [5], "recency": [39.0], "T": [39.0]})
    assert image[5, -1] == pytest.approx(MODEL.expected_purchases(cell, 10.0)[0])
    alive = plot_probability_alive(MODEL, T=39.0, max_frequency=5, ax=right)
    values = alive.get_images()[0].get_array()
    assert np.all(values[0] == 1.0)  # no repeat purchase: alive by assumption
    assert values[5, 0] < values[5, -1]  # recent buyers are more likely alive
    plt.close(fig)


def test_calibration_vs_holdout_lines(cdnow_weeks: pd.DataFrame) -> None:
    ax = plot_calibration_holdout(MODEL, cdnow_weeks, max_frequency=7)
    actual, predicted = ax.get_lines()
    x0 = cdnow_weeks["frequency"] == 0
    assert actual.get_ydata()[0] == pytest.approx(cdnow_weeks.loc[x0, "frequency_holdout"].mean())
    assert predicted.get_ydata()[0] == pytest.approx(
        MODEL.expected_purchases(cdnow_weeks[x0], 39.0).mean()
    )
    assert len(actual.get_xdata()) == 8
    plt.close(ax.figure)


def test_holdout_plot_draws_the_evaluation(cdnow_weeks: pd.DataFrame) -> None:
    result = evaluate_holdout(MODEL, cdnow_weeks, max_frequency=5)
    fig, ax = plt.subplots()
    assert plot_holdout(result, ax=ax) is ax
    actual, predicted = ax.get_lines()
    np.testing.assert_allclose(actual.get_ydata(), result.table["mean_actual"])
    np.testing.assert_allclose(predicted.get_ydata(), result.table["mean_predicted"])
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "5+"
    plt.close(fig)


def test_tracking_plot_marks_holdout_and_partial_periods(cdnow: pd.DataFrame) -> None:
    weekly = BetaGeoModel.from_params(MODEL.params_, time_unit="W")
    frame = tracking(weekly, cdnow, calibration_end="1997-09-30")
    ax = plot_tracking(frame)
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["actual", "predicted", "incomplete period", "holdout starts"]
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), frame["predicted_cumulative"])
    plt.close(ax.figure)
    per_period = plot_tracking(frame, cumulative=False)
    # partial first and last weeks are not drawn as part of the line (never as a drop)
    assert len(per_period.get_lines()[0].get_ydata()) == len(frame) - 2
    plt.close(per_period.figure)


class _Half:
    """A purchase model outside the base, for the figures."""

    time_unit_ = "W"

    def expected_purchases(self, summary, t):
        return 0.5 * np.asarray(summary["frequency"], dtype=float) + 0 * t

    def probability_alive(self, summary):
        return np.full(len(summary), 0.5)

    def probability_of_purchases(self, summary, n, t):
        return np.zeros(len(summary))

    def expected_purchases_new_customer(self, t):
        return np.atleast_1d(t) * 0.0


def test_figures_take_any_purchase_model(cdnow_weeks: pd.DataFrame) -> None:
    model = _Half()
    ax = plot_frequency_recency(model, T=39.0, max_frequency=4)
    assert ax.get_images()[0].get_array()[4, 0] == 2.0
    plt.close(ax.figure)
    ax = plot_probability_alive(model, T=39.0)
    assert np.all(ax.get_images()[0].get_array() == 0.5)
    plt.close(ax.figure)
    ax = plot_calibration_holdout(model, cdnow_weeks)
    assert ax.get_lines()[1].get_ydata()[1] == 0.5
    plt.close(ax.figure)
