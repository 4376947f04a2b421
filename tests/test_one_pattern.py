"""Every public function that takes a frame follows the one pattern (issue 13).

Each :class:`Case` calls one public function once, on inputs whose canonical column
names are renamed (``customer_id`` -> ``"cid"`` ...) together with ``columns=`` mapping
them back, on every backend the function supports, and checks that

(a) the call works;
(b) a frame result comes back in the caller's type (lazy in, lazy out);
(c) a pandas result has a fresh ``RangeIndex`` 0..n-1, except for documented
    row-preserving results, which keep the caller's index;
(d) the caller's frames are not mutated.

To cover another package, append :class:`Case` rows to ``CASES`` (a builder gets the
canonical pandas inputs and returns them by argument).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import matplotlib as mpl

mpl.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from backends import BACKENDS, convert, spark_session

from crmanalytics.association import basket_rules, next_best_items, sequential_rules
from crmanalytics.plotting.association import plot_rule_paths, plot_sequential_rules
from crmanalytics.plotting.segmentation import plot_segments
from crmanalytics.privacy import pseudonymize
from crmanalytics.segmentation import (
    Concentration,
    concentration,
    lifecycle_stages,
    rfm_scores,
    rfm_segments,
    rfm_table,
    segment_summary,
    value_tiers,
)

Returns = Literal["frame", "object", "axes"]


@dataclass(frozen=True)
class Case:
    """One public function, called once with renamed inputs and ``columns=``.

    ``inputs`` builds the canonical pandas frames, one per positional argument;
    ``rename`` maps canonical names to the caller's names (applied to every input
    that has the column and passed as ``columns=``); ``kwargs`` are further options.
    ``row_preserving``: the result keeps the caller's rows, and in pandas its index.
    """

    name: str
    function: Callable[..., Any]
    inputs: Callable[[], tuple[pd.DataFrame, ...]]
    rename: Mapping[str, str]
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    returns: Returns = "frame"
    row_preserving: bool = False
    backends: tuple[str, ...] = BACKENDS
    check: Callable[[Any], None] | None = None


# ---- canonical inputs --------------------------------------------------------------


@functools.cache
def _transactions() -> pd.DataFrame:
    rng = np.random.default_rng(13)
    n = 240
    product = rng.integers(1, 7, n)
    return pd.DataFrame(
        {
            "customer_id": rng.integers(0, 25, n).astype("int64"),
            "timestamp": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 90, n), unit="D"),
            "amount": np.round(rng.gamma(2.0, 15.0, n), 2),
            "transaction_id": [f"o{i // 3}" for i in range(n)],
            "product_id": product.astype("int64"),
            "product_name": [f"product {p}" for p in product],
        }
    )


def transactions() -> tuple[pd.DataFrame, ...]:
    return (_transactions().copy(),)


def customers_and_transactions() -> tuple[pd.DataFrame, ...]:
    ids = pd.DataFrame({"customer_id": np.arange(0, 30, dtype="int64")})
    return ids, _transactions().copy()


def rfm() -> tuple[pd.DataFrame, ...]:
    return (rfm_table(_transactions()),)


def scores() -> tuple[pd.DataFrame, ...]:
    return (rfm_scores(rfm_table(_transactions())),)


def segments() -> tuple[pd.DataFrame, ...]:
    return (rfm_segments(rfm_scores(rfm_table(_transactions()))),)


def summary() -> tuple[pd.DataFrame, ...]:
    return (segment_summary(segments()[0]),)


def sequential() -> tuple[pd.DataFrame, ...]:
    return (sequential_rules(_transactions(), min_support=0.05),)


def history_and_rules() -> tuple[pd.DataFrame, ...]:
    return _transactions().copy(), sequential()[0]


def history_and_basket_rules() -> tuple[pd.DataFrame, ...]:
    rules = basket_rules(_transactions(), min_support=0.02, min_threshold=0.0)
    return _transactions().copy(), rules


def _has_columns(*names: str) -> Callable[[Any], None]:
    def check(result: Any) -> None:
        import narwhals.stable.v2 as nw

        present = nw.from_native(result).collect_schema().names()
        assert set(names) <= set(present), (names, present)

    return check


TX = {"customer_id": "cid", "timestamp": "when", "amount": "spend"}
TX_ITEMS = {**TX, "product_id": "sku", "transaction_id": "order"}
RFM = {"recency": "r", "frequency": "f", "monetary": "m"}
SCORES = {"r_score": "R", "f_score": "F", "m_score": "M"}

CASES: list[Case] = [
    Case("rfm_table", rfm_table, transactions, TX, check=_has_columns("customer_id", "recency")),
    Case(
        "rfm_scores",
        rfm_scores,
        rfm,
        RFM,
        row_preserving=True,
        check=_has_columns("recency", "rfm_score"),
    ),
    Case(
        "rfm_segments",
        rfm_segments,
        scores,
        SCORES,
        row_preserving=True,
        check=_has_columns("r_score", "segment"),
    ),
    Case(
        "segment_summary",
        segment_summary,
        segments,
        {**RFM, "segment": "group"},
        check=_has_columns("segment", "revenue_share"),
    ),
    Case(
        "value_tiers",
        value_tiers,
        rfm,
        {"monetary": "m"},
        row_preserving=True,
        check=_has_columns("monetary", "value_tier"),
    ),
    Case("concentration (values)", concentration, rfm, {"monetary": "m"}, returns="object"),
    Case("concentration (transactions)", concentration, transactions, TX, returns="object"),
    Case(
        "lifecycle_stages",
        lifecycle_stages,
        customers_and_transactions,
        TX,
        kwargs={"observation_end": "2024-03-31"},
        check=_has_columns("customer_id", "stage"),
    ),
    Case(
        "sequential_rules",
        sequential_rules,
        transactions,
        TX_ITEMS,
        kwargs={"min_support": 0.05},
        check=_has_columns("antecedent", "consequent", "antecedent_name"),
    ),
    Case(
        "basket_rules",
        basket_rules,
        transactions,
        TX_ITEMS,
        kwargs={"min_support": 0.02, "min_threshold": 0.0},
        check=_has_columns("antecedents", "consequents", "antecedent_names"),
    ),
    Case(
        "next_best_items",
        next_best_items,
        history_and_rules,
        {**TX_ITEMS, "antecedent": "from", "consequent": "to", "confidence": "conf"},
        kwargs={"k": 2},
        check=_has_columns("customer_id", "item", "item_name"),
    ),
    Case(
        "next_best_items (basket rules)",
        next_best_items,
        history_and_basket_rules,
        {**TX_ITEMS, "antecedents": "if_bought", "lift": "lift_"},
        kwargs={"k": 2},
        check=_has_columns("customer_id", "antecedents", "item_name"),
    ),
    Case(
        "pseudonymize",
        lambda frame, *, columns: pseudonymize(frame, columns, key="0123456789abcdef!"),
        transactions,
        {"customer_id": "cid"},
        row_preserving=True,
        check=_has_columns("cid", "amount"),  # hashes the caller's column, keeps its name
    ),
    Case(
        "plot_sequential_rules",
        plot_sequential_rules,
        sequential,
        {"antecedent": "from", "lift": "lift_"},
        returns="axes",
    ),
    Case(
        "plot_rule_paths",
        plot_rule_paths,
        sequential,
        {"consequent": "to", "confidence": "conf"},
        returns="axes",
    ),
    Case(
        "plot_segments",
        plot_segments,
        summary,
        {"segment": "group", "revenue_share": "rev"},
        returns="axes",
    ),
]


def _renamed(frame: pd.DataFrame, rename: Mapping[str, str]) -> pd.DataFrame:
    out = frame.rename(columns={k: v for k, v in rename.items() if k in frame.columns})
    out.index = pd.RangeIndex(100, 100 + len(out))  # an index the result must not leak
    return out


def _to_backend(frames: tuple[pd.DataFrame, ...], backend: str) -> list[Any]:
    if backend == "duckdb":  # one connection, so the frames can join
        import duckdb
        import pyarrow as pa

        con = duckdb.connect()
        return [con.from_arrow(pa.Table.from_pandas(f, preserve_index=False)) for f in frames]
    if backend == "pyspark":
        spark_session()
    return [convert(f, backend) for f in frames]


@pytest.mark.parity
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_one_pattern(case: Case, backend: str) -> None:
    if backend not in case.backends:
        pytest.skip(f"{case.name} does not support {backend}")
    pandas_inputs = [_renamed(f, case.rename) for f in case.inputs()]
    before = [f.copy() for f in pandas_inputs]
    natives = pandas_inputs if backend == "pandas" else _to_backend(tuple(pandas_inputs), backend)

    result = case.function(*natives, columns=dict(case.rename), **case.kwargs)  # (a)

    if case.returns == "axes":
        assert hasattr(result, "figure")
        plt.close("all")
    elif case.returns == "object":
        assert isinstance(result, Concentration)
    else:
        assert type(result) is type(natives[0]), (type(result), type(natives[0]))  # (b)
        if backend == "pandas":  # (c)
            if case.row_preserving:
                assert result.index.equals(natives[0].index)
            else:
                assert isinstance(result.index, pd.RangeIndex)
                assert result.index.equals(pd.RangeIndex(len(result)))
        if case.check is not None:
            case.check(result)
    for got, want in zip(pandas_inputs, before, strict=True):  # (d)
        pd.testing.assert_frame_equal(got, want)


# ---- errors: the library's own, naming column and rule, advice within the signature -----


def _bad_amount() -> pd.DataFrame:
    return _transactions().assign(amount=["abc"] * len(_transactions()))


ERRORS: list[tuple[str, Callable[[], Any], str, str]] = [
    (
        "sequential_rules without product_id",
        lambda: sequential_rules(_transactions().drop(columns="product_id")),
        "product_id",
        "is required by sequential_rules but missing",
    ),
    (
        "basket_rules without transaction_id",
        lambda: basket_rules(_transactions().drop(columns="transaction_id")),
        "transaction_id",
        "is required by basket_rules but missing",
    ),
    ("rfm_table with text amounts", lambda: rfm_table(_bad_amount()), "amount", "number"),
    (
        "lifecycle_stages with text amounts",
        lambda: lifecycle_stages(customers_and_transactions()[0], _bad_amount()),
        "amount",
        "number",
    ),
    (
        "concentration with text amounts",
        lambda: concentration(_bad_amount()),
        "amount",
        "number",
    ),
    (
        "value_tiers on text",
        lambda: value_tiers(pd.DataFrame({"monetary": ["high"]})),
        "monetary",
        "must be numeric",
    ),
    (
        "rfm_scores on a mapped text column",
        lambda: rfm_scores(
            pd.DataFrame({"r": ["x"], "frequency": [1], "monetary": [2.0]}),
            columns={"recency": "r"},
        ),
        "recency",
        "must be numeric",
    ),
    (
        "segment_summary without monetary",
        lambda: segment_summary(segments()[0].drop(columns="monetary")),
        "monetary",
        "is required by segment_summary but missing",
    ),
    (
        "next_best_items with text confidence",
        lambda: next_best_items(
            pd.DataFrame({"customer_id": [1], "product_id": [1]}),
            pd.DataFrame({"antecedent": [1], "consequent": [2], "confidence": ["hi"], "lift": [1]}),
        ),
        "confidence",
        "must be numeric",
    ),
    (
        "next_best_items with a history lacking the item",
        lambda: next_best_items(pd.DataFrame({"customer_id": [1]}), sequential()[0]),
        "product_id",
        "is required by next_best_items but missing",
    ),
]


@pytest.mark.parametrize(("label", "call", "column", "rule"), ERRORS, ids=[e[0] for e in ERRORS])
def test_bad_input_is_a_schema_error_naming_column_and_rule(
    label: str, call: Callable[[], Any], column: str, rule: str
) -> None:
    import re

    from crmanalytics.errors import SchemaError

    with pytest.raises(SchemaError) as info:
        call()
    problems = [p for p in info.value.problems if p.column == column]
    assert problems, (label, str(info.value))
    assert any(rule in p.rule for p in problems), (label, str(info.value))
    for problem in info.value.problems:  # advice names only parameters the function has
        fix = re.sub(r"validate_\w+\([^)]*\)", "", problem.fix)  # the validator's own call
        for parameter in re.findall(r"\b(\w+)=", fix):
            assert parameter in {"columns", "column"}, (label, problem.fix)
