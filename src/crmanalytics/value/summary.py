"""Per-customer BTYD summaries: frequency, recency, age and average repeat spend.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.value import customer_summary
>>> tx = pd.DataFrame({
...     "customer_id": [1, 1, 1, 2],
...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-08", "2024-01-05"]),
...     "amount": [10.0, 5.0, 20.0, 7.0],
... })
>>> customer_summary(tx, observation_end="2024-01-15")
   customer_id  frequency  recency     T  monetary_value
0            1          1      7.0  14.0            20.0
1            2          0      0.0  10.0             0.0
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._frames import (
    AnyFrame,
    DateLike,
    TimeUnit,
    collect,
    epoch_day,
    time_unit_days,
    to_caller,
    to_day_number,
    validated,
)
from crmanalytics.errors import DataQualityWarning, Problem, SchemaError

__all__ = ["customer_summary"]


def daily_occasions(frame: AnyFrame) -> AnyFrame:
    """Purchase occasions: one row per customer and calendar day (``_day``), amounts summed.

    Examples
    --------
    >>> import pandas as pd
    >>> import narwhals.stable.v2 as nw
    >>> from crmanalytics.value.summary import daily_occasions
    >>> tx = nw.from_native(pd.DataFrame({
    ...     "customer_id": [1, 1], "amount": [1.0, 2.0],
    ...     "timestamp": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 18:00"])}))
    >>> daily_occasions(tx)["amount"].to_list()
    [3.0]
    """
    return (
        frame.select(
            nw.col("customer_id"),
            epoch_day("timestamp", frame).alias("_day"),
            nw.col("amount").cast(nw.Float64),
        )
        .group_by("customer_id", "_day")
        .agg(nw.col("amount").sum())
    )


def last_day(frame: AnyFrame, purpose: str) -> int:
    """The last purchase day, as an epoch day; a SchemaError when there is none.

    ``frame`` is either :func:`daily_occasions` (its ``_day`` column) or canonical
    transactions, whose latest ``timestamp`` is read with one cheap aggregation (no
    group-by, so engines reading Parquet need only that column).

    Examples
    --------
    >>> import pandas as pd
    >>> import narwhals.stable.v2 as nw
    >>> from crmanalytics.value.summary import last_day
    >>> last_day(nw.from_native(pd.DataFrame({"_day": [3, 9]})), "customer_summary")
    9
    >>> tx = nw.from_native(pd.DataFrame({"timestamp": pd.to_datetime(["1970-01-02 23:00"])}))
    >>> last_day(tx, "customer_summary")
    1
    """
    if "_day" in frame.collect_schema().names():
        value = collect(frame.select(nw.col("_day").max())).item(0, 0)
    else:
        latest = collect(frame.select(nw.col("timestamp").max()))
        value = None
        if latest.item(0, 0) is not None and not pd.isna(latest.item(0, 0)):
            value = latest.select(epoch_day("timestamp", latest)).item(0, 0)
    if value is None or pd.isna(value):
        raise SchemaError(
            "transactions",
            [
                Problem(
                    "customer_id",
                    f"must have at least one row: {purpose} got an empty transactions table",
                    0,
                    (),
                    "pass transactions with at least one purchase (check the filters "
                    "applied before the call)",
                )
            ],
        )
    return int(value)


def _first_day_excluded_count(daily: AnyFrame, end: int) -> int:
    """Count customers whose first purchase day falls after ``end``."""
    late = (
        daily.group_by("customer_id")
        .agg(nw.col("_day").min().alias("_first"))
        .filter(nw.col("_first") > end)
        .select(nw.len())
    )
    return int(collect(late).item(0, 0))


def _occasion_stats(daily: AnyFrame) -> AnyFrame:
    """Per customer: occasions ``_days``, ``_first`` and ``_last`` day, ``_repeat_amount``.

    ``_repeat_amount`` is the spend of every occasion but the first. It needs the
    amount of each customer's first day: DuckDB takes it with ``arg_min`` and Polars
    as the amount at the smallest day (``min_by``), in the same single aggregation as the rest
    (total minus first day); other engines use a window (a second pass). All of it
    runs in the caller's engine.
    """
    stats = [
        nw.len().alias("_days"),
        nw.col("_day").min().alias("_first"),
        nw.col("_day").max().alias("_last"),
    ]
    implementation = daily.implementation
    if implementation.is_duckdb():
        relation = nw.to_native(daily).aggregate(
            "customer_id, count(*) AS _days, min(_day) AS _first, max(_day) AS _last, "
            "sum(amount) - arg_min(amount, _day) AS _repeat_amount",
            "customer_id",
        )
        wrapped: AnyFrame = nw.from_native(relation)
        return wrapped
    if implementation.is_polars():
        import polars as pl

        native = nw.to_native(daily)
        amount = pl.col("amount")
        # min_by where this Polars has it (it streams); sort_by().first() otherwise
        first_amount = amount.min_by("_day") if hasattr(amount, "min_by") else None
        if first_amount is None:  # pragma: no cover - older Polars
            first_amount = amount.sort_by("_day").first()
        out = native.group_by("customer_id").agg(
            pl.len().alias("_days"),
            pl.col("_day").min().alias("_first"),
            pl.col("_day").max().alias("_last"),
            (pl.col("amount").sum() - first_amount).alias("_repeat_amount"),
        )
        result: AnyFrame = nw.from_native(out)
        return result
    first_day = nw.col("_day").min().over("customer_id")
    repeat = nw.when(nw.col("_day") == first_day).then(nw.lit(0.0)).otherwise(nw.col("amount"))
    return (
        daily.with_columns(repeat.alias("_repeat_amount"))
        .group_by("customer_id")
        .agg(*stats, nw.col("_repeat_amount").sum())
    )


def _warn_left_out(left_out: int, holdout: bool) -> None:
    """Warn about customers whose first purchase falls after the period summarised."""
    if left_out:
        period = "calibration_end" if holdout else "observation_end"
        warnings.warn(
            DataQualityWarning(
                f"{left_out} customer{'s' if left_out != 1 else ''} made their first "
                f"purchase after {period} and are not in the summary (they have no "
                "history in the period summarised)"
            ),
            stacklevel=3,
        )


def _summary_frame(
    daily: AnyFrame, cal_end: int, obs_end: int, unit: float, holdout: bool
) -> AnyFrame:
    """The summary as aggregations of :func:`daily_occasions` in the caller's engine (unsorted)."""
    per_customer = _occasion_stats(daily.filter(nw.col("_day") <= cal_end)).select(
        nw.col("customer_id"),
        (nw.col("_days") - 1).cast(nw.Int64).alias("frequency"),
        ((nw.col("_last") - nw.col("_first")) / unit).cast(nw.Float64).alias("recency"),
        ((nw.lit(cal_end) - nw.col("_first")) / unit).cast(nw.Float64).alias("T"),
        nw.when(nw.col("_days") > 1)
        .then(nw.col("_repeat_amount") / (nw.col("_days") - 1))
        .otherwise(nw.lit(0.0))
        .cast(nw.Float64)
        .alias("monetary_value"),
    )
    if holdout:
        later = (
            daily.filter((nw.col("_day") > cal_end) & (nw.col("_day") <= obs_end))
            .group_by("customer_id")
            .agg(
                nw.len().alias("frequency_holdout"),
                nw.col("amount").mean().alias("monetary_value_holdout"),
            )
        )
        per_customer = _left_join(per_customer, later).with_columns(
            nw.col("frequency_holdout").fill_null(0).cast(nw.Int64),
            nw.col("monetary_value_holdout").fill_null(0.0).cast(nw.Float64),
            nw.lit((obs_end - cal_end) / unit).cast(nw.Float64).alias("duration_holdout"),
        )
    return per_customer


def _summary_numpy(
    native: pd.DataFrame, cal_end: int, obs_end: int, unit: float, *, holdout: bool
) -> tuple[AnyFrame, int]:
    """The summary of a pandas frame with numpy datetimes, in sorted-array passes.

    Days are the integer epoch timestamps floor-divided by a day in the column's own
    resolution (ns, us, ms or s: no conversion, no copy). Customers are integer
    codes in sorted order; one sort of ``code * span + day`` groups the occasions,
    and every statistic is a ``reduceat`` or a ``bincount`` over them: the same
    numbers as the engine aggregation (first day's spend subtracted from the total).
    Returns the columns and the count of customers left out (first purchase after
    the period summarised).
    """
    stamps = native["timestamp"].to_numpy()
    resolution, step = np.datetime_data(stamps.dtype)
    per_day = int(np.timedelta64(1, "D") // np.timedelta64(step, resolution))  # type: ignore[call-overload]
    day = stamps.view(np.int64) // per_day
    codes, ids = pd.factorize(native["customer_id"], sort=True)
    amount = native["amount"].to_numpy(dtype=np.float64)
    in_window = day <= obs_end
    if not in_window.all():
        codes, day, amount = codes[in_window], day[in_window], amount[in_window]
    base = int(day.min()) if day.size else 0
    span = int(day.max()) - base + 1 if day.size else 1
    key = codes.astype(np.int64) * span + (day - base)
    if len(ids) * span < 2**31:  # a 32-bit key sorts about twice as fast
        key = key.astype(np.int32)
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1]))) if key.size else key
    spend = np.add.reduceat(amount[order], starts) if key.size else amount
    occasion_key = key[starts]
    occasion_key = occasion_key.astype(np.int64)
    customer, day_of = occasion_key // span, occasion_key % span + base
    calibration = day_of <= cal_end
    c_customer, c_day = customer[calibration], day_of[calibration]
    c_spend = spend[calibration]
    edge = np.flatnonzero(np.concatenate(([True], c_customer[1:] != c_customer[:-1])))
    edge = edge if c_customer.size else edge[:0]
    ends = np.append(edge[1:], c_customer.size) - 1
    days = np.diff(np.append(edge, c_customer.size))
    first, last = c_day[edge], c_day[ends]
    repeat = (np.add.reduceat(c_spend, edge) if edge.size else c_spend[:0]) - c_spend[edge]
    who = c_customer[edge]
    repeats = days - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        money = np.where(days > 1, repeat / repeats, 0.0)
    out: dict[str, Any] = {
        "customer_id": ids[who],
        "frequency": repeats.astype(np.int64),
        "recency": ((last - first) / unit).astype(np.float64),
        "T": ((cal_end - first) / unit).astype(np.float64),
        "monetary_value": money.astype(np.float64),
    }
    if holdout:
        later = ~calibration
        count = np.bincount(customer[later], minlength=len(ids))[who]
        total = np.bincount(customer[later], weights=spend[later], minlength=len(ids))[who]
        with np.errstate(divide="ignore", invalid="ignore"):
            out["frequency_holdout"] = count.astype(np.int64)
            out["monetary_value_holdout"] = np.where(count > 0, total / count, 0.0)
        out["duration_holdout"] = np.full(who.size, (obs_end - cal_end) / unit)
    return nw.from_native(pd.DataFrame(out), eager_only=True), len(ids) - int(who.size)


#: Rows per pass of a Polars lazy summary. Above this many input rows the customers are
#: split by a hash of ``customer_id`` into passes of about this many rows each, computed
#: one after another: Polars holds a group-by's whole hash table in memory, and smaller
#: tables are also faster (96 million rows: 7.6 GB and 42 s in one pass, 1.5 GB and
#: 20 s in eight; ``benchmarks/bench_out_of_core.py``).
POLARS_ROWS_PER_PASS = 12_000_000


def _customer_partitions(frame: AnyFrame) -> list[AnyFrame]:
    """``frame`` split into disjoint sets of whole customers, each small enough for one pass.

    Only a Polars lazy frame of more than :data:`POLARS_ROWS_PER_PASS` rows is split
    (counting its rows is one cheap query; a Parquet scan answers it from metadata);
    every other frame is one part, itself.
    """
    if not (isinstance(frame, nw.LazyFrame) and frame.implementation.is_polars()):
        return [frame]
    rows = int(collect(frame.select(nw.len())).item(0, 0))
    passes = -(-rows // POLARS_ROWS_PER_PASS)
    if passes <= 1:
        return [frame]
    import polars as pl

    native = nw.to_native(frame)
    bucket = pl.col("customer_id").hash(seed=0) % passes
    return [nw.from_native(native.filter(bucket == i)) for i in range(passes)]


def _summary_in_engine(
    frame: AnyFrame,
    cal_end: int,
    obs_end: int,
    unit: float,
    *,
    holdout: bool,
    count_left_out: bool,
) -> tuple[AnyFrame, int]:
    """The summary computed by the caller's engine, and the count of customers left out.

    One query (lazy stays lazy) unless :func:`_customer_partitions` splits the input:
    then each part is summarised and collected in turn (a summary is one row per
    customer, small), and the result is a lazy frame over their concatenation.
    """

    def one_pass(part: AnyFrame) -> tuple[AnyFrame, int]:
        daily = daily_occasions(part)
        left_out = _first_day_excluded_count(daily, cal_end) if count_left_out else 0
        return _summary_frame(daily, cal_end, obs_end, unit, holdout), left_out

    parts = _customer_partitions(frame)
    if len(parts) == 1:
        summary, left_out = one_pass(parts[0])
        return summary.sort("customer_id"), left_out
    summaries: list[nw.DataFrame[Any]] = []
    left_out = 0
    for part in parts:
        summary, left = one_pass(part)
        summaries.append(collect(summary))
        left_out += left
    return nw.concat(summaries).sort("customer_id").lazy(), left_out


def _left_join(left: AnyFrame, right: AnyFrame) -> AnyFrame:
    """Left-join two frames of the same kind on ``customer_id``."""
    if isinstance(left, nw.LazyFrame) and isinstance(right, nw.LazyFrame):
        return left.join(right, on="customer_id", how="left")
    if isinstance(left, nw.DataFrame) and isinstance(right, nw.DataFrame):
        return left.join(right, on="customer_id", how="left")
    raise TypeError("cannot join an eager and a lazy frame")  # pragma: no cover


def customer_summary(
    transactions: IntoFrameT,
    *,
    columns: Mapping[str, str] | None = None,
    observation_end: DateLike | None = None,
    calibration_end: DateLike | None = None,
    time_unit: TimeUnit = "D",
) -> IntoFrameT:
    """Summarise transactions into one BTYD row per customer.

    A *purchase occasion* is a calendar day with at least one transaction: purchases
    on the same day are one occasion and their amounts are summed. For each customer:

    - ``frequency``: repeat purchase occasions, i.e. distinct purchase days minus one;
    - ``recency``: time from the first to the last purchase day;
    - ``T``: time from the first purchase day to the end of observation;
    - ``monetary_value``: mean spend per repeat occasion (the first purchase day is
      left out, as in Fader, Hardie & Lee 2005 and lifetimes); 0 when there is none.

    Time is counted in whole calendar days and expressed in ``time_unit``: ``"D"``
    for days, ``"W"`` for days / 7 (as in the BG/NBD paper, not calendar weeks).

    Parameters
    ----------
    transactions : dataframe
        Canonical transactions (``customer_id``, ``timestamp``, ``amount``) in any
        backend narwhals reads: pandas, Polars (eager or lazy), PyArrow, DuckDB.
    columns : mapping of str to str, optional
        Canonical name to your column name, e.g. ``{"customer_id": "client"}``.
    observation_end : str, date, datetime or Timestamp, optional
        Last day of observation; transactions after it are ignored. Defaults to the
        last purchase day in the data (this needs one scalar to be computed first).
    calibration_end : str, date, datetime or Timestamp, optional
        With a calibration end, the summary describes the calibration period (up to
        and including this day) and adds holdout columns for the days after it up
        to ``observation_end``: ``frequency_holdout`` (purchase occasions),
        ``monetary_value_holdout`` (mean spend per occasion, 0 when none) and
        ``duration_holdout`` (length of the holdout period). This matches lifetimes'
        ``calibration_and_holdout_data``.
    time_unit : {"D", "W"}
        Unit of ``recency``, ``T`` and ``duration_holdout``.

    Returns
    -------
    dataframe
        One row per customer, sorted by ``customer_id``, in the caller's frame type
        (lazy stays lazy; pandas with a fresh ``0..n-1`` index). A pandas result
        records its time unit in ``attrs["time_unit"]``: models fitted on it remember
        the unit, so calendar horizons (``period_length="30D"``) convert correctly.
        Other backends carry no metadata: tell the model, ``fit(summary,
        time_unit="W")``.

    Raises
    ------
    SchemaError
        When a required column is missing or broken, or the table is empty.
    ValueError
        When ``calibration_end`` is not before ``observation_end`` or a unit is unknown.

    Warns
    -----
    DataQualityWarning
        When some customers are left out because their first purchase comes after
        the end of the period summarised (``observation_end``, or ``calibration_end``
        when given): they have no history in that window. The warning gives the count.

    Notes
    -----
    Runs as aggregations inside the caller's engine: one group-by per customer and
    day, then one per customer. A pandas frame with numpy datetimes is summarised
    with numpy instead (integer day numbers at the column's own resolution, one
    sort), with the same numbers. Two scalars may be computed eagerly: the default
    ``observation_end`` (one ``max`` of the timestamps) and the count of customers
    left out. Negative amounts (returns) are summed into their day's spend as they
    are. A lazy result is a query: when several steps read it, compute it once
    (see the scaling guide). A Polars lazy frame of more than twelve million rows
    is the exception: its customers are split by a hash of ``customer_id`` into
    passes of about twelve million rows, each computed in turn (Polars keeps a
    group-by's hash table in memory; smaller ones are faster too), and the
    result is a lazy frame over the computed summary. Each pass re-reads the
    input: give it a Parquet scan rather than an expensive query.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.value import customer_summary
    >>> tx = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b"],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-15", "2024-02-12",
    ...                                  "2024-01-29"]),
    ...     "amount": [10.0, 30.0, 50.0, 5.0],
    ... })
    >>> s = customer_summary(tx, calibration_end="2024-01-31", observation_end="2024-02-28",
    ...                      time_unit="W")
    >>> s[["customer_id", "frequency", "recency", "T", "monetary_value"]].round(2)
      customer_id  frequency  recency     T  monetary_value
    0           a          1      2.0  4.29            30.0
    1           b          0      0.0  0.29             0.0
    >>> s[["frequency_holdout", "monetary_value_holdout", "duration_holdout"]]
       frequency_holdout  monetary_value_holdout  duration_holdout
    0                  1                    50.0               4.0
    1                  0                     0.0               4.0
    """
    unit = time_unit_days(time_unit)
    frame = validated(transactions, "transactions", columns=columns, purpose="customer_summary")
    last = last_day(frame, "customer_summary")
    if observation_end is None:
        obs_end = last
        implicit_end = True
    else:
        obs_end = to_day_number(observation_end)
        implicit_end = False
    cal_end = obs_end if calibration_end is None else to_day_number(calibration_end)
    if calibration_end is not None and cal_end >= obs_end:
        raise ValueError(
            f"calibration_end ({calibration_end}) must be before observation_end "
            f"(day {obs_end}); pass a later observation_end or an earlier calibration_end"
        )
    holdout = calibration_end is not None
    native = nw.to_native(frame) if frame.implementation.is_pandas() else None
    if native is not None and native["timestamp"].dtype.kind == "M":
        columns_out, left_out = _summary_numpy(native, cal_end, obs_end, unit, holdout=holdout)
        _warn_left_out(left_out, holdout)
        result = to_caller(columns_out, transactions)
    else:
        # Customers can only start after the summarised period if some purchase falls
        # after it; checking the last purchase day first spares a pass over the data.
        count_left_out = holdout or (not implicit_end and last > cal_end)
        summary, left_out = _summary_in_engine(
            frame, cal_end, obs_end, unit, holdout=holdout, count_left_out=count_left_out
        )
        if count_left_out:
            _warn_left_out(left_out, holdout)
        result = to_caller(summary, transactions)
    if isinstance(result, pd.DataFrame):
        result.attrs["time_unit"] = time_unit
    return result
