"""churn_dataset: exact features, a pandas oracle, the no-look-ahead property, recovery."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from backends import to_pandas
from hypothesis import given, settings
from hypothesis import strategies as st

from crmanalytics.churn import churn_dataset, churn_labels, evaluate_churn
from crmanalytics.datasets import simulate
from crmanalytics.errors import DataQualityWarning, SchemaError
from crmanalytics.value import BetaGeoModel, customer_summary

CUT = pd.Timestamp("2024-03-31")


def tx(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "timestamp": pd.to_datetime([r[1] for r in rows], format="ISO8601"),
            "amount": [r[2] for r in rows],
        }
    )


def interactions(rows: list[tuple[str, str, str, str, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "timestamp": pd.to_datetime([r[1] for r in rows], format="ISO8601"),
            "kind": [r[2] for r in rows],
            "channel": [r[3] for r in rows],
            "score": [r[4] for r in rows],
        }
    )


HAND_TX = tx(
    [
        ("a", "2024-01-02", 40.0),
        ("a", "2024-01-02 18:00", 10.0),  # same day: one purchase occasion
        ("a", "2024-02-20", 30.0),
        ("a", "2024-03-31 22:00", -5.0),  # a return on the cutoff day counts
        ("a", "2024-05-01", 99.0),  # after cutoff and window: a churns
        ("b", "2023-12-01", 20.0),
        ("b", "2024-04-10", 15.0),  # in the label window
        ("c", "2024-04-01", 5.0),  # acquired after the cutoff: excluded
        ("z", "2024-06-30", 1.0),  # data runs to June
    ]
)
HAND_INTER = interactions(
    [
        ("a", "2024-03-20", "complaint", "phone", None),
        ("a", "2024-03-25", "nps", "email", 4.0),
        ("a", "2024-03-25", "nps", "email", 6.0),  # same timestamp: mean 5
        ("a", "2024-04-02", "nps", "email", 10.0),  # after cutoff: ignored
        ("b", "2024-01-15", "nps", "web", 9.0),
        ("b", "2024-03-30", "Page View", "web", None),
        ("c", "2024-03-01", "complaint", "phone", None),  # c is not acquired
        ("a", "2024-06-01", "survey", "sms", None),  # new kind after cutoff: no column
    ]
)


def test_hand_made_features() -> None:
    got = churn_dataset(HAND_TX, HAND_INTER, cutoff=CUT, horizon=30, windows=(30,), p_alive=False)
    assert got["customer_id"].tolist() == ["a", "b"]
    expected_cols = [
        "customer_id", "tenure_days", "days_since_last_purchase", "n_transactions",
        "n_purchase_days", "total_amount", "mean_amount", "frequency", "recency", "T",
        "n_transactions_30d", "amount_30d", "spend_trend",
        "n_complaint_30d", "n_nps_30d", "n_page_view_30d",
        "n_channel_email_30d", "n_channel_phone_30d", "n_channel_web_30d",
        "n_complaints", "last_nps", "days_since_last_nps", "churned",
    ]  # fmt: skip
    assert list(got.columns) == expected_cols
    a, b = got.iloc[0], got.iloc[1]
    # a: days 2024-01-02 (90 days before cutoff), 02-20 (40), 03-31 (0)
    assert (a["tenure_days"], a["days_since_last_purchase"]) == (89, 0)
    assert (a["n_transactions"], a["n_purchase_days"]) == (4, 3)
    assert a["total_amount"] == 75.0
    assert a["mean_amount"] == 75.0 / 4
    assert (a["frequency"], a["recency"], a["T"]) == (2, 89, 89)
    # 30-day window is (03-01, 03-31]; previous window (01-31, 03-01] holds 30.0
    assert (a["n_transactions_30d"], a["amount_30d"]) == (1, -5.0)
    assert a["spend_trend"] == pytest.approx((-5.0 - 30.0) / 35.0)
    assert (a["n_complaint_30d"], a["n_nps_30d"], a["n_page_view_30d"]) == (1, 2, 0)
    assert (a["n_channel_email_30d"], a["n_channel_phone_30d"]) == (2, 1)
    assert (a["n_complaints"], a["last_nps"], a["days_since_last_nps"]) == (1, 5.0, 6)
    assert bool(a["churned"]) is True
    # b: one purchase on 2023-12-01, 121 days before cutoff
    assert (b["tenure_days"], b["frequency"], b["recency"], b["T"]) == (121, 0, 0, 121)
    assert (b["amount_30d"], b["spend_trend"]) == (0.0, 0.0)
    assert (b["n_page_view_30d"], b["n_channel_web_30d"], b["n_complaints"]) == (1, 1, 0)
    assert (b["last_nps"], b["days_since_last_nps"]) == (9.0, 76)
    assert bool(b["churned"]) is False


def test_without_interactions_and_label_agrees_with_churn_labels(make_transactions) -> None:
    t = make_transactions(21)
    got = churn_dataset(t, cutoff="2023-09-30", horizon=60, p_alive=False)
    labels = churn_labels(t, cutoff="2023-09-30", horizon=60)
    assert got["customer_id"].tolist() == labels["customer_id"].tolist()
    assert got["churned"].tolist() == labels["churned"].tolist()
    assert "n_complaints" not in got.columns


def oracle(
    t: pd.DataFrame, i: pd.DataFrame, cut: pd.Timestamp, windows: tuple[int, ...]
) -> pd.DataFrame:
    """Straightforward pandas features, one customer at a time."""
    day_t = t.assign(day=t["timestamp"].dt.normalize())
    day_t = day_t[day_t["day"] <= cut]
    day_i = i.assign(day=i["timestamp"].dt.normalize())
    day_i = day_i[day_i["day"] <= cut]
    kinds = sorted(day_i["kind"].unique())
    channels = sorted(day_i["channel"].unique())
    w_max = max(windows)
    rows = []
    for c, g in day_t.groupby("customer_id"):
        first, last = g["day"].min(), g["day"].max()
        row = {
            "customer_id": c,
            "days_since_last_purchase": (cut - last).days,
            "n_purchase_days": g["day"].nunique(),
            "total_amount": g["amount"].sum(),
            "recency": (last - first).days,
            "T": (cut - first).days,
        }
        for w in windows:
            recent = g[g["day"] > cut - pd.Timedelta(days=w)]
            row[f"amount_{w}d"] = recent["amount"].sum()
        s1 = row[f"amount_{w_max}d"]
        prev = g[
            (g["day"] > cut - pd.Timedelta(days=2 * w_max))
            & (g["day"] <= cut - pd.Timedelta(days=w_max))
        ]
        s0 = prev["amount"].sum()
        row["spend_trend"] = 0.0 if abs(s1) + abs(s0) == 0 else (s1 - s0) / (abs(s1) + abs(s0))
        mine = day_i[day_i["customer_id"] == c]
        for w in windows:
            recent = mine[mine["day"] > cut - pd.Timedelta(days=w)]
            for k in kinds:
                row[f"n_{k}_{w}d"] = int((recent["kind"] == k).sum())
            for ch in channels:
                row[f"n_channel_{ch}_{w}d"] = int((recent["channel"] == ch).sum())
        row["n_complaints"] = int((mine["kind"] == "complaint").sum())
        nps = mine[mine["kind"] == "nps"]
        if len(nps):
            latest = nps[nps["timestamp"] == nps["timestamp"].max()]
            row["last_nps"] = latest["score"].mean()
        else:
            row["last_nps"] = np.nan
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def sim():
    return simulate(600, seed=3)


def test_features_match_pandas_oracle() -> None:
    sim = simulate(250, seed=4)
    cut = pd.Timestamp("2024-08-31")
    got = churn_dataset(
        sim.transactions, sim.interactions, cutoff=cut, horizon=60, windows=(14, 60), p_alive=False
    )
    expected = oracle(sim.transactions, sim.interactions, cut, (14, 60))
    assert len(got) == len(expected) > 50
    got = got.set_index("customer_id").loc[expected["customer_id"]]
    for col in expected.columns.drop("customer_id"):
        np.testing.assert_allclose(
            got[col].to_numpy(dtype=float),
            expected[col].to_numpy(dtype=float),
            err_msg=col,
            rtol=1e-12,
        )


def test_bgnbd_features_match_customer_summary_and_model(sim) -> None:
    cut = pd.Timestamp("2024-08-31")
    got = churn_dataset(sim.transactions, cutoff=cut, horizon=60)
    past = sim.transactions[sim.transactions["timestamp"] < cut + pd.Timedelta(days=1)]
    summary = customer_summary(past, observation_end=cut, time_unit="D")
    merged = got.merge(summary, on="customer_id", suffixes=("", "_value"))
    assert len(merged) == len(got) == len(summary)
    for col in ("frequency", "recency", "T"):
        np.testing.assert_allclose(merged[col], merged[f"{col}_value"])
    model = BetaGeoModel().fit(summary)
    np.testing.assert_allclose(
        merged["p_alive"], model.probability_alive(merged[["frequency", "recency", "T"]]), rtol=1e-6
    )


def test_backend_parity(backend: str, to_backend_pair, sim) -> None:
    t, i = sim.transactions, sim.interactions
    before = (t.copy(), i.copy())
    expected = churn_dataset(t, i, cutoff="2024-08-31", horizon=60)
    nt, ni = to_backend_pair(t, i, backend)
    got = to_pandas(churn_dataset(nt, ni, cutoff="2024-08-31", horizon=60))
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9)
    pd.testing.assert_frame_equal(t, before[0])
    pd.testing.assert_frame_equal(i, before[1])


# ------------------------------------------------------------- leakage

SMALL_TX = tx(
    [(f"c{k % 7}", f"2024-0{1 + k % 6}-{1 + (k * 5) % 27:02d}", float(10 + k)) for k in range(40)]
    + [("z", "2024-12-31", 1.0)]
)
KINDS = ["nps", "complaint", "click"]
SMALL_INTER = interactions(
    [
        (
            f"c{k % 7}",
            f"2024-0{1 + k % 6}-{1 + (k * 3) % 27:02d}",
            KINDS[k % 3],
            ["web", "phone"][k % 2],
            float(k % 11) if k % 3 == 0 else None,
        )
        for k in range(40)
    ]
)
LEAK_CUT = pd.Timestamp("2024-03-31")


def mutate_after(
    frame: pd.DataFrame, data: st.DataObject, after: pd.Timestamp, kind: bool
) -> pd.DataFrame:
    """Delete, change or add rows dated after ``after`` (a day boundary)."""
    out = frame.copy()
    late = out.index[out["timestamp"] >= after + pd.Timedelta(days=1)]
    drop = data.draw(st.lists(st.sampled_from(list(late)), unique=True)) if len(late) else []
    out = out.drop(index=drop)
    late = out.index[out["timestamp"] >= after + pd.Timedelta(days=1)]
    for idx in (
        data.draw(st.lists(st.sampled_from(list(late)), unique=True, max_size=5))
        if len(late)
        else []
    ):
        out.loc[idx, "customer_id"] = data.draw(st.sampled_from(["c0", "c1", "new"]))
        shift = pd.Timedelta(days=data.draw(st.integers(0, 60)))
        out.loc[idx, "timestamp"] = out.loc[idx, "timestamp"] + shift
        if kind:
            new_kind = data.draw(st.sampled_from(["nps", "complaint", "brand new kind"]))
            out.loc[idx, "kind"] = new_kind
            score = float(data.draw(st.integers(0, 10))) if new_kind == "nps" else None
            out.loc[idx, "score"] = score
            out.loc[idx, "channel"] = data.draw(st.sampled_from(["web", "sms"]))
        else:
            out.loc[idx, "amount"] = data.draw(st.floats(-100, 100, allow_nan=False))
    n_new = data.draw(st.integers(0, 3))
    new_rows = out.iloc[:n_new].copy() if n_new else out.iloc[:0].copy()
    if n_new:
        new_rows["timestamp"] = after + pd.Timedelta(days=1, hours=data.draw(st.integers(0, 2000)))
        new_rows["customer_id"] = "brand new customer"
        out = pd.concat([out, new_rows], ignore_index=True)
    return out.sort_values("timestamp", kind="stable").reset_index(drop=True)


def run(t: pd.DataFrame, i: pd.DataFrame, **kw: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # censored labels are fine here
        return churn_dataset(
            t, i, cutoff=LEAK_CUT, horizon=30, windows=(7, 30), p_alive=False, **kw
        )


BASE = run(SMALL_TX, SMALL_INTER)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_no_look_ahead(data: st.DataObject) -> None:
    base = BASE.copy()
    features = [c for c in base.columns if c != "churned"]
    t = mutate_after(SMALL_TX, data, LEAK_CUT, kind=False)
    i = mutate_after(SMALL_INTER, data, LEAK_CUT, kind=True)
    changed = run(t, i)
    pd.testing.assert_frame_equal(changed[features], base[features])
    # the label only depends on (cutoff, cutoff + horizon]: mutate after the window only
    window_end = LEAK_CUT + pd.Timedelta(days=30)
    t2 = mutate_after(SMALL_TX, data, window_end, kind=False)
    i2 = mutate_after(SMALL_INTER, data, window_end, kind=True)
    pd.testing.assert_frame_equal(run(t2, i2), base)


def test_no_look_ahead_with_p_alive(sim) -> None:
    t, i = sim.transactions, sim.interactions
    cut = pd.Timestamp("2024-08-31")
    base = churn_dataset(t, i, cutoff=cut, horizon=60)
    rng = np.random.default_rng(0)
    late = t["timestamp"] >= cut + pd.Timedelta(days=1)
    t2 = t[~late | (rng.uniform(size=len(t)) < 0.5)].copy()
    t2.loc[t2["timestamp"] >= cut + pd.Timedelta(days=1), "amount"] *= 3
    i2 = i[i["timestamp"] < cut + pd.Timedelta(days=1)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        changed = churn_dataset(t2, i2, cutoff=cut, horizon=60)
    features = [c for c in base.columns if c != "churned"]
    pd.testing.assert_frame_equal(changed[features], base[features])


# ------------------------------------------------------------- recovery


def test_planted_churners_score_higher() -> None:
    sim = simulate(2000, seed=11)
    cut = pd.Timestamp("2024-09-30")
    data = churn_dataset(sim.transactions, sim.interactions, cutoff=cut, horizon=90)
    truth = sim.truth.customers.set_index("customer_id").loc[data["customer_id"]]
    dropped = (truth["dropout_at"].notna() & (truth["dropout_at"] <= cut)).to_numpy()
    assert 0.05 < dropped.mean() < 0.95
    result = evaluate_churn(1.0 - data["p_alive"], dropped)
    assert result.auc > 0.85


# ---------------------------------------------------------------- errors


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="windows must be a non-empty sequence"):
        churn_dataset(HAND_TX, cutoff=CUT, horizon=30, windows=())
    with pytest.raises(ValueError, match="windows must not repeat"):
        churn_dataset(HAND_TX, cutoff=CUT, horizon=30, windows=(7, 7))
    with pytest.raises(ValueError, match="windows must be a positive whole"):
        churn_dataset(HAND_TX, cutoff=CUT, horizon=30, windows=(0,))
    with pytest.raises(SchemaError, match="kind"):
        churn_dataset(HAND_TX, HAND_INTER.drop(columns="kind"), cutoff=CUT, horizon=30)
    import polars as pl

    with pytest.raises(TypeError, match="same kind of frame"):
        churn_dataset(HAND_TX, pl.from_pandas(HAND_INTER), cutoff=CUT, horizon=30, p_alive=False)
    clash = HAND_INTER.assign(kind=["Page View", "page-view"] + ["click"] * 6)
    with pytest.raises(ValueError, match="harmonise"):
        churn_dataset(HAND_TX, clash, cutoff=CUT, horizon=30, p_alive=False)
