"""Purchase: promotion response, margin and the inter-purchase clock (购买).

Part of the scenario schema (:mod:`lab.scenario` composes the sections).
"""

from __future__ import annotations

from typing import Literal

from lab.params import (
    P,
    StrictModel,
    assumed,
    setting,
)


class Purchase(StrictModel):
    """Daily purchase: rate = propensity x trust x habit x price x promotion x contact."""

    promo_lift: float = P(
        6.0,
        "x per price gap",
        "lift per unit cut off list price, x deal proneness (without loss aversion: per unit "
        "gap below the reference price)",
        ge=0,
        source=assumed(
            2.0,
            15.0,
            "gives a 20%-cut elasticity of about -4.9 with the reference-price gain on top, inside the -1.5 to -6 band of van Heerde & Neslin 2008 (fact promo_elasticity); range scaled to that band",
        ),
    )
    full_price_penalty: float = P(
        4.0,
        "per price gap",
        "rate lost per unit gap above the reference price, x deal proneness",
        ge=0,
        source=assumed(
            0.5,
            12.0,
            "loss aversion: direction from Kalyanaram & Winer 1995, size unmeasured (smaller once heterogeneity is controlled, Bell & Lattin 2000)",
        ),
    )
    fatigue_damping: float = P(
        0.9,
        "share",
        "share of promotion and contact lift lost at fatigue 1",
        ge=0,
        le=1,
        source=assumed(0.3, 0.95),
    )
    blocked_factor: float = P(
        0.4,
        "x",
        "purchase rate of customers who blocked the brand",
        ge=0,
        le=1,
        source=assumed(0.1, 0.8),
    )
    trust_gain_per_order: float = P(
        0.3, "share", "share of missing trust each order adds", ge=0, le=1, source=assumed(0.1, 0.6)
    )
    margin_rate: float = P(
        0.55,
        "share",
        "gross margin on list price",
        ge=0,
        le=1,
        source=setting("the brand's gross margin"),
    )
    timing: Literal["poisson", "erlang"] = P(
        "poisson",
        "name",
        "inter-purchase clock: poisson (memoryless, BG/NBD) or erlang (regular: an order "
        "right after the last one is unlikely; e.g. groceries, consumables; the clock runs "
        "from a customer's first order, customers joining with history start it afresh unless "
        "their known-customer row gives purchase_phase)",
        source=setting("the category's purchase cycle"),
    )
    timing_k: int = P(
        3,
        "stages",
        "stages of the erlang clock (inter-purchase CV about 1/sqrt(k); 1 = Poisson)",
        ge=1,
        le=20,
        source=assumed(2.0, 5.0, "regular categories; unused with timing poisson"),
    )
