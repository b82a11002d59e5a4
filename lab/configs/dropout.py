"""Permanent dropout (永久流失): the two latent dropout processes, switchable separately."""

from __future__ import annotations

from lab.params import P, StrictModel, setting

__all__ = ["Dropout"]


class Dropout(StrictModel):
    """永久流失: the two latent dropout processes, switchable separately."""

    after_purchase: bool = P(
        True, "flag", "BG/NBD-style dropout after each order", source=setting()
    )
    per_day: bool = P(True, "flag", "constant daily dropout hazard", source=setting())
