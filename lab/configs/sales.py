"""Dated sales (大促, 会员日, a platform's or a competitor's sale): a date or run day, a length,
a depth, and whether they repeat yearly.  Shared by the discount cadence and the outside
options (:mod:`lab.configs.outside`).
"""

from __future__ import annotations

import datetime as dt

from pydantic import model_validator

from lab.params import P, StrictModel, setting

__all__ = ["BigSale"]


class BigSale(StrictModel):
    """A dated promotion (大促 / 会员日)."""

    name: str = P(
        "big sale", "text", "label, e.g. 双11", source=setting("a decision of the strategy")
    )
    date: dt.date | None = P(
        None, "date", "calendar date of the first day", source=setting("a decision of the strategy")
    )
    day: int | None = P(
        None,
        "day",
        "or: run day of the first day",
        ge=0,
        source=setting("a decision of the strategy"),
    )
    duration_days: int = P(
        3, "days", "length", ge=1, le=60, source=setting("a decision of the strategy")
    )
    depth: float = P(
        0.3,
        "share",
        "discount as a share of list price",
        gt=0,
        le=0.9,
        source=setting("a decision of the strategy"),
    )
    yearly: bool = P(
        True, "flag", "repeat every 365 days", source=setting("a decision of the strategy")
    )

    @model_validator(mode="after")
    def _one_anchor(self):
        if (self.date is None) == (self.day is None):
            raise ValueError("a big sale needs exactly one of 'date' or 'day'")
        return self

    def first_day(self, start_date: dt.date) -> int:
        """Run day of the first occurrence on or after day 0 (may be negative if past)."""
        if self.day is not None:
            return self.day
        offset = (self.date - start_date).days
        while self.yearly and offset < 0:
            offset += 365
        return offset

    def on(self, day: int, start_date: dt.date) -> bool:
        """True if the sale runs on run day ``day``."""
        first = self.first_day(start_date)
        if day < first:
            return False
        since = (day - first) % 365 if self.yearly else day - first
        return since < self.duration_days
