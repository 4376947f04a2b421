"""Numeric kernels of the MBG/NBD model (internal; numpy arrays in and out).

Batislam, Denizel & Filiztekin (2007) modify the BG/NBD model so that a customer may
also drop out right after the first purchase: with ``x`` repeat purchases there are
``x + 1`` dropout opportunities, so a customer with no repeat purchase is not surely
alive. Per customer, in the form of lifetimes' ``ModifiedBetaGeoFitter``::

    log L = log Gamma(r+x) - log Gamma(r) + r log(alpha) - (r+x) log(alpha+T)
            + log B(a, b+x+1) - log B(a, b)
            + log(1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)).

Examples
--------
>>> import numpy as np
>>> from crmanalytics.value._mbgnbd_math import log_likelihood
>>> ll = log_likelihood(np.array([0.525, 6.183, 0.891, 1.614]),
...                     np.array([2.0]), np.array([30.43]), np.array([38.86]))
>>> round(float(ll[0]), 3)
-9.486
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.special import betainc, betaln, digamma, expit, gammaln, logsumexp

from crmanalytics.value._bgnbd_math import hyp2f1_minus_one

__all__ = [
    "conditional_expected_purchases",
    "log_likelihood",
    "probability_alive",
    "probability_of_purchases",
    "value_and_gradient",
]

Array = npt.NDArray[np.float64]


def _log_odds_dead(params: Array, x: Array, t_x: Array, T: Array) -> Array:
    """``log(a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))``: log odds of a dropout."""
    r, alpha, a, b = params
    return np.asarray(
        np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)),
        np.float64,
    )


def log_likelihood(params: Array, x: Array, t_x: Array, T: Array) -> Array:
    """Per-row MBG/NBD log-likelihood at ``(r, alpha, a, b)``.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._mbgnbd_math import log_likelihood
    >>> float(log_likelihood(np.ones(4), np.array([0.0]), np.array([0.0]),
    ...                      np.array([0.0]))[0])  # log(B(1, 2) / B(1, 1) (1 + 1))
    0.0
    """
    r, alpha, a, b = params
    return np.asarray(
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        - (r + x) * np.log(alpha + T)
        + betaln(a, b + x + 1.0)
        - betaln(a, b)
        + np.logaddexp(0.0, _log_odds_dead(params, x, t_x, T)),
        np.float64,
    )


def value_and_gradient(
    log_params: Array, x: Array, t_x: Array, T: Array, weights: Array
) -> tuple[float, Array]:
    """Weighted log-likelihood sum and its analytic gradient w.r.t. the log-parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._mbgnbd_math import value_and_gradient
    >>> value, grad = value_and_gradient(np.zeros(4), np.array([0.0]), np.array([0.0]),
    ...                                  np.array([0.0]), np.array([1.0]))
    >>> round(value, 12), grad.shape
    (0.0, (4,))
    """
    params = np.exp(log_params)
    r, alpha, a, b = params
    value = float(np.dot(weights, log_likelihood(params, x, t_x, T)))
    dead = expit(_log_odds_dead(params, x, t_x, T))  # posterior weight of "dropped out"
    log_ratio = np.log(alpha + T) - np.log(alpha + t_x)
    ab = digamma(a + b) - digamma(a + b + x + 1.0)
    per_row = np.stack(
        [
            digamma(r + x) - digamma(r) + np.log(alpha) - np.log(alpha + T) + dead * log_ratio,
            r / alpha
            - (r + x) / (alpha + T)
            + dead * (r + x) * (1.0 / (alpha + T) - 1.0 / (alpha + t_x)),
            ab + dead / a,
            ab + digamma(b + x + 1.0) - digamma(b) - dead / (b + x),
        ]
    )
    return value, np.asarray((per_row @ weights) * params, np.float64)


def probability_alive(params: Array, x: Array, t_x: Array, T: Array) -> Array:
    """P(alive at T | x, t_x, T) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)).

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._mbgnbd_math import probability_alive
    >>> probability_alive(np.ones(4), np.array([0.0]), np.array([0.0]), np.array([0.0]))
    array([0.5])
    """
    return np.asarray(expit(-_log_odds_dead(params, x, t_x, T)), np.float64)


def conditional_expected_purchases(
    params: Array, x: Array, t_x: Array, T: Array, t: Array | float
) -> Array:
    """E[purchases in (T, T+t] | x, t_x, T] (lifetimes' MBG/NBD conditional expectation).

    ``(a+b+x)/(a-1) (1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; z))``
    times P(alive), ``z = t/(alpha+T+t)``. Euler's transformation turns the product into
    ``(1-z)^(a-1) 2F1(a+b-r, a-1; a+b+x; z)``, whose first parameters do not grow with
    ``x``; with ``x = t_x = T = 0`` it is the new-customer expectation.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._mbgnbd_math import conditional_expected_purchases
    >>> p = np.array([0.525, 6.183, 0.891, 1.614])
    >>> zero = np.zeros(1)
    >>> round(float(conditional_expected_purchases(p, zero, zero, zero, 39.0)[0]), 3)
    1.183
    """
    r, alpha, a, b = params
    t_arr = np.asarray(t, np.float64)
    z = t_arr / (alpha + T + t_arr)
    log1mz = np.log1p(-z)
    f_minus_one = hyp2f1_minus_one(a + b - r, a - 1.0, a + b + x, z)
    one_minus = -np.expm1((a - 1.0) * log1mz) - np.exp((a - 1.0) * log1mz) * f_minus_one
    lead = (a + b + x) / (a - 1.0)
    return np.asarray(lead * one_minus * probability_alive(params, x, t_x, T), np.float64)


def probability_of_purchases(
    params: Array, x: Array, t_x: Array, T: Array, *, n: int, t: float
) -> Array:
    """P(exactly n purchases in (T, T+t] | x, t_x, T).

    Alive at ``T``, a customer has ``lambda ~ Gamma(r+x, alpha+T)`` and
    ``p ~ Beta(a, b+x+1)``; they make ``n`` purchases and survive each, or drop out at
    the ``n``-th (a negative binomial tail, through the incomplete beta function). With
    ``x = t_x = T = 0`` it is lifetimes' ``probability_of_n_purchases_up_to_time``.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._mbgnbd_math import probability_of_purchases
    >>> p = np.array([0.525, 6.183, 0.891, 1.614])
    >>> zero = np.zeros(1)
    >>> round(sum(float(probability_of_purchases(p, zero, zero, zero, n=k, t=5.0)[0])
    ...           for k in range(200)), 9)
    1.0
    """
    r, alpha, a, b = params
    shape = r + x
    log_q = np.log(alpha + T) - np.log(alpha + T + t)
    log_1mq = np.log(t) - np.log(alpha + T + t) if t > 0 else np.full_like(log_q, -np.inf)
    log_nb = gammaln(shape + n) - gammaln(shape) - gammaln(n + 1.0) + shape * log_q
    if n > 0:
        log_nb = log_nb + n * log_1mq
    survive = betaln(a, b + x + 1.0 + n) + log_nb
    if n > 0:
        with np.errstate(divide="ignore"):
            tail = np.log(betainc(float(n), shape, np.exp(log_1mq)))
        other = betaln(a + 1.0, b + x + n) + tail
    else:
        other = betaln(a + 1.0, b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    numerator = logsumexp(np.stack([survive, other]), axis=0)
    denominator = betaln(a, b + x + 1.0) + np.logaddexp(0.0, _log_odds_dead(params, x, t_x, T))
    return np.asarray(np.exp(numerator - denominator), np.float64)
