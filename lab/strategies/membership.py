"""Membership (付费会员 / 会员卡): a paid card with member prices and member days.

Buyers are offered the card at checkout.  They join with probability
``uptake_max x logistic(savings_sensitivity x (expected_savings / fee - 1))``, where
expected savings come from the customer's own purchase rate, order value, the member
price and the shipping benefit: frequent buyers find the card worth it, rare buyers
do not.  Members pay the member price every day (a standing price, not a promotion:
it does not tire them; ``price_is_promotion`` restores the old treatment), get deeper
discounts on member days (会员日, promotions), and buy more often (lock-in): with ``headroom`` the lift acts on the share
of their needs not yet bought from the brand, so light and moderate buyers gain and
heavy buyers barely change (Liu 2007), while heavy buyers still self-select into
the card (their expected savings are largest).  With ``price_headroom`` the member
price's own purchase response acts on the same share: heavy members pay the member
price but barely buy more often because of it.  At the end of the term each member's renewal
is a SimPy event: they renew with probability ``renewal_max x logistic(...)`` of the
savings they actually had, or lapse.  Fees are booked as revenue, the shipping
benefit as a cost, the member price as order discounts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

from lab.params import P, assumed, setting
from lab.strategies._common import logistic, on_cycle
from lab.strategies.base import Strategy, StrategyConfig

if TYPE_CHECKING:  # pragma: no cover
    from lab.plan import DayPlan

__all__ = ["Membership", "MembershipConfig"]


class MembershipConfig(StrategyConfig):
    """A paid membership card."""

    type: Literal["membership"] = "membership"
    fee_cny: float = P(
        99.0, "CNY", "price of the card", ge=0, source=setting("a decision of the strategy")
    )
    term_days: int = P(
        365,
        "days",
        "length of one membership term",
        ge=7,
        le=3650,
        source=setting("a decision of the strategy"),
    )
    member_discount: float = P(
        0.05,
        "share",
        "member price: discount on every order",
        ge=0,
        le=0.9,
        source=setting("a decision of the strategy"),
    )
    member_day_every_days: int | None = P(
        30,
        "days",
        "days between member days (会员日); none = no member days",
        ge=1,
        source=setting("a decision of the strategy"),
    )
    member_day_first_day: int = P(
        14, "day", "first member day", ge=0, source=setting("a decision of the strategy")
    )
    member_day_depth: float = P(
        0.15,
        "share",
        "discount on member days",
        ge=0,
        le=0.9,
        source=setting("a decision of the strategy"),
    )
    free_shipping_value_cny: float = P(
        6.0,
        "CNY/order",
        "shipping benefit per member order (a cost)",
        ge=0,
        source=setting("a decision of the strategy"),
    )
    lock_in_lift: float = P(
        0.6,
        "x",
        "extra purchase rate of members (with headroom: of a member who buys little from "
        "the brand yet)",
        ge=0,
        source=assumed(
            0.0,
            0.8,
            "Leenheer et al. 2007: the causal effect is small, about 7x smaller than the naive "
            "gap; Liu 2007: the gain comes from light and moderate buyers.  With headroom and "
            "price headroom, 0.6 (with wallet_half_rate_per_day 0.01) gives a naive/causal "
            "ratio of about 7.8 and 58% of the extra orders from light and moderate buyers "
            "(joint grid lab.facts.grid, 0.3-0.8 x 0.0075-0.03, 8 quick seeds: every "
            "candidate but 0.3 x 0.03 passes both facts; docs/facts.md)",
        ),
    )
    headroom: bool = P(
        True,
        "flag",
        "the lock-in lift acts on the headroom (1 - share of wallet): light and moderate "
        "buyers gain, heavy buyers barely change; off = the same lift for every member",
        source=setting(),
    )
    price_headroom: bool = P(
        True,
        "flag",
        "with headroom, the member price's purchase response also acts on the headroom: "
        "a member who already buys most of their needs from the brand pays the member "
        "price but barely buys more often; off = the member price lifts every member's "
        "rate by their full price response",
        source=setting(
            "Liu 2007: heavy buyers did not change under a programme (its benefits "
            "included); off = the behaviour before (heavy members +16-24% orders, of which "
            "the member price's own response about two thirds)"
        ),
    )
    wallet_half_rate_per_day: float = P(
        0.01,
        "1/day",
        "base purchase rate at which a customer already buys half their category needs "
        "from the brand (headroom = this / (this + base rate))",
        gt=0,
        source=assumed(
            0.005,
            0.05,
            "Liu 2007: heavy buyers did not change, light and moderate buyers bought more; "
            "0.01 is near the default pool's mean rate (0.012), so a customer buying at the "
            "mean already buys about half their needs from the brand (joint grid with "
            "lock_in_lift, docs/facts.md)",
        ),
    )
    uptake_max: float = P(
        0.3,
        "share",
        "largest share of offered buyers who join",
        ge=0,
        le=1,
        source=assumed(0.05, 0.6),
    )
    savings_sensitivity: float = P(
        2.0,
        "1",
        "how strongly uptake follows expected savings / fee",
        ge=0,
        source=assumed(0.5, 5.0),
    )
    price_is_promotion: bool = P(
        False,
        "flag",
        "the member price counts as a promotion every day (fatigue, deal conditioning, "
        "stockpiling, offered and promotion-order counts); off = a standing price that "
        "only lowers what members pay (member days stay promotions)",
        source=setting(
            "issue 17 item 9: a standing member price is no promotion; on = the behaviour "
            "before it (members' fatigue 0.391 vs 0.295 for everyone)"
        ),
    )
    renewal_max: float = P(
        0.85, "share", "largest share of members who renew", ge=0, le=1, source=assumed(0.5, 0.95)
    )

    def headroom_share(self, base_rate: np.ndarray) -> np.ndarray:
        """Share of a customer's category needs not yet bought from the brand (headroom)."""
        half = self.wallet_half_rate_per_day
        return half / (half + np.asarray(base_rate, dtype=float))

    def member_lift(self, base_rate: np.ndarray) -> np.ndarray:
        """Extra purchase rate of members with base purchase rate ``base_rate`` (1/day)."""
        if not self.headroom:
            return np.full(np.shape(base_rate), self.lock_in_lift)
        return self.lock_in_lift * self.headroom_share(base_rate)

    def expected_savings(self, orders_per_term: np.ndarray, order_value: np.ndarray) -> np.ndarray:
        """Savings a customer expects from one term, CNY."""
        return orders_per_term * (order_value * self.member_discount + self.free_shipping_value_cny)


class Membership(Strategy):
    """Runtime of :class:`MembershipConfig`."""

    config_cls = MembershipConfig
    summary = "member price and member days for members; card offered at checkout; renewals on the calendar"
    cost_kinds = ("member_benefits",)
    owned_states = ("member_until", "member_savings")
    revenue_kinds = ("membership_fees",)
    kpis = ("members", "member_joins", "member_renewals", "member_lapses")

    def start(self, env) -> None:
        self.env = env

    def act(self, day: int, plan: DayPlan) -> None:
        cfg, pop = self.config, self.model.pop
        n = pop.n
        members = pop.member_until[:n] >= day
        if members.any():
            plan.offer(members, cfg.member_discount, promotion=cfg.price_is_promotion)
            if on_cycle(day, cfg.member_day_every_days, 1, cfg.member_day_first_day):
                plan.offer(members, cfg.member_day_depth)
            if cfg.headroom:
                rate = pop.propensity[:n][members]
                lift = np.zeros(n, dtype=np.float32)
                lift[members] = cfg.member_lift(rate)
                plan.multiply(members, purchase=1.0 + lift)
                if cfg.price_headroom:
                    plan.standing_price_response(members, cfg.headroom_share(rate))
            else:
                plan.multiply(members, purchase=1.0 + cfg.lock_in_lift)
        self.model.set_kpi("members", float(members.sum()))

    def after_orders(self, day: int, orders: dict[str, np.ndarray]) -> None:
        cfg, model, pop = self.config, self.model, self.model.pop
        slots = orders["slot"]
        is_member = pop.member_until[slots] >= day
        member_slots = slots[is_member]
        if member_slots.size:
            model.book(
                "member_benefits",
                member_slots.size * cfg.free_shipping_value_cny,
                member_slots,
                cfg.free_shipping_value_cny,
            )
            pop.member_savings[member_slots] += (
                orders["discount"][is_member] + cfg.free_shipping_value_cny
            ).astype(np.float32)
        offered = slots[~is_member & ~orders["is_trial"] & cfg.target.mask(model)[slots]]
        if offered.size == 0:
            return
        orders_per_term = (
            pop.propensity[offered]
            * pop.trust[offered]
            * (1 + cfg.member_lift(pop.propensity[offered]))
            * cfg.term_days
        )
        savings = cfg.expected_savings(orders_per_term, model.expected_order_value(offered))
        p = cfg.uptake_max * logistic(
            cfg.savings_sensitivity * (savings / max(cfg.fee_cny, 1e-9) - 1)
        )
        joiners = offered[self.draws(day, offered) < p]
        if joiners.size:
            self._start_term(day, joiners)
            model.count("member_joins", joiners.size)

    def _start_term(self, day: int, slots: np.ndarray) -> None:
        pop = self.model.pop
        end = day + self.config.term_days - 1
        pop.member_until[slots] = end
        pop.member_savings[slots] = 0.0
        self.model.book_revenue(
            "membership_fees", slots.size * self.config.fee_cny, slots, self.config.fee_cny
        )
        self.env.process(self._renewal(end + 1, slots))

    def _renewal(self, due_day: int, slots: np.ndarray):
        """SimPy process: when the term ends, each member renews or lapses."""
        yield self.env.timeout(due_day - self.env.now)
        day = self.model.day  # the calendar fires at the start of the due day
        cfg, pop = self.config, self.model.pop
        due = slots[pop.member_until[slots] == due_day - 1]
        if due.size == 0:
            return
        value = pop.member_savings[due] / max(cfg.fee_cny, 1e-9)
        p = cfg.renewal_max * logistic(cfg.savings_sensitivity * (value - 1))
        renew = self.draws(day, due, salt=1) < p
        if renew.any():
            self._start_term(day, due[renew])
            self.model.count("member_renewals", int(renew.sum()))
        self.model.count("member_lapses", int((~renew).sum()))
