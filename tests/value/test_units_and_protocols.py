"""Time units carried, columns= everywhere, any model through the protocols, saved models."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import polars as pl
import pytest

from crmanalytics.churn import churn_probability
from crmanalytics.errors import SchemaError
from crmanalytics.value import (
    BetaGeoModel,
    BetaGeoParams,
    GammaGammaModel,
    GammaGammaParams,
    ModelBase,
    PurchaseModel,
    SpendModel,
    clv_by_period,
    customer_lifetime_value,
    customer_summary,
    evaluate_holdout,
    tracking,
)

CAL_END = "1997-09-30"


@pytest.fixture(scope="module")
def fitted(cdnow_weeks: pd.DataFrame) -> tuple[BetaGeoModel, GammaGammaModel]:
    return BetaGeoModel().fit(cdnow_weeks), GammaGammaModel().fit(cdnow_weeks)


# -- time units ------------------------------------------------------------------------


def test_days_and_weeks_give_the_same_clv(cdnow: pd.DataFrame) -> None:
    # the invariance: 12 x 30-day horizon, same transactions summarised two ways
    results = {}
    for unit in ("D", "W"):
        s = customer_summary(cdnow, calibration_end=CAL_END, time_unit=unit)
        bg, gg = BetaGeoModel().fit(s), GammaGammaModel().fit(s)
        assert bg.time_unit_ == unit == gg.time_unit_
        results[unit] = customer_lifetime_value(s, bg, gg, periods=12, period_length="30D")
    days, weeks = results["D"]["clv"], results["W"]["clv"]
    np.testing.assert_allclose(weeks, days, rtol=0.01)
    assert weeks.sum() == pytest.approx(days.sum(), rel=1e-6)


@pytest.mark.parametrize(
    "span", ["30D", pd.Timedelta(days=30), dt.timedelta(days=30), np.timedelta64(30, "D")]
)
def test_calendar_spans_convert_with_the_model_unit(cdnow_weeks, fitted, span) -> None:
    bg, gg = fitted
    got = customer_lifetime_value(cdnow_weeks, bg, gg, period_length=span)["clv"]
    number = customer_lifetime_value(cdnow_weeks, bg, gg, period_length=30 / 7)["clv"]
    np.testing.assert_allclose(got, number, rtol=1e-12)


def test_unknown_unit_is_an_error_that_says_how(cdnow_weeks, fitted) -> None:
    bg, gg = fitted
    bare = BetaGeoModel.from_params(bg.params_)
    plain = pd.DataFrame(cdnow_weeks)  # attrs travel with copies: drop them
    plain.attrs = {}
    with pytest.raises(ValueError, match=r"fit\(summary, time_unit='W'\)"):
        customer_lifetime_value(plain, bare, gg)
    # a number is the model's own unit and needs no conversion
    customer_lifetime_value(plain, bare, gg, period_length=4.0)
    # the summary's recorded unit serves when the model does not know its own
    weekly = customer_lifetime_value(cdnow_weeks, bare, gg)["clv"]
    np.testing.assert_allclose(weekly, customer_lifetime_value(cdnow_weeks, bg, gg)["clv"])
    with pytest.raises(ValueError, match="time unit 'D' but the summary is in 'W'"):
        customer_lifetime_value(
            cdnow_weeks, BetaGeoModel.from_params(bg.params_, time_unit="D"), gg
        )
    with pytest.raises(ValueError, match="calendar span"):
        customer_lifetime_value(cdnow_weeks, bg, gg, period_length="a month")


def test_non_pandas_summaries_take_the_unit_in_fit(cdnow) -> None:
    s = customer_summary(pl.from_pandas(cdnow), calibration_end=CAL_END, time_unit="W")
    assert BetaGeoModel().fit(s).time_unit_ is None
    assert BetaGeoModel().fit(s, time_unit="W").time_unit_ == "W"
    assert GammaGammaModel().fit(s, time_unit="W").time_unit_ == "W"


def test_customer_summary_records_unit_and_fresh_index(cdnow) -> None:
    shuffled = cdnow.sample(frac=1.0, random_state=1).set_index(np.arange(len(cdnow)) + 100)
    s = customer_summary(shuffled, time_unit="W")
    assert s.attrs["time_unit"] == "W"
    assert s.index.tolist() == list(range(len(s)))


def test_customer_summary_empty_and_renamed(cdnow) -> None:
    empty = cdnow.iloc[:0]
    with pytest.raises(SchemaError, match="empty transactions"):
        customer_summary(empty)
    raw = cdnow.rename(columns={"customer_id": "client", "timestamp": "when", "amount": "value"})
    got = customer_summary(
        raw, columns={"customer_id": "client", "timestamp": "when", "amount": "value"}
    )
    pd.testing.assert_frame_equal(got, customer_summary(cdnow))


# -- columns= on every function and method that takes a summary ------------------------


LIFETIMES_NAMES = {
    "customer_id": "ID",
    "frequency": "x",
    "recency": "t_x",
    "T": "T_cal",
    "monetary_value": "zbar",
}


def test_columns_map_summary_names_everywhere(cdnow_weeks, fitted) -> None:
    bg, gg = fitted
    theirs = cdnow_weeks.rename(columns=dict(LIFETIMES_NAMES.items()))
    c = LIFETIMES_NAMES
    np.testing.assert_array_equal(
        bg.expected_purchases(theirs, 10.0, columns=c), bg.expected_purchases(cdnow_weeks, 10.0)
    )
    np.testing.assert_array_equal(
        bg.probability_alive(theirs, columns=c), bg.probability_alive(cdnow_weeks)
    )
    np.testing.assert_array_equal(
        bg.probability_of_purchases(theirs, 1, 5.0, columns=c),
        bg.probability_of_purchases(cdnow_weeks, 1, 5.0),
    )
    np.testing.assert_array_equal(
        gg.expected_spend(theirs, columns=c), gg.expected_spend(cdnow_weeks)
    )
    assert BetaGeoModel().fit(theirs, columns=c).params_ == pytest.approx(bg.params_)
    assert GammaGammaModel().fit(theirs, columns=c).params_ == pytest.approx(gg.params_)
    pd.testing.assert_frame_equal(
        customer_lifetime_value(theirs, bg, gg, columns=c),
        customer_lifetime_value(cdnow_weeks, bg, gg),
    )
    pd.testing.assert_frame_equal(
        clv_by_period(theirs, bg, gg, periods=3, columns=c),
        clv_by_period(cdnow_weeks, bg, gg, periods=3),
    )
    pd.testing.assert_frame_equal(
        churn_probability(bg, theirs, columns=c), churn_probability(bg, cdnow_weeks)
    )
    hold = theirs.rename(columns={"frequency_holdout": "x_star"})
    got = evaluate_holdout(bg, hold, columns={**c, "frequency_holdout": "x_star"})
    pd.testing.assert_frame_equal(got.table, evaluate_holdout(bg, cdnow_weeks).table)
    with pytest.raises(SchemaError, match="'recency'"):
        bg.probability_alive(theirs)


# -- any model satisfying the protocols ------------------------------------------------


class ConstantRate:
    """A tiny purchase model outside the base: Poisson purchases at a fixed rate, never
    churning. Everything the library needs is the public protocol."""

    time_unit_ = "W"

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def expected_purchases(self, summary: pd.DataFrame, t: float) -> np.ndarray:
        return np.full(len(summary), self.rate * t)

    def probability_alive(self, summary: pd.DataFrame) -> np.ndarray:
        return np.full(len(summary), 0.75)

    def probability_of_purchases(self, summary: pd.DataFrame, n: int, t: float) -> np.ndarray:
        from scipy.stats import poisson

        return np.full(len(summary), poisson.pmf(n, self.rate * t))

    def expected_purchases_new_customer(self, t: object) -> np.ndarray:
        return self.rate * np.atleast_1d(np.asarray(t, dtype=float))


class FlatSpend:
    def expected_spend(self, summary: pd.DataFrame) -> np.ndarray:
        return np.full(len(summary), 10.0)


def test_a_custom_model_plugs_into_everything(cdnow, cdnow_weeks) -> None:
    model, spend = ConstantRate(0.1), FlatSpend()
    assert isinstance(model, PurchaseModel)
    assert isinstance(spend, SpendModel)
    clv = customer_lifetime_value(
        cdnow_weeks, model, spend, periods=2, period_length="7D", discount_rate=0.0
    )
    np.testing.assert_allclose(clv["clv"], 10.0 * 0.1 * 2)
    both = customer_lifetime_value(cdnow_weeks, model, spend, interval=0.9)
    np.testing.assert_array_equal(both["clv_low"], both["clv"])  # no uncertainty to carry
    long = clv_by_period(cdnow_weeks, model, spend, periods=3, period_length=1.0, discount_rate=0.1)
    np.testing.assert_allclose(long["discounted_value"].iloc[:3], 1.0 / 1.1 ** np.arange(1, 4))
    churn = churn_probability(model, cdnow_weeks)
    np.testing.assert_allclose(churn["churn_probability"], 0.25)
    holdout = evaluate_holdout(model, cdnow_weeks)
    np.testing.assert_allclose(holdout.table["mean_predicted"], 0.1 * 39.0)
    tracked = tracking(model, cdnow, calibration_end=CAL_END)
    # every customer's expected purchases grow by 0.1 a week from their first purchase
    first = cdnow.groupby("customer_id")["timestamp"].min().dt.normalize()
    end = pd.Timestamp("1998-06-30")
    expected = (0.1 * (end - first).dt.days / 7.0).sum()
    assert tracked["predicted_cumulative"].iloc[-1] == pytest.approx(expected)


# -- clv by period ---------------------------------------------------------------------


def test_clv_by_period_sums_to_clv(cdnow_weeks, fitted) -> None:
    bg, gg = fitted
    long = clv_by_period(cdnow_weeks, bg, gg, periods=6, period_length="30D", discount_rate=0.02)
    assert len(long) == 6 * len(cdnow_weeks)
    assert long["period"].tolist()[:7] == [1, 2, 3, 4, 5, 6, 1]
    total = long.groupby("customer_id", sort=False)["discounted_value"].sum()
    clv = customer_lifetime_value(cdnow_weeks, bg, gg, periods=6, discount_rate=0.02)
    np.testing.assert_allclose(total.to_numpy(), clv["clv"].to_numpy(), rtol=1e-13)
    purchases = long.groupby("customer_id", sort=False)["expected_purchases"].sum()
    np.testing.assert_allclose(purchases, bg.expected_purchases(cdnow_weeks, 6 * 30 / 7))
    np.testing.assert_allclose(
        long["expected_value"], long["expected_purchases"] * long["expected_spend"]
    )


def test_clv_by_period_lazy_in_lazy_out(cdnow_weeks, fitted) -> None:
    bg, gg = fitted
    lazy = clv_by_period(pl.from_pandas(cdnow_weeks).lazy(), bg, gg, periods=2)
    assert isinstance(lazy, pl.LazyFrame)
    eager = clv_by_period(cdnow_weeks, bg, gg, periods=2)
    np.testing.assert_allclose(lazy.collect()["discounted_value"], eager["discounted_value"])


# -- saved models ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["bg", "gg"])
def test_json_round_trip_is_exact(cdnow_weeks, fitted, kind) -> None:
    bg, gg = fitted
    model = bg if kind == "bg" else gg
    text = model.to_json()
    back = type(model).from_json(text)
    assert back.params_ == model.params_
    assert type(back.params_) is type(model.params_)
    np.testing.assert_array_equal(back.log_covariance_, model.log_covariance_)
    assert back.time_unit_ == model.time_unit_ == "W"
    assert back.log_likelihood_ == model.log_likelihood_
    assert back.n_customers_ == model.n_customers_
    pd.testing.assert_frame_equal(back.summary(), model.summary())
    if kind == "bg":
        np.testing.assert_array_equal(
            back.expected_purchases(cdnow_weeks, 10), model.expected_purchases(cdnow_weeks, 10)
        )
    else:
        np.testing.assert_array_equal(
            back.expected_spend(cdnow_weeks), model.expected_spend(cdnow_weeks)
        )
    assert ModelBase.from_json(text).params_ == model.params_
    # small and without customer data: no id, no summary value appears
    doc = json.loads(text)
    assert len(text) < 4000
    assert set(doc) == {
        "format",
        "format_version",
        "library",
        "library_version",
        "model",
        "settings",
        "params",
        "time_unit",
        "fit",
    }
    assert "customer_id" not in text


def test_json_errors(fitted) -> None:
    bg, _gg = fitted
    doc = json.loads(bg.to_json())
    with pytest.raises(ValueError, match="format version 99"):
        BetaGeoModel.from_json(json.dumps({**doc, "format_version": 99}))
    with pytest.raises(ValueError, match="not a saved crmanalytics model"):
        BetaGeoModel.from_json(json.dumps({**doc, "format": "pickle"}))
    with pytest.raises(ValueError, match="'NoSuchModel'"):
        BetaGeoModel.from_json(json.dumps({**doc, "model": "NoSuchModel"}))
    with pytest.raises(ValueError, match=r"GammaGammaModel\.from_json cannot load"):
        GammaGammaModel.from_json(bg.to_json())
    unfitted = GammaGammaModel.from_params(GammaGammaParams(6.25, 3.74, 15.44), time_unit="D")
    again = GammaGammaModel.from_json(unfitted.to_json())
    assert again.params_ == unfitted.params_
    assert again.time_unit_ == "D"
    assert (
        BetaGeoModel.from_json(
            BetaGeoModel.from_params(BetaGeoParams(1, 2, 3, 4)).to_json()
        ).time_unit_
        is None
    )
