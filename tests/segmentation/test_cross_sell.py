"""cross_sell_candidates(): a pandas reference, next_best_items agreement, backends."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from backends import BACKENDS, convert, to_pandas
from hypothesis import given, settings
from hypothesis import strategies as st

from crmanalytics.association import next_best_items
from crmanalytics.datasets import simulate
from crmanalytics.errors import DataQualityWarning, SchemaError
from crmanalytics.segmentation import cross_sell_candidates, preference_segments


def make_data(seed: int, n_customers: int = 30, n_segments: int = 3) -> tuple[pd.DataFrame, ...]:
    rng = np.random.default_rng(seed)
    n_rows = 5 * n_customers
    tx = pd.DataFrame(
        {
            "customer_id": rng.integers(1, n_customers + 1, n_rows),
            "timestamp": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 90, n_rows), unit="D"),
            "amount": np.round(rng.gamma(2.0, 10.0, n_rows), 2) + 0.01,
            "category": rng.choice(
                list("abcdefg"), n_rows, p=[0.3, 0.2, 0.15, 0.15, 0.1, 0.05, 0.05]
            ),
        }
    )
    ids = np.unique(tx["customer_id"])
    segments = pd.DataFrame(
        {"customer_id": ids, "segment": rng.integers(1, n_segments + 1, ids.size)}
    )
    return tx, segments


def reference(
    tx: pd.DataFrame, segments: pd.DataFrame, top_n: int, rank_by: str = "share"
) -> pd.DataFrame:
    bought = tx.groupby("customer_id")["category"].agg(set)
    seg_of = segments.set_index("customer_id")["segment"]
    n_all = len(segments)
    buyers = {c: set(tx.loc[tx["category"] == c, "customer_id"]) for c in tx["category"].unique()}
    rows = []
    for cid, segment in sorted(seg_of.items()):
        members = set(seg_of[seg_of == segment].index)
        mine = bought.get(cid, set())
        candidates = []
        for category in sorted(buyers):
            if category in mine:
                continue
            share = len(buyers[category] & members) / len(members)
            if share == 0:
                continue
            base = len(buyers[category] & set(seg_of.index)) / n_all
            candidates.append((category, share, share / base))
        key = (
            (lambda c: (-c[1], -c[2], c[0]))
            if rank_by == "share"
            else (lambda c: (-c[2], -c[1], c[0]))
        )
        for rank, (category, share, lift) in enumerate(sorted(candidates, key=key)[:top_n], 1):
            rows.append((cid, segment, rank, category, share, lift))
    return pd.DataFrame(
        rows, columns=["customer_id", "segment", "rank", "category", "share", "lift"]
    )


def assert_frames(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        actual.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
    )


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    top_n=st.integers(1, 5),
    rank_by=st.sampled_from(["share", "lift"]),
)
def test_matches_a_brute_force_reference(seed: int, top_n: int, rank_by: str) -> None:
    tx, segments = make_data(seed)
    got = cross_sell_candidates(tx, segments=segments, top_n=top_n, rank_by=rank_by)
    assert_frames(got, reference(tx, segments, top_n, rank_by))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n_segments=st.integers(1, 3), top_n=st.integers(1, 4))
def test_agrees_with_next_best_items_on_segment_rules(
    seed: int, n_segments: int, top_n: int
) -> None:
    """A segment is an antecedent all its members have: next_best_items gives the same list.

    With ``n_segments=1`` one segment covers everyone, and both rank the most widely
    bought categories the customer has not bought.
    """
    tx, segments = make_data(seed, n_segments=n_segments)
    got = cross_sell_candidates(tx, segments=segments, top_n=top_n)
    # the same shares, written as rules "segment:s -> category"
    bought = tx[["customer_id", "category"]].drop_duplicates()
    merged = bought.merge(segments, on="customer_id")
    size = segments.groupby("segment").size()
    base = merged.groupby("category").size() / len(segments)
    rules = merged.groupby(["segment", "category"]).size().rename("n").reset_index()
    rules["confidence"] = rules["n"] / rules["segment"].map(size)
    rules["lift"] = rules["confidence"] / rules["category"].map(base)
    rules["antecedent"] = "segment:" + rules["segment"].astype(str)
    rules = rules.rename(columns={"category": "consequent"}).sort_values(["segment", "consequent"])
    pseudo = segments.assign(category="segment:" + segments["segment"].astype(str))
    history = pd.concat([bought, pseudo[["customer_id", "category"]]], ignore_index=True)
    nbi = next_best_items(history, rules, k=top_n, item="category")
    assert got["customer_id"].tolist() == nbi["customer_id"].tolist()
    assert got["rank"].tolist() == nbi["rank"].tolist()
    assert got["category"].tolist() == nbi["item"].tolist()
    np.testing.assert_allclose(got["share"], nbi["score"])


@pytest.mark.parity
def test_backend_parity() -> None:
    tx, segments = make_data(7)
    expected = cross_sell_candidates(tx, segments=segments, top_n=2)
    for backend in BACKENDS:
        got = cross_sell_candidates(
            convert(tx, backend), segments=convert(segments, backend), top_n=2
        )
        assert_frames(to_pandas(got), expected)


def test_takes_a_preference_segments_result_and_columns() -> None:
    data = simulate(800, seed=4)
    segments = preference_segments(data.transactions, n_segments=4, random_state=0, n_bootstrap=0)
    got = cross_sell_candidates(data.transactions, segments=segments, top_n=2)
    assert_frames(got, reference(data.transactions, segments.assignments, 2))
    mine = data.transactions.rename(columns={"customer_id": "who"})
    before = mine.copy()
    mapped = cross_sell_candidates(mine, segments=segments, top_n=2, columns={"customer_id": "who"})
    assert_frames(mapped, got)
    pd.testing.assert_frame_equal(mine, before)
    # candidates of a segment are its favoured categories first
    top = got[got["rank"] == 1].merge(segments.assignments, on=["customer_id", "segment"])
    assert (top["lift"] > 0).all()


def test_customers_outside_the_segments_are_counted() -> None:
    tx, segments = make_data(1)
    with pytest.warns(DataQualityWarning, match="not in segments"):
        got = cross_sell_candidates(tx, segments=segments.iloc[1:])
    assert segments["customer_id"].iloc[0] not in set(got["customer_id"])


def test_bad_input() -> None:
    tx, segments = make_data(2)
    with pytest.raises(ValueError, match="top_n"):
        cross_sell_candidates(tx, segments=segments, top_n=0)
    with pytest.raises(ValueError, match="rank_by"):
        cross_sell_candidates(tx, segments=segments, rank_by="profit")  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="segment"):
        cross_sell_candidates(tx, segments=segments.drop(columns="segment"))
    with pytest.raises(SchemaError, match="family"):
        cross_sell_candidates(tx, segments=segments, by="family")
