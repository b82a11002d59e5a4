"""Headline metrics from a run's arrays equal, bit for bit, those of the table functions.

:func:`lab.analysis.headline.headline_metrics` computes a run's numbers from its arrays
(:mod:`lab.analysis.run_arrays`) and must give exactly what
:func:`headline_from_tables` (the pandas table functions) gives: same floats, not
close ones, because replications and comparisons are compared and pinned run by run.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import lab
from lab.analysis.headline import HEADLINE_METRICS, headline_from_tables, headline_metrics
from lab.analysis.orders import as_order_data
from lab.analysis.run_arrays import kahan_group_sums, kahan_mean, run_arrays

SCENARIOS = (
    "scenarios/baseline.yaml",
    "scenarios/q1_weekly_20off.yaml",
    "scenarios/q2_membership_99.yaml",
    "scenarios/q4_referral_reward_50.yaml",
    "scenarios/q7_stored_value.yaml",
    "scenarios/q8_fission_saturation.yaml",
)


def _bits(metrics: dict[str, float]) -> dict[str, str]:
    """Each value's exact bits (``repr`` of the float: NaN equals NaN, 0.1 + 0.2 != 0.3)."""
    return {k: repr(float(v)) for k, v in metrics.items()}


@pytest.fixture(scope="module", params=SCENARIOS)
def run(request):
    return lab.run(lab.load_scenario(request.param), seed=7, days=150)


def test_arrays_give_the_tables_numbers_bit_for_bit(run):
    fast = headline_metrics(run)
    assert list(fast) == list(HEADLINE_METRICS)
    assert _bits(fast) == _bits(headline_from_tables(run))
    assert _bits(headline_metrics(as_order_data(run))) == _bits(fast)
    assert math.isfinite(fast["ltv_net"]) and math.isfinite(fast["fatigue_index"])


def test_alive_end_counts_the_customers_not_dropped_out(run):
    """``alive_end`` is the latent count of the customer table's ``alive`` flag at the
    end, and it can differ from the observable ``active_end`` (the lifecycle stage)."""
    m = headline_metrics(run)
    assert m["alive_end"] == float(run.customers["alive"].sum())
    assert 0 < m["alive_end"] <= m["customers"]


def test_the_run_keeps_its_tables(run):
    """Metrics from the arrays leave the Python API's tables as they are."""
    before = run.transactions.copy(), run.customers.copy()
    headline_metrics(run)
    pd.testing.assert_frame_equal(run.transactions, before[0])
    pd.testing.assert_frame_equal(run.customers, before[1])


def test_any_order_of_the_log_and_any_customer_ids(run):
    """Orders out of day order and ids that are not 0..n-1: the same as the tables again."""
    d = as_order_data(run)
    shuffled = d.orders.sample(frac=1.0, random_state=3).reset_index(drop=True)
    moved = replace(d, orders=shuffled)
    assert _bits(headline_metrics(moved)) == _bits(headline_from_tables(moved))
    detected = replace(d, daily=d.daily.drop(columns="offered"))  # promotions from the orders
    assert _bits(headline_metrics(detected)) == _bits(headline_from_tables(detected))
    shift = 1000
    renamed = replace(
        d,
        orders=d.orders.assign(customer_id=d.orders["customer_id"] + shift),
        customers=d.customers.assign(customer_id=d.customers["customer_id"] + shift),
    )
    assert run_arrays(renamed) is not None
    assert _bits(headline_metrics(renamed)) == _bits(headline_metrics(d))
    assert _bits(headline_metrics(renamed)) == _bits(headline_from_tables(renamed))


def test_known_buyers_only_and_a_shorter_horizon(tmp_path):
    from lab.calibrate.ingest import clean_orders
    from lab.calibrate.scenario_out import calibrate, write_calibration
    from lab.calibrate.synthetic import synthetic_order_log

    params = {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 3.0}
    log = synthetic_order_log(params, 200, join_weeks=8, days=90, seed=5)
    paths = write_calibration(calibrate(clean_orders(log, source="shop.csv")), tmp_path / "s.yaml")
    res = lab.run(lab.load_scenario(paths["scenario"]), seed=2)
    fast = headline_metrics(res)
    assert math.isnan(fast["conversion_rate"])
    assert _bits(fast) == _bits(headline_from_tables(res))
    assert _bits(headline_metrics(res, 30)) == _bits(headline_from_tables(res, 30))


def test_a_real_order_log_goes_to_the_tables_and_their_message():
    log = pd.DataFrame(
        {"customer_id": [1, 1, 2], "date": ["2026-01-01", "2026-01-05", "2026-01-02"],
         "amount": [10.0, 12.0, 8.0]}
    )  # fmt: skip
    assert run_arrays(log) is None
    assert run_arrays(as_order_data(log)) is None
    with pytest.raises(ValueError, match="acquisition costs are unknown"):
        headline_metrics(log)


def _wide_values(rng, n):
    return rng.standard_normal(n) * 10.0 ** rng.integers(-8, 9, n)


def test_compensated_sums_are_pandas_groupby_sums_bit_for_bit():
    rng = np.random.default_rng(0)
    naive_differs = 0
    for _ in range(40):
        n, groups = 3000, 40
        group = rng.integers(0, groups, n)
        values = _wide_values(rng, n)
        values[rng.integers(0, n, 5)] = np.nan  # skipped, as pandas skips them
        ref = pd.DataFrame({"g": group, "v": values}).groupby("g")["v"].sum()
        got = kahan_group_sums(group, values, groups)
        assert np.array_equal(got[ref.index.to_numpy()], ref.to_numpy())
        take = rng.random(n) < 0.7
        want = pd.DataFrame({"a": "all", "v": values[take]}).groupby(["a"])["v"].mean().iloc[0]
        assert kahan_mean(values, take) == want
        naive_differs += np.nanmean(values[take]) != want
    assert naive_differs > 0  # a plain mean would not do: the check can tell them apart
    assert math.isnan(kahan_mean(np.ones(3), np.zeros(3, dtype=bool)))
    assert np.array_equal(kahan_group_sums(np.zeros(0, np.int64), np.zeros(0), 2), [0.0, 0.0])


def test_experiment_metrics_build_no_order_or_customer_frame():
    """A sweep's metrics (headline and service level) read the arrays and the daily table."""
    from lab.analysis.service import service_level
    from lab.experiments.runstore import experiment_metrics

    res = lab.run(lab.load_scenario("scenarios/q5_guides_staffing_small.yaml"), seed=4, days=60)
    got = experiment_metrics(res)
    assert "transactions" not in vars(res) and "customers" not in vars(res)  # never built
    assert got["chat_service_level"] > 0
    want = {**headline_from_tables(res), **service_level(as_order_data(res))}
    assert _bits({k: got[k] for k in want if k in got}) == _bits(
        {k: want[k] for k in want if k in got}
    )
