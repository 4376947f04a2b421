"""Fits on crmanalytics.datasets.simulate() recover the planted parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmanalytics.datasets import simulate
from crmanalytics.value import BetaGeoModel, GammaGammaModel, customer_summary

Z99 = 2.576  # 99% intervals: 7 parameters at 95% would miss one in three seeds by design


def _covers(table: pd.DataFrame, truth: tuple[float, ...]) -> bool:
    se_log = table["std_error"] / table["estimate"]
    low = table["estimate"] * np.exp(-Z99 * se_log)
    high = table["estimate"] * np.exp(Z99 * se_log)
    return bool(((low.to_numpy() < truth) & (np.asarray(truth) < high.to_numpy())).all())


@pytest.fixture(scope="module")
def simulated() -> tuple[pd.DataFrame, object]:
    sim = simulate(5000, seed=3)
    last_day = pd.Timestamp(sim.truth.observation_end) - pd.Timedelta(days=1)  # exclusive end
    return customer_summary(sim.transactions, observation_end=last_day), sim.truth


def test_bgnbd_recovers_planted_parameters(simulated) -> None:
    summary, truth = simulated
    table = BetaGeoModel().fit(summary).summary()
    assert _covers(table, tuple(truth.bgnbd)), table


def test_gamma_gamma_recovers_planted_parameters(simulated) -> None:
    summary, truth = simulated
    table = GammaGammaModel().fit(summary).summary()
    assert _covers(table, tuple(truth.gamma_gamma)), table
