"""Interval and test kernels for customer profiles (numpy in, numpy out; internal).

Nothing here knows about frames. Every function works on one group's values (or
counts) at a time, or on a vector of p-values.

- :func:`wilson`: Wilson score interval of a proportion (Wilson 1927);
- :func:`mean_t`: a mean with its Student-t interval;
- :func:`ratio_t`: a ratio of sums over customers (average order value) with the
  delta-method (linearisation) interval, customers as the sampling units;
- :func:`median_order`: the distribution-free interval of a median from order
  statistics (binomial);
- :func:`benjamini_hochberg`: false-discovery-rate adjusted p-values (q-values).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import stats

from crmanalytics._intervals import wilson as wilson_interval
from crmanalytics._intervals import z_value

__all__ = [
    "benjamini_hochberg",
    "mean_t",
    "median_order",
    "ratio_t",
    "wilson",
    "z_value",
]

FloatArray = npt.NDArray[np.float64]
_NAN = float("nan")


def wilson(successes: int, n: int, confidence: float) -> tuple[float, float, float]:
    """Proportion ``successes / n`` and its Wilson score interval (NaN when ``n`` is 0).

    Examples
    --------
    >>> from crmanalytics.segmentation._profile_stats import wilson
    >>> [round(x, 4) for x in wilson(8, 10, 0.95)]
    [0.8, 0.4902, 0.9433]
    """
    if n <= 0:
        return _NAN, _NAN, _NAN
    low, high = wilson_interval(successes, n, confidence)
    return successes / n, float(low), float(high)


def mean_t(values: FloatArray, confidence: float) -> tuple[float, float, float]:
    """Mean and its Student-t interval (bounds NaN for fewer than two values).

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.segmentation._profile_stats import mean_t
    >>> [round(x, 3) for x in mean_t(np.array([1.0, 2.0, 3.0]), 0.95)]
    [2.0, -0.484, 4.484]
    """
    n = values.size
    if n == 0:
        return _NAN, _NAN, _NAN
    mean = float(values.mean())
    if n < 2:
        return mean, _NAN, _NAN
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * float(values.std(ddof=1))
    half /= math.sqrt(n)
    return mean, mean - half, mean + half


def ratio_t(
    numerator: FloatArray, denominator: FloatArray, confidence: float
) -> tuple[float, float, float]:
    """Ratio of sums ``R = sum(y) / sum(x)`` with its linearisation interval.

    The standard error treats customers as the units: ``se = sqrt(sum((y - R x)^2) /
    (n (n - 1))) / mean(x)``, with a Student-t quantile on ``n - 1`` degrees of freedom
    (Cochran 1977, ch. 6). NaN when ``sum(x)`` is 0.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.segmentation._profile_stats import ratio_t
    >>> r = ratio_t(np.array([10.0, 30.0]), np.array([1.0, 1.0]), 0.95)
    >>> r[0]
    20.0
    """
    n = numerator.size
    total = float(denominator.sum())
    if n == 0 or total == 0:
        return _NAN, _NAN, _NAN
    ratio = float(numerator.sum()) / total
    if n < 2:
        return ratio, _NAN, _NAN
    residual = numerator - ratio * denominator
    se = math.sqrt(float((residual**2).sum()) / (n * (n - 1))) / (total / n)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * se
    return ratio, ratio - half, ratio + half


def median_order(values: FloatArray, confidence: float) -> tuple[float, float, float]:
    """Median and its distribution-free interval from order statistics.

    With the sorted values ``x(1) <= ... <= x(n)``, the interval is ``[x(l), x(n+1-l)]``
    with ``l`` the largest rank such that ``P(Binomial(n, 1/2) < l) <= (1 - confidence)
    / 2``; its coverage is at least ``confidence``. Bounds are NaN when no such rank
    exists (``n`` too small, 5 or fewer at 95%).

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.segmentation._profile_stats import median_order
    >>> median_order(np.arange(1.0, 11.0), 0.95)
    (5.5, 2.0, 9.0)
    """
    n = values.size
    if n == 0:
        return _NAN, _NAN, _NAN
    ordered = np.sort(values)
    median = float(np.median(ordered))
    tail = (1.0 - confidence) / 2.0
    # P(B < l) = cdf(l - 1); the largest l with cdf(l - 1) <= tail
    ranks = np.arange(1, n + 1)
    ok = ranks[stats.binom.cdf(ranks - 1, n, 0.5) <= tail]
    if ok.size == 0:
        return median, _NAN, _NAN
    low_rank = int(ok.max())
    return median, float(ordered[low_rank - 1]), float(ordered[n - low_rank])


def benjamini_hochberg(p_values: FloatArray) -> FloatArray:
    """Benjamini-Hochberg adjusted p-values; NaN entries stay NaN and are not counted.

    ``q(i) = min over j >= i of p(j) m / j`` for the p-values sorted increasingly,
    capped at 1 (Benjamini & Hochberg 1995).

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.segmentation._profile_stats import benjamini_hochberg
    >>> benjamini_hochberg(np.array([0.01, 0.04, 0.03, np.nan])).round(3).tolist()
    [0.03, 0.04, 0.04, nan]
    """
    p = np.asarray(p_values, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    known = np.flatnonzero(~np.isnan(p))
    m = known.size
    if m == 0:
        return q
    order = known[np.argsort(p[known], kind="stable")]
    scaled = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return q
