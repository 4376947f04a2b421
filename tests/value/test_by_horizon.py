"""expected_purchases_by_horizon: one call, the same numbers as one call per horizon."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmanalytics.value import (
    BetaGeoModel,
    BetaGeoParams,
    ModifiedBetaGeoModel,
    ModifiedBetaGeoParams,
    ParetoNBDModel,
    ParetoNBDParams,
    _bgnbd_math,
)

MODELS = [
    BetaGeoModel.from_params(BetaGeoParams(0.243, 4.414, 0.793, 2.426)),
    ParetoNBDModel.from_params(ParetoNBDParams(0.553, 10.578, 0.606, 11.669)),
    ModifiedBetaGeoModel.from_params(ModifiedBetaGeoParams(0.525, 6.183, 0.891, 1.614)),
]

rows = st.lists(
    st.tuples(st.integers(0, 30), st.floats(0, 1), st.floats(0.5, 80)), min_size=1, max_size=40
).map(
    lambda r: pd.DataFrame(
        {
            "frequency": [float(x) for x, _, _ in r],
            "recency": [0.0 if x == 0 else u * t for x, u, t in r],
            "T": [t for _, _, t in r],
        }
    )
)


@settings(max_examples=40, deadline=None)
@given(
    summary=rows,
    horizons=st.lists(st.floats(0, 200), min_size=1, max_size=6),
    which=st.sampled_from(range(len(MODELS))),
)
def test_columns_equal_one_call_per_horizon(
    summary: pd.DataFrame, horizons: list[float], which: int
) -> None:
    model = MODELS[which]
    got = model.expected_purchases_by_horizon(summary, horizons)
    assert got.shape == (len(summary), len(horizons))
    for j, t in enumerate(horizons):
        np.testing.assert_array_equal(got[:, j], model.expected_purchases(summary, t))


@settings(max_examples=25, deadline=None)
@given(summary=rows, t=st.floats(0, 200))
def test_bgnbd_pairs_equal_the_direct_kernel(summary: pd.DataFrame, t: float) -> None:
    """The pair-wise BG/NBD evaluation against equation (10) row by row."""
    model = MODELS[0]
    direct = _bgnbd_math.conditional_expected_purchases(
        model.param_array(),
        summary["frequency"].to_numpy(),
        summary["recency"].to_numpy(),
        summary["T"].to_numpy(),
        t,
    )
    np.testing.assert_allclose(model.expected_purchases(summary, t), direct, rtol=1e-13)


@pytest.mark.parametrize("bad", [[-1.0], [1.0, float("nan")], [float("inf")]])
def test_bad_horizons_are_refused(bad: list[float]) -> None:
    summary = pd.DataFrame({"frequency": [1.0], "recency": [2.0], "T": [5.0]})
    with pytest.raises(ValueError, match="t must be a finite number >= 0"):
        MODELS[0].expected_purchases_by_horizon(summary, bad)
