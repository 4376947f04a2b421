"""What CLV, churn, evaluation and plots need of a model: two public protocols.

Any object with these methods plugs in; no function of the library calls a model's
private members. A new purchase or spend model is one new file that satisfies them.

Examples
--------
>>> from crmanalytics.value import BetaGeoModel, GammaGammaModel, PurchaseModel, SpendModel
>>> isinstance(BetaGeoModel(), PurchaseModel), isinstance(GammaGammaModel(), SpendModel)
(True, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from crmanalytics._frames import TimeUnit

__all__ = ["PurchaseModel", "SpendModel"]

Array = npt.NDArray[np.float64]


@runtime_checkable
class PurchaseModel(Protocol):
    """A fitted model of how many purchases customers make and whether they are alive.

    Horizons ``t`` are in the model's time unit (``time_unit_``: ``"D"``, ``"W"``, or
    ``None`` when the fit was not told); summaries are per-customer BTYD summaries
    (``frequency``, ``recency``, ``T``) in that unit.

    Examples
    --------
    >>> from crmanalytics.value import BetaGeoModel, PurchaseModel
    >>> isinstance(BetaGeoModel(), PurchaseModel)
    True
    """

    time_unit_: TimeUnit | None

    def expected_purchases(
        self, summary: Any, t: float, *, columns: Mapping[str, str] | None = None
    ) -> Array:
        """Expected purchases in the next ``t`` time units given each customer's history.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmanalytics.value import BetaGeoModel, BetaGeoParams
        >>> m = BetaGeoModel.from_params(BetaGeoParams(0.243, 4.414, 0.793, 2.426))
        >>> s = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86]})
        >>> round(float(m.expected_purchases(s, t=39)[0]), 3)
        1.226
        """

    def probability_alive(self, summary: Any, *, columns: Mapping[str, str] | None = None) -> Array:
        """Probability that each customer is still active at the end of their history.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmanalytics.value import BetaGeoModel, BetaGeoParams
        >>> m = BetaGeoModel.from_params(BetaGeoParams(0.243, 4.414, 0.793, 2.426))
        >>> s = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86]})
        >>> round(float(m.probability_alive(s)[0]), 3)
        0.727
        """

    def probability_of_purchases(
        self, summary: Any, n: int, t: float, *, columns: Mapping[str, str] | None = None
    ) -> Array:
        """Probability of exactly ``n`` purchases in the next ``t`` time units.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmanalytics.value import BetaGeoModel, BetaGeoParams
        >>> m = BetaGeoModel.from_params(BetaGeoParams(0.243, 4.414, 0.793, 2.426))
        >>> s = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86]})
        >>> round(float(m.probability_of_purchases(s, 0, 39)[0]), 3)
        0.445
        """

    def expected_purchases_new_customer(self, t: float | npt.ArrayLike) -> Array:
        """Expected purchases of a newly acquired customer within ``t`` time units.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmanalytics.value import BetaGeoModel, BetaGeoParams
        >>> m = BetaGeoModel.from_params(BetaGeoParams(0.243, 4.414, 0.793, 2.426))
        >>> s = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86]})
        >>> round(float(m.expected_purchases_new_customer(39)[0]), 3)
        1.197
        """


@runtime_checkable
class SpendModel(Protocol):
    """A fitted model of each customer's expected spend per purchase.

    Examples
    --------
    >>> from crmanalytics.value import GammaGammaModel, SpendModel
    >>> isinstance(GammaGammaModel(), SpendModel)
    True
    """

    def expected_spend(self, summary: Any, *, columns: Mapping[str, str] | None = None) -> Array:
        """Expected spend per purchase for each summary row (``frequency``, ``monetary_value``).

        Examples
        --------
        >>> import pandas as pd
        >>> from crmanalytics.value import GammaGammaModel, GammaGammaParams
        >>> m = GammaGammaModel.from_params(GammaGammaParams(6.25, 3.74, 15.44))
        >>> s = pd.DataFrame({"frequency": [2], "monetary_value": [22.35]})
        >>> round(float(m.expected_spend(s)[0]), 2)
        24.66
        """


if TYPE_CHECKING:  # mypy checks that every purchase and spend model meets its protocol
    from crmanalytics.value.bgbb import BetaGeoBetaBinomModel
    from crmanalytics.value.bgnbd import BetaGeoModel
    from crmanalytics.value.gamma_gamma import GammaGammaModel
    from crmanalytics.value.mbgnbd import ModifiedBetaGeoModel
    from crmanalytics.value.pareto_nbd import ParetoNBDModel

    _PURCHASE_MODELS: tuple[type[PurchaseModel], ...] = (
        BetaGeoModel,
        ParetoNBDModel,
        ModifiedBetaGeoModel,
        BetaGeoBetaBinomModel,
    )
    _SPEND_MODELS: tuple[type[SpendModel], ...] = (GammaGammaModel,)
