"""Configs of the contact response: carry-over and wear-out (kernel code: :mod:`lab.contact_wear`)."""

from __future__ import annotations

from lab.params import P, StrictModel, assumed, setting

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
