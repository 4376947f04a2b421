"""Boundary helpers for the feedback analyses (internal).

Reading a loose collection of scores into numpy, checking NPS answers, validating
interaction frames at the boundary (:func:`crmanalytics.schema.validate_interactions`),
and handing small results back in the caller's frame type.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, TypeAlias

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from crmanalytics._frames import AnyFrame, collect, from_native, result_like
from crmanalytics.errors import DataQualityWarning, Problem, SchemaError
from crmanalytics.schema import require_columns, validate_interactions

__all__ = [
    "Missing",
    "as_caller_type",
    "check_missing_option",
    "read_scores",
    "require",
    "validated_interactions",
]

Missing: TypeAlias = Literal["raise", "drop"]

_MISSING_FIX = "fill or remove the missing answers, or pass missing='drop' to set them aside"
_RANGE_FIX = "NPS answers are whole numbers from 0 to 10; recode or remove the others"
_EXAMPLES = 5


def check_missing_option(missing: str) -> None:
    """Raise ValueError unless ``missing`` is ``"raise"`` or ``"drop"``."""
    if missing not in ("raise", "drop"):
        raise ValueError(f"missing must be 'raise' or 'drop', got {missing!r}")


def validated_interactions(
    interactions: Any,
    columns: Mapping[str, str] | None,
    *,
    drop_unanswered: str | None = None,
) -> AnyFrame:
    """Validate an interactions frame at the boundary and wrap it in narwhals.

    With ``drop_unanswered=kind``, rows of that kind whose score is missing are set
    aside before validation (which would reject them) and counted in a
    DataQualityWarning; counting them needs one small query.
    """
    raw = from_native(interactions)
    if drop_unanswered is not None:
        names = raw.collect_schema().names()
        kind_col = (columns or {}).get("kind", "kind")
        score_col = (columns or {}).get("score", "score")
        if kind_col in names and score_col in names:
            score = nw.col(score_col)
            dtype = raw.collect_schema()[score_col]
            blank = score.is_null()
            if dtype.is_float():
                blank = blank | score.is_nan().fill_null(value=True)
            unanswered = (nw.col(kind_col) == drop_unanswered).fill_null(value=False) & blank
            count = int(collect(raw.filter(unanswered).select(nw.len())).item())
            if count:
                raw = raw.filter(~unanswered)
                warnings.warn(
                    DataQualityWarning(
                        f"{count} {drop_unanswered!r} row{'s' if count != 1 else ''} without "
                        "a score set aside (missing='drop')"
                    ),
                    stacklevel=3,
                )
    return from_native(validate_interactions(raw, columns=columns))


def require(frame: AnyFrame, names: Iterable[str], *, why: str) -> None:
    """Raise SchemaError naming every column in ``names`` the frame lacks."""
    require_columns(frame, "interactions", names, purpose=why)


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(float(value))
    # pandas.NA, pandas.NaT and friends compare to nothing.
    return type(value).__name__ in {"NAType", "NaTType"}


#: Floats (NaN where missing or not a number) and the items that are not numbers,
#: with a mask of where they were.
_Values: TypeAlias = tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], list[object]]


def _object_values(items: Sequence[object]) -> _Values:
    """Turn arbitrary objects into floats and list the non-numbers."""
    values = np.full(len(items), np.nan)
    other = np.zeros(len(items), dtype=bool)
    not_numbers: list[object] = []
    for i, item in enumerate(items):
        if _is_missing(item):
            continue
        if isinstance(item, bool | np.bool_) or not isinstance(item, numbers.Real):
            not_numbers.append(item)
            other[i] = True
            continue
        values[i] = float(item)
    return values, other, not_numbers


def _numeric_values(values: npt.ArrayLike) -> _Values:
    array = np.asarray(values, dtype=np.float64)
    return array, np.zeros(len(array), dtype=bool), []


def _series_values(series: nw.Series[Any]) -> _Values:
    if series.dtype.is_numeric():
        nulls = series.is_null().to_numpy()
        values = np.asarray(series.fill_null(0).cast(nw.Float64).to_numpy(), dtype=np.float64)
        # np.where makes a new array: the values may be a view of the caller's data.
        return _numeric_values(np.where(nulls, np.nan, values))
    return _object_values(series.to_list())


def _as_values(scores: Any) -> tuple[str, _Values]:
    """Read scores into floats; return the column name and the values."""
    if isinstance(scores, np.ndarray):
        if scores.ndim != 1:
            raise ValueError(f"scores must be one-dimensional, got shape {scores.shape}")
        if scores.dtype.kind in "iuf":
            return "score", _numeric_values(scores)
        return "score", _object_values(list(scores))
    wrapped = nw.from_native(scores, pass_through=True, allow_series=True)
    if isinstance(wrapped, nw.LazyFrame):
        wrapped = wrapped.collect()
    if isinstance(wrapped, nw.DataFrame):
        names = wrapped.columns
        if len(names) != 1:
            raise ValueError(
                f"scores must have exactly one column when given as a frame, got {len(names)} "
                f"({', '.join(map(str, names))}); select the score column first"
            )
        wrapped = wrapped[names[0]]
    if isinstance(wrapped, nw.Series):
        name = str(wrapped.name) if wrapped.name else "score"
        return name, _series_values(wrapped)
    if isinstance(scores, str | bytes) or not isinstance(scores, Iterable):
        raise TypeError(
            "scores must be a sequence of answers (list, numpy array, pandas or Polars "
            f"Series, or a one-column frame), got {type(scores).__name__}"
        )
    return "score", _object_values(list(scores))


def read_scores(scores: Any, *, missing: Missing) -> npt.NDArray[np.int64]:
    """Check loose NPS answers and return them as integers 0..10.

    Raises SchemaError listing every broken rule (not a number, missing, not whole,
    outside 0..10). With ``missing="drop"`` missing answers are removed and counted
    in a DataQualityWarning.
    """
    check_missing_option(missing)
    name, (values, other, not_numbers) = _as_values(scores)
    is_missing = np.isnan(values) & ~other
    present = values[~is_missing & ~other]
    problems: list[Problem] = []
    if not_numbers:
        problems.append(
            Problem(
                name,
                "must be a number",
                len(not_numbers),
                tuple(not_numbers[:_EXAMPLES]),
                _RANGE_FIX,
            )
        )
    n_missing = int(is_missing.sum())
    if n_missing and missing == "raise":
        problems.append(Problem(name, "must not be missing", n_missing, (), _MISSING_FIX))
    finite = np.isfinite(present)
    fractional = finite & (present != np.round(present))
    out_of_range = ~finite | (present < 0) | (present > 10)
    for mask, rule in (
        (fractional, "must be a whole number"),
        (out_of_range, "must be between 0 and 10"),
    ):
        if mask.any():
            examples = tuple(float(v) for v in np.unique(present[mask])[:_EXAMPLES])
            problems.append(Problem(name, rule, int(mask.sum()), examples, _RANGE_FIX))
    if problems:
        raise SchemaError("scores", problems)
    if n_missing:
        warnings.warn(
            DataQualityWarning(
                f"{n_missing} missing answer{'s' if n_missing != 1 else ''} in {name!r} "
                "set aside (missing='drop')"
            ),
            stacklevel=3,
        )
    return values[~is_missing].astype(np.int64)


def as_caller_type(result: nw.DataFrame[Any], source: AnyFrame) -> Any:
    """Return a small collected result in the caller's native type (lazy stays lazy).

    The frame is rebuilt column by column, so a pandas result gets a fresh
    ``0..n-1`` index after sorting.
    """
    backend = result.implementation
    rebuilt = nw.from_dict(
        {
            name: nw.new_series(name, result[name].to_list(), dtype, backend=backend)
            for name, dtype in result.schema.items()
        },
        backend=backend,
    )
    return result_like(rebuilt, source)
