"""Segment map partition by enumeration, rfm_segments, segment_summary, docs table."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmanalytics.errors import SchemaError
from crmanalytics.segmentation import (
    DEFAULT_SEGMENT_MAP,
    ScoreBox,
    describe_segment_map,
    rfm_scores,
    rfm_segments,
    rfm_table,
    segment_of,
    segment_summary,
)

CELLS = list(itertools.product(range(1, 6), repeat=3))
DOCS = Path(__file__).resolve().parents[2] / "docs" / "user_guide" / "segmentation.rst"


def reference_segment(r: int, f: int, m: int) -> str:
    """The documented R x FM grid, written out independently of the map."""
    fm = (f + m) // 2
    grid = {
        5: {
            1: "New Customers",
            2: "Potential Loyalists",
            3: "Potential Loyalists",
            4: "Champions",
            5: "Champions",
        },
        4: {
            1: "Promising",
            2: "Potential Loyalists",
            3: "Potential Loyalists",
            4: "Loyal Customers",
            5: "Loyal Customers",
        },
        3: {
            1: "About to Sleep",
            2: "About to Sleep",
            3: "Need Attention",
            4: "Loyal Customers",
            5: "Loyal Customers",
        },
        2: {1: "Hibernating", 2: "Hibernating", 3: "At Risk", 4: "At Risk", 5: "Can't Lose Them"},
        1: {1: "Lost", 2: "Hibernating", 3: "At Risk", 4: "At Risk", 5: "Can't Lose Them"},
    }
    return grid[r][fm]


def test_default_map_is_a_partition_of_all_125_cells() -> None:
    for cell in CELLS:
        owners = [
            name
            for name, boxes in DEFAULT_SEGMENT_MAP.items()
            if any(b.contains(*cell) for b in boxes)
        ]
        assert len(owners) == 1, (cell, owners)
        assert owners[0] == reference_segment(*cell)
    reached = {segment_of(*cell) for cell in CELLS}
    assert reached == set(DEFAULT_SEGMENT_MAP)  # every named segment is reachable
    assert len(reached) == 11


def test_rfm_segments_on_every_cell(backend: str, to_backend, as_pandas) -> None:
    cells = pd.DataFrame(CELLS, columns=["r_score", "f_score", "m_score"])
    out = as_pandas(rfm_segments(to_backend(cells, backend)))
    out = out.sort_values(["r_score", "f_score", "m_score"]).reset_index(drop=True)
    assert out["segment"].tolist() == [reference_segment(*c) for c in CELLS]


def test_out_of_range_scores_get_null_segment() -> None:
    out = rfm_segments(pd.DataFrame({"r_score": [6, 5], "f_score": [1, 5], "m_score": [1, 5]}))
    assert out["segment"].isna().tolist() == [True, False]


def test_custom_map_must_cover_each_cell_once() -> None:
    gap = {"High": (ScoreBox(r=(2, 3)),)}
    with pytest.raises(ValueError, match=r"bins=3.*9 cells in no segment"):
        rfm_segments(
            pd.DataFrame({"r_score": [1], "f_score": [1], "m_score": [1]}), segment_map=gap, bins=3
        )
    overlap = {"A": (ScoreBox(r=(1, 2)),), "B": (ScoreBox(r=(2, 3)),)}
    with pytest.raises(ValueError, match="9 cells in several segments"):
        describe_segment_map(overlap, bins=3)
    with pytest.raises(ValueError, match="sequence of ScoreBox"):
        describe_segment_map({"A": ScoreBox()}, bins=3)  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="defined for bins=5"):
        rfm_segments(pd.DataFrame({"r_score": [1], "f_score": [1], "m_score": [1]}), bins=3)


def test_custom_map_applies() -> None:
    smap = {"recent": (ScoreBox(r=(2, 2)),), "old": (ScoreBox(r=(1, 1)),)}
    out = rfm_segments(
        pd.DataFrame({"r_score": [1, 2], "f_score": [2, 1], "m_score": [1, 2]}),
        segment_map=smap,
        bins=2,
    )
    assert out["segment"].tolist() == ["old", "recent"]


def test_missing_score_column() -> None:
    with pytest.raises(SchemaError, match=r"'m_score': is required by rfm_segments but missing"):
        rfm_segments(pd.DataFrame({"r_score": [1], "f_score": [1]}))


@settings(max_examples=10)  # each example runs the whole pipeline
@given(seed=st.integers(0, 1000))
def test_every_customer_gets_exactly_one_segment(seed: int) -> None:
    from .conftest import make_transactions

    seg = rfm_segments(rfm_scores(rfm_table(make_transactions(seed))))
    assert seg["segment"].notna().all()
    assert seg["segment"].isin(list(DEFAULT_SEGMENT_MAP)).all()


def test_segment_summary_matches_pandas(backend: str, to_backend, as_pandas, transactions) -> None:
    seg = rfm_segments(rfm_scores(rfm_table(transactions)))
    got = as_pandas(segment_summary(to_backend(seg, backend))).set_index("segment").sort_index()
    grouped = seg.groupby("segment")
    assert got["customers"].tolist() == grouped.size().sort_index().tolist()
    assert got["customers"].sum() == len(seg)
    assert got["customer_share"].sum() == pytest.approx(1.0)
    assert got["revenue_share"].sum() == pytest.approx(1.0)
    pd.testing.assert_series_equal(
        got["revenue"], grouped["monetary"].sum().sort_index(), check_names=False, check_dtype=False
    )
    pd.testing.assert_series_equal(
        got["mean_recency"], grouped["recency"].mean().sort_index(), check_names=False
    )
    assert list(as_pandas(segment_summary(seg))["customers"]) == sorted(
        got["customers"], reverse=True
    )


def test_docs_table_is_generated_from_the_map() -> None:
    text = DOCS.read_text(encoding="utf-8")
    rows = re.findall(r"^   \* - (.+)\n     - (.+)\n     - (\d+)$", text, flags=re.MULTILINE)
    table = describe_segment_map()
    assert [(s, r, int(c)) for s, r, c in rows] == list(
        zip(table["segment"], table["rule"], table["cells"].astype(int), strict=True)
    )
