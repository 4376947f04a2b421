"""The validation engine behind :mod:`crmanalytics.schema` (internal).

Renames the caller's columns, plans the coercion of each declared column, turns every
rule into a boolean expression, counts all of them in one aggregate query (so a lazy
frame is scanned once and stays lazy), and either raises a
:class:`~crmanalytics.errors.SchemaError` or filters the offending rows.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, TypeVar

import narwhals.stable.v2 as nw

from crmanalytics import _coerce
from crmanalytics._frames import AnyFrame, collect, from_native
from crmanalytics.errors import DataQualityWarning, Problem, SchemaError, ValidationReport
from crmanalytics.schema._tables import NPS_KIND, ColumnSpec, TableSchema

__all__ = ["Invalid", "missing_fix", "run_checks", "validate", "validate_with_report"]

Invalid: TypeAlias = Literal["raise", "drop"]
_MAX_EXAMPLES = 5
FrameT = TypeVar("FrameT")


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


def validate(
    frame: FrameT,
    schema: TableSchema,
    columns: Mapping[str, str] | None,
    invalid: Invalid,
    *,
    drop_hint: str = "invalid='drop' removes them",
) -> FrameT:
    """Validate ``frame`` against ``schema``; raise or drop as ``invalid`` says.

    ``drop_hint`` is the advice on removing bad rows that error messages give: the
    validators name their own ``invalid='drop'``; analyses, which have no such
    parameter, name the validator to call first.
    """
    result, report = validate_with_report(frame, schema, columns, invalid, drop_hint=drop_hint)
    if report.rows_dropped:
        warnings.warn(DataQualityWarning(_drop_message(report), report=report), stacklevel=3)
    return result


def validate_with_report(
    frame: FrameT,
    schema: TableSchema,
    columns: Mapping[str, str] | None,
    invalid: Invalid,
    *,
    drop_hint: str = "invalid='drop' removes them",
) -> tuple[FrameT, ValidationReport]:
    """As :func:`validate`, but hand back the report instead of warning about drops."""
    if invalid not in ("raise", "drop"):
        raise ValueError(f"invalid must be 'raise' or 'drop', got {invalid!r}")
    was_narwhals = isinstance(frame, nw.DataFrame | nw.LazyFrame)
    outcome = run_checks(from_native(frame), schema, columns or {}, drop_hint=drop_hint)
    report = outcome.report
    if outcome.column_problems or (invalid == "raise" and report.problems):
        problems = report.problems if invalid == "raise" else outcome.column_problems
        raise SchemaError(schema.name, problems)
    result = outcome.frame
    if report.rows_dropped:
        broken = [r.mask for r in outcome.rules if outcome.counts[r.key]]
        result = result.filter(~nw.any_horizontal(*broken, ignore_nulls=True))
    result = _finalise(result, outcome.casts)
    out: Any = result if was_narwhals else nw.to_native(result)
    return out, report


def _drop_message(report: ValidationReport) -> str:
    reasons = "; ".join(f"{reason}: {count}" for reason, count in report.dropped.items())
    notes = "".join(f" Note: {note}." for note in report.notes)
    return (
        f"{report.table}: dropped {report.rows_dropped} of {report.rows_in} rows "
        f"that break the schema ({reasons}).{notes} The full account is in this warning's "
        f".report attribute."
    )


def missing_fix(name: str, present: Sequence[str]) -> str:
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
                    missing_fix(canonical, present),
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


def run_checks(
    frame: AnyFrame,
    schema: TableSchema,
    columns: Mapping[str, str],
    *,
    drop_hint: str = "invalid='drop' removes them",
) -> _Outcome:
    """Rename, plan coercions and count every rule in one query (nothing is raised)."""
    frame, problems, sources = _rename(frame, schema, columns)
    if problems:
        report = ValidationReport(schema.name, 0, {}, 0, tuple(problems))
        return _Outcome(frame, (), {}, report, tuple(problems), {})
    dtypes = frame.collect_schema()
    present = list(dtypes.names())
    derive = _derives_amount(schema, present)
    if derive:
        sources["amount"] = _DERIVED_AMOUNT
    for name in schema.required:
        if name not in present and not (derive and name == "amount"):
            problems.append(
                Problem(
                    name,
                    "is required but missing",
                    0,
                    (),
                    missing_fix(name, present),
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
        rules.extend(_column_rules(spec, plan, drop_hint))
    notes: tuple[str, ...] = ()
    if derive and {"quantity", "unit_price"} <= set(casts):
        frame, amount_rules = _derive_amount(frame, schema, casts, drop_hint)
        rules.extend(amount_rules)
        notes = ("amount was computed as quantity * unit_price (the table has no amount column)",)
    if "kind" in schema.names and {"kind", "score"} <= set(casts):
        rules.append(_nps_rule(casts["score"]))
    if schema.unique and not problems:
        rules.extend(_unique_rule(name, drop_hint) for name in schema.unique if name in casts)
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
        notes=notes,
    )
    return _Outcome(frame, tuple(rules), counts, report, tuple(problems), casts)


_DERIVED_AMOUNT = "quantity * unit_price"


def _derives_amount(schema: TableSchema, present: Sequence[str]) -> bool:
    """Whether ``amount`` is to be computed: absent, with quantity and unit_price given."""
    return (
        "unit_price" in schema.names
        and "amount" not in present
        and ({"quantity", "unit_price"} <= set(present))
    )


def _derive_amount(
    frame: AnyFrame, schema: TableSchema, casts: dict[str, nw.Expr], drop_hint: str
) -> tuple[AnyFrame, list[_RowRule]]:
    """Add ``amount = quantity * unit_price`` and its rules (missing where either is)."""
    frame = frame.with_columns((casts["quantity"] * casts["unit_price"]).alias("amount"))
    spec = schema.column("amount")
    plan = _coerce.Plan(nw.col("amount"))
    casts["amount"] = plan.final
    rules = [
        _RowRule(
            r.column,
            f"{r.rule} (computed as quantity * unit_price)",
            r.fix,
            r.mask,
            r.shown,
        )
        for r in _column_rules(spec, plan, drop_hint)
    ]
    return frame, rules


def _column_rules(spec: ColumnSpec, plan: _coerce.Plan, drop_hint: str) -> list[_RowRule]:
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
                f"fill in or remove these rows ({drop_hint})",
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


def _unique_rule(name: str, drop_hint: str) -> _RowRule:
    duplicated = (nw.len().over(name) > 1) & ~nw.col(name).is_null()
    return _RowRule(
        name,
        "must be unique",
        f"remove duplicate rows or merge them ({drop_hint}, every row of a duplicated id)",
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
