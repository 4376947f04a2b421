"""Numeric kernels of the BG/BB model (internal; numpy arrays in and out).

Fader, Hardie & Shang (2010), "Customer-base analysis in a discrete-time
noncontractual setting", *Marketing Science* 29(6). A customer with ``x`` transactions
in ``n`` opportunities after the first, the last at opportunity ``t_x``; transaction
probabilities ``p ~ Beta(alpha, beta)`` while alive, dropout probabilities
``theta ~ Beta(gamma, delta)`` at each opportunity. The likelihood is

    B(alpha+x, beta+n-x)/B(alpha, beta) B(gamma, delta+n)/B(gamma, delta)
      + sum_{i=0}^{n-t_x-1} B(alpha+x, beta+t_x-x+i)/B(alpha, beta)
                            B(gamma+1, delta+t_x+i)/B(gamma, delta),

the first term "alive through n", the others "dropped out after t_x + i". Every term
is kept as a log and summed with log-sum-exp.

Examples
--------
>>> import numpy as np
>>> from crmanalytics.value._bgbb_math import log_likelihood
>>> p = np.array([1.204, 0.750, 0.657, 2.783])
>>> round(float(log_likelihood(p, np.array([0.0]), np.array([0.0]), np.array([6.0]))[0]), 4)
-1.1673
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.special import betaln, digamma, gammaln, logsumexp

__all__ = [
    "expected_purchases",
    "log_likelihood",
    "probability_alive",
    "probability_of_purchases",
    "value_and_gradient",
]

Array = npt.NDArray[np.float64]


def _dead_terms(params: Array, x: Array, t_x: Array, n: Array) -> tuple[Array, Array, Array]:
    """Log of each "dropped out after t_x + i" term (rows x i, -inf where i is out of range).

    Also returns the two second arguments ``beta + t_x - x + i`` and ``delta + t_x + i``.
    """
    alpha, beta, gamma, delta = params
    width = int(max(np.max(n - t_x, initial=0), 1))
    i = np.arange(width, dtype=np.float64)[None, :]
    q1 = beta + (t_x - x)[:, None] + i
    q2 = delta + t_x[:, None] + i
    terms = (
        betaln(alpha + x[:, None], q1)
        - betaln(alpha, beta)
        + betaln(gamma + 1.0, q2)
        - betaln(gamma, delta)
    )
    valid = i < (n - t_x)[:, None]
    return np.where(valid, terms, -np.inf), q1, q2


def _alive_term(params: Array, x: Array, n: Array, ahead: Array | float = 0.0) -> Array:
    alpha, beta, gamma, delta = params
    return np.asarray(
        betaln(alpha + x, beta + n - x)
        - betaln(alpha, beta)
        + betaln(gamma, delta + n + ahead)
        - betaln(gamma, delta),
        np.float64,
    )


def log_likelihood(params: Array, x: Array, t_x: Array, n: Array) -> Array:
    """Per-row BG/BB log-likelihood at ``(alpha, beta, gamma, delta)``.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._bgbb_math import log_likelihood
    >>> log_likelihood(np.ones(4), np.array([0.0]), np.array([0.0]), np.array([0.0]))
    array([0.])
    """
    dead, _, _ = _dead_terms(params, x, t_x, n)
    alive = _alive_term(params, x, n)
    return np.asarray(logsumexp(np.column_stack([alive, dead]), axis=1), np.float64)


def _d_betaln(p: Array | float, q: Array | float) -> tuple[Array, Array]:
    """Partial derivatives of ``log B(p, q)``."""
    both = digamma(np.add(p, q))
    return np.asarray(digamma(p) - both), np.asarray(digamma(q) - both)


def value_and_gradient(
    log_params: Array, x: Array, t_x: Array, n: Array, weights: Array
) -> tuple[float, Array]:
    """Weighted log-likelihood sum and its analytic gradient w.r.t. the log-parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._bgbb_math import value_and_gradient
    >>> value, grad = value_and_gradient(np.zeros(4), np.array([1.0]), np.array([1.0]),
    ...                                  np.array([2.0]), np.array([1.0]))
    >>> round(value, 4), grad.shape
    (-1.9741, (4,))
    """
    params = np.exp(log_params)
    alpha, beta, gamma, delta = params
    dead, q1, q2 = _dead_terms(params, x, t_x, n)
    alive = _alive_term(params, x, n)
    stacked = np.column_stack([alive, dead])
    total = logsumexp(stacked, axis=1)
    share = np.exp(stacked - total[:, None])  # posterior weight of each term
    w_alive, w_dead = share[:, 0], share[:, 1:]
    base_a, base_b = _d_betaln(alpha, beta)
    base_g, base_d = _d_betaln(gamma, delta)
    # alive term
    al_a, al_b = _d_betaln(alpha + x, beta + n - x)
    al_g, al_d = _d_betaln(gamma, delta + n)
    # dead terms
    de_a, de_b = _d_betaln((alpha + x)[:, None], q1)
    de_g, de_d = _d_betaln(gamma + 1.0, q2)
    w_dead = np.where(np.isfinite(dead), w_dead, 0.0)
    per_row = np.stack(
        [
            w_alive * al_a + np.sum(w_dead * de_a, axis=1) - base_a,
            w_alive * al_b + np.sum(w_dead * de_b, axis=1) - base_b,
            w_alive * al_g + np.sum(w_dead * de_g, axis=1) - base_g,
            w_alive * al_d + np.sum(w_dead * de_d, axis=1) - base_d,
        ]
    )
    value = float(np.dot(weights, total))
    return value, np.asarray((per_row @ weights) * params, np.float64)


def probability_alive(params: Array, x: Array, t_x: Array, n: Array, ahead: float) -> Array:
    """P(alive at opportunity ``n + ahead`` | x, t_x, n) (Fader, Hardie & Shang, A10).

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._bgbb_math import probability_alive
    >>> probability_alive(np.ones(4), np.array([2.0]), np.array([3.0]), np.array([3.0]), 0.0)
    array([1.])
    """
    return np.asarray(
        np.exp(_alive_term(params, x, n, ahead) - log_likelihood(params, x, t_x, n)), np.float64
    )


def expected_purchases(params: Array, x: Array, t_x: Array, n: Array, horizon: int) -> Array:
    """E[transactions in opportunities n+1 .. n+horizon | x, t_x, n].

    The sum over future opportunities ``k`` of P(alive at ``n+k`` and transacting),
    ``B(alpha+x+1, beta+n-x)/B(alpha, beta) B(gamma, delta+n+k)/B(gamma, delta) / L``
    (equation (13) of the paper sums it in closed form). With ``x = t_x = n = 0`` it
    is the new-customer expectation E[X(horizon)].

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._bgbb_math import expected_purchases
    >>> p = np.array([1.204, 0.750, 0.657, 2.783])
    >>> zero = np.zeros(1)
    >>> round(float(expected_purchases(p, zero, zero, zero, 6)[0]), 4)
    2.2196
    """
    alpha, beta, gamma, delta = params
    if horizon <= 0:
        return np.zeros(x.shape)
    k = np.arange(1, horizon + 1, dtype=np.float64)[None, :]
    log_buy = betaln(alpha + x + 1.0, beta + n - x) - betaln(alpha, beta)
    log_alive = betaln(gamma, delta + n[:, None] + k) - betaln(gamma, delta)
    log_sum = logsumexp(log_alive, axis=1)
    return np.asarray(np.exp(log_buy + log_sum - log_likelihood(params, x, t_x, n)), np.float64)


def _log_choose(n: Array | float, k: float) -> Array:
    return np.asarray(gammaln(np.add(n, 1.0)) - gammaln(k + 1.0) - gammaln(np.add(n, 1.0 - k)))


def probability_of_purchases(
    params: Array, x: Array, t_x: Array, n: Array, *, count: int, horizon: int
) -> Array:
    """P(exactly ``count`` transactions in opportunities n+1 .. n+horizon | x, t_x, n).

    The joint probability of the history and the future, divided by the likelihood:
    alive through ``n + horizon`` (``C(horizon, count)`` ways), or dropped out after
    ``n + j`` for ``j < horizon`` (``C(j, count)`` ways), or, for ``count = 0`` only,
    dropped out before ``n`` already. With ``x = t_x = n = 0`` it is the new-customer
    probability P(X(horizon) = count), equation (7) of the paper.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._bgbb_math import probability_of_purchases
    >>> p = np.array([1.204, 0.750, 0.657, 2.783])
    >>> zero = np.zeros(1)
    >>> round(sum(float(probability_of_purchases(p, zero, zero, zero, count=k, horizon=6)[0])
    ...           for k in range(7)), 12)
    1.0
    """
    alpha, beta, gamma, delta = params
    loglik = log_likelihood(params, x, t_x, n)
    pieces = []
    if count <= horizon:
        pieces.append(
            _log_choose(float(horizon), count)
            + betaln(alpha + x + count, beta + n - x + horizon - count)
            - betaln(alpha, beta)
            + betaln(gamma, delta + n + horizon)
            - betaln(gamma, delta)
        )
    if count < horizon:
        j = np.arange(count, horizon, dtype=np.float64)[None, :]
        later = (
            _log_choose(j, count)
            + betaln((alpha + x + count)[:, None], (beta + n - x - count)[:, None] + j)
            - betaln(alpha, beta)
            + betaln(gamma + 1.0, delta + n[:, None] + j)
            - betaln(gamma, delta)
        )
        pieces.append(logsumexp(later, axis=1))
    if count == 0:
        dead, _, _ = _dead_terms(params, x, t_x, n)
        pieces.append(logsumexp(dead, axis=1))
    if not pieces:
        return np.zeros(x.shape)
    with np.errstate(divide="ignore"):
        joint = logsumexp(np.stack([np.broadcast_to(p, x.shape) for p in pieces]), axis=0)
    return np.asarray(np.exp(joint - loglik), np.float64)
