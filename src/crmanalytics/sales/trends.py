"""Rising and declining products: log-linear growth rates with false-discovery-rate control.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.sales import product_trends
>>> t = pd.DataFrame({
...     "customer_id": range(12),
...     "timestamp": pd.date_range("2024-01-01", periods=6, freq="MS").repeat(2),
...     "amount": [1.0, 9.0, 2.0, 8.0, 4.0, 7.0, 8.0, 6.0, 16.0, 5.0, 32.0, 4.0],
...     "product_id": ["up", "down"] * 6,
... })
>>> product_trends(t, min_periods=5)[["product_id", "growth_rate"]].round(3)
  product_id  growth_rate
0         up        1.000
1       down       -0.134
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, Literal

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
from narwhals.stable.v2.typing import IntoFrameT
from scipy import stats

from crmanalytics._frames import AnyFrame, collect, to_caller, validated
from crmanalytics._periods import Period, check_period
from crmanalytics.errors import DataQualityWarning
from crmanalytics.sales._common import check_by, small_result, span, with_day_and_period
from crmanalytics.sales._trend_kernel import TrendFit, benjamini_hochberg, fit_trends

__all__ = ["product_trends"]

_CANONICAL = ("product_id", "category", "channel", "campaign_id", "coupon_code")


def product_trends(
    transactions: IntoFrameT,
    *,
    period: Period = "M",
    by: str = "product_id",
    min_periods: int = 6,
    measure: Literal["revenue", "units"] = "revenue",
    fdr: float = 0.05,
    confidence: float = 0.95,
    columns: Mapping[str, str] | None = None,
) -> IntoFrameT:
    """Which products (or categories) are rising or declining, with a test and FDR control.

    **Method.** For each item (value of ``by``) the per-period ``measure`` (net
    revenue, or net units with ``quantity``) is fitted by a log-linear model
    ``E[y_t] = exp(b0 + b1 t)`` with a Poisson quasi-likelihood (a GLM with log
    link, dispersion from Pearson's chi-square), so periods without sales (zeros) are
    used as they are. ``growth_rate = exp(b1) - 1`` is the growth per period (0.05 is
    +5 % a period). The test is the Wald t-test of ``b1 = 0`` with the quasi-Poisson
    standard error on ``n - 2`` degrees of freedom (``p_value``, two-sided), and
    ``q_value`` is the Benjamini-Hochberg adjusted p-value across all tested items.
    ``trend`` is ``"rising"`` / ``"declining"`` when ``q_value <= fdr`` and the
    slope is positive / negative, else ``"flat"``: among the items called rising or
    declining, the expected share of false calls is at most ``fdr``.

    **Periods fitted.** Incomplete first and last periods of the data are left out
    (a half month is not a drop). An item's series runs from its first period with a
    transaction to the last complete period of the data, so a product that stopped
    selling shows its decline as zeros, and a product launched late is not penalised
    for the time before its launch.

    **Set aside, with a DataQualityWarning counting them** (never silently): items with
    fewer than ``min_periods`` periods with a transaction in that series, items
    without positive sales, and rows with a null ``by`` value. Periods with negative
    net value (returns exceed sales) are counted as 0 for the fit, and counted in the
    warning too.

    Parameters
    ----------
    transactions : dataframe
        Canonical transactions in any supported backend. An optional
        ``product_name`` column is carried into the result when ``by="product_id"``.
    period : {"D", "W", "M", "Q", "Y"}, default "M"
        Day, ISO week (Monday to Sunday), calendar month, quarter or year.
    by : str, default "product_id"
        The item column: ``"product_id"``, ``"category"`` or any column of
        ``transactions``.
    min_periods : int, default 6
        Fewest periods with a transaction for an item to be tested (at least 3).
    measure : {"revenue", "units"}, default "revenue"
        Net revenue (``amount``) or net units (``quantity``, which must be present).
    fdr : float, default 0.05
        False discovery rate for the ``trend`` labels.
    confidence : float, default 0.95
        Level of the interval ``growth_rate_low`` .. ``growth_rate_high``.
    columns : mapping of str to str, optional
        Canonical name to your column name, e.g. ``{"product_id": "sku"}``.

    Returns
    -------
    dataframe
        The caller's frame type (lazy stays lazy), one row per tested item, sorted
        by ``growth_rate`` (highest first): ``by``, [``product_name``],
        ``first_period`` (datetime), ``periods`` (periods fitted),
        ``periods_with_sales``, ``revenue`` or ``units`` (total over the periods
        fitted), ``growth_rate``, ``growth_rate_low``, ``growth_rate_high``,
        ``slope`` (log scale), ``std_error``, ``p_value``, ``q_value``, ``trend``.

    Raises
    ------
    crmanalytics.errors.SchemaError
        When ``by`` (or ``quantity`` for ``measure="units"``) is missing.
    ValueError
        For an unknown period or measure, ``min_periods < 3`` or levels outside (0, 1).

    References
    ----------
    McCullagh, P. and Nelder, J. A. (1989), *Generalized Linear Models*, 2nd ed.,
    Chapman & Hall, sec. 8.4 (quasi-likelihood for counts and positive data).
    Benjamini, Y. and Hochberg, Y. (1995), "Controlling the false discovery rate",
    *Journal of the Royal Statistical Society B* 57(1), 289-300.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> from crmanalytics.sales import product_trends
    >>> months = pd.date_range("2024-01-01", periods=8, freq="MS")
    >>> t = pd.DataFrame({
    ...     "customer_id": range(24),
    ...     "timestamp": months.repeat(3),
    ...     "product_id": ["A", "B", "C"] * 8,
    ...     "amount": [a for m in range(8) for a in (10 * 1.3**m, 50 - 5 * m, 20 + m % 2)],
    ... })
    >>> result = product_trends(t)  # August is partial (one day): months 1-7 are fitted
    >>> result[["product_id", "growth_rate", "trend"]].round(3)
      product_id  growth_rate      trend
    0          A        0.300     rising
    1          C        0.000       flat
    2          B       -0.135  declining
    """
    period = check_period(period)
    given: object = min_periods
    if isinstance(given, bool) or not isinstance(given, int | np.integer) or given < 3:
        raise ValueError(f"min_periods must be an integer >= 3, got {min_periods!r}")
    if measure not in ("revenue", "units"):
        raise ValueError(f"measure must be 'revenue' or 'units', got {measure!r}")
    for name, level in (("fdr", fdr), ("confidence", confidence)):
        if not 0.0 < level < 1.0:
            raise ValueError(f"{name} must lie strictly between 0 and 1, got {level!r}")
    if not isinstance(by, str):
        raise TypeError(f"by must be one column name, got {by!r}")
    needs = [by] if by in _CANONICAL else []
    if measure == "units":
        needs.append("quantity")
    frame = validated(
        transactions, "transactions", columns=columns, needs=needs, purpose="product_trends"
    )
    check_by(frame, by, purpose="product_trends")
    table = trends_table(
        frame, period, by, min_periods=min_periods, measure=measure, levels=(fdr, confidence)
    )
    return to_caller(small_result(table), transactions)


def trends_table(
    frame: AnyFrame,
    period: Period,
    by: str,
    *,
    min_periods: int,
    measure: str,
    levels: tuple[float, float],
) -> pd.DataFrame:
    """The validated core of :func:`product_trends` (a small pandas table).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import validated
    >>> from crmanalytics.sales.trends import trends_table
    >>> t = pd.DataFrame({"customer_id": 1, "amount": [1.0, 2, 4, 8, 16],
    ...                   "timestamp": pd.date_range("2024-01-01", periods=5, freq="D"),
    ...                   "product_id": "A"})
    >>> f = validated(t, "transactions", purpose="example")
    >>> trends_table(f, "D", "product_id", min_periods=3, measure="revenue",
    ...              levels=(0.05, 0.95))["growth_rate"].round(6).tolist()
    [1.0]
    """
    fdr, confidence = levels
    names = frame.collect_schema().names()
    with_name = by == "product_id" and "product_name" in names
    source = "amount" if measure == "revenue" else "quantity"
    frame = with_day_and_period(frame, period)
    null_rows = int(
        collect(frame.select(nw.col(by).is_null().cast(nw.Int64).sum().alias("n")))["n"].to_list()[
            0
        ]
    )
    frame = frame.filter(~nw.col(by).is_null())
    covered = span(frame, period)
    columns = [by] + (["product_name"] if with_name else []) + ["first_period", "periods"]
    columns += ["periods_with_sales", measure, "growth_rate", "growth_rate_low"]
    columns += ["growth_rate_high", "slope", "std_error", "p_value", "q_value", "trend"]
    complete = (
        np.array([], dtype=np.int64) if covered is None else covered.periods[~covered.partial]
    )
    if complete.size == 0 or covered is None:
        _warn(null_rows=null_rows, few=0, no_sales=0, negative=0, min_periods=min_periods, by=by)
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    lo, hi = int(complete[0]), int(complete[-1])
    inside = frame.filter((nw.col("_p") >= lo) & (nw.col("_p") <= hi))
    sums = collect(
        inside.with_columns(nw.col(source).fill_null(0.0).alias("_y"))
        .group_by(by, "_p")
        .agg(nw.col("_y").sum())
    ).to_pandas()
    items, values, seen = _series(sums, by, lo, hi)
    width = hi - lo + 1
    first = np.where(seen.any(axis=1), seen.argmax(axis=1), width)
    mask = np.arange(width)[None, :] >= first[:, None]
    negative = int((values < 0).sum())
    values = np.maximum(values, 0.0)
    with_sales = seen.sum(axis=1)
    few = with_sales < min_periods
    no_sales = ~few & (values.sum(axis=1) <= 0)
    keep = ~few & ~no_sales
    _warn(
        null_rows=null_rows,
        few=int(few.sum()),
        no_sales=int(no_sales.sum()),
        negative=negative,
        min_periods=min_periods,
        by=by,
    )

    fit = fit_trends(values[keep], mask[keep])
    out = pd.DataFrame({by: items[keep]})
    if with_name:
        names_table = collect(frame.group_by(by).agg(nw.col("product_name").max())).to_pandas()
        out = out.merge(names_table, on=by, how="left")
    out["first_period"] = covered.starts(first[keep] + lo)
    out["periods"] = mask[keep].sum(axis=1).astype(np.int64)
    out["periods_with_sales"] = with_sales[keep].astype(np.int64)
    out[measure] = (values * mask)[keep].sum(axis=1)
    out = _fit_columns(out, fit, fdr=fdr, confidence=confidence)
    out = out.sort_values(["growth_rate", by], ascending=[False, True], kind="stable")
    return out[columns].reset_index(drop=True)


def _series(
    sums: pd.DataFrame, by: str, lo: int, hi: int
) -> tuple[pd.Index, np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Items, their per-period values (items x periods lo..hi) and where a row existed."""
    items = pd.Index(pd.unique(sums[by]))
    row = items.get_indexer(pd.Index(sums[by]))
    col = sums["_p"].to_numpy(dtype=np.int64) - lo
    values = np.zeros((len(items), hi - lo + 1))
    seen = np.zeros(values.shape, dtype=bool)
    values[row, col] = sums["_y"].to_numpy(dtype=np.float64)
    seen[row, col] = True
    return items, values, seen


def _fit_columns(
    out: pd.DataFrame, fit: TrendFit, *, fdr: float, confidence: float
) -> pd.DataFrame:
    """Growth rate with its interval, test, q-value and label."""
    crit = stats.t.ppf(0.5 + confidence / 2.0, fit.df)
    q = benjamini_hochberg(fit.p_value)
    out["growth_rate"] = np.expm1(fit.slope)
    out["growth_rate_low"] = np.expm1(fit.slope - crit * fit.std_error)
    out["growth_rate_high"] = np.expm1(fit.slope + crit * fit.std_error)
    out["slope"] = fit.slope
    out["std_error"] = fit.std_error
    out["p_value"] = fit.p_value
    out["q_value"] = q
    significant = q <= fdr
    out["trend"] = np.where(
        significant & (fit.slope > 0),
        "rising",
        np.where(significant & (fit.slope < 0), "declining", "flat"),
    )
    return out


def _warn(
    *, null_rows: int, few: int, no_sales: int, negative: int, min_periods: int, by: str
) -> None:
    parts = []
    if few:
        parts.append(f"{few} item(s) with fewer than min_periods={min_periods} periods with sales")
    if no_sales:
        parts.append(f"{no_sales} item(s) without positive sales")
    if null_rows:
        parts.append(f"{null_rows} row(s) with a null {by!r}")
    if parts:
        warnings.warn(
            DataQualityWarning("product_trends set aside " + "; ".join(parts)), stacklevel=4
        )
    if negative:
        warnings.warn(
            DataQualityWarning(
                f"product_trends counted {negative} item-period(s) with negative net value "
                "(returns exceed sales) as 0"
            ),
            stacklevel=4,
        )
