"""How good is a purchase model: holdout evaluation, tracking and model comparison.

- :func:`evaluate_holdout`: mean actual and predicted holdout purchases by
  calibration frequency, with overall error figures (Fader, Hardie & Lee 2005,
  figure 4);
- :func:`tracking`: cumulative repeat purchases per calendar period, actual against
  the model's prediction, across calibration and holdout (their figures 2 and 3);
- :func:`compare_models`: log-likelihood, AIC, BIC, parameters and holdout error
  of several fitted models side by side.

Examples
--------
>>> from crmanalytics.datasets import load_cdnow
>>> from crmanalytics.value import BetaGeoModel, customer_summary, evaluate_holdout
>>> s = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
>>> result = evaluate_holdout(BetaGeoModel().fit(s), s)
>>> result.total_actual, round(result.total_predicted, 1)
(1882.0, 1653.4)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._frames import DateLike, collect, time_unit_days, to_caller, to_day_number
from crmanalytics._frames import validated as validated_frame
from crmanalytics._periods import (
    Period,
    check_period,
    is_partial,
    period_end,
    period_of_day,
    period_start,
    period_starts,
)
from crmanalytics.value._base import check_time_unit
from crmanalytics.value._inputs import Array, read_summary, summary_frame
from crmanalytics.value._protocols import PurchaseModel
from crmanalytics.value.summary import daily_occasions, last_day

__all__ = ["HoldoutEvaluation", "compare_models", "evaluate_holdout", "tracking"]

_HOLDOUT = ("frequency", "recency", "T", "frequency_holdout", "duration_holdout")


@dataclass(frozen=True)
class HoldoutEvaluation:
    """Actual against predicted holdout purchases (see :func:`evaluate_holdout`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per calibration frequency group: ``frequency`` (0, 1, ...,
        ``max_frequency``; the last group pools everything above), ``label``
        (``"7+"`` for the pooled group), ``customers``, ``mean_actual`` and
        ``mean_predicted`` holdout purchases.
    n_customers : int
        Customers evaluated.
    duration : float
        Mean length of the holdout period, in the model's time unit.
    total_actual, total_predicted : float
        Holdout purchases of all customers, actual and predicted.
    mae, rmse : float
        Mean absolute and root mean squared error of the per-customer predictions.
    bias : float
        Mean of predicted minus actual purchases per customer.
    total_error : float
        ``(total_predicted - total_actual) / total_actual``: the relative error of
        the aggregate forecast.
    correlation : float
        Pearson correlation of actual and predicted per-customer purchases.

    Examples
    --------
    >>> from crmanalytics.datasets import load_cdnow
    >>> from crmanalytics.value import BetaGeoModel, customer_summary, evaluate_holdout
    >>> s = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
    >>> result = evaluate_holdout(BetaGeoModel().fit(s), s)
    >>> result.table.round(2)
       frequency label  customers  mean_actual  mean_predicted
    0          0     0       1411         0.24            0.23
    1          1     1        439         0.70            0.52
    2          2     2        214         1.39            1.04
    3          3     3        100         1.56            1.52
    4          4     4         62         2.53            2.16
    5          5     5         38         2.95            2.65
    6          6     6         29         3.86            3.50
    7          7    7+         64         6.36            6.16
    >>> round(result.mae, 3), round(result.total_error, 3)
    (0.785, -0.121)
    """

    table: pd.DataFrame
    n_customers: int
    duration: float
    total_actual: float
    total_predicted: float
    mae: float
    rmse: float
    bias: float
    total_error: float
    correlation: float


def _holdout_predictions(
    model: PurchaseModel, frame: Any, purpose: str
) -> tuple[dict[str, Array], Array]:
    cols = read_summary(frame, _HOLDOUT, purpose=purpose)
    rows = pd.DataFrame({n: cols[n] for n in ("frequency", "recency", "T")})
    duration = cols["duration_holdout"]
    predicted = np.empty(len(rows), dtype=np.float64)
    for value in np.unique(duration):
        at = duration == value
        predicted[at] = model.expected_purchases(rows[at], float(value))
    return cols, predicted


def _evaluate(
    model: PurchaseModel, frame: Any, max_frequency: int, purpose: str
) -> HoldoutEvaluation:
    if int(max_frequency) != max_frequency or max_frequency < 0:
        raise ValueError(f"max_frequency must be a whole number >= 0, got {max_frequency!r}")
    cols, predicted = _holdout_predictions(model, frame, purpose)
    actual = cols["frequency_holdout"]
    if actual.size == 0:
        raise ValueError(f"{purpose} needs at least one customer in the summary")
    group = np.minimum(cols["frequency"], max_frequency).astype(np.int64)
    table = (
        pd.DataFrame({"frequency": group, "actual": actual, "predicted": predicted})
        .groupby("frequency", as_index=False)
        .agg(
            customers=("actual", "size"),
            mean_actual=("actual", "mean"),
            mean_predicted=("predicted", "mean"),
        )
    )
    labels = table["frequency"].astype(str)
    labels[table["frequency"] == max_frequency] = f"{max_frequency}+"
    table.insert(1, "label", labels)
    error = predicted - actual
    total_actual = float(actual.sum())
    spread = np.std(actual) > 0 and np.std(predicted) > 0
    return HoldoutEvaluation(
        table=table,
        n_customers=int(actual.size),
        duration=float(cols["duration_holdout"].mean()),
        total_actual=total_actual,
        total_predicted=float(predicted.sum()),
        mae=float(np.mean(np.abs(error))),
        rmse=float(np.sqrt(np.mean(error**2))),
        bias=float(np.mean(error)),
        total_error=float(error.sum() / total_actual) if total_actual > 0 else float("nan"),
        correlation=float(np.corrcoef(actual, predicted)[0, 1]) if spread else float("nan"),
    )


def evaluate_holdout(
    model: PurchaseModel,
    summary: Any,
    *,
    columns: Mapping[str, str] | None = None,
    max_frequency: int = 7,
) -> HoldoutEvaluation:
    """Compare a purchase model's holdout predictions with what customers did.

    Each customer's predicted holdout purchases are ``model.expected_purchases``
    over the holdout duration, given their calibration history. Customers are grouped
    by calibration frequency (0, 1, ..., ``max_frequency`` or more), as in figure 4 of
    Fader, Hardie & Lee (2005), and overall error figures are computed per customer.

    Parameters
    ----------
    model : PurchaseModel
        A purchase model fitted on the calibration columns.
    summary : dataframe
        A calibration/holdout summary, any backend: ``frequency``, ``recency``,
        ``T`` (calibration) and ``frequency_holdout``, ``duration_holdout``, as
        :func:`~crmanalytics.value.customer_summary` with ``calibration_end`` makes.
        Its per-customer columns are collected.
    columns : mapping of str to str, optional
        Summary name to your column name (lifetimes' names, for instance:
        ``{"frequency": "frequency_cal", "recency": "recency_cal", "T": "T_cal"}``).
    max_frequency : int, default 7
        The last frequency group pools customers with this many repeat purchases or
        more.

    Returns
    -------
    HoldoutEvaluation
        A frozen dataclass: the ``table`` by frequency group (pandas) and the
        figures ``mae``, ``rmse``, ``bias``, ``total_actual``, ``total_predicted``,
        ``total_error``, ``correlation``.

    Raises
    ------
    SchemaError
        When a holdout column is missing (the summary was made without
        ``calibration_end``).

    Examples
    --------
    >>> from crmanalytics.datasets import load_cdnow
    >>> from crmanalytics.value import BetaGeoModel, customer_summary, evaluate_holdout
    >>> s = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
    >>> result = evaluate_holdout(BetaGeoModel().fit(s), s, max_frequency=3)
    >>> result.table["label"].tolist()
    ['0', '1', '2', '3+']
    """
    frame = summary_frame(summary, _HOLDOUT, columns=columns, purpose="evaluate_holdout")
    return _evaluate(model, frame, max_frequency, "evaluate_holdout")


def _model_unit_days(model: Any, time_unit: object) -> float:
    unit = check_time_unit(time_unit) or getattr(model, "time_unit_", None)
    if unit is None:
        raise ValueError(
            "tracking needs the model's time unit to turn calendar days into model time: "
            "fit it with fit(summary, time_unit='W') (or 'D'), build it with "
            "from_params(..., time_unit='W'), or pass tracking(..., time_unit='W')"
        )
    return time_unit_days(unit)


def tracking(
    model: PurchaseModel,
    transactions: IntoFrameT,
    *,
    calibration_end: DateLike,
    period: Period = "W",
    observation_end: DateLike | None = None,
    columns: Mapping[str, str] | None = None,
    time_unit: str | None = None,
) -> IntoFrameT:
    """Repeat purchases per period, actual against predicted, calibration and holdout.

    The cohort is every customer whose first purchase day is on or before
    ``calibration_end`` (the customers a model fitted on the calibration summary
    describes). Actual: their repeat purchase occasions (distinct purchase days after
    the first, as in :func:`~crmanalytics.value.customer_summary`) in each period.
    Predicted: the sum over customers of the model's new-customer expected purchases
    from their first purchase day, ``E[X(t)]`` with ``t`` the days since then in the
    model's time unit (figures 2 and 3 of Fader, Hardie & Lee 2005).

    Parameters
    ----------
    model : PurchaseModel
        A purchase model fitted on the calibration period, with a known time unit.
    transactions : dataframe
        Canonical transactions (any backend).
    calibration_end : str, date or Timestamp
        Last day of the calibration period; periods after it are holdout.
    period : {"D", "W", "M", "Q", "Y"}, default "W"
        Calendar period (ISO weeks from Monday).
    observation_end : str, date or Timestamp, optional
        Last day tracked (default: the last purchase day).
    columns : mapping of str to str, optional
        Canonical transaction name to your column name.
    time_unit : {"D", "W"}, optional
        The model's time unit, when the model does not know it (``time_unit_``).

    Returns
    -------
    dataframe
        One row per period from the cohort's first purchase to ``observation_end``:
        ``period`` (start, datetime), ``holdout`` (the period starts after
        ``calibration_end``), ``partial`` (the data cover the period in part),
        ``actual`` and ``predicted`` repeat purchases in the period, and
        ``actual_cumulative``, ``predicted_cumulative``; in the caller's frame type.

    Examples
    --------
    >>> from crmanalytics.datasets import load_cdnow
    >>> from crmanalytics.value import BetaGeoModel, customer_summary, tracking
    >>> tx = load_cdnow()
    >>> s = customer_summary(tx, calibration_end="1997-09-30", time_unit="W")
    >>> t = tracking(BetaGeoModel().fit(s), tx, calibration_end="1997-09-30")
    >>> t["period"].iloc[[0, -1]].dt.date.astype(str).tolist()
    ['1996-12-30', '1998-06-29']
    >>> t.iloc[[39, 78]][["holdout", "partial", "actual_cumulative",
    ...                   "predicted_cumulative"]].round(1)
        holdout  partial  actual_cumulative  predicted_cumulative
    39    False    False             2492.0                2531.6
    78     True     True             4339.0                4160.6
    """
    unit_days = _model_unit_days(model, time_unit)
    code = check_period(period)
    frame = validated_frame(transactions, "transactions", columns=columns, purpose="tracking")
    daily = daily_occasions(frame)
    last = last_day(daily, "tracking")
    obs_end = last if observation_end is None else to_day_number(observation_end)
    cal_end = to_day_number(calibration_end)
    if cal_end >= obs_end:
        raise ValueError(
            f"calibration_end ({calibration_end}) must be before the end of tracking "
            f"(day {obs_end}); pass a later observation_end or an earlier calibration_end"
        )
    cohort = daily.with_columns(nw.col("_day").min().over("customer_id").alias("_first")).filter(
        nw.col("_first") <= cal_end
    )
    firsts = collect(
        cohort.filter(nw.col("_day") == nw.col("_first")).group_by("_first").agg(nw.len())
    )
    repeats = collect(
        cohort.filter((nw.col("_day") > nw.col("_first")) & (nw.col("_day") <= obs_end))
        .group_by("_day")
        .agg(nw.len())
    )
    first_day = firsts["_first"].to_numpy().astype(np.int64)
    first_n = firsts["len"].to_numpy().astype(np.float64)
    if first_day.size == 0:
        raise ValueError(
            f"no customer made a first purchase by calibration_end ({calibration_end})"
        )
    start = int(first_day.min())
    span = obs_end - start
    # repeat occasions per day since the start, cumulated
    per_day = np.zeros(span + 1, dtype=np.float64)
    repeat_day = repeats["_day"].to_numpy().astype(np.int64)
    np.add.at(per_day, repeat_day - start, repeats["len"].to_numpy().astype(np.float64))
    actual_cum_day = np.cumsum(per_day)
    # expected repeat purchases of one new customer after d days, d = 0..span
    grid = np.asarray(
        model.expected_purchases_new_customer(np.arange(span + 1) / unit_days), dtype=np.float64
    )
    indices = np.arange(period_of_day(start, code), period_of_day(obs_end, code) + 1)
    ends = np.array([min(period_end(int(i), code) - 1, obs_end) for i in indices], dtype=np.int64)
    lag = ends[:, None] - first_day[None, :]
    predicted_cum = np.where(lag >= 0, grid[np.clip(lag, 0, span)], 0.0) @ first_n
    actual_cum = actual_cum_day[ends - start]
    result = {
        "period": period_starts(indices, code),
        "holdout": np.array([period_start(int(i), code) > cal_end for i in indices]),
        "partial": np.array([is_partial(int(i), code, start, obs_end) for i in indices]),
        "actual": np.diff(actual_cum, prepend=0.0),
        "predicted": np.diff(predicted_cum, prepend=0.0),
        "actual_cumulative": actual_cum,
        "predicted_cumulative": predicted_cum,
    }
    return to_caller(result, transactions)


def _parameter_text(model: Any) -> str:
    names = getattr(model.params_, "_fields", None) or [
        f"p{i}" for i in range(len(tuple(model.params_)))
    ]
    return ", ".join(f"{n}={float(v):.4g}" for n, v in zip(names, model.params_, strict=True))


def compare_models(
    models: Sequence[Any],
    summary: IntoFrameT,
    *,
    columns: Mapping[str, str] | None = None,
    names: Sequence[str] | None = None,
) -> IntoFrameT:
    """Fitted models side by side: log-likelihood, AIC, BIC, parameters, holdout error.

    ``AIC = 2k - 2 LL`` and ``BIC = k ln(n) - 2 LL`` with ``k`` parameters and
    ``n`` the customers the model was fitted on (``n_customers_``); lower is better.
    Likelihoods are only comparable between models fitted on the same customers and
    the same kind of data (so compare purchase models with purchase models).

    Parameters
    ----------
    models : sequence of fitted models
        Models of the shared base (``params_``, ``log_likelihood_``,
        ``n_customers_``), fitted on ``summary``'s calibration columns.
    summary : dataframe
        The summary they were fitted on. When it has holdout columns
        (``frequency_holdout``, ``duration_holdout``), purchase models also get their
        holdout error (:func:`evaluate_holdout`).
    columns : mapping of str to str, optional
        Summary name to your column name.
    names : sequence of str, optional
        A label per model (default: the class name).

    Returns
    -------
    dataframe
        One row per model, in the order given: ``model``, ``n_parameters``,
        ``n_customers``, ``log_likelihood``, ``aic``, ``bic``, ``parameters`` (text)
        and, with holdout columns, ``holdout_mae``, ``holdout_rmse`` and
        ``holdout_total_error`` (NaN for a model that does not predict purchases);
        in the caller's frame type.

    Raises
    ------
    ValueError
        For an empty list, or a model that was not fitted (built from parameters,
        it has no log-likelihood).

    Examples
    --------
    >>> from crmanalytics.datasets import load_cdnow
    >>> from crmanalytics.value import BetaGeoModel, compare_models, customer_summary
    >>> s = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
    >>> table = compare_models([BetaGeoModel().fit(s), BetaGeoModel(penalizer=0.1).fit(s)],
    ...                        s, names=["BG/NBD", "BG/NBD, penalised"])
    >>> table[["model", "n_parameters", "log_likelihood", "aic", "holdout_mae"]].round(1)
                   model  n_parameters  log_likelihood      aic  holdout_mae
    0             BG/NBD             4         -9582.4  19172.9          0.8
    1  BG/NBD, penalised             4         -9828.9  19665.8          0.8
    """
    if len(models) == 0:
        raise ValueError("compare_models needs at least one fitted model")
    labels = list(names) if names is not None else [type(m).__name__ for m in models]
    if len(labels) != len(models):
        raise ValueError(f"names has {len(labels)} labels for {len(models)} models")
    frame = summary_frame(summary, [], columns=columns, purpose="compare_models")
    present = set(frame.collect_schema().names())
    with_holdout = {"frequency_holdout", "duration_holdout"} <= present
    rows: dict[str, list[Any]] = {
        k: [] for k in ("model", "n_parameters", "n_customers", "log_likelihood", "aic", "bic")
    }
    rows["parameters"] = []
    holdout: dict[str, list[float]] = {
        "holdout_mae": [],
        "holdout_rmse": [],
        "holdout_total_error": [],
    }
    for label, model in zip(labels, models, strict=True):
        loglik = getattr(model, "log_likelihood_", None)
        if loglik is None:
            raise ValueError(
                f"compare_models needs fitted models: {label} has no log_likelihood_ (fit it "
                "on the summary; a model built from parameters has no likelihood)"
            )
        k = len(tuple(model.params_))
        n = float(model.n_customers_)
        rows["model"].append(label)
        rows["n_parameters"].append(k)
        rows["n_customers"].append(n)
        rows["log_likelihood"].append(float(loglik))
        rows["aic"].append(2.0 * k - 2.0 * float(loglik))
        rows["bic"].append(k * float(np.log(n)) - 2.0 * float(loglik))
        rows["parameters"].append(_parameter_text(model))
        if with_holdout:
            if callable(getattr(model, "expected_purchases", None)):
                result = _evaluate(model, frame, 7, "compare_models")
                scores = (result.mae, result.rmse, result.total_error)
            else:
                scores = (float("nan"),) * 3
            for key, score in zip(holdout, scores, strict=True):
                holdout[key].append(score)
    data: dict[str, Any] = {
        "model": np.array(rows["model"], dtype=object),
        "n_parameters": np.array(rows["n_parameters"], dtype=np.int64),
        "n_customers": np.array(rows["n_customers"], dtype=np.float64),
        "log_likelihood": np.array(rows["log_likelihood"], dtype=np.float64),
        "aic": np.array(rows["aic"], dtype=np.float64),
        "bic": np.array(rows["bic"], dtype=np.float64),
        "parameters": np.array(rows["parameters"], dtype=object),
    }
    if with_holdout:
        data.update({k: np.array(v, dtype=np.float64) for k, v in holdout.items()})
    return to_caller(data, summary)
