"""Net Promoter Score with its uncertainty.

Answers to "How likely are you to recommend us?" on a 0..10 scale are grouped into
detractors (0-6), passives (7-8) and promoters (9-10). The Net Promoter Score is the
percentage of promoters minus the percentage of detractors, on the -100..100 scale.
Every function here also reports the standard error and a confidence interval,
because a move from 32 to 35 is often noise.

Examples
--------
>>> from crmanalytics.feedback import nps
>>> result = nps([10, 9, 9, 8, 7, 6, 3, 10, 9, 0])
>>> result.score
20.0
>>> result.promoters, result.passives, result.detractors
(5, 2, 3)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal, TypeAlias

import numpy as np
from scipy import stats

from crmanalytics._results import ConfidenceInterval
from crmanalytics.errors import SchemaError
from crmanalytics.feedback import _nps_kernel as kernel
from crmanalytics.feedback._input import Missing, read_scores

__all__ = [
    "Method",
    "NPSComparison",
    "NPSResult",
    "compare_nps",
    "nps",
    "required_sample_size",
]

#: Interval methods: ``"wald"``, ``"adjusted-wald"`` (Rocks 2016) and ``"bootstrap"``.
Method: TypeAlias = Literal["wald", "adjusted-wald", "bootstrap"]

_COMPARE_MISSING_FIX = (
    "fill or remove the missing answers, or pass the result of "
    "nps(answers, missing='drop') instead of the raw answers"
)


@dataclass(frozen=True)
class NPSResult:
    """Net Promoter Score of one sample, with its uncertainty.

    Parameters
    ----------
    score : float
        Sample NPS, ``100 * (promoters - detractors) / n``, in [-100, 100].
    n : int
        Number of answers.
    promoters, passives, detractors : int
        Answers of 9-10, 7-8 and 0-6.
    standard_error : float
        Standard error behind the interval: ``100 sqrt(V / n)`` with
        ``V = p_pro + p_det - (p_pro - p_det)^2`` for ``"wald"``; the same on the
        adjusted counts (``n + 3``) for ``"adjusted-wald"``; the standard deviation of
        the resampled scores for ``"bootstrap"``.
    confidence_interval : ConfidenceInterval
        Two-sided interval, always within [-100, 100].
    method : str
        Interval method used.
    confidence : float
        Confidence level of the interval.

    Examples
    --------
    >>> from crmanalytics.feedback import nps
    >>> r = nps([9] * 50 + [7] * 30 + [3] * 20)
    >>> r.score, round(r.standard_error, 3)
    (30.0, 7.81)
    >>> round(r.confidence_interval.low, 2), round(r.confidence_interval.high, 2)
    (14.69, 45.31)
    """

    score: float
    n: int
    promoters: int
    passives: int
    detractors: int
    standard_error: float
    confidence_interval: ConfidenceInterval
    method: str
    confidence: float = 0.95


@dataclass(frozen=True)
class NPSComparison:
    """Difference between two independent Net Promoter Scores: NPS(b) - NPS(a).

    Parameters
    ----------
    difference : float
        ``b.score - a.score`` in NPS points (the change from ``a`` to ``b``).
    standard_error : float
        ``sqrt(se_a^2 + se_b^2)``, from each sample's Wald (or adjusted Wald)
        standard error.
    z : float
        Test statistic for "no difference": the method's estimate of the difference
        divided by ``standard_error``.
    p_value : float
        Two-sided p-value of ``z`` under the standard normal.
    confidence_interval : ConfidenceInterval
        Interval for the difference, within [-200, 200].
    method : str
        ``"wald"`` or ``"adjusted-wald"``.
    confidence : float
        Confidence level of the interval.

    Examples
    --------
    >>> from crmanalytics.feedback import compare_nps
    >>> c = compare_nps([9] * 50 + [7] * 30 + [3] * 20, [9] * 60 + [7] * 20 + [3] * 20)
    >>> c.difference, round(c.p_value, 3)
    (10.0, 0.371)
    """

    difference: float
    standard_error: float
    z: float
    p_value: float
    confidence_interval: ConfidenceInterval
    method: str
    confidence: float = 0.95


def _from_counts(
    promoters: int,
    passives: int,
    detractors: int,
    *,
    method: str,
    confidence: float,
    n_resamples: int = 2000,
    seed: int | np.random.Generator | None = None,
) -> NPSResult:
    out = kernel.intervals(
        ([promoters], [passives], [detractors]),
        method=method,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
    )
    n = promoters + passives + detractors
    return NPSResult(
        score=100.0 * (promoters - detractors) / n,
        n=n,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        standard_error=float(out.standard_error[0]),
        confidence_interval=ConfidenceInterval(float(out.low[0]), float(out.high[0])),
        method=method,
        confidence=confidence,
    )


def nps(
    scores: Any,
    *,
    confidence: float = 0.95,
    method: Method = "wald",
    missing: Missing = "raise",
    n_resamples: int = 2000,
    seed: int | np.random.Generator | None = None,
) -> NPSResult:
    """Net Promoter Score of a sample of answers, with a confidence interval.

    Parameters
    ----------
    scores : sequence of int
        Answers 0..10: a list, a 1-D numpy array, a pandas / Polars / PyArrow series,
        or a frame (any backend) with exactly one column. Whole-valued floats such as
        ``9.0`` are accepted.
    confidence : float, default 0.95
        Confidence level of the interval.
    method : {"wald", "adjusted-wald", "bootstrap"}, default "wald"
        ``"wald"``: sample NPS plus or minus ``z`` standard errors. It is too
        narrow for small samples and collapses to a point when every answer falls
        in one group. ``"adjusted-wald"``: Rocks (2016) adds 0.75 promoters,
        1.5 passives and 0.75 detractors (``n + 3``) before the Wald step; it
        behaves well at small ``n`` and near +-100 and is the better default for
        small samples. ``"bootstrap"``: percentile interval from ``n_resamples``
        resamples (reproducible with ``seed``). Every interval is clipped to
        [-100, 100].
    missing : {"raise", "drop"}, default "raise"
        Missing answers (None, NaN, null) raise a :class:`~crmanalytics.errors.SchemaError`;
        with ``"drop"`` they are set aside and counted in a
        :class:`~crmanalytics.errors.DataQualityWarning`.
    n_resamples : int, default 2000
        Bootstrap resamples (``method="bootstrap"`` only).
    seed : int or numpy.random.Generator, optional
        Random source of the bootstrap.

    Returns
    -------
    NPSResult

    Raises
    ------
    SchemaError
        When answers are not numbers, are missing, are not whole, or fall outside
        0..10; the message lists each rule with counts and examples.
    ValueError
        For an unknown method, a confidence outside (0, 1), or no answers.

    References
    ----------
    B. Rocks (2016), "Interval estimation for the 'net promoter score'",
    *The American Statistician* 70(4), 365-372.

    Examples
    --------
    >>> from crmanalytics.feedback import nps
    >>> r = nps([10, 10, 9, 7, 2], method="adjusted-wald")
    >>> r.score, r.n
    (40.0, 5)
    >>> r.confidence_interval.low < 40.0 < r.confidence_interval.high
    True
    >>> r.confidence_interval.high <= 100.0
    True
    """
    kernel.check_method(method)
    kernel.z_value(confidence)
    values = read_scores(scores, missing=missing)
    if values.size == 0:
        raise ValueError("scores has no answers to compute an NPS from")
    counts = np.bincount(values, minlength=11)
    return _from_counts(
        int(counts[9:].sum()),
        int(counts[7:9].sum()),
        int(counts[:7].sum()),
        method=method,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
    )


def _as_counts(sample: NPSResult | Any, name: str) -> tuple[int, int, int]:
    if isinstance(sample, NPSResult):
        return sample.promoters, sample.passives, sample.detractors
    try:
        result = nps(sample)
    except SchemaError as exc:
        # compare_nps has no missing=: advise what it does take, an NPSResult.
        problems = [
            replace(p, fix=_COMPARE_MISSING_FIX) if "missing=" in p.fix else p for p in exc.problems
        ]
        raise SchemaError(f"{name} ({exc.table})", problems) from exc
    return result.promoters, result.passives, result.detractors


def compare_nps(
    a: NPSResult | Any,
    b: NPSResult | Any,
    *,
    confidence: float = 0.95,
    method: Literal["wald", "adjusted-wald"] = "wald",
) -> NPSComparison:
    """Compare two independent Net Promoter Scores: difference = NPS(b) - NPS(a).

    The sign says the direction of the change from ``a`` to ``b``: positive when
    ``b`` scores higher. ``z`` and the interval follow the same sign.

    Parameters
    ----------
    a, b : NPSResult or sequence of int
        The two samples, as results of :func:`nps` (only their counts are used, so
        their own interval method does not matter) or as answers 0..10.
    confidence : float, default 0.95
        Confidence level of the interval for the difference.
    method : {"wald", "adjusted-wald"}, default "wald"
        ``"wald"`` uses each sample's Wald standard error; ``"adjusted-wald"``
        first adds the Rocks (2016) pseudo-counts to each sample, and then both
        the centre of the interval and ``z`` use the adjusted scores, so the test
        rejects exactly when the interval excludes zero.

    Returns
    -------
    NPSComparison
        ``difference = b.score - a.score`` (the change from ``a`` to ``b``) with its
        standard error ``sqrt(se_a^2 + se_b^2)``, ``z``, the two-sided p-value and
        the interval.

    Examples
    --------
    >>> from crmanalytics.feedback import compare_nps, nps
    >>> before = nps([9] * 32 + [7] * 36 + [3] * 32)
    >>> after = nps([9] * 35 + [7] * 35 + [3] * 30)
    >>> c = compare_nps(before, after)
    >>> c.difference
    5.0
    >>> c.p_value > 0.05
    True
    """
    kernel.check_method(method, ("wald", "adjusted-wald"))
    z_crit = kernel.z_value(confidence)
    first = _as_counts(a, "a")
    second = _as_counts(b, "b")
    out = kernel.difference(first, second, z_crit, adjusted=method == "adjusted-wald")
    estimate = float(out.estimate[0])
    se = float(out.standard_error[0])
    # With se == 0 both samples answered unanimously: no sampling spread to test against.
    unanimous = 0.0 if estimate == 0 else float(np.copysign(np.inf, estimate))
    z = estimate / se if se > 0 else unanimous
    p_value = float(2.0 * stats.norm.sf(abs(z)))
    raw = 100.0 * (second[0] - second[2]) / sum(second) - 100.0 * (first[0] - first[2]) / sum(first)
    return NPSComparison(
        difference=raw,
        standard_error=se,
        z=z,
        p_value=p_value,
        confidence_interval=ConfidenceInterval(float(out.low[0]), float(out.high[0])),
        method=method,
        confidence=confidence,
    )


def required_sample_size(
    margin: float,
    *,
    expected_mix: tuple[float, float, float] | NPSResult | None = None,
    confidence: float = 0.95,
) -> int:
    """Answers needed for a target margin of error.

    The margin of error of the Wald interval is ``z * 100 sqrt(V / n)`` with
    ``V = p_pro + p_det - (p_pro - p_det)^2``, so
    ``n = ceil(z^2 V / (margin / 100)^2)``.

    Parameters
    ----------
    margin : float
        Half-width of the interval in NPS points (``5`` means +-5 points), in
        (0, 200].
    expected_mix : (promoters, passives, detractors) shares or NPSResult, optional
        Expected shares (each in [0, 1], summing to 1), or a previous result whose
        observed shares are used. Default: the worst case, half promoters and half
        detractors (``V = 1``), which gives the largest sample any mix can need.
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    int
        Minimum number of answers (at least 1).

    Examples
    --------
    >>> from crmanalytics.feedback import required_sample_size
    >>> required_sample_size(5)
    1537
    >>> required_sample_size(5, expected_mix=(0.5, 0.3, 0.2))
    938
    """
    if not 0 < float(margin) <= 200:
        raise ValueError(f"margin must be in (0, 200] NPS points, got {margin!r}")
    z = kernel.z_value(confidence)
    if expected_mix is None:
        p_pro, p_det = 0.5, 0.5
    elif isinstance(expected_mix, NPSResult):
        p_pro = expected_mix.promoters / expected_mix.n
        p_det = expected_mix.detractors / expected_mix.n
    else:
        mix = tuple(float(v) for v in expected_mix)
        if len(mix) != 3 or min(mix) < -1e-9 or abs(sum(mix) - 1.0) > 1e-9:
            raise ValueError(
                "expected_mix must be three shares (promoters, passives, detractors), "
                f"each in [0, 1] and summing to 1, got {expected_mix!r}"
            )
        p_pro, p_det = max(mix[0], 0.0), max(mix[2], 0.0)
    return kernel.sample_size(float(margin), p_pro, p_det, z)
