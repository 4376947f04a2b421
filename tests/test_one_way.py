"""The one way in (``validated``, ``renamed``) and the one way out (``to_caller``)."""

from __future__ import annotations

import datetime as dt

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
import pytest
from backends import LAZY_BACKENDS, LOCAL_BACKENDS, convert, to_pandas
from hypothesis import given
from hypothesis import strategies as st

from crmanalytics import ConfidenceInterval
from crmanalytics._frames import renamed, to_caller, validated
from crmanalytics._periods import is_partial, period_end, period_start, period_starts
from crmanalytics.errors import SchemaError


def _raw() -> pd.DataFrame:
    return pd.DataFrame(
        {"who": [2, 1, 2], "when": ["2024-01-01", "2024-01-02", "2024-02-01"], "amount": [1, 2, 3]}
    )


@pytest.mark.parametrize("backend", LOCAL_BACKENDS)
def test_validated_maps_columns_and_keeps_the_engine(backend):
    native = convert(_raw(), backend)
    frame = validated(
        native, "transactions", columns={"customer_id": "who", "timestamp": "when"}, purpose="t"
    )
    assert frame.collect_schema().names() == ["customer_id", "timestamp", "amount"]
    assert (backend in LAZY_BACKENDS) == isinstance(frame, nw.LazyFrame)


def test_validated_ignores_names_of_other_tables_and_rejects_unknown_names():
    raw = _raw()
    cols = {"customer_id": "who", "timestamp": "when", "kind": "event"}  # kind: interactions
    assert validated(raw, "transactions", columns=cols, purpose="t").columns[0] == "customer_id"
    with pytest.raises(ValueError, match="unknown canonical names"):
        validated(raw, "transactions", columns={**cols, "nonsense": "x"}, purpose="t")


def test_validated_reports_missing_needed_columns_with_row_problems_together():
    raw = _raw().assign(amount=[1.0, float("inf"), 2.0])
    with pytest.raises(SchemaError) as caught:
        validated(
            raw,
            "transactions",
            columns={"customer_id": "who", "timestamp": "when"},
            needs=["product_id"],
            purpose="sequential_rules",
        )
    rules = {(p.column, p.rule) for p in caught.value.problems}
    assert ("amount", "must be finite") in rules
    assert ("product_id", "is required by sequential_rules but missing") in rules


def test_fix_advice_names_only_what_the_function_offers():
    raw = _raw().assign(who=[1, None, 2])
    cols = {"customer_id": "who", "timestamp": "when"}
    with pytest.raises(SchemaError) as analysis:
        validated(raw, "transactions", columns=cols, purpose="rfm_table")
    assert "removes them first" in str(analysis.value)
    assert "validate_transactions(frame, invalid='drop')" in str(analysis.value)
    with pytest.raises(SchemaError) as validator:
        validated(raw, "transactions", columns=cols, purpose="validate_transactions")
    assert "(invalid='drop' removes them)" in str(validator.value)


def test_duplicate_column_names_are_a_schema_error():
    raw = pd.DataFrame(
        [[1, "2024-01-01", 3.0, 4.0]], columns=["customer_id", "timestamp", "amount", "amount"]
    )
    with pytest.raises(SchemaError, match="must be unique"):
        validated(raw, "transactions", purpose="t")


@pytest.mark.parametrize("backend", LOCAL_BACKENDS)
def test_to_caller_returns_the_callers_type_with_a_fresh_index(backend):
    source = _raw()
    source.index = [10, 11, 12]
    native = convert(source, backend)
    frame = validated(
        native, "transactions", columns={"customer_id": "who", "timestamp": "when"}, purpose="t"
    )
    grouped = frame.group_by("customer_id").agg(nw.col("amount").sum()).sort("customer_id")
    out = to_caller(grouped, native)
    assert type(out) is type(native)
    got = to_pandas(out).sort_values("customer_id")
    assert got["amount"].tolist() == [2.0, 4.0]
    if backend == "pandas":
        assert out.index.tolist() == [0, 1]
    from_dict = to_caller({"a": np.array([1, 2])}, native)
    assert type(from_dict) is type(native)
    assert to_pandas(from_dict)["a"].tolist() == [1, 2]


def test_to_caller_keep_index_for_row_preserving_results():
    native = pd.DataFrame({"a": [1, 2]}, index=["x", "y"])
    out = to_caller({"b": [3, 4]}, native, keep_index=True)
    assert out.index.tolist() == ["x", "y"]


def test_to_caller_on_a_narwhals_input_gives_narwhals():
    frame = nw.from_native(pd.DataFrame({"a": [1]}), eager_only=True)
    assert isinstance(to_caller({"b": [1]}, frame), nw.DataFrame)


def test_renamed_maps_and_reports():
    s = pd.DataFrame({"id": [1], "x": [0], "T": [1.0]})
    out = renamed(
        s,
        columns={"customer_id": "id", "frequency": "x"},
        needs=["customer_id", "frequency", "T"],
        table="customer summary",
        purpose="f",
    )
    assert out.columns == ["customer_id", "frequency", "T"]
    with pytest.raises(SchemaError) as caught:
        renamed(
            s,
            columns={"frequency": "nope"},
            needs=["recency"],
            table="customer summary",
            purpose="f",
        )
    text = str(caught.value)
    assert "'nope', which is not in the frame" in text
    assert "recency" in text
    assert s.columns.tolist() == ["id", "x", "T"]  # the caller's frame is untouched


def test_confidence_interval_unpacks_like_scipy():
    low, high = ConfidenceInterval(1.0, 3.0)
    assert (low, high) == (1.0, 3.0)
    assert ConfidenceInterval(1.0, 3.0).contains(2.0)


@given(
    st.dates(min_value=dt.date(1901, 1, 1), max_value=dt.date(2099, 12, 31)),
    st.sampled_from("DWMQY"),
)
def test_periods_partition_the_calendar(day, period):
    from crmanalytics._periods import period_of_day

    epoch = (day - dt.date(1970, 1, 1)).days
    index = period_of_day(epoch, period)
    assert period_start(index, period) <= epoch < period_end(index, period)
    start = period_starts(np.array([index]), period)[0]
    assert (start.astype("datetime64[D]") - np.datetime64("1970-01-01")).astype(
        int
    ) == period_start(index, period)
    whole = (period_start(index, period), period_end(index, period) - 1)
    assert not is_partial(index, period, *whole)
    if period != "D":
        assert is_partial(index, period, whole[0] + 1, whole[1])
