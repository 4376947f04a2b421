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
}
#: Functions whose frame-looking parameter is not a table of named columns.
EXEMPT = {
    "crmanalytics.feedback.nps",  # loose scores (any sequence), not a table
    "crmanalytics.feedback.compare_nps",
    "crmanalytics.schema.check_table",  # takes columns= already, positional table name
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
