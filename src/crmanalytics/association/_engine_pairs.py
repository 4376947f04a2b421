"""Counting sequential pairs inside the caller's engine (internal).

The counterpart of the numpy kernel in ``_pairs`` for data that should not leave its
engine (PySpark on a cluster): a self-join of the pruned ``(customer, item, day)``
events on the customer, kept where ``A != B`` and the lag lies in the window, reduced to
each customer's shortest lag per ``(A, B)`` and then to a histogram: customers per
``(A, B, lag)``, for the pairs that reach the minimum count. Only that histogram (at most
rules x distinct lags rows) and the buyer count per item are collected; counts, lag
sums and exact median lags per pair are read off the histogram with numpy.

The join is pruned as the kernel is (see :func:`shortest_lags`): each purchase meets at
most one purchase of each earlier item, not every purchase of the customer. It is
partitioned by customer, so a cluster spreads it over its executors; on one machine the
kernel is still many times faster, which is why ``sequential_rules`` uses it there by
default.
"""

from __future__ import annotations

from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd

from crmanalytics._frames import AnyFrame, collect

__all__ = [
    "ANTECEDENT",
    "BUYERS_A",
    "BUYERS_B",
    "CONSEQUENT",
    "COUNT",
    "LAG",
    "LAG_MEDIAN",
    "LAG_SUM",
    "PAIR_CUSTOMERS",
    "frequent_histogram",
    "join",
    "pair_counts_in_engine",
    "per_pair",
]

ANTECEDENT, CONSEQUENT = "__crm_a", "__crm_b"
PAIR_CUSTOMERS, LAG_SUM, LAG_MEDIAN = "__crm_n_ab", "__crm_lag_sum", "__crm_lag_median"
BUYERS_A, BUYERS_B = "__crm_n_a", "__crm_n_b"
_DAY_A, _DAY_B = "__crm_day_a", "__crm_day_b"
LAG, COUNT = "__crm_lag", "__crm_count"


def join(left: AnyFrame, right: AnyFrame, on: str | list[str]) -> AnyFrame:
    """Inner join of two frames of the same engine (eager with eager, lazy with lazy)."""
    if isinstance(left, nw.LazyFrame) and isinstance(right, nw.LazyFrame):
        return left.join(right, on=on, how="inner")
    if isinstance(left, nw.DataFrame) and isinstance(right, nw.DataFrame):
        return left.join(right, on=on, how="inner")
    raise TypeError("cannot join an eager frame with a lazy one")  # pragma: no cover


def pair_counts_in_engine(
    events: AnyFrame,
    buyers: AnyFrame,
    *,
    customer: str,
    item: str,
    day: str,
    n_buyers: str,
    min_gap: int,
    max_gap: int | None,
    min_count: int,
) -> nw.DataFrame[Any]:
    """Per ordered item pair with at least ``min_count`` supporting customers, collected.

    ``events`` holds distinct ``(customer, item, day)`` rows of the frequent items only;
    ``buyers`` holds ``(item, n_buyers)`` for those items. The result has the columns
    ``ANTECEDENT``, ``CONSEQUENT`` (item values), ``PAIR_CUSTOMERS``, ``LAG_SUM``,
    ``LAG_MEDIAN`` (of each supporting customer's shortest lag), ``BUYERS_A`` and
    ``BUYERS_B``.
    """
    # one row per (A, B, shortest lag) with its number of customers: engines' medians
    # differ (PyArrow's is approximate), so the exact median is taken from this histogram
    histogram = collect(
        frequent_histogram(
            shortest_lags(
                events, customer=customer, item=item, day=day, min_gap=min_gap, max_gap=max_gap
            ),
            [ANTECEDENT, CONSEQUENT],
            lag=LAG,
            count=None,
            min_count=min_count,
        )
    )
    return per_pair(histogram, collect(buyers.select(item, n_buyers)), item, n_buyers)


def frequent_histogram(
    rows: AnyFrame, keys: list[str], *, lag: str, count: str | None, min_count: int
) -> AnyFrame:
    """Customers per ``(*keys, lag)``, for the keys with ``min_count`` customers in all.

    ``rows`` holds one row per customer (``count=None``) or a partial count of
    customers in the column ``count``. The result has the columns ``keys``, ``lag`` and
    ``COUNT`` (both 64-bit integers).
    """
    tally = nw.len() if count is None else nw.col(count).sum()
    return (
        rows.group_by(*keys, lag)
        .agg(tally.alias(COUNT))
        .with_columns(nw.col(COUNT).sum().over(*keys).alias(PAIR_CUSTOMERS))
        .filter(nw.col(PAIR_CUSTOMERS) >= min_count)
        .select(*keys, nw.col(lag).cast(nw.Int64), nw.col(COUNT).cast(nw.Int64))
    )


def shortest_lags(
    events: AnyFrame, *, customer: str, item: str, day: str, min_gap: int, max_gap: int | None
) -> AnyFrame:
    """Each customer's shortest qualifying lag per ordered item pair, in the engine.

    ``events`` holds distinct ``(customer, item, day)`` rows. The result has one row per
    supporting ``(customer, ANTECEDENT, CONSEQUENT)`` with its shortest lag ``LAG``.

    A plain self-join on the customer pairs every purchase with every other purchase of
    the customer (about 200 million rows on Online Retail for 36,000 events of its
    heaviest customer alone). The join here is pruned first, as the numpy kernel is:

    1. the customer's distinct purchase days are paired with their later days inside
       the window (a small table: customers buy on few distinct days);
    2. for each item A and each such later day ``t``, only the *latest* purchase of A
       with ``min_gap <= t - d_a <= max_gap`` matters (it gives every purchase on
       ``t`` its shortest lag from A): one group-by keeps it;
    3. only then are the purchases of ``t`` joined in, on ``(customer, t)``.

    Step 3 pairs each purchase with at most one purchase of each earlier item, so the
    rows aggregated are the kernel's candidate pairs, not the customer's squared events.
    """
    days = events.group_by(customer, day).agg(nw.len().alias(COUNT)).select(customer, day)
    window = nw.col(_DAY_B) - nw.col(day) >= min_gap
    if max_gap is not None:
        window = window & (nw.col(_DAY_B) - nw.col(day) <= max_gap)
    day_pairs = join(days, days.select(customer, nw.col(day).alias(_DAY_B)), customer).filter(
        window
    )
    latest = (
        join(
            events.select(customer, nw.col(item).alias(ANTECEDENT), day), day_pairs, [customer, day]
        )
        .group_by(customer, ANTECEDENT, _DAY_B)
        .agg(nw.col(day).max().alias(_DAY_A))
    )
    then = events.select(customer, nw.col(item).alias(CONSEQUENT), nw.col(day).alias(_DAY_B))
    return (
        join(latest, then, [customer, _DAY_B])
        .filter(nw.col(ANTECEDENT) != nw.col(CONSEQUENT))
        .with_columns((nw.col(_DAY_B) - nw.col(_DAY_A)).alias(LAG))
        .group_by(customer, ANTECEDENT, CONSEQUENT)
        .agg(nw.col(LAG).min())
    )


def per_pair(
    histogram: nw.DataFrame[Any], buyers: nw.DataFrame[Any], item: str, n_buyers: str
) -> nw.DataFrame[Any]:
    """Customers, lag sum and exact median lag per pair from its lag histogram."""
    a_values, b_values = histogram[ANTECEDENT], histogram[CONSEQUENT]
    codes = pd.factorize(np.concatenate([a_values.to_numpy(), b_values.to_numpy()]))[0]
    pair = codes[: len(histogram)] * (int(codes.max(initial=0)) + 1) + codes[len(histogram) :]
    lags = histogram[LAG].to_numpy().astype(np.int64)
    order = np.lexsort((lags, pair))
    pair, lags = pair[order], lags[order]
    counts = histogram[COUNT].to_numpy().astype(np.int64)[order]
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]]) if pair.size else pair
    total = np.add.reduceat(counts, starts) if pair.size else counts
    lag_sum = np.add.reduceat(counts * lags, starts) if pair.size else counts
    # the k-th smallest lag of a pair: the row where its running count passes k
    running = np.cumsum(counts)
    before = running[starts] - counts[starts]
    low = lags[np.searchsorted(running, before + (total - 1) // 2, side="right")]
    high = lags[np.searchsorted(running, before + total // 2, side="right")]
    first_rows = order[starts]
    lookup = pd.Index(buyers[item].to_numpy())
    n_buyers_of = buyers[n_buyers].to_numpy().astype(np.int64)
    backend = histogram.implementation
    numbers = {
        PAIR_CUSTOMERS: total,
        LAG_SUM: lag_sum,
        LAG_MEDIAN: (low + high) / 2.0,
        BUYERS_A: n_buyers_of[lookup.get_indexer(pd.Index(a_values.to_numpy()[first_rows]))],
        BUYERS_B: n_buyers_of[lookup.get_indexer(pd.Index(b_values.to_numpy()[first_rows]))],
    }
    return nw.from_dict(
        {
            ANTECEDENT: a_values[first_rows],
            CONSEQUENT: b_values[first_rows],
            **{name: nw.new_series(name, v, backend=backend) for name, v in numbers.items()},
        },
        backend=backend,
    )
