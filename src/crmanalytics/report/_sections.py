"""The report's sections: one small function each, listed in :data:`SECTIONS`.

A section function takes the prepared :class:`~crmanalytics.report.ReportInputs` and
returns a :class:`~crmanalytics.report._document.Section`: text, headline numbers, tables and
figures, or ``section.skip("why")`` when the data do not allow it. Result tables go into
``inputs.tables`` (written as CSV, Parquet and Excel). To add a section, write one such
function with the library's public functions and add a :class:`SectionSpec` to
:data:`SECTIONS` where it belongs in the reader's path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crmanalytics.errors import CRMError
from crmanalytics.report._build import ReportInputs
from crmanalytics.report._document import Section
from crmanalytics.report._format import complete_span, money, money_label, product_names
from crmanalytics.report._quality import is_non_product, quality_table
from crmanalytics.schema import NPS_KIND

__all__ = ["SECTIONS", "SectionSpec"]


@dataclass(frozen=True)
class SectionSpec:
    """One section of the report: its anchor, its title and the function that fills it.

    Examples
    --------
    >>> from crmanalytics.report import SECTIONS
    >>> [spec.key for spec in SECTIONS][:3]
    ['overview', 'quality', 'sales']
    """

    key: str
    title: str
    build: Callable[[ReportInputs, Section], Section]

    def run(self, inputs: ReportInputs) -> Section:
        """Build the section from the inputs.

        Examples
        --------
        >>> from crmanalytics.datasets import load_cdnow
        >>> from crmanalytics.report import SECTIONS, ReportInputs
        >>> SECTIONS[0].run(ReportInputs(load_cdnow())).shown
        True
        """
        return self.build(inputs, Section(self.key, self.title))


# --------------------------------------------------------------------------------------
# overview and data quality
# --------------------------------------------------------------------------------------


def overview(inputs: ReportInputs, section: Section) -> Section:
    """Headline numbers, what the data are, and what is simulated."""
    tx = inputs.transactions
    purchases = tx.loc[tx["amount"] > 0, ["customer_id", "timestamp"]]
    days = purchases.assign(day=purchases["timestamp"].dt.normalize())
    per_customer = days.drop_duplicates(["customer_id", "day"])["customer_id"].value_counts()
    section.kpis(
        {
            "customers": f"{tx['customer_id'].nunique():,}",
            "transaction rows": f"{len(tx):,}",
            money_label("net revenue", inputs.currency): money(
                float(tx["amount"].sum()), inputs.currency
            ),
            "repeat customers": f"{(per_customer > 1).mean():.1%}",
            "first day": f"{tx['timestamp'].min():%Y-%m-%d}",
            "last day": f"{tx['timestamp'].max():%Y-%m-%d}",
        }
    )
    for note in inputs.notes:
        section.text(note, note=True)
    if inputs.customers is not None:
        section.text(f"The customers table lists {len(inputs.customers):,} customers.")
    if inputs.interactions is not None:
        counts = inputs.interactions["kind"].value_counts().rename_axis("kind").reset_index()
        section.table(counts, caption="Interactions by kind")
    return section


def data_quality(inputs: ReportInputs, section: Section) -> Section:
    """Every rule that dropped, flagged or left out rows, with counts and examples."""
    if not inputs.quality:
        section.text("Every row passed every rule: nothing was dropped or flagged.")
        return section
    table = quality_table(inputs.quality)
    inputs.tables["data_quality"] = table
    section.text(
        "What validation and the report's own rules did with the rows. Dropped rows are "
        "in no analysis; kept rows are flagged only. A row breaking two rules is counted "
        "under each."
    )
    section.kpis(
        {f"{r.table}: rows analysed": f"{r.rows_out:,} of {r.rows_in:,}" for r in inputs.validation}
    )
    section.table(table, caption="Data-quality rules", max_rows=30)
    return section


def sales(inputs: ReportInputs, section: Section) -> Section:
    """Revenue, orders, customers and average order value per month, and the bridge."""
    from crmanalytics.plotting.sales import plot_revenue_bridge, plot_sales_summary
    from crmanalytics.sales import revenue_bridge, sales_summary

    tx = inputs.transactions
    summary = sales_summary(tx, period="M")
    inputs.tables["sales_summary"] = summary
    complete = summary.loc[~summary["is_partial"]]
    if complete.empty:
        return section.skip("the data do not cover one complete month.")
    last = complete.iloc[-1]
    cur = inputs.currency

    def growth(value: Any) -> str:
        return "n/a" if value is None or pd.isna(value) else f"{float(value):+.1%}"

    month = f"{last['period']:%B %Y}"
    headline = {
        f"revenue, {month}": money(float(last["revenue"]), cur),
        "on the month before": growth(last["revenue_growth"]),
        "on the same month a year before": growth(last["revenue_yoy_growth"]),
        f"orders, {month}": f"{int(last['orders']):,}",
        f"customers, {month}": f"{int(last['customers']):,}",
        money_label("average order value", cur): money(
            float(last["average_order_value"]), cur, decimals=2
        ),
    }
    section.kpis({k: v for k, v in headline.items() if v != "n/a"})
    section.text(
        "Net revenue (sales less returns), orders, buying customers and average order value "
        "per calendar month, with the change on the month before and on the same month a "
        "year before (where the data reach back). The headline numbers are those of the "
        "last complete month."
    )
    span = complete_span(tx["timestamp"].min(), inputs.end, "M")
    for note in span.notes:
        section.text(note.replace("is left out", "is marked (hollow marker)"), note=True)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 6.5))
    for ax, column, label in zip(
        axes.flat,
        ("revenue", "orders", "customers", "average_order_value"),
        (
            money_label("revenue", cur),
            "orders",
            "customers",
            money_label("average order value", cur),
        ),
        strict=True,
    ):
        plot_sales_summary(summary, column=column, ax=ax)
        ax.set_ylabel(label)
    fig.tight_layout()
    section.figure(fig, "Per month: revenue, orders, customers, average order value")
    shown = [
        "period",
        "is_partial",
        "revenue",
        "revenue_growth",
        "revenue_yoy_growth",
        "orders",
        "customers",
        "average_order_value",
        "returns",
    ]
    section.table(
        summary[[c for c in shown if c in summary.columns]].iloc[::-1],
        caption="Sales per month, newest first" + (f" (money in {cur})" if cur else ""),
        max_rows=13,
        percent=("revenue_growth", "revenue_yoy_growth"),
        money=("revenue", "average_order_value", "returns"),
    )
    bridge = revenue_bridge(tx, period="M")
    inputs.tables["revenue_bridge"] = bridge
    section.text(
        "The revenue bridge: each month's revenue from new customers (first purchase that "
        "month), retained (bought the month before too) and reactivated ones (bought before, "
        "but not the month before), against the revenue lost from customers who stopped."
    )
    ax = plot_revenue_bridge(bridge)
    ax.set_ylabel(money_label("revenue", cur))
    section.figure(ax.figure, "Revenue bridge of the last complete month")
    # in the data's first month every customer is new to the data: not a bridge
    section.text(
        f"{bridge['period'].iloc[0]:%B %Y} is left out of the bridge table: in the data's "
        "first month every customer is new to the data, whatever their history.",
        note=True,
    )
    section.table(
        bridge.iloc[:0:-1][
            ["period", "is_partial", "revenue", "new", "retained", "reactivated", "lost"]
        ],
        caption="Revenue bridge per month, newest first",
        max_rows=13,
        money=("revenue", "new", "retained", "reactivated", "lost"),
    )
    return section


# --------------------------------------------------------------------------------------
# segments and value
# --------------------------------------------------------------------------------------


def segments(inputs: ReportInputs, section: Section) -> Section:
    """RFM scores and the standard segment map."""
    from crmanalytics.plotting.segmentation import plot_segments
    from crmanalytics.segmentation import rfm_scores, rfm_segments, rfm_table, segment_summary

    rfm = rfm_segments(rfm_scores(rfm_table(inputs.transactions, observation_end=inputs.end)))
    summary = segment_summary(rfm)
    inputs.tables["rfm"] = rfm
    inputs.tables["segments"] = summary
    section.text(
        "Each customer is scored 1-5 on recency (days since the last purchase), frequency "
        "and monetary value by quantile, and named by the standard segment map."
    )
    ax = plot_segments(summary)
    section.figure(ax.figure, "Share of customers and of revenue per segment")
    caption = "Segments" + (f" (revenue in {inputs.currency})" if inputs.currency else "")
    section.table(
        summary,
        caption=caption,
        percent=("customer_share", "revenue_share"),
        money=("revenue", "mean_monetary"),
    )
    return section


def concentration(inputs: ReportInputs, section: Section) -> Section:
    """Gini coefficient and Lorenz curve of revenue per customer."""
    from crmanalytics.plotting.segmentation import plot_lorenz
    from crmanalytics.segmentation import concentration as revenue_concentration

    if "rfm" not in inputs.tables:
        return section.skip("the RFM table could not be built.")
    result = revenue_concentration(inputs.tables["rfm"], column="monetary")
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


def value(inputs: ReportInputs, section: Section) -> Section:
    """BG/NBD purchases and P(alive), Gamma-Gamma spend, 12-month CLV."""
    from crmanalytics.value import (
        GammaGammaModel,
        customer_lifetime_value,
        customer_summary,
    )

    tx = inputs.transactions
    purchases = tx.loc[tx["amount"] > 0]
    summary = customer_summary(purchases, observation_end=inputs.end, time_unit="W")
    model, note = _fit_bgnbd(summary)
    if model is None:
        return section.skip(f"the BG/NBD model could not be fitted ({note}).")
    section.text(
        "The BG/NBD model (Fader, Hardie & Lee 2005) describes how often each customer buys "
        "while alive and how likely they are to have left; time is in weeks. The models "
        "describe purchases: rows with a zero or negative amount are left out here."
    )
    if note:
        section.text(note, note=True)
    section.table(model.summary().reset_index(), caption="BG/NBD parameters with standard errors")
    p_alive = model.probability_alive(summary)
    result = summary.assign(
        p_alive=p_alive, expected_purchases_52w=model.expected_purchases(summary, 52.0)
    )
    section.kpis(
        {
            "mean P(alive)": f"{np.mean(p_alive):.1%}",
            "customers with P(alive) < 50%": f"{np.mean(p_alive < 0.5):.1%}",
            "expected purchases, next 52 weeks": f"{result['expected_purchases_52w'].sum():,.0f}",
        }
    )
    _value_figures(section, model, summary)
    inputs.tables["customer_value"] = result
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    try:
        spend = GammaGammaModel().fit(repeat)
    except CRMError as exc:
        return section.skip(f"the Gamma-Gamma spend model could not be fitted ({exc}).")
    clv = customer_lifetime_value(
        summary, model, spend, periods=12, period_length=30.0 / 7.0, discount_rate=0.01
    )
    result = result.merge(clv, on="customer_id", how="left")
    inputs.tables["customer_value"] = result
    section.text(
        "Customer lifetime value: expected spend per purchase (Gamma-Gamma) times expected "
        "purchases in each of the next 12 30-day periods, discounted at 1% a period."
    )
    section.kpis(
        {
            money_label("expected 12-month value, all customers", inputs.currency): money(
                float(result["clv"].sum()), inputs.currency
            )
        }
    )
    top = result.sort_values("clv", ascending=False)
    caption = "Most valuable customers" + (
        f" (clv in {inputs.currency})" if inputs.currency else ""
    )
    section.table(
        top, caption=caption, max_rows=10, percent=("p_alive",), money=("monetary_value", "clv")
    )
    return section


_PENALIZER = 0.001


def _fit_bgnbd(summary: pd.DataFrame) -> tuple[Any, str]:
    """Fit BG/NBD; when the plain fit fails, once more with a small penalizer, said."""
    from crmanalytics.value import BetaGeoModel

    try:
        return BetaGeoModel().fit(summary), ""
    except CRMError as first:
        try:
            model = BetaGeoModel(penalizer=_PENALIZER).fit(summary)
        except CRMError:
            return None, str(first)
    return model, (
        f"The plain maximum-likelihood fit did not identify every parameter, so the model "
        f"was fitted with a small penalizer ({_PENALIZER}) that keeps the parameters away "
        "from the edges; read the estimates with that in mind."
    )


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


def model_check(inputs: ReportInputs, section: Section) -> Section:
    """BG/NBD fitted on the first two thirds, checked on the last third (holdout)."""
    from crmanalytics.plotting.value import plot_holdout, plot_tracking
    from crmanalytics.value import customer_summary, evaluate_holdout, tracking

    tx = inputs.transactions
    purchases = tx.loc[tx["amount"] > 0]
    first, end = purchases["timestamp"].min().normalize(), inputs.end.normalize()
    if (end - first).days < 90:
        return section.skip("the data cover less than 90 days: too short to hold any out.")
    cut = first + (end - first) * 2 / 3
    calibration_end = cut.normalize()
    summary = customer_summary(
        purchases, calibration_end=calibration_end, observation_end=inputs.end, time_unit="W"
    )
    model, note = _fit_bgnbd(summary)
    if model is None:
        return section.skip(f"the BG/NBD model could not be fitted on the calibration ({note}).")
    result = evaluate_holdout(model, summary)
    if note:
        section.text(note, note=True)
    section.text(
        f"Is the model worth trusting here? BG/NBD fitted on purchases up to "
        f"{calibration_end:%Y-%m-%d} (calibration) predicts each of those customers' "
        f"purchases over the remaining {result.duration:.0f} weeks (holdout), which are "
        "then counted."
    )
    section.kpis(
        {
            "holdout purchases, actual": f"{result.total_actual:,.0f}",
            "predicted": f"{result.total_predicted:,.0f}",
            "error of the total": f"{result.total_error:+.1%}",
            "mean absolute error per customer": f"{result.mae:.2f}",
            "correlation, actual and predicted": f"{result.correlation:.2f}",
        }
    )
    inputs.tables["holdout"] = result.table
    ax = plot_holdout(result)
    section.figure(ax.figure, "Mean holdout purchases by calibration frequency")
    track = tracking(
        model, purchases, calibration_end=calibration_end, period="W", observation_end=inputs.end
    )
    inputs.tables["tracking"] = track
    ax = plot_tracking(track)
    section.figure(ax.figure, "Cumulative repeat purchases per week, actual and predicted")
    section.table(result.table, caption="Holdout purchases by calibration frequency")
    return section


def campaigns(inputs: ReportInputs, section: Section) -> Section:
    """Reach, response and conversion per campaign, with Wilson intervals."""
    inter = inputs.interactions
    if inter is None or "campaign_id" not in inter.columns:
        return section.skip("there are no interactions with a campaign_id.")
    if not (inter["kind"] == "campaign_sent").any():
        return section.skip("there are no interactions of kind 'campaign_sent'.")
    from crmanalytics.marketing import campaign_performance
    from crmanalytics.plotting.marketing import plot_campaign_performance

    sent = inter.loc[inter["kind"].isin(["campaign_sent", "campaign_response"])]
    performance = campaign_performance(sent, inputs.transactions)
    inputs.tables["campaigns"] = performance
    section.text(
        "Per campaign: customers reached, who responded, and who bought within the window "
        "after their first send (converted), with 95% Wilson intervals, and the revenue of "
        "the reached customers in that window. Without a control group this is what "
        "followed the campaign, not what it caused."
    )
    ax = plot_campaign_performance(performance)
    section.figure(ax.figure, "Conversion rate per campaign with its 95% interval")
    shown = [
        "campaign_id",
        "reached",
        "responders",
        "response_rate",
        "converted",
        "conversion_rate",
        "revenue",
        "revenue_per_reached",
    ]
    section.table(
        performance[[c for c in shown if c in performance.columns]],
        caption="Campaigns" + (f" (revenue in {inputs.currency})" if inputs.currency else ""),
        percent=("response_rate", "conversion_rate"),
        money=("revenue", "revenue_per_reached"),
    )
    return section


# --------------------------------------------------------------------------------------
# churn, rules, feedback
# --------------------------------------------------------------------------------------


_INACTIVITY = 90


def churn(inputs: ReportInputs, section: Section) -> Section:
    """Cohort retention over complete months and the monthly churn rate."""
    from crmanalytics.churn import churn_rate, cohort_retention
    from crmanalytics.plotting.churn import plot_churn_rate, plot_cohort_retention

    tx = inputs.transactions
    span = complete_span(tx["timestamp"].min(), inputs.end, "M")
    complete = span.clip_end(tx)
    if complete.empty:
        return section.skip("the data do not cover one complete month.")
    retention = cohort_retention(complete, period="M")
    inputs.tables["cohort_retention"] = retention
    section.text(
        "Customers grouped by the month of their first purchase; each cell is the share of "
        "the cohort that bought again that many months later. Only complete months are "
        "drawn, so the last column of each cohort is not a drop."
    )
    if span.last_note:
        section.text(span.last_note, note=True)
    ax = plot_cohort_retention(retention)
    section.figure(ax.figure, "Monthly cohort retention (complete months)")
    rates = churn_rate(tx, period="M", inactivity=_INACTIVITY, observation_end=inputs.end)
    # before the first day + 90 days nobody can have been inactive for 90 days: those
    # months show a churn of zero that is only the start of the data, not a fact
    possible = tx["timestamp"].min().normalize() + pd.Timedelta(days=_INACTIVITY)
    month_end = rates["period"] + pd.offsets.MonthBegin(1)
    early = int((month_end <= possible).sum())
    rates = rates.loc[month_end > possible].reset_index(drop=True)
    inputs.tables["churn_rate"] = rates
    if len(rates):
        section.text(
            "Monthly churn rate: the share of customers active at the start of a month "
            "(a purchase in the previous 90 days) who have had none for 90 days by its end. "
            "Only complete months are shown."
        )
        if early:
            section.text(
                f"The first {early} month(s) are left out: within 90 days of the first "
                "transaction in the data nobody can have been inactive for 90 days yet.",
                note=True,
            )
        ax = plot_churn_rate(rates)
        section.figure(ax.figure, "Monthly churn rate (90-day inactivity)")
    return section


def _labelled_rules(rules: pd.DataFrame, names: dict[object, str]) -> pd.DataFrame:
    """Rules with ``antecedent_name`` and ``consequent_name`` (kept when already there)."""
    if not names:
        return rules
    out = rules.copy()
    for side in ("antecedent", "consequent"):
        if f"{side}_name" not in out.columns:
            position = list(out.columns).index(side) + 1
            out.insert(position, f"{side}_name", out[side].map(names))
    return out


def _short(text: object, width: int = 28) -> str:
    label = str(text)
    return label if len(label) <= width else label[: width - 1] + "…"


def rules(inputs: ReportInputs, section: Section) -> Section:
    """A-then-B rules over products, labelled with product names when given."""
    tx = inputs.transactions
    if "product_id" not in tx.columns:
        return section.skip("the transactions have no product_id column.")
    from crmanalytics.association import sequential_rules
    from crmanalytics.plotting.association import plot_sequential_rules

    keep = tx["amount"] > 0
    if inputs.non_products:
        keep &= ~is_non_product(tx["product_id"], inputs.non_products)
    found = sequential_rules(tx.loc[keep], min_support=0.01)
    if not len(found):
        return section.skip("no product pair reaches 1% of customers.")
    found = _labelled_rules(found, product_names(tx))
    inputs.tables["sequential_rules"] = found
    section.text(
        "Customers who bought A and then B 1 to 90 days later (purchases only: returns, "
        "zero-price lines and non-product codes are left out). Support: share of all "
        "customers doing so; confidence: share of A's buyers; lift: how many times more "
        "often than if A and B were unrelated."
    )
    labelled = found.copy()
    if "antecedent_name" in found.columns:
        for side in ("antecedent", "consequent"):
            names = found[f"{side}_name"].where(found[f"{side}_name"].notna(), found[side])
            labelled[side] = names.map(_short)
    ax = plot_sequential_rules(labelled)
    section.figure(ax.figure, "Strongest A-then-B rules by lift")
    shown = [
        c
        for c in (
            "antecedent",
            "antecedent_name",
            "consequent",
            "consequent_name",
            "customers",
            "support",
            "confidence",
            "lift",
            "median_lag_days",
        )
        if c in found.columns
    ]
    section.table(
        found.sort_values("lift", ascending=False)[shown],
        caption="Rules",
        max_rows=15,
        percent=("support", "confidence"),
    )
    return section


def nps(inputs: ReportInputs, section: Section) -> Section:
    """Net Promoter Score with its interval, and its monthly trend over complete months."""
    inter = inputs.interactions
    if inter is None or "score" not in inter.columns or not (inter["kind"] == NPS_KIND).any():
        return section.skip("there are no interactions with kind 'nps' and a score.")
    from crmanalytics.feedback import nps as net_promoter_score
    from crmanalytics.feedback import nps_trend
    from crmanalytics.plotting.feedback import plot_nps_trend

    answers = inter.loc[inter["kind"] == NPS_KIND]
    overall = net_promoter_score(answers["score"], method="adjusted-wald")
    ci = overall.confidence_interval
    section.kpis(
        {
            "NPS": f"{overall.score:+.1f}",
            "95% interval": f"{ci.low:+.1f} to {ci.high:+.1f}",
            "answers": f"{overall.n:,}",
        }
    )
    # the survey window is the data's window, not the first and last answer
    first = min(answers["timestamp"].min(), inputs.transactions["timestamp"].min())
    span = complete_span(first, max(inputs.end, answers["timestamp"].max()), "M")
    monthly = span.clip(answers)
    if monthly.empty:
        return section
    trend = nps_trend(monthly, period="M", method="adjusted-wald")
    inputs.tables["nps_trend"] = trend
    for note in span.notes:
        section.text(note, note=True)
    ax = plot_nps_trend(trend)
    section.figure(ax.figure, "NPS by month with its 95% interval (adjusted Wald)")
    return section


#: The report's sections in the reader's order. Campaigns, uplift, funnels, the model
#: check, CLV intervals and churn drivers are added here as one function each.
SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("overview", "Overview", overview),
    SectionSpec("quality", "Data quality", data_quality),
    SectionSpec("sales", "Sales over time", sales),
    SectionSpec("segments", "RFM segments", segments),
    SectionSpec("concentration", "Revenue concentration", concentration),
    SectionSpec("value", "Lifetime value and P(alive)", value),
    SectionSpec("model_check", "Model check on a holdout", model_check),
    SectionSpec("churn", "Churn and cohort retention", churn),
    SectionSpec("rules", "A-then-B rules", rules),
    SectionSpec("nps", "Net Promoter Score", nps),
    SectionSpec("campaigns", "Campaigns", campaigns),
)
