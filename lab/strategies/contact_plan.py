"""Contact plan (触达计划): a weekly plan of messages through one touchpoint.

Each weekday carries content types (promotion, value content, interaction) or
rest; every planned message reaches a targeted customer with probability
``reach x stage_frequency[stage]``, drawn from the lab's ``contact_reach`` stream
so that two scenarios contact the same people where their plans agree.  Platform
caps are enforced by the day plan; blocked customers are never reached.  Content
types move purchase and fatigue differently (``contacts.content`` in the scenario);
delivered contacts are costed by touchpoint (``contacts.cost_per_contact_cny``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import field_validator

from lab.params import P, assumed, check_names, setting
from lab.plan import Reach
from lab.rng import mix64
from lab.strategies.base import Strategy, StrategyConfig
from lab.vocab import STAGES, WEEKDAYS

if TYPE_CHECKING:  # pragma: no cover
    from lab.plan import DayPlan

__all__ = ["WEEKDAYS", "ContactPlan", "ContactPlanConfig", "weekly_calendar"]


def weekly_calendar(v: object) -> object:
    """A weekly calendar as written in a scenario, with every weekday listed.

    ``{mon: [promotion], tue: fun, wed: rest}`` becomes one list of contents per
    weekday (``rest``, ``None`` and left-out days are empty); unknown weekday names
    are an error listing the valid ones.  Anything but a mapping is returned as it is
    (pydantic then reports its type).
    """
    if not isinstance(v, dict):
        return v
    check_names(v, WEEKDAYS, "weekday")
    out = {d: [] for d in WEEKDAYS}
    for day, items in v.items():
        if items in (None, "rest"):
            items = []
        elif isinstance(items, str):
            items = [items]
        elif not isinstance(items, list | tuple):  # a number...: pydantic names its type
            out[day] = items
            continue
        out[day] = list(items)
    return out


class ContactPlanConfig(StrategyConfig):
    """A weekly contact plan on one touchpoint."""

    type: Literal["contact_plan"] = "contact_plan"
    touchpoint: str = P(
        "group",
        "touchpoint",
        "private_chat | group | moments | mass_message",
        source=setting("a decision of the strategy"),
    )
    weekly: dict[str, list[str]] = P(
        {
            "mon": ["promotion"],
            "tue": ["interaction"],
            "wed": [],
            "thu": ["value"],
            "fri": [],
            "sat": ["promotion"],
            "sun": [],
        },
        "content types per weekday",
        "messages per weekday; [] = rest day",
        source=setting("a decision of the strategy"),
    )
    reach: float = P(
        0.6,
        "share",
        "chance a targeted customer sees one message",
        ge=0,
        le=1,
        source=assumed(0.2, 0.95, "share of a plan's messages a customer sees"),
    )
    stage_frequency: dict[str, float] = P(
        {s: 1.0 for s in STAGES},
        "share",
        "multiplier on reach by lifecycle stage",
        source=setting("a decision of the strategy"),
    )

    @field_validator("weekly", mode="before")
    @classmethod
    def _weekly(cls, v):
        return weekly_calendar(v)

    @field_validator("stage_frequency")
    @classmethod
    def _stages(cls, v):
        check_names(v, STAGES, "stage")
        if any(not 0 <= x <= 1 for x in v.values()):
            raise ValueError("stage frequencies must be in [0, 1]")
        return {s: v.get(s, 1.0) for s in STAGES}

    def touchpoints_used(self) -> list[str]:
        return [self.touchpoint]

    def contents_used(self) -> list[str]:
        return sorted({c for items in self.weekly.values() for c in items})

    def messages_per_week(self) -> int:
        """Planned messages per week (before reach and caps)."""
        return sum(len(items) for items in self.weekly.values())


class ContactPlan(Strategy):
    """Runtime of :class:`ContactPlanConfig`."""

    config_cls = ContactPlanConfig
    summary = "send today's planned messages on one touchpoint, within caps"

    def start(self, env) -> None:
        cfg = self.config
        self._stage_p = np.array([cfg.stage_frequency[s] for s in STAGES]) * cfg.reach
        self._salt = int(mix64(np.uint64(1000 + self.index)))

    def act(self, day: int, plan: DayPlan) -> None:
        weekday = WEEKDAYS[self.model.weekday(day)]
        contents = self.config.weekly[weekday]
        if not contents:
            return
        pop = self.model.pop
        target = self.config.target.mask(self.model)
        key = self.model.streams.key("contact_reach")
        for j, content in enumerate(contents):
            # who sees message j: drawn on delivery, keyed by the message (lab.plan.Reach)
            message = np.uint64(key) ^ (np.uint64(self._salt) ^ np.uint64(j * 0x9E37))
            reach = Reach(self._stage_p, pop.stage, message, pop.rkey)
            plan.contact(target, self.config.touchpoint, content, reach=reach)
