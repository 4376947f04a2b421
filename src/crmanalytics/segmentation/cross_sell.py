"""Cross-sell candidates: what a customer's preference segment buys and they do not.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.segmentation import cross_sell_candidates
>>> tx = pd.DataFrame({"customer_id": [1, 1, 2], "category": ["tea", "pot", "tea"],
...                    "timestamp": pd.to_datetime(["2024-01-01"] * 3),
...                    "amount": [3.0, 20.0, 4.0]})
>>> segments = pd.DataFrame({"customer_id": [1, 2], "segment": [1, 1]})
>>> cross_sell_candidates(tx, segments=segments)
   customer_id  segment  rank category  share  lift
0            2        1     1      pot    0.5   1.0
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._frames import collect, renamed, to_caller, validated
from crmanalytics.errors import DataQualityWarning
from crmanalytics.segmentation._baskets import baskets, codes_of
from crmanalytics.segmentation.preferences import PreferenceSegments

__all__ = ["cross_sell_candidates"]


def cross_sell_candidates(
    transactions: IntoFrameT,
    *,
    segments: PreferenceSegments | Any,
    by: str = "category",
    top_n: int = 3,
    rank_by: Literal["share", "lift"] = "share",
    columns: Mapping[str, str] | None = None,
) -> IntoFrameT:
    """Per customer, the categories their segment buys and they do not, ranked.

    Parameters
    ----------
    transactions : dataframe
        Canonical transactions with the ``by`` column, any backend.
    segments : PreferenceSegments or dataframe
        The result of :func:`preference_segments`, or any frame with ``customer_id``
        and ``segment`` columns (one row per customer).
    by : str, default "category"
        The category column.
    top_n : int, default 3
        Candidates per customer at most.
    rank_by : {"share", "lift"}, default "share"
        Rank by the share of the segment's customers who buy the category, or by
        that share's lift over the share among all segmented customers.
    columns : mapping of str to str, optional
        Canonical name to your column name.

    Returns
    -------
    dataframe
        In the type of ``transactions`` (lazy in, lazy out): ``customer_id``,
        ``segment``, ``rank`` (1 = best), the ``by`` column, ``share`` (of the
        segment's customers buying it) and ``lift`` (``share`` / share of all
        segmented customers buying it); sorted by customer and rank. Only categories
        some customer of the segment bought are candidates; customers with none have
        no rows.

    Raises
    ------
    SchemaError
        When ``transactions`` lacks a column or ``segments`` lacks ``customer_id`` or
        ``segment``.
    ValueError
        For ``top_n < 1`` or an unknown ``rank_by``.

    Warns
    -----
    DataQualityWarning
        When purchase rows are set aside (``amount <= 0`` or no ``by`` value), and
        when customers who bought are not in ``segments`` (they get no candidates).

    Notes
    -----
    Ties are broken by the other measure (lift or share), then by category (sorted).
    Agreement with :func:`crmanalytics.association.next_best_items`: give every
    customer's history one extra item standing for their segment, and turn the
    segments into rules "segment -> category" with ``confidence = share`` and
    ``lift`` as here (listed in category order). Then ``next_best_items(history,
    rules, k=top_n, item=by)`` recommends exactly these candidates in this order
    (with ``by="lift"`` there, for ``rank_by="lift"`` here): a segment is an
    antecedent every member has, and a category's confidence is the share of the
    segment buying it. With one segment covering everyone this is "the most popular
    categories the customer has not bought". The test suite checks this.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.segmentation import cross_sell_candidates
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 2, 3, 4],
    ...     "timestamp": pd.to_datetime(["2024-01-01"] * 6),
    ...     "amount": [5.0, 8.0, 4.0, 9.0, 6.0, 30.0],
    ...     "category": ["tea", "cup", "tea", "pot", "tea", "wine"],
    ... })
    >>> segments = pd.DataFrame({"customer_id": [1, 2, 3, 4], "segment": [1, 1, 1, 2]})
    >>> cross_sell_candidates(tx, segments=segments, top_n=2)
       customer_id  segment  rank category     share      lift
    0            1        1     1      pot  0.333333  1.333333
    1            2        1     1      cup  0.333333  1.333333
    2            3        1     1      cup  0.333333  1.333333
    3            3        1     2      pot  0.333333  1.333333
    """
    given: Any = top_n
    if isinstance(given, bool) or not isinstance(given, int | np.integer) or given < 1:
        raise ValueError(f"top_n must be a positive integer, got {top_n!r}")
    if rank_by not in ("share", "lift"):
        raise ValueError(f"rank_by must be 'share' or 'lift', got {rank_by!r}")
    tx = validated(
        transactions, "transactions", columns=columns, needs=[by], purpose="cross_sell_candidates"
    )
    assignment = segments.assignments if isinstance(segments, PreferenceSegments) else segments
    seg_frame = collect(
        renamed(
            assignment,
            columns=None,
            needs=["customer_id", "segment"],
            table="segments",
            purpose="cross_sell_candidates",
        ).select("customer_id", "segment")
    ).sort("customer_id")
    table = baskets(tx, by, purpose="cross_sell_candidates")
    where = pd.Index(seg_frame["customer_id"].to_numpy()).get_indexer(
        pd.Index(table.customer_ids.to_numpy())
    )
    unknown = int((where < 0).sum())
    if unknown:
        warnings.warn(
            DataQualityWarning(
                f"cross_sell_candidates: {unknown} customers who bought are not in segments; "
                "they get no candidates"
            ),
            stacklevel=2,
        )
    seg_codes, seg_values = codes_of(seg_frame["segment"].to_numpy())
    bought = np.zeros((len(seg_frame), len(table.categories)), dtype=bool)
    bought[where[where >= 0]] = table.spend[where >= 0] > 0
    share, lift = _shares(bought, seg_codes, len(seg_values))
    customer, rank, category = _rank(bought, seg_codes, share, lift, rank_by=rank_by, top_n=top_n)
    seg_of = seg_codes[customer]
    return to_caller(
        {
            "customer_id": seg_frame["customer_id"][customer.tolist()],
            "segment": seg_frame["segment"][customer.tolist()],
            "rank": rank,
            by: table.category_series[category.tolist()],
            "share": share[seg_of, category],
            "lift": lift[seg_of, category],
        },
        transactions,
    )


def _shares(
    bought: npt.NDArray[np.bool_], segment: npt.NDArray[np.intp], n_segments: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Share of each segment's customers buying each category, and its lift."""
    members = np.bincount(segment, minlength=n_segments).astype(np.float64)
    buyers = np.zeros((n_segments, bought.shape[1]))
    np.add.at(buyers, segment, bought.astype(np.float64))
    share = buyers / members[:, None]
    base = bought.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = np.where(base > 0, share / base, np.nan)
    return share, lift


def _rank(
    bought: npt.NDArray[np.bool_],
    segment: npt.NDArray[np.intp],
    share: npt.NDArray[np.float64],
    lift: npt.NDArray[np.float64],
    *,
    rank_by: str,
    top_n: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Top-n unbought categories per customer (customers in ``segments`` order)."""
    customer, category = np.nonzero(~bought & (share[segment] > 0))
    first, second = (share, lift) if rank_by == "share" else (lift, share)
    key1 = first[segment[customer], category]
    key2 = second[segment[customer], category]
    order = np.lexsort((category, -key2, -key1, customer))
    customer, category = customer[order], category[order]
    new = np.ones(customer.size, dtype=bool)
    new[1:] = customer[1:] != customer[:-1]
    start = np.maximum.accumulate(np.where(new, np.arange(customer.size), 0))
    rank = np.arange(customer.size) - start + 1
    keep = rank <= top_n
    return (
        customer[keep].astype(np.int64),
        rank[keep].astype(np.int64),
        category[keep].astype(np.int64),
    )
