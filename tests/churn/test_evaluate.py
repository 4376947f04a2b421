"""evaluate_churn: AUC against brute-force pairs and scikit-learn, Brier, calibration."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import brier_score_loss, roc_auc_score

from crmanalytics.churn import ChurnEvaluation, evaluate_churn


def pairwise_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    pos = scores[labels]
    neg = scores[~labels]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


@given(
    st.lists(
        st.tuples(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.9, 1.0]), st.booleans()),
        min_size=2,
        max_size=60,
    ).filter(lambda rows: 0 < sum(y for _, y in rows) < len(rows))
)
def test_auc_with_ties_matches_pairs_and_sklearn(rows: list[tuple[float, bool]]) -> None:
    scores = np.array([s for s, _ in rows])
    labels = np.array([y for _, y in rows])
    result = evaluate_churn(scores, labels)
    assert result.auc == pytest.approx(pairwise_auc(scores, labels), abs=1e-12)
    assert result.auc == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    assert result.brier == pytest.approx(brier_score_loss(labels, scores), abs=1e-12)
    assert result.n == len(rows)
    assert result.n_churned == int(labels.sum())


def test_calibration_table_by_hand() -> None:
    scores = np.array([0.05, 0.15, 0.18, 0.5, 0.95, 1.0])
    labels = np.array([0, 0, 1, 1, 1, 1])
    table = evaluate_churn(scores, labels, n_bins=4).calibration
    assert list(table.columns) == ["bin_low", "bin_high", "n", "mean_score", "observed_rate"]
    np.testing.assert_allclose(table["bin_low"], [0, 0.25, 0.5, 0.75])
    assert table["n"].tolist() == [3, 0, 1, 2]  # 1.0 falls in the last bin
    np.testing.assert_allclose(table["mean_score"], [(0.05 + 0.15 + 0.18) / 3, np.nan, 0.5, 0.975])
    np.testing.assert_allclose(table["observed_rate"], [1 / 3, np.nan, 1.0, 1.0])


def test_calibration_matches_pandas_cut() -> None:
    rng = np.random.default_rng(0)
    scores = rng.uniform(size=500)
    labels = rng.uniform(size=500) < scores
    table = evaluate_churn(scores, labels).calibration
    bins = pd.cut(scores, np.linspace(0, 1, 11), right=False)
    expected = (
        pd.DataFrame({"s": scores, "y": labels})
        .groupby(bins, observed=False)
        .agg(n=("s", "size"), mean_score=("s", "mean"), observed_rate=("y", "mean"))
    )
    assert table["n"].tolist() == expected["n"].tolist()
    np.testing.assert_allclose(table["mean_score"], expected["mean_score"])
    np.testing.assert_allclose(table["observed_rate"], expected["observed_rate"])


def test_accepts_series_and_is_frozen() -> None:
    result = evaluate_churn(pd.Series([0.2, 0.8]), pd.Series([False, True]))
    assert isinstance(result, ChurnEvaluation)
    assert result.auc == 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.auc = 0.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("scores", "labels", "pattern"),
    [
        ([0.1, 0.2], [1], "same length"),
        ([], [], "empty"),
        ([0.1, 1.2], [0, 1], r"scores must be probabilities in \[0, 1\]"),
        ([0.1, float("nan")], [0, 1], "scores: 1 missing"),
        ([0.1, 0.2], [0, 2], "labels must be booleans or 0/1"),
        ([0.1, 0.2], [1, 1], "single class"),
        ([[0.1], [0.2]], [0, 1], "one-dimensional"),
    ],
)
def test_bad_input(scores, labels, pattern) -> None:
    with pytest.raises(ValueError, match=pattern):
        evaluate_churn(scores, labels)


def test_bad_bins() -> None:
    with pytest.raises(ValueError, match="n_bins must be a positive integer"):
        evaluate_churn([0.1, 0.9], [0, 1], n_bins=0)
