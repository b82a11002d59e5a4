"""P1: condition each existing customer on operational time (fitted calendar), global fit unchanged.
P2: two-pass: warp the calibration log through the fitted calendar, refit without calendar."""

import dataclasses
import json
import sys

import numpy as np
import pandas as pd
from exp2 import warp
from gen import make, truth

from lab.calibrate.estimator import fit
from lab.calibrate.seasonality import SeasonalityFit


def op_summary(model):
    cal = model.calibration
    s = cal.summary.copy()
    u = cal.fit.time_unit_days
    n = int((model.calibration_end - cal.start_date).days) + 2
    c = model.seasonality.multipliers(cal.start_date, n)
    cum = np.concatenate([[0], np.cumsum(c)])
    f = (pd.to_datetime(s["first_purchase"]) - cal.start_date).dt.total_seconds().to_numpy() / 86400

    def op(a, b):
        return np.interp(f + b, np.arange(cum.size), cum) - np.interp(
            f + a, np.arange(cum.size), cum
        )

    s["T"] = op(0, s["T"].to_numpy() * u) / u
    s["recency"] = op(0, s["recency"].to_numpy() * u) / u
    return s


def op_existing(model):
    from lab.calibrate.regularity import p_alive_cnbdk, stage_posterior
    from lab.calibrate.scenario_out import draw_clock_stages

    s = op_summary(model)
    orig = type(model).existing_customers

    def patched(self, fit=None, seed=0):
        fit = self.regularity.fit if fit is None else fit
        base = orig(self, fit, seed)
        p, u, k = fit.params, fit.time_unit_days, self.regularity.k
        x, t_x, T = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
        m = draw_clock_stages(stage_posterior(p, k, x, t_x, T), base["customer_id"], seed)
        base["propensity_shape"] = p["r"] + x * k + m
        base["propensity_rate_per_day"] = (p["alpha"] + k * T) * u
        base["p_alive"] = p_alive_cnbdk(p, k, x, t_x, T)
        if k > 1:
            base["purchase_phase"] = m
        return base

    return patched


def ex_of(fc):
    h = fc.horizon
    return h[(h.metric == "orders") & (h.segment == "existing")]["mean"].iloc[0]


if __name__ == "__main__":
    for s in map(int, sys.argv[1:]):
        df = make(seed=s)
        ex, _ = truth(df)
        tr = df[df.date <= "2025-11-30"]
        model = fit(tr)
        e0 = ex_of(model.forecast("2Q", seeds=range(4), workers=1))
        import lab.calibrate.estimator as E

        orig = E.OrderModel.existing_customers
        E.OrderModel.existing_customers = op_existing(model)
        e1 = ex_of(model.forecast("2Q", seeds=range(4), workers=1))
        E.OrderModel.existing_customers = orig
        # P2
        cal = model.calibration
        n = int((model.calibration_end - cal.start_date).days) + 1
        c = model.seasonality.multipliers(cal.start_date, n + 182)
        days = pd.date_range(cal.start_date, periods=n + 182)
        w, cut, _ = warp(tr, days, c)
        hl = c[n:].sum()
        m2 = fit(w[w.date < cut])
        m2 = dataclasses.replace(
            m2, seasonality=SeasonalityFit(weekday=np.ones(7), month=np.ones(12), events={})
        )
        e2 = ex_of(m2.forecast(f"{round(hl)}D", seeds=range(4), workers=1))
        print(
            json.dumps(
                dict(
                    label=f"s{s}",
                    ex_truth=ex,
                    as_is=round(100 * (e0 / ex - 1), 1),
                    P1_op_conditioning=round(100 * (e1 / ex - 1), 1),
                    P2_twopass=round(100 * (e2 / ex - 1), 1),
                    hl=round(hl, 1),
                    k=int(model.regularity.k),
                    k2=int(m2.regularity.k),
                )
            ),
            flush=True,
        )
