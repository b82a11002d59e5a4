"""From a cleaned order log to a calibrated scenario (标定情景) and its fit report.

:func:`calibrate` fits the purchase model (BG/NBD, or Pareto/NBD) and the gamma–gamma
spend model to the calibration period; :func:`scenario_dict` turns the fit into a
scenario in which

* the log's customers join on their real first-purchase dates with that order booked
  (``acquisition.known_customers``), so the run replays the log's acquisition;
* ``traits.default`` carries the fitted heterogeneity: purchase rate and dropout (the
  unit conversion weeks -> days happens here and only here, :func:`lab_traits`), and
  the gamma–gamma basket;
* every mechanism the log cannot identify is switched off (other acquisition,
  first-order barriers, habit, reference price, fatigue, annoyance, referral,
  strategies), so the calibrated pool is the pure fitted model; a planner layers
  strategies on top with ``extends:``.

:func:`conditional_customers` gives the same customers picked up at the end of the
calibration period instead: each with its history, alive with its posterior chance
and with its own posterior purchase rate and dropout (the back-test's forecast start).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from lab.calibrate.ingest import CleanOrders
from lab.calibrate.mle import FitResult
from lab.i18n import check_lang

__all__ = [
    "Calibration",
    "ParamsCounter",
    "calibrate",
    "conditional_customers",
    "conditional_customers_age",
    "conditional_customers_cnbdk",
    "draw_clock_stages",
    "erlang_timing",
    "first_purchase_customers",
    "future_arrivals",
    "lab_traits",
    "posterior_log_rate",
    "scenario_dict",
    "write_calibration",
]

#: sections switched off in a calibrated scenario: the log cannot identify them
NEUTRAL = {
    "acquisition": {
        "stock_import": {"enabled": False},
        "paid": {"enabled": False},
        "staff_invite": {"enabled": False},
        "referral": {"enabled": False},
    },
    "first_order": {"enabled": False},
    "habit": {"enabled": False},
    "reference_price": {"enabled": False},
    "fatigue": {"enabled": False},
    "annoyance": {"enabled": False},
    "strategies": [],
}


@dataclass
class Calibration:
    """Fits of one order log up to a calibration end.

    Attributes
    ----------
    orders : CleanOrders
        The cleaned log (all of it, including any holdout after ``calibration_end``).
    calibration_end : pandas.Timestamp
    summary : pandas.DataFrame
        Per-customer frequency, recency, T, monetary_value, first_purchase (weeks).
    fit : FitResult
        The purchase model (``bgnbd`` or ``paretonbd``).
    spend : FitResult or None
        Gamma–gamma fit (None if it could not be fitted: too few repeat buyers).
    spend_message : str
        Why there is no spend fit, if there is none.
    spend_log_rate : numpy.ndarray or None
        When the frequency-spend correlation is strong and ``spend`` has a
        rate-dependent scale (:func:`~lab.calibrate.gammagamma.fit_gamma_gamma_by_rate`):
        each customer's (row of ``summary``) log purchase rate relative to the
        population's geometric mean it was fitted with (:func:`posterior_log_rate`).
    """

    orders: CleanOrders
    calibration_end: pd.Timestamp
    summary: pd.DataFrame
    fit: FitResult
    spend: FitResult | None = None
    spend_message: str = ""
    spend_log_rate: np.ndarray | None = None

    @property
    def start_date(self) -> pd.Timestamp:
        """First date of the log (day 0 of the calibrated scenario)."""
        return self.orders.first_date

    def spend_correlation(self) -> dict:
        """The gamma-gamma independence check on this calibration: spend against each
        customer's posterior log purchase rate
        (:func:`~lab.calibrate.gammagamma.frequency_spend_correlation`)."""
        from lab.calibrate.gammagamma import frequency_spend_correlation

        if not {"r", "alpha"} <= set(self.fit.params):
            return frequency_spend_correlation(self.summary)
        return frequency_spend_correlation(self.summary, posterior_log_rate(self.fit, self.summary))

    def histogram(self, max_count: int = 7) -> pd.DataFrame | None:
        """Calibration-period repeat purchases: customers with 0, 1, ..., max_count+ (actual
        vs model); None if the model has no count distribution."""
        from lab.calibrate.models import purchase_count_histogram

        try:
            return purchase_count_histogram(self.summary, self.fit, max_count)
        except ValueError:
            return None

    def problems(self) -> list[str]:
        """Reasons not to trust the fits (:func:`lab.calibrate.checks.fit_problems`)."""
        from lab.calibrate.checks import fit_problems

        repeat = int((self.summary["frequency"] > 0).sum())
        out = fit_problems(self.fit, repeat_buyers=repeat)
        if self.spend is not None:
            out += fit_problems(self.spend)
        return out


def calibrate(
    orders: CleanOrders, calibration_end=None, *, model: str = "bgnbd", time_unit_days: float = 7.0
) -> Calibration:
    """Fit the purchase and spend models to the orders up to ``calibration_end``.

    Parameters
    ----------
    orders : CleanOrders
        From :func:`lab.calibrate.ingest.read_orders`.
    calibration_end : date-like, optional
        Last day of the calibration period (default: the log's last date).
    model : {"bgnbd", "paretonbd"}
    time_unit_days : float
        Time unit of the fit (7 = weeks, as the published CDNOW fits).

    Raises
    ------
    ValueError
        Unknown model, a calibration end outside the log, or a failed fit.
    """
    from lab.calibrate.gammagamma import fit_gamma_gamma
    from lab.calibrate.summary import rfm_summary

    if model not in ("bgnbd", "paretonbd"):
        raise ValueError(f"model must be bgnbd or paretonbd, got {model!r}")
    end = orders.last_date if calibration_end is None else pd.Timestamp(calibration_end)
    if end < orders.first_date or end > orders.last_date:
        raise ValueError(
            f"calibration end {end.date()} is outside the log "
            f"({orders.first_date.date()} to {orders.last_date.date()})"
        )
    summary = rfm_summary(orders.orders, end, time_unit_days=time_unit_days)
    if model == "bgnbd":
        from lab.calibrate.bgnbd import fit_bgnbd

        fit = fit_bgnbd(summary)
    else:
        from lab.calibrate.paretonbd import fit_paretonbd

        fit = fit_paretonbd(summary)
    spend, why, log_rate = None, "", None
    free = (summary["frequency"] > 0) & ~(summary["monetary_value"] > 0)
    try:
        spend = fit_gamma_gamma(summary[~free])
        if free.any():
            why = f"{int(free.sum())} repeat buyers with no repeat spend left out of the spend fit"
        if not spend.params["q"] > 1:
            spend, why = None, f"gamma-gamma q = {spend.params['q']:.3g} <= 1 (infinite mean)"
    except ValueError as exc:
        why = str(exc)
    if spend is not None:
        spend, log_rate = _spend_by_rate(fit, summary, ~free.to_numpy(), spend)
    return Calibration(orders, end, summary, fit, spend, why, log_rate)


def _spend_by_rate(fit: FitResult, summary: pd.DataFrame, usable: np.ndarray, spend: FitResult):
    """The spend fit with a rate-dependent scale when the frequency-spend correlation is
    strong (and that fit is sound), else ``spend`` unchanged; and the log rates it used."""
    from lab.calibrate.checks import fit_problems
    from lab.calibrate.gammagamma import fit_gamma_gamma_by_rate, frequency_spend_correlation

    log_rate, log_rate_var = posterior_log_rate(fit, summary, with_variance=True)
    if not frequency_spend_correlation(summary[usable], log_rate[usable])["strong"]:
        return spend, None
    try:
        by_rate = fit_gamma_gamma_by_rate(summary[usable], log_rate[usable], log_rate_var[usable])
    except ValueError:
        return spend, None
    if fit_problems(by_rate) or not by_rate.params["q"] > 1:
        return spend, None
    return by_rate, log_rate


def posterior_log_rate(fit: FitResult, summary: pd.DataFrame, *, with_variance: bool = False):
    """Each customer's E[log lambda | x, t_x, T] minus the population's E[log lambda].

    The purchase rate lambda ~ Gamma(r, alpha); a customer alive at T has the posterior
    Gamma(r + x, alpha + T), one who left after the last purchase Gamma(r + x, alpha +
    t_x); BG/NBD weighs the two by P(alive | x, t_x, T) (Pareto/NBD: alive posterior).
    The result does not depend on the time unit.  With ``with_variance`` also the
    posterior variance of log lambda (trigamma(r + x) plus the mixture's spread).
    """
    from scipy.special import digamma, polygamma

    r, alpha = fit.params["r"], fit.params["alpha"]
    x, t_x, T = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    alive = digamma(r + x) - np.log(alpha + T)
    gone, pa = alive, np.ones_like(x)
    if fit.model == "bgnbd":
        from lab.calibrate.bgnbd import bgnbd_p_alive

        pa = bgnbd_p_alive(fit.params, x, t_x, T)
        gone = digamma(r + x) - np.log(alpha + t_x)
    mean = pa * alive + (1 - pa) * gone
    centred = mean - (digamma(r) - np.log(alpha))
    if not with_variance:
        return centred
    var = polygamma(1, r + x) + pa * (1 - pa) * (alive - gone) ** 2
    return centred, var


def lab_traits(fit: FitResult) -> dict:
    """``traits.default`` entries for a purchase-model fit (weeks -> days here, once).

    BG/NBD: purchase rate gamma(shape r, mean r / alpha per unit / unit days), dropout
    after each purchase beta(mean a/(a+b), concentration a+b).  Pareto/NBD: the same
    purchase rate and a gamma daily dropout hazard (shape s, mean s / beta / unit days).
    """
    from lab.calibrate.bgnbd import lab_traits_from_bgnbd

    if fit.model == "bgnbd":
        return lab_traits_from_bgnbd(fit)
    u = fit.time_unit_days
    p = fit.params
    rate = {"dist": "gamma", "mean": p["r"] / p["alpha"] / u, "shape": p["r"]}
    if fit.model == "paretonbd":
        hazard = {"dist": "gamma", "mean": p["s"] / p["beta"] / u, "shape": p["s"]}
        return {"propensity_per_day": rate, "dropout_per_day": hazard}
    raise ValueError(f"no lab traits for a {fit.model!r} fit")


def _dropout_switches(fit: FitResult) -> dict:
    if fit.model == "bgnbd":
        return {"after_purchase": True, "per_day": False}
    return {"after_purchase": False, "per_day": True}


def _basket(spend: FitResult | None) -> dict:
    from lab.calibrate.gammagamma import lab_basket_from_gamma_gamma

    return {} if spend is None else {"basket": lab_basket_from_gamma_gamma(spend)}


def first_purchase_customers(cal: Calibration) -> pd.DataFrame:
    """Known-customer table: every calibration-period customer joining on its first purchase."""
    s = cal.summary
    return pd.DataFrame({"customer_id": s.index.astype(str), "join_date": s["first_purchase"]})


def conditional_customers(cal: Calibration) -> pd.DataFrame:
    """Known-customer table at the calibration end, each customer with its BG/NBD posterior.

    Given x repeat purchases, the last at t_x, observed for T, a BG/NBD customer is
    alive with P(alive | x, t_x, T) (FHL 2005 eq. 11) and, if alive, has purchase rate
    Gamma(r + x, alpha + T) and dropout chance Beta(a, b + x); spend rate nu is
    Gamma(q + p x, gamma + x m_x) (gamma–gamma posterior).  Rates are converted to days.
    """
    from lab.calibrate.bgnbd import bgnbd_p_alive

    if cal.fit.model != "bgnbd":
        raise ValueError("the conditional start needs a BG/NBD fit")
    s, p, u = cal.summary, cal.fit.params, cal.fit.time_unit_days
    x, t_x, T = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    last = s["first_purchase"] + pd.to_timedelta(np.round(t_x * u), unit="D")
    out = pd.DataFrame(
        {
            "customer_id": s.index.astype(str),
            "join_date": cal.calibration_end,
            "prior_orders": (x + 1).astype(np.int32),
            "last_purchase_date": last.to_numpy(),
            "propensity_shape": p["r"] + x,
            "propensity_rate_per_day": (p["alpha"] + T) * u,
            "dropout_a": np.full(x.size, p["a"]),
            "dropout_b": p["b"] + x,
            "p_alive": bgnbd_p_alive(p, x, t_x, T),
        }
    )
    if cal.spend is not None:
        sp = cal.spend.params
        m = s["monetary_value"].to_numpy(float)
        out["basket_shape"] = sp["q"] + sp["p"] * x
        if cal.spend_log_rate is None:
            out["basket_rate"] = sp["gamma"] + x * m
        else:  # the prior scale at this customer's rate (frequency-spend dependence)
            from lab.calibrate.gammagamma import gamma_gamma_scale_by_rate

            out["basket_rate"] = gamma_gamma_scale_by_rate(sp, cal.spend_log_rate) + x * m
    return out


def conditional_customers_age(cal: Calibration, fit: FitResult, horizon: float) -> pd.DataFrame:
    """Known-customer table at the calibration end under BG/NBD with the burst.

    As :func:`conditional_customers` with this model's
    posterior: alive with :func:`~lab.calibrate.agebump.bgnbd_age_p_alive`, purchase rate
    Gamma(r + x, alpha + Lambda(T)) on the operational clock, dropout Beta(a, b + x).

    The lab's customers buy at a constant rate, so each customer's rate is scaled by
    its mean clock speed over the forecast, ``c = (Lambda(T + h) - Lambda(T)) / h``:
    the operational time at the horizon, and so the forecast's total, is exact; within
    it a customer still young at the calibration end has its remaining burst spread
    evenly (c - 1 is at most beta exp(-T / tau): under 1% for CDNOW, whose youngest
    customer is 26 weeks old at the calibration end against tau of 5.5 weeks).

    Parameters
    ----------
    cal : Calibration
        Its summary (and spend fit) give the customers.
    fit : FitResult
        A ``bgnbd_age`` fit (or a parameter draw of one).
    horizon : float
        Forecast length h, in the fit's time unit.
    """
    from lab.calibrate.agebump import (
        age_clock,
        age_clock_interval,
        bgnbd_age_p_alive,
        bgnbd_part,
    )

    if fit.model != "bgnbd_age":
        raise ValueError(f"need a bgnbd_age fit, got {fit.model!r}")
    if not horizon > 0:
        raise ValueError(f"horizon must be > 0, got {horizon!r}")
    out = conditional_customers(dataclasses.replace(cal, fit=bgnbd_part(fit)))
    alpha, beta, tau = (fit.params[k] for k in ("alpha", "beta", "tau"))
    s, u = cal.summary, fit.time_unit_days
    x, t_x, T = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    speed = age_clock_interval(T, horizon, beta, tau) / horizon
    out["propensity_rate_per_day"] = (alpha + age_clock(T, beta, tau)) * u / speed
    out["p_alive"] = bgnbd_age_p_alive(fit, x, t_x, T)
    return out


def conditional_customers_cnbdk(
    cal: Calibration, fit, k: int, seed: int = 0, times: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Known-customer table at the calibration end under BG/CNBD-k (Erlang-k timing).

    As :func:`conditional_customers` with the BG/CNBD-k posterior
    (:mod:`lab.calibrate.regularity`): alive with P(alive | x, t_x, T); m clock stages
    done since the last purchase, **drawn** from their posterior
    (:func:`~lab.calibrate.regularity.stage_posterior`), where the clock goes on
    (``purchase_phase``); purchase rate Gamma(r + xk + m, alpha + kT) given that m;
    dropout Beta(a, b + x).  k = 1 gives the BG/NBD table.

    Why a draw and not the expected m: the lab's clock orders when its phase reaches
    k, so a fractional phase counts as its integer part (E[m] = 1.9 acts as 1 stage)
    and every alive customer's next order came on average half a stage late: the lab
    under-forecast regular logs by up to 4.6% (benchmarks/RESULTS_regbias.md).  An
    integer m from the posterior, with the rate's shape for that m, is the exact
    conditional start.

    Parameters
    ----------
    cal : Calibration
    fit : FitResult
        BG/CNBD-k parameters (``r, alpha, a, b``).
    k : int
    seed : int
        Seed of the stage draws (stream ``backtest_params``, counter
        ``ParamsCounter.CLOCK_STAGES``, keyed by each
        customer's identity key): the back-test and the forecast give each run its own.
    times : pandas.DataFrame, optional
        ``frequency``, ``recency``, ``T`` of the same customers (rows of ``cal.summary``)
        the posterior is taken on: the calendar's operational time when ``fit`` was
        fitted there (:attr:`~lab.calibrate.regularity.RegularityFit.times`); default
        ``cal.summary``'s calendar time.  Dates (last purchase) stay the summary's.
    """
    from lab.calibrate.regularity import p_alive_cnbdk, stage_posterior

    base = conditional_customers(
        dataclasses.replace(cal, fit=dataclasses.replace(fit, model="bgnbd"))
    )
    s = cal.summary if times is None else times.reindex(cal.summary.index)
    p, u = fit.params, fit.time_unit_days
    x, t_x, T = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    m = draw_clock_stages(stage_posterior(p, k, x, t_x, T), base["customer_id"], seed)
    base["propensity_shape"] = p["r"] + x * k + m
    base["propensity_rate_per_day"] = (p["alpha"] + k * T) * u
    base["p_alive"] = p_alive_cnbdk(p, k, x, t_x, T)
    if k > 1:  # the clock goes on from the stages already done, not afresh
        base["purchase_phase"] = m
    return base


def erlang_timing(sc: dict, k: int) -> dict:
    """Switch a calibrated scenario dict to the Erlang-k clock of a BG/CNBD-k fit (k > 1;
    k = 1 leaves it as it is), in place; returns it.

    Besides ``purchase.timing``, the known customers' rates are read as rates, not as
    daily chances (``rate_is_daily_chance: false``).  The daily-chance reading turns a
    fitted rate lambda into -log(1 - lambda) so that the Poisson clock's one-order-a-day
    chance 1 - exp(-rate) equals lambda; the Erlang clock instead counts Poisson(k x
    rate) stages a day, which is already the continuous-time clock (a remainder carries
    over), so that reading would speed it up by about lambda/2 (+1.8% holdout orders on
    the Erlang-3 test log, benchmarks/RESULTS_regbias.md).
    """
    if int(k) > 1:
        sc["purchase"] = {"timing": "erlang", "timing_k": int(k)}
        kc = sc.setdefault("acquisition", {}).setdefault("known_customers", {})
        kc["rate_is_daily_chance"] = False
    return sc


class ParamsCounter(IntEnum):
    """Counters of each seed's ``backtest_params`` stream, one per kind of draw, so the
    draws are independent of one another and a seed always draws the same values (the
    values are those the draws have always used: changing one changes results)."""

    PURCHASE_MODEL = 0  #: the purchase model's parameters (:func:`parameter_draws`)
    ARRIVAL_TREND_LEVEL = 1  #: the arrivals' trend and level factor
    ARRIVAL_DAYS = 2  #: the new customers' Poisson arrivals, one uniform a day
    CLOCK_STAGES = 3  #: the Erlang clock's stages done at the start (:func:`draw_clock_stages`)
    SPEND = 4  #: gamma-gamma's parameters (:func:`spend_draws`)


def draw_clock_stages(posterior: np.ndarray, customer_ids, seed: int) -> np.ndarray:
    """One integer number of clock stages per customer from its posterior (rows of
    ``posterior``: chances of m = 0..k-1), by inversion of a uniform keyed by the
    customer's identity key, so a customer's draw does not depend on the table's order.

    k = 1 (one column): zeros, without hashing the ids or drawing (the only stage).
    Named apart from :func:`lab.classroom.figures.draw_stages` (a figure of lifecycle
    stages)."""
    from lab.known_customers import known_customer_keys
    from lab.rng import RandomStreams

    posterior = np.asarray(posterior, float)
    if posterior.ndim == 2 and posterior.shape[1] == 1:
        return np.zeros(posterior.shape[0])

    u = RandomStreams(int(seed)).uniform(
        "backtest_params", ParamsCounter.CLOCK_STAGES, known_customer_keys(customer_ids)
    )
    cdf = np.cumsum(posterior, axis=1)
    m = (cdf[:, :-1] <= u[:, None]).sum(axis=1)
    return m.astype(float)


def scenario_dict(
    cal: Calibration,
    customers_file: str,
    *,
    name: str = "calibrated",
    days: int | None = None,
    start_date=None,
    book_first_order: bool = True,
) -> dict:
    """A scenario dict of the calibrated pool (see the module docstring).

    Parameters
    ----------
    customers_file : str
        Known-customer CSV (relative to where the scenario will be written).
    days : int, optional
        Run length (default: from the log's first date to the calibration end).
    start_date : date-like, optional
        Day 0 (default: the log's first date).
    book_first_order : bool
        False for a conditional table (customers join with their history).
    """
    start = pd.Timestamp(start_date) if start_date is not None else cal.start_date
    if days is None:
        days = int((cal.calibration_end - start).days) + 1
    traits = {**lab_traits(cal.fit), **_basket(cal.spend)}
    sc = json.loads(json.dumps(NEUTRAL))
    sc["acquisition"]["known_customers"] = {
        "enabled": True,
        "file": customers_file,
        "book_first_order": book_first_order,
    }
    sc["traits"] = {"default": traits, "by_channel": {}}
    sc["dropout"] = _dropout_switches(cal.fit)
    return {
        "name": name,
        "description": f"calibrated to {Path(cal.orders.report.source).name} "
        f"up to {cal.calibration_end.date()}",
        "days": int(days),
        "start_date": start.date().isoformat(),
        **sc,
    }


# ------------------------------------------------------------------------ writing
def _header(
    cal: Calibration,
    problems: Sequence[str] = (),
    period: str = "log",
    *,
    forecast_days: int = 365,
    new_customers: str = "",
) -> str:
    from lab._version import __version__
    from lab.results import git_commit

    rep = cal.orders.report
    lines = []
    if problems:
        lines += [
            "!" * 78,
            "WARNING: written with --force from an UNRELIABLE fit; do not plan with it:",
            *(f"  - {p}" for p in problems),
            "!" * 78,
        ]
    lines += [
        f"Calibrated by `lab calibrate` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"lab version {__version__}, git commit {git_commit()}",
        f"source: {rep.source} ({rep.rows_read} rows read, {rep.rows_kept} purchase occasions)",
        f"calibration period: {cal.start_date.date()} to {cal.calibration_end.date()}, "
        f"{cal.fit.n} customers",
        f"From the {cal.fit.model} fit (time unit {cal.fit.time_unit_days:g} days; "
        f"log-likelihood {cal.fit.loglik:.1f}; converged: {cal.fit.converged}):",
    ]
    for name, est in cal.fit.params.items():
        lines.append(f"  {name} = {est:.4g} ± {cal.fit.se.get(name, float('nan')):.2g} (SE)")
    lines.append(
        "  -> traits.default.propensity_per_day and "
        + (
            "dropout_after_purchase"
            if cal.fit.model == "bgnbd"
            else "dropout_per_day (daily hazard)"
        )
    )
    if cal.spend is not None:
        lines.append("From the gamma-gamma spend fit -> traits.default.basket:")
        for name, est in cal.spend.params.items():
            lines.append(f"  {name} = {est:.4g} ± {cal.spend.se.get(name, float('nan')):.2g} (SE)")
    else:
        lines.append(f"No spend fit ({cal.spend_message}); basket left at the lab default.")
    lines.append(_correlation_line(cal))
    lines += _period_lines(cal, period, forecast_days, new_customers)
    lines += [
        "Switched off (the log cannot identify them): stock import, paid, staff invites,",
        "referral, first-order barriers, habit, reference price, fatigue, annoyance,",
        "strategies. Add yours in a scenario with `extends:` this file.",
        *_defaults_lines(),
        _cleaning_line(rep),
    ]
    return "\n".join(lines)


def _defaults_lines() -> list[str]:
    """The header's paragraph on what a calibrated scenario leaves at the lab's defaults
    (assumptions, not fits) and what that means for a strategy layered on it."""
    import textwrap

    text = (
        "Left at the lab's defaults (assumptions: the log cannot identify them; they act "
        "only when strategies or contact plans are layered on this file): deal proneness "
        "(traits.default.deal_proneness), the response to a price cut (purchase.promo_lift, "
        "purchase.full_price_penalty) and the contact lifts (contacts.content.*."
        "purchase_lift); `lab explain` gives each its source and range. This file sends no "
        "messages: the log's purchase rate already holds whatever the shop sent. Add the "
        "shop's real contact plans before layering a strategy, or an announced promotion "
        "lands on a pool nobody contacts and reads larger than the shop's own promotions "
        "did (compare with the campaign lifts the log shows: `lab forecast` calendar table)."
    )
    return textwrap.wrap(text, width=80, break_on_hyphens=False)


def _cleaning_line(report) -> str:
    """The header's line on cleaning: the rules that touched rows, with their counts, or
    that none did (the line used to end empty then)."""
    touched = [f"{r.rule} {r.rows:,}" for r in report.rules if r.rows]
    if not touched:
        return "Cleaning rules: none touched a row (the log was used as read)."
    return "Cleaning rules (rows touched): " + ", ".join(touched)


def _period_lines(cal: Calibration, period: str, forecast_days: int, new_customers: str):
    """The header's "Period:" paragraph: the days the scenario runs and who is in them
    (the log's customers and, in ``new_customers``, what it holds of the new ones)."""
    import textwrap

    first = (cal.calibration_end + pd.Timedelta(days=1)).date()
    last = (cal.calibration_end + pd.Timedelta(days=int(forecast_days))).date()
    n = f"{cal.fit.n:,}"
    if period == "forecast":
        text = (
            f"Period: the forecast {first} to {last} (--period forecast, --forecast-days "
            f"{forecast_days}); start_date is the calibration end (day 0, no order). "
            f"It runs the log's {n} customers, joining at the end of day 0 with their order "
            f"history and their posterior (alive chance, rate, dropout, spend), "
            f"{new_customers}. --period log replays the log's period instead."
        )
    else:
        text = (
            f"Period: the log's period {cal.start_date.date()} to "
            f"{cal.calibration_end.date()} replayed, then the forecast {first} to {last} "
            f"(--period log). It runs the log's {n} customers, joining on their real "
            f"first-purchase dates with that order booked, {new_customers}."
        )
    return textwrap.wrap(text, width=80, break_on_hyphens=False)


def new_customers_text(model, forecast_days: int) -> str:
    """What a calibrated scenario holds of the new customers after the log, in words."""
    if model is None:
        return "and no new customers (no arrivals fitted: --no-seasonality or Pareto/NBD)"
    if model.arrivals.closed:
        return "and no new customers (a closed cohort: no first purchase late in the log)"
    n = len(future_arrivals(model, forecast_days))
    if n == 0:
        return "and no new customers (none expected in these days)"
    return (
        f"and the {n:,} new customers the arrivals fit expects in the forecast days "
        "(new-0000001 ...), each joining on its expected day with its first order booked"
    )


def _correlation_line(cal: Calibration | pd.DataFrame, lang: str = "en") -> str:
    """The gamma-gamma independence check of a calibration, in words (a bare summary:
    against the repeat frequency, without the fit), in ``lang`` ("en" or "zh")."""
    from lab.calibrate.gammagamma import RATIO, STRONG_CORRELATION, frequency_spend_correlation

    zh = check_lang(lang) == "zh"
    if isinstance(cal, pd.DataFrame):
        c, spend = frequency_spend_correlation(cal), None
    else:
        c, spend = cal.spend_correlation(), cal.spend
    if zh:
        against = "购买率" if c["basis"] == "rate" else "复购频次"
        text = (
            f"{c['n']} 位复购用户的频次与客单价相关性：客单价与{against}的 Spearman rho = "
            f"{c['rho']:.2f} ± {c['rho_se']:.2f} (标准误)；客单价与复购频次的 Pearson r = "
            f"{c['r']:.2f}"
        )
    else:
        against = "the purchase rate" if c["basis"] == "rate" else "the repeat frequency"
        text = (
            f"Frequency-spend correlation among {c['n']} repeat buyers: Spearman rho = "
            f"{c['rho']:.2f} ± {c['rho_se']:.2f} (SE) of spend and {against}; Pearson r = "
            f"{c['r']:.2f} of spend and repeat frequency"
        )
    if not c["strong"]:
        return text + (
            f" (gamma-gamma 假设两者独立；不强：|rho| <= {STRONG_CORRELATION} 或在 0 的 1.96 "
            "个标准误以内)。"
            if zh
            else f" (gamma-gamma assumes independence; not strong: |rho| <= "
            f"{STRONG_CORRELATION} or within 1.96 SE of 0)."
        )
    text += (
        f"：强 (|rho| > {STRONG_CORRELATION})，gamma-gamma 的独立性假设不成立"
        if zh
        else f": STRONG (|rho| > {STRONG_CORRELATION}), gamma-gamma's independence fails"
    )
    if spend is None or RATIO not in spend.params:
        return text + (
            "；高频与低频用户的客单价有偏。"
            if zh
            else "; spend per order of frequent vs rare buyers is mis-stated."
        )
    se = spend.se.get(RATIO, float("nan"))
    ratio = f"{spend.params[RATIO]:.3g} ± {se:.2g}"
    return text + (
        f"；已处理：客单价尺度随购买率变化，购买频率加倍的用户每单花费为 {ratio} (标准误) 倍 "
        f"(traits.default.basket.{RATIO})，订单日志中的用户与新客相同。"
        if zh
        else "; handled: the spend scale follows the purchase rate, a customer buying twice "
        f"as often spends {ratio} (SE) times as much per order "
        f"(traits.default.basket.{RATIO}), the log's and new customers alike."
    )


def write_calibration(
    cal: Calibration,
    out_yaml: str | Path,
    *,
    name: str | None = None,
    forecast_days: int = 365,
    force: bool = False,
    model=None,
    period: str = "log",
) -> dict:
    """Write the calibrated scenario and its data folder as one unit.

    ``period`` says what the scenario runs (:data:`PERIODS`):

    * ``"log"``: from the log's first date, the customers joining on their real
      first-purchase dates with that order booked (the log's period replayed), then
      ``forecast_days`` beyond the calibration end;
    * ``"forecast"`` (what ``lab calibrate`` writes by default): from the calibration
      end (day 0; the customers join at its end with their order history and their
      posterior, as the existing customers of ``lab forecast``:
      :meth:`OrderFits.existing_customers <lab.calibrate.order_model.OrderFits.existing_customers>`,
      or :func:`conditional_customers` without ``model``) and ``forecast_days``
      beyond it.  Needs a BG/NBD fit.  With ``model``, the new customers expected
      after the log follow in the same table (below), each row saying whether its
      first order is booked (the table's ``book_first_order`` column: false for the
      log's customers, true for the new ones), as ``lab forecast``'s two segments
      without parameter uncertainty.

    With ``model`` (an :class:`~lab.calibrate.estimator.OrderModel` fitted to the same
    calibration period) the scenario also carries the fitted calendar
    (``calendar``), regular timing (``purchase.timing: erlang`` when k > 1) and the
    first-time buyer arrivals after the calibration end: new customers ``new-0000001``
    ... join on the expected days of the arrival forecast with their first order booked
    (none for a closed cohort), so ``lab run`` replays the log's period and continues it.

    Files: ``NAME.yaml`` (header comments say which fields came from the fit, with
    estimates ± SE, the source, calibration end and rule counts) and the folder
    ``NAME.data-<sha>/`` holding ``customers.csv`` (the known customers; ``<sha>``
    starts its sha256) and ``fit/`` (fit.md, parameters.csv, histogram.csv,
    cleaning.csv, fit.json, histogram.png), with the lab's ``manifest.json``.

    The folder is written first (atomically, fsynced), then the YAML replaces the
    previous one in one rename: that rename is the commit.  Until it, the previous
    YAML still points at its own, untouched folder; after it, the new YAML points
    at the complete new one.  A kill or a full disk at any point leaves a loadable
    scenario.  Only then are the previous ``NAME.data-*`` folders the lab made
    removed.  An existing ``NAME.yaml`` that ``lab calibrate`` did not write is
    refused before anything is written.

    The scenario runs from the log's first date through the calibration end and
    ``forecast_days`` beyond it.  The header is stamped with the lab version and
    git commit.

    A fit with problems (:meth:`Calibration.problems`: not converged, standard errors
    unavailable, a parameter at the search bound, too few repeat buyers) raises
    :class:`~lab.calibrate.checks.UnreliableFit` before anything is written, unless
    ``force``: then the files are written and the YAML header opens with a warning
    listing the problems.

    Returns
    -------
    dict
        Role -> path written (``scenario``, ``customers``, ``fit_report``, ``folder``).

    Raises
    ------
    UnreliableFit
        The fit has problems and ``force`` is False.
    lab.io.OutputError
        ``NAME.yaml`` exists and was not written by ``lab calibrate``, or writing failed.
    """
    import hashlib

    from lab.calibrate.checks import UnreliableFit
    from lab.io import atomic_file, atomic_folder, write_csv
    from lab.known_customers import known_customers_csv
    from lab.results import git_commit

    out_yaml = Path(out_yaml)
    stem = out_yaml.name.removesuffix(".yaml").removesuffix(".yml")
    name = name or stem
    problems = cal.problems()
    if problems and not force:
        raise UnreliableFit(problems)
    if forecast_days < 0:
        raise ValueError(f"forecast_days must be >= 0, got {forecast_days}")
    if period not in PERIODS:
        raise ValueError(f"period {period!r}: use one of {', '.join(PERIODS)}")
    if period == "forecast" and cal.fit.model != "bgnbd":
        raise ValueError("period 'forecast' (the conditional start) needs a BG/NBD fit")
    _check_yaml_target(out_yaml)
    header = _header(
        cal,
        problems,
        period,
        forecast_days=int(forecast_days),
        new_customers=new_customers_text(model, int(forecast_days)),
    )
    if period == "forecast":
        table = conditional_customers(cal) if model is None else model.existing_customers()
        if model is not None:
            table = _with_new_customers(table, future_arrivals(model, forecast_days))
    else:
        table = first_purchase_customers(cal)
        if model is not None:
            table = pd.concat([table, future_arrivals(model, forecast_days)], ignore_index=True)
    csv_text = known_customers_csv(table)
    sha = hashlib.sha256(csv_text.encode("utf-8")).hexdigest()
    data_dir = out_yaml.with_name(f"{stem}.data-{sha[:12]}")
    cust_rel = f"{data_dir.name}/customers.csv"
    sc = _calibrated_scenario(cal, model, cust_rel, name, int(forecast_days), period)
    sc["acquisition"]["known_customers"]["sha256"] = sha
    if model is not None:
        header += "\n" + _extras_header(model, period)
    text = "".join(f"# {line}\n" for line in header.splitlines())
    text += yaml.safe_dump(sc, sort_keys=False, allow_unicode=True)
    from lab._version import __version__

    stamp = {
        "source": cal.orders.report.source,
        "calibration_end": str(cal.calibration_end.date()),
        "lab_version": __version__,
        "git_commit": git_commit(),
    }
    with atomic_folder(data_dir) as tmp:
        (tmp / "customers.csv").write_text(csv_text, encoding="utf-8")
        (tmp / "fit").mkdir()
        _write_fit_report(cal, tmp / "fit", stamp, header, write_csv)
        if model is not None:
            _write_calendar_report(model, tmp / "fit", stamp, write_csv)
        manifest = {**stamp, "calibrated_scenario": out_yaml.name, "customers_sha256": sha}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    with atomic_file(out_yaml, may_replace=_lab_calibrated) as tmp:  # the commit
        tmp.write_text(text, encoding="utf-8")
    _remove_stale(out_yaml.parent, stem, keep=data_dir)
    return {
        "scenario": out_yaml,
        "customers": data_dir / "customers.csv",
        "fit_report": data_dir / "fit",
        "folder": data_dir,
    }


def _calibrated_scenario(cal, model, cust_rel: str, name: str, forecast_days: int, period: str):
    """The scenario dict :func:`write_calibration` writes (see there for ``period``)."""
    end = cal.calibration_end
    if period == "forecast" and model is not None:
        sc = model.scenario(  # as lab forecast's existing customers
            cust_rel, days=forecast_days, future_campaigns=model.future_campaigns()
        )
    elif period == "forecast":
        sc = scenario_dict(
            cal, cust_rel, days=forecast_days + 1, start_date=end, book_first_order=False
        )
    else:
        span = int((end - cal.start_date).days) + 1
        if model is not None and _own_fit_needed(model):  # BG/CNBD-k's own r, alpha, a, b
            # with its Erlang clock (BG/NBD's are fitted to a Poisson clock), or in the
            # calendar's operational time (the calendar-time fit with the calendar would
            # count the big sales twice)
            cal = dataclasses.replace(
                cal, fit=dataclasses.replace(model.regularity.fit, model="bgnbd")
            )
        sc = scenario_dict(cal, cust_rel, days=span + forecast_days)
        if model is not None:
            sc["calendar"] = model.seasonality.calendar(model.future_campaigns())
            erlang_timing(sc, model.regularity.k)
    sc["fitted"] = fitted_section(cal, model, sc, period)
    from lab.calibrated_text import calibrated_description

    first = (end + pd.Timedelta(days=1)).date()
    sc["name"] = name
    sc["description"] = calibrated_description(  # the report shows it in Chinese under zh
        period, Path(cal.orders.report.source).name, end.date(), first
    )
    return sc


#: what of a purchase-model fit gives each trait value (lab_traits: weeks -> days)
_TRAIT_FORMULAS: dict[tuple[str, str], str] = {
    ("propensity_per_day", "mean"): "r / alpha per {u:g} days",
    ("propensity_per_day", "shape"): "r",
    ("dropout_after_purchase", "mean"): "a / (a + b)",
    ("dropout_after_purchase", "concentration"): "a + b",
    ("dropout_per_day", "mean"): "s / beta per {u:g} days",
    ("dropout_per_day", "shape"): "s",
}
_BASKET_FORMULAS: dict[str, str] = {
    "mean_order_value_cny": "p gamma / (q - 1)",
    "shape_per_order": "p",
    "shape_across_customers": "q",
}
_MODEL_NAMES = {"bgnbd": "BG/NBD", "paretonbd": "Pareto/NBD"}


def delta_se(fit: FitResult, value_of) -> float | None:
    """Standard error of ``value_of(params)`` at the fit by the delta method (central
    differences against the fit's covariance); None without a usable covariance."""
    names = list(fit.params)
    cov = np.asarray(fit.cov, dtype=float)
    if cov.shape != (len(names), len(names)) or not np.isfinite(cov).all():
        return None
    x = np.array([fit.params[n] for n in names], dtype=float)
    grad = np.empty(len(x))
    for i in range(len(x)):
        h = 1e-6 * max(abs(x[i]), 1e-6)
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        hi = value_of(dict(zip(names, up, strict=True)))
        lo = value_of(dict(zip(names, down, strict=True)))
        grad[i] = (hi - lo) / (2 * h)
    var = float(grad @ cov @ grad)
    return float(np.sqrt(var)) if np.isfinite(var) and var >= 0 else None


def _own_fit_needed(model) -> bool:
    """Whether a whole-log scenario takes the regularity fit's own parameters, not the
    calendar-time BG/NBD of the calibration: with regular timing (k > 1) or where the
    fit was refitted in the calendar's operational time (k = 1 too)."""
    return model.regularity.k > 1 or model.regularity.clock == "operational"


def _trait_fit(cal: Calibration, model, period: str) -> tuple[FitResult, str]:
    """The purchase-model fit whose values ``traits.default`` holds, and its name."""
    if model is not None and (period == "forecast" or _own_fit_needed(model)):
        k = model.regularity.k
        fit = dataclasses.replace(model.regularity.fit, model="bgnbd")
        name = f"BG/CNBD-{k}" if k > 1 else "BG/NBD"
        if model.regularity.clock == "operational":
            name += " (in the calendar's operational time)"
        return fit, name
    return cal.fit, _MODEL_NAMES.get(cal.fit.model, cal.fit.model)


def fitted_section(cal: Calibration, model, sc: dict, period: str = "log") -> dict:
    """The scenario's ``fitted`` section: each value the fits gave it, with the order log,
    the fit and its standard error (the delta method from the fit's covariance; none for
    the calendar's multipliers and k), so that ``lab explain``, the report and a
    robustness analysis name the fit, not a literature default, as its source
    (:class:`lab.params.FittedValue`).  Only values the scenario holds as fitted."""
    data = Path(cal.orders.report.source).name
    span = f"{cal.start_date.date()} to {cal.calibration_end.date()}"
    out: dict[str, dict] = {}

    def put(path: str, value, fit: str, se: float | None = None) -> None:
        entry = {"value": value, "data": data, "fit": fit}
        if se is not None:
            entry["se"] = se
        out[path] = entry

    traits = sc.get("traits", {}).get("default", {})
    fit, name = _trait_fit(cal, model, period)
    try:
        expected = lab_traits(fit)
    except ValueError:
        expected = {}
    for (trait, key), formula in _TRAIT_FORMULAS.items():
        value = traits.get(trait, {}).get(key)
        if value is None or expected.get(trait, {}).get(key) != value:
            continue

        def of(params, trait=trait, key=key, fit=fit):
            return lab_traits(dataclasses.replace(fit, params=params))[trait][key]

        what = formula.format(u=fit.time_unit_days)
        put(
            f"traits.default.{trait}.{key}",
            value,
            f"{name} fit of {span}, {what}",
            delta_se(fit, of),
        )
    basket = traits.get("basket", {})
    if cal.spend is not None and basket:
        from lab.calibrate.gammagamma import lab_basket_from_gamma_gamma

        spend = cal.spend
        for key, formula in _BASKET_FORMULAS.items():
            if key not in basket:
                continue

            def of(params, key=key):
                return lab_basket_from_gamma_gamma(dataclasses.replace(spend, params=params))[key]

            fit_text = f"gamma-gamma spend fit of {span}, {formula}"
            put(f"traits.default.basket.{key}", basket[key], fit_text, delta_se(spend, of))
    if model is None:
        return out
    reg = model.regularity
    if sc.get("purchase", {}).get("timing_k") is not None:
        put(
            "purchase.timing_k",
            int(sc["purchase"]["timing_k"]),
            f"BG/CNBD-k by maximum likelihood profiled over k, 95% set {list(reg.k_set)}",
        )
    calendar = sc.get("calendar") or {}
    seas = model.seasonality
    ridge = f"ridge Poisson calendar fit of {span}, penalty {seas.penalty:g}"
    se_log = getattr(seas, "se", {}) or {}
    for key in ("weekday", "month"):
        if calendar.get(key):
            put(f"calendar.{key}", list(calendar[key]), ridge)
    if "base" in calendar:  # no SE of its own: it follows from the other multipliers
        put("calendar.base", calendar["base"], f"{ridge}: makes the calendar average 1 "
            "over the calibration days")  # fmt: skip
    for i, event in enumerate(calendar.get("events", [])):
        b = se_log.get(f"event_{event['name']}")
        se = event["lift"] * b if b is not None and np.isfinite(b) else None
        put(f"calendar.events[{i}].lift", event["lift"], f"{ridge}, event {event['name']}", se)
    in_log = {c["name"] for c in seas.campaigns}
    own = {c["name"] for c in model.campaigns if c.get("lift") is not None}
    for i, camp in enumerate(calendar.get("campaigns", [])):
        if camp["name"] in in_log:
            b = se_log.get(f"campaign_{camp['name']}")
            se = camp["lift"] * b if b is not None and np.isfinite(b) else None
            put(f"calendar.campaigns[{i}].lift", camp["lift"], f"{ridge}, campaign", se)
        elif camp["name"] not in own:  # placed after the log with the fitted mean lift
            put(
                f"calendar.campaigns[{i}].lift",
                camp["lift"],
                f"{ridge}: the mean of the campaign lifts fitted in the log",
            )
    return out


def future_arrivals(model, days: int) -> pd.DataFrame:
    """Known-customer rows of the new customers expected in ``days`` after the calibration
    end (:meth:`OrderFits.expected_new_customers
    <lab.calibrate.order_model.OrderFits.expected_new_customers>`; none for a closed cohort)."""
    start = model.calibration_end + pd.Timedelta(days=1)
    camps = model.future_campaigns()
    return model.expected_new_customers(start, int(days), camps)


def _with_new_customers(existing: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """The log's customers (joining with their history) and the expected new customers
    (joining with their first order booked) in one table, each row with its own
    ``book_first_order``; the existing table unchanged when no one new is expected."""
    if new.empty:
        return existing
    new = new.assign(prior_orders=0, book_first_order=True)
    return pd.concat([existing.assign(book_first_order=False), new], ignore_index=True)


def month_age_caution(model, lang: str = "en") -> str:
    """A caution when the log cannot tell a month from the customers' age ("" if it can).

    In a closed cohort (:attr:`arrivals.closed`) whose calibration period holds no
    calendar month twice, every month is also an age of the cohort: an early-life
    burst of buying, or its fading, shows up as month multipliers (lab-made logs with a
    first-weeks burst: February x1.2-1.4 invented, ``benchmarks/RESULTS_penrule.md``).
    """
    from lab.calibrate.arrivals import months_are_ages

    cal = model.calibration
    if not months_are_ages(model.arrivals.closed, cal.start_date, cal.calibration_end):
        return ""
    if check_lang(lang) == "zh":
        return (
            "注意：只有一个封闭同期群且没有月份出现两次，月份系数无法与用户的加入时长区分 "
            "(例如用户在最初几周购买更多)；请将其视为不确定。因此购买模型在日历时间中拟合，"
            "而不是在日历的运营时间中。"
        )
    return (
        "Caution: one closed cohort and no month seen twice, so the month multipliers "
        "cannot be told apart from the customers' age (e.g. buying more in their first "
        "weeks); read them as uncertain. The purchase model is therefore fitted in "
        "calendar time, not in the calendar's operational time."
    )


def _unshrunk_note(seas, effect: str, lang: str = "en") -> str:
    """``; unshrunk 0.53, 95% 0.41-0.68``: the lift the ridge shrank towards 1, as
    the log alone estimates it (the forecast uses the shrunk lift); ``; unshrunk: not
    estimable from the log (n orders on its days)`` when the log cannot say; in
    ``lang`` ("en" or "zh": ``; 未收缩 0.53，95% 0.41-0.68``)."""
    if effect not in seas.unshrunk:
        return ""
    zh = check_lang(lang) == "zh"
    b, _se, lo, hi = seas.unshrunk[effect]
    if not np.isfinite(b):
        n = getattr(seas, "unshrunk_orders", {}).get(effect, float("nan"))
        if zh:
            return f"; 未收缩：订单日志无法估计 (这些天共 {n:.0f} 笔订单)"
        return f"; unshrunk: not estimable from the log ({n:.0f} orders on its days)"
    lift = f"{np.exp(b):.3f}, 95% {np.exp(lo):.3f}-{np.exp(hi):.3f}"
    return f"; 未收缩 {lift}" if zh else f"; unshrunk {lift}"


#: the fit report's line on a purchase model fitted in operational time (issue 15)
OPERATIONAL_NOTE = (
    "  fitted in the calendar's operational time: each customer's t_x and T count every "
    "day by its calendar multiplier below, as the forecast applies it (the calendar itself "
    "is fitted against the calendar-time fit's expected repeats)"
)


def _extras_header(model, period: str = "log") -> str:
    reg, seas, arr = model.regularity, model.seasonality, model.arrivals
    lines = [
        f"Regular timing (BG/CNBD-k, maximum likelihood profiled over k): k = {reg.k} "
        f"(95% set {reg.k_set})" + (" -> purchase.timing erlang" if reg.k > 1 else ""),
        *(
            [
                "  and traits.default from its own fit (the BG/NBD values above are k = 1's): "
                + ", ".join(f"{n} = {v:.4g}" for n, v in reg.fit.params.items())
            ]
            if reg.k > 1
            else []
        ),
        *([OPERATIONAL_NOTE] if reg.clock == "operational" else []),
        f"Calendar (ridge Poisson, penalty {seas.penalty:g} by cross-validation inside the "
        "calibration period) -> calendar:",
        f"  chosen by {seas.rules_text()}",
        "  weekday " + ", ".join(f"{v:.3f}" for v in seas.weekday),
        "  month " + ", ".join(f"{v:.3f}" for v in seas.month),
        f"  base {seas.base:.4f} (every day: the calendar averages 1 over the calibration days)",
        *([f"  {c}"] if (c := month_age_caution(model)) else []),
    ]
    lines += [
        f"  event {k}: {v:.3f}{_unshrunk_note(seas, 'event_' + k)}" for k, v in seas.events.items()
    ]
    lines += [
        f"  campaign {c['name']} {pd.Timestamp(c['start']).date()} to "
        f"{pd.Timestamp(c['end']).date()}: {c['lift']:.3f} (fitted)"
        f"{_unshrunk_note(seas, 'campaign_' + c['name'])}"
        for c in seas.campaigns
    ]
    how = {
        "given": "forecast with its own lift)",
        "fitted_mean": "forecast with the mean fitted campaign lift: the file gives none)",
        "none": "forecast at x1, NO EFFECT: the file gives no lift and no campaign was "
        "fitted in the log; give it a lift in the file's lift column)",
    }
    lines += [
        f"  campaign {c['name']} {pd.Timestamp(c['start']).date()} to "
        f"{pd.Timestamp(c['end']).date()}: {c['lift']:.3f} (after the log, placed in the "
        + how[c["lift_from"]]
        for c in model.future_campaigns()
    ]
    if arr.closed:
        lines.append(
            "Arrivals: a closed cohort (no first purchase late in the log): none forecast."
        )
    else:
        fitted = (
            f"Arrivals: {arr.level:.2f} first-time buyers/day at the calibration end, trend "
            f"{arr.trend_per_year:+.2f}/year (log; shrunk: the fits under priors of SD "
            + ", ".join(f"{k:g}" for k in arr.trend_prior_weights)
            + " averaged with cross-validation weights "
            + ", ".join(f"{w:.2f}" for w in arr.trend_prior_weights.values())
            + "), x calendar"
        )
        lines.append(
            fitted + " -> new-* known customers joining on their expected days with the "
            "first order booked"
            + (
                "."
                if period == "log"
                else " (book_first_order true in their rows; the log's customers join "
                "with their history): lab forecast's two segments in one run, without "
                "parameter uncertainty."
            )
        )
    return "\n".join(lines)


#: what a calibrated scenario runs (:func:`write_calibration`)
PERIODS: tuple[str, ...] = ("log", "forecast")

#: first header line of every scenario ``lab calibrate`` writes
_CALIBRATED_MARK = "Calibrated by `lab calibrate`"


def _lab_calibrated(path: Path) -> bool:
    """True when ``path`` is a scenario file ``lab calibrate`` wrote (its header says so)."""
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return any(line.startswith(f"# {_CALIBRATED_MARK}") for line in head.splitlines())


def _check_yaml_target(out_yaml: Path) -> None:
    from lab.io import OutputError, check_out_file

    check_out_file(out_yaml)
    if out_yaml.exists() and not _lab_calibrated(out_yaml):
        raise OutputError(
            f"--out {out_yaml}: the file exists and was not written by lab calibrate; "
            "nothing written. Use another name or move the file."
        )


def _remove_stale(folder: Path, stem: str, keep: Path) -> None:
    """Remove earlier ``<stem>.data-*`` folders the lab made (the YAML no longer uses them)."""
    import glob
    import shutil

    from lab.io import check_out_folder, is_lab_folder

    for old in folder.glob(glob.escape(stem) + ".data-*"):
        if old == keep or not old.is_dir() or not is_lab_folder(old):
            continue
        try:
            check_out_folder(old)  # only the lab's files in it
        except ValueError:
            continue
        shutil.rmtree(old, ignore_errors=True)


def _write_fit_report(cal: Calibration, folder: Path, stamp: dict, header: str, write_csv) -> None:
    params = cal.fit.table().assign(model=cal.fit.model)
    if cal.spend is not None:
        params = pd.concat([params, cal.spend.table().assign(model="gammagamma")])
    hist = cal.histogram()
    write_csv(params, folder / "parameters.csv", stamp)
    if hist is not None:
        write_csv(hist, folder / "histogram.csv", stamp)
    write_csv(cal.orders.report.table(), folder / "cleaning.csv", stamp)
    info = {
        **stamp,
        "fit": cal.fit.to_dict(),
        "spend": None if cal.spend is None else cal.spend.to_dict(),
        "cleaning": cal.orders.report.to_dict(),
    }
    (folder / "fit.json").write_text(json.dumps(info, indent=2, ensure_ascii=False), "utf-8")
    md = [
        f"# Fit report: {Path(cal.orders.report.source).name}",
        "",
        "```",
        header,
        "```",
        "",
        "## Parameters",
        "",
        _md_table(params),
        "",
        "## Calibration-period repeat purchases: actual vs model",
        "",
        "(not available for this model)"
        if hist is None
        else _md_table(hist) + "\n\n![histogram](histogram.png)",
        "",
        "## Cleaning rules",
        "",
        _md_table(cal.orders.report.table()),
        "",
    ]
    (folder / "fit.md").write_text("\n".join(md), encoding="utf-8")
    if hist is None:
        return
    from lab.plots.calibration import plot_purchase_histogram

    ax = plot_purchase_histogram(hist)
    ax.figure.savefig(folder / "histogram.png")
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


def _write_calendar_report(model, folder: Path, stamp: dict, write_csv) -> None:
    """The fitted calendar (table and bar plot) and the regularity profile."""
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    from lab.plots import house_rc

    t = model.seasonality.table()
    write_csv(t, folder / "seasonality.csv", stamp)
    write_csv(model.regularity.profile, folder / "regularity_profile.csv", stamp)
    with mpl.rc_context(house_rc("en")):  # the CJK fallback: campaign names are often Chinese
        fig, ax = plt.subplots(figsize=(9, 3.6), layout="constrained")
        ax.bar(t["effect"], t["multiplier"] - 1.0, bottom=1.0, color="C0")
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set_title(
            f"fitted calendar multipliers (ridge penalty {model.seasonality.penalty:g}, by CV)",
            loc="left",
        )
        ax.tick_params(axis="x", rotation=90)
        fig.savefig(folder / "calendar.png")
    plt.close(fig)
    with (folder / "fit.md").open("a", encoding="utf-8") as fh:
        fh.write("\n## Calendar\n\n" + _md_table(t) + "\n\n![calendar](calendar.png)\n")


def _md_table(df: pd.DataFrame) -> str:
    """A DataFrame as a GitHub markdown table (numbers to 4 significant digits, missing
    numbers as empty cells)."""

    def cell(v) -> str:
        if isinstance(v, float | np.floating):
            return f"{v:.4g}" if np.isfinite(v) else ""  # an empty cell, not "nan"
        return str(v).replace("|", "\\|")

    head = "| " + " | ".join(map(str, df.columns)) + " |"
    rule = "|" + "---|" * len(df.columns)
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, rule, *rows])
