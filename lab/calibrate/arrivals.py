"""New customers: first-time buyer arrivals from the log's first-purchase dates (新客到达).

The daily count of first purchases ``n_d`` is modelled as Poisson with a log-linear
trend and the calendar (:mod:`lab.calibrate.seasonality`, same cross-validated
shrinkage):

    log E[n_d] = a + b x (d / 365) + weekday + month + events

fitted on the calibration period.  The forecast continues the trend, its growth
capped at x2 (or /2) over any horizon so a short log cannot extrapolate an
explosion.

A **closed cohort** (a log of one acquisition wave, like CDNOW's, whose customers
all made their first purchase in the first quarter of 1997) is recognised when no
first purchase falls in the last quarter of the calibration period (at least 28
days): then no arrivals are forecast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["ArrivalFit", "expected_arrival_days", "fit_arrivals"]

#: a cohort is closed when its last quarter (at least this many days) has no first purchase
CLOSED_MIN_DAYS = 28
#: the trend's growth over a forecast is capped at this factor (up or down)
TREND_CAP = 2.0


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
        Log-linear trend b (per 365 days); its standard error in ``trend_se``.
    trend_se : float
    seasonality : SeasonalityFit or None
    start_date, calibration_end : pandas.Timestamp
    total : int
        First purchases in the calibration period.
    """

    closed: bool
    level: float
    trend_per_year: float
    trend_se: float
    seasonality: object
    start_date: pd.Timestamp
    calibration_end: pd.Timestamp
    total: int

    def expected(self, start, days: int, trend: float | None = None) -> np.ndarray:
        """Expected arrivals on each of ``days`` days from ``start`` (after the calibration end)."""
        if self.closed or days <= 0:
            return np.zeros(max(int(days), 0))
        b = self.trend_per_year if trend is None else trend
        t = (pd.Timestamp(start) - self.calibration_end).days + np.arange(int(days))
        growth = np.clip(np.exp(b * t / 365.0), 1.0 / TREND_CAP, TREND_CAP)
        mult = self.seasonality.multipliers(start, days) if self.seasonality is not None else 1.0
        return self.level * growth * mult

    def summary(self) -> dict:
        """JSON-friendly facts for the report."""
        return {
            "closed_cohort": bool(self.closed),
            "first_purchases_in_calibration": int(self.total),
            "arrivals_per_day_at_end": float(self.level),
            "trend_per_year": float(self.trend_per_year),
            "trend_se": float(self.trend_se),
        }


def fit_arrivals(first_purchase: pd.Series, start_date, calibration_end) -> ArrivalFit:
    """Fit arrivals to customers' first-purchase dates (calibration period only).

    Parameters
    ----------
    first_purchase : pandas.Series
        First-purchase date of each customer (Timestamps).
    start_date, calibration_end : date-like
        The calibration period.
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
    a, b, b_se = _trend(counts, t)
    seas = fit_seasonality(counts, np.exp(a + b * t), start)
    level = float(np.exp(a + b * t[-1]) * seas.level)
    return ArrivalFit(False, level, b, b_se, seas, start, end, int(counts.sum()))


def _trend(y: np.ndarray, t: np.ndarray) -> tuple[float, float, float]:
    """Poisson regression of daily counts on time (Newton): intercept, slope, slope SE."""
    X = np.column_stack([np.ones_like(t), t])
    beta = np.array([np.log(max(y.mean(), 1e-9)), 0.0])
    for _ in range(50):
        mu = np.exp(X @ beta)
        hess = (X * mu[:, None]).T @ X
        step = np.linalg.solve(hess + 1e-9 * np.eye(2), X.T @ (mu - y))
        beta -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    mu = np.exp(X @ beta)
    disp = max(float(((y - mu) ** 2 / mu).sum() / max(y.size - 2, 1)), 1.0)
    cov = np.linalg.inv((X * mu[:, None]).T @ X) * disp
    return float(beta[0]), float(beta[1]), float(np.sqrt(cov[1, 1]))


def expected_arrival_days(expected: np.ndarray) -> np.ndarray:
    """Day index of each whole expected arrival: customer j joins on the day the cumulative
    expectation first reaches j + 1/2 (a deterministic schedule with the expected shape)."""
    cum = np.cumsum(np.asarray(expected, float))
    n = int(np.floor(cum[-1] + 0.5)) if cum.size else 0
    return np.searchsorted(cum, np.arange(n) + 0.5, side="left")
