"""Inactivity-based churn labels at a cutoff date.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.churn import churn_labels
>>> t = pd.DataFrame({
...     "customer_id": [1, 2, 2],
...     "timestamp": pd.to_datetime(["2024-03-01", "2024-03-02", "2024-05-15"]),
...     "amount": [5.0, 7.0, 9.0],
... })
>>> churn_labels(t, cutoff="2024-03-31", horizon=45)
   customer_id  churned
0            1     True
1            2    False
"""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import narwhals.stable.v2 as nw
import pandas as pd

from crmanalytics._frames import AnyFrame, DateLike, collect, day_to_timestamp, epoch_day
from crmanalytics.churn._common import check_days, cutoff_day, native_result, validated
from crmanalytics.errors import DataQualityWarning

__all__ = ["churn_labels"]


def label_frame(frame: Any, cutoff: int, horizon: int) -> Any:
    """Narwhals frame ``customer_id``, ``churned`` for a validated transactions frame.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import from_native
    >>> from crmanalytics.churn.labels import label_frame
    >>> t = from_native(pd.DataFrame({"customer_id": [1],
    ...     "timestamp": pd.to_datetime(["1970-01-02"]), "amount": [1.0]}))
    >>> label_frame(t, 1, 5)["churned"].to_list()
    [True]
    """
    days = frame.select(nw.col("customer_id"), epoch_day("timestamp", frame).alias("_day"))
    acquired = days.filter(nw.col("_day") <= cutoff).select("customer_id").unique()
    returned = (
        days.filter((nw.col("_day") > cutoff) & (nw.col("_day") <= cutoff + horizon))
        .select("customer_id")
        .unique()
        .with_columns(nw.lit(value=False).alias("churned"))
    )
    return (
        acquired.join(returned, on="customer_id", how="left")
        .with_columns(nw.col("churned").fill_null(value=True))
        .sort("customer_id")
    )


def warn_if_censored(frame: AnyFrame, cutoff: int, horizon: int) -> None:
    """Warn when the label window runs past the last transaction in the data.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import from_native
    >>> from crmanalytics.churn.labels import warn_if_censored
    >>> t = from_native(pd.DataFrame({"customer_id": [1],
    ...     "timestamp": pd.to_datetime(["1970-01-31"]), "amount": [1.0]}))
    >>> warn_if_censored(t, 1, 5)  # window ends 1970-01-07: observed, no warning
    """
    last = collect(frame.select(epoch_day("timestamp", frame).max()))
    last_day = last["timestamp"].to_list()[0]
    if last_day is None or pd.isna(last_day) or int(last_day) >= cutoff + horizon:
        return
    end = day_to_timestamp(cutoff + horizon).date()
    warnings.warn(
        DataQualityWarning(
            f"the label window (cutoff, cutoff + horizon] ends on {end}, after the last "
            f"transaction in the data ({day_to_timestamp(int(last_day)).date()}); customers "
            "may be labelled churned only because the data stops. Use an earlier cutoff "
            "or a shorter horizon."
        ),
        stacklevel=3,
    )


def churn_labels(transactions: Any, *, cutoff: DateLike, horizon: int | dt.timedelta) -> Any:
    """Label each customer churned or not by their activity after a cutoff date.

    A customer is labelled when they made at least one transaction on or before
    ``cutoff``; they are ``churned`` when they make no transaction in the
    ``horizon`` days after it, i.e. in (cutoff, cutoff + horizon] counted in whole
    calendar days (the time of day is ignored, so everything on the cutoff date is
    "before"). Every transaction row counts as activity, returns included; filter
    them out first to count purchases only.

    Parameters
    ----------
    transactions : dataframe
        Canonical transactions in any supported backend.
    cutoff : date-like
        Last day of the observed history.
    horizon : int or timedelta
        Length of the label window in whole days (positive).

    Returns
    -------
    dataframe
        The caller's frame type (lazy stays lazy): ``customer_id`` and ``churned``
        (boolean), one row per customer acquired on or before ``cutoff``, sorted by
        ``customer_id``.

    Warns
    -----
    DataQualityWarning
        When cutoff + horizon is later than the last transaction in the data (this
        check collects one number).

    Raises
    ------
    ValueError
        For an unreadable ``cutoff`` or a ``horizon`` that is not a positive whole
        number of days.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.churn import churn_labels
    >>> t = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "c"],
    ...     "timestamp": pd.to_datetime(
    ...         ["2024-01-10", "2024-02-05", "2024-01-20", "2024-03-20"]),
    ...     "amount": [10.0, 20.0, 5.0, 8.0],
    ... })
    >>> churn_labels(t, cutoff="2024-01-31", horizon=30)
      customer_id  churned
    0           a    False
    1           b     True
    """
    frame = validated(transactions, "transactions")
    cut = cutoff_day(cutoff)
    days = check_days(horizon, "horizon")
    warn_if_censored(frame, cut, days)
    return native_result(label_frame(frame, cut, days))
