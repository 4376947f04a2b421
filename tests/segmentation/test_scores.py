"""rfm_scores against a brute-force score, with monotonicity and tie properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmanalytics.errors import SchemaError
from crmanalytics.segmentation import rfm_scores, rfm_table

from .conftest import sort_by_customer


def brute_score(values: list[float], bins: int, *, reverse: bool = False) -> list[int]:
    """Count below / tied for each value, then floor(bins * (below + tied/2) / n) + 1."""
    n = len(values)
    out = []
    for v in values:
        below = sum((w > v) if reverse else (w < v) for w in values)
        tied = sum(w == v for w in values)
        position = (below + tied / 2) / n
        out.append(int(np.floor(bins * position + 1e-12)) + 1)
    return out


rfm_frames = st.integers(1, 30).flatmap(
    lambda n: st.builds(
        lambda r, f, m: pd.DataFrame(
            {"customer_id": range(n), "recency": r, "frequency": f, "monetary": m}
        ),
        st.lists(st.integers(0, 20), min_size=n, max_size=n),
        st.lists(st.integers(0, 4), min_size=n, max_size=n),
        st.lists(
            st.floats(-50, 500, allow_nan=False).map(lambda x: round(x, 1)), min_size=n, max_size=n
        ),
    )
)


@given(rfm=rfm_frames, bins=st.integers(2, 9))
def test_matches_brute_force_and_is_monotone(rfm: pd.DataFrame, bins: int) -> None:
    before = rfm.copy()
    out = rfm_scores(rfm, bins=bins)
    pd.testing.assert_frame_equal(rfm, before)  # input untouched
    assert out["r_score"].tolist() == brute_score(rfm["recency"].tolist(), bins, reverse=True)
    assert out["f_score"].tolist() == brute_score(rfm["frequency"].tolist(), bins)
    assert out["m_score"].tolist() == brute_score(rfm["monetary"].tolist(), bins)
    for col, score, sign in [
        ("recency", "r_score", -1),
        ("frequency", "f_score", 1),
        ("monetary", "m_score", 1),
    ]:
        ordered = out.assign(_k=sign * out[col]).sort_values(["_k", score])
        assert ordered[score].is_monotonic_increasing
        assert (
            out.groupby(col)[score].min() == out.groupby(col)[score].max()
        ).all()  # ties share a score
        assert out[score].between(1, bins).all()
    labels = out["r_score"].astype(str) + out["f_score"].astype(str) + out["m_score"].astype(str)
    assert out["rfm_score"].tolist() == labels.tolist()


def test_equal_groups_without_ties() -> None:
    rfm = pd.DataFrame({"recency": range(10), "frequency": range(10), "monetary": range(10)})
    out = rfm_scores(rfm, bins=5)
    assert out["f_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert out["r_score"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


def test_heavily_tied_column_uses_fewer_scores() -> None:
    # 60 % bought once: the tie group's middle sits at position 0.3 -> score 2 for all
    rfm = pd.DataFrame(
        {"recency": range(10), "frequency": [1] * 6 + [2, 3, 4, 5], "monetary": range(10)}
    )
    out = rfm_scores(rfm, bins=5)
    assert out["f_score"].tolist() == [2] * 6 + [4, 4, 5, 5]


def test_backend_parity(backend: str, to_backend, as_pandas, transactions: pd.DataFrame) -> None:
    want = sort_by_customer(rfm_scores(rfm_table(transactions)))
    native = to_backend(transactions, backend)
    out = rfm_scores(rfm_table(native))
    assert type(out) is type(native)
    pd.testing.assert_frame_equal(
        sort_by_customer(as_pandas(out)), want, check_dtype=False, rtol=1e-9
    )


@pytest.mark.parametrize("bins", [1, 10, 2.5, True])
def test_bad_bins(bins: object) -> None:
    rfm = pd.DataFrame({"recency": [1], "frequency": [1], "monetary": [1.0]})
    with pytest.raises(ValueError, match="bins must be an integer from 2 to 9"):
        rfm_scores(rfm, bins=bins)  # type: ignore[arg-type]


def test_missing_and_non_numeric_columns() -> None:
    rfm = pd.DataFrame({"recency": ["x"], "monetary": [1.0]})
    with pytest.raises(SchemaError) as info:
        rfm_scores(rfm)
    text = str(info.value)
    assert "'frequency': is required by rfm_scores but missing" in text
    assert "'recency': must be numeric" in text
