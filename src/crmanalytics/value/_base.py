"""The shared base of every value model: fitted state, summaries, repr and saving.

A model subclasses :class:`ModelBase`, names its parameter tuple and a short model
name, stores its settings in ``__init__`` and, at the end of ``fit``, calls
:meth:`ModelBase._record_fit`. It then has ``params_``, ``log_likelihood_``,
``n_customers_``, ``time_unit_``, :meth:`~ModelBase.summary`,
:meth:`~ModelBase.from_params`, :meth:`~ModelBase.to_json` /
:meth:`~ModelBase.from_json`, a public fitted check and a readable ``repr``.

Examples
--------
>>> from crmanalytics.value import BetaGeoModel, BetaGeoParams
>>> model = BetaGeoModel.from_params(BetaGeoParams(0.243, 4.414, 0.793, 2.426), time_unit="W")
>>> model
BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426; from parameters, time unit W)
>>> BetaGeoModel.from_json(model.to_json()).params_ == model.params_
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
import pandas as pd

from crmanalytics._frames import TimeUnit, time_unit_days
from crmanalytics._version import __version__
from crmanalytics.errors import NotFittedError
from crmanalytics.value._fitting import FitResult, summary_frame

__all__ = ["FORMAT", "FORMAT_VERSION", "ModelBase", "check_time_unit", "summary_time_unit"]

Array = npt.NDArray[np.float64]

#: The ``format`` tag and version of :meth:`ModelBase.to_json` documents.
FORMAT = "crmanalytics.model"
FORMAT_VERSION = 1

_REGISTRY: dict[str, type[ModelBase]] = {}


def check_time_unit(time_unit: object) -> TimeUnit | None:
    """Return a valid time unit (``"D"``, ``"W"`` or ``None``), else raise ValueError.

    Examples
    --------
    >>> from crmanalytics.value._base import check_time_unit
    >>> check_time_unit("W")
    'W'
    """
    if time_unit is None:
        return None
    time_unit_days(time_unit)  # type: ignore[arg-type]
    return time_unit  # type: ignore[return-value]


def summary_time_unit(summary: Any, time_unit: object = None) -> TimeUnit | None:
    """The time unit of a summary: the one given, else the one it carries, else None.

    :func:`~crmanalytics.value.customer_summary` records its unit in a pandas
    result's ``attrs["time_unit"]``; other backends carry no metadata, so the caller
    says it (``fit(summary, time_unit="W")``).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.value._base import summary_time_unit
    >>> s = pd.DataFrame({"frequency": [0]})
    >>> s.attrs["time_unit"] = "D"
    >>> summary_time_unit(s), summary_time_unit(s, "W")
    ('D', 'W')
    """
    given = check_time_unit(time_unit)
    if given is not None:
        return given
    attrs = getattr(summary, "attrs", None)
    if isinstance(attrs, Mapping):
        return check_time_unit(attrs.get("time_unit"))
    return None


class ModelBase:
    """Fitted state, ``summary()``, ``from_params``, JSON and ``repr`` for a model.

    Subclasses set ``params_type`` (their parameter ``NamedTuple``) and
    ``model_name``; ``settings()`` returns the constructor settings (by default the
    ``penalizer``).

    Attributes
    ----------
    params_ : NamedTuple
        The estimates (after :meth:`fit` or :meth:`from_params`).
    log_likelihood_ : float
        Log-likelihood at the estimates (fitted models only).
    n_customers_ : float
        Customers (sum of weights) fitted on.
    time_unit_ : {"D", "W"} or None
        The time unit of the data the model was fitted on, when known.

    Examples
    --------
    >>> from crmanalytics.value import GammaGammaModel
    >>> GammaGammaModel().is_fitted
    False
    """

    params_type: ClassVar[type[Any]]
    model_name: ClassVar[str]

    params_: Any
    log_likelihood_: float
    n_customers_: float
    time_unit_: TimeUnit | None = None
    _fit_result: FitResult | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.__name__] = cls

    # -- settings and fitted state ------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        """The constructor settings, as stored.

        Examples
        --------
        >>> from crmanalytics.value import BetaGeoModel
        >>> BetaGeoModel(penalizer=0.01).settings()
        {'penalizer': 0.01}
        """
        return {"penalizer": float(getattr(self, "penalizer", 0.0))}

    @property
    def is_fitted(self) -> bool:
        """Whether the model has parameters (fitted, or built from parameters).

        Examples
        --------
        >>> from crmanalytics.value import BetaGeoModel
        >>> BetaGeoModel().is_fitted
        False
        """
        return hasattr(self, "params_")

    def check_fitted(self) -> None:
        """Raise :class:`~crmanalytics.errors.NotFittedError` unless the model has parameters.

        Examples
        --------
        >>> from crmanalytics.value import BetaGeoModel
        >>> BetaGeoModel().check_fitted()
        Traceback (most recent call last):
        ...
        crmanalytics.errors.NotFittedError: this BetaGeoModel is not fitted yet; ...
        """
        if not self.is_fitted:
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit(summary) first, "
                f"or build it with {type(self).__name__}.from_params(...)"
            )

    def param_array(self) -> Array:
        """The parameters as a float array, in ``params_type`` order (checks fitted).

        Examples
        --------
        >>> from crmanalytics.value import GammaGammaModel, GammaGammaParams
        >>> GammaGammaModel.from_params(GammaGammaParams(6.25, 3.74, 15.44)).param_array()
        array([ 6.25,  3.74, 15.44])
        """
        self.check_fitted()
        return np.asarray(tuple(self.params_), dtype=np.float64)

    @property
    def log_covariance_(self) -> Array:
        """Covariance of the log-parameters at the estimates (fitted models only).

        The asymptotic normal of the log-parameters, from the observed information;
        per-customer intervals draw from it or use it in the delta method.

        Examples
        --------
        >>> from crmanalytics.datasets import load_cdnow
        >>> from crmanalytics.value import BetaGeoModel, customer_summary
        >>> s = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
        >>> BetaGeoModel().fit(s).log_covariance_.shape
        (4, 4)
        """
        result = self._require_fit_result("log_covariance_")
        return result.log_covariance

    def _require_fit_result(self, what: str) -> FitResult:
        self.check_fitted()
        if self._fit_result is None:
            raise NotFittedError(
                f"this {type(self).__name__} was built from parameters without a covariance, "
                f"not fitted: {what} is not available"
            )
        return self._fit_result

    def _record_fit(
        self, result: FitResult, n_customers: float, time_unit: TimeUnit | None
    ) -> None:
        """Store the outcome of a maximum-likelihood fit (called at the end of ``fit``)."""
        self._fit_result = result
        self.params_ = self.params_type(*(float(v) for v in np.exp(result.log_params)))
        self.log_likelihood_ = float(result.log_likelihood)
        self.n_customers_ = float(n_customers)
        self.time_unit_ = time_unit

    # -- construction from known parameters ---------------------------------------------

    @classmethod
    def from_params(cls, params: Any, *, time_unit: TimeUnit | None = None) -> Self:
        """Build a model with known parameters (published, or fitted elsewhere).

        Predictions work as after ``fit``; ``summary()`` and ``log_likelihood_`` need
        a fit.

        Parameters
        ----------
        params : NamedTuple or sequence of float
            The parameters, in the order of the model's parameter tuple.
        time_unit : {"D", "W"}, optional
            The time unit the parameters are in (needed for calendar horizons).

        Examples
        --------
        >>> from crmanalytics.value import BetaGeoModel, BetaGeoParams
        >>> BetaGeoModel.from_params(BetaGeoParams(0.243, 4.414, 0.793, 2.426)).params_.r
        0.243
        """
        values = cls.params_type(*(float(v) for v in params))
        if not all(np.isfinite(v) and v > 0 for v in values):
            raise ValueError(f"{cls.model_name} parameters must be finite and > 0, got {values}")
        model = cls()
        model.params_ = values
        model.time_unit_ = check_time_unit(time_unit)
        return model

    # -- reading the fit ------------------------------------------------------------------

    def summary(self) -> pd.DataFrame:
        """Estimates with standard errors and 95% confidence intervals.

        Standard errors come from the inverse observed information (in log-parameters,
        delta method for the parameters); intervals are computed on the log scale, so
        they stay positive.

        Returns
        -------
        pandas.DataFrame
            Index ``parameter``; columns ``estimate``, ``std_error``, ``estimate_low``,
            ``estimate_high``.

        Examples
        --------
        >>> from crmanalytics.datasets import load_cdnow
        >>> from crmanalytics.value import BetaGeoModel, customer_summary
        >>> s = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
        >>> BetaGeoModel().fit(s).summary().round(3)
                   estimate  std_error  estimate_low  estimate_high
        parameter
        r             0.243      0.013         0.219          0.268
        alpha         4.414      0.378         3.731          5.221
        a             0.793      0.186         0.501          1.255
        b             2.426      0.705         1.372          4.289
        """
        result = self._require_fit_result("summary()")
        return summary_frame(self.params_type._fields, result)

    def __repr__(self) -> str:
        name = type(self).__name__
        if not self.is_fitted:
            shown = ", ".join(f"{k}={v!r}" for k, v in self.settings().items())
            return f"{name}({shown}) [not fitted]"
        params = ", ".join(
            f"{k}={v:.4g}" for k, v in zip(self.params_type._fields, self.params_, strict=True)
        )
        unit = f"time unit {self.time_unit_}" if self.time_unit_ else "time unit not given"
        if self._fit_result is None:
            return f"{name}({params}; from parameters, {unit})"
        return (
            f"{name}({params}; fitted on {self.n_customers_:,.0f} customers, {unit}, "
            f"log-likelihood {self.log_likelihood_:.1f})"
        )

    # -- saving ---------------------------------------------------------------------------

    def to_json(self) -> str:
        """Save the model as a small JSON document (no customer data).

        The document holds the model's name, settings, parameters, log-parameter
        covariance, log-likelihood, customer count, time unit, the library version and
        the format version; :meth:`from_json` restores it exactly.

        Examples
        --------
        >>> import json
        >>> from crmanalytics.value import GammaGammaModel, GammaGammaParams
        >>> model = GammaGammaModel.from_params(GammaGammaParams(6.25, 3.74, 15.44))
        >>> doc = json.loads(model.to_json())
        >>> doc["model"], doc["params"]
        ('GammaGammaModel', {'p': 6.25, 'q': 3.74, 'v': 15.44})
        """
        self.check_fitted()
        result = self._fit_result
        document: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "library": "crmanalytics",
            "library_version": __version__,
            "model": type(self).__name__,
            "settings": self.settings(),
            "params": {
                k: float(v) for k, v in zip(self.params_type._fields, self.params_, strict=True)
            },
            "time_unit": self.time_unit_,
            "fit": None
            if result is None
            else {
                "log_params": [float(v) for v in result.log_params],
                "log_likelihood": float(result.log_likelihood),
                "log_covariance": [[float(v) for v in row] for row in result.log_covariance],
                "iterations": int(result.iterations),
                "n_customers": float(self.n_customers_),
            },
        }
        document.update(self._extra_state())
        return json.dumps(document, indent=1, allow_nan=True)

    def _extra_state(self) -> dict[str, Any]:
        """Further state a subclass saves (covariate names, for instance)."""
        return {}

    def _restore_extra_state(self, document: Mapping[str, Any]) -> None:
        """Restore what :meth:`_extra_state` saved."""

    @classmethod
    def from_json(cls, text: str) -> Self:
        """Load a model saved with :meth:`to_json`.

        Called on a model class, the document must be of that class; called on
        ``ModelBase`` it loads any model of the library.

        Raises
        ------
        ValueError
            For a document that is not a crmanalytics model, of a format version this
            library does not know, or of another model class.

        Examples
        --------
        >>> from crmanalytics.value import GammaGammaModel
        >>> GammaGammaModel.from_json('{"format": "something else"}')
        Traceback (most recent call last):
        ...
        ValueError: not a saved crmanalytics model: format is 'something else', ...
        """
        document = json.loads(text)
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            found = (
                document.get("format") if isinstance(document, dict) else type(document).__name__
            )
            raise ValueError(
                f"not a saved crmanalytics model: format is {found!r}, expected {FORMAT!r}"
            )
        version = document.get("format_version")
        if version != FORMAT_VERSION:
            raise ValueError(
                f"saved model has format version {version!r}; this crmanalytics "
                f"({__version__}) reads version {FORMAT_VERSION} only: load it with the "
                f"library version that saved it ({document.get('library_version')!r})"
            )
        name = document.get("model")
        target = _REGISTRY.get(str(name))
        if target is None or not issubclass(target, cls):
            raise ValueError(
                f"saved model is a {name!r}, which {cls.__name__}.from_json cannot load"
            )
        model = target(**document.get("settings", {}))
        fields = target.params_type._fields
        params = document["params"]
        model.params_ = target.params_type(*(float(params[f]) for f in fields))
        model.time_unit_ = check_time_unit(document.get("time_unit"))
        fit = document.get("fit")
        if fit is not None:
            model._fit_result = FitResult(
                log_params=np.asarray(fit["log_params"], dtype=np.float64),
                log_likelihood=float(fit["log_likelihood"]),
                log_covariance=np.asarray(fit["log_covariance"], dtype=np.float64),
                iterations=int(fit["iterations"]),
            )
            model.log_likelihood_ = float(fit["log_likelihood"])
            model.n_customers_ = float(fit["n_customers"])
        model._restore_extra_state(document)
        return model
