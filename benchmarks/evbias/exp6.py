"""Audit log: oracle warp (true calendar), P2 two-pass, holdout calendar level."""

import dataclasses
import json

import numpy as np
import pandas as pd
from exp2 import true_m, warp
from exp3 import ex_of
from gen import truth

from lab.calibrate.backtest import _repeat_offset
from lab.calibrate.estimator import fit
from lab.calibrate.seasonality import SeasonalityFit

f = pd.read_csv("/tmp/audit15/full.csv")
df = pd.DataFrame(
    {
        "customer_id": f["会员id"],
        "date": pd.to_datetime(f["下单时间"]).dt.normalize(),
        "amount": f["实付金额"],
    }
)
ex, _ = truth(df)
days, m = true_m()
w, cut, hl = warp(df, days, m)
first = w.groupby("customer_id")["date"].min()
h = w[(w.date >= cut) & (w.date < cut + pd.Timedelta(days=hl))]
exw = int((h.customer_id.map(first) < cut).sum())
mw = fit(w[w.date < cut])
mw = dataclasses.replace(
    mw, seasonality=SeasonalityFit(weekday=np.ones(7), month=np.ones(12), events={})
)
ew = ex_of(mw.forecast(f"{round(hl)}D", seeds=range(4), workers=1))
tr = df[df.date < "2025-12-01"]
model = fit(tr)
cal = model.calibration
n = 275
e = _repeat_offset(cal, model.regularity, n)
c = model.seasonality.multipliers(cal.start_date, n + 182)
true_ratio = m[n : n + 182].mean() / ((e * m[:n]).sum() / e.sum())
w2, cut2, _ = warp(tr, pd.date_range(cal.start_date, periods=n + 182), c)
m2 = fit(w2[w2.date < cut2])
m2 = dataclasses.replace(
    m2, seasonality=SeasonalityFit(weekday=np.ones(7), month=np.ones(12), events={})
)
e2 = ex_of(m2.forecast(f"{round(c[n:].sum())}D", seeds=range(4), workers=1))
print(
    json.dumps(
        dict(
            label="audit15",
            ex_truth=ex,
            oracle_warp_truth=exw,
            oracle_warp=round(100 * (ew / exw - 1), 1),
            P2_twopass=round(100 * (e2 / ex - 1), 1),
            fitted_holdout=round(c[n:].mean(), 3),
            true_ratio=round(true_ratio, 3),
            over=round(100 * (c[n:].mean() / true_ratio - 1), 1),
            base=round(model.seasonality.base, 3),
        )
    ),
    flush=True,
)
