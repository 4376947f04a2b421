"""revenue_decomposition: a hand-written LMDI on pandas totals, exact additivity, rules."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from backends import BACKENDS, convert, to_pandas
from hypothesis import given, settings
from hypothesis import strategies as st
from sales.sales_data import histories

from crmanalytics.sales import revenue_decomposition

BEFORE = ("2023-01-01", "2023-06-30")
AFTER = ("2023-07-01", "2024-02-29")
PARTS = ["customers", "orders_per_customer", "average_order_value"]


def totals(t: pd.DataFrame, window: tuple[str, str]) -> dict[str, float]:
    day = t["timestamp"].dt.normalize()
    part = t[(day >= window[0]) & (day <= window[1])]
    sales = part[part["amount"] >= 0]
    key = (
        sales["transaction_id"] if "transaction_id" in sales else sales["timestamp"].dt.normalize()
    )
    return {
        "V": float(part["amount"].sum()),
        "C": float(sales["customer_id"].nunique()),
        "O": float(len(set(zip(sales["customer_id"], key, strict=True)))),
        "U": float(part["quantity"].sum()) if "quantity" in part else math.nan,
    }


def lmdi(v0: float, v1: float, x0: float, x1: float) -> float:
    weight = v0 if v0 == v1 else (v1 - v0) / (math.log(v1) - math.log(v0))
    return weight * math.log(x1 / x0)


def reference(t: pd.DataFrame) -> dict[str, object]:
    a, b = totals(t, BEFORE), totals(t, AFTER)
    change = b["V"] - a["V"]
    out = {"revenue_before": a["V"], "revenue_after": b["V"], "change": change}
    if a["C"] == 0 or b["C"] == 0:
        return {
            **out,
            "customers_contribution": change,
            "orders_per_customer_contribution": 0.0,
            "average_order_value_contribution": 0.0,
            "method": "entry_exit",
        }
    if a["V"] * b["V"] <= 0:
        return {
            **out,
            "customers_contribution": 0.0,
            "orders_per_customer_contribution": 0.0,
            "average_order_value_contribution": change,
            "method": "sign_change",
        }
    s = 1.0 if b["V"] > 0 else -1.0
    v0, v1 = abs(a["V"]), abs(b["V"])
    return {
        **out,
        "customers_contribution": s * lmdi(v0, v1, a["C"], b["C"]),
        "orders_per_customer_contribution": s * lmdi(v0, v1, a["O"] / a["C"], b["O"] / b["C"]),
        "average_order_value_contribution": s * lmdi(v0, v1, v0 / a["O"], v1 / b["O"]),
        "method": "lmdi",
    }


def check_row(result: pd.DataFrame, expected: dict[str, object]) -> None:
    assert len(result) == 1
    row = result.iloc[0]
    for key, value in expected.items():
        if isinstance(value, str):
            assert row[key] == value, key
        else:
            assert row[key] == pytest.approx(value, rel=1e-9, abs=1e-9), key


def test_matches_hand_lmdi(transactions):
    t = transactions.drop(columns="quantity")
    check_row(revenue_decomposition(t, periods=(BEFORE, AFTER)), reference(t))


def test_textbook_case():
    """Customers 1 -> 3, orders per customer 2 -> 1, order value unchanged."""
    t = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3, 4],
            "timestamp": pd.to_datetime(
                ["2023-01-02", "2023-01-09", "2023-08-01", "2023-08-02", "2023-08-03"]
            ),
            "amount": [10.0, 10.0, 10.0, 10.0, 10.0],
        }
    )
    d = revenue_decomposition(t, periods=(BEFORE, AFTER)).iloc[0]
    weight = 10.0 / math.log(30.0 / 20.0)  # L(30, 20)
    assert d["change"] == 10.0
    assert d["customers_contribution"] == pytest.approx(weight * math.log(3.0))
    assert d["orders_per_customer_contribution"] == pytest.approx(-weight * math.log(2.0))
    assert d["average_order_value_contribution"] == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=25)
@given(histories(max_days=420), st.booleans())
def test_adds_up_and_matches_reference(t, with_quantity):
    if with_quantity:
        t = t.assign(quantity=np.where(t["amount"] >= 0, 2.0, -1.0))
    d = revenue_decomposition(t, periods=(BEFORE, AFTER)).iloc[0]
    parts = np.array([d[f"{p}_contribution"] for p in PARTS])
    assert np.isfinite(parts).all()
    scale = max(1.0, abs(d["revenue_before"]), abs(d["revenue_after"]))
    assert parts.sum() == pytest.approx(d["change"], abs=1e-9 * scale)
    if with_quantity:
        split = d["units_per_order_contribution"] + d["price_per_unit_contribution"]
        assert split == pytest.approx(d["average_order_value_contribution"], abs=1e-9 * scale)
    expected = reference(t.drop(columns="quantity", errors="ignore"))
    check_row(revenue_decomposition(t, periods=(BEFORE, AFTER))[list(expected)], expected)


def test_by_group_and_entry_exit(transactions):
    t = transactions.drop(columns="quantity")
    t.loc[(t["channel"] == "app") & (t["timestamp"] >= "2023-07-01"), "channel"] = "kiosk"
    d = revenue_decomposition(t, periods=(BEFORE, AFTER), by="channel").set_index("channel")
    assert sorted(d.index) == ["app", "kiosk", "store", "web"]
    assert d.loc["kiosk", "method"] == "entry_exit"
    assert d.loc["kiosk", "customers_contribution"] == d.loc["kiosk", "change"]
    for channel in ("store", "web"):
        check_row(
            d.loc[[channel]].reset_index(drop=True)[list(reference(t[t["channel"] == channel]))],
            reference(t[t["channel"] == channel]),
        )


def test_negative_revenue_in_both_periods_keeps_signs():
    t = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2, 3],
            "timestamp": pd.to_datetime(
                ["2023-01-02", "2023-01-03", "2023-08-01", "2023-08-02", "2023-08-02"]
            ),
            "amount": [5.0, -20.0, 5.0, -40.0, 1.0],
        }
    )
    d = revenue_decomposition(t, periods=(BEFORE, AFTER)).iloc[0]
    assert d["method"] == "lmdi"
    assert d["change"] == -19.0
    check_row(revenue_decomposition(t, periods=(BEFORE, AFTER)), reference(t))


def test_quantity_splits_order_value(transactions):
    d = revenue_decomposition(transactions, periods=(BEFORE, AFTER)).iloc[0]
    a, b = totals(transactions, BEFORE), totals(transactions, AFTER)
    v0, v1 = a["V"], b["V"]
    assert d["units_per_order_contribution"] == pytest.approx(
        lmdi(v0, v1, a["U"] / a["O"], b["U"] / b["O"]), rel=1e-9
    )
    assert d["price_per_unit_contribution"] == pytest.approx(
        lmdi(v0, v1, v0 / a["U"], v1 / b["U"]), rel=1e-9
    )


@pytest.mark.parametrize(
    "periods",
    [
        ("2023-01-01", "2023-02-01"),
        (("2023-02-01", "2023-01-01"), AFTER),
        ((BEFORE,), AFTER),
        (("yesterday", "2023-01-01"), AFTER),
    ],
)
def test_bad_periods(transactions, periods):
    with pytest.raises(ValueError, match="periods"):
        revenue_decomposition(transactions, periods=periods)


def test_no_mutation_and_columns_mapping(transactions):
    raw = transactions.rename(columns={"amount": "value"})
    before = raw.copy()
    d = revenue_decomposition(raw, periods=(BEFORE, AFTER), columns={"amount": "value"})
    pd.testing.assert_frame_equal(raw, before)
    assert d["change"][0] == pytest.approx(
        totals(transactions, AFTER)["V"] - totals(transactions, BEFORE)["V"]
    )


@pytest.mark.parity
def test_backend_parity(transactions):
    want = revenue_decomposition(transactions, periods=(BEFORE, AFTER), by="channel")
    for backend in BACKENDS:
        got = to_pandas(
            revenue_decomposition(
                convert(transactions, backend), periods=(BEFORE, AFTER), by="channel"
            )
        )
        got = got.sort_values("channel").reset_index(drop=True)
        assert got["method"].tolist() == want["method"].tolist()
        numeric = want.columns.drop(["channel", "method"])
        np.testing.assert_allclose(
            got[numeric].to_numpy(float), want[numeric].to_numpy(float), rtol=1e-9
        )
