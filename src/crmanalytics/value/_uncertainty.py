"""Per-customer intervals from the estimates' uncertainty, for any model (internal).

A fitted model of the shared base exposes its parameters (``param_array()``) and the
covariance of its log-parameters (``log_covariance_``). :func:`parameter_draws` draws
log-parameters from that asymptotic normal with a seeded generator and rebuilds one
model per draw through the model's own ``from_params``: nothing here knows any
model's formulas, so every model of the family gets intervals for free.

:func:`draw_interval` evaluates a per-row prediction under every draw and keeps the
two quantiles. It works on the *distinct* input rows, in chunks, so memory stays at
``draws x chunk`` floats whatever the number of customers (never a customers x
draws x periods array).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from crmanalytics.errors import NotFittedError

__all__ = ["DEFAULT_DRAWS", "check_interval", "draw_interval", "parameter_draws"]

Array = npt.NDArray[np.float64]
Columns = dict[str, Array]
#: Draws from the asymptotic normal per interval (the quantiles' Monte Carlo error is
#: small next to the parameter uncertainty they describe).
DEFAULT_DRAWS = 200
#: Draws x rows evaluated at once: bounds the memory of one chunk (8 bytes each).
_CELLS_PER_CHUNK = 2_000_000


def check_interval(interval: float | None, draws: int) -> float | None:
    """Validate an ``interval`` level (``None`` for no interval) and the draw count.

    Examples
    --------
    >>> from crmanalytics.value._uncertainty import check_interval
    >>> check_interval(0.9, 100)
    0.9
    """
    if interval is None:
        return None
    level = float(interval)
    if not 0.0 < level < 1.0:
        raise ValueError(f"interval must be a level between 0 and 1 (e.g. 0.95), got {interval!r}")
    if int(draws) != draws or draws < 10:
        raise ValueError(f"draws must be a whole number >= 10, got {draws!r}")
    return level


def parameter_draws(model: Any, draws: int, rng: np.random.Generator) -> list[Any] | None:
    """``draws`` copies of ``model`` at log-parameters drawn from their asymptotic normal.

    Returns ``None`` for a model that carries no uncertainty information (a custom
    model outside the shared base, with no ``log_covariance_``): it is held fixed.

    Raises
    ------
    ValueError
        For a model of the shared base built from parameters without a covariance.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.datasets import load_cdnow
    >>> from crmanalytics.value import GammaGammaModel, customer_summary
    >>> from crmanalytics.value._uncertainty import parameter_draws
    >>> s = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
    >>> models = parameter_draws(GammaGammaModel().fit(s), 3, np.random.default_rng(0))
    >>> len(models), type(models[0]).__name__
    (3, 'GammaGammaModel')
    """
    if not all(hasattr(type(model), name) for name in ("log_covariance_", "from_params")):
        return None
    try:
        covariance = np.asarray(model.log_covariance_, dtype=np.float64)
    except NotFittedError as exc:
        raise ValueError(
            f"interval= needs the uncertainty of the estimates, but {exc}; fit the model "
            "(or load one saved after fitting, Model.from_json) to get intervals"
        ) from None
    centre = np.log(np.asarray(model.param_array(), dtype=np.float64))
    sampled = rng.multivariate_normal(centre, covariance, size=int(draws), method="eigh")
    unit = getattr(model, "time_unit_", None)
    return [type(model).from_params(np.exp(row), time_unit=unit) for row in sampled]


def draw_interval(
    cols: Columns,
    models: Sequence[Any],
    evaluate: Callable[[Sequence[Any], pd.DataFrame], Array],
    *,
    level: float,
    draws: int,
    seed: int,
) -> tuple[Array, Array]:
    """Quantile interval of ``evaluate(models, rows)`` under parameter draws, per row.

    ``cols`` are the summary columns the prediction reads; ``evaluate`` gets one model
    per entry of ``models`` (each redrawn, or held fixed when it carries no
    uncertainty) and a pandas frame of rows, and returns one value per row.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from crmanalytics.datasets import load_cdnow
    >>> from crmanalytics.value import GammaGammaModel, customer_summary
    >>> from crmanalytics.value._uncertainty import draw_interval
    >>> s = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
    >>> gg = GammaGammaModel().fit(s)
    >>> cols = {"frequency": np.array([2.0]), "monetary_value": np.array([22.35])}
    >>> low, high = draw_interval(cols, [gg], lambda m, rows: m[0].expected_spend(rows),
    ...                           level=0.95, draws=200, seed=0)
    >>> bool(low[0] < gg.expected_spend(pd.DataFrame(cols))[0] < high[0])
    True
    """
    names = list(cols)
    n = len(cols[names[0]]) if names else 0
    if n == 0:
        empty = np.zeros(0, dtype=np.float64)
        return empty, empty.copy()
    matrix = np.column_stack([np.asarray(cols[c], dtype=np.float64) for c in names])
    distinct, inverse = np.unique(matrix, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    rng = np.random.default_rng(seed)
    drawn = [parameter_draws(model, draws, rng) for model in models]
    per_draw = [
        [model if sample is None else sample[d] for model, sample in zip(models, drawn, strict=True)]
        for d in range(int(draws))
    ]
    quantiles = [(1.0 - level) / 2.0, (1.0 + level) / 2.0]
    low = np.empty(distinct.shape[0], dtype=np.float64)
    high = np.empty(distinct.shape[0], dtype=np.float64)
    step = max(1, _CELLS_PER_CHUNK // int(draws))
    for start in range(0, distinct.shape[0], step):
        chunk = distinct[start : start + step]
        rows = pd.DataFrame({c: chunk[:, j] for j, c in enumerate(names)})
        values = np.empty((int(draws), chunk.shape[0]), dtype=np.float64)
        for d, drawn_models in enumerate(per_draw):
            values[d] = np.asarray(evaluate(drawn_models, rows), dtype=np.float64)
        lo, hi = np.quantile(values, quantiles, axis=0)
        low[start : start + step] = lo
        high[start : start + step] = hi
    return low[inverse], high[inverse]
