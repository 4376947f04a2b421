"""Boundary helpers shared by the churn functions (internal).

Validation goes through :func:`validated` so that the whole package switches to
``crmanalytics.schema`` in one place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd

from crmanalytics._frames import AnyFrame, DateLike, from_native, result_like, to_day_number
from crmanalytics.schema import validate_interactions, validate_transactions

__all__ = ["check_days", "native_result", "small_frame", "validated"]


def validated(native: Any, table: Literal["transactions", "interactions"]) -> Any:
    """Validate a canonical table at the boundary and wrap it in narwhals.

    Returns a narwhals frame (eager or lazy), typed ``Any`` so that eager and lazy
    frames can be joined without overload noise.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.churn._common import validated
    >>> t = pd.DataFrame({"customer_id": [1], "timestamp": ["2024-01-01"], "amount": [9.5]})
    >>> validated(t, "transactions").columns
    ['customer_id', 'timestamp', 'amount']
    """
    if table == "transactions":
        return from_native(validate_transactions(native))
    return from_native(validate_interactions(native))


def check_days(value: int | dt.timedelta | pd.Timedelta, name: str) -> int:
    """Read a positive whole number of days (an int or a timedelta).

    Examples
    --------
    >>> import datetime as dt
    >>> from crmanalytics.churn._common import check_days
    >>> check_days(dt.timedelta(weeks=2), "horizon")
    14
    """
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number of days or a timedelta, got {value!r}")
    if isinstance(value, dt.timedelta):  # pd.Timedelta is a subclass
        days = value / dt.timedelta(days=1)
    elif isinstance(value, int | np.integer):
        days = float(value)
    else:
        raise TypeError(f"{name} must be a number of days or a timedelta, got {value!r}")
    if days != int(days) or days < 1:
        raise ValueError(f"{name} must be a positive whole number of days, got {value!r}")
    return int(days)


def cutoff_day(cutoff: DateLike) -> int:
    """Epoch day of ``cutoff``, with an error message naming the argument.

    Examples
    --------
    >>> from crmanalytics.churn._common import cutoff_day
    >>> cutoff_day("1970-01-03")
    2
    """
    try:
        return to_day_number(cutoff)
    except ValueError as exc:
        raise ValueError(f"cutoff: {exc}; pass a date such as '2024-06-30'") from exc


def small_frame(data: Mapping[str, Sequence[Any] | np.ndarray[Any, Any]], like: AnyFrame) -> Any:
    """Build a small result in the backend of ``like`` and return it as a native frame.

    Lazy in gives lazy out (Polars lazy, or a DuckDB relation for DuckDB).

    Examples
    --------
    >>> import polars as pl
    >>> from crmanalytics._frames import from_native
    >>> from crmanalytics.churn._common import small_frame
    >>> type(small_frame({"a": [1]}, from_native(pl.LazyFrame({"b": [2]})))).__name__
    'LazyFrame'
    """
    impl = like.implementation
    if isinstance(like, nw.LazyFrame):
        eager = nw.from_dict(dict(data), backend="polars" if impl.is_polars() else "pandas")
        return result_like(eager, like)
    return nw.to_native(nw.from_dict(dict(data), backend=impl))


def native_result(frame: Any) -> Any:
    """Native frame of a computed result; a pandas result gets a fresh 0..n-1 index.

    Examples
    --------
    >>> import pandas as pd
    >>> import narwhals.stable.v2 as nw
    >>> from crmanalytics.churn._common import native_result
    >>> f = nw.from_native(pd.DataFrame({"a": [2, 1]})).sort("a")
    >>> native_result(f).index.tolist()
    [0, 1]
    """
    if isinstance(frame, nw.DataFrame):
        frame = nw.maybe_reset_index(frame)
    return nw.to_native(frame)
