"""Argument readers shared by the churn functions (internal).

Day counts (``horizon``, ``inactivity``, ``windows``) and the ``cutoff`` that splits
the observed past from the future. Frames come in through
:func:`crmanalytics._frames.validated` and go out through
:func:`crmanalytics._frames.to_caller`, like everywhere else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw
import pandas as pd

from crmanalytics._frames import AnyFrame, DateLike, day_to_timestamp, to_day_number

__all__ = ["Cutoff", "read_cutoff"]


@dataclass(frozen=True)
class Cutoff:
    """The boundary between the observed past and the future.

    A cutoff without a time of day (a date, or midnight) is the whole calendar day:
    everything dated on it is past. A cutoff with a time of day is that instant:
    events at or before it are past, later ones (even on the same day) are future.
    Instants are wall-clock times, as the library reads every timestamp.

    Attributes
    ----------
    day : int
        Epoch day of the cutoff's calendar date (for day counts such as recency).
    instant : datetime.datetime
        The cutoff, naive wall-clock time.
    whole_day : bool
        True when the cutoff has no time of day.

    Examples
    --------
    >>> from crmanalytics.churn._common import read_cutoff
    >>> read_cutoff("2024-01-31").whole_day, read_cutoff("2024-01-31 12:00").whole_day
    (True, False)
    """

    day: int
    instant: dt.datetime
    whole_day: bool

    def _end(self, days: int = 0) -> dt.datetime:
        """First instant after the cutoff day shifted by ``days`` (whole-day cutoffs)."""
        stamp: dt.datetime = day_to_timestamp(self.day + 1 + days).to_pydatetime()
        return stamp

    def past(self, frame: AnyFrame, column: str = "timestamp") -> nw.Expr:
        """Rows of ``frame`` dated at or before the cutoff.

        Examples
        --------
        >>> import pandas as pd
        >>> import narwhals.stable.v2 as nw
        >>> from crmanalytics.churn._common import read_cutoff
        >>> f = nw.from_native(pd.DataFrame({"timestamp": pd.to_datetime(
        ...     ["2024-01-31 11:00", "2024-01-31 14:00"])}))
        >>> f.select(read_cutoff("2024-01-31 12:00").past(f).alias("p"))["p"].to_list()
        [True, False]
        """
        stamp = _wall_clock(frame, column)
        if self.whole_day:
            return stamp < nw.lit(self._end())
        return stamp <= nw.lit(self.instant)

    def window(self, frame: AnyFrame, horizon: int, column: str = "timestamp") -> nw.Expr:
        """Rows of ``frame`` in (cutoff, cutoff + ``horizon`` days].

        Examples
        --------
        >>> import pandas as pd
        >>> import narwhals.stable.v2 as nw
        >>> from crmanalytics.churn._common import read_cutoff
        >>> f = nw.from_native(pd.DataFrame({"timestamp": pd.to_datetime(
        ...     ["2024-01-31 14:00", "2024-02-02 13:00"])}))
        >>> f.select(read_cutoff("2024-01-31 12:00").window(f, 2).alias("w"))["w"].to_list()
        [True, False]
        """
        stamp = _wall_clock(frame, column)
        if self.whole_day:
            return (stamp >= nw.lit(self._end())) & (stamp < nw.lit(self._end(horizon)))
        end = self.instant + dt.timedelta(days=horizon)
        return (stamp > nw.lit(self.instant)) & (stamp <= nw.lit(end))

    def label_end(self, horizon: int) -> pd.Timestamp:
        """Last instant of the label window, for messages.

        Examples
        --------
        >>> from crmanalytics.churn._common import read_cutoff
        >>> read_cutoff("2024-01-31").label_end(1)
        Timestamp('2024-02-01 00:00:00')
        """
        if self.whole_day:
            return day_to_timestamp(self.day + horizon)
        return pd.Timestamp(self.instant + dt.timedelta(days=horizon))


def _wall_clock(frame: AnyFrame, column: str) -> nw.Expr:
    dtype = frame.collect_schema().get(column)
    expr = nw.col(column)
    if isinstance(dtype, nw.Datetime) and dtype.time_zone is not None:
        expr = expr.dt.replace_time_zone(None)
    return expr


def read_cutoff(cutoff: DateLike | Any) -> Cutoff:
    """Read ``cutoff``; the error message names the argument.

    A time-zone-aware cutoff is read as its own wall-clock time.

    Examples
    --------
    >>> from crmanalytics.churn._common import read_cutoff
    >>> read_cutoff("1970-01-03 06:30")
    Cutoff(day=2, instant=datetime.datetime(1970, 1, 3, 6, 30), whole_day=False)
    """
    try:
        day = to_day_number(cutoff)
        stamp = pd.Timestamp(cutoff)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"cutoff: {exc}; pass a date such as '2024-06-30'") from exc
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    instant: dt.datetime = stamp.to_pydatetime()
    whole_day = stamp == stamp.normalize()
    return Cutoff(day=day, instant=instant, whole_day=bool(whole_day))
