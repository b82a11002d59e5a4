"""Outside options: the brand's platform store and competitors (see :mod:`lab.configs.outside`).

The competitor acts in the model's ``outside options`` step, after the strategies have
written today's offers and before customers respond: it scales today's purchase rate and
dropout hazard in the day plan.  The platform store acts in the ``orders`` step: it takes
some of today's repeat purchases (:meth:`OutsideOptions.divert`), and keeps the reviews
that feed it back (反哺) as a divisor of the pool's paid CAC.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable

    from lab.configs.outside import Competition, PlatformStore
    from lab.configs.sales import BigSale
    from lab.plan import DayPlan
    from lab.population import Population
    from lab.rng import RandomStreams

__all__ = ["OUTSIDE_KPIS", "OutsideOptions"]

#: daily KPIs of a run with a platform store or a competitor
OUTSIDE_KPIS: tuple[str, ...] = (
    "platform_orders",
    "platform_gmv",
    "platform_margin",
    "platform_share",
    "platform_reviews",
    "competitor_price_gap",
)


def _deepest(sales: list[BigSale], day: int, start: dt.date, everyday: float = 0.0) -> float:
    return max([everyday, *(s.depth for s in sales if s.on(day, start))])


class OutsideOptions:
    """The platform store and the competitor of one run.

    Parameters
    ----------
    platform, competition : PlatformStore, Competition
        The scenario's sections (either may be disabled).
    start_date : datetime.date
        Calendar date of run day 0 (dated sales).
    margin_rate : float
        Gross margin on list price (``purchase.margin_rate``), for store margin.
    """

    def __init__(
        self,
        platform: PlatformStore,
        competition: Competition,
        start_date: dt.date,
        margin_rate: float,
    ) -> None:
        self.platform = platform
        self.competition = competition
        self.start = start_date
        self.margin_rate = margin_rate
        self.reviews = 0.0

    @property
    def enabled(self) -> bool:
        """True when the store or the competitor is modelled."""
        return self.platform.enabled or self.competition.enabled

    def cac_factor(self) -> float:
        """Multiplier on the pool's paid CAC from the store's reviews (1 without a store)."""
        p = self.platform
        if not p.enabled:
            return 1.0
        return 1.0 / (1.0 + p.feedback_strength * math.log1p(self.reviews / p.reviews_scale))

    def apply(self, day: int, plan: DayPlan, pop: Population, today: dict[str, float]) -> None:
        """Before customers respond: the competitor takes its share of today's wallet."""
        if not self.competition.enabled:
            return
        c, n = self.competition, pop.n
        our_price = 1.0 - plan.offer_depth[:n].astype(np.float64)
        deal = pop.deal_proneness[:n].astype(np.float64)
        price = c.price_index * (1.0 - _deepest(c.sales, day, self.start))
        gap = np.maximum(our_price / price - 1.0, 0.0)
        today["competitor_price_gap"] = float(np.mean(gap)) if n else 0.0
        if not gap.any():
            return
        plan.multiply(None, purchase=np.exp(-c.wallet_elasticity * deal * gap).astype(np.float32))
        leave = np.float32(1) + (c.leave_per_gap * deal * gap).astype(np.float32)
        dm = plan.dropout_mult[: plan.n]
        np.multiply(dm, leave, out=dm)
        plan.mark_written("dropout_mult")

    def divert(
        self,
        day: int,
        pop: Population,
        streams: RandomStreams,
        order: dict[str, np.ndarray],
        order_value: Callable[[np.ndarray], np.ndarray],
        today: dict[str, float],
    ) -> np.ndarray:
        """After customers respond: which of today's purchases the platform store takes.

        ``order`` holds today's buyers (``slot``), the share of list price each pays in
        the pool (``price``) and whether it is a trial (``trial``).  Only repeat, full
        orders can go to the store (the pool won the first one).  The store's orders are
        booked as its KPIs; the pool's order counts are reduced by them.

        Returns
        -------
        numpy.ndarray
            Boolean mask over the buyers: True for the orders the pool keeps.
        """
        keep = np.ones(order["slot"].size, dtype=bool)
        p = self.platform
        if not p.enabled or not keep.size:
            return keep
        slots, pool_price = order["slot"], order["price"]
        store_price = 1.0 - _deepest(p.sales, day, self.start, p.discount)
        deal = pop.deal_proneness[slots].astype(np.float64)
        advantage = (pool_price - store_price) / np.maximum(pool_price, 1e-9)
        share = np.minimum(
            p.base_share * np.exp(p.price_sensitivity * deal * advantage), p.max_share
        )
        repeat = ~order["trial"] & (pop.n_orders[slots] >= 2)
        draw = streams.uniform("platform_orders", day, pop.rkey[slots])
        store = repeat & (draw < share)
        keep = ~store
        today["platform_share"] = float(share[repeat].mean()) if repeat.any() else 0.0
        today["platform_reviews"] = self.reviews
        taken = slots[store]
        today["orders"] -= float(taken.size)  # the kernel counted them as pool orders
        today["promo_orders"] -= float((pool_price[store] < 1.0).sum())
        if taken.size:
            list_value = order_value(taken)
            paid = list_value * store_price
            margin = list_value * self.margin_rate - (list_value - paid) - p.commission_rate * paid
            today["platform_orders"] += float(taken.size)
            today["platform_gmv"] += float(paid.sum())
            today["platform_margin"] += float(margin.sum())
        return keep

    def after_orders(self, orders: int) -> None:
        """Add the reviews and sales records today's pool orders leave (expected count)."""
        if self.platform.enabled:
            self.reviews += orders * self.platform.review_rate
