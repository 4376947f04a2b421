"""Gamma-Gamma and CLV: published CDNOW values and lifetimes as oracle."""

from __future__ import annotations

import warnings

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmanalytics.errors import DataQualityWarning, NotFittedError, SchemaError
from crmanalytics.value import (
    BetaGeoModel,
    BetaGeoParams,
    GammaGammaModel,
    GammaGammaParams,
    customer_lifetime_value,
    customer_summary,
)


@pytest.fixture(scope="module")
def gg(cdnow_weeks: pd.DataFrame) -> GammaGammaModel:
    return GammaGammaModel().fit(cdnow_weeks)


@pytest.fixture(scope="module")
def bg(cdnow_weeks: pd.DataFrame) -> BetaGeoModel:
    return BetaGeoModel().fit(cdnow_weeks)


def test_cdnow_reproduces_published_parameters(gg: GammaGammaModel) -> None:
    # Fader, Hardie & Lee (2005, JMR) / Fader & Hardie (2013): p = 6.25, q = 3.74, v = 15.44
    assert [round(v, 2) for v in gg.params_] == [6.25, 3.74, 15.44]
    assert gg.n_customers_ == 946


def test_fit_and_summary_match_lifetimes(gg: GammaGammaModel, cdnow_weeks: pd.DataFrame) -> None:
    from lifetimes import GammaGammaFitter

    repeat = cdnow_weeks[cdnow_weeks["frequency"] > 0]
    ref = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    np.testing.assert_allclose(list(gg.params_), ref.params_.to_numpy(), rtol=1e-4)
    np.testing.assert_allclose(gg.summary()["std_error"], ref.summary["se(coef)"], rtol=1e-2)
    np.testing.assert_allclose(
        gg.expected_spend(cdnow_weeks),
        ref.conditional_expected_average_profit(
            cdnow_weeks["frequency"], cdnow_weeks["monetary_value"]
        ),
        rtol=1e-4,
    )


@pytest.mark.parametrize(("unit", "freq", "length"), [("W", "W", 4.345), ("D", "D", 30.0)])
def test_clv_matches_lifetimes(cdnow: pd.DataFrame, unit: str, freq: str, length: float) -> None:
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    s = customer_summary(cdnow, calibration_end="1997-09-30", time_unit=unit)
    bg = BetaGeoModel().fit(s)
    gg = GammaGammaModel().fit(s)
    ref_bg = BetaGeoFitter()
    ref_bg.params_ = pd.Series(dict(zip(["r", "alpha", "a", "b"], bg.params_, strict=True)))
    ref_bg.predict = ref_bg.conditional_expected_number_of_purchases_up_to_time
    ref_gg = GammaGammaFitter()
    ref_gg.params_ = pd.Series(dict(zip(["p", "q", "v"], gg.params_, strict=True)))
    expected = ref_gg.customer_lifetime_value(
        ref_bg,
        s["frequency"],
        s["recency"],
        s["T"],
        s["monetary_value"],
        time=12,
        discount_rate=0.01,
        freq=freq,
    )
    got = customer_lifetime_value(s, bg, gg, periods=12, period_length=length, discount_rate=0.01)
    assert got["customer_id"].tolist() == s["customer_id"].tolist()
    np.testing.assert_allclose(got["clv"], expected, rtol=1e-8)


rows = st.lists(
    st.tuples(st.integers(0, 40), st.floats(0, 1), st.floats(1, 100), st.floats(1, 500)),
    min_size=1,
    max_size=20,
).map(
    lambda r: pd.DataFrame(
        {
            "customer_id": range(len(r)),
            "frequency": [x for x, _, _, _ in r],
            "recency": [0.0 if x == 0 else u * T for x, u, T, _ in r],
            "T": [T for _, _, T, _ in r],
            "monetary_value": [0.0 if x == 0 else m for x, _, _, m in r],
        }
    )
)


@settings(max_examples=20)
@given(
    summary=rows,
    bgp=st.tuples(st.floats(0.1, 3), st.floats(1, 30), st.floats(0.2, 3), st.floats(0.5, 8)).filter(
        lambda p: abs(p[2] - 1) > 0.05 and abs(p[2] + p[3] - 1) > 0.05
        # E[X] has removable singularities at a = 1 and (for x = 0) a + b = 1
    ),
    ggp=st.tuples(st.floats(0.5, 10), st.floats(1.5, 10), st.floats(1, 50)),
    periods=st.integers(1, 24),
    rate=st.floats(0, 0.2),
)
def test_clv_matches_lifetimes_on_generated_summaries(summary, bgp, ggp, periods, rate) -> None:
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    ref_bg = BetaGeoFitter()
    ref_bg.params_ = pd.Series(dict(zip(["r", "alpha", "a", "b"], bgp, strict=True)))
    ref_bg.predict = ref_bg.conditional_expected_number_of_purchases_up_to_time
    ref_gg = GammaGammaFitter()
    ref_gg.params_ = pd.Series(dict(zip(["p", "q", "v"], ggp, strict=True)))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # lifetimes' log of hyp2f1 < 0
        expected = ref_gg.customer_lifetime_value(
            ref_bg,
            summary["frequency"],
            summary["recency"],
            summary["T"],
            summary["monetary_value"],
            time=periods,
            discount_rate=rate,
            freq="D",
        ).to_numpy()
    got = customer_lifetime_value(
        summary,
        BetaGeoModel.from_params(BetaGeoParams(*bgp)),
        GammaGammaModel.from_params(GammaGammaParams(*ggp)),
        periods=periods,
        period_length=30.0,
        discount_rate=rate,
    )
    ok = np.isfinite(expected)  # lifetimes' hyp2f1 can fail where ours does not
    assert np.all(np.isfinite(got["clv"]))
    assert np.all(got["clv"] >= 0)
    np.testing.assert_allclose(got["clv"].to_numpy()[ok], expected[ok], rtol=1e-6, atol=1e-9)


@pytest.fixture(scope="module")
def models(bg: BetaGeoModel, gg: GammaGammaModel) -> tuple[BetaGeoModel, GammaGammaModel]:
    return bg, gg


def test_clv_returns_the_callers_frame_type(
    backend: str, to_backend, as_pandas, cdnow_weeks, models
) -> None:
    bg, gg = models
    native = to_backend(cdnow_weeks, backend)
    got = customer_lifetime_value(native, bg, gg)
    expected = customer_lifetime_value(cdnow_weeks, bg, gg)
    assert nw.from_native(got).implementation == nw.from_native(native).implementation
    pd.testing.assert_frame_equal(
        as_pandas(got).sort_values("customer_id", ignore_index=True),
        expected,
        check_dtype=False,
        rtol=1e-9,
    )


def test_clv_discounting_and_horizon_properties(cdnow_weeks, bg, gg) -> None:
    base = customer_lifetime_value(cdnow_weeks, bg, gg, discount_rate=0.0)["clv"]
    discounted = customer_lifetime_value(cdnow_weeks, bg, gg, discount_rate=0.05)["clv"]
    longer = customer_lifetime_value(cdnow_weeks, bg, gg, periods=24)["clv"]
    assert (discounted <= base + 1e-12).all()
    assert (longer >= customer_lifetime_value(cdnow_weeks, bg, gg)["clv"] - 1e-12).all()
    # undiscounted CLV telescopes to spend x E[X(periods * length)]; the default period
    # is 30 calendar days, i.e. 30/7 of the weekly model's unit
    spend = gg.expected_spend(cdnow_weeks)
    total = bg.expected_purchases(cdnow_weeks, 12 * 30.0 / 7.0)
    np.testing.assert_allclose(base, spend * total, rtol=1e-10)


def test_non_positive_spend_is_an_error() -> None:
    s = pd.DataFrame({"frequency": [1, 2, 3], "monetary_value": [10.0, -5.0, 0.0]})
    with pytest.raises(SchemaError, match="'monetary_value': must be > 0") as info:
        GammaGammaModel().fit(s)
    assert "2 rows" in str(info.value)


def test_correlation_warning(cdnow_weeks: pd.DataFrame) -> None:
    # spend per purchase grows with frequency: mean of x Gamma(6, scale) draws per customer
    rng = np.random.default_rng(1)
    x = cdnow_weeks["frequency"].to_numpy()
    scale = (5.0 + 3.0 * x) / 6.0 * rng.gamma(4.0, 0.25, size=x.size)
    spend = np.where(x > 0, rng.gamma(6.0 * np.maximum(x, 1), scale / np.maximum(x, 1)), 0.0)
    s = cdnow_weeks.assign(monetary_value=spend)
    with pytest.warns(DataQualityWarning, match="correlated"):
        GammaGammaModel().fit(s)


def test_no_correlation_warning_on_cdnow(gg: GammaGammaModel) -> None:
    assert abs(gg.correlation_) < 0.3  # fixture fit ran under warnings-as-errors


def test_not_fitted_and_bad_arguments(bg: BetaGeoModel, gg: GammaGammaModel, cdnow_weeks) -> None:
    with pytest.raises(NotFittedError):
        GammaGammaModel().expected_spend(cdnow_weeks)
    with pytest.raises(ValueError, match="periods"):
        customer_lifetime_value(cdnow_weeks, bg, gg, periods=0)
    with pytest.raises(ValueError, match="period_length"):
        customer_lifetime_value(cdnow_weeks, bg, gg, period_length=-1.0)
    with pytest.raises(ValueError, match="q <= 1"):
        GammaGammaModel.from_params(GammaGammaParams(2.0, 0.9, 3.0)).expected_spend(cdnow_weeks)


def test_gamma_gamma_fit_statistics_by_frequency_equal_the_per_customer_sums() -> None:
    """The fit's per-frequency likelihood equals the per-customer one, and its gradient
    equals central differences of it."""
    from crmanalytics.value.gamma_gamma import _ByFrequency, gamma_gamma_log_likelihood

    rng = np.random.default_rng(3)
    x = rng.integers(1, 9, 500).astype(float)
    m = rng.gamma(3.0, 10.0, 500)
    lp = np.log([5.0, 3.0, 12.0])
    value, grad = _ByFrequency(x, m).value_and_grad(lp)
    assert value == pytest.approx(float(gamma_gamma_log_likelihood(lp, x, m).sum()), rel=1e-12)
    for i in range(3):
        step = np.zeros(3)
        step[i] = 1e-6
        up = gamma_gamma_log_likelihood(lp + step, x, m).sum()
        down = gamma_gamma_log_likelihood(lp - step, x, m).sum()
        assert grad[i] == pytest.approx((up - down) / 2e-6, rel=1e-6)
