"""Configs of the contact response: carry-over and wear-out (kernel code: :mod:`lab.contact_wear`)."""

from __future__ import annotations

from pydantic import Field, model_validator

from lab.configs.content import ContentEffect
from lab.mapping_defaults import merge_onto_defaults
from lab.params import (
    P,
    StrictModel,
    assumed,
    by_key,
    calibrated,
    platform_rule,
    setting,
    source_extra,
)

__all__ = ["ContactCarryover", "ContactWearOut"]


class ContactCarryover(StrictModel):
    """A contact's purchase lift carries over to the following days (a decaying stock)."""

    enabled: bool = P(
        True, "flag", "switch contact carry-over on/off (off: send day only)", source=setting()
    )
    halflife_days: float = P(
        4.0,
        "days",
        "half-life of a contact's purchase lift (the lift on the send day is the content's "
        "purchase_lift)",
        gt=0,
        le=60,
        source=assumed(
            1.0,
            10.0,
            "e-mail responses arrive mostly within days; with it the content lifts give a "
            "two-week lift inside the 1.5-2.2x of Hillstrom 2008 (fact contact_lift_sleeping)",
        ),
    )


class ContactWearOut(StrictModel):
    """Repeated contacts of one content type lose effect (per type, per customer)."""

    enabled: bool = P(
        True, "flag", "switch wear-out of repeated identical contacts on/off", source=setting()
    )
    halflife_days: float = P(
        30.0,
        "days",
        "half-life of the memory of contacts of one content type",
        gt=0,
        le=365,
        source=assumed(7.0, 180.0, "a tactic is fresh again some weeks after it was last seen"),
    )
    strength: float = P(
        0.4,
        "1/contact",
        "wear per remembered contact of the same type: lift / (1 + strength x remembered)",
        ge=0,
        le=5,
        source=assumed(
            0.05,
            1.0,
            "direction from Sahni, Wheeler & Chintagunta 2018 and Defau & Zauner 2023 "
            "(repeated tactics wear out); the 8th weekly identical message keeps about 55% "
            "of the first one's lift, inside the assumed 30-90% (fact contact_wear_out), and "
            "flooding a group with messages has an interior optimum (seed 001: too many ads "
            "get the brand blocked)",
        ),
    )


class Contacts(StrictModel):
    """触达: how contacts act (strategies decide who is contacted and when)."""

    content: dict[str, ContentEffect] = Field(
        default_factory=lambda: {
            "promotion": ContentEffect(purchase_lift=3.2, fatigue_gain=0.06, annoyance_weight=1.0),
            "value": ContentEffect(purchase_lift=1.0, fatigue_gain=0.005, annoyance_weight=0.4),
            "interaction": ContentEffect(purchase_lift=0.6, fatigue_gain=0.0, annoyance_weight=0.3),
        },
        description="content types: promotion, value (useful content), interaction (fun)",
        json_schema_extra=source_extra(
            by_key(
                {
                    "promotion.purchase_lift": calibrated(
                        "fact contact_lift_sleeping (lab facts): with a 4-day carry-over "
                        "half-life, one promotional mass message lifts sleeping customers' "
                        "two-week conversion about 1.85x, inside the 1.5-2.2x of Hillstrom "
                        "2008; the band gives 1.5 and 2.2",
                        band=(1.8, 4.8),
                    ),
                    "promotion.fatigue_gain": assumed(0.01, 0.15),
                    "promotion.annoyance_weight": setting(
                        "the unit: a promotion counts as one contact"
                    ),
                    "value.purchase_lift": assumed(
                        0.2, 4.0, "relative to promotion: about a third of its lift"
                    ),
                    "value.fatigue_gain": assumed(0.0, 0.03),
                    "value.annoyance_weight": assumed(0.1, 1.0),
                    "interaction.purchase_lift": assumed(
                        0.0, 2.4, "relative to promotion: about a fifth of its lift"
                    ),
                    "interaction.fatigue_gain": assumed(0.0, 0.02),
                    "interaction.annoyance_weight": assumed(0.05, 1.0),
                }
            )
        ),
    )
    channel_weight: dict[str, float] = P(
        {"private_chat": 1.0, "group": 0.5, "moments": 0.3, "mass_message": 0.7},
        "x",
        "strength of one contact by touchpoint (私聊, 群聊, 朋友圈, 群发)",
        source=by_key(
            {
                "private_chat": setting("the unit: a private chat has full strength"),
                "group": assumed(0.1, 1.0),
                "moments": assumed(0.05, 0.8),
                "mass_message": assumed(0.2, 1.0),
            },
            rest=assumed(0.05, 1.0),
        ),
    )
    daily_cap: dict[str, int] = P(
        {"private_chat": 3, "group": 5, "moments": 3, "mass_message": 1},
        "contacts/customer/day",
        "platform caps per touchpoint (Moments 3 a day, mass message 1 a day)",
        source=by_key(
            {
                "private_chat": assumed(1, 10),
                "group": assumed(1, 20),
                "moments": platform_rule(
                    "WeCom: at most 3 enterprise Moments posts a day (seed 003)"
                ),
                "mass_message": platform_rule("WeCom: 1 mass message a day (seed 003)"),
            },
            rest=setting("a platform cap: set it from the platform's rules"),
        ),
    )

    cost_per_contact_cny: dict[str, float] = P(
        {"private_chat": 0.3, "group": 0.01, "moments": 0.01, "mass_message": 0.0},
        "CNY/contact",
        "staff time and tool cost of one delivered contact, by touchpoint",
        source=setting("the brand's staff and tool costs"),
    )
    carryover: ContactCarryover = Field(default_factory=ContactCarryover)
    wear_out: ContactWearOut = Field(default_factory=ContactWearOut)
    # one content type or touchpoint given changes that entry; the others keep their defaults
    _merge_defaults = merge_onto_defaults(
        "content", "channel_weight", "daily_cap", "cost_per_contact_cny"
    )

    @model_validator(mode="after")
    def _same_channels(self):
        if not set(self.channel_weight) == set(self.daily_cap) == set(self.cost_per_contact_cny):
            raise ValueError(
                "channel_weight, daily_cap and cost_per_contact_cny must name the same touchpoints"
            )
        if any(v < 0 for v in self.cost_per_contact_cny.values()):
            raise ValueError("contact costs must be >= 0")
        if any(v < 0 for v in self.daily_cap.values()):
            raise ValueError("daily caps must be >= 0")
        return self
