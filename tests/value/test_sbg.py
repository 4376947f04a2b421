"""Shifted-beta-geometric: Fader & Hardie (2007) reproduced, DERL checked by summation."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
from scipy.special import betaln

from crmanalytics.errors import DataQualityWarning, SchemaError
from crmanalytics.value import (
    PurchaseModel,
    ShiftedBetaGeoModel,
    ShiftedBetaGeoParams,
    subscription_summary,
)

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


def cohort(alive: list[int]) -> pd.DataFrame:
    lost = [a - b for a, b in itertools.pairwise(alive)]
    years = len(lost)
    return pd.DataFrame(
        {
            "t": [*range(1, years + 1), years],
            "churned": [True] * years + [False],
            "weights": [*lost, alive[-1]],
        }
    )


@pytest.mark.parametrize(
    ("alive", "params", "loglik"),
    [(REGULAR, (0.704, 1.182), -1680.27), (HIGH_END, (0.668, 3.806), -1611.16)],
    ids=["regular", "high end"],
)
def test_reproduces_fader_hardie_2007(alive, params, loglik) -> None:
    model = ShiftedBetaGeoModel().fit(cohort(alive), weights="weights")
    assert tuple(round(v, 3) for v in model.params_) == params
    assert round(model.log_likelihood_, 2) == loglik
    assert model.n_customers_ == 1000
    # brute-force log-likelihood from the survival curve
    a, b = model.params_
    surv = lambda t: np.exp(betaln(a, b + t) - betaln(a, b))  # noqa: E731
    lost = -np.diff(alive)
    ll = sum(k * np.log(surv(t - 1) - surv(t)) for t, k in enumerate(lost, start=1))
    ll += alive[-1] * np.log(surv(len(lost)))
    assert model.log_likelihood_ == pytest.approx(ll, rel=1e-10)
    assert not isinstance(model, PurchaseModel)
    assert np.all(model.summary()["std_error"] > 0)


def test_curves_agree_with_each_other() -> None:
    m = ShiftedBetaGeoModel.from_params(ShiftedBetaGeoParams(0.704, 1.182))
    t = np.arange(1, 30)
    s = m.survival(np.arange(0, 30))
    np.testing.assert_allclose(m.retention_rate(t), s[1:] / s[:-1], rtol=1e-12)
    np.testing.assert_allclose(m.probability_of_churn(t), s[:-1] - s[1:], rtol=1e-10)
    assert np.all(np.diff(m.retention_rate(t)) > 0)  # retention rises with tenure
    # the fitted curve tracks the observed cohort closely (paper's figure)
    np.testing.assert_allclose(1000 * m.survival(np.arange(8)), REGULAR, rtol=0.03)


def test_expected_lifetime_by_summation() -> None:
    m = ShiftedBetaGeoModel.from_params(ShiftedBetaGeoParams(3.0, 5.0))
    total = m.survival(np.arange(0, 20_000)).sum()
    assert m.expected_lifetime() == pytest.approx(total, rel=1e-4)
    assert m.expected_lifetime() == pytest.approx(7.0 / 2.0)
    assert ShiftedBetaGeoModel.from_params((0.704, 1.182)).expected_lifetime() == np.inf


@pytest.mark.parametrize("params", [(0.704, 1.182), (0.668, 3.806), (2.5, 0.4)])
@pytest.mark.parametrize("discount", [0.1, 0.02])
def test_derl_closed_form_equals_discounted_sum(params, discount) -> None:
    m = ShiftedBetaGeoModel.from_params(params)
    horizon = np.arange(0, 6000)
    s = m.survival(horizon)
    z = 1.0 / (1.0 + discount)
    direct_del = np.sum(s * z**horizon)
    assert m.discounted_expected_lifetime(discount) == pytest.approx(direct_del, rel=1e-9)
    renewals = np.array([0, 1, 4, 20])
    direct = [np.sum(s[t + 1 :][:5000] / s[t] * z ** np.arange(5000)) for t in renewals]
    np.testing.assert_allclose(
        m.discounted_residual_lifetime(renewals, discount=discount), direct, rtol=1e-9
    )


def test_bad_inputs_raise() -> None:
    m = ShiftedBetaGeoModel.from_params((0.7, 1.2))
    with pytest.raises(ValueError, match="discount"):
        m.discounted_residual_lifetime([1], discount=0)
    with pytest.raises(ValueError, match="whole numbers"):
        m.retention_rate([0])
    bad = pd.DataFrame({"t": [0, 2], "churned": [True, False]})
    with pytest.raises(SchemaError, match="whole number of periods >= 1"):
        ShiftedBetaGeoModel().fit(bad)
    with pytest.raises(ValueError, match="cancellations"):
        ShiftedBetaGeoModel().fit(pd.DataFrame({"t": [3, 4], "churned": [False, False]}))


def test_json_columns_and_backends() -> None:
    data = cohort(REGULAR).rename(columns={"t": "tenure"})
    fitted = ShiftedBetaGeoModel().fit(
        pl.from_pandas(data), weights="weights", columns={"t": "tenure"}
    )
    assert tuple(round(v, 3) for v in fitted.params_) == (0.704, 1.182)
    back = ShiftedBetaGeoModel.from_json(fitted.to_json())
    assert back.params_ == fitted.params_
    np.testing.assert_array_equal(back.log_covariance_, fitted.log_covariance_)


# -- subscription_summary ----------------------------------------------------------------


def _brute_subscriptions(subs: pd.DataFrame, obs: pd.Timestamp) -> pd.DataFrame:
    month = lambda ts: ts.year * 12 + ts.month  # noqa: E731
    rows = []
    for cid, start, end in subs[["customer_id", "start", "end"]].itertuples(index=False):
        if pd.notna(end) and end.normalize() <= obs:
            rows.append((cid, month(end) - month(start) + 1, True))
        elif month(obs) - month(start) >= 1:
            rows.append((cid, month(obs) - month(start), False))
    return pd.DataFrame(rows, columns=["customer_id", "t", "churned"])


def test_subscription_summary_against_brute_force() -> None:
    rng = np.random.default_rng(3)
    n = 400
    start = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D")
    length = pd.to_timedelta(rng.integers(0, 700, n), "D")
    end = (start + length).where(rng.uniform(size=n) < 0.6)
    subs = pd.DataFrame({"customer_id": np.arange(n), "start": start, "end": end})
    obs = pd.Timestamp("2022-06-30")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        got = subscription_summary(subs, observation_end=obs)
        lazy = subscription_summary(pl.from_pandas(subs).lazy(), observation_end=obs)
    ref = _brute_subscriptions(subs, obs)
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)
    pd.testing.assert_frame_equal(
        lazy.collect().to_pandas().sort_values("customer_id", ignore_index=True),
        ref,
        check_dtype=False,
    )


def test_subscription_summary_recovers_a_simulated_sbg() -> None:
    rng = np.random.default_rng(11)
    n = 20_000
    theta = rng.beta(0.8, 2.5, n)
    months = rng.geometric(theta)  # cancels at the end of month k
    start = pd.Timestamp("2015-01-01")
    ends = [start + pd.DateOffset(months=int(k) - 1, days=10) for k in np.minimum(months, 200)]
    subs = pd.DataFrame({"start": start, "end": pd.to_datetime(ends)})
    obs = pd.Timestamp("2018-12-05")  # before any cancellation of the last month (day 11)
    subs.loc[subs["end"] > obs, "end"] = pd.NaT
    rows = subscription_summary(subs, observation_end=obs)
    model = ShiftedBetaGeoModel().fit(rows)
    table = model.summary()
    truth = pd.Series({"alpha": 0.8, "beta": 2.5})
    assert np.all(np.abs(table["estimate"] - truth) < 3 * table["std_error"])
    # the frame is exactly what the simulated cancellation months give
    months_seen = np.minimum(months, 47)
    np.testing.assert_array_equal(np.sort(rows["t"]), np.sort(months_seen))


def test_subscription_summary_checks_and_warns() -> None:
    subs = pd.DataFrame(
        {
            "account": [1, 2, 3],
            "begin": ["2024-01-10", "2024-03-01", "2024-06-05"],
            "stop": ["2024-01-20", None, None],
        }
    )
    with pytest.warns(DataQualityWarning, match="1 subscription started"):
        out = subscription_summary(subs, start="begin", end="stop", observation_end="2024-06-30")
    assert out.to_dict("list") == {"account": [1, 2], "t": [1, 3], "churned": [True, False]}
    reversed_dates = subs.assign(stop=["2023-12-01", None, None])
    with pytest.raises(SchemaError, match="must not precede"):
        subscription_summary(reversed_dates, start="begin", end="stop")


def test_subscription_summary_backend_parity(backend, to_backend, as_pandas) -> None:
    subs = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4],
            "start": pd.to_datetime(["2023-01-15", "2023-03-03", "2023-05-10", "2023-02-01"]),
            "end": pd.to_datetime(["2023-04-20", None, "2023-05-30", "2023-12-31"]),
        }
    )
    expected = subscription_summary(subs, observation_end="2023-09-15")
    got = as_pandas(subscription_summary(to_backend(subs, backend), observation_end="2023-09-15"))
    got = got.sort_values("customer_id", ignore_index=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    model = ShiftedBetaGeoModel().fit(cohort(REGULAR), weights="weights")
    again = ShiftedBetaGeoModel().fit(to_backend(cohort(REGULAR), backend), weights="weights")
    np.testing.assert_allclose(again.params_, model.params_, rtol=1e-9)
