"""Fast fitting kernels: analytic derivatives against finite differences, Newton against
L-BFGS-B, the blockwise 2F1 series against the row-by-row one, subsample starts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmanalytics.errors import ConvergenceError
from crmanalytics.value import BetaGeoModel, ParetoNBDModel
from crmanalytics.value import _bgnbd_math as bg
from crmanalytics.value import _pareto_nbd_math as pnbd
from crmanalytics.value._fitting import fit_log_params, newton


def _process(
    rng: np.random.Generator, rate: np.ndarray, end: np.ndarray, drop: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson purchases until ``end``; with ``drop``, dropout after each purchase."""
    n = rate.size
    x, t_x, clock = np.zeros(n), np.zeros(n), np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        clock[idx] += rng.exponential(1.0 / rate[idx])
        past = clock[idx] > end[idx]
        active[idx[past]] = False
        buy = idx[~past]
        x[buy] += 1
        t_x[buy] = clock[buy]
        if drop is not None:
            active[buy[rng.random(buy.size) < drop[buy]]] = False
    return x, t_x


def _simulate_bgnbd(n: int, seed: int, params=(0.25, 4.4, 0.8, 2.4)) -> pd.DataFrame:
    """BG/NBD customers in continuous time (weeks), observed 26 to 52 weeks."""
    r, alpha, a, b = params
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    drop = rng.beta(a, b, size=n)
    T = rng.uniform(26.0, 52.0, size=n)
    x, t_x = _process(rng, lam, T, drop)
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": T})


def _rows(summary: pd.DataFrame, weights: np.ndarray | None = None) -> bg.Rows:
    x, t_x, T = (summary[c].to_numpy(np.float64) for c in ("frequency", "recency", "T"))
    w = np.ones(x.size) if weights is None else weights
    return bg.Rows.build(x, t_x, T, w)


def _numeric_jacobian(f, at: np.ndarray, step: float = 1e-5) -> np.ndarray:
    cols = []
    for i in range(at.size):
        e = np.zeros(at.size)
        e[i] = step
        cols.append((np.asarray(f(at + e)) - np.asarray(f(at - e))) / (2 * step))
    return np.array(cols).T


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    return _simulate_bgnbd(3000, seed=1)


@given(
    lp=st.tuples(*(st.floats(-2.0, 2.0) for _ in range(4))).map(np.array),
    seed=st.integers(0, 3),
)
@settings(max_examples=25, deadline=None)
def test_bgnbd_gradient_and_hessian_match_finite_differences(lp: np.ndarray, seed: int) -> None:
    summary = _simulate_bgnbd(300, seed=seed)
    weights = np.random.default_rng(seed).integers(1, 4, size=len(summary)).astype(float)
    rows = _rows(summary, weights)
    value, grad, hess = bg.derivatives(lp, rows)
    # the value is the per-row log-likelihood of the paper's formula, summed
    x, t_x, T = (summary[c].to_numpy(np.float64) for c in ("frequency", "recency", "T"))
    ref = float(np.dot(weights, bg.log_likelihood(lp, x, t_x, T)))
    assert value == pytest.approx(ref, rel=1e-12, abs=1e-9)
    num_grad = _numeric_jacobian(lambda p: bg.derivatives(p, rows, hessian=False)[0], lp)
    np.testing.assert_allclose(grad, num_grad, rtol=1e-6, atol=1e-5 * max(1.0, abs(value)))
    num_hess = _numeric_jacobian(lambda p: bg.derivatives(p, rows, hessian=False)[1], lp)
    scale = max(1.0, float(np.max(np.abs(hess))))
    np.testing.assert_allclose(hess, num_hess, rtol=1e-6, atol=1e-6 * scale)
    np.testing.assert_allclose(hess, hess.T)


def test_bgnbd_value_and_gradient_unchanged_by_row_order(cdnow_weeks: pd.DataFrame) -> None:
    rows = _rows(cdnow_weeks)
    shuffled = _rows(cdnow_weeks.sample(frac=1.0, random_state=0))
    lp = np.log([0.3, 4.0, 0.7, 2.0])
    a, b = bg.derivatives(lp, rows), bg.derivatives(lp, shuffled)
    assert a[0] == pytest.approx(b[0], rel=1e-13)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-11)
    np.testing.assert_allclose(a[2], b[2], rtol=1e-11)


def test_rows_with_fractional_frequency_use_the_sorted_path() -> None:
    # frequencies are whole numbers once validated; the kernel still handles others
    x = np.array([0.0, 1.5, 1.5, 3.0])
    rows = bg.Rows.build(x, np.array([0.0, 2.0, 3.0, 4.0]), np.full(4, 5.0), np.ones(4))
    np.testing.assert_array_equal(rows.ux, [0.0, 1.5, 3.0])
    np.testing.assert_array_equal(rows.wx, [1.0, 2.0, 1.0])
    lp = np.log([0.5, 2.0, 0.8, 2.5])
    ref = bg.log_likelihood(lp, x, np.array([0.0, 2.0, 3.0, 4.0]), np.full(4, 5.0)).sum()
    assert bg.derivatives(lp, rows)[0] == pytest.approx(ref, rel=1e-12)


def _fit_both(rows: bg.Rows, penalizer: float = 0.0):
    start = [np.log([1.0, 10.0, 1.0, 3.0]), np.zeros(4)]
    kwargs = {"total_weight": rows.total, "penalizer": penalizer, "model": "BG/NBD", "advice": ""}

    def vg(lp: np.ndarray) -> tuple[float, np.ndarray]:
        return bg.value_and_gradient_rows(lp, rows)

    newton_fit = fit_log_params(
        vg, start, value_grad_hess=lambda lp: bg.derivatives(lp, rows), **kwargs
    )
    lbfgsb_fit = fit_log_params(vg, start, **kwargs)
    return newton_fit, lbfgsb_fit


@pytest.mark.parametrize("penalizer", [0.0, 0.01])
def test_newton_reaches_the_lbfgsb_optimum_on_cdnow(
    cdnow_weeks: pd.DataFrame, penalizer: float
) -> None:
    newton_fit, lbfgsb_fit = _fit_both(_rows(cdnow_weeks), penalizer)
    np.testing.assert_allclose(newton_fit.log_params, lbfgsb_fit.log_params, atol=1e-5)
    # Newton's optimum is at least as good (to rounding)
    assert newton_fit.log_likelihood >= lbfgsb_fit.log_likelihood - 1e-7
    # analytic observed information against the central-difference one
    np.testing.assert_allclose(newton_fit.log_covariance, lbfgsb_fit.log_covariance, rtol=1e-3)


def test_newton_reaches_the_lbfgsb_optimum_on_simulated_data(simulated: pd.DataFrame) -> None:
    newton_fit, lbfgsb_fit = _fit_both(_rows(simulated))
    np.testing.assert_allclose(newton_fit.log_params, lbfgsb_fit.log_params, atol=1e-5)
    assert newton_fit.log_likelihood >= lbfgsb_fit.log_likelihood - 1e-7
    np.testing.assert_allclose(newton_fit.log_covariance, lbfgsb_fit.log_covariance, rtol=1e-3)


def test_bgnbd_fit_with_subsample_start_matches_lifetimes() -> None:
    from lifetimes import BetaGeoFitter

    summary = _simulate_bgnbd(60_000, seed=2)  # above the 40,000 rows of a subsample start
    model = BetaGeoModel().fit(summary)
    ref = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    np.testing.assert_allclose(list(model.params_), ref.params_.to_numpy(), rtol=1e-4)
    se = model.summary()["std_error"].to_numpy()
    np.testing.assert_allclose(se, ref.summary["se(coef)"].to_numpy(), rtol=1e-2)


def test_newton_on_a_ridge_falls_back_and_raises() -> None:
    # everybody buys right up to T: the parameters run off along a ridge
    s = pd.DataFrame({"frequency": [1, 2, 3] * 10, "recency": [30.0] * 30, "T": [30.0] * 30})
    rows = _rows(s)
    res = newton(
        lambda lp: bg.derivatives(lp, rows),
        np.log([1.0, 15.0, 1.0, 3.0]),
        total_weight=rows.total,
        penalizer=0.0,
    )
    assert not res.converged or np.linalg.cond(res.hessian) > 1e9
    with pytest.raises(ConvergenceError, match="penalizer"):
        BetaGeoModel().fit(s)


@given(
    m=st.floats(0.05, 40.0),
    n=st.floats(0.05, 40.0),
    z=st.lists(st.floats(0.0, 0.97, allow_subnormal=False), min_size=1, max_size=30),
)
@settings(max_examples=60, deadline=None)
def test_blockwise_series_equals_the_row_series(m: float, n: float, z: list[float]) -> None:
    zz = np.array(z)
    # two blocks of (m, n) values: the second one shifted as a higher frequency would be
    mm = np.concatenate([np.full(zz.size, m), np.full(zz.size, m + 3.0)])
    nn = np.full(2 * zz.size, n)
    z2 = np.concatenate([zz, zz[::-1]])
    bounds = np.array([0, zz.size, 2 * zz.size])
    fast, slow = pnbd.hyp_one_blocks(mm, nn, z2, bounds), pnbd.hyp_one(mm, nn, z2)
    for name in ("log_f", "d_m", "d_n", "d_z"):
        np.testing.assert_allclose(getattr(fast, name), getattr(slow, name), rtol=1e-12, atol=1e-15)


def test_blockwise_series_hands_z_near_one_to_the_row_series() -> None:
    z = np.array([0.9995, 0.2, 0.99999])
    m, n = np.full(3, 0.6), np.full(3, 1.6)
    fast = pnbd.hyp_one_blocks(m, n, z, np.array([0, 3]))
    slow = pnbd.hyp_one(m, n, z)
    np.testing.assert_allclose(fast.log_f, slow.log_f, rtol=1e-13)
    np.testing.assert_allclose(fast.d_z, slow.d_z, rtol=1e-12)


def _simulate_pnbd(n: int, seed: int) -> pd.DataFrame:
    r, alpha, s, beta = 0.55, 10.5, 0.6, 12.0
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    end = np.minimum(rng.exponential(1.0 / rng.gamma(s, 1.0 / beta, size=n)), 39.0)
    x, t_x = _process(rng, lam, end, None)
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": np.full(n, 39.0)})


def test_pareto_nbd_kernel_sorted_rows_give_the_row_by_row_values() -> None:
    s = _simulate_pnbd(2000, seed=3)
    ordered = s.sort_values(["frequency", "recency", "T"])
    lp = np.log([0.5, 9.0, 0.7, 13.0])
    args = [ordered[c].to_numpy(np.float64) for c in ("frequency", "recency", "T")]
    v_sorted, g_sorted = pnbd.value_and_gradient(lp, *args, np.ones(len(s)))  # blockwise
    rev = [a[::-1].copy() for a in args]  # descending x: the row series
    v_rows, g_rows = pnbd.value_and_gradient(lp, *rev, np.ones(len(s)))
    assert v_sorted == pytest.approx(v_rows, rel=1e-12)
    np.testing.assert_allclose(g_sorted, g_rows, rtol=1e-10)


@pytest.mark.slow
def test_pareto_nbd_subsample_start_reaches_the_lbfgsb_optimum() -> None:
    from crmanalytics.value import _continuous

    s = _simulate_pnbd(50_000, seed=4)  # above the 40,000 rows of a subsample start
    fast = ParetoNBDModel().fit(s)
    saved = _continuous._SUBSAMPLE
    try:
        _continuous._SUBSAMPLE = 10**9  # no subsample: L-BFGS-B from the usual starts
        plain = ParetoNBDModel().fit(s)
    finally:
        _continuous._SUBSAMPLE = saved
    np.testing.assert_allclose(list(fast.params_), list(plain.params_), rtol=1e-4)
    assert fast.log_likelihood_ >= plain.log_likelihood_ - 1e-6
    np.testing.assert_allclose(
        fast.summary()["std_error"].to_numpy(), plain.summary()["std_error"].to_numpy(), rtol=1e-3
    )


@given(
    params=st.tuples(
        st.floats(0.2, 2.0), st.floats(1.0, 20.0), st.floats(0.3, 3.0), st.floats(1.0, 10.0)
    ),
    seed=st.integers(0, 1000),
)
@settings(max_examples=10, deadline=None)
def test_newton_and_lbfgsb_agree_on_simulated_populations(params, seed: int) -> None:
    rows = _rows(_simulate_bgnbd(1500, seed=seed, params=params))
    try:
        newton_fit, lbfgsb_fit = _fit_both(rows)
    except ConvergenceError:
        return  # a sample that does not identify the parameters: both paths refuse it
    # same optimum: equal log-likelihoods, and parameters within their standard errors'
    # thousandth (the likelihood can be very flat in some directions)
    assert newton_fit.log_likelihood == pytest.approx(lbfgsb_fit.log_likelihood, abs=1e-6)
    se = np.sqrt(np.diag(newton_fit.log_covariance))
    assert np.all(np.abs(newton_fit.log_params - lbfgsb_fit.log_params) <= 1e-3 * se + 1e-6)


def test_a_ridge_on_large_data_raises_for_eager_and_lazy_summaries() -> None:
    # recency uniform over the whole history: no sign of dropout, so a and b run off
    # together; Newton must not stop somewhere on that ridge (with a subsample start on
    # 50,000 eager rows it once did, at a = 1e5), the L-BFGS-B checks decide as before
    import polars as pl

    rng = np.random.default_rng(0)
    n = 50_000
    x = rng.integers(1, 5, n).astype(float)
    T = rng.uniform(20, 40, n)
    s = pd.DataFrame({"frequency": x, "recency": T * rng.uniform(0, 1, n), "T": T})
    for summary in (s, pl.from_pandas(s).lazy()):
        with pytest.raises(ConvergenceError, match="penalizer"):
            BetaGeoModel().fit(summary)
