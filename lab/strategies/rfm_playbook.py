"""RFM playbook (RFM 用户分层): classify by recency, frequency, monetary; act per class.

Every ``every_days`` days each customer who has ordered is put in one of eight
classes by three high/low cuts: recency (days since the last order <=
``recency_cut_days``), frequency (orders in the last ``window_days`` >=
``frequency_cut``) and monetary (spend in the window >= ``monetary_cut_cny``, or the
median spend of the window's buyers when left empty).  Each class gets its own
action: an exclusive coupon for ``coupon_days`` after each classification, a gift
(booked as a cost, raises trust), regular contact, and a frequency booster (a light
membership or themed group, modelled as a purchase-rate lift).  The class is kept in
the customer table (``rfm_class``) and any strategy can target it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import field_validator

from lab.mapping_defaults import merge_onto_defaults
from lab.params import P, StrictModel, assumed, check_names, setting
from lab.strategies._common import on_cycle
from lab.strategies.base import Strategy, StrategyConfig
from lab.vocab import RFM_CLASS_TABLE, RFM_CLASSES, RFM_CLASSES_ZH

if TYPE_CHECKING:  # pragma: no cover
    from lab.plan import DayPlan

__all__ = [
    "RFM_CLASSES",
    "RFM_CLASSES_ZH",
    "ClassAction",
    "RfmPlaybook",
    "RfmPlaybookConfig",
    "rfm_codes",
]

# class names in code order (RFM_CLASSES, RFM_CLASSES_ZH): the one definition (flags,
# 中文) lives in lab.vocab, shared with lab.analysis.rfm
_LUT = np.zeros(8, dtype=np.int8)
for _code, (_key, _r, _f, _m, _zh) in enumerate(RFM_CLASS_TABLE):
    _LUT[int(_r) * 4 + int(_f) * 2 + int(_m)] = _code


def rfm_codes(r_high: np.ndarray, f_high: np.ndarray, m_high: np.ndarray) -> np.ndarray:
    """Class codes (index into :data:`RFM_CLASSES`) from the three high/low flags."""
    return _LUT[r_high.astype(int) * 4 + f_high.astype(int) * 2 + m_high.astype(int)]


class ClassAction(StrictModel):
    """What the playbook does for one RFM class."""

    coupon_depth: float = P(
        0.0,
        "share",
        "exclusive coupon after each classification",
        ge=0,
        le=0.9,
        source=setting("a decision of the strategy"),
    )
    coupon_days: int = P(
        7,
        "days",
        "days the coupon is valid",
        ge=1,
        le=60,
        source=setting("a decision of the strategy"),
    )
    gift_cny: float = P(
        0.0,
        "CNY",
        "gift per customer per classification (cost)",
        ge=0,
        source=setting("a decision of the strategy"),
    )
    gift_trust_gain: float = P(
        0.2, "share", "share of missing trust a gift adds", ge=0, le=1, source=assumed(0.05, 0.5)
    )
    purchase_lift: float = P(
        0.0,
        "x",
        "frequency booster: extra purchase rate while in the class",
        ge=0,
        source=assumed(
            0.0,
            0.5,
            "seed 003: frequency boosters for important-development customers; size unmeasured",
        ),
    )
    touchpoint: str | None = P(
        None,
        "touchpoint",
        "contact channel; none = no contact",
        source=setting("a decision of the strategy"),
    )
    content: str = P(
        "value",
        "content type",
        "promotion | value | interaction",
        source=setting("a decision of the strategy"),
    )
    contact_every_days: int = P(
        7, "days", "days between contacts", ge=1, source=setting("a decision of the strategy")
    )


def _default_actions() -> dict[str, ClassAction]:
    return {
        "important_value": ClassAction(
            coupon_depth=0.15,
            gift_cny=15.0,
            touchpoint="private_chat",
            content="value",
            contact_every_days=7,
        ),
        "important_development": ClassAction(
            coupon_depth=0.1,
            purchase_lift=0.2,
            touchpoint="group",
            content="value",
            contact_every_days=4,
        ),
        "important_retention": ClassAction(
            coupon_depth=0.2, touchpoint="private_chat", content="promotion", contact_every_days=14
        ),
        "general_retention": ClassAction(
            coupon_depth=0.2, touchpoint="group", content="value", contact_every_days=7
        ),
    }


class RfmPlaybookConfig(StrategyConfig):
    """Recurring RFM classification with an action per class."""

    type: Literal["rfm_playbook"] = "rfm_playbook"
    every_days: int = P(
        30,
        "days",
        "days between classifications",
        ge=1,
        source=setting("class definition: 30/90-day RFM windows as in seed 003"),
    )
    window_days: int = P(
        90,
        "days",
        "window for frequency and monetary",
        ge=7,
        source=setting("class definition: 30/90-day RFM windows as in seed 003"),
    )
    recency_cut_days: int = P(
        30,
        "days",
        "recent if the last order is at most this old",
        ge=1,
        source=setting("class definition: 30/90-day RFM windows as in seed 003"),
    )
    frequency_cut: int = P(
        2,
        "orders",
        "frequent if at least this many orders in the window",
        ge=1,
        source=setting("class definition: 30/90-day RFM windows as in seed 003"),
    )
    monetary_cut_cny: float | None = P(
        None,
        "CNY",
        "high value if window spend >= this; none = median of the window's buyers",
        ge=0,
        source=setting("class definition: 30/90-day RFM windows as in seed 003"),
    )
    actions: dict[str, ClassAction] = P(
        _default_actions(),
        "per class",
        "action per RFM class",
        source=setting("a decision of the strategy (default: the actions of seed 003)"),
    )
    _merge_defaults = merge_onto_defaults("actions")  # one action given changes that class only

    @field_validator("actions")
    @classmethod
    def _known(cls, v):
        return check_names(v, RFM_CLASSES, "RFM class")

    def touchpoints_used(self) -> list[str]:
        return sorted({a.touchpoint for a in self.actions.values() if a.touchpoint})

    def contents_used(self) -> list[str]:
        return sorted({a.content for a in self.actions.values() if a.touchpoint})


class RfmPlaybook(Strategy):
    """Runtime of :class:`RfmPlaybookConfig`."""

    config_cls = RfmPlaybookConfig
    summary = (
        "every K days classify customers by RFM; coupons, gifts, contact and boosters per class"
    )
    cost_kinds = ("rfm_gifts",)
    owned_states = ("rfm_class",)
    kpis = tuple(f"rfm_{c}" for c in RFM_CLASSES)

    def start(self, env) -> None:
        self.last_classified = None

    def classify(self, day: int) -> None:
        """Assign every customer who has ordered to an RFM class (others: -1)."""
        cfg, model = self.config, self.model
        pop = model.pop
        n = pop.n
        slots, amounts = model.recent_orders(day, cfg.window_days)
        freq = np.bincount(slots, minlength=n)[:n]
        money = np.bincount(slots, weights=amounts, minlength=n)[:n]
        cut = cfg.monetary_cut_cny
        if cut is None:
            cut = float(np.median(money[freq > 0])) if (freq > 0).any() else 0.0
        has = pop.has_ordered[:n]
        r_high = (day - pop.last_purchase[:n]) <= cfg.recency_cut_days
        codes = rfm_codes(r_high, freq >= cfg.frequency_cut, (money >= cut) & (freq > 0))
        pop.rfm_class[:n] = np.where(has, codes, -1)
        self.last_classified = day

    def act(self, day: int, plan: DayPlan) -> None:
        cfg, model = self.config, self.model
        if on_cycle(day, cfg.every_days):
            self.classify(day)
            self._give_gifts(day, plan)
        if self.last_classified is None:
            return
        pop = model.pop
        n = pop.n
        target = cfg.target.mask(model)
        cls = pop.rfm_class[:n]
        since = day - self.last_classified
        for name, action in cfg.actions.items():
            members = target & (cls == RFM_CLASSES.index(name))
            if not members.any():
                continue
            if action.coupon_depth > 0 and since < action.coupon_days:
                plan.offer(members & plan.reachable(), action.coupon_depth)
            if action.purchase_lift > 0:
                plan.multiply(members, purchase=1.0 + action.purchase_lift)
            if action.touchpoint and since % action.contact_every_days == 0:
                plan.contact(members, action.touchpoint, action.content)
        counts = np.bincount(cls[cls >= 0], minlength=len(RFM_CLASSES))
        for name, count in zip(RFM_CLASSES, counts, strict=True):
            model.set_kpi(f"rfm_{name}", count)

    def _give_gifts(self, day: int, plan: DayPlan) -> None:
        pop, n = self.model.pop, self.model.pop.n
        target = self.config.target.mask(self.model) & ~pop.blocked[:n]
        for name, action in self.config.actions.items():
            if action.gift_cny <= 0:
                continue
            who = np.flatnonzero(target & (pop.rfm_class[:n] == RFM_CLASSES.index(name)))
            plan.raise_trust(who, action.gift_trust_gain)
            self.model.book("rfm_gifts", who.size * action.gift_cny, who, action.gift_cny)
