"""The text of ``python -m crmanalytics demo``: a tour of the bundled CDNOW data."""

from __future__ import annotations

from crmanalytics.datasets import load_cdnow
from crmanalytics.schema import validate_transactions


def demo_text() -> str:
    """Summarise the CDNOW sample.

    Returns
    -------
    str
        A short plain-text report.

    Examples
    --------
    >>> from crmanalytics._demo import demo_text
    >>> print(demo_text().splitlines()[0])
    crmanalytics demo: the CDNOW sample (Fader, Hardie & Lee 2005)
    """
    tx = validate_transactions(load_cdnow())
    lines = [
        "crmanalytics demo: the CDNOW sample (Fader, Hardie & Lee 2005)",
        f"  {tx['customer_id'].nunique():,} customers, {len(tx):,} purchases, "
        f"${tx['amount'].sum():,.2f} revenue, "
        f"{tx['timestamp'].min():%Y-%m-%d} to {tx['timestamp'].max():%Y-%m-%d}",
    ]
    return "\n".join(lines) + "\n"
