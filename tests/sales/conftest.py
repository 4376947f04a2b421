"""Fixtures for the sales tests."""

from __future__ import annotations

import pandas as pd
import pytest
from sales.sales_data import random_transactions


@pytest.fixture
def transactions() -> pd.DataFrame:
    """A fixed random history (500 days, returns included)."""
    return random_transactions(7)
