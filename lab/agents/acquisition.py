"""Acquisition (获客/引流): who enters the pool each day, through which channel.

* **stock import** (存量导入): existing buyers moved in at a fixed daily rate until
  the base is exhausted; they arrive with a purchase history;
* **paid** (公域拉新): a daily budget buys customers at a unit cost that rises with
  volume, ``cac(n) = base_cac * (1 + n / saturation)``, so the number bought solves
  ``n * cac(n) = budget``;
* **staff invites** (全员营销): Poisson(staff x rate) adds a day;
* **referral** (裂变): friends brought by today's sharers (see the kernel), joining
  at the end of the day with traits optionally correlated with their inviter;
* **known customers** (老客户名单): real customers listed in a table
  (:mod:`lab.known_customers`), joining at the end of their own join day, with
  that day's first order booked or with their history, and optionally their own
  trait distributions (e.g. a calibrated posterior).

Every new customer gets a stable identity key (:mod:`lab.rng`), traits drawn from
the channel's distributions, a welcome message (欢迎语) that lifts trust, and a
channel and cohort day.

With a finite market (``market.size``, :mod:`lab.market`) every channel draws
people from the part of the market not yet won, capped by it: a customer is a
person of the social graph (``person``, ``community``, segment from the graph,
identity key from the person); paid acquisition pays a scarcity multiplier
``(size / remaining) ** paid_cac_scarcity_elasticity`` on its unit cost (so a fixed
budget buys fewer); referral invitations travel along ties and may be declined;
seed customers (KOC) and organic joins (Bass p) are two more channels, and word of
mouth (Bass q) brings friends of customers at the end of each day.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd
from scipy.special import betaincinv, gammaincinv

from lab.acquisition_terms import (
    ReferralTerms,
    paid_volume,
    pool_projection_problem,
    projected_customers,
)
from lab.agents.behaviour import poisson_inverse
from lab.agents.counts import poisson_ppf
from lab.agents.personas import PersonaTable, persona_traits
from lab.agents.traits import TraitDrawer, inviter_uniforms
from lab.known_customers import PAIRS, known_customer_keys
from lab.population import NO_FIRST_PURCHASE
from lab.rng import child_keys, identity_keys, person_keys
from lab.vocab import CHANNELS

if TYPE_CHECKING:  # pragma: no cover
    from lab.services import PoolServices

__all__ = [
    "Acquirer",
    "Joins",
    "ReferralTerms",
    "TraitDraw",
    "paid_volume",
    "pool_projection_problem",
    "projected_customers",
    "run_joins",
]  # the last four live in lab.acquisition_terms (no engine needed), re-exported here


class TraitDraw(NamedTuple):
    """Traits to draw for customers joining a run: what :meth:`Acquirer.add_joins` yields.

    Attributes
    ----------
    channel : str
        Their channel (the trait distributions drawn from).
    keys : numpy.ndarray of uint64
        Their identity keys.
    parent_u : dict or None
        For invitees with a copula: where each inviter sits in the correlated traits.
    rho : float
        The copula's correlation (0: none).
    """

    channel: str
    keys: np.ndarray
    parent_u: dict[str, np.ndarray] | None
    rho: float


#: a joining step written as a generator: yields trait draws, is sent their traits,
#: returns its result (the slots joined, the number who joined, ...)
Joins = Generator[TraitDraw, dict, Any]


def run_joins(joins: Joins, draw: Callable[[TraitDraw], dict]) -> Any:
    """Run a joining generator to its end, each trait draw made by ``draw``; its result.

    One run draws each request as it comes (:meth:`Acquirer.draw`); a batch of runs
    (:mod:`lab.batch`) advances the generators of all its runs together and makes
    each round of requests in one call per channel (:meth:`TraitDrawer.draw_many`),
    the same traits per customer.
    """
    try:
        request = next(joins)
        while True:
            request = joins.send(draw(request))
    except StopIteration as stop:
        return stop.value


class Acquirer:
    """Adds each day's new customers to the model's population."""

    def __init__(self, model: PoolServices) -> None:
        self.model = model
        self.cfg = model.scenario.acquisition
        self.stock_added = 0
        self._specs = {ch: model.scenario.traits.for_channel(ch) for ch in CHANNELS}
        self._drawers: dict[str, TraitDrawer] = {}  # per channel, made on its first joiner
        fo = model.scenario.first_order
        self._welcome = fo.welcome_quality * fo.welcome_trust_gain if fo.enabled else 0.0
        self._barriers = fo.enabled
        self.market = model.market
        if self.market is not None:
            self._seg_code = np.array(
                [model.segment_codes[s] for s in self.market.segment_labels], dtype=np.int8
            )
        self._known = self._known_schedule()
        sc = model.scenario
        mix = (sc.market.enabled and sc.market.segments) or sc.traits.default.segments
        self._persona = (
            PersonaTable(sc.personas, list(model.segment_names), mix)
            if sc.personas.enabled
            else None
        )

    def _known_schedule(self) -> dict[int, np.ndarray] | None:
        """Rows of the known-customer table joining on each day (None if off)."""
        kc = self.cfg.known_customers
        if not kc.enabled or kc.table is None:
            return None
        days = kc.table.join_days(self.model.scenario.start_date)
        self._known_keys = known_customer_keys(kc.table.frame["customer_id"])
        order = np.arange(days.size)
        return {int(d): order[days == d] for d in np.unique(days)}

    # ------------------------------------------------------------------ channels
    def acquire_joins(self, day: int) -> Joins:
        """Add today's seed (KOC), stock-import, paid, staff-invite and organic customers.

        A generator of their trait draws (see :func:`run_joins`): the model runs it
        (:meth:`lab.model.PoolModel.acquire_joins`), a batch draws its runs' together.
        """
        if self.market is not None:
            yield from self._seeds(day)
        yield from self._stock(day)
        yield from self._paid(day)
        yield from self._staff(day)
        if self.market is not None:
            yield from self._organic(day)

    def _people(self, ring: int, count: int, day: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Identity keys (and persons, with a market) of ``count`` people for channel ``ring``."""
        if self.market is None:
            return identity_keys(ring, day, 0, count), None
        persons = self.market.take(ring, count, day)
        return person_keys(persons), persons

    def _season(self, day: int) -> float:
        """The calendar's multiplier of today's arrivals (1 unless ``calendar.arrivals``)."""
        cal = self.model.scenario.calendar
        return self.model.day_mult(day) if cal.enabled and cal.arrivals else 1.0

    def _seeds(self, day: int) -> Joins:
        c = self.market.cfg.seed_customers
        if c.count <= 0 or day != c.join_day:
            return
        if c.selection == "degree":
            persons = self.market.most_connected(c.count)
        else:
            persons = self.market.take(CHANNELS.index("seed"), c.count, day)
        if persons.size == 0:
            return
        sl = yield from self.add_joins("seed", day, person_keys(persons), persons=persons)
        if c.referral_propensity is not None:
            self.model.pop.referral_propensity[sl] = c.referral_propensity

    def _organic(self, day: int) -> Joins:
        p = self.market.cfg.external_adoption_per_day
        if p <= 0:
            return
        persons = self.market.external(day, p)
        if persons.size:
            yield from self.add_joins("organic", day, person_keys(persons), persons=persons)

    def _stock(self, day: int) -> Joins:
        c = self.cfg.stock_import
        if not c.enabled or day < c.start_day:
            return
        due = min(c.total_customers, math.floor(c.customers_per_day * (day - c.start_day + 1)))
        count = due - self.stock_added
        if count <= 0:
            return
        if self.market is None:
            keys, persons = identity_keys(0, 0, self.stock_added, count), None
        else:
            keys, persons = self._people(0, count, day)
        self.stock_added += count
        method = None
        if c.adding.enabled:
            keys, persons, method = self._adding(c.adding, keys, persons)
        if keys.size == 0:
            return
        streams = self.model.streams
        mu = max(c.prior_orders_mean - 1.0, 0.0)  # <= 19 (schema), within the kernel's inversion
        extra = poisson_inverse(streams.uniform("stock_history", 0, keys), mu) if mu > 0 else 0
        prior = (1 + np.asarray(extra)).astype(np.int32)
        recency = np.floor(
            streams.uniform("stock_history", 1, keys) * (c.prior_recency_max_days + 1)
        ).astype(np.int32)
        sl = yield from self.add_joins(
            "stock_import",
            day,
            keys,
            prior_orders=prior,
            last_purchase=day - recency,
            persons=persons,
        )
        if method is not None:
            self._tag_adds(c.adding, sl, keys, method)

    def _adding(self, cfg, keys: np.ndarray, persons: np.ndarray | None):
        """Today's approached buyers: who is reached how, who joins; costs booked.

        Returns the joiners' keys and persons and their method (1 phone, 2 live code).
        """
        streams, model = self.model.streams, self.model
        active = streams.uniform("stock_history", 2, keys) < cfg.active_share
        rate = np.where(active, cfg.active.acceptance_rate, cfg.passive.scan_rate)
        join = streams.uniform("stock_history", 3, keys) < rate
        n_active = int(active.sum())
        a = cfg.active
        cost = n_active * a.staff_minutes_per_request / 60.0 * a.staff_cost_per_hour_cny
        cost += (keys.size - n_active) * cfg.passive.card_cost_cny
        model.book("adding", cost)
        model.count("adds_active", int((join & active).sum()))
        model.count("adds_passive", int((join & ~active).sum()))
        method = np.where(active, 1, 2).astype(np.int8)[join]
        return keys[join], (persons[join] if persons is not None else None), method

    def _tag_adds(self, cfg, sl: slice, keys: np.ndarray, method: np.ndarray) -> None:
        """Tag today's stock joiners with their add method, staff and trust at joining."""
        pop = self.model.pop
        pop.add_method[sl] = method
        passive = method == 2
        staff = np.floor(
            self.model.streams.uniform("stock_history", 4, keys) * cfg.passive.staff
        ).astype(np.int16)
        pop.assigned_staff[sl] = np.where(passive, staff, -1)
        gain = np.where(passive, cfg.passive.trust_gain, cfg.active.trust_gain).astype(np.float32)
        trust = pop.trust[sl]
        pop.trust[sl] = trust + gain * (1 - trust)

    def _paid(self, day: int) -> Joins:
        c = self.cfg.paid
        if not c.enabled or day < c.start_day or (c.end_day is not None and day > c.end_day):
            return
        scarcity = self.model.paid_cac_factor  # the platform store's feedback (反哺)
        if self.market is not None:  # the easy customers go first: each one costs more
            m = self.market
            scarcity *= (m.size / max(m.remaining, 1)) ** m.cfg.paid_cac_scarcity_elasticity
            self.model.today["paid_cac_multiplier"] = scarcity
        volume = paid_volume(
            c.daily_budget_cny / scarcity, c.base_cac_cny, c.saturation_customers_per_day
        )
        volume *= self._season(day)
        whole = math.floor(volume)
        count = whole + int(self.model.streams.scalar("acquire_count", day, 1) < volume - whole)
        if count <= 0:
            return
        keys, persons = self._people(1, count, day)
        count = keys.size
        if count == 0:
            return
        cost = count * c.base_cac_cny * (1.0 + count / c.saturation_customers_per_day) * scarcity
        self.model.book("paid_acquisition", cost)
        yield from self.add_joins("paid", day, keys, persons=persons)

    def _staff(self, day: int) -> Joins:
        c = self.cfg.staff_invite
        mu = (
            c.staff
            * c.invites_per_staff_per_day
            * self.model.fission.staff_factor(c.bonus_per_invite_cny)
            * self._season(day)
        )
        if not c.enabled or mu <= 0:
            return
        # scipy's inverse CDF: exact for any mean (staff x rate can be large)
        count = int(poisson_ppf(self.model.streams.scalar("acquire_count", day, 2), mu))
        if count <= 0:
            return
        keys, persons = self._people(2, count, day)
        count = keys.size
        if count == 0:
            return
        self.model.book("staff_bonus", count * c.bonus_per_invite_cny)
        yield from self.add_joins("staff_invite", day, keys, persons=persons)

    def referral_joins(self, day: int, inviter_slots: np.ndarray, friends: np.ndarray) -> Joins:
        """Friends brought by today's sharers join the pool; rewards are booked.

        A generator of their trait draws (see :func:`run_joins`) that returns the number
        who joined.  With a market, ``friends`` are the friends each sharer reaches
        (invites), not all of whom join, and word of mouth adds its own joiners.
        """
        if self.market is not None:
            return (yield from self._add_referrals_market(day, inviter_slots, friends))
        total = int(friends.sum())
        if total == 0:
            return 0
        pop = self.model.pop
        parent = pop.rkey[inviter_slots]
        keys = child_keys(parent, friends)
        gift = self._book_rewards(friends, total, inviter_slots)
        np.add.at(pop.referrals, inviter_slots, friends)
        inviters = np.repeat(inviter_slots.astype(np.int64), friends)
        sl = yield from self.add_joins(
            "referral", day, keys, referrer=inviters, parent_u=self._inviter_u(inviters)
        )
        self._credit_invitees(sl, np.repeat(gift, friends))
        return total

    def _book_rewards(self, friends: np.ndarray, total: int, inviter_slots: np.ndarray) -> None:
        """Book today's referral rewards: ``friends`` who joined per inviter, ``total`` in all.

        The inviters' rewards are credited to the inviters now; the invitees' rewards
        to the invitees once they have joined (:meth:`_credit_invitees`).  Under a
        fission program with a target, sharers outside it earn the standing terms.

        Returns
        -------
        numpy.ndarray
            The gift (CNY) each of the inviters' friends receives, one per inviter.
        """
        model = self.model
        terms = model.referral_terms
        gift = np.full(friends.size, float(terms.invitee_reward_cny))
        covered = terms.owner.covers(inviter_slots) if terms.owner is not None else None
        if covered is not None and not covered.all():
            out = ~covered
            standing = model.standing_referral_terms
            self._book_under(standing, friends[out], int(friends[out].sum()), inviter_slots[out])
            gift[out] = float(standing.invitee_reward_cny)
            friends, inviter_slots = friends[covered], inviter_slots[covered]
            total = int(friends.sum())
        spent = self._book_under(terms, friends, total, inviter_slots)
        if terms.owner is not None:
            terms.owner.on_referral_spend(spent, total)
        return gift

    def _book_under(
        self, terms: ReferralTerms, friends: np.ndarray, total: int, inviter_slots: np.ndarray
    ) -> float:
        """Book the rewards ``friends`` earn under ``terms``, inviters credited; returns the cost."""
        model = self.model
        n_each = friends // terms.invites_required
        n_rewards = int(n_each.sum())
        model.fission.on_rewards(terms, n_rewards)
        spent = float(n_rewards * terms.reward_cny) + total * terms.invitee_reward_cny
        model.book("referral_rewards", spent, np.zeros(0, np.int64))
        earned = n_each * terms.reward_cny
        paid = np.flatnonzero(earned)
        model.money.add(
            "cost_referral_rewards",
            inviter_slots[paid],
            earned[paid].astype(np.float64),
            model.day,
            model.pop.cohort_day,
        )
        return spent

    def _credit_invitees(self, joined: slice, gifts: np.ndarray) -> None:
        """Credit each invitee who joined (slots ``joined``) with their own gift (CNY)."""
        if gifts.size and gifts.any():
            slots = np.arange(joined.start, joined.stop, dtype=np.int64)
            self.model.money.add(
                "cost_referral_rewards",
                slots,
                gifts.astype(np.float64),
                self.model.day,
                self.model.pop.cohort_day,
            )

    def _inviter_u(self, inviters: np.ndarray) -> dict[str, np.ndarray] | None:
        """Where each inviter sits in their traits' distributions, for the invitees' copula;
        None without one (``trait_correlation`` 0: the invitees' draws do not use it)."""
        if self.cfg.referral.trait_correlation <= 0:
            return None
        pop = self.model.pop
        return inviter_uniforms(
            self._specs,
            pop.channel[inviters],  # codes: self._specs is keyed in CHANNELS order
            {
                k: getattr(pop, k)[inviters]
                for k in ("propensity", "deal_proneness", "referral_propensity", "basket_rate")
            },
        )

    def _add_referrals_market(
        self, day: int, inviter_slots: np.ndarray, friends: np.ndarray
    ) -> Joins:
        """Invitations along the graph, then word of mouth; both join as ``referral``."""
        model, pop, market = self.model, self.model.pop, self.market
        joined = 0
        if int(friends.sum()) > 0:
            persons, idx, accepted = market.invite(
                day, pop.person[inviter_slots], pop.rkey[inviter_slots], friends
            )
            model.today["invitations"] += persons.size
            won = np.bincount(idx[accepted], minlength=inviter_slots.size)
            n_won = int(won.sum())
            model.today["invitations_accepted"] += n_won
            if n_won:
                gift = self._book_rewards(won, n_won, inviter_slots)
                np.add.at(pop.referrals, inviter_slots, won)
                inviters = inviter_slots[idx[accepted]].astype(np.int64)
                sl = yield from self._join_referred(day, persons[accepted], inviters)
                self._credit_invitees(sl, gift[idx[accepted]])
                joined += n_won
        rate = market.cfg.word_of_mouth_per_day * model.fission.wom_factor()
        if rate > 0 and market.remaining > 0:
            talkers = np.flatnonzero(pop.view("alive")).astype(np.int64)
            persons, idx, talks = market.word_of_mouth(
                day, pop.person[talkers], pop.rkey[talkers], rate
            )
            model.today["word_of_mouth_talks"] += talks
            model.today["word_of_mouth_joins"] += persons.size
            if persons.size:
                inviters = talkers[idx]
                np.add.at(pop.referrals, inviters, 1)
                yield from self._join_referred(day, persons, inviters)
                joined += persons.size
        return joined

    def _join_referred(self, day: int, persons: np.ndarray, inviters: np.ndarray) -> Joins:
        return (
            yield from self.add_joins(
                "referral",
                day,
                person_keys(persons),
                referrer=inviters,
                parent_u=self._inviter_u(inviters),
                persons=persons,
            )
        )

    def add_known(self, day: int) -> tuple[slice, bool | np.ndarray] | None:
        """Known customers whose join day is today join the pool (end of the day).

        Returns the slots of today's joiners and whether their first order is to be
        booked (the model books it): one bool for all of them (the section's
        ``book_first_order``), or one per joiner when the table has that column; None
        if nobody joins today.
        """
        if self._known is None or day not in self._known:
            return None
        kc = self.cfg.known_customers
        frame = kc.table.frame
        rows = self._known[day]
        keys = self._known_keys[rows]
        book = kc.table.book_first_order(kc.book_first_order)
        if not isinstance(book, bool):
            book = book[rows]
        booked = np.broadcast_to(book, rows.shape)
        sl = self.add("stock_import", day, keys)
        slots = np.arange(sl.start, sl.stop, dtype=np.int64)
        for part, with_order in ((booked, True), (~booked, False)):
            if part.any():
                cols = self._known_history(frame, rows[part], day, with_order)
                for name, values in cols.items():
                    getattr(self.model.pop, name)[slots[part]] = values
        self._own_traits(frame.iloc[rows], keys, slots, day)
        if kc.rate_is_daily_chance:
            # the kernel buys with P = 1 - exp(-rate); this rate makes P equal the drawn
            # rate, the continuous-time model's expected orders per day (at most one a day)
            lam = np.minimum(self.model.pop.propensity[sl], 1.0 - 1e-9)
            self.model.pop.propensity[sl] = -np.log1p(-lam)
        return sl, book

    def _known_history(
        self, frame: pd.DataFrame, rows: np.ndarray, day: int, with_order: bool
    ) -> dict[str, np.ndarray | int | bool]:
        """Order-history columns of known customers joining on ``day`` (table ``rows``):
        with today's first order booked, or with their history before joining."""
        if with_order:
            prior = frame["prior_orders"].to_numpy()[rows] if "prior_orders" in frame else 0
            prior = np.zeros(rows.size, np.int32) + prior
            cols = dict(prior_orders=prior, n_orders=prior + 1, last_purchase=day)
            cols.update(has_ordered=True, stage=1)
            # the booked order is the first purchase unless orders came before it
            cols["first_purchase"] = np.where(prior == 0, day, NO_FIRST_PURCHASE)
            return cols
        if "prior_orders" not in frame:
            return {}
        prior = frame["prior_orders"].to_numpy()[rows]
        start = pd.Timestamp(self.model.scenario.start_date)
        last = (frame["last_purchase_date"].iloc[rows] - start).dt.days
        last = last.fillna(-1).to_numpy(np.int64).astype(np.int32)
        had = prior > 0
        stage = np.where(had, self._stage_of(day - last), 0)
        cols = dict(prior_orders=prior, n_orders=prior, has_ordered=had, stage=stage)
        cols["last_purchase"] = np.where(had, last, -1)
        return cols

    def _own_traits(self, rows, keys: np.ndarray, slots: np.ndarray, day: int) -> None:
        """Per-customer trait distributions and survival of the table, where given (an
        empty cell keeps the trait drawn from the scenario's ``traits``)."""
        pop, streams = self.model.pop, self.model.streams
        for col, stream, target in (
            ("propensity_shape", "trait_propensity", "propensity"),
            ("dropout_a", "trait_dropout_after_purchase", "p_drop_purchase"),
            ("basket_shape", "trait_basket_mean", "basket_rate"),
        ):
            if col not in rows:
                continue
            a, b = _pair(rows, col)
            given = ~np.isnan(a)
            if not given.any():
                continue
            u = streams.uniform(stream, 0, keys[given])
            if target == "p_drop_purchase":
                value = betaincinv(a[given], b[given], u)
            else:
                value = gammaincinv(a[given], u) / b[given]
            if target == "basket_rate":
                value = np.maximum(value, 1e-12)
            getattr(pop, target)[slots[given]] = value
        if "purchase_phase" in rows:  # the Erlang clock's stages done since the last order
            phase = rows["purchase_phase"].to_numpy()
            given = ~np.isnan(phase)
            pop.purchase_phase[slots[given]] = phase[given]
        if "p_alive" in rows:
            p_alive = rows["p_alive"].to_numpy()
            given = ~np.isnan(p_alive)
            gone = streams.uniform("known_customers", 0, keys[given]) >= p_alive[given]
            pop.alive[slots[given]] = ~gone
            pop.day_dropout[slots[given]] = np.where(gone, day, -1)

    def _stage_of(self, days_since: np.ndarray) -> np.ndarray:
        """Lifecycle stage code of customers with history (today's strategies see it)."""
        lc = self.model.scenario.lifecycle
        cuts = [lc.days_to_silent, lc.days_to_sleeping, lc.days_to_churned]
        return (1 + np.searchsorted(cuts, days_since, side="right")).astype(np.int8)

    # ------------------------------------------------------------------ joining
    def drawer(self, channel: str) -> TraitDrawer:
        """The trait drawer of ``channel`` (made on its first joiner)."""
        drawer = self._drawers.get(channel)
        if drawer is None:
            drawer = TraitDrawer(self._specs[channel], self.model.segment_codes)
            self._drawers[channel] = drawer
        return drawer

    def draw(self, request: TraitDraw) -> dict[str, np.ndarray]:
        """The traits of one :class:`TraitDraw` of this run (drawn now)."""
        return self.drawer(request.channel).draw(
            self.model.streams, request.keys, request.parent_u, request.rho
        )

    def add(
        self,
        channel: str,
        day: int,
        keys: np.ndarray,
        prior_orders: np.ndarray | None = None,
        last_purchase: np.ndarray | None = None,
        referrer: np.ndarray | None = None,
        parent_u: dict[str, np.ndarray] | None = None,
        persons: np.ndarray | None = None,
    ) -> slice:
        """Append customers with identity ``keys`` joining on ``day`` through ``channel``.

        With a market, ``persons`` are their nodes in the social graph (required).
        """
        return run_joins(
            self.add_joins(
                channel, day, keys, prior_orders, last_purchase, referrer, parent_u, persons
            ),
            self.draw,
        )

    def add_joins(
        self,
        channel: str,
        day: int,
        keys: np.ndarray,
        prior_orders: np.ndarray | None = None,
        last_purchase: np.ndarray | None = None,
        referrer: np.ndarray | None = None,
        parent_u: dict[str, np.ndarray] | None = None,
        persons: np.ndarray | None = None,
    ) -> Joins:
        """:meth:`add` as a generator: yields its :class:`TraitDraw`, is sent the traits."""
        model = self.model
        rho = self.cfg.referral.trait_correlation if parent_u is not None else 0.0
        traits = yield TraitDraw(channel, keys, parent_u, rho)
        trust = traits.pop("trust")
        if self._barriers:
            trust = trust + self._welcome * (1.0 - trust)
        else:
            trust = np.ones_like(trust)
        cols = dict(
            traits,
            rkey=keys,
            channel=CHANNELS.index(channel),
            cohort_day=day,
            trust=trust,
        )
        if prior_orders is not None:
            cols.update(
                prior_orders=prior_orders,
                n_orders=prior_orders,
                last_purchase=last_purchase,
                has_ordered=True,
                stage=self._stage_of(day - last_purchase),
            )
        if referrer is not None:
            cols["referrer"] = referrer
        if self.market is not None:
            if persons is None:
                raise ValueError(f"channel {channel!r} added customers without persons")
            g = self.market.graph
            cols.update(
                person=persons,
                community=g.community[persons],
                segment=self._seg_code[g.segment[persons]],
            )
        if self._persona is not None:
            persona_traits(cols, self._persona)
        sl = model.pop.append(len(keys), **cols)
        if self.market is not None:
            self.market.joined(persons, np.arange(sl.start, sl.stop, dtype=np.int32))
        model.count_new(channel, len(keys))
        return sl


def _pair(rows: pd.DataFrame, first: str) -> tuple[np.ndarray, np.ndarray]:
    """The two parameters of a known-customer table's trait pair (NaN where empty)."""
    second = dict(PAIRS)[first]
    return rows[first].to_numpy(np.float64), rows[second].to_numpy(np.float64)
