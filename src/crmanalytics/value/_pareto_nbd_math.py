"""Numeric kernels of the Pareto/NBD model (internal; numpy arrays in and out).

Notation follows Schmittlein, Morrison & Colombo (1987) and Fader & Hardie's note
"A note on deriving the Pareto/NBD model and related expressions" (2005): a customer
with ``x`` repeat purchases, the last at ``t_x``, observed for ``T``; purchase rates
``lambda ~ Gamma(r, alpha)`` and dropout rates ``mu ~ Gamma(s, beta)``.

The likelihood is ``C (E(T) + s J)`` with ``C = Gamma(r+x) alpha^r beta^s / Gamma(r)``,
``E(T) = (alpha+T)^-(r+x) (beta+T)^-s`` (alive at ``T``) and the integral over the
dropout time ``J = int_{t_x}^T (alpha+u)^-(r+x) (beta+u)^-(s+1) du = K(t_x) - K(T)``.

The tail integral ``K(t)`` is usually written with ``2F1(r+s+x, s+1; r+s+x+1; z)``
(Fader & Hardie's equations (19)-(20), lifetimes' ``_log_A_0``), whose parameters grow
with ``x``: at large ``x`` and ``z`` near 1 a direct evaluation under- or overflows or
loses every digit. Euler's transformation turns it into

    K(t) = (alpha+t)^-(r+x) (beta+t)^-(s+1) (min(alpha, beta)+t) F / (r+s+x),
    F = 2F1(1, m; m+n; z),  z = |alpha-beta| / (max(alpha, beta)+t),

with ``(m, n) = (r+x, s+1)`` when ``alpha >= beta`` and ``(s+1, r+x)`` otherwise. ``F``
is the mean of ``1/(1-zV)`` for ``V ~ Beta(m, n)``, so ``1 <= F <= 1/(1-z)``: every
factor is a plain power taken in log space and ``F`` never leaves a modest range. Its
power series has positive terms (no cancellation) and yields the partial derivatives
in ``m``, ``n`` and ``z`` in the same pass, which gives the analytic gradient.

Examples
--------
>>> import numpy as np
>>> from crmanalytics.value._pareto_nbd_math import log_likelihood
>>> ll = log_likelihood(np.array([0.553, 10.578, 0.606, 11.669]),
...                     np.array([2.0]), np.array([30.43]), np.array([38.86]))
>>> round(float(ll[0]), 3)
-9.554
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, gammaln, hyp2f1, roots_legendre

__all__ = [
    "Hyp",
    "conditional_expected_purchases",
    "hyp_one",
    "hyp_one_blocks",
    "log_likelihood",
    "log_likelihood_parts",
    "probability_alive",
    "probability_of_purchases",
    "value_and_gradient",
]

Array = npt.NDArray[np.float64]

#: Relative size of the last series term at which the sum stops.
_TOL = 1e-17
#: The series of F needs about ``40 / (1 - z)`` terms; past this many, rows (only
#: possible with ``min(alpha, beta) / max(alpha, beta)`` below about 1e-3 at small t)
#: get a geometric estimate of the remainder and, where finite, scipy's value of F.
_MAX_TERMS = 20_000


@dataclass(frozen=True)
class Hyp:
    """``F = 2F1(1, m; m+n; z)`` with ``dlog F / dm``, ``/ dn`` and ``/ dz``."""

    log_f: Array
    d_m: Array
    d_n: Array
    d_z: Array


def hyp_one(m: Array, n: Array, z: Array) -> Hyp:
    """``2F1(1, m; m+n; z)`` for ``m, n > 0`` and ``0 <= z < 1``, with its log-derivatives.

    The terms ``t_k = (m)_k / (m+n)_k z^k`` are positive and their ratio
    ``z (m+k)/(m+n+k)`` stays below ``z``, so the remainder after ``t_k`` is at most
    ``t_k z / (1-z)``: each row stops once that bound is below ``1e-17`` of the sum
    (only unfinished rows keep iterating). The derivatives of ``log t_k`` are running
    sums, added in the same pass.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._pareto_nbd_math import hyp_one
    >>> h = hyp_one(np.array([1.0]), np.array([1.0]), np.array([0.5]))  # -log(1-z)/z
    >>> float(np.exp(h.log_f[0]))
    1.386294361119...
    """
    m, n, z = np.broadcast_arrays(
        np.asarray(m, np.float64), np.asarray(n, np.float64), np.asarray(z, np.float64)
    )
    total = np.ones(m.shape)
    s_m = np.zeros(m.shape)  # sum of t_k dlog t_k / dm
    s_n = np.zeros(m.shape)
    s_z = np.zeros(m.shape)  # sum of k t_k  (d/dz = that / z)
    idx = np.flatnonzero(z > 0)
    mi, ni, zi = m[idx], n[idx], z[idx]
    term = np.ones(idx.size)
    g_m = np.zeros(idx.size)  # dlog t_k / dm
    g_n = np.zeros(idx.size)
    tot, a_m, a_n, a_z = (
        np.ones(idx.size),
        np.zeros(idx.size),
        np.zeros(idx.size),
        np.zeros(idx.size),
    )
    bound = zi / (1.0 - zi)
    k = 0
    while idx.size:
        g_m = g_m + 1.0 / (mi + k) - 1.0 / (mi + ni + k)
        g_n = g_n - 1.0 / (mi + ni + k)
        term = term * zi * (mi + k) / (mi + ni + k)
        k += 1
        tot += term
        a_m += term * g_m
        a_n += term * g_n
        a_z += k * term
        done = (term * np.maximum(bound, 1.0) * np.maximum(1.0, k * np.abs(g_m) + k)) < (_TOL * tot)
        if k >= _MAX_TERMS:
            ratio = zi * (mi + k) / (mi + ni + k)
            tail = term * ratio / (1.0 - ratio)
            tot, a_m, a_n = tot + tail, a_m + tail * g_m, a_n + tail * g_n
            a_z = a_z + tail * (k + 1.0 / (1.0 - ratio))
            with np.errstate(all="ignore"):
                exact = hyp2f1(1.0, mi, mi + ni, zi)
            tot = np.where(np.isfinite(exact) & (exact >= tot - tail), exact, tot)
            done[:] = True
        if np.any(done):
            where = idx[done]
            total[where], s_m[where], s_n[where], s_z[where] = (
                tot[done],
                a_m[done],
                a_n[done],
                a_z[done],
            )
            keep = ~done
            idx, mi, ni, zi, term, g_m, g_n = (
                idx[keep],
                mi[keep],
                ni[keep],
                zi[keep],
                term[keep],
                g_m[keep],
                g_n[keep],
            )
            tot, a_m, a_n, a_z, bound = tot[keep], a_m[keep], a_n[keep], a_z[keep], bound[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        d_z = np.where(z > 0, s_z / (z * total), m / (m + n))
    return Hyp(np.log(total), s_m / total, s_n / total, d_z)


#: Longest polynomial :func:`hyp_one_blocks` evaluates; rows of blocks needing more
#: terms (``z`` near 1) go through :func:`hyp_one`.
_POLY_TERMS = 400


def _coefficients(m: float, n: float, z_max: float) -> Array | None:
    """Coefficients of ``F``, ``dF/dm``, ``dF/dn`` and ``dF/dz`` as polynomials in z.

    Row ``k`` holds ``c_k = (m)_k/(m+n)_k``, ``c_k dlog c_k/dm``, ``c_k dlog c_k/dn`` and
    ``(k+1) c_{k+1}``; the series stops by the rule of :func:`hyp_one` at ``z_max``
    (the largest z of the block), or None past ``_POLY_TERMS`` terms.
    """
    bound = max(z_max / (1.0 - z_max), 1.0) if z_max < 1.0 else np.inf
    c, g_m, g_n = 1.0, 0.0, 0.0
    power = 1.0
    rows = [(1.0, 0.0, 0.0)]
    k = 0
    while True:
        g_m += 1.0 / (m + k) - 1.0 / (m + n + k)
        g_n -= 1.0 / (m + n + k)
        c *= (m + k) / (m + n + k)
        k += 1
        power *= z_max
        rows.append((c, c * g_m, c * g_n))
        if c * power * bound * max(1.0, k * abs(g_m) + k) < _TOL:
            break
        if k >= _POLY_TERMS:
            return None
    coef = np.zeros((4, k + 1))
    coef[:3] = np.array(rows).T
    coef[3, :k] = np.arange(1, k + 1) * coef[0, 1:]
    return coef


def hyp_one_blocks(m: Array, n: Array, z: Array, bounds: npt.NDArray[np.intp]) -> Hyp:
    """:func:`hyp_one` for rows in blocks of equal ``(m, n)`` (rows sorted by frequency).

    ``bounds`` are the block edges (``0, ..., len(z)``). Within a block the series
    coefficients are the same numbers, so ``F`` and its three partial derivatives are
    four polynomials in ``z`` evaluated by Horner's rule together (positive
    coefficients, ``z >= 0``: no cancellation), instead of a term-by-term loop over
    every row; a block whose ``z`` is one value (the ``t_x = 0`` rows) is evaluated once.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._pareto_nbd_math import hyp_one, hyp_one_blocks
    >>> m, n, z = np.array([1.0, 1.0, 2.0]), np.full(3, 1.5), np.array([0.5, 0.2, 0.3])
    >>> fast = hyp_one_blocks(m, n, z, np.array([0, 2, 3]))
    >>> bool(np.allclose(fast.log_f, hyp_one(m, n, z).log_f, rtol=1e-14))
    True
    """
    out = np.ones((4, z.size))  # rows of slow blocks are overwritten below
    slow = []
    for lo, hi in itertools.pairwise(bounds):
        zb = z[lo:hi]
        z_max = float(zb.max())
        coef = _coefficients(float(m[lo]), float(n[lo]), z_max)
        if coef is None:
            slow.append((lo, hi))
            continue
        if float(zb.min()) == z_max:  # one value of z: evaluate once
            acc = np.zeros((4, 1))
            zb = zb[:1]
        else:
            acc = np.zeros((4, hi - lo))
        for k in range(coef.shape[1] - 1, -1, -1):
            acc *= zb
            acc += coef[:, k, None]
        out[:, lo:hi] = acc
    f = out[0]
    hyp = Hyp(np.log(f), out[1] / f, out[2] / f, out[3] / f)
    for lo, hi in slow:
        part = hyp_one(m[lo:hi], n[lo:hi], z[lo:hi])
        hyp.log_f[lo:hi], hyp.d_m[lo:hi] = part.log_f, part.d_m
        hyp.d_n[lo:hi], hyp.d_z[lo:hi] = part.d_n, part.d_z
    return hyp


def _hyp(m: Array, n: Array, z: Array, x: Array) -> Hyp:
    """``hyp_one`` by frequency blocks when the rows are sorted by ``x``, else row by row."""
    x = np.asarray(x)
    if x.shape == z.shape and x.ndim == 1 and x.size > 64:
        step = np.diff(x)
        if np.all(step >= 0):
            bounds = np.concatenate([[0], np.flatnonzero(step) + 1, [x.size]])
            return hyp_one_blocks(m, n, z, bounds)
    return hyp_one(m, n, z)


@dataclass(frozen=True)
class _TailPieces:
    """``log K(t)`` and its gradient w.r.t. ``(r, alpha, s, beta)``, one row per t."""

    log_k: Array
    grad: Array  # shape (4, rows)


def _log_tail(params: Any, x: Array, t: Array) -> _TailPieces:
    """``log K(t)`` with ``K(t) = int_t^inf (alpha+u)^-(r+x) (beta+u)^-(s+1) du``.

    ``alpha`` and ``beta`` may be per-row arrays (models with covariates): the rows
    are then split by which of the two is larger, the side the series converges on.
    """
    r, alpha, s, beta = params
    if np.ndim(alpha) == 0 and np.ndim(beta) == 0:
        return _log_tail_branch(params, x, t, alpha_larger=bool(alpha >= beta))
    alpha_b, beta_b, x_b, t_b = np.broadcast_arrays(alpha, beta, x, t)
    larger = alpha_b >= beta_b
    log_k = np.empty(x_b.shape, dtype=np.float64)
    grad = np.empty((4, *x_b.shape), dtype=np.float64)
    for flag in (True, False):
        rows = larger if flag else ~larger
        if np.any(rows):
            piece = _log_tail_branch(
                (r, alpha_b[rows], s, beta_b[rows]), x_b[rows], t_b[rows], alpha_larger=flag
            )
            log_k[rows] = piece.log_k
            grad[:, rows] = piece.grad
    return _TailPieces(log_k, grad)


def _log_tail_branch(params: Any, x: Array, t: Array, *, alpha_larger: bool) -> _TailPieces:
    """:func:`_log_tail` for rows that all have ``alpha >= beta`` (or all not)."""
    r, alpha, s, beta = params
    rx = r + x
    a_sum = rx + s
    at, bt = alpha + t, beta + t
    if alpha_larger:
        z = (alpha - beta) / at
        hyp = _hyp(rx, np.full_like(rx, s + 1.0), z, x)
        d_r_f, d_s_f = hyp.d_m, hyp.d_n
        dz_alpha, dz_beta = bt / at**2, -1.0 / at
        low = bt
    else:
        z = (beta - alpha) / bt
        hyp = _hyp(np.full_like(rx, s + 1.0), rx, z, x)
        d_r_f, d_s_f = hyp.d_n, hyp.d_m
        dz_alpha, dz_beta = -1.0 / bt, at / bt**2
        low = at
    log_k = -rx * np.log(at) - (s + 1.0) * np.log(bt) + np.log(low) - np.log(a_sum) + hyp.log_f
    grad = np.stack(
        [
            -np.log(at) - 1.0 / a_sum + d_r_f,
            -rx / at + (0.0 if alpha_larger else 1.0) / at + hyp.d_z * dz_alpha,
            -np.log(bt) - 1.0 / a_sum + d_s_f,
            -(s + 1.0) / bt + (1.0 if alpha_larger else 0.0) / bt + hyp.d_z * dz_beta,
        ]
    )
    return _TailPieces(np.asarray(log_k, np.float64), np.asarray(grad, np.float64))


@dataclass(frozen=True)
class LikelihoodParts:
    """Per-row pieces: ``log C``, ``log E(T)``, ``log(s J)`` and their log-sum."""

    log_c: Array
    log_alive: Array
    log_dead: Array
    total: Array


def _parts(
    params: Any, x: Array, t_x: Array, T: Array, *, with_grad: bool
) -> tuple[LikelihoodParts, Array | None]:
    r, alpha, s, beta = params
    rx = r + x
    log_c = gammaln(rx) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    log_alive = -rx * np.log(alpha + T) - s * np.log(beta + T)
    tail_x = _log_tail(params, x, t_x)
    tail_T = _log_tail(params, x, T)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        ratio = np.exp(np.minimum(tail_T.log_k - tail_x.log_k, 0.0))  # K(T)/K(t_x) in [0, 1]
        log_dead = np.log(s) + tail_x.log_k + np.log1p(-ratio)
    log_dead = np.where(ratio < 1.0, log_dead, -np.inf)
    total = np.logaddexp(log_alive, log_dead)
    parts = LikelihoodParts(
        np.asarray(log_c, np.float64), log_alive, np.asarray(log_dead, np.float64), total
    )
    if not with_grad:
        return parts, None
    w_dead = np.exp(log_dead - total)
    w_alive = 1.0 - w_dead
    g_c = np.stack(
        [
            digamma(rx) - digamma(r) + np.log(alpha),
            np.full_like(rx, r / alpha),
            np.full_like(rx, np.log(beta)),
            np.full_like(rx, s / beta),
        ]
    )
    g_alive = np.stack([-np.log(alpha + T), -rx / (alpha + T), -np.log(beta + T), -s / (beta + T)])
    with np.errstate(divide="ignore", invalid="ignore"):
        g_dead = (tail_x.grad - ratio * tail_T.grad) / (1.0 - ratio)
    g_dead = np.where(ratio < 1.0, g_dead, 0.0)
    g_dead[2] += 1.0 / s
    grad = g_c + w_alive * g_alive + w_dead * g_dead
    return parts, np.asarray(grad, np.float64)


def log_likelihood_parts(params: Any, x: Array, t_x: Array, T: Array) -> LikelihoodParts:
    """The pieces of the per-row log-likelihood (see :class:`LikelihoodParts`).

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._pareto_nbd_math import log_likelihood_parts
    >>> p = log_likelihood_parts(np.ones(4), np.array([0.0]), np.array([0.0]), np.array([0.0]))
    >>> float(p.total[0])  # at T = 0 nobody has dropped out yet
    0.0
    """
    scalar = all(np.ndim(v) == 0 for v in params)
    values = np.asarray(params, np.float64) if scalar else params
    return _parts(values, x, t_x, T, with_grad=False)[0]


def log_likelihood(params: Array, x: Array, t_x: Array, T: Array) -> Array:
    """Per-row Pareto/NBD log-likelihood at parameters ``(r, alpha, s, beta)``.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._pareto_nbd_math import log_likelihood
    >>> log_likelihood(np.ones(4), np.array([0.0]), np.array([0.0]), np.array([0.0]))
    array([0.])
    """
    parts = log_likelihood_parts(params, x, t_x, T)
    return np.asarray(parts.log_c + parts.total, np.float64)


def value_and_gradient(
    log_params: Array, x: Array, t_x: Array, T: Array, weights: Array
) -> tuple[float, Array]:
    """Weighted log-likelihood sum and its gradient w.r.t. the log-parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._pareto_nbd_math import value_and_gradient
    >>> value, grad = value_and_gradient(np.zeros(4), np.array([1.0]), np.array([1.0]),
    ...                                  np.array([2.0]), np.array([1.0]))
    >>> grad.shape
    (4,)
    """
    params = np.exp(log_params)
    parts, grad = _parts(params, x, t_x, T, with_grad=True)
    assert grad is not None
    value = float(np.dot(weights, parts.log_c + parts.total))
    return value, np.asarray((grad @ weights) * params, np.float64)


def probability_alive(params: Array, x: Array, t_x: Array, T: Array) -> Array:
    """P(alive at T | x, t_x, T) = E(T) / (E(T) + s J).

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._pareto_nbd_math import probability_alive
    >>> probability_alive(np.ones(4), np.array([2.0]), np.array([5.0]), np.array([5.0]))
    array([1.])
    """
    parts = log_likelihood_parts(params, x, t_x, T)
    return np.asarray(np.exp(parts.log_alive - parts.total), np.float64)


def _expected_if_alive(params: Array, x: Array, T: Array, t: Array | float) -> Array:
    """E[purchases in (T, T+t] | alive at T]: ``(r+x)(beta+T)/((alpha+T)(s-1)) (1 - ...)``."""
    r, alpha, s, beta = params
    u = np.log1p(np.asarray(t, np.float64) / (beta + T))
    # (1 - (1+t/(beta+T))^-(s-1)) / (s-1), tending to log(1+t/(beta+T)) as s -> 1
    shape = -np.expm1(-(s - 1.0) * u) / (s - 1.0) if abs(s - 1.0) > 1e-10 else u
    return np.asarray((r + x) * (beta + T) / (alpha + T) * shape, np.float64)


def conditional_expected_purchases(
    params: Array, x: Array, t_x: Array, T: Array, t: Array | float
) -> Array:
    """E[purchases in (T, T+t] | x, t_x, T] (Fader & Hardie 2005 note, equation (41)).

    With ``x = t_x = T = 0`` it is the new-customer expectation E[X(t)].

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._pareto_nbd_math import conditional_expected_purchases
    >>> zero = np.zeros(1)
    >>> p = np.array([0.553, 10.578, 0.606, 11.669])
    >>> round(float(conditional_expected_purchases(p, zero, zero, zero, 39.0)[0]), 4)
    1.213
    """
    alive = probability_alive(params, x, t_x, T)
    return np.asarray(alive * _expected_if_alive(params, x, T, t), np.float64)


_NODES, _WEIGHTS = roots_legendre(96)


def _log_nb_grid(r: Array, alpha: Array, n: int, u: Array) -> Array:
    rr, aa = r[:, None], alpha[:, None]
    out = gammaln(rr + n) - gammaln(rr) - gammaln(n + 1.0) + rr * (np.log(aa) - np.log(aa + u))
    if n > 0:
        with np.errstate(divide="ignore"):
            out = out + n * (np.log(u) - np.log(aa + u))
    return np.asarray(out, np.float64)


def probability_of_purchases(
    params: Array, x: Array, t_x: Array, T: Array, *, n: int, t: float
) -> Array:
    """P(exactly n purchases in (T, T+t] | x, t_x, T).

    A customer alive at ``T`` has posterior rates ``lambda ~ Gamma(r+x, alpha+T)`` and
    ``mu ~ Gamma(s, beta+T)`` (memoryless dropout), so the answer is
    ``P(alive) P_new(n) + (1 - P(alive)) [n = 0]`` with ``P_new`` the new-customer
    probability at those updated parameters. With ``x = t_x = T = 0`` it is P(X(t) = n).

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._pareto_nbd_math import probability_of_purchases
    >>> p = np.array([0.553, 10.578, 0.606, 11.669])
    >>> zero = np.zeros(1)
    >>> total = sum(float(probability_of_purchases(p, zero, zero, zero, n=k, t=10.0)[0])
    ...             for k in range(100))
    >>> round(total, 9)
    1.0
    """
    r, alpha, s, beta = params
    alive = probability_alive(params, x, t_x, T)
    if t <= 0:
        new = np.full(x.shape, 1.0 if n == 0 else 0.0)
    else:
        new = _new_customer_pmf(s, r + x, alpha + T, beta + T, n=n, t=t)
    return np.asarray(alive * new + (1.0 - alive) * (1.0 if n == 0 else 0.0), np.float64)


def _new_customer_pmf(s: float, r: Array, alpha: Array, beta: Array, *, n: int, t: float) -> Array:
    """P(X(t) = n) for customers alive at 0 with rates Gamma(r, alpha), Gamma(s, beta).

    ``r``, ``alpha``, ``beta`` are per row (posterior values). P = NB(n; r,
    alpha/(alpha+t)) S(t) + int_0^t NB(n; r, alpha/(alpha+u)) dF(u), ``F`` the Lomax
    dropout-time distribution; the integral is taken over the dropout probability
    ``q = F(u)`` with Gauss-Legendre nodes, where the integrand is smooth and bounded.
    """
    log_surv = -s * np.log1p(t / beta)
    alive_part = np.exp(_log_nb_grid(r, alpha, n, np.full((r.size, 1), t))[:, 0] + log_surv)
    q_max = -np.expm1(log_surv)
    q = 0.5 * q_max[:, None] * (_NODES[None, :] + 1.0)
    u = beta[:, None] * np.expm1(-np.log1p(-q) / s)
    dead_part = 0.5 * q_max * (np.exp(_log_nb_grid(r, alpha, n, u)) @ _WEIGHTS)
    return np.asarray(alive_part + dead_part, np.float64)
