"""The canonical CRM schema: three tables, declared once, validated at the boundary.

crmanalytics works over three tables: **customers**, **transactions** and
**interactions**. Each is declared here as a :class:`TableSchema` of
:class:`ColumnSpec` entries; the validators, the error messages and the schema
reference page of the documentation are all generated from these declarations.

``validate_customers``, ``validate_transactions`` and ``validate_interactions`` are the
only entry points for raw data. They accept any dataframe narwhals understands (pandas,
Polars eager or lazy, PyArrow, DuckDB, PySpark), rename the caller's columns to the canonical
names, coerce types, check every rule, and return the same kind of frame they were given
(a lazy frame stays lazy). Every broken rule is reported at once in a
:class:`~crmanalytics.errors.SchemaError`; with ``invalid="drop"`` the offending rows are
removed instead and counted in a :class:`~crmanalytics.errors.DataQualityWarning`.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.schema import validate_transactions
>>> raw = pd.DataFrame({"CustomerID": [1, 2], "InvoiceDate": ["2024-01-05", "2024-02-01"],
...                     "amount": [10, 25]})
>>> tx = validate_transactions(raw, columns={"customer_id": "CustomerID",
...                                          "timestamp": "InvoiceDate"})
>>> list(tx.columns)
['customer_id', 'timestamp', 'amount']
>>> str(tx["amount"].dtype)
'float64'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from crmanalytics._frames import from_native
from crmanalytics.errors import Problem, SchemaError, ValidationReport
from crmanalytics.schema._engine import Invalid, missing_fix, run_checks, validate
from crmanalytics.schema._tables import (
    CUSTOMERS,
    INTERACTIONS,
    NPS_KIND,
    SCHEMAS,
    TRANSACTIONS,
    ColumnKind,
    ColumnSpec,
    TableSchema,
)

__all__ = [
    "CUSTOMERS",
    "INTERACTIONS",
    "NPS_KIND",
    "SCHEMAS",
    "TRANSACTIONS",
    "ColumnKind",
    "ColumnSpec",
    "Invalid",
    "TableSchema",
    "check_table",
    "require_columns",
    "validate_customers",
    "validate_interactions",
    "validate_transactions",
]

FrameT = TypeVar("FrameT")


def validate_customers(
    frame: FrameT, *, columns: Mapping[str, str] | None = None, invalid: Invalid = "raise"
) -> FrameT:
    """Validate a customers table and return it in canonical form.

    Parameters
    ----------
    frame : dataframe
        pandas, Polars (eager or lazy), PyArrow table or DuckDB relation.
    columns : mapping of str to str, optional
        Canonical name to the caller's name, for columns named differently,
        e.g. ``{"customer_id": "CustID"}``.
    invalid : {"raise", "drop"}
        ``"raise"`` (default) raises a :class:`~crmanalytics.errors.SchemaError` listing
        every broken rule. ``"drop"`` removes offending rows instead (all rows of a
        duplicated ``customer_id``) and reports what went in a
        :class:`~crmanalytics.errors.DataQualityWarning` whose ``report`` attribute is a
        :class:`~crmanalytics.errors.ValidationReport`. Problems with whole columns
        (missing, wrong type) always raise.

    Returns
    -------
    dataframe
        The caller's frame type, with canonical names and types; undeclared columns
        pass through untouched. Lazy frames stay lazy, but the checks are run (the
        small per-rule counts are collected).

    Raises
    ------
    crmanalytics.errors.SchemaError
        When any rule is broken (with ``invalid="drop"``, only column problems).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.schema import validate_customers
    >>> validate_customers(pd.DataFrame({"customer_id": [1, 1]}))
    Traceback (most recent call last):
    ...
    crmanalytics.errors.SchemaError: customers: 1 problem found
      - column 'customer_id': must be unique (2 rows; examples: 1). Fix: ...
    """
    return validate(frame, CUSTOMERS, columns, invalid)


def validate_transactions(
    frame: FrameT, *, columns: Mapping[str, str] | None = None, invalid: Invalid = "raise"
) -> FrameT:
    """Validate a transactions table and return it in canonical form.

    Required: ``customer_id``, ``timestamp`` and ``amount``. Timestamps may arrive as
    strings (parsed), dates (widened) or datetimes; amounts as any number or numeric
    string (cast to float64) and must be finite. See :data:`TRANSACTIONS` for the optional
    columns.

    Parameters
    ----------
    frame : dataframe
        pandas, Polars (eager or lazy), PyArrow table or DuckDB relation.
    columns : mapping of str to str, optional
        Canonical name to the caller's name, e.g.
        ``{"customer_id": "CustomerID", "timestamp": "InvoiceDate"}``.
    invalid : {"raise", "drop"}
        ``"raise"`` (default) raises on any broken rule; ``"drop"`` removes offending
        rows and reports them in a :class:`~crmanalytics.errors.DataQualityWarning`.

    Returns
    -------
    dataframe
        Same type as ``frame``, canonical names and types.

    Raises
    ------
    crmanalytics.errors.SchemaError
        Listing every broken rule with the column, the rule, the row count, up to five
        examples and the fix.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.schema import validate_transactions
    >>> raw = pd.DataFrame({"customer_id": [1, 2, None], "timestamp": ["2024-01-01"] * 3,
    ...                     "amount": [9.5, float("inf"), 3.0]})
    >>> validate_transactions(raw)
    Traceback (most recent call last):
    ...
    crmanalytics.errors.SchemaError: transactions: 2 problems found
      - column 'customer_id': must not be missing (1 row; examples: None). Fix: ...
      - column 'amount': must be finite (1 row; examples: inf). Fix: ...
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     clean = validate_transactions(raw, invalid="drop")
    >>> len(clean), caught[0].message.report.dropped
    (1, {'customer_id: must not be missing': 1, 'amount: must be finite': 1})
    """
    return validate(frame, TRANSACTIONS, columns, invalid)


def validate_interactions(
    frame: FrameT, *, columns: Mapping[str, str] | None = None, invalid: Invalid = "raise"
) -> FrameT:
    """Validate an interactions table and return it in canonical form.

    Required: ``customer_id``, ``timestamp`` and ``kind``. Where ``kind`` is ``"nps"``
    the ``score`` must be an integer from 0 to 10.

    Parameters
    ----------
    frame : dataframe
        pandas, Polars (eager or lazy), PyArrow table or DuckDB relation.
    columns : mapping of str to str, optional
        Canonical name to the caller's name.
    invalid : {"raise", "drop"}
        ``"raise"`` (default) raises on any broken rule; ``"drop"`` removes offending
        rows and reports them in a :class:`~crmanalytics.errors.DataQualityWarning`.

    Returns
    -------
    dataframe
        Same type as ``frame``, canonical names and types.

    Raises
    ------
    crmanalytics.errors.SchemaError
        Listing every broken rule.

    Examples
    --------
    >>> import polars as pl
    >>> from crmanalytics.schema import validate_interactions
    >>> raw = pl.DataFrame({"customer_id": ["a", "b"], "timestamp": ["2024-03-01"] * 2,
    ...                     "kind": ["nps", "nps"], "score": [9, 11]})
    >>> validate_interactions(raw)
    Traceback (most recent call last):
    ...
    crmanalytics.errors.SchemaError: interactions: 1 problem found
      - column 'score': where kind is 'nps', must be an integer from 0 to 10 (1 row; ...
    """
    return validate(frame, INTERACTIONS, columns, invalid)


def check_table(
    frame: Any, table: str | TableSchema, *, columns: Mapping[str, str] | None = None
) -> ValidationReport:
    """List every problem of a table without raising or changing anything.

    Useful to inspect a data set before deciding how to clean it.

    Parameters
    ----------
    frame : dataframe
        Any supported backend.
    table : str or TableSchema
        ``"customers"``, ``"transactions"``, ``"interactions"`` or a schema object.
    columns : mapping of str to str, optional
        Canonical name to the caller's name.

    Returns
    -------
    ValidationReport
        ``problems`` holds every broken rule; ``dropped`` is what ``invalid="drop"``
        would remove, by reason.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.schema import check_table
    >>> raw = pd.DataFrame({"customer_id": [1, None], "timestamp": ["2024-01-01", "oops"],
    ...                     "amount": [1.0, 2.0]})
    >>> report = check_table(raw, "transactions")
    >>> [p.rule for p in report.problems]
    ['must not be missing', 'could not be parsed as a datetime']
    >>> report.rows_dropped
    1
    """
    schema = SCHEMAS[table] if isinstance(table, str) else table
    outcome = run_checks(from_native(frame), schema, columns or {})
    return outcome.report


def require_columns(frame: Any, table: str, names: Iterable[str], *, purpose: str = "") -> None:
    """Raise a :class:`~crmanalytics.errors.SchemaError` unless the frame has every column.

    Analyses call this for optional canonical columns they need (``product_id`` for
    association rules, for instance).

    Parameters
    ----------
    frame : dataframe
        Native or narwhals frame.
    table : str
        Table name used in the message.
    names : iterable of str
        Columns that must be present.
    purpose : str, optional
        What needs them, for the message (``"sequential_rules"``).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.schema import require_columns
    >>> require_columns(pd.DataFrame({"a": [1]}), "transactions", ["product_id"],
    ...                 purpose="sequential_rules")
    Traceback (most recent call last):
    ...
    crmanalytics.errors.SchemaError: transactions: 1 problem found
      - column 'product_id': is required by sequential_rules but missing. Fix: ...
    """
    present = set(from_native(frame).collect_schema().names())
    need = f"is required by {purpose} but missing" if purpose else "is required but missing"
    problems = [
        Problem(name, need, 0, (), missing_fix(name, sorted(present)))
        for name in names
        if name not in present
    ]
    if problems:
        raise SchemaError(table, problems)
