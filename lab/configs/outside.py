"""The brand's platform store and its competitors: where pool customers can buy instead.

Seed 000 and 004 describe the private pool beside the brand's platform store (天猫/京东
旗舰店): pool customers may buy there instead (cannibalisation), and the pool feeds the
store back (反哺): reviews and sales volume make the store's paid traffic cheaper.  Any
customer can also buy a substitute elsewhere when it is cheaper (share of wallet).

Both sections are off by default (:mod:`lab.market.outside` applies them):

* **platform store** (``platform_store``): each repeat purchase a pool customer decides
  on goes to the store with chance ``base_share x exp(price_sensitivity x
  deal_proneness x (pool price - store price) / pool price)``, capped at ``max_share``:
  a deeper discount in the store (its own 618 / 双11) pulls deal-prone customers there, a
  private-pool promotion pulls them back.  Those orders leave the pool's order log,
  orders and GMV and count as the store's (KPIs ``platform_orders``, ``platform_gmv``,
  ``platform_margin`` after the platform's commission; not part of the pool's net
  margin).  First orders and trials stay in the pool, which won them.  Each pool order
  leaves a review or sales record with chance ``review_rate``; accumulated reviews
  divide the pool's paid CAC by ``1 + feedback_strength x ln(1 + reviews /
  reviews_scale)`` (反哺: social proof lowers the cost of traffic);
* **competition** (``competition``): a competitor sells a substitute at
  ``price_index`` times our list price (and runs its own sales).  Before customers
  respond, wherever our price today is above it, deal-prone customers move part of their
  wallet away: purchase rate x ``exp(-wallet_elasticity x deal_proneness x gap)`` with
  ``gap = our price / competitor price - 1``, and their daily dropout hazard x
  ``1 + leave_per_gap x deal_proneness x gap`` (leaving for better prices).

All behavioural rates are assumptions with plausible ranges: no published figure
measures them for private pools.
"""

from __future__ import annotations

from lab.configs.sales import BigSale
from lab.params import P, StrictModel, assumed, setting

__all__ = ["Competition", "PlatformStore"]

_DECISION = setting("a decision of the brand or the competitor")


class PlatformStore(StrictModel):
    """The brand's platform store: cannibalisation of pool purchases and feedback (反哺)."""

    enabled: bool = P(False, "flag", "model the brand's platform store", source=setting())
    base_share: float = P(
        0.2,
        "share",
        "chance a repeat purchase goes to the store at equal prices",
        ge=0,
        le=1,
        source=assumed(0.05, 0.5, "seed 003: private pools ~5% of brand sales; most buy elsewhere"),
    )
    max_share: float = P(
        0.8, "share", "largest share the store can take", ge=0, le=1, source=assumed(0.5, 0.95)
    )
    price_sensitivity: float = P(
        4.0,
        "1/price gap",
        "how strongly deal-prone customers follow the cheaper of pool and store",
        ge=0,
        source=assumed(1.0, 8.0, "same order as promotional elasticities (Bijmolt et al. 2005)"),
    )
    discount: float = P(
        0.0, "share", "everyday store discount off list price", ge=0, le=0.9, source=_DECISION
    )
    sales: list[BigSale] = P([], "list", "the store's dated sales", source=_DECISION)
    commission_rate: float = P(
        0.05,
        "share",
        "platform commission and fees on store sales",
        ge=0,
        le=0.5,
        source=setting("the platform's fee schedule"),
    )
    review_rate: float = P(
        0.1,
        "share",
        "chance a pool order leaves a review or sales record that the store shows",
        ge=0,
        le=1,
        source=assumed(0.02, 0.3, "seed 000: the pool feeds the store back (反哺)"),
    )
    feedback_strength: float = P(
        0.15,
        "x",
        "paid CAC divided by 1 + this x ln(1 + reviews / reviews_scale)",
        ge=0,
        source=assumed(0.0, 0.4, "social proof lowers the cost of paid traffic"),
    )
    reviews_scale: float = P(
        500.0,
        "reviews",
        "reviews at which feedback reaches ln 2 x strength",
        gt=0,
        source=assumed(100.0, 5000.0),
    )


class Competition(StrictModel):
    """A competitor's substitute and its price: share of wallet and leaving for better prices."""

    enabled: bool = P(False, "flag", "model a competitor's price", source=setting())
    price_index: float = P(
        1.0,
        "x list price",
        "competitor's everyday price relative to our list price",
        gt=0,
        le=3,
        source=setting("a market observation"),
    )
    sales: list[BigSale] = P([], "list", "the competitor's dated sales", source=_DECISION)
    wallet_elasticity: float = P(
        3.0,
        "1/price gap",
        "purchase rate x exp(-this x deal_proneness x gap)",
        ge=0,
        source=assumed(1.0, 6.0, "same order as promotional elasticities (Bijmolt et al. 2005)"),
    )
    leave_per_gap: float = P(
        2.0,
        "x/price gap",
        "daily dropout hazard x (1 + this x deal_proneness x gap)",
        ge=0,
        source=assumed(0.0, 5.0, "deal-prone customers leave for better prices"),
    )
