"""Figures for sales results: revenue over time, revenue bridge, decomposition, trends.

matplotlib is imported inside each function, so importing this module is cheap. Every
function takes the result frame (any backend) and an optional ``ax``, and returns the
Axes it drew on.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd
>>> from crmanalytics.sales import sales_summary
>>> from crmanalytics.plotting.sales import plot_sales_summary
>>> t = pd.DataFrame({"customer_id": [1, 2, 3],
...                   "timestamp": ["2024-01-05", "2024-02-01", "2024-03-03"],
...                   "amount": [10.0, 12.0, 8.0]})
>>> plot_sales_summary(sales_summary(t)).get_ylabel()
'revenue'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from crmanalytics._frames import collect, from_native

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "plot_product_trends",
    "plot_revenue_bridge",
    "plot_revenue_decomposition",
    "plot_sales_summary",
]

_UP, _DOWN, _TOTAL, _FLAT = "#2a9d8f", "#e76f51", "#8d99ae", "#adb5bd"


def _pandas(table: Any, needed: Sequence[str], source: str) -> pd.DataFrame:
    frame = collect(from_native(table))
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(
            f"table lacks column(s) {', '.join(map(repr, missing))}; pass the result of {source}"
        )
    return frame.to_pandas()


def _date_axis(ax: Any) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(formatter)


def plot_sales_summary(
    summary: Any,
    *,
    column: str = "revenue",
    group: str | None = None,
    last_year: bool = True,
    ax: Any = None,
) -> Any:
    """Plot a measure of :func:`~crmanalytics.sales.sales_summary` over time.

    Complete periods are joined by a solid line with filled markers; an incomplete
    first or last period (``is_partial``) gets a hollow marker on a dotted segment and
    the legend says so, so a half month never reads as a drop. The same period a year
    earlier (``<column>_last_year``) is drawn as a thin dashed line when available.

    Parameters
    ----------
    summary : dataframe
        Result of :func:`crmanalytics.sales.sales_summary`, any backend.
    column : str, default "revenue"
        The measure to draw (``"orders"``, ``"customers"``, ``"average_order_value"``
        ...).
    group : str, optional
        A ``by`` column of the summary: one line per value.
    last_year : bool, default True
        Draw ``<column>_last_year`` too, when the summary has it for two periods or more.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made otherwise.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from crmanalytics.sales import sales_summary
    >>> from crmanalytics.plotting.sales import plot_sales_summary
    >>> t = pd.DataFrame({"customer_id": [1, 2, 3, 4],
    ...                   "timestamp": ["2024-01-15", "2024-02-01", "2024-03-03", "2024-04-10"],
    ...                   "amount": [10.0, 12.0, 8.0, 3.0]})
    >>> ax = plot_sales_summary(sales_summary(t))
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['revenue', 'partial period']
    """
    import matplotlib.pyplot as plt

    needed = ["period", "is_partial", column] + ([group] if group else [])
    data = _pandas(summary, needed, "sales_summary")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    keys: list[object] = sorted(data[group].dropna().unique(), key=str) if group else [None]
    if group and data[group].isna().any():
        keys.append(None)
    partial_drawn = False
    for number, key in enumerate(keys):
        if group is None:
            part = data
        else:
            part = data[data[group].isna() if key is None else data[group] == key]
        part = part.sort_values("period")
        x, y = part["period"].to_numpy(), part[column].to_numpy(dtype=float)
        partial = part["is_partial"].to_numpy(dtype=bool)
        solid = np.where(partial, np.nan, y)
        label = column if group is None else str(key)
        color = f"C{number % 10}"
        ax.plot(x, solid, marker="o", markersize=4, label=label, color=color)
        for i in np.flatnonzero(partial):
            neighbour = i + 1 if i == 0 else i - 1
            if 0 <= neighbour < len(y):
                ax.plot(x[[neighbour, i]], y[[neighbour, i]], linestyle=":", color=color)
            ax.plot(
                x[i],
                y[i],
                marker="o",
                markerfacecolor="white",
                markeredgecolor=color,
                linestyle="none",
                label=None if partial_drawn else "partial period",
            )
            partial_drawn = True
        previous = f"{column}_last_year"
        if last_year and previous in part and part[previous].notna().sum() > 1:
            ax.plot(
                x,
                part[previous].to_numpy(dtype=float),
                linestyle="--",
                linewidth=1,
                color=color,
                alpha=0.6,
                label=f"{label}, a year earlier",
            )
    _date_axis(ax)
    ax.set_ylabel(column)
    values = data[column].to_numpy(dtype=float)
    ax.set_ylim(bottom=min(0.0, float(np.nanmin(values))) if np.isfinite(values).any() else 0.0)
    ax.legend(title=group)
    ax.grid(axis="y", alpha=0.3)
    return ax


def _waterfall(
    ax: Any,
    start: tuple[str, float],
    steps: Sequence[tuple[str, float]],
    end: tuple[str, float],
) -> None:
    """Draw total, signed steps, total as a waterfall with value labels."""
    labels = [start[0], *(s[0] for s in steps), end[0]]
    bottoms, heights, colors = [0.0], [start[1]], [_TOTAL]
    level = start[1]
    for _, value in steps:
        bottoms.append(level if value >= 0 else level + value)
        heights.append(abs(value))
        colors.append(_UP if value >= 0 else _DOWN)
        level += value
    bottoms.append(0.0)
    heights.append(end[1])
    colors.append(_TOTAL)
    xs = np.arange(len(labels))
    ax.bar(xs, heights, bottom=bottoms, color=colors, width=0.6)
    values = [start[1], *(s[1] for s in steps), end[1]]
    for x, b, h, v in zip(xs, bottoms, heights, values, strict=True):
        sign = "+" if 0 < x < len(labels) - 1 and v >= 0 else ""
        ax.annotate(
            f"{sign}{v:,.0f}",
            (x, b + h),
            ha="center",
            va="bottom",
            fontsize=8,
            xytext=(0, 2),
            textcoords="offset points",
        )
    level = start[1]
    for x, (_, value) in zip(xs[1:], [*steps, ("", 0.0)], strict=True):
        ax.plot([x - 1 + 0.3, x - 0.3], [level, level], color="0.4", linewidth=0.8)
        level += value
    ax.set_xticks(xs, labels, rotation=0)
    ax.axhline(0.0, color="0.5", linewidth=0.8)
    ax.grid(axis="y", alpha=0.3)


def plot_revenue_bridge(bridge: Any, *, period: Any = None, ax: Any = None) -> Any:
    r"""Waterfall of one period's revenue change from :func:`~crmanalytics.sales.revenue_bridge`.

    From the previous period's revenue: minus ``lost``, plus ``new``, plus
    ``reactivated``, plus ``retained_change`` (what retained customers spent more or
    less than before), which lands exactly on the period's revenue.

    Parameters
    ----------
    bridge : dataframe
        Result of :func:`crmanalytics.sales.revenue_bridge` for one group (filter a
        ``by`` result to one group first), any backend.
    period : date-like, optional
        Start of the period to draw; by default the last complete period that has a
        previous one.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made otherwise.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        When the table has several rows for the period (several groups) or the period
        has no previous period in the data.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from crmanalytics.sales import revenue_bridge
    >>> from crmanalytics.plotting.sales import plot_revenue_bridge
    >>> t = pd.DataFrame({"customer_id": [1, 2, 1, 3],
    ...                   "timestamp": ["2024-01-01", "2024-01-09", "2024-02-01", "2024-02-29"],
    ...                   "amount": [10.0, 20.0, 15.0, 5.0]})
    >>> ax = plot_revenue_bridge(revenue_bridge(t))
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['2024-01', 'lost', 'new', 'reactivated', 'retained\nchange', '2024-02']
    """
    import matplotlib.pyplot as plt
    import pandas as pd

    needed = ["period", "is_partial", "revenue", "new", "reactivated", "lost"]
    needed += ["revenue_previous", "retained_change"]
    data = _pandas(bridge, needed, "revenue_bridge").sort_values("period")
    if period is None:
        usable = data[data["revenue_previous"].notna()]
        complete = usable[~usable["is_partial"].astype(bool)]
        chosen = complete if len(complete) else usable
        if not len(chosen):
            raise ValueError("the bridge has no period with a previous period to compare")
        stamp = chosen["period"].iloc[-1]
    else:
        stamp = pd.Timestamp(period)
    rows = data[data["period"] == stamp]
    if len(rows) != 1:
        raise ValueError(
            f"expected one row for period {stamp}, found {len(rows)}; filter a by= result "
            "to one group first"
        )
    row = rows.iloc[0]
    if pd.isna(row["revenue_previous"]):
        raise ValueError(f"period {stamp} has no previous period in the data")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    fmt = "%Y-%m" if bool((data["period"].dt.day == 1).all()) else "%Y-%m-%d"
    label = stamp.strftime(fmt)
    previous_label = data[data["period"] < stamp]["period"].iloc[-1].strftime(fmt)
    _waterfall(
        ax,
        (previous_label, float(row["revenue_previous"])),
        [
            ("lost", -float(row["lost"])),
            ("new", float(row["new"])),
            ("reactivated", float(row["reactivated"])),
            ("retained\nchange", float(row["retained_change"])),
        ],
        (label, float(row["revenue"])),
    )
    ax.set_ylabel("revenue")
    title = f"Revenue bridge to {label}"
    ax.set_title(title + (" (partial period)" if bool(row["is_partial"]) else ""))
    return ax


def plot_revenue_decomposition(decomposition: Any, *, by: str | None = None, ax: Any = None) -> Any:
    """Draw :func:`~crmanalytics.sales.revenue_decomposition` contributions.

    One row: a waterfall from revenue before to revenue after through the factor
    contributions (units per order and price per unit instead of average order value
    when present). Several rows (``by``): one horizontal stacked bar of contributions
    per group, with a black mark at the total change.

    Parameters
    ----------
    decomposition : dataframe
        Result of :func:`crmanalytics.sales.revenue_decomposition`, any backend.
    by : str, optional
        The group column, for the labels of a multi-row result.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made otherwise.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from crmanalytics.sales import revenue_decomposition
    >>> from crmanalytics.plotting.sales import plot_revenue_decomposition
    >>> t = pd.DataFrame({"customer_id": [1, 2, 1, 3, 2],
    ...                   "timestamp": ["2024-01-01", "2024-01-09", "2024-02-01",
    ...                                 "2024-02-09", "2024-02-10"],
    ...                   "amount": [10.0, 20.0, 15.0, 5.0, 30.0]})
    >>> d = revenue_decomposition(t, periods=(("2024-01-01", "2024-01-31"),
    ...                                       ("2024-02-01", "2024-02-29")))
    >>> len(plot_revenue_decomposition(d).patches)
    5
    """
    import matplotlib.pyplot as plt

    needed = ["revenue_before", "revenue_after", "change", "customers_contribution"]
    needed += ["orders_per_customer_contribution", "average_order_value_contribution"]
    data = _pandas(decomposition, needed + ([by] if by else []), "revenue_decomposition")
    factors = ["customers", "orders_per_customer"]
    if "units_per_order_contribution" in data:
        factors += ["units_per_order", "price_per_unit"]
    else:
        factors.append("average_order_value")
    names = {f: f.replace("_", " ") for f in factors}
    if len(data) == 1:
        names = {f: n.replace(" ", "\n", 1) for f, n in names.items()}
    if ax is None:
        height = 4 if len(data) <= 1 else 1.5 + 0.4 * len(data)
        _, ax = plt.subplots(figsize=(8, height))
    if len(data) == 1:
        row = data.iloc[0]
        _waterfall(
            ax,
            ("before", float(row["revenue_before"])),
            [(names[f], float(row[f"{f}_contribution"])) for f in factors],
            ("after", float(row["revenue_after"])),
        )
        ax.set_ylabel("revenue")
        return ax
    labels = [str(v) for v in (data[by] if by else data.index)]
    ys = np.arange(len(data))
    positive = np.zeros(len(data))
    negative = np.zeros(len(data))
    for f, color in zip(factors, ("#264653", "#2a9d8f", "#e9c46a", "#f4a261"), strict=False):
        values = data[f"{f}_contribution"].to_numpy(dtype=float)
        left = np.where(values >= 0, positive, negative)
        ax.barh(ys, values, left=left, color=color, label=names[f], height=0.6)
        positive += np.where(values >= 0, values, 0.0)
        negative += np.where(values < 0, values, 0.0)
    ax.plot(data["change"].to_numpy(dtype=float), ys, "k|", markersize=14, label="change")
    ax.set_yticks(ys, labels)
    ax.invert_yaxis()
    ax.axvline(0.0, color="0.5", linewidth=0.8)
    ax.set_xlabel("contribution to the change in revenue")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def plot_product_trends(
    trends: Any, *, top: int = 10, significant_only: bool = True, ax: Any = None
) -> Any:
    """Growth per period of the fastest rising and declining items, with intervals.

    Shows up to ``top`` items from each end of :func:`~crmanalytics.sales.product_trends`
    (highest and lowest ``growth_rate``), coloured by ``trend``, with the interval
    ``growth_rate_low`` .. ``growth_rate_high``. Items are labelled with
    ``product_name`` when the result has it. Intervals wider than the axis are cut at
    its edge.

    Parameters
    ----------
    trends : dataframe
        Result of :func:`crmanalytics.sales.product_trends`, any backend.
    top : int, default 10
        Items shown from each end.
    significant_only : bool, default True
        Show only items labelled ``"rising"`` or ``"declining"`` (when there are any):
        the extremes of ``growth_rate`` alone are often noisy items.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made otherwise.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from crmanalytics.plotting.sales import plot_product_trends
    >>> trends = pd.DataFrame({"product_id": ["A", "B"], "growth_rate": [0.2, -0.1],
    ...                        "growth_rate_low": [0.1, -0.2], "growth_rate_high": [0.3, 0.0],
    ...                        "trend": ["rising", "flat"]})
    >>> ax = plot_product_trends(trends, significant_only=False)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['A', 'B']
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    needed = ["growth_rate", "growth_rate_low", "growth_rate_high", "trend"]
    data = _pandas(trends, needed, "product_trends").sort_values("growth_rate", ascending=False)
    key = next((c for c in data.columns if c not in {*needed} and c != "product_name"), None)
    if significant_only and (data["trend"] != "flat").any():
        data = data[data["trend"] != "flat"]
    if len(data) > 2 * top:
        data = data.iloc[list(range(top)) + list(range(len(data) - top, len(data)))]
    labels = []
    for _, row in data.iterrows():
        name = str(row[key]) if key else ""
        if "product_name" in data and isinstance(row["product_name"], str):
            text = row["product_name"].strip()
            name = f"{name} {text[:28]}" if name else text[:28]
        labels.append(name)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 1.2 + 0.32 * len(data)))
    colors = {"rising": _UP, "declining": _DOWN}
    ys = np.arange(len(data))
    growth = 100 * data["growth_rate"].to_numpy(dtype=float)
    low = 100 * data["growth_rate_low"].to_numpy(dtype=float)
    high = 100 * data["growth_rate_high"].to_numpy(dtype=float)
    ax.barh(ys, growth, color=[colors.get(t, _FLAT) for t in data["trend"]], height=0.6)
    # very wide intervals (items with a poor log-linear fit) are cut at the axis limits
    left, right = min(0.0, float(growth.min())), max(0.0, float(growth.max()))
    pad = 0.6 * max(right - left, 1.0)
    limits = (max(left - pad, -100.0), right + pad)
    low, high = np.clip(low, *limits), np.clip(high, *limits)
    ax.errorbar(growth, ys, xerr=[growth - low, high - growth], fmt="none", ecolor="0.2", lw=1)
    ax.set_xlim(limits[0] - 0.02 * pad, limits[1])
    ax.set_yticks(ys, labels, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0.0, color="0.5", linewidth=0.8)
    ax.set_xlabel("growth per period (%)")
    ax.legend(
        handles=[Patch(color=c, label=t) for t, c in (*colors.items(), ("flat", _FLAT))],
        fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
    )
    return ax
