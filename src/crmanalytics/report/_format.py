"""Small helpers the report's sections share: money, product labels, complete periods."""

from __future__ import annotations

import pandas as pd

from crmanalytics._frames import to_day_number
from crmanalytics._periods import Period, is_partial, period_of_day, period_start

__all__ = ["CompleteSpan", "complete_span", "money", "money_label", "product_names"]

_SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€", "JPY": "¥", "INR": "₹"}


def money(value: float, currency: str | None, *, decimals: int = 0) -> str:
    """A sum of money as text: ``£1,234`` for GBP, ``1,234 CHF`` for other codes.

    Examples
    --------
    >>> from crmanalytics.report._format import money
    >>> money(1234.5, "GBP"), money(1234.5, "CHF", decimals=2), money(-3, None)
    ('£1,234', '1,234.50 CHF', '-3')
    """
    text = f"{abs(value):,.{decimals}f}"
    sign = "-" if value < 0 else ""
    if currency is None:
        return f"{sign}{text}"
    symbol = _SYMBOLS.get(currency.upper())
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency.upper()}"


def money_label(what: str, currency: str | None) -> str:
    """An axis or column label for money: ``revenue (GBP)``.

    Examples
    --------
    >>> from crmanalytics.report._format import money_label
    >>> money_label("revenue", "GBP"), money_label("revenue", None)
    ('revenue (GBP)', 'revenue')
    """
    return f"{what} ({currency.upper()})" if currency else what


def product_names(transactions: pd.DataFrame) -> dict[object, str]:
    """Each ``product_id``'s most frequent ``product_name`` (empty without names).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.report._format import product_names
    >>> tx = pd.DataFrame({"product_id": [1, 1, 1, 2],
    ...                    "product_name": ["MUG", "MUG ", "MUG", None]})
    >>> product_names(tx)
    {1: 'MUG'}
    """
    if not {"product_id", "product_name"} <= set(transactions.columns):
        return {}
    pairs = transactions[["product_id", "product_name"]].dropna()
    if pairs.empty:
        return {}
    counts = pairs.value_counts(sort=False).reset_index(name="n")
    # most lines first, then the name in alphabetical order for a stable tie-break
    counts = counts.sort_values(["product_id", "n", "product_name"], ascending=[True, False, True])
    first = counts.drop_duplicates("product_id")
    return {
        k: str(v).strip() for k, v in zip(first["product_id"], first["product_name"], strict=True)
    }


class CompleteSpan:
    """The calendar periods the data cover in full, and a note on those left out."""

    def __init__(
        self,
        start: pd.Timestamp,
        end: pd.Timestamp,
        first_note: str | None = None,
        last_note: str | None = None,
    ) -> None:
        self.start = start  # first instant of the first complete period
        self.end = end  # first instant after the last complete period
        self.first_note = first_note
        self.last_note = last_note

    @property
    def notes(self) -> list[str]:
        """The notes on partial periods left out, first then last."""
        return [n for n in (self.first_note, self.last_note) if n is not None]

    def clip(self, frame: pd.DataFrame, column: str = "timestamp") -> pd.DataFrame:
        """Rows whose ``column`` falls in complete periods."""
        keep = (frame[column] >= self.start) & (frame[column] < self.end)
        return frame.loc[keep]

    def clip_end(self, frame: pd.DataFrame, column: str = "timestamp") -> pd.DataFrame:
        """Rows before the end of the last complete period (a partial first one is kept)."""
        return frame.loc[frame[column] < self.end]


_NAMES = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}
_FORMATS = {"D": "%Y-%m-%d", "W": "week of %Y-%m-%d", "M": "%B %Y", "Q": "%Y-%m", "Y": "%Y"}


def complete_span(first: pd.Timestamp, last: pd.Timestamp, period: Period) -> CompleteSpan:
    """Complete periods between two days, with a note for each partial end.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.report._format import complete_span
    >>> span = complete_span(pd.Timestamp("2010-12-01"), pd.Timestamp("2011-12-09"), "M")
    >>> span.start, span.end
    (Timestamp('2010-12-01 00:00:00'), Timestamp('2011-12-01 00:00:00'))
    >>> print(span.notes[0])
    December 2011 is left out: the data end on 2011-12-09, so the month is incomplete.
    """
    first_day, last_day = to_day_number(first), to_day_number(last)
    first_period = period_of_day(first_day, period)
    last_period = period_of_day(last_day, period)
    epoch = pd.Timestamp("1970-01-01")
    name = _NAMES[period]
    first_note = last_note = None
    start_period = first_period
    if is_partial(first_period, period, first_day, last_day):
        start_period += 1
        began = epoch + pd.Timedelta(days=period_start(first_period, period))
        first_note = (
            f"{began:{_FORMATS[period]}} is left out: the data begin on {first:%Y-%m-%d}, "
            f"so the {name} is incomplete."
        )
    end_period = last_period + 1
    if is_partial(last_period, period, first_day, last_day):
        end_period = last_period
        began = epoch + pd.Timedelta(days=period_start(last_period, period))
        last_note = (
            f"{began:{_FORMATS[period]}} is left out: the data end on {last:%Y-%m-%d}, "
            f"so the {name} is incomplete."
        )
    start = epoch + pd.Timedelta(days=period_start(start_period, period))
    end = epoch + pd.Timedelta(days=period_start(end_period, period))
    return CompleteSpan(start, end, first_note, last_note)
