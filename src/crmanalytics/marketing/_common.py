"""Argument readers shared by the marketing functions (internal).

Examples
--------
>>> from crmanalytics.marketing._common import read_window
>>> read_window("30D")
Timedelta('30 days 00:00:00')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd

from crmanalytics._frames import AnyFrame, collect, from_native, validated

__all__ = ["campaign_tables", "read_costs", "read_window", "same_engine"]


def read_window(window: object, name: str = "window") -> pd.Timedelta:
    """A positive time span from a timedelta, a pandas offset string or a number of days.

    Raises
    ------
    TypeError, ValueError
        For anything else, or a span that is not positive.

    Examples
    --------
    >>> import datetime as dt
    >>> from crmanalytics.marketing._common import read_window
    >>> read_window(7), read_window(dt.timedelta(hours=12))
    (Timedelta('7 days 00:00:00'), Timedelta('0 days 12:00:00'))
    """
    if isinstance(window, bool):
        raise TypeError(f"{name} must be a timedelta, a string like '30D' or days, got {window!r}")
    if isinstance(window, dt.timedelta | np.timedelta64):
        span = pd.Timedelta(window)
    elif isinstance(window, int | float | np.integer | np.floating):
        if not np.isfinite(window):
            raise ValueError(f"{name} must be finite, got {window!r}")
        span = pd.Timedelta(days=float(window))
    elif isinstance(window, str):
        try:
            span = pd.Timedelta(window)
        except ValueError as exc:
            raise ValueError(f"{name}: cannot read {window!r} as a time span ('30D')") from exc
    else:
        raise TypeError(f"{name} must be a timedelta, a string like '30D' or days, got {window!r}")
    if not span > pd.Timedelta(0):  # NaT compares False too
        raise ValueError(f"{name} must be a positive time span, got {window!r}")
    return span


def same_engine(first: AnyFrame, second: AnyFrame, names: tuple[str, str]) -> None:
    """Raise a TypeError unless two frames live in the same engine (so they can join).

    Examples
    --------
    >>> import pandas as pd
    >>> import polars as pl
    >>> from crmanalytics._frames import from_native
    >>> from crmanalytics.marketing._common import same_engine
    >>> same_engine(from_native(pd.DataFrame({"a": [1]})),
    ...             from_native(pl.DataFrame({"a": [1]})), ("interactions", "transactions"))
    Traceback (most recent call last):
    ...
    TypeError: interactions and transactions must be the same kind of frame ...
    """
    lazy = (isinstance(first, nw.LazyFrame), isinstance(second, nw.LazyFrame))
    if (first.implementation, lazy[0]) != (second.implementation, lazy[1]):
        raise TypeError(
            f"{names[0]} and {names[1]} must be the same kind of frame (got "
            f"{first.implementation}{' lazy' * lazy[0]} and "
            f"{second.implementation}{' lazy' * lazy[1]}); convert one (for DuckDB, use one "
            "connection)"
        )


def campaign_tables(
    interactions: Any, transactions: Any, columns: Mapping[str, str] | None, purpose: str
) -> tuple[Any, Any]:
    """The one way in for the campaign functions: both tables, validated.

    Interactions (with ``campaign_id``) and transactions are validated with the same
    mapping and checked to live in one engine.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.marketing._common import campaign_tables
    >>> i = pd.DataFrame({"customer_id": [1], "timestamp": ["2024-01-01"],
    ...                   "kind": ["campaign_sent"], "campaign_id": ["A"]})
    >>> t = pd.DataFrame({"customer_id": [1], "timestamp": ["2024-01-02"], "amount": [5]})
    >>> [f.columns[:2] for f in campaign_tables(i, t, None, "example")]
    [['customer_id', 'timestamp'], ['customer_id', 'timestamp']]
    """
    inter = validated(
        interactions, "interactions", columns=columns, needs=["campaign_id"], purpose=purpose
    )
    tx = validated(transactions, "transactions", columns=columns, purpose=purpose)
    same_engine(inter, tx, ("interactions", "transactions"))
    return inter, tx


def read_costs(
    costs: object, key: str, *, columns: Mapping[str, str] | None = None
) -> dict[Any, float]:
    """Costs per key from a mapping or from a frame with ``key`` and ``cost`` columns.

    Keys repeated in a frame are summed.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.marketing._common import read_costs
    >>> read_costs({"C1": 100}, "campaign_id")
    {'C1': 100.0}
    >>> read_costs(pd.DataFrame({"campaign_id": ["C1", "C1"], "cost": [1.0, 2.0]}),
    ...            "campaign_id")
    {'C1': 3.0}
    """
    if isinstance(costs, Mapping):
        out = {k: float(v) for k, v in costs.items()}
    else:
        try:
            frame = collect(from_native(costs))
        except TypeError as exc:
            raise TypeError(
                f"costs must be a mapping of {key} to cost or a frame with columns "
                f"{key!r} and 'cost', got {type(costs).__name__}"
            ) from exc
        name = (columns or {}).get(key, key)
        missing = [c for c in (name, "cost") if c not in frame.columns]
        if missing:
            raise ValueError(f"costs frame needs the columns {missing}; it has {frame.columns}")
        out = {}
        for k, v in zip(frame[name].to_list(), frame["cost"].to_list(), strict=True):
            out[k] = out.get(k, 0.0) + float(v)
    bad = {k: v for k, v in out.items() if not np.isfinite(v) or v < 0}
    if bad:
        raise ValueError(f"costs must be finite and non-negative, got {bad}")
    return out
