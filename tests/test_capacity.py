"""The pool's initial capacity: referral growth projected, slots reached lazily.

A run whose pool outgrows its arrays copies every state into bigger fresh ones mid-run
(slow first-touched memory, and a peak next to the old arrays): the projection counts
the referral growth the steady channels start (:func:`lab.acquisition_terms.projected_pool`),
and slots the pool never reaches cost no memory (:class:`lab.population.Population`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import lab
from lab.acquisition_terms import projected_customers, projected_pool, referral_growth_per_day
from lab.model import PoolModel
from lab.population import STATE_SPEC, Population
from tests.conftest import bare


def _beta(mean: float, concentration: float) -> dict:
    return {"dist": "beta", "mean": mean, "concentration": concentration}


def _referral_heavy(customers: int = 3000, days: int = 150) -> lab.Scenario:
    """Stock customers who buy often and share a lot: the pool grows mostly by referral."""
    return lab.scenario_from_dict(
        bare(
            customers,
            days,
            acquisition={
                "referral": {
                    "enabled": True,
                    "reward_cny": 50,
                    "friends_per_share": 2.0,
                    "base_share": 0.6,
                }
            },
            traits={"default": {"referral_propensity": _beta(0.5, 4.0)}},
        )
    )


def test_a_referral_heavy_pool_fits_its_initial_capacity():
    sc = _referral_heavy()
    proj = projected_pool(sc, sc.days)
    steady = projected_customers(sc, sc.days)["total"]
    assert proj["steady"] == steady == 3000
    assert proj["referral"] > 0 and proj["total"] == pytest.approx(steady + proj["referral"])
    model = PoolModel(sc, seed=3)
    capacity = model.pop.capacity
    model.run_model()
    referred = int(np.count_nonzero(model.pop.view("referrer") >= 0))
    assert referred > steady  # most of the pool came by referral
    assert model.pop.n <= capacity  # the projection held the realised pool
    assert model.pop.reallocations == 0
    # the steady channels alone (the old projection) would have reallocated
    assert model.pop.n > int((steady + sc.days * 20) * 1.2)


def test_without_referral_the_projection_is_the_steady_channels():
    sc = lab.scenario_from_dict(bare(2000, 90))
    assert referral_growth_per_day(sc) == 0.0
    proj = projected_pool(sc, sc.days)
    assert proj == {"steady": 2000.0, "referral": 0.0, "total": 2000.0}
    assert PoolModel(sc).pop.capacity == int((2000 + 90 * 20) * 1.2)


def test_the_referral_projection_grows_with_the_terms_and_the_run_length():
    sc = _referral_heavy()
    base = projected_pool(sc, 100)["referral"]
    assert projected_pool(sc, 200)["referral"] > base
    richer = sc.model_copy(deep=True)
    richer.acquisition.referral.friends_per_share = 4.0
    assert referral_growth_per_day(richer) == pytest.approx(2 * referral_growth_per_day(sc))
    assert projected_pool(richer, 100)["referral"] > base


def test_the_projection_is_capped_by_the_market_and_max_customers():
    sc = lab.scenario_from_dict(
        {"market": {"size": 5000}, "acquisition": {"referral": {"friends_per_share": 5.0}}}
    )
    assert projected_pool(sc, sc.days)["total"] <= 5000
    heavy = _referral_heavy(days=3000)
    heavy.max_customers = 50_000
    assert projected_pool(heavy, heavy.days)["total"] > 50_000
    assert PoolModel(heavy).pop.capacity <= 50_000 * 1.2 + 1


def test_the_referral_part_is_reserved_only_as_far_as_memory_holds_it(monkeypatch):
    import lab.model

    sc = _referral_heavy()
    roomy = PoolModel(sc).pop.capacity
    monkeypatch.setattr(lab.model, "available_memory", lambda: 1)  # no room to spare
    tight = PoolModel.__new__(PoolModel)
    tight.scenario, tight.days = sc, sc.days
    steady_only = int((3000 + sc.days * 20) * 1.2)
    assert tight._initial_capacity() == steady_only < roomy


def test_fresh_slots_hold_their_initial_values_however_the_pool_reaches_them():
    pop = Population(64)
    pop.append(10, trust=np.full(10, 0.5, np.float32))
    pop.n = 20  # set directly (as some tests do): slots 10..19 are at their defaults
    pop.append(100)  # grows the arrays
    assert pop.reallocations == 1
    for name, (dtype, init, _) in STATE_SPEC.items():
        live = pop.view(name)
        expect = np.full(120, init, dtype=dtype)
        if name == "trust":
            expect[:10] = 0.5
        assert np.array_equal(live, expect), name


@pytest.mark.skipif(not Path("/proc/self/statm").is_file(), reason="needs /proc")
def test_slots_past_the_pool_are_not_touched():
    before = _rss_mb()
    pop = Population(4_000_000)  # ~700 MB of state if every slot were written
    pop.append(1000)
    assert pop.nbytes() > 600e6
    assert _rss_mb() - before < 50  # only the first pages of each array
    assert pop.view("alive").all() and pop.view("trust").min() == 1.0


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not Path("/proc/self/statm").is_file(), reason="needs /proc")
def test_a_small_pool_with_a_huge_projection_touches_little_memory():
    """Review (issue 16): a referral projection far above the realised pool (no
    dropout in it) sizes the pool's arrays for millions; the pool's own slots stay
    untouched, but every array sized to the pool's capacity and filled at creation
    must not touch them either (the day plan's multipliers are
    ``np.ones(pop.capacity)``: 20 bytes a slot)."""
    sc = _referral_heavy(customers=2000, days=365)
    assert projected_pool(sc, sc.days)["total"] > 1_000_000
    warm = PoolModel(_referral_heavy(customers=2000, days=10), seed=1)
    warm.step()  # the kernel loaded and the first allocations made: not counted below
    del warm
    before = _rss_mb()
    model = PoolModel(sc, seed=1)
    assert model.pop.capacity > 1_000_000  # millions of slots for a 2k pool
    model.step()
    assert model.pop.n < 10_000
    grown = _rss_mb() - before
    assert grown < 40, f"{grown:.0f} MB touched for a pool of {model.pop.n} customers"
