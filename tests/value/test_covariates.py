"""Covariates in BG/NBD and Gamma-Gamma: kernels, zero-coefficient equivalence, recovery."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import approx_fprime

from crmanalytics.datasets import load_cdnow
from crmanalytics.value import BetaGeoModel, GammaGammaModel, customer_summary
from crmanalytics.value._covariates import (
    CovariateDesign,
    bgnbd_objective,
    fit_with_covariates,
    gamma_gamma_objective,
)


def simulate_bgnbd(n, rng, *, r, alpha0, a0, b0, g_p, g_d, T=52.0):
    """Customers from the BG/NBD story with covariate-scaled alpha, a and b."""
    z = rng.normal(size=(n, 2))
    z[:, 1] = (rng.random(n) < 0.5).astype(float)
    alpha = alpha0 * np.exp(-(z @ g_p))
    life = np.exp(z @ g_d)
    lam = rng.gamma(r, 1.0 / alpha)
    p = rng.beta(a0 * life, b0 * life)
    x = np.zeros(n)
    t_x = np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1.0 / lam[i])
            if t > T:
                break
            x[i] += 1
            t_x[i] = t
            if rng.random() < p[i]:
                break
    return x, t_x, np.full(n, T), z


def test_bgnbd_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    x, t_x, T, z = simulate_bgnbd(
        300,
        rng,
        r=0.5,
        alpha0=5.0,
        a0=0.8,
        b0=2.5,
        g_p=np.array([0.3, -0.2]),
        g_d=np.array([0.1, 0.4]),
    )
    f = bgnbd_objective(x, t_x, T, np.ones_like(x), z_purchase=z, z_dropout=z)
    theta = np.array([np.log(0.6), np.log(4.0), np.log(0.7), np.log(2.0), 0.2, -0.1, 0.05, 0.3])
    numeric = approx_fprime(theta, lambda th: f(th)[0], 1e-6)
    assert np.allclose(f(theta)[1], numeric, rtol=1e-4, atol=1e-3)


def test_gamma_gamma_gradient_matches_finite_differences():
    rng = np.random.default_rng(2)
    x = rng.integers(1, 8, 200).astype(float)
    m = rng.gamma(3.0, 10.0, 200)
    z = rng.normal(size=(200, 2))
    f = gamma_gamma_objective(x, m, z)
    theta = np.array([np.log(5.0), np.log(3.0), np.log(12.0), 0.1, -0.2])
    numeric = approx_fprime(theta, lambda th: f(th)[0], 1e-6)
    assert np.allclose(f(theta)[1], numeric, rtol=1e-4, atol=1e-3)


def test_coefficients_fixed_at_zero_give_the_model_without_covariates():
    s = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
    plain = BetaGeoModel().fit(s)
    x, t_x, T = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    z = np.random.default_rng(0).normal(size=(len(s), 1))
    f = bgnbd_objective(x, t_x, T, np.ones_like(x), z_purchase=z, z_dropout=z)
    start = np.array([0.0, np.log(5.0), 0.0, np.log(3.0), 0.0, 0.0])
    free = np.array([True, True, True, True, False, False])
    fit = fit_with_covariates(
        f,
        start,
        n_params=4,
        total_weight=len(s),
        penalizer=0.0,
        model="BG/NBD",
        advice="",
        free=free,
    )
    assert np.allclose(np.exp(fit.theta[:4]), plain.params_, rtol=1e-5)
    assert fit.log_likelihood == pytest.approx(plain.log_likelihood_, abs=1e-6)

    gg = GammaGammaModel().fit(s)
    repeat = s[s.frequency > 0]
    g = gamma_gamma_objective(
        repeat.frequency.to_numpy(float),
        repeat.monetary_value.to_numpy(float),
        np.ones((len(repeat), 1)),
    )
    fit_gg = fit_with_covariates(
        g,
        np.array([0.0, 0.0, 0.0, 0.0]),
        n_params=3,
        total_weight=len(repeat),
        penalizer=0.0,
        model="GG",
        advice="",
        free=np.array([True, True, True, False]),
    )
    assert np.allclose(np.exp(fit_gg.theta[:3]), gg.params_, rtol=1e-4)


def test_planted_bgnbd_coefficients_are_recovered_within_their_intervals():
    rng = np.random.default_rng(7)
    g_p, g_d = np.array([0.4, -0.3]), np.array([-0.3, 0.5])
    x, t_x, T, z = simulate_bgnbd(8000, rng, r=0.8, alpha0=6.0, a0=0.9, b0=2.0, g_p=g_p, g_d=g_d)
    f = bgnbd_objective(x, t_x, T, np.ones_like(x), z_purchase=z, z_dropout=z)
    start = np.concatenate([np.log([1.0, 5.0, 1.0, 3.0]), np.zeros(4)])
    fit = fit_with_covariates(
        f, start, n_params=4, total_weight=len(x), penalizer=0.0, model="BG/NBD", advice=""
    )
    est = fit.theta[4:]
    se = np.sqrt(np.diag(fit.covariance))[4:]
    truth = np.concatenate([g_p, g_d])
    assert np.all(np.abs(est - truth) < 3.5 * se), (est, se)
    assert np.all(se < 0.3)


def test_design_one_hot_against_a_reference_level():
    design = CovariateDesign.learn({"region": np.array(["b", "a", "c", "a"], dtype=object)})
    assert design.names == ("region[b]", "region[c]")
    assert design.matrix({"region": np.array(["a", "c"], dtype=object)}).tolist() == [
        [0.0, 0.0],
        [0.0, 1.0],
    ]


@pytest.mark.parametrize("backend", ["pandas", "polars", "polars-lazy", "pyarrow", "duckdb"])
def test_add_customer_attributes_joins_in_the_engine(backend):
    import warnings

    import pandas as pd
    from backends import convert, to_pandas

    from crmanalytics.errors import DataQualityWarning, SchemaError
    from crmanalytics.value import add_customer_attributes

    summary = pd.DataFrame({"customer_id": [3, 1, 2], "frequency": [1.0, 0.0, 2.0]})
    customers = pd.DataFrame(
        {"customer_id": [1, 2], "region": ["n", "s"], "acquisition_channel": ["ads", "seo"]}
    )
    native = convert(summary, backend)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = add_customer_attributes(native, customers, attributes=["region"])
    assert type(out) is type(native)
    got = to_pandas(out).sort_values("customer_id").reset_index(drop=True)
    assert got["region"].tolist()[:2] == ["n", "s"]
    assert pd.isna(got["region"].iloc[2])
    assert any(isinstance(w.message, DataQualityWarning) for w in caught)
    if backend == "pandas":
        assert out["customer_id"].tolist() == [3, 1, 2]  # the summary's order
    with pytest.raises(SchemaError, match="not a column of the customers table"):
        add_customer_attributes(native, customers, attributes=["age"])


def _covariate_summary(n=6000, seed=3):
    import pandas as pd

    rng = np.random.default_rng(seed)
    g_p, g_d = np.array([0.5, 0.0]), np.array([0.0, 0.6])
    x, t_x, T, z = simulate_bgnbd(n, rng, r=0.8, alpha0=6.0, a0=0.9, b0=2.0, g_p=g_p, g_d=g_d)
    channel = np.where(z[:, 1] > 0, "web", "store")
    spend_scale = np.exp(0.4 * (channel == "web"))
    m = np.where(x > 0, rng.gamma(6.0, 15.0 * spend_scale / 6.0) + 1.0, 0.0)
    return pd.DataFrame(
        {
            "customer_id": np.arange(n),
            "frequency": x,
            "recency": t_x,
            "T": T,
            "monetary_value": m,
            "score": z[:, 0],
            "channel": channel,
        }
    )


def test_fit_with_covariates_through_the_public_api():
    import json

    from crmanalytics.value import customer_lifetime_value

    s = _covariate_summary()
    model = BetaGeoModel().fit(
        s, purchase_covariates=["score"], dropout_covariates=["channel"], time_unit="W"
    )
    coef = model.coefficients_.set_index(["process", "covariate"])
    assert list(model.coefficients_.columns[:6]) == [
        "process",
        "covariate",
        "estimate",
        "std_error",
        "z",
        "p_value",
    ]
    score = coef.loc[("purchase", "score")]
    assert abs(score.estimate - 0.5) < 3.5 * score.std_error
    web = coef.loc[("dropout", "channel[web]")]
    assert abs(web.estimate - 0.6) < 3.5 * web.std_error
    assert score.p_value < 1e-6
    # predictions use each customer's covariates
    new = s.assign(frequency=0.0, recency=0.0, T=0.0)
    shifted = new.assign(score=new.score + 1.0)
    assert (model.expected_purchases(shifted, 10) > model.expected_purchases(new, 10)).all()
    by_horizon = model.expected_purchases_by_horizon(s, [4.0, 52.0])
    np.testing.assert_array_equal(by_horizon[:, 1], model.expected_purchases(s, 52.0))
    assert np.all(by_horizon[:, 1] >= by_horizon[:, 0])
    # the base summary and a saved copy
    assert list(model.summary().index) == ["r", "alpha", "a", "b"]
    again = BetaGeoModel.from_json(model.to_json())
    assert np.allclose(again.probability_alive(s), model.probability_alive(s))
    assert json.loads(model.to_json())["covariates"]["processes"][0][0] == "purchase"
    spend = GammaGammaModel().fit(s, spend_covariates=["channel"])
    gg_web = spend.coefficients_.set_index("covariate").loc["channel[web]"]
    assert abs(gg_web.estimate - 0.4) < 3.5 * gg_web.std_error
    clv = customer_lifetime_value(s, model, spend, period_length="30D")
    assert clv["clv"].notna().all()
    assert len(clv) == len(s)
    with pytest.raises(ValueError, match="covariates"):
        customer_lifetime_value(s, model, spend, interval=0.9)
    with pytest.raises(Exception, match="score"):
        model.probability_alive(s.drop(columns="score"))


def test_covariate_model_without_covariates_equals_plain_fit():
    s = _covariate_summary(2000, seed=5)
    plain = BetaGeoModel().fit(s)
    assert plain.covariates_ == ()
    with pytest.raises(Exception, match="not fitted with covariates"):
        _ = plain.coefficients_


def simulate_pareto_nbd(n, rng, *, r, alpha0, s, beta0, g_p, g_d, T=52.0):
    """Customers from the Pareto/NBD story with covariate-scaled alpha and beta."""
    z = np.column_stack([rng.normal(size=n), (rng.random(n) < 0.5).astype(float)])
    lam = rng.gamma(r, 1.0 / (alpha0 * np.exp(-(z @ g_p))))
    mu = rng.gamma(s, 1.0 / (beta0 * np.exp(-(z @ g_d))))
    life = np.minimum(rng.exponential(1.0 / mu), T)
    count = rng.poisson(lam * life)
    t_x = np.where(count > 0, life * rng.random(n) ** (1.0 / np.maximum(count, 1)), 0.0)
    return count.astype(float), t_x, np.full(n, T), z


def test_pareto_nbd_covariate_gradient_and_recovery():
    import pandas as pd

    from crmanalytics.value import ParetoNBDModel
    from crmanalytics.value._covariates import pareto_nbd_objective

    rng = np.random.default_rng(11)
    x, t_x, T, z = simulate_pareto_nbd(
        300,
        rng,
        r=0.6,
        alpha0=8.0,
        s=0.7,
        beta0=10.0,
        g_p=np.array([0.3, 0.0]),
        g_d=np.array([0.0, 0.5]),
    )
    f = pareto_nbd_objective(x, t_x, T, np.ones_like(x), z_purchase=z, z_dropout=z)
    theta = np.array([np.log(0.5), np.log(7.0), np.log(0.6), np.log(12.0), 0.2, -0.1, 0.1, 0.4])
    numeric = approx_fprime(theta, lambda th: f(th)[0], 1e-6)
    assert np.allclose(f(theta)[1], numeric, rtol=1e-4, atol=1e-3)

    x, t_x, T, z = simulate_pareto_nbd(
        8000,
        rng,
        r=0.6,
        alpha0=8.0,
        s=0.7,
        beta0=10.0,
        g_p=np.array([0.4, 0.0]),
        g_d=np.array([0.0, 0.8]),
    )
    s = pd.DataFrame({"frequency": x, "recency": t_x, "T": T, "score": z[:, 0], "web": z[:, 1]})
    model = ParetoNBDModel().fit(s, purchase_covariates=["score"], dropout_covariates=["web"])
    coef = model.coefficients_.set_index(["process", "covariate"])
    for key, truth in ((("purchase", "score"), 0.4), (("dropout", "web"), 0.8)):
        assert abs(coef.loc[key].estimate - truth) < 3.5 * coef.loc[key].std_error, coef
    p = model.probability_alive(s)
    assert np.all((p >= 0) & (p <= 1))
    assert ParetoNBDModel.from_json(model.to_json()).coefficients_.equals(model.coefficients_)
