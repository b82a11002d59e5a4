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
