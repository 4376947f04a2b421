"""Reading the report's input files and the ``--columns`` option."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from crmanalytics.errors import CRMError


class InputError(CRMError, ValueError):
    """An input file or command-line option cannot be used."""


def read_table(path: str | Path, *, what: str) -> pd.DataFrame:
    """Read a CSV or Parquet file into pandas, with a clear error if that fails."""
    file = Path(path)
    if not file.exists():
        raise InputError(f"The {what} file {str(file)!r} does not exist. Check the path.")
    suffix = file.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(file)
        if suffix in (".csv", ".txt", ".gz"):
            return pd.read_csv(file)
    except Exception as exc:  # any reader failure becomes one readable message
        raise InputError(
            f"The {what} file {str(file)!r} could not be read as {suffix[1:]} "
            f"({type(exc).__name__}: {exc}). Check that it is a valid file of that format."
        ) from exc
    raise InputError(
        f"The {what} file {str(file)!r} has the extension {suffix!r}; use a .csv or .parquet file."
    )


def parse_columns(text: str | None) -> Mapping[str, str]:
    """Parse ``customer_id=CustomerID,timestamp=InvoiceDate`` into a mapping."""
    if not text:
        return {}
    mapping: dict[str, str] = {}
    for item in text.split(","):
        canonical, sep, source = item.partition("=")
        if not sep or not canonical.strip() or not source.strip():
            raise InputError(
                f"--columns expects canonical=YourColumn pairs separated by commas, "
                f"got {item!r}; for example --columns customer_id=CustomerID,"
                f"timestamp=InvoiceDate"
            )
        mapping[canonical.strip()] = source.strip()
    return mapping
