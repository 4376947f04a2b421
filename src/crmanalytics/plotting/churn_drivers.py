"""Figure for churn drivers: the multivariate coefficients with their intervals.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd
>>> from crmanalytics.plotting.churn_drivers import plot_churn_drivers
>>> d = pd.DataFrame({"feature": ["complaints", "spend"], "coefficient": [0.9, -0.4],
...                   "coefficient_low": [0.6, -0.7], "coefficient_high": [1.2, -0.1]})
>>> plot_churn_drivers(d).get_xlabel()
'change in log-odds of churn per standard deviation'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from crmanalytics._frames import collect, from_native

__all__ = ["plot_churn_drivers"]


def plot_churn_drivers(drivers: Any, *, top: int = 15, ax: Any = None) -> Any:
    """Coefficients of the top features with bootstrap intervals, largest on top.

    Parameters
    ----------
    drivers : ChurnDrivers or dataframe
        A :func:`crmanalytics.churn.churn_drivers` result or its ``drivers`` table.
    top : int, default 15
        How many features to show (in rank order).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        Red: raises churn; blue: lowers it; grey when the interval covers zero.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from crmanalytics.plotting.churn_drivers import plot_churn_drivers
    >>> d = pd.DataFrame({"feature": ["a"], "coefficient": [0.5],
    ...                   "coefficient_low": [0.1], "coefficient_high": [0.9]})
    >>> [t.get_text() for t in plot_churn_drivers(d).get_yticklabels()]
    ['a']
    """
    import matplotlib.pyplot as plt

    table = getattr(drivers, "drivers", drivers)
    frame = collect(from_native(table)).to_pandas().head(top)
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 1.0 + 0.4 * len(frame)))
    y = np.arange(len(frame))[::-1]
    coef = frame["coefficient"].to_numpy(dtype=float)
    low = frame["coefficient_low"].to_numpy(dtype=float)
    high = frame["coefficient_high"].to_numpy(dtype=float)
    colours = np.where(low > 0, "#c44e52", np.where(high < 0, "#4c72b0", "grey"))
    for k in range(len(frame)):
        ax.errorbar(coef[k], y[k], xerr=[[coef[k] - low[k]], [high[k] - coef[k]]], fmt="o",
                    color=colours[k], capsize=3)  # fmt: skip
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_yticks(y, frame["feature"].astype(str).tolist())
    ax.set_xlabel("change in log-odds of churn per standard deviation")
    return ax
