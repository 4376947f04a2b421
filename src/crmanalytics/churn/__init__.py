"""Churn: who is leaving, how fast customers leave, and leakage-free training data.

Inactivity-based churn labels and rates, cohort retention tables, churn data sets for
early-warning models whose features only use events on or before a cutoff, and an
evaluation of churn scores (AUC, Brier score, calibration table).

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.churn import churn_labels
>>> t = pd.DataFrame({
...     "customer_id": [1, 1, 2, 3],
...     "timestamp": pd.to_datetime(["2024-01-05", "2024-02-10", "2024-01-20", "2024-03-20"]),
...     "amount": [10.0, 12.0, 8.0, 4.0],
... })
>>> churn_labels(t, cutoff="2024-01-31", horizon=30)
   customer_id  churned
0            1    False
1            2     True
"""

from crmanalytics.churn.dataset import churn_dataset
from crmanalytics.churn.drivers import ChurnDrivers, churn_drivers
from crmanalytics.churn.evaluate import ChurnEvaluation, evaluate_churn
from crmanalytics.churn.labels import churn_labels
from crmanalytics.churn.probability import churn_probability
from crmanalytics.churn.rates import churn_rate
from crmanalytics.churn.retention import cohort_retention

__all__ = [
    "ChurnDrivers",
    "ChurnEvaluation",
    "churn_dataset",
    "churn_drivers",
    "churn_labels",
    "churn_probability",
    "churn_rate",
    "cohort_retention",
    "evaluate_churn",
]
