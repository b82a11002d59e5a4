"""Promotion fatigue (促销疲劳): promotions and contacts tire customers; fatigue decays.

The daily kernel (``lab/agents/behaviour.py``) raises fatigue on each promotion day
seen and damps the promotion lift by it.
"""

from __future__ import annotations

from lab.params import P, StrictModel, assumed, setting

__all__ = ["Fatigue"]


class Fatigue(StrictModel):
    """促销疲劳: promotions and contacts tire customers; fatigue decays."""

    enabled: bool = P(True, "flag", "switch promo fatigue on/off", source=setting())
    decay_per_day: float = P(
        0.03,
        "share/day",
        "share of fatigue lost per day",
        ge=0,
        le=1,
        source=assumed(0.005, 0.1, "seed 001 names promo fatigue; no rate published"),
    )
    gain_per_promo_day: float = P(
        0.04,
        "share",
        "share of remaining headroom taken by each promotion day seen at a 20% cut (scales with depth)",
        ge=0,
        le=1,
        source=assumed(0.01, 0.15),
    )
