"""acquisition_summary against a brute-force pandas computation, the value package and the
planted acquisition truth of simulate()."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from backends import convert_pair, to_pandas
from hypothesis import given, settings
from hypothesis import strategies as st
from marketing_tables import random_tables, wilson

from crmanalytics.datasets import simulate
from crmanalytics.marketing import acquisition_summary
from crmanalytics.value import (
    BetaGeoModel,
    GammaGammaModel,
    customer_lifetime_value,
    customer_summary,
)


def oracle(tx: pd.DataFrame, channel_of: dict | None, period: str | None, costs: dict | None):
    last = tx["timestamp"].max()
    rows = []
    for customer, mine in tx.groupby("customer_id"):
        first = mine["timestamp"].min()
        at_first = mine[mine["timestamp"] == first]
        channel = channel_of[customer] if channel_of else min(at_first["channel"])
        later = mine[
            (mine["timestamp"] > first) & (mine["timestamp"] <= first + pd.Timedelta(days=90))
        ]
        observed = first + pd.Timedelta(days=90) <= last
        rows.append({
            "channel": channel,
            "period": first.to_period(period).start_time if period else None,
            "value": at_first["amount"].sum(),
            "observed": int(observed),
            "repeated": int(observed and len(later) > 0),
        })  # fmt: skip
    per = pd.DataFrame(rows)
    keys = ["channel", "period"] if period else ["channel"]
    out = []
    for raw_key, group in per.groupby(keys):
        key = raw_key if isinstance(raw_key, tuple) else (raw_key,)
        n_obs, n_rep = group["observed"].sum(), group["repeated"].sum()
        low, high = wilson(n_rep, n_obs)
        out.append({
            "channel": key[0], **({"period": key[1]} if period else {}),
            "new_customers": len(group), "first_order_value": group["value"].mean(),
            "repeat_observed": n_obs, "repeat_rate_90d": n_rep / n_obs if n_obs else np.nan,
            "repeat_rate_90d_low": low, "repeat_rate_90d_high": high,
        })  # fmt: skip
    result = pd.DataFrame(out)
    if costs is not None:
        totals = result.groupby("channel")["new_customers"].sum()
        result["cost"] = result["channel"].map(costs).astype(float)
        result["cac"] = result["cost"] / result["channel"].map(totals)
    return result


def check(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    for col in expected.columns:
        if col in ("channel", "acquisition_channel", "period"):
            assert got[col].tolist() == expected[col].tolist(), col
        else:
            np.testing.assert_allclose(got[col].to_numpy(dtype=float),
                                       expected[col].to_numpy(dtype=float),
                                       rtol=1e-9, atol=1e-12, err_msg=col)  # fmt: skip


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), period=st.sampled_from(["M", "W", "Q", None]))
def test_equals_brute_force_from_first_purchase_channel(seed: int, period: str | None) -> None:
    _, tx = random_tables(seed)
    before = tx.copy()
    costs = {"web": 100.0}
    got = acquisition_summary(tx, by="channel", period=period, costs=costs)
    check(got, oracle(tx, None, period, costs))
    pd.testing.assert_frame_equal(tx, before)


def test_channel_from_customers_columns_and_parity(backend: str) -> None:
    _, tx = random_tables(7)
    customers = pd.DataFrame(
        {"customer_id": range(30), "source": np.where(np.arange(30) % 3 == 0, "ads", "seo")}
    )
    channels = dict(zip(customers["customer_id"], customers["source"], strict=True))
    expected = oracle(tx, channels, "M", None)
    expected = expected.rename(columns={"channel": "acquisition_channel"})
    cust = customers.rename(columns={"source": "acquisition_channel"})
    t, c = convert_pair(tx.rename(columns={"customer_id": "who"}),
                        cust.rename(columns={"customer_id": "who"}), backend)  # fmt: skip
    got = to_pandas(acquisition_summary(t, c, columns={"customer_id": "who"}))
    check(got, expected)


def test_bad_arguments() -> None:
    _, tx = random_tables(1)
    with pytest.raises(ValueError, match="by="):
        acquisition_summary(tx, by="region")
    with pytest.raises(ValueError, match="both"):
        acquisition_summary(tx, purchase_model=BetaGeoModel())
    with pytest.raises(ValueError, match="period"):
        acquisition_summary(tx, by="channel", period="fortnight")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def sim():
    return simulate(6000, seed=8)


def test_planted_acquisition_is_recovered(sim) -> None:
    truth = sim.truth.acquisition.set_index("acquisition_channel")
    summary = customer_summary(sim.transactions, time_unit="W")
    bg = BetaGeoModel().fit(summary)
    gg = GammaGammaModel().fit(summary[summary["frequency"] > 0])
    got = acquisition_summary(
        sim.transactions, sim.customers, period=None, purchase_model=bg, spend_model=gg,
        time_unit="W", costs=truth["cost"].to_dict(),
    ).set_index("acquisition_channel")  # fmt: skip
    assert (got["new_customers"] == truth["customers"]).all()
    np.testing.assert_allclose(got["cac"], truth["cost_per_customer"])
    for channel, row in truth.iterrows():
        n = got.loc[channel, "repeat_observed"]
        se = np.sqrt(row["repeat_90d"] * (1 - row["repeat_90d"]) / n)
        assert abs(got.loc[channel, "repeat_rate_90d"] - row["repeat_90d"]) < 4 * se, channel
    # the planted ordering of channel quality shows in the predicted value
    assert got["clv"].idxmax() == "referral"
    assert got["clv"].idxmin() == "social"
    # clv is the mean of the value package's own prediction per channel
    last = sim.transactions["timestamp"].max()
    s = customer_summary(sim.transactions, observation_end=last, time_unit="W")
    clv = customer_lifetime_value(s, bg, gg, periods=12, period_length=30 / 7)
    merged = clv.merge(sim.customers, on="customer_id")
    expected = merged.groupby("acquisition_channel")["clv"].mean()
    np.testing.assert_allclose(got["clv"], expected.loc[got.index], rtol=1e-9)
    np.testing.assert_allclose(got["clv_to_cac"], got["clv"] / got["cac"])


def test_a_model_without_a_time_unit_needs_one(sim) -> None:
    """The unit is never assumed: a model built from parameters alone does not know it."""
    from crmanalytics.value import BetaGeoParams, GammaGammaParams

    bg = BetaGeoModel.from_params(BetaGeoParams(0.24, 4.41, 0.79, 2.43))
    gg = GammaGammaModel.from_params(GammaGammaParams(6.25, 3.74, 15.44))
    with pytest.raises(ValueError, match="time_unit='D' or 'W'"):
        acquisition_summary(sim.transactions, sim.customers, purchase_model=bg, spend_model=gg)
    weekly = acquisition_summary(
        sim.transactions, sim.customers, purchase_model=bg, spend_model=gg, time_unit="W"
    )
    assert weekly["clv"].notna().all()
