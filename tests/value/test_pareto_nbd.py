"""Pareto/NBD: the published CDNOW fit, lifetimes as oracle, mpmath for the 2F1 regime."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pandas as pd
import polars as pl
import pytest

from crmanalytics.value import ParetoNBDModel, ParetoNBDParams, PurchaseModel
from crmanalytics.value import _pareto_nbd_math as kernel

PAPER = ParetoNBDParams(r=0.553, alpha=10.578, s=0.606, beta=11.669)


@pytest.fixture(scope="module")
def fitted(cdnow_weeks: pd.DataFrame) -> ParetoNBDModel:
    return ParetoNBDModel().fit(cdnow_weeks, time_unit="W")


@pytest.fixture(scope="module")
def oracle(fitted: ParetoNBDModel):
    from lifetimes import ParetoNBDFitter

    fitter = ParetoNBDFitter()
    fitter.params_ = pd.Series(list(fitted.params_), index=["r", "alpha", "s", "beta"])
    return fitter


def test_cdnow_reproduces_published_fit(fitted: ParetoNBDModel) -> None:
    assert [round(v, 3) for v in fitted.params_] == list(PAPER)
    assert round(fitted.log_likelihood_, 1) == -9595.0
    assert fitted.n_customers_ == 2357
    assert fitted.time_unit_ == "W"
    assert isinstance(fitted, PurchaseModel)
    table = fitted.summary()
    assert list(table.index) == ["r", "alpha", "s", "beta"]
    assert np.all(table["std_error"] > 0)


def test_cdnow_standard_errors_match_clvtools(fitted: ParetoNBDModel) -> None:
    """CLVTools' documented CDNOW standard errors (its test suite, ``pnbd`` without
    covariates): r 0.0476264, alpha 0.8427222, s 0.1872594, beta 6.2105448."""
    clvtools = [0.0476264, 0.8427222, 0.1872594, 6.2105448]
    np.testing.assert_allclose(fitted.summary()["std_error"], clvtools, rtol=1e-3)


def test_predictions_match_lifetimes(fitted, oracle, cdnow_weeks) -> None:
    s = cdnow_weeks
    f, r, T = s["frequency"], s["recency"], s["T"]
    np.testing.assert_allclose(
        fitted.probability_alive(s), oracle.conditional_probability_alive(f, r, T), rtol=1e-9
    )
    np.testing.assert_allclose(
        fitted.expected_purchases(s, 39),
        oracle.conditional_expected_number_of_purchases_up_to_time(39, f, r, T),
        rtol=1e-9,
    )
    np.testing.assert_allclose(
        fitted.expected_purchases_new_customer([1, 10, 39, 78]),
        oracle.expected_number_of_purchases_up_to_time(np.array([1, 10, 39, 78.0])),
        rtol=1e-10,
    )
    head = s.head(200)
    for n in (0, 1, 3):
        got = fitted.probability_of_purchases(head, n, 20)
        ref = oracle.conditional_probability_of_n_purchases_up_to_time(
            n, 20, head["frequency"].to_numpy(), head["recency"].to_numpy(), head["T"].to_numpy()
        )
        np.testing.assert_allclose(got, ref, atol=1e-10)


def test_purchase_probabilities_sum_to_one(fitted, cdnow_weeks) -> None:
    rows = pd.concat(
        [cdnow_weeks.head(5), pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [0.0]})]
    )
    total = sum(fitted.probability_of_purchases(rows, n, 39) for n in range(150))
    np.testing.assert_allclose(total, 1.0, atol=1e-9)
    mean = sum(n * fitted.probability_of_purchases(rows, n, 39) for n in range(150))
    np.testing.assert_allclose(mean, fitted.expected_purchases(rows, 39), rtol=1e-7)


def _reference_loglik(params, x, t_x, T) -> float:
    """Fader & Hardie's equations (18)-(20), in 150-digit arithmetic."""
    with mpmath.workdps(150):
        r, alpha, s, beta = (mpmath.mpf(v) for v in params)
        x, t_x, T = mpmath.mpf(x), mpmath.mpf(t_x), mpmath.mpf(T)
        a_sum = r + s + x
        high, second = (alpha, s + 1) if alpha >= beta else (beta, r + x)
        low = min(alpha, beta)

        def tail(t):
            z = (high - low) / (high + t)
            return mpmath.hyp2f1(a_sum, second, a_sum + 1, z) / (high + t) ** a_sum

        alive = (alpha + T) ** (-(r + x)) * (beta + T) ** (-s)
        value = (
            mpmath.loggamma(r + x)
            - mpmath.loggamma(r)
            + r * mpmath.log(alpha)
            + s * mpmath.log(beta)
            + mpmath.log(alive + s / a_sum * (tail(t_x) - tail(T)))
        )
        return float(value)


GRID = [
    (x, frac, T)
    for x in (0, 10, 10_000)
    for T in (10.0, 10_000.0)
    for frac in ((0.0,) if x == 0 else (0.01, 0.999))
]


@pytest.mark.parametrize(
    "params",
    [tuple(PAPER), (0.5, 100.0, 0.6, 0.5), (0.5, 0.3, 0.6, 80.0)],
    ids=["cdnow", "alpha>>beta", "beta>>alpha"],
)
def test_loglik_stable_against_mpmath(params) -> None:
    p = np.array(params)
    x = np.array([g[0] for g in GRID], dtype=float)
    T = np.array([g[2] for g in GRID])
    t_x = np.array([g[1] for g in GRID]) * T
    got = kernel.log_likelihood(p, x, t_x, T)
    ref = np.array([_reference_loglik(params, *row) for row in zip(x, t_x, T, strict=True)])
    np.testing.assert_allclose(got, ref, rtol=1e-11, atol=1e-11)
    assert np.all(np.isfinite(got))


def test_naive_evaluation_fails_where_ours_does_not() -> None:
    """lifetimes' direct 2F1 gives no finite value at frequency 10^4 (the regime of the issue)."""
    from lifetimes import ParetoNBDFitter

    params = (0.5, 0.3, 0.6, 80.0)
    x, t_x, T = np.array([10_000.0]), np.array([99.9]), np.array([10_000.0])
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        naive = ParetoNBDFitter._conditional_log_likelihood(params, x, t_x, T)
    ours = kernel.log_likelihood(np.array(params), x, t_x, T)
    assert not np.isfinite(naive[0]) or abs(naive[0] - ours[0]) > 1.0
    assert ours[0] == pytest.approx(_reference_loglik(params, 10_000, 99.9, 10_000.0), rel=1e-12)


@pytest.mark.parametrize(
    ("m", "n", "z"),
    [(0.6, 1.6, 0.3), (1e4, 1.6, 0.999), (1.6, 1e4, 0.9), (3.0, 0.7, 0.99), (50.0, 2.0, 0.0)],
)
def test_hypergeometric_series_and_derivatives(m, n, z) -> None:
    h = kernel.hyp_one(np.array([m]), np.array([n]), np.array([z]))
    with mpmath.workdps(40):
        f = lambda mm, nn, zz: mpmath.log(mpmath.hyp2f1(1, mm, mm + nn, zz))  # noqa: E731
        assert float(h.log_f[0]) == pytest.approx(float(f(m, n, z)), rel=1e-13, abs=1e-14)
        assert float(h.d_m[0]) == pytest.approx(
            float(mpmath.diff(lambda v: f(v, n, z), m)), rel=1e-9, abs=1e-12
        )
        assert float(h.d_n[0]) == pytest.approx(
            float(mpmath.diff(lambda v: f(m, v, z), n)), rel=1e-9, abs=1e-12
        )
        assert float(h.d_z[0]) == pytest.approx(
            float(mpmath.diff(lambda v: f(m, n, v), z)), rel=1e-9
        )


def test_analytic_gradient_matches_finite_differences(cdnow_weeks) -> None:
    s = cdnow_weeks
    x, t_x, T = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    w = np.ones_like(x)
    for point in ([0.553, 10.578, 0.606, 11.669], [0.3, 5.0, 1.4, 30.0], [2.0, 40.0, 0.2, 3.0]):
        lp = np.log(point)
        _, grad = kernel.value_and_gradient(lp, x, t_x, T, w)
        h = 1e-6
        numeric = [
            (
                kernel.value_and_gradient(lp + h * e, x, t_x, T, w)[0]
                - kernel.value_and_gradient(lp - h * e, x, t_x, T, w)[0]
            )
            / (2 * h)
            for e in np.eye(4)
        ]
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-4)


def test_weights_columns_backends_and_json(fitted, cdnow_weeks) -> None:
    rows = cdnow_weeks.groupby(["frequency", "recency", "T"], as_index=False).size()
    renamed = rows.rename(columns={"frequency": "x", "T": "age"})
    other = ParetoNBDModel().fit(
        pl.from_pandas(renamed),
        weights="size",
        time_unit="W",
        columns={"frequency": "x", "T": "age"},
    )
    np.testing.assert_allclose(other.params_, fitted.params_, rtol=1e-6)
    assert other.time_unit_ == "W"
    back = ParetoNBDModel.from_json(fitted.to_json())
    assert back.params_ == fitted.params_
    np.testing.assert_array_equal(back.log_covariance_, fitted.log_covariance_)
    assert back.time_unit_ == "W"
    built = ParetoNBDModel.from_params(PAPER, time_unit="W")
    assert built.params_ == PAPER
    lazy = pl.from_pandas(cdnow_weeks.head(10)).lazy()
    np.testing.assert_allclose(
        built.probability_alive(lazy), built.probability_alive(cdnow_weeks.head(10)), rtol=1e-12
    )


def test_unidentified_data_raise_clear_errors() -> None:
    none_repeat = pd.DataFrame({"frequency": [0, 0], "recency": [0.0, 0.0], "T": [5.0, 6.0]})
    with pytest.raises(ValueError, match="no customer has a repeat purchase"):
        ParetoNBDModel().fit(none_repeat)
    with pytest.raises(ValueError, match="n must be"):
        ParetoNBDModel.from_params(PAPER).probability_of_purchases(none_repeat, -1, 5)


def test_fit_backend_parity(backend, to_backend, cdnow_weeks) -> None:
    rows = cdnow_weeks.groupby(["frequency", "recency", "T"], as_index=False).size()
    ref = ParetoNBDModel().fit(rows, weights="size")
    other = ParetoNBDModel().fit(to_backend(rows, backend), weights="size")
    np.testing.assert_allclose(other.params_, ref.params_, rtol=1e-9)


def test_plugs_into_customer_lifetime_value(fitted, cdnow_weeks) -> None:
    from crmanalytics.value import GammaGammaModel, customer_lifetime_value

    s = cdnow_weeks.head(50)
    spend = GammaGammaModel().fit(cdnow_weeks[cdnow_weeks["frequency"] > 0])
    clv = customer_lifetime_value(
        s, fitted, spend, periods=1, period_length=4.0, discount_rate=0.01
    )
    manual = spend.expected_spend(s) * fitted.expected_purchases(s, 4.0) / 1.01
    np.testing.assert_allclose(clv["clv"].to_numpy(), manual, rtol=1e-10)
