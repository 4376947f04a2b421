"""Boundary helpers for the feedback analyses (internal).

Reading a loose collection of scores into numpy and checking them as NPS answers, and
handling unanswered survey rows (``missing=``) before an interactions frame goes
through the one way in, :func:`crmanalytics._frames.validated`.
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

from crmanalytics._frames import AnyFrame, collect, from_native
from crmanalytics.errors import DataQualityWarning, Problem, SchemaError

__all__ = [
    "Missing",
    "answers_only",
    "check_missing_option",
    "read_scores",
]

Missing: TypeAlias = Literal["raise", "drop"]

_MISSING_FIX = "fill or remove the missing answers, or pass missing='drop' to set them aside"
_RANGE_FIX = "NPS answers are whole numbers from 0 to 10; recode or remove the others"
_EXAMPLES = 5


def check_missing_option(missing: str) -> None:
    """Raise ValueError unless ``missing`` is ``"raise"`` or ``"drop"``."""
    if missing not in ("raise", "drop"):
        raise ValueError(f"missing must be 'raise' or 'drop', got {missing!r}")


def answers_only(
    interactions: Any,
    columns: Mapping[str, str] | None,
    *,
    kind: str,
    missing: Missing,
) -> AnyFrame:
    """The caller's interactions (narwhals, not yet validated) with unanswered rows handled.

    Rows with ``kind == kind`` and no score are unanswered surveys. With
    ``missing="drop"`` they are set aside (before validation, which would reject
    them) and counted in a DataQualityWarning; with ``missing="raise"`` they raise a
    SchemaError whose advice names ``missing='drop'``. Counting them needs one small
    query. The result goes on to :func:`crmanalytics._frames.validated`.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.feedback._input import answers_only
    >>> raw = pd.DataFrame({"customer_id": [1, 2], "timestamp": ["2024-01-01"] * 2,
    ...                     "kind": ["nps", "nps"], "score": [9.0, None]})
    >>> answers_only(raw, None, kind="nps", missing="raise")
    Traceback (most recent call last):
    ...
    crmanalytics.errors.SchemaError: interactions: 1 problem found
      - column 'score': must not be missing on kind == 'nps' rows (1 row). Fix: ...
    """
    check_missing_option(missing)
    raw = from_native(interactions)
    dtypes = raw.collect_schema()
    kind_col = (columns or {}).get("kind", "kind")
    score_col = (columns or {}).get("score", "score")
    if kind_col not in dtypes or score_col not in dtypes:
        return raw  # validated() names what is missing
    score = nw.col(score_col)
    blank = score.is_null()
    if dtypes[score_col].is_float():
        blank = blank | score.is_nan().fill_null(value=True)
    unanswered = (nw.col(kind_col) == kind).fill_null(value=False) & blank
    count = int(collect(raw.filter(unanswered).select(nw.len())).item())
    if not count:
        return raw
    if missing == "raise":
        raise SchemaError(
            "interactions",
            [
                Problem(
                    "score",
                    f"must not be missing on kind == {kind!r} rows",
                    count,
                    (),
                    _MISSING_FIX,
                    None if score_col == "score" else score_col,
                )
            ],
        )
    warnings.warn(
        DataQualityWarning(
            f"{count} {kind!r} row{'s' if count != 1 else ''} without a score set aside "
            "(missing='drop')"
        ),
        stacklevel=3,
    )
    return raw.filter(~unanswered)


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
        wrapped = collect(wrapped)
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
