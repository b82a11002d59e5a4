"""Purchase: promotion response, margin, the inter-purchase clock and the early burst (购买).

Part of the scenario schema (:mod:`lab.scenario` composes the sections).

The **early-life burst** (``purchase.early_burst``, off by default) multiplies a
customer's purchase rate at age ``a`` (days since its first order) by ``1 + rate_boost
x exp(-a / tau_days)``: the model of :mod:`lab.calibrate.agebump` (BG/NBD on the clock
``Lambda(t) = t + beta tau (1 - exp(-t / tau))``, with ``rate_boost`` its beta and
``tau_days`` its tau in days).  Orders of the burst carry the dropout chance after
purchase like any other (dropout happens at purchase occasions, as in that model;
unlike the referred customers' boost, whose orders add no churn).  The age is known
from the day the pool sees a customer's first order: an order in the run, or the
first order booked when a known customer joins without prior orders (a calibrated
scenario's new customers).  A customer joining with order history before the pool
(stock import, known customers with ``prior_orders``) has no known first purchase
and no burst: a calibration folds what is left of such a customer's burst into its
rate (``lab.calibrate.scenario_out.conditional_customers_age``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lab.params import (
    P,
    StrictModel,
    assumed,
    calibrated,
    setting,
)


class EarlyBurst(StrictModel):
    """Early-life purchase burst: rate x (1 + rate_boost x exp(-age / tau_days)) (早期购买爆发)."""

    rate_boost: float = P(
        0.0,
        "x",
        "extra purchase rate on the day of the first order (beta; 0 = off), fading with the "
        "days since the first order; customers with history before the pool have none",
        ge=0,
        le=20,
        source=setting(
            "off (plain BG/NBD, the model the default traits come from); a calibration's "
            "bgnbd_age fit gives it (CDNOW: beta 0.86, SE 0.16; benchmarks/RESULTS_agebump.md)"
        ),
    )
    tau_days: float = P(
        38.5,
        "days",
        "days since the first order after which the burst has fallen to 1/e (37%) of "
        "rate_boost (half of it after 0.69 x tau_days); unused while rate_boost is 0",
        gt=0,
        le=3650,
        source=calibrated(
            "bgnbd_age fit (lab/calibrate/agebump.py) of the CDNOW log of Fader, Hardie & "
            "Lee 2005: tau 5.5 weeks (SE 1.3) = 38.5 days (benchmarks/RESULTS_agebump.md)"
        ),
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
    early_burst: EarlyBurst = Field(
        default_factory=EarlyBurst,
        description="early-life purchase burst after the first order (off unless rate_boost > 0)",
    )
