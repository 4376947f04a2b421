"""The BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005).

While alive, a customer buys at a Poisson rate ``lambda``; after each purchase they
drop out for good with probability ``p``. Across customers ``lambda ~ Gamma(r, alpha)``
and ``p ~ Beta(a, b)``. Fitting needs only each customer's ``frequency`` (repeat
purchases), ``recency`` and ``T`` from :func:`~crmanalytics.value.customer_summary`.

Examples
--------
>>> from crmanalytics.datasets import load_cdnow
>>> from crmanalytics.value import BetaGeoModel, customer_summary
>>> summary = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
>>> model = BetaGeoModel().fit(summary)
>>> [round(v, 3) for v in model.params_]
[0.243, 4.414, 0.793, 2.426]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, ClassVar, NamedTuple, Self

import numpy as np
import numpy.typing as npt
import pandas as pd

from crmanalytics._frames import TimeUnit
from crmanalytics.value import _bgnbd_math as kernel
from crmanalytics.value._base import summary_time_unit
from crmanalytics.value._continuous import ContinuousPurchaseModel, fit_rows
from crmanalytics.value._fitting import fit_log_params, one_blas_thread, subsample_start
from crmanalytics.value._inputs import Columns
from crmanalytics.value._with_covariates import covariate_names

__all__ = ["BetaGeoModel", "BetaGeoParams"]

Array = npt.NDArray[np.float64]
_BTYD = ("frequency", "recency", "T")
#: Rows of the random subsample whose optimum starts the fit on larger data.
_SUBSAMPLE = 20_000
_ADVICE = (
    "Try a small penalizer (BetaGeoModel(penalizer=0.001)), or a coarser time unit "
    "(customer_summary(..., time_unit='W')) so that alpha is not tiny or huge; check "
    "that the summary has repeat buyers and that T covers a fair observation period."
)


class BetaGeoParams(NamedTuple):
    """BG/NBD parameters: purchase rates Gamma(r, alpha), dropout Beta(a, b).

    Examples
    --------
    >>> from crmanalytics.value import BetaGeoParams
    >>> BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426).alpha
    4.414
    """

    r: float
    alpha: float
    a: float
    b: float


class BetaGeoModel(ContinuousPurchaseModel):
    """BG/NBD model: who is still buying, and how much will they buy.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty ``penalizer * (r**2 + alpha**2 + a**2 + b**2)`` added to the mean
        negative log-likelihood, as in lifetimes; a small value (0.001 to 0.1) helps
        when the fit does not converge.

    Attributes
    ----------
    params_ : BetaGeoParams
        Maximum likelihood estimates.
    log_likelihood_ : float
        Log-likelihood at the estimates (without the penalty).
    n_customers_ : float
        Number of customers (sum of weights) fitted.

    Notes
    -----
    A lazy summary (Polars lazy, DuckDB, PySpark) is reduced to its distinct
    ``(frequency, recency, T)`` rows with their counts by a group-by inside the
    caller's engine, and only those rows are collected; an eager one is fitted row by
    row (a pass costs less than the group-by). The likelihood is evaluated in log
    space (Fader & Hardie 2013) and maximised over log-parameters by Newton's method
    with the analytic gradient and Hessian, computed together in one pass, starting
    from the optimum of a 20,000-row random subsample when there are more than 40,000
    rows; L-BFGS-B takes over if Newton does not converge. Standard errors come from
    the analytic observed information. Predictions take a summary in the same time
    unit as the one fitted.

    The predictions are the paper's: ``expected_purchases`` is equation (10) (its
    hypergeometric factor once per distinct ``(frequency, T)`` pair),
    ``expected_purchases_new_customer`` equation (9), ``probability_of_purchases``
    for a new customer (``frequency = recency = T = 0``) equation (8) (lifetimes'
    ``probability_of_n_purchases_up_to_time``), and ``probability_alive`` is
    ``1 / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))``: customers with no
    repeat purchase are alive with probability 1 under the BG/NBD assumptions.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting your customers the
    easy way: an alternative to the Pareto/NBD model". *Marketing Science* 24(2).

    Examples
    --------
    >>> from crmanalytics.datasets import load_cdnow
    >>> from crmanalytics.value import BetaGeoModel, customer_summary
    >>> summary = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
    >>> model = BetaGeoModel().fit(summary)
    >>> model.probability_alive(summary.head(3)).round(3)
    array([0.727, 0.212, 1.   ])
    >>> model.expected_purchases(summary.head(3), t=39).round(3)
    array([1.226, 0.203, 0.195])
    """

    params_type = BetaGeoParams
    model_name = "BG/NBD"
    _covariate_kind = "bgnbd"
    _advice = _ADVICE
    _kernel: ClassVar[Any] = kernel

    def fit(
        self,
        summary: Any,
        *,
        weights: str | None = None,
        time_unit: TimeUnit | None = None,
        columns: Mapping[str, str] | None = None,
        purchase_covariates: Sequence[str] | None = None,
        dropout_covariates: Sequence[str] | None = None,
    ) -> Self:
        """Estimate ``(r, alpha, a, b)`` by maximum likelihood, optionally with covariates.

        Parameters
        ----------
        summary : dataframe
            Columns ``frequency``, ``recency`` and ``T`` (any backend).
        weights : str, optional
            Name of a column counting how many customers each row stands for (for a
            summary that is already aggregated). By default each row is one customer.
        time_unit : {"D", "W"}, optional
            The summary's time unit. A pandas summary from
            :func:`~crmanalytics.value.customer_summary` carries it; give it for
            other backends so calendar horizons convert (``time_unit_``).
        columns : mapping of str to str, optional
            Summary name to your column name, e.g. ``{"frequency": "x"}``.
        purchase_covariates, dropout_covariates : sequence of str, optional
            Time-invariant customer covariates: columns of the summary (numeric, or
            text/categorical/boolean, one-hot encoded against their first level; see
            :func:`~crmanalytics.value.add_customer_attributes`). In CLVTools'
            parameterisation, ``alpha_i = alpha exp(-g_p' z)`` (a positive purchase
            coefficient means more purchases) and ``a_i = a exp(g_d' z)``,
            ``b_i = b exp(g_d' z)``. ``params_`` are then the values for a customer
            with every covariate at 0 (or its reference level); the effects are in
            ``coefficients_``, and predictions read each customer's covariates from the
            summary passed in.

        Returns
        -------
        BetaGeoModel
            ``self``, fitted.

        Raises
        ------
        SchemaError
            When a column is missing or breaks a rule (negative or fractional
            frequency, recency above T, recency non-zero with frequency 0).
        ConvergenceError
            When the optimiser does not reach an optimum; the message says what to try.

        Examples
        --------
        A summary that is already aggregated to distinct rows with counts gives the
        same fit as the per-customer summary:

        >>> from crmanalytics.datasets import load_cdnow
        >>> from crmanalytics.value import BetaGeoModel, customer_summary
        >>> s = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
        >>> rows = s.groupby(["frequency", "recency", "T"], as_index=False).size()
        >>> len(rows)
        1016
        >>> model = BetaGeoModel().fit(rows, weights="size")
        >>> model.n_customers_, [round(v, 3) for v in model.params_]
        (2357.0, [0.243, 4.414, 0.793, 2.426])
        """
        cols = fit_rows(summary, weights, columns=columns, purpose="BetaGeoModel.fit")
        x, t_x, T, w = cols["frequency"], cols["recency"], cols["T"], cols["_weight"]
        keep = w > 0
        if not np.all(keep):
            x, t_x, T, w = x[keep], t_x[keep], T[keep], w[keep]
        total = float(w.sum())
        if total <= 0:
            raise ValueError("cannot fit BetaGeoModel on an empty summary")
        if not np.any(x > 0):
            raise ValueError(
                "cannot fit BetaGeoModel: no customer has a repeat purchase (frequency is 0 "
                "everywhere), so purchase rates and dropout are not identified; use a longer "
                "observation period"
            )

        rows = kernel.Rows.build(x, t_x, T, w)

        def value_and_grad(lp: Array) -> tuple[float, Array]:
            return kernel.value_and_gradient_rows(lp, rows)

        def value_grad_hess(lp: Array) -> tuple[float, Array, Array]:
            return kernel.derivatives(lp, rows)

        mean_x = max(float(np.dot(w, x)) / total, 1e-3)
        mean_t = max(float(np.dot(w, T)) / total, 1e-3)
        starts = [
            np.log([1.0, mean_t / mean_x, 1.0, 3.0]),
            np.zeros(4),
        ]
        sample = rows.subsample(_SUBSAMPLE)
        with one_blas_thread():
            starts = subsample_start(
                None if sample is None else partial(kernel.derivatives, rows=sample),
                1.0 if sample is None else sample.total,
                starts,
                penalizer=self.penalizer,
            )
        result = fit_log_params(
            value_and_grad,
            starts,
            total_weight=total,
            penalizer=self.penalizer,
            model="BG/NBD",
            advice=_ADVICE,
            value_grad_hess=value_grad_hess,
        )
        purchase = covariate_names(purchase_covariates, "purchase_covariates")
        dropout = covariate_names(dropout_covariates, "dropout_covariates")
        if purchase or dropout:
            result = self._fit_covariates(summary, result, weights, (purchase, dropout), columns)
        else:
            self._set_covariates(None)
        self._record_fit(result, total, summary_time_unit(summary, time_unit))
        return self

    def _expected_by_horizon(self, params: Any, cols: Columns, horizons: Array) -> Array:
        """Equation (10) at every horizon, with what does not depend on it computed once."""
        if self.covariates_:  # per-customer parameters
            return super()._expected_by_horizon(params, cols, horizons)
        return _expected_purchases_by_pairs(
            params, cols["frequency"], cols["recency"], cols["T"], horizons
        )


def _expected_purchases_by_pairs(
    params: Array, x: Array, t_x: Array, T: Array, horizons: Array
) -> Array:
    """Equation (10) at each horizon, its hypergeometric factor once per ``(x, T)`` pair.

    The same as :func:`~crmanalytics.value._bgnbd_math.conditional_expected_purchases`
    at each horizon (one column per horizon). Equation (10) is ``lead(x) * (1 - G(x,
    T, t)) * P(alive | x, t_x, T)``: the costly factor does not depend on ``t_x``, and
    summaries have far fewer distinct ``(frequency, T)`` pairs than customers; the
    pairs and ``lead * P(alive)`` are found once for all horizons. The same
    operations run on the same values, so the result is identical to the direct
    evaluation.
    """
    x_codes, x_levels = pd.factorize(x)
    t_codes, t_levels = pd.factorize(T)
    pairs, pair_levels = pd.factorize(x_codes.astype(np.int64) * len(t_levels) + t_codes)
    pair_x = x_levels[pair_levels // len(t_levels)]
    pair_t = t_levels[pair_levels % len(t_levels)]
    _, _, a, b = params
    lead = (a + b + x - 1.0) / (a - 1.0)
    alive = kernel.probability_alive(params, x, t_x, T)
    out = np.empty((x.size, horizons.size), dtype=np.float64)
    for j, t in enumerate(horizons):
        g = kernel.one_minus_g(params, pair_x, pair_t, float(t))[pairs]
        out[:, j] = lead * g * alive
    return out
