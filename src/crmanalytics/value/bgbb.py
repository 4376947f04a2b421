"""The BG/BB model for discrete-time repeat transactions (Fader, Hardie & Shang 2010).

Some businesses see at most one transaction per period (a yearly donation, an annual
event, a monthly visit counted as yes or no). At each opportunity an alive customer
transacts with probability ``p ~ Beta(alpha, beta)`` and drops out for good with
probability ``theta ~ Beta(gamma, delta)``. The data per customer: ``frequency`` (periods
with a transaction after the first), ``recency`` (the last such period, counted from the
first) and ``n_periods`` (opportunities after the first); :func:`discrete_summary`
builds them from transactions.

Examples
--------
>>> from lifetimes.datasets import load_donations
>>> from crmanalytics.value import BetaGeoBetaBinomModel
>>> donations = load_donations().rename(columns={"periods": "n_periods"})
>>> model = BetaGeoBetaBinomModel().fit(donations, weights="weights")
>>> [round(v, 3) for v in model.params_], round(model.log_likelihood_, 1)
([1.204, 0.75, 0.657, 2.783], -33225.6)
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, NamedTuple, Self

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._frames import (
    DateLike,
    TimeUnit,
    collect,
    epoch_day,
    renamed,
    to_caller,
    to_day_number,
    validated,
)
from crmanalytics._periods import check_period, period_of_day, with_timestamp_period
from crmanalytics.errors import DataQualityWarning, Problem, SchemaError
from crmanalytics.value import _bgbb_math as kernel
from crmanalytics.value._base import ModelBase, summary_time_unit
from crmanalytics.value._fitting import fit_log_params

__all__ = ["BetaGeoBetaBinomModel", "BetaGeoBetaBinomParams", "discrete_summary"]

Array = npt.NDArray[np.float64]
_NAMES = ["frequency", "recency", "n_periods"]
_TABLE = "discrete summary"
_FIX = "build the summary with crmanalytics.value.discrete_summary"
_ADVICE = (
    "Check that the summary has repeat transactions and several periods "
    "(n_periods > 1), or try a small penalizer (BetaGeoBetaBinomModel(penalizer=0.001))."
)


class BetaGeoBetaBinomParams(NamedTuple):
    """BG/BB parameters: transaction probability Beta(alpha, beta), dropout Beta(gamma, delta).

    Examples
    --------
    >>> from crmanalytics.value import BetaGeoBetaBinomParams
    >>> BetaGeoBetaBinomParams(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783).delta
    2.783
    """

    alpha: float
    beta: float
    gamma: float
    delta: float


def _check_discrete(cols: dict[str, Array]) -> None:
    """Raise a SchemaError listing every broken rule of a discrete summary."""
    x, t_x, n = cols["frequency"], cols["recency"], cols["n_periods"]
    problems: list[Problem] = []

    def rule(column: str, bad: npt.NDArray[np.bool_], text: str) -> None:
        if np.any(bad):
            examples = tuple(cols[column][bad][:5].tolist())
            problems.append(Problem(column, text, int(bad.sum()), examples, _FIX))

    for name, values in cols.items():
        if name in _NAMES:
            rule(
                name,
                ~np.isfinite(values) | (values < 0) | (values != np.round(values)),
                "must be a non-negative whole number",
            )
    with np.errstate(invalid="ignore"):
        rule("frequency", x > t_x, "must not exceed recency")
        rule("recency", t_x > n, "must not exceed n_periods")
        rule("recency", (x == 0) & (t_x != 0), "must be 0 where frequency is 0")
        rule("recency", (x > 0) & (t_x == 0), "must be > 0 where frequency is > 0")
    if problems:
        raise SchemaError(_TABLE, problems)


def _read(
    data: Any,
    columns: Mapping[str, str] | None,
    purpose: str,
    weights: str | None = None,
    *,
    distinct: bool,
) -> dict[str, Array]:
    needs = [*_NAMES, *([weights] if weights is not None else [])]
    frame = renamed(data, columns=columns, needs=needs, table=_TABLE, purpose=purpose)
    if distinct:
        weight = nw.len() if weights is None else nw.col(weights).sum()
        # sorted, so that every backend hands the optimiser the same rows in the same order
        eager = collect(frame.group_by(*_NAMES).agg(weight.alias("_weight"))).sort(*_NAMES)
    else:
        eager = collect(frame.select(*_NAMES))
    cols = {n: eager[n].to_numpy().astype(np.float64) for n in eager.columns}
    _check_discrete(cols)
    if distinct and weights is not None:
        w = cols["_weight"]
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise SchemaError(
                _TABLE, [Problem(weights, "weights must be finite and >= 0", 0, fix="repair them")]
            )
    return cols


def _periods_ahead(t: float, name: str = "t") -> int:
    value = float(t)
    if not np.isfinite(value) or value < 0 or value != round(value):
        raise ValueError(f"{name} must be a whole number of periods >= 0, got {t!r}")
    return int(value)


class BetaGeoBetaBinomModel(ModelBase):
    """BG/BB model: discrete-time purchase opportunities with an unobserved dropout.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty ``penalizer * (alpha**2 + beta**2 + gamma**2 + delta**2)`` added to
        the mean negative log-likelihood.

    Attributes
    ----------
    params_ : BetaGeoBetaBinomParams
        Maximum likelihood estimates.
    log_likelihood_ : float
        Log-likelihood at the estimates (without the penalty).
    n_customers_ : float
        Number of customers (sum of weights) fitted.

    Notes
    -----
    Horizons are in periods (transaction opportunities), whole numbers. The
    likelihood is a log-sum-exp of beta functions with an analytic gradient, fitted
    on the distinct ``(frequency, recency, n_periods)`` rows with counts. lifetimes'
    ``BetaGeoBetaBinomFitter`` is the oracle in the tests.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Shang, J. (2010). "Customer-base analysis in a
    discrete-time noncontractual setting." *Marketing Science* 29(6).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.value import BetaGeoBetaBinomModel, BetaGeoBetaBinomParams
    >>> m = BetaGeoBetaBinomModel.from_params(BetaGeoBetaBinomParams(1.204, 0.750, 0.657, 2.783))
    >>> donors = pd.DataFrame({"frequency": [0, 3, 6], "recency": [0, 3, 6], "n_periods": [6] * 3})
    >>> m.probability_alive(donors).round(3)
    array([0.116, 0.102, 1.   ])
    """

    params_type = BetaGeoBetaBinomParams
    model_name = "BG/BB"

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    def fit(
        self,
        data: Any,
        *,
        weights: str | None = None,
        time_unit: TimeUnit | None = None,
        columns: Mapping[str, str] | None = None,
    ) -> Self:
        """Estimate ``(alpha, beta, gamma, delta)`` by maximum likelihood.

        Parameters
        ----------
        data : dataframe
            Columns ``frequency``, ``recency`` and ``n_periods`` (any backend), one
            row per customer or, with ``weights``, per group of customers.
        weights : str, optional
            Name of a column counting how many customers each row stands for.
        time_unit : {"D", "W"}, optional
            Recorded in ``time_unit_`` when the period is a day or a week.
        columns : mapping of str to str, optional
            Expected name to the frame's name, e.g. ``{"n_periods": "periods"}``.

        Returns
        -------
        BetaGeoBetaBinomModel
            ``self``, fitted.

        Raises
        ------
        SchemaError
            When a column is missing or breaks a rule (``frequency <= recency <=
            n_periods``, whole numbers, recency 0 exactly when frequency is 0).
        ConvergenceError
            When the optimiser does not reach an optimum; the message says what to try.

        Examples
        --------
        >>> from lifetimes.datasets import load_donations
        >>> from crmanalytics.value import BetaGeoBetaBinomModel
        >>> model = BetaGeoBetaBinomModel().fit(
        ...     load_donations(), weights="weights", columns={"n_periods": "periods"})
        >>> model.n_customers_
        11104.0
        """
        cols = _read(data, columns, "BetaGeoBetaBinomModel.fit", weights, distinct=True)
        keep = cols["_weight"] > 0
        x, t_x, n, w = (cols[c][keep] for c in (*_NAMES, "_weight"))
        total = float(w.sum())
        if total <= 0:
            raise ValueError("cannot fit BetaGeoBetaBinomModel on an empty summary")
        if not np.any(x > 0) or not np.any(n > 0):
            raise ValueError(
                "cannot fit BetaGeoBetaBinomModel: no customer has a repeat transaction, so "
                "transaction and dropout probabilities are not identified"
            )

        def value_and_grad(lp: Array) -> tuple[float, Array]:
            return kernel.value_and_gradient(lp, x, t_x, n, w)

        result = fit_log_params(
            value_and_grad,
            [np.zeros(4), np.log([1.0, 1.0, 0.5, 3.0])],
            total_weight=total,
            penalizer=self.penalizer,
            model=self.model_name,
            advice=_ADVICE,
        )
        self._record_fit(result, total, summary_time_unit(data, time_unit))
        return self

    def _rows(self, data: Any, columns: Mapping[str, str] | None, purpose: str) -> dict[str, Array]:
        return _read(data, columns, f"BetaGeoBetaBinomModel.{purpose}", distinct=False)

    def probability_alive(
        self, data: Any, *, t: float = 0, columns: Mapping[str, str] | None = None
    ) -> Array:
        """P(alive at period ``n_periods + t``), given each customer's history.

        Parameters
        ----------
        data : dataframe
            Columns ``frequency``, ``recency``, ``n_periods``.
        t : int, default 0
            Periods ahead (lifetimes' ``m_periods_in_future``); 0 is the last period
            observed.
        columns : mapping of str to str, optional
            Expected name to the frame's name.

        Returns
        -------
        numpy.ndarray
            One probability per row.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmanalytics.value import BetaGeoBetaBinomModel, BetaGeoBetaBinomParams
        >>> m = BetaGeoBetaBinomModel.from_params(BetaGeoBetaBinomParams(1.204, 0.75, 0.657, 2.783))
        >>> one = pd.DataFrame({"frequency": [4], "recency": [5], "n_periods": [6]})
        >>> m.probability_alive(one, t=0).round(3), m.probability_alive(one, t=5).round(3)
        (array([0.749]), array([0.554]))
        """
        cols = self._rows(data, columns, "probability_alive")
        ahead = _periods_ahead(t)
        return kernel.probability_alive(
            self.param_array(), cols["frequency"], cols["recency"], cols["n_periods"], ahead
        )

    def expected_purchases(
        self, data: Any, t: float, *, columns: Mapping[str, str] | None = None
    ) -> Array:
        """Expected transactions in the next ``t`` periods, given each customer's history.

        Parameters
        ----------
        data : dataframe
            Columns ``frequency``, ``recency``, ``n_periods``.
        t : int
            Horizon in periods (transaction opportunities); a whole number (``3.0`` is
            accepted, ``2.5`` raises ``ValueError``).
        columns : mapping of str to str, optional
            Expected name to the frame's name.

        Returns
        -------
        numpy.ndarray
            One value per row.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmanalytics.value import BetaGeoBetaBinomModel, BetaGeoBetaBinomParams
        >>> m = BetaGeoBetaBinomModel.from_params(BetaGeoBetaBinomParams(1.204, 0.75, 0.657, 2.783))
        >>> donors = pd.DataFrame({"frequency": [0, 6], "recency": [0, 6], "n_periods": [6, 6]})
        >>> m.expected_purchases(donors, t=5).round(3)
        array([0.073, 3.752])
        """
        cols = self._rows(data, columns, "expected_purchases")
        return kernel.expected_purchases(
            self.param_array(),
            cols["frequency"],
            cols["recency"],
            cols["n_periods"],
            _periods_ahead(t),
        )

    def probability_of_purchases(
        self, data: Any, n: int, t: float, *, columns: Mapping[str, str] | None = None
    ) -> Array:
        """Probability of exactly ``n`` transactions in the next ``t`` periods.

        A row with no history (``frequency = recency = n_periods = 0``) gives the
        new-customer probability P(X(t) = n), equation (7) of the paper.

        Parameters
        ----------
        data : dataframe
            Columns ``frequency``, ``recency``, ``n_periods``.
        n : int
            Number of transactions (>= 0).
        t : int
            Horizon in periods.
        columns : mapping of str to str, optional
            Expected name to the frame's name.

        Returns
        -------
        numpy.ndarray
            One probability per row.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmanalytics.value import BetaGeoBetaBinomModel, BetaGeoBetaBinomParams
        >>> m = BetaGeoBetaBinomModel.from_params(BetaGeoBetaBinomParams(1.204, 0.75, 0.657, 2.783))
        >>> rows = pd.DataFrame({"frequency": [0, 6], "recency": [0, 6], "n_periods": [0, 6]})
        >>> m.probability_of_purchases(rows, 0, 6).round(3)
        array([0.311, 0.077])
        """
        count = _periods_ahead(n, "n")
        cols = self._rows(data, columns, "probability_of_purchases")
        return kernel.probability_of_purchases(
            self.param_array(),
            cols["frequency"],
            cols["recency"],
            cols["n_periods"],
            count=count,
            horizon=_periods_ahead(t),
        )

    def expected_purchases_new_customer(self, t: float | npt.ArrayLike) -> Array:
        """Expected transactions of a new customer in their first ``t`` periods after the first.

        Parameters
        ----------
        t : int or array-like of int
            Horizon(s) in periods.

        Returns
        -------
        numpy.ndarray
            One value per horizon.

        Examples
        --------
        >>> from crmanalytics.value import BetaGeoBetaBinomModel, BetaGeoBetaBinomParams
        >>> m = BetaGeoBetaBinomModel.from_params(BetaGeoBetaBinomParams(1.204, 0.75, 0.657, 2.783))
        >>> m.expected_purchases_new_customer([1, 6]).round(3)
        array([0.498, 2.22 ])
        """
        params = self.param_array()
        horizons = np.atleast_1d(np.asarray(t, dtype=np.float64))
        zero = np.zeros(1)
        return np.array(
            [
                kernel.expected_purchases(params, zero, zero, zero, _periods_ahead(h))[0]
                for h in horizons
            ]
        )


def discrete_summary(
    transactions: IntoFrameT,
    *,
    period: str = "Y",
    calibration_end: DateLike | None = None,
    columns: Mapping[str, str] | None = None,
) -> IntoFrameT:
    """Summarise transactions into the discrete-time (BG/BB) data, one row per customer.

    Each calendar period (``"D"``, ``"W"`` ISO week, ``"M"``, ``"Q"``, ``"Y"``) is one
    transaction opportunity, with or without transactions (several in a period count
    once). The first period with a transaction is the customer's first; then

    - ``n_periods``: periods after the first, up to the last period observed (the one
      holding ``calibration_end``, or the last transaction's when not given);
    - ``frequency``: how many of those periods hold a transaction;
    - ``recency``: the last such period, counted from the first (0 when none).

    Parameters
    ----------
    transactions : dataframe
        The transactions table (``customer_id``, ``timestamp``; any backend).
    period : {"Y", "Q", "M", "W", "D"}, default "Y"
        The period of one transaction opportunity.
    calibration_end : date-like, optional
        Last day to use; later transactions are left out, and customers whose first
        transaction is later are counted in a :class:`~crmanalytics.errors.DataQualityWarning`.
    columns : mapping of str to str, optional
        Canonical name to the caller's name, e.g. ``{"customer_id": "donor"}``.

    Returns
    -------
    dataframe
        ``customer_id``, ``frequency``, ``recency``, ``n_periods`` sorted by customer,
        in the caller's frame type (lazy in, lazy out).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.value import discrete_summary
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 2],
    ...                    "timestamp": pd.to_datetime(["2020-03-01", "2020-09-01",
    ...                                                 "2022-05-01", "2021-01-01"]),
    ...                    "amount": [20.0, 5.0, 10.0, 50.0]})
    >>> discrete_summary(tx, period="Y", calibration_end="2023-12-31")
       customer_id  frequency  recency  n_periods
    0            1          1        2          3
    1            2          0        0          2
    """
    chosen = check_period(period)
    frame: Any = validated(
        transactions, "transactions", columns=columns, purpose="discrete_summary"
    )
    frame = with_timestamp_period(frame, "timestamp", chosen, "_p")
    if calibration_end is not None:
        end_day = to_day_number(calibration_end)
        frame = frame.with_columns(epoch_day("timestamp", frame).alias("_day"))
        late = frame.group_by("customer_id").agg(nw.col("_day").min().alias("_first"))
        left_out = int(collect(late.filter(nw.col("_first") > end_day).select(nw.len())).item(0, 0))
        if left_out:
            warnings.warn(
                DataQualityWarning(
                    f"{left_out} customer{'s' if left_out != 1 else ''} made their first "
                    "transaction after calibration_end and are not in the summary"
                ),
                stacklevel=2,
            )
        frame = frame.filter(nw.col("_day") <= end_day)
        last = period_of_day(end_day, chosen)
    else:
        last = int(collect(frame.select(nw.col("_p").max())).item(0, 0))
    active = frame.select("customer_id", "_p").unique()
    per_customer = active.group_by("customer_id").agg(
        nw.col("_p").min().alias("_first"),
        nw.col("_p").max().alias("_last"),
        nw.len().alias("_count"),
    )
    result = per_customer.select(
        "customer_id",
        (nw.col("_count") - 1).cast(nw.Int64).alias("frequency"),
        (nw.col("_last") - nw.col("_first")).cast(nw.Int64).alias("recency"),
        (nw.lit(last) - nw.col("_first")).cast(nw.Int64).alias("n_periods"),
    ).sort("customer_id")
    return to_caller(result, transactions)
