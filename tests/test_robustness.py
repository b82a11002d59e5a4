"""Robust verdicts (`lab.robustness`, `lab compare --robustness N`): plausible worlds drawn
over the behavioural assumptions, the same draws and seeds for A and B."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import lab
from lab.cli import app
from lab.experiments import DesignError
from lab.experiments.robustness import (
    MAX_WORLDS,
    RobustnessError,
    plan_robustness,
    robustness,
    robustness_assumptions,
)
from lab.params import parameter_table

runner = CliRunner()


def _base(customers: int = 400) -> dict:
    base = yaml.safe_load(open("scenarios/baseline.yaml", encoding="utf-8"))
    base["acquisition"]["stock_import"].update(
        customers_per_day=customers, total_customers=customers
    )
    base["acquisition"]["paid"]["daily_budget_cny"] = 300
    return base


def _deeper(base: dict, depth: float = 0.35) -> dict:
    out = dict(base, name="deeper")
    out["strategies"] = [dict(base["strategies"][0], depth=depth), *base["strategies"][1:]]
    return out


def _pair() -> dict[str, lab.Scenario]:
    base = _base()
    return {
        "monthly": lab.scenario_from_dict(dict(base, name="monthly")),
        "deeper": lab.scenario_from_dict(_deeper(base)),
    }


# ---------------------------------------------------------------- draws (no runs)
def test_draws_cover_the_plausible_ranges_of_the_assumptions_and_nothing_else():
    pair = _pair()
    plan = plan_robustness(pair, n=10, seeds=[3, 4], days=20)
    table = parameter_table(pair["monthly"])
    info = table.set_index("path")
    drawn = list(plan.draws.columns)
    assert drawn == list(plan.assumptions["path"]) and len(drawn) > 20
    # only behavioural assumptions with a range; never a setting or a strategy lever
    assert set(info.loc[drawn, "source_kind"]) == {"assumption"}
    assert not any(p.startswith("strategies") for p in drawn)
    assert not any(p.startswith("market.") for p in drawn)  # no finite market: no effect
    for path in drawn:
        x = plan.draws[path].to_numpy(dtype=float)
        lo, hi = info.loc[path, "plausible_low"], info.loc[path, "plausible_high"]
        assert lo <= x.min() and x.max() <= hi, path
        if info.loc[path, "type"] == "int":
            assert np.array_equal(x, np.rint(x)), path
        else:
            # Latin hypercube: each of the n equal slices of the range holds one draw
            strata = np.floor((x - lo) / (hi - lo) * len(x)).astype(int)
            assert sorted(strata) == list(range(len(x))), path
    assert plan.n_runs == 10 * 2 * 2


def test_draws_are_reproducible_for_a_seed_and_move_with_it():
    pair = _pair()
    one = plan_robustness(pair, n=6, seeds=[0], draw_seed=11).draws
    again = plan_robustness(pair, n=6, seeds=[0], draw_seed=11).draws
    other = plan_robustness(pair, n=6, seeds=[0], draw_seed=12).draws
    pd.testing.assert_frame_equal(one, again)
    assert not np.allclose(one.to_numpy(float), other.to_numpy(float))
    # the draw seed defaults to the first seed
    pd.testing.assert_frame_equal(plan_robustness(pair, n=6, seeds=[11]).draws, one)


def test_an_assumption_that_differs_between_a_and_b_is_the_lever_and_not_drawn():
    pair = _pair()
    b = pair["deeper"].with_changes({"purchase.promo_lift": 9.0})
    table, left_out = robustness_assumptions(pair["monthly"], b)
    assert "purchase.promo_lift" not in set(table["path"])
    assert "purchase.promo_lift" in left_out
    plan = plan_robustness({"A": pair["monthly"], "B": b}, n=2, seeds=1)
    a_w, b_w = plan.world_scenarios(0)
    assert a_w.purchase.promo_lift == pair["monthly"].purchase.promo_lift
    assert b_w.purchase.promo_lift == 9.0


def test_params_patterns_restrict_the_draws_and_a_pattern_matching_nothing_is_refused():
    pair = _pair()
    table, _ = robustness_assumptions(pair["monthly"], pair["deeper"], "purchase.*, fatigue")
    assert set(table["path"]) == {
        p
        for p in robustness_assumptions(pair["monthly"], pair["deeper"])[0]["path"]
        if p.startswith("purchase.") or "fatigue" in p
    }
    with pytest.raises(RobustnessError, match="no behavioural assumption matching"):
        robustness_assumptions(pair["monthly"], pair["deeper"], "nosuchthing")


@pytest.mark.parametrize("n", [0, -3, MAX_WORLDS + 1, 2.5, True])
def test_bad_number_of_worlds_is_refused(n):
    with pytest.raises(RobustnessError, match="--robustness"):
        plan_robustness(_pair(), n=n, seeds=1)


def test_too_many_runs_are_refused_before_drawing():
    with pytest.raises(DesignError, match="12,000 runs, more than --max-runs"):
        plan_robustness(_pair(), n=MAX_WORLDS, seeds=6)


# ---------------------------------------------------------------- runs
def test_same_draws_and_seeds_for_a_and_b_and_identical_for_any_number_of_workers():
    pair = _pair()
    kw = {"n": 3, "seeds": [5], "days": 20, "params": "purchase.*,fatigue.*", "progress": False}
    one = robustness(pair, workers=1, **kw)
    two = robustness(pair, workers=2, **kw)
    for name in ("runs", "worlds", "summary", "params"):
        pd.testing.assert_frame_equal(getattr(one, name), getattr(two, name), obj=name)
    # every run used its world's draws, the same for A and for B, with the same seeds
    runs, draws = one.runs, one.draws
    for scenario in ("monthly", "deeper"):
        used = runs[runs["scenario"] == scenario].set_index("world")[list(draws.columns)]
        pd.testing.assert_frame_equal(used, draws, check_names=False, obj=scenario)
        assert list(runs[runs["scenario"] == scenario]["seed"]) == [5, 5, 5]
    # one seed per world: no interval over the seeds, so "clearly" is not claimed
    assert one.summary["share_b_clearly_better"].isna().all()
    # and the worlds differ: the draws reach the runs
    assert runs[runs["scenario"] == "monthly"]["gmv"].nunique() == 3


def test_a_strictly_cheaper_contact_cost_wins_in_every_world():
    # contact costs are booked, never seen by customers: under common random numbers
    # B's customers do exactly what A's do, and every group message costs B less
    base = _base()
    a = lab.scenario_from_dict(base)
    cheaper = a.with_changes({"contacts.cost_per_contact_cny.group": 0.0})
    a = a.with_changes({"contacts.cost_per_contact_cny.group": 0.5})
    rob = robustness({"A": a, "B": cheaper}, n=4, seeds=1, days=20, workers=1, progress=False)
    s = rob.summary.set_index("metric")
    assert s.loc["net_margin", "share_b_better"] == 1.0
    assert s.loc["net_margin", "diff_min"] > 0
    assert s.loc["gmv", "share_tied"] == 1.0  # same behaviour, same sales
    assert "every one of 4" in s.loc["net_margin", "verdict"]
    assert rob.advice().startswith("B beats A on net margin in 100% of 4 plausible worlds")


def test_the_verdict_on_a_deeper_discount_hinges_on_the_promotion_response():
    # 20% vs 35% off: how much more a deeper discount sells is set by the promotion
    # response (lift, loss-averse reference-price penalty, deal proneness, promotion
    # fatigue), so B − A in orders must rank one of those first, not a parameter of
    # base demand or dropout. 16 worlds: a parameter with no effect has |rho| above 0.5
    # with probability ~5% (sd of rho under no effect ~ 1/sqrt(15)).
    base = _base(600)
    pair = {
        "A": lab.scenario_from_dict(dict(base, name="A")),
        "B": lab.scenario_from_dict(_deeper(base, 0.5)),
    }
    rob = robustness(
        pair,
        n=16,
        seeds=1,
        days=40,
        workers=2,
        params="purchase.*,fatigue.*,traits.default.*.mean",
        progress=False,
    )
    promotion_response = {
        "purchase.promo_lift",
        "purchase.full_price_penalty",
        "purchase.fatigue_damping",
        "traits.default.deal_proneness.mean",
        "fatigue.gain_per_promo_day",
        "fatigue.decay_per_day",
    }
    assert rob.ranking("orders")[0] in promotion_response, rob.params.head(5)
    top = rob.params[(rob.params["metric"] == "orders") & (rob.params["rank"] == 1)]
    assert len(top) == 1
    assert "measure" in rob.advice("orders")


def test_plots_and_written_files(tmp_path):
    pair = _pair()
    rob = robustness(pair, n=3, seeds=1, days=20, workers=1, params="purchase.*", progress=False)
    fig = rob.plot(lang="zh")
    share, tornado = fig.axes
    assert len(share.patches) == 3 * len(rob.summary)  # B better, tied, A better per metric
    assert tornado.get_xlim() == (-1.0, 1.0)
    files = rob.write(tmp_path)
    assert set(files) == {
        "robustness.csv",
        "robustness_params.csv",
        "robustness_worlds.csv",
        "robustness_draws.csv",
        "robustness.png",
    }
    summary = pd.read_csv(tmp_path / "robustness.csv")
    assert list(summary["metric"]) == list(rob.summary["metric"])


# ---------------------------------------------------------------- command line
def _files(tmp_path):
    base = _base()
    a = tmp_path / "a.yaml"
    a.write_text(yaml.safe_dump(dict(base, name="monthly"), allow_unicode=True), encoding="utf-8")
    b = tmp_path / "b.yaml"
    b.write_text(yaml.safe_dump(_deeper(base), allow_unicode=True), encoding="utf-8")
    return a, b


def test_compare_robustness_writes_into_the_compare_folder(tmp_path):
    a, b = _files(tmp_path)
    out = tmp_path / "cmp"
    args = ["compare", str(a), str(b), "--seeds", "2", "--days", "20", "--workers", "1"]
    res = runner.invoke(
        app, [*args, "--robustness", "3", "--world-seeds", "1", "--params", "purchase.*",
              "--out", str(out), "-q"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "plausible worlds" in res.output and "B beats A" in res.output
    names = {p.name for p in out.iterdir()}
    assert {"comparison.csv", "robustness.csv", "robustness_params.csv", "robustness.png"} <= names
    assert "robustness_draws.csv" in names
    draws = pd.read_csv(out / "robustness_draws.csv")
    assert len(draws) == 3 and all(c.startswith("purchase.") for c in draws.columns[1:])


@pytest.mark.parametrize(
    ("value", "message"),
    [("0", "between 1 and"), ("-2", "between 1 and"), (str(MAX_WORLDS + 1), "between 1 and")],
)
def test_compare_bad_robustness_exits_2_and_writes_nothing(tmp_path, value, message):
    a, b = _files(tmp_path)
    out = tmp_path / "cmp"
    res = runner.invoke(
        app, ["compare", str(a), str(b), "--robustness", value, "--out", str(out), "-q"]
    )
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output
    assert not out.exists()


def test_compare_robustness_needs_exactly_two_scenarios(tmp_path):
    a, b = _files(tmp_path)
    out = tmp_path / "cmp"
    res = runner.invoke(
        app, ["compare", str(a), str(b), str(b), "--robustness", "3", "--out", str(out)]
    )
    assert res.exit_code == 2 and "two scenarios" in res.output
    assert not out.exists()


def test_compare_params_without_robustness_is_refused(tmp_path):
    a, b = _files(tmp_path)
    out = tmp_path / "cmp"
    res = runner.invoke(
        app, ["compare", str(a), str(b), "--params", "purchase.*", "--out", str(out)]
    )
    assert res.exit_code == 2 and "--params needs --robustness" in res.output
    assert not out.exists()
