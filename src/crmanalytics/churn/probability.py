"""Churn probability from any fitted purchase model: 1 - P(alive).

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.churn import churn_probability
>>> from crmanalytics.value import BetaGeoModel, BetaGeoParams
>>> model = BetaGeoModel.from_params(BetaGeoParams(0.243, 4.414, 0.793, 2.426))
>>> summary = pd.DataFrame({"customer_id": ["a", "b"], "frequency": [2, 2],
...                         "recency": [30.0, 5.0], "T": [38.0, 38.0]})
>>> churn_probability(model, summary).round(3)
  customer_id  churn_probability
0           a               0.270
1           b               0.871
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics.value import BetaGeoParams, PurchaseModel
from crmanalytics.value._inputs import Array, Columns, model_covariates, score_rows
from crmanalytics.value._uncertainty import check_interval, delta_interval, log_parameter_covariance

__all__ = ["churn_probability", "p_alive_expr"]

_BTYD = ("frequency", "recency", "T")


def _churned(models: Sequence[Any], rows: pd.DataFrame) -> Array:
    alive = models[0].probability_alive(rows)
    return np.asarray(1.0 - np.asarray(alive, dtype=np.float64), dtype=np.float64)


def churn_probability(
    model: PurchaseModel,
    summary: IntoFrameT,
    *,
    columns: Mapping[str, str] | None = None,
    interval: float | None = None,
) -> IntoFrameT:
    """Probability that each customer has already left: 1 - P(alive).

    Parameters
    ----------
    model : PurchaseModel
        A fitted purchase model (:class:`crmanalytics.value.BetaGeoModel` or any
        model satisfying :class:`crmanalytics.value.PurchaseModel`).
    summary : dataframe
        A customer summary with ``customer_id``, ``frequency``, ``recency`` and ``T``
        in the time unit the model was fitted in, e.g. from
        :func:`crmanalytics.value.customer_summary`.
    columns : mapping of str to str, optional
        Summary name to your column name, e.g. ``{"recency": "t_x"}``.
    interval : float, optional
        Add ``churn_probability_low`` and ``churn_probability_high``: a confidence
        interval of level ``interval`` from the uncertainty of the model's estimates
        (delta method on the logit scale with the asymptotic normal of the
        log-parameters, ``log_covariance_``; any model of the shared base).

    Returns
    -------
    dataframe
        ``customer_id`` and ``churn_probability`` (and the interval columns) in the
        summary's frame type. An eager summary is collected once and the result keeps
        its row order. A lazy one (Polars lazy, DuckDB, PySpark) stays lazy: only its
        distinct (``frequency``, ``recency``, ``T``) rows are collected and scored,
        and the scores are joined back in the engine, in the engine's row order.

    Raises
    ------
    NotFittedError
        When the model is not fitted.
    SchemaError
        When a summary column is missing or breaks a BTYD rule.

    Notes
    -----
    Under BG/NBD a customer without repeat purchases is alive with probability 1, so
    their churn probability is 0: the model cannot tell a one-time buyer who left from
    one who has not come back yet. :func:`churn_dataset` gives features that can.

    Examples
    --------
    >>> from crmanalytics.datasets import load_cdnow
    >>> from crmanalytics.churn import churn_probability
    >>> from crmanalytics.value import BetaGeoModel, customer_summary
    >>> s = customer_summary(load_cdnow(), observation_end="1997-09-30", time_unit="W")
    >>> p = churn_probability(BetaGeoModel().fit(s), s)
    >>> list(p.columns), round(float(p["churn_probability"].mean()), 3)
    (['customer_id', 'churn_probability'], 0.187)
    >>> p = churn_probability(BetaGeoModel().fit(s), s, interval=0.9)
    >>> list(p.columns)
    ['customer_id', 'churn_probability', 'churn_probability_low', 'churn_probability_high']
    """
    level = check_interval(interval)
    check = getattr(model, "check_fitted", None)
    if callable(check):
        check()  # fail early when the model is not fitted
    if level is not None:
        log_parameter_covariance(model)  # fails early where no interval can be had

    def churned(cols: Columns) -> dict[str, Array]:
        rows = pd.DataFrame(cols)
        out = {"churn_probability": _churned([model], rows)}
        if level is not None:
            low, high = delta_interval(
                {n: cols[n] for n in _BTYD}, [model], _churned, level=level, scale="logit"
            )
            out["churn_probability_low"], out["churn_probability_high"] = low, high
        return out

    outputs = ["churn_probability"]
    if level is not None:
        outputs += ["churn_probability_low", "churn_probability_high"]
    result: IntoFrameT = score_rows(
        summary,
        _BTYD,
        outputs,
        churned,
        columns=columns,
        purpose="churn_probability",
        extra=model_covariates(model),
    )
    return result


def p_alive_expr(params: BetaGeoParams) -> nw.Expr:
    """Expression for BG/NBD P(alive) from columns ``frequency``, ``recency`` and ``T``.

    Evaluated in the caller's engine in the stable form 1 / (1 + exp(L)) with L the log
    odds of having dropped out, clipped to +-700 so no engine overflows.

    Examples
    --------
    >>> import pandas as pd
    >>> import narwhals.stable.v2 as nw
    >>> from crmanalytics.churn.probability import p_alive_expr
    >>> from crmanalytics.value import BetaGeoParams
    >>> s = nw.from_native(pd.DataFrame({"frequency": [0, 2], "recency": [0.0, 5.0],
    ...                                  "T": [38.0, 38.0]}))
    >>> s.select(p_alive_expr(BetaGeoParams(0.243, 4.414, 0.793, 2.426)).round(3))
    ┌──────────────────┐
    |Narwhals DataFrame|
    |------------------|
    |       p_alive    |
    |    0    1.000    |
    |    1    0.129    |
    └──────────────────┘
    """
    r, alpha, a, b = (float(v) for v in params)
    x = nw.col("frequency").cast(nw.Float64)
    repeat = x > 0
    x_safe = nw.when(repeat).then(x).otherwise(1.0)
    log_odds = (
        np.log(a)
        - (x_safe + (b - 1.0)).log()
        + (x_safe + r)
        * ((nw.col("T").cast(nw.Float64) + alpha).log() - (nw.col("recency") + alpha).log())
    ).clip(-700.0, 700.0)
    alive = 1.0 / (log_odds.exp() + 1.0)
    return nw.when(repeat).then(alive).otherwise(1.0).alias("p_alive")
