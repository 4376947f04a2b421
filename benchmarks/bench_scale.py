"""Scale benchmark: 1M, 10M and 50M synthetic transactions on pandas, Polars and DuckDB.

Run from the repository root (about 15 minutes on 2 cores; needs about 12 GB of memory):

    PYTHONPATH=src python benchmarks/bench_scale.py
    PYTHONPATH=src python benchmarks/bench_scale.py --rows 1000000 10000000 --inputs duckdb

For each size it writes a Parquet file of synthetic transactions once (under
``benchmarks/.cache``, not committed), then times ``customer_summary``, ``rfm_table`` and
``sequential_rules`` (min support 1%, lag 1 to 30 days) on each input type. Every case runs
in a fresh Python process, so its peak memory (peak RSS) is its own: the input as loaded,
plus what the call needs. The load time and the memory after loading are shown apart.
DuckDB reads the Parquet file lazily, so its "after load" memory is small and the scan is
part of the call. The last table gives the time per million rows, to show how time grows
with rows.

The data: customers = rows / 20 (so 2.5M customers at 50M rows), 2,000 products with
Zipf-like popularity, purchase instants uniform over two years, log-normal amounts.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

CACHE = Path(__file__).resolve().parent / ".cache"
SIZES = (1_000_000, 10_000_000, 50_000_000)
BACKENDS = ("pandas", "polars", "duckdb")
CALLS = ("customer_summary", "rfm_table", "sequential_rules")
START = np.datetime64("2023-01-01T00:00:00", "s")
SECONDS = 2 * 365 * 86_400


def synthetic(rows: int, seed: int = 0) -> Path:
    """Write (once) and return the Parquet file of ``rows`` synthetic transactions."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = CACHE / f"transactions_{rows}.parquet"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n_customers = max(rows // 20, 1)
    popularity = 1.0 / np.arange(1, 2001) ** 0.8
    chunk = 5_000_000
    writer = None
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        table = pa.table(
            {
                "customer_id": rng.integers(0, n_customers, n, dtype=np.int64),
                "timestamp": START + rng.integers(0, SECONDS, n).astype("timedelta64[s]"),
                "amount": np.round(rng.lognormal(3.0, 1.0, n), 2),
                "product_id": rng.choice(2000, size=n, p=popularity / popularity.sum()).astype(
                    np.int64
                ),
            }
        )
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()
    return path


def load(path: Path, backend: str) -> Any:
    """The input in the named backend (DuckDB: a lazy relation over the file)."""
    if backend == "pandas":
        import pandas as pd

        return pd.read_parquet(path)
    if backend == "polars":
        import polars as pl

        return pl.read_parquet(path)
    import duckdb

    return duckdb.connect().read_parquet(str(path))


def run(path: Path, backend: str, call: str) -> dict[str, float]:
    """Time one call on one input type (in this process) and return the figures."""
    import pandas as pd

    from crmanalytics.association import sequential_rules
    from crmanalytics.segmentation import rfm_table
    from crmanalytics.value import customer_summary

    __import__({"pandas": "pandas", "polars": "polars", "duckdb": "duckdb"}[backend])
    t0 = time.perf_counter()
    frame = load(path, backend)
    loaded = time.perf_counter() - t0
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    if call == "customer_summary":
        out = customer_summary(frame, observation_end="2024-12-31")
    elif call == "rfm_table":
        out = rfm_table(frame, observation_end="2024-12-31")
    else:
        out = sequential_rules(frame, min_support=0.01, max_gap=pd.Timedelta(days=30))
    import narwhals.stable.v2 as nw

    result = nw.from_native(out)
    if isinstance(result, nw.LazyFrame):
        result = result.collect()
    seconds = time.perf_counter() - t0
    return {
        "load_s": loaded,
        "seconds": seconds,
        "rss_loaded_mb": rss_loaded,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "out_rows": float(result.shape[0]),
    }


def measure(rows: int, backend: str, call: str) -> dict[str, float]:
    """Run one case in a fresh process (own peak memory)."""
    done = subprocess.run(
        [sys.executable, __file__, "--case", str(rows), backend, call],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--inputs", nargs="*", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--case", nargs=3, metavar=("ROWS", "BACKEND", "CALL"))
    args = parser.parse_args()
    if args.case:
        rows, backend, call = args.case
        print(json.dumps(run(synthetic(int(rows)), backend, call)))
        return
    print(
        f"{'rows':>11} {'input':<7} {'call':<17} {'load s':>7} {'call s':>7} "
        f"{'RSS loaded MB':>14} {'peak RSS MB':>12} {'out rows':>10}"
    )
    per_million: dict[tuple[str, str], list[str]] = {}
    for rows in args.rows:
        synthetic(rows)
        for call in CALLS:
            for backend in args.inputs:
                f = measure(rows, backend, call)
                print(
                    f"{rows:>11,} {backend:<7} {call:<17} {f['load_s']:>7.2f} "
                    f"{f['seconds']:>7.2f} {f['rss_loaded_mb']:>14,.0f} "
                    f"{f['peak_rss_mb']:>12,.0f} {f['out_rows']:>10,.0f}",
                    flush=True,
                )
                per_million.setdefault((backend, call), []).append(
                    f"{f['seconds'] / rows * 1e6:.3f}"
                )
    print("\nseconds per million rows, at " + ", ".join(f"{r:,}" for r in args.rows) + " rows")
    for (backend, call), values in per_million.items():
        print(f"  {backend:<7} {call:<17} " + "  ".join(values))


if __name__ == "__main__":
    main()
