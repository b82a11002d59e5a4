"""Money conventions: currency and the discount rate for LTV.

Part of the scenario schema (:mod:`lab.scenario` composes the sections).
"""

from __future__ import annotations

from lab.params import (
    P,
    StrictModel,
    setting,
)


class Economics(StrictModel):
    """Money conventions."""

    currency: str = P("CNY", "label", "currency label in reports", source=setting())
    annual_discount_rate: float = P(
        0.10, "1/year", "for LTV discounting", ge=0, le=1, source=setting("a finance convention")
    )
