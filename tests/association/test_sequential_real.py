"""sequential_rules on the real Online Retail data equals a DuckDB SQL self-join."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from crmanalytics.association import sequential_rules

DUCKDB_RULES = """
WITH ev AS (
    SELECT DISTINCT customer_id AS c, product_id AS i, CAST("timestamp" AS DATE) AS d FROM tx
),
n AS (SELECT count(DISTINCT customer_id) AS n FROM tx),
buyers AS (SELECT i, count(DISTINCT c) AS ni FROM ev GROUP BY i),
kept AS (SELECT ev.* FROM ev JOIN buyers USING (i), n WHERE ni >= $support * n),
shortest AS (
    SELECT a.c, a.i AS ia, b.i AS ib, min(b.d - a.d) AS lag
    FROM kept a JOIN kept b
      ON a.c = b.c AND a.i <> b.i AND b.d - a.d BETWEEN $min_gap AND $max_gap
    GROUP BY ALL
),
rules AS (
    SELECT ia, ib, count(*) AS customers,
           quantile_cont(lag, 0.5) AS median_lag_days, avg(lag) AS mean_lag_days
    FROM shortest GROUP BY ia, ib
)
SELECT ia AS antecedent, ib AS consequent, customers,
       customers / n AS support,
       customers / ba.ni AS confidence,
       customers / ba.ni / (bb.ni / n) AS lift,
       customers / n - (ba.ni / n) * (bb.ni / n) AS leverage,
       CASE WHEN customers = ba.ni THEN 'inf'::DOUBLE
            ELSE (1 - bb.ni / n) / (1 - customers / ba.ni) END AS conviction,
       median_lag_days, mean_lag_days
FROM rules JOIN buyers ba ON ba.i = ia JOIN buyers bb ON bb.i = ib, n
WHERE customers / n >= $support
"""


def duckdb_rules(tx: pd.DataFrame, support: float, min_gap: int, max_gap: int) -> pd.DataFrame:
    con = duckdb.connect()
    con.register("tx", tx)
    params = {"support": support, "min_gap": min_gap, "max_gap": max_gap}
    return con.execute(DUCKDB_RULES, params).df()


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.sort_values(["antecedent", "consequent"]).reset_index(drop=True)
    out["antecedent"] = out["antecedent"].astype(object)
    out["consequent"] = out["consequent"].astype(object)
    out["customers"] = out["customers"].astype("int64")
    return out


@pytest.mark.slow
@pytest.mark.parametrize(("support", "min_gap", "max_gap"), [(0.02, 1, 90), (0.05, 0, 30)])
def test_online_retail_equals_duckdb_self_join(
    online_retail_tx: pd.DataFrame, support: float, min_gap: int, max_gap: int
) -> None:
    got = sequential_rules(
        online_retail_tx,
        min_support=support,
        min_gap=pd.Timedelta(days=min_gap),
        max_gap=pd.Timedelta(days=max_gap),
    )
    want = duckdb_rules(online_retail_tx, support, min_gap, max_gap)
    assert len(want) > 20
    pd.testing.assert_frame_equal(
        canonical(got), canonical(want[got.columns]), check_dtype=False, rtol=1e-12
    )
