"""New customers: first-time buyer arrivals from the log's first-purchase dates (新客到达).

The daily count of first purchases ``n_d`` is modelled as Poisson with a log-linear
trend and the calendar (:mod:`lab.calibrate.seasonality`, same cross-validated
shrinkage):

    log E[n_d] = a + b x (d / 365) + weekday + month + events

fitted on the calibration period, the trend and the calendar in turn (backfitting:
the trend given the calendar, the calendar given the trend), the months only where the
log holds them in two years (a month seen once is a stretch of the trend too; see
:func:`fit_arrivals`).  The forecast continues the trend, its growth
capped at x2 (or /2) over any horizon so a short log cannot extrapolate an
explosion.

**The trend is shrunk towards zero** (no growth): a normal prior b ~ N(0, tau^2) on
the log-growth per year, i.e. a ridge penalty b^2 / (2 tau^2) (the level is not
penalised).  The candidates (:data:`TREND_PRIOR_SD`) run from 1 (growth up to about
x7 a year within two prior SDs) to 0 (no trend).  **They are weighed by rolling-origin
cross-validation inside the calibration period**: the trend is fitted on the days
before an origin at 50, 60, 70 and 80% of the period and scored by the Poisson
deviance of the next fifth of the period, each validated day counted once (the mean
of its deviances over the windows that hold it).  The forecast is an extrapolation,
so the folds extrapolate too (random folds would reward a trend that fits the past
but not the future).  Nothing after the calibration end is used.

The fitted trend and level **average the candidates' fits**, weighted by their
cross-validated predictive density, ``w_k ~ exp(-D_k / 2)`` with ``D_k`` the held-out
deviance (pseudo-Bayesian model averaging: Geisser & Eddy 1979; Yao, Vehtari,
Simpson & Gelman 2018, *Bayesian Analysis* 13, "Using stacking to average Bayesian
predictive distributions"), rather than keeping only the candidate of lowest ``D_k``.
Why: on a flat log the candidates' deviances differ by noise of a few units, and
keeping the lowest kept a noise trend in about half of the logs (the open-cohort
test design of ``tests/test_forecast.py``: 9 of 20 seeds), which the forecast then
extrapolated; averaging keeps a trend in proportion to how much better it predicted,
and a trend that clearly predicts better (a real one) still takes nearly all the
weight.  The trend's standard error is the averaged posterior's (each candidate's SE
and the spread between them).  A short or noisy log forecasts about the period's
mean level; a log whose trend held up out of sample keeps most of it.

A **closed cohort** (a log of one acquisition wave, like CDNOW's, whose customers
all made their first purchase in the first quarter of 1997) is recognised when no
first purchase falls in the last quarter of the calibration period (at least 28
days): then no arrivals are forecast.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lab.calibrate.mle import pearson_dispersion

__all__ = [
    "ArrivalFit",
    "choose_trend_prior",
    "expected_arrival_days",
    "fit_arrivals",
    "months_are_ages",
    "trend_prior_weights",
]

#: a cohort is closed when its last quarter (at least this many days) has no first purchase
CLOSED_MIN_DAYS = 28
#: the trend's growth over a forecast is capped at this factor (up or down)
TREND_CAP = 2.0
#: candidate prior standard deviations of the trend (log-growth per year), cross-validated:
#: 1 = growth up to about x7 a year within two prior SDs, 0 = no trend
TREND_PRIOR_SD: tuple[float, ...] = (1.0, 0.5, 0.25, 0.1, 0.0)
#: rolling-origin cross-validation: origins (fractions of the calibration period) and the
#: length of each validation window (a fraction too)
CV_ORIGINS: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8)
CV_WINDOW = 0.2
#: rounds of fitting the trend given the calendar and the calendar given the trend
#: (backfitting); 1 = the trend on the raw counts, as before 2026-12-03 (3 rounds
#: converge on the lab-made logs of benchmarks/RESULTS_arrivals_calendar.md: 6 move the
#: forecast by < 0.5 points)
CALENDAR_ROUNDS = 3
#: which months the arrivals' calendar fits (:data:`lab.calibrate.seasonality.MONTH_RULES`):
#: "twice", only months seen in two years; a month seen once is collinear with the trend
ARRIVAL_MONTH_RULE = "twice"


@dataclass
class ArrivalFit:
    """First-time buyer arrivals.

    Attributes
    ----------
    closed : bool
        The log is one closed acquisition cohort: no arrivals forecast.
    level : float
        Expected arrivals per day at the calibration end (before the calendar).
    trend_per_year : float
        Log-linear trend b (per 365 days), shrunk towards 0: the average of the
        candidate priors' fits weighted by cross-validation; its (posterior) standard
        error in ``trend_se``.
    trend_se : float
    seasonality : SeasonalityFit or None
    start_date, calibration_end : pandas.Timestamp
    total : int
        First purchases in the calibration period.
    trend_prior_sd : float
        The prior standard deviation with the most cross-validation weight (inf: none).
    trend_unshrunk : float
        The maximum-likelihood trend, before shrinkage.
    trend_prior_weights : dict[float, float]
        Cross-validation weight of each candidate prior SD (empty: no shrinkage).
    level_log_se : float
        Standard error of ``log(level)`` (the fitted line's end point).
    level_trend_corr : float
        Correlation of ``log(level)`` and the trend estimates (for joint draws).
    """

    closed: bool
    level: float
    trend_per_year: float
    trend_se: float
    seasonality: object
    start_date: pd.Timestamp
    calibration_end: pd.Timestamp
    total: int
    trend_prior_sd: float = np.inf
    trend_unshrunk: float = 0.0
    trend_prior_weights: dict = field(default_factory=dict)
    level_log_se: float = 0.0
    level_trend_corr: float = 0.0

    def expected(
        self, start, days: int, trend: float | None = None, level_factor: float = 1.0
    ) -> np.ndarray:
        """Expected arrivals on each of ``days`` days from ``start`` (after the calibration
        end); ``trend`` and ``level_factor`` (times ``level``) for a parameter draw."""
        if self.closed or days <= 0:
            return np.zeros(max(int(days), 0))
        b = self.trend_per_year if trend is None else trend
        t = (pd.Timestamp(start) - self.calibration_end).days + np.arange(int(days))
        growth = np.clip(np.exp(b * t / 365.0), 1.0 / TREND_CAP, TREND_CAP)
        mult = self.seasonality.multipliers(start, days) if self.seasonality is not None else 1.0
        return self.level * level_factor * growth * mult

    def draw(self, z: np.ndarray) -> tuple[float, float]:
        """A draw of (trend, level factor) from the fit's sampling distribution, given two
        standard normal scores: the trend from ``z[0]`` (as a draw of the trend alone) and
        the end level jointly with it (their correlation), from ``z[1]``."""
        trend = self.trend_per_year + self.trend_se * float(z[0])
        rho = float(np.clip(self.level_trend_corr, -1.0, 1.0))
        log_level = self.level_log_se * (rho * float(z[0]) + np.sqrt(1.0 - rho**2) * float(z[1]))
        return trend, float(np.exp(log_level))

    def summary(self) -> dict:
        """JSON-friendly facts for the report."""
        return {
            "closed_cohort": bool(self.closed),
            "first_purchases_in_calibration": int(self.total),
            "arrivals_per_day_at_end": float(self.level),
            "trend_per_year": float(self.trend_per_year),
            "trend_se": float(self.trend_se),
            "trend_prior_sd": float(self.trend_prior_sd),
            "trend_unshrunk": float(self.trend_unshrunk),
            "level_log_se": float(self.level_log_se),
            "trend_prior_weights": {
                f"{k:g}": float(v) for k, v in self.trend_prior_weights.items()
            },
        }


def fit_arrivals(
    first_purchase: pd.Series,
    start_date,
    calibration_end,
    *,
    shrink_trend: bool = True,
    rounds: int = CALENDAR_ROUNDS,
    month_rule: str = ARRIVAL_MONTH_RULE,
) -> ArrivalFit:
    """Fit arrivals to customers' first-purchase dates (calibration period only).

    The trend and the calendar are fitted in turn (``rounds`` times): the trend given the
    calendar's day multipliers (an offset), the calendar given the trend; the calendar
    fits weekdays, events and campaigns, and only the months seen in two years
    (``month_rule`` "twice": within a year a month is also a stretch of the trend, and
    the two cannot be told apart; the other months take the flat prior).  Fitted on the
    raw counts alone (one round, every month), the trend took a big sale near the log's
    end for growth and one near its start for decline: on lab-made logs (growth 0.4 a
    year, 9 months to 2025-11-30) the 2Q arrivals ran +14 to +21% with 双11 only and -11
    to -19% with 618 only; now -5 to +4% and -7 to +3%, as the weekday-only logs' -6 to
    +2% (``benchmarks/RESULTS_arrivals_calendar.md``).

    Parameters
    ----------
    first_purchase : pandas.Series
        First-purchase date of each customer (Timestamps).
    start_date, calibration_end : date-like
        The calibration period.
    shrink_trend : bool
        Shrink the trend towards 0: average the candidate priors' fits weighted by
        cross-validation (default); False keeps the maximum-likelihood trend (for
        comparison).
    rounds : int
        Rounds of the trend given the calendar and the calendar given the trend
        (:data:`CALENDAR_ROUNDS`; 1: the trend on the raw counts).
    month_rule : {"twice", "all"}
        Months the arrivals' calendar fits (:data:`ARRIVAL_MONTH_RULE`).
    """
    from lab.calibrate.seasonality import fit_seasonality

    start, end = pd.Timestamp(start_date), pd.Timestamp(calibration_end)
    n_days = int((end - start).days) + 1
    day = (pd.to_datetime(first_purchase) - start).dt.days.to_numpy()
    day = day[(day >= 0) & (day < n_days)]
    counts = np.bincount(day, minlength=n_days).astype(float)
    quiet = max(CLOSED_MIN_DAYS, n_days // 4)
    closed = n_days <= quiet or counts[-quiet:].sum() == 0
    if closed:
        return ArrivalFit(True, 0.0, 0.0, 0.0, None, start, end, int(counts.sum()))
    t = np.arange(n_days) / 365.0
    offset = np.zeros(n_days)  # log day multipliers of the calendar: none at first
    for _ in range(max(int(rounds), 1)):
        unshrunk = _trend(counts, t, offset=offset)[1]
        if shrink_trend:
            weights = trend_prior_weights(counts, offset=offset)
            tau = max(weights, key=lambda k: (weights[k], -k))  # most weight (ties: tighter)
        else:
            weights, tau = {}, np.inf
        mean, cov = _end_moments(counts, t, weights or {np.inf: 1.0}, offset)
        c, b = mean  # log level at the calibration end, slope
        a = c - b * t[-1]
        seas = fit_seasonality(counts, np.exp(a + b * t), start, month_rule=month_rule)
        offset = np.log(seas.multipliers(start, n_days))
    level = float(np.exp(c) * seas.level)
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    corr = float(cov[0, 1] / (sd[0] * sd[1])) if sd.all() else 0.0
    return ArrivalFit(
        False, level, float(b), float(sd[1]), seas, start, end, int(counts.sum()), tau,
        unshrunk, weights, float(sd[0]), corr,
    )  # fmt: skip


def _end_moments(
    y: np.ndarray, t: np.ndarray, weights: dict, offset: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of (log level at the calibration end, slope) of the candidate
    priors' fits averaged with ``weights`` (the moments of the mixture: each fit's
    covariance and the spread between the fits)."""
    to_end = np.array([[1.0, t[-1]], [0.0, 1.0]])  # (a, b) -> (a + b t_end, b)
    means, covs = [], []
    for tau in weights:
        beta, cov = _trend_fit(y, t, tau, offset)
        means.append(to_end @ beta)
        covs.append(to_end @ cov @ to_end.T)
    w = np.array(list(weights.values()))
    m = np.array(means)
    mean = w @ m
    dev = m - mean
    cov = np.einsum("k,kij->ij", w, np.array(covs)) + (dev * w[:, None]).T @ dev
    return mean, cov


def trend_prior_weights(
    counts: np.ndarray, prior_sds=TREND_PRIOR_SD, offset: np.ndarray | None = None
) -> dict[float, float]:
    """Cross-validation weight of each candidate prior SD of the trend.

    For each origin in :data:`CV_ORIGINS` the trend is fitted on the days before it and
    scored by the Poisson deviance of each day of the :data:`CV_WINDOW` of the period
    after it; a day in several windows counts once (the mean of its deviances).  The
    weights are ``exp(-D_k / 2)`` normalised, ``D_k`` the candidate's total held-out
    deviance (pseudo-Bayesian model averaging by cross-validated predictive density).

    Parameters
    ----------
    counts : numpy.ndarray
        Daily first purchases of the calibration period.
    prior_sds : sequence of float
        Candidates (log-growth per year; ``0``: no trend).
    offset : numpy.ndarray, optional
        Log day multipliers of the calendar (the trend is fitted and scored given them).

    Returns
    -------
    dict
        Prior SD -> weight (summing to 1), in the order of ``prior_sds``.
    """
    y = np.asarray(counts, float)
    n = y.size
    t = np.arange(n) / 365.0
    off = np.zeros(n) if offset is None else np.asarray(offset, float)
    h = max(round(CV_WINDOW * n), 1)
    scores = []
    for tau in prior_sds:
        dev, times = np.zeros(n), np.zeros(n)
        for frac in CV_ORIGINS:
            o = round(frac * n)
            if o < 2 or o >= n:
                continue
            a, b, _ = _trend(y[:o], t[:o], tau, offset=off[:o])
            v = slice(o, min(o + h, n))
            dev[v] += _day_deviance(y[v], np.exp(a + b * t[v] + off[v]))
            times[v] += 1
        held = times > 0
        scores.append(float((dev[held] / times[held]).sum()))
    d = np.array(scores)
    w = np.exp(-(d - d.min()) / 2.0)
    w /= w.sum()
    return {float(tau): float(x) for tau, x in zip(prior_sds, w, strict=True)}


def choose_trend_prior(counts: np.ndarray, prior_sds=TREND_PRIOR_SD) -> float:
    """The candidate prior SD of the trend with the most cross-validation weight
    (:func:`trend_prior_weights`; ties: the tighter prior).

    Parameters
    ----------
    counts : numpy.ndarray
        Daily first purchases of the calibration period.
    prior_sds : sequence of float
        Candidates (log-growth per year; ``0``: no trend).
    """
    w = trend_prior_weights(counts, prior_sds)
    return float(max(w, key=lambda k: (w[k], -k)))


def _day_deviance(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Poisson deviance of each day."""
    mu = np.maximum(mu, 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu)
    return 2.0 * t


def _trend(
    y: np.ndarray, t: np.ndarray, prior_sd: float = np.inf, offset: np.ndarray | None = None
) -> tuple[float, float, float]:
    """Poisson regression of daily counts on time (Newton), the slope with a N(0, prior_sd^2)
    prior (ridge; the intercept unpenalised), given the log day multipliers ``offset``:
    intercept, slope, slope SE."""
    beta, cov = _trend_fit(y, t, prior_sd, offset)
    return float(beta[0]), float(beta[1]), float(np.sqrt(cov[1, 1]))


def _trend_fit(
    y: np.ndarray, t: np.ndarray, prior_sd: float = np.inf, offset: np.ndarray | None = None
):
    """:func:`_trend`'s coefficients (intercept, slope) and their (posterior) covariance,
    scaled by the Pearson overdispersion."""
    X = np.column_stack([np.ones_like(t), t])
    off = np.zeros_like(t) if offset is None else offset
    pen = np.diag([0.0, 1.0 / prior_sd**2 if prior_sd > 0 else 1e12])
    beta = np.array([np.log(max(y.mean(), 1e-9)), 0.0])
    for _ in range(50):
        mu = np.exp(X @ beta + off)
        hess = (X * mu[:, None]).T @ X + pen
        step = np.linalg.solve(hess + 1e-9 * np.eye(2), X.T @ (mu - y) + pen @ beta)
        beta -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    mu = np.exp(X @ beta + off)
    disp = pearson_dispersion(X, y, mu)
    cov = np.linalg.inv((X * mu[:, None]).T @ X + pen) * disp
    return beta, cov


def expected_arrival_days(expected: np.ndarray) -> np.ndarray:
    """Day index of each whole expected arrival: customer j joins on the day the cumulative
    expectation first reaches j + 1/2 (a deterministic schedule with the expected shape)."""
    cum = np.cumsum(np.asarray(expected, float))
    n = int(np.floor(cum[-1] + 0.5)) if cum.size else 0
    return np.searchsorted(cum, np.arange(n) + 0.5, side="left")


def months_are_ages(
    closed_cohort: bool, start_date: str | pd.Timestamp, calibration_end: str | pd.Timestamp
) -> bool:
    """Whether the log cannot tell a calendar month from the customers' age.

    In one closed cohort (:attr:`lab.calibrate.arrivals.ArrivalFit.closed`) whose
    calibration period holds no calendar month twice, every month is also an age of
    the cohort: an early-life burst of buying, or its fading, shows up as month
    multipliers.  The operational-time refit would then take that age effect for
    demand: on lab-made closed cohorts with a first-weeks burst and no true calendar it
    raised the lab's holdout error from +7.2% to +23.2% on average
    (``benchmarks/RESULTS_oprefit.md``), so it is not made there.

    Parameters
    ----------
    closed_cohort : bool
        The log is one closed acquisition cohort.
    start_date, calibration_end : date-like
        The calibration period.

    Returns
    -------
    bool
    """
    if not closed_cohort:
        return False
    months = pd.period_range(start_date, calibration_end, freq="M").month
    return len(set(months)) == len(months)  # no month seen in two years
