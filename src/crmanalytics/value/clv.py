"""Customer lifetime value from a purchase model and a spend model.

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

from typing import Any

import numpy as np
import pandas as pd

from crmanalytics.value._inputs import Array, Columns, score_rows
from crmanalytics.value._protocols import PurchaseModel, SpendModel

__all__ = ["customer_lifetime_value"]


def customer_lifetime_value(
    summary: Any,
    purchase_model: PurchaseModel,
    spend_model: SpendModel,
    *,
    periods: int = 12,
    period_length: float = 30.0,
    discount_rate: float = 0.01,
) -> Any:
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
    period_length : float, default 30.0
        Length of one period in the summary's time unit: 30 for months of days;
        with weeks, 4.345 gives lifetimes' "month" and 52/12 a twelfth of a year.
    discount_rate : float, default 0.01
        Discount rate per period.

    Returns
    -------
    dataframe
        ``customer_id`` and ``clv``, one row per summary row, in the caller's frame
        type. An eager summary is collected once and keeps its row order. A lazy
        one (Polars lazy, PySpark) stays lazy: only its distinct (``frequency``,
        ``recency``, ``T``, ``monetary_value``) rows are collected and valued, and
        the values are joined back in the engine, in the engine's row order.

    Notes
    -----
    lifetimes' ``customer_lifetime_value(..., time=K, discount_rate=d, freq=f)``
    equals this with ``periods=K`` and ``period_length`` 30 (``freq="D"``) or 4.345
    (``freq="W"``); here the period length is explicit instead of a hidden factor.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.value import (BetaGeoModel, BetaGeoParams, GammaGammaModel,
    ...                                 GammaGammaParams, customer_lifetime_value)
    >>> bg = BetaGeoModel.from_params(BetaGeoParams(0.243, 4.414, 0.793, 2.426))
    >>> gg = GammaGammaModel.from_params(GammaGammaParams(6.25, 3.74, 15.44))
    >>> s = pd.DataFrame({"customer_id": ["a", "b"], "frequency": [2, 0],
    ...                   "recency": [30.43, 0.0], "T": [38.86, 38.86],
    ...                   "monetary_value": [22.35, 0.0]})
    >>> customer_lifetime_value(s, bg, gg, periods=4, period_length=13.0,
    ...                         discount_rate=0.03).round(2)
      customer_id    clv
    0           a  35.87
    1           b   8.27
    """
    if int(periods) != periods or periods < 1:
        raise ValueError(f"periods must be a whole number >= 1, got {periods!r}")
    if not np.isfinite(period_length) or period_length <= 0:
        raise ValueError(f"period_length must be > 0 (summary time units), got {period_length!r}")
    if not np.isfinite(discount_rate) or discount_rate <= -1:
        raise ValueError(f"discount_rate must be > -1, got {discount_rate!r}")
    for model in (purchase_model, spend_model):
        check = getattr(model, "check_fitted", None)
        if callable(check):
            check()  # fail early when a model is not fitted

    def discounted_value(cols: Columns) -> Array:
        rows = pd.DataFrame(cols)
        spend = np.asarray(spend_model.expected_spend(rows), dtype=np.float64)
        x = cols["frequency"]
        value = np.zeros_like(x)
        previous = np.zeros_like(x)
        for k in range(1, int(periods) + 1):
            cumulative = np.asarray(
                purchase_model.expected_purchases(rows, k * period_length), dtype=np.float64
            )
            value += spend * (cumulative - previous) / (1.0 + discount_rate) ** k
            previous = cumulative
        return value

    return score_rows(
        summary, ["frequency", "recency", "T", "monetary_value"], "clv", discounted_value
    )
