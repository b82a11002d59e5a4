"""Reference prices (参考价格): customers learn prices from the discounts they see.

The daily kernel (``lab/agents/behaviour.py``) moves each customer's reference price
towards the promotion prices seen and back towards list price on days without one.
"""

from __future__ import annotations

from lab.params import P, StrictModel, assumed, setting

__all__ = ["ReferencePrice"]


class ReferencePrice(StrictModel):
    """参考价格: customers learn prices from the discounts they see."""

    enabled: bool = P(True, "flag", "switch reference-price learning on/off", source=setting())
    learning_rate: float = P(
        0.01,
        "share/day",
        "share of the gap to a seen promo price learned per promo day",
        ge=0,
        le=1,
        source=assumed(
            0.005,
            0.2,
            "mechanism from Kalyanaram & Winer 1995; rate unmeasured; 0.01 with 0.05 recovery keeps the post-promotion dip in the 4-25% band (van Heerde, Leeflang & Wittink 2000; fact post_promo_dip)",
        ),
    )
    recovery_per_day: float = P(
        0.05,
        "share/day",
        "share of the gap to list price recovered per day without promotion",
        ge=0,
        le=1,
        source=assumed(
            0.002,
            0.1,
            "fast enough that no permanent effect is left months later (Pauwels, Hanssens & Siddarth 2002; fact no_permanent_effect)",
        ),
    )
