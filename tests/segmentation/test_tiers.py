"""value_tiers against a brute-force position rule."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmanalytics.errors import SchemaError
from crmanalytics.segmentation import value_tiers


def brute_tier(values: list[float], cuts: tuple[float, float]) -> list[str]:
    n = len(values)
    out = []
    for v in values:
        position = (sum(w < v for w in values) + sum(w == v for w in values) / 2) / n
        out.append("high" if position >= cuts[1] else "medium" if position >= cuts[0] else "low")
    return out


@given(v=st.lists(st.integers(-5, 30).map(float), min_size=1, max_size=50))
def test_matches_brute_force(v: list[float]) -> None:
    frame = pd.DataFrame({"monetary": v})
    before = frame.copy()
    out = value_tiers(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert out["value_tier"].tolist() == brute_tier(v, (0.8, 0.95))
    tiers = out.groupby("monetary")["value_tier"]
    assert (tiers.min() == tiers.max()).all()  # ties share a tier


def test_untied_split() -> None:
    out = value_tiers(pd.DataFrame({"monetary": [float(i) for i in range(20)]}))
    assert out["value_tier"].value_counts().to_dict() == {"low": 16, "medium": 3, "high": 1}


def test_backend_parity(backend, to_backend, as_pandas) -> None:
    frame = pd.DataFrame({"customer_id": range(30), "clv": [float(i % 7) for i in range(30)]})
    out = as_pandas(value_tiers(to_backend(frame, backend), column="clv", cuts=(0.5, 0.9)))
    out = out.sort_values("customer_id").reset_index(drop=True)
    assert out["value_tier"].tolist() == brute_tier(frame["clv"].tolist(), (0.5, 0.9))


def test_bad_input() -> None:
    frame = pd.DataFrame({"monetary": [1.0]})
    with pytest.raises(ValueError, match="cuts must be two increasing"):
        value_tiers(frame, cuts=(0.9, 0.5))
    with pytest.raises(ValueError, match="labels must be three"):
        value_tiers(frame, labels=("a", "b"))
    with pytest.raises(SchemaError, match=r"'clv': is required by value_tiers but missing"):
        value_tiers(frame, column="clv")
