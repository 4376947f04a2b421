"""Shared fixtures: backends, the bundled and the real data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from backends import BACKENDS, SPARK_ENABLED, convert, to_pandas
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"

settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile("ci")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On Spark (``CRM_TEST_SPARK=1``) run only the backend-parity tests."""
    if not SPARK_ENABLED:
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_spark = callspec is not None and "pyspark" in callspec.params.values()
        (keep if on_spark or item.get_closest_marker("parity") else drop).append(item)
    config.hook.pytest_deselected(items=drop)
    items[:] = keep


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each supported backend name in turn."""
    return str(request.param)


@pytest.fixture
def to_backend() -> Callable[[pd.DataFrame, str], Any]:
    """``to_backend(pandas_frame, name)`` -> native frame of that backend."""
    return convert


@pytest.fixture
def as_pandas() -> Callable[[Any], pd.DataFrame]:
    """``as_pandas(native)`` -> pandas frame, collecting lazy results."""
    return to_pandas


@pytest.fixture(scope="session")
def online_retail_raw() -> pd.DataFrame:
    """The UCI Online Retail export, exactly as published (541,909 rows)."""
    return pd.read_parquet(DATA / "online_retail.parquet")


@pytest.fixture(scope="session")
def cdnow_published_summary() -> pd.DataFrame:
    """lifetimes' per-customer CDNOW table (ID, x, t_x, T in weeks, zbar)."""
    return pd.read_csv(TEST_DATA / "cdnow_customers_summary_with_transactions.csv")
