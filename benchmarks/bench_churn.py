"""Churn benchmarks: crmanalytics against plain pandas recipes and scikit-learn.

Run from the repository root:  PYTHONPATH=src python benchmarks/bench_churn.py
Prints wall time (best of 3), the ratio to the peer measured in the same run, and the
peak Python memory (tracemalloc) of one call.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import polars as pl
from sklearn.metrics import roc_auc_score

from crmanalytics.churn import churn_dataset, churn_rate, cohort_retention, evaluate_churn
from crmanalytics.datasets import simulate


def best_of(fn: Callable[[], Any], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_mb(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def pandas_cohort_retention(t: pd.DataFrame) -> pd.DataFrame:
    """The usual pandas recipe (to_period, groupby, unstack)."""
    p = t["timestamp"].dt.to_period("M")
    first = p.groupby(t["customer_id"]).transform("min")
    k = (p.astype("int64") - first.astype("int64")).rename("k")
    df = pd.DataFrame({"c": t["customer_id"], "cohort": first, "k": k}).drop_duplicates()
    counts = df.pivot_table(index="cohort", columns="k", values="c", aggfunc="nunique")
    return counts.div(counts[0], axis=0)


def report(name: str, ours: float, peer: float | None, peer_name: str, mem: float) -> None:
    ratio = f"{ours / peer:6.2f}x {peer_name}" if peer else ""
    print(f"{name:<44} {ours * 1e3:9.1f} ms  {ratio:<34} peak {mem:7.1f} MB")


def main() -> None:
    data = simulate(20_000, seed=1)
    t, i = data.transactions, data.interactions
    print(f"simulate(20_000): {len(t):,} transactions, {len(i):,} interactions\n")

    peer = best_of(lambda: pandas_cohort_retention(t))
    for label, native in [
        ("pandas", t),
        ("polars", pl.from_pandas(t)),
        ("duckdb", duckdb.from_df(t)),
    ]:
        ours = best_of(lambda native=native: cohort_retention(native))
        mem = peak_mb(lambda native=native: cohort_retention(native))
        report(f"cohort_retention (M, {label})", ours, peer, "pandas recipe", mem)

    for label, native in [("pandas", t), ("polars", pl.from_pandas(t))]:
        ours = best_of(lambda native=native: churn_rate(native, inactivity=90))
        mem = peak_mb(lambda native=native: churn_rate(native, inactivity=90))
        report(f"churn_rate (M, 90 d, {label})", ours, None, "", mem)

    for label, (nt, ni) in [("pandas", (t, i)), ("polars", (pl.from_pandas(t), pl.from_pandas(i)))]:
        ours = best_of(
            lambda nt=nt, ni=ni: churn_dataset(nt, ni, cutoff="2024-09-30", horizon=90), repeat=2
        )
        mem = peak_mb(lambda nt=nt, ni=ni: churn_dataset(nt, ni, cutoff="2024-09-30", horizon=90))
        report(f"churn_dataset (+interactions, {label})", ours, None, "", mem)

    rng = np.random.default_rng(0)
    scores = rng.uniform(size=1_000_000)
    labels = rng.uniform(size=1_000_000) < scores
    peer = best_of(lambda: roc_auc_score(labels, scores))
    ours = best_of(lambda: evaluate_churn(scores, labels))
    report(
        "evaluate_churn (1e6 scores)",
        ours,
        peer,
        "sklearn roc_auc_score",
        peak_mb(lambda: evaluate_churn(scores, labels)),
    )


if __name__ == "__main__":
    main()
