"""What the continuous-time purchase models share: reading summaries, fitting, predicting.

:class:`ContinuousPurchaseModel` is the private base of the Pareto/NBD and MBG/NBD
models: it reads ``frequency``, ``recency``, ``T`` (with the caller's ``columns=``
names), fits on the distinct rows with their counts, and answers the
:class:`~crmanalytics.value.PurchaseModel` questions through a model's numeric kernel.

Examples
--------
>>> from crmanalytics.value import ParetoNBDModel, PurchaseModel
>>> isinstance(ParetoNBDModel(), PurchaseModel)
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Self

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from crmanalytics._frames import TimeUnit, collect, renamed
from crmanalytics.errors import ConvergenceError, Problem, SchemaError
from crmanalytics.value._base import ModelBase, summary_time_unit
from crmanalytics.value._fitting import fit_log_params
from crmanalytics.value._inputs import Columns, distinct_rows, read_summary, summary_frame
from crmanalytics.value._with_covariates import PurchaseCovariateMixin, covariate_names

__all__ = ["ContinuousPurchaseModel", "check_horizon", "fit_rows", "summary_input"]

Array = npt.NDArray[np.float64]
_BTYD = ["frequency", "recency", "T"]


def summary_input(
    summary: Any, columns: Mapping[str, str] | None, needs: Sequence[str], purpose: str
) -> Any:
    """The caller's summary with the expected column names (``columns=`` applied).

    Keeps a pandas summary as it is when nothing is renamed, so that its
    ``attrs["time_unit"]`` stays readable.
    """
    frame = renamed(
        summary, columns=columns, needs=needs, table="customer summary", purpose=purpose
    )
    return frame if columns else summary


def fit_rows(
    summary: Any, weights: str | None, *, columns: Mapping[str, str] | None, purpose: str
) -> Columns:
    """``frequency``, ``recency``, ``T`` and ``_weight`` (customers per row) for a fit, checked.

    An eager summary (pandas, Polars, PyArrow) gives its rows as they are: grouping a
    million rows costs several likelihood passes of the BG/NBD kernel and saves nothing
    when recency is continuous. A lazy one (Polars lazy, DuckDB, PySpark) is reduced to
    its distinct rows with counts inside the engine, and only those are collected.
    """
    needs = [*_BTYD, *([weights] if weights is not None else [])]
    frame = summary_frame(summary, needs, columns=columns, purpose=purpose)
    if not isinstance(frame, nw.DataFrame):
        return distinct_rows(frame, weights, purpose=purpose)
    cols = read_summary(frame, _BTYD, purpose=purpose)
    if weights is None:
        cols["_weight"] = np.ones(cols["T"].size)
        return cols
    w = collect(frame.select(weights))[weights].to_numpy().astype(np.float64)
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise SchemaError(
            "customer summary",
            [Problem(weights, "weights must be finite and >= 0", 0, fix="repair the weights")],
        )
    cols["_weight"] = w
    return cols


def check_horizon(t: float, what: str = "the summary's time unit") -> float:
    """A horizon as a finite float >= 0, else ValueError."""
    value = float(t)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"t must be a finite number >= 0 (in {what}), got {t!r}")
    return value


#: Rows of the random subsample whose fit starts the fit on larger data.
_SUBSAMPLE = 20_000


def _subsample(n: int, size: int, seed: int = 0) -> npt.NDArray[np.intp] | None:
    """Sorted random row positions (order kept), or None when ``n`` is not much larger."""
    if n <= 2 * size:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def _as_float(out: tuple[Any, Any]) -> tuple[float, Array]:
    return float(out[0]), np.asarray(out[1], np.float64)


class ContinuousPurchaseModel(PurchaseCovariateMixin, ModelBase):
    """Private base of purchase models fitted on ``frequency``, ``recency``, ``T``.

    Subclasses give ``_kernel`` (a module with ``value_and_gradient``,
    ``probability_alive``, ``conditional_expected_purchases`` and
    ``probability_of_purchases``), ``_advice`` and ``_starts``.
    """

    _kernel: ClassVar[Any]

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    def _starts(self, mean_x: float, mean_t: float) -> list[Array]:
        raise NotImplementedError

    def _require_repeat(self, x: Array, w: Array) -> None:
        if float(w.sum()) <= 0:
            raise ValueError(f"cannot fit {type(self).__name__} on an empty summary")
        if not np.any(x > 0):
            raise ValueError(
                f"cannot fit {type(self).__name__}: no customer has a repeat purchase "
                "(frequency is 0 everywhere), so purchase and dropout rates are not "
                "identified; use a longer observation period"
            )

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
        """Estimate the parameters by maximum likelihood.

        Parameters
        ----------
        summary : dataframe
            Columns ``frequency``, ``recency`` and ``T`` (any backend).
        weights : str, optional
            Name of a column counting how many customers each row stands for.
        time_unit : {"D", "W"}, optional
            The summary's time unit, recorded in ``time_unit_`` (a pandas summary that
            carries it in ``attrs["time_unit"]`` need not repeat it).
        columns : mapping of str to str, optional
            Expected name to the summary's name, e.g. ``{"T": "age"}``.
        purchase_covariates, dropout_covariates : sequence of str, optional
            Pareto/NBD only: time-invariant customer covariates (summary columns;
            numeric, or text/categorical/boolean one-hot encoded against their first
            level), in CLVTools' parameterisation ``alpha_i = alpha exp(-g_p' z)`` (a
            positive purchase coefficient means more purchases) and
            ``beta_i = beta exp(-g_d' z)`` (a positive dropout coefficient means a
            shorter lifetime). Effects in ``coefficients_``; predictions read each
            customer's covariates from the summary passed in.

        Returns
        -------
        model
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
        >>> from crmanalytics.value import ModifiedBetaGeoModel, ParetoNBDModel, customer_summary
        >>> s = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
        >>> rows = s.groupby(["frequency", "recency", "T"], as_index=False).size()
        >>> model = ParetoNBDModel().fit(rows, weights="size", time_unit="W")
        >>> model.n_customers_, model.time_unit_
        (2357.0, 'W')
        >>> round(ModifiedBetaGeoModel().fit(s).log_likelihood_, 1)
        -9582.1
        """
        needs = [*_BTYD, *([weights] if weights is not None else [])]
        frame = summary_input(summary, columns, needs, f"{type(self).__name__}.fit")
        cols = distinct_rows(frame, weights)  # sorted: identical fits from every backend
        keep = cols["_weight"] > 0
        x, t_x, T, w = (cols[n][keep] for n in (*_BTYD, "_weight"))
        self._require_repeat(x, w)
        total = float(w.sum())
        kernel = self._kernel

        def value_and_grad(lp: Array) -> tuple[float, Array]:
            return _as_float(kernel.value_and_gradient(lp, x, t_x, T, w))

        mean_x = max(float(np.dot(w, x)) / total, 1e-3)
        mean_t = max(float(np.dot(w, T)) / total, 1e-3)
        starts = self._starts(mean_x, mean_t)
        curvature: Array | None = None
        sample = _subsample(x.size, _SUBSAMPLE)
        if sample is not None:
            # the optimum and curvature of a random subsample: Newton steps on the
            # full data then take a few passes instead of dozens of L-BFGS-B ones
            xs, ts, Ts, ws = x[sample], t_x[sample], T[sample], w[sample]
            try:
                pre = fit_log_params(
                    lambda lp: _as_float(kernel.value_and_gradient(lp, xs, ts, Ts, ws)),
                    starts,
                    total_weight=float(ws.sum()),
                    penalizer=self.penalizer,
                    model=self.model_name,
                    advice=self._advice,
                )
                starts = [pre.log_params, *starts]
                curvature = np.asarray(np.linalg.inv(pre.log_covariance), np.float64) / float(
                    ws.sum()
                )
            except (ConvergenceError, np.linalg.LinAlgError):
                pass
        result = fit_log_params(
            value_and_grad,
            starts,
            total_weight=total,
            penalizer=self.penalizer,
            model=self.model_name,
            advice=self._advice,
            curvature=curvature,
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
        """Expected purchases of each row (axis 0) at each horizon (axis 1)."""
        x, t_x, T = cols["frequency"], cols["recency"], cols["T"]
        out = np.empty((x.size, horizons.size), dtype=np.float64)
        for j, t in enumerate(horizons):
            out[:, j] = self._kernel.conditional_expected_purchases(params, x, t_x, T, float(t))
        return out

    def expected_purchases(
        self, summary: Any, t: float, *, columns: Mapping[str, str] | None = None
    ) -> Array:
        """Expected purchases in the next ``t`` time units, given each customer's history.

        Parameters
        ----------
        summary : dataframe
            Columns ``frequency``, ``recency``, ``T`` (any backend).
        t : float
            Horizon, in the summary's time unit.
        columns : mapping of str to str, optional
            Expected name to the summary's name, e.g. ``{"frequency": "x"}``.

        Returns
        -------
        numpy.ndarray
            One value per summary row, in row order.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmanalytics.value import ParetoNBDModel, ParetoNBDParams
        >>> m = ParetoNBDModel.from_params(ParetoNBDParams(0.553, 10.578, 0.606, 11.669))
        >>> one = pd.DataFrame({"x": [2], "recency": [30.43], "T": [38.86]})
        >>> m.expected_purchases(one, 39, columns={"frequency": "x"}).round(3)
        array([1.455])
        """
        params, cols = self._history_params(summary, columns, "expected_purchases")
        horizon = np.array([check_horizon(t)])
        return np.ascontiguousarray(self._expected_by_horizon(params, cols, horizon)[:, 0])

    def expected_purchases_by_horizon(
        self,
        summary: Any,
        horizons: npt.ArrayLike,
        *,
        columns: Mapping[str, str] | None = None,
    ) -> Array:
        """Expected purchases within each of several horizons, in one call.

        Column ``j`` equals ``expected_purchases(summary, horizons[j])``. The summary is
        read once, and what does not depend on the horizon is computed once (for
        BG/NBD: the probability of being alive and the hypergeometric pairs), so a
        lifetime value over twelve periods costs far less than twelve calls.

        Parameters
        ----------
        summary : dataframe
            Columns ``frequency``, ``recency``, ``T`` (any backend).
        horizons : array-like of float
            Horizons (each finite and >= 0), in the summary's time unit.
        columns : mapping of str to str, optional
            Expected name to the summary's name.

        Returns
        -------
        numpy.ndarray
            Shape ``(rows, horizons)``: one row per summary row, in row order.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmanalytics.value import BetaGeoModel, BetaGeoParams
        >>> m = BetaGeoModel.from_params(BetaGeoParams(0.243, 4.414, 0.793, 2.426))
        >>> s = pd.DataFrame({"frequency": [2, 0], "recency": [30.43, 0.0], "T": [38.86, 38.86]})
        >>> m.expected_purchases_by_horizon(s, [13, 26, 39]).round(3)
        array([[0.457, 0.862, 1.226],
               [0.07 , 0.135, 0.195]])
        """
        values = np.atleast_1d(np.asarray(horizons, dtype=np.float64)).ravel()
        for t in values:
            check_horizon(t)
        params, cols = self._history_params(summary, columns, "expected_purchases_by_horizon")
        return self._expected_by_horizon(params, cols, values)

    def probability_alive(self, summary: Any, *, columns: Mapping[str, str] | None = None) -> Array:
        """Probability that each customer is still active at the end of their history.

        Parameters
        ----------
        summary : dataframe
            Columns ``frequency``, ``recency``, ``T``.
        columns : mapping of str to str, optional
            Expected name to the summary's name.

        Returns
        -------
        numpy.ndarray
            One probability per summary row.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmanalytics.value import ParetoNBDModel, ParetoNBDParams
        >>> m = ParetoNBDModel.from_params(ParetoNBDParams(0.553, 10.578, 0.606, 11.669))
        >>> s = pd.DataFrame({"frequency": [0, 2, 2], "recency": [0.0, 30.0, 5.0],
        ...                   "T": [38.0, 38.0, 38.0]})
        >>> m.probability_alive(s).round(3)
        array([0.3  , 0.875, 0.137])
        """
        params, cols = self._history_params(summary, columns, "probability_alive")
        return np.asarray(
            self._kernel.probability_alive(params, cols["frequency"], cols["recency"], cols["T"]),
            np.float64,
        )

    def probability_of_purchases(
        self, summary: Any, n: int, t: float, *, columns: Mapping[str, str] | None = None
    ) -> Array:
        """Probability of exactly ``n`` purchases in the next ``t`` time units.

        Conditional on each customer's history; a row with ``frequency = recency = T =
        0`` gives the new-customer probability P(X(t) = n).

        Parameters
        ----------
        summary : dataframe
            Columns ``frequency``, ``recency``, ``T``.
        n : int
            Number of purchases (>= 0).
        t : float
            Horizon, in the summary's time unit.
        columns : mapping of str to str, optional
            Expected name to the summary's name.

        Returns
        -------
        numpy.ndarray
            One probability per summary row.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmanalytics.value import ParetoNBDModel, ParetoNBDParams
        >>> m = ParetoNBDModel.from_params(ParetoNBDParams(0.553, 10.578, 0.606, 11.669))
        >>> s = pd.DataFrame({"frequency": [0, 2], "recency": [0.0, 30.43], "T": [0.0, 38.86]})
        >>> m.probability_of_purchases(s, 0, 39).round(3)
        array([0.594, 0.408])
        """
        if int(n) != n or n < 0:
            raise ValueError(f"n must be a non-negative whole number, got {n!r}")
        params, cols = self._history_params(summary, columns, "probability_of_purchases")
        return np.asarray(
            self._kernel.probability_of_purchases(
                params,
                cols["frequency"],
                cols["recency"],
                cols["T"],
                n=int(n),
                t=check_horizon(t),
            ),
            np.float64,
        )

    def expected_purchases_new_customer(self, t: float | npt.ArrayLike) -> Array:
        """Expected purchases of a newly acquired customer within ``t`` time units.

        Parameters
        ----------
        t : float or array-like
            Horizon(s), in the fitted time unit.

        Returns
        -------
        numpy.ndarray
            One value per horizon (a 1-element array for a scalar).

        Examples
        --------
        >>> from crmanalytics.value import ParetoNBDModel, ParetoNBDParams
        >>> m = ParetoNBDModel.from_params(ParetoNBDParams(0.553, 10.578, 0.606, 11.669))
        >>> m.expected_purchases_new_customer([1, 39]).round(4)
        array([0.051, 1.213])
        """
        params = self.param_array()
        horizon = np.atleast_1d(np.asarray(t, dtype=np.float64))
        if np.any(~np.isfinite(horizon) | (horizon < 0)):
            raise ValueError(f"t must be finite and >= 0, got {t!r}")
        zero = np.zeros_like(horizon)
        return np.asarray(
            self._kernel.conditional_expected_purchases(params, zero, zero, zero, horizon),
            np.float64,
        )
