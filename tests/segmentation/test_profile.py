"""profile(): every number against a brute-force pandas computation written here.

The reference works customer by customer with pandas group-bys and writes out each
interval formula (Wilson, Student t, the order-statistic median interval, the
linearisation interval of a ratio, the trinomial Wald interval of NPS) and the
Benjamini-Hochberg step-up rule from their textbook definitions.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from backends import BACKENDS, LAZY_BACKENDS, convert, to_pandas
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from crmanalytics.datasets import simulate
from crmanalytics.errors import DataQualityWarning, SchemaError
from crmanalytics.segmentation import ProfileResult, profile

Z95 = stats.norm.ppf(0.975)


def make_tables(seed: int, n_customers: int = 60) -> tuple[pd.DataFrame, ...]:
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n_customers + 1)
    region = rng.choice(np.array(["north", "south", "east"], dtype=object), n_customers)
    region[rng.random(n_customers) < 0.1] = None
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "region": region,
            "age": rng.integers(18, 80, n_customers).astype(float),
            "tier": rng.choice(np.array(["gold", "basic"], dtype=object), n_customers),
        }
    )
    n_rows = 4 * n_customers
    buyers = rng.choice(ids, size=int(n_customers * 0.8), replace=False)
    amount = np.round(rng.gamma(2.0, 15.0, n_rows), 2)
    amount[rng.random(n_rows) < 0.1] *= -1
    amount[rng.random(n_rows) < 0.03] = 0.0
    transactions = pd.DataFrame(
        {
            "customer_id": rng.choice(buyers, n_rows),
            "timestamp": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 200, n_rows), unit="D"),
            "amount": amount,
            "transaction_id": [f"T{i}" for i in rng.integers(0, 2 * n_customers, n_rows)],
        }
    )
    n_inter = 2 * n_customers
    kind = rng.choice(np.array(["nps", "complaint", "page_view"], dtype=object), n_inter)
    score = np.where(kind == "nps", rng.integers(0, 11, n_inter), np.nan)
    interactions = pd.DataFrame(
        {
            "customer_id": rng.choice(ids, n_inter),
            "timestamp": pd.Timestamp("2024-02-01")
            + pd.to_timedelta(rng.integers(0, 100, n_inter), unit="D"),
            "kind": kind,
            "score": score,
        }
    )
    return transactions, customers, interactions


# ----- the reference --------------------------------------------------------------------


def wilson_ref(k: int, n: int) -> tuple[float, float, float]:
    if n == 0:
        return (math.nan,) * 3
    p = k / n
    z2 = Z95**2
    centre = (k + z2 / 2) / (n + z2)
    half = Z95 * math.sqrt(n) / (n + z2) * math.sqrt(p * (1 - p) + z2 / (4 * n))
    return p, max(centre - half, 0.0), min(centre + half, 1.0)


def t_ref(values: pd.Series) -> tuple[float, float, float]:
    n = len(values)
    mean = values.mean()
    if n < 2:
        return mean, math.nan, math.nan
    half = stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / math.sqrt(n)
    return mean, mean - half, mean + half


def median_ref(values: pd.Series) -> tuple[float, float, float]:
    ordered = sorted(values)
    n = len(ordered)
    best = None
    for rank in range(1, n + 1):  # P(Binomial(n, 1/2) <= rank - 1) <= 2.5%
        if sum(math.comb(n, i) for i in range(rank)) / 2**n <= 0.025:
            best = rank
    if best is None:
        return float(np.median(ordered)), math.nan, math.nan
    return float(np.median(ordered)), ordered[best - 1], ordered[n - best]


def ratio_ref(revenue: pd.Series, orders: pd.Series) -> tuple[float, float, float]:
    n = len(revenue)
    if orders.sum() == 0:
        return (math.nan,) * 3
    r = revenue.sum() / orders.sum()
    if n < 2:
        return r, math.nan, math.nan
    var = ((revenue - r * orders) ** 2).sum() / (n - 1) / n / orders.mean() ** 2
    half = stats.t.ppf(0.975, n - 1) * math.sqrt(var)
    return r, r - half, r + half


def nps_ref(scores: pd.Series) -> tuple[float, float, float]:
    n = len(scores)
    if n == 0:
        return (math.nan,) * 3
    pro, det = (scores >= 9).mean(), (scores <= 6).mean()
    se = math.sqrt((pro + det - (pro - det) ** 2) / n)
    nps = 100 * (pro - det)
    return nps, max(nps - 100 * Z95 * se, -100), min(nps + 100 * Z95 * se, 100)


def bh_ref(p: list[float]) -> list[float]:
    known = [i for i, v in enumerate(p) if not math.isnan(v)]
    m = len(known)
    ranked = sorted(known, key=lambda i: p[i])
    out = [math.nan] * len(p)
    for position, i in enumerate(ranked, start=1):
        out[i] = min(1.0, *(p[j] * m / r for r, j in enumerate(ranked, start=1) if r >= position))
    return out


def per_customer_ref(
    tx: pd.DataFrame, customers: pd.DataFrame, interactions: pd.DataFrame | None
) -> pd.DataFrame:
    rows = []
    for cid in customers["customer_id"]:
        mine = tx[tx["customer_id"] == cid]
        row: dict[str, Any] = {
            "customer_id": cid,
            "revenue": float(mine["amount"].sum()),
            "orders": mine.loc[mine["amount"] > 0, "transaction_id"].nunique(),
        }
        if interactions is not None:
            inter = interactions[interactions["customer_id"] == cid]
            row["complained"] = bool((inter["kind"] == "complaint").any())
        rows.append(row)
    return customers.merge(pd.DataFrame(rows), on="customer_id")


def group_ref(
    members: pd.DataFrame, n_total: int, total_revenue: float, scores: pd.Series | None
) -> dict[str, float]:
    out: dict[str, float] = {"customers": len(members)}

    def put(name: str, triple: tuple[float, float, float]) -> None:
        out[name], out[f"{name}_low"], out[f"{name}_high"] = triple

    buyers = int((members["orders"] > 0).sum())
    put("share", wilson_ref(len(members), n_total))
    out["buyers"] = buyers
    put("buyer_rate", wilson_ref(buyers, len(members)))
    out["revenue"] = members["revenue"].sum()
    out["revenue_share"] = out["revenue"] / total_revenue
    put("mean_revenue", t_ref(members["revenue"]))
    put("median_revenue", median_ref(members["revenue"]))
    put("purchase_frequency", t_ref(members["orders"].astype(float)))
    put("average_order_value", ratio_ref(members["revenue"], members["orders"].astype(float)))
    put("repeat_rate", wilson_ref(int((members["orders"] >= 2).sum()), buyers))
    if scores is not None:
        out["nps_responses"] = len(scores)
        put("nps", nps_ref(scores))
        put("complaint_rate", wilson_ref(int(members["complained"].sum()), len(members)))
    return out


def group_labels(values: pd.Series, bins: int | list[float] | None) -> pd.Series:
    """Group label of each customer: the value, or its bin written as text."""
    if not pd.api.types.is_numeric_dtype(values):
        return values
    if isinstance(bins, list):
        edges = bins
    else:
        edges = sorted(set(np.quantile(values.dropna(), np.linspace(0, 1, (bins or 4) + 1))))
    labels = []
    for v in values:
        if pd.isna(v):
            labels.append(None)
            continue
        for i in range(len(edges) - 1):
            last = i == len(edges) - 2
            if edges[i] <= v < edges[i + 1] or (last and v == edges[i + 1]):
                labels.append(f"[{edges[i]:g}, {edges[i + 1]:g}{']' if last else ')'}")
                break
    return pd.Series(labels, index=values.index, dtype=object)


def profile_ref(
    tx: pd.DataFrame,
    customers: pd.DataFrame,
    attribute: str,
    interactions: pd.DataFrame | None = None,
    bins: int | list[float] | None = None,
) -> pd.DataFrame:
    per = per_customer_ref(tx, customers, interactions)
    per["_group"] = group_labels(per[attribute], bins)
    nps = None
    if interactions is not None:
        nps = interactions[(interactions["kind"] == "nps") & interactions["score"].notna()]
    present = list(per["_group"].dropna().unique())
    ordered: list[Any] = sorted(present, key=_bin_key)
    if per["_group"].isna().any():
        ordered.append(None)
    rows = []
    for g in ordered:
        members = per[per["_group"].isna()] if g is None else per[per["_group"] == g]
        scores = None
        if nps is not None:
            scores = nps.loc[nps["customer_id"].isin(members["customer_id"]), "score"]
        rows.append({attribute: g, **group_ref(members, len(per), per["revenue"].sum(), scores)})
    return pd.DataFrame(rows)


def _bin_key(label: Any) -> Any:
    if isinstance(label, str) and label.startswith("["):
        return float(label[1:].split(",")[0])
    return label


def assert_same(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(actual.columns) == list(expected.columns)
    for name in expected.columns:
        a, e = actual[name].tolist(), expected[name].tolist()
        if pd.api.types.is_numeric_dtype(expected[name]) and name not in ("attribute",):
            np.testing.assert_allclose(
                np.asarray(a, dtype=float),
                np.asarray(e, dtype=float),
                rtol=1e-9,
                atol=1e-9,
                err_msg=name,
            )
        else:
            assert [None if pd.isna(v) else v for v in a] == [
                None if pd.isna(v) else v for v in e
            ], name


# ----- the tests ------------------------------------------------------------------------


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), with_inter=st.booleans())
def test_every_number_matches_the_reference(seed: int, with_inter: bool) -> None:
    tx, customers, interactions = make_tables(seed)
    inter = interactions if with_inter else None
    result = profile(tx, customers, by="region", interactions=inter)
    assert isinstance(result, ProfileResult)
    assert_same(result.table, profile_ref(tx, customers, "region", inter))


@pytest.mark.parametrize("bins", [None, 3, [18.0, 40.0, 60.0, 80.0]])
def test_numeric_attributes_are_binned(bins: Any) -> None:
    tx, customers, interactions = make_tables(5)
    result = profile(tx, customers, by="age", bins=bins, interactions=interactions)
    assert_same(result.table, profile_ref(tx, customers, "age", interactions, bins=bins))


def test_edges_that_miss_values_form_an_outside_group() -> None:
    tx, customers, _ = make_tables(6)
    table = profile(tx, customers, by="age", bins=[30.0, 50.0]).table
    outside = (customers["age"] < 30) | (customers["age"] > 50)
    assert table["age"].tolist() == ["[30, 50]", "outside [30, 50]"]
    assert table["customers"].tolist() == [int((~outside).sum()), int(outside.sum())]


def test_customers_without_purchases_count_with_zero_revenue() -> None:
    customers = pd.DataFrame({"customer_id": [1, 2, 3], "tier": ["a", "a", "b"]})
    tx = pd.DataFrame(
        {
            "customer_id": [1],
            "timestamp": pd.to_datetime(["2024-01-01"]),
            "amount": [30.0],
        }
    )
    table = profile(tx, customers, by="tier").table
    assert table["customers"].tolist() == [2, 1]
    assert table["mean_revenue"].tolist() == [15.0, 0.0]
    assert table["buyers"].tolist() == [1, 0]
    assert math.isnan(table["repeat_rate"].iloc[1])  # no buyers: no repeat rate


def test_identity_mean_revenue_is_frequency_times_order_value() -> None:
    tx, customers, _ = make_tables(9)
    table = profile(tx, customers, by="tier").table
    np.testing.assert_allclose(
        table["mean_revenue"], table["purchase_frequency"] * table["average_order_value"]
    )


def test_without_transaction_id_orders_are_purchase_days() -> None:
    customers = pd.DataFrame({"customer_id": [1, 2], "tier": ["a", "b"]})
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2],
            "timestamp": pd.to_datetime(
                ["2024-01-01 09:00", "2024-01-01 18:00", "2024-01-03 00:00", "2024-01-02 00:00"]
            ),
            "amount": [10.0, 5.0, 7.0, 3.0],
        }
    )
    table = profile(tx, customers, by="tier").table
    assert table["purchase_frequency"].tolist() == [2.0, 1.0]
    assert table["repeat_rate"].tolist() == [1.0, 0.0]


def test_long_form_for_several_attributes_and_tests_with_fdr() -> None:
    tx, customers, interactions = make_tables(11)
    result = profile(tx, customers, by=["region", "tier"], interactions=interactions)
    table = result.table
    assert table.columns[:2].tolist() == ["attribute", "value"]
    for attribute in ("region", "tier"):
        part = table[table["attribute"] == attribute].drop(columns="attribute")
        expected = profile_ref(tx, customers, attribute, interactions).rename(
            columns={attribute: "value"}
        )
        assert_same(part.reset_index(drop=True), expected)
    tests = result.tests
    assert tests["attribute"].tolist() == ["region"] * 6 + ["tier"] * 6
    per = per_customer_ref(tx, customers, interactions)
    nps = interactions[interactions["kind"] == "nps"].merge(customers, on="customer_id")
    nps["cls"] = np.where(nps["score"] >= 9, 0, np.where(nps["score"] >= 7, 1, 2))
    p_values = []
    for attribute in ("region", "tier"):
        key = per[attribute].fillna("(missing)")
        groups = [per.loc[key == g] for g in sorted(key.unique())]
        kw = stats.kruskal(*[g["revenue"] for g in groups])
        kw_orders = stats.kruskal(*[g["orders"] for g in groups])
        buyers = per[per["orders"] > 0]
        repeat = pd.crosstab(buyers[attribute].fillna("(missing)"), buyers["orders"] >= 2)
        complained = pd.crosstab(key, per["complained"])
        classes = pd.crosstab(nps[attribute].fillna("(missing)"), nps["cls"])
        rows = tests[tests["attribute"] == attribute].set_index("metric")
        np.testing.assert_allclose(rows.loc["mean_revenue", "statistic"], kw.statistic)
        np.testing.assert_allclose(rows.loc["mean_revenue", "p_value"], kw.pvalue)
        np.testing.assert_allclose(rows.loc["purchase_frequency", "p_value"], kw_orders.pvalue)
        for metric, crosstab in (
            ("repeat_rate", repeat),
            ("complaint_rate", complained),
            ("nps", classes),
        ):
            chi = stats.chi2_contingency(crosstab.to_numpy(), correction=False)
            np.testing.assert_allclose(rows.loc[metric, "statistic"], chi.statistic)
            np.testing.assert_allclose(rows.loc[metric, "p_value"], chi.pvalue)
            assert rows.loc[metric, "df"] == chi.dof
        p_values += rows["p_value"].tolist()
    np.testing.assert_allclose(tests["q_value"], bh_ref(p_values), equal_nan=True)
    assert (tests["significant"] == (tests["q_value"] <= 0.05)).all()


@settings(max_examples=30, deadline=None)
@given(p=st.lists(st.floats(0, 1) | st.just(math.nan), min_size=1, max_size=12))
def test_benjamini_hochberg_matches_the_step_up_definition(p: list[float]) -> None:
    from crmanalytics.segmentation._profile_stats import benjamini_hochberg

    np.testing.assert_allclose(benjamini_hochberg(np.array(p)), bh_ref(p), equal_nan=True)


@pytest.mark.parity
def test_backend_parity() -> None:
    tx, customers, interactions = make_tables(21)
    expected = profile(tx, customers, by=["region", "age"], interactions=interactions)
    for backend in BACKENDS:
        result = profile(
            convert(tx, backend),
            convert(customers, backend),
            by=["region", "age"],
            interactions=convert(interactions, backend),
        )
        lazy = backend in LAZY_BACKENDS
        assert hasattr(result.table, "collect") or not lazy or backend == "duckdb", backend
        pd.testing.assert_frame_equal(to_pandas(result.table), expected.table, check_dtype=False)
        pd.testing.assert_frame_equal(to_pandas(result.tests), expected.tests, check_dtype=False)


def test_lazy_in_lazy_out() -> None:
    import polars as pl

    tx, customers, _ = make_tables(2)
    result = profile(pl.from_pandas(tx).lazy(), customers, by="tier")
    assert isinstance(result.table, pl.LazyFrame)
    assert isinstance(result.tests, pl.LazyFrame)


def test_columns_mapping_serves_every_table_and_inputs_are_not_mutated() -> None:
    tx, customers, interactions = make_tables(3)
    expected = profile(tx, customers, by="tier", interactions=interactions)
    mapping = {"customer_id": "who", "timestamp": "when", "amount": "value", "kind": "what"}
    renamed = [
        frame.rename(columns={k: v for k, v in mapping.items() if k in frame})
        for frame in (tx, customers, interactions)
    ]
    copies = [frame.copy() for frame in renamed]
    result = profile(renamed[0], renamed[1], by="tier", interactions=renamed[2], columns=mapping)
    pd.testing.assert_frame_equal(result.table, expected.table)
    for before, after in zip(copies, renamed, strict=True):
        pd.testing.assert_frame_equal(before, after)


def test_unknown_customers_are_counted_in_a_warning() -> None:
    customers = pd.DataFrame({"customer_id": [1], "tier": ["a"]})
    tx = pd.DataFrame(
        {
            "customer_id": [1, 2, 2],
            "timestamp": pd.to_datetime(["2024-01-01"] * 3),
            "amount": [1.0, 2.0, 3.0],
        }
    )
    with pytest.warns(DataQualityWarning, match="1 customers in transactions"):
        table = profile(tx, customers, by="tier").table
    assert table["revenue"].tolist() == [1.0]


def test_bad_arguments() -> None:
    tx, customers, _ = make_tables(1)
    with pytest.raises(SchemaError, match="shoe_size"):
        profile(tx, customers, by="shoe_size")
    with pytest.raises(ValueError, match="by"):
        profile(tx, customers, by=[])
    with pytest.raises(ValueError, match="customer_id"):
        profile(tx, customers, by="customer_id")
    with pytest.raises(ValueError, match="bin edges"):
        profile(tx, customers, by="age", bins=[3.0, 1.0])
    with pytest.raises(ValueError, match="confidence"):
        profile(tx, customers, by="tier", confidence=1.5)


def test_profile_finds_the_planted_age_effect_and_no_region_effect() -> None:
    data = simulate(4000, seed=8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = profile(data.transactions, data.customers, by=["age_band", "region"])
    tests = result.tests.set_index(["attribute", "metric"])
    assert tests.loc[("age_band", "mean_revenue"), "q_value"] < 1e-6
    assert tests.loc[("region", "mean_revenue"), "q_value"] > 0.05
    table = result.table[result.table["attribute"] == "age_band"]
    # gold (high-spend) customers are planted older: mean revenue rises with the band
    assert table["value"].tolist() == ["18-34", "35-49", "50-64", "65+"]
    assert table["mean_revenue"].iloc[0] < table["mean_revenue"].iloc[2]
    assert table["mean_revenue_high"].iloc[0] < table["mean_revenue_low"].iloc[2]


def test_plot_profile_draws_every_group_with_its_interval() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crmanalytics.plotting.profiles import plot_profile

    tx, customers, interactions = make_tables(4)
    result = profile(tx, customers, by=["region", "tier"], interactions=interactions)
    ax = plot_profile(result, metric="nps")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    table = result.table
    assert len(labels) == len(table)
    assert labels[0] == f"east (n={table['customers'].iloc[0]})"
    assert ax.get_xlabel() == "NPS"
    only = plot_profile(result.table, metric="repeat_rate", attribute="tier")
    assert [t.get_text().split(" ")[0] for t in only.get_yticklabels()] == ["basic", "gold"]
    with pytest.raises(ValueError, match="no 'revenue' with an interval"):
        plot_profile(result, metric="revenue")
    plt.close("all")
