"""nps_by / nps_trend: grouped results equal subset results, backend parity, bad input."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmanalytics.errors import DataQualityWarning, SchemaError
from crmanalytics.feedback import nps, nps_by, nps_trend

RESULT = [
    "n",
    "promoters",
    "passives",
    "detractors",
    "nps",
    "standard_error",
    "nps_low",
    "nps_high",
]


def interactions(seed: int = 0, rows: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stamps = pd.Timestamp("2023-11-20") + pd.to_timedelta(rng.integers(0, 400, rows), unit="D")
    stamps += pd.to_timedelta(rng.integers(0, 86_400, rows), unit="s")
    kinds = rng.choice(["nps", "nps", "nps", "click"], rows)
    score = np.where(kinds == "nps", rng.integers(0, 11, rows), np.nan)
    return pd.DataFrame(
        {
            "customer_id": rng.integers(0, 50, rows),
            "timestamp": stamps,
            "kind": kinds,
            "channel": rng.choice(["web", "app", "store"], rows),
            "segment": rng.choice(["a", "b"], rows),
            "score": score,
        }
    )


def expected_row(scores: pd.Series, method: str = "wald") -> list[float]:
    r = nps(scores.astype(int).tolist(), method=method)  # type: ignore[arg-type]
    return [
        r.n,
        r.promoters,
        r.passives,
        r.detractors,
        r.score,
        r.standard_error,
        r.confidence_interval.low,
        r.confidence_interval.high,
    ]


@pytest.mark.parametrize("method", ["wald", "adjusted-wald"])
@pytest.mark.parametrize("by", ["channel", ["channel", "segment"]])
def test_grouped_equals_subsets(method: str, by: str | list[str]) -> None:
    df = interactions()
    table = nps_by(df, by=by, method=method)  # type: ignore[arg-type]
    keys = [by] if isinstance(by, str) else by
    answers = df[df["kind"] == "nps"]
    groups = list(answers.groupby(keys, sort=True))
    assert len(table) == len(groups)
    for i, (key, subset) in enumerate(groups):
        key_tuple = key if isinstance(key, tuple) else (key,)
        assert tuple(table.loc[i, keys]) == key_tuple
        np.testing.assert_allclose(
            table.loc[i, RESULT].to_numpy(float), expected_row(subset["score"], method)
        )
    assert list(table.columns) == [*keys, *RESULT]
    assert table.index.tolist() == list(range(len(table)))


def test_bootstrap_groups_are_seeded() -> None:
    df = interactions()
    a = nps_by(df, by="channel", method="bootstrap", seed=4)
    b = nps_by(df, by="channel", method="bootstrap", seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert (a["nps_low"] <= a["nps"]).all()
    assert (a["nps"] <= a["nps_high"]).all()


def brute_period_start(stamps: pd.Series, period: str) -> pd.Series:
    """Reference period starts via pandas periods (weeks ending Sunday start Monday)."""
    freq = {"D": "D", "W": "W-SUN", "M": "M", "Q": "Q", "Y": "Y"}[period]
    return stamps.dt.to_period(freq).dt.start_time


@pytest.mark.parametrize("period", ["D", "W", "M", "Q", "Y"])
def test_trend_equals_subsets_per_period(period: str) -> None:
    df = interactions(seed=1)
    trend = nps_trend(df, period=period)  # type: ignore[arg-type]
    answers = df[df["kind"] == "nps"].assign(
        period=lambda d: brute_period_start(d["timestamp"], period)
    )
    groups = list(answers.groupby("period", sort=True))
    assert len(trend) == len(groups)
    for i, (start, subset) in enumerate(groups):
        assert trend.loc[i, "period"] == start
        np.testing.assert_allclose(
            trend.loc[i, RESULT].to_numpy(float), expected_row(subset["score"])
        )
        # partial: the answers' day span does not cover the whole period
        day = answers["timestamp"].dt.normalize()
        end = (pd.Period(start, period if period != "W" else "W-SUN") + 1).start_time
        expected = start < day.min() or end - pd.Timedelta(days=1) > day.max()
        assert bool(trend.loc[i, "partial"]) == expected
    assert list(trend.columns) == ["period", *RESULT, "partial"]


def test_trend_by_group_equals_subsets() -> None:
    df = interactions(seed=2)
    trend = nps_trend(df, period="Q", by="channel", method="adjusted-wald")
    answers = df[df["kind"] == "nps"].assign(
        period=lambda d: brute_period_start(d["timestamp"], "Q")
    )
    groups = list(answers.groupby(["channel", "period"], sort=True))
    assert len(trend) == len(groups)
    for i, ((channel, start), subset) in enumerate(groups):
        assert (trend.loc[i, "channel"], trend.loc[i, "period"]) == (channel, start)
        np.testing.assert_allclose(
            trend.loc[i, RESULT].to_numpy(float), expected_row(subset["score"], "adjusted-wald")
        )


def test_trend_reads_time_zones_as_wall_clock() -> None:
    df = interactions(seed=3, rows=50)
    aware = df.assign(timestamp=df["timestamp"].dt.tz_localize("America/New_York"))
    pd.testing.assert_frame_equal(nps_trend(aware, period="D"), nps_trend(df, period="D"))


def test_week_starts_on_monday() -> None:
    df = pd.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "timestamp": pd.to_datetime(
                ["2024-01-07 23:59", "2024-01-08 00:00", "2024-01-14 12:00"]
            ),
            "kind": "nps",
            "score": [10.0, 0.0, 0.0],
        }
    )
    trend = nps_trend(df, period="W")
    assert trend["period"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-08")]
    assert trend["n"].tolist() == [1, 2]


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if column == "period":
            stamps = pd.to_datetime(out[column])
            if stamps.dt.tz is not None:  # Spark: session-zone (UTC) timestamps
                stamps = stamps.dt.tz_convert(None)
            out[column] = stamps.astype("datetime64[us]")
        elif column in RESULT:
            out[column] = out[column].astype(float)
        else:
            out[column] = out[column].astype(object)
    return out


def test_backend_parity(
    backend: str,
    to_backend: Callable[[pd.DataFrame, str], Any],
    as_pandas: Callable[[Any], pd.DataFrame],
) -> None:
    df = interactions(seed=4)
    native = to_backend(df, backend)
    by = nps_by(native, by=["channel", "segment"], method="adjusted-wald")
    trend = nps_trend(native, period="M", by="segment")
    assert type(by) is type(native)
    assert type(trend) is type(native)
    pd.testing.assert_frame_equal(
        normalise(as_pandas(by)),
        normalise(nps_by(df, by=["channel", "segment"], method="adjusted-wald")),
        rtol=1e-9,
    )
    pd.testing.assert_frame_equal(
        normalise(as_pandas(trend)), normalise(nps_trend(df, period="M", by="segment")), rtol=1e-9
    )


@given(
    st.lists(
        st.tuples(st.sampled_from(["x", "y", None]), st.integers(0, 10)), min_size=1, max_size=60
    )
)
def test_null_keys_form_a_group_and_counts_add_up(rows: list[tuple[str | None, int]]) -> None:
    df = pl.DataFrame(
        {
            "customer_id": list(range(len(rows))),
            "timestamp": [pd.Timestamp("2024-01-01").to_pydatetime()] * len(rows),
            "kind": ["nps"] * len(rows),
            "channel": [r[0] for r in rows],
            "score": [float(r[1]) for r in rows],
        },
        schema_overrides={"channel": pl.String},
    )
    table = nps_by(df, by="channel")
    assert isinstance(table, pl.DataFrame)
    assert table["n"].sum() == len(rows)
    assert table.height == len({r[0] for r in rows})
    everyone = nps([r[1] for r in rows])
    assert table["promoters"].sum() == everyone.promoters
    assert table["detractors"].sum() == everyone.detractors


def test_does_not_mutate_input() -> None:
    df = interactions(seed=5)
    before = df.copy()
    nps_by(df, by="channel")
    nps_trend(df, period="W", by="segment")
    pd.testing.assert_frame_equal(df, before)


def bad(score: list[object], kind: str = "nps") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": range(len(score)),
            "timestamp": pd.Timestamp("2024-01-01"),
            "kind": kind,
            "channel": "web",
            "score": pd.Series(score, dtype=object),
        }
    )


NPS_RULE = "where kind is 'nps', must be an integer from 0 to 10"  # the schema's rule


@pytest.mark.parametrize(
    "case",
    [
        ([9.0, 8.5, 7.0], "must be a whole number on kind == 'survey' rows", {8.5}),
        ([9.0, 11.0, 7.0], "must be between 0 and 10 on kind == 'survey' rows", {11.0}),
        ([9.0, -1.0, -1.0], "must be between 0 and 10 on kind == 'survey' rows", {-1.0}),
    ],
)
@pytest.mark.parametrize("kind", ["nps", "survey"])
def test_bad_scores_name_column_and_rule(
    backend: str,
    to_backend: Callable[[pd.DataFrame, str], Any],
    case: tuple[list[float], str, set[float]],
    kind: str,
) -> None:
    score, survey_rule, examples = case
    native = to_backend(bad(score, kind).astype({"score": float}), backend)
    rule = NPS_RULE if kind == "nps" else survey_rule
    with pytest.raises(SchemaError) as info:
        nps_by(native, by="channel", kind=kind)
    (problem,) = info.value.problems
    assert (problem.column, problem.rule) == ("score", rule)
    assert set(problem.examples) == examples
    assert problem.rows == sum(1 for v in score if v in examples)
    assert "score" in str(info.value)
    assert rule in str(info.value)


@pytest.mark.parametrize("kind", ["nps", "survey"])
def test_missing_scores_raise_or_drop_with_count(
    backend: str,
    to_backend: Callable[[pd.DataFrame, str], Any],
    as_pandas: Callable[[Any], pd.DataFrame],
    kind: str,
) -> None:
    native = to_backend(bad([9.0, None, None, 3.0], kind).astype({"score": float}), backend)
    # missing answers are checked before the schema's own rule, so the advice names
    # nps_trend's own missing= option (issue 13) for the 'nps' kind too.
    rule = f"must not be missing on kind == {kind!r} rows"
    with pytest.raises(SchemaError) as info:
        nps_trend(native, kind=kind)
    assert [(p.column, p.rule, p.rows) for p in info.value.problems] == [("score", rule, 2)]
    assert "missing='drop'" in info.value.problems[0].fix
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = as_pandas(nps_by(native, by="channel", missing="drop", kind=kind))
    assert table["n"].tolist() == [2]
    messages = [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
    assert messages == [f"2 {kind!r} rows without a score set aside (missing='drop')"]


def test_text_scores_and_missing_columns() -> None:
    with pytest.raises(SchemaError, match="column 'score'"):
        nps_by(bad(["9", "ten"]).astype({"score": str}), by="channel")
    with pytest.raises(SchemaError, match=r"column 'region'.*required by nps_by"):
        nps_by(bad([9.0]), by="region")
    with pytest.raises(SchemaError, match=r"column 'score'"):
        nps_trend(bad([9.0]).drop(columns="score"))


def test_other_kinds_are_ignored_and_custom_kind_is_checked() -> None:
    df = bad([9.0, 3.0]).assign(kind=["survey", "nps"])
    assert nps_by(df, by="channel")["n"].tolist() == [1]
    assert nps_by(df, by="channel", kind="survey")["promoters"].tolist() == [1]
    with pytest.raises(SchemaError, match="kind == 'survey'"):
        nps_by(df.assign(score=[4.5, 3.0]), by="channel", kind="survey")


def test_columns_mapping_and_options() -> None:
    df = bad([9.0, 3.0]).rename(columns={"score": "ltr", "kind": "event"})
    table = nps_by(df, by="channel", columns={"score": "ltr", "kind": "event"})
    assert table["n"].tolist() == [2]
    with pytest.raises(ValueError, match="period must be one of"):
        nps_trend(bad([9.0]), period="H")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="by must not name result columns"):
        nps_by(bad([9.0]).assign(n=1), by="n")
    with pytest.raises(ValueError, match="at least one"):
        nps_by(bad([9.0]), by=[])


def test_lazy_stays_lazy() -> None:
    lazy = pl.from_pandas(interactions(seed=6)).lazy()
    assert isinstance(nps_trend(lazy, period="M"), pl.LazyFrame)
