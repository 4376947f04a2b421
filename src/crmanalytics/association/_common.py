"""Boundary helpers shared by the association analyses (internal)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd

from crmanalytics._frames import AnyFrame, from_native, result_like
from crmanalytics.schema import require_columns, validate_transactions

__all__ = ["check_fraction", "has_columns", "native_result", "validated", "whole_days"]


def validated(native: Any, needed: Sequence[str], *, purpose: str) -> AnyFrame:
    """Validate the caller's transactions and check the extra columns an analysis reads.

    The frame goes through :func:`crmanalytics.schema.validate_transactions` (canonical
    names and types, every problem reported at once); ``needed`` are the further columns
    (such as ``product_id``) that ``purpose`` cannot do without.
    """
    require_columns(native, "transactions", needed, purpose=purpose)
    return from_native(validate_transactions(native))


def has_columns(native: Any, table: str, needed: Sequence[str], *, purpose: str) -> AnyFrame:
    """Wrap a frame that is not a canonical table, checking the columns it must have."""
    require_columns(native, table, needed, purpose=purpose)
    return from_native(native)


def whole_days(value: Any, name: str) -> int:
    """Convert a gap (Timedelta, timedelta or integer number of days) to whole days."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a pandas.Timedelta or a number of days, got {value!r}")
    if isinstance(value, int | np.integer):
        days = int(value)
    elif isinstance(value, pd.Timedelta | dt.timedelta | np.timedelta64):
        delta = pd.Timedelta(value)
        if delta % pd.Timedelta(days=1) != pd.Timedelta(0):
            raise ValueError(
                f"{name} must be a whole number of days (timestamps are compared at day "
                f"resolution), got {delta}"
            )
        days = int(delta.days)
    else:
        raise TypeError(f"{name} must be a pandas.Timedelta or a number of days, got {value!r}")
    if days < 0:
        raise ValueError(f"{name} must not be negative, got {days} days")
    return days


def check_fraction(value: float, name: str, *, low: float = 0.0, high: float = 1.0) -> float:
    """Check ``low <= value <= high`` (a finite number) and return it as float."""
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a number, got {value!r}") from exc
    if not np.isfinite(number) or not low <= number <= high:
        raise ValueError(f"{name} must lie in [{low:g}, {high:g}], got {value!r}")
    return number


def native_result(columns: Mapping[str, Any], eager: nw.DataFrame[Any], like: AnyFrame) -> Any:
    """Build a result frame in the caller's backend.

    ``columns`` holds narwhals Series (which keep their dtype) or numpy arrays; ``eager``
    is a collected frame of the caller's engine, giving the eager backend; a lazy input
    gets a lazy result of the same engine.
    """
    return result_like(nw.from_dict(dict(columns), backend=eager.implementation), like)
