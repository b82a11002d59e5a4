"""BG/NBD with an early-life buying burst: purchase rate lambda * g(age) (顾客早期购买爆发).

A new customer often buys more in the weeks after the first purchase than later
(a welcome offer, the rest of a wish list).  BG/NBD reads those customers' later
quiet as dropout and under-forecasts the survivors; a calendar fitted against it in
a closed cohort's first year turns the burst into invented months (in such a cohort
a month and the customers' age are the same thing).

The model: per customer, while alive, repeat purchases follow a Poisson process with
intensity ``lambda * g(a)`` at age ``a`` (time since the first purchase), with

    g(a) = 1 + beta * exp(-a / tau),      beta >= 0, tau > 0,

and the customer drops out after each repeat purchase with probability p;
lambda ~ Gamma(r, alpha) and p ~ Beta(a, b) as in BG/NBD (:mod:`lab.calibrate.bgnbd`).
``beta`` is the burst's extra rate at age 0 (x(1 + beta)), ``tau`` how fast it fades
(in the fit's time unit).  beta = 0 is BG/NBD.

**It is BG/NBD on an operational clock.**  With ``Lambda(t) = int_0^t g(a) da
= t + beta * tau * (1 - exp(-t / tau))`` the purchase times ``Lambda(t_j)`` form a
Poisson process of rate lambda, and dropout happens at purchase occasions, which a
time change does not move.  So:

* the likelihood of a customer's purchase times is BG/NBD's (FHL 2005 eq. 6) at
  ``Lambda(t_x)``, ``Lambda(T)``, times the Jacobian ``prod_j g(t_j)`` over its
  repeat purchases.  The Jacobian does not involve (r, alpha, a, b) but it does
  involve (beta, tau), so the fit needs the age of **every** repeat purchase, not
  only (x, t_x, T) (:func:`repeat_ages`).  An order log stamps purchases by day: a
  purchase on day ``a`` after the first was exposed over ages (a - 1, a], so its
  factor is g's mean over that day (:func:`day_mean_decay`), the same integral the
  clock takes (g at the day's end under-weights the burst: on plain BG/NBD logs it
  put half the LR statistics at 0 and shrank a true burst's beta);
* E[X(t)] is BG/NBD's at ``Lambda(t)``; E[Y | x, t_x, T] over (T, T + h] and
  P(alive) are BG/NBD's with ``Lambda(t_x)``, ``Lambda(T)`` and the operational
  length ``Lambda(T + h) - Lambda(T)``.

Estimation: maximum likelihood over the six log-parameters with the machinery of
:mod:`lab.calibrate.mle` (standard errors from the observed information).  Whether the
term is worth using on a log is a likelihood-ratio test against plain BG/NBD
(:func:`age_term_test`; the rule and its evidence are in
``benchmarks/RESULTS_agebump.md``; the test's level is nominal to liberal, not
conservative: :data:`LR_CRITICAL`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from lab.calibrate.bgnbd import (
    _loglik,
    _pooled,
    _time_unit,
    bgnbd_conditional_expected,
    bgnbd_expected_count,
    bgnbd_p_alive,
    fit_bgnbd,
)
from lab.calibrate.mle import FitResult, as_params, fit_model

__all__ = [
    "AgeTermTest",
    "CalendarAgeTest",
    "age_clock",
    "age_clock_interval",
    "age_multiplier",
    "age_term_test",
    "age_term_test_given_calendar",
    "bgnbd_age_conditional_expected",
    "bgnbd_age_expected_count",
    "bgnbd_age_loglik",
    "bgnbd_age_p_alive",
    "bgnbd_part",
    "day_mean_decay",
    "fit_bgnbd_age",
    "repeat_ages",
    "simulate_bgnbd_age",
]

NAMES = ("r", "alpha", "a", "b", "beta", "tau")
BGNBD_NAMES = NAMES[:4]
#: the likelihood-ratio test's critical value: chi-square with 2 degrees of freedom at
#: 5%.  It is a convention, not a derived level, and **not conservative**: under the null
#: beta sits on its boundary and tau is not identified (Davies' problem: the sup-LR over
#: tau has no chi-square law; and tau -> infinity is plain BG/NBD again, with alpha / (1 +
#: beta)).  Measured on 200 plain BG/NBD day-stamped lab logs (2,357 customers, CDNOW's
#: shape): LR > 5.99 on 6.5% (13; binomial 95% interval 3.5%-10.9%), the test used on
#: 5.5% (11; the others' burst fit did not converge); median LR 1.12.  So its false-alarm
#: rate is nominal to somewhat liberal (RESULTS_agebump.md, correction of 2026-12-02).
LR_CRITICAL = float(stats.chi2.ppf(0.95, 2))


# ----------------------------------------------------------------- the clock
def age_multiplier(age: ArrayLike, beta: float, tau: float) -> np.ndarray:
    """g(a) = 1 + beta * exp(-a / tau): the purchase rate's multiplier at age ``a``."""
    return 1.0 + beta * np.exp(-np.asarray(age, float) / tau)


def age_clock(t: ArrayLike, beta: float, tau: float) -> np.ndarray:
    """Operational time Lambda(t) = t + beta * tau * (1 - exp(-t / tau)) (t >= 0).

    With ``beta = 0`` it returns ``t`` itself (bit for bit).
    """
    t = np.asarray(t, float)
    return t + beta * tau * -np.expm1(-t / tau)


def age_clock_interval(t0: ArrayLike, h: ArrayLike, beta: float, tau: float) -> np.ndarray:
    """Lambda(t0 + h) - Lambda(t0) without cancellation: ``h + beta tau e^{-t0/tau} (1 - e^{-h/tau})``.

    With ``beta = 0`` it returns ``h`` itself (bit for bit).
    """
    t0, h = np.asarray(t0, float), np.asarray(h, float)
    return h + beta * tau * np.exp(-t0 / tau) * -np.expm1(-h / tau)


def _clock_inverse(s: np.ndarray, beta: float, tau: float) -> np.ndarray:
    """The t with Lambda(t) = s: Newton from s / (1 + beta), below the root (Lambda is
    concave and increasing, so the iterates rise monotonically to it)."""
    s = np.asarray(s, float)
    t = s / (1.0 + beta)
    for _ in range(100):
        step = (s - age_clock(t, beta, tau)) / age_multiplier(t, beta, tau)
        t = t + step
        if np.all(np.abs(step) <= 1e-12 * np.maximum(1.0, s)):
            return t
    raise RuntimeError(
        f"the clock's inverse did not converge in 100 Newton steps (beta {beta:g}, tau "
        f"{tau:g}, largest step left {float(np.max(np.abs(step))):.3g})"
    )


def _unit(summary: pd.DataFrame, time_unit_days: float | None) -> float:
    """The summary's time unit in days; a ``time_unit_days`` given must agree with it."""
    unit = _time_unit(summary, time_unit_days)
    known = summary.attrs.get("time_unit_days")
    if known is not None and not math.isclose(float(known), unit, rel_tol=1e-12):
        raise ValueError(
            f"time_unit_days={time_unit_days!r} disagrees with the summary's "
            f"attrs['time_unit_days']={known!r}: its recency and T are in {known} days"
        )
    return unit


def _whole_days(ages: np.ndarray, unit: float) -> bool:
    """Every age is a whole number of days (day-stamped, as :func:`repeat_ages` gives)."""
    days = ages * unit
    return bool(np.all(np.abs(days - np.rint(days)) <= 1e-9 * np.maximum(1.0, days)))


# ----------------------------------------------------------------- likelihood
def _bgnbd_part(theta, ux, inv, t_x, T) -> np.ndarray:
    r, alpha, a, b, beta, tau = theta
    return _loglik((r, alpha, a, b), ux, inv, age_clock(t_x, beta, tau), age_clock(T, beta, tau))


def day_mean_decay(age: ArrayLike, tau: float, day: float = 0.0) -> np.ndarray:
    """The mean of ``exp(-s / tau)`` over the day that ends at ``age``, ``(age - day, age]``.

    The lab stamps purchases by day, and a purchase on the customer's ``a``-th day after
    the first (``a = 1, 2, ...``) was exposed from age ``a - 1`` to ``a``: the day's
    purchase rate is lambda x the day's mean of g, ``1 + beta * h(a)``, with

        h(a) = (tau / day) * exp(-(a - day) / tau) * (1 - exp(-day / tau)),

    which is what the operational clock integrates over that day (g at the day's end
    would under-weight the burst).  ``day`` is the length of a day in the unit of
    ``age`` and ``tau`` (1 for days, 1/7 for weeks); ``day = 0`` gives ``exp(-age /
    tau)`` (exact purchase times).
    """
    age = np.asarray(age, float)
    if day == 0.0:
        return np.exp(-age / tau)
    return tau / day * np.exp(-(age - day) / tau) * -np.expm1(-day / tau)


def _jacobian_part(
    beta: float, tau: float, ages: np.ndarray, counts: np.ndarray, day: float = 0.0
) -> float:
    """sum_j log(1 + beta h(a_j)): the log-Jacobian of the time change over the repeats."""
    return float((counts * np.log1p(beta * day_mean_decay(ages, tau, day))).sum())


def bgnbd_age_loglik(
    params: Mapping[str, float],
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    ages: ArrayLike,
    *,
    day: float = 0.0,
) -> float:
    """Total log-likelihood of the customers' purchase times under BG/NBD with the burst.

    Parameters
    ----------
    params : mapping or FitResult
        r, alpha, a, b, beta, tau (times in the data's unit).
    x, t_x, T : array-like
        Each customer's repeat purchases, last repeat purchase's age and observation
        length (:func:`~lab.calibrate.summary.rfm_summary`).
    ages : array-like
        The age of every repeat purchase of these customers (:func:`repeat_ages`);
        ``len(ages) == sum(x)``.
    day : float
        The length of a day in the time unit when the ages are day-stamped (1/7 in
        weeks; :func:`repeat_ages`'s ages are): each repeat's Jacobian factor is then g's
        mean over its day, ``1 + beta * h(a)`` (:func:`day_mean_decay`).  0 (default):
        the ages are exact purchase times and the factor is ``g(a)``.

    Returns
    -------
    float
        sum_i BG/NBD loglik(x_i, Lambda(t_x,i), Lambda(T_i)) + sum_j log(1 + beta h(a_j)).
        With beta = 0 it equals :func:`~lab.calibrate.bgnbd.bgnbd_loglik`'s sum.
    """
    theta = as_params(params, NAMES)
    x, t_x, T = np.broadcast_arrays(*(np.asarray(v, float) for v in (x, t_x, T)))
    ages = np.asarray(ages, float)
    if ages.size != round(float(x.sum())):
        raise ValueError(f"need one age per repeat purchase: {ages.size} ages, {x.sum():g} repeats")
    ux, inv = np.unique(x, return_inverse=True)
    ua, counts = np.unique(ages, return_counts=True)
    part = _bgnbd_part(theta, ux, inv.reshape(x.shape), t_x, T).sum()
    return float(part + _jacobian_part(theta[4], theta[5], ua, counts, day))


def repeat_ages(
    orders: pd.DataFrame,
    summary: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    time_unit_days: float | None = None,
) -> np.ndarray:
    """The age of every repeat purchase day in the calibration period, in time units.

    Counted as :func:`~lab.calibrate.summary.rfm_summary` counts ``frequency``: orders
    collapsed per customer and calendar day, the first purchase day left out, days
    after ``summary.attrs["calibration_end"]`` ignored, only the summary's customers.

    Returns
    -------
    numpy.ndarray
        Ages (days since the customer's first purchase / time unit), ``sum(frequency)``
        of them.

    Raises
    ------
    ValueError
        The count differs from the summary's frequencies (the orders are not the ones
        the summary was made from), or ``time_unit_days`` disagrees with
        ``summary.attrs["time_unit_days"]``.
    """
    unit = _unit(summary, time_unit_days)
    end = pd.Timestamp(summary.attrs["calibration_end"])
    day = pd.to_datetime(orders[date_col]).dt.normalize()
    cust = orders[customer_col].astype(str)
    keep = (day <= end) & cust.isin(summary.index.astype(str))
    days = pd.DataFrame({"c": cust[keep], "d": day[keep]}).drop_duplicates()
    first = summary["first_purchase"].copy()
    first.index = first.index.astype(str)
    age_days = (days["d"] - days["c"].map(first)).dt.days.to_numpy(float)
    ages = np.sort(age_days[age_days > 0]) / unit
    expected = int(summary["frequency"].sum())
    if ages.size != expected:
        raise ValueError(
            f"the orders give {ages.size} repeat purchase days, the summary {expected}: "
            "pass the orders the summary was made from"
        )
    return ages


# ----------------------------------------------------------------- fitting
def fit_bgnbd_age(
    summary: pd.DataFrame,
    ages: ArrayLike,
    *,
    time_unit_days: float | None = None,
    plain: FitResult | None = None,
    day_stamped: bool | None = None,
) -> FitResult:
    """Fit BG/NBD with the early-life burst by maximum likelihood.

    Parameters
    ----------
    summary : pandas.DataFrame
        frequency, recency, T (:func:`~lab.calibrate.summary.rfm_summary`).
    ages : array-like
        Every repeat purchase's age (:func:`repeat_ages`).
    time_unit_days : float, optional
        As :func:`~lab.calibrate.bgnbd.fit_bgnbd`; must agree with
        ``summary.attrs["time_unit_days"]`` when both are set.
    plain : FitResult, optional
        The plain BG/NBD fit of the same summary (fitted here if not given); its
        estimates start the search.
    day_stamped : bool, optional
        The ages are whole days (an order log's, :func:`repeat_ages`): each repeat's
        Jacobian factor is g's mean over its day (:func:`day_mean_decay`).  False: exact
        purchase times (:func:`simulate_bgnbd_age`), factor g(age).  Default: True when
        every age is a whole number of days.

    Returns
    -------
    FitResult
        model ``"bgnbd_age"``, params r, alpha, a, b, beta, tau (alpha and tau in time
        units); standard errors by the delta method from the log-parameter observed
        information.  Without a burst in the data beta often runs towards the search's
        lower bound (e^-12) or tau towards its upper one: within a factor e of the
        bound the result says "on the boundary", has no standard errors for it
        (NaN) and is not converged (:func:`~lab.calibrate.mle.fit_model`); use
        :func:`age_term_test` to decide whether the term is there.

    Raises
    ------
    ValueError
        Not one positive finite age per repeat purchase, or ``time_unit_days``
        disagrees with the summary's.
    """
    x, t_x, T, w = _pooled(summary)
    ages = np.asarray(ages, float)
    if ages.size != round(float((w * x).sum())):
        raise ValueError(
            f"need one age per repeat purchase: {ages.size} ages, {(w * x).sum():g} repeats"
        )
    if ages.size and (ages.min() <= 0 or not np.all(np.isfinite(ages))):
        raise ValueError("repeat purchase ages must be finite and > 0")
    ux, inv = np.unique(x, return_inverse=True)
    ua, counts = np.unique(ages, return_counts=True)
    unit = _unit(summary, time_unit_days)
    if day_stamped is None:
        day_stamped = _whole_days(ua, unit)
    day = 1.0 / unit if day_stamped else 0.0
    if plain is None:
        plain = fit_bgnbd(summary, time_unit_days=unit)

    def nll(z: np.ndarray) -> float:
        theta = np.exp(z)
        ll = (w * _bgnbd_part(theta, ux, inv, t_x, T)).sum()
        return -float(ll + _jacobian_part(theta[4], theta[5], ua, counts, day))

    base = np.log(as_params(plain, BGNBD_NAMES))
    t_med = max(float(np.median(T)), 1e-3)
    starts = [
        [*base, math.log(beta0), math.log(t_med * k)]
        for beta0, k in ((1.0, 0.15), (3.0, 0.05), (0.3, 0.4))
    ]
    return fit_model(
        "bgnbd_age", nll, NAMES, starts, n=int(w.sum()), time_unit_days=unit, boundary=True
    )


@dataclass(frozen=True)
class AgeTermTest:
    """Likelihood-ratio test of the early-life burst against plain BG/NBD.

    Attributes
    ----------
    lr : float
        2 (loglik_age - loglik_plain), at least 0.
    critical : float
        The value ``lr`` must exceed (:data:`LR_CRITICAL`, chi2(2) at 5%: a convention
        whose false-alarm rate on plain BG/NBD logs is about 5-7%, not a bound).
    use : bool
        ``lr > critical`` and the burst fit converged.
    """

    lr: float
    critical: float
    use: bool


def age_term_test(plain: FitResult, age: FitResult) -> AgeTermTest:
    """Use the age term when the likelihood-ratio statistic exceeds :data:`LR_CRITICAL`.

    Parameters
    ----------
    plain, age : FitResult
        :func:`~lab.calibrate.bgnbd.fit_bgnbd` and :func:`fit_bgnbd_age` of one summary.
    """
    if plain.model != "bgnbd" or age.model != "bgnbd_age":
        raise ValueError(f"need a bgnbd and a bgnbd_age fit, got {plain.model!r}, {age.model!r}")
    lr = max(0.0, 2.0 * (age.loglik - plain.loglik))
    return AgeTermTest(lr=lr, critical=LR_CRITICAL, use=bool(lr > LR_CRITICAL and age.converged))


# ----------------------------------------------------------------- expectations
def _split(params) -> tuple[dict, float, float]:
    r, alpha, a, b, beta, tau = as_params(params, NAMES)
    return {"r": r, "alpha": alpha, "a": a, "b": b}, beta, tau


def bgnbd_age_expected_count(params: Mapping[str, float], t: ArrayLike) -> np.ndarray:
    """E[X(t)]: expected repeat purchases in (0, t] after the first purchase at 0."""
    bg, beta, tau = _split(params)
    return bgnbd_expected_count(bg, age_clock(t, beta, tau))


def bgnbd_age_p_alive(
    params: Mapping[str, float], x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """P(alive at T | x, t_x, T): BG/NBD's eq. 11 on the operational clock."""
    bg, beta, tau = _split(params)
    return bgnbd_p_alive(bg, x, age_clock(t_x, beta, tau), age_clock(T, beta, tau))


def bgnbd_age_conditional_expected(
    params: Mapping[str, float], t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected repeat purchases in (T, T + t] (BG/NBD eq. 10 with
    Lambda(t_x), Lambda(T) and the operational length Lambda(T + t) - Lambda(T))."""
    bg, beta, tau = _split(params)
    T = np.asarray(T, float)
    return bgnbd_conditional_expected(
        bg,
        age_clock_interval(T, t, beta, tau),
        x,
        age_clock(t_x, beta, tau),
        age_clock(T, beta, tau),
    )


def bgnbd_part(fit: FitResult) -> FitResult:
    """The fit as a plain BG/NBD result (r, alpha, a, b with their standard errors and
    covariance): what the lab's scenario reads for traits and dropout switches."""
    idx = [list(fit.params).index(k) for k in BGNBD_NAMES]
    cov = tuple(tuple(fit.cov[i][j] for j in idx) for i in idx) if fit.cov else ()
    return dataclasses.replace(
        fit,
        model="bgnbd",
        params={k: fit.params[k] for k in BGNBD_NAMES},
        se={k: fit.se[k] for k in BGNBD_NAMES},
        cov=cov,
    )


# ----------------------------------------------------------------- simulation
def simulate_bgnbd_age(
    params: Mapping[str, float], T: ArrayLike, *, rng: np.random.Generator, holdout: float = 0.0
) -> tuple[pd.DataFrame, np.ndarray]:
    """Draw customers' purchase histories from the model, each observed for its ``T``.

    Purchases are drawn on the operational clock (a Poisson process of rate lambda,
    dropout after the K-th, K ~ Geometric(p)) and mapped back to ages by the inverse
    of :func:`age_clock`.

    Parameters
    ----------
    params : mapping or FitResult
        r, alpha, a, b, beta, tau (in the time unit of ``T``).
    T : array-like
        Observation length of each customer.
    rng : numpy.random.Generator
        The only source of randomness.
    holdout : float
        Length of a holdout after each customer's T.

    Returns
    -------
    summary : pandas.DataFrame
        frequency, recency, T (as rfm_summary's), ``holdout`` (repeat purchases in
        (T, T + holdout]) and ``alive`` (not dropped out at T).
    ages : numpy.ndarray
        The age of every repeat purchase in (0, T], ``sum(frequency)`` of them.
    """
    r, alpha, a, b, beta, tau = as_params(params, NAMES)
    T = np.asarray(T, float)
    n = T.size
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    k = rng.geometric(p)
    s_cal = age_clock(T, beta, tau)
    s_end = age_clock(T + holdout, beta, tau)
    m = rng.poisson(lam * s_end)
    owner = np.repeat(np.arange(n), m)
    times = rng.random(owner.size) * s_end[owner]
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    rank = np.arange(owner.size) - np.repeat(np.cumsum(m) - m, m)  # 0-based within customer
    kept = rank < k[owner]  # the customer leaves at its K-th purchase
    in_cal = kept & (times <= s_cal[owner])
    x = np.bincount(owner[in_cal], minlength=n)
    ages = _clock_inverse(times[in_cal], beta, tau)
    last = np.zeros(n)
    np.maximum.at(last, owner[in_cal], ages)
    held = np.bincount(owner[kept], minlength=n) - x
    summary = pd.DataFrame(
        {
            "frequency": x.astype(np.int64),
            "recency": last,
            "T": T,
            "holdout": held.astype(np.int64),
            "alive": x < k,
        }
    )
    return summary, np.sort(ages)


# ----------------------------------------------------------------- the test given a calendar
class _CalendarClock:
    """Each customer's operational clock under day multipliers m (a calendar) and the burst.

    Intensity ``lambda * g(a) * m(date)``, piecewise constant by day: on the customer's
    ``a``-th day after the first purchase (a = 1, 2, ...) the clock advances by
    ``m(f + a) * gbar(a)`` days, ``gbar(a) = 1 + beta * h(a)`` the day's mean of g,
    ``h(a) = tau (e^{-(a-1)/tau} - e^{-a/tau})`` (tau in days).  So
    ``Lambda_i(t) = C0_i(t) + beta * C1_i(t; tau)`` with ``C0_i(t) = sum_{a<=t} m(f_i+a)``
    precomputed; customers sharing a first purchase day share a row.  With m = 1 the
    clock is :func:`age_clock` at whole days.  The Jacobian is ``prod_j gbar(a_j)
    m(d_j)``; the ``m`` factor carries no parameter and cancels in the LR test.
    """

    def __init__(self, first_day, t_x_days, T_days, ages_days, day_mult):
        self.first = np.asarray(first_day, int)
        self.t_x = np.rint(np.asarray(t_x_days, float)).astype(int)
        self.T = np.rint(np.asarray(T_days, float)).astype(int)
        self.ages = np.asarray(ages_days, float)
        span = int(self.T.max()) + 1
        fu, self.row = np.unique(self.first, return_inverse=True)
        m = np.asarray(day_mult, float)
        need = int(fu.max()) + span
        if m.size < need:
            m = np.r_[m, np.ones(need - m.size)]
        self.M = m[fu[:, None] + np.arange(span)[None, :]]
        self.M[:, 0] = 0.0  # the first purchase day itself is not in (0, t]
        c0 = np.cumsum(self.M, axis=1)
        self.c0_tx, self.c0_T = c0[self.row, self.t_x], c0[self.row, self.T]
        self.a = np.arange(span, dtype=float)

    def h(self, a: np.ndarray, tau: float) -> np.ndarray:
        """:func:`day_mean_decay` in days (day 0, the first purchase day, as day 1)."""
        return day_mean_decay(np.maximum(a, 1.0), tau, 1.0)

    def clocks(self, beta: float, tau: float) -> tuple[np.ndarray, np.ndarray]:
        """(Lambda_i(t_x,i), Lambda_i(T_i)) in days."""
        if beta == 0.0:
            return self.c0_tx, self.c0_T
        c1 = np.cumsum(self.M * self.h(self.a, tau)[None, :], axis=1)
        return (
            self.c0_tx + beta * c1[self.row, self.t_x],
            self.c0_T + beta * c1[self.row, self.T],
        )

    def jacobian(self, beta: float, tau: float) -> float:
        return float(np.log1p(beta * self.h(self.ages, tau)).sum()) if beta else 0.0


def _calendar_fits(clock: _CalendarClock, x: np.ndarray, unit: float, start: np.ndarray):
    """Plain BG/NBD and BG/NBD with the burst, both on the calendar's clock."""
    ux, inv = np.unique(x, return_inverse=True)
    n = x.size

    def nll_plain(z: np.ndarray) -> float:
        tx, T = clock.clocks(0.0, 1.0)
        return -float(_loglik(np.exp(z), ux, inv, tx / unit, T / unit).sum())

    def nll_age(z: np.ndarray) -> float:
        r, alpha, a, b, beta, tau = np.exp(z)
        tx, T = clock.clocks(beta, tau * unit)
        ll = _loglik((r, alpha, a, b), ux, inv, tx / unit, T / unit).sum()
        return -float(ll + clock.jacobian(beta, tau * unit))

    plain = fit_model("bgnbd", nll_plain, BGNBD_NAMES, [np.log(start)], n=n, time_unit_days=unit)
    base = np.log(as_params(plain, BGNBD_NAMES))
    t_med = max(float(np.median(clock.T)) / unit, 1e-3)
    starts = [
        [*base, math.log(beta0), math.log(t_med * k)]
        for beta0, k in ((1.0, 0.15), (3.0, 0.05), (0.3, 0.4))
    ]
    age = fit_model("bgnbd_age", nll_age, NAMES, starts, n=n, time_unit_days=unit, boundary=True)
    return plain, age


@dataclass(frozen=True)
class CalendarAgeTest:
    """The likelihood-ratio test of the burst **given** a calendar (:func:`age_term_test_given_calendar`).

    Attributes
    ----------
    test : AgeTermTest
        LR = 2 (loglik_age - loglik_plain), both on the calendar's clock.
    plain, age : FitResult
        BG/NBD and BG/NBD with the burst fitted on the calendar's clock (their
        parameters are the rates of a day whose multiplier is 1).
    """

    test: AgeTermTest
    plain: FitResult
    age: FitResult


def age_term_test_given_calendar(
    summary: pd.DataFrame,
    ages: ArrayLike,
    day_multipliers: ArrayLike,
    start_date,
    *,
    time_unit_days: float | None = None,
    plain: FitResult | None = None,
) -> CalendarAgeTest:
    """Test the early-life burst against plain BG/NBD with a calendar inside the clock.

    The purchase intensity is ``lambda * g(age) * m(date)``: each customer runs on its
    own operational clock ``Lambda_i(t) = sum over its days of gbar(age) m(date)``
    (:class:`_CalendarClock`), so a high season in the customers' first weeks is already
    in the clock of both models and no longer passes for a burst.  ``m`` is taken as
    given (a calendar fitted against the plain model's expected daily repeats, i.e. the
    null's estimate); the burst must then explain what the calendar does not.

    Parameters
    ----------
    summary : pandas.DataFrame
        rfm_summary's frame (frequency, recency, T, first_purchase).
    ages : array-like
        Every repeat purchase's age (:func:`repeat_ages`), in time units.
    day_multipliers : array-like
        The calendar's multiplier of each day from ``start_date`` (covering at least the
        calibration period; days beyond it count as 1).
    start_date : date-like
        Day 0 of ``day_multipliers``; no first purchase before it.
    time_unit_days : float, optional
        As :func:`fit_bgnbd_age`.
    plain : FitResult, optional
        A plain BG/NBD fit of the summary to start the search from.

    Returns
    -------
    CalendarAgeTest
    """
    unit = _unit(summary, time_unit_days)
    x = summary["frequency"].to_numpy(float)
    ages = np.asarray(ages, float)
    if ages.size != round(float(x.sum())):
        raise ValueError(f"need one age per repeat purchase: {ages.size} ages, {x.sum():g} repeats")
    first = (pd.to_datetime(summary["first_purchase"]) - pd.Timestamp(start_date)).dt.days
    if (first < 0).any():
        raise ValueError(f"a first purchase precedes the calendar's start {start_date}")
    clock = _CalendarClock(
        first.to_numpy(int),
        summary["recency"].to_numpy(float) * unit,
        summary["T"].to_numpy(float) * unit,
        np.rint(ages * unit),
        day_multipliers,
    )
    if plain is None:
        plain = fit_bgnbd(summary, time_unit_days=unit)
    p_fit, a_fit = _calendar_fits(clock, x, unit, as_params(plain, BGNBD_NAMES))
    test = age_term_test(p_fit, a_fit)
    return CalendarAgeTest(test=test, plain=p_fit, age=a_fit)
