"""Today's plan: the offers and contacts strategies give each customer on one day.

Strategies never touch shared customer state directly: they write offers, contacts,
multipliers on today's rates and nudges to trust into a :class:`DayPlan` (the one door
from strategies to customers, see :mod:`lab.services`), which enforces these rules in
one place:

* only reachable customers (not blocked) receive contacts and coupons;
* the platform caps per touchpoint and customer per day (Moments 3, mass message 1,
  ...) are never exceeded, however many strategies ask;
* a touchpoint may be *gated* for the day (:meth:`DayPlan.gate`): community groups
  let group contacts reach only members of live groups and scale their effect by
  the group's health, whichever strategy sends them.
* repeated contacts of one content type wear out (``contacts.wear_out``): each
  contact's purchase lift is divided by ``1 + strength x`` the contacts of that
  type the customer remembers (:class:`lab.contact_wear.WearMemory`).

The fused daily kernel then reads the plan arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Protocol

import numpy as np
from numba import get_num_threads, njit, prange

from lab.contact_wear import WearMemory
from lab.rng import u01_scalar

if TYPE_CHECKING:  # pragma: no cover
    from lab.population import Population

__all__ = ["ContactRules", "DayPlan", "Gate", "Reach"]


class ContactRules(Protocol):
    """What the plan reads of the scenario's ``contacts`` (:class:`lab.scenario.Contacts`).

    A structural type, so the engine's plan does not import the scenario schema.
    """

    #: platform cap per touchpoint and customer per day
    daily_cap: Mapping[str, int]
    #: effect of each content type (purchase lift, fatigue, annoyance ...)
    content: Mapping[str, Any]
    #: weight of a contact through each touchpoint
    channel_weight: Mapping[str, float]


@dataclass
class Gate:
    """Today's rule for one touchpoint, per customer (arrays over slots ``0 .. n-1``).

    Attributes
    ----------
    deliver : numpy.ndarray of bool
        Who the touchpoint can reach today; contacts to anyone else are not delivered.
    lift : numpy.ndarray of float32
        Multiplier on the purchase lift of each delivered contact.
    load : numpy.ndarray of float32
        Multiplier on its annoyance load.
    on_delivered : callable, optional
        ``f(k, content)`` told how many contacts ``k`` (per customer, uint8) of a
        content type were delivered, e.g. to count the messages a group carried.
    """

    deliver: np.ndarray
    lift: np.ndarray
    load: np.ndarray
    on_delivered: Callable[[np.ndarray, str], None] | None = None


class Reach(NamedTuple):
    """Who of a message's addressees sees it: each by their own draw, taken on delivery.

    Customer ``i`` sees the message with chance ``chance[code[i]]`` (e.g. a chance per
    lifecycle stage, ``code`` the stages), drawn as :func:`lab.rng.bernoulli` does:
    ``uniform(key, day, ids[i]) < chance`` with today's day.

    Attributes
    ----------
    chance : numpy.ndarray of float64
        Chance of being reached, by code.
    code : numpy.ndarray of int8
        Each customer's code (slots ``0 .. n-1`` at least).
    key : numpy.uint64
        Key of the draws' stream.
    ids : numpy.ndarray of uint64
        Customer identity keys (``pop.rkey``).
    """

    chance: np.ndarray
    code: np.ndarray
    key: np.uint64
    ids: np.ndarray


class DayPlan:
    """Per-customer offers and contact effects for one day.

    Parameters
    ----------
    contacts : ContactRules
        The scenario's ``contacts`` (:class:`lab.scenario.Contacts`):
        Content effects, touchpoint weights and platform caps.
    """

    ARRAYS: ClassVar[dict[str, type]] = {
        "offer_depth": np.float32,  # best discount offered today, share of list price
        "contact_lift": np.float32,  # summed purchase lift of today's contacts
        "contact_fatigue": np.float32,  # summed fatigue gain of today's contacts
        "contact_load": np.float32,  # annoyance-weighted contacts today
        "n_contacts": np.uint8,  # contacts delivered today, all touchpoints
        "purchase_mult": np.float32,  # strategy multiplier on today's purchase rate
        "dropout_mult": np.float32,  # strategy multiplier on today's dropout hazard
        "standing_depth": np.float32,  # standing price cut that is no promotion (member price)
        "share_mult": np.float32,  # multiplier on a buyer's chance to share today (referral)
        "friends_mult": np.float32,  # multiplier on the friends a share brings today
        "standing_response": np.float32,  # share of the standing price's purchase response
    }
    _ONES = ("purchase_mult", "dropout_mult", "share_mult", "friends_mult", "standing_response")

    def __init__(self, contacts: ContactRules) -> None:
        self.contacts = contacts
        # canonical order: YAML and dicts may order the same keys differently
        self.touchpoints = sorted(contacts.daily_cap)
        self.capacity = 0
        self.n = 0
        self._alloc(1024)
        self.contacts_by_touchpoint = dict.fromkeys(self.touchpoints, 0)
        self.gates: dict[str, Gate] = {}
        self.day = 0
        # per content type, what each customer remembers of recent contacts (wear-out)
        self.wear = WearMemory(contacts.wear_out)

    def _alloc(self, capacity: int) -> None:
        self.capacity = capacity
        for name, dtype in self.ARRAYS.items():
            fill = np.ones if name in self._ONES else np.zeros
            setattr(self, name, fill(capacity, dtype=dtype))
        self.sent = {tp: np.zeros(capacity, dtype=np.uint8) for tp in self.touchpoints}
        self._k = np.zeros(capacity, dtype=np.uint8)  # contacts of one delivery, per customer
        # arrays written since the last reset (ARRAYS names, and touchpoints of ``sent``):
        # every other array holds its default value at every slot, so reset skips it
        self._written: set[str] = set()
        self._sent_written: set[str] = set()

    def mark_written(self, *names: str) -> None:
        """Note plan arrays (``ARRAYS`` names) written directly, not through the plan's methods.

        The next :meth:`reset` clears only the arrays written since the last one; the
        plan's own methods mark what they write, and code that writes an array in place
        (``plan.dropout_mult[:n] *= ...``) calls this so that reset clears it too.
        """
        for name in names:
            if name not in self.ARRAYS:
                raise KeyError(f"unknown plan array {name!r}; known: {', '.join(self.ARRAYS)}")
            self._written.add(name)

    def written(self) -> frozenset[str]:
        """Names of the plan arrays (``ARRAYS``) written since the last :meth:`reset`.

        Every other array holds its default at every slot (0, or 1 for the
        multipliers), so a reader may use the default without reading the array (the
        daily loop does, :func:`lab.agents.behaviour.plan_switches`).
        """
        return frozenset(self._written)

    def reset(self, pop: Population, day: int = 0) -> None:
        """Clear the plan for ``day``, sized to the current population.

        Only the arrays written since the last reset are cleared (over the slots the
        plan had then: nothing writes beyond them); all others are at their defaults
        already, so the plan after a reset is the same as one cleared in full.
        """
        self.day = int(day)
        n = pop.n
        if n > self.capacity:
            # fresh arrays at defaults; grown geometrically with the pool, not to its
            # capacity: the capacity counts projected referrals the pool may never
            # reach, and the multipliers' arrays start at 1 (written pages)
            self._alloc(min(pop.capacity, max(n, 2 * self.capacity)))
        else:
            old = self.n
            for name in self._written:
                getattr(self, name)[:old] = 1 if name in self._ONES else 0
            for tp in self._sent_written:
                self.sent[tp][:old] = 0
            self._written.clear()
            self._sent_written.clear()
        self.n = n
        self._blocked = pop.blocked[:n]
        self.pop = pop
        self.contacts_by_touchpoint = dict.fromkeys(self.touchpoints, 0)
        self.gates = {}

    def reachable(self) -> np.ndarray:
        """Customers the brand can still message today (not blocked)."""
        return ~self._blocked

    def multiply(
        self, mask: np.ndarray | None, purchase: float | np.ndarray = 1.0, dropout: float = 1.0
    ) -> None:
        """Scale today's purchase rate and dropout hazard of ``mask`` (effects compose).

        ``purchase`` may be one factor or one per customer (a float32 array over slots
        ``0 .. n-1``); with an array, ``mask=None`` applies it to everyone as it is.
        """
        n = self.n
        if isinstance(purchase, np.ndarray):  # x1 outside the mask: exact, and no gather
            pm = self.purchase_mult[:n]
            factor = purchase if mask is None else np.where(mask, purchase, np.float32(1))
            np.multiply(pm, factor.astype(np.float32, copy=False), out=pm)
            self._written.add("purchase_mult")
        elif purchase != 1.0:
            self.purchase_mult[:n][mask] *= np.float32(purchase)
            self._written.add("purchase_mult")
        if dropout != 1.0:
            self.dropout_mult[:n][mask] *= np.float32(dropout)
            self._written.add("dropout_mult")

    def raise_trust(self, slots: np.ndarray, gain: float) -> None:
        """Give customers ``slots`` the share ``gain`` of their missing trust, now.

        For a strategy's goodwill (a completed task, a gift, a served chat): trust moves
        toward 1 by ``gain x (1 - trust)``, before today's purchases are decided.
        """
        trust = self.pop.trust
        trust[slots] += np.float32(gain) * (1 - trust[slots])

    def scale_trust(self, slots: np.ndarray, factor: float) -> None:
        """Multiply the trust of customers ``slots`` by ``factor`` (e.g. a lost contact), now."""
        self.pop.trust[slots] *= np.float32(factor)

    def offer(self, mask: np.ndarray, depth: float, promotion: bool = True) -> None:
        """Offer a discount of ``depth`` (share of list price) to ``mask``; best offer wins.

        ``promotion=False`` marks a standing price (a member price): customers pay the
        best of it and today's promotions, but it adds no promotion fatigue, deal
        conditioning or stockpiling and is not counted as an offer.
        """
        name = "offer_depth" if promotion else "standing_depth"
        od = getattr(self, name)[: self.n]
        self._written.add(name)
        mask = np.asarray(mask)
        if mask.dtype == np.bool_ and mask.shape == od.shape:  # one pass, no temporaries
            _offer(od, mask, np.float32(depth))
        else:
            np.maximum(od, np.where(mask, np.float32(depth), np.float32(0)), out=od)

    def standing_price_response(self, mask: np.ndarray, share: np.ndarray) -> None:
        """Scale the purchase response to a standing price of ``mask`` to ``share`` of it.

        On a day the standing price is what a customer pays, the extra purchase rate it
        brings (the price effect minus 1) is multiplied by ``share`` (one value per
        customer in ``mask``): a member who already buys most of their needs from the
        brand pays the member price but barely buys more often (membership headroom,
        Liu 2007).  Effects compose by multiplication.
        """
        sr = self.standing_response[: self.n]
        sr[mask] *= np.asarray(share, dtype=np.float32)
        self._written.add("standing_response")

    def gate(self, touchpoint: str, gate: Gate) -> None:
        """Gate ``touchpoint`` for the rest of today (see :class:`Gate`); one gate per touchpoint."""
        if touchpoint not in self.sent:
            raise KeyError(
                f"unknown touchpoint {touchpoint!r}; known: {', '.join(self.touchpoints)}"
            )
        if touchpoint in self.gates:
            raise ValueError(f"touchpoint {touchpoint!r} is already gated today")
        self.gates[touchpoint] = gate

    def contact(
        self,
        mask: np.ndarray,
        touchpoint: str,
        content: str,
        count: int = 1,
        reach: Reach | None = None,
    ) -> int:
        """Send ``count`` contacts of a content type through a touchpoint.

        Blocked customers are skipped, the touchpoint's daily cap is enforced, and a
        gated touchpoint reaches only the gate's customers, with its effect scaled.

        Parameters
        ----------
        mask : numpy.ndarray of bool
            Customers (slots ``0 .. n-1``) the contacts are sent to.
        touchpoint, content : str
            Touchpoint and content type.
        count : int
            Contacts per customer.
        reach : Reach, optional
            Who of ``mask`` actually sees the message, drawn during delivery (see
            :class:`Reach`): the same as passing ``mask & lab.rng.bernoulli(key, day,
            ids, chance[code])``, without that pass and its arrays.

        Returns
        -------
        int
            Contacts actually delivered.
        """
        n = self.n
        if not (
            isinstance(mask, np.ndarray)
            and mask.dtype == np.bool_
            and mask.shape == (n,)
            and mask.flags.c_contiguous
        ):
            mask = np.ascontiguousarray(np.broadcast_to(np.asarray(mask, dtype=np.bool_), (n,)))
        gate = self.gates.get(touchpoint)
        deliver, gate_lift, gate_load = (
            _NO_GATE if gate is None else (gate.deliver, gate.lift, gate.load)
        )
        effect = self.contacts.content[content]
        wear = self.wear
        value, when = wear.memory(content, n) if wear.enabled else _NO_MEMORY
        if self._k.size < n:
            self._k = np.zeros(self.capacity, dtype=np.uint8)
        drawn = reach is not None
        chance, code, key, ids = _NO_REACH if reach is None else reach
        delivered = _deliver(
            n,
            mask,
            drawn,
            chance,
            code,
            np.uint64(key),
            np.uint64(self.day),
            ids,
            self._blocked,
            int(self.contacts.daily_cap[touchpoint]),
            int(count),
            gate is not None,
            deliver,
            gate_lift,
            gate_load,
            np.float32(self.contacts.channel_weight[touchpoint]),
            np.float32(effect.purchase_lift),
            np.float32(effect.annoyance_weight),
            np.float32(effect.fatigue_gain),
            wear.enabled,
            np.int32(self.day),
            wear.decay,
            wear.strength,
            value,
            when,
            self.sent[touchpoint],
            self.n_contacts,
            self.contact_lift,
            self.contact_load,
            self.contact_fatigue,
            self._k,
            gate is not None and gate.on_delivered is not None,
            get_num_threads(),
        )
        if delivered == 0:
            return 0
        self._written.update(_CONTACT_ARRAYS)
        self._sent_written.add(touchpoint)
        self.contacts_by_touchpoint[touchpoint] += delivered
        if gate is not None and gate.on_delivered is not None:
            gate.on_delivered(self._k[:n].copy(), content)
        return delivered

    def scale_referral(self, mask: np.ndarray, share: float, friends: float) -> None:
        """Scale today's sharing chance and friends per share of ``mask`` (effects compose).

        For referral terms that hold for some customers only (a fission program's target).
        """
        self.share_mult[: self.n][mask] *= np.float32(share)
        self.friends_mult[: self.n][mask] *= np.float32(friends)
        self._written.update(("share_mult", "friends_mult"))


_CONTACT_ARRAYS = ("n_contacts", "contact_lift", "contact_load", "contact_fatigue")
_NO_GATE = (np.zeros(0, np.bool_), np.zeros(0, np.float32), np.zeros(0, np.float32))
_NO_MEMORY = (np.zeros(0, np.float32), np.zeros(0, np.int32))
_NO_REACH = (np.zeros(0, np.float64), np.zeros(0, np.int8), 0, np.zeros(0, np.uint64))


@njit(cache=True)
def _deliver(
    n,
    mask,
    drawn,
    chance,
    code,
    key,
    draw_day,
    ids,
    blocked,
    cap,
    count,
    gated,
    deliver,
    gate_lift,
    gate_load,
    weight,
    lift_of,
    load_of,
    fatigue_of,
    wear_on,
    day,
    decay,
    strength,
    value,
    when,
    sent,
    n_contacts,
    lift,
    load,
    fatigue,
    k,
    want_k,
    threads=1,
):
    """:meth:`DayPlan.contact` over customers ``0 .. n-1``; returns contacts delivered.

    Per customer: the contacts ``k`` that the mask, blocks, the gate and the cap let
    through, then the same float32 arithmetic as the array form (``w = weight x k``;
    lift ``lift_of x w x wear factor (x gate lift)``, load ``load_of x w (x gate
    load)``, fatigue ``fatigue_of x w``), and the wear memory updated as
    :func:`lab.contact_wear._wear` does.  With ``drawn``, a customer the mask, blocks,
    gate and cap let through is reached with chance ``chance[code[i]]``: the draw
    ``u01_scalar(key, draw_day, ids[i]) < chance`` of :func:`lab.rng.bernoulli`.

    Block by block of :data:`_BLOCK` customers: the block's draws (a draw depends on
    nothing but its key, day and id, so taking them ahead changes nothing; the loop
    vectorises), then the list of who gets contacts, then their contacts, in slot
    order as before.  ``k`` (contacts per customer) is written only if ``want_k``.
    Blocks are independent (every write is to the block's own customers): with
    ``threads`` >= 2 and at least :data:`PARALLEL_MIN_BLOCKS` blocks they are dealt
    round-robin to the threads (:func:`_deliver_on_threads`), with the same result.
    """
    if want_k:
        k[:n] = 0
    if count <= 0:
        return 0
    # the per-block arguments, one tuple through the blocks' functions
    args = (
        mask, drawn, chance, code, key, draw_day, ids, blocked, cap, count, gated, deliver,
        gate_lift, gate_load, weight, lift_of, load_of, fatigue_of, wear_on, day, decay,
        strength, value, when, sent, n_contacts, lift, load, fatigue, k, want_k,
    )  # fmt: skip
    n_blocks = (n + _BLOCK - 1) // _BLOCK
    if threads >= 2 and n_blocks >= PARALLEL_MIN_BLOCKS:
        per_block = np.zeros(n_blocks, np.int64)
        _deliver_on_threads(n, threads, per_block, args)
        return per_block.sum()
    u = np.empty(_BLOCK if drawn else 0)
    who = np.empty(_BLOCK, np.int64)
    delivered = 0
    for start in range(0, n, _BLOCK):
        delivered += _deliver_block(start, min(start + _BLOCK, n), u, who, args)
    return delivered


@njit(cache=True, parallel=True)
def _deliver_on_threads(n, threads, per_block, args):
    """:func:`_deliver`'s blocks on ``threads`` threads, contacts of block b in ``per_block[b]``.

    The parallel region holds the loop only (array expressions in a ``parallel=True``
    function become parallel loops of their own, see
    :func:`lab.agents.behaviour._chunks_on_threads`); each thread has its own scratch.
    """
    n_blocks = per_block.size
    drawn = args[1]
    for t in prange(threads):
        u = np.empty(_BLOCK if drawn else 0)
        who = np.empty(_BLOCK, np.int64)
        for b in range(t, n_blocks, threads):
            start = b * _BLOCK
            per_block[b] = _deliver_block(start, min(start + _BLOCK, n), u, who, args)


@njit(cache=True)
def _deliver_block(start, stop, u, who, args):
    """Contacts of customers ``start .. stop-1`` (one block of :func:`_deliver`, whose
    arguments after ``n`` are ``args``, in its order); returns the contacts delivered."""
    (
        mask, drawn, chance, code, key, draw_day, ids, blocked, cap, count, gated, deliver,
        gate_lift, gate_load, weight, lift_of, load_of, fatigue_of, wear_on, day, decay,
        strength, value, when, sent, n_contacts, lift, load, fatigue, k, want_k,
    ) = args  # fmt: skip
    last = decay.size - 1
    delivered = 0
    if drawn:  # the block's draws first, in a loop the compiler vectorises
        _draws(key, draw_day, ids, start, stop, u)
    # who of the block gets the contacts (no branch: a coin-flip branch per
    # customer costs more than the work); with count >= 1, k > 0 iff sent < cap,
    # and as u >= 0, "p > 0 and u < p" is "u < p"
    m = 0
    for i in range(start, stop):
        ok = mask[i] & ~blocked[i] & (np.int64(sent[i]) < cap)
        if gated:
            ok = ok & deliver[i]
        if drawn:
            ok = ok & (u[i - start] < chance[code[i]])
        who[m] = i
        m += ok
    for j in range(m):
        i = who[j]
        ki = min(cap - np.int64(sent[i]), count)
        if want_k:
            k[i] = ki
        sent[i] += np.uint8(ki)
        n_contacts[i] += np.uint8(ki)
        delivered += ki
        w = weight * np.float32(ki)
        add = lift_of * w
        if wear_on and w > 0.0:  # as WearMemory.factor: decayed memory, then remember
            age = day - when[i]
            before = value[i] * decay[age] if age < last else np.float32(0.0)
            add = add * np.float32(1.0 / (1.0 + strength * before))
            value[i] = before + w
            when[i] = day
        if gated:
            lift[i] += add * gate_lift[i]
            load[i] += load_of * w * gate_load[i]
        else:
            lift[i] += add
            load[i] += load_of * w
        fatigue[i] += fatigue_of * w
    return delivered


@njit(cache=True)
def _offer(od, mask, depth):
    """``np.maximum(od, np.where(mask, depth, 0), out=od)`` customer by customer (NumPy's
    maximum: the first operand if it is greater or NaN, else the second, so of two
    zeros the second)."""
    zero = np.float32(0.0)
    for i in range(od.size):
        v = depth if mask[i] else zero
        a = od[i]
        if not (a > v or np.isnan(a)):
            od[i] = v


#: customers :func:`_deliver` takes at a time (draws, then who gets contacts, then those)
_BLOCK = 2048
#: fewer blocks than this are delivered on the calling thread (threads would cost more
#: to start than they save); same blocks, same result
PARALLEL_MIN_BLOCKS = 8


@njit(cache=True)
def _draws(key, day, ids, start, stop, out):
    """``out[i - start] = u01_scalar(key, day, ids[i])`` for ``start <= i < stop``."""
    for i in range(start, stop):
        out[i - start] = u01_scalar(key, day, ids[i])
