"""Recency, frequency and monetary value per customer, and their quantile scores.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.segmentation import rfm_scores, rfm_table
>>> tx = pd.DataFrame(
...     {
...         "customer_id": [1, 1, 2, 3],
...         "timestamp": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-02-01", "2024-03-05"]),
...         "amount": [20.0, 30.0, 15.0, 80.0],
...     }
... )
>>> rfm_scores(rfm_table(tx), bins=3)["rfm_score"].to_list()
['232', '121', '323']
"""

from __future__ import annotations

from collections.abc import Mapping

import narwhals.stable.v2 as nw
from narwhals.stable.v2.typing import IntoFrameT

from crmanalytics._checks import is_int, renamed_numeric
from crmanalytics._frames import DateLike, epoch_day, to_caller, to_day_number, validated
from crmanalytics.segmentation._common import twice_mid_rank

__all__ = ["rfm_scores", "rfm_table"]

_MAX_BINS = 9


def rfm_table(
    transactions: IntoFrameT,
    *,
    columns: Mapping[str, str] | None = None,
    observation_end: DateLike | None = None,
) -> IntoFrameT:
    """Recency, frequency and monetary value of every customer.

    Parameters
    ----------
    transactions : dataframe
        Canonical transactions (``customer_id``, ``timestamp``, ``amount``, optional
        ``transaction_id``) in any backend narwhals reads.
    columns : mapping of str to str, optional
        Canonical name to your column name, e.g. ``{"customer_id": "CustomerID"}``.
    observation_end : date-like, optional
        The day the table describes. Rows after this day are ignored, so a table
        "as of" a past date can be built from the full history. Default: the last
        day that has any transaction in the data.

    Returns
    -------
    dataframe
        Same type as ``transactions`` (lazy stays lazy; pandas with a fresh ``0..n-1``
        index), one row per customer, sorted by ``customer_id``, with columns

        - ``recency`` (int): whole calendar days from the customer's last purchase
          day to ``observation_end`` (0 = bought on the last day);
        - ``frequency`` (int): number of purchases: distinct ``transaction_id``
          values when that column exists, otherwise distinct purchase days;
        - ``monetary`` (float): total net spend, returns included (may be negative).

    Notes
    -----
    A *purchase* is a row with ``amount > 0``. Returns (negative amounts) and
    zero-priced rows count towards ``monetary`` only. A customer whose rows are all
    returns or zero-priced keeps a row with ``frequency`` 0 and a recency counted
    from the last row of any kind, so no customer disappears.

    Days are calendar days (a time-zone-aware timestamp is read in its own zone).
    Everything runs as narwhals expressions inside the caller's engine; nothing is
    collected.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.segmentation import rfm_table
    >>> tx = pd.DataFrame(
    ...     {
    ...         "customer_id": ["a", "a", "a", "b"],
    ...         "timestamp": pd.to_datetime(
    ...             ["2024-01-01 09:00", "2024-01-01 17:00", "2024-01-10 12:00", "2024-01-05 08:00"]
    ...         ),
    ...         "amount": [10.0, 5.0, -2.0, 40.0],
    ...     }
    ... )
    >>> rfm_table(tx, observation_end="2024-01-31")
      customer_id  recency  frequency  monetary
    0           a       30          1      13.0
    1           b       26          1      40.0
    """
    frame = validated(transactions, "transactions", columns=columns, purpose="rfm_table")
    schema = frame.collect_schema()
    frame = frame.with_columns(epoch_day("timestamp", frame).alias("_day"))
    if observation_end is not None:
        end_day = to_day_number(observation_end)
        frame = frame.filter(nw.col("_day") <= end_day)
    purchase = nw.col("amount") > 0
    key = nw.col("transaction_id") if "transaction_id" in schema else nw.col("_day")
    per_customer = (
        frame.with_columns(
            nw.when(purchase).then(nw.col("_day")).alias("_purchase_day"),
            nw.when(purchase).then(key).alias("_purchase_key"),
            (~purchase).cast(nw.Int64).alias("_other"),
        )
        .group_by("customer_id")
        .agg(
            nw.col("_purchase_day").max().alias("_last_purchase"),
            nw.col("_day").max().alias("_last_any"),
            # n_unique counts the null that marks non-purchase rows; _other removes it.
            nw.col("_purchase_key").n_unique().alias("_keys"),
            nw.col("_other").max().alias("_other"),
            nw.col("amount").sum().alias("monetary"),
        )
    )
    end = nw.lit(end_day) if observation_end is not None else nw.col("_last_any").max()
    last = nw.coalesce(nw.col("_last_purchase"), nw.col("_last_any"))
    result = per_customer.select(
        "customer_id",
        (end - last).cast(nw.Int64).alias("recency"),
        (nw.col("_keys") - nw.col("_other")).cast(nw.Int64).alias("frequency"),
        nw.col("monetary").cast(nw.Float64),
    ).sort("customer_id")
    return to_caller(result, transactions)


def rfm_scores(
    rfm: IntoFrameT, *, columns: Mapping[str, str] | None = None, bins: int = 5
) -> IntoFrameT:
    """Score recency, frequency and monetary value from 1 to ``bins`` by quantile.

    Parameters
    ----------
    rfm : dataframe
        A table with numeric ``recency``, ``frequency`` and ``monetary`` columns,
        one row per customer, such as :func:`rfm_table` returns.
    columns : mapping of str to str, optional
        Expected name to your column name, e.g. ``{"monetary": "spend"}``; the mapped
        columns come back under the expected names.
    bins : int, default 5
        Number of quantile groups, 2 to 9 (the label needs one digit per score).

    Returns
    -------
    dataframe
        ``rfm`` (same type, same rows in the same order; a pandas result keeps the
        caller's index) with ``r_score``, ``f_score``, ``m_score``
        (int, 1..bins, higher is better) and ``rfm_score``, the three digits as a
        string such as ``"545"``.

    Notes
    -----
    Each customer's *position* in a column is the share of customers with a lower
    value plus half the share with the same value: ``(rank_min + rank_max - 1) / (2n)``.
    The score is ``floor(bins * position) + 1``.

    - Without ties this cuts the customers into ``bins`` groups of equal size
      (exact quantile bins when ``bins`` divides ``n``).
    - Tied values always get the same score: a whole tie group falls into the bin
      where its middle customer falls. A heavily tied column, such as frequency
      where most customers bought once, therefore uses *fewer* distinct scores
      rather than splitting identical customers between scores; some scores may be
      unused and groups are unequal.
    - Scores never decrease as the value grows (for recency: as it shrinks).
    - Recency is reversed: the most recent customers score highest.

    A null value gets a null score and is not counted in ``n``. The ranks run in the
    caller's engine as window functions (nothing is collected).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.segmentation import rfm_scores
    >>> rfm = pd.DataFrame(
    ...     {
    ...         "customer_id": [1, 2, 3, 4],
    ...         "recency": [3, 40, 10, 90],
    ...         "frequency": [1, 1, 1, 6],
    ...         "monetary": [10.0, 20.0, 30.0, 40.0],
    ...     }
    ... )
    >>> rfm_scores(rfm, bins=4)[["r_score", "f_score", "m_score", "rfm_score"]]
       r_score  f_score  m_score rfm_score
    0        4        2        1       421
    1        2        2        2       222
    2        3        2        3       323
    3        1        4        4       144
    """
    if not is_int(bins) or not 2 <= bins <= _MAX_BINS:
        raise ValueError(f"bins must be an integer from 2 to {_MAX_BINS}, got {bins!r}")
    names = ["recency", "frequency", "monetary"]
    frame = renamed_numeric(
        rfm,
        columns=columns,
        needs=names,
        numeric=names,
        table="rfm table",
        purpose="rfm_scores",
        fix="pass the output of rfm_table, or map your columns with columns={'recency': ...}",
    )
    scores = {
        "r_score": _score("recency", bins, descending=True),
        "f_score": _score("frequency", bins, descending=False),
        "m_score": _score("monetary", bins, descending=False),
    }
    result = frame.with_columns(**scores).with_columns(
        nw.concat_str(
            [nw.col(name).cast(nw.String) for name in scores],
        ).alias("rfm_score")
    )
    return to_caller(result, rfm, keep_index=True)


def _score(column: str, bins: int, *, descending: bool) -> nw.Expr:
    """``floor(bins * (2 mid_rank - 1) / (2 n)) + 1`` in integer arithmetic."""
    count = nw.col(column).count()
    twice = twice_mid_rank(column, descending=descending)
    return ((twice - 1) * bins // (count * 2) + 1).cast(nw.Int64)
