"""Oracle operational time: warp each day to the true calendar's cumulative multiplier;
the warped log is stationary, so a calendar-free fit should forecast it unbiased."""

import dataclasses
import json
import sys

import numpy as np
import pandas as pd
from gen import make

from lab.calibrate.estimator import fit
from lab.calibrate.seasonality import SeasonalityFit


def true_m(start="2025-03-01", end="2026-05-31", events=True):
    days = pd.date_range(start, end)
    m = np.array([0.9, 0.9, 0.95, 1.0, 1.05, 1.15, 1.05])[days.weekday].copy()
    if events:
        m[(days >= "2025-06-01") & (days <= "2025-06-18")] *= 1.6
        m[(days >= "2025-11-01") & (days <= "2025-11-11")] *= 2.0
        m[(days >= "2025-04-10") & (days <= "2025-04-12")] *= 1.8
    return days, m


def warp(df, days, m):
    tau0 = np.concatenate([[0], np.cumsum(m)[:-1]])
    idx = (df.date - days[0]).dt.days.to_numpy()
    tau = tau0[idx] + 0.5 * m[idx]
    out = df.copy()
    out["date"] = days[0] + pd.to_timedelta(np.round(tau * 86400), unit="s")
    cut = days[0] + pd.to_timedelta(tau0[275], unit="D")
    return out, cut, m[275:].sum()


if __name__ == "__main__":
    for s in map(int, sys.argv[1:]):
        df = make(seed=s)
        days, m = true_m()
        w, cut, hl = warp(df, days, m)
        first = w.groupby("customer_id")["date"].min()
        h = w[(w.date >= cut) & (w.date < cut + pd.Timedelta(days=hl))]
        ex = int((h.customer_id.map(first) < cut).sum())
        tr = w[w.date < cut]
        for cal in (False, True):
            model = fit(tr)
            if not cal:
                model = dataclasses.replace(
                    model,
                    seasonality=SeasonalityFit(weekday=np.ones(7), month=np.ones(12), events={}),
                )
            n = round(hl)
            fc = model.forecast(f"{n}D", seeds=range(4), workers=1)
            hh = fc.horizon
            e = hh[(hh.metric == "orders") & (hh.segment == "existing")]["mean"].iloc[0]
            print(
                json.dumps(
                    dict(
                        label=f"warped s{s} cal={'on' if cal else 'off'}",
                        cut=str(cut),
                        end=str(model.calibration_end.date()),
                        hl=round(hl, 1),
                        ex_truth=ex,
                        ex_fc=round(e),
                        ex_err=round(100 * (e / ex - 1), 1),
                        base=round(model.seasonality.base, 3),
                        events={k: round(v, 2) for k, v in model.seasonality.events.items()},
                    )
                ),
                flush=True,
            )
