"""Hypothesis properties of validation: idempotent, non-mutating, backend parity."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from backends import BACKENDS, convert, to_pandas
from hypothesis import given
from hypothesis import strategies as st

from crmanalytics.errors import DataQualityWarning, SchemaError
from crmanalytics.schema import validate_interactions, validate_transactions

amounts = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.floats(min_value=-1e6, max_value=1e6),
)
days = st.integers(min_value=0, max_value=800)


@st.composite
def transaction_frames(draw: st.DrawFn, *, clean: bool) -> pd.DataFrame:
    n = draw(st.integers(min_value=0, max_value=25))
    ids = draw(
        st.lists(
            st.one_of(st.integers(0, 9), st.none()) if not clean else st.integers(0, 9),
            min_size=n,
            max_size=n,
        )
    )
    when = draw(st.lists(days, min_size=n, max_size=n))
    money = draw(st.lists(amounts if not clean else st.floats(-1e6, 1e6), min_size=n, max_size=n))
    frame = pd.DataFrame(
        {
            "customer_id": pd.array(ids, dtype="Int64"),
            "timestamp": pd.Timestamp("2023-01-01") + pd.to_timedelta(when, unit="D"),
            "amount": np.asarray(money, dtype="float64"),
            "product_id": [f"p{i % 3}" for i in range(n)],
        }
    )
    if clean:
        frame["customer_id"] = frame["customer_id"].astype("int64")
    return frame


@given(transaction_frames(clean=True))
def test_idempotent_on_canonical_frames(frame):
    once = validate_transactions(frame)
    twice = validate_transactions(once)
    pd.testing.assert_frame_equal(once, twice)


@given(transaction_frames(clean=False))
def test_never_mutates_input(frame):
    before = frame.copy(deep=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            validate_transactions(frame, invalid="drop")
        validate_transactions(frame)
    except SchemaError:
        pass
    pd.testing.assert_frame_equal(frame, before)


def _outcome(native):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        out = validate_transactions(native, invalid="drop")
    reports = [w.message.report for w in caught]
    table = (
        to_pandas(out).sort_values(["customer_id", "timestamp", "amount"]).reset_index(drop=True)
    )
    return table, [(r.rows_in, r.rows_dropped, r.dropped) for r in reports]


@pytest.mark.parity
@given(transaction_frames(clean=False))
def test_backends_agree(frame):
    reference_table, reference_report = _outcome(convert(frame, "pandas"))
    for backend in BACKENDS[1:]:
        table, report = _outcome(convert(frame, backend))
        assert report == reference_report, backend
        pd.testing.assert_frame_equal(
            table, reference_table, check_dtype=False, check_index_type=False, rtol=1e-9
        )


@given(st.lists(st.one_of(st.integers(-3, 13), st.floats(-3, 13), st.none()), max_size=20))
def test_nps_rule_matches_definition(scores):
    frame = pd.DataFrame(
        {
            "customer_id": range(len(scores)),
            "timestamp": pd.Timestamp("2024-01-01"),
            "kind": "nps",
            "score": pd.array(scores, dtype="Float64").astype("float64"),
        }
    )
    expected_bad = sum(1 for s in scores if s is None or s < 0 or s > 10 or s != int(s))
    for backend in ("pandas", "polars", "duckdb"):
        try:
            validate_interactions(convert(frame, backend))
            bad = 0
        except SchemaError as err:
            bad = err.problems[0].rows
        assert bad == expected_bad, backend
