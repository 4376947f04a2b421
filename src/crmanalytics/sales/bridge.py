"""Revenue bridge: each period's revenue from new, retained and reactivated customers.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.sales import revenue_bridge
>>> t = pd.DataFrame({
...     "customer_id": [1, 2, 1, 3, 2],
...     "timestamp": pd.to_datetime(["2024-01-05", "2024-01-09", "2024-02-01",
...                                  "2024-02-11", "2024-03-04"]),
...     "amount": [10.0, 20.0, 15.0, 5.0, 25.0],
... })
>>> revenue_bridge(t)[["period", "revenue", "new", "retained", "reactivated", "lost"]]
      period  revenue   new  retained  reactivated  lost
0 2024-01-01     30.0  30.0       0.0          0.0   0.0
1 2024-02-01     20.0   5.0      15.0          0.0  20.0
2 2024-03-01     25.0   0.0       0.0         25.0  20.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._frames import AnyFrame, collect, to_caller, validated
from crmanalytics._periods import Period, check_period
from crmanalytics.sales._common import (
    check_by,
    complete_grid,
    empty_table,
    lagged,
    neighbours,
    same_keys,
    small_result,
    span,
    with_day_and_period,
)

__all__ = ["revenue_bridge"]

_CATEGORIES = ("new", "retained", "reactivated")
_COUNTED = (*_CATEGORIES, "lost")


def revenue_bridge(
    transactions: IntoFrameT,
    *,
    period: Period = "M",
    by: str | Sequence[str] | None = None,
    columns: Mapping[str, str] | None = None,
) -> IntoFrameT:
    """Split each period's revenue by where its customers come from, and what was lost.

    A customer is *active* in a period when they have any transaction row in it
    (returns included, so every row's amount lands in exactly one category). Each
    active customer's net revenue in period P goes to

    * ``new``: P is the customer's first period with a transaction;
    * ``retained``: the customer was active in the period before P too;
    * ``reactivated``: the customer was active before, but not in the period before P;

    so ``new + retained + reactivated == revenue`` exactly. ``lost`` is the revenue of
    the previous period from customers active then but not in P. With it the change
    from the previous period reads as a waterfall::

        revenue = revenue_previous - lost + new + reactivated + retained_change

    where ``retained_change`` is what retained customers spent in P minus what they
    spent in the period before. The first period of the data has no history: all
    its customers are ``new``, ``lost`` is 0 and ``revenue_previous`` is null. With
    ``by``, a customer's history is read within their group (a customer who moves
    from the web to the store is new in the store).

    Parameters
    ----------
    transactions : dataframe
        Canonical transactions in any supported backend.
    period : {"D", "W", "M", "Q", "Y"}, default "M"
        Day, ISO week (Monday to Sunday), calendar month, quarter or year.
    by : str or sequence of str, optional
        Column(s) of ``transactions`` to split by; null values form their own group.
    columns : mapping of str to str, optional
        Canonical name to your column name, e.g. ``{"customer_id": "client"}``.

    Returns
    -------
    dataframe
        The caller's frame type (lazy stays lazy), one row per (group and) period
        from the first to the last period of the data (periods without sales are
        zeros), sorted: [``by``], ``period`` (datetime, period start),
        ``is_partial``, ``revenue``, ``new``, ``retained``, ``reactivated``,
        ``lost``, ``revenue_previous``, ``retained_change``, and the customer counts
        ``customers``, ``new_customers``, ``retained_customers``,
        ``reactivated_customers``, ``lost_customers``.

    Notes
    -----
    Per-customer period totals and their neighbours are computed in the caller's
    engine (window functions ordered by period); only the per-period sums are
    collected.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.sales import revenue_bridge
    >>> t = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "b", "c"],
    ...     "timestamp": ["2024-01-02", "2024-02-03", "2024-01-15", "2024-03-10",
    ...                   "2024-03-20"],
    ...     "amount": [10.0, 12.0, 5.0, 8.0, 4.0],
    ... })
    >>> b = revenue_bridge(t)
    >>> b[["period", "revenue", "new", "retained", "reactivated", "lost"]]
          period  revenue   new  retained  reactivated  lost
    0 2024-01-01     15.0  15.0       0.0          0.0   0.0
    1 2024-02-01     12.0   0.0      12.0          0.0   5.0
    2 2024-03-01     12.0   4.0       0.0          8.0  12.0
    >>> b[["new_customers", "retained_customers", "reactivated_customers"]].sum().tolist()
    [3, 1, 1]
    """
    period = check_period(period)
    frame = validated(transactions, "transactions", columns=columns, purpose="revenue_bridge")
    keys = check_by(frame, by, purpose="revenue_bridge")
    return to_caller(small_result(bridge_table(frame, period, keys)), transactions)


def bridge_table(frame: AnyFrame, period: Period, keys: Sequence[str]) -> pd.DataFrame:
    """The validated core of :func:`revenue_bridge` (a small pandas table).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import validated
    >>> from crmanalytics.sales.bridge import bridge_table
    >>> t = pd.DataFrame({"customer_id": [1, 1], "timestamp": ["2024-01-01", "2026-03-01"],
    ...                   "amount": [3.0, 4.0]})
    >>> table = bridge_table(validated(t, "transactions", purpose="example"), "Y", [])
    >>> table["reactivated"].tolist()
    [0.0, 0.0, 4.0]
    """
    frame = with_day_and_period(frame, period)
    covered = span(frame, period)
    names = [*keys, "period", "is_partial", "revenue", *_COUNTED, "revenue_previous"]
    names += ["retained_change", "customers"] + [f"{c}_customers" for c in _COUNTED]
    if covered is None:
        return empty_table(
            names, keys, integers=[n for n in names if n == "customers" or n.endswith("_customers")]
        )
    part = [*keys, "customer_id"]
    per_customer = frame.group_by(*part, "_p").agg(nw.col("amount").sum().alias("revenue"))
    # neighbours in (group, customer, period) order; a neighbour of another customer
    # or group is no neighbour (no partitioned windows: PyArrow lacks them)
    order = [*part, "_p"]
    per_customer = per_customer.with_columns(
        *neighbours(part, order, 1, "_b"),
        *neighbours(part, order, -1, "_a"),
        nw.col("_p").shift(1).over(order_by=order).alias("_before"),
        nw.col("_p").shift(-1).over(order_by=order).alias("_after"),
    )
    has_before = same_keys(part, "_b")
    is_new = ~has_before
    step_before = (nw.col("_p") - nw.col("_before")).fill_null(0) == 1
    kinds = {
        "new": is_new,
        "retained": has_before & step_before,
        "reactivated": has_before & ~step_before,
    }
    flags = [
        nw.when(cond).then(1.0).otherwise(0.0).alias(f"{k}_customers") for k, cond in kinds.items()
    ]
    values = [
        nw.when(cond).then(nw.col("revenue")).otherwise(0.0).alias(k) for k, cond in kinds.items()
    ]
    active = (
        per_customer.with_columns(*flags, *values, nw.lit(1.0).alias("customers"))
        .group_by(*keys, "_p")
        .agg(
            nw.col("revenue").sum(),
            *[nw.col(c).sum() for c in (*_CATEGORIES, "customers")],
            *[nw.col(f"{c}_customers").sum() for c in _CATEGORIES],
        )
    )
    stopped = ~same_keys(part, "_a") | ((nw.col("_after") - nw.col("_p")).fill_null(0) != 1)
    lost = (
        per_customer.filter(stopped)
        .with_columns((nw.col("_p") + 1).alias("_p"), nw.lit(1.0).alias("lost_customers"))
        .group_by(*keys, "_p")
        .agg(nw.col("revenue").sum().alias("lost"), nw.col("lost_customers").sum())
    )
    counts = [f"{c}_customers" for c in _COUNTED]
    measures = ["revenue", *_COUNTED, "customers", *counts]
    table = collect(active).to_pandas()
    lost_table = collect(lost).to_pandas()
    last = int(covered.periods[-1])
    lost_table = lost_table[lost_table["_p"] <= last]
    table = table.merge(lost_table, on=[*keys, "_p"], how="outer")
    grid = complete_grid(table, keys, covered.periods, measures)

    out = grid[list(keys)].copy()
    index = grid["_p"].to_numpy(dtype=np.int64)
    out["period"] = covered.starts(index)
    out["is_partial"] = covered.partial[index - covered.periods[0]]
    for m in ["revenue", *_COUNTED]:
        out[m] = grid[m].to_numpy(dtype=np.float64)
    previous = lagged(grid, "revenue", 1, int(covered.periods[0]))
    out["revenue_previous"] = previous
    out["retained_change"] = out["retained"].to_numpy() - (previous - out["lost"].to_numpy())
    for c in ["customers", *counts]:
        out[c] = grid[c].to_numpy().astype(np.int64)
    return out[names]
