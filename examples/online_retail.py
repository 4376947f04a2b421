"""Map the UCI Online Retail export onto the canonical schema and pseudonymise it.

Run from the repository root (the data file is in the repository, not in the wheel)::

    python examples/online_retail.py

Data: Chen, Sain & Guo (2012), UCI Machine Learning Repository, CC BY 4.0
(see data/README.md).
"""

from __future__ import annotations

import secrets
import warnings
from pathlib import Path

import pandas as pd

from crmanalytics.datasets import map_online_retail
from crmanalytics.errors import DataQualityWarning, SchemaError
from crmanalytics.privacy import pseudonymize

DATA = Path(__file__).resolve().parent.parent / "data" / "online_retail.parquet"


def main() -> None:
    raw = pd.read_parquet(DATA)
    print(f"raw export: {len(raw):,} lines, {raw['InvoiceNo'].nunique():,} invoices")

    # By default, lines without a customer are an error that says what to do ...
    try:
        map_online_retail(raw)
    except SchemaError as err:
        print(f"as expected:\n{err}\n")

    # ... so we ask for them to be dropped, and are told how many went.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        transactions = map_online_retail(raw, invalid="drop")
    for warning in caught:
        print(f"warning: {warning.message}")

    products = transactions[transactions["is_product"]]
    returns = transactions[transactions["is_cancellation"]]
    print(f"canonical transactions: {len(transactions):,} lines")
    print(f"customers: {transactions['customer_id'].nunique():,}")
    print(f"revenue net of returns: GBP {transactions['amount'].sum():,.2f}")
    print(f"returns (cancelled lines): {len(returns):,}, GBP {returns['amount'].sum():,.2f}")
    print(f"zero-price lines kept: {(transactions['amount'] == 0).sum():,}")
    print(f"non-product lines (postage, fees, ...): {(~transactions['is_product']).sum():,}")
    print(f"distinct products: {products['product_id'].nunique():,}")

    # Share the data without the customer numbers: the same key keeps tables joinable.
    key = secrets.token_hex(32)
    shared = pseudonymize(transactions, "customer_id", key=key)
    print(shared[["customer_id", "timestamp", "amount", "product_id"]].head())


if __name__ == "__main__":
    main()
