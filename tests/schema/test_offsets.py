"""Text timestamps with mixed UTC offsets: a SchemaError on every backend (issue 13)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from crmanalytics.churn import churn_labels
from crmanalytics.errors import SchemaError
from crmanalytics.feedback import complaint_rates
from crmanalytics.schema import validate_transactions

MIXED = ["2024-03-01T10:00:00+01:00", "2024-06-01T10:00:00+02:00", "2024-06-02T09:00:00+02:00"]


def transactions(stamps: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"customer_id": range(len(stamps)), "timestamp": stamps, "amount": [1.0] * len(stamps)}
    )


def test_mixed_offsets_name_column_rule_count_examples_and_fix(
    backend: str, to_backend: Callable[[pd.DataFrame, str], Any]
) -> None:
    with pytest.raises(SchemaError) as info:
        validate_transactions(to_backend(transactions(MIXED), backend))
    (problem,) = info.value.problems
    assert problem.column == "timestamp"
    assert "one UTC offset" in problem.rule
    assert "+01:00" in problem.rule
    assert "+02:00" in problem.rule
    assert problem.rows == 1  # the +01:00 row differs from the most common +02:00
    assert problem.examples == ("2024-03-01T10:00:00+01:00",)
    assert "utc=True" in problem.fix


def test_offsets_next_to_plain_times_are_mixed_too() -> None:
    stamps = ["2024-03-01 10:00", "2024-03-02 10:00", "2024-06-01T10:00:00Z"]
    with pytest.raises(SchemaError, match="found 2 \\(\\+00:00, none\\)") as info:
        validate_transactions(transactions(stamps))
    assert info.value.problems[0].rows == 1


def test_same_offset_spelled_two_ways_and_dates_are_not_mixed() -> None:
    # "Z" and "+00:00" are one offset; date-only text has no time, hence no offset
    frame = transactions(["2024-03-01T10:00:00Z", "2024-03-01T11:00:00+00:00"])
    assert len(validate_transactions(frame)) == 2
    plain = transactions(["2024-03-01", "2024-03-02 10:00", "2024-03-03T10:00:00"])
    assert validate_transactions(plain)["timestamp"].dt.day.tolist() == [1, 2, 3]


def test_mixed_offsets_through_churn_and_feedback_functions() -> None:
    with pytest.raises(SchemaError, match="one UTC offset"):
        churn_labels(transactions(MIXED), cutoff="2024-05-01", horizon=30)
    events = transactions(MIXED).drop(columns="amount").assign(kind="complaint")
    with pytest.raises(SchemaError, match="one UTC offset"):
        complaint_rates(events)
