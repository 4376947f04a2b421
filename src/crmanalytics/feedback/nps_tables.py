"""Net Promoter Score tables: per group and per calendar period of an interactions table.

The grouped counterparts of :func:`crmanalytics.feedback.nps`: promoters, passives and
detractors are counted in the caller's engine, only the small per-group table is
collected, and every row gets the score, its standard error and the interval
``nps_low``, ``nps_high`` (the library's ``x_low``/``x_high`` convention).

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.feedback import nps_by
>>> answers = pd.DataFrame({
...     "customer_id": [1, 2, 3, 4],
...     "timestamp": pd.to_datetime(["2024-01-05"] * 4),
...     "kind": "nps",
...     "channel": ["web", "web", "store", "store"],
...     "score": [10, 3, 9, 9],
... })
>>> nps_by(answers, by="channel")[["channel", "n", "nps"]]
  channel  n    nps
0   store  2  100.0
1     web  2    0.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._frames import AnyFrame, collect, epoch_day, to_caller, validated
from crmanalytics._periods import (
    Period,
    check_period,
    is_partial,
    period_starts,
    with_timestamp_period,
)
from crmanalytics.errors import Problem, SchemaError
from crmanalytics.feedback import _nps_kernel as kernel
from crmanalytics.feedback._input import Missing, answers_only, check_missing_option
from crmanalytics.feedback.nps import Method

__all__ = ["nps_by", "nps_trend"]

_RESULT_COLUMNS = (
    "n",
    "promoters",
    "passives",
    "detractors",
    "nps",
    "standard_error",
    "nps_low",
    "nps_high",
)
# Internal column names, unlikely to clash with a caller's grouping columns.
_PRO, _PAS, _DET = "__crm_pro", "__crm_pas", "__crm_det"
_INVALID, _KEY = "__crm_invalid", "__crm_period"


def _indicator(condition: nw.Expr) -> nw.Expr:
    return nw.when(condition).then(1).otherwise(0)


def _grouped_counts(frame: AnyFrame, keys: list[str], *, kind: str) -> nw.DataFrame[Any]:
    """Promoter / passive / detractor counts per group (aggregated in-engine, collected)."""
    schema = frame.collect_schema()
    if not schema["score"].is_numeric():
        raise SchemaError(
            "interactions",
            [
                Problem(
                    "score",
                    f"must be numeric, got {schema['score']}",
                    0,
                    fix="cast the score column to numbers (NPS answers 0..10)",
                )
            ],
        )
    answers = frame.filter(nw.col("kind") == kind)
    score = nw.col("score")
    # NaN counts as missing on every backend (pandas already conflates the two).
    present = ~(score.is_null() | score.is_nan().fill_null(value=True))
    fraction = present & ((score % 1) != 0)
    outside = present & ((score < 0) | (score > 10))
    invalid = fraction | outside
    # Rows that break a rule make the call raise below, so the three groups only need
    # to be right for valid scores; that keeps the in-engine work to four flags.
    flagged = answers.with_columns(
        _indicator(score >= 9).alias(_PRO),
        _indicator((score >= 7) & (score < 9)).alias(_PAS),
        _indicator(score < 7).alias(_DET),
        _indicator(invalid).alias(_INVALID),
    )
    flags = [_PRO, _PAS, _DET, _INVALID]
    counted = flagged.group_by(keys).agg(nw.col(*flags).sum())
    # DuckDB sums to decimals: cast after collecting the small table.
    counts = collect(counted).with_columns(nw.col(*flags).cast(nw.Int64))
    problems = []
    if int(counts[_INVALID].sum() or 0):
        for condition, rule in (
            (fraction, f"must be a whole number on kind == {kind!r} rows"),
            (outside, f"must be between 0 and 10 on kind == {kind!r} rows"),
        ):
            rows = int(collect(answers.filter(condition).select(nw.len())).item())
            if rows:
                sample = collect(answers.filter(condition).select("score").unique().head(5))
                examples = tuple(sorted(sample["score"].to_list()))
                problems.append(
                    Problem(
                        "score",
                        rule,
                        rows,
                        examples,
                        "NPS answers are whole numbers from 0 to 10; recode or remove the others",
                    )
                )
    if problems:
        raise SchemaError("interactions", problems)
    counts = counts.with_columns((nw.col(_PRO) + nw.col(_PAS) + nw.col(_DET)).alias("n")).filter(
        nw.col("n") > 0
    )
    return counts.sort(keys, nulls_last=True) if keys else counts


def _result_frame(
    counts: nw.DataFrame[Any],
    keys: list[str],
    *,
    method: str,
    confidence: float,
    n_resamples: int,
    seed: int | np.random.Generator | None,
) -> nw.DataFrame[Any]:
    pro = counts[_PRO].to_numpy().astype(np.int64)
    pas = counts[_PAS].to_numpy().astype(np.int64)
    det = counts[_DET].to_numpy().astype(np.int64)
    if len(pro):
        out = kernel.intervals(
            (pro, pas, det),
            method=method,
            confidence=confidence,
            n_resamples=n_resamples,
            seed=seed,
        )
        se, low, high = out.standard_error, out.low, out.high
    else:
        se = low = high = np.zeros(0)
    n = pro + pas + det
    score = np.divide(100.0 * (pro - det), n, out=np.zeros(len(n)), where=n > 0)
    backend = counts.implementation
    values: dict[str, tuple[npt.NDArray[Any], Any]] = {
        "n": (n, nw.Int64),
        "promoters": (pro, nw.Int64),
        "passives": (pas, nw.Int64),
        "detractors": (det, nw.Int64),
        "nps": (score, nw.Float64),
        "standard_error": (np.asarray(se, dtype=np.float64), nw.Float64),
        "nps_low": (np.asarray(low, dtype=np.float64), nw.Float64),
        "nps_high": (np.asarray(high, dtype=np.float64), nw.Float64),
    }
    series = [
        nw.new_series(name, array, dtype, backend=backend)
        for name, (array, dtype) in values.items()
    ]
    return counts.select(keys).with_columns(*series)


def _check_grouping(by: str | Sequence[str] | None, reserved: Sequence[str]) -> list[str]:
    keys = [by] if isinstance(by, str) else list(by or [])
    clash = [k for k in keys if k in reserved or k.startswith("__crm_")]
    if clash:
        raise ValueError(
            f"by must not name result columns {', '.join(map(repr, clash))}; rename them first"
        )
    return keys


def _answers_frame(
    interactions: Any,
    keys: list[str],
    *,
    kind: str,
    confidence: float,
    method: str,
    missing: Missing,
    columns: Mapping[str, str] | None,
    why: str,
) -> AnyFrame:
    """Check the options, handle unanswered rows, then the one way in (validated)."""
    kernel.check_method(method)
    kernel.z_value(confidence)
    check_missing_option(missing)
    answers = answers_only(interactions, columns, kind=kind, missing=missing)
    return validated(answers, "interactions", columns=columns, needs=["score", *keys], purpose=why)


def nps_by(
    interactions: IntoFrameT,
    *,
    by: str | Sequence[str],
    kind: str = "nps",
    confidence: float = 0.95,
    method: Method = "wald",
    missing: Missing = "raise",
    n_resamples: int = 2000,
    seed: int | np.random.Generator | None = None,
    columns: Mapping[str, str] | None = None,
) -> IntoFrameT:
    """Net Promoter Score per group of an interactions table.

    Rows with ``kind == kind`` are the answers; their ``score`` column holds 0..10.
    Counts of promoters, passives and detractors per group are aggregated in the
    caller's engine; only that small per-group table is collected, and the
    intervals are computed on it.

    Parameters
    ----------
    interactions : dataframe
        Canonical interactions (``customer_id``, ``timestamp``, ``kind``, ``score``)
        in any backend.
    by : str or sequence of str
        Grouping column(s), for example ``"channel"``. Null keys form their own group.
    kind : str, default "nps"
        Which rows are NPS answers.
    confidence, method, n_resamples, seed
        As in :func:`nps`.
    missing : {"raise", "drop"}, default "raise"
        What to do with answer rows whose score is null.
    columns : mapping, optional
        Canonical name -> your column name, when yours differ.

    Returns
    -------
    dataframe
        The caller's type (lazy stays lazy), one row per group sorted by the group
        keys: the ``by`` columns, ``n``, ``promoters``, ``passives``,
        ``detractors``, ``nps``, ``standard_error``, ``nps_low``, ``nps_high`` (the interval). A
        group is present only if it has at least one answer.

    Raises
    ------
    SchemaError
        When a needed column is missing, or scores are not whole numbers 0..10, or
        (with ``missing="raise"``) scores are missing.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.feedback import nps_by
    >>> answers = pd.DataFrame({
    ...     "customer_id": [1, 2, 3, 4, 5, 6],
    ...     "timestamp": pd.to_datetime(["2024-01-05"] * 6),
    ...     "kind": "nps",
    ...     "channel": ["web", "web", "web", "store", "store", "store"],
    ...     "score": [10, 9, 3, 8, 9, 10],
    ... })
    >>> table = nps_by(answers, by="channel")
    >>> table[["channel", "n", "promoters", "detractors", "nps"]].round(1)
      channel  n  promoters  detractors   nps
    0   store  3          2           0  66.7
    1     web  3          2           1  33.3
    """
    keys = _check_grouping(by, _RESULT_COLUMNS)
    if not keys:
        raise ValueError("by must name at least one grouping column")
    frame = _answers_frame(
        interactions,
        keys,
        kind=kind,
        confidence=confidence,
        method=method,
        missing=missing,
        columns=columns,
        why="nps_by",
    )
    counts = _grouped_counts(frame, keys, kind=kind)
    result = _result_frame(
        counts, keys, method=method, confidence=confidence, n_resamples=n_resamples, seed=seed
    )
    return to_caller(result, interactions)


def nps_trend(
    interactions: IntoFrameT,
    *,
    period: Period = "M",
    by: str | Sequence[str] | None = None,
    kind: str = "nps",
    confidence: float = 0.95,
    method: Method = "wald",
    missing: Missing = "raise",
    n_resamples: int = 2000,
    seed: int | np.random.Generator | None = None,
    columns: Mapping[str, str] | None = None,
) -> IntoFrameT:
    """Net Promoter Score per calendar period (and optionally per group).

    Each answer's ``timestamp`` is mapped to its period in the caller's engine
    (wall-clock time: a time-zone-aware column is read in its own zone), counts are
    aggregated there, and only the per-period table is collected.

    Parameters
    ----------
    interactions : dataframe
        Canonical interactions with ``timestamp``, ``kind`` and ``score``.
    period : {"D", "W", "M", "Q", "Y"}, default "M"
        Day, week (starting Monday), month, quarter or year.
    by : str or sequence of str, optional
        Extra grouping column(s), for a trend per channel, segment ...
    kind, confidence, method, missing, n_resamples, seed, columns
        As in :func:`nps_by`.

    Returns
    -------
    dataframe
        The caller's type, sorted by the ``by`` columns then ``period``: the ``by``
        columns, ``period`` (datetime, the first instant of the period), then the
        columns of :func:`nps_by`. Periods without answers are absent.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.feedback import nps_trend
    >>> answers = pd.DataFrame({
    ...     "customer_id": range(6),
    ...     "timestamp": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-01-31",
    ...                                  "2024-02-02", "2024-02-10", "2024-02-28"]),
    ...     "kind": "nps",
    ...     "score": [10, 9, 3, 9, 8, 2],
    ... })
    >>> trend = nps_trend(answers, period="M")
    >>> trend[["period", "n", "promoters", "detractors"]]
          period  n  promoters  detractors
    0 2024-01-01  3          2           1
    1 2024-02-01  3          1           1
    """
    period = check_period(period)
    keys = _check_grouping(by, (*_RESULT_COLUMNS, "period"))
    frame = _answers_frame(
        interactions,
        keys,
        kind=kind,
        confidence=confidence,
        method=method,
        missing=missing,
        columns=columns,
        why="nps_trend",
    )
    wrapped: Any = frame  # eager or lazy: the calendar keeps its kind
    keyed = with_timestamp_period(wrapped, "timestamp", period, _KEY)
    counts = _grouped_counts(keyed, [*keys, _KEY], kind=kind)
    result = _result_frame(
        counts,
        [*keys, _KEY],
        method=method,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
    )
    index = counts[_KEY].to_numpy().astype(np.int64)
    starts = period_starts(index, period)
    first, last = _answer_days(wrapped, kind)
    partial = [is_partial(int(j), period, first, last) for j in index]
    backend = result.implementation
    result = result.with_columns(
        nw.new_series("period", starts, nw.Datetime("us"), backend=backend),
        nw.new_series("partial", partial, nw.Boolean, backend=backend),
    ).select(*keys, "period", *_RESULT_COLUMNS, "partial")
    return to_caller(result, interactions)


def _answer_days(frame: Any, kind: str) -> tuple[int, int]:
    """First and last epoch day with an answer (one small query)."""
    day = epoch_day("timestamp", frame)
    answers = frame.filter((nw.col("kind") == kind).fill_null(value=False))
    span = collect(answers.select(day.min().alias("lo"), day.max().alias("hi")))
    lo, hi = span["lo"].to_list()[0], span["hi"].to_list()[0]
    return (0, -1) if lo is None else (int(lo), int(hi))
