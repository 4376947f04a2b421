"""next_best_items against a brute-force ranking written here."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmanalytics.association import basket_rules, next_best_items, sequential_rules
from crmanalytics.errors import SchemaError

ITEMS = ["a", "b", "c", "d", "e"]


def brute_force(history: pd.DataFrame, rules: pd.DataFrame, k: int, by: str) -> pd.DataFrame:
    tie = "lift" if by == "confidence" else "confidence"
    bought: dict[Any, set[Any]] = {}
    for c, i in zip(history["customer_id"], history["product_id"], strict=True):
        bought.setdefault(c, set()).add(i)
    out = []
    for c in sorted(bought):
        best: dict[Any, tuple[float, float, int, Any]] = {}
        for row, r in enumerate(rules.itertuples(index=False)):
            if r.antecedent in bought[c] and r.consequent not in bought[c]:
                cand = (-getattr(r, by), -getattr(r, tie), row, r.antecedent)
                if r.consequent not in best or cand < best[r.consequent]:
                    best[r.consequent] = cand
        ranked = sorted(best.items(), key=lambda kv: kv[1][:3])[:k]
        for rank, (item, (score, _, _, ante)) in enumerate(ranked, start=1):
            out.append(
                {"customer_id": c, "rank": rank, "item": item, "score": -score, "antecedent": ante}
            )
    return pd.DataFrame(out, columns=["customer_id", "rank", "item", "score", "antecedent"])


rules_strategy = st.lists(
    st.tuples(
        st.sampled_from(ITEMS),
        st.sampled_from(ITEMS),
        st.sampled_from([0.1, 0.2, 0.5]),  # few values: ties happen
        st.sampled_from([0.9, 1.0, 2.0]),
    ),
    max_size=15,
    unique_by=lambda r: (r[0], r[1]),
).map(lambda rs: [r for r in rs if r[0] != r[1]])

history_strategy = st.lists(
    st.tuples(st.integers(0, 5), st.sampled_from(ITEMS)), min_size=1, max_size=25
)


@given(
    rules=rules_strategy,
    history=history_strategy,
    k=st.integers(1, 4),
    by=st.sampled_from(["confidence", "lift"]),
)
def test_matches_brute_force(
    rules: list[tuple[str, str, float, float]], history: list[tuple[int, str]], k: int, by: Any
) -> None:
    rule_frame = pd.DataFrame(rules, columns=["antecedent", "consequent", "confidence", "lift"])
    hist = pd.DataFrame(history, columns=["customer_id", "product_id"])
    got = next_best_items(hist, rule_frame, k=k, by=by)
    want = brute_force(hist, rule_frame, k, by)
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True).astype({"item": object, "antecedent": object}),
        want.astype({"item": object, "antecedent": object}),
        check_dtype=False,
    )


def test_never_recommends_what_was_bought() -> None:
    rng = np.random.default_rng(7)
    hist = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 60, 150),
            "timestamp": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 90, 150), unit="D"),
            "product_id": rng.choice(ITEMS, 150),
            "amount": 1.0,
        }
    )
    rules = sequential_rules(hist, min_support=0.0)
    recs = next_best_items(hist, rules, k=3)
    assert len(recs) > 0
    bought = set(zip(hist["customer_id"], hist["product_id"], strict=True))
    assert not any((c, i) in bought for c, i in zip(recs["customer_id"], recs["item"], strict=True))
    assert recs.groupby("customer_id")["rank"].max().max() <= 3


def test_backend_parity(backend: str, to_backend: Any, as_pandas: Any) -> None:
    hist = pd.DataFrame({"customer_id": [1, 1, 2, 3, 3], "product_id": ["a", "b", "a", "c", "a"]})
    rules = pd.DataFrame(
        {
            "antecedent": ["a", "a", "b", "c"],
            "consequent": ["b", "c", "c", "d"],
            "confidence": [0.5, 0.4, 0.9, 0.3],
            "lift": [1.0, 1.0, 1.0, 1.0],
        }
    )
    want = next_best_items(hist, rules)
    got = next_best_items(to_backend(hist, backend), rules)
    pd.testing.assert_frame_equal(
        as_pandas(got).reset_index(drop=True), want, check_dtype=False, rtol=1e-9
    )


def test_input_not_mutated() -> None:
    hist = pd.DataFrame({"customer_id": [1, 2], "product_id": ["a", "b"]})
    rules = pd.DataFrame(
        {"antecedent": ["a"], "consequent": ["b"], "confidence": [0.5], "lift": [2.0]}
    )
    before_h, before_r = hist.copy(), rules.copy()
    next_best_items(hist, rules)
    pd.testing.assert_frame_equal(hist, before_h)
    pd.testing.assert_frame_equal(rules, before_r)


def test_missing_rule_column_is_named() -> None:
    hist = pd.DataFrame({"customer_id": [1], "product_id": ["a"]})
    rules = pd.DataFrame({"antecedent": ["a"], "consequent": ["b"], "confidence": [0.5]})
    with pytest.raises(SchemaError, match="'lift': is required by next_best_items"):
        next_best_items(hist, rules)


@pytest.mark.parametrize(("kwargs", "message"), [({"k": 0}, "k must be"), ({"by": "x"}, "by must")])
def test_bad_options(kwargs: dict[str, Any], message: str) -> None:
    hist = pd.DataFrame({"customer_id": [1], "product_id": ["a"]})
    rules = pd.DataFrame(
        {"antecedent": ["a"], "consequent": ["b"], "confidence": [0.5], "lift": [2.0]}
    )
    with pytest.raises(ValueError, match=message):
        next_best_items(hist, rules, **kwargs)


def brute_force_itemsets(history: pd.DataFrame, rules: pd.DataFrame, k: int) -> list[tuple]:
    """Oracle for basket rules: a rule applies when every antecedent item was bought."""
    bought: dict[Any, set[Any]] = {}
    for c, i in zip(history["customer_id"], history["product_id"], strict=True):
        bought.setdefault(c, set()).add(i)
    out = []
    for c in sorted(bought):
        best: dict[Any, tuple[float, float, int, tuple[Any, ...]]] = {}
        for row, r in enumerate(rules.itertuples(index=False)):
            if not set(r.antecedents) <= bought[c]:
                continue
            for item in r.consequents:
                cand = (-r.confidence, -r.lift, row, tuple(sorted(r.antecedents)))
                if item not in bought[c] and (item not in best or cand < best[item]):
                    best[item] = cand
        ranked = sorted(best.items(), key=lambda kv: (*kv[1][:3], kv[0]))[:k]
        out += [
            (c, rank, item, -score, list(ante))
            for rank, (item, (score, _, _, ante)) in enumerate(ranked, start=1)
        ]
    return out


@given(
    rules=st.lists(
        st.tuples(
            st.sets(st.sampled_from(ITEMS), min_size=1, max_size=3),
            st.sets(st.sampled_from(ITEMS), min_size=1, max_size=2),
            st.sampled_from([0.1, 0.2, 0.5]),
            st.sampled_from([0.9, 2.0]),
        ),
        max_size=10,
    ),
    history=history_strategy,
    k=st.integers(1, 4),
)
def test_itemset_rules_match_brute_force(
    rules: list[tuple[set[str], set[str], float, float]], history: list[tuple[int, str]], k: int
) -> None:
    rule_frame = pd.DataFrame(
        [(sorted(a), sorted(c), conf, lift) for a, c, conf, lift in rules],
        columns=["antecedents", "consequents", "confidence", "lift"],
    )
    hist = pd.DataFrame(history, columns=["customer_id", "product_id"])
    got = next_best_items(hist, rule_frame, k=k)
    assert list(got.columns) == ["customer_id", "rank", "item", "score", "antecedents"]
    assert list(got.itertuples(index=False, name=None)) == brute_force_itemsets(hist, rule_frame, k)


@pytest.mark.parity
def test_accepts_basket_rules_on_every_backend(
    backend: str, to_backend: Any, as_pandas: Any
) -> None:
    rng = np.random.default_rng(5)
    rows = [
        (b % 17, f"t{b}", item)
        for b in range(80)
        for item in rng.choice(ITEMS, int(rng.integers(1, 4)), replace=False)
    ]
    tx = pd.DataFrame(rows, columns=["customer_id", "transaction_id", "product_id"]).assign(
        timestamp=pd.Timestamp("2024-03-01"), amount=1.0
    )
    want = next_best_items(tx, basket_rules(tx, min_support=0.05, min_threshold=0.0), k=3)
    assert len(want) > 0
    native = to_backend(tx, backend)
    got = as_pandas(
        next_best_items(native, basket_rules(native, min_support=0.05, min_threshold=0.0), k=3)
    )
    assert list(got.columns) == list(want.columns)
    assert [list(v) for v in got["antecedents"]] == want["antecedents"].tolist()
    pd.testing.assert_frame_equal(
        got.drop(columns="antecedents"), want.drop(columns="antecedents"), check_dtype=False
    )
