"""The CDNOW 1/10 sample of Fader, Hardie & Lee (2005)."""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["load_cdnow"]


def load_cdnow() -> pd.DataFrame:
    """Load the CDNOW sample as canonical transactions.

    The 1/10 sample of the CDNOW customer base used by Fader, Hardie & Lee (2005),
    "Counting your customers the easy way: an alternative to the Pareto/NBD model",
    *Marketing Science* 24(2): 2,357 customers who made their first purchase in the
    first quarter of 1997, and all 6,919 of their purchases up to 1998-06-30.

    Returns
    -------
    pandas.DataFrame
        Canonical transactions: ``customer_id`` (int, 1..2357 as in the paper),
        ``timestamp`` (purchase day), ``amount`` (US dollars, float), ``quantity``
        (number of CDs, float) and ``master_id`` (the id in the full CDNOW file,
        an extra column). One row per purchase record, in file order.

    Notes
    -----
    The file ships inside the package (about 190 kB), converted unchanged from the
    ``CDNOW_sample.txt`` that Bruce Hardie published with the paper and that the
    lifetimes package redistributes.

    Examples
    --------
    >>> from crmanalytics.datasets import load_cdnow
    >>> cdnow = load_cdnow()
    >>> cdnow.shape
    (6919, 5)
    >>> int(cdnow["customer_id"].nunique())
    2357
    >>> str(cdnow["timestamp"].min().date()), str(cdnow["timestamp"].max().date())
    ('1997-01-01', '1998-06-30')
    """
    source = resources.files("crmanalytics.datasets") / "data" / "cdnow_sample.csv"
    with resources.as_file(source) as path:
        raw = pd.read_csv(path, dtype={"master_id": "string", "date": "string"})
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"].astype("int64"),
            "timestamp": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "amount": raw["amount"].astype("float64"),
            "quantity": raw["quantity"].astype("float64"),
            "master_id": raw["master_id"],
        }
    )
