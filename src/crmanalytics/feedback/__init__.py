"""Customer feedback: Net Promoter Score with honest uncertainty, and interaction analytics.

Examples
--------
>>> from crmanalytics.feedback import nps
>>> r = nps([10, 9, 8, 6, 10], method="adjusted-wald")
>>> r.score
40.0
"""

from crmanalytics.feedback.interactions import (
    InteractionSummary,
    campaign_response_rates,
    complaint_rates,
    interaction_counts,
    interaction_summary,
)
from crmanalytics.feedback.nps import (
    NPSComparison,
    NPSResult,
    compare_nps,
    nps,
    required_sample_size,
)
from crmanalytics.feedback.nps_tables import nps_by, nps_trend

__all__ = [
    "InteractionSummary",
    "NPSComparison",
    "NPSResult",
    "campaign_response_rates",
    "compare_nps",
    "complaint_rates",
    "interaction_counts",
    "interaction_summary",
    "nps",
    "nps_by",
    "nps_trend",
    "required_sample_size",
]
