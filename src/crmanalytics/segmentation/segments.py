"""Named RFM segments (Champions ... Lost) and a per-segment summary.

The default map assigns every cell of the 5 x 5 x 5 score cube to exactly one of
eleven named segments. It reads the recency score ``R`` and the combined
frequency-monetary score ``FM = floor((F + M) / 2)``, following the widely circulated
R-by-FM segment grid, with its overlaps and gaps removed so that the segments form a
partition.

Examples
--------
>>> from crmanalytics.segmentation import DEFAULT_SEGMENT_MAP, segment_of
>>> segment_of(5, 5, 4), segment_of(1, 1, 2)
('Champions', 'Lost')
>>> len(DEFAULT_SEGMENT_MAP)
11
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias

import narwhals.stable.v2 as nw
import pandas as pd
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._checks import is_int, renamed_numeric
from crmanalytics._frames import to_caller

__all__ = [
    "DEFAULT_SEGMENT_MAP",
    "ScoreBox",
    "SegmentMap",
    "describe_segment_map",
    "rfm_segments",
    "segment_of",
    "segment_summary",
]

_AXES = ("r", "f", "m", "fm")
_AXIS_LABEL = {"r": "R", "f": "F", "m": "M", "fm": "FM"}


@dataclass(frozen=True)
class ScoreBox:
    """A box of score cells: each given score lies in its inclusive range.

    Parameters
    ----------
    r, f, m : tuple of (int, int), optional
        Inclusive ``(low, high)`` range of the recency, frequency and monetary
        score. ``None`` means any score.
    fm : tuple of (int, int), optional
        Inclusive range of the combined score ``FM = floor((F + M) / 2)``.

    Examples
    --------
    >>> from crmanalytics.segmentation import ScoreBox
    >>> box = ScoreBox(r=(4, 5), fm=(2, 3))
    >>> box.contains(5, 1, 5), box.contains(3, 3, 3)
    (True, False)
    >>> box.describe()
    'R 4–5, FM 2–3'
    """

    r: tuple[int, int] | None = None
    f: tuple[int, int] | None = None
    m: tuple[int, int] | None = None
    fm: tuple[int, int] | None = None

    def _ranges(self) -> list[tuple[str, tuple[int, int]]]:
        return [(axis, rng) for axis in _AXES if (rng := getattr(self, axis)) is not None]

    def contains(self, r: int, f: int, m: int) -> bool:
        """Tell whether the score cell ``(r, f, m)`` lies in the box.

        Parameters
        ----------
        r, f, m : int
            Recency, frequency and monetary score.

        Returns
        -------
        bool

        Examples
        --------
        >>> from crmanalytics.segmentation import ScoreBox
        >>> ScoreBox(r=(5, 5)).contains(5, 1, 1)
        True
        """
        values = {"r": r, "f": f, "m": m, "fm": fm_score(f, m)}
        return all(lo <= values[axis] <= hi for axis, (lo, hi) in self._ranges())

    def describe(self) -> str:
        """Describe the box in words, such as ``"R 5, FM 4–5"``.

        Returns
        -------
        str

        Examples
        --------
        >>> from crmanalytics.segmentation import ScoreBox
        >>> ScoreBox(r=(1, 1), fm=(1, 1)).describe()
        'R 1, FM 1'
        """
        parts = [
            f"{_AXIS_LABEL[axis]} {lo}" if lo == hi else f"{_AXIS_LABEL[axis]} {lo}–{hi}"
            for axis, (lo, hi) in self._ranges()
        ]
        return ", ".join(parts) if parts else "any scores"

    def expr(self) -> nw.Expr:
        """Build the box as a narwhals condition on ``r_score``, ``f_score``, ``m_score``.

        Returns
        -------
        narwhals.Expr
            Boolean expression.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmanalytics._frames import from_native
        >>> from crmanalytics.segmentation import ScoreBox
        >>> f = from_native(pd.DataFrame({"r_score": [5, 2], "f_score": [1, 1], "m_score": [1, 1]}))
        >>> f.select(ScoreBox(r=(4, 5)).expr().alias("in"))["in"].to_list()
        [True, False]
        """
        score = {
            "r": nw.col("r_score"),
            "f": nw.col("f_score"),
            "m": nw.col("m_score"),
            "fm": (nw.col("f_score") + nw.col("m_score")) // 2,
        }
        condition = nw.lit(value=True)
        for axis, (lo, hi) in self._ranges():
            condition = condition & (score[axis] >= lo) & (score[axis] <= hi)
        return condition


#: A segment map: segment name -> the score boxes whose union is the segment.
SegmentMap: TypeAlias = Mapping[str, Sequence[ScoreBox]]

#: The default map, on 5-bin scores: R and FM = floor((F + M) / 2). Every one of the
#: 125 score cells lies in exactly one of its eleven segments.
DEFAULT_SEGMENT_MAP: SegmentMap = {
    "Champions": (ScoreBox(r=(5, 5), fm=(4, 5)),),
    "Loyal Customers": (ScoreBox(r=(3, 4), fm=(4, 5)),),
    "Potential Loyalists": (ScoreBox(r=(4, 5), fm=(2, 3)),),
    "New Customers": (ScoreBox(r=(5, 5), fm=(1, 1)),),
    "Promising": (ScoreBox(r=(4, 4), fm=(1, 1)),),
    "Need Attention": (ScoreBox(r=(3, 3), fm=(3, 3)),),
    "About to Sleep": (ScoreBox(r=(3, 3), fm=(1, 2)),),
    "Can't Lose Them": (ScoreBox(r=(1, 2), fm=(5, 5)),),
    "At Risk": (ScoreBox(r=(1, 2), fm=(3, 4)),),
    "Hibernating": (ScoreBox(r=(2, 2), fm=(1, 2)), ScoreBox(r=(1, 1), fm=(2, 2))),
    "Lost": (ScoreBox(r=(1, 1), fm=(1, 1)),),
}

_DEFAULT_BINS = 5


def fm_score(f: int, m: int) -> int:
    """Compute the combined frequency-monetary score ``floor((f + m) / 2)``.

    Examples
    --------
    >>> from crmanalytics.segmentation.segments import fm_score
    >>> fm_score(4, 5)
    4
    """
    return (f + m) // 2


def _is_name(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _is_boxes(value: object) -> bool:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and all(isinstance(b, ScoreBox) for b in value)
    )


def _check_map(segment_map: SegmentMap, bins: int) -> None:
    """Raise ``ValueError`` unless the map covers every score cell exactly once."""
    if not is_int(bins) or bins < 2:
        raise ValueError(f"bins must be an integer of at least 2, got {bins!r}")
    if not segment_map:
        raise ValueError("segment_map is empty: give at least one segment")
    for name, boxes in segment_map.items():
        if not _is_name(name):
            raise ValueError(f"segment_map: segment names must be non-empty strings, got {name!r}")
        if not _is_boxes(boxes):
            raise ValueError(
                f"segment_map[{name!r}] must be a sequence of ScoreBox, got {boxes!r}; "
                "wrap a single box in a tuple: (ScoreBox(...),)"
            )
    uncovered: list[tuple[int, ...]] = []
    overlaps: list[str] = []
    for cell in itertools.product(range(1, bins + 1), repeat=3):
        owners = [
            name for name, boxes in segment_map.items() if any(b.contains(*cell) for b in boxes)
        ]
        if not owners:
            uncovered.append(cell)
        elif len(owners) > 1:
            overlaps.append(f"{cell} in {owners}")
    if uncovered or overlaps:
        lines = [
            f"segment_map must put every (r, f, m) score cell for bins={bins} "
            "in exactly one segment"
        ]
        if uncovered:
            lines.append(f"{len(uncovered)} cells in no segment, e.g. {uncovered[:5]}")
        if overlaps:
            lines.append(f"{len(overlaps)} cells in several segments, e.g. {overlaps[:5]}")
        lines.append(
            "Fix: adjust the ScoreBox ranges (describe_segment_map shows the cells per segment)"
        )
        raise ValueError("; ".join(lines))


def segment_of(r: int, f: int, m: int, *, segment_map: SegmentMap | None = None) -> str:
    """Find the segment of one score cell.

    Parameters
    ----------
    r, f, m : int
        Recency, frequency and monetary score.
    segment_map : mapping, optional
        Segment name -> sequence of :class:`ScoreBox`; default
        :data:`DEFAULT_SEGMENT_MAP`.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        When no segment (or more than one) contains the cell.

    Examples
    --------
    >>> from crmanalytics.segmentation import segment_of
    >>> segment_of(2, 5, 5)
    "Can't Lose Them"
    """
    smap = DEFAULT_SEGMENT_MAP if segment_map is None else segment_map
    owners = [name for name, boxes in smap.items() if any(b.contains(r, f, m) for b in boxes)]
    if len(owners) != 1:
        raise ValueError(f"score cell {(r, f, m)} is in {len(owners)} segments ({owners}), not one")
    return owners[0]


def describe_segment_map(
    segment_map: SegmentMap | None = None, *, bins: int = _DEFAULT_BINS
) -> pd.DataFrame:
    """Tabulate the rules of a segment map, generated from the map itself.

    Parameters
    ----------
    segment_map : mapping, optional
        Default :data:`DEFAULT_SEGMENT_MAP`.
    bins : int, default 5
        Number of score values per axis.

    Returns
    -------
    pandas.DataFrame
        One row per segment, in map order: ``segment``, ``rule`` (the boxes in
        words, joined by "or") and ``cells`` (how many of the ``bins**3`` cells).

    Raises
    ------
    ValueError
        When the map is not a partition of the score cells.

    Examples
    --------
    >>> from crmanalytics.segmentation import describe_segment_map
    >>> table = describe_segment_map()
    >>> table.loc[0, "segment"], table.loc[0, "rule"], int(table.loc[0, "cells"])
    ('Champions', 'R 5, FM 4–5', 6)
    >>> int(table["cells"].sum())
    125
    """
    smap = DEFAULT_SEGMENT_MAP if segment_map is None else segment_map
    _check_map(smap, bins)
    cells = itertools.product(range(1, bins + 1), repeat=3)
    counts = dict.fromkeys(smap, 0)
    for cell in cells:
        counts[segment_of(*cell, segment_map=smap)] += 1
    return pd.DataFrame(
        {
            "segment": list(smap),
            "rule": [" or ".join(b.describe() for b in boxes) for boxes in smap.values()],
            "cells": [counts[name] for name in smap],
        }
    )


def rfm_segments(
    scores: IntoFrameT,
    *,
    columns: Mapping[str, str] | None = None,
    segment_map: SegmentMap | None = None,
    bins: int = _DEFAULT_BINS,
) -> IntoFrameT:
    """Name each customer's segment from its R, F and M scores.

    Parameters
    ----------
    scores : dataframe
        A table with integer ``r_score``, ``f_score`` and ``m_score`` columns, such
        as :func:`rfm_scores` returns.
    columns : mapping of str to str, optional
        Expected name to your column name, e.g. ``{"r_score": "R"}``; the mapped
        columns come back under the expected names.
    segment_map : mapping, optional
        Segment name -> sequence of :class:`ScoreBox`. Default
        :data:`DEFAULT_SEGMENT_MAP` (for 5-bin scores). A custom map must put every
        one of the ``bins**3`` score cells in exactly one segment; it is checked by
        enumerating the cells, before any data is touched.
    bins : int, default 5
        The ``bins`` the scores were made with.

    Returns
    -------
    dataframe
        ``scores`` (same type, same rows in the same order; a pandas result keeps
        the caller's index) with a string column ``segment``. A row
        whose scores are null or outside ``1..bins`` gets a null segment.

    Raises
    ------
    ValueError
        When the map is not a partition of the score cells (the message lists
        uncovered and doubly covered cells), or the default map is used with
        ``bins`` other than 5.
    SchemaError
        When a score column is missing or not numeric.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.segmentation import rfm_segments
    >>> scores = pd.DataFrame({"r_score": [5, 1, 3], "f_score": [5, 1, 3], "m_score": [4, 2, 3]})
    >>> rfm_segments(scores)["segment"].to_list()
    ['Champions', 'Lost', 'Need Attention']
    """
    if segment_map is None and bins != _DEFAULT_BINS:
        raise ValueError(
            f"the default segment map is defined for bins=5, got bins={bins!r}; "
            "pass segment_map= with rules for your number of bins"
        )
    smap = DEFAULT_SEGMENT_MAP if segment_map is None else segment_map
    _check_map(smap, bins)
    names = ["r_score", "f_score", "m_score"]
    frame = renamed_numeric(
        scores,
        columns=columns,
        needs=names,
        numeric=names,
        table="scores",
        purpose="rfm_segments",
        fix="pass the output of rfm_scores, or map your columns with columns={'r_score': ...}",
    )
    in_range = nw.lit(value=True)
    for name in names:
        in_range = in_range & (nw.col(name) >= 1) & (nw.col(name) <= bins)
    label: nw.Expr = nw.lit(None, dtype=nw.String)
    for name, boxes in reversed(list(smap.items())):
        condition = nw.lit(value=False)
        for box in boxes:
            condition = condition | box.expr()
        label = nw.when(condition).then(nw.lit(name, dtype=nw.String)).otherwise(label)
    segment = nw.when(in_range).then(label).otherwise(nw.lit(None, dtype=nw.String))
    return to_caller(frame.with_columns(segment.alias("segment")), scores, keep_index=True)


def segment_summary(
    segments: IntoFrameT, *, columns: Mapping[str, str] | None = None
) -> IntoFrameT:
    """Size, revenue and mean R, F, M of each segment.

    Parameters
    ----------
    segments : dataframe
        One row per customer with ``segment``, ``recency``, ``frequency`` and
        ``monetary`` columns, such as :func:`rfm_segments` returns.
    columns : mapping of str to str, optional
        Expected name to your column name, e.g. ``{"segment": "group"}``.

    Returns
    -------
    dataframe
        Same type as the input (lazy stays lazy; pandas with a fresh ``0..n-1``
        index), one row per segment present, largest first, with
        ``customers``, ``customer_share``, ``revenue`` (sum of ``monetary``),
        ``revenue_share`` (of the total over all segments), ``mean_recency``,
        ``mean_frequency`` and ``mean_monetary``.

    Notes
    -----
    Revenue is net spend, so a segment of net refunders has a negative revenue share
    and the shares of the others add up to more than 1 minus it. Rows with a null
    segment form their own (null) group. Computed in the caller's engine.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.segmentation import segment_summary
    >>> seg = pd.DataFrame(
    ...     {
    ...         "segment": ["Champions", "Lost", "Lost"],
    ...         "recency": [2, 300, 200],
    ...         "frequency": [9, 1, 1],
    ...         "monetary": [900.0, 50.0, 50.0],
    ...     }
    ... )
    >>> segment_summary(seg)[["segment", "customers", "revenue_share"]]
         segment  customers  revenue_share
    0       Lost          2            0.1
    1  Champions          1            0.9
    """
    numeric = ["recency", "frequency", "monetary"]
    frame = renamed_numeric(
        segments,
        columns=columns,
        needs=["segment", *numeric],
        numeric=numeric,
        table="segments",
        purpose="segment_summary",
        fix="pass the output of rfm_segments (built on rfm_scores of an rfm_table), or map "
        "your columns with columns={'monetary': ...}",
    )
    summary = (
        frame.group_by("segment")
        .agg(
            nw.len().alias("customers"),
            nw.col("monetary").sum().alias("revenue"),
            nw.col("recency").mean().alias("mean_recency"),
            nw.col("frequency").mean().alias("mean_frequency"),
            nw.col("monetary").mean().alias("mean_monetary"),
        )
        .with_columns(
            nw.col("customers").cast(nw.Int64),
            (nw.col("customers") / nw.col("customers").sum()).alias("customer_share"),
            (nw.col("revenue") / nw.col("revenue").sum()).alias("revenue_share"),
        )
        .select(
            "segment",
            "customers",
            "customer_share",
            "revenue",
            "revenue_share",
            "mean_recency",
            "mean_frequency",
            "mean_monetary",
        )
        .sort(["customers", "segment"], descending=[True, False], nulls_last=True)
    )
    return to_caller(summary, segments)
