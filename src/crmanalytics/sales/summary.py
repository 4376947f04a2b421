"""Sales by period: revenue, orders, customers, returns, period-over-period and year-over-year.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.sales import sales_summary
>>> t = pd.DataFrame({
...     "customer_id": [1, 2, 1, 3],
...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-20", "2024-02-03", "2024-03-31"]),
...     "amount": [10.0, 30.0, 25.0, 40.0],
... })
>>> sales_summary(t)[["period", "revenue", "orders", "revenue_growth"]]
      period  revenue  orders  revenue_growth
0 2024-01-01     40.0       2             NaN
1 2024-02-01     25.0       1          -0.375
2 2024-03-01     40.0       1           0.600
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._frames import AnyFrame, collect, to_caller, validated
from crmanalytics._periods import Period, check_period
from crmanalytics.sales._common import (
    check_by,
    complete_grid,
    customer_orders,
    empty_table,
    growth,
    lagged,
    small_result,
    span,
    with_day_and_period,
)

__all__ = ["YEAR_LAG", "sales_summary"]

#: Periods back to "the same period a year earlier": 364 days and 52 ISO weeks keep
#: the weekday (the retail convention), 12 months, 4 quarters, 1 year.
YEAR_LAG: Mapping[str, int] = {"D": 364, "W": 52, "M": 12, "Q": 4, "Y": 1}

_COMPARED = ("revenue", "orders", "customers")


def sales_summary(
    transactions: IntoFrameT,
    *,
    period: Period = "M",
    by: str | Sequence[str] | None = None,
    columns: Mapping[str, str] | None = None,
) -> IntoFrameT:
    """Revenue, orders and customers per calendar period, with period-over-period change.

    **Definitions.** A row with ``amount >= 0`` is a sale, a row with ``amount < 0`` a
    return. Per period (and group):

    * ``gross_revenue``: the sum of sales; ``returns``: the value returned (a positive
      number); ``revenue = gross_revenue - returns``, the net;
    * ``orders``: distinct ``transaction_id`` values with a sale line, or, without that
      column, distinct (customer, calendar day) pairs with a sale;
    * ``customers``: distinct customers with at least one order;
    * ``units``: the net sum of ``quantity`` (only when the column is present);
    * ``average_order_value = revenue / orders`` and
      ``revenue_per_customer = revenue / customers`` (null when the count is 0).

    Every period from the first to the last day of the data appears, in every group:
    a period without sales has zeros, it is not skipped. ``is_partial`` marks a first
    or last period the data cover only in part (their totals are not a drop). For each
    of ``revenue``, ``orders`` and ``customers``, ``x_previous`` is the previous
    period's value and ``x_growth = x / x_previous - 1``; ``x_last_year`` is the value
    of the same period a year earlier (:data:`YEAR_LAG` periods back: 12 months, 4
    quarters, 52 ISO weeks, 364 days) and ``x_yoy_growth`` its growth. A comparison
    period before the start of the data is null, and a growth against a zero is null,
    never infinite.

    Parameters
    ----------
    transactions : dataframe
        Canonical transactions in any supported backend.
    period : {"D", "W", "M", "Q", "Y"}, default "M"
        Day, ISO week (Monday to Sunday), calendar month, quarter or year.
    by : str or sequence of str, optional
        Column(s) of ``transactions`` to split by (``"channel"``, ``"category"``);
        null values form a group of their own.
    columns : mapping of str to str, optional
        Canonical name to your column name, e.g. ``{"customer_id": "client"}``.

    Returns
    -------
    dataframe
        The caller's frame type (lazy stays lazy), one row per (group and) period,
        sorted: [``by``], ``period`` (datetime, period start), ``is_partial``,
        ``revenue``, ``gross_revenue``, ``returns``, ``orders``, ``customers``,
        [``units``], ``average_order_value``, ``revenue_per_customer``, then
        ``revenue_previous``, ``revenue_growth``, ``revenue_last_year``,
        ``revenue_yoy_growth`` and the same four for ``orders`` and ``customers``.

    Raises
    ------
    crmanalytics.errors.SchemaError
        When the transactions break the schema or a ``by`` column is missing.
    ValueError
        For an unknown ``period``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.sales import sales_summary
    >>> t = pd.DataFrame({
    ...     "client": [1, 1, 2, 2],
    ...     "timestamp": pd.to_datetime(["2024-01-05", "2024-01-05", "2024-03-02",
    ...                                  "2024-03-09"]),
    ...     "amount": [20.0, 5.0, 30.0, -10.0],
    ... })
    >>> s = sales_summary(t, columns={"customer_id": "client"})
    >>> s[["period", "is_partial", "revenue", "returns", "orders", "average_order_value"]]
          period  is_partial  revenue  returns  orders  average_order_value
    0 2024-01-01        True     25.0      0.0       1                 25.0
    1 2024-02-01       False      0.0      0.0       0                  NaN
    2 2024-03-01        True     20.0     10.0       1                 20.0
    >>> s["revenue_growth"].tolist()  # February has no sales: growth from 0 is null
    [nan, -1.0, nan]
    """
    period = check_period(period)
    frame = validated(transactions, "transactions", columns=columns, purpose="sales_summary")
    keys = check_by(frame, by, purpose="sales_summary")
    return to_caller(small_result(summary_table(frame, period, keys)), transactions)


def summary_table(frame: AnyFrame, period: Period, keys: Sequence[str]) -> pd.DataFrame:
    """The validated core of :func:`sales_summary` (a small pandas table).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import validated
    >>> from crmanalytics.sales.summary import summary_table
    >>> t = pd.DataFrame({"customer_id": [1], "timestamp": ["2024-01-01"], "amount": [3.0]})
    >>> f = validated(t, "transactions", purpose="example")
    >>> summary_table(f, "Y", [])["revenue"].tolist()
    [3.0]
    """
    frame = with_day_and_period(frame, period)
    has_units = "quantity" in frame.collect_schema().names()
    measures = ["revenue", "gross_revenue", "returns", "orders", "customers"]
    if has_units:
        measures.append("units")
    names = [*keys, "period", "is_partial", *measures, "average_order_value"]
    names += ["revenue_per_customer"] + [
        f"{m}_{s}" for m in _COMPARED for s in ("previous", "growth", "last_year", "yoy_growth")
    ]
    covered = span(frame, period)
    if covered is None:
        return empty_table(names, keys, integers=("orders", "customers"))
    per_customer = customer_orders(frame, [*keys, "_p"]).with_columns(
        (nw.col("orders") > 0).cast(nw.Float64).alias("customers")
    )
    sums = [nw.col(m).sum() for m in measures]
    table = collect(per_customer.group_by(*keys, "_p").agg(*sums)).to_pandas()
    grid = complete_grid(table, keys, covered.periods, measures)

    out = grid[list(keys)].copy()
    index = grid["_p"].to_numpy(dtype=np.int64)
    out["period"] = covered.starts(index)
    out["is_partial"] = covered.partial[index - covered.periods[0]]
    for m in measures:
        counts = m in ("orders", "customers")
        out[m] = grid[m].to_numpy(dtype=np.float64).astype(np.int64 if counts else np.float64)
    revenue = out["revenue"].to_numpy()
    out["average_order_value"] = _ratio(revenue, out["orders"].to_numpy())
    out["revenue_per_customer"] = _ratio(revenue, out["customers"].to_numpy())
    first = int(covered.periods[0])
    for m in _COMPARED:
        current = out[m].to_numpy()
        previous = lagged(grid, m, 1, first)
        last_year = lagged(grid, m, YEAR_LAG[period], first)
        out[f"{m}_previous"] = previous
        out[f"{m}_growth"] = growth(current, previous)
        out[f"{m}_last_year"] = last_year
        out[f"{m}_yoy_growth"] = growth(current, last_year)
    return out[names]


def _ratio(top: np.ndarray[Any, Any], bottom: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    out = np.full(top.shape, np.nan)
    ok = bottom != 0
    out[ok] = top[ok] / bottom[ok]
    return out
