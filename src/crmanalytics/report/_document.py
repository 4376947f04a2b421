"""A self-contained HTML page: sections of text, tables and inline PNG figures."""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2733;
background:#f6f7f9}
header{background:#16324f;color:#fff;padding:1.4rem 2rem}
header h1{margin:0;font-size:1.6rem} header p{margin:.3rem 0 0;opacity:.85}
nav{padding:.6rem 2rem;background:#fff;border-bottom:1px solid #dde2e8;font-size:.9rem}
nav a{margin-right:1rem;color:#16324f;text-decoration:none}
main{max-width:1100px;margin:0 auto;padding:1rem 2rem 3rem}
section{background:#fff;border:1px solid #dde2e8;border-radius:8px;padding:1rem 1.4rem;
margin:1.2rem 0}
h2{margin-top:.2rem;color:#16324f} p.note{color:#566475;font-size:.9rem}
table{border-collapse:collapse;font-size:.85rem;margin:.6rem 0}
th,td{border-bottom:1px solid #e4e8ee;padding:.25rem .6rem;text-align:left;vertical-align:top}
th{background:#eef2f6} th.num,td.num{text-align:right;white-space:nowrap}
figure{margin:.8rem 0} figure img{max-width:100%;height:auto}
figcaption{color:#566475;font-size:.85rem}
.kpis{display:flex;flex-wrap:wrap;gap:.8rem}
.kpi{background:#eef2f6;border-radius:6px;padding:.6rem 1rem;min-width:9rem}
.kpi b{display:block;font-size:1.3rem;color:#16324f}
.scroll{overflow-x:auto} section.skipped{opacity:.8}
"""


@dataclass
class Section:
    """One part of the report, in the order its pieces were added.

    A section either has results (text, headline numbers, tables, figures) or says why
    it is not shown (:meth:`skip`); :attr:`shown` tells which.

    Parameters
    ----------
    key : str
        The HTML anchor (``<section id=key>``).
    title : str
        The heading.
    parts : list of str
        HTML fragments, added by the methods.
    shown : bool
        False once :meth:`skip` was called.

    Examples
    --------
    >>> from crmanalytics.report._document import Section
    >>> s = Section("sales", "Sales over time")
    >>> s.text("Revenue per month.")
    >>> s.shown, len(s.parts)
    (True, 1)
    """

    key: str
    title: str
    parts: list[str] = field(default_factory=list)
    shown: bool = True

    def skip(self, reason: str) -> Section:
        """Say why the section has no results, and return it.

        Examples
        --------
        >>> from crmanalytics.report._document import Section
        >>> Section("rules", "A-then-B rules").skip("no product_id column.").shown
        False
        """
        self.shown = False
        self.text(f"Not shown: {reason}", note=True)
        return self

    def text(self, paragraph: str, *, note: bool = False) -> None:
        """Add a paragraph of plain text (``note=True``: a smaller, grey remark).

        Examples
        --------
        >>> from crmanalytics.report._document import Section
        >>> s = Section("x", "X")
        >>> s.text("a < b")
        >>> s.parts
        ['<p>a &lt; b</p>']
        """
        css = ' class="note"' if note else ""
        self.parts.append(f"<p{css}>{html.escape(paragraph)}</p>")

    def kpis(self, values: dict[str, str]) -> None:
        """Add a row of headline numbers.

        Examples
        --------
        >>> from crmanalytics.report._document import Section
        >>> s = Section("x", "X")
        >>> s.kpis({"customers": "1,000"})
        >>> s.parts
        ['<div class="kpis"><div class="kpi"><b>1,000</b>customers</div></div>']
        """
        cells = "".join(
            f'<div class="kpi"><b>{html.escape(v)}</b>{html.escape(k)}</div>'
            for k, v in values.items()
        )
        self.parts.append(f'<div class="kpis">{cells}</div>')

    def table(
        self,
        frame: pd.DataFrame,
        *,
        caption: str = "",
        max_rows: int = 15,
        percent: Sequence[str] = (),
        money: Sequence[str] = (),
    ) -> None:
        """Add the first rows of a table.

        Numbers are right-aligned with thousands separators (three decimals); the
        columns named in ``percent`` are shown as percentages (0.123 as 12.3%), those
        in ``money`` with two decimals.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmanalytics.report._document import Section
        >>> s = Section("x", "X")
        >>> s.table(pd.DataFrame({"a": range(20)}), max_rows=5)
        >>> "First 5 of 20 rows." in s.parts[0]
        True
        """
        formats = dict.fromkeys(percent, "{:.1%}") | dict.fromkeys(money, "{:,.2f}")
        body = _html_table(frame.head(max_rows), formats)
        cap = f"<p class='note'>{html.escape(caption)}</p>" if caption else ""
        more = (
            f"<p class='note'>First {max_rows} of {len(frame):,} rows.</p>"
            if len(frame) > max_rows
            else ""
        )
        self.parts.append(f'{cap}<div class="scroll">{body}</div>{more}')

    def figure(self, fig: Any, caption: str) -> None:
        """Add a matplotlib figure as an inline PNG, then close it.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from crmanalytics.report._document import Section
        >>> s = Section("x", "X")
        >>> fig, ax = plt.subplots()
        >>> s.figure(fig, "A caption")
        >>> s.parts[0].startswith('<figure><img alt="A caption" src="data:image/png;base64,')
        True
        """
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
        import matplotlib.pyplot as plt

        plt.close(fig)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        self.parts.append(
            f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )


_SKIPPED = ' class="skipped"'


def _cell(value: object, fmt: str | None = None) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if fmt is not None and isinstance(value, int | float) and not isinstance(value, bool):
        return fmt.format(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3f}"
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}" if value == value.normalize() else f"{value:%Y-%m-%d %H:%M}"
    return html.escape(str(value))


def _html_table(frame: pd.DataFrame, formats: Mapping[str, str]) -> str:
    """A plain HTML table: numbers right-aligned with thousands separators, text left."""
    names = [str(n) for n in frame.columns]
    ids = [n.endswith("_id") or n in ("antecedent", "consequent") for n in names]
    numeric = [
        pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype) and not i
        for dtype, i in zip(frame.dtypes, ids, strict=True)
    ]
    css = [' class="num"' if flag else "" for flag in numeric]
    head = "".join(f"<th{c}>{html.escape(n)}</th>" for n, c in zip(names, css, strict=True))
    rows = []
    for record in frame.itertuples(index=False, name=None):
        cells = "".join(
            f"<td{c}>{html.escape(str(v)) if i else _cell(_plain(v), formats.get(n))}</td>"
            for v, c, i, n in zip(record, css, ids, names, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _plain(value: object) -> object:
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, pd.Timestamp):
        try:
            return item()
        except (TypeError, ValueError):
            return value
    return value


def render(title: str, subtitle: str, sections: list[Section], footer: str = "") -> str:
    """The whole page as one HTML string with no external resources."""
    nav = "".join(f'<a href="#{s.key}">{html.escape(s.title)}</a>' for s in sections)
    body = "".join(
        f'<section id="{s.key}"{"" if s.shown else _SKIPPED}>'
        f"<h2>{html.escape(s.title)}</h2>{''.join(s.parts)}</section>"
        for s in sections
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></header>"
        f"<nav>{nav}</nav><main>{body}<footer><p class='note'>{html.escape(footer)}</p>"
        "</footer></main></body></html>"
    )
