"""sequential_rules against a brute-force self-join, DuckDB SQL, and across backends."""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from typing import Any, Literal
from unittest import mock

import duckdb
import numpy as np
import pandas as pd
import pytest
from backends import SPARK_ENABLED, convert, to_pandas
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from crmanalytics.association import _spark_pairs, sequential_rules
from crmanalytics.association._pairs import sequential_pair_stats
from crmanalytics.association._spark_pairs import _bucket_task
from crmanalytics.errors import DataQualityWarning, SchemaError

DAY0 = pd.Timestamp("2023-03-01")
SEQUENTIAL_RULE_COLUMNS = (
    "antecedent",
    "consequent",
    "customers",
    "support",
    "confidence",
    "lift",
    "leverage",
    "conviction",
    "median_lag_days",
    "mean_lag_days",
)


def brute_force(
    tx: pd.DataFrame,
    *,
    min_gap: int,
    max_gap: int | None,
    min_support: float,
    min_confidence: float = 0.0,
    min_lift: float = 0.0,
    item: str = "product_id",
) -> pd.DataFrame:
    """Every purchase pair of every customer, in plain Python."""
    n = tx["customer_id"].nunique()
    rows = tx[tx[item].notna()]
    days = (rows["timestamp"].dt.normalize() - pd.Timestamp("1970-01-01")).dt.days
    events: dict[Any, list[tuple[Any, int]]] = defaultdict(list)
    buyers: dict[Any, set[Any]] = defaultdict(set)
    for c, i, d in zip(rows["customer_id"], rows[item], days, strict=True):
        events[c].append((i, int(d)))
        buyers[i].add(c)
    shortest: dict[tuple[Any, Any, Any], int] = {}
    for c, evs in events.items():
        for a, da in evs:
            for b, db in evs:
                lag = db - da
                if a != b and lag >= min_gap and (max_gap is None or lag <= max_gap):
                    key = (c, a, b)
                    shortest[key] = min(shortest.get(key, lag), lag)
    lags: dict[tuple[Any, Any], list[int]] = defaultdict(list)
    for (_, a, b), lag in shortest.items():
        lags[(a, b)].append(lag)
    out = []
    for (a, b), ls in lags.items():
        na, nb, nab = len(buyers[a]), len(buyers[b]), len(ls)
        support, conf = nab / n, nab / na
        lift = conf / (nb / n)
        if support < min_support or conf < min_confidence or lift < min_lift:
            continue
        out.append(
            {
                "antecedent": a,
                "consequent": b,
                "customers": nab,
                "support": support,
                "confidence": conf,
                "lift": lift,
                "leverage": support - (na / n) * (nb / n),
                "conviction": math.inf if nab == na else (1 - nb / n) / (1 - conf),
                "median_lag_days": float(np.median(ls)),
                "mean_lag_days": float(np.mean(ls)),
            }
        )
    return pd.DataFrame(out, columns=list(SEQUENTIAL_RULE_COLUMNS))


def canonical(result: pd.DataFrame) -> pd.DataFrame:
    out = result.sort_values(["antecedent", "consequent"]).reset_index(drop=True)
    out["antecedent"] = out["antecedent"].astype(object)
    out["consequent"] = out["consequent"].astype(object)
    out["customers"] = out["customers"].astype("int64")
    return out


def assert_same_rules(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(SEQUENTIAL_RULE_COLUMNS)
    pd.testing.assert_frame_equal(
        canonical(got), canonical(want), check_dtype=False, rtol=1e-12, atol=1e-12
    )


events_strategy = st.lists(
    st.tuples(
        st.integers(0, 6),  # customer
        st.sampled_from(["a", "b", "c", "d"]),
        st.integers(0, 40),  # day
        st.integers(0, 23),  # hour: same day, different times
    ),
    min_size=1,
    max_size=60,
)


def make_tx(events: list[tuple[int, str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [e[0] for e in events],
            "timestamp": [DAY0 + pd.Timedelta(days=e[2], hours=e[3]) for e in events],
            "product_id": [e[1] for e in events],
            "amount": 1.0,
        }
    )


@given(
    events=events_strategy,
    min_gap=st.integers(0, 4),
    span=st.one_of(st.none(), st.integers(0, 12)),
    min_support=st.sampled_from([0.0, 0.1, 0.3, 0.5]),
    min_confidence=st.sampled_from([0.0, 0.5]),
    counting=st.sampled_from(["local", "engine"]),
)
def test_matches_brute_force(  # noqa: PLR0917 - hypothesis passes them by name
    events: list[tuple[int, str, int, int]],
    min_gap: int,
    span: int | None,
    min_support: float,
    min_confidence: float,
    counting: Literal["local", "engine"],
) -> None:
    tx = make_tx(events)
    max_gap = None if span is None else min_gap + span
    got = sequential_rules(
        tx,
        min_gap=pd.Timedelta(days=min_gap),
        max_gap=None if max_gap is None else pd.Timedelta(days=max_gap),
        min_support=min_support,
        min_confidence=min_confidence,
        counting=counting,
    )
    want = brute_force(
        tx,
        min_gap=min_gap,
        max_gap=max_gap,
        min_support=min_support,
        min_confidence=min_confidence,
    )
    assert_same_rules(got, want)


@pytest.mark.parametrize(("max_gap", "expected"), [(9, 0), (10, 1), (None, 1)])
def test_exactly_max_gap_apart_counts(max_gap: int | None, expected: int) -> None:
    tx = make_tx([(1, "a", 0, 23), (1, "b", 10, 0), (2, "a", 0, 0)])
    got = sequential_rules(tx, max_gap=max_gap, min_support=0.0)
    assert len(got) == expected
    if expected:
        assert got["median_lag_days"].tolist() == [10.0]


def test_same_day_is_not_a_sequence_by_default() -> None:
    tx = make_tx([(1, "a", 3, 1), (1, "b", 3, 22)])
    assert len(sequential_rules(tx, min_support=0.0)) == 0
    both = sequential_rules(tx, min_gap=0, min_support=0.0)
    assert sorted(zip(both["antecedent"], both["consequent"], strict=True)) == [
        ("a", "b"),
        ("b", "a"),
    ]


def test_repeated_antecedent_counts_once_with_shortest_lag() -> None:
    tx = make_tx([(1, "a", d, 0) for d in range(0, 50, 5)] + [(1, "b", 52, 0), (2, "a", 0, 0)])
    got = sequential_rules(tx, min_support=0.0)
    assert got["customers"].tolist() == [1]
    assert got["median_lag_days"].tolist() == [7.0]  # from the a on day 45
    assert got["confidence"].tolist() == [0.5]
    assert got["conviction"].tolist() == [pytest.approx((1 - 0.5) / 0.5)]


def test_conviction_is_infinite_when_confidence_is_one() -> None:
    tx = make_tx([(1, "a", 0, 0), (1, "b", 3, 0), (2, "b", 0, 0)])
    got = sequential_rules(tx, min_support=0.0)
    assert got["confidence"].tolist() == [1.0]
    assert np.isinf(got["conviction"].iloc[0])


def test_item_may_be_another_column_and_keeps_its_type() -> None:
    tx = make_tx([(1, "a", 0, 0), (1, "b", 3, 0), (2, "a", 0, 0), (2, "b", 1, 0)])
    tx["sku_group"] = tx["product_id"].map({"a": 10, "b": 20})
    got = sequential_rules(tx, item="sku_group", min_support=0.0)
    assert got["antecedent"].tolist() == [10]
    assert got["consequent"].tolist() == [20]
    assert pd.api.types.is_integer_dtype(got["antecedent"])


def test_null_items_warn_and_still_count_customers() -> None:
    tx = make_tx([(1, "a", 0, 0), (1, "b", 3, 0), (2, "a", 0, 0)])
    tx.loc[2, "product_id"] = None
    with pytest.warns(DataQualityWarning, match="1 transaction rows have no 'product_id'"):
        got = sequential_rules(tx, min_support=0.0)
    assert got["support"].tolist() == [0.5]


def random_log(seed: int, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "customer_id": rng.integers(0, 40, n),
            "timestamp": DAY0 + pd.to_timedelta(rng.integers(0, 200 * 24, n), unit="h"),
            "product_id": rng.choice(list("pqrstuvw"), n),
            "amount": rng.gamma(2.0, 10.0, n),
        }
    )


@pytest.mark.parametrize("counting", ["auto", "local", "engine"])
def test_backend_parity(
    backend: str, counting: Literal["auto", "local", "engine"], to_backend: Any, as_pandas: Any
) -> None:
    tx = random_log(0)
    want = sequential_rules(tx, min_support=0.05, max_gap=30, counting="local")
    native = to_backend(tx, backend)
    got = sequential_rules(native, min_support=0.05, max_gap=30, counting=counting)
    assert type(got).__module__.split(".")[0] == type(native).__module__.split(".")[0]
    assert len(want) > 5
    assert_same_rules(as_pandas(got), want)
    # same order too: customers, confidence, then the items, all deterministic
    assert as_pandas(got)[["antecedent", "consequent"]].values.tolist() == (
        want[["antecedent", "consequent"]].values.tolist()
    )


def test_input_not_mutated() -> None:
    tx = random_log(1)
    before = tx.copy(deep=True)
    sequential_rules(tx, min_support=0.05)
    pd.testing.assert_frame_equal(tx, before)


def test_result_is_sorted_by_customers_then_confidence() -> None:
    got = sequential_rules(random_log(2), min_support=0.0)
    key = list(zip(-got["customers"], -got["confidence"], strict=True))
    assert key == sorted(key)


def test_thresholds_filter() -> None:
    tx = random_log(3)
    everything = sequential_rules(tx, min_support=0.0)
    sup, conf, lift = (float(everything[c].median()) for c in ("support", "confidence", "lift"))
    got = sequential_rules(tx, min_support=sup, min_confidence=conf, min_lift=lift)
    want = everything[
        (everything["support"] >= sup)
        & (everything["confidence"] >= conf)
        & (everything["lift"] >= lift)
    ]
    assert len(want) < len(everything)
    assert len(got) > 0
    assert_same_rules(got, want)


@pytest.mark.parametrize(("block_chunk", "pair_chunk"), [(1, 1), (50, 7), (10**9, 10**9)])
def test_kernel_chunking_never_changes_the_result(block_chunk: int, pair_chunk: int) -> None:
    rng = np.random.default_rng(4)
    n = 3000
    cust, item, day = rng.integers(0, 30, n), rng.integers(0, 12, n), rng.integers(0, 300, n)
    ref = sequential_pair_stats(cust, item, day, n_items=12, min_gap=2, max_gap=40)
    got = sequential_pair_stats(
        cust,
        item,
        day,
        n_items=12,
        min_gap=2,
        max_gap=40,
        block_chunk=block_chunk,
        pair_chunk=pair_chunk,
    )
    for field in ("antecedent", "consequent", "customers", "lag_sum", "lag_median"):
        np.testing.assert_array_equal(getattr(got, field), getattr(ref, field))
    assert ref.customers.sum() > 100


def test_missing_item_column_names_column_and_rule() -> None:
    tx = make_tx([(1, "a", 0, 0)]).drop(columns="product_id")
    with pytest.raises(SchemaError, match=r"'product_id': is required by sequential_rules"):
        sequential_rules(tx)


def test_unreadable_timestamp_is_rejected() -> None:
    tx = make_tx([(1, "a", 0, 0)])
    tx["timestamp"] = "someday"
    with pytest.raises(SchemaError, match="'timestamp': could not be parsed as a datetime"):
        sequential_rules(tx)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_gap": pd.Timedelta(hours=36)}, "max_gap must be a whole number of days"),
        ({"min_gap": -1}, "min_gap must not be negative"),
        ({"min_gap": 5, "max_gap": 3}, "must not be shorter than min_gap"),
        ({"min_support": 1.5}, r"min_support must lie in \[0, 1\]"),
        ({"min_lift": -1.0}, "min_lift must lie in"),
        ({"max_gap": "90d"}, "max_gap must be a pandas.Timedelta"),
        ({"counting": "gpu"}, "counting must be .auto., .local. or .engine."),
    ],
)
def test_bad_options_say_which_and_why(kwargs: dict[str, Any], message: str) -> None:
    tx = make_tx([(1, "a", 0, 0), (1, "b", 2, 0)])
    with pytest.raises((ValueError, TypeError), match=message):
        sequential_rules(tx, **kwargs)


def test_kernel_sparse_pair_counting_matches_dense(monkeypatch: pytest.MonkeyPatch) -> None:
    import crmanalytics.association._pairs as pairs

    rng = np.random.default_rng(5)
    n = 2000
    cust, item, day = rng.integers(0, 25, n), rng.integers(0, 15, n), rng.integers(0, 200, n)
    dense = pairs.sequential_pair_stats(cust, item, day, n_items=15, min_gap=1, max_gap=30)
    monkeypatch.setattr(pairs, "_DENSE_CODES", 0)
    sparse = pairs.sequential_pair_stats(cust, item, day, n_items=15, min_gap=1, max_gap=30)
    for field in ("antecedent", "consequent", "customers", "lag_sum", "lag_median"):
        np.testing.assert_array_equal(getattr(sparse, field), getattr(dense, field))
    assert dense.customers.size > 50


# Real data: Online Retail equals a DuckDB SQL self-join.

DUCKDB_RULES = """
WITH ev AS (
    SELECT DISTINCT customer_id AS c, product_id AS i, CAST("timestamp" AS DATE) AS d FROM tx
),
n AS (SELECT count(DISTINCT customer_id) AS n FROM tx),
buyers AS (SELECT i, count(DISTINCT c) AS ni FROM ev GROUP BY i),
kept AS (SELECT ev.* FROM ev JOIN buyers USING (i), n WHERE ni >= $support * n),
shortest AS (
    SELECT a.c, a.i AS ia, b.i AS ib, min(b.d - a.d) AS lag
    FROM kept a JOIN kept b
      ON a.c = b.c AND a.i <> b.i AND b.d - a.d BETWEEN $min_gap AND $max_gap
    GROUP BY ALL
),
rules AS (
    SELECT ia, ib, count(*) AS customers,
           quantile_cont(lag, 0.5) AS median_lag_days, avg(lag) AS mean_lag_days
    FROM shortest GROUP BY ia, ib
)
SELECT ia AS antecedent, ib AS consequent, customers,
       customers / n AS support,
       customers / ba.ni AS confidence,
       customers / ba.ni / (bb.ni / n) AS lift,
       customers / n - (ba.ni / n) * (bb.ni / n) AS leverage,
       CASE WHEN customers = ba.ni THEN 'inf'::DOUBLE
            ELSE (1 - bb.ni / n) / (1 - customers / ba.ni) END AS conviction,
       median_lag_days, mean_lag_days
FROM rules JOIN buyers ba ON ba.i = ia JOIN buyers bb ON bb.i = ib, n
WHERE customers / n >= $support
"""


def duckdb_rules(tx: pd.DataFrame, support: float, min_gap: int, max_gap: int) -> pd.DataFrame:
    con = duckdb.connect()
    con.register("tx", tx)
    params = {"support": support, "min_gap": min_gap, "max_gap": max_gap}
    return con.execute(DUCKDB_RULES, params).df()


@pytest.mark.slow
@pytest.mark.parametrize(("support", "min_gap", "max_gap"), [(0.02, 1, 90), (0.05, 0, 30)])
def test_online_retail_equals_duckdb_self_join(
    online_retail_tx: pd.DataFrame, support: float, min_gap: int, max_gap: int
) -> None:
    got = sequential_rules(
        online_retail_tx,
        min_support=support,
        min_gap=pd.Timedelta(days=min_gap),
        max_gap=pd.Timedelta(days=max_gap),
    )
    want = duckdb_rules(online_retail_tx, support, min_gap, max_gap)
    assert len(want) > 20
    pd.testing.assert_frame_equal(
        canonical(got), canonical(want[got.columns]), check_dtype=False, rtol=1e-12
    )


def test_empty_input_gives_empty_rules_with_all_columns() -> None:
    tx = make_tx([(1, "a", 0, 0)]).iloc[:0]
    got = sequential_rules(tx)
    assert list(got.columns) == list(SEQUENTIAL_RULE_COLUMNS)
    assert len(got) == 0


def test_days_are_wall_clock_days_of_a_time_zone_aware_column() -> None:
    stamps = pd.to_datetime(["2024-03-10 23:30", "2024-03-11 00:30"]).tz_localize("Europe/Berlin")
    tx = pd.DataFrame(
        {"customer_id": [1, 1], "timestamp": stamps, "product_id": ["a", "b"], "amount": 1.0}
    )
    got = sequential_rules(tx, min_support=0.0)  # same UTC day, next local day
    assert got["median_lag_days"].tolist() == [1.0]


# --- counting in Spark's executors: the numpy kernel per customer bucket -------------


def bucket_batches(tx: pd.DataFrame, buckets: int) -> list[list[Any]]:
    """Distinct (customer, item, day) events as Arrow batches, split by customer."""
    import pyarrow as pa

    days = (tx["timestamp"].dt.normalize() - pd.Timestamp("1970-01-01")).dt.days
    events = pd.DataFrame(
        {"c": tx["customer_id"], "i": tx["product_id"], "d": days}
    ).drop_duplicates()
    bucket = pd.factorize(events["c"])[0] % buckets
    return [
        [pa.RecordBatch.from_pandas(part, preserve_index=False)]
        for _, part in events.groupby(bucket)
    ]


@given(
    events=events_strategy,
    min_gap=st.integers(0, 3),
    span=st.one_of(st.none(), st.integers(0, 12)),
    buckets=st.integers(1, 5),
    min_count=st.integers(1, 6),
)
def test_bucket_tasks_add_up_to_the_kernel_on_all_customers(
    events: list[tuple[int, str, int, int]],
    min_gap: int,
    span: int | None,
    buckets: int,
    min_count: int,
) -> None:
    """The two passes of the executors' tasks, summed, equal one kernel run on all."""
    tx = make_tx(events)
    max_gap = None if span is None else min_gap + span
    items = np.array(sorted(tx["product_id"].unique()), dtype=object)
    task = functools.partial(
        _bucket_task, items=items, columns=("c", "i", "d"), min_gap=min_gap, max_gap=max_gap
    )
    parts = bucket_batches(tx, buckets)
    threshold = math.ceil(min_count / buckets)
    candidates = np.unique(
        np.concatenate(
            [
                batch.column(0).to_numpy()
                for part in parts
                for batch in task(iter(part), threshold=threshold)
            ]
        )
    )
    histogram = pd.concat(
        [batch.to_pandas() for part in parts for batch in task(iter(part), candidates=candidates)]
    )
    per_pair = histogram.groupby(["__crm_code", "__crm_lag"])["__crm_count"].sum()
    total = per_pair.groupby(level=0).sum()
    kept = total[total >= min_count]
    days = (tx["timestamp"].dt.normalize() - pd.Timestamp("1970-01-01")).dt.days
    want = sequential_pair_stats(
        tx["customer_id"],
        pd.Index(items).get_indexer(tx["product_id"]),
        days,
        n_items=items.size,
        min_gap=min_gap,
        max_gap=max_gap,
        min_count=min_count,
    )
    assert kept.index.tolist() == (want.antecedent * items.size + want.consequent).tolist()
    assert kept.tolist() == want.customers.tolist()
    lag_sum = (per_pair * per_pair.index.get_level_values(1)).groupby(level=0).sum()
    assert lag_sum[kept.index].tolist() == want.lag_sum.tolist()


@pytest.mark.parametrize("backend", ["pyspark"] if SPARK_ENABLED else [])
@pytest.mark.parametrize("per_bucket", [1_000_000, 40])
def test_spark_counting_in_executors_equals_local_on_online_retail(
    backend: str, per_bucket: int, online_retail_tx: pd.DataFrame, to_backend: Any, as_pandas: Any
) -> None:
    """A sample of Online Retail: 2 buckets (candidates collected) and 15 (all pairs)."""
    customers = online_retail_tx["customer_id"].drop_duplicates().sample(600, random_state=7)
    tx = online_retail_tx[online_retail_tx["customer_id"].isin(customers)]
    tx = tx.drop(columns=["quantity"]).reset_index(drop=True)
    want = sequential_rules(tx, min_support=0.02, max_gap=60, counting="local")
    native = to_backend(tx, backend)
    with mock.patch.object(_spark_pairs, "_CUSTOMERS_PER_BUCKET", per_bucket):
        got = as_pandas(sequential_rules(native, min_support=0.02, max_gap=60, counting="engine"))
        auto = as_pandas(sequential_rules(native, min_support=0.02, max_gap=60))
    assert len(want) > 50
    pd.testing.assert_frame_equal(got, want)
    pd.testing.assert_frame_equal(auto, want)


@pytest.mark.parametrize("backend", ["pyspark"] if SPARK_ENABLED else [])
@settings(max_examples=10, phases=[Phase.explicit, Phase.generate])  # no slow shrinking
@given(
    events=events_strategy,
    min_gap=st.integers(0, 3),
    span=st.one_of(st.none(), st.integers(0, 12)),
    min_support=st.sampled_from([0.0, 0.1, 0.3, 0.5]),
    per_bucket=st.sampled_from([1, 2, 3, 1_000_000]),
)
def test_spark_counting_in_executors_matches_brute_force(  # noqa: PLR0917
    backend: str,
    events: list[tuple[int, str, int, int]],
    min_gap: int,
    span: int | None,
    min_support: float,
    per_bucket: int,
) -> None:
    tx = make_tx(events)
    max_gap = None if span is None else min_gap + span
    native = convert(tx, backend)
    with mock.patch.object(_spark_pairs, "_CUSTOMERS_PER_BUCKET", per_bucket):
        got = sequential_rules(
            native, min_gap=min_gap, max_gap=max_gap, min_support=min_support, counting="engine"
        )
    want = brute_force(tx, min_gap=min_gap, max_gap=max_gap, min_support=min_support)
    assert_same_rules(to_pandas(got), want)
    local = sequential_rules(tx, min_gap=min_gap, max_gap=max_gap, min_support=min_support)
    pd.testing.assert_frame_equal(to_pandas(got), local)


@pytest.mark.parametrize("backend", ["pyspark"] if SPARK_ENABLED else [])
def test_spark_executors_without_crmanalytics_fall_back_to_sql_with_a_warning(
    backend: str,
) -> None:
    from crmanalytics.association import sequential

    tx = random_log(5)
    missing = RuntimeError("ModuleNotFoundError: No module named 'crmanalytics'")
    with (
        mock.patch.object(sequential, "pair_counts_in_buckets", side_effect=missing),
        pytest.warns(RuntimeWarning, match="workers cannot import crmanalytics"),
    ):
        got = sequential_rules(convert(tx, backend), min_support=0.05, max_gap=30)
    want = sequential_rules(tx, min_support=0.05, max_gap=30)
    pd.testing.assert_frame_equal(to_pandas(got), want)
    other = RuntimeError("disk full")
    with (
        mock.patch.object(sequential, "pair_counts_in_buckets", side_effect=other),
        pytest.raises(RuntimeError, match="disk full"),
    ):
        sequential_rules(convert(tx, backend), min_support=0.05, max_gap=30)
