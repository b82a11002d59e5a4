"""Replications in batches give each seed exactly the run it gets alone.

A batch (:mod:`lab.batch`) advances several seeds of one scenario together with one loop
over all their customers a day; every other step runs per seed.  Each seed's daily
KPIs, order log and customer table must equal ``lab.run(scenario, seed=s)`` bit for
bit, for any number of threads and any chunking, through growth of the pools and
through strategies whose state differs between seeds (a fission budget that runs out
on a different day per seed changes that seed's kernel parameters).
"""

from __future__ import annotations

from pathlib import Path

import numba
import pandas as pd
import pytest

import lab
from lab import batch as batch_mod
from lab import model as model_mod
from lab.agents.acquisition import Acquirer
from lab.batch import BatchRun, batch_problem, run_batch
from lab.experiments.replicate import _batched_tasks
from lab.model import PoolModel
from lab.scenario import dump_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SEEDS = [3, 11, 42]
DAYS = 30


def _small(name: str, customers: int = 400, **extra) -> lab.Scenario:
    """A scenario from ``scenarios/`` with a small stock import (a few hundred customers)."""
    data = dump_scenario(lab.load_scenario(SCENARIOS / f"{name}.yaml"))
    data["acquisition"]["stock_import"].update(
        enabled=True, total_customers=customers, customers_per_day=customers / 2
    )
    data.update(extra)
    return lab.scenario_from_dict(data)


@pytest.fixture(scope="module")
def fission() -> lab.Scenario:
    """Referral terms set by a fission programme whose small budget runs out mid-run."""
    sc = _small("q4_referral_reward_50")
    data = dump_scenario(sc)
    for s in data["strategies"]:
        if s["type"] == "fission_program":
            s["budget_cny"] = 1500.0
    return lab.scenario_from_dict(data)


@pytest.fixture(scope="module")
def alone(fission) -> dict[int, lab.RunResult]:
    return {s: lab.run(fission, seed=s, days=DAYS) for s in SEEDS}


def _assert_same(a: lab.RunResult, b: lab.RunResult) -> None:
    assert a.seed == b.seed
    for table in ("daily", "transactions", "customers"):
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table), check_exact=True)


def test_each_seed_of_a_batch_equals_its_run_alone(fission, alone):
    run = BatchRun(fission, SEEDS, DAYS)
    terms = set()  # the seeds' referral terms of each day, as the kernel got them
    while run.running:
        run.step()
        terms.add(tuple(m._params.share_factor for m in run.models))
    results = list(run.results())
    assert [r.seed for r in results] == SEEDS
    for res in results:
        _assert_same(alone[res.seed], res)
    # the budget ran out on different days: some day the seeds' kernels had other terms
    assert any(len(set(day)) > 1 for day in terms)
    assert len({float(r.daily["gmv"].sum()) for r in results}) == len(SEEDS)


def test_run_batch_returns_results_in_seed_order(fission, alone):
    seeds = [42, 3]
    results = run_batch(fission, seeds, days=DAYS)
    assert [r.seed for r in results] == seeds
    _assert_same(alone[42], results[0])


def test_batch_is_identical_for_any_threads_and_chunks(fission, alone):
    """Many small chunks per seed, on one thread and on two: the same bits as alone."""
    before = numba.get_num_threads()
    try:
        for threads in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(threads)
            run = BatchRun(fission, SEEDS[::-1], DAYS)  # another order, too
            for m in run.models:
                m.kernel_chunk = 61
            run.run()
            for res in run.results():
                _assert_same(alone[res.seed], res)
    finally:
        numba.set_num_threads(before)


def test_growth_and_strategy_states_in_a_batch(monkeypatch):
    """Pools reallocated many times mid-run (tiny start) and a membership's own states."""
    sc = _small("q2_membership_99", customers=300)
    monkeypatch.setattr(PoolModel, "_initial_capacity", lambda self: 16)
    seeds = [5, 6]
    batch = BatchRun(sc, seeds, 25)
    batch.run()
    assert all(m.pop.reallocations > 2 for m in batch.models)
    for res in batch.results():
        _assert_same(lab.run(sc, seed=res.seed, days=25), res)


def test_replicate_in_batches_equals_one_run_per_seed(fission):
    kw = dict(seeds=SEEDS, days=12, workers=1, progress=False, daily_metrics="all")
    batched = lab.replicate(fission, **kw)
    alone = lab.replicate(fission, batch=False, **kw)
    pd.testing.assert_frame_equal(batched.daily, alone.daily, check_exact=True)
    pd.testing.assert_frame_equal(batched.totals, alone.totals, check_exact=True)


def test_seeds_are_split_in_even_batches_two_per_worker(fission):
    seeds = list(range(10))
    tasks = _batched_tasks({"a": fission, "b": fission}, seeds, 5, ("orders",), None, 2)
    assert [t[0] for t in tasks] == ["a"] * 4 + ["b"] * 4
    split = [seeds[:3], seeds[3:6], seeds[6:8], seeds[8:]]  # 3, 3, 2, 2: workers even
    assert [t[2] for t in tasks] == split * 2  # in seed order, all of them
    one = _batched_tasks({"a": fission}, seeds, 5, ("orders",), None, 1)
    assert [t[2] for t in one] == [seeds]  # in this process: one batch


def test_a_pool_too_large_to_hold_twice_runs_seed_by_seed(fission, monkeypatch):
    assert batch_problem(fission, DAYS) is None
    monkeypatch.setattr(batch_mod, "available_memory", lambda: 1_000)  # 1 kB free
    reason = batch_problem(fission, DAYS)
    assert reason is not None and "one at a time" in reason
    tasks = _batched_tasks({"a": fission}, SEEDS, DAYS, ("orders",), None, 1)
    assert [t[2] for t in tasks] == [[s] for s in SEEDS]


@pytest.mark.parametrize("n, size", [(64, 16), (10, 3), (7, 7), (7, 2), (1, 16), (17, 16)])
def test_batches_are_in_seed_order_and_differ_by_at_most_one_seed(n, size):
    from lab.experiments.replicate import _even_parts

    seeds = list(range(100, 100 + n))
    parts = _even_parts(seeds, size)
    assert [s for p in parts for s in p] == seeds
    lens = [len(p) for p in parts]
    assert max(lens) <= size and max(lens) - min(lens) <= 1
    assert len(parts) == -(-n // size)  # no more batches than needed


def test_joiners_traits_drawn_together_equal_each_run_drawing_its_own():
    """The batch draws every run's joiners of a channel in one call (copula included)."""
    import numpy as np

    from lab.agents.traits import inviter_uniforms
    from lab.rng import RandomStreams, identity_keys

    sc = lab.load_scenario(SCENARIOS / "baseline.yaml")
    models = [PoolModel(sc, seed=s, days=2) for s in (1, 2, 3)]
    drawer = models[0].acquirer.drawer("referral")
    keys = [identity_keys(1, 5, 0, n) for n in (7, 0, 3)]  # a run with nobody joining too
    streams = [RandomStreams(s) for s in (1, 2, 3)]
    rng = np.random.default_rng(0)
    parents = [
        inviter_uniforms(
            models[0].acquirer._specs,
            np.zeros(k.size, np.int8),
            {
                t: rng.gamma(2.0, 0.05, k.size)
                for t in ("propensity", "deal_proneness", "referral_propensity", "basket_rate")
            },
        )
        for k in keys
    ]
    for parent_u, rho in ((None, 0.0), (parents, 0.6)):
        together = drawer.draw_many(streams, keys, parent_u, rho)
        for j, (s, k) in enumerate(zip(streams, keys, strict=True)):
            own = (
                models[j]
                .acquirer.drawer("referral")
                .draw(s, k, None if parent_u is None else parent_u[j], rho)
            )
            assert together[j].keys() == own.keys()
            for name, values in own.items():
                np.testing.assert_array_equal(together[j][name], values, err_msg=name)


@pytest.mark.parametrize("correlation", [0.0, 0.5])
def test_a_batch_with_a_market_and_correlated_invitees_equals_each_run_alone(correlation):
    """Joins through the social graph (seeds, organic, invitations, word of mouth) and
    invitees drawn with a copula: each seed of the batch is its run alone."""
    data = dump_scenario(_small("q4_referral_reward_50", customers=200))
    data["market"].update(size=1500, word_of_mouth_per_day=0.02)
    data["market"]["seed_customers"] = {"count": 20, "join_day": 2}
    data["market"]["external_adoption_per_day"] = 0.001
    data["acquisition"]["referral"]["trait_correlation"] = correlation
    sc = lab.scenario_from_dict(data)
    together = run_batch(sc, SEEDS, days=25)
    for res, seed in zip(together, SEEDS, strict=True):
        _assert_same(res, lab.run(sc, seed=seed, days=25))


def test_chunk_table_lists_each_runs_chunks_in_order():
    import numpy as np

    from lab.agents.batch_step import chunk_table

    sizes = np.array([5000, 0, 4096, 1, 8193])
    expected = [(r, lo, min(lo + 4096, n)) for r, n in enumerate(sizes) for lo in range(0, n, 4096)]
    table = chunk_table(sizes, 4096)
    assert table.dtype == np.int64 and table.shape == (len(expected), 3)
    assert [tuple(row) for row in table.tolist()] == expected
    assert chunk_table(np.array([0, 0]), 4096).shape == (0, 3)


class KeenJoiners(Acquirer):
    """An acquirer that draws its joiners' traits its own way: twice as keen to buy."""

    def draw(self, request):
        traits = super().draw(request)
        traits["propensity"] = traits["propensity"] * 2.0
        return traits


def test_a_batch_runs_the_acquirer_of_each_model_not_the_usual_draws(fission, monkeypatch):
    """Models whose acquirer is not :class:`Acquirer` join customers seed by seed,
    through their own acquirer, as each run alone does."""
    seeds, days = [3, 11], 20
    plain = lab.run(fission, seed=3, days=days)
    monkeypatch.setattr(model_mod, "Acquirer", KeenJoiners)
    batch = BatchRun(fission, seeds, days)
    assert all(type(m.acquirer) is KeenJoiners for m in batch.models)
    batch.run()
    keen = list(batch.results())
    for res in keen:
        _assert_same(lab.run(fission, seed=res.seed, days=days), res)
    assert keen[0].daily["orders"].sum() > plain.daily["orders"].sum()  # the override acted


def test_only_runs_of_one_scenario_draw_their_joiners_together(fission):
    """A run of another scenario put in a batch draws its joiners with its own tables."""
    data = dump_scenario(fission)
    data["traits"]["default"]["propensity_per_day"]["mean"] *= 2.5
    other = lab.scenario_from_dict(data)
    days = 20
    batch = BatchRun(fission, [3, 11], days)
    batch.models[1] = PoolModel(other, seed=11, days=days)
    batch.run()
    mine, theirs = batch.results()
    _assert_same(lab.run(fission, seed=3, days=days), mine)
    _assert_same(lab.run(other, seed=11, days=days), theirs)
