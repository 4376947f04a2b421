"""Calendar period arithmetic: engine expressions against Python's datetime."""

from __future__ import annotations

import datetime as dt

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
import pytest
from backends import convert, to_pandas
from hypothesis import given
from hypothesis import strategies as st

from crmanalytics._periods import (
    PERIODS,
    check_period,
    period_of_day,
    period_start,
    with_period,
)

EPOCH = dt.date(1970, 1, 1)


def reference(day: int, period: str) -> int:
    """Period index straight from the calendar (independent of the module)."""
    date = EPOCH + dt.timedelta(days=day)
    if period == "D":
        return day
    if period == "W":
        monday = date - dt.timedelta(days=date.weekday())
        return (monday - dt.date(1969, 12, 29)).days // 7
    month = date.year * 12 + date.month - 1
    return {"M": month, "Q": month // 3, "Y": date.year}[period]


@pytest.mark.parametrize("period", PERIODS)
def test_engine_matches_calendar_on_every_backend(backend: str, period: str) -> None:
    rng = np.random.default_rng(3)
    # from 1900 to 2100, plus month / leap-year edges
    days = np.concatenate(
        [
            rng.integers(-25_567, 47_482, 300),
            [
                (dt.date(y, m, d) - EPOCH).days
                for y in (1999, 2000, 2023, 2024)
                for m in (1, 2, 3, 12)
                for d in (1, 28)
            ],
            [(dt.date(2024, 2, 29) - EPOCH).days, -1, 0, 1],
        ]
    )
    native = convert(pd.DataFrame({"d": days}), backend)
    got = to_pandas(nw.to_native(with_period(nw.from_native(native), "d", period, "p")))
    assert list(got.columns) == ["d", "p"]
    expected = [reference(int(d), period) for d in got["d"]]
    assert got["p"].tolist() == expected


@given(st.integers(-30_000, 60_000), st.sampled_from(PERIODS))
def test_python_mirror_and_period_start(day: int, period: str) -> None:
    index = period_of_day(day, period)  # type: ignore[arg-type]
    assert index == reference(day, period)
    start = period_start(index, period)  # type: ignore[arg-type]
    assert start <= day < period_start(index + 1, period)  # type: ignore[arg-type]
    assert period_of_day(start, period) == index  # type: ignore[arg-type]


def test_unknown_period_is_named() -> None:
    with pytest.raises(ValueError, match=r"period must be one of .*got 'month'"):
        check_period("month")
