"""Small argument and column checks shared by several packages (internal).

Argument checks raise ``TypeError``/``ValueError`` naming the parameter; the column
check raises the library's :class:`~crmanalytics.errors.SchemaError` naming the column
and the rule, so no other library's error escapes for a wrongly typed column.

Examples
--------
>>> from crmanalytics._checks import check_fraction, is_int, whole_days
>>> check_fraction(0.25, "min_support"), is_int(3), whole_days(7, "max_gap")
(0.25, True, 7)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd

from crmanalytics._frames import AnyFrame, from_native, renamed

__all__ = [
    "check_fraction",
    "is_int",
    "is_number",
    "renamed_numeric",
    "require_numeric",
    "whole_days",
]


def is_int(value: object) -> bool:
    """Tell whether a value is an integer (and not a bool).

    Examples
    --------
    >>> from crmanalytics._checks import is_int
    >>> is_int(3), is_int(True), is_int(3.0)
    (True, False, False)
    """
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def is_number(value: object) -> bool:
    """Tell whether a value is a real number (and not a bool).

    Examples
    --------
    >>> from crmanalytics._checks import is_number
    >>> is_number(1.5), is_number("1"), is_number(False)
    (True, False, False)
    """
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def whole_days(value: Any, name: str, *, minimum: int = 0) -> int:
    """Convert a gap (Timedelta, timedelta or integer number of days) to whole days.

    ``minimum`` is the smallest number of days allowed: 0 for gaps, 1 for horizons and
    windows, which must be positive.

    Raises
    ------
    TypeError
        For anything else than an integer or a time span.
    ValueError
        For a gap below ``minimum`` or one that is not a whole number of days.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._checks import whole_days
    >>> whole_days(pd.Timedelta(days=3), "min_gap"), whole_days(0, "min_gap")
    (3, 0)
    >>> whole_days(pd.Timedelta(weeks=2), "horizon", minimum=1)
    14
    """
    kind = (
        "a number of days or a timedelta"
        if minimum > 0
        else "a pandas.Timedelta or a number of days"
    )
    if isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be {kind}, got {value!r}")
    if isinstance(value, int | np.integer):
        days = int(value)
    elif isinstance(value, pd.Timedelta | dt.timedelta | np.timedelta64):
        delta = pd.Timedelta(value)
        if delta % pd.Timedelta(days=1) != pd.Timedelta(0):
            raise ValueError(
                f"{name} must be a {'positive ' if minimum > 0 else ''}whole number of days "
                f"(timestamps are compared at day resolution), got {delta}"
            )
        days = int(delta.days)
    else:
        raise TypeError(f"{name} must be {kind}, got {value!r}")
    if days < minimum:
        if minimum == 0:
            raise ValueError(f"{name} must not be negative, got {days} days")
        raise ValueError(f"{name} must be a positive whole number of days, got {value!r}")
    return days


def check_fraction(value: float, name: str, *, low: float = 0.0, high: float = 1.0) -> float:
    """Check ``low <= value <= high`` (a finite number) and return it as float.

    Raises
    ------
    TypeError
        When the value is not a number.
    ValueError
        When it is not finite or outside the range.

    Examples
    --------
    >>> from crmanalytics._checks import check_fraction
    >>> check_fraction(1, "share")
    1.0
    """
    if isinstance(value, bool | np.bool_ | str | bytes):
        raise TypeError(f"{name} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a number, got {value!r}") from exc
    if not np.isfinite(number) or not low <= number <= high:
        raise ValueError(f"{name} must lie in [{low:g}, {high:g}], got {value!r}")
    return number


def renamed_numeric(
    frame: Any,
    *,
    columns: Mapping[str, str] | None,
    needs: Sequence[str],
    numeric: Sequence[str],
    table: str,
    purpose: str,
    fix: str,
) -> AnyFrame:
    """:func:`crmanalytics._frames.renamed`, then :func:`require_numeric` on ``numeric``.

    Missing and non-numeric columns are reported together in one
    :class:`~crmanalytics.errors.SchemaError`.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._checks import renamed_numeric
    >>> raw = pd.DataFrame({"spend": ["a"]})
    >>> renamed_numeric(raw, columns=None, needs=["x", "spend"], numeric=["x", "spend"],
    ...                 table="values", purpose="f", fix="...")
    Traceback (most recent call last):
    ...
    crmanalytics.errors.SchemaError: values: 2 problems found
      - column 'x': is required by f but missing. Fix: ...
      - column 'spend': must be numeric, got String. Fix: ...
    """
    from crmanalytics.errors import SchemaError

    try:
        result = renamed(frame, columns=columns, needs=needs, table=table, purpose=purpose)
    except SchemaError as exc:
        wrapped = from_native(frame)
        sources = {name: (columns or {}).get(name, name) for name in numeric}
        present = {
            name: source
            for name, source in sources.items()
            if source in wrapped.columns and (source == name or name not in wrapped.columns)
        }
        try:
            require_numeric(
                wrapped.rename({s: n for n, s in present.items() if s != n}),
                list(present),
                table=table,
                fix=fix,
            )
        except SchemaError as more:
            raise SchemaError(table, [*exc.problems, *more.problems]) from None
        raise
    require_numeric(result, numeric, table=table, fix=fix)
    return result


def require_numeric(frame: AnyFrame, names: Iterable[str], *, table: str, fix: str) -> None:
    """Raise a :class:`~crmanalytics.errors.SchemaError` for columns that are not numeric.

    Parameters
    ----------
    frame : narwhals frame
        With every column in ``names`` present (as :func:`crmanalytics._frames.renamed`
        guarantees). An empty eager frame passes.
    names : iterable of str
        The columns that must hold numbers.
    table : str
        What the frame is, for the message.
    fix : str
        The advice; it must name only parameters the calling function has.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import from_native
    >>> from crmanalytics._checks import require_numeric
    >>> require_numeric(from_native(pd.DataFrame({"a": ["x"]})), ["a"], table="t", fix="...")
    Traceback (most recent call last):
    ...
    crmanalytics.errors.SchemaError: t: 1 problem found
      - column 'a': must be numeric, got String. Fix: ...
    """
    from crmanalytics.errors import Problem, SchemaError

    if isinstance(frame, nw.DataFrame) and len(frame) == 0:
        return  # an empty column's type says nothing (pandas makes it text)
    schema = frame.collect_schema()
    problems = [
        Problem(name, f"must be numeric, got {schema[name]}", 0, (), fix)
        for name in names
        if not schema[name].is_numeric()
    ]
    if problems:
        raise SchemaError(table, problems)
