"""Counting sequential pairs in Spark's executors with the numpy kernel (internal).

On PySpark, ``sequential_rules(counting="engine")`` does not self-join the events in
Spark SQL (:mod:`._engine_pairs`): it runs the numpy kernel of :mod:`._pairs` inside
the executors, one task per customer bucket, and sums the tasks' partial counts in
Spark. Only small tables reach the driver: the frequent items, the candidate pairs and
the lag histogram of the pairs that reach the minimum count.

1. The distinct ``(customer, item, day)`` events are hash-partitioned by customer into
   ``B`` buckets (``repartition(B, customer)``), so no customer straddles two buckets
   and every customer's supporting pairs are found inside one task.
2. *Candidates.* Each task runs :func:`~._pairs.supporting_triples` on its customers
   and returns the pairs that at least ``ceil(min_count / B)`` of them support. A pair
   that ``min_count`` customers support in all has at least ``min_count / B`` of them
   in some bucket, so no rule is lost; the candidates are few (a pair needs a fair
   share of support in one bucket) and are collected.
3. *Histogram.* Each task runs the kernel again and returns, for the candidate pairs
   only, its customers per ``(pair, shortest lag)`` (:func:`~._pairs.lag_histogram`).
   Spark sums these partial histograms per ``(pair, lag)``, keeps the pairs whose total
   reaches ``min_count`` and only that histogram is collected; counts, lag sums and
   exact medians per pair are read off it as on the SQL path.

Partial counts add up exactly because customers never straddle buckets, so the result
is identical to counting locally. The executors need ``crmanalytics`` importable (the
tasks call its kernel).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt
import pandas as pd

from crmanalytics._frames import collect
from crmanalytics.association._engine_pairs import (
    ANTECEDENT,
    CONSEQUENT,
    COUNT,
    LAG,
    frequent_histogram,
    per_pair,
)
from crmanalytics.association._pairs import lag_histogram, supporting_triples

__all__ = ["bucket_count", "executors_lack_modules", "pair_counts_in_buckets"]

_CODE = "__crm_code"
#: Customers per bucket above which more buckets than cores are used (bounds a task's
#: memory: the kernel holds its bucket's events and supporting triples).
_CUSTOMERS_PER_BUCKET = 250_000


def bucket_count(parallelism: int, n_customers: int) -> int:
    """Buckets for ``n_customers``: one per core, more when buckets would be large.

    Few buckets keep the candidate threshold ``ceil(min_count / B)`` high (fewer
    candidates); ``_CUSTOMERS_PER_BUCKET`` bounds a task's working set.

    Examples
    --------
    >>> from crmanalytics.association._spark_pairs import bucket_count
    >>> bucket_count(2, 4_339), bucket_count(8, 10_000_000)
    (2, 40)
    """
    return max(parallelism, math.ceil(n_customers / _CUSTOMERS_PER_BUCKET), 1)


def executors_lack_modules(error: BaseException) -> bool:
    """Whether a failed Spark job failed because a Python worker could not import.

    Examples
    --------
    >>> from crmanalytics.association._spark_pairs import executors_lack_modules
    >>> executors_lack_modules(RuntimeError("ModuleNotFoundError: No module named 'numpy'"))
    True
    """
    text = str(error)
    return "ModuleNotFoundError" in text or "No module named" in text


def pair_counts_in_buckets(
    events: nw.LazyFrame[Any],
    *,
    customer: str,
    item: str,
    day: str,
    n_buyers: str,
    min_gap: int,
    max_gap: int | None,
    min_count: int,
    n_customers: int,
) -> nw.DataFrame[Any]:
    """The per-pair table of ``pair_counts_in_engine``, counted in Spark's executors.

    ``events`` is a PySpark frame of distinct ``(customer, item, day)`` rows of the
    frequent items; the buyers per item (column ``n_buyers``) are counted from them.
    """
    from pyspark import StorageLevel

    native = nw.to_native(events).select(customer, item, day)
    session = native.sparkSession
    try:
        parallelism = int(session.sparkContext.defaultParallelism)
    except Exception:  # Spark Connect has no SparkContext  # pragma: no cover
        parallelism = int(session.conf.get("spark.sql.shuffle.partitions", "2"))
    buckets = bucket_count(parallelism, n_customers)
    # three passes read the bucketed events: computed once, kept by the executors
    # (spilled to their disks when memory is short) until the counts are in
    spread = native.repartition(buckets, customer).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        return _count(
            spread,
            item=item,
            n_buyers=n_buyers,
            columns=(customer, item, day),
            buckets=buckets,
            min_gap=min_gap,
            max_gap=max_gap,
            min_count=min_count,
        )
    finally:
        spread.unpersist()


def _count(
    spread: Any,
    *,
    item: str,
    n_buyers: str,
    columns: tuple[str, str, str],
    buckets: int,
    min_gap: int,
    max_gap: int | None,
    min_count: int,
) -> nw.DataFrame[Any]:
    """The passes over the persisted, bucketed events (see the module's docstring)."""
    customer = columns[0]
    # the buyers per item, read off the bucketed events (the items are all frequent)
    known = collect(
        nw.from_native(spread).group_by(item).agg(nw.col(customer).n_unique().alias(n_buyers))
    )
    items = known[item].to_numpy()
    task = functools.partial(
        _bucket_task, items=items, columns=columns, min_gap=min_gap, max_gap=max_gap
    )
    candidates: npt.NDArray[np.int64] | None = None
    threshold = math.ceil(min_count / buckets)
    if threshold > 1:  # otherwise every supported pair is a candidate
        found = spread.mapInArrow(functools.partial(task, threshold=threshold), f"{_CODE} long")
        candidates = np.unique(collect(nw.from_native(found))[_CODE].to_numpy().astype(np.int64))
    partial = spread.mapInArrow(
        functools.partial(task, candidates=candidates),
        f"{_CODE} long, {LAG} long, {COUNT} long",
    )
    histogram = collect(
        frequent_histogram(
            nw.from_native(partial), [_CODE], lag=LAG, count=COUNT, min_count=min_count
        )
    )
    codes = histogram[_CODE].to_numpy().astype(np.int64)
    a, b = np.divmod(codes, max(items.size, 1))
    pairs = {ANTECEDENT: known[item][a], CONSEQUENT: known[item][b]}
    named = nw.from_dict(
        {
            **{name: values.alias(name) for name, values in pairs.items()},
            LAG: histogram[LAG],
            COUNT: histogram[COUNT],
        },
        backend=histogram.implementation,
    )
    return per_pair(named, known, item, n_buyers)


def _bucket_task(
    batches: Iterator[Any],
    *,
    items: npt.NDArray[Any],
    columns: tuple[str, str, str],
    min_gap: int,
    max_gap: int | None,
    threshold: int | None = None,
    candidates: npt.NDArray[np.int64] | None = None,
) -> Iterator[Any]:
    """One Spark task: the kernel on one bucket's customers (runs in an executor).

    With ``threshold``: the pair codes at least ``threshold`` of the bucket's customers
    support. Otherwise: the bucket's lag histogram, of the ``candidates`` only when
    given.
    """
    import pyarrow as pa

    received = list(batches)
    if not received:  # an empty bucket
        return
    table = pa.Table.from_batches(received)
    customer, item, day = (table.column(c).to_numpy() for c in columns)
    del table
    code = pd.Index(items).get_indexer(item)
    if candidates is not None:
        # a pair's shortest lags depend on its two items' purchases only: the events
        # of items in no candidate pair are dropped before pairing
        involved = np.zeros(items.size, dtype=bool)
        involved[candidates // items.size] = involved[candidates % items.size] = True
        customer, code, day = customer[involved[code]], code[involved[code]], day[involved[code]]
    codes, lags = supporting_triples(
        pd.factorize(customer)[0], code, day, n_items=items.size, min_gap=min_gap, max_gap=max_gap
    )
    if threshold is not None:
        found, counts = np.unique(codes, return_counts=True)
        yield pa.RecordBatch.from_arrays(
            [pa.array(found[counts >= threshold].astype(np.int64))], names=[_CODE]
        )
        return
    if candidates is not None:
        keep = np.isin(codes, candidates)
        codes, lags = codes[keep], lags[keep]
    pair, lag, count = lag_histogram(codes, lags)
    yield pa.RecordBatch.from_arrays(
        [pa.array(pair), pa.array(lag), pa.array(count)], names=[_CODE, LAG, COUNT]
    )
