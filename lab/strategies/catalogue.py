"""Products, product roles and spend-threshold coupons (商品 / 产品角色 / 满减), issue 17 item 1.

With a ``catalogue`` strategy, each order's basket is filled with items from a small
catalogue: the order's drawn value (gamma-gamma, as without a catalogue) is the
customer's budget, and items are drawn by ``weight`` until the budget is reached (at
least one, at most ``max_items``); the order's list value is the sum of its items and
its cost of goods the items' (``margin_rate`` per product).  First orders draw
traffic products (引流品) ``first_order_traffic_boost`` times more often: they are
what brings new buyers in.  Profit products (利润品) carry the margin; welfare (福利品),
IP and fission (裂变品) products are labelled for the item lines (their retention and
sharing effects are not modelled yet).

A spend-threshold coupon (满减, e.g. 300 - 40) on its days: an order within
``reach_share`` below the threshold is topped up with more items until it reaches
it, with chance ``stretch_chance``; every order at or above the threshold gets
``off_cny`` off.  The order log stays one row per order; the item lines are the
table ``order_items`` (``order_id`` as in the transactions table).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from lab.params import P, StrictModel, assumed, setting
from lab.strategies._common import on_cycle
from lab.strategies.base import Strategy, StrategyConfig

if TYPE_CHECKING:  # pragma: no cover
    from lab.plan import DayPlan

__all__ = ["Catalogue", "CatalogueConfig", "Product", "SpendCoupon"]

ROLES = ("traffic", "profit", "welfare", "ip", "fission")


class Product(StrictModel):
    """One product of the catalogue."""

    name: str = P("item", "text", "product name", source=setting())
    category: str = P("general", "text", "category", source=setting())
    role: Literal["traffic", "profit", "welfare", "ip", "fission"] = P(
        "profit", "role", f"product role, of {', '.join(ROLES)}", source=setting()
    )
    list_price_cny: float = P(99.0, "CNY", "list price", gt=0, source=setting())
    margin_rate: float = P(
        0.5, "share", "gross margin at list price", ge=-1, le=1, source=setting("the brand's cost")
    )
    weight: float = P(1.0, "1", "relative chance of being picked", ge=0, source=setting())


def _default_products() -> list[Product]:
    return [
        Product(name="trial mask", category="skincare", role="traffic", list_price_cny=19.9,
                margin_rate=0.05, weight=2),
        Product(name="serum", category="skincare", role="profit", list_price_cny=189,
                margin_rate=0.7, weight=2),
        Product(name="cream", category="skincare", role="profit", list_price_cny=259,
                margin_rate=0.68, weight=1),
        Product(name="cleanser", category="skincare", role="welfare", list_price_cny=59,
                margin_rate=0.3, weight=2),
        Product(name="IP gift box", category="gifts", role="ip", list_price_cny=299,
                margin_rate=0.55, weight=0.5),
        Product(name="share pack", category="skincare", role="fission", list_price_cny=39,
                margin_rate=0.2, weight=1),
    ]  # fmt: skip


class SpendCoupon(StrictModel):
    """满减: ``off_cny`` off orders of at least ``threshold_cny``, on its days."""

    enabled: bool = P(False, "flag", "switch the spend-threshold coupon on/off", source=setting())
    threshold_cny: float = P(300.0, "CNY", "spend threshold", gt=0, source=setting())
    off_cny: float = P(40.0, "CNY", "amount off at the threshold", ge=0, source=setting())
    every_days: int | None = P(
        None, "days", "coupon cycle; none = every day", ge=1, source=setting()
    )
    duration_days: int = P(3, "days", "coupon days per cycle", ge=1, source=setting())
    reach_share: float = P(
        0.3,
        "share",
        "orders this share or less below the threshold may be topped up to it",
        ge=0,
        le=1,
        source=assumed(0.1, 0.5, "shoppers top up to a nearby threshold; distance unpublished"),
    )
    stretch_chance: float = P(
        0.5,
        "share",
        "chance such an order is topped up to the threshold",
        ge=0,
        le=1,
        source=assumed(0.1, 0.8),
    )

    def active(self, day: int) -> bool:
        """Whether the coupon holds on ``day``."""
        if not self.enabled:
            return False
        return self.every_days is None or on_cycle(day, self.every_days, self.duration_days)


class CatalogueConfig(StrategyConfig):
    """A product catalogue that fills baskets, with an optional 满减 coupon."""

    type: Literal["catalogue"] = "catalogue"
    products: list[Product] = P(
        _default_products(), "products", "the catalogue", source=setting("the brand's range")
    )
    first_order_traffic_boost: float = P(
        3.0,
        "x",
        "weight multiplier of traffic products in a customer's first order",
        ge=0,
        source=assumed(1.0, 10.0, "traffic products acquire and convert (issue 17)"),
    )
    max_items: int = P(12, "items", "most items in one order", ge=1, le=50, source=setting())
    welfare_retention: float = P(
        0.2,
        "share",
        "share of the dropout hazard removed after an order with a welfare product",
        ge=0,
        le=1,
        source=assumed(0.0, 0.5, "seed 004: welfare products (福利产品) retain; size unpublished"),
    )
    fission_share_lift: float = P(
        0.5,
        "x",
        "extra chance to share after an order with a fission product",
        ge=0,
        source=assumed(
            0.0, 2.0, "seed 004: fission products (裂变产品) drive sharing; size unpublished"
        ),
    )
    role_effect_days: int = P(
        30,
        "days",
        "days after such an order that the welfare and fission effects last",
        ge=1,
        source=assumed(7, 90, "a product's use period; judgement default"),
    )
    spend_coupon: SpendCoupon = Field(default_factory=SpendCoupon)


def _within(day: int, since: np.ndarray, days: int) -> np.ndarray:
    """Customers whose ``since`` day (-1: never) lies within the last ``days`` days."""
    return (since >= 0) & (day - since < days)


class Catalogue(Strategy):
    """Runtime of :class:`CatalogueConfig`."""

    config_cls = CatalogueConfig
    summary = (
        "orders are filled with catalogue items; welfare items retain, fission items drive "
        "sharing; a 满减 coupon tops baskets up"
    )
    kpis = ("items_sold", "coupon_orders", "coupon_topups")
    states: ClassVar[dict[str, tuple[str, float, str]]] = {
        "welfare_day": ("int32", -1, "day of the last order with a welfare product"),
        "fission_day": ("int32", -1, "day of the last order with a fission product"),
    }

    def start(self, env) -> None:
        cfg = self.config
        self.price = np.array([p.list_price_cny for p in cfg.products])
        self.margin = np.array([p.margin_rate for p in cfg.products])
        w = np.array([p.weight for p in cfg.products], dtype=float)
        boost = np.where(
            [p.role == "traffic" for p in cfg.products], cfg.first_order_traffic_boost, 1
        )
        self.welfare = np.array([p.role == "welfare" for p in cfg.products])
        self.fission = np.array([p.role == "fission" for p in cfg.products])
        self.cum = np.cumsum(w) / w.sum()
        self.cum_first = np.cumsum(w * boost) / (w * boost).sum()
        self.rows = 0
        self.lines: list[tuple[np.ndarray, np.ndarray]] = []

    def act(self, day: int, plan: DayPlan) -> None:
        """Welfare products retain and fission products drive sharing, for some days."""
        cfg, pop = self.config, self.model.pop
        n = pop.n
        if cfg.welfare_retention > 0:
            recent = _within(day, pop.welfare_day[:n], cfg.role_effect_days)
            if recent.any():
                plan.multiply(recent, dropout=1.0 - cfg.welfare_retention)
        if cfg.fission_share_lift > 0:
            recent = _within(day, pop.fission_day[:n], cfg.role_effect_days)
            if recent.any():
                plan.scale_referral(recent, share=1.0 + cfg.fission_share_lift, friends=1.0)

    def _picks(self, day: int, slots: np.ndarray, first: np.ndarray) -> np.ndarray:
        """Product index of each order's candidate items, shape (orders, max_items)."""
        k = self.config.max_items
        u = np.stack([self.draws(day, slots, salt=10 + j) for j in range(k)], axis=1)
        idx = np.where(
            first[:, None],
            np.searchsorted(self.cum_first, u, side="right"),
            np.searchsorted(self.cum, u, side="right"),
        )
        return np.minimum(idx, len(self.price) - 1)

    def shape_baskets(self, day, slots, budget, trial):
        """Fill each order up to its budget; returns (list value, coupon off, cost of goods)."""
        cfg, pop = self.config, self.model.pop
        first = pop.n_orders[slots] <= 1
        picks = self._picks(day, slots, first)
        cum = np.cumsum(self.price[picks], axis=1)
        before = cum - self.price[picks]
        take = before < budget[:, None]
        take[:, 0] = True
        coupon = cfg.spend_coupon
        off = np.zeros(slots.size)
        if coupon.active(day):
            value = np.where(take, self.price[picks], 0).sum(axis=1)
            near = (value < coupon.threshold_cny) & (
                value >= coupon.threshold_cny * (1 - coupon.reach_share)
            )
            stretch = near & ~trial & (self.draws(day, slots, salt=9) < coupon.stretch_chance)
            take |= stretch[:, None] & (before < coupon.threshold_cny)
            self.model.count("coupon_topups", int(stretch.sum()))
        take &= ~trial[:, None]  # a trial order is the trial product, not catalogue items
        value = np.round(np.where(take, self.price[picks], 0).sum(axis=1), 2)
        value = np.where(trial, budget, value)
        cogs = np.where(take, self.price[picks] * (1 - self.margin[picks]), 0).sum(axis=1)
        if coupon.active(day):
            hit = ~trial & (value >= coupon.threshold_cny)
            off[hit] = coupon.off_cny
            self.model.count("coupon_orders", int(hit.sum()))
        pop.welfare_day[slots[(take & self.welfare[picks]).any(axis=1)]] = day
        pop.fission_day[slots[(take & self.fission[picks]).any(axis=1)]] = day
        rows, cols = np.nonzero(take)
        self.lines.append((self.rows + rows, picks[rows, cols]))
        self.rows += slots.size
        self.model.count("items_sold", int(take.sum()))
        return value, off, cogs

    def tables(self) -> dict[str, pd.DataFrame]:
        """``order_items``: one row per product line of an order (quantity, prices)."""
        if self.lines:
            order = np.concatenate([r for r, _ in self.lines])
            product = np.concatenate([p for _, p in self.lines])
        else:
            order = product = np.zeros(0, dtype=np.int64)
        df = pd.DataFrame({"order": order, "product": product})
        df = df.groupby(["order", "product"], as_index=False).size()
        cfg = self.config
        names = np.array([p.name for p in cfg.products], dtype=object)
        return {
            "order_items": pd.DataFrame(
                {
                    "order_id": df["order"].to_numpy(np.int64),
                    "product": names[df["product"].to_numpy()],
                    "category": np.array([p.category for p in cfg.products], dtype=object)[
                        df["product"].to_numpy()
                    ],
                    "role": np.array([p.role for p in cfg.products], dtype=object)[
                        df["product"].to_numpy()
                    ],
                    "quantity": df["size"].to_numpy(np.int64),
                    "unit_price": self.price[df["product"].to_numpy()],
                }
            )
        }
