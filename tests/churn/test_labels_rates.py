"""churn_labels and churn_rate: exact hand-made histories, brute force, backends."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest
from backends import convert, to_pandas

from crmanalytics.churn import churn_labels, churn_rate
from crmanalytics.errors import DataQualityWarning, SchemaError


def tx(rows: list[tuple[str, str]], **extra: list[object]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [c for c, _ in rows],
            "timestamp": pd.to_datetime([t for _, t in rows], format="ISO8601"),
            "amount": [1.0] * len(rows),
            **extra,
        }
    )


# ---------------------------------------------------------------- labels

LABELS = tx(
    [
        ("a", "2024-03-31 23:00"),  # on the cutoff day: counts as before
        ("a", "2024-04-30 08:00"),  # last day of the window: returned
        ("b", "2024-03-01"),
        ("b", "2024-05-01"),  # one day after the window: churned
        ("c", "2024-04-02"),  # acquired after cutoff: no label
        ("d", "2024-02-01"),
        ("d", "2024-04-01 00:00"),  # first day of the window
        ("e", "2024-03-15"),
        ("e", "2024-03-15"),
    ]
)


def test_labels_hand_made() -> None:
    got = churn_labels(LABELS, cutoff="2024-03-31", horizon=30)
    assert got["customer_id"].tolist() == ["a", "b", "d", "e"]
    assert got["churned"].tolist() == [False, True, False, True]


def test_horizon_as_timedelta_and_midnight_is_the_whole_day() -> None:
    a = churn_labels(LABELS, cutoff=pd.Timestamp("2024-03-31 00:00"), horizon=dt.timedelta(days=30))
    b = churn_labels(LABELS, cutoff=dt.date(2024, 3, 31), horizon=30)
    pd.testing.assert_frame_equal(a, b)


def test_cutoff_time_of_day_is_honoured_to_the_instant() -> None:
    # a's 23:00 purchase on the cutoff day is after a 01:00 cutoff: a is not yet a
    # customer; the window (03-31 01:00, 04-30 01:00] now holds d's 04-01 purchase
    # and b's nothing.
    got = churn_labels(LABELS, cutoff=pd.Timestamp("2024-03-31 01:00"), horizon=30)
    assert got["customer_id"].tolist() == ["b", "d", "e"]
    assert got["churned"].tolist() == [True, False, True]
    t = tx([("x", "2024-03-31 10:00"), ("x", "2024-03-31 14:00"), ("y", "2024-03-31 11:00")])
    with pytest.warns(DataQualityWarning, match="label window"):
        noon = churn_labels(t, cutoff="2024-03-31 12:00", horizon=1)
    assert noon["customer_id"].tolist() == ["x", "y"]
    assert noon["churned"].tolist() == [False, True]  # 14:00 is in x's window


def brute_labels(t: pd.DataFrame, cutoff: str, horizon: int) -> dict[str, bool]:
    day = t["timestamp"].dt.normalize()
    cut = pd.Timestamp(cutoff)
    out = {}
    for c, d in day.groupby(t["customer_id"]):
        if (d <= cut).any():
            out[c] = not ((d > cut) & (d <= cut + pd.Timedelta(days=horizon))).any()
    return out


@pytest.mark.parametrize(
    ("cutoff", "horizon"), [("2023-06-30", 30), ("2023-09-15", 90), ("2023-01-03", 7)]
)
def test_labels_brute_force(make_transactions, cutoff: str, horizon: int) -> None:
    t = make_transactions(11)
    got = churn_labels(t, cutoff=cutoff, horizon=horizon)
    assert dict(zip(got["customer_id"], got["churned"], strict=True)) == brute_labels(
        t, cutoff, horizon
    )


def test_labels_backend_parity(backend: str, make_transactions) -> None:
    t = make_transactions(4)
    expected = churn_labels(t, cutoff="2023-08-31", horizon=60)
    got = to_pandas(churn_labels(convert(t, backend), cutoff="2023-08-31", horizon=60))
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9)


def test_labels_warn_when_window_passes_end_of_data() -> None:
    with pytest.warns(
        DataQualityWarning, match=r"ends on 2024-05-31.*last transaction.*2024-05-01"
    ):
        churn_labels(LABELS, cutoff="2024-04-30", horizon=31)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        churn_labels(LABELS, cutoff="2024-03-31", horizon=31)  # ends 2024-05-01: observed


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"cutoff": "2024-03-31", "horizon": 0}, ValueError, "horizon must be a positive whole"),
        ({"cutoff": "2024-03-31", "horizon": 1.5}, TypeError, "horizon must be a number of days"),
        ({"cutoff": "2024-03-31", "horizon": dt.timedelta(hours=12)}, ValueError, "horizon"),
        ({"cutoff": "not a date", "horizon": 30}, ValueError, "cutoff"),
    ],
)
def test_labels_bad_arguments(kwargs, error, pattern) -> None:
    with pytest.raises(error, match=pattern):
        churn_labels(LABELS, **kwargs)


def test_labels_missing_column() -> None:
    with pytest.raises(SchemaError, match=r"customer_id"):
        churn_labels(LABELS.drop(columns="customer_id"), cutoff="2024-03-31", horizon=30)


# ----------------------------------------------------------------- rates


def test_rate_worked_example() -> None:
    """The docstring's example: churn in February and again in April."""
    t = tx([("a", "2024-01-10"), ("a", "2024-03-05"), ("z", "2024-05-31")])
    got = churn_rate(t, inactivity=30)
    assert got["period"].tolist() == list(
        pd.to_datetime(["2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01"])
    )
    assert got["active_start"].tolist() == [1, 0, 1, 0]
    assert got["churned"].tolist() == [1, 0, 1, 0]
    np.testing.assert_allclose(got["churn_rate"].to_numpy(dtype=float), [1.0, np.nan, 1.0, np.nan])


def test_rate_hand_made_with_boundaries() -> None:
    # inactivity 10 days, weekly periods (Mon-Sun). 2024-01-01 is a Monday.
    t = tx(
        [
            ("a", "2024-01-05"),  # active at Sun 01-07 (window 12-29..01-07) and 01-14; not 01-21
            ("b", "2024-01-07"),  # active at 01-07, 01-14 (01-05..01-14), not 01-21
            (
                "b",
                "2024-01-16",
            ),  # ... but buys again on 01-16: active at 01-21 and 01-28? 01-19..01-28 no
            ("c", "2024-01-02"),  # active 01-07 (12-29..01-07), not 01-14 (01-05..01-14)
            ("z", "2024-02-04"),  # ends the data on a Sunday
        ]
    )
    got = churn_rate(t, period="W", inactivity=10)
    weeks = pd.date_range("2024-01-08", "2024-01-29", freq="7D")
    assert got["period"].tolist() == list(weeks)
    # week of 01-08: base a, b, c; c churns.   01-15: base a, b; a churns.
    # 01-22: base b; b churns (last 01-16, window 01-19..01-28).  01-29: nobody.
    assert got["active_start"].tolist() == [3, 2, 1, 0]
    assert got["churned"].tolist() == [1, 1, 1, 0]


def brute_rates(t: pd.DataFrame, freq: str, inactivity: int, by: str | None) -> pd.DataFrame:
    """Check every customer's status at every period boundary directly."""
    day = t["timestamp"].dt.normalize()
    periods = day.dt.to_period(freq)
    end_of_data = day.max()
    first, last = periods.min() + 1, periods.max()
    if (last.end_time.normalize()) > end_of_data:
        last = last - 1
    keys = [by, "customer_id"] if by else ["customer_id"]
    rows = []
    groups = [((), t)] if by is None else [((g,), part) for g, part in t.groupby(by)]
    for segment, part in groups:
        days_by_customer = {
            c: np.sort(d.unique()) for c, d in day[part.index].groupby(part["customer_id"])
        }

        def active(ds: np.ndarray, on: pd.Timestamp) -> bool:
            lo = on - pd.Timedelta(days=inactivity - 1)
            return bool(((ds >= lo) & (ds <= on)).any())

        p = first
        while p <= last:
            before = p.start_time.normalize() - pd.Timedelta(days=1)
            end = p.end_time.normalize()
            base = [c for c, ds in days_by_customer.items() if active(ds, before)]
            churned = [c for c in base if not active(days_by_customer[c], end)]
            rows.append((*segment, p.start_time, len(base), len(churned)))
            p = p + 1
    cols = [*keys[:-1], "period", "active_start", "churned"]
    return pd.DataFrame(rows, columns=cols)


@pytest.mark.parametrize(
    ("period", "freq", "inactivity"),
    [("M", "M", 30), ("M", "M", 75), ("W", "W-SUN", 10), ("Q", "Q", 120), ("D", "D", 20)],
)
def test_rate_brute_force(make_transactions, period: str, freq: str, inactivity: int) -> None:
    t = make_transactions(7, n_customers=30, n_rows=250)
    got = churn_rate(t, period=period, inactivity=inactivity)
    expected = brute_rates(t, freq, inactivity, None)
    assert got["period"].tolist() == expected["period"].tolist()
    assert got["active_start"].tolist() == expected["active_start"].tolist()
    assert got["churned"].tolist() == expected["churned"].tolist()
    base = expected["active_start"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(base > 0, expected["churned"] / base, np.nan)
    np.testing.assert_allclose(got["churn_rate"].to_numpy(dtype=float), rate)


def test_rate_by_segment_brute_force(make_transactions) -> None:
    t = make_transactions(8, n_customers=25, n_rows=250)
    got = churn_rate(t, period="M", inactivity=45, by="channel")
    expected = brute_rates(t, "M", 45, "channel")
    pd.testing.assert_frame_equal(
        got[["channel", "period", "active_start", "churned"]], expected, check_dtype=False
    )


def test_rate_observation_end_adds_complete_periods() -> None:
    t = tx([("a", "2024-01-10"), ("a", "2024-02-20")])
    assert churn_rate(t, inactivity=30)["period"].tolist() == []
    got = churn_rate(t, inactivity=30, observation_end="2024-03-31")
    assert got["period"].tolist() == list(pd.to_datetime(["2024-02-01", "2024-03-01"]))
    assert got["churned"].tolist() == [0, 1]


@pytest.mark.parametrize("by", [None, "channel"])
def test_rate_backend_parity(backend: str, make_transactions, by: str | None) -> None:
    t = make_transactions(9)
    before = t.copy()
    expected = churn_rate(t, period="M", inactivity=60, by=by)
    got = to_pandas(churn_rate(convert(t, backend), period="M", inactivity=60, by=by))
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9)
    pd.testing.assert_frame_equal(t, before)


def test_rate_bad_arguments() -> None:
    t = tx([("a", "2024-01-10")])
    with pytest.raises(ValueError, match="inactivity must be a positive whole"):
        churn_rate(t, inactivity=-3)
    with pytest.raises(ValueError, match="period must be one of"):
        churn_rate(t, period="fortnight")  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="region"):
        churn_rate(t, by="region")
    with pytest.raises(ValueError, match="by must name a segment column"):
        churn_rate(t, by="customer_id")
