"""How the calendar's ridge penalty is chosen: CV-min kept, one-SE and months-twice options.

Issue 15 asked whether the one-standard-error rule (ESL §7.10), which would have helped
on CDNOW's holdout, should replace the CV minimum.  Judged on 18 cells x 30 lab-made
logs with a known truth and a rule written down first (benchmarks/RESULTS_penrule.md),
it should not: on logs whose decline BG/NBD misspecifies, CV-min invents no month
effects beyond their SE anyway, and where the calendar is real the one-SE rule shrinks
it away (the events' lifts towards 1).  The study was re-run after the calendar's
``base`` fix (2026-12-03, same logs and rule): CV-min still stays, but one-SE no longer
loses the holdout's total error in any true-calendar cell (that gap had come from the
defect: CV-min's larger event lifts sat on top of the calendar), so the test of the
total became the test of the shrunk lift.  These tests keep both reasons, and the
options' mechanics.

The logs: 2,357 customers (CDNOW's size) of a closed cohort joining over 12 weeks from
2025-01-01, CDNOW-like BG/NBD rates and dropout, one purchase a day at most; ``sleep``
customers also fall asleep (1/90 a day) and wake up (1/90 a day), an early-life lift
then a plateau that BG/NBD reads as death (the misspecification).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lab.calibrate.bgnbd import bgnbd_conditional_expected, fit_bgnbd
from lab.calibrate.models import expected_repeat_curve
from lab.calibrate.seasonality import PENALTY_RULE, fit_seasonality
from lab.calibrate.summary import rfm_summary
from lab.configs.calendar import Calendar, day_multipliers

START = pd.Timestamp("2025-01-01")
N, CAL_DAYS, HOLD_DAYS = 2357, 273, 273  # 39 + 39 weeks, as CDNOW
R, ALPHA, A, B = 0.243, 4.414, 0.793, 2.426  # BG/NBD, weeks
CALENDAR = {
    "enabled": True,
    "weekday": [0.9, 0.9, 0.9, 0.9, 0.9, 1.25, 1.25],
    "month": [1.0, 0.8, 1.1, 1.0, 0.9, 1.2, 1.0, 1.0, 1.0, 1.0, 1.0, 1.3],
    "events": [{"name": "618", "lift": 1.5}, {"name": "double11", "lift": 1.8}],
}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _log(seed: int, calendar: bool, sleep: bool = True):
    """Daily repeats, BG/NBD's calibration offset and its holdout forecast for one log."""
    rng = np.random.default_rng([seed, 151])
    days = CAL_DAYS + HOLD_DAYS
    join = np.sort(rng.integers(0, 84, N))
    lam = rng.gamma(R, 1.0 / (ALPHA * 7), N)
    p = rng.beta(A, B, N)
    mult = (
        day_multipliers(Calendar.model_validate(CALENDAR), START.date(), days)
        if calendar
        else np.ones(days)
    )
    alive, awake = join == 0, np.ones(N, bool)
    cust, day = [np.flatnonzero(alive)], [np.zeros(int(alive.sum()), int)]
    repeats = np.zeros(days)
    for d in range(1, days):
        u = rng.random((3, N))
        buy = alive & awake & (u[0] < -np.expm1(-lam * mult[d]))
        repeats[d] = buy.sum()
        alive &= ~(buy & (u[1] < p))
        if sleep:
            awake = np.where(awake, u[2] >= 1 / 90, u[2] < 1 / 90)
        new = join == d
        alive |= new
        idx = np.flatnonzero(buy | new)
        cust.append(idx)
        day.append(np.full(idx.size, d))
    orders = pd.DataFrame(
        {
            "customer_id": np.concatenate(cust),
            "date": START + pd.to_timedelta(np.concatenate(day), unit="D"),
        }
    )
    s = rfm_summary(orders, START + pd.Timedelta(days=CAL_DAYS - 1), amount_col=None)
    fit = fit_bgnbd(s, time_unit_days=7)
    offset = np.diff(expected_repeat_curve(fit, join / 7.0, np.arange(CAL_DAYS) / 7.0), prepend=0.0)
    x, t_x, T = (s[c].to_numpy(float)[None] for c in ("frequency", "recency", "T"))
    t = np.arange(1, HOLD_DAYS + 1)[:, None] / 7.0
    closed = np.diff(bgnbd_conditional_expected(fit.params, t, x, t_x, T).sum(axis=1), prepend=0.0)
    return repeats[:CAL_DAYS], offset, closed, repeats[CAL_DAYS:]


def _month_z(seas, offset) -> np.ndarray:
    """z of each fitted month multiplier against 1 (delta method through the
    normalisation over the months seen, weighted by the offset)."""
    months = pd.date_range(START, periods=offset.size, freq="D").month
    w = np.bincount(months - 1, weights=offset, minlength=13)[:12]
    seen = [i for i, src in enumerate(seas.month_source) if src == "fit"]
    names = [f"month_{MONTHS[i]}" for i in seen]
    est = np.log(seas.month[seen])
    share = w[seen] * np.exp(est) / (w[seen] * np.exp(est)).sum()
    grad = np.eye(len(seen)) - share[None, :]
    cov = grad @ seas.cov.loc[names, names].to_numpy() @ grad.T
    return est / np.sqrt(np.diag(cov))


@pytest.fixture(scope="module")
def sleep_flat():
    return [_log(seed, calendar=False) for seed in range(6)]


@pytest.fixture(scope="module")
def sleep_calendar():
    return [_log(seed, calendar=True) for seed in range(8)]


def test_cv_min_is_the_default():
    assert PENALTY_RULE == "min"


def test_misspecified_closed_cohort_gets_no_invented_months(sleep_flat):
    """The fear behind the one-SE rule: on a 39-week closed cohort whose decline BG/NBD
    misfits, each month occurs once and could absorb the misfit.  With sleeping customers
    (a slow misfit) CV-min's months stay within 2 SE of 1 (allowing the 99% point of
    Binomial(m, 0.05) misses over the logs).  (An early burst of buying in the customers'
    first weeks does make CV-min invent months, and one-SE only halves them: a post-hoc
    finding in benchmarks/RESULTS_penrule.md that no penalty rule can settle.)"""
    z = np.concatenate(
        [_month_z(fit_seasonality(y, off, START), off) for y, off, _, _ in sleep_flat]
    )
    print("\nmonth z, CV-min, 6 sleep logs:", np.round(z, 1))
    assert sum(abs(z) > 2) <= stats.binom.ppf(0.99, z.size, 0.05)


def test_one_se_shrinks_a_real_event_lift_towards_1(sleep_calendar):
    """Where the calendar is real (618 x1.5 in every calibration period), the one-SE
    rule's larger penalty pulls the fitted 618 lift towards 1, away from the truth:
    |log lift - log 1.5| grows against CV-min's, paired over 8 logs, by more than 2 SE
    (the re-run of benchmarks/RESULTS_penrule.md found the holdout total no longer
    differs: +0.13 +- 0.13 points in this cell over 30 logs; what one-SE loses is the
    real lift, e.g. 双11 1.65 -> 1.27 on the 18-month logs, truth 1.8)."""
    true = np.log(CALENDAR["events"][0]["lift"])
    assert CALENDAR["events"][0]["name"] == "618"
    diffs, penalties = [], []
    for y, off, _, _ in sleep_calendar:
        miss = {}
        for rule in ("min", "one_se"):
            seas = fit_seasonality(y, off, START, rule=rule)
            miss[rule] = abs(np.log(seas.events["618"]) - true)
            penalties.append((rule, seas.penalty))
        diffs.append(miss["one_se"] - miss["min"])
    d = np.array(diffs)
    print(f"\n|log 618 - log 1.5| one-SE - CV-min: {d.mean():+.3f} (SE {d.std(ddof=1) / 8**0.5:.3f})",
          penalties)  # fmt: skip
    assert d.mean() > 2 * d.std(ddof=1) / np.sqrt(d.size)


def test_one_se_takes_the_largest_penalty_within_one_se_of_the_minimum(sleep_calendar):
    y, off, _, _ = sleep_calendar[0]
    best = fit_seasonality(y, off, START, rule="min")
    one = fit_seasonality(y, off, START, rule="one_se")
    cv = best.cv
    i = int(cv["deviance"].idxmin())
    assert best.penalty == cv.loc[i, "penalty"]
    within = cv[cv["deviance"] <= cv.loc[i, "deviance"] + cv.loc[i, "se"]]
    assert one.penalty == within["penalty"].max() and one.penalty >= best.penalty
    assert (cv["se"] > 0).all()
    with pytest.raises(ValueError, match="penalty rule 'median'"):
        fit_seasonality(y, off, START, rule="median")


def test_months_twice_gives_once_seen_months_the_prior():
    """``month_rule="twice"``: an 18-month log fits January-June (seen in 2025 and 2026)
    and gives July-December the prior; a 39-week log fits no month."""
    rng = np.random.default_rng(0)
    expected = np.full(546, 20.0)
    y = rng.poisson(expected).astype(float)
    long = fit_seasonality(y, expected, START, month_rule="twice", month_prior="retail")
    assert long.month_source == ("fit",) * 6 + ("prior",) * 6
    assert {f"month_{m}" for m in MONTHS[:6]} <= set(long.se)
    assert not {f"month_{m}" for m in MONTHS[6:]} & set(long.se)
    short = fit_seasonality(y[:273], expected[:273], START, month_rule="twice")
    assert short.month_source == ("prior",) * 12
    np.testing.assert_array_equal(short.month, 1.0)  # the flat prior
    # the retail prior on the pinned months: their ratios are the prior's
    from lab.calibrate.seasonality import MONTH_PRIORS

    prior = np.array(MONTH_PRIORS["retail"])
    np.testing.assert_allclose(long.month[7:] / long.month[6], prior[7:] / prior[6])
    with pytest.raises(ValueError, match="month rule"):
        fit_seasonality(y, expected, START, month_rule="never")


# ------------------------------------------------ the rules as options of the user's API
@pytest.fixture(scope="module")
def small_log():
    """A small closed cohort of lab-made orders (300 customers, 200 days)."""
    from lab.calibrate.synthetic import synthetic_order_log

    params = {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 3.0}  # weekly BG/NBD
    return synthetic_order_log(params, 300, join_weeks=4, days=200, seed=4)


@pytest.fixture(scope="module")
def default_and_ruled(small_log):
    from lab.calibrate.estimator import fit

    default = fit(small_log, k_max=1)
    ruled = fit(small_log, k_max=1, penalty_rule="one_se", month_rule="twice")
    return default, ruled


def test_fit_passes_the_rules_to_the_calendar_and_keeps_the_default(small_log, default_and_ruled):
    from lab.calibrate.backtest import _actual_daily, _repeat_offset

    default, ruled = default_and_ruled
    assert (default.seasonality.rule, default.seasonality.month_rule) == (PENALTY_RULE, "all")
    assert (ruled.seasonality.rule, ruled.seasonality.month_rule) == ("one_se", "twice")
    cal, reg = default.calibration, default.regularity
    n = int((cal.calibration_end - cal.start_date).days) + 1
    y, off = _actual_daily(default.orders, cal, n), _repeat_offset(cal, reg, n)
    for model, kw in ((default, {}), (ruled, {"rule": "one_se", "month_rule": "twice"})):
        direct = fit_seasonality(y, off, cal.start_date, **kw)
        pd.testing.assert_frame_equal(model.seasonality.table(), direct.table())
        assert model.seasonality.penalty == direct.penalty
    # 200 days hold no month twice: every month takes the (flat) prior
    assert ruled.seasonality.month_source == ("prior",) * 12
    assert ruled.seasonality.penalty >= default.seasonality.penalty
    # the other fits are the rules' business in no way
    assert ruled.calibration.fit.params == default.calibration.fit.params
    assert ruled.regularity.k == default.regularity.k


def test_refit_calendar_is_fit_with_the_rules(default_and_ruled):
    default, ruled = default_and_ruled
    assert default.refit_calendar() is default and default.refit_calendar("min", "all") is default
    again = default.refit_calendar(penalty_rule="one_se", month_rule="twice")
    pd.testing.assert_frame_equal(again.seasonality.table(), ruled.seasonality.table())
    assert again.summary()["seasonality_penalty_rule"] == "one_se"
    assert again.summary()["seasonality_month_rule"] == "twice"
    assert default.summary()["seasonality_penalty_rule"] == "min"


def test_forecast_and_backtest_take_the_rules(default_and_ruled):
    default, ruled = default_and_ruled
    fc = default.forecast("14d", seeds=[0], workers=1, penalty_rule="one_se", month_rule="twice")
    assert fc.meta["seasonality_penalty_rule"] == "one_se"
    assert fc.meta["seasonality_month_rule"] == "twice"
    assert fc.meta["seasonality_penalty"] == ruled.seasonality.penalty
    same = ruled.forecast("14d", seeds=[0], workers=1)
    pd.testing.assert_frame_equal(fc.daily, same.daily)
    # the model's backtest hands its own rules on, as it hands on its month prior
    import importlib

    backtest_module = importlib.import_module("lab.calibrate.backtest")  # not the function

    seen = {}

    def spy(orders, end, **kw):
        seen.update(kw)
        raise RuntimeError("stop")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(backtest_module, "backtest", spy)
        with pytest.raises(RuntimeError):
            ruled.backtest("2025-05-01")
        assert (seen["penalty_rule"], seen["month_rule"]) == ("one_se", "twice")
        with pytest.raises(RuntimeError):
            ruled.backtest("2025-05-01", penalty_rule="min")
        assert (seen["penalty_rule"], seen["month_rule"]) == ("min", "twice")


def test_backtest_fits_and_records_the_rules(small_log):
    from lab.calibrate.backtest import _summary_md, backtest
    from lab.calibrate.ingest import clean_orders

    kw = {"seeds": [0], "runs_per_seed": 1, "k_max": 1, "workers": 1, "progress": False}
    bt = backtest(clean_orders(small_log), "2025-05-31", seasonality=True,
                  penalty_rule="one_se", month_rule="twice", **kw)  # fmt: skip
    assert (bt.meta["seasonality_penalty_rule"], bt.meta["seasonality_month_rule"]) == (
        "one_se",
        "twice",
    )
    assert {r["source"] for r in bt.meta["seasonality"] if r["effect"].startswith("month_")} == {
        "prior:flat"
    }
    assert "Chosen by penalty rule one_se" in _summary_md(bt)
    zh = _summary_md(bt, "zh")  # the same sections in Chinese, the rules' names kept
    assert "选择方式：惩罚规则 one_se" in zh and "## 规律的购买间隔" in zh
    assert "## 老客与新客 (实验室模型)" in zh and "Chosen by" not in zh


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"penalty_rule": "median"}, "penalty_rule 'median'"),
        ({"month_rule": "once"}, "month_rule 'once'"),
    ],
)
def test_python_api_refuses_an_unknown_rule_naming_it(small_log, default_and_ruled, kwargs, named):
    from lab.calibrate.backtest import backtest
    from lab.calibrate.estimator import fit
    from lab.calibrate.ingest import clean_orders

    with pytest.raises(ValueError, match=named):  # before the file is even looked for
        fit("no-such-file.csv", **kwargs)
    with pytest.raises(ValueError, match=named):
        backtest(clean_orders(small_log), "2025-05-01", **kwargs)
    with pytest.raises(ValueError, match=named):
        default_and_ruled[0].forecast("14d", seeds=[0], **kwargs)


@pytest.mark.parametrize("command", ["calibrate", "backtest", "forecast"])
@pytest.mark.parametrize(
    ("option", "value"), [("--penalty-rule", "median"), ("--month-rule", "once")]
)
def test_cli_refuses_an_unknown_rule_with_exit_2(tmp_path, command, option, value):
    from typer.testing import CliRunner

    from lab.cli import app

    args = [command, str(tmp_path / "orders.csv"), option, value]
    args += ["--out", str(tmp_path / ("out.yaml" if command == "calibrate" else "out"))]
    if command == "backtest":
        args += ["--calibration-end", "2025-06-30"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 2, r.output
    assert f"{option} '{value}'" in r.output and "use one of" in r.output
    assert list(tmp_path.iterdir()) == []


def test_both_bad_rules_are_named_in_one_message(tmp_path):
    """Every problem at once: both unknown values in one message, in Python and on the
    command line (exit 2, nothing written)."""
    from typer.testing import CliRunner

    from lab.calibrate.seasonality import check_rules
    from lab.cli import app

    with pytest.raises(ValueError, match=r"penalty_rule 'median'.*; month_rule 'once'"):
        check_rules("median", "once")
    out = tmp_path / "out.yaml"
    args = ["calibrate", str(tmp_path / "orders.csv"), "--penalty-rule", "median"]
    r = CliRunner().invoke(app, [*args, "--month-rule", "once", "--out", str(out)])
    assert r.exit_code == 2, r.output
    text = " ".join(r.output.split())
    assert "--penalty-rule 'median'" in text and "--month-rule 'once'" in text
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("command", "switch", "without"),
    [
        ("calibrate", ["--no-seasonality"], "--no-seasonality"),
        ("calibrate", ["--model", "paretonbd"], "--model paretonbd"),
        ("backtest", ["--no-seasonality"], "--no-seasonality"),
    ],
)
def test_cli_refuses_a_rule_it_would_ignore(tmp_path, command, switch, without):
    """A rule other than the default where no calendar is fitted would be silently
    ignored: exit 2 naming the option, its value and why, before any work; the
    defaults pass."""
    from typer.testing import CliRunner

    from lab.cli import app

    args = [command, str(tmp_path / "orders.csv"), *switch]
    args += ["--out", str(tmp_path / ("out.yaml" if command == "calibrate" else "out"))]
    if command == "backtest":
        args += ["--calibration-end", "2025-06-30"]
    r = CliRunner().invoke(app, [*args, "--penalty-rule", "one_se", "--month-rule", "twice"])
    assert r.exit_code == 2, r.output
    text = " ".join(r.output.split())
    assert f"--penalty-rule one_se has no effect with {without}" in text
    assert f"--month-rule twice has no effect with {without}" in text
    assert list(tmp_path.iterdir()) == []
    r = CliRunner().invoke(app, [*args, "--penalty-rule", "min", "--month-rule", "all"])
    assert "no effect" not in r.output and "file not found" in r.output  # past the rules


def test_cli_records_the_rules_in_the_scenario_header_and_summaries(small_log, tmp_path):
    from typer.testing import CliRunner

    from lab.cli import app

    src = tmp_path / "orders.csv"
    small_log.to_csv(src, index=False)
    rules = ["--penalty-rule", "one_se", "--month-rule", "twice"]
    out = tmp_path / "calibrated" / "shop.yaml"
    r = CliRunner().invoke(app, ["calibrate", str(src), "--out", str(out), "--forecast-days", "30",
                                 *rules])  # fmt: skip
    assert r.exit_code == 0, r.output
    header = out.read_text(encoding="utf-8")
    assert "chosen by penalty rule one_se (the largest penalty within one SE" in header
    assert "; months fitted: twice (only months the log contains in two years)" in header
    fc_dir = tmp_path / "fc"
    r = CliRunner().invoke(app, ["forecast", str(src), "--horizon", "14d", "--seeds", "1",
                                 "--workers", "1", "--out", str(fc_dir), "-q", *rules])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "chosen by penalty rule one_se" in (fc_dir / "summary.md").read_text(encoding="utf-8")
    import json

    meta = json.loads((fc_dir / "fit.json").read_text(encoding="utf-8"))
    assert (meta["seasonality_penalty_rule"], meta["seasonality_month_rule"]) == ("one_se", "twice")
    # and without the options: the defaults, said as such
    r = CliRunner().invoke(app, ["calibrate", str(src), "--out", str(out), "--forecast-days", "30"])
    assert r.exit_code == 0, r.output
    assert "chosen by penalty rule min (the lowest held-out deviance); months fitted: all" in (
        out.read_text(encoding="utf-8")
    )
