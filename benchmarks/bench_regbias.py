"""Back-test of lab-made regular (Erlang-k) and Poisson (k = 1) logs: the lab's holdout
error against the actual and against the exact BG/CNBD-k expectation (issue 15).

Each log is the ``_log`` design of ``tests/test_calibrate_seasonality.py`` (a pure
BG/NBD-like lab pool: rate Gamma(0.8, 40/day), dropout Beta(0.5, 6) after each order,
everyone with one order the day before day 0) with 3,000 customers over 400 days,
calibrated on the first 200 days and back-tested on the last 200
(:func:`lab.calibrate.backtest.backtest` with ``seasonality=True``: the ``lab`` method
is the calibrated Erlang-k lab, 100 holdout runs with parameter draws).

Run from the repository root, one log per call (``K SEED``), results appended as one
JSON line to ``--out``; ``PYTHONPATH`` chooses the lab tree (so the same script
measures a checkout of the base commit)::

    PYTHONPATH=$PWD python benchmarks/bench_regbias.py 3 1 --out /tmp/after.jsonl
"""

from __future__ import annotations

import argparse
import json
import time

import pandas as pd

import lab
from lab.calibrate.backtest import backtest
from lab.calibrate.ingest import clean_orders
from tests.conftest import bare

R, ALPHA_DAYS, A, B = 0.8, 40.0, 0.5, 6.0
START = "2026-03-02"


def make_log(k: int, seed: int, n: int = 3000, days: int = 400) -> pd.DataFrame:
    """The lab-made order log (``k`` = 1: Poisson timing)."""
    traits = {
        "default": {
            "propensity_per_day": {"dist": "gamma", "mean": R / ALPHA_DAYS, "shape": R},
            "dropout_after_purchase": {"dist": "beta", "mean": A / (A + B), "concentration": A + B},
        }
    }
    sec = {} if k == 1 else {"purchase": {"timing": "erlang", "timing_k": k}}
    res = lab.run(bare(n, days, traits=traits, start_date=START, **sec), seed=seed)
    orders = res.transactions[["customer_id", "date", "amount"]]
    day0 = pd.Timestamp(START)
    history = pd.DataFrame(
        {"customer_id": res.customers["customer_id"], "date": day0 - pd.Timedelta(days=1)}
    )
    return pd.concat([history.assign(amount=100.0), orders], ignore_index=True)


def exact_expectation(bt, orders, params=None, k=None) -> float | None:
    """Sum of the customers' exact BG/CNBD-k E[Y | x, t_x, T] over the holdout at the
    fitted point estimate, or at ``params``/``k`` given in the fit's time unit (None on
    a lab without the function: the base commit)."""
    try:
        from lab.calibrate.regularity import cnbdk_conditional_expected
    except ImportError:
        return None
    s = bt.calibration.summary
    p = bt.meta["regularity_fit"]["params"] if params is None else params
    k = bt.meta["regularity_k"] if k is None else k
    t = (bt.holdout_end - bt.calibration.calibration_end).days / bt.calibration.fit.time_unit_days
    x, t_x, T = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    return float(cnbdk_conditional_expected(p, k, t, x, t_x, T).sum())


def true_params(unit_days: float) -> dict:
    """The design's r, alpha, a, b in a fit's time unit (alpha is in days)."""
    return {"r": R, "alpha": ALPHA_DAYS / unit_days, "a": A, "b": B}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("k", type=int)
    ap.add_argument("seed", type=int)
    ap.add_argument("--out", required=True)
    ap.add_argument("--label", default="")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument(
        "--force", action="store_true",
        help="back-test even when the BG/NBD fit has problems (backtest(force=True))",
    )  # fmt: skip
    args = ap.parse_args()
    t0 = time.process_time()
    w0 = time.time()
    orders = clean_orders(make_log(args.k, args.seed))
    end = pd.Timestamp(START) + pd.Timedelta(days=199)
    bt = backtest(
        orders, end, seeds=range(args.seeds), seasonality=True, k_max=5, workers=1,
        progress=False, force=args.force,
    )  # fmt: skip
    e = bt.errors.set_index(["start", "method"])
    row = {
        "label": args.label,
        "lab_file": lab.__file__,
        "k_true": args.k,
        "log_seed": args.seed,
        "k_fit": bt.meta["regularity_k"],
        "actual": float(e.loc[("conditional", "lab"), "actual"]),
        "exact_cnbdk": exact_expectation(bt, orders),
        "cpu_s": None,
        "forced": args.force,
        "fit_problems": bt.meta.get("fit_problems"),
    }
    # fitted vs true parameters, and the exact expectation at the truth (same records)
    reg = bt.meta.get("regularity_fit")
    if reg is not None:
        unit = float(reg["time_unit_days"])
        row["time_unit_days"] = unit
        row["fit_params"] = reg["params"]
        row["fit_se"] = reg["se"]
        row["k_set"] = list(bt.meta.get("regularity_k_set", []))
        row["reg_converged"] = reg.get("converged")
        row["exact_cnbdk_true"] = exact_expectation(bt, orders, true_params(unit), args.k)
    for key in ("exact_cnbdk", "exact_cnbdk_true"):
        if row.get(key) is not None:
            row[f"{key}_error_pct"] = 100.0 * (row[key] / row["actual"] - 1.0)
    row["wall_s"] = time.time() - w0
    for method in ("lab", "simulation", "closed_form"):
        r = e.loc[("conditional", method)]
        for col in ("forecast", "error_pct", "mc_se", "predictive_sd", "weekly_mae"):
            row[f"{method}_{col}"] = None if pd.isna(r[col]) else float(r[col])
    row["cpu_s"] = time.process_time() - t0
    with open(args.out, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")
    print(json.dumps(row))


if __name__ == "__main__":
    main()
