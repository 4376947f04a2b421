"""sales_summary against a brute-force pandas computation written here."""

from __future__ import annotations

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
import pytest
from backends import BACKENDS, LAZY_BACKENDS, convert, to_pandas
from hypothesis import given, settings
from hypothesis import strategies as st
from sales.sales_data import FREQ, histories

from crmanalytics.errors import SchemaError
from crmanalytics.sales import sales_summary

YEAR = {"D": 364, "W": 52, "M": 12, "Q": 4, "Y": 1}


def reference(t: pd.DataFrame, period: str, by: str | None = None) -> pd.DataFrame:
    """One loop per group and period, straight from the definitions."""
    t = t.copy()
    t["_p"] = t["timestamp"].dt.to_period(FREQ[period])
    periods = pd.period_range(t["_p"].min(), t["_p"].max(), freq=FREQ[period])
    first_day, last_day = t["timestamp"].min().normalize(), t["timestamp"].max().normalize()
    groups = [None] if by is None else sorted(t[by].unique())
    rows = []
    for g in groups:
        part = t if g is None else t[t[by] == g]
        values = {}
        for p in periods:
            here = part[part["_p"] == p]
            sales = here[here["amount"] >= 0]
            if "transaction_id" in here:
                orders = len(set(zip(sales["customer_id"], sales["transaction_id"], strict=True)))
            else:
                orders = len(
                    set(zip(sales["customer_id"], sales["timestamp"].dt.normalize(), strict=True))
                )
            values[p] = {
                "revenue": here["amount"].sum(),
                "gross_revenue": sales["amount"].sum(),
                "returns": -here.loc[here["amount"] < 0, "amount"].sum(),
                "orders": orders,
                "customers": sales["customer_id"].nunique(),
            }
        for i, p in enumerate(periods):
            v = dict(values[p])
            row = {"period": p.start_time, **v}
            if by is not None:
                row = {by: g, **row}
            row["is_partial"] = bool(p.start_time < first_day or p.end_time.normalize() > last_day)
            row["average_order_value"] = v["revenue"] / v["orders"] if v["orders"] else np.nan
            row["revenue_per_customer"] = (
                v["revenue"] / v["customers"] if v["customers"] else np.nan
            )
            for m in ("revenue", "orders", "customers"):
                for suffix, lag in (("previous", 1), ("last_year", YEAR[period])):
                    base = values[periods[i - lag]][m] if i - lag >= 0 else np.nan
                    row[f"{m}_{suffix}"] = base
                    name = "growth" if suffix == "previous" else "yoy_growth"
                    row[f"{m}_{name}"] = (
                        v[m] / base - 1 if not np.isnan(base) and base != 0 else np.nan
                    )
            rows.append(row)
    return pd.DataFrame(rows)


def check(result: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert len(result) == len(expected)
    for column in expected.columns:
        got, want = result[column], expected[column]
        if column == "period":
            assert (pd.to_datetime(got).to_numpy() == pd.to_datetime(want).to_numpy()).all()
        elif pd.api.types.is_numeric_dtype(want) and want.dtype != bool:
            np.testing.assert_allclose(
                got.to_numpy(float), want.to_numpy(float), rtol=1e-12, atol=1e-9, err_msg=column
            )
        else:
            assert got.tolist() == want.tolist(), column


@pytest.mark.parametrize("period", ["D", "W", "M", "Q", "Y"])
def test_matches_brute_force(transactions, period):
    check(sales_summary(transactions, period=period), reference(transactions, period))


def test_by_group_matches_brute_force(transactions):
    check(sales_summary(transactions, by="channel"), reference(transactions, "M", "channel"))


@settings(max_examples=20)
@given(histories(), st.sampled_from(["W", "M", "Q"]))
def test_property_matches_brute_force(t, period):
    check(sales_summary(t, period=period), reference(t, period))


@settings(max_examples=15)
@given(histories(with_ids=False))
def test_revenue_is_gross_minus_returns_and_no_period_skipped(t):
    s = sales_summary(t, period="M")
    np.testing.assert_allclose(s["revenue"], s["gross_revenue"] - s["returns"])
    assert s["revenue"].sum() == pytest.approx(t["amount"].sum())
    months = s["period"].dt.year * 12 + s["period"].dt.month
    assert (np.diff(months) == 1).all()
    assert np.isfinite(s["revenue_growth"].dropna()).all()


def test_gap_has_zeros_and_null_growth():
    t = pd.DataFrame(
        {
            "customer_id": [1, 2],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-03-31"]),
            "amount": [10.0, 20.0],
        }
    )
    s = sales_summary(t)
    assert s["revenue"].tolist() == [10.0, 0.0, 20.0]
    assert s["is_partial"].tolist() == [False, False, False]
    assert np.isnan(s["revenue_growth"][2])
    assert s["revenue_growth"][1] == -1.0


def test_year_over_year_where_data_reach_back():
    t = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "timestamp": pd.to_datetime(["2023-02-10", "2024-02-03", "2024-02-20"]),
            "amount": [50.0, 30.0, 45.0],
        }
    )
    s = sales_summary(t).set_index("period")
    assert s.loc["2024-02-01", "revenue_last_year"] == 50.0
    assert s.loc["2024-02-01", "revenue_yoy_growth"] == pytest.approx(0.5)
    assert s.loc["2024-02-01", "customers_yoy_growth"] == pytest.approx(1.0)
    assert np.isnan(s.loc["2024-01-01", "revenue_yoy_growth"])  # base month is empty
    assert np.isnan(s.loc["2023-12-01", "revenue_last_year"])  # before the data


def test_units_and_columns_mapping(transactions):
    raw = transactions.rename(columns={"customer_id": "who", "quantity": "qty"})
    s = sales_summary(raw, columns={"customer_id": "who", "quantity": "qty"})
    expected = transactions.groupby(transactions["timestamp"].dt.to_period("M"))["quantity"].sum()
    np.testing.assert_allclose(s["units"], expected.to_numpy())
    check(s.drop(columns="units"), reference(transactions, "M"))


def test_input_not_mutated(transactions):
    before = transactions.copy()
    sales_summary(transactions, by="channel")
    pd.testing.assert_frame_equal(transactions, before)


def test_bad_arguments(transactions):
    with pytest.raises(ValueError, match="period"):
        sales_summary(transactions, period="month")
    with pytest.raises(SchemaError, match="region"):
        sales_summary(transactions, by="region")
    with pytest.raises(ValueError, match="by must name"):
        sales_summary(transactions, by="amount")


@pytest.mark.parity
def test_backend_parity(transactions):
    t = transactions.copy()
    t["channel"] = t["channel"].astype(object)
    t.loc[t.index[::9], "channel"] = None
    expected = sales_summary(t, by="channel", period="W")
    for backend in BACKENDS:
        native = sales_summary(convert(t, backend), by="channel", period="W")
        got = to_pandas(native)
        lazy = isinstance(nw.from_native(native), nw.LazyFrame)
        assert lazy == (backend in LAZY_BACKENDS), backend  # lazy in, lazy out
        got = got.sort_values(["channel", "period"], na_position="last").reset_index(drop=True)
        want = expected.sort_values(["channel", "period"], na_position="last").reset_index(
            drop=True
        )
        pd.testing.assert_series_equal(
            got["channel"].fillna("∅").astype(str),
            want["channel"].fillna("∅").astype(str),
            check_names=False,
        )
        for column in want.columns.drop("channel"):
            if column == "period":
                assert (pd.to_datetime(got[column]).to_numpy() == want[column].to_numpy()).all()
            else:
                np.testing.assert_allclose(
                    got[column].to_numpy(float),
                    want[column].to_numpy(float),
                    rtol=1e-9,
                    err_msg=f"{backend} {column}",
                )


def test_empty_input():
    t = pd.DataFrame(
        {
            "customer_id": pd.Series([], dtype=int),
            "timestamp": pd.Series([], dtype="datetime64[ns]"),
            "amount": pd.Series([], dtype=float),
        }
    )
    s = sales_summary(t)
    assert len(s) == 0
    assert "revenue_yoy_growth" in s.columns
