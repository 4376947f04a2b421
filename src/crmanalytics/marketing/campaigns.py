"""Campaign performance: reach, response, conversion and return of each campaign.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.marketing import campaign_performance
>>> i = pd.DataFrame({
...     "customer_id": [1, 2, 1],
...     "timestamp": pd.to_datetime(["2024-03-01", "2024-03-01", "2024-03-02"]),
...     "kind": ["campaign_sent", "campaign_sent", "campaign_response"],
...     "campaign_id": ["SPRING"] * 3,
... })
>>> t = pd.DataFrame({"customer_id": [1], "timestamp": pd.to_datetime(["2024-03-05"]),
...                   "amount": [40.0]})
>>> campaign_performance(i, t)[["campaign_id", "reached", "responders", "converted"]]
  campaign_id  reached  responders  converted
0      SPRING        2           1          1
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._frames import collect, to_caller
from crmanalytics._intervals import wilson
from crmanalytics.marketing._common import campaign_tables, read_costs, read_window
from crmanalytics.marketing._outcomes import first_sends, responders, window_outcomes

__all__ = ["DEFAULT_WINDOW", "campaign_performance"]

#: Conversion window used when none is given: 30 days after the first send.
DEFAULT_WINDOW = dt.timedelta(days=30)


def campaign_performance(
    interactions: IntoFrameT,
    transactions: Any,
    *,
    window: dt.timedelta | str | float = DEFAULT_WINDOW,
    costs: Mapping[Any, float] | Any | None = None,
    confidence: float = 0.95,
    columns: Mapping[str, str] | None = None,
) -> IntoFrameT:
    """One row per campaign: who was reached, who responded, converted and spent.

    For each ``campaign_id`` of the interactions:

    * ``first_send``: the campaign's first ``campaign_sent``;
    * ``reached``: distinct customers with a ``campaign_sent`` interaction;
    * ``responders``: reached customers with a ``campaign_response`` to the same
      campaign (at any time);
    * ``response_rate`` = responders / reached, with its Wilson interval
      ``response_rate_low``, ``response_rate_high``;
    * ``converted``: reached customers with a purchase (a transaction with a positive
      amount) in ``(first send, first send + window]``, the first send being the
      customer's own first send of that campaign; ``conversion_rate`` = converted /
      reached with its Wilson interval;
    * ``revenue``: the net amount of the reached customers' transactions in their
      windows (returns included); ``revenue_per_reached`` = revenue / reached;
    * where the transactions have ``coupon_code``: ``coupon_redemptions`` (window
      transactions with a coupon), ``coupon_redeemers`` (reached customers with one)
      and ``coupon_redemption_rate`` = coupon_redeemers / reached;
    * with ``costs``: ``cost``, ``cost_per_response`` (cost / responders),
      ``cost_per_conversion`` (cost / converted) and ``roi`` = (revenue - cost) / cost.
      Campaigns without a cost get nulls; divisions by zero give NaN.

    The purchases are not attributed: every purchase of a reached customer in the
    window counts, whatever caused it (see :func:`campaign_uplift` for the causal
    question).

    Parameters
    ----------
    interactions : dataframe
        Canonical interactions with ``campaign_id``.
    transactions : dataframe
        Canonical transactions, the same kind of frame (DuckDB: the same connection).
    window : timedelta, str or float, default 30 days
        Conversion window after the first send: a timedelta, a pandas offset string
        (``"30D"``, ``"12h"``) or a number of days.
    costs : mapping or dataframe, optional
        Cost per campaign: a mapping ``{campaign_id: cost}`` or a frame with columns
        ``campaign_id`` and ``cost`` (rows of a campaign are summed).
    confidence : float, default 0.95
        Level of the Wilson intervals.
    columns : mapping of str to str, optional
        Canonical name to your column name, for both tables.

    Returns
    -------
    dataframe
        In the interactions' frame type, sorted by ``campaign_id``.

    Raises
    ------
    crmanalytics.errors.SchemaError
        When a table breaks its schema or interactions lack ``campaign_id``.
    TypeError
        When the two tables are different kinds of frame.

    Notes
    -----
    Sends, responses and window purchases are joined and aggregated in the caller's
    engine; only the per-campaign totals are collected.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.marketing import campaign_performance
    >>> i = pd.DataFrame({
    ...     "customer_id": [1, 2, 3, 1],
    ...     "timestamp": pd.to_datetime(["2024-03-01"] * 3 + ["2024-03-02"]),
    ...     "kind": ["campaign_sent"] * 3 + ["campaign_response"],
    ...     "campaign_id": ["SPRING"] * 4,
    ... })
    >>> t = pd.DataFrame({
    ...     "customer_id": [1, 2, 2],
    ...     "timestamp": pd.to_datetime(["2024-03-05", "2024-03-20", "2024-05-01"]),
    ...     "amount": [40.0, 25.0, 99.0],
    ... })
    >>> r = campaign_performance(i, t, window="30D", costs={"SPRING": 13.0})
    >>> r[["reached", "converted", "revenue", "cost_per_conversion", "roi"]]
       reached  converted  revenue  cost_per_conversion  roi
    0        3          2     65.0                  6.5  4.0
    >>> r[["response_rate", "response_rate_low", "response_rate_high"]].round(3)
       response_rate  response_rate_low  response_rate_high
    0          0.333              0.061               0.792
    """
    span = read_window(window)
    inter, tx = campaign_tables(interactions, transactions, columns, "campaign_performance")
    coupons = "coupon_code" in tx.collect_schema().names()
    keys = ["campaign_id", "customer_id"]
    outcomes = window_outcomes(tx, first_sends(inter), keys, span, coupons=coupons)
    per_customer = outcomes.join(responders(inter), on=keys, how="left").with_columns(
        nw.col("responded").fill_null(0),
        (nw.col("purchases") > 0).cast(nw.Int64).alias("converted"),
        *([(nw.col("coupon_purchases") > 0).cast(nw.Int64).alias("coupon_redeemers")] * coupons),
    )
    aggregations = [
        nw.col("start").min().alias("first_send"),
        nw.len().alias("reached"),
        nw.col("responded").sum().alias("responders"),
        nw.col("converted").sum(),
        nw.col("revenue").sum().alias("revenue"),
    ]
    if coupons:
        aggregations += [
            nw.col("coupon_purchases").sum().alias("coupon_redemptions"),
            nw.col("coupon_redeemers").sum(),
        ]
    totals = collect(per_customer.group_by("campaign_id").agg(*aggregations).sort("campaign_id"))
    reached = totals["reached"].to_numpy().astype(np.float64)
    result: dict[str, Any] = {
        "campaign_id": totals["campaign_id"],
        "first_send": totals["first_send"],
        "reached": totals["reached"].to_numpy().astype(np.int64),
    }
    for count, rate in (("responders", "response_rate"), ("converted", "conversion_rate")):
        hits = totals[count].to_numpy().astype(np.float64)
        low, high = wilson(hits, reached, confidence)
        result[count] = hits.astype(np.int64)
        result[rate] = _ratio(hits, reached)
        result[f"{rate}_low"], result[f"{rate}_high"] = low, high
    revenue = totals["revenue"].to_numpy().astype(np.float64)
    result["revenue"] = revenue
    result["revenue_per_reached"] = _ratio(revenue, reached)
    if coupons:
        redeemers = totals["coupon_redeemers"].to_numpy().astype(np.float64)
        result["coupon_redemptions"] = totals["coupon_redemptions"].to_numpy().astype(np.int64)
        result["coupon_redeemers"] = redeemers.astype(np.int64)
        result["coupon_redemption_rate"] = _ratio(redeemers, reached)
    if costs is not None:
        per_campaign = read_costs(costs, "campaign_id", columns=columns)
        cost = np.array(
            [per_campaign.get(c, np.nan) for c in totals["campaign_id"].to_list()], dtype=np.float64
        )
        result["cost"] = cost
        result["cost_per_response"] = _ratio(cost, result["responders"])
        result["cost_per_conversion"] = _ratio(cost, result["converted"])
        result["roi"] = _ratio(revenue - cost, cost)
    return to_caller(result, interactions)


def _ratio(numerator: Any, denominator: Any) -> Any:
    """Elementwise ``numerator / denominator`` with NaN where the denominator is 0."""
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out
