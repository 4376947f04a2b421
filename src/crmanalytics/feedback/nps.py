"""Net Promoter Score with its uncertainty.

Answers to "How likely are you to recommend us?" on a 0..10 scale are grouped into
detractors (0-6), passives (7-8) and promoters (9-10). The Net Promoter Score is the
percentage of promoters minus the percentage of detractors, on the -100..100 scale.
Every function here also reports the standard error and a confidence interval,
because a move from 32 to 35 is often noise.

Examples
--------
>>> from crmanalytics.feedback import nps
>>> result = nps([10, 9, 9, 8, 7, 6, 3, 10, 9, 0])
>>> result.score
20.0
>>> result.promoters, result.passives, result.detractors
(5, 2, 3)
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt
from scipy import stats

from crmanalytics._frames import AnyFrame, collect, epoch_day
from crmanalytics._results import ConfidenceInterval
from crmanalytics.errors import DataQualityWarning, Problem, SchemaError
from crmanalytics.feedback import _nps_kernel as kernel
from crmanalytics.feedback._input import (
    Missing,
    as_caller_type,
    check_missing_option,
    read_scores,
    require,
    validated_interactions,
)

__all__ = [
    "Method",
    "NPSComparison",
    "NPSResult",
    "Period",
    "compare_nps",
    "nps",
    "nps_by",
    "nps_trend",
    "required_sample_size",
]

#: Interval methods: ``"wald"``, ``"adjusted-wald"`` (Rocks 2016) and ``"bootstrap"``.
Method: TypeAlias = Literal["wald", "adjusted-wald", "bootstrap"]
#: Calendar periods for :func:`nps_trend`: day, ISO week (Monday), month, quarter, year.
Period: TypeAlias = Literal["D", "W", "M", "Q", "Y"]

_METHODS = ("wald", "adjusted-wald", "bootstrap")
_PERIODS = ("D", "W", "M", "Q", "Y")
_RESULT_COLUMNS = (
    "n",
    "promoters",
    "passives",
    "detractors",
    "nps",
    "standard_error",
    "ci_low",
    "ci_high",
)
# Internal column names, unlikely to clash with a caller's grouping columns.
_PRO, _PAS, _DET, _MISS = "__crm_pro", "__crm_pas", "__crm_det", "__crm_miss"
_INVALID, _KEY = "__crm_invalid", "__crm_period"


@dataclass(frozen=True)
class NPSResult:
    """Net Promoter Score of one sample, with its uncertainty.

    Parameters
    ----------
    score : float
        Sample NPS, ``100 * (promoters - detractors) / n``, in [-100, 100].
    n : int
        Number of answers.
    promoters, passives, detractors : int
        Answers of 9-10, 7-8 and 0-6.
    standard_error : float
        Standard error behind the interval: ``100 sqrt(V / n)`` with
        ``V = p_pro + p_det - (p_pro - p_det)^2`` for ``"wald"``; the same on the
        adjusted counts (``n + 3``) for ``"adjusted-wald"``; the standard deviation of
        the resampled scores for ``"bootstrap"``.
    confidence_interval : ConfidenceInterval
        Two-sided interval, always within [-100, 100].
    method : str
        Interval method used.
    confidence : float
        Confidence level of the interval.

    Examples
    --------
    >>> from crmanalytics.feedback import nps
    >>> r = nps([9] * 50 + [7] * 30 + [3] * 20)
    >>> r.score, round(r.standard_error, 3)
    (30.0, 7.81)
    >>> round(r.confidence_interval.low, 2), round(r.confidence_interval.high, 2)
    (14.69, 45.31)
    """

    score: float
    n: int
    promoters: int
    passives: int
    detractors: int
    standard_error: float
    confidence_interval: ConfidenceInterval
    method: str
    confidence: float = 0.95


@dataclass(frozen=True)
class NPSComparison:
    """Difference between two independent Net Promoter Scores.

    Parameters
    ----------
    difference : float
        ``b.score - a.score`` in NPS points (the change from ``a`` to ``b``).
    standard_error : float
        ``sqrt(se_a^2 + se_b^2)``, from each sample's Wald (or adjusted Wald)
        standard error.
    z : float
        Test statistic for "no difference": the method's estimate of the difference
        divided by ``standard_error``.
    p_value : float
        Two-sided p-value of ``z`` under the standard normal.
    confidence_interval : ConfidenceInterval
        Interval for the difference, within [-200, 200].
    method : str
        ``"wald"`` or ``"adjusted-wald"``.
    confidence : float
        Confidence level of the interval.

    Examples
    --------
    >>> from crmanalytics.feedback import compare_nps
    >>> c = compare_nps([9] * 50 + [7] * 30 + [3] * 20, [9] * 60 + [7] * 20 + [3] * 20)
    >>> c.difference, round(c.p_value, 3)
    (10.0, 0.371)
    """

    difference: float
    standard_error: float
    z: float
    p_value: float
    confidence_interval: ConfidenceInterval
    method: str
    confidence: float = 0.95


def _check_method(method: str, allowed: Sequence[str] = _METHODS) -> None:
    if method not in allowed:
        names = ", ".join(repr(m) for m in allowed)
        raise ValueError(f"method must be one of {names}, got {method!r}")


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _intervals(
    counts: tuple[npt.ArrayLike, npt.ArrayLike, npt.ArrayLike],
    *,
    method: str,
    confidence: float,
    n_resamples: int,
    seed: int | np.random.Generator | None,
) -> kernel.IntervalArrays:
    _check_method(method)
    z = kernel.z_value(confidence)
    if method == "wald":
        return kernel.wald(*counts, z)
    if method == "adjusted-wald":
        return kernel.adjusted_wald(*counts, z)
    if n_resamples < 100:
        raise ValueError(f"n_resamples must be at least 100 for a bootstrap, got {n_resamples}")
    return kernel.bootstrap(*counts, confidence, n_resamples=n_resamples, rng=_rng(seed))


def _from_counts(
    promoters: int,
    passives: int,
    detractors: int,
    *,
    method: str,
    confidence: float,
    n_resamples: int = 2000,
    seed: int | np.random.Generator | None = None,
) -> NPSResult:
    out = _intervals(
        ([promoters], [passives], [detractors]),
        method=method,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
    )
    n = promoters + passives + detractors
    return NPSResult(
        score=100.0 * (promoters - detractors) / n,
        n=n,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        standard_error=float(out.standard_error[0]),
        confidence_interval=ConfidenceInterval(float(out.low[0]), float(out.high[0])),
        method=method,
        confidence=confidence,
    )


def nps(
    scores: Any,
    *,
    confidence: float = 0.95,
    method: Method = "wald",
    missing: Missing = "raise",
    n_resamples: int = 2000,
    seed: int | np.random.Generator | None = None,
) -> NPSResult:
    """Net Promoter Score of a sample of answers, with a confidence interval.

    Parameters
    ----------
    scores : sequence of int
        Answers 0..10: a list, a 1-D numpy array, a pandas / Polars / PyArrow series,
        or a frame (any backend) with exactly one column. Whole-valued floats such as
        ``9.0`` are accepted.
    confidence : float, default 0.95
        Confidence level of the interval.
    method : {"wald", "adjusted-wald", "bootstrap"}, default "wald"
        ``"wald"``: sample NPS plus or minus ``z`` standard errors. It is too
        narrow for small samples and collapses to a point when every answer falls
        in one group. ``"adjusted-wald"``: Rocks (2016) adds 0.75 promoters,
        1.5 passives and 0.75 detractors (``n + 3``) before the Wald step; it
        behaves well at small ``n`` and near +-100 and is the better default for
        small samples. ``"bootstrap"``: percentile interval from ``n_resamples``
        resamples (reproducible with ``seed``). Every interval is clipped to
        [-100, 100].
    missing : {"raise", "drop"}, default "raise"
        Missing answers (None, NaN, null) raise a :class:`~crmanalytics.errors.SchemaError`;
        with ``"drop"`` they are set aside and counted in a
        :class:`~crmanalytics.errors.DataQualityWarning`.
    n_resamples : int, default 2000
        Bootstrap resamples (``method="bootstrap"`` only).
    seed : int or numpy.random.Generator, optional
        Random source of the bootstrap.

    Returns
    -------
    NPSResult

    Raises
    ------
    SchemaError
        When answers are not numbers, are missing, are not whole, or fall outside
        0..10; the message lists each rule with counts and examples.
    ValueError
        For an unknown method, a confidence outside (0, 1), or no answers.

    References
    ----------
    B. Rocks (2016), "Interval estimation for the 'net promoter score'",
    *The American Statistician* 70(4), 365-372.

    Examples
    --------
    >>> from crmanalytics.feedback import nps
    >>> r = nps([10, 10, 9, 7, 2], method="adjusted-wald")
    >>> r.score, r.n
    (40.0, 5)
    >>> r.confidence_interval.low < 40.0 < r.confidence_interval.high
    True
    >>> r.confidence_interval.high <= 100.0
    True
    """
    _check_method(method)
    kernel.z_value(confidence)
    values = read_scores(scores, missing=missing)
    if values.size == 0:
        raise ValueError("scores has no answers to compute an NPS from")
    counts = np.bincount(values, minlength=11)
    return _from_counts(
        int(counts[9:].sum()),
        int(counts[7:9].sum()),
        int(counts[:7].sum()),
        method=method,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
    )


def _as_counts(sample: NPSResult | Any, name: str) -> tuple[int, int, int]:
    if isinstance(sample, NPSResult):
        return sample.promoters, sample.passives, sample.detractors
    try:
        result = nps(sample)
    except SchemaError as exc:
        raise SchemaError(f"{name} ({exc.table})", exc.problems) from exc
    return result.promoters, result.passives, result.detractors


def compare_nps(
    a: NPSResult | Any,
    b: NPSResult | Any,
    *,
    confidence: float = 0.95,
    method: Literal["wald", "adjusted-wald"] = "wald",
) -> NPSComparison:
    """Compare two independent Net Promoter Scores.

    Parameters
    ----------
    a, b : NPSResult or sequence of int
        The two samples, as results of :func:`nps` (only their counts are used, so
        their own interval method does not matter) or as answers 0..10.
    confidence : float, default 0.95
        Confidence level of the interval for the difference.
    method : {"wald", "adjusted-wald"}, default "wald"
        ``"wald"`` uses each sample's Wald standard error; ``"adjusted-wald"``
        first adds the Rocks (2016) pseudo-counts to each sample, and then both
        the centre of the interval and ``z`` use the adjusted scores, so the test
        rejects exactly when the interval excludes zero.

    Returns
    -------
    NPSComparison
        ``difference = b.score - a.score`` (the change from ``a`` to ``b``) with its
        standard error ``sqrt(se_a^2 + se_b^2)``, ``z``, the two-sided p-value and
        the interval.

    Examples
    --------
    >>> from crmanalytics.feedback import compare_nps, nps
    >>> before = nps([9] * 32 + [7] * 36 + [3] * 32)
    >>> after = nps([9] * 35 + [7] * 35 + [3] * 30)
    >>> c = compare_nps(before, after)
    >>> c.difference
    5.0
    >>> c.p_value > 0.05
    True
    """
    _check_method(method, ("wald", "adjusted-wald"))
    z_crit = kernel.z_value(confidence)
    first = _as_counts(a, "a")
    second = _as_counts(b, "b")
    out = kernel.difference(first, second, z_crit, adjusted=method == "adjusted-wald")
    estimate = float(out.estimate[0])
    se = float(out.standard_error[0])
    # With se == 0 both samples answered unanimously: no sampling spread to test against.
    unanimous = 0.0 if estimate == 0 else float(np.copysign(np.inf, estimate))
    z = estimate / se if se > 0 else unanimous
    p_value = float(2.0 * stats.norm.sf(abs(z)))
    raw = 100.0 * (second[0] - second[2]) / sum(second) - 100.0 * (first[0] - first[2]) / sum(first)
    return NPSComparison(
        difference=raw,
        standard_error=se,
        z=z,
        p_value=p_value,
        confidence_interval=ConfidenceInterval(float(out.low[0]), float(out.high[0])),
        method=method,
        confidence=confidence,
    )


def required_sample_size(
    margin: float,
    *,
    expected_mix: tuple[float, float, float] | NPSResult | None = None,
    confidence: float = 0.95,
) -> int:
    """Answers needed for a target margin of error.

    The margin of error of the Wald interval is ``z * 100 sqrt(V / n)`` with
    ``V = p_pro + p_det - (p_pro - p_det)^2``, so
    ``n = ceil(z^2 V / (margin / 100)^2)``.

    Parameters
    ----------
    margin : float
        Half-width of the interval in NPS points (``5`` means +-5 points), in
        (0, 200].
    expected_mix : (promoters, passives, detractors) shares or NPSResult, optional
        Expected shares (each in [0, 1], summing to 1), or a previous result whose
        observed shares are used. Default: the worst case, half promoters and half
        detractors (``V = 1``), which gives the largest sample any mix can need.
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    int
        Minimum number of answers (at least 1).

    Examples
    --------
    >>> from crmanalytics.feedback import required_sample_size
    >>> required_sample_size(5)
    1537
    >>> required_sample_size(5, expected_mix=(0.5, 0.3, 0.2))
    938
    """
    if not 0 < float(margin) <= 200:
        raise ValueError(f"margin must be in (0, 200] NPS points, got {margin!r}")
    z = kernel.z_value(confidence)
    if expected_mix is None:
        p_pro, p_det = 0.5, 0.5
    elif isinstance(expected_mix, NPSResult):
        p_pro = expected_mix.promoters / expected_mix.n
        p_det = expected_mix.detractors / expected_mix.n
    else:
        mix = tuple(float(v) for v in expected_mix)
        if len(mix) != 3 or min(mix) < -1e-9 or abs(sum(mix) - 1.0) > 1e-9:
            raise ValueError(
                "expected_mix must be three shares (promoters, passives, detractors), "
                f"each in [0, 1] and summing to 1, got {expected_mix!r}"
            )
        p_pro, p_det = max(mix[0], 0.0), max(mix[2], 0.0)
    return kernel.sample_size(float(margin), p_pro, p_det, z)


# --------------------------------------------------------------------------------------
# Grouped scores over interaction tables


def _wall_clock(frame: AnyFrame, column: str) -> nw.Expr:
    dtype = frame.collect_schema().get(column)
    expr = nw.col(column)
    if isinstance(dtype, nw.Datetime) and dtype.time_zone is not None:
        expr = expr.dt.replace_time_zone(None)
    return expr


def _period_key(frame: AnyFrame, period: str) -> nw.Expr:
    """Integer period index, computed in the caller's engine."""
    if period in ("D", "W"):
        day = epoch_day("timestamp", frame)
        # 1970-01-01 was a Thursday: shifting by 3 makes weeks start on Monday.
        return day if period == "D" else (day + 3) // 7
    stamp = _wall_clock(frame, "timestamp")
    year = stamp.dt.year().cast(nw.Int64)
    month = stamp.dt.month().cast(nw.Int64)
    if period == "M":
        return year * 12 + month - 1
    if period == "Q":
        return year * 4 + (month - 1) // 3
    return year


def _period_start(keys: npt.NDArray[np.int64], period: str) -> npt.NDArray[np.datetime64]:
    """First instant of each period index (the inverse of :func:`_period_key`)."""
    if period == "D":
        out = keys.astype("datetime64[D]")
    elif period == "W":
        out = (keys * 7 - 3).astype("datetime64[D]")
    elif period == "M":
        out = (keys - 1970 * 12).astype("datetime64[M]")
    elif period == "Q":
        out = ((keys - 1970 * 4) * 3).astype("datetime64[M]")
    else:
        out = (keys - 1970).astype("datetime64[Y]")
    return out.astype("datetime64[us]")


def _indicator(condition: nw.Expr) -> nw.Expr:
    return nw.when(condition).then(1).otherwise(0)


def _grouped_counts(
    frame: AnyFrame, keys: list[str], *, kind: str, missing: str
) -> nw.DataFrame[Any]:
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
        _indicator(~present).alias(_MISS),
        _indicator(invalid).alias(_INVALID),
    )
    flags = [_PRO, _PAS, _DET, _MISS, _INVALID]
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
    n_missing = int(counts[_MISS].sum() or 0)
    if n_missing and missing == "raise":
        problems.append(
            Problem(
                "score",
                f"must not be missing on kind == {kind!r} rows",
                n_missing,
                (),
                "fill or remove the missing answers, or pass missing='drop' to set them aside",
            )
        )
    if problems:
        raise SchemaError("interactions", problems)
    counts = counts.with_columns((nw.col(_PRO) + nw.col(_PAS) + nw.col(_DET)).alias("n")).filter(
        nw.col("n") > 0
    )
    if n_missing:
        warnings.warn(
            DataQualityWarning(
                f"{n_missing} {kind!r} row{'s' if n_missing != 1 else ''} without a score "
                "set aside (missing='drop')"
            ),
            stacklevel=3,
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
        out = _intervals(
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
        "ci_low": (np.asarray(low, dtype=np.float64), nw.Float64),
        "ci_high": (np.asarray(high, dtype=np.float64), nw.Float64),
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
    missing: str,
    columns: Mapping[str, str] | None,
    why: str,
) -> AnyFrame:
    """Check the options, validate the table and require the score and key columns."""
    _check_method(method)
    kernel.z_value(confidence)
    check_missing_option(missing)
    frame = validated_interactions(
        interactions, columns, drop_unanswered=kind if missing == "drop" else None
    )
    require(frame, ["score", *keys], why=why)
    return frame


def nps_by(
    interactions: Any,
    *,
    by: str | Sequence[str],
    kind: str = "nps",
    confidence: float = 0.95,
    method: Method = "wald",
    missing: Missing = "raise",
    n_resamples: int = 2000,
    seed: int | np.random.Generator | None = None,
    columns: Mapping[str, str] | None = None,
) -> Any:
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
        ``detractors``, ``nps``, ``standard_error``, ``ci_low``, ``ci_high``. A
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
    counts = _grouped_counts(frame, keys, kind=kind, missing=missing)
    result = _result_frame(
        counts, keys, method=method, confidence=confidence, n_resamples=n_resamples, seed=seed
    )
    return as_caller_type(result, frame)


def nps_trend(
    interactions: Any,
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
) -> Any:
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
    if period not in _PERIODS:
        raise ValueError(f"period must be one of {', '.join(map(repr, _PERIODS))}, got {period!r}")
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
    keyed = frame.with_columns(_period_key(frame, period).alias(_KEY))
    counts = _grouped_counts(keyed, [*keys, _KEY], kind=kind, missing=missing)
    result = _result_frame(
        counts,
        [*keys, _KEY],
        method=method,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
    )
    starts = _period_start(counts[_KEY].to_numpy().astype(np.int64), period)
    result = result.with_columns(
        nw.new_series("period", starts, nw.Datetime("us"), backend=result.implementation)
    ).select(*keys, "period", *_RESULT_COLUMNS)
    return as_caller_type(result, frame)
