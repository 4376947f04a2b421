"""Each new report section skips with a reason when its data are missing."""

from __future__ import annotations

import html

import pandas as pd
import pytest

from crmanalytics.datasets import simulate
from crmanalytics.report import SECTIONS, ReportInputs


def run(key: str, inputs: ReportInputs) -> tuple[bool, str]:
    (spec,) = [s for s in SECTIONS if s.key == key]
    section = spec.run(inputs)
    return section.shown, html.unescape(" ".join(section.parts))


@pytest.fixture(scope="module")
def sim():
    return simulate(300, seed=5)


def test_uplift_skipped_without_a_control_group(sim):
    shown, text = run("uplift", ReportInputs(sim.transactions, interactions=sim.interactions))
    assert not shown
    assert "Not shown: no campaign has a control group" in text
    assert "campaign_control" in text


def test_uplift_skipped_without_campaign_sends(sim):
    no_sends = sim.interactions[sim.interactions["kind"] != "campaign_sent"]
    shown, text = run("uplift", ReportInputs(sim.transactions, interactions=no_sends))
    assert not shown
    assert "'campaign_sent'" in text


def test_uplift_reads_holdouts_marked_in_the_interactions(sim):
    controls = sim.truth.campaign_controls
    marked = controls.assign(
        kind="campaign_control",
        timestamp=sim.interactions["timestamp"].min(),
        channel="email",
    )
    inter = pd.concat([sim.interactions, marked], ignore_index=True)
    inputs = ReportInputs(sim.transactions, interactions=inter)
    shown, _ = run("uplift", inputs)
    assert shown
    table = inputs.tables["campaign_uplift"]
    held = controls.groupby("campaign_id")["customer_id"].nunique()
    assert table.set_index("campaign_id")["control"].to_dict() == held.to_dict()


def test_funnel_skipped_without_carts(sim):
    no_carts = sim.interactions[sim.interactions["kind"] != "cart"]
    shown, text = run("funnel", ReportInputs(sim.transactions, interactions=no_carts))
    assert not shown
    assert "kind 'cart'" in text
    shown, text = run("funnel", ReportInputs(sim.transactions))
    assert not shown
    assert "no interactions" in text


def test_churn_drivers_skipped_on_a_short_history(sim):
    tx = sim.transactions
    short = tx[tx["timestamp"] < tx["timestamp"].min() + pd.Timedelta(days=150)]
    shown, text = run("churn_drivers", ReportInputs(short))
    assert not shown
    assert "less than 180 days" in text


def test_churn_drivers_skipped_when_nobody_churned():
    days = pd.date_range("2024-01-01", "2024-12-31", freq="7D")
    tx = pd.DataFrame(
        {
            "customer_id": [c for c in (1, 2, 3) for _ in days],
            "timestamp": list(days) * 3,
            "amount": 10.0,
        }
    )
    shown, text = run("churn_drivers", ReportInputs(tx))
    assert not shown
    assert "no customer churned" in text


def test_clv_skipped_with_the_reason_when_no_one_bought_twice():
    tx = pd.DataFrame(
        {
            "customer_id": range(1, 41),
            "timestamp": pd.date_range("2024-01-01", periods=40, freq="5D"),
            "amount": 10.0,
        }
    )
    inputs = ReportInputs(tx)
    shown, text = run("value", inputs)
    assert not shown
    assert "Not shown: the BG/NBD model could not be fitted" in text
    assert "no customer has a repeat purchase" in text
    assert "clv_high" not in inputs.tables.get("customer_value", pd.DataFrame()).columns
