"""Acquisition: which channels bring customers, at what cost, and worth how much.

Examples
--------
>>> from crmanalytics.datasets import simulate
>>> from crmanalytics.marketing import acquisition_summary
>>> sim = simulate(1000, seed=1)
>>> table = acquisition_summary(sim.transactions, sim.customers, period=None)
>>> int(table["new_customers"].sum())
1000
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._frames import (
    TimeUnit,
    collect,
    from_native,
    time_unit_days,
    to_caller,
    validated,
)
from crmanalytics._intervals import wilson
from crmanalytics._periods import Period, check_period, period_starts, with_timestamp_period
from crmanalytics.marketing._common import read_costs, same_engine

__all__ = ["REPEAT_DAYS", "acquisition_summary"]

#: Days after the first purchase within which a repeat purchase counts.
REPEAT_DAYS = 90


def acquisition_summary(
    transactions: IntoFrameT,
    customers: Any = None,
    *,
    by: str = "acquisition_channel",
    period: Period | None = "M",
    purchase_model: Any = None,
    spend_model: Any = None,
    costs: Mapping[Any, float] | Any | None = None,
    time_unit: TimeUnit | None = None,
    confidence: float = 0.95,
    columns: Mapping[str, str] | None = None,
) -> IntoFrameT:
    """New customers per acquisition channel and period, and what they turn out worth.

    A customer is acquired at their first transaction. Their channel is the
    ``by`` column of ``customers`` (``acquisition_channel`` by default); without
    customers (or without that column there) and with ``by="acquisition_channel"``
    (or ``"channel"``), it is the transactions' ``channel`` of the first purchase (the
    alphabetically first when rows at that moment disagree). One row per channel and
    acquisition period with:

    * ``new_customers``;
    * ``first_order_value``: mean amount of the first order (all rows at the first
      purchase's timestamp);
    * ``repeat_rate_90d``: share of customers buying again within 90 days of the
      first purchase (a transaction in ``(first, first + 90 days]``), with its Wilson
      interval ``repeat_rate_90d_low``, ``repeat_rate_90d_high``. Only customers
      acquired at least 90 days before the last transaction of the data have 90
      days observed; ``repeat_observed`` counts them, and the rate of a cohort with
      none is null (recent cohorts are not yet known, not zero);
    * with ``purchase_model`` and ``spend_model``: ``clv``, the mean predicted
      12-month value per customer, from :func:`crmanalytics.value.customer_summary`
      (observation end: the last transaction's day; in the purchase model's time
      unit) and :func:`crmanalytics.value.customer_lifetime_value` (12 periods of
      30 days, its default discount rate of 1 % a period);
    * with ``costs``: ``cost`` (the channel's acquisition spend), ``cac`` = cost /
      the channel's new customers over all periods, and with models ``clv_to_cac``.

    Parameters
    ----------
    transactions : dataframe
        Canonical transactions.
    customers : dataframe, optional
        Canonical customers in the same kind of frame, with the ``by`` column.
    by : str, default "acquisition_channel"
        The channel column (of customers, or the transactions' ``channel``).
    period : {"D", "W", "M", "Q", "Y"} or None, default "M"
        Acquisition periods (calendar, see the user guide); ``None`` for one row per
        channel.
    purchase_model, spend_model : PurchaseModel and SpendModel, optional
        Fitted models (e.g. :class:`~crmanalytics.value.BetaGeoModel` and
        :class:`~crmanalytics.value.GammaGammaModel`); both or neither.
    costs : mapping or dataframe, optional
        Acquisition spend per channel over the whole data: ``{channel: cost}`` or a
        frame with the ``by`` column and ``cost``.
    time_unit : {"D", "W"}, optional
        The time unit the models were fitted in; by default the purchase model's
        ``time_unit_``. A model that does not know its unit (built with
        ``from_params`` without ``time_unit=``) needs it here: the unit is never
        assumed, and a ``ValueError`` says so.
    confidence : float, default 0.95
        Level of the Wilson intervals.
    columns : mapping of str to str, optional
        Canonical name to your column name, for both tables.

    Returns
    -------
    dataframe
        In the transactions' frame type: ``by``, ``period`` (the period's start; not
        with ``period=None``), ``new_customers``, ``first_order_value``,
        ``repeat_observed``, ``repeat_rate_90d`` (+ ``_low``, ``_high``), then
        ``clv``, ``cost``, ``cac``, ``clv_to_cac`` as given; sorted by channel and
        period.

    Raises
    ------
    ValueError
        When there is no channel to group by, or only one of the two models.

    Notes
    -----
    The per-customer work runs in the caller's engine; per channel and period
    aggregates are collected (and, with models, the model fits' own collections).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.marketing import acquisition_summary
    >>> t = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 3, 3],
    ...     "timestamp": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-01-20",
    ...                                  "2024-02-03", "2024-09-01"]),
    ...     "amount": [20.0, 35.0, 50.0, 10.0, 5.0],
    ...     "channel": ["web", "web", "store", "web", "web"],
    ... })
    >>> acquisition_summary(t, by="channel", costs={"web": 30.0, "store": 10.0})
      channel     period  new_customers  ...  repeat_rate_90d_high  cost   cac
    0   store 2024-01-01              1  ...              0.793451  10.0  10.0
    1     web 2024-01-01              1  ...              1.000000  30.0  15.0
    2     web 2024-02-01              1  ...              0.793451  30.0  15.0
    <BLANKLINE>
    [3 rows x 10 columns]
    """
    unit = check_period(period) if period is not None else None
    if (purchase_model is None) != (spend_model is None):
        raise ValueError("pass both purchase_model and spend_model (or neither) for clv")
    tx: Any = validated(
        transactions, "transactions", columns=columns, purpose="acquisition_summary"
    )
    cust: Any = None
    if customers is not None:
        cust = validated(customers, "customers", columns=columns, purpose="acquisition_summary")
        same_engine(tx, cust, ("transactions", "customers"))
        if by not in cust.collect_schema().names():
            cust = None
    from_tx = cust is None
    if from_tx:
        if by not in ("acquisition_channel", "channel"):
            raise ValueError(
                f"by={by!r} is not a column of customers; without it only "
                "'acquisition_channel' or 'channel' (the first purchase's channel) work"
            )
        tx = validated(
            transactions,
            "transactions",
            columns=columns,
            needs=["channel"],
            purpose="acquisition_summary",
        )
    firsts = tx.group_by("customer_id").agg(nw.col("timestamp").min().alias("first"))
    keys = [by]
    if unit is not None:
        # on the small per-customer frame: SQL engines plan this much faster than at the end
        firsts = with_timestamp_period(firsts, "first", unit, "period")
        keys.append("period")
    at_first = tx.join(firsts, on="customer_id", how="inner").filter(
        nw.col("timestamp") == nw.col("first")
    )
    first_aggs = [nw.col("first").min(), nw.col("amount").sum().alias("first_order_value")]
    if unit is not None:
        first_aggs.append(nw.col("period").min())
    if from_tx:
        first_aggs.append(nw.col("channel").min().alias(by))
    per_customer = at_first.group_by("customer_id").agg(*first_aggs)
    if cust is not None:
        per_customer = per_customer.join(
            cust.select("customer_id", by), on="customer_id", how="left"
        )
    span = dt.timedelta(days=REPEAT_DAYS)
    later = (
        tx.join(firsts.select("customer_id", "first"), on="customer_id", how="inner")
        .filter(
            nw.col("timestamp") > nw.col("first"), nw.col("timestamp") <= nw.col("first") + span
        )
        .select("customer_id")
        .unique()
        .with_columns(nw.lit(1).cast(nw.Int64).alias("repeated"))
    )
    last = collect(tx.select(nw.col("timestamp").max()))["timestamp"][0]
    per_customer = per_customer.join(later, on="customer_id", how="left").with_columns(
        nw.col("repeated").fill_null(0),
        (nw.col("first") + span <= nw.lit(last)).cast(nw.Int64).alias("observed"),
    )
    per_customer = per_customer.with_columns(
        (nw.col("repeated") * nw.col("observed")).alias("repeated")
    )
    if purchase_model is not None:
        per_customer = per_customer.join(
            _clv(tx, purchase_model, spend_model, last, time_unit),
            on="customer_id",
            how="left",
        )
    aggregations = [
        nw.len().alias("new_customers"),
        nw.col("first_order_value").mean(),
        nw.col("observed").sum().alias("repeat_observed"),
        nw.col("repeated").sum().alias("repeaters"),
    ]
    if purchase_model is not None:
        aggregations.append(nw.col("clv").mean())
    totals = collect(per_customer.group_by(*keys).agg(*aggregations).sort(*keys))
    return to_caller(_finish(totals, by, unit, costs, confidence, columns), transactions)


def _finish(  # noqa: PLR0917
    totals: nw.DataFrame[Any],
    by: str,
    unit: Period | None,
    costs: Any,
    confidence: float,
    columns: Mapping[str, str] | None,
) -> dict[str, Any]:
    """Rates, intervals and costs from the per channel and period totals."""
    result: dict[str, Any] = {by: totals[by].to_list()}
    if unit is not None:
        result["period"] = period_starts(totals["period"].to_numpy().astype(np.int64), unit)
    new = totals["new_customers"].to_numpy().astype(np.int64)
    result["new_customers"] = new
    result["first_order_value"] = totals["first_order_value"].to_numpy().astype(np.float64)
    observed = totals["repeat_observed"].to_numpy().astype(np.float64)
    repeaters = totals["repeaters"].to_numpy().astype(np.float64)
    result["repeat_observed"] = observed.astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        result["repeat_rate_90d"] = np.where(observed > 0, repeaters / observed, np.nan)
    low, high = wilson(repeaters, observed, confidence)
    result["repeat_rate_90d_low"], result["repeat_rate_90d_high"] = low, high
    clv = totals["clv"].to_numpy().astype(np.float64) if "clv" in totals.columns else None
    if clv is not None:
        result["clv"] = clv
    if costs is not None:
        spend = read_costs(costs, by, columns=columns)
        channels = result[by]
        per_channel: dict[Any, int] = {}
        for channel, count in zip(channels, new.tolist(), strict=True):
            per_channel[channel] = per_channel.get(channel, 0) + count
        cost = np.array([spend.get(c, np.nan) for c in channels], dtype=np.float64)
        cac = cost / np.array([per_channel[c] for c in channels], dtype=np.float64)
        result["cost"], result["cac"] = cost, cac
        if clv is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                result["clv_to_cac"] = np.where(cac > 0, clv / cac, np.nan)
    return result


def _clv(
    tx: Any, purchase_model: Any, spend_model: Any, last: Any, time_unit: TimeUnit | None
) -> Any:
    """Predicted 12-month CLV per customer, through the value package's public API."""
    from crmanalytics.value import customer_lifetime_value, customer_summary

    unit: TimeUnit | None = time_unit or getattr(purchase_model, "time_unit_", None)
    if unit is None:
        raise ValueError(
            "acquisition_summary cannot tell the time unit the purchase model was fitted "
            "in (its time_unit_ is None): pass time_unit='D' or 'W', the unit of the "
            "summary it was fitted on"
        )
    summary = customer_summary(tx, observation_end=last, time_unit=unit)
    value = customer_lifetime_value(
        summary,
        purchase_model,
        spend_model,
        periods=12,
        period_length=30.0 / time_unit_days(unit),
    )
    return from_native(value).select("customer_id", "clv")
