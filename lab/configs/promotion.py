"""Promotion response beyond the same-day lift: conditioning, stockpiling, loss aversion, first deal.

The scenario section ``promotion_response`` (:class:`PromotionResponse`) switches and
sizes four mechanisms of the daily kernel (``lab/agents/promo_mechanisms.py``):

* **deal conditioning** (Mela, Gupta & Lehmann 1997): every promotion day a customer
  sees raises a slow state ``deal_cond`` (0..1) that multiplies their deal
  sensitivity and makes them anchor their reference price on deal prices; it relaxes
  slowly without promotions.  Distinct from fatigue, which damps the lift of a
  promotion for a few weeks.
* **stockpiling / purchase acceleration** (Anderson & Simester 2004; van Heerde,
  Leeflang & Wittink 2000): an order bought on a promotion fills the household's
  stock, which lowers the purchase rate for some days after (the post-promotion dip).
  Only customers with a buying routine stockpile (scaled by their habit strength);
  for new customers the extra orders build the habit instead.
* **loss aversion** (Kalyanaram & Winer 1995): the promotion lift acts on the cut off
  list price; the reference-price effect on top is asymmetric, a price above the
  reference hurting ``loss_aversion`` times more than the same gap below it helps.
* **first deal** (Anderson & Simester 2004): an order on promotion while the habit is
  still forming builds trust, so a deep first deal raises new customers' future orders.
"""

from __future__ import annotations

from pydantic import Field

from lab.params import P, StrictModel, assumed, published, setting

__all__ = [
    "DealConditioning",
    "FirstDeal",
    "LossAversion",
    "PromotionResponse",
    "Stockpiling",
    "kernel_params",
]


class DealConditioning(StrictModel):
    """Promotion exposure conditions deal sensitivity upwards (Mela, Gupta & Lehmann 1997)."""

    enabled: bool = P(True, "flag", "switch deal conditioning on/off", source=setting())
    gain_per_promo_day: float = P(
        0.025,
        "share",
        "share of the remaining conditioning headroom taken by each promotion day seen at a "
        "20% cut (scales with depth)",
        ge=0,
        le=1,
        source=assumed(
            0.01,
            0.15,
            "direction from Mela, Gupta & Lehmann 1997 (8 years of panel data); rate unmeasured",
        ),
    )
    relax_per_day: float = P(
        0.005,
        "share/day",
        "share of the conditioning lost per day without promotions (slower than fatigue)",
        ge=0,
        le=1,
        source=assumed(0.001, 0.03, "Mela, Gupta & Lehmann 1997 find a long-run (quarters) effect"),
    )
    sensitivity_lift: float = P(
        1.0,
        "x",
        "extra deal sensitivity at full conditioning (deal proneness x (1 + lift x state))",
        ge=0,
        source=assumed(
            0.3,
            2.0,
            "chosen so frequent promotions raise a probe's elasticity 1-2.5x (fact "
            "deal_conditioning)",
        ),
    )

    anchoring: float = P(
        4.0,
        "x",
        "extra reference-price learning from a promotion at full conditioning, as a multiple "
        "of reference_price.learning_rate (conditioned customers expect deals and wait)",
        ge=0,
        source=assumed(
            0.0,
            8.0,
            "direction from Mela, Gupta & Lehmann 1997 and Jedidi, Mela & Gupta 1999 (more "
            "promotion, more price-sensitive, a long-run cost); above ~6 the one-off dip leaves "
            "the 4-25% band (fact post_promo_dip)",
        ),
    )


class Stockpiling(StrictModel):
    """Orders bought on promotion are pulled forward: the rate dips while the stock lasts."""

    enabled: bool = P(True, "flag", "switch stockpiling (purchase acceleration) on/off",
                      source=setting())  # fmt: skip
    pull_forward: float = P(
        0.1,
        "share",
        "share of the purchase rate removed right after an order at a 20% cut (scales with "
        "depth, times habit strength)",
        ge=0,
        le=1,
        source=assumed(
            0.03,
            0.5,
            "acceleration is the main source of the post-promotion dip, 4-25% of the bump "
            "(van Heerde, Leeflang & Wittink 2000)",
        ),
    )
    halflife_days: float = P(
        10.0,
        "days",
        "half-life of the stock bought on promotion (how long the dip lasts)",
        gt=0,
        source=assumed(
            3.0, 30.0, "weeks: van Heerde, Leeflang & Wittink 2000 find dips within weeks"
        ),
    )


class LossAversion(StrictModel):
    """Prices above the reference hurt more than equal prices below it help."""

    enabled: bool = P(
        True,
        "flag",
        "on: promotion lift acts on the cut off list price and the reference-price "
        "effect is asymmetric; off: the lift acts on the gap below the reference price",
        source=setting(),
    )
    loss_aversion: float = P(
        2.0,
        "x",
        "loss coefficient / gain coefficient of the reference-price effect (the loss "
        "coefficient is purchase.full_price_penalty)",
        ge=1,
        source=published(
            "Kalyanaram & Winer 1995 (losses weigh more than gains); smaller once "
            "heterogeneity is controlled, Bell & Lattin 2000",
            band=(1.0, 3.0),
        ),
    )


class FirstDeal(StrictModel):
    """A good first deal builds the habit: early orders on promotion build trust."""

    enabled: bool = P(True, "flag", "switch the first-deal trust gain on/off", source=setting())
    trust_gain: float = P(
        0.4,
        "share",
        "share of missing trust an order at a 20% cut adds while the habit is forming "
        "(scales with depth, times 1 - habit strength)",
        ge=0,
        le=1,
        source=assumed(
            0.0,
            0.6,
            "direction from Anderson & Simester 2004 (deeper discounts raise first-time "
            "customers' future purchases); size unmeasured",
        ),
    )


class PromotionResponse(StrictModel):
    """How customers respond to promotions beyond the same-day lift."""

    deal_conditioning: DealConditioning = Field(default_factory=DealConditioning)
    stockpiling: Stockpiling = Field(default_factory=Stockpiling)
    loss_aversion: LossAversion = Field(default_factory=LossAversion)
    first_deal: FirstDeal = Field(default_factory=FirstDeal)


def kernel_params(pr: PromotionResponse) -> dict[str, float | bool]:
    """The kernel's promotion-response parameters (``KernelParams`` fields) from the section.

    Parameters
    ----------
    pr : PromotionResponse
        The scenario's ``promotion_response`` section.

    Returns
    -------
    dict
        Kernel parameter name -> value.
    """
    dc, sp, la = pr.deal_conditioning, pr.stockpiling, pr.loss_aversion
    return {
        "cond_on": dc.enabled,
        "cond_keep": 1.0 - dc.relax_per_day,
        "cond_gain": dc.gain_per_promo_day,
        "cond_lift": dc.sensitivity_lift,
        "cond_anchor": dc.anchoring,
        "stock_on": sp.enabled,
        "stock_keep": 0.5 ** (1.0 / sp.halflife_days),
        "stock_pull": sp.pull_forward,
        "loss_on": la.enabled,
        "loss_aversion": la.loss_aversion,
        "first_deal_on": pr.first_deal.enabled,
        "first_deal_gain": pr.first_deal.trust_gain,
    }
