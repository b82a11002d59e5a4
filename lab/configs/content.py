"""What one contact of a content type does (promotion, value, interaction).

:class:`lab.scenario.Contacts` holds one :class:`ContentEffect` per content type.
"""

from __future__ import annotations

from lab.params import P, StrictModel, assumed

__all__ = ["ContentEffect"]


class ContentEffect(StrictModel):
    """Effect of one contact of a content type, at full reach."""

    purchase_lift: float = P(
        2.0,
        "x",
        "purchase-rate lift on the send day (carried over to the next days: contacts.carryover)",
        ge=0,
        source=assumed(0.0, 8.0, "Hillstrom 2008: one e-mail lifts two-week conversion 1.5-2.2x"),
    )
    fatigue_gain: float = P(
        0.03, "share", "share of fatigue headroom taken", ge=0, le=1, source=assumed(0.0, 0.15)
    )
    annoyance_weight: float = P(
        1.0, "contacts", "how much it counts towards the load", ge=0, source=assumed(0.1, 2.0)
    )
