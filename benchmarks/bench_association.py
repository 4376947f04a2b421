"""Benchmark sequential_rules on Online Retail against a DuckDB SQL self-join.

Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_association.py

Prints, for max_gap 90 days and min_support 2%, 1%, 0.5%: our time, DuckDB's time on the
same frame in the same run (the SQL prunes infrequent items too, so both do the same
work), the ratio, the peak memory growth of our call (tracemalloc: numpy and pandas
buffers), and whether both give the same rules. Then the time as customers are
replicated 1x, 2x, 4x under new ids (support fractions unchanged), to show linear growth.
"""

from __future__ import annotations

import gc
import resource
import time
import tracemalloc
import warnings
from pathlib import Path

import duckdb
import pandas as pd

from crmanalytics.association import sequential_rules
from crmanalytics.datasets import map_online_retail
from crmanalytics.errors import DataQualityWarning

DATA = Path(__file__).resolve().parent.parent / "data" / "online_retail.parquet"

SQL = """
WITH ev AS (
    SELECT DISTINCT customer_id AS c, product_id AS i, CAST("timestamp" AS DATE) AS d FROM tx
),
n AS (SELECT count(DISTINCT customer_id) AS n FROM tx),
buyers AS (SELECT i, count(DISTINCT c) AS ni FROM ev GROUP BY i),
kept AS (SELECT ev.* FROM ev JOIN buyers USING (i), n WHERE ni >= $support * n),
shortest AS (
    SELECT a.c, a.i AS ia, b.i AS ib, min(b.d - a.d) AS lag
    FROM kept a JOIN kept b
      ON a.c = b.c AND a.i <> b.i AND b.d - a.d BETWEEN 1 AND 90
    GROUP BY ALL
)
SELECT ia AS antecedent, ib AS consequent, count(*) AS customers,
       quantile_cont(lag, 0.5) AS median_lag_days, avg(lag) AS mean_lag_days
FROM shortest, n GROUP BY ia, ib, n.n HAVING count(*) >= $support * n.n
"""


def online_retail() -> pd.DataFrame:
    """Canonical transactions: customer known, not cancelled, quantity and price > 0."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # guest checkouts dropped
        tx = map_online_retail(pd.read_parquet(DATA), invalid="drop")
    keep = ~tx["is_cancellation"] & (tx["quantity"] > 0) & (tx["amount"] > 0)
    return tx.loc[keep, ["customer_id", "timestamp", "amount", "product_id"]].reset_index(drop=True)


def timed(fn, repeat: int = 2):  # type: ignore[no-untyped-def]
    best, out = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def ours(tx: pd.DataFrame, support: float) -> pd.DataFrame:
    return sequential_rules(tx, min_support=support, max_gap=pd.Timedelta(days=90))


def same_rules(got: pd.DataFrame, want: pd.DataFrame) -> bool:
    key = ["antecedent", "consequent"]
    cols = [*key, "customers", "median_lag_days", "mean_lag_days"]
    a = got[cols].sort_values(key).reset_index(drop=True).astype(dict.fromkeys(key, object))
    b = want[cols].sort_values(key).reset_index(drop=True).astype(dict.fromkeys(key, object))
    try:
        pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-12)
    except AssertionError:
        return False
    return True


def main() -> None:
    tx = online_retail()
    print(f"Online Retail (clean): {len(tx):,} rows, {tx['customer_id'].nunique():,} customers")
    con = duckdb.connect()
    con.register("tx", tx)
    ours(tx, 0.02)  # warm-up (imports)
    print(
        f"{'min_support':>11} {'rules':>7} {'ours s':>8} {'duckdb s':>9} {'ratio':>6} "
        f"{'peak MB':>8} {'same':>5}"
    )
    for support in (0.02, 0.01, 0.005):
        t_ours, got = timed(lambda s=support: ours(tx, s))
        t_duck, want = timed(lambda s=support: con.execute(SQL, {"support": s}).df())
        gc.collect()
        tracemalloc.start()
        ours(tx, support)
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        same = same_rules(got, want)
        print(
            f"{support:>11.3%} {len(got):>7,} {t_ours:>8.2f} {t_duck:>9.2f} "
            f"{t_duck / t_ours:>5.1f}x {peak:>8.0f} {same!s:>5}"
        )

    print("\nscaling with customers (min_support 1%, max_gap 90 days)")
    print(f"{'copies':>6} {'customers':>10} {'rows':>10} {'ours s':>8} {'s per copy':>10}")
    for copies in (1, 2, 4):
        big = pd.concat(
            [tx.assign(customer_id=tx["customer_id"] + k * 1_000_000) for k in range(copies)],
            ignore_index=True,
        )
        t, _ = timed(lambda b=big: ours(b, 0.01), repeat=1)
        print(
            f"{copies:>6} {big['customer_id'].nunique():>10,} {len(big):>10,} {t:>8.2f} "
            f"{t / copies:>10.2f}"
        )
        del big
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nprocess max RSS: {rss:.0f} MB (includes the data, DuckDB and the 4x copy)")


if __name__ == "__main__":
    main()
