"""Who in a finite market is still to be won, and how people are drawn from the rest.

Per person (arrays of market size, next to the graph of :mod:`lab.market.graph`):

* ``state`` (uint8): 0 untouched, 1 declined an invitation, 2 customer;
* ``slot`` (int32): the customer's slot in the population, -1 if not a customer;
* ``declined_day`` (int32): day of the last declined invitation, -1 never;
* ``friend_customers`` (int32): how many of the person's friends are customers
  (the social proof they see; kept up to date as people join);
* ``order`` (int32): one random permutation of the market.  Stock import, paid,
  staff invites and random seeds each walk it from their own starting point
  (channel ``c`` starts at ``c * size / 6``) and skip whoever is already a
  customer: sampling without replacement in O(1) per draw, and a channel's k-th
  draw is the same person in every scenario until another channel reaches that
  part of the ring.  With ``channel_segment_weights`` a channel takes a person it
  passes with chance weight(segment) / max weight (a counter-based draw keyed on
  the day and the person), so its draws lean towards the heavier segments.

About 20 bytes per person, plus the graph.

Referral invitations (裂变) travel along ties: a sharer who reaches k friends
invites k of their friends who are neither customers nor (unless
``reinvite_after_days`` has passed) people who already declined, chosen with
probability proportional to tie strength.  Each invited friend joins with

    p = 1 - (1 - acceptance) ** ((tie / mean tie) ** tie_elasticity)
    p = min(1, p * (1 + social_proof.strength * proof))

where proof is the share (or count) of the friend's friends who are customers
when the referral step starts (friends won by that step's invitations count from
the word of mouth after it); friends who decline are marked and are not invited
again.
Word of mouth is different: each customer talks to Poisson(word_of_mouth_per_day)
friends a day, chosen uniformly among *all* friends (customers too: those talks
are wasted, which is what makes diffusion saturate), and a non-customer who hears
joins with the same chance p; a talk that does not convert marks nobody.  On a
well-mixed market this is the discrete-time Bass model with
``q = word_of_mouth_per_day * acceptance`` (see ``tests/test_market.py``).

All decisions are counter-based draws (:mod:`lab.rng`): which friend is keyed on
(inviter key, day, invite number), whether they accept on (inviter key, day,
friend), so a result never depends on the number of workers.  Sharers are handled
in slot order; two sharers who pick the same friend on one day: the first invites.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from lab.agents.behaviour import _poisson_from_uniform
from lab.agents.traits import invert
from lab.market.graph import SocialGraph, build_graph
from lab.rng import RandomStreams, u01_scalar
from lab.vocab import CHANNELS

__all__ = ["CUSTOMER", "DECLINED", "UNTOUCHED", "MarketState"]

UNTOUCHED, DECLINED, CUSTOMER = 0, 1, 2
_N_RING_STARTS = 6  # one starting point per channel
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0x94D049BB133111EB)
_WOM_SALT = np.uint64(0x5851F42D4C957F2D)
_MAX_TRIES = 64  # well-mixed: random strangers tried per invitation


class MarketState:
    """The finite market of one run: its graph and who has been won.

    Parameters
    ----------
    cfg : lab.scenario.Market
        The scenario's ``market`` section (``size`` set).
    streams : RandomStreams
        The run's streams; the graph and the ring are built from ``market_graph``
        (the ring with a generator of its own, so graph settings do not move it).
    segment_labels : list of str
        The market's segment labels, sorted (index = the graph's segment code).
    segment_shares : numpy.ndarray
        Share of each label.
    """

    def __init__(
        self,
        cfg,
        streams: RandomStreams,
        segment_labels: list[str],
        segment_shares: np.ndarray,
    ) -> None:
        self.cfg = cfg
        self.size = int(cfg.size)
        self.segment_labels = list(segment_labels)
        graph_key = int(streams.key("market_graph"))
        rng = np.random.default_rng(graph_key)
        tie = cfg.graph.tie_strength
        tie_draw = tie.mean if tie.dist == "fixed" else (lambda u: invert(tie, u))
        self.graph: SocialGraph = build_graph(cfg.graph, self.size, segment_shares, tie_draw, rng)
        # the draw order has a generator of its own: changing the graph's structure
        # (degrees, communities) must not reshuffle whom the channels pick (CRN)
        self.order = np.random.default_rng([graph_key, 1]).permutation(self.size)
        self.order = self.order.astype(np.int32)
        self.cursor = [c * self.size // _N_RING_STARTS for c in range(_N_RING_STARTS)]
        self.state = np.zeros(self.size, dtype=np.uint8)
        self.slot = np.full(self.size, -1, dtype=np.int32)
        self.declined_day = np.full(self.size, -1, dtype=np.int32)
        self.friend_customers = np.zeros(self.size, dtype=np.int32)
        self.customers = 0
        g = self.graph
        self._indptr = g.indptr if g.indptr is not None else np.zeros(1, np.int64)
        self._indices = g.indices if g.indices is not None else np.zeros(0, np.int32)
        self._weight = g.weight if g.weight is not None else np.zeros(0, np.float32)
        # per ring: chance of taking a person of each segment (None = everyone)
        self._take_p: dict[int, np.ndarray] = {}
        for ch, weights in cfg.channel_segment_weights.items():
            w = np.array([weights.get(s, 1.0) for s in self.segment_labels], dtype=np.float64)
            self._take_p[CHANNELS.index(ch)] = w / w.max()
        self._keys = {
            name: streams.key(name)
            for name in ("market_pick", "market_accept", "market_word_of_mouth", "market_external")
        }
        sp = cfg.social_proof
        self._prm = np.array(
            [
                cfg.acceptance,
                cfg.tie_elasticity,
                g.mean_weight,
                sp.strength,
                1.0 if sp.form == "count" else 0.0,
                cfg.reinvite_after_days or 0,
            ],
            dtype=np.float64,
        )

    # ------------------------------------------------------------------ counts
    @property
    def remaining(self) -> int:
        """People not yet customers (declined invitations included)."""
        return self.size - self.customers

    def nbytes(self) -> int:
        """Bytes held by the market: graph and per-person state."""
        own = (self.order, self.state, self.slot, self.declined_day, self.friend_customers)
        return self.graph.nbytes() + sum(a.nbytes for a in own)

    # ------------------------------------------------------------------ drawing
    def take(self, ring: int, count: int, day: int = 0) -> np.ndarray:
        """Up to ``count`` people who are not customers, walking the ring from ``ring``'s cursor.

        ``ring`` is the channel's code (:data:`lab.population.CHANNELS`).  They are
        marked as customers at once (the caller adds them to the pool).  A channel
        with segment weights walks at most one lap a day, so it may bring fewer.
        """
        count = min(int(count), self.remaining)
        out = np.empty(count, dtype=np.int64)
        if count <= 0:
            return out
        p = self._take_p.get(ring)
        if p is None:
            found, self.cursor[ring] = _take(self.order, self.state, self.cursor[ring], count, out)
        else:
            found, self.cursor[ring] = _take_weighted(
                self.order, self.state, self.graph.segment, p, self.cursor[ring], count, out,
                self._keys["market_pick"], day, ring,
            )  # fmt: skip
        return out[:found]

    def most_connected(self, count: int) -> np.ndarray:
        """The ``count`` best-connected people who are not customers (ties: lower id first)."""
        deg = self.graph.degree()
        order = np.argsort(-deg, kind="stable")
        free = order[self.state[order] != CUSTOMER][: int(count)]
        self.state[free] = CUSTOMER
        return free.astype(np.int64)

    def external(self, day: int, p: float) -> np.ndarray:
        """Non-customers who join on their own today, each with chance ``p`` (Bass p)."""
        out = np.empty(self.remaining, dtype=np.int64)
        m = _external(self.state, self._keys["market_external"], day, p, out)
        return out[:m]

    def invite(
        self, day: int, inviter_person: np.ndarray, inviter_key: np.ndarray, counts: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Today's referral invitations along the graph.

        Parameters
        ----------
        day : int
        inviter_person, inviter_key : numpy.ndarray
            Each sharer's person and identity key.
        counts : numpy.ndarray of int
            Friends each sharer reaches (from the kernel).

        Returns
        -------
        tuple of numpy.ndarray
            Invited persons, the index of their inviter (into the sharer arrays),
            and whether each accepted.  Accepted people are marked as customers.
        """
        total = int(np.sum(counts))
        person = np.empty(total, dtype=np.int64)
        inviter = np.empty(total, dtype=np.int64)
        accepted = np.empty(total, dtype=np.bool_)
        m = _invite(
            self.size, self._indptr, self._indices, self._weight, self.graph.well_mixed,
            self.state, self.declined_day, self.friend_customers, self.customers, day,
            self._prm, self._keys["market_pick"], self._keys["market_accept"],
            np.ascontiguousarray(inviter_person, dtype=np.int64),
            np.ascontiguousarray(inviter_key, dtype=np.uint64),
            np.ascontiguousarray(counts, dtype=np.int64),
            person, inviter, accepted,
        )  # fmt: skip
        return person[:m], inviter[:m], accepted[:m]

    def word_of_mouth(
        self, day: int, talker_person: np.ndarray, talker_key: np.ndarray, rate: float
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """Today's word of mouth by ``talker_*`` (customers), ``rate`` talks each on average.

        Returns
        -------
        tuple
            Persons who join, the index of the talker who won each, and the number of talks.
        """
        cap = min(talker_person.size * 60, self.remaining)  # joiners are distinct non-customers
        person = np.empty(cap, dtype=np.int64)
        talker = np.empty(cap, dtype=np.int64)
        m, talks = _word_of_mouth(
            self.size, self._indptr, self._indices, self._weight, self.graph.well_mixed,
            self.state, self.friend_customers, self.customers, day, rate, self._prm,
            self._keys["market_word_of_mouth"], self._keys["market_accept"],
            np.ascontiguousarray(talker_person, dtype=np.int64),
            np.ascontiguousarray(talker_key, dtype=np.uint64),
            person, talker,
        )  # fmt: skip
        return person[:m], talker[:m], int(talks)

    def joined(self, persons: np.ndarray, slots: np.ndarray) -> None:
        """Record that ``persons`` are now customers in ``slots`` (social proof updated)."""
        persons = np.asarray(persons, dtype=np.int64)
        self.state[persons] = CUSTOMER
        self.slot[persons] = slots
        self.customers += persons.size
        if not self.graph.well_mixed:
            _add_proof(self._indptr, self._indices, persons, self.friend_customers)


# ---------------------------------------------------------------------- numba helpers
@njit(cache=True)
def _take(order, state, start, count, out):
    n = order.size
    i = start
    found = 0
    scanned = 0
    while found < count and scanned < n:
        p = order[i]
        i += 1
        if i == n:
            i = 0
        scanned += 1
        if state[p] != 2:
            state[p] = 2
            out[found] = p
            found += 1
    return found, i


@njit(cache=True)
def _take_weighted(order, state, segment, p_seg, start, count, out, key, day, ring):
    n = order.size
    i = start
    found = 0
    scanned = 0
    salt = np.uint64(ring + 1) << np.uint64(48)
    while found < count and scanned < n:
        p = order[i]
        i += 1
        if i == n:
            i = 0
        scanned += 1
        if state[p] != 2 and u01_scalar(key, day, np.uint64(p) ^ salt) < p_seg[segment[p]]:
            state[p] = 2
            out[found] = p
            found += 1
    return found, i


@njit(cache=True)
def _external(state, key, day, p, out):
    m = 0
    if p <= 0.0:
        return 0
    for v in range(state.size):
        if state[v] != 2 and u01_scalar(key, day, np.uint64(v)) < p:
            out[m] = v
            m += 1
    for j in range(m):
        state[out[j]] = 2
    return m


@njit(cache=True, inline="always")
def _accept_p(prm, w, proof):
    acc = prm[0]
    tie_el = prm[1]
    mean_w = prm[2]
    if tie_el > 0.0 and mean_w > 0.0 and w != mean_w:
        acc = 1.0 - (1.0 - acc) ** ((w / mean_w) ** tie_el)
    return min(1.0, acc * (1.0 + prm[3] * proof))


@njit(cache=True, inline="always")
def _proof(prm, v, indptr, friend_customers, well_mixed, customers, size):
    if prm[3] <= 0.0:
        return 0.0
    if well_mixed:
        return customers / max(size - 1, 1)
    if prm[4] > 0.0:
        return float(friend_customers[v])
    deg = indptr[v + 1] - indptr[v]
    return friend_customers[v] / deg if deg > 0 else 0.0


@njit(cache=True, inline="always")
def _eligible(state, declined_day, v, day, cooldown):
    s = state[v]
    if s == 0:
        return True
    return s == 1 and cooldown > 0 and day - declined_day[v] >= cooldown


@njit(cache=True)
def _invite(
    size, indptr, indices, weight, well_mixed, state, declined_day, friend_customers,
    customers, day, prm, k_pick, k_accept, inviter_person, inviter_key, counts,
    out_person, out_inviter, out_accept,
):  # fmt: skip
    cooldown = int(prm[5])
    has_w = weight.size > 0
    mean_w = prm[2]
    m = 0
    for s in range(inviter_person.size):
        p = inviter_person[s]
        key = inviter_key[s]
        for j in range(counts[s]):
            rid = key ^ (np.uint64(j + 1) * np.uint64(0x94D049BB133111EB))
            v = -1
            w = mean_w
            if well_mixed:
                for t in range(64):
                    c = int(u01_scalar(k_pick, day, rid ^ np.uint64(t << 40)) * size)
                    if c != p and _eligible(state, declined_day, c, day, cooldown):
                        v = c
                        break
            else:
                lo, hi = indptr[p], indptr[p + 1]
                tot = 0.0
                for e in range(lo, hi):
                    if _eligible(state, declined_day, indices[e], day, cooldown):
                        tot += weight[e] if has_w else 1.0
                if tot <= 0.0:
                    break  # every friend is a customer or has declined
                target = u01_scalar(k_pick, day, rid) * tot
                acc = 0.0
                for e in range(lo, hi):
                    c = indices[e]
                    if _eligible(state, declined_day, c, day, cooldown):
                        acc += weight[e] if has_w else 1.0
                        v = c
                        if has_w:
                            w = weight[e]
                        if acc > target:
                            break
            if v < 0:
                continue
            proof = _proof(prm, v, indptr, friend_customers, well_mixed, customers, size)
            p_acc = _accept_p(prm, w, proof)
            ok = (
                u01_scalar(k_accept, day, key ^ (np.uint64(v + 1) * np.uint64(0x9E3779B97F4A7C15)))
                < p_acc
            )
            if ok:
                state[v] = 2
            else:
                state[v] = 1
                declined_day[v] = day
            out_person[m] = v
            out_inviter[m] = s
            out_accept[m] = ok
            m += 1
    return m


@njit(cache=True)
def _word_of_mouth(
    size, indptr, indices, weight, well_mixed, state, friend_customers, customers, day,
    rate, prm, k_wom, k_accept, talker_person, talker_key, out_person, out_talker,
):  # fmt: skip
    has_w = weight.size > 0
    mean_w = prm[2]
    salt = np.uint64(0x5851F42D4C957F2D)
    m = 0
    talks = 0
    for s in range(talker_person.size):
        p = talker_person[s]
        key = talker_key[s]
        k = _poisson_from_uniform(rate, u01_scalar(k_wom, day, key))
        if not well_mixed:
            lo = indptr[p]
            deg = indptr[p + 1] - lo
            if deg == 0:
                continue
        for j in range(k):
            talks += 1
            u = u01_scalar(
                k_wom, day, key ^ salt ^ (np.uint64(j + 1) * np.uint64(0x94D049BB133111EB))
            )
            w = mean_w
            if well_mixed:
                v = int(u * (size - 1))
                if v >= p:
                    v += 1  # anyone but the talker
            else:
                e = lo + int(u * deg)
                v = indices[e]
                if has_w:
                    w = weight[e]
            if state[v] == 2:
                continue  # already a customer: the talk is wasted
            proof = _proof(prm, v, indptr, friend_customers, well_mixed, customers, size)
            r = key ^ salt ^ (np.uint64(v + 1) * np.uint64(0x9E3779B97F4A7C15))
            if u01_scalar(k_accept, day, r) < _accept_p(prm, w, proof):
                state[v] = 2
                out_person[m] = v
                out_talker[m] = s
                m += 1
    return m, talks


@njit(cache=True)
def _add_proof(indptr, indices, persons, friend_customers):
    for i in range(persons.size):
        p = persons[i]
        for e in range(indptr[p], indptr[p + 1]):
            friend_customers[indices[e]] += 1
