"""Log-linear (quasi-Poisson) trends and Benjamini-Hochberg q-values on numpy arrays.

Each item's per-period values ``y_t`` (revenue or units, non-negative) over its periods
``t`` are fitted by the log-linear model ``E[y_t] = exp(b0 + b1 t)`` with a Poisson
quasi-likelihood: Newton-Raphson on the Poisson score equations (concave, so step
halving makes it converge), the dispersion estimated by Pearson's chi-square over
``n - 2``, and the slope tested with a Wald t-test on ``n - 2`` degrees of freedom
(McCullagh & Nelder 1989, sec. 8.4). Zeros need no special treatment (unlike a
regression of ``log y``), and the slope does not depend on the currency unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

__all__ = ["TrendFit", "benjamini_hochberg", "fit_trends"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class TrendFit:
    """Per-item slope (log scale, per period), its standard error, t and p-value.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.sales._trend_kernel import fit_trends
    >>> y = np.array([[1.0, 2.0, 4.0, 8.0]])
    >>> round(float(fit_trends(y, np.ones_like(y, dtype=bool)).slope[0]), 6)
    0.693147
    """

    slope: FloatArray
    std_error: FloatArray
    statistic: FloatArray
    p_value: FloatArray
    df: FloatArray


def fit_trends(values: FloatArray, mask: BoolArray, *, max_iter: int = 100) -> TrendFit:
    """Fit ``E[y] = exp(b0 + b1 t)`` per row of ``values`` over the columns in ``mask``.

    Column ``t`` is period ``t``; masked-out cells are ignored. Each row needs at
    least 3 cells in its mask and a positive sum.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.sales._trend_kernel import fit_trends
    >>> y = np.array([[5.0, 6.0, 4.0, 5.0, 5.0], [1.0, 2.0, 4.0, 9.0, 15.0]])
    >>> fit = fit_trends(y, np.ones_like(y, dtype=bool))
    >>> (fit.p_value < 0.05).tolist()
    [False, True]
    """
    y = np.where(mask, np.asarray(values, dtype=np.float64), 0.0)
    w = mask.astype(np.float64)
    n = w.sum(axis=1)
    t_raw = np.broadcast_to(np.arange(y.shape[1], dtype=np.float64), y.shape)
    t = (t_raw - (w * t_raw).sum(axis=1, keepdims=True) / n[:, None]) * w  # centred
    b0 = np.log((w * y).sum(axis=1) / n)
    b1 = np.zeros(y.shape[0])

    def loglik(a: FloatArray, b: FloatArray) -> FloatArray:
        eta = a[:, None] + b[:, None] * t
        return np.asarray((w * (y * eta - np.exp(eta))).sum(axis=1))

    current = loglik(b0, b1)
    for _ in range(max_iter):
        mu = np.exp(b0[:, None] + b1[:, None] * t) * w
        s0, s1 = (y - mu).sum(axis=1), (t * (y - mu)).sum(axis=1)
        i00, i01, i11 = mu.sum(axis=1), (mu * t).sum(axis=1), (mu * t * t).sum(axis=1)
        det = i00 * i11 - i01 * i01
        d0 = (i11 * s0 - i01 * s1) / det
        d1 = (i00 * s1 - i01 * s0) / det
        step = np.ones_like(b0)
        for _ in range(40):  # halve until the log-likelihood does not fall
            trial = loglik(b0 + step * d0, b1 + step * d1)
            worse = ~(trial >= current - 1e-12 * np.abs(current))
            if not worse.any():
                break
            step = np.where(worse, step / 2.0, step)
        b0, b1 = b0 + step * d0, b1 + step * d1
        current = loglik(b0, b1)
        if np.all(np.abs(step * d1) < 1e-12) and np.all(np.abs(step * d0) < 1e-12):
            break
    mu = np.exp(b0[:, None] + b1[:, None] * t)
    i00, i01, i11 = ((w * mu * t**k).sum(axis=1) for k in (0, 1, 2))
    df = n - 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        dispersion = (w * (y - mu) ** 2 / mu).sum(axis=1) / df
        variance = dispersion * i00 / (i00 * i11 - i01 * i01)
    std_error = np.sqrt(np.maximum(variance, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = np.where(std_error > 0, b1 / std_error, np.where(b1 == 0, 0.0, np.inf))
    p_value = 2.0 * stats.t.sf(np.abs(statistic), df)
    return TrendFit(b1, std_error, statistic, p_value, df)


def benjamini_hochberg(p_values: FloatArray) -> FloatArray:
    """Benjamini-Hochberg adjusted p-values (q-values) controlling the FDR.

    ``q_(i) = min_{j >= i} p_(j) m / j`` over the sorted p-values, capped at 1.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.sales._trend_kernel import benjamini_hochberg
    >>> benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.5])).round(3).tolist()
    [0.04, 0.053, 0.053, 0.5]
    """
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out
