"""Validate the tables, run every section the data allow, write HTML, CSV, Parquet and Excel."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crmanalytics._frames import DateLike
from crmanalytics.errors import DataQualityWarning, ValidationReport
from crmanalytics.report._document import Section, render
from crmanalytics.report._progress import Progress
from crmanalytics.report._quality import QualityRow, flag_transactions, from_validation
from crmanalytics.schema import SCHEMAS, Invalid
from crmanalytics.schema._engine import validate_with_report

__all__ = ["ReportInputs", "build_report", "prepare_inputs"]


@dataclass
class ReportInputs:
    """The validated tables a report is built from, and how to present them.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Canonical transactions.
    customers, interactions : pandas.DataFrame, optional
        Canonical customers and interactions.
    observation_end : date-like, optional
        The day the analysis looks back from (default: the last transaction day).
    title : str
        Page title.
    source : str
        Where the data came from, shown under the title.
    currency : str, optional
        Currency code of the amounts (``"GBP"``); money is then shown with it.
    non_products : sequence of str
        Product ids that are not merchandise (postage, fees); left out of product
        rules. Compared without regard to case; an entry ending in ``*`` is a prefix.
    quality : list of QualityRow
        The data-quality account (filled by :func:`prepare_inputs`).
    validation : list of ValidationReport
        What validating each table found and dropped (filled by :func:`prepare_inputs`).
    notes : list of str
        Lines about the data shown in the overview (for example which parts are
        simulated).
    tables : dict of str to pandas.DataFrame
        Result tables, filled while the report is built.
    campaign_controls : pandas.DataFrame, optional
        The customers deliberately held out of each campaign (``campaign_id``,
        ``customer_id``), for the uplift section. Without it, interactions of kind
        ``"campaign_control"`` with a ``campaign_id`` mark them.

    Examples
    --------
    >>> from crmanalytics.datasets import load_cdnow
    >>> from crmanalytics.report import ReportInputs
    >>> ReportInputs(load_cdnow()).title
    'Customer analytics report'
    """

    transactions: pd.DataFrame
    customers: pd.DataFrame | None = None
    interactions: pd.DataFrame | None = None
    observation_end: DateLike | None = None
    title: str = "Customer analytics report"
    source: str = ""
    currency: str | None = None
    non_products: Sequence[str] = ()
    quality: list[QualityRow] = field(default_factory=list)
    validation: list[ValidationReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    campaign_controls: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def end(self) -> pd.Timestamp:
        """The day the analysis looks back from.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmanalytics.report import ReportInputs
        >>> tx = pd.DataFrame({"customer_id": [1], "amount": [1.0],
        ...                    "timestamp": pd.to_datetime(["2024-05-02 10:00"])})
        >>> ReportInputs(tx).end
        Timestamp('2024-05-02 10:00:00')
        """
        if self.observation_end is not None:
            return pd.Timestamp(self.observation_end)
        return pd.Timestamp(self.transactions["timestamp"].max())


def _mapping_for(frame: pd.DataFrame, columns: Mapping[str, str], table: str) -> dict[str, str]:
    """The part of a column mapping that applies to one table."""
    names = SCHEMAS[table].names
    return {k: v for k, v in columns.items() if k in names and v in frame.columns}


def _parse_dates(
    raw: pd.DataFrame, table: str, mapping: Mapping[str, str], date_format: str | None
) -> pd.DataFrame:
    """Parse the table's text datetime columns with an explicit format (unparsable: null).

    Values that do not match stay as they were (they are not silently emptied), so
    validation still reports them with their text.
    """
    if date_format is None:
        return raw
    parsed: dict[str, pd.Series] = {}
    for spec in SCHEMAS[table].columns:
        source = mapping.get(spec.name, spec.name)
        if spec.kind != "datetime" or source not in raw.columns:
            continue
        column = raw[source]
        if pd.api.types.is_datetime64_any_dtype(column.dtype):
            continue
        values = pd.to_datetime(column, format=date_format, errors="coerce")
        parsed[source] = values.astype(object).where(values.notna(), column)
        if values.notna().sum() == column.notna().sum():
            parsed[source] = values
    return raw.assign(**parsed) if parsed else raw


def _validate(
    raw: pd.DataFrame,
    table: str,
    columns: Mapping[str, str],
    invalid: Invalid,
    reports: list[ValidationReport],
    *,
    date_format: str | None = None,
) -> tuple[pd.DataFrame, list[QualityRow]]:
    mapping = _mapping_for(raw, columns, table)
    raw = _parse_dates(raw, table, mapping, date_format)
    frame, report = validate_with_report(raw, SCHEMAS[table], mapping, invalid)
    reports.append(report)
    return frame, from_validation(report, raw, mapping)


def prepare_inputs(
    transactions: pd.DataFrame,
    *,
    customers: pd.DataFrame | None = None,
    interactions: pd.DataFrame | None = None,
    columns: Mapping[str, str] | None = None,
    observation_end: DateLike | None = None,
    title: str = "Customer analytics report",
    source: str = "",
    invalid: Invalid = "raise",
    currency: str | None = None,
    non_products: Sequence[str] = (),
    notes: Sequence[str] = (),
    date_format: str | None = None,
) -> ReportInputs:
    """Validate raw tables into :class:`ReportInputs` and take the data-quality account.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Raw transactions. Without an ``amount`` column, ``quantity`` and
        ``unit_price`` give it (``amount = quantity * unit_price``).
    customers, interactions : pandas.DataFrame, optional
        Raw customers and interactions.
    columns : mapping of str to str, optional
        Canonical name to the caller's name; each entry applies to every table that has
        the named column.
    observation_end : date-like, optional
        The day the analysis looks back from.
    title, source : str
        Page title and the line under it.
    invalid : {"raise", "drop"}, default "raise"
        As in :func:`~crmanalytics.schema.validate_transactions`: raise on any broken
        rule, or drop the rows that break one (they are listed in the report's
        data-quality section, not warned about).
    currency : str, optional
        Currency code of the amounts, e.g. ``"GBP"``.
    non_products : sequence of str
        Product ids that are not merchandise, left out of product rules.
    notes : sequence of str
        Lines about the data for the overview.
    date_format : str, optional
        A :func:`~datetime.datetime.strptime` format for text date columns that are
        not ISO 8601 (``"%m/%d/%Y %H:%M"`` for ``12/1/2010 8:26``); without it text
        dates are read as ISO 8601.

    Returns
    -------
    ReportInputs

    Raises
    ------
    crmanalytics.errors.SchemaError
        When a table breaks a schema rule (with ``invalid="drop"``: only when a whole
        column is missing or unusable).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.report import prepare_inputs
    >>> raw = pd.DataFrame({"CustomerID": [1, None], "Date": ["2024-01-02"] * 2,
    ...                     "Qty": [2, 1], "Price": [2.5, 4.0]})
    >>> inputs = prepare_inputs(raw, invalid="drop", columns={
    ...     "customer_id": "CustomerID", "timestamp": "Date", "quantity": "Qty",
    ...     "unit_price": "Price"})
    >>> inputs.transactions[["customer_id", "amount"]]
       customer_id  amount
    0            1     5.0
    >>> for row in inputs.quality:
    ...     print(row.action, row.rows, row.rule)
    computed 1 amount was computed as quantity * unit_price (the table has no amount column)
    dropped 1 customer_id: must not be missing (guest checkouts: no customer to attribute them to)
    """
    mapping = dict(columns or {})
    _check_mapping(mapping, [t for t in (transactions, customers, interactions) if t is not None])
    reports: list[ValidationReport] = []
    tx, quality = _validate(
        transactions, "transactions", mapping, invalid, reports, date_format=date_format
    )
    if tx.empty:
        from crmanalytics.errors import Problem, SchemaError

        # nothing left to analyse: the rules that dropped every row are the message
        empty = Problem("(table)", "has no rows", 0, (), "give a table with transactions")
        raise SchemaError("transactions", reports[0].problems or (empty,))
    tx = _whole_ids(tx.reset_index(drop=True))
    quality += flag_transactions(tx, non_products)
    cust = inter = None
    if customers is not None:
        cust, found = _validate(
            customers, "customers", mapping, invalid, reports, date_format=date_format
        )
        quality += found
    if interactions is not None:
        inter, found = _validate(
            interactions, "interactions", mapping, invalid, reports, date_format=date_format
        )
        inter = _whole_ids(inter)
        quality += found
    return ReportInputs(
        tx,
        cust,
        inter,
        observation_end,
        title,
        source,
        currency=currency,
        non_products=tuple(non_products),
        quality=quality,
        validation=reports,
        notes=list(notes),
    )


def _check_mapping(mapping: Mapping[str, str], frames: Sequence[pd.DataFrame]) -> None:
    """A mapped column that no table has is a typo: say so rather than ignore it."""
    from crmanalytics.errors import Problem, SchemaError

    present = {str(c) for frame in frames for c in frame.columns}
    absent = {k: v for k, v in mapping.items() if v not in present}
    if absent:
        raise SchemaError(
            "input",
            [
                Problem(
                    canonical,
                    f"is mapped to {source!r}, which no input table has",
                    0,
                    (),
                    "check the spelling; the tables have " + ", ".join(sorted(present)[:15]),
                )
                for canonical, source in absent.items()
            ],
        )


def _whole_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """Customer ids stored as floats (CSV exports with gaps) shown as the integers they are."""
    ids = frame["customer_id"]
    if pd.api.types.is_float_dtype(ids.dtype) and ids.notna().all():
        values = ids.to_numpy(dtype=float)
        if (values == values.round()).all():
            return frame.assign(customer_id=values.astype("int64"))
    return frame


def build_report(
    inputs: ReportInputs,
    out_dir: str | Path,
    *,
    progress: Progress | None = None,
    xlsx: bool = False,
) -> Path:
    """Run every section the data allow and write the report.

    Writes ``out_dir/index.html`` (one self-contained page with inline figures) and each
    result table as ``out_dir/tables/NAME.csv`` (and ``.parquet`` when pyarrow is
    installed); with ``xlsx=True`` also every table as a sheet of
    ``out_dir/tables.xlsx``. A section the data do not allow (no ``product_id`` for
    sequential rules, no NPS answers, a model that does not converge) says why instead
    of showing results. The sections are :data:`crmanalytics.report.SECTIONS`.

    Parameters
    ----------
    inputs : ReportInputs
        Validated tables, e.g. from :func:`prepare_inputs`.
    out_dir : str or pathlib.Path
        Folder to write into (created if needed).
    progress : Progress, optional
        Where to report steps; silent when omitted.
    xlsx : bool, default False
        Also write the tables as one Excel workbook (needs ``openpyxl``).

    Returns
    -------
    pathlib.Path
        The path of ``index.html``.

    Raises
    ------
    ImportError
        With ``xlsx=True`` when openpyxl is not installed (checked before any work).

    Examples
    --------
    >>> import tempfile
    >>> from crmanalytics.datasets import load_cdnow
    >>> from crmanalytics.report import ReportInputs, build_report
    >>> tx = load_cdnow()
    >>> small = tx[tx["customer_id"] <= 600]
    >>> with tempfile.TemporaryDirectory() as out:
    ...     page = build_report(ReportInputs(small, title="CDNOW"), out)
    ...     print(page.name, (page.parent / "tables" / "rfm.csv").exists())
    index.html True
    """
    from crmanalytics.report._sections import SECTIONS

    if xlsx:
        require_openpyxl()
    out = Path(out_dir)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    tracker = progress or Progress(len(SECTIONS), quiet=True)
    sections: list[Section] = []
    with warnings.catch_warnings():
        # data-quality notes are shown on the page, not as console noise
        warnings.simplefilter("ignore", DataQualityWarning)
        for spec in SECTIONS:
            tracker.step(spec.title)
            sections.append(spec.run(inputs))
    for name, table in inputs.tables.items():
        table.to_csv(out / "tables" / f"{name}.csv", index=False)
        _maybe_parquet(table, out / "tables" / f"{name}.parquet")
    if xlsx:
        write_workbook(inputs.tables, out / "tables.xlsx")
    page = out / "index.html"
    subtitle = inputs.source or "crmanalytics"
    footer = "Made with crmanalytics. Every table is also in the tables/ folder as CSV" + (
        ", Parquet and one Excel workbook (tables.xlsx)." if xlsx else " and Parquet."
    )
    page.write_text(render(inputs.title, subtitle, sections, footer), encoding="utf-8")
    return page


def require_openpyxl() -> None:
    """Raise a clear ImportError unless openpyxl (for ``--xlsx``) is installed.

    Examples
    --------
    >>> from crmanalytics.report._build import require_openpyxl
    >>> require_openpyxl()  # installed with the test extra
    """
    try:
        import openpyxl  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "writing the tables as an Excel workbook needs openpyxl, which is not "
            "installed; install it with: python -m pip install 'crmanalytics[xlsx]'"
        ) from exc


def write_workbook(tables: Mapping[str, pd.DataFrame], path: Path) -> None:
    """Every table as one sheet of an Excel workbook (sheet names cut to 31 characters).

    Written in openpyxl's streaming mode, row by row: several times faster than
    ``DataFrame.to_excel`` for the report's tables.
    """
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for name, table in tables.items():
        sheet = book.create_sheet(title=name[:31])
        sheet.append([str(c) for c in table.columns])
        columns = [_excel_values(table[c]) for c in table.columns]
        for row in zip(*columns, strict=True):
            sheet.append(row)
    book.save(path)


def _excel_values(column: pd.Series) -> list[Any]:
    """Plain Python cells: no time zones, no NaN or infinities (blank), no numpy scalars."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        column = column.dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return [None if pd.isna(v) else v.to_pydatetime() for v in column]
    if pd.api.types.is_float_dtype(column.dtype):
        values = column.to_numpy(dtype=float, na_value=np.nan)
        return [float(v) if np.isfinite(v) else None for v in values]
    if pd.api.types.is_integer_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
        return [None if pd.isna(v) else v.item() if hasattr(v, "item") else v for v in column]
    return [
        None if _missing(v) else v if isinstance(v, int | float | bool) else str(v) for v in column
    ]


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _maybe_parquet(table: pd.DataFrame, path: Path) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:  # pragma: no cover - pyarrow is optional
        return
    table.to_parquet(path, index=False)
