"""rfm_table against hand-computed values, a brute-force pandas reference and DuckDB SQL."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from backends import BACKENDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmanalytics.errors import SchemaError
from crmanalytics.segmentation import rfm_table

from .conftest import make_transactions, sort_by_customer


def reference_rfm(tx: pd.DataFrame, end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Row-by-row reference of the documented rules."""
    day = tx["timestamp"].dt.normalize()
    if end is not None:
        tx = tx[day <= end.normalize()]
        day = day[tx.index]
    end_day = end.normalize() if end is not None else day.max()
    rows = []
    for cid, group in tx.groupby("customer_id"):
        gday = day[group.index]
        bought = group["amount"] > 0
        if bought.any():
            last = gday[bought].max()
            keys = (
                group.loc[bought, "transaction_id"] if "transaction_id" in group else gday[bought]
            )
            freq = keys.nunique()
        else:
            last = gday.max()
            freq = 0
        rows.append((cid, (end_day - last).days, freq, group["amount"].sum()))
    return pd.DataFrame(rows, columns=["customer_id", "recency", "frequency", "monetary"])


def test_hand_computed() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "c"],
            "timestamp": pd.to_datetime(
                [
                    "2024-03-01 08:00",
                    "2024-03-01 20:00",  # same day: one purchase day
                    "2024-03-05 10:00",
                    "2024-03-09 10:00",  # a return after the last purchase
                    "2024-02-10 23:59",
                    "2024-03-08 00:00",  # only a return
                ]
            ),
            "amount": [10.0, 5.0, 20.0, -5.0, 100.0, -30.0],
        }
    )
    out = rfm_table(tx, observation_end="2024-03-10")
    assert out["customer_id"].tolist() == ["a", "b", "c"]
    assert out["recency"].tolist() == [5, 29, 2]
    assert out["frequency"].tolist() == [2, 1, 0]
    assert out["monetary"].tolist() == [30.0, 100.0, -30.0]
    # default observation_end: last day with any row (2024-03-09)
    assert rfm_table(tx)["recency"].tolist() == [4, 28, 1]


def test_transaction_id_counts_distinct_invoices() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1],
            "timestamp": pd.to_datetime(["2024-01-01"] * 3 + ["2024-01-02"]),
            "amount": [1.0, 2.0, 3.0, 4.0],
            "transaction_id": ["x", "x", "y", "z"],
        }
    )
    assert rfm_table(tx)["frequency"].tolist() == [3]
    assert rfm_table(tx.drop(columns="transaction_id"))["frequency"].tolist() == [2]


def test_observation_end_ignores_later_rows(transactions: pd.DataFrame) -> None:
    end = pd.Timestamp("2023-03-01")
    got = rfm_table(transactions, observation_end=end)
    want = reference_rfm(transactions, end)
    pd.testing.assert_frame_equal(sort_by_customer(got), want, check_dtype=False)
    assert (got["recency"] >= 0).all()


def test_time_zone_aware_days() -> None:
    stamps = pd.to_datetime(["2024-01-01 23:30", "2024-01-03 00:30"]).tz_localize("Europe/Berlin")
    tx = pd.DataFrame({"customer_id": [1, 2], "timestamp": stamps, "amount": [1.0, 1.0]})
    assert rfm_table(tx)["recency"].tolist() == [2, 0]


@given(seed=st.integers(0, 10_000))
def test_matches_reference_on_random_data(seed: int) -> None:
    tx = make_transactions(seed, n_customers=15, n_rows=60)
    got = rfm_table(tx)
    pd.testing.assert_frame_equal(sort_by_customer(got), reference_rfm(tx), check_dtype=False)


def test_backend_parity(backend: str, to_backend, as_pandas, transactions: pd.DataFrame) -> None:
    native = to_backend(transactions, backend)
    out = rfm_table(native, observation_end="2023-04-15")
    assert type(out) is type(native)
    want = reference_rfm(transactions, pd.Timestamp("2023-04-15"))
    pd.testing.assert_frame_equal(
        sort_by_customer(as_pandas(out)), want, check_dtype=False, rtol=1e-9
    )


def test_does_not_mutate_input(transactions: pd.DataFrame) -> None:
    before = transactions.copy()
    rfm_table(transactions)
    pd.testing.assert_frame_equal(transactions, before)


def test_missing_column_names_column_and_rule() -> None:
    tx = pd.DataFrame({"customer_id": [1], "timestamp": pd.to_datetime(["2024-01-01"])})
    with pytest.raises(SchemaError, match=r"amount.*missing"):
        rfm_table(tx)


def test_online_retail_matches_duckdb_sql(online_retail_raw: pd.DataFrame) -> None:
    raw = online_retail_raw[online_retail_raw["CustomerID"].notna()]
    tx = pd.DataFrame(
        {
            "customer_id": raw["CustomerID"].astype("int64"),
            "timestamp": raw["InvoiceDate"],
            "amount": raw["Quantity"] * raw["UnitPrice"],
            "transaction_id": raw["InvoiceNo"],
        }
    )
    got = sort_by_customer(rfm_table(tx))
    con = duckdb.connect()
    con.register("tx", tx)
    want = con.sql(
        """
        WITH t AS (SELECT *, CAST(timestamp AS DATE) AS d FROM tx),
        e AS (SELECT max(d) AS end_day FROM t)
        SELECT customer_id,
               date_diff('day', coalesce(max(d) FILTER (WHERE amount > 0), max(d)),
                         any_value(end_day)) AS recency,
               count(DISTINCT transaction_id) FILTER (WHERE amount > 0) AS frequency,
               sum(amount) AS monetary
        FROM t, e GROUP BY customer_id ORDER BY customer_id
        """
    ).df()
    assert len(got) == 4372
    np.testing.assert_array_equal(got["customer_id"], want["customer_id"])
    np.testing.assert_array_equal(got["recency"], want["recency"])
    np.testing.assert_array_equal(got["frequency"], want["frequency"])
    np.testing.assert_allclose(got["monetary"], want["monetary"], rtol=1e-9, atol=1e-6)


# to_backend / as_pandas are stateless functions, safe to share across examples.
@pytest.mark.parity
@settings(max_examples=8, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), bins=st.integers(2, 9))
def test_scores_backend_parity_property(seed: int, bins: int, to_backend, as_pandas) -> None:
    from crmanalytics.segmentation import rfm_scores

    tx = make_transactions(seed, n_customers=12, n_rows=50)
    want = sort_by_customer(rfm_scores(rfm_table(tx), bins=bins))
    for name in BACKENDS:
        got = sort_by_customer(as_pandas(rfm_scores(rfm_table(to_backend(tx, name)), bins=bins)))
        pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-9)
