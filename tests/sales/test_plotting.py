"""The sales figures draw what the result tables say."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from crmanalytics.plotting import plot_revenue_bridge as lazy_bridge
from crmanalytics.plotting.sales import (
    plot_product_trends,
    plot_revenue_bridge,
    plot_revenue_decomposition,
    plot_sales_summary,
)
from crmanalytics.sales import (
    product_trends,
    revenue_bridge,
    revenue_decomposition,
    sales_summary,
)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_summary_marks_partial_periods(transactions):
    t = transactions[transactions["timestamp"] >= "2023-01-15"]
    summary = sales_summary(t)
    ax = plot_sales_summary(summary)
    hollow = [
        line
        for line in ax.get_lines()
        if line.get_markerfacecolor() == "white" and line.get_linestyle() == "None"
    ]
    assert len(hollow) == int(summary["is_partial"].sum()) == 2
    solid = ax.get_lines()[0].get_ydata()
    assert np.isnan(solid[0])
    assert np.isnan(solid[-1])
    assert "partial period" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_summary_by_group(transactions):
    ax = plot_sales_summary(
        sales_summary(transactions, by="channel"), group="channel", last_year=False
    )
    assert ax.get_legend().get_title().get_text() == "channel"


def test_bridge_waterfall_closes(transactions):
    bridge = revenue_bridge(transactions)
    ax = plot_revenue_bridge(bridge, period="2023-06-01")
    row = bridge.set_index("period").loc["2023-06-01"]
    bars = ax.patches
    assert bars[0].get_height() == pytest.approx(row["revenue_previous"])
    assert bars[-1].get_height() == pytest.approx(row["revenue"])
    top_of_steps = bars[-2].get_y() + (bars[-2].get_height() if row["retained_change"] >= 0 else 0)
    assert top_of_steps == pytest.approx(row["revenue"])
    assert lazy_bridge is plot_revenue_bridge


def test_bridge_needs_one_group(transactions):
    with pytest.raises(ValueError, match="one group"):
        plot_revenue_bridge(revenue_bridge(transactions, by="channel"), period="2023-06-01")


def test_decomposition_single_and_grouped(transactions):
    periods = (("2023-01-01", "2023-06-30"), ("2023-07-01", "2023-12-31"))
    ax = plot_revenue_decomposition(revenue_decomposition(transactions, periods=periods))
    assert len(ax.patches) == 6  # before, 4 factors (with quantity), after
    grouped = revenue_decomposition(transactions, periods=periods, by="channel")
    ax = plot_revenue_decomposition(grouped, by="channel")
    assert [t.get_text() for t in ax.get_yticklabels()] == grouped["channel"].tolist()


def test_product_trends_named(transactions):
    t = transactions[transactions["amount"] > 0]
    t = t.assign(product_name="Item " + t["product_id"])
    trends = product_trends(t, min_periods=6)
    ax = plot_product_trends(trends, top=3, significant_only=False)
    labels = [x.get_text() for x in ax.get_yticklabels()]
    assert len(labels) == 6
    assert all(" Item P" in label for label in labels)


def test_product_trends_significant_only():
    trends = pd.DataFrame(
        {
            "product_id": ["A", "B", "C"],
            "growth_rate": [0.9, 0.2, -0.1],
            "growth_rate_low": [-0.5, 0.1, -0.2],
            "growth_rate_high": [1e40, 0.3, -0.05],
            "trend": ["flat", "rising", "declining"],
        }
    )
    ax = plot_product_trends(trends)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["B", "C"]
    assert ax.get_xlim()[1] < 100  # a huge interval does not stretch the axis


def test_missing_columns_are_explained():
    with pytest.raises(ValueError, match="sales_summary"):
        plot_sales_summary(pd.DataFrame({"period": []}))
