"""revenue_bridge against a brute-force pandas computation written here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from backends import BACKENDS, convert, to_pandas
from hypothesis import given, settings
from hypothesis import strategies as st
from sales.sales_data import FREQ, histories

from crmanalytics.sales import revenue_bridge


def reference(t: pd.DataFrame, period: str, by: str | None = None) -> pd.DataFrame:
    """Loop over groups, periods and customers, straight from the definitions."""
    t = t.copy()
    t["_p"] = t["timestamp"].dt.to_period(FREQ[period])
    periods = pd.period_range(t["_p"].min(), t["_p"].max(), freq=FREQ[period])
    rows = []
    for g in [None] if by is None else sorted(t[by].unique()):
        part = t if g is None else t[t[by] == g]
        spend = part.groupby(["customer_id", "_p"])["amount"].sum().to_dict()
        active = {p: {c for (c, q) in spend if q == p} for p in periods}
        for i, p in enumerate(periods):
            before = set().union(*(active[q] for q in periods[:i])) if i else set()
            prev = active[periods[i - 1]] if i else set()
            row = {"period": p.start_time, "new": 0.0, "retained": 0.0, "reactivated": 0.0}
            counts = {"new": 0, "retained": 0, "reactivated": 0}
            for c in active[p]:
                kind = "new" if c not in before else "retained" if c in prev else "reactivated"
                row[kind] += spend[(c, p)]
                counts[kind] += 1
            gone = prev - active[p]
            row["lost"] = sum(spend[(c, periods[i - 1])] for c in gone)
            row["revenue"] = sum(spend[(c, p)] for c in active[p])
            row["revenue_previous"] = sum(spend[(c, periods[i - 1])] for c in prev) if i else np.nan
            row.update({f"{k}_customers": v for k, v in counts.items()})
            row["lost_customers"] = len(gone)
            row["customers"] = len(active[p])
            if by is not None:
                row[by] = g
            rows.append(row)
    return pd.DataFrame(rows)


def check(result: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert len(result) == len(expected)
    assert (result["period"].to_numpy() == expected["period"].to_numpy()).all()
    for column in expected.columns.drop("period"):
        if not pd.api.types.is_numeric_dtype(expected[column]):
            assert result[column].tolist() == expected[column].tolist()
        else:
            np.testing.assert_allclose(
                result[column].to_numpy(float),
                expected[column].to_numpy(float),
                rtol=1e-12,
                atol=1e-9,
                err_msg=column,
            )


@pytest.mark.parametrize("period", ["W", "M", "Q"])
def test_matches_brute_force(transactions, period):
    check(revenue_bridge(transactions, period=period), reference(transactions, period))


def test_by_group_matches_brute_force(transactions):
    result = revenue_bridge(transactions, by="channel")
    check(result, reference(transactions, "M", "channel"))


@settings(max_examples=25)
@given(histories(), st.sampled_from(["W", "M"]))
def test_adds_up_exactly(t, period):
    """new + retained + reactivated == revenue, and the waterfall closes."""
    b = revenue_bridge(t, period=period)
    # integer amounts: the sums are exact, so equality is exact
    assert (b["new"] + b["retained"] + b["reactivated"] == b["revenue"]).all()
    later = b.iloc[1:]
    closed = (
        later["revenue_previous"]
        - later["lost"]
        + later["new"]
        + later["reactivated"]
        + later["retained_change"]
    )
    np.testing.assert_allclose(closed, later["revenue"], atol=1e-9)
    check(b, reference(t, period))


def test_first_period_is_all_new(transactions):
    b = revenue_bridge(transactions)
    assert b["new"][0] == b["revenue"][0]
    assert b["lost"][0] == 0.0
    assert np.isnan(b["revenue_previous"][0])


def test_columns_mapping_and_no_mutation(transactions):
    raw = transactions.rename(columns={"customer_id": "client", "timestamp": "at"})
    before = raw.copy()
    b = revenue_bridge(raw, columns={"customer_id": "client", "timestamp": "at"})
    pd.testing.assert_frame_equal(raw, before)
    check(b, reference(transactions, "M"))


@pytest.mark.parity
def test_backend_parity(transactions):
    t = transactions.copy()
    t["channel"] = t["channel"].astype(object)
    t.loc[t.index[::11], "channel"] = None
    want = revenue_bridge(t, by="channel").fillna({"channel": "∅"})
    want = want.sort_values(["channel", "period"]).reset_index(drop=True)
    # retained_change is a difference of engine sums (retained - (previous - lost)):
    # where it is 0, engines that add in another order leave a rounding residue, so
    # values are compared to 1e-9 of the table's revenue scale as well as relatively
    scale = 1e-9 * float(np.nanmax(np.abs(want["revenue"].to_numpy(float))))
    for backend in BACKENDS:
        got = to_pandas(revenue_bridge(convert(t, backend), by="channel")).fillna({"channel": "∅"})
        got = got.sort_values(["channel", "period"]).reset_index(drop=True)
        assert got["channel"].astype(str).tolist() == want["channel"].astype(str).tolist()
        for column in want.columns.drop(["channel", "period"]):
            np.testing.assert_allclose(
                got[column].to_numpy(float),
                want[column].to_numpy(float),
                rtol=1e-9,
                atol=scale,
                err_msg=f"{backend} {column}",
            )
