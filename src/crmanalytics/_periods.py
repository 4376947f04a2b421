"""The one calendar: D, W, M, Q and Y periods as integers, inside any engine (internal).

Every package that groups by calendar period (churn rates, retention, NPS trends, sales,
campaigns) uses this module, so a "month" means the same thing everywhere.

A period index numbers days, ISO weeks (Monday to Sunday), months, quarters or years
consecutively, so "periods since acquisition" is a subtraction. The index is computed
from the epoch day (days since 1970-01-01) with integer arithmetic only (Howard
Hinnant's ``civil_from_days``), which every narwhals backend evaluates the same way;
all intermediate values are non-negative, so floor division has no sign pitfalls.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, TypeAlias, TypeVar

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from crmanalytics._frames import epoch_day

__all__ = [
    "PERIODS",
    "Period",
    "check_period",
    "is_partial",
    "period_end",
    "period_of_day",
    "period_start",
    "period_starts",
    "with_period",
    "with_timestamp_period",
]

#: Period codes: day, ISO week (Monday start), month, quarter, year.
FrameT = TypeVar("FrameT", nw.DataFrame[Any], nw.LazyFrame[Any])

Period: TypeAlias = Literal["D", "W", "M", "Q", "Y"]
PERIODS: tuple[str, ...] = ("D", "W", "M", "Q", "Y")

_EPOCH = dt.date(1970, 1, 1)
_DAYS_0000_03_01 = 719_468  # days from 0000-03-01 to 1970-01-01 (proleptic Gregorian)
_WEEK_SHIFT = 7 * 1_000_000  # keeps week arithmetic non-negative for any real date


def check_period(period: object) -> Period:
    """Return ``period`` if it is a known code, else raise a ValueError naming it.

    Examples
    --------
    >>> from crmanalytics._periods import check_period
    >>> check_period("M")
    'M'
    """
    if period not in PERIODS:
        raise ValueError(
            f"period must be one of 'D' (day), 'W' (ISO week), 'M' (month), 'Q' (quarter) "
            f"or 'Y' (year), got {period!r}"
        )
    return period  # type: ignore[return-value]


def with_period(frame: FrameT, day: str, period: Period, name: str) -> FrameT:
    """Add column ``name``: the period index of the integer epoch-day column ``day``.

    The calendar arithmetic is done in steps (one ``with_columns`` each) so that SQL
    engines receive small expressions rather than one deeply nested one.

    Examples
    --------
    >>> import pandas as pd
    >>> import narwhals.stable.v2 as nw
    >>> from crmanalytics._periods import with_period
    >>> f = nw.from_native(pd.DataFrame({"d": [19723, 19754]}))  # 2024-01-01, 2024-02-01
    >>> with_period(f, "d", "M", "m")["m"].to_list()
    [24288, 24289]
    """
    col = nw.col
    if period == "D":
        return frame.with_columns(col(day).alias(name))
    if period == "W":
        return frame.with_columns(
            ((col(day) + (3 + _WEEK_SHIFT)) // 7 - _WEEK_SHIFT // 7).alias(name)
        )
    z, era, doe, yoe, mp = (f"_{name}_{s}" for s in ("z", "era", "doe", "yoe", "mp"))
    out = frame.with_columns((col(day) + _DAYS_0000_03_01).alias(z))
    out = out.with_columns((col(z) // 146_097).alias(era))
    out = out.with_columns((col(z) - col(era) * 146_097).alias(doe))
    d = col(doe)
    out = out.with_columns(((d - d // 1_460 + d // 36_524 - d // 146_096) // 365).alias(yoe))
    y = col(yoe)
    doy = d - (y * 365 + y // 4 - y // 100)
    out = out.with_columns(((doy * 5 + 2) // 153).alias(mp))  # month from March, 0..11
    month = (col(yoe) + col(era) * 400) * 12 + col(mp) + 2  # 12 * year + (month - 1)
    if period == "Q":
        month = month // 3
    elif period == "Y":
        month = month // 12
    return out.with_columns(month.alias(name)).drop(z, era, doe, yoe, mp)


def period_of_day(day: int, period: Period) -> int:
    """Period index of one epoch day, in plain Python (mirrors :func:`period_index`).

    Examples
    --------
    >>> from crmanalytics._periods import period_of_day
    >>> period_of_day(19723, "Q") == 2024 * 4
    True
    """
    if period == "D":
        return day
    if period == "W":
        return (day + 3) // 7
    date = _EPOCH + dt.timedelta(days=day)
    month = date.year * 12 + date.month - 1
    return {"M": month, "Q": month // 3, "Y": month // 12}[period]


def period_start(index: int, period: Period) -> int:
    """Epoch day on which period ``index`` starts.

    Examples
    --------
    >>> from crmanalytics._periods import period_start
    >>> period_start(24289, "M")  # February 2024
    19754
    """
    if period == "D":
        return index
    if period == "W":
        return index * 7 - 3
    month = {"M": index, "Q": index * 3, "Y": index * 12}[period]
    return (dt.date(month // 12, month % 12 + 1, 1) - _EPOCH).days


def period_end(index: int, period: Period) -> int:
    """Epoch day on which the period *after* ``index`` starts (an exclusive end).

    Examples
    --------
    >>> from crmanalytics._periods import period_end, period_start
    >>> period_end(24289, "M") - period_start(24289, "M")  # February 2024
    29
    """
    return period_start(index + 1, period)


def period_starts(keys: npt.NDArray[np.int64], period: Period) -> npt.NDArray[np.datetime64]:
    """First instant of each period index, vectorised (``datetime64[us]``).

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics._periods import period_starts
    >>> period_starts(np.array([24288, 24289]), "M").astype(str).tolist()
    ['2024-01-01T00:00:00.000000', '2024-02-01T00:00:00.000000']
    """
    keys = np.asarray(keys, dtype=np.int64)
    if period == "D":
        out = keys.astype("datetime64[D]")
    elif period == "W":
        out = (keys * 7 - 3).astype("datetime64[D]")
    elif period == "M":
        out = (keys - 1970 * 12).astype("datetime64[M]")
    elif period == "Q":
        out = ((keys - 1970 * 4) * 3).astype("datetime64[M]")
    else:
        out = (keys - 1970).astype("datetime64[Y]")
    return out.astype("datetime64[us]")


def with_timestamp_period(frame: FrameT, column: str, period: Period, name: str) -> FrameT:
    """Add column ``name``: the period index of the datetime column ``column``.

    Day boundaries are the wall-clock midnights of :func:`crmanalytics._frames.epoch_day`.

    Examples
    --------
    >>> import pandas as pd
    >>> import narwhals.stable.v2 as nw
    >>> from crmanalytics._periods import with_timestamp_period
    >>> f = nw.from_native(pd.DataFrame({"t": pd.to_datetime(["2024-01-31 23:59"])}))
    >>> with_timestamp_period(f, "t", "M", "m")["m"].to_list()
    [24288]
    """
    day = f"_{name}_day"
    out = frame.with_columns(epoch_day(column, frame).alias(day))
    return with_period(out, day, period, name).drop(day)


def is_partial(index: int, period: Period, first_day: int, last_day: int) -> bool:
    """Tell whether the data cover period ``index`` only in part.

    ``first_day`` and ``last_day`` (inclusive epoch days) are the span the data
    cover; a period that starts before it or ends after it is partial, and its totals
    must not be read as a drop.

    Examples
    --------
    >>> from crmanalytics._periods import is_partial, period_start
    >>> feb = 24289
    >>> is_partial(feb, "M", period_start(feb, "M"), period_start(feb, "M") + 27)
    True
    >>> is_partial(feb, "M", period_start(feb, "M"), period_start(feb, "M") + 28)
    False
    """
    return period_start(index, period) < first_day or period_end(index, period) - 1 > last_day
