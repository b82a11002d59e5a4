"""Holdout calendar level: fitted (base x months x weekdays over Dec-May) vs the truth's
(true multiplier over the holdout / its e_d-weighted mean over the calibration)."""

import json
import sys

from exp2 import true_m
from gen import make

from lab.calibrate.backtest import _repeat_offset
from lab.calibrate.estimator import fit

camps = [dict(name="spring", start="2025-04-10", end="2025-04-12")]
for s in map(int, sys.argv[1:]):
    df = make(seed=s)
    tr = df[df.date <= "2025-11-30"]
    days, m = true_m()
    for cp in (None, camps):
        model = fit(tr, campaigns=cp)
        cal = model.calibration
        n = 275
        e = _repeat_offset(cal, model.regularity, n)
        c = model.seasonality.multipliers(cal.start_date, n + 182)
        true_ratio = m[n : n + 182].mean() / ((e * m[:n]).sum() / e.sum())
        fit_h = c[n:].mean()
        dec_feb = c[n : n + 90].mean()
        mar_may = c[n + 90 :].mean()
        print(
            json.dumps(
                dict(
                    s=s,
                    campaigns=cp is not None,
                    fitted_holdout=round(fit_h, 3),
                    true_ratio=round(true_ratio, 3),
                    over=round(100 * (fit_h / true_ratio - 1), 1),
                    dec_feb=round(dec_feb, 3),
                    mar_may=round(mar_may, 3),
                    base=round(model.seasonality.base, 3),
                    months=[round(x, 2) for x in model.seasonality.month],
                )
            ),
            flush=True,
        )
