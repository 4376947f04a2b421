"""concentration: Gini vs the mean-absolute-difference formula, top shares vs brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmanalytics.errors import DataQualityWarning, SchemaError
from crmanalytics.segmentation import concentration, rfm_table


def brute_gini(x: np.ndarray) -> float:
    return float(np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean()))


def brute_top_share(x: np.ndarray, fraction: float) -> float:
    """Share of the top fraction, counting the boundary customer pro rata."""
    ordered = np.sort(x)[::-1]
    k = fraction * len(x)
    whole = int(np.floor(k))
    held = ordered[:whole].sum() + (ordered[whole] * (k - whole) if whole < len(x) else 0.0)
    return float(held / x.sum())


values = st.lists(st.floats(0, 1e4, allow_nan=False), min_size=1, max_size=40).filter(
    lambda v: sum(v) > 1e-6
)


@given(v=values, fraction=st.floats(0, 1))
def test_gini_and_top_share_match_brute_force(v: list[float], fraction: float) -> None:
    x = np.array(v)
    result = concentration(pd.DataFrame({"monetary": x}))
    assert result.gini == pytest.approx(brute_gini(x), abs=1e-9)
    assert result.share_of_top(fraction) == pytest.approx(brute_top_share(x, fraction), abs=1e-9)
    assert 0 <= result.gini <= 1 - 1 / len(x) + 1e-12
    assert np.all(np.diff(result.value_share) >= -1e-15)


@given(v=values, share=st.floats(0, 1))
def test_fraction_for_share_inverts_share_of_top(v: list[float], share: float) -> None:
    result = concentration(pd.DataFrame({"monetary": np.array(v)}))
    fraction = result.fraction_for_share(share)
    assert result.share_of_top(fraction) >= share - 1e-9
    if fraction > 1e-9:  # a smaller fraction would not be enough
        assert result.share_of_top(max(fraction - 1e-6, 0.0)) < share + 1e-9


def test_known_cases() -> None:
    equal = concentration(pd.DataFrame({"monetary": [3.0] * 5}))
    assert equal.gini == 0.0
    assert equal.share_of_top(0.2) == pytest.approx(0.2)
    one = concentration(pd.DataFrame({"monetary": [0.0, 0.0, 0.0, 9.0]}))
    assert one.gini == pytest.approx(0.75)
    assert one.share_of_top(0.25) == pytest.approx(1.0)
    assert one.fraction_for_share(1.0) == pytest.approx(0.25)
    np.testing.assert_allclose(one.population_share, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(one.value_share, [0, 0, 0, 0, 1])


def test_transactions_are_summed_per_customer(backend, to_backend, transactions) -> None:
    direct = concentration(to_backend(transactions, backend))
    via_rfm = concentration(rfm_table(transactions))
    net = transactions.groupby("customer_id")["amount"].sum().to_numpy()
    assert (net > 0).all()  # this sample has no net refunders (no warning expected)
    assert direct.gini == pytest.approx(brute_gini(net))
    assert via_rfm.gini == pytest.approx(direct.gini)
    assert direct.n_customers == transactions["customer_id"].nunique()


def test_net_refunders_count_as_zero() -> None:
    with pytest.warns(DataQualityWarning, match="1 customers have a negative net value"):
        result = concentration(pd.DataFrame({"monetary": [-5.0, 10.0, 10.0]}))
    assert result.n_negative == 1
    assert result.n_customers == 3
    assert result.gini == pytest.approx(brute_gini(np.array([0.0, 10.0, 10.0])))


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="positive total"):
        concentration(pd.DataFrame({"monetary": [0.0, 0.0]}))
    with pytest.raises(ValueError, match="at least one customer"):
        concentration(pd.DataFrame({"monetary": pd.Series([], dtype="float64")}))
    with pytest.raises(SchemaError, match=r"'clv': is required by concentration but missing"):
        concentration(pd.DataFrame({"monetary": [1.0]}), column="clv")
    result = concentration(pd.DataFrame({"monetary": [1.0, 2.0]}))
    with pytest.raises(ValueError, match="fraction must lie in \\[0, 1\\]"):
        result.share_of_top(1.5)
