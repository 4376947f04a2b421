"""Run every analysis the data allows and write a self-contained HTML report."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crmanalytics._frames import DateLike
from crmanalytics.errors import CRMError, DataQualityWarning
from crmanalytics.report._document import Section, render
from crmanalytics.report._progress import Progress
from crmanalytics.schema import (
    NPS_KIND,
    validate_customers,
    validate_interactions,
    validate_transactions,
)

__all__ = ["ReportInputs", "build_report", "prepare_inputs"]


@dataclass
class ReportInputs:
    """The validated tables a report is built from.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Canonical transactions.
    customers, interactions : pandas.DataFrame, optional
        Canonical customers and interactions.
    observation_end : date-like, optional
        The day the analysis looks back from (default: the last transaction day).
    title : str
        Page title.
    source : str
        Where the data came from, shown under the title.

    Examples
    --------
    >>> from crmanalytics.datasets import load_cdnow
    >>> from crmanalytics.report import ReportInputs
    >>> ReportInputs(load_cdnow()).title
    'Customer analytics report'
    """

    transactions: pd.DataFrame
    customers: pd.DataFrame | None = None
    interactions: pd.DataFrame | None = None
    observation_end: DateLike | None = None
    title: str = "Customer analytics report"
    source: str = ""
    tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)


def _mapping_for(
    frame: pd.DataFrame, columns: Mapping[str, str], names: tuple[str, ...]
) -> dict[str, str]:
    """The part of a command-line column mapping that applies to one table."""
    return {k: v for k, v in columns.items() if k in names and v in frame.columns}


def prepare_inputs(
    transactions: pd.DataFrame,
    *,
    customers: pd.DataFrame | None = None,
    interactions: pd.DataFrame | None = None,
    columns: Mapping[str, str] | None = None,
    observation_end: DateLike | None = None,
    title: str = "Customer analytics report",
    source: str = "",
) -> ReportInputs:
    """Validate raw tables into :class:`ReportInputs`, raising on any broken rule.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Raw transactions.
    customers, interactions : pandas.DataFrame, optional
        Raw customers and interactions.
    columns : mapping of str to str, optional
        Canonical name to the caller's name; each entry applies to every table that has
        the named column.
    observation_end : date-like, optional
        The day the analysis looks back from.
    title, source : str
        Page title and the line under it.

    Returns
    -------
    ReportInputs

    Raises
    ------
    crmanalytics.errors.SchemaError
        When a table breaks a schema rule.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmanalytics.report import prepare_inputs
    >>> raw = pd.DataFrame({"CustomerID": [1], "Date": ["2024-01-02"], "amount": [5]})
    >>> inputs = prepare_inputs(raw, columns={"customer_id": "CustomerID", "timestamp": "Date"})
    >>> list(inputs.transactions.columns)
    ['customer_id', 'timestamp', 'amount']
    """
    from crmanalytics.schema import CUSTOMERS, INTERACTIONS, TRANSACTIONS

    mapping = dict(columns or {})
    tx = validate_transactions(
        transactions, columns=_mapping_for(transactions, mapping, TRANSACTIONS.names)
    )
    cust = (
        None
        if customers is None
        else validate_customers(
            customers, columns=_mapping_for(customers, mapping, CUSTOMERS.names)
        )
    )
    inter = (
        None
        if interactions is None
        else validate_interactions(
            interactions, columns=_mapping_for(interactions, mapping, INTERACTIONS.names)
        )
    )
    return ReportInputs(tx, cust, inter, observation_end, title, source)


def build_report(
    inputs: ReportInputs, out_dir: str | Path, *, progress: Progress | None = None
) -> Path:
    """Run every analysis the data allows and write the report.

    Writes ``out_dir/index.html`` (one self-contained page with inline figures) and each
    result table as ``out_dir/tables/NAME.csv`` (and ``.parquet`` when pyarrow is
    installed). An analysis the data does not allow (no ``product_id`` for sequential
    rules, no NPS answers, a model that does not converge) is listed with the reason
    instead of its results.

    Parameters
    ----------
    inputs : ReportInputs
        Validated tables, e.g. from :func:`prepare_inputs`.
    out_dir : str or pathlib.Path
        Folder to write into (created if needed).
    progress : Progress, optional
        Where to report steps; silent when omitted.

    Returns
    -------
    pathlib.Path
        The path of ``index.html``.

    Examples
    --------
    >>> import tempfile
    >>> from crmanalytics.datasets import load_cdnow
    >>> from crmanalytics.report import ReportInputs, build_report
    >>> tx = load_cdnow()
    >>> small = tx[tx["customer_id"] <= 600]
    >>> with tempfile.TemporaryDirectory() as out:
    ...     page = build_report(ReportInputs(small, title="CDNOW"), out)
    ...     print(page.name, (page.parent / "tables" / "rfm.csv").exists())
    index.html True
    """
    out = Path(out_dir)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    steps: list[tuple[str, Callable[[ReportInputs], Section]]] = [
        ("Overview", _overview),
        ("RFM segments", _segments),
        ("Revenue concentration", _concentration),
        ("Lifetime value and P(alive)", _value),
        ("Churn and cohort retention", _churn),
        ("A-then-B rules", _rules),
        ("Net Promoter Score", _nps),
    ]
    tracker = progress or Progress(len(steps), quiet=True)
    sections: list[Section] = []
    with warnings.catch_warnings():
        # data-quality notes are shown on the page, not as console noise
        warnings.simplefilter("ignore", DataQualityWarning)
        for label, step in steps:
            tracker.step(label)
            sections.append(step(inputs))
    for name, table in inputs.tables.items():
        table.to_csv(out / "tables" / f"{name}.csv", index=False)
        _maybe_parquet(table, out / "tables" / f"{name}.parquet")
    page = out / "index.html"
    subtitle = inputs.source or "crmanalytics"
    page.write_text(render(inputs.title, subtitle, sections), encoding="utf-8")
    return page


def _maybe_parquet(table: pd.DataFrame, path: Path) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:  # pragma: no cover - pyarrow is optional
        return
    table.to_parquet(path, index=False)


def _skipped(section: Section, reason: str) -> Section:
    section.text(f"Not shown: {reason}", note=True)
    return section


def _end(inputs: ReportInputs) -> pd.Timestamp:
    if inputs.observation_end is not None:
        return pd.Timestamp(inputs.observation_end)
    return pd.Timestamp(inputs.transactions["timestamp"].max())


# --------------------------------------------------------------------------------------
# sections
# --------------------------------------------------------------------------------------


def _overview(inputs: ReportInputs) -> Section:
    tx = inputs.transactions
    section = Section("overview", "Overview")
    purchases = tx[tx["amount"] > 0]
    per_customer_days = purchases.groupby("customer_id")["timestamp"].apply(
        lambda s: s.dt.normalize().nunique()
    )
    section.kpis(
        {
            "customers": f"{tx['customer_id'].nunique():,}",
            "transaction rows": f"{len(tx):,}",
            "net revenue": f"{tx['amount'].sum():,.2f}",
            "repeat customers": f"{(per_customer_days > 1).mean():.1%}",
            "first day": f"{tx['timestamp'].min():%Y-%m-%d}",
            "last day": f"{tx['timestamp'].max():%Y-%m-%d}",
        }
    )
    returns = int((tx["amount"] < 0).sum())
    if returns:
        section.text(f"{returns:,} rows are returns or refunds (negative amounts).", note=True)
    if inputs.customers is not None:
        section.text(f"The customers table lists {len(inputs.customers):,} customers.")
    if inputs.interactions is not None:
        counts = inputs.interactions["kind"].value_counts().rename_axis("kind").reset_index()
        section.table(counts, caption="Interactions by kind")
    return section


def _segments(inputs: ReportInputs) -> Section:
    from crmanalytics.plotting.segmentation import plot_segments
    from crmanalytics.segmentation import rfm_scores, rfm_segments, rfm_table, segment_summary

    section = Section("segments", "RFM segments")
    rfm = rfm_segments(rfm_scores(rfm_table(inputs.transactions, observation_end=_end(inputs))))
    summary = segment_summary(rfm)
    inputs.tables["rfm"] = rfm
    inputs.tables["segments"] = summary
    section.text(
        "Each customer is scored 1-5 on recency (days since the last purchase), frequency "
        "and monetary value by quantile, and named by the standard segment map."
    )
    ax = plot_segments(summary)
    section.figure(ax.figure, "Share of customers and of revenue per segment")
    section.table(summary, caption="Segments")
    return section


def _concentration(inputs: ReportInputs) -> Section:
    from crmanalytics.plotting.segmentation import plot_lorenz
    from crmanalytics.segmentation import concentration

    section = Section("concentration", "Revenue concentration")
    result = concentration(inputs.tables["rfm"], column="monetary")
    section.kpis(
        {
            "Gini coefficient": f"{result.gini:.3f}",
            "revenue from the top 20%": f"{result.share_of_top(0.2):.1%}",
            "revenue from the top 1%": f"{result.share_of_top(0.01):.1%}",
        }
    )
    ax = plot_lorenz(result)
    section.figure(ax.figure, "Lorenz curve of revenue per customer")
    return section


def _value(inputs: ReportInputs) -> Section:
    from crmanalytics.value import (
        BetaGeoModel,
        GammaGammaModel,
        customer_lifetime_value,
        customer_summary,
    )

    section = Section("value", "Lifetime value and P(alive)")
    summary = customer_summary(inputs.transactions, observation_end=_end(inputs), time_unit="W")
    try:
        model = BetaGeoModel().fit(summary)
    except CRMError as exc:
        return _skipped(section, f"the BG/NBD model could not be fitted ({exc}).")
    params = model.summary().reset_index()
    section.text(
        "The BG/NBD model (Fader, Hardie & Lee 2005) describes how often each customer buys "
        "while alive and how likely they are to have left; time is in weeks."
    )
    section.table(params, caption="BG/NBD parameters with standard errors")
    p_alive = model.probability_alive(summary)
    result = summary.assign(
        p_alive=p_alive,
        expected_purchases_52w=model.expected_purchases(summary, 52.0),
    )
    section.kpis(
        {
            "mean P(alive)": f"{np.mean(p_alive):.1%}",
            "customers with P(alive) < 50%": f"{np.mean(p_alive < 0.5):.1%}",
            "expected purchases, next 52 weeks": f"{result['expected_purchases_52w'].sum():,.0f}",
        }
    )
    _value_figures(section, model, summary)
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    try:
        spend = GammaGammaModel().fit(repeat)
    except CRMError as exc:
        inputs.tables["customer_value"] = result
        return _skipped(section, f"the Gamma-Gamma spend model could not be fitted ({exc}).")
    clv = customer_lifetime_value(
        summary, model, spend, periods=12, period_length=30.0 / 7.0, discount_rate=0.01
    )
    result = result.merge(clv, on="customer_id", how="left")
    inputs.tables["customer_value"] = result
    section.text(
        "Customer lifetime value: expected spend per purchase (Gamma-Gamma) times expected "
        "purchases in each of the next 12 30-day periods, discounted at 1% a period."
    )
    top = result.sort_values("clv", ascending=False)
    section.table(top, caption="Most valuable customers", max_rows=10)
    return section


def _value_figures(section: Section, model: Any, summary: pd.DataFrame) -> None:
    from crmanalytics.plotting.value import plot_frequency_recency, plot_probability_alive

    age = float(summary["T"].max())
    ax = plot_probability_alive(model, T=age)
    section.figure(
        ax.figure, f"P(alive) by frequency and recency, for a customer {age:.0f} weeks old"
    )
    ax = plot_frequency_recency(model, T=age, t=1.0)
    section.figure(
        ax.figure, "Expected purchases in the next week by frequency and recency (same age)"
    )


def _churn(inputs: ReportInputs) -> Section:
    from crmanalytics.churn import churn_rate, cohort_retention
    from crmanalytics.plotting.churn import plot_churn_rate, plot_cohort_retention

    section = Section("churn", "Churn and cohort retention")
    retention = cohort_retention(inputs.transactions, period="M")
    inputs.tables["cohort_retention"] = retention
    section.text(
        "Customers grouped by the month of their first purchase; each cell is the share of "
        "the cohort that bought again that many months later."
    )
    ax = plot_cohort_retention(retention)
    section.figure(ax.figure, "Monthly cohort retention")
    rates = churn_rate(inputs.transactions, period="M", inactivity=90)
    inputs.tables["churn_rate"] = rates
    if len(rates):
        section.text(
            "Monthly churn rate: the share of customers active at the start of a month "
            "(a purchase in the previous 90 days) who have had none for 90 days by its end."
        )
        ax = plot_churn_rate(rates)
        section.figure(ax.figure, "Monthly churn rate (90-day inactivity)")
    return section


def _rules(inputs: ReportInputs) -> Section:
    section = Section("rules", "A-then-B rules")
    if "product_id" not in inputs.transactions.columns:
        return _skipped(section, "the transactions have no product_id column.")
    from crmanalytics.association import sequential_rules
    from crmanalytics.plotting.association import plot_sequential_rules

    rules = sequential_rules(inputs.transactions, min_support=0.01)
    inputs.tables["sequential_rules"] = rules
    if not len(rules):
        return _skipped(section, "no product pair reaches 1% of customers.")
    section.text(
        "Customers who bought A and then B 1 to 90 days later. Support: share of all "
        "customers doing so; confidence: share of A's buyers; lift: how many times more "
        "often than if A and B were unrelated."
    )
    ax = plot_sequential_rules(rules)
    section.figure(ax.figure, "Strongest A-then-B rules by lift")
    section.table(rules.sort_values("lift", ascending=False), caption="Rules", max_rows=15)
    return section


def _nps(inputs: ReportInputs) -> Section:
    section = Section("nps", "Net Promoter Score")
    inter = inputs.interactions
    if inter is None or "score" not in inter.columns or not (inter["kind"] == NPS_KIND).any():
        return _skipped(section, "there are no interactions with kind 'nps' and a score.")
    from crmanalytics.feedback import nps, nps_trend
    from crmanalytics.plotting.feedback import plot_nps_trend

    answers = inter.loc[inter["kind"] == NPS_KIND, "score"]
    overall = nps(answers, method="adjusted-wald")
    ci = overall.confidence_interval
    section.kpis(
        {
            "NPS": f"{overall.score:+.1f}",
            "95% interval": f"{ci.low:+.1f} to {ci.high:+.1f}",
            "answers": f"{overall.n:,}",
        }
    )
    trend = nps_trend(inter, period="M", method="adjusted-wald")
    inputs.tables["nps_trend"] = trend
    ax = plot_nps_trend(trend)
    section.figure(ax.figure, "NPS by month with its 95% interval (adjusted Wald)")
    return section
