"""Boundary helpers shared by the association analyses (internal)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd

from crmanalytics._frames import AnyFrame, from_native, is_lazy, to_native
from crmanalytics.errors import Problem, SchemaError

__all__ = ["check_fraction", "native_result", "validated", "whole_days"]


def validated(native: Any, table: str, required: Sequence[str]) -> AnyFrame:
    """Wrap the caller's frame and check the columns this analysis reads.

    This is the one place that will call :func:`crmanalytics.schema.validate_transactions`
    once it exists; until then it checks that the needed columns are present and that
    ``timestamp`` (when needed) holds dates.
    """
    frame = from_native(native)
    schema = frame.collect_schema()
    problems = [
        Problem(
            name,
            "is required but missing",
            0,
            fix=f"add a {name!r} column or pass the name of your column",
        )
        for name in required
        if name not in schema
    ]
    if "timestamp" in required and "timestamp" in schema:
        dtype = schema["timestamp"]
        if not isinstance(dtype, nw.Datetime | nw.Date):
            problems.append(
                Problem(
                    "timestamp",
                    f"must be a datetime column, got {dtype}",
                    0,
                    fix="convert it, e.g. with pandas.to_datetime",
                )
            )
    if problems:
        raise SchemaError(table, problems)
    return frame


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
    out = nw.from_dict(dict(columns), backend=eager.implementation)
    if is_lazy(like):
        return to_native(out.lazy(backend=like.implementation))
    return to_native(out)
