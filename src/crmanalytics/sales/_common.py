"""Shared steps of the sales analyses (internal): keys, order lines, the period grid.

Every sales function reads the canonical transactions the same way:

* a row with ``amount >= 0`` is a *sale* line, a row with ``amount < 0`` a *return*;
* an *order* is a distinct ``transaction_id`` of a customer, or, without that column,
  a distinct calendar day of a customer (all purchases of a day are one order);
* periods are the calendar periods of :mod:`crmanalytics._periods`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt
import pandas as pd

from crmanalytics._frames import AnyFrame, collect, epoch_day
from crmanalytics._periods import Period, is_partial, period_of_day, period_starts, with_period
from crmanalytics.schema import require_columns

__all__ = [
    "Span",
    "check_by",
    "complete_grid",
    "customer_orders",
    "empty_table",
    "growth",
    "lagged",
    "neighbours",
    "same_keys",
    "small_result",
    "span",
    "with_day_and_period",
]

#: Columns the sales functions create; ``by`` may not name them.
_RESERVED = ("customer_id", "timestamp", "amount", "transaction_id", "quantity")


def check_by(frame: AnyFrame, by: str | Sequence[str] | None, *, purpose: str) -> list[str]:
    """``by`` as a list of transaction columns, checked to be present.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import from_native
    >>> from crmanalytics.sales._common import check_by
    >>> check_by(from_native(pd.DataFrame({"channel": ["web"]})), "channel", purpose="x")
    ['channel']
    """
    if by is None:
        return []
    keys = [by] if isinstance(by, str) else list(by)
    if not all(isinstance(k, str) for k in keys):
        raise TypeError(f"by must be a column name or a sequence of names, got {by!r}")
    bad = [k for k in keys if k in _RESERVED]
    if bad:
        raise ValueError(
            f"by must name grouping columns of transactions (such as 'channel' or "
            f"'product_id'), not {', '.join(map(repr, bad))}"
        )
    if len(set(keys)) != len(keys):
        raise ValueError(f"by names a column twice: {keys!r}")
    require_columns(frame, "transactions", keys, purpose=f"{purpose}(by=...)")
    return keys


def with_day_and_period(frame: AnyFrame, period: Period) -> AnyFrame:
    """Add ``_day`` (epoch day of ``timestamp``) and ``_p`` (its period index).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import from_native
    >>> from crmanalytics.sales._common import with_day_and_period
    >>> f = from_native(pd.DataFrame({"timestamp": pd.to_datetime(["2024-02-10"])}))
    >>> with_day_and_period(f, "M")["_p"].to_list() == [2024 * 12 + 1]
    True
    """
    out: Any = frame.with_columns(epoch_day("timestamp", frame).alias("_day"))
    result: AnyFrame = with_period(out, "_day", period, "_p")
    return result


def customer_orders(frame: AnyFrame, keys: Sequence[str]) -> AnyFrame:
    """Per ``keys`` and customer: net, gross and returned value, orders, units.

    ``frame`` holds ``_day`` (see :func:`with_day_and_period`); ``keys`` are the
    grouping columns (period, segment ...). Orders are distinct ``transaction_id``
    values (or calendar days) with at least one sale line.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import from_native
    >>> from crmanalytics.sales._common import customer_orders
    >>> f = from_native(pd.DataFrame({"customer_id": [1, 1, 1], "_day": [0, 0, 1],
    ...                               "amount": [5.0, -2.0, 3.0]}))
    >>> customer_orders(f, []).to_pandas()[["revenue", "returns", "orders"]].values.tolist()
    [[6.0, 2.0, 2.0]]
    """
    names = frame.collect_schema().names()
    order = "transaction_id" if "transaction_id" in names else "_day"
    amount = nw.col("amount")
    sale = amount >= 0
    parts = [
        nw.when(sale).then(amount).otherwise(0.0).alias("gross_revenue"),
        nw.when(~sale).then(-amount).otherwise(0.0).alias("returns"),
        nw.when(sale).then(1.0).otherwise(0.0).alias("_sale"),
    ]
    if "quantity" in names:
        parts.append(nw.col("quantity").fill_null(0.0).alias("units"))
    sums = ["revenue", "gross_revenue", "returns"] + (["units"] if "quantity" in names else [])
    per_order = (
        frame.with_columns(*parts)
        .rename({"amount": "revenue"})
        .group_by(*keys, "customer_id", order)
        .agg(*[nw.col(c).sum() for c in sums], nw.col("_sale").max())
    )
    return per_order.group_by(*keys, "customer_id").agg(
        *[nw.col(c).sum() for c in sums], nw.col("_sale").sum().alias("orders")
    )


class Span:
    """The days and periods the data cover (inclusive epoch days).

    Examples
    --------
    >>> from crmanalytics.sales._common import Span
    >>> s = Span(19723, 19781, "M")  # 2024-01-01 .. 2024-02-28
    >>> s.periods.tolist() == [2024 * 12, 2024 * 12 + 1], s.partial.tolist()
    (True, [False, True])
    """

    def __init__(self, first_day: int, last_day: int, period: Period) -> None:
        self.first_day = first_day
        self.last_day = last_day
        self.period = period
        first, last = period_of_day(first_day, period), period_of_day(last_day, period)
        self.periods: npt.NDArray[np.int64] = np.arange(first, last + 1, dtype=np.int64)
        self.partial: npt.NDArray[np.bool_] = np.array(
            [is_partial(int(p), period, first_day, last_day) for p in self.periods], dtype=bool
        )

    def starts(self, index: npt.NDArray[np.int64]) -> npt.NDArray[np.datetime64]:
        """Period start datetimes of period indices.

        Examples
        --------
        >>> import numpy as np
        >>> from crmanalytics.sales._common import Span
        >>> Span(0, 40, "M").starts(np.array([23641])).astype(str).tolist()
        ['1970-02-01T00:00:00.000000']
        """
        return period_starts(index, self.period)


def span(frame: AnyFrame, period: Period) -> Span | None:
    """The :class:`Span` of a frame with ``_day``; ``None`` when it has no rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import from_native
    >>> from crmanalytics.sales._common import span
    >>> span(from_native(pd.DataFrame({"_day": [3, 9]})), "D").periods.tolist()
    [3, 4, 5, 6, 7, 8, 9]
    """
    bounds = collect(
        frame.select(nw.col("_day").min().alias("lo"), nw.col("_day").max().alias("hi"))
    )
    lo, hi = bounds["lo"].to_list()[0], bounds["hi"].to_list()[0]
    if lo is None or (isinstance(lo, float) and np.isnan(lo)):
        return None
    return Span(int(lo), int(hi), period)


def complete_grid(
    table: pd.DataFrame, keys: Sequence[str], periods: npt.NDArray[np.int64], fill: Sequence[str]
) -> pd.DataFrame:
    """Every group of ``table`` crossed with every period in ``periods`` (column ``_p``).

    Missing cells of the ``fill`` columns become 0; null group values are a group of
    their own. Sorted by group and period.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from crmanalytics.sales._common import complete_grid
    >>> t = pd.DataFrame({"g": ["a"], "_p": [2], "x": [1.0]})
    >>> complete_grid(t, ["g"], np.arange(1, 4), ["x"])["x"].tolist()
    [0.0, 1.0, 0.0]
    """
    grid = pd.DataFrame({"_p": periods})
    if keys:
        groups = table[list(keys)].drop_duplicates()
        grid = groups.merge(grid, how="cross")
    out = grid.merge(table, on=[*keys, "_p"], how="left")
    for name in fill:
        out[name] = out[name].fillna(0.0).astype(np.float64)
    order = [*keys, "_p"]
    return out.sort_values(order, na_position="last", kind="stable").reset_index(drop=True)


def growth(
    current: npt.NDArray[np.float64], base: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """``current / base - 1``; NaN (null) where the base is 0 or unknown, never inf.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.sales._common import growth
    >>> growth(np.array([3.0, 1.0, 2.0]), np.array([2.0, 0.0, np.nan])).tolist()
    [0.5, nan, nan]
    """
    out = np.full(current.shape, np.nan)
    ok = np.isfinite(base) & (base != 0)
    out[ok] = current[ok] / base[ok] - 1.0
    return out


def lagged(grid: pd.DataFrame, column: str, lag: int, first: int) -> npt.NDArray[np.float64]:
    """Value of ``column`` ``lag`` periods earlier in the same group (NaN before ``first``).

    ``grid`` is a complete grid (:func:`complete_grid`): every group holds every period
    from ``first`` on, in order, so the earlier value sits ``lag`` rows up.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.sales._common import lagged
    >>> t = pd.DataFrame({"_p": [1, 2, 3], "x": [1.0, 2.0, 4.0]})
    >>> lagged(t, "x", 1, 1).tolist()
    [nan, 1.0, 2.0]
    """
    values = grid[column].to_numpy(dtype=np.float64)
    out = np.full(values.shape, np.nan)
    known = grid["_p"].to_numpy(dtype=np.int64) - lag >= first
    rows = np.flatnonzero(known)
    out[rows] = values[rows - lag]
    return out


def small_result(table: pd.DataFrame) -> nw.DataFrame[Any]:
    """A small pandas result as a narwhals frame (fresh index), ready for ``to_caller``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.sales._common import small_result
    >>> small_result(pd.DataFrame({"a": [1]}, index=[5])).to_native().index.tolist()
    [0]
    """
    return nw.from_native(table.reset_index(drop=True), eager_only=True)


def neighbours(
    keys: Sequence[str], order: Sequence[str], offset: int, prefix: str
) -> list[nw.Expr]:
    """The ``keys`` of the row ``offset`` rows back in ``order``, as ``{prefix}_{i}``.

    Examples
    --------
    >>> import pandas as pd
    >>> import narwhals.stable.v2 as nw
    >>> from crmanalytics.sales._common import neighbours
    >>> f = nw.from_native(pd.DataFrame({"c": [1, 1, 2], "p": [1, 2, 1]}))
    >>> f.with_columns(*neighbours(["c"], ["c", "p"], 1, "_b"))["_b_0"].to_list()
    [nan, 1.0, 1.0]
    """
    return [
        nw.col(k).shift(offset).over(order_by=list(order)).alias(f"{prefix}_{i}")
        for i, k in enumerate(keys)
    ]


def same_keys(keys: Sequence[str], prefix: str) -> nw.Expr:
    """True where every key equals its neighbour from :func:`neighbours` (nulls equal).

    Examples
    --------
    >>> import pandas as pd
    >>> import narwhals.stable.v2 as nw
    >>> from crmanalytics.sales._common import neighbours, same_keys
    >>> f = nw.from_native(pd.DataFrame({"c": [1, 1, 2], "p": [1, 2, 1]}))
    >>> f = f.with_columns(*neighbours(["c"], ["c", "p"], 1, "_b"))
    >>> f.select(same_keys(["c"], "_b").alias("s"))["s"].to_list()
    [False, True, False]
    """
    out = nw.lit(value=True)
    for i, k in enumerate(keys):
        mine, theirs = nw.col(k), nw.col(f"{prefix}_{i}")
        both_null = mine.is_null() & theirs.is_null()
        out = out & ((mine == theirs).fill_null(value=False) | both_null)
    return out


def empty_table(
    names: Sequence[str], keys: Sequence[str], *, integers: Sequence[str] = ()
) -> pd.DataFrame:
    """The result of a per-period function on an empty input: typed columns, no rows.

    Examples
    --------
    >>> from crmanalytics.sales._common import empty_table
    >>> empty_table(["period", "is_partial", "revenue"], []).dtypes.astype(str).tolist()
    ['datetime64[us]', 'bool', 'float64']
    """
    data: dict[str, Any] = {n: pd.Series([], dtype=np.float64) for n in names}
    data.update({k: pd.Series([], dtype=object) for k in keys})
    data.update({n: pd.Series([], dtype=np.int64) for n in integers})
    data["period"] = pd.Series([], dtype="datetime64[us]")
    data["is_partial"] = pd.Series([], dtype=bool)
    return pd.DataFrame(data)[list(names)]
