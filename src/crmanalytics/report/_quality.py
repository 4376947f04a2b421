"""The report's data-quality account: every rule that dropped, flagged or left out rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from crmanalytics.errors import ValidationReport

__all__ = ["QualityRow", "flag_transactions", "from_validation", "is_non_product", "quality_table"]

_EXAMPLES = 5


@dataclass(frozen=True)
class QualityRow:
    """One rule of the data-quality account.

    ``action`` says what the report did: ``"dropped"`` (the rows are not in any
    analysis), ``"kept"`` (flagged only), ``"left out of product rules"``, or
    ``"computed"`` for a derived column.
    """

    table: str
    rule: str
    action: str
    rows: int
    examples: tuple[object, ...] = ()


def quality_table(rows: Sequence[QualityRow]) -> pd.DataFrame:
    """The account as a table (one row per rule).

    Examples
    --------
    >>> from crmanalytics.report._quality import QualityRow, quality_table
    >>> quality_table([QualityRow("transactions", "amount < 0", "kept", 2, ("C1", "C2"))])
              table        rule action  rows examples
    0  transactions  amount < 0   kept     2   C1, C2
    """
    return pd.DataFrame(
        {
            "table": [r.table for r in rows],
            "rule": [r.rule for r in rows],
            "action": [r.action for r in rows],
            "rows": [r.rows for r in rows],
            "examples": [", ".join(str(e) for e in r.examples) for r in rows],
        }
    )


def from_validation(
    report: ValidationReport, raw: pd.DataFrame, sources: Mapping[str, str]
) -> list[QualityRow]:
    """Rows for the rules validation dropped rows by, and for its notes.

    Missing values make poor examples (they are all ``None``), so for a "must not be
    missing" rule the examples are the rows' ``transaction_id`` (or row labels).
    """
    out = [QualityRow(report.table, note, "computed", report.rows_out) for note in report.notes]
    for problem in report.problems:
        if not problem.rows:
            continue
        examples = problem.examples
        if "missing" in problem.rule:
            examples = _missing_examples(raw, problem.column, sources)
        rule = f"{problem.column}: {problem.rule}"
        if problem.column == "customer_id" and "missing" in problem.rule:
            rule += " (guest checkouts: no customer to attribute them to)"
        out.append(QualityRow(report.table, rule, "dropped", problem.rows, examples))
    return out


def _missing_examples(
    raw: pd.DataFrame, column: str, sources: Mapping[str, str]
) -> tuple[object, ...]:
    names = [column]
    if column == "amount" and sources.get("amount", "amount") not in raw.columns:
        names = ["quantity", "unit_price"]  # amount was computed from these
    present = [sources.get(n, n) for n in names if sources.get(n, n) in raw.columns]
    if not present:
        return ()
    mask = raw[present].isna().any(axis=1)
    label = sources.get("transaction_id", "transaction_id")
    values = raw.loc[mask, label] if label in raw.columns else raw.index[mask].to_series()
    return tuple(pd.unique(values.to_numpy())[:_EXAMPLES].tolist())


def is_non_product(products: pd.Series, codes: Iterable[str]) -> pd.Series:
    """Whether each product id is one of ``codes`` (case-insensitive; ``X*`` is a prefix).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.report._quality import is_non_product
    >>> is_non_product(pd.Series(["POST", "post", "85123A", "gift_0001_10"]),
    ...                ["POST", "gift_*"]).tolist()
    [True, True, False, True]
    """
    exact = {c.upper() for c in codes if not c.endswith("*")}
    prefixes = tuple(c[:-1].upper() for c in codes if c.endswith("*"))
    upper = products.astype("string").str.upper()
    hit = upper.isin(exact)
    if prefixes:
        hit = hit | upper.str.startswith(prefixes)
    return hit.fillna(value=False).astype(bool)


def _example_ids(tx: pd.DataFrame, mask: pd.Series) -> tuple[object, ...]:
    column = "transaction_id" if "transaction_id" in tx.columns else "customer_id"
    return tuple(pd.unique(tx.loc[mask, column].to_numpy())[:_EXAMPLES].tolist())


def flag_transactions(tx: pd.DataFrame, non_products: Sequence[str]) -> list[QualityRow]:
    """Rules that keep rows but flag them: returns, zero amounts, non-product codes."""
    rows: list[QualityRow] = []
    negative = tx["amount"] < 0
    if negative.any():
        rows.append(
            QualityRow(
                "transactions",
                "amount < 0 (returns and cancellations)",
                "kept: net revenue counts them; purchase counts and product rules do not",
                int(negative.sum()),
                _example_ids(tx, negative),
            )
        )
    zero = tx["amount"] == 0
    if zero.any():
        rows.append(
            QualityRow(
                "transactions",
                "amount = 0 (zero prices: samples, replacements)",
                "kept: no revenue; product rules do not count them",
                int(zero.sum()),
                _example_ids(tx, zero),
            )
        )
    if non_products and "product_id" in tx.columns:
        hit = is_non_product(tx["product_id"], non_products)
        if hit.any():
            found = pd.unique(tx.loc[hit, "product_id"].to_numpy())[:_EXAMPLES].tolist()
            rows.append(
                QualityRow(
                    "transactions",
                    "product_id is not a product (postage, fees, adjustments: "
                    + ", ".join(non_products)
                    + ")",
                    "kept in revenue; left out of product rules",
                    int(hit.sum()),
                    tuple(found),
                )
            )
    return rows
