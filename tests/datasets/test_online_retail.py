"""map_online_retail() on the real UCI export, checked against DuckDB SQL on the raw file."""

from __future__ import annotations

import warnings

import duckdb
import numpy as np
import pandas as pd
import pytest

from crmanalytics.datasets import NON_PRODUCT_CODES, map_online_retail
from crmanalytics.errors import DataQualityWarning, SchemaError


def sql(raw: pd.DataFrame, query: str) -> tuple[object, ...]:
    con = duckdb.connect()
    con.register("raw", raw)
    rows = con.sql(query).fetchall()
    assert len(rows) == 1
    return tuple(rows[0])


@pytest.fixture(scope="module")
def mapped(online_retail_raw: pd.DataFrame) -> pd.DataFrame:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = map_online_retail(online_retail_raw, invalid="drop")
    assert [w.category for w in caught] == [DataQualityWarning]
    return out


def test_raw_export_counts(online_retail_raw: pd.DataFrame) -> None:
    n, no_customer = sql(
        online_retail_raw, "SELECT count(*), count(*) FILTER (WHERE CustomerID IS NULL) FROM raw"
    )
    assert (n, no_customer) == (541_909, 135_080)
    assert len(online_retail_raw) == 541_909


def test_default_raises_with_count_examples_and_fix(online_retail_raw: pd.DataFrame) -> None:
    before = online_retail_raw.copy()
    with pytest.raises(SchemaError) as info:
        map_online_retail(online_retail_raw)
    problem = info.value.problems[0]
    assert problem.column == "customer_id"
    assert problem.source_column == "CustomerID"
    assert problem.rows == 135_080
    assert 0 < len(problem.examples) <= 5
    assert set(problem.examples) <= set(
        online_retail_raw.loc[online_retail_raw["CustomerID"].isna(), "InvoiceNo"]
    )
    message = str(info.value)
    assert "135080 rows" in message
    assert "must not be null" in message
    assert "invalid='drop'" in message
    pd.testing.assert_frame_equal(online_retail_raw, before)


def test_drop_warns_with_report(online_retail_raw: pd.DataFrame) -> None:
    with pytest.warns(DataQualityWarning, match="dropped 135080 of 541909") as record:
        map_online_retail(online_retail_raw, invalid="drop")
    report = record[0].message.report  # type: ignore[union-attr]
    assert report.rows_in == 541_909
    assert report.dropped == {"customer_id is null": 135_080}
    assert report.rows_out == 406_829


def test_mapped_rows_and_amounts_match_sql(
    online_retail_raw: pd.DataFrame, mapped: pd.DataFrame
) -> None:
    rows, total, customers, invoices, zero, cancels, cancel_total = sql(
        online_retail_raw,
        """
        SELECT count(*), sum(Quantity * UnitPrice), count(DISTINCT CustomerID),
               count(DISTINCT InvoiceNo), count(*) FILTER (WHERE UnitPrice = 0),
               count(*) FILTER (WHERE InvoiceNo LIKE 'C%'),
               sum(Quantity * UnitPrice) FILTER (WHERE InvoiceNo LIKE 'C%')
        FROM raw WHERE CustomerID IS NOT NULL
        """,
    )
    assert len(mapped) == rows == 406_829
    np.testing.assert_allclose(mapped["amount"].sum(), total, rtol=1e-12)
    assert mapped["customer_id"].nunique() == customers == 4_372
    assert mapped["transaction_id"].nunique() == invoices
    assert int((mapped["amount"] == 0).sum()) == zero  # zero prices kept
    assert int(mapped["is_cancellation"].sum()) == cancels
    np.testing.assert_allclose(
        mapped.loc[mapped["is_cancellation"], "amount"].sum(), cancel_total, rtol=1e-12
    )
    # cancellations are returns: never a positive amount
    assert (mapped.loc[mapped["is_cancellation"], "amount"] <= 0).all()


def test_columns_types_and_row_correspondence(
    online_retail_raw: pd.DataFrame, mapped: pd.DataFrame
) -> None:
    assert list(mapped.columns) == [
        "customer_id",
        "timestamp",
        "amount",
        "transaction_id",
        "product_id",
        "quantity",
        "description",
        "country",
        "is_cancellation",
        "is_product",
    ]
    assert mapped["customer_id"].dtype == np.int64
    assert pd.api.types.is_datetime64_any_dtype(mapped["timestamp"])
    assert mapped["amount"].dtype == np.float64
    assert mapped["quantity"].dtype == np.float64
    assert mapped["is_product"].dtype == bool
    source = online_retail_raw.loc[mapped.index]
    assert (mapped["customer_id"] == source["CustomerID"]).all()
    assert (mapped["timestamp"] == source["InvoiceDate"]).all()
    assert (mapped["transaction_id"] == source["InvoiceNo"]).all()
    assert (mapped["product_id"] == source["StockCode"]).all()
    np.testing.assert_array_equal(mapped["amount"], source["Quantity"] * source["UnitPrice"])


def test_non_product_codes_are_flagged(online_retail_raw: pd.DataFrame) -> None:
    with pytest.warns(DataQualityWarning):
        out = map_online_retail(online_retail_raw, invalid="drop")
    flagged = set(out.loc[~out["is_product"], "product_id"].str.upper())
    assert {"POST", "M", "D", "BANK CHARGES"} <= flagged
    assert flagged <= set(NON_PRODUCT_CODES) | {c for c in flagged if c.startswith("GIFT_")}
    # ordinary five-digit stock codes (with an optional letter suffix) are products
    ordinary = out["product_id"].str.fullmatch(r"\d{5}[A-Za-z]{0,2}")
    assert out.loc[ordinary, "is_product"].all()
    (non_products,) = sql(
        online_retail_raw,
        "SELECT count(*) FROM raw WHERE CustomerID IS NOT NULL AND (upper(StockCode) IN "
        "('POST','DOT','C2','M','D','S','BANK CHARGES','AMAZONFEE','CRUK','B') "
        "OR upper(StockCode) LIKE 'GIFT\\_%' ESCAPE '\\')",
    )
    assert int((~out["is_product"]).sum()) == non_products


def test_bad_input() -> None:
    with pytest.raises(SchemaError, match="UnitPrice") as info:
        map_online_retail(pd.DataFrame({"InvoiceNo": ["1"]}))
    assert "is required but missing" in str(info.value)
    with pytest.raises(ValueError, match="invalid"):
        map_online_retail(pd.DataFrame(), invalid="keep")  # type: ignore[arg-type]


def test_other_backends_give_the_same_result(online_retail_raw: pd.DataFrame) -> None:
    import polars as pl

    sample = online_retail_raw.dropna(subset=["CustomerID"]).head(500)
    expected = map_online_retail(sample).reset_index(drop=True)
    got = map_online_retail(pl.from_pandas(sample).lazy())
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_dtype=False)


def test_result_is_canonical(mapped: pd.DataFrame) -> None:
    from crmanalytics.schema import validate_transactions

    pd.testing.assert_frame_equal(validate_transactions(mapped), mapped)


# pandas 2.2 reads missing ids from CSV as NaN where Parquet gives None: both are null
@pytest.mark.filterwarnings("ignore:Mismatched null-like values:FutureWarning")
def test_bundled_sample_is_whole_customers_and_invoices_of_the_export(
    online_retail_raw: pd.DataFrame,
) -> None:
    from crmanalytics.datasets import load_online_retail

    sample = load_online_retail()
    assert list(sample.columns) == list(online_retail_raw.columns)

    def kinds(frame: pd.DataFrame) -> list[str]:  # datetime resolution differs by pandas
        return [str(d).split("[")[0] for d in frame.dtypes]

    assert kinds(sample) == kinds(online_retail_raw)
    customers = set(sample["CustomerID"].dropna())
    guests = set(sample.loc[sample["CustomerID"].isna(), "InvoiceNo"])
    assert len(customers) == 1000
    # every line of the chosen customers and guest invoices, and nothing else, unchanged
    expected = online_retail_raw[
        online_retail_raw["CustomerID"].isin(customers)
        | online_retail_raw["InvoiceNo"].isin(guests)
    ].reset_index(drop=True)
    pd.testing.assert_frame_equal(sample, expected, check_dtype=False)
    # the guest share matches the export's (a quarter of the lines have no customer)
    share = sample["CustomerID"].isna().mean()
    assert abs(share - online_retail_raw["CustomerID"].isna().mean()) < 0.05


def test_bundled_sample_validates_with_the_column_mapping() -> None:
    from crmanalytics.datasets import ONLINE_RETAIL_COLUMNS, load_online_retail
    from crmanalytics.schema import check_table

    raw = load_online_retail()
    report = check_table(raw, "transactions", columns=ONLINE_RETAIL_COLUMNS)
    assert report.notes == (
        "amount was computed as quantity * unit_price (the table has no amount column)",
    )
    assert report.dropped == {
        "customer_id: must not be missing": int(raw["CustomerID"].isna().sum())
    }
