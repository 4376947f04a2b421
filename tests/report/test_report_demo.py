"""The demo report on the bundled Online Retail sample: every section, checked by parsing.

The page is parsed with the standard library's html.parser; the numbers of the
data-quality section are recomputed here with pandas from the raw export.
"""

from __future__ import annotations

import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmanalytics.__main__ import main
from crmanalytics.datasets import NON_PRODUCT_CODES, load_online_retail
from crmanalytics.report import SECTIONS

openpyxl = pytest.importorskip("openpyxl")


class Sections(HTMLParser):
    """Collect each <section>: its id, title, text and counts of tables, figures, KPIs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, dict[str, object]] = {}
        self.current: dict[str, object] | None = None
        self.in_h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "section":
            self.current = {
                "title": "",
                "text": [],
                "table": 0,
                "img": 0,
                "kpi": 0,
                "skipped": values.get("class") == "skipped",
            }
            self.found[str(values["id"])] = self.current
        elif self.current is not None:
            if tag == "h2":
                self.in_h2 = True
            elif tag in ("table", "img"):
                self.current[tag] = int(self.current[tag]) + 1  # type: ignore[call-overload]
            elif tag == "div" and values.get("class") == "kpi":
                self.current["kpi"] = int(self.current["kpi"]) + 1  # type: ignore[call-overload]

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.current = None
        elif tag == "h2":
            self.in_h2 = False

    def handle_data(self, data: str) -> None:
        if self.current is None:
            return
        if self.in_h2:
            self.current["title"] = str(self.current["title"]) + data
        else:
            self.current["text"].append(data)  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    assert main(["report", "--demo", "--out", str(out), "--quiet", "--xlsx"]) == 0
    return out


@pytest.fixture(scope="module")
def parsed(demo: Path) -> dict[str, dict[str, object]]:
    parser = Sections()
    parser.feed((demo / "index.html").read_text(encoding="utf-8"))
    return parser.found


def text_of(section: dict[str, object]) -> str:
    return " ".join(section["text"])  # type: ignore[arg-type]


def test_every_section_is_present_in_order_and_has_results(parsed):
    assert list(parsed) == [spec.key for spec in SECTIONS]
    for spec in SECTIONS:
        section = parsed[spec.key]
        assert section["title"] == spec.title
        assert not section["skipped"], spec.key
        assert "Not shown" not in text_of(section), spec.key
        results = int(section["table"]) + int(section["img"]) + int(section["kpi"])
        assert results > 0, f"section {spec.key} has no table, figure or headline number"


def test_rules_are_labelled_with_product_names(parsed, demo):
    rules = pd.read_csv(demo / "tables" / "sequential_rules.csv", dtype=str)
    assert {"antecedent_name", "consequent_name"} <= set(rules.columns)
    raw = load_online_retail()
    # the most frequent Description of each StockCode, computed independently
    names = (
        raw.dropna(subset=["Description"])
        .groupby("StockCode")["Description"]
        .agg(lambda d: sorted(d.value_counts().loc[lambda c: c == c.max()].index)[0].strip())
    )
    top = rules.sort_values("lift", ascending=False, key=lambda c: c.astype(float)).iloc[0]
    assert top["antecedent_name"] == names[top["antecedent"]]
    assert top["consequent_name"] == names[top["consequent"]]
    assert top["antecedent_name"] in text_of(parsed["rules"])
    codes = {c.upper() for c in NON_PRODUCT_CODES}
    used = pd.concat([rules["antecedent"], rules["consequent"]]).str.upper()
    assert not used.isin(codes).any()
    assert not used.str.startswith("GIFT_").any()


def test_data_quality_counts_match_the_raw_export(parsed, demo):
    raw = load_online_retail()
    quality = pd.read_csv(demo / "tables" / "data_quality.csv")
    by_rule = dict(zip(quality["rule"], quality["rows"], strict=True))
    guests = int(raw["CustomerID"].isna().sum())
    known = raw[raw["CustomerID"].notna()]
    amount = known["Quantity"] * known["UnitPrice"]
    assert by_rule[next(r for r in by_rule if r.startswith("customer_id"))] == guests
    assert by_rule["amount < 0 (returns and cancellations)"] == int((amount < 0).sum())
    assert by_rule["amount = 0 (zero prices: samples, replacements)"] == int((amount == 0).sum())
    code = known["StockCode"].str.upper()
    non_product = code.isin({c.upper() for c in NON_PRODUCT_CODES}) | code.str.startswith("GIFT_")
    assert by_rule[next(r for r in by_rule if r.startswith("product_id"))] == int(non_product.sum())
    computed = next(r for r in by_rule if r.startswith("amount was computed"))
    assert by_rule[computed] == len(known)
    examples = quality.loc[quality["rule"].str.startswith("customer_id"), "examples"].iloc[0]
    guest_invoices = set(raw.loc[raw["CustomerID"].isna(), "InvoiceNo"])
    assert set(examples.split(", ")) <= guest_invoices
    assert f"{len(known):,} of {len(raw):,}" in text_of(parsed["quality"])


def test_incomplete_last_month_is_left_out_and_said(parsed, demo):
    retention = pd.read_csv(demo / "tables" / "cohort_retention.csv", parse_dates=["cohort"])
    assert retention["cohort"].max() == pd.Timestamp("2011-11-01")  # data end 2011-12-09
    assert "December 2011 is left out" in text_of(parsed["churn"])
    # the diagonal of the heatmap is a complete month: no cohort's last share is an artefact
    last = [
        row.dropna().iloc[-1]
        for _, row in retention.drop(columns=["cohort", "cohort_size"]).iterrows()
    ]
    assert min(last[:-1]) > 0.1
    rates = pd.read_csv(demo / "tables" / "churn_rate.csv", parse_dates=["period"])
    assert (rates["churn_rate"] > 0).all()  # no structural zeros at the start
    nps = pd.read_csv(demo / "tables" / "nps_trend.csv", parse_dates=["period"])
    assert nps["period"].min() == pd.Timestamp("2010-12-01")  # data begin on 2010-12-01
    assert nps["period"].max() == pd.Timestamp("2011-11-01")


def test_money_is_shown_in_the_currency(parsed):
    assert "£" in text_of(parsed["overview"])
    assert "net revenue (GBP)" in text_of(parsed["overview"])
    assert "simulated" in text_of(parsed["overview"])


def test_workbook_holds_every_table(demo):
    book = openpyxl.load_workbook(demo / "tables.xlsx", read_only=True)
    csvs = sorted(p.stem for p in (demo / "tables").glob("*.csv"))
    assert sorted(book.sheetnames) == csvs
    for name in ("segments", "sequential_rules", "data_quality"):
        sheet = list(book[name].values)
        table = pd.read_csv(demo / "tables" / f"{name}.csv")
        assert list(sheet[0]) == list(table.columns)
        assert len(sheet) - 1 == len(table)
        numbers = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
        got = pd.DataFrame(sheet[1:], columns=sheet[0])[numbers].astype(float)
        np.testing.assert_allclose(got.to_numpy(), table[numbers].to_numpy(dtype=float))


def test_xlsx_without_openpyxl_exits_2_with_advice(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    code = main(["report", "--demo", "--out", str(tmp_path), "--quiet", "--xlsx"])
    assert code == 2
    err = capsys.readouterr().err
    assert "crmanalytics[xlsx]" in err
    assert "Traceback" not in err
    assert not (tmp_path / "index.html").exists()


def test_browser_check_script_exists_and_is_executable_shell():
    script = Path(__file__).resolve().parents[2] / "tools" / "check_report_in_browser.sh"
    assert script.read_text().startswith("#!/usr/bin/env bash")
    assert shutil.which("bash")


def test_sales_over_time_matches_the_raw_export(parsed, demo):
    raw = load_online_retail()
    known = raw[raw["CustomerID"].notna()]
    month = known["InvoiceDate"].dt.to_period("M").dt.start_time
    revenue = (known["Quantity"] * known["UnitPrice"]).groupby(month).sum()
    sales = pd.read_csv(demo / "tables" / "sales_summary.csv", parse_dates=["period"])
    np.testing.assert_allclose(sales.set_index("period")["revenue"], revenue, rtol=1e-9)
    partial = sales.loc[sales["is_partial"], "period"].tolist()
    assert partial == [pd.Timestamp("2011-12-01")]  # the data end on 2011-12-09
    text = text_of(parsed["sales"])
    assert "December 2011 is marked" in text
    assert "November 2011" in text  # headline numbers: the last complete month
    assert f"£{revenue.iloc[-2]:,.0f}" in text
    bridge = pd.read_csv(demo / "tables" / "revenue_bridge.csv")
    np.testing.assert_allclose(
        bridge["new"] + bridge["retained"] + bridge["reactivated"], bridge["revenue"]
    )
    assert "December 2010 is left out of the bridge table" in text


def test_model_check_and_campaigns_agree_with_their_tables(parsed, demo):
    holdout = pd.read_csv(demo / "tables" / "holdout.csv")
    actual = (holdout["customers"] * holdout["mean_actual"]).sum()
    assert f"{actual:,.0f}" in text_of(parsed["model_check"])
    assert int(parsed["model_check"]["img"]) == 2  # holdout and tracking plots
    from crmanalytics.report._demo_data import demo_inputs

    inter = demo_inputs().interactions
    sent = inter[inter["kind"] == "campaign_sent"]
    reached = sent.groupby("campaign_id")["customer_id"].nunique()  # independent count
    campaigns = pd.read_csv(demo / "tables" / "campaigns.csv").set_index("campaign_id")
    assert campaigns["reached"].to_dict() == reached.to_dict()


def test_uplift_rates_match_a_brute_force_count(parsed, demo):
    from crmanalytics.report._demo_data import demo_inputs

    inputs = demo_inputs()
    controls = inputs.campaign_controls
    table = pd.read_csv(demo / "tables" / "campaign_uplift.csv").set_index("campaign_id")
    assert sorted(table.index) == sorted(controls["campaign_id"].unique())
    inter, tx = inputs.interactions, inputs.transactions
    buys = tx[tx["amount"] > 0]
    for campaign in ("C02", "C05"):
        sent = inter[(inter["kind"] == "campaign_sent") & (inter["campaign_id"] == campaign)]
        start = sent["timestamp"].min()
        held = set(controls.loc[controls["campaign_id"] == campaign, "customer_id"])
        window = buys[
            (buys["timestamp"] > start) & (buys["timestamp"] <= start + pd.Timedelta(30, "D"))
        ]
        converted = held & set(window["customer_id"])
        row = table.loc[campaign]
        assert row["control"] == len(held)
        assert row["conversion_rate_control"] == pytest.approx(len(converted) / len(held))
        assert (
            row["conversion_uplift_low"]
            <= row["conversion_uplift"]
            <= row["conversion_uplift_high"]
        )
    assert "campaigns with a control group" in text_of(parsed["uplift"])
    assert int(parsed["uplift"]["img"]) == 1


def test_funnel_first_step_counts_page_viewers(parsed, demo):
    from crmanalytics.report._demo_data import demo_inputs

    inter = demo_inputs().interactions
    viewers = inter.loc[inter["kind"] == "page_view", "customer_id"].nunique()
    funnel = pd.read_csv(demo / "tables" / "funnel.csv")
    assert funnel["step"].tolist() == ["page_view", "cart", "purchase"]
    assert funnel["customers"].iloc[0] == viewers
    assert funnel["customers"].is_monotonic_decreasing
    assert f"{viewers:,}" in text_of(parsed["funnel"])


def test_clv_intervals_and_churn_drivers_are_shown(parsed, demo):
    value = pd.read_csv(demo / "tables" / "customer_value.csv")
    assert (value["clv_low"] <= value["clv"]).all()
    assert (value["clv"] <= value["clv_high"]).all()
    assert (value["clv_high"] > value["clv_low"]).any()
    assert "clv_high" in text_of(parsed["value"])
    drivers = pd.read_csv(demo / "tables" / "churn_drivers.csv")
    assert {"feature", "coefficient", "coefficient_low", "coefficient_high"} <= set(drivers.columns)
    assert drivers["feature"].iloc[0] in text_of(parsed["churn_drivers"])
    assert int(parsed["churn_drivers"]["img"]) == 1
