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
    plot_probability_alive,
)

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
