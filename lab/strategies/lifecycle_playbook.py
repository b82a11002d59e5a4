"""Lifecycle playbook (生命周期运营): a different play in each stage, as in seed 001.

* active (活跃期): keep contact, show value, no promotions;
* silent (沉默期): some contact, small promotions;
* sleeping (睡眠期): limited contact, a big win-back promotion;
* churned (流失期): cut contact; only the big sales of the discount calendar reach them.

Each stage has a touchpoint, content type, days between contacts, the share of the
stage a contact reaches, and an optional coupon (depth, cycle, duration) that only
reachable customers of that stage receive.  Prospects (never ordered) are left to
the newcomer strategy unless a play is given for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import field_validator

from lab.mapping_defaults import merge_onto_defaults
from lab.params import P, StrictModel, assumed, check_names, setting
from lab.strategies._common import on_cycle
from lab.strategies.base import Strategy, StrategyConfig
from lab.vocab import STAGES

if TYPE_CHECKING:  # pragma: no cover
    from lab.plan import DayPlan

__all__ = ["LifecyclePlaybook", "LifecyclePlaybookConfig", "StagePlay"]


class StagePlay(StrictModel):
    """The play for one lifecycle stage."""

    touchpoint: str = P(
        "group", "touchpoint", "where contacts go", source=setting("a decision of the strategy")
    )
    content: str = P(
        "value",
        "content type",
        "promotion | value | interaction",
        source=setting("a decision of the strategy"),
    )
    contact_every_days: int | None = P(
        7,
        "days",
        "days between contacts; none = no contact",
        ge=1,
        source=setting("a decision of the strategy"),
    )
    reach: float = P(
        0.8,
        "share",
        "share of the stage each contact reaches",
        ge=0,
        le=1,
        source=assumed(0.2, 0.95, "share of the stage a contact reaches"),
    )
    offer_depth: float = P(
        0.0,
        "share",
        "coupon depth for this stage; 0 = no promotion",
        ge=0,
        le=0.9,
        source=setting("a decision of the strategy"),
    )
    offer_every_days: int = P(
        30, "days", "days between coupons", ge=1, source=setting("a decision of the strategy")
    )
    offer_duration_days: int = P(
        3, "days", "days each coupon is valid", ge=1, source=setting("a decision of the strategy")
    )


def _seed_001_plays() -> dict[str, StagePlay]:
    return {
        "active": StagePlay(touchpoint="group", content="value", contact_every_days=4, reach=0.8),
        "silent": StagePlay(
            touchpoint="group", content="promotion", contact_every_days=7, reach=0.6, offer_depth=0.1,
            offer_every_days=21, offer_duration_days=3,
        ),
        "sleeping": StagePlay(
            touchpoint="private_chat", content="promotion", contact_every_days=21, reach=0.6,
            offer_depth=0.3, offer_every_days=30, offer_duration_days=5,
        ),
        "churned": StagePlay(contact_every_days=None, offer_depth=0.0),
    }  # fmt: skip


class LifecyclePlaybookConfig(StrategyConfig):
    """Per-stage contact and promotion plays."""

    type: Literal["lifecycle_playbook"] = "lifecycle_playbook"
    plays: dict[str, StagePlay] = P(
        _seed_001_plays(),
        "per stage",
        "play per lifecycle stage",
        source=setting("a decision of the strategy (default: the plays of seed 001)"),
    )
    _merge_defaults = merge_onto_defaults("plays")  # one play given changes that stage only

    @field_validator("plays")
    @classmethod
    def _stages(cls, v):
        return check_names(v, STAGES, "stage")

    def touchpoints_used(self) -> list[str]:
        return sorted({p.touchpoint for p in self.plays.values() if p.contact_every_days})

    def contents_used(self) -> list[str]:
        return sorted({p.content for p in self.plays.values() if p.contact_every_days})


class LifecyclePlaybook(Strategy):
    """Runtime of :class:`LifecyclePlaybookConfig`."""

    config_cls = LifecyclePlaybookConfig
    summary = "per-stage contact frequency, content and coupon (active: value; sleeping: win-back)"

    def act(self, day: int, plan: DayPlan) -> None:
        model, pop = self.model, self.model.pop
        n = pop.n
        target = self.config.target.mask(model)
        stage = pop.stage[:n]
        for name, play in self.config.plays.items():
            j = STAGES.index(name)  # the stream salt follows the stage, not the order written
            in_stage = target & (stage == j)
            if play.offer_depth > 0 and on_cycle(
                day, play.offer_every_days, play.offer_duration_days
            ):
                plan.offer(in_stage & plan.reachable(), play.offer_depth)
            if play.contact_every_days and on_cycle(day, play.contact_every_days):
                slots = np.flatnonzero(in_stage)
                reached = slots[self.draws(day, slots, salt=j) < play.reach]
                mask = np.zeros(n, dtype=bool)
                mask[reached] = True
                plan.contact(mask, play.touchpoint, play.content)
