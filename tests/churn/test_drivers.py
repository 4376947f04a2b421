"""churn_drivers against brute-force pandas buckets, scipy effect sizes, scikit-learn's
LogisticRegression, and the planted complaint-churn link of simulate()."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from backends import convert, to_pandas
from hypothesis import given, settings
from hypothesis import strategies as st
from marketing_tables import wilson
from scipy import stats
from sklearn.linear_model import LogisticRegression

from crmanalytics.churn import churn_dataset, churn_drivers
from crmanalytics.datasets import simulate
from crmanalytics.errors import SchemaError


def make(seed: int, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({
        "customer_id": np.arange(n),
        "spend": np.where(rng.uniform(size=n) < 0.1, np.nan, rng.gamma(2.0, 20.0, n)),
        "visits": rng.poisson(2.0, n).astype(float),
        "plan": rng.choice(["basic", "plus", "pro"], n),
        "flag": rng.uniform(size=n) < 0.3,
    })  # fmt: skip
    logit = -1.0 + 0.8 * d["flag"] - 0.3 * d["visits"] + (d["plan"] == "pro")
    d["churned"] = rng.uniform(size=n) < 1 / (1 + np.exp(-logit))
    return d


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), n_buckets=st.integers(2, 6))
def test_buckets_equal_brute_force(seed: int, n_buckets: int) -> None:
    d = make(seed)
    before = d.copy()
    result = churn_drivers(d, buckets=n_buckets, n_bootstrap=0)
    pd.testing.assert_frame_equal(d, before)
    buckets = result.buckets
    y = d["churned"].astype(float)
    # numeric with many values: quantile edges, right-closed last bucket, missing apart
    spend = buckets[buckets["feature"] == "spend"]
    known = d["spend"].dropna()
    edges = np.unique(np.quantile(known, np.linspace(0, 1, n_buckets + 1)))
    codes = np.clip(np.searchsorted(edges, d["spend"], side="right") - 1, 0, len(edges) - 2)
    for j in range(len(edges) - 1):
        mine = d["spend"].notna() & (codes == j)
        row = spend.iloc[j]
        assert (row["lower"], row["upper"]) == (edges[j], edges[j + 1])
        assert row["customers"] == mine.sum()
        assert row["churned"] == y[mine].sum()
        assert (row["churn_rate_low"], row["churn_rate_high"]) == pytest.approx(
            wilson(y[mine].sum(), mine.sum())
        )
    assert spend.iloc[-1]["bucket"] == "(missing)"
    assert spend.iloc[-1]["customers"] == d["spend"].isna().sum()
    # categorical: one bucket per value
    plan = buckets[buckets["feature"] == "plan"].set_index("bucket")
    expected = d.groupby("plan")["churned"].agg(["size", "mean"])
    assert plan["customers"].to_dict() == expected["size"].to_dict()
    np.testing.assert_allclose(plan["churn_rate"], expected["mean"].loc[plan.index])
    # effect sizes: point-biserial (scipy) and Cramér's V (scipy)
    drivers = result.drivers.set_index("feature")
    r = stats.pointbiserialr(d["churned"], d["visits"]).statistic
    assert drivers.loc["visits", "effect_size"] == pytest.approx(r)
    table = pd.crosstab(d["plan"], d["churned"])
    v = stats.contingency.association(table.to_numpy(), method="cramer", correction=False)
    assert drivers.loc["plan", "effect_size"] == pytest.approx(v)


def test_coefficients_equal_scikit_learn_and_intervals_cover() -> None:
    d = make(3, n=800)
    result = churn_drivers(d, n_bootstrap=30, seed=1)
    x = pd.DataFrame({
        "spend": d["spend"].fillna(d["spend"].mean()), "visits": d["visits"],
        "flag": d["flag"].astype(float),
    })  # fmt: skip
    for level in ("basic", "plus", "pro"):
        x[f"plan={level}"] = (d["plan"] == level).astype(float)
    x = (x - x.mean()) / x.std(ddof=0)
    model = LogisticRegression(C=1.0, tol=1e-10, max_iter=5000).fit(x, d["churned"])
    coef = dict(zip(x.columns, model.coef_[0], strict=True))
    drivers = result.drivers.set_index("feature")
    for name in ("spend", "visits", "flag"):
        assert drivers.loc[name, "coefficient"] == pytest.approx(coef[name], rel=1e-3, abs=1e-5)
    plan = max((coef[f"plan={lv}"] for lv in ("basic", "plus", "pro")), key=abs)
    assert drivers.loc["plan", "coefficient"] == pytest.approx(plan, rel=1e-3, abs=1e-5)
    assert (drivers["coefficient_low"] <= drivers["coefficient"]).all()
    assert (drivers["coefficient"] <= drivers["coefficient_high"]).all()
    ranked = result.drivers["coefficient"].abs().to_numpy()
    assert (np.diff(ranked) <= 0).all()
    # seeded: the same intervals again
    again = churn_drivers(d, n_bootstrap=30, seed=1)
    pd.testing.assert_frame_equal(again.drivers, result.drivers)


@pytest.mark.parity
def test_backend_parity_and_columns(backend: str) -> None:
    d = make(5).drop(columns="flag")  # booleans round-trip differently on some engines
    expected = churn_drivers(d, n_bootstrap=10)
    native = convert(d.rename(columns={"churned": "left"}), backend)
    got = churn_drivers(native, label="left", n_bootstrap=10)
    pd.testing.assert_frame_equal(to_pandas(got.drivers), expected.drivers, check_dtype=False)
    pd.testing.assert_frame_equal(to_pandas(got.buckets), expected.buckets, check_dtype=False)
    mapped = churn_drivers(native, columns={"churned": "left"}, n_bootstrap=10)
    pd.testing.assert_frame_equal(to_pandas(mapped.drivers), expected.drivers, check_dtype=False)


def test_errors() -> None:
    d = make(1)
    with pytest.raises(SchemaError, match="label"):
        churn_drivers(d, label="label")
    with pytest.raises(ValueError, match="single class"):
        churn_drivers(d.assign(churned=False))
    with pytest.raises(ValueError, match="no feature"):
        churn_drivers(d[["customer_id", "churned"]])


def test_complaints_drive_planted_churn() -> None:
    sim = simulate(3000, seed=4)
    data = churn_dataset(sim.transactions, sim.interactions, cutoff="2024-09-30", horizon=90,
                         p_alive=False)  # fmt: skip
    result = churn_drivers(data[["customer_id", "n_complaints", "n_nps_90d",
                                 "n_page_view_90d", "total_amount", "churned"]],
                           n_bootstrap=50)  # fmt: skip
    drivers = result.drivers.set_index("feature")
    assert drivers.loc["n_complaints", "coefficient_low"] > 0
    assert drivers.loc["n_complaints", "rate_difference"] > 0.1
    buckets = result.buckets[result.buckets["feature"] == "n_complaints"]
    assert buckets.iloc[-1]["churn_rate_low"] > buckets.iloc[0]["churn_rate_high"]


def test_a_feature_missing_for_everyone_is_constant_without_warning() -> None:
    rng = np.random.default_rng(4)
    spend = rng.normal(size=200)
    data = pd.DataFrame(
        {
            "customer_id": range(200),
            "spend": spend,
            "last_nps": np.full(200, np.nan),
            "churned": rng.random(200) < 1 / (1 + np.exp(2 * spend)),
        }
    )
    drivers = churn_drivers(data, n_bootstrap=0).drivers.set_index("feature")
    assert drivers.loc["last_nps", "coefficient"] == 0.0
    assert drivers.loc["spend", "coefficient"] < 0
