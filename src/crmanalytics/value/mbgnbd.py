"""The MBG/NBD model of repeat purchasing (Batislam, Denizel & Filiztekin 2007).

The BG/NBD model in which a customer may also drop out right after the first
purchase, so that customers with no repeat purchase are not taken as surely alive
(the BG/NBD model's best-known oddity). Purchase rates ``Gamma(r, alpha)``, dropout
probabilities ``Beta(a, b)``.

Examples
--------
>>> from crmanalytics.datasets import load_cdnow
>>> from crmanalytics.value import ModifiedBetaGeoModel, customer_summary
>>> summary = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
>>> model = ModifiedBetaGeoModel().fit(summary)
>>> [round(v, 3) for v in model.params_]
[0.525, 6.183, 0.891, 1.614]
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

import numpy as np

from crmanalytics.value import _mbgnbd_math
from crmanalytics.value._continuous import Array, ContinuousPurchaseModel

__all__ = ["ModifiedBetaGeoModel", "ModifiedBetaGeoParams"]


class ModifiedBetaGeoParams(NamedTuple):
    """MBG/NBD parameters: purchase rates Gamma(r, alpha), dropout Beta(a, b).

    Examples
    --------
    >>> from crmanalytics.value import ModifiedBetaGeoParams
    >>> ModifiedBetaGeoParams(r=0.525, alpha=6.183, a=0.891, b=1.614).b
    1.614
    """

    r: float
    alpha: float
    a: float
    b: float


class ModifiedBetaGeoModel(ContinuousPurchaseModel):
    """MBG/NBD model: BG/NBD with a dropout chance at the first purchase as well.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty ``penalizer * (r**2 + alpha**2 + a**2 + b**2)`` added to the mean
        negative log-likelihood, as in lifetimes.

    Attributes
    ----------
    params_ : ModifiedBetaGeoParams
        Maximum likelihood estimates.
    log_likelihood_ : float
        Log-likelihood at the estimates (without the penalty).
    n_customers_ : float
        Number of customers (sum of weights) fitted.

    Notes
    -----
    Same likelihood as lifetimes' ``ModifiedBetaGeoFitter`` (the tests use it as the
    oracle), fitted on the distinct ``(frequency, recency, T)`` rows with counts, with
    an analytic gradient. The conditional expectation's ``2F1`` is evaluated after
    Euler's transformation, so it stays finite at any frequency.

    References
    ----------
    Batislam, E. P., Denizel, M. and Filiztekin, A. (2007). "Empirical validation and
    comparison of models for customer base analysis." *International Journal of
    Research in Marketing* 24(3).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.value import ModifiedBetaGeoModel, ModifiedBetaGeoParams
    >>> m = ModifiedBetaGeoModel.from_params(ModifiedBetaGeoParams(0.525, 6.183, 0.891, 1.614))
    >>> s = pd.DataFrame({"frequency": [0, 2], "recency": [0.0, 30.43], "T": [38.0, 38.86]})
    >>> m.probability_alive(s).round(3)
    array([0.392, 0.706])
    """

    params_type = ModifiedBetaGeoParams
    model_name = "MBG/NBD"
    _kernel: ClassVar[Any] = _mbgnbd_math
    _advice = (
        "Try a small penalizer (ModifiedBetaGeoModel(penalizer=0.001)), or a coarser time "
        "unit (customer_summary(..., time_unit='W')) so that alpha is not tiny or huge; "
        "check that the summary has repeat buyers and that T covers a fair observation "
        "period."
    )

    def _starts(self, mean_x: float, mean_t: float) -> list[Array]:
        return [np.log([1.0, mean_t / mean_x, 1.0, 3.0]), np.zeros(4)]
