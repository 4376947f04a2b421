"""The logarithmic mean Divisia index (LMDI-I) on numpy arrays (internal kernel).

For a value that is a product of factors, ``V = x_1 x_2 ... x_k``, the change
``V1 - V0`` is split into one contribution per factor,

    C_k = L(V1, V0) ln(x_k1 / x_k0),    L(a, b) = (a - b) / (ln a - ln b),  L(a, a) = a,

which add up to ``V1 - V0`` exactly (Ang 2004), because their sum is
``L(V1, V0) ln(V1 / V0)``. It needs every factor positive in both periods.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["contributions", "log_mean"]

FloatArray = npt.NDArray[np.float64]


def log_mean(a: FloatArray, b: FloatArray) -> FloatArray:
    """The logarithmic mean ``(a - b) / (ln a - ln b)``, ``a`` where ``a == b``.

    Both arguments must be positive; near-equal pairs use the arithmetic mean, which
    agrees with the logarithmic mean to second order.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.sales._lmdi import log_mean
    >>> log_mean(np.array([2.0, 3.0]), np.array([1.0, 3.0])).round(6).tolist()
    [1.442695, 3.0]
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    close = np.abs(a - b) <= 1e-12 * np.maximum(np.abs(a), np.abs(b))
    ratio = np.where(close, 2.0, a / np.where(b == 0, 1.0, b))
    with np.errstate(divide="ignore", invalid="ignore"):
        exact = (a - b) / np.log(ratio)
    return np.where(close, (a + b) / 2.0, exact)


def contributions(
    value_before: FloatArray, value_after: FloatArray, before: FloatArray, after: FloatArray
) -> FloatArray:
    """LMDI-I contribution of each factor (columns of ``before`` / ``after``).

    Every value and factor must be positive; the rows of the result sum to
    ``value_after - value_before``.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.sales._lmdi import contributions
    >>> c = contributions(np.array([6.0]), np.array([24.0]),
    ...                   np.array([[2.0, 3.0]]), np.array([[4.0, 6.0]]))
    >>> c.round(6).tolist(), float(c.sum())
    ([[9.0, 9.0]], 18.0)
    """
    weight = log_mean(value_after, value_before)
    return weight[:, None] * np.log(after / before)
