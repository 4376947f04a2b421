"""Customer lifetime value from a purchase model and a spend model.

Time units are carried, never assumed: ``period_length`` is a calendar span
(``"30D"``, ``pd.Timedelta``, ``datetime.timedelta``) converted with the unit the
purchase model was fitted in, or a bare number in that unit.

Examples
--------
>>> from crmanalytics.datasets import load_cdnow
>>> from crmanalytics.value import (BetaGeoModel, GammaGammaModel, customer_summary,
...                                 customer_lifetime_value)
>>> s = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
>>> clv = customer_lifetime_value(s, BetaGeoModel().fit(s), GammaGammaModel().fit(s),
...                               periods=12, period_length=4.345)
>>> clv.head(3).round(2)
   customer_id    clv
0            1  36.27
1            2   4.64
2            3   8.34
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeAlias

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._frames import collect, from_native, time_unit_days, to_caller
from crmanalytics.value._base import summary_time_unit
from crmanalytics.value._inputs import (
    Array,
    Columns,
    model_covariates,
    read_summary,
    score_rows,
    scored_frame,
    summary_frame,
)
from crmanalytics.value._protocols import PurchaseModel, SpendModel
from crmanalytics.value._uncertainty import check_interval, delta_interval, log_parameter_covariance
from crmanalytics.value.gamma_gamma import GammaGammaModel

__all__ = ["clv_by_period", "customer_lifetime_value", "period_length_in_units"]

#: A period length: a calendar span, or a number in the purchase model's time unit.
PeriodLength: TypeAlias = str | pd.Timedelta | dt.timedelta | np.timedelta64 | float | int

_NAMES = ("frequency", "recency", "T", "monetary_value")
_UNIT_ADVICE = (
    "tell the model its unit: fit(summary, time_unit='W') (or 'D'), or "
    "Model.from_params(params, time_unit='W'); or give period_length as a number in "
    "the model's own unit"
)


def period_length_in_units(
    period_length: PeriodLength, purchase_model: Any, summary: Any = None
) -> float:
    """A period length in the purchase model's time unit.

    A calendar span (``"30D"``, ``"4W"``, ``pd.Timedelta``, ``datetime.timedelta``)
    is converted with the unit the model was fitted in (``time_unit_``), else the unit
    the summary carries; a bare number is already in the model's unit.

    Raises
    ------
    ValueError
        For a span when neither the model nor the summary knows its time unit (the
        message says how to give it), when the two disagree, or for a length <= 0.

    Examples
    --------
    >>> from crmanalytics.value import BetaGeoModel, BetaGeoParams
    >>> from crmanalytics.value.clv import period_length_in_units
    >>> weekly = BetaGeoModel.from_params(BetaGeoParams(0.243, 4.414, 0.793, 2.426),
    ...                                   time_unit="W")
    >>> period_length_in_units("28D", weekly), period_length_in_units(4.0, weekly)
    (4.0, 4.0)
    """
    model_unit = getattr(purchase_model, "time_unit_", None)
    summary_unit = summary_time_unit(summary) if summary is not None else None
    if model_unit is not None and summary_unit is not None and model_unit != summary_unit:
        raise ValueError(
            f"the purchase model was fitted in time unit {model_unit!r} but the summary is "
            f"in {summary_unit!r}; summarise the transactions with "
            f"customer_summary(..., time_unit={model_unit!r})"
        )
    if isinstance(period_length, bool):
        raise TypeError("period_length must be a calendar span such as '30D' or a number")
    if not isinstance(period_length, np.timedelta64) and isinstance(
        period_length, int | float | np.integer | np.floating
    ):
        length = float(period_length)
    else:
        try:
            span = pd.Timedelta(period_length)
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"period_length {period_length!r} is not a calendar span pandas.Timedelta "
                "reads (such as '30D', '4W' or datetime.timedelta(days=30)) nor a number"
            ) from exc
        unit = model_unit or summary_unit
        if unit is None:
            raise ValueError(
                f"period_length={period_length!r} is a calendar span, but the purchase "
                f"model's time unit is not known, so it cannot be converted: {_UNIT_ADVICE}"
            )
        length = span / pd.Timedelta(days=1) / time_unit_days(unit)
    if not np.isfinite(length) or length <= 0:
        raise ValueError(f"period_length must be > 0, got {period_length!r}")
    return length


def _check_options(periods: int, discount_rate: float) -> None:
    if int(periods) != periods or periods < 1:
        raise ValueError(f"periods must be a whole number >= 1, got {periods!r}")
    if not np.isfinite(discount_rate) or discount_rate <= -1:
        raise ValueError(f"discount_rate must be > -1, got {discount_rate!r}")


def _check_fitted(*models: object) -> None:
    for model in models:
        check = getattr(model, "check_fitted", None)
        if callable(check):
            check()  # fail early when a model is not fitted


def _periods(
    purchase_model: PurchaseModel, rows: pd.DataFrame, periods: int, length: float
) -> Iterator[tuple[int, Array]]:
    """Yield ``(k, expected purchases in period k)`` for k = 1..periods.

    A model with ``expected_purchases_by_horizon`` (the library's continuous-time
    models) answers every horizon in one call; any other
    :class:`~crmanalytics.value.PurchaseModel` is asked once per horizon.
    """
    horizons = length * np.arange(1, int(periods) + 1, dtype=np.float64)
    by_horizon = getattr(purchase_model, "expected_purchases_by_horizon", None)
    if callable(by_horizon):
        cumulative = np.asarray(by_horizon(rows, horizons), np.float64)
    else:
        cumulative = np.column_stack(
            [np.asarray(purchase_model.expected_purchases(rows, t), np.float64) for t in horizons]
        )
    previous = np.zeros(len(rows), dtype=np.float64)
    for k in range(1, int(periods) + 1):
        yield k, cumulative[:, k - 1] - previous
        previous = cumulative[:, k - 1]


def _discounted_purchases(
    purchase_model: PurchaseModel, rows: pd.DataFrame, periods: int, length: float, rate: float
) -> Array:
    """Each row's expected purchases per future period, discounted and summed."""
    total = np.zeros(len(rows), dtype=np.float64)
    for k, purchases in _periods(purchase_model, rows, periods, length):
        total += purchases / (1.0 + rate) ** k
    return total


def _clv(
    models: Sequence[Any], rows: pd.DataFrame, periods: int, length: float, rate: float
) -> Array:
    """Discounted value of each row's future purchases under (purchase, spend) models."""
    purchase_model, spend_model = models
    spend = np.asarray(spend_model.expected_spend(rows), dtype=np.float64)
    return np.asarray(
        spend * _discounted_purchases(purchase_model, rows, periods, length, rate),
        dtype=np.float64,
    )


def _spend_expression(spend_model: Any) -> nw.Expr | None:
    """Gamma-Gamma expected spend as an engine expression (None for other spend models).

    ``p (v + x m) / (p x + q - 1)`` with ``m`` taken as 0 where ``x = 0``: the same
    operations as :meth:`GammaGammaModel.expected_spend`, evaluated per customer in
    the caller's engine. Models with covariates, or with ``q <= 1`` (whose error the
    model raises itself), are left to the model.
    """
    if not isinstance(spend_model, GammaGammaModel) or spend_model.covariates_:
        return None
    p, q, v = (float(value) for value in spend_model.param_array())
    if q <= 1:
        return None
    x = nw.col("frequency").cast(nw.Float64)
    m = nw.when(x > 0).then(nw.col("monetary_value").cast(nw.Float64)).otherwise(nw.lit(0.0))
    return nw.lit(p) * (nw.lit(v) + x * m) / (nw.lit(p) * x + nw.lit(q) - nw.lit(1.0))


def _lazy_clv(
    summary: Any,
    purchase_model: PurchaseModel,
    spend: nw.Expr,
    options: tuple[int, float, float],
    columns: Mapping[str, str] | None,
) -> Any:
    """CLV of a lazy summary, computed in its engine.

    The discounted purchases of the distinct (frequency, recency, T) rows are joined
    back in the engine and multiplied there by each customer's spend.
    """
    periods, length, rate = options
    purpose = "customer_lifetime_value"
    frame = scored_frame(
        summary,
        _NAMES[:3],
        "_discounted",
        lambda cols: _discounted_purchases(
            purchase_model, pd.DataFrame(cols), periods, length, rate
        ),
        columns=columns,
        purpose=purpose,
        keep=["frequency", "monetary_value"],
    )
    money = nw.col("monetary_value")
    broken = collect(frame.select((money.is_null() | ~money.is_finite()).cast(nw.Int64).sum()))
    if int(broken.item(0, 0) or 0):  # the eager path's check, as one engine count
        read_summary(frame.filter(money.is_null() | ~money.is_finite()), _NAMES, purpose=purpose)
    return to_caller(
        frame.select("customer_id", (spend * nw.col("_discounted")).alias("clv")), summary
    )


def customer_lifetime_value(
    summary: IntoFrameT,
    purchase_model: PurchaseModel,
    spend_model: SpendModel,
    *,
    periods: int = 12,
    period_length: PeriodLength = "30D",
    discount_rate: float = 0.01,
    columns: Mapping[str, str] | None = None,
    interval: float | None = None,
) -> IntoFrameT:
    r"""Discounted expected value of each customer's future purchases.

    .. math::

        \mathrm{CLV} = \sum_{k=1}^{K} \frac{\bar s \,
        \left(E[X(kL)] - E[X((k-1)L)]\right)}{(1 + d)^k}

    with ``K = periods``, ``L = period_length``, ``d = discount_rate``, ``E[X(t)]``
    the purchase model's expected purchases in the next ``t`` time units given the
    customer's history, and ``s`` the spend model's expected spend per purchase.
    Each period's purchases are discounted as a whole at the period's end.

    Parameters
    ----------
    summary : dataframe
        A customer summary (``customer_id``, ``frequency``, ``recency``, ``T``,
        ``monetary_value``), any backend, in the time unit the purchase model was
        fitted in.
    purchase_model : PurchaseModel
        A fitted purchase model (:class:`~crmanalytics.value.BetaGeoModel` or any
        model satisfying :class:`~crmanalytics.value.PurchaseModel`).
    spend_model : SpendModel
        A fitted spend model (:class:`~crmanalytics.value.GammaGammaModel` or any
        :class:`~crmanalytics.value.SpendModel`).
    periods : int, default 12
        Number of future periods.
    period_length : str, Timedelta, timedelta or float, default "30D"
        Length of one period. A calendar span (``"30D"``, ``"4W"``,
        ``pd.Timedelta(days=30)``, ``datetime.timedelta(days=30)``) is converted with
        the purchase model's ``time_unit_`` (30 days are 30/7 weeks for a weekly
        model); a bare number is in the model's own unit. When the model's unit is
        unknown a span raises an error saying how to give it.
    discount_rate : float, default 0.01
        Discount rate per period.
    columns : mapping of str to str, optional
        Summary name to your column name, e.g. ``{"customer_id": "client"}``.
    interval : float, optional
        Add ``clv_low`` and ``clv_high``: a confidence interval of level
        ``interval`` on each customer's CLV from the uncertainty of both models'
        estimates (delta method on log CLV, with the asymptotic normal of the
        log-parameters, ``log_covariance_``). A model outside the shared base, with
        no covariance, is held fixed.

    Returns
    -------
    dataframe
        ``customer_id`` and ``clv`` (and the interval columns), one row per summary
        row, in the caller's frame type. An eager summary is collected once and keeps
        its row order. A lazy one (Polars lazy, DuckDB, PySpark) stays lazy: only its
        distinct (``frequency``, ``recency``, ``T``) rows are collected and their
        discounted expected purchases joined back in the engine, where a Gamma-Gamma
        spend model's expected spend is computed per customer (with another spend
        model, or with ``interval``, the distinct rows include ``monetary_value`` and
        are valued whole).

    Notes
    -----
    lifetimes' ``customer_lifetime_value(..., time=K, discount_rate=d, freq=f)``
    equals this with ``periods=K`` and ``period_length`` 30 (``freq="D"``) or 4.345
    (``freq="W"``) model units. The interval is the uncertainty of the *expected*
    value (the estimates), not the spread of what one customer will actually spend.
    Intervals are computed on distinct summary rows in chunks, with ``2 k`` extra
    evaluations per model of ``k`` parameters: memory stays at a few floats per
    distinct row.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.value import (BetaGeoModel, BetaGeoParams, GammaGammaModel,
    ...                                 GammaGammaParams, customer_lifetime_value)
    >>> bg = BetaGeoModel.from_params(BetaGeoParams(0.243, 4.414, 0.793, 2.426),
    ...                               time_unit="W")
    >>> gg = GammaGammaModel.from_params(GammaGammaParams(6.25, 3.74, 15.44))
    >>> s = pd.DataFrame({"customer_id": ["a", "b"], "frequency": [2, 0],
    ...                   "recency": [30.43, 0.0], "T": [38.86, 38.86],
    ...                   "monetary_value": [22.35, 0.0]})
    >>> customer_lifetime_value(s, bg, gg, periods=4, period_length="91D",
    ...                         discount_rate=0.03).round(2)
      customer_id    clv
    0           a  35.87
    1           b   8.27

    With intervals from a fit:

    >>> from crmanalytics.datasets import load_cdnow
    >>> from crmanalytics.value import customer_summary
    >>> s = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
    >>> clv = customer_lifetime_value(s, BetaGeoModel().fit(s), GammaGammaModel().fit(s),
    ...                               interval=0.95)
    >>> list(clv.columns)
    ['customer_id', 'clv', 'clv_low', 'clv_high']
    >>> bool(((clv.clv_low <= clv.clv) & (clv.clv <= clv.clv_high)).all())
    True
    """
    _check_options(periods, discount_rate)
    length = period_length_in_units(period_length, purchase_model, summary)
    level = check_interval(interval)
    _check_fitted(purchase_model, spend_model)
    models = (purchase_model, spend_model)
    if level is not None:
        for model in models:
            log_parameter_covariance(model)  # fails early where no interval can be had

    def value(cols: Columns) -> dict[str, Array]:
        rows = pd.DataFrame(cols)
        out = {"clv": _clv(models, rows, periods, length, discount_rate)}
        if level is not None:
            out["clv_low"], out["clv_high"] = delta_interval(
                cols,
                models,
                lambda moved, chunk: _clv(moved, chunk, periods, length, discount_rate),
                level=level,
                scale="log",
            )
        return out

    spend = _spend_expression(spend_model) if level is None else None
    lazy = isinstance(from_native(summary), nw.LazyFrame)
    if spend is not None and lazy and not model_covariates(purchase_model):
        clv: IntoFrameT = _lazy_clv(
            summary, purchase_model, spend, (periods, length, discount_rate), columns
        )
        return clv
    outputs = ["clv"] if level is None else ["clv", "clv_low", "clv_high"]
    result: IntoFrameT = score_rows(
        summary,
        _NAMES,
        outputs,
        value,
        columns=columns,
        purpose="customer_lifetime_value",
        extra=model_covariates(*models),
    )
    return result


def clv_by_period(
    summary: IntoFrameT,
    purchase_model: PurchaseModel,
    spend_model: SpendModel,
    *,
    periods: int = 12,
    period_length: PeriodLength = "30D",
    discount_rate: float = 0.01,
    columns: Mapping[str, str] | None = None,
) -> IntoFrameT:
    """Expected purchases and discounted value per customer and future period.

    The long form of :func:`customer_lifetime_value`: summing ``discounted_value``
    over a customer's periods gives their ``clv`` (same arguments).

    Parameters
    ----------
    summary : dataframe
        A customer summary (``customer_id``, ``frequency``, ``recency``, ``T``,
        ``monetary_value``), any backend.
    purchase_model : PurchaseModel
        Any fitted purchase model.
    spend_model : SpendModel
        Any fitted spend model.
    periods : int, default 12
        Number of future periods.
    period_length : str, Timedelta, timedelta or float, default "30D"
        As in :func:`customer_lifetime_value`.
    discount_rate : float, default 0.01
        Discount rate per period.
    columns : mapping of str to str, optional
        Summary name to your column name.

    Returns
    -------
    dataframe
        One row per customer and period (customers in summary order, periods 1..K):
        ``customer_id``, ``period``, ``expected_purchases`` (in that period),
        ``expected_spend`` (per purchase), ``expected_value`` (undiscounted) and
        ``discounted_value``, in the caller's frame type (lazy in, lazy out). The
        per-customer summary columns are collected (the result has customers x
        periods rows).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.value import (BetaGeoModel, BetaGeoParams, GammaGammaModel,
    ...                                 GammaGammaParams, clv_by_period)
    >>> bg = BetaGeoModel.from_params(BetaGeoParams(0.243, 4.414, 0.793, 2.426),
    ...                               time_unit="W")
    >>> gg = GammaGammaModel.from_params(GammaGammaParams(6.25, 3.74, 15.44))
    >>> s = pd.DataFrame({"customer_id": ["a"], "frequency": [2], "recency": [30.43],
    ...                   "T": [38.86], "monetary_value": [22.35]})
    >>> by_period = clv_by_period(s, bg, gg, periods=2, period_length="91D")
    >>> by_period[["period", "expected_purchases", "discounted_value"]].round(3)
       period  expected_purchases  discounted_value
    0       1               0.457            11.165
    1       2               0.404             9.778
    """
    _check_options(periods, discount_rate)
    length = period_length_in_units(period_length, purchase_model, summary)
    _check_fitted(purchase_model, spend_model)
    extra = model_covariates(purchase_model, spend_model)
    frame = summary_frame(
        summary, ["customer_id", *_NAMES, *extra], columns=columns, purpose="clv_by_period"
    )
    cols = read_summary(frame, _NAMES, with_ids=True, purpose="clv_by_period")
    raw = collect(frame.select(*extra)) if extra else None
    rows = pd.DataFrame(
        {**{n: cols[n] for n in _NAMES}, **{n: raw[n].to_numpy() for n in extra if raw is not None}}
    )
    n = len(rows)
    spend = np.asarray(spend_model.expected_spend(rows), dtype=np.float64)
    k_all = np.arange(1, int(periods) + 1)
    purchases = np.empty((n, int(periods)), dtype=np.float64)
    discounted = np.empty((n, int(periods)), dtype=np.float64)
    for k, bought in _periods(purchase_model, rows, periods, length):
        purchases[:, k - 1] = bought
        discounted[:, k - 1] = spend * bought / (1.0 + discount_rate) ** k
    ids = collect(frame.select("customer_id"))["customer_id"]
    data: dict[str, Any] = {
        "customer_id": np.repeat(ids.to_numpy(), int(periods)),
        "period": np.tile(k_all, n).astype(np.int64),
        "expected_purchases": purchases.ravel(),
        "expected_spend": np.repeat(spend, int(periods)),
        "expected_value": (purchases * spend[:, None]).ravel(),
        "discounted_value": discounted.ravel(),
    }
    return to_caller(data, summary)
