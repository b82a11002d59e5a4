"""month_rule='twice' (Mar-May, seen once, take the flat prior) and P2 on the generator seeds / audit log."""

import json
import sys

import pandas as pd
from exp3 import ex_of, op_existing
from gen import make, truth

import lab.calibrate.estimator as E
from lab.calibrate.estimator import fit


def p2(model):
    cal = model.calibration
    n = int((model.calibration_end - cal.start_date).days) + 1
    c = model.seasonality.multipliers(cal.start_date, n + 182)
    days = pd.date_range(cal.start_date, periods=n + 182)
    model.orders.orders.rename(columns={})
    return c, n, days


def run(label, tr, ex):
    out = dict(label=label, ex_truth=ex)
    for rule in ("all", "twice"):
        model = fit(tr, month_rule=rule)
        e0 = ex_of(model.forecast("2Q", seeds=range(4), workers=1))
        orig = E.OrderModel.existing_customers
        E.OrderModel.existing_customers = op_existing(model)
        e1 = ex_of(model.forecast("2Q", seeds=range(4), workers=1))
        E.OrderModel.existing_customers = orig
        out[rule] = round(100 * (e0 / ex - 1), 1)
        out[rule + "+P1"] = round(100 * (e1 / ex - 1), 1)
        out[rule + "_months"] = [round(x, 2) for x in model.seasonality.month]
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    for a in sys.argv[1:]:
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
