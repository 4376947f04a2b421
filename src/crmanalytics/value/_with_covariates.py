"""What a model with covariates adds to the shared base (internal).

:class:`CovariateMixin` holds the fitted covariate state, exposes ``coefficients_`` and
``covariates_``, saves the state with the model's JSON, and reads a summary's history
columns together with its raw covariate columns (text kept as text), grouped in the
caller's engine for fitting or row by row for predictions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt
import pandas as pd

from crmanalytics._frames import collect
from crmanalytics.errors import NotFittedError
from crmanalytics.value._covariates import (
    PURCHASE_ROW_PARAMS,
    CovariateState,
    fit_purchase_with_covariates,
)
from crmanalytics.value._fitting import FitResult
from crmanalytics.value._inputs import Columns, check_btyd, read_summary, summary_frame

__all__ = [
    "CovariateMixin",
    "PurchaseCovariateMixin",
    "covariate_names",
    "read_covariate_rows",
]

_HISTORY = ["frequency", "recency", "T"]

Raw = dict[str, npt.NDArray[Any]]


def covariate_names(value: Sequence[str] | str | None, what: str) -> list[str]:
    """Normalise a covariates argument to a list of column names.

    Examples
    --------
    >>> from crmanalytics.value._with_covariates import covariate_names
    >>> covariate_names("region", "purchase_covariates"), covariate_names(None, "x")
    (['region'], [])
    """
    if value is None:
        return []
    names = [value] if isinstance(value, str) else list(value)
    if len(set(names)) != len(names) or not all(names):
        raise ValueError(f"{what} must be distinct column names, got {value!r}")
    return names


def read_covariate_rows(
    summary: Any,
    history: Sequence[str],
    covariates: Sequence[str],
    *,
    weights: str | None = None,
    grouped: bool,
    columns: Mapping[str, str] | None,
    purpose: str,
) -> tuple[Columns, Raw]:
    """History columns (as checked floats) and raw covariate columns of a summary.

    With ``grouped=True`` the distinct (history, covariates) rows are formed in the
    engine with their total weight in ``_weight``; otherwise every row is read in order.
    """
    needs = [*history, *covariates, *([weights] if weights else [])]
    frame = summary_frame(summary, needs, columns=columns, purpose=purpose)
    keys = [*history, *covariates]
    if grouped:
        weight = nw.len() if weights is None else nw.col(weights).sum()
        eager = collect(frame.group_by(*keys, drop_null_keys=False).agg(weight.alias("_weight")))
    else:
        eager = collect(frame.select(*keys))
    cols: Columns = {n: eager[n].to_numpy().astype(np.float64) for n in history}
    check_btyd(cols)
    if grouped:
        cols["_weight"] = eager["_weight"].to_numpy().astype(np.float64)
    raw: Raw = {}
    for name in covariates:
        values = eager[name].to_numpy()
        if values.dtype.kind not in "iufb":
            values = np.asarray(values, dtype=object)
        raw[name] = values.astype(np.float64) if values.dtype.kind == "b" else values
    return cols, raw


class CovariateMixin:
    """Fitted covariate state for a model on the shared base.

    Examples
    --------
    >>> from crmanalytics.value import BetaGeoModel
    >>> BetaGeoModel().covariates_
    ()
    """

    _covariates: CovariateState | None = None

    @property
    def covariates_(self) -> tuple[str, ...]:
        """The summary columns the fitted model reads as covariates (empty without).

        Examples
        --------
        >>> from crmanalytics.value import GammaGammaModel
        >>> GammaGammaModel().covariates_
        ()
        """
        return () if self._covariates is None else self._covariates.columns

    @property
    def coefficients_(self) -> pd.DataFrame:
        """Covariate effects with Wald tests, one row per process and covariate.

        Columns ``process``, ``covariate`` (``column`` or ``column[level]`` against the
        first level), ``estimate``, ``std_error``, ``z``, ``p_value``,
        ``estimate_low``, ``estimate_high`` (95%). A positive purchase coefficient
        means more purchases; a positive spend coefficient, more spend per purchase.

        Raises
        ------
        NotFittedError
            When the model was not fitted with covariates.

        Examples
        --------
        >>> from crmanalytics.value import GammaGammaModel
        >>> GammaGammaModel().coefficients_
        Traceback (most recent call last):
        ...
        crmanalytics.errors.NotFittedError: this GammaGammaModel was not fitted with covariates
        """
        if self._covariates is None:
            raise NotFittedError(f"this {type(self).__name__} was not fitted with covariates")
        return self._covariates.coefficients()

    def _set_covariates(self, state: CovariateState | None) -> FitResult | None:
        """Store the covariate state; return the base block as a FitResult (or None)."""
        self._covariates = state
        if state is None:
            return None
        k = state.fit.n_params
        return FitResult(
            log_params=state.fit.theta[:k],
            log_likelihood=state.fit.log_likelihood,
            log_covariance=state.fit.covariance[:k, :k],
            iterations=state.fit.iterations,
        )

    def _covariate_matrices(self, raw: Raw) -> list[npt.NDArray[np.float64]]:
        assert self._covariates is not None
        return self._covariates.matrices(raw)

    def _extra_state(self) -> dict[str, Any]:
        if self._covariates is None:
            return {}
        return {"covariates": self._covariates.to_state()}

    def _restore_extra_state(self, document: Mapping[str, Any]) -> None:
        state = document.get("covariates")
        self._covariates = None if state is None else CovariateState.from_state(state)


class PurchaseCovariateMixin(CovariateMixin):
    """Purchase and dropout covariates for a continuous-time purchase model.

    A model names its covariate kind (``"bgnbd"`` or ``"pareto_nbd"``, see
    ``_covariates.PURCHASE_OBJECTIVES``; ``None`` when it takes none) and its
    convergence advice; fitting and per-customer parameters are then shared.

    Examples
    --------
    >>> from crmanalytics.value import BetaGeoModel, ParetoNBDModel
    >>> BetaGeoModel._covariate_kind, ParetoNBDModel._covariate_kind
    ('bgnbd', 'pareto_nbd')
    """

    _covariate_kind: ClassVar[str | None] = None
    _advice: ClassVar[str]
    penalizer: float

    def _fit_covariates(
        self,
        summary: Any,
        start: FitResult,
        weights: str | None,
        covariates: tuple[list[str], list[str]],
        columns: Mapping[str, str] | None,
    ) -> FitResult:
        """Refit with covariates, starting from the fit without them."""
        if self._covariate_kind is None:
            raise ValueError(f"{type(self).__name__} does not take covariates yet")
        purchase, dropout = covariates
        cols, raw = read_covariate_rows(
            summary,
            _HISTORY,
            list(dict.fromkeys([*purchase, *dropout])),
            weights=weights,
            grouped=True,
            columns=columns,
            purpose=f"{type(self).__name__}.fit",
        )
        keep = cols["_weight"] > 0
        x, t_x, T, w = (cols[n][keep] for n in (*_HISTORY, "_weight"))
        state = fit_purchase_with_covariates(
            self._covariate_kind,
            (x, t_x, T, w),
            {
                "purchase": {c: raw[c][keep] for c in purchase},
                "dropout": {c: raw[c][keep] for c in dropout},
            },
            start=start.log_params,
            penalizer=self.penalizer,
            advice=self._advice,
        )
        base = self._set_covariates(state)
        assert base is not None
        return base

    def _history_params(
        self, summary: Any, columns: Mapping[str, str] | None, method: str
    ) -> tuple[Any, Columns]:
        """Parameters (per customer with covariates) and the checked history columns."""
        purpose = f"{type(self).__name__}.{method}"
        if self._covariates is None:
            params = self.param_array()  # type: ignore[attr-defined]
            return params, read_summary(summary, _HISTORY, columns=columns, purpose=purpose)
        self.check_fitted()  # type: ignore[attr-defined]
        assert self._covariate_kind is not None
        cols, raw = read_covariate_rows(
            summary,
            _HISTORY,
            list(self.covariates_),
            grouped=False,
            columns=columns,
            purpose=purpose,
        )
        z_p, z_d = self._covariate_matrices(raw)
        params = PURCHASE_ROW_PARAMS[self._covariate_kind](self._covariates.fit.theta, z_p, z_d)
        return params, cols
