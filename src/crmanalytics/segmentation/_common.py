"""Helpers shared by the segmentation functions (internal).

Validation at the boundary goes through :func:`validated_transactions` and
:func:`validated_customers` (the :mod:`crmanalytics.schema` validators).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import narwhals.stable.v2 as nw

from crmanalytics._frames import AnyFrame, from_native
from crmanalytics.errors import Problem, SchemaError
from crmanalytics.schema import validate_customers, validate_transactions

__all__ = [
    "mid_rank_position",
    "require",
    "twice_mid_rank",
    "validated_customers",
    "validated_transactions",
]

_NUMERIC = (
    nw.Int8,
    nw.Int16,
    nw.Int32,
    nw.Int64,
    nw.UInt8,
    nw.UInt16,
    nw.UInt32,
    nw.UInt64,
    nw.Float32,
    nw.Float64,
)


def require(
    frame: AnyFrame,
    table: str,
    columns: Iterable[str],
    *,
    numeric: Iterable[str] = (),
    fix: str,
) -> None:
    """Raise :class:`SchemaError` for missing (or non-numeric) columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import from_native
    >>> from crmanalytics.segmentation._common import require
    >>> require(from_native(pd.DataFrame({"a": [1]})), "t", ["a"], numeric=["a"], fix="")
    """
    schema = frame.collect_schema()
    problems = [
        Problem(name, "is required but missing", 0, (), fix)
        for name in columns
        if name not in schema
    ]
    problems += [
        Problem(name, f"must be numeric, got {schema[name]}", 0, (), fix)
        for name in numeric
        if name in schema and not isinstance(schema[name], _NUMERIC)
    ]
    if problems:
        raise SchemaError(table, problems)


def validated_transactions(native: Any) -> AnyFrame:
    """Canonical transactions as a narwhals frame (validation at the boundary).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.segmentation._common import validated_transactions
    >>> tx = pd.DataFrame(
    ...     {"customer_id": [1], "timestamp": pd.to_datetime(["2024-01-01"]), "amount": [1.0]}
    ... )
    >>> validated_transactions(tx).columns
    ['customer_id', 'timestamp', 'amount']
    """
    return from_native(validate_transactions(native))


def validated_customers(native: Any) -> AnyFrame:
    """Canonical customers as a narwhals frame (validation at the boundary).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.segmentation._common import validated_customers
    >>> validated_customers(pd.DataFrame({"customer_id": [1, 2]})).columns
    ['customer_id']
    """
    return from_native(validate_customers(native))


def twice_mid_rank(column: str, *, descending: bool = False) -> nw.Expr:
    """Twice the average (mid) rank of each value, an exact integer; ties share it.

    Computed as ``rank("min") + rank("max")``, which every backend supports.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import from_native
    >>> from crmanalytics.segmentation._common import twice_mid_rank
    >>> f = from_native(pd.DataFrame({"x": [5, 1, 5]}))
    >>> f.select(twice_mid_rank("x"))["x"].to_list()
    [5, 2, 5]
    """
    col = nw.col(column)
    return (
        col.rank(method="min", descending=descending)
        + col.rank(method="max", descending=descending)
    ).cast(nw.Int64)


def mid_rank_position(column: str, *, descending: bool = False) -> nw.Expr:
    """Mid-rank position in ``[0, 1)``: share below plus half the share tied.

    ``(rank_min + rank_max - 1) / (2 n)`` with ``n`` the non-null count. Equal
    values always share one position, and the position only grows with the value.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import from_native
    >>> from crmanalytics.segmentation._common import mid_rank_position
    >>> f = from_native(pd.DataFrame({"x": [1, 2, 2, 3]}))
    >>> f.select(mid_rank_position("x"))["x"].to_list()
    [0.125, 0.5, 0.5, 0.875]
    """
    count = nw.col(column).count()
    return (twice_mid_rank(column, descending=descending) - 1) / (count * 2)


def is_int(value: object) -> bool:
    """Tell whether a value is an integer (and not a bool).

    Examples
    --------
    >>> from crmanalytics.segmentation._common import is_int
    >>> is_int(3), is_int(True), is_int(3.0)
    (True, False, False)
    """
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """Tell whether a value is a real number (and not a bool).

    Examples
    --------
    >>> from crmanalytics.segmentation._common import is_number
    >>> is_number(1.5), is_number("1"), is_number(False)
    (True, False, False)
    """
    return isinstance(value, int | float) and not isinstance(value, bool)
