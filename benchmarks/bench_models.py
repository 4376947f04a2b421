"""Benchmark the Pareto/NBD fit against lifetimes' ParetoNBDFitter, in the same run.

Simulates N Pareto/NBD customers (default 100,000) observed over whole days and
expressed in weeks, fits ``crmanalytics.value.ParetoNBDModel`` and
``lifetimes.ParetoNBDFitter`` on the same per-customer summary, and prints both times,
the ratio and the largest parameter difference, and records them in
``benchmarks/results/results.csv`` (``--no-record`` skips it). Each fit runs in a fresh
subprocess (imports happen before the clock starts).

lifetimes minimises with Nelder-Mead on every customer row, evaluating its
hypergeometric terms with ``scipy.special.hyp2f1``; crmanalytics works on the distinct
``(frequency, recency, T)`` rows with counts, with an analytic gradient (Newton steps
from a subsample fit above 40,000 rows, else L-BFGS-B). ``bench_kernels.py`` does the
same with continuous recency, where rows do not repeat.

Usage::

    PYTHONPATH=src python benchmarks/bench_models.py [--customers N]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _process import purchases
from _runner import in_subprocess

TMP = Path("/tmp/crmanalytics_bench_models")
TRUTH = (0.55, 10.5, 0.6, 12.0)  # r, alpha, s, beta in weeks (CDNOW-like)


def simulate_summary(n: int, seed: int = 0) -> pd.DataFrame:
    """Pareto/NBD customers observed for 26 to 52 weeks, purchase times in whole days."""
    r, alpha, s, beta = TRUTH
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1.0 / alpha, size=n) / 7.0  # per day
    mu = rng.gamma(s, 1.0 / beta, size=n) / 7.0
    T = rng.integers(182, 365, size=n).astype(float)
    death = rng.exponential(1.0 / mu)
    end = np.minimum(death, T)
    x, t_x = purchases(rng, lam, end, whole=True)
    return pd.DataFrame({"frequency": x.astype("int64"), "recency": t_x / 7.0, "T": T / 7.0})


def run_case(case: str) -> dict[str, Any]:
    from lifetimes import ParetoNBDFitter

    from crmanalytics.value import ParetoNBDModel

    summary = pd.read_parquet(TMP / "summary.parquet")
    t0 = time.perf_counter()
    if case == "ours":
        params = list(ParetoNBDModel().fit(summary).params_)
    else:
        fitted = ParetoNBDFitter().fit(summary["frequency"], summary["recency"], summary["T"])
        params = fitted.params_.tolist()
    return {"seconds": time.perf_counter() - t0, "params": params, "rows": len(summary)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--case")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case)))
        return

    TMP.mkdir(exist_ok=True)
    summary = simulate_summary(args.customers)
    summary.to_parquet(TMP / "summary.parquet")
    distinct = len(summary.drop_duplicates())
    load = os.getloadavg()[0]
    ours = in_subprocess(__file__, "--case", "ours")
    ref = in_subprocess(__file__, "--case", "lifetimes")
    diff = np.max(np.abs(np.array(ours["params"]) - np.array(ref["params"])))
    print(
        f"Pareto/NBD fit, {ours['rows']:,} customers ({distinct:,} distinct rows); "
        f"truth r, alpha, s, beta = {TRUTH}"
    )
    print(f"  crmanalytics: {ours['seconds']:8.2f} s  params {np.round(ours['params'], 4)}")
    print(f"  lifetimes   : {ref['seconds']:8.2f} s  params {np.round(ref['params'], 4)}")
    print(f"  speed-up x{ref['seconds'] / ours['seconds']:.1f}; max |param diff| {diff:.2e}")
    if not args.no_record:
        from _record import record

        record(
            "models",
            "ParetoNBDModel.fit (whole-day recency)",
            backend="pandas",
            rows=int(ours["rows"]),
            unit="customers",
            seconds=float(ours["seconds"]),
            peer="lifetimes ParetoNBDFitter",
            peer_seconds=float(ref["seconds"]),
            note=(
                f"{distinct} distinct rows; max |param diff| {diff:.1e}; "
                f"load average {load:.2f} at start"
            ),
        )


if __name__ == "__main__":
    main()
