"""Leakage-free training data for churn early-warning models.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.churn import churn_dataset
>>> t = pd.DataFrame({
...     "customer_id": [1, 1, 2, 3],
...     "timestamp": pd.to_datetime(["2024-01-05", "2024-03-10", "2024-02-01", "2024-05-20"]),
...     "amount": [10.0, 12.0, 8.0, 5.0],
... })
>>> d = churn_dataset(t, cutoff="2024-02-29", horizon=60, p_alive=False)
>>> d[["customer_id", "days_since_last_purchase", "n_transactions", "churned"]]
   customer_id  days_since_last_purchase  n_transactions  churned
0            1                        55               1    False
1            2                        28               1     True
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._checks import whole_days
from crmanalytics._frames import DateLike, collect, epoch_day, lazy_like, to_caller, validated
from crmanalytics.churn._common import Cutoff, read_cutoff
from crmanalytics.churn.labels import label_frame, warn_if_censored
from crmanalytics.churn.probability import p_alive_expr
from crmanalytics.schema import NPS_KIND
from crmanalytics.value import BetaGeoModel, PurchaseModel

__all__ = ["COMPLAINT_KIND", "churn_dataset"]

_BTYD = ("frequency", "recency", "T")

#: The interaction kind counted as a complaint.
COMPLAINT_KIND = "complaint"


def churn_dataset(
    transactions: IntoFrameT,
    interactions: Any = None,
    *,
    cutoff: DateLike,
    horizon: int | dt.timedelta,
    windows: Sequence[int] = (30, 90),
    p_alive: bool = True,
    penalizer: float = 0.0,
    model: Any = None,
    columns: Mapping[str, str] | None = None,
) -> IntoFrameT:
    """One row per customer: features up to ``cutoff`` and the churn label after it.

    A customer is included when their first transaction is on or before ``cutoff``.
    Every feature is computed only from events (transactions and interactions) dated on
    or before ``cutoff``, so changing, adding or deleting anything after the cutoff
    never changes a feature; this is what makes the frame safe for training an
    early-warning model. A cutoff given as a date (or at midnight) is the whole
    calendar day, the cutoff date included; a cutoff with a time of day is honoured to
    the instant (an event at 14:00 on the cutoff day with a cutoff at 12:00 is in the
    future: it feeds no feature and labels the customer as returned). The label
    ``churned`` means no transaction in (cutoff, cutoff + horizon], as in
    :func:`churn_labels`.

    Features (days are whole calendar days before the cutoff's date):

    * ``tenure_days``, ``days_since_last_purchase``: since the first and last
      transaction;
    * ``n_transactions``, ``n_purchase_days``, ``total_amount``, ``mean_amount``
      (per transaction): recency, frequency and monetary value;
    * ``frequency``, ``recency``, ``T``: the BG/NBD summary in days (repeat purchase
      days, first-to-last and first-to-cutoff), same-day purchases counted once, as in
      :func:`crmanalytics.value.customer_summary` with ``observation_end=cutoff``;
    * ``p_alive`` (with ``p_alive=True``): P(alive at the cutoff) from a purchase
      model (by default :class:`~crmanalytics.value.BetaGeoModel`) fitted on that
      summary, i.e. on the
      history up to the cutoff only;
    * ``n_transactions_{w}d`` and ``amount_{w}d`` for each window w: activity in the
      w days ending on the cutoff;
    * ``spend_trend``: ``(S1 - S0) / (abs(S1) + abs(S0))`` in [-1, 1], S1 the amount in the
      longest window and S0 in the window of the same length just before it (0 when
      both are 0);
    * with ``interactions``: ``n_{kind}_{w}d`` per interaction kind and
      ``n_channel_{channel}_{w}d`` per channel (kinds and channels as they occur on or
      before the cutoff, lower-cased, other characters replaced by ``_``, in
      alphabetical order of those names),
      ``n_complaints`` (all ``"complaint"`` interactions), ``last_nps`` (the score of
      the latest ``"nps"`` answer, the mean if several share its timestamp; null when
      none) and ``days_since_last_nps``.

    Parameters
    ----------
    transactions : dataframe
        Canonical transactions in any supported backend.
    interactions : dataframe, optional
        Canonical interactions in the same backend (for DuckDB, the same connection).
    cutoff : date-like
        End of the history the features may use: a date (the whole day) or an
        instant.
    horizon : int or timedelta
        Length of the label window in whole days.
    windows : sequence of int, default (30, 90)
        Lengths in days of the recent windows for activity counts.
    p_alive : bool, default True
        Fit a BG/NBD model on the history up to the cutoff and add ``p_alive``. The
        fit needs a realistic customer base with repeat buyers (it raises
        :class:`~crmanalytics.errors.ConvergenceError` on a handful of customers, so
        the small examples here switch it off).
    penalizer : float, default 0.0
        Passed to :class:`~crmanalytics.value.BetaGeoModel` (try 0.001 to 0.1 when the
        fit does not converge); ignored when ``model`` is given.
    model : PurchaseModel, optional
        The purchase model behind ``p_alive``: any model satisfying
        :class:`~crmanalytics.value.PurchaseModel` with a ``fit(summary,
        time_unit=...)`` method, as every :mod:`crmanalytics.value` model has. A copy
        is fitted on the summary up to the cutoff (in days), so the model you pass is
        left untouched and nothing after the cutoff reaches it.
    columns : mapping of str to str, optional
        Canonical name to your column name, for both tables (names the other table
        declares are ignored), e.g. ``{"customer_id": "CustomerID"}``.

    Returns
    -------
    dataframe
        The caller's frame type (lazy stays lazy), sorted by ``customer_id``, with the
        features above and ``churned`` (boolean) last.

    Warns
    -----
    DataQualityWarning
        When cutoff + horizon is later than the last transaction (labels would be
        censored).

    Notes
    -----
    Everything runs in the caller's engine; the distinct interaction kinds and channels
    on or before the cutoff are collected to name the columns, and the BG/NBD fit
    collects the distinct (frequency, recency, T) rows with their counts. P(alive) is
    then evaluated as an expression in the engine.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.churn import churn_dataset
    >>> t = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "a"],
    ...     "timestamp": pd.to_datetime(
    ...         ["2024-01-01", "2024-01-20", "2024-01-25", "2024-03-15"]),
    ...     "amount": [10.0, 30.0, 5.0, 20.0],
    ... })
    >>> i = pd.DataFrame({
    ...     "customer_id": ["b", "b"],
    ...     "timestamp": pd.to_datetime(["2024-01-26", "2024-01-28"]),
    ...     "kind": ["complaint", "nps"],
    ...     "score": [None, 3.0],
    ... })
    >>> d = churn_dataset(t, i, cutoff="2024-01-31", horizon=44, windows=(14,), p_alive=False)
    >>> d[["customer_id", "frequency", "T", "amount_14d", "n_complaints", "last_nps"]]
      customer_id  frequency   T  amount_14d  n_complaints  last_nps
    0           a          1  30        30.0             0       NaN
    1           b          0   6         5.0             1       3.0
    >>> d["churned"].tolist()
    [False, True]
    """
    cut = read_cutoff(cutoff)
    days = whole_days(horizon, "horizon", minimum=1)
    spans = _windows(windows)
    frame = validated(transactions, "transactions", columns=columns, purpose="churn_dataset")
    inter = None
    if interactions is not None:
        inter = validated(interactions, "interactions", columns=columns, purpose="churn_dataset")
        if inter.implementation is not frame.implementation:
            raise TypeError(
                "interactions must be the same kind of frame as transactions "
                f"(got {inter.implementation} and {frame.implementation}); convert one"
            )
    warn_if_censored(frame, cut, days)

    features = _transaction_features(frame, cut, spans)
    if p_alive:
        features = _with_p_alive(features, model, penalizer)
    if inter is not None:
        features = _add_interaction_features(features, inter, cut, spans)
    labels = label_frame(frame, cut, days)
    result = features.join(labels, on="customer_id", how="left").sort("customer_id")
    return to_caller(result, transactions)


def _with_p_alive(features: Any, model: Any, penalizer: float) -> Any:
    """Add ``p_alive`` from a purchase model fitted on the cutoff summary (in days)."""
    if model is None:
        model = BetaGeoModel(penalizer=penalizer)
    elif not isinstance(model, PurchaseModel) or not callable(getattr(model, "fit", None)):
        raise TypeError(
            "model must be a purchase model with fit() and probability_alive(), such as "
            f"crmanalytics.value.BetaGeoModel(), got {type(model).__name__}"
        )
    fitted = copy.deepcopy(model).fit(features.select(*_BTYD), time_unit="D")
    if isinstance(fitted, BetaGeoModel):  # closed form: evaluated in the engine
        return features.with_columns(p_alive_expr(fitted.params_))
    # any other model: score the distinct (frequency, recency, T) rows, join back
    distinct = collect(features.select(*_BTYD).unique())
    alive = np.asarray(fitted.probability_alive(distinct.to_pandas()), dtype=np.float64)
    backend = distinct.implementation
    scored = distinct.with_columns(nw.new_series("p_alive", alive, nw.Float64, backend=backend))
    if isinstance(features, nw.LazyFrame):
        small: Any = lazy_like(scored, features)
    else:
        small = scored
    return features.join(small, on=list(_BTYD), how="left")


def _windows(windows: Sequence[int]) -> tuple[int, ...]:
    given: object = windows
    if not isinstance(given, Sequence) or isinstance(given, str) or not given:
        raise ValueError(f"windows must be a non-empty sequence of day counts, got {windows!r}")
    spans = tuple(whole_days(w, "windows", minimum=1) for w in windows)
    if len(set(spans)) != len(spans):
        raise ValueError(f"windows must not repeat a length, got {windows!r}")
    return spans


def _transaction_features(frame: Any, cutoff: Cutoff, spans: tuple[int, ...]) -> Any:
    longest = max(spans)
    cut = cutoff.day
    day = epoch_day("timestamp", frame)
    past = frame.filter(cutoff.past(frame)).select(
        nw.col("customer_id"), day.alias("_day"), nw.col("amount").cast(nw.Float64)
    )
    recent = {w: (nw.col("_day") > cut - w) for w in spans}
    previous = (nw.col("_day") > cut - 2 * longest) & (nw.col("_day") <= cut - longest)
    past = past.with_columns(
        *[recent[w].cast(nw.Int64).alias(f"n_transactions_{w}d") for w in spans],
        *[
            nw.when(recent[w]).then(nw.col("amount")).otherwise(0.0).alias(f"amount_{w}d")
            for w in spans
        ],
        nw.when(previous).then(nw.col("amount")).otherwise(0.0).alias("_amount_prev"),
    )
    window_cols = [f"n_transactions_{w}d" for w in spans] + [f"amount_{w}d" for w in spans]
    per_customer = past.group_by("customer_id").agg(
        nw.col("_day").min().alias("_first"),
        nw.col("_day").max().alias("_last"),
        nw.len().alias("n_transactions"),
        nw.col("_day").n_unique().alias("n_purchase_days"),
        nw.col("amount").sum().alias("total_amount"),
        *[nw.col(c).sum() for c in window_cols],
        nw.col("_amount_prev").sum(),
    )
    s1 = nw.col(f"amount_{longest}d")
    s0 = nw.col("_amount_prev")
    denominator = s1.abs() + s0.abs()
    return per_customer.with_columns(
        (cut - nw.col("_first")).alias("tenure_days"),
        (cut - nw.col("_last")).alias("days_since_last_purchase"),
        (nw.col("total_amount") / nw.col("n_transactions")).alias("mean_amount"),
        (nw.col("n_purchase_days") - 1).alias("frequency"),
        (nw.col("_last") - nw.col("_first")).alias("recency"),
        (cut - nw.col("_first")).alias("T"),
        nw.when(denominator > 0).then((s1 - s0) / denominator).otherwise(0.0).alias("spend_trend"),
    ).select(
        "customer_id",
        "tenure_days",
        "days_since_last_purchase",
        "n_transactions",
        "n_purchase_days",
        "total_amount",
        "mean_amount",
        "frequency",
        "recency",
        "T",
        *window_cols,
        "spend_trend",
    )


def _column_name(value: object) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(value).lower()).strip("_") or "blank"


def _distinct(frame: Any, column: str) -> list[str]:
    values = collect(frame.select(nw.col(column)).unique())[column].to_list()
    return sorted((str(v) for v in values if v is not None), key=lambda v: (_column_name(v), v))


def _add_interaction_features(
    features: Any, inter: Any, cutoff: Cutoff, spans: tuple[int, ...]
) -> Any:
    cut = cutoff.day
    schema = inter.collect_schema()
    day = epoch_day("timestamp", inter)
    cols = [nw.col("customer_id"), nw.col("timestamp"), day.alias("_day"), nw.col("kind")]
    has_channel = "channel" in schema
    has_score = "score" in schema
    if has_channel:
        cols.append(nw.col("channel").cast(nw.String))
    if has_score:
        cols.append(nw.col("score").cast(nw.Float64))
    past = inter.filter(cutoff.past(inter)).select(*cols)

    indicators: list[nw.Expr] = []
    names: list[str] = []
    groups: list[tuple[str, list[str]]] = [("kind", _distinct(past, "kind"))]
    if has_channel:
        groups.append(("channel", _distinct(past, "channel")))
    for column, values in groups:
        prefix = "n_" if column == "kind" else "n_channel_"
        for value in values:
            for w in spans:
                name = f"{prefix}{_column_name(value)}_{w}d"
                if name in names:
                    raise ValueError(
                        f"interactions column {column!r}: values differing only in case "
                        f"or punctuation both map to feature {name!r}; harmonise them"
                    )
                names.append(name)
                hit = (nw.col(column) == value).fill_null(value=False) & (nw.col("_day") > cut - w)
                indicators.append(hit.cast(nw.Int64).alias(name))
    is_complaint = (nw.col("kind") == COMPLAINT_KIND).fill_null(value=False)
    indicators.append(is_complaint.cast(nw.Int64).alias("n_complaints"))
    counts = (
        past.with_columns(*indicators)
        .group_by("customer_id")
        .agg(*[nw.col(n).sum() for n in [*names, "n_complaints"]])
    )

    count_names = [*names, "n_complaints"]
    out = features.join(counts, on="customer_id", how="left").with_columns(
        *[nw.col(n).fill_null(0).cast(nw.Int64) for n in count_names]
    )
    if has_score:
        nps = past.filter((nw.col("kind") == NPS_KIND).fill_null(value=False))
        latest = nps.group_by("customer_id").agg(nw.col("timestamp").max().alias("_latest"))
        last = (
            nps.join(latest, on="customer_id")
            .filter(nw.col("timestamp") == nw.col("_latest"))
            .group_by("customer_id")
            .agg(nw.col("score").mean().alias("last_nps"), nw.col("_day").max().alias("_nps_day"))
        )
        out = (
            out.join(last, on="customer_id", how="left")
            .with_columns((cut - nw.col("_nps_day")).alias("days_since_last_nps"))
            .drop("_nps_day")
        )
    else:
        out = out.with_columns(
            nw.lit(None, nw.Float64).alias("last_nps"),
            nw.lit(None, nw.Int64).alias("days_since_last_nps"),
        )
    return out
