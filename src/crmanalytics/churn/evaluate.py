"""Scoring churn predictions against what happened: AUC, Brier score, calibration.

Examples
--------
>>> from crmanalytics.churn import evaluate_churn
>>> evaluate_churn([0.9, 0.2, 0.7, 0.4], [True, False, False, True]).auc
0.75
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd

from crmanalytics._frames import collect, renamed
from crmanalytics.churn._metrics import auc_mann_whitney, brier_score, calibration_bins

__all__ = ["ChurnEvaluation", "evaluate_churn"]


@dataclass(frozen=True)
class ChurnEvaluation:
    """How well churn scores separate and match observed churn.

    Attributes
    ----------
    auc : float
        Area under the ROC curve: the probability that a random churner scores above
        a random non-churner, ties counted half (0.5 is chance, 1 is perfect).
    brier : float
        Mean squared error of the scores as probabilities (0 is perfect; always
        predicting the base rate p gives p (1 - p)).
    n : int
        Number of customers scored.
    n_churned : int
        How many of them churned.
    calibration : pandas.DataFrame
        One row per equal-width score bin: ``bin_low``, ``bin_high``, ``n``,
        ``mean_score`` and ``observed_rate`` (NaN for empty bins). Well-calibrated
        scores have ``mean_score`` close to ``observed_rate``.

    Examples
    --------
    >>> from crmanalytics.churn import evaluate_churn
    >>> result = evaluate_churn([0.8, 0.1], [1, 0], n_bins=2)
    >>> result.n, result.n_churned, result.brier
    (2, 1, 0.025)
    """

    auc: float
    brier: float
    n: int
    n_churned: int
    calibration: pd.DataFrame


def evaluate_churn(
    scores: Any,
    labels: Any = None,
    *,
    n_bins: int = 10,
    columns: Mapping[str, str] | None = None,
) -> ChurnEvaluation:
    """Evaluate churn probabilities against observed churn labels.

    Two ways to call it: with two aligned arrays, ``evaluate_churn(scores, labels)``,
    or with one frame holding both, ``evaluate_churn(frame)``: for example a
    :func:`churn_dataset` (whose ``churned`` column is the label) joined with the
    ``churn_probability`` of :func:`churn_probability`.

    Parameters
    ----------
    scores : array-like of float, or dataframe
        Predicted churn probabilities in [0, 1] (for example ``churn_probability``
        from a model fitted before a cutoff), one per customer. Or, when ``labels``
        is not given, a frame (any backend) with columns ``churn_probability`` and
        ``churned``.
    labels : array-like of bool or {0, 1}, optional
        Observed churn (for example ``churned`` from :func:`churn_labels` after the
        same cutoff), aligned with ``scores``. Omit it when ``scores`` is a frame.
    n_bins : int, default 10
        Number of equal-width bins on [0, 1] in the calibration table.
    columns : mapping of str to str, optional
        With a frame: expected name to your column name, e.g.
        ``{"churn_probability": "p_churn", "churned": "left"}``.

    Returns
    -------
    ChurnEvaluation
        AUC (from the Mann-Whitney U statistic with mid-ranks for ties), Brier score,
        counts and the calibration table.

    Raises
    ------
    ValueError
        When the inputs differ in length, are empty, contain missing values, scores
        fall outside [0, 1], labels are not binary, or only one class is present
        (the AUC is then undefined).

    Examples
    --------
    >>> from crmanalytics.churn import evaluate_churn
    >>> result = evaluate_churn([0.9, 0.6, 0.3, 0.1], [1, 0, 1, 0], n_bins=2)
    >>> result.auc
    0.75
    >>> result.calibration[["n", "mean_score", "observed_rate"]]
       n  mean_score  observed_rate
    0  2        0.20            0.5
    1  2        0.75            0.5

    From a frame:

    >>> import pandas as pd
    >>> scored = pd.DataFrame({"p": [0.9, 0.6, 0.3, 0.1], "churned": [True, False, True, False]})
    >>> evaluate_churn(scored, columns={"churn_probability": "p"}, n_bins=2).auc
    0.75
    """
    if labels is None:
        scores, labels = _from_frame(scores, columns)
    elif columns is not None:
        raise ValueError("columns applies only when scores is a frame and labels is omitted")
    s = _as_array(scores, "scores")
    y = _as_array(labels, "labels")
    if s.size != y.size:
        raise ValueError(f"scores and labels must have the same length, got {s.size} and {y.size}")
    if s.size == 0:
        raise ValueError("scores and labels are empty; pass at least one churner and one other")
    s = _as_float(s, "scores")
    if np.isnan(s).any():
        raise ValueError(f"scores: {int(np.isnan(s).sum())} missing values; drop or fill them")
    if ((s < 0) | (s > 1)).any():
        bad = s[(s < 0) | (s > 1)][:5].tolist()
        raise ValueError(
            f"scores must be probabilities in [0, 1] (examples out of range: {bad}); "
            "pass churn probabilities, not raw model scores"
        )
    y = _as_binary(y)
    bins: object = n_bins
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    n_churned = int(y.sum())
    if n_churned in (0, y.size):
        raise ValueError(
            "labels contain a single class, so the AUC is undefined; evaluate on a "
            "holdout with both churners and non-churners"
        )
    return ChurnEvaluation(
        auc=auc_mann_whitney(s, y),
        brier=brier_score(s, y),
        n=int(s.size),
        n_churned=n_churned,
        calibration=pd.DataFrame(calibration_bins(s, y, n_bins)),
    )


def _from_frame(
    frame: Any, columns: Mapping[str, str] | None
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The score and label columns of a scored frame, as numpy arrays."""
    if not _is_frame(frame):
        raise TypeError(
            "labels is missing: pass evaluate_churn(scores, labels), or a frame with "
            "columns 'churn_probability' and 'churned' as the only argument"
        )
    needs = ["churn_probability", "churned"]
    wrapped = renamed(
        frame, columns=columns, needs=needs, table="scored churn data", purpose="evaluate_churn"
    )
    small = collect(wrapped.select(*needs))
    score = small["churn_probability"]
    label = small["churned"]
    as_float = score.cast(nw.Float64).fill_null(float("nan")).to_numpy()
    return np.asarray(as_float, dtype=np.float64), np.asarray(label.to_list(), dtype=object)


def _is_frame(value: Any) -> bool:
    if isinstance(value, nw.DataFrame | nw.LazyFrame):
        return True
    wrapped = nw.from_native(value, pass_through=True)
    return isinstance(wrapped, nw.DataFrame | nw.LazyFrame)


def _as_array(values: Any, name: str) -> np.ndarray[Any, Any]:
    if hasattr(values, "to_numpy"):
        values = values.to_numpy()
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def _as_float(values: np.ndarray[Any, Any], name: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    try:
        return values.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numbers, got dtype {values.dtype}") from exc


def _as_binary(values: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.bool_]]:
    if values.dtype == bool:
        return values
    numbers = _as_float(values, "labels")
    if np.isnan(numbers).any() or not np.isin(numbers, (0.0, 1.0)).all():
        bad = numbers[~np.isin(numbers, (0.0, 1.0))][:5].tolist()
        raise ValueError(
            f"labels must be booleans or 0/1 (examples: {bad}); True / 1 means churned"
        )
    result: np.ndarray[Any, np.dtype[np.bool_]] = numbers == 1.0
    return result
