"""BG/BB: the published donations fit, lifetimes as oracle, brute force, discrete_summary."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest

from crmanalytics.errors import DataQualityWarning, SchemaError
from crmanalytics.value import (
    BetaGeoBetaBinomModel,
    BetaGeoBetaBinomParams,
    PurchaseModel,
    discrete_summary,
)

PAPER = BetaGeoBetaBinomParams(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)


@pytest.fixture(scope="module")
def donations() -> pd.DataFrame:
    from lifetimes.datasets import load_donations

    return load_donations().rename(columns={"periods": "n_periods"})


@pytest.fixture(scope="module")
def fitted(donations: pd.DataFrame) -> BetaGeoBetaBinomModel:
    return BetaGeoBetaBinomModel().fit(donations, weights="weights")


@pytest.fixture(scope="module")
def oracle(fitted: BetaGeoBetaBinomModel, donations: pd.DataFrame):
    from lifetimes import BetaGeoBetaBinomFitter

    d = donations
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter = BetaGeoBetaBinomFitter().fit(
            d["frequency"], d["recency"], d["n_periods"], weights=d["weights"]
        )
    return fitter


def test_donations_reproduce_published_fit(fitted, oracle) -> None:
    assert [round(v, 3) for v in fitted.params_] == list(PAPER)
    assert round(fitted.log_likelihood_, 1) == -33225.6
    assert fitted.n_customers_ == 11104
    assert isinstance(fitted, PurchaseModel)
    np.testing.assert_allclose(fitted.params_, oracle.params_.to_numpy(), rtol=1e-5)


def test_predictions_match_lifetimes(fitted, oracle, donations) -> None:
    d = donations
    oracle.params_[:] = list(fitted.params_)
    x, t_x, n = d["frequency"], d["recency"], d["n_periods"]
    for t in (0, 1, 5):
        np.testing.assert_allclose(
            fitted.probability_alive(d, t=t),
            oracle.conditional_probability_alive(t, x, t_x, n),
            rtol=1e-10,
        )
    for t in (1, 5, 10):
        np.testing.assert_allclose(
            fitted.expected_purchases(d, t),
            oracle.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, n),
            rtol=1e-9,
        )


def test_new_customer_pmf_matches_lifetimes_and_data(fitted, oracle, donations) -> None:
    oracle.params_[:] = list(fitted.params_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected_counts = oracle.expected_number_of_transactions_in_first_n_periods(6)
    new = pd.DataFrame({"frequency": [0], "recency": [0], "n_periods": [0]})
    ours = np.array([fitted.probability_of_purchases(new, k, 6)[0] for k in range(7)])
    np.testing.assert_allclose(ours * 11104, expected_counts["model"].to_numpy(), rtol=1e-9)
    observed = donations.groupby("frequency")["weights"].sum().to_numpy()
    np.testing.assert_allclose(ours * 11104, observed, rtol=0.1)  # the paper's figure 3 fit


def _brute_force_pmf(params, x, t_x, n, *, count, horizon) -> float:
    """Enumerate every dropout path and integrate p and theta on a Gauss-Legendre grid.

    With whole-number beta parameters the integrands are polynomials, so 40 nodes per
    axis integrate them exactly; nothing here shares code with the kernel.
    """
    from math import comb

    from scipy.special import beta as beta_fn

    alpha, beta, gamma, delta = params
    nodes, weights = np.polynomial.legendre.leggauss(40)
    u, wu = (nodes + 1) / 2, weights / 2
    p, theta = np.meshgrid(u, u, indexing="ij")
    w2 = np.outer(wu, wu)
    prior = (
        p ** (alpha - 1)
        * (1 - p) ** (beta - 1)
        / beta_fn(alpha, beta)
        * theta ** (gamma - 1)
        * (1 - theta) ** (delta - 1)
        / beta_fn(gamma, delta)
    )
    history_alive = p**x * (1 - p) ** (n - x) * (1 - theta) ** n
    history_dead = sum(
        p**x * (1 - p) ** (t_x - x + i) * theta * (1 - theta) ** (t_x + i) for i in range(n - t_x)
    )
    future = 0.0
    for j in range(horizon + 1):  # alive for j more periods, then drop out (or not, j = horizon)
        stay = (1 - theta) ** j * (theta if j < horizon else 1.0)
        if count <= j:
            future = future + stay * comb(j, count) * p**count * (1 - p) ** (j - count)
    joint = history_alive * future + (history_dead if count == 0 else 0.0)
    lik = history_alive + history_dead
    return float(np.sum(w2 * prior * joint) / np.sum(w2 * prior * lik))


@pytest.mark.parametrize(
    ("x", "t_x", "n", "count", "horizon"),
    [(2, 4, 6, 0, 3), (2, 4, 6, 2, 3), (0, 0, 3, 1, 2), (5, 5, 5, 4, 4)],
)
def test_conditional_pmf_against_brute_force(x, t_x, n, count, horizon) -> None:
    params = (2.0, 3.0, 2.0, 4.0)
    m = BetaGeoBetaBinomModel.from_params(params)
    row = pd.DataFrame({"frequency": [x], "recency": [t_x], "n_periods": [n]})
    got = m.probability_of_purchases(row, count, horizon)[0]
    assert got == pytest.approx(
        _brute_force_pmf(params, x, t_x, n, count=count, horizon=horizon), rel=1e-10
    )


def test_pmf_sums_to_one_and_mean_is_the_expectation(fitted, donations) -> None:
    rows = donations.head(12)
    probs = np.array([fitted.probability_of_purchases(rows, k, 8) for k in range(9)])
    np.testing.assert_allclose(probs.sum(axis=0), 1.0, atol=1e-12)
    mean = (np.arange(9)[:, None] * probs).sum(axis=0)
    np.testing.assert_allclose(mean, fitted.expected_purchases(rows, 8), rtol=1e-10)
    np.testing.assert_allclose(
        fitted.expected_purchases_new_customer([8]),
        fitted.expected_purchases(
            pd.DataFrame({"frequency": [0], "recency": [0], "n_periods": [0]}), 8
        ),
    )


def test_bad_rows_and_horizons_raise(fitted) -> None:
    bad = pd.DataFrame({"frequency": [3, 0], "recency": [2, 1], "n_periods": [6, 6]})
    with pytest.raises(SchemaError, match="must not exceed recency"):
        fitted.probability_alive(bad)
    ok = pd.DataFrame({"frequency": [1], "recency": [1], "n_periods": [6]})
    with pytest.raises(ValueError, match="whole number of periods"):
        fitted.expected_purchases(ok, 1.5)


def test_json_round_trip_and_backends(fitted, donations) -> None:
    back = BetaGeoBetaBinomModel.from_json(fitted.to_json())
    assert back.params_ == fitted.params_
    assert back.log_likelihood_ == fitted.log_likelihood_
    renamed = pl.from_pandas(donations.rename(columns={"n_periods": "periods"})).lazy()
    other = BetaGeoBetaBinomModel().fit(
        renamed, weights="weights", columns={"n_periods": "periods"}
    )
    np.testing.assert_allclose(other.params_, fitted.params_, rtol=1e-7)
    assert BetaGeoBetaBinomModel.from_params(PAPER).params_ == PAPER


# -- discrete_summary -----------------------------------------------------------------


def _brute_discrete(tx: pd.DataFrame, period: str, end: pd.Timestamp) -> pd.DataFrame:
    def index(ts: pd.Timestamp) -> int:
        if period == "Y":
            return ts.year
        if period == "M":
            return ts.year * 12 + ts.month
        if period == "Q":
            return ts.year * 4 + (ts.month - 1) // 3
        return int((ts.normalize() - pd.Timestamp("1970-01-05")).days // 7)  # ISO weeks

    last = index(end)
    rows = []
    for cid, group in tx[tx["timestamp"] <= end].groupby("customer_id"):
        periods = sorted({index(ts) for ts in group["timestamp"]})
        first = periods[0]
        rows.append((cid, len(periods) - 1, periods[-1] - first, last - first))
    return pd.DataFrame(rows, columns=["customer_id", "frequency", "recency", "n_periods"])


@pytest.mark.parametrize("period", ["Y", "Q", "M", "W"])
def test_discrete_summary_against_brute_force(period) -> None:
    rng = np.random.default_rng(7)
    n = 600
    tx = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 80, n),
            "timestamp": pd.Timestamp("2019-01-01")
            + pd.to_timedelta(rng.integers(0, 1500, n), "D")
            + pd.to_timedelta(rng.integers(0, 86_400, n), "s"),
            "amount": rng.gamma(2.0, 10.0, n),
        }
    )
    end = pd.Timestamp("2022-06-30 23:59:59")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        got = discrete_summary(tx, period=period, calibration_end="2022-06-30")
        lazy = (
            discrete_summary(pl.from_pandas(tx).lazy(), period=period, calibration_end="2022-06-30")
            .collect()
            .to_pandas()
        )
    ref = _brute_discrete(tx, period, end)
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)
    pd.testing.assert_frame_equal(lazy, ref, check_dtype=False)


def test_discrete_summary_warns_and_feeds_the_model() -> None:
    tx = pd.DataFrame(
        {
            "donor": [1, 1, 2, 3, 3],
            "when": pd.to_datetime(
                ["2020-02-01", "2021-03-01", "2021-05-05", "2023-01-01", "2023-02-01"]
            ),
            "amount": [1.0] * 5,
        }
    )
    with pytest.warns(DataQualityWarning, match="1 customer made their first"):
        out = discrete_summary(
            tx,
            period="Y",
            calibration_end="2022-12-31",
            columns={"customer_id": "donor", "timestamp": "when"},
        )
    assert out.to_dict("list") == {
        "customer_id": [1, 2],
        "frequency": [1, 0],
        "recency": [1, 0],
        "n_periods": [2, 1],
    }
    with pytest.raises(ValueError, match="period must be"):
        discrete_summary(
            tx, period="fortnight", columns={"customer_id": "donor", "timestamp": "when"}
        )


def test_discrete_summary_and_fit_backend_parity(backend, to_backend, as_pandas, donations):
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 3, 3],
            "timestamp": pd.to_datetime(
                ["2020-01-05", "2020-02-07", "2020-04-01", "2020-03-03", "2020-01-01", "2020-06-30"]
            ),
            "amount": [1.0] * 6,
        }
    )
    expected = discrete_summary(tx, period="M", calibration_end="2020-06-30")
    got = as_pandas(
        discrete_summary(to_backend(tx, backend), period="M", calibration_end="2020-06-30")
    )
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert expected.to_dict("list") == {
        "customer_id": [1, 2, 3],
        "frequency": [2, 0, 1],
        "recency": [3, 0, 5],
        "n_periods": [5, 3, 5],
    }
    ref = BetaGeoBetaBinomModel().fit(donations, weights="weights")
    other = BetaGeoBetaBinomModel().fit(to_backend(donations, backend), weights="weights")
    np.testing.assert_allclose(other.params_, ref.params_, rtol=1e-9)
