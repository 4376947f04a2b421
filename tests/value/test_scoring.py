"""Per-customer scores on lazy frames: scored on distinct rows, joined back in the engine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from crmanalytics.value import (
    BetaGeoModel,
    BetaGeoParams,
    GammaGammaModel,
    GammaGammaParams,
    customer_lifetime_value,
)
from crmanalytics.value._inputs import score_rows

BG = BetaGeoModel.from_params(BetaGeoParams(0.243, 4.414, 0.793, 2.426), time_unit="D")
GG = GammaGammaModel.from_params(GammaGammaParams(6.25, 3.74, 15.44))


@st.composite
def summaries(draw: st.DrawFn) -> pd.DataFrame:
    """Summaries whose customers share few distinct (x, t_x, T, m) rows, as real ones do."""
    n_distinct = draw(st.integers(1, 6))
    rows = []
    for _ in range(n_distinct):
        x = draw(st.integers(0, 20))
        big_t = float(draw(st.integers(1, 60)))
        t_x = 0.0 if x == 0 else float(draw(st.integers(0, int(big_t))))
        m = 0.0 if x == 0 else float(draw(st.integers(1, 500)))
        rows.append((x, t_x, big_t, m))
    picks = draw(st.lists(st.integers(0, n_distinct - 1), min_size=1, max_size=40))
    return pd.DataFrame(
        {
            "customer_id": [f"c{i:03d}" for i in range(len(picks))],
            "frequency": [rows[p][0] for p in picks],
            "recency": [rows[p][1] for p in picks],
            "T": [rows[p][2] for p in picks],
            "monetary_value": [rows[p][3] for p in picks],
        }
    )


@settings(max_examples=30)
@given(summaries())
def test_lazy_clv_equals_eager_row_by_row(summary: pd.DataFrame) -> None:
    eager = customer_lifetime_value(summary, BG, GG)
    lazy = customer_lifetime_value(pl.from_pandas(summary).lazy(), BG, GG)
    assert isinstance(lazy, pl.LazyFrame)
    got = lazy.collect().to_pandas().sort_values("customer_id", ignore_index=True)
    # every customer exactly once: the join neither drops nor duplicates anyone
    assert got["customer_id"].tolist() == summary["customer_id"].tolist()
    np.testing.assert_allclose(got["clv"], eager["clv"], rtol=1e-12)


def test_lazy_scores_are_computed_once_per_distinct_row() -> None:
    summary = pd.DataFrame(
        {
            "customer_id": range(6),
            "frequency": [0, 2, 2, 0, 2, 2],
            "recency": [0.0, 5.0, 5.0, 0.0, 5.0, 30.0],
            "T": [38.0] * 6,
        }
    )
    seen: list[int] = []

    def count_rows(cols: dict[str, np.ndarray]) -> np.ndarray:
        seen.append(len(cols["frequency"]))
        return cols["frequency"] * 10.0 + cols["recency"]

    names = ["frequency", "recency", "T"]
    out = score_rows(pl.from_pandas(summary).lazy(), names, "score", count_rows)
    assert seen == [3]  # three distinct (x, t_x, T) rows cross the engine boundary
    got = out.collect().sort("customer_id")
    assert got["score"].to_list() == [0.0, 25.0, 25.0, 0.0, 25.0, 50.0]
    score_rows(summary, names, "score", count_rows)
    assert seen == [3, 6]  # an eager summary is scored row by row
