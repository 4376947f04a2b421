"""cohort_retention: exact hand-made matrix, independent pandas oracle, backends."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from backends import convert, to_pandas

from crmanalytics.churn import cohort_retention
from crmanalytics.errors import SchemaError


def tx(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [c for c, _ in rows],
            "timestamp": pd.to_datetime([t for _, t in rows], format="ISO8601"),
            "amount": [1.0] * len(rows),
        }
    )


HAND = tx(
    [
        # January cohort: a, b, c
        ("a", "2024-01-03"),
        ("a", "2024-01-30"),  # same month again: still period 0
        ("a", "2024-02-14"),
        ("a", "2024-04-01"),
        ("b", "2024-01-31 23:59"),
        ("b", "2024-03-01 00:00"),
        ("c", "2024-01-15"),
        # February cohort: d, e
        ("d", "2024-02-29"),
        ("d", "2024-03-02"),
        ("e", "2024-02-01"),
        # March cohort: f
        ("f", "2024-03-20"),
        ("f", "2024-04-20"),
    ]
)


def test_hand_made_monthly_matrix() -> None:
    got = cohort_retention(HAND)
    assert list(got.columns) == ["cohort", "cohort_size", "0", "1", "2", "3"]
    assert got["cohort"].tolist() == list(
        pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"])
    )
    assert got["cohort_size"].tolist() == [3, 2, 1]
    # Jan: Feb a; Mar b; Apr a.  Feb: Mar d; Apr none.  Mar: Apr f.  Last month: April.
    expected = np.array(
        [
            [1.0, 1 / 3, 1 / 3, 1 / 3],
            [1.0, 0.5, 0.0, np.nan],
            [1.0, 1.0, np.nan, np.nan],
        ]
    )
    np.testing.assert_allclose(got[["0", "1", "2", "3"]].to_numpy(dtype=float), expected)


def test_hand_made_quarterly_and_yearly() -> None:
    q = cohort_retention(HAND, period="Q")
    # Q1 cohort is everyone (6); Q2: a and f buy in April.
    assert q["cohort_size"].tolist() == [6]
    np.testing.assert_allclose(q[["0", "1"]].to_numpy(dtype=float), [[1.0, 2 / 6]])
    y = cohort_retention(HAND, period="Y")
    assert list(y.columns) == ["cohort", "cohort_size", "0"]
    assert y["cohort"].tolist() == [pd.Timestamp("2024-01-01")]


def test_weeks_start_on_monday() -> None:
    # 2024-01-07 is a Sunday, 2024-01-08 a Monday.
    got = cohort_retention(
        tx([("a", "2024-01-07"), ("a", "2024-01-08"), ("b", "2024-01-08")]), period="W"
    )
    assert got["cohort"].tolist() == list(pd.to_datetime(["2024-01-01", "2024-01-08"]))
    assert got["cohort_size"].tolist() == [1, 1]
    np.testing.assert_allclose(got[["0", "1"]].to_numpy(dtype=float), [[1.0, 1.0], [1.0, np.nan]])


def pandas_oracle(t: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Independent computation with pandas Periods."""
    p = t["timestamp"].dt.to_period(freq)
    first = p.groupby(t["customer_id"]).transform("min")
    offset = (p - first).apply(lambda d: d.n)
    df = pd.DataFrame({"c": t["customer_id"], "cohort": first, "k": offset}).drop_duplicates()
    sizes = df[df["k"] == 0].groupby("cohort")["c"].nunique()
    counts = df.pivot_table(
        index="cohort", columns="k", values="c", aggfunc="nunique", fill_value=0
    )
    share = counts.div(sizes, axis=0)
    last = p.max()
    for cohort in share.index:
        for k in share.columns:
            if (cohort + int(k)) > last:
                share.loc[cohort, k] = np.nan
    return share.sort_index()


@pytest.mark.parametrize(("period", "freq"), [("W", "W-SUN"), ("M", "M"), ("Q", "Q")])
@pytest.mark.parametrize("seed", [1, 2])
def test_matches_pandas_periods(make_transactions, period: str, freq: str, seed: int) -> None:
    t = make_transactions(seed, n_customers=60, n_rows=400)
    got = cohort_retention(t, period=period)
    expected = pandas_oracle(t, freq)
    assert got["cohort_size"].tolist() == (
        t.assign(p=t["timestamp"].dt.to_period(freq))
        .groupby("customer_id")["p"]
        .min()
        .value_counts()
        .sort_index()
        .tolist()
    )
    assert got["cohort"].tolist() == [c.start_time for c in expected.index]
    np.testing.assert_allclose(
        got[[str(k) for k in expected.columns]].to_numpy(dtype=float),
        expected.to_numpy(dtype=float),
    )


@pytest.mark.parametrize("period", ["D", "M"])
def test_backend_parity(backend: str, make_transactions, period: str) -> None:
    t = make_transactions(5)
    before = t.copy()
    expected = cohort_retention(t, period=period)
    native = convert(t, backend)
    got = to_pandas(cohort_retention(native, period=period))
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9)
    pd.testing.assert_frame_equal(t, before)  # input untouched


def test_lazy_in_lazy_out() -> None:
    import polars as pl

    out = cohort_retention(pl.from_pandas(HAND).lazy())
    assert isinstance(out, pl.LazyFrame)


def test_bad_input_names_column_and_rule() -> None:
    with pytest.raises(SchemaError, match="timestamp"):
        cohort_retention(HAND.drop(columns="timestamp"))
    with pytest.raises(ValueError, match="period must be one of"):
        cohort_retention(HAND, period="month")  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", ["pandas", "polars", "polars-lazy", "pyarrow"])
def test_time_zone_aware_timestamps_use_wall_clock_days(backend: str) -> None:
    # DuckDB's TIMESTAMPTZ keeps the instant but not the zone, so it reads days in the
    # session's zone (UTC here): a known limitation of the shared epoch_day helper.
    t = tx([("a", "2024-01-31 23:30"), ("a", "2024-02-01 00:30")])
    t["timestamp"] = t["timestamp"].dt.tz_localize("Europe/Berlin")
    got = to_pandas(cohort_retention(convert(t, backend)))
    assert got["cohort_size"].tolist() == [1]
    assert got[["0", "1"]].to_numpy().tolist() == [[1.0, 1.0]]


def test_empty_transactions_give_empty_results() -> None:
    from crmanalytics.churn import churn_dataset, churn_labels, churn_rate

    empty = tx([]).astype({"customer_id": "int64"})
    assert len(cohort_retention(empty)) == 0
    assert len(churn_rate(empty)) == 0
    assert len(churn_labels(empty, cutoff="2024-01-01", horizon=5)) == 0
    assert len(churn_dataset(empty, cutoff="2024-01-01", horizon=5, p_alive=False)) == 0
