"""Schema validation: every rule with bad input, backends, drop mode, no mutation."""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from crmanalytics.errors import DataQualityWarning, SchemaError
from crmanalytics.schema import (
    CUSTOMERS,
    INTERACTIONS,
    TRANSACTIONS,
    check_table,
    require_columns,
    validate_customers,
    validate_interactions,
    validate_transactions,
)


def tx(**overrides: Any) -> pd.DataFrame:
    base: dict[str, Any] = {
        "customer_id": [1, 2, 3],
        "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
        "amount": [10.0, 20.0, -5.0],
    }
    base.update(overrides)
    return pd.DataFrame(base)


def problems_of(excinfo: pytest.ExceptionInfo[SchemaError]) -> list[tuple[str, str, int]]:
    return [(p.column, p.rule, p.rows) for p in excinfo.value.problems]


def test_clean_frame_passes_and_types_are_canonical(backend, to_backend, as_pandas):
    raw = tx(amount=[10, 20, -5], product_id=["a", "b", "c"], quantity=[1, 2, -1])
    out = as_pandas(validate_transactions(to_backend(raw, backend)))
    assert list(out.columns) == ["customer_id", "timestamp", "amount", "product_id", "quantity"]
    assert out["amount"].dtype == np.float64
    assert out["quantity"].dtype == np.float64
    assert pd.api.types.is_datetime64_any_dtype(out["timestamp"])
    assert out["amount"].tolist() == [10.0, 20.0, -5.0]


def test_result_type_is_callers_type(backend, to_backend):
    native = to_backend(tx(), backend)
    assert type(validate_transactions(native)) is type(native)


@pytest.mark.parametrize("missing", ["customer_id", "timestamp", "amount"])
def test_missing_required_column(missing):
    with pytest.raises(SchemaError) as excinfo:
        validate_transactions(tx().drop(columns=[missing]))
    assert problems_of(excinfo) == [(missing, "is required but missing", 0)]
    assert f"'{missing}'" in str(excinfo.value)
    assert "Fix:" in str(excinfo.value)


def test_column_mapping_renames_and_reports_callers_name(backend, to_backend, as_pandas):
    raw = pd.DataFrame(
        {
            "CustomerID": [7.0, None],
            "InvoiceDate": ["2024-01-01", "2024-01-02"],
            "Value": [1.0, 2.0],
        }
    )
    mapping = {"customer_id": "CustomerID", "timestamp": "InvoiceDate", "amount": "Value"}
    with pytest.raises(SchemaError) as excinfo:
        validate_transactions(to_backend(raw, backend), columns=mapping)
    (problem,) = excinfo.value.problems
    assert problem.column == "customer_id"
    assert problem.source_column == "CustomerID"
    assert "your column 'CustomerID'" in str(excinfo.value)
    ok = as_pandas(validate_transactions(to_backend(raw.iloc[:1], backend), columns=mapping))
    assert list(ok.columns) == ["customer_id", "timestamp", "amount"]


def test_mapping_to_absent_column_and_unknown_canonical_name():
    with pytest.raises(SchemaError) as excinfo:
        validate_transactions(tx(), columns={"amount": "Revenue"})
    assert "is mapped to 'Revenue', which is not in the frame" in str(excinfo.value)
    with pytest.raises(ValueError, match="unknown canonical names"):
        validate_transactions(tx(), columns={"revenue": "amount"})


def test_mapping_clash_with_existing_canonical_column():
    with pytest.raises(SchemaError, match="also has a column named 'amount'"):
        validate_transactions(tx(net=[1.0, 2.0, 3.0]), columns={"amount": "net"})


def test_unparseable_timestamp(backend, to_backend):
    raw = tx(timestamp=["2024-01-01", "not a date", "2024-01-03 10:30"])
    with pytest.raises(SchemaError) as excinfo:
        validate_transactions(to_backend(raw, backend))
    assert problems_of(excinfo) == [("timestamp", "could not be parsed as a datetime", 1)]
    assert excinfo.value.problems[0].examples == ("not a date",)


def test_iso_strings_parse_alike_on_every_backend(backend, to_backend, as_pandas):
    raw = tx(timestamp=["2024-01-01", "2024-01-02 10:30", "2024-01-03T23:59:59"])
    out = as_pandas(validate_transactions(to_backend(raw, backend)))
    expected = [
        pd.Timestamp("2024-01-01"),
        pd.Timestamp("2024-01-02 10:30"),
        pd.Timestamp("2024-01-03 23:59:59"),
    ]
    assert out["timestamp"].tolist() == expected


def test_dates_are_widened_to_datetimes(as_pandas):
    raw = tx(timestamp=[dt.date(2024, 1, d) for d in (1, 2, 3)])
    import polars as pl

    out = as_pandas(validate_transactions(pl.from_pandas(raw)))
    assert pd.api.types.is_datetime64_any_dtype(out["timestamp"])


@pytest.mark.parametrize(
    ("amounts", "rule", "rows"),
    [
        ([1.0, np.nan, 2.0], "must not be missing", 1),
        ([1.0, np.inf, -np.inf], "must be finite", 2),
        (["1.5", "twelve", "3"], "could not be parsed as a number", 1),
    ],
)
def test_bad_amounts(backend, to_backend, amounts, rule, rows):
    with pytest.raises(SchemaError) as excinfo:
        validate_transactions(to_backend(tx(amount=amounts), backend))
    assert problems_of(excinfo) == [("amount", rule, rows)]


def test_null_customer_id_counts_and_examples(backend, to_backend):
    raw = tx(customer_id=[None, "b", None])
    with pytest.raises(SchemaError) as excinfo:
        validate_transactions(to_backend(raw, backend))
    assert problems_of(excinfo) == [("customer_id", "must not be missing", 2)]


@pytest.mark.parametrize(
    ("column", "values", "needle"),
    [
        ("timestamp", [1, 2, 3], "must be a datetime"),
        ("amount", [True, False, True], "must be a number"),
    ],
)
def test_wrong_types(column, values, needle):
    with pytest.raises(SchemaError) as excinfo:
        validate_transactions(tx(**{column: values}))
    (problem,) = excinfo.value.problems
    assert problem.column == column
    assert needle in problem.rule


def test_every_problem_reported_at_once():
    raw = pd.DataFrame(
        {"customer_id": [None, 1], "timestamp": ["x", "2024-01-01"], "amount": [np.inf, 1.0]}
    )
    with pytest.raises(SchemaError) as excinfo:
        validate_transactions(raw)
    assert {p.column for p in excinfo.value.problems} == {"customer_id", "timestamp", "amount"}
    assert str(excinfo.value).startswith("transactions: 3 problems found")


def test_nps_scores_must_be_integers_0_to_10(backend, to_backend):
    raw = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4, 5, 6],
            "timestamp": pd.to_datetime(["2024-01-01"] * 6),
            "kind": ["nps", "nps", "nps", "nps", "survey", "nps"],
            "score": [10.0, 11.0, 7.5, np.nan, 3.7, -1.0],
        }
    )
    with pytest.raises(SchemaError) as excinfo:
        validate_interactions(to_backend(raw, backend))
    (problem,) = excinfo.value.problems
    assert problem.column == "score"
    assert "integer from 0 to 10" in problem.rule
    assert problem.rows == 4  # 11, 7.5, missing, -1; the survey's 3.7 is fine


def test_interaction_kind_must_be_text():
    raw = pd.DataFrame(
        {"customer_id": [1], "timestamp": pd.to_datetime(["2024-01-01"]), "kind": [3]}
    )
    with pytest.raises(SchemaError, match="column 'kind': must be text"):
        validate_interactions(raw)


def test_duplicate_customer_ids(backend, to_backend):
    raw = pd.DataFrame({"customer_id": ["a", "b", "a", "c", "c", "c"]})
    with pytest.raises(SchemaError) as excinfo:
        validate_customers(to_backend(raw, backend))
    (problem,) = excinfo.value.problems
    assert (problem.column, problem.rule, problem.rows) == ("customer_id", "must be unique", 5)
    assert sorted(problem.examples) == ["a", "c"]  # type: ignore[type-var]


def test_drop_mode_removes_and_reports(backend, to_backend, as_pandas):
    raw = tx(customer_id=[1, None, 3], amount=[1.0, 2.0, np.inf])
    with pytest.warns(DataQualityWarning, match="dropped 2 of 3 rows") as record:
        out = validate_transactions(to_backend(raw, backend), invalid="drop")
    report = record[0].message.report  # type: ignore[union-attr]
    assert report.rows_in == 3
    assert report.rows_out == 1
    assert report.dropped == {"customer_id: must not be missing": 1, "amount: must be finite": 1}
    assert as_pandas(out)["customer_id"].tolist() == [1]


def test_drop_mode_row_breaking_two_rules_counted_once():
    raw = tx(customer_id=[None, 2, 3], amount=[np.inf, 1.0, 2.0])
    with pytest.warns(DataQualityWarning) as record:
        out = validate_transactions(raw, invalid="drop")
    report = record[0].message.report  # type: ignore[union-attr]
    assert report.rows_dropped == 1
    assert sum(report.dropped.values()) == 2
    assert len(out) == 2


def test_drop_mode_drops_every_row_of_duplicated_id(backend, to_backend, as_pandas):
    raw = pd.DataFrame({"customer_id": ["a", "b", "a"], "region": ["N", "S", "E"]})
    with pytest.warns(DataQualityWarning, match="dropped 2 of 3"):
        out = validate_customers(to_backend(raw, backend), invalid="drop")
    assert as_pandas(out)["customer_id"].tolist() == ["b"]


def test_drop_mode_still_raises_for_column_problems():
    with pytest.raises(SchemaError, match="is required but missing"):
        validate_transactions(tx().drop(columns=["amount"]), invalid="drop")


def test_no_warning_when_nothing_dropped():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        validate_transactions(tx(), invalid="drop")


def test_invalid_option_checked():
    with pytest.raises(ValueError, match="invalid must be"):
        validate_transactions(tx(), invalid="ignore")  # type: ignore[arg-type]


def test_extra_columns_pass_through_untouched(as_pandas):
    raw = tx(note=["x", None, "z"], weird=[{"a": 1}, {"a": 2}, {"a": 3}])
    out = validate_transactions(raw)
    pd.testing.assert_series_equal(out["note"], raw["note"])
    assert out["weird"].tolist() == raw["weird"].tolist()


def test_pandas_index_is_kept():
    raw = tx().set_axis(pd.Index([10, 20, 30], name="row"))
    out = validate_transactions(raw)
    assert out.index.equals(raw.index)


def test_input_never_mutated():
    raw = tx(amount=["1", "2", "3"], timestamp=["2024-01-01"] * 3)
    before = raw.copy(deep=True)
    validate_transactions(raw)
    pd.testing.assert_frame_equal(raw, before)


def test_check_table_reports_without_raising():
    raw = tx(customer_id=[None, 2, 3])
    report = check_table(raw, "transactions")
    assert report.rows_dropped == 1
    assert report.problems[0].column == "customer_id"
    assert check_table(tx(), TRANSACTIONS).problems == ()


def test_require_columns():
    require_columns(tx(product_id=[1, 2, 3]), "transactions", ["product_id"])
    with pytest.raises(SchemaError, match="required by sequential_rules"):
        require_columns(tx(), "transactions", ["product_id"], purpose="sequential_rules")


def test_schema_declarations_are_consistent():
    for schema in (CUSTOMERS, TRANSACTIONS, INTERACTIONS):
        assert len(set(schema.names)) == len(schema.names)
        assert schema.names[0] == "customer_id"
        for spec in schema.columns:
            assert spec.description
            assert spec.rule_text() or not spec.required
    with pytest.raises(KeyError):
        TRANSACTIONS.column("nope")


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "Asia/Kolkata"])
def test_tz_aware_pandas_timestamps_keep_wall_clock_days(zone):
    from crmanalytics._frames import epoch_day, from_native

    stamps = pd.Series(pd.to_datetime(["2024-03-01 23:30", "2024-03-02 00:10"])).dt.tz_localize(
        zone
    )
    out = from_native(validate_transactions(tx().iloc[:2].assign(timestamp=stamps.array)))
    days = out.select(epoch_day("timestamp", out.collect_schema()))["timestamp"].to_list()
    start = (dt.date(2024, 3, 1) - dt.date(1970, 1, 1)).days
    assert days == [start, start + 1]


def test_object_column_of_python_dates_is_parsed():
    raw = tx(timestamp=pd.Series([dt.date(2024, 1, d) for d in (1, 2, 3)], dtype=object))
    out = validate_transactions(raw)
    assert out["timestamp"].tolist() == list(
        pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"])
    )
