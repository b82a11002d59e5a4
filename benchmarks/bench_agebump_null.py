"""The burst LR test's false alarms on plain BG/NBD order logs (lab.calibrate.agebump).

The critical value 5.99 (chi2 with 2 df at 5%) is a convention: under the null beta
sits on its boundary and tau is not identified, so no chi-square law holds.  This
script measures how often :func:`age_term_test` fires on day-stamped logs without a
burst, drawn day by day as the lab writes them: 2,357 customers of a closed cohort
joining over 12 weeks from 2025-01-01 (CDNOW's shape), CDNOW-like BG/NBD rates and
dropout, at most one purchase a day, 273 days, calibration to 2025-09-30.  With
``--beta`` and ``--tau-days`` the logs carry a burst ``1 + beta h(a)`` on each
customer's a-th day (h the day's mean of exp(-age / tau)) and the script reports how
well it is recovered.  The generator is the reviewer's (/tmp/rev1/null_lr.py of
2026-12-02), seeds 0..reps-1.  Results: ``benchmarks/RESULTS_agebump.md`` (correction
of 2026-12-02).

Run: ``PYTHONPATH=$PWD python benchmarks/bench_agebump_null.py [--reps 200]``
(one process, about 0.2 s CPU a log).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from scipy import stats

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # FHL 2005's CDNOW estimates


def day_log(seed: int, beta: float = 0.0, tau_days: float = 21.0, n: int = 2357) -> pd.DataFrame:
    """One order log: customer_id, date (one row per first purchase and purchase day)."""
    rng = np.random.default_rng([seed, 777])
    join = rng.integers(0, 84, n)
    lam = rng.gamma(BG["r"], 1.0 / (BG["alpha"] * 7), n)  # per day
    p = rng.beta(BG["a"], BG["b"], n)
    alive = np.zeros(n, bool)
    cust, day = [], []
    for d in range(273):
        u = rng.random((2, n))
        a = d - join
        h = tau_days * np.exp(-np.maximum(a - 1, 0) / tau_days) * -np.expm1(-1 / tau_days)
        buy = alive & (u[0] < -np.expm1(-lam * (1 + beta * h)))
        alive &= ~(buy & (u[1] < p))
        alive |= join == d
        idx = np.flatnonzero(buy | (join == d))
        cust.append(idx)
        day.append(np.full(idx.size, d))
    cust, day = np.concatenate(cust), np.concatenate(day)
    date = pd.Timestamp("2025-01-01") + pd.to_timedelta(day, unit="D")
    return pd.DataFrame({"customer_id": cust, "date": date})


def one(seed: int, beta: float, tau_days: float) -> dict:
    from lab.calibrate.agebump import age_term_test, fit_bgnbd_age, repeat_ages
    from lab.calibrate.bgnbd import fit_bgnbd
    from lab.calibrate.summary import rfm_summary

    orders = day_log(seed, beta, tau_days)
    s = rfm_summary(orders, "2025-09-30", time_unit_days=7, amount_col=None)
    plain = fit_bgnbd(s)
    age = fit_bgnbd_age(s, repeat_ages(orders, s), plain=plain)
    test = age_term_test(plain, age)
    return {"seed": seed, "lr": test.lr, "use": test.use, "converged": age.converged,
            "beta": age.params["beta"], "tau_days": age.params["tau"] * 7}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--beta", type=float, default=0.0)
    ap.add_argument("--tau-days", type=float, default=21.0)
    args = ap.parse_args()
    t0 = time.process_time()
    df = pd.DataFrame([one(s, args.beta, args.tau_days) for s in range(args.reps)])
    lr, n = df["lr"], len(df)
    k = int((lr > 5.99).sum())
    lo = stats.beta.ppf(0.025, k, n - k + 1) if k else 0.0
    hi = stats.beta.ppf(0.975, k + 1, n - k) if k < n else 1.0
    print(f"{n} logs, beta {args.beta}, tau {args.tau_days} days")
    print(f"LR > 5.99: {k} ({k / n:.1%}, Clopper-Pearson 95% {lo:.1%}-{hi:.1%}); test used "
          f"(LR > 5.99 and converged): {int(df['use'].sum())}; burst fit converged: "
          f"{int(df['converged'].sum())}")  # fmt: skip
    print(f"P(LR < 1e-3) {(lr < 1e-3).mean():.3f}, median {lr.median():.2f}, 95th pct "
          f"{lr.quantile(0.95):.2f}; LR > 2.71: {(lr > 2.71).mean():.1%}, > 3.84: "
          f"{(lr > 3.84).mean():.1%}")  # fmt: skip
    print(f"median beta {df['beta'].median():.3g}, tau {df['tau_days'].median():.3g} days")
    print(f"CPU {time.process_time() - t0:.0f} s")


if __name__ == "__main__":
    main()
