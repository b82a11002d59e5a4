"""Lifecycle stages (生命周期): a customer's stage follows the days since the last order."""

from __future__ import annotations

from pydantic import model_validator

from lab.params import P, StrictModel, setting

__all__ = ["Lifecycle"]


class Lifecycle(StrictModel):
    """生命周期: stage follows days since the last order."""

    days_to_silent: int = P(
        30,
        "days",
        "active -> silent",
        ge=1,
        source=setting("stage definition: stages from seed 001, 30/90-day windows as in seed 003"),
    )
    days_to_sleeping: int = P(
        90,
        "days",
        "silent -> sleeping",
        ge=1,
        source=setting("stage definition: stages from seed 001, 30/90-day windows as in seed 003"),
    )
    days_to_churned: int = P(
        180,
        "days",
        "sleeping -> churned",
        ge=1,
        source=setting("stage definition (stages from seed 001)"),
    )

    @model_validator(mode="after")
    def _ordered(self):
        if not self.days_to_silent < self.days_to_sleeping < self.days_to_churned:
            raise ValueError("need days_to_silent < days_to_sleeping < days_to_churned")
        return self
