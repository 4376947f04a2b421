"""Figures for segmentation results: segment sizes and revenue shares, Lorenz curve.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd
>>> from crmanalytics.plotting.segmentation import plot_lorenz
>>> from crmanalytics.segmentation import concentration
>>> ax = plot_lorenz(concentration(pd.DataFrame({"monetary": [1.0, 2.0, 7.0]})))
>>> ax.get_xlabel()
'share of customers'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import narwhals.stable.v2 as nw
from narwhals.stable.v2.typing import IntoFrame

from crmanalytics._frames import collect, renamed
from crmanalytics.segmentation.concentration import Concentration

__all__ = ["plot_lorenz", "plot_segments"]


def plot_segments(
    summary: IntoFrame, *, columns: Mapping[str, str] | None = None, ax: Any = None
) -> Any:
    """Bar chart of each segment's share of customers next to its share of revenue.

    Parameters
    ----------
    summary : dataframe
        The output of :func:`crmanalytics.segmentation.segment_summary` (any backend).
    columns : mapping of str to str, optional
        Expected name to your column name, e.g. ``{"segment": "group"}``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from crmanalytics.plotting.segmentation import plot_segments
    >>> summary = pd.DataFrame(
    ...     {"segment": ["Champions", "Lost"], "customer_share": [0.2, 0.8],
    ...      "revenue_share": [0.7, 0.3]}
    ... )
    >>> [t.get_text() for t in plot_segments(summary).get_yticklabels()]
    ['Champions', 'Lost']
    """
    import matplotlib.pyplot as plt
    import numpy as np

    needs = ["segment", "customer_share", "revenue_share"]
    given = renamed(
        summary, columns=columns, needs=needs, table="segment summary", purpose="plot_segments"
    )
    frame = collect(given.select(needs))
    frame = frame.with_columns(nw.col("segment").fill_null("(none)"))
    names = [str(s) for s in frame["segment"].to_list()]
    customers = np.asarray(frame["customer_share"].to_numpy(), dtype=float)
    revenue = np.asarray(frame["revenue_share"].to_numpy(), dtype=float)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.45 * len(names) + 1.2))
    y = np.arange(len(names))
    height = 0.4
    ax.barh(y - height / 2, customers, height, label="share of customers")
    ax.barh(y + height / 2, revenue, height, label="share of revenue")
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlabel("share")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.legend(loc="lower right")
    ax.set_title("Segments: size and revenue")
    return ax


def plot_lorenz(result: Concentration, *, ax: Any = None) -> Any:
    """Lorenz curve with the line of equality, annotated with the Gini coefficient.

    Parameters
    ----------
    result : Concentration
        The output of :func:`crmanalytics.segmentation.concentration`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from crmanalytics.plotting.segmentation import plot_lorenz
    >>> from crmanalytics.segmentation import concentration
    >>> ax = plot_lorenz(concentration(pd.DataFrame({"monetary": [1.0, 1.0, 8.0]})))
    >>> ax.get_title()
    'Lorenz curve (Gini 0.47)'
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    ax.plot(result.population_share, result.value_share, label="customers, smallest first")
    ax.fill_between(result.population_share, result.value_share, result.population_share, alpha=0.2)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="equal shares")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("share of customers")
    ax.set_ylabel("share of value")
    ax.set_title(f"Lorenz curve (Gini {result.gini:.2f})")
    ax.legend(loc="upper left")
    return ax
