"""Every analysis on a local PySpark against the pandas path, on Online Retail.

Run from the repository root in a venv with the ``spark`` extra (PySpark 4, Java 17+):

    PYTHONPATH=src python benchmarks/bench_spark.py [case ...]

Spark runs ``local[2]`` with the default 1 GB driver heap (``spark.driver.memory`` is
not set) and reads the mapped Online Retail transactions from a Parquet file, so no
local rows sit in the driver's plans. Each case is timed once on Spark (the result
brought to pandas, so the whole job runs) and once on pandas, in the same run, and
recorded through ``benchmarks/_record.py`` with ``peer = pandas``. For each Spark case
the script also records what the library collected to the driver: the number of
collections and their total size (Arrow bytes), which is the driver memory the
analysis needs beyond Spark's own. ``sequential_rules`` is timed with ``counting``
``"engine"`` (the numpy kernel in Spark's executors) and ``"local"`` (collecting the
pruned events), each after one untimed warm-up call (the first call in a session also
starts Spark's Python workers).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import narwhals.stable.v2 as nw
import pandas as pd
from _record import record

from crmanalytics import _frames
from crmanalytics.association import basket_rules, sequential_rules
from crmanalytics.churn import churn_probability, churn_rate, cohort_retention
from crmanalytics.datasets import map_online_retail, simulate
from crmanalytics.feedback import nps
from crmanalytics.sales import sales_summary
from crmanalytics.segmentation import rfm_table
from crmanalytics.value import (
    BetaGeoModel,
    GammaGammaModel,
    customer_lifetime_value,
    customer_summary,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "online_retail.parquet"
COLLECTED: list[int] = []


def online_retail() -> pd.DataFrame:
    """Canonical transactions of customers with an id (returns kept as negative amounts)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tx = map_online_retail(pd.read_parquet(DATA), invalid="drop")
    tx = tx[tx["is_product"]]
    keep = ["customer_id", "timestamp", "amount", "transaction_id", "product_id"]
    return tx[keep].reset_index(drop=True)


def spark_session() -> Any:
    from pyspark.sql import SparkSession

    # Spark's Python workers (counting in the executors) run this interpreter
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("crmanalytics-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.log.level", "ERROR")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def materialise(result: Any) -> Any:
    """A Spark result to pandas (so the job runs); anything else as it is."""
    if hasattr(result, "toPandas"):
        return result.toPandas()
    return result


def counting_collections() -> None:
    """Wrap the library's PySpark collection to count what it brings to the driver."""
    original = _frames._collect_spark

    def counted(frame: nw.LazyFrame[Any]) -> nw.DataFrame[Any]:
        out = original(frame)
        COLLECTED.append(int(out.to_arrow().nbytes))
        return out

    _frames._collect_spark = counted


def cases(tx: Any, scores: Any) -> dict[str, Callable[[], Any]]:
    """The analyses, each a call on the given frames (pandas or Spark).

    On pandas, both ``sequential_rules`` cases run the pandas path's default
    (``counting="local"``): the peer is what a pandas user gets.
    """
    on_spark = hasattr(tx, "toPandas")
    summary = customer_summary(tx, time_unit="W")
    bg = BetaGeoModel().fit(summary, time_unit="W")
    positive = (nw.col("frequency") > 0) & (nw.col("monetary_value") > 0)
    repeat = nw.from_native(summary).filter(positive).to_native()
    gg = GammaGammaModel().fit(repeat, time_unit="W")
    return {
        "customer_summary": lambda: customer_summary(tx, time_unit="W"),
        "rfm_table": lambda: rfm_table(tx),
        "BetaGeoModel.fit": lambda: BetaGeoModel().fit(summary, time_unit="W"),
        "GammaGammaModel.fit": lambda: GammaGammaModel().fit(repeat, time_unit="W"),
        "customer_lifetime_value": lambda: customer_lifetime_value(repeat, bg, gg),
        "churn_probability": lambda: churn_probability(bg, summary),
        "cohort_retention": lambda: cohort_retention(tx),
        "churn_rate": lambda: churn_rate(tx),
        "sales_summary": lambda: sales_summary(tx),
        "basket_rules": lambda: basket_rules(tx, min_support=0.02),
        "sequential_rules engine": lambda: sequential_rules(
            tx, min_support=0.01, counting="engine" if on_spark else "local"
        ),
        "sequential_rules local": lambda: sequential_rules(tx, min_support=0.01, counting="local"),
        "nps": lambda: nps(scores),
    }


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    materialise(fn())
    return time.perf_counter() - started


def main(wanted: list[str]) -> None:
    tx = online_retail()
    interactions = simulate(n_customers=5_000, seed=1).interactions
    scores = interactions.loc[interactions["kind"] == "nps", ["score"]].reset_index(drop=True)
    session = spark_session()
    heap = session.sparkContext._jvm.java.lang.Runtime.getRuntime().maxMemory() / 2**20
    counting_collections()
    with tempfile.TemporaryDirectory() as tmp:
        tx.to_parquet(f"{tmp}/tx.parquet")
        scores.to_parquet(f"{tmp}/scores.parquet")
        spark_tx = session.read.parquet(f"{tmp}/tx.parquet")
        spark_scores = session.read.parquet(f"{tmp}/scores.parquet")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            on_pandas = cases(tx, scores)
            on_spark = cases(spark_tx, spark_scores)
            print(f"driver heap {heap:.0f} MB; {len(tx):,} rows")
            print(f"{'case':<26} {'spark s':>8} {'pandas s':>9} {'collects':>8} {'MB':>7}")
            for name in on_spark:
                if wanted and not any(w in name for w in wanted):
                    continue
                if name.startswith("sequential_rules"):
                    # one untimed call each first: counting in the executors starts
                    # Spark's Python workers (2-3 s once per session), and the
                    # engine/local ratio should compare the counting, not who ran first
                    materialise(on_spark[name]())
                COLLECTED.clear()
                seconds = timed(on_spark[name])
                collected = list(COLLECTED)
                peer = timed(on_pandas[name])
                rows = len(scores) if name == "nps" else len(tx)
                mb = sum(collected) / 2**20
                print(f"{name:<26} {seconds:>8.2f} {peer:>9.2f} {len(collected):>8} {mb:>7.2f}")
                record(
                    "spark",
                    name,
                    backend="pyspark",
                    rows=rows,
                    unit="interactions" if name == "nps" else "transactions",
                    seconds=seconds,
                    peer="pandas",
                    peer_seconds=peer,
                    note=(
                        f"local[2], driver heap {heap:.0f} MB; the library collected "
                        f"{len(collected)} results, {mb:.2f} MB (Arrow) in all"
                    ),
                )
    session.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
