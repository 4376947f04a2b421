"""Product names label rules, recommendations and plots (the most frequent name wins)."""

from __future__ import annotations

from typing import Any

import matplotlib as mpl

mpl.use("Agg")

import matplotlib.pyplot as plt
import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
import pytest

from crmanalytics.association import basket_rules, next_best_items, sequential_rules
from crmanalytics.plotting.association import plot_rule_paths, plot_sequential_rules

NAMES = {10: ["Tent", "Tent", "tent"], 20: ["Stove", "Camp stove", "Stove"], 30: ["Mug"]}


def named_transactions(seed: int = 3) -> pd.DataFrame:
    """Baskets of products 10, 20, 30 over days, names varying between rows."""
    rng = np.random.default_rng(seed)
    rows = []
    for customer in range(30):
        for visit in range(int(rng.integers(1, 4))):
            day = pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(rng.integers(0, 60)))
            basket = rng.choice([10, 20, 30], size=int(rng.integers(1, 4)), replace=False)
            for product in basket:
                name = NAMES[int(product)][int(rng.integers(0, len(NAMES[int(product)])))]
                rows.append((customer, day, 5.0, f"{customer}-{visit}", int(product), name))
    return pd.DataFrame(
        rows,
        columns=[
            "customer_id",
            "timestamp",
            "amount",
            "transaction_id",
            "product_id",
            "product_name",
        ],
    )


def most_frequent_names(tx: pd.DataFrame) -> dict[int, str]:
    """Oracle: per product, the name on most rows (ties: alphabetically first)."""
    counts = tx.groupby(["product_id", "product_name"]).size().reset_index(name="n")
    counts = counts.sort_values(["product_id", "n", "product_name"], ascending=[True, False, True])
    return dict(counts.drop_duplicates("product_id")[["product_id", "product_name"]].values)


def collected(native: Any) -> nw.DataFrame[Any]:
    frame = nw.from_native(native)
    return frame.collect() if isinstance(frame, nw.LazyFrame) else frame


def test_sequential_rules_name_both_sides(backend: str, to_backend: Any) -> None:
    tx = named_transactions()
    want = most_frequent_names(tx)
    rules = collected(sequential_rules(to_backend(tx, backend), min_support=0.05))
    assert len(rules) > 0
    assert rules.columns[-2:] == ["antecedent_name", "consequent_name"]
    for side in ("antecedent", "consequent"):
        assert rules[f"{side}_name"].to_list() == [want[v] for v in rules[side].to_list()]


def test_names_absent_without_product_name_column() -> None:
    tx = named_transactions().drop(columns="product_name")
    assert "antecedent_name" not in sequential_rules(tx, min_support=0.05).columns
    assert "antecedent_names" not in basket_rules(tx, min_support=0.05).columns


def test_names_only_for_products_not_other_items() -> None:
    tx = named_transactions().assign(category="camping")
    tx.loc[tx["product_id"] == 30, "category"] = "kitchen"
    rules = sequential_rules(tx, item="category", min_support=0.05)
    assert "antecedent_name" not in rules.columns


def test_basket_rules_name_lists_follow_the_items(backend: str, to_backend: Any) -> None:
    tx = named_transactions()
    want = most_frequent_names(tx)
    rules = collected(basket_rules(to_backend(tx, backend), min_support=0.1, min_threshold=0.0))
    assert len(rules) > 0
    for side in ("antecedent", "consequent"):
        items = rules[f"{side}s"].to_list()
        names = rules[f"{side}_names"].to_list()
        assert names == [[want[v] for v in itemset] for itemset in items]


def test_next_best_items_names_the_item(backend: str, to_backend: Any) -> None:
    tx = named_transactions()
    want = most_frequent_names(tx)
    rules = sequential_rules(tx, min_support=0.05)
    recs = collected(next_best_items(to_backend(tx, backend), rules))
    assert len(recs) > 0
    assert recs["item_name"].to_list() == [want[v] for v in recs["item"].to_list()]


def test_next_best_items_takes_names_from_the_rules_without_history_names() -> None:
    tx = named_transactions()
    want = most_frequent_names(tx)
    rules = basket_rules(tx, min_support=0.1, min_threshold=0.0)
    recs = next_best_items(tx.drop(columns="product_name"), rules)
    assert len(recs) > 0
    assert recs["item_name"].tolist() == [want[v] for v in recs["item"]]


def test_ties_go_to_the_alphabetically_first_name() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-01", "2024-01-05"]),
            "amount": 1.0,
            "product_id": [1, 2, 1, 2],
            "product_name": ["b-name", "x", "a-name", "x"],
        }
    )
    rules = sequential_rules(tx, min_support=0.5)
    assert rules["antecedent_name"].tolist() == ["a-name"]


def test_plots_label_products_by_name() -> None:
    tx = named_transactions()
    want = most_frequent_names(tx)
    rules = sequential_rules(tx, min_support=0.05)
    ax = plot_sequential_rules(rules, top=3)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels
    assert all(" → " in label for label in labels)
    assert {part for label in labels for part in label.split(" → ")} <= set(want.values())
    plt.close("all")
    ax = plot_rule_paths(rules)
    shown = {t.get_text() for t in ax.texts if t.get_text()}
    assert shown <= set(want.values())
    plt.close("all")


@pytest.mark.parametrize("bad", ["ab", 3])
def test_basket_rules_that_are_not_lists_are_rejected(bad: Any) -> None:
    from crmanalytics.errors import SchemaError

    rules = pd.DataFrame(
        {"antecedents": [bad], "consequents": [["c"]], "confidence": [0.5], "lift": [1.2]}
    )
    history = pd.DataFrame({"customer_id": [1], "product_id": ["a"]})
    with pytest.raises(SchemaError, match="'antecedents': must hold lists"):
        next_best_items(history, rules)
