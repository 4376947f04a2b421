"""Numeric kernels of the BG/NBD model (internal; numpy arrays in and out).

Notation follows Fader, Hardie & Lee (2005), "Counting your customers the easy way:
an alternative to the Pareto/NBD model", *Marketing Science* 24(2): a customer with
``x`` repeat purchases, the last at ``t_x``, observed for ``T`` time units; purchase
rates Gamma(r, alpha) across customers, dropout probabilities Beta(a, b).

Everything is evaluated in log space. The likelihood uses the form of Fader & Hardie
(2013), "Overcoming the BG/NBD model's #NUM! error problem": a common factor times the
sum of two terms, the sum taken with log-sum-exp so that large ``x`` or ``T`` cannot
overflow. The conditional expectation needs ``2F1(r+x, b+x; a+b+x-1; z)``; it is
rewritten with Euler's transformation so that the hypergeometric parameters stay small
whatever ``x`` is (see :func:`one_minus_g`).

Examples
--------
>>> import numpy as np
>>> from crmanalytics.value._bgnbd_math import log_likelihood
>>> ll = log_likelihood(np.log([0.243, 4.414, 0.793, 2.426]),
...                     np.array([2.0]), np.array([30.43]), np.array([38.86]))
>>> float(np.round(ll[0], 3))
-9.459
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import betainc, betaln, digamma, expit, gammaln, hyp2f1, logsumexp

__all__ = [
    "Rows",
    "conditional_expected_purchases",
    "gradient",
    "hyp2f1_minus_one",
    "log_likelihood",
    "one_minus_g",
    "probability_alive",
    "probability_of_purchases",
    "value_and_gradient",
    "value_and_gradient_rows",
]

Array = npt.NDArray[np.float64]

#: Below this z the power series of 2F1 converges in a few dozen terms.
_SERIES_Z = 0.5
_SERIES_TERMS = 200


def _common_log_factor(r: float, alpha: float, a: float, b: float, x: Array) -> Array:
    """Log of the factor shared by both likelihood terms (it depends on x only)."""
    return np.asarray(
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + gammaln(a + b)
        + gammaln(b + x)
        - gammaln(b)
        - gammaln(a + b + x),
        dtype=np.float64,
    )


def _pieces(
    log_params: Array, x: Array, t_x: Array, T: Array
) -> tuple[Array, Array, Array, Array, npt.NDArray[np.bool_]]:
    """Return the common log factor, the two log terms, their log-sum and the x>0 mask."""
    r, alpha, a, b = np.exp(log_params)
    repeat = x > 0
    common = _common_log_factor(r, alpha, a, b, x)
    term_alive = -(r + x) * np.log(alpha + T)
    # b + x - 1 > 0 whenever x >= 1 (b > 0); the x = 0 rows never use this term.
    bx1 = np.where(repeat, b + x - 1.0, 1.0)
    term_dead = np.where(repeat, np.log(a) - np.log(bx1) - (r + x) * np.log(alpha + t_x), -np.inf)
    total = logsumexp(np.stack([term_alive, term_dead]), axis=0)
    return (
        np.asarray(common, dtype=np.float64),
        np.asarray(term_alive, dtype=np.float64),
        np.asarray(term_dead, dtype=np.float64),
        np.asarray(total, dtype=np.float64),
        np.asarray(repeat),
    )


def log_likelihood(log_params: Array, x: Array, t_x: Array, T: Array) -> Array:
    """Per-row BG/NBD log-likelihood.

    Parameters
    ----------
    log_params : array of shape (4,)
        ``log(r), log(alpha), log(a), log(b)``.
    x, t_x, T : arrays
        Frequency, recency and age, in the same time unit.

    Returns
    -------
    numpy.ndarray
        One log-likelihood per row.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._bgnbd_math import log_likelihood
    >>> log_likelihood(np.zeros(4), np.array([0.0]), np.array([0.0]), np.array([0.0]))
    array([0.])
    """
    common, _, _, total, _ = _pieces(log_params, x, t_x, T)
    return np.asarray(common + total, dtype=np.float64)


def gradient(log_params: Array, x: Array, t_x: Array, T: Array, weights: Array) -> Array:
    """Gradient of the weighted log-likelihood sum with respect to the log-parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._bgnbd_math import gradient
    >>> g = gradient(np.zeros(4), np.array([1.0]), np.array([1.0]), np.array([2.0]),
    ...              np.array([1.0]))
    >>> g.shape
    (4,)
    """
    return value_and_gradient(log_params, x, t_x, T, weights)[1]


@dataclass(frozen=True)
class Rows:
    """Rows prepared for repeated likelihood evaluation.

    Frequency, recency and T each take few distinct values in real summaries (whole
    days), so every term that depends on only one of them is computed on its distinct
    values and gathered; x-only terms are summed with precomputed weight totals.
    """

    weights: Array
    ux: Array
    ix: npt.NDArray[np.intp]
    ut: Array
    it: npt.NDArray[np.intp]
    uT: Array
    iT: npt.NDArray[np.intp]
    wx: Array  # total weight per distinct x

    @classmethod
    def build(cls, x: Array, t_x: Array, T: Array, weights: Array) -> Rows:
        """Index the distinct values of each column."""
        ux, ix = np.unique(x, return_inverse=True)
        ut, it = np.unique(t_x, return_inverse=True)
        uT, iT = np.unique(T, return_inverse=True)
        wx = np.bincount(ix, weights=weights, minlength=ux.size).astype(np.float64)
        return cls(weights, ux, ix, ut, it, uT, iT, wx)


def value_and_gradient(
    log_params: Array, x: Array, t_x: Array, T: Array, weights: Array
) -> tuple[float, Array]:
    """Weighted log-likelihood sum and its gradient w.r.t. the log-parameters, in one pass.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._bgnbd_math import value_and_gradient
    >>> value, grad = value_and_gradient(np.zeros(4), np.array([0.0]), np.array([0.0]),
    ...                                  np.array([0.0]), np.array([1.0]))
    >>> value
    0.0
    """
    return value_and_gradient_rows(log_params, Rows.build(x, t_x, T, weights))


def value_and_gradient_rows(log_params: Array, rows: Rows) -> tuple[float, Array]:
    """:func:`value_and_gradient` on prepared :class:`Rows` (the fitting hot path).

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._bgnbd_math import Rows, value_and_gradient_rows
    >>> rows = Rows.build(np.array([0.0, 2.0]), np.array([0.0, 5.0]), np.array([9.0, 9.0]),
    ...                   np.ones(2))
    >>> round(value_and_gradient_rows(np.zeros(4), rows)[0], 4)
    -8.4174
    """
    r, alpha, a, b = np.exp(log_params)
    ux, w = rows.ux, rows.weights
    repeat_u = ux > 0
    bx1_u = np.where(repeat_u, b + ux - 1.0, 1.0)
    common_u = _common_log_factor(r, alpha, a, b, ux)
    dead_const_u = np.where(repeat_u, np.log(a) - np.log(bx1_u), -np.inf)
    log_aT = np.log(alpha + rows.uT)
    log_at = np.log(alpha + rows.ut)
    rx = (r + ux)[rows.ix]
    term_alive = -rx * log_aT[rows.iT]
    term_dead = dead_const_u[rows.ix] - rx * log_at[rows.it]
    total = np.logaddexp(term_alive, term_dead)
    w_dead = np.exp(term_dead - total)
    w_alive = 1.0 - w_dead
    ww_alive = w * w_alive
    ww_dead = w * w_dead
    value = float(np.dot(rows.wx, common_u) + np.dot(w, total))

    d_r_u = digamma(r + ux) - digamma(r) + np.log(alpha)
    d_r = (
        np.dot(rows.wx, d_r_u)
        - np.dot(ww_alive, log_aT[rows.iT])
        - np.dot(ww_dead, log_at[rows.it])
    )
    inv_aT = 1.0 / (alpha + rows.uT)
    inv_at = 1.0 / (alpha + rows.ut)
    d_alpha = r / alpha * rows.wx.sum() - np.dot(
        rx, ww_alive * inv_aT[rows.iT] + ww_dead * inv_at[rows.it]
    )
    sum_dead = float(ww_dead.sum())
    d_a = np.dot(rows.wx, digamma(a + b) - digamma(a + b + ux)) + sum_dead / a
    d_b = np.dot(
        rows.wx, digamma(a + b) - digamma(b) - digamma(a + b + ux) + digamma(b + ux)
    ) - np.dot(ww_dead, (1.0 / bx1_u)[rows.ix])
    per_param = np.array([d_r, d_alpha, d_a, d_b], dtype=np.float64)
    return value, np.asarray(per_param * np.array([r, alpha, a, b]), dtype=np.float64)


def _log_odds_dead(params: Array, x: Array, t_x: Array, T: Array) -> Array:
    """Return the log of ``a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)``; -inf where x == 0."""
    r, alpha, a, b = params
    repeat = x > 0
    bx1 = np.where(repeat, b + x - 1.0, 1.0)
    value = np.log(a) - np.log(bx1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.asarray(np.where(repeat, value, -np.inf), dtype=np.float64)


def probability_alive(params: Array, x: Array, t_x: Array, T: Array) -> Array:
    """P(alive at T | x, t_x, T) = 1 / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)).

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._bgnbd_math import probability_alive
    >>> probability_alive(np.ones(4), np.array([0.0]), np.array([0.0]), np.array([5.0]))
    array([1.])
    """
    return np.asarray(expit(-_log_odds_dead(params, x, t_x, T)), dtype=np.float64)


def _series_minus_one(
    A: float | Array, B: float | Array, C: Array, z: Array, terms: int
) -> tuple[Array, Array]:
    """Partial sum of the 2F1 power series without its leading 1, and the last term."""
    total = np.zeros_like(z)
    term = np.ones_like(z)
    for n in range(terms):
        term = term * (A + n) * (B + n) / ((C + n) * (n + 1.0)) * z
        total = total + term
        if not np.any(np.abs(term) > 1e-17 * np.maximum(np.abs(total), 1e-300)):
            break
    return total, term


def hyp2f1_minus_one(A: float | Array, B: float | Array, C: Array, z: Array) -> Array:
    """``2F1(A, B; C; z) - 1`` for ``0 <= z < 1``, without cancellation for small z.

    The power series is summed directly for ``z <= 0.5`` (it converges geometrically
    there); above, :func:`scipy.special.hyp2f1` is used, and where it returns a
    non-finite value the series is summed with up to 200,000 terms instead. The tests
    check both branches against mpmath.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._bgnbd_math import hyp2f1_minus_one
    >>> float(hyp2f1_minus_one(1.0, 1.0, np.array([2.0]), np.array([0.5]))[0])  # -ln(1-z)/z - 1
    0.386294361...
    """
    # A and B are scalars, or per-row arrays (models with covariates)
    A_, B_, C, z = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (A, B, C, z)))
    out = np.empty(z.shape, dtype=np.float64)
    small = z <= _SERIES_Z
    if np.any(small):
        out[small] = _series_minus_one(A_[small], B_[small], C[small], z[small], _SERIES_TERMS)[0]
    large = ~small
    if np.any(large):
        with np.errstate(all="ignore"):
            out[large] = hyp2f1(A_[large], B_[large], C[large], z[large]) - 1.0
        bad = large & ~np.isfinite(out)
        if np.any(bad):
            out[bad] = _series_minus_one(A_[bad], B_[bad], C[bad], z[bad], 200_000)[0]
    return out


def one_minus_g(params: Array, x: Array, T: Array, t: Array | float) -> Array:
    """``1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))``.

    With ``z = t/(alpha+T+t)`` and Euler's transformation
    ``2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z)`` the product becomes
    ``(1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)``: the first two hypergeometric
    parameters no longer grow with ``x``, and ``C`` growing only speeds convergence.
    The result is assembled as ``-expm1((a-1) log1p(-z)) - (1-z)^(a-1) (2F1 - 1)`` so
    that small ``t`` keeps full relative precision.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._bgnbd_math import one_minus_g
    >>> one_minus_g(np.array([0.5, 2.0, 0.8, 2.5]), np.array([0.0]), np.array([1.0]), 0.0)
    array([0.])
    """
    r, alpha, a, b = params
    t_arr = np.asarray(t, dtype=np.float64)
    z = t_arr / (alpha + T + t_arr)
    log1mz = np.log1p(-z)
    f_minus_one = hyp2f1_minus_one(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)
    return np.asarray(
        -np.expm1((a - 1.0) * log1mz) - np.exp((a - 1.0) * log1mz) * f_minus_one,
        dtype=np.float64,
    )


def conditional_expected_purchases(
    params: Array, x: Array, t_x: Array, T: Array, t: Array | float
) -> Array:
    """E[purchases in (T, T+t] | x, t_x, T], equation (10) of Fader, Hardie & Lee (2005).

    With ``x = t_x = T = 0`` this is E[X(t)] for a new customer, equation (9).

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._bgnbd_math import conditional_expected_purchases
    >>> p = np.array([0.243, 4.414, 0.793, 2.426])
    >>> e = conditional_expected_purchases(p, np.array([2.0]), np.array([30.43]),
    ...                                    np.array([38.86]), 39.0)
    >>> round(float(e[0]), 3)
    1.226
    """
    _, _, a, b = params
    lead = (a + b + x - 1.0) / (a - 1.0)
    return np.asarray(
        lead * one_minus_g(params, x, T, t) * probability_alive(params, x, t_x, T),
        dtype=np.float64,
    )


def probability_of_purchases(
    params: Array, x: Array, t_x: Array, T: Array, *, n: int, t: float
) -> Array:
    """P(exactly n purchases in (T, T+t] | x, t_x, T).

    Derived from the individual-level model as in equation (8) of the paper, with the
    posterior of (lambda, p) given the history: the customer is either alive at T
    (then lambda ~ Gamma(r+x, alpha+T) and p ~ Beta(a, b+x) a priori weights) or died
    right after the last purchase (only possible for ``n = 0``). The Poisson tail
    mixed over the gamma posterior is a negative binomial tail, evaluated with the
    regularised incomplete beta function. With ``x = t_x = T = 0`` this is equation
    (8), lifetimes' ``probability_of_n_purchases_up_to_time``.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._bgnbd_math import probability_of_purchases
    >>> p = np.array([0.243, 4.414, 0.793, 2.426])
    >>> zero = np.array([0.0])
    >>> total = sum(float(probability_of_purchases(p, zero, zero, zero, n=k, t=10.0)[0])
    ...             for k in range(200))
    >>> round(total, 9)
    1.0
    """
    r, alpha, a, b = params
    if n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n}")
    shape = r + x
    log_q = np.log(alpha + T) - np.log(alpha + T + t)  # NBD success probability
    log_1mq = np.log(t) - np.log(alpha + T + t) if t > 0 else np.full_like(log_q, -np.inf)
    log_nb_pmf = gammaln(shape + n) - gammaln(shape) - gammaln(n + 1.0) + shape * log_q
    if n > 0:
        log_nb_pmf = log_nb_pmf + n * log_1mq
    pieces = [betaln(a, b + x + n) + log_nb_pmf]
    if n > 0:
        with np.errstate(divide="ignore"):
            log_tail = np.log(betainc(float(n), shape, np.exp(log_1mq)))
        pieces.append(betaln(a + 1.0, b + x + n - 1.0) + log_tail)
    else:
        repeat = x > 0
        bx1 = np.where(repeat, b + x - 1.0, 1.0)
        dead = betaln(a + 1.0, bx1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        pieces.append(np.where(repeat, dead, -np.inf))
    numerator = logsumexp(np.stack(pieces), axis=0)
    denominator = betaln(a, b + x) + np.logaddexp(0.0, _log_odds_dead(params, x, t_x, T))
    return np.asarray(np.exp(numerator - denominator), dtype=np.float64)
