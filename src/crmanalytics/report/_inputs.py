"""Reading the report's input files, the ``--columns`` option and the ``--config`` file."""

from __future__ import annotations

import argparse
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

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


@dataclass(frozen=True)
class Settings:
    """The report command's options after merging the config file and the command line."""

    transactions: str | None
    customers: str | None
    interactions: str | None
    columns: Mapping[str, str]
    invalid: Literal["raise", "drop"]
    observation_end: str | None
    currency: str | None
    non_products: tuple[str, ...]
    title: str | None
    date_format: str | None
    out: str
    xlsx: bool
    demo: bool
    quiet: bool


_PATHS = ("transactions", "customers", "interactions", "out")
_TEXT = ("observation_end", "currency", "title", "invalid", "date_format")
_FLAGS = ("xlsx", "demo", "quiet")
_KEYS = (*_PATHS, *_TEXT, *_FLAGS, "columns", "non_products")


def read_config(path: str | Path) -> dict[str, Any]:
    r"""Read a TOML config file into option values (paths made relative to its folder).

    Keys are the long options (``observation-end`` or ``observation_end``); ``[columns]``
    is a table of canonical names to the file's column names.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from crmanalytics.report._inputs import read_config
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "run.toml").write_text(
    ...     'transactions = "retail.csv"\ninvalid = "drop"\n'
    ...     '[columns]\ncustomer_id = "CustomerID"\n')
    >>> config = read_config(folder / "run.toml")
    >>> config["invalid"], config["columns"], config["transactions"] == str(folder / "retail.csv")
    ('drop', {'customer_id': 'CustomerID'}, True)
    """
    file = Path(path)
    if not file.exists():
        raise InputError(f"The config file {str(file)!r} does not exist. Check the path.")
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"The config file {str(file)!r} is not valid TOML ({exc}).") from exc
    config = {key.replace("-", "_"): item for key, item in raw.items()}
    unknown = sorted(set(config) - set(_KEYS))
    if unknown:
        raise InputError(
            f"The config file {str(file)!r} has unknown keys {unknown}; known keys: "
            f"{', '.join(_KEYS)}."
        )
    columns = config.get("columns", {})
    if isinstance(columns, str):
        columns = dict(parse_columns(columns))
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise InputError(
            "columns in the config file must be a [columns] table of "
            "canonical_name = 'YourColumn' lines."
        )
    config["columns"] = columns
    for key in _PATHS:
        if isinstance(config.get(key), str):
            config[key] = str(file.parent / config[key])
    non_products = config.get("non_products")
    if isinstance(non_products, str):
        config["non_products"] = _split(non_products)
    elif non_products is not None and not isinstance(non_products, list):
        raise InputError("non_products in the config file must be a list of product ids.")
    return config


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def settings(args: argparse.Namespace) -> Settings:
    """Merge the ``--config`` file (if any) with the command line, which wins.

    Examples
    --------
    >>> import argparse
    >>> from crmanalytics.report._inputs import settings
    >>> args = argparse.Namespace(config=None, transactions="t.csv", columns="customer_id=Id",
    ...     customers=None, interactions=None, invalid=None, observation_end=None,
    ...     currency=None, non_products="POST,DOT", title=None, date_format=None, out="out",
    ...     xlsx=None,
    ...     demo=None, quiet=None)
    >>> s = settings(args)
    >>> s.invalid, dict(s.columns), s.non_products, s.xlsx
    ('raise', {'customer_id': 'Id'}, ('POST', 'DOT'), False)
    """
    config = read_config(args.config) if args.config else {}
    given = {key: getattr(args, key, None) for key in _KEYS}
    merged = {key: given[key] if given[key] is not None else config.get(key) for key in _KEYS}
    columns = {**config.get("columns", {}), **parse_columns(given["columns"])}
    invalid: Literal["raise", "drop"] = "raise"
    if merged["invalid"] == "drop":
        invalid = "drop"
    elif merged["invalid"] not in (None, "raise"):
        raise InputError(f"invalid must be 'raise' or 'drop', got {merged['invalid']!r}.")
    non_products = merged["non_products"] or ()
    if isinstance(non_products, str):
        non_products = _split(non_products)
    if not merged["out"]:
        raise InputError("give the folder to write into with --out (or out = ... in --config).")
    return Settings(
        transactions=merged["transactions"],
        customers=merged["customers"],
        interactions=merged["interactions"],
        columns=columns,
        invalid=invalid,
        observation_end=None
        if merged["observation_end"] is None
        else str(merged["observation_end"]),
        currency=merged["currency"],
        non_products=tuple(str(p) for p in non_products),
        title=merged["title"],
        date_format=merged["date_format"],
        out=str(merged["out"]),
        xlsx=bool(merged["xlsx"]),
        demo=bool(merged["demo"]),
        quiet=bool(merged["quiet"]),
    )
