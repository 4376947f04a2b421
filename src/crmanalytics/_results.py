"""Result types shared by every analysis (public as :class:`crmanalytics.ConfidenceInterval`).

Statistical results are frozen dataclasses in the manner of :mod:`scipy.stats`; an
interval estimate is always the one :class:`ConfidenceInterval` type, a named tuple
``(low, high)`` as scipy's own, so ``low, high = result.confidence_interval`` works
for intervals from NPS, model parameters or rule metrics alike.

In tables, an interval on a column ``x`` is always the pair of columns ``x_low`` and
``x_high`` (``nps_low``, ``clv_high``, ``estimate_low``); the level is the function's
``confidence`` (95% unless said otherwise).

Examples
--------
>>> from crmanalytics import ConfidenceInterval
>>> low, high = ConfidenceInterval(low=-2.5, high=7.5)
>>> low, high
(-2.5, 7.5)
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["ConfidenceInterval", "interval_columns"]


class ConfidenceInterval(NamedTuple):
    """A two-sided interval estimate, ``(low, high)``; unpacks like scipy's.

    Parameters
    ----------
    low : float
        Lower bound.
    high : float
        Upper bound (``high >= low``).

    Examples
    --------
    >>> from crmanalytics import ConfidenceInterval
    >>> ci = ConfidenceInterval(10.0, 30.0)
    >>> ci.low, ci.high
    (10.0, 30.0)
    >>> low, high = ci
    >>> ci.width, ci.contains(25)
    (20.0, True)
    """

    low: float
    high: float

    @property
    def width(self) -> float:
        """Distance between the bounds.

        Returns
        -------
        float
            ``high - low``.

        Examples
        --------
        >>> from crmanalytics import ConfidenceInterval
        >>> ConfidenceInterval(-1.0, 3.0).width
        4.0
        """
        return self.high - self.low

    def contains(self, value: float) -> bool:
        """Tell whether a number lies within the closed interval.

        (``value in ci`` is a tuple's membership test, as for any named tuple.)

        Examples
        --------
        >>> from crmanalytics import ConfidenceInterval
        >>> ConfidenceInterval(-1.0, 3.0).contains(4.0)
        False
        """
        return bool(self.low <= value <= self.high)


def interval_columns(name: str) -> tuple[str, str]:
    """The names of the interval columns for a column ``name``: ``name_low, name_high``.

    Examples
    --------
    >>> from crmanalytics._results import interval_columns
    >>> interval_columns("clv")
    ('clv_low', 'clv_high')
    """
    return f"{name}_low", f"{name}_high"
