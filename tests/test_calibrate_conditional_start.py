"""The lab's conditional start under regular timing is the BG/CNBD-k model's (issue 15).

From the calibration end, the lab simulating the calibrated Erlang-k scenario must
forecast what BG/CNBD-k expects for the same fitted parameters
(:func:`~lab.calibrate.regularity.cnbdk_conditional_expected`).  Two things made it
under-forecast regular logs before: the clock's phase was seeded with the expected
number of stages done, which the clock counts as its integer part (half a stage late
on average: -5% on this log), and the rates were read as daily chances, which speeds
the Erlang clock up (+2%).  Fixed seeds throughout; tolerances from the run-to-run sd.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import lab
from lab.calibrate.ingest import clean_orders
from lab.calibrate.regularity import cnbdk_conditional_expected, fit_regularity, gap_log_sums
from lab.calibrate.scenario_out import (
    NEUTRAL,
    calibrate,
    conditional_customers_cnbdk,
    erlang_timing,
    scenario_dict,
)
from lab.known_customers import write_known_customers
from lab.scenario import scenario_from_dict
from tests.conftest import bare

START = "2026-03-02"
N, DAYS, CAL_DAYS, HOLDOUT = 3000, 320, 170, 150


@pytest.fixture(scope="module")
def regular_fit():
    """A lab-made Erlang-3 log (rate Gamma(0.8, 40/day), dropout Beta(0.5, 6)), calibrated
    on its first 170 days, with BG/CNBD-k (k found: 3)."""
    traits = {
        "default": {
            "propensity_per_day": {"dist": "gamma", "mean": 0.02, "shape": 0.8},
            "dropout_after_purchase": {"dist": "beta", "mean": 0.5 / 6.5, "concentration": 6.5},
        }
    }
    sc = bare(
        N, DAYS, traits=traits, start_date=START, purchase={"timing": "erlang", "timing_k": 3}
    )
    res = lab.run(sc, seed=21)
    history = pd.DataFrame(
        {
            "customer_id": res.customers["customer_id"],
            "date": pd.Timestamp(START) - pd.Timedelta(days=1),
        }
    )
    log = pd.concat(
        [history.assign(amount=100.0), res.transactions[["customer_id", "date", "amount"]]]
    )
    orders = clean_orders(log)
    end = pd.Timestamp(START) + pd.Timedelta(days=CAL_DAYS - 1)
    cal = calibrate(orders, end, model="bgnbd")
    u = cal.fit.time_unit_days
    reg = fit_regularity(
        cal.summary, gap_log_sums(orders.orders, end, u), k_max=3, time_unit_days=u
    )
    return cal, reg


def _holdout_runs(cal, reg, tmp_path, runs: int) -> np.ndarray:
    """Repeat orders in the holdout of ``runs`` lab runs of the conditional scenario
    (each run its own stage draws and seed; the point estimate)."""
    totals = []
    for i in range(runs):
        path = tmp_path / f"run{i}.csv"
        write_known_customers(conditional_customers_cnbdk(cal, reg.fit, reg.k, seed=i), path)
        sc = scenario_dict(
            dataclasses.replace(cal, fit=dataclasses.replace(reg.fit, model="bgnbd")),
            str(path), days=HOLDOUT + 1, start_date=cal.calibration_end, book_first_order=False,
        )  # fmt: skip
        daily = lab.run(
            scenario_from_dict(erlang_timing(sc, reg.k), source=str(path)), seed=100 + i
        ).daily
        totals.append(float((daily["orders"] - daily["first_orders"]).iloc[1:].sum()))
    return np.array(totals)


def test_lab_forecast_is_the_bgcnbdk_expectation(regular_fit, tmp_path):
    cal, reg = regular_fit
    assert reg.k == 3
    s = cal.summary
    x, t_x, T = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    exact = cnbdk_conditional_expected(reg.fit.params, reg.k, HOLDOUT / 7.0, x, t_x, T).sum()
    totals = _holdout_runs(cal, reg, tmp_path, runs=12)
    se = totals.std(ddof=1) / np.sqrt(totals.size)
    print(f"\nexact {exact:.1f}, lab {totals.mean():.1f} +- {se:.1f} (SE), {totals}")
    # 4 Monte Carlo SE (~0.6% of ~4,500 orders each) plus 0.5% for the day step (at most
    # one order a day); the old start was 3-5% low, outside this band
    assert abs(totals.mean() - exact) < 4 * se + 0.005 * exact


def test_erlang_clock_reads_rates_as_rates(tmp_path):
    """4,000 known customers with the same daily rate and phase: the holdout count of the
    Erlang-3 clock is the continuous-time one, P(Poisson(3 lam t) >= 3j - m) summed over
    j; reading the rate as a daily chance would make it 1.5% higher (10 SE here)."""
    lam, k, days, n, m0 = 0.03, 3, 200, 4000, 1.0
    table = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "join_date": "2026-01-01",
            "prior_orders": 1,
            "last_purchase_date": "2025-12-31",
            "propensity_shape": 1e6,  # the rate lam for everyone
            "propensity_rate_per_day": 1e6 / lam,
            "dropout_a": 1e-6,  # nobody leaves
            "dropout_b": 1e6,
            "purchase_phase": m0,
        }
    )
    path = tmp_path / "same.csv"
    write_known_customers(table, path)
    sc = json.loads(json.dumps(NEUTRAL))
    sc["acquisition"]["known_customers"] = {
        "enabled": True,
        "file": str(path),
        "book_first_order": False,
    }
    sc["dropout"] = {"after_purchase": True, "per_day": False}  # the table's: nobody leaves
    sc.update(name="clock", days=days + 1, start_date="2026-01-01")
    assert erlang_timing(json.loads(json.dumps(sc)), 1) == sc  # k = 1: the Poisson clock as it was
    sc = erlang_timing(sc, k)
    assert sc["acquisition"]["known_customers"]["rate_is_daily_chance"] is False
    daily = lab.run(scenario_from_dict(sc, source=str(path)), seed=3).daily
    got = float((daily["orders"] - daily["first_orders"]).iloc[1:].sum()) / n
    exact = sum(stats.poisson.sf(j * k - m0 - 1, k * lam * days) for j in range(1, 100))
    # per customer the count's sd is about sqrt(lam days / k) = 1.4: SE 0.022 over 4,000
    print(f"\nper customer: lab {got:.3f}, continuous-time clock {exact:.3f}")
    assert abs(got - exact) < 4 * 0.022, (got, exact)
