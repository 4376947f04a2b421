"""The report command: end to end on bundled and real data, and its error paths."""

from __future__ import annotations

import pandas as pd
import pytest

from crmanalytics.__main__ import main
from crmanalytics.datasets import map_online_retail, simulate
from crmanalytics.report._inputs import InputError, parse_columns


def test_report_on_real_retail_data_with_products(tmp_path, online_retail_raw):
    france = online_retail_raw[
        (online_retail_raw["Country"] == "France") & online_retail_raw["CustomerID"].notna()
    ]
    tx = map_online_retail(france)
    source = tmp_path / "tx.parquet"
    tx.to_parquet(source)
    sim = simulate(50, seed=3)
    inter = sim.interactions.assign(customer_id=sim.interactions["customer_id"] + 12000)
    inter_file = tmp_path / "inter.csv"
    inter.to_csv(inter_file, index=False)
    out = tmp_path / "out"
    assert (
        main(
            ["report", str(source), "--interactions", str(inter_file), "--out", str(out), "--quiet"]
        )
        == 0
    )
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "Strongest A-then-B rules" in page
    rules = pd.read_csv(out / "tables" / "sequential_rules.csv")
    assert (rules["support"] >= 0.01).all()


def test_column_mapping_from_the_command_line(tmp_path, capsys):
    raw = pd.DataFrame(
        {
            "Who": [1, 1, 2, 2, 3],
            "When": ["2024-01-01", "2024-02-03", "2024-01-05", "2024-03-01", "2024-02-02"],
            "amount": [5, 6, 7, 8, 9],
        }
    )
    source = tmp_path / "raw.csv"
    raw.to_csv(source, index=False)
    code = main(
        [
            "report",
            str(source),
            "--columns",
            "customer_id=Who,timestamp=When",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 0
    err = capsys.readouterr().err
    from crmanalytics.report import SECTIONS

    assert f"[1/{len(SECTIONS)}] Overview" in err  # progress on stderr when not a terminal
    assert "Report written to" in err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["nope.csv"], "does not exist"),
        (["{bad_ext}"], "use a .csv or .parquet file"),
        (["{csv}", "--columns", "customer_id"], "--columns expects canonical=YourColumn"),
        (["{csv}"], "column 'customer_id': is required but missing"),
        (["{broken}"], "could not be read as parquet"),
        ([], "give a transactions file"),
    ],
)
def test_bad_input_exits_2_with_one_message(tmp_path, capsys, args, needle):
    csv = tmp_path / "t.csv"
    pd.DataFrame({"Who": [1], "timestamp": ["2024-01-01"], "amount": [1.0]}).to_csv(csv)
    bad_ext = tmp_path / "t.xlsx"
    bad_ext.write_text("x")
    broken = tmp_path / "t.parquet"
    broken.write_text("not parquet")
    filled = [a.format(csv=csv, bad_ext=bad_ext, broken=broken) for a in args]
    code = main(["report", *filled, "--out", str(tmp_path / "o"), "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert needle in err
    assert "Traceback" not in err


def test_invalid_data_names_file_column_and_rule(tmp_path, capsys):
    csv = tmp_path / "t.csv"
    pd.DataFrame(
        {"customer_id": [1, 2], "timestamp": ["2024-01-01", "garbage"], "amount": [1.0, 2.0]}
    ).to_csv(csv, index=False)
    assert main(["report", str(csv), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "column 'timestamp': could not be parsed as a datetime" in err
    assert "'garbage'" in err


def test_parse_columns():
    assert parse_columns("customer_id=A, timestamp=B") == {"customer_id": "A", "timestamp": "B"}
    assert parse_columns(None) == {}
    with pytest.raises(InputError):
        parse_columns("customer_id=")
