"""Feedback figures: they draw what the tables hold."""

from __future__ import annotations

import matplotlib as mpl

mpl.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import polars as pl
import pytest

from crmanalytics.feedback import nps_by, nps_trend
from crmanalytics.plotting.feedback import plot_nps_by, plot_nps_trend


def answers() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = 300
    return pd.DataFrame(
        {
            "customer_id": range(rows),
            "timestamp": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 180, rows), "D"),
            "kind": "nps",
            "channel": rng.choice(["web", "app"], rows),
            "score": rng.integers(0, 11, rows).astype(float),
        }
    )


def test_trend_line_and_band_follow_the_table() -> None:
    trend = nps_trend(answers(), method="adjusted-wald")
    fig, ax = plt.subplots()
    try:
        assert plot_nps_trend(pl.from_pandas(trend), ax=ax) is ax
        (line,) = ax.get_lines()[:1]
        np.testing.assert_allclose(line.get_ydata(), trend["nps"])
        (band,) = ax.collections
        ys = band.get_paths()[0].vertices[:, 1]
        assert ys.min() == pytest.approx(trend["nps_low"].min())
        assert ys.max() == pytest.approx(trend["nps_high"].max())
    finally:
        plt.close(fig)


def test_one_line_per_group_and_bad_table() -> None:
    trend = nps_trend(answers(), by="channel")
    ax = plot_nps_trend(trend, group="channel")
    try:
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["app", "web"]
        assert len(ax.collections) == 2
        with pytest.raises(ValueError, match="'nps_low'"):
            plot_nps_trend(trend.drop(columns="nps_low"))
    finally:
        plt.close("all")


def test_by_plot_draws_interval_bounds() -> None:
    table = nps_by(answers(), by="channel", method="adjusted-wald")
    ax = plot_nps_by(table, by="channel")
    try:
        segments = ax.collections[0].get_segments()
        np.testing.assert_allclose([s[0][0] for s in segments], table["nps_low"])
        np.testing.assert_allclose([s[1][0] for s in segments], table["nps_high"])
    finally:
        plt.close("all")
