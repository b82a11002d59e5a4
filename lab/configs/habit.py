"""Habit formation: the first orders make a customer stick.

The daily kernel (``lab/agents/behaviour.py``) raises the purchase rate and removes
dropout chances as a customer's orders approach ``orders_to_habit``.
"""

from __future__ import annotations

from lab.params import P, StrictModel, assumed, seed_article, setting

__all__ = ["Habit"]


class Habit(StrictModel):
    """The first 3–5 purchases decide stickiness."""

    enabled: bool = P(True, "flag", "switch habit formation on/off", source=setting())
    orders_to_habit: int = P(
        4,
        "orders",
        "orders after which stickiness is complete",
        ge=1,
        le=20,
        source=seed_article("001", "the first 3-5 purchases decide stickiness", band=(3, 5)),
    )
    rate_lift: float = P(
        0.6, "x", "extra purchase rate once habit is complete", ge=0, source=assumed(0.2, 1.5)
    )
    dropout_reduction: float = P(
        0.5,
        "share",
        "share of the dropout chances removed once habit is complete",
        ge=0,
        le=1,
        source=assumed(0.2, 0.8),
    )
