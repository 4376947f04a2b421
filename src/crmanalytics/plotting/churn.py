"""Figures for churn results: cohort retention heatmap, churn rate over time, calibration.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd
>>> from crmanalytics.churn import cohort_retention
>>> from crmanalytics.plotting.churn import plot_cohort_retention
>>> t = pd.DataFrame({"customer_id": [1, 1, 2],
...                   "timestamp": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-02-03"]),
...                   "amount": [1.0, 1.0, 1.0]})
>>> plot_cohort_retention(cohort_retention(t)).get_xlabel()
'periods since first purchase'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from crmanalytics._frames import collect, from_native
from crmanalytics.churn.evaluate import ChurnEvaluation
from crmanalytics.plotting._dates import draw_periods, note_partial, readable_dates

__all__ = ["plot_calibration", "plot_churn_rate", "plot_cohort_retention"]


def plot_cohort_retention(
    retention: Any, *, ax: Any = None, annotate: bool = True, date_format: str = "%Y-%m"
) -> Any:
    """Heatmap of a cohort retention table: cohorts down, periods since acquisition across.

    Parameters
    ----------
    retention : dataframe
        The output of :func:`crmanalytics.churn.cohort_retention` (any backend).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.
    annotate : bool, default True
        Write each share as a percentage in its cell (skipped above 30 columns).
    date_format : str, default "%Y-%m"
        strftime format of the cohort labels.

    Returns
    -------
    matplotlib.axes.Axes
        Unobserved cells (after the end of the data) are left blank.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from crmanalytics.plotting.churn import plot_cohort_retention
    >>> table = pd.DataFrame({"cohort": pd.to_datetime(["2024-01-01", "2024-02-01"]),
    ...                       "cohort_size": [10, 4], "0": [1.0, 1.0], "1": [0.3, None]})
    >>> ax = plot_cohort_retention(table)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['2024-01 (n=10)', '2024-02 (n=4)']
    """
    import matplotlib.pyplot as plt

    frame = collect(from_native(retention)).to_pandas()
    offsets = [c for c in frame.columns if c not in ("cohort", "cohort_size")]
    shares = frame[offsets].to_numpy(dtype=float)
    if ax is None:
        _, ax = plt.subplots(
            figsize=(min(1.0 + 0.55 * len(offsets), 16), 1.0 + 0.4 * max(len(frame), 1))
        )
    image = ax.imshow(
        np.ma.masked_invalid(shares), aspect="auto", cmap="viridis", vmin=0.0, vmax=1.0
    )
    labels = [
        f"{stamp.strftime(date_format)} (n={int(size)})"
        for stamp, size in zip(frame["cohort"], frame["cohort_size"], strict=True)
    ]
    ax.set_yticks(np.arange(len(labels)), labels)
    ax.set_xticks(np.arange(len(offsets)), offsets)
    ax.set_xlabel("periods since first purchase")
    ax.set_ylabel("cohort")
    ax.set_title("Cohort retention: share purchasing in each period")
    if annotate and len(offsets) <= 30:
        for (i, k), value in np.ndenumerate(shares):
            if np.isfinite(value):
                colour = "black" if value > 0.6 else "white"
                ax.text(k, i, f"{value:.0%}", ha="center", va="center", fontsize=7, color=colour)
    ax.figure.colorbar(image, ax=ax, label="share of cohort")
    return ax


def plot_churn_rate(rates: Any, *, ax: Any = None, by: str | None = None) -> Any:
    """Line chart of churn rate per period (one line per segment with ``by``).

    Dates are labelled concisely at any span (no overlapping labels).
    :func:`~crmanalytics.churn.churn_rate` reports complete periods only; a table
    with a boolean ``partial`` column gets those periods drawn as hollow markers on
    dashed segments, noted in a legend, never as a drop.

    Parameters
    ----------
    rates : dataframe
        The output of :func:`crmanalytics.churn.churn_rate` (any backend).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.
    by : str, optional
        The segment column passed to ``churn_rate``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from crmanalytics.plotting.churn import plot_churn_rate
    >>> rates = pd.DataFrame({"period": pd.to_datetime(["2024-02-01", "2024-03-01"]),
    ...                       "churn_rate": [0.1, 0.2]})
    >>> plot_churn_rate(rates).lines[0].get_ydata().tolist()
    [0.1, 0.2]
    """
    import matplotlib.pyplot as plt

    frame = collect(from_native(rates)).to_pandas()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    groups = [(None, frame)] if by is None else list(frame.groupby(by, dropna=False, sort=True))
    any_partial = False
    for name, part in groups:
        flags = part["partial"].to_numpy(bool) if "partial" in part else None
        any_partial = any_partial or bool(flags is not None and flags.any())
        draw_periods(
            ax,
            part["period"],
            part["churn_rate"],
            flags,
            label=None if by is None else str(name),
        )
    readable_dates(ax)
    if any_partial:
        note_partial(ax)
    if by is not None:
        ax.legend(title=by, loc="upper left")
    ax.set_xlabel("period")
    ax.set_ylabel("churn rate")
    ax.set_ylim(bottom=0)
    ax.set_title("Churn rate per period")
    return ax


def plot_calibration(result: ChurnEvaluation, *, ax: Any = None) -> Any:
    """Reliability diagram: observed churn rate against mean predicted score per bin.

    Parameters
    ----------
    result : ChurnEvaluation
        The output of :func:`crmanalytics.churn.evaluate_churn`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from crmanalytics.churn import evaluate_churn
    >>> from crmanalytics.plotting.churn import plot_calibration
    >>> ax = plot_calibration(evaluate_churn([0.1, 0.9, 0.8, 0.3], [0, 1, 1, 0]))
    >>> ax.get_xlabel()
    'mean predicted churn probability'
    """
    import matplotlib.pyplot as plt

    table = result.calibration
    used = table[table["n"] > 0]
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    ax.plot(used["mean_score"], used["observed_rate"], marker="o", label="churn scores")
    ax.set_xlabel("mean predicted churn probability")
    ax.set_ylabel("observed churn rate")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(f"AUC {result.auc:.3f}, Brier {result.brier:.3f}")
    ax.legend(loc="upper left")
    return ax
