"""Benchmarks for simulate(), pseudonymize() and map_online_retail().

Run from the repository root: ``PYTHONPATH=src python benchmarks/bench_datasets.py``.
Peers, measured in the same run:

* simulate: lifetimes' ``generate_data.beta_geometric_nbd_model`` (BG/NBD purchase
  timing only, a Python loop over customers), at the same size;
* pseudonymize: a per-row ``hmac`` loop over a pandas column (``Series.map``).
"""

from __future__ import annotations

import hashlib
import hmac
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crmanalytics.datasets import map_online_retail, simulate
from crmanalytics.privacy import pseudonymize

KEY = "benchmark key, not a secret one"


def measure(fn: Callable[[], Any], repeat: int = 2) -> tuple[float, float]:
    """Best wall time in seconds (untraced runs) and peak traced memory in MiB (one run)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak / 2**20


def bench_simulate() -> None:
    for n in (10_000, 100_000):
        seconds, mib = measure(lambda n=n: simulate(n, seed=1))
        print(f"simulate({n:,}): {seconds:.2f} s, peak {mib:.0f} MiB")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes.generate_data import beta_geometric_nbd_model

    n = 10_000
    ours, _ = measure(lambda: simulate(n, seed=1), repeat=1)
    peer, _ = measure(
        lambda: beta_geometric_nbd_model(546.0, 0.25, 30.0, 0.8, 2.4, size=n), repeat=1
    )
    print(
        f"simulate vs lifetimes.beta_geometric_nbd_model at {n:,} customers: "
        f"{ours:.2f} s vs {peer:.2f} s, {peer / ours:.1f}x faster "
        "(ours also draws spend, products, NPS, complaints, campaigns, page views)"
    )


def bench_pseudonymize() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 100_000, size=1_000_000),
            "amount": rng.gamma(2.0, 10.0, size=1_000_000),
        }
    )
    key = KEY.encode()

    def naive() -> pd.Series:
        return frame["customer_id"].map(
            lambda v: hmac.new(key, str(v).encode(), hashlib.sha256).hexdigest()
        )

    ours, mib = measure(lambda: pseudonymize(frame, "customer_id", key=KEY))
    peer, _ = measure(naive, repeat=1)
    print(
        f"pseudonymize 1,000,000 rows / 100,000 ids (pandas): {ours:.2f} s, peak {mib:.0f} MiB; "
        f"per-row hmac map: {peer:.2f} s; {peer / ours:.1f}x faster"
    )
    import duckdb
    import polars as pl

    lazy = pl.from_pandas(frame).lazy()
    seconds, _ = measure(lambda: pseudonymize(lazy, "customer_id", key=KEY).collect())
    print(f"pseudonymize polars lazy (incl. collect): {seconds:.2f} s")
    rel = duckdb.connect().from_df(frame)
    seconds, _ = measure(lambda: pseudonymize(rel, "customer_id", key=KEY).fetchall())
    print(f"pseudonymize duckdb (incl. fetch): {seconds:.2f} s")


def bench_online_retail() -> None:
    path = Path(__file__).resolve().parent.parent / "data" / "online_retail.parquet"
    raw = pd.read_parquet(path)

    def run() -> pd.DataFrame:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return map_online_retail(raw, invalid="drop")

    seconds, mib = measure(run)
    print(f"map_online_retail ({len(raw):,} lines): {seconds:.2f} s, peak {mib:.0f} MiB")


if __name__ == "__main__":
    bench_simulate()
    bench_pseudonymize()
    bench_online_retail()
