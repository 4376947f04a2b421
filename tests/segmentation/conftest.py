"""Fixtures and helpers for the segmentation tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def make_transactions(seed: int, n_customers: int = 40, n_rows: int = 300) -> pd.DataFrame:
    """Random canonical transactions with returns, same-day repeats and ties."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01")
    customer = rng.integers(0, n_customers, n_rows)
    day = rng.integers(0, 120, n_rows)
    hour = rng.integers(0, 24, n_rows)
    amount = np.round(rng.gamma(2.0, 20.0, n_rows), 2)
    amount[rng.random(n_rows) < 0.1] *= -1
    amount[rng.random(n_rows) < 0.03] = 0.0
    return pd.DataFrame(
        {
            "customer_id": customer.astype("int64"),
            "timestamp": start + pd.to_timedelta(day, unit="D") + pd.to_timedelta(hour, unit="h"),
            "amount": amount.astype("float64"),
            "transaction_id": [f"T{i // 2}" for i in range(n_rows)],
        }
    )


@pytest.fixture
def transactions() -> pd.DataFrame:
    """Random canonical transactions (seed 0)."""
    return make_transactions(0)


def sort_by_customer(frame: pd.DataFrame) -> pd.DataFrame:
    """Order rows by customer_id and forget the index, for comparisons."""
    return frame.sort_values("customer_id", kind="stable").reset_index(drop=True)
