"""Per-customer intervals from the estimates' uncertainty, for any model (internal).

A fitted model of the shared base exposes its parameters (``param_array()``) and the
covariance of its log-parameters (``log_covariance_``, the asymptotic normal of the
maximum-likelihood estimates). :func:`delta_interval` turns that into an interval on
any per-row prediction by the delta method: the prediction's gradient with respect to
each model's log-parameters is taken by central differences, each step rebuilding the
model through its own ``from_params``, so nothing here knows any model's formulas and
every model of the family gets intervals for free. Models are fitted separately, so
their estimates are independent and the variances add.

The interval is built on a scale where the normal approximation is good and the
bounds stay in range: ``log`` for positive values (CLV), ``logit`` for probabilities.
It works on the *distinct* input rows, in chunks, so memory stays at a few floats
per distinct row whatever the number of customers (never customers x draws x
periods); the cost is ``2 k`` extra predictions for a model of ``k`` parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import expit, logit
from scipy.stats import norm

from crmanalytics.errors import NotFittedError

__all__ = ["check_interval", "delta_interval", "log_parameter_covariance"]

Array = npt.NDArray[np.float64]
Columns = dict[str, Array]
#: Distinct rows evaluated at once.
_CHUNK = 200_000
#: Central-difference step on the log-parameters.
_STEP = 1e-4


def check_interval(interval: float | None) -> float | None:
    """Validate an ``interval`` level (``None`` for no interval).

    Examples
    --------
    >>> from crmanalytics.value._uncertainty import check_interval
    >>> check_interval(0.9)
    0.9
    """
    if interval is None:
        return None
    level = float(interval)
    if not 0.0 < level < 1.0:
        raise ValueError(f"interval must be a level between 0 and 1 (e.g. 0.95), got {interval!r}")
    return level


def log_parameter_covariance(model: Any) -> Array | None:
    """The covariance of a model's log-parameters, or ``None`` when it has none.

    ``None`` means a model outside the shared base, with no ``log_covariance_``: it
    carries no uncertainty information and is held fixed.

    Raises
    ------
    ValueError
        For a model of the shared base built from parameters without a covariance.

    Examples
    --------
    >>> from crmanalytics.datasets import load_cdnow
    >>> from crmanalytics.value import GammaGammaModel, customer_summary
    >>> from crmanalytics.value._uncertainty import log_parameter_covariance
    >>> s = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
    >>> log_parameter_covariance(GammaGammaModel().fit(s)).shape
    (3, 3)
    """
    if not all(hasattr(type(model), name) for name in ("log_covariance_", "from_params")):
        return None
    if getattr(model, "covariates_", ()):
        raise ValueError(
            f"interval= is not available yet for a {type(model).__name__} fitted with "
            "covariates; fit it without covariates for per-customer intervals"
        )
    try:
        return np.asarray(model.log_covariance_, dtype=np.float64)
    except NotFittedError as exc:
        raise ValueError(
            f"interval= needs the uncertainty of the estimates, but {exc}; fit the model "
            "(or load one saved after fitting, Model.from_json) to get intervals"
        ) from None


def _forward(values: Array, scale: str) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.log(values) if scale == "log" else logit(values), dtype=np.float64)


def _backward(values: Array, scale: str) -> Array:
    with np.errstate(over="ignore"):  # a bound beyond the float range is infinite
        return np.asarray(np.exp(values) if scale == "log" else expit(values), dtype=np.float64)


def delta_interval(
    cols: Columns,
    models: Sequence[Any],
    evaluate: Callable[[Sequence[Any], pd.DataFrame], Array],
    *,
    level: float,
    scale: Literal["log", "logit"],
) -> tuple[Array, Array]:
    """Delta-method interval of ``evaluate(models, rows)`` per row.

    ``cols`` are the summary columns the prediction reads; ``evaluate`` gets one model
    per entry of ``models`` and a pandas frame of rows, and returns one value per row.
    Values on the edge of the scale (0 on ``log``, 0 or 1 on ``logit``) do not move
    with the parameters there and get a zero-width interval.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from crmanalytics.datasets import load_cdnow
    >>> from crmanalytics.value import GammaGammaModel, customer_summary
    >>> from crmanalytics.value._uncertainty import delta_interval
    >>> s = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
    >>> gg = GammaGammaModel().fit(s)
    >>> cols = {"frequency": np.array([2.0]), "monetary_value": np.array([22.35])}
    >>> low, high = delta_interval(cols, [gg], lambda m, rows: m[0].expected_spend(rows),
    ...                            level=0.95, scale="log")
    >>> bool(low[0] < gg.expected_spend(pd.DataFrame(cols))[0] < high[0])
    True
    """
    names = list(cols)
    n = len(cols[names[0]]) if names else 0
    if n == 0:
        empty = np.zeros(0, dtype=np.float64)
        return empty, empty.copy()
    matrix = np.column_stack([np.asarray(cols[c], dtype=np.float64) for c in names])
    distinct, inverse = np.unique(matrix, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    covariances = [log_parameter_covariance(model) for model in models]
    z = float(norm.ppf(0.5 + level / 2.0))
    low = np.empty(distinct.shape[0], dtype=np.float64)
    high = np.empty(distinct.shape[0], dtype=np.float64)
    for start in range(0, distinct.shape[0], _CHUNK):
        chunk = distinct[start : start + _CHUNK]
        rows = pd.DataFrame({c: chunk[:, j] for j, c in enumerate(names)})
        centre = np.asarray(evaluate(models, rows), dtype=np.float64)
        y = _forward(centre, scale)
        inside = np.isfinite(y)
        variance = np.zeros(chunk.shape[0], dtype=np.float64)
        for m, (model, cov) in enumerate(zip(models, covariances, strict=True)):
            if cov is None:
                continue
            log_params = np.log(np.asarray(model.param_array(), dtype=np.float64))
            unit = getattr(model, "time_unit_", None)
            gradient = np.empty((chunk.shape[0], log_params.size), dtype=np.float64)
            for i in range(log_params.size):
                shifted = []
                for sign in (1.0, -1.0):
                    moved = log_params.copy()
                    moved[i] += sign * _STEP
                    others = list(models)
                    others[m] = type(model).from_params(np.exp(moved), time_unit=unit)
                    shifted.append(_forward(np.asarray(evaluate(others, rows)), scale))
                with np.errstate(invalid="ignore"):
                    gradient[:, i] = (shifted[0] - shifted[1]) / (2.0 * _STEP)
            gradient[~inside] = 0.0
            variance += np.einsum("ij,jk,ik->i", gradient, cov, gradient)
        half = z * np.sqrt(np.maximum(variance, 0.0))
        moves = inside & (half > 0)
        low[start : start + _CHUNK] = np.where(moves, _backward(y - half, scale), centre)
        high[start : start + _CHUNK] = np.where(moves, _backward(y + half, scale), centre)
    return low[inverse], high[inverse]
