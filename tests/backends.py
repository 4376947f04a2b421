"""Backend conversion helpers for tests (importable: tests/ is on pytest's pythonpath)."""

from __future__ import annotations

from typing import Any

import pandas as pd

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
