"""Discount cadence (折扣节奏): recurring promotions plus a calendar of big sales.

Every ``every_days`` days a promotion of ``depth`` runs for ``duration_days``;
dated big sales (双11, 618, member days) run on their dates, yearly if asked.  A
``sitewide`` discount reaches every targeted customer who buys that day, a
``coupon`` only those the brand can still message.  The calendar is a set of SimPy
processes: each promotion is a process that switches itself on, waits its
duration and switches off, so overlapping promotions compose (the deepest wins).
Discounts given are booked per order by the core; repeated discounts feed the
reference-price and fatigue mechanics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import model_validator

from lab.configs.sales import BigSale
from lab.params import P, setting
from lab.strategies.base import Strategy, StrategyConfig

if TYPE_CHECKING:  # pragma: no cover
    import simpy

    from lab.plan import DayPlan

__all__ = ["BigSale", "DiscountCadence", "DiscountCadenceConfig"]


class DiscountCadenceConfig(StrategyConfig):
    """Recurring discounts plus dated big sales."""

    type: Literal["discount_cadence"] = "discount_cadence"
    every_days: int | None = P(
        30,
        "days",
        "days between promotion starts; none = only big sales",
        ge=1,
        source=setting("a decision of the strategy"),
    )
    first_day: int = P(
        7,
        "day",
        "day of the first recurring promotion",
        ge=0,
        source=setting("a decision of the strategy"),
    )
    duration_days: int = P(
        3,
        "days",
        "length of each recurring promotion",
        ge=1,
        source=setting("a decision of the strategy"),
    )
    depth: float = P(
        0.2,
        "share",
        "discount as a share of list price",
        ge=0,
        le=0.9,
        source=setting("a decision of the strategy"),
    )
    kind: Literal["sitewide", "coupon"] = P(
        "sitewide",
        "name",
        "sitewide: everyone targeted; coupon: only reachable customers",
        source=setting("a decision of the strategy"),
    )
    announce: str | None = P(
        "mass_message",
        "touchpoint",
        "touchpoint used to announce each promotion on its first day",
        source=setting("a decision of the strategy"),
    )
    big_sales: list[BigSale] = P(
        [], "list", "dated big sales", source=setting("a decision of the strategy")
    )

    @model_validator(mode="after")
    def _fits(self):
        if self.every_days is not None and self.duration_days > self.every_days:
            raise ValueError(
                f"duration_days ({self.duration_days}) must not exceed every_days ({self.every_days})"
            )
        return self

    def touchpoints_used(self) -> list[str]:
        return [self.announce] if self.announce else []

    def contents_used(self) -> list[str]:
        return ["promotion"] if self.announce else []


class DiscountCadence(Strategy):
    """Runtime of :class:`DiscountCadenceConfig`."""

    config_cls = DiscountCadenceConfig
    summary = "offer today's deepest active promotion; announce it on its first day"

    def start(self, env: simpy.Environment) -> None:
        self.active: dict[int, float] = {}
        self.starting_today = False
        self._next_id = 0
        cfg = self.config
        if cfg.every_days is not None and cfg.depth > 0:
            env.process(self._recurring(env))
        start_date = self.model.date(0)
        for sale in cfg.big_sales:
            env.process(self._dated(env, sale, sale.first_day(start_date)))

    def _run_once(self, env, depth, duration):
        pid = self._next_id
        self._next_id += 1
        self.active[pid] = depth
        self.starting_today = True
        self.model.log_event(f"{self.label}: promotion {depth:.0%} for {duration} d")
        yield env.timeout(duration)
        del self.active[pid]

    def _recurring(self, env):
        cfg = self.config
        yield env.timeout(cfg.first_day)
        while True:
            env.process(self._run_once(env, cfg.depth, cfg.duration_days))
            yield env.timeout(cfg.every_days)

    def _dated(self, env, sale: BigSale, first: int):
        day = first
        while day < 0:  # a non-yearly sale before the start never runs
            return
        yield env.timeout(day)
        while True:
            env.process(self._run_once(env, sale.depth, sale.duration_days))
            if not sale.yearly:
                return
            yield env.timeout(365)

    def depth_today(self) -> float:
        """Deepest promotion active today (0 if none)."""
        return max(self.active.values(), default=0.0)

    def act(self, day: int, plan: DayPlan) -> None:
        depth = self.depth_today()
        announce = self.starting_today
        self.starting_today = False
        if depth <= 0:
            return
        mask = self.config.target.mask(self.model)
        if self.config.kind == "coupon":
            mask &= plan.reachable()
        plan.offer(mask, depth)
        if announce and self.config.announce:
            plan.contact(mask, self.config.announce, "promotion")
