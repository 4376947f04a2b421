"""Figures for customer profiles and preference segments.

- :func:`plot_profile`: one metric of a profile by group, with its confidence interval;
- :func:`plot_segment_heatmap`: segments by category, coloured by lift (or share).

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from crmanalytics.datasets import simulate
>>> from crmanalytics.plotting.profiles import plot_profile
>>> from crmanalytics.segmentation import profile
>>> data = simulate(500, seed=0)
>>> ax = plot_profile(profile(data.transactions, data.customers, by="age_band"))
>>> ax.get_xlabel()
'mean revenue per customer'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from crmanalytics._frames import collect, from_native
from crmanalytics.segmentation.preferences import PreferenceSegments
from crmanalytics.segmentation.profile import ProfileResult

__all__ = ["plot_profile", "plot_segment_heatmap"]

_LABELS = {
    "share": "share of customers",
    "buyer_rate": "share of customers who bought",
    "mean_revenue": "mean revenue per customer",
    "median_revenue": "median revenue per customer",
    "purchase_frequency": "orders per customer",
    "average_order_value": "average order value",
    "repeat_rate": "repeat rate (buyers with 2+ orders)",
    "nps": "NPS",
    "complaint_rate": "share of customers who complained",
}


def plot_profile(
    result: ProfileResult | Any,
    *,
    metric: str = "mean_revenue",
    attribute: str | None = None,
    ax: Any = None,
) -> Any:
    """Dot-and-whisker chart of one profile metric by group, with its interval.

    Parameters
    ----------
    result : ProfileResult or dataframe
        The result of :func:`crmanalytics.segmentation.profile`, or its ``table``.
    metric : str, default "mean_revenue"
        A column of the table with ``<metric>_low`` / ``<metric>_high`` intervals
        (``mean_revenue``, ``purchase_frequency``, ``repeat_rate``, ``nps`` ...).
    attribute : str, optional
        With a long-form table (several attributes), draw only this attribute;
        by default every attribute is drawn, one block each.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        When the table has no such metric or attribute.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from crmanalytics.plotting.profiles import plot_profile
    >>> table = pd.DataFrame({"region": ["n", "s"], "customers": [10, 12],
    ...                       "repeat_rate": [0.3, 0.5], "repeat_rate_low": [0.1, 0.3],
    ...                       "repeat_rate_high": [0.6, 0.7]})
    >>> ax = plot_profile(table, metric="repeat_rate")
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['n (n=10)', 's (n=12)']
    """
    import matplotlib.pyplot as plt

    native = result.table if isinstance(result, ProfileResult) else result
    frame = collect(from_native(native)).to_pandas()
    needed = [metric, f"{metric}_low", f"{metric}_high"]
    if any(name not in frame.columns for name in needed):
        raise ValueError(
            f"the profile table has no {metric!r} with an interval; "
            f"choose one of {sorted(k for k in _LABELS if k in frame.columns)}"
        )
    long_form = "attribute" in frame.columns and "value" in frame.columns
    if long_form and attribute is not None:
        if attribute not in set(frame["attribute"]):
            raise ValueError(f"attribute {attribute!r} is not in the profile table")
        frame = frame[frame["attribute"] == attribute]
    if long_form:
        groups = [str(v) if v is not None else "(missing)" for v in frame["value"]]
        blocks = frame["attribute"].tolist()
    else:
        key = frame.columns[0]
        groups = [str(v) if v is not None else "(missing)" for v in frame[key]]
        blocks = [key] * len(frame)
    labels = [f"{g} (n={n})" for g, n in zip(groups, frame["customers"], strict=True)]
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 0.9 + 0.38 * len(labels)))
    y = -np.arange(len(labels), dtype=float)
    estimate = frame[metric].to_numpy(dtype=float)
    low = frame[f"{metric}_low"].to_numpy(dtype=float)
    high = frame[f"{metric}_high"].to_numpy(dtype=float)
    errors = np.vstack([estimate - low, high - estimate])
    ax.errorbar(estimate, y, xerr=np.nan_to_num(errors), fmt="o", color="C0", capsize=3)
    ax.set_yticks(y, labels)
    for i in range(1, len(blocks)):
        if blocks[i] != blocks[i - 1]:
            ax.axhline(y[i] + 0.5, color="0.8", linewidth=0.8)
    if len(set(blocks)) > 1 or long_form:
        starts = [i for i in range(len(blocks)) if i == 0 or blocks[i] != blocks[i - 1]]
        for i in starts:
            ax.annotate(
                blocks[i],
                xy=(1.0, y[i]),
                xycoords=("axes fraction", "data"),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize="small",
                color="0.35",
            )
    ax.set_xlabel(_LABELS.get(metric, metric))
    ax.set_ylim(y[-1] - 0.6, 0.6)
    ax.grid(axis="x", alpha=0.3)
    return ax


def plot_segment_heatmap(
    segments: PreferenceSegments | Any,
    *,
    value: str = "lift",
    ax: Any = None,
) -> Any:
    """Heat map of preference segments (rows) by category (columns).

    Parameters
    ----------
    segments : PreferenceSegments or dataframe
        The result of :func:`crmanalytics.segmentation.preference_segments`, or its
        ``categories`` table (``segment``, a category column, ``share``,
        ``base_share``, ``lift``).
    value : {"lift", "share"}, default "lift"
        Lift is drawn on a log scale centred on 1 (blue below, red above); share
        on a sequential scale. Each cell is labelled with its value.
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
    >>> from crmanalytics.plotting.profiles import plot_segment_heatmap
    >>> cells = pd.DataFrame({"segment": [1, 1, 2, 2], "category": ["tea", "wine"] * 2,
    ...                       "share": [0.9, 0.1, 0.2, 0.8], "base_share": [0.55, 0.45] * 2,
    ...                       "lift": [1.64, 0.22, 0.36, 1.78]})
    >>> ax = plot_segment_heatmap(cells)
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['tea', 'wine']
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    if value not in ("lift", "share"):
        raise ValueError(f"value must be 'lift' or 'share', got {value!r}")
    sizes: dict[Any, int] = {}
    if isinstance(segments, PreferenceSegments):
        native = segments.categories
        described = collect(from_native(segments.segments)).to_pandas()
        sizes = dict(zip(described["segment"], described["customers"], strict=True))
    else:
        native = segments
    frame = collect(from_native(native)).to_pandas()
    known = {"segment", "share", "base_share", "lift"}
    category = next(c for c in frame.columns if c not in known)
    grid = frame.pivot(index="segment", columns=category, values=value)
    matrix = grid.to_numpy(dtype=float)
    n_rows, n_cols = matrix.shape
    if ax is None:
        _, ax = plt.subplots(figsize=(1.2 + 0.75 * n_cols, 1.4 + 0.5 * n_rows))
    if value == "lift":
        finite = matrix[np.isfinite(matrix) & (matrix > 0)]
        bound = float(np.max(np.abs(np.log(finite)))) if finite.size else 1.0
        bound = max(bound, np.log(1.5))
        norm = LogNorm(vmin=float(np.exp(-bound)), vmax=float(np.exp(bound)))
        image = ax.imshow(np.clip(matrix, np.exp(-bound), None), cmap="RdBu_r", norm=norm)
        text = [[f"{v:.1f}" for v in row] for row in matrix]
        with np.errstate(divide="ignore", invalid="ignore"):
            dark = np.abs(np.log(matrix)) > 0.6 * bound
    else:
        image = ax.imshow(matrix, cmap="Blues", vmin=0.0)
        text = [[f"{v:.0%}" for v in row] for row in matrix]
        dark = matrix > 0.6 * np.nanmax(matrix)
    for i in range(n_rows):
        for j in range(n_cols):
            colour = "white" if dark[i, j] else "black"
            ax.text(j, i, text[i][j], ha="center", va="center", fontsize="small", color=colour)
    ax.set_xticks(range(n_cols), [str(c) for c in grid.columns], rotation=40, ha="right")
    rows = [f"{s} (n={sizes[s]})" if s in sizes else str(s) for s in grid.index]
    ax.set_yticks(range(n_rows), rows)
    ax.set_ylabel("segment")
    ax.set_xlabel(category)
    bar = ax.figure.colorbar(image, ax=ax, label=value if value == "share" else "lift (log scale)")
    if value == "lift":
        low, high = float(np.exp(-bound)), float(np.exp(bound))
        ticks = [t for t in (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0) if low <= t <= high]
        bar.ax.minorticks_off()
        bar.set_ticks(ticks, labels=[f"{t:g}" for t in ticks])
    return ax
