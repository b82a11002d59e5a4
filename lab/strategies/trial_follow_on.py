"""Trial follow-on (体验品 → 正价/高客单): after a trial, offer the high-ticket product.

Seed 001's case: a 5000-CNY course is distilled into an 18-CNY trial; once the trial
has built trust, the full course is sold.  ``delay_days`` after a customer took the
trial product (``first_order.trial``), staff send one private chat with the
high-ticket offer.  The customer buys it with probability
``accept_max x trust x exp(-price_sensitivity x (price / expected order value - 1))``:
trust built by the trial and the welcome message carries the sale, and the further
the ticket is above what the customer usually spends, the rarer the yes.  The sale
is booked as revenue (``revenue_follow_on_sales``) and its cost of goods as a cost;
it is not an order of the order log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

from lab.params import P, assumed, setting
from lab.strategies.base import Strategy, StrategyConfig

if TYPE_CHECKING:  # pragma: no cover
    from lab.plan import DayPlan

__all__ = ["TrialFollowOn", "TrialFollowOnConfig"]


class TrialFollowOnConfig(StrategyConfig):
    """A high-ticket offer made to customers some days after their trial product."""

    type: Literal["trial_follow_on"] = "trial_follow_on"
    delay_days: int = P(
        7,
        "days",
        "days after the trial order when the offer is made",
        ge=1,
        le=365,
        source=setting("a decision of the strategy"),
    )
    price_cny: float = P(
        599.0,
        "CNY",
        "price of the high-ticket product",
        gt=0,
        source=setting("a decision of the strategy"),
    )
    margin_rate: float = P(
        0.6,
        "share",
        "gross margin of the high-ticket product",
        ge=0,
        le=1,
        source=setting("the brand's cost"),
    )
    touchpoint: str = P(
        "private_chat",
        "touchpoint",
        "how the offer is sent (one contact, capped and costed like any other)",
        source=setting("a decision of the strategy"),
    )
    accept_max: float = P(
        0.2,
        "share",
        "share of fully trusting customers who buy when the price equals their usual order",
        ge=0,
        le=1,
        source=assumed(
            0.02, 0.5, "seed 001: the trial builds initial trust, then the full course sells"
        ),
    )
    price_sensitivity: float = P(
        0.3,
        "1",
        "how fast acceptance falls as the price rises above the usual order value",
        ge=0,
        source=assumed(0.05, 1.5),
    )

    def touchpoints_used(self) -> list[str]:
        return [self.touchpoint]


class TrialFollowOn(Strategy):
    """Runtime of :class:`TrialFollowOnConfig`."""

    config_cls = TrialFollowOnConfig
    summary = "a private chat with a high-ticket offer some days after a trial product"
    cost_kinds = ("follow_on_cogs",)
    revenue_kinds = ("follow_on_sales",)
    kpis = ("follow_on_offers", "follow_on_sales_count")

    def start(self, env) -> None:
        self.due: dict[int, list[np.ndarray]] = {}

    def acceptance(self, trust: np.ndarray, order_value: np.ndarray) -> np.ndarray:
        """Probability that customers with ``trust`` and usual ``order_value`` buy."""
        cfg = self.config
        ratio = cfg.price_cny / np.maximum(order_value, 1e-9)
        return np.minimum(cfg.accept_max * trust * np.exp(-cfg.price_sensitivity * (ratio - 1)), 1)

    def act(self, day: int, plan: DayPlan) -> None:
        chunks = self.due.pop(day, None)
        if not chunks:
            return
        cfg, model, pop = self.config, self.model, self.model.pop
        slots = np.unique(np.concatenate(chunks))
        slots = slots[cfg.target.mask(model)[slots] & plan.reachable()[slots]]
        if slots.size == 0:
            return
        mask = np.zeros(pop.n, dtype=bool)
        mask[slots] = True
        sent = plan.contact(mask, cfg.touchpoint, "promotion")
        model.count("follow_on_offers", sent)
        p = self.acceptance(pop.trust[slots], model.expected_order_value(slots))
        buyers = slots[pop.alive[slots] & (self.draws(day, slots) < p)]
        if buyers.size:
            model.book_revenue("follow_on_sales", buyers.size * cfg.price_cny)
            model.book("follow_on_cogs", buyers.size * cfg.price_cny * (1 - cfg.margin_rate))
            model.count("follow_on_sales_count", buyers.size)

    def after_orders(self, day: int, orders: dict[str, np.ndarray]) -> None:
        trial = orders["slot"][orders["is_trial"]]
        if trial.size:
            self.due.setdefault(day + self.config.delay_days, []).append(trial)
