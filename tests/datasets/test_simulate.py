"""simulate(): determinism, canonical output, and the planted truth, checked statistically.

Every statistical check compares against a closed form or a count computed here,
independently of the simulator, with a tolerance of about four standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import special, stats

from crmanalytics.datasets import (
    DEFAULT_NPS_MIX,
    NPSMix,
    PlantedBetaGeo,
    PlantedGammaGamma,
    SimulatedData,
    simulate,
)

N = 20_000


@pytest.fixture(scope="module")
def data() -> SimulatedData:
    return simulate(N, seed=2024)


def test_same_seed_same_data_other_seed_other_data() -> None:
    one, two, other = simulate(500, seed=7), simulate(500, seed=7), simulate(500, seed=8)
    for name in ("customers", "transactions", "interactions"):
        pd.testing.assert_frame_equal(getattr(one, name), getattr(two, name))
    pd.testing.assert_frame_equal(one.truth.customers, two.truth.customers)
    assert not one.transactions["amount"].equals(other.transactions["amount"])


def test_changing_interaction_settings_leaves_purchases_alone() -> None:
    base = simulate(300, seed=5)
    changed = simulate(300, seed=5, nps_response_rate=0.9, n_campaigns=2)
    pd.testing.assert_frame_equal(base.transactions, changed.transactions)
    assert len(changed.interactions) != len(base.interactions)


def test_canonical_columns_and_dtypes(data: SimulatedData) -> None:
    tx, inter, cust = data.transactions, data.interactions, data.customers
    assert list(tx.columns) == [
        "customer_id",
        "timestamp",
        "amount",
        "transaction_id",
        "product_id",
        "quantity",
        "channel",
        "category",
    ]
    assert list(inter.columns) == [
        "customer_id",
        "timestamp",
        "kind",
        "channel",
        "campaign_id",
        "score",
        "text",
    ]
    assert list(cust.columns) == [
        "customer_id",
        "created_at",
        "acquisition_channel",
        "region",
        "segment",
        "age_band",
    ]
    for frame, time_col in ((tx, "timestamp"), (inter, "timestamp"), (cust, "created_at")):
        assert frame["customer_id"].dtype == np.int64
        assert pd.api.types.is_datetime64_any_dtype(frame[time_col])
        assert frame[time_col].notna().all()
        assert frame["customer_id"].notna().all()
    assert tx["amount"].dtype == np.float64
    assert tx["quantity"].dtype == np.float64
    assert inter["score"].dtype == np.float64
    for frame, cols in (
        (tx, ["transaction_id", "product_id", "channel"]),
        (inter, ["kind", "channel", "campaign_id", "text"]),
        (cust, ["acquisition_channel", "region", "segment"]),
    ):
        for col in cols:
            values = frame[col]
            # pandas 3: the string dtype; pandas 2: object strings with None for missing
            object_strings = values.dtype == object and values.dropna().map(type).eq(str).all()
            assert pd.api.types.is_string_dtype(values) or object_strings, col
    assert cust["customer_id"].is_unique
    assert tx["transaction_id"].is_unique
    assert np.isfinite(tx["amount"]).all()
    assert (tx["amount"] >= 0.01).all()
    assert set(tx["customer_id"]) == set(cust["customer_id"])
    assert set(inter["customer_id"]) <= set(cust["customer_id"])


def test_everything_happens_inside_the_window(data: SimulatedData) -> None:
    start, end = pd.Timestamp("2024-01-01"), data.truth.observation_end
    assert end == start + pd.Timedelta(days=546)
    for frame, col in (
        (data.transactions, "timestamp"),
        (data.interactions, "timestamp"),
        (data.customers, "created_at"),
    ):
        assert frame[col].min() >= start
        assert frame[col].max() < end
    assert data.customers["created_at"].max() < start + pd.Timedelta(days=84)
    assert data.transactions["timestamp"].is_monotonic_increasing
    assert data.interactions["timestamp"].is_monotonic_increasing


def test_interaction_fields_by_kind(data: SimulatedData) -> None:
    inter = data.interactions
    nps = inter[inter["kind"] == "nps"]
    assert nps["score"].between(0, 10).all()
    assert (nps["score"] == nps["score"].round()).all()
    assert inter.loc[inter["kind"] != "nps", "score"].isna().all()
    campaign = inter["kind"].isin(["campaign_sent", "campaign_response"])
    assert inter.loc[campaign, "campaign_id"].notna().all()
    assert inter.loc[~campaign, "campaign_id"].isna().all()
    complaint = inter["kind"] == "complaint"
    assert inter.loc[complaint, "text"].notna().all()
    assert inter.loc[~complaint, "text"].isna().all()
    # every customer answers at most one survey, every response follows its send
    assert not nps["customer_id"].duplicated().any()
    sent = inter[inter["kind"] == "campaign_sent"].set_index(["customer_id", "campaign_id"])
    resp = inter[inter["kind"] == "campaign_response"].set_index(["customer_id", "campaign_id"])
    assert resp.index.isin(sent.index).all()
    lag = resp["timestamp"] - sent.loc[resp.index, "timestamp"].to_numpy()
    assert lag.between(pd.Timedelta(0), pd.Timedelta(days=3)).all()


def test_truth_matches_the_transactions(data: SimulatedData) -> None:
    truth = data.truth.customers.set_index("customer_id")
    tx = data.transactions
    per = tx.groupby("customer_id")["timestamp"].agg(["count", "min", "max"])
    per = per.reindex(truth.index)
    assert (per["count"] == truth["frequency"] + 1).all()
    assert (per["min"] == truth["acquired_at"]).all()
    assert (per["min"] == data.customers.set_index("customer_id")["created_at"]).all()
    gone = ~truth["alive"]
    assert truth.loc[gone, "dropout_at"].notna().all()
    assert truth.loc[~gone, "dropout_at"].isna().all()
    # the customer leaves right after the last purchase: nothing is bought after dropout
    assert (per.loc[gone, "max"] == truth.loc[gone, "dropout_at"]).all()
    after = tx.merge(truth[["dropout_at"]], left_on="customer_id", right_index=True)
    assert not (after["timestamp"] > after["dropout_at"]).any()
    # a customer with no repeat purchase cannot have dropped out (BG/NBD)
    assert truth.loc[truth["frequency"] == 0, "alive"].all()
    expected_t = (data.truth.observation_end - truth["acquired_at"]) / pd.Timedelta(days=1)
    np.testing.assert_allclose(truth["T"], expected_t, atol=1 / 86_400)


def test_no_activity_after_dropout(data: SimulatedData) -> None:
    truth = data.truth.customers[["customer_id", "dropout_at"]]
    inter = data.interactions.merge(truth, on="customer_id")
    active_kinds = inter["kind"].isin(["nps", "page_view"])
    late = active_kinds & (inter["timestamp"] > inter["dropout_at"])
    assert not late.any()


def test_latent_parameters_follow_their_distributions(data: SimulatedData) -> None:
    r, alpha, a, b = data.truth.bgnbd
    p, q, v = data.truth.gamma_gamma
    tc = data.truth.customers
    for values, dist in (
        (tc["lambda"], stats.gamma(r, scale=1 / alpha)),
        (tc["p"], stats.beta(a, b)),
        (tc["nu"], stats.gamma(q, scale=1 / v)),
    ):
        assert stats.kstest(values, dist.cdf).pvalue > 1e-3
        se = dist.std() / math.sqrt(len(values))
        assert abs(values.mean() - dist.mean()) < 4 * se
    np.testing.assert_allclose(tc["mean_spend"], p / tc["nu"])


def _bgnbd_pmf(x: int, t: np.ndarray, params: PlantedBetaGeo) -> np.ndarray:
    """P(X(t) = x) of the BG/NBD, Fader, Hardie & Lee (2005) equation (8)."""
    r, alpha, a, b = params
    log_nb = (
        special.gammaln(r + x)
        - special.gammaln(r)
        - special.gammaln(x + 1)
        + r * np.log(alpha / (alpha + t))
        + x * np.log(t / (alpha + t))
    )
    first = np.exp(special.betaln(a, b + x) - special.betaln(a, b) + log_nb)
    if x == 0:
        return first
    partial = sum(
        np.exp(
            special.gammaln(r + j)
            - special.gammaln(r)
            - special.gammaln(j + 1)
            + r * np.log(alpha / (alpha + t))
            + j * np.log(t / (alpha + t))
        )
        for j in range(x)
    )
    second = np.exp(special.betaln(a + 1, b + x - 1) - special.betaln(a, b)) * (1 - partial)
    return first + second


def test_repeat_purchase_counts_follow_the_bgnbd_closed_form(data: SimulatedData) -> None:
    bg = data.truth.bgnbd
    tc = data.truth.customers
    t = tc["T"].to_numpy()
    for x in range(4):
        expected = _bgnbd_pmf(x, t, bg)
        observed = (tc["frequency"] == x).mean()
        se = math.sqrt(float(np.mean(expected * (1 - expected))) / len(t))
        assert abs(observed - expected.mean()) < 4 * se, (x, observed, expected.mean())
    # the pmf is a distribution: the closed form sums to one
    total = sum(_bgnbd_pmf(x, np.array([300.0]), bg) for x in range(400))
    np.testing.assert_allclose(total, 1.0, atol=1e-6)


def test_spend_follows_gamma_gamma(data: SimulatedData) -> None:
    p = data.truth.gamma_gamma.p
    tx = data.transactions.merge(data.truth.customers[["customer_id", "nu"]], on="customer_id")
    # amount * nu ~ Gamma(p, 1) whatever the customer's nu (cents rounding is negligible)
    scaled = tx["amount"] * tx["nu"]
    assert stats.kstest(scaled, stats.gamma(p).cdf).pvalue > 1e-3


def test_planted_pairs_beat_chance(data: SimulatedData) -> None:
    tx = data.transactions.sort_values(["customer_id", "timestamp"], kind="stable")
    nxt = tx.groupby("customer_id")[["timestamp", "product_id"]].shift(-1)
    gap = (nxt["timestamp"] - tx["timestamp"]) / pd.Timedelta(days=1)
    for pair in data.truth.planted_pairs:
        close = gap <= pair.within_days
        after_a = close & (tx["product_id"] == pair.antecedent)
        after_other = close & (tx["product_id"] != pair.antecedent)
        hit = (nxt.loc[after_a, "product_id"] == pair.consequent).mean()
        base = (nxt.loc[after_other, "product_id"] == pair.consequent).mean()
        expected = pair.probability + (1 - pair.probability) * base
        se = math.sqrt(expected * (1 - expected) / int(after_a.sum()))
        assert abs(hit - expected) < 4 * se, (pair, hit, expected)
        assert hit > 5 * base


def test_segments_and_nps_mix(data: SimulatedData) -> None:
    tc = data.truth.customers
    shares = tc["segment"].value_counts(normalize=True)
    for name, share in (("gold", 0.2), ("silver", 0.3), ("bronze", 0.5)):
        assert abs(shares[name] - share) < 4 * math.sqrt(share * (1 - share) / len(tc))
    # gold customers spend most: their nu lies below silver's, silver's below bronze's
    nu = tc.groupby("segment")["nu"]
    assert nu.max()["gold"] <= nu.min()["silver"]
    assert nu.max()["silver"] <= nu.min()["bronze"]
    nps = data.interactions[data.interactions["kind"] == "nps"].merge(
        tc[["customer_id", "segment"]], on="customer_id"
    )
    klass = np.select([nps["score"] >= 9, nps["score"] >= 7], ["promoter", "passive"], "detractor")
    for segment, mix in DEFAULT_NPS_MIX.items():
        in_segment = (nps["segment"] == segment).to_numpy()
        n = int(in_segment.sum())
        for name, share in zip(NPSMix._fields, mix, strict=True):
            observed = float(np.mean(klass[in_segment] == name))
            assert abs(observed - share) < 4 * math.sqrt(share * (1 - share) / n)
    assert data.truth.nps_mix == dict(DEFAULT_NPS_MIX)


def test_complainers_drop_out_more(data: SimulatedData) -> None:
    tc = data.truth.customers
    inter = data.interactions
    complainers = set(inter.loc[inter["kind"] == "complaint", "customer_id"])
    assert set(tc.loc[tc["complained"], "customer_id"]) == complainers
    churn = 1 - tc.groupby("complained")["alive"].mean()
    assert churn[True] > 2 * churn[False]
    # the leavers' complaints come within 14 days after their last purchase, or while active
    merged = inter[inter["kind"] == "complaint"].merge(tc, on="customer_id")
    gone = merged[~merged["alive"]]
    after = gone["timestamp"] >= gone["dropout_at"]
    assert (gone.loc[after, "timestamp"] - gone.loc[after, "dropout_at"]).max() <= pd.Timedelta(
        days=14
    )
    assert after.mean() > 0.5


def test_campaign_responses_signal_being_alive(data: SimulatedData) -> None:
    inter = data.interactions
    tc = data.truth.customers[["customer_id", "dropout_at"]]
    sent = inter[inter["kind"] == "campaign_sent"].merge(tc, on="customer_id")
    alive = sent["dropout_at"].isna() | (sent["dropout_at"] > sent["timestamp"])
    responded = sent.set_index(["customer_id", "campaign_id"]).index.isin(
        inter[inter["kind"] == "campaign_response"].set_index(["customer_id", "campaign_id"]).index
    )
    assert responded[alive.to_numpy()].mean() > 3 * responded[~alive.to_numpy()].mean()
    assert inter.loc[inter["kind"] == "campaign_sent", "campaign_id"].nunique() == 6


def test_truth_records_the_arguments() -> None:
    sim = simulate(
        50,
        seed=1,
        start="2020-03-01",
        acquisition_days=10,
        duration_days=100,
        bgnbd=(1.0, 10.0, 1.0, 3.0),
        gamma_gamma=(2.0, 3.0, 4.0),
        n_products=5,
        planted_pairs=[("P001", "P002", 7, 0.9)],
    )
    assert sim.truth.bgnbd == PlantedBetaGeo(1.0, 10.0, 1.0, 3.0)
    assert sim.truth.gamma_gamma == PlantedGammaGamma(2.0, 3.0, 4.0)
    assert sim.truth.planted_pairs[0].within_days == 7.0
    assert sim.truth.observation_end == pd.Timestamp("2020-06-09")
    assert set(sim.transactions["product_id"]) <= {f"P00{i}" for i in range(1, 6)}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_customers": 0}, "n_customers"),
        ({"n_customers": 2.5}, "n_customers"),
        ({"seed": -1}, "seed"),
        ({"bgnbd": (0.2, 10.0, 0.0, 1.0)}, "bgnbd"),
        ({"bgnbd": (0.2, 10.0, 1.0)}, "bgnbd"),
        ({"gamma_gamma": (1.0, -2.0, 3.0)}, "gamma_gamma"),
        ({"acquisition_days": 600}, "acquisition_days"),
        ({"n_products": 10}, "planted_pairs"),
        ({"planted_pairs": [("P001", "P002", 0, 0.5)]}, "within_days"),
        ({"nps_mix": {"gold": (0.5, 0.5, 0.5)}}, "nps_mix"),
        ({"nps_mix": {**DEFAULT_NPS_MIX, "gold": (0.5, 0.6, -0.1)}}, "nps_mix"),
        ({"nps_response_rate": 1.5}, "nps_response_rate"),
        ({"page_views_per_purchase": -1.0}, "page_views_per_purchase"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"n_customers": 10, "seed": 0, **kwargs}
    n = args.pop("n_customers")
    with pytest.raises(ValueError, match=match):
        simulate(n, **args)  # type: ignore[arg-type]


@given(
    n=st.integers(1, 60),
    seed=st.integers(0, 2**32),
    rate=st.floats(0.0, 1.0),
    duration=st.floats(30.0, 400.0),
)
def test_invariants_hold_for_any_seed(n: int, seed: int, rate: float, duration: float) -> None:
    sim = simulate(
        n,
        seed=seed,
        acquisition_days=20.0,
        duration_days=duration,
        bgnbd=(2.0, 20.0, 1.0, 2.0),
        nps_response_rate=rate,
        complaint_rate_dropout=rate,
    )
    truth = sim.truth.customers
    assert len(sim.customers) == n == len(truth)
    counts = sim.transactions["customer_id"].value_counts().reindex(truth["customer_id"])
    assert (counts.to_numpy() == truth["frequency"].to_numpy() + 1).all()
    assert (sim.transactions["timestamp"] < sim.truth.observation_end).all()
    assert (sim.interactions["timestamp"] < sim.truth.observation_end).all()
    assert (truth["alive"] == truth["dropout_at"].isna()).all()


def test_outputs_are_canonical_for_the_validators(data: SimulatedData) -> None:
    from crmanalytics.schema import (
        validate_customers,
        validate_interactions,
        validate_transactions,
    )

    for frame, validate in (
        (data.transactions, validate_transactions),
        (data.interactions, validate_interactions),
        (data.customers, validate_customers),
    ):
        pd.testing.assert_frame_equal(validate(frame), frame)
