"""The one way in for the plots: a result frame, renamed and checked, as pandas.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.plotting._input import read
>>> read(pd.DataFrame({"p": [1]}), columns={"period": "p"}, needs=["period"],
...      table="sales summary", purpose="plot_sales_summary").columns.tolist()
['period']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from crmanalytics._frames import collect, renamed

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["read"]


def read(
    frame: Any,
    *,
    columns: Mapping[str, str] | None,
    needs: Sequence[str],
    table: str,
    purpose: str,
) -> pd.DataFrame:
    """Map the caller's names with ``columns``, check ``needs``, collect to pandas.

    Parameters
    ----------
    frame : dataframe
        The result frame to draw (any backend, eager or lazy).
    columns : mapping of str to str, optional
        Expected column name to the caller's column name.
    needs : sequence of str
        Expected names the plot reads.
    table : str
        What the frame is, for messages.
    purpose : str
        The plotting function's name, for messages.

    Returns
    -------
    pandas.DataFrame
        With the expected names; other columns pass through.

    Raises
    ------
    crmanalytics.errors.SchemaError
        Naming every missing column.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.plotting._input import read
    >>> read(pd.DataFrame({"x": [1]}), columns=None, needs=["x"], table="t",
    ...      purpose="p").shape
    (1, 1)
    """
    checked = renamed(frame, columns=columns, needs=needs, table=table, purpose=purpose)
    return collect(checked).to_pandas()
