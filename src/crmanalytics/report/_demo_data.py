"""The data behind ``crmanalytics report --demo``: CDNOW plus simulated interactions."""

from __future__ import annotations

from crmanalytics.datasets import load_cdnow, simulate
from crmanalytics.report._build import ReportInputs, prepare_inputs

DEMO_SEED = 2005


def demo_inputs() -> ReportInputs:
    """CDNOW purchases, with NPS answers, complaints and campaigns simulated for its customers.

    The interactions come from :func:`crmanalytics.datasets.simulate` run over the same
    window and the same number of customers (ids 1..2357), so every section of the report
    has something to show. CDNOW records no products, so the A-then-B section explains
    that it needs a ``product_id`` column.
    """
    tx = load_cdnow()
    n_customers = int(tx["customer_id"].nunique())
    simulated = simulate(n_customers, seed=DEMO_SEED, start="1997-01-01", duration_days=546.0)
    # simulate() numbers its customers 1..n, as CDNOW does, so the ids line up
    interactions = simulated.interactions
    return prepare_inputs(
        tx,
        interactions=interactions,
        title="crmanalytics demo report",
        source="CDNOW sample (Fader, Hardie & Lee 2005) with simulated interactions",
    )
