"""Fission program (裂变活动): a referral campaign with its own reward and budget.

Between ``start_day`` and ``end_day`` the program replaces the standing referral
terms (``acquisition.referral``) with its own: reward per completed invite (gift or
red envelope), invites required per reward, reward for each invitee.  Richer rewards
make buyers share more; more invites required make them share less (the kernel's
sharing formula).  Rewards are booked as they are earned; once ``budget_cny`` is
spent the campaign stops (checked daily, so the last day may overshoot by one day's
rewards).  With a ``target``, only targeted buyers share on the campaign's terms and
earn its rewards; the others keep the standing terms.  What the terms change in
behaviour (a sharer tries for the invites required, the invitee gift raises
acceptance, a ``stated_reward_cny`` above the real reward raises sharing now and
disappoints later) is the scenario's ``fission_response`` (:mod:`lab.configs.fission`).  K-factor, invites, conversions and cost per referred customer come from
the daily ``shares``, ``referred`` and ``fission_*`` columns (see ``lab.analysis``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import model_validator

from lab.params import P, setting
from lab.strategies.base import Strategy, StrategyConfig, Target

if TYPE_CHECKING:  # pragma: no cover
    from lab.plan import DayPlan

__all__ = ["FissionProgram", "FissionProgramConfig"]


class FissionProgramConfig(StrategyConfig):
    """A time-boxed referral campaign."""

    type: Literal["fission_program"] = "fission_program"
    start_day: int = P(
        0, "day", "first campaign day", ge=0, source=setting("a decision of the strategy")
    )
    end_day: int | None = P(
        None,
        "day",
        "last campaign day (inclusive); none = run end",
        ge=0,
        source=setting("a decision of the strategy"),
    )
    reward_cny: float = P(
        30.0,
        "CNY",
        "reward per completed invite",
        ge=0,
        source=setting("a decision of the strategy"),
    )
    invitee_reward_cny: float = P(
        10.0, "CNY", "gift to each invitee", ge=0, source=setting("a decision of the strategy")
    )
    invites_required: int = P(
        1,
        "friends",
        "friends needed for one reward",
        ge=1,
        le=20,
        source=setting("a decision of the strategy"),
    )
    stated_reward_cny: float | None = P(
        None,
        "CNY",
        "reward value the campaign's posters state (over-hyped if above reward_cny); "
        "none = the real value",
        ge=0,
        source=setting("a decision: how the reward is packaged"),
    )
    budget_cny: float | None = P(
        None,
        "CNY",
        "stop once this much is spent; none = no cap",
        ge=0,
        source=setting("a decision of the strategy"),
    )

    @model_validator(mode="after")
    def _window(self):
        if self.end_day is not None and self.end_day < self.start_day:
            raise ValueError(f"end_day ({self.end_day}) is before start_day ({self.start_day})")
        return self


class FissionProgram(Strategy):
    """Runtime of :class:`FissionProgramConfig`."""

    config_cls = FissionProgramConfig
    summary = "during its window, referral terms are the campaign's until the budget is spent"
    kpis = ("fission_active", "fission_spend", "fission_referred")

    def start(self, env) -> None:
        self.spent = 0.0
        self._covered: np.ndarray | None = None  # today's target mask; None = everyone

    def active(self, day: int) -> bool:
        """Whether the campaign runs on ``day``."""
        cfg = self.config
        in_window = cfg.start_day <= day and (cfg.end_day is None or day <= cfg.end_day)
        return in_window and (cfg.budget_cny is None or self.spent < cfg.budget_cny)

    def act(self, day: int, plan: DayPlan) -> None:
        if not self.active(day):
            return
        cfg, model = self.config, self.model
        standing = model.referral_terms
        model.referral_terms = terms = standing.replace(
            enabled=True,
            reward_cny=cfg.reward_cny,
            invitee_reward_cny=cfg.invitee_reward_cny,
            invites_required=cfg.invites_required,
            stated_reward_cny=cfg.stated_reward_cny,
            owner=self,
        )
        self._covered = None
        if cfg.target != Target():  # outside the target the standing terms hold
            self._covered = cfg.target.mask(model)
            share_std, friends_std = model.fission.terms_effect(standing)
            share_prog, friends_prog = model.fission.terms_effect(terms)
            plan.scale_referral(
                ~self._covered,
                share_std / share_prog if share_prog > 0 else 0.0,
                friends_std / friends_prog if friends_prog > 0 else 0.0,
            )
        model.set_kpi("fission_active", 1.0)

    def covers(self, slots: np.ndarray) -> np.ndarray | None:
        """Which sharers ``slots`` the campaign's terms cover today (None = all)."""
        return None if self._covered is None else self._covered[slots]

    def on_referral_spend(self, amount: float, referred: int) -> None:
        """Called by acquisition with what today's referrals cost under these terms."""
        self.spent += amount
        self.model.count("fission_spend", amount)
        self.model.count("fission_referred", referred)
