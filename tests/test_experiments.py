"""Replications and paired comparisons: worker-count invariance, a known effect, and
the paired interval against the unpaired one on the same runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lab
from lab.experiments import (
    DAILY_METRICS,
    compare,
    interval_widths,
    paired_interval,
    replicate,
    unpaired_interval,
)
from tests.conftest import bare, merge

SMALL = {
    "acquisition": {
        "stock_import": {"customers_per_day": 100, "total_customers": 1500},
        "paid": {"daily_budget_cny": 600},
    }
}


@pytest.fixture(scope="module")
def small() -> lab.Scenario:
    base = lab.load_scenario("scenarios/baseline.yaml")
    return base.model_copy(
        update={"acquisition": lab.scenario_from_dict(merge({"name": "s"}, SMALL)).acquisition}
    )


def test_replications_do_not_depend_on_the_number_of_workers(small):
    one = replicate(small, seeds=[1, 2, 3, 4], days=60, workers=1, progress=False)
    two = replicate(small, seeds=[1, 2, 3, 4], days=60, workers=2, progress=False)
    pd.testing.assert_frame_equal(one.daily, two.daily)
    pd.testing.assert_frame_equal(one.totals, two.totals)
    assert list(one.daily.columns) == ["scenario", "seed", "day", "metric", "value"]
    s = one.summary().set_index("metric")
    assert s.loc["gmv", "p10"] <= s.loc["gmv", "median"] <= s.loc["gmv", "p90"]
    assert s.loc["gmv", "n"] == 4
    b = one.bands("cum_gmv")
    assert len(b) == 60 and (b["p10"] <= b["p90"]).all()
    assert one.meta["seeds"] == [1, 2, 3, 4] and one.meta["git_commit"]


def test_replicate_names_unknown_daily_metrics(small):
    with pytest.raises(ValueError, match=r"unknown daily metric.*no_such_kpi"):
        replicate(small, seeds=[1], days=5, workers=1, daily_metrics=["gmv", "no_such_kpi"])


def test_intervals_by_hand():
    a, b = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 3.5, 4.0, 5.5])
    p = paired_interval(a, b, 0.9)
    d = b - a  # 1, 1.5, 1, 1.5: mean 1.25, sd 0.2887
    half = 2.353363 * d.std(ddof=1) / 2  # t(0.95, 3) = 2.353363
    assert p.estimate == pytest.approx(1.25) and p.low == pytest.approx(1.25 - half, rel=1e-6)
    assert p.excludes_zero
    u = unpaired_interval(a, b, 0.9)
    assert u.estimate == pytest.approx(1.25) and u.width > p.width and not u.excludes_zero


def _known_effect_scenarios(scale: float):
    def sc(mean):
        return bare(
            2000,
            90,
            dropout={"after_purchase": False, "per_day": False},
            traits={
                "default": {"propensity_per_day": {"dist": "gamma", "mean": mean, "shape": 0.6}}
            },
        )

    return sc(0.01), sc(0.01 * scale)


def test_comparison_recovers_a_known_effect():
    # B's customers are A's with every purchase rate x1.25 (same draws: CRN), nothing
    # else differs and nobody drops out.  Each customer-day buys with p = 1 - exp(-rate),
    # so the expected extra orders are sum over customers and days of p_B - p_A, and a
    # customer-day's extra order is Bernoulli(p_B - p_A) (B buys whenever A does).
    sa, sb = _known_effect_scenarios(1.25)
    seeds = [1, 2, 3, 4, 5, 6]
    # the lever is a trait, outside the strategies section, on purpose: no warning
    cmp = compare({"A": sa, "B": sb}, seeds, workers=1, progress=False, warn_confounded=False)
    assert [d.path for d in cmp.scenario_diffs["B"]] == ["traits.default.propensity_per_day.mean"]
    row = cmp.table.set_index("metric").loc["orders"]
    expected, var = [], []
    for s in seeds:
        ca = lab.run(sa, seed=s).customers
        cb = lab.run(sb, seed=s).customers
        assert np.allclose(cb["propensity"], 1.25 * ca["propensity"])  # CRN: same customers
        q = np.exp(-ca["propensity"].to_numpy()) - np.exp(-cb["propensity"].to_numpy())
        expected.append(90 * q.sum())
        var.append(90 * (q * (1 - q)).sum())
    se = np.sqrt(np.sum(var)) / len(seeds)
    # 4 standard errors: a correct engine fails this less than once in 10 000 runs
    assert abs(row["diff_mean"] - np.mean(expected)) < 4 * se
    assert row["excludes_zero"] and row["diff_low"] > 0 and "higher" in row["verdict"]
    assert (cmp.differences.query("metric == 'orders'")["diff"] > 0).all()  # B buys whenever A does


def test_paired_interval_is_much_narrower_than_unpaired(small, record_property):
    deeper = small.with_changes({"strategies[0].depth": 0.3})
    cmp = compare({"A": small, "B": deeper}, seeds=range(8), days=90, workers=2, progress=False)
    ratios = {m: float(interval_widths(cmp, m)["ratio"]) for m in ("gmv", "net_margin", "orders")}
    for m, r in ratios.items():
        record_property(f"paired_unpaired_ratio_{m}", round(r, 3))
    print("paired / unpaired interval width:", {m: round(r, 3) for m, r in ratios.items()})
    # with CRN the per-seed differences vary ~10x less than the outcomes themselves
    assert all(r < 0.35 for r in ratios.values()), ratios
    t = cmp.table.set_index("metric")
    assert t.loc["discount_cost", "excludes_zero"] and t.loc["discount_cost", "diff_low"] > 0
    assert set(cmp.replications.totals["scenario"].unique()) == {"A", "B"}


def test_compare_checks_its_inputs(small):
    with pytest.raises(ValueError, match="at least two"):
        compare({"A": small}, [1, 2])
    with pytest.raises(KeyError, match="baseline 'C'"):
        compare({"A": small, "B": small}, [1, 2], baseline="C")


def test_docs_uncertainty_example_runs():
    import re
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    text = Path("docs/comparisons.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(compile(block, "docs/comparisons.md", "exec"), namespace)
    table = namespace["cmp"].table.set_index("metric")
    assert table.loc["discount_cost", "excludes_zero"]  # weekly promotions cost more
    plt.close(namespace["ax"].figure)


def test_replications_on_a_warm_pool_equal_a_fresh_one_and_keep_its_workers(small):
    from lab.parallel import LocalExecutor

    kw = dict(seeds=[1, 2, 3], days=40, progress=False)
    fresh = replicate(small, workers=1, **kw)
    pool = LocalExecutor(2)
    try:
        first = replicate(small, executor=pool, **kw)
        workers = set(pool._pool._processes)
        second = replicate(small, executor=pool, **kw)
        assert set(pool._pool._processes) == workers and len(workers) == 2  # kept warm
    finally:
        pool.close()
    for reps in (first, second):
        pd.testing.assert_frame_equal(fresh.daily, reps.daily, check_exact=True)
        pd.testing.assert_frame_equal(fresh.totals, reps.totals, check_exact=True)


def test_replications_without_end_of_run_metrics_keep_the_same_daily_kpis(small):
    kw = dict(seeds=[1, 2], days=30, workers=1, progress=False)
    full = replicate(small, **kw)
    daily_only = replicate(small, metrics=None, **kw)
    pd.testing.assert_frame_equal(full.daily, daily_only.daily, check_exact=True)
    assert daily_only.totals.empty and list(daily_only.totals.columns) == list(full.totals.columns)
    assert len(full.daily) == 2 * 30 * len(DAILY_METRICS)
    assert full.daily.groupby(["seed", "metric"]).size().eq(30).all()  # one row a day each


def test_comparison_on_a_warm_pool_equals_one_in_process_and_seed_by_seed(small):
    from lab.parallel import LocalExecutor

    deeper = small.with_changes({"strategies[0].depth": 0.3})
    kw = dict(seeds=[3, 4, 5], days=30, progress=False)
    here = compare({"A": small, "B": deeper}, workers=1, batch=False, **kw)
    pool = LocalExecutor(2)
    try:
        warm = [compare({"A": small, "B": deeper}, executor=pool, **kw) for _ in range(2)]
        assert len(pool._pool._processes) == 2  # started once, kept for the second call
    finally:
        pool.close()
    for cmp in warm:
        pd.testing.assert_frame_equal(here.differences, cmp.differences, check_exact=True)
        pd.testing.assert_frame_equal(
            here.replications.daily, cmp.replications.daily, check_exact=True
        )
        pd.testing.assert_frame_equal(here.table, cmp.table, check_exact=True)


def test_executor_parameters_are_hinted_as_a_local_executor():
    import typing

    from lab.experiments.robustness import RobustnessPlan
    from lab.parallel import LocalExecutor

    for fn in (RobustnessPlan.run, lab.compare, lab.replicate):
        assert typing.get_type_hints(fn)["executor"] == (LocalExecutor | None), fn
