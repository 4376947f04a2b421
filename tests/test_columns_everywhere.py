"""Walk every public function of the library: each one that takes a frame accepts
``columns=`` (keyword-only), and a sample from every package returns the caller's type.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import numpy as np
import pandas as pd
import pytest
from backends import LOCAL_BACKENDS, convert, to_pandas

import crmanalytics

#: Parameter names that carry a frame into a public function.
FRAME_PARAMETERS = {
    "transactions",
    "customers",
    "interactions",
    "summary",
    "frame",
    "table",
    "rules",
    "history",
    "dataset",
    "data",
    "subscriptions",
    "values",
    "scores",
    "segments",
    "evaluation",
    # result frames the plots take
    "rates",
    "retention",
    "trend",
    "bridge",
    "decomposition",
    "trends",
    "performance",
    "funnel",
    "drivers",
}
#: Functions whose frame-looking parameter is not a table of named columns.
EXEMPT = {
    "crmanalytics.feedback.nps",  # loose scores (any sequence), not a table
    "crmanalytics.feedback.compare_nps",
    "crmanalytics.schema.check_table",  # takes columns= already, positional table name
    "crmanalytics.schema.require_columns",  # a column check: names are its argument
    "crmanalytics.value.clv.period_length_in_units",  # a unit helper, no table read
}


def _public_functions():
    names = ["crmanalytics"]
    names += [
        info.name
        for info in pkgutil.walk_packages(crmanalytics.__path__, "crmanalytics.")
        if not any(part.startswith("_") for part in info.name.split(".")[1:])
    ]
    seen = set()
    for module_name in names:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.isfunction(obj) and obj not in seen:
                seen.add(obj)
                yield f"{module_name}.{name}", obj
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if (
                        inspect.isfunction(member)
                        and not attr.startswith("_")
                        and member not in seen
                    ):
                        seen.add(member)
                        yield f"{module_name}.{name}.{attr}", member


def _takes_a_frame(function) -> bool:
    parameters = list(inspect.signature(function).parameters)
    return any(p in FRAME_PARAMETERS for p in parameters)


FUNCTIONS = [(n, f) for n, f in _public_functions() if _takes_a_frame(f) and n not in EXEMPT]


def test_the_walk_finds_the_whole_library():
    found = {n.rsplit(".", 1)[-1] for n, _ in FUNCTIONS}
    for name in (
        "rfm_table",
        "sequential_rules",
        "churn_rate",
        "nps_by",
        "customer_summary",
        "sales_summary",
        "campaign_performance",
        "profile",
        "fit",
    ):
        assert name in found, name
    assert len(FUNCTIONS) > 60


@pytest.mark.parametrize(("name", "function"), FUNCTIONS, ids=[n for n, _ in FUNCTIONS])
def test_every_function_that_takes_a_frame_accepts_columns(name, function):
    parameter = inspect.signature(function).parameters.get("columns")
    assert parameter is not None, f"{name} has no columns= parameter"
    assert parameter.kind in (
        inspect.Parameter.KEYWORD_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    )


# ---- a sample from the packages of this round: renamed columns, caller's type, fresh index --


def _transactions():
    rng = np.random.default_rng(5)
    n = 400
    return pd.DataFrame(
        {
            "customer_id": rng.integers(0, 40, n),
            "timestamp": pd.Timestamp("2023-01-01")
            + pd.to_timedelta(rng.integers(0, 720, n), unit="D"),
            "amount": np.round(rng.gamma(2.0, 20.0, n), 2) + 1.0,
            "product_id": rng.integers(1, 6, n),
            "transaction_id": np.arange(n),
        }
    )


def _interactions():
    rng = np.random.default_rng(6)
    n = 300
    kinds = rng.choice(["campaign_sent", "campaign_response", "page_view", "cart"], n)
    return pd.DataFrame(
        {
            "customer_id": rng.integers(0, 40, n),
            "timestamp": pd.Timestamp("2023-01-01")
            + pd.to_timedelta(rng.integers(0, 700, n), unit="D"),
            "kind": kinds,
            "campaign_id": np.where(
                np.isin(kinds, ["campaign_sent", "campaign_response"]), "C1", None
            ),
        }
    )


RENAME = {"customer_id": "cid", "timestamp": "when", "amount": "spend"}


def _calls():
    from crmanalytics.marketing import campaign_performance, funnel
    from crmanalytics.sales import revenue_bridge, revenue_decomposition, sales_summary
    from crmanalytics.value import customer_summary, discrete_summary

    periods = (("2023-01-01", "2023-12-31"), ("2024-01-01", "2024-12-31"))
    return {
        "customer_summary": lambda tx, ix, **kw: customer_summary(tx, **kw),
        "discrete_summary": lambda tx, ix, **kw: discrete_summary(tx, period="M", **kw),
        "sales_summary": lambda tx, ix, **kw: sales_summary(tx, **kw),
        "revenue_bridge": lambda tx, ix, **kw: revenue_bridge(tx, **kw),
        "revenue_decomposition": lambda tx, ix, **kw: revenue_decomposition(
            tx, periods=periods, **kw
        ),
        "campaign_performance": lambda tx, ix, **kw: campaign_performance(ix, tx, **kw),
        "funnel": lambda tx, ix, **kw: funnel(ix, tx, **kw),
    }


@pytest.mark.parametrize("backend", [b for b in LOCAL_BACKENDS if b != "duckdb"])
@pytest.mark.parametrize("call", list(_calls()))
def test_new_packages_take_renamed_columns_and_return_the_callers_type(call, backend):
    tx = _transactions().rename(columns=RENAME)
    tx.index = pd.RangeIndex(50, 50 + len(tx))
    ix = _interactions().rename(columns=RENAME)
    before = tx.copy()
    native_tx, native_ix = convert(tx, backend), convert(ix, backend)
    out = _calls()[call](native_tx, native_ix, columns=RENAME)
    expected = native_ix if call in ("campaign_performance", "funnel") else native_tx
    assert type(out) is type(expected)
    if backend == "pandas":
        assert out.index.equals(pd.RangeIndex(len(out)))
    assert len(to_pandas(out)) > 0
    pd.testing.assert_frame_equal(tx, before)


# ---- the plots: renamed columns plus columns= draw the same figure; a gap is a SchemaError --


def _months(n):
    return pd.date_range("2024-01-01", periods=n, freq="MS")


def _plot_cases():
    """Per plotting module: (plot call, result frame, one column to rename/drop)."""
    from crmanalytics.plotting import churn, churn_drivers, feedback, marketing, profiles, sales
    from crmanalytics.plotting import value as value_plots
    from crmanalytics.value import BetaGeoModel, BetaGeoParams

    model = BetaGeoModel.from_params(BetaGeoParams(0.243, 4.414, 0.793, 2.426))
    interval = {"low": [0.05, 0.1, 0.2], "high": [0.2, 0.3, 0.4]}
    return {
        "churn": [
            (
                churn.plot_churn_rate,
                pd.DataFrame({"period": _months(3), "churn_rate": [0.1, 0.2, 0.15]}),
                "churn_rate",
            ),
            (
                churn.plot_cohort_retention,
                pd.DataFrame(
                    {
                        "cohort": _months(2),
                        "cohort_size": [10, 4],
                        "0": [1.0, 1.0],
                        "1": [0.3, None],
                    }
                ),
                "cohort_size",
            ),
        ],
        "churn_drivers": [
            (
                churn_drivers.plot_churn_drivers,
                pd.DataFrame(
                    {"feature": ["a", "b", "c"], "coefficient": [0.1, 0.2, 0.3]}
                    | {f"coefficient_{k}": v for k, v in interval.items()}
                ),
                "coefficient",
            ),
        ],
        "feedback": [
            (
                feedback.plot_nps_trend,
                pd.DataFrame(
                    {"period": _months(3), "nps": [10.0, 20.0, 5.0], "nps_low": [-5.0, 2.0, -9.0]}
                    | {"nps_high": [25.0, 38.0, 19.0]}
                ),
                "nps_low",
            ),
            (
                lambda t, **kw: feedback.plot_nps_by(t, by="channel", **kw),
                pd.DataFrame(
                    {"channel": ["app", "web"], "nps": [10.0, 20.0], "nps_low": [-5.0, 2.0]}
                    | {"nps_high": [25.0, 38.0]}
                ),
                "nps",
            ),
        ],
        "marketing": [
            (
                marketing.plot_campaign_performance,
                pd.DataFrame(
                    {"campaign_id": ["A", "B", "C"], "reached": [100, 80, 50]}
                    | {"conversion_rate": [0.1, 0.2, 0.3]}
                    | {f"conversion_rate_{k}": v for k, v in interval.items()}
                ),
                "reached",
            ),
            (
                marketing.plot_funnel,
                pd.DataFrame(
                    {"step": ["view", "cart", "buy"], "customers": [100, 40, 20]}
                    | {"step_conversion": [np.nan, 0.4, 0.5]}
                    | {f"step_conversion_{k}": [np.nan, *v[1:]] for k, v in interval.items()}
                ),
                "customers",
            ),
            (
                marketing.plot_acquisition,
                pd.DataFrame(
                    {"acquisition_channel": ["a", "a", "b", "b"], "period": [*_months(2)] * 2}
                    | {"new_customers": [10, 12, 5, 7]}
                ),
                "period",
            ),
        ],
        "profiles": [
            (
                lambda t, **kw: profiles.plot_profile(t, metric="repeat_rate", **kw),
                pd.DataFrame(
                    {"region": ["n", "s", "w"], "customers": [10, 12, 7]}
                    | {"repeat_rate": [0.1, 0.2, 0.3]}
                    | {f"repeat_rate_{k}": v for k, v in interval.items()}
                ),
                "customers",
            ),
            (
                profiles.plot_segment_heatmap,
                pd.DataFrame(
                    {"segment": [1, 1, 2, 2], "category": ["tea", "wine"] * 2}
                    | {"share": [0.9, 0.1, 0.2, 0.8], "base_share": [0.55, 0.45] * 2}
                    | {"lift": [1.64, 0.22, 0.36, 1.78]}
                ),
                "segment",
            ),
        ],
        "sales": [
            (
                sales.plot_sales_summary,
                pd.DataFrame(
                    {"period": _months(3), "is_partial": [False, False, True]}
                    | {"revenue": [10.0, 12.0, 3.0]}
                ),
                "revenue",
            ),
            (
                sales.plot_revenue_bridge,
                pd.DataFrame(
                    {"period": _months(2), "is_partial": [False, False], "revenue": [30.0, 20.0]}
                    | {"new": [30.0, 5.0], "reactivated": [0.0, 0.0], "lost": [0.0, 20.0]}
                    | {"revenue_previous": [np.nan, 30.0], "retained_change": [np.nan, 5.0]}
                ),
                "revenue_previous",
            ),
            (
                sales.plot_revenue_decomposition,
                pd.DataFrame(
                    {"revenue_before": [30.0], "revenue_after": [50.0], "change": [20.0]}
                    | {"customers_contribution": [5.0]}
                    | {"orders_per_customer_contribution": [10.0]}
                    | {"average_order_value_contribution": [5.0]}
                ),
                "change",
            ),
            (
                sales.plot_product_trends,
                pd.DataFrame(
                    {"product_id": ["A", "B", "C"], "growth_rate": [0.2, -0.1, 0.0]}
                    | {"growth_rate_low": [0.1, -0.2, -0.1]}
                    | {"growth_rate_high": [0.3, 0.0, 0.1], "trend": ["rising", "flat", "flat"]}
                ),
                "trend",
            ),
        ],
        "value": [
            (
                lambda s, **kw: value_plots.plot_calibration_holdout(model, s, **kw),
                pd.DataFrame(
                    {"customer_id": [1, 2, 3, 4], "frequency": [0, 1, 2, 5]}
                    | {"recency": [0.0, 10.0, 20.0, 30.0], "T": [39.0, 38.0, 35.0, 33.0]}
                    | {"frequency_holdout": [0, 1, 1, 3], "duration_holdout": [39.0] * 4}
                ),
                "frequency",
            ),
            (
                value_plots.plot_tracking,
                pd.DataFrame(
                    {"period": pd.date_range("2024-01-01", periods=4, freq="W-MON")}
                    | {
                        "partial": [False, False, False, True],
                        "holdout": [False, False, True, True],
                    }
                    | {"actual": [1.0, 2.0, 2.0, 1.0], "predicted": [1.2, 1.8, 2.1, 0.9]}
                    | {"actual_cumulative": [1.0, 3.0, 5.0, 6.0]}
                    | {"predicted_cumulative": [1.2, 3.0, 5.1, 6.0]}
                ),
                "actual_cumulative",
            ),
        ],
    }


def _drawn(ax):
    """What an Axes shows: line data, patch boxes, tick labels, texts."""
    import matplotlib.pyplot as plt

    def plain(values):
        return np.nan_to_num(np.asarray(values, dtype=float), nan=-12345.0).round(9).tolist()

    lines = [plain(line.get_xydata()) for line in ax.lines]
    patches = [plain(p.get_bbox().bounds) for p in ax.patches]
    ticks = [t.get_text() for t in (*ax.get_xticklabels(), *ax.get_yticklabels())]
    texts = [t.get_text() for t in ax.texts]
    plt.close(ax.figure)
    return lines, patches, ticks, texts


@pytest.mark.parametrize("module", sorted(_plot_cases()))
def test_plots_draw_the_same_from_renamed_columns(module):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.axes import Axes

    for plot, frame, column in _plot_cases()[module]:
        mapping = {column: f"my_{column}"}
        before = frame.copy()
        ax = plot(frame.rename(columns=mapping), columns=mapping)
        assert isinstance(ax, Axes)
        pd.testing.assert_frame_equal(frame, before)
        assert _drawn(ax) == _drawn(plot(frame)), (module, column)


@pytest.mark.parametrize("module", sorted(_plot_cases()))
def test_plots_name_a_missing_column(module):
    import matplotlib

    matplotlib.use("Agg")
    from crmanalytics.errors import SchemaError

    for plot, frame, column in _plot_cases()[module]:
        with pytest.raises(SchemaError, match=f"'{column}'"):
            plot(frame.drop(columns=column))
        with pytest.raises(SchemaError, match=f"'{column}'"):
            plot(frame, columns={column: "not_there"})
