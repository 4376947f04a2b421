"""Figures for marketing results: campaigns, uplift, funnels and acquisition.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from crmanalytics.datasets import simulate
>>> from crmanalytics.marketing import campaign_performance
>>> from crmanalytics.plotting.marketing import plot_campaign_performance
>>> sim = simulate(500, seed=1)
>>> ax = plot_campaign_performance(campaign_performance(sim.interactions, sim.transactions))
>>> ax.get_ylabel()
'conversion rate'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from crmanalytics._frames import collect, from_native

__all__ = ["plot_acquisition", "plot_campaign_performance", "plot_funnel", "plot_uplift"]


def _pandas(frame: Any) -> Any:
    return collect(from_native(frame)).to_pandas()


def _new_axes(ax: Any, size: tuple[float, float]) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=size)
    return ax


def plot_campaign_performance(
    performance: Any, *, metric: str = "conversion_rate", ax: Any = None
) -> Any:
    """Bars of a rate per campaign with its interval (``metric_low`` .. ``metric_high``).

    Parameters
    ----------
    performance : dataframe
        The output of :func:`crmanalytics.marketing.campaign_performance`.
    metric : str, default "conversion_rate"
        ``"conversion_rate"``, ``"response_rate"`` or any column; its ``_low`` and
        ``_high`` columns are drawn as error bars when present.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from crmanalytics.plotting.marketing import plot_campaign_performance
    >>> t = pd.DataFrame({"campaign_id": ["A", "B"], "reached": [100, 80],
    ...                   "response_rate": [0.1, 0.2], "response_rate_low": [0.05, 0.12],
    ...                   "response_rate_high": [0.17, 0.3]})
    >>> plot_campaign_performance(t, metric="response_rate").get_ylabel()
    'response rate'
    """
    frame = _pandas(performance)
    ax = _new_axes(ax, (max(4.0, 0.8 * len(frame) + 2), 3.5))
    x = np.arange(len(frame))
    values = frame[metric].to_numpy(dtype=float)
    ax.bar(x, values, color="#4c72b0")
    if f"{metric}_low" in frame and f"{metric}_high" in frame:
        low = frame[f"{metric}_low"].to_numpy(dtype=float)
        high = frame[f"{metric}_high"].to_numpy(dtype=float)
        ax.errorbar(x, values, yerr=[values - low, high - values], fmt="none", color="black",
                    capsize=4, label="95% interval")  # fmt: skip
        ax.legend(loc="best")
    labels = [f"{c}\n(n={n})" for c, n in zip(frame["campaign_id"], frame["reached"], strict=True)]
    ax.set_xticks(x, labels)
    ax.set_ylabel(metric.replace("_", " "))
    ax.set_xlabel("campaign (customers reached)")
    ax.set_ylim(bottom=0)
    return ax


def plot_uplift(results: Any, *, metric: str = "conversion", ax: Any = None) -> Any:
    """Uplift of one or more campaigns with intervals, against the zero line.

    Parameters
    ----------
    results : UpliftResult or sequence of UpliftResult
        From :func:`crmanalytics.marketing.campaign_uplift`.
    metric : {"conversion", "revenue"}, default "conversion"
        Conversion-rate uplift (percentage points) or revenue per customer.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from crmanalytics import ConfidenceInterval
    >>> from crmanalytics.marketing import UpliftResult
    >>> from crmanalytics.plotting.marketing import plot_uplift
    >>> r = UpliftResult("C1", pd.Timestamp("2024-03-01"), pd.Timedelta(days=30), 1000, 250,
    ...                  120, 20, 0.12, 0.08, 0.04, ConfidenceInterval(0.0, 0.08), 0.07,
    ...                  6.0, 4.0, 2.0, ConfidenceInterval(-0.5, 4.5), 0.11, 0.95)
    >>> plot_uplift(r).get_xlabel()
    'uplift in conversion rate (percentage points)'
    """
    if metric not in ("conversion", "revenue"):
        raise ValueError(f"metric must be 'conversion' or 'revenue', got {metric!r}")
    items: Sequence[Any] = results if isinstance(results, Sequence) else [results]
    ax = _new_axes(ax, (6.0, 1.2 + 0.5 * len(items)))
    scale = 100.0 if metric == "conversion" else 1.0
    for y, result in enumerate(items):
        value = getattr(result, f"{metric}_uplift") * scale
        low, high = (v * scale for v in getattr(result, f"{metric}_uplift_interval"))
        ax.errorbar(value, y, xerr=[[value - low], [high - value]], fmt="o", color="#4c72b0",
                    capsize=4)  # fmt: skip
    ax.axvline(0.0, color="grey", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(items)), [str(r.campaign_id) for r in items])
    ax.set_ylim(-0.6, len(items) - 0.4)
    ax.set_xlabel(
        "uplift in conversion rate (percentage points)"
        if metric == "conversion"
        else "uplift in revenue per customer"
    )
    ax.set_title(f"reached vs control, {round(items[0].confidence * 100)}% intervals")
    return ax


def plot_funnel(funnel: Any, *, ax: Any = None) -> Any:
    """Horizontal bars of customers at each step, with step conversion and its interval.

    Parameters
    ----------
    funnel : dataframe
        The output of :func:`crmanalytics.marketing.funnel` (without ``by``, or the
        rows of one group).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from crmanalytics.plotting.marketing import plot_funnel
    >>> f = pd.DataFrame({"step": ["view", "buy"], "customers": [100, 20],
    ...                   "step_conversion": [float("nan"), 0.2],
    ...                   "step_conversion_low": [float("nan"), 0.13],
    ...                   "step_conversion_high": [float("nan"), 0.29]})
    >>> plot_funnel(f).get_xlabel()
    'customers'
    """
    frame = _pandas(funnel)
    ax = _new_axes(ax, (7.0, 1.0 + 0.7 * len(frame)))
    y = np.arange(len(frame))[::-1]
    counts = frame["customers"].to_numpy(dtype=float)
    ax.barh(y, counts, color="#4c72b0")
    top = counts.max() if len(counts) else 1.0
    for k, row in enumerate(frame.itertuples(index=False)):
        text = f"{int(row.customers):,}"
        if k > 0 and np.isfinite(row.step_conversion):
            text += (
                f"  ({row.step_conversion:.1%} of previous, "
                f"{row.step_conversion_low:.1%}-{row.step_conversion_high:.1%})"
            )
        ax.text(row.customers + 0.01 * top, y[k], text, va="center", fontsize=9)
    ax.set_yticks(y, frame["step"].astype(str).tolist())
    ax.set_xlim(0, top * 1.9)
    ax.set_xlabel("customers")
    return ax


def plot_acquisition(summary: Any, *, metric: str = "new_customers", ax: Any = None) -> Any:
    """One line per acquisition channel over the acquisition periods.

    The last period may be incomplete (the data end inside it): its segment is dashed.

    Parameters
    ----------
    summary : dataframe
        The output of :func:`crmanalytics.marketing.acquisition_summary` with a
        ``period`` column.
    metric : str, default "new_customers"
        The column to draw (``"repeat_rate_90d"`` draws its interval as a band).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from crmanalytics.plotting.marketing import plot_acquisition
    >>> s = pd.DataFrame({"acquisition_channel": ["a", "a", "b", "b"],
    ...                   "period": pd.to_datetime(["2024-01-01", "2024-02-01"] * 2),
    ...                   "new_customers": [10, 12, 5, 7]})
    >>> plot_acquisition(s).get_ylabel()
    'new customers'
    """
    import matplotlib.dates

    mdates: Any = matplotlib.dates

    frame = _pandas(summary)
    if "period" not in frame:
        raise ValueError("plot_acquisition needs a period column (acquisition_summary(period=...))")
    channel = frame.columns[0]
    ax = _new_axes(ax, (7.5, 4.0))
    last = frame["period"].max()
    for name, unsorted in frame.groupby(channel, sort=True):
        group = unsorted.sort_values("period")
        values = group[metric].to_numpy(dtype=float)
        stamps = group["period"].to_numpy()
        complete = group["period"] < last
        line = ax.plot(stamps[complete.to_numpy()], values[complete.to_numpy()], marker="o",
                       markersize=3, label=str(name))[0]  # fmt: skip
        if (~complete).any() and complete.any():
            ax.plot(stamps[-2:], values[-2:], linestyle="--", color=line.get_color())
            ax.plot(stamps[-1:], values[-1:], marker="o", markerfacecolor="white",
                    color=line.get_color())  # fmt: skip
        if f"{metric}_low" in group:
            ax.fill_between(stamps, group[f"{metric}_low"].to_numpy(dtype=float),
                            group[f"{metric}_high"].to_numpy(dtype=float),
                            color=line.get_color(), alpha=0.15, linewidth=0)  # fmt: skip
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_ylabel(metric.replace("_", " "))
    ax.legend(title=f"{channel}\n(open: last period,\nmaybe incomplete)", fontsize=8,
              title_fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # fmt: skip
    return ax
