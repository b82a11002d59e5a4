"""lab backtest side by side: the lab with calendar and regular timing beside the closed forms.

The CDNOW comparison (about a minute) is documented in docs/calibration.md with the
command that reproduces it; here a small lab-made BG/NBD log checks the mechanics.
"""

from __future__ import annotations

import numpy as np
import pytest

from lab.calibrate.backtest import backtest
from lab.calibrate.ingest import clean_orders
from lab.calibrate.synthetic import synthetic_order_log

PARAMS = {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 3.0}  # weekly BG/NBD, Poisson timing
METHODS = {
    "lab",
    "simulation",
    "closed_form",
    "closed_form_seasonal",
    "paretonbd",
    "bgnbd_age",
    "bgnbd_age_seasonal",
}


@pytest.fixture(scope="module")
def bt():
    log = synthetic_order_log(PARAMS, 400, join_weeks=8, days=240, seed=6)
    return backtest(
        clean_orders(log),
        "2025-06-30",
        seeds=range(3),
        k_max=2,
        parameter_uncertainty=False,
        workers=1,
        progress=False,
        seasonality=True,
    )


def test_every_method_is_reported_with_the_cumulative_error(bt):
    cond = bt.errors[bt.errors["start"] == "conditional"]
    assert set(cond["method"]) == METHODS
    assert list(bt.errors.columns[:5]) == ["start", "method", "actual", "forecast", "error_pct"]
    np.testing.assert_allclose(bt.errors["cum_error"], bt.errors["forecast"] - bt.errors["actual"])
    assert (bt.errors["actual"] == bt.errors["actual"].iloc[0]).all()
    # a BG/NBD log: every method's fit is sound, no row is marked
    assert bt.errors["reliable"].all() and (bt.errors["note"] == "").all()
    assert bt.meta["unreliable_methods"] == {}


def test_a_closed_cohort_has_no_new_customers_in_the_holdout(bt):
    assert bt.meta["arrivals"]["closed_cohort"] and bt.meta["holdout_new_customers"] == 0
    seg = bt.segments.set_index("segment")
    assert seg.loc["new", ["actual", "forecast", "forecast_customers"]].eq(0).all()
    assert seg.loc["total", "forecast"] == pytest.approx(seg.loc["existing", "forecast"])


def test_poisson_log_fits_k_1_and_lab_tracks_its_closed_form(bt):
    # one closed cohort in its first half year: its months are also the customers' ages,
    # so the purchase model stays in calendar time (no operational-time refit,
    # lab.calibrate.arrivals.months_are_ages)
    assert bt.meta["regularity_k"] == 1 and bt.meta["purchase_clock"] == "calendar"
    assert [r["effect"] for r in bt.meta["seasonality"]][:7] == [
        f"weekday_{d}" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    ]
    e = bt.errors.set_index(["start", "method"])
    lab, closed = e.loc[("conditional", "lab")], e.loc[("conditional", "closed_form_seasonal")]
    # same model (k = 1, the fitted calendar) in discrete days vs continuous time:
    # within 4 Monte Carlo SE plus the 2% day-step allowance of tests/test_backtest.py
    tol = 4 * lab["mc_se"] + 0.02 * lab["actual"]
    assert abs(lab["forecast"] - closed["forecast"]) < tol, (lab.to_dict(), closed.to_dict())


def test_holdout_months_the_calibration_lacks_take_the_prior(bt):
    # calibration Jan-Jun 2025, holdout into July and August: those months come from
    # the prior month shape (default flat: the lab's logs have none), the seen ones from
    # the log (docs/calibration.md)
    assert bt.meta["month_prior"] == "flat"
    rows = {r["effect"]: r for r in bt.meta["seasonality"]}
    assert rows["month_jun"]["source"] == "fit" and rows["month_jul"]["source"] == "prior:flat"
    assert rows["month_jul"]["multiplier"] == 1.0


def test_regular_log_lab_calendar_against_its_timing_closed_form_against_bgnbd():
    """k > 1: the lab's calendar is fitted against BG/CNBD-k's expected repeats (flat on
    a flat log), the seasonal closed form's against BG/NBD's, its own timing (which
    turns the Erlang-3 waves into months, issue 15)."""
    import pandas as pd

    import lab
    from lab.calibrate.backtest import _actual_daily, _closed_unconditional, _extra_fits
    from lab.calibrate.scenario_out import calibrate
    from tests.conftest import bare

    traits = {
        "default": {
            "propensity_per_day": {"dist": "gamma", "mean": 0.02, "shape": 0.8},
            "dropout_after_purchase": {"dist": "beta", "mean": 0.5 / 6.5, "concentration": 6.5},
        }
    }
    sc = bare(
        1500,
        180,
        traits=traits,
        start_date="2026-01-05",
        purchase={"timing": "erlang", "timing_k": 3},
    )
    res = lab.run(sc, seed=3)
    first = pd.DataFrame({"customer_id": res.customers["customer_id"], "date": "2026-01-04"})
    log = pd.concat(
        [first.assign(amount=100.0), res.transactions[["customer_id", "date", "amount"]]]
    )
    orders = clean_orders(log)
    cal = calibrate(orders, "2026-06-30", model="bgnbd")
    e = int((cal.calibration_end - cal.start_date).days)
    n = e + 1
    actual, closed_u = _actual_daily(orders, cal, n), _closed_unconditional(cal, n)
    extra = _extra_fits(orders, cal, actual, closed_u, n, e, [], None)
    assert extra["regularity"].k > 1
    lab_months = extra["seasonality"].multipliers(cal.start_date, n)
    closed_months = extra["multipliers"]
    spread = {
        "lab": float(np.ptp(np.log(lab_months))),
        "closed_form_seasonal": float(np.ptp(np.log(closed_months))),
    }
    print("\nlog-multiplier range over the calibration days:", spread)
    # 1,500 customers, ~25 repeats a day: a month's log-multiplier has SE ~ 1/sqrt(30 x 25)
    # ~ 0.04; the lab's calendar stays within 2 of those, BG/NBD's shows the waves
    assert spread["lab"] < 0.08 < spread["closed_form_seasonal"]


def test_burst_term_is_tested_and_reported_on_a_plain_log(bt):
    """A BG/NBD log has no early-life burst: the likelihood-ratio test says so, the lab's
    calendar keeps BG/NBD's offset, and the burst model's rows are reported beside."""
    age = bt.meta["age_term"]
    print("\nage term:", {k: v for k, v in age.items() if k != "fit"}, age["fit"]["params"])
    assert not age["significant"] and age["lr"] < age["lr_critical"]
    # the diagnostic test given BG/NBD's calendar agrees (no burst) and is reported
    assert age["significant_given_calendar"] is False
    assert 0.0 <= age["lr_given_calendar"] < age["lr_critical"]
    assert age["lab_calendar_offset"] == "bgnbd"
    e = bt.errors.set_index(["start", "method"])
    burst, plain = e.loc[("conditional", "bgnbd_age")], e.loc[("conditional", "closed_form")]
    print(burst.to_dict(), plain.to_dict())
    assert {"bgnbd_age", "bgnbd_age_seasonal"} <= set(bt.holdout.columns)
    np.testing.assert_allclose(bt.holdout["bgnbd_age"].sum(), burst["forecast"])


def _burst_log(n: int = 1500, days: int = 273, seed: int = 4):
    """A closed cohort (joins over 12 weeks from 2025-01-01), BG/NBD buyers at 2.5x their
    rate in their first 6 weeks, day by day, no calendar."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    join = rng.integers(0, 84, n)
    lam = rng.gamma(0.5, 1.0 / (6.0 * 7), n)
    p = rng.beta(0.7, 3.0, n)
    alive = np.zeros(n, bool)
    cust, day = [], []
    for d in range(days):
        u = rng.random((2, n))
        buy = alive & (u[0] < -np.expm1(-lam * np.where(d - join < 42, 2.5, 1.0)))
        alive &= ~(buy & (u[1] < p))
        new = join == d
        alive |= new
        idx = np.flatnonzero(buy | new)
        cust.append(idx)
        day.append(np.full(idx.size, d))
    cust, day = np.concatenate(cust), np.concatenate(day)
    date = pd.Timestamp("2025-01-01") + pd.to_timedelta(day, unit="D")
    amount = rng.gamma(4.0, 12.5, cust.size)  # spend varies (gamma-gamma is identified)
    return pd.DataFrame({"customer_id": cust.astype(str), "date": date, "amount": amount})


def test_burst_log_the_lab_keeps_bgnbds_calendar_and_the_burst_row_has_its_own():
    """A closed cohort's early burst: both likelihood-ratio tests find it, but the lab row
    never uses it (AGE_TERM_POLICY "never": RESULTS_agebump.md, design 4): its calendar is
    the one fitted against BG/NBD, bit for bit.  The calendar fitted against the burst
    model's expected repeats (the ``bgnbd_age_seasonal`` row's) is still fitted, and
    invents less month shape than BG/NBD's (in a closed cohort's first months age and
    month are one thing)."""
    from lab.calibrate.backtest import (
        AGE_TERM_POLICY,
        _actual_daily,
        _closed_unconditional,
        _extra_fits,
    )
    from lab.calibrate.scenario_out import calibrate

    assert AGE_TERM_POLICY == "never"
    orders = clean_orders(_burst_log())
    cal = calibrate(orders, "2025-08-31", model="bgnbd")
    e = int((cal.calibration_end - cal.start_date).days)
    n = e + 1
    actual, closed_u = _actual_daily(orders, cal, n), _closed_unconditional(cal, n)
    extra = _extra_fits(orders, cal, actual, closed_u, n, e, [], None, k_max=2)
    age = extra["age"]
    print("\nLR", age["test"].lr, age["given"].lr, age["fit"].params)
    assert age["test"].use and age["given"].use and extra["regularity"].k == 1
    assert not age["used"]
    assert 1.0 < age["fit"].params["beta"] < 4.0  # the true step x2.5 over 6 weeks
    lab_months = np.log(extra["seasonality"].multipliers(cal.start_date, n))
    bgnbd_months = np.log(extra["multipliers"])
    np.testing.assert_array_equal(lab_months, bgnbd_months)  # the plain path's calendar
    burst_months = np.log(extra["age_multipliers"])
    print("log-multiplier range:", np.ptp(burst_months), np.ptp(bgnbd_months))
    assert np.ptp(burst_months) < 0.5 * np.ptp(bgnbd_months)


def test_burst_log_lab_row_is_the_plain_path_and_the_burst_rows_are_reported():
    """With the burst found (k = 1) the lab row still runs plain BG/NBD (policy "never"):
    its calendar is fitted against BG/NBD, its existing customers start from the BG/NBD
    posterior (in calendar time: one closed cohort, its months are ages), so its holdout
    total is BG/NBD's closed form x calendar in discrete days (within 4 Monte Carlo SE +
    2%, as the plain k = 1 check above); the burst model's closed-form rows and both
    tests' LRs are reported beside it."""
    bt = backtest(
        clean_orders(_burst_log(n=800, days=400, seed=5)),
        "2025-08-31",
        seeds=range(2),
        runs_per_seed=10,
        k_max=2,
        parameter_uncertainty=False,
        workers=1,
        progress=False,
        seasonality=True,
    )
    age = bt.meta["age_term"]
    assert age["policy"] == "never" and not age["used"]
    assert age["significant"] and age["lr"] > age["lr_critical"]
    assert age["significant_given_calendar"]  # a burst with no calendar
    assert age["lr_given_calendar"] > age["lr_critical"]
    assert age["lab_calendar_offset"] == "bgnbd"
    e = bt.errors.set_index(["start", "method"])
    lab = e.loc[("conditional", "lab")]
    plain = e.loc[("conditional", "closed_form_seasonal")]
    assert bt.meta["purchase_clock"] == "calendar"
    print("\n", e[["forecast", "error_pct", "mc_se", "weekly_mae"]])
    assert {"bgnbd_age", "bgnbd_age_seasonal"} <= {m for _, m in e.index}
    assert {"bgnbd_age", "bgnbd_age_seasonal"} <= set(bt.holdout.columns)
    # 2%: the day-step allowance DAY_STEP of tests/test_backtest.py (the lab buys at
    # most once a day, the closed form in continuous time: +1.3% +- 1.2% over 40 seeds of
    # BG/NBD)
    tol = 4 * lab["mc_se"] + 0.02 * lab["actual"]
    assert abs(lab["forecast"] - plain["forecast"]) < tol, (lab.to_dict(), plain.to_dict())


def test_conditional_customers_age_with_beta_zero_is_the_bgnbd_table():
    import dataclasses

    from lab.calibrate.scenario_out import (
        calibrate,
        conditional_customers,
        conditional_customers_age,
    )

    cal = calibrate(clean_orders(_burst_log(n=200, days=150, seed=1)), "2025-04-30")
    fit0 = dataclasses.replace(cal.fit, model="bgnbd_age", params={**cal.fit.params, "beta": 0.0,
                               "tau": 3.0})  # fmt: skip
    pd_testing = __import__("pandas").testing
    pd_testing.assert_frame_equal(conditional_customers_age(cal, fit0, 20.0),
                                  conditional_customers(cal))  # fmt: skip


def regular_log(n: int = 1000, days: int = 240, seed: int = 2):
    """A lab-made log of regular purchases (Erlang-3 gaps; the design of
    benchmarks/bench_regbias.py, smaller): with seed 2 the plain BG/NBD fit does not
    converge (its dropout heterogeneity runs off to the boundary, a and b in the
    hundreds of thousands) while the lab's BG/CNBD-k fit is sound."""
    import pandas as pd

    import lab
    from tests.conftest import bare

    traits = {
        "default": {
            "propensity_per_day": {"dist": "gamma", "mean": 0.8 / 40.0, "shape": 0.8},
            "dropout_after_purchase": {"dist": "beta", "mean": 0.5 / 6.5, "concentration": 6.5},
        }
    }
    sc = bare(n, days, traits=traits, start_date="2026-03-02",
              purchase={"timing": "erlang", "timing_k": 3})  # fmt: skip
    res = lab.run(sc, seed=seed)
    first = pd.DataFrame({"customer_id": res.customers["customer_id"], "date": "2026-03-01"})
    return pd.concat(
        [first.assign(amount=100.0), res.transactions[["customer_id", "date", "amount"]]],
        ignore_index=True,
    )


REGULAR_END = "2026-07-29"  # day 149: 150 days of calibration, 90 of holdout


def test_an_unreliable_comparison_fit_flags_its_rows_and_the_lab_still_forecasts():
    """Regular timing: BG/NBD's fit is unreliable, the lab's own (k = 3) is not.  The
    back-test runs without ``force`` (it raised UnreliableFit before), keeps every
    method and marks the rows that rest on BG/NBD (and on Pareto/NBD, also run off)."""
    from lab.calibrate.scenario_out import calibrate

    orders = clean_orders(regular_log())
    assert calibrate(orders, REGULAR_END).problems()  # the premise: BG/NBD is unreliable
    bt = backtest(orders, REGULAR_END, seeds=range(2), runs_per_seed=1, k_max=3,
                  parameter_uncertainty=False, workers=1, progress=False,
                  seasonality=True)  # fmt: skip
    assert bt.meta["regularity_k"] == 3 and bt.meta["fit_problems"] == []
    cols = list(bt.errors.columns)
    assert cols[:5] == ["start", "method", "actual", "forecast", "error_pct"]
    assert cols[-2:] == ["reliable", "note"]
    e = bt.errors.set_index(["start", "method"])
    assert set(e.loc["conditional"].index) == METHODS
    assert e.loc[("conditional", "lab"), "reliable"] and e.loc[("conditional", "lab"), "note"] == ""
    assert np.isfinite(e.loc[("conditional", "lab"), "forecast"])
    for key in [(s, m) for s in ("conditional", "unconditional")
                for m in ("simulation", "closed_form")] + [("conditional", "closed_form_seasonal")]:  # fmt: skip
        assert not e.loc[key, "reliable"] and "the bgnbd fit" in e.loc[key, "note"], key
    # and why: the dropout's beta mixing runs off to a point mass on regular timing
    note = e.loc[("conditional", "closed_form"), "note"]
    assert "a and b run off together" in note and "regular timing (k = 3)" in note
    flagged = bt.meta["unreliable_methods"]
    assert "lab" not in flagged and {"simulation", "closed_form", "closed_form_seasonal"} <= set(
        flagged
    )
    assert set(bt.errors.loc[~bt.errors["reliable"], "method"]) == set(flagged)
    # the lab's rows are what it came for: a regular log forecast by a regular model
    assert abs(e.loc[("conditional", "lab"), "error_pct"]) < abs(
        e.loc[("conditional", "closed_form"), "error_pct"]
    )


def test_backtest_png_draws_the_lab_row_the_table_reports(bt):
    """backtest.png's holdout panel: the line labelled lab (calendar + regular timing)
    ends at the table's lab forecast, with the lab's own bands; the plain BG/NBD
    simulation beside it is labelled as such (audit D4: it was the plain one, labelled
    "lab simulation")."""
    import matplotlib.pyplot as plt

    from lab.plots.calibration import plot_backtest

    lab = bt.errors.set_index(["start", "method"]).loc[("conditional", "lab"), "forecast"]
    h = bt.holdout
    assert h["cum_lab_mean"].iloc[-1] == pytest.approx(lab)
    assert (h["cum_lab_p10"] <= h["cum_lab_p90"]).all() and (h["lab_p2_5"] <= h["lab_p97_5"]).all()
    for lang, names in (
        ("en", ("lab (calendar + regular timing)", "lab, plain BG/NBD")),
        ("zh", ("仿真 (日历 + 规律的购买间隔)", "仿真 (普通 BG/NBD)")),
    ):
        ax = plot_backtest(h, "cumulative", lang=lang)
        lines = {ln.get_label(): ln for ln in ax.get_lines()}
        np.testing.assert_allclose(lines[names[0]].get_ydata(), h["cum_lab_mean"])
        np.testing.assert_allclose(lines[names[1]].get_ydata(), h["cum_sim_mean"])
        assert "lab simulation" not in lines and "仿真" not in lines
        plt.close(ax.figure)
    # the whole-period tracking has only the plain simulation: so labelled
    ax = plot_backtest(bt.tracking, "weekly")
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert "lab, plain BG/NBD" in labels and "lab (calendar + regular timing)" not in labels
    plt.close(ax.figure)
