"""Write the bundled Online Retail sample from data/online_retail.parquet.

    PYTHONPATH=src python tools/make_online_retail_sample.py

Keeps every line of 1,000 customers drawn at random (seed 2011) and every line of the
same share of guest-checkout invoices, so the sample is as messy as the full export
(guest lines, cancellations, zero prices, postage and fee codes). Columns and values
are unchanged; the file is a gzip-compressed CSV (readable without pyarrow).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "data" / "online_retail.parquet"
TARGET = ROOT / "src" / "crmanalytics" / "datasets" / "data" / "online_retail_sample.csv.gz"
N_CUSTOMERS = 1000
SEED = 2011


def main() -> None:
    """Draw the sample and write it."""
    raw = pd.read_parquet(SOURCE)
    rng = np.random.default_rng(SEED)
    ids = np.sort(raw["CustomerID"].dropna().unique())
    chosen = rng.choice(ids, N_CUSTOMERS, replace=False)
    guests = np.sort(raw.loc[raw["CustomerID"].isna(), "InvoiceNo"].unique())
    n_guests = round(len(guests) * N_CUSTOMERS / len(ids))
    guest_invoices = rng.choice(guests, n_guests, replace=False)
    keep = raw["CustomerID"].isin(chosen) | raw["InvoiceNo"].isin(guest_invoices)
    sample = raw.loc[keep]
    sample.to_csv(
        TARGET,
        index=False,
        date_format="%Y-%m-%d %H:%M",
        compression={"method": "gzip", "compresslevel": 9, "mtime": 0},
    )
    print(f"{len(sample):,} lines, {TARGET.stat().st_size / 1e6:.2f} MB -> {TARGET}")


if __name__ == "__main__":
    main()
