"""Maximum likelihood over log-parameters, shared by the value models (internal).

The models hand over a per-row log-likelihood and its analytic gradient with respect
to the log-parameters. The objective is the weighted mean negative log-likelihood
plus ``penalizer * sum(params**2)`` (lifetimes' convention, so fits compare one to
one). Standard errors come from the observed information in log space, turned into
parameter space by the delta method.

A model that also gives the analytic Hessian (``value_grad_hess``) is fitted by
Newton's method with a backtracking line search (the Hessian shifted to be positive
definite where it is not), usually from the optimum of a random subsample
(:func:`subsample_start`): a handful of passes over the data instead of dozens, and
the observed information comes from that Hessian. L-BFGS-B stays the fallback: when
Newton does not converge from any start, the L-BFGS-B path runs as before, with the
same :class:`~crmanalytics.errors.ConvergenceError`. Without a Hessian, the observed
information is a central-difference Jacobian of the analytic gradient.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import minimize
from threadpoolctl import ThreadpoolController

from crmanalytics.errors import ConvergenceError

__all__ = [
    "FitResult",
    "NewtonResult",
    "covariance",
    "fit_log_params",
    "hessian",
    "newton",
    "one_blas_thread",
    "subsample_start",
    "summary_frame",
]

Array = npt.NDArray[np.float64]
#: Weighted total log-likelihood and its gradient w.r.t. the log-parameters.
LogLikGrad = Callable[[Array], tuple[float, Array]]
#: Weighted total log-likelihood, its gradient and Hessian w.r.t. the log-parameters.
LogLikGradHess = Callable[[Array], tuple[float, Array, Array]]

_Z95 = 1.959963984540054
_LOG_BOUND = 30.0
_RIDGE_LOG = 12.0


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


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with one BLAS thread.

    The passes take dot products of a million rows, a fraction of a millisecond each;
    a multi-threaded BLAS on a busy machine spends ten times that waking its threads.
    """
    global _CONTROLLER  # noqa: PLW0603 - one scan of the loaded libraries per process
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    with _CONTROLLER.limit(limits=1, user_api="blas"):
        yield


_CONTROLLER: ThreadpoolController | None = None


@dataclass(frozen=True)
class NewtonResult:
    """Where Newton's method stopped, with the objective's value, gradient and Hessian there.

    The objective is the mean penalised negative log-likelihood (see
    :func:`fit_log_params`); ``converged`` says whether its gradient is below the
    tolerance, inside the parameter bounds.
    """

    x: Array
    value: float
    gradient: Array
    hessian: Array
    iterations: int
    converged: bool


def newton(
    value_grad_hess: LogLikGradHess,
    start: Array,
    *,
    total_weight: float,
    penalizer: float,
    gtol: float = 1e-9,
    max_iter: int = 100,
    quasi: bool = False,
    penalized: npt.NDArray[np.bool_] | None = None,
) -> NewtonResult:
    """Minimise the mean penalised negative log-likelihood by damped Newton steps.

    Each step solves with the Hessian, its eigenvalues raised to at least 1e-8 of the
    largest where it is not positive definite (then the step still goes downhill),
    and halves the step until the objective decreases enough (Armijo). It stops when
    the largest gradient component is below ``gtol``, when no step decreases the
    objective any more (rounding level; ``converged`` then asks the gradient to be
    below 1e-6), when a parameter reaches ``exp(+-30)``, or after ``max_iter`` steps.
    A step whose predicted decrease is below the objective's rounding (1e-15 of its
    size) is not taken: the gradient is then at its rounding level.

    ``penalized`` marks the entries that are log-parameters under the penalty (all of
    them by default; a covariate fit leaves its coefficients out).

    With ``quasi``, only the first Hessian is used (an approximation, e.g. from a fit on
    a subsample) and each accepted step updates it by the BFGS formula, so the
    steps become Newton steps without second derivatives.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._fitting import newton
    >>> def quadratic(lp):  # log-likelihood -(lp - 1)^2 summed, for 10 customers
    ...     return -10 * float(np.sum((lp - 1) ** 2)), -20 * (lp - 1), -20 * np.eye(2)
    >>> res = newton(quadratic, np.zeros(2), total_weight=10.0, penalizer=0.0)
    >>> res.converged, res.x.round(6).tolist()
    (True, [1.0, 1.0])
    """
    on = np.ones(len(start), dtype=bool) if penalized is None else penalized

    def objective(lp: Array) -> tuple[float, Array, Array]:
        loglik, grad, hess = value_grad_hess(lp)
        pen = np.where(on, penalizer * np.exp(2.0 * np.where(on, lp, 0.0)), 0.0)
        value = -loglik / total_weight + float(np.sum(pen))
        gradient = -grad / total_weight + 2.0 * pen
        curvature = -hess / total_weight + np.diag(4.0 * pen)
        return value, gradient, curvature

    x = np.asarray(start, dtype=np.float64).copy()
    value, grad, hess = objective(x)
    iterations = 0
    while np.isfinite(value) and iterations < max_iter:
        if float(np.max(np.abs(grad))) <= gtol:
            return NewtonResult(x, value, grad, hess, iterations, True)
        eigval, eigvec = np.linalg.eigh(0.5 * (hess + hess.T))
        if not np.all(np.isfinite(eigval)):
            break
        floor = 1e-8 * max(float(np.max(np.abs(eigval))), 1e-12)
        step = -eigvec @ ((eigvec.T @ grad) / np.maximum(np.abs(eigval), floor))
        longest = float(np.max(np.abs(step)))
        if longest > 5.0:  # at most a factor e^5 in any parameter per step
            step *= 5.0 / longest
        slope = float(grad @ step)
        if -slope <= 1e-15 * max(1.0, abs(value)):
            small = float(np.max(np.abs(grad))) <= 1e-6
            return NewtonResult(x, value, grad, hess, iterations, small)
        accepted = False
        factor = 1.0
        for _ in range(40):
            trial = np.clip(x + factor * step, -_LOG_BOUND, _LOG_BOUND)
            t_value, t_grad, t_hess = objective(trial)
            if np.isfinite(t_value) and (
                t_value <= value + 1e-4 * factor * slope
                # near the optimum the decrease is below the sum's rounding: then a
                # smaller gradient and no visible increase decide
                or (
                    t_value <= value + 1e-13 * max(1.0, abs(value))
                    and float(np.max(np.abs(t_grad))) < float(np.max(np.abs(grad)))
                )
            ):
                accepted = True
                break
            factor *= 0.5
        if not accepted:
            # no decrease left: the optimum to rounding, or a dead end
            small = float(np.max(np.abs(grad))) <= 1e-6
            return NewtonResult(x, value, grad, hess, iterations, small and np.isfinite(value))
        if quasi:
            t_hess = _bfgs_update(hess, trial - x, t_grad - grad)
        x, value, grad, hess = trial, t_value, t_grad, t_hess
        iterations += 1
        if np.any(np.abs(x) >= _LOG_BOUND - 1e-6):
            break
    inside = bool(np.all(np.abs(x) < _LOG_BOUND - 1e-6))
    ok = bool(np.isfinite(value) and inside and float(np.max(np.abs(grad))) <= gtol)
    return NewtonResult(x, value, grad, hess, iterations, ok)


def _bfgs_update(hess: Array, s: Array, y: Array) -> Array:
    """BFGS update of a Hessian approximation: the step ``s`` changed the gradient by ``y``."""
    ys = float(y @ s)
    hs = hess @ s
    shs = float(s @ hs)
    if ys <= 1e-12 * float(np.linalg.norm(y) * np.linalg.norm(s)) or shs <= 0:
        return hess  # no curvature information (or not positive): keep the old one
    return np.asarray(hess - np.outer(hs, hs) / shs + np.outer(y, y) / ys, dtype=np.float64)


def subsample_start(
    value_grad_hess: LogLikGradHess | None,
    total_weight: float,
    starts: Sequence[Array],
    *,
    penalizer: float,
) -> list[Array]:
    """The starts, led by the Newton optimum on a subsample when it converges.

    ``value_grad_hess`` is the log-likelihood of a random subsample (None when the data
    are small) whose weights sum to ``total_weight``; on a large sample its optimum is
    within sampling error of the full one, so Newton on the full data then needs two
    or three passes.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._fitting import subsample_start
    >>> def quadratic(lp):
    ...     return -float(np.sum((lp - 1) ** 2)), -2 * (lp - 1), -2 * np.eye(2)
    >>> [s.round(6).tolist() for s in subsample_start(quadratic, 1.0, [np.zeros(2)],
    ...                                                penalizer=0.0)]
    [[1.0, 1.0], [0.0, 0.0]]
    """
    if value_grad_hess is None:
        return list(starts)
    for start in starts:
        res = newton(
            value_grad_hess, start, total_weight=total_weight, penalizer=penalizer, gtol=1e-6
        )
        if res.converged:
            return [res.x, *starts]
    return list(starts)


def fit_log_params(
    value_and_grad: LogLikGrad,
    starts: Sequence[Array],
    *,
    total_weight: float,
    penalizer: float,
    model: str,
    advice: str,
    value_grad_hess: LogLikGradHess | None = None,
    curvature: Array | None = None,
) -> FitResult:
    """Maximise a log-likelihood over log-parameters (Newton, else L-BFGS-B).

    ``value_and_grad(log_params)`` returns the weighted total log-likelihood and its
    gradient. With ``value_grad_hess`` (the same plus the Hessian), Newton's method
    (:func:`newton`) runs from each start in turn and the first that converges to a
    point with a positive definite observed information is the fit. Without it, a
    ``curvature`` (an approximation of the mean objective's Hessian, e.g. from a fit on
    a subsample) drives Newton steps from the first start, with the observed
    information then taken by differences. Otherwise, or when Newton fails,
    L-BFGS-B tries the starts in order until one converges.

    Raises
    ------
    ConvergenceError
        When no start reaches a finite optimum with a small gradient, a parameter
        runs off towards 0 or infinity (``exp(+-30)``), or the optimum is flat (the
        observed information is not positive definite); the message carries ``advice``.
    """
    if penalizer < 0 or not np.isfinite(penalizer):
        raise ValueError(f"penalizer must be a finite number >= 0, got {penalizer}")
    with one_blas_thread():
        if value_grad_hess is not None:
            for start in starts:
                res = newton(value_grad_hess, start, total_weight=total_weight, penalizer=penalizer)
                cov = covariance(-total_weight * res.hessian) if _identified(res) else None
                if cov is not None:
                    penalty = penalizer * float(np.sum(np.exp(2.0 * res.x)))
                    return FitResult(
                        log_params=res.x,
                        log_likelihood=-total_weight * (res.value - penalty),
                        log_covariance=cov,
                        iterations=res.iterations,
                    )
        if value_grad_hess is None and curvature is not None and len(starts):
            fixed = _fixed_curvature_fit(
                value_and_grad,
                starts[0],
                curvature,
                total_weight=total_weight,
                penalizer=penalizer,
            )
            if fixed is not None:
                return fixed
        return _fit_lbfgsb(
            value_and_grad,
            starts,
            total_weight=total_weight,
            penalizer=penalizer,
            model=model,
            advice=advice,
        )


def _fixed_curvature_fit(
    value_and_grad: LogLikGrad,
    start: Array,
    curvature: Array,
    *,
    total_weight: float,
    penalizer: float,
) -> FitResult | None:
    """Quasi-Newton steps from an approximate Hessian; None when they do not converge.

    The approximation (e.g. a subsample's observed information) is updated by BFGS
    along the way; the observed information at the optimum is then the
    central-difference Jacobian of the analytic gradient, as on the L-BFGS-B path.
    """
    # newton adds the penalty's curvature to this again: an approximation either way,
    # and only the first one is used (quasi=True)
    fixed = -total_weight * np.asarray(curvature, dtype=np.float64)

    def with_fixed(lp: Array) -> tuple[float, Array, Array]:
        value, grad = value_and_grad(lp)
        return value, grad, fixed

    res = newton(with_fixed, start, total_weight=total_weight, penalizer=penalizer, quasi=True)
    if not res.converged:
        return None

    hess = _observed_information(value_and_grad, res.x, total_weight, penalizer)
    at_optimum = NewtonResult(res.x, res.value, res.gradient, -hess / total_weight, 0, True)
    cov = covariance(hess) if _identified(at_optimum) else None
    if cov is None:
        return None
    penalty = penalizer * float(np.sum(np.exp(2.0 * res.x)))
    return FitResult(
        log_params=res.x,
        log_likelihood=-total_weight * (res.value - penalty),
        log_covariance=cov,
        iterations=res.iterations,
    )


def _observed_information(
    value_and_grad: LogLikGrad, at: Array, total_weight: float, penalizer: float
) -> Array:
    """Hessian of the penalised total log-likelihood at ``at``, by central differences."""

    def penalized_total_grad(lp: Array) -> Array:
        return value_and_grad(lp)[1] - total_weight * 2.0 * penalizer * np.exp(lp) ** 2

    return hessian(penalized_total_grad, at)


def _identified(res: NewtonResult) -> bool:
    """Newton converged where the curvature is clearly positive in every direction.

    A condition number above 1e6 means a ridge (parameters running off together): the
    fit is then left to the L-BFGS-B path and its checks, exactly as before Newton. So is
    an optimum with a parameter beyond ``exp(+-12)``: on a ridge that flattens out (BG/NBD
    ``a`` and ``b`` growing together when nothing shows dropout) the gradient falls below
    the tolerance long before the curvature looks singular, and where Newton stops on it
    depends on the rows' order; L-BFGS-B then runs to its bounds and says so.
    """
    if not res.converged or not np.all(np.isfinite(res.hessian)):
        return False
    if np.any(np.abs(res.x) > _RIDGE_LOG):
        return False
    eig = np.linalg.eigvalsh(0.5 * (res.hessian + res.hessian.T))
    return bool(eig[0] > 1e-6 * max(float(eig[-1]), 1e-300))


def _on_a_ridge(log_params: Array, hess: Array) -> bool:
    """A parameter beyond ``exp(+-12)`` where the curvature is nearly singular.

    The likelihood then keeps rising, ever more slowly, as parameters run off together
    (BG/NBD ``a`` and ``b`` when nothing in the data shows dropout): the optimiser stops
    somewhere on the ridge, at a point that depends on the rows' order, and no estimate
    there means anything.
    """
    if not np.any(np.abs(log_params) > _RIDGE_LOG):
        return False
    eig = np.linalg.eigvalsh(-0.5 * (hess + hess.T))
    return bool(eig[0] <= 1e-6 * max(float(eig[-1]), 1e-300))


def covariance(hess: Array) -> Array | None:
    """``inv(-hess)`` when ``-hess`` is positive definite and finite, else None.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._fitting import covariance
    >>> covariance(-np.diag([4.0, 1.0])).tolist(), covariance(np.eye(2))
    ([[0.25, 0.0], [0.0, 1.0]], None)
    """
    if not np.all(np.isfinite(hess)):
        return None
    sym = 0.5 * (hess + hess.T)
    if np.any(np.linalg.eigvalsh(-sym) <= 0):
        return None
    try:
        cov = np.linalg.inv(-sym)
    except np.linalg.LinAlgError:
        return None
    return np.asarray(cov, dtype=np.float64) if np.all(np.isfinite(cov)) else None


def _fit_lbfgsb(
    value_and_grad: LogLikGrad,
    starts: Sequence[Array],
    *,
    total_weight: float,
    penalizer: float,
    model: str,
    advice: str,
) -> FitResult:
    """The L-BFGS-B path of :func:`fit_log_params` (observed information by differences)."""

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

    hess = _observed_information(value_and_grad, best.x, total_weight, penalizer)
    cov = covariance(hess)
    if cov is None or _on_a_ridge(best.x, hess):
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
