"""What ``lab calibrate`` writes carries the fits, and ``lab run`` of it reproduces the log.

Issue 15: the calibrated scenario carries seasonality, regularity, arrivals and spend,
so ``lab run`` of it replays the log's period and continues it.  The log is a lab pool
with Erlang-3 purchase timing (gap CV 0.58, not Poisson) and a weekend lift: the truth
is known.  And the calendar's cross-validated shrinkage keeps a short flat log's
multipliers near 1 (no overfitting).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import lab
from lab.calibrate.seasonality import fit_seasonality
from lab.cli import app
from lab.rng import RandomStreams
from tests.conftest import bare, bgnbd_traits

R, ALPHA_DAYS, A, B = 0.8, 40.0, 0.5, 6.0
N = 1500
DAYS = 200
START = "2026-03-02"
runner = CliRunner()


@pytest.fixture(scope="module")
def erlang_log() -> pd.DataFrame:
    traits = {
        "default": {
            **bgnbd_traits(R, ALPHA_DAYS, A, B),
        }
    }
    sc = bare(
        N,
        DAYS,
        traits=traits,
        start_date=START,
        purchase={"timing": "erlang", "timing_k": 3},
        calendar={"enabled": True, "weekday": [0.9, 0.9, 0.9, 0.9, 0.9, 1.25, 1.25]},
    )
    res = lab.run(sc, seed=8)
    history = pd.DataFrame(
        {
            "customer_id": res.customers["customer_id"].to_numpy(),
            "date": pd.Timestamp(START) - pd.Timedelta(days=1),
            "amount": 100.0,
        }
    )
    return pd.concat(
        [history, res.transactions[["customer_id", "date", "amount"]]], ignore_index=True
    )


def test_calibrate_writes_regularity_calendar_and_spend_and_run_replays_the_log(
    erlang_log, tmp_path
):
    src = tmp_path / "orders.csv"
    erlang_log.to_csv(src, index=False)
    out = tmp_path / "calibrated" / "shop.yaml"
    r = runner.invoke(
        app, ["calibrate", str(src), "--out", str(out), "--period", "log", "--forecast-days", "30"]
    )
    assert r.exit_code == 0, r.output
    sc = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert sc["purchase"]["timing"] == "erlang" and sc["purchase"]["timing_k"] in (2, 3, 4)
    weekday = sc["calendar"]["weekday"]
    assert sc["calendar"]["enabled"] and min(weekday[5:]) > max(weekday[:5])  # weekends up
    basket = sc["traits"]["default"]["basket"]  # the gamma-gamma spend fit
    assert basket["shape_per_order"] > 0 and basket["shape_across_customers"] > 1
    spent = erlang_log["amount"].astype(float)
    assert abs(basket["mean_order_value_cny"] / spent.mean() - 1) < 0.15
    # a closed cohort: no new customers in it
    table = pd.read_csv(next(out.parent.glob("shop.data-*/customers.csv")), comment="#")
    assert not table["customer_id"].astype(str).str.startswith("new-").any()
    # the traits are BG/CNBD-k's own fit, which goes with the Erlang clock (the header too)
    assert "and traits.default from its own fit" in out.read_text(encoding="utf-8")
    # lab run of it replays the log's period: its orders after the first purchases match
    # the log's repeat orders.  ~4,500 orders a run, two runs: Poisson noise ~1%, the
    # customers' heterogeneity and the fit's error a few % more.  BG/NBD's parameters
    # with the Erlang clock (the scenario until issue 15's audit) gave -10%
    log_days = pd.to_datetime(erlang_log["date"])
    first, end = log_days.min(), log_days.max()
    actual = int((log_days > first).sum())
    simulated = []
    for seed in (3, 4):
        res = lab.run(lab.load_scenario(out), seed=seed)
        replay = res.daily[(res.daily["date"] > first) & (res.daily["date"] <= end)]
        simulated.append(int(replay["orders"].sum() - replay["first_orders"].sum()))
    print(f"\nlog period repeat orders: log {actual}, lab runs {simulated}")
    assert abs(np.mean(simulated) / actual - 1) < 0.05
    assert (res.daily["date"] > end).sum() == 30  # and it continues the forecast days


def test_calendar_shrinkage_keeps_a_short_flat_logs_multipliers_near_one():
    # 8 weeks of Poisson daily counts at 40 a day with no calendar at all: the
    # unpenalised weekday fit shows noise of ~1/sqrt(8 x 40) = 6% per day; the
    # cross-validated penalty must shrink that spread by more than half
    days, rate = 56, 40.0
    spread_free, spread_cv = [], []
    for seed in range(6):
        u = RandomStreams(seed).uniform("synthetic_join", 0, np.arange(days, dtype=np.uint64))
        from scipy.stats import poisson

        y = poisson.ppf(u, rate)
        e = np.full(days, rate)
        free = fit_seasonality(y, e, "2026-03-02", penalties=(1e-6,))
        cv = fit_seasonality(y, e, "2026-03-02")
        spread_free.append(np.std(np.log(free.weekday)))
        spread_cv.append(np.std(np.log(cv.weekday)))
    print(
        f"\nweekday log-spread: unpenalised {np.mean(spread_free):.3f}, CV {np.mean(spread_cv):.3f}"
    )
    assert np.mean(spread_free) > 0.02  # the noise is there to be shrunk
    assert np.mean(spread_cv) < 0.5 * np.mean(spread_free)


def test_calibrated_customer_data_goes_to_a_git_ignored_folder_by_default(
    erlang_log, tmp_path, monkeypatch
):
    # lab calibrate without --out, run from a project folder: calibrated/, not scenarios/
    src = tmp_path / "店铺订单.csv"
    erlang_log.to_csv(src, index=False)
    (tmp_path / "scenarios").mkdir()
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["calibrate", str(src), "--forecast-days", "7", "--no-seasonality"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "calibrated" / "店铺订单.yaml").is_file()
    assert list((tmp_path / "calibrated").glob("店铺订单.data-*/customers.csv"))
    assert not list((tmp_path / "scenarios").iterdir())
    # and the project's .gitignore ignores that folder (the customers' ids stay out of git)
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    ignored = (root / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "calibrated/" in ignored
