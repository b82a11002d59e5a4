"""The lab's random streams: numba and NumPy forms agree, draws look uniform and independent."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit
from scipy import stats

from lab.rng import (
    STREAMS,
    RandomStreams,
    bernoulli,
    child_keys,
    identity_keys,
    u01_scalar,
    uniform,
    uniform_numpy,
)


@njit(cache=True)
def _scalar_many(key, day, ids):
    out = np.empty(ids.size)
    for i in range(ids.size):
        out[i] = u01_scalar(key, day, ids[i])
    return out


def test_numba_and_numpy_draws_agree_bit_for_bit():
    rs = RandomStreams(123)
    ids = identity_keys(1, 7, 0, 5000)
    for name in ("purchase", "block", "referral_share"):
        for day in (0, 1, 364, 10_000):
            a = rs.uniform(name, day, ids)
            b = _scalar_many(rs.key(name), day, ids)
            c = uniform_numpy(rs.key(name), day, ids)
            assert np.array_equal(a, b)
            assert np.array_equal(a, c)
            p = np.linspace(0, 1, ids.size)
            assert np.array_equal(bernoulli(rs.key(name), day, ids, p), (a < p) & (p > 0))


def test_draws_are_uniform_and_streams_independent():
    rs = RandomStreams(1)
    ids = identity_keys(0, 0, 0, 100_000)
    u = rs.uniform("purchase", 3, ids)
    v = rs.uniform("basket", 3, ids)
    w = rs.uniform("purchase", 4, ids)
    assert ((u >= 0) & (u < 1)).all()
    # KS at alpha = 1e-3 for each: a false alarm rate we can afford with fixed seeds
    for x in (u, v, w):
        assert stats.kstest(x, "uniform").pvalue > 1e-3
    # correlation of independent uniforms has sd 1/sqrt(n) ~ 0.0032; 5 sd bound
    for x, y in ((u, v), (u, w), (v, w)):
        assert abs(np.corrcoef(x, y)[0, 1]) < 5 / np.sqrt(ids.size)


def test_seeds_change_draws_and_unknown_streams_fail():
    ids = identity_keys(0, 0, 0, 1000)
    assert not np.array_equal(
        RandomStreams(1).uniform("purchase", 0, ids), RandomStreams(2).uniform("purchase", 0, ids)
    )
    with pytest.raises(KeyError, match="unknown random stream"):
        RandomStreams(1).key("nope")
    with pytest.raises(ValueError):
        RandomStreams(-1)
    assert len(set(STREAMS)) == len(STREAMS)


def test_identity_keys_are_stable_and_distinct():
    a = identity_keys(1, 30, 0, 50)
    b = identity_keys(1, 30, 0, 80)
    assert np.array_equal(a, b[:50])  # the k-th customer of a day is the same person
    keys = np.concatenate([identity_keys(c, d, 0, 200) for c in range(3) for d in range(50)])
    kids = child_keys(keys[:100], np.full(100, 3))
    allk = np.concatenate([keys, kids])
    assert np.unique(allk).size == allk.size
    assert uniform(np.uint64(5), 0, allk).size == allk.size


def test_compiled_identity_and_child_keys_equal_their_numpy_formulas():
    """identity_keys and child_keys (compiled loops) are the vectorised SplitMix formulas."""
    from lab.rng import mix64

    golden, m2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0x94D049BB133111EB)
    for ch, day, first, count in [
        (0, 0, 0, 0),
        (0, 0, 5, 1),
        (2, 364, 3, 1000),
        (5, 2**20, 2**40, 9),
    ]:
        idx = np.arange(first, first + count, dtype=np.uint64)
        base = (np.uint64(ch + 1) << np.uint64(56)) ^ (np.uint64(day) << np.uint64(32))
        with np.errstate(over="ignore"):
            want = mix64(mix64(idx ^ base) + golden)
        assert identity_keys(ch, day, first, count).tobytes() == want.tobytes()
    rng = np.random.default_rng(3)
    for n in (0, 1, 100):
        parents = rng.integers(0, 2**62, n, dtype=np.int64).astype(np.uint64) * np.uint64(3)
        counts = rng.integers(0, 4, n).astype(np.int32)
        rep = np.repeat(parents, counts)
        j = np.concatenate(
            [np.arange(c, dtype=np.uint64) for c in counts] + [np.zeros(0, np.uint64)]
        )
        with np.errstate(over="ignore"):
            want = mix64(mix64(rep) ^ (j + np.uint64(1)) * m2)
        assert child_keys(parents, counts).tobytes() == want.tobytes()
