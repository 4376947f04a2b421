"""Planted preference groups and a value-linked customer attribute for :func:`simulate`.

Each simulated customer belongs to a *preference group* that favours two product
categories; every purchase line gets a ``category`` drawn from the customer's group
mix. Each customer also gets an ``age_band`` whose distribution depends on the
customer's spend segment (gold customers are older), so the bands differ in value.

Everything here draws from its own generator, ``default_rng([seed, 19])``, after the
rest of the simulation is drawn: the other columns of :func:`simulate` are exactly what
they were before these were planted.

Examples
--------
>>> from crmanalytics.datasets import simulate
>>> planted = simulate(300, seed=1).truth.preferences
>>> planted.groups["grocery"]
('grocery', 'home')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["AGE_BANDS", "CATEGORIES", "PlantedPreferences", "plant_preferences"]

#: Product categories of the simulated lines.
CATEGORIES: tuple[str, ...] = (
    "grocery",
    "home",
    "fashion",
    "beauty",
    "electronics",
    "games",
    "sports",
    "outdoor",
)
#: Preference groups: name and the two categories the group favours.
_GROUPS: tuple[tuple[str, tuple[str, str]], ...] = (
    ("grocery", ("grocery", "home")),
    ("fashion", ("fashion", "beauty")),
    ("tech", ("electronics", "games")),
    ("outdoor", ("sports", "outdoor")),
)
_GROUP_WEIGHTS = (0.35, 0.25, 0.25, 0.15)
#: Share of a group's lines falling in its two favoured categories (split evenly).
_FAVOURED_SHARE = 0.8
#: Age bands and their shares within each spend segment: gold customers are older.
AGE_BANDS: tuple[str, ...] = ("18-34", "35-49", "50-64", "65+")
_AGE_MIX: Mapping[str, tuple[float, float, float, float]] = {
    "gold": (0.10, 0.20, 0.40, 0.30),
    "silver": (0.25, 0.30, 0.25, 0.20),
    "bronze": (0.40, 0.30, 0.20, 0.10),
}
#: This module's own stream: ``default_rng([seed, _STREAM])``.
_STREAM = 19


@dataclass(frozen=True)
class PlantedPreferences:
    """The planted preference groups and age bands of a simulation.

    Attributes
    ----------
    categories : tuple of str
        Every product category.
    groups : dict of str to tuple of str
        Each preference group and the two categories it favours.
    group_weights : dict of str to float
        Share of customers drawn into each group.
    favoured_share : float
        Expected share of a customer's lines in the group's favoured categories
        (split evenly between the two); the rest is spread evenly over the others.
    age_mix : dict of str to tuple of float
        Shares of :data:`AGE_BANDS` within each spend segment (gold, silver, bronze).
    customers : pandas.DataFrame
        ``customer_id``, ``preference_group`` and ``age_band`` of every customer.

    Examples
    --------
    >>> from crmanalytics.datasets import simulate
    >>> truth = simulate(200, seed=0).truth.preferences
    >>> sorted(truth.groups)
    ['fashion', 'grocery', 'outdoor', 'tech']
    >>> truth.customers.columns.tolist()
    ['customer_id', 'preference_group', 'age_band']
    """

    categories: tuple[str, ...]
    groups: dict[str, tuple[str, ...]]
    group_weights: dict[str, float]
    favoured_share: float
    age_mix: dict[str, tuple[float, ...]]
    customers: pd.DataFrame

    def category_mix(self, group: str) -> dict[str, float]:
        """Probability of each category for a line of a customer in ``group``.

        Examples
        --------
        >>> from crmanalytics.datasets import simulate
        >>> mix = simulate(50, seed=0).truth.preferences.category_mix("tech")
        >>> mix["electronics"], round(mix["grocery"], 4)
        (0.4, 0.0333)
        """
        favoured = self.groups[group]
        other = (1.0 - self.favoured_share) / (len(self.categories) - len(favoured))
        return {
            c: self.favoured_share / len(favoured) if c in favoured else other
            for c in self.categories
        }


def _mix_matrix(truth: PlantedPreferences) -> npt.NDArray[np.float64]:
    return np.array([list(truth.category_mix(g).values()) for g in truth.groups])


def plant_preferences(
    seed: int,
    customers: pd.DataFrame,
    transactions: pd.DataFrame,
    segment: npt.NDArray[np.str_],
) -> tuple[pd.DataFrame, pd.DataFrame, PlantedPreferences]:
    """Add ``age_band`` to the customers and ``category`` to the transactions.

    ``customers`` has one row per customer in id order, ``segment`` their spend
    segments; new frames are returned (the inputs are not changed).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from crmanalytics.datasets._plant_preferences import plant_preferences
    >>> cust = pd.DataFrame({"customer_id": [1, 2]})
    >>> tx = pd.DataFrame({"customer_id": [1, 2, 1], "amount": [1.0, 2.0, 3.0]})
    >>> c, t, truth = plant_preferences(0, cust, tx, np.array(["gold", "bronze"]))
    >>> c.columns.tolist(), t.columns.tolist()
    (['customer_id', 'age_band'], ['customer_id', 'amount', 'category'])
    """
    rng = np.random.default_rng([seed, _STREAM])
    n = len(customers)
    names = [name for name, _ in _GROUPS]
    group = rng.choice(len(names), size=n, p=_GROUP_WEIGHTS)
    age_shares = np.array([_AGE_MIX[s] for s in segment.tolist()]).reshape(-1, len(AGE_BANDS))
    age = (rng.uniform(size=n)[:, None] > np.cumsum(age_shares, axis=1)[:, :-1]).sum(axis=1)
    truth_customers = pd.DataFrame(
        {
            "customer_id": customers["customer_id"].to_numpy(),
            "preference_group": np.array(names)[group],
            "age_band": np.array(AGE_BANDS)[age],
        }
    )
    truth = PlantedPreferences(
        categories=CATEGORIES,
        groups=dict(_GROUPS),
        group_weights=dict(zip(names, _GROUP_WEIGHTS, strict=True)),
        favoured_share=_FAVOURED_SHARE,
        age_mix={k: tuple(v) for k, v in _AGE_MIX.items()},
        customers=truth_customers,
    )
    owner = pd.Index(customers["customer_id"]).get_indexer(transactions["customer_id"])
    cumulative = np.cumsum(_mix_matrix(truth), axis=1)[:, :-1]
    line = (rng.uniform(size=owner.size)[:, None] > cumulative[group[owner]]).sum(axis=1)
    out_customers = customers.assign(age_band=np.array(AGE_BANDS)[age])
    out_transactions = transactions.assign(category=np.array(CATEGORIES)[line])
    return out_customers, out_transactions, truth
