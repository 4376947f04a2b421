"""Exact decomposition of a change in revenue into customers, frequency and order value.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.sales import revenue_decomposition
>>> t = pd.DataFrame({
...     "customer_id": [1, 2, 1, 2, 3],
...     "timestamp": ["2024-01-05", "2024-01-09", "2024-02-01", "2024-02-11", "2024-02-12"],
...     "amount": [10.0, 10.0, 12.0, 12.0, 12.0],
... })
>>> d = revenue_decomposition(t, periods=(("2024-01-01", "2024-01-31"),
...                                       ("2024-02-01", "2024-02-29")))
>>> d[["revenue_before", "revenue_after", "change"]]
   revenue_before  revenue_after  change
0            20.0           36.0    16.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._frames import (
    AnyFrame,
    DateLike,
    collect,
    epoch_day,
    to_caller,
    to_day_number,
    validated,
)
from crmanalytics.sales._common import check_by, customer_orders, small_result
from crmanalytics.sales._lmdi import contributions

__all__ = ["revenue_decomposition"]

_FACTORS = ("customers", "orders_per_customer", "average_order_value")
_UNIT_FACTORS = ("units_per_order", "price_per_unit")


def revenue_decomposition(
    transactions: IntoFrameT,
    *,
    periods: tuple[tuple[DateLike, DateLike], tuple[DateLike, DateLike]],
    by: str | Sequence[str] | None = None,
    columns: Mapping[str, str] | None = None,
) -> IntoFrameT:
    """Split the change in revenue between two periods into exact factor contributions.

    Revenue is the product of three factors,

    ``revenue = customers x (orders / customers) x (revenue / orders)``,

    that is customers, orders per customer and average order value (definitions as in
    :func:`~crmanalytics.sales.sales_summary`: net revenue, orders with a sale line,
    customers with an order). With ``quantity`` the average order value is split
    further into units per order and price per unit. The change ``after - before``
    is attributed to the factors by the logarithmic mean Divisia index (LMDI-I,
    Ang 2004): the contribution of factor k is ``L(V1, V0) ln(x_k1 / x_k0)`` with the
    logarithmic mean ``L(a, b) = (a - b) / (ln a - ln b)``. Unlike midpoint or
    sequential (ordered) splits it leaves no residual and does not depend on the order
    of the factors: the contributions add up to ``change`` (to float precision).

    **Where LMDI is undefined** (it needs every factor positive in both periods), the
    rule applied is stated in the ``method`` column, and nothing is NaN or infinite:

    * ``"lmdi"``: buyers in both periods and net revenue of the same sign in both.
      Negative net revenue in both (returns exceed sales) is decomposed on its
      absolute value, with the signs carried over (the average order value is
      negative in both periods, its magnitude is what changes).
    * ``"entry_exit"``: no customer bought in one of the periods (a group that
      appears or disappears): the whole change goes to ``customers_contribution``.
    * ``"sign_change"``: buyers in both periods, but net revenue is zero in one of
      them or changes sign (returns): the whole change goes to
      ``average_order_value_contribution`` (with ``quantity``, to
      ``price_per_unit_contribution``).

    With ``quantity``, when units are not positive in both periods, the average order
    value contribution is not split: ``units_per_order_contribution`` is 0 and
    ``price_per_unit_contribution`` carries it all.

    Parameters
    ----------
    transactions : dataframe
        Canonical transactions in any supported backend.
    periods : ((start, end), (start, end))
        The period before and the period after, as calendar dates; both ends are
        included (``("2024-01-01", "2024-01-31")`` is January).
    by : str or sequence of str, optional
        Column(s) of ``transactions`` to decompose separately; null values form their
        own group. Groups with transactions in either period appear.
    columns : mapping of str to str, optional
        Canonical name to your column name, e.g. ``{"customer_id": "client"}``.

    Returns
    -------
    dataframe
        The caller's frame type (lazy stays lazy), one row per group (one row without
        ``by``), sorted: [``by``], ``revenue_before``, ``revenue_after``, ``change``,
        ``customers_before``, ``customers_after``, ``orders_before``,
        ``orders_after``, [``units_before``, ``units_after``],
        ``customers_contribution``, ``orders_per_customer_contribution``,
        ``average_order_value_contribution``, [``units_per_order_contribution``,
        ``price_per_unit_contribution``, which sum to the average order value
        contribution], ``method``.

    Raises
    ------
    ValueError
        When ``periods`` is not two (start, end) pairs of dates with start <= end.

    References
    ----------
    Ang, B. W. (2004), "Decomposition analysis for policymaking in energy: which is
    the preferred method?", *Energy Policy* 32(9), 1131-1139.
    Ang, B. W. (2015), "LMDI decomposition approach: a guide for implementation",
    *Energy Policy* 86, 233-238.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.sales import revenue_decomposition
    >>> t = pd.DataFrame({
    ...     "customer_id": [1, 2, 1, 1, 2, 3],
    ...     "timestamp": ["2024-01-05", "2024-01-09", "2024-02-01", "2024-02-08",
    ...                   "2024-02-11", "2024-02-12"],
    ...     "amount": [10.0, 10.0, 15.0, 15.0, 15.0, 15.0],
    ... })
    >>> d = revenue_decomposition(t, periods=(("2024-01-01", "2024-01-31"),
    ...                                       ("2024-02-01", "2024-02-29")))
    >>> parts = ["customers_contribution", "orders_per_customer_contribution",
    ...          "average_order_value_contribution"]
    >>> float(d["change"][0]), d[parts].round(2).iloc[0].tolist()
    (40.0, [14.76, 10.47, 14.76])
    >>> round(float(d[parts].sum(axis=1)[0]), 10), d["method"][0]
    (40.0, 'lmdi')
    """
    windows = _windows(periods)
    frame = validated(
        transactions, "transactions", columns=columns, purpose="revenue_decomposition"
    )
    keys = check_by(frame, by, purpose="revenue_decomposition")
    return to_caller(small_result(decomposition_table(frame, windows, keys)), transactions)


def decomposition_table(
    frame: AnyFrame, windows: tuple[tuple[int, int], tuple[int, int]], keys: Sequence[str]
) -> pd.DataFrame:
    """The validated core of :func:`revenue_decomposition` (windows in epoch days).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import validated
    >>> from crmanalytics.sales.decomposition import decomposition_table
    >>> t = pd.DataFrame({"customer_id": [1, 2], "timestamp": ["1970-01-01", "1970-01-02"],
    ...                   "amount": [3.0, 4.0]})
    >>> f = validated(t, "transactions", purpose="example")
    >>> row = decomposition_table(f, ((0, 0), (1, 1)), [])
    >>> row[["customers_contribution", "average_order_value_contribution"]].iloc[0].tolist()
    [0.0, 1.0]
    """
    has_units = "quantity" in frame.collect_schema().names()
    frame = frame.with_columns(epoch_day("timestamp", frame).alias("_day"))
    measures = ["revenue", "customers", "orders"] + (["units"] if has_units else [])
    sides = []
    for name, (first, last) in zip(("before", "after"), windows, strict=True):
        inside = frame.filter((nw.col("_day") >= first) & (nw.col("_day") <= last))
        per_customer = customer_orders(inside, keys).with_columns(
            (nw.col("orders") > 0).cast(nw.Float64).alias("customers")
        )
        sums = [nw.col(m).sum() for m in measures]
        if keys:
            side = collect(per_customer.group_by(*keys).agg(*sums)).to_pandas()
        else:
            side = _totals(collect(per_customer.select(*sums)), measures)
        sides.append(side.rename(columns={m: f"{m}_{name}" for m in measures}))
    if keys:
        table = sides[0].merge(sides[1], on=list(keys), how="outer")
        table = table.sort_values(list(keys), na_position="last", kind="stable")
    else:
        table = pd.concat(sides, axis=1)
    table = table.reset_index(drop=True)
    for m in measures:
        for name in ("before", "after"):
            table[f"{m}_{name}"] = table[f"{m}_{name}"].fillna(0.0).astype(np.float64)
    parts = _decompose(table, has_units)
    out = table[list(keys)].copy()
    out["revenue_before"] = table["revenue_before"]
    out["revenue_after"] = table["revenue_after"]
    out["change"] = table["revenue_after"] - table["revenue_before"]
    for m in measures[1:]:
        for when in ("before", "after"):
            column = table[f"{m}_{when}"]
            out[f"{m}_{when}"] = column if m == "units" else column.astype(np.int64)
    for name, values in parts.items():
        out[name] = values
    return out


def _totals(totals: nw.DataFrame[Any], measures: Sequence[str]) -> pd.DataFrame:
    """One row of totals; zeros (not nulls) when the window holds no transaction."""
    row = {m: totals[m].to_list()[:1] for m in measures}
    return pd.DataFrame(
        {m: [0.0 if not v or v[0] is None else float(v[0])] for m, v in row.items()}
    )


def _decompose(table: pd.DataFrame, has_units: bool) -> dict[str, Any]:
    """Contributions and the rule applied, per row (see :func:`revenue_decomposition`)."""

    def get(name: str) -> np.ndarray[Any, Any]:
        return table[name].to_numpy(dtype=np.float64)

    v0, v1 = get("revenue_before"), get("revenue_after")
    c0, c1 = get("customers_before"), get("customers_after")
    o0, o1 = get("orders_before"), get("orders_after")
    change = v1 - v0
    n = len(table)
    both = (c0 > 0) & (c1 > 0)
    lmdi = both & (v0 * v1 > 0)
    method = np.where(lmdi, "lmdi", np.where(both, "sign_change", "entry_exit"))
    out = {f"{f}_contribution": np.zeros(n) for f in _FACTORS}
    sign = np.sign(v1)
    rows = np.flatnonzero(lmdi)
    if rows.size:
        a0, a1 = np.abs(v0[rows]), np.abs(v1[rows])
        before = np.column_stack([c0[rows], o0[rows] / c0[rows], a0 / o0[rows]])
        after = np.column_stack([c1[rows], o1[rows] / c1[rows], a1 / o1[rows]])
        parts = sign[rows, None] * contributions(a0, a1, before, after)
        for k, f in enumerate(_FACTORS):
            out[f"{f}_contribution"][rows] = parts[:, k]
    entry = ~both
    out["customers_contribution"][entry] = change[entry]
    flipped = both & ~lmdi
    out["average_order_value_contribution"][flipped] = change[flipped]
    if has_units:
        u0, u1 = get("units_before"), get("units_after")
        aov = out["average_order_value_contribution"]
        per_order = np.zeros(n)
        split = np.flatnonzero(lmdi & (u0 > 0) & (u1 > 0))
        if split.size:
            a0, a1 = np.abs(v0[split]), np.abs(v1[split])
            before = np.column_stack([u0[split] / o0[split], a0 / u0[split]])
            after = np.column_stack([u1[split] / o1[split], a1 / u1[split]])
            per_order[split] = (sign[split, None] * contributions(a0, a1, before, after))[:, 0]
        out["units_per_order_contribution"] = per_order
        out["price_per_unit_contribution"] = aov - per_order
    return {**out, "method": method}


def _windows(periods: object) -> tuple[tuple[int, int], tuple[int, int]]:
    """The two (first day, last day) windows in epoch days, checked."""
    shape = (
        "periods must be two (start, end) pairs of dates, e.g. "
        "(('2024-01-01', '2024-01-31'), ('2024-02-01', '2024-02-29'))"
    )
    if not isinstance(periods, Sequence) or isinstance(periods, str) or len(periods) != 2:
        raise ValueError(f"{shape}; got {periods!r}")
    days: list[tuple[int, int]] = []
    for pair in periods:
        if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
            raise ValueError(f"{shape}; got {periods!r}")
        try:
            first, last = to_day_number(pair[0]), to_day_number(pair[1])
        except ValueError as exc:
            raise ValueError(f"periods: {exc}; {shape}") from exc
        if first > last:
            raise ValueError(f"periods: start {pair[0]!r} is after end {pair[1]!r}")
        days.append((first, last))
    return days[0], days[1]
