"""Rank helpers shared by the segmentation functions (internal).

Examples
--------
>>> import pandas as pd
>>> from crmanalytics._frames import from_native
>>> from crmanalytics.segmentation._common import twice_mid_rank
>>> from_native(pd.DataFrame({"x": [2, 2]})).select(twice_mid_rank("x"))["x"].to_list()
[3, 3]
"""

from __future__ import annotations

import narwhals.stable.v2 as nw

__all__ = ["mid_rank_position", "twice_mid_rank"]


def twice_mid_rank(column: str, *, descending: bool = False) -> nw.Expr:
    """Twice the average (mid) rank of each value, an exact integer; ties share it.

    Computed as ``rank("min") + rank("max")``, which every backend supports.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import from_native
    >>> from crmanalytics.segmentation._common import twice_mid_rank
    >>> f = from_native(pd.DataFrame({"x": [5, 1, 5]}))
    >>> f.select(twice_mid_rank("x"))["x"].to_list()
    [5, 2, 5]
    """
    col = nw.col(column)
    return (
        col.rank(method="min", descending=descending)
        + col.rank(method="max", descending=descending)
    ).cast(nw.Int64)


def mid_rank_position(column: str, *, descending: bool = False) -> nw.Expr:
    """Mid-rank position in ``[0, 1)``: share below plus half the share tied.

    ``(rank_min + rank_max - 1) / (2 n)`` with ``n`` the non-null count. Equal
    values always share one position, and the position only grows with the value.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import from_native
    >>> from crmanalytics.segmentation._common import mid_rank_position
    >>> f = from_native(pd.DataFrame({"x": [1, 2, 2, 3]}))
    >>> f.select(mid_rank_position("x"))["x"].to_list()
    [0.125, 0.5, 0.5, 0.875]
    """
    count = nw.col(column).count()
    return (twice_mid_rank(column, descending=descending) - 1) / (count * 2)
