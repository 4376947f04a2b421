"""The internal frame helpers: calendar days on every backend, date parsing."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmanalytics._frames import (
    collect,
    day_to_timestamp,
    epoch_day,
    from_native,
    time_unit_days,
    to_day_number,
)


@pytest.mark.parity
@given(
    st.lists(
        st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
        min_size=1,
        max_size=20,
    )
)
def test_epoch_day_matches_python_dates_on_every_backend(stamps):
    from backends import BACKENDS, convert

    frame = pd.DataFrame({"t": pd.to_datetime(stamps)})
    expected = [(s.date() - dt.date(1970, 1, 1)).days for s in stamps]
    for backend in BACKENDS:
        nwf = from_native(convert(frame, backend))
        for source in (nwf, nwf.collect_schema()):  # fast path and generic path
            got = collect(nwf.select(epoch_day("t", source)))["t"].to_list()
            assert sorted(got) == sorted(expected), backend


def test_epoch_day_reads_tz_aware_in_its_own_zone():
    stamps = pd.Series(pd.to_datetime(["2024-03-01 23:30"])).dt.tz_localize("Europe/Berlin")
    nwf = from_native(pd.DataFrame({"t": stamps}))
    got = nwf.select(epoch_day("t", nwf.collect_schema()))["t"].to_list()
    assert got == [(dt.date(2024, 3, 1) - dt.date(1970, 1, 1)).days]


@pytest.mark.parametrize(
    "value",
    [
        "2024-03-01",
        dt.date(2024, 3, 1),
        dt.datetime(2024, 3, 1, 23, 59),
        pd.Timestamp("2024-03-01 12:00"),
        np.datetime64("2024-03-01T05:00"),
    ],
)
def test_to_day_number_accepts_date_likes(value):
    assert to_day_number(value) == (dt.date(2024, 3, 1) - dt.date(1970, 1, 1)).days
    assert day_to_timestamp(to_day_number(value)) == pd.Timestamp("2024-03-01")


@pytest.mark.parametrize("bad", ["not a date", None, ""])
def test_to_day_number_rejects_garbage(bad):
    with pytest.raises(ValueError, match="cannot read"):
        to_day_number(bad)


def test_time_unit_days():
    assert time_unit_days("D") == 1.0
    assert time_unit_days("W") == 7.0
    with pytest.raises(ValueError, match="time_unit must be"):
        time_unit_days("M")  # type: ignore[arg-type]


def test_from_native_rejects_non_frames():
    with pytest.raises(TypeError, match="expected a dataframe"):
        from_native([1, 2, 3])
