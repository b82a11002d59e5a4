"""The first order: welcome message, action cost and the trial product (首单).

Part of the scenario schema (:mod:`lab.scenario` composes the sections).
"""

from __future__ import annotations

import math

from pydantic import Field

from lab.params import (
    P,
    StrictModel,
    assumed,
    setting,
)


class Trial(StrictModel):
    """体验品: a cheap trial product that lowers the action cost and builds trust."""

    enabled: bool = P(False, "flag", "offer a trial product to prospects", source=setting())
    price_cny: float = P(
        9.9, "CNY", "price of the trial product", ge=0, source=setting("a decision")
    )
    unit_cost_cny: float = P(
        12.0, "CNY", "cost of goods of one trial", ge=0, source=setting("the brand's cost")
    )
    uptake: float = P(
        1.5,
        "x",
        "trial rate relative to the first-order rate",
        ge=0,
        source=assumed(0.5, 4.0, "seed 001: a cheap trial lowers the action cost"),
    )
    trust_gain: float = P(
        0.5,
        "share",
        "share of missing trust a trial adds",
        ge=0,
        le=1,
        source=assumed(0.1, 0.9, "seed 001: a trial builds trust"),
    )
    reference_price_cny: float = P(
        9.9,
        "CNY",
        "trial price at which ``uptake`` holds (the price the uptake was set for)",
        gt=0,
        source=setting("the price the uptake was estimated at"),
    )
    price_sensitivity: float = P(
        1.0,
        "1",
        "uptake x exp(-this x (price - reference) / reference): a dearer trial is taken "
        "less, a cheaper or free one more; 0 = uptake ignores the price",
        ge=0,
        source=assumed(
            0.3, 3.0, "seed 001: an 18-CNY trial lowers the action cost of a 5000-CNY course"
        ),
    )

    def price_factor(self) -> float:
        """Multiplier on ``uptake`` from the trial price (1 at the reference price)."""
        gap = (self.price_cny - self.reference_price_cny) / self.reference_price_cny
        return math.exp(-self.price_sensitivity * gap)


class FirstOrder(StrictModel):
    """转化: welcome message and the conversion barriers (trust, action cost)."""

    enabled: bool = P(
        True, "flag", "apply barriers; off = prospects buy like customers", source=setting()
    )
    welcome_quality: float = P(
        0.6,
        "0..1",
        "quality of the welcome message (欢迎语)",
        ge=0,
        le=1,
        source=setting("how good the brand's welcome message is: a lever"),
    )
    welcome_trust_gain: float = P(
        0.5,
        "share",
        "share of missing trust a perfect welcome message adds",
        ge=0,
        le=1,
        source=assumed(
            0.2,
            0.8,
            "seed 003: the welcome message decides ~70% of the chance of a deal; the mapping to trust is ours",
        ),
    )
    action_cost: float = P(
        0.4,
        "0..1",
        "friction of the first order (share of rate lost)",
        ge=0,
        lt=1,
        source=assumed(0.1, 0.7, "seed 001: action cost is a conversion barrier"),
    )
    trial: Trial = Field(default_factory=Trial)
