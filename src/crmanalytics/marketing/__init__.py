"""Marketing analytics: campaigns, uplift against a control group, acquisition, funnels.

* :func:`campaign_performance` -- reach, response, conversion, revenue and return per
  campaign;
* :func:`campaign_uplift` -- the reached against a held-out control group: the
  campaign's causal effect on conversion and revenue per customer;
* :func:`acquisition_summary` -- new customers per acquisition channel and period,
  their first order, repeat buying, predicted lifetime value and its ratio to the
  acquisition cost;
* :func:`funnel` -- customers reaching each step of a funnel in order.

Every function takes canonical tables in any supported backend (with ``columns=`` to
map your names) and returns the caller's frame type.

Examples
--------
>>> from crmanalytics.datasets import simulate
>>> from crmanalytics.marketing import campaign_performance
>>> sim = simulate(500, seed=1)
>>> table = campaign_performance(sim.interactions, sim.transactions)
>>> table["campaign_id"].tolist()
['C01', 'C02', 'C03', 'C04', 'C05', 'C06']
"""

from crmanalytics.marketing.acquisition import acquisition_summary
from crmanalytics.marketing.campaigns import campaign_performance
from crmanalytics.marketing.funnels import funnel
from crmanalytics.marketing.uplift import UpliftResult, campaign_uplift

__all__ = [
    "UpliftResult",
    "acquisition_summary",
    "campaign_performance",
    "campaign_uplift",
    "funnel",
]
