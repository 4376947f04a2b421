"""Same-basket association rules through mlxtend's FP-growth.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.association import basket_rules
>>> tx = pd.DataFrame({
...     "customer_id": [7, 7, 8, 8, 9],
...     "timestamp": pd.to_datetime(["2024-05-01"] * 5),
...     "amount": [2.0, 3.0, 2.0, 3.0, 1.0],
...     "transaction_id": [1, 1, 2, 2, 3],
...     "product_id": ["bread", "butter", "bread", "butter", "milk"],
... })
>>> rules = basket_rules(tx, min_support=0.5)
>>> sorted((sorted(a), sorted(c)) for a, c in zip(rules["antecedents"], rules["consequents"]))
[(['bread'], ['butter']), (['butter'], ['bread'])]
>>> rules["lift"].tolist()
[1.5, 1.5]
"""

from __future__ import annotations

import warnings
from typing import Any, cast

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd

from crmanalytics._frames import collect, is_lazy, result_like, to_native
from crmanalytics.association._common import check_fraction, validated
from crmanalytics.errors import DataQualityWarning

__all__ = ["basket_rules"]

_METRICS = (
    "support",
    "confidence",
    "lift",
    "leverage",
    "conviction",
    "zhangs_metric",
    "jaccard",
    "certainty",
    "kulczynski",
    "representativity",
    "antecedent support",
    "consequent support",
)


def basket_rules(
    transactions: Any,
    *,
    item: str = "product_id",
    basket: str = "transaction_id",
    min_support: float = 0.01,
    metric: str = "lift",
    min_threshold: float = 1.0,
    max_len: int | None = None,
) -> Any:
    """Find rules between items bought in the same basket (FP-growth, via mlxtend).

    The baskets are one-hot encoded as a sparse pandas frame (``SparseDtype(bool)``),
    frequent itemsets are mined with :func:`mlxtend.frequent_patterns.fpgrowth` and the
    rules built by :func:`mlxtend.frequent_patterns.association_rules`. The result has
    mlxtend's columns and numbers; support is a fraction of baskets.

    Parameters
    ----------
    transactions : dataframe
        Canonical transactions (checked by
        :func:`~crmanalytics.schema.validate_transactions`), one row per line item, with
        the ``basket`` and ``item`` columns, in any backend.
        Rows with a null item or basket are ignored (with a
        :class:`~crmanalytics.errors.DataQualityWarning`).
    item : str, default "product_id"
        The column whose values are the items.
    basket : str, default "transaction_id"
        The column identifying a basket (an order, an invoice, a visit).
    min_support : float in (0, 1], default 0.01
        Minimum fraction of baskets containing an itemset.
    metric : str, default "lift"
        The metric ``min_threshold`` applies to: any of mlxtend's (``"support"``,
        ``"confidence"``, ``"lift"``, ``"leverage"``, ``"conviction"``,
        ``"zhangs_metric"``, ``"jaccard"``, ``"certainty"``, ``"kulczynski"``,
        ``"representativity"``, ``"antecedent support"``, ``"consequent support"``).
    min_threshold : float, default 1.0
        Rules with ``metric < min_threshold`` are left out.
    max_len : int, optional
        Largest itemset size mined.

    Returns
    -------
    dataframe
        For pandas input, mlxtend's rules frame as is: ``antecedents`` and
        ``consequents`` are frozensets, followed by ``antecedent support``,
        ``consequent support``, ``support``, ``confidence``, ``lift``,
        ``representativity``, ``leverage``, ``conviction``, ``zhangs_metric``,
        ``jaccard``, ``certainty`` and ``kulczynski``, in mlxtend's row order.
        Other backends get the same table in their own frame type (lazy in, lazy
        out) with the itemsets as sorted lists.

    Raises
    ------
    SchemaError
        When the transactions break the canonical schema or lack the basket or item
        column.
    ValueError
        For a threshold out of range or an unknown metric.

    Notes
    -----
    The distinct ``(basket, item)`` pairs are computed in the caller's engine and then
    collected -- this step must collect -- to build the sparse one-hot matrix. mlxtend is
    imported only when this function runs.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.association import basket_rules
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 2, 2, 3],
    ...     "timestamp": pd.to_datetime(["2024-05-01"] * 6),
    ...     "amount": [3.0, 5.0, 3.0, 5.0, 4.0, 4.0],
    ...     "transaction_id": ["t1", "t1", "t2", "t2", "t2", "t3"],
    ...     "product_id": ["tea", "cup", "tea", "cup", "jam", "jam"],
    ... })
    >>> rules = basket_rules(tx, min_support=0.5, metric="confidence", min_threshold=0.9)
    >>> sorted((sorted(a), sorted(c)) for a, c in zip(rules["antecedents"], rules["consequents"]))
    [(['cup'], ['tea']), (['tea'], ['cup'])]
    >>> rules["confidence"].tolist()
    [1.0, 1.0]
    """
    from mlxtend.frequent_patterns import association_rules, fpgrowth

    frame = validated(transactions, (basket, item), purpose="basket_rules")
    if basket == item:
        raise ValueError("basket and item must be different columns")
    min_support = check_fraction(min_support, "min_support")
    if min_support <= 0:
        raise ValueError("min_support must be greater than 0 for FP-growth")
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {', '.join(_METRICS)}; got {metric!r}")
    if max_len is not None and max_len < 1:
        raise ValueError(f"max_len must be at least 1, got {max_len}")

    nulls = collect(
        frame.select((nw.col(item).is_null() | nw.col(basket).is_null()).cast(nw.Int64).sum())
    )
    n_null = int(nulls.item())
    if n_null:
        warnings.warn(
            DataQualityWarning(
                f"{n_null} transaction rows have no {item!r} or {basket!r} value and were ignored"
            ),
            stacklevel=2,
        )
    pairs = collect(
        frame.filter(~nw.col(item).is_null() & ~nw.col(basket).is_null())
        .select(nw.col(basket).alias("basket"), nw.col(item).alias("item"))
        .unique()
    )
    onehot = _sparse_onehot(pairs["basket"].to_numpy(), pairs["item"].to_numpy())
    if onehot.shape[0] == 0:
        itemsets = pd.DataFrame({"support": [], "itemsets": []})
    else:
        itemsets = fpgrowth(onehot, min_support=min_support, use_colnames=True, max_len=max_len)
    if itemsets.empty:
        rules = _empty_rules()
    else:
        # mlxtend divides by zero for some metrics (certainty of a sure rule) and masks it.
        with np.errstate(divide="ignore", invalid="ignore"):
            rules = association_rules(
                itemsets,
                num_itemsets=onehot.shape[0],
                metric=metric,
                min_threshold=min_threshold,
            )
    if frame.implementation.is_pandas() and not is_lazy(frame):
        return rules
    as_lists = rules.copy()
    for column in ("antecedents", "consequents"):
        as_lists[column] = pd.Series(
            [sorted(s) for s in rules[column]], index=rules.index, dtype=object
        )
    out = nw.from_native(as_lists, eager_only=True)
    if is_lazy(frame):
        return result_like(out, frame)
    return to_native(nw.from_arrow(out, backend=frame.implementation))


def _sparse_onehot(baskets: np.ndarray[Any, Any], items: np.ndarray[Any, Any]) -> pd.DataFrame:
    """Sparse boolean basket x item frame; items sorted where they sort."""
    from scipy import sparse

    row, _ = pd.factorize(baskets)
    try:
        col, labels = pd.factorize(items, sort=True)
    except TypeError:
        col, labels = pd.factorize(items)
    # built as uint8 (pandas 2.2 deprecates a 0 fill value for a bool matrix), then
    # cast to the sparse bool dtype mlxtend expects
    matrix = sparse.csr_matrix(
        (np.ones(row.size, dtype=np.uint8), (row, col)),
        shape=(int(row.max()) + 1 if row.size else 0, len(labels)),
    )
    onehot: pd.DataFrame = cast(Any, pd.DataFrame).sparse.from_spmatrix(
        # Python values as names: mlxtend turns numpy scalars into ints, which fails
        # for numpy strings (np.str_ items in an object column)
        matrix,
        columns=pd.Index([v.item() if isinstance(v, np.generic) else v for v in labels]),
    )
    return onehot.astype(pd.SparseDtype(bool, fill_value=False))


def _empty_rules() -> pd.DataFrame:
    columns = ["antecedents", "consequents", "antecedent support", "consequent support"]
    columns += ["support", "confidence", "lift", "representativity", "leverage"]
    columns += ["conviction", "zhangs_metric", "jaccard", "certainty", "kulczynski"]
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
    return frame.astype({"antecedents": object, "consequents": object})
