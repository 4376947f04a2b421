"""Campaign uplift: the customers reached against a held-out control group.

Examples
--------
>>> from crmanalytics.datasets import simulate
>>> from crmanalytics.marketing import campaign_uplift
>>> sim = simulate(3000, seed=5)
>>> holdout = sim.truth.campaign_controls
>>> result = campaign_uplift(sim.interactions, sim.transactions, campaign_id="C03",
...                          control=holdout.loc[holdout["campaign_id"] == "C03", "customer_id"])
>>> result.reached > result.control > 0
True
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd

from crmanalytics._frames import collect, from_native, validated
from crmanalytics._intervals import newcombe_difference, two_proportion_pvalue, welch, z_value
from crmanalytics._results import ConfidenceInterval
from crmanalytics.marketing._common import campaign_tables, read_window
from crmanalytics.marketing._outcomes import first_sends, window_outcomes
from crmanalytics.marketing.campaigns import DEFAULT_WINDOW

__all__ = ["UpliftResult", "campaign_uplift"]


@dataclass(frozen=True)
class UpliftResult:
    """The effect of one campaign: reached customers against the control group.

    Attributes
    ----------
    campaign_id : object
        The campaign.
    first_send : pandas.Timestamp
        The campaign's first send: the start of the control group's window.
    window : pandas.Timedelta
        The conversion window.
    reached, control : int
        Customers in each group (control customers who were reached anyway are not
        in the control group).
    converted_reached, converted_control : int
        Customers with a purchase in their window.
    conversion_rate_reached, conversion_rate_control : float
        Converted / customers in each group.
    conversion_uplift : float
        ``conversion_rate_reached - conversion_rate_control``.
    conversion_uplift_interval : ConfidenceInterval
        Newcombe's hybrid score interval for the difference.
    conversion_pvalue : float
        Two-sided pooled z test of equal conversion rates.
    revenue_per_customer_reached, revenue_per_customer_control : float
        Mean window revenue per customer of each group (0 for a customer who bought
        nothing).
    revenue_uplift : float
        The difference of the two means.
    revenue_uplift_interval : ConfidenceInterval
        Welch's t interval for the difference.
    revenue_pvalue : float
        Welch's two-sided t test.
    confidence : float
        The level of both intervals.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics import ConfidenceInterval
    >>> from crmanalytics.marketing import UpliftResult
    >>> r = UpliftResult("C1", pd.Timestamp("2024-03-01"), pd.Timedelta(days=30), 1000, 250,
    ...                  120, 20, 0.12, 0.08, 0.04, ConfidenceInterval(0.0, 0.08), 0.07,
    ...                  6.0, 4.0, 2.0, ConfidenceInterval(-0.5, 4.5), 0.11, 0.95)
    >>> r.incremental_conversions
    40.0
    """

    campaign_id: Any
    first_send: pd.Timestamp
    window: pd.Timedelta
    reached: int
    control: int
    converted_reached: int
    converted_control: int
    conversion_rate_reached: float
    conversion_rate_control: float
    conversion_uplift: float
    conversion_uplift_interval: ConfidenceInterval
    conversion_pvalue: float
    revenue_per_customer_reached: float
    revenue_per_customer_control: float
    revenue_uplift: float
    revenue_uplift_interval: ConfidenceInterval
    revenue_pvalue: float
    confidence: float

    @property
    def incremental_conversions(self) -> float:
        """Conversions the campaign caused: ``conversion_uplift * reached``.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmanalytics import ConfidenceInterval
        >>> from crmanalytics.marketing import UpliftResult
        >>> ci = ConfidenceInterval(0.0, 1.0)
        >>> UpliftResult("C1", pd.Timestamp("2024-03-01"), pd.Timedelta(days=30), 100, 50,
        ...              30, 10, 0.3, 0.2, 0.1, ci, 0.2, 5.0, 4.0, 1.0, ci, 0.5,
        ...              0.95).incremental_conversions
        10.0
        """
        return float(self.conversion_uplift * self.reached)

    @property
    def incremental_revenue(self) -> float:
        """Revenue the campaign caused: ``revenue_uplift * reached``.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmanalytics import ConfidenceInterval
        >>> from crmanalytics.marketing import UpliftResult
        >>> ci = ConfidenceInterval(0.0, 1.0)
        >>> UpliftResult("C1", pd.Timestamp("2024-03-01"), pd.Timedelta(days=30), 100, 50,
        ...              30, 10, 0.3, 0.2, 0.1, ci, 0.2, 5.0, 4.0, 1.0, ci, 0.5,
        ...              0.95).incremental_revenue
        100.0
        """
        return float(self.revenue_uplift * self.reached)


def campaign_uplift(
    interactions: Any,
    transactions: Any,
    *,
    campaign_id: Any,
    control: Collection[Any] | Any,
    window: dt.timedelta | str | float = DEFAULT_WINDOW,
    confidence: float = 0.95,
    columns: Mapping[str, str] | None = None,
) -> UpliftResult:
    """Did the campaign cause purchases? Reached customers against a held-out control.

    The **reached** are the customers with a ``campaign_sent`` interaction of
    ``campaign_id``; each one's window is ``(their first send, + window]``. The
    **control** group is the customers deliberately held out of the campaign; they
    were sent nothing, so their window starts at the campaign's first send:
    ``(first send of the campaign, + window]``. Control customers who were reached
    anyway are counted as reached only (a :class:`~crmanalytics.errors.DataQualityWarning`
    says how many).

    A customer converts with a purchase (a transaction with a positive amount) in the
    window; their revenue is the net amount of their transactions there (0 if none).
    The uplift in conversion is the difference of the two rates with Newcombe's
    (1998) hybrid score interval and the pooled two-proportion z test; the uplift in
    revenue per customer is the difference of the two means with Welch's t interval
    and test (Welch 1947). Both need the control group to be a random hold-out of the
    same audience: otherwise the difference is not the campaign's effect.

    Parameters
    ----------
    interactions : dataframe
        Canonical interactions with ``campaign_id``.
    transactions : dataframe
        Canonical transactions, the same kind of frame (DuckDB: the same connection).
    campaign_id : object
        The campaign to evaluate.
    control : collection of customer ids, or dataframe
        The hold-out group: customer ids (a list, set, array or Series), or a frame
        with a ``customer_id`` column (one row per customer, read like a canonical
        customers table, so ``columns=`` applies).
    window : timedelta, str or float, default 30 days
        The conversion window (a timedelta, ``"30D"``, or a number of days).
    confidence : float, default 0.95
        Level of both intervals.
    columns : mapping of str to str, optional
        Canonical name to your column name, for every table.

    Returns
    -------
    UpliftResult
        A frozen dataclass (scipy style).

    Raises
    ------
    ValueError
        When the campaign has no ``campaign_sent`` interaction or the control group
        is empty.

    Notes
    -----
    Sends and window purchases are aggregated per group in the caller's engine; the
    control ids are collected once (a list of customers) and moved into that engine.

    References
    ----------
    Newcombe, R. G. (1998), "Interval estimation for the difference between
    independent proportions: comparison of eleven methods", *Statistics in Medicine*
    17, 873-890. Welch, B. L. (1947), "The generalization of 'Student's' problem when
    several different population variances are involved", *Biometrika* 34, 28-35.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.marketing import campaign_uplift
    >>> i = pd.DataFrame({"customer_id": [1, 2, 3, 4], "kind": "campaign_sent",
    ...                   "timestamp": pd.Timestamp("2024-03-01"), "campaign_id": "C1"})
    >>> t = pd.DataFrame({"customer_id": [1, 2, 5, 1],
    ...                   "timestamp": pd.to_datetime(["2024-03-03", "2024-03-09",
    ...                                                "2024-03-04", "2024-06-01"]),
    ...                   "amount": [20.0, 30.0, 10.0, 50.0]})
    >>> r = campaign_uplift(i, t, campaign_id="C1", control=[5, 6, 7, 8])
    >>> r.conversion_rate_reached, r.conversion_rate_control, r.conversion_uplift
    (0.5, 0.25, 0.25)
    >>> r.revenue_uplift
    10.0
    >>> low, high = r.conversion_uplift_interval
    >>> round(low, 3), round(high, 3)
    (-0.32, 0.655)
    """
    z_value(confidence)
    span = read_window(window)
    inter, tx = campaign_tables(interactions, transactions, columns, "campaign_uplift")
    reached = first_sends(inter, campaign_id).drop("campaign_id")
    first = collect(reached.select(nw.col("start").min(), nw.len().alias("n")))
    if int(first["n"][0]) == 0:
        raise ValueError(f"campaign_id {campaign_id!r} has no 'campaign_sent' interaction")
    start = first["start"][0]
    reached_ids = set(collect(reached.select("customer_id"))["customer_id"].to_list())
    wanted = _control_ids(control, columns)
    held_out = [c for c in wanted if c not in reached_ids]
    n_overlap = len(wanted) - len(held_out)
    if n_overlap:
        from crmanalytics.errors import DataQualityWarning

        warnings.warn(
            DataQualityWarning(
                f"{n_overlap} control customers were reached by campaign {campaign_id!r}; "
                "they are counted as reached, not as control"
            ),
            stacklevel=2,
        )
    if not held_out:
        raise ValueError("the control group is empty (after removing reached customers)")
    outcome = window_outcomes(tx, reached, ["customer_id"], span, coupons=False)
    flagged = outcome.with_columns((nw.col("purchases") > 0).cast(nw.Int64).alias("hit"))
    stats = collect(
        flagged.select(
            nw.len().alias("n"),
            nw.col("hit").sum().alias("hits"),
            nw.col("revenue").mean().alias("mean"),
            nw.col("revenue").var(ddof=1).alias("var"),
        )
    )
    n1 = int(stats["n"][0])
    x1 = int(stats["hits"][0] or 0)
    m1 = float(stats["mean"][0])
    v1 = float(stats["var"][0]) if n1 > 1 else float("nan")
    x0, m0, v0 = _control_outcomes(tx, held_out, start, span)
    n0 = len(held_out)
    low, high = newcombe_difference(x1, n1, x0, n0, confidence)
    diff, (rlow, rhigh), rp = welch((n1, m1, v1), (n0, m0, v0), confidence)
    return UpliftResult(
        campaign_id=campaign_id,
        first_send=_wall_clock(start, inter),
        window=span,
        reached=n1,
        control=n0,
        converted_reached=x1,
        converted_control=x0,
        conversion_rate_reached=x1 / n1,
        conversion_rate_control=x0 / n0,
        conversion_uplift=x1 / n1 - x0 / n0,
        conversion_uplift_interval=ConfidenceInterval(low, high),
        conversion_pvalue=two_proportion_pvalue(x1, n1, x0, n0),
        revenue_per_customer_reached=m1,
        revenue_per_customer_control=m0,
        revenue_uplift=diff,
        revenue_uplift_interval=ConfidenceInterval(rlow, rhigh),
        revenue_pvalue=rp,
        confidence=confidence,
    )


def _control_ids(control: Any, columns: Mapping[str, str] | None) -> list[Any]:
    """The distinct control ids, in the order given."""
    if isinstance(control, str | bytes) or control is None:
        raise TypeError(
            "control must be a collection of customer ids or a frame with customer_id, "
            f"got {control!r}"
        )
    try:
        frame = from_native(control)
    except TypeError:
        frame = None
    if frame is not None:
        checked = validated(frame, "customers", columns=columns, purpose="campaign_uplift")
        ids = collect(checked.select("customer_id"))["customer_id"].to_list()
    elif isinstance(control, pd.Series):
        ids = control.drop_duplicates().tolist()
    else:
        ids = list(dict.fromkeys(control))
    if not ids:
        raise ValueError("control is empty: pass the ids of the customers held out")
    return ids


def _control_outcomes(
    tx: Any, ids: list[Any], start: Any, span: pd.Timedelta
) -> tuple[int, float, float]:
    """Converted count, mean and variance of window revenue over the control customers.

    The control's purchases in ``(start, start + span]`` are aggregated per customer in
    the engine and collected; customers without any count as 0.
    """
    inside = tx.filter(
        nw.col("customer_id").is_in(ids),
        nw.col("timestamp") > nw.lit(start),
        nw.col("timestamp") <= nw.lit(start) + span.to_pytimedelta(),
    )
    per = collect(
        inside.with_columns((nw.col("amount") > 0).cast(nw.Int64).alias("positive"))
        .group_by("customer_id")
        .agg(nw.col("amount").sum().alias("revenue"), nw.col("positive").sum())
    )
    revenue = np.zeros(len(ids))
    revenue[: len(per)] = per["revenue"].to_numpy().astype(np.float64)
    converted = int((per["positive"].to_numpy() > 0).sum())
    variance = float(revenue.var(ddof=1)) if len(ids) > 1 else float("nan")
    return converted, float(revenue.mean()), variance


def _wall_clock(start: object, frame: Any) -> pd.Timestamp:
    """The first send as the caller's wall-clock time (Spark hands back UTC instants)."""
    stamp = pd.Timestamp(start)  # type: ignore[arg-type]
    if stamp.tz is not None and frame.implementation.is_spark_like():
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp
