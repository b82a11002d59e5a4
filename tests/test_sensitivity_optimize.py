"""Sensitivity (SALib) ranks a dominant parameter first and an inert one at exactly 0;
the search (optuna) finds the best feasible plan a full sweep finds, on the same seeds."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import lab
from lab.cli import app
from lab.experiments.design import DesignError
from lab.experiments.optimize import optimize, parse_constraint
from lab.experiments.sensitivity import sensitivity
from lab.experiments.sweep import sweep
from tests.test_sweep import small_discount

runner = CliRunner()


def with_switched_off_twin(n: int = 300, days: int = 60) -> dict:
    """One live discount and a second one switched off (its depth can change nothing)."""
    sc = small_discount(n, days)
    off = {**sc["strategies"][0], "label": "off", "enabled": False}
    sc["strategies"] = [sc["strategies"][0], off]
    return sc


RANGES = {
    "strategies[0].depth": (0.05, 0.5),
    "strategies.off.depth": (0.05, 0.5),
    "strategies[0].first_day": (0, 10),
}


@pytest.mark.parametrize("method, samples", [("morris", 4), ("sobol", 4)])
def test_the_dominant_parameter_ranks_first_and_an_inert_one_is_zero(tmp_path, method, samples):
    res = sensitivity(
        with_switched_off_twin(),
        RANGES,
        method=method,
        samples=samples,
        seeds=2,
        outputs=["margin", "fatigue"],
        out=tmp_path / method,
        workers=1,
        progress=False,
    )
    k = len(RANGES)
    points = samples * (k + 1) if method == "morris" else samples * (k + 2)
    assert len(res.runs) == points * 2
    for metric in ("net_margin", "mean_fatigue"):
        t = res.table[res.table["metric"] == metric].set_index("parameter")
        # the discount depth drives margin (discount cost) and fatigue (promotion exposure)
        assert res.ranking(metric)[0] == "strategies[0].depth"
        assert t.loc["strategies[0].depth", "importance"] > 0
        # a switched-off strategy draws nothing and changes nothing: with common random
        # numbers every pair of points that differ only in it gives identical outputs
        assert t.loc["strategies.off.depth", "importance"] == 0
        assert t.loc["strategies.off.depth", "rank"] == k
    assert (tmp_path / method / "sensitivity_net_margin.png").stat().st_size > 5000
    saved = pd.read_csv(tmp_path / method / "sensitivity.csv")
    assert len(saved) == 2 * k


def test_sensitivity_arguments_are_checked(tmp_path):
    sc = with_switched_off_twin(100, 10)
    with pytest.raises(DesignError, match="power of 2"):
        sensitivity(sc, RANGES, method="sobol", samples=6, out=tmp_path / "x")
    with pytest.raises(DesignError, match="at least two"):
        sensitivity(sc, {"strategies[0].depth": (0.1, 0.2)}, out=tmp_path / "x")
    with pytest.raises(DesignError, match="unknown metric 'ltv_12m'; valid: gmv"):
        sensitivity(sc, RANGES, outputs=["ltv_12m"], out=tmp_path / "x")
    with pytest.raises(DesignError, match="margin_12m needs runs of at least 365 days"):
        sensitivity(sc, RANGES, outputs=["margin_12m"], out=tmp_path / "x")
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    "text, parsed",
    [
        ("block_rate<=0.05", ("block_rate", "<=", 0.05)),
        (" block_rate <= 5e-2 ", ("block_rate", "<=", 0.05)),
        ("margin>1000", ("net_margin", ">=", 1000.0)),
    ],
)
def test_constraints_parse(text, parsed):
    c = parse_constraint(text)
    assert (c.metric, c.op, c.limit) == parsed
    assert c.violation(c.limit) == 0 and c.violation(float("nan")) == float("inf")


@pytest.mark.parametrize(
    "text, needle",
    [("block_rate=0.05", "METRIC<=VALUE"), ("blocks<=0.1", "unknown metric 'blocks'")],
)
def test_bad_constraints_say_how_to_write_them(text, needle):
    with pytest.raises(DesignError, match=needle):
        parse_constraint(text)


DEPTHS = [0.0, 0.1, 0.2, 0.3, 0.45]


def test_search_finds_the_best_feasible_plan_of_a_full_sweep(tmp_path):
    sc = small_discount(
        300,
        60,
    )
    sc["fatigue"] = {"enabled": False}  # without fatigue, GMV rises with depth (checked below)
    # and without the announcement message, whose days-long lift (the same at every
    # depth) would make the GMV of the deepest plans too close to call on 300 customers
    sc["strategies"][0]["announce"] = None
    # the truth, by brute force on the same seeds: deeper discounts buy more GMV
    truth = sweep(
        sc, grid={"strategies[0].depth": DEPTHS}, seeds=2, out=tmp_path / "grid", workers=1
    ).summary(["gmv", "discount_cost"])
    assert truth["gmv"].is_monotonic_increasing and truth["discount_cost"].is_monotonic_increasing
    # a budget on discounts between the 0.2 and 0.3 plans: 0.2 is the best plan it allows
    budget = float(truth["discount_cost"].iloc[2:4].mean())
    res = optimize(
        sc,
        {"strategies[0].depth": DEPTHS},
        objective="gmv",
        constraints=[f"discount_cost<={budget}"],
        trials=10,
        batch=5,
        seeds=2,
        out=tmp_path / "opt",
        workers=1,
        progress=False,
    )
    t = res.trials
    assert len(t) == 10 and set(t["state"]) == {"complete"}
    assert not t["feasible"].all(), "the search should also try plans over the budget"
    assert (t["feasible"] == (t["discount_cost"] <= budget)).all()
    assert res.best["params"] == {"strategies[0].depth": 0.2}
    # the same seeds (CRN): the candidate's value is exactly the sweep's value of that plan
    assert res.best["objective"] == truth.loc[2, "gmv"]
    best = lab.load_scenario(tmp_path / "opt" / "best.yaml")
    assert best.strategies[0].depth == 0.2 and best.name == "bare-optimized"
    # the written plan is the base plan with the found depth, nothing else changed
    pd.testing.assert_frame_equal(
        lab.run(best, seed=0).daily, lab.run(_with_depth(sc, 0.2), seed=0).daily
    )
    info = json.loads((tmp_path / "opt" / "best.json").read_text())
    assert info["best"]["trial"] == res.best["trial"] and info["git_commit"]
    assert (tmp_path / "opt" / "history.png").stat().st_size > 5000


def _with_depth(sc: dict, depth: float) -> lab.Scenario:
    s = yaml.safe_load(yaml.safe_dump(sc))
    s["strategies"][0]["depth"] = depth
    return lab.scenario_from_dict(s)


def test_search_is_the_same_in_one_process_and_on_a_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    sc = small_discount(200, 40)
    kw = dict(
        params={"strategies[0].depth": (0.0, 0.5), "strategies[0].every_days": (7, 28)},
        objective="net_margin",
        constraints=["block_rate<=0.05"],
        trials=6,
        batch=3,
        seeds=2,
        progress=False,
    )
    one = optimize(sc, out=tmp_path / "w1", workers=1, **kw)
    # two worker threads of an in-process cluster: batches finish in any order
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        two = optimize(sc, out=tmp_path / "w2", cluster=client, **kw)
    pd.testing.assert_frame_equal(one.trials, two.trials)
    assert one.trials["strategies[0].every_days"].dtype == np.int64
    # running it again replays every trial from disk: nothing is run twice
    runs = sorted((tmp_path / "w1" / "runs").glob("*.parquet"))
    again = optimize(sc, out=tmp_path / "w1", workers=1, **kw)
    pd.testing.assert_frame_equal(again.trials, one.trials)
    assert sorted((tmp_path / "w1" / "runs").glob("*.parquet")) == runs
    assert [p.stat().st_mtime_ns for p in runs] == [
        p.stat().st_mtime_ns for p in sorted((tmp_path / "w1" / "runs").glob("*.parquet"))
    ]


def test_cli_optimize_and_sensitivity(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(with_switched_off_twin(150, 30)), encoding="utf-8")
    out = tmp_path / "opt"
    r = runner.invoke(
        app,
        [
            "optimize",
            str(scenario),
            "--params",
            "strategies[0].depth=0.0:0.4",
            "--objective",
            "gmv",
            "--constraint",
            "block_rate<=0.05",
            "--trials",
            "3",
            "--seeds",
            "1",
            "--workers",
            "1",
            "--out",
            str(out),
            "-q",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "best plan" in r.output and (out / "best.yaml").is_file()
    assert len(pd.read_csv(out / "trials.csv")) == 3
    bad = runner.invoke(
        app,
        [
            "optimize",
            str(scenario),
            "--params",
            "strategies[0].depth=0:0.4",
            "--objective",
            "profit",
            "--out",
            str(tmp_path / "bad"),
        ],
    )
    assert bad.exit_code == 2 and "unknown metric 'profit'" in bad.output
    assert not (tmp_path / "bad").exists()
    s = runner.invoke(
        app,
        [
            "sensitivity",
            str(scenario),
            "--params",
            "strategies[0].depth=0.05:0.5",
            "--params",
            "strategies.off.depth=0.05:0.5",
            "--samples",
            "2",
            "--seeds",
            "1",
            "--workers",
            "1",
            "--outputs",
            "net_margin",
            "--out",
            str(tmp_path / "sens"),
            "--lang",
            "zh",
            "-q",
        ],
    )
    assert s.exit_code == 0, s.output
    assert (tmp_path / "sens" / "sensitivity_net_margin.png").is_file()


def _sensitivity_table(method: str) -> pd.DataFrame:
    rows = []
    for rank, (p, v) in enumerate([("strategies[0].depth", 3.0), ("strategies.off.depth", 0.0)]):
        idx = (
            {"mu_star": v, "mu_star_conf": v / 4, "sigma": v / 2, "mu": -v}
            if method == "morris"
            else {"S1": v / 4, "S1_conf": 0.05, "ST": v / 3, "ST_conf": 0.05}
        )
        rows.append({"metric": "net_margin", "parameter": p, "rank": rank + 1, **idx})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("method", ["morris", "sobol"])
def test_experiment_plots_render_in_both_languages(tmp_path, lang, method):
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lab.plots import plot_optimization_history, plot_sensitivity

    trials = pd.DataFrame(
        {
            "trial": [0, 1, 2, 3],
            "state": ["complete", "complete", "invalid", "complete"],
            "objective": [10.0, 14.0, np.nan, 12.0],
            "feasible": [True, False, False, True],
        }
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from font.*")
        for ax in (
            plot_sensitivity(_sensitivity_table(method), "net_margin", lang=lang),
            plot_optimization_history(trials, lang=lang),
        ):
            texts = " ".join(t.get_text() for t in ax.figure.findobj(matplotlib.text.Text))
            assert ax.get_title(loc="left")
            if lang == "zh":
                assert any("\u4e00" <= ch <= "\u9fff" for ch in texts), texts
            ax.figure.savefig(tmp_path / "p.png")
            plt.close(ax.figure)
    # the inert parameter is drawn at zero, the influential one on top
    ax = plot_sensitivity(_sensitivity_table(method), "net_margin")
    at = {t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True)}
    assert at["strategies[0].depth"] > at["strategies.off.depth"]  # most influential on top
    plt.close(ax.figure)
    with pytest.raises(KeyError, match="analysed: net_margin"):
        plot_sensitivity(_sensitivity_table(method), "gmv")


@pytest.mark.parametrize(
    "space, objective, constraint",
    [
        ("days=100:400", "margin_12m", None),
        ("days=200,365", "net_margin", "margin_12m>=0"),
    ],
)
def test_a_searched_days_too_short_for_the_metric_is_refused_up_front(
    tmp_path, space, objective, constraint
):
    # margin_12m is undefined on runs shorter than a year: a search that may try such
    # runs would fail those trials, so it is refused before anything runs
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(small_discount(100, 400)), encoding="utf-8")
    out = tmp_path / "opt"
    args = ["optimize", str(scenario), "--params", space, "--objective", objective]
    args += ["--constraint", constraint] if constraint else []
    r = runner.invoke(app, [*args, "--trials", "2", "--out", str(out), "-q"])
    assert r.exit_code == 2, r.output
    text = " ".join(r.output.split())
    assert "margin_12m needs runs of at least 365 days" in text
    assert f"searches runs as short as {100 if '100' in space else 200} days" in text
    assert not out.exists()
    # a search over long enough runs only passes that check: it stops at the next one,
    # the --out that is a file (checked later, so nothing runs)
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(DesignError, match="exists and is not a folder"):
        optimize(small_discount(100, 400), {"days": [365, 400]}, "margin_12m", out=blocker)


def test_the_end_message_tells_all_failed_from_none_feasible(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(small_discount(100, 20)), encoding="utf-8")
    common = ["--trials", "2", "--batch", "2", "--seeds", "1", "--workers", "1", "-q"]
    # every candidate runs longer promotions than the 14-day cycle: no trial can run
    r = runner.invoke(
        app,
        [
            "optimize",
            str(scenario),
            "--params",
            "strategies[0].duration_days=20:30",
            *common,
            "--out",
            str(tmp_path / "invalid"),
        ],
    )
    assert r.exit_code == 1, r.output
    text = " ".join(r.output.split())
    assert "no trial succeeded: 2 of 2 plan(s) were invalid" in text
    assert "must not exceed every_days" in text and "met the constraints" not in text
    trials = pd.read_csv(tmp_path / "invalid" / "trials.csv")
    assert list(trials["state"]) == ["invalid", "invalid"]
    assert not (tmp_path / "invalid" / "best.yaml").exists()
    # candidates that run but break an impossible constraint: a result, not a failure
    r = runner.invoke(
        app,
        [
            "optimize",
            str(scenario),
            "--params",
            "strategies[0].depth=0.1:0.3",
            "--constraint",
            "gmv<=-1",
            *common,
            "--out",
            str(tmp_path / "infeasible"),
        ],
    )
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "no trial met the constraints" in text and "no trial succeeded" not in text
    assert "2 trials, 0 feasible" in text


def test_sensitivity_over_days_too_short_for_an_output_is_refused(tmp_path):
    # the same check for sensitivity: margin_12m would be NaN at every point under a year
    ranges = {"days": (100, 400), "strategies[0].depth": (0.1, 0.3)}
    with pytest.raises(DesignError, match="searches runs as short as 100 days"):
        sensitivity(small_discount(100, 400), ranges, outputs=["margin_12m"], out=tmp_path / "s")
    assert not (tmp_path / "s").exists()
