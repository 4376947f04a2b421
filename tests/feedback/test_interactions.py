"""Interaction tables against brute-force Python counting, on every backend."""

from __future__ import annotations

import warnings
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from crmanalytics.errors import DataQualityWarning, SchemaError
from crmanalytics.feedback import (
    InteractionSummary,
    campaign_response_rates,
    complaint_rates,
    interaction_counts,
    interaction_summary,
)

KINDS = ["page_view", "click", "complaint", "campaign_sent", "campaign_response", "inquiry"]


def events(seed: int = 0, rows: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    kind = rng.choice(KINDS, rows)
    campaign = np.where(
        np.isin(kind, ["campaign_sent", "campaign_response"]),
        rng.choice(["c1", "c2", "c3"], rows),
        None,
    )
    return pd.DataFrame(
        {
            "customer_id": rng.integers(0, 40, rows),
            "timestamp": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 90, rows), "D"),
            "kind": kind,
            "channel": rng.choice(["web", "email", "phone", None], rows),
            "campaign_id": campaign,
        }
    )


def brute_counts(df: pd.DataFrame, keys: list[str]) -> list[tuple[Any, ...]]:
    rows: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for record in df.to_dict("records"):
        key = tuple(None if pd.isna(record[k]) else record[k] for k in keys)
        rows[key].append(record["customer_id"])
    return sorted(
        ((*k, len(v), len(set(v))) for k, v in rows.items()),
        key=lambda r: tuple((x is None, x if x is not None else "") for x in r[: len(keys)]),
    )


def as_tuples(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    return [tuple(None if pd.isna(v) else v for v in row) for row in frame.itertuples(index=False)]


@pytest.mark.parametrize("by", [["kind", "channel"], ["kind"], ["channel"]])
def test_counts_match_brute_force(
    backend: str,
    to_backend: Callable[[pd.DataFrame, str], Any],
    as_pandas: Callable[[Any], pd.DataFrame],
    by: list[str],
) -> None:
    df = events()
    native = to_backend(df, backend)
    table = interaction_counts(native, by=by)
    assert type(table) is type(native)
    got = as_pandas(table)
    assert list(got.columns) == [*by, "interactions", "customers"]
    assert as_tuples(got) == brute_counts(df, by)


def brute_campaigns(df: pd.DataFrame) -> list[tuple[Any, ...]]:
    sent: dict[str, set[int]] = defaultdict(set)
    responded: dict[str, set[int]] = defaultdict(set)
    for record in df.to_dict("records"):
        if record["campaign_id"] is None or pd.isna(record["campaign_id"]):
            continue
        if record["kind"] == "campaign_sent":
            sent[record["campaign_id"]].add(record["customer_id"])
        elif record["kind"] == "campaign_response":
            responded[record["campaign_id"]].add(record["customer_id"])
    out = []
    for campaign in sorted(set(sent) | set(responded)):
        recipients = len(sent[campaign])
        responders = len(sent[campaign] & responded[campaign])
        rate = responders / recipients if recipients else None
        out.append(
            (campaign, recipients, responders, rate, len(responded[campaign] - sent[campaign]))
        )
    return out


def test_campaign_rates_match_brute_force(
    backend: str,
    to_backend: Callable[[pd.DataFrame, str], Any],
    as_pandas: Callable[[Any], pd.DataFrame],
) -> None:
    df = events(seed=1)
    got = as_pandas(campaign_response_rates(to_backend(df, backend)))
    assert list(got.columns) == [
        "campaign_id",
        "recipients",
        "responders",
        "response_rate",
        "responses_without_send",
    ]
    expected = brute_campaigns(df)
    assert [r[:3] + r[4:] for r in as_tuples(got)] == [r[:3] + r[4:] for r in expected]
    np.testing.assert_allclose(got["response_rate"], [r[3] for r in expected])
    assert ((got["response_rate"] >= 0) & (got["response_rate"] <= 1)).all()


def test_campaign_without_sends_has_nan_rate_and_unattributed_rows_warn() -> None:
    df = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4],
            "timestamp": pd.Timestamp("2024-01-01"),
            "kind": ["campaign_response", "campaign_sent", "campaign_response", "campaign_sent"],
            "campaign_id": ["only_responses", "c", "c", None],
        }
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = campaign_response_rates(df)
    messages = [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
    assert messages == ["1 'campaign_sent'/'campaign_response' row without a campaign_id set aside"]
    assert got["campaign_id"].tolist() == ["c", "only_responses"]
    assert got["recipients"].tolist() == [1, 0]
    assert got["responders"].tolist() == [0, 0]
    assert got["responses_without_send"].tolist() == [1, 1]
    assert got["response_rate"].iloc[0] == 0.0
    assert np.isnan(got["response_rate"].iloc[1])


def test_complaint_rates_match_brute_force(
    backend: str,
    to_backend: Callable[[pd.DataFrame, str], Any],
    as_pandas: Callable[[Any], pd.DataFrame],
) -> None:
    df = events(seed=2)
    got = as_pandas(complaint_rates(to_backend(df, backend)))
    total = Counter(df["customer_id"])
    complaints = Counter(df.loc[df["kind"] == "complaint", "customer_id"])
    expected = [(c, total[c], complaints[c], complaints[c] / total[c]) for c in sorted(total)]
    assert list(got.columns) == ["customer_id", "interactions", "complaints", "complaint_rate"]
    assert [r[:3] for r in as_tuples(got)] == [r[:3] for r in expected]
    np.testing.assert_allclose(got["complaint_rate"], [r[3] for r in expected])


def test_summary_bundles_the_three_tables() -> None:
    df = events(seed=3)
    summary = interaction_summary(df)
    assert isinstance(summary, InteractionSummary)
    pd.testing.assert_frame_equal(summary.counts, interaction_counts(df))
    pd.testing.assert_frame_equal(summary.campaigns, campaign_response_rates(df))
    pd.testing.assert_frame_equal(summary.complaints, complaint_rates(df))
    without = interaction_summary(df.drop(columns=["campaign_id", "channel"]), by="kind")
    assert without.campaigns is None


def test_column_mapping_and_missing_columns() -> None:
    df = events(seed=4).rename(columns={"kind": "event_type", "customer_id": "cust"})
    mapping = {"kind": "event_type", "customer_id": "cust"}
    summary = interaction_summary(df, columns=mapping)
    assert summary.complaints.columns[0] == "customer_id"
    with pytest.raises(SchemaError, match="column 'kind'"):
        complaint_rates(df)
    with pytest.raises(
        SchemaError, match=r"column 'campaign_id'.*required by campaign_response_rates"
    ):
        campaign_response_rates(events().drop(columns="campaign_id"))
    with pytest.raises(SchemaError, match=r"column 'region'"):
        interaction_counts(events(), by="region")
    with pytest.raises(ValueError, match="at least one"):
        interaction_counts(events(), by=[])


def test_does_not_mutate_input() -> None:
    df = events(seed=5)
    before = df.copy()
    interaction_summary(df)
    pd.testing.assert_frame_equal(df, before)
