"""New-customer arrivals: the trend is shrunk towards zero by a cross-validated prior.

Arrival logs are drawn directly (Poisson days from the lab's random streams): a flat
log whose maximum-likelihood trend is noise, and a strongly trended one whose trend
is well determined.  The holdout errors before/after on the test logs and on
trended logs are measured by ``benchmarks/bench_arrivals.py`` (docs/calibration.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import poisson

from lab.calibrate.arrivals import TREND_PRIOR_SD, choose_trend_prior, fit_arrivals
from lab.rng import RandomStreams

START = pd.Timestamp("2025-01-01")


def _first_purchases(rate: float, trend: float, days: int, seed: int) -> pd.Series:
    """First-purchase dates: Poisson per day with a log-linear trend (per year)."""
    u = RandomStreams(seed).uniform("synthetic_join", 0, np.arange(days, dtype=np.uint64))
    t = np.arange(days) / 365.0
    n = poisson.ppf(u, rate * np.exp(trend * (t - t[-1]))).astype(int)
    return pd.Series(START + pd.to_timedelta(np.repeat(np.arange(days), n), unit="D"))


def _fit(first, days, **kw):
    return fit_arrivals(first, START, START + pd.Timedelta(days=days - 1), **kw)


def test_a_flat_short_log_has_its_noise_trend_shrunk():
    # 12 flat logs of 150 days at 1.3 a day: the ML trend's SE is ~0.6/year, so its
    # noise is large; the shrunk trend must be smaller in size on average, never larger
    # in any log (a ridge towards 0 cannot move an estimate away from 0), and the
    # forecast level of a no-trend log must come closer to the true 1.3 a day
    ml, shrunk, lvl_ml, lvl = [], [], [], []
    for seed in range(12):
        first = _first_purchases(1.3, 0.0, 150, seed)
        a, b = _fit(first, 150, shrink_trend=False), _fit(first, 150)
        assert abs(b.trend_per_year) <= abs(a.trend_per_year) + 1e-9
        assert b.trend_unshrunk == pytest.approx(a.trend_per_year)
        ml.append(abs(a.trend_per_year))
        shrunk.append(abs(b.trend_per_year))
        lvl_ml.append(abs(np.log(a.level / 1.3)))
        lvl.append(abs(np.log(b.level / 1.3)))
    assert np.mean(shrunk) < 0.7 * np.mean(ml)
    assert np.mean(lvl) < np.mean(lvl_ml)


def test_a_strong_real_trend_survives_the_shrinkage():
    # a year at ~20 a day doubling yearly (b = ln 2): SE ~0.1, so cross-validation keeps
    # the widest prior and the estimate stays within 2 of its (posterior) SEs of the truth
    first = _first_purchases(20.0, np.log(2.0), 365, seed=3)
    arr = _fit(first, 365)
    assert arr.trend_prior_sd == max(TREND_PRIOR_SD)
    assert abs(arr.trend_per_year - np.log(2.0)) < 2 * arr.trend_se
    assert arr.summary()["trend_prior_sd"] == arr.trend_prior_sd


def test_the_prior_is_chosen_inside_the_calibration_period_only():
    # appending days after the calibration end changes nothing
    first = _first_purchases(1.3, 0.0, 200, seed=7)
    end = START + pd.Timedelta(days=149)
    a = fit_arrivals(first, START, end)
    b = fit_arrivals(first[first <= end], START, end)
    assert (a.trend_per_year, a.trend_prior_sd, a.level) == (
        b.trend_per_year,
        b.trend_prior_sd,
        b.level,
    )
    counts = np.bincount((first[first <= end] - START).dt.days, minlength=150)
    assert choose_trend_prior(counts) == a.trend_prior_sd


def test_cdnow_stays_a_closed_cohort():
    from lab.calibrate.datasets import cdnow_path, read_cdnow

    try:
        cdnow_path("sample")
    except (FileNotFoundError, ImportError) as exc:
        pytest.skip(str(exc))
    d = read_cdnow()
    first = d.groupby("customer_id")["date"].min()
    for end in ("1997-09-30", "1998-06-30"):
        arr = fit_arrivals(first[first <= end], d["date"].min(), end)
        assert arr.closed
        assert arr.expected(pd.Timestamp(end) + pd.Timedelta(days=1), 365).sum() == 0
