"""Interval arithmetic for the Net Promoter Score (numpy in, numpy out).

Everything here works on counts of promoters, passives and detractors (one entry per
group) and knows nothing of dataframes. Scores are on the -100..100 scale.

The sample NPS is ``100 (p_pro - p_det)`` and the variance of one answer scored
+1 / 0 / -1 is ``V = p_pro + p_det - (p_pro - p_det)^2`` (trinomial: the covariance of
the two shares matters), so the standard error is ``100 sqrt(V / n)``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from crmanalytics._intervals import z_value

__all__ = [
    "ADJUSTMENT",
    "METHODS",
    "IntervalArrays",
    "adjusted_wald",
    "bootstrap",
    "check_method",
    "difference",
    "intervals",
    "per_answer_variance",
    "sample_size",
    "wald",
    "z_value",
]

FloatArray = npt.NDArray[np.float64]

#: Rocks (2016) pseudo-counts added by the adjusted Wald interval:
#: (promoters, passives, detractors), three answers in all.
ADJUSTMENT: tuple[float, float, float] = (0.75, 1.5, 0.75)

_SCALE = 100.0
_CHUNK = 256


class IntervalArrays(NamedTuple):
    """Point estimates, standard errors and interval bounds, one entry per group."""

    estimate: FloatArray
    standard_error: FloatArray
    low: FloatArray
    high: FloatArray


def per_answer_variance(p_pro: npt.ArrayLike, p_det: npt.ArrayLike) -> FloatArray:
    """Variance of one answer scored +1 (promoter), 0 (passive), -1 (detractor).

    Examples
    --------
    >>> from crmanalytics.feedback._nps_kernel import per_answer_variance
    >>> float(per_answer_variance(0.5, 0.5))
    1.0
    """
    pp = np.asarray(p_pro, dtype=np.float64)
    pd_ = np.asarray(p_det, dtype=np.float64)
    return np.maximum(pp + pd_ - (pp - pd_) ** 2, 0.0)


def _counts(*arrays: npt.ArrayLike) -> tuple[FloatArray, ...]:
    return tuple(np.atleast_1d(np.asarray(a, dtype=np.float64)) for a in arrays)


def _wald_from(pro: FloatArray, pas: FloatArray, det: FloatArray, z: float) -> IntervalArrays:
    n = pro + pas + det
    with np.errstate(invalid="ignore", divide="ignore"):
        p_pro = pro / n
        p_det = det / n
        estimate = _SCALE * (p_pro - p_det)
        se = _SCALE * np.sqrt(per_answer_variance(p_pro, p_det) / n)
    low = np.clip(estimate - z * se, -_SCALE, _SCALE)
    high = np.clip(estimate + z * se, -_SCALE, _SCALE)
    return IntervalArrays(estimate, se, low, high)


def wald(
    promoters: npt.ArrayLike, passives: npt.ArrayLike, detractors: npt.ArrayLike, z: float
) -> IntervalArrays:
    """Wald interval: sample NPS plus or minus ``z`` standard errors, clipped to +-100.

    Examples
    --------
    >>> from crmanalytics.feedback._nps_kernel import wald
    >>> r = wald([50], [30], [20], 1.96)
    >>> float(r.estimate[0]), round(float(r.standard_error[0]), 4)
    (30.0, 7.8102)
    """
    pro, pas, det = _counts(promoters, passives, detractors)
    return _wald_from(pro, pas, det, z)


def adjusted_wald(
    promoters: npt.ArrayLike, passives: npt.ArrayLike, detractors: npt.ArrayLike, z: float
) -> IntervalArrays:
    """Compute the adjusted Wald interval of Rocks (2016).

    Adds 0.75 promoters, 1.5 passives and 0.75 detractors (``n + 3`` answers), then
    computes the Wald interval around the adjusted score. The returned
    ``estimate`` is the adjusted score, the interval's centre.

    Examples
    --------
    >>> from crmanalytics.feedback._nps_kernel import adjusted_wald
    >>> r = adjusted_wald([5], [0], [0], 1.96)
    >>> round(float(r.estimate[0]), 4), float(r.high[0]) <= 100.0
    (62.5, True)
    """
    pro, pas, det = _counts(promoters, passives, detractors)
    a_pro, a_pas, a_det = ADJUSTMENT
    return _wald_from(pro + a_pro, pas + a_pas, det + a_det, z)


def bootstrap(
    promoters: npt.ArrayLike,
    passives: npt.ArrayLike,
    detractors: npt.ArrayLike,
    confidence: float,
    *,
    n_resamples: int,
    rng: np.random.Generator,
) -> IntervalArrays:
    """Percentile bootstrap interval, resampling answers with replacement.

    Resampling ``n`` answers from a sample is a multinomial draw with the sample's
    shares, so only the counts are needed. ``standard_error`` is the standard
    deviation of the resampled scores; ``estimate`` is the sample NPS.

    Examples
    --------
    >>> import numpy as np
    >>> from crmanalytics.feedback._nps_kernel import bootstrap
    >>> r = bootstrap([50], [30], [20], 0.95, n_resamples=500, rng=np.random.default_rng(0))
    >>> bool(r.low[0] < 30.0 < r.high[0])
    True
    """
    pro, pas, det = _counts(promoters, passives, detractors)
    n = pro + pas + det
    estimate = _SCALE * (pro - det) / n
    se = np.empty_like(estimate)
    low = np.empty_like(estimate)
    high = np.empty_like(estimate)
    tail = (1.0 - confidence) / 2.0
    shares = np.stack([pro, pas, det], axis=-1) / n[:, None]
    sizes = n.astype(np.int64)
    for start in range(0, len(n), _CHUNK):
        stop = min(start + _CHUNK, len(n))
        draws = rng.multinomial(
            sizes[start:stop], shares[start:stop], size=(n_resamples, stop - start)
        )
        scores = _SCALE * (draws[..., 0] - draws[..., 2]) / n[start:stop]
        se[start:stop] = scores.std(axis=0, ddof=1)
        low[start:stop] = np.quantile(scores, tail, axis=0)
        high[start:stop] = np.quantile(scores, 1.0 - tail, axis=0)
    return IntervalArrays(estimate, se, low, high)


def difference(
    first: tuple[Any, Any, Any],
    second: tuple[Any, Any, Any],
    z: float,
    *,
    adjusted: bool,
) -> IntervalArrays:
    """Difference ``second - first`` of two independent scores, with its Wald interval.

    ``first`` and ``second`` are ``(promoters, passives, detractors)`` counts. With
    ``adjusted=True`` each sample gets the Rocks pseudo-counts first. Bounds are
    clipped to [-200, 200].

    Examples
    --------
    >>> from crmanalytics.feedback._nps_kernel import difference
    >>> r = difference((50, 30, 20), (60, 20, 20), 1.96, adjusted=False)
    >>> float(r.estimate[0])
    10.0
    """
    one = adjusted_wald(*first, z) if adjusted else wald(*first, z)
    two = adjusted_wald(*second, z) if adjusted else wald(*second, z)
    estimate = two.estimate - one.estimate
    se = np.sqrt(one.standard_error**2 + two.standard_error**2)
    low = np.clip(estimate - z * se, -2 * _SCALE, 2 * _SCALE)
    high = np.clip(estimate + z * se, -2 * _SCALE, 2 * _SCALE)
    return IntervalArrays(estimate, se, low, high)


def sample_size(margin: float, p_pro: float, p_det: float, z: float) -> int:
    """Answers needed so that ``z`` standard errors are at most ``margin`` NPS points.

    ``n = ceil(z^2 V / (margin / 100)^2)`` with ``V`` the per-answer variance.

    Examples
    --------
    >>> from crmanalytics.feedback._nps_kernel import sample_size
    >>> sample_size(10.0, 0.5, 0.5, 1.96)
    385
    """
    variance = float(per_answer_variance(p_pro, p_det))
    needed = z**2 * variance / (margin / _SCALE) ** 2
    # Guard against 384.00000000000006 style float noise before rounding up.
    return max(int(np.ceil(round(needed, 9))), 1)


#: Interval methods: ``"wald"``, ``"adjusted-wald"`` (Rocks 2016) and ``"bootstrap"``.
METHODS: tuple[str, ...] = ("wald", "adjusted-wald", "bootstrap")


def check_method(method: str, allowed: tuple[str, ...] = METHODS) -> None:
    """Raise a ValueError naming the allowed methods unless ``method`` is one of them.

    Examples
    --------
    >>> from crmanalytics.feedback._nps_kernel import check_method
    >>> check_method("wald")
    """
    if method not in allowed:
        names = ", ".join(repr(m) for m in allowed)
        raise ValueError(f"method must be one of {names}, got {method!r}")


def intervals(
    counts: tuple[npt.ArrayLike, npt.ArrayLike, npt.ArrayLike],
    *,
    method: str,
    confidence: float,
    n_resamples: int,
    seed: int | np.random.Generator | None,
) -> IntervalArrays:
    """Intervals by ``method`` for (promoters, passives, detractors) counts per group.

    Examples
    --------
    >>> from crmanalytics.feedback._nps_kernel import intervals
    >>> out = intervals(([50], [30], [20]), method="wald", confidence=0.95,
    ...                 n_resamples=0, seed=None)
    >>> round(float(out.low[0]), 2), round(float(out.high[0]), 2)
    (14.69, 45.31)
    """
    check_method(method)
    z = z_value(confidence)
    if method == "wald":
        return wald(*counts, z)
    if method == "adjusted-wald":
        return adjusted_wald(*counts, z)
    if n_resamples < 100:
        raise ValueError(f"n_resamples must be at least 100 for a bootstrap, got {n_resamples}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return bootstrap(*counts, confidence, n_resamples=n_resamples, rng=rng)
