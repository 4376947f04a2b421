"""Data sets: the CDNOW sample, and simulated customer bases with planted truth.

Examples
--------
>>> from crmanalytics.datasets import load_cdnow
>>> len(load_cdnow())
6919
"""

from crmanalytics.datasets._cdnow import load_cdnow

__all__ = ["load_cdnow"]
