"""One more round: the calendar's offset e_d from the operational-time refitted model
(issue 15, the item left open in benchmarks/RESULTS_oprefit.md).  Decision rule in
benchmarks/RESULTS_monthsages.md ("Second item"), written before the run.

On the audit-style open logs of gen.py (to 2025-11-30), for each log:

* ``now``: ``fit(log)``, the lab as it is: BG/CNBD-k in calendar time -> the calendar
  against its expected daily repeats e_d -> BG/CNBD-k refitted in that calendar's
  operational time;
* ``round2``: then e_d recomputed from the refitted model (its r, alpha, a, b and k, in
  calendar time as the first pass's), the calendar fitted again against it (same rules,
  prior, campaigns) and BG/CNBD-k refitted again from the first pass in the new calendar's
  operational time.

Both forecast 2Q with the same seeds (0-3, parameter draws on, as RESULTS_oprefit.md);
existing customers' orders against the generator's truth.

    PYTHONPATH=$PWD:benchmarks/evbias python benchmarks/evbias/offset_round.py 15 16 17 ...
"""

import dataclasses
import json
import sys
import time

from gen import make, truth

from lab.calibrate.estimator import _fit_calendar, _purchase_in_operational_time, fit


def round2(model):
    """``model`` with its calendar refitted against the refitted model's e_d, and the
    purchase model refitted again in that calendar's operational time."""
    reg, seas = model.regularity, model.seasonality
    cal = model.calibration
    if reg.k == 1:  # the offset of k = 1 is BG/NBD's closed form of cal.fit
        cal = dataclasses.replace(cal, fit=dataclasses.replace(reg.fit, model="bgnbd"))
    again = _fit_calendar(
        model.orders, cal, reg, model.campaigns, list(seas.prior_shape), seas.rule,
        seas.month_rule,
    )  # fmt: skip
    reg2 = _purchase_in_operational_time(model, reg.first_pass, again)
    return dataclasses.replace(model, regularity=reg2, seasonality=again)


def existing(model) -> float:
    h = model.forecast("2Q", seeds=range(4), workers=1).horizon
    return float(h[(h.metric == "orders") & (h.segment == "existing")]["mean"].iloc[0])


def one(seed: int) -> dict:
    t = time.time()
    df = make(seed=seed)
    ex, _ = truth(df)
    now = fit(df[df.date <= "2025-11-30"])
    two = round2(now)
    out = {"log": f"s{seed}", "existing_truth": ex}
    for name, m in (("now", now), ("round2", two)):
        f = existing(m)
        out[name] = {
            "existing": round(f, 1),
            "err": round(100 * (f / ex - 1), 2),
            "k": int(m.regularity.k),
            "clock": m.regularity.clock,
            "params": {k: round(v, 4) for k, v in m.regularity.fit.params.items()},
            "base": round(float(m.seasonality.base), 4),
            "events": {k: round(v, 3) for k, v in m.seasonality.events.items()},
            "months": [round(float(v), 3) for v in m.seasonality.month],
        }
    out["seconds"] = round(time.time() - t)
    return out


if __name__ == "__main__":
    for a in sys.argv[1:]:
        print(json.dumps(one(int(a))), flush=True)
