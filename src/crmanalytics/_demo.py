"""The text of ``python -m crmanalytics demo``: a tour of the bundled CDNOW data."""

from __future__ import annotations

import warnings

import numpy as np

from crmanalytics.datasets import load_cdnow
from crmanalytics.errors import DataQualityWarning
from crmanalytics.schema import validate_transactions
from crmanalytics.segmentation import rfm_scores, rfm_segments, rfm_table, segment_summary
from crmanalytics.value import (
    BetaGeoModel,
    GammaGammaModel,
    customer_lifetime_value,
    customer_summary,
)


def demo_text() -> str:
    """Summarise the CDNOW sample: RFM segments, BG/NBD fit and lifetime value.

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
        "",
        "RFM segments (scores 1-5 by quantile, standard segment map):",
    ]
    summary = segment_summary(rfm_segments(rfm_scores(rfm_table(tx))))
    for row in summary.sort_values("revenue", ascending=False).itertuples():
        lines.append(
            f"  {row.segment:<20} {row.customers:>5} customers  "
            f"{row.customer_share:>6.1%} of customers  {row.revenue_share:>6.1%} of revenue"
        )
    btyd = customer_summary(tx, calibration_end="1997-09-30", time_unit="W")
    model = BetaGeoModel().fit(btyd)
    r, alpha, a, b = model.params_
    lines += [
        "",
        "BG/NBD fitted on purchases to 1997-09-30 (weeks), as in Fader, Hardie & Lee (2005):",
        f"  r={r:.3f} alpha={alpha:.3f} a={a:.3f} b={b:.3f} "
        f"log-likelihood={model.log_likelihood_:.1f}",
        f"  expected holdout purchases {model.expected_purchases(btyd, 39.0).sum():,.0f}, "
        f"actual {btyd['frequency_holdout'].sum():,.0f}",
    ]
    full = customer_summary(tx, time_unit="W")
    model = BetaGeoModel().fit(full)
    repeat = full[full["frequency"] > 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        spend = GammaGammaModel().fit(repeat)
    clv = customer_lifetime_value(full, model, spend, periods=12, period_length=30.0 / 7.0)
    p_alive = model.probability_alive(full)
    lines += [
        "",
        "Value at 1998-06-30 (BG/NBD + Gamma-Gamma, 12 months, 1% monthly discount):",
        f"  mean P(alive) {np.mean(p_alive):.1%}; total expected 12-month value "
        f"${clv['clv'].sum():,.0f}; top 10% of customers hold "
        f"{np.sort(clv['clv'].to_numpy())[-len(clv) // 10 :].sum() / clv['clv'].sum():.1%}",
        "",
        "Next: python -m crmanalytics report --demo --out report_out",
    ]
    return "\n".join(lines) + "\n"
