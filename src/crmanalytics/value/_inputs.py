"""Reading customer summaries into numpy, with checks (internal)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from crmanalytics._frames import AnyFrame, collect, from_native, lazy_like, result_like, to_native
from crmanalytics.errors import Problem, SchemaError

__all__ = ["Array", "Columns", "distinct_rows", "read_summary", "score_rows"]

Array = npt.NDArray[np.float64]
Columns = dict[str, Array]
_FIX = "build the summary with crmanalytics.value.customer_summary"


def _require(frame: AnyFrame, names: Sequence[str]) -> None:
    available = frame.collect_schema().names()
    missing = [n for n in names if n not in available]
    if missing:
        raise SchemaError(
            "customer summary",
            [Problem(n, "is required but missing", 0, fix=_FIX) for n in missing],
        )


def _examples(values: npt.NDArray[Any], bad: npt.NDArray[np.bool_]) -> tuple[object, ...]:
    return tuple(values[bad][:5].tolist())


def check_btyd(cols: Columns) -> None:
    """Raise a SchemaError listing every broken BTYD rule among the given columns."""
    problems: list[Problem] = []

    def rule(column: str, bad: npt.NDArray[np.bool_], text: str, fix: str) -> None:
        count = int(np.count_nonzero(bad))
        if count:
            problems.append(Problem(column, text, count, _examples(cols[column], bad), fix))

    for name, values in cols.items():
        rule(name, ~np.isfinite(values), "must be finite", "remove or repair these rows")
    if "frequency" in cols:
        x = cols["frequency"]
        rule(
            "frequency",
            np.isfinite(x) & ((x < 0) | (x != np.round(x))),
            "must be a non-negative whole number of repeat purchases",
            _FIX,
        )
    if "recency" in cols and "T" in cols:
        t_x, T = cols["recency"], cols["T"]
        rule("recency", t_x < 0, "must be >= 0", _FIX)
        rule("recency", t_x > T, "must not exceed T", "check the observation end; " + _FIX)
        if "frequency" in cols:
            rule(
                "recency",
                (cols["frequency"] == 0) & (t_x != 0),
                "must be 0 where frequency is 0",
                _FIX,
            )
    if problems:
        raise SchemaError("customer summary", problems)


def read_summary(summary: Any, names: Sequence[str], *, with_ids: bool = False) -> Columns:
    """Collect the named columns (and ``customer_id``) of a summary in one pass, checked."""
    frame = from_native(summary)
    wanted = (["customer_id"] if with_ids else []) + list(names)
    _require(frame, wanted)
    eager = collect(frame.select(wanted))
    cols: Columns = {n: eager[n].to_numpy().astype(np.float64) for n in names}
    check_btyd(cols)
    if with_ids:
        cols["customer_id"] = eager["customer_id"].to_numpy()
    return cols


def distinct_rows(summary: Any, weights: str | None) -> Columns:
    """Distinct (frequency, recency, T) rows with their total weight, computed in the engine."""
    frame = from_native(summary)
    names = ["frequency", "recency", "T"]
    _require(frame, [*names, *([weights] if weights is not None else [])])
    weight = nw.len() if weights is None else nw.col(weights).sum()
    grouped = collect(frame.group_by(*names).agg(weight.alias("_weight")))
    cols: Columns = {n: grouped[n].to_numpy().astype(np.float64) for n in [*names, "_weight"]}
    check_btyd({n: cols[n] for n in names})
    w = cols["_weight"]
    if weights is not None and (not np.all(np.isfinite(w)) or np.any(w < 0)):
        raise SchemaError(
            "customer summary",
            [Problem(weights, "weights must be finite and >= 0", 0, fix="repair the weights")],
        )
    return cols


def score_rows(
    summary: Any, names: Sequence[str], name: str, score: Callable[[Columns], Array]
) -> Any:
    """Frame ``customer_id, <name>`` in the summary's native type (lazy stays lazy).

    ``score`` maps the checked columns ``names`` to one float per row. An eager summary
    is scored row by row. A lazy one (Polars lazy, PySpark) is scored on its *distinct*
    ``names`` rows only, collected from the engine, and the scores are joined back to
    the customers there: only that small table crosses the engine boundary. DuckDB
    relations cannot join across connections, so they are collected and scored row
    by row, with the result on DuckDB's default connection.
    """
    frame = from_native(summary)
    _require(frame, ["customer_id", *names])
    if isinstance(frame, nw.LazyFrame) and not frame.implementation.is_duckdb():
        distinct = collect(frame.select(*names).unique())
        cols: Columns = {n: distinct[n].to_numpy().astype(np.float64) for n in names}
        check_btyd(cols)
        scored = distinct.with_columns(
            nw.new_series(name, score(cols), nw.Float64, backend=distinct.implementation)
        )
        joined = frame.select("customer_id", *names).join(
            lazy_like(scored, frame), on=list(names), how="left"
        )
        return to_native(joined.select("customer_id", name))
    cols = read_summary(summary, names, with_ids=True)
    base = collect(frame.select("customer_id")).head(0)
    impl = base.implementation
    data = {
        "customer_id": nw.new_series(
            "customer_id", cols["customer_id"], dtype=base.schema["customer_id"], backend=impl
        ),
        name: nw.new_series(name, np.asarray(score(cols), dtype=np.float64), backend=impl),
    }
    return result_like(nw.from_dict(data, backend=impl), frame)
