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
        summary,
        model,
        spend,
        periods=12,
        period_length=30.0 / 7.0,
        discount_rate=0.01,
        interval=_CLV_INTERVAL,
    )
    result = result.merge(clv, on="customer_id", how="left")
    inputs.tables["customer_value"] = result
    section.text(
        "Customer lifetime value: expected spend per purchase (Gamma-Gamma) times expected "
        "purchases in each of the next 12 30-day periods, discounted at 1% a period. "
        f"clv_low and clv_high bound a {_CLV_INTERVAL:.0%} interval on each customer's value "
        "from the uncertainty of both models' estimates (delta method); it leaves out "
        "the randomness of the customer's own future purchases."
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
        top,
        caption=caption,
        max_rows=10,
        percent=("p_alive",),
        money=("monetary_value", "clv", "clv_low", "clv_high"),
    )
    ax = _plot_clv_intervals(top.head(20), inputs.currency)
    section.figure(
        ax.figure, f"12-month value of the 20 most valuable customers, {_CLV_INTERVAL:.0%} interval"
    )
    return section


_CLV_INTERVAL = 0.95
_PENALIZER = 0.001


def _plot_clv_intervals(top: pd.DataFrame, currency: str | None) -> Any:
    """Each customer's CLV with its interval, the most valuable on top."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.28 * len(top) + 1.2))
    rows = np.arange(len(top))[::-1]
    clv = top["clv"].to_numpy(dtype=float)
    errors = np.vstack(
        [clv - top["clv_low"].to_numpy(float), top["clv_high"].to_numpy(float) - clv]
    )
    ax.errorbar(clv, rows, xerr=errors, fmt="o", color="#16324f", ecolor="#8aa1b8", capsize=3)
    ax.set_yticks(rows, [str(c) for c in top["customer_id"]])
    ax.set_xlabel(money_label("expected value, next 12 30-day periods", currency))
    ax.set_ylabel("customer")
    ax.set_xlim(left=0)
    fig.tight_layout()
    return ax


def _fit_bgnbd(summary: pd.DataFrame) -> tuple[Any, str]:
    """Fit BG/NBD; when the plain fit fails, once more with a small penalizer, said."""
    from crmanalytics.value import BetaGeoModel

    try:
        return BetaGeoModel().fit(summary), ""
    except (CRMError, ValueError) as first:  # ValueError: e.g. no repeat purchase at all
        try:
            model = BetaGeoModel(penalizer=_PENALIZER).fit(summary)
        except (CRMError, ValueError):
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


#: Interaction kind marking a customer held out of a campaign (with its campaign_id).
CONTROL_KIND = "campaign_control"


def _campaign_controls(inputs: ReportInputs) -> pd.DataFrame | None:
    """The hold-out groups: given, or marked by interactions of kind ``campaign_control``."""
    if inputs.campaign_controls is not None:
        return inputs.campaign_controls
    inter = inputs.interactions
    if inter is None or "campaign_id" not in inter.columns:
        return None
    held = inter.loc[inter["kind"] == CONTROL_KIND, ["campaign_id", "customer_id"]]
    return held.drop_duplicates() if len(held) else None


def uplift(inputs: ReportInputs, section: Section) -> Section:
    """Per campaign with a control group: conversion and revenue against the hold-out."""
    inter = inputs.interactions
    if inter is None or "campaign_id" not in inter.columns:
        return section.skip("there are no interactions with a campaign_id.")
    sent = inter.loc[inter["kind"] == "campaign_sent"]
    if sent.empty:
        return section.skip("there are no interactions of kind 'campaign_sent'.")
    controls = _campaign_controls(inputs)
    if controls is None:
        return section.skip(
            "no campaign has a control group. Uplift (what a campaign caused) needs "
            "customers deliberately held out of it, marked by interactions of kind "
            f"'{CONTROL_KIND}' with the campaign_id; the Campaigns section shows only what "
            "followed each campaign."
        )
    held = controls.groupby("campaign_id")["customer_id"]
    names = sorted(set(sent["campaign_id"].dropna()) & set(held.groups), key=str)
    if not names:
        return section.skip("no campaign that was sent has a control group.")
    from crmanalytics.marketing import campaign_uplift
    from crmanalytics.plotting.marketing import plot_uplift
    from crmanalytics.segmentation._profile_stats import benjamini_hochberg

    tx = inputs.transactions
    results = [
        campaign_uplift(sent, tx, campaign_id=name, control=held.get_group(name)) for name in names
    ]
    pvalues = np.array([r.conversion_pvalue for r in results], dtype=float)
    table = pd.DataFrame(
        {
            "campaign_id": [r.campaign_id for r in results],
            "reached": [r.reached for r in results],
            "control": [r.control for r in results],
            "conversion_rate_reached": [r.conversion_rate_reached for r in results],
            "conversion_rate_control": [r.conversion_rate_control for r in results],
            "conversion_uplift": [r.conversion_uplift for r in results],
            "conversion_uplift_low": [r.conversion_uplift_interval.low for r in results],
            "conversion_uplift_high": [r.conversion_uplift_interval.high for r in results],
            "conversion_pvalue": pvalues,
            "conversion_qvalue": benjamini_hochberg(pvalues),
            "revenue_uplift": [r.revenue_uplift for r in results],
            "revenue_uplift_low": [r.revenue_uplift_interval.low for r in results],
            "revenue_uplift_high": [r.revenue_uplift_interval.high for r in results],
            "revenue_pvalue": [r.revenue_pvalue for r in results],
        }
    )
    inputs.tables["campaign_uplift"] = table
    section.text(
        "Per campaign with a control group: reached customers against those deliberately "
        "held out, each followed for 30 days (from their first send; the control from the "
        "campaign's first send). The uplift is the difference in conversion rate "
        "(Newcombe interval) and in revenue per customer (Welch interval); with several "
        "campaigns the q-value corrects the p-value for testing them all "
        "(Benjamini-Hochberg). Only a random hold-out makes this the campaign's effect."
    )
    significant = int((table["conversion_qvalue"] < 0.05).sum())
    section.kpis(
        {
            "campaigns with a control group": f"{len(results)}",
            "conversion uplift, q < 0.05": f"{significant} of {len(results)}",
            "incremental conversions, all campaigns": (
                f"{sum(r.incremental_conversions for r in results):,.0f}"
            ),
        }
    )
    ax = plot_uplift(results)
    section.figure(ax.figure, "Conversion uplift per campaign with its 95% interval")
    section.table(
        table.drop(columns=["conversion_pvalue", "revenue_pvalue"]),
        caption="Uplift per campaign"
        + (f" (revenue per customer in {inputs.currency})" if inputs.currency else ""),
        percent=(
            "conversion_rate_reached",
            "conversion_rate_control",
            "conversion_uplift",
            "conversion_uplift_low",
            "conversion_uplift_high",
        ),
        money=("revenue_uplift", "revenue_uplift_low", "revenue_uplift_high"),
    )
    return section


FUNNEL_STEPS = ("page_view", "cart", "purchase")


def funnel(inputs: ReportInputs, section: Section) -> Section:
    """Customers going from a page view to a cart to a purchase within 30 days."""
    inter = inputs.interactions
    if inter is None:
        return section.skip("there are no interactions.")
    absent = [kind for kind in FUNNEL_STEPS[:-1] if not (inter["kind"] == kind).any()]
    if absent:
        return section.skip(
            "there are no interactions of kind "
            + " or ".join(f"'{kind}'" for kind in absent)
            + ": the funnel page view -> cart -> purchase needs them."
        )
    from crmanalytics.marketing import funnel as customer_funnel
    from crmanalytics.plotting.marketing import plot_funnel

    events = inter.loc[inter["kind"].isin(FUNNEL_STEPS[:-1])]
    result = customer_funnel(events, inputs.transactions, steps=FUNNEL_STEPS)
    inputs.tables["funnel"] = result
    section.text(
        "Customers entering at their first page view, then reaching a cart and a purchase "
        "(a transaction with a positive amount), each step after the one before and all "
        "within 30 days of the first; 95% Wilson intervals."
    )
    last = result.iloc[-1]
    section.kpis(
        {
            "customers viewing a page": f"{int(result['customers'].iloc[0]):,}",
            "went on to buy within 30 days": f"{float(last['overall_conversion']):.1%}",
        }
    )
    ax = plot_funnel(result)
    section.figure(ax.figure, "Customers at each step of the funnel")
    shown = [
        "step",
        "customers",
        "step_conversion",
        "step_conversion_low",
        "step_conversion_high",
        "overall_conversion",
        "median_days_from_previous",
    ]
    section.table(
        result[[c for c in shown if c in result.columns]],
        caption="Funnel: page view -> cart -> purchase",
        percent=(
            "step_conversion",
            "step_conversion_low",
            "step_conversion_high",
            "overall_conversion",
        ),
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


_HORIZON = 90
#: Bootstrap resamples of the drivers' coefficients: each is one more logistic fit, so
#: the report takes half the library's default to stay quick on 2 cores.
_DRIVER_BOOTSTRAP = 100


def churn_drivers(inputs: ReportInputs, section: Section) -> Section:
    """Which features go with churn over the last 90 days, from the history before them."""
    from crmanalytics.churn import churn_drivers as find_drivers
    from crmanalytics.plotting.churn_drivers import plot_churn_drivers

    tx = inputs.transactions
    cutoff = inputs.end.normalize() - pd.Timedelta(days=_HORIZON)
    if (cutoff - tx["timestamp"].min().normalize()).days < _HORIZON:
        return section.skip(
            f"the data cover less than {2 * _HORIZON} days: drivers need {_HORIZON} days of "
            f"history before a cutoff and {_HORIZON} days after it to see who churned."
        )
    dataset, note = _churn_features(inputs, cutoff)
    if dataset is None:
        return section.skip(f"the churn features could not be built ({note}).")
    churned = dataset["churned"].astype(bool)
    if churned.all() or not churned.any():
        return section.skip(
            f"{'every' if churned.all() else 'no'} customer churned after "
            f"{cutoff:%Y-%m-%d}: there is nothing to tell churners from the others by."
        )
    result = find_drivers(dataset, n_bootstrap=_DRIVER_BOOTSTRAP, seed=0)
    inputs.tables["churn_drivers"] = result.drivers
    inputs.tables["churn_driver_buckets"] = result.buckets
    section.text(
        f"Customers who had bought by {cutoff:%Y-%m-%d} are described by their history up "
        f"to that day only (recency, frequency, spend, trends, P(alive), contacts) and "
        f"labelled churned when they bought nothing in the {_HORIZON} days after it. A "
        "logistic regression of the label on all features together ranks them; the "
        f"intervals are percentile bootstrap intervals over {_DRIVER_BOOTSTRAP} resamples "
        "of the customers. These are associations, not causes."
    )
    if note:
        section.text(note, note=True)
    section.kpis(
        {
            "customers": f"{result.n_customers:,}",
            f"churned within {_HORIZON} days": f"{result.churn_rate:.1%}",
            "strongest driver": str(result.drivers["feature"].iloc[0]),
        }
    )
    ax = plot_churn_drivers(result)
    section.figure(
        ax.figure, "Change in the log-odds of churn per standard deviation, 95% interval"
    )
    shown = ["feature", "coefficient", "coefficient_low", "coefficient_high", "effect_size"]
    section.table(
        result.drivers[[c for c in shown if c in result.drivers.columns]],
        caption="Churn drivers, strongest first",
        max_rows=15,
    )
    return section


def _churn_features(inputs: ReportInputs, cutoff: pd.Timestamp) -> tuple[Any, str]:
    """The churn dataset; without P(alive), said, when BG/NBD cannot be fitted at the cutoff."""
    from crmanalytics.churn import churn_dataset

    def build(p_alive: bool) -> pd.DataFrame:
        return churn_dataset(
            inputs.transactions,
            inputs.interactions,
            cutoff=cutoff,
            horizon=_HORIZON,
            windows=(_HORIZON,),
            p_alive=p_alive,
        )

    try:
        return build(True), ""
    except (CRMError, ValueError) as first:
        try:
            return build(False), (
                f"P(alive) is not among the features: BG/NBD could not be fitted on the "
                f"history up to the cutoff ({first})."
            )
        except (CRMError, ValueError) as exc:
            return None, str(exc)


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


#: The report's sections in the reader's order; a new section is one function added here.
SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("overview", "Overview", overview),
    SectionSpec("quality", "Data quality", data_quality),
    SectionSpec("sales", "Sales over time", sales),
    SectionSpec("segments", "RFM segments", segments),
    SectionSpec("concentration", "Revenue concentration", concentration),
    SectionSpec("value", "Lifetime value and P(alive)", value),
    SectionSpec("model_check", "Model check on a holdout", model_check),
    SectionSpec("churn", "Churn and cohort retention", churn),
    SectionSpec("churn_drivers", "Churn drivers", churn_drivers),
    SectionSpec("rules", "A-then-B rules", rules),
    SectionSpec("nps", "Net Promoter Score", nps),
    SectionSpec("campaigns", "Campaigns", campaigns),
    SectionSpec("uplift", "Campaign uplift", uplift),
    SectionSpec("funnel", "Funnel: page view to purchase", funnel),
)
