"""Fixtures for the value tests: CDNOW summaries and a BG/NBD simulator."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from crmanalytics.datasets import load_cdnow
from crmanalytics.value import customer_summary


@pytest.fixture(scope="session")
def cdnow() -> pd.DataFrame:
    return load_cdnow()


@pytest.fixture(scope="session")
def cdnow_weeks(cdnow: pd.DataFrame) -> pd.DataFrame:
    """CDNOW calibration summary in weeks, with holdout columns (paper set-up)."""
    return customer_summary(cdnow, calibration_end="1997-09-30", time_unit="W")


def simulate_bgnbd(
    n: int, params: tuple[float, float, float, float], *, seed: int, t_max: float = 52.0
) -> dict[str, Any]:
    """Simulate the BG/NBD process (independent of the library's code)."""
    r, alpha, a, b = params
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    p = rng.beta(a, b, size=n)
    T = rng.uniform(t_max / 2, t_max, size=n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    clock = np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        clock[idx] += rng.exponential(1.0 / lam[idx])
        past = clock[idx] > T[idx]
        active[idx[past]] = False
        buy = idx[~past]
        x[buy] += 1
        t_x[buy] = clock[buy]
        dies = rng.uniform(size=buy.size) < p[buy]
        active[buy[dies]] = False
    return {
        "summary": pd.DataFrame({"frequency": x.astype("int64"), "recency": t_x, "T": T}),
        "lam": lam,
        "p": p,
    }
