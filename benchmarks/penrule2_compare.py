"""The penalty-rule study before and after the calendar's ``base`` (commit 96e3c93).

Reads ``benchmarks/penrule_raw.csv`` (the pre-registered run) and
``benchmarks/penrule2_raw.csv`` (the same design re-run with the fix), checks that the
two runs share their logs, prints the decision of each and the old-vs-new tables of
RESULTS_penrule.md's re-run section; with ``--posthoc`` also the post-hoc looks behind
them (fitted event lifts and the months' distance to the truth on ``bgnbd`` x ``cal``
logs, and the 8 logs of tests/test_calibrate_penalty_rule.py), about 2 minutes.

Run: ``PYTHONPATH=$PWD python benchmarks/penrule2_compare.py [--posthoc]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_penrule as b  # noqa: E402

CAL_CELLS = [(m, w) for m in ("bgnbd", "sleep") for w in ("18m-closed", "39w-closed", "39w-open")]


def _pm(row, col: str) -> str:
    """mean±SE, bold where worse than CV-min by more than 2 SE."""
    s = f"{row[col]:+.2f}±{row[col + '_se']:.2f}"
    return f"**{s}**" if row[col] > 2 * row[col + "_se"] else s


def compare() -> None:
    old = pd.read_csv(HERE / "penrule_raw.csv")
    new = pd.read_csv(HERE / "penrule2_raw.csv")
    keys = ["mechanism", "calendar", "window", "seed", "rule"]
    m = old.merge(new, on=keys, suffixes=("_old", "_new"), validate="one_to_one")
    none = m[m["rule"] == "none"]
    print(f"rows {len(old)} / {len(new)}, paired {len(m)}")
    print("`none` rows identical:", bool((none["error_pct_old"] == none["error_pct_new"]).all()))
    same_pen = (m["penalty_old"].fillna(-1) == m["penalty_new"].fillna(-1)).all()
    print("every chosen penalty identical:", bool(same_pen))
    so, sn = b.summarise(old), b.summarise(new)
    for name, s in (("old", so), ("new", sn)):
        print(f"\ndecision, {name} run:\n" + b.decide(s).round(3).to_string(index=False))
    print("\n" + b.markdown(sn))
    k = ["mechanism", "window", "rule"]
    o = so[so["calendar"] == "cal"].set_index(k)
    n = sn[sn["calendar"] == "cal"].set_index(k)
    print(
        "\n| cell (calendar `cal`) | CV-min weekly MAE old → new | CV-min error % old → new "
        "| CV-min \\|error\\| old → new | months max \\|log\\| CV-min / one-SE |\n"
        "|---|---:|---:|---:|---:|"
    )
    for mech, w in CAL_CELLS:
        a, c = o.loc[(mech, w, "min")], n.loc[(mech, w, "min")]
        print(
            f"| {mech}, {w} | {a['mae']:.2f} → {c['mae']:.2f} | {a['err']:+.1f} → {c['err']:+.1f} "
            f"| {a['abs_err']:.1f} → {c['abs_err']:.1f} | {c['max_month_dev']:.2f} / "
            f"{n.loc[(mech, w, 'one_se'), 'max_month_dev']:.2f} |"
        )
    print(
        "\n| cell | challenger | dMAE old | dMAE new | d abs err old | d abs err new |\n"
        "|---|---|---:|---:|---:|---:|"
    )
    for mech, w in CAL_CELLS:
        for r in b.CHALLENGERS:
            a, c = o.loc[(mech, w, r)], n.loc[(mech, w, r)]
            print(
                f"| {mech}, {w} | {r} | {_pm(a, 'd_mae')} | {_pm(c, 'd_mae')} "
                f"| {_pm(a, 'd_abs_err')} | {_pm(c, 'd_abs_err')} |"
            )


def _bench_log(window: str, seed: int):
    """A ``bgnbd`` x ``cal`` log of the study: actual daily repeats, the calibration
    offset and BG/NBD's holdout closed form, as in :func:`bench_penrule.evaluate`."""
    from lab.calibrate.bgnbd import bgnbd_conditional_expected, fit_bgnbd
    from lab.calibrate.models import expected_repeat_curve
    from lab.calibrate.summary import rfm_summary

    cust, day, cal_days, days = b.simulate("bgnbd", "cal", window, seed)
    orders = pd.DataFrame({"customer_id": cust, "date": b.START + pd.to_timedelta(day, unit="D")})
    end = b.START + pd.Timedelta(days=cal_days - 1)
    s = rfm_summary(orders, end, time_unit_days=7, amount_col=None)
    fit = fit_bgnbd(s, time_unit_days=7)
    f = (orders.groupby("customer_id")["date"].min() - b.START).dt.days.to_numpy(float)
    repeat = np.ones(cust.size, bool)
    order = np.lexsort((day, cust))
    repeat[order[np.r_[True, cust[order][1:] != cust[order][:-1]]]] = False
    actual = np.bincount(day[repeat], minlength=days).astype(float)
    off = np.diff(expected_repeat_curve(fit, f / 7, np.arange(cal_days) / 7), prepend=0.0)
    x, t_x, T = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    t = np.arange(1, b.HOLD_DAYS + 1)[:, None] / 7.0
    cum = bgnbd_conditional_expected(fit.params, t, x[None], t_x[None], T[None]).sum(axis=1)
    return actual, off, np.diff(cum, prepend=0.0), cal_days, days


def _month_rms(seas, off, true_log: np.ndarray) -> float:
    """Weighted RMS distance of the fitted log-months from the true ones, both centred
    over the months the calibration contains (weights: the offset's days)."""
    months = pd.date_range(b.START, periods=off.size, freq="D").month.to_numpy() - 1
    w = np.bincount(months, weights=off, minlength=12)
    seen = w > 0

    def centred(v):
        return v[seen] - np.average(v[seen], weights=w[seen])

    d = centred(np.log(seas.month)) - centred(true_log)
    return float(np.sqrt(np.average(d**2, weights=w[seen])))


def posthoc() -> None:
    from lab.calibrate.seasonality import fit_seasonality

    true_log = np.log(np.array(b.TRUE_CALENDAR["month"]))
    print("\nbgnbd x cal, 18m-closed, seeds 0-9: fitted event lifts (truth 618 1.5, 双11 1.8)")
    rows = []
    for seed in range(10):
        actual, off, _, cal_days, _ = _bench_log("18m-closed", seed)
        for rule in ("min", "one_se"):
            seas = fit_seasonality(actual[:cal_days], off, b.START, rule=rule)
            rows.append({"seed": seed, "rule": rule, **seas.events, "saturday": seas.weekday[5]})
    print(pd.DataFrame(rows).groupby("rule").mean().drop(columns="seed").round(3).to_string())
    for window in ("18m-closed", "39w-closed"):
        d = []
        for seed in range(30):
            actual, off, _, cal_days, _ = _bench_log(window, seed)
            rms = {
                rule: _month_rms(
                    fit_seasonality(actual[:cal_days], off, b.START, rule=rule), off, true_log
                )
                for rule in ("min", "one_se")
            }
            d.append(rms["one_se"] - rms["min"])
        d = np.array(d)
        print(
            f"bgnbd x cal, {window}, seeds 0-29: months' RMS distance to the truth, "
            f"one-SE - CV-min {d.mean():+.4f} (SE {d.std(ddof=1) / np.sqrt(d.size):.4f})"
        )
    # the 18-month log's holdout (Jul 2026 - Mar 2027) covers months the calibration saw
    # once (Jul-Dec): their shape, both centred over the holdout's months, against the truth
    hold = [6, 7, 8, 9, 10, 11, 0, 1, 2]
    d = []
    for seed in range(30):
        actual, off, _, cal_days, _ = _bench_log("18m-closed", seed)
        rms = {}
        for rule in ("min", "one_se"):
            lm = np.log(fit_seasonality(actual[:cal_days], off, b.START, rule=rule).month)[hold]
            e = (lm - lm.mean()) - (true_log[hold] - true_log[hold].mean())
            rms[rule] = np.sqrt((e**2).mean())
        d.append(rms["one_se"] - rms["min"])
    d = np.array(d)
    print(
        "bgnbd x cal, 18m-closed, seeds 0-29: the holdout months' shape, RMS distance to the "
        f"truth, one-SE - CV-min {d.mean():+.4f} (SE {d.std(ddof=1) / np.sqrt(d.size):.4f})"
    )
    sys.path.insert(0, str(HERE.parent / "tests"))
    from test_calibrate_penalty_rule import CAL_DAYS, CALENDAR, HOLD_DAYS, START, _log

    true_log = np.log(np.array(CALENDAR["month"]))
    out = []
    for seed in range(8):
        y, off, closed, hold = _log(seed, calendar=True)
        row = {}
        for rule in ("min", "one_se"):
            seas = fit_seasonality(y, off, START, rule=rule)
            fc = closed * seas.multipliers(START, CAL_DAYS + HOLD_DAYS)[CAL_DAYS:]
            wk = fc.reshape(-1, 7).sum(axis=1) - hold.reshape(-1, 7).sum(axis=1)
            row[f"abs_{rule}"] = abs(100 * (fc.sum() - hold.sum()) / hold.sum())
            row[f"mae_{rule}"] = np.abs(wk).mean()
            row[f"rms_{rule}"] = _month_rms(seas, off, true_log)
        out.append(row)
    r = pd.DataFrame(out)
    print("the test's 8 sleep x cal logs (39w-closed), one-SE - CV-min:")
    for k in ("abs", "mae", "rms"):
        d = r[f"{k}_one_se"] - r[f"{k}_min"]
        print(f"  {k}: {d.mean():+.3f} (SE {d.std(ddof=1) / np.sqrt(d.size):.3f})")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--posthoc", action="store_true")
    args = ap.parse_args()
    compare()
    if args.posthoc:
        posthoc()
