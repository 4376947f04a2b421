"""End to end, out of core: summary -> BG/NBD -> P(alive) -> Gamma-Gamma -> CLV -> Parquet.

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/bench_out_of_core.py                 # 10M, 30M, 100M
    PYTHONPATH=src python benchmarks/bench_out_of_core.py --rows 10000000
    PYTHONPATH=src python benchmarks/bench_out_of_core.py --rows 10000000 --engines duckdb

For each size it writes (once) a Parquet file of about ``rows`` transactions of
``rows / 25`` customers under ``benchmarks/.cache`` (not committed), simulated from a
BG/NBD purchase process (weekly rates ``Gamma(r, alpha)``, dropout ``Beta(a, b)``) with
Gamma-Gamma spend, customers acquired over a year and observed for two. It is written in
chunks of customers, vectorised with numpy, so memory stays small.

Then, each in a fresh Python process (so its peak RSS is its own), on DuckDB (a
relation over the Parquet file) and on Polars lazy (``pl.scan_parquet``):

DuckDB runs with ``memory_limit`` set to ``DUCKDB_MEMORY_LIMIT`` (2 GB) in both
cases; Polars with its defaults.

* ``floor``: the engine's own scan and group-by of the file (per customer count, min and
  max of the timestamp, sum of the amount), collected: the physical floor;
* ``pipeline``: ``customer_summary(time_unit="W")``, materialised once in the engine
  (see docs/user_guide/scale.rst) -> ``BetaGeoModel().fit`` -> ``churn_probability`` ->
  ``GammaGammaModel().fit`` -> ``customer_lifetime_value`` -> both joined per customer
  and written to Parquet by the engine.

Every figure goes to ``benchmarks/results/results.csv`` (``benchmarks/_record.py``),
the pipeline with the floor as its peer (ratio = floor / pipeline, so 0.125 is 8x).

Check: the customers of the first 1,000,000 rows of the file are run through the same
pipeline on pandas (with the parameters fitted on the whole file) and their churn
probability and CLV must equal the engines' to 1e-9.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from _runner import in_subprocess, peak_mb

CACHE = Path(__file__).resolve().parent / ".cache"
SIZES = (10_000_000, 30_000_000, 100_000_000)
ENGINES = ("duckdb", "polars-lazy")
PER_CUSTOMER = 25
#: BG/NBD (weekly) and Gamma-Gamma parameters of the simulation.
BGNBD = {"r": 2.0, "alpha": 4.0, "a": 0.5, "b": 11.6}
GG = {"p": 6.0, "q": 4.0, "v": 15.0}
START = np.datetime64("2023-01-01T00:00:00", "s")
ACQUIRE_DAYS = 365
OBSERVE_DAYS = 730
CHUNK_CUSTOMERS = 400_000
SAMPLE_ROWS = 1_000_000


def _simulate_chunk(rng: np.random.Generator, first_id: int, n: int) -> dict[str, np.ndarray]:
    """Transactions of ``n`` BG/NBD + Gamma-Gamma customers, ids from ``first_id``."""
    lam = rng.gamma(BGNBD["r"], 1.0 / BGNBD["alpha"], n) / 7.0  # purchases per day
    drop = rng.beta(BGNBD["a"], BGNBD["b"], n)
    nu = rng.gamma(GG["q"], 1.0 / GG["v"], n)  # spend scale (rate) per customer
    start = rng.uniform(0.0, ACQUIRE_DAYS, n)
    ids, days = [np.arange(n)], [start]
    clock = start.copy()
    active = np.flatnonzero(rng.uniform(size=n) >= drop)  # may drop after the first purchase
    while active.size:
        clock[active] += rng.exponential(1.0, active.size) / lam[active]
        active = active[clock[active] < OBSERVE_DAYS]
        ids.append(active)
        days.append(clock[active])
        active = active[rng.uniform(size=active.size) >= drop[active]]
    who = np.concatenate(ids)
    day = np.concatenate(days)
    amount = np.round(rng.gamma(GG["p"], 1.0, who.size) / nu[who], 2) + 0.01
    seconds = np.floor(day * 86_400).astype(np.int64)
    return {
        "customer_id": who.astype(np.int64) + first_id,
        "timestamp": START + seconds.astype("timedelta64[s]"),
        "amount": amount,
    }


def synthetic(rows: int, seed: int = 17) -> Path:
    """Write (once) and return the Parquet file of about ``rows`` transactions."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = CACHE / f"btyd_{rows}.parquet"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    customers = max(rows // PER_CUSTOMER, 1)
    tmp = path.with_suffix(".tmp")
    written = 0
    with pq.ParquetWriter(tmp, _schema(), compression="snappy") as writer:
        for first in range(0, customers, CHUNK_CUSTOMERS):
            cols = _simulate_chunk(rng, first, min(CHUNK_CUSTOMERS, customers - first))
            cols["timestamp"] = cols["timestamp"].astype("datetime64[us]")
            writer.write_table(pa.table(cols, schema=_schema()), row_group_size=1_000_000)
            written += cols["amount"].size
    tmp.rename(path)
    print(f"wrote {path.name}: {written:,} transactions of {customers:,} customers")
    return path


def _schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [("customer_id", pa.int64()), ("timestamp", pa.timestamp("us")), ("amount", pa.float64())]
    )


#: DuckDB's memory budget in both cases (its default is 80% of the machine's memory;
#: above the budget its aggregations spill to disk), as the scaling guide advises.
DUCKDB_MEMORY_LIMIT = "2GB"


def _duckdb() -> Any:
    import duckdb

    duckdb.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
    return duckdb


def _native(engine: str, path: Path) -> Any:
    if engine == "duckdb":
        return _duckdb().read_parquet(str(path))
    import polars as pl

    return pl.scan_parquet(path)


def _floor(engine: str, path: Path) -> int:
    """The engine's own scan and group-by of the file, collected (the physical floor)."""
    if engine == "duckdb":
        rel = _duckdb().sql(
            f"SELECT customer_id, count(*) AS n, min(timestamp) AS first, "
            f"max(timestamp) AS last, sum(amount) AS spend FROM read_parquet('{path}') "
            "GROUP BY customer_id"
        )
        return len(rel.to_arrow_table())
    import polars as pl

    out = (
        pl.scan_parquet(path)
        .group_by("customer_id")
        .agg(
            pl.len().alias("n"),
            pl.col("timestamp").min().alias("first"),
            pl.col("timestamp").max().alias("last"),
            pl.col("amount").sum().alias("spend"),
        )
        .collect(engine="streaming")
    )
    return out.height


def materialised(summary: Any) -> Any:
    """The summary computed once in its engine, as the scaling guide says to do."""
    if hasattr(summary, "materialize"):  # DuckDB relation
        return summary.materialize()
    return summary.collect(engine="streaming").lazy()  # Polars LazyFrame


def pipeline(native: Any, out: Path, steps: dict[str, float]) -> dict[str, Any]:
    """Summary -> BG/NBD -> P(alive) -> Gamma-Gamma -> CLV, joined and written to ``out``."""
    import narwhals.stable.v2 as nw

    from crmanalytics.churn import churn_probability
    from crmanalytics.value import (
        BetaGeoModel,
        GammaGammaModel,
        customer_lifetime_value,
        customer_summary,
    )

    def step(name: str, t0: float) -> float:
        now = time.perf_counter()
        steps[name] = now - t0
        return now

    t = time.perf_counter()
    summary = materialised(customer_summary(native, time_unit="W"))
    t = step("summary", t)
    bg = BetaGeoModel().fit(summary, time_unit="W")
    t = step("bgnbd_fit", t)
    churn = churn_probability(bg, summary)
    t = step("churn", t)
    gg = GammaGammaModel().fit(summary, time_unit="W")
    t = step("gamma_gamma_fit", t)
    clv = customer_lifetime_value(summary, bg, gg)
    t = step("clv_plan", t)
    joined = nw.from_native(churn).join(nw.from_native(clv), on="customer_id", how="inner")
    result = nw.to_native(joined)
    if hasattr(result, "write_parquet") and not hasattr(result, "sink_parquet"):
        result.write_parquet(str(out))
    else:
        result.sink_parquet(out, engine="streaming")
    step("clv_and_write", t)
    return {"bg": list(bg.params_), "gg": list(gg.params_)}


def run_case(case: str, engine: str, path: Path) -> dict[str, Any]:
    """One measurement in this process; imports happen before the clock starts."""
    import crmanalytics.churn
    import crmanalytics.value  # noqa: F401

    out = CACHE / f"result_{engine}_{path.stem}.parquet"
    steps: dict[str, float] = {}
    native = _native(engine, path)
    t0 = time.perf_counter()
    if case == "floor":
        extra: dict[str, Any] = {"customers": _floor(engine, path)}
    else:
        extra = pipeline(native, out, steps)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "peak_mb": peak_mb(), "steps": steps, **extra}


def check_sample(path: Path, engine: str, params: dict[str, Any]) -> float:
    """Largest |difference| of churn and CLV between the engine and pandas on a sample."""
    import pandas as pd
    import pyarrow.parquet as pq

    from crmanalytics.churn import churn_probability
    from crmanalytics.value import (
        BetaGeoModel,
        BetaGeoParams,
        GammaGammaModel,
        GammaGammaParams,
        customer_lifetime_value,
        customer_summary,
    )

    head = pq.ParquetFile(path).iter_batches(batch_size=SAMPLE_ROWS, columns=["customer_id"])
    sample_ids = np.unique(next(head).column(0).to_numpy())
    table = pq.read_table(path, filters=[("customer_id", "in", sample_ids.tolist())])
    tx = table.to_pandas()
    # the observation end of the whole file (from the row groups' statistics), so T
    # is the same as in the engine run
    meta = pq.ParquetFile(path).metadata
    column = meta.schema.names.index("timestamp")
    end = max(meta.row_group(i).column(column).statistics.max for i in range(meta.num_row_groups))
    summary = customer_summary(tx, time_unit="W", observation_end=pd.Timestamp(end))
    bg = BetaGeoModel.from_params(BetaGeoParams(*params["bg"]), time_unit="W")
    gg = GammaGammaModel.from_params(GammaGammaParams(*params["gg"]))
    expected = churn_probability(bg, summary).merge(
        customer_lifetime_value(summary, bg, gg), on="customer_id"
    )
    got = pd.read_parquet(CACHE / f"result_{engine}_{path.stem}.parquet")
    got = got[got["customer_id"].isin(sample_ids)]
    both = expected.merge(got, on="customer_id", suffixes=("", "_engine"))
    assert len(both) == len(expected) == sample_ids.size, (len(both), len(expected))
    return float(
        max(
            np.max(np.abs(both["churn_probability"] - both["churn_probability_engine"])),
            np.max(np.abs(both["clv"] - both["clv_engine"])),
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--engines", nargs="*", default=list(ENGINES), choices=ENGINES)
    parser.add_argument("--no-check", action="store_true", help="skip the pandas sample check")
    parser.add_argument("--case")
    parser.add_argument("--engine")
    parser.add_argument("--path")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.engine, Path(args.path))))
        return

    from _record import record

    for rows in args.rows:
        t0 = time.perf_counter()
        path = synthetic(rows)
        print(f"data: {path} ({time.perf_counter() - t0:.1f} s to write or find)")
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(path).metadata
        n_rows = meta.num_rows
        for engine in args.engines:
            floor = in_subprocess(
                __file__, "--case", "floor", "--engine", engine, "--path", str(path)
            )
            ours = in_subprocess(
                __file__, "--case", "pipeline", "--engine", engine, "--path", str(path)
            )
            diff = None if args.no_check else check_sample(path, engine, ours)
            slower = ours["seconds"] / floor["seconds"]
            steps = ", ".join(f"{k} {v:.1f}" for k, v in ours["steps"].items())
            print(
                f"  {engine:12s} {n_rows:>12,} rows  floor {floor['seconds']:6.1f} s "
                f"({floor['peak_mb']:.0f} MB)  pipeline {ours['seconds']:6.1f} s "
                f"({ours['peak_mb']:.0f} MB)  x{slower:.1f} the floor  [{steps}]"
                + ("" if diff is None else f"  sample max |diff| vs pandas {diff:.1e}")
            )
            note = f"{floor['customers']:,} customers; steps (s): {steps}" + (
                "" if diff is None else f"; pandas sample max |diff| {diff:.1e}"
            )
            record(
                "out_of_core",
                "engine scan+group-by (floor)",
                backend=engine,
                rows=n_rows,
                unit="transactions",
                seconds=floor["seconds"],
                peak_mb=floor["peak_mb"],
            )
            record(
                "out_of_core",
                "summary->BG/NBD->P(alive)->Gamma-Gamma->CLV->Parquet",
                backend=engine,
                rows=n_rows,
                unit="transactions",
                seconds=ours["seconds"],
                peak_mb=ours["peak_mb"],
                peer="engine scan+group-by (floor)",
                peer_seconds=floor["seconds"],
                note=note,
            )


if __name__ == "__main__":
    main()
