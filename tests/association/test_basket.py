"""basket_rules equals mlxtend's own dense pipeline (TransactionEncoder + fpgrowth)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mlxtend.frequent_patterns import association_rules, fpgrowth
from mlxtend.preprocessing import TransactionEncoder

from crmanalytics.association import basket_rules
from crmanalytics.errors import DataQualityWarning, SchemaError


def mlxtend_reference(
    baskets: list[list[Any]], min_support: float, metric: str, min_threshold: float
) -> pd.DataFrame:
    encoder = TransactionEncoder()
    dense = pd.DataFrame(encoder.fit_transform(baskets), columns=encoder.columns_)
    itemsets = fpgrowth(dense, min_support=min_support, use_colnames=True)
    if itemsets.empty:
        return itemsets
    with np.errstate(divide="ignore", invalid="ignore"):
        return association_rules(
            itemsets, num_itemsets=len(baskets), metric=metric, min_threshold=min_threshold
        )


def canonical(rules: pd.DataFrame) -> pd.DataFrame:
    out = rules.copy()
    out["antecedents"] = [tuple(sorted(s)) for s in out["antecedents"]]
    out["consequents"] = [tuple(sorted(s)) for s in out["consequents"]]
    return out.sort_values(["antecedents", "consequents"]).reset_index(drop=True)


def as_line_items(baskets: list[list[Any]]) -> pd.DataFrame:
    rows = [(b % 7, f"t{b}", i) for b, items in enumerate(baskets) for i in items]
    tx = pd.DataFrame(rows, columns=["customer_id", "transaction_id", "product_id"])
    return tx.assign(timestamp=pd.Timestamp("2024-02-01"), amount=2.5)


@given(
    baskets=st.lists(
        st.lists(st.sampled_from(list("abcdef")), min_size=1, max_size=5),
        min_size=1,
        max_size=30,
    ),
    min_support=st.sampled_from([0.1, 0.2, 0.4]),
    metric=st.sampled_from(["lift", "confidence", "support"]),
    min_threshold=st.sampled_from([0.0, 0.5, 1.0]),
)
def test_matches_mlxtend_dense_pipeline(
    baskets: list[list[str]], min_support: float, metric: str, min_threshold: float
) -> None:
    got = basket_rules(
        as_line_items(baskets),
        min_support=min_support,
        metric=metric,
        min_threshold=min_threshold,
    )
    want = mlxtend_reference(baskets, min_support, metric, min_threshold)
    if want.empty:
        assert got.empty
        return
    assert list(got.columns) == list(want.columns)
    pd.testing.assert_frame_equal(canonical(got), canonical(want), rtol=1e-12)


def test_result_holds_sorted_lists_for_pandas() -> None:
    got = basket_rules(as_line_items([["b", "a"], ["a", "b"], ["c"]]), min_support=0.5)
    assert got["antecedents"].map(type).eq(list).all()
    assert got["consequents"].map(type).eq(list).all()
    assert sorted(got["antecedents"].tolist()) == [["a"], ["b"]]
    assert len(got) == 2
    assert got.index.equals(pd.RangeIndex(len(got)))


def test_same_columns_and_item_lists_on_every_backend(backend: str, to_backend: Any) -> None:
    """Same columns, and sorted Python lists when read back, on every backend."""
    import narwhals.stable.v2 as nw

    baskets = [["b", "c", "a"], ["a", "b", "c"], ["c", "a"], ["d"]]
    want = basket_rules(as_line_items(baskets), min_support=0.5, min_threshold=0.0)
    out = basket_rules(to_backend(as_line_items(baskets), backend), min_support=0.5)
    frame = nw.from_native(out)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    assert frame.columns == list(want.columns)
    assert isinstance(frame.schema["antecedents"], nw.List | nw.Object)
    got = sorted(zip(frame["antecedents"].to_list(), frame["consequents"].to_list(), strict=True))
    assert got == sorted(zip(want["antecedents"], want["consequents"], strict=True))
    for itemset in frame["antecedents"].to_list() + frame["consequents"].to_list():
        assert isinstance(itemset, list)
        assert itemset == sorted(itemset)


def test_integer_items_stay_integers() -> None:
    tx = as_line_items([[3, 1], [1, 3], [2]])
    got = basket_rules(tx, min_support=0.5)
    assert sorted(got["antecedents"].tolist()) == [[1], [3]]
    assert all(isinstance(v, int) for items in got["antecedents"] for v in items)


def test_backend_parity(backend: str, to_backend: Any, as_pandas: Any) -> None:
    rng = np.random.default_rng(0)
    baskets = [list(rng.choice(list("abcdefg"), rng.integers(1, 5))) for _ in range(60)]
    tx = as_line_items(baskets)
    want = canonical(basket_rules(tx, min_support=0.1, min_threshold=0.0))
    got = as_pandas(basket_rules(to_backend(tx, backend), min_support=0.1, min_threshold=0.0))
    assert len(want) > 10
    pd.testing.assert_frame_equal(canonical(got), want, rtol=1e-12)


def test_numpy_string_items_in_an_object_column() -> None:
    # np.str_ values (from numpy sampling) once reached mlxtend, which calls int() on them
    tx = as_line_items([["a", "b"], ["a", "b"], ["c"]])
    tx["product_id"] = pd.Series([np.str_(v) for v in tx["product_id"]], dtype=object)
    got = basket_rules(tx, min_support=0.5)
    assert sorted(a[0] for a in got["antecedents"]) == ["a", "b"]


def test_null_items_warn() -> None:
    tx = as_line_items([["a", "b"], ["a", "b"]])
    tx.loc[0, "product_id"] = None
    with pytest.warns(DataQualityWarning, match="1 transaction rows"):
        basket_rules(tx, min_support=0.5)


def test_input_not_mutated() -> None:
    tx = as_line_items([["a", "b"], ["a", "c"], ["b", "c"]])
    before = tx.copy()
    basket_rules(tx, min_support=0.3)
    pd.testing.assert_frame_equal(tx, before)


def test_missing_basket_column_is_named() -> None:
    tx = as_line_items([["a", "b"]]).drop(columns="transaction_id")
    with pytest.raises(SchemaError, match="'transaction_id': is required by basket_rules"):
        basket_rules(tx)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metric": "magic"}, "metric must be one of"),
        ({"min_support": 0.0}, "min_support must be greater than 0"),
        ({"max_len": 0}, "max_len must be at least 1"),
    ],
)
def test_bad_options(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        basket_rules(as_line_items([["a", "b"]]), **kwargs)


@pytest.mark.slow
def test_online_retail_invoices_match_mlxtend(online_retail_tx: pd.DataFrame) -> None:
    got = basket_rules(online_retail_tx, min_support=0.02, min_threshold=1.0)
    grouped = online_retail_tx.groupby("transaction_id")["product_id"]
    baskets = [sorted(set(items)) for _, items in grouped]
    want = mlxtend_reference(baskets, 0.02, "lift", 1.0)
    assert len(want) > 20
    pd.testing.assert_frame_equal(canonical(got), canonical(want), rtol=1e-12)
