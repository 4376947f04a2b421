"""Next-best-item recommendations from sequential rules.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.association import next_best_items
>>> history = pd.DataFrame({"customer_id": [1, 2], "product_id": ["tent", "stove"]})
>>> rules = pd.DataFrame({"antecedent": ["tent"], "consequent": ["stove"],
...                       "confidence": [0.4], "lift": [2.0]})
>>> next_best_items(history, rules)
   customer_id  rank   item  score antecedent
0            1     1  stove    0.4       tent
"""

from __future__ import annotations

from typing import Any, Literal

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt
import pandas as pd

from crmanalytics._frames import collect, from_native
from crmanalytics.association._common import has_columns, native_result
from crmanalytics.schema import require_columns

__all__ = ["next_best_items"]

_CUST, _ITEM = "__crm_customer", "__crm_item"


def next_best_items(
    history: Any,
    rules: Any,
    *,
    k: int = 5,
    item: str = "product_id",
    by: Literal["confidence", "lift"] = "confidence",
) -> Any:
    """Recommend, per customer, the top-``k`` items the rules point to from their purchases.

    A candidate for customer ``c`` is the consequent ``B`` of any rule ``A -> B`` whose
    antecedent ``A`` the customer bought, provided the customer never bought ``B``. Its
    score is the **largest** ``by`` value (confidence by default) over those rules, so
    an item is recommended on the strength of its best supporting rule. Candidates are
    ranked by score, then by the other measure (lift or confidence), then by the
    position of their best rule in ``rules`` (earlier first).

    Parameters
    ----------
    history : dataframe
        Purchases with ``customer_id`` and the ``item`` column (e.g. the transactions
        the rules were mined from), any backend.
    rules : dataframe
        Rules with ``antecedent``, ``consequent``, ``confidence`` and ``lift`` columns,
        such as the result of :func:`~crmanalytics.association.sequential_rules`.
    k : int, default 5
        Recommendations per customer at most.
    item : str, default "product_id"
        The item column of ``history``; its values must match the rules' items.
    by : {"confidence", "lift"}
        The score.

    Returns
    -------
    dataframe
        In the type of ``history`` (lazy in, lazy out): ``customer_id``, ``rank``
        (1 = best), ``item``, ``score`` and ``antecedent`` (the purchase whose rule gave
        the score), sorted by customer id and rank. Customers without any candidate have
        no rows.

    Raises
    ------
    SchemaError
        When a needed column is missing from ``history`` or ``rules``.
    ValueError
        For ``k < 1`` or an unknown ``by``.

    Notes
    -----
    The distinct ``(customer, item)`` purchases of the rules' items are collected (this
    step must collect), then scored with numpy.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.association import next_best_items
    >>> history = pd.DataFrame({"customer_id": ["x", "x", "y"],
    ...                         "product_id": ["tea", "pot", "tea"]})
    >>> rules = pd.DataFrame({"antecedent": ["tea", "tea", "pot"],
    ...                       "consequent": ["pot", "cup", "cup"],
    ...                       "confidence": [0.5, 0.2, 0.3], "lift": [1.5, 1.1, 2.0]})
    >>> next_best_items(history, rules, k=2)
      customer_id  rank item  score antecedent
    0           x     1  cup    0.3        pot
    1           y     1  pot    0.5        tea
    2           y     2  cup    0.2        tea
    """
    k_given: Any = k
    if isinstance(k_given, bool) or not isinstance(k_given, int | np.integer) or k_given < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if by not in ("confidence", "lift"):
        raise ValueError(f"by must be 'confidence' or 'lift', got {by!r}")
    frame = has_columns(history, "history", ("customer_id", item), purpose="next_best_items")
    rule_frame = collect(from_native(rules))
    require_columns(
        rule_frame,
        "rules",
        ("antecedent", "consequent", "confidence", "lift"),
        purpose="next_best_items",
    )
    tie = "lift" if by == "confidence" else "confidence"
    ante_values = rule_frame["antecedent"].to_list()
    wanted = list(dict.fromkeys(ante_values + rule_frame["consequent"].to_list()))

    bought = collect(
        frame.filter(nw.col(item).is_in(wanted))
        .select(nw.col("customer_id").alias(_CUST), nw.col(item).alias(_ITEM))
        .unique()
    )
    lookup = {value: code for code, value in enumerate(wanted)}
    try:
        cust_codes, _ = pd.factorize(bought[_CUST].to_numpy(), sort=True)
    except TypeError:  # customer ids that do not sort
        cust_codes, _ = pd.factorize(bought[_CUST].to_numpy())
    first_row = _first_rows(cust_codes)
    item_codes = np.array([lookup[v] for v in bought[_ITEM].to_list()], dtype=np.int64)
    ranked = _rank(
        cust_codes.astype(np.int64),
        item_codes,
        antecedent=np.array([lookup[v] for v in ante_values], dtype=np.int64),
        consequent=np.array(
            [lookup[v] for v in rule_frame["consequent"].to_list()], dtype=np.int64
        ),
        score=rule_frame[by].to_numpy().astype(np.float64),
        tie=rule_frame[tie].to_numpy().astype(np.float64),
        n_items=len(wanted),
        k=k,
    )
    customer, rank, cand, score, source = ranked
    label_values = np.empty(len(wanted), dtype=object)
    label_values[:] = wanted
    columns: dict[str, Any] = {
        "customer_id": bought[_CUST][first_row[customer]].alias("customer_id"),
        "rank": rank,
        "item": _items_like(label_values[cand], bought[_ITEM], "item"),
        "score": score,
        "antecedent": _items_like(label_values[source], bought[_ITEM], "antecedent"),
    }
    return native_result(columns, bought, frame)


def _first_rows(codes: npt.NDArray[np.intp]) -> npt.NDArray[np.int64]:
    """Row of the first occurrence of each code ``0..max``."""
    if codes.size == 0:
        return np.zeros(0, dtype=np.int64)
    _, first = np.unique(codes, return_index=True)
    return first.astype(np.int64)


def _items_like(values: npt.NDArray[Any], like: nw.Series[Any], name: str) -> nw.Series[Any]:
    """Build a Series of item values with the dtype of the history's item column."""
    return nw.new_series(name, values.tolist(), dtype=like.dtype, backend=like.implementation)


def _rank(
    customer: npt.NDArray[np.int64],
    item: npt.NDArray[np.int64],
    *,
    antecedent: npt.NDArray[np.int64],
    consequent: npt.NDArray[np.int64],
    score: npt.NDArray[np.float64],
    tie: npt.NDArray[np.float64],
    n_items: int,
    k: int,
) -> tuple[
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.float64],
    npt.NDArray[np.int64],
]:
    """Top-k unbought consequents per customer (numpy kernel).

    Returns customer code, rank (from 1), item code, score and antecedent code.
    """
    # Rules grouped by antecedent, so each purchase expands into its rules.
    order = np.argsort(antecedent, kind="stable")
    ra, rb, rs, rt = antecedent[order], consequent[order], score[order], tie[order]
    start = np.searchsorted(ra, np.arange(n_items), side="left")
    stop = np.searchsorted(ra, np.arange(n_items), side="right")
    n_rules = stop[item] - start[item]
    total = int(n_rules.sum())
    offsets = np.cumsum(n_rules) - n_rules
    rule = np.arange(total) + np.repeat(start[item] - offsets, n_rules)
    cust = np.repeat(customer, n_rules)
    cand = rb[rule]
    # Drop candidates the customer already bought.
    owned = np.unique(customer * n_items + item)
    key = cust * n_items + cand
    fresh = ~np.isin(key, owned)
    cust, cand, rule, key = cust[fresh], cand[fresh], rule[fresh], key[fresh]
    # Best rule per (customer, item): highest score, then tie-breaker, then the rule
    # listed first in the rules frame (its row is order[rule]).
    row = order[rule]
    best = np.lexsort((row, -rt[rule], -rs[rule], key))
    first = np.ones(best.size, dtype=bool)
    first[1:] = key[best][1:] != key[best][:-1]
    best = best[first]
    cust, cand, rule, row = cust[best], cand[best], rule[best], row[best]
    # Rank within customer, by the same keys.
    ranking = np.lexsort((row, -rt[rule], -rs[rule], cust))
    cust, cand, rule = cust[ranking], cand[ranking], rule[ranking]
    new = np.ones(cust.size, dtype=bool)
    new[1:] = cust[1:] != cust[:-1]
    group_start = np.maximum.accumulate(np.where(new, np.arange(cust.size), 0))
    rank = np.arange(cust.size) - group_start + 1
    top = rank <= k
    return cust[top], rank[top], cand[top], rs[rule][top], ra[rule][top]
