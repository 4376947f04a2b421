"""A cutoff with a time of day is honoured to the instant: no event after it leaks."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from crmanalytics.churn import churn_dataset, churn_labels
from crmanalytics.errors import DataQualityWarning

START = pd.Timestamp("2024-01-01")


def events(seed: int, n: int = 60) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    minutes = rng.integers(0, 90 * 24 * 60, n)
    t = pd.DataFrame(
        {
            "customer_id": [f"c{k}" for k in rng.integers(0, 6, n)],
            "timestamp": START + pd.to_timedelta(minutes, unit="m"),
            "amount": np.round(rng.gamma(2.0, 10.0, n), 2),
        }
    )
    kinds = rng.choice(["nps", "complaint", "click"], n)
    i = pd.DataFrame(
        {
            "customer_id": [f"c{k}" for k in rng.integers(0, 6, n)],
            "timestamp": START + pd.to_timedelta(rng.integers(0, 90 * 24 * 60, n), unit="m"),
            "kind": kinds,
            "channel": rng.choice(["web", "phone"], n),
            "score": np.where(kinds == "nps", rng.integers(0, 11, n), np.nan),
        }
    )
    return t, i


def features(t: pd.DataFrame, i: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        data = churn_dataset(t, i, cutoff=cutoff, horizon=10, windows=(3, 7), p_alive=False)
    return data.drop(columns="churned")


def mutate_after(
    frame: pd.DataFrame, data: st.DataObject, cutoff: pd.Timestamp, *, value: str
) -> pd.DataFrame:
    """Delete, move later, change or add rows strictly after the cutoff instant."""
    out = frame.copy()
    late = list(out.index[out["timestamp"] > cutoff])
    if late:
        out = out.drop(index=data.draw(st.lists(st.sampled_from(late), unique=True)))
    for idx in list(out.index[out["timestamp"] > cutoff])[:4]:
        out.loc[idx, "timestamp"] += pd.Timedelta(minutes=data.draw(st.integers(0, 5000)))
        out.loc[idx, "customer_id"] = data.draw(st.sampled_from(["c0", "c1", "new"]))
        if value == "amount":
            out.loc[idx, "amount"] = data.draw(st.floats(-50, 50, allow_nan=False))
    n_new = data.draw(st.integers(0, 3))
    if n_new:
        extra = out.iloc[:n_new].copy()
        # minutes after the cutoff: often the same calendar day
        later = [data.draw(st.integers(1, 3000)) for _ in range(n_new)]
        extra["timestamp"] = cutoff + pd.to_timedelta(later, unit="m")
        extra["customer_id"] = data.draw(st.sampled_from(["c2", "brand new"]))
        out = pd.concat([out, extra], ignore_index=True)
    return out.sort_values("timestamp", kind="stable").reset_index(drop=True)


@settings(max_examples=10, deadline=None)
@given(st.data())
def test_no_event_after_the_cutoff_instant_changes_a_feature(data: st.DataObject) -> None:
    t, i = events(data.draw(st.integers(0, 3)))
    minute = data.draw(st.integers(30 * 24 * 60, 60 * 24 * 60))
    cutoff = START + pd.Timedelta(minutes=minute)
    base = features(t, i, cutoff)
    t2 = mutate_after(t, data, cutoff, value="amount")
    i2 = mutate_after(i, data, cutoff, value="kind")
    pd.testing.assert_frame_equal(features(t2, i2, cutoff), base)


def test_afternoon_purchase_on_the_cutoff_day_is_future() -> None:
    t = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "timestamp": pd.to_datetime(
                ["2024-03-01 09:00", "2024-03-31 14:00", "2024-03-31 11:00"]
            ),
            "amount": [10.0, 99.0, 5.0],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        noon = churn_dataset(t, cutoff="2024-03-31 12:00", horizon=5, windows=(7,), p_alive=False)
        day = churn_dataset(t, cutoff="2024-03-31", horizon=5, windows=(7,), p_alive=False)
        labels = churn_labels(t, cutoff="2024-03-31 12:00", horizon=5)
    # at noon, a's 14:00 purchase is neither a feature nor past activity: it is the
    # return that makes a "not churned"
    assert noon["n_transactions"].tolist() == [1, 1]
    assert noon["total_amount"].tolist() == [10.0, 5.0]
    assert noon["days_since_last_purchase"].tolist() == [30, 0]
    assert noon["churned"].tolist() == [False, True]
    assert labels["churned"].tolist() == [False, True]
    # a date cutoff is the whole day: 14:00 is past
    assert day["n_transactions"].tolist() == [2, 1]
    assert day["churned"].tolist() == [True, True]


def test_instant_features_match_a_pandas_oracle() -> None:
    t, i = events(9, n=200)
    cutoff = pd.Timestamp("2024-02-15 13:37")
    got = features(t, i, cutoff).set_index("customer_id")
    past = t[t["timestamp"] <= cutoff]
    oracle = past.groupby("customer_id").agg(
        n_transactions=("amount", "size"), total_amount=("amount", "sum")
    )
    pd.testing.assert_frame_equal(
        got[["n_transactions", "total_amount"]], oracle, check_dtype=False, check_names=False
    )
    complaints = i[(i["timestamp"] <= cutoff) & (i["kind"] == "complaint")]
    expected = complaints.groupby("customer_id").size().reindex(got.index, fill_value=0)
    assert got["n_complaints"].tolist() == expected.tolist()
