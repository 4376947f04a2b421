"""Validated cores shared by the campaign functions: sends, responses, window outcomes.

Each takes canonical narwhals frames and returns narwhals frames in the same engine.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics._frames import validated
>>> from crmanalytics.marketing._outcomes import first_sends
>>> i = pd.DataFrame({"customer_id": [1, 1], "kind": ["campaign_sent"] * 2,
...                   "timestamp": pd.to_datetime(["2024-01-02", "2024-01-01"]),
...                   "campaign_id": ["C1", "C1"]})
>>> first_sends(validated(i, "interactions", purpose="example"))["start"].to_list()
[Timestamp('2024-01-01 00:00:00')]
"""

from __future__ import annotations

from typing import Any

import narwhals.stable.v2 as nw
import pandas as pd

__all__ = ["RESPONSE", "SENT", "first_sends", "responders", "window_outcomes"]

#: Interaction kinds of a campaign contact and of a response to it.
SENT = "campaign_sent"
RESPONSE = "campaign_response"


def first_sends(interactions: Any, campaign_id: object = None) -> Any:
    """``campaign_id``, ``customer_id`` and ``start`` (the customer's first send).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import validated
    >>> from crmanalytics.marketing._outcomes import first_sends
    >>> i = pd.DataFrame({"customer_id": [1, 2], "kind": ["campaign_sent", "nps"],
    ...                   "timestamp": ["2024-01-01"] * 2, "campaign_id": ["C1", None]})
    >>> len(first_sends(validated(i, "interactions", purpose="example")))
    1
    """
    sent = interactions.filter(nw.col("kind") == SENT, ~nw.col("campaign_id").is_null())
    if campaign_id is not None:
        sent = sent.filter(nw.col("campaign_id") == campaign_id)
    return sent.group_by("campaign_id", "customer_id").agg(nw.col("timestamp").min().alias("start"))


def responders(interactions: Any) -> Any:
    """Distinct (``campaign_id``, ``customer_id``) with a response, and ``responded`` = 1.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import validated
    >>> from crmanalytics.marketing._outcomes import responders
    >>> i = pd.DataFrame({"customer_id": [1, 1], "kind": ["campaign_response"] * 2,
    ...                   "timestamp": ["2024-01-01"] * 2, "campaign_id": ["C1", "C1"]})
    >>> responders(validated(i, "interactions", purpose="example"))["responded"].to_list()
    [1]
    """
    answered = interactions.filter(nw.col("kind") == RESPONSE, ~nw.col("campaign_id").is_null())
    return (
        answered.select("campaign_id", "customer_id")
        .unique()
        .with_columns(nw.lit(1).cast(nw.Int64).alias("responded"))
    )


def window_outcomes(
    transactions: Any, starts: Any, keys: list[str], window: pd.Timedelta, *, coupons: bool
) -> Any:
    """Each ``starts`` row with its purchases in ``(start, start + window]``.

    Adds ``purchases`` (rows with a positive amount), ``revenue`` (net amount of all
    rows in the window, returns included) and, with ``coupons``, ``coupon_purchases``
    (rows with a ``coupon_code``). ``keys`` identify a row of ``starts`` and include
    ``customer_id``.

    Examples
    --------
    >>> import pandas as pd
    >>> import narwhals.stable.v2 as nw
    >>> from crmanalytics.marketing._outcomes import window_outcomes
    >>> t = nw.from_native(pd.DataFrame({"customer_id": [1, 1], "amount": [5.0, 7.0],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-03"])}))
    >>> s = nw.from_native(pd.DataFrame({"customer_id": [1],
    ...     "start": pd.to_datetime(["2024-01-01"])}))
    >>> out = window_outcomes(t, s, ["customer_id"], pd.Timedelta(days=7), coupons=False)
    >>> out["revenue"].to_list()
    [7.0]
    """
    span = window.to_pytimedelta()
    wanted = ["customer_id", "timestamp", "amount"] + (["coupon_code"] if coupons else [])
    joined = transactions.select(wanted).join(starts, on="customer_id", how="inner")
    inside = joined.filter(
        nw.col("timestamp") > nw.col("start"), nw.col("timestamp") <= nw.col("start") + span
    )
    flags = [(nw.col("amount") > 0).cast(nw.Int64).alias("purchases")]
    if coupons:
        flags.append((~nw.col("coupon_code").is_null()).cast(nw.Int64).alias("coupon_purchases"))
    sums = ["purchases", "coupon_purchases"] if coupons else ["purchases"]
    per = (
        inside.with_columns(*flags)
        .group_by(*keys)
        .agg(nw.col("amount").sum().alias("revenue"), *(nw.col(c).sum() for c in sums))
    )
    filled = [nw.col("revenue").fill_null(0.0), nw.col("purchases").fill_null(0)]
    if coupons:
        filled.append(nw.col("coupon_purchases").fill_null(0))
    return starts.join(per, on=keys, how="left").with_columns(*filled)
