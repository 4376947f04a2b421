"""Random canonical tables and the hand Wilson formula for the marketing and churn tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

START = pd.Timestamp("2024-01-01")


def random_tables(seed: int, n_customers: int = 30) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Campaign sends (with repeated sends), responses, page views, carts, purchases."""
    rng = np.random.default_rng(seed)
    rows = []
    for campaign in ("A", "B", "C"):
        base = START + pd.Timedelta(days=int(rng.integers(0, 60)))
        for c in rng.choice(n_customers, size=rng.integers(1, n_customers), replace=False):
            for _ in range(int(rng.integers(1, 3))):
                when = base + pd.Timedelta(hours=int(rng.integers(0, 96)))
                rows.append((int(c), when, "campaign_sent", campaign))
            if rng.uniform() < 0.3:
                rows.append((int(c), base + pd.Timedelta(days=5), "campaign_response", campaign))
    for _ in range(4 * n_customers):
        c = int(rng.integers(0, n_customers))
        when = START + pd.Timedelta(minutes=int(rng.integers(0, 120 * 24 * 60)))
        rows.append((c, when, str(rng.choice(["page_view", "cart", "nps"])), None))
    inter = pd.DataFrame(rows, columns=["customer_id", "timestamp", "kind", "campaign_id"])
    inter["channel"] = rng.choice(["web", "app"], len(inter))
    n_tx = 6 * n_customers
    tx = pd.DataFrame(
        {
            "customer_id": rng.integers(0, n_customers, n_tx),
            "timestamp": START + pd.to_timedelta(rng.integers(0, 150 * 24 * 60, n_tx), unit="min"),
            "amount": np.round(rng.normal(30.0, 25.0, n_tx), 2),
            "channel": rng.choice(["web", "store"], n_tx),
            "coupon_code": np.where(rng.uniform(size=n_tx) < 0.2, "SAVE", None),
        }
    )
    return inter, tx


def wilson(x: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval by its textbook formula (NaN for n = 0)."""
    if n == 0:
        return np.nan, np.nan
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = x / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return max(centre - half, 0.0), min(centre + half, 1.0)
