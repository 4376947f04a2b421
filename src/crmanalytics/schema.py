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

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, TypeVar

import narwhals.stable.v2 as nw

from crmanalytics import _coerce
from crmanalytics._frames import AnyFrame, collect, from_native
from crmanalytics.errors import DataQualityWarning, Problem, SchemaError, ValidationReport

__all__ = [
    "CUSTOMERS",
    "INTERACTIONS",
    "NPS_KIND",
    "SCHEMAS",
    "TRANSACTIONS",
    "ColumnSpec",
    "TableSchema",
    "check_table",
    "require_columns",
    "validate_customers",
    "validate_interactions",
    "validate_transactions",
]

#: What a column holds: an identifier kept as given, a datetime, a float, or a string.
ColumnKind: TypeAlias = Literal["id", "datetime", "float", "str"]
Invalid: TypeAlias = Literal["raise", "drop"]
FrameT = TypeVar("FrameT")

#: The ``kind`` of an interaction that carries a Net Promoter Score answer.
NPS_KIND = "nps"
_MAX_EXAMPLES = 5


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a canonical table.

    Parameters
    ----------
    name : str
        Canonical (snake_case) name.
    kind : {"id", "datetime", "float", "str"}
        What the column holds. ``"id"`` columns are kept exactly as given; the others
        are coerced (strings are parsed, numbers cast, dates widened to datetimes).
    required : bool
        Whether the table must have the column. Required columns may not hold nulls.
    description : str
        One line for the documentation.
    rules : tuple of str
        Extra rules, in words, beyond the ones implied by ``kind`` and ``required``.

    Examples
    --------
    >>> from crmanalytics.schema import TRANSACTIONS
    >>> TRANSACTIONS.column("amount").kind
    'float'
    """

    name: str
    kind: ColumnKind
    required: bool
    description: str
    rules: tuple[str, ...] = ()

    def rule_text(self) -> str:
        """All rules of the column in words, as listed in the schema reference.

        Examples
        --------
        >>> from crmanalytics.schema import TRANSACTIONS
        >>> TRANSACTIONS.column("customer_id").rule_text()
        'not null'
        """
        implied: list[str] = []
        if self.required:
            implied.append("not null")
        if self.kind == "datetime":
            implied.append("datetime; strings are parsed, dates widened")
        elif self.kind == "float" and self.required:
            implied.append("finite number, cast to float64; numeric strings are parsed")
        elif self.kind == "float":
            implied.append("number or missing, never ±inf; cast to float64")
        elif self.kind == "str" and self.required:
            implied.append("text")
        elif self.kind == "str":
            implied.append("text; other scalar types are kept as given")
        return "; ".join(implied + list(self.rules))


@dataclass(frozen=True)
class TableSchema:
    """A canonical table: its columns and table-wide rules.

    Columns not declared here are passed through untouched.

    Parameters
    ----------
    name : str
        ``"customers"``, ``"transactions"`` or ``"interactions"``.
    description : str
        What one row is.
    columns : tuple of ColumnSpec
        Declared columns, required ones first.
    unique : tuple of str
        Columns whose values must be unique across rows.

    Examples
    --------
    >>> from crmanalytics.schema import CUSTOMERS
    >>> CUSTOMERS.required
    ('customer_id',)
    >>> CUSTOMERS.unique
    ('customer_id',)
    """

    name: str
    description: str
    columns: tuple[ColumnSpec, ...]
    unique: tuple[str, ...] = ()

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the required columns.

        Examples
        --------
        >>> from crmanalytics.schema import TRANSACTIONS
        >>> TRANSACTIONS.required
        ('customer_id', 'timestamp', 'amount')
        """
        return tuple(c.name for c in self.columns if c.required)

    @property
    def names(self) -> tuple[str, ...]:
        """Names of all declared columns.

        Examples
        --------
        >>> from crmanalytics.schema import INTERACTIONS
        >>> INTERACTIONS.names[:3]
        ('customer_id', 'timestamp', 'kind')
        """
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> ColumnSpec:
        """The declaration of one column.

        Raises
        ------
        KeyError
            When the table declares no such column.

        Examples
        --------
        >>> from crmanalytics.schema import INTERACTIONS
        >>> INTERACTIONS.column("score").required
        False
        """
        for spec in self.columns:
            if spec.name == name:
                return spec
        raise KeyError(f"the {self.name} table declares no column {name!r}")


CUSTOMERS = TableSchema(
    name="customers",
    description="One row per known customer, whether or not they have bought anything.",
    columns=(
        ColumnSpec(
            "customer_id",
            "id",
            True,
            "The customer's identifier, as in the other tables.",
            ("unique",),
        ),
        ColumnSpec("created_at", "datetime", False, "When the customer became known."),
        ColumnSpec("acquisition_channel", "str", False, "How the customer was acquired."),
        ColumnSpec("region", "str", False, "Sales region."),
        ColumnSpec("country", "str", False, "Country."),
        ColumnSpec("gender", "str", False, "Gender, as recorded."),
        ColumnSpec("birth_date", "datetime", False, "Date of birth."),
        ColumnSpec("segment", "str", False, "Any segment label the business uses."),
    ),
    unique=("customer_id",),
)

TRANSACTIONS = TableSchema(
    name="transactions",
    description="One row per purchase, order line or refund.",
    columns=(
        ColumnSpec("customer_id", "id", True, "Who bought."),
        ColumnSpec("timestamp", "datetime", True, "When."),
        ColumnSpec(
            "amount", "float", True, "Net value of the row; negative for a return or refund."
        ),
        ColumnSpec("transaction_id", "id", False, "Order or invoice the row belongs to."),
        ColumnSpec("product_id", "id", False, "What was bought."),
        ColumnSpec("category", "str", False, "Product category."),
        ColumnSpec("quantity", "float", False, "Units; negative on returns."),
        ColumnSpec("channel", "str", False, "Sales channel (web, store, app ...)."),
        ColumnSpec("campaign_id", "str", False, "Campaign the purchase is attributed to."),
        ColumnSpec("coupon_code", "str", False, "Coupon used."),
    ),
)

INTERACTIONS = TableSchema(
    name="interactions",
    description="One row per contact between the company and a customer, either way.",
    columns=(
        ColumnSpec("customer_id", "id", True, "Who."),
        ColumnSpec("timestamp", "datetime", True, "When."),
        ColumnSpec(
            "kind",
            "str",
            True,
            "What happened: page_view, click, inquiry, complaint, campaign_sent, "
            "campaign_response, nps, survey, or any label of your own.",
            ("not null string",),
        ),
        ColumnSpec("channel", "str", False, "Where (email, phone, web ...)."),
        ColumnSpec("campaign_id", "str", False, "Campaign the contact belongs to."),
        ColumnSpec(
            "score",
            "float",
            False,
            "A rating; for kind 'nps' the 0-10 answer.",
            ("where kind is 'nps': an integer from 0 to 10",),
        ),
        ColumnSpec("text", "str", False, "Free text (a complaint, a survey comment)."),
    ),
)

#: The three canonical tables by name.
SCHEMAS: Mapping[str, TableSchema] = {s.name: s for s in (CUSTOMERS, TRANSACTIONS, INTERACTIONS)}


# --------------------------------------------------------------------------------------
# public validators
# --------------------------------------------------------------------------------------


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
    return _validate(frame, CUSTOMERS, columns, invalid)


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
    return _validate(frame, TRANSACTIONS, columns, invalid)


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
    return _validate(frame, INTERACTIONS, columns, invalid)


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
    outcome = _run_checks(from_native(frame), schema, columns or {})
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
        Problem(name, need, 0, (), _missing_fix(name, sorted(present)))
        for name in names
        if name not in present
    ]
    if problems:
        raise SchemaError(table, problems)


# --------------------------------------------------------------------------------------
# implementation
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _RowRule:
    """A row-level rule: the rows where ``mask`` is true break it."""

    column: str
    rule: str
    fix: str
    mask: nw.Expr
    shown: str  # column whose original values are shown as examples

    @property
    def key(self) -> str:
        return f"{self.column}: {self.rule}"


@dataclass(frozen=True)
class _Outcome:
    frame: AnyFrame  # renamed, with parsed helper columns, not yet filtered or finalised
    rules: tuple[_RowRule, ...]
    counts: Mapping[str, int]
    report: ValidationReport
    column_problems: tuple[Problem, ...]
    casts: Mapping[str, nw.Expr]


def _validate(
    frame: FrameT, schema: TableSchema, columns: Mapping[str, str] | None, invalid: Invalid
) -> FrameT:
    if invalid not in ("raise", "drop"):
        raise ValueError(f"invalid must be 'raise' or 'drop', got {invalid!r}")
    was_narwhals = isinstance(frame, nw.DataFrame | nw.LazyFrame)
    outcome = _run_checks(from_native(frame), schema, columns or {})
    report = outcome.report
    if outcome.column_problems or (invalid == "raise" and report.problems):
        problems = report.problems if invalid == "raise" else outcome.column_problems
        raise SchemaError(schema.name, problems)
    result = outcome.frame
    if report.rows_dropped:
        broken = [r.mask for r in outcome.rules if outcome.counts[r.key]]
        result = result.filter(~nw.any_horizontal(*broken, ignore_nulls=True))
        warnings.warn(DataQualityWarning(_drop_message(report), report=report), stacklevel=3)
    result = _finalise(result, outcome.casts)
    out: Any = result if was_narwhals else nw.to_native(result)
    return out  # type: ignore[no-any-return]


def _drop_message(report: ValidationReport) -> str:
    reasons = "; ".join(f"{reason}: {count}" for reason, count in report.dropped.items())
    return (
        f"{report.table}: dropped {report.rows_dropped} of {report.rows_in} rows "
        f"that break the schema ({reasons}). The full account is in this warning's "
        f".report attribute."
    )


def _missing_fix(name: str, present: Sequence[str]) -> str:
    shown = ", ".join(repr(p) for p in list(present)[:12])
    more = ", ..." if len(present) > 12 else ""
    return (
        f"rename your column to {name!r} or map it with columns={{{name!r}: 'YourName'}}; "
        f"the frame has {shown}{more}"
    )


def _rename(
    frame: AnyFrame, schema: TableSchema, columns: Mapping[str, str]
) -> tuple[AnyFrame, list[Problem], dict[str, str]]:
    unknown = [k for k in columns if k not in schema.names]
    if unknown:
        raise ValueError(
            f"columns maps unknown canonical names {unknown} for the {schema.name} table; "
            f"known names: {list(schema.names)}"
        )
    present = frame.collect_schema().names()
    problems: list[Problem] = []
    renames: dict[str, str] = {}
    for canonical, source in columns.items():
        if source == canonical:
            continue
        if source not in present:
            problems.append(
                Problem(
                    canonical,
                    f"is mapped to {source!r}, which is not in the frame",
                    0,
                    (),
                    _missing_fix(canonical, present),
                )
            )
        elif canonical in present:
            problems.append(
                Problem(
                    canonical,
                    f"is mapped to {source!r} but the frame also has a column named {canonical!r}",
                    0,
                    (),
                    f"drop or rename the existing {canonical!r} column first",
                    source,
                )
            )
        else:
            renames[source] = canonical
    if renames and not problems:
        frame = frame.rename(renames)
    sources = {canonical: columns.get(canonical, canonical) for canonical in schema.names}
    return frame, problems, sources


def _run_checks(frame: AnyFrame, schema: TableSchema, columns: Mapping[str, str]) -> _Outcome:
    frame, problems, sources = _rename(frame, schema, columns)
    if problems:
        report = ValidationReport(schema.name, 0, {}, 0, tuple(problems))
        return _Outcome(frame, (), {}, report, tuple(problems), {})
    dtypes = frame.collect_schema()
    present = list(dtypes.names())
    for name in schema.required:
        if name not in present:
            problems.append(
                Problem(
                    name,
                    "is required but missing",
                    0,
                    (),
                    _missing_fix(name, present),
                    sources[name],
                )
            )
    rules: list[_RowRule] = []
    casts: dict[str, nw.Expr] = {}
    for spec in schema.columns:
        if spec.name not in present:
            continue
        plan = _coerce.plan(
            spec.kind, spec.name, dtypes[spec.name], frame.implementation, required=spec.required
        )
        if plan.problem is not None:
            problems.append(Problem(spec.name, plan.problem, 0, (), plan.fix, sources[spec.name]))
            continue
        if plan.parse is not None:
            frame = _coerce.add_parsed(frame, spec.name, plan.parse)
        casts[spec.name] = plan.final
        rules.extend(_column_rules(spec, plan))
    if "kind" in schema.names and {"kind", "score"} <= set(casts):
        rules.append(_nps_rule(casts["score"]))
    if schema.unique and not problems:
        rules.extend(_unique_rule(name) for name in schema.unique if name in casts)
    counts, rows_in, rows_bad = _count(frame, rules)
    failing = [r for r in rules if counts[r.key]]
    row_problems = [
        Problem(r.column, r.rule, counts[r.key], _examples(frame, r), r.fix, sources[r.column])
        for r in failing
    ]
    report = ValidationReport(
        schema.name,
        rows_in,
        {r.key: counts[r.key] for r in failing},
        rows_bad,
        tuple(problems + row_problems),
    )
    return _Outcome(frame, tuple(rules), counts, report, tuple(problems), casts)


def _column_rules(spec: ColumnSpec, plan: _coerce.Plan) -> list[_RowRule]:
    rules: list[_RowRule] = []
    value = plan.final
    original = nw.col(spec.name)
    if plan.parse is not None:
        what = "a datetime" if spec.kind == "datetime" else "a number"
        rules.append(
            _RowRule(
                spec.name,
                f"could not be parsed as {what}",
                "repair or remove these values, or parse the column yourself before validating",
                value.is_null() & ~original.is_null(),
                spec.name,
            )
        )
    if spec.required:
        missing = original.is_null()
        if spec.kind == "float":
            # NaN counts as missing; in pandas NaN already is null, so a failed parse
            # (NaN there too) is left to the parse rule rather than counted twice.
            missing = missing | (value.is_nan() & ~value.is_null()).fill_null(value=False)
        rules.append(
            _RowRule(
                spec.name,
                "must not be missing",
                "fill in or remove these rows (invalid='drop' removes them)",
                missing,
                spec.name,
            )
        )
    if spec.kind == "float":
        rules.append(
            _RowRule(
                spec.name,
                "must be finite",
                "remove or repair infinite values",
                _is_inf(value),
                spec.name,
            )
        )
    return rules


def _is_nan(value: nw.Expr) -> nw.Expr:
    # NaN is a missing value for every backend (pandas conflates the two already).
    return value.is_nan().fill_null(value=True)


def _is_inf(value: nw.Expr) -> nw.Expr:
    return (value.abs() == float("inf")).fill_null(value=False)


def _nps_rule(score: nw.Expr) -> _RowRule:
    is_nps = (nw.col("kind") == NPS_KIND).fill_null(value=False)
    bad_value = (score < 0) | (score > 10) | (score.round(0) != score)
    broken = is_nps & (score.is_null() | _is_nan(score) | bad_value.fill_null(value=True))
    return _RowRule(
        "score",
        f"where kind is {NPS_KIND!r}, must be an integer from 0 to 10",
        "NPS answers are whole numbers 0-10; remove or repair these rows",
        broken,
        "score",
    )


def _unique_rule(name: str) -> _RowRule:
    duplicated = (nw.len().over(name) > 1) & ~nw.col(name).is_null()
    return _RowRule(
        name,
        "must be unique",
        "remove duplicate rows or merge them (invalid='drop' drops every row of a duplicated id)",
        duplicated,
        name,
    )


def _count(frame: AnyFrame, rules: Sequence[_RowRule]) -> tuple[dict[str, int], int, int]:
    aggs = [nw.len().alias("__rows")]
    aggs += [
        r.mask.fill_null(value=False).cast(nw.Int64).sum().alias(f"__r{i}")
        for i, r in enumerate(rules)
    ]
    if rules:
        anybad = nw.any_horizontal(*(r.mask for r in rules), ignore_nulls=True)
        aggs.append(anybad.fill_null(value=False).cast(nw.Int64).sum().alias("__any"))
    if any(r.rule == "must be unique" for r in rules):
        # window expressions cannot be aggregated directly on every backend
        helper = {f"__m{i}": r.mask.fill_null(value=False) for i, r in enumerate(rules)}
        flags = frame.with_columns(**helper)
        aggs = [nw.len().alias("__rows")]
        aggs += [nw.col(f"__m{i}").cast(nw.Int64).sum().alias(f"__r{i}") for i in range(len(rules))]
        anyflag = nw.any_horizontal(*(nw.col(k) for k in helper), ignore_nulls=True)
        aggs.append(anyflag.cast(nw.Int64).sum().alias("__any"))
        row = collect(flags.select(*aggs)).row(0)
    else:
        row = collect(frame.select(*aggs)).row(0)
    values = [int(v or 0) for v in row]
    counts = {r.key: values[i + 1] for i, r in enumerate(rules)}
    bad = values[-1] if rules else 0
    return counts, values[0], bad


def _examples(frame: AnyFrame, rule: _RowRule) -> tuple[object, ...]:
    if rule.rule == "must be unique":
        flagged = frame.with_columns(__flag=rule.mask).filter(nw.col("__flag"))
        values = collect(flagged.select(rule.shown).unique().head(_MAX_EXAMPLES))
    else:
        values = collect(
            frame.filter(rule.mask.fill_null(value=False)).select(rule.shown).head(_MAX_EXAMPLES)
        )
    return tuple(_plain(v) for v in values[rule.shown].to_list())


def _plain(value: object) -> object:
    """Examples as plain Python objects, so messages read the same on every backend."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return item()
        except (TypeError, ValueError):  # pragma: no cover - exotic scalars
            return value
    return value


def _finalise(frame: AnyFrame, casts: Mapping[str, nw.Expr]) -> AnyFrame:
    names = [n for n in frame.collect_schema().names() if not _coerce.is_helper(n)]
    exprs = [casts[n].alias(n) if n in casts else nw.col(n) for n in names]
    return frame.select(*exprs)
