"""Shared drawing of series over calendar periods (internal).

Two rules for every figure with dates on its x axis: the labels stay readable at any
span (matplotlib's :class:`~matplotlib.dates.AutoDateLocator` with a
:class:`~matplotlib.dates.ConciseDateFormatter`, which never overlaps its labels), and
a period the data cover only in part (see :func:`crmanalytics._periods.is_partial`)
is drawn with a hollow marker on a dashed segment and noted in a legend, so that it
is never read as a drop.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["PARTIAL_LABEL", "draw_periods", "note_partial", "readable_dates"]

#: Legend text for the incomplete-period mark.
PARTIAL_LABEL = "incomplete period (hollow, dashed)"


def readable_dates(ax: Any) -> None:
    """Concise, non-overlapping date labels on the x axis of ``ax``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from crmanalytics.plotting._dates import readable_dates
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot(pd.date_range("2020-01-01", periods=60, freq="MS"), range(60))
    >>> readable_dates(ax)
    >>> type(ax.xaxis.get_major_formatter()).__name__
    'ConciseDateFormatter'
    >>> plt.close(fig)
    """
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(formatter)


def draw_periods(
    ax: Any,
    x: Any,
    y: Any,
    partial: npt.ArrayLike | None = None,
    *,
    label: str | None = None,
    color: Any = None,
) -> Any:
    """Plot ``y`` over period starts ``x``; partial periods hollow on dashed segments.

    The first line drawn holds every point (markers only when some period is
    partial), so its data are the table's; solid segments join complete periods.

    Returns
    -------
    matplotlib.lines.Line2D
        The line holding every point (its colour is the series' colour).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from crmanalytics.plotting._dates import draw_periods
    >>> fig, ax = plt.subplots()
    >>> x = pd.date_range("2024-01-01", periods=3, freq="MS")
    >>> line = draw_periods(ax, x, [30.0, 35.0, 10.0], [False, False, True])
    >>> len(ax.lines)  # the points, the solid run, the dashed segment, the hollow mark
    4
    >>> plt.close(fig)
    """
    xs = np.asarray(x)
    ys = np.asarray(y, dtype=float)
    flags = np.zeros(len(ys), dtype=bool) if partial is None else np.asarray(partial, dtype=bool)
    if not flags.any():
        (line,) = ax.plot(xs, ys, marker="o", label=label, color=color)
        return line
    complete = np.flatnonzero(~flags).tolist()
    (points,) = ax.plot(
        xs, ys, marker="o", linestyle="none", label=label, color=color, markevery=complete
    )
    colour = points.get_color()
    solid = np.where(flags, np.nan, ys)
    ax.plot(xs, solid, linestyle="-", color=colour, label="_nolegend_")
    for i in range(len(ys) - 1):
        if flags[i] or flags[i + 1]:
            ax.plot(xs[i : i + 2], ys[i : i + 2], "--", color=colour, label="_nolegend_")
    ax.plot(
        xs[flags],
        ys[flags],
        marker="o",
        linestyle="none",
        markerfacecolor="white",
        color=colour,
        label="_nolegend_",
    )
    return points


def note_partial(ax: Any) -> None:
    """Add a small legend explaining the incomplete-period mark (kept beside others).

    Call it before the main ``ax.legend(...)``: that one stays ``ax.get_legend()``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from crmanalytics.plotting._dates import PARTIAL_LABEL, note_partial
    >>> fig, ax = plt.subplots()
    >>> note_partial(ax)
    >>> [t.get_text() for t in ax.get_legend().get_texts()] == [PARTIAL_LABEL]
    True
    >>> plt.close(fig)
    """
    from matplotlib.lines import Line2D

    proxy = Line2D([], [], marker="o", linestyle="--", color="0.35", markerfacecolor="white")
    note = ax.legend(handles=[proxy], labels=[PARTIAL_LABEL], loc="lower left", fontsize="small")
    ax.add_artist(note)
