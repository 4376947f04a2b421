"""Funnels: how many customers reach each step, in order, and how fast.

Examples
--------
>>> from crmanalytics.datasets import simulate
>>> from crmanalytics.marketing import funnel
>>> sim = simulate(500, seed=1)
>>> funnel(sim.interactions, sim.transactions)["step"].tolist()
['page_view', 'cart', 'purchase']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._frames import collect, to_caller, validated
from crmanalytics._intervals import wilson
from crmanalytics.marketing._common import read_window, same_engine

__all__ = ["DEFAULT_FUNNEL_WINDOW", "funnel"]

#: Funnel window used when none is given: 30 days from the first step.
DEFAULT_FUNNEL_WINDOW = dt.timedelta(days=30)
_PURCHASE = "purchase"


def funnel(
    interactions: IntoFrameT,
    transactions: Any = None,
    *,
    steps: Sequence[str] = ("page_view", "cart", _PURCHASE),
    window: dt.timedelta | str | float = DEFAULT_FUNNEL_WINDOW,
    by: str | None = None,
    confidence: float = 0.95,
    columns: Mapping[str, str] | None = None,
) -> IntoFrameT:
    """Customers reaching each step of a funnel in order, within a window.

    A customer enters the funnel at their first event of the first step (time
    ``t1``). They reach step ``k`` with the first event of that step at or after the
    time they reached step ``k - 1`` and no later than ``t1 + window``. Steps are
    interaction kinds; the step ``"purchase"`` is read from the transactions
    (rows with a positive amount) when they are given, else from interactions of kind
    ``"purchase"``.

    One row per step (and group) with ``step_number``, ``step``, ``customers``
    reaching it, ``step_conversion`` (customers / customers at the previous step; null
    on the first step) and ``overall_conversion`` (customers / customers at the
    first step), each with Wilson intervals (``_low``, ``_high``), and
    ``median_days_from_previous``, the median time from the previous step to this one
    over the customers reaching it, in days.

    Parameters
    ----------
    interactions : dataframe
        Canonical interactions.
    transactions : dataframe, optional
        Canonical transactions, the same kind of frame, for the ``"purchase"`` step.
    steps : sequence of str, default ("page_view", "cart", "purchase")
        At least two distinct steps.
    window : timedelta, str or float, default 30 days
        Time allowed from the first step to the last (``"30D"``, ``"2h"``, days).
    by : str, optional
        A column of the interactions; a customer's group is its value on their first
        event of the first step (which must then be an interaction kind).
    confidence : float, default 0.95
        Level of the Wilson intervals.
    columns : mapping of str to str, optional
        Canonical name to your column name, for both tables.

    Returns
    -------
    dataframe
        In the interactions' frame type, sorted by group and step.

    Raises
    ------
    ValueError
        For fewer than two steps, repeated steps, or a ``by`` the data cannot give.

    Notes
    -----
    The step times are found in the caller's engine; one row per customer entering
    the funnel (group and step times) is collected for the counts and medians.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.marketing import funnel
    >>> i = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 2, 3],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:05",
    ...                                  "2024-01-02 09:00", "2024-01-01 08:00",
    ...                                  "2024-01-03 12:00"]),
    ...     "kind": ["page_view", "cart", "page_view", "cart", "page_view"],
    ... })
    >>> t = pd.DataFrame({"customer_id": [1], "amount": [30.0],
    ...                   "timestamp": pd.to_datetime(["2024-01-01 12:05"])})
    >>> funnel(i, t, window="1D")[["step", "customers", "step_conversion",
    ...                            "median_days_from_previous"]]
            step  customers  step_conversion  median_days_from_previous
    0  page_view          3              NaN                        NaN
    1       cart          1         0.333333                   0.003472
    2   purchase          1         1.000000                   0.083333
    """
    names = [str(s) for s in steps]
    if isinstance(steps, str) or len(names) < 2 or len(set(names)) != len(names):
        raise ValueError(f"steps must be at least two distinct step names, got {steps!r}")
    span = read_window(window)
    inter = validated(interactions, "interactions", columns=columns, purpose="funnel")
    if by is not None and by not in inter.collect_schema().names():
        raise ValueError(f"by={by!r} is not a column of the interactions")
    tx = None
    if transactions is not None and _PURCHASE in names:
        tx = validated(transactions, "transactions", columns=columns, purpose="funnel")
        same_engine(inter, tx, ("interactions", "transactions"))
        if by is not None and names[0] == _PURCHASE:
            raise ValueError("with by, the first step must be an interaction kind")

    def events(step: str) -> Any:
        if step == _PURCHASE and tx is not None:
            return tx.filter(nw.col("amount") > 0).select("customer_id", "timestamp")
        return inter.filter(nw.col("kind") == step).select(
            "customer_id", "timestamp", *([by] if by is not None else [])
        )

    first = events(names[0])
    reached = first.group_by("customer_id").agg(nw.col("timestamp").min().alias("t0"))
    if by is not None:
        group = (
            first.join(reached, on="customer_id", how="inner")
            .filter(nw.col("timestamp") == nw.col("t0"))
            .group_by("customer_id")
            .agg(nw.col(by).min())
        )
        reached = reached.join(group, on="customer_id", how="left")
    reached = reached.with_columns(nw.col("t0").alias("previous"))
    limit = nw.col("t0") + span.to_pytimedelta()
    for k, step in enumerate(names[1:], start=1):
        hit = (
            events(step)
            .select("customer_id", "timestamp")
            .join(reached.select("customer_id", "t0", "previous"), on="customer_id", how="inner")
            .filter(nw.col("timestamp") >= nw.col("previous"), nw.col("timestamp") <= limit)
            .group_by("customer_id")
            .agg(nw.col("timestamp").min().alias("now"))
        )
        reached = reached.join(hit, on="customer_id", how="left").with_columns(
            nw.col("now").alias(f"t{k}"), nw.col("now").alias("previous")
        )
        reached = reached.drop("now")
    steps = ["t0", *(f"t{k}" for k in range(1, len(names)))]
    table = collect(reached.select(*([by] if by is not None else []), *steps))
    # gaps on the collected per-customer frame: not every engine subtracts datetimes
    micros = [nw.col(t).dt.timestamp("us").cast(nw.Float64) for t in steps]
    table = table.with_columns(
        ((micros[k] - micros[k - 1]) / 1e6).alias(f"gap{k}") for k in range(1, len(names))
    )
    return to_caller(_counts(table, names, by, confidence), interactions)


def _counts(
    table: nw.DataFrame[Any], names: list[str], by: str | None, confidence: float
) -> dict[str, Any]:
    """Per group and step counts, conversions and medians from the per-customer gaps."""
    n = len(table)
    if by is None:
        labels: list[Any] = [None] * n
        groups: list[Any] = [None]
    else:
        labels = table[by].to_list()
        present = {v for v in labels if v is not None}
        groups = sorted(present, key=str) + ([None] if len(present) < len(set(labels)) else [])
    label_array = np.array(labels, dtype=object)
    gap_arrays = [table[f"gap{k}"].to_numpy().astype(np.float64) for k in range(1, len(names))]
    rows: dict[str, list[Any]] = {
        key: []
        for key in (
            "group",
            "step_number",
            "step",
            "customers",
            "previous",
            "first",
            "median_days_from_previous",
        )
    }
    for group in groups:
        mine = np.array([v is group or v == group for v in label_array], dtype=bool)
        alive = mine.copy()
        entered = int(mine.sum())
        previous = entered
        for k, step in enumerate(names):
            median = np.nan
            if k > 0:
                gap = gap_arrays[k - 1]
                alive &= ~np.isnan(gap)
                if alive.any():
                    median = float(np.median(gap[alive])) / 86_400.0
            count = int(alive.sum())
            for key, value in (
                ("group", group),
                ("step_number", k + 1),
                ("step", step),
                ("customers", count),
                ("previous", previous if k > 0 else np.nan),
                ("first", entered),
                ("median_days_from_previous", median),
            ):
                rows[key].append(value)
            previous = count
    customers = np.array(rows["customers"], dtype=np.float64)
    result: dict[str, Any] = {} if by is None else {by: rows["group"]}
    result["step_number"] = np.array(rows["step_number"], dtype=np.int64)
    result["step"] = rows["step"]
    result["customers"] = customers.astype(np.int64)
    for name, base in (("step_conversion", "previous"), ("overall_conversion", "first")):
        denominator = np.array(rows[base], dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(denominator > 0, customers / denominator, np.nan)
        low, high = wilson(customers, np.nan_to_num(denominator, nan=0.0), confidence)
        result[name], result[f"{name}_low"], result[f"{name}_high"] = rate, low, high
    result["median_days_from_previous"] = np.array(
        rows["median_days_from_previous"], dtype=np.float64
    )
    return result
