"""campaign_performance and campaign_uplift against brute-force pandas and scipy oracles."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
from backends import convert_pair, to_pandas
from hypothesis import given, settings
from hypothesis import strategies as st
from marketing_tables import random_tables, wilson
from scipy import stats

from crmanalytics.datasets import simulate
from crmanalytics.errors import DataQualityWarning, SchemaError
from crmanalytics.marketing import campaign_performance, campaign_uplift


def oracle(
    inter: pd.DataFrame, tx: pd.DataFrame, window: pd.Timedelta, costs: dict
) -> pd.DataFrame:
    rows = []
    sent = inter[inter["kind"] == "campaign_sent"]
    for campaign, group in sent.groupby("campaign_id"):
        reached = converted = responders = redeemers = redemptions = 0
        revenue = 0.0
        for customer, mine in group.groupby("customer_id"):
            start = mine["timestamp"].min()
            reached += 1
            responded = (
                (inter["kind"] == "campaign_response")
                & (inter["campaign_id"] == campaign)
                & (inter["customer_id"] == customer)
            ).any()
            responders += int(responded)
            bought = tx[
                (tx["customer_id"] == customer)
                & (tx["timestamp"] > start)
                & (tx["timestamp"] <= start + window)
            ]
            converted += int((bought["amount"] > 0).any())
            revenue += bought["amount"].sum()
            redemptions += int(bought["coupon_code"].notna().sum())
            redeemers += int(bought["coupon_code"].notna().any())
        low, high = wilson(responders, reached)
        clow, chigh = wilson(converted, reached)
        cost = costs.get(campaign, np.nan)
        rows.append(
            {
                "campaign_id": campaign,
                "first_send": group["timestamp"].min(),
                "reached": reached,
                "responders": responders,
                "response_rate": responders / reached,
                "response_rate_low": low,
                "response_rate_high": high,
                "converted": converted,
                "conversion_rate": converted / reached,
                "conversion_rate_low": clow,
                "conversion_rate_high": chigh,
                "revenue": revenue,
                "revenue_per_reached": revenue / reached,
                "coupon_redemptions": redemptions,
                "coupon_redeemers": redeemers,
                "coupon_redemption_rate": redeemers / reached,
                "cost": cost,
                "cost_per_response": cost / responders if responders else np.nan,
                "cost_per_conversion": cost / converted if converted else np.nan,
                "roi": (revenue - cost) / cost if cost else np.nan,
            }
        )
    return pd.DataFrame(rows)


def check_equal(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    for col in expected.columns:
        if col in ("campaign_id", "first_send"):
            assert got[col].tolist() == expected[col].tolist(), col
        else:
            np.testing.assert_allclose(
                got[col].to_numpy(dtype=float), expected[col].to_numpy(dtype=float),
                rtol=1e-9, atol=1e-9, err_msg=col,
            )  # fmt: skip


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), days=st.integers(1, 40))
def test_performance_equals_brute_force(seed: int, days: int) -> None:
    inter, tx = random_tables(seed)
    costs = {"A": 100.0, "B": 0.0}
    before = (inter.copy(), tx.copy())
    got = campaign_performance(inter, tx, window=days, costs=costs)
    check_equal(got, oracle(inter, tx, pd.Timedelta(days=days), costs))
    pd.testing.assert_frame_equal(inter, before[0])
    pd.testing.assert_frame_equal(tx, before[1])


@pytest.mark.parity
def test_performance_backend_parity(backend: str) -> None:
    inter, tx = random_tables(3)
    expected = campaign_performance(inter, tx, window="10D", costs={"A": 5.0})
    i, t = convert_pair(inter, tx, backend)
    got = to_pandas(campaign_performance(i, t, window="10D", costs={"A": 5.0}))
    check_equal(got, expected)


def test_columns_mapping_and_errors() -> None:
    inter, tx = random_tables(4)
    mapping = {"customer_id": "who", "timestamp": "when", "campaign_id": "camp"}
    got = campaign_performance(
        inter.rename(columns={"customer_id": "who", "timestamp": "when", "campaign_id": "camp"}),
        # one mapping serves both tables: the transactions carry the campaign too
        tx.rename(columns={"customer_id": "who", "timestamp": "when"}).assign(camp="A"),
        columns=mapping,
    )
    check_equal(got, campaign_performance(inter, tx))
    with pytest.raises(SchemaError, match="campaign_id"):
        campaign_performance(inter.drop(columns="campaign_id"), tx)
    with pytest.raises(ValueError, match="window"):
        campaign_performance(inter, tx, window=-1)
    polars_tx = pl.from_pandas(tx)
    with pytest.raises(TypeError, match="same kind of frame"):
        campaign_performance(inter, polars_tx)


# ------------------------------------------------------------------ uplift


def uplift_oracle(inter, tx, campaign, control, window):
    sent = inter[(inter["kind"] == "campaign_sent") & (inter["campaign_id"] == campaign)]
    first = sent.groupby("customer_id")["timestamp"].min()
    control = [c for c in dict.fromkeys(control) if c not in first.index]
    start = sent["timestamp"].min()

    def outcome(customer, begin):
        b = tx[(tx["customer_id"] == customer) & (tx["timestamp"] > begin)
               & (tx["timestamp"] <= begin + window)]  # fmt: skip
        return float((b["amount"] > 0).any()), float(b["amount"].sum())

    treated = np.array([outcome(c, s) for c, s in first.items()])
    held = np.array([outcome(c, start) for c in control])
    return treated, held


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_uplift_equals_scipy_and_hand_formulas(seed: int) -> None:
    inter, tx = random_tables(seed, n_customers=60)
    reached = set(inter.loc[(inter["campaign_id"] == "B") & (inter["kind"] == "campaign_sent"),
                            "customer_id"])  # fmt: skip
    control = [c for c in range(60) if c not in reached] + [999]
    window = pd.Timedelta(days=20)
    result = campaign_uplift(inter, tx, campaign_id="B", control=control, window=window)
    treated, held = uplift_oracle(inter, tx, "B", control, window)
    assert (result.reached, result.control) == (len(treated), len(held))
    p1, p0 = treated[:, 0].mean(), held[:, 0].mean()
    assert result.conversion_uplift == pytest.approx(p1 - p0)
    # Newcombe's hybrid score interval by hand
    l1, u1 = wilson(treated[:, 0].sum(), len(treated))
    l0, u0 = wilson(held[:, 0].sum(), len(held))
    low = p1 - p0 - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    high = p1 - p0 + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    assert tuple(result.conversion_uplift_interval) == pytest.approx((low, high))
    pooled = treated[:, 0].tolist() + held[:, 0].tolist()
    table = np.array([[sum(treated[:, 0]), len(treated) - sum(treated[:, 0])],
                      [sum(held[:, 0]), len(held) - sum(held[:, 0])]])  # fmt: skip
    if 0 < np.mean(pooled) < 1:
        chi2 = stats.chi2_contingency(table, correction=False)
        assert result.conversion_pvalue == pytest.approx(chi2.pvalue)
    welch = stats.ttest_ind(treated[:, 1], held[:, 1], equal_var=False)
    assert result.revenue_uplift == pytest.approx(treated[:, 1].mean() - held[:, 1].mean())
    assert result.revenue_pvalue == pytest.approx(welch.pvalue)
    ci = welch.confidence_interval(0.95)
    assert tuple(result.revenue_uplift_interval) == pytest.approx((ci.low, ci.high))


def same_result(got, expected) -> None:
    for name, value in vars(expected).items():
        other = getattr(got, name)
        if isinstance(value, float | tuple):
            assert other == pytest.approx(value, rel=1e-9, abs=1e-12), name
        else:
            assert other == value, name


@pytest.mark.parity
def test_uplift_control_frame_overlap_and_parity(backend: str) -> None:
    inter, tx = random_tables(5, n_customers=60)
    reached = set(inter.loc[(inter["campaign_id"] == "A") & (inter["kind"] == "campaign_sent"),
                            "customer_id"])  # fmt: skip
    control = sorted(set(range(60)) - reached)
    expected = campaign_uplift(inter, tx, campaign_id="A", control=control)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        overlapping = campaign_uplift(
            inter, tx, campaign_id="A", control=control + sorted(reached)[:2]
        )
    assert any(issubclass(w.category, DataQualityWarning) for w in caught)
    same_result(overlapping, expected)
    i, t = convert_pair(inter, tx, backend)
    frame = pd.DataFrame({"customer_id": control})
    same_result(campaign_uplift(i, t, campaign_id="A", control=frame), expected)
    with pytest.raises(ValueError, match="no 'campaign_sent'"):
        campaign_uplift(inter, tx, campaign_id="nope", control=control)


@pytest.fixture(scope="module")
def sim():
    return simulate(12_000, seed=21)


def test_planted_uplift_is_recovered(sim) -> None:
    truth = sim.truth.campaign_uplift.set_index("campaign_id")
    controls = sim.truth.campaign_controls
    for campaign in ("C01", "C03", "C05"):
        control = controls.loc[controls["campaign_id"] == campaign, "customer_id"]
        r = campaign_uplift(sim.interactions, sim.transactions, campaign_id=campaign,
                            control=control, window=30)  # fmt: skip
        planted = truth.loc[campaign]
        se = np.sqrt(
            r.conversion_rate_reached * (1 - r.conversion_rate_reached) / r.reached
            + r.conversion_rate_control * (1 - r.conversion_rate_control) / r.control
        )
        assert abs(r.conversion_uplift - planted["conversion_uplift"]) < 4 * se
        assert r.conversion_uplift_interval.contains(planted["conversion_uplift"]) or (
            abs(r.conversion_uplift - planted["conversion_uplift"]) < 4 * se
        )
        if planted["conversion_uplift"] > 0:
            assert r.conversion_pvalue < 1e-3
            assert r.revenue_uplift_interval.low > 0
        assert abs(r.control / (r.control + r.reached) - planted["control_share"]) < 0.02
    # performance: reached equals the audience minus the hold-out
    table = campaign_performance(sim.interactions, sim.transactions).set_index("campaign_id")
    sent = sim.interactions[sim.interactions["kind"] == "campaign_sent"]
    assert (table["reached"] == sent.groupby("campaign_id")["customer_id"].nunique()).all()
