"""A failed PySpark job surfaces as an error from our call, never as a hang.

Runs only in the ``spark`` session (``CRM_TEST_SPARK=1``): each test is parametrized on
the ``pyspark`` backend so the Spark selection keeps it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import narwhals.stable.v2 as nw
import pandas as pd
import pytest
from backends import SPARK_ENABLED, convert

from crmanalytics import _frames
from crmanalytics.errors import SparkCollectError
from crmanalytics.value import customer_summary

pytestmark = pytest.mark.skipif(not SPARK_ENABLED, reason="needs CRM_TEST_SPARK=1")

TX = pd.DataFrame(
    {
        "customer_id": [1, 1, 2],
        "timestamp": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-03"]),
        "amount": [1.0, 2.0, 3.0],
    }
)


@pytest.mark.parametrize("backend", ["pyspark"])
def test_udf_raising_inside_a_job_raises_from_our_call(backend: str) -> None:
    from pyspark.errors import PythonException
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType

    def broken(value):  # type: ignore[no-untyped-def]  # Spark reads hints as a pandas UDF
        raise ValueError("boom inside a Spark task")

    native = convert(TX, backend)
    native = native.withColumn("amount", F.udf(broken, DoubleType())(F.col("amount")))
    started = time.perf_counter()
    # the task fails in the Python worker (with our error, or earlier where the worker's
    # Python lacks pyarrow): either way the job fails and our call must raise
    with pytest.raises(PythonException):
        _frames.collect(nw.from_native(customer_summary(native)))
    assert time.perf_counter() - started < 60


@pytest.fixture
def blocked_collect(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Make every lazy collect wait like a result the driver never serves."""
    release = threading.Event()

    def wait_forever(self: Any, *args: Any, **kwargs: Any) -> Any:
        release.wait(30)
        raise RuntimeError("released")

    monkeypatch.setattr(nw.LazyFrame, "collect", wait_forever)
    monkeypatch.setattr(_frames, "SPARK_STALL_SECONDS", 2.0)
    yield release
    release.set()


@pytest.mark.parametrize("backend", ["pyspark"])
def test_a_result_never_served_raises_instead_of_hanging(
    backend: str, blocked_collect: threading.Event
) -> None:
    frame = nw.from_native(convert(TX, backend))
    started = time.perf_counter()
    with pytest.raises(SparkCollectError, match="never reached Python"):
        _frames.collect(frame)
    assert time.perf_counter() - started < 10
