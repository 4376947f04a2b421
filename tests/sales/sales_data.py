"""Data for the sales tests: random histories and a hypothesis strategy."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st

START = pd.Timestamp("2023-01-01")
#: pandas Period frequencies of the library's period codes (weeks end on Sunday).
FREQ = {"D": "D", "W": "W-SUN", "M": "M", "Q": "Q", "Y": "Y"}


def random_transactions(
    seed: int, n_customers: int = 30, n_rows: int = 250, days: int = 500
) -> pd.DataFrame:
    """Random canonical transactions with returns, order ids, quantities and channels."""
    rng = np.random.default_rng(seed)
    customer = rng.integers(0, n_customers, n_rows)
    offset = rng.integers(0, days, n_rows)
    seconds = rng.integers(0, 86_400, n_rows)
    amount = np.round(rng.gamma(2.0, 20.0, n_rows), 2)
    returned = rng.uniform(size=n_rows) < 0.08
    amount[returned] = -np.round(amount[returned] / 2, 2)
    quantity = rng.integers(1, 4, n_rows).astype(float)
    quantity[returned] = -1.0
    return pd.DataFrame(
        {
            "customer_id": [f"c{c:03d}" for c in customer],
            "timestamp": START
            + pd.to_timedelta(offset, unit="D")
            + pd.to_timedelta(seconds, unit="s"),
            "amount": amount,
            "transaction_id": [f"o{c}-{d // 3}" for c, d in zip(customer, offset, strict=True)],
            "quantity": quantity,
            "channel": rng.choice(["web", "store", "app"], n_rows),
            "product_id": rng.choice([f"P{i}" for i in range(8)], n_rows),
        }
    )


@st.composite
def histories(draw: st.DrawFn, max_days: int = 800, with_ids: bool | None = None) -> pd.DataFrame:
    """Small histories: integer amounts (exact sums), returns, optional order ids."""
    n = draw(st.integers(1, 30))
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(0, 5),
                st.integers(0, max_days),
                st.integers(-40, 120),
                st.integers(0, 3),
                st.sampled_from(["web", "store"]),
            ),
            min_size=n,
            max_size=n,
        )
    )
    frame = pd.DataFrame(rows, columns=["customer_id", "day", "amount", "order", "channel"])
    out = pd.DataFrame(
        {
            "customer_id": frame["customer_id"],
            "timestamp": START + pd.to_timedelta(frame["day"], unit="D"),
            "amount": frame["amount"].astype(float),
            "channel": frame["channel"],
        }
    )
    ids = draw(st.booleans()) if with_ids is None else with_ids
    if ids:
        out["transaction_id"] = [
            f"{c}-{d}-{o}"
            for c, d, o in frame[["customer_id", "day", "order"]].itertuples(index=False)
        ]
    return out
