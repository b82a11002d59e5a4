"""VIP key care (重点维护 / 超级用户运营): dedicated care for the most valuable buyers.

DOMAIN.md's rule: the top 30% of buyers by repurchase count get key care (the
default target, ``orders_top_share: 0.3``); target the top 10% by spend
(``spend_top_share: 0.1``) for super users.  Each VIP gets a private chat of value
content every ``chat_every_days`` (spread over the cycle by customer, capped and
costed like any contact), a gift every ``gift_every_days`` (a cost; it adds
``gift_trust_gain`` of the missing trust) and, while in care, a share
``churn_reduction`` of their dropout hazard removed; a dedicated staff cost per VIP
and month is booked daily.  VIPs are re-selected every day from the target.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

from lab.params import P, assumed, setting
from lab.strategies.base import Strategy, StrategyConfig, Target

if TYPE_CHECKING:  # pragma: no cover
    from lab.plan import DayPlan

__all__ = ["VipCare", "VipCareConfig"]


class VipCareConfig(StrategyConfig):
    """Key care for the most valuable buyers."""

    type: Literal["vip_care"] = "vip_care"
    target: Target = Target(orders_top_share=0.3, reachable_only=True)
    chat_every_days: int | None = P(
        14,
        "days",
        "days between private chats with each VIP; none = no chats",
        ge=1,
        source=setting("a decision of the strategy"),
    )
    gift_every_days: int | None = P(
        90,
        "days",
        "days between gifts to each VIP; none = no gifts",
        ge=1,
        source=setting("a decision of the strategy"),
    )
    gift_cost_cny: float = P(
        30.0, "CNY", "cost of one gift", ge=0, source=setting("a decision of the strategy")
    )
    gift_trust_gain: float = P(
        0.3,
        "share",
        "share of missing trust a gift adds",
        ge=0,
        le=1,
        source=assumed(0.05, 0.6, "reciprocity (seed 001 lists it among the ways to build trust)"),
    )
    churn_reduction: float = P(
        0.3,
        "share",
        "share of a VIP's dropout hazard removed while in care",
        ge=0,
        le=1,
        source=assumed(0.0, 0.6, "DOMAIN.md: key care for the top 30% by repurchases"),
    )
    staff_cost_per_vip_month_cny: float = P(
        5.0,
        "CNY/VIP/month",
        "dedicated staff time per VIP (booked daily)",
        ge=0,
        source=setting("the brand's staff cost"),
    )

    def touchpoints_used(self) -> list[str]:
        return ["private_chat"]


class VipCare(Strategy):
    """Runtime of :class:`VipCareConfig`."""

    config_cls = VipCareConfig
    summary = "VIPs (top buyers by the target) get private chats, gifts and lower churn"
    cost_kinds = ("vip_care",)
    kpis = ("vips", "vip_gifts")

    def act(self, day: int, plan: DayPlan) -> None:
        cfg, model, pop = self.config, self.model, self.model.pop
        n = pop.n
        vip = cfg.target.mask(model)
        count = int(vip.sum())
        model.set_kpi("vips", float(count))
        if count == 0:
            return
        if cfg.churn_reduction > 0:
            plan.multiply(vip, dropout=1.0 - cfg.churn_reduction)
        phase = (pop.rkey[:n] % np.uint64(1 << 16)).astype(np.int64) + day  # spread over the cycle
        if cfg.chat_every_days is not None:
            plan.contact(vip & (phase % cfg.chat_every_days == 0), "private_chat", "value")
        cost = count * cfg.staff_cost_per_vip_month_cny / 30.0
        if cfg.gift_every_days is not None:
            gifted = np.flatnonzero(vip & (phase % cfg.gift_every_days == 0))
            if gifted.size:
                plan.raise_trust(gifted, cfg.gift_trust_gain)
                cost += gifted.size * cfg.gift_cost_cny
                model.count("vip_gifts", gifted.size)
        model.book("vip_care", cost)
