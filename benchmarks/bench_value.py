"""Benchmark crmanalytics.value against lifetimes, measured in the same run.

Cases (each runs in a fresh subprocess so that its peak memory is its own):

* ``fit``: BG/NBD fit on a simulated summary of N customers (default 1,000,000), ours
  against ``lifetimes.BetaGeoFitter`` on the same rows; estimates compared.
* ``summary``: ``customer_summary`` on M pandas transactions (default 5,000,000)
  against ``lifetimes.utils.summary_data_from_transaction_data``; numbers compared;
  plus the same transactions as a Polars frame, a Polars LazyFrame and a DuckDB
  relation.

Usage::

    PYTHONPATH=src python benchmarks/bench_value.py [--customers N] [--transactions M]
        [--lifetimes-customers K]

``--lifetimes-customers`` fits lifetimes on the first K customers only (when it would
take too long on all of them); the ratio is then per customer and says so.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _runner import in_subprocess, peak_mb

TMP = Path("/tmp/crmanalytics_bench_value")
TRUTH = (0.6, 8.0, 0.9, 3.0)  # r, alpha, a, b in weeks


def simulate_summary(n: int, seed: int = 0) -> pd.DataFrame:
    """BG/NBD customers observed over whole days, expressed in weeks."""
    r, alpha, a, b = TRUTH
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1.0 / alpha, size=n) / 7.0  # per day
    p = rng.beta(a, b, size=n)
    T = rng.integers(180, 365, size=n).astype(float)
    x = np.zeros(n)
    t_x = np.zeros(n)
    clock = np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        clock[idx] += rng.exponential(1.0 / lam[idx])
        past = clock[idx] > T[idx]
        active[idx[past]] = False
        buy = idx[~past]
        x[buy] += 1
        t_x[buy] = np.floor(clock[buy])
        dies = rng.uniform(size=buy.size) < p[buy]
        active[buy[dies]] = False
    return pd.DataFrame({"frequency": x.astype("int64"), "recency": t_x / 7.0, "T": T / 7.0})


def simulate_transactions(m: int, seed: int = 1) -> pd.DataFrame:
    """M transactions of about M / 10 customers over two years."""
    rng = np.random.default_rng(seed)
    n_customers = max(m // 10, 1)
    customer = rng.integers(0, n_customers, size=m)
    start = pd.Timestamp("2022-01-01").value
    seconds = rng.integers(0, 2 * 365 * 86_400, size=m)
    return pd.DataFrame(
        {
            "customer_id": customer,
            "timestamp": pd.to_datetime(start + seconds * 1_000_000_000),
            "amount": rng.gamma(2.0, 20.0, size=m).round(2),
        }
    )


def summary_input(case: str, tx: pd.DataFrame) -> Any:
    """The transactions in the input type the case names."""
    if case == "summary-polars":
        import polars as pl

        return pl.from_pandas(tx)
    if case == "summary-polars-lazy":
        import polars as pl

        return pl.from_pandas(tx).lazy()
    if case == "summary-duckdb":
        import duckdb
        import pyarrow as pa

        return duckdb.connect().from_arrow(pa.Table.from_pandas(tx, preserve_index=False))
    return tx


def run_case(case: str, arg: int) -> dict[str, Any]:
    """One measurement, in this process (imports happen before the clock starts)."""
    import narwhals.stable.v2 as nw
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import summary_data_from_transaction_data

    from crmanalytics.value import BetaGeoModel, customer_summary

    if case.startswith("fit"):
        summary = pd.read_parquet(TMP / "summary.parquet")
        if case == "fit-lifetimes":
            summary = summary.iloc[:arg]
        before = peak_mb()
        t0 = time.perf_counter()
        if case == "fit-ours":
            params = list(BetaGeoModel().fit(summary).params_)
        else:
            fitted = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
            params = fitted.params_.tolist()
        seconds = time.perf_counter() - t0
        return {
            "seconds": seconds,
            "params": params,
            "rows": len(summary),
            "peak_mb": peak_mb(),
            "baseline_mb": before,
        }

    tx = pd.read_parquet(TMP / "transactions.parquet")
    if case.endswith("-us"):  # the same instants at microsecond resolution
        case = case[: -len("-us")]
        tx["timestamp"] = tx["timestamp"].astype("datetime64[us]")
    else:
        tx["timestamp"] = tx["timestamp"].astype("datetime64[ns]")
    end = tx["timestamp"].max()
    native = summary_input(case, tx)
    before = peak_mb()
    t0 = time.perf_counter()
    if case == "summary-lifetimes":
        result = summary_data_from_transaction_data(
            tx, "customer_id", "timestamp", "amount", observation_period_end=end
        ).reset_index()
    else:
        out = customer_summary(native, observation_end=end)
        frame = nw.from_native(out)
        if isinstance(frame, nw.LazyFrame):
            frame = frame.collect()
        result = frame.to_pandas()
    seconds = time.perf_counter() - t0
    result = result.sort_values("customer_id").reset_index(drop=True)
    result.to_parquet(TMP / f"{case}-{tx['timestamp'].dtype.str[-3:-1]}.parquet")
    return {"seconds": seconds, "rows": len(result), "peak_mb": peak_mb(), "baseline_mb": before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lifetimes-customers", type=int, default=0)
    parser.add_argument("--transactions", type=int, default=5_000_000)
    parser.add_argument("--only", choices=("fit", "summary"), help="run one part (default: both)")
    parser.add_argument("--case")
    parser.add_argument("--arg", type=int, default=0)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.arg)))
        return

    TMP.mkdir(exist_ok=True)
    if args.only != "summary":
        simulate_summary(args.customers).to_parquet(TMP / "summary.parquet")
        compare_fit(args)
    if args.only != "fit":
        simulate_transactions(args.transactions).to_parquet(TMP / "transactions.parquet")
        compare_summary(args)


def compare_fit(args: argparse.Namespace) -> None:
    lt_n = args.lifetimes_customers or args.customers
    ours = in_subprocess(__file__, "--case", "fit-ours")
    ref = in_subprocess(__file__, "--case", "fit-lifetimes", "--arg", str(lt_n))
    per_customer = (ref["seconds"] / ref["rows"]) / (ours["seconds"] / ours["rows"])
    print(f"BG/NBD fit, {ours['rows']:,} customers (truth r, alpha, a, b = {TRUTH})")
    print(
        f"  crmanalytics: {ours['seconds']:8.2f} s  peak RSS {ours['peak_mb']:7.0f} MB "
        f"(data loaded: {ours['baseline_mb']:.0f} MB)  params {np.round(ours['params'], 4)}"
    )
    print(
        f"  lifetimes   : {ref['seconds']:8.2f} s  peak RSS {ref['peak_mb']:7.0f} MB "
        f"(data loaded: {ref['baseline_mb']:.0f} MB)  params {np.round(ref['params'], 4)}"
        f"  on {ref['rows']:,} customers"
    )
    if ref["rows"] == ours["rows"]:
        diff = np.max(np.abs(np.array(ours["params"]) - np.array(ref["params"])))
        print(f"  speed-up x{ref['seconds'] / ours['seconds']:.1f}; max |param diff| {diff:.2e}")
    else:
        print(f"  speed-up per customer x{per_customer:.1f} (lifetimes on a subset)")


def compare_summary(args: argparse.Namespace) -> None:
    """customer_summary against lifetimes with ns and with us timestamps, same run."""
    from _record import record

    for resolution in ("ns", "us"):
        suffix = "" if resolution == "ns" else "-us"
        print(f"\ncustomer_summary, {args.transactions:,} transactions, {resolution} timestamps")
        base = in_subprocess(__file__, "--case", "summary-lifetimes" + suffix)
        print(
            f"  lifetimes summary_data_from_transaction_data: {base['seconds']:8.2f} s  "
            f"peak RSS {base['peak_mb']:.0f} MB (data loaded: {base['baseline_mb']:.0f} MB)"
        )
        expected = pd.read_parquet(TMP / f"summary-lifetimes-{resolution}.parquet")
        cases = ("summary-pandas",)
        if resolution == "ns":
            cases += ("summary-polars", "summary-polars-lazy", "summary-duckdb")
        for case in cases:
            res = in_subprocess(__file__, "--case", case + suffix)
            got = pd.read_parquet(TMP / f"{case}-{resolution}.parquet")
            same = (
                all(
                    np.allclose(
                        got[c].to_numpy(float), expected[c].to_numpy(float), rtol=1e-12, atol=1e-9
                    )
                    for c in ("frequency", "recency", "T", "monetary_value")
                )
                and (got["customer_id"].to_numpy() == expected["customer_id"].to_numpy()).all()
            )
            print(
                f"  {case:22s}: {res['seconds']:8.2f} s  x{base['seconds'] / res['seconds']:5.1f} "
                f"vs lifetimes  peak RSS {res['peak_mb']:.0f} MB (data loaded: "
                f"{res['baseline_mb']:.0f} MB)  identical numbers: {same}"
            )
            record(
                "value",
                f"customer_summary ({resolution} timestamps)",
                backend=case.removeprefix("summary-"),
                rows=args.transactions,
                unit="transactions",
                seconds=res["seconds"],
                peak_mb=res["peak_mb"],
                peer="lifetimes summary_data_from_transaction_data",
                peer_seconds=base["seconds"],
                note=f"numbers equal lifetimes (rtol 1e-12): {same}",
            )


if __name__ == "__main__":
    main()
