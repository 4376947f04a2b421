"""Lorenz curve and Gini coefficient kernels (numpy in, numpy out; internal).

Examples
--------
>>> import numpy as np
>>> from crmanalytics.segmentation._lorenz import gini
>>> gini(np.array([0.0, 0.0, 0.0, 10.0]))
0.75
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["gini", "inverse_top_share", "lorenz", "top_share"]

FloatArray = npt.NDArray[np.float64]


def lorenz(values: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Lorenz curve points of non-negative values with a positive total.

    Returns ``(population_share, value_share)``, both of length ``n + 1`` starting at
    0 and ending at 1, customers sorted from the smallest value up.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.segmentation._lorenz import lorenz
    >>> p, v = lorenz(np.array([3.0, 1.0]))
    >>> p.tolist(), v.tolist()
    ([0.0, 0.5, 1.0], [0.0, 0.25, 1.0])
    """
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    n = ordered.size
    cumulative = np.concatenate(([0.0], np.cumsum(ordered)))
    value_share = cumulative / cumulative[-1]
    value_share[-1] = 1.0
    population_share = np.arange(n + 1, dtype=np.float64) / n
    return population_share, value_share


def gini(values: FloatArray) -> float:
    """Gini coefficient ``sum_ij |x_i - x_j| / (2 n^2 mean)`` in O(n log n).

    Uses the sorted-values identity ``G = 2 sum_i i x_(i) / (n sum x) - (n + 1) / n``
    (ranks from 1). This is the population Gini: 0 for equal values, ``1 - 1/n``
    when one customer holds everything.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.segmentation._lorenz import gini
    >>> gini(np.array([5.0, 5.0]))
    0.0
    """
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    n = ordered.size
    ranks = np.arange(1, n + 1, dtype=np.float64)
    value = 2.0 * float(np.dot(ranks, ordered)) / (n * float(ordered.sum())) - (n + 1) / n
    return max(0.0, value)


def top_share(population_share: FloatArray, value_share: FloatArray, fraction: float) -> float:
    """Share of the total held by the top ``fraction`` of customers.

    Linear interpolation on the Lorenz curve, so a fraction that ends inside a
    customer counts that customer's value pro rata.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.segmentation._lorenz import lorenz, top_share
    >>> top_share(*lorenz(np.array([1.0, 1.0, 2.0])), 1 / 3)
    0.5
    """
    below = float(np.interp(1.0 - fraction, population_share, value_share))
    return 1.0 - below


def inverse_top_share(population_share: FloatArray, value_share: FloatArray, share: float) -> float:
    """Smallest top fraction of customers that holds ``share`` of the total.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.segmentation._lorenz import inverse_top_share, lorenz
    >>> inverse_top_share(*lorenz(np.array([0.0, 0.0, 1.0, 3.0])), 0.75)
    0.25
    """
    target = 1.0 - share  # the value share the bottom customers may keep
    k = int(np.searchsorted(value_share, target, side="right")) - 1
    if k >= value_share.size - 1:
        return 0.0
    k = max(k, 0)
    step = value_share[k + 1] - value_share[k]
    within = 0.0 if step <= 0 else (target - value_share[k]) / step
    point = population_share[k] + within * (population_share[k + 1] - population_share[k])
    return float(1.0 - point)
