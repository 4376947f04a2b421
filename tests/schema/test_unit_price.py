"""Optional unit_price (amount = quantity * unit_price when amount is absent) and product_name."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from crmanalytics.errors import DataQualityWarning, SchemaError
from crmanalytics.schema import TRANSACTIONS, check_table, validate_transactions

NOTE = "amount was computed as quantity * unit_price (the table has no amount column)"


def raw_lines() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Who": [1, 1, 2, 3],
            "When": ["2024-01-02", "2024-01-09", "2024-02-01", "2024-03-05"],
            "Qty": [2.0, -1.0, 3.0, 4.0],
            "Price": [2.5, 2.5, 0.0, 1.25],
            "Name": ["MUG", "MUG", "FREE BAG", "CANDLE"],
        }
    )


MAPPING = {
    "customer_id": "Who",
    "timestamp": "When",
    "quantity": "Qty",
    "unit_price": "Price",
    "product_name": "Name",
}


def test_declared_as_optional():
    assert TRANSACTIONS.column("unit_price").kind == "float"
    assert TRANSACTIONS.column("product_name").kind == "str"
    assert "unit_price" not in TRANSACTIONS.required
    assert "product_name" not in TRANSACTIONS.required


def test_amount_is_quantity_times_unit_price_on_every_backend(backend, to_backend, as_pandas):
    raw = raw_lines()
    out = as_pandas(validate_transactions(to_backend(raw, backend), columns=MAPPING))
    expected = raw["Qty"] * raw["Price"]  # independent: pandas arithmetic on the raw frame
    np.testing.assert_allclose(out["amount"].to_numpy(), expected.to_numpy())
    assert out["amount"].dtype == np.float64
    assert list(out["product_name"]) == list(raw["Name"])
    assert {"quantity", "unit_price", "amount", "product_name"} <= set(out.columns)


def test_the_report_says_amount_was_computed(backend, to_backend):
    report = check_table(to_backend(raw_lines(), backend), "transactions", columns=MAPPING)
    assert report.notes == (NOTE,)
    assert report.problems == ()


def test_given_amount_wins_and_no_note():
    raw = raw_lines().assign(amount=[1.0, 2.0, 3.0, 4.0])
    out = validate_transactions(raw, columns=MAPPING)
    assert list(out["amount"]) == [1.0, 2.0, 3.0, 4.0]
    assert check_table(raw, "transactions", columns=MAPPING).notes == ()


def test_missing_price_breaks_the_derived_amount(backend, to_backend, as_pandas):
    raw = raw_lines()
    raw.loc[2, "Price"] = np.nan
    frame = to_backend(raw, backend)
    with pytest.raises(SchemaError) as caught:
        validate_transactions(frame, columns=MAPPING)
    problem = caught.value.problems[0]
    assert problem.column == "amount"
    assert problem.rows == 1
    assert "quantity * unit_price" in problem.describe()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        out = as_pandas(validate_transactions(frame, columns=MAPPING, invalid="drop"))
    assert len(out) == 3
    [warning] = [w.message for w in seen if isinstance(w.message, DataQualityWarning)]
    assert warning.report.notes == (NOTE,)
    assert NOTE in str(warning)


def test_text_quantities_are_parsed_before_multiplying():
    raw = raw_lines().astype({"Qty": str, "Price": str})
    out = validate_transactions(raw, columns=MAPPING)
    np.testing.assert_allclose(out["amount"], [5.0, -2.5, 0.0, 5.0])


def test_without_unit_price_amount_is_still_required():
    raw = raw_lines().drop(columns="Price")
    mapping = {k: v for k, v in MAPPING.items() if k != "unit_price"}
    with pytest.raises(SchemaError, match="column 'amount': is required but missing"):
        validate_transactions(raw, columns=mapping)
