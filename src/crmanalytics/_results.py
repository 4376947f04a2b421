"""Result types shared by every analysis.

Statistical results are frozen dataclasses in the manner of :mod:`scipy.stats`; an
interval estimate is always the one :class:`ConfidenceInterval` type, so a caller can
handle intervals from NPS, model parameters or rule metrics the same way.

Examples
--------
>>> from crmanalytics._results import ConfidenceInterval
>>> ci = ConfidenceInterval(low=-2.5, high=7.5)
>>> ci.width
10.0
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ConfidenceInterval"]


@dataclass(frozen=True)
class ConfidenceInterval:
    """A two-sided interval estimate.

    Parameters
    ----------
    low : float
        Lower bound.
    high : float
        Upper bound (``high >= low``).

    Examples
    --------
    >>> from crmanalytics._results import ConfidenceInterval
    >>> ci = ConfidenceInterval(10.0, 30.0)
    >>> ci.low, ci.high
    (10.0, 30.0)
    >>> 25 in ci
    True
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
        >>> from crmanalytics._results import ConfidenceInterval
        >>> ConfidenceInterval(-1.0, 3.0).width
        4.0
        """
        return self.high - self.low

    def __contains__(self, value: object) -> bool:
        """Tell whether a number lies within the closed interval.

        Examples
        --------
        >>> from crmanalytics._results import ConfidenceInterval
        >>> 4.0 in ConfidenceInterval(-1.0, 3.0)
        False
        """
        if not isinstance(value, int | float):
            return False
        return self.low <= value <= self.high
