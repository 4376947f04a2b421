"""The Pareto/NBD model of repeat purchasing (Schmittlein, Morrison & Colombo 1987).

While alive, a customer buys at a Poisson rate ``lambda`` and drops out after an
exponential lifetime of rate ``mu``, unobserved. Across customers
``lambda ~ Gamma(r, alpha)`` and ``mu ~ Gamma(s, beta)``. Fitting needs each
customer's ``frequency``, ``recency`` and ``T`` from
:func:`~crmanalytics.value.customer_summary`.

Examples
--------
>>> from crmanalytics.datasets import load_cdnow
>>> from crmanalytics.value import ParetoNBDModel, customer_summary
>>> summary = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
>>> model = ParetoNBDModel().fit(summary)
>>> [round(v, 3) for v in model.params_], round(model.log_likelihood_, 1)
([0.553, 10.578, 0.606, 11.669], -9595.0)
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

import numpy as np

from crmanalytics.value import _pareto_nbd_math
from crmanalytics.value._continuous import Array, ContinuousPurchaseModel

__all__ = ["ParetoNBDModel", "ParetoNBDParams"]


class ParetoNBDParams(NamedTuple):
    """Pareto/NBD parameters: purchase rates Gamma(r, alpha), dropout rates Gamma(s, beta).

    Examples
    --------
    >>> from crmanalytics.value import ParetoNBDParams
    >>> ParetoNBDParams(r=0.553, alpha=10.578, s=0.606, beta=11.669).s
    0.606
    """

    r: float
    alpha: float
    s: float
    beta: float


class ParetoNBDModel(ContinuousPurchaseModel):
    """Pareto/NBD model: purchases at a Poisson rate until an unobserved dropout.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty ``penalizer * (r**2 + alpha**2 + s**2 + beta**2)`` added to the mean
        negative log-likelihood, as in lifetimes.

    Attributes
    ----------
    params_ : ParetoNBDParams
        Maximum likelihood estimates.
    log_likelihood_ : float
        Log-likelihood at the estimates (without the penalty).
    n_customers_ : float
        Number of customers (sum of weights) fitted.

    Notes
    -----
    The likelihood needs the Gauss hypergeometric function ``2F1`` with parameters
    that grow with the frequency, where a direct evaluation fails (lifetimes returns
    NaN or infinite values there). Here it is rewritten with Euler's transformation as
    ``2F1(1, m; m+n; z)``, a mean of ``1/(1-zV)`` over a beta variable: a sum of
    positive terms that stays between 1 and ``1/(1-z)``, whatever the frequency. The
    same series gives the analytic gradient; the fit runs on the distinct
    ``(frequency, recency, T)`` rows with their counts, sorted by frequency, so that
    within each frequency the series is one polynomial in ``z`` (Horner's rule for the
    function and its three derivatives together). Above 40,000 rows it starts from the
    fit of a 20,000-row random subsample and takes Newton steps with that fit's
    curvature (a few passes), else L-BFGS-B. The tests check the
    log-likelihood against mpmath at 150 digits for frequency and T up to 10,000.
    The series needs about ``40 / (1 - z)`` terms with ``z = |alpha - beta| /
    (max(alpha, beta) + t)``; only when ``min(alpha, beta) / max(alpha, beta)`` is
    below about 1e-3 (and for small ``t``) does it stop at 20,000 terms and estimate
    the remainder, to about three significant digits.

    References
    ----------
    Schmittlein, D. C., Morrison, D. G. and Colombo, R. (1987). "Counting your
    customers: who are they and what will they do next?" *Management Science* 33(1).
    Fader, P. S. and Hardie, B. G. S. (2005). "A note on deriving the Pareto/NBD model
    and related expressions." http://brucehardie.com/notes/009/

    Examples
    --------
    >>> from crmanalytics.datasets import load_cdnow
    >>> from crmanalytics.value import ParetoNBDModel, customer_summary
    >>> summary = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
    >>> model = ParetoNBDModel().fit(summary)
    >>> model.probability_alive(summary.head(3)).round(3)
    array([0.869, 0.168, 0.295])
    """

    params_type = ParetoNBDParams
    model_name = "Pareto/NBD"
    _kernel: ClassVar[Any] = _pareto_nbd_math
    _covariate_kind = "pareto_nbd"
    _advice = (
        "Try a small penalizer (ParetoNBDModel(penalizer=0.001)), or a coarser time unit "
        "(customer_summary(..., time_unit='W')) so that alpha and beta are not tiny or "
        "huge; check that the summary has repeat buyers and that T covers a fair "
        "observation period."
    )

    def _starts(self, mean_x: float, mean_t: float) -> list[Array]:
        return [np.log([1.0, mean_t / mean_x, 1.0, mean_t]), np.zeros(4)]
