"""The canonical tables, declared once (internal; import from :mod:`crmanalytics.schema`).

Each table is a :class:`TableSchema` of :class:`ColumnSpec` entries. The validation
engine, the error messages and the schema reference page are generated from these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias

__all__ = [
    "CUSTOMERS",
    "INTERACTIONS",
    "NPS_KIND",
    "SCHEMAS",
    "TRANSACTIONS",
    "ColumnKind",
    "ColumnSpec",
    "TableSchema",
]

#: What a column holds: an identifier kept as given, a datetime, a float, or a string.
ColumnKind: TypeAlias = Literal["id", "datetime", "float", "str"]

#: The ``kind`` of an interaction that carries a Net Promoter Score answer.
NPS_KIND = "nps"


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
        ColumnSpec(
            "unit_price",
            "float",
            False,
            "Price of one unit. When ``amount`` is absent and ``quantity`` and "
            "``unit_price`` are present, ``amount = quantity * unit_price`` (said in the "
            "validation report's notes).",
        ),
        ColumnSpec(
            "product_name",
            "str",
            False,
            "Product name, used to label products in rules, tables and charts.",
        ),
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
