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

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt
import pandas as pd
from narwhals.stable.v2.typing import IntoFrame, IntoFrameT

from crmanalytics._checks import is_int, renamed_numeric
from crmanalytics._frames import collect, from_native, renamed
from crmanalytics.association._common import (
    item_dtype,
    lists_to_caller,
    names_of,
    product_names,
    sorted_items,
)
from crmanalytics.errors import Problem, SchemaError
from crmanalytics.schema import TRANSACTIONS

__all__ = ["next_best_items"]

_CUST, _ITEM = "__crm_customer", "__crm_item"
#: Rule columns read from sequential rules (one item a side) and basket rules (itemsets).
_SEQUENTIAL = ("antecedent", "consequent")
_BASKET = ("antecedents", "consequents")
_RULE_NAMES = {"antecedent_name", "consequent_name", "antecedent_names", "consequent_names"}


def next_best_items(
    history: IntoFrameT,
    rules: IntoFrame,
    *,
    columns: Mapping[str, str] | None = None,
    k: int = 5,
    item: str = "product_id",
    by: Literal["confidence", "lift"] = "confidence",
) -> IntoFrameT:
    """Recommend, per customer, the top-``k`` items the rules point to from their purchases.

    A rule ``A -> B`` *applies* to customer ``c`` when ``c`` bought every item of ``A``
    (one item for sequential rules, an itemset for basket rules). A candidate is any
    item of ``B`` of an applying rule that the customer never bought. Its score is the
    **largest** ``by`` value (confidence by default) over those rules, so an item is
    recommended on the strength of its best supporting rule. Candidates are ranked by
    score, then by the other measure (lift or confidence), then by the position of
    their best rule in ``rules`` (earlier first), then by the item (several items of
    one basket rule's consequents).

    Parameters
    ----------
    history : dataframe
        Purchases with ``customer_id`` and the ``item`` column (e.g. the transactions
        the rules were mined from), any backend. An optional ``product_name`` column
        names the products (see Returns).
    rules : dataframe
        Either sequential rules (``antecedent``, ``consequent``, ``confidence``,
        ``lift``), such as :func:`~crmanalytics.association.sequential_rules` returns,
        or basket rules (``antecedents``, ``consequents`` as lists or sets of items,
        ``confidence``, ``lift``), such as
        :func:`~crmanalytics.association.basket_rules` returns, on any backend.
    columns : mapping of str to str, optional
        Expected name to your column name, for either frame, e.g.
        ``{"customer_id": "cid", "antecedent": "from"}``. The mapping given to the
        other analyses can be reused: entries for transaction columns this function
        does not read are ignored.
    k : int, default 5
        Recommendations per customer at most.
    item : str, default "product_id"
        The item column of ``history``; its values must match the rules' items.
    by : {"confidence", "lift"}
        The score.

    Returns
    -------
    dataframe
        In the type of ``history`` (lazy in, lazy out; pandas with a fresh ``0..n-1``
        index): ``customer_id``, ``rank`` (1 = best), ``item``, ``score`` and the
        purchase whose rule gave the score: ``antecedent`` (an item) for sequential
        rules, ``antecedents`` (a sorted list of items) for basket rules. Sorted by
        customer id and rank; customers without any candidate have no rows. When
        product names are known (a ``product_name`` column in ``history`` with
        ``item="product_id"``, else the rules' ``consequent_name`` or
        ``consequent_names``), an ``item_name`` column follows.

    Raises
    ------
    SchemaError
        When a needed column is missing from ``history`` or ``rules``, or a rule
        measure is not numeric.
    ValueError
        For ``k < 1`` or an unknown ``by``.

    Notes
    -----
    The rules and the distinct ``(customer, item)`` purchases of the rules' items are
    collected (this step must collect), then scored with numpy and scipy's sparse
    matrices.

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

    Basket rules, whose antecedents are itemsets, work the same way:

    >>> baskets = pd.DataFrame({"antecedents": [["pot", "tea"]], "consequents": [["cup"]],
    ...                         "confidence": [0.8], "lift": [3.0]})
    >>> next_best_items(history, baskets)
      customer_id  rank item  score antecedents
    0           x     1  cup    0.8  [pot, tea]
    """
    if not is_int(k) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if by not in ("confidence", "lift"):
        raise ValueError(f"by must be 'confidence' or 'lift', got {by!r}")
    mapping = dict(columns or {})
    # one mapping for both frames: the history reads these; the rules never read a
    # transactions column, so the mapping given to the other analyses can be reused
    history_names = {"customer_id", item, "product_name"}
    frame = renamed(
        history,
        columns={c: v for c, v in mapping.items() if c in history_names},
        needs=["customer_id", item],
        table="history",
        purpose="next_best_items",
    )
    ignored = history_names | set(TRANSACTIONS.names)
    rule_map = {c: v for c, v in mapping.items() if c not in ignored}
    present = set(from_native(rules).columns) | set(rule_map)
    basket = _BASKET[0] in present and _SEQUENTIAL[0] not in present
    ante_col, cons_col = _BASKET if basket else _SEQUENTIAL
    rule_frame = collect(
        renamed_numeric(
            rules,
            columns=rule_map,
            needs=[ante_col, cons_col, "confidence", "lift"],
            numeric=["confidence", "lift"],
            table="rules",
            purpose="next_best_items",
            fix="pass the output of sequential_rules or basket_rules, or map your columns "
            "with columns={'confidence': ...}",
        )
    )
    antecedents = _itemsets(rule_frame[ante_col].to_list(), ante_col, single=not basket)
    consequents = _itemsets(rule_frame[cons_col].to_list(), cons_col, single=not basket)
    # codes in item order: the items of one rule tie on everything else and rank so
    wanted = sorted_items(dict.fromkeys(v for items in antecedents + consequents for v in items))
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
    tie = "lift" if by == "confidence" else "confidence"
    customer, rank, cand, score, rule = _recommend(
        cust_codes.astype(np.int64),
        np.array([lookup[v] for v in bought[_ITEM].to_list()], dtype=np.int64),
        antecedents=[[lookup[v] for v in items] for items in antecedents],
        consequents=[[lookup[v] for v in items] for items in consequents],
        score=rule_frame[by].to_numpy().astype(np.float64),
        tie=rule_frame[tie].to_numpy().astype(np.float64),
        n_items=len(wanted),
        k=k,
    )
    items = [wanted[c] for c in cand]
    dtype = item_dtype(frame.collect_schema()[item], wanted)
    data: dict[str, Any] = {
        "customer_id": bought[_CUST][_first_rows(cust_codes)[customer]].to_list(),
        "rank": rank,
        "item": items,
        "score": score,
    }
    dtypes: dict[str, Any] = {"customer_id": bought.schema[_CUST], "item": dtype}
    if basket:
        data["antecedents"] = [antecedents[r] for r in rule]
        dtypes["antecedents"] = nw.List(dtype) if dtype is not None else None
    else:
        data["antecedent"] = [antecedents[r][0] for r in rule]
        dtypes["antecedent"] = dtype
    names = product_names(frame, item, wanted)
    if names is None:
        names = _rule_names(rule_frame, basket, consequents)
    if names is not None:
        data["item_name"] = names_of(items, names)
        dtypes["item_name"] = nw.String()
    return lists_to_caller(data, dtypes, history)


def _itemsets(values: Sequence[Any], column: str, *, single: bool) -> list[list[Any]]:
    """Each rule side as a sorted list of items (a one-item list for sequential rules)."""
    if single:
        return [[v] for v in values]
    bad = [v for v in values if isinstance(v, str | bytes) or not isinstance(v, Iterable)]
    if bad:
        raise SchemaError(
            "rules",
            [
                Problem(
                    column,
                    "must hold lists (or sets) of items",
                    len(bad),
                    tuple(bad[:5]),
                    "pass the output of basket_rules, or name single items in "
                    "'antecedent'/'consequent' columns",
                )
            ],
        )
    return [sorted_items(v) for v in values]


def _rule_names(
    rules: nw.DataFrame[Any], basket: bool, consequents: list[list[Any]]
) -> dict[Any, str] | None:
    """Item names carried by the rules themselves (their consequent name columns)."""
    column = "consequent_names" if basket else "consequent_name"
    if column not in rules.columns:
        return None
    found: dict[Any, str] = {}
    for items, names in zip(consequents, rules[column].to_list(), strict=True):
        labels = names if basket else [names]
        for value, name in zip(items, labels or [], strict=False):
            if name is not None:
                found.setdefault(value, name)
    return found


def _first_rows(codes: npt.NDArray[np.intp]) -> npt.NDArray[np.int64]:
    """Row of the first occurrence of each code ``0..max``."""
    if codes.size == 0:
        return np.zeros(0, dtype=np.int64)
    _, first = np.unique(codes, return_index=True)
    return first.astype(np.int64)


def _recommend(
    customer: npt.NDArray[np.int64],
    item: npt.NDArray[np.int64],
    *,
    antecedents: list[list[int]],
    consequents: list[list[int]],
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
    """Top-k unbought consequent items per customer (numpy and scipy.sparse kernel).

    ``customer``/``item`` are the distinct purchases as codes. A rule applies to a
    customer who owns all of its antecedent items: the sparse product of the
    customer x item purchase matrix and the item x rule antecedent matrix counts the
    antecedent items each customer owns. Returns customer code, rank (from 1), item
    code, score and the index of the best rule.
    """
    from scipy import sparse

    n_rules = len(antecedents)
    empty = np.zeros(0, dtype=np.int64)
    if customer.size == 0 or n_rules == 0:
        return empty, empty.copy(), empty.copy(), np.zeros(0), empty.copy()
    n_customers = int(customer.max()) + 1
    owned = sparse.csr_matrix(
        (np.ones(customer.size, dtype=np.int64), (customer, item)), shape=(n_customers, n_items)
    )
    ante_sets = [sorted(set(a)) for a in antecedents]
    sizes = np.array([len(a) for a in ante_sets], dtype=np.int64)
    ante_rule = np.repeat(np.arange(n_rules), sizes)
    ante_item = np.array([i for a in ante_sets for i in a], dtype=np.int64)
    needs = sparse.csc_matrix(
        (np.ones(ante_item.size, dtype=np.int64), (ante_item, ante_rule)),
        shape=(n_items, n_rules),
    )
    hits = sparse.coo_matrix(owned @ needs)
    applies = (hits.data == sizes[hits.col]) & (sizes[hits.col] > 0)
    cust, rule = hits.row[applies].astype(np.int64), hits.col[applies].astype(np.int64)
    # Expand each applying rule into its consequent items.
    cons_size = np.array([len(c) for c in consequents], dtype=np.int64)
    cons_start = np.concatenate(([0], np.cumsum(cons_size)))
    cons_item = np.array([i for c in consequents for i in c], dtype=np.int64)
    n_cand = cons_size[rule]
    offsets = np.cumsum(n_cand) - n_cand
    at = np.arange(int(n_cand.sum())) + np.repeat(cons_start[rule] - offsets, n_cand)
    cust, rule, cand = np.repeat(cust, n_cand), np.repeat(rule, n_cand), cons_item[at]
    # Drop candidates the customer already bought.
    key = cust * n_items + cand
    fresh = ~np.isin(key, customer * n_items + item)
    cust, cand, rule, key = cust[fresh], cand[fresh], rule[fresh], key[fresh]
    # Best rule per (customer, item): highest score, then tie-breaker, then the rule
    # listed first in the rules frame.
    best = np.lexsort((rule, -tie[rule], -score[rule], key))
    first = np.ones(best.size, dtype=bool)
    first[1:] = key[best][1:] != key[best][:-1]
    best = best[first]
    cust, cand, rule = cust[best], cand[best], rule[best]
    # Rank within customer, by the same keys.
    ranking = np.lexsort((rule, -tie[rule], -score[rule], cust))
    cust, cand, rule = cust[ranking], cand[ranking], rule[ranking]
    new = np.ones(cust.size, dtype=bool)
    new[1:] = cust[1:] != cust[:-1]
    group_start = np.maximum.accumulate(np.where(new, np.arange(cust.size), 0))
    rank = np.arange(cust.size) - group_start + 1
    top = rank <= k
    return cust[top], rank[top], cand[top], score[rule][top], rule[top]
