"""Type coercion for validation (internal).

Decides, per canonical column kind and the caller's dtype, whether a column is kept,
cast, parsed from text, or refused; and parses text *without failing*: values that do
not parse become null, so validation can count and show them. Narwhals has no
non-raising parse, so parsing is done natively per backend here and nowhere else.

Text timestamps are read as ISO 8601 (``2024-03-01``, ``2024-03-01 14:30``,
``2024-03-01T14:30:00``); that is the format every backend parses alike.

Text timestamps that carry *different* UTC offsets (``...+01:00`` next to
``...+02:00``, or next to values without an offset) are refused with a
:class:`~crmanalytics.errors.SchemaError` naming the column, the offsets found, how
many rows differ from the most common offset, examples and the fix, on every backend.
The library reads timestamps as wall-clock times (a day is a calendar day where the
event happened); converting such a column silently to UTC would move events across
midnight, and dropping the offsets would misorder them, so the caller chooses (the
message says how).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import narwhals.stable.v2 as nw
import pandas as pd

from crmanalytics._frames import AnyFrame

__all__ = ["Plan", "add_parsed", "check_offsets", "helper_name", "is_helper", "plan"]

Target = Literal["datetime", "float"]
_HELPER = "__crm_parsed__"
_NESTED = (nw.List, nw.Struct, nw.Array)
_TEXT = (nw.String, nw.Categorical, nw.Enum, nw.Object)
_PARSABLE_TEXT = (nw.String, nw.Object)


@dataclass(frozen=True)
class Plan:
    """What validation does with one column.

    ``problem`` (with ``fix``) when the column cannot be used at all; otherwise
    ``parse`` names a text parse to run first (or None) and ``final`` is the
    expression producing the canonical column.
    """

    final: nw.Expr
    parse: Target | None = None
    problem: str | None = None
    fix: str = ""


def helper_name(name: str) -> str:
    """Name of the temporary column holding the parsed values of ``name``."""
    return f"{_HELPER}{name}"


def is_helper(name: str) -> bool:
    """Whether a column is a temporary parse helper."""
    return name.startswith(_HELPER)


_SPARK = (nw.Implementation.PYSPARK, nw.Implementation.PYSPARK_CONNECT)


def _can_parse(implementation: nw.Implementation) -> bool:
    return implementation in (
        nw.Implementation.PANDAS,
        nw.Implementation.POLARS,
        nw.Implementation.PYARROW,
        nw.Implementation.DUCKDB,
        *_SPARK,
    )


def plan(
    kind: str, name: str, dtype: Any, implementation: nw.Implementation, *, required: bool
) -> Plan:
    """Decide how to turn a column of ``dtype`` into the canonical ``kind``."""
    column = nw.col(name)
    if isinstance(dtype, _NESTED):
        return Plan(
            column,
            problem=f"must hold single values, got nested type {dtype}",
            fix="flatten or drop the column",
        )
    if kind == "id":
        return Plan(column)
    if kind == "str":
        if required and not isinstance(dtype, _TEXT):
            return Plan(
                column, problem=f"must be text, got {dtype}", fix="convert the column to strings"
            )
        if isinstance(dtype, nw.Categorical | nw.Enum):
            return Plan(column.cast(nw.String()))
        return Plan(column)
    target: Target = "datetime" if kind == "datetime" else "float"
    if isinstance(dtype, _PARSABLE_TEXT):
        if not _can_parse(implementation):
            return Plan(
                column,
                problem=f"holds text that would have to be parsed as a "
                f"{target}, which is not supported on {implementation}",
                fix="cast the column to the right type before validating",
            )
        return Plan(nw.col(helper_name(name)), parse=target)
    if kind == "datetime":
        if isinstance(dtype, nw.Unknown) and implementation is nw.Implementation.PANDAS:
            # narwhals reads some pandas zones (e.g. America/New_York) as Unknown; such a
            # column is converted to naive wall-clock time in ``add_parsed``.
            return Plan(nw.col(helper_name(name)), parse="datetime")
        if isinstance(dtype, nw.Datetime):
            return Plan(column)
        if isinstance(dtype, nw.Date):
            return Plan(column.cast(nw.Datetime()))
        return Plan(
            column,
            problem=f"must be a datetime (or text holding dates), got {dtype}",
            fix="convert it, e.g. pandas.to_datetime(..., unit='s') for epoch numbers",
        )
    if dtype.is_numeric():
        return Plan(column.cast(nw.Float64()))
    return Plan(
        column, problem=f"must be a number, got {dtype}", fix="convert the column to numbers"
    )


def _quote(name: str, mark: str = '"') -> str:
    return mark + name.replace(mark, mark * 2) + mark


def _parse_pandas(values: pd.Series, target: Target) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        # a zone narwhals cannot name (see ``plan``): keep the wall-clock time
        wall_clock: pd.Series = values.dt.tz_localize(None)
        return wall_clock
    if target == "datetime":
        return pd.to_datetime(values, errors="coerce", format="ISO8601")
    return pd.to_numeric(values, errors="coerce").astype("float64")


#: A time of day, then the offset suffixes below ("Z", "+01:00", "+0100", "+01").
_TIME = r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*"
_SUFFIXES: tuple[tuple[str, int], ...] = (
    (r"[+-]\d{2}:\d{2}$", 6),
    (r"[+-]\d{4}$", 5),
    (r"[+-]\d{2}$", 3),
    (r"[Zz]$", 1),
)
_OFFSET_FIX = (
    "convert the column to one time zone before passing it, e.g. "
    "pandas.to_datetime(values, utc=True) for UTC instants, then "
    ".dt.tz_convert('Europe/Paris') if days should follow that zone's calendar"
)


def _offset_minutes(text: str) -> int | None:
    """Minutes east of UTC of an offset suffix; None for no offset."""
    if not text:
        return None
    if text in ("Z", "z"):
        return 0
    match = re.fullmatch(r"([+-])(\d{2}):?(\d{2})?", text)
    if match is None:  # pragma: no cover - the pattern above admits nothing else
        return None
    sign = -1 if match.group(1) == "-" else 1
    return sign * (int(match.group(2)) * 60 + int(match.group(3) or 0))


def check_offsets(frame: AnyFrame, name: str, source: str | None = None) -> None:
    """Raise a SchemaError when the text timestamps of ``name`` mix UTC offsets.

    One small query: the rows per distinct offset suffix. Values without an offset
    count as their own kind, so offsets next to plain times are mixed too.

    Examples
    --------
    >>> import narwhals.stable.v2 as nw
    >>> import pandas as pd
    >>> from crmanalytics._coerce import check_offsets
    >>> f = nw.from_native(pd.DataFrame({"t": ["2024-03-01T10:00+01:00",
    ...                                        "2024-06-01T10:00+02:00"]}))
    >>> check_offsets(f, "t")
    Traceback (most recent call last):
    ...
    crmanalytics.errors.SchemaError: input: 1 problem found
      - column 't': text timestamps must share one UTC offset, found 2 (+01:00, +02:00)...
    """
    from crmanalytics._frames import collect
    from crmanalytics.errors import Problem, SchemaError

    text = nw.col(name)
    suffix: Any = nw.lit("")
    for pattern, width in reversed(_SUFFIXES):
        found = text.str.contains(_TIME + pattern).fill_null(value=False)
        suffix = nw.when(found).then(text.str.slice(-width)).otherwise(suffix)
    try:
        present = frame.filter(~text.is_null()).with_columns(suffix.alias("__crm_offset"))
        counts = collect(present.group_by("__crm_offset").agg(nw.len().alias("__crm_n")))
    except (AttributeError, TypeError):  # pandas object column of non-text (dates ...)
        return
    if len(counts) < 2:
        return
    rows: dict[int | None, int] = {}
    spelled: dict[int | None, list[str]] = {}
    for suffix_text, n in zip(
        counts["__crm_offset"].to_list(), counts["__crm_n"].to_list(), strict=True
    ):
        minutes = _offset_minutes(str(suffix_text or ""))
        rows[minutes] = rows.get(minutes, 0) + int(n)
        spelled.setdefault(minutes, []).append(str(suffix_text or ""))
    if len(rows) < 2:
        return  # "Z" and "+00:00" are the same offset
    common = max(rows, key=lambda k: (rows[k], k is None))
    others = [s for k, texts in spelled.items() if k != common for s in texts]
    odd = nw.col("__crm_offset").is_in(others)
    examples = collect(present.filter(odd).select(name).head(5))[name].to_list()
    shown = ", ".join(
        "none" if k is None else f"{'+' if k >= 0 else '-'}{abs(k) // 60:02d}:{abs(k) % 60:02d}"
        for k in sorted(rows, key=lambda k: (k is None, k or 0))
    )
    raise SchemaError(
        "input",
        [
            Problem(
                name,
                f"text timestamps must share one UTC offset, found {len(rows)} ({shown}); "
                "rows shown differ from the most common one",
                sum(n for k, n in rows.items() if k != common),
                tuple(examples),
                _OFFSET_FIX,
                source,
            )
        ],
    )


def add_parsed(frame: AnyFrame, name: str, target: Target) -> AnyFrame:
    """Add ``helper_name(name)``: the column parsed as ``target``, null where it fails.

    Text timestamps that mix UTC offsets raise a SchemaError (:func:`check_offsets`).
    """
    if target == "datetime" and isinstance(frame.collect_schema()[name], _PARSABLE_TEXT):
        check_offsets(frame, name)
    helper = helper_name(name)
    implementation: nw.Implementation = frame.implementation
    native = nw.to_native(frame)
    if implementation is nw.Implementation.PANDAS:
        parsed_native = native.assign(**{helper: _parse_pandas(native[name], target)})
    elif implementation is nw.Implementation.POLARS:
        import polars as pl

        expr = (
            pl.col(name).str.to_datetime(strict=False)
            if target == "datetime"
            else pl.col(name).cast(pl.Float64, strict=False)
        )
        parsed_native = native.with_columns(expr.alias(helper))
    elif implementation is nw.Implementation.PYARROW:
        import pyarrow as pa

        parsed = _parse_pandas(native.column(name).to_pandas(), target)
        parsed_native = native.append_column(helper, pa.Array.from_pandas(parsed))
    elif implementation in _SPARK:  # try_cast yields NULL instead of failing
        # text carries no zone: read it as wall-clock time, like the other backends
        sql_type = "TIMESTAMP_NTZ" if target == "datetime" else "DOUBLE"
        cast = f"try_cast({_quote(name, '`')} AS {sql_type}) AS {_quote(helper, '`')}"
        parsed_native = native.selectExpr("*", cast)
    else:  # DuckDB: TRY_CAST yields NULL instead of failing.
        sql_type = "TIMESTAMP" if target == "datetime" else "DOUBLE"
        columns = ", ".join(_quote(c) for c in native.columns)
        cast = f"TRY_CAST({_quote(name)} AS {sql_type}) AS {_quote(helper)}"
        parsed_native = native.project(f"{columns}, {cast}")
    result: AnyFrame = nw.from_native(parsed_native)
    return result
