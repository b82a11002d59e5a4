"""The purchase model in the fitted calendar's operational time (日历的运营时间).

The forecast runs each customer's purchase clock at ``rate x c_d`` on day d, with c_d the
fitted calendar's multiplier (``base`` x weekday x month x events x campaigns): a rate is
per *operational* day.  A purchase model fitted in calendar time reads a customer watched
through 双11 (c = 2 for 11 days) as faster, fresher and less likely to drop out than they
are, and the forecast then applies the calendar on top: on lab-made logs with 双11 near the
calibration end the existing customers' forecast ran +10 to +19% high
(``benchmarks/RESULTS_evbias.md``).

The fix is a second pass after the calendar: each customer's t_x and T are replaced by
the integral of c over [first purchase, last purchase] and [first purchase, calibration
end] (in the fit's time unit), BG/CNBD-k is refitted on that summary (the log-gap sums
stay in calendar time: they only choose k), and the existing customers' posteriors
(alive chance, clock stages, purchase rate) are taken on it.  Customers' dates stay as
they are.  A flat calendar (every c_d = 1) leaves everything as it was, bit for bit.

Each day counts at its middle: the operational time of day d is
tau(d) = sum_{j<d} c_j + c_d / 2, so an interval from day f to day l lasts
tau(l) - tau(f) = (l - f) + [the same sum with c - 1], computed as the calendar-time
value plus the excess of c over 1 (zero, exactly, when c = 1).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lab.calibrate.arrivals import months_are_ages
from lab.calibrate.regularity import RegularityFit, fit_regularity

if TYPE_CHECKING:
    from lab.calibrate.scenario_out import Calibration
    from lab.calibrate.seasonality import SeasonalityFit

__all__ = [
    "is_flat",
    "operational_excess",
    "operational_summary",
    "refit_in_operational_time",
]


def is_flat(multipliers: np.ndarray) -> bool:
    """True when every day multiplier is exactly 1 (operational time = calendar time)."""
    return bool(np.all(np.asarray(multipliers, dtype=float) == 1.0))


def operational_excess(multipliers: np.ndarray) -> np.ndarray:
    """Operational time at each day's middle minus calendar time, in days.

    Parameters
    ----------
    multipliers : numpy.ndarray
        c_d of days 0 .. n-1.

    Returns
    -------
    numpy.ndarray
        ``n`` values, sum_{j<d} (c_j - 1) + (c_d - 1) / 2; all zeros when every c_d = 1.
    """
    excess = np.asarray(multipliers, dtype=float) - 1.0
    before = np.concatenate([[0.0], np.cumsum(excess)[:-1]])
    return before + excess / 2.0


def operational_summary(
    summary: pd.DataFrame,
    multipliers: np.ndarray,
    start_date: str | pd.Timestamp,
    calibration_end: str | pd.Timestamp,
    time_unit_days: float,
) -> pd.DataFrame:
    """The calibration summary with ``recency`` and ``T`` in operational time.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`lab.calibrate.summary.rfm_summary` table (``frequency``, ``recency``,
        ``T`` in time units, ``first_purchase`` dates).
    multipliers : numpy.ndarray
        c_d of every day from ``start_date`` to ``calibration_end`` (at least).
    start_date, calibration_end : date-like
        Day 0 of ``multipliers``; the last calibration day.
    time_unit_days : float
        Days per time unit of ``recency`` and ``T``.

    Returns
    -------
    pandas.DataFrame
        A copy of ``summary`` whose ``recency`` is the operational time from the first
        purchase to the last and ``T`` from the first purchase to the calibration end;
        equal to ``summary`` when every c_d = 1.

    Raises
    ------
    ValueError
        ``multipliers`` shorter than the calibration period.
    """
    start = pd.Timestamp(start_date).normalize()
    end = int((pd.Timestamp(calibration_end).normalize() - start).days)
    if len(multipliers) <= end:
        raise ValueError(f"need {end + 1} day multipliers, got {len(multipliers)}")
    tau = operational_excess(multipliers)
    first = (pd.to_datetime(summary["first_purchase"]).dt.normalize() - start).dt.days
    first = first.to_numpy(np.int64)
    last = first + np.round(summary["recency"].to_numpy(float) * time_unit_days).astype(np.int64)
    out = summary.copy()
    out["recency"] = summary["recency"].to_numpy(float) + (tau[last] - tau[first]) / time_unit_days
    out["T"] = summary["T"].to_numpy(float) + (tau[end] - tau[first]) / time_unit_days
    return out


def refit_in_operational_time(
    reg: RegularityFit,
    cal: Calibration,
    log_gaps: pd.Series,
    seasonality: SeasonalityFit,
    *,
    closed_cohort: bool = False,
) -> RegularityFit:
    """BG/CNBD-k refitted on the calibration summary in the calendar's operational time.

    Parameters
    ----------
    reg : RegularityFit
        The calendar-time fit (a refit's first pass is used).
    cal : lab.calibrate.scenario_out.Calibration
        Its summary, start date, calibration end and time unit.
    log_gaps : pandas.Series
        :func:`~lab.calibrate.regularity.gap_log_sums` of the calibration period
        (calendar time, as the first pass).
    seasonality : lab.calibrate.seasonality.SeasonalityFit
        The fitted calendar; its multipliers over the calibration days are the c_d the
        forecast applies.
    closed_cohort : bool
        The log is one closed acquisition cohort (the arrivals fit's ``closed``): with
        no month seen twice its months are also the customers' ages
        (:func:`~lab.calibrate.arrivals.months_are_ages`) and the calendar-time fit is kept.

    Returns
    -------
    RegularityFit
        ``reg``'s first pass itself when the calendar is flat over the calibration days
        (every c_d = 1: nothing changes) or its months are the customers' ages; else
        the refit (k profiled again up to
        ``reg.k_max``) with ``times`` the operational-time summary and ``calendar_time``
        the first pass.
    """
    first = reg.first_pass
    if months_are_ages(closed_cohort, cal.start_date, cal.calibration_end):
        return first  # (the cheap test first: no multipliers needed)
    n = int((cal.calibration_end - cal.start_date).days) + 1
    c = seasonality.multipliers(cal.start_date, n)
    if is_flat(c):
        return first
    u = cal.fit.time_unit_days
    times = operational_summary(cal.summary, c, cal.start_date, cal.calibration_end, u)
    again = fit_regularity(times, log_gaps, k_max=first.k_max, time_unit_days=u)
    return dataclasses.replace(again, times=times, calendar_time=first)
