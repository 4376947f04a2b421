"""Reading customer summaries into numpy, with checks (internal)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from crmanalytics._frames import AnyFrame, collect, from_native, is_lazy, to_native
from crmanalytics.errors import Problem, SchemaError

__all__ = ["Columns", "attach_column", "distinct_rows", "read_summary"]

Columns = dict[str, npt.NDArray[np.float64]]
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


def attach_column(summary: Any, ids: npt.NDArray[Any], name: str, values: Any) -> Any:
    """Frame ``customer_id, <name>`` in the summary's native type (lazy stays lazy)."""
    frame = from_native(summary)
    base = collect(frame.select("customer_id")).head(0)
    impl = base.implementation
    data = {
        "customer_id": nw.new_series(
            "customer_id", ids, dtype=base.schema["customer_id"], backend=impl
        ),
        name: nw.new_series(name, np.asarray(values, dtype=np.float64), backend=impl),
    }
    result = nw.from_dict(data, backend=impl)
    if is_lazy(frame):
        return to_native(result.lazy(backend=frame.implementation))
    return to_native(result)
