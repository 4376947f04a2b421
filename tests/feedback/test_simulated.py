"""Recovery of planted truths from crmanalytics.datasets.simulate."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from crmanalytics.datasets import simulate
from crmanalytics.feedback import complaint_rates, interaction_summary, nps_by


@pytest.fixture(scope="module")
def sim() -> Any:
    return simulate(3000, seed=7)


def test_nps_by_segment_covers_the_planted_mix(sim: Any) -> None:
    answers = sim.interactions.merge(sim.customers[["customer_id", "segment"]], on="customer_id")
    table = nps_by(answers, by="segment", method="adjusted-wald", confidence=0.999)
    assert sorted(table["segment"]) == sorted(sim.truth.nps_mix)
    for row in table.itertuples(index=False):
        mix = sim.truth.nps_mix[row.segment]
        planted = 100 * (mix.promoter - mix.detractor)
        assert row.nps_low <= planted <= row.nps_high, (row.segment, planted, row.nps)
    # Segments were planted far apart (gold 50, silver 15, bronze -15): the order shows.
    by_segment = dict(zip(table["segment"], table["nps"], strict=True))
    assert by_segment["gold"] > by_segment["silver"] > by_segment["bronze"]
    assert table["n"].sum() == (sim.interactions["kind"] == "nps").sum()


def test_complaints_match_the_planted_complainers(sim: Any) -> None:
    rates = complaint_rates(sim.interactions)
    complainers = set(rates.loc[rates["complaints"] > 0, "customer_id"])
    truth = sim.truth.customers
    assert complainers == set(truth.loc[truth["complained"], "customer_id"])


def test_summary_runs_on_simulated_data(sim: Any) -> None:
    summary = interaction_summary(sim.interactions)
    counts = summary.counts.groupby("kind")["interactions"].sum()
    pd.testing.assert_series_equal(
        counts.sort_index(),
        sim.interactions["kind"].value_counts().sort_index().rename("interactions"),
        check_names=False,
        check_dtype=False,
    )
    rates = summary.campaigns["response_rate"]
    assert ((rates >= 0) & (rates <= 1)).all()
