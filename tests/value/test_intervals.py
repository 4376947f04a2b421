"""Per-customer intervals: near-nominal coverage on simulated data, any model, bounded work."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmanalytics.churn import churn_probability
from crmanalytics.value import (
    BetaGeoModel,
    BetaGeoParams,
    GammaGammaModel,
    customer_lifetime_value,
)

TRUE = BetaGeoParams(0.5, 6.0, 0.7, 2.5)
PROBES = pd.DataFrame(
    {
        "customer_id": ["new", "one", "three", "five", "lapsed"],
        "frequency": [0, 1, 3, 5, 2],
        "recency": [0.0, 10.0, 25.0, 28.0, 5.0],
        "T": [30.0, 30.0, 30.0, 35.0, 38.0],
        "monetary_value": [0.0, 1.0, 1.0, 1.0, 1.0],
    }
)


class UnitSpend:
    """A spend model outside the base: one currency unit per purchase (held fixed)."""

    def expected_spend(self, summary: pd.DataFrame) -> np.ndarray:
        return np.ones(len(summary))


def simulate_bgnbd(params: BetaGeoParams, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """BG/NBD histories: Poisson purchases at rate lambda, dropout p after each repeat."""
    r, alpha, a, b = params
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    big_t = rng.uniform(20.0, 40.0, n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    while alive.any():
        idx = np.flatnonzero(alive)
        nxt = t_x[idx] + rng.exponential(1.0 / lam[idx])
        ok = nxt <= big_t[idx]
        alive[idx[~ok]] = False
        buy = idx[ok]
        x[buy] += 1
        t_x[buy] = nxt[ok]
        alive[buy[rng.random(buy.size) < p[buy]]] = False
    return pd.DataFrame({"customer_id": np.arange(n), "frequency": x, "recency": t_x, "T": big_t})


@pytest.mark.slow
def test_expected_value_interval_covers_the_truth_near_nominally() -> None:
    # Refit on fresh simulated data many times; the interval for each probe customer's
    # expected purchases (CLV with unit spend) must hold the true value about as often
    # as its level says: ~95% for 0.95 and ~50% for 0.5 (too wide fails the second).
    rng = np.random.default_rng(20240514)
    truth = customer_lifetime_value(
        PROBES,
        BetaGeoModel.from_params(TRUE, time_unit="W"),
        UnitSpend(),
        periods=4,
        period_length="91D",
    )["clv"].to_numpy()
    inside95, inside50 = [], []
    for _ in range(30):
        model = BetaGeoModel().fit(simulate_bgnbd(TRUE, 1500, rng), time_unit="W")
        for level, store in ((0.95, inside95), (0.5, inside50)):
            got = customer_lifetime_value(
                PROBES, model, UnitSpend(), periods=4, period_length="91D", interval=level
            )
            store.extend((got["clv_low"] <= truth) & (truth <= got["clv_high"]))
    assert 0.87 <= np.mean(inside95) <= 1.0
    assert 0.35 <= np.mean(inside50) <= 0.65


def test_churn_interval_brackets_the_estimate_and_matches_the_delta_method(
    cdnow_weeks: pd.DataFrame,
) -> None:
    model = BetaGeoModel().fit(cdnow_weeks)
    got = churn_probability(model, cdnow_weeks, interval=0.9)
    p = got["churn_probability"]
    assert ((got["churn_probability_low"] <= p) & (p <= got["churn_probability_high"])).all()
    # customers without repeat purchases are alive with probability 1 whatever the
    # parameters: a zero-width interval at 0
    zero = cdnow_weeks["frequency"] == 0
    assert (got.loc[zero, "churn_probability_high"] == 0).all()
    # independent delta method: analytic-free, by brute-force numerical gradient of
    # logit(1 - P(alive)) for one customer, with the model's log covariance
    row = cdnow_weeks.iloc[[0]]
    theta = np.log(model.param_array())

    def logit_churn(lp: np.ndarray) -> float:
        m = BetaGeoModel.from_params(np.exp(lp))
        q = 1.0 - m.probability_alive(row)[0]
        return float(np.log(q / (1.0 - q)))

    grad = np.array(
        [(logit_churn(theta + 1e-5 * e) - logit_churn(theta - 1e-5 * e)) / 2e-5 for e in np.eye(4)]
    )
    se = float(np.sqrt(grad @ model.log_covariance_ @ grad))
    centre = logit_churn(theta)
    expected_high = 1.0 / (1.0 + np.exp(-(centre + 1.6448536269514722 * se)))
    assert got["churn_probability_high"].iloc[0] == pytest.approx(expected_high, rel=1e-4)


def test_clv_interval_uses_both_models(cdnow_weeks: pd.DataFrame) -> None:
    bg = BetaGeoModel().fit(cdnow_weeks)
    gg = GammaGammaModel().fit(cdnow_weeks)
    both = customer_lifetime_value(cdnow_weeks, bg, gg, interval=0.95)
    purchase_only = customer_lifetime_value(cdnow_weeks, bg, _Fixed(gg), interval=0.95)
    np.testing.assert_allclose(both["clv"], purchase_only["clv"], rtol=1e-12)
    width = both["clv_high"] - both["clv_low"]
    assert (width >= purchase_only["clv_high"] - purchase_only["clv_low"] - 1e-9).all()
    assert (width > 0).all()


class _Fixed:
    """Wraps a spend model so it carries no uncertainty information."""

    def __init__(self, inner: GammaGammaModel) -> None:
        self.inner = inner

    def expected_spend(self, summary: pd.DataFrame) -> np.ndarray:
        return self.inner.expected_spend(summary)


def test_intervals_need_a_covariance() -> None:
    bg = BetaGeoModel.from_params(TRUE, time_unit="W")
    with pytest.raises(ValueError, match="interval= needs the uncertainty"):
        churn_probability(bg, PROBES, interval=0.95)
    with pytest.raises(ValueError, match="interval must be"):
        churn_probability(bg, PROBES, interval=95)


def test_a_bound_beyond_the_float_range_is_infinite_without_warning() -> None:
    from crmanalytics.value._uncertainty import _backward

    bounds = _backward(np.array([1.0, 800.0]), "log")
    assert bounds[0] == pytest.approx(np.e)
    assert np.isinf(bounds[1])
