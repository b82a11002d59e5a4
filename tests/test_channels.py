"""Payback and CAC by acquisition channel come out of compare and the report directly."""

from __future__ import annotations

import numpy as np
import pytest

import lab
from lab.analysis import unit_economics
from lab.analysis.headline import CHANNEL_PREFIX, channel_metrics, ltv_horizon_for
from lab.report.data import collect
from lab.report.html import context
from tests.conftest import bare, merge

DAYS = 40


def _paid(budget: float) -> dict:
    """A small pool: stock customers plus paid acquisition at ``budget`` CNY a day."""
    paid = {"enabled": True, "daily_budget_cny": budget, "saturation_customers_per_day": 20}
    return merge(bare(n_customers=300, days=DAYS), {"acquisition": {"paid": paid}})


@pytest.fixture(scope="module")
def cmp():
    return lab.compare(
        {"low": _paid(300.0), "high": _paid(1500.0)},
        seeds=[0, 1],
        workers=1,
        progress=False,
        warn_confounded=False,  # the budget is the lever studied here
    )


def test_channel_metrics_are_the_unit_economics_of_the_run():
    res = lab.run(_paid(300.0), seed=0)
    got = channel_metrics(res)
    ue = unit_economics(res, ltv_horizon_for(DAYS)).set_index("channel")
    for ch in ("paid", "stock_import", "all"):
        for m, col in (("cac", "cac"), ("payback_days", "payback_days"), ("ltv", "ltv")):
            if ch == "all" and m == "payback_days":
                continue  # unit_economics has no blended payback; checked below
            want = ue.loc[ch, col]
            value = got[f"{CHANNEL_PREFIX}{ch}:{m}"]
            assert (np.isnan(value) and np.isnan(want)) or value == pytest.approx(want), (ch, m)
        assert got[f"{CHANNEL_PREFIX}{ch}:customers"] == ue.loc[ch, "new_customers"]
    # everyone together (stock customers cost nothing) pays back the blended CAC, and
    # no later than the paid channel alone
    blended = got[f"{CHANNEL_PREFIX}all:payback_days"]
    assert 0 <= blended < DAYS
    paid = ue.loc["paid", "payback_days"]
    assert not np.isfinite(paid) or blended <= paid


def test_compare_gives_a_table_by_channel_for_every_scenario(cmp):
    ch = cmp.channels
    assert list(dict.fromkeys(ch["scenario"])) == ["low", "high"]
    for name in ("low", "high"):
        assert list(ch.loc[ch["scenario"] == name, "channel"]) == ["paid", "stock_import", "all"]
    assert (ch["seeds"] == 2).all()
    assert not cmp.table["metric"].str.startswith(CHANNEL_PREFIX).any()
    assert not cmp.replications.totals["metric"].str.startswith(CHANNEL_PREFIX).any()


def test_a_bigger_paid_budget_buys_dearer_customers(cmp):
    """Paid CAC rises with volume (saturation), so five times the budget costs more per head."""
    ch = cmp.channels.set_index(["scenario", "channel"])
    assert ch.loc[("high", "paid"), "customers"] > ch.loc[("low", "paid"), "customers"]
    assert ch.loc[("high", "paid"), "cac"] > ch.loc[("low", "paid"), "cac"]
    assert ch.loc[("low", "stock_import"), "cac"] == 0


def test_the_saved_comparison_holds_the_channel_table(cmp, tmp_path):
    out = cmp.save(tmp_path / "cmp", plots=False)
    saved = lab.results.load_table(out / "channels.csv")[0]
    assert len(saved) == len(cmp.channels)


def test_the_report_shows_the_channel_table():
    data = collect({"low": _paid(300.0)}, seeds=[0, 1], workers=1, progress=False)
    assert set(data.channels["channel"]) == {"paid", "stock_import", "all"}
    table = context(data, "en", with_charts=False)["channels"]
    assert len(table["rows"]) == 3 and len(table["heads"]) == 6
    assert all(len(r["cells"]) == 6 for r in table["rows"])
