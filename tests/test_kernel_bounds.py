"""The daily loop's upper bounds of the purchase rate decide exactly as the rates would.

Most days the loop decides "no order" from an upper bound of the purchase rate found
without the ``exp`` of the referred boost and of the price effect
(:func:`lab.agents.behaviour.surely_no_order`).  That is only right if the bound is
never below the rate, a trial rate bounded by 0 is 0, and a negative factor (where a
larger factor would give a smaller product) gives no bound.  The golden runs check the
whole loop; these check the pieces at and around the edges.
"""

from __future__ import annotations

import math

import numpy as np

import lab
from lab.agents import behaviour as bh
from lab.agents.promo_mechanisms import price_effect
from lab.rng import RandomStreams, uniform

effect = price_effect.py_func
bond = bh.referred_bond.py_func
rates = bh.purchase_rates.py_func


def _params(**over):
    values = lab.PoolModel(lab.scenario_from_dict({"days": 1}), seed=0)._kernel_params()._asdict()
    values.update(over)
    return bh.make_params(values)


def _inputs(rng: np.random.Generator, n: int):
    """Per customer: deal, depth, f, r, base, contact lift, blocked, first, trial open."""
    depth = np.where(rng.random(n) < 0.5, 0.0, rng.choice([0.05, 0.2, 0.3, 0.5], n))
    r = np.where(rng.random(n) < 0.1, 1.0 - depth, rng.uniform(0.4, 1.3, n))  # gap 0 too
    return zip(
        rng.random(n),
        depth,
        rng.random(n),
        r,
        rng.exponential(0.05, n),
        np.where(rng.random(n) < 0.5, 0.0, rng.exponential(0.5, n)),
        rng.random(n) < 0.2,
        rng.random(n) < 0.3,
        rng.random(n) < 0.5,
        strict=True,
    )


def test_price_effect_bound_is_at_least_the_effect_and_equal_without_an_exp():
    rng = np.random.default_rng(5)
    loose = 0
    for loss in (True, False):
        p = _params(loss_on=loss)
        for deal, depth, f, r, *_ in _inputs(rng, 4000):
            damp = 1.0 - p.fatigue_damping * f
            m, hi = effect(deal, depth, damp, r, p), effect(deal, depth, damp, r, p, True)
            assert hi >= m, (loss, deal, depth, damp, r)
            gap = r - (1.0 - depth)
            if gap == 0.0 or (gap > 0.0 and not loss):
                assert hi == m  # no exp to leave out
            loose += hi > m
    assert loose > 2000  # the bound does leave exps out


def test_referred_boost_bound_is_one_plus_boost_and_the_bond_is_unchanged():
    p = _params(referred_on=True, referred_boost=0.6)
    for tenure in (0, 1, 30, 365, 5000):
        exact, upper = bond(4, tenure, -1, 400, p), bond(4, tenure, -1, 400, p, True)
        assert upper == (1.0 + 0.6, exact[1])
        assert upper[0] >= exact[0]
    assert bond(-1, 10, -1, 400, p, True) == (1.0, 1.0)  # not referred: no bound needed
    growing = _params(referred_on=True, referred_boost_log_keep=0.01)  # a boost that grows
    assert bond(4, 30, -1, 400, growing, True) == bond(4, 30, -1, 400, growing)


def test_purchase_rate_bounds_are_upper_bounds_and_keep_a_zero_trial_rate():
    rng = np.random.default_rng(9)
    p = _params(trial_on=True)
    for deal, depth, f, r, base, lift, blocked, first, trial_open in _inputs(rng, 6000):
        boost, boost_hi = (bond(1, 40, -1, 100, p, b)[0] for b in (False, True))
        args = (deal, lift, blocked, first, trial_open, depth, f, r, p)
        lam, trial = rates(base * boost, *args)
        lam_hi, trial_hi = rates(base * boost_hi, *args, True)
        assert lam_hi >= lam and trial_hi >= trial
        if trial_hi == 0.0:
            assert trial == 0.0


def test_a_negative_factor_gives_no_bound():
    p = _params()
    args = (0.5, 0.0, False, False, True, 0.0, 0.1, 0.9, p)
    assert rates(-0.01, *args, True)[0] == math.inf  # a negative base
    assert rates(math.nan, *args, True)[0] == math.inf
    negative_lift = _params(fatigue_damping=1.0, fatigue_on=True)
    lifted = (0.5, 3.0, False, False, True, 0.0, 2.0, 0.9, negative_lift)  # fatigue 2
    assert rates(0.02, *lifted, True)[0] == math.inf  # 1 + lift x damp < 0
    below_zero = _params(loss_on=False, promo_lift=-50.0)  # a negative price effect
    assert rates(0.02, 0.9, 0.0, False, False, True, 0.0, 0.0, 1.2, below_zero, True)[0] == (
        math.inf
    )


def test_no_order_from_the_bound_is_no_order_from_the_rate():
    keys = bh.stream_keys(RandomStreams(3).key)
    day = 40
    rks = np.arange(1, 4001, dtype=np.uint64) * np.uint64(0x9E3779B1)
    us = uniform(keys.purchase, day, rks)
    rng = np.random.default_rng(2)
    p = _params()
    skipped = 0
    for rk, u, (deal, depth, f, r, _, lift, blocked, first, trial_open) in zip(
        rks, us, _inputs(rng, rks.size), strict=True
    ):
        base = float(u) * rng.uniform(0.5, 3.0)  # rates around the uniform: both outcomes
        lam, trial = rates(base, deal, lift, blocked, first, trial_open, depth, f, r, p)
        hi = rates(base, deal, lift, blocked, first, trial_open, depth, f, r, p, True)
        if bh.surely_no_order(hi[0], hi[1], keys, day, rk):
            skipped += 1
            assert bh.purchase(lam, trial, keys, day, rk) == 0, (rk, lam, hi)
    assert 500 < skipped < 4000
