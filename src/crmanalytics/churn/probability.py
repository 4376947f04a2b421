"""Churn probability from a fitted BG/NBD model: 1 - P(alive).

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

from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd

from crmanalytics._frames import from_native
from crmanalytics.schema import require_columns
from crmanalytics.value import BetaGeoModel, BetaGeoParams
from crmanalytics.value._inputs import Array, Columns, score_rows

__all__ = ["churn_probability", "p_alive_expr"]

_BTYD = ("frequency", "recency", "T")


def churn_probability(model: BetaGeoModel, summary: Any) -> Any:
    """Probability that each customer has already left: 1 - P(alive) under BG/NBD.

    Parameters
    ----------
    model : BetaGeoModel
        A fitted model (:class:`crmanalytics.value.BetaGeoModel`).
    summary : dataframe
        A customer summary with ``customer_id``, ``frequency``, ``recency`` and ``T``
        in the time unit the model was fitted in, e.g. from
        :func:`crmanalytics.value.customer_summary`.

    Returns
    -------
    dataframe
        ``customer_id`` and ``churn_probability`` in the summary's frame type. An eager
        summary is collected once and the result keeps its row order. A lazy one
        (Polars lazy, PySpark) stays lazy: only its distinct (``frequency``,
        ``recency``, ``T``) rows are collected and scored, and the scores are joined
        back in the engine, in the engine's row order.

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
    """
    require_columns(
        from_native(summary),
        "customer summary",
        ["customer_id", *_BTYD],
        purpose="churn_probability",
    )
    check = getattr(model, "check_fitted", None)
    if callable(check):
        check()  # fail early when the model is not fitted

    def churned(cols: Columns) -> Array:
        alive = model.probability_alive(pd.DataFrame({n: cols[n] for n in _BTYD}))
        return 1.0 - np.asarray(alive, dtype=np.float64)

    return score_rows(summary, _BTYD, "churn_probability", churned)


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
