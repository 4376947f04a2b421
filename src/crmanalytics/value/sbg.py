"""The shifted-beta-geometric (sBG) model of contractual retention (Fader & Hardie 2007).

In a contractual business (subscriptions, memberships, insurance) customers are seen
to leave. At the end of each period a customer renews or cancels; each has their own
cancellation probability ``theta``, constant over time, and across customers
``theta ~ Beta(alpha, beta)``. Heterogeneity alone makes the aggregate retention rate
rise with tenure (the most likely leavers leave first), which is why projecting a
cohort's survival with a constant rate undervalues it.

Fit on one row per customer with ``t`` (periods observed, at least 1) and ``churned``
(cancelled at the end of period ``t``, or still active after it);
:func:`subscription_summary` builds that frame from subscription start and end dates.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.value import ShiftedBetaGeoModel
>>> alive = [1000, 631, 468, 382, 326, 289, 262, 241]  # the paper's "regular" cohort
>>> rows = pd.DataFrame({
...     "t": list(range(1, 8)) + [7],
...     "churned": [True] * 7 + [False],
...     "weights": [a - b for a, b in zip(alive, alive[1:])] + [alive[-1]],
... })
>>> model = ShiftedBetaGeoModel().fit(rows, weights="weights")
>>> [round(v, 3) for v in model.params_], round(model.log_likelihood_, 2)
([0.704, 1.182], -1680.27)
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, NamedTuple, Self

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt
from narwhals.stable.v2.typing import IntoFrameT
from scipy.special import betaln

from crmanalytics._frames import (
    DateLike,
    TimeUnit,
    collect,
    day_to_timestamp,
    epoch_day,
    renamed,
    to_caller,
    to_day_number,
)
from crmanalytics._periods import check_period, period_of_day, with_period
from crmanalytics.errors import DataQualityWarning, Problem, SchemaError
from crmanalytics.value._base import ModelBase, summary_time_unit
from crmanalytics.value._bgbb_math import _d_betaln
from crmanalytics.value._fitting import fit_log_params
from crmanalytics.value._pareto_nbd_math import hyp_one

__all__ = ["ShiftedBetaGeoModel", "ShiftedBetaGeoParams", "subscription_summary"]

Array = npt.NDArray[np.float64]
_TABLE = "retention data"
_FIX = "build the frame with crmanalytics.value.subscription_summary"
_ADVICE = (
    "Check that the data hold both cancellations and customers still active, over more "
    "than one period, or try a small penalizer (ShiftedBetaGeoModel(penalizer=0.001))."
)


class ShiftedBetaGeoParams(NamedTuple):
    """sBG parameters: cancellation probabilities Beta(alpha, beta) across customers.

    Examples
    --------
    >>> from crmanalytics.value import ShiftedBetaGeoParams
    >>> ShiftedBetaGeoParams(alpha=0.704, beta=1.182).alpha
    0.704
    """

    alpha: float
    beta: float


def _log_lik_and_grad(
    log_params: Array, t: Array, churned: npt.NDArray[np.bool_], weights: Array
) -> tuple[float, Array]:
    """Weighted log-likelihood and gradient w.r.t. ``log(alpha), log(beta)``.

    Cancelled at the end of period ``t``: ``B(alpha+1, beta+t-1) / B(alpha, beta)``;
    still active after ``t``: ``S(t) = B(alpha, beta+t) / B(alpha, beta)``.
    """
    alpha, beta = np.exp(log_params)
    p = np.where(churned, alpha + 1.0, alpha)
    q = np.where(churned, beta + t - 1.0, beta + t)
    rows = betaln(p, q) - betaln(alpha, beta)
    d_p, d_q = _d_betaln(p, q)
    base_a, base_b = _d_betaln(alpha, beta)
    grad = np.array(
        [
            np.dot(weights, d_p) - weights.sum() * base_a,
            np.dot(weights, d_q) - weights.sum() * base_b,
        ]
    )
    return float(np.dot(weights, rows)), np.asarray(grad * np.array([alpha, beta]), np.float64)


def _as_periods(t: npt.ArrayLike, low: int) -> Array:
    values = np.atleast_1d(np.asarray(t, dtype=np.float64))
    if np.any(~np.isfinite(values) | (values < low) | (values != np.round(values))):
        raise ValueError(f"t must hold whole numbers of periods >= {low}, got {t!r}")
    return values


def _check_discount(discount: float) -> float:
    value = float(discount)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"discount must be a rate > 0 per period (e.g. 0.1), got {discount!r}")
    return value


class ShiftedBetaGeoModel(ModelBase):
    """Shifted-beta-geometric model: survival and retention of subscribers by tenure.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty ``penalizer * (alpha**2 + beta**2)`` added to the mean negative
        log-likelihood.

    Attributes
    ----------
    params_ : ShiftedBetaGeoParams
        Maximum likelihood estimates.
    log_likelihood_ : float
        Log-likelihood at the estimates (without the penalty).
    n_customers_ : float
        Number of customers (sum of weights) fitted.

    Notes
    -----
    A customer cancels at the end of period ``t`` with probability
    ``P(T = t) = B(alpha+1, beta+t-1) / B(alpha, beta)``, survives ``t`` periods with
    ``S(t) = B(alpha, beta+t) / B(alpha, beta)``, and the retention rate of period ``t``
    is ``r_t = (beta+t-1) / (alpha+beta+t-1)``, rising with ``t``. This is not a
    purchase model: it answers retention questions (no ``PurchaseModel`` methods).

    References
    ----------
    Fader, P. S. and Hardie, B. G. S. (2007). "How to project customer retention."
    *Journal of Interactive Marketing* 21(1).
    Fader, P. S. and Hardie, B. G. S. (2010). "Customer-base valuation in a contractual
    setting: the perils of ignoring heterogeneity." *Marketing Science* 29(1).

    Examples
    --------
    >>> from crmanalytics.value import ShiftedBetaGeoModel, ShiftedBetaGeoParams
    >>> m = ShiftedBetaGeoModel.from_params(ShiftedBetaGeoParams(0.704, 1.182))
    >>> (1000 * m.survival([1, 2, 7])).round(0)
    array([627., 474., 239.])
    """

    params_type = ShiftedBetaGeoParams
    model_name = "sBG"

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    def fit(
        self,
        data: Any,
        *,
        weights: str | None = None,
        time_unit: TimeUnit | None = None,
        columns: Mapping[str, str] | None = None,
    ) -> Self:
        """Estimate ``(alpha, beta)`` by maximum likelihood.

        Parameters
        ----------
        data : dataframe
            Columns ``t`` (whole periods observed, >= 1) and ``churned`` (boolean or
            0/1: cancelled at the end of period ``t``), any backend.
        weights : str, optional
            Name of a column counting how many customers each row stands for.
        time_unit : {"D", "W"}, optional
            Recorded in ``time_unit_`` when a period is a day or a week.
        columns : mapping of str to str, optional
            Expected name to the frame's name, e.g. ``{"t": "tenure"}``.

        Returns
        -------
        ShiftedBetaGeoModel
            ``self``, fitted.

        Raises
        ------
        SchemaError
            When a column is missing or breaks a rule.
        ConvergenceError
            When the optimiser does not reach an optimum; the message says what to try.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmanalytics.value import ShiftedBetaGeoModel
        >>> alive = [1000, 869, 743, 653, 593, 551, 517, 491]  # the paper's "high end"
        >>> rows = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 7],
        ...                      "churned": [1, 1, 1, 1, 1, 1, 1, 0],
        ...                      "n": [a - b for a, b in zip(alive, alive[1:])] + [491]})
        >>> model = ShiftedBetaGeoModel().fit(rows, weights="n")
        >>> [round(v, 3) for v in model.params_], round(model.log_likelihood_, 2)
        ([0.668, 3.806], -1611.16)
        """
        needs = ["t", "churned", *([weights] if weights is not None else [])]
        frame = renamed(
            data, columns=columns, needs=needs, table=_TABLE, purpose="ShiftedBetaGeoModel.fit"
        )
        weight = nw.len() if weights is None else nw.col(weights).sum()
        grouped = collect(
            frame.with_columns(nw.col("churned").cast(nw.Int64))
            .group_by("t", "churned")
            .agg(weight.alias("_weight"))
        ).sort("t", "churned")
        t = grouped["t"].to_numpy().astype(np.float64)
        flags = grouped["churned"].to_numpy().astype(np.float64)
        w = grouped["_weight"].to_numpy().astype(np.float64)
        problems = []
        bad_t = ~np.isfinite(t) | (t < 1) | (t != np.round(t))
        if np.any(bad_t):
            problems.append(
                Problem(
                    "t",
                    "must be a whole number of periods >= 1",
                    int(bad_t.sum()),
                    tuple(t[bad_t][:5].tolist()),
                    _FIX,
                )
            )
        bad_c = ~np.isin(flags, [0.0, 1.0])
        if np.any(bad_c):
            problems.append(
                Problem(
                    "churned",
                    "must be true/false (or 1/0)",
                    int(bad_c.sum()),
                    tuple(flags[bad_c][:5].tolist()),
                    _FIX,
                )
            )
        if weights is not None and (not np.all(np.isfinite(w)) or np.any(w < 0)):
            problems.append(
                Problem(weights, "weights must be finite and >= 0", 0, fix="repair the weights")
            )
        if problems:
            raise SchemaError(_TABLE, problems)
        keep = w > 0
        t, churned, w = t[keep], flags[keep] > 0, w[keep]
        total = float(w.sum())
        if total <= 0 or not np.any(churned) or np.all(churned & (t == 1)):
            raise ValueError(
                "cannot fit ShiftedBetaGeoModel: the data need cancellations and customers "
                "who renewed at least once"
            )
        result = fit_log_params(
            lambda lp: _log_lik_and_grad(lp, t, churned, w),
            [np.zeros(2), np.log([0.5, 2.0])],
            total_weight=total,
            penalizer=self.penalizer,
            model=self.model_name,
            advice=_ADVICE,
        )
        self._record_fit(result, total, summary_time_unit(data, time_unit))
        return self

    def survival(self, t: npt.ArrayLike) -> Array:
        """S(t): probability that a new customer is still active after ``t`` periods.

        Parameters
        ----------
        t : int or array-like of int
            Periods (>= 0); ``S(0) = 1``.

        Returns
        -------
        numpy.ndarray
            One probability per ``t``.

        Examples
        --------
        >>> from crmanalytics.value import ShiftedBetaGeoModel, ShiftedBetaGeoParams
        >>> m = ShiftedBetaGeoModel.from_params(ShiftedBetaGeoParams(0.668, 3.806))
        >>> m.survival([0, 1, 12]).round(3)
        array([1.   , 0.851, 0.378])
        """
        alpha, beta = self.param_array()
        periods = _as_periods(t, 0)
        return np.asarray(np.exp(betaln(alpha, beta + periods) - betaln(alpha, beta)), np.float64)

    def probability_of_churn(self, t: npt.ArrayLike) -> Array:
        """P(T = t): probability that a new customer cancels at the end of period ``t``.

        Parameters
        ----------
        t : int or array-like of int
            Periods (>= 1).

        Returns
        -------
        numpy.ndarray
            ``S(t-1) - S(t)`` for each ``t``.

        Examples
        --------
        >>> from crmanalytics.value import ShiftedBetaGeoModel, ShiftedBetaGeoParams
        >>> m = ShiftedBetaGeoModel.from_params(ShiftedBetaGeoParams(0.704, 1.182))
        >>> m.probability_of_churn([1, 2]).round(3)
        array([0.373, 0.153])
        """
        alpha, beta = self.param_array()
        periods = _as_periods(t, 1)
        return np.asarray(
            np.exp(betaln(alpha + 1.0, beta + periods - 1.0) - betaln(alpha, beta)), np.float64
        )

    def retention_rate(self, t: npt.ArrayLike) -> Array:
        """Retention rate of period ``t``: ``S(t) / S(t-1) = (beta+t-1) / (alpha+beta+t-1)``.

        Parameters
        ----------
        t : int or array-like of int
            Periods (>= 1).

        Returns
        -------
        numpy.ndarray
            The share of customers active after ``t - 1`` periods who renew again.

        Examples
        --------
        >>> from crmanalytics.value import ShiftedBetaGeoModel, ShiftedBetaGeoParams
        >>> m = ShiftedBetaGeoModel.from_params(ShiftedBetaGeoParams(0.704, 1.182))
        >>> m.retention_rate([1, 2, 7]).round(3)
        array([0.627, 0.756, 0.911])
        """
        alpha, beta = self.param_array()
        periods = _as_periods(t, 1)
        return np.asarray((beta + periods - 1.0) / (alpha + beta + periods - 1.0), np.float64)

    def expected_lifetime(self) -> float:
        """Mean number of periods until a new customer cancels, ``E[T] = sum_t>=0 S(t)``.

        Equal to ``(alpha+beta-1)/(alpha-1)`` when ``alpha > 1``; infinite otherwise (the
        most loyal customers stay so long that the mean diverges: use
        :meth:`discounted_expected_lifetime` then).

        Returns
        -------
        float
            Periods, counting the first.

        Examples
        --------
        >>> from crmanalytics.value import ShiftedBetaGeoModel, ShiftedBetaGeoParams
        >>> ShiftedBetaGeoModel.from_params(ShiftedBetaGeoParams(2.0, 3.0)).expected_lifetime()
        4.0
        >>> ShiftedBetaGeoModel.from_params(ShiftedBetaGeoParams(0.704, 1.182)).expected_lifetime()
        inf
        """
        alpha, beta = self.param_array()
        return float((alpha + beta - 1.0) / (alpha - 1.0)) if alpha > 1.0 else float("inf")

    def discounted_expected_lifetime(self, discount: float) -> float:
        """DEL: expected discounted number of payments of a new customer.

        ``sum_{t>=0} S(t) / (1+d)^t = 2F1(1, beta; alpha+beta; 1/(1+d))``, the first
        payment (at acquisition) undiscounted (Fader & Hardie 2010). Multiply by the
        margin per period for a customer's expected lifetime value.

        Parameters
        ----------
        discount : float
            Discount rate per period (> 0).

        Returns
        -------
        float

        Examples
        --------
        >>> from crmanalytics.value import ShiftedBetaGeoModel, ShiftedBetaGeoParams
        >>> m = ShiftedBetaGeoModel.from_params(ShiftedBetaGeoParams(0.704, 1.182))
        >>> round(m.discounted_expected_lifetime(0.1), 3)
        3.695
        """
        alpha, beta = self.param_array()
        z = 1.0 / (1.0 + _check_discount(discount))
        hyp = hyp_one(np.array([beta]), np.array([alpha]), np.array([z]))
        return float(np.exp(hyp.log_f[0]))

    def discounted_residual_lifetime(self, t: npt.ArrayLike, *, discount: float) -> Array:
        """DERL: expected discounted number of future renewals of a customer active after ``t``.

        For a customer who has renewed ``t`` times (still active after ``t`` periods),
        ``sum_{k>=0} S(t+1+k)/S(t) / (1+d)^k``, the next renewal undiscounted. Fader &
        Hardie (2010) give the closed form ``B(alpha, beta+t+1)/B(alpha, beta+t)
        2F1(1, beta+t+1; alpha+beta+t+1; 1/(1+d))``, evaluated here with a series of
        positive terms. Multiply by the margin per period for the customer's
        residual value.

        Parameters
        ----------
        t : int or array-like of int
            Renewals made so far (>= 0).
        discount : float
            Discount rate per period (> 0).

        Returns
        -------
        numpy.ndarray
            One value per ``t``.

        Examples
        --------
        >>> from crmanalytics.value import ShiftedBetaGeoModel, ShiftedBetaGeoParams
        >>> m = ShiftedBetaGeoModel.from_params(ShiftedBetaGeoParams(0.704, 1.182))
        >>> m.discounted_residual_lifetime([0, 1, 4], discount=0.1).round(3)
        array([2.965, 4.103, 5.894])
        """
        alpha, beta = self.param_array()
        periods = _as_periods(t, 0)
        z = np.full(periods.shape, 1.0 / (1.0 + _check_discount(discount)))
        hyp = hyp_one(beta + periods + 1.0, np.full(periods.shape, alpha), z)
        lead = betaln(alpha, beta + periods + 1.0) - betaln(alpha, beta + periods)
        return np.asarray(np.exp(lead + hyp.log_f), np.float64)


def _datetime(frame: Any, name: str) -> nw.Expr:
    dtype = frame.collect_schema()[name]
    expr = nw.col(name)
    if dtype == nw.String:
        expr = expr.str.to_datetime()
    elif dtype == nw.Date:
        expr = expr.cast(nw.Datetime("us"))
    return expr


def subscription_summary(
    subscriptions: IntoFrameT,
    *,
    start: str = "start",
    end: str = "end",
    period: str = "M",
    observation_end: DateLike | None = None,
    columns: Mapping[str, str] | None = None,
) -> IntoFrameT:
    """Turn subscription start and end dates into the ``(t, churned)`` frame of the sBG model.

    One row per subscription. Calendar periods (``"M"`` months by default, ``"Y"``,
    ``"Q"``, ``"W"`` ISO weeks, ``"D"``) are counted from the period of ``start``
    (the first period is 1):

    - a subscription whose ``end`` falls in its ``k``-th period, on or before
      ``observation_end``, cancelled at the end of period ``t = k``
      (``churned = True``);
    - one still running at ``observation_end`` (no ``end``, or a later one) is active
      after the ``t`` periods before the one holding ``observation_end``
      (``churned = False``). Subscriptions that started in that last period have no
      renewal to show yet and are left out, as are those starting after
      ``observation_end``; a :class:`~crmanalytics.errors.DataQualityWarning` counts them.

    A cancellation inside the period holding ``observation_end`` counts, while the
    subscriptions still running then count as active only through the period before:
    with ``observation_end`` early in a period (its first days), the two agree with
    the model's timing exactly.

    Parameters
    ----------
    subscriptions : dataframe
        One row per subscription with a start date and an end (cancellation) date,
        null while active; other columns (``customer_id``, ...) are carried along.
    start, end : str
        Names of the start and end columns (datetimes, dates or ISO strings).
    period : {"M", "Y", "Q", "W", "D"}, default "M"
        The renewal period.
    observation_end : date-like, optional
        The day the data describe; by default the latest start or end date.
    columns : mapping of str to str, optional
        Expected name to the caller's name for the columns carried along, e.g.
        ``{"customer_id": "account"}``.

    Returns
    -------
    dataframe
        The caller's other columns, then ``t`` (int) and ``churned`` (bool), in the
        caller's frame type; ready for :meth:`ShiftedBetaGeoModel.fit`.

    Raises
    ------
    SchemaError
        When a start date is missing or an end date precedes its start.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.value import subscription_summary
    >>> subs = pd.DataFrame({
    ...     "customer_id": [1, 2, 3],
    ...     "start": pd.to_datetime(["2024-01-15", "2024-01-03", "2024-02-10"]),
    ...     "end": pd.to_datetime(["2024-03-20", None, None]),
    ... })
    >>> subscription_summary(subs, observation_end="2024-06-30")
       customer_id  t  churned
    0            1  3     True
    1            2  5    False
    2            3  4    False
    """
    chosen = check_period(period)
    frame: Any = renamed(
        subscriptions,
        columns=columns,
        needs=[start, end],
        table="subscriptions",
        purpose="subscription_summary",
    )
    carried = [c for c in frame.collect_schema().names() if c not in (start, end)]
    frame = frame.with_columns(
        _datetime(frame, start).alias("_start"), _datetime(frame, end).alias("_end")
    )
    checks = collect(
        frame.select(
            nw.col("_start").is_null().cast(nw.Int64).sum().alias("no_start"),
            (nw.col("_end") < nw.col("_start"))
            .fill_null(value=False)
            .cast(nw.Int64)
            .sum()
            .alias("reversed"),
            nw.col("_start").max().alias("last_start"),
            nw.col("_end").max().alias("last_end"),
        )
    )
    problems = []
    if int(checks["no_start"][0]):
        problems.append(
            Problem(
                start,
                "is required but missing in some rows",
                int(checks["no_start"][0]),
                fix=f"fill or drop rows without {start}",
            )
        )
    if int(checks["reversed"][0] or 0):
        problems.append(
            Problem(
                end,
                f"must not precede {start}",
                int(checks["reversed"][0]),
                fix=f"check the {end} dates",
            )
        )
    if problems:
        raise SchemaError("subscriptions", problems)
    if observation_end is not None:
        obs_day = to_day_number(observation_end)
    else:
        seen = [v for v in (checks["last_start"][0], checks["last_end"][0]) if v is not None]
        if not seen:
            raise ValueError("subscriptions is empty: nothing to summarise")
        obs_day = max(to_day_number(v) for v in seen)
    last = period_of_day(obs_day, chosen)
    # an open subscription is still running after observation_end
    frame = frame.with_columns(
        nw.col("_end").fill_null(day_to_timestamp(obs_day + 1).to_pydatetime())
    )
    frame = frame.with_columns(
        epoch_day("_start", frame).alias("_sd"), epoch_day("_end", frame).alias("_ed")
    )
    frame = with_period(with_period(frame, "_sd", chosen, "_ps"), "_ed", chosen, "_pe")
    churned = nw.col("_ed") <= obs_day
    frame = frame.with_columns(
        churned.alias("churned"),
        nw.when(churned)
        .then(nw.col("_pe") - nw.col("_ps") + 1)
        .otherwise(nw.lit(last) - nw.col("_ps"))
        .cast(nw.Int64)
        .alias("t"),
    )
    left_out = int(collect(frame.filter(nw.col("t") < 1).select(nw.len())).item(0, 0))
    if left_out:
        warnings.warn(
            DataQualityWarning(
                f"{left_out} subscription{'s' if left_out != 1 else ''} started in the period "
                "of observation_end or later and are left out (no renewal observed yet)"
            ),
            stacklevel=2,
        )
    result = frame.filter(nw.col("t") >= 1).select(*carried, "t", "churned")
    return to_caller(result, subscriptions)
