"""product_trends: slopes against scikit-learn's Poisson GLM, p-values and BH recomputed
here, planted rising and declining products recovered."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from backends import BACKENDS, convert, to_pandas
from scipy import stats
from sklearn.linear_model import PoissonRegressor

from crmanalytics.datasets import simulate
from crmanalytics.errors import DataQualityWarning, SchemaError
from crmanalytics.sales import product_trends


def quasi_poisson(y: np.ndarray) -> tuple[float, float]:
    """Slope and p-value from scikit-learn's unpenalised Poisson GLM and the textbook
    quasi-Poisson covariance phi (X' W X)^-1."""
    t = np.arange(y.size, dtype=float)
    model = PoissonRegressor(alpha=0.0, tol=1e-12, max_iter=10_000).fit(t[:, None], y)
    mu = model.predict(t[:, None])
    x = np.column_stack([np.ones_like(t), t])
    phi = ((y - mu) ** 2 / mu).sum() / (y.size - 2)
    cov = phi * np.linalg.inv(x.T @ (mu[:, None] * x))
    z = model.coef_[0] / np.sqrt(cov[1, 1])
    return float(model.coef_[0]), float(2 * stats.t.sf(abs(z), y.size - 2))


def monthly(seed: int, items: int = 6, months: int = 14) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(items):
        rate = rng.uniform(-0.15, 0.15)
        for m in range(months):
            for _ in range(rng.poisson(20 * np.exp(rate * m))):
                day = (
                    pd.Timestamp("2023-01-01")
                    + pd.DateOffset(months=m)
                    + pd.Timedelta(days=int(rng.integers(0, 28)))
                )
                rows.append((int(rng.integers(0, 500)), day, float(rng.gamma(2.0, 10.0)), f"P{i}"))
    return pd.DataFrame(rows, columns=["customer_id", "timestamp", "amount", "product_id"])


def full_months(t: pd.DataFrame) -> pd.PeriodIndex:
    """Months the data cover from their first to their last day."""
    first, last = t["timestamp"].min().normalize(), t["timestamp"].max().normalize()
    months = pd.period_range(first.to_period("M"), last.to_period("M"), freq="M")
    return months[(months.start_time >= first) & (months.end_time.normalize() <= last)]


def test_matches_sklearn_glm_and_scipy_fdr():
    t = monthly(1)
    result = product_trends(t).set_index("product_id")
    month = t["timestamp"].dt.to_period("M")
    inside = month.isin(full_months(t))
    assert inside.mean() < 1.0  # the partial last month is left out
    per_month = t[inside].groupby(["product_id", month[inside]])["amount"].sum()
    p_values = {}
    for item, series in per_month.groupby(level=0):
        y = series.to_numpy()
        slope, p = quasi_poisson(y)
        assert result.loc[item, "slope"] == pytest.approx(slope, rel=1e-6, abs=1e-9)
        assert result.loc[item, "growth_rate"] == pytest.approx(np.expm1(slope), rel=1e-6, abs=1e-9)
        assert result.loc[item, "p_value"] == pytest.approx(p, rel=1e-5, abs=1e-12)
        assert result.loc[item, "revenue"] == pytest.approx(y.sum())
        p_values[item] = result.loc[item, "p_value"]
    items = sorted(p_values)
    q = stats.false_discovery_control([p_values[i] for i in items], method="bh")
    np.testing.assert_allclose(result.loc[items, "q_value"], q, rtol=1e-12)
    labels = np.where(
        q > 0.05, "flat", np.where(result.loc[items, "slope"] > 0, "rising", "declining")
    )
    assert result.loc[items, "trend"].tolist() == labels.tolist()
    assert (result["growth_rate"].diff().dropna() <= 0).all()  # sorted, highest first


def test_zeros_and_late_launch_and_partial_periods():
    t = monthly(2, items=2)
    t = t[~((t["product_id"] == "P0") & (t["timestamp"].dt.month == 5))]  # a month of zeros
    late = t[(t["product_id"] == "P1") & (t["timestamp"] >= "2023-06-01")]
    t = pd.concat([t[t["product_id"] == "P0"], late])
    t = t[t["timestamp"] >= "2023-01-10"]  # January becomes partial
    result = product_trends(t).set_index("product_id")
    last_full = (t["timestamp"].max() + pd.Timedelta(days=1)).to_period("M") - 1
    assert result.loc["P0", "first_period"] == pd.Timestamp("2023-02-01")
    assert result.loc["P1", "first_period"] == pd.Timestamp("2023-06-01")
    assert result.loc["P0", "periods"] == (last_full - pd.Period("2023-02", "M")).n + 1
    series = (
        t[t["product_id"] == "P0"]
        .groupby(t["timestamp"].dt.to_period("M"))["amount"]
        .sum()
        .reindex(pd.period_range("2023-02", last_full, freq="M"), fill_value=0.0)
    )
    assert series.min() == 0.0
    slope, _ = quasi_poisson(series.to_numpy())
    assert result.loc["P0", "slope"] == pytest.approx(slope, rel=1e-6)


def test_planted_rising_and_declining_products_recovered():
    data = simulate(5000, seed=3)
    truth = data.truth
    assert len(truth.rising_products) == 3
    assert len(truth.declining_products) == 3
    result = product_trends(data.transactions)
    rising = set(result.loc[result["trend"] == "rising", "product_id"])
    assert rising == set(truth.rising_products)
    bottom = result.nsmallest(3, "growth_rate")
    assert set(bottom["product_id"]) == set(truth.declining_products)
    assert (bottom["trend"] == "declining").all()


def test_planting_is_reproducible_and_leaves_times_and_amounts():
    a = simulate(800, seed=11)
    b = simulate(800, seed=11)
    pd.testing.assert_frame_equal(a.transactions, b.transactions)
    assert a.truth.rising_products == b.truth.rising_products
    small = simulate(200, seed=1, n_products=10, planted_pairs=())
    assert small.truth.rising_products == ()
    assert small.truth.declining_products == ()


def test_too_few_periods_are_counted_not_dropped_silently():
    t = monthly(3, items=3)
    short = t[(t["product_id"] == "P2") & (t["timestamp"] < "2023-05-01")]
    t = pd.concat([t[t["product_id"] != "P2"], short])
    with pytest.warns(DataQualityWarning, match=r"1 item\(s\) with fewer than min_periods=6"):
        result = product_trends(t)
    assert "P2" not in set(result["product_id"])


def test_null_items_and_negative_periods_are_counted():
    t = monthly(4, items=2)
    t["product_id"] = t["product_id"].astype(object)
    t.loc[t.index[:3], "product_id"] = None
    refund = pd.DataFrame(
        {
            "customer_id": [1],
            "timestamp": [pd.Timestamp("2023-03-15")],
            "amount": [-1e6],
            "product_id": ["P1"],
        }
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        product_trends(pd.concat([t, refund], ignore_index=True))
    messages = " ".join(str(w.message) for w in caught if w.category is DataQualityWarning)
    assert "3 row(s) with a null 'product_id'" in messages
    assert "1 item-period(s) with negative net value" in messages


def test_product_name_units_and_category():
    t = monthly(5, items=3)
    t["product_name"] = "Name of " + t["product_id"]
    t["quantity"] = 2.0
    t["category"] = t["product_id"].map({"P0": "a", "P1": "a", "P2": "b"})
    by_product = product_trends(t, measure="units")
    assert by_product["product_name"].tolist() == ("Name of " + by_product["product_id"]).tolist()
    inside = t["timestamp"].dt.to_period("M").isin(full_months(t))
    units = t[inside].groupby("product_id")["quantity"].sum()
    np.testing.assert_allclose(
        by_product.set_index("product_id")["units"], units.loc[by_product["product_id"]]
    )
    by_category = product_trends(t, by="category")
    assert sorted(by_category["category"]) == ["a", "b"]
    assert "product_name" not in by_category.columns


def test_bad_arguments_and_mapping():
    t = monthly(6, items=2)
    with pytest.raises(ValueError, match="min_periods"):
        product_trends(t, min_periods=2)
    with pytest.raises(ValueError, match="fdr"):
        product_trends(t, fdr=1.5)
    with pytest.raises(SchemaError, match="quantity"):
        product_trends(t, measure="units")
    with pytest.raises(SchemaError, match="category"):
        product_trends(t, by="category")
    raw = t.rename(columns={"product_id": "sku"})
    before = raw.copy()
    mapped = product_trends(raw, columns={"product_id": "sku"})
    pd.testing.assert_frame_equal(raw, before)
    pd.testing.assert_frame_equal(mapped, product_trends(t))


@pytest.mark.parity
def test_backend_parity():
    t = monthly(7)
    want = product_trends(t)
    for backend in BACKENDS:
        got = to_pandas(product_trends(convert(t, backend)))
        assert got["product_id"].tolist() == want["product_id"].tolist(), backend
        assert got["trend"].tolist() == want["trend"].tolist(), backend
        for column in ("growth_rate", "p_value", "q_value", "revenue", "periods"):
            np.testing.assert_allclose(
                got[column].to_numpy(float), want[column].to_numpy(float), rtol=1e-9
            )
