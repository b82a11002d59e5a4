"""Existing- and new-customer 2Q errors of the lab as it is on the importable path (run it
once with the tree before the operational-time refit and once after: issue 15,
benchmarks/RESULTS_oprefit.md), on the audit-style logs of gen.py, or the CDNOW back-test.

    PYTHONPATH=<lab tree>:benchmarks/evbias python benchmarks/evbias/oprefit.py LABEL 15 16 17
    PYTHONPATH=<lab tree>:benchmarks/evbias python benchmarks/evbias/oprefit.py LABEL cdnow
"""

import json
import sys
import time

from gen import make, truth

from lab.calibrate.estimator import fit


def one(label: str, seed: int) -> dict:
    """fit(log to 2025-11-30).forecast("2Q", seeds 0-3) against the generator's truth."""
    t = time.time()
    df = make(seed=seed)
    ex, new = truth(df)
    model = fit(df[df.date <= "2025-11-30"])
    h = model.forecast("2Q", seeds=range(4), workers=1).horizon
    h = h[h.metric == "orders"].set_index("segment")["mean"]
    reg = model.regularity
    return {
        "label": label,
        "log": f"s{seed}",
        "existing_truth": ex,
        "existing": round(float(h["existing"]), 1),
        "existing_err": round(100 * (h["existing"] / ex - 1), 1),
        "new_truth": new,
        "new_err": round(100 * (h["new"] / new - 1), 1),
        "k": int(reg.k),
        "params": {k: round(v, 4) for k, v in reg.fit.params.items()},
        "clock": getattr(reg, "clock", "calendar"),
        "seconds": round(time.time() - t),
    }


def cdnow(label: str) -> dict:
    """The documented CDNOW back-test (docs/calibration.md): 20 seeds, flat prior."""
    from lab.calibrate.backtest import backtest
    from lab.calibrate.datasets import read_cdnow
    from lab.calibrate.ingest import clean_orders

    t = time.time()
    clean = clean_orders(read_cdnow(), source="CDNOW_sample.txt", duplicates="keep")
    bt = backtest(clean, "1997-09-30", holdout_end="1998-06-30", seeds=range(20),
                  seasonality=True, workers=1, progress=False)  # fmt: skip
    e = bt.errors.set_index(["start", "method"])
    rows = {
        m: {c: round(float(e.loc[(s, m), c]), 2) for c in ("forecast", "error_pct", "weekly_mae")}
        for s, m in e.index
        if s == "conditional"
    }
    return {"label": label, "log": "cdnow", "rows": rows, "k": bt.meta.get("regularity_k"),
            "regularity_fit": bt.meta.get("regularity_fit", {}).get("params"),
            "clock": bt.meta.get("purchase_clock", "calendar"), "seconds": round(time.time() - t)}  # fmt: skip


if __name__ == "__main__":
    label = sys.argv[1]
    for a in sys.argv[2:]:
        out = cdnow(label) if a == "cdnow" else one(label, int(a))
        print(json.dumps(out), flush=True)
