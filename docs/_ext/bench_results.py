"""Sphinx directive ``.. benchmark-results::``: the committed benchmark table, rendered.

The performance page is never written by hand: this directive reads
``benchmarks/results/results.csv`` (written by ``benchmarks/_record.py``) at build time
and renders one table per benchmark, followed by the machines and dates the figures come
from. With no results yet it says so instead of failing. ``:benchmark: name`` renders
only that benchmark's table (for a user guide page that quotes its figures).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import Directive, directives
from docutils.statemachine import StringList

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "results.csv"
SHOWN = (
    ("case", "case"),
    ("backend", "backend"),
    ("rows", "rows"),
    ("seconds", "seconds"),
    ("peak_mb", "peak MB"),
    ("peer", "compared with"),
    ("peer_seconds", "its seconds"),
    ("ratio", "speed-up"),
    ("load", "load"),
)


def _cell(row: dict[str, str], key: str) -> str:
    value = row.get(key, "") or "\u2013"  # an en dash: a lone "-" would be a bullet list
    if key == "rows" and value.isdigit():
        unit = row.get("unit", "")
        return f"{int(value):,} {unit}".strip()
    return value.replace("|", "/")


def results_rst(rows: list[dict[str, str]]) -> list[str]:
    """Render the results rows as one list-table per benchmark plus a machines list."""
    if not rows:
        return ["No benchmark has recorded a result yet.", ""]
    by_bench: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_bench[row["benchmark"]].append(row)
    lines: list[str] = []
    for bench, group in sorted(by_bench.items()):
        lines += [
            f"**{bench}**, from ``benchmarks/bench_{bench}.py``:",
            "",
            ".. list-table::",
            "   :header-rows: 1",
            "",
        ]
        lines.append(f"   * - {SHOWN[0][1]}")
        lines += [f"     - {title}" for _, title in SHOWN[1:]]
        for row in group:
            lines.append(f"   * - {_cell(row, SHOWN[0][0])}")
            lines += [f"     - {_cell(row, key)}" for key, _ in SHOWN[1:]]
        lines.append("")
        notes = [row for row in group if row.get("note")]
        if notes:
            lines += ["Notes:", ""]
            for row in notes:
                where = f"{row['case']}, {row['backend']}, {_cell(row, 'rows')}"
                lines.append(f"* {where}: {row['note'].replace('|', '/')}")
            lines.append("")
    machines = sorted({(r["machine"], r["python"], r["date"]) for r in rows})
    lines += [
        '"load" is the machine\'s 1-minute load average when the figure was taken: above '
        "the number of cores, other work competed for the CPU and the time is pessimistic.",
        "",
        "Measured on:",
        "",
    ]
    lines += [f"* {m}, Python {py}, {date}" for m, py, date in machines]
    lines.append("")
    return lines


class BenchmarkResultsDirective(Directive):
    """Insert the tables of ``benchmarks/results/results.csv``."""

    required_arguments = 0
    has_content = False
    option_spec: ClassVar[dict[str, Any]] = {"benchmark": directives.unchanged_required}

    def run(self) -> list[nodes.Node]:
        rows: list[dict[str, str]] = []
        # rebuild the page when the results change (incremental builds)
        self.state.document.settings.env.note_dependency(str(RESULTS))
        if RESULTS.exists():
            with RESULTS.open(newline="") as handle:
                rows = list(csv.DictReader(handle))
        only = self.options.get("benchmark")
        if only is not None:
            rows = [row for row in rows if row["benchmark"] == only]
        container = nodes.container()
        self.state.nested_parse(StringList(results_rst(rows)), self.content_offset, container)
        return container.children


def setup(app: Any) -> dict[str, Any]:
    """Register the directive."""
    app.add_directive("benchmark-results", BenchmarkResultsDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
