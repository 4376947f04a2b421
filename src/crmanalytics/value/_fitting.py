"""Maximum likelihood over log-parameters, shared by the value models (internal).

The models hand over a per-row log-likelihood and its analytic gradient with respect
to the log-parameters. The objective is the weighted mean negative log-likelihood
plus ``penalizer * sum(params**2)`` (lifetimes' convention, so fits compare one to
one). Standard errors come from the observed information: a central-difference
Jacobian of the analytic gradient of the *total* log-likelihood, in log space, turned
into parameter space by the delta method.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import minimize

from crmanalytics.errors import ConvergenceError

__all__ = ["FitResult", "fit_log_params", "hessian", "summary_frame"]

Array = npt.NDArray[np.float64]
#: Weighted total log-likelihood and its gradient w.r.t. the log-parameters.
LogLikGrad = Callable[[Array], tuple[float, Array]]

_Z95 = 1.959963984540054
_LOG_BOUND = 30.0


@dataclass(frozen=True)
class FitResult:
    """Outcome of a fit: log-parameters, total log-likelihood and log-space covariance."""

    log_params: Array
    log_likelihood: float
    log_covariance: Array
    iterations: int


def hessian(grad: Callable[[Array], Array], at: Array) -> Array:
    """Symmetric central-difference Jacobian of an analytic gradient (the observed Hessian)."""
    k = at.size
    hess = np.empty((k, k))
    for i in range(k):
        step = 1e-5 * max(1.0, abs(at[i]))
        up, down = at.copy(), at.copy()
        up[i] += step
        down[i] -= step
        hess[:, i] = (grad(up) - grad(down)) / (2 * step)
    return np.asarray(0.5 * (hess + hess.T), dtype=np.float64)


def fit_log_params(
    value_and_grad: LogLikGrad,
    starts: Sequence[Array],
    *,
    total_weight: float,
    penalizer: float,
    model: str,
    advice: str,
) -> FitResult:
    """Maximise a log-likelihood over log-parameters with L-BFGS-B.

    ``value_and_grad(log_params)`` returns the weighted total log-likelihood and its
    gradient. The starts are tried in order until one converges.

    Raises
    ------
    ConvergenceError
        When no start reaches a finite optimum with a small gradient, a parameter
        runs off towards 0 or infinity (``exp(+-30)``), or the optimum is flat (the
        observed information is not positive definite); the message carries ``advice``.
    """
    if penalizer < 0 or not np.isfinite(penalizer):
        raise ValueError(f"penalizer must be a finite number >= 0, got {penalizer}")

    def objective(lp: Array) -> tuple[float, Array]:
        params = np.exp(lp)
        loglik, grad = value_and_grad(lp)
        value = -loglik / total_weight + penalizer * float(np.sum(params**2))
        gradient = -grad / total_weight + 2.0 * penalizer * params**2
        if not np.isfinite(value):
            return float("inf"), np.zeros_like(lp)
        return value, gradient

    best = None
    messages = []
    for start in starts:
        res = minimize(
            objective,
            np.asarray(start, dtype=np.float64),
            jac=True,
            method="L-BFGS-B",
            bounds=[(-_LOG_BOUND, _LOG_BOUND)] * len(start),
            options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-9},
        )
        messages.append(str(res.message))
        if not np.isfinite(res.fun):
            continue
        if best is None or res.fun < best.fun:
            best = res
        if res.success and float(np.max(np.abs(res.jac))) <= 1e-3:
            break
    if best is None:
        raise ConvergenceError(
            f"{model} fit failed: the log-likelihood is not finite at any starting point "
            f"({'; '.join(messages)}). {advice}"
        )
    at_bound = np.abs(best.x) >= _LOG_BOUND - 1e-6
    grad_norm = float(np.max(np.abs(objective(best.x)[1])))
    if np.any(at_bound) or grad_norm > 1e-3:
        raise ConvergenceError(
            f"{model} fit did not converge ({best.message}; largest gradient {grad_norm:.2g}; "
            f"parameters {np.exp(best.x).round(6).tolist()}). {advice}"
        )

    def penalized_total_grad(lp: Array) -> Array:
        return value_and_grad(lp)[1] - total_weight * 2.0 * penalizer * np.exp(lp) ** 2

    hess = hessian(penalized_total_grad, best.x)
    try:
        cov = np.linalg.inv(-hess)
    except np.linalg.LinAlgError:
        cov = np.full_like(hess, np.nan)
    if not np.all(np.isfinite(cov)) or np.any(np.linalg.eigvalsh(-hess) <= 0):
        raise ConvergenceError(
            f"{model} fit stopped at parameters {np.exp(best.x).round(6).tolist()} where the "
            "log-likelihood is flat in some direction: the data do not identify all "
            f"parameters, so estimates and standard errors would be meaningless. {advice}"
        )
    return FitResult(
        log_params=np.asarray(best.x, dtype=np.float64),
        log_likelihood=float(value_and_grad(best.x)[0]),
        log_covariance=np.asarray(cov, dtype=np.float64),
        iterations=int(best.nit),
    )


def summary_frame(names: Sequence[str], result: FitResult) -> pd.DataFrame:
    """Estimates, standard errors and 95% intervals, one row per parameter."""
    est = np.exp(result.log_params)
    se_log = np.sqrt(np.diag(result.log_covariance))
    # a barely identified parameter (tiny data) has a huge log-scale error: its upper
    # bound is honestly infinite rather than an overflow warning
    with np.errstate(over="ignore"):
        upper = np.exp(result.log_params + _Z95 * se_log)
        std_error = est * se_log
    return pd.DataFrame(
        {
            "estimate": est,
            "std_error": std_error,
            "estimate_low": np.exp(result.log_params - _Z95 * se_log),
            "estimate_high": upper,
        },
        index=pd.Index(list(names), name="parameter"),
    )
