"""Figures for crmanalytics results (the ``plot`` extra: matplotlib).

Every function takes a result of an analysis and returns the matplotlib ``Axes`` it drew
on; pass ``ax=`` to draw into a figure of your own. matplotlib is imported only when a
plot is drawn, so importing this package costs nothing.

- ``plot_segments``: segment sizes next to their revenue shares
- ``plot_lorenz``: the Lorenz curve of revenue concentration
- ``plot_frequency_recency``: expected purchases over a frequency/recency grid (BG/NBD)
- ``plot_probability_alive``: P(alive) over a frequency/recency grid (BG/NBD)
- ``plot_calibration_holdout``: predicted vs actual holdout purchases
- ``plot_cohort_retention``: the cohort retention heatmap
- ``plot_churn_rate``: churn rate by period
- ``plot_calibration``: predicted churn against observed churn, by bin
- ``plot_sequential_rules``: the strongest A-then-B rules
- ``plot_rule_paths``: the strongest A-then-B paths as a graph
- ``plot_nps_trend``: NPS by period with its confidence band
- ``plot_nps_by``: NPS by group with confidence intervals
- ``plot_profile``: a customer profile metric by group, with intervals
- ``plot_segment_heatmap``: preference segments by category (lift or share)
- ``plot_sales_summary``: revenue (or orders, customers ...) by period, partial periods marked
- ``plot_revenue_bridge``: waterfall of a period's revenue change (lost, new, reactivated)
- ``plot_revenue_decomposition``: contributions of customers, frequency and order value
- ``plot_product_trends``: growth rates of the fastest rising and declining products

Examples
--------
>>> import crmanalytics.plotting as plotting
>>> "matplotlib" in dir(plotting)
False
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "plot_segments": "segmentation",
    "plot_lorenz": "segmentation",
    "plot_frequency_recency": "value",
    "plot_probability_alive": "value",
    "plot_calibration_holdout": "value",
    "plot_cohort_retention": "churn",
    "plot_churn_rate": "churn",
    "plot_calibration": "churn",
    "plot_sequential_rules": "association",
    "plot_rule_paths": "association",
    "plot_nps_trend": "feedback",
    "plot_nps_by": "feedback",
    "plot_profile": "profiles",
    "plot_segment_heatmap": "profiles",
    "plot_sales_summary": "sales",
    "plot_revenue_bridge": "sales",
    "plot_revenue_decomposition": "sales",
    "plot_product_trends": "sales",
}

__all__ = [  # noqa: RUF022 - grouped by analysis
    "plot_segments",
    "plot_lorenz",
    "plot_frequency_recency",
    "plot_probability_alive",
    "plot_calibration_holdout",
    "plot_cohort_retention",
    "plot_churn_rate",
    "plot_calibration",
    "plot_sequential_rules",
    "plot_rule_paths",
    "plot_nps_trend",
    "plot_nps_by",
    "plot_profile",
    "plot_segment_heatmap",
    "plot_sales_summary",
    "plot_revenue_bridge",
    "plot_revenue_decomposition",
    "plot_product_trends",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        module = importlib.import_module(f"crmanalytics.plotting.{_WHERE[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'crmanalytics.plotting' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
