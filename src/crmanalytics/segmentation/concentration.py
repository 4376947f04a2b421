"""How concentrated is revenue? Lorenz curve, Gini coefficient, top-share.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.segmentation import concentration
>>> rfm = pd.DataFrame({"customer_id": [1, 2, 3, 4], "monetary": [10.0, 10.0, 20.0, 60.0]})
>>> result = concentration(rfm)
>>> result.gini, result.share_of_top(0.25)
(0.4, 0.6)
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt
from narwhals.stable.v2.typing import IntoFrame

from crmanalytics._checks import check_fraction, renamed_numeric
from crmanalytics._frames import collect, from_native, validated
from crmanalytics.errors import DataQualityWarning
from crmanalytics.segmentation import _lorenz

__all__ = ["Concentration", "concentration"]


@dataclass(frozen=True, eq=False)
class Concentration:
    """Concentration of a per-customer value (revenue, CLV ...).

    Parameters
    ----------
    population_share : numpy.ndarray
        Lorenz curve x: cumulative share of customers, from 0 to 1 (``n + 1``
        points), customers ordered from the smallest value up.
    value_share : numpy.ndarray
        Lorenz curve y: cumulative share of the total value at each point.
    gini : float
        Gini coefficient in ``[0, 1 - 1/n]``: 0 when every customer has the same
        value, near 1 when one customer has it all.
    n_customers : int
        Customers counted (net refunders included, as zero).
    total : float
        Sum of the (clipped) values.
    n_negative : int
        Customers whose negative value was counted as zero.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.segmentation import concentration
    >>> result = concentration(pd.DataFrame({"monetary": [1.0, 1.0, 1.0, 1.0]}))
    >>> result.gini, result.n_customers
    (0.0, 4)
    """

    population_share: npt.NDArray[np.float64]
    value_share: npt.NDArray[np.float64]
    gini: float
    n_customers: int
    total: float
    n_negative: int

    def share_of_top(self, fraction: float) -> float:
        """Share of the total held by the top ``fraction`` of customers.

        Parameters
        ----------
        fraction : float
            In ``[0, 1]``; 0.2 asks "how much do the best 20 % of customers bring?".

        Returns
        -------
        float
            In ``[0, 1]``. Read off the Lorenz curve with linear interpolation, so
            a fraction ending inside one customer counts that customer pro rata.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmanalytics.segmentation import concentration
        >>> result = concentration(pd.DataFrame({"monetary": [2.0, 2.0, 2.0, 14.0]}))
        >>> result.share_of_top(0.25)
        0.7
        """
        check_fraction(fraction, "fraction")
        return _lorenz.top_share(self.population_share, self.value_share, fraction)

    def fraction_for_share(self, share: float) -> float:
        """Smallest top fraction of customers that holds ``share`` of the total.

        The inverse of :meth:`share_of_top`: ``fraction_for_share(0.8)`` answers
        "what share of customers brings 80 % of revenue?".

        Parameters
        ----------
        share : float
            In ``[0, 1]``.

        Returns
        -------
        float
            In ``[0, 1]``.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmanalytics.segmentation import concentration
        >>> result = concentration(pd.DataFrame({"monetary": [2.0, 2.0, 2.0, 14.0]}))
        >>> result.fraction_for_share(0.7)
        0.25
        """
        check_fraction(share, "share")
        return _lorenz.inverse_top_share(self.population_share, self.value_share, share)


def concentration(
    frame: IntoFrame, *, columns: Mapping[str, str] | None = None, column: str | None = None
) -> Concentration:
    """Lorenz curve, Gini coefficient and top-customer shares of a value.

    Parameters
    ----------
    frame : dataframe
        Either one row per customer with a value column (the output of
        :func:`rfm_table`, a CLV table ...), or canonical transactions, which are
        summed per customer (net spend).
    columns : mapping of str to str, optional
        Canonical (or expected) name to your column name: for transactions, e.g.
        ``{"customer_id": "CustomerID", "amount": "spend"}``; for a per-customer
        table, ``{"monetary": "spend"}`` reads ``spend`` as the value.
    column : str, optional
        The per-customer value column. Default: ``"monetary"`` when the frame has
        it (or ``columns`` maps it), otherwise the frame is read as transactions
        and ``amount`` is summed by ``customer_id``.

    Returns
    -------
    Concentration

    Raises
    ------
    ValueError
        When there are no customers, or no positive value at all.
    SchemaError
        When the value column (or, for transactions, a canonical column) is missing.

    Warns
    -----
    DataQualityWarning
        When some customers have a negative value (net refunders): each is counted
        as a customer with value 0, since a Lorenz curve and the Gini coefficient
        are only defined for non-negative values. The warning gives the count and
        the net amount set aside.

    Notes
    -----
    The per-customer aggregation runs in the caller's engine; the per-customer
    values (one number per customer) are then collected to numpy. Null values are
    counted as 0 (no revenue).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.segmentation import concentration
    >>> tx = pd.DataFrame(
    ...     {
    ...         "customer_id": [1, 1, 2, 3],
    ...         "timestamp": pd.to_datetime(["2024-01-01"] * 4),
    ...         "amount": [40.0, 40.0, 10.0, 10.0],
    ...     }
    ... )
    >>> result = concentration(tx)
    >>> round(result.share_of_top(1 / 3), 2), round(result.fraction_for_share(0.8), 3)
    (0.8, 0.333)
    """
    mapping = dict(columns or {})
    if column is None and ("monetary" in mapping or "monetary" in from_native(frame).columns):
        column = "monetary"
    if column is None:
        tx = validated(frame, "transactions", columns=mapping, purpose="concentration")
        per_customer = tx.group_by("customer_id").agg(nw.col("amount").sum().alias("_value"))
        value_frame = per_customer.select("_value")
    else:
        per_value = renamed_numeric(
            frame,
            columns=mapping,
            needs=[column],
            numeric=[column],
            table="values",
            purpose="concentration",
            fix="pass column= naming a numeric per-customer value column",
        )
        value_frame = per_value.select(nw.col(column).alias("_value"))
    values = collect(value_frame)["_value"].to_numpy().astype(np.float64)
    values = np.where(np.isnan(values), 0.0, values)
    if values.size == 0:
        raise ValueError("concentration needs at least one customer; the frame is empty")
    negative = values < 0
    n_negative = int(negative.sum())
    if n_negative:
        warnings.warn(
            DataQualityWarning(
                f"{n_negative} customers have a negative net value (net refunders, total "
                f"{values[negative].sum():.2f}); they are counted as customers with value 0"
            ),
            stacklevel=2,
        )
        values = np.where(negative, 0.0, values)
    total = float(values.sum())
    if not total > 0:
        raise ValueError(
            "concentration needs a positive total value; every customer's value is zero or negative"
        )
    population_share, value_share = _lorenz.lorenz(values)
    return Concentration(
        population_share=population_share,
        value_share=value_share,
        gini=_lorenz.gini(values),
        n_customers=int(values.size),
        total=total,
        n_negative=n_negative,
    )
