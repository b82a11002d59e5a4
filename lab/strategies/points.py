"""Points, points mall and member levels (积分 / 积分商城 / 会员等级), issue 17 item 2.

Customers earn ``points_per_cny`` points per CNY paid (times their level's
multiplier) and ``task_points`` for a recurring task (sign in, review, share) done
with probability ``task_completion`` every ``task_every_days``.  Holders of at least
``redeem_points`` redeem a mall item worth ``redeem_points x point_value_cny`` with
chance ``redeem_chance_per_day``.  A customer within ``goal_window`` of the
threshold buys more (``goal_lift``: the goal-gradient effect, people speed up as a
reward nears).  Points unused for ``expiry_days`` after the last earning expire.

Accounting, like stored value but accrued: issuing points books their value as a
cost (``cost_points_issued``) and a liability; redeeming releases the liability;
expired points are breakage, booked back as revenue (``revenue_points_breakage``).
So issued = redeemed + breakage + outstanding liability, every day.

Levels (等级): by spend in the run, each level from ``min_spend_cny``; benefits are a
standing level price (a price, not a promotion, see :meth:`lab.plan.DayPlan.offer`)
and a points multiplier.  ``Target.min_level`` targets customers by level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import field_validator

from lab.params import P, StrictModel, assumed, setting
from lab.strategies.base import Strategy, StrategyConfig

if TYPE_CHECKING:  # pragma: no cover
    from lab.plan import DayPlan

__all__ = ["Level", "Points", "PointsConfig"]


class Level(StrictModel):
    """One member level above the base level."""

    name: str = P("silver", "text", "level name", source=setting())
    min_spend_cny: float = P(
        500.0, "CNY", "spend in the run from which the level holds", ge=0, source=setting()
    )
    discount: float = P(
        0.0, "share", "standing level price: discount on every order", ge=0, le=0.5,
        source=setting("a decision of the strategy"),
    )  # fmt: skip
    points_multiplier: float = P(
        1.0, "x", "points per CNY multiplier", ge=0, source=setting("a decision of the strategy")
    )


class PointsConfig(StrategyConfig):
    """A points program with a points mall and member levels."""

    type: Literal["points"] = "points"
    points_per_cny: float = P(
        1.0, "points/CNY", "points earned per CNY paid", ge=0, source=setting("a decision")
    )
    point_value_cny: float = P(
        0.01, "CNY/point", "mall value of one point (cost to the brand)", ge=0,
        source=setting("a decision"),
    )  # fmt: skip
    task_every_days: int | None = P(
        7, "days", "days between recurring tasks; none = no tasks", ge=1, source=setting()
    )
    task_points: float = P(
        20.0, "points", "points for one task", ge=0, source=setting("a decision")
    )
    task_completion: float = P(
        0.15,
        "share",
        "share of reachable buyers who do each task",
        ge=0,
        le=1,
        source=assumed(0.02, 0.5, "seed 000: tasks beyond the newcomer one; no rate published"),
    )
    redeem_points: float = P(
        1000.0, "points", "points for one mall item", gt=0, source=setting("a decision")
    )
    redeem_chance_per_day: float = P(
        0.03,
        "1/day",
        "daily chance a customer holding enough points redeems",
        ge=0,
        le=1,
        source=assumed(0.005, 0.2),
    )
    goal_window: float = P(
        0.2,
        "share",
        "customers within this share of redeem_points from it feel the goal near",
        ge=0,
        le=1,
        source=assumed(0.05, 0.5, "goal gradient (Kivetz, Urminsky & Zheng 2006)"),
    )
    goal_lift: float = P(
        0.15,
        "x",
        "extra purchase rate of customers near the goal",
        ge=0,
        source=assumed(0.0, 0.5, "goal gradient (Kivetz, Urminsky & Zheng 2006)"),
    )
    expiry_days: int = P(
        365, "days", "points expire this long after the last earning", ge=1, source=setting()
    )
    levels: list[Level] = P(
        [
            Level(name="silver", min_spend_cny=500, discount=0.02, points_multiplier=1.2),
            Level(name="gold", min_spend_cny=2000, discount=0.05, points_multiplier=1.5),
        ],
        "levels",
        "member levels above the base level, by rising min_spend_cny",
        source=setting("a decision of the strategy"),
    )

    @field_validator("levels")
    @classmethod
    def _rising(cls, v):
        spends = [lv.min_spend_cny for lv in v]
        if spends != sorted(spends):
            raise ValueError(f"levels must rise in min_spend_cny, got {spends}")
        return v


class Points(Strategy):
    """Runtime of :class:`PointsConfig`."""

    config_cls = PointsConfig
    summary = "points per CNY and per task, points mall redemption, member levels by spend"
    cost_kinds = ("points_issued",)
    revenue_kinds = ("points_breakage",)
    kpis = ("points_redeemed", "points_liability", "points_tasks_done", "level_customers")
    states: ClassVar[dict[str, tuple[str, float, str]]] = {
        "points": ("float64", 0.0, "points balance"),
        "points_day": ("int32", -1, "day points were last earned"),
        "level": ("int8", 0, "member level (0 = base, 1 = first level above it, ...)"),
    }

    def act(self, day: int, plan: DayPlan) -> None:
        cfg, model, pop = self.config, self.model, self.model.pop
        n = pop.n
        pts = pop.points[:n]
        expired = (pts > 0) & (day - pop.points_day[:n] > cfg.expiry_days)
        if expired.any():
            model.book_revenue("points_breakage", float(pts[expired].sum()) * cfg.point_value_cny)
            pts[expired] = 0.0
        target = cfg.target.mask(model)
        self._redeem(day, target & pop.alive[:n])
        self._tasks(day, plan, target)
        near = target & (pts >= (1 - cfg.goal_window) * cfg.redeem_points)
        near &= pts < cfg.redeem_points
        if cfg.goal_lift > 0 and near.any():
            plan.multiply(near, purchase=1.0 + cfg.goal_lift)
        level = pop.level[:n]
        for i, lv in enumerate(cfg.levels, start=1):
            at = target & (level == i)
            if lv.discount > 0 and at.any():
                plan.offer(at, lv.discount, promotion=False)
        model.set_kpi("level_customers", float((level > 0).sum()))
        self._liability()

    def _liability(self) -> None:
        pop = self.model.pop
        value = float(pop.points[: pop.n].sum()) * self.config.point_value_cny
        self.model.set_kpi("points_liability", value)

    def _redeem(self, day: int, who: np.ndarray) -> None:
        cfg, pop = self.config, self.model.pop
        holders = np.flatnonzero(who & (pop.points[: pop.n] >= cfg.redeem_points))
        if holders.size == 0:
            return
        go = holders[self.draws(day, holders, salt=1) < cfg.redeem_chance_per_day]
        if go.size:
            used = np.floor(pop.points[go] / cfg.redeem_points) * cfg.redeem_points
            pop.points[go] -= used
            self.model.count("points_redeemed", float(used.sum()) * cfg.point_value_cny)

    def _tasks(self, day: int, plan: DayPlan, target: np.ndarray) -> None:
        cfg, pop = self.config, self.model.pop
        if cfg.task_every_days is None or day % cfg.task_every_days:
            return
        n = pop.n
        eligible = np.flatnonzero(target & pop.has_ordered[:n] & plan.reachable())
        done = eligible[self.draws(day, eligible, salt=2) < cfg.task_completion]
        if done.size:
            self._earn(day, done, np.full(done.size, cfg.task_points))
            self.model.count("points_tasks_done", done.size)

    def _earn(self, day: int, slots: np.ndarray, points: np.ndarray) -> None:
        pop = self.model.pop
        pop.points[slots] += points
        pop.points_day[slots] = day
        self.model.book("points_issued", float(points.sum()) * self.config.point_value_cny)

    def after_orders(self, day: int, orders: dict[str, np.ndarray]) -> None:
        cfg, pop = self.config, self.model.pop
        slots = orders["slot"]
        keep = cfg.target.mask(self.model)[slots]
        slots, amount = slots[keep], orders["amount"][keep]
        if slots.size == 0:
            return
        mult = np.ones(slots.size)
        for i, lv in enumerate(cfg.levels, start=1):
            mult[pop.level[slots] == i] = lv.points_multiplier
        self._earn(day, slots, np.floor(amount * cfg.points_per_cny * mult))
        spend = pop.spend[slots]
        level = np.zeros(slots.size, dtype=np.int8)
        for i, lv in enumerate(cfg.levels, start=1):
            level[spend >= lv.min_spend_cny] = i
        pop.level[slots] = np.maximum(pop.level[slots], level)  # levels are kept once reached
        self._liability()
