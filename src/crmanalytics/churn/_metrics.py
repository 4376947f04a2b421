"""Numeric kernels for scoring churn predictions (numpy in, numpy out).

Examples
--------
>>> import numpy as np
>>> from crmanalytics.churn._metrics import auc_mann_whitney
>>> auc_mann_whitney(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1]))
0.75
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata

__all__ = ["auc_mann_whitney", "brier_score", "calibration_bins"]

FloatArray = npt.NDArray[np.float64]


def auc_mann_whitney(scores: FloatArray, labels: npt.NDArray[Any]) -> float:
    """Area under the ROC curve from the Mann-Whitney U statistic, ties counted half.

    AUC = (R1 - n1 (n1 + 1) / 2) / (n1 n0), with R1 the sum of the mid-ranks of the
    positives: the probability that a random positive scores above a random negative.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.churn._metrics import auc_mann_whitney
    >>> auc_mann_whitney(np.array([0.5, 0.5]), np.array([0, 1]))
    0.5
    """
    positive = labels.astype(bool)
    n1 = int(positive.sum())
    n0 = positive.size - n1
    ranks = rankdata(scores, method="average")
    u = float(ranks[positive].sum()) - n1 * (n1 + 1) / 2.0
    return u / (n1 * n0)


def brier_score(scores: FloatArray, labels: npt.NDArray[Any]) -> float:
    """Mean squared difference between predicted probability and outcome.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.churn._metrics import brier_score
    >>> brier_score(np.array([1.0, 0.5]), np.array([1, 0]))
    0.125
    """
    return float(np.mean((scores - labels.astype(np.float64)) ** 2))


def calibration_bins(
    scores: FloatArray, labels: npt.NDArray[Any], n_bins: int
) -> dict[str, npt.NDArray[Any]]:
    """Equal-width bins on [0, 1]: count, mean score and observed rate per bin.

    Bin i holds scores in [i/n, (i+1)/n), the last bin also holds 1.0. Empty bins
    have count 0 and NaN means.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.churn._metrics import calibration_bins
    >>> calibration_bins(np.array([0.1, 0.2, 0.9]), np.array([0, 1, 1]), 2)["n"].tolist()
    [2, 1]
    """
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    index = np.clip(np.floor(scores * n_bins).astype(np.int64), 0, n_bins - 1)
    n = np.bincount(index, minlength=n_bins)
    score_sum = np.bincount(index, weights=scores, minlength=n_bins)
    label_sum = np.bincount(index, weights=labels.astype(np.float64), minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_score = np.where(n > 0, score_sum / np.maximum(n, 1), np.nan)
        observed = np.where(n > 0, label_sum / np.maximum(n, 1), np.nan)
    return {
        "bin_low": edges[:-1],
        "bin_high": edges[1:],
        "n": n,
        "mean_score": mean_score,
        "observed_rate": observed,
    }
