"""The BG/NBD covariate Hessian kernel and the Newton fit that uses it.

References: the per-row BG/NBD log-likelihood of the model without covariates
(``_bgnbd_math.log_likelihood``, itself checked against Fader, Hardie & Lee 2005) applied
customer by customer with that customer's parameters; central finite differences of the
analytic gradient; and the L-BFGS-B fit with a finite-difference Hessian.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmanalytics.value._bgnbd_math import log_likelihood
from crmanalytics.value._bgnbd_second_order import bgnbd_second_order
from crmanalytics.value._covariates import (
    _first_order,
    bgnbd_row_params,
    fit_with_covariates,
)
from crmanalytics.value._fitting import newton

from .test_covariates import simulate_bgnbd


def _data(n: int, seed: int, *, big: bool = False):
    rng = np.random.default_rng(seed)
    x, t_x, T, z = simulate_bgnbd(
        n,
        rng,
        r=3.0 if big else 0.7,
        alpha0=0.5 if big else 5.0,
        a0=0.3 if big else 0.9,
        b0=8.0 if big else 2.5,
        g_p=np.array([0.2, -0.3]),
        g_d=np.array([0.3, 0.1]),
    )
    weights = rng.integers(1, 4, n).astype(float)
    return x, t_x, T, weights, z


def _reference_total(theta, data):
    """Customer by customer, the model without covariates at that customer's parameters."""
    x, t_x, T, w, z = data
    r, alpha, a, b = bgnbd_row_params(theta, z, z)
    total = 0.0
    for i in range(x.size):
        logs = np.log([r, alpha[i], a[i], b[i]])
        total += w[i] * float(log_likelihood(logs, x[i : i + 1], t_x[i : i + 1], T[i : i + 1])[0])
    return total


@pytest.mark.parametrize("big", [False, True], ids=["finite-sums", "special-functions"])
def test_value_matches_customer_by_customer_reference(big):
    x, t_x, T, w, z = _data(150, 3, big=big)
    f = bgnbd_second_order(x, t_x, T, w, z_purchase=z, z_dropout=z)
    theta = np.array([np.log(0.6), np.log(4.0), np.log(0.7), np.log(2.0), 0.2, -0.1, 0.05, 0.3])
    if big:  # frequencies large enough that the kernel takes the special-function path
        assert x.sum() > 16 * x.size
    assert f(theta, 0)[0] == pytest.approx(_reference_total(theta, (x, t_x, T, w, z)), rel=1e-11)


@settings(max_examples=25, deadline=None)
@given(
    logs=st.lists(st.floats(-1.5, 1.5), min_size=4, max_size=4),
    coefs=st.lists(st.floats(-0.6, 0.6), min_size=4, max_size=4),
    big=st.booleans(),
)
def test_gradient_and_hessian_match_finite_differences(logs, coefs, big):
    x, t_x, T, w, z = _data(120, 5, big=big)
    f = bgnbd_second_order(x, t_x, T, w, z_purchase=z, z_dropout=z)
    theta = np.array([*logs, *coefs])
    value, grad, hess = f(theta, 2)
    eps = 1e-5
    num_grad = np.empty_like(grad)
    num_hess = np.empty_like(hess)
    for i in range(theta.size):
        up, down = theta.copy(), theta.copy()
        up[i] += eps
        down[i] -= eps
        num_grad[i] = (f(up, 0)[0] - f(down, 0)[0]) / (2 * eps)
        num_hess[:, i] = (f(up, 1)[1] - f(down, 1)[1]) / (2 * eps)
    scale = max(1.0, float(np.max(np.abs(hess))))
    assert np.allclose(grad, num_grad, rtol=1e-5, atol=1e-5 * scale)
    assert np.allclose(hess, num_hess, rtol=1e-5, atol=1e-6 * scale)
    assert np.allclose(hess, hess.T)
    assert f(theta, 1)[0] == value


def test_newton_fit_equals_lbfgs_fit_and_its_standard_errors():
    x, t_x, T, w, z = _data(3000, 11)
    second = bgnbd_second_order(x, t_x, T, w, z_purchase=z, z_dropout=z)
    start = np.concatenate([np.log([1.0, 5.0, 1.0, 3.0]), np.zeros(4)])
    common = {"n_params": 4, "total_weight": float(w.sum()), "model": "BG/NBD", "advice": ""}
    for penalizer in (0.0, 0.01):
        newton = fit_with_covariates(
            _first_order(second), start, penalizer=penalizer, second=second, **common
        )
        lbfgs = fit_with_covariates(_first_order(second), start, penalizer=penalizer, **common)
        assert newton.iterations < 15
        assert np.allclose(newton.theta, lbfgs.theta, atol=2e-5)

        # with a penalty the raw log-likelihood is not flat at the optimum: compare the
        # penalised objective, which Newton must not leave higher than L-BFGS-B does
        def penalised(fit, penalizer=penalizer):
            params = np.exp(fit.theta[:4])
            return -fit.log_likelihood / w.sum() + penalizer * np.sum(params**2)

        assert penalised(newton) <= penalised(lbfgs) + 1e-12
        assert np.allclose(newton.covariance, lbfgs.covariance, rtol=1e-3, atol=1e-8)


def test_newton_with_fixed_entries_keeps_them():
    x, t_x, T, w, z = _data(500, 2)
    second = bgnbd_second_order(x, t_x, T, w, z_purchase=z, z_dropout=z)
    start = np.concatenate([np.log([1.0, 5.0, 1.0, 3.0]), [0.0, 0.25, 0.0, 0.0]])
    free = np.array([True] * 4 + [True, False, True, True])
    common = {"n_params": 4, "total_weight": float(w.sum()), "model": "BG/NBD", "advice": ""}
    fit = fit_with_covariates(
        _first_order(second), start, penalizer=0.0, free=free, second=second, **common
    )
    assert fit.theta[5] == 0.25
    assert np.all(fit.covariance[5] == 0)
    reference = fit_with_covariates(_first_order(second), start, penalizer=0.0, free=free, **common)
    assert np.allclose(fit.theta, reference.theta, atol=2e-5)


def test_the_penalty_leaves_coefficients_out():
    """Only the population log-parameters are penalised, as in the L-BFGS-B path."""

    def flat(theta):  # a log-likelihood that does not depend on theta
        return 0.0, np.zeros(theta.size), np.zeros((theta.size, theta.size))

    res = newton(flat, np.array([0.5, 0.7]), total_weight=1.0, penalizer=1.0,
                 penalized=np.array([True, False]))  # fmt: skip
    assert res.x[1] == 0.7  # no pull on the coefficient
    assert res.x[0] < -5  # the penalty drives the parameter down
