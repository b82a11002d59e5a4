"""The back-test's lab row on closed-cohort logs without a true calendar (issue 15,
benchmarks/RESULTS_oprefit.md): the early-life burst logs of
tests/test_calibrate_backtest_lab.py (seeds 5-8) and its plain BG/NBD fixture log.
Run from the worktree once per lab tree (the tree first on PYTHONPATH):

    PYTHONPATH=<lab tree>:$PWD python benchmarks/evbias/oprefit_closed.py LABEL
"""

import json
import sys

from lab.calibrate.backtest import backtest
from lab.calibrate.ingest import clean_orders
from lab.calibrate.synthetic import synthetic_order_log
from tests.test_calibrate_backtest_lab import PARAMS, _burst_log


def row(name: str, log, end: str) -> dict:
    """Holdout error and weekly MAE of the lab and the closed-form rows."""
    bt = backtest(clean_orders(log), end, seeds=range(2), runs_per_seed=10, k_max=2,
                  parameter_uncertainty=False, workers=1, progress=False, seasonality=True,
                  force=True)  # fmt: skip
    e = bt.errors.set_index(["start", "method"])
    methods = ("lab", "closed_form_seasonal", "closed_form", "bgnbd_age")
    cols = ("forecast", "error_pct", "weekly_mae")
    out = {m: [round(float(e.loc[("conditional", m), c]), 1) for c in cols] for m in methods}
    return {"tree": sys.argv[1], "log": name, "actual": float(e.loc[("conditional", "lab"), "actual"]), **out}  # fmt: skip


if __name__ == "__main__":
    for seed in (5, 6, 7, 8):
        print(json.dumps(row(f"burst seed {seed}", _burst_log(n=800, days=400, seed=seed), "2025-08-31")), flush=True)  # fmt: skip
    plain = synthetic_order_log(PARAMS, 400, join_weeks=8, days=240, seed=6)
    print(json.dumps(row("plain BG/NBD closed cohort (seed 6)", plain, "2025-06-30")), flush=True)
