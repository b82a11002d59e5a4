"""Newcomer offers (新人券 / 新手任务): a welcome coupon and a first task.

A newcomer coupon of ``coupon_depth`` is valid for ``coupon_days`` after joining,
for customers who have not ordered yet and can be reached.  The day after joining,
a share of newcomers complete a newcomer task (follow, fill in a profile, join a
group), earn a small reward (points, booked as a cost) and gain trust, which lowers
the trust barrier of the first order.  The low-priced trial product (体验品) is part of
the core's first-order mechanics: ``first_order.trial`` in the scenario.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

from lab.params import P, assumed, setting
from lab.strategies.base import Strategy, StrategyConfig

if TYPE_CHECKING:  # pragma: no cover
    from lab.plan import DayPlan

__all__ = ["Newcomer", "NewcomerConfig"]


class NewcomerConfig(StrategyConfig):
    """Welcome coupon and newcomer task."""

    type: Literal["newcomer"] = "newcomer"
    coupon_depth: float = P(
        0.15,
        "share",
        "newcomer coupon depth; 0 = none",
        ge=0,
        le=0.9,
        source=setting("a decision of the strategy"),
    )
    coupon_days: int = P(
        7,
        "days",
        "days after joining the coupon is valid",
        ge=1,
        le=90,
        source=setting("a decision of the strategy"),
    )
    task_completion: float = P(
        0.3,
        "share",
        "share of newcomers who complete the task",
        ge=0,
        le=1,
        source=assumed(0.05, 0.7, "seed 000: newcomer tasks; no rate published"),
    )
    task_reward_cny: float = P(
        3.0,
        "CNY",
        "reward for the task (points), a cost",
        ge=0,
        source=setting("a decision of the strategy"),
    )
    task_trust_gain: float = P(
        0.3, "share", "share of missing trust the task adds", ge=0, le=1, source=assumed(0.05, 0.6)
    )


class Newcomer(Strategy):
    """Runtime of :class:`NewcomerConfig`."""

    config_cls = NewcomerConfig
    summary = "newcomer coupon for the first days; newcomer task the day after joining"
    cost_kinds = ("newcomer_tasks",)
    kpis = ("newcomer_tasks_done",)

    def act(self, day: int, plan: DayPlan) -> None:
        cfg, model, pop = self.config, self.model, self.model.pop
        n = pop.n
        target = cfg.target.mask(model)
        age = day - pop.cohort_day[:n]
        if cfg.coupon_depth > 0:
            fresh = target & ~pop.has_ordered[:n] & (age < cfg.coupon_days) & plan.reachable()
            plan.offer(fresh, cfg.coupon_depth)
        if cfg.task_completion > 0:
            yesterday = np.flatnonzero(target & (age == 1))
            rate = min(cfg.task_completion * model.fission.task_factor(cfg.task_reward_cny), 1.0)
            done = yesterday[self.draws(day, yesterday) < rate]
            if done.size:
                plan.raise_trust(done, cfg.task_trust_gain)
                model.book(
                    "newcomer_tasks", done.size * cfg.task_reward_cny, done, cfg.task_reward_cny
                )
                model.count("newcomer_tasks_done", done.size)
