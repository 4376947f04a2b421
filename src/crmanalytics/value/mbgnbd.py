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

from collections.abc import Mapping
from typing import Any, ClassVar, NamedTuple, Self

import numpy as np

from crmanalytics._frames import TimeUnit
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

    def fit(
        self,
        summary: Any,
        *,
        weights: str | None = None,
        time_unit: TimeUnit | None = None,
        columns: Mapping[str, str] | None = None,
    ) -> Self:
        """Estimate ``(r, alpha, a, b)`` by maximum likelihood.

        Parameters
        ----------
        summary : dataframe
            Columns ``frequency``, ``recency`` and ``T`` (any backend).
        weights : str, optional
            Name of a column counting how many customers each row stands for.
        time_unit : {"D", "W"}, optional
            The summary's time unit, recorded in ``time_unit_``.
        columns : mapping of str to str, optional
            Expected name to the summary's name.

        Returns
        -------
        ModifiedBetaGeoModel
            ``self``, fitted.

        Raises
        ------
        SchemaError
            When a column is missing or breaks a rule.
        ConvergenceError
            When the optimiser does not reach an optimum; the message says what to try.

        Examples
        --------
        >>> from crmanalytics.datasets import load_cdnow
        >>> from crmanalytics.value import ModifiedBetaGeoModel, customer_summary
        >>> s = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
        >>> round(ModifiedBetaGeoModel().fit(s).log_likelihood_, 1)
        -9582.1
        """
        return self._fit_summary(summary, weights=weights, time_unit=time_unit, columns=columns)
