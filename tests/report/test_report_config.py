"""The report on a raw export: a TOML config, --invalid drop, unit_price, product names."""

from __future__ import annotations

import pandas as pd
import pytest

from crmanalytics.__main__ import main
from crmanalytics.datasets import load_online_retail


@pytest.fixture(scope="module")
def raw_csv(tmp_path_factory: pytest.TempPathFactory):
    raw = load_online_retail()
    france = raw[raw["Country"].isin(["France", "Germany"]) | raw["CustomerID"].isna()]
    folder = tmp_path_factory.mktemp("raw")
    path = folder / "retail.csv"
    france.head(8_000).to_csv(path, index=False)
    return path


CONFIG = """
transactions = "retail.csv"
invalid = "drop"
currency = "GBP"
non-products = ["POST", "DOT", "M", "C2", "BANK CHARGES", "gift_*"]
quiet = true

[columns]
customer_id = "CustomerID"
timestamp = "InvoiceDate"
transaction_id = "InvoiceNo"
product_id = "StockCode"
product_name = "Description"
quantity = "Quantity"
unit_price = "UnitPrice"
"""


def test_raw_export_without_drop_stops_with_the_problems(raw_csv, capsys):
    code = main(
        [
            "report",
            str(raw_csv),
            "--columns",
            "customer_id=CustomerID,timestamp=InvoiceDate,quantity=Quantity,unit_price=UnitPrice",
            "--out",
            str(raw_csv.parent / "o1"),
            "--quiet",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "customer_id" in err
    assert "must not be missing" in err
    assert "amount' is required" not in err  # computed from quantity * unit_price


def test_config_file_repeats_a_run(raw_csv):
    config = raw_csv.parent / "run.toml"
    config.write_text(CONFIG, encoding="utf-8")
    pages = []
    for name in ("a", "b"):
        out = raw_csv.parent / name
        assert main(["report", "--config", str(config), "--out", str(out)]) == 0
        pages.append(out)
    first, second = (pd.read_csv(p / "tables" / "data_quality.csv") for p in pages)
    pd.testing.assert_frame_equal(first, second)
    raw = pd.read_csv(raw_csv)
    guests = int(raw["CustomerID"].isna().sum())
    dropped = first.loc[first["action"] == "dropped", "rows"].sum()
    assert dropped == guests
    page = (pages[0] / "index.html").read_text(encoding="utf-8")
    assert "£" in page
    rules = pd.read_csv(pages[0] / "tables" / "sequential_rules.csv", dtype=str)
    assert not rules["antecedent"].str.upper().isin(["POST", "DOT", "M"]).any()
    assert "antecedent_name" in rules.columns


def test_command_line_wins_over_the_config(raw_csv, capsys):
    config = raw_csv.parent / "run2.toml"
    config.write_text(CONFIG, encoding="utf-8")
    code = main(["report", "--config", str(config), "--invalid", "raise", "--out", "x"])
    assert code == 2
    assert "must not be missing" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("colour = 'blue'\n", "unknown keys ['colour']"),
        ("[columns\n", "is not valid TOML"),
        ("columns = 3\n", "must be a [columns] table"),
    ],
)
def test_bad_config_exits_2(tmp_path, capsys, text, needle):
    config = tmp_path / "bad.toml"
    config.write_text(text, encoding="utf-8")
    assert main(["report", "--config", str(config), "--out", str(tmp_path / "o")]) == 2
    assert needle in capsys.readouterr().err


def test_us_dates_need_and_take_a_date_format(tmp_path, capsys):
    raw = load_online_retail().head(3000)
    exported = raw.assign(
        InvoiceDate=[
            f"{t.month}/{t.day}/{t.year} {t.hour}:{t.minute:02d}" for t in raw["InvoiceDate"]
        ]
    )
    path = tmp_path / "us.csv"
    exported.to_csv(path, index=False)
    args = ["report", str(path), "--invalid", "drop", "--quiet", "--columns"]
    mapping = "customer_id=CustomerID,timestamp=InvoiceDate,quantity=Quantity,unit_price=UnitPrice"
    # without the format every date fails to parse, with it none does
    assert main([*args, mapping, "--out", str(tmp_path / "a")]) == 2
    assert "--date-format" in capsys.readouterr().err
    code = main([*args, mapping, "--date-format", "%m/%d/%Y %H:%M", "--out", str(tmp_path / "b")])
    assert code == 0
    quality = pd.read_csv(tmp_path / "b" / "tables" / "data_quality.csv")
    assert not quality["rule"].str.contains("parsed").any()
    rfm = pd.read_csv(tmp_path / "b" / "tables" / "rfm.csv")
    assert rfm["customer_id"].nunique() == raw["CustomerID"].nunique()


def test_a_mapped_column_no_file_has_is_named(raw_csv, capsys):
    code = main(
        ["report", str(raw_csv), "--columns", "customer_id=CustomerId", "--out", "x", "--quiet"]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "is mapped to 'CustomerId', which no input table has" in err
