"""What each customer buys, as a customer x category table (internal).

Shared by :func:`~crmanalytics.segmentation.preference_segments` and
:func:`~crmanalytics.segmentation.cross_sell_candidates`: the purchase rows (``amount >
0`` with a category) are summed per customer and category in the caller's engine, then
the per-(customer, category) rows are collected into a dense matrix.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt
import pandas as pd

from crmanalytics._frames import AnyFrame, collect, epoch_day
from crmanalytics.errors import DataQualityWarning

__all__ = ["Baskets", "baskets", "codes_of"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Baskets:
    """Spend and lines per customer (rows) and category (columns); orders per customer.

    ``customers`` and ``categories`` are sorted (in first-seen order when they do not
    sort); ``customer_ids`` holds the ids as collected (a narwhals Series) so results
    keep the caller's id type.
    """

    customer_ids: nw.Series[Any]
    categories: list[Any]
    category_series: nw.Series[Any]
    spend: FloatArray
    lines: FloatArray
    units: FloatArray
    orders: FloatArray

    @property
    def shares(self) -> FloatArray:
        """Each customer's spend share per category (rows sum to 1)."""
        total = self.spend.sum(axis=1, keepdims=True)
        return self.spend / np.where(total > 0, total, 1.0)


def codes_of(values: npt.NDArray[Any]) -> tuple[npt.NDArray[np.intp], list[Any]]:
    """Codes into the sorted unique values (first-seen order when they do not sort).

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.segmentation._baskets import codes_of
    >>> codes, uniques = codes_of(np.array(["b", "a", "b"], dtype=object))
    >>> codes.tolist(), uniques
    ([1, 0, 1], ['a', 'b'])
    """
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:
        codes, uniques = pd.factorize(values)
    return np.asarray(codes, dtype=np.intp), list(uniques)


def baskets(tx: AnyFrame, by: str, *, purpose: str) -> Baskets:
    """Collect what every customer bought, by ``by`` (purchase rows only).

    Rows with ``amount <= 0`` (returns, free lines) or a missing ``by`` value are set
    aside and counted in a :class:`DataQualityWarning`.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import from_native
    >>> from crmanalytics.segmentation._baskets import baskets
    >>> tx = from_native(pd.DataFrame({"customer_id": [1, 1, 2], "category": ["a", "b", "a"],
    ...     "amount": [1.0, 3.0, 2.0], "timestamp": pd.to_datetime(["2024-01-01"] * 3)}))
    >>> baskets(tx, "category", purpose="example").shares.tolist()
    [[0.25, 0.75], [1.0, 0.0]]
    """
    names = tx.collect_schema().names()
    keep = (nw.col("amount") > 0) & ~nw.col(by).is_null()
    aside = collect(tx.select((~keep).cast(nw.Int64).sum().alias("n")))["n"].to_list()[0]
    if aside:
        warnings.warn(
            DataQualityWarning(
                f"{purpose}: {int(aside)} transaction rows with amount <= 0 (returns, free "
                f"lines) or no {by!r} are set aside; preferences are read from purchases"
            ),
            stacklevel=3,
        )
    bought = tx.filter(keep)
    units = nw.col("quantity").abs() if "quantity" in names else nw.lit(1.0)
    per_cell = collect(
        bought.with_columns(units.cast(nw.Float64).alias("_units"))
        .group_by("customer_id", by)
        .agg(
            nw.col("amount").sum().alias("_spend"),
            nw.len().alias("_lines"),
            nw.col("_units").sum().alias("_units"),
        )
    )
    key = (
        nw.col("transaction_id")
        if "transaction_id" in names
        else epoch_day("timestamp", tx).alias("transaction_id")
    )
    orders = collect(
        bought.select("customer_id", key)
        .group_by("customer_id")
        .agg(nw.col("transaction_id").n_unique().alias("_orders"))
    )
    cust_codes, _ = codes_of(per_cell["customer_id"].to_numpy())
    cat_codes, categories = codes_of(per_cell[by].to_numpy())
    first_customer = _first_rows(cust_codes)
    first_category = _first_rows(cat_codes)
    shape = (first_customer.size, len(categories))
    spend, lines, units_m = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    spend[cust_codes, cat_codes] = per_cell["_spend"].to_numpy().astype(np.float64)
    lines[cust_codes, cat_codes] = per_cell["_lines"].to_numpy().astype(np.float64)
    units_m[cust_codes, cat_codes] = per_cell["_units"].to_numpy().astype(np.float64)
    customer_ids = per_cell["customer_id"][first_customer.tolist()]
    where = pd.Index(customer_ids.to_numpy()).get_indexer(orders["customer_id"].to_numpy())
    order_counts = np.zeros(shape[0])
    order_counts[where] = orders["_orders"].to_numpy().astype(np.float64)
    return Baskets(
        customer_ids=customer_ids,
        categories=categories,
        category_series=per_cell[by][first_category.tolist()],
        spend=spend,
        lines=lines,
        units=units_m,
        orders=order_counts,
    )


def _first_rows(codes: npt.NDArray[np.intp]) -> npt.NDArray[np.int64]:
    """Row of the first occurrence of each code ``0..max``."""
    if codes.size == 0:
        return np.zeros(0, dtype=np.int64)
    _, first = np.unique(codes, return_index=True)
    return first.astype(np.int64)
