"""Fission program (裂变活动): a referral campaign with its own reward and budget.

Between ``start_day`` and ``end_day`` the program replaces the standing referral
terms (``acquisition.referral``) with its own: reward per completed invite (gift or
red envelope), invites required per reward, reward for each invitee.  Richer rewards
make buyers share more; more invites required make them share less (the kernel's
sharing formula).  Rewards are booked as they are earned; once ``budget_cny`` is
spent the campaign stops (checked daily, so the last day may overshoot by one day's
rewards).  K-factor, invites, conversions and cost per referred customer come from
the daily ``shares``, ``referred`` and ``fission_*`` columns (see ``lab.analysis``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import model_validator

from lab.params import P, setting
from lab.strategies.base import Strategy, StrategyConfig

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

    def active(self, day: int) -> bool:
        """Whether the campaign runs on ``day``."""
        cfg = self.config
        in_window = cfg.start_day <= day and (cfg.end_day is None or day <= cfg.end_day)
        return in_window and (cfg.budget_cny is None or self.spent < cfg.budget_cny)

    def act(self, day: int, plan: DayPlan) -> None:
        if not self.active(day):
            return
        cfg, model = self.config, self.model
        model.referral_terms = model.referral_terms.replace(
            enabled=True,
            reward_cny=cfg.reward_cny,
            invitee_reward_cny=cfg.invitee_reward_cny,
            invites_required=cfg.invites_required,
            owner=self,
        )
        model.set_kpi("fission_active", 1.0)

    def on_referral_spend(self, amount: float, referred: int) -> None:
        """Called by acquisition with what today's referrals cost under these terms."""
        self.spent += amount
        self.model.count("fission_spend", amount)
        self.model.count("fission_referred", referred)
