"""Annoyance and blocks (拉黑/删除): contacts beyond tolerance lead to blocks.

The daily kernel (``lab/agents/behaviour.py``) remembers each customer's contact load
(fading with ``load_halflife_days``) and draws blocks from it.
"""

from __future__ import annotations

from lab.params import P, StrictModel, assumed, setting

__all__ = ["Annoyance"]


class Annoyance(StrictModel):
    """拉黑/删除: contacts beyond tolerance lead to blocks."""

    enabled: bool = P(True, "flag", "switch blocking on/off", source=setting())
    load_halflife_days: float = P(
        3.5, "days", "half-life of the remembered contact load", gt=0, source=assumed(1.0, 14.0)
    )
    block_hazard: float = P(
        0.05,
        "1/contact",
        "block chance per contact at twice the tolerated load",
        ge=0,
        le=1,
        source=assumed(
            0.005, 0.2, "direction from Kumar, Zhang & Luo 2014: opt-out rises with contact"
        ),
    )
