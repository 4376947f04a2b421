"""Figures for customer value: expected purchases, P(alive), calibration vs holdout.

Every function takes fitted results, draws on ``ax`` (a new figure when ``None``) and
returns the matplotlib ``Axes``. matplotlib is imported only when a function is called.

Examples
--------
>>> from crmanalytics.plotting.value import plot_probability_alive
>>> from crmanalytics.value import BetaGeoModel, BetaGeoParams
>>> ax = plot_probability_alive(
...     BetaGeoModel.from_params(BetaGeoParams(0.243, 4.414, 0.793, 2.426)), T=39.0)
>>> ax.get_xlabel()
'recency (time of last purchase)'
"""

from __future__ import annotations

from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd

from crmanalytics.value import BetaGeoModel

__all__ = [
    "plot_calibration_holdout",
    "plot_frequency_recency",
    "plot_probability_alive",
]


def _grid(T: float, max_frequency: int | None) -> pd.DataFrame:
    top = int(max_frequency) if max_frequency is not None else 20
    freq, rec = np.meshgrid(np.arange(top + 1), np.linspace(0.0, T, 60), indexing="ij")
    grid = pd.DataFrame(
        {"frequency": freq.ravel(), "recency": rec.ravel(), "T": np.full(freq.size, T)}
    )
    grid.loc[grid["frequency"] == 0, "recency"] = 0.0
    return grid


def _matrix(
    values: np.ndarray[Any, Any],
    grid: pd.DataFrame,
    T: float,
    *,
    title: str,
    label: str,
    ax: Any,
) -> Any:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    top = int(grid["frequency"].max())
    image = values.reshape(top + 1, -1)
    mesh = ax.imshow(
        image, origin="lower", aspect="auto", extent=(0.0, T, -0.5, top + 0.5), cmap="viridis"
    )
    ax.figure.colorbar(mesh, ax=ax, label=label)
    ax.set_xlabel("recency (time of last purchase)")
    ax.set_ylabel("frequency (repeat purchases)")
    ax.set_title(title)
    return ax


def plot_frequency_recency(
    model: BetaGeoModel,
    *,
    T: float,
    t: float = 1.0,
    max_frequency: int | None = None,
    ax: Any = None,
) -> Any:
    """Heat map of expected purchases in the next ``t`` by frequency and recency.

    Parameters
    ----------
    model : BetaGeoModel
        A fitted (or :meth:`~BetaGeoModel.from_params`) model.
    T : float
        Customer age used for every cell, in the model's time unit.
    t : float, default 1.0
        Horizon of the expected purchases.
    max_frequency : int, optional
        Highest frequency shown (default 20).
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from crmanalytics.plotting.value import plot_frequency_recency
    >>> from crmanalytics.value import BetaGeoModel, BetaGeoParams
    >>> m = BetaGeoModel.from_params(BetaGeoParams(0.243, 4.414, 0.793, 2.426))
    >>> plot_frequency_recency(m, T=39.0, t=4.0).get_ylabel()
    'frequency (repeat purchases)'
    """
    grid = _grid(T, max_frequency)
    values = model.expected_purchases(grid, t)
    return _matrix(
        values,
        grid,
        T,
        title=f"Expected purchases in the next {t:g} time units (T = {T:g})",
        label="expected purchases",
        ax=ax,
    )


def plot_probability_alive(
    model: BetaGeoModel, *, T: float, max_frequency: int | None = None, ax: Any = None
) -> Any:
    """Heat map of the probability of being alive, by frequency and recency.

    Parameters
    ----------
    model : BetaGeoModel
        A fitted model.
    T : float
        Customer age used for every cell.
    max_frequency : int, optional
        Highest frequency shown (default 20).
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from crmanalytics.plotting.value import plot_probability_alive
    >>> from crmanalytics.value import BetaGeoModel, BetaGeoParams
    >>> m = BetaGeoModel.from_params(BetaGeoParams(0.243, 4.414, 0.793, 2.426))
    >>> plot_probability_alive(m, T=39.0, max_frequency=10).get_title()
    'Probability alive (T = 39)'
    """
    grid = _grid(T, max_frequency)
    values = model.probability_alive(grid)
    return _matrix(values, grid, T, title=f"Probability alive (T = {T:g})", label="P(alive)", ax=ax)


def plot_calibration_holdout(
    model: BetaGeoModel, summary: Any, *, max_frequency: int = 7, ax: Any = None
) -> Any:
    """Mean holdout purchases, actual and predicted, by calibration frequency.

    The summary must come from ``customer_summary(..., calibration_end=...)`` (it needs
    ``frequency_holdout`` and ``duration_holdout``); frequencies above
    ``max_frequency`` are pooled into the last group, as in Figure 4 of Fader, Hardie
    & Lee (2005).

    Parameters
    ----------
    model : BetaGeoModel
        A model fitted on the calibration columns.
    summary : dataframe
        Calibration/holdout summary (any backend).
    max_frequency : int, default 7
        Last frequency group (``max_frequency+``).
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from crmanalytics.datasets import load_cdnow
    >>> from crmanalytics.plotting.value import plot_calibration_holdout
    >>> from crmanalytics.value import BetaGeoModel, BetaGeoParams, customer_summary
    >>> s = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
    >>> m = BetaGeoModel.from_params(BetaGeoParams(0.243, 4.414, 0.793, 2.426))
    >>> len(plot_calibration_holdout(m, s).get_lines())
    2
    """
    import matplotlib.pyplot as plt

    frame = nw.from_native(summary)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    data = frame.select("frequency", "recency", "T", "frequency_holdout", "duration_holdout")
    table = pd.DataFrame({c: data[c].to_numpy() for c in data.columns})
    duration = float(table["duration_holdout"].iloc[0])
    table["predicted"] = model.expected_purchases(table, duration)
    table["group"] = np.minimum(table["frequency"], max_frequency)
    means = table.groupby("group")[["frequency_holdout", "predicted"]].mean()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    ax.plot(means.index, means["frequency_holdout"], "o-", label="actual")
    ax.plot(means.index, means["predicted"], "s--", label="BG/NBD")
    labels = [str(g) for g in means.index]
    labels[-1] = f"{labels[-1]}+" if means.index[-1] == max_frequency else labels[-1]
    ax.set_xticks(list(means.index), labels)
    ax.set_xlabel("purchases in the calibration period")
    ax.set_ylabel(f"mean purchases in the holdout ({duration:g} time units)")
    ax.set_title("Calibration vs holdout")
    ax.legend()
    return ax
