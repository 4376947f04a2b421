"""Mapping of the UCI Online Retail export onto the canonical transaction schema."""

from __future__ import annotations

import warnings
from importlib import resources
from typing import Any, Literal

import numpy as np
import pandas as pd

from crmanalytics._frames import collect, from_native
from crmanalytics.errors import DataQualityWarning, Problem, SchemaError, ValidationReport
from crmanalytics.schema import validate_transactions

__all__ = ["NON_PRODUCT_CODES", "load_online_retail", "map_online_retail"]

#: Stock codes of the Online Retail export that are not merchandise (compared without
#: regard to case): postage (``POST``, ``DOT`` = dotcom postage, ``C2`` = carriage),
#: manual adjustments (``M``), discounts (``D``), samples (``S``), fees and charges
#: (``BANK CHARGES``, ``AMAZONFEE``, ``CRUK`` = Cancer Research UK commission) and bad
#: debt adjustments (``B``). Gift vouchers (codes starting with ``gift_``) are not
#: products either.
NON_PRODUCT_CODES: frozenset[str] = frozenset(
    {"POST", "DOT", "C2", "M", "D", "S", "BANK CHARGES", "AMAZONFEE", "CRUK", "B"}
)
_GIFT_PREFIX = "GIFT_"
_RAW_COLUMNS = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)


#: Online Retail's columns mapped onto the canonical transaction schema, for
#: ``columns=`` or a report's ``[columns]`` table (``amount`` is then computed as
#: ``quantity * unit_price``).
ONLINE_RETAIL_COLUMNS: dict[str, str] = {
    "customer_id": "CustomerID",
    "timestamp": "InvoiceDate",
    "transaction_id": "InvoiceNo",
    "product_id": "StockCode",
    "product_name": "Description",
    "quantity": "Quantity",
    "unit_price": "UnitPrice",
}


def load_online_retail() -> pd.DataFrame:
    """Load the bundled sample of the UCI Online Retail export, exactly as exported.

    Every line of 1,000 customers drawn at random, and every line of the same share of
    guest-checkout invoices (no ``CustomerID``), from the UCI "Online Retail" data set:
    a UK-based online gift retailer, 2010-12-01 to 2011-12-09. Values are unchanged, so
    the sample is as messy as the full export: guest lines, cancellations (invoice
    numbers starting with ``C``, negative quantities), zero prices and codes that are
    not products (:data:`NON_PRODUCT_CODES`). Map it with :func:`map_online_retail`, or
    validate it with ``columns=ONLINE_RETAIL_COLUMNS`` and ``invalid="drop"``.

    Returns
    -------
    pandas.DataFrame
        135,234 lines with the export's columns: ``InvoiceNo``, ``StockCode``,
        ``Description`` (str), ``Quantity`` (int), ``InvoiceDate`` (datetime),
        ``UnitPrice`` (float, GBP), ``CustomerID`` (float, missing for guests),
        ``Country`` (str).

    Notes
    -----
    Data by Daqing Chen, Sai Liang Sain and Kun Guo (2012), published in the UCI Machine
    Learning Repository under the Creative Commons Attribution 4.0 International licence
    (CC BY 4.0). The sample ships inside the package as a gzip-compressed CSV (about
    1.9 MB); ``tools/make_online_retail_sample.py`` in the source repository makes it.

    Examples
    --------
    >>> from crmanalytics.datasets import load_online_retail
    >>> raw = load_online_retail()
    >>> raw.shape
    (135234, 8)
    >>> int(raw["CustomerID"].nunique())
    1000
    >>> str(raw["InvoiceDate"].min()), str(raw["InvoiceDate"].max())
    ('2010-12-01 08:45:00', '2011-12-09 12:21:00')
    """
    source = resources.files("crmanalytics.datasets") / "data" / "online_retail_sample.csv.gz"
    text = {"InvoiceNo": "str", "StockCode": "str", "Description": "str", "Country": "str"}
    with resources.as_file(source) as path:
        raw = pd.read_csv(
            path,
            dtype={**text, "Quantity": "int64", "UnitPrice": "float64", "CustomerID": "float64"},
            compression="gzip",
        )
    raw["InvoiceDate"] = pd.to_datetime(raw["InvoiceDate"], format="%Y-%m-%d %H:%M")
    return raw


def map_online_retail(raw: Any, *, invalid: Literal["raise", "drop"] = "raise") -> pd.DataFrame:
    """Map the raw UCI Online Retail export onto canonical transactions.

    One output row per invoice line, with these rules:

    * ``customer_id`` is ``CustomerID`` as an integer (the export stores it as a float).
    * ``timestamp`` is ``InvoiceDate``; ``transaction_id`` is ``InvoiceNo``;
      ``product_id`` is ``StockCode``; ``quantity`` is ``Quantity`` (float).
    * ``amount`` is ``Quantity * UnitPrice``. Cancellations (invoice numbers starting
      with ``C``) have negative quantities, so they become negative amounts, which the
      canonical schema reads as returns; ``is_cancellation`` marks them.
    * Lines with a zero price are kept (amount 0: free samples, replacements).
    * ``is_product`` is False for stock codes in :data:`NON_PRODUCT_CODES` and for
      gift vouchers (``gift_...``); those lines are kept so revenue still adds up;
      filter on ``is_product`` for basket or sequence analyses.
    * ``description`` and ``country`` are carried along as extra columns.
    * Lines without a ``CustomerID`` (guest checkouts, about a quarter of the rows)
      cannot be attributed to a customer. By default they are reported as a
      :class:`~crmanalytics.errors.SchemaError`; with ``invalid="drop"`` they
      are dropped and a :class:`~crmanalytics.errors.DataQualityWarning` says how many,
      with the counts in its ``report``.

    Parameters
    ----------
    raw : dataframe
        The export with its original columns (``InvoiceNo``, ``StockCode``,
        ``Description``, ``Quantity``, ``InvoiceDate``, ``UnitPrice``, ``CustomerID``,
        ``Country``), as pandas or any frame narwhals reads (a lazy frame is collected:
        the result is a pandas frame). It is not modified.
    invalid : {"raise", "drop"}, default "raise"
        What to do with lines that have no ``CustomerID`` (and with any line that breaks
        another rule of the canonical schema: the result goes through
        :func:`~crmanalytics.schema.validate_transactions` with the same option).

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``timestamp``, ``amount``, ``transaction_id``, ``product_id``,
        ``quantity``, ``description``, ``country``, ``is_cancellation``, ``is_product``;
        rows in the export's order, with the export's index.

    Raises
    ------
    SchemaError
        When columns are missing, or when lines have no customer and
        ``invalid="raise"`` (the message gives the count, example invoices
        and the fix).
    ValueError
        When ``invalid`` is not ``"raise"`` or ``"drop"``.

    Warns
    -----
    DataQualityWarning
        With ``invalid="drop"``, when lines were dropped.

    References
    ----------
    Chen, D., Sain, S. L. and Guo, K. (2012), "Data mining for the online retail
    industry: a case study of RFM model-based customer segmentation using data mining",
    *Journal of Database Marketing and Customer Strategy Management* 19(3). Data from
    the UCI Machine Learning Repository, CC BY 4.0.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.datasets import map_online_retail
    >>> raw = pd.DataFrame({
    ...     "InvoiceNo": ["536365", "C536379", "536380"],
    ...     "StockCode": ["85123A", "85123A", "POST"],
    ...     "Description": ["WHITE HANGING HEART", "WHITE HANGING HEART", "POSTAGE"],
    ...     "Quantity": [6, -1, 1],
    ...     "InvoiceDate": pd.to_datetime(["2010-12-01 08:26", "2010-12-01 09:41",
    ...                                    "2010-12-01 09:45"]),
    ...     "UnitPrice": [2.55, 2.55, 18.0],
    ...     "CustomerID": [17850.0, 17850.0, None],
    ...     "Country": ["United Kingdom"] * 3,
    ... })
    >>> map_online_retail(raw)
    Traceback (most recent call last):
    ...
    crmanalytics.errors.SchemaError: online retail: 1 problem found
    ...
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     tx = map_online_retail(raw, invalid="drop")
    >>> str(caught[0].message)
    'map_online_retail: dropped 1 of 3 lines without a CustomerID'
    >>> tx[["customer_id", "amount", "is_cancellation", "is_product"]]
       customer_id  amount  is_cancellation  is_product
    0        17850   15.30            False        True
    1        17850   -2.55             True        True
    """
    if invalid not in ("raise", "drop"):
        raise ValueError(f"invalid must be 'raise' or 'drop', got {invalid!r}")
    frame = _as_pandas(raw)
    absent = [name for name in _RAW_COLUMNS if name not in frame.columns]
    if absent:
        raise SchemaError(
            "online retail",
            [
                Problem(name, "is required but missing", 0, fix="pass the export's columns")
                for name in absent
            ],
        )
    no_customer = frame["CustomerID"].isna().to_numpy()
    if no_customer.any():
        frame = _missing_customers(frame, no_customer, invalid)
    invoice = frame["InvoiceNo"].astype("string")
    code = frame["StockCode"].astype("string")
    upper = code.str.upper()
    quantity = frame["Quantity"].astype("float64")
    mapped = pd.DataFrame(
        {
            "customer_id": frame["CustomerID"].astype("int64"),
            "timestamp": frame["InvoiceDate"],
            "amount": quantity * frame["UnitPrice"].astype("float64"),
            "transaction_id": frame["InvoiceNo"],
            "product_id": frame["StockCode"],
            "quantity": quantity,
            "description": frame["Description"],
            "country": frame["Country"],
            "is_cancellation": invoice.str.startswith("C").fillna(value=False).astype(bool),
            "is_product": ~(upper.isin(NON_PRODUCT_CODES) | upper.str.startswith(_GIFT_PREFIX))
            .fillna(value=False)
            .astype(bool),
        },
        index=frame.index,
    )
    return validate_transactions(mapped, invalid=invalid)


def _as_pandas(raw: Any) -> pd.DataFrame:
    if isinstance(raw, pd.DataFrame):
        return raw
    return collect(from_native(raw)).to_pandas()


def _missing_customers(
    frame: pd.DataFrame, no_customer: np.ndarray[Any, Any], how: str
) -> pd.DataFrame:
    """Raise for, or drop with a warning, the lines that have no CustomerID."""
    count = int(no_customer.sum())
    examples = tuple(pd.unique(frame["InvoiceNo"].to_numpy()[no_customer])[:5].tolist())
    problem = Problem(
        "customer_id",
        "must not be null (lines of guest checkouts belong to no customer; the examples "
        "are their InvoiceNo)",
        count,
        examples,
        fix="pass invalid='drop' to drop them with a DataQualityWarning, or fill CustomerID first",
        source_column="CustomerID",
    )
    if how == "raise":
        raise SchemaError("online retail", [problem])
    report = ValidationReport(
        "transactions",
        rows_in=len(frame),
        dropped={"customer_id is null": count},
        rows_dropped=count,
        problems=(problem,),
    )
    warnings.warn(
        DataQualityWarning(
            f"map_online_retail: dropped {count} of {len(frame)} lines without a CustomerID",
            report,
        ),
        stacklevel=3,
    )
    return frame.loc[~no_customer]
