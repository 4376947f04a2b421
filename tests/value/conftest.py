"""Fixtures for the value tests: the CDNOW transactions and summary."""

from __future__ import annotations

import pandas as pd
import pytest

from crmanalytics.datasets import load_cdnow
from crmanalytics.value import customer_summary


@pytest.fixture(scope="session")
def cdnow() -> pd.DataFrame:
    return load_cdnow()


@pytest.fixture(scope="session")
def cdnow_weeks(cdnow: pd.DataFrame) -> pd.DataFrame:
    """CDNOW calibration summary in weeks, with holdout columns (paper set-up)."""
    return customer_summary(cdnow, calibration_end="1997-09-30", time_unit="W")
