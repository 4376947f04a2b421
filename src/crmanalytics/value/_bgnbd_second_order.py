"""BG/NBD with covariates: log-likelihood, gradient and analytic Hessian in one pass (internal).

The covariate fit of :class:`~crmanalytics.value.BetaGeoModel` takes Newton steps, so
it needs the Hessian of the total log-likelihood with respect to
``theta = (log r, log alpha_0, log a_0, log b_0, gamma_purchase, gamma_dropout)``.
Each customer's log-likelihood depends on ``theta`` only through four per-row
log-parameters ``(log r, log alpha_i, log a_i, log b_i)``, which are affine in
``theta`` (``log alpha_i = log alpha_0 - z_p' gamma_p``, ``log a_i = log a_0 + z_d'
gamma_d``, ``log b_i = log b_0 + z_d' gamma_d``). So the pass computes the per-row
gradient (4 numbers) and Hessian (10 numbers) in closed form, and the chain rule turns
them into weighted Gram matrices of the design.

The per-row log-likelihood (Fader, Hardie & Lee 2005, eq. 6) is written as

``ll = [lnG(r+x) - lnG(r)] + r log alpha + C(a, b) + lse(A, B)``

with ``C = ln B(a, b+x) - ln B(a, b)``, ``A = -(r+x) log(alpha+T)`` and, for repeat
buyers, ``B = log a - log(b+x-1) - (r+x) log(alpha+t_x)``. Frequencies are whole
numbers, so ``C`` and its derivatives are finite sums over ``j < x`` of
``log((b+j)/(a+b+j))``, ``1/(b+j)`` and ``1/(b+j)^2``: with rows sorted by frequency,
each ``j`` touches a prefix of the rows, which costs far less than four log-gamma and
six polygamma evaluations per row. When frequencies are large (their sum above
``16 n``) the special functions are used instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, gammaln, polygamma

__all__ = ["SecondOrder", "bgnbd_second_order"]

Array = npt.NDArray[np.float64]
#: ``theta, order -> (total log-likelihood, gradient, Hessian)``; ``order=0`` skips the
#: derivatives (both returned empty), ``order=1`` the Hessian.
SecondOrder = Callable[[Array, int], tuple[float, Array, Array]]

# per-row Hessian entries, in the order the kernel returns them
_PAIRS = ((0, 0), (0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (3, 3))
_SUM_BUDGET = 16


@dataclass(frozen=True)
class _Rows:
    """The data, sorted by frequency (descending), with what every pass reuses."""

    x: Array
    t_x: Array
    T: Array
    w: Array
    z_p: Array
    z_d: Array
    x_unique: Array
    x_index: npt.NDArray[np.intp]
    prefix: npt.NDArray[np.intp]  # prefix[j] = number of rows with x > j
    by_sums: bool


def _prepare(history: tuple[Array, Array, Array, Array], z_p: Array, z_d: Array) -> _Rows:
    x, t_x, T, w = history
    order = np.argsort(-x, kind="stable")
    xs = np.ascontiguousarray(x[order])
    x_unique, x_index = np.unique(xs, return_inverse=True)
    max_x = int(xs[0]) if xs.size else 0
    # rows with x > j form a prefix because x is sorted descending
    prefix = np.searchsorted(-xs, -np.arange(max_x, dtype=np.float64), side="left")
    by_sums = bool(np.all(xs == np.round(xs)) and xs.sum() <= _SUM_BUDGET * max(xs.size, 1))
    return _Rows(
        x=xs,
        t_x=np.ascontiguousarray(t_x[order]),
        T=np.ascontiguousarray(T[order]),
        w=np.ascontiguousarray(w[order]),
        z_p=np.ascontiguousarray(z_p[order]),
        z_d=np.ascontiguousarray(z_d[order]),
        x_unique=x_unique,
        x_index=np.asarray(x_index, dtype=np.intp),
        prefix=np.asarray(prefix, dtype=np.intp),
        by_sums=by_sums,
    )


def _beta_terms(rows: _Rows, a: Array, b: Array, order: int) -> tuple[Array, ...]:
    """``C`` and the sums ``S1b, S1ab, S2b, S2ab`` its derivatives need.

    ``S1y = psi(y+x) - psi(y)`` and ``S2y = -(psi'(y+x) - psi'(y))`` for ``y = b`` and
    ``y = a + b``; then ``dC/da = -S1ab``, ``dC/db = S1b - S1ab``, ``d2C/da2 =
    d2C/dadb = S2ab`` and ``d2C/db2 = S2ab - S2b``.
    """
    x = rows.x
    ab = a + b
    if not rows.by_sums:
        c = gammaln(b + x) - gammaln(ab + x) - gammaln(b) + gammaln(ab)
        s1b = digamma(b + x) - digamma(b)
        s1ab = digamma(ab + x) - digamma(ab)
        s2b = polygamma(1, b) - polygamma(1, b + x)
        s2ab = polygamma(1, ab) - polygamma(1, ab + x)
        return c, s1b, s1ab, s2b, s2ab
    n = x.size
    c = np.zeros(n)
    s1b, s1ab = np.zeros(n), np.zeros(n)
    s2b, s2ab = np.zeros(n), np.zeros(n)
    for j, k in enumerate(rows.prefix):
        bj = b[:k] + j
        abj = ab[:k] + j
        c[:k] += np.log(bj / abj)
        if order == 0:
            continue
        inv_b = 1.0 / bj
        inv_ab = 1.0 / abj
        s1b[:k] += inv_b
        s1ab[:k] += inv_ab
        if order == 2:
            s2b[:k] += inv_b * inv_b
            s2ab[:k] += inv_ab * inv_ab
    return c, s1b, s1ab, s2b, s2ab


def _row_terms(
    rows: _Rows, log_params: tuple[float, Array, Array, Array], order: int
) -> tuple[Array, list[Array], list[Array]]:
    """Per-row log-likelihood, gradient (4 arrays) and Hessian (10 arrays, see ``_PAIRS``)."""
    rho, kappa, u, v = log_params
    r = float(np.exp(rho))
    alpha, a, b = np.exp(kappa), np.exp(u), np.exp(v)
    x, t_x, T = rows.x, rows.t_x, rows.T
    repeat = x > 0
    rx = r + x
    log_at = np.log(alpha + T)
    log_atx = np.log(alpha + t_x)
    bx1 = np.where(repeat, b + x - 1.0, 1.0)
    term_a = -rx * log_at
    term_b = np.where(repeat, u - np.log(bx1) - rx * log_atx, -np.inf)
    lse = np.logaddexp(term_a, term_b)
    lg = (gammaln(r + rows.x_unique) - gammaln(r))[rows.x_index]
    c, s1b, s1ab, s2b, s2ab = _beta_terms(rows, a, b, order)
    ll = lg + r * kappa + c + lse
    if order == 0:
        return ll, [], []
    p_a = np.exp(term_a - lse)
    p_b = np.where(repeat, 1.0 - p_a, 0.0)
    q_t = alpha / (alpha + T)
    q_tx = alpha / (alpha + t_x)
    q_b = np.where(repeat, b / bx1, 0.0)
    d1 = (digamma(r + rows.x_unique) - digamma(r))[rows.x_index]
    a_rho, a_kappa = -r * log_at, -rx * q_t
    b_rho, b_kappa = -r * log_atx, -rx * q_tx
    c_u = -a * s1ab
    c_v = b * (s1b - s1ab)
    grad = [
        r * d1 + r * kappa + p_a * a_rho + p_b * b_rho,
        r + p_a * a_kappa + p_b * b_kappa,
        c_u + p_b,
        c_v - p_b * q_b,
    ]
    if order == 1:
        return ll, grad, []
    d2 = (polygamma(1, r + rows.x_unique) - polygamma(1, r))[rows.x_index]
    pp = p_a * p_b
    d_rho = a_rho - b_rho
    d_kappa = a_kappa - b_kappa
    hess = [
        r * d1 + r * r * d2 + r * kappa + p_a * a_rho + p_b * b_rho + pp * d_rho * d_rho,
        r - r * (p_a * q_t + p_b * q_tx) + pp * d_rho * d_kappa,
        -pp * d_rho,
        pp * d_rho * q_b,
        -(p_a * rx * q_t * (1.0 - q_t) + p_b * rx * q_tx * (1.0 - q_tx)) + pp * d_kappa**2,
        -pp * d_kappa,
        pp * d_kappa * q_b,
        a * a * s2ab + c_u + pp,
        a * b * s2ab - pp * q_b,
        b * b * (s2ab - s2b) + c_v - p_b * q_b * (1.0 - q_b) + pp * q_b * q_b,
    ]
    return ll, grad, hess


def _assemble(rows: _Rows, hess_rows: list[Array], size: int) -> Array:
    """Chain rule: per-row Hessians (see ``_PAIRS``) -> the Hessian in ``theta``.

    ``log alpha_i`` loads ``-z_p`` on the purchase coefficients; ``log a_i`` and
    ``log b_i`` both load ``z_d`` on the dropout coefficients, so the dropout block
    weighs ``h_uu + 2 h_uv + h_vv``. Three weighted Gram matrices and two products do it.
    """
    k_p = rows.z_p.shape[1]
    gp = slice(4, 4 + k_p)
    gd = slice(4 + k_p, size)
    weighted = np.vstack(hess_rows)  # 10 x n, in the order of _PAIRS
    weighted *= rows.w
    at = {pair: k for k, pair in enumerate(_PAIRS)}
    at.update({(j, i): k for (i, j), k in list(at.items())})
    sums = weighted.sum(axis=1)
    hess = np.zeros((size, size))
    hess[:4, :4] = [[sums[at[i, j]] for j in range(4)] for i in range(4)]
    # d(log alpha_i) = -z_p d(gamma_p); d(log a_i) = d(log b_i) = z_d d(gamma_d)
    by_kappa = weighted[[at[i, 1] for i in range(4)]]  # 4 x n
    by_life = weighted[[at[i, 2] for i in range(4)]] + weighted[[at[i, 3] for i in range(4)]]
    hess[:4, gp] = -(by_kappa @ rows.z_p)
    hess[:4, gd] = by_life @ rows.z_d
    hess[gp, gp] = rows.z_p.T @ (by_kappa[1][:, None] * rows.z_p)
    hess[gp, gd] = -(rows.z_p.T @ (by_life[1][:, None] * rows.z_d))
    hess[gd, gd] = rows.z_d.T @ ((by_life[2] + by_life[3])[:, None] * rows.z_d)
    hess[4:, :4] = hess[:4, 4:].T
    hess[gd, gp] = hess[gp, gd].T
    return hess


def bgnbd_second_order(
    x: Array, t_x: Array, T: Array, weights: Array, *, z_purchase: Array, z_dropout: Array
) -> SecondOrder:
    """Total weighted BG/NBD covariate log-likelihood, gradient and Hessian in ``theta``.

    ``theta`` stacks ``log r, log alpha_0, log a_0, log b_0``, the purchase coefficients
    and the dropout coefficients (the layout of
    :func:`crmanalytics.value._covariates.bgnbd_objective`, whose value and gradient
    this reproduces).

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._bgnbd_second_order import bgnbd_second_order
    >>> from crmanalytics.value._covariates import bgnbd_objective
    >>> x, t_x, T = np.array([0.0, 2.0, 5.0]), np.array([0.0, 3.0, 7.5]), np.full(3, 10.0)
    >>> z = np.array([[0.0], [1.0], [-0.5]])
    >>> f = bgnbd_second_order(x, t_x, T, np.ones(3), z_purchase=z, z_dropout=z)
    >>> theta = np.array([-0.3, 1.0, -0.2, 0.9, 0.4, -0.1])
    >>> value, grad, hess = f(theta, 2)
    >>> ref_value, ref_grad = bgnbd_objective(x, t_x, T, np.ones(3), z_purchase=z,
    ...                                       z_dropout=z)(theta)
    >>> bool(np.isclose(value, ref_value) and np.allclose(grad, ref_grad))
    True
    >>> hess.shape
    (6, 6)
    """
    rows = _prepare((x, t_x, T, weights), z_purchase, z_dropout)
    n, k_p, k_d = rows.x.size, rows.z_p.shape[1], rows.z_d.shape[1]
    size = 4 + k_p + k_d
    gp = slice(4, 4 + k_p)
    gd = slice(4 + k_p, size)

    def evaluate(theta: Array, order: int = 2) -> tuple[float, Array, Array]:
        logs = theta[:4]
        kappa = logs[1] - rows.z_p @ theta[gp] if k_p else np.full(n, logs[1])
        shift = rows.z_d @ theta[gd] if k_d else np.zeros(n)
        ll, grad_rows, hess_rows = _row_terms(
            rows, (float(logs[0]), kappa, logs[2] + shift, logs[3] + shift), order
        )
        value = float(rows.w @ ll)
        empty = np.empty(0)
        if order == 0:
            return value, empty, empty
        wg = np.column_stack([rows.w * g for g in grad_rows])  # n x 4: rho, kappa, u, v
        grad = np.concatenate(
            [wg.sum(axis=0), -(rows.z_p.T @ wg[:, 1]), rows.z_d.T @ (wg[:, 2] + wg[:, 3])]
        )
        if order == 1:
            return value, grad, empty
        return value, grad, _assemble(rows, hess_rows, size)

    return evaluate
