"""Month rule "twice" for the purchase calendar where months are ages (issue 15).

When ``lab.calibrate.arrivals.months_are_ages`` holds (one closed cohort, no calendar month
seen twice in the calibration period), the purchase calendar's fitted month multipliers are
not identified (month = the cohort's age), yet they enter the forecast and the back-test's
``lab`` row for every holdout month the calibration also held.  This script measures the
back-test's ``lab`` row with the months fitted as now (``month_rule="all"``) and with every
month at the flat prior (``month_rule="twice"``, which fits no month on these logs) on
lab-made closed-cohort logs with a known truth.  The decision rule is written in
``benchmarks/RESULTS_monthsages.md`` before the run; CDNOW is not used here.

Families (CDNOW's shape unless said: 2,357 customers joining over the first 12 weeks from
2025-01-01, calibration 2025-01-01 .. 2025-09-30 (39 weeks), holdout 2025-10-01 ..
2026-06-30 (39 weeks), CDNOW-like BG/NBD r 0.243, alpha 4.414 weeks, a 0.793, b 2.426, day
by day, at most one purchase a day; gamma spend):

* ``plain``: BG/NBD, no calendar;
* ``burst``: BG/NBD whose customers buy at 2.5x their rate in their first 6 weeks, no
  calendar (an early-life burst: the invented months of RESULTS_penrule.md's supplement);
* ``months``: BG/NBD x a true weekday and yearly month shape (weekend x1.25 / weekdays
  x0.9; months Jan..Dec 1.0 0.8 1.1 1.0 0.9 1.2 1.0 1.0 1.0 1.0 1.0 1.3);
* ``events``: BG/NBD x the weekday shape and events, no month shape: 春节 x1.4, 618 x1.5
  (both in the calibration and the holdout), 双11 x1.8 and 双12 x1.5 (holdout only);
* ``burst_full``: the burst x weekdays x months x events (age and season both);
* ``testburst``: ``tests/test_calibrate_backtest_lab.py::_burst_log`` (800 customers,
  400 days, calibration to 2025-08-31, holdout to the log's end 2026-02-04), the logs of
  ``benchmarks/evbias/oprefit_closed.py``.

Each log is back-tested twice, ``backtest(..., seasonality=True, month_rule=...)`` with
2 seeds x 10 runs, no parameter draws, ``k_max=2``, ``force=True`` (a spend fit's problem
does not touch the orders); both arms use the same simulation seeds.

Run: ``PYTHONPATH=<lab tree>:$PWD python benchmarks/bench_monthsages.py [--seeds 6]
[--workers 2]`` (``<lab tree>``: ``git archive`` of main's ``lab`` and ``tests``);
writes ``benchmarks/monthsages_raw.csv`` (one row per log, arm and method) and prints the
summary and the decision (:func:`decide`).
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
START = pd.Timestamp("2025-01-01")
N = 2357
CAL_DAYS = HOLD_DAYS = 273
JOIN_DAYS = 84
BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
WEEKDAY = [0.9, 0.9, 0.9, 0.9, 0.9, 1.25, 1.25]
MONTHS = [1.0, 0.8, 1.1, 1.0, 0.9, 1.2, 1.0, 1.0, 1.0, 1.0, 1.0, 1.3]
EVENTS = [
    {"name": "cny", "lift": 1.4},
    {"name": "618", "lift": 1.5},
    {"name": "double11", "lift": 1.8},
    {"name": "double12", "lift": 1.5},
]
#: family -> (burst, weekday shape, month shape, events)
FAMILIES = {
    "plain": (False, False, False, False),
    "burst": (True, False, False, False),
    "months": (False, True, True, False),
    "events": (False, True, False, True),
    "burst_full": (True, True, True, True),
    "testburst": None,
}
ARMS = ("all", "twice")
METHODS = ("lab", "closed_form_seasonal", "closed_form", "simulation")


def true_multipliers(family: str, days: int) -> np.ndarray:
    """The generator's day multipliers from START."""
    from lab.configs.calendar import Calendar, day_multipliers

    _, weekday, months, events = FAMILIES[family]
    spec = {
        "enabled": True,
        "weekday": WEEKDAY if weekday else [1.0] * 7,
        "month": MONTHS if months else [1.0] * 12,
        "events": EVENTS if events else [],
    }
    return day_multipliers(Calendar.model_validate(spec), START.date(), days)


def make_log(family: str, seed: int) -> tuple[pd.DataFrame, str, str | None]:
    """One log of a family: (orders, calibration end, holdout end or None = log end)."""
    if family == "testburst":
        import sys

        if str(HERE.parent) not in sys.path:  # after PYTHONPATH: the tree measured wins
            sys.path.append(str(HERE.parent))
        from tests.test_calibrate_backtest_lab import _burst_log

        return _burst_log(n=800, days=400, seed=seed), "2025-08-31", None
    burst = FAMILIES[family][0]
    days = CAL_DAYS + HOLD_DAYS
    rng = np.random.default_rng([seed, list(FAMILIES).index(family), 1515])
    join = np.sort(rng.integers(0, JOIN_DAYS, N))
    mult = true_multipliers(family, days)
    lam = rng.gamma(BGNBD["r"], 1.0 / (BGNBD["alpha"] * 7), N)
    p = rng.beta(BGNBD["a"], BGNBD["b"], N)
    alive = join == 0
    cust, day = [np.flatnonzero(alive)], [np.zeros(int(alive.sum()), int)]
    for d in range(1, days):
        u = rng.random((2, N))
        rate = lam * mult[d] * (np.where(d - join < 42, 2.5, 1.0) if burst else 1.0)
        buy = alive & (u[0] < -np.expm1(-rate))
        alive &= ~(buy & (u[1] < p))
        new = join == d
        alive |= new
        idx = np.flatnonzero(buy | new)
        cust.append(idx)
        day.append(np.full(idx.size, d))
    cust, day = np.concatenate(cust), np.concatenate(day)
    amount = rng.gamma(4.0, 12.5, cust.size)
    orders = pd.DataFrame(
        {
            "customer_id": cust.astype(str),
            "date": START + pd.to_timedelta(day, unit="D"),
            "amount": amount,
        }
    )
    end = START + pd.Timedelta(days=CAL_DAYS - 1)
    return orders, str(end.date()), str((START + pd.Timedelta(days=days - 1)).date())


def evaluate(family: str, seed: int) -> list[dict]:
    """Both arms' back-test rows on one log."""
    from lab.calibrate.arrivals import months_are_ages
    from lab.calibrate.backtest import backtest
    from lab.calibrate.ingest import clean_orders

    log, end, h_end = make_log(family, seed)
    orders = clean_orders(log)
    rows = []
    for arm in ARMS:
        t0 = time.process_time()
        bt = backtest(
            orders, end, holdout_end=h_end, seeds=range(2), runs_per_seed=10, k_max=2,
            parameter_uncertainty=False, workers=1, progress=False, seasonality=True,
            force=True, month_rule=arm,
        )  # fmt: skip
        cpu = time.process_time() - t0
        meta = bt.meta
        closed = bool(meta.get("arrivals", {}).get("closed_cohort"))
        ages = months_are_ages(closed, orders.orders["date"].min(), end)
        seas = pd.DataFrame(meta["seasonality"]).set_index("effect")
        fitted = seas[seas.index.str.startswith("month_") & (seas["source"] == "fit")]
        e = bt.errors.set_index(["start", "method"])
        for m in METHODS:
            r = e.loc[("conditional", m)]
            rows.append(
                {
                    "family": family,
                    "seed": seed,
                    "arm": arm,
                    "method": m,
                    "actual": float(r["actual"]),
                    "forecast": float(r["forecast"]),
                    "error_pct": float(r["error_pct"]),
                    "weekly_mae": float(r["weekly_mae"]),
                    "mc_se": float(r.get("mc_se", np.nan)),
                    "k": int(meta["regularity_k"]),
                    "clock": meta["purchase_clock"],
                    "months_are_ages": ages,
                    "penalty": float(meta["seasonality_penalty"]),
                    "months_fitted": len(fitted),
                    "max_month_log": float(np.abs(np.log(fitted["multiplier"])).max())
                    if len(fitted)
                    else 0.0,
                    "cpu_s": cpu,
                }
            )
    return rows


def _task(args):
    return evaluate(*args)


def summarise(raw: pd.DataFrame, method: str = "lab") -> pd.DataFrame:
    """Per family: paired differences twice - all of |error| (points) and weekly MAE."""
    d = raw[raw["method"] == method].assign(abs_err=lambda x: x["error_pct"].abs())
    wide = d.pivot_table(
        index=["family", "seed"], columns="arm", values=["abs_err", "weekly_mae", "error_pct"]
    )
    out = []
    for fam, g in wide.groupby(level="family", sort=False):
        n = len(g)
        da = g[("abs_err", "twice")] - g[("abs_err", "all")]
        dm = g[("weekly_mae", "twice")] - g[("weekly_mae", "all")]
        rel = dm / g[("weekly_mae", "all")]
        out.append(
            {
                "family": fam,
                "n": n,
                "err_all": g[("error_pct", "all")].mean(),
                "err_twice": g[("error_pct", "twice")].mean(),
                "abs_all": g[("abs_err", "all")].mean(),
                "abs_twice": g[("abs_err", "twice")].mean(),
                "d_abs": da.mean(),
                "d_abs_se": da.std(ddof=1) / np.sqrt(n),
                "mae_all": g[("weekly_mae", "all")].mean(),
                "mae_twice": g[("weekly_mae", "twice")].mean(),
                "d_mae": dm.mean(),
                "d_mae_se": dm.std(ddof=1) / np.sqrt(n),
                "d_mae_rel_pct": 100 * rel.mean(),
                "d_mae_rel_se": 100 * rel.std(ddof=1) / np.sqrt(n),
            }
        )
    order = [f for f in FAMILIES if f in {o["family"] for o in out}]
    return pd.DataFrame(out).set_index("family").loc[order]


def decide(s: pd.DataFrame) -> dict:
    """The pre-registered rule (benchmarks/RESULTS_monthsages.md)."""
    mean_abs = float(s["d_abs"].mean())
    mean_rel = float(s["d_mae_rel_pct"].mean())
    worse_abs = s.index[(s["d_abs"] > 2.0) & (s["d_abs"] > 2 * s["d_abs_se"])].tolist()
    worse_mae = s.index[
        (s["d_mae_rel_pct"] > 5.0) & (s["d_mae_rel_pct"] > 2 * s["d_mae_rel_se"])
    ].tolist()
    adopt = mean_abs < 0 and mean_rel < 0 and not worse_abs and not worse_mae
    return {
        "mean_d_abs_points": mean_abs,
        "mean_d_mae_rel_pct": mean_rel,
        "families_worse_abs": worse_abs,
        "families_worse_mae": worse_mae,
        "adopt": adopt,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--out", default=str(HERE / "monthsages_raw.csv"))
    a = ap.parse_args()
    fams = a.families.split(",")
    tasks = [
        (f, (5 + s) if f == "testburst" else s) for s in range(a.seeds) for f in fams
    ]  # testburst: seeds 5.. as oprefit_closed.py
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    rows = []
    t0 = time.time()
    with ProcessPoolExecutor(a.workers) as ex:
        for i, r in enumerate(ex.map(_task, tasks)):
            rows += r
            lab = [x for x in r if x["method"] == "lab"]
            print(
                f"[{time.time() - t0:6.0f}s] {i + 1}/{len(tasks)} {lab[0]['family']} "
                f"seed {lab[0]['seed']}: "
                + ", ".join(
                    f"{x['arm']} {x['error_pct']:+.1f}% / {x['weekly_mae']:.2f}" for x in lab
                ),
                flush=True,
            )
            pd.DataFrame(rows).to_csv(a.out, index=False)
    raw = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    for m in ("lab", "closed_form_seasonal"):
        s = summarise(raw, m)
        print(f"\n== {m} ==")
        print(s.round(2).to_string())
        print(decide(s))


if __name__ == "__main__":
    main()
