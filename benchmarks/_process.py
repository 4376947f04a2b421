"""The purchase process the model benchmarks simulate (Poisson purchases until dropout)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


def purchases(
    rng: np.random.Generator,
    rate: Array,
    end: Array,
    *,
    drop: Array | None = None,
    whole: bool = False,
) -> tuple[Array, Array]:
    """Repeat purchases ``x`` and the time of the last one ``t_x`` per customer.

    Customers buy at Poisson rates ``rate`` from time 0 until ``end`` (dropout or the
    end of observation). With ``drop`` (BG/NBD), each purchase is followed by dropout
    with that probability. With ``whole``, purchase times are floored to whole units.
    """
    n = rate.size
    x, t_x, clock = np.zeros(n), np.zeros(n), np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        clock[idx] += rng.exponential(1.0 / rate[idx])
        past = clock[idx] > end[idx]
        active[idx[past]] = False
        buy = idx[~past]
        x[buy] += 1
        t_x[buy] = np.floor(clock[buy]) if whole else clock[buy]
        if drop is not None:
            active[buy[rng.random(buy.size) < drop[buy]]] = False
    return x, t_x
