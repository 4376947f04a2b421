"""Interval and test kernels for proportions and means (internal, numpy only).

* :func:`wilson` -- the Wilson score interval for a binomial proportion (Wilson 1927);
* :func:`newcombe_difference` -- Newcombe's hybrid score interval for the difference of
  two independent proportions (Newcombe 1998, method 10), built from the two Wilson
  intervals;
* :func:`two_proportion_pvalue` -- the pooled two-sided z test of equal proportions;
* :func:`welch` -- Welch's t interval and p-value for the difference of two means,
  from the groups' sizes, means and variances.

Nothing here knows about frames; empty groups give NaN.

Examples
--------
>>> from crmanalytics._intervals import wilson
>>> low, high = wilson(8, 10)
>>> round(float(low), 4), round(float(high), 4)
(0.4902, 0.9433)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

__all__ = ["newcombe_difference", "two_proportion_pvalue", "welch", "wilson", "z_value"]

Array = npt.NDArray[np.float64]


def z_value(confidence: float) -> float:
    """The two-sided normal quantile for a confidence level in (0, 1).

    Raises
    ------
    ValueError
        When ``confidence`` is not strictly between 0 and 1.

    Examples
    --------
    >>> from crmanalytics._intervals import z_value
    >>> round(z_value(0.95), 4)
    1.96
    """
    if not 0.0 < float(confidence) < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence!r}")
    return float(stats.norm.ppf(0.5 + float(confidence) / 2.0))


def wilson(successes: Any, trials: Any, confidence: float = 0.95) -> tuple[Array, Array]:
    """Wilson score interval ``(low, high)`` for ``successes`` out of ``trials``.

    Vectorised; NaN where ``trials`` is 0.

    Examples
    --------
    >>> from crmanalytics._intervals import wilson
    >>> [round(float(v), 4) for v in wilson(0, 20)]
    [0.0, 0.1611]
    """
    z = z_value(confidence)
    x = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        denominator = 1.0 + z * z / n
        centre = (p + z * z / (2.0 * n)) / denominator
        half = z * np.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n)) / denominator
    empty = n <= 0
    low = np.where(empty, np.nan, np.clip(centre - half, 0.0, 1.0))
    high = np.where(empty, np.nan, np.clip(centre + half, 0.0, 1.0))
    return low, high


def newcombe_difference(
    x1: float, n1: float, x2: float, n2: float, confidence: float = 0.95
) -> tuple[float, float]:
    """Newcombe's hybrid score interval for ``x1 / n1 - x2 / n2``.

    ``L = d - sqrt((p1 - l1)^2 + (u2 - p2)^2)`` and
    ``U = d + sqrt((u1 - p1)^2 + (p2 - l2)^2)`` with ``(l_i, u_i)`` the Wilson
    intervals of the two proportions.

    Examples
    --------
    >>> from crmanalytics._intervals import newcombe_difference
    >>> [round(v, 4) for v in newcombe_difference(56, 70, 48, 80)]  # Newcombe (1998)
    [0.0524, 0.3339]
    """
    if n1 <= 0 or n2 <= 0:
        return float("nan"), float("nan")
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = (float(v) for v in wilson(x1, n1, confidence))
    l2, u2 = (float(v) for v in wilson(x2, n2, confidence))
    d = p1 - p2
    return (
        d - float(np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)),
        d + float(np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)),
    )


def two_proportion_pvalue(x1: float, n1: float, x2: float, n2: float) -> float:
    """Two-sided p-value of the pooled z test of ``x1 / n1 == x2 / n2``.

    Examples
    --------
    >>> from crmanalytics._intervals import two_proportion_pvalue
    >>> round(two_proportion_pvalue(56, 70, 48, 80), 4)
    0.008
    """
    if n1 <= 0 or n2 <= 0:
        return float("nan")
    pooled = (x1 + x2) / (n1 + n2)
    se = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    if se == 0:
        return 1.0
    z = (x1 / n1 - x2 / n2) / se
    return float(2.0 * stats.norm.sf(abs(z)))


def welch(
    group1: tuple[float, float, float],
    group2: tuple[float, float, float],
    confidence: float = 0.95,
) -> tuple[float, tuple[float, float], float]:
    """Welch's t for the difference of two means, from ``(n, mean, variance)`` each.

    Variances are the unbiased sample variances (``ddof=1``). Returns the difference
    ``mean1 - mean2``, its interval and the two-sided p-value (NaN with fewer than two
    observations in a group).

    Examples
    --------
    >>> from crmanalytics._intervals import welch
    >>> diff, (low, high), p = welch((10, 5.0, 4.0), (12, 3.0, 9.0))
    >>> round(diff, 2), round(low, 3), round(high, 3), round(p, 4)
    (2.0, -0.243, 4.243, 0.0775)
    """
    z_value(confidence)
    n1, m1, v1 = group1
    n2, m2, v2 = group2
    diff = float(m1 - m2)
    if n1 < 2 or n2 < 2:
        return diff, (float("nan"), float("nan")), float("nan")
    s1, s2 = v1 / n1, v2 / n2
    se2 = s1 + s2
    if se2 <= 0:
        same = diff == 0
        return diff, (diff, diff), 1.0 if same else 0.0
    df = se2**2 / (s1**2 / (n1 - 1) + s2**2 / (n2 - 1))
    se = float(np.sqrt(se2))
    t = float(stats.t.ppf(0.5 + confidence / 2.0, df))
    p = float(2.0 * stats.t.sf(abs(diff) / se, df))
    return diff, (diff - t * se, diff + t * se), p
