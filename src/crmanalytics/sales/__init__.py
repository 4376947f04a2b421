"""Sales analytics: period over period, revenue bridges, exact decompositions, product trends.

- :func:`sales_summary`: revenue, orders, customers, returns per period, with the
  previous period and the same period a year earlier;
- :func:`revenue_bridge`: each period's revenue from new, retained and reactivated
  customers, and the revenue lost from customers who stopped;
- :func:`revenue_decomposition`: a change in revenue between two periods split exactly
  into customers, orders per customer and average order value (LMDI);
- :func:`product_trends`: rising and declining products with growth rates, p-values and
  false-discovery-rate control.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.sales import sales_summary
>>> t = pd.DataFrame({"customer_id": [1, 2], "timestamp": ["2024-01-03", "2024-02-09"],
...                   "amount": [10.0, 12.0]})
>>> sales_summary(t)["revenue"].tolist()
[10.0, 12.0]
"""

from crmanalytics.sales.bridge import revenue_bridge
from crmanalytics.sales.decomposition import revenue_decomposition
from crmanalytics.sales.summary import sales_summary
from crmanalytics.sales.trends import product_trends

__all__ = ["product_trends", "revenue_bridge", "revenue_decomposition", "sales_summary"]
