"""The out-of-core path: summaries, fits and scores that keep per-customer work in the engine."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from crmanalytics.churn import churn_probability
from crmanalytics.value import (
    BetaGeoModel,
    BetaGeoParams,
    GammaGammaModel,
    GammaGammaParams,
    _inputs,
    customer_lifetime_value,
    customer_summary,
)

BG = BetaGeoModel.from_params(BetaGeoParams(0.243, 4.414, 0.793, 2.426), time_unit="W")
GG = GammaGammaModel.from_params(GammaGammaParams(6.25, 3.74, 15.44))


def _summary(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """A summary whose customers share far fewer (frequency, recency, T) rows."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, n)
    big_t = rng.integers(20, 24, n).astype(float)
    t_x = np.where(x > 0, rng.integers(0, 20, n), 0).astype(float)
    money = np.where(x > 0, rng.gamma(4.0, 8.0, n).round(2), 0.0)
    return pd.DataFrame(
        {
            "customer_id": np.arange(n) * 3,
            "frequency": x,
            "recency": t_x,
            "T": big_t,
            "monetary_value": money,
        }
    )


def _on_own_connection(frame: pd.DataFrame) -> Any:
    return duckdb.connect().from_arrow(pa.Table.from_pandas(frame, preserve_index=False))


def _pandas(native: Any) -> pd.DataFrame:
    frame = nw.from_native(native)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    return frame.to_pandas().sort_values("customer_id", ignore_index=True)


@pytest.mark.parametrize("make", [_on_own_connection, lambda f: pl.from_pandas(f).lazy()])
def test_lazy_scores_join_back_in_the_engine_and_equal_pandas(make: Any) -> None:
    """On DuckDB (a relation on its own connection) and Polars lazy the result stays
    lazy, and churn and CLV equal the eager pandas path."""
    summary = _summary()
    churn = churn_probability(BG, make(summary))
    clv = customer_lifetime_value(make(summary), BG, GG)
    assert isinstance(nw.from_native(churn), nw.LazyFrame)
    assert isinstance(nw.from_native(clv), nw.LazyFrame)
    expected_churn = churn_probability(BG, summary)
    expected_clv = customer_lifetime_value(summary, BG, GG)
    got_churn, got_clv = _pandas(churn), _pandas(clv)
    assert got_churn["customer_id"].tolist() == summary["customer_id"].tolist()
    np.testing.assert_allclose(
        got_churn["churn_probability"], expected_churn["churn_probability"], rtol=1e-12
    )
    np.testing.assert_allclose(got_clv["clv"], expected_clv["clv"], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("make", [_on_own_connection, lambda f: pl.from_pandas(f).lazy()])
def test_only_distinct_history_rows_come_to_python(make: Any, monkeypatch: Any) -> None:
    """Churn and CLV of a lazy summary collect at most the distinct (frequency, recency,
    T) rows (plus one count), never a per-customer table."""
    summary = _summary()
    distinct = len(summary.drop_duplicates(["frequency", "recency", "T"]))
    assert distinct < len(summary) / 2
    heights: list[int] = []
    real = _inputs.collect

    def counting(frame: Any) -> Any:
        out = real(frame)
        heights.append(out.shape[0])
        return out

    monkeypatch.setattr(_inputs, "collect", counting)
    for result in (
        churn_probability(BG, make(summary)),
        customer_lifetime_value(make(summary), BG, GG),
    ):
        assert len(_pandas(result)) == len(summary)
    assert heights
    assert max(heights) == distinct


def test_lazy_clv_reports_a_broken_monetary_value() -> None:
    summary = _summary()
    summary.loc[5, "monetary_value"] = np.nan
    with pytest.raises(Exception, match="monetary_value"):
        customer_lifetime_value(pl.from_pandas(summary).lazy(), BG, GG)


def _transactions(unit: str) -> pd.DataFrame:
    stamps = pd.to_datetime(
        [
            "1969-12-31 23:00",
            "1970-01-01 01:00",
            "1970-01-05 10:00",
            "1970-01-05 11:00",
            "1970-01-02 00:00",
            "1970-01-09 23:59",
        ]
    ).astype(f"datetime64[{unit}]")
    return pd.DataFrame(
        {
            "customer_id": ["b", "b", "b", "b", "a", "a"],
            "timestamp": stamps,
            "amount": [5.0, 7.0, 1.5, 2.5, 3.0, 9.0],
        }
    )


@pytest.mark.parametrize("unit", ["ns", "us", "ms", "s"])
def test_summary_is_the_same_at_every_timestamp_resolution_and_engine(unit: str) -> None:
    """Calendar days before and after 1970, same-day purchases summed, first day left
    out of the spend: pandas (every resolution), Polars lazy and DuckDB agree with a
    hand count."""
    tx = _transactions(unit)
    expected = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "frequency": [1, 2],
            "recency": [7.0, 5.0],
            "T": [8.0, 10.0],
            "monetary_value": [9.0, (7.0 + 4.0) / 2],
        }
    )
    end = dt.date(1970, 1, 10)
    for native in (tx, pl.from_pandas(tx).lazy(), _on_own_connection(tx)):
        got = _pandas(customer_summary(native, observation_end=end))
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)
