"""The Gamma-Gamma model of spend per purchase (Fader, Hardie & Lee 2005, JMR).

Each transaction of a customer is worth ``Gamma(p, nu)``; across customers
``nu ~ Gamma(q, v)``. A customer's average spend over ``x`` repeat purchases is then
informative about their own mean spend, shrunk towards the population mean
``p v / (q - 1)``. The model assumes spend per transaction does not depend on how
often a customer buys.

Examples
--------
>>> from crmanalytics.datasets import load_cdnow
>>> from crmanalytics.value import GammaGammaModel, customer_summary
>>> summary = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
>>> [round(v, 2) for v in GammaGammaModel().fit(summary).params_]
[6.25, 3.74, 15.44]
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, Self

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, gammaln

from crmanalytics._frames import TimeUnit
from crmanalytics.errors import DataQualityWarning, Problem, SchemaError
from crmanalytics.value._base import ModelBase, summary_time_unit
from crmanalytics.value._covariates import (
    fit_gamma_gamma_with_covariates,
    gamma_gamma_row_params,
)
from crmanalytics.value._fitting import fit_log_params
from crmanalytics.value._with_covariates import (
    CovariateMixin,
    covariate_names,
    read_covariate_rows,
)

__all__ = ["GammaGammaModel", "GammaGammaParams", "gamma_gamma_log_likelihood"]

Array = npt.NDArray[np.float64]
#: |Pearson correlation| of frequency and monetary value above which we warn.
CORRELATION_WARNING = 0.3
_ADVICE = (
    "Try a small penalizer (GammaGammaModel(penalizer=0.001)); check that monetary "
    "values are per-purchase averages in a sensible currency unit (not cents of "
    "millions) and that there are enough repeat customers."
)


class GammaGammaParams(NamedTuple):
    """Gamma-Gamma parameters: spend shape ``p``, and Gamma(q, v) for the scale.

    Examples
    --------
    >>> from crmanalytics.value import GammaGammaParams
    >>> GammaGammaParams(6.25, 3.74, 15.44).q
    3.74
    """

    p: float
    q: float
    v: float


def gamma_gamma_log_likelihood(log_params: Array, x: Array, m: Array) -> Array:
    """Per-customer log-likelihood of the average spend ``m`` over ``x`` purchases.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value.gamma_gamma import gamma_gamma_log_likelihood
    >>> ll = gamma_gamma_log_likelihood(np.log([6.25, 3.74, 15.44]), np.array([2.0]),
    ...                                 np.array([22.35]))
    >>> round(float(ll[0]), 3)
    -3.551
    """
    p, q, v = np.exp(log_params)
    px = p * x
    return np.asarray(
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(v)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(x * m + v),
        dtype=np.float64,
    )


class _ByFrequency:
    """The Gamma-Gamma likelihood of many customers, from per-frequency statistics.

    Every term but ``(p x + q) log(x m + v)`` depends on the frequency ``x`` alone
    (given the per-frequency sum of ``log m``), so the gamma functions are evaluated
    once per distinct frequency and each evaluation over the customers is one
    logarithm and one division per customer: the sum equals that of
    :func:`gamma_gamma_log_likelihood` over the customers.
    """

    def __init__(self, x: Array, m: Array) -> None:
        self.x, self.xm = x, x * m
        self.levels, inverse = np.unique(x, return_inverse=True)
        self.count = np.bincount(inverse).astype(np.float64)
        self.sum_log_m = np.bincount(inverse, weights=np.log(m))

    def value_and_grad(self, log_params: Array) -> tuple[float, Array]:
        p, q, v = np.exp(log_params)
        k, n, s = self.levels, self.count, self.sum_log_m
        pk = p * k
        shifted = self.xm + v
        log_shifted = np.log(shifted)
        inverse = np.reciprocal(shifted, out=shifted)
        x_log, sum_log = float(np.dot(self.x, log_shifted)), float(log_shifted.sum())
        x_inv, sum_inv = float(np.dot(self.x, inverse)), float(inverse.sum())
        per_level = gammaln(pk + q) - gammaln(pk) - gammaln(q) + q * np.log(v) + pk * np.log(k)
        value = float(np.dot(n, per_level) + np.dot(pk - 1.0, s)) - (p * x_log + q * sum_log)
        psi = digamma(pk + q)
        d_p = float(np.dot(n * k, psi - digamma(pk) + np.log(k)) + np.dot(k, s)) - x_log
        d_q = float(np.dot(n, psi - digamma(q) + np.log(v))) - sum_log
        d_v = float(n.sum()) * q / v - (p * x_inv + q * sum_inv)
        return value, np.array([d_p * p, d_q * q, d_v * v])


class GammaGammaModel(CovariateMixin, ModelBase):
    """Gamma-Gamma model: each customer's expected spend per purchase.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty ``penalizer * (p**2 + q**2 + v**2)`` on the mean negative
        log-likelihood, as in lifetimes.

    Attributes
    ----------
    params_ : GammaGammaParams
        Maximum likelihood estimates.
    log_likelihood_ : float
        Log-likelihood at the estimates.
    n_customers_ : int
        Repeat customers used in the fit.
    correlation_ : float
        Pearson correlation of frequency and monetary value among them.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "RFM and CLV: using
    iso-value curves for customer base analysis". *Journal of Marketing Research*
    42(4). Fader, P. S. and Hardie, B. G. S. (2013). "The Gamma-Gamma model of
    monetary value".

    Examples
    --------
    >>> from crmanalytics.datasets import load_cdnow
    >>> from crmanalytics.value import GammaGammaModel, customer_summary
    >>> s = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
    >>> model = GammaGammaModel().fit(s)
    >>> model.n_customers_
    946.0
    >>> model.expected_spend(s.head(3)).round(2)
    array([24.65, 18.91, 35.17])
    """

    params_type = GammaGammaParams
    model_name = "Gamma-Gamma"

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    def fit(
        self,
        summary: Any,
        *,
        time_unit: TimeUnit | None = None,
        columns: Mapping[str, str] | None = None,
        spend_covariates: Sequence[str] | None = None,
    ) -> Self:
        """Estimate ``(p, q, v)`` from the repeat customers (frequency > 0).

        Parameters
        ----------
        summary : dataframe
            Columns ``frequency`` and ``monetary_value`` (any backend). Rows with
            frequency 0 carry no spend information and are not used.
        time_unit : {"D", "W"}, optional
            The summary's time unit, recorded as ``time_unit_`` (a pandas summary
            from :func:`~crmanalytics.value.customer_summary` carries it).
        columns : mapping of str to str, optional
            Summary name to your column name, e.g. ``{"monetary_value": "avg_spend"}``.
        spend_covariates : sequence of str, optional
            Time-invariant customer covariates (summary columns; numeric, or text,
            categorical or boolean one-hot encoded against their first level):
            ``v_i = v exp(g' z)``, so a positive coefficient multiplies the expected
            spend per purchase by ``exp(g)``. ``params_`` are then the values for a
            customer with every covariate at 0 (or its reference level); the effects
            are in ``coefficients_``; predictions read each customer's covariates.

        Returns
        -------
        GammaGammaModel
            ``self``, fitted.

        Raises
        ------
        SchemaError
            When a repeat customer's ``monetary_value`` is not positive (the model is
            for positive spend: remove such customers, or net returns differently).
        ConvergenceError
            When the optimiser does not reach an optimum.

        Warns
        -----
        DataQualityWarning
            When ``|corr(frequency, monetary_value)|`` among repeat customers exceeds
            0.3: the model assumes the two are independent.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmanalytics.value import GammaGammaModel
        >>> s = pd.DataFrame({"frequency": [1, 2, 3, 1, 4, 2, 0],
        ...                   "monetary_value": [20.0, 35.0, 18.0, 50.0, 25.0, 30.0, 0.0]})
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     model = GammaGammaModel(penalizer=0.01).fit(s)
        >>> model.n_customers_, round(model.correlation_, 2)
        (6.0, -0.46)
        >>> str(caught[0].message)[:52]
        'frequency and monetary_value are correlated (Pearson'
        """
        covariates = covariate_names(spend_covariates, "spend_covariates")
        cols, raw = read_covariate_rows(
            summary,
            ["frequency", "monetary_value"],
            covariates,
            grouped=False,
            columns=columns,
            purpose="GammaGammaModel.fit",
        )
        repeat = cols["frequency"] > 0
        x, m = cols["frequency"][repeat], cols["monetary_value"][repeat]
        bad = m <= 0
        if np.any(bad):
            raise SchemaError(
                "customer summary",
                [
                    Problem(
                        "monetary_value",
                        "must be > 0 for customers with frequency > 0 (Gamma-Gamma models "
                        "positive spend)",
                        int(bad.sum()),
                        tuple(m[bad][:5].tolist()),
                        "filter these customers out before fitting, e.g. "
                        "summary[summary.monetary_value > 0]",
                    )
                ],
            )
        if x.size < 2:
            raise ValueError(
                f"GammaGammaModel needs at least 2 customers with frequency > 0, got {x.size}"
            )
        corr = float(np.corrcoef(x, m)[0, 1]) if np.ptp(x) > 0 and np.ptp(m) > 0 else 0.0
        if abs(corr) > CORRELATION_WARNING:
            warnings.warn(
                DataQualityWarning(
                    f"frequency and monetary_value are correlated (Pearson r = {corr:.2f} "
                    f"over {x.size} repeat customers); the Gamma-Gamma model assumes they "
                    "are independent, so expected spend may be biased"
                ),
                stacklevel=2,
            )

        value_and_grad = _ByFrequency(x, m).value_and_grad
        mean, var = float(m.mean()), float(m.var())
        shape = max(mean**2 / var, 0.5) if var > 0 else 1.0
        starts = [np.log([shape, 2.0, mean / shape]), np.zeros(3)]
        result = fit_log_params(
            value_and_grad,
            starts,
            total_weight=float(x.size),
            penalizer=self.penalizer,
            model="Gamma-Gamma",
            advice=_ADVICE,
        )
        state = None
        if covariates:
            state = fit_gamma_gamma_with_covariates(
                (x, m),
                {c: raw[c][repeat] for c in covariates},
                start=result.log_params,
                penalizer=self.penalizer,
                advice=_ADVICE,
            )
        result = self._set_covariates(state) or result
        self._record_fit(result, float(x.size), summary_time_unit(summary, time_unit))
        self.correlation_ = corr
        return self

    def expected_spend(self, summary: Any, *, columns: Mapping[str, str] | None = None) -> Array:
        """Predict each customer's mean spend per purchase, ``p (v + x m) / (p x + q - 1)``.

        Customers with frequency 0 get the population mean ``p v / (q - 1)``.

        Parameters
        ----------
        summary : dataframe
            Columns ``frequency`` and ``monetary_value``.
        columns : mapping of str to str, optional
            Summary name to your column name.

        Returns
        -------
        numpy.ndarray
            One value per summary row.

        Raises
        ------
        ValueError
            When ``q <= 1``: the population mean spend is then infinite.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmanalytics.value import GammaGammaModel, GammaGammaParams
        >>> m = GammaGammaModel.from_params(GammaGammaParams(6.25, 3.74, 15.44))
        >>> s = pd.DataFrame({"frequency": [0, 2], "monetary_value": [0.0, 22.35]})
        >>> m.expected_spend(s).round(2)
        array([35.22, 24.66])
        """
        self.check_fitted()
        cols, raw = read_covariate_rows(
            summary,
            ["frequency", "monetary_value"],
            list(self.covariates_),
            grouped=False,
            columns=columns,
            purpose="GammaGammaModel.expected_spend",
        )
        if self._covariates is None:
            v: float | Array = float(self.param_array()[2])
        else:
            (z_s,) = self._covariate_matrices(raw)
            v = gamma_gamma_row_params(self._covariates.fit.theta, z_s)[2]
        return self._spend(cols["frequency"], cols["monetary_value"], v)

    def _spend(self, x: Array, m: Array, v: float | Array) -> Array:
        p, q, _ = self.param_array()
        if q <= 1:
            raise ValueError(
                f"expected spend is infinite for q <= 1 (q = {q:.3g}); refit with a penalizer"
            )
        m = np.where(x > 0, m, 0.0)
        return np.asarray(p * (v + x * m) / (p * x + q - 1.0), dtype=np.float64)
