"""Reading customer summaries into numpy, with checks (internal)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from crmanalytics._frames import (
    AnyFrame,
    collect,
    lazy_like,
    renamed,
    to_caller,
)
from crmanalytics.errors import Problem, SchemaError

__all__ = [
    "Array",
    "Columns",
    "distinct_rows",
    "model_covariates",
    "read_summary",
    "score_rows",
    "scored_frame",
    "summary_frame",
]

Array = npt.NDArray[np.float64]
Columns = dict[str, Array]
_FIX = "build the summary with crmanalytics.value.customer_summary"


def summary_frame(
    summary: Any,
    names: Sequence[str],
    *,
    columns: Mapping[str, str] | None = None,
    purpose: str = "this model",
) -> AnyFrame:
    """The one way in for a customer summary: the caller's names mapped, ``names`` required."""
    return renamed(
        summary, columns=columns, needs=list(names), table="customer summary", purpose=purpose
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


def read_summary(
    summary: Any,
    names: Sequence[str],
    *,
    with_ids: bool = False,
    columns: Mapping[str, str] | None = None,
    purpose: str = "this model",
) -> Columns:
    """Collect the named columns (and ``customer_id``) of a summary in one pass, checked."""
    wanted = (["customer_id"] if with_ids else []) + list(names)
    frame = summary_frame(summary, wanted, columns=columns, purpose=purpose)
    eager = collect(frame.select(wanted))
    cols: Columns = {n: eager[n].to_numpy().astype(np.float64) for n in names}
    check_btyd(cols)
    if with_ids:
        cols["customer_id"] = eager["customer_id"].to_numpy()
    return cols


def distinct_rows(
    summary: Any,
    weights: str | None,
    *,
    columns: Mapping[str, str] | None = None,
    purpose: str = "this model",
) -> Columns:
    """Distinct (frequency, recency, T) rows with their total weight, computed in the engine.

    The rows come back sorted: engines (Polars' streaming group-by, Spark) return groups
    in an order that changes from run to run, and a fit must not depend on it.
    """
    names = ["frequency", "recency", "T"]
    needs = [*names, *([weights] if weights is not None else [])]
    frame = summary_frame(summary, needs, columns=columns, purpose=purpose)
    weight = nw.len() if weights is None else nw.col(weights).sum()
    # sorted by the engine before collecting: engines sort in parallel, and sorting
    # the collected Arrow table was most of a fit's time on millions of rows
    grouped = collect(frame.group_by(*names).agg(weight.alias("_weight")).sort(*names))
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
    summary: Any,
    names: Sequence[str],
    name: str | Sequence[str],
    score: Callable[[Columns], Array | Mapping[str, Array]],
    *,
    columns: Mapping[str, str] | None = None,
    purpose: str = "this function",
    extra: Sequence[str] = (),
) -> Any:
    """Frame ``customer_id, <name>...`` in the summary's native type (lazy stays lazy).

    ``extra`` columns (a model's covariates) are read as they are, not checked, and
    handed to ``score`` beside ``names``.

    ``score`` maps the checked columns ``names`` to one float per row (or, with several
    output names, a mapping of each name to its floats). An eager summary is scored
    row by row. A lazy one (Polars lazy, DuckDB, PySpark) is scored on its *distinct*
    ``names`` rows only, collected from the engine, and the scores are joined back to
    the customers there: only that small table crosses the engine boundary (see
    :func:`scored_frame`).
    """
    frame = scored_frame(summary, names, name, score, columns=columns, purpose=purpose, extra=extra)
    return to_caller(frame, summary)


def scored_frame(
    summary: Any,
    names: Sequence[str],
    name: str | Sequence[str],
    score: Callable[[Columns], Array | Mapping[str, Array]],
    *,
    columns: Mapping[str, str] | None = None,
    purpose: str = "this function",
    extra: Sequence[str] = (),
    keep: Sequence[str] = (),
) -> AnyFrame:
    """:func:`score_rows` as a narwhals frame, with the summary columns ``keep`` kept.

    A lazy summary gives a lazy frame of its own engine: the distinct rows are
    scored and joined back there (on DuckDB, on the summary's own connection).
    """
    outputs = [name] if isinstance(name, str) else list(name)

    def scored_columns(cols: Columns) -> dict[str, Array]:
        values = score(cols)
        if isinstance(values, Mapping):
            return {n: np.asarray(values[n], dtype=np.float64) for n in outputs}
        return {outputs[0]: np.asarray(values, dtype=np.float64)}

    extra = [c for c in dict.fromkeys(extra) if c not in names]
    keep = [c for c in dict.fromkeys(keep) if c != "customer_id"]
    frame = summary_frame(
        summary,
        list(dict.fromkeys(["customer_id", *names, *extra, *keep])),
        columns=columns,
        purpose=purpose,
    )
    selected = list(dict.fromkeys(["customer_id", *keep, *outputs]))
    if isinstance(frame, nw.LazyFrame):
        distinct = collect(frame.select(*names, *extra).unique())
        cols: Columns = {n: distinct[n].to_numpy().astype(np.float64) for n in names}
        check_btyd(cols)
        cols.update({n: distinct[n].to_numpy() for n in extra})
        scored = distinct.with_columns(
            *(
                nw.new_series(n, v, nw.Float64, backend=distinct.implementation)
                for n, v in scored_columns(cols).items()
            )
        )
        left = frame.select(*dict.fromkeys(["customer_id", *names, *extra, *keep]))
        if frame.implementation.is_duckdb():
            return _duckdb_join(left, scored, [*names, *extra], outputs).select(*selected)
        joined = left.join(lazy_like(scored, frame), on=[*names, *extra], how="left")
        return joined.select(*selected)
    cols = read_summary(frame, names, with_ids=True, purpose=purpose)
    raw = collect(frame.select(*extra, *keep)) if extra or keep else None
    if raw is not None:
        cols.update({n: raw[n].to_numpy() for n in extra})
    base = collect(frame.select("customer_id")).head(0)
    impl = base.implementation
    data = {
        "customer_id": nw.new_series(
            "customer_id", cols["customer_id"], dtype=base.schema["customer_id"], backend=impl
        ),
        **{
            n: nw.new_series(n, raw[n].to_numpy(), dtype=raw.schema[n], backend=impl)
            for n in keep
            if raw is not None
        },
        **{
            n: nw.new_series(n, v, backend=impl)
            for n, v in scored_columns({k: cols[k] for k in [*names, *extra]}).items()
        },
    }
    return nw.from_dict(data, backend=impl).select(*selected)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _duckdb_join(
    left: AnyFrame, scored: nw.DataFrame[Any], keys: Sequence[str], outputs: Sequence[str]
) -> AnyFrame:
    """Left-join the scored distinct rows to a DuckDB relation, on its own connection.

    A relation cannot join one made on another connection, and a relation does not
    name its connection; ``query`` runs on the relation's connection and reads the
    scored rows (an Arrow table) from this function's scope.
    """
    _crm_scored = scored.select(*keys, *outputs).to_arrow()  # read by the query below
    values = ", ".join(f"_crm_scored.{_quoted(n)}" for n in outputs)
    relation = nw.to_native(left).query(
        "_crm_summary",
        f"SELECT _crm_summary.*, {values} FROM _crm_summary LEFT JOIN _crm_scored "
        f"USING ({', '.join(_quoted(k) for k in keys)})",
    )
    joined: AnyFrame = nw.from_native(relation)
    return joined


def model_covariates(*models: Any) -> list[str]:
    """The covariate columns the given models read from a summary (none for most).

    Examples
    --------
    >>> from crmanalytics.value import BetaGeoModel
    >>> from crmanalytics.value._inputs import model_covariates
    >>> model_covariates(BetaGeoModel())
    []
    """
    found: dict[str, None] = {}
    for model in models:
        found.update(dict.fromkeys(getattr(model, "covariates_", ())))
    return list(found)
