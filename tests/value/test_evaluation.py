"""Holdout evaluation, tracking and model comparison: lifetimes and brute force as oracles."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest

from crmanalytics.errors import SchemaError
from crmanalytics.value import (
    BetaGeoModel,
    BetaGeoParams,
    GammaGammaModel,
    compare_models,
    customer_summary,
    evaluate_holdout,
    tracking,
)

CAL_END = "1997-09-30"


@pytest.fixture(scope="module")
def bg(cdnow_weeks: pd.DataFrame) -> BetaGeoModel:
    return BetaGeoModel().fit(cdnow_weeks)


def _lifetimes_fitter(model: BetaGeoModel):
    from lifetimes import BetaGeoFitter

    fitter = BetaGeoFitter()
    fitter.params_ = pd.Series(dict(zip(["r", "alpha", "a", "b"], model.params_, strict=True)))
    return fitter


def test_holdout_matches_lifetimes_calibration_and_holdout(cdnow, bg) -> None:
    from lifetimes.utils import calibration_and_holdout_data

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = calibration_and_holdout_data(
            cdnow,
            "customer_id",
            "timestamp",
            calibration_period_end=CAL_END,
            observation_period_end="1998-06-30",
            freq="D",
            freq_multiplier=7,
            monetary_value_col="amount",
        )
    # evaluate lifetimes' own summary, with its column names, through columns=
    got = evaluate_holdout(
        bg,
        ref.reset_index(),
        columns={
            "frequency": "frequency_cal",
            "recency": "recency_cal",
            "T": "T_cal",
            "duration_holdout": "duration_holdout",
        },
    )
    fitter = _lifetimes_fitter(bg)
    duration = ref["duration_holdout"].iloc[0]
    predicted = fitter.conditional_expected_number_of_purchases_up_to_time(
        duration, ref["frequency_cal"], ref["recency_cal"], ref["T_cal"]
    )
    # brute force, as lifetimes.plotting.plot_calibration_purchases_vs_holdout_purchases
    brute = (
        ref.assign(predicted=predicted, group=np.minimum(ref["frequency_cal"], 7))
        .groupby("group")[["frequency_holdout", "predicted"]]
        .mean()
    )
    np.testing.assert_allclose(got.table["mean_actual"], brute["frequency_holdout"], rtol=1e-12)
    np.testing.assert_allclose(got.table["mean_predicted"], brute["predicted"], rtol=1e-6)
    assert got.table["customers"].sum() == len(ref) == got.n_customers
    assert got.table["label"].tolist()[-1] == "7+"
    error = predicted.to_numpy() - ref["frequency_holdout"].to_numpy()
    assert got.mae == pytest.approx(np.abs(error).mean(), rel=1e-6)
    assert got.rmse == pytest.approx(np.sqrt((error**2).mean()), rel=1e-6)
    assert got.total_actual == ref["frequency_holdout"].sum()
    assert got.total_predicted == pytest.approx(predicted.sum(), rel=1e-6)


def test_holdout_on_our_summary_equals_lifetimes_summary(cdnow_weeks, bg) -> None:
    ours = evaluate_holdout(bg, cdnow_weeks)
    lazy = evaluate_holdout(bg, pl.from_pandas(cdnow_weeks).lazy())
    pd.testing.assert_frame_equal(ours.table, lazy.table)
    assert ours.duration == 39.0
    # CDNOW, 39 + 39 weeks: 2,357 customers
    assert ours.n_customers == 2357


def test_holdout_needs_holdout_columns(cdnow, bg) -> None:
    plain = customer_summary(cdnow, observation_end=CAL_END, time_unit="W")
    with pytest.raises(SchemaError, match="frequency_holdout"):
        evaluate_holdout(bg, plain)


def test_tracking_matches_lifetimes_expected_cumulative_transactions(cdnow, bg) -> None:
    from lifetimes.utils import expected_cumulative_transactions

    got = tracking(bg, cdnow, calibration_end=CAL_END, period="D")
    ref = expected_cumulative_transactions(
        _DaysModel(_lifetimes_fitter(bg)),
        cdnow,
        "timestamp",
        "customer_id",
        t=len(got),
        freq="D",
    )
    # lifetimes' row j: actual repeat purchases through day j, and expected purchases
    # at the start of day j + 1 (a full day later than ours, which stops at day j's end)
    np.testing.assert_allclose(got["actual_cumulative"], ref["actual"], rtol=0, atol=0)
    np.testing.assert_allclose(
        got["predicted_cumulative"].to_numpy()[1:], ref["predicted"].to_numpy()[:-1], rtol=1e-8
    )


class _DaysModel:
    """lifetimes' fitter in weeks, answering for horizons in days."""

    def __init__(self, fitter) -> None:
        self.fitter = fitter

    def expected_number_of_purchases_up_to_time(self, t):
        return self.fitter.expected_number_of_purchases_up_to_time(np.asarray(t) / 7.0)


def test_tracking_weeks_are_days_summed(cdnow, bg) -> None:
    daily = tracking(bg, cdnow, calibration_end=CAL_END, period="D")
    weekly = tracking(bg, cdnow, calibration_end=CAL_END, period="W")
    # ISO weeks start on Monday: each weekly cumulative equals the daily one on its last day
    day_index = pd.DatetimeIndex(daily["period"])
    last_days = weekly["period"] + pd.Timedelta(days=6)
    last_days = last_days.where(last_days <= day_index.max(), day_index.max())
    at = day_index.get_indexer(last_days)
    np.testing.assert_allclose(
        weekly["predicted_cumulative"], daily["predicted_cumulative"].to_numpy()[at], rtol=1e-12
    )
    np.testing.assert_allclose(
        weekly["actual_cumulative"], daily["actual_cumulative"].to_numpy()[at]
    )
    np.testing.assert_allclose(weekly["actual"].sum(), weekly["actual_cumulative"].iloc[-1])
    # CDNOW starts on Wednesday 1997-01-01 and ends on Tuesday 1998-06-30: both partial
    assert weekly["partial"].iloc[0]
    assert weekly["partial"].iloc[-1]
    assert not weekly["partial"].iloc[1:-1].any()
    assert weekly.loc[weekly["holdout"], "period"].min() == pd.Timestamp("1997-10-06")
    # the total repeat purchases in the holdout agree with the summary's
    summary = customer_summary(cdnow, calibration_end=CAL_END, time_unit="W")
    in_holdout = daily.loc[daily["period"] > pd.Timestamp(CAL_END), "actual"].sum()
    assert in_holdout == summary["frequency_holdout"].sum()


def test_tracking_lazy_in_lazy_out_and_needs_a_unit(cdnow, bg) -> None:
    lazy = tracking(bg, pl.from_pandas(cdnow).lazy(), calibration_end=CAL_END)
    assert isinstance(lazy, pl.LazyFrame)
    eager = tracking(bg, cdnow, calibration_end=CAL_END)
    np.testing.assert_allclose(
        lazy.collect()["predicted_cumulative"].to_numpy(), eager["predicted_cumulative"]
    )
    unknown = BetaGeoModel.from_params(bg.params_)
    with pytest.raises(ValueError, match="time_unit='W'"):
        tracking(unknown, cdnow, calibration_end=CAL_END)
    same = tracking(unknown, cdnow, calibration_end=CAL_END, time_unit="W")
    np.testing.assert_allclose(same["predicted"], eager["predicted"], rtol=1e-12)


def test_compare_models_figures(cdnow_weeks, bg) -> None:
    penalised = BetaGeoModel(penalizer=0.05).fit(cdnow_weeks)
    gg = GammaGammaModel().fit(cdnow_weeks)
    table = compare_models([bg, penalised, gg], cdnow_weeks)
    assert table["model"].tolist() == ["BetaGeoModel", "BetaGeoModel", "GammaGammaModel"]
    for row, model in zip(table.itertuples(), [bg, penalised, gg], strict=True):
        k = len(model.params_)
        assert row.n_parameters == k
        assert row.aic == pytest.approx(2 * k - 2 * model.log_likelihood_)
        assert row.bic == pytest.approx(k * np.log(model.n_customers_) - 2 * model.log_likelihood_)
    assert table["log_likelihood"].iloc[0] > table["log_likelihood"].iloc[1]
    assert table["holdout_mae"].iloc[0] == pytest.approx(evaluate_holdout(bg, cdnow_weeks).mae)
    assert np.isnan(table["holdout_mae"].iloc[2])  # a spend model predicts no purchases
    assert table["parameters"].iloc[0].startswith("r=0.2426")
    no_holdout = compare_models([bg], cdnow_weeks.drop(columns=["frequency_holdout"]))
    assert "holdout_mae" not in no_holdout.columns
    polars = compare_models([bg], pl.from_pandas(cdnow_weeks))
    assert isinstance(polars, pl.DataFrame)


def test_compare_models_errors(cdnow_weeks) -> None:
    with pytest.raises(ValueError, match="at least one"):
        compare_models([], cdnow_weeks)
    with pytest.raises(ValueError, match="no log_likelihood_"):
        compare_models([BetaGeoModel.from_params(BetaGeoParams(1, 1, 1, 1))], cdnow_weeks)
