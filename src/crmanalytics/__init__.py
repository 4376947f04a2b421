"""crmanalytics: customer analytics over any dataframe.

RFM segments and revenue concentration, BG/NBD + Gamma-Gamma customer lifetime value,
churn probability and cohort retention, A-then-B sequential rules and NPS with honest
confidence intervals, all over one canonical schema of customers, transactions and
interactions. Pass pandas, Polars, PyArrow, DuckDB or PySpark; get the same type back.

Examples
--------
>>> import crmanalytics
>>> crmanalytics.__version__
'0.1.0.dev0'
"""

from crmanalytics._results import ConfidenceInterval
from crmanalytics._version import __version__

__all__ = ["ConfidenceInterval", "__version__"]
