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
>>> sorted(zip(rules["antecedents"], rules["consequents"]))
[(['bread'], ['butter']), (['butter'], ['bread'])]
>>> rules["lift"].tolist()
[1.5, 1.5]
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, cast

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._checks import check_fraction, is_int
from crmanalytics._frames import collect, validated
from crmanalytics.association._common import (
    item_dtype,
    lists_to_caller,
    names_of,
    product_names,
    sorted_items,
)
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
    transactions: IntoFrameT,
    *,
    columns: Mapping[str, str] | None = None,
    item: str = "product_id",
    basket: str = "transaction_id",
    min_support: float = 0.01,
    metric: str = "lift",
    min_threshold: float = 1.0,
    max_len: int | None = None,
) -> IntoFrameT:
    """Find rules between items bought in the same basket (FP-growth, via mlxtend).

    The baskets are one-hot encoded as a sparse pandas frame (``SparseDtype(bool)``),
    frequent itemsets are mined with :func:`mlxtend.frequent_patterns.fpgrowth` and the
    rules built by :func:`mlxtend.frequent_patterns.association_rules`. The result has
    mlxtend's columns and numbers; support is a fraction of baskets. Every backend
    gets the same columns, and each itemset as a sorted list of item values.

    Parameters
    ----------
    transactions : dataframe
        Canonical transactions (checked by
        :func:`~crmanalytics.schema.validate_transactions`), one row per line item, with
        the ``basket`` and ``item`` columns, in any backend.
        Rows with a null item or basket are ignored (with a
        :class:`~crmanalytics.errors.DataQualityWarning`). An optional
        ``product_name`` column labels the products (see Returns).
    columns : mapping of str to str, optional
        Canonical name to your column name, e.g. ``{"transaction_id": "InvoiceNo"}``.
    item : str, default "product_id"
        The column whose values are the items (its canonical name when it is a
        canonical column).
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
        mlxtend's rules table in the caller's frame type (lazy in, lazy out; pandas
        with a fresh ``0..n-1`` index), in mlxtend's row order: ``antecedents`` and
        ``consequents``, each a **sorted list** of item values on every backend
        (Python lists in pandas, list columns in Polars, PyArrow, DuckDB and
        PySpark), followed by ``antecedent support``, ``consequent support``,
        ``support``, ``confidence``, ``lift``, ``representativity``, ``leverage``,
        ``conviction``, ``zhangs_metric``, ``jaccard``, ``certainty`` and
        ``kulczynski``. When the items are products (``item="product_id"``) and the
        transactions have a ``product_name`` column, ``antecedent_names`` and
        ``consequent_names`` follow: lists of each product's most frequent name, in
        the order of the items.

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
    >>> sorted(zip(rules["antecedents"], rules["consequents"]))
    [(['cup'], ['tea']), (['tea'], ['cup'])]
    >>> rules["confidence"].tolist()
    [1.0, 1.0]
    """
    from mlxtend.frequent_patterns import association_rules, fpgrowth

    frame = validated(
        transactions,
        "transactions",
        columns=columns,
        needs=[basket, item],
        purpose="basket_rules",
    )
    if basket == item:
        raise ValueError("basket and item must be different columns")
    min_support = check_fraction(min_support, "min_support")
    if min_support <= 0:
        raise ValueError("min_support must be greater than 0 for FP-growth")
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {', '.join(_METRICS)}; got {metric!r}")
    if max_len is not None and (not is_int(max_len) or max_len < 1):
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
    onehot, item_of = _sparse_onehot(pairs["basket"].to_numpy(), pairs["item"].to_numpy())
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
    antecedents = [sorted_items(item_of[int(c)] for c in s) for s in rules["antecedents"]]
    consequents = [sorted_items(item_of[int(c)] for c in s) for s in rules["consequents"]]
    dtype = item_dtype(frame.collect_schema()[item], pairs["item"].to_list())
    list_type = nw.List(dtype) if dtype is not None else None
    data: dict[str, Any] = {"antecedents": antecedents, "consequents": consequents}
    data |= {c: rules[c].to_numpy(dtype=np.float64) for c in rules.columns if c not in data}
    dtypes: dict[str, Any] = {"antecedents": list_type, "consequents": list_type}
    every = list(dict.fromkeys(v for items in antecedents + consequents for v in items))
    names = product_names(frame, item, every)
    if names is not None:
        for column, sides in (("antecedent", antecedents), ("consequent", consequents)):
            data[f"{column}_names"] = [names_of(itemset, names) for itemset in sides]
            dtypes[f"{column}_names"] = nw.List(nw.String())
    return lists_to_caller(data, dtypes, transactions)


def _sparse_onehot(
    baskets: np.ndarray[Any, Any], items: np.ndarray[Any, Any]
) -> tuple[pd.DataFrame, list[Any]]:
    """Sparse boolean basket x item-code frame and the item of each code.

    Items are coded in sorted order where they sort.
    """
    from scipy import sparse

    try:  # sorted baskets: the same matrix whatever order the engine returned the rows in
        row, _ = pd.factorize(baskets, sort=True)
    except TypeError:
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
    # Column names are the item codes as text: mlxtend rejects sparse frames with
    # integer names (integer items) and calls int() on numpy strings; the rules are
    # mapped back to the items with the returned labels.
    onehot: pd.DataFrame = cast(Any, pd.DataFrame).sparse.from_spmatrix(
        matrix, columns=pd.Index([str(code) for code in range(len(labels))])
    )
    items_of = [v.item() if isinstance(v, np.generic) else v for v in labels]
    return onehot.astype(pd.SparseDtype(bool, fill_value=False)), items_of


def _empty_rules() -> pd.DataFrame:
    columns = ["antecedents", "consequents", "antecedent support", "consequent support"]
    columns += ["support", "confidence", "lift", "representativity", "leverage"]
    columns += ["conviction", "zhangs_metric", "jaccard", "certainty", "kulczynski"]
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
    return frame.astype({"antecedents": object, "consequents": object})
