"""Association analyses: sequential (A, then B) rules, same-basket rules, recommendations.

Examples
--------
>>> from crmanalytics.association import sequential_rules
>>> sequential_rules.__name__
'sequential_rules'
"""

from crmanalytics.association.basket import basket_rules
from crmanalytics.association.recommend import next_best_items
from crmanalytics.association.sequential import sequential_rules

__all__ = ["basket_rules", "next_best_items", "sequential_rules"]
