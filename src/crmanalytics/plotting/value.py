"""Figures for customer value: expected purchases, P(alive), holdout and tracking.

Every function takes any model satisfying :class:`~crmanalytics.value.PurchaseModel`
or the result of an evaluation (:func:`~crmanalytics.value.evaluate_holdout`,
:func:`~crmanalytics.value.tracking`).

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

from crmanalytics.value import HoldoutEvaluation, PurchaseModel, evaluate_holdout

__all__ = [
    "plot_calibration_holdout",
    "plot_frequency_recency",
    "plot_holdout",
    "plot_probability_alive",
    "plot_tracking",
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
    model: PurchaseModel,
    *,
    T: float,
    t: float = 1.0,
    max_frequency: int | None = None,
    ax: Any = None,
) -> Any:
    """Heat map of expected purchases in the next ``t`` by frequency and recency.

    Parameters
    ----------
    model : PurchaseModel
        Any fitted purchase model (or one built with ``from_params``).
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
    model: PurchaseModel, *, T: float, max_frequency: int | None = None, ax: Any = None
) -> Any:
    """Heat map of the probability of being alive, by frequency and recency.

    Parameters
    ----------
    model : PurchaseModel
        Any fitted purchase model.
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
    model: PurchaseModel, summary: Any, *, max_frequency: int = 7, ax: Any = None
) -> Any:
    """Mean holdout purchases, actual and predicted, by calibration frequency.

    The summary must come from ``customer_summary(..., calibration_end=...)`` (it needs
    ``frequency_holdout`` and ``duration_holdout``); frequencies above
    ``max_frequency`` are pooled into the last group, as in Figure 4 of Fader, Hardie
    & Lee (2005).

    Parameters
    ----------
    model : PurchaseModel
        A purchase model fitted on the calibration columns.
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
    return plot_holdout(evaluate_holdout(model, summary, max_frequency=max_frequency), ax=ax)


def plot_holdout(result: HoldoutEvaluation, *, ax: Any = None) -> Any:
    """Mean holdout purchases, actual and predicted, by calibration frequency.

    Figure 4 of Fader, Hardie & Lee (2005), from :func:`~crmanalytics.value.evaluate_holdout`.

    Parameters
    ----------
    result : HoldoutEvaluation
        The result of :func:`~crmanalytics.value.evaluate_holdout`.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from crmanalytics.datasets import load_cdnow
    >>> from crmanalytics.plotting.value import plot_holdout
    >>> from crmanalytics.value import BetaGeoModel, customer_summary, evaluate_holdout
    >>> s = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
    >>> ax = plot_holdout(evaluate_holdout(BetaGeoModel().fit(s), s))
    >>> [line.get_label() for line in ax.get_lines()]
    ['actual', 'predicted']
    """
    import matplotlib.pyplot as plt

    table = result.table
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    x = table["frequency"].to_numpy()
    ax.plot(x, table["mean_actual"].to_numpy(), "o-", label="actual")
    ax.plot(x, table["mean_predicted"].to_numpy(), "s--", label="predicted")
    ax.set_xticks(list(x), table["label"].tolist())
    ax.set_xlabel("purchases in the calibration period")
    ax.set_ylabel(f"mean purchases in the holdout ({result.duration:g} time units)")
    ax.set_title(f"Calibration vs holdout (MAE {result.mae:.2f} per customer)")
    ax.legend()
    return ax


def plot_tracking(result: Any, *, cumulative: bool = True, ax: Any = None) -> Any:
    """Repeat purchases per period, actual against predicted, with the calibration end.

    Figures 2 (``cumulative=False``) and 3 (``cumulative=True``) of Fader, Hardie &
    Lee (2005), from :func:`~crmanalytics.value.tracking`. A dotted vertical line
    marks the start of the holdout; an incomplete last period is drawn with a hollow
    marker and is not read as a drop.

    Parameters
    ----------
    result : dataframe
        The frame :func:`~crmanalytics.value.tracking` returns (any backend).
    cumulative : bool, default True
        Cumulative totals, or purchases per period.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from crmanalytics.datasets import load_cdnow
    >>> from crmanalytics.plotting.value import plot_tracking
    >>> from crmanalytics.value import BetaGeoModel, customer_summary, tracking
    >>> tx = load_cdnow()
    >>> s = customer_summary(tx, calibration_end="1997-09-30", time_unit="W")
    >>> frame = tracking(BetaGeoModel().fit(s), tx, calibration_end="1997-09-30")
    >>> ax = plot_tracking(frame)
    >>> [line.get_label() for line in ax.get_lines()][:2]
    ['actual', 'predicted']
    """
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    frame = nw.from_native(result)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    data = pd.DataFrame({c: frame[c].to_numpy() for c in frame.columns})
    suffix = "_cumulative" if cumulative else ""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    when = pd.to_datetime(data["period"])
    complete = ~data["partial"].to_numpy(dtype=bool)
    if not cumulative:
        # a partial period at either end is not comparable with full ones
        when_full = when[complete]
        actual = data[f"actual{suffix}"][complete]
        predicted = data[f"predicted{suffix}"][complete]
    else:
        when_full, actual, predicted = when, data["actual_cumulative"], data["predicted_cumulative"]
    ax.plot(when_full, actual, "-", label="actual")
    ax.plot(when_full, predicted, "--", label="predicted")
    partial = ~complete
    if partial.any():
        ax.plot(
            when[partial],
            data[f"actual{suffix}"][partial],
            "o",
            mfc="none",
            color="grey",
            label="incomplete period",
        )
    holdout = data["holdout"].to_numpy(dtype=bool)
    if holdout.any():
        ax.axvline(when[holdout].iloc[0], color="grey", linestyle=":", label="holdout starts")
    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    ax.set_ylabel("cumulative repeat purchases" if cumulative else "repeat purchases")
    ax.set_title("Tracking: actual vs predicted repeat purchases")
    ax.legend()
    return ax
