"""Customer segmentation.

RFM tables, scores and named segments, revenue concentration, lifecycle stages and
value tiers.

Examples
--------
>>> from crmanalytics.segmentation import rfm_table
>>> callable(rfm_table)
True
"""

from crmanalytics.segmentation.concentration import Concentration, concentration
from crmanalytics.segmentation.cross_sell import cross_sell_candidates
from crmanalytics.segmentation.lifecycle import LIFECYCLE_STAGES, lifecycle_stages
from crmanalytics.segmentation.preferences import PreferenceSegments, preference_segments
from crmanalytics.segmentation.profile import ProfileResult, profile
from crmanalytics.segmentation.rfm import rfm_scores, rfm_table
from crmanalytics.segmentation.segments import (
    DEFAULT_SEGMENT_MAP,
    ScoreBox,
    SegmentMap,
    describe_segment_map,
    rfm_segments,
    segment_of,
    segment_summary,
)
from crmanalytics.segmentation.tiers import value_tiers

__all__ = [
    "DEFAULT_SEGMENT_MAP",
    "LIFECYCLE_STAGES",
    "Concentration",
    "PreferenceSegments",
    "ProfileResult",
    "ScoreBox",
    "SegmentMap",
    "concentration",
    "cross_sell_candidates",
    "describe_segment_map",
    "lifecycle_stages",
    "preference_segments",
    "profile",
    "rfm_scores",
    "rfm_segments",
    "rfm_table",
    "segment_of",
    "segment_summary",
    "value_tiers",
]
