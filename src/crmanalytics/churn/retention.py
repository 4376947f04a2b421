"""Cohort retention: which share of each acquisition cohort buys again, period by period.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.churn import cohort_retention
>>> t = pd.DataFrame({
...     "customer_id": [1, 1, 2, 3],
...     "timestamp": pd.to_datetime(["2024-01-05", "2024-02-10", "2024-01-20", "2024-02-03"]),
...     "amount": [10.0, 12.0, 8.0, 5.0],
... })
>>> cohort_retention(t)[["cohort", "cohort_size", "0", "1"]]
      cohort  cohort_size    0    1
0 2024-01-01            2  1.0  0.5
1 2024-02-01            1  1.0  NaN
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._frames import collect, day_to_timestamp, epoch_day, to_caller, validated
from crmanalytics._periods import Period, check_period, period_start, with_period

__all__ = ["cohort_retention"]


def cohort_retention(
    transactions: IntoFrameT,
    *,
    period: Period = "M",
    columns: Mapping[str, str] | None = None,
) -> IntoFrameT:
    """Share of each first-purchase cohort that purchases again in each later period.

    Every customer belongs to the cohort of the period (day, ISO week, month, quarter or
    year) of their first transaction. Column ``"k"`` holds the share of the cohort that
    made at least one transaction in the k-th period after the cohort's own period, so
    column ``"0"`` is always 1. Cells after the last period seen in the data are null
    (the right-hand triangle), not zero; the last period may be incomplete.

    Parameters
    ----------
    transactions : dataframe
        Canonical transactions (``customer_id``, ``timestamp``, ``amount``) in any
        supported backend. Every row counts as activity, returns included; filter them
        out first to count purchases only.
    period : {"D", "W", "M", "Q", "Y"}, default "M"
        Day, ISO week (Monday to Sunday), calendar month, quarter or year. Periods
        follow the wall-clock date of ``timestamp``.
    columns : mapping of str to str, optional
        Canonical name to your column name, e.g. ``{"customer_id": "CustomerID"}``.

    Returns
    -------
    dataframe
        The caller's frame type (lazy stays lazy), one row per cohort sorted by cohort:
        ``cohort`` (datetime, start of the cohort's period), ``cohort_size`` (integer),
        then float columns named ``"0"``, ``"1"``, ... (strings, so that every backend
        accepts them) up to the longest span seen.

    Notes
    -----
    Distinct (customer, period) pairs and the cohort-by-offset counts are computed in
    the caller's engine; only the small counts table (cohorts x offsets) is collected
    and pivoted.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.churn import cohort_retention
    >>> t = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b"],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-09", "2024-01-02"]),
    ...     "amount": [1.0, 2.0, 3.0],
    ... })
    >>> cohort_retention(t, period="W")
          cohort  cohort_size    0    1
    0 2024-01-01            2  1.0  0.5
    """
    period = check_period(period)
    frame: Any = validated(
        transactions, "transactions", columns=columns, purpose="cohort_retention"
    )
    day = epoch_day("timestamp", frame)
    days = frame.select(nw.col("customer_id"), day.alias("_day")).unique()
    active = with_period(days, "_day", period, "_period").select("customer_id", "_period").unique()
    first = active.group_by("customer_id").agg(nw.col("_period").min().alias("_cohort"))
    counts = (
        active.join(first, on="customer_id")
        .with_columns((nw.col("_period") - nw.col("_cohort")).alias("_offset"))
        .group_by("_cohort", "_offset")
        .agg(nw.len().alias("_n"))
    )
    small = collect(counts)
    cohort = small["_cohort"].to_numpy().astype(np.int64)
    offset = small["_offset"].to_numpy().astype(np.int64)
    n = small["_n"].to_numpy().astype(np.int64)

    cohorts = np.unique(cohort)
    width = int(offset.max()) + 1 if offset.size else 1
    last = int((cohort + offset).max()) if offset.size else 0
    matrix = np.zeros((cohorts.size, width), dtype=np.int64)
    matrix[np.searchsorted(cohorts, cohort), offset] = n
    sizes = matrix[:, 0]

    data: dict[str, Any] = {
        "cohort": np.array(
            [day_to_timestamp(period_start(int(c), period)) for c in cohorts],
            dtype="datetime64[ns]",
        ),
        "cohort_size": sizes,
    }
    for k in range(width):
        data[str(k)] = [
            float(matrix[i, k] / sizes[i]) if int(c) + k <= last else None
            for i, c in enumerate(cohorts)
        ]
    return to_caller(data, transactions)
