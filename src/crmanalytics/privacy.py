"""Pseudonymisation of identifier and personal columns with a keyed hash.

:func:`pseudonymize` replaces every value of the named columns by its HMAC-SHA256
under a secret key, so the same customer gets the same pseudonym in every table and on
every backend (joins keep working), while nobody without the key can recompute or
test a guess.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.privacy import pseudonymize
>>> key = "a secret of at least sixteen bytes"
>>> out = pseudonymize(pd.DataFrame({"customer_id": [12346, 12347]}), "customer_id", key=key)
>>> out["customer_id"].str.len().tolist()
[64, 64]
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import importlib
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._frames import collect, from_native, to_caller
from crmanalytics.errors import CRMError, Problem, SchemaError

__all__ = ["MIN_KEY_BYTES", "InvalidKeyError", "canonical_string", "pseudonymize"]

#: Shortest accepted key, in bytes (128 bits).
MIN_KEY_BYTES = 16

_KEY_COLUMN = "__crm_key"
_HASH_COLUMN = "__crm_pseudonym"


class InvalidKeyError(CRMError, ValueError):
    """The pseudonymisation key is missing, of the wrong type or too short.

    The message never contains the key.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.privacy import InvalidKeyError, pseudonymize
    >>> try:
    ...     pseudonymize(pd.DataFrame({"id": [1]}), "id", key="short")
    ... except InvalidKeyError as err:
    ...     print(str(err)[:42])
    key must be at least 16 bytes long, got 5;
    """


def canonical_string(value: object) -> str | None:
    """Render a value as the text that :func:`pseudonymize` hashes.

    The rules make an id hash the same whatever type a table stored it as:

    * missing values (``None``, NaN, ``pd.NA``, ``NaT``) give ``None`` and stay missing;
    * integers give their decimal digits (``12346``);
    * floats with an integral value give the same digits as the integer
      (``12346.0`` -> ``"12346"``, so Online Retail's float ``CustomerID`` matches an
      integer id elsewhere); other floats give Python's shortest round-trip ``repr``
      (``"0.5"``, ``"inf"``);
    * booleans give ``"true"`` / ``"false"``;
    * dates and datetimes give ISO 8601 (``"2024-01-31T09:30:00"``);
    * strings are used as they are (so the string ``"12346"`` matches the integer too);
    * anything else gives ``str(value)``.

    Parameters
    ----------
    value : object
        One cell.

    Returns
    -------
    str or None

    Examples
    --------
    >>> from crmanalytics.privacy import canonical_string
    >>> canonical_string(12346.0), canonical_string(12346), canonical_string("12346")
    ('12346', '12346', '12346')
    >>> canonical_string(0.1), canonical_string(float("nan"))
    ('0.1', None)
    """
    if _is_missing(value):
        return None
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool | np.bool_):
        text = "true" if value else "false"
    elif isinstance(value, int | np.integer):
        text = str(int(value))
    elif isinstance(value, float | np.floating | Decimal):
        integral = value == int(value) if math.isfinite(value) else False
        text = (
            str(int(value))
            if integral
            else (str(value) if isinstance(value, Decimal) else repr(float(value)))
        )
    elif isinstance(value, dt.date | dt.datetime | dt.time):
        text = value.isoformat()
    else:
        text = str(value)
    return text


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    return isinstance(value, Decimal) and value.is_nan()


def _key_bytes(key: object) -> bytes:
    if key is None:
        raise InvalidKeyError(
            "key is required: pass key=... (str or bytes of at least 16 bytes, e.g. "
            "secrets.token_hex(32)), the same key for every table you want to join"
        )
    if isinstance(key, str):
        raw = key.encode("utf-8")
    elif isinstance(key, bytes | bytearray):
        raw = bytes(key)
    else:
        raise InvalidKeyError(f"key must be str or bytes, got {type(key).__name__}")
    if len(raw) < MIN_KEY_BYTES:
        raise InvalidKeyError(
            f"key must be at least {MIN_KEY_BYTES} bytes long, got {len(raw)}; generate one "
            "with secrets.token_hex(32) and keep it secret"
        )
    return raw


def _pseudonyms(values: Sequence[object], key: bytes) -> list[str | None]:
    out: list[str | None] = []
    for value in values:
        text = canonical_string(value)
        out.append(
            None
            if text is None
            else hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
        )
    return out


def pseudonymize(
    frame: IntoFrameT,
    columns: str | Sequence[str] | Mapping[str, str],
    *,
    key: str | bytes,
) -> IntoFrameT:
    """Replace identifier or personal columns by their keyed HMAC-SHA256.

    Each value is first rendered as text by :func:`canonical_string` (so the integer
    ``12346``, the float ``12346.0`` and the string ``"12346"`` all give the same
    pseudonym), then replaced by the 64-character lower-case hex digest of
    HMAC-SHA256 under ``key``. Missing values stay missing. Use the same key for every
    table that must still join; keep the key secret (without it, a pseudonym cannot be
    recomputed from a guessed id, unlike a plain hash).

    Parameters
    ----------
    frame : dataframe
        pandas, Polars (eager or lazy), PyArrow, DuckDB or another narwhals-supported
        frame. It is not modified.
    columns : str, sequence of str, or mapping of str to str
        The columns to pseudonymise, by your names; the result has them as strings.
        A mapping in the library's ``columns={canonical: yours}`` form names your
        columns by its values (``{"customer_id": "CustomerID"}`` hashes
        ``CustomerID``), so the mapping given to the analyses can be reused; the
        columns keep your names.
    key : str or bytes
        Secret key, at least 16 bytes (a ``str`` is encoded as UTF-8). It is used only
        to compute the digests and never appears in the output, errors or reprs.

    Returns
    -------
    dataframe
        Same type as ``frame``, same columns in the same order, same rows; a lazy
        frame stays lazy; a pandas result keeps the caller's index (the rows are
        the caller's).

    Raises
    ------
    InvalidKeyError
        When ``key`` is missing, not str/bytes or shorter than 16 bytes.
    SchemaError
        When a named column is not in the frame.

    Notes
    -----
    The distinct values of each column are collected (one small query per column, even
    on a lazy frame), hashed in Python with :mod:`hmac`, and mapped back inside the
    frame's engine: ``replace_strict`` for pandas, Polars and PyArrow (row order and
    the pandas index are kept), a join for DuckDB, whose relations have no row order.
    The rest of a lazy query is not executed.

    Examples
    --------
    >>> import hashlib, hmac
    >>> import pandas as pd
    >>> from crmanalytics.privacy import pseudonymize
    >>> key = b"0123456789abcdef0123456789abcdef"
    >>> orders = pd.DataFrame({"customer_id": [12346.0, None], "amount": [10.0, 5.0]})
    >>> out = pseudonymize(orders, "customer_id", key=key)
    >>> out["customer_id"][0] == hmac.new(key, b"12346", hashlib.sha256).hexdigest()
    True
    >>> bool(out["customer_id"].isna()[1])
    True
    >>> orders["customer_id"].tolist()  # the input is untouched
    [12346.0, nan]
    """
    raw_key = _key_bytes(key)
    if isinstance(columns, str):
        names = [columns]
    elif isinstance(columns, Mapping):
        names = list(dict.fromkeys(columns.values()))
    else:
        names = list(columns)
    data = from_native(frame)
    missing = [name for name in names if name not in data.columns]
    if missing:
        raise SchemaError(
            "pseudonymize",
            [
                Problem(
                    name,
                    "is named in columns but not in the frame",
                    0,
                    fix=f"choose among {list(data.columns)}",
                )
                for name in missing
            ],
        )
    duckdb = data.implementation.is_duckdb()
    result: Any = nw.to_native(data) if duckdb else data
    for name in names:
        distinct = collect(data.select(name).unique())[name]
        present = [canonical_string(v) is not None for v in distinct.to_list()]
        keys = [v for v, keep in zip(distinct.to_list(), present, strict=True) if keep]
        hashes = _pseudonyms(keys, raw_key)
        if duckdb:
            result = _duckdb_replace(result, name, distinct.to_arrow(), present, hashes)
        elif not keys:  # nothing but missing values: they stay missing
            result = result.with_columns(nw.col(name).cast(nw.String))
        else:
            result = result.with_columns(
                nw.col(name).replace_strict(keys, hashes, default=None, return_dtype=nw.String)
            )
    if duckdb:
        return result  # type: ignore[no-any-return]
    return to_caller(result, frame, keep_index=True)


def _duckdb_replace(
    relation: Any, name: str, distinct: Any, present: list[bool], hashes: list[str | None]
) -> Any:
    """Join the pseudonyms of column ``name`` onto a DuckDB relation, lazily.

    The mapping is an Arrow table that DuckDB reads through its replacement scan of
    this function's local ``_crm_map``, on the relation's own connection.
    """
    pa: Any = importlib.import_module("pyarrow")
    # read by name by DuckDB's replacement scan in the query below
    _crm_map = pa.table(
        {
            _KEY_COLUMN: distinct.filter(pa.array(present)),
            _HASH_COLUMN: pa.array(hashes, pa.string()),
        }
    )

    def quote(identifier: str) -> str:
        return '"' + identifier.replace('"', '""') + '"'

    select = ", ".join(
        f"m.{_HASH_COLUMN} AS {quote(c)}" if c == name else f"_crm_in.{quote(c)}"
        for c in relation.columns
    )
    sql = (
        f"SELECT {select} FROM _crm_in LEFT JOIN _crm_map AS m "
        f"ON _crm_in.{quote(name)} = m.{_KEY_COLUMN}"
    )
    return relation.query("_crm_in", sql)
