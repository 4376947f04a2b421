"""Issue 13 for churn: columns=, the caller's type out, fresh index, own errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

from crmanalytics.churn import (
    churn_dataset,
    churn_labels,
    churn_rate,
    cohort_retention,
    evaluate_churn,
)
from crmanalytics.errors import SchemaError

CALLS: dict[str, Callable[..., Any]] = {
    "churn_labels": lambda t, **kw: churn_labels(t, cutoff="2023-09-30", horizon=60, **kw),
    "churn_rate": lambda t, **kw: churn_rate(t, inactivity=60, **kw),
    "cohort_retention": lambda t, **kw: cohort_retention(t, period="Q", **kw),
    "churn_dataset": lambda t, **kw: churn_dataset(
        t, cutoff="2023-09-30", horizon=60, p_alive=False, **kw
    ),
}
MAPPING = {"customer_id": "Who", "timestamp": "When", "amount": "Paid"}


def renamed(t: pd.DataFrame) -> pd.DataFrame:
    return t.rename(columns=MAPPING)


@pytest.mark.parametrize("name", list(CALLS))
def test_columns_mapping_gives_the_same_result_with_a_fresh_index(
    name: str, make_transactions: Callable[..., pd.DataFrame]
) -> None:
    t = make_transactions(5)
    shuffled = t.sample(frac=1.0, random_state=1).set_axis(np.arange(len(t)) * 7 + 3)
    expected = CALLS[name](t)
    got = CALLS[name](renamed(shuffled), columns=MAPPING)
    assert isinstance(got, pd.DataFrame)
    assert got.index.tolist() == list(range(len(got)))
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize("name", list(CALLS))
def test_lazy_stays_lazy_and_eager_polars_stays_eager(
    name: str, make_transactions: Callable[..., pd.DataFrame]
) -> None:
    t = pl.from_pandas(renamed(make_transactions(6)))
    assert isinstance(CALLS[name](t.lazy(), columns=MAPPING), pl.LazyFrame)
    assert isinstance(CALLS[name](t, columns=MAPPING), pl.DataFrame)


@pytest.mark.parametrize("name", list(CALLS))
def test_duplicate_column_names_are_a_schema_error(
    name: str, make_transactions: Callable[..., pd.DataFrame]
) -> None:
    t = make_transactions(7)
    twice = pd.concat([t, t[["amount"]]], axis=1)
    with pytest.raises(SchemaError, match="amount") as info:
        CALLS[name](twice)
    assert info.value.problems[0].rule.startswith("must be unique")


def test_missing_mapped_column_names_the_fix_with_columns(
    make_transactions: Callable[..., pd.DataFrame],
) -> None:
    with pytest.raises(SchemaError) as info:
        churn_rate(make_transactions(1), columns={"customer_id": "Who"})
    (problem,) = info.value.problems
    assert problem.column == "customer_id"
    assert "columns=" in problem.fix


def test_segment_column_must_exist(make_transactions: Callable[..., pd.DataFrame]) -> None:
    with pytest.raises(SchemaError, match="region"):
        churn_rate(make_transactions(1), by="region")


def test_evaluate_churn_reads_a_scored_frame(
    make_transactions: Callable[..., pd.DataFrame],
) -> None:
    data = churn_dataset(make_transactions(8), cutoff="2023-09-30", horizon=60, p_alive=False)
    scored = data.assign(p=1.0 / (1.0 + data["days_since_last_purchase"].rank()))
    by_arrays = evaluate_churn(scored["p"].to_numpy(), scored["churned"].to_numpy(), n_bins=4)
    by_frame = evaluate_churn(
        pl.from_pandas(scored).lazy(), columns={"churn_probability": "p"}, n_bins=4
    )
    assert by_frame.auc == by_arrays.auc
    assert (by_frame.brier, by_frame.n) == (by_arrays.brier, by_arrays.n)
    pd.testing.assert_frame_equal(by_frame.calibration, by_arrays.calibration)
    with pytest.raises(SchemaError, match="churn_probability"):
        evaluate_churn(scored)
    with pytest.raises(TypeError, match="labels is missing"):
        evaluate_churn([0.1, 0.2])


class WrappedBetaGeo:
    """A purchase model that is not a BetaGeoModel: only the public protocol is used."""

    def __init__(self) -> None:
        from crmanalytics.value import BetaGeoModel

        self.inner = BetaGeoModel()
        self.time_unit_: Any = None

    def fit(self, summary: Any, *, time_unit: Any = None) -> WrappedBetaGeo:
        self.inner.fit(summary, time_unit=time_unit)
        self.time_unit_ = time_unit
        return self

    def expected_purchases(self, summary: Any, t: float) -> Any:
        return self.inner.expected_purchases(summary, t)

    def probability_alive(self, summary: Any) -> Any:
        return self.inner.probability_alive(summary)

    def probability_of_purchases(self, summary: Any, n: int, t: float) -> Any:
        return self.inner.probability_of_purchases(summary, n, t)

    def expected_purchases_new_customer(self, t: Any) -> Any:
        return self.inner.expected_purchases_new_customer(t)


@pytest.mark.parametrize("lazy", [False, True])
def test_churn_dataset_takes_any_purchase_model(lazy: bool) -> None:
    from crmanalytics.datasets import simulate

    t = simulate(400, seed=3).transactions
    default = churn_dataset(t, cutoff="2024-06-30", horizon=60)
    given = WrappedBetaGeo()
    frame = pl.from_pandas(t).lazy() if lazy else t
    out = churn_dataset(frame, cutoff="2024-06-30", horizon=60, model=given)
    got = out.collect().to_pandas() if lazy else out
    np.testing.assert_allclose(
        got.sort_values("customer_id")["p_alive"].to_numpy(), default["p_alive"].to_numpy()
    )
    # the caller's model is left unfitted: a copy is fitted on the cutoff summary
    assert given.time_unit_ is None
    assert not hasattr(given.inner, "params_")
    with pytest.raises(TypeError, match="purchase model"):
        churn_dataset(t, cutoff="2024-06-30", horizon=60, model=object())
