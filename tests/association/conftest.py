"""Fixtures for the association tests: the cleaned Online Retail transactions."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture(scope="session")
def online_retail_tx(online_retail_raw: pd.DataFrame) -> pd.DataFrame:
    """Online Retail as canonical transactions.

    Kept: a customer id, not a cancellation (InvoiceNo not starting with "C"),
    Quantity > 0 and UnitPrice > 0.
    """
    raw = online_retail_raw
    keep = (
        raw["CustomerID"].notna()
        & ~raw["InvoiceNo"].str.startswith("C")
        & (raw["Quantity"] > 0)
        & (raw["UnitPrice"] > 0)
    )
    rows = raw[keep]
    return pd.DataFrame(
        {
            "customer_id": rows["CustomerID"].astype("int64"),
            "timestamp": rows["InvoiceDate"],
            "amount": rows["Quantity"] * rows["UnitPrice"],
            "transaction_id": rows["InvoiceNo"],
            "product_id": rows["StockCode"],
            "quantity": rows["Quantity"].astype("float64"),
        }
    ).reset_index(drop=True)
