"""Notebook helpers: scenario variants are validated, levels pair their seeds, tables add up."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lab
from lab import teaching
from lab.scenario import ScenarioError


@pytest.fixture(scope="module")
def base() -> lab.Scenario:
    return lab.load_scenario(teaching.scenario_path("baseline"))


@pytest.fixture(scope="module")
def small(base) -> lab.Scenario:
    return teaching.scale_pool(base, 0.1)


def test_scenario_path_finds_shipped_files(tmp_path, monkeypatch):
    p = teaching.scenario_path("baseline")
    assert p.name == "baseline.yaml" and p.is_file()
    assert teaching.scenario_path("q1_weekly_20off.yaml").is_file()
    monkeypatch.chdir(tmp_path)  # found from anywhere: next to the lab package
    assert teaching.scenario_path("baseline") == p
    with pytest.raises(FileNotFoundError, match="no_such"):
        teaching.scenario_path("no_such")


@given(st.integers(min_value=0, max_value=35))
def test_weekly_plan_spreads_messages_evenly(n):
    plan = teaching.weekly_plan(n, ("promotion", "value"))
    assert list(plan) == list(teaching.WEEKDAYS)
    assert teaching.messages_per_week(plan) == n
    counts = [len(v) for v in plan.values()]
    assert max(counts) - min(counts) <= 1
    flat = [c for v in plan.values() for c in v]
    assert flat.count("promotion") - flat.count("value") in (0, 1)


def test_weekly_plan_rejects_bad_input():
    with pytest.raises(ValueError):
        teaching.weekly_plan(-1)
    with pytest.raises(ValueError):
        teaching.weekly_plan(2.5)
    with pytest.raises(ValueError):
        teaching.weekly_plan(3, ())


def test_add_strategy(base):
    sc = teaching.add_strategy(base, {"type": "membership", "fee_cny": 49}, name="member")
    assert [s.type for s in sc.strategies][-1] == "membership"
    assert sc.strategies[-1].fee_cny == 49 and sc.name == "member"
    assert sc.strategies[:-1] == base.strategies  # the others are kept as they were
    with pytest.raises(ValueError, match="type"):
        teaching.add_strategy(base, {"fee_cny": 49})
    with pytest.raises(ScenarioError):
        teaching.add_strategy(base, {"type": "membership", "fee_cny": -1})


def test_scale_pool_shrinks_the_pool_at_the_same_unit_cost(base):
    half = teaching.scale_pool(base, 0.5)
    a, h = base.acquisition, half.acquisition
    assert h.stock_import.total_customers == a.stock_import.total_customers // 2
    assert h.paid.daily_budget_cny == a.paid.daily_budget_cny / 2
    assert h.paid.base_cac_cny == a.paid.base_cac_cny
    full_run, half_run = lab.run(base, seed=3, days=60), lab.run(half, seed=3, days=60)
    n_full = full_run.daily["customers"].iloc[-1]
    n_half = half_run.daily["customers"].iloc[-1]
    assert 0.4 < n_half / n_full < 0.6
    cac = [
        lab.analysis.cac_by_channel(r).set_index("channel").loc["paid", "cac"]
        for r in (full_run, half_run)
    ]
    assert cac[1] == pytest.approx(cac[0], rel=0.05)
    with pytest.raises(ValueError):
        teaching.scale_pool(base, 0)


def test_scale_pool_shrinks_a_finite_market_with_the_pool():
    # a small classroom pool must still reach the edge of its (smaller) market
    q8 = lab.load_scenario(teaching.scenario_path("q8_fission_saturation"))
    small = teaching.scale_pool(q8, 0.25)
    assert small.market.size == q8.market.size // 4
    assert small.market.seed_customers.count == round(q8.market.seed_customers.count / 4)
    assert small.market.graph == q8.market.graph


@pytest.fixture(scope="module")
def reward_sweep(small) -> teaching.LevelComparison:
    campaign = teaching.add_strategy(small, {"type": "fission_program", "reward_cny": 0})
    return teaching.compare_levels(
        campaign,
        "strategies.fission_program.reward_cny",
        [0, 40, 120],
        seeds=[1, 2, 3],
        days=90,
        workers=1,
        xlabel="reward · 奖励",
        extra_daily=["shares"],
    )


def test_levels_pair_every_value_with_the_first(reward_sweep):
    t = reward_sweep.table(["k_factor", "net_margin"])
    assert list(t.columns) == [
        "value", "metric", "median", "p10", "p90", "mean", "diff_mean", "diff_low", "diff_high",
    ]  # fmt: skip
    assert list(t["value"]) == [0, 40, 120, 0, 40, 120]
    ref = t[t["value"] == 0]
    assert (ref[["diff_mean", "diff_low", "diff_high"]] == 0).all().all()
    k = t[t["metric"] == "k_factor"].set_index("value")
    # richer rewards, more sharing; the paired interval excludes 0
    assert k.loc[0, "mean"] < k.loc[40, "mean"] < k.loc[120, "mean"]
    assert k.loc[120, "diff_low"] > 0
    assert reward_sweep.best("k_factor") == 120
    assert set(reward_sweep.comparison.replications.seeds) == {1, 2, 3}
    with pytest.raises(KeyError, match="no_such"):
        reward_sweep.table(["no_such"])


def test_levels_daily_totals(reward_sweep):
    shares = reward_sweep.daily_total("shares")
    assert list(shares["value"]) == [0, 40, 120]
    assert shares["mean"].is_monotonic_increasing
    last = reward_sweep.daily_total("customers", how="last")
    assert (last["median"] > 0).all()
    with pytest.raises(KeyError, match="chats_dropped"):
        reward_sweep.daily_total("chats_dropped")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("kind", ["difference", "level"])
def test_levels_plot(reward_sweep, lang, kind):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing CJK glyph is a warning
        ax = reward_sweep.plot("k_factor", lang=lang, kind=kind, relative=(lang == "en"))
        ax.figure.canvas.draw()
    assert ax.get_xlabel() == "reward · 奖励"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "40", "120"]
    assert ("裂变系数" in ax.get_title(loc="left")) == (lang == "zh")
    with pytest.raises(ValueError, match="kind"):
        reward_sweep.plot("k_factor", kind="bars")


def test_levels_need_two_distinct_values(small):
    with pytest.raises(ValueError):
        teaching.compare_levels(small, "habit.enabled", [True], seeds=[1, 2])
    with pytest.raises(ValueError):
        teaching.compare_levels(small, "strategies[0].depth", [0.1, 0.1], seeds=[1, 2])


def test_levels_reject_a_bad_path_before_running(small):
    with pytest.raises(ScenarioError, match="no_such"):
        teaching.compare_levels(small, "strategies.discount.no_such", [1, 2], seeds=[1, 2])


def test_levels_with_a_change_function(small):
    # one level = several values: a weekly plan built from a message count
    msgs = teaching.compare_levels(
        small,
        "messages",
        [0, 21],
        change=lambda n: {"strategies.group plan.weekly": teaching.weekly_plan(n)},
        seeds=[1, 2],
        days=60,
        workers=1,
        extra_daily=["new_blocks"],
    )
    assert msgs.names == ["messages=0", "messages=21"]
    blocks = msgs.daily_total("new_blocks").set_index("value")["mean"]
    assert blocks[21] > blocks[0]  # three promotions a day drive customers to block


def test_notebook_setup_sizes():
    full = teaching.notebook_setup(False, seeds=12)
    small = teaching.notebook_setup(True, seeds=12, small_days=150)
    assert (full.scale, full.days, full.seeds, full.workers) == (1.0, 365, range(12), None)
    assert (small.scale, small.days, small.seeds, small.workers) == (0.15, 150, range(3), 1)
    base = lab.load_scenario(teaching.scenario_path("baseline"))
    sc = small.scenario("baseline")
    assert sc == teaching.scale_pool(base, 0.15)
    assert full.scenario("baseline") == base
    with pytest.raises(ValueError):
        teaching.notebook_setup(True, lang="fr")


@pytest.fixture(scope="module")
def runs(small) -> dict[str, lab.RunResult]:
    member = teaching.add_strategy(small, {"type": "membership", "fee_cny": 49})
    return {
        "baseline": lab.run(small, seed=5, days=120),
        "membership": lab.run(member, seed=5, days=120),
    }


def test_kpi_table_is_bilingual(runs):
    t = teaching.kpi_table(runs["baseline"], ["gmv", "k_factor"])
    assert list(t["zh"]) == ["成交总额 (GMV)", "裂变系数 (K 因子)"]
    assert t.loc[0, "value"] == pytest.approx(runs["baseline"].daily["gmv"].sum())
    assert len(teaching.kpi_table(runs["baseline"])) == len(lab.analysis.HEADLINE_METRICS)
    with pytest.raises(KeyError):
        teaching.kpi_table(runs["baseline"], ["nope"])


def test_money_lines_add_up_to_net_margin(runs):
    t = teaching.money_lines(runs, lang="en")
    fees = "revenue: membership fees"
    assert t.loc[fees, "baseline"] == 0 and t.loc[fees, "membership"] > 0
    for name in runs:
        col = t[name]
        revenue = col[[i for i in t.index if i.startswith("revenue:")]].sum()
        cost = col[[i for i in t.index if i.startswith("cost:")]].sum()
        assert col["gross margin"] + revenue - cost == pytest.approx(col["net margin"], rel=1e-9)
    zh = teaching.money_lines(runs, lang="zh")
    assert "净利" in zh.index
    assert "revenue_membership_fees" in teaching.money_lines(runs).index


def test_ltv_by_scenario(runs):
    t = teaching.ltv_by_scenario(runs, by="channel", horizon_days=60)
    assert list(t.columns) == ["customers", "baseline", "membership"]
    assert (t["customers"] >= 0).all() and np.isfinite(t["baseline"]).any()
    own = lab.analysis.ltv_by(runs["membership"], "channel", 60, "margin").set_index("channel")
    assert t.loc["paid", "membership"] == pytest.approx(own.loc["paid", "ltv_mean"])
    zh = teaching.ltv_by_scenario(runs, by="channel", horizon_days=60, lang="zh")
    assert "公域拉新" in zh.index and zh.index.name == "渠道"
    assert isinstance(zh, pd.DataFrame)
