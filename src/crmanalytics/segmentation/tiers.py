"""High, medium and low value tiers from any per-customer value.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.segmentation import value_tiers
>>> values = pd.DataFrame({"customer_id": range(10), "monetary": [float(v) for v in range(10)]})
>>> value_tiers(values, cuts=(0.5, 0.9))["value_tier"].value_counts().to_dict()
{'low': 5, 'medium': 4, 'high': 1}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import narwhals.stable.v2 as nw
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._checks import renamed_numeric
from crmanalytics._frames import to_caller
from crmanalytics.segmentation._common import mid_rank_position

__all__ = ["value_tiers"]

_TIERS = 2


def value_tiers(
    values: IntoFrameT,
    *,
    columns: Mapping[str, str] | None = None,
    column: str = "monetary",
    cuts: Sequence[float] = (0.8, 0.95),
    labels: Sequence[str] = ("low", "medium", "high"),
) -> IntoFrameT:
    """Label customers low, medium or high by their position in a value distribution.

    Parameters
    ----------
    values : dataframe
        One row per customer with a numeric value column (monetary, CLV ...).
    columns : mapping of str to str, optional
        Expected name to your column name, e.g. ``{"monetary": "spend"}`` (the
        mapped column comes back under the expected name). Naming the column with
        ``column=`` instead keeps your name.
    column : str, default "monetary"
        The value column.
    cuts : pair of float, default (0.8, 0.95)
        Increasing positions in ``(0, 1)``: below the first a customer is low, from
        the first to the second medium, from the second up high. The defaults make
        roughly the top 5 % high and the next 15 % medium.
    labels : three str, default ("low", "medium", "high")

    Returns
    -------
    dataframe
        ``values`` (same type, same rows in the same order; a pandas result keeps
        the caller's index) with a string column ``value_tier``.

    Raises
    ------
    SchemaError
        When the value column is missing or not numeric.
    ValueError
        For bad ``cuts`` or ``labels``.

    Notes
    -----
    A customer's position is the share of customers with a lower value plus half
    the share with an equal value, ``(rank_min + rank_max - 1) / (2n)``, the same
    rule :func:`rfm_scores` uses. Customers with equal values always share a tier,
    and the tier never drops as the value grows; with many ties the tiers are not
    exactly 80/15/5. A null value gets a null tier. Computed in the caller's engine.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.segmentation import value_tiers
    >>> clv = pd.DataFrame({"customer_id": [1, 2, 3, 4], "clv": [5.0, 50.0, 500.0, 5.0]})
    >>> value_tiers(clv, column="clv", cuts=(0.5, 0.75))["value_tier"].to_list()
    ['low', 'medium', 'high', 'low']
    """
    cut_list = [float(c) for c in cuts]
    if len(cut_list) != _TIERS or not 0.0 < cut_list[0] < cut_list[1] < 1.0:
        raise ValueError(
            f"cuts must be two increasing numbers strictly between 0 and 1, got {cuts!r}"
        )
    label_list = list(labels)
    if len(label_list) != _TIERS + 1:
        raise ValueError(f"labels must be three strings (low, medium, high), got {labels!r}")
    frame = renamed_numeric(
        values,
        columns=columns,
        needs=[column],
        numeric=[column],
        table="values",
        purpose="value_tiers",
        fix="pass column= naming a numeric per-customer value column",
    )
    position = mid_rank_position(column)
    low, medium, high = (nw.lit(label, dtype=nw.String) for label in label_list)
    tier = (
        nw.when(position >= cut_list[1])
        .then(high)
        .otherwise(nw.when(position >= cut_list[0]).then(medium).otherwise(low))
    )
    tier = nw.when(nw.col(column).is_null()).then(nw.lit(None, dtype=nw.String)).otherwise(tier)
    return to_caller(frame.with_columns(tier.alias("value_tier")), values, keep_index=True)
