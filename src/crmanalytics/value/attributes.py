"""Customer attributes on a summary, for covariate models and grouped predictions.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.value import add_customer_attributes
>>> summary = pd.DataFrame({"customer_id": [1, 2], "frequency": [0, 3]})
>>> customers = pd.DataFrame({"customer_id": [2, 1], "region": ["north", "south"]})
>>> add_customer_attributes(summary, customers, attributes=["region"])
   customer_id  frequency region
0            1          0  south
1            2          3  north
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import narwhals.stable.v2 as nw
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._frames import AnyFrame, collect, lazy_like, renamed, to_caller, validated
from crmanalytics.errors import DataQualityWarning, Problem, SchemaError

__all__ = ["add_customer_attributes"]


def add_customer_attributes(
    summary: IntoFrameT,
    customers: Any,
    *,
    attributes: Sequence[str] | None = None,
    columns: Mapping[str, str] | None = None,
) -> IntoFrameT:
    """Join customer attributes (channel, region, ...) onto a customer summary.

    A left join on ``customer_id`` in the summary's engine: every summary row is kept,
    in order, and gets the customer's attributes. The columns can then be passed as
    covariates (``BetaGeoModel().fit(summary, purchase_covariates=["region"])``).

    Parameters
    ----------
    summary : dataframe
        A customer summary (any frame with ``customer_id``), e.g. from
        :func:`~crmanalytics.value.customer_summary`.
    customers : dataframe
        The customers table (validated against its schema); any backend. When its
        backend differs from the summary's, it is brought into the summary's engine.
    attributes : sequence of str, optional
        The customers' columns to add (canonical names); by default every column but
        ``customer_id``.
    columns : mapping of str to str, optional
        Canonical name to the caller's name, for both frames.

    Returns
    -------
    dataframe
        The summary's type, with the attribute columns added. A pandas result has a
        fresh ``0..n-1`` index. An eager summary keeps its row order; a lazy one, like
        any lazy join, comes back in no guaranteed order (sort by ``customer_id`` when
        order matters).

    Raises
    ------
    crmanalytics.errors.SchemaError
        When an attribute is not in the customers table, or already in the summary.

    Warns
    -----
    DataQualityWarning
        When summary customers are missing from the customers table (their attributes
        are null; a covariate fit will then say which rows to fix).

    Examples
    --------
    >>> import polars as pl
    >>> from crmanalytics.value import add_customer_attributes
    >>> s = pl.LazyFrame({"customer_id": ["a", "b"], "frequency": [1, 0]})
    >>> c = pl.DataFrame({"customer_id": ["a", "b"], "acquisition_channel": ["ads", "seo"]})
    >>> out = add_customer_attributes(s, c).sort("customer_id").collect()
    >>> out["acquisition_channel"].to_list()
    ['ads', 'seo']
    """
    frame = renamed(
        summary,
        columns={k: v for k, v in (columns or {}).items() if k == "customer_id"},
        needs=["customer_id"],
        table="customer summary",
        purpose="add_customer_attributes",
    )
    people = validated(customers, "customers", columns=columns, purpose="add_customer_attributes")
    available = [c for c in people.collect_schema().names() if c != "customer_id"]
    wanted = list(available if attributes is None else attributes)
    present = set(frame.collect_schema().names())
    problems = [
        Problem(a, "is not a column of the customers table", 0, (), f"choose from {available}")
        for a in wanted
        if a not in available
    ] + [
        Problem(a, "is already a column of the summary", 0, (), "drop or rename it first")
        for a in wanted
        if a in present
    ]
    if problems:
        raise SchemaError("customers", problems)
    if frame.implementation.is_duckdb():
        # DuckDB relations of different connections cannot be joined: join collected
        # (a summary is one row per customer), hand back a relation
        frame = collect(frame)
    right: Any = _into_engine(people.select("customer_id", *wanted), frame)
    joined: AnyFrame
    if isinstance(frame, nw.DataFrame):  # eager: keep the summary's row order
        order = "__crm_row"
        numbered = frame.with_row_index(order)
        joined = numbered.join(right, on="customer_id", how="left").sort(order).drop(order)
    else:
        joined = frame.join(right, on="customer_id", how="left")
    _warn_unmatched(frame, right)
    result = to_caller(joined, summary)
    attrs = getattr(summary, "attrs", None)
    target = getattr(result, "attrs", None)
    if attrs and isinstance(target, dict):
        target.update(attrs)  # a pandas summary keeps its time unit
    return result


def _into_engine(small: AnyFrame, like: AnyFrame) -> AnyFrame:
    """The customers' columns as a frame of ``like``'s engine (eager or lazy)."""
    same_engine: bool = small.implementation == like.implementation
    if same_engine and type(small) is type(like):
        return small
    eager = collect(small)
    if isinstance(like, nw.LazyFrame):
        return lazy_like(eager, like)
    return nw.from_arrow(eager.to_arrow(), backend=like.implementation)


def _warn_unmatched(frame: Any, right: Any) -> None:
    keys = right.select("customer_id").with_columns(nw.lit(1).alias("__crm_hit"))
    missing = frame.select("customer_id").join(keys, on="customer_id", how="left")
    count = int(collect(missing.select(nw.col("__crm_hit").is_null().cast(nw.Int64).sum())).item())
    if count:
        warnings.warn(
            DataQualityWarning(
                f"{count} summary customer{'s' if count != 1 else ''} not in the customers "
                "table: their attributes are null"
            ),
            stacklevel=3,
        )
