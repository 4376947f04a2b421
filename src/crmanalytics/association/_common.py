"""Product labels and item-list results shared by the association analyses (internal).

* :func:`product_names`: the most frequent ``product_name`` of each ``product_id``,
  when the transactions carry names;
* :func:`sorted_items`: one itemset as a sorted list, the representation every rule
  table uses on every backend;
* :func:`lists_to_caller`: a result holding list columns, in the caller's frame type
  (Python lists in pandas, list columns elsewhere).

Examples
--------
>>> from crmanalytics.association._common import sorted_items
>>> sorted_items(frozenset({"b", "a"}))
['a', 'b']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt
import pandas as pd
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._frames import AnyFrame, collect, from_native, is_lazy, to_caller

__all__ = ["item_dtype", "lists_to_caller", "names_of", "product_names", "sorted_items"]

_N = "__crm_name_rows"


def product_names(frame: AnyFrame, item: str, items: Sequence[Any]) -> dict[Any, str] | None:
    """The most frequent ``product_name`` of each product in ``items``, or ``None``.

    Names exist only when ``item`` is ``"product_id"`` and the transactions have a
    ``product_name`` column. Ties between names go to the alphabetically first; a
    product whose rows have no name is absent from the result. Only the distinct
    ``(product, name)`` pairs with their counts are collected.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics._frames import from_native
    >>> from crmanalytics.association._common import product_names
    >>> tx = from_native(pd.DataFrame({"product_id": [1, 1, 1, 2],
    ...                                "product_name": ["Mug", "mug", "Mug", None]}))
    >>> product_names(tx, "product_id", [1, 2])
    {1: 'Mug'}
    """
    if item != "product_id" or "product_name" not in frame.collect_schema().names():
        return None
    wanted = [v for v in items if v is not None]
    counts = collect(
        frame.filter(nw.col("product_id").is_in(wanted) & ~nw.col("product_name").is_null())
        .select("product_id", nw.col("product_name").cast(nw.String))
        .group_by("product_id", "product_name")
        .agg(nw.len().alias(_N))
    )
    rows = zip(
        counts["product_id"].to_list(),
        counts["product_name"].to_list(),
        counts[_N].to_list(),
        strict=True,
    )
    best: dict[Any, tuple[int, str]] = {}
    for product, name, n in rows:
        current = best.get(product)
        if current is None or (-n, name) < (-current[0], current[1]):
            best[product] = (int(n), str(name))
    return {product: name for product, (_, name) in best.items()}


def names_of(values: Iterable[Any], names: Mapping[Any, str]) -> list[str | None]:
    """Look up the name of each item value (``None`` where there is none).

    Examples
    --------
    >>> from crmanalytics.association._common import names_of
    >>> names_of(["a", "b"], {"a": "Apple"})
    ['Apple', None]
    """
    return [names.get(v) for v in values]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def sorted_items(itemset: Iterable[Any]) -> list[Any]:
    """An itemset as a sorted list of plain Python values (by text where types mix).

    Examples
    --------
    >>> from crmanalytics.association._common import sorted_items
    >>> sorted_items({3, 1})
    [1, 3]
    """
    values = [_plain(v) for v in itemset]
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=repr)


def item_dtype(dtype: Any, values: Sequence[Any]) -> Any:
    """The narwhals dtype for item values: the column's own, or String for text.

    An untyped (object) column of strings gives ``String``; other untyped columns give
    ``None`` (let the backend infer).

    Examples
    --------
    >>> import narwhals.stable.v2 as nw
    >>> from crmanalytics.association._common import item_dtype
    >>> item_dtype(nw.Object(), ["a"]) == nw.String, item_dtype(nw.Int64(), [1]) == nw.Int64
    (True, True)
    """
    if not isinstance(dtype, nw.Object | nw.Unknown):
        return dtype
    if all(isinstance(v, str) for v in values if v is not None):
        return nw.String()
    return None


def lists_to_caller(
    data: Mapping[str, Sequence[Any] | npt.NDArray[Any]],
    dtypes: Mapping[str, Any],
    caller: IntoFrameT,
) -> IntoFrameT:
    """A small result in the caller's type; columns whose dtype is a List hold lists.

    A pandas caller gets list columns as Python lists (object dtype) and a fresh
    index; Polars and PyArrow get native list columns, built in their own backend;
    lazy callers get the result built in Polars (Polars lazy) or PyArrow and moved
    into their engine.

    Examples
    --------
    >>> import narwhals.stable.v2 as nw
    >>> import pandas as pd
    >>> from crmanalytics.association._common import lists_to_caller
    >>> out = lists_to_caller({"items": [["a", "b"]]}, {"items": nw.List(nw.String())},
    ...                       pd.DataFrame({"x": [0]}))
    >>> out["items"][0]
    ['a', 'b']
    """
    like = from_native(caller)
    lazy = is_lazy(like)
    if like.implementation.is_pandas() and not lazy:
        frame = pd.DataFrame(
            {
                name: (
                    pd.Series([list(v) for v in values], dtype=object)
                    if isinstance(dtypes.get(name), nw.List)
                    else pd.Series(values, dtype=_pandas_dtype(values))
                )
                for name, values in data.items()
            }
        )
        return to_caller(nw.from_native(frame, eager_only=True), caller)
    backend: Any = like.implementation
    if lazy:
        polars = like.implementation.is_polars()
        backend = nw.Implementation.POLARS if polars else nw.Implementation.PYARROW
    series = {
        name: nw.new_series(
            name,
            list(values) if isinstance(dtypes.get(name), nw.List) else values,
            dtype=dtypes.get(name),
            backend=backend,
        )
        for name, values in data.items()
    }
    return to_caller(nw.from_dict(series, backend=backend), caller)


def _pandas_dtype(values: Sequence[Any] | npt.NDArray[Any]) -> Any:
    """Object for a list of Python values (strings, ids), the array's own otherwise."""
    return None if isinstance(values, np.ndarray) else object
