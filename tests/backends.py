"""Backend conversion helpers for tests (importable: tests/ is on pytest's pythonpath).

PySpark joins the backends when ``CRM_TEST_SPARK=1`` (the ``spark`` nox session sets it):
a local Spark (``local[2]``, UI off, bound to 127.0.0.1, session time zone UTC) is
started once per test run and every backend-parity test runs on it too.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Any

import pandas as pd

#: Backends that need nothing beyond the ``test`` extra.
LOCAL_BACKENDS = ("pandas", "polars", "polars-lazy", "pyarrow", "duckdb")
#: True in the ``spark`` nox session.
SPARK_ENABLED = os.environ.get("CRM_TEST_SPARK") == "1"
#: Backends every analysis must accept.
BACKENDS = LOCAL_BACKENDS + (("pyspark",) if SPARK_ENABLED else ())
#: Backends whose frames are lazy: results must come back lazy too.
LAZY_BACKENDS = ("polars-lazy", "duckdb", "pyspark")


@functools.cache
def spark_session() -> Any:
    """The test run's local Spark session, started on first use."""
    from pyspark.sql import SparkSession

    # Spark's Python workers run this interpreter (with crmanalytics importable), not
    # whatever ``python3`` is first on the PATH
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("crmanalytics-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.log.level", "ERROR")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def _arrow(frame: pd.DataFrame) -> Any:
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False)


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
        return _arrow(frame)
    if backend == "duckdb":
        import duckdb

        return duckdb.connect().from_arrow(_arrow(frame))
    if backend == "pyspark":
        return spark_session().createDataFrame(_arrow(frame))
    raise ValueError(backend)


def convert_pair(a: pd.DataFrame, b: pd.DataFrame, backend: str) -> tuple[Any, Any]:
    """Two pandas frames in one backend (DuckDB: on one connection, so they can join)."""
    if backend != "duckdb":
        return convert(a, backend), convert(b, backend)
    import duckdb

    con = duckdb.connect()
    return con.from_arrow(_arrow(a)), con.from_arrow(_arrow(b))


def to_pandas(native: Any) -> pd.DataFrame:
    """Bring any backend's result back to pandas for comparison."""
    import narwhals.stable.v2 as nw

    frame = nw.from_native(native)
    spark = frame.implementation.is_spark_like()
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    out = frame.to_pandas()
    if spark:
        # Spark timestamps are instants shown in the session zone (UTC here); the naive
        # wall-clock times the other backends return are those instants in UTC
        for column in out.columns:
            if isinstance(out[column].dtype, pd.DatetimeTZDtype):
                out[column] = out[column].dt.tz_convert("UTC").dt.tz_localize(None)
    return out
