"""Figures for feedback analyses: NPS trends with their interval band, NPS by group.

matplotlib is imported inside each function, so importing this module is cheap.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.feedback import nps_trend
>>> from crmanalytics.plotting.feedback import plot_nps_trend
>>> answers = pd.DataFrame({
...     "customer_id": range(8),
...     "timestamp": pd.to_datetime(["2024-01-03", "2024-01-09", "2024-02-01", "2024-02-11",
...                                  "2024-03-04", "2024-03-05", "2024-03-20", "2024-03-28"]),
...     "kind": "nps",
...     "score": [10, 6, 9, 9, 3, 10, 8, 9],
... })
>>> ax = plot_nps_trend(nps_trend(answers, method="adjusted-wald"))
>>> ax.get_ylabel()
'NPS'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from crmanalytics._frames import collect, from_native
from crmanalytics.plotting._dates import draw_periods, note_partial, readable_dates

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["plot_nps_by", "plot_nps_trend"]


def _pandas(table: Any, needed: list[str]) -> pd.DataFrame:
    frame = collect(from_native(table))
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(
            f"table lacks column(s) {', '.join(map(repr, missing))}; pass the result of "
            "nps_trend / nps_by"
        )
    return frame.to_pandas()


def plot_nps_trend(
    trend: Any,
    *,
    group: str | None = None,
    ax: Any = None,
    band_alpha: float = 0.2,
) -> Any:
    """Plot NPS per period as a line, with its confidence interval as a shaded band.

    Dates are labelled concisely at any span. A period the answers cover only in part
    (``partial`` in the trend) is drawn as a hollow marker on a dashed segment and
    noted in a legend: its score rests on fewer days, so a dip there is not a drop.

    Parameters
    ----------
    trend : dataframe
        Result of :func:`crmanalytics.feedback.nps_trend`, any backend.
    group : str, optional
        A ``by`` column of the trend: one line and band per value.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made otherwise.
    band_alpha : float, default 0.2
        Opacity of the interval band.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.feedback import nps_trend
    >>> from crmanalytics.plotting.feedback import plot_nps_trend
    >>> answers = pd.DataFrame({
    ...     "customer_id": range(6),
    ...     "timestamp": pd.to_datetime(["2024-01-03", "2024-01-09", "2024-02-01",
    ...                                  "2024-02-11", "2024-03-04", "2024-03-05"]),
    ...     "kind": "nps",
    ...     "channel": ["web", "app"] * 3,
    ...     "score": [10, 6, 9, 9, 3, 10],
    ... })
    >>> ax = plot_nps_trend(nps_trend(answers, by="channel"), group="channel")
    >>> len(ax.collections)  # one interval band per channel
    2
    """
    import matplotlib.pyplot as plt

    needed = ["period", "nps", "nps_low", "nps_high"] + ([group] if group else [])
    data = _pandas(trend, needed)
    if ax is None:
        _, ax = plt.subplots()
    keys: list[object] = sorted(data[group].dropna().unique(), key=str) if group else [None]
    if group and data[group].isna().any():
        keys.append(None)  # a null key is its own group, as in nps_trend
    any_partial = False
    for key in keys:
        if group is None:
            part = data
        else:
            part = data[data[group].isna() if key is None else data[group] == key]
        part = part.sort_values("period")
        label = None if group is None else str(key)
        flags = part["partial"].to_numpy(bool) if "partial" in part else None
        line = draw_periods(ax, part["period"], part["nps"], flags, label=label)
        any_partial = any_partial or bool(flags is not None and flags.any())
        ax.fill_between(
            part["period"],
            part["nps_low"],
            part["nps_high"],
            color=line.get_color(),
            alpha=band_alpha,
            linewidth=0,
        )
    ax.axhline(0.0, color="0.6", linewidth=0.8)
    ax.set_ylim(-100, 100)
    ax.set_ylabel("NPS")
    ax.set_xlabel("period")
    readable_dates(ax)
    if any_partial:
        note_partial(ax)
    if group:
        ax.legend(title=group, loc="upper left")
    return ax


def plot_nps_by(table: Any, *, by: str, ax: Any = None) -> Any:
    """Plot NPS per group as points with horizontal interval bars.

    Parameters
    ----------
    table : dataframe
        Result of :func:`crmanalytics.feedback.nps_by`, any backend.
    by : str
        The grouping column to label the rows with.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made otherwise.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.feedback import nps_by
    >>> from crmanalytics.plotting.feedback import plot_nps_by
    >>> answers = pd.DataFrame({
    ...     "customer_id": range(6),
    ...     "timestamp": pd.Timestamp("2024-01-01"),
    ...     "kind": "nps",
    ...     "channel": ["web", "app"] * 3,
    ...     "score": [10, 6, 9, 9, 3, 10],
    ... })
    >>> ax = plot_nps_by(nps_by(answers, by="channel", method="adjusted-wald"), by="channel")
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['app', 'web']
    """
    import matplotlib.pyplot as plt

    data = _pandas(table, [by, "nps", "nps_low", "nps_high"])
    if ax is None:
        _, ax = plt.subplots()
    positions = np.arange(len(data))
    # Bars are drawn from the bounds, not as +-errors: an adjusted Wald interval is
    # centred on the adjusted score and need not be symmetric around the raw one.
    ax.hlines(positions, data["nps_low"], data["nps_high"], color="C0", linewidth=2)
    ax.plot(data["nps"].to_numpy(float), positions, "o", color="C0")
    ax.set_yticks(positions, [str(v) for v in data[by]])
    ax.axvline(0.0, color="0.6", linewidth=0.8)
    ax.set_xlim(-100, 100)
    ax.set_xlabel("NPS")
    return ax
