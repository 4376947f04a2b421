"""Customer profiles: how groups of customers (region, age band, channel ...) differ.

:func:`profile` tabulates, for each value of one or more customer attributes, the
customers, their revenue, purchase frequency, order value, repeat rate and (with
interactions) NPS and complaint rate, each mean and rate with its confidence interval,
and tests whether the groups differ, with false-discovery-rate control across every
test of the table.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.segmentation import profile
>>> customers = pd.DataFrame({"customer_id": [1, 2, 3, 4], "region": ["n", "n", "s", "s"]})
>>> tx = pd.DataFrame({"customer_id": [1, 1, 3], "timestamp": pd.to_datetime(
...     ["2024-01-01", "2024-02-01", "2024-01-05"]), "amount": [10.0, 30.0, 5.0]})
>>> profile(tx, customers, by="region").table[["region", "customers", "revenue"]]
  region  customers  revenue
0      n          2     40.0
1      s          2      5.0
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt
import pandas as pd
from narwhals.stable.v2.typing import IntoFrameT
from scipy import stats

from crmanalytics._frames import AnyFrame, collect, epoch_day, to_caller, validated
from crmanalytics.errors import DataQualityWarning
from crmanalytics.feedback import _nps_kernel as nps_kernel
from crmanalytics.schema import NPS_KIND
from crmanalytics.segmentation import _profile_stats as kernel

__all__ = ["ProfileResult", "profile"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Bins = int | Sequence[float]

#: Quantile bins of a numeric attribute when ``bins`` is not given.
DEFAULT_BINS = 4
_COMPLAINT_KIND = "complaint"


@dataclass(frozen=True, eq=False)
class ProfileResult:
    """The profile table and the tests of whether the groups differ.

    Parameters
    ----------
    table : dataframe
        One row per group (value of an attribute), in the type of the
        ``transactions`` passed to :func:`profile`; see :func:`profile` for the
        columns.
    tests : dataframe
        One row per attribute and metric: ``attribute``, ``metric`` (the table column
        the test is about), ``test`` (``"kruskal-wallis"`` or ``"chi-square"``),
        ``statistic``, ``df`` (degrees of freedom), ``groups`` (groups compared),
        ``p_value``, ``q_value`` (Benjamini-Hochberg over every row of this table) and
        ``significant`` (``q_value <= fdr``).
    attributes : tuple of str
        The attributes profiled, in order.
    confidence : float
        Level of the intervals.
    fdr : float
        False-discovery rate controlled by ``significant``.

    Examples
    --------
    >>> from crmanalytics.datasets import simulate
    >>> from crmanalytics.segmentation import profile
    >>> data = simulate(1500, seed=3)
    >>> result = profile(data.transactions, data.customers, by="age_band")
    >>> result.tests[["metric", "test"]].iloc[0].tolist()
    ['mean_revenue', 'kruskal-wallis']
    >>> bool(result.tests.set_index("metric").loc["mean_revenue", "significant"])
    True
    """

    table: Any
    tests: Any
    attributes: tuple[str, ...]
    confidence: float = 0.95
    fdr: float = 0.05


def profile(
    transactions: IntoFrameT,
    customers: Any,
    *,
    by: str | Sequence[str],
    interactions: Any = None,
    bins: Bins | Mapping[str, Bins] | None = None,
    confidence: float = 0.95,
    fdr: float = 0.05,
    columns: Mapping[str, str] | None = None,
) -> ProfileResult:
    """Profile customers by one or more attributes: value, loyalty and satisfaction.

    Parameters
    ----------
    transactions : dataframe
        Canonical transactions (``customer_id``, ``timestamp``, ``amount``; optional
        ``transaction_id``), any backend.
    customers : dataframe
        Canonical customers with the ``by`` columns. Every customer in this table
        counts, with revenue 0 when they bought nothing.
    by : str or sequence of str
        Customer attribute(s) to profile (e.g. ``"region"``, ``["region",
        "acquisition_channel"]``). Numeric attributes are cut into bins.
    interactions : dataframe, optional
        Canonical interactions. When given, the table gains the NPS of the answers
        of kind ``"nps"`` (score 0-10) and the complaint rate (kind ``"complaint"``).
    bins : int, sequence of float or mapping, optional
        How numeric attributes are binned: an int ``k`` cuts at the ``k``-quantiles of
        the customers' values (default ``4``: quartiles; equal cut points merge), a
        sequence gives the bin edges; a mapping gives either per attribute.
    confidence : float, default 0.95
        Level of the intervals.
    fdr : float, default 0.05
        False-discovery rate for the ``significant`` flag of the tests.
    columns : mapping of str to str, optional
        Canonical name to your column name, applied to every table.

    Returns
    -------
    ProfileResult
        ``table`` and ``tests`` in the type of ``transactions`` (lazy in, lazy out).

        ``table`` has one row per group. With one attribute (``by`` a string or a
        one-element list) the group is in a column named after the attribute; with
        several, the table is in **long form**: an ``attribute`` column (its name) and
        a ``value`` column (the group, as text), attributes in the order given. Groups
        are ordered by value (bins in order); customers with a missing attribute form
        a group of their own (a null value), last. Columns:

        - ``customers``; ``share`` of all customers (Wilson interval);
        - ``buyers`` (customers with at least one order); ``buyer_rate`` (Wilson);
        - ``revenue`` (net ``amount``, returns included) and ``revenue_share``;
        - ``mean_revenue`` per customer (Student-t interval) and ``median_revenue``
          (distribution-free order-statistic interval);
        - ``purchase_frequency``: orders per customer (Student-t interval);
        - ``average_order_value``: revenue / orders, the ratio of the group's sums
          (linearisation interval with customers as units), so
          ``mean_revenue = purchase_frequency * average_order_value``;
        - ``repeat_rate``: share of buyers with two orders or more (Wilson);
        - with ``interactions``: ``nps_responses``, ``nps`` on -100..100 (the Wald
          interval of :func:`crmanalytics.feedback.nps`) and ``complaint_rate``, the
          share of the group's customers with at least one complaint (Wilson).

        Each interval is in ``<column>_low`` / ``<column>_high``; a bound is NaN when
        the group is too small for it. ``tests`` compares the groups of each attribute:
        Kruskal-Wallis on revenue per customer and on orders per customer, chi-square
        tests of independence on buyer rate, repeat rate, NPS class (promoter, passive,
        detractor) and complaint rate; see :class:`ProfileResult`.

    Raises
    ------
    SchemaError
        When a table breaks its schema or lacks a ``by`` column.
    ValueError
        For an empty ``by``, ``customer_id`` in ``by``, bad ``bins``, or a
        ``confidence`` or ``fdr`` outside (0, 1).

    Warns
    -----
    DataQualityWarning
        When transactions or interactions name customers missing from ``customers``:
        their rows are set aside (counted in the message).

    Notes
    -----
    An *order* is a distinct ``transaction_id`` among rows with ``amount > 0`` (a
    distinct purchase day when there is no ``transaction_id``), as in
    :func:`rfm_table`. The per-customer sums run in the caller's engine; the
    per-customer rows (one per customer) are then collected for the group statistics.
    The q-values control the false-discovery rate over every test of the table
    (Benjamini & Hochberg 1995), so profiling many attributes does not turn chance
    differences into findings.

    References
    ----------
    Wilson, E. B. (1927), "Probable inference, the law of succession, and statistical
    inference", *JASA* 22(158). Benjamini, Y. and Hochberg, Y. (1995), "Controlling the
    false discovery rate", *JRSS B* 57(1).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.segmentation import profile
    >>> customers = pd.DataFrame({"customer_id": [1, 2, 3, 4, 5, 6],
    ...                           "region": ["n", "n", "n", "s", "s", "s"],
    ...                           "age": [25, 31, 47, 52, 38, 61]})
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2, 4, 5, 5, 5],
    ...                    "timestamp": pd.to_datetime(["2024-01-01", "2024-02-01",
    ...                        "2024-01-03", "2024-01-04", "2024-01-05", "2024-03-01",
    ...                        "2024-04-01"]),
    ...                    "amount": [10.0, 20.0, 5.0, 40.0, 10.0, 10.0, 10.0]})
    >>> result = profile(tx, customers, by=["region", "age"], bins=2)
    >>> result.table[["attribute", "value", "customers", "mean_revenue", "repeat_rate"]]
      attribute       value  customers  mean_revenue  repeat_rate
    0    region           n          3     11.666667     0.500000
    1    region           s          3     23.333333     0.500000
    2       age  [25, 42.5)          3     21.666667     0.666667
    3       age  [42.5, 61]          3     13.333333     0.000000
    >>> result.tests[["attribute", "metric", "test"]].head(2)
      attribute              metric            test
    0    region        mean_revenue  kruskal-wallis
    1    region  purchase_frequency  kruskal-wallis
    """
    attributes = _attributes(by)
    kernel.z_value(confidence)
    if not 0.0 < fdr < 1.0:
        raise ValueError(f"fdr must be between 0 and 1 (exclusive), got {fdr!r}")
    tx = validated(transactions, "transactions", columns=columns, purpose="profile")
    cust = validated(
        customers, "customers", columns=columns, needs=list(attributes), purpose="profile"
    )
    table = collect(cust.select("customer_id", *attributes)).to_pandas()
    ids = pd.Index(table["customer_id"])
    per_customer = _purchases(tx, ids)
    feedback = None
    if interactions is not None:
        inter = validated(interactions, "interactions", columns=columns, purpose="profile")
        feedback = _feedback(inter, ids)
    rows: list[dict[str, Any]] = []
    tests: list[dict[str, Any]] = []
    for attribute in attributes:
        labels, codes = _groups(table[attribute], _bins_for(bins, attribute), attribute)
        group_rows = _group_rows(codes, len(labels), per_customer, feedback, confidence)
        for label, row in zip(labels, group_rows, strict=True):
            rows.append({"attribute": attribute, "value": label, **row})
        tests += _tests(attribute, codes, len(labels), per_customer, feedback)
    return ProfileResult(
        table=to_caller(_table_columns(rows, attributes), transactions),
        tests=to_caller(_test_columns(tests, fdr), transactions),
        attributes=attributes,
        confidence=confidence,
        fdr=fdr,
    )


def _attributes(by: str | Sequence[str]) -> tuple[str, ...]:
    names = (by,) if isinstance(by, str) else tuple(by)
    if not names or not all(isinstance(n, str) for n in names):
        raise ValueError(f"by must name one or more customer columns, got {by!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"by names a column twice: {list(names)}")
    if "customer_id" in names:
        raise ValueError("by cannot be customer_id: profile groups customers by an attribute")
    return names


def _bins_for(bins: Bins | Mapping[str, Bins] | None, attribute: str) -> Bins:
    chosen: Any = bins.get(attribute) if isinstance(bins, Mapping) else bins
    if chosen is None:
        return DEFAULT_BINS
    if isinstance(chosen, (bool, str)):
        raise ValueError(f"bins must be an int or a sequence of edges, got {chosen!r}")
    if isinstance(chosen, int | np.integer):
        if chosen < 1:
            raise ValueError(f"bins must be a positive number of quantile bins, got {chosen!r}")
        return int(chosen)
    edges = [float(e) for e in chosen]
    if len(edges) < 2 or any(b <= a for a, b in itertools.pairwise(edges)):
        raise ValueError(f"bin edges must be at least two increasing numbers, got {edges}")
    return edges


class _PerCustomer:
    """Revenue and orders of every customer of the customers table (0 when none)."""

    def __init__(self, revenue: FloatArray, orders: IntArray) -> None:
        self.revenue = revenue
        self.orders = orders


class _Feedback:
    """Per customer: complained at least once; promoter, passive, detractor answers."""

    def __init__(self, complained: npt.NDArray[np.bool_], classes: IntArray) -> None:
        self.complained = complained
        self.classes = classes  # (n_customers, 3)


def _positions(ids: pd.Index, values: npt.NDArray[Any], table: str) -> npt.NDArray[np.intp]:
    """Row of each id in the customers table; warn about (and mark -1) unknown ids."""
    where = np.asarray(ids.get_indexer(pd.Index(values)), dtype=np.intp)
    unknown = where < 0
    if unknown.any():
        examples = list(dict.fromkeys(values[unknown].tolist()))[:3]
        warnings.warn(
            DataQualityWarning(
                f"profile: {int(unknown.sum())} customers in {table} are not in the "
                f"customers table (e.g. {examples}); their rows are set aside"
            ),
            stacklevel=4,
        )
    return where


def _purchases(tx: AnyFrame, ids: pd.Index) -> _PerCustomer:
    """Net revenue and orders per customer, summed in the caller's engine."""
    names = tx.collect_schema().names()
    key = (
        nw.col("transaction_id")
        if "transaction_id" in names
        else epoch_day("timestamp", tx).alias("transaction_id")
    )
    revenue = collect(tx.group_by("customer_id").agg(nw.col("amount").sum().alias("revenue")))
    orders = collect(
        tx.filter(nw.col("amount") > 0)
        .select("customer_id", key)
        .group_by("customer_id")
        .agg(nw.col("transaction_id").n_unique().alias("orders"))
    )
    n = len(ids)
    out_revenue = np.zeros(n)
    out_orders = np.zeros(n, dtype=np.int64)
    where = _positions(ids, revenue["customer_id"].to_numpy(), "transactions")
    known = where >= 0
    out_revenue[where[known]] = revenue["revenue"].to_numpy().astype(np.float64)[known]
    where = np.asarray(ids.get_indexer(pd.Index(orders["customer_id"].to_numpy())), dtype=np.intp)
    known = where >= 0
    out_orders[where[known]] = orders["orders"].to_numpy().astype(np.int64)[known]
    return _PerCustomer(out_revenue, out_orders)


def _feedback(inter: AnyFrame, ids: pd.Index) -> _Feedback:
    """Complaints and NPS classes per customer, counted in the caller's engine."""
    score = nw.col("score")
    is_nps = (nw.col("kind") == NPS_KIND) & ~score.is_null()
    flags = {
        "_complaints": nw.col("kind") == _COMPLAINT_KIND,
        "_pro": is_nps & (score >= 9),
        "_pas": is_nps & (score >= 7) & (score < 9),
        "_det": is_nps & (score < 7),
    }
    names = inter.collect_schema().names()
    frame = (
        inter if "score" in names else inter.with_columns(nw.lit(None, nw.Float64).alias("score"))
    )
    counted = collect(
        frame.with_columns(
            **{name: expr.fill_null(value=False).cast(nw.Int64) for name, expr in flags.items()}
        )
        .group_by("customer_id")
        .agg(nw.col(*flags).sum())
    )
    n = len(ids)
    where = _positions(ids, counted["customer_id"].to_numpy(), "interactions")
    known = where >= 0
    complained = np.zeros(n, dtype=bool)
    complained[where[known]] = counted["_complaints"].to_numpy()[known] > 0
    classes = np.zeros((n, 3), dtype=np.int64)
    for j, name in enumerate(("_pro", "_pas", "_det")):
        classes[where[known], j] = counted[name].to_numpy().astype(np.int64)[known]
    return _Feedback(complained, classes)


def _is_numeric(values: pd.Series[Any]) -> bool:
    return bool(
        pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values)
    )


def _edge_text(value: float) -> str:
    return f"{value:g}"


def _groups(values: pd.Series[Any], bins: Bins, attribute: str) -> tuple[list[Any], IntArray]:
    """Group labels (missing last, as None) and each customer's group code."""
    missing = np.asarray(values.isna(), dtype=bool)
    if _is_numeric(values):
        labels, codes = _binned(values.to_numpy(dtype=np.float64, na_value=np.nan), bins)
    else:
        present = values[~missing]
        try:
            uniques = sorted(set(present.tolist()))
        except TypeError:  # values that do not sort
            uniques = list(dict.fromkeys(present.tolist()))
        lookup = {v: i for i, v in enumerate(uniques)}
        codes = np.full(values.size, -1, dtype=np.int64)
        codes[~missing] = [lookup[v] for v in present.tolist()]
        labels = list(uniques)
    if missing.any():
        codes[missing] = len(labels)
        labels.append(None)
    if not labels:
        raise ValueError(f"profile: the customers table has no rows to group by {attribute!r}")
    return labels, codes


def _binned(values: FloatArray, bins: Bins) -> tuple[list[Any], IntArray]:
    known = ~np.isnan(values)
    codes = np.full(values.size, -1, dtype=np.int64)
    if not known.any():
        return [], codes
    if isinstance(bins, int):
        edges = np.unique(np.quantile(values[known], np.linspace(0.0, 1.0, bins + 1)))
    else:
        edges = np.asarray(bins, dtype=np.float64)
    if edges.size == 1:
        codes[known] = 0
        return [f"[{_edge_text(edges[0])}, {_edge_text(edges[0])}]"], codes
    inside = known & (values >= edges[0]) & (values <= edges[-1])
    codes[inside] = np.searchsorted(edges[1:-1], values[inside], side="right")
    labels: list[Any] = [
        f"[{_edge_text(lo)}, {_edge_text(hi)}{']' if i == edges.size - 2 else ')'}"
        for i, (lo, hi) in enumerate(itertools.pairwise(edges))
    ]
    outside = known & ~inside
    if outside.any():  # given edges that miss some values: one group of their own
        codes[outside] = len(labels)
        labels.append(f"outside [{_edge_text(edges[0])}, {_edge_text(edges[-1])}]")
    return labels, codes


def _triple(name: str, estimate: tuple[float, float, float]) -> dict[str, float]:
    value, low, high = estimate
    return {name: value, f"{name}_low": low, f"{name}_high": high}


def _group_rows(
    codes: IntArray,
    n_groups: int,
    per: _PerCustomer,
    feedback: _Feedback | None,
    confidence: float,
) -> list[dict[str, Any]]:
    n_total = codes.size
    total_revenue = float(per.revenue.sum())
    rows: list[dict[str, Any]] = []
    for g in range(n_groups):
        member = codes == g
        revenue, orders = per.revenue[member], per.orders[member]
        n = int(member.sum())
        buyers = int((orders > 0).sum())
        row: dict[str, Any] = {"customers": n}
        row |= _triple("share", kernel.wilson(n, n_total, confidence))
        row["buyers"] = buyers
        row |= _triple("buyer_rate", kernel.wilson(buyers, n, confidence))
        row["revenue"] = float(revenue.sum())
        row["revenue_share"] = row["revenue"] / total_revenue if total_revenue else math.nan
        row |= _triple("mean_revenue", kernel.mean_t(revenue, confidence))
        row |= _triple("median_revenue", kernel.median_order(revenue, confidence))
        row |= _triple("purchase_frequency", kernel.mean_t(orders.astype(np.float64), confidence))
        row |= _triple(
            "average_order_value",
            kernel.ratio_t(revenue, orders.astype(np.float64), confidence),
        )
        repeat = int((orders >= 2).sum())
        row |= _triple("repeat_rate", kernel.wilson(repeat, buyers, confidence))
        if feedback is not None:
            row |= _feedback_row(feedback, member, confidence)
        rows.append(row)
    return rows


def _feedback_row(
    feedback: _Feedback, member: npt.NDArray[np.bool_], confidence: float
) -> dict[str, Any]:
    pro, pas, det = (int(x) for x in feedback.classes[member].sum(axis=0))
    row: dict[str, Any] = {"nps_responses": pro + pas + det}
    if pro + pas + det:
        wald = nps_kernel.wald([pro], [pas], [det], nps_kernel.z_value(confidence))
        row |= _triple("nps", (float(wald.estimate[0]), float(wald.low[0]), float(wald.high[0])))
    else:
        row |= _triple("nps", (math.nan, math.nan, math.nan))
    complaints = int(feedback.complained[member].sum())
    row |= _triple("complaint_rate", kernel.wilson(complaints, int(member.sum()), confidence))
    return row


def _kruskal(samples: list[FloatArray]) -> tuple[float, float, float, int]:
    groups = [s for s in samples if s.size]
    if len(groups) < 2:
        return math.nan, math.nan, math.nan, len(groups)
    try:
        result = stats.kruskal(*groups)
    except ValueError:  # every value identical: no evidence of a difference
        return math.nan, float(len(groups) - 1), math.nan, len(groups)
    return float(result.statistic), float(len(groups) - 1), float(result.pvalue), len(groups)


def _chi_square(counts: npt.NDArray[np.int64]) -> tuple[float, float, float, int]:
    """Chi-square test of independence of a groups x outcomes table (empty rows dropped)."""
    table = counts[counts.sum(axis=1) > 0]
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return math.nan, math.nan, math.nan, int(table.shape[0])
    result = stats.chi2_contingency(table, correction=False)
    return float(result.statistic), float(result.dof), float(result.pvalue), int(table.shape[0])


def _tests(
    attribute: str,
    codes: IntArray,
    n_groups: int,
    per: _PerCustomer,
    feedback: _Feedback | None,
) -> list[dict[str, Any]]:
    members = [codes == g for g in range(n_groups)]
    orders = per.orders
    found: list[tuple[str, str, tuple[float, float, float, int]]] = [
        ("mean_revenue", "kruskal-wallis", _kruskal([per.revenue[m] for m in members])),
        (
            "purchase_frequency",
            "kruskal-wallis",
            _kruskal([orders[m].astype(np.float64) for m in members]),
        ),
        (
            "buyer_rate",
            "chi-square",
            _chi_square(
                np.array([[(orders[m] > 0).sum(), (orders[m] == 0).sum()] for m in members])
            ),
        ),
        (
            "repeat_rate",
            "chi-square",
            _chi_square(
                np.array([[(orders[m] >= 2).sum(), (orders[m] == 1).sum()] for m in members])
            ),
        ),
    ]
    if feedback is not None:
        classes = np.array([feedback.classes[m].sum(axis=0) for m in members]).reshape(-1, 3)
        complained = feedback.complained
        found += [
            ("nps", "chi-square", _chi_square(classes)),
            (
                "complaint_rate",
                "chi-square",
                _chi_square(
                    np.array([[complained[m].sum(), (~complained[m]).sum()] for m in members])
                ),
            ),
        ]
    return [
        {
            "attribute": attribute,
            "metric": metric,
            "test": test,
            "statistic": statistic,
            "df": df,
            "groups": groups,
            "p_value": p_value,
        }
        for metric, test, (statistic, df, p_value, groups) in found
    ]


def _table_columns(rows: list[dict[str, Any]], attributes: tuple[str, ...]) -> dict[str, Any]:
    names = [k for k in rows[0] if k not in ("attribute", "value")]
    out: dict[str, Any] = {}
    if len(attributes) == 1:
        values = [r["value"] for r in rows]
        out[attributes[0]] = _column(values)
    else:
        out["attribute"] = [r["attribute"] for r in rows]
        out["value"] = _column([None if r["value"] is None else str(r["value"]) for r in rows])
    for name in names:
        values = [r[name] for r in rows]
        dtype = np.int64 if name in ("customers", "buyers", "nps_responses") else np.float64
        out[name] = np.asarray(values, dtype=dtype)
    return out


def _column(values: list[Any]) -> Any:
    """Group labels as an array numpy and the backends read (text with missing as None)."""
    if any(v is None for v in values) or not values:
        array = np.empty(len(values), dtype=object)
        array[:] = values
        return array
    return np.asarray(values)


def _test_columns(tests: list[dict[str, Any]], fdr: float) -> dict[str, Any]:
    p_values = np.array([t["p_value"] for t in tests], dtype=np.float64)
    q_values = kernel.benjamini_hochberg(p_values)
    return {
        "attribute": np.asarray([t["attribute"] for t in tests]),
        "metric": np.asarray([t["metric"] for t in tests]),
        "test": np.asarray([t["test"] for t in tests]),
        "statistic": np.array([t["statistic"] for t in tests], dtype=np.float64),
        "df": np.array([t["df"] for t in tests], dtype=np.float64),
        "groups": np.array([t["groups"] for t in tests], dtype=np.int64),
        "p_value": p_values,
        "q_value": q_values,
        "significant": np.asarray(q_values <= fdr),
    }
