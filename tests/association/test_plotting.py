"""Association figures: they draw what the rules say."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib as mpl
import pandas as pd
import pytest

mpl.use("Agg")
import matplotlib.pyplot as plt

from crmanalytics.plotting.association import plot_rule_paths, plot_sequential_rules

RULES = pd.DataFrame(
    {
        "antecedent": ["a", "b", "c", "a"],
        "consequent": ["b", "c", "d", "d"],
        "confidence": [0.3, 0.5, 0.2, 0.9],
        "lift": [4.0, 2.0, 1.5, 3.0],
        "median_lag_days": [10.0, 30.0, 5.0, 1.5],
    }
)


@pytest.fixture(autouse=True)
def _close() -> Iterator[None]:
    yield
    plt.close("all")


def test_bars_show_the_top_rules_by_lift_with_confidence_lengths() -> None:
    ax = plot_sequential_rules(RULES, top=3)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["b → c", "a → d", "a → b"]  # strongest (lift 4) at the top
    widths = [p.get_width() for p in ax.patches]
    assert widths == [0.5, 0.9, 0.3]
    assert "1.5 d" in [t.get_text() for t in ax.texts]


def test_paths_draw_one_arrow_per_rule_and_every_item() -> None:
    _fig, ax = plt.subplots()
    assert plot_rule_paths(RULES, ax=ax) is ax
    labels = sorted(t.get_text() for t in ax.texts if t.get_text())
    assert labels == ["a", "b", "c", "d"]
    assert sum(1 for t in ax.texts if not t.get_text()) == len(RULES)


def test_missing_column_is_named() -> None:
    with pytest.raises(ValueError, match="confidence"):
        plot_sequential_rules(RULES.drop(columns="confidence"))
