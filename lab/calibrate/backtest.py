"""Back-test (回测): calibrate up to a date, simulate beyond it, compare with what happened.

:func:`backtest` fits BG/NBD and gamma–gamma to the orders up to ``calibration_end``
(:func:`lab.calibrate.scenario_out.calibrate`) and then forecasts the repeat
transactions of the calibration-period customers in the holdout two ways, each with
the lab's simulation (N seeds, one process pool) and the BG/NBD closed form beside it:

* **conditional** (the forecast a planner would make on the calibration end): every
  customer starts at the calibration end with its own history — alive with
  P(alive | x, t_x, T), purchase rate from its posterior Gamma(r + x, alpha + T),
  dropout from Beta(a, b + x) — and the lab runs forward
  (:func:`~lab.calibrate.scenario_out.conditional_customers`); the closed form is
  the sum of the customers' conditional expectations E[Y(t) | x, t_x, T] (FHL eq. 10);
* **unconditional** (whole-period tracking, as FHL 2005 Fig. 2): customers join on
  their real first-purchase dates and the lab simulates the calibration period and
  the holdout from the fitted population; the closed form is sum_i E[X(t - f_i)].

Weeks are numbered from the log's first date (week 1 = its first seven days; CDNOW's
holdout is then weeks 40-78 as in the literature).  The
holdout error is ``(forecast - actual) / actual`` in percent of the holdout's repeat
transactions.

**A simulated forecast is an expectation.**  One run of a week is one draw of that
week's count: its variance is about the count itself, as large as the sampling noise
of the actual week the forecast is compared with.  A mean of R runs keeps 1/R of it,
and a forecast error dominated by the actual's noise is inflated by about
sqrt(1 + 1/R) - 1 (the weekly MAE of 20 runs: +2.5%, which on CDNOW is as large as
the gaps between the methods).  So each seed runs ``runs_per_seed`` replications,
each with a seed of its own derived from it (:func:`replica_seeds`) and so with its
own parameter draw (:data:`FORECAST_RUNS` runs in all by default: the forecast's
noise is at most a tenth of a week's own sd, its MAE inflation at most 0.5%).
Independent (parameter draw, run) pairs average the parameters' uncertainty as well
as the customers' chance: on CDNOW the parameter draws make half of a run's variance,
and 5 runs of one draw would leave that half at the 20 seeds' noise.  The forecast
is the mean of every run, the bands are quantiles over every run (draws of the
predictive distribution), the Monte Carlo standard error is their sd / sqrt(runs).
The whole-period tracking (unconditional start) checks the calibration fit and runs
once per seed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from lab.calibrate.backtest_text import bt_text, event_name
from lab.calibrate.ingest import CleanOrders
from lab.calibrate.order_model import OrderFits, parameter_draws
from lab.calibrate.scenario_out import (
    Calibration,
    calibrate,
    conditional_customers,
    first_purchase_customers,
    scenario_dict,
)

__all__ = ["FORECAST_RUNS", "Backtest", "backtest", "holdout_events_note", "save_backtest"]

#: runs (all seeds together) averaged by default for a simulated forecast's expectation:
#: its weekly variance is then 1% of one run's (the actual week's own sampling variance)
FORECAST_RUNS = 100

QUANTILES = {
    "sim_p2_5": 0.025,
    "sim_p10": 0.10,
    "sim_median": 0.5,
    "sim_p90": 0.90,
    "sim_p97_5": 0.975,
}


@dataclass
class Backtest:
    """A back-test's results.

    Attributes
    ----------
    calibration : Calibration
    holdout_end : pandas.Timestamp
    seeds : list of int
    tracking : pandas.DataFrame
        Unconditional whole-period tracking, one row per week: ``week``, ``actual``,
        ``closed_form``, the simulation's quantiles ``sim_p2_5 .. sim_p97_5`` and the
        same columns cumulated (``cum_...``).
    holdout : pandas.DataFrame
        The conditional forecast over the holdout weeks, same columns.
    errors : pandas.DataFrame
        One row per forecast (start x method): ``start``, ``method``, ``actual``,
        ``forecast``, ``error_pct``, ``mc_se`` (simulation only: the Monte Carlo
        standard error of the forecast), ``predictive_sd`` (simulation only: the sd of
        one run's holdout total, process and parameter uncertainty), ``weekly_mae``
        (of the mean weekly forecast), ``cum_error``, ``reliable`` (False: the fit the
        row rests on has problems, :func:`~lab.calibrate.checks.fit_problems`) and
        ``note`` (those problems; empty when reliable).
    meta : dict
        Provenance (source, dates, seeds, scenario hashes, lab version, git commit).
    segments : pandas.DataFrame or None
        With ``seasonality``: the lab's holdout forecast by customer segment, one row
        each for ``existing`` (the calibration customers' repeat transactions, as the
        ``lab`` row of :attr:`errors`), ``new`` (every order of customers whose first
        purchase falls in the holdout, against the lab's fitted arrivals) and
        ``total``: ``segment``, ``actual``, ``forecast``, ``error_pct``, ``mc_se``,
        ``weekly_mae``, ``cum_error``, ``actual_customers``, ``forecast_customers``
        (new customers; NaN for existing).  None without ``seasonality``.
    """

    calibration: Calibration
    holdout_end: pd.Timestamp
    seeds: list[int]
    tracking: pd.DataFrame
    holdout: pd.DataFrame
    errors: pd.DataFrame
    meta: dict = field(default_factory=dict)
    segments: pd.DataFrame | None = None

    @property
    def calibration_weeks(self) -> float:
        """Where the plots draw the calibration end: after its last (1-based) week."""
        days = (self.calibration.calibration_end - self.calibration.start_date).days + 1
        return days / 7 + 0.5

    def error(self, start: str = "conditional", method: str = "simulation") -> float:
        """Holdout error in percent of one forecast."""
        row = self.errors[(self.errors["start"] == start) & (self.errors["method"] == method)]
        return float(row["error_pct"].iloc[0])


def backtest(
    orders: CleanOrders,
    calibration_end,
    *,
    holdout_end=None,
    seeds=range(10),
    parameter_uncertainty: bool = True,
    workers: int | None = None,
    progress: bool | None = None,
    force: bool = False,
    campaigns=(),
    seasonality: bool = False,
    k_max: int = 8,
    month_prior=None,
    runs_per_seed: int | None = None,
    penalty_rule: str = "min",
    month_rule: str = "all",
) -> Backtest:
    """Calibrate on the orders up to ``calibration_end`` and forecast the holdout.

    Parameters
    ----------
    orders : CleanOrders
        The cleaned log (:func:`lab.calibrate.ingest.read_orders`).
    calibration_end : date-like
        Last day of the calibration period.
    holdout_end : date-like, optional
        Last day of the holdout (default: the log's last date).
    seeds : iterable of int
        Simulation seeds.  Results do not depend on the number of workers.
    parameter_uncertainty : bool
        Each seed simulates with its own BG/NBD parameters drawn from the estimate's
        sampling distribution (normal on the log scale with the fit's covariance), so
        the bands carry the uncertainty of the fit as well as the customers' chance;
        False: every seed uses the point estimate.  The closed form uses the estimate.
    workers : int, optional
        Processes (default: the local cores).
    progress : bool, optional
        Progress bar over the runs (default: when stderr is a terminal).
    force : bool
        Back-test even when the fits the forecast rests on have problems
        (:func:`~lab.calibrate.checks.fit_problems`): BG/NBD and gamma-gamma
        (:meth:`Calibration.problems`), or with ``seasonality`` the lab's own fits
        (regular timing, gamma-gamma; BG/NBD too when k = 1).  They are kept in
        ``meta["fit_problems"]`` and head ``summary.md``.  A comparison method's own
        unreliable fit (e.g. BG/NBD on a regular log, whose dropout heterogeneity runs
        off to the boundary) never stops the back-test: its rows of ``errors`` have
        ``reliable`` False and the problems in ``note`` and in
        ``meta["unreliable_methods"]``.
    campaigns : sequence of dict
        The brand's campaigns (``name, start, end``; :func:`~lab.calibrate.seasonality.read_campaigns`):
        their lifts are fitted from the calibration period.
    seasonality : bool
        Also fit the calendar and regular timing and forecast with them (method
        ``lab``), beside the seasonal closed form (``closed_form_seasonal``),
        Pareto/NBD (``paretonbd``) and BG/NBD with the early-life burst
        (:mod:`~lab.calibrate.agebump`) without and with a calendar fitted against it
        (``bgnbd_age``, ``bgnbd_age_seasonal``; its test against plain BG/NBD in
        ``meta["age_term"]``); ``lab backtest`` and :meth:`OrderModel.backtest`
        switch it on.
    k_max : int
        Largest Erlang-k tried for regular timing.
    month_prior : str or sequence of 12 floats, optional
        The calendar's shape for months the calibration period does not contain
        (:func:`lab.calibrate.seasonality.month_prior_shape`; default ``flat``).
    runs_per_seed : int, optional
        Replications of each seed's holdout forecasts (the simulations ``conditional``
        and ``lab``); default: enough for :data:`FORECAST_RUNS` runs in all
        (``ceil(FORECAST_RUNS / len(seeds))``).  The first run of a seed uses the seed
        itself, the others seeds derived from it (:func:`replica_seeds`), each with its
        own parameter draw.  The whole-period tracking (``unconditional``, a check of
        the calibration fit, twice as long) and the new customers of an open pool run
        once per seed.
    penalty_rule : {"min", "one_se"}
        How the calendar's cross-validation chooses its penalty (``seasonality``;
        :data:`lab.calibrate.seasonality.PENALTY_RULES`; default the CV minimum).
    month_rule : {"all", "twice"}
        Which months the calibration period's counts estimate (``seasonality``;
        :data:`lab.calibrate.seasonality.MONTH_RULES`; default every month it contains).

    Returns
    -------
    Backtest

    Raises
    ------
    ValueError
        Calibration end outside the log, no holdout, a failed fit, or an unknown
        ``penalty_rule`` or ``month_rule`` (before any fit).
    UnreliableFit
        (a ValueError) The fits the forecast rests on have problems and ``force`` is
        False.
    """
    from lab.calibrate.checks import UnreliableFit
    from lab.calibrate.seasonality import check_rules

    check_rules(penalty_rule, month_rule)
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("need at least one seed")
    runs = _runs_per_seed(runs_per_seed, len(seeds))
    run_seeds = [r for s in seeds for r in replica_seeds(s, runs)]
    cal = calibrate(orders, calibration_end, model="bgnbd")
    problems = cal.problems()
    if problems and not force and not seasonality:  # the forecast is this fit's
        raise UnreliableFit(problems)
    end = cal.calibration_end
    h_end = orders.last_date if holdout_end is None else pd.Timestamp(holdout_end)
    if h_end <= end:
        raise ValueError(
            f"no holdout: the log ends on {h_end.date()}, not after the calibration end {end.date()}"
        )
    start = cal.start_date
    e = int((end - start).days)  # calibration end as a day index
    n_days = int((h_end - start).days) + 1
    actual = _actual_daily(orders, cal, n_days)
    closed_u = _closed_unconditional(cal, n_days)
    closed_c = _closed_conditional(cal, n_days, e)
    rules = (penalty_rule, month_rule)
    extra = None
    if seasonality:
        try:
            extra = _extra_fits(
                orders, cal, actual, closed_u, n_days, e, campaigns, month_prior, k_max, rules
            )
        except ValueError:
            if problems and not force:  # the refusal the fits' problems call for
                raise UnreliableFit(problems) from None
            raise
    flags = _row_problems(cal, extra)
    if extra is not None:  # the lab's own fits decide; a comparison's only flags its rows
        problems = flags["lab"]
        if problems and not force:
            raise UnreliableFit(problems)
    n_runs = len(run_seeds)
    fits = parameter_draws(cal.fit, run_seeds) if parameter_uncertainty else [cal.fit] * n_runs
    reg_fits = lab_fits = [None] * n_runs
    if extra is not None:
        rf = extra["regularity"].fit
        reg_fits = parameter_draws(rf, run_seeds) if parameter_uncertainty else [rf] * n_runs
        lab_fits = reg_fits
        if _lab_uses_age(extra):  # the existing customers from the burst model's posterior
            af = extra["age"]["fit"]
            lab_fits = parameter_draws(af, run_seeds) if parameter_uncertainty else [af] * n_runs
    skipped = ""
    segments, new_meta = None, {}
    with tempfile.TemporaryDirectory(prefix="lab-backtest-") as tmp:
        scen = []
        made: dict[int, dict] = {}  # without parameter draws every run has the same fit
        for i, (f, g) in enumerate(zip(fits, lab_fits, strict=True)):
            if id(f) not in made:  # (its tables written and read back once, not per run)
                made[id(f)] = _scenarios(
                    dataclasses.replace(cal, fit=f), Path(tmp) / f"run{i}", n_days, e
                )
            sc = dict(made[id(f)])
            if i % runs:  # the whole-period tracking runs once per seed
                sc.pop("unconditional")
            if extra is not None:
                try:
                    sc["lab"] = _seasonal_scenario(
                        cal, g, extra, Path(tmp) / f"run{i}", n_days, e, run_seeds[i]
                    )
                except ValueError as exc:  # e.g. a forced, unreliable fit
                    skipped = f"method lab skipped: {exc}"
                    extra = None
                    for done in scen:
                        done.pop("lab", None)
            scen.append(sc)
        reps = _simulate(scen, run_seeds, workers, progress)
    uncond_sim = reps["unconditional"]  # seeds x n_days (the first run of each seed)
    cond_sim = np.zeros((n_runs, n_days))
    cond_sim[:, e + 1 :] = reps["conditional"][:, 1:]  # day k of that run = day e + k
    weeks = np.arange(n_days) // 7 + 1  # week 1 = the log's first seven days
    tracking = _weekly_table(weeks, actual, closed_u, uncond_sim)
    hold = weeks[e + 1 :]
    holdout = _weekly_table(hold, actual[e + 1 :], closed_c[e + 1 :], cond_sim[:, e + 1 :])
    errors = _errors(
        actual,
        e,
        {"unconditional": (closed_u, uncond_sim), "conditional": (closed_c, cond_sim)},
        weeks,
    )
    if extra is not None:
        lab_sim = np.zeros((n_runs, n_days))
        lab_sim[:, e + 1 :] = reps["lab"][:, 1:]
        age_c = _closed_conditional(dataclasses.replace(cal, fit=extra["age"]["fit"]), n_days, e)
        others = {
            "lab": lab_sim,
            "closed_form_seasonal": closed_c * extra["multipliers"],
            "paretonbd": _closed_conditional_paretonbd(cal, n_days, e, extra["paretonbd"]),
            "bgnbd_age": age_c,
            "bgnbd_age_seasonal": age_c * extra["age_multipliers"],
        }
        errors = pd.concat([_method_rows(actual, e, weeks, others), errors], ignore_index=True)
        lab_weeks = _weekly_table(hold, actual[e + 1 :], closed_c[e + 1 :], lab_sim[:, e + 1 :])
        for col in (c for c in lab_weeks.columns if "sim_" in c):  # lab_mean, its bands
            holdout[col.replace("sim_", "lab_")] = lab_weeks[col]
        for name in ("closed_form_seasonal", "paretonbd", "bgnbd_age", "bgnbd_age_seasonal"):
            holdout[name] = np.bincount(
                np.unique(hold, return_inverse=True)[1], weights=others[name][e + 1 :]
            )
        new_actual, new_count = _actual_new_daily(orders, cal, n_days)
        new_sim, new_n = _simulate_new(
            orders, cal, extra, reg_fits[::runs], seeds, n_days, e, campaigns,
            parameter_uncertainty, workers, progress,
        )  # fmt: skip
        new_sim = np.repeat(new_sim, runs, axis=0)  # seed i's new customers with its runs
        segments = _segments(actual, lab_sim, new_actual, new_sim, e, weeks, (new_count, new_n))
        new_meta = {
            "holdout_new_customers": int(new_count),
            "arrivals": extra["arrivals"].summary(),
        }
    errors["cum_error"] = errors["forecast"] - errors["actual"]
    errors["reliable"] = [not flags.get(m) for m in errors["method"]]
    errors["note"] = ["; ".join(flags.get(m, [])) for m in errors["method"]]
    flagged = {m: flags[m] for m in dict.fromkeys(errors["method"]) if flags.get(m)}
    from lab._version import __version__
    from lab.results import git_commit

    meta = {
        "source": orders.report.source,
        "start_date": str(start.date()),
        "calibration_end": str(end.date()),
        "holdout_end": str(h_end.date()),
        "customers": int(cal.fit.n),
        "seeds": seeds,
        "runs_per_seed": runs,
        "parameter_uncertainty": bool(parameter_uncertainty),
        "fit_problems": problems + ([skipped] if skipped else []),
        "unreliable_methods": flagged,
        **({} if extra is None else _extra_meta(extra)),
        **new_meta,
        "scenario_hashes": {k: _stable_hash(v) for k, v in scen[0].items()},
        "lab_version": __version__,
        "git_commit": git_commit(),
        "created_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return Backtest(cal, h_end, seeds, tracking, holdout, errors, meta, segments)


# ------------------------------------------------------------------------ pieces
def _stable_hash(scenario) -> str:
    """The scenario's hash without the temporary folder its customer file sits in.

    The back-test writes each run's known-customer table to a fresh temporary
    folder; the file's content is pinned by its sha256, so only the file's name
    enters the hash and identical back-tests get identical provenance.
    """
    import hashlib
    import json

    from lab.scenario import dump_scenario

    data = dump_scenario(scenario)
    kc = data.get("acquisition", {}).get("known_customers", {})
    if isinstance(kc, dict) and kc.get("file"):
        kc["file"] = Path(kc["file"]).name
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def _actual_daily(orders: CleanOrders, cal: Calibration, n_days: int) -> np.ndarray:
    """Repeat transactions per day of the calibration cohort (first purchase days removed)."""
    o = orders.orders
    o = o[o["customer_id"].isin(cal.summary.index.astype(str))]
    first = o.groupby("customer_id")["date"].transform("min")
    rep = o[o["date"] > first]
    day = (rep["date"] - cal.start_date).dt.days.to_numpy()
    day = day[day < n_days]
    return np.bincount(day, minlength=n_days).astype(float)


def _scenarios(cal: Calibration, folder: Path, n_days: int, e: int) -> dict:
    """The two calibrated scenarios (validated now: the tables travel inside them)."""
    from lab.known_customers import write_known_customers
    from lab.scenario import scenario_from_dict

    first = folder / "first_purchases.csv"
    write_known_customers(first_purchase_customers(cal), first)
    cond = folder / "at_calibration_end.csv"
    write_known_customers(conditional_customers(cal), cond)
    uncond = scenario_dict(cal, str(first), name="backtest-unconditional", days=n_days)
    conditional = scenario_dict(
        cal,
        str(cond),
        name="backtest-conditional",
        days=n_days - e,
        start_date=cal.calibration_end,
        book_first_order=False,
    )
    return {
        "unconditional": scenario_from_dict(uncond, source=str(first)),
        "conditional": scenario_from_dict(conditional, source=str(cond)),
    }


def _runs_per_seed(runs_per_seed: int | None, n_seeds: int) -> int:
    """Replications per seed: as given, or enough for :data:`FORECAST_RUNS` in all."""
    if runs_per_seed is None:
        return max(1, -(-FORECAST_RUNS // n_seeds))
    if int(runs_per_seed) < 1:
        raise ValueError(f"runs_per_seed must be >= 1, got {runs_per_seed!r}")
    return int(runs_per_seed)


def replica_seeds(seed: int, runs: int) -> list[int]:
    """The seeds of a seed's ``runs`` replications: the seed itself, then derived ones.

    A derived seed is a hash of (seed, replication) in [0, 2**63), so replications of
    different seeds do not share streams (a collision with a chosen seed has
    probability ~ 2**-63 per pair).
    """
    import hashlib

    out = [int(seed)]
    for j in range(1, int(runs)):
        digest = hashlib.blake2b(f"backtest-replica:{int(seed)}:{j}".encode(), digest_size=8)
        out.append(int.from_bytes(digest.digest(), "little") >> 1)
    return out


def _repeat_run(task: tuple) -> np.ndarray:
    """Worker: one run's daily repeat transactions (orders - booked first orders)."""
    from lab.api import run

    scenario, seed = task
    daily = run(scenario, seed=seed).daily
    return (daily["orders"] - daily["first_orders"]).to_numpy(dtype=float)


def _simulate(scen: list[dict], seeds: list[int], workers, progress) -> dict[str, np.ndarray]:
    """Daily repeat transactions, runs x days, per start (run i: ``scen[i]``, ``seeds[i]``;
    a start missing from a run's scenarios is not run)."""
    from lab.parallel.pool import run_tasks

    kinds = list(scen[0])
    tasks = [(k, sc[k], seed) for k in kinds for sc, seed in zip(scen, seeds, strict=True)
             if k in sc]  # fmt: skip
    runs = run_tasks(
        _repeat_run, [t[1:] for t in tasks], workers, progress, f"back-test: {len(tasks)} runs"
    )
    return {k: np.stack([r for t, r in zip(tasks, runs, strict=True) if t[0] == k]) for k in kinds}


def _total_stats(sims, hold: slice) -> tuple[float, float, float]:
    """Mean holdout total over the runs (a closed form: one run), its Monte Carlo SE
    and the sd of one run's total (the predictive sd)."""
    totals = np.atleast_2d(np.asarray(sims, float))[:, hold].sum(axis=1)
    if totals.size < 2:
        return float(totals.mean()), np.nan, np.nan
    sd = float(totals.std(ddof=1))
    return float(totals.mean()), sd / np.sqrt(totals.size), sd


def _closed_unconditional(cal: Calibration, n_days: int) -> np.ndarray:
    """Expected repeat transactions per day: the daily increments of sum_i E[X(t - f_i)]."""
    from lab.calibrate.models import expected_repeat_curve

    u = cal.fit.time_unit_days
    f = (cal.summary["first_purchase"] - cal.start_date).dt.days.to_numpy(float)
    cum = expected_repeat_curve(cal.fit, f / u, np.arange(n_days) / u)
    return np.diff(cum, prepend=0.0)


def _closed_conditional(cal: Calibration, n_days: int, e: int) -> np.ndarray:
    """Expected repeat transactions per day after the calibration end: sum_i E[Y | x, t_x, T]
    under ``cal.fit`` (BG/NBD, or BG/NBD with the early-life burst, ``bgnbd_age``)."""
    from lab.calibrate.agebump import bgnbd_age_conditional_expected
    from lab.calibrate.bgnbd import bgnbd_conditional_expected

    cond = (
        bgnbd_age_conditional_expected
        if cal.fit.model == "bgnbd_age"
        else bgnbd_conditional_expected
    )
    s, u = cal.summary, cal.fit.time_unit_days
    x, t_x, T = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    cum = np.zeros(n_days)
    for d in range(e + 1, n_days):
        cum[d] = cond(cal.fit.params, (d - e) / u, x, t_x, T).sum()
    return np.diff(cum, prepend=0.0)


def _repeat_offset(cal: Calibration, reg, n_days: int) -> np.ndarray:
    """The calendar fit's offset e_d: expected repeat transactions per day under the
    timing the lab simulates with, BG/NBD (:func:`_closed_unconditional`) for k = 1 and
    BG/CNBD-k (:func:`~lab.calibrate.regularity.expected_daily_repeats`) for k > 1."""
    from lab.calibrate.regularity import expected_daily_repeats

    if reg.k == 1:
        return _closed_unconditional(cal, n_days)
    f = (cal.summary["first_purchase"] - cal.start_date).dt.days.to_numpy()
    return expected_daily_repeats(reg.fit.params, reg.k, f, n_days, reg.fit.time_unit_days)


def _extra_fits(
    orders, cal, actual, closed_u, n_days: int, e: int, campaigns, month_prior, k_max: int = 8,
    rules: tuple[str, str] = ("min", "all"),
) -> dict:  # fmt: skip
    """Regular timing (BG/CNBD-k), the calendar and the first-time buyer arrivals, from
    the calibration period only.

    The lab's calendar is fitted against the timing it simulates with
    (:func:`_repeat_offset`); the seasonal closed form's (``multipliers``) against
    BG/NBD's, its own timing: the same calendar when k = 1.  Then, as
    :func:`lab.calibrate.fit` does, BG/CNBD-k is refitted in that calendar's operational
    time (:func:`~lab.calibrate.operational.refit_in_operational_time`): the lab row's
    parameters and existing customers' posteriors (``regularity``) are the forecast's.
    """
    from lab.calibrate.arrivals import fit_arrivals
    from lab.calibrate.operational import refit_in_operational_time
    from lab.calibrate.paretonbd import fit_paretonbd
    from lab.calibrate.regularity import fit_regularity, gap_log_sums
    from lab.calibrate.seasonality import fit_seasonality

    u = cal.fit.time_unit_days
    gaps = gap_log_sums(orders.orders, cal.calibration_end, u)
    reg = fit_regularity(cal.summary, gaps, k_max=k_max, time_unit_days=u)

    def calendar(offset):
        return fit_seasonality(
            actual[: e + 1], offset[: e + 1], cal.start_date, campaigns=campaigns,
            month_prior=month_prior, rule=rules[0], month_rule=rules[1],
        )  # fmt: skip

    closed_seas = calendar(closed_u)  # the burst is tested given this calendar (clrt)
    age = _age_term(orders, cal, n_days, closed_seas.multipliers(cal.start_date, e + 1))
    if reg.k > 1:
        lab_offset = _repeat_offset(cal, reg, e + 1)
    else:
        lab_offset = age["offset"] if age["used"] else closed_u
    seas = closed_seas if lab_offset is closed_u else calendar(lab_offset)
    age_seas = seas if lab_offset is age["offset"] else calendar(age["offset"])
    arr = fit_arrivals(cal.summary["first_purchase"], cal.start_date, cal.calibration_end)
    return {
        "regularity": refit_in_operational_time(reg, cal, gaps, seas, closed_cohort=arr.closed),
        "paretonbd": fit_paretonbd(cal.summary, time_unit_days=u),
        "seasonality": seas,
        "arrivals": arr,
        "multipliers": closed_seas.multipliers(cal.start_date, n_days),
        "age": age,
        "age_multipliers": age_seas.multipliers(cal.start_date, n_days),
    }


#: when the lab row uses the early-life burst model (k = 1 only): its calendar fitted
#: against that model's expected daily repeats instead of BG/NBD's, its existing customers
#: started from that model's posterior.  ``"never"``: the lab row never uses the burst, so
#: it is the model a planner's forecast uses (``lab forecast``, ``lab calibrate``: plain
#: BG/NBD); the closed-form rows ``bgnbd_age`` and ``bgnbd_age_seasonal`` and both
#: likelihood-ratio tests (without and given the calendar) are still reported.
#: ``"lrt"``: when the test of the calibration period finds the burst
#: (:func:`~lab.calibrate.agebump.age_term_test`); ``"clrt"``: when the test given the
#: calendar fitted against BG/NBD does
#: (:func:`~lab.calibrate.agebump.age_term_test_given_calendar`); ``"always"``.
#: Chosen by the pre-registered designs of benchmarks/RESULTS_agebump.md: design 1 chose
#: ``lrt`` on the burst fit with the end-of-day Jacobian; design 4, with the corrected fit,
#: passed neither ``clrt`` nor ``lrt``, so ``never``.
AGE_TERM_POLICY = "never"


def _lab_uses_age(extra: dict) -> bool:
    """The lab's forecast uses the burst model: k = 1 and the policy adopts the term."""
    return extra["regularity"].k == 1 and extra["age"]["used"]


def _age_term(orders: CleanOrders, cal: Calibration, n_days: int, day_mult=None) -> dict:
    """BG/NBD with the early-life burst fitted to the calibration period, its test against
    plain BG/NBD, its expected daily repeats (the calendar's offset) and whether the
    lab's calendar uses them (:data:`AGE_TERM_POLICY`).

    ``day_mult``: the calibration period's day multipliers of the calendar fitted against
    BG/NBD's expected repeats; with it the burst is also tested **given** that calendar
    (:func:`~lab.calibrate.agebump.age_term_test_given_calendar`), the test policy
    ``"clrt"`` reads."""
    from lab.calibrate.agebump import (
        age_term_test,
        age_term_test_given_calendar,
        fit_bgnbd_age,
        repeat_ages,
    )

    u = cal.fit.time_unit_days
    ages = repeat_ages(orders.orders, cal.summary, time_unit_days=u)
    fit = fit_bgnbd_age(cal.summary, ages, time_unit_days=u, plain=cal.fit)
    test = age_term_test(cal.fit, fit)
    given = None
    if day_mult is not None:
        given = age_term_test_given_calendar(
            cal.summary, ages, day_mult, cal.start_date, time_unit_days=u, plain=cal.fit
        ).test
    gate = {"lrt": test, "clrt": given}.get(AGE_TERM_POLICY)
    used = AGE_TERM_POLICY == "always" or (gate is not None and gate.use)
    offset = _closed_unconditional(dataclasses.replace(cal, fit=fit), n_days)
    return {"fit": fit, "test": test, "given": given, "used": used, "offset": offset}


def _row_problems(cal: Calibration, extra: dict | None) -> dict[str, list[str]]:
    """The problems (:func:`~lab.calibrate.checks.fit_problems`) of the fits each method's
    rows rest on, by method; a method without problems maps to an empty list.

    Without ``extra`` (no ``seasonality``) every row is the BG/NBD fit's, with the
    spend fit's problems (:meth:`Calibration.problems`).  With it, ``lab`` rests on the
    regularity fit (BG/CNBD-k; also on BG/NBD when k = 1, its calendar's offset, and on
    the early-life burst's fit when the lab uses it) and on the spend fit: these decide
    whether the back-test runs (``force``).  The comparisons rest on their own fits:
    ``simulation``, ``closed_form`` and ``closed_form_seasonal`` on BG/NBD,
    ``paretonbd`` on Pareto/NBD, ``bgnbd_age`` and ``bgnbd_age_seasonal`` on the burst
    model's r, alpha, a, b (its beta and tau on the boundary are its null, no burst,
    not a failure) and on BG/NBD, which it nests and starts from.
    """
    from lab.calibrate.agebump import bgnbd_part
    from lab.calibrate.checks import fit_problems

    repeat = int((cal.summary["frequency"] > 0).sum())
    bgnbd = cal.problems()
    if extra is None:
        return {"simulation": bgnbd, "closed_form": bgnbd}
    spend = [] if cal.spend is None else fit_problems(cal.spend)
    reg, age_fit = extra["regularity"], extra["age"]["fit"]
    age = fit_problems(dataclasses.replace(bgnbd_part(age_fit), converged=True))
    age = [p.replace("the bgnbd fit", "the bgnbd_age fit") for p in age]
    lab = fit_problems(reg.fit, repeat_buyers=repeat) + spend
    if reg.k == 1:
        lab += bgnbd
    if _lab_uses_age(extra):
        lab += age
    plain = fit_problems(cal.fit, repeat_buyers=repeat)
    if plain:
        plain += _dropout_ridge(cal.fit, reg.k)
    return {
        "lab": list(dict.fromkeys(lab)),
        "simulation": plain,
        "closed_form": plain,
        "closed_form_seasonal": plain,
        "paretonbd": fit_problems(extra["paretonbd"], repeat_buyers=repeat),
        "bgnbd_age": list(dict.fromkeys(plain + age)),
        "bgnbd_age_seasonal": list(dict.fromkeys(plain + age)),
    }


#: a + b above this: BG/NBD's beta mixing of the dropout has run off towards a point mass
RIDGE_CONCENTRATION = 1e4


def _dropout_ridge(fit, k: int) -> list[str]:
    """Why an unreliable BG/NBD fit with a and b in the thousands is so: the sentence
    :func:`_row_problems` adds (none for another fit)."""
    a, b = fit.params.get("a", 0.0), fit.params.get("b", 0.0)
    if not a + b > RIDGE_CONCENTRATION:
        return []
    why = (
        f"; the lab's fit finds regular timing (k = {k}), which BG/NBD's Poisson timing "
        "reads as no dropout heterogeneity"
        if k > 1
        else ""
    )
    return [
        f"its a and b run off together (a + b = {a + b:.3g}): the likelihood rises towards "
        f"a common dropout probability a/(a+b) = {a / (a + b):.3g}, a boundary{why}"
    ]


def _extra_meta(extra: dict) -> dict:
    reg, seas, age = extra["regularity"], extra["seasonality"], extra["age"]
    return {
        "age_term": {
            "fit": age["fit"].to_dict(),
            "lr": age["test"].lr,
            "lr_critical": age["test"].critical,
            "significant": age["test"].use,
            "lr_given_calendar": None if age["given"] is None else age["given"].lr,
            "significant_given_calendar": None if age["given"] is None else age["given"].use,
            "used": age["used"],
            "policy": AGE_TERM_POLICY,
            "lab_calendar_offset": "bgnbd_age"  # the first pass's k: the offset's
            if age["used"] and reg.first_pass.k == 1
            else ("bgnbd" if reg.first_pass.k == 1 else f"bgcnbd_k{reg.first_pass.k}"),
        },
        "regularity_k": reg.k,
        "regularity_k_set": reg.k_set,
        "regularity_fit": reg.fit.to_dict(),
        "purchase_clock": reg.clock,
        "seasonality_penalty": seas.penalty,
        "seasonality_penalty_rule": seas.rule,
        "seasonality_month_rule": seas.month_rule,
        "month_prior": seas.month_prior,
        "seasonality": seas.table().to_dict(orient="records"),
    }


def _seasonal_scenario(cal, reg_fit, extra: dict, folder: Path, n_days: int, e: int, seed=0):
    """The lab with the calendar and regular timing, from the calibration end (conditional;
    ``seed``: the run's, for the clock stages each customer has done); with a
    ``bgnbd_age`` fit (k = 1, burst found) the customers start from that model's
    posterior (:func:`~lab.calibrate.scenario_out.conditional_customers_age`)."""
    from lab.calibrate.agebump import bgnbd_part
    from lab.calibrate.scenario_out import (
        conditional_customers_age,
        conditional_customers_cnbdk,
        erlang_timing,
    )
    from lab.known_customers import write_known_customers
    from lab.scenario import scenario_from_dict

    k = extra["regularity"].k
    path = folder / "at_calibration_end_lab.csv"
    if reg_fit.model == "bgnbd_age":  # k = 1 and the policy uses the burst (not "never")
        horizon = (n_days - e - 1) / reg_fit.time_unit_days
        write_known_customers(conditional_customers_age(cal, reg_fit, horizon), path)
        as_bgnbd = bgnbd_part(reg_fit)
    else:
        times = extra["regularity"].times  # the fit's operational time, if not flat
        write_known_customers(conditional_customers_cnbdk(cal, reg_fit, k, seed, times), path)
        as_bgnbd = dataclasses.replace(reg_fit, model="bgnbd")
    sc = scenario_dict(
        dataclasses.replace(cal, fit=as_bgnbd),
        str(path),
        name="backtest-lab",
        days=n_days - e,
        start_date=cal.calibration_end,
        book_first_order=False,
    )
    sc["calendar"] = extra["seasonality"].calendar()
    return scenario_from_dict(erlang_timing(sc, k), source=str(path))


def _actual_new_daily(orders: CleanOrders, cal: Calibration, n_days: int):
    """Every order per day of the customers whose first purchase is after the calibration
    end (the holdout's new customers), and how many they are."""
    o = orders.orders
    o = o[~o["customer_id"].isin(cal.summary.index.astype(str))]
    day = (o["date"] - cal.start_date).dt.days.to_numpy()
    keep = day < n_days
    n = int(o.loc[keep, "customer_id"].nunique())
    return np.bincount(day[keep], minlength=n_days).astype(float), n


def _new_run(task: tuple) -> tuple[np.ndarray, int]:
    """Worker: one run's daily orders (first orders included) and its customers."""
    from lab.api import run

    scenario, seed = task
    res = run(scenario, seed=seed)
    return res.daily["orders"].to_numpy(dtype=float), len(res.customers)


def _simulate_new(orders, cal, extra, reg_fits, seeds, n_days, e, campaigns, uncertain,
                  workers, progress):  # fmt: skip
    """The lab's new customers over the holdout: seeds x days of their orders (all of
    them), and the number of new customers per seed; zeros for a closed cohort."""
    from lab.parallel.pool import run_tasks

    sims = np.zeros((len(seeds), n_days))
    counts = np.zeros(len(seeds))
    start = cal.calibration_end + pd.Timedelta(days=1)
    with tempfile.TemporaryDirectory(prefix="lab-backtest-new-") as tmp:
        tasks, rows = [], []
        for i, (g, seed) in enumerate(zip(reg_fits, seeds, strict=True)):
            reg = dataclasses.replace(extra["regularity"], fit=g)
            model = OrderFits(orders, cal, reg, extra["seasonality"], extra["arrivals"],
                              list(campaigns))  # fmt: skip
            folder = Path(tmp) / f"run{i}"
            folder.mkdir()
            sc = model._new(folder, start, n_days - e - 1, [], seed, uncertain)
            if sc is not None:
                tasks.append((sc, seed))
                rows.append(i)
        if tasks:
            runs = run_tasks(
                _new_run, tasks, workers, progress, f"new customers: {len(tasks)} runs"
            )
            for i, (daily, n) in zip(rows, runs, strict=True):
                sims[i, e + 1 :] = daily[1:]  # day k of that run = day e + k
                counts[i] = n
    return sims, counts


def _segments(existing, existing_sim, new, new_sim, e, weeks, customers) -> pd.DataFrame:
    """Holdout forecast vs actual of the existing and new customers and both together."""
    n_actual, n_sim = customers
    parts = {
        "existing": (existing, existing_sim),
        "new": (new, new_sim),
        "total": (existing + new, existing_sim + new_sim),
    }
    rows = []
    for seg, (a, f) in parts.items():
        row = _method_rows(a, e, weeks, {seg: f}).iloc[0].to_dict()
        row.pop("start")
        row["segment"] = row.pop("method")
        row["cum_error"] = row["forecast"] - row["actual"]
        new_only = seg != "existing"
        row["actual_customers"] = float(n_actual) if new_only else np.nan
        row["forecast_customers"] = float(np.mean(n_sim)) if new_only else np.nan
        rows.append(row)
    cols = ["segment", "actual", "forecast", "error_pct", "mc_se", "predictive_sd",
            "weekly_mae", "cum_error", "actual_customers", "forecast_customers"]  # fmt: skip
    return pd.DataFrame(rows)[cols]


def _closed_conditional_paretonbd(cal: Calibration, n_days: int, e: int, fit=None) -> np.ndarray:
    """Pareto/NBD (``fit``, default: fitted to the same calibration summary):
    sum_i E[Y | x, t_x, T] per day."""
    from lab.calibrate.paretonbd import fit_paretonbd, paretonbd_conditional_expected

    s, u = cal.summary, cal.fit.time_unit_days
    if fit is None:
        fit = fit_paretonbd(s, time_unit_days=u)
    x, t_x, T = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    cum = np.zeros(n_days)
    for d in range(e + 1, n_days):
        cum[d] = paretonbd_conditional_expected(fit.params, (d - e) / u, x, t_x, T).sum()
    return np.diff(cum, prepend=0.0)


def _method_rows(actual, e: int, weeks, forecasts: dict) -> pd.DataFrame:
    """Conditional-start rows for more methods (arrays: days, or runs x days)."""
    hold = slice(e + 1, None)
    a_total = actual[hold].sum()
    _, idx = np.unique(weeks[hold], return_inverse=True)
    a_week = np.bincount(idx, weights=actual[hold])
    rows = []
    for method, f in forecasts.items():
        fc, mc, sd = _total_stats(f, hold)
        rows.append(
            {
                "start": "conditional",
                "method": method,
                "actual": float(a_total),
                "forecast": fc,
                "error_pct": 100.0 * (fc - a_total) / a_total if a_total else np.nan,
                "mc_se": mc,
                "predictive_sd": sd,
                "weekly_mae": float(np.abs(_mean_weekly(f, idx, hold) - a_week).mean()),
            }
        )
    return pd.DataFrame(rows)


def _mean_weekly(f, idx: np.ndarray, hold: slice) -> np.ndarray:
    """The mean over every run of a forecast's weekly sums (week index ``idx`` per day)."""
    mean_daily = np.atleast_2d(np.asarray(f, float))[:, hold].mean(axis=0)
    return np.bincount(idx, weights=mean_daily)


def _weekly_table(weeks, actual, closed, sims) -> pd.DataFrame:
    """Weekly sums and their running totals; simulation quantiles over every run."""
    uniq, idx = np.unique(weeks, return_inverse=True)

    def weekly(v):
        return np.bincount(idx, weights=v, minlength=uniq.size)

    sim_w = np.stack([weekly(s) for s in sims])
    sim_c = np.cumsum(sim_w, axis=1)
    out = pd.DataFrame({"week": uniq, "actual": weekly(actual), "closed_form": weekly(closed)})
    for name, q in QUANTILES.items():
        out[name] = np.quantile(sim_w, q, axis=0)
    out["sim_mean"] = sim_w.mean(axis=0)
    out["cum_actual"] = out["actual"].cumsum()
    out["cum_closed_form"] = out["closed_form"].cumsum()
    for name, q in QUANTILES.items():
        out["cum_" + name] = np.quantile(sim_c, q, axis=0)
    out["cum_sim_mean"] = sim_c.mean(axis=0)
    return out


def _errors(actual, e, forecasts: dict, weeks) -> pd.DataFrame:
    hold = slice(e + 1, None)
    a_total = actual[hold].sum()
    _, idx = np.unique(weeks[hold], return_inverse=True)
    a_week = np.bincount(idx, weights=actual[hold])
    rows = []
    for start, (closed, sims) in forecasts.items():
        for method, f in (("simulation", sims), ("closed_form", closed)):
            fc, se, sd = _total_stats(f, hold)
            rows.append(
                {
                    "start": start,
                    "method": method,
                    "actual": float(a_total),
                    "forecast": fc,
                    "error_pct": 100.0 * (fc - a_total) / a_total if a_total else np.nan,
                    "mc_se": se,
                    "predictive_sd": sd,
                    "weekly_mae": float(np.abs(_mean_weekly(f, idx, hold) - a_week).mean()),
                }
            )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------ saving
def save_backtest(bt: Backtest, out_dir: str | Path, lang: str = "en") -> Path:
    """Write the back-test into ``out_dir`` atomically: tables, plot, summary.

    Files: ``tracking.csv``/``.parquet`` (unconditional, weekly), ``holdout.csv``/
    ``.parquet`` (conditional), ``errors.csv``, ``parameters.csv``, ``summary.json``,
    ``summary.md`` and ``backtest.png`` (whole-period weekly and cumulative tracking,
    and the conditional holdout forecast).  The provenance stamp is in
    ``manifest.json`` and in each parquet file's metadata; the CSVs are plain.
    """
    import matplotlib.pyplot as plt

    from lab.io import atomic_folder, write_csv, write_parquet
    from lab.plots._style import styled
    from lab.plots.calibration import plot_backtest

    stamp = {
        "source": bt.meta["source"],
        "calibration_end": bt.meta["calibration_end"],
        "seeds": f"{bt.seeds[0]}..{bt.seeds[-1]}",
        "lab_version": bt.meta["lab_version"],
        "git_commit": bt.meta["git_commit"],
    }
    with atomic_folder(out_dir) as tmp:
        for name in ("tracking", "holdout"):
            df = getattr(bt, name)
            write_csv(df, tmp / f"{name}.csv", stamp)
            write_parquet(df, tmp / f"{name}.parquet", stamp)
        write_csv(bt.errors, tmp / "errors.csv", stamp)
        if bt.segments is not None:
            write_csv(bt.segments, tmp / "segments.csv", stamp)
        if "seasonality" in bt.meta:
            write_csv(pd.DataFrame(bt.meta["seasonality"]), tmp / "seasonality.csv", stamp)
        params = bt.calibration.fit.table().assign(model="bgnbd")
        write_csv(params, tmp / "parameters.csv", stamp)
        summary = {
            **bt.meta,
            "fit": bt.calibration.fit.to_dict(),
            "errors": bt.errors.to_dict(orient="records"),
            "segments": None if bt.segments is None else bt.segments.to_dict(orient="records"),
            "cleaning": bt.calibration.orders.report.to_dict(),
        }
        (tmp / "summary.json").write_text(
            json.dumps(summary, indent=2, ensure_ascii=False, default=_jsonable), "utf-8"
        )
        (tmp / "summary.md").write_text(_summary_md(bt, lang), "utf-8")
        manifest = {**stamp, "created_utc": bt.meta["created_utc"]}  # the CSVs' provenance
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), "utf-8")
        with styled(lang):
            fig, axes = plt.subplots(1, 3, figsize=(17, 4.2), layout="constrained")
        end = bt.calibration_weeks
        plot_backtest(bt.tracking, "weekly", ax=axes[0], lang=lang, calibration_week=end)
        plot_backtest(bt.tracking, "cumulative", ax=axes[1], lang=lang, calibration_week=end)
        plot_backtest(
            bt.holdout, "cumulative", ax=axes[2], lang=lang, title="title_backtest_conditional"
        )
        fig.savefig(tmp / "backtest.png")
        plt.close(fig)
    return Path(out_dir)


def _jsonable(v):
    if isinstance(v, np.generic):
        return v.item()
    return str(v)


def _summary_md(bt: Backtest, lang: str = "en") -> str:
    """``summary.md`` in ``lang`` (:mod:`lab.calibrate.backtest_text`'s words); the tables'
    identifiers (methods, columns) are errors.csv's in English, named in Chinese in zh."""
    from lab.calibrate.scenario_out import _md_table

    m = bt.meta
    lines = ["# " + bt_text("title", lang, source=Path(m["source"]).name), ""]
    if m.get("fit_problems"):
        lines += ["> " + bt_text("warn_forced", lang), *(f"> - {p}" for p in m["fit_problems"])]
        lines += [""]
    warned = set(m.get("fit_problems", []))  # the warning above names those
    flagged = {k: v for k, v in m.get("unreliable_methods", {}).items() if not set(v) <= warned}
    if flagged:
        lines += ["> " + bt_text("note_unreliable_rows", lang)]
        lines += [*(f"> - {k}: {'; '.join(v)}" for k, v in flagged.items()), ""]
    draws = "with_draws" if m.get("parameter_uncertainty", True) else "without_draws"
    lines += [
        bt_text(
            "intro",
            lang,
            start=m["start_date"],
            end=m["calibration_end"],
            customers=f"{m['customers']:,}",
            holdout_end=m["holdout_end"],
            seeds=len(bt.seeds),
            runs=m.get("runs_per_seed", 1),
            draws=bt_text(draws, lang),
        ),
        "",
        "## " + bt_text("sec_errors", lang),
        "",
        _md_table(_named_rows(bt.errors, lang)),
        "",
        "![tracking](backtest.png)",
        "",
        *([f"**{note}**", ""] if (note := holdout_events_note(m, lang)) else []),
        *_segments_md(bt, lang),
        "## " + bt_text("sec_bgnbd", lang),
        "",
        _md_table(bt.calibration.fit.table()),
        "",
    ]
    if "age_term" in m:
        lines += _age_term_md(m["age_term"], lang)
    if "regularity_k" in m:
        lines += _seasonal_md(m, lang)
    return "\n".join(lines)


def _named_rows(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A back-test table as summary.md shows it: in Chinese, starts, methods and segments
    by their labels and the leading columns by their heads; in English as in the CSV."""
    if lang == "en":
        return table
    out = table.copy()
    for col, prefix in (("start", "start:"), ("method", "method:")):
        if col in out:
            out[col] = [bt_text(prefix + str(v), lang) for v in out[col]]
    if "segment" in out:
        out["segment"] = [bt_text(f"seg_{v}", lang) for v in out["segment"]]
    heads = {c: bt_text(f"col_{c}", lang) for c in ("start", "method", "segment", "actual")}
    heads |= {
        "forecast": bt_text("col_forecast", lang),
        "error_pct": bt_text("col_error_pct", lang),
    }
    return out.rename(columns={k: v for k, v in heads.items() if k in out})


def _seasonal_md(meta: dict, lang: str) -> list[str]:
    """The regular timing and calendar sections of ``summary.md``."""
    from lab.calibrate.scenario_out import _md_table

    k_set = meta["regularity_k_set"]
    return [
        "## " + bt_text("sec_regularity", lang),
        "",
        bt_text("regularity", lang, k=meta["regularity_k"], k_set=k_set)
        + (bt_text("operational", lang) if meta.get("purchase_clock") == "operational" else ""),
        "",
        "## " + bt_text("sec_calendar", lang, penalty=f"{meta['seasonality_penalty']:g}"),
        "",
        _rules_line(meta, lang),
        "",
        _md_table(pd.DataFrame(meta["seasonality"])),
        "",
    ]


def _rules_line(meta: dict, lang: str = "en") -> str:
    """The calendar's penalty and month rules, as the back-test's summary.md says them."""
    from lab.calibrate.seasonality import rules_text

    rules = rules_text(meta["seasonality_penalty_rule"], meta["seasonality_month_rule"], lang)
    return bt_text("rules", lang, rules=rules, prior=meta["month_prior"])


def _age_term_md(age: dict, lang: str = "en") -> list[str]:
    """The early-life burst section of ``summary.md``."""
    from lab.calibrate.mle import FitResult
    from lab.calibrate.scenario_out import _md_table

    fit = FitResult.from_dict(age["fit"])

    def verdict(found: bool) -> str:
        return bt_text("found" if found else "not_found", lang)

    given = age.get("lr_given_calendar")
    given_text = (
        ""
        if given is None
        else bt_text(
            "burst_given_calendar",
            lang,
            lr=f"{given:.1f}",
            verdict=verdict(age["significant_given_calendar"]),
        )
    )
    text = bt_text(
        "burst", lang, lr=f"{age['lr']:.1f}", critical=f"{age['lr_critical']:.2f}",
        verdict=verdict(age["significant"]), given=given_text,
        offset=age["lab_calendar_offset"], policy=age["policy"],
    )  # fmt: skip
    return ["## " + bt_text("sec_burst", lang), "", text, "", _md_table(fit.table()), ""]


def _segments_md(bt: Backtest, lang: str = "en") -> list[str]:
    """The existing / new customer section of ``summary.md`` (empty without it)."""
    from lab.calibrate.scenario_out import _md_table

    if bt.segments is None:
        return []
    n = bt.meta.get("holdout_new_customers", 0)
    closed = bt.meta.get("arrivals", {}).get("closed_cohort")
    note = bt_text(
        "segments_note", lang, n=f"{n:,}", closed=bt_text("closed_cohort", lang) if closed else ""
    )
    return [
        "## " + bt_text("sec_segments", lang),
        "",
        note,
        "",
        _md_table(_named_rows(bt.segments, lang)),
        "",
    ]


def holdout_events_note(meta: dict, lang: str = "en") -> str:
    """The big sales in the holdout that the calibration period does not contain (its
    calendar has no lift for them: the lab and the calendar methods forecast them at
    x1, and their errors include that), as ``summary.md`` and the console say it in
    ``lang``; "" when there are none or no calendar was fitted."""
    from lab.calibrate.order_model import events_at_x1

    if "seasonality" not in meta:
        return ""
    effects = [str(r["effect"]) for r in meta["seasonality"]]
    fitted = [e.removeprefix("event_") for e in effects if e.startswith("event_")]
    first = pd.Timestamp(meta["calibration_end"]) + pd.Timedelta(days=1)
    events = events_at_x1(fitted, first, meta["holdout_end"])
    if not events:
        return ""
    spans = bt_text("list_sep", lang).join(
        bt_text("span", lang, name=event_name(e["name"], lang), start=e["start"], end=e["end"])
        for e in events
    )
    return bt_text("events_x1", lang, spans=spans)
