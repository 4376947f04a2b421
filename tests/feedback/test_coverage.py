"""Coverage simulation: each interval method covers the true NPS near its nominal level.

Samples are drawn from known trinomial mixes (vectorised: one multinomial draw per
simulated survey), so the true score is known exactly. With 2000 surveys the Monte
Carlo standard error of a 95% coverage is about 0.005.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmanalytics.feedback import _nps_kernel as kernel
from crmanalytics.feedback import nps_by

MIXES = [(0.5, 0.3, 0.2), (0.3, 0.3, 0.4), (0.8, 0.15, 0.05), (0.1, 0.2, 0.7)]
NOMINAL = 0.95
Z = 1.959963984540054


def simulate(mix: tuple[float, float, float], n: int, surveys: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).multinomial(n, mix, size=surveys)


def coverage(result: kernel.IntervalArrays, mix: tuple[float, float, float]) -> float:
    true = 100 * (mix[0] - mix[2])
    return float(np.mean((result.low <= true) & (true <= result.high)))


@pytest.mark.parametrize("mix", MIXES)
@pytest.mark.parametrize("n", [10, 30, 100, 500])
def test_adjusted_wald_covers_at_every_size(mix: tuple[float, float, float], n: int) -> None:
    draws = simulate(mix, n, 2000, seed=n)
    got = coverage(kernel.adjusted_wald(draws[:, 0], draws[:, 1], draws[:, 2], Z), mix)
    assert abs(got - NOMINAL) < 0.025, got


@pytest.mark.parametrize("mix", MIXES)
@pytest.mark.parametrize("n", [100, 500])
def test_wald_covers_for_large_samples(mix: tuple[float, float, float], n: int) -> None:
    draws = simulate(mix, n, 2000, seed=n + 1)
    got = coverage(kernel.wald(draws[:, 0], draws[:, 1], draws[:, 2], Z), mix)
    assert abs(got - NOMINAL) < 0.025, got


@pytest.mark.parametrize("mix", MIXES)
def test_wald_undercovers_small_samples_and_adjustment_fixes_it(
    mix: tuple[float, float, float],
) -> None:
    draws = simulate(mix, 10, 2000, seed=99)
    wald = coverage(kernel.wald(draws[:, 0], draws[:, 1], draws[:, 2], Z), mix)
    adjusted = coverage(kernel.adjusted_wald(draws[:, 0], draws[:, 1], draws[:, 2], Z), mix)
    assert wald < NOMINAL - 0.02
    assert adjusted > wald + 0.02


@pytest.mark.parametrize("mix", MIXES[:3])
@pytest.mark.parametrize("n", [100, 500])
def test_bootstrap_covers_for_moderate_samples(mix: tuple[float, float, float], n: int) -> None:
    draws = simulate(mix, n, 1000, seed=n + 2)
    result = kernel.bootstrap(
        draws[:, 0],
        draws[:, 1],
        draws[:, 2],
        NOMINAL,
        n_resamples=500,
        rng=np.random.default_rng(5),
    )
    got = coverage(result, mix)
    assert abs(got - NOMINAL) < 0.03, got


@pytest.mark.parametrize("method", ["wald", "adjusted-wald"])
def test_public_grouped_path_has_the_same_coverage(method: str) -> None:
    """2000 simulated surveys as groups of one frame, scored by nps_by."""
    mix, n, surveys = (0.5, 0.3, 0.2), 30, 2000
    rng = np.random.default_rng(11)
    scores = rng.choice([10, 7, 2], size=(surveys, n), p=mix)
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(surveys * n),
            "timestamp": pd.Timestamp("2024-01-01"),
            "kind": "nps",
            "survey": np.repeat(np.arange(surveys), n),
            "score": scores.ravel().astype(float),
        }
    )
    table = nps_by(frame, by="survey", method=method)  # type: ignore[arg-type]
    true = 100 * (mix[0] - mix[2])
    got = float(np.mean((table["nps_low"] <= true) & (true <= table["nps_high"])))
    assert len(table) == surveys
    assert abs(got - NOMINAL) < 0.025, got
