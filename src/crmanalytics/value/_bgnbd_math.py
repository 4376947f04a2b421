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

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.special import (
    betainc,
    betaln,
    digamma,
    expit,
    gammaln,
    hyp2f1,
    logsumexp,
    polygamma,
)

__all__ = [
    "Rows",
    "conditional_expected_purchases",
    "derivatives",
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
#: Scratch arrays one likelihood pass needs over the x > 0 rows.
_WORK_ROWS = 15


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
    """Rows prepared once per fit for repeated likelihood evaluation.

    The rows with no repeat purchase (``x = 0``) only contribute ``-r log(alpha+T)``
    and are kept apart; terms that depend on ``x`` alone (gamma and digamma functions)
    are computed on the distinct ``x`` values and summed with their total weights.
    """

    T0: Array  # T of the x = 0 rows
    w0: Array
    x1: Array  # the x > 0 rows
    t1: Array
    T1: Array
    w1: Array
    ux: Array  # distinct x
    wx: Array  # total weight per distinct x
    total: float
    work: Array = field(repr=False, compare=False)  # scratch rows for the x > 0 rows
    work0: Array = field(repr=False, compare=False)  # scratch rows for the x = 0 rows

    @classmethod
    def build(cls, x: Array, t_x: Array, T: Array, weights: Array) -> Rows:
        """Split the rows by ``x > 0`` and total the weights of the distinct frequencies."""
        x, t_x, T, w = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T, weights))
        repeat = x > 0
        x1, w1 = x[repeat], w[repeat]
        w0 = w[~repeat]
        whole = x1.astype(np.int64)
        if x1.size and np.array_equal(whole, x1) and int(whole.max()) < 10_000_000:
            # whole frequencies (as validated): a bincount instead of a sort
            counts = np.bincount(whole, weights=w1)
            present = np.flatnonzero(counts)
            ux1, wx1 = present.astype(np.float64), counts[present]
        else:
            ux1, inverse = np.unique(x1, return_inverse=True)
            wx1 = np.bincount(inverse, weights=w1, minlength=ux1.size)
        n1 = x1.size
        return cls(
            T0=T[~repeat],
            w0=w0,
            x1=x1,
            t1=t_x[repeat],
            T1=T[repeat],
            w1=w1,
            ux=np.concatenate([[0.0], ux1]),
            wx=np.concatenate([[float(w0.sum())], wx1]).astype(np.float64),
            total=float(w.sum()),
            # fresh temporaries of a million rows cost more in page faults than the
            # arithmetic; the passes write into these instead
            work=np.empty((_WORK_ROWS, n1)),
            work0=np.empty((3, w0.size)),
        )

    def subsample(self, size: int, seed: int = 0) -> Rows | None:
        """About ``size`` rows drawn at random (same weights), or None if not smaller."""
        n0, n1 = self.T0.size, self.T1.size
        if n0 + n1 <= 2 * size:
            return None
        rng = np.random.default_rng(seed)
        keep0 = np.sort(rng.choice(n0, size=min(n0, size * n0 // (n0 + n1)), replace=False))
        keep1 = np.sort(rng.choice(n1, size=max(1, size * n1 // (n0 + n1)), replace=False))
        x = np.concatenate([np.zeros(keep0.size), self.x1[keep1]])
        t_x = np.concatenate([np.zeros(keep0.size), self.t1[keep1]])
        T = np.concatenate([self.T0[keep0], self.T1[keep1]])
        w = np.concatenate([self.w0[keep0], self.w1[keep1]])
        return Rows.build(x, t_x, T, w)


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
    """:func:`value_and_gradient` on prepared :class:`Rows`.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._bgnbd_math import Rows, value_and_gradient_rows
    >>> rows = Rows.build(np.array([0.0, 2.0]), np.array([0.0, 5.0]), np.array([9.0, 9.0]),
    ...                   np.ones(2))
    >>> round(value_and_gradient_rows(np.zeros(4), rows)[0], 4)
    -8.4174
    """
    value, grad, _ = derivatives(log_params, rows, hessian=False)
    return value, grad


def derivatives(
    log_params: Array, rows: Rows, *, hessian: bool = True
) -> tuple[float, Array, Array]:
    """Weighted log-likelihood, gradient and Hessian w.r.t. the log-parameters, one pass.

    Per row, with ``L_T = log(alpha+T)``, ``L_t = log(alpha+t_x)`` and
    ``d = log a - log(b+x-1) + (r+x)(L_T - L_t)`` (the log-odds of having dropped out
    after the last purchase), the log-likelihood is
    ``c(x) - (r+x) L_T + log(1 + e^d)`` for ``x > 0`` and ``c(0) - r L_T`` for
    ``x = 0``, where ``c`` is the common factor of Fader, Hardie & Lee (2005). With
    ``sigma = 1/(1+e^-d)`` the second derivatives are
    ``c'' - (r+x) L_T'' + sigma d'' + sigma (1-sigma) d' d'^T``, all closed forms; the
    log-parameter Hessian follows by the chain rule
    ``H_ij theta_i theta_j + [i = j] g_i theta_i``. Without ``hessian`` the third
    element is an empty array.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._bgnbd_math import Rows, derivatives
    >>> rows = Rows.build(np.array([0.0, 2.0]), np.array([0.0, 5.0]), np.array([9.0, 9.0]),
    ...                   np.ones(2))
    >>> value, grad, hess = derivatives(np.zeros(4), rows)
    >>> round(value, 4), hess.shape
    (-8.4174, (4, 4))
    """
    theta = np.exp(np.asarray(log_params, dtype=np.float64))
    r, alpha, a, b = (float(v) for v in theta)
    ux, wx, W = rows.ux, rows.wx, rows.total
    # terms of x alone, on the distinct x values
    common_u = _common_log_factor(r, alpha, a, b, ux)
    _fill_rows(rows, r, alpha, a, b)
    w0, w1 = rows.w0, rows.w1
    _, log0, inv0 = rows.work0
    rx, log_T, inv_T, inv_t, D, _, _, sp, sigma, u, G, q, rxG, tmp, tmp2 = rows.work
    np.multiply(w1, rx, out=tmp)  # w (r + x)
    value = (
        float(np.dot(wx, common_u))
        - r * float(np.dot(w0, log0))
        + float(np.dot(w1, sp))
        - float(np.dot(tmp, log_T))
    )
    w_rx_inv_T = float(np.dot(tmp, inv_T))
    np.multiply(inv_T, inv_T, out=tmp2)
    w_rx_inv_T2 = float(np.dot(tmp, tmp2))
    np.multiply(w1, sigma, out=u)  # weight of the "dropped out" branch
    np.subtract(inv_T, inv_t, out=G)  # d (L_T - L_t) / d alpha, <= 0
    np.multiply(rx, G, out=rxG)
    sum_u = float(u.sum())
    u_rxG = float(np.dot(u, rxG))
    psi_r = digamma(r + ux) - digamma(r)
    psi_ab = digamma(a + b) - digamma(a + b + ux)
    psi_b = digamma(b + ux) - digamma(b)
    g = np.array(
        [
            float(np.dot(wx, psi_r))
            + W * np.log(alpha)
            - float(np.dot(w0, log0))
            - float(np.dot(w1, log_T))
            + float(np.dot(u, D)),
            r / alpha * W - r * float(np.dot(w0, inv0)) - w_rx_inv_T + u_rxG,
            float(np.dot(wx, psi_ab)) + sum_u / a,
            float(np.dot(wx, psi_ab + psi_b)) - float(np.dot(u, q)),
        ]
    )
    grad = g * theta
    if not hessian:
        return value, grad, np.empty((0, 0))
    return value, grad, _hessian(rows, theta, grad, sum_u, w_rx_inv_T2)


def _fill_rows(rows: Rows, r: float, alpha: float, a: float, b: float) -> None:
    """Fill the scratch rows of one pass.

    Logs and reciprocals of ``alpha+T`` and ``alpha+t_x``, the log-odds ``d``,
    ``softplus(d)``, ``sigma(d)`` and ``1/(b+x-1)``.
    """
    # x = 0 rows: -r log(alpha+T)
    tmp0, log0, inv0 = rows.work0
    np.add(rows.T0, alpha, out=tmp0)
    np.log(tmp0, out=log0)
    np.divide(1.0, tmp0, out=inv0)
    # x > 0 rows, every temporary in the scratch rows
    rx, log_T, inv_T, inv_t, D, d, e, sp, sigma, _, _, q, _, tmp, _ = rows.work
    np.add(rows.x1, r, out=rx)
    np.add(rows.T1, alpha, out=tmp)
    np.log(tmp, out=log_T)
    np.divide(1.0, tmp, out=inv_T)
    np.add(rows.t1, alpha, out=tmp)
    np.log(tmp, out=D)
    np.divide(1.0, tmp, out=inv_t)
    np.subtract(log_T, D, out=D)  # L_T - L_t >= 0
    np.add(rows.x1, b - 1.0, out=q)  # b + x - 1 > 0
    np.log(q, out=tmp)
    np.multiply(rx, D, out=d)
    d -= tmp
    d += np.log(a)
    np.divide(1.0, q, out=q)
    # softplus(d) and sigma(d) from e = exp(-|d|), without overflow
    np.abs(d, out=e)
    np.negative(e, out=e)
    np.exp(e, out=e)
    np.log1p(e, out=sp)
    np.maximum(d, 0.0, out=tmp)
    sp += tmp
    np.negative(d, out=tmp)
    np.minimum(tmp, 700.0, out=tmp)  # exp(700) is finite; sigma is 0 to double precision
    np.exp(tmp, out=tmp)
    tmp += 1.0
    np.divide(1.0, tmp, out=sigma)


def _hessian(rows: Rows, theta: Array, grad: Array, sum_u: float, w_rx_inv_T2: float) -> Array:
    """The log-parameter Hessian from the scratch rows of a gradient pass.

    ``tmp2`` holds ``1/(alpha+T)^2`` on entry; ``e``, ``sp`` and ``d`` are overwritten.
    """
    r, alpha, a, b = (float(v) for v in theta)
    ux, wx, W = rows.ux, rows.wx, rows.total
    w0, w1 = rows.w0, rows.w1
    tmp0, _, inv0 = rows.work0
    rx, _, inv_T, inv_t, D, d, e, sp, sigma, u, G, q, rxG, tmp, tmp2 = rows.work
    # second derivatives; v = w sigma (1 - sigma) weighs the outer product d' d'^T
    v, vD, v_rxG = e, sp, d  # reuse: e, sp and d are no longer needed
    np.subtract(w1, u, out=v)
    v *= sigma
    np.multiply(v, D, out=vD)
    np.multiply(v, rxG, out=v_rxG)
    tri_ab = float(np.dot(wx, polygamma(1, a + b) - polygamma(1, a + b + ux)))
    np.multiply(inv_t, inv_t, out=tmp)
    tmp -= tmp2  # d^2 (L_T - L_t) / d alpha^2 / -1
    np.multiply(u, rx, out=tmp2)
    u_rx_dG = float(np.dot(tmp2, tmp))
    np.multiply(inv0, inv0, out=tmp0)
    np.add(u, v, out=tmp)
    np.multiply(q, q, out=tmp2)
    h = np.empty((4, 4))
    h[0, 0] = (
        float(np.dot(wx, polygamma(1, r + ux))) - W * float(polygamma(1, r)) + float(np.dot(vD, D))
    )
    h[0, 1] = (
        W / alpha
        - float(np.dot(w0, inv0))
        - float(np.dot(w1, inv_T))
        + float(np.dot(u, G))
        + float(np.dot(vD, rxG))
    )
    h[0, 2] = float(vD.sum()) / a
    h[0, 3] = -float(np.dot(vD, q))
    h[1, 1] = (
        -r * W / alpha**2
        + r * float(np.dot(w0, tmp0))
        + w_rx_inv_T2
        + u_rx_dG
        + float(np.dot(v_rxG, rxG))
    )
    h[1, 2] = float(v_rxG.sum()) / a
    h[1, 3] = -float(np.dot(v_rxG, q))
    h[2, 2] = tri_ab + (float(v.sum()) - sum_u) / a**2
    h[2, 3] = tri_ab - float(np.dot(v, q)) / a
    h[3, 3] = (
        tri_ab
        + float(np.dot(wx, polygamma(1, b + ux)))
        - W * float(polygamma(1, b))
        + float(np.dot(tmp, tmp2))
    )
    for i in range(4):
        for j in range(i):
            h[i, j] = h[j, i]
    return np.asarray(h * np.outer(theta, theta) + np.diag(grad), dtype=np.float64)


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
