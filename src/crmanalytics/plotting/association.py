"""Figures for association rules: the strongest rules and the paths they form.

Examples
--------
>>> import pandas as pd
>>> from crmanalytics.plotting.association import plot_sequential_rules
>>> rules = pd.DataFrame({"antecedent": ["tent"], "consequent": ["stove"],
...                       "confidence": [0.4], "lift": [2.5], "median_lag_days": [12.0]})
>>> plot_sequential_rules(rules).get_xlabel()
'confidence (share of buyers of A who then bought B)'
>>> import matplotlib.pyplot as plt
>>> plt.close("all")
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from narwhals.stable.v2.typing import IntoFrame

from crmanalytics._frames import collect, renamed

__all__ = ["plot_rule_paths", "plot_sequential_rules"]


def _top_rules(
    rules: IntoFrame, top: int, by: str, columns: Mapping[str, str] | None, purpose: str
) -> list[dict[str, Any]]:
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    needed = list(dict.fromkeys(["antecedent", "consequent", "confidence", by]))
    frame = collect(renamed(rules, columns=columns, needs=needed, table="rules", purpose=purpose))
    ordered = frame.sort([by, "confidence"], descending=True).head(top)
    return list(ordered.iter_rows(named=True))


def _label(rule: Mapping[str, Any], side: str) -> str:
    """A product's name when the rules carry one (``antecedent_name``), else its id."""
    name = rule.get(f"{side}_name")
    return str(rule[side]) if name is None else str(name)


def plot_sequential_rules(
    rules: IntoFrame,
    *,
    columns: Mapping[str, str] | None = None,
    top: int = 15,
    by: str = "lift",
    ax: Any = None,
) -> Any:
    """Draw the strongest rules as bars: confidence, coloured by lift, with the median lag.

    Parameters
    ----------
    rules : dataframe
        Output of :func:`crmanalytics.association.sequential_rules` (any backend).
        When it has ``antecedent_name`` and ``consequent_name`` (transactions with
        product names), the bars are labelled with the names.
    columns : mapping of str to str, optional
        Expected name to your column name, e.g. ``{"antecedent": "from"}``.
    top : int, default 15
        How many rules to show, the strongest first.
    by : str, default "lift"
        The column that picks and orders the rules (``"lift"``, ``"confidence"``,
        ``"support"``, ``"customers"`` ...).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is made when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.plotting.association import plot_sequential_rules
    >>> rules = pd.DataFrame({"antecedent": ["a", "b"], "consequent": ["b", "c"],
    ...                       "confidence": [0.3, 0.5], "lift": [4.0, 2.0],
    ...                       "median_lag_days": [10.0, 30.0]})
    >>> ax = plot_sequential_rules(rules)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['b → c', 'a → b']
    >>> import matplotlib.pyplot as plt
    >>> plt.close("all")
    """
    import matplotlib.pyplot as plt
    from matplotlib import cm, colors

    rows = _top_rules(rules, top, by, columns, "plot_sequential_rules")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.35 * max(len(rows), 3) + 1.2))
    rows = rows[::-1]  # strongest at the top
    labels = [f"{_label(r, 'antecedent')} → {_label(r, 'consequent')}" for r in rows]
    lifts = [float(r.get("lift", 1.0)) for r in rows]
    norm = colors.Normalize(vmin=min([1.0, *lifts]), vmax=max([1.0, *lifts]) + 1e-9)
    cmap = plt.get_cmap("viridis")
    bars = ax.barh(
        range(len(rows)), [float(r["confidence"]) for r in rows], color=cmap(norm(lifts))
    )
    for bar, r in zip(bars, rows, strict=True):
        lag = r.get("median_lag_days")
        if lag is not None and not math.isnan(float(lag)):
            ax.annotate(
                f"{float(lag):g} d",
                (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )
    ax.set_yticks(range(len(rows)), labels)
    ax.set_xlabel("confidence (share of buyers of A who then bought B)")
    ax.set_title(f"Top {len(rows)} sequential rules by {by} (label: median lag)")
    ax.figure.colorbar(cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="lift")
    return ax


def plot_rule_paths(
    rules: IntoFrame,
    *,
    columns: Mapping[str, str] | None = None,
    top: int = 20,
    by: str = "lift",
    ax: Any = None,
) -> Any:
    """Draw the strongest rules as a path diagram: items on a circle, arrows A → B.

    Arrow width grows with confidence and colour with lift, so chains such as
    ``A → B → C`` stand out.

    Parameters
    ----------
    rules : dataframe
        Output of :func:`crmanalytics.association.sequential_rules` (any backend).
        Items are labelled with ``antecedent_name``/``consequent_name`` when present.
    columns : mapping of str to str, optional
        Expected name to your column name, e.g. ``{"antecedent": "from"}``.
    top : int, default 20
        How many rules to draw, the strongest by ``by``.
    by : str, default "lift"
        The column that picks the rules.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is made when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.plotting.association import plot_rule_paths
    >>> rules = pd.DataFrame({"antecedent": ["a", "b"], "consequent": ["b", "c"],
    ...                       "confidence": [0.3, 0.5], "lift": [4.0, 2.0]})
    >>> ax = plot_rule_paths(rules)
    >>> sorted(t.get_text() for t in ax.texts if t.get_text())
    ['a', 'b', 'c']
    >>> import matplotlib.pyplot as plt
    >>> plt.close("all")
    """
    import matplotlib.pyplot as plt
    from matplotlib import colors

    rows = _top_rules(rules, top, by, columns, "plot_rule_paths")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 7))
    labels = {r[side]: _label(r, side) for r in rows for side in ("antecedent", "consequent")}
    items = list(dict.fromkeys([r["antecedent"] for r in rows] + [r["consequent"] for r in rows]))
    n = max(len(items), 1)
    where = {
        item: (math.cos(2 * math.pi * k / n), math.sin(2 * math.pi * k / n))
        for k, item in enumerate(items)
    }
    lifts = [float(r[by]) for r in rows] or [1.0]
    norm = colors.Normalize(vmin=min(lifts), vmax=max(lifts) + 1e-9)
    cmap = plt.get_cmap("viridis")
    for r in rows:
        (x0, y0), (x1, y1) = where[r["antecedent"]], where[r["consequent"]]
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops={
                "arrowstyle": "-|>",
                "lw": 0.5 + 6 * float(r["confidence"]),
                "color": cmap(norm(float(r[by]))),
                "shrinkA": 12,
                "shrinkB": 12,
                "connectionstyle": "arc3,rad=0.15",
            },
        )
    for item, (x, y) in where.items():
        ax.text(
            x * 1.12, y * 1.12, labels[item], ha="center", va="center", fontsize=8, clip_on=False
        )
        ax.plot([x], [y], "o", color="0.3", ms=5)
    ax.set_xlim(-1.35, 1.35)
    ax.set_ylim(-1.35, 1.35)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"Strongest {len(rows)} paths (width: confidence, colour: {by})")
    return ax
