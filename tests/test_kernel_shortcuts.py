"""The daily loop's shortcuts decide exactly as the full computation would.

:func:`lab.agents.behaviour.purchase` skips ``1 - exp(-rate)`` when the uniform is above
the rate (plus a margin); here rates are put right at, just below and just above each
customer's uniform, where a wrong margin would flip the decision.  The referred bond's
deferred look-up is checked by the golden runs (baseline: referred customers whose
referrers drop out) and by ``tests/test_threads.py``.
"""

from __future__ import annotations

import math

import numpy as np

from lab.agents import behaviour as bh
from lab.rng import RandomStreams, uniform


def _keys():
    return bh.stream_keys(RandomStreams(11).key)


def test_purchase_without_trial_rate_decides_as_one_minus_exp():
    keys = _keys()
    day = 17
    rks = np.arange(1, 2001, dtype=np.uint64) * np.uint64(0x9E3779B1)
    us = uniform(keys.purchase, day, rks)
    checked = flipped = 0
    for rk, u in zip(rks, us, strict=True):
        for lam in (
            u,
            np.nextafter(u, 0.0),
            np.nextafter(u, 1.0),
            u + 1e-12,
            u * 1.01,
            -math.log1p(-u),
        ):
            lam = float(lam)
            expected = 1 if u < 1.0 - math.exp(-lam) else 0
            got = bh.purchase(lam, 0.0, keys, day, rk)
            assert got == expected, (rk, u, lam)
            checked += 1
            flipped += expected
    assert checked == 12_000
    assert flipped > 0  # the rates at -log(1 - u) and above buy sometimes: both sides tested


def test_purchase_with_trial_rate_keeps_the_trial_branch():
    keys = _keys()
    day = 3
    rks = np.arange(1, 501, dtype=np.uint64)
    us = uniform(keys.purchase, day, rks)
    trials = 0
    for rk, u in zip(rks, us, strict=True):
        lam, lam_trial = 0.05, 0.5
        p_full = 1.0 - math.exp(-lam)
        p_trial = (1.0 - math.exp(-lam_trial)) * (1.0 - p_full)
        expected = 1 if u < p_full else 2 if u < p_full + p_trial else 0
        assert bh.purchase(lam, lam_trial, keys, day, rk) == expected
        trials += expected == 2
    assert 100 < trials < 250  # ~37% of 500
