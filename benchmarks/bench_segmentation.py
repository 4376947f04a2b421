"""Benchmark rfm_table against a hand-written pandas groupby, measured in the same run.

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/bench_segmentation.py [--rows 1000000] [--repeat 3]

Each case runs in its own subprocess so that its peak memory (max RSS, which also sees
Polars' and DuckDB's native allocations) is measured alone; the figure printed is the
peak RSS minus the RSS after imports and data generation. Times are the best of
``--repeat`` runs. The peer is the pandas code an analyst would write by hand
(same rules: purchases are positive amounts, frequency = distinct invoices).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Any

import numpy as np
import pandas as pd

CASES = ("pandas groupby (peer)", "rfm_table pandas", "rfm_table polars", "rfm_table duckdb")


def make_data(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    customers = max(rows // 20, 1)
    amount = np.round(rng.gamma(2.0, 15.0, rows), 2)
    amount[rng.random(rows) < 0.05] *= -1
    return pd.DataFrame(
        {
            "customer_id": rng.integers(0, customers, rows),
            "timestamp": pd.Timestamp("2022-01-01")
            + pd.to_timedelta(rng.integers(0, 730 * 24 * 60, rows), unit="min"),
            "amount": amount,
            "transaction_id": rng.integers(0, rows // 3, rows),
        }
    )


def pandas_peer(tx: pd.DataFrame) -> pd.DataFrame:
    day = tx["timestamp"].dt.normalize()
    end = day.max()
    bought = tx["amount"] > 0
    purchases = tx[bought].assign(day=day[bought])
    last = purchases.groupby("customer_id")["day"].max()
    freq = purchases.groupby("customer_id")["transaction_id"].nunique()
    monetary = tx.groupby("customer_id")["amount"].sum()
    out = pd.DataFrame({"monetary": monetary})
    out["recency"] = (
        end - last.reindex(out.index).fillna(day.groupby(tx["customer_id"]).max())
    ).dt.days
    out["frequency"] = freq.reindex(out.index).fillna(0).astype("int64")
    return out


def run_case(case: str, rows: int, repeat: int) -> dict[str, Any]:
    from crmanalytics.segmentation import rfm_table

    tx = make_data(rows)
    if case == "rfm_table polars":
        import polars as pl

        native: Any = pl.from_pandas(tx)
    elif case == "rfm_table duckdb":
        import duckdb
        import pyarrow as pa

        con = duckdb.connect()
        native = con.from_arrow(pa.Table.from_pandas(tx, preserve_index=False))
    else:
        native = tx
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    best = float("inf")
    n_customers = 0
    for _ in range(repeat):
        start = time.perf_counter()
        if case == "pandas groupby (peer)":
            out = pandas_peer(native)
            n_customers = len(out)
        else:
            out = rfm_table(native)
            if case == "rfm_table duckdb":
                out = out.fetchall()  # execute the lazy plan
            n_customers = len(out)
        best = min(best, time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "case": case,
        "seconds": best,
        "peak_mb": (peak - base) / 1024,
        "customers": n_customers,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--case", choices=CASES)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.rows, args.repeat)))
        return
    results = []
    for case in CASES:
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--case",
                case,
                "--rows",
                str(args.rows),
                "--repeat",
                str(args.repeat),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    peer = results[0]["seconds"]
    print(f"rfm_table benchmark: {args.rows:,} transactions, best of {args.repeat}")
    print(f"{'case':<24}{'seconds':>10}{'vs peer':>10}{'peak MB':>10}{'customers':>11}")
    for r in results:
        print(
            f"{r['case']:<24}{r['seconds']:>10.3f}{r['seconds'] / peer:>9.2f}x"
            f"{r['peak_mb']:>10.1f}{r['customers']:>11,}"
        )


if __name__ == "__main__":
    main()
