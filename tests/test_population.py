"""Struct-of-arrays population: growth without per-day reallocation."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lab
from lab.model import PoolModel
from lab.population import STATE_SPEC, Population


def test_append_and_geometric_growth():
    pop = Population(16)
    for day in range(400):
        pop.append(25, cohort_day=np.full(25, day))
    assert pop.n == 10_000
    assert np.array_equal(pop.view("cohort_day")[::25], np.arange(400))
    # geometric growth: O(log N) reallocations, not one per day
    assert pop.reallocations <= math.ceil(math.log(10_000 / 16, 1.5)) + 1
    with pytest.raises(KeyError, match="unknown state"):
        pop.append(1, not_a_state=1)
    assert set(STATE_SPEC) <= set(vars(pop))


def test_baseline_run_reallocates_rarely(baseline):
    m = PoolModel(baseline, seed=1, days=200)
    m.run_model()
    assert m.pop.n > 10_000
    assert m.pop.reallocations <= 3
    assert lab.__version__


def test_release_is_called_before_the_arrays_are_replaced():
    pop = Population(16)
    seen = []  # (capacity, the array the pool holds) at each call
    pop.on_grow(lambda: seen.append((pop.capacity, pop.propensity)))
    pop.append(16)
    assert seen == []  # it fits: no growth, no call
    old = pop.propensity
    pop.append(1)
    assert [cap for cap, _ in seen] == [16]
    assert seen[0][1] is old  # called while the old arrays were still in place
    assert pop.propensity is not old and pop.capacity > 16


def test_model_lets_go_of_the_old_arrays_when_the_pool_grows(baseline):
    import weakref

    m = PoolModel(baseline, seed=1, days=3)
    m.run_model()
    assert m._bundle_cache is not None  # the kernel ran: its bundles are cached
    old = weakref.ref(m.pop.propensity)
    m.pop.reserve(m.pop.capacity + 1)  # what an acquisition past the capacity does
    assert m._bundle_cache is None
    assert old() is None  # nothing kept the replaced array alive


def test_plan_grows_geometrically_within_the_pools_capacity(baseline):
    """The day plan follows the pool at each reset: at least doubling (few rebuilds), never
    beyond the pool's capacity, which counts projected referrals the pool may never
    reach (the plan's multiplier arrays start at 1, so every slot it holds is memory)."""
    from lab.plan import DayPlan

    plan, pop = DayPlan(baseline.contacts), Population(50_000)
    pop.append(1_500)
    plan.reset(pop)  # past its first 1024 slots: doubled, not the pool's 50,000
    assert plan.capacity == 2_048 and plan.n == 1_500
    pop.append(3_001)  # past the doubling: sized to the pool's n
    plan.reset(pop)
    assert plan.capacity == 4_501 and plan.n == 4_501
    pop.append(45_000)  # past the pool's own start: the pool grows, the plan up to it
    plan.reset(pop)
    assert plan.n == pop.n and pop.n <= plan.capacity <= pop.capacity
    assert all(getattr(plan, a).size == plan.capacity for a in plan.ARRAYS)


def test_slot_numbers_fit_the_int32_states_and_growing_past_them_is_refused(monkeypatch):
    import lab.population as population
    from lab.agents.behaviour import new_day_out
    from lab.population import MAX_SLOTS, PoolTooLarge

    # every array holding slot numbers holds the largest slot exactly
    out = new_day_out(1)
    for dtype in (STATE_SPEC["referrer"][0], out.buy_slot.dtype, out.share_slot.dtype):
        assert np.array(MAX_SLOTS - 1, dtype=dtype) == MAX_SLOTS - 1
        assert np.iinfo(dtype).max <= MAX_SLOTS
    # a smaller cap stands in for 2**31 - 1 (no test allocates that much)
    monkeypatch.setattr(population, "MAX_SLOTS", 100)
    pop = Population(16)
    pop.append(90, referrer=np.arange(90))
    with pytest.raises(PoolTooLarge, match="32-bit"):
        pop.append(11)
    assert pop.n == 90 and pop.capacity <= 100  # nothing appended, no wrap
    pop.append(10)  # up to the cap is fine
    assert pop.n == 100
    assert Population(10**12).capacity == 100  # an initial capacity is capped too


def test_customers_table_keeps_the_referrer_as_int64(baseline):
    res = lab.run(baseline, seed=1, days=30)
    ref = res.customers["referrer"]
    assert ref.dtype == np.int64 and (ref >= 0).any()


def test_states_hold_their_initial_values_at_every_slot_the_pool_reaches():
    """Every state starts as np.zeros (untouched pages); a state whose initial value is
    not zero (a -0.0 one too) gets it as the pool reaches each slot: every slot of the
    pool, grown or not, holds what np.full would give, and the slots ahead of it were
    never written."""
    pop = Population(capacity=3000, extra_states={"own": ("float32", -0.0, "a negative zero")})
    pop.append(2500, propensity=np.full(2500, 0.5))
    assert not pop.channel[2500:].any() and not np.signbit(pop.own[2500:]).any()
    pop.reserve(4000)
    assert pop.capacity >= 6500 and pop.reallocations == 1
    pop.append(4000)
    for name, (dtype, init, _) in pop.spec.items():
        want = np.full(pop.n, init, dtype=dtype)
        if name == "propensity":
            want[:2500] = 0.5
        got = pop.view(name)
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), name
        assert not getattr(pop, name)[pop.n :].any(), name  # ahead of the pool: zeros
