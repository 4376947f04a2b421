"""Churn drivers: which features go with churn, one at a time and together.

Examples
--------
>>> import numpy as np
>>> import pandas as pd
>>> from crmanalytics.churn import churn_drivers
>>> rng = np.random.default_rng(0)
>>> complaints = rng.poisson(0.5, 400)
>>> d = pd.DataFrame({"customer_id": range(400), "n_complaints": complaints,
...                   "churned": rng.uniform(size=400) < 0.2 + 0.2 * (complaints > 0)})
>>> churn_drivers(d, n_bootstrap=50).drivers["feature"].tolist()
['n_complaints']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from crmanalytics._frames import collect, renamed, to_caller
from crmanalytics._intervals import wilson, z_value

__all__ = ["ChurnDrivers", "churn_drivers"]

_MISSING = "(missing)"


@dataclass(frozen=True)
class ChurnDrivers:
    """The result of :func:`churn_drivers`: two tables in the caller's frame type.

    Attributes
    ----------
    drivers : dataframe
        One row per feature, ranked by the size of its multivariate coefficient:
        ``rank``, ``feature``, ``kind`` (``"numeric"`` or ``"categorical"``),
        ``effect_size`` and ``effect_measure`` (the point-biserial correlation with
        the label for numeric features, Cramér's V for categorical ones),
        ``rate_difference`` (churn rate of the last bucket minus the first for numeric
        features, highest minus lowest bucket rate for categorical ones), and
        ``coefficient`` with its bootstrap interval ``coefficient_low``,
        ``coefficient_high`` (the change in log-odds of churn per standard deviation
        of the feature; for a categorical feature, the largest absolute coefficient
        among its levels, with its sign).
    buckets : dataframe
        One row per feature and bucket: ``feature``, ``bucket`` (a label), ``lower``
        and ``upper`` (the bucket's range for numeric features, else null),
        ``customers``, ``churned``, ``churn_rate`` and its Wilson interval
        ``churn_rate_low``, ``churn_rate_high``.
    n_customers : int
        Rows analysed.
    churn_rate : float
        Overall share churned.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.churn import ChurnDrivers
    >>> r = ChurnDrivers(pd.DataFrame(), pd.DataFrame(), 10, 0.3)
    >>> r.n_customers
    10
    """

    drivers: Any
    buckets: Any
    n_customers: int
    churn_rate: float


def churn_drivers(
    dataset: Any,
    *,
    label: str = "churned",
    buckets: int = 5,
    regularization: float = 1.0,
    n_bootstrap: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
    columns: Mapping[str, str] | None = None,
) -> ChurnDrivers:
    """Which features go with churn: churn rate by bucket, and a ranked multivariate view.

    Every column of ``dataset`` other than ``customer_id`` and ``label`` is a feature.
    Numeric features (more than ``buckets`` distinct values) are cut into quantile
    buckets (ties merge buckets); booleans, strings and numeric features with few
    values are taken value by value; missing values form their own bucket.

    **One at a time.** Per bucket: customers, churned, churn rate and its Wilson
    interval. Per feature an effect size: the point-biserial correlation between the
    feature and the label (numeric; rows with the feature missing left out) or
    Cramér's V of the feature-by-label table (categorical), and the difference in
    churn rate between the extreme buckets.

    **Together.** An L2-regularised logistic regression (scikit-learn's
    ``LogisticRegression(C=regularization)``) of the label on all features: numeric
    and boolean features standardised (missing values set to the mean, i.e. 0),
    other categorical ones one-hot encoded (then standardised too). A coefficient is
    the change in the
    log-odds of churn per standard deviation of the feature, *holding the others
    fixed*, so features that only echo another (spend and orders) share the effect.
    Intervals are percentile bootstrap intervals over ``n_bootstrap`` resamples of
    the customers (seeded with ``seed``). Features are ranked by the absolute
    coefficient. Constant features get a zero coefficient. These are associations,
    not causes.

    Parameters
    ----------
    dataset : dataframe
        A :func:`crmanalytics.churn.churn_dataset` result (or any frame with one row
        per customer, features and a boolean or 0/1 label), any backend.
    label : str, default "churned"
        The label column.
    buckets : int, default 5
        Quantile buckets per numeric feature.
    regularization : float, default 1.0
        Inverse L2 strength ``C`` of the logistic regression.
    n_bootstrap : int, default 200
        Bootstrap resamples for the coefficient intervals (0 for none: null bounds).
    confidence : float, default 0.95
        Level of the Wilson and bootstrap intervals.
    seed : int, default 0
        Seed of the bootstrap.
    columns : mapping of str to str, optional
        Expected name to your column name (``{"customer_id": "id"}``).

    Returns
    -------
    ChurnDrivers
        A frozen dataclass with the ``drivers`` and ``buckets`` tables in the caller's
        frame type.

    Raises
    ------
    crmanalytics.errors.SchemaError
        When the label column is missing.
    ValueError
        When the label is not boolean/0-1, both classes are not present, or there is
        no feature.

    Notes
    -----
    The data set is one row per customer and is collected (as a churn data set must
    be to fit a model).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from crmanalytics.churn import churn_drivers
    >>> rng = np.random.default_rng(1)
    >>> n = 600
    >>> d = pd.DataFrame({
    ...     "customer_id": range(n),
    ...     "n_complaints": rng.poisson(0.4, n),
    ...     "amount_90d": rng.gamma(2.0, 30.0, n),
    ...     "region": rng.choice(["north", "south"], n),
    ... })
    >>> logit = -1.5 + 1.2 * d["n_complaints"] - 0.01 * d["amount_90d"]
    >>> d["churned"] = rng.uniform(size=n) < 1 / (1 + np.exp(-logit))
    >>> result = churn_drivers(d, n_bootstrap=100)
    >>> result.drivers[["rank", "feature", "effect_measure"]]
       rank       feature  effect_measure
    0     1  n_complaints  point_biserial
    1     2    amount_90d  point_biserial
    2     3        region       cramers_v
    >>> bool(result.drivers.loc[0, "coefficient_low"] > 0)
    True
    """
    z_value(confidence)
    if int(buckets) != buckets or buckets < 2:
        raise ValueError(f"buckets must be a whole number >= 2, got {buckets!r}")
    if int(n_bootstrap) != n_bootstrap or n_bootstrap < 0:
        raise ValueError(f"n_bootstrap must be a whole number >= 0, got {n_bootstrap!r}")
    if not regularization > 0:
        raise ValueError(f"regularization must be > 0, got {regularization!r}")
    frame = renamed(dataset, columns=columns, needs=[label], table="churn dataset",
                    purpose="churn_drivers")  # fmt: skip
    data = collect(frame).to_pandas()
    y = _label(data[label], label)
    features = [c for c in data.columns if c not in (label, "customer_id")]
    if not features:
        raise ValueError("the data set has no feature column besides customer_id and the label")
    bucket_rows: list[dict[str, Any]] = []
    univariate: dict[str, tuple[str, float, str, float]] = {}
    for name in features:
        kind, codes, table = _buckets(data[name], int(buckets))
        churned = np.bincount(codes, weights=y, minlength=len(table)).astype(np.int64)
        sizes = np.bincount(codes, minlength=len(table)).astype(np.int64)
        rate = churned / np.maximum(sizes, 1)
        low, high = wilson(churned, sizes, confidence)
        for j, (bucket, lower, upper) in enumerate(table):
            bucket_rows.append(
                {
                    "feature": name,
                    "bucket": bucket,
                    "lower": lower,
                    "upper": upper,
                    "customers": int(sizes[j]),
                    "churned": int(churned[j]),
                    "churn_rate": float(rate[j]),
                    "churn_rate_low": float(low[j]),
                    "churn_rate_high": float(high[j]),
                }
            )
        univariate[name] = (kind, *_effect(kind, data[name], y, codes, rate, table))
    design, owners = _design(data, features, univariate)
    # scikit-learn first: threadpool_limits only reaches thread pools already loaded
    from sklearn.linear_model import LogisticRegression  # noqa: F401
    from threadpoolctl import threadpool_limits

    # the fits are small: BLAS threads cost more to start than they save (8x on 2 busy cores)
    with threadpool_limits(limits=1):
        coefficients = _fit(design, y, regularization)
        boot = _bootstrap(design, y, regularization, int(n_bootstrap), seed)
    alpha = (1.0 - confidence) / 2.0
    rows = []
    for name in features:
        kind, effect, measure, difference = univariate[name]
        columns_of = [j for j, owner in enumerate(owners) if owner == name]
        best = max(columns_of, key=lambda j: abs(coefficients[j])) if columns_of else None
        if best is None:
            coef, low_c, high_c = 0.0, np.nan, np.nan
        else:
            coef = float(coefficients[best])
            if boot.shape[0]:
                low_c, high_c = (float(v) for v in np.quantile(boot[:, best], [alpha, 1 - alpha]))
            else:
                low_c = high_c = np.nan
        rows.append((name, kind, effect, measure, difference, coef, low_c, high_c))
    rows.sort(key=lambda r: (-abs(r[5]), r[0]))
    drivers = {
        "rank": np.arange(1, len(rows) + 1, dtype=np.int64),
        "feature": [r[0] for r in rows],
        "kind": [r[1] for r in rows],
        "effect_size": np.array([r[2] for r in rows], dtype=np.float64),
        "effect_measure": [r[3] for r in rows],
        "rate_difference": np.array([r[4] for r in rows], dtype=np.float64),
        "coefficient": np.array([r[5] for r in rows], dtype=np.float64),
        "coefficient_low": np.array([r[6] for r in rows], dtype=np.float64),
        "coefficient_high": np.array([r[7] for r in rows], dtype=np.float64),
    }
    bucket_table = {
        key: (
            np.array([r[key] for r in bucket_rows], dtype=np.float64)
            if key in ("lower", "upper")
            else [r[key] for r in bucket_rows]
        )
        for key in bucket_rows[0]
    }
    return ChurnDrivers(
        drivers=to_caller(drivers, dataset),
        buckets=to_caller(bucket_table, dataset),
        n_customers=len(y),
        churn_rate=float(y.mean()) if len(y) else float("nan"),
    )


def _label(values: pd.Series, name: str) -> npt.NDArray[np.float64]:
    """The label as 0/1 floats, or a ValueError."""
    if values.isna().any():
        raise ValueError(f"label {name!r} has {int(values.isna().sum())} missing values")
    numbers = values.astype(np.float64) if values.dtype != object else values.map(float)
    y = np.asarray(numbers, dtype=np.float64)
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"label {name!r} must be boolean or 0/1")
    if y.size and (y.min() == y.max()):
        raise ValueError(f"label {name!r} has a single class: nothing to explain")
    return y


def _is_numeric(values: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values))


def _buckets(
    values: pd.Series, n_buckets: int
) -> tuple[str, npt.NDArray[np.int64], list[tuple[str, float, float]]]:
    """Kind, each row's bucket code, and (label, lower, upper) per bucket."""
    missing = values.isna().to_numpy()
    if _is_numeric(values) and values.nunique(dropna=True) > n_buckets:
        numbers = values.astype(np.float64).to_numpy()
        known = numbers[~missing]
        edges = np.unique(np.quantile(known, np.linspace(0.0, 1.0, n_buckets + 1)))
        inner = edges[1:-1]
        codes = np.searchsorted(inner, numbers, side="right").astype(np.int64)
        table = [
            (f"[{edges[j]:.4g}, {edges[j + 1]:.4g}{']' if j == len(edges) - 2 else ')'}",
             float(edges[j]), float(edges[j + 1]))
            for j in range(len(edges) - 1)
        ]  # fmt: skip
        kind = "numeric"
    else:
        kind = "numeric" if _is_numeric(values) else "categorical"
        levels = sorted(values.dropna().unique().tolist(), key=lambda v: (str(type(v)), v))
        lookup = {level: j for j, level in enumerate(levels)}
        codes = np.array(
            [lookup.get(v, 0) for v in values.where(~missing, levels[0] if levels else None)],
            dtype=np.int64,
        )
        table = [
            (str(level), float(level) if kind == "numeric" else np.nan,
             float(level) if kind == "numeric" else np.nan)
            for level in levels
        ]  # fmt: skip
    if missing.any():
        codes[missing] = len(table)
        table.append((_MISSING, np.nan, np.nan))
    return kind, codes, table


def _effect(  # noqa: PLR0917
    kind: str,
    values: pd.Series,
    y: npt.NDArray[np.float64],
    codes: npt.NDArray[np.int64],
    rate: npt.NDArray[np.float64],
    table: list[tuple[str, float, float]],
) -> tuple[float, str, float]:
    """Effect size, its name, and the churn-rate difference between extreme buckets."""
    real = [j for j, row in enumerate(table) if row[0] != _MISSING]
    if kind == "numeric":
        known = ~values.isna().to_numpy()
        x = values.astype(np.float64).to_numpy()[known]
        yy = y[known]
        effect = (
            float(np.corrcoef(x, yy)[0, 1])
            if x.size > 1 and x.std() > 0 and yy.std() > 0
            else np.nan
        )
        difference = float(rate[real[-1]] - rate[real[0]]) if real else np.nan
        return effect, "point_biserial", difference
    k = len(table)
    counts = np.zeros((k, 2))
    np.add.at(counts, (codes, y.astype(np.int64)), 1.0)
    expected = counts.sum(axis=1, keepdims=True) * counts.sum(axis=0, keepdims=True) / counts.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = float(np.nansum(np.where(expected > 0, (counts - expected) ** 2 / expected, 0.0)))
    dof = min(k - 1, 1)
    effect = float(np.sqrt(chi2 / (counts.sum() * dof))) if dof > 0 else np.nan
    difference = float(rate[real].max() - rate[real].min()) if real else np.nan
    return effect, "cramers_v", difference


def _design(
    data: pd.DataFrame, features: list[str], univariate: Mapping[str, tuple[Any, ...]]
) -> tuple[npt.NDArray[np.float64], list[str]]:
    """Standardised design matrix and the feature each column belongs to."""
    blocks: list[npt.NDArray[np.float64]] = []
    owners: list[str] = []
    for name in features:
        values = data[name]
        if pd.api.types.is_bool_dtype(values) or (
            univariate[name][0] == "numeric" and _is_numeric(values)
        ):
            raw = np.asarray(values.astype(np.float64).to_numpy(), dtype=np.float64)
            blocks.append(raw[:, None])
            owners.append(name)
        else:
            labels = values.astype(object).where(values.notna(), _MISSING)
            for level in sorted({str(v) for v in labels}):
                hot = np.asarray((labels.astype(str) == level).to_numpy(), dtype=np.float64)
                blocks.append(hot[:, None])
                owners.append(name)
    matrix = np.hstack(blocks) if blocks else np.empty((len(data), 0))
    observed = ~np.isnan(matrix)
    counts = observed.sum(axis=0)
    # a feature missing for every customer gets mean 0, so it is constant (zero coefficient)
    totals = np.where(observed, matrix, 0.0).sum(axis=0)
    mean = np.divide(totals, counts, out=np.zeros(matrix.shape[1]), where=counts > 0)
    matrix = np.where(np.isnan(matrix), mean, matrix)
    sd = matrix.std(axis=0)
    keep = sd > 0
    standardised = (matrix[:, keep] - matrix[:, keep].mean(axis=0)) / sd[keep]
    return standardised, [o for o, k in zip(owners, keep, strict=True) if k]


def _fit(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], c: float
) -> npt.NDArray[np.float64]:
    """Coefficients of an L2-regularised logistic regression with an intercept."""
    from sklearn.linear_model import LogisticRegression

    if x.shape[1] == 0:
        return np.zeros(0)
    model = LogisticRegression(C=c, tol=1e-6, max_iter=5000)
    model.fit(x, y.astype(np.int64))
    return np.asarray(model.coef_[0], dtype=np.float64)


def _bootstrap(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], c: float, n: int, seed: int
) -> npt.NDArray[np.float64]:
    """Coefficients refitted on ``n`` resamples of the rows (resamples with one class skipped)."""
    rng = np.random.default_rng(seed)
    fits = []
    for _ in range(n):
        rows = rng.integers(0, len(y), len(y))
        if y[rows].min() == y[rows].max():
            continue
        fits.append(_fit(x[rows], y[rows], c))
    return np.array(fits).reshape(len(fits), x.shape[1])
