"""Struct-of-arrays customer state: one NumPy array per named state.

Customers live in slots ``0 .. n-1`` of preallocated arrays.  When acquisition or
referrals need more room the arrays grow geometrically (x1.5, at least the request),
so a run that grows from 0 to N customers reallocates O(log N) times, not daily.
Slots never move during a run, so ``customer_id == slot``.

Every array starts as ``np.zeros``, whose big arrays come as untouched zero pages; a
state whose initial value is not zero gets it slot by slot as the pool reaches the
slots (:attr:`Population.n`).  So the slots a pool is sized for ahead of its customers
cost no memory and no first write until customers take them, and a generous initial
capacity (room for the run's referral growth) is cheap.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable

import numpy as np

from lab.vocab import CHANNELS, STAGES  # re-exported: the codes stored in the arrays

__all__ = [
    "CHANNELS",
    "MAX_SLOTS",
    "NO_FIRST_PURCHASE",
    "STAGES",
    "STATE_SPEC",
    "PoolTooLarge",
    "Population",
    "available_memory",
    "bytes_per_customer",
]


#: ``first_purchase`` of a customer whose first order the pool has not seen (none yet, or
#: before joining): an age of billions of days, so no early burst
NO_FIRST_PURCHASE = -(2**31)

#: name -> (dtype, initial value, description).  Traits are drawn once at acquisition;
#: states change during the run.
STATE_SPEC: dict[str, tuple[str, float, str]] = {
    # identity
    "rkey": ("uint64", 0, "random-stream identity key (see lab.rng)"),
    "channel": ("int8", -1, "acquisition channel code (CHANNELS)"),
    "cohort_day": ("int32", -1, "day of acquisition"),
    "segment": ("int8", -1, "persona segment code"),
    "referrer": ("int32", -1, "customer_id of the inviter, -1 if none"),
    "person": ("int64", -1, "person (node) of the market's social graph, -1 without a market"),
    "community": ("int32", -1, "the person's community in the social graph, -1 if none"),
    # traits
    "propensity": ("float64", 0.0, "base purchase rate, 1/day"),
    "p_drop_purchase": ("float32", 0.0, "chance to drop out for good after each purchase"),
    "p_drop_day": ("float32", 0.0, "daily hazard of dropping out for good, 1/day"),
    "basket_rate": ("float64", 1.0, "gamma-gamma rate nu of order value, 1/CNY"),
    "deal_proneness": ("float32", 0.0, "response to discounts and price gaps, 0..1"),
    "tolerance": ("float32", 1.0, "contacts per week tolerated before annoyance"),
    "referral_propensity": ("float32", 0.0, "base chance to share after a purchase, 0..1"),
    # states
    "trust": ("float32", 1.0, "trust in the brand, 0..1; multiplies purchase rate"),
    "fatigue": ("float32", 0.0, "promo fatigue, 0..1"),
    "ref_price": ("float32", 1.0, "reference price as a share of list price"),
    "deal_cond": ("float32", 0.0, "deal conditioning by promotions seen, 0..1"),
    "promo_stock": ("float32", 0.0, "stock bought on promotion, share of purchase rate removed"),
    "contact_load": ("float32", 0.0, "recent contacts, exponentially weighted, per week"),
    "n_orders": ("int32", 0, "full orders placed (including pre-pool history)"),
    "n_trials": ("int16", 0, "trial-product orders"),
    "prior_orders": ("int32", 0, "orders before joining the pool (stock import)"),
    "last_purchase": ("int32", -1, "day of the last order, -1 never (may be < 0 for history)"),
    "has_ordered": ("bool", False, "placed any order (history, trial or full)"),
    "first_purchase": (
        "int32",
        NO_FIRST_PURCHASE,
        "day of the first order the pool saw (run or booked on joining), -2**31 if none or "
        "before the pool (history): the age of the early burst",
    ),
    "stage": ("int8", 0, "lifecycle stage code (STAGES)"),
    "alive": ("bool", True, "not yet dropped out for good (latent, unobserved by the brand)"),
    "day_dropout": ("int32", -1, "day of permanent dropout, -1 if alive"),
    "blocked": ("bool", False, "has blocked/deleted the brand's account"),
    "day_blocked": ("int32", -1, "day of blocking, -1 if not blocked"),
    "spend": ("float64", 0.0, "total paid in the run, CNY"),
    "discount_received": ("float64", 0.0, "total discount received in the run, CNY"),
    "referrals": ("int32", 0, "friends brought in"),
    "contacts_received": ("int32", 0, "marketing contacts delivered to the customer"),
    # states maintained by strategies (and usable by every strategy's target)
    "member_until": ("int32", -1, "last day of the paid membership, -1 if never a member"),
    "member_savings": ("float32", 0.0, "savings from membership in the current term, CNY"),
    "balance": ("float64", 0.0, "stored-value balance, CNY of spending power"),
    "balance_expiry": ("int32", -1, "day the stored-value balance expires, -1 if none"),
    "rfm_class": (
        "int8",
        -1,
        "RFM class code (lab.vocab.RFM_CLASSES), -1 unknown",
    ),
    "guide": ("int16", -1, "shop guide holding the customer, -1 none"),
    "guide_lost_day": ("int32", -1, "day the customer's guide left, -1 if never"),
    # contact response (lab/contact_wear.py)
    "contact_stock": ("float32", 0.0, "carried-over purchase lift of recent contacts"),
    "purchase_phase": ("float32", 0.0, "stages done of the Erlang-k purchase clock"),
}


#: most slots a pool may have: slot numbers are stored as int32 (``referrer``, the
#: daily loop's buyer and sharer lists), so a pool stops with :class:`PoolTooLarge`
#: rather than let a number wrap around
MAX_SLOTS = int(np.iinfo(np.int32).max)


class PoolTooLarge(RuntimeError):
    """The pool outgrew ``max_customers``: usually fission with a K-factor above one."""


def bytes_per_customer() -> int:
    """Bytes one customer slot takes across all state arrays."""
    return sum(np.dtype(dtype).itemsize for dtype, _, _ in STATE_SPEC.values())


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux ``MemAvailable``), None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _at_rest(init: float) -> bool:
    """Whether ``init`` is the value of a fresh ``np.zeros`` array (0, 0.0 or False, not -0.0)."""
    return init == 0 and not math.copysign(1.0, init) < 0


class Population:
    """Growable struct-of-arrays holding every customer of one run.

    Parameters
    ----------
    capacity : int
        Initial number of slots.
    limit : int, optional
        Most customers the pool may hold; growing past it raises
        :class:`PoolTooLarge` before anything is allocated.
    extra_states : dict, optional
        More states, ``name -> (dtype, initial value, description)`` like
        :data:`STATE_SPEC`: those strategies declare for themselves
        (``Strategy.states``).  They grow with the pool; the daily kernel does not read them.
    """

    def __init__(
        self,
        capacity: int = 1024,
        limit: int | None = None,
        extra_states: dict[str, tuple[str, float, str]] | None = None,
    ) -> None:
        self._n = 0
        self.limit = limit
        self.capacity = min(max(int(capacity), 16), MAX_SLOTS)
        self.reallocations = 0
        #: called (no arguments) just before the arrays are replaced by bigger ones, so
        #: holders of the old arrays can let go of them and the old and new arrays of
        #: every state are not all alive at once (see :meth:`on_grow`)
        self._before_grow: list[Callable[[], None]] = []
        clash = sorted(set(extra_states or ()) & set(STATE_SPEC))
        if clash:
            raise ValueError(f"state(s) {clash} already exist; a strategy must name its own")
        #: every state of this population: the standard ones, then the strategies' own
        self.spec = {**STATE_SPEC, **(extra_states or {})}
        #: states whose initial value is not zero: set slot by slot as the pool grows
        self._set_on_growth = [
            (name, init) for name, (_, init, _) in self.spec.items() if not _at_rest(init)
        ]
        #: slots ``0 .. _ready-1`` hold their initial values (or what was written since)
        self._ready = 0
        for name, (dtype, _, _) in self.spec.items():
            setattr(self, name, np.zeros(self.capacity, dtype=dtype))

    @property
    def n(self) -> int:
        """Customers in the pool: they hold slots ``0 .. n-1``."""
        return self._n

    @n.setter
    def n(self, value: int) -> None:
        self._make_ready(int(value))
        self._n = int(value)

    def _make_ready(self, stop: int) -> None:
        """Give slots up to ``stop`` (at most the capacity) their initial values, once."""
        stop = min(stop, self.capacity)
        if stop <= self._ready:
            return
        for name, init in self._set_on_growth:
            getattr(self, name)[self._ready : stop] = init
        self._ready = stop

    def on_grow(self, release: Callable[[], None]) -> None:
        """Call ``release()`` before the arrays are reallocated (a cache of them drops them).

        Growing copies each state into a bigger array and lets the old one go; an object
        that keeps references to the old arrays (the model's kernel bundles) would keep
        them all alive next to the new ones, the run's highest memory.
        """
        self._before_grow.append(release)

    def reserve(self, extra: int) -> None:
        """Make room for ``extra`` more customers (amortised geometric growth)."""
        need = self.n + int(extra)
        if need <= self.capacity:
            return
        if self.limit is not None and need > self.limit:
            raise PoolTooLarge(
                f"the pool would reach {need:,} customers, above max_customers = {self.limit:,} "
                "(referrals growing without bound? check the K-factor: "
                "acquisition.referral.friends_per_share x sharing); raise max_customers if this "
                "size is intended"
            )
        if need > MAX_SLOTS:
            raise PoolTooLarge(
                f"the pool would reach {need:,} customers, above the {MAX_SLOTS:,} a pool can "
                "number (customer ids are stored as 32-bit integers)"
            )
        new_cap = min(max(need, int(self.capacity * 1.5) + 16), MAX_SLOTS)
        if self.limit is not None:
            new_cap = min(new_cap, max(need, self.limit))
        for release in self._before_grow:
            release()
        for name, (dtype, _, _) in self.spec.items():
            old = getattr(self, name)
            arr = np.zeros(new_cap, dtype=dtype)  # the slots past the pool: untouched pages
            arr[: self._ready] = old[: self._ready]
            setattr(self, name, arr)
        self.capacity = new_cap
        self.reallocations += 1

    def append(self, count: int, **columns: np.ndarray) -> slice:
        """Add ``count`` customers; columns not given keep their initial value.

        Returns
        -------
        slice
            The slots of the new customers.
        """
        unknown = set(columns) - set(self.spec)
        if unknown:
            raise KeyError(f"unknown state(s) {sorted(unknown)}")
        self.reserve(count)
        self._make_ready(self.n + count)
        sl = slice(self.n, self.n + count)
        for name, values in columns.items():
            getattr(self, name)[sl] = values
        self.n += count
        return sl

    def view(self, name: str) -> np.ndarray:
        """The live part (slots 0..n-1) of one state array."""
        return getattr(self, name)[: self.n]

    def nbytes(self) -> int:
        """Bytes held by all state arrays (capacity, not only live slots)."""
        return sum(getattr(self, name).nbytes for name in self.spec)
