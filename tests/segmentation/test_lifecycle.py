"""lifecycle_stages on hand-made histories, each stage and each threshold rule."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pytest
from backends import convert_pair

from crmanalytics.errors import SchemaError
from crmanalytics.segmentation import LIFECYCLE_STAGES, lifecycle_stages

from .conftest import make_transactions, sort_by_customer

END = "2024-06-30"


def history(
    days: dict[str, list[str]], returns: dict[str, list[str]] | None = None
) -> pd.DataFrame:
    rows = [
        (c, pd.Timestamp(d) + pd.Timedelta(hours=15), 25.0) for c, ds in days.items() for d in ds
    ]
    rows += [(c, pd.Timestamp(d), -5.0) for c, ds in (returns or {}).items() for d in ds]
    return pd.DataFrame(rows, columns=["customer_id", "timestamp", "amount"])


def every_n_days(start: str, n: int, count: int) -> list[str]:
    return [str((pd.Timestamp(start) + pd.Timedelta(days=n * i)).date()) for i in range(count)]


# Five purchases 30 days apart (own typical gap 30) ending at different distances from END.
HISTORIES = {
    "active": every_n_days("2024-02-06", 30, 5),  # last 2024-06-05: 25 days ago <= 45
    "at_risk": every_n_days("2024-01-01", 30, 5),  # last 2024-04-30: 61 days, in (45, 90]
    "churned": every_n_days("2023-10-01", 30, 5),  # last 2024-01-29: 153 days > 90
    "reactivated": [*every_n_days("2023-09-01", 30, 4), "2024-06-20"],  # gap 203 > 90
    "new": ["2024-06-25"],
    "one_old": ["2023-12-01"],
}


def stages(out: pd.DataFrame) -> dict[str, str]:
    return dict(zip(out["customer_id"], out["stage"], strict=True))


def test_each_stage_on_hand_made_histories() -> None:
    tx = history(HISTORIES, returns={"returner": ["2024-05-01"]})
    customers = pd.DataFrame({"customer_id": [*HISTORIES, "prospect"]})
    out = lifecycle_stages(customers, tx, observation_end=END)
    assert stages(out) == {
        "active": "active",
        "at_risk": "at risk",
        "churned": "churned",
        "reactivated": "reactivated",
        "new": "new",
        "one_old": "churned",  # 212 days, population gap is 30
        "prospect": "prospect",  # in customers, never bought
        "returner": "prospect",  # only a return, not in customers: kept, not dropped
    }
    row = out.set_index("customer_id")
    assert row.loc["active", "typical_gap"] == 30.0
    assert row.loc["at_risk", "recency"] == (pd.Timestamp(END) - pd.Timestamp("2024-04-30")).days
    assert row.loc["reactivated", "last_gap"] == 203
    assert row.loc["reactivated", "n_purchases"] == 5
    assert row.loc["prospect", "n_purchases"] == 0
    assert set(out["stage"]) <= set(LIFECYCLE_STAGES)


def test_thresholds_are_configurable() -> None:
    tx = history(HISTORIES)
    customers = pd.DataFrame({"customer_id": list(HISTORIES)})
    loose = stages(lifecycle_stages(customers, tx, observation_end=END, at_risk_multiple=2.5))
    assert loose["at_risk"] == "active"  # 61 days <= 2.5 x 30
    fixed = stages(lifecycle_stages(customers, tx, observation_end=END, gap_days=100.0))
    assert fixed["churned"] == "at risk"  # 153 days: > 150 at risk, not > 300
    assert fixed["reactivated"] == "active"  # 202-day gap is not > 300
    assert fixed["new"] == "new"
    no_new = stages(lifecycle_stages(customers, tx, observation_end=END, new_days=1.0))
    assert no_new["new"] == "active"


def test_population_gap_for_short_histories() -> None:
    # Two customers with one gap each (10 and 30 days): population median gap 20.
    tx = history(
        {"x": ["2024-06-01", "2024-06-11"], "y": ["2024-05-01", "2024-05-31"], "z": ["2024-05-20"]}
    )
    out = lifecycle_stages(pd.DataFrame({"customer_id": ["x", "y", "z"]}), tx, observation_end=END)
    row = out.set_index("customer_id")
    assert row["typical_gap"].tolist() == [20.0, 20.0, 20.0]
    assert stages(out) == {"x": "active", "y": "active", "z": "at risk"}  # z: 41 days > 30


def test_backend_parity(backend: str, to_backend, as_pandas) -> None:
    tx = make_transactions(3)
    customers = pd.DataFrame({"customer_id": list(range(45))})
    want = sort_by_customer(lifecycle_stages(customers, tx))
    native_c, native_t = convert_pair(customers, tx, backend)
    out = lifecycle_stages(native_c, native_t)
    assert type(out) is type(native_c)
    got = sort_by_customer(as_pandas(out))
    pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-9)
    assert (want["stage"] == "prospect").sum() >= 5  # ids 40..44 never bought


def test_bad_input() -> None:
    tx = history({"a": ["2024-01-01"]})
    customers = pd.DataFrame({"customer_id": ["a"]})
    with pytest.raises(ValueError, match=r"churn_multiple .* must be larger"):
        lifecycle_stages(customers, tx, at_risk_multiple=3.0, churn_multiple=2.0)
    with pytest.raises(ValueError, match="gap_days must be a positive"):
        lifecycle_stages(customers, tx, gap_days=0)
    with pytest.raises(ValueError, match="min_gaps must be a positive integer"):
        lifecycle_stages(customers, tx, min_gaps=0)
    with pytest.raises(SchemaError, match="customer_id"):
        lifecycle_stages(pd.DataFrame({"customer_id": [1]}), tx)
    with pytest.raises(TypeError, match="same kind of dataframe"):
        lifecycle_stages(pl.from_pandas(customers), tx)


def test_stages_track_planted_alive_status() -> None:
    from crmanalytics.datasets import simulate

    sim = simulate(3000, seed=1)
    out = lifecycle_stages(
        sim.customers, sim.transactions, observation_end=sim.truth.observation_end
    )
    merged = out.merge(sim.truth.customers[["customer_id", "alive"]], on="customer_id")
    assert len(merged) == len(sim.customers)
    alive = merged.groupby("stage")["alive"].mean()
    # Rules of thumb, not a model: a purchase-rate-scaled lapse is still informative.
    assert alive["active"] > alive["churned"] + 0.05
    assert alive["active"] > alive["at risk"]
