"""Dataframe plumbing shared by every analysis (internal).

crmanalytics accepts any dataframe narwhals understands (pandas, Polars eager and lazy,
PyArrow tables, DuckDB relations, PySpark) and hands back the caller's type. This
module is the one way in and the one way out of every public function:

* :func:`validated` checks a caller's frame against its canonical table (with the
  caller's ``columns=`` mapping and the extra columns the function needs) and hands
  back narwhals;
* :func:`to_caller` returns any result in the caller's type: lazy in gives lazy out,
  and a new pandas table gets a fresh ``0..n-1`` index.

Between the two, the work is narwhals expressions in the caller's engine and small
numpy kernels. The helpers below also turn timestamps into whole days and collect
small results to numpy. Nothing here knows about customers or products.

Examples
--------
A public analysis reads the same way everywhere:

>>> import pandas as pd
>>> import narwhals.stable.v2 as nw
>>> from crmanalytics._frames import to_caller, validated
>>> def spend_per_customer(transactions, *, columns=None):
...     frame = validated(transactions, "transactions", columns=columns,
...                       purpose="spend_per_customer")
...     result = frame.group_by("customer_id").agg(nw.col("amount").sum()).sort("customer_id")
...     return to_caller(result, transactions)
>>> raw = pd.DataFrame({"who": [2, 1, 2], "when": ["2024-01-01"] * 3, "amount": [1.0, 2, 3]})
>>> spend_per_customer(raw, columns={"customer_id": "who", "timestamp": "when"})
   customer_id  amount
0            1     2.0
1            2     4.0
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt
import pandas as pd
from narwhals.exceptions import DuplicateError
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics.errors import SparkCollectError

if TYPE_CHECKING:
    from crmanalytics.schema import Invalid

__all__ = [
    "AnyFrame",
    "DateLike",
    "TableName",
    "TimeUnit",
    "collect",
    "day_to_timestamp",
    "epoch_day",
    "from_native",
    "is_lazy",
    "lazy_like",
    "renamed",
    "time_unit_days",
    "to_caller",
    "to_day_number",
    "to_native",
    "to_numpy",
    "validated",
]

#: A narwhals frame, eager or lazy.
AnyFrame: TypeAlias = nw.DataFrame[Any] | nw.LazyFrame[Any]
#: Anything accepted where a date is expected.
DateLike: TypeAlias = str | dt.date | dt.datetime | pd.Timestamp | np.datetime64
TimeUnit: TypeAlias = Literal["D", "W"]
#: The canonical tables.
TableName: TypeAlias = Literal["customers", "transactions", "interactions"]

_EPOCH = dt.datetime(1970, 1, 1)  # naive on purpose: days are wall-clock days


def from_native(native: Any) -> AnyFrame:
    """Wrap a caller's frame in narwhals, eager or lazy as it came.

    Parameters
    ----------
    native : dataframe
        pandas, Polars (eager or lazy), PyArrow table, DuckDB relation or PySpark frame.
        A frame that is already a narwhals frame is returned as is.

    Returns
    -------
    narwhals.DataFrame or narwhals.LazyFrame

    Raises
    ------
    TypeError
        When the object is not a dataframe narwhals can read.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import from_native
    >>> type(from_native(pd.DataFrame({"a": [1]}))).__name__
    'DataFrame'
    """
    if isinstance(native, nw.DataFrame | nw.LazyFrame):
        return native
    _check_unique_names(native)
    try:
        wrapped: AnyFrame = nw.from_native(native)
    except DuplicateError as exc:
        raise _duplicate_names_error(str(exc)) from exc
    except TypeError as exc:  # pragma: no cover - message rewording only
        raise TypeError(
            f"expected a dataframe (pandas, Polars, PyArrow, DuckDB or PySpark), "
            f"got {type(native).__name__}"
        ) from exc
    return wrapped


def to_native(frame: AnyFrame) -> Any:
    """Return the caller's native frame behind a narwhals frame.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import from_native, to_native
    >>> type(to_native(from_native(pd.DataFrame({"a": [1]})))).__name__
    'DataFrame'
    """
    return nw.to_native(frame)


def is_lazy(frame: AnyFrame) -> bool:
    """Tell whether a narwhals frame is lazy.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import from_native, is_lazy
    >>> is_lazy(from_native(pd.DataFrame({"a": [1]})))
    False
    """
    return isinstance(frame, nw.LazyFrame)


def lazy_like(small: nw.DataFrame[Any], like: AnyFrame) -> nw.LazyFrame[Any]:
    """Move a small collected frame into the engine of a lazy frame.

    On PySpark the frame is created in ``like``'s own Spark session, so it can be
    joined with ``like`` there; on DuckDB it lands on DuckDB's default connection.

    Examples
    --------
    >>> import pandas as pd
    >>> import polars as pl
    >>> from crmanalytics._frames import from_native, lazy_like
    >>> small = from_native(pd.DataFrame({"a": [1]}))
    >>> type(lazy_like(small, from_native(pl.LazyFrame({"b": [2]}))).to_native()).__name__
    'LazyFrame'
    """
    implementation = like.implementation
    if implementation.is_spark_like():
        session = nw.to_native(like).sparkSession
        if len(small) == 0 and implementation.is_pyspark():
            # Spark cannot infer types from no rows: an Arrow table carries them
            spark_frame: nw.LazyFrame[Any] = nw.from_native(
                session.createDataFrame(small.to_arrow())
            )
            return spark_frame
        return small.lazy(backend=implementation, session=session)
    return small.lazy(backend=implementation)


def collect(frame: AnyFrame) -> nw.DataFrame[Any]:
    """Materialise a frame (a no-op for eager frames).

    Only call this on results that are small (per customer or smaller). Polars runs
    the query on its streaming engine, which keeps memory near the size of the result
    rather than of the input (it falls back to the in-memory engine where needed).
    PySpark collects under a watch, so a failed job raises instead of hanging (see
    :func:`_collect_spark`).

    Examples
    --------
    >>> import polars as pl
    >>> from crmanalytics._frames import collect, from_native
    >>> collect(from_native(pl.LazyFrame({"a": [1, 2]}))).shape
    (2, 1)
    """
    if isinstance(frame, nw.LazyFrame):
        if frame.implementation.is_polars():
            return frame.collect(engine="streaming")
        if frame.implementation.is_pyspark():
            return _collect_spark(frame)
        return frame.collect()
    return frame


#: Seconds a PySpark collection may wait with none of its jobs running before it is
#: declared lost (the driver's serving thread died, e.g. of ``OutOfMemoryError``).
SPARK_STALL_SECONDS = 120.0
_SPARK_POLL_SECONDS = 1.0


def _collect_spark(frame: nw.LazyFrame[Any]) -> nw.DataFrame[Any]:
    """Collect a PySpark frame so that a failure raises instead of hanging.

    PySpark serves results to Python from a driver thread; when that thread dies of a
    fatal JVM error (``OutOfMemoryError``) the Python side can wait on it forever. The
    collection runs in a worker thread under its own Spark job group while this thread
    watches: an error inside the job is re-raised as it is; a driver that stops
    answering, a stopped context, or no job of the group running for
    :data:`SPARK_STALL_SECONDS` raise :class:`SparkCollectError` (the group's jobs are
    cancelled first).
    """
    import threading
    import uuid

    context = nw.to_native(frame).sparkSession.sparkContext
    group = f"crmanalytics-{uuid.uuid4().hex}"
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            context.setJobGroup(group, "crmanalytics: collecting a small result")
            outcome["frame"] = frame.collect()
        except BaseException as exc:  # handed to the calling thread
            outcome["error"] = exc

    worker = threading.Thread(target=work, name=group, daemon=True)
    worker.start()
    idle = 0.0
    while True:
        worker.join(_SPARK_POLL_SECONDS)
        if not worker.is_alive():
            break
        try:
            if context._jsc.sc().isStopped():
                raise SparkCollectError("the Spark context stopped while collecting a result")
            tracker = context.statusTracker()
            running = [
                job
                for job in tracker.getJobIdsForGroup(group)
                if (info := tracker.getJobInfo(job)) is not None and info.status == "RUNNING"
            ]
        except SparkCollectError:
            raise
        except Exception as exc:
            raise SparkCollectError(
                f"the Spark driver stopped answering while collecting a result: {exc}"
            ) from exc
        idle = 0.0 if running else idle + _SPARK_POLL_SECONDS
        if idle >= SPARK_STALL_SECONDS:
            context.cancelJobGroup(group)
            raise SparkCollectError(
                f"no Spark job ran for {SPARK_STALL_SECONDS:.0f} s and the result never "
                "reached Python: the driver most likely ran out of memory while serving "
                "it (raise spark.driver.memory, or see the scaling guide)"
            )
    if "error" in outcome:
        raise outcome["error"]
    result: nw.DataFrame[Any] = outcome["frame"]
    return result


def to_numpy(frame: AnyFrame, columns: Sequence[str]) -> dict[str, npt.NDArray[Any]]:
    """Collect the named columns as numpy arrays.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import from_native, to_numpy
    >>> to_numpy(from_native(pd.DataFrame({"a": [1, 2]})), ["a"])["a"].tolist()
    [1, 2]
    """
    eager = collect(frame.select(list(columns)))
    return {c: eager[c].to_numpy() for c in columns}


def time_unit_days(time_unit: TimeUnit) -> float:
    """Days in one time unit: 1 for ``"D"``, 7 for ``"W"``.

    Raises
    ------
    ValueError
        For any other unit.

    Examples
    --------
    >>> from crmanalytics._frames import time_unit_days
    >>> time_unit_days("W")
    7.0
    """
    units: Mapping[str, float] = {"D": 1.0, "W": 7.0}
    if time_unit not in units:
        raise ValueError(
            f"time_unit must be 'D' (days) or 'W' (weeks = days / 7), got {time_unit!r}"
        )
    return units[time_unit]


#: Backends where ``dt.timestamp`` exists and is fast (much faster than truncating).
_TIMESTAMP_BACKENDS = (
    nw.Implementation.PANDAS,
    nw.Implementation.POLARS,
    nw.Implementation.PYARROW,
)
_MICROSECONDS_PER_DAY = 86_400_000_000


def epoch_day(column: str, frame: AnyFrame | Mapping[str, Any] | None = None) -> nw.Expr:
    """Expression for the calendar day of a datetime column, as days since 1970-01-01.

    Day boundaries are wall-clock midnights: a time-zone-aware column is read in its
    own time zone. The result is an integer on every backend.

    Parameters
    ----------
    column : str
        A datetime column.
    frame : narwhals frame or mapping, optional
        The frame the expression will run on (preferred: it lets pandas, Polars and
        PyArrow use a fast path), or just its schema; needed to recognise a
        time-zone-aware column.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import epoch_day, from_native
    >>> f = from_native(pd.DataFrame({"t": pd.to_datetime(["1970-01-02 23:00"])}))
    >>> f.select(epoch_day("t", f))["t"].to_list()
    [1]
    """
    implementation: nw.Implementation | None = None
    schema: Mapping[str, Any] | None
    if isinstance(frame, nw.DataFrame | nw.LazyFrame):
        implementation = frame.implementation
        schema = frame.collect_schema()
    else:
        schema = frame
    expr = nw.col(column)
    dtype = None if schema is None else schema.get(column)
    if isinstance(dtype, nw.Datetime) and dtype.time_zone is not None:
        expr = expr.dt.replace_time_zone(None)
    if implementation in _TIMESTAMP_BACKENDS:
        # integer floor division: exact for instants before 1970 too
        return (expr.dt.timestamp("us") // _MICROSECONDS_PER_DAY).cast(nw.Int64)
    if implementation is nw.Implementation.DUCKDB:
        # DuckDB subtracts dates as whole days (an integer): the cheapest form there,
        # about twice as fast as truncating and floor-dividing seconds
        return (expr.cast(nw.Date) - nw.lit(_EPOCH.date())).cast(nw.Int64)
    return _days_from_civil(expr.dt.year(), expr.dt.month(), expr.dt.day())


def _days_from_civil(year: nw.Expr, month: nw.Expr, day: nw.Expr) -> nw.Expr:
    """Days since 1970-01-01 of a proleptic Gregorian date, in integer arithmetic.

    The calendar algorithm of H. Hinnant ("chrono-compatible low-level date
    algorithms"): it needs only the date parts, so it runs on every engine (PySpark
    and DuckDB have no ``dt.timestamp``/``total_seconds`` in narwhals). Years from
    0 onwards, where every quotient below is of non-negative numbers.
    """
    year64, month64, day64 = (part.cast(nw.Int64) for part in (year, month, day))
    shifted = year64 - nw.when(month64 <= 2).then(1).otherwise(0)  # year from March
    era = shifted // 400
    year_of_era = shifted - era * 400
    day_of_year = (153 * ((month64 + 9) % 12) + 2) // 5 + day64 - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return (era * 146_097 + day_of_era - 719_468).cast(nw.Int64)


def to_day_number(value: DateLike) -> int:
    """Calendar day of a date-like value, as days since 1970-01-01.

    Accepts ISO strings, :class:`datetime.date`, :class:`datetime.datetime`,
    :class:`pandas.Timestamp` and :class:`numpy.datetime64`. The time of day is
    ignored; a time-zone-aware value is read in its own time zone.

    Raises
    ------
    ValueError
        When the value cannot be read as a date.

    Examples
    --------
    >>> from crmanalytics._frames import to_day_number
    >>> to_day_number("1970-01-11 18:30")
    10
    """
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"cannot read {value!r} as a date") from exc
    if pd.isna(stamp):
        raise ValueError(f"cannot read {value!r} as a date")
    day = stamp.date()
    return (day - _EPOCH.date()).days


def day_to_timestamp(day: int) -> pd.Timestamp:
    """Inverse of :func:`to_day_number`: midnight of the given epoch day.

    Examples
    --------
    >>> from crmanalytics._frames import day_to_timestamp
    >>> day_to_timestamp(10)
    Timestamp('1970-01-11 00:00:00')
    """
    return pd.Timestamp(_EPOCH) + pd.Timedelta(days=int(day))


def _duplicate_names_error(detail: str) -> Exception:
    from crmanalytics.errors import Problem, SchemaError

    return SchemaError(
        "input",
        [
            Problem(
                "(column names)",
                f"must be unique ({detail.strip().splitlines()[0] if detail else 'repeated'})",
                0,
                (),
                "rename or drop the repeated columns before passing the frame",
            )
        ],
    )


def _check_unique_names(native: Any) -> None:
    """Raise a SchemaError for repeated column names (pandas allows them)."""
    if not isinstance(native, pd.DataFrame) or native.columns.is_unique:
        return
    names = native.columns
    repeated = sorted({str(n) for n in names[names.duplicated()]})
    raise _duplicate_names_error(f"repeated: {', '.join(repr(n) for n in repeated)}")


def validated(
    frame: Any,
    table: TableName,
    *,
    columns: Mapping[str, str] | None = None,
    needs: Sequence[str] = (),
    purpose: str,
    invalid: Invalid = "raise",
) -> AnyFrame:
    """The one way in: validate a caller's frame against a canonical table.

    Renames the caller's columns with ``columns``, checks and coerces every declared
    column (see :mod:`crmanalytics.schema`), and checks that the optional canonical
    columns in ``needs`` are present. Every problem is reported at once in a
    :class:`~crmanalytics.errors.SchemaError` whose advice names only what the
    calling function offers.

    Parameters
    ----------
    frame : dataframe
        The caller's frame (any backend narwhals reads), or a narwhals frame.
    table : {"customers", "transactions", "interactions"}
        The canonical table the frame holds.
    columns : mapping of str to str, optional
        Canonical name to the caller's name. A function that takes several tables
        passes the one mapping to each: entries for columns another canonical table
        declares are ignored here, unknown canonical names raise ``ValueError``.
    needs : sequence of str
        Optional canonical columns the calling function cannot do without.
    purpose : str
        The calling function's name, for messages.
    invalid : {"raise", "drop"}
        As in the validators; analyses keep the default.

    Returns
    -------
    narwhals.DataFrame or narwhals.LazyFrame
        Canonical names and types, in the caller's engine.

    Raises
    ------
    crmanalytics.errors.SchemaError
        Listing every broken rule and every missing column.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import validated
    >>> raw = pd.DataFrame({"id": [1], "t": ["2024-01-01"], "amount": [3]})
    >>> validated(raw, "transactions", columns={"customer_id": "id", "timestamp": "t"},
    ...           needs=["product_id"], purpose="sequential_rules")
    Traceback (most recent call last):
    ...
    crmanalytics.errors.SchemaError: transactions: 1 problem found
      - column 'product_id': is required by sequential_rules but missing. Fix: ...
    """
    from crmanalytics.errors import Problem, SchemaError
    from crmanalytics.schema import SCHEMAS
    from crmanalytics.schema._engine import missing_fix, validate

    schema = SCHEMAS[table]
    wrapped = from_native(frame)
    # One mapping serves every table a function takes: names another canonical table
    # declares are that table's business; names no table declares are a mistake.
    known = {name for other in SCHEMAS.values() for name in other.names}
    unknown = sorted(set(columns or {}) - known)
    if unknown:
        raise ValueError(
            f"columns maps unknown canonical names {unknown}; canonical names of the "
            f"{table} table: {list(schema.names)}"
        )
    mapping = {k: v for k, v in (columns or {}).items() if k in schema.names}
    present = set(wrapped.collect_schema().names())
    missing = [
        name
        for name in needs
        if mapping.get(name, name) not in present and name not in schema.required
    ]
    validator = f"validate_{table}"
    hint = (
        "invalid='drop' removes them"
        if purpose == validator
        else f"crmanalytics.schema.{validator}(frame, invalid='drop') removes them first"
    )
    try:
        result = validate(wrapped, schema, mapping, invalid, drop_hint=hint)
    except SchemaError as exc:
        if missing:
            extra = [
                Problem(
                    n,
                    f"is required by {purpose} but missing",
                    0,
                    (),
                    missing_fix(n, sorted(present)),
                )
                for n in missing
            ]
            raise SchemaError(exc.table, [*exc.problems, *extra]) from None
        raise
    if missing:
        raise SchemaError(
            table,
            [
                Problem(
                    n,
                    f"is required by {purpose} but missing",
                    0,
                    (),
                    missing_fix(n, sorted(present)),
                )
                for n in missing
            ],
        )
    return result


def to_caller(
    result: AnyFrame | Mapping[str, Any],
    caller: IntoFrameT,
    *,
    keep_index: bool = False,
) -> IntoFrameT:
    """The one way out: a result in the caller's frame type.

    Parameters
    ----------
    result : narwhals frame or mapping of column name to values
        A narwhals frame of the caller's engine (eager or lazy), a small collected
        frame of any eager backend, or columns (narwhals Series, numpy arrays or
        lists) to build one from.
    caller : dataframe
        The frame the caller passed in (native or narwhals): it decides the type.
    keep_index : bool, default False
        For a pandas result that keeps the caller's rows in order: take the caller's
        index instead of a fresh ``0..n-1`` one.

    Returns
    -------
    dataframe
        The caller's type: lazy in gives lazy out (in the caller's engine and, on
        PySpark, the caller's session); a pandas table gets a fresh ``0..n-1`` index.
        A narwhals input gets a narwhals result.

    Examples
    --------
    >>> import pandas as pd
    >>> import polars as pl
    >>> from crmanalytics._frames import to_caller
    >>> to_caller({"a": [1, 2]}, pd.DataFrame({"b": [0]}, index=[7]))
       a
    0  1
    1  2
    >>> type(to_caller({"a": [1]}, pl.LazyFrame({"b": [0]}))).__name__
    'LazyFrame'
    """
    like = from_native(caller)
    frame: AnyFrame = _build(result, like) if isinstance(result, Mapping) else result
    if isinstance(like, nw.LazyFrame):
        if isinstance(frame, nw.DataFrame):
            frame = lazy_like(frame, like)
    else:
        if isinstance(frame, nw.LazyFrame):
            frame = frame.collect()
        target: nw.Implementation = like.implementation
        if frame.implementation != target:
            frame = nw.from_arrow(frame.to_arrow(), backend=cast("Any", target))
        if keep_index and frame.implementation.is_pandas():
            native_frame = nw.to_native(frame)
            native_frame.index = nw.to_native(like).index
            frame = nw.from_native(native_frame, eager_only=True)
        elif not keep_index:
            frame = nw.maybe_reset_index(frame)
    if isinstance(caller, nw.DataFrame | nw.LazyFrame):
        return cast("IntoFrameT", frame)
    return cast("IntoFrameT", nw.to_native(frame))


def _build(data: Mapping[str, Any], like: AnyFrame) -> nw.DataFrame[Any]:
    """A small eager frame from columns, in ``like``'s eager backend (or one near it)."""
    backend: nw.Implementation = like.implementation
    if isinstance(like, nw.LazyFrame):
        polars = like.implementation.is_polars()
        backend = nw.Implementation.POLARS if polars else nw.Implementation.PANDAS
    columns = {
        name: (
            values.to_numpy()
            if isinstance(values, nw.Series) and values.implementation is not backend
            else values
        )
        for name, values in data.items()
    }
    return nw.from_dict(columns, backend=cast("Any", backend))


def renamed(
    frame: Any,
    *,
    columns: Mapping[str, str] | None,
    needs: Sequence[str],
    table: str,
    purpose: str,
) -> AnyFrame:
    """The one way in for a frame the library made (a summary, a rule table, ...).

    Such frames are not canonical tables, so nothing is coerced: the caller's names
    are mapped to the expected ones with ``columns`` (expected name to the caller's
    name) and the columns in ``needs`` must be present.

    Parameters
    ----------
    frame : dataframe
        The caller's frame (native or narwhals).
    columns : mapping of str to str, optional
        Expected name to the caller's name, e.g. ``{"frequency": "x"}``.
    needs : sequence of str
        Expected names the function cannot do without.
    table : str
        What the frame is, for messages (``"customer summary"``).
    purpose : str
        The calling function's name, for messages.

    Returns
    -------
    narwhals.DataFrame or narwhals.LazyFrame
        With the expected names; other columns pass through.

    Raises
    ------
    crmanalytics.errors.SchemaError
        Naming every missing column and the fix.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import renamed
    >>> s = pd.DataFrame({"id": [1], "x": [2], "t_x": [3.0], "T": [5.0]})
    >>> renamed(s, columns={"customer_id": "id", "frequency": "x", "recency": "t_x"},
    ...         needs=["customer_id", "frequency", "recency", "T"],
    ...         table="customer summary", purpose="churn_probability").columns
    ['customer_id', 'frequency', 'recency', 'T']
    """
    from crmanalytics.errors import Problem, SchemaError
    from crmanalytics.schema._engine import missing_fix

    wrapped = from_native(frame)
    present = list(wrapped.collect_schema().names())
    problems: list[Problem] = []
    renames: dict[str, str] = {}
    for expected, source in (columns or {}).items():
        if source == expected:
            continue
        if source not in present:
            problems.append(
                Problem(
                    expected,
                    f"is mapped to {source!r}, which is not in the frame",
                    0,
                    (),
                    missing_fix(expected, present),
                )
            )
        elif expected in present:
            problems.append(
                Problem(
                    expected,
                    f"is mapped to {source!r} but the frame also has a column named {expected!r}",
                    0,
                    (),
                    f"drop or rename the existing {expected!r} column first",
                    source,
                )
            )
        else:
            renames[source] = expected
    after = {renames.get(name, name) for name in present}
    problems += [
        Problem(name, f"is required by {purpose} but missing", 0, (), missing_fix(name, present))
        for name in needs
        if name not in after
    ]
    if problems:
        raise SchemaError(table, problems)
    return wrapped.rename(renames) if renames else wrapped
