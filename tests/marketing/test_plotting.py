"""The marketing and churn-driver figures draw what the result tables hold."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from crmanalytics.churn import churn_dataset, churn_drivers
from crmanalytics.datasets import simulate
from crmanalytics.marketing import (
    acquisition_summary,
    campaign_performance,
    campaign_uplift,
    funnel,
)
from crmanalytics.plotting.churn_drivers import plot_churn_drivers
from crmanalytics.plotting.marketing import (
    plot_acquisition,
    plot_campaign_performance,
    plot_funnel,
    plot_uplift,
)


@pytest.fixture(scope="module")
def sim():
    return simulate(1500, seed=2)


def test_campaign_and_uplift_figures(sim) -> None:
    table = campaign_performance(sim.interactions, sim.transactions)
    ax = plot_campaign_performance(table)
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights, table["conversion_rate"])
    controls = sim.truth.campaign_controls
    results = [
        campaign_uplift(sim.interactions, sim.transactions, campaign_id=c,
                        control=controls.loc[controls["campaign_id"] == c, "customer_id"])
        for c in ("C01", "C02")
    ]  # fmt: skip
    ax = plot_uplift(results, metric="revenue")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["C01", "C02"]
    with pytest.raises(ValueError, match="metric"):
        plot_uplift(results, metric="profit")
    plt.close("all")


def test_funnel_acquisition_and_drivers_figures(sim) -> None:
    steps = funnel(sim.interactions, sim.transactions)
    ax = plot_funnel(steps)
    widths = sorted(p.get_width() for p in ax.patches)
    assert widths == sorted(steps["customers"].astype(float))
    summary = acquisition_summary(sim.transactions, sim.customers, period="M")
    ax = plot_acquisition(summary)
    assert len(ax.get_legend().get_texts()) == summary["acquisition_channel"].nunique()
    with pytest.raises(ValueError, match="period"):
        plot_acquisition(acquisition_summary(sim.transactions, sim.customers, period=None))
    data = churn_dataset(sim.transactions, sim.interactions, cutoff="2024-09-30", horizon=90,
                         p_alive=False)  # fmt: skip
    result = churn_drivers(data, n_bootstrap=10)
    ax = plot_churn_drivers(result, top=5)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == result.drivers["feature"].head(5).tolist()
    plt.close("all")
