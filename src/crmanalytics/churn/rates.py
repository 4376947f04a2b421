"""Inactivity-based churn rates by calendar period, optionally by segment.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.churn import churn_rate
>>> t = pd.DataFrame({
...     "customer_id": ["a", "a", "b"],
...     "timestamp": pd.to_datetime(["2024-01-10", "2024-03-05", "2024-05-31"]),
...     "amount": [10.0, 12.0, 8.0],
... })
>>> churn_rate(t, inactivity=30)
      period  active_start  churned  churn_rate
0 2024-02-01             1        1         1.0
1 2024-03-01             0        0         NaN
2 2024-04-01             1        1         1.0
3 2024-05-01             0        0         NaN
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._checks import whole_days
from crmanalytics._frames import (
    DateLike,
    collect,
    day_to_timestamp,
    epoch_day,
    to_caller,
    validated,
)
from crmanalytics._periods import (
    Period,
    check_period,
    period_of_day,
    period_start,
    with_period,
)

__all__ = ["churn_rate"]


def churn_rate(
    transactions: IntoFrameT,
    *,
    period: Period = "M",
    inactivity: int | dt.timedelta = 90,
    by: str | None = None,
    observation_end: DateLike | None = None,
    columns: Mapping[str, str] | None = None,
) -> IntoFrameT:
    """Churn rate per calendar period, with churn defined by a run of inactivity.

    **Definition.** A customer is *active* on day t when they made a transaction in the
    ``inactivity`` days ending on t, i.e. in [t - inactivity + 1, t]. For each period
    P (a day, ISO week, month, quarter or year):

    * ``active_start``: customers active on the last day before P;
    * ``churned``: those of them who are no longer active on the last day of P;
    * ``churn_rate = churned / active_start`` (null when nobody was active).

    Customers acquired during P are not in its base, and a customer who lapses and
    comes back within P is not counted as churned: the rate compares the status at
    the two period boundaries, as a subscription churn rate does.

    **Worked example** (``inactivity=30``, monthly, data observed to 2024-05-31): a
    customer buying on 2024-01-10 and 2024-03-05 is active on Jan 31 (Jan 10 lies in
    [Jan 2, Jan 31]) but not on Feb 29, so churns in February; on Mar 31 they are
    active again (Mar 5 lies in [Mar 2, Mar 31]), and churn again in April. They are
    in the base of February and April only.

    Parameters
    ----------
    transactions : dataframe
        Canonical transactions in any supported backend. Every row counts as activity,
        returns included; filter them out first to count purchases only.
    period : {"D", "W", "M", "Q", "Y"}, default "M"
        Day, ISO week (Monday to Sunday), calendar month, quarter or year.
    inactivity : int or timedelta, default 90
        Days without a transaction after which a customer counts as churned.
    by : str, optional
        A column of ``transactions`` (a segment such as ``"channel"`` or a joined
        ``"region"``). Rates are then computed per value, with activity counted within
        that value only: a customer who stops buying online but keeps buying in store
        churns from the ``"online"`` segment. Null segment values form their own group.
    observation_end : date-like, optional
        Last day the data covers; defaults to the date of the last transaction. Only
        periods that end on or before it are reported.
    columns : mapping of str to str, optional
        Canonical name to your column name, e.g. ``{"customer_id": "CustomerID"}``.

    Returns
    -------
    dataframe
        The caller's frame type (lazy stays lazy), one row per (segment and) period
        from the period after the first transaction to the last complete period:
        [``by``], ``period`` (datetime, period start), ``active_start`` and
        ``churned`` (integers), ``churn_rate`` (float, null when ``active_start`` is
        0). Sorted by segment and period.

    Notes
    -----
    Activity intervals are built and merged per customer in the caller's engine; only
    the per-period counts of interval starts and ends are collected (a small table).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.churn import churn_rate
    >>> t = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 2, 3],
    ...     "timestamp": pd.to_datetime(
    ...         ["2024-01-05", "2024-02-03", "2024-01-20", "2024-03-28", "2024-03-31"]),
    ...     "amount": [1.0, 1.0, 1.0, 1.0, 1.0],
    ... })
    >>> churn_rate(t, period="M", inactivity=45)
          period  active_start  churned  churn_rate
    0 2024-02-01             2        0         0.0
    1 2024-03-01             2        1         0.5
    """
    period = check_period(period)
    span = whole_days(inactivity, "inactivity", minimum=1)
    if by is not None and by in ("customer_id", "timestamp"):
        raise ValueError(f"by must name a segment column of transactions, got {by!r}")
    frame = validated(
        transactions,
        "transactions",
        columns=columns,
        needs=[] if by is None else [by],
        purpose="churn_rate" if by is None else "churn_rate(by=...)",
    )
    keys = ["customer_id"] if by is None else [by, "customer_id"]
    group = keys[:-1]

    start_counts, end_counts, lo, hi = _interval_counts(frame, keys, period, span)

    if lo is None or bool(np.isnan(lo)):  # no transactions (null, or NaN from pandas)
        return to_caller(_empty(by), transactions)
    end_day = hi if observation_end is None else _day(observation_end)
    first = period_of_day(int(lo), period) + 1
    last = period_of_day(int(end_day) + 1, period) - 1  # last period ending by end_day
    periods = np.arange(first, max(last, first - 1) + 1, dtype=np.int64)

    segments = _segments(start_counts, end_counts, group)
    out: dict[str, list[Any]] = {name: [] for name in [*group, "period"]}
    active_col: list[int] = []
    churned_col: list[int] = []
    for segment in segments:
        s_j, s_n = _counts(start_counts, group, segment)
        e_j, e_n = _counts(end_counts, group, segment)
        # active at the end of period j: intervals started at or before j minus those
        # ended before j.
        before = periods - 1
        active = _cum(s_j, s_n, before, inclusive=True) - _cum(e_j, e_n, before, inclusive=False)
        churned = _cum(e_j, e_n, before, inclusive=True) - _cum(e_j, e_n, before, inclusive=False)
        for name, value in zip(group, segment, strict=True):
            out[name].extend([value] * periods.size)
        out["period"].extend(day_to_timestamp(period_start(int(j), period)) for j in periods)
        active_col.extend(active.tolist())
        churned_col.extend(churned.tolist())
    data: dict[str, Any] = dict(out)
    data["period"] = np.array(out["period"], dtype="datetime64[ns]")
    data["active_start"] = np.array(active_col, dtype=np.int64)
    data["churned"] = np.array(churned_col, dtype=np.int64)
    data["churn_rate"] = [
        c / a if a > 0 else None for a, c in zip(active_col, churned_col, strict=True)
    ]
    return to_caller(data, transactions)


def _interval_counts(
    frame: Any, keys: list[str], period: Period, span: int
) -> tuple[nw.DataFrame[Any], nw.DataFrame[Any], Any, Any]:
    """Per-period counts of merged activity-interval starts and ends, and the day range."""
    group = keys[:-1]
    day = epoch_day("timestamp", frame)
    days = frame.select(*[nw.col(k) for k in keys], day.alias("_day")).unique()
    # Purchase on day d keeps the customer active at the ends of periods a..b:
    # a = P(d), b = P(d + inactivity) - 1 (empty when the customer lapses within P(d)).
    days = with_period(days, "_day", period, "_a")
    days = days.with_columns((nw.col("_day") + span).alias("_lapse"))
    days = with_period(days, "_lapse", period, "_b1").with_columns((nw.col("_b1") - 1).alias("_b"))
    bounds = collect(
        days.select(nw.col("_day").min().alias("lo"), nw.col("_day").max().alias("hi"))
    )
    lo, hi = bounds["lo"].to_list()[0], bounds["hi"].to_list()[0]

    intervals = days.filter(nw.col("_a") <= nw.col("_b")).select(*keys, "_day", "_a", "_b")
    order = [*keys, "_day"]
    prev = [nw.col(k).shift(1).over(order_by=order).alias(f"_prev_{i}") for i, k in enumerate(keys)]
    nxt = [nw.col(k).shift(-1).over(order_by=order).alias(f"_next_{i}") for i, k in enumerate(keys)]
    intervals = intervals.with_columns(
        *prev,
        *nxt,
        nw.col("_b").shift(1).over(order_by=order).alias("_prev_b"),
        nw.col("_a").shift(-1).over(order_by=order).alias("_next_a"),
    )
    same_prev = _same(keys, "_prev")
    same_next = _same(keys, "_next")
    # a and b never decrease along a customer's purchases, so intervals merge when the
    # next one starts at most one period after the previous one ends.
    flagged = intervals.with_columns(
        (~same_prev | (nw.col("_a") > nw.col("_prev_b") + 1)).alias("_starts"),
        (~same_next | (nw.col("_next_a") > nw.col("_b") + 1)).alias("_ends"),
    )
    starts = (
        flagged.filter(nw.col("_starts"))
        .group_by(*group, "_a")
        .agg(nw.len().alias("_n"))
        .rename({"_a": "_j"})
    )
    ends = (
        flagged.filter(nw.col("_ends"))
        .group_by(*group, "_b")
        .agg(nw.len().alias("_n"))
        .rename({"_b": "_j"})
    )
    start_counts = collect(starts)
    end_counts = collect(ends)

    return start_counts, end_counts, lo, hi


def _same(keys: Sequence[str], prefix: str) -> nw.Expr:
    """Row's keys equal the neighbour's (segments compared null-safely)."""
    expr = nw.lit(value=True)
    for i, k in enumerate(keys):
        other = nw.col(f"{prefix}_{i}")
        eq = (other == nw.col(k)).fill_null(value=False)
        if k != "customer_id":  # customer_id is never null after validation
            eq = eq | (other.is_null() & nw.col(k).is_null())
        expr = expr & eq
    return expr


def _day(value: DateLike) -> int:
    from crmanalytics._frames import to_day_number

    try:
        return to_day_number(value)
    except ValueError as exc:
        raise ValueError(f"observation_end: {exc}; pass a date such as '2024-06-30'") from exc


def _segments(
    starts: nw.DataFrame[Any], ends: nw.DataFrame[Any], group: Sequence[str]
) -> list[tuple[Any, ...]]:
    if not group:
        return [()]
    seen: set[tuple[Any, ...]] = set()
    for table in (starts, ends):
        rows = zip(*(table[g].to_list() for g in group), strict=True)
        seen.update(rows)
    return sorted(seen, key=lambda row: tuple((v is None, str(v) if v is None else v) for v in row))


def _counts(
    table: nw.DataFrame[Any], group: Sequence[str], segment: tuple[Any, ...]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    j = np.asarray(table["_j"].to_list(), dtype=np.int64)
    n = np.asarray(table["_n"].to_list(), dtype=np.int64)
    mask = np.ones(j.size, dtype=bool)
    for name, value in zip(group, segment, strict=True):
        col = table[name].to_list()
        mask &= np.array([(v is None and value is None) or v == value for v in col], dtype=bool)
    order = np.argsort(j[mask], kind="stable")
    return j[mask][order], n[mask][order]


def _cum(
    j: np.ndarray[Any, Any], n: np.ndarray[Any, Any], at: np.ndarray[Any, Any], *, inclusive: bool
) -> np.ndarray[Any, Any]:
    """Sum of n over j <= at (inclusive) or j < at."""
    total = np.concatenate([[0], np.cumsum(n)])
    index = np.searchsorted(j, at, side="right") if inclusive else np.searchsorted(j, at)
    return total[index]


def _empty(by: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {} if by is None else {by: []}
    data["period"] = np.array([], dtype="datetime64[ns]")
    data["active_start"] = np.array([], dtype=np.int64)
    data["churned"] = np.array([], dtype=np.int64)
    data["churn_rate"] = np.array([], dtype=np.float64)
    return data
