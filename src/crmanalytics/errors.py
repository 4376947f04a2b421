"""Exceptions and warnings raised by crmanalytics.

Every error the library raises on purpose derives from :class:`CRMError`, so a caller
can catch the library's own failures in one ``except`` clause without swallowing
unrelated bugs.

Examples
--------
>>> from crmanalytics.errors import CRMError, SchemaError
>>> issubclass(SchemaError, CRMError) and issubclass(SchemaError, ValueError)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "CRMError",
    "ConvergenceError",
    "DataQualityWarning",
    "NotFittedError",
    "Problem",
    "SchemaError",
    "SparkCollectError",
    "ValidationReport",
]


class CRMError(Exception):
    """Base class of every exception raised by crmanalytics.

    Examples
    --------
    >>> from crmanalytics.errors import CRMError, NotFittedError
    >>> isinstance(NotFittedError("fit first"), CRMError)
    True
    """


@dataclass(frozen=True)
class Problem:
    """One broken rule found while validating a table.

    Parameters
    ----------
    column : str
        The canonical column name (for example ``"timestamp"``).
    rule : str
        The rule that is broken, in plain words.
    rows : int
        How many rows break it (0 for a rule about the whole column, such as a
        missing column or a wrong type).
    examples : tuple
        Up to five offending values.
    fix : str
        What the caller can do about it.
    source_column : str or None
        The caller's name for the column, when it differs from the canonical name.

    Examples
    --------
    >>> from crmanalytics.errors import Problem
    >>> p = Problem("amount", "must be finite", 2, ("inf", "nan"), "remove or repair")
    >>> print(p.describe())
    column 'amount': must be finite (2 rows; examples: 'inf', 'nan'). Fix: remove or repair.
    """

    column: str
    rule: str
    rows: int
    examples: tuple[object, ...] = ()
    fix: str = ""
    source_column: str | None = None

    def describe(self) -> str:
        """Return the problem as one readable sentence.

        Returns
        -------
        str
            Column (and the caller's name), rule, row count, examples and fix.

        Examples
        --------
        >>> from crmanalytics.errors import Problem
        >>> Problem("customer_id", "is required but missing", 0).describe()
        "column 'customer_id': is required but missing."
        """
        name = f"column {self.column!r}"
        if self.source_column is not None and self.source_column != self.column:
            name += f" (your column {self.source_column!r})"
        text = f"{name}: {self.rule}"
        details = []
        if self.rows:
            details.append(f"{self.rows} row{'s' if self.rows != 1 else ''}")
        if self.examples:
            details.append("examples: " + ", ".join(repr(e) for e in self.examples))
        if details:
            text += " (" + "; ".join(details) + ")"
        text += "."
        if self.fix:
            text += f" Fix: {self.fix}."
        return text


class SchemaError(CRMError, ValueError):
    """Input data does not satisfy the canonical schema.

    The message lists every broken rule at once; :attr:`problems` holds them as
    :class:`Problem` records for programmatic use.

    Parameters
    ----------
    table : str
        Which table was being validated (``"transactions"`` ...).
    problems : sequence of Problem
        Every rule that failed.

    Examples
    --------
    >>> from crmanalytics.errors import Problem, SchemaError
    >>> err = SchemaError("transactions", [Problem("amount", "must be finite", 1, (float("inf"),))])
    >>> err.problems[0].column
    'amount'
    >>> print(err)
    transactions: 1 problem found
      - column 'amount': must be finite (1 row; examples: inf).
    """

    def __init__(self, table: str, problems: Sequence[Problem]) -> None:
        self.table = table
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        lines = [f"{table}: {count} problem{'s' if count != 1 else ''} found"]
        lines += [f"  - {p.describe()}" for p in self.problems]
        super().__init__("\n".join(lines))


class NotFittedError(CRMError, ValueError, AttributeError):
    """A model was used before ``fit`` was called.

    Examples
    --------
    >>> from crmanalytics.errors import NotFittedError
    >>> issubclass(NotFittedError, AttributeError)
    True
    """


class ConvergenceError(CRMError, RuntimeError):
    """A model fit did not converge to a usable optimum.

    The message says what was tried and what to change (for example a penalizer or
    the time unit).

    Examples
    --------
    >>> from crmanalytics.errors import ConvergenceError
    >>> str(ConvergenceError("try penalizer=0.001"))
    'try penalizer=0.001'
    """


class SparkCollectError(CRMError, RuntimeError):
    """A PySpark result never reached Python: the driver died or stopped serving it.

    Raised instead of waiting forever when the driver's thread that serves results to
    Python dies (typically of ``OutOfMemoryError``), the Spark context stops, or no job
    of the collection runs for two minutes; the collection's jobs are cancelled first.
    The message says what to change (for example ``spark.driver.memory``).

    Examples
    --------
    >>> from crmanalytics.errors import CRMError, SparkCollectError
    >>> issubclass(SparkCollectError, CRMError)
    True
    """


@dataclass(frozen=True)
class ValidationReport:
    """What validation found and, with ``invalid="drop"``, what it removed.

    Parameters
    ----------
    table : str
        The table that was validated.
    rows_in : int
        Rows in the input.
    dropped : dict of str to int
        Rows removed, counted by reason (a row breaking two rules is counted under
        each, and once in :attr:`rows_dropped`).
    rows_dropped : int
        Distinct rows removed.
    problems : tuple of Problem
        Every broken rule, whether or not it led to dropped rows.
    notes : tuple of str
        What validation did besides checking, in words (for example that ``amount``
        was computed as ``quantity * unit_price``).

    Examples
    --------
    >>> from crmanalytics.errors import ValidationReport
    >>> r = ValidationReport("transactions", 10, {"customer_id is null": 2}, 2, ())
    >>> r.rows_out
    8
    """

    table: str
    rows_in: int
    dropped: dict[str, int] = field(default_factory=dict)
    rows_dropped: int = 0
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def rows_out(self) -> int:
        """Rows left after dropping.

        Returns
        -------
        int
            ``rows_in - rows_dropped``.

        Examples
        --------
        >>> from crmanalytics.errors import ValidationReport
        >>> ValidationReport("customers", 3).rows_out
        3
        """
        return self.rows_in - self.rows_dropped


class DataQualityWarning(UserWarning):
    """Data was set aside or looks suspicious, but the analysis could go on.

    When validation drops rows the warning carries the :class:`ValidationReport`
    as :attr:`report`, so nothing is lost silently.

    Examples
    --------
    >>> import warnings
    >>> from crmanalytics.errors import DataQualityWarning
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn(DataQualityWarning("2 rows dropped"), stacklevel=1)
    >>> caught[0].category.__name__
    'DataQualityWarning'
    """

    def __init__(self, message: str, report: ValidationReport | None = None) -> None:
        super().__init__(message)
        self.report = report
