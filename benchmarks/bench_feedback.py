"""Benchmark: NPS per group in the caller's engine vs a hand-written pandas groupby.

Peer: the few lines an analyst would write in pandas (classify, groupby-sum, Wald
formula in numpy). crmanalytics additionally validates the table and checks every
score, so a ratio a little above 1 on pandas is the price of those checks.

Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_feedback.py [rows]
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import polars as pl

from crmanalytics.feedback import nps, nps_by, nps_trend


def make(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "customer_id": rng.integers(0, rows // 5, rows),
            "timestamp": pd.Timestamp("2022-01-01")
            + pd.to_timedelta(rng.integers(0, 3 * 365 * 86_400, rows), unit="s"),
            "kind": "nps",
            "channel": rng.choice(["web", "app", "store", "phone", "email"], rows),
            "score": rng.integers(0, 11, rows).astype(float),
        }
    )


def peer(df: pd.DataFrame) -> pd.DataFrame:
    answers = df[df["kind"] == "nps"]
    s = answers["score"]
    flags = pd.DataFrame(
        {
            "channel": answers["channel"],
            "pro": (s >= 9).astype(int),
            "pas": ((s >= 7) & (s < 9)).astype(int),
            "det": (s < 7).astype(int),
        }
    )
    g = flags.groupby("channel").sum()
    n = g.sum(axis=1).to_numpy()
    p, d = g["pro"].to_numpy() / n, g["det"].to_numpy() / n
    se = 100 * np.sqrt((p + d - (p - d) ** 2) / n)
    return g.assign(nps=100 * (p - d), se=se, low=100 * (p - d) - 1.96 * se)


def timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, float]:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        if isinstance(result, pl.LazyFrame):
            result.collect()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak / 2**20


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    df = make(rows)
    polars_df = pl.from_pandas(df)
    con = duckdb.connect()
    rel = con.from_arrow(polars_df.to_arrow())
    peer_s, peer_mb = timed(lambda: peer(df))
    print(f"rows: {rows:,}")
    print(f"{'case':38s} {'seconds':>8s} {'x peer':>7s} {'peak MiB (python heap)':>23s}")
    print(f"{'peer: hand-written pandas groupby':38s} {peer_s:8.3f} {1.0:7.2f} {peer_mb:23.1f}")
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("nps_by pandas (wald)", lambda: nps_by(df, by="channel")),
        ("nps_by pandas (adjusted-wald)", lambda: nps_by(df, by="channel", method="adjusted-wald")),
        ("nps_by polars", lambda: nps_by(polars_df, by="channel")),
        ("nps_by polars lazy", lambda: nps_by(polars_df.lazy(), by="channel")),
        ("nps_by duckdb", lambda: nps_by(rel, by="channel")),
        ("nps_trend pandas (month x channel)", lambda: nps_trend(df, by="channel")),
        ("nps_trend polars (month x channel)", lambda: nps_trend(polars_df, by="channel")),
        (
            "nps_by pandas (bootstrap 2000, seed)",
            lambda: nps_by(df, by="channel", method="bootstrap", seed=0),
        ),
    ]
    for name, fn in cases:
        seconds, mb = timed(fn)
        print(f"{name:38s} {seconds:8.3f} {seconds / peer_s:7.2f} {mb:23.1f}")
    scores = df["score"].to_numpy()
    np_s, np_mb = timed(lambda: np.bincount(scores.astype(np.int64), minlength=11))
    one_s, one_mb = timed(lambda: nps(scores))
    print(f"{'peer: numpy bincount of 1-D scores':38s} {np_s:8.3f} {1.0:7.2f} {np_mb:23.1f}")
    print(f"{'nps(numpy array)':38s} {one_s:8.3f} {one_s / np_s:7.2f} {one_mb:23.1f}")


if __name__ == "__main__":
    main()
