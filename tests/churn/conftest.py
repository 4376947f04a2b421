"""Fixtures for the churn tests: random histories and same-connection backend pairs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest


def random_transactions(seed: int, n_customers: int = 40, n_rows: int = 300) -> pd.DataFrame:
    """Random canonical transactions over ~14 months, with same-day repeats."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01")
    customer = rng.integers(0, n_customers, n_rows)
    offset = rng.integers(0, 420, n_rows)
    seconds = rng.integers(0, 86_400, n_rows)
    return pd.DataFrame(
        {
            "customer_id": [f"c{c:03d}" for c in customer],
            "timestamp": start
            + pd.to_timedelta(offset, unit="D")
            + pd.to_timedelta(seconds, unit="s"),
            "amount": np.round(rng.gamma(2.0, 20.0, n_rows), 2),
            "channel": rng.choice(["web", "store"], n_rows),
        }
    )


@pytest.fixture
def make_transactions() -> Callable[..., pd.DataFrame]:
    """``make_transactions(seed, n_customers=40, n_rows=300)``."""
    return random_transactions


@pytest.fixture
def to_backend_pair() -> Callable[[pd.DataFrame, pd.DataFrame, str], tuple[Any, Any]]:
    """Two pandas frames in one backend (DuckDB: on the same connection, so they join)."""

    from backends import convert_pair

    return convert_pair
