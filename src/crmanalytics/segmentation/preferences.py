"""Needs-based segments: customers clustered on what they buy.

:func:`preference_segments` describes every customer by the share of their spend in
each category (optionally with their price level and basket size), clusters these
profiles with scikit-learn (k-means or a Gaussian mixture), chooses the number of
segments by a stated criterion, describes each segment by the categories it over-buys
(lift against the whole base), and reports how stable the segments are under
bootstrap resampling (adjusted Rand index).

Examples
--------
>>> from crmanalytics.datasets import simulate
>>> from crmanalytics.segmentation import preference_segments
>>> data = simulate(1500, seed=1)
>>> result = preference_segments(data.transactions, n_segments=4, random_state=0,
...                              n_bootstrap=5)
>>> result.n_segments, result.criterion
(4, 'given')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._frames import to_caller, validated
from crmanalytics.segmentation._baskets import Baskets, baskets

__all__ = ["PreferenceSegments", "preference_segments"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Method = Literal["kmeans", "gmm"]

_MAX_SILHOUETTE_SAMPLE = 3000
_TOP_CATEGORIES = 3


@dataclass(frozen=True, eq=False)
class PreferenceSegments:
    """Preference segments: who is in which, what defines each, and how stable they are.

    Parameters
    ----------
    assignments : dataframe
        One row per customer with a purchase (the type of the ``transactions``):
        ``customer_id``, ``segment`` (1 = largest) and ``fitted`` (whether the
        customer had ``min_orders`` orders and was used to fit the clustering; the
        others are assigned to the nearest segment).
    segments : dataframe
        One row per segment: ``segment``, ``customers``, ``customer_share``,
        ``revenue`` (purchase spend), ``revenue_share``, ``mean_revenue``,
        ``defining_categories`` (up to three categories with lift above 1, highest
        first, joined by ``", "``) and ``top_lift``.
    categories : dataframe
        One row per segment and category: ``segment``, the ``by`` column, ``share``
        (the segment's mean spend share in the category), ``base_share`` (the mean
        over every customer) and ``lift = share / base_share``.
    n_segments : int
        The number of segments.
    criterion : str
        How ``n_segments`` was chosen: ``"silhouette"`` (k-means, highest wins),
        ``"bic"`` (Gaussian mixture, lowest wins) or ``"given"``.
    criterion_values : dict of int to float
        The criterion for each candidate number of segments (empty when given).
    stability : float
        Mean adjusted Rand index between the segments and those of the clusterings
        refitted on bootstrap resamples of the customers (1 = identical, 0 = chance);
        NaN with ``n_bootstrap=0``.
    stability_scores : tuple of float
        The adjusted Rand index of each resample.
    method : str
        ``"kmeans"`` or ``"gmm"``.
    by : str
        The category column.

    Examples
    --------
    >>> from crmanalytics.datasets import simulate
    >>> from crmanalytics.segmentation import preference_segments
    >>> data = simulate(1500, seed=1)
    >>> result = preference_segments(data.transactions, n_segments=4, random_state=0,
    ...                              n_bootstrap=5)
    >>> result.segments.columns.tolist()[:3]
    ['segment', 'customers', 'customer_share']
    >>> result.stability > 0.5
    True
    """

    assignments: Any
    segments: Any
    categories: Any
    n_segments: int
    criterion: str
    criterion_values: dict[int, float]
    stability: float
    stability_scores: tuple[float, ...]
    method: str
    by: str


def preference_segments(
    transactions: IntoFrameT,
    *,
    by: str = "category",
    n_segments: int | None = None,
    random_state: int | None = None,
    method: Method = "kmeans",
    max_segments: int = 10,
    price_level: bool = False,
    basket_size: bool = False,
    min_orders: int = 2,
    n_bootstrap: int = 20,
    columns: Mapping[str, str] | None = None,
) -> PreferenceSegments:
    """Cluster customers on what they buy: needs-based segments.

    Parameters
    ----------
    transactions : dataframe
        Canonical transactions with the ``by`` column, any backend.
    by : str, default "category"
        The column whose values are the "what" (a category, a product family).
    n_segments : int, optional
        Number of segments. When omitted, every ``k`` from 2 to ``max_segments`` is
        fitted and the best by the method's criterion is kept: the mean silhouette
        (Rousseeuw 1987) for k-means, the Bayesian information criterion for the
        Gaussian mixture.
    random_state : int, optional
        Seed of every fit and resample: the same seed gives the same segments.
    method : {"kmeans", "gmm"}, default "kmeans"
        :class:`sklearn.cluster.KMeans` or :class:`sklearn.mixture.GaussianMixture`
        (diagonal covariances).
    max_segments : int, default 10
        Largest number of segments tried when ``n_segments`` is omitted.
    price_level : bool, default False
        Add the customer's price level, the log of the mean amount per unit (per line
        when there is no ``quantity``), as a feature.
    basket_size : bool, default False
        Add the log of the customer's mean number of lines per order as a feature.
    min_orders : int, default 2
        Customers with fewer orders are not used to fit the clustering (one order says
        little about preferences and piles customers on the corners of the share
        simplex); they are then assigned to the nearest segment.
    n_bootstrap : int, default 20
        Bootstrap resamples for the stability figure (0 to skip).
    columns : mapping of str to str, optional
        Canonical name to your column name.

    Returns
    -------
    PreferenceSegments
        Frames in the type of ``transactions`` (lazy in, lazy out).

    Raises
    ------
    SchemaError
        When ``transactions`` breaks its schema or lacks the ``by`` column.
    ValueError
        For bad arguments, or too few customers (or categories) to cluster.

    Warns
    -----
    DataQualityWarning
        When rows are set aside: ``amount <= 0`` (returns) or no ``by`` value.

    Notes
    -----
    Each customer is a vector of spend shares over the categories (summing to 1),
    from purchase rows (``amount > 0``). The shares are clustered as they are, so a
    category weighs by how much of a basket it takes; the optional price and basket
    features are standardised (:class:`sklearn.preprocessing.StandardScaler`) and
    scaled to the mean spread of a share column, so each weighs like one category.

    A segment is described by the mean share of each category among its customers
    against the mean share over all customers (lift); the categories with the highest
    lift above 1 define it. Stability follows Hennig (2007): the clustering is refitted
    on bootstrap resamples of the fitted customers, the refitted model assigns every
    fitted customer, and the adjusted Rand index (Hubert & Arabie 1985) measures the
    agreement with the segments.

    The per-(customer, category) sums run in the caller's engine and are collected
    (one row per customer and category bought); the clustering runs on numpy.

    References
    ----------
    Rousseeuw, P. J. (1987), "Silhouettes", *J. Comput. Appl. Math.* 20. Hubert, L. and
    Arabie, P. (1985), "Comparing partitions", *J. Classification* 2. Hennig, C. (2007),
    "Cluster-wise assessment of cluster stability", *CSDA* 52(1).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.segmentation import preference_segments
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-02-01"] * 6),
    ...     "amount": [10.0, 12.0, 9.0, 11.0, 8.0, 14.0, 20.0, 5.0, 22.0, 6.0, 19.0, 4.0],
    ...     "category": ["book", "book", "book", "book", "book", "toy",
    ...                  "wine", "wine", "wine", "wine", "wine", "book"],
    ... })
    >>> result = preference_segments(tx, n_segments=2, random_state=0, n_bootstrap=0)
    >>> result.assignments["segment"].tolist()
    [1, 1, 1, 2, 2, 2]
    >>> result.segments[["segment", "customers", "defining_categories"]]
       segment  customers defining_categories
    0        1          3           toy, book
    1        2          3                wine
    """
    _check_arguments(n_segments, method, max_segments, min_orders, n_bootstrap)
    tx = validated(
        transactions, "transactions", columns=columns, needs=[by], purpose="preference_segments"
    )
    table = baskets(tx, by, purpose="preference_segments")
    features = _features(table, price_level=price_level, basket_size=basket_size)
    fitted = table.orders >= min_orders
    n_fit = int(fitted.sum())
    if n_fit < 3 or len(table.categories) < 2:
        raise ValueError(
            f"preference_segments needs at least 3 customers with {min_orders} orders or "
            f"more and 2 categories; found {n_fit} customers and {len(table.categories)} "
            "categories (lower min_orders or pass more data)"
        )
    if n_segments is not None and n_segments > n_fit:
        raise ValueError(f"n_segments={n_segments} exceeds the {n_fit} customers used for fitting")
    rng = np.random.default_rng(random_state)
    x_fit = features[fitted]
    # scikit-learn first: threadpool_limits only reaches thread pools already loaded
    import sklearn.cluster
    import sklearn.metrics
    import sklearn.mixture
    from threadpoolctl import threadpool_limits

    del sklearn
    # the matrices are small: one thread is fast, and spares a busy machine the
    # oversubscription of OpenMP threads (100x slower under load)
    with threadpool_limits(limits=1):
        if n_segments is None:
            k, criterion, values = _choose_k(x_fit, method, max_segments, rng)
        else:
            k, criterion, values = n_segments, "given", {}
        model = _estimator(method, k, _seed(rng)).fit(x_fit)
        labels = _by_size(np.asarray(model.predict(features), dtype=np.int64), k)
        scores = _stability(
            x_fit, labels[fitted], method=method, k=k, n_bootstrap=n_bootstrap, rng=rng
        )
    stability = float(np.mean(scores)) if scores else math.nan
    return PreferenceSegments(
        assignments=to_caller(
            {
                "customer_id": table.customer_ids,
                "segment": labels + 1,
                "fitted": fitted,
            },
            transactions,
        ),
        segments=to_caller(_describe(table, labels, k), transactions),
        categories=to_caller(_category_lifts(table, labels, k, by), transactions),
        n_segments=k,
        criterion=criterion,
        criterion_values=values,
        stability=stability,
        stability_scores=tuple(scores),
        method=method,
        by=by,
    )


def _check_arguments(
    n_segments: int | None, method: str, max_segments: int, min_orders: int, n_bootstrap: int
) -> None:
    def whole(value: object) -> bool:
        return isinstance(value, int | np.integer) and not isinstance(value, bool)

    if method not in ("kmeans", "gmm"):
        raise ValueError(f"method must be 'kmeans' or 'gmm', got {method!r}")
    if n_segments is not None and (not whole(n_segments) or n_segments < 1):
        raise ValueError(f"n_segments must be a positive integer or None, got {n_segments!r}")
    if not whole(max_segments) or max_segments < 2:
        raise ValueError(f"max_segments must be an integer >= 2, got {max_segments!r}")
    if not whole(min_orders) or min_orders < 1:
        raise ValueError(f"min_orders must be a positive integer, got {min_orders!r}")
    if not whole(n_bootstrap) or n_bootstrap < 0:
        raise ValueError(f"n_bootstrap must be a non-negative integer, got {n_bootstrap!r}")


def _features(table: Baskets, *, price_level: bool, basket_size: bool) -> FloatArray:
    shares = table.shares
    extra: list[FloatArray] = []
    if price_level:
        extra.append(np.log(table.spend.sum(axis=1) / np.maximum(table.units.sum(axis=1), 1e-12)))
    if basket_size:
        extra.append(np.log(table.lines.sum(axis=1) / np.maximum(table.orders, 1.0)))
    if not extra:
        return shares
    from sklearn.preprocessing import StandardScaler

    spread = float(np.sqrt(shares.var(axis=0).mean()))
    scaled = StandardScaler().fit_transform(np.column_stack(extra)) * spread
    return np.column_stack([shares, scaled])


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def _estimator(method: str, k: int, seed: int, *, n_init: int = 10) -> Any:
    if method == "gmm":
        from sklearn.mixture import GaussianMixture

        return GaussianMixture(
            n_components=k, covariance_type="diag", n_init=2, reg_covar=1e-4, random_state=seed
        )
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=n_init, random_state=seed)


def _choose_k(
    x: FloatArray, method: str, max_segments: int, rng: np.random.Generator
) -> tuple[int, str, dict[int, float]]:
    """Fit every k and keep the best by silhouette (k-means) or BIC (mixture)."""
    from sklearn.metrics import silhouette_score

    n_distinct = np.unique(x, axis=0).shape[0]
    candidates = range(2, min(max_segments, n_distinct - 1, x.shape[0] - 1) + 1)
    if not candidates:
        raise ValueError(
            "too few distinct customer profiles to choose a number of segments; pass n_segments"
        )
    values: dict[int, float] = {}
    for k in candidates:
        model = _estimator(method, k, _seed(rng)).fit(x)
        if method == "gmm":
            values[k] = float(model.bic(x))
        else:
            sample = min(x.shape[0], _MAX_SILHOUETTE_SAMPLE)
            values[k] = float(
                silhouette_score(x, model.labels_, sample_size=sample, random_state=_seed(rng))
            )
    if method == "gmm":
        return min(values, key=lambda k: values[k]), "bic", values
    return max(values, key=lambda k: values[k]), "silhouette", values


def _by_size(labels: IntArray, k: int) -> IntArray:
    """Relabel clusters 0..k-1 by size, largest first (ties: the lower label first)."""
    sizes = np.bincount(labels, minlength=k)
    order = np.lexsort((np.arange(k), -sizes))
    rank = np.empty(k, dtype=np.int64)
    rank[order] = np.arange(k)
    return rank[labels]


def _stability(
    x: FloatArray,
    labels: IntArray,
    *,
    method: str,
    k: int,
    n_bootstrap: int,
    rng: np.random.Generator,
) -> list[float]:
    from sklearn.metrics import adjusted_rand_score

    scores: list[float] = []
    for _ in range(n_bootstrap):
        sample = rng.integers(0, x.shape[0], size=x.shape[0])
        refit = _estimator(method, k, _seed(rng), n_init=3).fit(x[sample])
        scores.append(float(adjusted_rand_score(labels, refit.predict(x))))
    return scores


def _describe(table: Baskets, labels: IntArray, k: int) -> dict[str, Any]:
    revenue = table.spend.sum(axis=1)
    shares = table.shares
    base = shares.mean(axis=0)
    counts = np.bincount(labels, minlength=k)
    seg_revenue = np.bincount(labels, weights=revenue, minlength=k)
    defining: list[str] = []
    top: list[float] = []
    for s in range(k):
        lift = shares[labels == s].mean(axis=0) / base if counts[s] else np.full(base.size, np.nan)
        order = np.argsort(-np.nan_to_num(lift, nan=-1.0), kind="stable")
        chosen = [str(table.categories[j]) for j in order[:_TOP_CATEGORIES] if lift[j] > 1]
        defining.append(", ".join(chosen))
        top.append(float(lift[order[0]]))
    total = float(revenue.sum())
    return {
        "segment": np.arange(1, k + 1, dtype=np.int64),
        "customers": counts.astype(np.int64),
        "customer_share": counts / counts.sum(),
        "revenue": seg_revenue,
        "revenue_share": seg_revenue / total if total else np.full(k, np.nan),
        "mean_revenue": np.where(counts > 0, seg_revenue / np.maximum(counts, 1), np.nan),
        "defining_categories": np.asarray(defining, dtype=object),
        "top_lift": np.asarray(top),
    }


def _category_lifts(table: Baskets, labels: IntArray, k: int, by: str) -> dict[str, Any]:
    shares = table.shares
    base = shares.mean(axis=0)
    n_cat = base.size
    seg_share = np.vstack([shares[labels == s].mean(axis=0) for s in range(k)])
    index = np.arange(n_cat).tolist() * k
    return {
        "segment": np.repeat(np.arange(1, k + 1, dtype=np.int64), n_cat),
        by: table.category_series[index],
        "share": seg_share.ravel(),
        "base_share": np.tile(base, k),
        "lift": (seg_share / base).ravel(),
    }
