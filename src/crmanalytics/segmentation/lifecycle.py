"""Lifecycle stages: prospect, new, active, at risk, churned, reactivated.

Examples
--------
>>> from crmanalytics.segmentation import LIFECYCLE_STAGES
>>> LIFECYCLE_STAGES
('prospect', 'new', 'active', 'at risk', 'churned', 'reactivated')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import narwhals.stable.v2 as nw
from narwhals.stable.v2.typing import IntoFrame, IntoFrameT

from crmanalytics._checks import is_int, is_number
from crmanalytics._frames import DateLike, epoch_day, to_caller, to_day_number, validated
from crmanalytics.errors import Problem, SchemaError

__all__ = ["LIFECYCLE_STAGES", "lifecycle_stages"]

#: Every stage :func:`lifecycle_stages` can assign, in the order of the rules.
LIFECYCLE_STAGES = ("prospect", "new", "active", "at risk", "churned", "reactivated")


def _positive(value: object, name: str) -> None:
    if value is not None and not (is_number(value) and float(value) > 0):  # type: ignore[arg-type]
        raise ValueError(f"{name} must be a positive number of days or multiple, got {value!r}")


def lifecycle_stages(
    customers: IntoFrameT,
    transactions: IntoFrame,
    *,
    columns: Mapping[str, str] | None = None,
    observation_end: DateLike | None = None,
    at_risk_multiple: float = 1.5,
    churn_multiple: float = 3.0,
    gap_days: float | None = None,
    new_days: float | None = None,
    min_gaps: int = 2,
) -> IntoFrameT:
    """Place every customer in a lifecycle stage as of ``observation_end``.

    Parameters
    ----------
    customers : dataframe
        Canonical customers (``customer_id``): the known customer base, including
        those who never bought.
    transactions : dataframe
        Canonical transactions, in the same backend as ``customers``.
    columns : mapping of str to str, optional
        Canonical name to your column name, one mapping for both tables, e.g.
        ``{"customer_id": "CustomerID", "timestamp": "InvoiceDate"}``.
    observation_end : date-like, optional
        The day the stages describe; later rows are ignored. Default: the last day
        with any transaction.
    at_risk_multiple : float, default 1.5
        A customer is *at risk* once the days since their last purchase exceed this
        multiple of their typical gap.
    churn_multiple : float, default 3.0
        ... and *churned* once they exceed this multiple. Must be larger than
        ``at_risk_multiple``.
    gap_days : float, optional
        A fixed typical gap (days) for everyone, replacing the data-driven one.
    new_days : float, optional
        A customer whose first purchase is fewer than this many days before
        ``observation_end`` is *new*. Default: the population gap (below), or
        ``gap_days`` when given.
    min_gaps : int, default 2
        Gaps a customer needs (before their latest purchase) for their own typical
        gap to be used instead of the population gap.

    Returns
    -------
    dataframe
        Same type as ``customers`` (lazy stays lazy; pandas with a fresh ``0..n-1``
        index), one row per customer found in ``customers`` or
        ``transactions``, sorted by ``customer_id``, with ``n_purchases`` (distinct
        purchase days), ``tenure`` (days since the first purchase), ``recency``
        (days since the last purchase), ``last_gap`` (days between the last two
        purchase days), ``typical_gap`` (days) and ``stage``. Columns that do not
        apply are null (NaN in pandas): ``tenure``, ``recency`` and ``typical_gap``
        for prospects, ``last_gap`` for customers with one purchase day.

    Notes
    -----
    A purchase is a row with ``amount > 0``; purchase days are calendar days.

    *Typical gap.* A customer's own typical gap is the mean gap between their
    purchase days *before* the latest one, ``(previous - first) / (n - 2)``, used
    when it rests on at least ``min_gaps`` gaps; the latest gap is left out so that a
    long lapse does not hide itself. Everyone else gets the *population gap*: the
    median, over customers with two or more purchase days, of their mean gap
    ``(last - first) / (n - 1)``.

    *Stages*, the first rule that applies wins:

    1. **prospect**: no purchase up to ``observation_end`` (only in ``customers``,
       or only returns or zero-priced rows);
    2. **new**: first purchase fewer than ``new_days`` days ago;
    3. **churned**: recency > ``churn_multiple`` x typical gap;
    4. **at risk**: recency > ``at_risk_multiple`` x typical gap;
    5. **reactivated**: the last gap was longer than ``churn_multiple`` x typical
       gap (they had lapsed and came back);
    6. **active**: everyone else.

    When no customer has bought on two different days the population gap is
    undefined: pass ``gap_days``, or the stage of purchasers is null.

    Everything runs in the caller's engine (joins and group-bys; no window
    functions), nothing is collected.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.segmentation import lifecycle_stages
    >>> days = {
    ...     "a": ["2024-01-01", "2024-01-11", "2024-01-21", "2024-01-31"],  # steady, 10 days
    ...     "b": ["2024-01-01", "2024-01-11", "2024-01-21"],  # 20 days quiet
    ...     "c": ["2024-01-01"],  # one purchase, 40 days ago
    ...     "d": ["2024-01-02", "2024-01-04", "2024-01-06", "2024-02-09"],  # came back
    ...     "e": ["2024-02-08"],  # first purchase 2 days ago
    ... }
    >>> tx = pd.DataFrame(
    ...     [(c, pd.Timestamp(d), 10.0) for c, ds in days.items() for d in ds],
    ...     columns=["customer_id", "timestamp", "amount"],
    ... )
    >>> customers = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "e", "f"]})
    >>> out = lifecycle_stages(customers, tx, observation_end="2024-02-10")
    >>> out[["customer_id", "typical_gap", "stage"]]
      customer_id  typical_gap        stage
    0           a         10.0       active
    1           b         10.0      at risk
    2           c         10.0      churned
    3           d          2.0  reactivated
    4           e         10.0          new
    5           f          NaN     prospect
    """
    for value, name in (
        (at_risk_multiple, "at_risk_multiple"),
        (churn_multiple, "churn_multiple"),
        (gap_days, "gap_days"),
        (new_days, "new_days"),
    ):
        _positive(value, name)
    if not churn_multiple > at_risk_multiple:
        raise ValueError(
            f"churn_multiple ({churn_multiple!r}) must be larger than "
            f"at_risk_multiple ({at_risk_multiple!r})"
        )
    if not is_int(min_gaps) or min_gaps < 1:
        raise ValueError(f"min_gaps must be a positive integer, got {min_gaps!r}")
    # Typed as Any: narwhals' join/concat want one concrete (eager or lazy) frame type.
    base: Any = validated(customers, "customers", columns=columns, purpose="lifecycle_stages")
    tx: Any = validated(transactions, "transactions", columns=columns, purpose="lifecycle_stages")
    _check_compatible(base, tx)

    tx = tx.with_columns(epoch_day("timestamp", tx).alias("_day"))
    if observation_end is not None:
        tx = tx.filter(nw.col("_day") <= to_day_number(observation_end))
        ends = tx.select(nw.lit(to_day_number(observation_end)).alias("_end")).head(1)
    else:
        ends = tx.select(nw.col("_day").max().alias("_end"))

    purchase_days = tx.filter(nw.col("amount") > 0).select("customer_id", "_day").unique()
    stats = purchase_days.group_by("customer_id").agg(
        nw.col("_day").min().alias("_first"),
        nw.col("_day").max().alias("_last"),
        nw.len().alias("n_purchases"),
    )
    previous = (
        purchase_days.join(stats.select("customer_id", "_last"), on="customer_id")
        .filter(nw.col("_day") < nw.col("_last"))
        .group_by("customer_id")
        .agg(nw.col("_day").max().alias("_prev"))
    )
    n = nw.col("n_purchases")
    stats = stats.join(previous, on="customer_id", how="left").with_columns(
        nw.when(n >= 2).then((nw.col("_last") - nw.col("_first")) / (n - 1)).alias("_mean_gap"),
        nw.when(n - 2 >= min_gaps)
        .then((nw.col("_prev") - nw.col("_first")) / (n - 2))
        .alias("_own_gap"),
    )
    population = stats.filter(~nw.col("_mean_gap").is_null()).select(
        nw.col("_mean_gap").quantile(0.5, interpolation="linear").alias("_pop_gap")
    )
    stats = stats.join(population, how="cross").join(ends, how="cross")

    gap = (
        nw.lit(float(gap_days))
        if gap_days is not None
        else nw.coalesce(nw.col("_own_gap"), nw.col("_pop_gap"))
    )
    window = (
        nw.lit(float(new_days))
        if new_days is not None
        else (nw.lit(float(gap_days)) if gap_days is not None else nw.col("_pop_gap"))
    )
    stats = stats.select(
        "customer_id",
        n.cast(nw.Int64),
        (nw.col("_end") - nw.col("_first")).cast(nw.Int64).alias("tenure"),
        (nw.col("_end") - nw.col("_last")).cast(nw.Int64).alias("recency"),
        (nw.col("_last") - nw.col("_prev")).alias("last_gap"),
        gap.cast(nw.Float64).alias("typical_gap"),
        window.cast(nw.Float64).alias("_window"),
    )

    ids = nw.concat([base.select("customer_id"), tx.select("customer_id")]).unique()
    table = ids.join(stats, on="customer_id", how="left")
    typical = nw.col("typical_gap")
    stage = _label(
        [
            (nw.col("n_purchases").is_null(), "prospect"),
            (typical.is_null() | nw.col("_window").is_null(), None),
            (nw.col("tenure") < nw.col("_window"), "new"),
            (nw.col("recency") > typical * churn_multiple, "churned"),
            (nw.col("recency") > typical * at_risk_multiple, "at risk"),
            (nw.col("last_gap").fill_null(0) > typical * churn_multiple, "reactivated"),
        ],
        otherwise="active",
    )
    result = (
        table.with_columns(
            nw.col("n_purchases").fill_null(0).cast(nw.Int64),
            stage.alias("stage"),
        )
        .select(
            "customer_id", "n_purchases", "tenure", "recency", "last_gap", "typical_gap", "stage"
        )
        .sort("customer_id")
    )
    return to_caller(result, customers)


def _label(rules: list[tuple[nw.Expr, str | None]], *, otherwise: str) -> nw.Expr:
    """First-match-wins chain of ``when(condition).then(label)``."""
    expr: nw.Expr = nw.lit(otherwise, dtype=nw.String)
    for condition, label in reversed(rules):
        expr = nw.when(condition).then(nw.lit(label, dtype=nw.String)).otherwise(expr)
    return expr


def _check_compatible(customers: Any, transactions: Any) -> None:
    """Raise unless both frames share a backend and the type of ``customer_id``."""
    if customers.implementation != transactions.implementation:
        raise TypeError(
            "customers and transactions must be the same kind of dataframe, got "
            f"{customers.implementation} and {transactions.implementation}; convert one"
        )
    left = customers.collect_schema()["customer_id"]
    right = transactions.collect_schema()["customer_id"]
    if left != right:
        raise SchemaError(
            "customers",
            [
                Problem(
                    "customer_id",
                    f"has type {left} here but {right} in transactions",
                    0,
                    (),
                    "cast both customer_id columns to the same type",
                )
            ],
        )
