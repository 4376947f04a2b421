"""Rising and declining products planted into a simulated customer base (internal).

Called by :func:`crmanalytics.datasets.simulate` after the products are drawn. Only the
``product_id`` of some purchases changes (times, amounts and quantities stay), and only
among products outside the planted sequential pairs, so the planted pairs keep their
meaning. It draws from its own generator, ``default_rng([seed, 15])``, so every other
random stream of the simulation is unchanged.

* **Rising products** (three, "launched" products): their own draws are first moved
  to ordinary products; then a purchase at time t (days since the start) of an
  ordinary product becomes rising product j with probability
  ``share_j * exp(-growth * (1 - t / duration))``, ``share = (0.06, 0.05, 0.04)``: the
  share of purchases going to it grows 50-fold over the window (``growth = ln 50``),
  fast enough to rise in absolute terms while the customer base shrinks.
* **Declining products** (three): a purchase of a declining product at time t is
  relabelled to an ordinary product with probability ``1 - exp(-decay * t /
  duration)`` (``decay = ln 20``): its share falls 20-fold over the window, faster
  than the market declines.

Examples
--------
>>> import numpy as np
>>> from crmanalytics.datasets._plant_trends import plant_trends
>>> catalogue = np.array([f"P{i:03d}" for i in range(1, 21)])
>>> products = np.random.default_rng(0).choice(catalogue, size=2000)
>>> times = np.linspace(0.0, 500.0, 2000)
>>> new, rising, declining = plant_trends(0, times, products, catalogue=catalogue,
...                                        duration_days=500.0, pairs=())
>>> len(rising), len(declining), new.shape == products.shape
(3, 3, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["plant_trends"]

_STREAM = 15  # this module's generator: default_rng([seed, 15])
_GROWTH = float(np.log(50.0))
_DECAY = float(np.log(20.0))
_RISING_SHARES = (0.06, 0.05, 0.04)  # share of ordinary purchases at the end
_MIN_ELIGIBLE = 12


def plant_trends(
    seed: int,
    times: npt.NDArray[np.float64],
    products: npt.NDArray[Any],
    *,
    catalogue: npt.NDArray[Any],
    duration_days: float,
    pairs: Sequence[Any],
) -> tuple[npt.NDArray[Any], tuple[str, ...], tuple[str, ...]]:
    """Relabel purchases so that three products rise and three decline.

    Products named in ``pairs`` (planted sequential rules, with ``antecedent`` and
    ``consequent``) are never touched. With fewer than 12 other products nothing is
    planted and both tuples are empty.

    Returns
    -------
    (products, rising, declining)
        The new product of every purchase and the planted product ids.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.datasets._plant_trends import plant_trends
    >>> catalogue = np.array(["P001", "P002", "P003"])
    >>> plant_trends(0, np.zeros(2), catalogue[:2], catalogue=catalogue, duration_days=10.0,
    ...              pairs=())[1]
    ()
    """
    in_pairs = {p for pair in pairs for p in (pair.antecedent, pair.consequent)}
    eligible = [str(p) for p in catalogue.tolist() if p not in in_pairs]
    if len(eligible) < _MIN_ELIGIBLE:
        return products, (), ()
    # fixed popularity ranks among eligible products: declining ones start popular,
    # rising ones start in the middle of the catalogue
    declining = (eligible[2], eligible[5], eligible[8])
    rising = (eligible[6], eligible[9], eligible[11])  # mid-catalogue ids
    rng = np.random.default_rng([seed, _STREAM])
    u_rise = rng.uniform(size=products.size)
    u_decline = rng.uniform(size=products.size)
    pick = rng.integers(0, 1 << 30, size=products.size)
    out = products.copy()
    planted = set(rising) | set(declining)
    ordinary = np.array([p for p in eligible if p not in planted])
    fraction = np.clip(times / duration_days, 0.0, 1.0)

    leaves = np.isin(out, declining) & (u_decline < 1.0 - np.exp(-_DECAY * fraction))
    leaves |= np.isin(out, rising)  # launched products start from nothing of their own
    out[leaves] = ordinary[pick[leaves] % ordinary.size]

    is_ordinary = np.isin(out, ordinary) & ~leaves
    scale = np.exp(-_GROWTH * (1.0 - fraction))
    edges = np.cumsum(_RISING_SHARES)
    for j, product in enumerate(rising):
        low = 0.0 if j == 0 else edges[j - 1]
        hit = is_ordinary & (u_rise >= low * scale) & (u_rise < edges[j] * scale)
        out[hit] = product
    return out, rising, declining
