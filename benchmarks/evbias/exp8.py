"""Split P2: refit BG/CNBD-k on the operational-time summary (x, t_x, T) with the
calendar-time gap sums (P1.5), or with operational-time gap sums too (P1.75); then the
operational-time posteriors of P1.  Calendar and forecast otherwise as is."""

import dataclasses
import json
import sys

import numpy as np
import pandas as pd
from exp3 import ex_of, op_existing, op_summary
from gen import make, truth

import lab.calibrate.estimator as E
from lab.calibrate.estimator import fit
from lab.calibrate.regularity import fit_regularity, gap_log_sums


def op_gaps(model):
    cal = model.calibration
    u = cal.fit.time_unit_days
    n = int((model.calibration_end - cal.start_date).days) + 2
    c = model.seasonality.multipliers(cal.start_date, n)
    cum = np.concatenate([[0], np.cumsum(c)])
    o = model.orders.orders
    o = o.loc[o["date"] <= model.calibration_end, ["customer_id", "date"]].copy()
    o["date"] = o["date"].dt.normalize()
    o = o.drop_duplicates().sort_values(["customer_id", "date"])
    d = (o["date"] - cal.start_date).dt.days.to_numpy()
    o["tau"] = cum[d] + 0.5 * c[d]
    gap = o.groupby("customer_id")["tau"].diff() / u
    return np.log(gap).groupby(o["customer_id"]).sum(min_count=0).fillna(0.0)


RULE = "all"


def run(label, tr, ex):
    model = fit(tr, month_rule=RULE)
    label = f"{label} month_rule={RULE}"
    cal = model.calibration
    u = cal.fit.time_unit_days
    s_op = op_summary(model)
    out = dict(label=label, ex_truth=ex)
    for name, gaps in (
        ("P1.5_op_summary", gap_log_sums(model.orders.orders, model.calibration_end, u)),
        ("P1.75_op_summary_and_gaps", op_gaps(model)),
    ):
        reg = fit_regularity(s_op, gaps, k_max=8, time_unit_days=u)
        m2 = dataclasses.replace(model, regularity=reg)
        orig = E.OrderModel.existing_customers
        E.OrderModel.existing_customers = op_existing(m2)
        e = ex_of(m2.forecast("2Q", seeds=range(4), workers=1))
        E.OrderModel.existing_customers = orig
        out[name] = round(100 * (e / ex - 1), 1)
        out[name + "_k"] = int(reg.k)
        out[name + "_params"] = {k: round(v, 3) for k, v in reg.fit.params.items()}
    out["as_is_params"] = {k: round(v, 3) for k, v in model.regularity.fit.params.items()}
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    for a in sys.argv[1:]:
        if a.startswith("--twice"):
            RULE = "twice"
            continue
        if a == "audit":
            f = pd.read_csv("/tmp/audit15/full.csv")
            df = pd.DataFrame(
                {
                    "customer_id": f["会员id"],
                    "date": pd.to_datetime(f["下单时间"]),
                    "amount": f["实付金额"],
                }
            )
            ex, _ = truth(df)
            run("audit15", df[df.date < "2025-12-01"], ex)
        else:
            df = make(seed=int(a))
            ex, _ = truth(df)
            run(f"s{a}", df[df.date <= "2025-11-30"], ex)
