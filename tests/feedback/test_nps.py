"""nps, compare_nps, required_sample_size against formulas computed here by hand."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmanalytics._results import ConfidenceInterval
from crmanalytics.errors import DataQualityWarning, SchemaError
from crmanalytics.feedback import NPSResult, compare_nps, nps, required_sample_size

Z95 = 1.959963984540054  # standard normal 97.5% quantile


def classify(scores: list[int]) -> tuple[int, int, int]:
    pro = sum(1 for s in scores if s in (9, 10))
    pas = sum(1 for s in scores if s in (7, 8))
    det = sum(1 for s in scores if 0 <= s <= 6)
    return pro, pas, det


def wald_reference(pro: float, pas: float, det: float, z: float) -> tuple[float, float, float]:
    """Centre, standard error and half-width, written out from the trinomial variance."""
    n = pro + pas + det
    p, d = pro / n, det / n
    centre = 100 * (p - d)
    se = 100 * math.sqrt((p + d - (p - d) ** 2) / n)
    return centre, se, z * se


answers = st.lists(st.integers(min_value=0, max_value=10), min_size=1, max_size=300)


@given(answers)
def test_wald_matches_formula(scores: list[int]) -> None:
    r = nps(scores)
    pro, pas, det = classify(scores)
    centre, se, half = wald_reference(pro, pas, det, Z95)
    assert (r.promoters, r.passives, r.detractors, r.n) == (pro, pas, det, len(scores))
    assert r.score == pytest.approx(centre, abs=1e-9)
    assert r.standard_error == pytest.approx(se, abs=1e-9)
    assert r.confidence_interval.low == pytest.approx(max(centre - half, -100), abs=1e-9)
    assert r.confidence_interval.high == pytest.approx(min(centre + half, 100), abs=1e-9)
    assert r.method == "wald"


@given(answers)
def test_adjusted_wald_matches_rocks(scores: list[int]) -> None:
    r = nps(scores, method="adjusted-wald")
    pro, pas, det = classify(scores)
    centre, se, half = wald_reference(pro + 0.75, pas + 1.5, det + 0.75, Z95)
    assert r.score == pytest.approx(100 * (pro - det) / len(scores), abs=1e-9)
    assert r.standard_error == pytest.approx(se, abs=1e-9)
    assert r.confidence_interval.low == pytest.approx(max(centre - half, -100), abs=1e-9)
    assert r.confidence_interval.high == pytest.approx(min(centre + half, 100), abs=1e-9)


@given(answers, st.sampled_from(["wald", "adjusted-wald", "bootstrap"]), st.floats(0.5, 0.995))
def test_interval_always_within_bounds(scores: list[int], method: str, confidence: float) -> None:
    r = nps(scores, method=method, confidence=confidence, seed=1, n_resamples=200)  # type: ignore[arg-type]
    ci = r.confidence_interval
    assert -100.0 <= ci.low <= ci.high <= 100.0
    assert -100.0 <= r.score <= 100.0
    if method != "adjusted-wald":  # the adjusted interval is centred on the adjusted score
        assert ci.low - 1e-9 <= r.score <= ci.high + 1e-9


def test_adjusted_wald_is_not_degenerate_when_unanimous() -> None:
    wald = nps([10] * 8)
    adjusted = nps([10] * 8, method="adjusted-wald")
    assert wald.confidence_interval == ConfidenceInterval(100.0, 100.0)
    assert adjusted.confidence_interval.low < 90.0
    assert adjusted.confidence_interval.high == 100.0


def test_confidence_level_changes_width_by_z_ratio() -> None:
    scores = [9] * 40 + [8] * 35 + [2] * 25
    w90 = nps(scores, confidence=0.90).confidence_interval.width
    w99 = nps(scores, confidence=0.99).confidence_interval.width
    # z(0.995) / z(0.95), written out from the normal quantiles.
    assert w99 / w90 == pytest.approx(2.5758293035489 / 1.6448536269514722, rel=1e-9)


def test_bootstrap_is_seeded_and_close_to_wald_for_large_samples() -> None:
    rng = np.random.default_rng(7)
    scores = rng.choice(11, size=3000, p=np.r_[np.full(7, 0.2 / 7), 0.15, 0.15, 0.25, 0.25])
    a = nps(scores, method="bootstrap", seed=3)
    b = nps(scores, method="bootstrap", seed=3)
    wald = nps(scores)
    assert a == b
    assert a.method == "bootstrap"
    assert a.standard_error == pytest.approx(wald.standard_error, rel=0.1)
    assert a.confidence_interval.low == pytest.approx(wald.confidence_interval.low, abs=1.0)
    assert a.confidence_interval.high == pytest.approx(wald.confidence_interval.high, abs=1.0)


@pytest.mark.parametrize(
    "make",
    [
        lambda v: v,
        np.asarray,
        lambda v: np.asarray(v, dtype=float),
        lambda v: pd.Series(v, name="ltr"),
        lambda v: pd.Series(v, dtype="Int64"),
        lambda v: pl.Series("ltr", v),
        lambda v: pa.chunked_array([v]),
        lambda v: pd.DataFrame({"ltr": v}),
        lambda v: pl.DataFrame({"ltr": v}).lazy(),
        tuple,
    ],
)
def test_accepts_many_inputs(make: object) -> None:
    values = [10, 9, 8, 7, 6, 0, 10]
    r = nps(make(values))  # type: ignore[operator]
    assert (r.promoters, r.passives, r.detractors) == (3, 2, 2)


def test_does_not_mutate_input() -> None:
    s = pd.Series([10.0, None, 3.0], name="ltr")
    before = s.copy()
    with pytest.warns(DataQualityWarning):
        nps(s, missing="drop")
    pd.testing.assert_series_equal(s, before)


@pytest.mark.parametrize(
    ("values", "rule", "rows"),
    [
        ([9, 8.5, 7], "must be a whole number", 1),
        ([9, 11, 7], "must be between 0 and 10", 1),
        ([9, -1, 7, -1], "must be between 0 and 10", 2),
        ([9, None, 7], "must not be missing", 1),
        ([9, float("nan"), 7], "must not be missing", 1),
        ([9, "ten", 7], "must be a number", 1),
        ([9, True, 7], "must be a number", 1),
        ([9, float("inf")], "must be between 0 and 10", 1),
    ],
)
def test_bad_answers_name_column_and_rule(values: list[object], rule: str, rows: int) -> None:
    with pytest.raises(SchemaError) as info:
        nps(pd.Series(values, name="likelihood", dtype=object))
    problems = info.value.problems
    assert [p.rule for p in problems] == [rule]
    assert problems[0].column == "likelihood"
    assert problems[0].rows == rows
    assert "likelihood" in str(info.value)
    assert rule in str(info.value)


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(SchemaError) as info:
        nps([9, 11, 2.5, None, "x"])
    rules = {p.rule for p in info.value.problems}
    assert rules == {
        "must be a number",
        "must not be missing",
        "must be a whole number",
        "must be between 0 and 10",
    }
    assert all(p.column == "score" for p in info.value.problems)


def test_missing_drop_warns_with_count() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = nps([10, None, float("nan"), 3], missing="drop")
    assert r.n == 2
    messages = [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
    assert len(messages) == 1
    assert messages[0].startswith("2 missing answers")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "exact"}, "method must be one of"),
        ({"confidence": 1.5}, "confidence must be between 0 and 1"),
        ({"missing": "ignore"}, "missing must be 'raise' or 'drop'"),
        ({"method": "bootstrap", "n_resamples": 10}, "n_resamples"),
    ],
)
def test_bad_options(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        nps([9, 10], **kwargs)  # type: ignore[arg-type]


def test_empty_and_non_sequences() -> None:
    with pytest.raises(ValueError, match="no answers"):
        nps([])
    with pytest.raises(TypeError, match="sequence of answers"):
        nps(9)
    with pytest.raises(TypeError, match="sequence of answers"):
        nps("9")
    with pytest.raises(ValueError, match="exactly one column"):
        nps(pd.DataFrame({"a": [1], "b": [2]}))


# -- compare_nps ---------------------------------------------------------------------


def normal_two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


@given(answers, answers)
def test_compare_matches_formula(a: list[int], b: list[int]) -> None:
    c = compare_nps(a, b)
    ca, sa, _ = wald_reference(*classify(a), Z95)
    cb, sb, _ = wald_reference(*classify(b), Z95)
    se = math.sqrt(sa**2 + sb**2)
    assert c.difference == pytest.approx(cb - ca, abs=1e-9)
    assert c.standard_error == pytest.approx(se, abs=1e-9)
    if se > 0:
        assert c.z == pytest.approx((cb - ca) / se, rel=1e-9, abs=1e-9)
        assert c.p_value == pytest.approx(normal_two_sided_p((cb - ca) / se), abs=1e-12)
        assert c.confidence_interval.low == pytest.approx(max(cb - ca - Z95 * se, -200), abs=1e-9)
    assert -200 <= c.confidence_interval.low <= c.confidence_interval.high <= 200


@given(answers, answers)
def test_compare_is_antisymmetric(a: list[int], b: list[int]) -> None:
    ab = compare_nps(a, b, method="adjusted-wald")
    ba = compare_nps(b, a, method="adjusted-wald")
    assert ab.difference == pytest.approx(-ba.difference, abs=1e-9)
    assert ab.p_value == pytest.approx(ba.p_value, abs=1e-12)
    # test and interval agree: rejected at 5% exactly when 0 lies outside the interval
    if abs(abs(ab.z) - Z95) > 1e-6:
        assert (ab.p_value < 0.05) == (not ab.confidence_interval.contains(0.0))


def test_compare_accepts_results_and_uses_counts_only() -> None:
    a = nps([9] * 30 + [3] * 10, method="bootstrap", seed=0)
    b = nps([9] * 20 + [3] * 20)
    from_results = compare_nps(a, b)
    from_scores = compare_nps([9] * 30 + [3] * 10, [9] * 20 + [3] * 20)
    assert from_results == from_scores
    assert from_results.difference == pytest.approx(-50.0)


def test_compare_unanimous_samples() -> None:
    same = compare_nps([10] * 5, [10] * 9)
    assert (same.z, same.p_value) == (0.0, 1.0)
    apart = compare_nps([0] * 5, [10] * 9)
    assert apart.z == math.inf
    assert apart.p_value == 0.0


def test_compare_bad_input_names_sample() -> None:
    with pytest.raises(SchemaError, match=r"b \(scores\)"):
        compare_nps([9, 10], [9, 12])
    with pytest.raises(ValueError, match="method must be one of"):
        compare_nps([9], [9], method="bootstrap")  # type: ignore[arg-type]


# -- required_sample_size ------------------------------------------------------------


@given(
    st.floats(0.5, 50),
    st.tuples(st.floats(0, 1), st.floats(0, 1)).filter(lambda t: t[0] + t[1] <= 1),
    st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_sample_size_is_the_smallest_that_meets_the_margin(
    margin: float, shares: tuple[float, float], confidence: float
) -> None:
    p, d = shares
    mix = (p, 1 - p - d, d)
    n = required_sample_size(margin, expected_mix=mix, confidence=confidence)
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + confidence / 2))
    variance = p + d - (p - d) ** 2

    def half_width(size: int) -> float:
        return z * 100 * math.sqrt(variance / size)

    assert half_width(n) <= margin * (1 + 1e-9)
    if n > 1:
        assert half_width(n - 1) > margin * (1 - 1e-9)


def test_sample_size_default_is_worst_case() -> None:
    worst = required_sample_size(3)
    assert worst == math.ceil((Z95 * 100 / 3) ** 2)
    for mix in [(0.6, 0.2, 0.2), (0.1, 0.1, 0.8), (0.45, 0.1, 0.45), (1 / 3, 1 / 3, 1 / 3)]:
        assert required_sample_size(3, expected_mix=mix) <= worst


def test_sample_size_from_a_result() -> None:
    r = nps([9] * 50 + [7] * 30 + [3] * 20)
    assert required_sample_size(4, expected_mix=r) == required_sample_size(
        4, expected_mix=(0.5, 0.3, 0.2)
    )


@pytest.mark.parametrize(
    ("margin", "mix", "match"),
    [
        (0, None, "margin"),
        (250, None, "margin"),
        (5, (0.5, 0.5), "three shares"),
        (5, (0.5, 0.6, -0.1), "three shares"),
        (5, (0.5, 0.3, 0.3), "summing to 1"),
    ],
)
def test_sample_size_bad_input(margin: float, mix: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        required_sample_size(margin, expected_mix=mix)  # type: ignore[arg-type]


def test_result_is_frozen() -> None:
    r = nps([9, 10])
    assert isinstance(r, NPSResult)
    with pytest.raises(AttributeError):
        r.score = 1.0  # type: ignore[misc]
