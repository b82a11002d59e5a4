"""How the existing base is added (issue 17 item 4): active add by phone vs passive live code.

Seed 003 distinguishes two ways to bring customers into the WeCom pool:

* **active add** (主动获客, 手机号拓客): staff (or a tool) send a friend request to the
  phone number of a platform buyer; a share ``acceptance_rate`` accepts; each request
  costs staff minutes;
* **passive add** (被动获客, 渠道活码): the customer scans a channel live code (on a
  package card, 包裹卡); the code tags the channel and assigns a staff member at
  random; each card costs its print, and a share ``scan_rate`` scans.  Customers who
  chose to add the brand start with more trust (``trust_gain``).

With ``stock_import.adding.enabled``, ``stock_import.customers_per_day`` is the number
of buyers *approached* a day (requests sent plus cards shipped), a share
``active_share`` of them by phone; ``total_customers`` approached in all.  Who joins
is tagged (customer states ``add_method``: 1 active, 2 passive; ``assigned_staff``);
costs go to ``cost_adding``, joins to the KPIs ``adds_active`` and ``adds_passive``.
Off (the default), stock import adds every approached buyer as before.
"""

from __future__ import annotations

from pydantic import Field

from lab.params import P, StrictModel, assumed, setting

__all__ = ["ActiveAdd", "Adding", "PassiveAdd", "adding_states"]


class ActiveAdd(StrictModel):
    """手机号拓客: friend requests to buyers' phone numbers."""

    acceptance_rate: float = P(
        0.3,
        "share",
        "share of friend requests accepted",
        ge=0,
        le=1,
        source=assumed(0.1, 0.6, "seed 003: adding by phone number; no rate published"),
    )
    staff_minutes_per_request: float = P(
        1.0,
        "minutes",
        "staff time per request (near 0 with an automated tool)",
        ge=0,
        source=setting("the brand's process and tools"),
    )
    staff_cost_per_hour_cny: float = P(
        40.0, "CNY/hour", "staff cost", ge=0, source=setting("the brand's staff cost")
    )
    trust_gain: float = P(
        0.0,
        "share",
        "share of missing trust added at joining (strangers who accepted a request)",
        ge=0,
        le=1,
        source=assumed(0.0, 0.2),
    )


class PassiveAdd(StrictModel):
    """渠道活码: a live code on package cards that tags the channel and assigns staff."""

    scan_rate: float = P(
        0.15,
        "share",
        "share of cards whose recipient scans the code and adds",
        ge=0,
        le=1,
        source=assumed(0.03, 0.4, "seed 003: package cards are the live code's main use"),
    )
    card_cost_cny: float = P(
        0.3, "CNY/card", "print and insert cost per card", ge=0, source=setting("the brand's cost")
    )
    staff: int = P(
        10,
        "people",
        "staff members the live code assigns customers to (at random)",
        ge=1,
        source=setting("the brand's team"),
    )
    trust_gain: float = P(
        0.2,
        "share",
        "share of missing trust added at joining (they chose to add the brand)",
        ge=0,
        le=1,
        source=assumed(0.0, 0.5, "seed 003: customers who scan came of their own accord"),
    )


class Adding(StrictModel):
    """How stock-import buyers are approached: by phone (active) or live code (passive)."""

    enabled: bool = P(
        False,
        "flag",
        "approach the base by phone and live code (off: every approached buyer joins)",
        source=setting(),
    )
    active_share: float = P(
        0.5,
        "share",
        "share of approached buyers reached by phone (the rest get a live-code card)",
        ge=0,
        le=1,
        source=setting("a decision"),
    )
    active: ActiveAdd = Field(default_factory=ActiveAdd)
    passive: PassiveAdd = Field(default_factory=PassiveAdd)


def adding_states(cfg: Adding) -> dict[str, tuple[str, float, str]]:
    """Customer states the adding methods keep (none when off)."""
    if not cfg.enabled:
        return {}
    return {
        "add_method": ("int8", 0, "how the customer was added: 1 phone (active), 2 live code"),
        "assigned_staff": ("int16", -1, "staff member the live code assigned (-1: none)"),
    }
