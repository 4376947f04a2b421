"""pseudonymize(): checked against hmac/hashlib computed here, on every backend."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmanalytics.errors import SchemaError
from crmanalytics.privacy import InvalidKeyError, canonical_string, pseudonymize

KEY = "correct horse battery staple 2024"


def reference(text: Any, key: str | bytes = KEY) -> str | None:
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    raw = key.encode() if isinstance(key, str) else key
    return hmac.new(raw, text.encode("utf-8"), hashlib.sha256).hexdigest()


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": [0, 1, 2, 3, 4],
            "customer_id": [12346, 12347, 12346, 99, 7],
            "email": ["a@x.org", None, "a@x.org", "b@y.org", "ü@z.org"],
            "amount": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )


def test_matches_hmac_reference_on_every_backend(
    backend: str,
    to_backend: Callable[[pd.DataFrame, str], Any],
    as_pandas: Callable[[Any], pd.DataFrame],
) -> None:
    source = frame()
    native = to_backend(source, backend)
    out = pseudonymize(native, ["customer_id", "email"], key=KEY)
    assert type(out) is type(native)  # lazy stays lazy, pandas stays pandas
    result = as_pandas(out).sort_values("row").reset_index(drop=True)
    assert list(result.columns) == list(source.columns)
    expected_id = [reference(str(v)) for v in source["customer_id"]]
    expected_email = [reference(v) for v in source["email"]]
    assert result["customer_id"].tolist() == expected_id
    got_email = [None if pd.isna(v) else v for v in result["email"]]
    assert got_email == expected_email
    assert result["amount"].tolist() == source["amount"].tolist()
    assert result["row"].tolist() == source["row"].tolist()


def test_same_id_same_pseudonym_across_types_and_tables() -> None:
    as_int = pd.DataFrame({"customer_id": [12346, 5]})
    as_float = pd.DataFrame({"customer_id": [12346.0, np.nan]})
    as_str = pd.DataFrame({"customer_id": ["12346", "x"]})
    ints = pseudonymize(as_int, "customer_id", key=KEY)["customer_id"]
    floats = pseudonymize(as_float, "customer_id", key=KEY)["customer_id"]
    strs = pseudonymize(as_str, "customer_id", key=KEY)["customer_id"]
    assert ints[0] == floats[0] == strs[0] == reference("12346")
    assert pd.isna(floats[1])
    joined = pseudonymize(as_int, "customer_id", key=KEY).merge(
        pseudonymize(as_float, "customer_id", key=KEY), on="customer_id"
    )
    assert len(joined) == 1


def test_polars_and_duckdb_types_render_like_python() -> None:
    import duckdb
    import polars as pl

    values = [12346.0, 0.5, None]
    lazy = pl.LazyFrame({"v": values})
    out = pseudonymize(lazy, "v", key=KEY)
    assert isinstance(out, pl.LazyFrame)
    assert out.collect()["v"].to_list() == [reference("12346"), reference("0.5"), None]
    rel = duckdb.connect().sql("SELECT * FROM (VALUES (1, 12346.0::DOUBLE), (2, NULL)) t(i, v)")
    got = dict(pseudonymize(rel, "v", key=KEY).fetchall())
    assert got == {1: reference("12346"), 2: None}


def test_keeps_pandas_index_and_does_not_mutate() -> None:
    source = frame().set_index(pd.Index([10, 20, 30, 40, 50]))
    before = source.copy()
    out = pseudonymize(source, "customer_id", key=KEY.encode())
    pd.testing.assert_frame_equal(source, before)
    assert out.index.tolist() == [10, 20, 30, 40, 50]
    assert out["customer_id"][10] == reference("12346")


def test_different_keys_give_different_pseudonyms() -> None:
    one = pseudonymize(frame(), "customer_id", key=KEY)["customer_id"]
    two = pseudonymize(frame(), "customer_id", key=KEY + "!")["customer_id"]
    assert not set(one) & set(two)
    assert one.str.fullmatch("[0-9a-f]{64}").all()


@pytest.mark.parametrize(
    ("key", "match"),
    [
        (None, "key is required"),
        ("", "at least 16 bytes"),
        ("fifteen bytes!!", "at least 16 bytes long, got 15"),
        (b"\x00" * 15, "at least 16 bytes"),
        (12345678901234567890, "str or bytes"),
    ],
)
def test_bad_keys_are_rejected_without_echoing_them(key: Any, match: str) -> None:
    with pytest.raises(InvalidKeyError, match=match) as info:
        pseudonymize(frame(), "customer_id", key=key)
    assert isinstance(info.value, ValueError)
    if isinstance(key, str) and key:
        assert key not in str(info.value)


def test_key_never_appears_in_output() -> None:
    out = pseudonymize(frame(), ["customer_id", "email"], key=KEY)
    assert KEY not in repr(out)
    assert KEY not in out.to_csv()


def test_missing_column_is_a_schema_error_naming_it() -> None:
    with pytest.raises(SchemaError, match="customerid") as info:
        pseudonymize(frame(), ["customerid"], key=KEY)
    assert info.value.problems[0].column == "customerid"
    assert "not in the frame" in str(info.value)


def test_canonical_string_rules() -> None:
    assert canonical_string(np.int32(7)) == "7"
    assert canonical_string(np.float32(2.0)) == "2"
    assert canonical_string(float("inf")) == "inf"
    assert canonical_string(1e20) == "100000000000000000000"
    assert canonical_string(True) == "true"
    assert canonical_string(dt.date(2024, 1, 31)) == "2024-01-31"
    assert canonical_string(pd.Timestamp("2024-01-31 09:30")) == "2024-01-31T09:30:00"
    for missing in (None, float("nan"), pd.NA, pd.NaT, np.float64("nan")):
        assert canonical_string(missing) is None


@given(st.lists(st.one_of(st.none(), st.integers(-(2**53), 2**53)), min_size=1, max_size=30))
def test_property_pandas_and_polars_agree_with_reference(values: list[int | None]) -> None:
    import polars as pl

    source = pd.DataFrame({"id": pd.array(values, dtype="Int64")})
    before = source.copy()
    expected = [None if v is None else reference(str(v)) for v in values]
    out = pseudonymize(source, "id", key=KEY)
    pd.testing.assert_frame_equal(source, before)
    assert [None if pd.isna(v) else v for v in out["id"]] == expected
    polars_out = pseudonymize(pl.DataFrame({"id": values}, schema={"id": pl.Int64}), "id", key=KEY)
    assert polars_out["id"].to_list() == expected
    assert nw.from_native(polars_out).schema["id"] == nw.String


def test_a_columns_mapping_hashes_the_callers_columns_by_their_names() -> None:
    source = frame().rename(columns={"customer_id": "CustomerID"})
    source.index = pd.Index([10, 11, 12, 13, 14])
    out = pseudonymize(source, {"customer_id": "CustomerID"}, key=KEY)
    assert list(out.columns) == list(source.columns)
    assert out["CustomerID"].tolist() == [reference(str(v)) for v in source["CustomerID"]]
    assert out["email"].tolist()[0] == "a@x.org"  # only the mapped column is hashed
    assert out.index.equals(source.index)  # the caller's rows, the caller's index
