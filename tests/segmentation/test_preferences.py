"""preference_segments(): planted groups recovered, descriptions equal a pandas reference."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from backends import BACKENDS, convert, to_pandas
from sklearn.metrics import adjusted_rand_score

from crmanalytics.datasets import SimulatedData, simulate
from crmanalytics.errors import DataQualityWarning, SchemaError
from crmanalytics.segmentation import PreferenceSegments, preference_segments


@pytest.fixture(scope="module")
def data() -> SimulatedData:
    return simulate(2500, seed=19)


@pytest.fixture(scope="module")
def result(data: SimulatedData) -> PreferenceSegments:
    return preference_segments(data.transactions, random_state=1, n_bootstrap=8)


def shares_ref(tx: pd.DataFrame, by: str = "category") -> pd.DataFrame:
    bought = tx[(tx["amount"] > 0) & tx[by].notna()]
    spend = bought.pivot_table(index="customer_id", columns=by, values="amount", aggfunc="sum")
    spend = spend.fillna(0.0)
    return spend.div(spend.sum(axis=1), axis=0)


def test_planted_groups_are_recovered(data: SimulatedData, result: PreferenceSegments) -> None:
    assert result.criterion == "silhouette"
    assert result.n_segments == 4  # four planted groups
    assert max(result.criterion_values, key=result.criterion_values.__getitem__) == 4
    assert sorted(result.criterion_values) == list(range(2, 11))
    truth = data.truth.preferences
    assert truth is not None
    merged = result.assignments.merge(truth.customers, on="customer_id")
    ari = adjusted_rand_score(merged["preference_group"], merged["segment"])
    fitted = merged[merged["fitted"]]
    ari_fitted = adjusted_rand_score(fitted["preference_group"], fitted["segment"])
    # chance agreement is 0; one-order customers are assigned from a single line
    assert ari > 0.5
    assert ari_fitted > 0.6
    assert result.stability > 0.8
    assert len(result.stability_scores) == 8
    # every segment is defined by exactly the two categories of one planted group
    defining = {frozenset(d.split(", ")) for d in result.segments["defining_categories"]}
    assert defining == {frozenset(v) for v in truth.groups.values()}


def test_descriptions_match_a_pandas_reference(
    data: SimulatedData, result: PreferenceSegments
) -> None:
    tx = data.transactions
    shares = shares_ref(tx)
    labels = result.assignments.set_index("customer_id")["segment"].reindex(shares.index)
    base = shares.mean()
    cells = result.categories
    for segment, members in shares.groupby(labels):
        expected = members.mean()
        got = cells[cells["segment"] == segment].set_index("category")
        np.testing.assert_allclose(got.loc[expected.index, "share"], expected)
        np.testing.assert_allclose(got.loc[expected.index, "base_share"], base)
        np.testing.assert_allclose(got.loc[expected.index, "lift"], expected / base)
    revenue = tx[tx["amount"] > 0].groupby("customer_id")["amount"].sum().reindex(shares.index)
    seg = result.segments.set_index("segment")
    by_seg = revenue.groupby(labels)
    np.testing.assert_array_equal(seg["customers"], by_seg.size().to_numpy())
    np.testing.assert_allclose(seg["revenue"], by_seg.sum().to_numpy())
    np.testing.assert_allclose(seg["mean_revenue"], by_seg.mean().to_numpy())
    np.testing.assert_allclose(seg["revenue_share"], (by_seg.sum() / revenue.sum()).to_numpy())
    np.testing.assert_allclose(seg["customer_share"], by_seg.size().to_numpy() / len(shares))
    # segments are numbered by size, largest first
    assert seg["customers"].is_monotonic_decreasing


def test_fitted_customers_sit_nearest_their_own_segment_centre(
    data: SimulatedData, result: PreferenceSegments
) -> None:
    """The k-means fixed point, checked with numpy: each customer's nearest centre."""
    tx = data.transactions
    shares = shares_ref(tx)
    orders = tx[tx["amount"] > 0].groupby("customer_id")["transaction_id"].nunique()
    assign = result.assignments.set_index("customer_id").reindex(shares.index)
    fitted = (orders.reindex(shares.index) >= 2).to_numpy()
    np.testing.assert_array_equal(assign["fitted"].to_numpy(), fitted)
    x = shares.to_numpy()
    labels = assign["segment"].to_numpy()
    centres = np.vstack([x[fitted & (labels == s)].mean(axis=0) for s in range(1, 5)])
    distance = ((x[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    nearest = distance.argmin(axis=1) + 1
    assert (nearest == labels).mean() > 0.99


def test_same_seed_same_segments(data: SimulatedData) -> None:
    tx = data.transactions.head(3000)
    one = preference_segments(tx, random_state=3, n_bootstrap=2, max_segments=5)
    two = preference_segments(tx, random_state=3, n_bootstrap=2, max_segments=5)
    pd.testing.assert_frame_equal(one.assignments, two.assignments)
    assert one.criterion_values == two.criterion_values
    assert one.stability_scores == two.stability_scores


def test_gaussian_mixture_chooses_k_by_bic(data: SimulatedData) -> None:
    tx = data.transactions.head(4000)
    result = preference_segments(tx, method="gmm", random_state=0, n_bootstrap=2, max_segments=6)
    assert result.criterion == "bic"
    assert result.n_segments == min(result.criterion_values, key=result.criterion_values.get)
    assert result.method == "gmm"


def test_price_and_basket_features(data: SimulatedData) -> None:
    tx = data.transactions.head(4000)
    result = preference_segments(
        tx, n_segments=3, price_level=True, basket_size=True, random_state=0, n_bootstrap=0
    )
    assert result.n_segments == 3
    assert np.isnan(result.stability)
    assert result.assignments["segment"].between(1, 3).all()


@pytest.mark.parity
def test_backend_parity_and_columns_mapping(data: SimulatedData) -> None:
    tx = data.transactions.head(3000)
    expected = preference_segments(tx, n_segments=4, random_state=0, n_bootstrap=2)
    for backend in BACKENDS:
        got = preference_segments(convert(tx, backend), n_segments=4, random_state=0, n_bootstrap=2)
        for name in ("assignments", "segments", "categories"):
            pd.testing.assert_frame_equal(
                to_pandas(getattr(got, name)), getattr(expected, name), check_dtype=False
            )
    mine = tx.rename(columns={"customer_id": "who", "amount": "value"})
    before = mine.copy()
    mapped = preference_segments(
        mine,
        n_segments=4,
        random_state=0,
        n_bootstrap=2,
        columns={"customer_id": "who", "amount": "value"},
    )
    pd.testing.assert_frame_equal(mapped.assignments, expected.assignments)
    pd.testing.assert_frame_equal(mine, before)


def test_returns_are_set_aside_with_a_warning() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2, 3, 3, 1],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02"] * 3 + ["2024-01-05"]),
            "amount": [5.0, 6.0, 7.0, 8.0, 9.0, 1.0, -5.0],
            "category": ["a", "a", "b", "b", "a", "b", "a"],
        }
    )
    with pytest.warns(DataQualityWarning, match="1 transaction rows"):
        result = preference_segments(tx, n_segments=2, random_state=0, n_bootstrap=0)
    assert len(result.assignments) == 3


def test_bad_input() -> None:
    tx = pd.DataFrame(
        {"customer_id": [1], "timestamp": pd.to_datetime(["2024-01-01"]), "amount": [1.0]}
    )
    with pytest.raises(SchemaError, match="category"):
        preference_segments(tx)
    tx["category"] = "a"
    with pytest.raises(ValueError, match="at least 3 customers"):
        preference_segments(tx)
    bad: dict[str, Any] = {"method": "dbscan"}
    with pytest.raises(ValueError, match="method"):
        preference_segments(tx, **bad)
    with pytest.raises(ValueError, match="n_segments"):
        preference_segments(tx, n_segments=0)


def test_heat_map_shows_every_category_and_segment(result: PreferenceSegments) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crmanalytics.plotting.profiles import plot_segment_heatmap

    ax = plot_segment_heatmap(result)
    categories = sorted(result.categories["category"].unique())
    assert [t.get_text() for t in ax.get_xticklabels()] == categories
    sizes = result.segments["customers"].tolist()
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        f"{s} (n={n})" for s, n in zip(range(1, 5), sizes, strict=True)
    ]
    share = plot_segment_heatmap(result.categories, value="share")
    image = share.get_images()[0].get_array()
    cells = result.categories.pivot_table(index="segment", columns="category", values="share")
    np.testing.assert_allclose(image, cells.to_numpy())
    plt.close("all")
