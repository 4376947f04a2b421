"""churn_probability against lifetimes' P(alive), across backends."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from backends import convert, to_pandas

from crmanalytics.churn import churn_probability
from crmanalytics.churn.probability import p_alive_expr
from crmanalytics.datasets import load_cdnow
from crmanalytics.errors import NotFittedError, SchemaError
from crmanalytics.value import BetaGeoModel, customer_summary


@pytest.fixture(scope="module")
def cdnow() -> tuple[BetaGeoModel, pd.DataFrame]:
    summary = customer_summary(load_cdnow(), observation_end="1997-09-30", time_unit="W")
    return BetaGeoModel().fit(summary), summary


def test_matches_lifetimes(cdnow) -> None:
    from lifetimes import BetaGeoFitter

    model, summary = cdnow
    fitter = BetaGeoFitter()
    fitter.params_ = pd.Series(dict(zip(["r", "alpha", "a", "b"], model.params_, strict=True)))
    expected = 1.0 - fitter.conditional_probability_alive(
        summary["frequency"].to_numpy(), summary["recency"].to_numpy(), summary["T"].to_numpy()
    )
    got = churn_probability(model, summary)
    assert got["customer_id"].tolist() == summary["customer_id"].tolist()
    np.testing.assert_allclose(
        got["churn_probability"].to_numpy(), expected, rtol=1e-10, atol=1e-12
    )


def test_engine_expression_matches_model(cdnow, backend: str) -> None:
    model, summary = cdnow
    import narwhals.stable.v2 as nw

    native = convert(summary, backend)
    got = to_pandas(
        nw.to_native(nw.from_native(native).select("customer_id", p_alive_expr(model.params_)))
    )
    got = got.sort_values("customer_id")
    np.testing.assert_allclose(
        got["p_alive"].to_numpy(), model.probability_alive(summary), rtol=1e-10
    )


def test_extreme_rows_do_not_overflow() -> None:
    from crmanalytics.value import BetaGeoParams

    s = pd.DataFrame({"frequency": [500.0, 1.0], "recency": [1.0, 1.0], "T": [1e6, 2.0]})
    import narwhals.stable.v2 as nw

    out = (
        nw.from_native(s)
        .select(p_alive_expr(BetaGeoParams(2.0, 1.0, 0.5, 1.0)))["p_alive"]
        .to_numpy()
    )
    assert out[0] == pytest.approx(0.0, abs=1e-300)
    assert 0 < out[1] < 1


def test_backend_parity(cdnow, backend: str) -> None:
    model, summary = cdnow
    expected = churn_probability(model, summary)
    got = to_pandas(churn_probability(model, convert(summary, backend)))
    merged = got.merge(expected, on="customer_id", suffixes=("", "_pd"))
    assert len(merged) == len(expected)
    np.testing.assert_allclose(
        merged["churn_probability"], merged["churn_probability_pd"], rtol=1e-12
    )


def test_errors(cdnow) -> None:
    _, summary = cdnow
    with pytest.raises(NotFittedError, match="fit"):
        churn_probability(BetaGeoModel(), summary)
    model, _ = cdnow
    with pytest.raises(SchemaError, match="recency"):
        churn_probability(model, summary.drop(columns="recency"))
