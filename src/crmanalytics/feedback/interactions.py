"""Interaction analytics: activity counts, campaign response rates, complaint rates.

Each table is its own small function, aggregated in the caller's engine, with one
fixed meaning; :func:`interaction_summary` bundles all three in a frozen dataclass.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.feedback import complaint_rates
>>> events = pd.DataFrame({
...     "customer_id": [1, 1, 1, 2],
...     "timestamp": pd.to_datetime(["2024-01-01"] * 4),
...     "kind": ["page_view", "complaint", "inquiry", "page_view"],
... })
>>> complaint_rates(events)
   customer_id  interactions  complaints  complaint_rate
0            1             3           1        0.333333
1            2             1           0        0.000000
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._frames import AnyFrame, collect, to_caller, validated
from crmanalytics.errors import DataQualityWarning

__all__ = [
    "InteractionSummary",
    "campaign_response_rates",
    "complaint_rates",
    "interaction_counts",
    "interaction_summary",
]

_SENT, _RESP, _BOTH, _ORPHAN = "__crm_sent", "__crm_resp", "__crm_both", "__crm_orphan"


def _flag(condition: nw.Expr, name: str) -> nw.Expr:
    return nw.when(condition).then(1).otherwise(0).alias(name)


def _rate(numerator: nw.Series[Any], denominator: nw.Series[Any]) -> npt.NDArray[np.float64]:
    top = numerator.to_numpy().astype(np.float64)
    bottom = denominator.to_numpy().astype(np.float64)
    out = np.full(len(top), np.nan)
    np.divide(top, bottom, out=out, where=bottom > 0)
    return out


def interaction_counts(
    interactions: IntoFrameT,
    *,
    by: str | Sequence[str] = ("kind", "channel"),
    columns: Mapping[str, str] | None = None,
) -> IntoFrameT:
    """Count interactions and distinct customers per group.

    Parameters
    ----------
    interactions : dataframe
        Canonical interactions (``customer_id``, ``timestamp``, ``kind``, optional
        ``channel`` ...) in any backend.
    by : str or sequence of str, default ("kind", "channel")
        Grouping columns. Null keys form their own group. Pass ``by="kind"`` when
        the table has no ``channel``.
    columns : mapping, optional
        Canonical name -> your column name.

    Returns
    -------
    dataframe
        The caller's type (lazy stays lazy), sorted by the keys: the ``by`` columns,
        ``interactions`` (rows) and ``customers`` (distinct ``customer_id``).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.feedback import interaction_counts
    >>> events = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 2],
    ...     "timestamp": pd.to_datetime(["2024-01-01"] * 4),
    ...     "kind": ["click", "click", "click", "complaint"],
    ...     "channel": ["web", "web", "app", "phone"],
    ... })
    >>> interaction_counts(events)
            kind channel  interactions  customers
    0      click     app             1          1
    1      click     web             2          1
    2  complaint   phone             1          1
    """
    keys = _keys(by)
    frame = validated(
        interactions,
        "interactions",
        columns=columns,
        needs=keys,
        purpose="interaction_counts(by=...)",
    )
    return to_caller(_counts(frame, keys), interactions)


def _keys(by: str | Sequence[str]) -> list[str]:
    keys = [by] if isinstance(by, str) else list(by)
    if not keys:
        raise ValueError("by must name at least one grouping column")
    return keys


def _counts(frame: AnyFrame, keys: list[str]) -> nw.DataFrame[Any]:
    """Core of :func:`interaction_counts` on a validated frame (collected, small)."""
    counted = frame.group_by(keys).agg(
        nw.len().alias("interactions"),
        nw.col("customer_id").n_unique().alias("customers"),
    )
    return (
        collect(counted)
        .with_columns(nw.col("interactions", "customers").cast(nw.Int64))
        .sort(keys, nulls_last=True)
    )


def campaign_response_rates(
    interactions: IntoFrameT,
    *,
    sent_kind: str = "campaign_sent",
    response_kind: str = "campaign_response",
    columns: Mapping[str, str] | None = None,
) -> IntoFrameT:
    """Response rate of each campaign: responders over recipients.

    A recipient is a distinct customer with a ``sent_kind`` row for the campaign; a
    responder is a recipient who also has a ``response_kind`` row for it. Customers
    who responded without a recorded send are not counted as responders (the rate
    stays a proportion) but are reported in ``responses_without_send``. Rows of these
    kinds without a ``campaign_id`` cannot be attributed; they are set aside and
    counted in a :class:`~crmanalytics.errors.DataQualityWarning` (this count needs
    one small extra query).

    Parameters
    ----------
    interactions : dataframe
        Canonical interactions with ``campaign_id``.
    sent_kind, response_kind : str
        The ``kind`` values of sends and responses.
    columns : mapping, optional
        Canonical name -> your column name.

    Returns
    -------
    dataframe
        The caller's type, one row per ``campaign_id`` (sorted): ``recipients``,
        ``responders``, ``response_rate`` (``responders / recipients``; NaN for a
        campaign with no sends), ``responses_without_send``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.feedback import campaign_response_rates
    >>> events = pd.DataFrame({
    ...     "customer_id": [1, 2, 3, 1, 4],
    ...     "timestamp": pd.to_datetime(["2024-01-01"] * 5),
    ...     "kind": ["campaign_sent"] * 3 + ["campaign_response"] * 2,
    ...     "campaign_id": ["spring"] * 5,
    ... })
    >>> campaign_response_rates(events)
      campaign_id  recipients  responders  response_rate  responses_without_send
    0      spring           3           1       0.333333                       1
    """
    frame = validated(
        interactions,
        "interactions",
        columns=columns,
        needs=["campaign_id"],
        purpose="campaign_response_rates",
    )
    return to_caller(_campaigns(frame, sent_kind, response_kind), interactions)


def _campaigns(frame: AnyFrame, sent_kind: str, response_kind: str) -> nw.DataFrame[Any]:
    """Core of :func:`campaign_response_rates` on a validated frame (collected, small)."""
    kind = nw.col("kind")
    relevant = frame.filter((kind == sent_kind) | (kind == response_kind))
    unattributed = int(
        collect(relevant.filter(nw.col("campaign_id").is_null()).select(nw.len())).item()
    )
    if unattributed:
        warnings.warn(
            DataQualityWarning(
                f"{unattributed} {sent_kind!r}/{response_kind!r} row"
                f"{'s' if unattributed != 1 else ''} without a campaign_id set aside"
            ),
            stacklevel=4,
        )
    pairs = (
        relevant.filter(~nw.col("campaign_id").is_null())
        .with_columns(_flag(kind == sent_kind, _SENT), _flag(kind == response_kind, _RESP))
        .group_by("campaign_id", "customer_id")
        .agg(nw.col(_SENT, _RESP).max())
        .with_columns(
            (nw.col(_SENT) * nw.col(_RESP)).alias(_BOTH),
            ((1 - nw.col(_SENT)) * nw.col(_RESP)).alias(_ORPHAN),
        )
    )
    per_campaign = collect(
        pairs.group_by("campaign_id").agg(nw.col(_SENT, _BOTH, _ORPHAN).sum())
    ).sort("campaign_id")
    result = per_campaign.select(
        "campaign_id",
        nw.col(_SENT).cast(nw.Int64).alias("recipients"),
        nw.col(_BOTH).cast(nw.Int64).alias("responders"),
        nw.col(_ORPHAN).cast(nw.Int64).alias("responses_without_send"),
    )
    rate = _rate(result["responders"], result["recipients"])
    return result.with_columns(
        nw.new_series("response_rate", rate, nw.Float64, backend=result.implementation)
    ).select("campaign_id", "recipients", "responders", "response_rate", "responses_without_send")


def complaint_rates(
    interactions: IntoFrameT,
    *,
    complaint_kind: str = "complaint",
    columns: Mapping[str, str] | None = None,
) -> IntoFrameT:
    """Complaints per customer, as a count and as a share of their interactions.

    Parameters
    ----------
    interactions : dataframe
        Canonical interactions.
    complaint_kind : str, default "complaint"
        The ``kind`` value of a complaint.
    columns : mapping, optional
        Canonical name -> your column name.

    Returns
    -------
    dataframe
        The caller's type, one row per customer with any interaction (sorted by
        ``customer_id``): ``interactions`` (all kinds), ``complaints`` and
        ``complaint_rate = complaints / interactions``.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> from crmanalytics.feedback import complaint_rates
    >>> events = pl.DataFrame({
    ...     "customer_id": ["a", "a", "b", "b"],
    ...     "timestamp": [datetime(2024, 1, 1)] * 4,
    ...     "kind": ["complaint", "complaint", "click", "complaint"],
    ... })
    >>> complaint_rates(events)["complaint_rate"].to_list()
    [1.0, 0.5]
    """
    frame = validated(interactions, "interactions", columns=columns, purpose="complaint_rates")
    return to_caller(_complaints(frame, complaint_kind), interactions)


def _complaints(frame: AnyFrame, complaint_kind: str) -> nw.DataFrame[Any]:
    """Core of :func:`complaint_rates` on a validated frame (collected, small)."""
    counted = (
        frame.with_columns(_flag(nw.col("kind") == complaint_kind, "complaints"))
        .group_by("customer_id")
        .agg(nw.len().alias("interactions"), nw.col("complaints").sum())
    )
    result = (
        collect(counted)
        .with_columns(nw.col("interactions", "complaints").cast(nw.Int64))
        .sort("customer_id")
    )
    rate = _rate(result["complaints"], result["interactions"])
    return result.with_columns(
        nw.new_series("complaint_rate", rate, nw.Float64, backend=result.implementation)
    )


@dataclass(frozen=True)
class InteractionSummary(Generic[IntoFrameT]):
    """The three interaction tables, each in the caller's frame type.

    Parameters
    ----------
    counts : dataframe
        :func:`interaction_counts` (interactions and customers per group).
    campaigns : dataframe or None
        :func:`campaign_response_rates`; None when the table has no ``campaign_id``.
    complaints : dataframe
        :func:`complaint_rates` (per customer).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.feedback import interaction_summary
    >>> events = pd.DataFrame({
    ...     "customer_id": [1, 2],
    ...     "timestamp": pd.to_datetime(["2024-01-01"] * 2),
    ...     "kind": ["complaint", "click"],
    ... })
    >>> summary = interaction_summary(events, by="kind")
    >>> summary.campaigns is None
    True
    >>> summary.complaints["complaints"].tolist()
    [1, 0]
    """

    counts: IntoFrameT
    campaigns: IntoFrameT | None
    complaints: IntoFrameT


def interaction_summary(
    interactions: IntoFrameT,
    *,
    by: str | Sequence[str] = ("kind", "channel"),
    complaint_kind: str = "complaint",
    sent_kind: str = "campaign_sent",
    response_kind: str = "campaign_response",
    columns: Mapping[str, str] | None = None,
) -> InteractionSummary[IntoFrameT]:
    """Compute counts by group, campaign response rates and complaint rates in one call.

    Parameters
    ----------
    interactions : dataframe
        Canonical interactions in any backend.
    by : str or sequence of str, default ("kind", "channel")
        Grouping of the counts table (see :func:`interaction_counts`).
    complaint_kind, sent_kind, response_kind : str
        ``kind`` values, as in :func:`complaint_rates` and
        :func:`campaign_response_rates`.
    columns : mapping, optional
        Canonical name -> your column name.

    Returns
    -------
    InteractionSummary
        Each table in the caller's type; ``campaigns`` is None without a
        ``campaign_id`` column.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.feedback import interaction_summary
    >>> events = pd.DataFrame({
    ...     "customer_id": [1, 2, 2],
    ...     "timestamp": pd.to_datetime(["2024-01-01"] * 3),
    ...     "kind": ["campaign_sent", "campaign_sent", "campaign_response"],
    ...     "channel": ["email"] * 3,
    ...     "campaign_id": ["c1"] * 3,
    ... })
    >>> interaction_summary(events).campaigns["response_rate"].tolist()
    [0.5]
    """
    keys = _keys(by)
    frame = validated(
        interactions,
        "interactions",
        columns=columns,
        needs=keys,
        purpose="interaction_summary(by=...)",
    )
    has_campaigns = "campaign_id" in frame.collect_schema().names()
    campaigns = (
        to_caller(_campaigns(frame, sent_kind, response_kind), interactions)
        if has_campaigns
        else None
    )
    return InteractionSummary(
        counts=to_caller(_counts(frame, keys), interactions),
        campaigns=campaigns,
        complaints=to_caller(_complaints(frame, complaint_kind), interactions),
    )
