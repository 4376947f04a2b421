"""Shared fixtures: backends, the bundled and the real data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
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

#: Backends every analysis must accept; "polars-lazy" and "duckdb" are lazy.
BACKENDS = ("pandas", "polars", "polars-lazy", "pyarrow", "duckdb")


def convert(frame: pd.DataFrame, backend: str) -> Any:
    """Turn a pandas frame into the named backend's native frame."""
    if backend == "pandas":
        return frame.copy()
    if backend == "polars":
        import polars as pl

        return pl.from_pandas(frame)
    if backend == "polars-lazy":
        import polars as pl

        return pl.from_pandas(frame).lazy()
    if backend == "pyarrow":
        import pyarrow as pa

        return pa.Table.from_pandas(frame, preserve_index=False)
    if backend == "duckdb":
        import duckdb

        con = duckdb.connect()
        return con.from_arrow(__import__("pyarrow").Table.from_pandas(frame, preserve_index=False))
    raise ValueError(backend)


def to_pandas(native: Any) -> pd.DataFrame:
    """Bring any backend's result back to pandas for comparison."""
    import narwhals.stable.v2 as nw

    frame = nw.from_native(native)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    return frame.to_pandas()


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
