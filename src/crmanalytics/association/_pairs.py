"""Counting kernel for sequential (A then B) rules (internal, numpy only).

The input is one row per distinct ``(customer, item, day)`` purchase, already pruned to
the items that can take part in a frequent rule. For every customer and ordered pair of
distinct items ``(a, b)`` the kernel finds the *shortest qualifying lag*

    ``min { d_b - d_a : a bought on d_a, b bought on d_b, min_gap <= d_b - d_a <= max_gap }``

and then aggregates over customers: how many customers have a qualifying lag for the pair
(the rule's count of supporting customers), and the sum and median of their shortest lags.

Algorithm
---------
1. Sort the events by ``(customer, day)``. For an ``a``-purchase on day ``d`` only the
   latest ``a``-purchase on or before ``t - min_gap`` matters for a ``b``-purchase on day
   ``t`` (it gives that ``b`` its shortest lag). An ``a``-purchase is that latest one for
   ``t`` in ``[d + min_gap, min(d + max_gap, d_next + min_gap - 1)]``, where ``d_next`` is
   the customer's next purchase day of ``a``. Those ``b``-purchases are a contiguous run of
   the sorted events, found with two binary searches; repeated purchases of ``a`` are
   never paired twice with the same ``b``-purchase.
2. Every customer owns a dense ``I x I`` block of the minimum-lag table (``I`` = the
   customer's number of distinct items). The candidate pairs of a chunk of customers are
   generated vectorised and reduced into the blocks with ``np.minimum.at``; customers
   are independent, so work and memory grow linearly with the number of customers and
   chunks bound the peak. A customer whose block alone would be too big is reduced by
   sorting instead.
3. The non-empty block cells are the supporting ``(customer, a, b)`` triples; counts and
   lag sums per pair come from ``np.bincount`` (or a sort when the item count is large),
   medians from a sort of the lags of the pairs that reach ``min_count``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["PairStats", "lag_histogram", "sequential_pair_stats", "supporting_triples"]

IntArray = npt.NDArray[np.int64]
Ints = npt.NDArray[np.signedinteger[Any]]
FloatArray = npt.NDArray[np.float64]

_NO_LAG = np.iinfo(np.int32).max
#: Largest number of candidate pairs generated at once (bounds peak memory).
_PAIR_CHUNK = 4_000_000
#: Largest minimum-lag block (cells) reduced at once.
_BLOCK_CHUNK = 8_000_000
#: Largest ``n_items ** 2`` for which pairs are counted in a dense array.
_DENSE_CODES = 1 << 24


@dataclass(frozen=True)
class PairStats:
    """Per-pair aggregates of the shortest qualifying lags (internal result).

    Attributes
    ----------
    antecedent, consequent : ndarray of int64
        Item codes of the pairs that reach ``min_count`` supporting customers, sorted by
        ``(antecedent, consequent)``.
    customers : ndarray of int64
        Supporting customers per pair.
    lag_sum : ndarray of int64
        Sum over supporting customers of their shortest qualifying lag (days).
    lag_median : ndarray of float64
        Median of those lags (mean of the two middle values for an even count).
    """

    antecedent: IntArray
    consequent: IntArray
    customers: IntArray
    lag_sum: IntArray
    lag_median: FloatArray


def sequential_pair_stats(
    customer: npt.ArrayLike,
    item: npt.ArrayLike,
    day: npt.ArrayLike,
    *,
    n_items: int,
    min_gap: int,
    max_gap: int | None,
    min_count: int = 1,
    block_chunk: int = _BLOCK_CHUNK,
    pair_chunk: int = _PAIR_CHUNK,
) -> PairStats:
    """Count, per ordered item pair, the customers with a qualifying lag.

    Parameters
    ----------
    customer : array of int
        Customer code of each event (any integers).
    item : array of int
        Item code of each event, in ``[0, n_items)``.
    day : array of int
        Day number of each event. Duplicate ``(customer, item, day)`` rows are allowed
        and count once.
    n_items : int
        Number of item codes.
    min_gap, max_gap : int
        Bounds on ``d_b - d_a`` in days (inclusive); ``max_gap=None`` means no bound.
    min_count : int
        Pairs with fewer supporting customers are left out.
    block_chunk, pair_chunk : int
        Working-set limits (cells of the minimum-lag blocks, candidate pairs); they
        change memory use and speed, never the result.

    Returns
    -------
    PairStats

    Examples
    --------
    >>> from crmanalytics.association._pairs import sequential_pair_stats
    >>> s = sequential_pair_stats([1, 1, 2, 2], [0, 1, 0, 1], [0, 3, 0, 5],
    ...                           n_items=2, min_gap=1, max_gap=None)
    >>> s.antecedent.tolist(), s.consequent.tolist(), s.customers.tolist()
    ([0], [1], [2])
    >>> s.lag_median.tolist()
    [4.0]
    """
    codes, lags = supporting_triples(
        customer,
        item,
        day,
        n_items=n_items,
        min_gap=min_gap,
        max_gap=max_gap,
        block_chunk=block_chunk,
        pair_chunk=pair_chunk,
    )
    return _aggregate(codes, lags, n_items, min_count)


def supporting_triples(
    customer: npt.ArrayLike,
    item: npt.ArrayLike,
    day: npt.ArrayLike,
    *,
    n_items: int,
    min_gap: int,
    max_gap: int | None,
    block_chunk: int = _BLOCK_CHUNK,
    pair_chunk: int = _PAIR_CHUNK,
) -> tuple[Ints, Ints]:
    """Every supporting ``(customer, a, b)``: its pair code and shortest qualifying lag.

    The first two steps of :func:`sequential_pair_stats` (same parameters), before
    customers are summed over: one entry per customer with a qualifying lag for the
    ordered pair ``(a, b)``, the pair coded ``a * n_items + b``. Customers are
    independent, so the triples of a set of customers split into disjoint batches are
    the union of the batches' triples (what counting in Spark's executors relies on).

    Examples
    --------
    >>> from crmanalytics.association._pairs import supporting_triples
    >>> codes, lags = supporting_triples([1, 1, 2, 2], [0, 1, 0, 1], [0, 3, 0, 5],
    ...                                  n_items=2, min_gap=1, max_gap=None)
    >>> codes.tolist(), lags.tolist()
    ([1, 1], [3, 5])
    """
    cust = np.asarray(customer, dtype=np.int64)
    items = np.asarray(item, dtype=np.int64)
    days = np.asarray(day, dtype=np.int64)
    if not (cust.shape == items.shape == days.shape) or cust.ndim != 1:
        raise ValueError("customer, item and day must be 1-d arrays of equal length")
    if min_gap < 0 or (max_gap is not None and max_gap < min_gap):
        raise ValueError("need 0 <= min_gap <= max_gap")
    if items.size and (items.min() < 0 or items.max() >= n_items):
        raise ValueError("item codes must lie in [0, n_items)")
    if cust.size == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z.copy()

    ev = _events(cust, items, days)
    span = int(ev.day.max())
    gap_max = span if max_gap is None else min(int(max_gap), span)
    return _supporting_triples(
        ev,
        n_items,
        min_gap=min_gap,
        max_gap=gap_max,
        block_chunk=block_chunk,
        pair_chunk=pair_chunk,
    )


def lag_histogram(codes: Ints, lags: Ints) -> tuple[IntArray, IntArray, IntArray]:
    """Supporting customers per ``(pair code, lag)``, from :func:`supporting_triples`.

    Returns the distinct ``(code, lag)`` in ascending order and their counts: a form
    that adds up across disjoint sets of customers, medians included.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.association._pairs import lag_histogram
    >>> code, lag, n = lag_histogram(np.array([5, 1, 5, 5]), np.array([2, 4, 2, 3]))
    >>> code.tolist(), lag.tolist(), n.tolist()
    ([1, 5, 5], [4, 2, 3], [1, 2, 1])
    """
    if codes.size == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z.copy(), z.copy()
    base = int(lags.max()) + 1
    keys, counts = np.unique(codes.astype(np.int64) * base + lags, return_counts=True)
    return keys // base, keys % base, counts.astype(np.int64)


def _empty() -> PairStats:
    z = np.zeros(0, dtype=np.int64)
    return PairStats(z, z.copy(), z.copy(), z.copy(), np.zeros(0, dtype=np.float64))


@dataclass(frozen=True)
class _Events:
    """Distinct events in (customer, day) order, with per-customer item numbering."""

    customer: IntArray  # dense customer code 0..n_customers-1
    day: IntArray  # day, rebased so the first day is 0
    local: IntArray  # item number within its customer, 0..n_local-1
    next_day: IntArray  # the customer's next purchase day of the same item (or far future)
    n_local: IntArray  # per customer: number of distinct items
    first_group: IntArray  # per customer: index of its first (customer, item) group
    group_item: IntArray  # per (customer, item) group: the item code


def _events(cust: IntArray, items: IntArray, days: IntArray) -> _Events:
    order = np.lexsort((days, items, cust))
    cs, its, ds = cust[order], items[order], days[order]
    keep = np.ones(cs.size, dtype=bool)
    keep[1:] = (cs[1:] != cs[:-1]) | (its[1:] != its[:-1]) | (ds[1:] != ds[:-1])
    cs, its, ds = cs[keep], its[keep], ds[keep]
    ds = ds - ds.min()

    new_cust = np.ones(cs.size, dtype=bool)
    new_cust[1:] = cs[1:] != cs[:-1]
    new_group = new_cust.copy()
    new_group[1:] |= its[1:] != its[:-1]
    cdense = np.cumsum(new_cust) - 1
    group = np.cumsum(new_group) - 1
    first_group = group[new_cust]
    n_local = np.diff(np.append(first_group, group[-1] + 1))
    local = group - first_group[cdense]

    far = np.int64(ds.max()) * 4 + 4  # beyond any window end
    nxt = np.full(cs.size, far, dtype=np.int64)
    same = ~new_group[1:]
    nxt[:-1][same] = ds[1:][same]

    by_day = np.lexsort((ds, cdense))
    return _Events(
        customer=cdense[by_day],
        day=ds[by_day],
        local=local[by_day],
        next_day=nxt[by_day],
        n_local=n_local,
        first_group=first_group,
        group_item=its[new_group],
    )


def _supporting_triples(
    ev: _Events,
    n_items: int,
    *,
    min_gap: int,
    max_gap: int,
    block_chunk: int,
    pair_chunk: int,
) -> tuple[Ints, Ints]:
    """Codes ``a * n_items + b`` and shortest lags of every supporting (customer, a, b)."""
    c, d = ev.customer, ev.day
    if max_gap < min_gap:
        z = np.zeros(0, dtype=np.int64)
        return z, z.copy()
    # One sorted key per event; K leaves room so a window never reaches the next customer.
    k = int(d.max()) + max_gap + min_gap + 2
    key = c * k + d
    lo = np.searchsorted(key, key + min_gap, side="left")
    end_day = np.minimum(d + max_gap, ev.next_day + min_gap - 1)
    hi = np.searchsorted(key, c * k + end_day, side="right")
    n_pairs = np.maximum(hi - lo, 0)

    # Chunk boundaries at customer starts, bounding pairs and block cells per chunk.
    n_cust = ev.n_local.size
    cust_start = np.searchsorted(c, np.arange(n_cust + 1), side="left")
    pairs_per_cust = np.add.reduceat(n_pairs, cust_start[:-1]) if c.size else n_pairs
    cells_per_cust = ev.n_local * ev.n_local
    out_codes: list[Ints] = []
    out_lags: list[Ints] = []
    for c0, c1 in _chunks(pairs_per_cust, cells_per_cust, pair_chunk, block_chunk):
        e0, e1 = int(cust_start[c0]), int(cust_start[c1])
        codes, lags = _chunk_triples(
            ev,
            lo[e0:e1],
            n_pairs[e0:e1],
            first_event=e0,
            customers=(c0, c1),
            n_items=n_items,
            block_chunk=block_chunk,
        )
        out_codes.append(codes)
        out_lags.append(lags)
    if not out_codes:
        z = np.zeros(0, dtype=np.int64)
        return z, z.copy()
    return np.concatenate(out_codes), np.concatenate(out_lags)


def _chunks(
    pairs: IntArray, cells: IntArray, pair_chunk: int, block_chunk: int
) -> list[tuple[int, int]]:
    """Split customers 0..n into consecutive runs within both limits (one at least)."""
    out: list[tuple[int, int]] = []
    n = pairs.size
    start = 0
    cum_p = np.concatenate(([0], np.cumsum(pairs)))
    cum_c = np.concatenate(([0], np.cumsum(cells)))
    while start < n:
        stop_p = np.searchsorted(cum_p, cum_p[start] + pair_chunk, side="right") - 1
        stop_c = np.searchsorted(cum_c, cum_c[start] + block_chunk, side="right") - 1
        stop = max(int(min(stop_p, stop_c)), start + 1)
        out.append((start, stop))
        start = stop
    return out


def _chunk_triples(
    ev: _Events,
    lo: IntArray,
    n_pairs: IntArray,
    *,
    first_event: int,
    customers: tuple[int, int],
    n_items: int,
    block_chunk: int,
) -> tuple[Ints, Ints]:
    """Supporting triples of customers ``c0..c1-1`` (their events start at ``first_event``)."""
    e0 = first_event
    c0, c1 = customers
    total = int(n_pairs.sum())
    if total == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z.copy()
    e1 = e0 + n_pairs.size
    size = ev.n_local[c0:c1]
    offset = np.concatenate(([0], np.cumsum(size * size)))
    big = offset[-1] > block_chunk
    idx: type[np.signedinteger[Any]] = (
        np.int64 if big or offset[-1] >= np.iinfo(np.int32).max else np.int32
    )
    # Per a-event: where its row of the customer's block starts, and its day.
    cust = ev.customer[e0:e1] - c0
    row = (offset[cust] + ev.local[e0:e1] * size[cust]).astype(idx)
    day = ev.day.astype(np.int32)
    # Candidate pairs (i, j): i an a-event, j a b-event in i's window.
    starts = np.cumsum(n_pairs) - n_pairs
    j: npt.NDArray[np.signedinteger[Any]] = np.arange(total, dtype=idx)
    j += np.repeat((lo - starts).astype(idx), n_pairs)
    cell = np.repeat(row, n_pairs)
    cell += ev.local[j].astype(idx)
    lag = day[j]
    del j
    lag -= np.repeat(day[e0:e1], n_pairs)
    if not big:
        block = np.full(int(offset[-1]), _NO_LAG, dtype=np.int32)
        np.minimum.at(block, cell, lag)
        del cell, lag
        cells = np.flatnonzero(block != _NO_LAG)
        best = block[cells]
        del block
    else:  # a single very large customer: reduce by sorting instead
        order = np.lexsort((lag, cell))
        cell, lag = cell[order], lag[order]
        first = np.ones(cell.size, dtype=bool)
        first[1:] = cell[1:] != cell[:-1]
        cells, best = cell[first].astype(np.int64), lag[first]
    # Cells are sorted, so each customer's cells are one run: no per-cell search.
    bounds = np.searchsorted(cells, offset)
    owner = np.repeat(np.arange(c1 - c0), np.diff(bounds))
    rest = (cells - offset[owner]).astype(idx)
    w = size[owner].astype(idx)
    group0 = ev.first_group[c0 + owner].astype(idx)
    del owner
    la, lb = np.divmod(rest, w)
    del rest, w
    off_diagonal = la != lb  # an item followed by itself is not a rule
    code_type = np.int32 if n_items * n_items < np.iinfo(np.int32).max else np.int64
    items = ev.group_item.astype(code_type)
    codes = items[group0 + la]
    codes *= n_items
    codes += items[group0 + lb]
    return codes[off_diagonal], best[off_diagonal]


def _aggregate(codes: Ints, lags: Ints, n_items: int, min_count: int) -> PairStats:
    """Per-pair count, lag sum and median, for pairs with at least ``min_count``."""
    if codes.size == 0:
        return _empty()
    if n_items * n_items <= _DENSE_CODES:
        counts_all = np.bincount(codes, minlength=n_items * n_items)
        uniq = np.flatnonzero(counts_all >= max(min_count, 1))
        counts = counts_all[uniq]
        keep = counts_all[codes] >= max(min_count, 1)
    else:
        uniq_all, inverse, counts_all = np.unique(codes, return_inverse=True, return_counts=True)
        sel = counts_all >= max(min_count, 1)
        uniq, counts = uniq_all[sel], counts_all[sel]
        keep = sel[inverse]
    if uniq.size == 0:
        return _empty()
    uniq = uniq.astype(np.int64)
    codes, lags = codes[keep], lags[keep]
    base = int(lags.max()) + 1
    lags = np.sort(codes.astype(np.int64) * base + lags) % base  # grouped by code, lags ascending
    start = np.concatenate(([0], np.cumsum(counts)[:-1]))
    lag_sum = np.add.reduceat(lags, start)
    median = (lags[start + (counts - 1) // 2] + lags[start + counts // 2]) / 2.0
    return PairStats(
        antecedent=uniq // n_items,
        consequent=uniq % n_items,
        customers=counts.astype(np.int64),
        lag_sum=lag_sum.astype(np.int64),
        lag_median=median.astype(np.float64),
    )
