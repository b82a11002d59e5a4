"""Named random streams: the only source of randomness in the lab.

Every random decision draws a uniform number from a counter-based hash::

    u = hash(stream_key(seed, decision), day, customer_key) -> [0, 1)

so a draw depends only on *which* decision, *which* day and *which* customer, never
on how many draws happened before it.  This gives common random numbers (CRN) by
construction: two scenarios run with the same seed share every draw where their
mechanisms agree, results do not depend on the number of workers or threads, and a
change that touches one customer leaves every other customer's draws untouched.

The customer key is not the row (slot) of the customer in the state arrays but a
stable 64-bit identity derived from how the customer entered the pool (channel,
day, index within that channel and day; or referrer and invite number), so the same
person keeps the same draws even when another scenario acquires more or fewer
customers elsewhere.

The mixing function is the SplitMix64 finaliser (Steele, Lea & Flood 2014), applied
twice; it passes BigCrush when used on a counter, costs a handful of integer
operations, and exists here in two forms that must agree bit for bit: a vectorised
NumPy form for code outside the hot loop, and a scalar numba form for the fused
daily kernel (``tests/test_rng.py`` checks that they agree).
"""

from __future__ import annotations

import hashlib

import numpy as np
from numba import njit

__all__ = [
    "STREAMS",
    "RandomStreams",
    "bernoulli",
    "child_keys",
    "identity_keys",
    "mix64",
    "person_keys",
    "u01_scalar",
    "uniform",
    "uniform_numpy",
]

# One stream per decision.  A stream's key is derived from (seed, name), so renaming
# a stream changes every draw of that decision; adding one changes nothing else.
STREAMS: tuple[str, ...] = (
    "trait_propensity",
    "trait_dropout_after_purchase",
    "trait_dropout_per_day",
    "trait_basket_mean",
    "trait_deal_proneness",
    "trait_contact_tolerance",
    "trait_referral_propensity",
    "trait_trust",
    "trait_segment",
    "acquire_count",
    "purchase",
    "basket",
    "block",
    "dropout_after_purchase",
    "dropout_per_day",
    "referral_share",
    "referral_friends",
    "contact_reach",
    "strategy",
    "stock_history",
    "market_graph",
    "market_pick",
    "market_accept",
    "market_word_of_mouth",
    "market_external",
    "known_customers",
    "synthetic_join",
    "backtest_params",
    "robustness_draws",
    "purchase_clock",
    "platform_orders",
)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


def mix64(z: np.ndarray | np.uint64) -> np.ndarray | np.uint64:
    """SplitMix64 finaliser on uint64 values (vectorised; wraps modulo 2**64)."""
    z = np.asarray(z, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> _S30)) * _M1
        z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def uniform_numpy(key: np.uint64, day: int, ids: np.ndarray) -> np.ndarray:
    """Pure-NumPy reference of :func:`uniform` (the tests check they agree bit for bit)."""
    ids = np.asarray(ids, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = mix64(ids ^ np.uint64(key))
        x = mix64(x + np.uint64(day) * _GOLDEN)
    return (x >> _S11).astype(np.float64) * _TO_UNIT


def uniform(key: np.uint64, day: int, ids: np.ndarray) -> np.ndarray:
    """Uniform draws in [0, 1) for many customers on one day of one stream.

    Parameters
    ----------
    key : numpy.uint64
        Stream key from :meth:`RandomStreams.key`.
    day : int
        Simulation day (or any second counter, such as an invite number).
    ids : numpy.ndarray of uint64
        Customer identity keys.

    Returns
    -------
    numpy.ndarray of float64
        One draw per id, the same value the numba kernel would draw.
    """
    ids = np.ascontiguousarray(ids, dtype=np.uint64)
    out = np.empty(ids.size, dtype=np.float64)
    _uniform_into(np.uint64(key), np.uint64(day), ids, out)
    return out


def bernoulli(key: np.uint64, day: int, ids: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``uniform(key, day, ids) < p`` in one pass, without temporaries."""
    ids = np.ascontiguousarray(ids, dtype=np.uint64)
    p = np.ascontiguousarray(p, dtype=np.float64)
    out = np.empty(ids.size, dtype=np.bool_)
    _bernoulli_into(np.uint64(key), np.uint64(day), ids, p, out)
    return out


@njit(cache=True, inline="always")
def _mix64_scalar(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def u01_scalar(key, day, rid):
    """Scalar twin of :func:`uniform` for use inside numba kernels."""
    x = _mix64_scalar(np.uint64(rid) ^ np.uint64(key))
    x = _mix64_scalar(x + np.uint64(day) * np.uint64(0x9E3779B97F4A7C15))
    return np.float64(x >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def _uniform_into(key, day, ids, out):
    for i in range(ids.size):
        out[i] = u01_scalar(key, day, ids[i])


@njit(cache=True)
def _bernoulli_into(key, day, ids, p, out):
    for i in range(ids.size):
        out[i] = p[i] > 0.0 and u01_scalar(key, day, ids[i]) < p[i]


def identity_keys(channel_code: int, day: int, first: int, count: int) -> np.ndarray:
    """Stable identity keys for ``count`` customers entering on one channel.

    The key depends on (channel, day, index within that channel and day) only, so
    the k-th paid customer of day 30 has the same traits and draws in every
    scenario that acquires at least k paid customers that day.  Stock imports pass
    ``day=0`` and a running index so that a changed import rate moves people in
    time without changing who they are.
    """
    base = (np.uint64(channel_code + 1) << np.uint64(56)) ^ (np.uint64(day) << np.uint64(32))
    out = np.empty(max(int(count), 0), dtype=np.uint64)
    _identity_keys_into(base, np.uint64(first), out)  # mix64(mix64(idx ^ base) + GOLDEN)
    return out


@njit(cache=True)
def _identity_keys_into(base, first, out):
    """:func:`identity_keys` in one pass (the same wrapping uint64 arithmetic)."""
    for i in range(out.size):
        idx = first + np.uint64(i)
        out[i] = _mix64_scalar(_mix64_scalar(idx ^ base) + np.uint64(0x9E3779B97F4A7C15))


def person_keys(persons: np.ndarray) -> np.ndarray:
    """Identity keys of people of a finite market (``market.size``), by graph node.

    With a market, who a customer is no longer depends on the channel that brought
    them: the same person has the same traits and draws whether a friend invited
    them or an ad found them.  The tag ``7 << 56`` keeps these keys apart from
    :func:`identity_keys` (channel codes 0..5 use tags 1..6).
    """
    idx = np.asarray(persons, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return mix64(mix64(idx ^ (np.uint64(7) << np.uint64(56))) + _GOLDEN)


def child_keys(parent_keys: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Identity keys for the friends each referrer brings in (j = 0 .. count-1).

    Parameters
    ----------
    parent_keys : numpy.ndarray of uint64
        Identity keys of the referrers.
    counts : numpy.ndarray of int
        How many friends join through each referrer.
    """
    parents = np.ascontiguousarray(parent_keys, dtype=np.uint64)
    counts = np.ascontiguousarray(counts, dtype=np.int64)
    if counts.size and int(counts.min()) < 0:
        raise ValueError("counts must be non-negative")
    out = np.empty(int(counts.sum()), dtype=np.uint64)
    _child_keys_into(parents, counts, out)  # mix64(mix64(parent) ^ (j + 1) * M2)
    return out


@njit(cache=True)
def _child_keys_into(parents, counts, out):
    """:func:`child_keys` in one pass (the same wrapping uint64 arithmetic)."""
    k = 0
    for p in range(parents.size):
        h = _mix64_scalar(parents[p])
        for j in range(counts[p]):
            out[k] = _mix64_scalar(
                h ^ (np.uint64(j) + np.uint64(1)) * np.uint64(0x94D049BB133111EB)
            )
            k += 1


class RandomStreams:
    """The lab's seeded random streams, one key per named decision.

    Parameters
    ----------
    seed : int
        Run seed.  Same seed, same scenario: identical results.

    Examples
    --------
    >>> rs = RandomStreams(7)
    >>> u = rs.uniform("purchase", day=3, ids=np.array([1, 2], dtype=np.uint64))
    """

    def __init__(self, seed: int) -> None:
        if not 0 <= int(seed) < 2**63:
            raise ValueError(f"seed must be an integer in [0, 2**63), got {seed!r}")
        self.seed = int(seed)
        self._keys = {name: self._derive(name) for name in STREAMS}

    def _derive(self, name: str) -> np.uint64:
        digest = hashlib.blake2b(f"{self.seed}:{name}".encode(), digest_size=8).digest()
        return np.uint64(int.from_bytes(digest, "little"))

    def key(self, name: str) -> np.uint64:
        """Key of a named stream; unknown names are an error, not a new stream."""
        try:
            return self._keys[name]
        except KeyError:
            raise KeyError(f"unknown random stream {name!r}; known: {', '.join(STREAMS)}") from None

    def uniform(self, name: str, day: int, ids: np.ndarray) -> np.ndarray:
        """Uniform [0, 1) draws of stream ``name`` on ``day`` for customer keys ``ids``."""
        return uniform(self.key(name), day, ids)

    def scalar(self, name: str, day: int, index: int = 0) -> float:
        """One draw for a pool-level decision (e.g. how many join today)."""
        return float(uniform(self.key(name), day, np.array([index], dtype=np.uint64))[0])
