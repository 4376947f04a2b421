"""funnel against a brute-force pandas walk through each customer's events, and the planted
cart rate of simulate()."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from backends import convert_pair, to_pandas
from hypothesis import given, settings
from hypothesis import strategies as st
from marketing_tables import random_tables, wilson

from crmanalytics.datasets import simulate
from crmanalytics.marketing import funnel


def oracle(inter, tx, steps, window):
    events = {s: inter[inter["kind"] == s] for s in steps}
    if tx is not None:
        events["purchase"] = tx[tx["amount"] > 0]
    times = {}
    for customer, first in events[steps[0]].groupby("customer_id"):
        t0 = first["timestamp"].min()
        reached, previous = [t0], t0
        for step in steps[1:]:
            ev = events[step]
            ok = ev[(ev["customer_id"] == customer) & (ev["timestamp"] >= previous)
                    & (ev["timestamp"] <= t0 + window)]  # fmt: skip
            if ok.empty:
                break
            previous = ok["timestamp"].min()
            reached.append(previous)
        times[customer] = reached
    rows = []
    entered = len(times)
    for k, step in enumerate(steps):
        at = [t for t in times.values() if len(t) > k]
        count = len(at)
        before = len([t for t in times.values() if len(t) > k - 1]) if k else np.nan
        gaps = [(t[k] - t[k - 1]).total_seconds() / 86400 for t in at] if k else []
        s_low, s_high = wilson(count, before) if k else (np.nan, np.nan)
        o_low, o_high = wilson(count, entered)
        rows.append({
            "step_number": k + 1, "step": step, "customers": count,
            "step_conversion": count / before if k and before else np.nan,
            "step_conversion_low": s_low, "step_conversion_high": s_high,
            "overall_conversion": count / entered if entered else np.nan,
            "overall_conversion_low": o_low, "overall_conversion_high": o_high,
            "median_days_from_previous": np.median(gaps) if gaps else np.nan,
        })  # fmt: skip
    return pd.DataFrame(rows)


def check(got, expected):
    assert list(got.columns) == list(expected.columns)
    for col in expected.columns:
        if col == "step":
            assert got[col].tolist() == expected[col].tolist()
        else:
            np.testing.assert_allclose(got[col].to_numpy(dtype=float),
                                       expected[col].to_numpy(dtype=float),
                                       rtol=1e-9, err_msg=col)  # fmt: skip


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), hours=st.integers(1, 2000),
       steps=st.sampled_from([("page_view", "cart", "purchase"), ("cart", "page_view"),
                              ("page_view", "purchase", "nps")]))  # fmt: skip
def test_equals_brute_force(seed: int, hours: int, steps: tuple[str, ...]) -> None:
    inter, tx = random_tables(seed)
    before = inter.copy()
    window = pd.Timedelta(hours=hours)
    check(funnel(inter, tx, steps=steps, window=window), oracle(inter, tx, list(steps), window))
    pd.testing.assert_frame_equal(inter, before)


@pytest.mark.parity
def test_by_group_columns_and_parity(backend: str) -> None:
    inter, tx = random_tables(11, n_customers=50)
    expected = funnel(inter, tx, window="10D", by="channel")
    for group in ("app", "web"):
        # the group of a customer is the channel of their first page view
        views = inter[inter["kind"] == "page_view"].sort_values(["timestamp", "channel"])
        first = views.groupby("customer_id").head(1)
        mine = first.loc[first["channel"] == group, "customer_id"]
        sub = oracle(inter[inter["customer_id"].isin(mine)], tx, ["page_view", "cart", "purchase"],
                     pd.Timedelta(days=10))  # fmt: skip
        check(
            expected[expected["channel"] == group].drop(columns="channel").reset_index(drop=True),
            sub,
        )
    i, t = convert_pair(inter.rename(columns={"kind": "what"}), tx, backend)
    got = to_pandas(funnel(i, t, window="10D", by="channel", columns={"kind": "what"}))
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_bad_steps() -> None:
    inter, tx = random_tables(1)
    with pytest.raises(ValueError, match="distinct"):
        funnel(inter, tx, steps=("cart", "cart"))
    with pytest.raises(ValueError, match="by="):
        funnel(inter, tx, by="nope")


def test_planted_cart_rate_is_recovered() -> None:
    sim = simulate(4000, seed=12)
    # a cart follows a page view within 30 minutes with the planted probability
    got = funnel(sim.interactions, steps=("page_view", "cart"), window="30min")
    n, rate = got.loc[0, "customers"], got.loc[1, "step_conversion"]
    se = np.sqrt(sim.truth.cart_rate * (1 - sim.truth.cart_rate) / n)
    assert abs(rate - sim.truth.cart_rate) < 4 * se + 0.01
    # every purchase follows a cart within the hour before it
    back = funnel(sim.interactions, sim.transactions, steps=("cart", "purchase"), window="1h")
    first_carts = back.loc[1, "step_conversion"]
    assert first_carts > 0.5
