"""The segmentation figures draw the numbers they are given."""

from __future__ import annotations

import matplotlib as mpl

mpl.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from crmanalytics.plotting.segmentation import plot_lorenz, plot_segments
from crmanalytics.segmentation import (
    concentration,
    rfm_scores,
    rfm_segments,
    rfm_table,
    segment_summary,
)


def test_plot_segments_bars_match_summary(transactions: pd.DataFrame) -> None:
    summary = segment_summary(rfm_segments(rfm_scores(rfm_table(transactions))))
    fig, ax = plt.subplots()
    assert plot_segments(summary, ax=ax) is ax
    widths = [p.get_width() for p in ax.patches]
    k = len(summary)
    np.testing.assert_allclose(widths[:k], summary["customer_share"])
    np.testing.assert_allclose(widths[k:], summary["revenue_share"])
    assert [t.get_text() for t in ax.get_yticklabels()] == summary["segment"].tolist()
    plt.close(fig)


def test_plot_lorenz_draws_the_curve() -> None:
    result = concentration(pd.DataFrame({"monetary": [1.0, 3.0, 6.0]}))
    ax = plot_lorenz(result)
    x, y = ax.lines[0].get_data()
    np.testing.assert_allclose(x, result.population_share)
    np.testing.assert_allclose(y, result.value_share)
    assert f"{result.gini:.2f}" in ax.get_title()
    plt.close(ax.figure)
    with pytest.raises(AttributeError):
        plot_lorenz(pd.DataFrame())  # type: ignore[arg-type]
