"""Issue 13 for feedback: columns=, caller's type, fresh index, one validation, own errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

import crmanalytics._frames as frames_module
from crmanalytics import ConfidenceInterval
from crmanalytics.errors import SchemaError
from crmanalytics.feedback import (
    campaign_response_rates,
    compare_nps,
    complaint_rates,
    interaction_counts,
    interaction_summary,
    nps,
    nps_by,
    nps_trend,
)


def events(seed: int = 0, rows: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    kind = rng.choice(["nps", "complaint", "campaign_sent", "campaign_response"], rows)
    return pd.DataFrame(
        {
            "customer_id": rng.integers(0, 30, rows),
            "timestamp": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 200, rows), "D"),
            "kind": kind,
            "channel": rng.choice(["web", "app"], rows),
            "campaign_id": rng.choice(["c1", "c2"], rows),
            "score": np.where(kind == "nps", rng.integers(0, 11, rows), np.nan),
        }
    )


CALLS: dict[str, Callable[..., Any]] = {
    "nps_by": lambda f, **kw: nps_by(f, by="channel", **kw),
    "nps_trend": lambda f, **kw: nps_trend(f, period="M", **kw),
    "interaction_counts": interaction_counts,
    "campaign_response_rates": campaign_response_rates,
    "complaint_rates": complaint_rates,
}
MAPPING = {"customer_id": "Who", "timestamp": "When", "kind": "What", "score": "Answer"}


def renamed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns=MAPPING)


@pytest.mark.parametrize("name", list(CALLS))
def test_columns_mapping_gives_the_same_result_with_a_fresh_index(name: str) -> None:
    df = events()
    shuffled = df.sample(frac=1.0, random_state=2).set_axis(np.arange(len(df)) * 5 + 11)
    expected = CALLS[name](df)
    got = CALLS[name](renamed(shuffled), columns=MAPPING)
    assert got.index.tolist() == list(range(len(got)))
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize("name", list(CALLS))
def test_lazy_stays_lazy(name: str) -> None:
    lazy = pl.from_pandas(renamed(events(1))).lazy()
    assert isinstance(CALLS[name](lazy, columns=MAPPING), pl.LazyFrame)


@pytest.mark.parametrize("name", list(CALLS))
def test_duplicate_column_names_are_a_schema_error(name: str) -> None:
    df = events(2)
    twice = pd.concat([df, df[["channel"]]], axis=1)
    with pytest.raises(SchemaError, match="channel") as info:
        CALLS[name](twice)
    assert info.value.problems[0].rule.startswith("must be unique")


def test_interaction_summary_validates_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import crmanalytics.feedback.interactions as module

    calls: list[str] = []
    real = frames_module.validated

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["purpose"])
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "validated", counting)
    df = events(3)
    summary = interaction_summary(renamed(df), columns=MAPPING)
    assert len(calls) == 1
    pd.testing.assert_frame_equal(summary.counts, interaction_counts(df))
    pd.testing.assert_frame_equal(summary.campaigns, campaign_response_rates(df))
    pd.testing.assert_frame_equal(summary.complaints, complaint_rates(df))


def test_confidence_interval_unpacks() -> None:
    result = nps([10, 9, 9, 8, 3, 0, 10])
    low, high = result.confidence_interval
    assert isinstance(result.confidence_interval, ConfidenceInterval)
    assert (low, high) == (result.confidence_interval.low, result.confidence_interval.high)
    assert low < result.score < high
    c_low, c_high = compare_nps([9] * 10 + [3] * 10, [9] * 15 + [3] * 5).confidence_interval
    assert c_low < 50.0 < c_high


def test_compare_nps_sign_is_b_minus_a() -> None:
    assert compare_nps.__doc__ is not None
    assert "NPS(b) - NPS(a)" in compare_nps.__doc__.splitlines()[0]
    a, b = [9] * 10 + [3] * 10, [9] * 15 + [3] * 5
    assert compare_nps(a, b).difference == nps(b).score - nps(a).score == 50.0
    assert compare_nps(b, a).difference == -50.0


def test_fix_advice_names_only_the_called_functions_parameters() -> None:
    # nps has missing=, compare_nps does not
    with pytest.raises(SchemaError) as info:
        nps([9, None, 3])
    assert "missing='drop'" in info.value.problems[0].fix
    with pytest.raises(SchemaError) as info:
        compare_nps([9, None, 3], [9, 9])
    fix = info.value.problems[0].fix
    assert "nps(answers, missing='drop')" in fix
    assert "pass missing=" not in fix
    # nps_by and nps_trend have missing=; interaction_counts does not
    df = events(4)
    df.loc[df.index[df["kind"] == "nps"][:2], "score"] = np.nan
    with pytest.raises(SchemaError) as info:
        nps_by(df, by="channel")
    assert "missing='drop'" in info.value.problems[0].fix
    bad = df.assign(timestamp=df["timestamp"].astype(str).where(df.index > 0, "not a date"))
    with pytest.raises(SchemaError) as info:
        interaction_counts(bad, by="kind")
    assert all("missing=" not in p.fix for p in info.value.problems)


def test_trend_periods_come_from_the_one_calendar() -> None:
    # a week starts on Monday; 2024-01-07 is a Sunday, 2024-01-08 a Monday
    df = pd.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "timestamp": pd.to_datetime(
                ["2024-01-07 23:59", "2024-01-08 00:00", "2024-01-01 00:00"]
            ),
            "kind": "nps",
            "score": [9.0, 3.0, 10.0],
        }
    )
    trend = nps_trend(df, period="W")
    assert trend["period"].tolist() == list(pd.to_datetime(["2024-01-01", "2024-01-08"]))
    assert trend["n"].tolist() == [2, 1]
    assert trend["partial"].tolist() == [False, True]
