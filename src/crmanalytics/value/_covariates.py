"""Time-invariant customer covariates in the purchase and spend models (internal).

The parameterisation is CLVTools' (Fader & Hardie 2007, "Incorporating time-invariant
covariates into the Pareto/NBD and BG/NBD models"): each process scales its population
parameter by ``exp(gamma' z)`` for customer covariates ``z``.

* BG/NBD: ``alpha_i = alpha_0 exp(-gamma_p' z)`` (purchase process: a positive
  coefficient means more purchases), ``a_i = a_0 exp(gamma_d' z)`` and
  ``b_i = b_0 exp(gamma_d' z)`` (dropout process, one coefficient per covariate).
* Pareto/NBD: ``alpha_i = alpha_0 exp(-gamma_p' z)``, ``beta_i = beta_0 exp(-gamma_d' z)``
  (a positive dropout coefficient means a shorter lifetime).
* Gamma-Gamma: ``v_i = v_0 exp(gamma_s' z)`` (a positive coefficient means higher
  expected spend per purchase, which is proportional to ``v``).

With every coefficient at zero each model is the model without covariates. The kernels
here give per-row log-likelihoods and their analytic gradients with respect to the
per-row log-parameters, which the chain rule turns into gradients for the population
parameters and the coefficients.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

from crmanalytics.errors import ConvergenceError, Problem, SchemaError
from crmanalytics.value._bgnbd_second_order import SecondOrder, bgnbd_second_order
from crmanalytics.value._fitting import (
    NewtonResult,
    covariance,
    hessian,
    newton,
    one_blas_thread,
)

__all__ = [
    "PURCHASE_OBJECTIVES",
    "PURCHASE_ROW_PARAMS",
    "PURCHASE_SECOND_ORDER",
    "CovariateDesign",
    "CovariateFit",
    "CovariateState",
    "bgnbd_objective",
    "bgnbd_row_params",
    "coefficient_frame",
    "fit_gamma_gamma_with_covariates",
    "fit_purchase_with_covariates",
    "fit_with_covariates",
    "gamma_gamma_objective",
    "gamma_gamma_row_params",
    "gamma_gamma_rows",
    "pareto_nbd_objective",
    "pareto_nbd_row_params",
    "split_theta",
]

Array = npt.NDArray[np.float64]
_LOG_BOUND = 30.0
_COEF_BOUND = 25.0
_Z95 = 1.959963984540054


@dataclass(frozen=True)
class _Encoding:
    column: str
    levels: tuple[object, ...] | None  # None: numeric; else the category levels, reference first


@dataclass(frozen=True)
class CovariateDesign:
    """How covariate columns become a numeric design matrix.

    Numeric columns enter as they are; text, categorical and boolean columns are one-hot
    encoded against their first level (sorted), which is the reference and gets no
    coefficient. A level seen at prediction time but not at fit time is an error.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._covariates import CovariateDesign
    >>> design = CovariateDesign.learn({"channel": np.array(["web", "store", "web"]),
    ...                                 "age": np.array([30.0, 40.0, 50.0])})
    >>> design.names
    ('channel[web]', 'age')
    >>> design.matrix({"channel": np.array(["store"]), "age": np.array([20.0])})
    array([[ 0., 20.]])
    """

    encodings: tuple[_Encoding, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        """Source columns, in order."""
        return tuple(e.column for e in self.encodings)

    @property
    def names(self) -> tuple[str, ...]:
        """Design column names: the column itself, or ``column[level]`` per non-reference level."""
        out: list[str] = []
        for enc in self.encodings:
            if enc.levels is None:
                out.append(enc.column)
            else:
                out.extend(f"{enc.column}[{level}]" for level in enc.levels[1:])
        return tuple(out)

    @classmethod
    def learn(cls, data: Mapping[str, npt.NDArray[Any]]) -> CovariateDesign:
        """Learn the encoding of each column from the fitting data."""
        encodings: list[_Encoding] = []
        problems: list[Problem] = []
        for column, values in data.items():
            array = np.asarray(values)
            if _is_numeric(array):
                numeric = array.astype(np.float64)
                bad = ~np.isfinite(numeric)
                if np.any(bad):
                    problems.append(_bad_values(column, numeric, bad))
                encodings.append(_Encoding(column, None))
                continue
            missing = pd.isna(array)
            if np.any(missing):
                problems.append(
                    Problem(
                        column,
                        "covariate must not be missing",
                        int(missing.sum()),
                        (),
                        "fill in the missing values (e.g. an 'unknown' level) before fitting",
                    )
                )
                continue
            levels = tuple(sorted(pd.unique(array).tolist(), key=str))
            if len(levels) < 2:
                problems.append(
                    Problem(
                        column,
                        f"covariate has a single level ({levels[0]!r}), so it has no effect "
                        "to estimate",
                        len(array),
                        levels,
                        "leave it out of the covariates",
                    )
                )
                continue
            encodings.append(_Encoding(column, levels))
        if problems:
            raise SchemaError("customer summary", problems)
        return cls(tuple(encodings))

    def matrix(self, data: Mapping[str, npt.NDArray[Any]]) -> Array:
        """The design matrix (rows x ``len(names)``) of the given covariate values."""
        blocks: list[Array] = []
        n = len(next(iter(data.values()))) if data else 0
        for enc in self.encodings:
            array = np.asarray(data[enc.column])
            if enc.levels is None:
                numeric = np.asarray(array, dtype=np.float64)
                bad = ~np.isfinite(numeric)
                if np.any(bad):
                    raise SchemaError("customer summary", [_bad_values(enc.column, numeric, bad)])
                blocks.append(numeric.reshape(-1, 1))
                continue
            known = pd.Index(enc.levels)
            codes = known.get_indexer(pd.Index(array))
            unseen = codes < 0
            if np.any(unseen):
                raise SchemaError(
                    "customer summary",
                    [
                        Problem(
                            enc.column,
                            "has levels the model was not fitted on",
                            int(unseen.sum()),
                            tuple(pd.unique(array[unseen]).tolist()[:5]),
                            f"use only the fitted levels {list(enc.levels)}",
                        )
                    ],
                )
            onehot = np.zeros((n, len(enc.levels) - 1), dtype=np.float64)
            rows = np.nonzero(codes > 0)[0]
            onehot[rows, codes[rows] - 1] = 1.0
            blocks.append(onehot)
        if not blocks:
            return np.zeros((n, 0), dtype=np.float64)
        return np.hstack(blocks)

    def to_state(self) -> list[dict[str, object]]:
        """A JSON-ready description (for saved models)."""
        return [
            {"column": e.column, "levels": None if e.levels is None else list(e.levels)}
            for e in self.encodings
        ]

    @classmethod
    def from_state(cls, state: Sequence[Mapping[str, object]]) -> CovariateDesign:
        """Rebuild a design saved with :meth:`to_state`."""
        encodings = []
        for item in state:
            levels = item.get("levels")
            encodings.append(
                _Encoding(str(item["column"]), None if levels is None else tuple(levels))  # type: ignore[arg-type]
            )
        return cls(tuple(encodings))


def _is_numeric(array: npt.NDArray[Any]) -> bool:
    return array.dtype.kind in "iuf"


def _bad_values(column: str, values: Array, bad: npt.NDArray[np.bool_]) -> Problem:
    return Problem(
        column,
        "covariate must be a finite number",
        int(bad.sum()),
        tuple(values[bad][:5].tolist()),
        "fill in or remove these customers before fitting",
    )


# --------------------------------------------------------------------------------------
# per-row kernels: log-likelihood and gradient w.r.t. per-row log-parameters
# --------------------------------------------------------------------------------------


def gamma_gamma_rows(
    p: float, q: float, v: Array, x: Array, m: Array
) -> tuple[Array, Array, Array, Array]:
    """Gamma-Gamma log-likelihood per repeat customer with per-row ``v``.

    Returns the log-likelihood of the mean spend ``m`` over ``x`` purchases and its
    derivatives with respect to ``log p``, ``log q`` and the per-row ``log v``.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._covariates import gamma_gamma_rows
    >>> from crmanalytics.value.gamma_gamma import gamma_gamma_log_likelihood
    >>> x, m = np.array([1.0, 3.0]), np.array([20.0, 35.0])
    >>> ll = gamma_gamma_rows(6.25, 3.74, np.full(2, 15.44), x, m)[0]
    >>> bool(np.allclose(ll, gamma_gamma_log_likelihood(np.log([6.25, 3.74, 15.44]), x, m)))
    True
    """
    x_unique, x_index = np.unique(x, return_inverse=True)
    px = p * x
    lg = (gammaln(p * x_unique + q) - gammaln(p * x_unique) - gammaln(q))[x_index]
    log_xm_v = np.log(x * m + v)
    ll = lg + q * np.log(v) + (px - 1.0) * np.log(m) + px * np.log(x) - (px + q) * log_xm_v
    psi_pxq = digamma(p * x_unique + q)[x_index]
    psi_px = digamma(p * x_unique)[x_index]
    d_p = x * (psi_pxq - psi_px + np.log(m) + np.log(x) - log_xm_v)
    d_q = psi_pxq - digamma(q) + np.log(v) - log_xm_v
    d_v = q / v - (px + q) / (x * m + v)
    return (
        np.asarray(ll, dtype=np.float64),
        np.asarray(d_p * p, dtype=np.float64),
        np.asarray(d_q * q, dtype=np.float64),
        np.asarray(d_v * v, dtype=np.float64),
    )


# --------------------------------------------------------------------------------------
# fitting
# --------------------------------------------------------------------------------------

#: ``(log_params, coefficients) -> (total log-likelihood, gradient in the same layout)``.
Objective = Callable[[Array], tuple[float, Array]]


@dataclass(frozen=True)
class CovariateFit:
    """Outcome of a covariate fit.

    ``theta`` stacks the log population parameters and then the coefficients of each
    process in order; ``covariance`` is its asymptotic covariance (inverse observed
    information).
    """

    theta: Array
    n_params: int
    log_likelihood: float
    covariance: Array
    iterations: int


def fit_with_covariates(
    objective: Objective,
    start: Array,
    *,
    n_params: int,
    total_weight: float,
    penalizer: float,
    model: str,
    advice: str,
    free: npt.NDArray[np.bool_] | None = None,
    second: SecondOrder | None = None,
) -> CovariateFit:
    """Maximise a covariate log-likelihood over ``theta`` (log-parameters, coefficients).

    ``free`` marks the entries that are estimated (the others stay at ``start``): with
    every coefficient fixed at zero, the fit is the model without covariates. With a
    ``second``-order kernel (value, gradient and analytic Hessian) the fit takes damped
    Newton steps and its standard errors come from that Hessian; L-BFGS-B on
    ``objective`` is the fallback and the method without one.
    """
    if penalizer < 0 or not np.isfinite(penalizer):
        raise ValueError(f"penalizer must be a finite number >= 0, got {penalizer}")
    start = np.asarray(start, dtype=np.float64)
    mask = np.ones(start.size, dtype=bool) if free is None else np.asarray(free, dtype=bool)

    with one_blas_thread():
        return _fit_with_covariates(
            objective, start, mask, n_params=n_params, total_weight=total_weight,
            penalizer=penalizer, model=model, advice=advice, second=second,
        )  # fmt: skip


def _fit_with_covariates(
    objective: Objective,
    start: Array,
    mask: npt.NDArray[np.bool_],
    *,
    n_params: int,
    total_weight: float,
    penalizer: float,
    model: str,
    advice: str,
    second: SecondOrder | None,
) -> CovariateFit:
    def full(sub: Array) -> Array:
        theta = start.copy()
        theta[mask] = sub
        return theta

    def scaled(sub: Array) -> tuple[float, Array]:
        theta = full(sub)
        loglik, grad = objective(theta)
        params = np.exp(theta[:n_params])
        value = -loglik / total_weight + penalizer * float(np.sum(params**2))
        gradient = -grad / total_weight
        gradient[:n_params] += 2.0 * penalizer * params**2
        if not np.isfinite(value) or not np.all(np.isfinite(gradient)):
            return float("inf"), np.zeros(int(mask.sum()))
        return value, gradient[mask]

    stepped = (
        None
        if second is None
        else _newton_fit(
            second, start, mask, n_params=n_params, total_weight=total_weight, penalizer=penalizer
        )
    )
    if stepped is not None:
        theta, iterations, message = full(stepped.x), stepped.iterations, "Newton"
        value, grad_norm = stepped.value, float(np.max(np.abs(stepped.gradient)))
    else:
        theta, iterations, message = _lbfgs(scaled, full, start, mask, n_params)
        value, gradient = scaled(theta[mask])
        grad_norm = float(np.max(np.abs(gradient))) if np.isfinite(value) else np.inf
    sub = theta[mask]
    at_bound = np.abs(theta[:n_params]) >= _LOG_BOUND - 1e-6
    if not np.isfinite(value) or np.any(at_bound) or grad_norm > 1e-4:
        raise ConvergenceError(
            f"{model} fit with covariates did not converge ({message}; largest gradient "
            f"{grad_norm:.2g}). {advice}"
        )
    if stepped is not None:
        hess = -total_weight * stepped.hessian  # of the penalised total log-likelihood
    else:
        hess = hessian(
            lambda part: _penalized_grad(objective, full(part), n_params, total_weight, penalizer)[
                mask
            ],
            sub,
        )
    covariance_free = covariance(hess)
    if covariance_free is None:
        raise ConvergenceError(
            f"{model} fit with covariates stopped where the log-likelihood is flat in some "
            "direction: a covariate may be constant, collinear with others, or a level may "
            f"have too few customers. {advice}"
        )
    full_covariance = np.zeros((start.size, start.size))
    full_covariance[np.ix_(mask, mask)] = covariance_free
    if stepped is not None:  # Newton's objective is the penalised mean: undo both
        penalty = penalizer * float(np.sum(np.exp(2.0 * theta[:n_params])))
        log_likelihood = -total_weight * (stepped.value - penalty)
    else:
        log_likelihood = float(objective(theta)[0])
    return CovariateFit(
        theta=theta,
        n_params=n_params,
        log_likelihood=log_likelihood,
        covariance=full_covariance,
        iterations=int(iterations),
    )


def _newton_fit(
    second: SecondOrder,
    start: Array,
    mask: npt.NDArray[np.bool_],
    *,
    n_params: int,
    total_weight: float,
    penalizer: float,
) -> NewtonResult | None:
    """Damped Newton steps on the free entries; ``None`` when they do not converge."""

    def on_free(sub: Array) -> tuple[float, Array, Array]:
        theta = start.copy()
        theta[mask] = sub
        value, grad, hess = second(theta, 2)
        return value, grad[mask], hess[np.ix_(mask, mask)]

    penalized = (np.arange(start.size) < n_params)[mask]
    result = newton(
        on_free, start[mask], total_weight=total_weight, penalizer=penalizer, penalized=penalized
    )
    return result if result.converged else None


def _lbfgs(
    scaled: Callable[[Array], tuple[float, Array]],
    full: Callable[[Array], Array],
    start: Array,
    mask: npt.NDArray[np.bool_],
    n_params: int,
) -> tuple[Array, int, str]:
    """L-BFGS-B on the free entries within the parameter and coefficient bounds."""
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * n_params + [(-_COEF_BOUND, _COEF_BOUND)] * (
        start.size - n_params
    )
    res = minimize(
        scaled,
        start[mask],
        jac=True,
        method="L-BFGS-B",
        bounds=[b for b, keep in zip(bounds, mask, strict=True) if keep],
        options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-10},
    )
    return full(np.asarray(res.x, dtype=np.float64)), int(res.nit), str(res.message)


def _penalized_grad(
    objective: Objective, theta: Array, n_params: int, total_weight: float, penalizer: float
) -> Array:
    grad = objective(theta)[1].copy()
    grad[:n_params] -= total_weight * 2.0 * penalizer * np.exp(theta[:n_params]) ** 2
    return grad


def coefficient_frame(
    fit: CovariateFit, processes: Sequence[tuple[str, Sequence[str]]]
) -> pd.DataFrame:
    """The ``coefficients_`` table of a covariate fit, with Wald tests.

    Columns ``process``, ``covariate``, ``estimate``, ``std_error``, ``z``, ``p_value``
    and the 95% interval (``estimate_low``, ``estimate_high``).

    Wald tests: ``z = estimate / std_error``, two-sided normal p-values.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._covariates import CovariateFit, coefficient_frame
    >>> fit = CovariateFit(np.array([0.0, 0.5]), 1, -1.0, np.diag([0.01, 0.04]), 1)
    >>> coefficient_frame(fit, [("purchase", ["web"])])[["covariate", "estimate", "z"]]
      covariate  estimate    z
    0       web       0.5  2.5
    """
    rows: list[dict[str, object]] = []
    position = fit.n_params
    std = np.sqrt(np.clip(np.diag(fit.covariance), 0.0, None))
    for process, names in processes:
        for name in names:
            estimate = float(fit.theta[position])
            se = float(std[position])
            z = estimate / se if se > 0 else float("nan")
            rows.append(
                {
                    "process": process,
                    "covariate": name,
                    "estimate": estimate,
                    "std_error": se,
                    "z": z,
                    "p_value": float(2.0 * stats.norm.sf(abs(z))) if se > 0 else float("nan"),
                    "estimate_low": estimate - _Z95 * se,
                    "estimate_high": estimate + _Z95 * se,
                }
            )
            position += 1
    columns = ["process", "covariate", "estimate", "std_error", "z", "p_value"]
    return pd.DataFrame(rows, columns=[*columns, "estimate_low", "estimate_high"])


def split_theta(theta: Array, n_params: int, sizes: Sequence[int]) -> tuple[Array, list[Array]]:
    """Population log-parameters and one coefficient vector per process.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._covariates import split_theta
    >>> split_theta(np.arange(6.0), 4, [1, 1])
    (array([0., 1., 2., 3.]), [array([4.]), array([5.])])
    """
    blocks, position = [], n_params
    for size in sizes:
        blocks.append(theta[position : position + size])
        position += size
    return theta[:n_params], blocks


def bgnbd_row_params(
    theta: Array, z_purchase: Array, z_dropout: Array
) -> tuple[float, Array, Array, Array]:
    """Per-customer ``r, alpha_i, a_i, b_i`` of a BG/NBD model with covariates.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._covariates import bgnbd_row_params
    >>> theta = np.log([0.5, 2.0, 0.8, 2.4]).tolist() + [np.log(2.0), 0.0]
    >>> r, alpha, a, b = bgnbd_row_params(np.array(theta), np.array([[0.0], [1.0]]),
    ...                                   np.array([[0.0], [1.0]]))
    >>> alpha.round(3).tolist()
    [2.0, 1.0]
    """
    logs, (g_p, g_d) = split_theta(theta, 4, [z_purchase.shape[1], z_dropout.shape[1]])
    r, alpha0, a0, b0 = np.exp(logs)
    life = np.exp(z_dropout @ g_d)
    return float(r), alpha0 * np.exp(-(z_purchase @ g_p)), a0 * life, b0 * life


def bgnbd_objective(
    x: Array, t_x: Array, T: Array, weights: Array, *, z_purchase: Array, z_dropout: Array
) -> Objective:
    """Total weighted BG/NBD log-likelihood with covariates, and its gradient.

    The value and gradient of :func:`~crmanalytics.value._bgnbd_second_order.bgnbd_second_order`
    (which also gives the Hessian the Newton fit uses).

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._covariates import bgnbd_objective
    >>> f = bgnbd_objective(np.array([1.0]), np.array([2.0]), np.array([5.0]), np.ones(1),
    ...                     z_purchase=np.zeros((1, 1)), z_dropout=np.zeros((1, 0)))
    >>> value, grad = f(np.zeros(5))
    >>> grad.shape
    (5,)
    """
    second = bgnbd_second_order(x, t_x, T, weights, z_purchase=z_purchase, z_dropout=z_dropout)
    return _first_order(second)


def _first_order(second: SecondOrder) -> Objective:
    def objective(theta: Array) -> tuple[float, Array]:
        value, grad, _ = second(theta, 1)
        return value, grad

    return objective


def gamma_gamma_row_params(theta: Array, z_spend: Array) -> tuple[float, float, Array]:
    """Per-customer ``p, q, v_i`` of a Gamma-Gamma model with covariates.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._covariates import gamma_gamma_row_params
    >>> p, q, v = gamma_gamma_row_params(np.array([0.0, 1.0, 0.0, np.log(3.0)]),
    ...                                  np.array([[0.0], [1.0]]))
    >>> v.round(3).tolist()
    [1.0, 3.0]
    """
    logs, (g_s,) = split_theta(theta, 3, [z_spend.shape[1]])
    p, q, v0 = np.exp(logs)
    return float(p), float(q), v0 * np.exp(z_spend @ g_s)


def gamma_gamma_objective(x: Array, m: Array, z_spend: Array) -> Objective:
    """Total Gamma-Gamma log-likelihood with covariates (repeat customers), and gradient.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._covariates import gamma_gamma_objective
    >>> f = gamma_gamma_objective(np.array([1.0, 2.0]), np.array([5.0, 7.0]), np.zeros((2, 1)))
    >>> f(np.zeros(4))[1].shape
    (4,)
    """

    def objective(theta: Array) -> tuple[float, Array]:
        p, q, v = gamma_gamma_row_params(theta, z_spend)
        ll, d_p, d_q, d_v = gamma_gamma_rows(p, q, v, x, m)
        grad = np.concatenate([[d_p.sum(), d_q.sum(), d_v.sum()], z_spend.T @ d_v])
        return float(ll.sum()), np.asarray(grad, dtype=np.float64)

    return objective


@dataclass(frozen=True)
class CovariateState:
    """A model's fitted covariate part: one design per process, and the joint fit.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._covariates import CovariateDesign, CovariateFit, CovariateState
    >>> design = CovariateDesign.learn({"web": np.array([0.0, 1.0])})
    >>> fit = CovariateFit(np.zeros(4), 3, 0.0, np.eye(4), 1)
    >>> state = CovariateState((("spend", design),), fit)
    >>> state.columns, state.sizes
    (('web',), (1,))
    """

    processes: tuple[tuple[str, CovariateDesign], ...]
    fit: CovariateFit

    @property
    def columns(self) -> tuple[str, ...]:
        """Every source column the model needs, each once, in order."""
        seen: dict[str, None] = {}
        for _, design in self.processes:
            seen.update(dict.fromkeys(design.columns))
        return tuple(seen)

    @property
    def sizes(self) -> tuple[int, ...]:
        """Number of coefficients of each process."""
        return tuple(len(design.names) for _, design in self.processes)

    def matrices(self, data: Mapping[str, npt.NDArray[Any]]) -> list[Array]:
        """One design matrix per process, for the given covariate values."""
        return [design.matrix({c: data[c] for c in design.columns}) for _, design in self.processes]

    def coefficients(self) -> pd.DataFrame:
        """The ``coefficients_`` frame (see :func:`coefficient_frame`)."""
        return coefficient_frame(
            self.fit, [(name, design.names) for name, design in self.processes]
        )

    def to_state(self) -> dict[str, object]:
        """A JSON-ready description (for saved models)."""
        return {
            "processes": [[name, design.to_state()] for name, design in self.processes],
            "theta": [float(v) for v in self.fit.theta],
            "n_params": self.fit.n_params,
            "log_likelihood": self.fit.log_likelihood,
            "covariance": [[float(v) for v in row] for row in self.fit.covariance],
            "iterations": self.fit.iterations,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> CovariateState:
        """Rebuild a state saved with :meth:`to_state`."""
        processes = tuple(
            (str(name), CovariateDesign.from_state(design)) for name, design in state["processes"]
        )
        fit = CovariateFit(
            theta=np.asarray(state["theta"], dtype=np.float64),
            n_params=int(state["n_params"]),
            log_likelihood=float(state["log_likelihood"]),
            covariance=np.asarray(state["covariance"], dtype=np.float64),
            iterations=int(state["iterations"]),
        )
        return cls(processes, fit)


def fit_gamma_gamma_with_covariates(
    spend: tuple[Array, Array],
    covariates: Mapping[str, npt.NDArray[Any]],
    *,
    start: Array,
    penalizer: float,
    advice: str,
) -> CovariateState:
    """Fit Gamma-Gamma with ``spend`` covariates on the repeat customers ``(x, m)``."""
    x, m = spend
    design = CovariateDesign.learn(covariates)
    z_s = design.matrix(covariates)
    objective = gamma_gamma_objective(x, m, z_s)
    fit = fit_with_covariates(
        objective,
        np.concatenate([start, np.zeros(z_s.shape[1])]),
        n_params=3,
        total_weight=float(x.size),
        penalizer=penalizer,
        model="Gamma-Gamma",
        advice=advice,
    )
    return CovariateState((("spend", design),), fit)


def pareto_nbd_row_params(
    theta: Array, z_purchase: Array, z_dropout: Array
) -> tuple[float, Array, float, Array]:
    """Per-customer ``r, alpha_i, s, beta_i`` of a Pareto/NBD model with covariates.

    ``alpha_i = alpha exp(-g_p' z)``, ``beta_i = beta exp(-g_d' z)``: a positive
    dropout coefficient means a higher dropout rate (a shorter lifetime).

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._covariates import pareto_nbd_row_params
    >>> theta = np.array([0.0, np.log(4.0), 0.0, np.log(6.0), 0.0, np.log(2.0)])
    >>> pareto_nbd_row_params(theta, np.ones((1, 1)), np.ones((1, 1)))[3].tolist()
    [3.0]
    """
    logs, (g_p, g_d) = split_theta(theta, 4, [z_purchase.shape[1], z_dropout.shape[1]])
    r, alpha0, s, beta0 = np.exp(logs)
    return (
        float(r),
        alpha0 * np.exp(-(z_purchase @ g_p)),
        float(s),
        beta0 * np.exp(-(z_dropout @ g_d)),
    )


def pareto_nbd_objective(
    x: Array, t_x: Array, T: Array, weights: Array, *, z_purchase: Array, z_dropout: Array
) -> Objective:
    """Total weighted Pareto/NBD log-likelihood with covariates, and its gradient.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.value._covariates import pareto_nbd_objective
    >>> f = pareto_nbd_objective(np.array([1.0]), np.array([2.0]), np.array([5.0]),
    ...                          np.ones(1), z_purchase=np.ones((1, 1)), z_dropout=np.ones((1, 1)))
    >>> f(np.zeros(6))[1].shape
    (6,)
    """
    from crmanalytics.value._pareto_nbd_math import _parts

    def objective(theta: Array) -> tuple[float, Array]:
        r, alpha, s, beta = pareto_nbd_row_params(theta, z_purchase, z_dropout)
        parts, grad = _parts((r, alpha, s, beta), x, t_x, T, with_grad=True)
        assert grad is not None
        w_alpha = weights * grad[1] * alpha
        w_beta = weights * grad[3] * beta
        gradient = np.concatenate(
            [
                [r * (weights @ grad[0]), w_alpha.sum(), s * (weights @ grad[2]), w_beta.sum()],
                -(z_purchase.T @ w_alpha),
                -(z_dropout.T @ w_beta),
            ]
        )
        return float(weights @ (parts.log_c + parts.total)), np.asarray(gradient, np.float64)

    return objective


def fit_purchase_with_covariates(
    kind: str,
    history: tuple[Array, Array, Array, Array],
    covariates: Mapping[str, Mapping[str, npt.NDArray[Any]]],
    *,
    start: Array,
    penalizer: float,
    advice: str,
) -> CovariateState:
    """Fit BG/NBD (``"bgnbd"``) or Pareto/NBD (``"pareto_nbd"``) with covariates.

    ``history`` is ``(x, t_x, T, weights)``; ``covariates`` maps ``"purchase"`` and
    ``"dropout"`` to their raw covariate columns; ``start`` holds the log population
    parameters to start from (the fit without covariates).

    Examples
    --------
    >>> from crmanalytics.value._covariates import PURCHASE_OBJECTIVES
    >>> sorted(PURCHASE_OBJECTIVES)
    ['bgnbd', 'pareto_nbd']
    """
    x, t_x, T, weights = history
    designs = {name: CovariateDesign.learn(data) for name, data in covariates.items()}
    z_p = designs["purchase"].matrix(covariates["purchase"])
    z_d = designs["dropout"].matrix(covariates["dropout"])
    second = None
    if kind in PURCHASE_SECOND_ORDER:
        second = PURCHASE_SECOND_ORDER[kind](x, t_x, T, weights, z_purchase=z_p, z_dropout=z_d)
        objective = _first_order(second)
    else:
        objective = PURCHASE_OBJECTIVES[kind](x, t_x, T, weights, z_purchase=z_p, z_dropout=z_d)
    fit = fit_with_covariates(
        objective,
        np.concatenate([start, np.zeros(z_p.shape[1] + z_d.shape[1])]),
        n_params=4,
        total_weight=float(weights.sum()),
        penalizer=penalizer,
        model={"bgnbd": "BG/NBD", "pareto_nbd": "Pareto/NBD"}[kind],
        advice=advice,
        second=second,
    )
    return CovariateState((("purchase", designs["purchase"]), ("dropout", designs["dropout"])), fit)


#: The covariate objectives of the continuous-time purchase models.
PURCHASE_OBJECTIVES: dict[str, Callable[..., Objective]] = {
    "bgnbd": bgnbd_objective,
    "pareto_nbd": pareto_nbd_objective,
}
#: Kernels that also give the analytic Hessian (their fits take Newton steps).
PURCHASE_SECOND_ORDER: dict[str, Callable[..., SecondOrder]] = {"bgnbd": bgnbd_second_order}
#: Their per-customer parameters, ``(theta, z_purchase, z_dropout) -> params``.
PURCHASE_ROW_PARAMS: dict[str, Callable[[Array, Array, Array], tuple[Any, ...]]] = {
    "bgnbd": bgnbd_row_params,
    "pareto_nbd": pareto_nbd_row_params,
}
