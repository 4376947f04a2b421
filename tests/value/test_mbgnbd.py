"""MBG/NBD: lifetimes' ModifiedBetaGeoFitter as the oracle on CDNOW."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest

from crmanalytics.value import ModifiedBetaGeoModel, ModifiedBetaGeoParams, PurchaseModel
from crmanalytics.value import _mbgnbd_math as kernel


@pytest.fixture(scope="module")
def fitted(cdnow_weeks: pd.DataFrame) -> ModifiedBetaGeoModel:
    return ModifiedBetaGeoModel().fit(cdnow_weeks, time_unit="W")


@pytest.fixture(scope="module")
def oracle(cdnow_weeks: pd.DataFrame):
    from lifetimes import ModifiedBetaGeoFitter

    s = cdnow_weeks
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ModifiedBetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])


def test_estimates_match_lifetimes(fitted, oracle) -> None:
    np.testing.assert_allclose(fitted.params_, oracle.params_.to_numpy(), rtol=1e-4)
    assert [round(v, 3) for v in fitted.params_] == [0.525, 6.183, 0.891, 1.614]
    assert isinstance(fitted, PurchaseModel)
    assert fitted.n_customers_ == 2357


def test_log_likelihood_matches_lifetimes_objective(fitted, oracle, cdnow_weeks) -> None:
    s = cdnow_weeks
    lp = np.log(np.asarray(fitted.params_))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mean_nll = oracle._negative_log_likelihood(
            lp,
            s["frequency"].to_numpy(),
            s["recency"].to_numpy(),
            s["T"].to_numpy(),
            np.ones(len(s)),
            0.0,
        )
    assert fitted.log_likelihood_ == pytest.approx(-mean_nll * len(s), rel=1e-12)


def test_predictions_match_lifetimes(fitted, oracle, cdnow_weeks) -> None:
    s = cdnow_weeks
    f, r, T = s["frequency"], s["recency"], s["T"]
    oracle.params_[:] = list(fitted.params_)
    np.testing.assert_allclose(
        fitted.probability_alive(s), oracle.conditional_probability_alive(f, r, T), rtol=1e-10
    )
    np.testing.assert_allclose(
        fitted.expected_purchases(s, 39),
        oracle.conditional_expected_number_of_purchases_up_to_time(39, f, r, T),
        rtol=1e-8,
    )
    np.testing.assert_allclose(
        fitted.expected_purchases_new_customer([1, 10, 39]),
        oracle.expected_number_of_purchases_up_to_time(np.array([1, 10, 39.0])),
        rtol=1e-8,
    )
    new = pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [0.0]})
    for n in range(5):
        assert fitted.probability_of_purchases(new, n, 10)[0] == pytest.approx(
            oracle.probability_of_n_purchases_up_to_time(10, n), rel=1e-8
        )


def test_conditional_pmf_is_a_distribution_with_the_right_mean(fitted, cdnow_weeks) -> None:
    rows = cdnow_weeks.head(8)
    probs = np.array([fitted.probability_of_purchases(rows, n, 26) for n in range(200)])
    np.testing.assert_allclose(probs.sum(axis=0), 1.0, atol=1e-9)
    mean = (np.arange(200)[:, None] * probs).sum(axis=0)
    np.testing.assert_allclose(mean, fitted.expected_purchases(rows, 26), rtol=1e-7)


def test_no_repeat_customers_are_not_surely_alive(fitted) -> None:
    rows = pd.DataFrame({"frequency": [0, 0], "recency": [0.0, 0.0], "T": [1.0, 30.0]})
    alive = fitted.probability_alive(rows)
    assert np.all(alive < 1)
    assert alive[0] > alive[1]


def test_gradient_matches_finite_differences(cdnow_weeks) -> None:
    x, t_x, T = (cdnow_weeks[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    w = np.ones_like(x)
    lp = np.log([0.4, 5.0, 1.2, 2.0])
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


def test_large_frequency_stays_finite() -> None:
    m = ModifiedBetaGeoModel.from_params(ModifiedBetaGeoParams(0.525, 6.183, 0.891, 1.614))
    rows = pd.DataFrame(
        {"frequency": [5_000, 10_000], "recency": [9_000.0, 9_999.0], "T": [10_000.0, 10_000.0]}
    )
    out = m.expected_purchases(rows, 52)
    assert np.all(np.isfinite(out))
    assert np.all(out > 0)


def test_columns_backends_and_json(fitted, cdnow_weeks) -> None:
    renamed = pl.from_pandas(cdnow_weeks.rename(columns={"recency": "t_x"}))
    other = ModifiedBetaGeoModel().fit(renamed, columns={"recency": "t_x"})
    np.testing.assert_allclose(other.params_, fitted.params_, rtol=1e-6)
    back = ModifiedBetaGeoModel.from_json(fitted.to_json())
    assert back.params_ == fitted.params_
    assert back.time_unit_ == "W"
    assert back.log_likelihood_ == fitted.log_likelihood_
    np.testing.assert_array_equal(back.log_covariance_, fitted.log_covariance_)
    assert ModifiedBetaGeoModel.from_params(fitted.params_).params_ == fitted.params_
