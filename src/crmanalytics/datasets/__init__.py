"""Data sets: CDNOW, an Online Retail sample, simulated customer bases with planted truth.

Examples
--------
>>> from crmanalytics.datasets import load_cdnow, simulate
>>> len(load_cdnow())
6919
>>> len(simulate(10, seed=0).customers)
10
"""

from crmanalytics.datasets._cdnow import load_cdnow
from crmanalytics.datasets._online_retail import (
    NON_PRODUCT_CODES,
    ONLINE_RETAIL_COLUMNS,
    load_online_retail,
    map_online_retail,
)
from crmanalytics.datasets._plant_preferences import PlantedPreferences
from crmanalytics.datasets._simulate import (
    DEFAULT_NPS_MIX,
    DEFAULT_PLANTED_PAIRS,
    NPSMix,
    PlantedBetaGeo,
    PlantedGammaGamma,
    PlantedPair,
    SimulatedData,
    SimulationTruth,
    simulate,
)

__all__ = [
    "DEFAULT_NPS_MIX",
    "DEFAULT_PLANTED_PAIRS",
    "NON_PRODUCT_CODES",
    "ONLINE_RETAIL_COLUMNS",
    "NPSMix",
    "PlantedBetaGeo",
    "PlantedGammaGamma",
    "PlantedPair",
    "PlantedPreferences",
    "SimulatedData",
    "SimulationTruth",
    "load_cdnow",
    "load_online_retail",
    "map_online_retail",
    "simulate",
]
