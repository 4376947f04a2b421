"""The data behind ``crmanalytics report --demo``: real Online Retail sales, simulated contacts."""

from __future__ import annotations

import numpy as np

from crmanalytics.datasets import (
    NON_PRODUCT_CODES,
    ONLINE_RETAIL_COLUMNS,
    load_online_retail,
    simulate,
)
from crmanalytics.report._build import ReportInputs, prepare_inputs

DEMO_SEED = 2011
#: Postage, fees and adjustments, and gift vouchers: not products.
DEMO_NON_PRODUCTS = (*sorted(NON_PRODUCT_CODES), "gift_*")


def demo_inputs() -> ReportInputs:
    """The bundled Online Retail sample, exactly as exported, with simulated interactions.

    The transactions are real: the 1,000-customer sample of the UCI Online Retail export
    (:func:`crmanalytics.datasets.load_online_retail`), read through the same path as a
    user's CSV (a column mapping, ``amount = quantity * unit_price``, ``invalid="drop"``
    for guest checkouts, non-product codes left out of the rules). The export has no
    interactions, so NPS answers, complaints and campaign contacts are simulated with
    :func:`crmanalytics.datasets.simulate` over the same months and attached to the real
    customer ids in random order; the report says so. The simulated campaigns' hold-out
    groups become ``ReportInputs.campaign_controls`` (for the uplift section).
    """
    raw = load_online_retail()
    ids = np.sort(raw["CustomerID"].dropna().unique())
    first, last = raw["InvoiceDate"].min().normalize(), raw["InvoiceDate"].max()
    days = float((last - first).days + 1)
    simulated = simulate(len(ids), seed=DEMO_SEED, start=first, duration_days=days)
    order = np.random.default_rng(DEMO_SEED).permutation(ids)
    interactions = simulated.interactions.assign(
        customer_id=order[simulated.interactions["customer_id"].to_numpy() - 1]
    )
    inputs = prepare_inputs(
        raw,
        interactions=interactions,
        columns=ONLINE_RETAIL_COLUMNS,
        invalid="drop",
        currency="GBP",
        non_products=DEMO_NON_PRODUCTS,
        title="crmanalytics demo report",
        source=(
            "UCI Online Retail sample (1,000 customers, 2010-12 to 2011-12; Chen, Sain & "
            "Guo 2012, CC BY 4.0) with simulated interactions"
        ),
        notes=[
            "Transactions are real: every line of 1,000 customers of the UCI Online Retail "
            "export (a UK online gift retailer), read exactly as exported with a column "
            "mapping and invalid='drop'. Amounts are in GBP.",
            "Interactions are simulated: the export has none, so NPS answers, complaints "
            "and campaign contacts come from crmanalytics.datasets.simulate over the same "
            "months, attached to the real customer ids at random. The NPS section shows "
            "the method, not this retailer's customers.",
            "Each simulated campaign held a random 20% of its audience out as a control "
            "group. Uplift compares the real purchases of reached and held-out customers, "
            "so no effect is expected here: the contacts never happened.",
        ],
    )
    controls = simulated.truth.campaign_controls
    if controls is not None:
        inputs.campaign_controls = controls.assign(
            customer_id=order[controls["customer_id"].to_numpy() - 1]
        )
    return inputs
