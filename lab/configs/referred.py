"""Referred customers (被邀请用户): a bond to the referrer that retains, an early boost that fades.

Published pattern (``shared/EVIDENCE.md``):

* Schmitt, Skiera & Van den Bulte (2011, JM 75(1)): referred customers are worth at
  least 16% more; their margin is higher at first and the gap erodes (about zero
  after ~2.5 years, secondary); their retention is higher and the difference
  persists (about 18% more likely to stay, secondary).
* Van den Bulte, Bayer, Skiera & Schmitt (2018, JMR 55(1)): the retention advantage
  fades once the referrer has left.

The kernel turns this into two effects on a customer who joined through a referral
(``referrer >= 0``), see :func:`lab.agents.behaviour.referred_bond`:

* a **bond**: while the referrer has not dropped out, a share ``retention`` of the
  daily dropout hazard is removed.  It acts on the time-based hazard, not on the
  dropout chance after each order, so it does not depend on how much the customer
  buys (a bond on the after-order chance would also keep more heavy buyers alive and
  hold the margin gap open).  It ends the day after the referrer drops out;
* an **early boost** of the purchase rate, ``1 + rate_boost x 0.5^(tenure /
  boost_halflife_days)``: the early margin advantage, eroding with tenure.  The
  extra orders of the boost carry no extra dropout-after-purchase chance (the chance
  per order is divided by the boost), so the boost adds value, not churn.

The similarity of a referred customer to the referrer is carried by this fading
boost; ``acquisition.referral.trait_correlation`` (a lasting similarity of traits)
defaults to 0, since a lasting one keeps the margin gap open at month 30.
"""

from __future__ import annotations

from lab.params import P, StrictModel, assumed, setting

__all__ = ["ReferredCustomers"]


class ReferredCustomers(StrictModel):
    """How customers who joined through a referral differ after joining."""

    enabled: bool = P(
        True, "flag", "switch the referred customers' bond and early boost on/off", source=setting()
    )
    retention: float = P(
        0.8,
        "share",
        "share of the daily dropout hazard removed while the referrer has not dropped out",
        ge=0,
        le=1,
        source=assumed(
            0.3,
            0.9,
            "Schmitt, Skiera & Van den Bulte 2011: referred customers ~18% more likely to "
            "stay; Van den Bulte et al. 2018: the advantage fades once the referrer leaves; "
            "0.8 gives a month-30 retention ratio of ~1.17 (0.7: 1.15) and more slack on the "
            "referral facts (joint grid lab.facts.grid, 0.5-0.9 all pass; docs/facts.md)",
        ),
    )
    rate_boost: float = P(
        0.6,
        "x",
        "extra purchase rate of a referred customer on joining (decays with tenure)",
        ge=0,
        le=5,
        source=assumed(
            0.0,
            1.5,
            "Schmitt, Skiera & Van den Bulte 2011: higher margin at first, gap ~0 by ~30 "
            "months, worth >= 16% more; 0.6 gives a value ratio of ~1.27 over 33 months; "
            "joint grid (lab.facts.grid, 0.4-0.8 x half-life 90-180 days): every neighbour "
            "passes the referral facts but 0.4 with 90 days (value below 1.16)",
        ),
    )
    boost_halflife_days: float = P(
        120.0,
        "days",
        "tenure after which half the early boost is gone",
        gt=0,
        le=3650,
        source=assumed(
            60.0,
            365.0,
            "Schmitt, Skiera & Van den Bulte 2011: the margin gap erodes within ~2.5 years; "
            "with a 0.8 boost a 180-day half-life keeps it open (+0.046 at month 30, "
            "lab.facts.grid)",
        ),
    )
