"""The lab's customer model written the idiomatic Mesa way: the benchmark peer and an oracle.

One ``mesa.Agent`` per customer holds its traits and states as attributes, and its
``step()`` runs the day's mechanics in plain Python, in the order of the lab's fused
kernel (``lab.agents.behaviour.MECHANISMS``; ``lab explain`` prints them).

The model adds each day's customers (stock import, paid, staff invites), works out
the strategies' offers and messages (discount cadence, contact plan), lets every
agent step in random order (``model.agents.shuffle_do("step")``), then lets the
friends of today's sharers join and collects the KPIs with a ``mesa.DataCollector``.

It is written independently of the lab's engine: it draws every random number from
the Mesa model's own seeded generators (``self.random``, ``self.rng``), not from the
lab's counter-based streams, and draws traits with ``scipy.stats`` rather than the
lab's trait code.  Its results therefore agree with ``lab.run`` in distribution, not
draw for draw: ``tests/test_mesa_oracle.py`` uses it as a statistical oracle, and
``benchmarks/bench_engine.py`` as the speed baseline.

>>> import lab
>>> sc = lab.Scenario(days=30, strategies=[{"type": "discount_cadence"}])  # doctest: +SKIP
>>> run_reference(sc, seed=1)[["orders", "gmv"]].sum()                     # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import math
from types import SimpleNamespace

import mesa
import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import ndtr

from lab.agents.acquisition import paid_volume
from lab.population import STAGES
from lab.scenario import Scenario, TraitDist, TraitSpec
from lab.strategies.contact_plan import WEEKDAYS

__all__ = ["KPIS", "Customer", "ReferenceModel", "run_reference"]

#: daily KPI columns (same meaning as the columns of ``lab.run(...).daily``)
KPIS = (
    "customers", "new_stock_import", "new_paid", "new_staff_invite", "new_referral",
    *STAGES, "alive", "blocked_total", "new_blocks", "dropouts",
    "orders", "trial_orders", "promo_orders", "first_orders", "shares", "referred",
    "contacts", "customers_contacted", "offered", "mean_fatigue", "mean_ref_price", "gmv",
)  # fmt: skip
#: traits an invitee shares with the inviter through a Gaussian copula
CORRELATED = ("propensity", "basket", "deal_proneness", "referral_propensity")


def _ppf(dist: TraitDist, u: np.ndarray) -> np.ndarray:
    """Trait values for uniforms ``u`` (gamma: mean and shape; beta: mean and concentration)."""
    if dist.dist == "fixed" or dist.mean == 0:
        return np.full(u.shape, dist.mean)
    if dist.dist == "gamma":
        return stats.gamma.ppf(u, dist.shape, scale=dist.mean / dist.shape)
    c = dist.concentration
    return stats.beta.ppf(u, dist.mean * c, (1.0 - dist.mean) * c)


def draw_traits(
    spec: TraitSpec,
    count: int,
    rng: np.random.Generator,
    parent_z: np.ndarray | None = None,
    rho: float = 0.0,
) -> tuple[dict[str, list], np.ndarray]:
    """Draw ``count`` customers' traits; invitees share normal scores with their inviter.

    Returns the traits (name -> list of Python values) and the normal scores of the
    :data:`CORRELATED` traits, shape ``(count, 4)``, which invitees inherit from.
    """
    z = rng.standard_normal((count, len(CORRELATED)))
    if parent_z is not None and rho > 0:
        z = rho * parent_z + math.sqrt(1.0 - rho * rho) * z
    u = dict(zip(CORRELATED, ndtr(z).T, strict=True))
    b = spec.basket
    q, p = b.shape_across_customers, b.shape_per_order
    nu_rate = b.mean_order_value_cny * (q - 1.0) / p  # order value mean is p * rate / (q - 1)
    labels = list(spec.segments)
    shares = np.array([spec.segments[s] for s in labels], dtype=float)
    traits = {
        "propensity": _ppf(spec.propensity_per_day, u["propensity"]),
        "p_drop_purchase": _ppf(spec.dropout_after_purchase, rng.random(count)),
        "p_drop_day": _ppf(spec.dropout_per_day, rng.random(count)),
        "basket_rate": np.maximum(stats.gamma.ppf(u["basket"], q) / nu_rate, 1e-12),
        "deal": _ppf(spec.deal_proneness, u["deal_proneness"]),
        "tolerance": np.maximum(_ppf(spec.contact_tolerance_per_week, rng.random(count)), 1e-3),
        "referral_propensity": _ppf(spec.referral_propensity, u["referral_propensity"]),
        "trust": _ppf(spec.trust, rng.random(count)),
        "segment": rng.choice(labels, size=count, p=shares / shares.sum()),
    }
    return {k: v.tolist() for k, v in traits.items()}, z


def promotion_today(cfg, day: int, start_date: dt.date) -> tuple[float, bool]:
    """Deepest discount of a discount cadence running on ``day``, and whether one starts."""
    depth, starts = 0.0, False
    runs = []  # (first day, period or None, duration, depth)
    if cfg.every_days is not None and cfg.depth > 0:
        runs.append((cfg.first_day, cfg.every_days, cfg.duration_days, cfg.depth))
    for sale in cfg.big_sales:
        runs.append((sale.first_day(start_date), 365 if sale.yearly else None, sale.duration_days, sale.depth))  # fmt: skip
    for first, period, duration, d in runs:
        since = day - first
        if first < 0 or since < 0:
            continue
        k = since % period if period else since
        if k < duration:
            depth = max(depth, d)
            starts = starts or k == 0
    return depth, starts


class Customer(mesa.Agent):
    """One customer of the pool: traits fixed at joining, states changed day by day."""

    def __init__(
        self,
        model: ReferenceModel,
        channel: str,
        traits: dict,
        z: np.ndarray,
        referrer: Customer | None = None,
    ) -> None:
        super().__init__(model)
        self.channel = channel
        self.referrer, self.joined, self.day_dropout = referrer, model.day, -1
        self.z = z  # normal scores of the correlated traits, passed on to invitees
        for name, value in traits.items():
            setattr(self, name, value)
        p = model.p
        self.trust = self.trust + p.welcome * (1.0 - self.trust) if p.barriers else 1.0
        self.order_shape = model.scenario.traits.for_channel(channel).basket.shape_per_order
        self.fatigue, self.ref_price, self.load = 0.0, 1.0, 0.0
        self.deal_cond, self.promo_stock, self.routine = 0.0, 0.0, 0.0
        self.stock = 0.0  # carried-over contact lift
        self.wear: dict[str, tuple[float, int]] = {}  # content -> (remembered, as of day)
        self.n_orders, self.n_trials, self.last_purchase = 0, 0, -1
        self.has_ordered, self.stage, self.alive, self.blocked = False, 0, True, False
        self.referrals, self.spend = 0, 0.0

    # ------------------------------------------------------------------ today's plan
    def targeted(self, target) -> bool:
        """Whether a strategy's target (stages, channels, segments) selects this customer."""
        stages, channels, segments = target
        return (
            (stages is None or self.stage in stages)
            and (channels is None or self.channel in channels)
            and (segments is None or self.segment in segments)
        )

    def receive(self) -> tuple[float, float, float, float, int]:
        """Today's best offer and the summed effects of the contacts that reach us."""
        m = self.model
        depth = 0.0
        for target, d, coupon in m.offers:
            if d > depth and self.targeted(target) and not (coupon and self.blocked):
                depth = d
        lift = fatigue = load = 0.0
        n = 0
        if not self.blocked:
            sent = dict.fromkeys(m.caps, 0)
            for target, touchpoint, content, effect, reach in m.messages:
                if not self.targeted(target) or sent[touchpoint] >= m.caps[touchpoint]:
                    continue
                if reach is not None and self.random.random() >= reach[self.stage]:
                    continue
                sent[touchpoint] += 1
                n += 1
                w = m.weights[touchpoint]
                lift += effect.purchase_lift * w * self.worn(content, w)
                fatigue += effect.fatigue_gain * w
                load += effect.annoyance_weight * w
        return depth, lift, fatigue, load, n

    def worn(self, content: str, dose: float) -> float:
        """Wear-out factor of one contact of ``content`` (1 when off); remember it."""
        p, day = self.model.p, self.model.day
        if not p.wear_on:
            return 1.0
        value, when = self.wear.get(content, (0.0, day))
        before = value * p.wear_keep ** (day - when)
        self.wear[content] = (before + dose, day)
        return 1.0 / (1.0 + p.wear_strength * before)

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        """Respond to today's plan (if still alive) and update the lifecycle stage."""
        m, p, kpi = self.model, self.model.p, self.model.kpi
        if self.alive:
            self.respond(p, kpi)
        else:  # the brand cannot see who has left: its messages and offers still count
            depth, *_, n_contacts = self.receive()
            kpi["contacts"] += n_contacts
            kpi["customers_contacted"] += n_contacts > 0
            kpi["offered"] += depth > 0
        # 7. lifecycle stage from days since the last order (the brand cannot see dropout)
        since = m.day - self.last_purchase
        if not self.has_ordered:
            self.stage = 0
        else:
            self.stage = 1 if since < p.t_silent else 2 if since < p.t_sleep else 3 if since < p.t_churn else 4  # fmt: skip
        kpi[STAGES[self.stage]] += 1
        kpi["blocked_total"] += self.blocked
        if self.alive:
            kpi["alive"] += 1
            kpi["fatigue_sum"] += self.fatigue
            kpi["ref_price_sum"] += self.ref_price

    def respond(self, p: SimpleNamespace, kpi: dict) -> None:
        """Steps 1-6 of the day for a customer who has not dropped out."""
        rand = self.random.random
        depth, c_lift, c_fatigue, c_load, n_contacts = self.receive()
        kpi["contacts"] += n_contacts
        kpi["customers_contacted"] += n_contacts > 0
        kpi["offered"] += depth > 0
        # 1-2. decay, then exposure to the offer and the contacts
        if p.fatigue_on:
            self.fatigue *= p.fatigue_keep
            if depth > 0:
                self.fatigue += min(p.fatigue_per_promo * depth / 0.2, 1.0) * (1.0 - self.fatigue)
            if c_fatigue > 0:
                self.fatigue += min(c_fatigue, 1.0) * (1.0 - self.fatigue)
        if p.refprice_on:
            if depth > 0:
                self.ref_price += p.learn * ((1.0 - depth) - self.ref_price)
            else:
                self.ref_price += p.recover * (1.0 - self.ref_price)
        # 3. annoyance: a contact load above tolerance may make us block the brand
        if p.annoy_on:
            self.load = self.load * p.load_keep + c_load
            if n_contacts > 0 and not self.blocked:
                excess = self.load * p.load_to_week / self.tolerance - 1.0
                if excess > 0:
                    p_one = min(p.block_hazard * excess, 1.0)
                    if rand() < 1.0 - (1.0 - p_one) ** n_contacts:
                        self.blocked = True
                        kpi["new_blocks"] += 1
        # promotion memory: conditioning relaxes and grows with an offer (and then pulls
        # the reference price towards the deal price); the promotion stock is used up
        if p.cond_on:
            self.deal_cond *= p.cond_keep
            if depth > 0:
                self.deal_cond += min(p.cond_gain * depth / 0.2, 1.0) * (1.0 - self.deal_cond)
                if p.refprice_on:
                    step = min(p.learn * p.cond_anchor * self.deal_cond, 1.0)
                    self.ref_price += step * ((1.0 - depth) - self.ref_price)
        if p.stock_on:
            self.promo_stock *= p.stock_keep
        # 4. purchase: rate = propensity x trust x habit x stock x price effect x contact lift
        # 3b. contact carry-over: yesterday's stock decays, today's contacts add to it
        if p.carry_on:
            self.stock = self.stock * p.carry_keep + c_lift
            self.stock = self.stock if self.stock >= 1e-3 else 0.0
            c_lift = self.stock
        # 4. purchase: rate = propensity x trust x habit x price effect x contact lift
        habit = min(self.n_orders, p.habit_orders) / p.habit_orders if p.habit_on else 0.0
        self.routine = habit if p.habit_on else 1.0
        boost, bond = self.referred_bond(p)
        rate = self.propensity * self.trust * (1.0 + p.habit_lift * habit) * boost
        if p.stock_on:
            rate *= 1.0 - self.promo_stock
        deal = self.deal * (1.0 + p.cond_lift * self.deal_cond) if p.cond_on else self.deal
        damp = 1.0 - p.fatigue_damping * self.fatigue if p.fatigue_on else 1.0
        gap = self.ref_price - (1.0 - depth)  # > 0: the price seen is below the reference
        if p.loss_on:  # lift on the cut off list; loss-averse reference effect on top
            if depth > 0:
                rate *= 1.0 + p.promo_lift * deal * depth * damp
            if gap > 0:
                rate *= math.exp(p.full_price_penalty / p.loss_aversion * deal * gap)
            elif gap < 0:
                rate *= math.exp(p.full_price_penalty * deal * gap)
        elif gap > 0:
            rate *= 1.0 + p.promo_lift * deal * gap * damp
        elif gap < 0:
            rate *= math.exp(p.full_price_penalty * deal * gap)
        if c_lift > 0:
            rate *= 1.0 + c_lift * damp
        if self.blocked:
            rate *= p.blocked_factor
        trial_rate = 0.0
        if self.n_orders == 0 and p.barriers:
            rate *= 1.0 - p.action_cost
            if p.trial_on and self.n_trials == 0:
                trial_rate = rate * p.trial_uptake
        p_full = 1.0 - math.exp(-rate)
        p_trial = (1.0 - math.exp(-trial_rate)) * (1.0 - p_full)
        u = rand()
        if u < p_full:
            self.buy(p, kpi, 1.0 - depth, trial=False, boost=boost)
        elif u < p_full + p_trial:
            self.buy(p, kpi, 1.0, trial=True, boost=boost)
        # 6. daily dropout hazard, lowered by habit (and by the bond to a present referrer)
        if self.alive and p.drop_day_on:
            if rand() < self.p_drop_day * bond * (1.0 - p.habit_dropout * habit):
                self.drop_out(kpi)

    def referred_bond(self, p: SimpleNamespace) -> tuple[float, float]:
        """A referred customer's (purchase-rate boost, daily-dropout factor); 1, 1 for others.

        The boost ``1 + rate_boost x 0.5^(tenure / half-life)`` fades with tenure; the
        bond removes the share ``retention`` of the daily dropout hazard until the day
        after the referrer dropped out (Van den Bulte et al. 2018).
        """
        if not p.referred_on or self.referrer is None:
            return 1.0, 1.0
        tenure = self.model.day - self.joined
        boost = 1.0 + p.referred_boost * 0.5 ** (tenure / p.referred_halflife)
        gone = self.referrer.day_dropout
        present = gone < 0 or gone >= self.model.day
        return boost, (1.0 - p.referred_retention) if present else 1.0

    def buy(
        self, p: SimpleNamespace, kpi: dict, price: float, trial: bool, boost: float = 1.0
    ) -> None:
        """Place an order (full or trial), then maybe drop out (BG/NBD) and share."""
        kpi["orders"] += 1
        self.last_purchase, self.has_ordered = self.model.day, True
        if trial:
            kpi["trial_orders"] += 1
            self.n_trials += 1
            self.trust += p.trial_trust * (1.0 - self.trust)
            list_value = p.trial_price
        else:
            kpi["first_orders"] += self.n_orders == 0
            kpi["promo_orders"] += price < 1.0
            self.n_orders += 1
            list_value = round(self.random.gammavariate(self.order_shape, 1.0 / self.basket_rate), 2)  # fmt: skip
        self.trust += p.trust_gain * (1.0 - self.trust)
        depth = 1.0 - price
        if not trial and depth > 0:
            if p.stock_on:  # stockpiling: a promotion order fills the stock
                self.promo_stock += min(p.stock_pull * depth / 0.2 * self.routine, 1.0) * (
                    1.0 - self.promo_stock
                )
            if p.first_deal_on:  # a good deal before the habit builds trust
                gain = min(p.first_deal_gain * depth / 0.2 * (1.0 - self.routine), 1.0)
                self.trust += gain * (1.0 - self.trust)
        paid = round(list_value * price, 2)
        self.spend += paid
        kpi["gmv"] += paid
        # 5. dropout after a full order (BG/NBD), then referral sharing by any buyer
        if not trial and p.drop_purchase_on:
            habit = min(self.n_orders, p.habit_orders) / p.habit_orders if p.habit_on else 0.0
            # the referred boost's extra orders carry no extra dropout chance
            p_drop = self.p_drop_purchase / boost * (1.0 - p.habit_dropout * habit)
            if self.random.random() < p_drop:
                self.drop_out(kpi)
        if p.referral_on and self.random.random() < self.referral_propensity * p.share_factor:
            kpi["shares"] += 1
            friends = int(self.model.rng.poisson(p.friends_per_share))
            if friends:
                self.model.invitations.append((self, friends))

    def drop_out(self, kpi: dict) -> None:
        """Leave for good (latent: the brand still sees the customer in the pool)."""
        self.alive, self.day_dropout = False, self.model.day
        kpi["dropouts"] += 1


class ReferenceModel(mesa.Model):
    """The pool as a ``mesa.Model`` with one :class:`Customer` agent per customer.

    Parameters
    ----------
    scenario : lab.Scenario
        Validated scenario; strategies of type ``discount_cadence`` and
        ``contact_plan`` are supported.
    seed : int
        Seed of the model's generators (``self.random`` and ``self.rng``).
    """

    def __init__(self, scenario: Scenario, seed: int) -> None:
        super().__init__(seed=seed)
        self.scenario, self.day, self.stock_added = scenario, 0, 0
        self.p = self._parameters(scenario)
        c = scenario.contacts
        self.caps, self.weights = dict(c.daily_cap), dict(c.channel_weight)
        self.strategies = [s for s in scenario.strategies if s.enabled]
        for s in self.strategies:
            if s.type not in ("discount_cadence", "contact_plan"):
                raise NotImplementedError(f"the reference model has no {s.type!r} strategy")
        self.kpi: dict[str, float] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={k: (lambda m, k=k: m.kpi[k]) for k in KPIS}
        )

    @staticmethod
    def _parameters(s: Scenario) -> SimpleNamespace:
        """Derived daily parameters, written out from the scenario's documented meaning."""
        rf, fo, pur, hab, ann = s.acquisition.referral, s.first_order, s.purchase, s.habit, s.annoyance  # fmt: skip
        load_keep = 0.5 ** (1.0 / ann.load_halflife_days)
        pr = s.promotion_response
        reward = rf.base_share + (1 - rf.base_share) * rf.reward_cny / (rf.reward_cny + rf.reward_half_saturation_cny)  # fmt: skip
        return SimpleNamespace(
            fatigue_on=s.fatigue.enabled, fatigue_keep=1.0 - s.fatigue.decay_per_day,
            fatigue_per_promo=s.fatigue.gain_per_promo_day, fatigue_damping=pur.fatigue_damping,
            refprice_on=s.reference_price.enabled, learn=s.reference_price.learning_rate,
            recover=s.reference_price.recovery_per_day,
            annoy_on=ann.enabled, load_keep=load_keep, load_to_week=7.0 * (1.0 - load_keep),
            block_hazard=ann.block_hazard, promo_lift=pur.promo_lift,
            full_price_penalty=pur.full_price_penalty, blocked_factor=pur.blocked_factor,
            trust_gain=pur.trust_gain_per_order, habit_on=hab.enabled,
            habit_orders=hab.orders_to_habit, habit_lift=hab.rate_lift,
            habit_dropout=hab.dropout_reduction, barriers=fo.enabled,
            welcome=fo.welcome_quality * fo.welcome_trust_gain, action_cost=fo.action_cost,
            trial_on=fo.enabled and fo.trial.enabled, trial_uptake=fo.trial.uptake,
            trial_trust=fo.trial.trust_gain, trial_price=fo.trial.price_cny,
            drop_purchase_on=s.dropout.after_purchase, drop_day_on=s.dropout.per_day,
            referral_on=rf.enabled and rf.friends_per_share > 0,
            share_factor=reward * rf.invites_required ** (-rf.threshold_elasticity),
            friends_per_share=rf.friends_per_share, rho=rf.trait_correlation,
            t_silent=s.lifecycle.days_to_silent, t_sleep=s.lifecycle.days_to_sleeping,
            t_churn=s.lifecycle.days_to_churned,
            cond_on=pr.deal_conditioning.enabled, cond_keep=1.0 - pr.deal_conditioning.relax_per_day,
            cond_gain=pr.deal_conditioning.gain_per_promo_day,
            cond_lift=pr.deal_conditioning.sensitivity_lift, cond_anchor=pr.deal_conditioning.anchoring,
            stock_on=pr.stockpiling.enabled, stock_keep=0.5 ** (1.0 / pr.stockpiling.halflife_days),
            stock_pull=pr.stockpiling.pull_forward, loss_on=pr.loss_aversion.enabled,
            loss_aversion=pr.loss_aversion.loss_aversion, first_deal_on=pr.first_deal.enabled,
            first_deal_gain=pr.first_deal.trust_gain,
            carry_on=s.contacts.carryover.enabled,
            carry_keep=0.5 ** (1.0 / s.contacts.carryover.halflife_days),
            wear_on=s.contacts.wear_out.enabled, wear_strength=s.contacts.wear_out.strength,
            wear_keep=0.5 ** (1.0 / s.contacts.wear_out.halflife_days),
            referred_on=s.referred.enabled, referred_retention=s.referred.retention,
            referred_boost=s.referred.rate_boost, referred_halflife=s.referred.boost_halflife_days,
        )  # fmt: skip

    # ------------------------------------------------------------------ acquisition
    def join(self, channel: str, count: int, inviters: list[Customer] | None = None) -> list:
        """Create ``count`` customers joining through ``channel`` (invitees resemble inviters)."""
        spec = self.scenario.traits.for_channel(channel)
        parent_z = np.array([a.z for a in inviters]) if inviters else None
        traits, z = draw_traits(spec, count, self.rng, parent_z, self.p.rho if inviters else 0.0)
        self.kpi["new_" + channel] += count
        return [
            Customer(
                self,
                channel,
                {k: v[i] for k, v in traits.items()},
                z[i],
                referrer=inviters[i] if inviters else None,
            )
            for i in range(count)
        ]

    def acquire(self, day: int) -> None:
        """Stock import, paid acquisition and staff invites of the day."""
        a = self.scenario.acquisition
        c = a.stock_import
        if c.enabled and day >= c.start_day:
            due = min(c.total_customers, math.floor(c.customers_per_day * (day - c.start_day + 1)))
            count = due - self.stock_added
            if count > 0:
                self.stock_added += count
                prior = 1 + self.rng.poisson(max(c.prior_orders_mean - 1.0, 0.0), count)
                recency = self.rng.integers(0, c.prior_recency_max_days + 1, count)
                for agent, k, r in zip(self.join("stock_import", count), prior, recency, strict=True):  # fmt: skip
                    agent.n_orders, agent.last_purchase = int(k), day - int(r)
                    agent.has_ordered, agent.stage = True, 1
        c = a.paid
        if c.enabled and day >= c.start_day and (c.end_day is None or day <= c.end_day):
            volume = paid_volume(c.daily_budget_cny, c.base_cac_cny, c.saturation_customers_per_day)  # fmt: skip
            count = math.floor(volume) + (self.random.random() < volume - math.floor(volume))
            if count > 0:
                self.join("paid", count)
        c = a.staff_invite
        if c.enabled and c.staff * c.invites_per_staff_per_day > 0:
            count = int(self.rng.poisson(c.staff * c.invites_per_staff_per_day))
            if count > 0:
                self.join("staff_invite", count)

    # ------------------------------------------------------------------ strategies
    def plan(self, day: int) -> None:
        """Today's offers ``(target, depth, coupon)`` and messages ``(target, touchpoint,
        content, effect, reach by stage or None for everyone)``."""
        self.offers, self.messages = [], []
        content = self.scenario.contacts.content
        start = self.scenario.start_date
        weekday = WEEKDAYS[(start + dt.timedelta(days=day)).weekday()]
        for s in self.strategies:
            t = s.target
            target = (
                None if t.stages is None else {STAGES.index(x) for x in t.stages},
                None if t.channels is None else set(t.channels),
                None if t.segments is None else set(t.segments),
            )
            if s.type == "discount_cadence":
                depth, starts = promotion_today(s, day, start)
                if depth > 0:
                    self.offers.append((target, depth, s.kind == "coupon"))
                    if starts and s.announce:
                        self.messages.append(
                            (target, s.announce, "promotion", content["promotion"], None)
                        )
            else:
                reach = [s.reach * s.stage_frequency[x] for x in STAGES]
                for name in s.weekly[weekday]:
                    self.messages.append((target, s.touchpoint, name, content[name], reach))

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        """Acquisition, strategies, every customer's day, referral joins, record."""
        day = self.day
        self.kpi = dict.fromkeys((*KPIS, "fatigue_sum", "ref_price_sum"), 0.0)
        self.acquire(day)
        self.plan(day)
        self.invitations: list[tuple[Customer, int]] = []
        self.agents.shuffle_do("step")
        inviters = [a for a, k in self.invitations for _ in range(k)]
        for a, k in self.invitations:
            a.referrals += k
        if inviters:
            self.join("referral", len(inviters), inviters)
        kpi = self.kpi
        alive = max(kpi["alive"], 1.0)
        kpi["mean_fatigue"] = kpi["fatigue_sum"] / alive
        kpi["mean_ref_price"] = kpi["ref_price_sum"] / alive
        kpi["referred"] = len(inviters)
        kpi["prospect"] += len(inviters)  # today's invitees joined after the response
        kpi["alive"] += len(inviters)
        kpi["customers"] = len(self.agents)
        self.datacollector.collect(self)
        self.day += 1


def run_reference(scenario: Scenario, seed: int, days: int | None = None) -> pd.DataFrame:
    """Run the Mesa reference model and return its daily KPIs.

    Parameters
    ----------
    scenario : lab.Scenario
        What to simulate.
    seed : int
        Seed of the Mesa model's generators.
    days : int, optional
        Number of days; defaults to ``scenario.days``.

    Returns
    -------
    pandas.DataFrame
        One row per day: ``day`` and the :data:`KPIS` columns.
    """
    model = ReferenceModel(scenario, seed)
    for _ in range(scenario.days if days is None else int(days)):
        model.step()
    df = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    df.insert(0, "day", np.arange(len(df)))
    return df
