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
from collections.abc import Mapping
from typing import Any

import narwhals.stable.v2 as nw
import pandas as pd
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._checks import whole_days
from crmanalytics._frames import (
    AnyFrame,
    DateLike,
    collect,
    day_to_timestamp,
    epoch_day,
    to_caller,
    validated,
)
from crmanalytics.churn._common import Cutoff, read_cutoff
from crmanalytics.errors import DataQualityWarning

__all__ = ["churn_labels"]


def label_frame(frame: Any, cutoff: Cutoff, horizon: int) -> Any:
    """Narwhals frame ``customer_id``, ``churned`` for a validated transactions frame.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import from_native
    >>> from crmanalytics.churn._common import read_cutoff
    >>> from crmanalytics.churn.labels import label_frame
    >>> t = from_native(pd.DataFrame({"customer_id": [1],
    ...     "timestamp": pd.to_datetime(["1970-01-02"]), "amount": [1.0]}))
    >>> label_frame(t, read_cutoff("1970-01-02"), 5)["churned"].to_list()
    [True]
    """
    flags = frame.select(
        nw.col("customer_id"),
        cutoff.past(frame).alias("_past"),
        cutoff.window(frame, horizon).alias("_window"),
    )
    acquired = flags.filter(nw.col("_past")).select("customer_id").unique()
    returned = (
        flags.filter(nw.col("_window"))
        .select("customer_id")
        .unique()
        .with_columns(nw.lit(value=False).alias("churned"))
    )
    return (
        acquired.join(returned, on="customer_id", how="left")
        .with_columns(nw.col("churned").fill_null(value=True))
        .sort("customer_id")
    )


def warn_if_censored(frame: AnyFrame, cutoff: Cutoff, horizon: int) -> None:
    """Warn when the label window runs past the last transaction in the data.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import from_native
    >>> from crmanalytics.churn._common import read_cutoff
    >>> from crmanalytics.churn.labels import warn_if_censored
    >>> t = from_native(pd.DataFrame({"customer_id": [1],
    ...     "timestamp": pd.to_datetime(["1970-01-31"]), "amount": [1.0]}))
    >>> warn_if_censored(t, read_cutoff("1970-01-02"), 5)  # window ends 1970-01-07
    """
    last = collect(frame.select(epoch_day("timestamp", frame).max()))
    last_day = last["timestamp"].to_list()[0]
    if last_day is None or pd.isna(last_day) or int(last_day) >= cutoff.day + horizon:
        return
    end = cutoff.label_end(horizon)
    shown = end.date() if cutoff.whole_day else end
    warnings.warn(
        DataQualityWarning(
            f"the label window (cutoff, cutoff + horizon] ends on {shown}, after the last "
            f"transaction in the data ({day_to_timestamp(int(last_day)).date()}); customers "
            "may be labelled churned only because the data stops. Use an earlier cutoff "
            "or a shorter horizon."
        ),
        stacklevel=3,
    )


def churn_labels(
    transactions: IntoFrameT,
    *,
    cutoff: DateLike,
    horizon: int | dt.timedelta,
    columns: Mapping[str, str] | None = None,
) -> IntoFrameT:
    """Label each customer churned or not by their activity after a cutoff.

    A customer is labelled when they made at least one transaction on or before
    ``cutoff``; they are ``churned`` when they make no transaction in the
    ``horizon`` days after it, i.e. in (cutoff, cutoff + horizon]. A cutoff given as a
    date (or at midnight) is the whole calendar day: everything dated on it is
    "before", and the window is the ``horizon`` calendar days that follow. A cutoff
    with a time of day is honoured to the instant: a transaction later that same day
    is already in the window. Every transaction row counts as activity, returns
    included; filter them out first to count purchases only.

    Parameters
    ----------
    transactions : dataframe
        Canonical transactions in any supported backend.
    cutoff : date-like
        End of the observed history: a date (the whole day) or an instant.
    horizon : int or timedelta
        Length of the label window in whole days (positive).
    columns : mapping of str to str, optional
        Canonical name to your column name, e.g. ``{"customer_id": "CustomerID"}``.

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
    SchemaError
        When the transactions break the schema.
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
    cut = read_cutoff(cutoff)
    days = whole_days(horizon, "horizon", minimum=1)
    frame = validated(transactions, "transactions", columns=columns, purpose="churn_labels")
    warn_if_censored(frame, cut, days)
    return to_caller(label_frame(frame, cut, days), transactions)
