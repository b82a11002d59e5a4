"""New-customer arrivals: the trend is shrunk towards zero, the fits under candidate
priors averaged with cross-validation weights.

Arrival logs are drawn directly (Poisson days from the lab's random streams): a flat
log whose maximum-likelihood trend is noise, and a strongly trended one whose trend
is well determined; and the join days of the open-cohort test log of
``tests/test_forecast.py`` (uniform over 34 weeks: a flat truth).  The holdout errors before/after on the test logs and on
trended logs are measured by ``benchmarks/bench_arrivals.py`` (docs/calibration.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import poisson

from lab.calibrate.arrivals import (
    TREND_PRIOR_SD,
    choose_trend_prior,
    fit_arrivals,
    trend_prior_weights,
)
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
        # the ML trend given each fit's own calendar (fitted against its own trend, so
        # the two calendars differ a little): within a tenth of the ML trend's SE (~0.6
        # a year here) of each other
        assert b.trend_unshrunk == pytest.approx(a.trend_per_year, abs=0.06)
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
    # nearly all the weight on the priors that hardly shrink a trend this well determined
    w = arr.trend_prior_weights
    assert w[1.0] + w[0.5] > 0.99 and w[0.0] < 1e-6
    assert abs(arr.trend_per_year - np.log(2.0)) < 2 * arr.trend_se
    assert arr.summary()["trend_prior_sd"] == arr.trend_prior_sd
    assert sum(arr.summary()["trend_prior_weights"].values()) == pytest.approx(1.0)


def test_a_flat_open_cohort_forecasts_about_its_mean_level():
    # the join days of tests/test_forecast.py's open-cohort design (300 customers uniform
    # over 238 days) for 20 seeds, calibrated on 151 days, new customers of the next 89
    # counted.  The truth is flat, so the period's mean rate is the right forecast; its
    # mean |error| (8.4%) is binomial noise.  A noise trend extrapolated costs more:
    # the maximum-likelihood trend 20.4%, keeping the single best cross-validated prior
    # 15.5% (9 of 20 logs kept a trend); averaging the priors by their cross-validated
    # weights must stay within 1.3x the mean-rate error (it gives 9.9%, 1.18x)
    err, flat = [], []
    for seed in range(20):
        u = RandomStreams(seed).uniform("synthetic_join", 0, np.arange(300, dtype=np.uint64))
        day = np.floor(u * 7 * 34).astype(int)
        first = pd.Series(START + pd.to_timedelta(day, unit="D"))
        arr = _fit(first[day <= 150], 151)
        actual = ((day > 150) & (day <= 239)).sum()
        fc = arr.expected(START + pd.Timedelta(days=151), 89).sum()
        err.append(abs(fc / actual - 1))
        flat.append(abs((day <= 150).sum() / 151 * 89 / actual - 1))
    print(f"\nmean |error| {np.mean(err):.3f} vs the mean rate's {np.mean(flat):.3f}")
    assert np.mean(err) < 1.3 * np.mean(flat)


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
    assert a.trend_prior_weights == b.trend_prior_weights
    # without a calendar to fit (one round) the weights are those of the raw counts
    one = fit_arrivals(first, START, end, rounds=1)
    counts = np.bincount((first[first <= end] - START).dt.days, minlength=150)
    assert choose_trend_prior(counts) == one.trend_prior_sd
    assert trend_prior_weights(counts) == one.trend_prior_weights


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


def test_the_level_and_trend_are_drawn_with_their_sampling_uncertainty():
    # the forecast's bands carry the arrival level's uncertainty, not only the trend's:
    # a flat log of ~195 first purchases has a level known to about 1/sqrt(195) = 7%
    first = _first_purchases(1.3, 0.0, 150, seed=5)
    arr = _fit(first, 150)
    n = arr.total
    assert 0.9 / np.sqrt(n) < arr.level_log_se < 1.5 / np.sqrt(n)
    z = np.random.default_rng(0).standard_normal((4000, 2))
    draws = np.array([arr.draw(row) for row in z])
    trend, log_level = draws[:, 0], np.log(draws[:, 1])
    # 4,000 draws: the sample SDs are within ~2.2% of the true ones (5 SE: 11%)
    assert np.std(log_level) == pytest.approx(arr.level_log_se, rel=0.11)
    assert np.std(trend) == pytest.approx(arr.trend_se, rel=0.11)
    assert abs(np.mean(log_level)) < 5 * arr.level_log_se / np.sqrt(4000)
    if arr.trend_se > 0 and arr.level_log_se > 0:
        r = np.corrcoef(trend, log_level)[0, 1]
        assert r == pytest.approx(arr.level_trend_corr, abs=5 / np.sqrt(4000))
    # the expected arrivals scale with the drawn level
    start = START + pd.Timedelta(days=150)
    assert arr.expected(start, 30, level_factor=1.1).sum() == pytest.approx(
        1.1 * arr.expected(start, 30).sum()
    )


def test_the_trend_covariance_is_scaled_by_the_pearson_overdispersion():
    """The unshrunk trend's covariance is the inverse Fisher information times the
    Pearson chi-square over the days less the level and slope (the shared
    ``pearson_dispersion``): negative binomial days (mean 20, size 4: a ratio near
    1 + 20/4 = 6) widen it well beyond Poisson."""
    from lab.calibrate.arrivals import _trend_fit

    y = np.random.default_rng(3).negative_binomial(4, 4 / 24, size=300).astype(float)
    t = np.arange(300) / 365.0
    beta, cov = _trend_fit(y, t)
    X = np.column_stack([np.ones_like(t), t])
    mu = np.exp(X @ beta)
    ratio = float(((y - mu) ** 2 / mu).sum()) / (300 - 2)
    assert ratio > 3  # overdispersed: the scaling is visible
    assert cov == pytest.approx(np.linalg.inv((X * mu[:, None]).T @ X) * ratio, rel=1e-9)


def _sale_arrivals(seed: int, sale: tuple[str, str, float]) -> tuple[pd.Series, float]:
    """First purchases of a growing shop (12 a day x weekday x exp(0.4 t / year)) from
    2025-03-01 to 2025-11-30 with one big sale (x lift on its days), and the true
    expected arrivals of the next 182 days (no sale in them)."""
    days = pd.date_range("2025-03-01", "2026-05-30")
    shape = np.array([0.9, 0.9, 0.95, 1.0, 1.05, 1.15, 1.05])[days.weekday]
    rate = 12.0 * shape * np.exp(0.4 * np.arange(days.size) / 365.0)
    cut = pd.Timestamp("2025-12-01")
    lift = np.where((days >= sale[0]) & (days <= sale[1]), sale[2], 1.0)
    n = np.random.default_rng(seed).poisson(rate * lift * (days < cut))
    return pd.Series(np.repeat(days, n)), float(rate[days >= cut].sum())


@pytest.mark.parametrize(
    ("sale", "old_bias"),
    [(("2025-11-01", "2025-11-11", 2.0), 0.10), (("2025-06-01", "2025-06-18", 1.6), -0.07)],
    ids=["double11", "618"],
)
def test_a_big_sale_does_not_bend_the_arrivals_trend(sale, old_bias):
    """The trend fitted on the raw counts took 双11 at the log's end for growth (2Q
    arrivals +14 to +21%) and 618 at its start for decline (-11 to -19%); fitted given
    the calendar, with the months (each seen once: a stretch of the trend too) at the
    prior, the forecast is the truth's within noise (RESULTS_arrivals_calendar.md)."""
    new, old = [], []
    for seed in range(8):
        first, truth = _sale_arrivals(seed, sale)
        end = pd.Timestamp("2025-11-30")
        for out, kw in ((new, {}), (old, {"rounds": 1, "month_rule": "all"})):
            f = fit_arrivals(first, "2025-03-01", end, **kw)
            out.append(f.expected(end + pd.Timedelta(days=1), 182).sum() / truth - 1)
    # 8 logs of ~2,900 arrivals: the 2Q forecast's error is mostly the trend's; over
    # these logs its sd is ~4% a log, ~1.3% for the mean of 8: |mean| < 5% is ~3.5 sd,
    # while the old fit's bias (+21% / -11% here) is far outside
    print(f"\n{sale}: new {np.mean(new):+.1%} (sd {np.std(new):.1%}), old {np.mean(old):+.1%}")
    assert abs(np.mean(new)) < 0.05
    assert np.mean(old) > old_bias if old_bias > 0 else np.mean(old) < old_bias
