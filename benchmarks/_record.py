"""One results table for every benchmark: ``benchmarks/results/results.csv``.

Each benchmark calls :func:`record` once per measured figure. A row is keyed by
``(benchmark, case, backend, rows)``: running a benchmark again replaces its own rows and
leaves the others, so the table always holds the latest run of each case. Every row
carries the machine it ran on (CPU model, cores, memory, Python) and the date, and the
docs' performance page (``docs/performance.rst``) shows the table as it is committed.

Columns
-------
benchmark   script name without ``bench_`` (``models``, ``out_of_core``, ...)
case        what was timed (``BetaGeoModel.fit``, ``customer_summary`` ...)
backend     engine or input type (``pandas``, ``duckdb``, ``polars-lazy``, ``pyspark``)
rows        input size (transactions or customers, as ``unit`` says)
unit        what ``rows`` counts
seconds     wall-clock time of crmanalytics
peak_mb     peak resident memory of the measuring process, when measured (else empty)
peer        what it is compared with (``lifetimes``, ``duckdb scan+group-by``, ...)
peer_seconds  the peer's time in the same run (else empty)
ratio       peer_seconds / seconds (speed-up; < 1 means slower than the peer)
note        anything a reader needs (parameters agree to 1e-4, ...)
machine     CPU model, cores and memory
load        the 1-minute load average when the figure was recorded (above the core
            count, other work was competing for the CPU); ``python`` and ``date`` follow
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import platform
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "results.csv"
FIELDS = (
    "benchmark",
    "case",
    "backend",
    "rows",
    "unit",
    "seconds",
    "peak_mb",
    "peer",
    "peer_seconds",
    "ratio",
    "note",
    "machine",
    "load",
    "python",
    "date",
)
KEY = ("benchmark", "case", "backend", "rows")


def machine() -> str:
    """CPU model, logical cores and memory of this machine, e.g. ``AMD EPYC (2 cores, 24 GiB)``."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f", {int(line.split()[1]) / 2**20:.0f} GiB"
                break
    return f"{model} ({os.cpu_count()} cores{memory})"


def _fmt(value: float | int | str | None, digits: int = 3) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 1e4 else f"{value:.0f}"
    return str(value)


def record(
    benchmark: str,
    case: str,
    *,
    backend: str,
    rows: int,
    unit: str,
    seconds: float,
    peak_mb: float | None = None,
    peer: str = "",
    peer_seconds: float | None = None,
    note: str = "",
) -> dict[str, str]:
    """Add (or replace) one measured figure in ``benchmarks/results/results.csv``.

    Returns the row as written. ``ratio`` is computed as ``peer_seconds / seconds``.
    """
    ratio = None if peer_seconds is None or seconds <= 0 else peer_seconds / seconds
    row = {
        "benchmark": benchmark,
        "case": case,
        "backend": backend,
        "rows": str(rows),
        "unit": unit,
        "seconds": _fmt(seconds),
        "peak_mb": _fmt(None if peak_mb is None else round(peak_mb)),
        "peer": peer,
        "peer_seconds": _fmt(peer_seconds),
        "ratio": _fmt(ratio, 2) if ratio is not None else "",
        "note": note,
        "machine": machine(),
        "load": f"{os.getloadavg()[0]:.1f}",
        "python": platform.python_version(),
        "date": dt.date.today().isoformat(),
    }
    existing: list[dict[str, str]] = []
    if RESULTS.exists():
        with RESULTS.open(newline="") as handle:
            existing = list(csv.DictReader(handle))
    key = tuple(row[k] for k in KEY)
    kept = [r for r in existing if tuple(r.get(k, "") for k in KEY) != key]
    kept.append(row)
    kept.sort(key=lambda r: (r["benchmark"], r["case"], r["backend"], int(r["rows"] or 0)))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows({k: r.get(k, "") for k in FIELDS} for r in kept)
    return row
