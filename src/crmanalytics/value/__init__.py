"""Customer value: BTYD summaries, the BG/NBD and Gamma-Gamma models, and CLV.

Build a per-customer summary from transactions with :func:`customer_summary`, fit
:class:`BetaGeoModel` (how many purchases, who is still alive) and
:class:`GammaGammaModel` (spend per purchase) on it, and combine them with
:func:`customer_lifetime_value`.

Examples
--------
>>> from crmanalytics.datasets import load_cdnow
>>> from crmanalytics.value import BetaGeoModel, customer_summary
>>> summary = customer_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
>>> model = BetaGeoModel().fit(summary)
>>> round(model.log_likelihood_, 1)
-9582.4
"""

from crmanalytics.value._base import ModelBase
from crmanalytics.value._protocols import PurchaseModel, SpendModel
from crmanalytics.value.attributes import add_customer_attributes
from crmanalytics.value.bgbb import BetaGeoBetaBinomModel, BetaGeoBetaBinomParams, discrete_summary
from crmanalytics.value.bgnbd import BetaGeoModel, BetaGeoParams
from crmanalytics.value.clv import clv_by_period, customer_lifetime_value
from crmanalytics.value.evaluation import (
    HoldoutEvaluation,
    compare_models,
    evaluate_holdout,
    tracking,
)
from crmanalytics.value.gamma_gamma import GammaGammaModel, GammaGammaParams
from crmanalytics.value.mbgnbd import ModifiedBetaGeoModel, ModifiedBetaGeoParams
from crmanalytics.value.pareto_nbd import ParetoNBDModel, ParetoNBDParams
from crmanalytics.value.sbg import ShiftedBetaGeoModel, ShiftedBetaGeoParams, subscription_summary
from crmanalytics.value.summary import customer_summary

__all__ = [
    "BetaGeoBetaBinomModel",
    "BetaGeoBetaBinomParams",
    "BetaGeoModel",
    "BetaGeoParams",
    "GammaGammaModel",
    "GammaGammaParams",
    "HoldoutEvaluation",
    "ModelBase",
    "ModifiedBetaGeoModel",
    "ModifiedBetaGeoParams",
    "ParetoNBDModel",
    "ParetoNBDParams",
    "PurchaseModel",
    "ShiftedBetaGeoModel",
    "ShiftedBetaGeoParams",
    "SpendModel",
    "add_customer_attributes",
    "clv_by_period",
    "compare_models",
    "customer_lifetime_value",
    "customer_summary",
    "discrete_summary",
    "evaluate_holdout",
    "subscription_summary",
    "tracking",
]
